//! Crash recovery: `dragnet watch` killed with SIGKILL at random points while a file it
//! follows grows, restarted each time, gives the same detections as an uninterrupted run:
//! none lost, none repeated.

use std::io::Write;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::harness::{
    counts, event, events, flush_event, ids_in, jsonl, shuffle_within, temp_dir, try_http_request,
    Rng, Watch, BASE, FAR_FUTURE,
};

const EVENTS: usize = 6_000;

#[test]
fn kill_and_restart_loses_and_repeats_nothing() {
    let dir = temp_dir("recovery");
    let rules = dir.join("rules.yaral");
    std::fs::write(&rules, crate::harness::RULES).unwrap();
    let mut rng = Rng::new(7);
    let generated = events(&mut rng, "k-", 0, EVENTS);
    let last = generated.last().map_or(0, |(t, _)| *t);
    let mut arrival = shuffle_within(&mut rng, &generated, 120);
    arrival.push(flush_event(last));
    let lines: Vec<String> = arrival.iter().map(|e| format!("{e}\n")).collect();

    // The uninterrupted run reads the same lines from standard input.
    let all = dir.join("all.jsonl");
    std::fs::write(&all, jsonl(&arrival)).unwrap();
    let reference_out = dir.join("reference.jsonl");
    let args = |out: &std::path::Path| {
        vec![
            "--rules".to_owned(),
            rules.display().to_string(),
            "--allowed-lateness".to_owned(),
            "2m".to_owned(),
            "--output".to_owned(),
            out.display().to_string(),
        ]
    };
    let reference_args = [args(&reference_out), vec!["--follow".into(), "-".into()]].concat();
    let reference_args: Vec<&str> = reference_args.iter().map(String::as_str).collect();
    let reference = Watch::start_with_stdin(
        &dir.join("reference-state"),
        &reference_args,
        &[],
        Stdio::from(std::fs::File::open(&all).unwrap()),
    );
    let (status, log) = reference.wait(Duration::from_secs(120));
    assert!(status.success(), "{log}");
    let expected = ids_in(&reference_out);
    assert!(expected.len() > 100, "too few detections to test with: {}", expected.len());
    assert!(counts(&expected).values().all(|&n| n == 1), "the reference repeats a detection");

    // The crashing run follows a file that a writer thread fills while the service is
    // killed and restarted.
    let followed = dir.join("events.jsonl");
    std::fs::File::create(&followed).unwrap();
    let writer = {
        let followed = followed.clone();
        let lines = lines.clone();
        std::thread::spawn(move || {
            let mut file = std::fs::OpenOptions::new().append(true).open(&followed).unwrap();
            let mut rng = Rng::new(99);
            for chunk in lines.chunks(150) {
                // Write each chunk in two parts, so that the reader sometimes meets half a line.
                let text = chunk.concat();
                let cut = rng.below(text.len() as u64) as usize;
                file.write_all(&text.as_bytes()[..cut]).unwrap();
                file.flush().unwrap();
                std::thread::sleep(Duration::from_millis(2));
                file.write_all(&text.as_bytes()[cut..]).unwrap();
                file.flush().unwrap();
                std::thread::sleep(Duration::from_millis(10 + rng.below(20)));
            }
        })
    };
    let output = dir.join("out.jsonl");
    let run_args =
        [args(&output), vec!["--follow".into(), followed.display().to_string()]].concat();
    let run_args: Vec<&str> = run_args.iter().map(String::as_str).collect();
    let state = dir.join("state");
    let mut kill_rng = Rng::new(2024);
    let mut kills = 0;
    let mut watch = Watch::start(&state, &run_args, &[]);
    while kills < 8 {
        std::thread::sleep(Duration::from_millis(100 + kill_rng.below(700)));
        watch.kill();
        kills += 1;
        watch = Watch::start(&state, &run_args, &[]);
    }
    writer.join().unwrap();

    let deadline = Instant::now() + Duration::from_secs(120);
    while ids_in(&output).len() < expected.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Give a repeat, if there were one, time to show.
    std::thread::sleep(Duration::from_millis(500));
    let log = watch.log();
    let status = watch.terminate();
    assert!(status.success(), "{log}");

    let got = ids_in(&output);
    let repeated: Vec<_> = counts(&got).into_iter().filter(|(_, n)| *n > 1).collect();
    assert!(repeated.is_empty(), "repeated after {kills} kills: {repeated:?}");
    let mut got_sorted = got.clone();
    got_sorted.sort();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    let missing: Vec<_> = expected_sorted.iter().filter(|id| !got_sorted.contains(id)).collect();
    let extra: Vec<_> = got_sorted.iter().filter(|id| !expected_sorted.contains(id)).collect();
    assert!(missing.is_empty(), "lost after {kills} kills: {missing:?}");
    assert!(extra.is_empty(), "not in the uninterrupted run: {extra:?}");
    let dead = std::fs::read_to_string(state.join("dead-letter.jsonl")).unwrap_or_default();
    assert!(!dead.contains("\"late\""), "no event may be late: {dead}");
}

/// Runs `dragnet watch` over `arrival` from standard input, uninterrupted, and returns the
/// detection ids.
fn reference_ids(
    dir: &std::path::Path,
    rules: &std::path::Path,
    arrival: &[serde_json::Value],
) -> Vec<String> {
    let all = dir.join("all.jsonl");
    std::fs::write(&all, jsonl(arrival)).unwrap();
    let output = dir.join("reference.jsonl");
    let args = [
        "--rules",
        rules.to_str().unwrap(),
        "--allowed-lateness",
        "2m",
        "--output",
        output.to_str().unwrap(),
        "--follow",
        "-",
    ];
    let watch = Watch::start_with_stdin(
        &dir.join("reference-state"),
        &args,
        &[],
        Stdio::from(std::fs::File::open(&all).unwrap()),
    );
    let (status, log) = watch.wait(Duration::from_secs(120));
    assert!(status.success(), "{log}");
    ids_in(&output)
}

#[test]
fn kill_during_http_ingest_with_resends() {
    let dir = temp_dir("recovery-http");
    let rules = dir.join("rules.yaral");
    std::fs::write(&rules, crate::harness::RULES).unwrap();
    std::fs::write(dir.join("token"), "tok").unwrap();
    let mut rng = Rng::new(31);
    let generated = events(&mut rng, "h-", 0, 4_000);
    let last = generated.last().map_or(0, |(t, _)| *t);
    let mut arrival = shuffle_within(&mut rng, &generated, 120);
    arrival.push(flush_event(last));
    let mut expected = reference_ids(&dir, &rules, &arrival);
    expected.sort();
    assert!(expected.len() > 100, "too few detections to test with: {}", expected.len());

    // A fixed port, so that the client finds each restarted process.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("127.0.0.1:{port}");
    let output = dir.join("out.jsonl");
    let token = dir.join("token");
    let args = [
        "--rules",
        rules.to_str().unwrap(),
        "--token-file",
        token.to_str().unwrap(),
        "--allowed-lateness",
        "2m",
        "--output",
        output.to_str().unwrap(),
    ];
    let state = dir.join("state");
    let start = || Watch::start_on(&address, &state, &args, &[], Stdio::null());

    // The client sends each chunk with its own idempotency key until it gets a 200, as a
    // client that cannot tell whether a request was committed must.
    let done = Arc::new(AtomicBool::new(false));
    let client = {
        let chunks: Vec<String> = arrival.chunks(50).map(jsonl).collect();
        let address = address.clone();
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut resends = 0;
            for (i, chunk) in chunks.iter().enumerate() {
                let key = format!("chunk-{i}");
                let headers = [("Authorization", "Bearer tok"), ("Idempotency-Key", key.as_str())];
                loop {
                    match try_http_request(&address, &headers, chunk.as_bytes()) {
                        Some(response) if response.status == 200 => break,
                        _ => {
                            resends += 1;
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                }
            }
            done.store(true, Ordering::Release);
            resends
        })
    };
    let mut kill_rng = Rng::new(77);
    let mut watch = start();
    let mut kills = 0;
    while !done.load(Ordering::Acquire) && kills < 8 {
        std::thread::sleep(Duration::from_millis(150 + kill_rng.below(500)));
        watch.kill();
        kills += 1;
        watch = start();
    }
    let resends = client.join().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while ids_in(&output).len() < expected.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let log = watch.log();
    assert!(watch.terminate().success(), "{log}");
    assert!(kills > 0, "the service was never killed");
    assert!(resends > 0, "no request had to be resent after {kills} kills");

    let got = ids_in(&output);
    let repeated: Vec<_> = counts(&got).into_iter().filter(|(_, n)| *n > 1).collect();
    assert!(
        repeated.is_empty(),
        "repeated after {kills} kills and {resends} resends: {repeated:?}"
    );
    let mut got_sorted = got;
    got_sorted.sort();
    assert_eq!(got_sorted, expected, "after {kills} kills and {resends} resends");
}

/// Reads the dead-letter entries with `reason` from a state folder's dead-letter file.
fn dead_letters(state: &std::path::Path, reason: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(state.join("dead-letter.jsonl")).unwrap_or_default();
    text.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|entry| entry["reason"] == reason)
        .collect()
}

/// Waits until `/metrics` of `watch` contains `text`, and returns whether it did.
fn wait_for_metric(watch: &Watch, text: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if watch.request("GET", "/metrics", &[], b"").body.contains(text) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn future_rejection_survives_kill() {
    let dir = temp_dir("future-kill");
    let rules = dir.join("rules.yaral");
    std::fs::write(&rules, crate::harness::RULES).unwrap();
    let input = dir.join("in.jsonl");
    let output = dir.join("out.jsonl");
    let state = dir.join("state");
    let mut lines = vec![event("f0", FAR_FUTURE, "USER_LOGIN", "carol", "web", true)];
    lines.extend(
        (0..3).map(|i| event(&format!("c{i}"), i * 10, "USER_LOGIN", "carol", "web", true)),
    );
    std::fs::write(&input, jsonl(&lines)).unwrap();
    let args = [
        "--rules",
        rules.to_str().unwrap(),
        "--follow",
        input.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ];

    let watch = Watch::start(&state, &args, &[]);
    let watermark = format!("dragnet_watch_watermark_seconds {}", BASE + 20 - 60);
    assert!(wait_for_metric(&watch, &watermark), "{}", watch.log());
    let future =
        format!("dragnet_watch_future_events_total{{input=\"file:{}\"}} 1", input.display());
    assert!(wait_for_metric(&watch, &future), "{}", watch.log());
    assert_eq!(dead_letters(&state, "future").len(), 1);
    watch.kill();

    // The rejection was committed with the file position, so the restart neither reads the
    // event again nor finds a damaged watermark, and the open window still fires.
    let watch = Watch::start(&state, &args, &[]);
    assert!(watch.log().contains("replayed=3"), "{}", watch.log());
    let mut file = std::fs::OpenOptions::new().append(true).open(&input).unwrap();
    file.write_all(jsonl(&[event("c9", 7200, "GENERIC_EVENT", "", "", false)]).as_bytes()).unwrap();
    drop(file);
    let watermark = format!("dragnet_watch_watermark_seconds {}", BASE + 7200 - 60);
    assert!(wait_for_metric(&watch, &watermark), "{}", watch.log());
    let deadline = Instant::now() + Duration::from_secs(30);
    while ids_in(&output).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(&output).unwrap_or_default();
    assert!(text.contains("failed_logins_burst"), "{text}");
    assert!(!watch.log().contains("more than --max-future ahead"), "{}", watch.log());

    let entries = dead_letters(&state, "future");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["offset"], 0);
    assert_eq!(entries[0]["event"]["metadata"]["product_log_id"], "f0");
    assert!(dead_letters(&state, "late").is_empty());
}

#[test]
fn damaged_watermark_repaired_at_start() {
    let dir = temp_dir("future-repair");
    let rules = dir.join("rules.yaral");
    std::fs::write(&rules, crate::harness::RULES).unwrap();
    let token = dir.join("token");
    std::fs::write(&token, "tok").unwrap();
    let output = dir.join("out.jsonl");
    let state = dir.join("state");
    let args = [
        "--rules",
        rules.to_str().unwrap(),
        "--token-file",
        token.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ];

    // A limit of about 8200 years accepts the far-future event, as the service did before it
    // had a limit, and every later event is late.
    let mut unlimited = args.to_vec();
    unlimited.extend(["--max-future", "3000000d"]);
    let watch = Watch::start(&state, &unlimited, &[]);
    let future = jsonl(&[event("f0", FAR_FUTURE, "USER_LOGIN", "carol", "web", true)]);
    assert_eq!(watch.post_events("tok", future.as_bytes()).json()["accepted"], 1);
    let normal = jsonl(&[event("n0", 0, "USER_LOGIN", "carol", "web", true)]);
    assert_eq!(watch.post_events("tok", normal.as_bytes()).json()["late"], 1);
    watch.kill();

    // With the default limit the start drops the stored event and lowers the watermark.
    let watch = Watch::start(&state, &args, &[]);
    let log = watch.log();
    assert!(log.contains("stored latest event time is more than --max-future ahead"), "{log}");
    assert!(log.contains("dropped_events=1"), "{log}");
    assert!(log.contains("replayed=0"), "{log}");
    let mut burst: Vec<_> = (0..3)
        .map(|i| event(&format!("c{i}"), i * 10, "USER_LOGIN", "carol", "web", true))
        .collect();
    burst.push(event("c9", 7200, "GENERIC_EVENT", "", "", false));
    let response = watch.post_events("tok", jsonl(&burst).as_bytes());
    assert_eq!(response.json()["accepted"], 4, "{}", response.body);
    assert_eq!(response.json()["late"], 0, "{}", response.body);
    let deadline = Instant::now() + Duration::from_secs(30);
    while ids_in(&output).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(&output).unwrap_or_default();
    assert!(text.contains("failed_logins_burst"), "{text}");
    let watermark = format!("dragnet_watch_watermark_seconds {}", BASE + 7200 - 60);
    assert!(wait_for_metric(&watch, &watermark), "{}", watch.log());

    let entries = dead_letters(&state, "future");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["input"], "state");
    assert_eq!(entries[0]["event"]["metadata"]["product_log_id"], "f0");
    watch.kill();

    // The repair was committed, so a second start finds nothing to repair.
    let watch = Watch::start(&state, &args, &[]);
    assert!(!watch.log().contains("more than --max-future ahead"), "{}", watch.log());
    assert_eq!(dead_letters(&state, "future").len(), 1);
}
