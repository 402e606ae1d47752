//! `dragnet hunt` on several threads must print what it prints on one: the same detections,
//! in the same order, with the same ids, and the same summary.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

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

/// The detections of a run, without `detected_at`, which is the wall-clock time.
fn detections(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let mut detection: Value =
                serde_json::from_str(line).expect("every output line is a JSON detection");
            if let Some(object) = detection.as_object_mut() {
                object.remove("detected_at");
            }
            detection
        })
        .collect()
}

/// The summary on stderr, without the elapsed time.
fn summary(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| !line.trim_start().starts_with("time:"))
        .map(str::to_owned)
        .collect()
}

/// Runs a hunt on one thread and on `threads`, and returns the detections after checking
/// that both runs printed the same.
fn compare_threads(args: &[&str], threads: &str, what: &str) -> Vec<Value> {
    let one = dragnet(&[&["hunt", "--output", "jsonl", "--threads", "1"], args].concat());
    let many = dragnet(&[&["hunt", "--output", "jsonl", "--threads", threads], args].concat());
    assert_eq!(one.status.code(), many.status.code(), "{what}: exit status");
    let found = detections(&one);
    assert_eq!(found, detections(&many), "{what}: detections");
    assert_eq!(summary(&one), summary(&many), "{what}: summary");
    found
}

#[test]
fn demo_hunt_same_on_four_threads() {
    let found = compare_threads(&[], "4", "demo");
    assert!(!found.is_empty(), "the demo hunt finds detections");
}

/// The engine's conformance cases that have events, each as a hunt over its own events.
fn conformance_cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/conformance");
    let mut cases: Vec<PathBuf> = fs::read_dir(&root)
        .expect("the conformance suite is readable")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|dir| dir.join("events.jsonl").is_file() && dir.join("rule.yaral").is_file())
        .collect();
    cases.sort();
    cases
}

#[test]
fn conformance_cases_same_on_four_threads() {
    let cases = conformance_cases();
    assert!(cases.len() > 100, "found only {} conformance cases", cases.len());
    let mut total = 0;
    for case in cases {
        let rule = case.join("rule.yaral");
        let events = case.join("events.jsonl");
        let lists = case.join("lists");
        let mut args = vec!["--rules", rule.to_str().expect("UTF-8 path")];
        if lists.is_dir() {
            args.extend(["--lists", lists.to_str().expect("UTF-8 path")]);
        }
        args.push(events.to_str().expect("UTF-8 path"));
        let what = case.display().to_string();
        let found = compare_threads(&args, "4", &what);
        // Reading each line with only the fields the rules use, and the whole line only for
        // the events that detections show, must find what reading every line in full finds.
        for when in ["always", "never"] {
            let run = dragnet(
                &[&["hunt", "--output", "jsonl", "--projected-read", when], &args[..]].concat(),
            );
            assert_eq!(detections(&run), found, "{what}: --projected-read {when}");
        }
        total += found.len();
    }
    assert!(total > 100, "the cases gave only {total} detections");
}

/// All the conformance rules without reference lists in one hunt over all their events in
/// time order, so that the hunt streams the events and splits the rules, and each event's
/// rows, across engines.
#[test]
fn streamed_rule_set_same_on_six_threads() {
    let dir = std::env::temp_dir().join(format!("dragnet-together-{}", std::process::id()));
    let rules = dir.join("rules");
    fs::create_dir_all(&rules).expect("temp dir is writable");

    let mut events: Vec<(i64, String)> = Vec::new();
    for case in conformance_cases() {
        let compile_error = fs::read_to_string(case.join("case.toml"))
            .is_ok_and(|text| text.contains("compile_error"));
        if case.join("lists").is_dir() || compile_error {
            continue;
        }

        let name = case.file_name().and_then(|n| n.to_str()).expect("UTF-8 case name");
        fs::copy(case.join("rule.yaral"), rules.join(format!("{name}.yaral")))
            .expect("the rule copies");
        let text = fs::read_to_string(case.join("events.jsonl")).expect("events are readable");
        for line in text.lines().filter(|line| !line.trim().is_empty()) {
            let event: Value = serde_json::from_str(line).expect("events are JSON");
            let metadata = &event["metadata"];
            let time = metadata["event_timestamp"]
                .as_str()
                .or_else(|| metadata["eventTimestamp"].as_str())
                .unwrap_or("");
            let time = chrono::DateTime::parse_from_rfc3339(time)
                .ok()
                .and_then(|time| time.timestamp_nanos_opt())
                .unwrap_or(0);
            events.push((time, line.to_owned()));
        }
    }
    // The hunt streams events that come in time order, rather than sorting them. The stable
    // sort keeps the order of a case's events at the same time.
    events.sort_by_key(|(time, _)| *time);

    let input = dir.join("events.jsonl");
    let text: String = events.iter().map(|(_, line)| format!("{line}\n")).collect();
    fs::write(&input, text).expect("the events write");

    // Some cases' events have no event type, which only `--format udm` reads as UDM.
    let args = [
        "--format",
        "udm",
        "--rules",
        rules.to_str().expect("UTF-8 path"),
        input.to_str().expect("UTF-8 path"),
    ];
    // Six threads run three engines, since the streamed hunt gives the engines half as many.
    let found = compare_threads(&args, "6", "conformance rules together");
    let _ = fs::remove_dir_all(&dir);
    assert!(found.len() > 100, "the rules together gave only {} detections", found.len());
}

/// Runs `dragnet hunt` with `input` on standard input, which a hunt always sorts.
fn dragnet_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dragnet"))
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the dragnet binary runs");
    child.stdin.take().expect("stdin is piped").write_all(input).expect("stdin is writable");
    child.wait_with_output().expect("the dragnet binary finishes")
}

#[test]
fn unsorted_file_reported_once_and_sorted() {
    let dir = std::env::temp_dir().join(format!("dragnet-unsorted-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("temp dir is writable");
    let rule = dir.join("rule.yaral");
    fs::write(
        &rule,
        "rule logins_per_user {\n  events:\n    $e.metadata.event_type = \"USER_LOGIN\"\n    \
         $user = $e.principal.user.userid\n  match:\n    $user over 10m\n  outcome:\n    \
         $first = array($e.metadata.product_log_id)\n  condition:\n    #e >= 2\n}\n",
    )
    .expect("rule written");
    let event = |id: &str, time: &str| {
        format!(
            r#"{{"metadata":{{"eventTimestamp":"2025-06-10T10:{time}Z","eventType":"USER_LOGIN","productLogId":"{id}"}},"principal":{{"user":{{"userid":"alice"}}}}}}"#
        )
    };
    // The third event is older than the second, so the streamed attempt stops there and the
    // hunt sorts. The bad line before it must still be reported once.
    let text =
        [event("a", "00:05"), "{not json".to_owned(), event("b", "02:00"), event("c", "01:00")]
            .join("\n")
            + "\n";
    let logs = dir.join("logs.jsonl");
    fs::write(&logs, &text).expect("logs written");
    let rule = rule.to_str().expect("UTF-8 path");
    let from_file =
        dragnet(&["hunt", "--output", "jsonl", "--rules", rule, logs.to_str().expect("UTF-8")]);
    let from_stdin =
        dragnet_stdin(&["hunt", "--output", "jsonl", "--rules", rule, "-"], text.as_bytes());
    let found = detections(&from_file);
    assert_eq!(found.len(), 1, "{}", String::from_utf8_lossy(&from_file.stderr));
    assert_eq!(found, detections(&from_stdin));
    let stderr = String::from_utf8_lossy(&from_file.stderr);
    assert_eq!(stderr.matches("record skipped").count(), 1, "{stderr}");
    assert!(stderr.contains("4 records, 1 rejected, 3 events"), "{stderr}");
    let _ = fs::remove_dir_all(&dir);
}

/// Events read with only the fields the rules use get only the `ip_geo_artifact` fields the
/// rules read, on only the nouns whose artifacts they read. Their detections must be those of
/// events read and enriched in full.
#[test]
fn projected_enrichment_same_as_whole() {
    let dir = TestDir::new("dragnet-geo-");
    let rules = dir.join("rules");
    fs::create_dir_all(&rules).expect("temp dir is writable");
    fs::write(
        rules.join("target_org.yaral"),
        r#"rule target_org {
  events:
    $e.metadata.event_type = "NETWORK_CONNECTION"
    $e.target.ip_geo_artifact.network.organization_name = /VPN/
  outcome:
    $countries = array_distinct($e.target.ip_geo_artifact.location.country_or_region)
    $asns = array_distinct($e.target.ip_geo_artifact.network.asn)
  condition:
    $e
}
"#,
    )
    .expect("rule written");
    fs::write(
        rules.join("principal_asn.yaral"),
        r#"rule principal_asn {
  events:
    $e.metadata.event_type = "NETWORK_CONNECTION"
    $e.principal.ip_geo_artifact.network.asn = "64496"
  outcome:
    $ips = array_distinct($e.principal.ip_geo_artifact.ip)
    $artifacts = count($e.principal.ip_geo_artifact.network.asn)
  condition:
    $e
}
"#,
    )
    .expect("rule written");
    let event = |id: &str, second: u32, principal: Value, target: Value| {
        serde_json::json!({
            "metadata": {"event_timestamp": format!("2025-06-10T00:00:{second:02}Z"),
                "event_type": "NETWORK_CONNECTION", "product_log_id": id},
            "principal": principal,
            "target": target,
        })
        .to_string()
    };
    let target = |ip: &str| serde_json::json!({"ip": [ip], "hostname": "h"});
    let lines = [
        event("plain", 1, serde_json::json!({"ip": ["198.51.100.7"]}), target("203.0.113.5")),
        // The records name their own artifacts for some addresses: enrichment adds none for
        // those, although no rule reads the artifacts' own `ip`.
        event(
            "has-artifact",
            2,
            serde_json::json!({"ip": ["198.51.100.8", "2001:db8::1"], "ip_geo_artifact":
                [{"ip": "198.51.100.8", "network": {"asn": "64496"}}]}),
            target("192.0.2.9"),
        ),
        event(
            "asset",
            3,
            serde_json::json!({"asset": {"ip": ["198.51.100.9"]}}),
            serde_json::json!({"ip": ["203.0.113.6"], "ip_geo_artifact": [{"ip": "203.0.113.6",
                "network": {"organization_name": "OTHER-VPN"}}]}),
        ),
    ];
    let events = dir.join("events.jsonl");
    fs::write(&events, lines.join("\n") + "\n").expect("events written");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let asn = examples.join("asn.tsv");
    let args = [
        "--rules",
        rules.to_str().expect("UTF-8 path"),
        "--asn-db",
        asn.to_str().expect("UTF-8 path"),
        events.to_str().expect("UTF-8 path"),
    ];
    let whole =
        dragnet(&[&["hunt", "--output", "jsonl", "--projected-read", "never"], &args[..]].concat());
    let found = detections(&whole);
    let rules_found: Vec<&str> =
        found.iter().filter_map(|d| d.pointer("/rule/name")?.as_str()).collect();
    assert_eq!(rules_found.iter().filter(|r| **r == "target_org").count(), 2, "{found:?}");
    assert_eq!(rules_found.iter().filter(|r| **r == "principal_asn").count(), 3, "{found:?}");
    for threads in ["1", "2"] {
        let projected = dragnet(
            &[
                &["hunt", "--output", "jsonl", "--projected-read", "always", "--threads", threads],
                &args[..],
            ]
            .concat(),
        );
        assert_eq!(detections(&projected), found, "{threads} threads");
    }
}
