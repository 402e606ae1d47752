//! Turning an event into rows of one event variable.
//!
//! A row is one repeated-field copy of an event that passed every filter of the variable,
//! with the placeholder values it assigned. Rows own their slot values, so that window state
//! can outlive the borrow of the event that produced them.

use std::ops::ControlFlow;
use std::sync::{Arc, OnceLock};

use sha2::{Digest, Sha256};
use udm::{Event, Str, Value};
use yaral::ast::CompareOp;

use crate::dispatch::Decided;
use crate::eval::expr::{eval, map_value, test, Env, RowRef, Slots};
use crate::eval::{fields, ops};
use crate::plan::ir::CExpr;
use crate::plan::{Plan, StoredRead};

/// An event as the engine holds it: shared by every row made from it.
#[derive(Debug)]
pub(crate) struct EventEntry {
    pub event: Arc<Event>,
    /// Position in processing order; unique within one engine.
    pub seq: u64,
    /// `metadata.event_timestamp` in nanoseconds since the epoch.
    pub time: i128,
    /// The event's [`event_id`], computed when first needed.
    id: OnceLock<Str>,
}

impl EventEntry {
    pub(crate) fn new(event: Arc<Event>, seq: u64) -> EventEntry {
        let time = event.event_time().as_nanos();
        EventEntry { event, seq, time, id: OnceLock::new() }
    }

    /// Creates the entry of an event whose time and id [`Prefilter::prepare`] read already.
    /// The event may be stripped of its fields.
    ///
    /// [`Prefilter::prepare`]: crate::Prefilter::prepare
    pub(crate) fn prepared(event: Arc<Event>, seq: u64, time: i128, id: Option<Str>) -> EventEntry {
        let id = id.map_or_else(OnceLock::new, OnceLock::from);
        EventEntry { event, seq, time, id }
    }

    /// Returns the entry that rows kept in windows hold in place of this one, when the event can be
    /// read again from its record: the same position, time and id, with an event that keeps
    /// only the record (see [`Event::stripped`]). Rows keep every value that closing a window
    /// reads, so the event's fields are only needed to show it in a detection, and dropping
    /// them now, while they are in cache, costs far less than when the window closes.
    pub(crate) fn stripped(&self) -> Option<EventEntry> {
        if self.event.product_log_id().is_empty() {
            return None;
        }
        let event = Arc::new(self.event.stripped()?);
        let id = OnceLock::from(Str::from(self.id()));
        Some(EventEntry { event, seq: self.seq, time: self.time, id })
    }

    /// The event's identity across runs; see [`event_id`].
    pub(crate) fn id(&self) -> &str {
        self.id.get_or_init(|| event_id(&self.event))
    }
}

/// The identity of an event across runs: its `metadata.product_log_id` when the source gave
/// one, otherwise a hash of the whole event.
pub(crate) fn event_id(event: &Event) -> Str {
    let id = event.product_log_id();
    if !id.is_empty() {
        return Str::from(id);
    }
    content_id(event)
}

/// Returns a hash of the whole record: the id of an event without `metadata.product_log_id`,
/// and of every entity record.
pub(crate) fn content_id(event: &Event) -> Str {
    let json = udm::json::event_to_json(event);
    let digest = Sha256::digest(json.to_string().as_bytes());
    Str::from(format!("sha256:{}", hex::encode(&digest[..16])))
}

/// One surviving copy of an event for one event variable.
#[derive(Debug)]
pub(crate) struct Row {
    pub entry: Arc<EventEntry>,
    pub copy: u32,
    pub slots: Box<[Value]>,
    pub placeholders: Box<[Option<Value>]>,
    /// The values of the variable's [`VarPlan::stored_reads`](crate::plan::VarPlan), when the
    /// row was built to be stored.
    pub reads: Option<Box<[Value]>>,
}

impl Row {
    pub(crate) fn time(&self) -> i128 {
        self.entry.time
    }

    pub(crate) fn row_ref(&self) -> RowRef<'_> {
        RowRef {
            event: &self.entry.event,
            seq: self.entry.seq,
            copy: self.copy,
            slots: Slots::Owned(&self.slots),
            placeholders: &self.placeholders,
            reads: self.reads.as_deref(),
            entry: Some(&self.entry),
        }
    }
}

/// Builds the rows of event variable `var` from an event: expands it into copies, then keeps
/// the copies that pass the filters, the placeholder bindings, the zero-value checks of match
/// variables and the filters that read those placeholders, in that order. The filters in
/// `decided` are known to pass on every copy and are not run.
pub(crate) fn make_rows(
    plan: &Plan,
    var: usize,
    entry: &Arc<EventEntry>,
    decided: Decided,
) -> Vec<Row> {
    let mut out = Vec::new();
    make_rows_storing(plan, var, entry, decided, None, entry, &mut out);
    out
}

/// Builds rows like [`make_rows`] for rows kept after they are built, and appends them to
/// `out`. The rows hold `keep`, which is `entry` or its [`EventEntry::stripped`], and the
/// values of the variable's stored reads. With `stored`, they copy only the slot values that
/// it marks, by slot index, and leave the others `Null`. A slot past its end is copied.
/// Nothing evaluated later reads the other slots, so copying their values would only cost
/// time and memory.
pub(crate) fn make_rows_storing(
    plan: &Plan,
    var: usize,
    entry: &Arc<EventEntry>,
    decided: Decided,
    stored: Option<&[bool]>,
    keep: &Arc<EventEntry>,
    out: &mut Vec<Row>,
) {
    let mut parts = Vec::new();
    make_row_parts(plan, var, &entry.event, decided, stored, stored.is_some(), &mut parts);
    out.extend(parts.into_iter().map(|parts| parts.attach(Arc::clone(keep))));
}

/// A row before it is given the entry it holds: what [`Prefilter::prepare`] builds on a
/// worker thread, so that the engine only attaches its entry.
///
/// [`Prefilter::prepare`]: crate::Prefilter::prepare
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RowParts {
    pub copy: u32,
    pub slots: Box<[Value]>,
    pub placeholders: Box<[Option<Value>]>,
    pub reads: Option<Box<[Value]>>,
}

impl RowParts {
    /// Attaches `entry`, giving the row that keeps it.
    pub(crate) fn attach(self, entry: Arc<EventEntry>) -> Row {
        let RowParts { copy, slots, placeholders, reads } = self;
        Row { entry, copy, slots, placeholders, reads }
    }
}

/// Builds the parts of the rows of `var` from an event, as [`make_rows_storing`] builds its
/// rows, and appends them to `out`. With `keeps_reads` they hold the values of the variable's
/// stored reads.
pub(crate) fn make_row_parts(
    plan: &Plan,
    var: usize,
    event: &Arc<Event>,
    decided: Decided,
    stored: Option<&[bool]>,
    keeps_reads: bool,
    out: &mut Vec<RowParts>,
) {
    let reads = plan.vars.get(var).map_or(&[][..], |v| v.stored_reads.as_slice());
    let computed = plan.vars.get(var).map_or(&[][..], |v| v.computed.as_slice());
    let mut read_values: Option<Box<[Value]>> = None;
    for_each_row(plan, var, event, decided, |copy_index, copy, placeholders| {
        // Slots past the last stored one are left out: a missing slot reads as `Null`, as an
        // unstored one does, and a row that stores none allocates nothing for them.
        let kept = match stored {
            Some(stored) if stored.len() >= copy.len() => {
                stored.iter().rposition(|keep| *keep).map_or(0, |last| last + 1)
            }
            _ => copy.len(),
        };
        let keeps = |slot: usize| stored.and_then(|stored| stored.get(slot)) != Some(&false);
        let mut slots: Vec<Value> = copy
            .iter()
            .take(kept)
            .enumerate()
            .map(|(slot, value)| if keeps(slot) { (*value).clone() } else { Value::Null })
            .collect();
        if !computed.is_empty() {
            let current = CopyRef { plan, var, event, copy_index, copy };
            current.with_env(&placeholders, |env| {
                for (slot, expr) in computed {
                    if let Some(cell) = slots.get_mut(*slot).filter(|_| keeps(*slot)) {
                        *cell = eval(expr, env);
                    }
                }
            });
        }
        // Stored reads do not vary across the copies of an event.
        let reads = keeps_reads
            .then(|| read_values.get_or_insert_with(|| read_stored(event, reads)).clone());
        out.push(RowParts {
            copy: copy_index,
            slots: slots.into_boxed_slice(),
            placeholders: placeholders.into_boxed_slice(),
            reads,
        });
        ControlFlow::Continue(())
    });
}

/// Reads the values of stored reads from an event, as the evaluator reads them.
fn read_stored(event: &Event, reads: &[StoredRead]) -> Box<[Value]> {
    reads
        .iter()
        .map(|read| {
            if read.map_value {
                map_value(fields::first_value(event, &read.path))
            } else {
                Value::List(fields::collect_all(event, &read.path))
            }
        })
        .collect()
}

/// Whether event variable `var` makes at least one row from the event. Stops at the first
/// copy that survives, and builds no row. The filters in `decided` are not run.
pub(crate) fn has_row(plan: &Plan, var: usize, event: &Arc<Event>, decided: Decided) -> bool {
    let mut found = false;
    for_each_row(plan, var, event, decided, |_, _, _| {
        found = true;
        ControlFlow::Break(())
    });
    found
}

/// Calls `f` with the placeholder values of each row that event variable `var` makes from the
/// event, without building the rows. The filters in `decided` are not run.
pub(crate) fn for_each_row_placeholders(
    plan: &Plan,
    var: usize,
    event: &Arc<Event>,
    decided: Decided,
    mut f: impl FnMut(&[Option<Value>]),
) {
    for_each_row(plan, var, event, decided, |_, _, placeholders| {
        f(&placeholders);
        ControlFlow::Continue(())
    });
}

/// Calls `emit` with each surviving copy of the event for `var`: its index, its slot values
/// and the placeholder values it assigned. The filters in `decided` passed on every copy of
/// the event, when the variable's gate ran, and are not run again.
fn for_each_row(
    plan: &Plan,
    var: usize,
    event: &Arc<Event>,
    decided: Decided,
    mut emit: impl FnMut(u32, &[&Value], Vec<Option<Value>>) -> ControlFlow<()>,
) {
    let Some(var_plan) = plan.vars.get(var) else { return };
    let copies = var_plan.trie.expand(event, var_plan.slot_zero.len());
    for (copy_index, copy) in copies.iter().enumerate() {
        let copy_index = copy_index as u32;
        let mut placeholders: Vec<Option<Value>> = vec![None; plan.placeholders.len()];
        let current = CopyRef { plan, var, event, copy_index, copy };
        if !current.passes_undecided(&placeholders, &var_plan.filters, decided) {
            continue;
        }
        let mut bound = true;
        for binding in &var_plan.bindings {
            let value = current.with_env(&placeholders, |env| eval(&binding.expr, env));
            let Some(cell) = placeholders.get_mut(binding.placeholder) else { continue };
            match cell {
                // A second assignment to the same placeholder is an equality test.
                Some(existing) => {
                    if !ops::compare(CompareOp::Eq, existing, &value, binding.nocase) {
                        bound = false;
                        break;
                    }
                }
                None => *cell = Some(value),
            }
        }
        if !bound {
            continue;
        }
        let zero = var_plan
            .zero_checks
            .iter()
            .any(|p| placeholders.get(*p).and_then(Option::as_ref).is_none_or(Value::is_zero));
        if zero || !current.passes(&placeholders, &var_plan.late_filters) {
            continue;
        }
        if emit(copy_index, copy, placeholders).is_break() {
            return;
        }
    }
}

/// One copy of an event while its row is being built.
struct CopyRef<'a> {
    plan: &'a Plan,
    var: usize,
    event: &'a Arc<Event>,
    copy_index: u32,
    copy: &'a [&'a Value],
}

impl CopyRef<'_> {
    /// Runs `f` in an environment where the copy is the row of its variable.
    fn with_env<T>(&self, placeholders: &[Option<Value>], f: impl FnOnce(&Env<'_>) -> T) -> T {
        /// Rules with at most this many event variables build the environment on the stack.
        const ON_STACK: usize = 8;
        // Filters and bindings read neither the event's position nor its entry.
        let row = RowRef {
            event: self.event,
            seq: 0,
            copy: self.copy_index,
            slots: Slots::Borrowed(self.copy),
            placeholders,
            reads: None,
            entry: None,
        };
        let count = self.plan.vars.len();
        let mut on_stack: [Option<RowRef<'_>>; ON_STACK] = [None; ON_STACK];
        let mut on_heap: Vec<Option<RowRef<'_>>> = Vec::new();
        let rows = if count <= ON_STACK {
            &mut on_stack[..count]
        } else {
            on_heap.resize(count, None);
            &mut on_heap[..]
        };
        if let Some(cell) = rows.get_mut(self.var) {
            *cell = Some(row);
        }
        let env =
            Env { plan: self.plan, rows, outcomes: &[], element: None, group: None, window: None };
        f(&env)
    }

    fn passes(&self, placeholders: &[Option<Value>], exprs: &[CExpr]) -> bool {
        exprs.is_empty() || self.with_env(placeholders, |env| exprs.iter().all(|e| test(e, env)))
    }

    /// Like [`CopyRef::passes`], skipping the filters in `decided`.
    fn passes_undecided(
        &self,
        placeholders: &[Option<Value>],
        exprs: &[CExpr],
        decided: Decided,
    ) -> bool {
        let mut undecided =
            exprs.iter().enumerate().filter(|(index, _)| !decided.contains(*index)).peekable();
        undecided.peek().is_none()
            || self.with_env(placeholders, |env| undecided.all(|(_, e)| test(e, env)))
    }
}
