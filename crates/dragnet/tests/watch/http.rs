//! `POST /v1/events`, `/healthz` and `/metrics` against the real server.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::harness::{event, jsonl, temp_dir, TestDir, Watch};

const TOKEN: &str = "s3cret-token";

fn start(name: &str, extra: &[&str]) -> (Watch, TestDir) {
    let dir = temp_dir(name);
    std::fs::write(dir.join("rules.yaral"), crate::harness::RULES).unwrap();
    std::fs::write(dir.join("token"), format!("{TOKEN}\n")).unwrap();
    let rules = dir.join("rules.yaral").display().to_string();
    let token = dir.join("token").display().to_string();
    let output = dir.join("out.jsonl").display().to_string();
    let mut args = vec!["--rules", &rules, "--token-file", &token, "--output", &output];
    args.extend_from_slice(extra);
    let watch = Watch::start(&dir.join("state"), &args, &[]);
    (watch, dir)
}

#[test]
fn ingest_rejects_missing_or_wrong_token() {
    let (watch, _dir) = start("auth", &[]);
    let body = jsonl(&[event("a1", 0, "USER_LOGIN", "alice", "web", false)]);
    let missing = watch.request("POST", "/v1/events", &[], body.as_bytes());
    assert_eq!(missing.status, 401, "{missing:?}");
    assert!(missing.body.contains("missing bearer token"));
    let wrong = watch.post_events("not-the-token", body.as_bytes());
    assert_eq!(wrong.status, 401, "{wrong:?}");
    assert!(wrong.body.contains("invalid bearer token"));
    let basic = watch.request(
        "POST",
        "/v1/events",
        &[("Authorization", "Basic czNjcmV0")],
        body.as_bytes(),
    );
    assert_eq!(basic.status, 401);
    assert!(!watch.log().contains(TOKEN), "the token must never be logged");
}

#[test]
fn ingest_rejects_token_before_reading_body() {
    // A client without the token announces a large body and sends only its first bytes. The
    // server must respond 401 from the headers alone, not buffer the body while it waits.
    let (watch, _dir) = start("auth-before-body", &[]);
    let mut stream = std::net::TcpStream::connect(&watch.address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /v1/events HTTP/1.1\r\nHost: {}\r\nContent-Length: 5000000\r\n\r\n",
        watch.address
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&[b' '; 4096]).unwrap();
    let mut response = [0u8; 512];
    let read = std::io::Read::read(&mut stream, &mut response)
        .expect("the server responds before the body is complete");
    let text = String::from_utf8_lossy(&response[..read]);
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    assert!(text.contains("missing bearer token"), "{text}");
}

#[test]
fn ingest_accepts_jsonl_array_and_gzip() {
    let (watch, dir) = start("accept", &[]);
    let lines = jsonl(&[
        event("a1", 0, "USER_LOGIN", "alice", "web", false),
        event("a2", 10, "USER_LOGIN", "alice", "honeypot", false),
    ]);
    let response = watch.post_events(TOKEN, lines.as_bytes());
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.json()["accepted"], 2);

    let array = serde_json::to_vec(&[event("a3", 20, "USER_LOGIN", "bob", "web", false)]).unwrap();
    let response = watch.post_events(TOKEN, &array);
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.json()["accepted"], 1);

    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder
        .write_all(jsonl(&[event("a4", 30, "USER_LOGIN", "bob", "web", false)]).as_bytes())
        .unwrap();
    let gzip = encoder.finish().unwrap();
    let auth = format!("Bearer {TOKEN}");
    let headers = [("Authorization", auth.as_str()), ("Content-Encoding", "gzip")];
    let response = watch.request("POST", "/v1/events", &headers, &gzip);
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.json()["accepted"], 1);

    // The single-event rule fired on a2; its detection is delivered after the commit.
    let out = dir.join("out.jsonl");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while crate::harness::ids_in(&out).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(crate::harness::ids_in(&out).len(), 1);
}

#[test]
fn ingest_rejects_oversized_body() {
    let (watch, _dir) = start("oversized", &["--max-body", "2000"]);
    let many: Vec<_> =
        (0..40).map(|i| event(&format!("o{i}"), i, "USER_LOGIN", "alice", "web", false)).collect();
    let body = jsonl(&many);
    assert!(body.len() > 2000);
    let response = watch.post_events(TOKEN, body.as_bytes());
    assert_eq!(response.status, 413, "{response:?}");

    // A small gzip body that decompresses past the limit is rejected the same way.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(body.as_bytes()).unwrap();
    let gzip = encoder.finish().unwrap();
    assert!(gzip.len() < 2000);
    let auth = format!("Bearer {TOKEN}");
    let headers = [("Authorization", auth.as_str()), ("Content-Encoding", "gzip")];
    let response = watch.request("POST", "/v1/events", &headers, &gzip);
    assert_eq!(response.status, 413, "{response:?}");
}

#[test]
fn ingest_rejects_malformed_body_with_reason() {
    let (watch, _dir) = start("malformed", &[]);
    let body =
        format!("{}{{\"metadata\": \n", jsonl(&[event("m1", 0, "USER_LOGIN", "a", "web", false)]));
    let response = watch.post_events(TOKEN, body.as_bytes());
    assert_eq!(response.status, 400, "{response:?}");
    let json = response.json();
    assert!(json["error"].as_str().unwrap().contains("nothing was ingested"), "{json}");
    assert!(json["errors"][0].as_str().unwrap().starts_with("line 2:"), "{json}");

    let response = watch.post_events(TOKEN, b"user=alice action=login");
    assert_eq!(response.status, 400);
    assert!(response.json()["error"].as_str().unwrap().contains("not JSON"));

    let response = watch.post_events(TOKEN, b"");
    assert_eq!(response.status, 400);
    assert!(response.json()["error"].as_str().unwrap().contains("empty"));

    let auth = format!("Bearer {TOKEN}");
    let headers = [("Authorization", auth.as_str()), ("Content-Encoding", "gzip")];
    let response = watch.request("POST", "/v1/events", &headers, b"not gzip at all");
    assert_eq!(response.status, 400);
    assert!(response.json()["error"].as_str().unwrap().contains("gzip"));
}

#[test]
fn ingest_counts_unrecognised_records() {
    let (watch, dir) = start("unrecognised", &[]);
    let body = "{\"hello\": \"world\"}\n".to_owned()
        + &jsonl(&[event("u1", 0, "USER_LOGIN", "a", "web", false)]);
    let response = watch.post_events(TOKEN, body.as_bytes());
    assert_eq!(response.status, 200, "{response:?}");
    let json = response.json();
    assert_eq!(json["accepted"], 1);
    assert_eq!(json["rejected"], 1);
    assert!(json["errors"][0].as_str().unwrap().starts_with("line 1:"), "{json}");
    let dead = std::fs::read_to_string(dir.join("state/dead-letter.jsonl")).unwrap();
    assert!(dead.contains("\"reason\":\"rejected\""), "{dead}");
}

#[test]
fn ingest_keeps_good_elements_of_export() {
    // One element of an export wrapper cannot be normalised, and the others must be ingested.
    let (watch, dir) = start("export-element", &[]);
    let body = json!({"events": [
        {"udm": event("x1", 0, "USER_LOGIN", "alice", "honeypot", false)},
        {"udm": {"metadata": {"event_type": "USER_LOGIN", "product_log_id": "x2"}}},
        {"udm": event("x3", 10, "USER_LOGIN", "bob", "honeypot", false)},
    ]});
    let response = watch.post_events(TOKEN, body.to_string().as_bytes());
    assert_eq!(response.status, 200, "{response:?}");
    let json = response.json();
    assert_eq!(json["accepted"], 2, "{json}");
    assert_eq!(json["rejected"], 1, "{json}");
    let reason = json["errors"][0].as_str().unwrap();
    assert!(reason.starts_with("line 1: events[1]: "), "{json}");

    let dead = std::fs::read_to_string(dir.join("state/dead-letter.jsonl")).unwrap();
    let entry: serde_json::Value = serde_json::from_str(dead.lines().next().unwrap()).unwrap();
    assert_eq!(entry["reason"], "rejected", "{entry}");
    assert_eq!(entry["path"], "events[1]", "{entry}");
    assert_eq!(entry["record"]["udm"]["metadata"]["product_log_id"], "x2", "{entry}");

    let out = dir.join("out.jsonl");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while crate::harness::ids_in(&out).len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(crate::harness::ids_in(&out).len(), 2);
}

#[test]
fn ingest_answers_429_when_pipeline_full() {
    let (watch, _dir) = start("full", &["--queue", "1"]);
    // Big requests keep the pipeline busy while others arrive. With a queue of one batch, some
    // of a burst of concurrent requests must find it full.
    let many: Vec<_> = (0..20_000)
        .map(|i| event(&format!("f{i}"), i, "USER_LOGIN", "alice", "web", i % 2 == 0))
        .collect();
    let body = Arc::new(jsonl(&many).into_bytes());
    let address = watch.address.clone();
    let mut saw_429 = false;
    for _round in 0..5 {
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let body = Arc::clone(&body);
                let address = address.clone();
                std::thread::spawn(move || {
                    let auth = format!("Bearer {TOKEN}");
                    crate::harness::http_request(
                        &address,
                        "POST",
                        "/v1/events",
                        &[("Authorization", &auth)],
                        &body,
                    )
                })
            })
            .collect();
        for thread in threads {
            let response = thread.join().unwrap();
            assert!(matches!(response.status, 200 | 429), "{response:?}");
            if response.status == 429 {
                assert!(response.head.to_ascii_lowercase().contains("retry-after: 1"));
                saw_429 = true;
            }
        }
        if saw_429 {
            break;
        }
    }
    assert!(saw_429, "no request was turned away with 429");
    let metrics = watch.request("GET", "/metrics", &[], b"");
    assert!(metrics.body.contains("dragnet_watch_http_requests_total{status=\"429\"}"));
}

#[test]
fn health_and_metrics() {
    let (watch, _dir) = start("health", &[]);
    let health = watch.request("GET", "/healthz", &[], b"");
    assert_eq!(health.status, 200);
    assert_eq!(health.body.trim(), "ok");
    let body = jsonl(&[event("h1", 0, "USER_LOGIN", "a", "honeypot", false)]);
    assert_eq!(watch.post_events(TOKEN, body.as_bytes()).status, 200);
    let metrics = watch.request("GET", "/metrics", &[], b"");
    assert_eq!(metrics.status, 200);
    assert!(metrics.head.contains("text/plain; version=0.0.4"), "{}", metrics.head);
    for expected in [
        "dragnet_watch_events_total{input=\"http\"} 1",
        "dragnet_watch_detections_total{rule=\"honeypot_touch\"} 1",
        "# TYPE dragnet_watch_late_events_total counter",
        "# TYPE dragnet_watch_state_size gauge",
        "dragnet_watch_rules_loaded 4",
        "dragnet_watch_watermark_lag_seconds",
    ] {
        assert!(metrics.body.contains(expected), "missing {expected:?} in\n{}", metrics.body);
    }
}

#[test]
fn ingest_off_without_token() {
    let dir = temp_dir("no-token");
    std::fs::write(dir.join("rules.yaral"), crate::harness::RULES).unwrap();
    let rules = dir.join("rules.yaral").display().to_string();
    let watch = Watch::start(&dir.join("state"), &["--rules", &rules], &[]);
    let response = watch.post_events("anything", b"{}");
    assert_eq!(response.status, 403);
}

#[test]
fn token_from_environment() {
    let dir = temp_dir("env-token");
    std::fs::write(dir.join("rules.yaral"), crate::harness::RULES).unwrap();
    let rules = dir.join("rules.yaral").display().to_string();
    let watch = Watch::start(
        &dir.join("state"),
        &["--rules", &rules],
        &[("DRAGNET_WATCH_TOKEN", "from-env")],
    );
    let body = jsonl(&[event("e1", 0, "USER_LOGIN", "a", "web", false)]);
    assert_eq!(watch.post_events("from-env", body.as_bytes()).status, 200);
    assert_eq!(watch.post_events(TOKEN, body.as_bytes()).status, 401);
}

#[test]
fn idempotency_key_prevents_double_ingest() {
    let (watch, dir) = start("idempotency", &[]);
    let state = dir.join("state");
    let body = jsonl(&[event("i1", 0, "USER_LOGIN", "alice", "honeypot", false)]);
    let auth = format!("Bearer {TOKEN}");
    let headers = [("Authorization", auth.as_str()), ("Idempotency-Key", "batch-0001")];
    let first = watch.request("POST", "/v1/events", &headers, body.as_bytes());
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.json()["accepted"], 1);
    assert_eq!(first.json()["duplicate"], false);
    let again = watch.request("POST", "/v1/events", &headers, body.as_bytes());
    assert_eq!(again.json()["accepted"], 1);
    assert_eq!(again.json()["duplicate"], true);
    let metrics = watch.request("GET", "/metrics", &[], b"");
    assert!(
        metrics.body.contains("dragnet_watch_events_total{input=\"http\"} 1"),
        "{}",
        metrics.body
    );

    // The key outlives a crash.
    watch.kill();
    let token = dir.join("token").display().to_string();
    let output = dir.join("out.jsonl").display().to_string();
    let rules = dir.join("rules.yaral").display().to_string();
    let args = ["--rules", &rules, "--token-file", &token, "--output", &output];
    let watch = Watch::start(&state, &args, &[]);
    let after_crash = watch.request("POST", "/v1/events", &headers, body.as_bytes());
    assert_eq!(after_crash.json()["duplicate"], true);

    let bad_key = [("Authorization", auth.as_str()), ("Idempotency-Key", "")];
    let response = watch.request("POST", "/v1/events", &bad_key, body.as_bytes());
    assert_eq!(response.status, 400);
    assert!(response.json()["error"].as_str().unwrap().contains("Idempotency-Key"));
    assert!(watch.terminate().success());
    assert_eq!(crate::harness::ids_in(&dir.join("out.jsonl")).len(), 1);
}

/// Reads until the server closes the connection, or fails after `limit`.
fn read_until_closed(stream: &mut std::net::TcpStream, limit: Duration) -> String {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        match std::io::Read::read(stream, &mut buffer) {
            Ok(0) => break,
            Ok(read) => received.extend_from_slice(&buffer[..read]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the connection is still open after {limit:?}: {e}"),
        }
    }
    String::from_utf8_lossy(&received).into_owned()
}

#[test]
fn slow_headers_close_connection() {
    let (watch, _dir) = start("slow-headers", &["--header-read-timeout", "1s"]);
    let started = std::time::Instant::now();
    let mut half = std::net::TcpStream::connect(&watch.address).unwrap();
    let head = format!("POST /v1/events HTTP/1.1\r\nHost: {}\r\nContent-Le", watch.address);
    half.write_all(head.as_bytes()).unwrap();
    let mut silent = std::net::TcpStream::connect(&watch.address).unwrap();

    read_until_closed(&mut half, Duration::from_secs(10));
    read_until_closed(&mut silent, Duration::from_secs(10));
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());

    // The server still takes new connections.
    let health = watch.request("GET", "/healthz", &[], b"");
    assert_eq!(health.status, 200, "{health:?}");
}

#[test]
fn slow_body_gets_408() {
    let (watch, _dir) = start("slow-body", &["--body-read-timeout", "1s"]);
    let started = std::time::Instant::now();
    let mut stream = std::net::TcpStream::connect(&watch.address).unwrap();
    let head = format!(
        "POST /v1/events HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Length: 1000\r\n\r\n{{\"metadata\":",
        watch.address
    );
    stream.write_all(head.as_bytes()).unwrap();

    let response = read_until_closed(&mut stream, Duration::from_secs(10));
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("--body-read-timeout"), "{response}");
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    let metrics = watch.request("GET", "/metrics", &[], b"");
    assert!(
        metrics.body.contains("dragnet_watch_http_timeouts_total{phase=\"body\"} 1"),
        "{}",
        metrics.body
    );
}

#[test]
fn unsupported_encoding_gets_415() {
    let (watch, _dir) = start("encoding", &[]);
    let body = jsonl(&[event("b1", 0, "USER_LOGIN", "alice", "web", false)]);
    let auth = format!("Bearer {TOKEN}");
    for encoding in ["br", "deflate", "gzip, br"] {
        let headers = [("Authorization", auth.as_str()), ("Content-Encoding", encoding)];
        let response = watch.request("POST", "/v1/events", &headers, body.as_bytes());
        assert_eq!(response.status, 415, "{encoding}: {response:?}");
        let error = response.json()["error"].as_str().unwrap_or_default().to_owned();
        assert!(error.contains("Content-Encoding"), "{encoding}: {error}");
    }
    let headers = [("Authorization", auth.as_str()), ("Content-Encoding", "identity")];
    let response = watch.request("POST", "/v1/events", &headers, body.as_bytes());
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.json()["accepted"], 1);
}

#[test]
fn array_errors_name_element() {
    let (watch, dir) = start("array-element", &[]);
    let body = json!([
        event("y1", 0, "USER_LOGIN", "alice", "web", false),
        {"metadata": {"event_type": "USER_LOGIN", "product_log_id": "y2"}},
        event("y3", 10, "USER_LOGIN", "bob", "web", false),
    ]);
    let response = watch.post_events(TOKEN, body.to_string().as_bytes());
    assert_eq!(response.status, 200, "{response:?}");
    let json = response.json();
    assert_eq!(json["accepted"], 2, "{json}");
    assert_eq!(json["rejected"], 1, "{json}");
    let reason = json["errors"][0].as_str().unwrap();
    assert!(reason.starts_with("line 1: [1]: "), "{json}");
    let dead = std::fs::read_to_string(dir.join("state/dead-letter.jsonl")).unwrap();
    let entry: serde_json::Value = serde_json::from_str(dead.lines().next().unwrap()).unwrap();
    assert_eq!(entry["path"], "[1]", "{entry}");
    assert_eq!(entry["record"]["metadata"]["product_log_id"], "y2", "{entry}");

    // A malformed element is named the same way in a 400.
    let response = watch.post_events(TOKEN, b"[{\"a\": 1}, {\"a\": }, {\"a\": 3}]");
    assert_eq!(response.status, 400, "{response:?}");
    let json = response.json();
    let reason = json["errors"][0].as_str().unwrap();
    assert!(reason.starts_with("line 1: [1]: "), "{json}");
}

#[test]
fn request_admitted_in_time_order() {
    // A newest-first page: three blocked logins within 10 minutes, so `failed_logins_burst`
    // fires only if none of them is late against the newest one.
    let (watch, dir) = start("time-order", &["--allowed-lateness", "1m"]);
    let page = jsonl(&[
        event("n3", 480, "USER_LOGIN", "alice", "web", true),
        event("n2", 240, "USER_LOGIN", "alice", "web", true),
        event("n1", 0, "USER_LOGIN", "alice", "web", true),
    ]);
    let response = watch.post_events(TOKEN, page.as_bytes());
    assert_eq!(response.status, 200, "{response:?}");
    let json = response.json();
    assert_eq!(json["accepted"], 3, "{json}");
    assert_eq!(json["late"], 0, "{json}");

    // Events older than the watermark of earlier requests are still late, and the
    // dead-letter entry gives the line of the late event, not its place after sorting.
    let next = jsonl(&[
        event("n5", 600, "USER_LOGIN", "bob", "web", false),
        event("n4", 100, "USER_LOGIN", "bob", "web", false),
    ]);
    let response = watch.post_events(TOKEN, next.as_bytes());
    assert_eq!(response.status, 200, "{response:?}");
    let json = response.json();
    assert_eq!(json["accepted"], 1, "{json}");
    assert_eq!(json["late"], 1, "{json}");
    let dead = std::fs::read_to_string(dir.join("state/dead-letter.jsonl")).unwrap();
    let entry: serde_json::Value = serde_json::from_str(dead.lines().next().unwrap()).unwrap();
    assert_eq!(entry["reason"], "late", "{entry}");
    assert_eq!(entry["line"], 2, "{entry}");
    assert_eq!(entry["event"]["metadata"]["product_log_id"], "n4", "{entry}");

    let flush = jsonl(&[crate::harness::flush_event(600)]);
    assert_eq!(watch.post_events(TOKEN, flush.as_bytes()).status, 200);
    let out = dir.join("out.jsonl");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut text = String::new();
    while !text.contains("failed_logins_burst") && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        text = std::fs::read_to_string(&out).unwrap_or_default();
    }
    assert!(text.contains("failed_logins_burst"), "{text}");
}

#[test]
fn suppressions_match_hunt() {
    // A change window covers the honeypot touch at BASE + 0 and not the one two hours later.
    let dir = temp_dir("suppressions");
    let suppressions = dir.join("suppressions.toml");
    std::fs::write(&suppressions, crate::harness::HONEYPOT_CHANGE_WINDOW).unwrap();
    let events = [
        event("s1", 0, "USER_LOGIN", "alice", "honeypot", false),
        event("s2", 7200, "USER_LOGIN", "bob", "honeypot", false),
        crate::harness::flush_event(7200),
    ];
    let input = dir.join("events.jsonl");
    std::fs::write(&input, jsonl(&events)).unwrap();
    std::fs::write(dir.join("rules.yaral"), crate::harness::RULES).unwrap();
    let hunt = std::process::Command::new(env!("CARGO_BIN_EXE_dragnet"))
        .args(["hunt", "--output", "jsonl", "--rules"])
        .arg(dir.join("rules.yaral"))
        .arg("--suppressions")
        .arg(&suppressions)
        .arg(&input)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(hunt.status.success(), "{}", String::from_utf8_lossy(&hunt.stderr));
    let hunt_out = String::from_utf8_lossy(&hunt.stdout).into_owned();
    let hunt_ids: Vec<&str> = hunt_out.lines().collect();
    assert_eq!(hunt_ids.len(), 1, "{hunt_out}");
    assert!(hunt_out.contains("\"s2\""), "{hunt_out}");

    std::fs::write(dir.join("token"), format!("{TOKEN}\n")).unwrap();
    let rules = dir.join("rules.yaral").display().to_string();
    let token = dir.join("token").display().to_string();
    let output = dir.join("out.jsonl").display().to_string();
    let suppressions = suppressions.display().to_string();
    let args = [
        "--rules",
        &rules,
        "--token-file",
        &token,
        "--output",
        &output,
        "--suppressions",
        &suppressions,
    ];
    let watch = Watch::start(&dir.join("state"), &args, &[]);
    let response = watch.post_events(TOKEN, jsonl(&events).as_bytes());
    assert_eq!(response.status, 200, "{response:?}");
    let out = dir.join("out.jsonl");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while crate::harness::ids_in(&out).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let watch_out = std::fs::read_to_string(&out).unwrap();
    assert_eq!(watch_out.lines().count(), 1, "{watch_out}");
    assert!(watch_out.contains("\"s2\""), "{watch_out}");
    let hunt_id: serde_json::Value = serde_json::from_str(hunt_ids[0]).unwrap();
    assert_eq!(crate::harness::ids_in(&out), vec![hunt_id["id"].as_str().unwrap().to_owned()]);
    let metrics = watch.request("GET", "/metrics", &[], b"");
    assert!(metrics.body.contains("dragnet_watch_suppressed_total{"), "{}", metrics.body);
}

#[test]
fn late_and_future_name_element() {
    let (watch, dir) = start("element-place", &["--allowed-lateness", "1m"]);
    let body = json!([
        event("w1", 600, "USER_LOGIN", "alice", "web", false),
        event("w2", crate::harness::FAR_FUTURE, "USER_LOGIN", "alice", "web", false),
    ]);
    let response = watch.post_events(TOKEN, body.to_string().as_bytes());
    assert_eq!(response.status, 200, "{response:?}");
    let json = response.json();
    assert_eq!(json["accepted"], 1, "{json}");
    assert_eq!(json["rejected"], 1, "{json}");
    let reason = json["errors"][0].as_str().unwrap();
    assert!(reason.starts_with("line 1: [1]: event time "), "{json}");

    // The second line's export contains an event behind the watermark of the first request.
    let body = format!(
        "{}\n{}\n",
        event("w3", 620, "USER_LOGIN", "bob", "web", false),
        json!({"records": [event("w4", 0, "USER_LOGIN", "bob", "web", false)]}),
    );
    let response = watch.post_events(TOKEN, body.as_bytes());
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.json()["late"], 1, "{}", response.body);

    let dead = std::fs::read_to_string(dir.join("state/dead-letter.jsonl")).unwrap();
    let entries: Vec<serde_json::Value> =
        dead.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let future = entries.iter().find(|e| e["reason"] == "future").expect("a future entry");
    assert_eq!(future["line"], 1, "{future}");
    assert_eq!(future["path"], "[1]", "{future}");
    assert!(future["error"].as_str().unwrap().starts_with("[1]: event time "), "{future}");
    let late = entries.iter().find(|e| e["reason"] == "late").expect("a late entry");
    assert_eq!(late["line"], 2, "{late}");
    assert_eq!(late["path"], "records[0]", "{late}");
    assert_eq!(late["event"]["metadata"]["product_log_id"], "w4", "{late}");
    assert!(
        watch.wait_for_log("position=line 2: records[0]", Duration::from_secs(5)),
        "{}",
        watch.log()
    );
}
