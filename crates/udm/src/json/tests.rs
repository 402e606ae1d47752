//! Tests of the proto3 JSON reader and writer.

use serde_json::json;

use super::*;
use crate::value::{EnumValue, Timestamp, Value};

fn read(json: serde_json::Value) -> crate::Event {
    event_from_json(&json).unwrap_or_else(|e| panic!("{e}"))
}

fn read_error(json: serde_json::Value) -> JsonError {
    match event_from_json(&json) {
        Ok(event) => panic!("expected an error, read {event:?}"),
        Err(error) => error,
    }
}

#[test]
fn reads_camel_and_snake_names() {
    let event = read(json!({
        "metadata": {"eventType": "USER_LOGIN", "product_name": "okta"},
        "securityResult": [{"ruleName": "r"}],
    }));
    let expected = Value::Enum(EnumValue { name: "USER_LOGIN", number: 15001 });
    assert_eq!(event.get("metadata.event_type"), Some(&expected));
    assert_eq!(event.get("metadata.product_name"), Some(&Value::from("okta")));
    assert_eq!(event.get("security_result.rule_name"), Some(&Value::from("r")));
}

#[test]
fn reads_timestamps() {
    let event = read(json!({"metadata": {"eventTimestamp": "2021-07-14T15:30:18.142265Z"}}));
    assert_eq!(event.event_time(), Timestamp { seconds: 1_626_276_618, nanos: 142_265_000 });
    let event = read(json!({"metadata": {"event_timestamp": {"seconds": "5", "nanos": 7}}}));
    assert_eq!(event.event_time(), Timestamp { seconds: 5, nanos: 7 });
}

#[test]
fn timestamps_out_of_range_rejected() {
    let seconds = json!({"metadata": {"event_timestamp": {"seconds": i64::MAX}}});
    let text = json!({"metadata": {"event_timestamp": "0000-01-01T00:00:00Z"}});
    for json in [seconds, text] {
        let error = read_error(json);
        assert_eq!(error.path(), "metadata.event_timestamp");
        assert!(error.to_string().contains("outside years 0001 to 9999"), "{error}");
    }
}

#[test]
fn enum_by_number() {
    let event = read(json!({"metadata": {"event_type": 16006}}));
    let expected = Value::Enum(EnumValue { name: "NETWORK_HTTP", number: 16006 });
    assert_eq!(event.get("metadata.event_type"), Some(&expected));
}

#[test]
fn unknown_enum_number_names_field() {
    let error = read_error(json!({"metadata": {"event_type": 4242}}));
    assert_eq!(error.path(), "metadata.event_type");
    assert!(matches!(error, JsonError::UnknownEnumNumber { number: 4242, .. }));
}

#[test]
fn unknown_enum_name_is_error() {
    let error = read_error(json!({"securityResult": [{"action": ["ALLOW", "NOPE"]}]}));
    assert_eq!(error.path(), "security_result[0].action[1]");
    assert!(matches!(error, JsonError::UnknownEnumName { .. }));
}

#[test]
fn wrong_type_names_field_and_expectation() {
    let error = read_error(json!({"target": {"port": "eighty"}}));
    assert_eq!(error.path(), "target.port");
    let error = read_error(json!({"principal": {"hostname": 3}}));
    let message = error.to_string();
    assert!(message.contains("principal.hostname"), "{message}");
    assert!(message.contains("expected a string"), "{message}");
}

#[test]
fn unknown_fields_are_kept() {
    let event = read(json!({"principal": {"x_custom": {"a": [1, "b"]}}, "zz": 1.5}));
    assert!(event.get("principal.x_custom.a").is_some());
    assert_eq!(event.get("zz"), Some(&Value::Float(1.5)));
}

#[test]
fn reads_corpus_samples() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/udm");
    let dir = std::path::Path::new(dir).join("chronicle-api-samples-python");
    if !dir.is_dir() {
        eprintln!("corpus folder {} is absent; skipping", dir.display());
        return;
    }
    let read_list = |name: &str| -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{e}"));
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        json.as_array().cloned().unwrap_or_else(|| vec![json])
    };
    for json in read_list("sample_udm_events.json") {
        let event = event_from_json(&json).unwrap_or_else(|e| panic!("{e}"));
        assert!(event.get("metadata.event_type").is_some());
    }
    for json in read_list("sample_entities.json") {
        let entity = entity_from_json(&json).unwrap_or_else(|e| panic!("{e}"));
        assert!(entity.get_path("metadata.entity_type").is_some());
    }
}

#[test]
fn integers_past_64_bits_rejected() {
    // 2^64 and 2^63 as floats: `as` would saturate them to the largest integer.
    let error = read_error(json!({"network": {"sent_bytes": 18_446_744_073_709_551_616.0_f64}}));
    assert!(error.to_string().contains("out of range"), "{error}");
    let error = read_error(json!({"network": {"total_bytes": 9_223_372_036_854_775_808.0_f64}}));
    assert!(error.to_string().contains("out of range"), "{error}");
    let error = read_error(json!({"network": {"total_bytes": -9_223_372_036_854_777_856.0_f64}}));
    assert!(error.to_string().contains("out of range"), "{error}");

    let event = read(json!({"network": {"sent_bytes": 9_007_199_254_740_992.0_f64,
                                        "total_bytes": -9_223_372_036_854_775_808.0_f64}}));
    assert_eq!(event.get("network.sent_bytes"), Some(&Value::Uint(9_007_199_254_740_992)));
    assert_eq!(event.get("network.total_bytes"), Some(&Value::Int(i64::MIN)));
}
