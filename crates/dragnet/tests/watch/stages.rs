//! `dragnet watch --stage route` and `--stage correlate` against librdkafka's mock cluster,
//! each stage in its own processes: the detections must equal a hunt's and a single
//! process's, with events for one user spread over raw partitions, across rebalances and
//! across `kill -9`. Built only with the `kafka` feature.
//!
//! Events are produced in rounds, and each round waits until the route group has committed
//! the offsets produced so far. So the event times a stage reads never lag each other by more
//! than a round's span, which is below the allowed lateness, and no event is late whatever
//! the timing: the detections are deterministic.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use serde_json::Value;

use crate::harness::{
    counts, events, flush_event, hunt_ids, ids_in, jsonl, temp_dir, Rng, TestDir, Watch,
};
use crate::kafka::send;

const RAW: &str = "raw";
const SIGNALS: &str = "signals";
const RAW_PARTITIONS: i32 = 2;
const SIGNAL_PARTITIONS: i32 = 4;
/// Events per round: about 2,000 seconds of event time, under the allowed lateness.
const ROUND: usize = 100;
const LATENESS: &str = "1h";

/// A mock cluster with the raw and signals topics, rules, and the events with their hunt.
struct Setup {
    _cluster: MockCluster<'static, rdkafka::producer::DefaultProducerContext>,
    bootstrap: String,
    dir: TestDir,
    rules: PathBuf,
    events: Vec<Value>,
    expected: Vec<String>,
    produced: usize,
}

impl Setup {
    fn new(name: &str, seed: u64, count: usize) -> Setup {
        let cluster = MockCluster::new(1).unwrap();
        cluster.create_topic(RAW, RAW_PARTITIONS, 1).unwrap();
        cluster.create_topic(SIGNALS, SIGNAL_PARTITIONS, 1).unwrap();
        let bootstrap = cluster.bootstrap_servers();
        let dir = temp_dir(name);
        let rules = dir.join("rules.yaral");
        std::fs::write(&rules, crate::harness::RULES).unwrap();
        let mut rng = Rng::new(seed);
        let generated = events(&mut rng, &format!("{name}-"), 0, count);
        let last = generated.last().map_or(0, |(t, _)| *t);
        let mut in_order: Vec<Value> = generated.into_iter().map(|(_, e)| e).collect();
        let hunt_input = dir.join("hunt.jsonl");
        std::fs::write(&hunt_input, jsonl(&in_order)).unwrap();
        let mut expected = hunt_ids(&rules, &hunt_input);
        expected.sort();
        in_order.push(flush_event(last));
        Setup { _cluster: cluster, bootstrap, dir, rules, events: in_order, expected, produced: 0 }
    }

    fn rules_arg(&self) -> String {
        self.rules.to_str().unwrap().to_owned()
    }

    /// Starts a route process in group `route`.
    fn route(&self, name: &str) -> Watch {
        self.route_in(name, "route")
    }

    /// Starts a route process in `group`. A second group sends every signal a second time,
    /// with the same identities, as a crash of route between sending and committing would.
    fn route_in(&self, name: &str, group: &str) -> Watch {
        let rules = self.rules_arg();
        let args = [
            "--stage",
            "route",
            "--rules",
            &rules,
            "--kafka",
            &self.bootstrap,
            "--topic",
            RAW,
            "--group",
            group,
            "--signals-topic",
            SIGNALS,
        ];
        Watch::start(&self.dir.join(name), &args, &[])
    }

    /// Starts a correlate process in group `correlate`, writing to `NAME.jsonl`.
    fn correlate(&self, name: &str) -> Watch {
        let rules = self.rules_arg();
        let output = self.output(name);
        let args = [
            "--stage",
            "correlate",
            "--rules",
            &rules,
            "--kafka",
            &self.bootstrap,
            "--topic",
            SIGNALS,
            "--group",
            "correlate",
            "--allowed-lateness",
            LATENESS,
            "--output",
            output.to_str().unwrap(),
        ];
        Watch::start(&self.dir.join(name), &args, &[])
    }

    /// Starts a single-process watch over the raw topic in its own group.
    fn single(&self, name: &str) -> Watch {
        let rules = self.rules_arg();
        let output = self.output(name);
        let args = [
            "--rules",
            &rules,
            "--kafka",
            &self.bootstrap,
            "--topic",
            RAW,
            "--group",
            "single",
            "--allowed-lateness",
            LATENESS,
            "--output",
            output.to_str().unwrap(),
        ];
        Watch::start(&self.dir.join(name), &args, &[])
    }

    fn output(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.jsonl"))
    }

    /// Produces the next round, spreading every user over both raw partitions, without
    /// waiting for it to be read. Returns false when every event was produced.
    fn produce_round(&mut self) -> bool {
        let end = (self.produced + ROUND).min(self.events.len());
        if self.produced == end {
            return false;
        }
        let producer: BaseProducer =
            ClientConfig::new().set("bootstrap.servers", &self.bootstrap).create().unwrap();
        for (n, event) in self.events[self.produced..end].iter().enumerate() {
            let payload = event.to_string();
            let partition = ((self.produced + n) % RAW_PARTITIONS as usize) as i32;
            send(&producer, BaseRecord::<(), _>::to(RAW).partition(partition).payload(&payload));
        }
        producer.flush(Duration::from_secs(30)).unwrap();
        self.produced = end;
        true
    }

    /// Produces up to `rounds` rounds, waiting after each until every group in `groups` has
    /// committed all of the raw topic.
    fn produce_rounds(&mut self, rounds: usize, groups: &[&str], logs: &[&Watch]) {
        for _ in 0..rounds {
            if !self.produce_round() {
                return;
            }
            for group in groups {
                wait_for_commits(&self.bootstrap, group, RAW, RAW_PARTITIONS, logs);
            }
        }
    }

    fn produce_rest(&mut self, groups: &[&str], logs: &[&Watch]) {
        let rounds = self.events.len().div_ceil(ROUND);
        self.produce_rounds(rounds, groups, logs);
    }
}

/// Waits until `group` has committed every partition of `topic` up to its end.
fn wait_for_commits(bootstrap: &str, group: &str, topic: &str, partitions: i32, logs: &[&Watch]) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .create()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut tpl = TopicPartitionList::new();
        for partition in 0..partitions {
            tpl.add_partition(topic, partition);
        }
        let committed = consumer.committed_offsets(tpl, Duration::from_secs(10));
        let done = committed.is_ok_and(|committed| {
            (0..partitions).all(|partition| {
                let (_, high) =
                    consumer.fetch_watermarks(topic, partition, Duration::from_secs(10)).unwrap();
                let at = committed.find_partition(topic, partition).map(|e| e.offset());
                high == 0 || at == Some(Offset::Offset(high))
            })
        });
        if done {
            return;
        }
        if Instant::now() > deadline {
            let logs: Vec<String> = logs.iter().map(|w| w.log()).collect();
            panic!("group {group} did not commit {topic}; logs:\n{}", logs.join("\n----\n"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until the union of the outputs contains `expected` ids, then returns it sorted.
fn collect(outputs: &[PathBuf], expected: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let read = || -> Vec<String> { outputs.iter().flat_map(|p| ids_in(p)).collect() };
    while read().len() < expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Anything past the expected count would be a repeat; give it a moment to show.
    std::thread::sleep(Duration::from_millis(500));
    let mut ids = read();
    ids.sort();
    ids
}

fn assert_same(got: &[String], expected: &[String], what: &str, logs: &[&Watch]) {
    let repeated: Vec<String> =
        counts(got).into_iter().filter(|(_, n)| *n > 1).map(|(id, _)| id).collect();
    let logs = || logs.iter().map(|w| w.log()).collect::<Vec<_>>().join("\n----\n");
    assert!(repeated.is_empty(), "{what} repeated {repeated:?}; logs:\n{}", logs());
    assert_eq!(got, expected, "{what} and the hunt disagree; logs:\n{}", logs());
}

fn paths(dir: &Path, names: &[&str]) -> Vec<PathBuf> {
    names.iter().map(|n| dir.join(format!("{n}.jsonl"))).collect()
}

#[test]
fn kafka_stages_match_hunt_and_one_process() {
    let mut setup = Setup::new("stages-parity", 21, 1_500);
    let route_a = setup.route("route-a");
    let route_b = setup.route("route-b");
    let correlate_a = setup.correlate("correlate-a");
    let correlate_b = setup.correlate("correlate-b");
    let single = setup.single("single");
    setup.produce_rest(&["route", "single"], &[&route_a, &route_b, &single]);
    let expected = setup.expected.clone();
    assert!(!expected.is_empty(), "the events give no detection");

    let staged = collect(&paths(&setup.dir, &["correlate-a", "correlate-b"]), expected.len());
    let watches = [&route_a, &route_b, &correlate_a, &correlate_b];
    assert_same(&staged, &expected, "two correlate processes", &watches);
    let one = collect(&[setup.output("single")], expected.len());
    assert_same(&one, &expected, "the single process", &[&single]);
    // Both correlate processes took part.
    assert!(!ids_in(&setup.output("correlate-a")).is_empty(), "{}", correlate_a.log());
    assert!(!ids_in(&setup.output("correlate-b")).is_empty(), "{}", correlate_b.log());
    for watch in [route_a, route_b, correlate_a, correlate_b, single] {
        let log = watch.log();
        assert!(watch.terminate().success(), "{log}");
    }
}

#[test]
fn kafka_stages_survive_rebalance_and_kill() {
    let mut setup = Setup::new("stages-moves", 33, 1_500);
    let route = ["route"];
    let route_a = setup.route("route-a");
    let twin = setup.route_in("route-twin", "route-twin");
    let correlate_a = setup.correlate("correlate-a");
    setup.produce_rounds(4, &["route", "route-twin"], &[&route_a, &twin]);
    let log = twin.log();
    assert!(twin.terminate().success(), "{log}");
    wait_for_commits(&setup.bootstrap, "correlate", SIGNALS, SIGNAL_PARTITIONS, &[&correlate_a]);

    // A second correlate process takes half the partitions while their windows are open.
    let correlate_b = setup.correlate("correlate-b");
    assert!(
        correlate_b.wait_for_log("partition taken over", Duration::from_secs(60)),
        "{}",
        correlate_b.log()
    );
    setup.produce_rounds(3, &route, &[&route_a]);

    // The route process is killed while it reads a round, and restarted: it sends part of
    // the round again, which correlate drops.
    assert!(setup.produce_round());
    std::thread::sleep(Duration::from_millis(30));
    route_a.kill();
    let route_a = setup.route("route-a");
    wait_for_commits(&setup.bootstrap, "route", RAW, RAW_PARTITIONS, &[&route_a]);

    // A correlate process is killed, and restarted while its partitions are elsewhere.
    assert!(setup.produce_round());
    std::thread::sleep(Duration::from_millis(30));
    correlate_a.kill();
    setup.produce_rounds(2, &route, &[&route_a]);
    let correlate_a = setup.correlate("correlate-a");
    setup.produce_rounds(2, &route, &[&route_a]);

    // The second correlate process stops; the first takes all partitions back.
    let log = correlate_b.log();
    assert!(correlate_b.terminate().success(), "{log}");
    setup.produce_rest(&route, &[&route_a]);

    let expected = setup.expected.clone();
    let got = collect(&paths(&setup.dir, &["correlate-a", "correlate-b"]), expected.len());
    assert_same(&got, &expected, "correlate across moves", &[&route_a, &correlate_a]);
    assert!(correlate_a.log().contains("partition taken over"));
    for watch in [route_a, correlate_a] {
        let log = watch.log();
        assert!(watch.terminate().success(), "{log}");
    }
}

/// Polls the dead-letter file at `path` until it has `count` entries, then returns them.
fn dead_letters(path: &Path, count: usize, logs: &[&Watch]) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let entries: Vec<Value> =
            text.lines().map(|l| serde_json::from_str(l).expect("a dead letter is JSON")).collect();
        if entries.len() >= count {
            return entries;
        }
        if Instant::now() > deadline {
            let logs: Vec<String> = logs.iter().map(|w| w.log()).collect();
            panic!(
                "{} has {} entries, not {count}; logs:\n{}",
                path.display(),
                entries.len(),
                logs.join("\n----\n")
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn kafka_stages_reject_element_and_suppress() {
    use crate::harness::event;

    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic(RAW, 1, 1).unwrap();
    cluster.create_topic(SIGNALS, 2, 1).unwrap();
    let bootstrap = cluster.bootstrap_servers();
    let dir = temp_dir("stages-exports");
    let rules = dir.join("rules.yaral");
    std::fs::write(&rules, crate::harness::RULES).unwrap();
    // A change window covers the honeypot touch at BASE + 0 and not the one two hours later.
    let suppressions = dir.join("suppressions.toml");
    std::fs::write(&suppressions, crate::harness::HONEYPOT_CHANGE_WINDOW).unwrap();

    // Three blocked logins of alice within 10 minutes fire `failed_logins_burst` only if
    // every good element of both exports reaches correlate. Each export has one element
    // without an event time, which route must reject alone.
    let no_time = serde_json::json!({"metadata": {"event_type": "USER_LOGIN",
                                                  "product_log_id": "no-time"}});
    let array = serde_json::json!([
        event("x1", 0, "USER_LOGIN", "alice", "honeypot", true),
        no_time,
        event("x2", 60, "USER_LOGIN", "alice", "web", true),
    ]);
    let records = serde_json::json!({"records": [
        event("x3", 120, "USER_LOGIN", "alice", "web", true),
        event("x4", 7200, "USER_LOGIN", "bob", "honeypot", false),
        no_time,
    ]});
    // A newest-first page spanning more than the allowed lateness: carol's three blocked
    // logins give `failed_logins_burst` only if route sends them before her newest event.
    let page = serde_json::json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns",
        "value": [
            event("x8", 20_000, "USER_LOGIN", "carol", "web", false),
            event("x7", 16_240, "USER_LOGIN", "carol", "web", true),
            event("x6", 16_120, "USER_LOGIN", "carol", "web", true),
            event("x5", 16_000, "USER_LOGIN", "carol", "web", true),
        ],
    });
    let documents = [array, records, page, flush_event(20_000)];
    let hunt_input = dir.join("hunt.jsonl");
    std::fs::write(&hunt_input, jsonl(&documents)).unwrap();
    let hunt = std::process::Command::new(env!("CARGO_BIN_EXE_dragnet"))
        .args(["hunt", "--output", "jsonl", "--rules"])
        .arg(&rules)
        .arg("--suppressions")
        .arg(&suppressions)
        .arg(&hunt_input)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(hunt.status.success(), "{}", String::from_utf8_lossy(&hunt.stderr));
    let hunt_out = String::from_utf8_lossy(&hunt.stdout).into_owned();
    assert!(hunt_out.contains("failed_logins_burst"), "{hunt_out}");
    assert!(hunt_out.contains("\"x4\""), "{hunt_out}");
    assert!(hunt_out.contains("\"x5\""), "{hunt_out}");
    let mut expected: Vec<String> = hunt_out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    assert_eq!(expected.len(), 3, "{hunt_out}");

    let rules = rules.to_str().unwrap();
    let suppressions = suppressions.to_str().unwrap();
    let route_args = [
        "--stage",
        "route",
        "--rules",
        rules,
        "--suppressions",
        suppressions,
        "--kafka",
        &bootstrap,
        "--topic",
        RAW,
        "--group",
        "route",
        "--signals-topic",
        SIGNALS,
    ];
    let route = Watch::start(&dir.join("route"), &route_args, &[]);
    let output = dir.join("correlate.jsonl");
    let correlate_args = [
        "--stage",
        "correlate",
        "--rules",
        rules,
        "--suppressions",
        suppressions,
        "--kafka",
        &bootstrap,
        "--topic",
        SIGNALS,
        "--group",
        "correlate",
        "--allowed-lateness",
        LATENESS,
        "--output",
        output.to_str().unwrap(),
    ];
    let correlate = Watch::start(&dir.join("correlate"), &correlate_args, &[]);

    let producer: BaseProducer =
        ClientConfig::new().set("bootstrap.servers", &bootstrap).create().unwrap();
    for document in &documents {
        let payload = document.to_string();
        send(&producer, BaseRecord::<(), _>::to(RAW).partition(0).payload(&payload));
    }
    producer.flush(Duration::from_secs(30)).unwrap();

    let logs = [&route, &correlate];
    let got = collect(&[output], expected.len());
    assert_same(&got, &expected, "the stages with an export", &logs);
    assert!(
        correlate.wait_for_log("detection in a change window", Duration::from_secs(10)),
        "{}",
        correlate.log()
    );

    let entries = dead_letters(&dir.join("route/dead-letter.jsonl"), 2, &logs);
    assert_eq!(entries.len(), 2, "{entries:?}");
    for entry in &entries {
        assert_eq!(entry["reason"], "rejected", "{entry}");
        assert_eq!(entry["record"]["metadata"]["product_log_id"], "no-time", "{entry}");
    }
    assert_eq!(entries[0]["path"], "[1]", "{}", entries[0]);
    assert_eq!(entries[0]["offset"], 0, "{}", entries[0]);
    assert_eq!(entries[1]["path"], "records[2]", "{}", entries[1]);
    assert_eq!(entries[1]["offset"], 1, "{}", entries[1]);
    let correlate_dead =
        std::fs::read_to_string(dir.join("correlate/dead-letter.jsonl")).unwrap_or_default();
    assert!(!correlate_dead.contains("\"late\""), "no event may be late: {correlate_dead}");
    for watch in [route, correlate] {
        let log = watch.log();
        assert!(watch.terminate().success(), "{log}");
    }
}
