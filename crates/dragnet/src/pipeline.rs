//! The steps a hunt and a rule test share: correlating normalised events and applying change
//! windows.

use std::sync::{mpsc, Arc};
use std::thread;

use udm::Event;

use crate::suppress::Suppressions;

/// Runs the rules over the events in event-time order, closes every window at the end and
/// returns the detections in output order, change windows applied.
///
/// Hunts correlate in event-time order whatever the input order; the stable sort keeps the
/// input order among events with the same time.
pub fn correlate(
    rules: Vec<engine::Rule>,
    mut events: Vec<Arc<Event>>,
    suppressions: &Suppressions,
) -> Vec<engine::Detection> {
    events.sort_by_key(|event| event.event_time());
    let sorted = events.into_iter().map(|event| Ok::<_, std::convert::Infallible>((event, None)));
    let mut detections = Vec::new();
    let correlated = correlate_each(rules, None, sorted, 1, &mut |d| {
        if suppressions.reason_to_leave_out(&d).is_none() {
            detections.push(d);
        }
    });
    if let Err(never) = correlated {
        match never {}
    }
    detections
        .sort_by(|a, b| (a.window.0, &a.rule.name, &a.id).cmp(&(b.window.0, &b.rule.name, &b.id)));
    detections
}

/// Events sent to each correlation thread at a time.
const CORRELATION_BATCH: usize = 1024;

/// An event to correlate, with the verdict that the hunt's [`engine::Prefilter`] made on it
/// when it was read, if it ran.
pub type Screened = (Arc<Event>, Option<engine::Verdict>);

/// Runs the rules over events that arrive in event-time order, such as the output of
/// [`engine::TimeSorter`], and closes every window at the end. Stops at the first event that
/// could not be read.
///
/// With `threads` above one, the rules are split across engines that run side by side over
/// the same events: one per thread, or one per two threads when `prefilter` is given. Its
/// verdicts carry each event's rows, built on the threads that read the events, so the
/// engines have about a third of the work left, while each engine repeats some work per
/// event. Rules do not share state in the engine, and every engine receives every event in
/// the same order, so each rule finds the same detections, with the same ids, as in one
/// engine.
///
/// Each detection goes to `on_detection` as soon as its engine makes it, in no particular
/// order across rules, and no change window is applied. The detections of one rule come in
/// the order its engine made them.
///
/// An event's verdict, when `prefilter` made it from the same `rules` (or clones of them),
/// spares the engines from running the filters that the prefilter ran already.
pub fn correlate_each<E>(
    rules: Vec<engine::Rule>,
    prefilter: Option<&engine::Prefilter>,
    events: impl IntoIterator<Item = Result<Screened, E>>,
    threads: usize,
    on_detection: &mut dyn FnMut(engine::Detection),
) -> Result<engine::EngineStats, E> {
    let engines = if prefilter.is_some() { threads / 2 } else { threads };
    let groups = engines.clamp(1, rules.len().max(1));
    if groups > 1 {
        return run_engines(rules, prefilter, events, groups, on_detection);
    }
    let mut engine = new_engine(rules, prefilter);
    for event in events {
        // The one engine owns the verdict, so it can move the verdict's rows.
        let detections = match event? {
            (event, Some(verdict)) => engine.push_taking_verdict(event, verdict),
            (event, None) => engine.push(event),
        };
        detections.into_iter().for_each(&mut *on_detection);
    }
    engine.finish().into_iter().for_each(&mut *on_detection);
    Ok(engine.stats())
}

/// Creates an engine for the rules that takes the verdicts of `prefilter`, if given.
fn new_engine(rules: Vec<engine::Rule>, prefilter: Option<&engine::Prefilter>) -> engine::Engine {
    let engine = engine::Engine::new(rules);
    match prefilter {
        Some(prefilter) => engine.with_prefilter(prefilter),
        None => engine,
    }
}

/// Runs rule `i` in engine `i % groups`, one engine per thread, passes their detections to
/// `on_detection` while they run, and merges their counters in rule order.
fn run_engines<E>(
    rules: Vec<engine::Rule>,
    prefilter: Option<&engine::Prefilter>,
    events: impl IntoIterator<Item = Result<Screened, E>>,
    groups: usize,
    on_detection: &mut dyn FnMut(engine::Detection),
) -> Result<engine::EngineStats, E> {
    let rule_count = rules.len();
    let mut split: Vec<Vec<engine::Rule>> = (0..groups).map(|_| Vec::new()).collect();
    for (index, rule) in rules.into_iter().enumerate() {
        if let Some(group) = split.get_mut(index % groups) {
            group.push(rule);
        }
    }
    thread::scope(|scope| {
        // Detections come back on a channel without a bound, so that an engine never waits on
        // this thread while this thread waits to send it events; this thread drains it after
        // every batch it sends, so it holds about one batch's detections.
        let (found_sender, found) = mpsc::channel::<Vec<engine::Detection>>();
        let mut senders = Vec::with_capacity(groups);
        let mut handles = Vec::with_capacity(groups);
        for group in split {
            let (sender, receiver) = mpsc::sync_channel::<Vec<Screened>>(4);
            senders.push(sender);
            let found_sender = found_sender.clone();
            handles.push(scope.spawn(move || {
                let mut engine = new_engine(group, prefilter);
                for batch in receiver {
                    let mut detections = Vec::new();
                    // Each engine gets its own part of every verdict, so it moves the rows.
                    for (event, verdict) in batch {
                        detections.extend(match verdict {
                            Some(verdict) => engine.push_taking_verdict(event, verdict),
                            None => engine.push(event),
                        });
                    }
                    if !detections.is_empty() {
                        // A send fails only when this thread's caller has returned.
                        let _ = found_sender.send(detections);
                    }
                }
                let _ = found_sender.send(engine.finish());
                engine.stats()
            }));
        }
        drop(found_sender);
        let mut failure = None;
        let mut batch = Vec::with_capacity(CORRELATION_BATCH);
        let mut send = |batch: &mut Vec<Screened>| {
            let mut parts: Vec<Vec<Screened>> =
                (0..groups).map(|_| Vec::with_capacity(batch.len())).collect();
            for (event, verdict) in batch.drain(..) {
                let verdicts = match (verdict, prefilter) {
                    (Some(verdict), Some(prefilter)) => prefilter
                        .split(verdict, groups, |rule| rule % groups)
                        .into_iter()
                        .map(Some)
                        .collect(),
                    (verdict, _) => vec![verdict; groups],
                };
                for (part, verdict) in parts.iter_mut().zip(verdicts) {
                    part.push((Arc::clone(&event), verdict));
                }
            }
            for (sender, part) in senders.iter().zip(parts) {
                // A send fails only when the engine thread panicked; the join below reports it.
                let _ = sender.send(part);
            }
            found.try_iter().flatten().for_each(&mut *on_detection);
        };
        for event in events {
            match event {
                Ok(event) => batch.push(event),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
            if batch.len() >= CORRELATION_BATCH {
                send(&mut batch);
            }
        }
        send(&mut batch);
        drop(senders);
        // Every engine holds a sender until it returns, so this ends when all have returned.
        found.iter().flatten().for_each(&mut *on_detection);
        let mut per_group = Vec::with_capacity(groups);
        for handle in handles {
            match handle.join() {
                Ok(stats) => per_group.push(stats),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        let mut stats = engine::EngineStats::default();
        let mut rule_stats: Vec<Option<engine::RuleStats>> = vec![None; rule_count];
        for (group, group_stats) in per_group.into_iter().enumerate() {
            // Every engine saw the same events, so their event counters agree.
            stats.events = group_stats.events;
            stats.late_events = group_stats.late_events;
            for (position, rule) in group_stats.rules.into_iter().enumerate() {
                if let Some(cell) = rule_stats.get_mut(group + position * groups) {
                    *cell = Some(rule);
                }
            }
        }
        stats.rules = rule_stats.into_iter().flatten().collect();
        Ok(stats)
    })
}
