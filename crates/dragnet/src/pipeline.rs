//! The steps a hunt and a rule test share: correlating normalised events and applying change
//! windows.

use std::sync::Arc;

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
    let mut engine = engine::Engine::new(rules);
    let mut detections = Vec::new();
    for event in events {
        detections.extend(engine.push(event?));
    }
    detections.extend(engine.finish());
    detections
        .sort_by(|a, b| (a.window.0, &a.rule.name, &a.id).cmp(&(b.window.0, &b.rule.name, &b.id)));
    let (detections, suppressed) = suppressions.apply(detections);
    Ok(Correlated { detections, suppressed, stats: engine.stats() })
}
