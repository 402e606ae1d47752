//! The dead-letter file: one JSON object per line for every late event, rejected record and
//! detection a sink gave up on, so that nothing is dropped without a trace.
//!
//! Each line has `reason` (`late`, `rejected`, `future` or `undeliverable`) and `input` or
//! `sink`. It gives where in the input the record was (`line` in a request body or standard
//! input, `offset` in a followed file or Kafka partition, and `path` for an element of a
//! document, such as `records[5]`), a human-readable `error` where there
//! is one, the payload (`event`, `record` or `detection`) and `at`, the wall-clock time of
//! writing. Writes are
//! flushed and synced before the checkpoint that covers them, so a crash can repeat a dead
//! letter but not lose one. The exception is `future`: those entries are stored in the
//! checkpoint and written after it commits (see `Pipeline::reject_future`).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use serde_json::{json, Value};

use super::metrics::{label, Metrics};
use crate::terminal::escape_controls;

/// How many dead letters are logged on stderr per [`LOG_PERIOD`]; the rest are counted and
/// the count is logged when the next period starts.
const LOGGED_PER_PERIOD: u32 = 10;
const LOG_PERIOD: Duration = Duration::from_secs(60);

/// The dead-letter file, shared by the pipeline and the sinks.
pub struct DeadLetter {
    path: PathBuf,
    file: Mutex<BufWriter<File>>,
    log_budget: Mutex<LogBudget>,
}

/// The decision to log one dead letter or not, under the per-period limit.
#[derive(Debug, PartialEq, Eq)]
enum LogDecision {
    /// Log it, after a line for the `u64` dead letters of the period before that were not
    /// logged, when there were any.
    Log(u64),
    /// Count it without logging it.
    Skip,
}

/// The number of dead letters logged in the current period, and of those left out.
#[derive(Debug)]
struct LogBudget {
    period_start: Instant,
    logged: u32,
    skipped: u64,
}

impl LogBudget {
    fn new(now: Instant) -> LogBudget {
        LogBudget { period_start: now, logged: 0, skipped: 0 }
    }

    fn decide(&mut self, now: Instant) -> LogDecision {
        let mut skipped_before = 0;
        if now.duration_since(self.period_start) >= LOG_PERIOD {
            skipped_before = std::mem::take(&mut self.skipped);
            self.period_start = now;
            self.logged = 0;
        }
        if self.logged < LOGGED_PER_PERIOD {
            self.logged += 1;
            LogDecision::Log(skipped_before)
        } else {
            self.skipped += 1;
            LogDecision::Skip
        }
    }
}

impl DeadLetter {
    /// Opens `path` for appending, creating it when missing.
    pub fn open(path: &Path) -> Result<DeadLetter> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open the dead-letter file {}", path.display()))?;
        Ok(DeadLetter {
            path: path.to_path_buf(),
            file: Mutex::new(BufWriter::new(file)),
            log_budget: Mutex::new(LogBudget::new(Instant::now())),
        })
    }

    /// Appends one entry; `entry` must be a JSON object, to which `reason` and `at` are added.
    pub fn write(&self, reason: &str, mut entry: Value, metrics: &Metrics) {
        self.log(reason, &entry);
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

    /// Logs a dead letter on stderr with where it came from and why, within the per-period
    /// limit.
    fn log(&self, reason: &str, entry: &Value) {
        let decision =
            self.log_budget.lock().unwrap_or_else(|e| e.into_inner()).decide(Instant::now());
        let LogDecision::Log(skipped) = decision else { return };
        if skipped > 0 {
            tracing::warn!(
                skipped,
                path = %self.path.display(),
                "{skipped} more dead letters in the last period were not logged; the dead-letter file has them all"
            );
        }
        let text = |key: &str| {
            entry.get(key).map(|v| match v {
                Value::String(s) => escape_controls(s).into_owned(),
                other => other.to_string(),
            })
        };
        let source = text("input").or_else(|| text("sink")).unwrap_or_default();
        let mut position = text("line")
            .map(|line| format!("line {line}"))
            .or_else(|| text("offset").map(|offset| format!("offset {offset}")))
            .unwrap_or_default();
        if let Some(element) = text("path") {
            position = format!("{position}: {element}");
        }
        let error = text("error").unwrap_or_default();
        tracing::warn!(
            reason,
            source = %source,
            position = %position,
            error = %error,
            path = %self.path.display(),
            "record sent to the dead-letter file"
        );
    }

    /// Flushes buffered entries and syncs the file to disk.
    pub fn sync(&self) -> Result<()> {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.flush()?;
        file.get_ref().sync_data()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_budget_limits_each_period() {
        let start = Instant::now();
        let mut budget = LogBudget::new(start);
        for _ in 0..LOGGED_PER_PERIOD {
            assert_eq!(budget.decide(start), LogDecision::Log(0));
        }
        assert_eq!(budget.decide(start + Duration::from_secs(1)), LogDecision::Skip);
        assert_eq!(budget.decide(start + Duration::from_secs(59)), LogDecision::Skip);
        // The next period logs again, and reports what the last one left out.
        let next = start + LOG_PERIOD;
        assert_eq!(budget.decide(next), LogDecision::Log(2));
        assert_eq!(budget.decide(next), LogDecision::Log(0));
    }
}
