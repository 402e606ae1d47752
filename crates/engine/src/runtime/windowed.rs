//! State of a rule with `match:`: rows kept per match partition until their windows close.
//!
//! Rows are partitioned by the match placeholders that every event variable assigns, since
//! rows that differ there can never join. Each partition keeps its rows in time order and the
//! set of its windows that are still open; a schedule orders every open window by the
//! watermark at which it closes. Closing a window joins the rows inside it, groups the tuples
//! by match values and evaluates each group. Rows that no open window can reach are dropped,
//! so memory follows the open windows, not the input.
//!
//! A hop window whose rows equal the previous window's gives only detections that
//! de-duplication drops, unless the rule reads `window_start` or `window_end`. So for other
//! rules a row opens just the two hop windows where the rows change because of it: the first
//! window it falls in, and the first one after it has left. Some windows whose rows are a
//! subset of the last evaluated window's are skipped too (see [`super::subsets`]).

use std::collections::{BTreeMap, VecDeque};

use crate::fast_hash::HashMap;
use std::sync::Arc;

use udm::Value;

use super::dedupe::Dedupe;
use super::entity_rows::EntityRows;
use super::subsets::{is_subsequence, SubsetSkip};
use super::{Admitted, PreparedRows};
use crate::detection::RuleInfo;
use crate::eval::aggregate::take_sum_may_shrink;
use crate::eval::expr::{Env, RowRef};
use crate::eval::ops::Key;
use crate::group::{evaluate, timestamp, Candidate};
use crate::join::{coverable_vars, join, Tuple};
use crate::plan::ir::CExpr;
use crate::plan::{Plan, WindowPlan};
use crate::rows::{make_rows_storing, EventEntry, Row};
use crate::window::{aligned_starts, bounds, floor_to, horizon, WindowKey};

/// The rows and open windows of one match partition.
struct Partition {
    key: Vec<Key>,
    /// Per event variable, rows sorted by (time, event id, sequence, copy).
    rows: Vec<Vec<Row>>,
    /// The open windows, sorted. Windows mostly open at the back and close at the front.
    windows: VecDeque<WindowKey>,
    /// The rows of the last hop window evaluated, to skip a window with the same rows.
    last_content: Option<Vec<Vec<(u64, u32)>>>,
    /// Whether a hop window whose rows are a subset of `last_content` may be skipped. Only rules
    /// whose tuples form one group set it.
    last_covers_subsets: bool,
}

/// Whether any binding of placeholder `p` compares without case.
fn nocase(plan: &Plan, p: usize) -> bool {
    plan.vars.iter().flat_map(|v| &v.bindings).any(|b| b.placeholder == p && b.nocase)
}

/// The match placeholders that every event variable of a rule assigns, with their case
/// folding. Rows that differ in them can never join, so they partition the window state.
///
/// Entity and data-table variables do not count: their rows are shared by every partition
/// when they do not assign all of these.
pub(crate) fn partition_placeholders(plan: &Plan) -> Vec<(usize, bool)> {
    let event_vars: Vec<usize> =
        (0..plan.vars.len()).filter(|v| plan.vars[*v].source.reads_events()).collect();
    plan.match_vars
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| {
            let owners = plan.placeholders.get(*p).map_or(&[][..], |p| p.owners.as_slice());
            event_vars.iter().all(|v| owners.contains(v))
        })
        .map(|p| (p, nocase(plan, p)))
        .collect()
}

/// The partition key of a row, from the placeholder values it assigned.
pub(crate) fn partition_key(
    partition_by: &[(usize, bool)],
    placeholders: &[Option<Value>],
) -> Vec<Key> {
    partition_by
        .iter()
        .map(|(p, nocase)| {
            let value = placeholders.get(*p).and_then(Option::as_ref);
            Key::of(value.unwrap_or(&Value::Null), *nocase)
        })
        .collect()
}

/// The window state of one rule.
pub(crate) struct Windowed {
    plan: Arc<Plan>,
    info: Arc<RuleInfo>,
    window: WindowPlan,
    /// Match placeholders every variable assigns, with their case folding: the partition key.
    partition_by: Vec<(usize, bool)>,
    /// Case folding of every match placeholder, for grouping tuples.
    match_nocase: Vec<bool>,
    /// Per event variable, whether joins may cover its rows instead of pairing each with
    /// every tuple (see [`coverable_vars`]).
    coverable: Vec<bool>,
    /// Whether the rule reads `window_start` or `window_end`, so that two hop windows with the
    /// same rows can give different detections.
    reads_bounds: bool,
    /// The evaluated hop windows after which the rule may skip windows with a subset of their
    /// rows.
    subset_skip: SubsetSkip,
    /// Per event variable and slot, whether the rows kept in windows need the slot's value;
    /// see [`stored_slots`].
    stored_slots: Vec<Vec<bool>>,
    /// The rows of the entity variables (`$e.graph.`) and data-table variables, from the
    /// records loaded before the events.
    entities: EntityRows,
    ids: HashMap<Vec<Key>, u64>,
    partitions: HashMap<u64, Partition>,
    next_id: u64,
    /// Every open window as (partition id, key), by the watermark at which it closes. Hop and
    /// tumbling windows of many partitions close at the same time, so the map stays small.
    /// No entry repeats, because a partition opens a window only when it is not open already.
    schedule: BTreeMap<i128, Vec<(u64, WindowKey)>>,
    /// The first close time in `schedule`, or `i128::MAX` when it is empty. The watermark
    /// moves with every event and seldom reaches it, and comparing with this field spares a
    /// walk down the schedule's tree, mostly out of cache, for every rule and event.
    next_close: i128,
    /// The earliest watermark at which [`Windowed::advance`] has anything to do: a window
    /// closes, de-duplication releases or forgets a candidate, or the partitions are swept.
    /// Most events move the watermark without reaching it.
    next_due: i128,
    dedupe: Dedupe,
    last_sweep: i128,
    /// Windows whose join hit its tuple cap; the first is also logged.
    pub cut_joins: u64,
    /// The rows of the event being pushed, kept between events so that the vector is
    /// allocated once.
    pushed_rows: Vec<Row>,
}

impl Windowed {
    pub(crate) fn new(plan: Arc<Plan>, info: Arc<RuleInfo>, window: WindowPlan) -> Windowed {
        let partition_by = partition_placeholders(&plan);
        let match_nocase = plan.match_vars.iter().map(|(p, _)| nocase(&plan, *p)).collect();
        let entities = EntityRows::new(&plan, &partition_by);
        // A join by covering would pair rows without testing entity intervals.
        let coverable = if plan.vars.iter().any(|v| v.source.is_entities()) {
            vec![false; plan.vars.len()]
        } else {
            coverable_vars(&plan, &partition_by)
        };
        let reads_bounds = reads_window_bounds(&plan);
        let subset_skip = match window {
            WindowPlan::Hop { .. } if !reads_bounds => SubsetSkip::for_rule(&plan, &partition_by),
            _ => SubsetSkip::default(),
        };
        let stored_slots = stored_slots(&plan);
        Windowed {
            plan,
            info,
            window,
            partition_by,
            match_nocase,
            coverable,
            reads_bounds,
            subset_skip,
            stored_slots,
            entities,
            ids: HashMap::default(),
            partitions: HashMap::default(),
            next_id: 0,
            schedule: BTreeMap::new(),
            next_close: i128::MAX,
            next_due: i128::MIN,
            dedupe: Dedupe::default(),
            last_sweep: i128::MIN,
            cut_joins: 0,
            pushed_rows: Vec::new(),
        }
    }

    /// Adds the rows an event makes for the event variables `vars` to their partitions and
    /// opens the windows they fall in; the other variables' filters are known to reject it,
    /// and each variable's decided filters to pass. A variable with prepared rows takes them
    /// rather than building its own.
    /// The rows hold `stored`: `entry` or its [`EventEntry::stripped`]. `keep` gets each
    /// row's variable and partition key, and a row it rejects is left out. Returns the number
    /// of rows added.
    pub(crate) fn push(
        &mut self,
        entry: &Arc<EventEntry>,
        stored: &Arc<EventEntry>,
        vars: &[Admitted],
        prepared: &mut PreparedRows<'_>,
        keep: &mut dyn FnMut(usize, &[Key]) -> bool,
    ) -> usize {
        let mut added = 0;
        let mut rows = std::mem::take(&mut self.pushed_rows);
        for admitted in vars {
            let var = admitted.var;
            rows.clear();
            match admitted.rows.and_then(|index| prepared.take(index)) {
                Some(parts) => rows.extend(parts.into_iter().map(|p| p.attach(Arc::clone(stored)))),
                None => {
                    let slots = self.stored_slots.get(var).map(Vec::as_slice);
                    let decided = admitted.decided;
                    make_rows_storing(&self.plan, var, entry, decided, slots, stored, &mut rows);
                }
            }
            for row in rows.drain(..) {
                let key = partition_key(&self.partition_by, &row.placeholders);
                if !self.entities.can_join(&self.plan, var, &key, &row) {
                    continue;
                }
                if keep(var, &key) {
                    self.insert(var, row, key);
                    added += 1;
                }
            }
        }
        self.pushed_rows = rows;
        added
    }

    fn insert(&mut self, var: usize, row: Row, key: Vec<Key>) {
        let id = match self.ids.get(&key) {
            Some(id) => *id,
            None => {
                let id = self.next_id;
                self.next_id += 1;
                self.ids.insert(key.clone(), id);
                let partition = Partition {
                    key,
                    rows: (0..self.plan.vars.len()).map(|_| Vec::new()).collect(),
                    windows: VecDeque::new(),
                    last_content: None,
                    last_covers_subsets: false,
                };
                self.partitions.insert(id, partition);
                id
            }
        };
        let Some(partition) = self.partitions.get_mut(&id) else { return };
        let time = row.time();
        let seq = row.entry.seq;
        let mut open = |key: WindowKey| {
            if insert_sorted(&mut partition.windows, key) {
                let close = bounds(&self.window, key).close_at();
                self.schedule.entry(close).or_default().push((id, key));
                self.next_close = self.next_close.min(close);
                self.next_due = self.next_due.min(close);
            }
        };
        match self.window {
            WindowPlan::Sliding { pivot, .. } => {
                if pivot == var {
                    open(WindowKey::Pivot { time, seq });
                }
            }
            // The row changes the rows of a window only where it enters (the first window it
            // falls in) and where it leaves (the first window after it). Other rows open the
            // windows where they change the rows.
            WindowPlan::Hop { length, hop } if !self.reads_bounds => {
                open(WindowKey::Aligned(floor_to(time - length, hop) + hop));
                open(WindowKey::Aligned(floor_to(time, hop) + hop));
            }
            _ => aligned_starts(&self.window, time)
                .into_iter()
                .for_each(|start| open(WindowKey::Aligned(start))),
        }
        if let Some(rows) = partition.rows.get_mut(var) {
            // Events with the same time are ordered by their id rather than by arrival, so
            // that order-dependent outcomes (`array`, `window.first`) do not depend on the
            // order events arrived in.
            let order = row_order(&row);
            // Rows mostly arrive in time order, so the end is tried before a binary search.
            let at = match rows.last() {
                Some(last) if row_order(last) > order => {
                    rows.partition_point(|r| row_order(r) <= order)
                }
                _ => rows.len(),
            };
            rows.insert(at, row);
        }
    }

    /// Closes every window whose end the watermark has passed, and returns the detections that
    /// are final.
    pub(crate) fn advance(&mut self, watermark: i128) -> Vec<Candidate> {
        if watermark < self.next_due {
            return Vec::new();
        }
        let mut out = Vec::new();
        while self.next_close <= watermark {
            let Some((_, mut due)) = self.schedule.pop_first() else {
                self.next_close = i128::MAX;
                break;
            };
            // Windows that close together close in order of partition id and key.
            due.sort_unstable();
            for (id, key) in due {
                let candidates = self.close_window(id, key);
                for (match_key, candidate) in candidates {
                    match self.window {
                        WindowPlan::Hop { .. } => self.dedupe.offer(match_key, candidate),
                        _ => out.push(candidate),
                    }
                }
                self.prune(id, watermark);
            }
            self.next_close =
                self.schedule.first_key_value().map_or(i128::MAX, |(close, _)| *close);
        }
        let length = self.window.length();
        if matches!(self.window, WindowPlan::Hop { .. }) {
            out.extend(self.dedupe.release(watermark, length));
        }
        if watermark.saturating_sub(self.last_sweep) >= length {
            self.sweep(watermark);
            self.last_sweep = watermark;
        }
        self.next_due = self.next_close.min(self.last_sweep.saturating_add(length));
        if matches!(self.window, WindowPlan::Hop { .. }) {
            self.next_due = self.next_due.min(self.dedupe.next_due(length));
        }
        out
    }

    /// Evaluates one window of one partition.
    fn close_window(&mut self, id: u64, key: WindowKey) -> Vec<(Vec<Key>, Candidate)> {
        let plan = Arc::clone(&self.plan);
        let Some(partition) = self.partitions.get_mut(&id) else { return Vec::new() };
        // Windows mostly close oldest first.
        if partition.windows.front() == Some(&key) {
            partition.windows.pop_front();
        } else if let Ok(at) = partition.windows.binary_search(&key) {
            partition.windows.remove(at);
        }
        let bounds = bounds(&self.window, key);
        let pivot = match (self.window, key) {
            (WindowPlan::Sliding { pivot, .. }, WindowKey::Pivot { seq, .. }) => Some((pivot, seq)),
            _ => None,
        };
        // Most windows of a rule joining several variables lack one of them. Outside sliding
        // windows, whose pivot variable is filtered below, the first row at or after the
        // window start shows that before any row is collected. The check after collecting
        // returns the same result.
        if !self.entities.partition_has_required(&partition.key) {
            return Vec::new();
        }
        let mut all_empty = true;
        for (var, var_rows) in partition.rows.iter().enumerate() {
            if self.entities.is_entity(var) {
                continue;
            }
            let from = var_rows.partition_point(|r| r.time() < bounds.start);
            let empty = var_rows.get(from).is_none_or(|r| !bounds.contains(r.time()));
            all_empty &= empty;
            if empty && pivot.is_none() && plan.required.get(var).copied().unwrap_or(true) {
                return Vec::new();
            }
        }
        // A hop window that a row left may contain no row at all. It would not have been opened
        // if every window of every row were, so it is not evaluated even when every variable
        // is optional.
        if all_empty {
            return Vec::new();
        }
        let mut rows: Vec<Vec<RowRef<'_>>> = Vec::with_capacity(plan.vars.len());
        for (var, var_rows) in partition.rows.iter().enumerate() {
            if self.entities.is_entity(var) {
                rows.push(Vec::new());
                continue;
            }
            let from = var_rows.partition_point(|r| r.time() < bounds.start);
            let selected: Vec<RowRef<'_>> = var_rows[from..]
                .iter()
                .take_while(|r| bounds.contains(r.time()))
                .filter(|r| match pivot {
                    Some((pivot_var, seq)) if pivot_var == var => r.entry.seq == seq,
                    _ => true,
                })
                .map(|r| r.row_ref())
                .collect();
            rows.push(selected);
        }
        self.entities.select(&plan, &partition.key, bounds, &mut rows);
        let missing_required = rows
            .iter()
            .enumerate()
            .any(|(v, r)| r.is_empty() && plan.required.get(v).copied().unwrap_or(true));
        if missing_required {
            return Vec::new();
        }
        if matches!(self.window, WindowPlan::Hop { .. }) && !self.reads_bounds {
            // A hop window with the same rows as the last one evaluated gives the same
            // detections, which de-duplication would drop. A window with a subset of those rows
            // is skipped too when the last one's result covers it (see [`super::subsets`]).
            // Row identities are unique, so a subset of the same size is the same rows.
            let identity = |row: &RowRef<'_>| (row.seq, row.copy);
            let skip = partition.last_content.as_ref().is_some_and(|last| {
                let pairs = || last.iter().zip(&rows);
                let subset = last.len() == rows.len()
                    && pairs().all(|(last, rows)| is_subsequence(rows.iter().map(identity), last));
                subset
                    && (partition.last_covers_subsets
                        || pairs().all(|(last, rows)| last.len() == rows.len()))
            });
            if skip {
                return Vec::new();
            }
            // The last content's buffers are reused, since this runs for every hop window.
            let content = partition.last_content.get_or_insert_with(Vec::new);
            content.resize_with(rows.len(), Vec::new);
            for (content, rows) in content.iter_mut().zip(&rows) {
                content.clear();
                content.extend(rows.iter().map(identity));
            }
        }
        let joined = join(&plan, &rows, &self.coverable);
        if joined.truncated {
            self.cut_joins += 1;
        }
        if joined.truncated && self.cut_joins == 1 {
            tracing::warn!(
                rule = %plan.name,
                "a window produced more joined tuples than the engine keeps; some detections \
                 of this rule may be missing"
            );
        }
        let window = Some((timestamp(bounds.start), timestamp(bounds.end)));
        // When every match variable partitions the rows, all rows of the partition have the
        // partition key as their match key, and so has every tuple: they form one group.
        if self.partition_by.len() == plan.match_vars.len() {
            let skip = self.subset_skip;
            if joined.tuples.is_empty() {
                // Fewer rows join into no tuple either.
                partition.last_covers_subsets = skip.after_pass && !joined.truncated;
                return Vec::new();
            }
            // Clears the mark that earlier evaluations on this thread may have left.
            take_sum_may_shrink();
            let candidate = evaluate(&plan, &self.info, &joined.tuples, window);
            let covers = match candidate {
                Some(_) => skip.after_pass,
                None => skip.after_fail && !take_sum_may_shrink(),
            };
            // A cut join may have left out tuples that a subset of its rows would give.
            partition.last_covers_subsets = covers && !joined.truncated;
            return candidate.map(|c| (partition.key.clone(), c)).into_iter().collect();
        }
        let mut groups: BTreeMap<Vec<Key>, Vec<Tuple<'_>>> = BTreeMap::new();
        for tuple in joined.tuples {
            let env = Env {
                plan: &plan,
                rows: &tuple,
                outcomes: &[],
                element: None,
                group: None,
                window: None,
            };
            let match_key: Vec<Key> = plan
                .match_vars
                .iter()
                .zip(&self.match_nocase)
                .map(|((p, _), nocase)| Key::of(env.placeholder_ref(*p), *nocase))
                .collect();
            groups.entry(match_key).or_default().push(tuple);
        }
        let mut out = Vec::new();
        for (match_key, tuples) in groups {
            if let Some(candidate) = evaluate(&plan, &self.info, &tuples, window) {
                out.push((match_key, candidate));
            }
        }
        out
    }

    /// Drops a partition's rows that no open window can reach, and the partition when nothing
    /// is left in it.
    fn prune(&mut self, id: u64, watermark: i128) {
        let horizon = horizon(&self.window, watermark);
        let Some(partition) = self.partitions.get_mut(&id) else { return };
        if prune_rows(partition, &self.window, horizon) {
            if let Some(partition) = self.partitions.remove(&id) {
                self.ids.remove(&partition.key);
            }
        }
    }

    /// Prunes every partition; run about once per window length of event time.
    fn sweep(&mut self, watermark: i128) {
        let horizon = horizon(&self.window, watermark);
        let window = self.window;
        let ids = &mut self.ids;
        self.partitions.retain(|_, partition| {
            let empty = prune_rows(partition, &window, horizon);
            if empty {
                ids.remove(&partition.key);
            }
            !empty
        });
    }

    /// Rows and held detections, for the state-size metric.
    pub(crate) fn state_size(&self) -> usize {
        let rows: usize =
            self.partitions.values().map(|p| p.rows.iter().map(Vec::len).sum::<usize>()).sum();
        rows + self.dedupe.len()
    }
}

/// Drops the partition's rows that no open window can reach, given the rule's horizon at the
/// watermark, and returns whether the partition is left with no row and no open window.
fn prune_rows(partition: &mut Partition, window: &WindowPlan, horizon: i128) -> bool {
    let oldest_open = partition.windows.front().map(|key| bounds(window, *key).start);
    let keep_from = oldest_open.map_or(horizon, |start| start.min(horizon));
    for rows in &mut partition.rows {
        let cut = rows.partition_point(|r| r.time() < keep_from);
        rows.drain(..cut);
    }
    partition.windows.is_empty() && partition.rows.iter().all(Vec::is_empty)
}

/// Adds `key` to the sorted `windows` and returns whether it was missing. The search starts
/// at the back, since rows mostly arrive in time order.
fn insert_sorted(windows: &mut VecDeque<WindowKey>, key: WindowKey) -> bool {
    // The place after the last window at or before `key`, searched from the back.
    let at = windows.iter().rposition(|open| *open <= key).map_or(0, |before| before + 1);
    if at > 0 && windows.get(at - 1) == Some(&key) {
        return false;
    }
    windows.insert(at, key);
    true
}

/// Returns the sort key of rows within a variable: time, event id, sequence number, copy.
fn row_order(row: &Row) -> (i128, &str, u64, u32) {
    (row.time(), row.entry.id(), row.entry.seq, row.copy)
}

/// Marks, per event variable and slot, the slots that an expression evaluated over stored rows
/// reads: a join key, a cross-variable filter, an outcome or the condition. The variable's own
/// filters and placeholder bindings run while its rows are built, so the slots that only they
/// read need not be kept.
pub(crate) fn stored_slots(plan: &Plan) -> Vec<Vec<bool>> {
    let mut stored: Vec<Vec<bool>> =
        plan.vars.iter().map(|var| vec![false; var.slot_zero.len()]).collect();
    let mut mark = |e: &CExpr| {
        if let CExpr::Slot { var, slot } = e {
            if let Some(cell) = stored.get_mut(*var).and_then(|slots| slots.get_mut(*slot)) {
                *cell = true;
            }
        }
    };
    for expr in plan.stored_exprs() {
        expr.walk(&mut mark);
    }
    stored
}

/// Returns whether any expression of the rule reads `window_start` or `window_end`.
fn reads_window_bounds(plan: &Plan) -> bool {
    let mut found = false;
    let mut visit = |e: &CExpr| {
        if matches!(e, CExpr::WindowStart | CExpr::WindowEnd) {
            found = true;
        }
    };
    let filters = plan.vars.iter().flat_map(|v| v.filters.iter().chain(&v.late_filters));
    for expr in filters
        .chain(plan.cross_filters.iter().map(|f| &f.expr))
        .chain(plan.outcomes.iter().map(|(_, e)| e))
        .chain(plan.condition.as_ref())
    {
        expr.walk(&mut visit);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_sorted_keeps_order_once() {
        let mut windows = VecDeque::new();
        for start in [30, 10, 20, 40, 20, 5, 40, 10] {
            insert_sorted(&mut windows, WindowKey::Aligned(start));
        }
        let starts: Vec<WindowKey> = [5, 10, 20, 30, 40].map(WindowKey::Aligned).to_vec();
        assert_eq!(windows, starts);
    }

    #[test]
    fn insert_sorted_returns_whether_added() {
        let mut windows = VecDeque::new();
        assert!(insert_sorted(&mut windows, WindowKey::Aligned(10)));
        assert!(!insert_sorted(&mut windows, WindowKey::Aligned(10)));
        assert!(insert_sorted(&mut windows, WindowKey::Aligned(0)));
        assert!(!insert_sorted(&mut windows, WindowKey::Aligned(0)));
        let pivot = WindowKey::Pivot { time: 0, seq: 1 };
        assert!(insert_sorted(&mut windows, pivot));
        assert!(!insert_sorted(&mut windows, pivot));
    }
}
