//! CSV output: one row per detection, with the match and outcome objects as JSON cells so that
//! a spreadsheet keeps their types.

use std::io::{self, Write};

use serde_json::Value;

use super::{event_counts, field, DetectionSource};
use crate::zone::DisplayZone;

const HEADER: [&str; 10] = [
    "id",
    "rule",
    "severity",
    "type",
    "window_start",
    "window_end",
    "match",
    "outcome",
    "events",
    "detected_at",
];

/// Writes the header and one row per detection.
pub fn write(
    out: &mut impl Write,
    detections: &(impl DetectionSource + ?Sized),
    zone: &DisplayZone,
) -> io::Result<()> {
    let mut writer = ::csv::Writer::from_writer(out);
    writer.write_record(HEADER)?;
    detections.for_each(&mut |detection| {
        let json_cell = |key: &str| detection.get(key).map_or_else(String::new, Value::to_string);
        writer.write_record([
            field(detection, "/id").to_owned(),
            field(detection, "/rule/name").to_owned(),
            field(detection, "/rule/severity").to_owned(),
            field(detection, "/type").to_owned(),
            zone.format(field(detection, "/time_window/start")),
            zone.format(field(detection, "/time_window/end")),
            json_cell("match"),
            json_cell("outcome"),
            event_counts(detection),
            zone.format(field(detection, "/detected_at")),
        ])?;
        Ok(())
    })?;
    writer.flush()
}
