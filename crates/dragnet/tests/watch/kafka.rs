//! Kafka input and output against librdkafka's mock cluster, started in this process: real
//! Kafka protocol on loopback, with `dragnet watch` in its own process as a group member.
//! Built only with the `kafka` feature.

use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::Value;

use crate::harness::{counts, events, flush_event, hunt_ids, ids_in, jsonl, temp_dir, Rng, Watch};

fn produce(bootstrap: &str, topic: &str, events: &[Value]) {
    let producer: BaseProducer =
        ClientConfig::new().set("bootstrap.servers", bootstrap).create().unwrap();
    for event in events {
        let payload = event.to_string();
        let key = event["principal"]["user"]["userid"].as_str().unwrap_or("").to_owned();
        send(&producer, BaseRecord::to(topic).key(&key).payload(&payload));
    }
    producer.flush(Duration::from_secs(30)).unwrap();
}

/// Queues a record, waiting while the producer's queue is full.
pub fn send<K, P>(producer: &BaseProducer, mut record: BaseRecord<'_, K, P>)
where
    K: rdkafka::message::ToBytes + ?Sized,
    P: rdkafka::message::ToBytes + ?Sized,
{
    loop {
        match producer.send(record) {
            Ok(()) => return,
            Err((_, back)) => {
                producer.poll(Duration::from_millis(10));
                record = back;
            }
        }
    }
}

#[test]
fn kafka_consumer_survives_kill_and_produces() {
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("events", 1, 1).unwrap();
    cluster.create_topic("detections", 1, 1).unwrap();
    let bootstrap = cluster.bootstrap_servers();

    let dir = temp_dir("kafka");
    let rules = dir.join("rules.yaral");
    std::fs::write(&rules, crate::harness::RULES).unwrap();
    let mut rng = Rng::new(11);
    let generated = events(&mut rng, "kf-", 0, 3_000);
    let last = generated.last().map_or(0, |(t, _)| *t);
    let mut in_order: Vec<Value> = generated.iter().map(|(_, e)| e.clone()).collect();
    let hunt_input = dir.join("hunt.jsonl");
    std::fs::write(&hunt_input, jsonl(&in_order)).unwrap();
    let mut expected = hunt_ids(&rules, &hunt_input);
    expected.sort();
    in_order.push(flush_event(last));

    let output = dir.join("out.jsonl");
    let args = [
        "--rules",
        rules.to_str().unwrap(),
        "--kafka",
        &bootstrap,
        "--topic",
        "events",
        "--group",
        "dragnet",
        "--kafka-output",
        "detections",
        "--output",
        output.to_str().unwrap(),
    ];
    let state = dir.join("state");
    let half = in_order.len() / 2;
    produce(&bootstrap, "events", &in_order[..half]);
    let watch = Watch::start(&state, &args, &[]);
    // Crash while the first half is being read, produce the rest, and restart.
    std::thread::sleep(Duration::from_millis(1500));
    watch.kill();
    produce(&bootstrap, "events", &in_order[half..]);
    let watch = Watch::start(&state, &args, &[]);
    let deadline = Instant::now() + Duration::from_secs(90);
    while ids_in(&output).len() < expected.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let log = watch.log();
    assert!(watch.terminate().success(), "{log}");

    let got = ids_in(&output);
    assert!(counts(&got).values().all(|&n| n == 1), "a detection was repeated");
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "the Kafka run and the hunt disagree:\n{log}");

    // Every detection was also produced to the output topic, keyed by its id.
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", "checker")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&["detections"]).unwrap();
    let mut keys = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while keys.len() < expected.len() && Instant::now() < deadline {
        if let Some(Ok(message)) = consumer.poll(Duration::from_millis(200)) {
            let key = String::from_utf8_lossy(message.key().unwrap_or_default()).into_owned();
            let payload: Value = serde_json::from_slice(message.payload().unwrap()).unwrap();
            assert_eq!(payload["id"].as_str(), Some(key.as_str()));
            keys.push(key);
        }
    }
    keys.sort();
    keys.dedup();
    assert_eq!(keys, expected);
}
