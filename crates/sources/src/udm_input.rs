//! Native UDM events in proto3 JSON, bare or wrapped as Google SecOps exports them:
//! `{"udm": ...}`, `{"event": ...}`, `{"events": [{"udm": ...}, ...]}`.

use serde_json::Value;
use udm::Event;

use crate::SourceError;

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
