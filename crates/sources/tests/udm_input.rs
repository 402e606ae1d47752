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
