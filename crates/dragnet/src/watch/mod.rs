//! `dragnet watch`: the rules over live event streams, with state that survives `kill -9`.
//!
//! # Data flow
//!
//! Inputs (HTTP ingest, followed files, standard input, Kafka) parse records and put batches
//! on a bounded queue. One pipeline thread owns the engine: it normalises each record, feeds
//! the events to the engine, writes late events and rejected records to the dead-letter file,
//! and commits one checkpoint per group of batches. Sinks read detections from the outbox in
//! the checkpoint store and deliver them.
//!
//! # State and recovery
//!
//! The engine's window state is not serialised. What a checkpoint stores instead, in one
//! atomic redb transaction, is:
//!
//! - every accepted event that entered a window or gave a detection, while its time is within
//!   the *retention span* behind the watermark (three times the longest match window plus the
//!   longest suppression window, see [`rules::RuleSet::retention`]);
//! - the latest accepted event time, which sets the watermark again after a replay;
//! - the position each resumable input reached (file identity and offset, Kafka offsets);
//! - the new detections, in an outbox, and the ids of all detections emitted recently.
//!
//! On start, the retained events are replayed in their original order into a fresh engine,
//! and every detection the replay produces is discarded. Each of them was either put in the
//! outbox before the checkpoint, or comes from a window that closed before the checkpoint and
//! is now missing events that left the retention span. Replaying in the original order with the same
//! allowed lateness, then restoring the latest event time with `Engine::observe_time`, leaves
//! the fresh engine with the same open windows, watermark, held hop-window candidates and
//! suppression periods as the one that crashed. Inputs then resume
//! from their positions, so every event after the checkpoint is read again and its detections
//! get the same stable ids. Rule and list reloads use the same replay.
//!
//! This design was chosen over serialising the engine's internals because it needs nothing
//! from the engine beyond its public API, so engine changes cannot break the store format,
//! and a restart with changed rules works the same way as a reload. Its cost is storing the
//! windowed events of the retention span and replaying them at start-up. NOTE: events that
//! entered no window of the old rules are not kept, so rules added by a reload or restart
//! start with empty windows.
//!
//! Detections are delivered from the outbox only after their checkpoint commits, and each sink
//! stores its own mark, so a crash never loses a detection. Repeats are prevented by the
//! emitted-id set for detections found again, and by the file sink reading back what it
//! wrote past its mark; the webhook and standard output deliver at least once (see
//! [`sinks`]). An HTTP request is answered only after its checkpoint commits, so a client
//! that gets no answer resends. With an `Idempotency-Key` header the resend of a committed
//! request returns the stored outcome and is not ingested twice. Without one the events are
//! ingested again: a rule without `match:` finds the same detection ids, which the emitted-id
//! set drops, but a window that gets an event twice gives a detection with another id.
//!
//! # Several processes
//!
//! With `--stage`, the service runs one of two stages joined by a Kafka topic of signals
//! ([`signal`]). [`route`] parses, normalises, enriches and filters raw records, and writes
//! each event to the signals partitions that its rules' match values map to. [`correlate`]
//! keeps the window state of the partitions it owns ([`partition`]), and rebuilds it by
//! replay when a rebalance moves a partition to it. [`stages`] starts and stops them.
//!
//! # Late events
//!
//! An event older than the watermark (the latest event time minus `--allowed-lateness`) is
//! late: windowed rules never see it, rules without `match:` still do, and it is written to
//! the dead-letter file and counted in `dragnet_watch_late_events_total`.
//!
//! # Future events
//!
//! An event more than `--max-future` after the wall clock is rejected before it reaches the
//! engine, so that it cannot move the watermark ahead of real time. Its dead-letter entry is
//! committed with the checkpoint and written to the file after it, so a record read again
//! after a crash has left no rejection behind and is decided once. At start, a stored latest
//! event time beyond the limit (from before the limit existed, or a larger one) is repaired.

#[cfg(feature = "kafka")]
mod correlate;
mod dead_letter;
mod follow;
mod http;
#[cfg(feature = "kafka")]
mod kafka;
mod metrics;
mod normalize;
#[cfg_attr(not(feature = "kafka"), allow(dead_code))]
mod partition;
mod pipeline;
#[cfg(feature = "kafka")]
mod route;
mod rules;
#[cfg_attr(not(feature = "kafka"), allow(dead_code))]
mod signal;
mod sinks;
#[cfg(feature = "kafka")]
mod stages;
mod store;
mod webhook;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use tokio::sync::{mpsc, watch};

use crate::cli::WatchArgs;
use crate::ExitStatus;
use dead_letter::DeadLetter;
use metrics::Metrics;
use pipeline::{Message, Outbox, Pipeline};
use sinks::{FileSink, Sink, SinkContext, StdoutSink};
use store::Store;
use webhook::{WebhookSettings, WebhookSink};

/// The environment variable read for the ingest token when no --token-file is given.
pub const TOKEN_ENV: &str = "DRAGNET_WATCH_TOKEN";

/// Runs the watch service until SIGTERM or SIGINT, or until standard input ends when it is
/// the only input.
pub fn run(args: &WatchArgs) -> Result<ExitStatus> {
    let format: sources::Format = match args.source.format.parse() {
        Ok(format) => format,
        Err(e) => {
            eprintln!("error: invalid --format: {e}");
            return Ok(ExitStatus::InvalidInput);
        }
    };
    if args.kafka.is_some() && !cfg!(feature = "kafka") {
        eprintln!(
            "error: --kafka needs a dragnet built with the `kafka` feature \
             (cargo install --path crates/dragnet --features kafka)"
        );
        return Ok(ExitStatus::InvalidInput);
    }
    #[cfg(feature = "kafka")]
    if let Some(stage) = args.stage {
        if let Some(problem) = stages::check_args(args, stage) {
            eprintln!("error: {problem}");
            return Ok(ExitStatus::InvalidInput);
        }
    }
    if args.signals_topic.is_some() && args.stage.is_none() {
        eprintln!("error: --signals-topic is for --stage route");
        return Ok(ExitStatus::InvalidInput);
    }
    if args.entities.iter().any(|path| path.as_os_str() == "-") {
        eprintln!(
            "error: --entities - reads standard input, which a watch cannot read again when it \
             reloads the entity records; give a file or folder"
        );
        return Ok(ExitStatus::InvalidInput);
    }
    let token = match read_token(args) {
        Ok(token) => token,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitStatus::InvalidInput);
        }
    };

    let rule_sources = rules::Sources::from_args(args);
    // Taken before loading, so that a change made while loading triggers a reload.
    let fingerprint = rule_sources.fingerprint();
    let (set, rejected) = match rule_sources.load(false) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitStatus::InvalidInput);
        }
    };
    for rule in &rejected {
        tracing::warn!(rule = %rule.name, reason = %rule.reason, "rule rejected; the others run");
    }

    #[cfg(feature = "kafka")]
    if let Some(stage) = args.stage {
        if token.is_some() {
            tracing::warn!("the stages take no events over HTTP; the ingest token is not used");
        }
        return stages::run(args, stage, set, format);
    }

    let store = Arc::new(Store::open(&args.state)?);
    let loaded = store.load()?;
    let dead_letter_path =
        args.dead_letter.clone().unwrap_or_else(|| args.state.join("dead-letter.jsonl"));
    let dead_letter = Arc::new(DeadLetter::open(&dead_letter_path)?);
    let metrics = Arc::new(Metrics::default());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;

    let sinks_stopping = Arc::new(AtomicBool::new(false));
    let sinks = build_sinks(args, &runtime, &sinks_stopping, &metrics)?;
    let sink_names: Vec<String> = sinks.iter().map(|s| s.name()).collect();
    store.retain_sinks(&sink_names)?;
    let delivered: Vec<Arc<AtomicU64>> =
        sinks.iter().map(|_| Arc::new(AtomicU64::new(0))).collect();
    let (committed_tx, committed_rx) = watch::channel(loaded.next_outbox.saturating_sub(1));

    let positions = loaded.positions.clone();
    let replayed = loaded.events.len();
    tracing::info!(
        state = %args.state.display(),
        retained_events = replayed,
        rules = set.rules.len(),
        "watch starting"
    );
    let pipeline = Pipeline::resume(
        set,
        format,
        args.allowed_lateness,
        args.max_future,
        loaded,
        Arc::clone(&store),
        Arc::clone(&dead_letter),
        Arc::clone(&metrics),
        Outbox { committed: committed_tx, delivered: delivered.clone() },
    )?;

    let (tx, mut rx) = mpsc::channel::<Message>(args.queue.max(1));
    let (stop_tx, stop_rx) = watch::channel(false);
    let stop_tx = Arc::new(stop_tx);
    let pipeline_thread = std::thread::Builder::new().name("pipeline".into()).spawn({
        let stop_tx = Arc::clone(&stop_tx);
        move || {
            let result = pipeline.run(&mut rx);
            if let Err(e) = &result {
                tracing::error!(error = %format!("{e:#}"), "pipeline failed; stopping");
            }
            stop_tx.send_replace(true);
            result
        }
    })?;

    let sink_context = SinkContext {
        store: Arc::clone(&store),
        committed: committed_rx,
        stopping: Arc::clone(&sinks_stopping),
        dead_letter: Arc::clone(&dead_letter),
        metrics: Arc::clone(&metrics),
        runtime: runtime.handle().clone(),
    };
    let sink_threads = sinks::spawn_sinks(sinks, &delivered, &sink_context);

    let inputs_stopping = Arc::new(AtomicBool::new(false));
    let mut input_threads = Vec::new();
    let other_inputs =
        token.is_some() || args.kafka.is_some() || args.follow.iter().any(|f| f != "-");
    for follow in &args.follow {
        if follow == "-" {
            let tx = tx.clone();
            let stop_tx = Arc::clone(&stop_tx);
            // Reading standard input blocks, so this thread is never joined.
            std::thread::spawn(move || {
                follow::follow_stdin(tx, || {
                    if !other_inputs {
                        tracing::info!("standard input was the only input and has ended; stopping");
                        stop_tx.send_replace(true);
                    }
                })
            });
            continue;
        }
        let path = PathBuf::from(follow);
        let start = positions
            .get(&follow::input_id(&path))
            .and_then(|json| serde_json::from_str(json).ok());
        let tx = tx.clone();
        let stopping = Arc::clone(&inputs_stopping);
        let metrics = Arc::clone(&metrics);
        input_threads.push(std::thread::spawn(move || {
            follow::follow_file(path, start, tx, stopping, metrics)
        }));
    }
    #[cfg(feature = "kafka")]
    if let (Some(brokers), Some(topic), Some(group)) = (&args.kafka, &args.topic, &args.group) {
        let consumer = kafka::Consumer::new(brokers, topic, group, &positions)?;
        let tx = tx.clone();
        let stopping = Arc::clone(&inputs_stopping);
        let metrics = Arc::clone(&metrics);
        input_threads.push(std::thread::spawn(move || consumer.run(tx, stopping, metrics)));
    }

    let reload_thread = spawn_reloader(
        rule_sources,
        fingerprint,
        args.reload_interval,
        tx.clone(),
        &runtime,
        &metrics,
        &stop_rx,
    );

    let server = runtime.block_on(serve(args, token, tx.clone(), Arc::clone(&metrics), stop_rx));
    if let Err(e) = &server {
        tracing::error!(listen = %args.listen, error = %format!("{e:#}"), "HTTP server failed");
    }

    // Stop in order: inputs, then the pipeline after its last checkpoint, then the sinks once
    // they have delivered what that checkpoint committed.
    tracing::info!("watch stopping");
    inputs_stopping.store(true, Ordering::Release);
    let _ = tx.blocking_send(Message::Shutdown);
    drop(tx);
    let pipeline_result = pipeline_thread
        .join()
        .unwrap_or_else(|_| Err(anyhow::anyhow!("the pipeline thread panicked")));
    sinks_stopping.store(true, Ordering::Release);
    for thread in sink_threads {
        let _ = thread.join();
    }
    for thread in input_threads {
        let _ = thread.join();
    }
    drop(reload_thread);
    runtime.shutdown_timeout(Duration::from_secs(1));
    match (pipeline_result, server) {
        (Ok(()), Ok(())) => {
            tracing::info!("watch stopped");
            Ok(ExitStatus::Success)
        }
        _ => Ok(ExitStatus::Failure),
    }
}

/// Serves HTTP until SIGTERM, SIGINT or a stop request, then lets requests in flight finish.
async fn serve(
    args: &WatchArgs,
    token: Option<String>,
    tx: mpsc::Sender<Message>,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    if token.is_none() {
        tracing::warn!("no ingest token (--token-file or {TOKEN_ENV}): POST /v1/events is off");
    }
    let state = Arc::new(http::AppState {
        token,
        max_body: args.max_body,
        body_read_timeout: args.body_read_timeout,
        tx,
        metrics: Arc::clone(&metrics),
    });
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let shutdown = async move {
        tokio::select! {
            _ = terminate.recv() => tracing::info!(signal = "SIGTERM", "shutdown requested"),
            _ = interrupt.recv() => tracing::info!(signal = "SIGINT", "shutdown requested"),
            _ = stop.wait_for(|stop| *stop) => {}
        }
    };
    tracing::info!(%address, "HTTP server listening");
    let router = http::router(state);
    http::serve(listener, router, args.header_read_timeout, metrics, shutdown).await;
    tracing::info!("HTTP server stopped");
    Ok(())
}

fn read_token(args: &WatchArgs) -> Result<Option<String>> {
    let token = match &args.token_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the token file {}", path.display()))?,
        ),
        None => std::env::var(TOKEN_ENV).ok(),
    };
    let token = token.map(|t| t.trim().to_owned());
    if token.as_deref() == Some("") {
        bail!("the ingest token is empty");
    }
    Ok(token)
}

fn build_sinks(
    args: &WatchArgs,
    runtime: &tokio::runtime::Runtime,
    stopping: &Arc<AtomicBool>,
    metrics: &Arc<Metrics>,
) -> Result<Vec<Box<dyn Sink>>> {
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    match args.output.as_deref() {
        Some("-") => sinks.push(Box::new(StdoutSink)),
        Some(path) => sinks.push(Box::new(FileSink::open(path.as_ref())?)),
        None if args.webhook.is_none() && args.kafka_output.is_none() => {
            sinks.push(Box::new(StdoutSink))
        }
        None => {}
    }
    if let Some(url) = &args.webhook {
        let settings = WebhookSettings {
            url,
            attempts: args.webhook_attempts,
            ca_files: &args.webhook_ca,
            headers: &args.webhook_header,
        };
        sinks.push(Box::new(WebhookSink::new(
            &settings,
            runtime.handle().clone(),
            Arc::clone(stopping),
            Arc::clone(metrics),
        )?));
    }
    #[cfg(feature = "kafka")]
    if let (Some(brokers), Some(topic)) = (&args.kafka, &args.kafka_output) {
        sinks.push(Box::new(kafka::KafkaSink::new(brokers, topic, runtime.handle().clone())?));
    }
    Ok(sinks)
}

fn spawn_reloader(
    sources: rules::Sources,
    mut fingerprint: Vec<(PathBuf, u64, Option<std::time::SystemTime>)>,
    interval: Duration,
    tx: mpsc::Sender<Message>,
    runtime: &tokio::runtime::Runtime,
    metrics: &Arc<Metrics>,
    stop: &watch::Receiver<bool>,
) -> std::thread::JoinHandle<()> {
    let (hup_tx, hup_rx) = std::sync::mpsc::channel::<()>();
    runtime.spawn(async move {
        let mut hangup =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
                Ok(signal) => signal,
                Err(e) => {
                    tracing::error!(error = %e, "cannot listen for SIGHUP; reload on file change only");
                    return;
                }
            };
        while hangup.recv().await.is_some() {
            if hup_tx.send(()).is_err() {
                break;
            }
        }
    });
    let metrics = Arc::clone(metrics);
    let stop = stop.clone();
    std::thread::spawn(move || {
        let poll = if interval.is_zero() { Duration::from_secs(3600) } else { interval };
        loop {
            let forced = match hup_rx.recv_timeout(poll) {
                Ok(()) => true,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => false,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(poll);
                    false
                }
            };
            if *stop.borrow() {
                return;
            }
            let current = sources.fingerprint();
            if !forced && (interval.is_zero() || current == fingerprint) {
                continue;
            }
            fingerprint = current;
            let trigger = if forced { "SIGHUP" } else { "file change" };
            tracing::info!(trigger, "reloading rules and lists");
            match sources.load(true) {
                Ok((set, _)) => {
                    let rules = set.rules.len();
                    if tx.blocking_send(Message::Reload(Box::new(set))).is_err() {
                        return;
                    }
                    metrics.add("dragnet_watch_reloads_total", metrics::label("result", "ok"), 1.0);
                    tracing::info!(rules, "reloaded rules and lists");
                }
                Err(e) => {
                    metrics.add(
                        "dragnet_watch_reloads_total",
                        metrics::label("result", "failed"),
                        1.0,
                    );
                    tracing::error!(error = %format!("{e:#}"), "reload failed; the previous rules keep running");
                }
            }
        }
    })
}
