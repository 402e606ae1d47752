//! The checkpoint store: one `redb` file in the state folder.
//!
//! Each [`Checkpoint`] is written in one redb write transaction with `Durability::Immediate`,
//! so after a crash the store contains either all of a checkpoint or none of it. Tables:
//!
//! - `events`: accepted events still inside the retention span, by acceptance sequence number,
//!   as the event time (16 bytes, little-endian nanoseconds) followed by the UDM JSON.
//! - `positions`: per input, the JSON position reached (a file's identity and offset, a Kafka
//!   partition's next offset).
//! - `outbox`: detections not yet delivered by every sink, by outbox sequence number, as the
//!   JSON line the sinks write.
//! - `emitted`: ids of detections already put in the outbox, with their window end, so that a
//!   detection found again after a reload or a resent request is not delivered twice.
//! - `sinks`: per sink, the last outbox sequence number it delivered, and for a file sink the
//!   file length at that point.
//! - `requests`: per `Idempotency-Key` of an HTTP request, the JSON outcome returned for it
//!   and when, so that a resent request gets it back without being ingested again.
//! - `meta`: counters (`next_seq`, `next_outbox`).
//! - `pending`: with `--stage correlate`, per signals partition, the detections of the last
//!   batch while its offset commit to Kafka is under way; see [`Pending`].
//! - `times`: `max_time`, the latest accepted event time (16 bytes, little-endian
//!   nanoseconds), which sets the watermark after a replay.
//! - `future`: dead-letter entries, as JSON, for events rejected because their time is more
//!   than `--max-future` ahead of the wall clock. They are committed with the checkpoint that
//!   rejects the events, appended to the dead-letter file after it, and then removed.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, Result};
use redb::{Database, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

const EVENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("events");
const POSITIONS: TableDefinition<&str, &str> = TableDefinition::new("positions");
const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
const EMITTED: TableDefinition<&str, &[u8]> = TableDefinition::new("emitted");
const SINKS: TableDefinition<&str, &str> = TableDefinition::new("sinks");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const REQUESTS: TableDefinition<&str, &str> = TableDefinition::new("requests");
const TIMES: TableDefinition<&str, &[u8]> = TableDefinition::new("times");
const PENDING: TableDefinition<&str, &str> = TableDefinition::new("pending");
const FUTURE: TableDefinition<u64, &[u8]> = TableDefinition::new("future");

/// File name of the store inside the state folder.
pub const STORE_FILE: &str = "checkpoint.redb";

/// An accepted event as stored for replay.
pub struct StoredEvent {
    /// Acceptance sequence number: replay follows this order.
    pub seq: u64,
    /// Event time in nanoseconds since the epoch.
    pub time: i128,
    /// The UDM event as JSON.
    pub json: Vec<u8>,
}

/// Progress of one sink through the outbox.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SinkMark {
    /// The last outbox sequence number delivered (or dead-lettered).
    pub delivered: u64,
    /// For a file sink, the file's length right after that delivery.
    pub file_len: u64,
}

/// Everything a pipeline batch changes, written atomically.
#[derive(Default)]
pub struct Checkpoint {
    /// Newly accepted events.
    pub add_events: Vec<StoredEvent>,
    /// Sequence numbers of events that left the retention span.
    pub remove_events: Vec<u64>,
    /// Input positions reached, as JSON.
    pub positions: BTreeMap<String, String>,
    /// New outbox entries: (outbox sequence number, detection id, window end, JSON line).
    pub outbox: Vec<(u64, String, i128, Vec<u8>)>,
    /// Emitted ids that can no longer be found again.
    pub forget_emitted: Vec<String>,
    /// Outcomes of newly committed HTTP requests, by idempotency key, as JSON.
    pub requests: Vec<(String, String)>,
    /// Idempotency keys old enough to forget.
    pub forget_requests: Vec<String>,
    /// Outbox entries every sink has delivered: remove those up to and including this.
    pub outbox_delivered_up_to: Option<u64>,
    /// The next acceptance sequence number.
    pub next_seq: u64,
    /// The next outbox sequence number.
    pub next_outbox: u64,
    /// The latest accepted event time, in nanoseconds since the epoch. `None` removes it.
    pub max_time: Option<i128>,
    /// Dead-letter entries of events rejected as too far in the future: (key, JSON entry).
    pub add_future: Vec<(u64, Vec<u8>)>,
    /// Keys of such entries already written to the dead-letter file and synced.
    pub remove_future: Vec<u64>,
}

/// Detections of one signals partition that wait for their offset commit to Kafka.
///
/// `--stage correlate` stores them before it commits the partition's offset, and moves them to
/// the outbox once the commit succeeded. After a crash in between, the owners lineage in the
/// commit metadata shows whether the commit was stored: if it was, the next owner starts after
/// these detections and they are delivered from here; if not, they are dropped, because the
/// next owner finds them again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// The token of the ownership that decided them.
    pub token: String,
    /// The offset committed with them.
    pub through: i64,
    /// (detection id, window end, JSON line).
    pub detections: Vec<(String, i128, String)>,
}

/// The state loaded at start-up.
pub struct Loaded {
    /// Retained events in acceptance order.
    pub events: Vec<StoredEvent>,
    /// Input positions by input id.
    pub positions: BTreeMap<String, String>,
    /// Emitted detection ids with their window end.
    pub emitted: Vec<(String, i128)>,
    /// Stored request outcomes by idempotency key, as JSON.
    pub requests: Vec<(String, String)>,
    /// The next acceptance sequence number.
    pub next_seq: u64,
    /// The next outbox sequence number.
    pub next_outbox: u64,
    /// The latest accepted event time, in nanoseconds since the epoch.
    pub max_time: Option<i128>,
    /// Dead-letter entries of rejected future events that may not be in the dead-letter file
    /// yet, by key.
    pub future: Vec<(u64, Vec<u8>)>,
}

/// The redb database holding checkpoints.
pub struct Store {
    db: Database,
}

impl Store {
    /// Opens the store in `dir`, creating the folder and the database when missing.
    pub fn open(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the state folder {}", dir.display()))?;
        let path = dir.join(STORE_FILE);
        let db = Database::create(&path)
            .with_context(|| format!("cannot open the checkpoint store {}", path.display()))?;
        let store = Store { db };
        // Create every table up front, so that readers never meet a missing one.
        let txn = store.db.begin_write()?;
        txn.open_table(EVENTS)?;
        txn.open_table(POSITIONS)?;
        txn.open_table(OUTBOX)?;
        txn.open_table(EMITTED)?;
        txn.open_table(SINKS)?;
        txn.open_table(META)?;
        txn.open_table(REQUESTS)?;
        txn.open_table(TIMES)?;
        txn.open_table(PENDING)?;
        txn.open_table(FUTURE)?;
        txn.commit()?;
        Ok(store)
    }

    /// Reads everything the pipeline needs to resume.
    pub fn load(&self) -> Result<Loaded> {
        let txn = self.db.begin_read()?;
        let mut events = Vec::new();
        for entry in txn.open_table(EVENTS)?.iter()? {
            let (seq, value) = entry?;
            let bytes = value.value();
            anyhow::ensure!(bytes.len() >= 16, "stored event {} is truncated", seq.value());
            let time = i128::from_le_bytes(bytes[..16].try_into().expect("16 bytes"));
            events.push(StoredEvent { seq: seq.value(), time, json: bytes[16..].to_vec() });
        }
        let mut positions = BTreeMap::new();
        for entry in txn.open_table(POSITIONS)?.iter()? {
            let (input, position) = entry?;
            positions.insert(input.value().to_owned(), position.value().to_owned());
        }
        let mut emitted = Vec::new();
        for entry in txn.open_table(EMITTED)?.iter()? {
            let (id, end) = entry?;
            let end = end.value().try_into().map(i128::from_le_bytes).unwrap_or(i128::MAX);
            emitted.push((id.value().to_owned(), end));
        }
        let mut requests = Vec::new();
        for entry in txn.open_table(REQUESTS)?.iter()? {
            let (key, outcome) = entry?;
            requests.push((key.value().to_owned(), outcome.value().to_owned()));
        }
        let meta = txn.open_table(META)?;
        let next_seq = meta.get("next_seq")?.map_or(0, |v| v.value());
        let next_outbox = meta.get("next_outbox")?.map_or(1, |v| v.value());
        let max_time = txn
            .open_table(TIMES)?
            .get("max_time")?
            .and_then(|v| v.value().try_into().ok().map(i128::from_le_bytes));
        let mut future = Vec::new();
        for entry in txn.open_table(FUTURE)?.iter()? {
            let (key, json) = entry?;
            future.push((key.value(), json.value().to_vec()));
        }
        Ok(Loaded { events, positions, emitted, requests, next_seq, next_outbox, max_time, future })
    }

    /// Writes one checkpoint atomically and durably.
    pub fn commit(&self, checkpoint: &Checkpoint) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut events = txn.open_table(EVENTS)?;
            for event in &checkpoint.add_events {
                let mut value = Vec::with_capacity(16 + event.json.len());
                value.extend_from_slice(&event.time.to_le_bytes());
                value.extend_from_slice(&event.json);
                events.insert(event.seq, value.as_slice())?;
            }
            for seq in &checkpoint.remove_events {
                events.remove(seq)?;
            }
            let mut positions = txn.open_table(POSITIONS)?;
            for (input, position) in &checkpoint.positions {
                positions.insert(input.as_str(), position.as_str())?;
            }
            let mut outbox = txn.open_table(OUTBOX)?;
            let mut emitted = txn.open_table(EMITTED)?;
            for (seq, id, end, line) in &checkpoint.outbox {
                outbox.insert(*seq, line.as_slice())?;
                emitted.insert(id.as_str(), end.to_le_bytes().as_slice())?;
            }
            for id in &checkpoint.forget_emitted {
                emitted.remove(id.as_str())?;
            }
            let mut requests = txn.open_table(REQUESTS)?;
            for (key, outcome) in &checkpoint.requests {
                requests.insert(key.as_str(), outcome.as_str())?;
            }
            for key in &checkpoint.forget_requests {
                requests.remove(key.as_str())?;
            }
            if let Some(up_to) = checkpoint.outbox_delivered_up_to {
                outbox.retain_in(..=up_to, |_, _| false)?;
            }
            let mut meta = txn.open_table(META)?;
            meta.insert("next_seq", checkpoint.next_seq)?;
            meta.insert("next_outbox", checkpoint.next_outbox)?;
            let mut times = txn.open_table(TIMES)?;
            match checkpoint.max_time {
                Some(time) => times.insert("max_time", time.to_le_bytes().as_slice())?,
                None => times.remove("max_time")?,
            };
            let mut future = txn.open_table(FUTURE)?;
            for (key, json) in &checkpoint.add_future {
                future.insert(*key, json.as_slice())?;
            }
            for key in &checkpoint.remove_future {
                future.remove(key)?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Removes dead-letter entries of rejected future events once the dead-letter file has
    /// them on disk.
    pub fn remove_future(&self, keys: &[u64]) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut future = txn.open_table(FUTURE)?;
            for key in keys {
                future.remove(key)?;
            }
        }
        txn.commit()?;
        Ok(())
    }
}

/// The pending detections and outbox pruning of `--stage correlate`.
#[cfg_attr(not(feature = "kafka"), allow(dead_code))]
impl Store {
    /// Stores the detections of a partition that wait for their offset commit, replacing
    /// any earlier ones of that partition.
    pub fn put_pending(&self, partition: &str, pending: &Pending) -> Result<()> {
        let json = serde_json::to_string(pending)?;
        let txn = self.db.begin_write()?;
        txn.open_table(PENDING)?.insert(partition, json.as_str())?;
        txn.commit()?;
        Ok(())
    }

    /// Returns every partition's pending detections.
    pub fn pending(&self) -> Result<Vec<(String, Pending)>> {
        let txn = self.db.begin_read()?;
        let mut out = Vec::new();
        for entry in txn.open_table(PENDING)?.iter()? {
            let (partition, json) = entry?;
            let pending = serde_json::from_str(json.value())
                .with_context(|| format!("invalid pending detections of {}", partition.value()))?;
            out.push((partition.value().to_owned(), pending));
        }
        Ok(out)
    }

    /// Moves a partition's pending detections to the outbox, numbering them from the stored
    /// next outbox sequence number, in one transaction. Returns the new next sequence number.
    pub fn confirm_pending(&self, partition: &str) -> Result<u64> {
        let txn = self.db.begin_write()?;
        let next = {
            let mut pending_table = txn.open_table(PENDING)?;
            let pending: Option<Pending> = match pending_table.remove(partition)? {
                Some(json) => Some(serde_json::from_str(json.value())?),
                None => None,
            };
            let mut meta = txn.open_table(META)?;
            let mut next = meta.get("next_outbox")?.map_or(1, |v| v.value());
            if let Some(pending) = pending {
                let mut outbox = txn.open_table(OUTBOX)?;
                for (_, _, line) in &pending.detections {
                    outbox.insert(next, line.as_bytes())?;
                    next += 1;
                }
            }
            meta.insert("next_outbox", next)?;
            next
        };
        txn.commit()?;
        Ok(next)
    }

    /// Removes the outbox entries up to and including `up_to`, which every sink delivered.
    pub fn prune_outbox(&self, up_to: u64) -> Result<()> {
        let txn = self.db.begin_write()?;
        txn.open_table(OUTBOX)?.retain_in(..=up_to, |_, _| false)?;
        txn.commit()?;
        Ok(())
    }

    /// Drops a partition's pending detections.
    pub fn drop_pending(&self, partition: &str) -> Result<()> {
        let txn = self.db.begin_write()?;
        txn.open_table(PENDING)?.remove(partition)?;
        txn.commit()?;
        Ok(())
    }
}

impl Store {
    /// Outbox entries after `after`, at most `limit` of them, in order.
    pub fn outbox_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, Vec<u8>)>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(OUTBOX)?;
        let mut out = Vec::new();
        for entry in table.range(after.saturating_add(1)..)? {
            let (seq, line) = entry?;
            out.push((seq.value(), line.value().to_vec()));
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Returns the mark of sink `name`, or the start of the outbox when it has none.
    pub fn sink_mark(&self, name: &str) -> Result<SinkMark> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(SINKS)?;
        let mark = match table.get(name)? {
            Some(value) => serde_json::from_str(value.value())
                .with_context(|| format!("invalid stored mark of sink {name}"))?,
            None => SinkMark::default(),
        };
        Ok(mark)
    }

    /// Records how far sink `name` has delivered.
    pub fn set_sink_mark(&self, name: &str, mark: SinkMark) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(SINKS)?;
            let json = serde_json::to_string(&mark)?;
            table.insert(name, json.as_str())?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Removes the marks of sinks that are no longer configured, so they do not hold back the
    /// outbox.
    pub fn retain_sinks(&self, names: &[String]) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(SINKS)?;
            table.retain(|name, _| names.iter().any(|n| n == name))?;
        }
        txn.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("dragnet-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn checkpoint_round_trip() {
        let dir = temp_dir("round-trip");
        let store = Store::open(&dir).unwrap();
        let mut checkpoint = Checkpoint {
            add_events: vec![
                StoredEvent { seq: 0, time: -5, json: b"{\"a\":1}".to_vec() },
                StoredEvent { seq: 1, time: 7, json: b"{}".to_vec() },
            ],
            next_seq: 2,
            next_outbox: 2,
            ..Checkpoint::default()
        };
        checkpoint.positions.insert("stdin".into(), "{\"offset\":3}".into());
        checkpoint.outbox.push((1, "det_1".into(), 99, b"{\"id\":\"det_1\"}".to_vec()));
        store.commit(&checkpoint).unwrap();
        store
            .commit(&Checkpoint {
                remove_events: vec![0],
                next_seq: 2,
                next_outbox: 2,
                ..Checkpoint::default()
            })
            .unwrap();
        drop(store);

        let store = Store::open(&dir).unwrap();
        let loaded = store.load().unwrap();
        assert_eq!(loaded.events.len(), 1);
        assert_eq!(loaded.events[0].seq, 1);
        assert_eq!(loaded.events[0].time, 7);
        assert_eq!(loaded.positions.get("stdin").map(String::as_str), Some("{\"offset\":3}"));
        assert_eq!(loaded.emitted, vec![("det_1".to_owned(), 99)]);
        assert_eq!(loaded.next_seq, 2);
        assert_eq!(store.outbox_after(0, 10).unwrap().len(), 1);
        assert!(store.outbox_after(1, 10).unwrap().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn future_entries_and_max_time_removal() {
        let dir = temp_dir("future");
        let store = Store::open(&dir).unwrap();
        store
            .commit(&Checkpoint {
                max_time: Some(42),
                add_future: vec![(0, b"{\"n\":0}".to_vec()), (1, b"{\"n\":1}".to_vec())],
                ..Checkpoint::default()
            })
            .unwrap();
        let loaded = store.load().unwrap();
        assert_eq!(loaded.max_time, Some(42));
        assert_eq!(loaded.future.len(), 2);

        store.remove_future(&[0]).unwrap();
        let loaded = store.load().unwrap();
        assert_eq!(loaded.future, vec![(1, b"{\"n\":1}".to_vec())]);

        store
            .commit(&Checkpoint { max_time: None, remove_future: vec![1], ..Checkpoint::default() })
            .unwrap();
        let loaded = store.load().unwrap();
        assert_eq!(loaded.max_time, None);
        assert!(loaded.future.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn pending_detections_confirm_or_drop() {
        let dir = temp_dir("pending");
        let store = Store::open(&dir).unwrap();
        let pending = |token: &str| Pending {
            token: token.into(),
            through: 9,
            detections: vec![("det_a".into(), 5, "{\"id\":\"det_a\"}\n".into())],
        };
        store.put_pending("kafka:signals/0", &pending("t0")).unwrap();
        store.put_pending("kafka:signals/1", &pending("t1")).unwrap();
        drop(store);
        let store = Store::open(&dir).unwrap();
        let stored = store.pending().unwrap();
        assert_eq!(stored.len(), 2);
        assert_eq!(stored[0].1.token, "t0");
        assert_eq!(store.confirm_pending("kafka:signals/0").unwrap(), 2);
        store.drop_pending("kafka:signals/1").unwrap();
        assert!(store.pending().unwrap().is_empty());
        let outbox = store.outbox_after(0, 10).unwrap();
        assert_eq!(outbox, vec![(1, b"{\"id\":\"det_a\"}\n".to_vec())]);
        store.prune_outbox(1).unwrap();
        assert!(store.outbox_after(0, 10).unwrap().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn sink_marks_and_outbox_cleanup() {
        let dir = temp_dir("marks");
        let store = Store::open(&dir).unwrap();
        assert_eq!(store.sink_mark("file").unwrap(), SinkMark::default());
        store.set_sink_mark("file", SinkMark { delivered: 4, file_len: 100 }).unwrap();
        assert_eq!(store.sink_mark("file").unwrap().delivered, 4);
        let outbox = (1..=3).map(|i| (i, format!("det_{i}"), 0, b"{}".to_vec())).collect();
        store.commit(&Checkpoint { outbox, next_outbox: 4, ..Checkpoint::default() }).unwrap();
        store
            .commit(&Checkpoint { outbox_delivered_up_to: Some(2), ..Checkpoint::default() })
            .unwrap();
        let left: Vec<u64> = store.outbox_after(0, 10).unwrap().into_iter().map(|e| e.0).collect();
        assert_eq!(left, vec![3]);
        store.retain_sinks(&[]).unwrap();
        assert_eq!(store.sink_mark("file").unwrap(), SinkMark::default());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
