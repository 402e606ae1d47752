//! The terminal table: one line per detection with its time, rule, severity, risk score,
//! match values, event counts and the first outcomes.

use std::io::{self, Write};

use serde_json::Value;

use super::{event_counts, field, pairs, DetectionSource, Presentation};
use crate::terminal::escape_controls;

/// Outcomes shown per detection besides the risk score.
const SHOWN_OUTCOMES: usize = 4;

/// Outcome values longer than this many characters are cut, with an ellipsis.
const MAX_VALUE_CHARS: usize = 48;

/// Whether the table is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    /// No escape codes.
    #[default]
    Plain,
    /// ANSI colours: severity by level, the rule name in bold.
    Color,
}

impl Style {
    /// Chooses colour when the output is a terminal and `NO_COLOR` is unset or empty, as
    /// <https://no-color.org> specifies.
    pub fn detect(is_terminal: bool) -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        if is_terminal && !no_color {
            Style::Color
        } else {
            Style::Plain
        }
    }

    fn paint(self, text: &str, code: &str) -> String {
        match self {
            Style::Plain => text.to_owned(),
            Style::Color if code.is_empty() => text.to_owned(),
            Style::Color => format!("\x1b[{code}m{text}\x1b[0m"),
        }
    }
}

/// The ANSI code for a severity: red for critical and high, yellow for medium, cyan for low.
fn severity_code(severity: &str) -> &'static str {
    match severity.to_ascii_lowercase().as_str() {
        "critical" => "1;31",
        "high" => "31",
        "medium" => "33",
        "low" => "36",
        "informational" | "info" => "2",
        _ => "",
    }
}

struct Row {
    cells: [String; 6],
    outcomes: String,
}

fn cut(text: &str) -> String {
    if text.chars().count() <= MAX_VALUE_CHARS {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(MAX_VALUE_CHARS - 1).collect();
    short.push('…');
    short
}

/// Builds a detection's row. Every text in it is passed through
/// [`escape_controls`], because match and outcome values come from logs that an
/// attacker may write, such as the user name of a failed sign-in.
fn row(detection: &Value, presentation: &Presentation) -> Row {
    let join = |items: Vec<(String, String)>| {
        items
            .into_iter()
            .map(|(k, v)| format!("{}={}", escape_controls(&k), cut(&escape_controls(&v))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut outcomes = pairs(detection.get("outcome"));
    let risk = outcomes
        .iter()
        .position(|(k, _)| k == "risk_score")
        .map(|i| outcomes.remove(i).1)
        .unwrap_or_default();
    outcomes.truncate(SHOWN_OUTCOMES);
    let time = presentation.zone.format_window(
        field(detection, "/time_window/start"),
        field(detection, "/time_window/end"),
    );
    Row {
        cells: [
            escape_controls(&time).into_owned(),
            escape_controls(field(detection, "/rule/name")).into_owned(),
            escape_controls(field(detection, "/rule/severity")).into_owned(),
            escape_controls(&risk).into_owned(),
            join(pairs(detection.get("match"))),
            escape_controls(&event_counts(detection)).into_owned(),
        ],
        outcomes: join(outcomes),
    }
}

/// Writes the table, or `no detections`. Reads the detections twice: once to measure the
/// columns, once to write the rows.
pub fn write(
    out: &mut impl Write,
    detections: &(impl DetectionSource + ?Sized),
    presentation: &Presentation,
) -> io::Result<()> {
    let style = presentation.style;
    let header = Row {
        cells: [
            format!("TIME ({})", presentation.zone),
            "RULE".into(),
            "SEVERITY".into(),
            "RISK".into(),
            "MATCH".into(),
            "EVENTS".into(),
        ],
        outcomes: "OUTCOMES".into(),
    };
    let mut widths = [0usize; 6];
    let mut measure = |r: &Row| {
        for (width, cell) in widths.iter_mut().zip(&r.cells) {
            *width = (*width).max(cell.chars().count());
        }
    };
    measure(&header);
    let mut rows = 0u64;
    detections.for_each(&mut |detection| {
        measure(&row(detection, presentation));
        rows += 1;
        Ok(())
    })?;
    if rows == 0 {
        return writeln!(out, "no detections");
    }
    let line = |r: &Row, is_header: bool| -> String {
        let mut text = String::new();
        for (i, (cell, width)) in r.cells.iter().zip(widths).enumerate() {
            let padding = " ".repeat(width - cell.chars().count());
            let painted = match (is_header, i) {
                (true, _) => style.paint(cell, "1"),
                (false, 1) => style.paint(cell, "1"),
                (false, 2) => style.paint(cell, severity_code(cell)),
                _ => cell.clone(),
            };
            text.push_str(&painted);
            text.push_str(&padding);
            text.push_str("  ");
        }
        let outcomes = if is_header { style.paint(&r.outcomes, "1") } else { r.outcomes.clone() };
        text.push_str(&outcomes);
        text.trim_end().to_owned()
    };
    writeln!(out, "{}", line(&header, true))?;
    detections
        .for_each(&mut |detection| writeln!(out, "{}", line(&row(detection, presentation), false)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::zone::DisplayZone;

    fn sample() -> Vec<Value> {
        vec![
            json!({
                "rule": {"name": "m365_graph_pull", "severity": "High"},
                "time_window": {"start": "2025-06-10T13:42:00Z", "end": "2025-06-10T14:12:00Z"},
                "match": {"acct": "alice.chen@northwind.example"},
                "outcome": {"risk_score": 85, "urls": ["https://graph.microsoft.com/v1.0/me/messages?$top=999"]},
                "events": {"login": [{}], "http": [{}, {}, {}]},
            }),
            json!({
                "rule": {"name": "ioc", "severity": "Medium"},
                "time_window": {"start": "2025-06-10T13:48:20Z", "end": "2025-06-10T13:48:20Z"},
                "match": {},
                "outcome": {"principal_ip": ["192.0.2.45"], "risk_score": 40},
                "events": {"e": [{}]},
            }),
        ]
    }

    fn render(presentation: &Presentation) -> String {
        let mut out = Vec::new();
        write(&mut out, &sample(), presentation).unwrap_or_default();
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn plain_table_snapshot() {
        insta::assert_snapshot!(render(&Presentation::default()));
    }

    #[test]
    fn table_in_named_zone() {
        let zone = "Europe/Berlin".parse::<DisplayZone>().unwrap_or_default();
        let text = render(&Presentation { zone, style: Style::Plain });
        assert!(text.contains("TIME (Europe/Berlin)"), "{text}");
        assert!(text.contains("2025-06-10 15:42:00 – 16:12:00"), "{text}");
    }

    #[test]
    fn colour_marks_severity() {
        let text = render(&Presentation { zone: DisplayZone::Utc, style: Style::Color });
        assert!(text.contains("\x1b[31mHigh\x1b[0m"), "{text:?}");
        assert!(text.contains("\x1b[33mMedium\x1b[0m"), "{text:?}");
        assert!(!render(&Presentation::default()).contains('\x1b'));
    }

    #[test]
    fn control_characters_are_escaped() {
        let detection = json!({
            "rule": {"name": "failed\u{1b}[2Jlogins", "severity": "High"},
            "time_window": {"start": "2025-06-10T13:42:00Z", "end": "2025-06-10T14:12:00Z"},
            "match": {"user": "ab\u{1b}]0;PWN\u{7}\u{1b}[2J"},
            "outcome": {"risk_score": "9\u{9b}0m", "hosts": ["a\u{1b}[31m", "b\r"], "note": "x\ny"},
            "events": {"e\u{1b}": [{}]},
        });
        for style in [Style::Plain, Style::Color] {
            let mut out = Vec::new();
            let presentation = Presentation { zone: DisplayZone::Utc, style };
            write(&mut out, &vec![detection.clone()], &presentation).unwrap_or_default();
            let text = String::from_utf8_lossy(&out).into_owned();
            let (header, body) = text.split_once('\n').unwrap_or_default();
            assert!(!header.is_empty(), "{text:?}");
            assert_eq!(body.lines().count(), 1, "{text:?}");
            let controls: Vec<char> =
                body.chars().filter(|c| c.is_control() && *c != '\n').collect();
            // Colour paints the rule name and the severity, each with two escape sequences.
            let painted = if style == Style::Color { vec!['\x1b'; 4] } else { Vec::new() };
            assert_eq!(controls, painted, "{style:?}: {text:?}");
            assert!(body.contains("user=ab\\u{1b}]0;PWN\\u{7}\\u{1b}[2J"), "{text:?}");
            assert!(body.contains("failed\\u{1b}[2Jlogins"), "{text:?}");
            assert!(body.contains("9\\u{9b}0m"), "{text:?}");
            assert!(body.contains("note=x\\ny"), "{text:?}");
            assert!(body.contains("e\\u{1b}:1"), "{text:?}");
        }
    }

    #[test]
    fn long_values_are_cut() {
        let long = "x".repeat(100);
        assert_eq!(cut(&long).chars().count(), MAX_VALUE_CHARS);
        assert!(cut(&long).ends_with('…'));
        assert_eq!(cut("short"), "short");
    }

    #[test]
    fn empty_table_says_so() {
        let mut out = Vec::new();
        write(&mut out, &Vec::new(), &Presentation::default()).unwrap_or_default();
        assert_eq!(String::from_utf8_lossy(&out), "no detections\n");
    }
}
