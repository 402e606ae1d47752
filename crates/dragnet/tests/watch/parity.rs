//! The same events give the same detection ids from `hunt` and from `watch`, whatever their
//! arrival order within the allowed lateness.

use std::process::Stdio;
use std::time::Duration;

use crate::harness::{
    events, flush_event, hunt_ids, ids_in, jsonl, shuffle_within, temp_dir, Rng, Watch,
};

/// Allowed lateness of these runs, in seconds.
const LATENESS: i64 = 300;

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[test]
fn watch_matches_hunt_for_shuffled_arrival() {
    for seed in 1..=3u64 {
        let dir = temp_dir(&format!("parity-{seed}"));
        let rules = dir.join("rules.yaral");
        std::fs::write(&rules, crate::harness::RULES).unwrap();
        let mut rng = Rng::new(seed);
        let generated = events(&mut rng, &format!("s{seed}-"), 0, 800);
        let last = generated.last().map_or(0, |(t, _)| *t);

        let in_order: Vec<_> = generated.iter().map(|(_, e)| e.clone()).collect();
        let hunt_input = dir.join("hunt.jsonl");
        std::fs::write(&hunt_input, jsonl(&in_order)).unwrap();
        let expected = sorted(hunt_ids(&rules, &hunt_input));
        assert!(expected.len() > 20, "the data should fire the rules often: {}", expected.len());

        let mut arrival = shuffle_within(&mut rng, &generated, LATENESS);
        assert_ne!(arrival, in_order, "the arrival order should differ from event-time order");
        arrival.push(flush_event(last));
        let watch_input = dir.join("watch.jsonl");
        std::fs::write(&watch_input, jsonl(&arrival)).unwrap();
        let output = dir.join("out.jsonl");
        let stdin = std::fs::File::open(&watch_input).unwrap();
        let watch = Watch::start_with_stdin(
            &dir.join("state"),
            &[
                "--rules",
                rules.to_str().unwrap(),
                "--follow",
                "-",
                "--allowed-lateness",
                &format!("{LATENESS}s"),
                "--output",
                output.to_str().unwrap(),
            ],
            &[],
            Stdio::from(stdin),
        );
        let (status, log) = watch.wait(Duration::from_secs(120));
        assert!(status.success(), "watch failed:\n{log}");
        assert!(!log.contains("\"reason\":\"late\""));
        let dead = std::fs::read_to_string(dir.join("state/dead-letter.jsonl")).unwrap_or_default();
        assert!(!dead.contains("\"late\""), "no event may be late: {dead}");
        let got = sorted(ids_in(&output));
        assert_eq!(got, expected, "seed {seed}: watch and hunt disagree");
    }
}

#[test]
fn watch_over_http_matches_hunt() {
    let dir = temp_dir("parity-http");
    let rules = dir.join("rules.yaral");
    std::fs::write(&rules, crate::harness::RULES).unwrap();
    std::fs::write(dir.join("token"), "t0ken").unwrap();
    let mut rng = Rng::new(42);
    let generated = events(&mut rng, "h-", 0, 600);
    let last = generated.last().map_or(0, |(t, _)| *t);
    let in_order: Vec<_> = generated.iter().map(|(_, e)| e.clone()).collect();
    let hunt_input = dir.join("hunt.jsonl");
    std::fs::write(&hunt_input, jsonl(&in_order)).unwrap();
    let expected = sorted(hunt_ids(&rules, &hunt_input));

    let mut arrival = shuffle_within(&mut rng, &generated, LATENESS);
    arrival.push(flush_event(last));
    let output = dir.join("out.jsonl");
    let watch = Watch::start(
        &dir.join("state"),
        &[
            "--rules",
            rules.to_str().unwrap(),
            "--token-file",
            dir.join("token").to_str().unwrap(),
            "--allowed-lateness",
            "5m",
            "--output",
            output.to_str().unwrap(),
        ],
        &[],
    );
    for chunk in arrival.chunks(37) {
        let response = watch.post_events("t0ken", jsonl(chunk).as_bytes());
        assert_eq!(response.status, 200, "{response:?}");
        assert_eq!(response.json()["late"], 0);
    }
    let status = watch.terminate();
    assert!(status.success());
    assert_eq!(sorted(ids_in(&output)), expected);
}

/// The bundled UNC6040 rules with the demo's lists, ASN table and identities, over the demo's
/// JSON logs posted file by file: the same detections as a hunt over those files.
#[test]
fn demo_logs_match_hunt() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let examples = root.join("examples");
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for dir in ["m365", "okta", "salesforce", "udm"] {
        let mut found: Vec<_> = std::fs::read_dir(examples.join("logs").join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "jsonl"))
            .collect();
        found.sort();
        files.extend(found);
    }
    assert!(files.len() >= 5, "the demo logs moved: {files:?}");
    let context = [
        "--lists".to_owned(),
        examples.join("lists").display().to_string(),
        "--asn-db".to_owned(),
        examples.join("asn.tsv").display().to_string(),
        "--identities".to_owned(),
        examples.join("identities.csv").display().to_string(),
    ];

    let mut hunt = std::process::Command::new(env!("CARGO_BIN_EXE_dragnet"));
    hunt.arg("hunt").args(&context).args(["--output", "jsonl"]).args(&files);
    let output = hunt.env_remove("RUST_LOG").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let expected: Vec<String> = sorted(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
            .map(|id| id.trim_matches('"').to_owned())
            .collect(),
    );
    assert!(expected.len() >= 5, "the demo should give detections: {expected:?}");

    let dir = temp_dir("parity-demo");
    std::fs::write(dir.join("token"), "demo").unwrap();
    let out = dir.join("out.jsonl");
    let mut args: Vec<String> = context.to_vec();
    args.extend(
        [
            "--token-file",
            dir.join("token").to_str().unwrap(),
            "--allowed-lateness",
            "2d",
            "--output",
            out.to_str().unwrap(),
        ]
        .map(str::to_owned),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let watch = Watch::start(&dir.join("state"), &args, &[]);
    for file in &files {
        let response = watch.post_events("demo", &std::fs::read(file).unwrap());
        assert_eq!(response.status, 200, "{}: {response:?}", file.display());
        assert_eq!(response.json()["late"], 0, "{}", file.display());
    }
    // A week later, every window has closed.
    let flush = serde_json::json!({"metadata": {"event_timestamp": "2025-06-20T00:00:00Z",
        "event_type": "GENERIC_EVENT", "product_log_id": "flush"}});
    assert_eq!(watch.post_events("demo", flush.to_string().as_bytes()).status, 200);
    assert!(watch.terminate().success());
    assert_eq!(sorted(ids_in(&out)), expected);
}

#[test]
fn followed_page_matches_hunt() {
    use crate::harness::event;

    // One newest-first page of blocked logins spanning 8 minutes, more than the allowed
    // lateness of 1 minute. `failed_logins_burst` fires for alice only if none of the page's
    // older events is late against its newest one.
    let dir = temp_dir("parity-page");
    let rules = dir.join("rules.yaral");
    std::fs::write(&rules, crate::harness::RULES).unwrap();
    let page = serde_json::json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns",
        "value": [
            event("p3", 480, "USER_LOGIN", "alice", "web", true),
            event("p2", 240, "USER_LOGIN", "alice", "web", true),
            event("p1", 0, "USER_LOGIN", "alice", "web", true),
        ],
    });
    // The next line is another document, so its event is late against the page's newest.
    let next = serde_json::json!([event("p0", 100, "USER_LOGIN", "dave", "web", false)]);
    let lines = [page, next, flush_event(480)];
    let input = dir.join("page.jsonl");
    std::fs::write(&input, jsonl(&lines)).unwrap();
    let expected = sorted(hunt_ids(&rules, &input));
    assert_eq!(expected.len(), 1, "{expected:?}");

    let output = dir.join("out.jsonl");
    let state = dir.join("state");
    let args = [
        "--rules",
        rules.to_str().unwrap(),
        "--follow",
        input.to_str().unwrap(),
        "--allowed-lateness",
        "1m",
        "--output",
        output.to_str().unwrap(),
    ];
    let watch = Watch::start(&state, &args, &[]);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while ids_in(&output).len() < expected.len() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = watch.log();
    assert!(watch.terminate().success(), "{log}");
    assert_eq!(sorted(ids_in(&output)), expected, "watch and hunt disagree:\n{log}");

    let dead = std::fs::read_to_string(state.join("dead-letter.jsonl")).unwrap_or_default();
    let late: Vec<serde_json::Value> = dead
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|entry| entry["reason"] == "late")
        .collect();
    assert_eq!(late.len(), 1, "{dead}");
    assert_eq!(late[0]["event"]["metadata"]["product_log_id"], "p0", "{}", late[0]);
    let second_line = jsonl(&lines[..1]).len();
    assert_eq!(late[0]["offset"], second_line, "{}", late[0]);
    assert_eq!(late[0]["path"], "[0]", "{}", late[0]);
}
