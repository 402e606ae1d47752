//! Sinks: deliver detections from the outbox to a JSON-lines file, standard output or a
//! webhook (in [`super::webhook`]).
//!
//! Every sink runs on its own thread, reads the outbox in order from its stored mark, and
//! stores a new mark after each delivered batch. A crash between delivering and storing the
//! mark delivers the batch again on restart; how each sink deals with that:
//!
//! - The file sink stores the file length with its mark. On start it reads whatever was
//!   written past that length, drops a torn last line, and skips the detections whose ids it
//!   finds there, so the file gets every detection exactly once.
//! - Standard output cannot be read back, so it may repeat the detections of the last batch
//!   after a crash.
//! - The webhook sends the detection id in an `Idempotency-Key` header, so a receiver can
//!   drop a repeat. It retries with exponential backoff and dead-letters a detection after
//!   `--webhook-attempts` failures or on a 4xx status other than 408 and 429.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use serde_json::json;
use tokio::runtime::Handle;
use tokio::sync::watch;

use super::dead_letter::DeadLetter;
use super::metrics::{label, Metrics};
use super::store::{SinkMark, Store};

/// Outbox entries read per batch.
const BATCH: usize = 512;

/// Reason a delivery failed for good.
pub struct Undeliverable(pub String);

/// A destination for detections.
pub trait Sink: Send {
    /// Returns the name under which the mark is stored and metrics are labelled.
    fn name(&self) -> String;
    /// Prepares to resume after `mark`; the file sink collects what it wrote past the mark.
    fn recover(&mut self, _mark: SinkMark) -> Result<()> {
        Ok(())
    }
    /// Delivers one detection (a JSON line ending in `\n`).
    fn deliver(&mut self, id: &str, line: &[u8]) -> std::result::Result<(), Undeliverable>;
    /// Makes what was delivered durable and returns the mark fields this sink keeps.
    fn flush(&mut self) -> Result<u64> {
        Ok(0)
    }
}

/// State shared by every sink thread.
#[derive(Clone)]
pub struct SinkContext {
    /// The store holding the outbox and the marks.
    pub store: Arc<Store>,
    /// The highest committed outbox sequence number.
    pub committed: watch::Receiver<u64>,
    /// Set when the service is shutting down.
    pub stopping: Arc<AtomicBool>,
    /// For the dead-letter file.
    pub dead_letter: Arc<DeadLetter>,
    /// For delivery metrics.
    pub metrics: Arc<Metrics>,
    /// The runtime, for waiting on `committed`.
    pub runtime: Handle,
}

/// Starts one thread per sink, each delivering from the outbox with its own counter of
/// delivered sequence numbers.
pub fn spawn_sinks(
    sinks: Vec<Box<dyn Sink>>,
    delivered: &[Arc<AtomicU64>],
    ctx: &SinkContext,
) -> Vec<std::thread::JoinHandle<()>> {
    sinks
        .into_iter()
        .zip(delivered.iter().cloned())
        .map(|(sink, delivered)| {
            let ctx = ctx.clone();
            std::thread::spawn(move || run_sink(sink, delivered, ctx))
        })
        .collect()
}

/// Runs one sink until shutdown, once everything committed has been delivered.
pub fn run_sink(mut sink: Box<dyn Sink>, delivered: Arc<AtomicU64>, mut ctx: SinkContext) {
    let name = sink.name();
    let mut mark = match ctx.store.sink_mark(&name).and_then(|mark| {
        sink.recover(mark)?;
        Ok(mark)
    }) {
        Ok(mark) => mark,
        Err(e) => {
            tracing::error!(sink = %name, error = %format!("{e:#}"), "sink cannot start");
            return;
        }
    };
    delivered.store(mark.delivered, Ordering::Release);
    tracing::info!(sink = %name, from = mark.delivered, "sink started");
    loop {
        let entries = match ctx.store.outbox_after(mark.delivered, BATCH) {
            Ok(entries) => entries,
            Err(e) => {
                tracing::error!(sink = %name, error = %format!("{e:#}"), "cannot read the outbox");
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        if entries.is_empty() {
            if ctx.stopping.load(Ordering::Acquire) {
                break;
            }
            let committed = &mut ctx.committed;
            let _ = ctx.runtime.block_on(async {
                tokio::time::timeout(Duration::from_millis(500), committed.changed()).await
            });
            continue;
        }
        let before = mark.delivered;
        for (seq, line) in entries {
            let id = detection_id(&line);
            match sink.deliver(&id, &line) {
                Ok(()) => ctx.metrics.add(
                    "dragnet_watch_sink_deliveries_total",
                    label("sink", &name),
                    1.0,
                ),
                Err(Undeliverable(reason)) if reason == STOPPING => break,
                Err(Undeliverable(reason)) => {
                    tracing::error!(sink = %name, id = %id, error = %reason, "detection undeliverable; written to the dead-letter file");
                    ctx.metrics.add("dragnet_watch_sink_failures_total", label("sink", &name), 1.0);
                    let detection: serde_json::Value =
                        serde_json::from_slice(&line).unwrap_or(serde_json::Value::Null);
                    ctx.dead_letter.write(
                        "undeliverable",
                        json!({"sink": name, "error": reason, "detection": detection}),
                        &ctx.metrics,
                    );
                    if let Err(e) = ctx.dead_letter.sync() {
                        tracing::error!(error = %e, "cannot sync the dead-letter file");
                    }
                }
            }
            mark.delivered = seq;
        }
        if mark.delivered == before {
            // Stopped in the middle of a retry: the rest stays in the outbox for the next start.
            break;
        }
        match sink.flush() {
            Ok(file_len) => mark.file_len = file_len,
            Err(e) => {
                tracing::error!(sink = %name, error = %format!("{e:#}"), "cannot flush the sink; retrying");
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        }
        if let Err(e) = ctx.store.set_sink_mark(&name, mark) {
            tracing::error!(sink = %name, error = %format!("{e:#}"), "cannot store the sink's mark");
        }
        delivered.store(mark.delivered, Ordering::Release);
        let pending = (*ctx.committed.borrow()).saturating_sub(mark.delivered);
        ctx.metrics.set("dragnet_watch_outbox_pending", label("sink", &name), pending as f64);
    }
    tracing::info!(sink = %name, delivered = mark.delivered, "sink stopped");
}

/// The reason a delivery gives when it stopped retrying because of shutdown.
pub const STOPPING: &str = "shutting down";

/// Returns the `id` field of a detection line.
fn detection_id(line: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: String,
    }
    serde_json::from_slice::<IdOnly>(line).map(|d| d.id).unwrap_or_default()
}

/// Appends detections to a JSON-lines file.
pub struct FileSink {
    path: PathBuf,
    file: File,
    /// Ids written after the stored mark by a run that crashed before storing a new one.
    already_written: HashSet<String>,
}

impl FileSink {
    /// Opens `path` for appending.
    pub fn open(path: &Path) -> Result<FileSink> {
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open the output file {}", path.display()))?;
        Ok(FileSink { path: path.to_path_buf(), file, already_written: HashSet::new() })
    }
}

impl Sink for FileSink {
    fn name(&self) -> String {
        format!("file:{}", self.path.display())
    }

    fn recover(&mut self, mark: SinkMark) -> Result<()> {
        let len = self.file.metadata()?.len();
        if len <= mark.file_len {
            return Ok(());
        }
        let mut tail = Vec::new();
        self.file.seek(SeekFrom::Start(mark.file_len))?;
        self.file.read_to_end(&mut tail)?;
        let complete = tail.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        if complete < tail.len() {
            let keep = mark.file_len + complete as u64;
            tracing::warn!(path = %self.path.display(), at = keep, "dropping a torn last line of the output file");
            self.file.set_len(keep)?;
        }
        for line in tail[..complete].split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            self.already_written.insert(detection_id(line));
        }
        tracing::info!(
            path = %self.path.display(),
            found = self.already_written.len(),
            "output file has detections past the stored mark; they are not written again"
        );
        Ok(())
    }

    fn deliver(&mut self, id: &str, line: &[u8]) -> std::result::Result<(), Undeliverable> {
        if self.already_written.remove(id) {
            return Ok(());
        }
        // A write error here is most likely a full disk: keep retrying rather than lose it.
        let mut delay = Duration::from_millis(100);
        loop {
            match self.file.write_all(line) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    tracing::error!(path = %self.path.display(), id, error = %e, "cannot write a detection; retrying");
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    fn flush(&mut self) -> Result<u64> {
        self.file.sync_data()?;
        Ok(self.file.metadata()?.len())
    }
}

/// Writes detections to standard output.
pub struct StdoutSink;

impl Sink for StdoutSink {
    fn name(&self) -> String {
        "stdout".into()
    }

    fn deliver(&mut self, _id: &str, line: &[u8]) -> std::result::Result<(), Undeliverable> {
        let mut out = std::io::stdout().lock();
        out.write_all(line).and_then(|()| out.flush()).map_err(|e| Undeliverable(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_sink_skips_lines_past_mark() {
        let dir = std::env::temp_dir().join(format!("dragnet-sink-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.jsonl");
        std::fs::write(&path, "{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\"").unwrap();
        let mut sink = FileSink::open(&path).unwrap();
        sink.recover(SinkMark { delivered: 1, file_len: 11 }).unwrap();
        // `b` was written after the mark, `c` was torn and is written again.
        sink.deliver("b", b"{\"id\":\"b\"}\n").ok().unwrap();
        sink.deliver("c", b"{\"id\":\"c\"}\n").ok().unwrap();
        let len = sink.flush().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\"}\n");
        assert_eq!(len, text.len() as u64);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
