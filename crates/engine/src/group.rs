//! Turning a group of joined tuples into a detection: outcomes, then the condition.

use std::collections::BTreeMap;

use crate::fast_hash::HashMap;
use std::sync::Arc;

use udm::{Event, Timestamp, Value};

use crate::detection::{detection_id, now, Detection, DetectionType, RuleInfo, MAX_SAMPLES};
use crate::eval::expr::{eval, test, Env};
use crate::join::Tuple;
use crate::plan::build::DEFAULT_RISK_SCORE;
use crate::plan::{Plan, VarSource};

/// A variable's events keyed by (time, event id, sequence number), the sample order.
type EventsInOrder<'a> = BTreeMap<(i128, udm::Str, u64), &'a Arc<Event>>;

/// A detection with the facts de-duplication needs.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub detection: Detection,
    /// Sequence numbers of every event in the detection, sorted.
    pub seqs: Vec<u64>,
    /// The earliest and latest event time, in nanoseconds.
    pub min_time: i128,
    pub max_time: i128,
}

/// Evaluates the outcomes and the condition over a group that shares match values. Returns
/// the detection when the condition holds.
pub(crate) fn evaluate(
    plan: &Plan,
    info: &Arc<RuleInfo>,
    tuples: &[Tuple<'_>],
    window: Option<(Timestamp, Timestamp)>,
) -> Option<Candidate> {
    let first = tuples.first()?;
    // Most groups fail the condition, so it is tested first with only the outcomes it needs;
    // the others read as null meanwhile, which nothing it reads can see.
    let needed = |index: usize| plan.condition_outcomes.get(index).copied().unwrap_or(true);
    let mut outcomes = vec![Value::Null; plan.outcomes.len()];
    compute_outcomes(plan, first, tuples, window, &mut outcomes, needed);
    if let Some(condition) = &plan.condition {
        let env = Env {
            plan,
            rows: first,
            outcomes: &outcomes,
            element: None,
            group: Some(tuples),
            window,
        };
        if !test(condition, &env) {
            return None;
        }
    }
    compute_outcomes(plan, first, tuples, window, &mut outcomes, |index| !needed(index));
    let env =
        Env { plan, rows: first, outcomes: &outcomes, element: None, group: Some(tuples), window };
    let match_values: Vec<(String, Value)> =
        plan.match_vars.iter().map(|(p, name)| (name.clone(), env.placeholder(*p))).collect();

    // Every distinct event per variable, in time order; events with the same time are
    // ordered by id, so the samples do not depend on the order events arrived in.
    let mut per_var: Vec<EventsInOrder<'_>> = vec![BTreeMap::new(); plan.vars.len()];
    let mut ids: HashMap<u64, udm::Str> = HashMap::default();
    // Data-table rows are not events: they are neither samples nor part of the event set.
    let is_table =
        |var: usize| plan.vars.get(var).is_some_and(|v| matches!(v.source, VarSource::Table(_)));
    for tuple in tuples {
        for (var, row) in tuple.iter().enumerate() {
            if is_table(var) {
                continue;
            }
            if let (Some(row), Some(events)) = (row, per_var.get_mut(var)) {
                let time = row.time();
                let id = ids.entry(row.seq).or_insert_with(|| row.id()).clone();
                events.insert((time, id, row.seq), row.event);
            }
        }
    }
    let mut seqs: Vec<u64> = Vec::new();
    let mut event_ids: Vec<String> = Vec::new();
    let mut min_time = i128::MAX;
    let mut max_time = i128::MIN;
    let mut samples: Vec<(String, Vec<Arc<Event>>)> = Vec::with_capacity(plan.vars.len());
    for (var, events) in per_var.iter().enumerate() {
        if is_table(var) {
            continue;
        }
        let name = plan.vars.get(var).map_or_else(String::new, |v| v.name.clone());
        let reads_events = plan.vars.get(var).is_none_or(|v| v.source.reads_events());
        let mut kept = Vec::new();
        for ((time, id, seq), event) in events {
            let (time, seq) = (*time, *seq);
            seqs.push(seq);
            event_ids.push(id.to_string());
            // An entity record has no event time; its row sorts by its interval's start.
            if reads_events {
                min_time = min_time.min(time);
                max_time = max_time.max(time);
            }
            if kept.len() < MAX_SAMPLES {
                // A partial event is read whole when the detection leaves the engine, since
                // de-duplication drops most candidates of hop windows first.
                kept.push(Arc::clone(event));
            }
        }
        samples.push((name, kept));
    }
    seqs.sort_unstable();
    seqs.dedup();
    event_ids.sort();
    event_ids.dedup();
    if seqs.is_empty() {
        return None;
    }
    let window = window.unwrap_or_else(|| {
        let time = timestamp(min_time);
        (time, timestamp(max_time))
    });
    let first_event = if min_time == i128::MAX { window.0 } else { timestamp(min_time) };

    let mut outcome_pairs: Vec<(String, Value)> =
        plan.outcomes.iter().map(|(name, _)| name.clone()).zip(outcomes).collect();
    if !outcome_pairs.iter().any(|(name, _)| name == "risk_score") {
        outcome_pairs.push(("risk_score".to_owned(), DEFAULT_RISK_SCORE));
    }
    let id = detection_id(info, &match_values, window, &event_ids);
    let kind =
        if plan.single_event { DetectionType::SingleEvent } else { DetectionType::MultiEvent };
    Some(Candidate {
        detection: Detection {
            id,
            rule: Arc::clone(info),
            kind,
            window,
            match_values,
            outcomes: outcome_pairs,
            events: samples,
            event_ids,
            first_event,
            detected_at: now(),
        },
        seqs,
        min_time,
        max_time,
    })
}

/// Evaluates, in order, the outcomes whose index `selected` accepts into their places in
/// `outcomes`. Each reads the outcomes before it as `outcomes` contains them.
fn compute_outcomes(
    plan: &Plan,
    first: &Tuple<'_>,
    tuples: &[Tuple<'_>],
    window: Option<(Timestamp, Timestamp)>,
    outcomes: &mut [Value],
    selected: impl Fn(usize) -> bool,
) {
    for (index, (_, expr)) in plan.outcomes.iter().enumerate() {
        if !selected(index) {
            continue;
        }
        let (before, rest) = outcomes.split_at_mut(index);
        let Some(outcome) = rest.first_mut() else { break };
        let env =
            Env { plan, rows: first, outcomes: before, element: None, group: Some(tuples), window };
        *outcome = eval(expr, &env);
    }
}

/// A nanosecond time as a timestamp.
pub(crate) fn timestamp(nanos: i128) -> Timestamp {
    // The 64-bit division gives the same parts and costs far less than the 128-bit one.
    if let Ok(nanos) = i64::try_from(nanos) {
        return Timestamp::new(nanos.div_euclid(1_000_000_000), nanos.rem_euclid(1_000_000_000));
    }
    let seconds = nanos.div_euclid(1_000_000_000);
    let rest = nanos.rem_euclid(1_000_000_000);
    Timestamp::new(i64::try_from(seconds).unwrap_or(i64::MAX), rest as i64)
}
