//! Writing detections as JSON lines, a JSON array, a table or CSV.

use std::io::{self, Write};

use serde_json::Value;

use crate::cli::OutputFormat;

/// Writes detections (already serialised to the detection schema) in the chosen format.
pub fn write(out: &mut impl Write, format: OutputFormat, detections: &[Value]) -> io::Result<()> {
    match format {
        OutputFormat::Jsonl => {
            for detection in detections {
                serde_json::to_writer(&mut *out, detection)?;
                out.write_all(b"\n")?;
            }
            Ok(())
        }
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, detections)?;
            out.write_all(b"\n")
        }
        OutputFormat::Table => write_table(out, detections),
        OutputFormat::Csv => write_csv(out, detections),
    }
}

/// Outcome values shown in the table, at most this many per detection.
const TABLE_OUTCOMES: usize = 4;

/// The columns shared by the table and CSV outputs.
struct Row {
    time: String,
    rule: String,
    severity: String,
    matched: String,
    events: String,
    outcomes: String,
}

fn row(detection: &Value, outcome_limit: usize) -> Row {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let pairs = |v: Option<&Value>, limit: usize| -> String {
        let Some(Value::Object(map)) = v else { return String::new() };
        map.iter()
            .take(limit)
            .map(|(k, v)| format!("{k}={}", text(v)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let events = match detection.get("events") {
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| format!("{k}:{}", v.as_array().map_or(0, Vec::len)))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    };
    Row {
        time: detection.pointer("/time_window/start").map(text).unwrap_or_default(),
        rule: detection.pointer("/rule/name").map(text).unwrap_or_default(),
        severity: detection.pointer("/rule/severity").map(text).unwrap_or_default(),
        matched: pairs(detection.get("match"), usize::MAX),
        events,
        outcomes: pairs(detection.get("outcome"), outcome_limit),
    }
}

fn write_table(out: &mut impl Write, detections: &[Value]) -> io::Result<()> {
    if detections.is_empty() {
        return writeln!(out, "no detections");
    }
    let header = Row {
        time: "TIME".into(),
        rule: "RULE".into(),
        severity: "SEVERITY".into(),
        matched: "MATCH".into(),
        events: "EVENTS".into(),
        outcomes: "OUTCOMES".into(),
    };
    let rows: Vec<Row> = detections.iter().map(|d| row(d, TABLE_OUTCOMES)).collect();
    let width = |f: fn(&Row) -> &str| {
        rows.iter().chain([&header]).map(|r| f(r).chars().count()).max().unwrap_or(0)
    };
    let widths = [
        width(|r| &r.time),
        width(|r| &r.rule),
        width(|r| &r.severity),
        width(|r| &r.matched),
        width(|r| &r.events),
    ];
    for r in [&header].into_iter().chain(rows.iter()) {
        writeln!(
            out,
            "{:w0$}  {:w1$}  {:w2$}  {:w3$}  {:w4$}  {}",
            r.time,
            r.rule,
            r.severity,
            r.matched,
            r.events,
            r.outcomes,
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
        )?;
    }
    Ok(())
}

fn write_csv(out: &mut impl Write, detections: &[Value]) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["id", "time", "rule", "severity", "match", "events", "outcome"])?;
    for detection in detections {
        let r = row(detection, usize::MAX);
        let id = detection.get("id").and_then(Value::as_str).unwrap_or("");
        writer.write_record([
            id,
            &r.time,
            &r.rule,
            &r.severity,
            &r.matched,
            &r.events,
            &r.outcomes,
        ])?;
    }
    writer.flush()
}
