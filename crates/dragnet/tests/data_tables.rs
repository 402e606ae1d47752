//! `dragnet hunt --data-tables`: rules that test and join `%table.column`, run by the real
//! binary over CSV tables.

use std::fs;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

#[path = "common/cli.rs"]
mod cli;
#[path = "common/test_dir.rs"]
mod test_dir;
use cli::{dragnet, hunt_with, write};
use test_dir::TestDir;

/// Runs `dragnet hunt` over `events` with the rules and the data-table folder, printing JSON
/// lines.
fn hunt(rules: &Path, tables: &Path, events: &Path) -> Output {
    hunt_with(rules, "--data-tables", tables, events)
}

const RULES: &str = r#"rule vpn_login {
  meta:
    severity = "Low"
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $e.principal.ip in %exits.range
  condition:
    $e
}

rule vip_login_outside_office {
  meta:
    severity = "High"
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $e.target.user.userid = $user
    $user = %vips.userid
    not net.ip_in_range_cidr($e.principal.ip, %vips.office)
  match:
    $user over 1h
  outcome:
    $department = array_distinct(%vips.department)
  condition:
    $e
}
"#;

const EVENTS: &str = r#"{"metadata":{"eventTimestamp":"2025-06-10T10:00:00Z","eventType":"USER_LOGIN","productLogId":"vpn"},"principal":{"ip":["203.0.113.5"]},"target":{"user":{"userid":"carol"}}}
{"metadata":{"eventTimestamp":"2025-06-10T10:01:00Z","eventType":"USER_LOGIN","productLogId":"office"},"principal":{"ip":["10.1.2.3"]},"target":{"user":{"userid":"alice"}}}
{"metadata":{"eventTimestamp":"2025-06-10T10:02:00Z","eventType":"USER_LOGIN","productLogId":"home"},"principal":{"ip":["192.0.2.9"]},"target":{"user":{"userid":"alice"}}}
"#;

/// Rule name, match values, outcome and event ids of each detection, sorted.
fn detections(output: &Output) -> Vec<String> {
    let mut out: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let d: Value = serde_json::from_str(line).expect("a JSON detection per line");
            let ids: Vec<&str> = d["events"]["e"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e.pointer("/metadata/product_log_id").and_then(Value::as_str))
                .collect();
            let department = &d["outcome"]["department"];
            format!("{} {} {department} {}", d["rule"]["name"], d["match"], ids.join(","))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn hunt_tests_and_joins_data_tables() {
    let dir = TestDir::new("dragnet-test-tables-");
    let rules = write(&dir, "rules.yaral", RULES);
    let events = write(&dir, "events.jsonl", EVENTS);
    write(&dir, "tables/exits.csv", "range:cidr,provider\n203.0.113.0/24,ExampleVPN\n");
    write(
        &dir,
        "tables/vips.csv",
        "userid,department,office:cidr\nalice,Finance,10.1.0.0/16\nbob,Sales\n",
    );
    let tables = dir.join("tables");
    let output = hunt(&rules, &tables, &events);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        detections(&output),
        [
            r#""vip_login_outside_office" {"user":"alice"} ["Finance"] home"#,
            r#""vpn_login" {} null vpn"#,
        ],
        "{stderr}"
    );
    // The row of bob has two cells where the header names three columns.
    assert!(stderr.contains("vips.csv:3: row skipped"), "{stderr}");
}

#[test]
fn missing_table_rejects_only_its_rule() {
    let dir = TestDir::new("dragnet-test-tables-missing-");
    let rules = write(&dir, "rules.yaral", RULES);
    let events = write(&dir, "events.jsonl", EVENTS);
    write(&dir, "tables/exits.csv", "range:cidr\n203.0.113.0/24\n");
    let tables = dir.join("tables");
    let output = hunt(&rules, &tables, &events);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("data table `%vips` not found"), "{stderr}");
    assert_eq!(detections(&output), [r#""vpn_login" {} null vpn"#], "{stderr}");

    let file = dir.join("tables/exits.csv");
    let output = dragnet(&[
        "hunt",
        "--rules",
        rules.to_str().unwrap(),
        "--data-tables",
        file.to_str().unwrap(),
        events.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not a folder"), "{stderr}");
}

#[test]
fn check_runs_table_rules_without_tables() {
    let dir = TestDir::new("dragnet-test-tables-check-");
    let rules = write(&dir, "rules.yaral", RULES);
    let output = dragnet(&["check", rules.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn table_problems_name_file_and_line() {
    let dir = TestDir::new("dragnet-test-tables-problems-");
    let rules = write(&dir, "rules.yaral", RULES);
    let events = write(&dir, "events.jsonl", EVENTS);
    write(&dir, "tables/exits.csv", "range:cidr,provider\n203.0.113.0/24,ExampleVPN\n");
    // A quoted cell over two lines with a `""` escape, CRLF line ends, then a short row.
    write(
        &dir,
        "tables/assets.csv",
        "host,note\r\ndb-01,\"says \"\"hi\"\"\r\ntwice\"\r\nshort\r\n",
    );
    write(
        &dir,
        "tables/nets.csv",
        "range:cidr,pattern:regex,limit:number\n\
         10.0.0.0/33,^ok$,1\n\
         10.0.0.0/8,(open,2\n\
         10.1.0.0/16,^ok$,many\n",
    );
    write(&dir, "tables/open.csv", "user,dept\nalice,Finance\nbob,\"Sales\ncarol,Ops\n");
    fs::write(dir.join("tables/bytes.csv"), b"user\nal\xffice\n").unwrap();
    write(&dir, "tables/Dup.csv", "user\nalice\n");
    write(&dir, "tables/dup.csv", "user\nbob\n");

    let tables = dir.join("tables");
    let output = hunt(&rules, &tables, &events);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");

    let expected = [
        "assets.csv:4: row skipped: 1 cells where the header names 2 columns",
        "nets.csv:2: invalid cell in column \"range\": invalid CIDR range \"10.0.0.0/33\"",
        "nets.csv:3: invalid cell in column \"pattern\": invalid regular expression \"(open\"",
        "nets.csv:4: invalid cell in column \"limit\": \"many\" is not a number",
        "open.csv:3: row skipped: the quoted cell that starts on line 3 is not closed",
        "bytes.csv:2: invalid UTF-8",
        "dup.csv: skipped, because",
    ];
    for message in expected {
        assert!(stderr.contains(message), "missing {message:?} in:\n{stderr}");
    }
}

#[test]
fn check_ignores_table_name_case() {
    let dir = TestDir::new("dragnet-test-tables-check-case-");
    let rule = RULES.replace("$user = %vips.userid", "$user = %VIPS.userid");
    let rules = write(&dir, "rules.yaral", &rule);
    let output = dragnet(&["check", rules.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn regex_test_on_string_column_reports_patterns() {
    let dir = TestDir::new("dragnet-test-tables-regex-");
    let rules = write(
        &dir,
        "rules.yaral",
        r#"rule host_pattern {
  meta:
    severity = "Low"
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $e.target.hostname in regex %hosts.name
  condition:
    $e
}
"#,
    );
    let events = write(&dir, "events.jsonl", EVENTS);
    write(&dir, "tables/hosts.csv", "name,owner\n^db-,alice\n(open,bob\n");
    let tables = dir.join("tables");
    let output = hunt(&rules, &tables, &events);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("hosts.csv:3: invalid regular expression \"(open\""), "{stderr}");
}

#[test]
fn check_leaves_stand_in_columns_untyped() {
    let dir = TestDir::new("dragnet-test-tables-check-types-");
    let rules = write(
        &dir,
        "rules.yaral",
        r#"rule service_port {
  meta:
    severity = "Low"
  events:
    $e.metadata.event_type = "NETWORK_CONNECTION"
    $e.target.port = $port
    $port = %services.port
  match:
    $port over 10m
  condition:
    $e
}
"#,
    );
    let output = dragnet(&["check", rules.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
}
