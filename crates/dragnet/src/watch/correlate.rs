//! `--stage correlate`: the stateful stage of a watch split across processes.
//!
//! It consumes the signals topic that `--stage route` writes, as a member of `--group`, and
//! keeps one [`PartitionState`] per assigned partition: its own engine, watermark and
//! de-duplication of re-sent signals. Detections go to the local outbox and the sinks, as in
//! the single-process watch.
//!
//! # Moving a partition
//!
//! A partition's window state is not stored locally: it is rebuilt by replaying the signals
//! topic. With each offset commit goes metadata ([`CommitMeta`]) that gives where to replay
//! from and the watermark and de-duplication state there. A process that is assigned a
//! partition seeks to that offset, replays up to the committed offset with the detections
//! discarded (the previous owner decided them), and goes on from there. A process whose
//! own state is still the committed one keeps it. This is chosen over storing the window
//! state in the local store because any process may be the next owner, and the replay
//! covers the same retention span as the single-process checkpoint.
//! NOTE: a restart of the same process replays too; its cost grows with the retention span.
//!
//! # Commit order
//!
//! After each batch, for each partition it advanced: the detections are stored as pending in
//! the local store, the offset and metadata are committed to Kafka synchronously, and then the
//! pending detections move to the outbox, from which the sinks deliver them. If the commit
//! fails the pending detections are dropped and the partition is rebuilt from the group's
//! committed offset, so they are found again by whoever owns it. A crash between the two
//! local steps is settled at the next start from the owners lineage in the commit metadata:
//! a stored commit means the next owner starts after the detections, so they are delivered;
//! otherwise they are dropped. So a detection is delivered once by one process, provided that
//! a crashed process is restarted with its state folder to deliver what it had committed.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _, ConsumerContext};
use rdkafka::message::Message as _;
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use serde_json::json;
use tokio::sync::watch;

use super::dead_letter::DeadLetter;
use super::kafka::group_config;
use super::metrics::{label, Metrics};
use super::partition::{PartitionState, Shared};
use super::signal::CommitMeta;
use super::store::{Pending, Store};
use crate::suppress::Suppressions;

/// Messages read per batch at most.
const MESSAGES_PER_BATCH: usize = 2_000;
/// How long a request to the group coordinator may take.
const COORDINATOR_TIMEOUT: Duration = Duration::from_secs(30);

/// The consumer's context: the partition states, which the rebalance handler builds.
struct CorrelateContext {
    topic: String,
    shared: Arc<Shared>,
    states: Mutex<HashMap<i32, PartitionState>>,
    /// Set by every rebalance, so that a batch read across one is dropped.
    rebalanced: AtomicBool,
    /// The reason the stage must stop, when the committed offsets could not be read.
    fatal: Mutex<Option<String>>,
}

impl ClientContext for CorrelateContext {}

impl ConsumerContext for CorrelateContext {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        self.rebalanced.store(true, Ordering::Release);
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                let committed = match consumer.committed_offsets(tpl.clone(), COORDINATOR_TIMEOUT) {
                    Ok(committed) => committed,
                    Err(e) => {
                        tracing::error!(topic = %self.topic, error = %e, "cannot read the committed offsets of the assigned partitions");
                        *self.fatal.lock().unwrap_or_else(|e| e.into_inner()) =
                            Some(format!("cannot read the committed offsets: {e}"));
                        return;
                    }
                };
                let mut states = self.states.lock().unwrap_or_else(|e| e.into_inner());
                let mut assigned = HashMap::new();
                for element in committed.elements_for_topic(&self.topic) {
                    let partition = element.partition();
                    let offset = match element.offset() {
                        Offset::Offset(offset) => Some(offset),
                        _ => None,
                    };
                    let meta = CommitMeta::parse(element.metadata());
                    let state = match states.remove(&partition) {
                        Some(state) if is_current(&state, offset, meta.as_ref()) => state,
                        _ => {
                            let state = PartitionState::new(
                                Arc::clone(&self.shared),
                                partition as u32,
                                offset,
                                meta.as_ref(),
                            );
                            tracing::info!(
                                topic = %self.topic, partition,
                                replay_from = state.next, committed = state.replay_until,
                                "partition taken over; replaying its window state"
                            );
                            state
                        }
                    };
                    let _ = tpl.set_partition_offset(
                        &self.topic,
                        partition,
                        Offset::Offset(state.next),
                    );
                    assigned.insert(partition, state);
                }
                *states = assigned;
                let partitions: Vec<i32> = states.keys().copied().collect();
                tracing::info!(topic = %self.topic, ?partitions, "signals partitions assigned");
                if let Err(e) = consumer.assign(tpl) {
                    tracing::error!(topic = %self.topic, error = %e, "cannot take the assigned partitions");
                }
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                // The states stay until the next assignment, which keeps those still current.
                tracing::info!(topic = %self.topic, "signals partitions revoked");
                if let Err(e) = consumer.unassign() {
                    tracing::error!(topic = %self.topic, error = %e, "cannot release the revoked partitions");
                }
            }
            other => tracing::error!(topic = %self.topic, error = ?other, "Kafka rebalance failed"),
        }
    }
}

/// Returns whether a state this process kept is the one the group committed last.
fn is_current(state: &PartitionState, offset: Option<i64>, meta: Option<&CommitMeta>) -> bool {
    let newest = meta.and_then(|m| m.owners.first());
    offset == Some(state.next) && newest == Some(&(state.token.clone(), state.next))
}

/// Settings of the correlate stage.
pub struct CorrelateSettings {
    /// Bootstrap servers.
    pub brokers: String,
    /// The signals topic.
    pub topic: String,
    /// The consumer group.
    pub group: String,
}

/// The channels the stage shares with the sinks.
pub struct Delivery {
    /// The highest outbox sequence number the sinks may deliver.
    pub committed: watch::Sender<u64>,
    /// Per sink, the highest outbox sequence number it has delivered.
    pub delivered: Vec<Arc<AtomicU64>>,
}

/// One partition's result of a batch, to commit.
struct Advanced {
    partition: i32,
    token: String,
    next: i64,
    meta: CommitMeta,
    detections: Vec<engine::Detection>,
}

/// Runs the correlate stage until `stopping` is set.
#[allow(clippy::too_many_arguments)]
pub fn run(
    settings: &CorrelateSettings,
    shared: Arc<Shared>,
    store: Arc<Store>,
    dead_letter: Arc<DeadLetter>,
    metrics: Arc<Metrics>,
    delivery: Delivery,
    stopping: Arc<AtomicBool>,
) -> Result<()> {
    let context = CorrelateContext {
        topic: settings.topic.to_owned(),
        shared: Arc::clone(&shared),
        states: Mutex::new(HashMap::new()),
        rebalanced: AtomicBool::new(false),
        fatal: Mutex::new(None),
    };
    let consumer: BaseConsumer<CorrelateContext> = group_config(&settings.brokers, &settings.group)
        .create_with_context(context)
        .context("cannot create the Kafka consumer")?;
    let suppressions = Arc::clone(&shared.suppressions);
    let mut stage = Stage {
        consumer,
        topic: &settings.topic,
        store,
        dead_letter,
        metrics,
        delivery,
        suppressions,
    };
    stage.settle_pending()?;
    stage
        .consumer
        .subscribe(&[settings.topic.as_str()])
        .with_context(|| format!("cannot subscribe to {}", settings.topic))?;
    tracing::info!(topic = %settings.topic, partitions = shared.partitions, "correlate stage started");
    while !stopping.load(Ordering::Acquire) {
        stage.step()?;
    }
    tracing::info!(topic = %settings.topic, "correlate stage stopped");
    Ok(())
}

struct Stage<'a> {
    consumer: BaseConsumer<CorrelateContext>,
    topic: &'a str,
    store: Arc<Store>,
    dead_letter: Arc<DeadLetter>,
    metrics: Arc<Metrics>,
    delivery: Delivery,
    /// The `--suppressions` change windows.
    suppressions: Arc<Suppressions>,
}

impl Stage<'_> {
    /// Settles the pending detections a crash left behind; see the module documentation.
    fn settle_pending(&mut self) -> Result<()> {
        for (input, pending) in self.store.pending()? {
            let partition = input.rsplit('/').next().and_then(|p| p.parse::<i32>().ok());
            let Some(partition) = partition else {
                self.store.drop_pending(&input)?;
                continue;
            };
            let mut tpl = TopicPartitionList::new();
            tpl.add_partition(self.topic, partition);
            let committed = self
                .consumer
                .committed_offsets(tpl, COORDINATOR_TIMEOUT)
                .context("cannot read the committed offsets to settle pending detections")?;
            let stored = committed
                .find_partition(self.topic, partition)
                .and_then(|e| CommitMeta::parse(e.metadata()))
                .and_then(|meta| meta.committed_by(&pending.token))
                .is_some_and(|offset| offset >= pending.through);
            if stored {
                tracing::info!(input = %input, detections = pending.detections.len(), "the last commit before the crash was stored; delivering its detections");
                self.confirm(&input)?;
            } else {
                tracing::info!(input = %input, detections = pending.detections.len(), "the last commit before the crash was not stored; the partition's owner finds its detections again");
                self.store.drop_pending(&input)?;
            }
        }
        Ok(())
    }

    /// Reads one batch, applies it and commits every partition it advanced.
    fn step(&mut self) -> Result<()> {
        let context = self.consumer.context();
        context.rebalanced.store(false, Ordering::Release);
        let mut batch: BTreeMap<i32, Vec<(i64, Vec<u8>)>> = BTreeMap::new();
        let mut count = 0;
        while count < MESSAGES_PER_BATCH {
            let timeout = Duration::from_millis(if count == 0 { 100 } else { 0 });
            match self.consumer.poll(timeout) {
                None => break,
                Some(Err(e)) => {
                    tracing::error!(topic = self.topic, error = %e, "Kafka consumer error");
                    break;
                }
                Some(Ok(message)) => {
                    count += 1;
                    let payload = message.payload().unwrap_or_default().to_vec();
                    batch.entry(message.partition()).or_default().push((message.offset(), payload));
                }
            }
        }
        let context = self.consumer.context();
        if let Some(reason) = context.fatal.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bail!(reason);
        }
        if context.rebalanced.load(Ordering::Acquire) || batch.is_empty() {
            // Across a rebalance, each partition starts again from its state's next offset.
            return Ok(());
        }
        let advanced = self.apply(batch);
        for result in advanced {
            self.commit(result)?;
        }
        Ok(())
    }

    /// Applies each partition's messages to its state.
    fn apply(&self, batch: BTreeMap<i32, Vec<(i64, Vec<u8>)>>) -> Vec<Advanced> {
        let context = self.consumer.context();
        let mut states = context.states.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for (partition, messages) in batch {
            let Some(state) = states.get_mut(&partition) else { continue };
            let input = input_id(self.topic, partition);
            state.begin_batch();
            let start = state.next;
            let mut detections = Vec::new();
            let (mut duplicates, mut replayed) = (0u64, 0u64);
            for (offset, payload) in messages {
                // A message from before a seek, fetched already.
                if offset < state.next {
                    continue;
                }
                let applied = state.apply(offset, &payload);
                if applied.duplicate {
                    duplicates += 1;
                }
                if applied.replayed {
                    replayed += 1;
                    continue;
                }
                if let Some(error) = applied.malformed {
                    let record = String::from_utf8_lossy(&payload[..payload.len().min(256)]);
                    let entry =
                        json!({"input": input, "offset": offset, "error": error, "record": record});
                    self.dead_letter.write("rejected", entry, &self.metrics);
                }
                if let Some(event) = applied.late {
                    let watermark = state.watermark().map(|w| w.to_string());
                    let entry = json!({"input": input, "offset": offset, "watermark_nanos": watermark, "event": event});
                    self.dead_letter.write("late", entry, &self.metrics);
                    self.metrics.add("dragnet_watch_late_events_total", String::new(), 1.0);
                }
                for detection in applied.detections {
                    // Whether a change window covers a detection depends only on the
                    // detection, so every owner of the partition leaves out the same ones.
                    if let Some(reason) = self.suppressions.reason_to_leave_out(&detection) {
                        tracing::info!(id = %detection.id, rule = %detection.rule.name, reason, "detection in a change window; not delivered");
                        let rule = label("rule", &detection.rule.name);
                        self.metrics.add("dragnet_watch_suppressed_total", rule, 1.0);
                        continue;
                    }
                    detections.push(detection);
                }
            }
            let labels = label("partition", &input);
            self.metrics.add(
                "dragnet_watch_signal_duplicates_total",
                labels.clone(),
                duplicates as f64,
            );
            self.metrics.add(
                "dragnet_watch_signals_replayed_total",
                labels.clone(),
                replayed as f64,
            );
            if let Some(watermark) = state.watermark() {
                self.metrics.set("dragnet_watch_watermark_seconds", labels, watermark as f64 / 1e9);
            }
            if state.next == start || state.next <= state.replay_until {
                continue;
            }
            out.push(Advanced {
                partition,
                token: state.token.clone(),
                next: state.next,
                meta: state.commit_meta(),
                detections,
            });
        }
        let size: usize = states.values().map(PartitionState::state_size).sum();
        self.metrics.set("dragnet_watch_state_size", String::new(), size as f64);
        out
    }

    /// Commits one partition's progress: pending detections, Kafka offset, outbox.
    fn commit(&mut self, advanced: Advanced) -> Result<()> {
        let input = input_id(self.topic, advanced.partition);
        let mut lines = Vec::with_capacity(advanced.detections.len());
        for detection in &advanced.detections {
            let line = serde_json::to_string(&detection).context("cannot serialise a detection")?;
            lines.push((detection.id.clone(), detection.window.1.as_nanos(), line + "\n"));
            self.metrics.add(
                "dragnet_watch_detections_total",
                label("rule", &detection.rule.name),
                1.0,
            );
        }
        let has_detections = !lines.is_empty();
        if has_detections {
            let pending =
                Pending { token: advanced.token, through: advanced.next, detections: lines };
            self.store.put_pending(&input, &pending)?;
        }
        self.dead_letter.sync().context("cannot sync the dead-letter file")?;
        let metadata = serde_json::to_string(&advanced.meta)?;
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(self.topic, advanced.partition, Offset::Offset(advanced.next))?;
        if let Some(element) = tpl.find_partition(self.topic, advanced.partition).as_mut() {
            element.set_metadata(metadata);
        }
        match self.consumer.commit(&tpl, CommitMode::Sync) {
            Ok(()) => {
                if has_detections {
                    self.confirm(&input)?;
                }
                self.prune_outbox();
                Ok(())
            }
            Err(e) => {
                tracing::warn!(input = %input, error = %e, "cannot commit the offset; the partition is rebuilt from the group's last commit");
                if has_detections {
                    self.store.drop_pending(&input)?;
                }
                self.rebuild(advanced.partition)
            }
        }
    }

    /// Moves a partition's pending detections to the outbox and wakes the sinks.
    fn confirm(&self, input: &str) -> Result<()> {
        let next = self.store.confirm_pending(input)?;
        self.delivery.committed.send_replace(next.saturating_sub(1));
        Ok(())
    }

    /// Removes the outbox entries every sink has delivered.
    fn prune_outbox(&self) {
        let delivered = self.delivery.delivered.iter().map(|d| d.load(Ordering::Acquire)).min();
        if let Some(up_to) = delivered.filter(|d| *d > 0) {
            if let Err(e) = self.store.prune_outbox(up_to) {
                tracing::warn!(error = %format!("{e:#}"), "cannot remove delivered detections from the outbox");
            }
        }
    }

    /// Rebuilds a partition's state from the group's committed offset, after a commit failed.
    /// When the committed offset cannot be read or the partition cannot be sought, the stage
    /// stops with an error rather than leave the partition without a state; a restart
    /// rebuilds every partition it is assigned.
    fn rebuild(&mut self, partition: i32) -> Result<()> {
        let context = self.consumer.context();
        context.states.lock().unwrap_or_else(|e| e.into_inner()).remove(&partition);

        let mut tpl = TopicPartitionList::new();
        tpl.add_partition(self.topic, partition);
        let committed =
            self.consumer.committed_offsets(tpl, COORDINATOR_TIMEOUT).with_context(|| {
                format!("cannot read the committed offset of partition {partition}")
            })?;
        let element = committed
            .find_partition(self.topic, partition)
            .with_context(|| format!("no committed offset returned for partition {partition}"))?;
        let offset = match element.offset() {
            Offset::Offset(offset) => Some(offset),
            _ => None,
        };
        let meta = CommitMeta::parse(element.metadata());
        let state = PartitionState::new(
            Arc::clone(&context.shared),
            partition as u32,
            offset,
            meta.as_ref(),
        );

        let next = state.next;
        tracing::info!(partition, replay_from = next, "rebuilding the partition's window state");
        context.states.lock().unwrap_or_else(|e| e.into_inner()).insert(partition, state);
        self.consumer
            .seek(self.topic, partition, Offset::Offset(next), COORDINATOR_TIMEOUT)
            .with_context(|| format!("cannot seek partition {partition} to offset {next}"))?;
        Ok(())
    }
}

/// Builds the input id of a signals partition, as used for pending detections and metrics.
fn input_id(topic: &str, partition: i32) -> String {
    format!("kafka:{topic}/{partition}")
}
