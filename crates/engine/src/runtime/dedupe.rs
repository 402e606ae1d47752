//! De-duplication of hop-window detections.
//!
//! Hop windows overlap, so one burst of events lands in up to ten windows and would give up to
//! ten detections. A detection whose event set equals, or is a subset of, another detection's
//! for the same rule and match values is dropped. Windows close in order of their start, so
//! of several windows with the same events the detection reports the earliest. A candidate is
//! held until every window that could hold a superset of its events has closed: such a window
//! starts at or before the candidate's earliest event, so it closes at most one window length
//! after that event.

use crate::fast_hash::HashMap;

use super::subsets::is_subsequence;
use crate::eval::ops::Key;
use crate::group::Candidate;

struct Held {
    candidate: Candidate,
    emitted: bool,
}

/// Candidates held per match key.
pub(crate) struct Dedupe {
    held: HashMap<Vec<Key>, Vec<Held>>,
    /// At most the earliest `min_time` of the candidates not yet emitted, so that
    /// [`Dedupe::release`] can tell without a scan that it has nothing to emit.
    unemitted_from: i128,
    /// At most the earliest `max_time` of the emitted candidates still held, so that
    /// [`Dedupe::release`] can tell without a scan that it has nothing to forget.
    emitted_from: i128,
}

impl Default for Dedupe {
    fn default() -> Dedupe {
        Dedupe { held: HashMap::default(), unemitted_from: i128::MAX, emitted_from: i128::MAX }
    }
}

/// Whether sorted `small` is a subset of sorted `big`.
fn is_subset(small: &[u64], big: &[u64]) -> bool {
    small.len() <= big.len() && is_subsequence(small.iter().copied(), big)
}

impl Dedupe {
    /// Offers a new candidate; it is dropped when an earlier one covers its events, and it
    /// replaces earlier held candidates whose events it covers.
    pub(crate) fn offer(&mut self, key: Vec<Key>, candidate: Candidate) {
        let list = self.held.entry(key).or_default();
        if list.iter().any(|h| is_subset(&candidate.seqs, &h.candidate.seqs)) {
            return;
        }
        list.retain(|h| h.emitted || !is_subset(&h.candidate.seqs, &candidate.seqs));
        self.unemitted_from = self.unemitted_from.min(candidate.min_time);
        list.push(Held { candidate, emitted: false });
    }

    /// Releases the candidates that no open window can cover any more, and forgets released
    /// ones that no later candidate can be a subset of.
    pub(crate) fn release(&mut self, watermark: i128, length: i128) -> Vec<Candidate> {
        let mut out = Vec::new();
        // A candidate is emitted once `min_time + length` reaches the watermark, and forgotten
        // once `max_time + length` falls below it. When neither is due for the earliest
        // candidate of its kind, it is due for none, and the scan would change nothing.
        let nothing_to_emit = self.unemitted_from.saturating_add(length) > watermark;
        let nothing_to_forget = self.emitted_from.saturating_add(length) >= watermark;
        if nothing_to_emit && nothing_to_forget {
            return out;
        }
        let mut unemitted_from = i128::MAX;
        let mut emitted_from = i128::MAX;
        self.held.retain(|_, list| {
            for held in list.iter_mut() {
                if !held.emitted && held.candidate.min_time.saturating_add(length) <= watermark {
                    held.emitted = true;
                    out.push(held.candidate.clone());
                }
            }
            list.retain(|h| !h.emitted || h.candidate.max_time.saturating_add(length) >= watermark);
            for held in list.iter() {
                if held.emitted {
                    emitted_from = emitted_from.min(held.candidate.max_time);
                } else {
                    unemitted_from = unemitted_from.min(held.candidate.min_time);
                }
            }
            !list.is_empty()
        });
        self.unemitted_from = unemitted_from;
        self.emitted_from = emitted_from;
        out.sort_by(|a, b| {
            (a.detection.window.0, &a.detection.id).cmp(&(b.detection.window.0, &b.detection.id))
        });
        out
    }

    /// Returns the earliest watermark at which [`Dedupe::release`] would emit or forget a
    /// candidate.
    pub(crate) fn next_due(&self, length: i128) -> i128 {
        let emit = self.unemitted_from.saturating_add(length);
        let forget = self.emitted_from.saturating_add(length).saturating_add(1);
        emit.min(forget)
    }

    /// The number of candidates held.
    pub(crate) fn len(&self) -> usize {
        self.held.values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::is_subset;

    #[test]
    fn subset_of_sorted_lists() {
        assert!(is_subset(&[2, 4], &[1, 2, 3, 4]));
        assert!(is_subset(&[], &[1]));
        assert!(is_subset(&[1, 2], &[1, 2]));
        assert!(!is_subset(&[2, 5], &[1, 2, 3, 4]));
        assert!(!is_subset(&[1, 2, 3], &[1, 2]));
    }
}
