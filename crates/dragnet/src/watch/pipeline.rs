//! The pipeline thread: normalises records, runs the engine, and commits one checkpoint per
//! batch of messages before acknowledging them.
//!
//! Only this thread touches the engine. It takes every message waiting in the queue (up to
//! [`MAX_RECORDS_PER_CHECKPOINT`] records), processes them in order, then writes a single
//! [`Checkpoint`]: the accepted events, the input positions reached, the new detections in
//! the outbox. Only after that commit do HTTP requests get their response and sinks wake up, so
//! everything acknowledged survives a crash.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use engine::Engine;
use serde_json::json;
use tokio::sync::{mpsc, oneshot, watch};
use udm::Event;

use super::dead_letter::DeadLetter;
use super::metrics::{label, Metrics};
use super::normalize::{normalize_record, Found, Rejected};
use super::rules::RuleSet;
use super::store::{Checkpoint, Loaded, Store, StoredEvent};

/// The maximum number of records processed between two checkpoints.
pub const MAX_RECORDS_PER_CHECKPOINT: usize = 20_000;

/// How long detection ids stay remembered after their window has left the retention span.
/// A request resent within this time cannot deliver a detection twice.
const EMITTED_MEMORY: i128 = 24 * 3600 * 1_000_000_000;

/// How long the outcome of an HTTP request with an `Idempotency-Key` is kept, in seconds of
/// wall-clock time. A resend within this time gets the stored outcome.
const REQUEST_MEMORY_SECONDS: i64 = 24 * 3600;

/// Rejection reasons returned to an HTTP client, at most this many per request.
const MAX_REASONS: usize = 20;

/// One raw record and where it starts in its input.
pub struct RawRecord {
    /// The 1-based line in a request body or standard input, the byte offset of the line in a
    /// followed file, or the message offset in a Kafka partition.
    pub at: u64,
    /// The record's 0-based index in a top-level JSON array at `at`, when it is an element
    /// of one.
    pub element: Option<usize>,
    /// The parsed JSON record, or why it could not be parsed.
    pub value: Result<serde_json::Value, Malformed>,
}

/// An event of a batch waiting to be admitted, with the document it came from.
struct Admitted {
    /// The document's number within the batch. The events of one document are admitted in
    /// time order.
    document: u64,
    /// [`RawRecord::at`] of the record it came from.
    at: u64,
    /// The element's path in that record, as in [`Found::path`].
    path: String,
    event: Event,
}

/// The place an event was read at: the input, [`RawRecord::at`] and the element's path,
/// which is empty when the event comes from a whole record.
struct Place<'a> {
    input: &'a str,
    at: u64,
    path: &'a str,
}

impl Place<'_> {
    /// Adds the position and the path, when there is one, to a dead-letter entry.
    fn add_to(&self, entry: &mut serde_json::Value) {
        entry[at_word(self.input)] = json!(self.at);
        if !self.path.is_empty() {
            entry["path"] = json!(self.path);
        }
    }
}

/// A record that is not valid JSON.
pub struct Malformed {
    /// Why.
    pub error: String,
    /// The record's text, for the dead-letter file.
    pub text: String,
}

/// Records from one input, with the position reached after them.
pub struct Batch {
    /// The input's id, as used for positions and metrics: `http`, `stdin`, `file:PATH`,
    /// `kafka:TOPIC/PARTITION`.
    pub input: String,
    /// The records, in input order.
    pub records: Vec<RawRecord>,
    /// The input's position after these records, as JSON, when the input can resume.
    pub position: Option<String>,
    /// Channel for the outcome, sent once the batch is committed.
    pub ack: Option<oneshot::Sender<BatchOutcome>>,
    /// The `Idempotency-Key` of the HTTP request that carried the batch, if it had one.
    pub request_key: Option<String>,
}

/// Outcome of a batch, sent once its checkpoint is committed.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct BatchOutcome {
    /// Events accepted into their windows.
    pub accepted: u64,
    /// Events older than the watermark, written to the dead-letter file.
    pub late: u64,
    /// Records that could not be normalised, and events more than `--max-future` ahead of the
    /// wall clock.
    pub rejected: u64,
    /// Why, for the first few: `line N: reason`.
    pub errors: Vec<String>,
    /// Whether the batch repeats an earlier request with the same idempotency key, whose
    /// outcome this is; its records were not ingested again.
    pub duplicate: bool,
}

/// A stored request outcome.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredRequest {
    outcome: BatchOutcome,
    /// Wall-clock seconds since the epoch when the request was committed.
    at: i64,
}

/// A message to the pipeline.
pub enum Message {
    /// Records to process.
    Batch(Batch),
    /// A new rule set that compiled.
    Reload(Box<RuleSet>),
    /// Checkpoint what has been processed and stop.
    Shutdown,
}

/// What the pipeline shares with the sinks.
pub struct Outbox {
    /// The highest outbox sequence number committed.
    pub committed: watch::Sender<u64>,
    /// Per sink, the highest outbox sequence number it has delivered.
    pub delivered: Vec<Arc<AtomicU64>>,
}

/// The pipeline's state.
pub struct Pipeline {
    engine: Engine,
    set: RuleSet,
    normalizer: sources::Normalizer,
    format: sources::Format,
    lateness: Duration,
    /// `--max-future`: how far ahead of the wall clock an accepted event time may be.
    max_future: Duration,
    /// The wall clock, in nanoseconds since the epoch, read once per group of messages. The
    /// `--max-future` check of every event in the group uses it.
    clock: i128,
    retention: i128,
    /// Accepted events inside the retention span, by (event time, acceptance sequence).
    retained: BTreeMap<(i128, u64), Arc<Event>>,
    /// Detection ids already in the outbox, with their window end.
    emitted: HashMap<String, i128>,
    /// Outcomes of committed HTTP requests by idempotency key.
    requests: HashMap<String, StoredRequest>,
    next_seq: u64,
    next_outbox: u64,
    /// The latest accepted event time: the engine's watermark plus the allowed lateness.
    max_time: Option<i128>,
    /// The key of the next dead-letter entry stored for a rejected future event.
    next_future: u64,
    store: Arc<Store>,
    dead_letter: Arc<DeadLetter>,
    metrics: Arc<Metrics>,
    outbox: Outbox,
}

impl Pipeline {
    /// Builds the pipeline from the loaded checkpoint: replays the retained events into a
    /// fresh engine, discarding the detections the replay finds again, because each of them
    /// was either put in the outbox before the checkpoint or belongs to a window that closed
    /// with events the replay no longer has.
    #[allow(clippy::too_many_arguments)]
    pub fn resume(
        set: RuleSet,
        format: sources::Format,
        lateness: Duration,
        max_future: Duration,
        loaded: Loaded,
        store: Arc<Store>,
        dead_letter: Arc<DeadLetter>,
        metrics: Arc<Metrics>,
        outbox: Outbox,
    ) -> Result<Pipeline> {
        let mut retained = BTreeMap::new();
        for stored in loaded.events {
            let json: serde_json::Value = serde_json::from_slice(&stored.json)
                .with_context(|| format!("stored event {} is not valid JSON", stored.seq))?;
            let event = udm::json::event_from_json(&json)
                .map_err(|e| anyhow::anyhow!("stored event {} is invalid: {e}", stored.seq))?;
            retained.insert((stored.time, stored.seq), Arc::new(event));
        }
        let next_future = loaded.future.iter().map(|(key, _)| key + 1).max().unwrap_or(0);
        let mut pipeline = Pipeline {
            engine: Engine::new(Vec::new()),
            normalizer: sources::Normalizer::new(set.identities.clone()),
            retention: duration_nanos(set.retention()),
            set,
            format,
            lateness,
            max_future,
            clock: wall_clock(),
            retained,
            emitted: loaded.emitted.into_iter().collect(),
            requests: loaded
                .requests
                .into_iter()
                .filter_map(|(key, json)| Some((key, serde_json::from_str(&json).ok()?)))
                .collect(),
            next_seq: loaded.next_seq,
            next_outbox: loaded.next_outbox,
            max_time: loaded.max_time,
            next_future,
            store,
            dead_letter,
            metrics,
            outbox,
        };
        pipeline.write_future_dead_letters(loaded.future)?;
        pipeline.repair_future_state()?;
        pipeline.rebuild_engine();
        Ok(pipeline)
    }

    /// Appends the stored dead-letter entries of rejected future events to the dead-letter
    /// file, syncs it, and then removes the entries from the store. A crash before the removal
    /// writes them again at the next start.
    fn write_future_dead_letters(&self, entries: Vec<(u64, Vec<u8>)>) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut keys = Vec::with_capacity(entries.len());
        for (key, json) in entries {
            match serde_json::from_slice(&json) {
                Ok(entry) => self.dead_letter.write("future", entry, &self.metrics),
                Err(e) => {
                    tracing::error!(key, error = %e, "stored dead-letter entry is not valid JSON; dropping it")
                }
            }
            keys.push(key);
        }
        self.dead_letter.sync().context("cannot sync the dead-letter file")?;
        self.store.remove_future(&keys).context("cannot remove written dead-letter entries")
    }

    /// Applies `--max-future` to a stored state, at start. A state written before the limit
    /// existed, or with a larger one, can hold a latest event time far ahead of the wall
    /// clock, which makes every later event late. This drops the retained events past the
    /// limit to the dead-letter file and sets the latest event time to that of the newest
    /// retained event left.
    fn repair_future_state(&mut self) -> Result<()> {
        let limit = self.clock.saturating_add(duration_nanos(self.max_future));
        let Some(stored_max) = self.max_time.filter(|time| *time > limit) else {
            return Ok(());
        };

        let dropped = self.retained.split_off(&(limit.saturating_add(1), 0));
        // NOTE: events that entered no window were not stored, so the repaired latest event
        // time can be earlier than the latest legitimate one. Windows that those events had
        // closed may then take further events.
        self.max_time = self.retained.keys().map(|(time, _)| *time).max();
        tracing::warn!(
            stored_max_time = %time_text(stored_max),
            limit = %time_text(limit),
            max_future = %duration_text(self.max_future),
            dropped_events = dropped.len(),
            repaired_max_time = %self.max_time.map_or_else(|| "none".to_owned(), time_text),
            "the stored latest event time is more than --max-future ahead of the wall clock, \
             so every event would be late. Moving the retained events after the limit to the \
             dead-letter file and lowering the latest event time. Events found late since then \
             are in the dead-letter file and can be sent again"
        );

        let mut checkpoint = Checkpoint::default();
        for ((time, seq), event) in dropped {
            let entry = json!({
                "input": "state",
                "error": format!(
                    "stored event time {} is more than --max-future {} ahead of the wall clock \
                     at start",
                    time_text(time),
                    duration_text(self.max_future)
                ),
                "limit": time_text(limit),
                "event": udm::json::event_to_json(&event),
            });
            self.dead_letter.write("future", entry, &self.metrics);
            checkpoint.remove_events.push(seq);
        }

        checkpoint.next_seq = self.next_seq;
        checkpoint.next_outbox = self.next_outbox;
        checkpoint.max_time = self.max_time;
        self.dead_letter.sync().context("cannot sync the dead-letter file")?;
        self.store.commit(&checkpoint).context("cannot commit the repaired state")
    }

    /// Replaces the engine with one running the current rule set, fed with the retained
    /// events in acceptance order.
    fn rebuild_engine(&mut self) {
        let started = Instant::now();
        let mut engine = Engine::new(self.set.rules.clone()).with_allowed_lateness(self.lateness);
        let mut events: Vec<(u64, &Arc<Event>)> =
            self.retained.iter().map(|((_, seq), event)| (*seq, event)).collect();
        events.sort_unstable_by_key(|(seq, _)| *seq);
        let replayed = events.len();
        for (_, event) in events {
            // Every detection found here was decided before the checkpoint; see `resume`.
            let _ = engine.push(Arc::clone(event));
        }
        // Events that entered no window were not kept, but they moved the watermark.
        if let Some(time) = self.max_time {
            let _ = engine.observe_time(time);
        }
        self.engine = engine;
        self.metrics.set("dragnet_watch_rules_loaded", String::new(), self.set.rules.len() as f64);
        tracing::info!(
            rules = self.set.rules.len(),
            replayed,
            retention_secs = self.retention / 1_000_000_000,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "engine rebuilt from the retained events"
        );
    }

    /// Runs until a [`Message::Shutdown`] arrives or every sender is gone. Returns an error
    /// when a checkpoint cannot be committed: the process must then stop, and a restart
    /// resumes from the last checkpoint that was.
    pub fn run(mut self, rx: &mut mpsc::Receiver<Message>) -> Result<()> {
        tracing::info!("pipeline started");
        let mut stop = false;
        while !stop {
            let Some(first) = rx.blocking_recv() else { break };
            let mut messages = vec![first];
            let mut records = message_records(&messages[0]);
            while records < MAX_RECORDS_PER_CHECKPOINT {
                match rx.try_recv() {
                    Ok(message) => {
                        records += message_records(&message);
                        messages.push(message);
                    }
                    Err(_) => break,
                }
            }
            self.metrics.set("dragnet_watch_queue_depth", String::new(), rx.len() as f64);
            stop = self.process(messages)?;
        }
        tracing::info!("pipeline stopped after its last checkpoint");
        Ok(())
    }

    /// Processes messages in order and commits their checkpoint. Returns whether a shutdown
    /// was requested.
    fn process(&mut self, messages: Vec<Message>) -> Result<bool> {
        self.clock = wall_clock();
        let mut checkpoint = Checkpoint::default();
        let mut acks = Vec::new();
        let mut stop = false;
        for message in messages {
            match message {
                Message::Batch(batch) => {
                    let (outcome, ack) = self.process_batch(batch, &mut checkpoint);
                    if let Some(ack) = ack {
                        acks.push((ack, outcome));
                    }
                }
                Message::Reload(set) => {
                    self.set = *set;
                    self.retention = duration_nanos(self.set.retention());
                    self.normalizer = sources::Normalizer::new(self.set.identities.clone());
                    self.rebuild_engine();
                }
                Message::Shutdown => {
                    stop = true;
                    break;
                }
            }
        }
        self.evict(&mut checkpoint);
        self.forget_old_requests(&mut checkpoint);
        let future = checkpoint.add_future.clone();
        self.commit(checkpoint)?;
        // Rejections may show only once committed, because a crash before the commit makes the
        // inputs read the same records again, and the later wall clock may accept them.
        self.write_future_dead_letters(future)?;
        for (ack, outcome) in acks {
            // The client may have gone away; its events are committed all the same.
            let _ = ack.send(outcome);
        }
        Ok(stop)
    }

    fn process_batch(
        &mut self,
        batch: Batch,
        checkpoint: &mut Checkpoint,
    ) -> (BatchOutcome, Option<oneshot::Sender<BatchOutcome>>) {
        if let Some(stored) = batch.request_key.as_ref().and_then(|key| self.requests.get(key)) {
            let mut outcome = stored.outcome.clone();
            outcome.duplicate = true;
            tracing::info!(
                key = batch.request_key.as_deref().unwrap_or(""),
                "request repeats a committed one; returning its outcome"
            );
            return (outcome, batch.ack);
        }
        let mut outcome = BatchOutcome::default();
        let mut events_in = 0u64;
        let mut admitted: Vec<Admitted> = Vec::new();
        let mut document = 0u64;
        let mut previous_at = None;
        for record in &batch.records {
            // Records that share a start (the elements of one Kafka message's top-level array
            // or JSON lines) are one document. Every other record is a document of its own.
            if previous_at.is_some_and(|at| at != record.at) {
                document += 1;
            }
            previous_at = Some(record.at);
            let asn = self.set.asn.as_deref();
            let (events, rejected) =
                normalize_record(&mut self.normalizer, self.format, asn, record);
            for Rejected { path, reason, record: element } in rejected {
                outcome.rejected += 1;
                let at = at_word(&batch.input);
                if outcome.errors.len() < MAX_REASONS {
                    outcome.errors.push(format!("{at} {}: {reason}", record.at));
                }
                let mut entry = json!({"input": batch.input, "error": reason, "record": element});
                entry[at] = json!(record.at);
                if !path.is_empty() {
                    entry["path"] = json!(path);
                }
                self.dead_letter.write("rejected", entry, &self.metrics);
            }
            admitted.extend(events.into_iter().map(|Found { path, event }| Admitted {
                document,
                at: record.at,
                path,
                event,
            }));
        }
        // The events of one document are admitted in time order (a stable sort), so that a
        // newest-first page or an unordered export does not make its own older events late
        // against its newest one. The sort never crosses documents. A document is a line of a
        // followed file or standard input, or one Kafka message, and a restart that cuts the
        // input into other batches does not move its bounds. So a restart admits the same
        // events in the same order. An HTTP request is ingested whole in one checkpoint and
        // never read in part, so it is sorted as one unit, and a resend is sorted the same
        // way. Each event keeps its own line or offset and path for the dead-letter file.
        let whole_batch = batch.input == "http";
        admitted.sort_by_key(|admitted| {
            let unit = if whole_batch { 0 } else { admitted.document };
            (unit, admitted.event.event_time().as_nanos())
        });
        for Admitted { at, path, event, .. } in admitted {
            events_in += 1;
            let place = Place { input: &batch.input, at, path: &path };
            self.push_event(Arc::new(event), &place, &mut outcome, checkpoint);
        }
        if let Some(position) = batch.position {
            checkpoint.positions.insert(batch.input.clone(), position);
        }
        if let Some(key) = batch.request_key {
            let stored =
                StoredRequest { outcome: outcome.clone(), at: chrono::Utc::now().timestamp() };
            if let Ok(json) = serde_json::to_string(&stored) {
                checkpoint.requests.push((key.clone(), json));
            }
            self.requests.insert(key, stored);
        }
        let input = label("input", &batch.input);
        self.metrics.add("dragnet_watch_events_total", input.clone(), events_in as f64);
        self.metrics.add("dragnet_watch_records_rejected_total", input, outcome.rejected as f64);
        self.metrics.add("dragnet_watch_late_events_total", String::new(), outcome.late as f64);
        (outcome, batch.ack)
    }

    fn push_event(
        &mut self,
        event: Arc<Event>,
        place: &Place<'_>,
        outcome: &mut BatchOutcome,
        checkpoint: &mut Checkpoint,
    ) {
        let time = event.event_time().as_nanos();
        let limit = self.clock.saturating_add(duration_nanos(self.max_future));
        if time > limit {
            self.reject_future(&event, time, limit, place, outcome, checkpoint);
            return;
        }
        // The engine's own test: an event behind the watermark is late. Rules without
        // `match:` still see it, so the engine gets it either way.
        let watermark = self.engine.watermark();
        let late = watermark.is_some_and(|w| time < w);
        if late {
            outcome.late += 1;
            let mut entry = json!({"input": place.input,
                                   "watermark": watermark.map(udm_time),
                                   "event": udm::json::event_to_json(&event)});
            place.add_to(&mut entry);
            self.dead_letter.write("late", entry, &self.metrics);
        } else {
            outcome.accepted += 1;
            self.max_time = Some(self.max_time.map_or(time, |t| t.max(time)));
        }
        let rows_before = self.engine.rows_added();
        let detections = self.engine.push(Arc::clone(&event));
        // Only events that entered a window, or gave a detection that may start a suppression
        // period, are needed to rebuild the engine's state by replay.
        let needed = self.engine.rows_added() > rows_before || !detections.is_empty();
        if !late && needed {
            let seq = self.next_seq;
            self.next_seq += 1;
            let json = udm::json::event_to_json(&event).to_string().into_bytes();
            checkpoint.add_events.push(StoredEvent { seq, time, json });
            self.retained.insert((time, seq), event);
        }
        for detection in detections {
            self.emit(detection, checkpoint);
        }
    }

    /// Rejects an event whose time is after `limit`, the wall clock plus `--max-future`. The
    /// engine never sees it, so it cannot move the watermark. Its dead-letter entry goes into
    /// the checkpoint and is written to the file after the commit.
    fn reject_future(
        &mut self,
        event: &Event,
        time: i128,
        limit: i128,
        place: &Place<'_>,
        outcome: &mut BatchOutcome,
        checkpoint: &mut Checkpoint,
    ) {
        let mut error = format!(
            "event time {} is more than --max-future {} ahead of the wall clock {}",
            time_text(time),
            duration_text(self.max_future),
            time_text(self.clock)
        );
        // The path leads the error, as in the error of a rejected element.
        if !place.path.is_empty() {
            error = format!("{}: {error}", place.path);
        }
        outcome.rejected += 1;
        if outcome.errors.len() < MAX_REASONS {
            outcome.errors.push(format!("{} {}: {error}", at_word(place.input), place.at));
        }
        let input = place.input;
        self.metrics.add("dragnet_watch_future_events_total", label("input", input), 1.0);
        let mut entry = json!({"input": input,
                               "error": error,
                               "limit": time_text(limit),
                               "event": udm::json::event_to_json(event)});
        place.add_to(&mut entry);
        let key = self.next_future;
        self.next_future += 1;
        checkpoint.add_future.push((key, entry.to_string().into_bytes()));
    }

    /// Puts a detection in the outbox unless its id was emitted before or a change window
    /// covers it.
    fn emit(&mut self, detection: engine::Detection, checkpoint: &mut Checkpoint) {
        if self.emitted.contains_key(&detection.id) {
            tracing::debug!(id = %detection.id, "detection already emitted; not delivered again");
            return;
        }
        if let Some(reason) = self.set.suppressions.reason_to_leave_out(&detection) {
            tracing::info!(id = %detection.id, rule = %detection.rule.name, reason, "detection in a change window; not delivered");
            let rule = label("rule", &detection.rule.name);
            self.metrics.add("dragnet_watch_suppressed_total", rule, 1.0);
            return;
        }
        let end = detection.window.1.as_nanos();
        let mut line = match serde_json::to_vec(&detection) {
            Ok(line) => line,
            Err(e) => {
                tracing::error!(id = %detection.id, error = %e, "cannot serialise a detection");
                return;
            }
        };
        line.push(b'\n');
        let seq = self.next_outbox;
        self.next_outbox += 1;
        self.metrics.add(
            "dragnet_watch_detections_total",
            label("rule", &detection.rule.name),
            1.0,
        );
        self.emitted.insert(detection.id.clone(), end);
        checkpoint.outbox.push((seq, detection.id, end, line));
    }

    /// Drops retained events and emitted ids that no replay can need any more.
    fn evict(&mut self, checkpoint: &mut Checkpoint) {
        let Some(watermark) = self.engine.watermark() else { return };
        let cutoff = watermark.saturating_sub(self.retention);
        let keep = self.retained.split_off(&(cutoff, 0));
        let evicted = std::mem::replace(&mut self.retained, keep);
        checkpoint.remove_events.extend(evicted.into_keys().map(|(_, seq)| seq));
        let forget_before = cutoff.saturating_sub(EMITTED_MEMORY);
        let forget: Vec<String> = self
            .emitted
            .iter()
            .filter(|(_, end)| **end < forget_before)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &forget {
            self.emitted.remove(id);
        }
        checkpoint.forget_emitted = forget;
    }

    /// Forgets the outcomes of requests older than [`REQUEST_MEMORY_SECONDS`].
    fn forget_old_requests(&mut self, checkpoint: &mut Checkpoint) {
        let oldest = chrono::Utc::now().timestamp() - REQUEST_MEMORY_SECONDS;
        let expired: Vec<String> =
            self.requests.iter().filter(|(_, r)| r.at < oldest).map(|(k, _)| k.clone()).collect();
        for key in &expired {
            self.requests.remove(key);
        }
        checkpoint.forget_requests = expired;
    }

    fn commit(&mut self, mut checkpoint: Checkpoint) -> Result<()> {
        let started = Instant::now();
        checkpoint.next_seq = self.next_seq;
        checkpoint.next_outbox = self.next_outbox;
        checkpoint.max_time = self.max_time;
        let delivered = self.outbox.delivered.iter().map(|d| d.load(Ordering::Acquire)).min();
        checkpoint.outbox_delivered_up_to = delivered.filter(|d| *d > 0);
        self.dead_letter.sync().context("cannot sync the dead-letter file")?;
        self.store.commit(&checkpoint).context("cannot commit a checkpoint")?;
        let metrics = &self.metrics;
        metrics.add("dragnet_watch_checkpoints_total", String::new(), 1.0);
        metrics.add(
            "dragnet_watch_checkpoint_seconds_total",
            String::new(),
            started.elapsed().as_secs_f64(),
        );
        metrics.set("dragnet_watch_state_size", String::new(), self.engine.state_size() as f64);
        metrics.set("dragnet_watch_retained_events", String::new(), self.retained.len() as f64);
        if let Some(watermark) = self.engine.watermark() {
            let seconds = watermark as f64 / 1e9;
            metrics.set("dragnet_watch_watermark_seconds", String::new(), seconds);
            let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0) as f64 / 1e9;
            metrics.set("dragnet_watch_watermark_lag_seconds", String::new(), now - seconds);
        }
        if !checkpoint.outbox.is_empty() {
            self.outbox.committed.send_replace(self.next_outbox - 1);
        }
        Ok(())
    }
}

/// What `RawRecord::at` counts in an input.
fn at_word(input: &str) -> &'static str {
    if input.starts_with("file:") || input.starts_with("kafka:") {
        "offset"
    } else {
        "line"
    }
}

fn message_records(message: &Message) -> usize {
    match message {
        Message::Batch(batch) => batch.records.len().max(1),
        _ => 1,
    }
}

fn duration_nanos(duration: Duration) -> i128 {
    i128::try_from(duration.as_nanos()).unwrap_or(i128::MAX)
}

/// Reads the wall clock as nanoseconds since the epoch.
fn wall_clock() -> i128 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(elapsed) => duration_nanos(elapsed),
        Err(before) => -duration_nanos(before.duration()),
    }
}

/// Formats nanoseconds since the epoch as RFC 3339 in UTC, or as the number of nanoseconds
/// when chrono cannot represent the time.
fn time_text(nanos: i128) -> String {
    let seconds = nanos.div_euclid(1_000_000_000);
    let rest = nanos.rem_euclid(1_000_000_000) as u32;
    i64::try_from(seconds)
        .ok()
        .and_then(|seconds| chrono::DateTime::from_timestamp(seconds, rest))
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_else(|| format!("{nanos} ns since the epoch"))
}

/// Formats a duration in the largest unit of `--max-future` that divides it exactly.
fn duration_text(duration: Duration) -> String {
    let millis = duration.as_millis();
    for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)] {
        if millis > 0 && millis.is_multiple_of(size) {
            return format!("{}{unit}", millis / size);
        }
    }
    format!("{millis}ms")
}

fn udm_time(nanos: i128) -> serde_json::Value {
    let seconds = nanos.div_euclid(1_000_000_000) as i64;
    let rest = nanos.rem_euclid(1_000_000_000) as i64;
    udm::json::value_to_json(&udm::Value::Timestamp(udm::Timestamp::new(seconds, rest)))
}
