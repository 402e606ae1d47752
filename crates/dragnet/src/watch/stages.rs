//! Starting and stopping one stage of a watch split across processes (`--stage route` or
//! `--stage correlate`): the argument checks, the HTTP server for `/healthz` and `/metrics`,
//! the sinks of the correlate stage, and the order of shutdown.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use tokio::sync::{mpsc, watch};

use super::correlate::{CorrelateSettings, Delivery};
use super::dead_letter::DeadLetter;
use super::metrics::Metrics;
use super::partition::Shared;
use super::pipeline::Message;
use super::route::RouteSettings;
use super::rules::RuleSet;
use super::sinks::{self, SinkContext};
use super::store::Store;
use super::{build_sinks, serve};
use crate::cli::{Stage, WatchArgs};
use crate::ExitStatus;

/// Returns why the arguments do not fit the stage, if they do not.
pub fn check_args(args: &WatchArgs, stage: Stage) -> Option<String> {
    if !args.follow.is_empty() {
        return Some("--follow cannot be used with --stage; the stages read Kafka only".into());
    }
    match stage {
        Stage::Route => {
            if args.signals_topic.is_none() {
                return Some("--stage route needs --signals-topic".into());
            }
            if args.output.is_some() || args.webhook.is_some() || args.kafka_output.is_some() {
                return Some(
                    "--stage route finds no detections, so it takes no --output, --webhook or \
                     --kafka-output; give them to --stage correlate"
                        .into(),
                );
            }
        }
        Stage::Correlate => {
            if args.signals_topic.is_some() {
                return Some(
                    "--signals-topic is for --stage route; --stage correlate reads the signals \
                     topic given as --topic"
                        .into(),
                );
            }
        }
    }
    None
}

/// Runs one stage until SIGTERM or SIGINT, or until the stage fails.
pub fn run(
    args: &WatchArgs,
    stage: Stage,
    set: RuleSet,
    format: sources::Format,
) -> Result<ExitStatus> {
    let (Some(brokers), Some(topic), Some(group)) = (&args.kafka, &args.topic, &args.group) else {
        anyhow::bail!("--stage needs --kafka, --topic and --group");
    };
    std::fs::create_dir_all(&args.state)
        .with_context(|| format!("cannot create the state folder {}", args.state.display()))?;
    let dead_letter_path =
        args.dead_letter.clone().unwrap_or_else(|| args.state.join("dead-letter.jsonl"));
    let dead_letter = Arc::new(DeadLetter::open(&dead_letter_path)?);
    let metrics = Arc::new(Metrics::default());
    metrics.set("dragnet_watch_rules_loaded", String::new(), set.rules.len() as f64);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let stopping = Arc::new(AtomicBool::new(false));
    let (stop_tx, stop_rx) = watch::channel(false);
    let stop_tx = Arc::new(stop_tx);

    let mut sink_threads = Vec::new();
    let sinks_stopping = Arc::new(AtomicBool::new(false));
    let worker = match stage {
        Stage::Route => {
            let settings = RouteSettings {
                brokers: brokers.clone(),
                topic: topic.clone(),
                group: group.clone(),
                signals_topic: args.signals_topic.clone().unwrap_or_default(),
                format,
            };
            let (dead_letter, metrics, stopping) =
                (Arc::clone(&dead_letter), Arc::clone(&metrics), Arc::clone(&stopping));
            spawn_stage("route", &stop_tx, move || {
                super::route::run(&settings, set, dead_letter, metrics, stopping)
            })?
        }
        Stage::Correlate => {
            let store = Arc::new(Store::open(&args.state)?);
            let sinks = build_sinks(args, &runtime, &sinks_stopping, &metrics)?;
            let sink_names: Vec<String> = sinks.iter().map(|s| s.name()).collect();
            store.retain_sinks(&sink_names)?;
            let next_outbox = store.load()?.next_outbox;
            let (committed_tx, committed_rx) = watch::channel(next_outbox.saturating_sub(1));
            let delivered: Vec<Arc<AtomicU64>> =
                sinks.iter().map(|_| Arc::new(AtomicU64::new(0))).collect();
            let sink_context = SinkContext {
                store: Arc::clone(&store),
                committed: committed_rx,
                stopping: Arc::clone(&sinks_stopping),
                dead_letter: Arc::clone(&dead_letter),
                metrics: Arc::clone(&metrics),
                runtime: runtime.handle().clone(),
            };
            sink_threads = sinks::spawn_sinks(sinks, &delivered, &sink_context);
            let partitions = partition_count(brokers, topic)?;
            let rule_index: HashMap<String, usize> =
                set.rules.iter().enumerate().map(|(i, r)| (r.name().to_owned(), i)).collect();
            let shared = Arc::new(Shared {
                retention: i128::try_from(set.retention().as_nanos()).unwrap_or(i128::MAX),
                rules: set.rules,
                suppressions: set.suppressions,
                rule_index,
                partitions,
                lateness: args.allowed_lateness,
            });
            let settings = CorrelateSettings {
                brokers: brokers.clone(),
                topic: topic.clone(),
                group: group.clone(),
            };
            let delivery = Delivery { committed: committed_tx, delivered };
            let (dead_letter, metrics, stopping) =
                (Arc::clone(&dead_letter), Arc::clone(&metrics), Arc::clone(&stopping));
            spawn_stage("correlate", &stop_tx, move || {
                super::correlate::run(
                    &settings,
                    shared,
                    store,
                    dead_letter,
                    metrics,
                    delivery,
                    stopping,
                )
            })?
        }
    };

    runtime.spawn(async {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hangup) = signal(SignalKind::hangup()) else { return };
        while hangup.recv().await.is_some() {
            tracing::warn!("SIGHUP ignored: the stages do not reload rules; restart them");
        }
    });
    // The stages take no events over HTTP: without a token, POST /v1/events returns 403.
    let (tx, _) = mpsc::channel::<Message>(1);
    let server = runtime.block_on(serve(args, None, tx, Arc::clone(&metrics), stop_rx));
    if let Err(e) = &server {
        tracing::error!(listen = %args.listen, error = %format!("{e:#}"), "HTTP server failed");
    }
    tracing::info!("watch stopping");
    stopping.store(true, Ordering::Release);
    let result =
        worker.join().unwrap_or_else(|_| Err(anyhow::anyhow!("the stage thread panicked")));
    sinks_stopping.store(true, Ordering::Release);
    for thread in sink_threads {
        let _ = thread.join();
    }
    runtime.shutdown_timeout(Duration::from_secs(1));
    match (result, server) {
        (Ok(()), Ok(())) => {
            tracing::info!("watch stopped");
            Ok(ExitStatus::Success)
        }
        _ => Ok(ExitStatus::Failure),
    }
}

/// Runs a stage on its own thread. When the stage ends, the HTTP server stops too.
fn spawn_stage(
    name: &str,
    stop_tx: &Arc<watch::Sender<bool>>,
    body: impl FnOnce() -> Result<()> + Send + 'static,
) -> Result<std::thread::JoinHandle<Result<()>>> {
    let stop_tx = Arc::clone(stop_tx);
    let thread_name = name.to_owned();
    let handle = std::thread::Builder::new().name(thread_name.clone()).spawn(move || {
        let result = body();
        if let Err(e) = &result {
            tracing::error!(stage = %thread_name, error = %format!("{e:#}"), "stage failed; stopping");
        }
        stop_tx.send_replace(true);
        result
    })?;
    Ok(handle)
}

/// Reads the partition count of a topic.
fn partition_count(brokers: &str, topic: &str) -> Result<u32> {
    let client: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .context("cannot create a Kafka client")?;
    let metadata = client
        .fetch_metadata(Some(topic), Duration::from_secs(30))
        .with_context(|| format!("cannot read the metadata of topic {topic}"))?;
    let count = metadata.topics().first().map_or(0, |t| t.partitions().len());
    if count == 0 {
        anyhow::bail!("the topic {topic} does not exist or has no partitions; create it first");
    }
    Ok(count as u32)
}
