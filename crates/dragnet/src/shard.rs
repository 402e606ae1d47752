//! `--from` and `--to`: which events a hunt reads and which detections it reports.
//!
//! A detection belongs to the time of its earliest event. A hunt with `--from A --to B`
//! reports the detections whose earliest event is in `[A, B)`, and reads the events from one
//! maximum match window (plus the maximum `suppression_window`) before `A` to one maximum match
//! window after `B`. Every window that holds such a detection's events, and every window that
//! shares events with it and so takes part in removing duplicate detections, then has all its
//! events. So hunts over adjacent ranges (shards of a long hunt, on as many machines)
//! together report the detections of one hunt over their union, with the same ids.
//!
//! NOTE: `options: suppression_window` drops a detection within the window after an earlier
//! reported one of the same key. A chain of such detections that starts more than one
//! suppression window before `A` can suppress differently in a shard than in the whole hunt.

use udm::Timestamp;

/// The requested range and the wider range of events read for it.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeRange {
    /// The earliest first-event time of a reported detection.
    pub from: Option<Timestamp>,
    /// The first-event time from which detections are no longer reported.
    pub to: Option<Timestamp>,
    /// The earliest event time read.
    pub read_from: Option<Timestamp>,
    /// The event time from which events are no longer read.
    pub read_to: Option<Timestamp>,
}

impl TimeRange {
    /// The range for `--from` and `--to`, widened by the match windows of `rules`.
    pub fn new(from: Option<Timestamp>, to: Option<Timestamp>, rules: &[engine::Rule]) -> Self {
        let nanos = |d: std::time::Duration| i128::try_from(d.as_nanos()).unwrap_or(i128::MAX);
        let window = rules.iter().filter_map(engine::Rule::window_length).map(nanos).max();
        let suppression =
            rules.iter().filter_map(engine::Rule::suppression_window).map(nanos).max();
        let window = window.unwrap_or(0);
        let before = window.saturating_add(suppression.unwrap_or(0));
        // Sliding windows include their end, so one nanosecond more is read.
        let after = window.saturating_add(1);
        TimeRange {
            from,
            to,
            read_from: from.map(|t| shift(t, -before)),
            read_to: to.map(|t| shift(t, after)),
        }
    }

    /// Whether an event at `time` is read.
    pub fn reads(&self, time: Timestamp) -> bool {
        self.read_from.is_none_or(|from| time >= from) && self.read_to.is_none_or(|to| time < to)
    }

    /// Whether the detection is reported: its earliest event is in `[from, to)`.
    pub fn reports(&self, detection: &engine::Detection) -> bool {
        let first = detection.first_event_time();
        self.from.is_none_or(|from| first >= from) && self.to.is_none_or(|to| first < to)
    }
}

fn shift(time: Timestamp, nanos: i128) -> Timestamp {
    let total = time.as_nanos().saturating_add(nanos);
    let seconds = total.div_euclid(1_000_000_000).clamp(i128::from(i64::MIN), i128::from(i64::MAX));
    let rest = total.rem_euclid(1_000_000_000);
    Timestamp::new(seconds as i64, rest as i64)
}
