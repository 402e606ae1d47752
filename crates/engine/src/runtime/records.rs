//! Rows of the variables whose records are loaded before the events: entity records
//! (`$e.graph.`) and data-table rows (`$e.f = %table.column`).
//!
//! Each such variable gets its rows once, when the rule's window state is created, keyed by
//! the partition key that the rule's event rows are kept under. Closing a window then adds the
//! rows with the window's key to the join.

use std::sync::Arc;

use udm::{Event, Message, Value};

use crate::dispatch::Decided;
use crate::entities::{entity_seq, Entities, TABLE_SEQ_BASE};
use crate::eval::ops::Key;
use crate::fast_hash::HashMap;
use crate::plan::{Plan, VarSource};
use crate::rows::{make_rows, EventEntry, Row};
use crate::window::Bounds;

use super::windowed::partition_key;

/// Rows by partition key.
pub(crate) type RowsByKey = HashMap<Vec<Key>, Vec<Row>>;

/// Builds the rows of each entity and data-table variable of the rule, keyed by their
/// partition key; `None` for the variables that read events.
///
/// NOTE: rows linked to the events only by a direct comparison (`$e.ip = %iocs.ip`) share
/// one key, so each window joins all of them; a placeholder in `match:` keys them instead.
pub(crate) fn context_rows(plan: &Plan, partition_by: &[(usize, bool)]) -> Vec<Option<RowsByKey>> {
    let mut out: Vec<Option<RowsByKey>> =
        plan.vars.iter().map(|var| (!var.source.reads_events()).then(HashMap::default)).collect();
    let mut add = |var: usize, entry: &Arc<EventEntry>| {
        let Some(Some(by_key)) = out.get_mut(var) else { return };
        for row in make_rows(plan, var, entry, Decided::NONE) {
            let key = partition_key(partition_by, &row.placeholders);
            by_key.entry(key).or_default().push(row);
        }
    };
    for (var, var_plan) in plan.vars.iter().enumerate() {
        match &var_plan.source {
            VarSource::Events => {}
            VarSource::Entities => {
                for (index, record) in plan.ctx.entities.records().iter().enumerate() {
                    let event = Arc::clone(&record.entity);
                    let entry = EventEntry::prepared(event, entity_seq(index), record.start, None);
                    add(var, &Arc::new(entry));
                }
            }
            VarSource::Table(table) => {
                for (index, (_, cells)) in table.rows().iter().enumerate() {
                    let event = Arc::new(table_row(table, cells));
                    let seq = TABLE_SEQ_BASE + index as u64;
                    add(var, &Arc::new(EventEntry::prepared(event, seq, i128::MIN, None)));
                }
            }
        }
    }
    out
}

/// Converts a data-table row into a record whose fields are the columns: `number` cells as numbers when
/// they read as one, the others as text.
fn table_row(table: &enrich::DataTable, cells: &[String]) -> Event {
    let mut message = Message::new();
    for (column, cell) in table.columns().iter().zip(cells) {
        let value = match column.kind {
            enrich::ColumnType::Number => number(cell),
            _ => Value::from(cell.as_str()),
        };
        message.insert_owned(column.name.clone(), value);
    }
    Event::from_message(message)
}

fn number(cell: &str) -> Value {
    let text = cell.trim();
    if let Ok(int) = text.parse::<i64>() {
        return Value::Int(int);
    }
    match text.parse::<f64>() {
        Ok(float) if float.is_finite() => Value::Float(float),
        _ => Value::from(cell),
    }
}

/// Returns whether a row of an entity or data-table variable pairs with an event at `time`:
/// an entity record's interval must cover it, and a table row always pairs.
pub(crate) fn covers(entities: &Entities, row: &Row, time: i128) -> bool {
    entities.by_seq(row.entry.seq).is_none_or(|record| record.covers(time))
}

/// Returns whether a row of an entity or data-table variable can pair with some event of the
/// window: an entity record must be valid at some time inside it.
pub(crate) fn valid_in(entities: &Entities, row: &Row, bounds: Bounds) -> bool {
    entities.by_seq(row.entry.seq).is_none_or(|record| {
        let starts_in_time =
            record.start < bounds.end || (bounds.end_inclusive && record.start == bounds.end);
        starts_in_time && record.end >= bounds.start
    })
}
