//! `dragnet hunt --format udm` skips parsing the JSON lines whose text has nothing a rule
//! requires; the detections must be those of a run that parses every line.

use std::fs;
use std::process::{Command, Output};

use serde_json::Value;

fn dragnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dragnet"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the dragnet binary runs")
}

/// The detections of a run, without `detected_at`, which is the wall-clock time.
fn detections(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let mut detection: Value = serde_json::from_str(line).expect("a JSON detection");
            if let Some(object) = detection.as_object_mut() {
                object.remove("detected_at");
            }
            detection
        })
        .collect()
}

const RULE: &str = r#"rule okta_admin_login {
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $e.metadata.log_type = "OKTA"
    $e.principal.user.userid = /^adm/ nocase
  condition:
    $e
}
"#;

#[test]
fn udm_raw_filter_keeps_detections() {
    let dir = std::env::temp_dir().join(format!("dragnet-raw-filter-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("temp dir is writable");
    let rule = dir.join("rule.yaral");
    fs::write(&rule, RULE).expect("rule written");
    let event = |id: usize, log_type: &str, user: &str| {
        format!(
            r#"{{"metadata":{{"eventTimestamp":"2025-06-10T10:00:{id:02}Z","eventType":"USER_LOGIN","logType":"{log_type}","productLogId":"r{id}"}},"principal":{{"user":{{"userid":"{user}"}}}}}}"#
        )
    };
    let lines = [
        event(1, "OKTA", "admin1"),
        event(2, "AZURE_AD", "admin2"),
        event(3, "WINDOWS", "adm3"),
        // The log type spelled with an escape: the raw text lacks "OKTA", but the event has it.
        event(4, r"\u004fKTA", "admin4"),
        // Okta, but no spelling of `adm` for the regex to find: skipped too.
        event(5, "OKTA", "bob"),
        event(6, "OKTA", "ADMIN6"),
        // The user spelled with an escape: the raw text lacks any spelling of `adm`.
        event(7, "OKTA", r"\u0061dmin7"),
    ];
    let logs = dir.join("logs.jsonl");
    fs::write(&logs, lines.join("\n") + "\n").expect("logs written");
    let rule = rule.to_str().expect("UTF-8 path");
    let logs = logs.to_str().expect("UTF-8 path");

    let parsed = dragnet(&["hunt", "--output", "jsonl", "--rules", rule, logs]);
    let raw = dragnet(&["hunt", "--output", "jsonl", "--format", "udm", "--rules", rule, logs]);
    let found = detections(&parsed);
    assert_eq!(found.len(), 4, "{}", String::from_utf8_lossy(&parsed.stderr));
    assert_eq!(found, detections(&raw));
    let summary = String::from_utf8_lossy(&raw.stderr);
    assert!(summary.contains("nothing a rule requires: 3 records"), "{summary}");
    let _ = fs::remove_dir_all(&dir);
}

/// Runs a hunt of one rule over one JSONL file with each `--format`, returning the output of
/// each run.
fn hunt_formats(name: &str, rule: &str, lines: &[String], formats: &[&str]) -> Vec<Output> {
    let dir = std::env::temp_dir().join(format!("dragnet-raw-{name}-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("temp dir is writable");
    let rule_path = dir.join("rule.yaral");
    fs::write(&rule_path, rule).expect("rule written");
    let logs = dir.join("logs.jsonl");
    fs::write(&logs, lines.join("\n") + "\n").expect("logs written");
    let rule_path = rule_path.to_str().expect("UTF-8 path");
    let logs = logs.to_str().expect("UTF-8 path");
    let outputs = formats
        .iter()
        .map(|format| {
            dragnet(&["hunt", "--output", "jsonl", "--format", format, "--rules", rule_path, logs])
        })
        .collect();
    let _ = fs::remove_dir_all(&dir);
    outputs
}

#[test]
fn shipped_record_is_parsed_not_skipped() {
    // The `message` field carries the event as JSON text, so the rule's `a"b`, JSON-encoded as
    // `a\"b`, is in the line only encoded twice, as `a\\\"b`.
    let rule = r#"rule quoted_user {
  events:
    $e.principal.user.userid = "a\"b"
  condition:
    $e
}
"#;
    let event = serde_json::json!({
        "metadata": {"event_timestamp": "2025-06-10T10:00:01Z", "event_type": "USER_LOGIN"},
        "principal": {"user": {"userid": "a\"b"}},
    });
    let line = serde_json::json!({"message": event.to_string()}).to_string();
    assert!(!line.contains(r#"a\"b""#), "{line}");
    for (format, found) in
        ["udm", "auto"].iter().zip(hunt_formats("shipped", rule, &[line], &["udm", "auto"]))
    {
        assert_eq!(detections(&found).len(), 1, "--format {format}");
    }
}

#[test]
fn audit_data_row_is_parsed_not_skipped() {
    // A `metadata` with an event type makes the line look like native UDM, but with `auto` the
    // normalizer reads the Microsoft 365 record under `AuditData`, whose parser writes the
    // product name.
    let rule = r#"rule office_product {
  events:
    $e.metadata.product_name = "Office 365"
  condition:
    $e
}
"#;
    let line = serde_json::json!({
        "metadata": {"event_timestamp": "2025-06-10T10:00:01Z", "event_type": "USER_LOGIN"},
        "AuditData": {
            "CreationTime": "2025-06-10T10:00:01",
            "Id": "a1",
            "Operation": "UserLoggedIn",
            "RecordType": 15,
            "Workload": "AzureActiveDirectory",
            "UserId": "bob@example.com",
        },
    })
    .to_string();
    let found = hunt_formats("audit", rule, &[line], &["auto"]);
    assert_eq!(found.first().map(|output| detections(output).len()), Some(1));
}

#[test]
fn shipped_plain_string_survives_udm_skip() {
    // With `--format udm` and a rule whose strings JSON leaves as they are, lines are skipped
    // without the native-UDM check: `admin` reads the same in a shipper's `message`.
    let rule = r#"rule admin_user {
  events:
    $e.principal.user.userid = "admin"
  condition:
    $e
}
"#;
    let event = |id: u32, user: &str| {
        serde_json::json!({
            "metadata": {"event_timestamp": format!("2025-06-10T10:00:0{id}Z"),
                         "event_type": "USER_LOGIN", "product_log_id": format!("s{id}")},
            "principal": {"user": {"userid": user}},
        })
    };
    let lines = [
        serde_json::json!({"message": event(1, "admin").to_string()}).to_string(),
        serde_json::json!({"message": event(2, "bob").to_string()}).to_string(),
        event(3, "bob").to_string(),
        event(4, "admin").to_string(),
    ];
    let outputs = hunt_formats("plain", rule, &lines, &["udm"]);
    let output = outputs.first().expect("one run");
    let summary = String::from_utf8_lossy(&output.stderr);
    assert_eq!(detections(output).len(), 2, "{summary}");
    assert!(summary.contains("nothing a rule requires: 2 records"), "{summary}");
}
