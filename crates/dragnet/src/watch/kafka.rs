//! Kafka input and output, built with the `kafka` cargo feature (librdkafka through
//! `rdkafka`).
//!
//! The consumer joins `--group` on `--topic`. Each message is one record, or JSON lines. The
//! next offset of every partition is a position in the checkpoint, like a file offset. On
//! each assignment the consumer seeks to the checkpointed offset of the partition, so a
//! restart reads every message after the checkpoint exactly once. After the pipeline commits
//! a batch, its offsets are also committed to the group, which is what a partition's next
//! owner starts from and what lag monitoring reads.
//!
//! Processes in one group share the partitions. Each keeps its own window state, so the
//! detections match a single process only when every event a detection needs is in one
//! partition: producers must key events by the rules' match values (for example the user).
//! NOTE: when a rebalance moves a partition to another process, that process starts from the
//! group's committed offset without the window state built from earlier messages, so windows
//! open across the move can miss detections. The two stages (`--stage route` and `--stage
//! correlate`, in [`super::route`] and [`super::correlate`]) move the state with the partition.
//!
//! NOTE: one process keeps one watermark over all its partitions, so a partition that falls
//! more than the allowed lateness behind another has its events counted as late.
//!
//! The producer sink writes each detection to `--kafka-output`, keyed by detection id, at
//! least once.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _, ConsumerContext};
use rdkafka::error::KafkaResult;
use rdkafka::message::Message as _;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::metrics::{label, Metrics};
use super::pipeline::{Batch, BatchOutcome, Malformed, Message, RawRecord};
use super::sinks::{Sink, Undeliverable};
use crate::input::{split_records, Record};

/// Messages per batch sent to the pipeline at most.
const MESSAGES_PER_BATCH: usize = 2_000;
/// How often partition lag is measured.
const LAG_INTERVAL: Duration = Duration::from_secs(5);

/// A partition's checkpointed position.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct PartitionPosition {
    /// The offset of the next message to read.
    next: i64,
}

/// Builds the configuration of a consumer-group member that commits offsets itself.
pub fn group_config(brokers: &str, group: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        // A crashed member's partitions move after this long without heartbeats; the
        // client's default of 45 s would hold detections back that long after a crash.
        .set("session.timeout.ms", "10000")
        .set("heartbeat.interval.ms", "3000")
        // Eager assignment: every rebalance revokes all partitions before it assigns, which
        // the rebalance handlers of this module and of the stages rely on.
        .set("partition.assignment.strategy", "range,roundrobin");
    config
}

/// Builds the input id of a partition.
fn input_id(topic: &str, partition: i32) -> String {
    format!("kafka:{topic}/{partition}")
}

/// Seeks newly assigned partitions to their checkpointed offsets.
struct Context {
    topic: String,
    /// Next offset per partition, as last committed by the pipeline.
    positions: Arc<Mutex<HashMap<i32, i64>>>,
}

impl ClientContext for Context {}

impl ConsumerContext for Context {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                let positions = self.positions.lock().unwrap_or_else(|e| e.into_inner());
                let partitions: Vec<i32> =
                    tpl.elements_for_topic(&self.topic).iter().map(|e| e.partition()).collect();
                for partition in &partitions {
                    if let Some(next) = positions.get(partition) {
                        let _ = tpl.set_partition_offset(
                            &self.topic,
                            *partition,
                            Offset::Offset(*next),
                        );
                    }
                }
                tracing::info!(topic = %self.topic, ?partitions, "Kafka partitions assigned");
                if let Err(e) = consumer.assign(tpl) {
                    tracing::error!(topic = %self.topic, error = %e, "cannot take the assigned partitions");
                }
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                tracing::info!(topic = %self.topic, "Kafka partitions revoked");
                if let Err(e) = consumer.unassign() {
                    tracing::error!(topic = %self.topic, error = %e, "cannot release the revoked partitions");
                }
            }
            other => tracing::error!(topic = %self.topic, error = ?other, "Kafka rebalance failed"),
        }
    }
}

/// A consumer-group member reading one topic.
pub struct Consumer {
    consumer: BaseConsumer<Context>,
    topic: String,
    positions: Arc<Mutex<HashMap<i32, i64>>>,
}

impl Consumer {
    /// Joins the group; `stored` contains the checkpointed positions by input id.
    pub fn new(
        brokers: &str,
        topic: &str,
        group: &str,
        stored: &BTreeMap<String, String>,
    ) -> Result<Consumer> {
        let prefix = format!("kafka:{topic}/");
        let mut positions = HashMap::new();
        for (input, json) in stored {
            let Some(partition) = input.strip_prefix(&prefix).and_then(|p| p.parse().ok()) else {
                continue;
            };
            if let Ok(position) = serde_json::from_str::<PartitionPosition>(json) {
                positions.insert(partition, position.next);
            }
        }
        let positions = Arc::new(Mutex::new(positions));
        let context = Context { topic: topic.to_owned(), positions: Arc::clone(&positions) };
        let consumer: BaseConsumer<Context> = group_config(brokers, group)
            .create_with_context(context)
            .context("cannot create the Kafka consumer")?;
        consumer.subscribe(&[topic]).with_context(|| format!("cannot subscribe to {topic}"))?;
        Ok(Consumer { consumer, topic: topic.to_owned(), positions })
    }

    /// Reads messages until `stopping` is set or the pipeline is gone.
    pub fn run(self, tx: mpsc::Sender<Message>, stopping: Arc<AtomicBool>, metrics: Arc<Metrics>) {
        tracing::info!(topic = %self.topic, "Kafka consumer started");
        let mut pending: BTreeMap<i32, (Vec<RawRecord>, i64)> = BTreeMap::new();
        let mut acks: Vec<(i32, i64, oneshot::Receiver<BatchOutcome>)> = Vec::new();
        let mut last_lag = Instant::now();
        while !stopping.load(Ordering::Acquire) {
            let mut count = 0;
            while count < MESSAGES_PER_BATCH {
                match self.consumer.poll(Duration::from_millis(if count == 0 { 100 } else { 0 })) {
                    None => break,
                    Some(Err(e)) => {
                        tracing::error!(topic = %self.topic, error = %e, "Kafka consumer error");
                        break;
                    }
                    Some(Ok(message)) => {
                        count += 1;
                        let entry = pending.entry(message.partition()).or_default();
                        entry.1 = message.offset() + 1;
                        records_of(
                            message.payload().unwrap_or_default(),
                            message.offset(),
                            &mut entry.0,
                        );
                    }
                }
            }
            for (partition, (records, next)) in std::mem::take(&mut pending) {
                let (ack, outcome) = oneshot::channel();
                let position = serde_json::to_string(&PartitionPosition { next }).ok();
                let batch = Batch {
                    input: input_id(&self.topic, partition),
                    records,
                    position,
                    ack: Some(ack),
                    request_key: None,
                };
                if tx.blocking_send(Message::Batch(batch)).is_err() {
                    return;
                }
                acks.push((partition, next, outcome));
            }
            self.commit_acknowledged(&mut acks);
            if last_lag.elapsed() >= LAG_INTERVAL {
                last_lag = Instant::now();
                self.measure_lag(&metrics);
            }
        }
        tracing::info!(topic = %self.topic, "Kafka consumer stopped");
    }

    /// Commits to the group the offsets of the batches the pipeline has checkpointed.
    fn commit_acknowledged(&self, acks: &mut Vec<(i32, i64, oneshot::Receiver<BatchOutcome>)>) {
        let mut tpl = TopicPartitionList::new();
        acks.retain_mut(|(partition, next, outcome)| match outcome.try_recv() {
            Ok(_) => {
                self.positions.lock().unwrap_or_else(|e| e.into_inner()).insert(*partition, *next);
                let _ = tpl.add_partition_offset(&self.topic, *partition, Offset::Offset(*next));
                false
            }
            Err(oneshot::error::TryRecvError::Empty) => true,
            Err(oneshot::error::TryRecvError::Closed) => false,
        });
        if tpl.count() > 0 {
            if let Err(e) = self.consumer.commit(&tpl, CommitMode::Async) {
                tracing::warn!(topic = %self.topic, error = %e, "cannot commit offsets to the group; the checkpoint still has them");
            }
        }
    }

    fn measure_lag(&self, metrics: &Metrics) {
        let positions = self.positions.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for (partition, next) in positions {
            let watermarks: KafkaResult<(i64, i64)> =
                self.consumer.fetch_watermarks(&self.topic, partition, Duration::from_secs(1));
            if let Ok((_, high)) = watermarks {
                let labels = label("partition", &input_id(&self.topic, partition));
                metrics.set("dragnet_watch_kafka_lag", labels, (high - next).max(0) as f64);
            }
        }
    }
}

/// Splits a message payload into records: one JSON document, an array, or JSON lines.
pub(super) fn records_of(payload: &[u8], offset: i64, out: &mut Vec<RawRecord>) {
    let at = u64::try_from(offset).unwrap_or(0);
    for record in split_records(payload) {
        let value = match record.record {
            Ok(Record::Json(value)) => Ok(value),
            Ok(Record::Csv(_)) => Err(Malformed {
                error: "the message is not JSON".into(),
                text: String::from_utf8_lossy(&payload[..payload.len().min(256)]).into_owned(),
            }),
            Err(error) => Err(Malformed {
                error,
                text: String::from_utf8_lossy(&payload[..payload.len().min(256)]).into_owned(),
            }),
        };
        out.push(RawRecord { at, element: record.element, value });
    }
}

/// Writes detections to a Kafka topic, keyed by detection id.
pub struct KafkaSink {
    producer: FutureProducer,
    topic: String,
    runtime: tokio::runtime::Handle,
}

/// How long one detection may wait in the producer queue before delivery counts as failed.
const PRODUCE_TIMEOUT: Duration = Duration::from_secs(30);

impl KafkaSink {
    /// Creates the producer.
    pub fn new(brokers: &str, topic: &str, runtime: tokio::runtime::Handle) -> Result<KafkaSink> {
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("enable.idempotence", "true")
            .create()
            .context("cannot create the Kafka producer")?;
        Ok(KafkaSink { producer, topic: topic.to_owned(), runtime })
    }
}

impl Sink for KafkaSink {
    fn name(&self) -> String {
        format!("kafka:{}", self.topic)
    }

    fn deliver(&mut self, id: &str, line: &[u8]) -> std::result::Result<(), Undeliverable> {
        let payload = line.strip_suffix(b"\n").unwrap_or(line);
        let record = FutureRecord::to(&self.topic).key(id).payload(payload);
        self.runtime
            .block_on(self.producer.send(record, PRODUCE_TIMEOUT))
            .map(|_| ())
            .map_err(|(e, _)| Undeliverable(format!("cannot produce to {}: {e}", self.topic)))
    }
}
