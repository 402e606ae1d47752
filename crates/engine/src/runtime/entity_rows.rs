//! The rows of a rule's entity variables (`$e.graph.`) and data-table variables
//! (`$e.f = %table.column`), built once from the records loaded before the events, and the
//! lookups that find the few of them that a window's events can join. Both are called entity
//! variables here, and a table row is valid at every time.
//!
//! A feed may contain millions of records while a window contains a few events. Rows are kept per
//! match partition, like event rows, unless the variable does not assign the partition key:
//! then one set of rows serves every partition. Each entity variable that a required variable links to,
//! through a placeholder both assign or a field equality between them, also indexes its rows
//! by that link's value. Every joined tuple contains a row of the required variable with the
//! same value. So a window joins only the entity rows whose value one of its rows has, and an
//! event row that no record can join is dropped when it arrives.

use std::sync::Arc;

use udm::{Event, Message, Value};

use crate::dispatch::Decided;
use crate::entities::{entity_seq, Entities, TABLE_SEQ_BASE};
use crate::eval::expr::{eval, Env, RowRef};
use crate::eval::ops::Key;
use crate::fast_hash::{HashMap, HashSet};
use crate::plan::ir::CExpr;
use crate::plan::{Plan, VarSource};
use crate::rows::{make_rows, EventEntry, Row};
use crate::window::Bounds;

use super::windowed::partition_key;

/// The entity rows of one rule.
pub(crate) struct EntityRows {
    /// Per variable of the rule, `Some` for an entity variable.
    vars: Vec<Option<EntityVar>>,
    /// The entity variables the condition requires.
    required: Vec<usize>,
}

struct EntityVar {
    /// The link to a required variable, whose rows select this variable's rows; `None` when
    /// no required variable links to it.
    link: Option<Link>,
    /// Whether the variable assigns every placeholder of the partition key. Otherwise its rows
    /// are kept under the empty key and serve every partition.
    keyed: bool,
    /// Rows by partition key.
    partitions: HashMap<Vec<Key>, Bucket>,
}

impl EntityVar {
    /// The rows that may join the event rows of the partition with `key`.
    fn bucket(&self, key: &[Key]) -> Option<&Bucket> {
        self.partitions.get(if self.keyed { key } else { &[] })
    }
}

/// The rows of one entity variable in one partition.
struct Bucket {
    rows: Vec<Row>,
    /// Positions in `rows` by the value of the variable's link; empty without a link.
    by_value: HashMap<Key, Vec<usize>>,
}

/// The tie between an entity variable and a required variable, `source`: every joined tuple
/// has equal values on both sides.
struct Link {
    source: usize,
    kind: LinkKind,
}

enum LinkKind {
    /// A placeholder the entity variable assigns, as `source` and maybe other variables do.
    Placeholder { placeholder: usize, nocase: bool },
    /// A field equality: `entity` reads the entity variable's row, `other` the source's.
    Edge { entity: CExpr, other: CExpr, nocase: bool },
}

impl Link {
    /// Returns the link's value on a row of the entity variable `var`.
    fn entity_value(&self, plan: &Plan, var: usize, row: RowRef<'_>) -> Key {
        match &self.kind {
            LinkKind::Placeholder { placeholder, nocase } => {
                placeholder_key(row, *placeholder, *nocase)
            }
            LinkKind::Edge { entity, nocase, .. } => expr_key(plan, var, row, entity, *nocase),
        }
    }

    /// Returns the link's value on a row of variable `var`, when that variable's rows carry it:
    /// the source, or another variable that assigns the same placeholder.
    fn value_of(&self, plan: &Plan, var: usize, row: RowRef<'_>) -> Option<Key> {
        match &self.kind {
            LinkKind::Placeholder { placeholder, nocase } => {
                let owners = plan.placeholders.get(*placeholder).map_or(&[][..], |p| &p.owners);
                owners.contains(&var).then(|| placeholder_key(row, *placeholder, *nocase))
            }
            LinkKind::Edge { other, nocase, .. } => {
                (var == self.source).then(|| expr_key(plan, var, row, other, *nocase))
            }
        }
    }
}

/// Returns the key of a placeholder's value on a row, as the join computes it.
fn placeholder_key(row: RowRef<'_>, placeholder: usize, nocase: bool) -> Key {
    let value = row.placeholders.get(placeholder).and_then(Option::as_ref);
    Key::of(value.unwrap_or(&Value::Null), nocase)
}

/// Evaluates an expression over one row of variable `var` and returns its key, as the join
/// computes it.
fn expr_key(plan: &Plan, var: usize, row: RowRef<'_>, expr: &CExpr, nocase: bool) -> Key {
    let mut rows: Vec<Option<RowRef<'_>>> = vec![None; plan.vars.len()];
    if let Some(cell) = rows.get_mut(var) {
        *cell = Some(row);
    }
    let env = Env { plan, rows: &rows, outcomes: &[], element: None, group: None, window: None };
    Key::of(&eval(expr, &env), nocase)
}

impl EntityRows {
    /// Builds the rows of every entity variable of `plan` from its context's records, keyed by
    /// the placeholders in `partition_by`.
    pub(crate) fn new(plan: &Plan, partition_by: &[(usize, bool)]) -> EntityRows {
        let is_graph = |v: usize| plan.vars.get(v).is_some_and(|var| !var.source.reads_events());
        let keyed = |v: usize| {
            partition_by.iter().all(|(p, _)| {
                plan.placeholders.get(*p).is_some_and(|placeholder| placeholder.owners.contains(&v))
            })
        };
        let required: Vec<usize> = (0..plan.vars.len())
            .filter(|v| is_graph(*v) && plan.required.get(*v).copied().unwrap_or(true))
            .collect();
        let mut vars: Vec<Option<EntityVar>> = (0..plan.vars.len())
            .map(|v| {
                is_graph(v).then(|| EntityVar {
                    link: find_link(plan, v, partition_by),
                    keyed: keyed(v),
                    partitions: HashMap::default(),
                })
            })
            .collect();
        if vars.iter().all(Option::is_none) {
            return EntityRows { vars, required };
        }
        let add = |vars: &mut Vec<Option<EntityVar>>, var: usize, entry: &Arc<EventEntry>| {
            let Some(Some(entity_var)) = vars.get_mut(var) else { return };
            for row in make_rows(plan, var, entry, Decided::NONE) {
                let key = match entity_var.keyed {
                    true => partition_key(partition_by, &row.placeholders),
                    false => Vec::new(),
                };
                let bucket = entity_var
                    .partitions
                    .entry(key)
                    .or_insert_with(|| Bucket { rows: Vec::new(), by_value: HashMap::default() });
                if let Some(link) = &entity_var.link {
                    let value = link.entity_value(plan, var, row.row_ref());
                    bucket.by_value.entry(value).or_default().push(bucket.rows.len());
                }
                bucket.rows.push(row);
            }
        };
        for (var, var_plan) in plan.vars.iter().enumerate() {
            match &var_plan.source {
                VarSource::Events => {}
                VarSource::Entities => {
                    for (index, record) in plan.ctx.entities.records().iter().enumerate() {
                        let entry = Arc::new(EventEntry::prepared(
                            Arc::clone(&record.entity),
                            entity_seq(index),
                            record.start,
                            Some(record.id.clone()),
                        ));
                        add(&mut vars, var, &entry);
                    }
                }
                VarSource::Table(table) => {
                    for (index, (_, cells)) in table.rows().iter().enumerate() {
                        let event = Arc::new(table_row(table, cells));
                        let seq = TABLE_SEQ_BASE + index as u64;
                        let entry = EventEntry::prepared(event, seq, i128::MIN, None);
                        add(&mut vars, var, &Arc::new(entry));
                    }
                }
            }
        }
        EntityRows { vars, required }
    }
}

/// Converts a data-table row into a record whose fields are the columns: `number` cells as
/// numbers, the others as text. A `number` cell that is empty or not a number is left out, so
/// it reads as no value. Loading the table reported the ones that are not numbers.
fn table_row(table: &enrich::DataTable, cells: &[String]) -> Event {
    let mut message = Message::new();
    for (column, cell) in table.columns().iter().zip(cells) {
        let value = match column.kind {
            enrich::ColumnType::Number => match enrich::Number::parse(cell) {
                Some(enrich::Number::Int(int)) => Value::Int(int),
                Some(enrich::Number::Float(float)) => Value::Float(float),
                None => continue,
            },
            _ => Value::from(cell.as_str()),
        };
        message.insert_owned(column.name.clone(), value);
    }
    Event::from_message(message)
}

impl EntityRows {
    /// Returns whether variable `var` reads entity records.
    pub(crate) fn is_entity(&self, var: usize) -> bool {
        matches!(self.vars.get(var), Some(Some(_)))
    }

    /// Returns whether every entity variable the condition requires has a row, in the partition
    /// with key `key` and valid at the row's time, that `row` of variable `var` can join. A
    /// row for which this fails can be in no detection.
    pub(crate) fn can_join(&self, plan: &Plan, var: usize, key: &[Key], row: &Row) -> bool {
        let entities = &plan.ctx.entities;
        let time = row.time();
        let valid_at = |bucket: &Bucket, position: &usize| {
            bucket.rows.get(*position).is_some_and(|r| covers(entities, r, time))
        };
        self.required.iter().all(|entity_var| {
            let Some(Some(entity)) = self.vars.get(*entity_var) else { return true };
            let Some(bucket) = entity.bucket(key) else { return false };
            let value =
                entity.link.as_ref().and_then(|link| link.value_of(plan, var, row.row_ref()));
            match value {
                Some(value) => bucket
                    .by_value
                    .get(&value)
                    .is_some_and(|positions| positions.iter().any(|p| valid_at(bucket, p))),
                None => bucket.rows.iter().any(|r| covers(entities, r, time)),
            }
        })
    }

    /// Returns whether every entity variable the condition requires has rows in the partition
    /// with key `key`.
    pub(crate) fn partition_has_required(&self, key: &[Key]) -> bool {
        self.required.iter().all(
            |var| matches!(self.vars.get(*var), Some(Some(entity)) if entity.bucket(key).is_some()),
        )
    }

    /// Fills in `rows`, the rows of a window in the partition with key `key` (empty for the
    /// entity variables), with the rows of each entity variable that the window's rows can
    /// join: valid at some time inside `bounds` and, for a linked variable, with a link value
    /// that one of the source variable's rows has.
    pub(crate) fn select<'a>(
        &'a self,
        plan: &Plan,
        key: &[Key],
        bounds: Bounds,
        rows: &mut [Vec<RowRef<'a>>],
    ) {
        // Most rules read only events, and this runs for every window they close.
        if self.vars.iter().all(Option::is_none) {
            return;
        }
        let entities = &plan.ctx.entities;
        let mut done: Vec<bool> = (0..rows.len()).map(|v| !self.is_entity(v)).collect();
        // A variable linked to another entity variable waits for that one's rows, so that
        // chains such as a user's record naming a resource record are narrowed step by step. A
        // cycle of such links, which would leave every variable waiting, takes all rows.
        loop {
            let mut progress = false;
            let mut waiting = false;
            for (var, slot) in self.vars.iter().enumerate() {
                let Some(entity) = slot else { continue };
                if done.get(var) == Some(&true) {
                    continue;
                }
                let link = entity.link.as_ref();
                if link.is_some_and(|link| done.get(link.source) != Some(&true)) {
                    waiting = true;
                    continue;
                }
                let selected = entity.bucket(key).map_or_else(Vec::new, |bucket| {
                    select_rows(plan, bucket, link, rows, entities, bounds)
                });
                if let Some(cell) = rows.get_mut(var) {
                    *cell = selected;
                }
                if let Some(cell) = done.get_mut(var) {
                    *cell = true;
                }
                progress = true;
            }
            if !waiting {
                return;
            }
            if !progress {
                break;
            }
        }
        for (var, slot) in self.vars.iter().enumerate() {
            let Some(entity) = slot else { continue };
            if done.get(var) == Some(&true) {
                continue;
            }
            let selected = entity.bucket(key).map_or_else(Vec::new, |bucket| {
                bucket
                    .rows
                    .iter()
                    .filter(|r| valid_in(entities, r, bounds))
                    .map(Row::row_ref)
                    .collect()
            });
            if let Some(cell) = rows.get_mut(var) {
                *cell = selected;
            }
        }
    }
}

/// Returns the rows of one bucket that a window can join, in the order they were loaded.
fn select_rows<'a>(
    plan: &Plan,
    bucket: &'a Bucket,
    link: Option<&Link>,
    rows: &[Vec<RowRef<'a>>],
    entities: &Entities,
    bounds: Bounds,
) -> Vec<RowRef<'a>> {
    let Some(link) = link else {
        return bucket
            .rows
            .iter()
            .filter(|r| valid_in(entities, r, bounds))
            .map(Row::row_ref)
            .collect();
    };
    let source_rows = rows.get(link.source).map_or(&[][..], Vec::as_slice);
    let values: HashSet<Key> =
        source_rows.iter().filter_map(|row| link.value_of(plan, link.source, *row)).collect();
    let mut positions: Vec<usize> =
        values.iter().filter_map(|value| bucket.by_value.get(value)).flatten().copied().collect();
    positions.sort_unstable();
    positions.dedup();
    positions
        .into_iter()
        .filter_map(|p| bucket.rows.get(p))
        .filter(|r| valid_in(entities, r, bounds))
        .map(Row::row_ref)
        .collect()
}

/// Finds what links entity variable `var` to a required variable other than itself: a
/// placeholder both assign that is not part of the partition key, or a field equality. A link
/// to an event variable is preferred, since its rows are known before any entity row is chosen.
fn find_link(plan: &Plan, var: usize, partition_by: &[(usize, bool)]) -> Option<Link> {
    let required = |v: usize| v != var && plan.required.get(v).copied().unwrap_or(true);
    let is_graph = |v: usize| plan.vars.get(v).is_some_and(|p| !p.source.reads_events());
    let mut links: Vec<Link> = Vec::new();
    for (p, placeholder) in plan.placeholders.iter().enumerate() {
        if partition_by.iter().any(|(q, _)| *q == p) || !placeholder.owners.contains(&var) {
            continue;
        }
        let nocase =
            plan.vars.iter().flat_map(|v| &v.bindings).any(|b| b.placeholder == p && b.nocase);
        for source in placeholder.owners.iter().copied().filter(|v| required(*v)) {
            links.push(Link { source, kind: LinkKind::Placeholder { placeholder: p, nocase } });
        }
    }
    for edge in &plan.joins {
        let (entity, other, source) = if edge.left_var == var {
            (&edge.left, &edge.right, edge.right_var)
        } else if edge.right_var == var {
            (&edge.right, &edge.left, edge.left_var)
        } else {
            continue;
        };
        if required(source) {
            let kind = LinkKind::Edge {
                entity: entity.clone(),
                other: other.clone(),
                nocase: edge.nocase,
            };
            links.push(Link { source, kind });
        }
    }
    let first_event = links.iter().position(|link| !is_graph(link.source));
    match first_event {
        Some(index) => Some(links.swap_remove(index)),
        None => links.into_iter().next(),
    }
}

/// Returns whether an entity row's record is valid at `time`; a data-table row always is.
fn covers(entities: &Entities, row: &Row, time: i128) -> bool {
    entities.by_seq(row.entry.seq).is_none_or(|record| record.covers(time))
}

/// Returns whether an entity row's record is valid at some time inside the window; a
/// data-table row always is.
fn valid_in(entities: &Entities, row: &Row, bounds: Bounds) -> bool {
    entities.by_seq(row.entry.seq).is_none_or(|record| {
        let starts_in_time =
            record.start < bounds.end || (bounds.end_inclusive && record.start == bounds.end);
        starts_in_time && record.end >= bounds.start
    })
}
