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
use crate::eval::expr::{eval, Env, RowRef};
use crate::eval::ops::Key;
use crate::fast_hash::HashMap;
use crate::plan::ir::CExpr;
use crate::plan::{Plan, VarSource};
use crate::rows::{make_rows, EventEntry, Row};
use crate::window::Bounds;
use std::collections::HashSet;

use super::windowed::partition_key;

/// The rows of one entity or data-table variable.
pub(crate) enum ContextRows {
    /// Keyed by the partition key, when the variable assigns every placeholder of it.
    Keyed(HashMap<Vec<Key>, Vec<Row>>),
    /// Shared by every partition, when the variable does not assign them all.
    Shared(Vec<Row>),
}

impl ContextRows {
    /// The rows that may join the event rows of the partition with `key`.
    pub(crate) fn get(&self, key: &[Key]) -> Option<&Vec<Row>> {
        match self {
            ContextRows::Keyed(by_key) => by_key.get(key),
            ContextRows::Shared(rows) => Some(rows),
        }
    }

    fn all(&self) -> impl Iterator<Item = &Row> {
        let (keyed, shared) = match self {
            ContextRows::Keyed(by_key) => (Some(by_key.values().flatten()), None),
            ContextRows::Shared(rows) => (None, Some(rows.iter())),
        };
        keyed.into_iter().flatten().chain(shared.into_iter().flatten())
    }
}

/// Builds the rows of each entity and data-table variable of the rule; `None` for the
/// variables that read events.
///
/// NOTE: rows that do not assign the partition key, such as a table compared directly with
/// an event field (`$e.ip = %iocs.ip`), are joined in full by every window that keeps an
/// event row; [`EdgeFilter`] keeps only the event rows that can meet one.
pub(crate) fn context_rows(
    plan: &Plan,
    partition_by: &[(usize, bool)],
) -> Vec<Option<ContextRows>> {
    let keyed = |var: usize| {
        partition_by.iter().all(|(p, _)| {
            plan.placeholders.get(*p).is_some_and(|placeholder| placeholder.owners.contains(&var))
        })
    };
    let mut out: Vec<Option<ContextRows>> = plan
        .vars
        .iter()
        .enumerate()
        .map(|(var, var_plan)| match var_plan.source {
            VarSource::Events => None,
            _ if keyed(var) => Some(ContextRows::Keyed(HashMap::default())),
            _ => Some(ContextRows::Shared(Vec::new())),
        })
        .collect();
    let mut add = |var: usize, entry: &Arc<EventEntry>| {
        let Some(Some(rows)) = out.get_mut(var) else { return };
        for row in make_rows(plan, var, entry, Decided::NONE) {
            match rows {
                ContextRows::Keyed(by_key) => {
                    let key = partition_key(partition_by, &row.placeholders);
                    by_key.entry(key).or_default().push(row);
                }
                ContextRows::Shared(rows) => rows.push(row),
            }
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

/// A necessary test for an event row to join a required entity or data-table variable that
/// a join edge compares it with directly: some row of that variable has the edge's value.
/// Rows of an event variable that fail it are not kept, so that a large table or feed of
/// indicators costs only the events that hit it.
pub(crate) struct EdgeFilter {
    event_var: usize,
    /// The edge's side that reads the event variable.
    probe: CExpr,
    nocase: bool,
    /// The values of the edge's other side over every row of the entity or table variable.
    values: HashSet<Key>,
}

/// Builds an [`EdgeFilter`] for each join edge between an event variable and a required
/// entity or data-table variable.
pub(crate) fn edge_filters(plan: &Plan, context: &[Option<ContextRows>]) -> Vec<EdgeFilter> {
    let mut out = Vec::new();
    for edge in &plan.joins {
        let sides = [
            (edge.left_var, &edge.left, edge.right_var, &edge.right),
            (edge.right_var, &edge.right, edge.left_var, &edge.left),
        ];
        for (event_var, probe, context_var, build) in sides {
            let reads_events =
                |var: usize| plan.vars.get(var).is_some_and(|v| v.source.reads_events());
            let required = plan.required.get(context_var).copied().unwrap_or(false);
            let Some(Some(rows)) = context.get(context_var) else { continue };
            if !reads_events(event_var) || reads_events(context_var) || !required {
                continue;
            }
            let values = rows
                .all()
                .map(|row| Key::of(&eval_over(plan, context_var, row, build), edge.nocase))
                .collect();
            out.push(EdgeFilter { event_var, probe: probe.clone(), nocase: edge.nocase, values });
        }
    }
    out
}

impl EdgeFilter {
    /// Returns whether a row of event variable `var` may join: true for the rows of other
    /// variables.
    pub(crate) fn admits(&self, plan: &Plan, var: usize, row: &Row) -> bool {
        if var != self.event_var {
            return true;
        }
        self.values.contains(&Key::of(&eval_over(plan, var, row, &self.probe), self.nocase))
    }
}

/// Evaluates an expression that reads only variable `var`, over one of its rows.
fn eval_over(plan: &Plan, var: usize, row: &Row, expr: &CExpr) -> Value {
    let mut rows: Vec<Option<RowRef<'_>>> = vec![None; plan.vars.len()];
    if let Some(cell) = rows.get_mut(var) {
        *cell = Some(row.row_ref());
    }
    let env = Env { plan, rows: &rows, outcomes: &[], element: None, group: None, window: None };
    eval(expr, &env)
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
