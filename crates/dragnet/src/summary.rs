//! The summary printed on stderr after a hunt.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::normalize::InputStats;
use crate::ruleset::RejectedRule;
use crate::terminal::escape_controls;

/// Counts of a hunt, for the closing summary.
pub struct Summary<'a> {
    /// Rules that compiled and ran.
    pub rules_loaded: usize,
    /// Rules that were rejected, with reasons.
    pub rejected_rules: &'a [RejectedRule],
    /// Per-input record counts.
    pub inputs: &'a [InputStats],
    /// The entity records loaded and skipped, when `--entities` was given.
    pub entities: Option<EntityCounts>,
    /// Detections per rule and severity.
    pub detections: &'a DetectionCounts,
    /// Detections dropped by each rule's `suppression_window`, by rule name.
    pub suppressed: &'a BTreeMap<String, u64>,
    /// Detections left out by change windows, by (rule, reason).
    pub change_windows: &'a BTreeMap<(String, String), u64>,
    /// Windows whose join stopped at the engine's tuple cap, by rule name.
    pub cut_joins: &'a BTreeMap<String, u64>,
    /// Events that arrived behind the watermark.
    pub late_events: u64,
    /// Events left out by `--from` and `--to`.
    pub out_of_range: u64,
    /// Detections left out because their earliest event is outside `--from` and `--to`.
    pub detections_outside: usize,
    /// Parquet files left out because their partition folders are outside `--from`/`--to`.
    pub partitions_skipped: usize,
    /// Wall-clock time of the whole run; left out when `None`, as in snapshot tests.
    pub elapsed: Option<Duration>,
}

/// The entity records of a hunt: those loaded, and those reported and skipped.
#[derive(Debug, Clone, Copy)]
pub struct EntityCounts {
    /// Records that loaded.
    pub loaded: usize,
    /// Records reported and skipped.
    pub skipped: usize,
}

/// Severities in the order the summary lists them; others follow by name.
const SEVERITY_ORDER: &[&str] = &["Critical", "High", "Medium", "Low", "Informational"];

fn severity_rank(severity: &str) -> usize {
    SEVERITY_ORDER
        .iter()
        .position(|s| s.eq_ignore_ascii_case(severity))
        .unwrap_or(SEVERITY_ORDER.len())
}

/// Detections counted per rule and per severity, as they are made.
#[derive(Debug, Default)]
pub struct DetectionCounts {
    total: u64,
    /// Per rule name and severity: the count. Two rules may share a name, and a rule's
    /// detections may differ in severity.
    per_rule: BTreeMap<(String, String), u64>,
    /// Per severity, in [`SEVERITY_ORDER`]: its count.
    per_severity: BTreeMap<(usize, String), u64>,
}

impl DetectionCounts {
    /// Counts a detection of `rule`; `severity` is `None` for a rule without one.
    pub fn add(&mut self, rule: &str, severity: Option<&str>) {
        let severity = severity.unwrap_or("none");
        self.total += 1;
        *self.per_rule.entry((rule.to_owned(), severity.to_owned())).or_default() += 1;
        *self.per_severity.entry((severity_rank(severity), severity.to_owned())).or_default() += 1;
    }
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
        for rejected in self.rejected_rules {
            let _ = writeln!(
                out,
                "    rejected {}: {}",
                escape_controls(&rejected.name),
                escape_controls(&rejected.reason)
            );
        }
        self.render_inputs(&mut out);
        if let Some(counts) = self.entities {
            let _ =
                writeln!(out, "  entities: {} loaded, {} skipped", counts.loaded, counts.skipped);
        }
        if self.out_of_range > 0 || self.detections_outside > 0 {
            let _ = writeln!(
                out,
                "  outside --from/--to: {} events, {} detections",
                self.out_of_range, self.detections_outside
            );
        }
        let groups = self.inputs.iter().filter_map(|i| i.row_groups);
        let (read, skipped, failed) =
            groups.fold((0, 0, 0), |(r, s, f), g| (r + g.read, s + g.skipped, f + g.failed));
        if read + skipped + failed > 0 || self.partitions_skipped > 0 {
            let _ = writeln!(
                out,
                "  parquet: {read} row groups read, {skipped} skipped by their statistics, \
                 {failed} unreadable; {} files skipped by their partition folders",
                self.partitions_skipped
            );
        }
        let skipped: u64 = self.inputs.iter().map(|i| i.skipped).sum();
        if skipped > 0 {
            let _ = writeln!(
                out,
                "  not parsed, since their text has nothing a rule requires: {skipped} records"
            );
        }
        if self.late_events > 0 {
            let _ = writeln!(
                out,
                "  late events: {} (behind the watermark, not seen by windowed rules)",
                self.late_events
            );
        }
        self.render_detections(&mut out);
        for (rule, windows) in self.cut_joins {
            let _ = writeln!(
                out,
                "  incomplete: rule {rule} joined more event combinations than the engine keeps \
                 in {windows} windows; detections of it may be missing or count part of the events"
            );
        }
        if !self.change_windows.is_empty() {
            let total: u64 = self.change_windows.values().sum();
            let _ = writeln!(out, "  left out by change windows: {total}");
            for ((rule, reason), count) in self.change_windows {
                let (rule, reason) = (escape_controls(rule), escape_controls(reason));
                let _ = writeln!(out, "    {rule}: {count} ({reason})");
            }
        }
        if let Some(elapsed) = self.elapsed {
            let _ = writeln!(out, "  time: {:.3}s", elapsed.as_secs_f64());
        }
        out
    }

    /// Writes the inputs' totals and one line per input. Input names and failure reasons are
    /// escaped, since a folder search takes file names as they are on disk.
    fn render_inputs(&self, out: &mut String) {
        let records: u64 = self.inputs.iter().map(|i| i.records).sum();
        let rejected: u64 = self.inputs.iter().map(|i| i.rejected).sum();
        let events: u64 = self.inputs.iter().map(|i| i.events).sum();
        let not_read = self.inputs.iter().filter(|i| i.not_read()).count();
        let stopped = self.inputs.iter().filter(|i| i.stopped_early()).count();
        let complete = self.inputs.len() - not_read - stopped;
        let mut read = if not_read + stopped == 0 {
            format!("{complete} read")
        } else {
            format!("{complete} read in full")
        };
        if stopped > 0 {
            let _ = write!(read, ", {stopped} stopped early");
        }
        if not_read > 0 {
            let _ = write!(read, ", {not_read} not read");
        }
        let _ = writeln!(
            out,
            "  inputs: {read}, {records} records, {rejected} rejected, {events} events"
        );
        for input in self.inputs {
            let name = escape_controls(&input.name);
            match &input.failed {
                Some(reason) if input.not_read() => {
                    let _ = writeln!(out, "    {name}: not read: {}", escape_controls(reason));
                }
                // The reason starts with "reading stopped after N records".
                Some(reason) => {
                    let _ = writeln!(
                        out,
                        "    {name}: {} records, {} rejected, {} events; {}",
                        input.records,
                        input.rejected,
                        input.events,
                        escape_controls(reason)
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "    {name}: {} records, {} rejected, {} events",
                        input.records, input.rejected, input.events
                    );
                }
            }
        }
    }

    fn render_detections(&self, out: &mut String) {
        let per_rule = &self.detections.per_rule;
        let per_severity = &self.detections.per_severity;
        let by_severity: Vec<String> = per_severity
            .iter()
            .map(|((_, name), count)| format!("{} {count}", escape_controls(name)))
            .collect();
        let suppressed: u64 = self.suppressed.values().sum();
        let _ = write!(out, "  detections: {}", self.detections.total);
        if !by_severity.is_empty() {
            let _ = write!(out, " ({})", by_severity.join(", "));
        }
        if suppressed > 0 {
            let _ = write!(out, ", {suppressed} suppressed");
        }
        let _ = writeln!(out);
        // One line per rule name and severity. A rule's suppressed detections go on its first
        // line, or on a line of their own when it made no detection.
        let mut lines: Vec<(&str, &str, u64)> = per_rule
            .iter()
            .map(|((rule, severity), count)| (rule.as_str(), severity.as_str(), *count))
            .collect();
        for name in self.suppressed.keys() {
            if !lines.iter().any(|(rule, _, _)| rule == name) {
                lines.push((name, "-", 0));
            }
        }
        lines.sort_unstable_by(|a, b| {
            (a.0, severity_rank(a.1), a.1).cmp(&(b.0, severity_rank(b.1), b.1))
        });
        let mut previous = None;
        for (rule, severity, count) in lines {
            let first = previous != Some(rule);
            previous = Some(rule);
            let _ = write!(
                out,
                "    {} ({}): {count}",
                escape_controls(rule),
                escape_controls(severity)
            );
            match self.suppressed.get(rule).filter(|_| first) {
                Some(n) if *n > 0 => {
                    let _ = writeln!(out, ", {n} suppressed");
                }
                _ => {
                    let _ = writeln!(out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_snapshot() {
        let inputs = vec![
            InputStats {
                name: "logs/okta.jsonl".into(),
                records: 120,
                rejected: 2,
                events: 118,
                failed: None,
                ..InputStats::default()
            },
            InputStats {
                name: "logs/missing.jsonl".into(),
                failed: Some("cannot read logs/missing.jsonl: permission denied".into()),
                ..InputStats::default()
            },
            InputStats {
                name: "logs/cut.jsonl.gz".into(),
                records: 40,
                events: 40,
                failed: Some("reading stopped after 40 records: incomplete deflate stream".into()),
                ..InputStats::default()
            },
        ];
        let rejected = vec![RejectedRule {
            name: "rules/bad.yaral: bad_rule".into(),
            reason: "reference list `%NOPE` not found".into(),
        }];
        let mut detections = DetectionCounts::default();
        detections.add("ioc", Some("High"));
        detections.add("ioc", Some("High"));
        detections.add("bulk_export", Some("Critical"));
        let suppressed = BTreeMap::from([("bulk_export".to_owned(), 3), ("quiet".to_owned(), 1)]);
        let change_windows = BTreeMap::from([(
            ("bulk_export".to_owned(), "approved Q2 data migration".to_owned()),
            2,
        )]);
        let summary = Summary {
            entities: None,
            rules_loaded: 5,
            rejected_rules: &rejected,
            inputs: &inputs,
            detections: &detections,
            suppressed: &suppressed,
            change_windows: &change_windows,
            cut_joins: &BTreeMap::from([("spray".to_owned(), 2)]),
            late_events: 0,
            out_of_range: 0,
            detections_outside: 0,
            partitions_skipped: 0,
            elapsed: None,
        };
        insta::assert_snapshot!(summary.render());
    }

    #[test]
    fn inputs_read_in_full_are_counted() {
        let read = InputStats { name: "a.jsonl".into(), records: 3, ..InputStats::default() };
        let render = |inputs: &[InputStats]| {
            let summary = Summary {
                entities: None,
                rules_loaded: 1,
                rejected_rules: &[],
                inputs,
                detections: &DetectionCounts::default(),
                suppressed: &BTreeMap::new(),
                change_windows: &BTreeMap::new(),
                cut_joins: &BTreeMap::new(),
                late_events: 0,
                out_of_range: 0,
                detections_outside: 0,
                partitions_skipped: 0,
                elapsed: None,
            };
            summary.render()
        };
        let all_read = render(&[read.clone(), read.clone()]);
        assert!(all_read.contains("  inputs: 2 read, 6 records,"), "{all_read}");
        let stopped = InputStats {
            failed: Some("reading stopped after 3 records: unexpected end of file".into()),
            ..read.clone()
        };
        let one_stopped = render(&[read.clone(), stopped]);
        assert!(
            one_stopped.contains("  inputs: 1 read in full, 1 stopped early, 6 records,"),
            "{one_stopped}"
        );
        let unread = InputStats {
            name: "b.jsonl.gz".into(),
            failed: Some("reading stopped after 0 records: invalid gzip header".into()),
            ..InputStats::default()
        };
        let one_unread = render(&[read, unread]);
        assert!(
            one_unread.contains("  inputs: 1 read in full, 1 not read, 3 records,"),
            "{one_unread}"
        );
        assert!(one_unread.contains("    b.jsonl.gz: not read: reading stopped"), "{one_unread}");
    }

    #[test]
    fn control_characters_in_names_are_escaped() {
        let inputs = vec![InputStats {
            name: "logs/\u{1b}]0;PWN\u{7}.jsonl".into(),
            failed: Some("cannot open logs/\u{1b}]0;PWN\u{7}.jsonl: permission denied".into()),
            ..InputStats::default()
        }];
        let rejected = vec![RejectedRule {
            name: "rules/x.yaral: r\u{1b}[2J".into(),
            reason: "unknown field \u{9b}1m".into(),
        }];
        let mut detections = DetectionCounts::default();
        detections.add("rule\u{1b}[2J", Some("High\u{7}"));
        let change_windows = BTreeMap::from([(("rule".to_owned(), "why\r".to_owned()), 1)]);
        let summary = Summary {
            entities: None,
            rules_loaded: 1,
            rejected_rules: &rejected,
            inputs: &inputs,
            detections: &detections,
            suppressed: &BTreeMap::new(),
            change_windows: &change_windows,
            cut_joins: &BTreeMap::new(),
            late_events: 0,
            out_of_range: 0,
            detections_outside: 0,
            partitions_skipped: 0,
            elapsed: None,
        };
        let text = summary.render();
        let controls: Vec<char> = text.chars().filter(|c| c.is_control() && *c != '\n').collect();
        assert_eq!(controls, Vec::<char>::new(), "{text}");
        assert!(text.contains("    logs/\\u{1b}]0;PWN\\u{7}.jsonl: not read:"), "{text}");
        assert!(text.contains("    rule\\u{1b}[2J (High\\u{7}): 1"), "{text}");
    }

    /// Two rules that share a name get a line per severity, whichever detection came first.
    #[test]
    fn shared_rule_name_counted_per_severity() {
        let render = |order: &[(&str, &str)]| {
            let mut detections = DetectionCounts::default();
            for (rule, severity) in order {
                detections.add(rule, Some(severity));
            }
            let suppressed = BTreeMap::from([("token".to_owned(), 1)]);
            let summary = Summary {
                entities: None,
                rules_loaded: 2,
                rejected_rules: &[],
                inputs: &[],
                detections: &detections,
                suppressed: &suppressed,
                change_windows: &BTreeMap::new(),
                cut_joins: &BTreeMap::new(),
                late_events: 0,
                out_of_range: 0,
                detections_outside: 0,
                partitions_skipped: 0,
                elapsed: None,
            };
            summary.render()
        };
        let low_first = render(&[("token", "Low"), ("token", "Medium"), ("token", "Low")]);
        let medium_first = render(&[("token", "Medium"), ("token", "Low"), ("token", "Low")]);
        assert_eq!(low_first, medium_first);
        assert!(low_first.contains("    token (Medium): 1, 1 suppressed\n"), "{low_first}");
        assert!(low_first.contains("    token (Low): 2\n"), "{low_first}");
    }
}
