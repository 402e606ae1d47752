//! Normalising one raw record into UDM events, element by element, for the single-process
//! pipeline and for `--stage route`.
//!
//! Each element of an export wrapper (a SOQL `records`, Pub/Sub `events` or Graph `value`
//! array) and of a top-level JSON array is normalised on its own. A bad element is rejected
//! alone, with its path, and the other elements are still read, as `hunt` reads them.

use serde_json::Value;
use sources::{Normalized, SourceError};
use udm::Event;

use super::pipeline::RawRecord;
use crate::stream::element_path;

/// A rejected record or element of one.
pub struct Rejected {
    /// The element's path in the record, such as `records[5]` or `[2]`. It is empty when the
    /// whole record is rejected.
    pub path: String,
    /// The error, prefixed with the path when there is one: `records[5]: invalid ...`.
    pub reason: String,
    /// The rejected element as JSON, or the record's text when it is not valid JSON.
    pub record: Value,
}

/// An event with the element of the record it was normalised from.
pub struct Found {
    /// The element's path in the record, as in [`Rejected::path`]. It is empty when the
    /// event comes from the record itself.
    pub path: String,
    /// The normalised, enriched event.
    pub event: Event,
}

/// Normalises and enriches `record`. Returns its events in document order and its rejected
/// elements.
pub fn normalize_record(
    normalizer: &mut sources::Normalizer,
    format: sources::Format,
    asn: Option<&enrich::AsnDb>,
    record: &RawRecord,
) -> (Vec<Found>, Vec<Rejected>) {
    let outcomes = match &record.value {
        Ok(value) => normalizer.normalize_each(value, format),
        Err(malformed) => vec![Normalized {
            path: String::new(),
            result: Err(SourceError::invalid(malformed.error.clone())),
        }],
    };
    let mut events = Vec::new();
    let mut rejected = Vec::new();
    for Normalized { path: inner_path, result } in outcomes {
        match result {
            Ok(found) => {
                let path = element_path(record.element, &inner_path);
                events.extend(found.into_iter().map(|event| Found { path: path.clone(), event }));
            }
            Err(error) => {
                let path = element_path(record.element, &inner_path);
                let reason =
                    if path.is_empty() { error.to_string() } else { format!("{path}: {error}") };
                let element = match &record.value {
                    Ok(value) => element_at(value, &inner_path).unwrap_or(value).clone(),
                    Err(malformed) => Value::String(malformed.text.clone()),
                };
                rejected.push(Rejected { path, reason, record: element });
            }
        }
    }
    if let Some(db) = asn {
        for found in &mut events {
            enrich::enrich_event(db, &mut found.event);
        }
    }
    (events, rejected)
}

/// Returns the element of `document` at a path that [`Normalized::path`] gives, such as `[2]`,
/// `records[5]` or `[0].records[5]`, or `None` when the path leads into JSON text held in a
/// string (`AuditData`) or nowhere.
fn element_at<'a>(document: &'a Value, path: &str) -> Option<&'a Value> {
    let mut current = document;
    for segment in path.split('.').filter(|segment| !segment.is_empty()) {
        let (key, indexes) = segment.split_once('[').unwrap_or((segment, ""));
        if !key.is_empty() {
            current = current.get(key)?;
        }
        for index in indexes.split('[').filter(|index| !index.is_empty()) {
            let index: usize = index.strip_suffix(']')?.parse().ok()?;
            current = current.get(index)?;
        }
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::watch::pipeline::Malformed;

    fn udm(id: &str) -> Value {
        json!({"metadata": {"event_timestamp": "2025-01-01T00:00:00Z",
                            "event_type": "USER_LOGIN", "product_log_id": id}})
    }

    fn no_time(id: &str) -> Value {
        json!({"metadata": {"event_type": "USER_LOGIN", "product_log_id": id}})
    }

    fn normalize(record: &RawRecord) -> (Vec<Found>, Vec<Rejected>) {
        let mut normalizer = sources::Normalizer::default();
        normalize_record(&mut normalizer, sources::Format::Auto, None, record)
    }

    #[test]
    fn export_keeps_good_elements() {
        let document = json!({"events": [{"udm": udm("a")}, {"udm": no_time("b")},
                                         {"udm": udm("c")}]});
        let record = RawRecord { at: 1, element: None, value: Ok(document) };
        let (events, rejected) = normalize(&record);
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].path, "events[0]");
        assert_eq!(events[1].path, "events[2]");
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].path, "events[1]");
        assert!(rejected[0].reason.starts_with("events[1]: "), "{}", rejected[0].reason);
        assert_eq!(rejected[0].record["udm"]["metadata"]["product_log_id"], "b");
    }

    #[test]
    fn array_element_prefixes_path() {
        let document = json!({"events": [{"udm": no_time("b")}]});
        let record = RawRecord { at: 1, element: Some(3), value: Ok(document) };
        let (events, rejected) = normalize(&record);
        assert!(events.is_empty());
        assert_eq!(rejected[0].path, "[3].events[0]");
        assert_eq!(rejected[0].record["udm"]["metadata"]["product_log_id"], "b");
    }

    #[test]
    fn malformed_record_rejected_whole() {
        let malformed = Malformed { error: "invalid JSON".into(), text: "{\"a\":".into() };
        let record = RawRecord { at: 4, element: None, value: Err(malformed) };
        let (events, rejected) = normalize(&record);
        assert!(events.is_empty());
        assert_eq!(rejected[0].path, "");
        assert!(rejected[0].reason.contains("invalid JSON"), "{}", rejected[0].reason);
        assert_eq!(rejected[0].record, json!("{\"a\":"));
    }

    #[test]
    fn element_path_joins_index_and_path() {
        assert_eq!(element_path(None, ""), "");
        assert_eq!(element_path(None, "records[5]"), "records[5]");
        assert_eq!(element_path(Some(2), ""), "[2]");
        assert_eq!(element_path(Some(2), "records[5]"), "[2].records[5]");
        assert_eq!(element_path(Some(2), "[1]"), "[2][1]");
    }
}
