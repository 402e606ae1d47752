//! `--stage route`: the stateless stage of a watch split across processes.
//!
//! It consumes raw records from `--topic` as a member of `--group`, normalises and enriches
//! them, and uses the [`engine::Router`] to find which rules need each event and under which routing
//! key (the match values for a rule with `match:`). Each key maps to one partition of
//! `--signals-topic` through [`engine::partition_of`], and the event is written once to each
//! partition that one of its keys maps to, with the rules and event variables it is for there.
//! Rules without `match:` are routed too, by event id, rather than evaluated here: so every
//! detection comes out of `--stage correlate`, which alone has an outbox, sinks and state, and
//! this stage keeps nothing but the group's offsets.
//!
//! After each batch the stage writes a watermark mark, the latest event time it has sent, to
//! every partition, after the batch's signals. It waits until the broker has acknowledged
//! every message of the batch, then commits the raw offsets, so a crash sends a batch again
//! (at least once) and never skips one. Each signal carries the raw partition, offset and
//! index of its event, by which the correlate stage drops the repeats.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message as _;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use serde_json::json;

use super::dead_letter::DeadLetter;
use super::kafka::{group_config, records_of};
use super::metrics::{label, Metrics};
use super::normalize::{normalize_record, Rejected};
use super::rules::RuleSet;
use super::signal::{SignalMessage, Source};

/// Messages read per batch at most.
const MESSAGES_PER_BATCH: usize = 2_000;
/// How long the broker may take to acknowledge a batch before the stage stops with an error.
const ACK_TIMEOUT: Duration = Duration::from_secs(60);

/// Notes that a rebalance happened, so that a batch read across it is not committed.
#[derive(Default)]
struct RouteContext {
    rebalanced: AtomicBool,
}

impl ClientContext for RouteContext {}

impl ConsumerContext for RouteContext {
    fn pre_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                let partitions: Vec<i32> = tpl.elements().iter().map(|e| e.partition()).collect();
                tracing::info!(?partitions, "raw partitions assigned");
            }
            Rebalance::Revoke(_) => tracing::info!("raw partitions revoked"),
            Rebalance::Error(e) => tracing::error!(error = %e, "Kafka rebalance failed"),
        }
        self.rebalanced.store(true, Ordering::Release);
    }
}

/// Counts the messages the broker refused.
#[derive(Default)]
struct Acks {
    failed: AtomicU64,
}

impl ClientContext for Acks {}

impl ProducerContext for Acks {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result {
            if self.failed.fetch_add(1, Ordering::AcqRel) == 0 {
                tracing::error!(error = %e, "the broker did not take a signal");
            }
        }
    }
}

/// Settings of the route stage.
pub struct RouteSettings {
    /// Bootstrap servers.
    pub brokers: String,
    /// The raw topic.
    pub topic: String,
    /// The consumer group.
    pub group: String,
    /// The signals topic.
    pub signals_topic: String,
    /// `--format`.
    pub format: sources::Format,
}

/// Runs the route stage until `stopping` is set. Returns an error when the broker does not
/// acknowledge signals: the raw offsets are then not committed, and a restart sends them again.
pub fn run(
    settings: &RouteSettings,
    set: RuleSet,
    dead_letter: Arc<DeadLetter>,
    metrics: Arc<Metrics>,
    stopping: Arc<AtomicBool>,
) -> Result<()> {
    let producer: BaseProducer<Acks> = ClientConfig::new()
        .set("bootstrap.servers", &settings.brokers)
        // Keeps the signals of one partition in the order they were sent, also across
        // retries, so a mark never overtakes the signals before it.
        .set("enable.idempotence", "true")
        .create_with_context(Acks::default())
        .context("cannot create the Kafka producer")?;
    let partitions = partition_count(&producer, &settings.signals_topic)?;
    let consumer: BaseConsumer<RouteContext> = group_config(&settings.brokers, &settings.group)
        .create_with_context(RouteContext::default())
        .context("cannot create the Kafka consumer")?;
    consumer
        .subscribe(&[settings.topic.as_str()])
        .with_context(|| format!("cannot subscribe to {}", settings.topic))?;
    tracing::info!(
        topic = %settings.topic,
        signals_topic = %settings.signals_topic,
        partitions,
        rules = set.rules.len(),
        "route stage started"
    );
    let mut router = Routing {
        router: engine::Router::new(&set.rules),
        names: set.rules.iter().map(|r| r.name().to_owned()).collect(),
        normalizer: sources::Normalizer::new(set.identities.clone()),
        set,
        format: settings.format,
        topic: &settings.topic,
        signals_topic: &settings.signals_topic,
        partitions,
        max_time: None,
        marked: None,
        dead_letter,
        metrics,
    };
    while !stopping.load(Ordering::Acquire) {
        consumer.context().rebalanced.store(false, Ordering::Release);
        let mut batch = Vec::new();
        while batch.len() < MESSAGES_PER_BATCH {
            let timeout = Duration::from_millis(if batch.is_empty() { 100 } else { 0 });
            match consumer.poll(timeout) {
                None => break,
                Some(Err(e)) => {
                    tracing::error!(topic = %settings.topic, error = %e, "Kafka consumer error");
                    break;
                }
                Some(Ok(message)) => batch.push((
                    message.partition(),
                    message.offset(),
                    message.payload().unwrap_or_default().to_vec(),
                )),
            }
        }
        if consumer.context().rebalanced.load(Ordering::Acquire) {
            // The assignment changed while this batch was read; the partitions' new owners
            // (this process among them) start again from the committed offsets.
            continue;
        }
        if batch.is_empty() {
            continue;
        }
        let mut next: BTreeMap<i32, i64> = BTreeMap::new();
        for (partition, offset, payload) in &batch {
            router.route_message(&producer, *partition, *offset, payload);
            next.insert(*partition, offset + 1);
        }
        router.mark(&producer);
        router.dead_letter.sync().context("cannot sync the dead-letter file")?;
        producer.flush(ACK_TIMEOUT).context("the broker did not acknowledge the signals")?;
        let failed = producer.context().failed.swap(0, Ordering::AcqRel);
        if failed > 0 {
            bail!("the broker rejected {failed} signal(s); the raw offsets are not committed, so a restart sends them again");
        }
        let mut tpl = TopicPartitionList::new();
        for (partition, offset) in next {
            tpl.add_partition_offset(&settings.topic, partition, Offset::Offset(offset))?;
        }
        if let Err(e) = consumer.commit(&tpl, CommitMode::Sync) {
            // The signals are sent; the next owner sends them again and correlate drops them.
            tracing::warn!(topic = %settings.topic, error = %e, "cannot commit the raw offsets");
        }
    }
    tracing::info!(topic = %settings.topic, "route stage stopped");
    Ok(())
}

/// Reads the partition count of the signals topic.
///
/// NOTE: it is read once, at start. Partitions added to the signals topic while the stages run
/// send match values to other partitions than the ones holding their windows, until every
/// process of both stages has been restarted.
fn partition_count(producer: &BaseProducer<Acks>, topic: &str) -> Result<u32> {
    let metadata = producer
        .client()
        .fetch_metadata(Some(topic), Duration::from_secs(30))
        .with_context(|| format!("cannot read the metadata of topic {topic}"))?;
    let count = metadata.topics().first().map_or(0, |t| t.partitions().len());
    if count == 0 {
        bail!("the signals topic {topic} does not exist or has no partitions; create it first");
    }
    Ok(count as u32)
}

/// The routing state of the stage.
struct Routing<'a> {
    router: engine::Router,
    names: Vec<String>,
    normalizer: sources::Normalizer,
    set: RuleSet,
    format: sources::Format,
    topic: &'a str,
    signals_topic: &'a str,
    partitions: u32,
    /// The latest event time read, in nanoseconds.
    max_time: Option<i128>,
    /// The time of the last mark written.
    marked: Option<i128>,
    dead_letter: Arc<DeadLetter>,
    metrics: Arc<Metrics>,
}

impl Routing<'_> {
    /// Normalises one raw message and sends its events' signals. A bad element of an export
    /// in the message is rejected alone, and the other elements are routed.
    fn route_message(
        &mut self,
        producer: &BaseProducer<Acks>,
        partition: i32,
        offset: i64,
        payload: &[u8],
    ) {
        let input = format!("kafka:{}/{partition}", self.topic);
        let mut index = 0u32;
        let mut events_in = 0u64;
        let mut rejected = 0u64;
        let mut records = Vec::new();
        records_of(payload, offset, &mut records);
        let mut events = Vec::new();
        for record in &records {
            let asn = self.set.asn.as_deref();
            let (found, rejections) =
                normalize_record(&mut self.normalizer, self.format, asn, record);
            rejected += rejections.len() as u64;
            for rejection in rejections {
                self.reject(&input, offset, rejection);
            }
            events.extend(found.into_iter().map(|found| found.event));
        }
        // The events of one message are routed in time order (a stable sort), as the single
        // process admits them, so that a newest-first page does not make its own older events
        // late in the correlate partitions. A message is always read whole, so a resend after a
        // crash gives each event the same index.
        events.sort_by_key(|event| event.event_time().as_nanos());
        for event in events {
            let source = Source { input: input.clone(), offset, index };
            index += 1;
            events_in += 1;
            self.route_event(producer, Arc::new(event), source);
        }
        let labels = label("input", &input);
        self.metrics.add("dragnet_watch_events_total", labels.clone(), events_in as f64);
        self.metrics.add("dragnet_watch_records_rejected_total", labels, rejected as f64);
    }

    fn route_event(
        &mut self,
        producer: &BaseProducer<Acks>,
        event: Arc<udm::Event>,
        source: Source,
    ) {
        let time = event.event_time().as_nanos();
        self.max_time = Some(self.max_time.map_or(time, |t| t.max(time)));
        let routes = self.router.routes(&event);
        if routes.is_empty() {
            return;
        }
        // One signal per partition, naming every rule and variable it is for there.
        let mut by_partition: BTreeMap<u32, (String, Vec<(String, usize)>)> = BTreeMap::new();
        for route in routes {
            let partition = engine::partition_of(&route.key, self.partitions);
            let entry =
                by_partition.entry(partition).or_insert_with(|| (route.key.clone(), Vec::new()));
            let name = self.names.get(route.rule).cloned().unwrap_or_default();
            if !entry.1.contains(&(name.clone(), route.var)) {
                entry.1.push((name, route.var));
            }
        }
        let event_json = udm::json::event_to_json(&event);
        for (partition, (key, routes)) in by_partition {
            let message =
                SignalMessage::Signal { source: source.clone(), routes, event: event_json.clone() };
            let payload = match serde_json::to_vec(&message) {
                Ok(payload) => payload,
                Err(e) => {
                    tracing::error!(error = %e, "cannot serialise a signal");
                    continue;
                }
            };
            if !send(producer, self.signals_topic, partition, &key, &payload) {
                continue;
            }
            self.metrics.add(
                "dragnet_watch_signals_sent_total",
                label("partition", &partition.to_string()),
                1.0,
            );
        }
    }

    /// Writes a watermark mark to every partition when the latest event time moved.
    fn mark(&mut self, producer: &BaseProducer<Acks>) {
        let Some(time) = self.max_time else { return };
        if self.marked.is_some_and(|m| m >= time) {
            return;
        }
        let Ok(mark) = i64::try_from(time) else { return };
        let payload = serde_json::to_vec(&SignalMessage::Mark { mark }).unwrap_or_default();
        for partition in 0..self.partitions {
            send(producer, self.signals_topic, partition, "", &payload);
        }
        self.marked = Some(time);
    }

    /// Writes a rejected record, or element of one, to the dead-letter file.
    fn reject(&self, input: &str, offset: i64, rejected: Rejected) {
        let Rejected { path, reason, record } = rejected;
        let mut entry =
            json!({"input": input, "offset": offset, "error": reason, "record": record});
        if !path.is_empty() {
            entry["path"] = json!(path);
        }
        self.dead_letter.write("rejected", entry, &self.metrics);
    }
}

/// Queues one message for a partition, waiting while the producer queue is full. A message
/// the producer rejects for another reason counts as refused, so the batch is not committed.
fn send(
    producer: &BaseProducer<Acks>,
    topic: &str,
    partition: u32,
    key: &str,
    payload: &[u8],
) -> bool {
    let mut record = BaseRecord::to(topic).partition(partition as i32).key(key).payload(payload);
    loop {
        match producer.send(record) {
            Ok(()) => return true,
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                producer.poll(Duration::from_millis(10));
                record = back;
            }
            Err((e, _)) => {
                tracing::error!(topic, partition, error = %e, "cannot queue a signal");
                producer.context().failed.fetch_add(1, Ordering::AcqRel);
                return false;
            }
        }
    }
}
