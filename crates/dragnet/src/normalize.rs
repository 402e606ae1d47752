//! Reading inputs and normalising their records to UDM events, counting what was rejected.

use enrich::AsnDb;
use sources::{Format, Normalizer};
use udm::Event;

use crate::input::{self, Input, Record};
use crate::progress::Progress;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Rejected records printed per input before the rest are only counted.
const MAX_REPORTED_PER_INPUT: usize = 20;

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
    /// Why the whole input could not be read, if it could not.
    pub failed: Option<String>,
}

/// Reads every input in order, normalises each record and hands the events to `sink`.
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
    mut sink: impl FnMut(Event),
) -> Vec<InputStats> {
    let mut all = Vec::with_capacity(inputs.len());
    let sizes: Option<u64> = inputs.iter().map(Input::size).sum();
    progress.set_total(sizes);
    let read = Arc::new(AtomicU64::new(0));
    for input in inputs {
        let mut stats = InputStats { name: input.name.clone(), ..InputStats::default() };
        let reader = match input.open_counting(Some(Arc::clone(&read))) {
            Ok(reader) => reader,
            Err(e) => {
                eprintln!("error: {:#}", e);
                stats.failed = Some(format!("{e:#}"));
                all.push(stats);
                continue;
            }
        };
        progress.start_input(&input.name);
        let mut records = input::records(reader);
        for record in records.by_ref() {
            progress.set_read(read.load(Ordering::Relaxed));
            let value = match record.record {
                Ok(Record::Json(value)) => value,
                Ok(Record::Csv(pairs)) => {
                    let object = pairs
                        .into_iter()
                        .map(|(k, v)| (k, serde_json::Value::String(v)))
                        .collect::<serde_json::Map<_, _>>();
                    serde_json::Value::Object(object)
                }
                Err(reason) => {
                    stats.records += 1;
                    reject(&mut stats, &input.name, record.line, "", &reason);
                    continue;
                }
            };
            // An export (a JSON array, `{"records": [...]}`) is read record by record, so one
            // bad element costs only itself.
            for outcome in normalizer.normalize_each(&value, format) {
                stats.records += 1;
                match outcome.result {
                    Ok(events) => {
                        for mut event in events {
                            if let Some(db) = asn {
                                enrich::enrich_event(db, &mut event);
                            }
                            stats.events += 1;
                            sink(event);
                        }
                    }
                    Err(error) => {
                        let reason = error.to_string();
                        reject(&mut stats, &input.name, record.line, &outcome.path, &reason);
                    }
                }
            }
        }
        if let Some(e) = records.into_error() {
            let reason = format!("reading stopped after {} records: {e}", stats.records);
            eprintln!("error: {}: {reason}", input.name);
            stats.failed = Some(reason);
        }
        all.push(stats);
    }
    all
}

/// Counts a rejected record and reports it on stderr, up to [`MAX_REPORTED_PER_INPUT`] per
/// input. `path` locates the record inside a JSON document (`records[3]`) or is empty.
fn reject(stats: &mut InputStats, input: &str, line: usize, path: &str, reason: &str) {
    stats.rejected += 1;
    let at = if path.is_empty() { String::new() } else { format!(" {path}") };
    if stats.rejected as usize <= MAX_REPORTED_PER_INPUT {
        eprintln!("warning: {input}:{line}{at}: {reason}; record skipped");
    } else if stats.rejected as usize == MAX_REPORTED_PER_INPUT + 1 {
        eprintln!("warning: {input}: more rejected records; only counting them from here");
    }
}
