//! Ordering events by event time within bounded memory, for hunts over unsorted input.
//!
//! [`TimeSorter`] is an external merge sort. It keeps at most `capacity` events in memory.
//! When the buffer is full, it sorts the buffer by event time and writes it to a temporary
//! file as a run of UDM JSON lines. [`TimeSorter::finish`] merges the runs and the last buffer into one
//! stream in event-time order, reading one event per run at a time. Runs are merged in tiers
//! of [`MAX_FAN_IN`], so the number of open files stays bounded however long the input is.
//!
//! The sort is stable: events with the same time come out in input order, as a hunt that
//! sorted everything in memory would give them.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::Arc;

use udm::Event;

/// The maximum number of runs merged at once. Past it, runs are first merged into larger ones.
pub const MAX_FAN_IN: usize = 64;

/// A temporary folder for sorted runs, removed with everything in it when dropped.
#[derive(Debug)]
pub struct SpillDir {
    path: PathBuf,
    next_file: u64,
}

impl SpillDir {
    /// Creates a new folder under `parent`, named after `prefix`, this process and a counter.
    pub fn create(parent: &Path, prefix: &str) -> io::Result<SpillDir> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let unique = COUNTER.fetch_add(1, AtomicOrdering::Relaxed);
        let path = parent.join(format!("{prefix}-{}-{unique}", std::process::id()));
        fs::create_dir_all(&path)?;
        Ok(SpillDir { path, next_file: 0 })
    }

    /// Returns the folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Returns a path for a new run file in the folder; the file is not created.
    pub fn new_file(&mut self) -> PathBuf {
        self.next_file += 1;
        self.path.join(format!("run-{}", self.next_file))
    }
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        // NOTE: `drop` cannot return an error, so a failed removal leaves the folder in the
        // temporary directory.
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// A sorted run on disk, with its merge tier (0 for a run written from the buffer).
#[derive(Debug)]
struct Run {
    path: PathBuf,
    tier: u32,
}

/// Sorts events by event time, spilling sorted runs to disk past a fixed number of events.
#[derive(Debug)]
pub struct TimeSorter {
    capacity: usize,
    fan_in: usize,
    buffer: Vec<Arc<Event>>,
    runs: Vec<Run>,
    parent: PathBuf,
    dir: Option<SpillDir>,
}

impl TimeSorter {
    /// Creates a sorter that keeps at most `capacity` events in memory (at least one) and
    /// spills runs under the system's temporary directory.
    pub fn new(capacity: usize) -> TimeSorter {
        TimeSorter::with_dir(capacity, std::env::temp_dir())
    }

    /// Creates a sorter that spills its runs into a new folder under `parent`.
    pub fn with_dir(capacity: usize, parent: impl Into<PathBuf>) -> TimeSorter {
        let capacity = capacity.max(1);
        TimeSorter {
            capacity,
            fan_in: MAX_FAN_IN,
            buffer: Vec::with_capacity(capacity.min(1 << 16)),
            runs: Vec::new(),
            parent: parent.into(),
            dir: None,
        }
    }

    /// Adds an event, writing a run to disk when the buffer is full.
    pub fn push(&mut self, event: Arc<Event>) -> io::Result<()> {
        self.buffer.push(event);
        if self.buffer.len() >= self.capacity {
            self.spill()?;
        }
        Ok(())
    }

    /// Returns the number of runs on disk.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// Returns every event pushed, in event-time order.
    pub fn finish(mut self) -> io::Result<SortedEvents> {
        sort_stable(&mut self.buffer);
        let mut sources = Vec::with_capacity(self.runs.len() + 1);
        for run in &self.runs {
            sources.push(Source::open(&run.path)?);
        }
        sources.push(Source::Memory(std::mem::take(&mut self.buffer).into_iter()));
        let merge = Merge::new(sources)?;
        Ok(SortedEvents { merge, _dir: self.dir.take() })
    }

    fn spill(&mut self) -> io::Result<()> {
        sort_stable(&mut self.buffer);
        let dir = match &mut self.dir {
            Some(dir) => dir,
            None => self.dir.insert(SpillDir::create(&self.parent, "dragnet-sort")?),
        };
        let path = dir.new_file();
        let mut out = BufWriter::new(File::create(&path)?);
        for event in self.buffer.drain(..) {
            write_event(&mut out, &event)?;
        }
        out.flush()?;
        self.runs.push(Run { path, tier: 0 });
        self.compact()
    }

    /// Merges the last `fan_in` runs into one while they share a tier. Runs stay in input
    /// order, so merging neighbours keeps the sort stable.
    fn compact(&mut self) -> io::Result<()> {
        loop {
            let Some(last) = self.runs.last() else { return Ok(()) };
            let tier = last.tier;
            let count = self.runs.len();
            if count < self.fan_in
                || !self.runs[count - self.fan_in..].iter().all(|r| r.tier == tier)
            {
                return Ok(());
            }
            let group: Vec<Run> = self.runs.drain(count - self.fan_in..).collect();
            let mut sources = Vec::with_capacity(group.len());
            for run in &group {
                sources.push(Source::open(&run.path)?);
            }
            let Some(dir) = &mut self.dir else { return Ok(()) };
            let path = dir.new_file();
            let mut out = BufWriter::new(File::create(&path)?);
            for event in Merge::new(sources)? {
                let event = event?;
                write_event(&mut out, &event)?;
            }
            out.flush()?;
            for run in &group {
                fs::remove_file(&run.path)?;
            }
            self.runs.push(Run { path, tier: tier + 1 });
        }
    }
}

fn sort_stable(events: &mut [Arc<Event>]) {
    events.sort_by_key(|e| e.event_time());
}

fn write_event(out: &mut impl Write, event: &Event) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &udm::json::event_to_json(event))?;
    out.write_all(b"\n")
}

/// One sorted input of the merge.
enum Source {
    File(std::io::Lines<BufReader<File>>),
    Memory(std::vec::IntoIter<Arc<Event>>),
}

impl Source {
    fn open(path: &Path) -> io::Result<Source> {
        Ok(Source::File(BufReader::new(File::open(path)?).lines()))
    }

    fn next(&mut self) -> io::Result<Option<Arc<Event>>> {
        match self {
            Source::Memory(events) => Ok(events.next()),
            Source::File(lines) => {
                let Some(line) = lines.next() else { return Ok(None) };
                let json: serde_json::Value = serde_json::from_str(&line?)?;
                let event = udm::json::event_from_json(&json).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("invalid spilled event: {e}"),
                    )
                })?;
                Ok(Some(Arc::new(event)))
            }
        }
    }
}

/// The head event of one source, ordered by (time, source) so that the earliest event, and
/// among equal times the one from the earliest source, comes first.
struct Head {
    time: i128,
    source: usize,
    event: Arc<Event>,
}

impl PartialEq for Head {
    fn eq(&self, other: &Head) -> bool {
        (self.time, self.source) == (other.time, other.source)
    }
}

impl Eq for Head {}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Head) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Head {
    // Reversed, so that `BinaryHeap`, a max-heap, pops the earliest head.
    fn cmp(&self, other: &Head) -> Ordering {
        (other.time, other.source).cmp(&(self.time, self.source))
    }
}

/// A k-way merge of sorted sources.
struct Merge {
    sources: Vec<Source>,
    heads: BinaryHeap<Head>,
}

impl Merge {
    fn new(mut sources: Vec<Source>) -> io::Result<Merge> {
        let mut heads = BinaryHeap::with_capacity(sources.len());
        for (index, source) in sources.iter_mut().enumerate() {
            if let Some(event) = source.next()? {
                heads.push(Head { time: event.event_time().as_nanos(), source: index, event });
            }
        }
        Ok(Merge { sources, heads })
    }
}

impl Iterator for Merge {
    type Item = io::Result<Arc<Event>>;

    fn next(&mut self) -> Option<Self::Item> {
        let head = self.heads.pop()?;
        if let Some(source) = self.sources.get_mut(head.source) {
            match source.next() {
                Ok(Some(event)) => self.heads.push(Head {
                    time: event.event_time().as_nanos(),
                    source: head.source,
                    event,
                }),
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
        }
        Some(Ok(head.event))
    }
}

/// The events of a [`TimeSorter`] in event-time order; its runs are deleted when it is dropped.
pub struct SortedEvents {
    merge: Merge,
    _dir: Option<SpillDir>,
}

impl Iterator for SortedEvents {
    type Item = io::Result<Arc<Event>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.merge.next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: usize, seconds: i64) -> Arc<Event> {
        let json = serde_json::json!({
            "metadata": {
                "event_timestamp": format!("2025-01-01T00:{:02}:{:02}Z", seconds / 60, seconds % 60),
                "product_log_id": format!("e{id}"),
            },
            "principal": {"ip": ["10.0.0.1", "10.0.0.2"]},
        });
        Arc::new(udm::json::event_from_json(&json).expect("valid event"))
    }

    /// Times that are out of order, with many ties.
    fn times(count: usize) -> Vec<i64> {
        (0..count).map(|i| ((i * 7919) % 97 % 13) as i64).collect()
    }

    fn sorted_ids(sorter: TimeSorter) -> Vec<String> {
        sorter
            .finish()
            .expect("merge")
            .map(|e| e.expect("event").product_log_id().to_owned())
            .collect()
    }

    fn expected_ids(times: &[i64]) -> Vec<String> {
        let mut order: Vec<usize> = (0..times.len()).collect();
        order.sort_by_key(|&i| times[i]);
        order.into_iter().map(|i| format!("e{i}")).collect()
    }

    #[test]
    fn in_memory_sort_is_stable() {
        let times = times(50);
        let mut sorter = TimeSorter::new(1000);
        for (i, t) in times.iter().enumerate() {
            sorter.push(event(i, *t)).expect("push");
        }
        assert_eq!(sorter.runs(), 0);
        assert_eq!(sorted_ids(sorter), expected_ids(&times));
    }

    #[test]
    fn spilled_runs_merge_stably() {
        let times = times(200);
        let dir = std::env::temp_dir().join(format!("dragnet-sort-test-{}", std::process::id()));
        let mut sorter = TimeSorter::with_dir(7, &dir);
        for (i, t) in times.iter().enumerate() {
            sorter.push(event(i, *t)).expect("push");
        }
        assert!(sorter.runs() > 10);
        assert_eq!(sorted_ids(sorter), expected_ids(&times));
        let leftovers = fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        assert_eq!(leftovers, 0, "run files left behind");
        let _ = fs::remove_dir(&dir);
    }

    #[test]
    fn runs_merge_in_tiers() {
        let times = times(300);
        let mut sorter = TimeSorter::new(2);
        sorter.fan_in = 4;
        for (i, t) in times.iter().enumerate() {
            sorter.push(event(i, *t)).expect("push");
            assert!(sorter.runs() < 4 * 8, "{} runs open", sorter.runs());
        }
        assert_eq!(sorted_ids(sorter), expected_ids(&times));
    }

    #[test]
    fn spilled_events_keep_their_fields() {
        let mut sorter = TimeSorter::new(1);
        sorter.push(event(1, 5)).expect("push");
        sorter.push(event(0, 3)).expect("push");
        let events: Vec<Arc<Event>> =
            sorter.finish().expect("merge").map(|e| e.expect("event")).collect();
        assert_eq!(events.len(), 2);
        assert_eq!(*events[0], *event(0, 3));
        assert_eq!(*events[1], *event(1, 5));
    }
}
