//! Reading inputs and normalising their records to UDM events, counting what was rejected.
//!
//! Inputs are read as streams, in batches of records (see [`crate::stream`]). With more than
//! one thread, a reader thread fills a bounded queue of batches, worker threads parse them,
//! normalise the records that need no identity state (native UDM), enrich the events and
//! apply the caller's [`Keep`] test, and the calling thread takes the results back in input
//! order. Records of sources whose normalisation reads or learns identities (Okta, Microsoft
//! 365, Entra ID, Graph, Salesforce) are normalised on the calling thread, in input order, so
//! the identities learned from one record reach the next as in a single-threaded run. The
//! events, the counts and the messages are the same whatever the number of threads.
//!
//! Memory stays bounded by the queue: at most a few batches per thread are in flight.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;

use enrich::AsnDb;
use sources::{Format, Normalizer};
use udm::Event;

use crate::input::Input;
use crate::parquet_input::{self, ParquetOptions, RowGroupCounts, Step};
use crate::progress::Progress;
use crate::stream::{element_path, Batch, Body, RecordStream};
use crate::terminal::escape_controls;

/// Rejected records printed per input before the rest are only counted.
const MAX_REPORTED_PER_INPUT: usize = 20;

/// Batches queued per worker thread, beyond the one each is working on.
const QUEUE_PER_THREAD: usize = 2;

/// Counts for one input, shown in the summary.
#[derive(Debug, Clone, Default)]
pub struct InputStats {
    /// The input's name.
    pub name: String,
    /// Records read, good or bad.
    pub records: u64,
    /// Records that could not be read or normalised.
    pub rejected: u64,
    /// UDM events produced.
    pub events: u64,
    /// Events that [`Keep::OutOfRange`] left out.
    pub out_of_range: u64,
    /// Events that [`Keep::Unused`] left out.
    pub unused: u64,
    /// Records not parsed because their raw text has nothing any rule requires.
    pub skipped: u64,
    /// For a Parquet input, its row groups read and skipped.
    pub row_groups: Option<RowGroupCounts>,
    /// Why the input could not be read (whole or from some point on), if it could not.
    pub failed: Option<String>,
}

impl InputStats {
    /// Whether nothing of the input could be read: it could not be opened, or reading failed
    /// before its first record.
    pub fn not_read(&self) -> bool {
        self.failed.is_some() && self.records == 0
    }

    /// Whether reading the input failed after some of its records, as in a truncated archive.
    pub fn stopped_early(&self) -> bool {
        self.failed.is_some() && self.records > 0
    }
}

/// The decision on a normalised event: keep it, or the reason it is left out.
#[derive(Debug, Clone, PartialEq)]
pub enum Keep {
    /// Hand it to the sink.
    Yes,
    /// Hand it to the sink with the prefilter's verdict, which the engine then need not
    /// compute again.
    Admitted(engine::Verdict),
    /// Leave it out: it is outside the requested time range.
    OutOfRange,
    /// Leave it out: nothing downstream can use it.
    Unused,
}

/// Settings for reading inputs.
#[derive(Clone, Copy)]
pub struct Options<'a> {
    /// Threads that parse and normalise; 1 runs everything on the calling thread.
    pub threads: usize,
    /// Decides, on a worker thread, whether an event goes to the sink. With a native UDM line,
    /// it also gets what the raw-text test found in the line.
    pub keep: &'a (dyn Fn(&Arc<Event>, Option<&engine::RawScan<'_>>) -> Keep + Sync),
    /// With `--format udm` or `auto`, a test on each JSON line's raw text: a bare native UDM
    /// line (see [`sources::is_bare_udm`]) that it rejects is counted as skipped and not
    /// parsed. With `--format udm` and plain strings (see [`engine::RawFilter::is_plain`]), any
    /// JSON line it rejects is.
    pub raw: Option<&'a engine::RawFilter>,
    /// When set, reading stops before the next batch of records.
    pub cancel: Option<&'a AtomicBool>,
    /// The counts of an earlier pass over the same inputs, whose messages were printed then
    /// and are not printed again.
    pub reported: &'a [InputStats],
    /// The Parquet settings: which inputs are Parquet, and how they are pruned.
    pub parquet: &'a ParquetOptions,
    /// The fields that `keep` and the rules read. When set, a native UDM line is first read
    /// with only these fields, and read in full only when `keep` takes it and `whole` is not
    /// set.
    pub projection: Option<&'a udm::json::Projection>,
    /// Reads a native UDM line whole. When set with `projection`, the event of a line that
    /// `keep` takes goes on partial (see [`Event::into_partial`]), and is read whole again
    /// only if a detection shows it. Rows kept in windows then hold the line's text, not its
    /// fields. Events without `metadata.product_log_id` are read whole at once, since their id
    /// is a hash of the whole event.
    pub whole: Option<&'a Arc<dyn udm::ReadWhole>>,
    /// Read every native UDM line with the projection first, even while most lines without
    /// `metadata.product_log_id` are kept and so read twice.
    pub always_projected: bool,
}

/// Reads the whole event of a native UDM line that a hunt first read in part: the same reads
/// and enrichment as a line read in full at once.
///
/// It reads the line as `--format udm` does. A line read in part with `--format auto` was
/// found to be native UDM, and both formats read such a line into the same event.
pub struct WholeReader {
    /// The ASN database that enrichment uses, if any.
    pub asn: Option<Arc<AsnDb>>,
}

impl udm::ReadWhole for WholeReader {
    fn read_whole(&self, text: &[u8]) -> Option<Event> {
        let mut event = match sources::read_bare_udm(text, Format::Udm) {
            Some(event) => event,
            None => {
                let value = serde_json::from_slice::<serde_json::Value>(text).ok()?;
                let normalized = Normalizer::normalize_stateless(&value, Format::Udm)?;
                normalized.into_iter().next()?.result.ok()?.into_iter().next()?
            }
        };
        if let Some(db) = &self.asn {
            enrich::enrich_event(db, &mut event);
        }
        Some(event)
    }
}

/// Returns the number of threads to use by default: one per core.
pub fn default_threads() -> usize {
    thread::available_parallelism().map_or(1, usize::from)
}

/// Reads every input in order, normalises each record and hands the kept events to `sink`, in
/// input order.
///
/// A record that cannot be read or normalised is reported on stderr with its input and line and
/// skipped. An input that cannot be read to its end (a missing file, a truncated archive) is
/// reported and counted after the records read before the failure, and the others go on.
pub fn normalize_inputs(
    inputs: &[Input],
    format: Format,
    normalizer: &mut Normalizer,
    asn: Option<&AsnDb>,
    progress: &Progress,
    options: &Options<'_>,
    mut sink: impl FnMut(Arc<Event>, Option<engine::Verdict>),
) -> Vec<InputStats> {
    let sizes: Option<u64> = inputs.iter().map(Input::size).sum();
    progress.set_total(sizes);
    // The raw text of a record only shows what the rules can see when the record is read as
    // one bare native UDM event, or when it is native UDM and the strings are plain, so the
    // worker checks one of those.
    let raw = options.raw.filter(|_| matches!(format, Format::Udm | Format::Auto));
    let worker = Worker {
        format,
        asn,
        keep: options.keep,
        raw,
        raw_udm: options.raw,
        projection: options.projection,
        geo: options.projection.map_or(enrich::GeoFields::ALL, |projection| {
            enrich::GeoFields::read_by(|path| projection.keeps(path))
        }),
        whole: options.whole,
        always_projected: options.always_projected,
    };
    let mut collector = Collector {
        inputs,
        normalizer,
        worker: &worker,
        progress,
        stats: Vec::with_capacity(inputs.len()),
        reported: options.reported,
        sink: &mut sink,
    };
    if options.threads <= 1 {
        read_inputs(inputs, options.cancel, options.parquet, &mut |message| {
            let message = match message {
                Message::Batch { batch, read } => {
                    Message::Done { done: worker.process(batch), read }
                }
                other => other,
            };
            collector.take(message);
            true
        });
    } else {
        run_parallel(inputs, &worker, options, &mut collector);
    }
    collector.stats
}

/// A step of the reader, in input order.
enum Message {
    /// An input was opened.
    Start { input: usize },
    /// Records read from the current input, and the stored bytes read from all inputs so far.
    Batch { batch: Batch, read: u64 },
    /// The records of a batch after parsing and stateless normalisation.
    Done { done: Vec<Done>, read: u64 },
    /// An input could not be opened.
    Failed { input: usize, reason: String },
    /// Reading the current input failed after some records, such as in a truncated archive.
    Stopped { input: usize, error: String },
    /// A Parquet row group of the current input could not be decoded; reading goes on.
    RowGroupFailed { message: String },
    /// The current input, a Parquet file, was read to its end.
    RowGroups { counts: RowGroupCounts },
}

/// Reads every input and passes each step to `send`, until it returns false.
fn read_inputs(
    inputs: &[Input],
    cancel: Option<&AtomicBool>,
    parquet: &ParquetOptions,
    send: &mut dyn FnMut(Message) -> bool,
) {
    let cancelled = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    let read = Arc::new(AtomicU64::new(0));
    for (index, input) in inputs.iter().enumerate() {
        if cancelled() {
            return;
        }
        if parquet_input::is_parquet(input, parquet) {
            if !read_parquet(index, input, parquet, &read, &cancelled, send) {
                return;
            }
            continue;
        }
        let reader = match input.open_counting(Some(Arc::clone(&read))) {
            Ok(reader) => reader,
            Err(e) => {
                if !send(Message::Failed { input: index, reason: format!("{e:#}") }) {
                    return;
                }
                continue;
            }
        };
        if !send(Message::Start { input: index }) {
            return;
        }
        let mut stream = RecordStream::new(reader);
        loop {
            if cancelled() {
                return;
            }
            match stream.next_batch() {
                Ok(Some(batch)) => {
                    let read = read.load(Ordering::Relaxed);
                    if !send(Message::Batch { batch, read }) {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    if !send(Message::Stopped { input: index, error: e.to_string() }) {
                        return;
                    }
                    break;
                }
            }
        }
    }
}

/// Reads one Parquet input and passes each step to `send`; returns false when `send` did.
fn read_parquet(
    index: usize,
    input: &Input,
    options: &ParquetOptions,
    read: &AtomicU64,
    cancelled: &dyn Fn() -> bool,
    send: &mut dyn FnMut(Message) -> bool,
) -> bool {
    let mut started = false;
    let mut open = true;
    let result = parquet_input::read_input(input, options, read, &mut |step| {
        if !started {
            started = true;
            if !send(Message::Start { input: index }) {
                open = false;
                return false;
            }
        }
        if cancelled() {
            open = false;
            return false;
        }
        let message = match step {
            Step::Batch(batch) => Message::Batch { batch, read: read.load(Ordering::Relaxed) },
            Step::RowGroupFailed(message) => Message::RowGroupFailed { message },
        };
        open = send(message);
        open
    });
    if !open {
        return false;
    }
    match result {
        Ok(counts) => {
            if !started && !send(Message::Start { input: index }) {
                return false;
            }
            send(Message::RowGroups { counts })
        }
        Err(reason) if !started => send(Message::Failed { input: index, reason }),
        Err(error) => send(Message::Stopped { input: index, error }),
    }
}

/// Runs the reader on one thread and the workers on `threads` others, and feeds the results
/// to the collector in input order.
fn run_parallel(
    inputs: &[Input],
    worker: &Worker<'_>,
    options: &Options<'_>,
    collector: &mut Collector,
) {
    let threads = options.threads;
    let cancel = options.cancel;
    let (batch_tx, batch_rx) = mpsc::sync_channel::<(u64, Message)>(threads * QUEUE_PER_THREAD);
    let (done_tx, done_rx) = mpsc::sync_channel::<(u64, Message)>(threads * QUEUE_PER_THREAD);
    let batch_rx = Mutex::new(batch_rx);
    thread::scope(|scope| {
        scope.spawn(move || {
            let mut next = 0u64;
            read_inputs(inputs, cancel, options.parquet, &mut |message| {
                next += 1;
                batch_tx.send((next - 1, message)).is_ok()
            });
        });
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let batch_rx = &batch_rx;
            scope.spawn(move || work(batch_rx, &done_tx, worker));
        }
        drop(done_tx);
        // Results arrive in any order; they are passed on in the reader's order.
        let mut waiting: BTreeMap<u64, Message> = BTreeMap::new();
        let mut next = 0u64;
        for (number, message) in done_rx.iter() {
            waiting.insert(number, message);
            while let Some(message) = waiting.remove(&next) {
                collector.take(message);
                next += 1;
            }
        }
    });
}

/// Runs one worker thread: takes batches off the queue until it closes.
fn work(
    queue: &Mutex<Receiver<(u64, Message)>>,
    done: &SyncSender<(u64, Message)>,
    worker: &Worker<'_>,
) {
    loop {
        // The lock is held only while waiting for the next batch.
        let next = match queue.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok((number, message)) = next else { return };
        let message = match message {
            Message::Batch { batch, read } => Message::Done { done: worker.process(batch), read },
            other => other,
        };
        if done.send((number, message)).is_err() {
            return;
        }
    }
}

/// One record after the work that can run on any thread.
enum Done {
    /// The record's raw text contains nothing any rule requires, so it was not parsed.
    Skipped,
    /// The record could not be read. `path` is its position in a top-level JSON array, or
    /// empty.
    Unreadable { line: usize, path: String, reason: String },
    /// The record's outcomes, normalised without identity state.
    Normalized { line: usize, outcomes: Vec<Outcome> },
    /// A record whose source needs the identity state, left for the calling thread.
    Stateful { line: usize, element: Option<usize>, value: serde_json::Value, format: Format },
}

/// One record of a document: its position in it and its kept events, or why it was rejected.
struct Outcome {
    path: String,
    result: Result<Kept, String>,
}

/// The events of one record after enrichment and the [`Keep`] test.
#[derive(Default)]
struct Kept {
    events: Vec<(Arc<Event>, Option<engine::Verdict>)>,
    produced: u64,
    out_of_range: u64,
    unused: u64,
}

/// The work that can run on any thread.
struct Worker<'a> {
    format: Format,
    asn: Option<&'a AsnDb>,
    keep: &'a (dyn Fn(&Arc<Event>, Option<&engine::RawScan<'_>>) -> Keep + Sync),
    raw: Option<&'a engine::RawFilter>,
    /// The raw-text test for records that are native UDM whatever `--format` is.
    raw_udm: Option<&'a engine::RawFilter>,
    projection: Option<&'a udm::json::Projection>,
    /// The part of enrichment that the projection keeps, for events read with it.
    geo: enrich::GeoFields,
    whole: Option<&'a Arc<dyn udm::ReadWhole>>,
    always_projected: bool,
}

/// Counts of the native UDM lines of a batch that `keep` left out, and of those it took that
/// had to be read in full, which decide whether the next line is first read with only the
/// projected fields. That pays when most events are left out or go on partial, and costs a
/// second read for a taken event that cannot go on partial.
#[derive(Default)]
struct Taken {
    read_twice: u32,
    left: u32,
}

impl Taken {
    fn read_projected_first(&self) -> bool {
        self.left >= self.read_twice
    }

    /// Counts a line read either way. With `partial` set, kept events can go on partial, so a
    /// kept event read whole at once that has a `product_log_id` did not need that read.
    fn count(&mut self, kept: &Kept, partial: bool) {
        let read_twice = |event: &Arc<Event>| {
            !event.is_partial() && (!partial || event.product_log_id().is_empty())
        };
        if kept.events.is_empty() {
            self.left += 1;
        } else if kept.events.iter().any(|(event, _)| read_twice(event)) {
            self.read_twice += 1;
        }
    }
}

impl Worker<'_> {
    fn process(&self, batch: Batch) -> Vec<Done> {
        let mut out = Vec::with_capacity(batch.items.len());
        let (format, raw) =
            if batch.native_udm { (Format::Udm, self.raw_udm) } else { (self.format, self.raw) };
        let mut taken = Taken::default();
        for item in batch.items {
            let line = item.line;
            let element = item.element;
            let value = match item.body {
                Body::Json(range) => {
                    let text = batch.text.get(range).unwrap_or_default();
                    // Only a bare UDM object shows its fields' values in its text, JSON-encoded
                    // once. Even with `--format udm`, the normalizer reads the record inside a
                    // shipper's envelope, where `message` contains it as JSON text and so its
                    // strings are encoded twice. Plain strings read the same encoded twice,
                    // and `--format udm` reads no other source's records, so then the check
                    // is not needed.
                    let scan = raw.and_then(|raw| raw.scan(text));
                    let skip = raw.is_some_and(|raw| {
                        scan.is_none()
                            && ((format == Format::Udm && raw.is_plain())
                                || sources::is_bare_udm(text))
                    });
                    if skip {
                        out.push(Done::Skipped);
                        continue;
                    }
                    // The bare readers below read the event from this very text, so what the
                    // raw-text test found in it applies to the event.
                    let scan = scan.as_ref();
                    // Most native UDM lines are read straight from their text. The rest, and
                    // any line with an error to report, take the path through a JSON tree.
                    // Both readers accept the same lines, so which one runs changes only the
                    // time taken.
                    let partial = self.whole.is_some();
                    let kept = self
                        .projection
                        .filter(|_| self.always_projected || taken.read_projected_first())
                        .and_then(|projection| {
                            self.read_projected(text, format, projection, partial, scan)
                        })
                        .or_else(|| {
                            sources::read_bare_udm(text, format).map(|e| self.finish(vec![e], scan))
                        });
                    if let Some(kept) = kept {
                        taken.count(&kept, partial);
                        let outcomes = vec![Outcome { path: String::new(), result: Ok(kept) }];
                        out.push(Done::Normalized { line, outcomes });
                        continue;
                    }
                    match serde_json::from_slice::<serde_json::Value>(text) {
                        Ok(value) => value,
                        Err(e) => {
                            let path = element_path(element, "");
                            out.push(Done::Unreadable { line, path, reason: e.to_string() });
                            continue;
                        }
                    }
                }
                Body::Ready(Ok(record)) => record.into_json(),
                Body::Ready(Err(reason)) => {
                    out.push(Done::Unreadable { line, path: element_path(element, ""), reason });
                    continue;
                }
            };
            match Normalizer::normalize_stateless(&value, format) {
                Some(normalized) => {
                    let outcomes = normalized
                        .into_iter()
                        .map(|n| Outcome {
                            path: element_path(element, &n.path),
                            result: n
                                .result
                                .map(|e| self.finish(e, None))
                                .map_err(|e| e.to_string()),
                        })
                        .collect();
                    out.push(Done::Normalized { line, outcomes });
                }
                None => out.push(Done::Stateful { line, element, value, format }),
            }
        }
        out
    }

    /// Reads a bare native UDM line with only the projected fields. Returns the record's
    /// counts when [`Keep`] leaves its event out, or when `partial` is set and its event goes
    /// on partial. Returns `None` when the line is not read that way, or its event is kept and
    /// has to be read in full.
    ///
    /// The projection contains every field that `keep`, enrichment and the rules read, so
    /// `keep` decides the projected event as it would the full one, and the rules find the
    /// same values in it.
    fn read_projected(
        &self,
        text: &[u8],
        format: Format,
        projection: &udm::json::Projection,
        partial: bool,
        scan: Option<&engine::RawScan<'_>>,
    ) -> Option<Kept> {
        let event = sources::read_bare_udm_projected(text, format, projection)?;
        let reader = self.whole.filter(|_| partial && !event.product_log_id().is_empty());
        let mut kept = Kept::default();
        let partial = reader.map(|reader| (text, reader));
        self.finish_event(event, self.geo, partial, scan, &mut kept);
        (kept.events.is_empty() || reader.is_some()).then_some(kept)
    }

    /// Enriches a record's events and applies the [`Keep`] test, passing it the raw-text scan
    /// of a record that is one bare native UDM event.
    fn finish(&self, events: Vec<Event>, scan: Option<&engine::RawScan<'_>>) -> Kept {
        let mut kept = Kept::default();
        for event in events {
            self.finish_event(event, enrich::GeoFields::ALL, None, scan, &mut kept);
        }
        kept
    }

    /// Enriches one event with the `geo` part of enrichment, applies the [`Keep`] test and
    /// adds the result to `kept`. With a record text and a reader, a kept event goes on
    /// partial.
    fn finish_event(
        &self,
        mut event: Event,
        geo: enrich::GeoFields,
        partial: Option<(&[u8], &Arc<dyn udm::ReadWhole>)>,
        scan: Option<&engine::RawScan<'_>>,
        kept: &mut Kept,
    ) {
        if let Some(db) = self.asn {
            enrich::enrich_event_fields(db, &mut event, geo);
        }
        kept.produced += 1;
        let event = Arc::new(event);
        let verdict = match (self.keep)(&event, scan) {
            Keep::Yes => None,
            Keep::Admitted(verdict) => Some(verdict),
            Keep::OutOfRange => {
                kept.out_of_range += 1;
                return;
            }
            Keep::Unused => {
                kept.unused += 1;
                return;
            }
        };
        let event = match partial {
            // With a prepared verdict the engine reads no field of the event, so it goes on
            // with its record only, and its fields are freed here, on the thread that made
            // them.
            Some((text, reader))
                if verdict.as_ref().is_some_and(engine::Verdict::is_prepared)
                    && !event.product_log_id().is_empty() =>
            {
                drop(event);
                Arc::new(
                    Event::from_message(udm::Message::new())
                        .into_partial(Arc::from(text), Arc::clone(reader)),
                )
            }
            Some((text, reader)) => {
                let event = Arc::try_unwrap(event).unwrap_or_else(|shared| Event::clone(&shared));
                Arc::new(event.into_partial(Arc::from(text), Arc::clone(reader)))
            }
            None => event,
        };
        kept.events.push((event, verdict));
    }
}

/// The calling thread's side: normalises stateful records, counts, reports and hands the
/// events to the sink, in input order.
struct Collector<'a, 's> {
    inputs: &'a [Input],
    normalizer: &'a mut Normalizer,
    worker: &'a Worker<'a>,
    progress: &'a Progress,
    stats: Vec<InputStats>,
    /// The counts of an earlier pass whose messages were printed; see [`Options::reported`].
    reported: &'a [InputStats],
    sink: &'s mut dyn FnMut(Arc<Event>, Option<engine::Verdict>),
}

impl Collector<'_, '_> {
    fn take(&mut self, message: Message) {
        match message {
            Message::Start { input } => {
                let name = self.name(input);
                self.progress.start_input(&name);
                self.stats.push(InputStats { name, ..InputStats::default() });
            }
            Message::Failed { input, reason } => {
                if self.reported.get(input).is_none_or(|r| r.failed.is_none()) {
                    eprintln!("error: {}", escape_controls(&reason));
                }
                let name = self.name(input);
                self.stats.push(InputStats { name, failed: Some(reason), ..InputStats::default() });
            }
            Message::Stopped { input, error } => {
                let name = self.name(input);
                if let Some(stats) = self.stats.last_mut() {
                    let reason =
                        format!("reading stopped after {} records: {error}", stats.records);
                    if self.reported.get(input).is_none_or(|r| r.failed.is_none()) {
                        eprintln!(
                            "error: {}: {}",
                            escape_controls(&name),
                            escape_controls(&reason)
                        );
                    }
                    stats.failed = Some(reason);
                }
            }
            Message::RowGroupFailed { message } => {
                // Reading goes on after a bad row group, so the input is not marked as failed;
                // the summary counts the row group as unreadable.
                let input = self.stats.len().saturating_sub(1);
                let printed = self
                    .reported
                    .get(input)
                    .and_then(|r| r.row_groups)
                    .is_some_and(|groups| groups.failed > 0);
                if !printed {
                    eprintln!("warning: {}", escape_controls(&message));
                }
            }
            Message::RowGroups { counts } => {
                if let Some(stats) = self.stats.last_mut() {
                    stats.row_groups = Some(counts);
                }
            }
            Message::Done { done, read } => {
                for record in done {
                    self.record(record);
                }
                self.progress.set_read(read);
            }
            Message::Batch { batch, read } => {
                let done = self.worker.process(batch);
                self.take(Message::Done { done, read });
            }
        }
    }

    fn name(&self, input: usize) -> String {
        self.inputs.get(input).map_or_else(String::new, |i| i.name.clone())
    }

    /// Returns how many rejections of the current input an earlier pass printed.
    fn printed(&self) -> u64 {
        let index = self.stats.len().saturating_sub(1);
        self.reported.get(index).map_or(0, |r| r.rejected)
    }

    fn record(&mut self, record: Done) {
        let printed = self.printed();
        let Some(stats) = self.stats.last_mut() else { return };
        match record {
            Done::Skipped => {
                stats.records += 1;
                stats.skipped += 1;
            }
            Done::Unreadable { line, path, reason } => {
                stats.records += 1;
                reject(stats, printed, line, &path, &reason);
            }
            Done::Normalized { line, outcomes } => {
                for outcome in outcomes {
                    self.outcome(line, outcome);
                }
            }
            Done::Stateful { line, element, value, format } => {
                // An export (a JSON array, `{"records": [...]}`) is read record by record, so
                // one bad element costs only itself.
                for normalized in self.normalizer.normalize_each(&value, format) {
                    let result = normalized
                        .result
                        .map(|e| self.worker.finish(e, None))
                        .map_err(|e| e.to_string());
                    let path = element_path(element, &normalized.path);
                    self.outcome(line, Outcome { path, result });
                }
            }
        }
    }

    fn outcome(&mut self, line: usize, outcome: Outcome) {
        let printed = self.printed();
        let Some(stats) = self.stats.last_mut() else { return };
        stats.records += 1;
        match outcome.result {
            Ok(kept) => {
                stats.events += kept.produced;
                stats.out_of_range += kept.out_of_range;
                stats.unused += kept.unused;
                for (event, verdict) in kept.events {
                    (self.sink)(event, verdict);
                }
            }
            Err(reason) => reject(stats, printed, line, &outcome.path, &reason),
        }
    }
}

/// Counts a rejected record and reports it on stderr, up to [`MAX_REPORTED_PER_INPUT`] per
/// input. `path` locates the record inside a JSON document (`records[3]`) or is empty.
/// The first `printed` rejections of the input were reported by an earlier pass.
/// The path and the reason may quote the record, so their control characters are escaped.
fn reject(stats: &mut InputStats, printed: u64, line: usize, path: &str, reason: &str) {
    stats.rejected += 1;
    if stats.rejected <= printed {
        return;
    }
    let input = escape_controls(&stats.name);
    let reason = escape_controls(reason);
    let at = if path.is_empty() { String::new() } else { format!(" {}", escape_controls(path)) };
    if stats.rejected as usize <= MAX_REPORTED_PER_INPUT {
        eprintln!("warning: {input}:{line}{at}: {reason}; record skipped");
    } else if stats.rejected as usize == MAX_REPORTED_PER_INPUT + 1 {
        eprintln!("warning: {input}: more rejected records; only counting them from here");
    }
}
