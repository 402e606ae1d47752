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

/// A test on the raw text of a native UDM JSON record, before it is parsed: whether it
/// contains any string that some event variable of some rule requires.
///
/// Built by [`Prefilter::raw_filter`] only when every event variable of every rule requires
/// one of a few strings (such as `$e.metadata.log_type = "OKTA"`), so a record without any of
/// them gives no rule a row and need not be parsed. It is only sound for records read as
/// native UDM: another source's parser writes UDM fields the raw record does not contain.
#[derive(Debug, Clone)]
pub struct RawFilter {
    /// The required strings, JSON-encoded as they appear between quotes in a record.
    strings: aho_corasick::AhoCorasick,
}

impl RawFilter {
    /// Whether a rule may make a row from the record: false only when the record contains
    /// none of the required strings.
    ///
    /// A record with a `\u` or `\/` escape anywhere passes, because it may spell a required
    /// string with escapes that its plain JSON encoding does not use.
    pub fn may_match(&self, record: &[u8]) -> bool {
        self.strings.is_match(record)
            || memchr::memmem::find(record, b"\\u").is_some()
            || memchr::memmem::find(record, b"\\/").is_some()
    }
}

impl Prefilter {
    /// Builds the raw-record test for native UDM input, when every event variable of every rule
    /// requires one of a known set of strings; see [`RawFilter`].
    pub fn raw_filter(&self) -> Option<RawFilter> {
        let mut encoded: Vec<String> = Vec::new();
        for gate in self.dispatch.gates() {
            for text in gate.required_strings()? {
                // JSON-encode as serde_json writes strings, then drop the quotes.
                let json = serde_json::to_string(&text).ok()?;
                let inner = json.get(1..json.len().saturating_sub(1))?.to_owned();
                if !encoded.contains(&inner) {
                    encoded.push(inner);
                }
            }
        }
        if encoded.is_empty() {
            return None;
        }
        let strings = aho_corasick::AhoCorasick::new(&encoded).ok()?;
        Some(RawFilter { strings })
    }
}
