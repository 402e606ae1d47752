//! End-to-end tests of `dragnet hunt`: the real binary on the bundled demo data and on
//! hostile inputs.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{json, Value};

#[path = "common/test_dir.rs"]
mod test_dir;
use test_dir::TestDir;

fn dragnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dragnet"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the dragnet binary runs")
}

fn stdout_detections(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("every output line is a JSON detection"))
        .collect()
}

/// Reduces a detection to what the demo story pins: rule, match values, and the source record
/// ids of the events per event variable.
fn essence(detection: &Value) -> Value {
    let mut events = BTreeMap::new();
    if let Some(Value::Object(vars)) = detection.get("events") {
        for (var, samples) in vars {
            let mut ids: Vec<String> = samples
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| {
                    e.pointer("/metadata/product_log_id")
                        .and_then(Value::as_str)
                        .unwrap_or("<no product_log_id>")
                        .to_owned()
                })
                .collect();
            ids.sort();
            events.insert(var.clone(), ids);
        }
    }
    json!({
        "rule": detection.pointer("/rule/name"),
        "match": detection.get("match"),
        "events": events,
    })
}

fn temp_dir(name: &str) -> TestDir {
    TestDir::new(&format!("dragnet-test-{name}-"))
}

/// Reduces a detection to its rule, match values and the number of sample events per event
/// variable.
fn outline(detection: &Value) -> Value {
    let mut counts = BTreeMap::new();
    if let Some(Value::Object(vars)) = detection.get("events") {
        for (var, samples) in vars {
            counts.insert(var.clone(), samples.as_array().map_or(0, Vec::len));
        }
    }
    json!({"rule": detection.pointer("/rule/name"), "match": detection.get("match"), "events": counts})
}

#[test]
fn demo_hunt_reports_exactly_the_attack() {
    let output = dragnet(&["hunt", "--output", "jsonl"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "hunt failed: {stderr}");
    let detections = stdout_detections(&output);
    let mut found: Vec<Value> = detections.iter().map(outline).collect();
    found.sort_by_key(|v| v.to_string());

    let alice = "alice.chen@northwind.example";
    let mut expected = vec![
        json!({"rule": "m365_graph_data_pull_after_risky_login",
               "match": {"acct": alice}, "events": {"login": 2, "http": 3}}),
        json!({"rule": "m365_graph_data_pull_after_risky_login_as_published",
               "match": {"acct": alice}, "events": {"login": 1, "http": 3}}),
        json!({"rule": "unc6040_cross_saas_lateral_movement_by_email",
               "match": {"user": alice}, "events": {"sf": 10, "idp": 3}}),
        json!({"rule": "unc6040_cross_saas_lateral_movement_by_ip",
               "match": {"ip": "203.0.113.66"}, "events": {"sf": 10, "idp": 3}}),
        json!({"rule": "unc6040_ip_ioc_detected", "match": {}, "events": {"e": 1}}),
        json!({"rule": "unc6040_ip_ioc_detected", "match": {}, "events": {"e": 1}}),
        json!({"rule": "unc6040_sf_api_access_from_vpn_or_off_corp",
               "match": {"user": alice, "ip": "203.0.113.66"}, "events": {"e": 10}}),
        json!({"rule": "unc6040_sf_bulk_exfiltration_non_integration_user",
               "match": {"user": alice}, "events": {"e": 10}}),
        json!({"rule": "unc6040_sf_connected_app_outside_allowlist", "match": {}, "events": {"e": 1}}),
        json!({"rule": "unc6040_sf_integration_credential_misuse",
               "match": {"user": "etl.integration@northwind.example", "ip": "203.0.113.77"},
               "events": {"e": 2}}),
    ];
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(found, expected, "stderr:\n{stderr}");

    // The source records behind the smaller detections.
    let ids = |rule: &str| -> Vec<Value> {
        detections
            .iter()
            .filter(|d| d.pointer("/rule/name") == Some(&json!(rule)))
            .map(|d| essence(d)["events"].clone())
            .collect()
    };
    assert_eq!(
        ids("m365_graph_data_pull_after_risky_login"),
        vec![json!({
            "http": [
                "10fe5dfa-5e5d-5cd1-9e47-ef2703ae06d0",
                "ba4b20fc-03de-58f1-9807-5b511567ccd8",
                "e7a88a60-7106-5457-bc06-31602aee1878",
            ],
            "login": ["d241be24-d0bd-58d2-829e-0f8ce54f0a99", "f0eb485f-1b79-5ada-8cd8-64e844ddd688"],
        })]
    );
    let mut ioc = ids("unc6040_ip_ioc_detected");
    ioc.sort_by_key(|v| v.to_string());
    assert_eq!(
        ioc,
        vec![json!({"e": ["71cb153b-c65b-511b-be81-24e40c26cc62"]}), json!({"e": ["px-000981"]})]
    );
    assert_eq!(
        ids("unc6040_sf_integration_credential_misuse"),
        vec![json!({"e": ["4nWqZ0lB3cDeFgHiJkM1-", "4nWqZ0lB3cDeFgHiJkM2-"]})]
    );

    // Nobody but Alice, the attacker's Entra sign-in spray and the stolen integration token.
    let text = String::from_utf8_lossy(&output.stdout);
    for benign in ["bob.ruiz", "carol.ito", "dave.lee"] {
        let named = detections.iter().any(|d| d["match"].to_string().contains(benign));
        assert!(!named, "{benign} is in a detection's match values:\n{text}");
    }
    assert!(stderr.contains("left out by change windows: 1"), "stderr:\n{stderr}");
}

#[test]
fn demo_detections_follow_the_schema() {
    let output = dragnet(&["hunt", "--output", "jsonl"]);
    let detections = stdout_detections(&output);
    assert!(!detections.is_empty());
    for detection in &detections {
        assert_eq!(detection["schema"], "dragnet.detection/v1");
        for key in ["id", "rule", "type", "time_window", "match", "outcome", "events"] {
            assert!(detection.get(key).is_some(), "missing {key} in {detection}");
        }
        assert!(detection["detected_at"].is_string());
        assert!(detection.pointer("/rule/version").is_some_and(Value::is_string));
        assert!(detection.pointer("/rule/meta").is_some_and(Value::is_object));
        assert!(detection.pointer("/rule/severity").is_some_and(Value::is_string));
        assert!(detection.pointer("/time_window/start").is_some_and(Value::is_string));
        assert!(detection.pointer("/time_window/end").is_some_and(Value::is_string));
        let kind = detection["type"].as_str().unwrap_or("");
        assert!(kind == "SINGLE_EVENT" || kind == "MULTI_EVENT", "type {kind}");
    }
}

#[test]
fn demo_detection_ids_are_stable() {
    let ids = |output: &Output| -> Vec<String> {
        let mut ids: Vec<String> = stdout_detections(output)
            .iter()
            .map(|d| d["id"].as_str().unwrap_or("").to_owned())
            .collect();
        ids.sort();
        ids
    };
    let first = ids(&dragnet(&["hunt", "--output", "jsonl"]));
    let second = ids(&dragnet(&["hunt", "--output", "jsonl"]));
    assert_eq!(first, second);
    assert!(first.iter().all(|id| !id.is_empty()));
}

#[test]
fn malformed_record_is_reported_and_skipped() {
    let dir = temp_dir("malformed");
    let logs = dir.join("proxy.jsonl");
    let good = r#"{"metadata":{"event_timestamp":"2025-06-10T14:15:07Z","event_type":"NETWORK_HTTP","product_log_id":"good-1"},"target":{"ip":["192.0.2.45"]}}"#;
    let lists = dir.join("lists");
    fs::create_dir_all(&lists).unwrap();
    fs::write(lists.join("UNC6040_IOC_LIST.txt"), "192.0.2.45\n").unwrap();
    // With `--format udm`, a line is only parsed when it has a string some rule requires, here
    // the IOC address. With `auto`, every line that is not plain UDM is parsed.
    let cases =
        [("udm", r#"{"metadata": {"product_log_id": "192.0.2.45""#), ("auto", "{\"metadata\": ")];
    for (format, malformed) in cases {
        fs::write(&logs, format!("{good}\n{malformed}\n{}\n", good.replace("good-1", "good-2")))
            .unwrap();
        let output = dragnet(&[
            "hunt",
            "--output",
            "jsonl",
            "--lists",
            lists.to_str().unwrap(),
            "--format",
            format,
            logs.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        assert!(stderr.contains(&format!("{}:2:", logs.display())), "{format}: stderr: {stderr}");
        assert!(stderr.contains("1 rejected"), "{format}: stderr: {stderr}");
        let mut ids: Vec<Value> =
            stdout_detections(&output).iter().map(|d| essence(d)["events"]["e"].clone()).collect();
        ids.sort_by_key(|v| v.to_string());
        assert_eq!(ids, vec![json!(["good-1"]), json!(["good-2"])], "{format}");
    }
}

/// An Okta System Log API response is a JSON array on one line, where the line number alone
/// does not locate a bad event. The warning also names the event's index in the array.
#[test]
fn bad_array_element_is_reported_with_index() {
    let dir = temp_dir("array-element");
    let event = |uuid: &str, published: &str| {
        format!(
            r#"{{"uuid":"{uuid}","published":"{published}","eventType":"user.session.start","actor":{{"alternateId":"dana@example.com"}}}}"#
        )
    };
    let one_line = format!(
        "[{},{},{}]\n",
        event("a", "2025-06-10T10:00:00Z"),
        event("b", "not a time"),
        event("c", "2025-06-10T10:02:00Z")
    );
    let pretty = format!(
        "[\n  {},\n  {},\n  {}\n]\n",
        event("a", "2025-06-10T10:00:00Z"),
        event("b", "not a time"),
        event("c", "2025-06-10T10:02:00Z")
    );
    for (name, text, at) in
        [("one_line.json", one_line, ":1 [1]: "), ("pretty.json", pretty, ":3 [1]: ")]
    {
        let logs = dir.join(name);
        fs::write(&logs, text).unwrap();
        let output = dragnet(&["parse", logs.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let expected = format!("{}{at}invalid time \"not a time\"", logs.display());
        assert!(stderr.contains(&expected), "{name}: stderr: {stderr}");
        assert!(stderr.contains("3 records read, 1 rejected"), "{name}: stderr: {stderr}");
        assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 2, "{name}");
    }
}

#[test]
fn auto_format_skips_only_native_udm() {
    let dir = temp_dir("auto-skip");
    let rule = dir.join("okta_login.yaral");
    fs::write(
        &rule,
        r#"rule okta_login {
  events:
    $e.metadata.log_type = "OKTA"
    $e.metadata.event_type = "USER_LOGIN"
  condition:
    $e
}
"#,
    )
    .unwrap();
    // The Okta record contains neither "OKTA" nor "USER_LOGIN", which its parser writes, so
    // it must be parsed. The native UDM record contains neither and is skipped.
    let okta = r#"{"eventType":"user.session.start","uuid":"okta-1","published":"2025-06-10T08:54:37.221Z","actor":{"type":"User","alternateId":"bob@northwind.example"},"client":{"ipAddress":"198.51.100.10"},"outcome":{"result":"SUCCESS"}}"#;
    let proxy = r#"{"metadata":{"event_timestamp":"2025-06-10T14:15:07Z","event_type":"NETWORK_HTTP","product_log_id":"proxy-1"},"target":{"ip":["192.0.2.45"]}}"#;
    let logs = dir.join("mixed.jsonl");
    fs::write(&logs, format!("{okta}\n{proxy}\n")).unwrap();

    let output = dragnet(&[
        "hunt",
        "--output",
        "jsonl",
        "--rules",
        rule.to_str().unwrap(),
        logs.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let detections = stdout_detections(&output);
    assert_eq!(detections.len(), 1, "{stderr}");
    assert_eq!(detections[0].pointer("/rule/name"), Some(&json!("okta_login")));
    assert!(stderr.contains("nothing a rule requires: 1 records"), "stderr: {stderr}");
}

#[test]
fn broken_rule_is_reported_and_others_run() {
    let dir = temp_dir("broken-rule");
    let rules = dir.join("rules");
    fs::create_dir_all(&rules).unwrap();
    fs::write(
        rules.join("good.yaral"),
        "rule good {\n  meta:\n  events:\n    $e.metadata.event_type = \"USER_LOGIN\"\n  condition:\n    $e\n}\n",
    )
    .unwrap();
    fs::write(
        rules.join("broken.yaral"),
        "rule broken {\n  events:\n    $e.metadata.event_type = = \"USER_LOGIN\"\n  condition:\n    $e\n}\n",
    )
    .unwrap();
    let output = dragnet(&["hunt", "--output", "jsonl", "--rules", rules.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let location = format!("{}:3:", rules.join("broken.yaral").display());
    assert!(stderr.contains(&location), "no {location} in stderr: {stderr}");
    assert!(stderr.contains("1 loaded, 1 rejected"), "stderr: {stderr}");
    let detections = stdout_detections(&output);
    assert!(!detections.is_empty(), "the good rule sees the demo's sign-ins");
    assert!(detections.iter().all(|d| d.pointer("/rule/name") == Some(&json!("good"))));
}

#[test]
fn no_compilable_rule_exits_2() {
    let dir = temp_dir("no-rule");
    fs::write(dir.join("broken.yaral"), "rule broken {").unwrap();
    let output = dragnet(&["hunt", "--rules", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn missing_input_exits_2() {
    let output = dragnet(&["hunt", "/nonexistent/dragnet/input.jsonl"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("input not found"), "stderr: {stderr}");
}

#[test]
fn time_range_limits_the_hunt() {
    let output = dragnet(&[
        "hunt",
        "--output",
        "jsonl",
        "--from",
        "2025-06-10T15:00:00Z",
        "--to",
        "2025-06-10T16:00:00Z",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let rules: Vec<Value> =
        stdout_detections(&output).iter().map(|d| d["rule"]["name"].clone()).collect();
    assert_eq!(rules, vec![json!("unc6040_sf_integration_credential_misuse")]);
    assert!(stderr.contains("outside --from/--to:"), "{stderr}");
}

#[test]
fn empty_time_range_is_invalid() {
    let output = dragnet(&["hunt", "--from", "2025-06-11", "--to", "2025-06-10"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn strict_hunt_fails_on_rejected_records() {
    let dir = temp_dir("strict");
    let logs = dir.join("bad.jsonl");
    fs::write(&logs, "{\"metadata\": \n").unwrap();
    let path = logs.to_str().unwrap();
    let lenient = dragnet(&["hunt", "--output", "jsonl", path]);
    assert_eq!(lenient.status.code(), Some(0));
    let strict = dragnet(&["hunt", "--strict", "--output", "jsonl", path]);
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn invalid_arguments_exit_2() {
    let dir = temp_dir("invalid-args");
    let missing = dir.join("missing");
    let missing = missing.to_str().unwrap();
    for args in [
        vec!["hunt", "--format", "bogus"],
        vec!["hunt", "--rules", missing],
        vec!["hunt", "--lists", missing],
        vec!["hunt", "--asn-db", missing],
        vec!["hunt", "--identities", missing],
        vec!["hunt", "--suppressions", missing],
    ] {
        let output = dragnet(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn report_written_only_when_complete() {
    let dir = temp_dir("report");
    let report = dir.join("demo.html");
    let output = dragnet(&["hunt", "--output", "jsonl", "--report", report.to_str().unwrap()]);
    assert!(output.status.success());
    assert!(report.exists());
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn check_warns_about_unrunnable_rules() {
    let dir = temp_dir("check-composite");
    let rule = dir.join("composite.yaral");
    fs::write(
        &rule,
        "rule composite {\n  meta:\n    author = \"a\"\n  events:\n    $d.detection.detection.rule_name = \"x\"\n    $d.detection.detection.outcomes[\"user\"] = $user\n  match:\n    $user over 5m\n  condition:\n    $d\n}\n",
    )
    .unwrap();
    let output = dragnet(&["check", rule.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("Dragnet cannot run this rule"), "{stderr}");

    let graph = dir.join("graph.yaral");
    fs::write(
        &graph,
        "rule graph {\n  meta:\n    author = \"a\"\n  events:\n    $e.metadata.event_type = \"USER_LOGIN\"\n    $e.principal.user.userid = $user\n    $g.graph.entity.user.userid = $user\n  match:\n    $user over 5m\n  condition:\n    $e and $g\n}\n",
    )
    .unwrap();
    let output = dragnet(&["check", graph.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn check_takes_in_limits() {
    let dir = temp_dir("check-in-limits");
    let rule = dir.join("cidr.yaral");
    fs::write(
        &rule,
        "rule cidr {\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.ip in cidr %a\n    $e.target.ip in cidr %b\n    $e.src.ip in cidr %c\n  condition:\n    $e\n}\n",
    )
    .unwrap();
    let path = rule.to_str().unwrap();

    let current = dragnet(&["check", "--strict", path]);
    assert!(current.status.success(), "{}", String::from_utf8_lossy(&current.stderr));

    let older = dragnet(&["check", "--strict", "--in-limits", "7,4,2", path]);
    let stderr = String::from_utf8_lossy(&older.stderr);
    assert_eq!(older.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("at most 2 `in cidr` list tests, but this one has 3"), "{stderr}");

    let invalid = dragnet(&["check", "--in-limits", "7,4", path]);
    let stderr = String::from_utf8_lossy(&invalid.stderr);
    assert_eq!(invalid.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("expected three whole numbers"), "{stderr}");
}

#[test]
fn check_takes_logical_operator_cap() {
    let dir = temp_dir("check-logical-operators");
    let rule = dir.join("lines.yaral");
    fs::write(
        &rule,
        "rule lines {\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.hostname = \"a\" or $e.principal.hostname = \"b\"\n    $e.target.port = 443\n  condition:\n    $e\n}\n",
    )
    .unwrap();
    let path = rule.to_str().unwrap();

    let generous = dragnet(&["check", "--max-logical-operators", "2", path]);
    assert!(generous.status.success(), "{}", String::from_utf8_lossy(&generous.stderr));

    let tight = dragnet(&["check", "--max-logical-operators", "1", path]);
    let stderr = String::from_utf8_lossy(&tight.stderr);
    assert_eq!(tight.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("rule `lines` has 2 `and`/`or` operators"), "{stderr}");
}

/// Writes `records` as the CSV that the Purview audit search downloads: a few columns of its
/// own and the whole record as JSON text in `AuditData`.
fn audit_search_csv(records: &str) -> String {
    let quote = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
    let mut csv = String::from("RecordId,CreationDate,RecordType,Operation,UserId,AuditData\n");
    for line in records.lines().filter(|l| !l.trim().is_empty()) {
        let record: Value = serde_json::from_str(line).expect("the demo's records are JSON");
        let field = |name: &str| record[name].to_string().trim_matches('"').to_owned();
        let row = [
            field("Id"),
            format!("{}Z", field("CreationTime")),
            field("RecordType"),
            field("Operation"),
            field("UserId"),
            line.to_owned(),
        ];
        csv.push_str(&row.iter().map(|cell| quote(cell)).collect::<Vec<_>>().join(","));
        csv.push('\n');
    }
    csv
}

#[test]
fn audit_search_csv_hunts_like_records() {
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let dir = temp_dir("audit-search");
    let logs = dir.join("logs");
    for source in ["m365", "okta", "salesforce", "udm"] {
        let to = logs.join(source);
        fs::create_dir_all(&to).unwrap();
        for entry in fs::read_dir(examples.join("logs").join(source)).unwrap() {
            let path = entry.unwrap().path();
            fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
    let ual = logs.join("m365/unified_audit_log.jsonl");
    let records = fs::read_to_string(&ual).unwrap();
    fs::remove_file(&ual).unwrap();
    fs::write(logs.join("m365/unified_audit_log.csv"), audit_search_csv(&records)).unwrap();

    let hunt = |logs: &PathBuf| {
        let output = dragnet(&[
            "hunt",
            "--output",
            "jsonl",
            "--lists",
            examples.join("lists").to_str().unwrap(),
            "--asn-db",
            examples.join("asn.tsv").to_str().unwrap(),
            "--identities",
            examples.join("identities.csv").to_str().unwrap(),
            logs.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{stderr}");
        let mut ids: Vec<(String, String)> = stdout_detections(&output)
            .iter()
            .map(|d| (d["rule"]["name"].as_str().unwrap().to_owned(), d["id"].to_string()))
            .collect();
        ids.sort();
        (ids, stderr)
    };
    let (expected, _) = hunt(&examples.join("logs"));
    let (found, stderr) = hunt(&logs);
    let count = records.lines().filter(|l| !l.trim().is_empty()).count();
    let read = format!("unified_audit_log.csv: {count} records, 0 rejected, {count} events");
    assert!(stderr.contains(&read), "{stderr}");
    assert!(expected.iter().any(|(rule, _)| rule.starts_with("m365_graph")), "{expected:?}");
    assert_eq!(found, expected);
}

/// Replaces the wall-clock `detected_at` times of JSON output with a placeholder, so that two
/// runs can be compared byte for byte.
fn mask_detected_at(text: &str) -> String {
    let mut masked = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\"detected_at\":") {
        let (head, tail) = rest.split_at(at + "\"detected_at\":".len());
        masked.push_str(head);
        let value_start = tail.find('"').map_or(tail.len(), |i| i + 1);
        let value_end = tail[value_start..].find('"').map_or(tail.len(), |i| value_start + i);
        masked.push_str(&tail[..value_start]);
        masked.push_str("<masked>");
        rest = &tail[value_end..];
    }
    masked.push_str(rest);
    masked
}

/// Drops the last column of CSV output, the wall-clock `detected_at`.
fn without_last_column(csv: &str) -> String {
    csv.lines()
        .map(|line| line.rsplit_once(',').map_or(line, |(head, _)| head))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Drops the elapsed-time line of the summary.
fn without_elapsed(summary: &[u8]) -> String {
    String::from_utf8_lossy(summary)
        .lines()
        .filter(|line| !line.trim_start().starts_with("time:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn spilled_detections_print_the_same() {
    let temp = temp_dir("spill");
    for threads in ["1", "2"] {
        for format in ["jsonl", "json", "table", "csv"] {
            let hunt = |buffer: &str| {
                Command::new(env!("CARGO_BIN_EXE_dragnet"))
                    .args(["hunt", "--no-progress", "--threads", threads, "--output", format])
                    .args(["--detection-buffer-bytes", buffer])
                    .env_remove("RUST_LOG")
                    .env("TMPDIR", &temp)
                    .output()
                    .expect("the dragnet binary runs")
            };
            // One byte makes every detection spill to a run of its own.
            let spilled = hunt("1");
            let in_memory = hunt("100000000");
            assert!(
                spilled.status.success(),
                "{format}: {}",
                String::from_utf8_lossy(&spilled.stderr)
            );
            assert!(in_memory.status.success(), "{format}");
            let (spilled_out, in_memory_out) = match format {
                "csv" => (
                    without_last_column(&String::from_utf8_lossy(&spilled.stdout)),
                    without_last_column(&String::from_utf8_lossy(&in_memory.stdout)),
                ),
                _ => (
                    mask_detected_at(&String::from_utf8_lossy(&spilled.stdout)),
                    mask_detected_at(&String::from_utf8_lossy(&in_memory.stdout)),
                ),
            };
            // The demo gives ten detections.
            assert!(spilled_out.lines().count() >= 10, "{format}: too few lines");
            assert_eq!(spilled_out, in_memory_out, "{format} with {threads} threads");
            assert_eq!(without_elapsed(&spilled.stderr), without_elapsed(&in_memory.stderr));
        }
    }
    let left: Vec<_> = fs::read_dir(&temp).expect("temp dir is readable").collect();
    assert!(left.is_empty(), "temporary files were left: {left:?}");
}

#[test]
fn unwritable_spill_folder_is_an_error() {
    let temp = temp_dir("spill-fails");
    let not_a_folder = temp.join("file");
    fs::write(&not_a_folder, "").expect("temp dir is writable");
    let output = Command::new(env!("CARGO_BIN_EXE_dragnet"))
        .args(["hunt", "--no-progress", "--output", "jsonl", "--detection-buffer-bytes", "1"])
        .env_remove("RUST_LOG")
        .env("TMPDIR", &not_a_folder)
        .output()
        .expect("the dragnet binary runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot write detections to a temporary file"), "{stderr}");
    assert!(output.stdout.is_empty(), "detections were printed after the failure");
}

#[test]
fn log_analytics_portal_csv_is_read() {
    // The Log Analytics "Export to CSV" of the Azure portal: `[UTC]` after each datetime column
    // name, times as the portal shows them, dynamic columns as JSON text.
    let dir = temp_dir("portal-csv");
    let csv = dir.join("signins.csv");
    let rows = [
        r#"TenantId,"TimeGenerated [UTC]",Category,ResultType,AppDisplayName,"CreatedDateTime [UTC]",IPAddress,LocationDetails,Status,UserPrincipalName,UserId,Id,Type"#,
        r#"11111111-2222-4333-8444-555555555555,"7/2/2025, 2:02:10.123 PM",SignInLogs,0,"Office 365 Exchange Online","7/2/2025, 2:02:09.883 PM",203.0.113.7,"{""city"":""Amsterdam"",""countryOrRegion"":""NL""}","{""errorCode"":0}",dana.lee@example.com,0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d,7a7a0000-0000-4000-8000-00000000c001,SigninLogs"#,
    ];
    fs::write(&csv, rows.join("\n") + "\n").unwrap();
    let output = dragnet(&["parse", csv.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let events: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("parse prints JSON lines"))
        .collect();
    assert_eq!(events.len(), 1, "{stderr}");
    let event = &events[0];
    assert_eq!(event["metadata"]["log_type"], "AZURE_AD");
    assert_eq!(event["metadata"]["event_timestamp"], "2025-07-02T14:02:09.883Z");
    assert_eq!(event["principal"]["user"]["userid"], "dana.lee@example.com");
    assert_eq!(event["principal"]["location"]["city"], "Amsterdam");
    assert_eq!(event["security_result"][0]["action"], json!(["ALLOW"]));
}

#[test]
fn eventlogfile_user_names_independent_of_file_order() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = temp_dir("elf-order");
    let lists = dir.join("lists");
    fs::create_dir_all(&lists).unwrap();
    fs::write(lists.join("KNOWN_INTEGRATION_USERS.txt"), "etl.sync@example.com\n").unwrap();
    // The API file sorts before the Login file, and only the Login file names the user.
    let logs = dir.join("logs");
    fs::create_dir_all(&logs).unwrap();
    let api_header = "EVENT_TYPE,TIMESTAMP_DERIVED,REQUEST_ID,USER_ID,USER_ID_DERIVED,\
                      ENTITY_NAME,ROWS_PROCESSED,CLIENT_IP\n";
    let api_rows: String = (0..3)
        .map(|i| {
            format!(
                "API,2025-06-10T02:0{i}:00.000Z,req-{i},0055e00000F6gHi,0055e00000F6gHiAAB,\
                 Account,40000,192.0.2.130\n"
            )
        })
        .collect();
    fs::write(logs.join("2025-06-10_API.csv"), format!("{api_header}{api_rows}")).unwrap();
    let login = "EVENT_TYPE,TIMESTAMP_DERIVED,REQUEST_ID,USER_ID,USER_ID_DERIVED,USER_NAME,\
                 LOGIN_STATUS,SOURCE_IP\n\
                 Login,2025-06-10T01:59:00.000Z,req-login,0055e00000F6gHi,0055e00000F6gHiAAB,\
                 etl.sync@example.com,LOGIN_NO_ERROR,192.0.2.130\n";
    let login_file = logs.join("2025-06-10_Login.csv");
    fs::write(&login_file, login).unwrap();

    let rule = root.join("rules/unc6040/unc6040_sf_bulk_exfiltration_non_integration_user.yaral");
    let hunt = || {
        let output = dragnet(&[
            "hunt",
            "--output",
            "jsonl",
            "--rules",
            rule.to_str().unwrap(),
            "--lists",
            lists.to_str().unwrap(),
            logs.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        stdout_detections(&output)
    };
    assert_eq!(hunt(), Vec::<Value>::new(), "the integration user is known by name");

    // Without the Login file the user is known only by id, which is not on the list.
    fs::remove_file(&login_file).unwrap();
    let detections = hunt();
    assert_eq!(detections.len(), 1, "{detections:?}");
    assert_eq!(detections[0]["match"]["user"], "0055e00000F6gHiAAB");
}

#[test]
fn graph_user_names_independent_of_file_order() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = temp_dir("graph-order");
    let lists = dir.join("lists");
    fs::create_dir_all(&lists).unwrap();
    fs::write(lists.join("ENTERPRISE_EGRESS_CIDRS.cidr"), "198.51.100.0/26\n").unwrap();
    // The Graph activity file sorts before the sign-in file, and only the sign-in pairs the
    // object id with the user principal name.
    let logs = dir.join("logs");
    fs::create_dir_all(&logs).unwrap();
    let object_id = "6f1c2d9e-4b7a-4c1e-9a55-2f0c8d3b7e11";
    let graph = json!({
        "time": "2025-09-02T13:50:02Z",
        "category": "MicrosoftGraphActivityLogs",
        "properties": {
            "requestId": "graph-1",
            "requestUri": "https://graph.microsoft.com/v1.0/me/messages?$top=999",
            "requestMethod": "GET",
            "responseStatusCode": 200,
            "userId": object_id,
            "ipAddress": "203.0.113.20"
        }
    });
    fs::write(logs.join("MicrosoftGraphActivityLogs.json"), format!("{graph}\n")).unwrap();
    let sign_in = json!({
        "id": "signin-1",
        "createdDateTime": "2025-09-02T13:42:10Z",
        "userPrincipalName": "alice.chen@northwind.example",
        "userId": object_id,
        "ipAddress": "203.0.113.20",
        "status": {"errorCode": 0}
    });
    fs::write(logs.join("SigninLogs.json"), format!("{sign_in}\n")).unwrap();

    let rule = root.join("rules/unc6040/m365_graph_data_pull_after_risky_login.yaral");
    let output = dragnet(&[
        "hunt",
        "--output",
        "jsonl",
        "--rules",
        rule.to_str().unwrap(),
        "--lists",
        lists.to_str().unwrap(),
        logs.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let detections = stdout_detections(&output);
    assert_eq!(detections.len(), 1, "{detections:?}");
    assert_eq!(detections[0]["match"]["acct"], "alice.chen@northwind.example");
}

/// Hunts `logs` with the pre-pass logging at debug level, and returns the number of records
/// that the pre-pass read, from its log line.
fn pre_pass_rows(logs: &std::path::Path) -> usize {
    let output = dragnet(&[
        "--log",
        "dragnet::prelearn=debug",
        "hunt",
        "--output",
        "jsonl",
        logs.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let line = stderr
        .lines()
        .find(|line| line.contains("before the run"))
        .unwrap_or_else(|| panic!("no pre-pass log line in {stderr}"));
    let rows = line.split_once("rows=").expect("the log line has a rows field").1;
    let digits: String = rows.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

fn write_sign_in_and_audit(logs: &std::path::Path, object_id: &str) {
    let sign_in = json!({
        "id": "signin-1",
        "createdDateTime": "2025-09-02T13:42:10Z",
        "userPrincipalName": "Alice.Chen@Northwind.example",
        "userId": object_id,
        "ipAddress": "203.0.113.20",
        "status": {"errorCode": 0}
    });
    fs::write(logs.join("SigninLogs.json"), format!("{sign_in}\n")).unwrap();
    let audit = json!({
        "CreationTime": "2025-09-02T13:42:12",
        "Id": "audit-1",
        "Operation": "UserLoggedIn",
        "UserId": "alice.chen@northwind.example",
        "UserKey": object_id
    });
    fs::write(logs.join("AuditLog.json"), format!("{audit}\n")).unwrap();
}

#[test]
fn pre_pass_skipped_without_graph() {
    let dir = temp_dir("pre-pass-skipped");
    let logs = dir.join("logs");
    fs::create_dir_all(&logs).unwrap();
    write_sign_in_and_audit(&logs, "6f1c2d9e-4b7a-4c1e-9a55-2f0c8d3b7e11");

    assert_eq!(pre_pass_rows(&logs), 0);
}

#[test]
fn pre_pass_reads_sign_ins_for_graph() {
    let dir = temp_dir("pre-pass-graph");
    let logs = dir.join("logs");
    fs::create_dir_all(&logs).unwrap();
    let object_id = "6f1c2d9e-4b7a-4c1e-9a55-2f0c8d3b7e11";
    write_sign_in_and_audit(&logs, object_id);
    let graph = json!({
        "time": "2025-09-02T13:50:02Z",
        "category": "MicrosoftGraphActivityLogs",
        "properties": {
            "requestId": "graph-1",
            "requestUri": "https://graph.microsoft.com/v1.0/me/messages",
            "requestMethod": "GET",
            "userId": object_id
        }
    });
    fs::write(logs.join("MicrosoftGraphActivityLogs.json"), format!("{graph}\n")).unwrap();

    // The sign-in and the audit record; the Graph record itself is not read twice.
    assert_eq!(pre_pass_rows(&logs), 2);
}

/// Runs dragnet like [`dragnet`], but kills it after `limit` and returns `None` then, so
/// that a hunt that blocks fails its test instead of hanging it.
fn dragnet_within(args: &[&str], limit: std::time::Duration) -> Option<Output> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dragnet"))
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the dragnet binary runs");
    // The pipes are drained on their own threads, so a full pipe cannot block the child.
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let stdout = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut bytes).map(|_| bytes)
    });
    let stderr = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut bytes).map(|_| bytes)
    });
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for dragnet") {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let stdout = stdout.join().expect("stdout thread").unwrap_or_default();
    let stderr = stderr.join().expect("stderr thread").unwrap_or_default();
    Some(Output { status: status?, stdout, stderr })
}

#[cfg(unix)]
fn make_fifo(path: &std::path::Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

const PROXY_EVENT: &str = r#"{"metadata":{"event_timestamp":"2025-06-10T14:15:07Z","event_type":"NETWORK_HTTP","product_log_id":"proxy-1"},"target":{"ip":["192.0.2.45"]}}"#;

#[cfg(unix)]
#[test]
fn folder_hunt_skips_fifos_and_devices() {
    let dir = temp_dir("special-files");
    let logs = dir.join("logs");
    fs::create_dir_all(&logs).unwrap();
    fs::write(logs.join("good.jsonl"), format!("{PROXY_EVENT}\n")).unwrap();
    make_fifo(&logs.join("named.pipe"));
    std::os::unix::fs::symlink("/dev/zero", logs.join("zero.log")).unwrap();
    let args = ["hunt", "--output", "jsonl", logs.to_str().unwrap()];
    let output = dragnet_within(&args, std::time::Duration::from_secs(30))
        .expect("the hunt finishes without reading the FIFO or /dev/zero");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("inputs: 1 read, 1 records"), "{stderr}");
    for name in ["named.pipe", "zero.log"] {
        let warning = format!("{} is not a regular file", logs.join(name).display());
        assert!(stderr.contains(&warning), "no warning for {name}: {stderr}");
    }
}

#[cfg(unix)]
#[test]
fn named_fifo_is_read_once() {
    let dir = temp_dir("fifo");
    let fifo = dir.join("events.pipe");
    make_fifo(&fifo);
    let lists = dir.join("lists");
    fs::create_dir_all(&lists).unwrap();
    fs::write(lists.join("UNC6040_IOC_LIST.txt"), "192.0.2.45\n").unwrap();
    let writer = {
        let fifo = fifo.clone();
        // Opening a FIFO to write blocks until a reader opens it. The result is ignored,
        // because a hunt that reads too little makes the write fail, and the asserts below
        // report that.
        std::thread::spawn(move || {
            let _ = fs::OpenOptions::new()
                .write(true)
                .open(&fifo)
                .and_then(|mut pipe| std::io::Write::write_all(&mut pipe, PROXY_EVENT.as_bytes()));
        })
    };
    let args =
        ["hunt", "--output", "jsonl", "--lists", lists.to_str().unwrap(), fifo.to_str().unwrap()];
    let output = dragnet_within(&args, std::time::Duration::from_secs(30));
    if output.is_none() && !writer.is_finished() {
        // Let a writer that still waits for a reader finish, so that the test ends. On Linux,
        // opening a FIFO to read and write does not wait for the other end.
        let _ = fs::OpenOptions::new().read(true).write(true).open(&fifo);
    }
    writer.join().expect("writer thread");
    let output = output.expect("the hunt opens the FIFO once and finishes");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("inputs: 1 read, 1 records"), "{stderr}");
    let detections = stdout_detections(&output);
    assert_eq!(detections.len(), 1, "{stderr}");
    assert_eq!(essence(&detections[0])["events"]["e"], json!(["proxy-1"]));
}

/// Compresses `text` with gzip.
fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut encoder, text.as_bytes()).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn truncated_input_fails_strict_hunt() {
    let dir = temp_dir("truncated");
    let text: String = (0..20_000)
        .map(|i| format!("{}\n", PROXY_EVENT.replace("proxy-1", &format!("proxy-{i}"))))
        .collect();
    let compressed = gzip(&text);
    let logs = dir.join("cut.jsonl.gz");
    fs::write(&logs, &compressed[..compressed.len() / 2]).unwrap();
    let path = logs.to_str().unwrap();

    let lenient = dragnet(&["hunt", "--output", "jsonl", path]);
    let stderr = String::from_utf8_lossy(&lenient.stderr);
    assert_eq!(lenient.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("inputs: 0 read in full, 1 stopped early,"), "{stderr}");

    let strict = dragnet(&["hunt", "--strict", "--output", "jsonl", path]);
    let stderr = String::from_utf8_lossy(&strict.stderr);
    assert_eq!(strict.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("reading stopped early in 1 inputs"), "{stderr}");
}

#[test]
fn unreadable_input_fails_hunt() {
    let dir = temp_dir("unreadable");
    let good = dir.join("good.jsonl");
    fs::write(&good, format!("{PROXY_EVENT}\n")).unwrap();
    // A gzip header and nothing after it.
    let broken = dir.join("broken.jsonl.gz");
    fs::write(&broken, &gzip(PROXY_EVENT)[..10]).unwrap();
    let args = [broken.to_str().unwrap(), good.to_str().unwrap()];

    for strict in [false, true] {
        let mut hunt = vec!["hunt", "--output", "jsonl"];
        if strict {
            hunt.push("--strict");
        }
        hunt.extend(args);
        let output = dragnet(&hunt);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "strict {strict}: {stderr}");
        assert!(stderr.contains("inputs: 1 read in full, 1 not read,"), "{stderr}");
        assert!(stderr.contains("1 of 2 inputs could not be read"), "{stderr}");
    }
    let parse = dragnet(&["parse", args[0], args[1]]);
    let stderr = String::from_utf8_lossy(&parse.stderr);
    assert_eq!(parse.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("1 of 2 inputs could not be read"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&parse.stdout).lines().count(), 1);
}

#[test]
fn table_escapes_control_characters() {
    let dir = temp_dir("table-escapes");
    let rule = dir.join("failed_login.yaral");
    fs::write(
        &rule,
        r#"rule failed_login {
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $e.principal.user.userid = $user
  match:
    $user over 1h
  condition:
    $e
}
"#,
    )
    .unwrap();
    let userid = r#"ab\u001b]0;PWN\u0007\u001b[2J"#;
    let login = format!(
        r#"{{"metadata":{{"event_timestamp":"2025-06-10T14:15:07Z","event_type":"USER_LOGIN","product_log_id":"login-1"}},"principal":{{"user":{{"userid":"{userid}"}}}}}}"#
    );
    // A record of no known source, whose warning quotes its keys.
    let unknown = r#"{"\u001b[2Jkey":1}"#;
    let logs = dir.join("logins.jsonl");
    fs::write(&logs, format!("{login}\n{unknown}\n")).unwrap();

    let output = dragnet(&[
        "hunt",
        "--output",
        "table",
        "--rules",
        rule.to_str().unwrap(),
        logs.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains(r"user=ab\u{1b}]0;PWN\u{7}\u{1b}[2J"), "{stdout}");
    let is_escape = |c: char| c.is_control() && c != '\n';
    assert!(!stdout.contains(is_escape), "stdout: {stdout:?}");
    assert!(stderr.contains(r"(keys: \u{1b}[2Jkey)"), "{stderr}");
    assert!(!stderr.contains(is_escape), "stderr: {stderr:?}");
}

#[test]
fn join_past_tuple_cap_is_reported() {
    let dir = temp_dir("tuple-cap");
    // Every failure pairs with every success of another user: 600 by 400 combinations in one
    // window, past the 200,000 the engine keeps.
    let rule = dir.join("other_user.yaral");
    fs::write(
        &rule,
        r#"rule other_user {
  events:
    $fail.security_result.action = "BLOCK"
    $fail.principal.ip = $ip
    $ok.security_result.action = "ALLOW"
    $ok.principal.ip = $ip
    $fail.target.user.userid != $ok.target.user.userid
  match:
    $ip over 10m
  condition:
    $fail and $ok
}
"#,
    )
    .unwrap();
    let logs = dir.join("spray.jsonl");
    let lines: Vec<String> = (0..1_000)
        .map(|i| {
            let action = if i % 5 < 3 { "BLOCK" } else { "ALLOW" };
            json!({
                "metadata": {"event_timestamp": format!("2025-01-01T00:00:{:02}.{:03}Z", i / 100, i % 100 * 10),
                             "event_type": "USER_LOGIN", "product_log_id": format!("e{i}")},
                "principal": {"ip": ["198.51.100.7"]},
                "target": {"user": {"userid": format!("u{i}")}},
                "security_result": [{"action": [action]}],
            })
            .to_string()
        })
        .collect();
    fs::write(&logs, lines.join("\n")).unwrap();
    let (rule, logs) = (rule.to_str().unwrap(), logs.to_str().unwrap());
    let lenient = dragnet(&["hunt", "--output", "jsonl", "--rules", rule, logs]);
    assert_eq!(lenient.status.code(), Some(0));
    let summary = String::from_utf8_lossy(&lenient.stderr);
    assert!(
        summary.contains("incomplete: rule other_user joined more event combinations"),
        "{summary}"
    );
    let strict = dragnet(&["hunt", "--strict", "--output", "jsonl", "--rules", rule, logs]);
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn unknown_format_lists_every_choice() {
    let output = dragnet(&["hunt", "--format", "json"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid --format \"json\""), "stderr: {stderr}");
    assert!(stderr.contains("graph, or parquet"), "stderr: {stderr}");
    assert!(stderr.contains("recognised from the input itself"), "stderr: {stderr}");
}

/// Without the `parquet` feature, `--format parquet` is one argument error, not a claim that
/// every JSON input is a Parquet file.
#[cfg(not(feature = "parquet"))]
#[test]
fn forced_parquet_without_feature_exits_2() {
    let output = dragnet(&["hunt", "--format", "parquet", "examples/logs"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--format parquet needs Parquet support"), "stderr: {stderr}");
    assert!(stderr.contains("--features parquet"), "stderr: {stderr}");
    assert!(!stderr.contains("is a Parquet file"), "stderr: {stderr}");
}

#[test]
fn lists_file_instead_of_folder_exits_2() {
    let dir = temp_dir("lists-file");
    let list = dir.join("VPN_TOR_ASNS.txt");
    fs::write(&list, "64500\n").unwrap();
    let output = dragnet(&["hunt", "--lists", list.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--lists takes a folder"), "stderr: {stderr}");
    assert!(stderr.contains(&list.display().to_string()), "stderr: {stderr}");
}

#[test]
fn missing_lists_folder_is_not_found() {
    let dir = temp_dir("lists-missing");
    let missing = dir.join("my-lists");
    let output = dragnet(&["hunt", "--lists", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("lists folder not found"), "stderr: {stderr}");
}

#[test]
fn lists_folder_warns_about_other_files() {
    let dir = temp_dir("lists-extensions");
    fs::write(dir.join("VPN_TOR_ASNS.csv"), "64500\n").unwrap();
    fs::write(dir.join("KNOWN_INTEGRATION_USERS.txt"), "etl@example.com\n").unwrap();
    fs::write(dir.join("README.md"), "notes\n").unwrap();
    fs::write(dir.join(".hidden"), "").unwrap();
    let output = dragnet(&["hunt", "--output", "jsonl", "--lists", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let warnings: Vec<&str> =
        stderr.lines().filter(|line| line.contains("is not loaded as a reference list")).collect();
    assert_eq!(warnings.len(), 1, "stderr: {stderr}");
    assert!(warnings[0].contains("VPN_TOR_ASNS.csv"), "stderr: {stderr}");
    assert!(warnings[0].contains("NAME.txt (strings), NAME.regex or NAME.cidr"), "{stderr}");
}
