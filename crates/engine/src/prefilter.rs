//! Dropping events that no rule can use, before they are sorted and correlated.

use std::sync::Arc;

use udm::Event;

use crate::dispatch::Dispatch;
use crate::plan::Plan;
use crate::rows::{has_row, EventEntry};
use crate::rule::Rule;

/// Decides whether any event variable of a set of rules makes a row from an event.
///
/// An event for which [`Prefilter::wants`] is false gives no row to any rule, so leaving it
/// out of an [`Engine`](crate::Engine) run changes no detection: it opens no window, joins no
/// tuple and counts in no aggregate. A hunt runs the prefilter on every core, so that sorting
/// and correlation only see the events that matter. The result is exact, not a heuristic: it
/// runs each variable's filters, bindings and zero-value checks.
#[derive(Debug, Clone)]
pub struct Prefilter {
    plans: Vec<Arc<Plan>>,
    dispatch: Dispatch,
}

impl Prefilter {
    /// Builds the prefilter of a set of rules.
    pub fn new(rules: &[Rule]) -> Prefilter {
        let plans: Vec<Arc<Plan>> = rules.iter().map(|r| Arc::clone(&r.plan)).collect();
        let refs: Vec<&Plan> = plans.iter().map(|p| p.as_ref()).collect();
        let dispatch = Dispatch::new(&refs);
        Prefilter { plans, dispatch }
    }

    /// Whether some event variable of some rule makes at least one row from the event.
    pub fn wants(&self, event: &Arc<Event>) -> bool {
        let entry = EventEntry::new(Arc::clone(event), 0);
        self.dispatch.candidates(event).into_iter().any(|gate| {
            let Some(plan) = self.plans.get(gate.rule) else { return false };
            gate.admits(plan, event) && has_row(plan, gate.var, &entry)
        })
    }
}
