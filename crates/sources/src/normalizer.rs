//! The [`Normalizer`]: per-run state and the dispatch from a raw record to its parser.

use serde_json::{Map, Value};
use udm::Event;

use crate::context::Context;
use crate::fields::flatten_into;
use crate::format::{azure_category, detect, Format};
use crate::{
    entra, graph, log_analytics, m365, okta, salesforce, udm_input, Identities, SourceError,
};

/// Turns raw records into UDM events, keeping identity state across the records of one run.
#[derive(Debug, Clone, Default)]
pub struct Normalizer {
    context: Context,
}

impl Normalizer {
    /// Creates a normalizer that resolves aliases through `identities`.
    pub fn new(identities: Identities) -> Normalizer {
        Normalizer { context: Context::new(identities) }
    }

    /// The identity map, including the object-id pairs learned so far.
    pub fn identities(&self) -> &Identities {
        &self.context.identities
    }

    /// Normalises one JSON document into zero or more events.
    ///
    /// A JSON array and the export wrappers are read element by element: `{"records": [...]}`
    /// from Azure Monitor and SOQL, `{"events": [...]}` from SecOps and the Salesforce Pub/Sub
    /// API, `{"value": [...]}` from Microsoft Graph, and the rows of a Log Analytics query API
    /// response (`{"tables": [...]}`). With [`Format::Auto`] the source is detected per element
    /// from its shape.
    ///
    /// Fails on the first element that cannot be normalised, naming its position. A caller
    /// that wants the other elements' events uses [`Normalizer::normalize_each`].
    pub fn normalize(&mut self, record: &Value, format: Format) -> Result<Vec<Event>, SourceError> {
        let mut events = Vec::new();
        for outcome in self.normalize_each(record, format) {
            match outcome.result {
                Ok(found) => events.extend(found),
                Err(error) if outcome.path.is_empty() => return Err(error),
                Err(error) => {
                    return Err(SourceError::Element { path: outcome.path, error: Box::new(error) })
                }
            }
        }
        Ok(events)
    }

    /// Normalises every record of one JSON document separately, so that one bad element of an
    /// export costs only itself. Returns one outcome per record, in document order.
    pub fn normalize_each(&mut self, record: &Value, format: Format) -> Vec<Normalized> {
        let mut out = Vec::new();
        self.walk(record, format, String::new(), 0, &mut out);
        out
    }

    /// Normalises a document whose records are all native UDM, which needs no identity state,
    /// so it can run on any thread and in any order. Returns `None` when some record is of a
    /// source whose normalisation reads or learns identities; such a document has to go
    /// through [`Normalizer::normalize_each`] in input order.
    pub fn normalize_stateless(record: &Value, format: Format) -> Option<Vec<Normalized>> {
        if !is_stateless(record, format, 0) {
            return None;
        }
        // The UDM reader never touches the identity state, so an empty one gives the same
        // events as the run's own normalizer.
        Some(Normalizer::default().normalize_each(record, format))
    }

    fn walk(
        &mut self,
        record: &Value,
        format: Format,
        path: String,
        depth: usize,
        out: &mut Vec<Normalized>,
    ) {
        // Exports nest at most a few levels (`{"records": [...]}` in an array); deeper nesting
        // is not a log record.
        if depth > MAX_DEPTH {
            let error = SourceError::invalid(format!(
                "records are nested more than {MAX_DEPTH} levels deep"
            ));
            out.push(Normalized { path, result: Err(error) });
            return;
        }
        let obj = match record {
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    self.walk(item, format, format!("{path}[{index}]"), depth + 1, out);
                }
                return;
            }
            Value::Object(obj) => obj,
            other => {
                let error = SourceError::invalid(format!(
                    "expected a JSON object, found {}",
                    json_kind(other)
                ));
                out.push(Normalized { path, result: Err(error) });
                return;
            }
        };
        if let Some((key, items)) = wrapped_records(obj, format) {
            for (index, item) in items.iter().enumerate() {
                let item_path =
                    format!("{path}{}{key}[{index}]", if path.is_empty() { "" } else { "." });
                self.walk(item, format, item_path, depth + 1, out);
            }
            return;
        }
        if let Some(tables) = log_analytics::tables(obj) {
            let separator = if path.is_empty() { "" } else { "." };
            for (index, table) in tables.iter().enumerate() {
                let table_path = format!("{path}{separator}tables[{index}]");
                let rows = match log_analytics::rows(table) {
                    Ok(rows) => rows,
                    Err(error) => {
                        out.push(Normalized { path: table_path, result: Err(error) });
                        continue;
                    }
                };
                for (row_index, row) in rows.into_iter().enumerate() {
                    let row_path = format!("{table_path}.rows[{row_index}]");
                    match row {
                        Ok(record) => self.walk(&record, format, row_path, depth + 1, out),
                        Err(error) => out.push(Normalized { path: row_path, result: Err(error) }),
                    }
                }
            }
            return;
        }
        if let Some(audit_data) = audit_data(obj, format) {
            let path = format!("{path}{}AuditData", if path.is_empty() { "" } else { "." });
            match audit_data {
                Ok(inner) => self.walk(&inner, Format::M365, path, depth + 1, out),
                Err(error) => out.push(Normalized { path, result: Err(error) }),
            }
            return;
        }
        if let Some((key, inner)) = shipped_record(obj, format, depth) {
            let path = format!("{path}{}{key}", if path.is_empty() { "" } else { "." });
            let first = out.len();
            self.walk(&inner, format, path, depth + 1, out);
            for outcome in &mut out[first..] {
                if let Ok(events) = &mut outcome.result {
                    keep_envelope(events, obj, key);
                }
            }
            return;
        }
        let result = self.normalize_object(record, obj, format);
        out.push(Normalized { path, result });
    }

    fn normalize_object(
        &mut self,
        record: &Value,
        obj: &Map<String, Value>,
        format: Format,
    ) -> Result<Vec<Event>, SourceError> {
        let format = match format {
            Format::Auto => detect(obj).ok_or_else(|| match azure_category(obj) {
                Some(category) => {
                    SourceError::UnsupportedCategory { category: category.to_owned() }
                }
                None => SourceError::Unrecognised {
                    keys: obj.keys().take(6).map(String::as_str).collect::<Vec<_>>().join(", "),
                },
            })?,
            chosen => chosen,
        };
        let context = &mut self.context;
        match format {
            Format::Udm => udm_input::normalize(record),
            Format::M365 => m365::normalize(obj, context).map(|e| vec![e]),
            Format::Entra => entra::normalize(obj, context).map(|e| vec![e]),
            Format::Graph => graph::normalize(obj, context).map(|e| vec![e]),
            Format::Okta => okta::normalize(obj, context).map(|e| vec![e]),
            Format::Salesforce => salesforce::normalize(obj, context),
            Format::Auto => Err(SourceError::invalid("format detection returned auto")),
        }
    }

    /// Normalises one Salesforce EventLogFile CSV row given as header/value pairs.
    ///
    /// `event_type` is the file's `EventType` (`Login`, `API`, `ReportExport`, ...) when the
    /// caller knows it; the row's own `EVENT_TYPE` column wins when present.
    pub fn normalize_csv_row(
        &mut self,
        headers: &[&str],
        values: &[&str],
        event_type: Option<&str>,
    ) -> Result<Vec<Event>, SourceError> {
        salesforce::normalize_csv_row(headers, values, event_type, &mut self.context)
    }
}

/// Whether every record in the document is native UDM, or is rejected before any source
/// parser runs. Mirrors the walk of [`Normalizer::normalize_each`].
fn is_stateless(record: &Value, format: Format, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return true;
    }
    match record {
        Value::Array(items) => items.iter().all(|item| is_stateless(item, format, depth + 1)),
        Value::Object(obj) => {
            if let Some((_, items)) = wrapped_records(obj, format) {
                return items.iter().all(|item| is_stateless(item, format, depth + 1));
            }
            // The rows of a Log Analytics table are source records, such as sign-ins, not UDM.
            if log_analytics::tables(obj).is_some() {
                return false;
            }
            if let Some((_, inner)) = shipped_record(obj, format, depth) {
                return is_stateless(&inner, format, depth + 1);
            }
            match format {
                Format::Auto => detect(obj).is_none_or(|found| found == Format::Udm),
                chosen => chosen == Format::Udm,
            }
        }
        _ => true,
    }
}

/// The Unified Audit Log record inside an audit search export, when `obj` is one.
///
/// The Purview audit search's CSV download and `Search-UnifiedAuditLog` (as CSV or through
/// `ConvertTo-Json`) wrap each record in a row with `CreationDate`, `UserIds`, `Operations` and
/// an `AuditData` column that contains the record as JSON text. The record itself has every field
/// of the row, so the row's other columns are not read.
fn audit_data(obj: &Map<String, Value>, format: Format) -> Option<Result<Value, SourceError>> {
    if !matches!(format, Format::Auto | Format::M365) || obj.contains_key("CreationTime") {
        return None;
    }
    let value = crate::fields::get_ci(obj, "AuditData")?;
    let inner = match value {
        Value::Object(_) => Ok(value.clone()),
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(parsed @ Value::Object(_)) => Ok(parsed),
            Ok(other) => Err(SourceError::invalid(format!(
                "invalid AuditData: expected the audit record as a JSON object, found {}",
                json_kind(&other)
            ))),
            Err(e) => Err(SourceError::invalid(format!("invalid AuditData: not JSON: {e}"))),
        },
        other => Err(SourceError::invalid(format!(
            "invalid AuditData: expected the audit record as JSON text, found {}",
            json_kind(other)
        ))),
    };
    Some(inner)
}

/// Keys under which log shippers carry a record as an object: `detail` in Amazon EventBridge
/// events (Okta Log Streaming), `event` in Splunk HTTP Event Collector events and `result` in
/// Splunk search exports.
const SHIPPER_OBJECT_KEYS: &[&str] = &["detail", "event", "result"];

/// Keys under which log shippers carry a record as JSON text: `message` and `log` in syslog,
/// Logstash and Fluentd output, `_raw` in Splunk search exports.
const SHIPPER_TEXT_KEYS: &[&str] = &["message", "log", "_raw"];

/// Returns the record inside a log shipper's envelope, with the envelope's key, when `obj` is no
/// source's record itself and the carried value is one (or is another envelope around one).
/// With a chosen `format`, the carried record must be of that format.
fn shipped_record(
    obj: &Map<String, Value>,
    format: Format,
    depth: usize,
) -> Option<(&'static str, Value)> {
    if depth > MAX_DEPTH || detect(obj).is_some() {
        return None;
    }
    for key in SHIPPER_OBJECT_KEYS {
        let Some(Value::Object(inner)) = obj.get(*key) else { continue };
        if carries_record(inner, format, depth) {
            return Some((key, Value::Object(inner.clone())));
        }
    }
    for key in SHIPPER_TEXT_KEYS {
        let Some(Value::String(text)) = obj.get(*key) else { continue };
        if !text.trim_start().starts_with('{') {
            continue;
        }
        let Ok(Value::Object(inner)) = serde_json::from_str::<Value>(text) else { continue };
        if carries_record(&inner, format, depth) {
            return Some((key, Value::Object(inner)));
        }
    }
    None
}

fn carries_record(inner: &Map<String, Value>, format: Format, depth: usize) -> bool {
    match detect(inner) {
        Some(found) => format == Format::Auto || found == format,
        None => shipped_record(inner, format, depth + 1).is_some(),
    }
}

/// Writes the fields of a shipper's envelope, other than the carried record under `key`, to
/// each event's `additional.fields`, where the record's own fields of the same name win.
fn keep_envelope(events: &mut [Event], envelope: &Map<String, Value>, key: &str) {
    let mut extra = Event::new();
    for (name, value) in envelope.iter().filter(|(name, _)| name.as_str() != key) {
        flatten_into(&mut extra, name, value);
    }
    let Some(udm::Value::Message(extra)) = extra.root.get("additional") else { return };
    for event in events {
        let additional = event.root.message_at("additional");
        for (name, value) in extra.iter() {
            if additional.get(name).is_none() {
                additional.insert(name, value.clone());
            }
        }
    }
}

/// The deepest nesting of arrays and export wrappers read; a log record needs about three.
const MAX_DEPTH: usize = 8;

/// The outcome of one record of a JSON document.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    /// The record's position in the document: empty for the document itself, otherwise a
    /// path such as `[2]`, `records[5]` or `[0].records[5]`.
    pub path: String,
    /// The record's events, or why it was rejected.
    pub result: Result<Vec<Event>, SourceError>,
}

/// The array of records inside an export wrapper, with the wrapper's key.
///
/// `records` wraps Azure Monitor and SOQL exports, unless the object is itself a Salesforce
/// record (which may have a `records` field). `events` wraps SecOps UDM exports and Salesforce
/// Pub/Sub batches; native UDM has no `events` field. `value` wraps Microsoft Graph list
/// responses, recognised by their `@odata.context`.
fn wrapped_records(obj: &Map<String, Value>, format: Format) -> Option<(&'static str, &[Value])> {
    if let Some(Value::Array(items)) = obj.get("records") {
        if format != Format::Udm && !salesforce::is_record(obj) {
            return Some(("records", items));
        }
    }
    if let Some(Value::Array(items)) = obj.get("events") {
        return Some(("events", items));
    }
    if let Some(Value::Array(items)) = obj.get("value") {
        if obj.contains_key("@odata.context") {
            return Some(("value", items));
        }
    }
    None
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn stateless_only_for_udm() {
        let udm = json!({"metadata": {"event_type": "USER_LOGIN",
                                      "event_timestamp": "2025-06-10T10:00:00Z"}});
        let okta = json!({"eventType": "user.session.start", "uuid": "x",
                          "published": "2025-06-10T10:00:00Z", "actor": {}});
        let stateless = Normalizer::normalize_stateless(&udm, Format::Auto);
        let expected = Normalizer::default().normalize_each(&udm, Format::Auto);
        assert_eq!(stateless, Some(expected));
        assert_eq!(Normalizer::normalize_stateless(&okta, Format::Auto), None);
        assert_eq!(Normalizer::normalize_stateless(&json!([udm, okta]), Format::Auto), None);
        assert!(Normalizer::normalize_stateless(&json!([udm, 3]), Format::Auto).is_some());
    }
}
