//! The steps a hunt and a rule test share: correlating normalised events and applying change
//! windows.

use std::sync::{mpsc, Arc};
use std::thread;

use udm::Event;

use crate::suppress::{Suppressed, Suppressions};

/// Detections of one run, with the engine's counters.
pub struct Correlated {
    /// Detections in time order, change windows applied.
    pub detections: Vec<engine::Detection>,
    /// Detections left out by change windows.
    pub suppressed: Vec<Suppressed>,
    /// The engine's counters.
    pub stats: engine::EngineStats,
}

/// Runs the rules over the events in event-time order and closes every window at the end.
///
/// Hunts correlate in event-time order whatever the input order; the stable sort keeps the
/// input order among events with the same time.
pub fn correlate(
    rules: Vec<engine::Rule>,
    mut events: Vec<Arc<Event>>,
    suppressions: &Suppressions,
) -> Correlated {
    events.sort_by_key(|event| event.event_time());
    let sorted = events.into_iter().map(Ok::<_, std::convert::Infallible>);
    match correlate_sorted(rules, sorted, suppressions) {
        Ok(correlated) => correlated,
        Err(never) => match never {},
    }
}

/// Runs the rules over events that arrive in event-time order, such as the output of
/// [`engine::TimeSorter`], and closes every window at the end. Stops at the first event that
/// could not be read.
pub fn correlate_sorted<E>(
    rules: Vec<engine::Rule>,
    events: impl IntoIterator<Item = Result<Arc<Event>, E>>,
    suppressions: &Suppressions,
) -> Result<Correlated, E> {
    correlate_sorted_on(rules, events, suppressions, 1)
}

/// Events sent to each correlation thread at a time.
const CORRELATION_BATCH: usize = 1024;

/// Like [`correlate_sorted`], with the rules split across `threads` engines that run side by
/// side over the same events.
///
/// Rules do not share state in the engine, and every engine sees every event in the same
/// order, so each rule finds the same detections, with the same ids, as in one engine.
pub fn correlate_sorted_on<E>(
    rules: Vec<engine::Rule>,
    events: impl IntoIterator<Item = Result<Arc<Event>, E>>,
    suppressions: &Suppressions,
    threads: usize,
) -> Result<Correlated, E> {
    let groups = threads.clamp(1, rules.len().max(1));
    let (mut detections, stats) = if groups == 1 {
        let mut engine = engine::Engine::new(rules);
        let mut detections = Vec::new();
        for event in events {
            detections.extend(engine.push(event?));
        }
        detections.extend(engine.finish());
        (detections, engine.stats())
    } else {
        run_engines(rules, events, groups)?
    };
    detections
        .sort_by(|a, b| (a.window.0, &a.rule.name, &a.id).cmp(&(b.window.0, &b.rule.name, &b.id)));
    let (detections, suppressed) = suppressions.apply(detections);
    Ok(Correlated { detections, suppressed, stats })
}

/// Runs rule `i` in engine `i % groups`, one engine per thread, and merges their detections
/// and counters, the counters in rule order.
fn run_engines<E>(
    rules: Vec<engine::Rule>,
    events: impl IntoIterator<Item = Result<Arc<Event>, E>>,
    groups: usize,
) -> Result<(Vec<engine::Detection>, engine::EngineStats), E> {
    let rule_count = rules.len();
    let mut split: Vec<Vec<engine::Rule>> = (0..groups).map(|_| Vec::new()).collect();
    for (index, rule) in rules.into_iter().enumerate() {
        if let Some(group) = split.get_mut(index % groups) {
            group.push(rule);
        }
    }
    thread::scope(|scope| {
        let mut senders = Vec::with_capacity(groups);
        let mut handles = Vec::with_capacity(groups);
        for group in split {
            let (sender, receiver) = mpsc::sync_channel::<Arc<[Arc<Event>]>>(4);
            senders.push(sender);
            handles.push(scope.spawn(move || {
                let mut engine = engine::Engine::new(group);
                let mut detections = Vec::new();
                for batch in receiver {
                    for event in batch.iter() {
                        detections.extend(engine.push(Arc::clone(event)));
                    }
                }
                detections.extend(engine.finish());
                (detections, engine.stats())
            }));
        }
        let mut failure = None;
        let mut batch = Vec::with_capacity(CORRELATION_BATCH);
        let send = |batch: &mut Vec<Arc<Event>>| {
            let shared: Arc<[Arc<Event>]> = std::mem::take(batch).into();
            for sender in &senders {
                // A send fails only when the engine thread panicked; the join below reports it.
                let _ = sender.send(Arc::clone(&shared));
            }
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
        let mut detections = Vec::new();
        let mut per_group = Vec::with_capacity(groups);
        for handle in handles {
            let (found, stats) = match handle.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            detections.extend(found);
            per_group.push(stats);
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
        Ok((detections, stats))
    })
}
