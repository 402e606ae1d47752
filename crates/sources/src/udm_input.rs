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
            let event = udm::json::event_from_json(unwrap(item)).map_err(|e| {
                SourceError::invalid(format!("events[{index}] is not a valid UDM event: {e}"))
            })?;
            events.push(event);
        }
        return Ok(events);
    }
    let event = udm::json::event_from_json(unwrap(record))
        .map_err(|e| SourceError::invalid(format!("invalid UDM event: {e}")))?;
    Ok(vec![event])
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
