//! Sustained HTTP ingest into `dragnet watch` on loopback, with detection latency
//! percentiles.
//!
//! Run with `cargo bench -p dragnet --bench watch_ingest [-- SECONDS CLIENTS BATCH [RULES]]`
//! (defaults: 20 seconds, 2 clients, 500 events per request, and RULES `all`; `single` loads
//! only the single-event rule). The bench starts the release
//! binary with a fresh state folder, posts events stamped with the current time from
//! `CLIENTS` threads for `SECONDS`, and tails the output file. Latency is measured from the
//! wall clock:
//!
//! - single-event rule: from sending the request that contains the event to the detection
//!   appearing in the output file;
//! - windowed rule (hop windows of one minute): from the moment the window can close (its end
//!   plus the allowed lateness, since event times are wall-clock times) to the detection
//!   appearing. Only windows that close during the load count; the first windows that close
//!   hold only the events posted since the start.
//!
//! It prints a Markdown table for the benchmark page.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

const SINGLE_EVENT_RULE: &str = r#"
rule bench_honeypot {
  events:
    $e.target.hostname = "honeypot"
  condition:
    $e
}
"#;

const WINDOWED_RULE: &str = r#"
rule bench_burst {
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $e.security_result.action = "BLOCK"
    $user = $e.principal.user.userid
  match:
    $user over 1m
  condition:
    #e >= 20
}
"#;

const TOKEN: &str = "bench-token";
const LATENESS_SECONDS: f64 = 2.0;

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
}

fn rfc3339(seconds: f64) -> String {
    let whole = seconds.floor() as i64;
    let nanos = ((seconds - whole as f64) * 1e9) as u32;
    chrono::DateTime::from_timestamp(whole, nanos).unwrap().to_rfc3339()
}

fn post(address: &str, body: &[u8]) -> (u16, Value) {
    let mut stream = TcpStream::connect(address).expect("watch accepts connections");
    let head = format!(
        "POST /v1/events HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Connection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body));
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let seconds: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(20);
    let clients: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2);
    let batch: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(500);
    let windowed_too = args.get(3).is_none_or(|a| a != "single");
    let rules = if windowed_too {
        format!("{SINGLE_EVENT_RULE}{WINDOWED_RULE}")
    } else {
        SINGLE_EVENT_RULE.to_owned()
    };

    let dir = std::env::temp_dir().join(format!("dragnet-watch-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("rules.yaral"), rules).unwrap();
    std::fs::write(dir.join("token"), TOKEN).unwrap();
    let output = dir.join("out.jsonl");
    std::fs::File::create(&output).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dragnet"))
        .arg("watch")
        .arg("--rules")
        .arg(dir.join("rules.yaral"))
        .arg("--token-file")
        .arg(dir.join("token"))
        .arg("--state")
        .arg(dir.join("state"))
        .args(["--listen", "127.0.0.1:0", "--allowed-lateness", "2s", "--queue", "256"])
        .arg("--output")
        .arg(&output)
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("dragnet watch starts");
    let mut address = String::new();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap_or(0) > 0 {
        if let Some(at) = line.find("address=") {
            address = line[at + 8..].split_whitespace().next().unwrap_or("").to_owned();
            break;
        }
        line.clear();
    }
    assert!(!address.is_empty(), "watch did not start listening");
    std::thread::spawn(move || for _ in stderr.lines() {});

    // When each honeypot event was sent, by its id.
    let sent: Arc<Mutex<HashMap<String, f64>>> = Arc::default();
    let accepted = Arc::new(AtomicU64::new(0));
    let rejected_429 = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));

    // Tail the output file and note when each detection appears.
    let appeared: Arc<Mutex<Vec<(Value, f64)>>> = Arc::default();
    let tail = {
        let appeared = Arc::clone(&appeared);
        let output = output.clone();
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut file = std::fs::File::open(&output).unwrap();
            let mut pending = String::new();
            let mut quiet_since = Instant::now();
            loop {
                let mut chunk = String::new();
                file.read_to_string(&mut chunk).unwrap();
                let at = now();
                if chunk.is_empty() {
                    if stop.load(Ordering::Acquire)
                        && quiet_since.elapsed() > Duration::from_secs(8)
                    {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                }
                quiet_since = Instant::now();
                pending.push_str(&chunk);
                while let Some(end) = pending.find('\n') {
                    let line: String = pending.drain(..=end).collect();
                    if let Ok(value) = serde_json::from_str::<Value>(&line) {
                        appeared.lock().unwrap().push((value, at));
                    }
                }
            }
        })
    };

    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|client| {
            let address = address.clone();
            let sent = Arc::clone(&sent);
            let accepted = Arc::clone(&accepted);
            let rejected_429 = Arc::clone(&rejected_429);
            let mut counter = 0u64;
            std::thread::spawn(move || {
                let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ (client as u64 + 1);
                let mut random = move |n: u64| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed % n
                };
                while started.elapsed() < Duration::from_secs(seconds) {
                    let at = now();
                    let mut body = String::with_capacity(batch * 300);
                    let mut honeypots = Vec::new();
                    for _ in 0..batch {
                        counter += 1;
                        let id = format!("c{client}-{counter}");
                        let user = format!("user{}", random(200));
                        let kind = if random(4) == 0 { "NETWORK_HTTP" } else { "USER_LOGIN" };
                        let host = if random(1000) == 0 { "honeypot" } else { "web" };
                        if host == "honeypot" {
                            honeypots.push(id.clone());
                        }
                        let mut event = json!({
                            "metadata": {"event_timestamp": rfc3339(at), "event_type": kind,
                                         "product_log_id": id, "log_type": "BENCH"},
                            "principal": {"user": {"userid": user}},
                            "target": {"hostname": host},
                        });
                        if random(2) == 0 {
                            event["security_result"] = json!([{"action": ["BLOCK"]}]);
                        }
                        body.push_str(&event.to_string());
                        body.push('\n');
                    }
                    {
                        let mut sent = sent.lock().unwrap();
                        for id in honeypots {
                            sent.insert(id, at);
                        }
                    }
                    let (status, response) = post(&address, body.as_bytes());
                    match status {
                        200 => {
                            accepted.fetch_add(
                                response["accepted"].as_u64().unwrap_or(0),
                                Ordering::Relaxed,
                            );
                        }
                        429 => {
                            rejected_429.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        other => panic!("unexpected status {other}: {response}"),
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let load_end = now();
    // One last event a minute ahead closes every window still open.
    let flush = json!({"metadata": {"event_timestamp": rfc3339(now() + 60.0),
                       "event_type": "GENERIC_EVENT", "product_log_id": "flush"}});
    post(&address, format!("{flush}\n").as_bytes());
    stop.store(true, Ordering::Release);
    tail.join().unwrap();
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();

    let sent = sent.lock().unwrap();
    let mut per_rule: std::collections::BTreeMap<String, usize> = Default::default();
    for (detection, _) in appeared.lock().unwrap().iter() {
        let rule = detection["rule"]["name"].as_str().unwrap_or("").to_owned();
        *per_rule.entry(rule).or_default() += 1;
    }
    let expected_rules: &[&str] =
        if windowed_too { &["bench_honeypot", "bench_burst"] } else { &["bench_honeypot"] };
    for &rule in expected_rules {
        assert!(per_rule.contains_key(rule), "no detection of {rule}; did it compile?");
    }
    let mut single = Vec::new();
    let mut windowed = Vec::new();
    for (detection, at) in appeared.lock().unwrap().iter() {
        if detection["rule"]["name"] == "bench_honeypot" {
            let id =
                detection["events"]["e"][0]["metadata"]["product_log_id"].as_str().unwrap_or("");
            if let Some(sent_at) = sent.get(id) {
                single.push((at - sent_at) * 1000.0);
            }
        } else if let Some(end) = detection["time_window"]["end"].as_str() {
            let end = chrono::DateTime::parse_from_rfc3339(end).unwrap();
            let closes = end.timestamp() as f64
                + f64::from(end.timestamp_subsec_nanos()) / 1e9
                + LATENESS_SECONDS;
            // Windows closed by the final flush event are not live latency.
            if closes <= load_end {
                windowed.push((at - closes) * 1000.0);
            }
        }
    }
    single.sort_by(f64::total_cmp);
    windowed.sort_by(f64::total_cmp);
    let total = accepted.load(Ordering::Relaxed);
    println!("| measure | value |");
    println!("|---|---|");
    println!("| duration | {elapsed:.1} s, {clients} clients, {batch} events per request |");
    println!("| events accepted | {total} ({:.0} events/s) |", total as f64 / elapsed);
    println!("| requests answered 429 | {} |", rejected_429.load(Ordering::Relaxed));
    for (rule, count) in &per_rule {
        println!("| detections of `{rule}` | {count} |");
    }
    let mut series = vec![("single-event rule", &single)];
    if windowed_too {
        series.push(("windowed rule", &windowed));
    }
    for (name, values) in series {
        println!(
            "| {name} latency, ms (n={}) | p50 {:.1}, p90 {:.1}, p99 {:.1}, max {:.1} |",
            values.len(),
            percentile(values, 50.0),
            percentile(values, 90.0),
            percentile(values, 99.0),
            values.last().copied().unwrap_or(f64::NAN),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
