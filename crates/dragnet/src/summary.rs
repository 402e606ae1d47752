//! The summary printed on stderr after a hunt.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;

use crate::normalize::InputStats;
use crate::ruleset::RejectedRule;

/// What a hunt did, for the closing summary.
pub struct Summary<'a> {
    /// Rules that compiled and ran.
    pub rules_loaded: usize,
    /// Rules that were rejected, with reasons.
    pub rejected_rules: Vec<RejectedRule>,
    /// Per-input record counts.
    pub inputs: Vec<InputStats>,
    /// The detections, serialised.
    pub detections: &'a [Value],
    /// Wall-clock time of the whole run.
    pub elapsed: Duration,
}

impl Summary<'_> {
    /// Renders the summary as text lines.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "\nsummary:");
        let _ = writeln!(
            out,
            "  rules: {} loaded, {} rejected",
            self.rules_loaded,
            self.rejected_rules.len()
        );
        for rejected in &self.rejected_rules {
            let _ = writeln!(out, "    rejected {}: {}", rejected.name, rejected.reason);
        }
        let records: u64 = self.inputs.iter().map(|i| i.records).sum();
        let rejected: u64 = self.inputs.iter().map(|i| i.rejected).sum();
        let events: u64 = self.inputs.iter().map(|i| i.events).sum();
        let _ = writeln!(
            out,
            "  inputs: {} read, {records} records, {rejected} rejected, {events} events",
            self.inputs.len()
        );
        for input in &self.inputs {
            match &input.failed {
                Some(reason) => {
                    let _ = writeln!(out, "    {}: not read: {reason}", input.name);
                }
                None => {
                    let _ = writeln!(
                        out,
                        "    {}: {} records, {} rejected, {} events",
                        input.name, input.records, input.rejected, input.events
                    );
                }
            }
        }
        let mut per_rule: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for detection in self.detections {
            let rule = detection.pointer("/rule/name").and_then(Value::as_str).unwrap_or("");
            let severity =
                detection.pointer("/rule/severity").and_then(Value::as_str).unwrap_or("-");
            *per_rule.entry((rule, severity)).or_default() += 1;
        }
        let _ = writeln!(out, "  detections: {}", self.detections.len());
        for ((rule, severity), count) in per_rule {
            let _ = writeln!(out, "    {rule} ({severity}): {count}");
        }
        let _ = writeln!(out, "  time: {:.3}s", self.elapsed.as_secs_f64());
        out
    }
}
