//! Salesforce event monitoring sources into UDM.
//!
//! Three forms of the same data are read:
//! - Real-Time Event Monitoring stream events: CometD messages (`{"channel": "/event/<Name>",
//!   "data": {"payload": {...}, "event": {"replayId": ...}}}`), Pub/Sub API events decoded to
//!   JSON (`{"topicName": "/event/<Name>", "payload": {...}, "replayId": ...}`), and bare
//!   payloads that carry `attributes.type`.
//! - Stored objects exported with SOQL (`{"records": [...]}`, each with `attributes.type`), and
//!   records without `attributes`, whose object is recognised from their fields.
//! - EventLogFile rows, as CSV (see [`crate::CsvFile`]) or as JSON objects with the CSV
//!   column names (`EVENT_TYPE`, `TIMESTAMP`, ...).
//!
//! The stream and stored forms of one object map to the same UDM; only the envelope fields
//! (`channel`, `replayId`, schema ids) differ, and those go to `additional.fields`.

mod map;
mod objects;
mod record;
mod setup_audit;

use serde_json::{Map, Value};
use udm::Event;

use crate::context::Context;
use crate::fields::{flatten_into, get_ci};
use crate::SourceError;
use objects::{canonical_object, kind_of_log_file_type, kind_of_object, object_of_channel, Kind};
use record::Record;

/// Keys that name a platform-event channel or Pub/Sub topic.
const CHANNEL_KEYS: &[&str] = &["channel", "topicName", "topic"];

/// Whether `obj` looks like a Salesforce record in any of the supported forms.
pub(crate) fn looks_like(obj: &Map<String, Value>) -> bool {
    if channel_of(obj).is_some_and(|c| c.starts_with("/event/") || c.starts_with("/meta/")) {
        return true;
    }
    if type_of_attributes(obj).is_some() {
        return true;
    }
    let record = Record::new(obj);
    if record.has(&["EVENT_TYPE"])
        && record.has(&["TIMESTAMP", "TIMESTAMP_DERIVED", "ORGANIZATION_ID", "REQUEST_ID"])
    {
        return true;
    }
    if let Some(Value::Object(payload)) = get_ci(obj, "payload") {
        let envelope = ["replayId", "schemaId", "schema"];
        if envelope.iter().any(|k| get_ci(obj, k).is_some()) && looks_like_payload(payload) {
            return true;
        }
    }
    guess_object(&record).is_some()
}

/// Checks whether a stream payload has the fields every platform event carries.
fn looks_like_payload(payload: &Map<String, Value>) -> bool {
    let record = Record::new(payload);
    record.has(&["EventDate", "CreatedDate"])
        && record.has(&["EventIdentifier", "CreatedById", "UserId", "attributes"])
}

/// Whether `obj` is itself a Salesforce record, so that a `records` key in it is data, not an
/// export wrapper.
pub(crate) fn is_record(obj: &Map<String, Value>) -> bool {
    type_of_attributes(obj).is_some()
}

fn channel_of(obj: &Map<String, Value>) -> Option<&str> {
    CHANNEL_KEYS.iter().find_map(|k| get_ci(obj, k)?.as_str()).map(str::trim)
}

fn type_of_attributes(obj: &Map<String, Value>) -> Option<&str> {
    let attributes = get_ci(obj, "attributes")?.as_object()?;
    get_ci(attributes, "type")?.as_str().map(str::trim).filter(|t| !t.is_empty())
}

/// Recognises a stored object without `attributes` from its fields.
fn guess_object(record: &Record<'_>) -> Option<&'static str> {
    let has = |names: &[&str]| record.has(names);
    if has(&["LoginTime"]) && has(&["UserId"]) {
        return Some("LoginHistory");
    }
    if has(&["Action"])
        && has(&["Display", "Section"])
        && has(&["CreatedDate", "sfdc_created_date"])
    {
        return Some("SetupAuditTrail");
    }
    if !has(&["EventDate"]) || !has(&["EventIdentifier"]) {
        return None;
    }
    // `UriEvent` also has `QueriedEntities`, so `RecordId` is tried before the `ApiEvent`
    // fields.
    let guesses: [(&[&str], &str); 6] = [
        (&["ReportId"], "ReportEvent"),
        (&["ListViewId"], "ListViewEvent"),
        (&["VerificationMethod"], "IdentityVerificationEvent"),
        (&["LoginType", "LoginGeoId"], "LoginEvent"),
        (&["PageUrl"], "LightningUriEvent"),
        (&["RecordId"], "UriEvent"),
    ];
    for (fields, object) in guesses {
        if has(fields) {
            return Some(object);
        }
    }
    if has(&["Query"]) && !has(API_EVENT_ONLY) {
        return Some("BulkApiResultEvent");
    }
    if has(&["RowsProcessed", "QueriedEntities", "Query"]) {
        return Some("ApiEvent");
    }
    // Every Real-Time Event Monitoring object has these two fields, so the record is one of
    // them, but the fields do not tell which.
    Some(UNKNOWN_OBJECT)
}

/// `ApiEvent` fields that `BulkApiResultEvent`, which also has `Query`, lacks.
const API_EVENT_ONLY: &[&str] =
    &["RowsProcessed", "QueriedEntities", "Operation", "ApiType", "Client", "Records"];

/// The object name of a Real-Time Event Monitoring record whose object is not known; it leaves
/// `metadata.product_event_type` unset.
const UNKNOWN_OBJECT: &str = "";

/// Normalises one Salesforce JSON record: a stream message, a stored object or an
/// EventLogFile row. A CometD `/meta/` message carries no event and yields none.
pub(crate) fn normalize(
    obj: &Map<String, Value>,
    ctx: &mut Context,
) -> Result<Vec<Event>, SourceError> {
    let channel = channel_of(obj);
    if channel.is_some_and(|c| c.starts_with("/meta/")) {
        return Ok(Vec::new());
    }
    let envelope = Envelope::open(obj)?;
    let payload = envelope.payload();
    let record = Record::new(payload);
    let (name, kind, log_file) = identify(payload, &record, channel, None)?;
    let mut event = map::map(record, &name, kind, log_file, ctx)?;
    envelope.write_extras(&mut event);
    Ok(vec![event])
}

/// Normalises one EventLogFile CSV row.
///
/// `event_type` is the file's `EventType` when the caller knows it; the row's own
/// `EVENT_TYPE` column wins when present.
pub(crate) fn normalize_csv_row(
    headers: &[&str],
    values: &[&str],
    event_type: Option<&str>,
    ctx: &mut Context,
) -> Result<Vec<Event>, SourceError> {
    if headers.len() != values.len() {
        return Err(SourceError::invalid(format!(
            "the CSV row has {} fields but the header has {}",
            values.len(),
            headers.len()
        )));
    }
    let row: Map<String, Value> = headers
        .iter()
        .zip(values)
        .map(|(h, v)| (h.trim().trim_start_matches('\u{feff}').to_owned(), Value::from(*v)))
        .collect();
    let record = Record::new(&row);
    let (name, kind, log_file) = identify(&row, &record, None, event_type)?;
    Ok(vec![map::map(record, &name, kind, log_file, ctx)?])
}

/// Decides the object name, its kind, and whether the record is an EventLogFile row.
fn identify(
    payload: &Map<String, Value>,
    record: &Record<'_>,
    channel: Option<&str>,
    log_file_type: Option<&str>,
) -> Result<(String, Kind, bool), SourceError> {
    if let Some(name) = type_of_attributes(payload) {
        let name = canonical_object(name);
        let kind = kind_of_object(&name);
        return Ok((name, kind, false));
    }
    if let Some(name) = channel.and_then(object_of_channel) {
        let name = canonical_object(name);
        let kind = kind_of_object(&name);
        return Ok((name, kind, false));
    }
    let column = record.peek_text(&["EVENT_TYPE"]);
    if let Some(event_type) = column.as_deref().or(log_file_type.map(str::trim)) {
        if !event_type.is_empty() {
            return Ok((event_type.to_owned(), kind_of_log_file_type(event_type), true));
        }
    }
    if let Some(name) = guess_object(record) {
        return Ok((name.to_owned(), kind_of_object(name), false));
    }
    Err(SourceError::invalid(
        "the Salesforce record names no object: expected attributes.type, a /event/ channel, \
         an EVENT_TYPE column, or the fields of a known object",
    ))
}

/// A stream envelope around a payload, or a record that is its own payload.
struct Envelope<'a> {
    outer: &'a Map<String, Value>,
    /// The payload when it is an object inside the envelope.
    inner: Option<&'a Map<String, Value>>,
    /// The payload when the envelope carries it as JSON text.
    parsed: Option<Map<String, Value>>,
    /// The payload's dotted path inside the envelope, in lower case; empty when the record is
    /// its own payload.
    payload_path: &'static str,
}

impl<'a> Envelope<'a> {
    fn open(outer: &'a Map<String, Value>) -> Result<Envelope<'a>, SourceError> {
        let data = get_ci(outer, "data").and_then(Value::as_object);
        let candidates: [(Option<&'a Value>, &'static str); 3] = [
            (data.and_then(|d| get_ci(d, "payload")), "data.payload"),
            (get_ci(outer, "payload"), "payload"),
            (get_ci(outer, "event").and_then(|e| e.get("payload")), "event.payload"),
        ];
        for (value, path) in candidates {
            match value {
                Some(Value::Object(inner)) => {
                    return Ok(Envelope {
                        outer,
                        inner: Some(inner),
                        parsed: None,
                        payload_path: path,
                    })
                }
                Some(Value::String(text)) => {
                    let parsed = serde_json::from_str::<Value>(text).map_err(|e| {
                        SourceError::invalid(format!("the {path} text is not JSON: {e}"))
                    })?;
                    let Value::Object(parsed) = parsed else {
                        return Err(SourceError::invalid(format!("{path} is not a JSON object")));
                    };
                    return Ok(Envelope {
                        outer,
                        inner: None,
                        parsed: Some(parsed),
                        payload_path: path,
                    });
                }
                _ => {}
            }
        }
        Ok(Envelope { outer, inner: None, parsed: None, payload_path: "" })
    }

    fn payload(&self) -> &Map<String, Value> {
        self.parsed.as_ref().or(self.inner).unwrap_or(self.outer)
    }

    /// Writes the envelope's own fields (channel, replay id, schema) to `additional.fields`.
    fn write_extras(&self, event: &mut Event) {
        if self.payload_path.is_empty() {
            return;
        }
        let mut stack: Vec<(String, &Map<String, Value>)> = vec![(String::new(), self.outer)];
        while let Some((prefix, map)) = stack.pop() {
            for (key, value) in map {
                let path = format!("{prefix}{key}");
                let lower = path.to_ascii_lowercase();
                if lower == self.payload_path {
                    continue;
                }
                match value {
                    Value::Object(inner) if self.payload_path.starts_with(&format!("{lower}.")) => {
                        stack.push((format!("{path}."), inner));
                    }
                    other => flatten_into(event, &path, other),
                }
            }
        }
    }
}
