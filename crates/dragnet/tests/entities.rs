//! `dragnet hunt --entities`: rules with `$e.graph.` fields over entity records loaded from
//! files, run by the real binary.

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

/// The rule name, match values and sample ids (event `product_log_id`, entity
/// `product_entity_id`) of each detection printed, sorted.
fn detections(output: &Output) -> Vec<String> {
    let mut out: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let detection: Value = serde_json::from_str(line).expect("a JSON detection per line");
            let mut samples = Vec::new();
            for (var, events) in detection["events"].as_object().into_iter().flatten() {
                for event in events.as_array().into_iter().flatten() {
                    let id = event
                        .pointer("/metadata/product_log_id")
                        .or_else(|| event.pointer("/metadata/product_entity_id"))
                        .and_then(Value::as_str)
                        .unwrap_or("?");
                    samples.push(format!("{var}={id}"));
                }
            }
            samples.sort();
            format!("{} {} {}", detection["rule"]["name"], detection["match"], samples.join(","))
        })
        .collect();
    out.sort();
    out
}

const RULE: &str = r#"rule known_bad_ip {
  meta:
    severity = "High"
  events:
    $net.metadata.event_type = "NETWORK_CONNECTION"
    $net.target.ip = $ip
    $ioc.graph.metadata.entity_type = "IP_ADDRESS"
    $ioc.graph.metadata.source_type = "ENTITY_CONTEXT"
    $ioc.graph.entity.ip = $ip
  match:
    $ip over 10m
  condition:
    $net and $ioc
}
"#;

const EVENTS: &str = r#"{"metadata":{"eventTimestamp":"2025-06-10T10:00:00Z","eventType":"NETWORK_CONNECTION","productLogId":"c1"},"target":{"ip":["203.0.113.66"]}}
{"metadata":{"eventTimestamp":"2025-06-10T10:00:00Z","eventType":"NETWORK_CONNECTION","productLogId":"c2"},"target":{"ip":["198.51.100.7"]}}
{"metadata":{"eventTimestamp":"2025-06-10T10:00:00Z","eventType":"NETWORK_CONNECTION","productLogId":"c3"},"target":{"ip":["192.0.2.1"]}}
"#;

/// Runs `dragnet hunt` over `events` with the rules and the entity records, printing JSON
/// lines.
fn hunt(rules: &Path, entities: &Path, events: &Path) -> Output {
    hunt_with(rules, "--entities", entities, events)
}

#[test]
fn hunt_joins_entity_records_and_skips_bad_ones() {
    let dir = TestDir::new("dragnet-test-entities-");
    let rule = write(&dir, "rule.yaral", RULE);
    let events = write(&dir, "events.jsonl", EVENTS);
    // A folder with one record per line, a bad line among them, and an import request body.
    write(
        &dir,
        "entities/misp.jsonl",
        concat!(
            r#"{"metadata":{"product_entity_id":"misp-1","entity_type":"IP_ADDRESS","source_type":"ENTITY_CONTEXT"},"entity":{"ip":["203.0.113.66"]}}"#,
            "\n{\"metadata\": \n",
            r#"{"metadata":{"entity_type":"NOT_A_TYPE"},"entity":{"ip":["192.0.2.1"]}}"#,
            "\n",
        ),
    );
    write(
        &dir,
        "entities/import.json",
        r#"{"inline_source":{"entities":[{"metadata":{"productEntityId":"feed-7","entityType":"IP_ADDRESS","sourceType":"ENTITY_CONTEXT"},"entity":{"ip":["198.51.100.7"]}}]}}"#,
    );
    let entities = dir.join("entities");
    let output = hunt(&rule, &entities, &events);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        detections(&output),
        [
            r#""known_bad_ip" {"ip":"198.51.100.7"} ioc=feed-7,net=c2"#,
            r#""known_bad_ip" {"ip":"203.0.113.66"} ioc=misp-1,net=c1"#,
        ],
        "{stderr}"
    );
    assert!(stderr.contains("misp.jsonl:2: entity record skipped"), "{stderr}");
    assert!(stderr.contains("misp.jsonl:3: entity record skipped"), "{stderr}");
    assert!(stderr.contains("NOT_A_TYPE"), "{stderr}");
}

#[test]
fn hunt_warns_when_no_entities_are_given() {
    let dir = TestDir::new("dragnet-test-no-entities-");
    let rule = write(&dir, "rule.yaral", RULE);
    let events = write(&dir, "events.jsonl", EVENTS);
    let args = ["hunt", "--no-progress", "--output", "jsonl", "--rules"];
    let output =
        dragnet(&[&args[..], &[rule.to_str().unwrap(), events.to_str().unwrap()]].concat());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(detections(&output).is_empty());
    assert!(stderr.contains("rule known_bad_ip reads entity records"), "{stderr}");

    let missing = dir.join("no-such-entities.jsonl");
    let output = dragnet(
        &[
            &args[..],
            &[rule.to_str().unwrap(), "--entities", missing.to_str().unwrap()],
            &[events.to_str().unwrap()],
        ]
        .concat(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no-such-entities.jsonl"), "{stderr}");
}

/// The threat-intelligence rules of the community corpus run unchanged over entity records.
#[test]
fn community_indicator_rules_match_entity_records() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../../shared/corpus/yaral/chronicle-detection-rules/rules/community/threat_intel",
    );
    if !dir.is_dir() {
        eprintln!("corpus not found at {}; skipping", dir.display());
        return;
    }
    let work = TestDir::new("dragnet-test-entities-corpus-");
    let events = write(
        &work,
        "events.jsonl",
        concat!(
            r#"{"metadata":{"eventTimestamp":"2025-06-10T10:00:00Z","eventType":"NETWORK_CONNECTION","productLogId":"to-misp"},"target":{"ip":["203.0.113.66"]},"securityResult":[{"action":["ALLOW"]}]}"#,
            "\n",
            r#"{"metadata":{"eventTimestamp":"2025-06-10T10:00:00Z","eventType":"NETWORK_CONNECTION","productLogId":"to-tor"},"target":{"ip":["192.0.2.77"]},"securityResult":[{"action":["ALLOW"]}]}"#,
            "\n",
            r#"{"metadata":{"eventTimestamp":"2025-06-10T10:00:00Z","eventType":"NETWORK_CONNECTION","productLogId":"to-private"},"target":{"ip":["192.168.1.20"]},"securityResult":[{"action":["ALLOW"]}]}"#,
            "\n",
        ),
    );
    let entities = write(
        &work,
        "entities.json",
        concat!(
            "[",
            r#"{"metadata":{"product_entity_id":"misp-ip","product_name":"MISP","entity_type":"IP_ADDRESS","source_type":"ENTITY_CONTEXT"},"entity":{"ip":["203.0.113.66"]}},"#,
            r#"{"metadata":{"product_entity_id":"misp-private","product_name":"MISP","entity_type":"IP_ADDRESS","source_type":"ENTITY_CONTEXT"},"entity":{"ip":["192.168.1.20"]}},"#,
            r#"{"metadata":{"product_entity_id":"tor-exit","product_name":"GCTI Feed","entity_type":"IP_ADDRESS","source_type":"GLOBAL_CONTEXT","threat":[{"threat_feed_name":"Tor Exit Nodes"}]},"entity":{"artifact":{"ip":"192.0.2.77"}}}"#,
            "]",
        ),
    );
    let output = dragnet(&[
        "hunt",
        "--no-progress",
        "--output",
        "jsonl",
        "--rules",
        dir.join("ioc_ip_target.yaral").to_str().unwrap(),
        "--rules",
        dir.join("gcti_tor_exit_nodes.yaral").to_str().unwrap(),
        "--entities",
        entities.to_str().unwrap(),
        events.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        detections(&output),
        [
            r#""gcti_tor_exit_nodes" {"ip":"192.0.2.77"} gcti_feed=tor-exit,network=to-tor"#,
            r#""ioc_ip_target" {"ip":"203.0.113.66"} ioc=misp-ip,network=to-misp"#,
        ],
        "{stderr}"
    );
}

/// `--from` and `--to` select detections by their earliest event. An entity record has no event
/// time, so a record valid since long before the range must not move a detection out of it.
#[test]
fn hunt_time_range_ignores_entity_records() {
    let dir = TestDir::new("dragnet-test-entities-range-");
    let rule = write(&dir, "rule.yaral", RULE);
    let events = write(&dir, "events.jsonl", EVENTS);
    let entities = write(
        &dir,
        "entities.jsonl",
        concat!(
            r#"{"metadata":{"product_entity_id":"misp-1","entity_type":"IP_ADDRESS","source_type":"ENTITY_CONTEXT","interval":{"start_time":"2020-01-01T00:00:00Z"}},"entity":{"ip":["203.0.113.66"]}}"#,
            "\n",
            r#"{"metadata":{"product_entity_id":"misp-2","entity_type":"IP_ADDRESS","source_type":"ENTITY_CONTEXT"},"entity":{"ip":["198.51.100.7"]}}"#,
            "\n",
        ),
    );
    let hunt = |range: &[&str]| {
        let mut args = vec!["hunt", "--no-progress", "--output", "jsonl", "--rules"];
        args.extend([rule.to_str().unwrap(), "--entities", entities.to_str().unwrap()]);
        args.extend_from_slice(range);
        args.push(events.to_str().unwrap());
        let output = dragnet(&args);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{stderr}");
        (detections(&output), stderr)
    };
    let both = [
        r#""known_bad_ip" {"ip":"198.51.100.7"} ioc=misp-2,net=c2"#,
        r#""known_bad_ip" {"ip":"203.0.113.66"} ioc=misp-1,net=c1"#,
    ];

    let (inside, stderr) =
        hunt(&["--from", "2025-06-10T09:00:00Z", "--to", "2025-06-10T11:00:00Z"]);
    assert_eq!(inside, both, "{stderr}");

    let (before, stderr) = hunt(&["--to", "2025-06-10T09:00:00Z"]);
    assert!(before.is_empty(), "{before:?} {stderr}");

    let (after, stderr) = hunt(&["--from", "2025-06-10T11:00:00Z"]);
    assert!(after.is_empty(), "{after:?} {stderr}");
}

/// A rule test names an entity sample by its `metadata.product_entity_id`, as a detection's
/// event samples are named by their `metadata.product_log_id`.
#[test]
fn rule_test_names_entity_samples() {
    let dir = TestDir::new("dragnet-test-entities-ruletest-");
    write(&dir, "rule.yaral", RULE);
    write(&dir, "data/events.jsonl", EVENTS);
    write(
        &dir,
        "data/iocs.jsonl",
        r#"{"metadata":{"product_entity_id":"misp-1","entity_type":"IP_ADDRESS","source_type":"ENTITY_CONTEXT"},"entity":{"ip":["203.0.113.66"]}}"#,
    );
    let spec = write(
        &dir,
        "known_bad_ip.test.toml",
        r#"description = "an indicator from MISP"
rules = ["rule.yaral"]
inputs = ["data/events.jsonl"]
entities = ["data/iocs.jsonl"]

[[expect]]
rule = "known_bad_ip"
match = { ip = "203.0.113.66" }
events = { net = ["c1"], ioc = ["misp-1"] }
"#,
    );
    let output = dragnet(&["test", spec.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}{stderr}");
}

/// Runs the `RULE` hunt over `EVENTS` with `--entities PATH` and returns the output.
fn hunt_with_entities(dir: &Path, entities: &Path) -> Output {
    let rule = write(dir, "rule.yaral", RULE);
    let events = write(dir, "events.jsonl", EVENTS);
    hunt(&rule, entities, &events)
}

/// Records that parse but can never be what the user meant are reported with their line and
/// skipped: text that is not UTF-8, an interval that ends before it starts, an object with no
/// field of a UDM `Entity`, and a file that is not JSON at all.
#[test]
fn entity_loader_reports_unusable_records() {
    let dir = TestDir::new("dragnet-test-entities-unusable-");
    let good = r#"{"metadata":{"product_entity_id":"misp-1","entity_type":"IP_ADDRESS","source_type":"ENTITY_CONTEXT"},"entity":{"ip":["203.0.113.66"]}}"#;
    let mut records = Vec::new();
    records.extend_from_slice(good.as_bytes());
    records.extend_from_slice(b"\n");
    records.extend_from_slice(
        b"{\"metadata\":{\"product_entity_id\":\"bad-\xff\",\"entity_type\":\"IP_ADDRESS\",\"source_type\":\"ENTITY_CONTEXT\"},\"entity\":{\"ip\":[\"198.51.100.7\"]}}\n",
    );
    records.extend_from_slice(
        br#"{"metadata":{"product_entity_id":"backwards","entity_type":"IP_ADDRESS","source_type":"ENTITY_CONTEXT","interval":{"start_time":"2025-06-11T00:00:00Z","end_time":"2025-06-01T00:00:00Z"}},"entity":{"ip":["192.0.2.1"]}}"#,
    );
    records.extend_from_slice(b"\n{\"ip\": \"192.0.2.1\"}\n");
    fs::create_dir_all(dir.join("feeds")).unwrap();
    fs::write(dir.join("feeds/misp.jsonl"), records).unwrap();
    write(&dir, "feeds/iocs.csv", "ip,feed\n192.0.2.1,MISP\n198.51.100.7,MISP\n");

    let output = hunt_with_entities(&dir, &dir.join("feeds"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        detections(&output),
        [r#""known_bad_ip" {"ip":"203.0.113.66"} ioc=misp-1,net=c1"#],
        "{stderr}"
    );
    assert!(stderr.contains("misp.jsonl:2: entity record skipped"), "{stderr}");
    assert!(stderr.contains("misp.jsonl:3: entity record skipped"), "{stderr}");
    assert!(stderr.contains("end_time is before its start_time"), "{stderr}");
    assert!(stderr.contains("misp.jsonl:4: entity record skipped"), "{stderr}");
    assert!(stderr.contains("no field of a UDM Entity"), "{stderr}");
    assert!(stderr.contains("iocs.csv: not JSON"), "{stderr}");
    assert!(!stderr.contains("iocs.csv:2"), "one warning per file that is not JSON: {stderr}");
}

/// Pretty-printed records, one after another as `jq .` writes them, load like JSON lines.
#[test]
fn entity_loader_reads_concatenated_documents() {
    let dir = TestDir::new("dragnet-test-entities-pretty-");
    let entities = write(
        &dir,
        "iocs.json",
        r#"{
  "metadata": {"product_entity_id": "misp-1", "entity_type": "IP_ADDRESS", "source_type": "ENTITY_CONTEXT"},
  "entity": {"ip": ["203.0.113.66"]}
}
{
  "metadata": {"product_entity_id": "misp-2", "entity_type": "IP_ADDRESS", "source_type": "ENTITY_CONTEXT"},
  "entity": {"ip": ["198.51.100.7"]}
}
"#,
    );
    let output = hunt_with_entities(&dir, &entities);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        detections(&output),
        [
            r#""known_bad_ip" {"ip":"198.51.100.7"} ioc=misp-2,net=c2"#,
            r#""known_bad_ip" {"ip":"203.0.113.66"} ioc=misp-1,net=c1"#,
        ],
        "{stderr}"
    );
    assert!(!stderr.contains("entity record skipped"), "{stderr}");
}

/// `--entities` naming only unusable records warns that none loaded, not that none were given.
#[test]
fn entity_loader_warns_when_none_load() {
    let dir = TestDir::new("dragnet-test-entities-none-");
    let entities = write(&dir, "iocs.jsonl", "{\"metadata\": \n");
    let output = hunt_with_entities(&dir, &entities);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(detections(&output).is_empty(), "{stderr}");
    assert!(stderr.contains("no entity record was loaded"), "{stderr}");
    assert!(!stderr.contains("no --entities were given"), "{stderr}");
}

/// The summary counts the entity records loaded and skipped, and `--strict` fails a hunt that
/// skipped one, as it fails a hunt that rejected an event record.
#[test]
fn strict_hunt_fails_on_skipped_entity_record() {
    let dir = TestDir::new("dragnet-test-entities-strict-");
    let rule = write(&dir, "rule.yaral", RULE);
    let events = write(&dir, "events.jsonl", EVENTS);
    let entities = write(
        &dir,
        "iocs.jsonl",
        concat!(
            r#"{"metadata":{"product_entity_id":"misp-1","entity_type":"IP_ADDRESS","source_type":"ENTITY_CONTEXT"},"entity":{"ip":["203.0.113.66"]}}"#,
            "\n",
            r#"{"metadata":{"entity_type":"NOT_A_TYPE"},"entity":{"ip":["192.0.2.1"]}}"#,
            "\n",
        ),
    );
    let hunt = |extra: &[&str]| {
        let mut args = vec!["hunt", "--no-progress", "--output", "jsonl", "--rules"];
        args.extend([rule.to_str().unwrap(), "--entities", entities.to_str().unwrap()]);
        args.extend_from_slice(extra);
        args.push(events.to_str().unwrap());
        dragnet(&args)
    };

    let output = hunt(&[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("entities: 1 loaded, 1 skipped"), "{stderr}");

    let output = hunt(&["--strict"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("1 entity records were skipped"), "{stderr}");
    assert_eq!(detections(&output).len(), 1, "{stderr}");
}

/// A feed given twice, as overlapping exports are, loads each record once.
#[test]
fn entity_loader_loads_duplicates_once() {
    let dir = TestDir::new("dragnet-test-entities-duplicates-");
    let rule = write(&dir, "rule.yaral", RULE);
    let events = write(&dir, "events.jsonl", EVENTS);
    let entities = write(
        &dir,
        "iocs.jsonl",
        r#"{"metadata":{"product_entity_id":"misp-1","entity_type":"IP_ADDRESS","source_type":"ENTITY_CONTEXT"},"entity":{"ip":["203.0.113.66"]}}"#,
    );
    let entities = entities.to_str().unwrap();
    let output = dragnet(&[
        "hunt",
        "--no-progress",
        "--output",
        "jsonl",
        "--rules",
        rule.to_str().unwrap(),
        "--entities",
        entities,
        "--entities",
        entities,
        events.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        detections(&output),
        [r#""known_bad_ip" {"ip":"203.0.113.66"} ioc=misp-1,net=c1"#],
        "{stderr}"
    );
    assert!(stderr.contains("1 entity records are identical"), "{stderr}");
    assert!(stderr.contains("entities: 1 loaded, 0 skipped"), "{stderr}");
}

/// A rule that lets its entity variable be absent (`!$known`) still matches without entity
/// records, on every event, so the warning says that instead of "cannot match".
#[test]
fn optional_entity_warning_says_rule_still_matches() {
    let dir = TestDir::new("dragnet-test-entities-optional-");
    let rule = write(
        &dir,
        "rule.yaral",
        r#"rule unknown_destination {
  meta:
    severity = "Low"
  events:
    $net.metadata.event_type = "NETWORK_CONNECTION"
    $net.target.ip = $ip
    $known.graph.metadata.entity_type = "IP_ADDRESS"
    $known.graph.entity.ip = $ip
  match:
    $ip over 10m
  condition:
    $net and !$known
}
"#,
    );
    let events = write(&dir, "events.jsonl", EVENTS);
    let args = ["hunt", "--no-progress", "--output", "jsonl", "--rules"];
    let output =
        dragnet(&[&args[..], &[rule.to_str().unwrap(), events.to_str().unwrap()]].concat());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(detections(&output).len(), 3, "{stderr}");
    assert!(stderr.contains("rule unknown_destination reads entity records"), "{stderr}");
    assert!(!stderr.contains("cannot match"), "{stderr}");
    assert!(stderr.contains("$known is absent for every event"), "{stderr}");
}

/// Standard input can be read once: `--entities -` is rejected when the events come from it
/// too, and by `watch`, which reads the entity records again on every reload.
#[test]
fn entities_from_stdin_are_rejected_when_reused() {
    let dir = TestDir::new("dragnet-test-entities-stdin-");
    let rule = write(&dir, "rule.yaral", RULE);
    let rule = rule.to_str().unwrap();
    let hunt = ["hunt", "--no-progress", "--output", "jsonl", "--rules", rule];
    let output = dragnet(&[&hunt[..], &["--entities", "-", "-"]].concat());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("standard input"), "{stderr}");

    let state = dir.join("state");
    let watch = [
        "watch",
        "--rules",
        rule,
        "--entities",
        "-",
        "--state",
        state.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--follow",
        "-",
    ];
    let output = dragnet(&watch);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--entities -"), "{stderr}");
}

/// A field that a UDM `Entity` does not define is kept, but no rule can read it, so a record
/// with one loads with a warning that names the field once, with where it first appears.
#[test]
fn entity_loader_warns_about_unknown_fields() {
    let dir = TestDir::new("dragnet-test-entities-unknown-");
    let entities = write(
        &dir,
        "iocs.jsonl",
        concat!(
            r#"{"metadata":{"product_entity_id":"misp-1","entity_type":"IP_ADDRESS","source_type":"ENTITY_CONTEXT"},"entity":{"ip":["203.0.113.66"]}}"#,
            "\n",
            r#"{"metadata":{"product_entity_id":"misp-2","entity_type":"IP_ADDRESS","source_type":"ENTITY_CONTEXT"},"ip":["198.51.100.7"]}"#,
            "\n",
            r#"{"metadata":{"product_entity_id":"misp-3","entitiy_type":"IP_ADDRESS"},"ip":["192.0.2.1"],"relations":[{"entity":{"ip":["192.0.2.1"],"hostnam":"x"}}]}"#,
            "\n",
        ),
    );
    let output = hunt_with_entities(&dir, &entities);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        detections(&output),
        [r#""known_bad_ip" {"ip":"203.0.113.66"} ioc=misp-1,net=c1"#],
        "{stderr}"
    );
    assert!(stderr.contains("iocs.jsonl:2: `ip` is not a field of a UDM Entity"), "{stderr}");
    assert!(stderr.contains("in 2 records"), "{stderr}");
    assert!(stderr.contains("iocs.jsonl:3: `metadata.entitiy_type` is not a field"), "{stderr}");
    assert!(stderr.contains("`relations.entity.hostnam` is not a field"), "{stderr}");
    assert!(stderr.contains("entities: 3 loaded, 0 skipped"), "{stderr}");
}
