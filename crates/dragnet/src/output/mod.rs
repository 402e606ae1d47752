//! Writing detections as JSON lines, a JSON array, a table or CSV.
//!
//! Every writer takes detections already serialised to the detection schema, so `hunt` and
//! `watch` share them. JSON output keeps times in UTC; the table and CSV show them in the
//! display zone.

mod csv;
mod table;

use std::io::{self, Write};

use serde_json::Value;

use crate::cli::OutputFormat;
use crate::zone::DisplayZone;

pub use table::Style;

/// Display settings for output meant for people.
#[derive(Debug, Clone, Copy, Default)]
pub struct Presentation {
    /// The zone for displayed times.
    pub zone: DisplayZone,
    /// Colours for the table.
    pub style: Style,
}

/// Detections in output order that can be read more than once, from memory or from disk.
pub trait DetectionSource {
    /// Calls `f` with each detection in order, stopping at the first error.
    fn for_each(&self, f: &mut dyn FnMut(&Value) -> io::Result<()>) -> io::Result<()>;

    /// Calls `f` with each detection as compact JSON text, in order: the text that
    /// `serde_json::to_writer` writes for the value [`DetectionSource::for_each`] gives. A
    /// source that keeps the text passes it on without reading it into a value.
    fn for_each_text(&self, f: &mut dyn FnMut(&str) -> io::Result<()>) -> io::Result<()> {
        self.for_each(&mut |detection| f(&serde_json::to_string(detection)?))
    }
}

impl DetectionSource for [Value] {
    fn for_each(&self, f: &mut dyn FnMut(&Value) -> io::Result<()>) -> io::Result<()> {
        self.iter().try_for_each(f)
    }
}

impl DetectionSource for Vec<Value> {
    fn for_each(&self, f: &mut dyn FnMut(&Value) -> io::Result<()>) -> io::Result<()> {
        self.as_slice().for_each(f)
    }
}

/// Writes detections in the chosen format.
pub fn write(
    out: &mut impl Write,
    format: OutputFormat,
    detections: &(impl DetectionSource + ?Sized),
    presentation: &Presentation,
) -> io::Result<()> {
    match format {
        OutputFormat::Jsonl => detections.for_each_text(&mut |detection| {
            out.write_all(detection.as_bytes())?;
            out.write_all(b"\n")
        }),
        OutputFormat::Json => {
            write_json_array(&mut *out, detections)?;
            out.write_all(b"\n")
        }
        OutputFormat::Table => table::write(out, detections, presentation),
        OutputFormat::Csv => csv::write(out, detections, &presentation.zone),
    }
}

/// Writes the detections as one pretty-printed JSON array, one detection at a time, in the
/// same bytes as `serde_json::to_writer_pretty` gives for a slice.
fn write_json_array(
    out: &mut impl Write,
    detections: &(impl DetectionSource + ?Sized),
) -> io::Result<()> {
    use serde::ser::{SerializeSeq, Serializer as _};

    let mut serializer = serde_json::Serializer::pretty(out);
    let mut array = serializer.serialize_seq(None)?;
    detections.for_each(&mut |detection| Ok(array.serialize_element(detection)?))?;
    Ok(array.end()?)
}

/// A detection's value as plain text: strings without quotes, the rest as compact JSON.
pub(crate) fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `key=value` pairs of a JSON object, in order.
pub(crate) fn pairs(object: Option<&Value>) -> Vec<(String, String)> {
    match object {
        Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
        _ => Vec::new(),
    }
}

/// Event counts per event variable, as `login:1 http:3`.
pub(crate) fn event_counts(detection: &Value) -> String {
    match detection.get("events") {
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| format!("{k}:{}", v.as_array().map_or(0, Vec::len)))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// A string field of a detection by JSON pointer, or `""`.
pub(crate) fn field<'a>(detection: &'a Value, pointer: &str) -> &'a str {
    detection.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}
