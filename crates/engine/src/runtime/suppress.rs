//! `options: suppression_window`: drop repeats of a detection within a period.
//!
//! The key is the match values for a rule with `match:`, the `$suppression_key` outcome for
//! one without, or nothing (every detection of the rule shares one key). The first detection
//! of a key opens a period of the window's length, in event time, and detections of the same
//! key that end inside it are dropped.

use crate::fast_hash::HashMap;

use crate::detection::Detection;
use crate::eval::ops::Key;
use crate::plan::Plan;

/// Suppression state of one rule.
#[derive(Default)]
pub(crate) struct Suppressor {
    until: HashMap<Vec<Key>, i128>,
    /// Detections dropped so far.
    pub suppressed: u64,
}

impl Suppressor {
    /// Whether the detection passes; records it when it does.
    pub(crate) fn admit(&mut self, plan: &Plan, detection: &Detection) -> bool {
        let Some(length) = plan.suppression else { return true };
        let key: Vec<Key> = if !plan.match_vars.is_empty() {
            detection.match_values.iter().map(|(_, v)| Key::of(v, false)).collect()
        } else {
            plan.suppression_key
                .and_then(|i| detection.outcomes.get(i))
                .map(|(_, v)| vec![Key::of(v, false)])
                .unwrap_or_default()
        };
        let time = detection.time().as_nanos();
        match self.until.get(&key) {
            Some(&until) if time < until => {
                self.suppressed += 1;
                false
            }
            _ => {
                self.until.insert(key, time.saturating_add(length));
                true
            }
        }
    }

    /// Forgets periods that ended before `watermark`.
    pub(crate) fn expire(&mut self, watermark: i128) {
        self.until.retain(|_, until| *until > watermark);
    }

    /// Returns whether no period is open.
    pub(crate) fn is_empty(&self) -> bool {
        self.until.is_empty()
    }
}
