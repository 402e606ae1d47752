//! Match window arithmetic: which windows hold an event time, when a window closes, and how
//! far back rows must be kept.
//!
//! Times are nanoseconds since the Unix epoch. Hop and tumbling windows are half-open,
//! `[start, start + length)`, so an event exactly one window length after another never
//! shares a window with it. Sliding windows are closed at both ends, `[t, t + length]` after
//! the pivot or `[t - length, t]` before it, because Google does not say whether their ends
//! are inclusive and a closed window keeps an event at exactly the boundary.

use crate::plan::WindowPlan;

/// Identifies one window of a rule within a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum WindowKey {
    /// A hop or tumbling window, by its start.
    Aligned(i128),
    /// A sliding window, by its pivot event's time and sequence number.
    Pivot { time: i128, seq: u64 },
}

/// The bounds of a window: `start..end`, and whether `end` is inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounds {
    pub start: i128,
    pub end: i128,
    pub end_inclusive: bool,
}

impl Bounds {
    pub(crate) fn contains(&self, time: i128) -> bool {
        time >= self.start && (time < self.end || (self.end_inclusive && time == self.end))
    }

    /// The watermark at which every event of the window has arrived.
    pub(crate) fn close_at(&self) -> i128 {
        if self.end_inclusive {
            self.end.saturating_add(1)
        } else {
            self.end
        }
    }
}

/// The largest multiple of `step` at or below `t`.
pub(crate) fn floor_to(t: i128, step: i128) -> i128 {
    // Event times and window lengths mostly fit in 64 bits, whose division costs far less than
    // the 128-bit one. Only the quotient is computed in 64 bits, so the product cannot overflow.
    match (i64::try_from(t), i64::try_from(step)) {
        (Ok(t), Ok(step64)) if step64 > 0 => i128::from(t.div_euclid(step64)) * step,
        _ => t.div_euclid(step) * step,
    }
}

/// The aligned windows that hold time `t`: every hop start in `(t - length, t]`, or the one
/// tumbling window.
pub(crate) fn aligned_starts(window: &WindowPlan, t: i128) -> Vec<i128> {
    match *window {
        WindowPlan::Hop { length, hop } => {
            let last = floor_to(t, hop);
            let mut starts = Vec::new();
            let mut start = last;
            while start > t - length {
                starts.push(start);
                start -= hop;
            }
            starts.reverse();
            starts
        }
        WindowPlan::Tumbling { length } => vec![floor_to(t, length)],
        WindowPlan::Sliding { .. } => Vec::new(),
    }
}

/// The bounds of a window of the rule.
pub(crate) fn bounds(window: &WindowPlan, key: WindowKey) -> Bounds {
    match (*window, key) {
        (WindowPlan::Sliding { length, after, .. }, WindowKey::Pivot { time, .. }) => {
            if after {
                Bounds { start: time, end: time.saturating_add(length), end_inclusive: true }
            } else {
                Bounds { start: time.saturating_sub(length), end: time, end_inclusive: true }
            }
        }
        (plan, WindowKey::Aligned(start)) | (plan, WindowKey::Pivot { time: start, .. }) => {
            Bounds { start, end: start.saturating_add(plan.length()), end_inclusive: false }
        }
    }
}

/// Rows older than this time are in no window that is still open at `watermark`, nor in any
/// window a later event can open.
pub(crate) fn horizon(window: &WindowPlan, watermark: i128) -> i128 {
    match *window {
        // The first hop start whose window has not closed.
        WindowPlan::Hop { length, hop } => floor_to(watermark - length, hop) + hop,
        WindowPlan::Tumbling { length } => floor_to(watermark, length),
        // A later pivot has its time at or after the watermark, so its window reaches back at
        // most one length before it.
        WindowPlan::Sliding { length, .. } => watermark.saturating_sub(length),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i128 = 60_000_000_000;

    #[test]
    fn hop_starts_cover_time() {
        let window = WindowPlan::Hop { length: 10 * MINUTE, hop: MINUTE };
        let starts = aligned_starts(&window, 30 * MINUTE + 5);
        assert_eq!(starts.len(), 10);
        assert_eq!(starts.first(), Some(&(21 * MINUTE)));
        assert_eq!(starts.last(), Some(&(30 * MINUTE)));
        for start in starts {
            let b = bounds(&window, WindowKey::Aligned(start));
            assert!(b.contains(30 * MINUTE + 5));
        }
    }

    #[test]
    fn hop_window_is_half_open() {
        let window = WindowPlan::Hop { length: 5 * MINUTE, hop: 30_000_000_000 };
        let b = bounds(&window, WindowKey::Aligned(0));
        assert!(b.contains(0));
        assert!(b.contains(5 * MINUTE - 1));
        assert!(!b.contains(5 * MINUTE));
        assert_eq!(b.close_at(), 5 * MINUTE);
    }

    #[test]
    fn tumbling_start_is_aligned() {
        let window = WindowPlan::Tumbling { length: 30 * MINUTE };
        assert_eq!(aligned_starts(&window, 45 * MINUTE), vec![30 * MINUTE]);
        assert_eq!(aligned_starts(&window, -MINUTE), vec![-30 * MINUTE]);
    }

    #[test]
    fn sliding_window_is_closed() {
        let window = WindowPlan::Sliding { length: 5 * MINUTE, pivot: 0, after: true };
        let b = bounds(&window, WindowKey::Pivot { time: MINUTE, seq: 0 });
        assert!(b.contains(MINUTE));
        assert!(b.contains(6 * MINUTE));
        assert!(!b.contains(6 * MINUTE + 1));
        assert_eq!(b.close_at(), 6 * MINUTE + 1);
        let before = WindowPlan::Sliding { length: 5 * MINUTE, pivot: 0, after: false };
        let b = bounds(&before, WindowKey::Pivot { time: 6 * MINUTE, seq: 0 });
        assert!(b.contains(MINUTE));
        assert!(!b.contains(MINUTE - 1));
    }

    #[test]
    fn floor_to_rounds_down() {
        assert_eq!(floor_to(7, 3), 6);
        assert_eq!(floor_to(6, 3), 6);
        assert_eq!(floor_to(-1, 3), -3);
        assert_eq!(floor_to(-3, 3), -3);
        assert_eq!(floor_to(i128::from(i64::MIN), 10), i128::from(i64::MIN) - 2);
        // Past 64 bits the 128-bit division runs.
        let big = i128::from(i64::MAX) * 4 + 1;
        assert_eq!(floor_to(big, 4), big - 1);
        assert_eq!(floor_to(-big, 4), -big - 3);
    }

    #[test]
    fn horizon_keeps_open_windows() {
        let window = WindowPlan::Hop { length: 10 * MINUTE, hop: MINUTE };
        // At 30m the windows starting at 20m and before have closed.
        assert_eq!(horizon(&window, 30 * MINUTE), 21 * MINUTE);
    }
}
