//! Sharding a hunt by time range: hunts over adjacent `--from`/`--to` ranges, put together,
//! must report exactly the detections of one hunt over the whole range, with the same ids.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn dragnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dragnet"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the dragnet binary runs")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dragnet-shard-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("temp dir is writable");
    dir
}

/// The detection ids of a hunt, with its extra arguments, in output order.
fn hunt_ids(extra: &[&str]) -> Vec<String> {
    let mut args = vec!["hunt", "--output", "jsonl", "--no-progress"];
    args.extend_from_slice(extra);
    let output = dragnet(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "hunt {extra:?} failed: {stderr}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let detection: Value = serde_json::from_str(line).expect("a JSON detection");
            detection["id"].as_str().expect("an id").to_owned()
        })
        .collect()
}

/// Runs the shards `[start, s1)`, `[s1, s2)`, ..., `[sn, end)` and returns their ids, shard
/// after shard.
fn sharded_ids(start: &str, splits: &[&str], end: &str, extra: &[&str]) -> Vec<String> {
    let mut bounds = vec![start];
    bounds.extend_from_slice(splits);
    bounds.push(end);
    let mut ids = Vec::new();
    for pair in bounds.windows(2) {
        let [from, to] = pair else { continue };
        let mut args = vec!["--from", from, "--to", to];
        args.extend_from_slice(extra);
        ids.extend(hunt_ids(&args));
    }
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[test]
fn demo_shards_equal_whole_hunt() {
    let whole = hunt_ids(&[]);
    assert!(whole.len() >= 8, "the demo gives its detections: {whole:?}");
    // Split points inside the open hop windows of the exfiltration (13:24 to 14:24), inside the
    // cross-SaaS windows (10:24 to 14:24), and at the credential misuse.
    let splits: [&[&str]; 4] = [
        &["2025-06-10T13:50:00Z"],
        &["2025-06-10T12:00:00Z", "2025-06-10T14:00:00Z"],
        &["2025-06-10T13:45:00Z", "2025-06-10T14:15:07Z", "2025-06-10T15:00:00Z"],
        &["2025-06-10T10:30:00Z", "2025-06-10T13:58:47Z", "2025-06-10T14:50:00Z"],
    ];
    for points in splits {
        let shards = sharded_ids("2025-06-01", points, "2025-07-01", &[]);
        assert_eq!(sorted(shards), sorted(whole.clone()), "split at {points:?}");
    }
}

/// Writes native UDM logins of a few users at irregular times over six hours, in time order.
fn write_synthetic(path: &Path) {
    let mut text = String::new();
    let start = 1_790_000_000i64;
    let mut time = start;
    for i in 0..1500u64 {
        // A pseudo-random gap of 0 to 59 seconds, so bursts and gaps cross every split point.
        time += ((i * 7919 + 13) % 60) as i64;
        let user = ["ann", "bo", "cy", "di", "ed"][(i * 31 % 5) as usize];
        let kind = if i % 3 == 0 { "FILE_READ" } else { "USER_LOGIN" };
        let stamp = chrono::DateTime::from_timestamp(time, 0).unwrap().to_rfc3339();
        text.push_str(&format!(
            "{{\"metadata\":{{\"event_type\":\"{kind}\",\"log_type\":\"OKTA\",\
             \"product_log_id\":\"ev-{i}\",\"event_timestamp\":\"{stamp}\"}},\
             \"principal\":{{\"user\":{{\"userid\":\"{user}\"}},\"ip\":[\"10.0.0.{}\"]}}}}\n",
            i % 7
        ));
    }
    fs::write(path, text).unwrap();
}

const SYNTHETIC_RULE: &str = r#"
rule burst_of_logins {
  meta:
    severity = "Low"
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $e.principal.user.userid = $user
  match:
    $user over 10m
  outcome:
    $ips = array_distinct($e.principal.ip)
  condition:
    #e >= 12
}

rule login_then_read {
  meta:
    severity = "Low"
  events:
    $login.metadata.event_type = "USER_LOGIN"
    $login.principal.user.userid = $user
    $read.metadata.event_type = "FILE_READ"
    $read.principal.user.userid = $user
    $login.metadata.event_timestamp.seconds < $read.metadata.event_timestamp.seconds
  match:
    $user over 5m after $login
  condition:
    $login and $read
}
"#;

#[test]
fn synthetic_shards_equal_whole_hunt() {
    let dir = temp_dir("synthetic");
    let logs = dir.join("events.jsonl");
    write_synthetic(&logs);
    let rules = dir.join("rules.yaral");
    fs::write(&rules, SYNTHETIC_RULE).unwrap();
    let logs = logs.to_str().unwrap();
    let rules = rules.to_str().unwrap();
    let extra = ["--rules", rules, logs];
    let whole = hunt_ids(&extra);
    assert!(whole.len() > 20, "the synthetic data gives detections: {}", whole.len());
    // 1_790_000_000 is 2026-09-21T14:13:20Z; the data runs about six hours from then.
    let splits: [&[&str]; 3] = [
        &["2026-09-21T15:00:00Z"],
        &["2026-09-21T15:03:17Z", "2026-09-21T16:41:05Z", "2026-09-21T18:00:30Z"],
        &["2026-09-21T14:20:00Z", "2026-09-21T14:25:00Z", "2026-09-21T14:30:00Z"],
    ];
    for points in splits {
        let shards = sharded_ids("2026-09-21", points, "2026-09-23", &extra);
        assert_eq!(sorted(shards), sorted(whole.clone()), "split at {points:?}");
    }
    let _ = fs::remove_dir_all(&dir);
}
