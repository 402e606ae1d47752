//! Native UDM events in proto3 JSON, bare or wrapped as Google SecOps exports them:
//! `{"udm": ...}`, `{"event": ...}`, `{"events": [{"udm": ...}, ...]}`.

use serde_json::Value;
use udm::Event;

use crate::{Format, SourceError};

/// Reads the one or more UDM events in `record`.
pub(crate) fn normalize(record: &Value) -> Result<Vec<Event>, SourceError> {
    if let Some(Value::Array(items)) = record.get("events") {
        let mut events = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let event = read_event(unwrap(item)).map_err(|e| {
                SourceError::invalid(format!("events[{index}] is not a valid UDM event: {e}"))
            })?;
            events.push(event);
        }
        return Ok(events);
    }
    let event = read_event(unwrap(record))
        .map_err(|e| SourceError::invalid(format!("invalid UDM event: {e}")))?;
    Ok(vec![event])
}

/// Reads a bare native UDM event from its JSON text without building a JSON tree, or returns
/// `None` when the text needs the full path through [`crate::Normalizer`].
///
/// `Some` is always the one event that the normalizer makes of the same text in `format`.
/// `None` covers formats other than `udm` and `auto`, and text that is not such an event or has
/// an error to report. It also covers a top-level key that makes the normalizer read the text as
/// a wrapper or envelope around other records. With `auto`, it covers an event that format
/// detection might not take for UDM.
pub fn read_bare(text: &[u8], format: Format) -> Option<Event> {
    if !matches!(format, Format::Udm | Format::Auto) {
        return None;
    }
    bare_event(udm::json::event_from_slice(text)?, format)
}

/// Reads the fields that `projection` names of a bare native UDM event, or returns `None`
/// when [`read_bare`] would. `Some` is always the event of [`read_bare`] without the fields
/// outside the projection.
pub fn read_bare_projected(
    text: &[u8],
    format: Format,
    projection: &udm::json::Projection,
) -> Option<Event> {
    if !matches!(format, Format::Udm | Format::Auto) {
        return None;
    }
    bare_event(udm::json::event_from_slice_projected(text, projection)?, format)
}

/// Returns the event when the normalizer reads its record as this one bare event. A
/// projection keeps every field this looks at.
fn bare_event(event: Event, format: Format) -> Option<Event> {
    let mut metadata_keys = 0;
    let mut metadata = None;
    for (key, value) in event.root.iter() {
        if is_wrapper_key(key) {
            return None;
        }
        if key.eq_ignore_ascii_case("metadata") {
            metadata_keys += 1;
            // The reader stores the schema field under this spelling, always as a message.
            if key == "metadata" {
                metadata = value.as_message();
            }
        }
    }
    metadata?.get("event_timestamp")?;
    // Detection takes an object for UDM when its `metadata` has an event type; the reader
    // stores `eventType` as `event_type`.
    if format == Format::Auto && (metadata_keys != 1 || metadata?.get("event_type").is_none()) {
        return None;
    }
    Some(event)
}

/// Returns whether the normalizer looks for other records under a top-level key. These keys
/// are export wrappers, the SecOps `udm` and `event` wrappers, log shippers' envelopes, Log
/// Analytics `tables` and audit search rows' `AuditData` (in any case). None is a UDM `Event`
/// field.
fn is_wrapper_key(key: &str) -> bool {
    matches!(
        key,
        "records"
            | "events"
            | "value"
            | "udm"
            | "event"
            | "detail"
            | "result"
            | "message"
            | "log"
            | "_raw"
            | "tables"
    ) || key.eq_ignore_ascii_case("AuditData")
}

/// Reads one event and checks that it has a time. The proto3 reader keeps unknown fields, so
/// without this check any JSON object, such as another source's record read with
/// `--format udm`, would pass as an event at the Unix epoch.
fn read_event(json: &Value) -> Result<Event, String> {
    let event = udm::json::event_from_json(json).map_err(|e| e.to_string())?;
    if event.get("metadata.event_timestamp").is_none() {
        return Err("metadata.event_timestamp is missing".to_owned());
    }
    Ok(event)
}

/// Returns the event inside a `udm` or `event` wrapper, or `record` itself.
fn unwrap(record: &Value) -> &Value {
    for key in ["udm", "event"] {
        if let Some(inner @ Value::Object(_)) = record.get(key) {
            return inner;
        }
    }
    record
}
