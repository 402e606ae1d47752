//! Native UDM input, bare and in the wrappers SecOps exports use.

mod common;

use common::normalize_json;
use serde_json::json;
use sources::{Format, Identities, Normalizer};

fn udm_event(id: &str) -> serde_json::Value {
    json!({
        "metadata": {
            "eventTimestamp": "2026-03-02T08:00:00Z",
            "eventType": "USER_LOGIN",
            "productLogId": id,
            "logType": "OKTA"
        },
        "principal": {"ip": ["192.0.2.1"], "user": {"userid": "dana@example.com"}}
    })
}

#[test]
fn every_wrapper_reads_the_same_event() {
    let bare = normalize_json(&udm_event("a"), Format::Auto);
    let wrappers = [
        json!({"udm": udm_event("a")}),
        json!({"event": udm_event("a")}),
        json!({"events": [{"udm": udm_event("a")}]}),
    ];
    for wrapper in wrappers {
        assert_eq!(normalize_json(&wrapper, Format::Auto), bare, "{wrapper}");
    }
    assert_eq!(bare[0]["metadata"]["product_log_id"], json!("a"));
    assert_eq!(bare[0]["metadata"]["event_type"], json!("USER_LOGIN"));
}

#[test]
fn events_array_yields_each_event() {
    let wrapper = json!({"events": [{"udm": udm_event("a")}, {"udm": udm_event("b")}]});
    let events = normalize_json(&wrapper, Format::Udm);
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["metadata"]["product_log_id"], json!("b"));
}

#[test]
fn invalid_udm_is_rejected() {
    let record =
        json!({"metadata": {"eventType": "NOT_A_TYPE", "eventTimestamp": "2026-03-02T08:00:00Z"}});
    let mut normalizer = Normalizer::new(Identities::new());
    let error = normalizer.normalize(&record, Format::Udm).unwrap_err();
    assert!(error.to_string().contains("NOT_A_TYPE"), "{error}");
}

#[test]
fn event_without_time_is_rejected() {
    let graph_record = json!({
        "time": "2025-06-10T16:45:10Z",
        "category": "MicrosoftGraphActivityLogs",
        "properties": {"requestUri": "https://graph.microsoft.com/v1.0/me"}
    });
    let no_time = json!({"metadata": {"eventType": "USER_LOGIN"}});
    for record in [graph_record, no_time] {
        let mut normalizer = Normalizer::new(Identities::new());
        let error = normalizer.normalize(&record, Format::Udm).unwrap_err();
        assert!(error.to_string().contains("metadata.event_timestamp is missing"), "{error}");
    }
}

/// Checks that reading `text` straight into an event, when that reader takes it, gives the
/// normalizer's one event for the same text.
fn text_reader_agrees(text: &str, format: Format) -> bool {
    let Some(event) = sources::read_bare_udm(text.as_bytes(), format) else { return false };
    let record: serde_json::Value = serde_json::from_str(text).expect("JSON");
    let outcomes = Normalizer::new(Identities::new()).normalize_each(&record, format);
    assert_eq!(outcomes.len(), 1, "{text}");
    assert_eq!(outcomes[0].path, "", "{text}");
    assert_eq!(outcomes[0].result.as_ref().ok(), Some(&vec![event]), "{text}");
    true
}

#[test]
fn text_reader_takes_bare_events_and_leaves_wrappers() {
    let bare = udm_event("a").to_string();
    assert!(text_reader_agrees(&bare, Format::Udm));
    assert!(text_reader_agrees(&bare, Format::Auto));
    let others = [
        json!({"udm": udm_event("a")}),
        json!({"events": [{"udm": udm_event("a")}]}),
        json!({"detail": udm_event("a")}),
        // No event time: the normalizer reports it.
        json!({"metadata": {"eventType": "USER_LOGIN"}}),
        // No event type: `auto` does not take it for UDM.
        json!({"metadata": {"eventTimestamp": "2026-03-02T08:00:00Z"}}),
        // An Okta record.
        json!({"uuid": "1", "eventType": "user.session.start", "published": "2026-03-02T08:00:00Z"}),
    ];
    // A Log Analytics table beside a UDM `metadata`: the normalizer reads the table's rows.
    let mut with_table = udm_event("a");
    with_table["tables"] = json!([{
        "name": "PrimaryResult",
        "columns": [{"name": "uuid"}, {"name": "eventType"}, {"name": "published"}],
        "rows": [["1", "user.session.start", "2026-03-02T08:00:00Z"]],
    }]);
    let others = others.into_iter().chain([with_table]);
    for record in others {
        assert!(!text_reader_agrees(&record.to_string(), Format::Auto), "{record}");
    }
    let no_type = json!({"metadata": {"eventTimestamp": "2026-03-02T08:00:00Z"}}).to_string();
    assert!(text_reader_agrees(&no_type, Format::Udm));
    // A second `metadata` key in another case, before and after the field's own: `udm` reads
    // the event, and `auto` does not take it for UDM.
    let event = udm_event("a").to_string();
    let other = r#""METADATA":{"eventType":"USER_LOGIN"}"#;
    let before = format!("{{{other},{}", &event[1..]);
    let after = format!("{},{other}}}", &event[..event.len() - 1]);
    for text in [before, after] {
        assert!(text_reader_agrees(&text, Format::Udm), "{text}");
        assert!(!text_reader_agrees(&text, Format::Auto), "{text}");
    }
    // Wrapper keys are matched exactly, except `AuditData`, which is matched in any case.
    for (key, wrapper) in [("auditdata", true), ("Records", false), ("udm_", false)] {
        let mut record = udm_event("a");
        record[key] = json!(1);
        let text = record.to_string();
        assert_eq!(!text_reader_agrees(&text, Format::Udm), wrapper, "{text}");
    }
}

#[test]
fn text_reader_agrees_on_the_corpus() {
    let dir = common::corpus_dir();
    if !dir.is_dir() {
        eprintln!("skipped: no corpus at {}", dir.display());
        return;
    }
    let mut taken = 0;
    for path in common::files_under(&dir) {
        let name = path.to_string_lossy();
        if !(name.ends_with(".json") || name.ends_with(".jsonl") || name.ends_with(".ndjson")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut records: Vec<String> = text.lines().map(str::to_owned).collect();
        // A document on several lines is also tried whole, and each element of an array.
        if let Ok(document) = serde_json::from_str::<serde_json::Value>(&text) {
            records.push(document.to_string());
            if let Some(items) = document.as_array() {
                records.extend(items.iter().map(serde_json::Value::to_string));
            }
        }
        for record in
            records.iter().filter(|r| serde_json::from_str::<serde_json::Value>(r).is_ok())
        {
            for format in [Format::Udm, Format::Auto] {
                taken += usize::from(text_reader_agrees(record, format));
            }
        }
    }
    assert!(taken > 0, "the corpus has native UDM events");
}
