//! Salesforce event monitoring sources into UDM.

use serde_json::{Map, Value};
use udm::Event;

use crate::context::Context;
use crate::fields::get_ci;
use crate::SourceError;

/// Whether `obj` looks like a Salesforce record: a platform-event envelope (`channel`
/// `/event/...`), a record with `attributes.type`, or an EventLogFile row (`EVENT_TYPE`).
pub(crate) fn looks_like(obj: &Map<String, Value>) -> bool {
    let channel = obj.get("channel").and_then(Value::as_str).unwrap_or("");
    channel.starts_with("/event/")
        || obj.get("attributes").and_then(|a| a.get("type")).is_some()
        || get_ci(obj, "EVENT_TYPE").is_some()
}

/// Whether `obj` is itself a Salesforce record (so a `records` key is data, not a wrapper).
pub(crate) fn is_record(obj: &Map<String, Value>) -> bool {
    obj.get("attributes").and_then(|a| a.get("type")).is_some()
}

/// Normalises one Salesforce JSON record.
pub(crate) fn normalize(
    _obj: &Map<String, Value>,
    _ctx: &mut Context,
) -> Result<Vec<Event>, SourceError> {
    // TODO: map Salesforce stream, stored and EventLogFile records.
    Err(SourceError::invalid("the Salesforce parser is not implemented yet"))
}

/// Normalises one EventLogFile CSV row.
pub(crate) fn normalize_csv_row(
    _headers: &[&str],
    _values: &[&str],
    _event_type: Option<&str>,
    _ctx: &mut Context,
) -> Result<Vec<Event>, SourceError> {
    Err(SourceError::invalid("the Salesforce EventLogFile parser is not implemented yet"))
}
