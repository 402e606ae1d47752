//! Counters and gauges of the watch service, rendered in the Prometheus text format for
//! `GET /metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

/// What a metric is, for its `# TYPE` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
}

/// Name, kind and help text of every metric the service exports.
const METRICS: &[(&str, Kind, &str)] = &[
    ("dragnet_watch_events_total", Kind::Counter, "UDM events received, per input."),
    (
        "dragnet_watch_records_rejected_total",
        Kind::Counter,
        "Records that could not be read or normalised, and events rejected by --max-future, \
         per input.",
    ),
    (
        "dragnet_watch_late_events_total",
        Kind::Counter,
        "Events older than the watermark, written to the dead-letter file.",
    ),
    (
        "dragnet_watch_future_events_total",
        Kind::Counter,
        "Events more than --max-future ahead of the wall clock, rejected, per input.",
    ),
    ("dragnet_watch_detections_total", Kind::Counter, "Detections put in the outbox, per rule."),
    (
        "dragnet_watch_http_requests_total",
        Kind::Counter,
        "Requests to POST /v1/events, per response status.",
    ),
    (
        "dragnet_watch_http_timeouts_total",
        Kind::Counter,
        "HTTP requests cut off by --header-read-timeout or --body-read-timeout, per phase \
         (headers or body).",
    ),
    (
        "dragnet_watch_suppressed_total",
        Kind::Counter,
        "Detections left out by a --suppressions change window, per rule.",
    ),
    (
        "dragnet_watch_dead_letters_total",
        Kind::Counter,
        "Records written to the dead-letter file, per reason.",
    ),
    ("dragnet_watch_sink_deliveries_total", Kind::Counter, "Detections delivered, per sink."),
    ("dragnet_watch_sink_retries_total", Kind::Counter, "Delivery attempts retried, per sink."),
    (
        "dragnet_watch_sink_failures_total",
        Kind::Counter,
        "Detections a sink gave up on and dead-lettered, per sink.",
    ),
    ("dragnet_watch_checkpoints_total", Kind::Counter, "Checkpoints committed to the store."),
    ("dragnet_watch_checkpoint_seconds_total", Kind::Counter, "Time spent committing checkpoints."),
    ("dragnet_watch_reloads_total", Kind::Counter, "Rule and list reloads, per result."),
    ("dragnet_watch_rules_loaded", Kind::Gauge, "Rules running."),
    (
        "dragnet_watch_state_size",
        Kind::Gauge,
        "Rows and held detections in the engine's window state.",
    ),
    ("dragnet_watch_retained_events", Kind::Gauge, "Accepted events kept in the store for replay."),
    ("dragnet_watch_queue_depth", Kind::Gauge, "Batches waiting for the pipeline."),
    (
        "dragnet_watch_watermark_seconds",
        Kind::Gauge,
        "The watermark, in seconds since the Unix epoch.",
    ),
    ("dragnet_watch_watermark_lag_seconds", Kind::Gauge, "Wall-clock time minus the watermark."),
    (
        "dragnet_watch_input_lag_bytes",
        Kind::Gauge,
        "Bytes of a followed file not yet read, per input.",
    ),
    (
        "dragnet_watch_kafka_lag",
        Kind::Gauge,
        "Messages behind the partition's high watermark, per partition.",
    ),
    (
        "dragnet_watch_signals_sent_total",
        Kind::Counter,
        "With --stage route: signals written, per signals partition.",
    ),
    (
        "dragnet_watch_signal_duplicates_total",
        Kind::Counter,
        "With --stage correlate: re-sent signals dropped, per signals partition.",
    ),
    (
        "dragnet_watch_signals_replayed_total",
        Kind::Counter,
        "With --stage correlate: messages replayed to rebuild window state, per partition.",
    ),
    (
        "dragnet_watch_outbox_pending",
        Kind::Gauge,
        "Detections in the outbox not yet delivered, per sink.",
    ),
];

/// The service's metrics: values by metric name and label set.
#[derive(Default)]
pub struct Metrics {
    values: Mutex<BTreeMap<(&'static str, String), f64>>,
}

/// Formats one label pair, escaping the value as the text format requires.
pub fn label(name: &str, value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    format!("{name}=\"{escaped}\"")
}

impl Metrics {
    /// Adds `by` to a counter.
    pub fn add(&self, name: &'static str, labels: String, by: f64) {
        if by == 0.0 {
            return;
        }
        let mut values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        *values.entry((name, labels)).or_default() += by;
    }

    /// Sets a gauge.
    pub fn set(&self, name: &'static str, labels: String, value: f64) {
        let mut values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        values.insert((name, labels), value);
    }

    /// Renders every metric in the Prometheus text exposition format, version 0.0.4.
    pub fn render(&self) -> String {
        let values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        for (name, kind, help) in METRICS {
            let kind = match kind {
                Kind::Counter => "counter",
                Kind::Gauge => "gauge",
            };
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            let mut any = false;
            for ((metric, labels), value) in values.range((*name, String::new())..) {
                if metric != name {
                    break;
                }
                any = true;
                if labels.is_empty() {
                    let _ = writeln!(out, "{name} {value}");
                } else {
                    let _ = writeln!(out, "{name}{{{labels}}} {value}");
                }
            }
            // An unlabelled metric that was never touched still shows as 0.
            if !any && !name.ends_with("_lag_bytes") && !name.ends_with("_kafka_lag") {
                let _ = writeln!(out, "{name} 0");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_text_format() {
        let metrics = Metrics::default();
        metrics.add("dragnet_watch_detections_total", label("rule", "r\"1"), 2.0);
        metrics.set("dragnet_watch_state_size", String::new(), 7.0);
        let text = metrics.render();
        assert!(text.contains("# TYPE dragnet_watch_detections_total counter"));
        assert!(text.contains("dragnet_watch_detections_total{rule=\"r\\\"1\"} 2"));
        assert!(text.contains("dragnet_watch_state_size 7"));
        assert!(text.contains("dragnet_watch_late_events_total 0"));
    }
}
