//! The engine: feeds events to every rule and collects detections.
//!
//! Events must arrive in event-time order, or within the allowed lateness of it. The watermark
//! is the latest event time seen minus the allowed lateness; windows close when it passes
//! their end. An event older than the watermark is late: rules without `match:` still see it,
//! but windowed rules do not, because its windows may already have closed. A hunt sorts its
//! events and uses no lateness, so nothing is late; [`Engine::finish`] closes every window at
//! the end of input.
//!
//! `suppression_window` works in event time. A rule that sets it keeps its detections pending
//! until no earlier detection can still arrive, then suppresses them in (time, id) order. That
//! point is when the watermark has passed their time, plus one window length for hop rules,
//! because hop de-duplication keeps candidates back that long. So a stream shuffled within the allowed lateness suppresses the
//! same detections as a sorted hunt.

mod dedupe;
mod entity_rows;
mod subsets;
mod suppress;
mod windowed;

use std::collections::BTreeMap;
use std::sync::Arc;

use udm::{Event, Timestamp};

use crate::detection::Detection;
use crate::dispatch::{Decided, Dispatch};
use crate::group::{evaluate, Candidate};
use crate::join::Tuple;
use crate::plan::{Plan, WindowPlan};
use crate::prefilter::Prepared;
use crate::prefilter::{Prefilter, Verdict};
use crate::route::{encode_key, per_event_key};
use crate::rows::{make_rows, EventEntry, Row, RowParts};
use crate::rule::Rule;
use suppress::Suppressor;
use windowed::Windowed;
pub(crate) use windowed::{partition_key, partition_placeholders, stored_slots};

/// How a rule is run.
enum Mode {
    /// No `match:`: each event is its own group.
    PerEvent,
    /// `match:` windows.
    Windowed(Box<Windowed>),
}

struct RuleState {
    rule: Rule,
    mode: Mode,
    suppressor: Suppressor,
    /// Detections waiting for suppression, by (time, id), when the rule has a
    /// `suppression_window`.
    pending: BTreeMap<(Timestamp, String), Detection>,
    /// How far behind the watermark a detection may still arrive, in nanoseconds. Hop
    /// de-duplication keeps a candidate back up to one window length after its window closed.
    hold: i128,
    detections: u64,
}

impl RuleState {
    /// Takes a detection the rule found. Without `suppression_window` it is final at once.
    /// With it, the detection waits until no earlier one can arrive, so that suppression
    /// processes detections in event-time order whatever order the events came in.
    fn offer(&mut self, candidate: Candidate, out: &mut Vec<Detection>) {
        let detection = candidate.detection;
        if self.rule.plan.suppression.is_none() {
            self.detections += 1;
            out.push(with_whole_samples(detection));
            return;
        }
        self.pending.insert((detection.time(), detection.id.clone()), detection);
    }

    /// Runs suppression over the pending detections that no earlier one can precede any more.
    fn flush(&mut self, watermark: i128, out: &mut Vec<Detection>) {
        // Most rules have no suppression window, and then nothing is ever pending.
        if self.pending.is_empty() && self.suppressor.is_empty() {
            return;
        }
        let horizon = watermark.saturating_sub(self.hold);
        while let Some(entry) = self.pending.first_entry() {
            if entry.key().0.as_nanos() > horizon {
                break;
            }
            let detection = entry.remove();
            if self.suppressor.admit(&self.rule.plan, &detection) {
                self.detections += 1;
                out.push(with_whole_samples(detection));
            }
        }
        self.suppressor.expire(horizon);
    }
}

/// Returns the detection with its sample events whole: a sample read in part, as rows keep
/// it, is read again from its record, so that the detection shows the event as it came.
fn with_whole_samples(mut detection: Detection) -> Detection {
    for (_, events) in &mut detection.events {
        for event in events.iter_mut().filter(|event| event.is_partial()) {
            *event = event.whole();
        }
    }
    detection
}

/// Counters of an engine run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Events pushed.
    pub events: u64,
    /// Events that arrived behind the watermark and were not seen by windowed rules.
    pub late_events: u64,
    /// Per rule: name, detections emitted, detections dropped by `suppression_window`.
    pub rules: Vec<RuleStats>,
}

/// Counters of one rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleStats {
    /// The rule name.
    pub name: String,
    /// Detections emitted.
    pub detections: u64,
    /// Detections dropped by `suppression_window`.
    pub suppressed: u64,
    /// Windows whose join stopped at the engine's tuple cap, so that their detections may be
    /// missing or have outcomes over part of the events.
    pub cut_joins: u64,
}

/// A test of a rule index, event variable index and routing key; see [`Engine::push_routed`].
pub type RouteFilter<'a> = dyn FnMut(usize, usize, &str) -> bool + 'a;

/// The map from the gates of the prefilter given to [`Engine::with_prefilter`] to this
/// engine's event variables.
struct VerdictMap {
    /// The prefilter's id, which its verdicts carry.
    prefilter: u64,
    /// Per gate id of the prefilter, the (rule, variable) of this engine that the gate tests.
    targets: Vec<Option<(usize, usize)>>,
}

/// An event variable whose gate admitted the event being pushed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Admitted {
    pub var: usize,
    /// The filters the gate decided.
    pub decided: Decided,
    /// The index of the variable's rows in the verdict's prepared rows, when it has them.
    pub rows: Option<usize>,
}

/// A verdict pushed with an event: shared with other engines, or the engine's to take.
enum PushedVerdict<'a> {
    Shared(&'a Verdict),
    Owned(Verdict),
}

impl<'a> PushedVerdict<'a> {
    fn verdict(&self) -> &Verdict {
        match self {
            PushedVerdict::Shared(verdict) => verdict,
            PushedVerdict::Owned(verdict) => verdict,
        }
    }

    fn into_rows(self) -> PreparedRows<'a> {
        match self {
            PushedVerdict::Shared(verdict) => match verdict.prepared() {
                Some(prepared) => PreparedRows::Shared(prepared),
                None => PreparedRows::None,
            },
            PushedVerdict::Owned(verdict) => match verdict.into_prepared() {
                Some(prepared) => PreparedRows::Owned(prepared),
                None => PreparedRows::None,
            },
        }
    }
}

/// The rows a verdict's [`Prefilter::prepare`] built, as the engine takes them per gate.
pub(crate) enum PreparedRows<'a> {
    None,
    /// Copied out of a verdict other engines read too.
    Shared(&'a Prepared),
    /// Moved out of a verdict the engine owns.
    Owned(Box<Prepared>),
}

impl PreparedRows<'_> {
    /// Takes the rows of the verdict's gate at `index`.
    pub(crate) fn take(&mut self, index: usize) -> Option<Vec<RowParts>> {
        match self {
            PreparedRows::None => None,
            PreparedRows::Shared(prepared) => prepared.rows.get(index).cloned(),
            PreparedRows::Owned(prepared) => prepared.rows.get_mut(index).map(std::mem::take),
        }
    }
}

/// Runs compiled rules over a stream of events.
pub struct Engine {
    rules: Vec<RuleState>,
    /// Which event variables of which rules an event can reach.
    dispatch: Dispatch,
    /// The map that [`Engine::with_prefilter`] sets, to read that prefilter's verdicts.
    verdicts: Option<VerdictMap>,
    seq: u64,
    max_time: Option<i128>,
    lateness: i128,
    late: u64,
    rows_added: u64,
    /// The admitted variables of each rule for the event being pushed, kept between events so
    /// that their vectors are allocated once.
    admitted: Vec<Vec<Admitted>>,
}

impl Engine {
    /// Creates an engine for the rules, with no allowed lateness.
    pub fn new(rules: Vec<Rule>) -> Engine {
        let plans: Vec<&Plan> = rules.iter().map(|r| r.plan.as_ref()).collect();
        let dispatch = Dispatch::new(&plans);
        let rules = rules
            .into_iter()
            .map(|rule| {
                let mode = match rule.plan.window {
                    Some(window) => Mode::Windowed(Box::new(Windowed::new(
                        Arc::clone(&rule.plan),
                        Arc::clone(&rule.info),
                        window,
                    ))),
                    None => Mode::PerEvent,
                };
                let hold = match rule.plan.window {
                    Some(window @ WindowPlan::Hop { .. }) => window.length(),
                    _ => 0,
                };
                RuleState {
                    rule,
                    mode,
                    suppressor: Suppressor::default(),
                    pending: BTreeMap::new(),
                    hold,
                    detections: 0,
                }
            })
            .collect();
        Engine {
            rules,
            dispatch,
            verdicts: None,
            seq: 0,
            max_time: None,
            lateness: 0,
            late: 0,
            rows_added: 0,
            admitted: Vec::new(),
        }
    }

    /// Lets [`Engine::push_with_verdict`] take the verdicts of `prefilter` in place of running
    /// the event variables' pre-expansion filters again.
    ///
    /// The prefilter may contain more rules than the engine, such as when a hunt splits its
    /// rules across engines. But every rule of the engine must be a clone of one of them, so
    /// that it shares that rule's compiled plan. Otherwise, and when two rules of the engine
    /// share a plan, the engine ignores the verdicts and runs the filters itself.
    pub fn with_prefilter(mut self, prefilter: &Prefilter) -> Engine {
        self.verdicts = None;
        let plans = prefilter.plans();
        // The engine's rule index for each rule of the prefilter that the engine also runs.
        let mut local: Vec<Option<usize>> = vec![None; plans.len()];
        for (rule, state) in self.rules.iter().enumerate() {
            let source = plans.iter().position(|plan| Arc::ptr_eq(plan, &state.rule.plan));
            match source.and_then(|source| local.get_mut(source)) {
                Some(cell @ None) => *cell = Some(rule),
                _ => return self,
            }
        }
        let targets = prefilter
            .gates()
            .iter()
            .map(|gate| local.get(gate.rule).copied().flatten().map(|rule| (rule, gate.var)))
            .collect();
        self.verdicts = Some(VerdictMap { prefilter: prefilter.id(), targets });
        self
    }

    /// Sets how far behind the latest event time an event may arrive and still be counted in
    /// its windows; windows close that much later.
    pub fn with_allowed_lateness(mut self, lateness: std::time::Duration) -> Engine {
        self.lateness = i128::try_from(lateness.as_nanos()).unwrap_or(i128::MAX);
        self
    }

    /// The watermark: the latest event time seen minus the allowed lateness, in nanoseconds.
    pub fn watermark(&self) -> Option<i128> {
        self.max_time.map(|t| t.saturating_sub(self.lateness))
    }

    /// Feeds one event and returns the detections that became final.
    pub fn push(&mut self, event: Arc<Event>) -> Vec<Detection> {
        self.push_inner(event, None, None)
    }

    /// Feeds one event like [`Engine::push`], with the verdict that the prefilter given to
    /// [`Engine::with_prefilter`] made on it. The engine then reads which event variables
    /// admit the event from the verdict rather than testing their pre-expansion filters, with
    /// the same detections as a result. A verdict of another prefilter is ignored.
    ///
    /// The caller leaves out the events for which [`Prefilter::verdict`] returned `None`, and
    /// the verdict must be of this very event.
    pub fn push_with_verdict(&mut self, event: Arc<Event>, verdict: &Verdict) -> Vec<Detection> {
        self.push_inner(event, None, Some(PushedVerdict::Shared(verdict)))
    }

    /// Feeds one event like [`Engine::push_with_verdict`], taking the verdict, so that the
    /// rows [`Prefilter::prepare`] built are moved into the windows rather than copied.
    pub fn push_taking_verdict(&mut self, event: Arc<Event>, verdict: Verdict) -> Vec<Detection> {
        self.push_inner(event, None, Some(PushedVerdict::Owned(verdict)))
    }

    /// Feeds one event like [`Engine::push`], but only to the places `accept` takes. It gets
    /// the rule's index, the event variable's index and the routing key (see [`Router`]) of
    /// each row the event makes, and a row it rejects is left out. So an engine that owns one
    /// slice of the routing keys of a rule set gets exactly the rows of that slice.
    ///
    /// [`Router`]: crate::Router
    pub fn push_routed(
        &mut self,
        event: Arc<Event>,
        accept: &mut RouteFilter<'_>,
    ) -> Vec<Detection> {
        self.push_inner(event, Some(accept), None)
    }

    fn push_inner(
        &mut self,
        event: Arc<Event>,
        mut accept: Option<&mut RouteFilter<'_>>,
        pushed: Option<PushedVerdict<'_>>,
    ) -> Vec<Detection> {
        self.seq += 1;
        let verdict = pushed.as_ref().map(PushedVerdict::verdict);
        let usable = verdict.filter(|verdict| {
            self.verdicts.as_ref().is_some_and(|map| map.prefilter == verdict.prefilter())
        });
        let prepared = usable.and_then(Verdict::prepared);
        let entry = match prepared {
            Some(prepared) => {
                Arc::new(EventEntry::prepared(event, self.seq, prepared.time, prepared.id.clone()))
            }
            None => {
                // The event of a prepared verdict may have gone on stripped of its fields; an
                // engine that cannot use the verdict reads it whole again.
                let event = match verdict {
                    Some(verdict) if verdict.is_prepared() => event.whole(),
                    _ => event,
                };
                Arc::new(EventEntry::new(event, self.seq))
            }
        };
        let late = self.watermark().is_some_and(|w| entry.time < w);
        if late {
            self.late += 1;
        }
        let mut admitted = std::mem::take(&mut self.admitted);
        self.find_admitted(&entry.event, usable, &mut admitted);
        let has_rows = prepared.is_some();
        let mut rows = match pushed {
            Some(pushed) if has_rows => pushed.into_rows(),
            _ => PreparedRows::None,
        };
        // Rows kept in windows hold the stripped entry when the event can be read again, so
        // that the event's fields are freed here rather than when its windows close. A
        // prepared event comes stripped already, when it can be.
        let windowed =
            !late
                && self.rules.iter().zip(&admitted).any(|(state, vars)| {
                    !vars.is_empty() && matches!(state.mode, Mode::Windowed(_))
                });
        let stripped = (windowed && !has_rows).then(|| entry.stripped()).flatten();
        let stored = match stripped {
            Some(stripped) => Arc::new(stripped),
            None => Arc::clone(&entry),
        };
        let mut out = Vec::new();
        for (rule, (state, vars)) in self.rules.iter_mut().zip(&admitted).enumerate() {
            if vars.is_empty() {
                continue;
            }
            match &mut state.mode {
                Mode::PerEvent => {
                    let taken = match accept.as_mut() {
                        Some(accept) => {
                            let key = per_event_key(&state.rule.plan, &entry);
                            vars.iter().any(|admitted| accept(rule, admitted.var, &key))
                        }
                        None => true,
                    };
                    if !taken {
                        continue;
                    }
                    let first = vars.iter().find(|admitted| admitted.var == 0).copied();
                    let event_rows = match first.and_then(|a| rows.take(a.rows?)) {
                        Some(parts) => {
                            parts.into_iter().map(|p| p.attach(Arc::clone(&entry))).collect()
                        }
                        None => {
                            let decided = first.map_or(Decided::NONE, |a| a.decided);
                            make_rows(&state.rule.plan, 0, &entry, decided)
                        }
                    };
                    if let Some(candidate) = evaluate_event(&state.rule, &event_rows) {
                        state.offer(candidate, &mut out);
                    }
                }
                Mode::Windowed(windowed) => {
                    if late {
                        continue;
                    }
                    let added = match accept.as_mut() {
                        Some(accept) => {
                            windowed.push(&entry, &stored, vars, &mut rows, &mut |var, key| {
                                accept(rule, var, &encode_key(key))
                            })
                        }
                        None => windowed.push(&entry, &stored, vars, &mut rows, &mut |_, _| true),
                    };
                    self.rows_added += added as u64;
                }
            }
        }
        self.admitted = admitted;
        if !late {
            self.max_time = Some(self.max_time.map_or(entry.time, |t| t.max(entry.time)));
        }
        if let Some(watermark) = self.watermark() {
            self.advance(watermark, &mut out);
        }
        out
    }

    /// Fills `admitted` with the variables, per rule and in ascending order, whose
    /// pre-expansion filters admit the event. It reads them from `verdict`, which is one of
    /// the prefilter given to [`Engine::with_prefilter`], and runs the filters without one.
    fn find_admitted(
        &self,
        event: &Arc<Event>,
        verdict: Option<&Verdict>,
        admitted: &mut Vec<Vec<Admitted>>,
    ) {
        admitted.resize_with(self.rules.len(), Vec::new);
        admitted.iter_mut().for_each(Vec::clear);
        if let Some((verdict, map)) = verdict.zip(self.verdicts.as_ref()) {
            // The gate ids ascend, and the prefilter numbers its gates by rule and then by
            // variable, so each rule's variables come out ascending, as below.
            let prepared = verdict.prepared().is_some();
            for (index, (id, decided)) in verdict.gates().iter().enumerate() {
                let Some(Some((rule, var))) = map.targets.get(*id) else { continue };
                if let Some(vars) = admitted.get_mut(*rule) {
                    let rows = prepared.then_some(index);
                    vars.push(Admitted { var: *var, decided: *decided, rows });
                }
            }
            return;
        }
        let mut memo = self.dispatch.memo();
        for gate in self.dispatch.candidates(event) {
            let (Some(state), Some(vars)) =
                (self.rules.get(gate.rule), admitted.get_mut(gate.rule))
            else {
                continue;
            };
            if let Some(decided) = gate.decide(&state.rule.plan, event, &mut memo) {
                vars.push(Admitted { var: gate.var, decided, rows: None });
            }
        }
    }

    /// Rows that pushed events have added to the window state of rules with `match:`, counted
    /// since the engine was created. An event that leaves this count unchanged is in no window,
    /// so replaying it into a fresh engine with the same rules changes no window state.
    pub fn rows_added(&self) -> u64 {
        self.rows_added
    }

    /// Raises the latest event time seen to `time` (nanoseconds since the epoch), as an event
    /// at that time matching no rule would, and returns the detections that the new watermark
    /// makes final. A caller that replays only part of a stream uses it to restore the
    /// watermark that the rest of the stream had moved. A `time` at or below the latest event
    /// time changes nothing.
    pub fn observe_time(&mut self, time: i128) -> Vec<Detection> {
        let mut out = Vec::new();
        if self.max_time.is_some_and(|t| t >= time) {
            return out;
        }
        self.max_time = Some(time);
        if let Some(watermark) = self.watermark() {
            self.advance(watermark, &mut out);
        }
        out
    }

    /// Closes every open window, as at the end of a hunt, and returns the remaining
    /// detections.
    pub fn finish(&mut self) -> Vec<Detection> {
        let mut out = Vec::new();
        self.advance(i128::MAX, &mut out);
        out
    }

    fn advance(&mut self, watermark: i128, out: &mut Vec<Detection>) {
        for state in &mut self.rules {
            let candidates = match &mut state.mode {
                Mode::Windowed(windowed) => windowed.advance(watermark),
                Mode::PerEvent => Vec::new(),
            };
            for candidate in candidates {
                state.offer(candidate, out);
            }
            state.flush(watermark, out);
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> EngineStats {
        EngineStats {
            events: self.seq,
            late_events: self.late,
            rules: self
                .rules
                .iter()
                .map(|s| RuleStats {
                    name: s.rule.name().to_owned(),
                    detections: s.detections,
                    suppressed: s.suppressor.suppressed,
                    cut_joins: match &s.mode {
                        Mode::Windowed(windowed) => windowed.cut_joins,
                        _ => 0,
                    },
                })
                .collect(),
        }
    }

    /// Rows and held detections across all rules: the size of the window state.
    pub fn state_size(&self) -> usize {
        self.rules
            .iter()
            .map(|s| {
                let windows = match &s.mode {
                    Mode::Windowed(w) => w.state_size(),
                    Mode::PerEvent => 0,
                };
                windows + s.pending.len()
            })
            .sum()
    }
}

/// Evaluates a rule without `match:` on the rows of one event: every surviving copy of the
/// event is one tuple of the event's group, so one event gives at most one detection.
fn evaluate_event(rule: &Rule, rows: &[Row]) -> Option<Candidate> {
    if rows.is_empty() {
        return None;
    }
    let tuples: Vec<Tuple<'_>> = rows.iter().map(|r| vec![Some(r.row_ref())]).collect();
    evaluate(&rule.plan, &rule.info, &tuples, None)
}
