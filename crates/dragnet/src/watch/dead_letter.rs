//! The dead-letter file: one JSON object per line for every late event, rejected record and
//! detection a sink gave up on, so that nothing is dropped without a trace.
//!
//! Each line has `reason` (`late`, `rejected`, `future` or `undeliverable`) and `input` or
//! `sink`. It gives where in the input the record was (`line` in a request body or standard
//! input, `offset` in a followed file or Kafka partition), a human-readable `error` where there
//! is one, the payload (`event`, `record` or `detection`) and `at`, the wall-clock time of
//! writing. Writes are
//! flushed and synced before the checkpoint that covers them, so a crash can repeat a dead
//! letter but not lose one. The exception is `future`: those entries are stored in the
//! checkpoint and written after it commits (see `Pipeline::reject_future`).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context as _, Result};
use serde_json::{json, Value};

use super::metrics::{label, Metrics};

/// The dead-letter file, shared by the pipeline and the sinks.
pub struct DeadLetter {
    path: PathBuf,
    file: Mutex<BufWriter<File>>,
}

impl DeadLetter {
    /// Opens `path` for appending, creating it when missing.
    pub fn open(path: &Path) -> Result<DeadLetter> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open the dead-letter file {}", path.display()))?;
        Ok(DeadLetter { path: path.to_path_buf(), file: Mutex::new(BufWriter::new(file)) })
    }

    /// Appends one entry; `entry` must be a JSON object, to which `reason` and `at` are added.
    pub fn write(&self, reason: &str, mut entry: Value, metrics: &Metrics) {
        if let Value::Object(map) = &mut entry {
            map.insert("reason".into(), json!(reason));
            map.insert("at".into(), json!(chrono::Utc::now().to_rfc3339()));
        }
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let written = serde_json::to_writer(&mut *file, &entry)
            .map_err(std::io::Error::from)
            .and_then(|()| file.write_all(b"\n"));
        match written {
            Ok(()) => metrics.add("dragnet_watch_dead_letters_total", label("reason", reason), 1.0),
            Err(e) => tracing::error!(
                path = %self.path.display(), reason, error = %e,
                "cannot write to the dead-letter file; the entry is lost"
            ),
        }
    }

    /// Flushes buffered entries and syncs the file to disk.
    pub fn sync(&self) -> Result<()> {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.flush()?;
        file.get_ref().sync_data()?;
        Ok(())
    }
}
