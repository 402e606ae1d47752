//! Routing keys: which slice of the window state an event feeds, so that a rule set can run
//! across processes that each hold some of the state.
//!
//! A rule with `match:` keeps its rows partitioned by the match placeholders that every event
//! variable assigns, because rows that differ there never join. Its routing key is that
//! partition key, so every event one window needs has the same key. A rule without `match:`
//! evaluates each event alone and is keyed by the event's id, except when it sets
//! `suppression_window`, whose state spans all the rule's detections: then every event of the
//! rule has the rule's name as its key.
//!
//! [`Router`] gives the keys of an event, and [`Engine::push_routed`](crate::Engine::push_routed)
//! takes only the rows whose key a caller accepts. Both use the same encoding, so a key that
//! [`partition_of`] maps to one partition is taken by exactly the engine that owns it.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use udm::Event;

use crate::dispatch::Dispatch;
use crate::eval::ops::Key;
use crate::plan::Plan;
use crate::rows::{for_each_row_placeholders, has_row, EventEntry};
use crate::rule::Rule;
use crate::runtime::{partition_key, partition_placeholders};

/// One place an event is needed: a rule, one of its event variables, and the routing key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    /// The rule's index in the rule list the router was built from.
    pub rule: usize,
    /// The event variable's index in the rule.
    pub var: usize,
    /// The routing key; see the module documentation.
    pub key: String,
}

/// Computes the routing keys of events for a set of rules.
#[derive(Debug, Clone)]
pub struct Router {
    plans: Vec<Arc<Plan>>,
    dispatch: Dispatch,
    /// Per rule, the placeholders of its partition key, or `None` for a rule without `match:`.
    partition_by: Vec<Option<Vec<(usize, bool)>>>,
}

impl Router {
    /// Builds the router of a set of rules.
    pub fn new(rules: &[Rule]) -> Router {
        let plans: Vec<Arc<Plan>> = rules.iter().map(|r| Arc::clone(&r.plan)).collect();
        let refs: Vec<&Plan> = plans.iter().map(|p| p.as_ref()).collect();
        let dispatch = Dispatch::new(&refs);
        let partition_by = plans
            .iter()
            .map(|plan| plan.window.is_some().then(|| partition_placeholders(plan)))
            .collect();
        Router { plans, dispatch, partition_by }
    }

    /// The distinct routes of an event, sorted; empty when no rule can make a row from it.
    pub fn routes(&self, event: &Arc<Event>) -> Vec<Route> {
        let entry = EventEntry::new(Arc::clone(event), 0);
        let mut out = Vec::new();
        let mut memo = self.dispatch.memo();
        for gate in self.dispatch.candidates(event) {
            let Some(plan) = self.plans.get(gate.rule) else { continue };
            let Some(decided) = gate.decide(plan, event, &mut memo) else { continue };
            match self.partition_by.get(gate.rule) {
                Some(Some(partition_by)) => {
                    for_each_row_placeholders(plan, gate.var, event, decided, |placeholders| {
                        let key = encode_key(&partition_key(partition_by, placeholders));
                        out.push(Route { rule: gate.rule, var: gate.var, key });
                    });
                }
                _ => {
                    if has_row(plan, gate.var, event, decided) {
                        let key = per_event_key(plan, &entry);
                        out.push(Route { rule: gate.rule, var: gate.var, key });
                    }
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// The routing key of an event for a rule without `match:`.
pub(crate) fn per_event_key(plan: &Plan, entry: &EventEntry) -> String {
    if plan.suppression.is_some() {
        format!("rule:{}", plan.name)
    } else {
        format!("event:{}", entry.id())
    }
}

/// Encodes a partition key as text: strings as they are, other values in a tagged form,
/// separated by the ASCII unit separator. Two keys that encode alike only share a partition.
pub(crate) fn encode_key(key: &[Key]) -> String {
    let parts: Vec<String> = key
        .iter()
        .map(|k| match k {
            Key::Str(s) => s.to_string(),
            Key::Int(i) => i.to_string(),
            other => format!("{other:?}"),
        })
        .collect();
    format!("match:{}", parts.join("\u{1f}"))
}

/// The partition, out of `partitions`, that a routing key belongs to: the first eight bytes
/// of its SHA-256 digest, modulo the count. It depends on nothing but the key, so every
/// process and every version that keeps this function agrees on it.
pub fn partition_of(key: &str, partitions: u32) -> u32 {
    let digest = Sha256::digest(key.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_be_bytes(first) % u64::from(partitions.max(1))) as u32
}
