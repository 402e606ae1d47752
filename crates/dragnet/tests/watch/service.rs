//! Followed files, late events, webhooks, reloads and shutdown.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::{event, ids_in, jsonl, start_receiver, temp_dir, Watch, BASE, FAR_FUTURE};

/// Waits until `path` has `n` detections, or the timeout passes.
fn wait_for_detections(path: &Path, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ids = ids_in(path);
        if ids.len() >= n || Instant::now() > deadline {
            return ids;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn honeypot(id: &str, seconds: i64) -> String {
    format!("{}\n", event(id, seconds, "USER_LOGIN", "alice", "honeypot", false))
}

/// `n` events that match no rule.
fn filler(n: usize) -> String {
    (0..n)
        .map(|i| format!("{}\n", event(&format!("f{i}"), 0, "GENERIC_EVENT", "", "", false)))
        .collect()
}

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

#[test]
fn follow_survives_rotation_and_truncation() {
    let dir = temp_dir("rotation");
    let rules = dir.join("rules.yaral");
    std::fs::write(&rules, crate::harness::RULES).unwrap();
    let log = dir.join("app.jsonl");
    let output = dir.join("out.jsonl");
    append(&log, &(honeypot("r1", 0) + &honeypot("r2", 1)));
    let args = [
        "--rules",
        rules.to_str().unwrap(),
        "--follow",
        log.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ];
    let state = dir.join("state");
    let watch = Watch::start(&state, &args, &[]);
    assert_eq!(wait_for_detections(&output, 2).len(), 2);

    // Rotation by rename: the rest of the old file, then the new one.
    append(&log, &honeypot("r3", 2));
    std::fs::rename(&log, dir.join("app.jsonl.1")).unwrap();
    append(&log, &(honeypot("r4", 3) + &filler(3)));
    assert_eq!(wait_for_detections(&output, 4).len(), 4, "{}", watch.log());

    // Truncation in place (copytruncate): read again from the start. The file had more lines
    // than it has after, so its shrinking shows.
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(&log, honeypot("r5", 4)).unwrap();
    assert_eq!(wait_for_detections(&output, 5).len(), 5, "{}", watch.log());

    // A crash, then a rotation while the service is down: the rotated file is finished first.
    std::thread::sleep(Duration::from_millis(300));
    watch.kill();
    append(&log, &honeypot("r6", 5));
    std::fs::rename(&log, dir.join("app.jsonl.2")).unwrap();
    append(&log, &honeypot("r7", 6));
    let watch = Watch::start(&state, &args, &[]);
    let ids = wait_for_detections(&output, 7);
    assert_eq!(ids.len(), 7, "{}", watch.log());
    std::thread::sleep(Duration::from_millis(300));
    assert!(watch.terminate().success());
    let text = std::fs::read_to_string(&output).unwrap();
    for id in ["r1", "r2", "r3", "r4", "r5", "r6", "r7"] {
        assert_eq!(
            text.matches(&format!("\"product_log_id\":\"{id}\"")).count(),
            1,
            "{id} in {text}"
        );
    }
}

#[test]
fn late_events_go_to_dead_letter() {
    let dir = temp_dir("late");
    let rules = dir.join("rules.yaral");
    std::fs::write(&rules, crate::harness::RULES).unwrap();
    std::fs::write(dir.join("token"), "tok").unwrap();
    let watch = Watch::start(
        &dir.join("state"),
        &[
            "--rules",
            rules.to_str().unwrap(),
            "--token-file",
            dir.join("token").to_str().unwrap(),
            "--allowed-lateness",
            "1m",
            "--output",
            dir.join("out.jsonl").to_str().unwrap(),
        ],
        &[],
    );

    // With the latest event at 3600 s and one minute of lateness, 3539 s is late and 3541 s
    // is not.
    let now = jsonl(&[event("l1", 3600, "USER_LOGIN", "bob", "web", true)]);
    assert_eq!(watch.post_events("tok", now.as_bytes()).json()["late"], 0);
    let old = jsonl(&[event("l0", 3600 - 61, "USER_LOGIN", "bob", "web", true)]);
    let response = watch.post_events("tok", old.as_bytes());
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["late"], 1);
    assert_eq!(response.json()["accepted"], 0);
    let within = jsonl(&[event("l2", 3600 - 59, "USER_LOGIN", "bob", "web", true)]);
    assert_eq!(watch.post_events("tok", within.as_bytes()).json()["late"], 0);

    let dead = std::fs::read_to_string(dir.join("state/dead-letter.jsonl")).unwrap();
    let entries: Vec<serde_json::Value> =
        dead.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries.len(), 1, "{dead}");
    assert_eq!(entries[0]["reason"], "late");
    assert_eq!(entries[0]["line"], 1);
    assert_eq!(entries[0]["event"]["metadata"]["product_log_id"], "l0");

    let metrics = watch.request("GET", "/metrics", &[], b"");
    assert!(metrics.body.contains("dragnet_watch_late_events_total 1"), "{}", metrics.body);
}

#[test]
fn future_event_rejected_windows_still_fire() {
    let dir = temp_dir("future");
    let rules = dir.join("rules.yaral");
    std::fs::write(&rules, crate::harness::RULES).unwrap();
    std::fs::write(dir.join("token"), "tok").unwrap();
    let output = dir.join("out.jsonl");
    let watch = Watch::start(
        &dir.join("state"),
        &[
            "--rules",
            rules.to_str().unwrap(),
            "--token-file",
            dir.join("token").to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
        ],
        &[],
    );

    // An event at the last second of year 9999 is far beyond the default --max-future.
    let future = jsonl(&[event("f0", FAR_FUTURE, "USER_LOGIN", "carol", "web", true)]);
    let response = watch.post_events("tok", future.as_bytes());
    assert_eq!(response.status, 200);
    let outcome = response.json();
    assert_eq!(outcome["accepted"], 0, "{outcome}");
    assert_eq!(outcome["rejected"], 1, "{outcome}");
    assert_eq!(outcome["late"], 0, "{outcome}");
    let error = outcome["errors"][0].as_str().unwrap_or_default();
    assert!(error.starts_with("line 1: event time 9999-12-31T23:59:59Z"), "{error}");
    assert!(error.contains("--max-future 15m"), "{error}");

    // The watermark did not move, so a burst of blocked logins followed by a later event
    // still closes its window and fires.
    let mut burst: Vec<_> = (0..3)
        .map(|i| event(&format!("c{i}"), i * 10, "USER_LOGIN", "carol", "web", true))
        .collect();
    burst.push(event("c9", 7200, "GENERIC_EVENT", "", "", false));
    let response = watch.post_events("tok", jsonl(&burst).as_bytes());
    assert_eq!(response.json()["accepted"], 4, "{}", response.body);
    assert_eq!(response.json()["late"], 0, "{}", response.body);
    wait_for_detections(&output, 1);
    let text = std::fs::read_to_string(&output).unwrap();
    assert!(text.contains("failed_logins_burst"), "{text}");

    let dead = std::fs::read_to_string(dir.join("state/dead-letter.jsonl")).unwrap();
    let entries: Vec<serde_json::Value> =
        dead.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries.len(), 1, "{dead}");
    assert_eq!(entries[0]["reason"], "future");
    assert_eq!(entries[0]["input"], "http");
    assert_eq!(entries[0]["line"], 1);
    assert_eq!(entries[0]["event"]["metadata"]["product_log_id"], "f0");
    assert!(entries[0]["limit"].is_string(), "{dead}");
    let error = entries[0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("9999-12-31T23:59:59Z"), "{error}");

    let metrics = watch.request("GET", "/metrics", &[], b"").body;
    assert!(metrics.contains("dragnet_watch_future_events_total{input=\"http\"} 1"), "{metrics}");
    assert!(metrics.contains("dragnet_watch_dead_letters_total{reason=\"future\"} 1"), "{metrics}");
    assert!(metrics.contains("dragnet_watch_late_events_total 0"), "{metrics}");
    let watermark = format!("dragnet_watch_watermark_seconds {}", BASE + 7200 - 60);
    assert!(metrics.contains(&watermark), "{metrics}");
}

fn webhook_watch(dir: &Path, url: &str) -> Watch {
    std::fs::write(dir.join("rules.yaral"), crate::harness::RULES).unwrap();
    std::fs::write(dir.join("token"), "tok").unwrap();
    Watch::start(
        &dir.join("state"),
        &[
            "--rules",
            dir.join("rules.yaral").to_str().unwrap(),
            "--token-file",
            dir.join("token").to_str().unwrap(),
            "--webhook",
            url,
            "--webhook-attempts",
            "3",
        ],
        &[],
    )
}

#[test]
fn webhook_retries_then_delivers() {
    let dir = temp_dir("webhook-retry");
    let receiver = start_receiver(vec![500, 503]);
    let watch = webhook_watch(&dir, &format!("http://{}/hooks/secret-path", receiver.address));
    let body = honeypot("w1", 0);
    assert_eq!(watch.post_events("tok", body.as_bytes()).status, 200);
    let deadline = Instant::now() + Duration::from_secs(20);
    while receiver.requests.lock().unwrap().len() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let requests = receiver.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 3, "two failures and one success");
    let detection: serde_json::Value = serde_json::from_str(&requests[2].1).unwrap();
    let id = detection["id"].as_str().unwrap();
    for (head, _) in &requests {
        assert!(head.starts_with("POST /hooks/secret-path HTTP/1.1"), "{head}");
        assert!(head.to_ascii_lowercase().contains(&format!("idempotency-key: {id}")), "{head}");
    }
    assert!(watch.wait_for_log("webhook delivery failed; retrying", Duration::from_secs(5)));
    assert!(!watch.log().contains("secret-path"), "the webhook path must not be logged");
}

#[test]
fn webhook_dead_letters_after_failures() {
    let dir = temp_dir("webhook-dead");
    let receiver = start_receiver(vec![500, 500, 500, 400]);
    let watch = webhook_watch(&dir, &format!("http://{}/", receiver.address));
    assert_eq!(watch.post_events("tok", honeypot("d1", 0).as_bytes()).status, 200);
    assert_eq!(watch.post_events("tok", honeypot("d2", 1).as_bytes()).status, 200);
    assert!(watch.wait_for_log("detection undeliverable", Duration::from_secs(20)));
    let deadline = Instant::now() + Duration::from_secs(20);
    let dead_letter = dir.join("state/dead-letter.jsonl");
    let mut entries = Vec::new();
    while entries.len() < 2 && Instant::now() < deadline {
        entries = std::fs::read_to_string(&dead_letter)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .collect();
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(entries.len(), 2, "both detections are dead-lettered: {entries:?}");
    // d1 failed three times (the attempt limit); d2 got a 400, which is not retried.
    assert_eq!(entries[0]["reason"], "undeliverable");
    assert!(entries[0]["error"].as_str().unwrap().contains("attempt 3 of 3"), "{}", entries[0]);
    assert!(entries[1]["error"].as_str().unwrap().contains("400"), "{}", entries[1]);
    assert_eq!(receiver.requests.lock().unwrap().len(), 4);
    let metrics = watch.request("GET", "/metrics", &[], b"");
    assert!(metrics.body.contains("dragnet_watch_sink_failures_total{sink="), "{}", metrics.body);
}

#[test]
fn reload_keeps_old_rules_when_new_fail() {
    let dir = temp_dir("reload");
    let rules_dir = dir.join("rules");
    std::fs::create_dir_all(&rules_dir).unwrap();
    std::fs::write(rules_dir.join("pack.yaral"), crate::harness::RULES).unwrap();
    std::fs::write(dir.join("token"), "tok").unwrap();
    let output = dir.join("out.jsonl");
    let watch = Watch::start(
        &dir.join("state"),
        &[
            "--rules",
            rules_dir.to_str().unwrap(),
            "--token-file",
            dir.join("token").to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
            "--reload-interval",
            "200ms",
        ],
        &[],
    );
    // A broken rule file: the reload fails and the old rules keep running.
    std::fs::write(rules_dir.join("broken.yaral"), "rule broken { events: $e.nope = condition: }")
        .unwrap();
    assert!(watch
        .wait_for_log("reload failed; the previous rules keep running", Duration::from_secs(20)));
    assert!(watch.log().contains("broken"), "the log names the failing rule file");
    assert_eq!(watch.post_events("tok", honeypot("x1", 0).as_bytes()).status, 200);
    assert_eq!(wait_for_detections(&output, 1).len(), 1);

    // Fixed, plus a new rule, picked up on SIGHUP.
    std::fs::remove_file(rules_dir.join("broken.yaral")).unwrap();
    std::fs::write(
        rules_dir.join("dave.yaral"),
        "rule dave_seen { events: $e.principal.user.userid = \"dave\" condition: $e }",
    )
    .unwrap();
    let pid = watch.child.id().to_string();
    std::process::Command::new("kill").args(["-HUP", &pid]).status().unwrap();
    assert!(
        watch.wait_for_log("reloaded rules and lists", Duration::from_secs(20)),
        "{}",
        watch.log()
    );
    let dave = jsonl(&[event("x2", 10, "USER_LOGIN", "dave", "web", false)]);
    assert_eq!(watch.post_events("tok", dave.as_bytes()).status, 200);
    let ids = wait_for_detections(&output, 2);
    assert_eq!(ids.len(), 2);
    let text = std::fs::read_to_string(&output).unwrap();
    assert!(text.contains("\"name\":\"dave_seen\""), "{text}");
    let metrics = watch.request("GET", "/metrics", &[], b"");
    assert!(metrics.body.contains("dragnet_watch_reloads_total{result=\"failed\"}"));
    assert!(metrics.body.contains("dragnet_watch_reloads_total{result=\"ok\"}"));
}

#[test]
fn sigterm_checkpoints_and_restart_resumes() {
    let dir = temp_dir("sigterm");
    let rules = dir.join("rules.yaral");
    std::fs::write(&rules, crate::harness::RULES).unwrap();
    std::fs::write(dir.join("token"), "tok").unwrap();
    let output = dir.join("out.jsonl");
    let token = dir.join("token");
    let args = [
        "--rules",
        rules.to_str().unwrap(),
        "--token-file",
        token.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ];
    // Three blocked logins by carol open a hop window that only a later event closes.
    let state = dir.join("state");
    let watch = Watch::start(&state, &args, &[]);
    let burst: Vec<_> = (0..3)
        .map(|i| event(&format!("c{i}"), i * 10, "USER_LOGIN", "carol", "web", true))
        .collect();
    assert_eq!(watch.post_events("tok", jsonl(&burst).as_bytes()).status, 200);
    let status = watch.terminate();
    assert!(status.success());
    assert!(ids_in(&output).is_empty(), "the window is still open");

    // After a restart, a much later event closes the window that was open at shutdown.
    let watch = Watch::start(&state, &args, &[]);
    assert!(watch.log().contains("replayed=3"), "{}", watch.log());
    let later = jsonl(&[event("c9", 7200, "GENERIC_EVENT", "", "", false)]);
    assert_eq!(watch.post_events("tok", later.as_bytes()).status, 200);
    let ids = wait_for_detections(&output, 1);
    assert!(!ids.is_empty(), "{}", watch.log());
    let text = std::fs::read_to_string(&output).unwrap();
    assert!(text.contains("failed_logins_burst"), "{text}");
}

#[test]
fn follow_dead_letters_malformed_lines() {
    let dir = temp_dir("follow-malformed");
    let rules = dir.join("rules.yaral");
    std::fs::write(&rules, crate::harness::RULES).unwrap();
    let log = dir.join("app.jsonl");
    let output = dir.join("out.jsonl");
    append(&log, &format!("{{\"metadata\": oops\n{}", honeypot("m1", 0)));
    let args = [
        "--rules",
        rules.to_str().unwrap(),
        "--follow",
        log.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ];
    let watch = Watch::start(&dir.join("state"), &args, &[]);
    assert_eq!(wait_for_detections(&output, 1).len(), 1, "{}", watch.log());

    let dead = std::fs::read_to_string(dir.join("state/dead-letter.jsonl")).unwrap();
    let entry: serde_json::Value = serde_json::from_str(dead.lines().next().unwrap()).unwrap();
    assert_eq!(entry["reason"], "rejected");
    assert_eq!(entry["offset"], 0, "the byte offset of the bad line");
    assert!(entry["error"].as_str().unwrap().starts_with("invalid JSON"), "{entry}");
    assert_eq!(entry["record"], "{\"metadata\": oops");
    let metrics = watch.request("GET", "/metrics", &[], b"");
    let expected =
        format!("dragnet_watch_records_rejected_total{{input=\"file:{}\"}} 1", log.display());
    assert!(metrics.body.contains(&expected), "{}", metrics.body);
}
