//! Dropping events that no rule can use, before they are sorted and correlated.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use udm::{Event, Str};

use crate::dispatch::{Decided, Dispatch};
use crate::plan::Plan;
use crate::rows::{has_row, make_row_parts, RowParts};
use crate::rule::Rule;
use crate::runtime::stored_slots;

/// Decides whether any event variable of a set of rules makes a row from an event.
///
/// An event for which [`Prefilter::wants`] is false gives no row to any rule, so leaving it
/// out of an [`Engine`](crate::Engine) run changes no detection: it opens no window, joins no
/// tuple and counts in no aggregate. A hunt runs the prefilter on every core, so that sorting
/// and correlation only see the events that matter. The result is exact, not a heuristic: it
/// runs each variable's filters, bindings and zero-value checks.
///
/// [`Prefilter::verdict`] also records which event variables' pre-expansion filters admit the
/// event, so that an [`Engine`](crate::Engine) given that [`Verdict`] does not run the same
/// filters again.
#[derive(Debug, Clone)]
pub struct Prefilter {
    /// Identifies the rule set for [`Verdict`]s; clones share it, since they have the same gates.
    id: u64,
    plans: Vec<Arc<Plan>>,
    dispatch: Dispatch,
    /// Per rule with `match:`, the slots its stored rows keep, as its engine keeps them.
    stored_slots: Vec<Option<Vec<Vec<bool>>>>,
    /// Per gate id, whether a [`RawScan`] of the record is checked before the gate runs. Only
    /// the gates that the dispatch tries on every event are checked. For the others, the event
    /// type and text indexes already leave out most events whose text lacks their strings, so
    /// searching the text would cost more than it saves.
    scanned: Vec<bool>,
}

/// The event variables whose pre-expansion filters admit one event, as
/// [`Prefilter::verdict`] found them, for [`Engine::push_with_verdict`](crate::Engine::push_with_verdict).
///
/// It names the prefilter that made it, and an engine only trusts a verdict of the prefilter
/// it was given with [`Engine::with_prefilter`](crate::Engine::with_prefilter).
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    prefilter: u64,
    /// The ids of the admitting gates of the prefilter's dispatch, ascending, with the filters
    /// each decided.
    gates: Vec<(usize, Decided)>,
    /// The rows and event facts that [`Prefilter::prepare`] adds.
    prepared: Option<Box<Prepared>>,
}

/// The rows an event makes, built where [`Prefilter::prepare`] ran, with what the engine needs
/// of the event besides them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prepared {
    /// `metadata.event_timestamp` in nanoseconds since the epoch.
    pub time: i128,
    /// `metadata.product_log_id`, when the event has one.
    pub id: Option<Str>,
    /// The rows of each gate of the verdict, in the same order.
    pub rows: Vec<Vec<RowParts>>,
}

impl Verdict {
    /// The id of the prefilter that made the verdict.
    pub(crate) fn prefilter(&self) -> u64 {
        self.prefilter
    }

    /// Returns the ids of the gates that admitted the event, ascending, with the filters each
    /// decided.
    pub(crate) fn gates(&self) -> &[(usize, Decided)] {
        &self.gates
    }

    /// Returns the rows [`Prefilter::prepare`] built.
    pub(crate) fn prepared(&self) -> Option<&Prepared> {
        self.prepared.as_deref()
    }

    /// Takes the rows [`Prefilter::prepare`] built.
    pub(crate) fn into_prepared(self) -> Option<Box<Prepared>> {
        self.prepared
    }

    /// Returns whether [`Prefilter::prepare`] made the verdict. The engine then needs no field of the
    /// event, only the record it was read from to show it in a detection, so a partial event
    /// can go on stripped (see [`udm::Event::stripped`]).
    pub fn is_prepared(&self) -> bool {
        self.prepared.is_some()
    }

    /// Returns the event's time, when [`Prefilter::prepare`] made the verdict.
    pub fn time(&self) -> Option<udm::Timestamp> {
        let nanos = self.prepared.as_ref()?.time;
        let seconds = i64::try_from(nanos.div_euclid(1_000_000_000)).ok()?;
        let nanos = i64::try_from(nanos.rem_euclid(1_000_000_000)).ok()?;
        Some(udm::Timestamp::new(seconds, nanos))
    }
}

impl Prefilter {
    /// Builds the prefilter of a set of rules.
    pub fn new(rules: &[Rule]) -> Prefilter {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        let plans: Vec<Arc<Plan>> = rules.iter().map(|r| Arc::clone(&r.plan)).collect();
        let refs: Vec<&Plan> = plans.iter().map(|p| p.as_ref()).collect();
        let dispatch = Dispatch::new(&refs);
        let stored_slots =
            plans.iter().map(|plan| plan.window.is_some().then(|| stored_slots(plan))).collect();
        let scanned = (0..dispatch.gates().len()).map(|id| dispatch.is_unindexed(id)).collect();
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        Prefilter { id, plans, dispatch, stored_slots, scanned }
    }

    /// Returns whether the raw-text scan of the event's record rules out the gate with the id.
    fn ruled_out(&self, id: usize, raw: Option<&RawScan<'_>>) -> bool {
        raw.is_some_and(|raw| self.scanned.get(id) == Some(&true) && !raw.admits(id))
    }

    /// Whether some event variable of some rule makes at least one row from the event.
    pub fn wants(&self, event: &Arc<Event>) -> bool {
        let mut memo = self.dispatch.memo();
        self.dispatch.candidates(event).into_iter().any(|gate| {
            let Some(plan) = self.plans.get(gate.rule) else { return false };
            gate.decide(plan, event, &mut memo)
                .is_some_and(|decided| has_row(plan, gate.var, event, decided))
        })
    }

    /// The event variables whose pre-expansion filters admit the event, or `None` when no
    /// variable makes a row from it, which is exactly when [`Prefilter::wants`] is false.
    ///
    /// It runs the filters of every candidate variable, where [`Prefilter::wants`] stops at
    /// the first that makes a row.
    ///
    /// With the [`RawScan`] of the native UDM text the event was read from, the variables
    /// whose required strings the text lacks are skipped.
    pub fn verdict(&self, event: &Arc<Event>, raw: Option<&RawScan<'_>>) -> Option<Verdict> {
        let mut gates = Vec::new();
        let mut makes_row = false;
        let mut memo = self.dispatch.memo();
        for id in self.dispatch.candidate_ids(event) {
            if self.ruled_out(id, raw) {
                continue;
            }
            let Some(gate) = self.dispatch.gate(id) else { continue };
            let Some(plan) = self.plans.get(gate.rule) else { continue };
            let Some(decided) = gate.decide(plan, event, &mut memo) else { continue };
            gates.push((id, decided));
            if !makes_row {
                makes_row = has_row(plan, gate.var, event, decided);
            }
        }
        makes_row.then_some(Verdict { prefilter: self.id, gates, prepared: None })
    }

    /// Like [`Prefilter::verdict`], and also builds the rows the event makes for every rule,
    /// so that an engine given the verdict reads no field of the event. Building them here,
    /// on the thread that read the event, spares the engine's thread from reading the event
    /// and from freeing it, which it would do from another core's cache.
    ///
    /// The event may then go to the engine stripped of its fields (see
    /// [`udm::Event::stripped`]) when it has a `metadata.product_log_id`. An engine that cannot
    /// use the verdict reads such an event whole again.
    pub fn prepare(&self, event: &Arc<Event>, raw: Option<&RawScan<'_>>) -> Option<Verdict> {
        let mut gates = Vec::new();
        let mut rows = Vec::new();
        let mut memo = self.dispatch.memo();
        for id in self.dispatch.candidate_ids(event) {
            if self.ruled_out(id, raw) {
                continue;
            }
            let Some(gate) = self.dispatch.gate(id) else { continue };
            let Some(plan) = self.plans.get(gate.rule) else { continue };
            let Some(decided) = gate.decide(plan, event, &mut memo) else { continue };
            let stored = self.stored_slots.get(gate.rule).and_then(Option::as_ref);
            let stored = stored.and_then(|slots| slots.get(gate.var)).map(Vec::as_slice);
            let mut parts = Vec::new();
            make_row_parts(plan, gate.var, event, decided, stored, true, &mut parts);
            // A gate whose variable makes no row gives the engine nothing to do.
            if !parts.is_empty() {
                gates.push((id, decided));
                rows.push(parts);
            }
        }
        if gates.is_empty() {
            return None;
        }
        let id = Some(event.product_log_id()).filter(|id| !id.is_empty()).map(Str::from);
        let time = event.event_time().as_nanos();
        let prepared = Some(Box::new(Prepared { time, id, rows }));
        Some(Verdict { prefilter: self.id, gates, prepared })
    }

    /// Splits a verdict among `groups` engines that share the prefilter's rules, rule `i`
    /// going to the engine `group_of(i)` names. Each part keeps the gates, and the rows, of
    /// its engine's rules, so that every engine can take its part with
    /// [`Engine::push_taking_verdict`](crate::Engine::push_taking_verdict) and none copies
    /// rows. A part without gates still carries the event's time and id. A verdict of another
    /// prefilter is copied whole into every part.
    pub fn split(
        &self,
        verdict: Verdict,
        groups: usize,
        group_of: impl Fn(usize) -> usize,
    ) -> Vec<Verdict> {
        if verdict.prefilter != self.id || groups <= 1 {
            let mut parts = vec![verdict.clone(); groups.saturating_sub(1)];
            parts.push(verdict);
            return parts;
        }
        let Verdict { prefilter, gates, prepared } = verdict;
        let mut parts: Vec<Verdict> = (0..groups)
            .map(|_| Verdict {
                prefilter,
                gates: Vec::new(),
                prepared: prepared.as_ref().map(|p| {
                    Box::new(Prepared { time: p.time, id: p.id.clone(), rows: Vec::new() })
                }),
            })
            .collect();
        let mut rows = prepared.map(|p| p.rows.into_iter());
        for (id, decided) in gates {
            let gate_rows = rows.as_mut().and_then(Iterator::next);
            let group = self.dispatch.gate(id).map_or(0, |gate| group_of(gate.rule));
            let Some(part) = parts.get_mut(group) else { continue };
            part.gates.push((id, decided));
            if let (Some(prepared), Some(gate_rows)) = (part.prepared.as_mut(), gate_rows) {
                prepared.rows.push(gate_rows);
            }
        }
        parts
    }

    /// The id that the prefilter's verdicts carry.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The plans of the rules, in the order they were given.
    pub(crate) fn plans(&self) -> &[Arc<Plan>] {
        &self.plans
    }

    /// Every gate, with its rule index into [`Prefilter::plans`] and its variable.
    pub(crate) fn gates(&self) -> &[crate::dispatch::Gate] {
        self.dispatch.gates()
    }
}

/// A test on the raw text of a native UDM JSON record, before it is parsed: whether, for some
/// event variable of some rule, it contains one string of each set that the variable requires.
///
/// Built by [`Prefilter::raw_filter`] only when every event variable of every rule requires
/// one of a few strings (such as `$e.metadata.log_type = "OKTA"`), so a record without any of
/// them gives no rule a row and need not be parsed. Where a variable requires more than one
/// such set (`log_type = "OKTA"` and `userid = /^adm/`), a record must contain a string of
/// each. It is only sound for records read as native UDM: another source's parser writes UDM
/// fields the raw record does not contain.
#[derive(Debug, Clone)]
pub struct RawFilter {
    /// The first set of every variable, JSON-encoded as they appear between quotes in a
    /// record, in one search: a record without any of them is left out at once.
    strings: Strings,
    /// Per variable, the indexes into `sets` of all the sets it requires, its first set
    /// first. Empty when there are too many sets or variables to track each one.
    variables: Vec<Vec<usize>>,
    sets: Vec<Strings>,
    /// Per string of `strings`, the variables (indexes into `variables`) whose first set has
    /// it.
    owners: Vec<Vec<usize>>,
    /// Whether some variable requires more than one set. When none does, `strings` decides
    /// alone whether a record may match.
    narrows: bool,
    /// Whether every string is its own JSON encoding (see [`RawFilter::is_plain`]).
    plain: bool,
}

/// A search for any of the required strings.
#[derive(Debug, Clone)]
enum Strings {
    /// The SIMD searcher for a few strings, where the CPU has one. On records that contain
    /// none of the strings it is several times faster than the automaton, which reads one
    /// byte at a time.
    Packed(aho_corasick::packed::Searcher),
    Automaton(aho_corasick::AhoCorasick),
}

impl Strings {
    fn new(strings: &[String]) -> Option<Strings> {
        let packed = aho_corasick::packed::Config::new().builder().extend(strings).build();
        match packed {
            Some(searcher) => Some(Strings::Packed(searcher)),
            None => Some(Strings::Automaton(aho_corasick::AhoCorasick::new(strings).ok()?)),
        }
    }

    fn is_match(&self, record: &[u8]) -> bool {
        match self {
            Strings::Packed(searcher) => searcher.find(record).is_some(),
            Strings::Automaton(automaton) => automaton.is_match(record),
        }
    }

    /// Calls `found` with the index of the string of each match, left to right, until it
    /// returns true. Matches do not overlap, so a string that overlaps an earlier match may
    /// be missed. Returns whether there was any match.
    fn each_match(&self, record: &[u8], mut found: impl FnMut(usize) -> bool) -> bool {
        let mut any = false;
        match self {
            Strings::Packed(searcher) => {
                for m in searcher.find_iter(record) {
                    any = true;
                    if found(m.pattern().as_usize()) {
                        break;
                    }
                }
            }
            Strings::Automaton(automaton) => {
                for m in automaton.find_iter(record) {
                    any = true;
                    if found(m.pattern().as_usize()) {
                        break;
                    }
                }
            }
        }
        any
    }
}

/// Sets of strings, or variables, beyond which the raw-record test checks only each
/// variable's first set.
const MAX_SETS: usize = 64;

/// Strings beyond which a set other than a variable's first is left out of the raw-record
/// test: searching a long list costs more than it saves.
const MAX_SET_STRINGS: usize = 64;

/// The characters that follow a backslash in the JSON escapes that can spell a character of a
/// required string differently from its plain JSON encoding (`\uXXXX` and `\/`), so that a
/// record containing one passes the raw-text test.
const ESCAPED: [u8; 2] = [b'u', b'/'];

impl RawFilter {
    /// Builds the test from each variable's sets of required strings, already JSON-encoded;
    /// a variable's first set goes into the search every record takes.
    fn new(variables: &[Vec<Vec<String>>]) -> Option<RawFilter> {
        let mut first: Vec<String> = Vec::new();
        for text in variables.iter().filter_map(|sets| sets.first()).flatten() {
            if !first.contains(text) {
                first.push(text.clone());
            }
        }
        if first.is_empty() {
            return None;
        }
        let strings = Strings::new(&first)?;
        let plain = variables.iter().flatten().flatten().all(|text| !text.contains('\\'));

        let mut texts: Vec<&Vec<String>> = Vec::new();
        let mut indexes: Vec<Vec<usize>> = Vec::new();
        for sets in variables {
            let mut own = Vec::new();
            for (at, set) in sets.iter().enumerate() {
                if at > 0 && set.len() > MAX_SET_STRINGS {
                    continue;
                }
                let index = match texts.iter().position(|known| *known == set) {
                    Some(index) => index,
                    None => {
                        texts.push(set);
                        texts.len() - 1
                    }
                };
                if !own.contains(&index) {
                    own.push(index);
                }
            }
            indexes.push(own);
        }
        let narrows = indexes.iter().any(|own| own.len() > 1);
        if texts.len() > MAX_SETS || indexes.len() > MAX_SETS {
            let owners = Vec::new();
            return Some(RawFilter {
                strings,
                variables: Vec::new(),
                sets: Vec::new(),
                owners,
                narrows: false,
                plain,
            });
        }
        let sets = texts.iter().map(|set| Strings::new(set)).collect::<Option<Vec<_>>>()?;
        let owners = first
            .iter()
            .map(|text| {
                let owns = |own: &Vec<usize>| {
                    own.first()
                        .and_then(|&index| texts.get(index))
                        .is_some_and(|s| s.contains(text))
                };
                (0..indexes.len()).filter(|&v| indexes.get(v).is_some_and(owns)).collect()
            })
            .collect();
        Some(RawFilter { strings, variables: indexes, sets, owners, narrows, plain })
    }

    /// Returns whether no required string has a character that JSON escapes (a quote, a
    /// backslash or a control character). Such strings occur unchanged in JSON text nested in a string, as
    /// in a log shipper's `message`, however many times it was encoded.
    pub fn is_plain(&self) -> bool {
        self.plain
    }

    /// Whether a rule may make a row from the record: false only when, for every variable, the
    /// record lacks all the strings of one of its sets.
    ///
    /// A record with a `\u` or `\/` escape anywhere passes, because it may spell a required
    /// string with escapes that its plain JSON encoding does not use.
    pub fn may_match(&self, record: &[u8]) -> bool {
        self.scan(record).is_some()
    }

    /// Like [`RawFilter::may_match`], and when the record may match, returns what the search
    /// found, so that [`Prefilter::prepare`] can skip the variables the record cannot give a
    /// row. The strings a variable requires that the search did not look for yet are looked
    /// for when that variable is asked about.
    pub fn scan<'r>(&'r self, record: &'r [u8]) -> Option<RawScan<'r>> {
        let scan = RawScan {
            filter: self,
            record,
            known: Cell::new(0),
            found: Cell::new(0),
            escape: Cell::new(None),
        };
        if !self.narrows {
            return (self.strings.is_match(record) || scan.has_escape()).then_some(scan);
        }
        // Most records that pass are decided by the variables of the first string found.
        let mut tried = 0u64;
        let mut decided = false;
        let any = self.strings.each_match(record, |string| {
            let owners = self.owners.get(string).map_or(&[][..], Vec::as_slice);
            for &variable in owners {
                let bit = 1u64 << variable;
                if tried & bit == 0 {
                    tried |= bit;
                    // The string found is in the variable's first set.
                    if let Some(&first) = scan.own(variable).first() {
                        scan.mark_found(first);
                    }
                    if scan.passes(variable) {
                        decided = true;
                        return true;
                    }
                }
            }
            false
        });
        if decided {
            return Some(scan);
        }
        if !any {
            return scan.has_escape().then_some(scan);
        }
        // A string that overlapped an earlier match was not reported, so the variables not
        // tried yet are checked set by set.
        let passes = (0..self.variables.len()).any(|v| tried & (1u64 << v) == 0 && scan.passes(v));
        (passes || scan.has_escape()).then_some(scan)
    }
}

/// The result of [`RawFilter::scan`] on one record: for each event variable, whether the
/// record contains a string of each set the variable requires. A record of native UDM text with
/// none of a variable's strings gives that variable no row, so its filters need not run.
#[derive(Debug)]
pub struct RawScan<'r> {
    filter: &'r RawFilter,
    record: &'r [u8],
    /// Bit `i` records whether set `i` was searched.
    known: Cell<u64>,
    /// Bit `i` records whether the record contains a string of set `i`.
    found: Cell<u64>,
    /// Whether the record has an escape that may spell a required string another way, after
    /// the first search for one.
    escape: Cell<Option<bool>>,
}

impl RawScan<'_> {
    /// Returns whether the variable may make a row from the record. A variable's index is its
    /// gate's id in the prefilter's dispatch.
    pub(crate) fn admits(&self, variable: usize) -> bool {
        if self.filter.variables.get(variable).is_none() {
            return true;
        }
        self.passes(variable) || self.has_escape()
    }

    fn own(&self, variable: usize) -> &[usize] {
        self.filter.variables.get(variable).map_or(&[][..], Vec::as_slice)
    }

    fn mark_found(&self, set: usize) {
        let bit = 1u64 << set;
        self.known.set(self.known.get() | bit);
        self.found.set(self.found.get() | bit);
    }

    /// Returns whether the record contains a string of set `index`, searching the record for
    /// it the first time.
    fn contains(&self, index: usize) -> bool {
        let bit = 1u64 << index;
        if self.known.get() & bit == 0 {
            self.known.set(self.known.get() | bit);
            if self.filter.sets.get(index).is_some_and(|set| set.is_match(self.record)) {
                self.found.set(self.found.get() | bit);
            }
        }
        self.found.get() & bit != 0
    }

    /// Returns whether the record contains a string of every set the variable requires.
    fn passes(&self, variable: usize) -> bool {
        self.own(variable).iter().all(|&set| self.contains(set))
    }

    fn has_escape(&self) -> bool {
        match self.escape.get() {
            Some(escape) => escape,
            None => {
                let escape = has_escape(self.record);
                self.escape.set(Some(escape));
                escape
            }
        }
    }
}

/// Returns whether the record contains a backslash followed by one of [`ESCAPED`]. An escaped
/// backslash before a `u` or `/`, as in `C:\\users`, passes too: that costs a parse, and
/// loses nothing.
fn has_escape(record: &[u8]) -> bool {
    memchr::memchr_iter(b'\\', record)
        .any(|at| record.get(at + 1).is_some_and(|next| ESCAPED.contains(next)))
}

/// A test that every row of one event variable passes: the field at `path` equals one of
/// `texts`. See [`Prefilter::column_tests`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnTest {
    /// The UDM field path, such as `["metadata", "log_type"]`.
    pub path: Vec<String>,
    /// The texts of which the field must equal one, case-sensitively.
    pub texts: Vec<String>,
}

impl Prefilter {
    /// The tests on single fields that a column store can decide from a column's value range,
    /// such as the minimum and maximum of a Parquet row group: one list per event variable of
    /// every rule, each holding tests that all of that variable's rows pass.
    ///
    /// A block of events where, for every variable, some test's field has no value in the
    /// test's texts gives no rule a row, so it can be skipped. Returns `None` when some
    /// variable has no such test, because then no block can be skipped. A missing field reads
    /// as the empty text, which no test accepts.
    pub fn column_tests(&self) -> Option<Vec<Vec<ColumnTest>>> {
        let mut out = Vec::new();
        for gate in self.dispatch.gates() {
            let tests: Vec<ColumnTest> = gate
                .text_tests()
                .into_iter()
                .map(|(path, texts)| ColumnTest { path, texts })
                .collect();
            if tests.is_empty() {
                return None;
            }
            out.push(tests);
        }
        (!out.is_empty()).then_some(out)
    }

    /// Every field path that the rules read, as field names from the event root. A path
    /// ends before its first list index or map key, so it names the whole list or map.
    pub fn field_paths(&self) -> Vec<Vec<String>> {
        let mut paths: Vec<Vec<String>> = Vec::new();
        for plan in &self.plans {
            for path in plan.field_paths() {
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
        }
        paths
    }
}

impl Prefilter {
    /// Builds the raw-record test for native UDM input, when every event variable of every rule
    /// requires one of a known set of strings; see [`RawFilter`].
    pub fn raw_filter(&self) -> Option<RawFilter> {
        let mut variables: Vec<Vec<Vec<String>>> = Vec::new();
        for gate in self.dispatch.gates() {
            let mut sets = Vec::new();
            for set in gate.required_sets()? {
                let mut encoded: Vec<String> = Vec::new();
                for text in set {
                    // JSON-encode as serde_json writes strings, then drop the quotes.
                    let json = serde_json::to_string(&text).ok()?;
                    let inner = json.get(1..json.len().saturating_sub(1))?.to_owned();
                    if !encoded.contains(&inner) {
                        encoded.push(inner);
                    }
                }
                sets.push(encoded);
            }
            variables.push(sets);
        }
        RawFilter::new(&variables)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(strings: &[&str]) -> Vec<RawFilter> {
        let strings: Vec<String> = strings.iter().map(|s| (*s).to_owned()).collect();
        let automaton = aho_corasick::AhoCorasick::new(&strings).expect("automaton");
        let mut out = vec![RawFilter {
            strings: Strings::Automaton(automaton),
            variables: Vec::new(),
            sets: Vec::new(),
            owners: Vec::new(),
            narrows: false,
            plain: true,
        }];
        out.extend(RawFilter::new(&[vec![strings]]));
        out
    }

    fn owned(sets: &[&[&str]]) -> Vec<Vec<String>> {
        sets.iter().map(|set| set.iter().map(|s| (*s).to_owned()).collect()).collect()
    }

    #[test]
    fn raw_filter_passes_strings_and_escapes() {
        for filter in filters(&["OKTA", "SALESFORCE"]) {
            assert!(filter.may_match(br#"{"metadata":{"log_type":"OKTA"}}"#));
            assert!(filter.may_match(br#"{"metadata":{"log_type":"SALESFORCE"}}"#));
            assert!(!filter.may_match(br#"{"metadata":{"log_type":"WINDOWS_SYSMON"}}"#));
            assert!(!filter.may_match(b""));
            // Escapes that may spell a required string another way.
            assert!(filter.may_match(br#"{"metadata":{"log_type":"\u004fKTA"}}"#));
            assert!(filter.may_match(br#"{"a":"x\/y"}"#));
            // A backslash before another character, or at the end, is no such escape.
            assert!(!filter.may_match(br#"{"a":"C:\\Windows"}"#));
            assert!(!filter.may_match(br#"{"a":"\n"}\"#));
        }
    }

    #[test]
    fn raw_filter_needs_every_set_of_one_variable() {
        let okta_admin = owned(&[&["OKTA"], &["adm", "ADM"]]);
        let salesforce = owned(&[&["SALESFORCE"]]);
        let filter = RawFilter::new(&[okta_admin, salesforce]).expect("a filter");
        assert!(filter.may_match(br#"{"log_type":"OKTA","userid":"admin"}"#));
        assert!(filter.may_match(br#"{"log_type":"OKTA","userid":"ADMIN"}"#));
        assert!(!filter.may_match(br#"{"log_type":"OKTA","userid":"bob"}"#));
        // The other variable needs only its one set.
        assert!(filter.may_match(br#"{"log_type":"SALESFORCE","userid":"bob"}"#));
        // The second set alone is not enough.
        assert!(!filter.may_match(br#"{"log_type":"AZURE_AD","userid":"admin"}"#));
        // An escape anywhere may spell a required string another way.
        assert!(filter.may_match(br#"{"log_type":"OKTA","userid":"\u0061dmin"}"#));
    }

    #[test]
    fn raw_filter_shares_sets_between_variables() {
        let login = owned(&[&["OKTA"], &["USER_LOGIN"]]);
        let admin = owned(&[&["OKTA"], &["adm"]]);
        let filter = RawFilter::new(&[login, admin]).expect("a filter");
        assert_eq!(filter.sets.len(), 3);
        assert!(filter.may_match(br#"{"t":"OKTA","e":"USER_LOGIN"}"#));
        assert!(filter.may_match(br#"{"t":"OKTA","u":"adm1"}"#));
        assert!(!filter.may_match(br#"{"t":"OKTA","e":"USER_LOGOUT"}"#));
    }

    #[test]
    fn raw_filter_leaves_out_long_later_sets() {
        let long: Vec<String> = (0..=MAX_SET_STRINGS).map(|i| format!("user{i}")).collect();
        let filter = RawFilter::new(&[vec![vec!["OKTA".to_owned()], long]]).expect("a filter");
        // The long set is not searched, so the first set decides alone.
        assert!(filter.may_match(br#"{"t":"OKTA","u":"bob"}"#));
    }

    #[test]
    fn raw_filter_finds_strings_hidden_by_an_overlap() {
        // The search reports `ab` in `abc`, not the overlapping `bc`; the second variable still
        // passes on `bc`.
        let first = owned(&[&["ab"], &["zz"]]);
        let second = owned(&[&["bc"], &["c"]]);
        let filter = RawFilter::new(&[first, second]).expect("a filter");
        assert!(filter.may_match(b"abc"));
        assert!(!filter.may_match(b"abd"));
        assert!(filter.may_match(b"abzz"));
    }

    #[test]
    fn raw_filter_agrees_with_substring_search() {
        // Small random variables over a three-letter alphabet, so that strings overlap often.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        let word = |max: usize, next: &mut dyn FnMut(usize) -> usize| -> String {
            let len = 1 + next(max);
            (0..len).map(|_| char::from(b'a' + next(3) as u8)).collect()
        };
        for _ in 0..2_000 {
            let variables: Vec<Vec<Vec<String>>> = (0..1 + next(3))
                .map(|_| {
                    (0..1 + next(3))
                        .map(|_| (0..1 + next(2)).map(|_| word(3, &mut next)).collect())
                        .collect()
                })
                .collect();
            let Some(filter) = RawFilter::new(&variables) else { continue };
            for _ in 0..20 {
                let record = if next(4) == 0 { String::new() } else { word(12, &mut next) };
                let passes = |sets: &Vec<Vec<String>>| {
                    sets.iter().all(|set| set.iter().any(|text| record.contains(text.as_str())))
                };
                let truth = variables.iter().any(passes);
                assert_eq!(filter.may_match(record.as_bytes()), truth, "{variables:?} {record}");
                // Each variable is admitted exactly when the record has a string of each of
                // its sets, asked in any order.
                let Some(scan) = filter.scan(record.as_bytes()) else { continue };
                let order: Vec<usize> = if next(2) == 0 {
                    (0..variables.len()).collect()
                } else {
                    (0..variables.len()).rev().collect()
                };
                for v in order {
                    let sets = variables.get(v).expect("a variable");
                    assert_eq!(scan.admits(v), passes(sets), "{variables:?} {record} {v}");
                }
            }
        }
    }

    #[test]
    fn scan_rejects_missing_strings() {
        let salesforce = owned(&[&["SALESFORCE"]]);
        let indicators = owned(&[&["192.0.2.45", "203.0.113.9"]]);
        let filter = RawFilter::new(&[salesforce, indicators]).expect("a filter");
        let record = br#"{"log_type":"SALESFORCE","ip":["198.51.100.7"]}"#;
        let scan = filter.scan(record).expect("the record may match");
        assert!(scan.admits(0));
        assert!(!scan.admits(1));
        // A variable the filter does not know is admitted.
        assert!(scan.admits(2));
        let both = br#"{"log_type":"SALESFORCE","ip":["203.0.113.9"]}"#;
        let scan = filter.scan(both).expect("the record may match");
        assert!(scan.admits(0));
        assert!(scan.admits(1));
        // An escape may spell a missing string another way, so every variable is admitted.
        let escaped = br#"{"log_type":"SALESFORCE","ip":["\u0032\u0030\u0033.0.113.9"]}"#;
        let scan = filter.scan(escaped).expect("the record may match");
        assert!(scan.admits(1));
        assert!(filter.scan(br#"{"log_type":"OKTA"}"#).is_none());
    }

    #[test]
    fn plain_strings_have_no_escapes() {
        let plain = RawFilter::new(&[owned(&[&["OKTA"], &["Zürich"]])]).expect("a filter");
        assert!(plain.is_plain());
        let quoted =
            RawFilter::new(&[owned(&[&["OKTA"]]), owned(&[&[r#"a\"b"#]])]).expect("a filter");
        assert!(!quoted.is_plain());
    }
}
