//! Dispatch of events to the event variables whose filters can match them.
//!
//! Most filters of a rule test fields that occur once per event, such as
//! `$e.metadata.event_type = "USER_LOGIN"` or `$e.metadata.log_type = "OKTA"`. Such a filter
//! has the same value on every repeated-field copy of the event, so it can be decided once,
//! from a few field reads, before the event is expanded into copies. A [`Gate`] holds those
//! filters for one event variable, and [`Dispatch`] indexes the gates of every rule by the
//! `metadata.event_type` values they accept, so that an event is only tested against the
//! variables that can take it.
//!
//! A gate only rejects: when it lets an event through, the variable's full filters still run.
//! A filter that reads a repeated field, a whole list, a map value or a placeholder is not in
//! the gate, and neither is a filter over a path that turns out to cross a repeated field in
//! the event at hand.

use crate::fast_hash::HashMap;
use std::sync::Arc;

use udm::{Event, Value};
use yaral::ast::{CompareOp, ListMatch};

use crate::eval::expr::{test, Env, RowRef, Slots};
use crate::eval::fields::{read_scalar, NULL};
use crate::plan::ir::{CExpr, Seg};
use crate::plan::Plan;

/// The number of slots and placeholders up to which [`Gate::decide`] keeps its buffers on
/// the stack.
const INLINE: usize = 16;

/// The number of event variables up to which [`Gate::decide`] builds the rows of a test on
/// the stack. Rules seldom have more, and a row is large to clear.
const INLINE_ROWS: usize = 4;

/// The placeholder values of a row that has assigned none yet.
static NO_PLACEHOLDERS: [Option<Value>; INLINE] = [const { None }; INLINE];

/// The path of `metadata.event_type`, the field the index is keyed by.
const EVENT_TYPE: [&str; 2] = ["metadata", "event_type"];

/// A set of the filters of one event variable, by index, that passed on every copy of an
/// event, so that building its rows need not run them again. Only the first 64 filters are
/// counted; a filter past them is always run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Decided(u64);

impl Decided {
    /// No filter decided.
    pub(crate) const NONE: Decided = Decided(0);

    fn add(&mut self, filter: usize) {
        if let Some(bit) = u32::try_from(filter).ok().and_then(|f| 1u64.checked_shl(f)) {
            self.0 |= bit;
        }
    }

    /// Returns whether filter `index` is in the set.
    pub(crate) fn contains(self, index: usize) -> bool {
        u32::try_from(index)
            .ok()
            .and_then(|i| 1u64.checked_shl(i))
            .is_some_and(|bit| self.0 & bit != 0)
    }
}

/// One filter that a single read of each of its fields decides.
#[derive(Debug, Clone)]
struct Check {
    /// The filter's index in its variable's filters.
    filter: usize,
    expr: CExpr,
    /// The slots the filter reads, with their paths.
    reads: Vec<(usize, Vec<Seg>)>,
    /// The check's place in a [`Memo`]: checks of any gate of the [`Dispatch`] that test the
    /// same thing share it.
    key: usize,
}

/// The results of a [`Dispatch`]'s checks on one event, by [`Check::key`]. Rules often
/// repeat a test (`$e.metadata.log_type = "SALESFORCE"`, `not $e.principal.ip in cidr %LIST`),
/// and with a memo it runs once per event, whichever gates contain it.
pub(crate) struct Memo {
    found: Vec<Found>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    NotRun,
    Passes,
    Fails,
    /// A field read crosses a repeated field in this event, so the check is left to the rows.
    Undecidable,
}

impl Memo {
    fn get(&self, key: usize) -> Found {
        self.found.get(key).copied().unwrap_or(Found::NotRun)
    }

    fn set(&mut self, key: usize, found: Found) {
        if let Some(cell) = self.found.get_mut(key) {
            *cell = found;
        }
    }
}

/// Spells out a check as text that two checks share exactly when they test the same thing.
/// The text has the expression with its slots named by their place in `reads`, then the paths
/// read with the values a missing field reads as (`zeros`, by slot). Lists are named by their
/// address, and regexes by their pattern and case flag, which is all their compilation takes.
/// Returns `None` for an expression with a part that is not spelled out here, so that the
/// check shares with no other.
fn check_key(expr: &CExpr, reads: &[(usize, Vec<Seg>)], zeros: &[Value]) -> Option<String> {
    let mut key = String::new();
    write_key(expr, reads, &mut key)?;
    for (slot, path) in reads {
        key.push_str(&format!(" {path:?}={:?}", zeros.get(*slot)));
    }
    Some(key)
}

fn write_key(expr: &CExpr, reads: &[(usize, Vec<Seg>)], out: &mut String) -> Option<()> {
    use std::fmt::Write;
    let all = |items: &[CExpr], out: &mut String| -> Option<()> {
        for item in items {
            write_key(item, reads, out)?;
            out.push(',');
        }
        Some(())
    };
    match expr {
        CExpr::Lit(value) => write!(out, "lit({value:?})").ok()?,
        CExpr::Slot { slot, .. } => {
            let at = reads.iter().position(|(s, _)| s == slot)?;
            write!(out, "read({at})").ok()?;
        }
        CExpr::Not(inner) => {
            out.push_str("not(");
            write_key(inner, reads, out)?;
            out.push(')');
        }
        CExpr::And(a, b) | CExpr::Or(a, b) => {
            out.push_str(if matches!(expr, CExpr::And(..)) { "and(" } else { "or(" });
            write_pair(a, b, reads, out)?;
        }
        CExpr::Compare { op, lhs, rhs, nocase } => {
            write!(out, "cmp({op:?},{nocase},").ok()?;
            write_pair(lhs, rhs, reads, out)?;
        }
        CExpr::RegexMatch { expr, regex, negate, nocase } => {
            write!(out, "re({:?},{nocase},{negate},", regex.as_str()).ok()?;
            write_key(expr, reads, out)?;
            out.push(')');
        }
        CExpr::Arith { op, lhs, rhs } => {
            write!(out, "arith({op:?},").ok()?;
            write_pair(lhs, rhs, reads, out)?;
        }
        CExpr::TimePart { expr, nanos } => {
            write!(out, "time({nanos},").ok()?;
            write_key(expr, reads, out)?;
            out.push(')');
        }
        CExpr::Call { func, args, nocase, regex } => {
            let pattern = regex.as_ref().map(|r| r.as_str());
            write!(out, "call({func:?},{nocase},{pattern:?},").ok()?;
            all(args, out)?;
            out.push(')');
        }
        CExpr::InList { expr, list, kind, nocase } => {
            write!(out, "in({:p},{kind:?},{nocase},", Arc::as_ptr(list)).ok()?;
            write_key(expr, reads, out)?;
            out.push(')');
        }
        CExpr::InLiteral { expr, items, nocase } => {
            write!(out, "in_literal({nocase},").ok()?;
            write_key(expr, reads, out)?;
            out.push(',');
            all(items, out)?;
            out.push(')');
        }
        CExpr::Array(items) => {
            out.push_str("array(");
            all(items, out)?;
            out.push(')');
        }
        _ => return None,
    }
    Some(())
}

/// Writes the keys of two operands and the closing parenthesis of their expression.
fn write_pair(a: &CExpr, b: &CExpr, reads: &[(usize, Vec<Seg>)], out: &mut String) -> Option<()> {
    write_key(a, reads, out)?;
    out.push(',');
    write_key(b, reads, out)?;
    out.push(')');
    Some(())
}

/// The filters of one event variable that can be decided before expansion.
#[derive(Debug, Clone)]
pub(crate) struct Gate {
    pub rule: usize,
    pub var: usize,
    checks: Vec<Check>,
    /// The `metadata.event_type` numbers the variable accepts, when a filter pins them.
    event_types: Option<Vec<i32>>,
    /// The strings of every filter that [`filter_strings`] takes: a record must contain one
    /// string of each for the variable to make a row from it.
    string_sets: Vec<Vec<String>>,
}

impl Gate {
    fn new(plan: &Plan, rule: usize, var: usize) -> Gate {
        let Some(var_plan) = plan.vars.get(var) else {
            return Gate {
                rule,
                var,
                checks: Vec::new(),
                event_types: None,
                string_sets: Vec::new(),
            };
        };
        let paths: HashMap<usize, Vec<Seg>> = var_plan.trie.slot_paths().into_iter().collect();
        let string_sets: Vec<Vec<String>> = var_plan
            .filters
            .iter()
            .filter_map(|filter| filter_strings(filter, var, &paths))
            .collect();
        let mut checks = Vec::new();
        let mut event_types = None;
        for (index, filter) in var_plan.filters.iter().enumerate() {
            let Some(slots) = scalar_slots(filter, var) else { continue };
            let Some(reads) = slots.iter().map(|s| paths.get(s).map(|p| (*s, p.clone()))).collect()
            else {
                continue;
            };
            let reads: Vec<(usize, Vec<Seg>)> = reads;
            if event_types.is_none() {
                if let [(slot, path)] = reads.as_slice() {
                    if is_event_type(path) {
                        event_types = event_type_numbers(filter, *slot);
                    }
                }
            }
            checks.push(Check { filter: index, expr: filter.clone(), reads, key: 0 });
        }
        Gate { rule, var, checks, event_types, string_sets }
    }

    /// Strings of which a native UDM JSON record must contain one, JSON-encoded, for the
    /// variable to make a row from it; `None` when no filter of the gate pins one.
    ///
    /// A filter qualifies when it is `field = "text"`, an `or` of such tests on one field, or
    /// `field in ("a", "b")`, without `nocase`, on a UDM `string` field. The UDM reader copies
    /// such a field from a JSON string and nothing else, so the text occurs in the record
    /// unless the record escapes one of its characters differently; see [`RawFilter`].
    /// Enum fields do not qualify, since a record may give an enum by number, and neither do
    /// the `ip_geo_artifact` fields, which enrichment fills after reading.
    ///
    /// [`RawFilter`]: crate::RawFilter
    ///
    /// When no such filter is in the gate, the strings come from a filter over any `string`
    /// field, repeated ones included, that [`filter_strings`] takes.
    pub(crate) fn required_strings(&self) -> Option<Vec<String>> {
        self.checks
            .iter()
            .find_map(|check| {
                let [(slot, path)] = check.reads.as_slice() else { return None };
                if !is_raw_string_field(path) {
                    return None;
                }
                string_literals(&check.expr, *slot)
            })
            .or_else(|| self.string_sets.first().cloned())
    }

    /// Every set of strings of which a native UDM JSON record must contain one for the variable
    /// to make a row from it: [`Gate::required_strings`] first, then those of the other filters
    /// that [`filter_strings`] takes. `None` when the gate has no such set.
    pub(crate) fn required_sets(&self) -> Option<Vec<Vec<String>>> {
        let first = self.required_strings()?;
        let mut sets = vec![first];
        for set in &self.string_sets {
            if !sets.contains(set) {
                sets.push(set.clone());
            }
        }
        Some(sets)
    }

    /// Returns the test that indexes the gate by text when it accepts any event type: a field
    /// and the texts of which it must equal one. It is one of [`Gate::text_tests`], other than
    /// the event type's, on a path that crosses no repeated field. Of several, the one with
    /// the fewest texts is chosen.
    fn index_test(&self) -> Option<(Vec<Seg>, Vec<String>)> {
        self.text_tests()
            .into_iter()
            .filter(|(names, _)| names.as_slice() != EVENT_TYPE)
            .filter(|(names, _)| {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                udm::schema::resolve(udm::schema::event(), &names)
                    .is_ok_and(|resolved| resolved.repeated_count == 0)
            })
            .min_by_key(|(_, texts)| texts.len())
            .map(|(names, texts)| {
                (names.into_iter().map(|name| Seg::Field(name.into())).collect(), texts)
            })
    }

    /// The gate's tests that a column's value range can decide: per test, the field path and
    /// the texts of which the field must equal one.
    ///
    /// A test qualifies when [`Gate::required_strings`] would take it (a case-sensitive
    /// equality, `or` of equalities or `in` list of string literals on a UDM `string` field),
    /// or when it pins `metadata.event_type`, whose texts are then every name of the accepted
    /// numbers. A test that an empty text passes is left out, because a missing field reads
    /// as the empty text.
    pub(crate) fn text_tests(&self) -> Vec<(Vec<String>, Vec<String>)> {
        let mut tests = Vec::new();
        for check in &self.checks {
            let [(slot, path)] = check.reads.as_slice() else { continue };
            let Some(names) = field_names(path) else { continue };
            let texts = if is_event_type(path) {
                event_type_numbers(&check.expr, *slot)
                    .and_then(|numbers| event_type_names(&numbers))
            } else if is_raw_string_field(path) {
                string_literals(&check.expr, *slot)
            } else {
                None
            };
            if let Some(texts) = texts.filter(|t| !t.iter().any(String::is_empty)) {
                tests.push((names, texts));
            }
        }
        tests
    }

    /// Runs the gate's checks: returns `None` only when a filter of the gate fails on the
    /// event, so that the variable can make no row from it. Otherwise returns the filters the
    /// gate decided: those that read only fields occurring at most once in the event, and so
    /// pass on every copy of it.
    ///
    /// `memo` has the results of the checks of the same [`Dispatch`]'s gates on the event so far.
    pub(crate) fn decide(
        &self,
        plan: &Plan,
        event: &Arc<Event>,
        memo: &mut Memo,
    ) -> Option<Decided> {
        let var_plan = plan.vars.get(self.var)?;
        // The buffers live on the stack when the rule is small enough, as most are, because
        // this runs for every event and candidate gate.
        let slot_count = var_plan.slot_zero.len();
        let mut inline_slots: [&Value; INLINE] = [&NULL; INLINE];
        let mut heap_slots: Vec<&Value>;
        let slots: &mut [&Value] = match inline_slots.get_mut(..slot_count) {
            Some(inline) => inline,
            None => {
                heap_slots = vec![&NULL; slot_count];
                &mut heap_slots
            }
        };
        let placeholder_count = plan.placeholders.len();
        let heap_placeholders: Vec<Option<Value>>;
        let placeholders: &[Option<Value>] = match NO_PLACEHOLDERS.get(..placeholder_count) {
            Some(none) => none,
            None => {
                heap_placeholders = vec![None; placeholder_count];
                &heap_placeholders
            }
        };
        let mut decided = Decided::NONE;
        for check in &self.checks {
            match memo.get(check.key) {
                Found::Passes => {
                    decided.add(check.filter);
                    continue;
                }
                Found::Fails => return None,
                Found::Undecidable => continue,
                Found::NotRun => {}
            }
            let mut decidable = true;
            for (slot, path) in &check.reads {
                match read_scalar(event, path) {
                    Some(value) => {
                        if let Some(cell) = slots.get_mut(*slot) {
                            *cell = value;
                        }
                    }
                    None => {
                        decidable = false;
                        break;
                    }
                }
            }
            if !decidable {
                memo.set(check.key, Found::Undecidable);
                continue;
            }
            let row = RowRef {
                event,
                seq: 0,
                copy: 0,
                slots: Slots::Borrowed(slots),
                placeholders,
                reads: None,
                entry: None,
            };
            if !self.test_row(plan, row, &check.expr) {
                memo.set(check.key, Found::Fails);
                return None;
            }
            memo.set(check.key, Found::Passes);
            decided.add(check.filter);
        }
        Some(decided)
    }

    /// Tests a filter with `row` as the row of the gate's variable and no row for the others.
    fn test_row(&self, plan: &Plan, row: RowRef<'_>, expr: &CExpr) -> bool {
        let var_count = plan.vars.len();
        let mut inline_rows: [Option<RowRef<'_>>; INLINE_ROWS] = [None; INLINE_ROWS];
        let mut heap_rows: Vec<Option<RowRef<'_>>>;
        let rows: &mut [Option<RowRef<'_>>] = match inline_rows.get_mut(..var_count) {
            Some(inline) => inline,
            None => {
                heap_rows = vec![None; var_count];
                &mut heap_rows
            }
        };
        if let Some(cell) = rows.get_mut(self.var) {
            *cell = Some(row);
        }
        let env = Env { plan, rows, outcomes: &[], element: None, group: None, window: None };
        test(expr, &env)
    }
}

/// The gates of every event variable of a set of rules, indexed by event type. Entity and
/// data-table variables have no gate.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dispatch {
    gates: Vec<Gate>,
    /// Gates by an event type number they accept, for gates in no [`TextIndex`].
    by_event_type: HashMap<i32, Vec<usize>>,
    /// Gates that accept any event type and are in no [`TextIndex`].
    any_event_type: Vec<usize>,
    /// Gates that accept any event type but pin a single-valued string field, by that field.
    text_indexes: Vec<TextIndex>,
    /// Gates that accept some event types and also pin a single-valued string field, such as
    /// `metadata.log_type`: per event type number they accept, by that field. Several rules
    /// often take one event type from different log sources, and this keeps the gates of the
    /// other sources from being tried.
    typed_text_indexes: HashMap<i32, Vec<TextIndex>>,
    /// The number of distinct [`Check::key`]s.
    keys: usize,
}

/// Gates that each accept an event only when one `string` field, single-valued on every path
/// to it, equals one of a few texts, indexed by those texts.
#[derive(Debug, Clone)]
struct TextIndex {
    path: Vec<Seg>,
    by_text: HashMap<String, Vec<usize>>,
    /// Every gate of the index, for an event whose field is not one text.
    all: Vec<usize>,
}

impl TextIndex {
    /// Appends the ids of the index's gates that may admit the event.
    fn add_candidates(&self, event: &Event, ids: &mut Vec<usize>) {
        // The gates' own checks read the field the same way, so a gate left out here would
        // have rejected the event.
        match read_scalar(event, &self.path) {
            Some(Value::String(text)) => {
                if let Some(more) = self.by_text.get(text.as_str()) {
                    ids.extend_from_slice(more);
                }
            }
            // A missing field reads as the empty text, which no indexed test takes.
            Some(Value::Null) => {}
            _ => ids.extend_from_slice(&self.all),
        }
    }
}

/// Adds gate `id`, which accepts only events whose field at `path` is one of `texts`, to the
/// index of that field among `indexes`.
fn index_text(indexes: &mut Vec<TextIndex>, id: usize, path: Vec<Seg>, texts: Vec<String>) {
    let at = match indexes.iter().position(|index| index.path == path) {
        Some(at) => at,
        None => {
            indexes.push(TextIndex { path, by_text: HashMap::default(), all: Vec::new() });
            indexes.len() - 1
        }
    };
    let index = &mut indexes[at];
    for text in texts {
        let ids = index.by_text.entry(text).or_default();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    index.all.push(id);
}

impl Dispatch {
    /// Every gate, in rule and variable order.
    pub(crate) fn gates(&self) -> &[Gate] {
        &self.gates
    }

    pub(crate) fn new(plans: &[&Plan]) -> Dispatch {
        let mut dispatch = Dispatch::default();
        let mut keys: HashMap<String, usize> = HashMap::default();
        for (rule, plan) in plans.iter().enumerate() {
            for var in 0..plan.vars.len() {
                // Entity and data-table variables take their rows from records loaded before
                // the events, never from events.
                if plan.vars.get(var).is_some_and(|v| !v.source.reads_events()) {
                    continue;
                }
                let mut gate = Gate::new(plan, rule, var);
                let zeros = plan.vars.get(var).map_or(&[][..], |v| v.slot_zero.as_slice());
                for check in &mut gate.checks {
                    check.key = match check_key(&check.expr, &check.reads, zeros) {
                        Some(text) => *keys.entry(text).or_insert(dispatch.keys),
                        None => dispatch.keys,
                    };
                    if check.key == dispatch.keys {
                        dispatch.keys += 1;
                    }
                }
                let id = dispatch.gates.len();
                match (&gate.event_types, gate.index_test()) {
                    (Some(numbers), Some((path, texts))) => {
                        for number in numbers {
                            let indexes = dispatch.typed_text_indexes.entry(*number).or_default();
                            index_text(indexes, id, path.clone(), texts.clone());
                        }
                    }
                    (Some(numbers), None) => {
                        for number in numbers {
                            dispatch.by_event_type.entry(*number).or_default().push(id);
                        }
                    }
                    (None, Some((path, texts))) => {
                        index_text(&mut dispatch.text_indexes, id, path, texts)
                    }
                    (None, None) => dispatch.any_event_type.push(id),
                }
                dispatch.gates.push(gate);
            }
        }
        dispatch
    }

    /// Returns an empty memo for [`Gate::decide`] over one event.
    pub(crate) fn memo(&self) -> Memo {
        Memo { found: vec![Found::NotRun; self.keys] }
    }

    /// Returns whether the gate with the id is tried on every event: it accepts any event type
    /// and is in no [`TextIndex`].
    pub(crate) fn is_unindexed(&self, id: usize) -> bool {
        self.any_event_type.contains(&id)
    }

    /// Returns the gate with the id, which is its position in [`Dispatch::gates`].
    pub(crate) fn gate(&self, id: usize) -> Option<&Gate> {
        self.gates.get(id)
    }

    /// The gates that may admit the event, in rule and variable order. Only the index is
    /// consulted here; [`Gate::decide`] runs the remaining checks.
    pub(crate) fn candidates(&self, event: &Event) -> Vec<&Gate> {
        let ids = self.candidate_ids(event);
        ids.into_iter().filter_map(|id| self.gates.get(id)).collect()
    }

    /// The ids of the gates that [`Dispatch::candidates`] returns, ascending.
    pub(crate) fn candidate_ids(&self, event: &Event) -> Vec<usize> {
        let event_type = event
            .root
            .get(EVENT_TYPE[0])
            .and_then(Value::as_message)
            .and_then(|m| m.get(EVENT_TYPE[1]));
        match event_type {
            // Only an enum value is looked up: a string or a missing field compares as text,
            // which the index does not model, so every gate is tried.
            Some(Value::Enum(value)) => {
                let typed = self.by_event_type.get(&value.number).map_or(&[][..], Vec::as_slice);
                let mut ids = Vec::with_capacity(self.any_event_type.len() + typed.len());
                ids.extend_from_slice(&self.any_event_type);
                ids.extend_from_slice(typed);
                let typed_texts = self.typed_text_indexes.get(&value.number);
                for index in self.text_indexes.iter().chain(typed_texts.into_iter().flatten()) {
                    index.add_candidates(event, &mut ids);
                }
                // A gate is in one index for the event's type, under one text of the field, so
                // no id comes twice.
                ids.sort_unstable();
                ids
            }
            _ => (0..self.gates.len()).collect(),
        }
    }
}

/// The slots of `var` that the filter reads, when it reads nothing else of any event: no
/// whole list, map value, quantified field, placeholder, outcome or aggregate.
fn scalar_slots(expr: &CExpr, var: usize) -> Option<Vec<usize>> {
    let mut slots = Vec::new();
    let mut ok = true;
    expr.walk(&mut |e| match e {
        CExpr::Slot { var: v, slot } if *v == var && !slots.contains(slot) => slots.push(*slot),
        CExpr::Slot { var: v, .. } if *v == var => {}
        CExpr::Slot { .. }
        | CExpr::FieldList { .. }
        | CExpr::MapValue { .. }
        | CExpr::Element
        | CExpr::Quantified { .. }
        | CExpr::Placeholder(_)
        | CExpr::Outcome(_)
        | CExpr::EventExists(_)
        | CExpr::EventCount(_)
        | CExpr::PlaceholderCount(_)
        | CExpr::Aggregate { .. }
        | CExpr::WindowStart
        | CExpr::WindowEnd => ok = false,
        _ => {}
    });
    (ok && !slots.is_empty()).then_some(slots)
}

/// Whether the path is a UDM `string` field that the UDM reader fills from the record as it
/// is, and enrichment does not write.
fn is_raw_string_field(path: &[Seg]) -> bool {
    let mut names = Vec::with_capacity(path.len());
    for seg in path {
        let Seg::Field(name) = seg else { return false };
        if &**name == "ip_geo_artifact" {
            return false;
        }
        names.push(&**name);
    }
    udm::schema::resolve(udm::schema::event(), &names)
        .is_ok_and(|resolved| matches!(resolved.kind, udm::schema::FieldKind::String))
}

/// The string literals of a case-sensitive equality, `or` of equalities or `in` list on the
/// slot, when the filter is one of those and every literal is a string.
fn string_literals(expr: &CExpr, slot: usize) -> Option<Vec<String>> {
    let literal = |lit: &CExpr| match lit {
        CExpr::Lit(Value::String(text)) => Some(text.to_string()),
        _ => None,
    };
    let is_slot = |e: &CExpr| matches!(e, CExpr::Slot { slot: s, .. } if *s == slot);
    match expr {
        CExpr::Compare { op: CompareOp::Eq, lhs, rhs, nocase: false } => {
            if is_slot(lhs) {
                literal(rhs).map(|text| vec![text])
            } else if is_slot(rhs) {
                literal(lhs).map(|text| vec![text])
            } else {
                None
            }
        }
        CExpr::Or(a, b) => {
            let mut texts = string_literals(a, slot)?;
            texts.extend(string_literals(b, slot)?);
            Some(texts)
        }
        CExpr::InLiteral { expr, items, nocase: false } if is_slot(expr) => {
            items.iter().map(literal).collect()
        }
        _ => None,
    }
}

/// Entries of a reference list beyond which a list adds no strings to the raw-record test: a
/// very long list makes that test cost more than parsing.
const MAX_LIST_STRINGS: usize = 10_000;

/// Returns the strings of which one must occur in a native UDM record for the filter to pass.
/// The filter qualifies when it is a case-sensitive equality with a string literal, an `in`
/// list of string literals, an exact `in %list` test, a regex search whose every match starts
/// with one of a few strings (see [`regex_strings`]), or an `or` of such tests. Each test must
/// read a slot of `var` whose path is a raw `string` field (see [`is_raw_string_field`]).
///
/// Each value that passes such a test is the whole text of one of the field's values, or
/// contains a match of the regex, so the record contains one of the strings. A missing field
/// reads as the empty text, and an empty string among the results makes the raw test pass
/// every record, as it must then.
fn filter_strings(
    expr: &CExpr,
    var: usize,
    paths: &HashMap<usize, Vec<Seg>>,
) -> Option<Vec<String>> {
    let raw_slot = |e: &CExpr| match e {
        CExpr::Slot { var: v, slot } if *v == var => {
            paths.get(slot).filter(|path| is_raw_string_field(path)).map(|_| *slot)
        }
        _ => None,
    };
    match expr {
        CExpr::Or(a, b) => {
            let mut texts = filter_strings(a, var, paths)?;
            texts.extend(filter_strings(b, var, paths)?);
            Some(texts)
        }
        CExpr::Compare { lhs, rhs, .. } => {
            let slot = raw_slot(lhs).or_else(|| raw_slot(rhs))?;
            string_literals(expr, slot)
        }
        CExpr::InLiteral { expr: operand, .. } => string_literals(expr, raw_slot(operand)?),
        CExpr::InList { expr: operand, list, kind: ListMatch::Exact, nocase: false } => {
            raw_slot(operand)?;
            (list.len() <= MAX_LIST_STRINGS).then(|| list.entries().to_vec())
        }
        CExpr::RegexMatch { expr: operand, regex, negate: false, nocase } => {
            raw_slot(operand)?;
            regex_strings(regex.as_str(), *nocase)
        }
        _ => None,
    }
}

/// Strings beyond which a regex adds none to the raw-record test.
const MAX_REGEX_STRINGS: usize = 64;

/// Returns strings of which every match of the regex starts with one, when there are at most
/// [`MAX_REGEX_STRINGS`] of them and none is empty: `^adm` without case gives the eight
/// spellings of `adm`, `^(ApiEvent|RestApi)$` its two words. `pattern` and `nocase` are as the
/// regex was compiled, so the strings follow its case folding.
fn regex_strings(pattern: &str, nocase: bool) -> Option<Vec<String>> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(nocase)
        .octal(true)
        .build()
        .parse(pattern)
        .ok()?;
    let mut extractor = regex_syntax::hir::literal::Extractor::new();
    extractor.limit_total(MAX_REGEX_STRINGS);
    let prefixes = extractor.extract(&hir);
    let literals = prefixes.literals()?;
    if literals.is_empty() || literals.len() > MAX_REGEX_STRINGS {
        return None;
    }
    literals
        .iter()
        .map(|literal| {
            let text = std::str::from_utf8(literal.as_bytes()).ok()?;
            (!text.is_empty()).then(|| text.to_owned())
        })
        .collect()
}

/// The field names of a path that has no list index or map key.
fn field_names(path: &[Seg]) -> Option<Vec<String>> {
    path.iter()
        .map(|seg| match seg {
            Seg::Field(name) => Some(name.to_string()),
            Seg::Index(_) | Seg::Key(_) => None,
        })
        .collect()
}

/// Every name of the UDM event types with the given numbers, aliases included.
fn event_type_names(numbers: &[i32]) -> Option<Vec<String>> {
    let resolved = udm::schema::resolve(udm::schema::event(), &EVENT_TYPE).ok()?;
    let udm::schema::FieldKind::Enum(enum_type) = resolved.kind else { return None };
    let names: Vec<String> = enum_type
        .values()
        .filter(|value| numbers.contains(&value.number))
        .map(|value| value.name.to_owned())
        .collect();
    (!names.is_empty()).then_some(names)
}

fn is_event_type(path: &[Seg]) -> bool {
    matches!(path, [Seg::Field(a), Seg::Field(b)] if **a == *EVENT_TYPE[0] && **b == *EVENT_TYPE[1])
}

/// The event type numbers a filter on the event type slot accepts, when it is an equality
/// with a known event type name, an `or` of such equalities, or an `in` list of them.
///
/// An enum compares equal to a string literal when the literal is its name or names a value
/// with its number, so an event passes the filter exactly when its number is in the set.
fn event_type_numbers(expr: &CExpr, slot: usize) -> Option<Vec<i32>> {
    let literal_number = |lit: &CExpr| -> Option<i32> {
        match lit {
            CExpr::Lit(Value::String(name)) => crate::eval::event_types::number(name),
            CExpr::Lit(Value::Enum(value)) => Some(value.number),
            _ => None,
        }
    };
    let is_slot = |e: &CExpr| matches!(e, CExpr::Slot { slot: s, .. } if *s == slot);
    match expr {
        CExpr::Compare { op: CompareOp::Eq, lhs, rhs, nocase: false } => {
            if is_slot(lhs) {
                literal_number(rhs).map(|n| vec![n])
            } else if is_slot(rhs) {
                literal_number(lhs).map(|n| vec![n])
            } else {
                None
            }
        }
        CExpr::Or(a, b) => {
            let mut numbers = event_type_numbers(a, slot)?;
            numbers.extend(event_type_numbers(b, slot)?);
            Some(numbers)
        }
        CExpr::InLiteral { expr, items, nocase: false } if is_slot(expr) => {
            items.iter().map(literal_number).collect()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::regex_strings;
    use crate::functions::re::compile;

    /// Asserts that every haystack the regex matches contains one of the strings
    /// `regex_strings` gives, and returns them.
    fn check(pattern: &str, nocase: bool, haystacks: &[&str]) -> Option<Vec<String>> {
        let regex = compile(pattern, nocase).expect("a valid pattern");
        let strings = regex_strings(regex.as_str(), nocase)?;
        for haystack in haystacks {
            if regex.is_match(haystack) {
                assert!(
                    strings.iter().any(|s| haystack.contains(s.as_str())),
                    "{pattern} (nocase {nocase}) matches {haystack:?} without any of {strings:?}"
                );
            }
        }
        Some(strings)
    }

    #[test]
    fn regex_strings_start_every_match() {
        let haystacks = [
            "admin",
            "ADMIN",
            "xAdMin",
            "bob",
            "ApiEvent",
            "apievent",
            "RestApi",
            "export report",
            "EXPORT",
            "Report Export",
            "connected app",
            "OAuth",
            "oauth2",
            "\u{212a}elvin",
            "kelvin",
            "KELVIN",
            "ſecret",
            "SECRET",
            "secret",
            "a.b",
            "axb",
            "é",
            "É",
            "",
        ];
        let cases: &[(&str, bool)] = &[
            ("^adm", true),
            ("^adm", false),
            ("^(ApiEvent|RestApi)$", false),
            ("export", true),
            ("remote access|oauth|openid|connected app", true),
            ("kelvin", true),
            ("secret", true),
            (r"a\.b", false),
            (r"^\Qa.b\E$", false),
            ("é", true),
            (r"\bexport\b", true),
            ("(?i)report", false),
            ("rep(ort)?", false),
        ];
        for &(pattern, nocase) in cases {
            let strings = check(pattern, nocase, &haystacks);
            assert!(strings.is_some(), "{pattern} should give strings");
        }
        let eight = check("^adm", true, &haystacks).unwrap_or_default();
        assert_eq!(eight.len(), 8, "{eight:?}");
    }

    #[test]
    fn loose_regexes_give_no_strings() {
        for pattern in ["a*", ".*admin", "[^x]dm", "", "x?", r"\w+", "(a|)"] {
            let regex = compile(pattern, false).expect("a valid pattern");
            assert_eq!(regex_strings(regex.as_str(), false), None, "{pattern}");
        }
    }
}
