//! Holding a hunt's detections in bounded memory until they are printed in output order.
//!
//! A hunt prints detections ordered by window start, rule name and id, but the engines make
//! them in the order their windows close, and a hunt may make millions. [`DetectionSorter`]
//! keeps each detection as compact JSON text with its sort key. Past a budget of bytes, it
//! sorts what it holds and writes it to a temporary file as a run. [`SortedDetections`] merges
//! the runs and the last buffer, reading one detection per run at a time, as often as the
//! output needs: the table measures its columns in one pass and writes them in another.
//!
//! Detections with equal keys keep the order they were pushed in, as the stable in-memory
//! sort that this replaces kept them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use engine::SpillDir;
use serde_json::Value;

use crate::output::DetectionSource;

/// Bytes of detection text, with their keys, that a hunt holds in memory before it writes a
/// sorted run to a temporary file.
pub const DEFAULT_BUFFER_BYTES: usize = 8 << 20;

/// Runs on disk past which they are merged into one, so the open files stay bounded.
const MAX_RUNS: usize = 64;

/// Bytes counted for each detection besides its text and key strings, for the vector slot and
/// string headers.
const ENTRY_OVERHEAD: usize = 96;

/// The output order: window start in nanoseconds, rule name, id, then the push order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    start: i128,
    rule: String,
    id: String,
    sequence: u64,
}

/// One detection as compact JSON, with its key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    key: Key,
    json: String,
}

impl Entry {
    fn size(&self) -> usize {
        self.json.len() + self.key.rule.len() + self.key.id.len() + ENTRY_OVERHEAD
    }
}

/// Sorts detections into output order, spilling sorted runs to disk past a budget of bytes.
#[derive(Debug)]
pub struct DetectionSorter {
    budget: usize,
    buffered: usize,
    buffer: Vec<Entry>,
    runs: Vec<PathBuf>,
    parent: PathBuf,
    dir: Option<SpillDir>,
    next_sequence: u64,
}

impl DetectionSorter {
    /// Creates a sorter that holds about `budget` bytes of detections in memory (at least
    /// one detection) and spills runs under the system's temporary directory.
    pub fn new(budget: usize) -> DetectionSorter {
        DetectionSorter {
            budget,
            buffered: 0,
            buffer: Vec::new(),
            runs: Vec::new(),
            parent: std::env::temp_dir(),
            dir: None,
            next_sequence: 0,
        }
    }

    /// Returns the folder under which runs are written.
    pub fn parent(&self) -> &Path {
        &self.parent
    }

    /// Adds a detection, writing a run to disk when the buffer passes the budget.
    pub fn push(&mut self, detection: &engine::Detection) -> io::Result<()> {
        let key = Key {
            start: detection.window.0.as_nanos(),
            rule: detection.rule.name.clone(),
            id: detection.id.clone(),
            sequence: self.next_sequence,
        };
        self.next_sequence += 1;
        let entry = Entry { key, json: serde_json::to_string(detection)? };
        self.buffered += entry.size();
        self.buffer.push(entry);
        if self.buffered >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Returns every detection pushed, ready to be read in output order.
    pub fn finish(mut self) -> SortedDetections {
        self.buffer.sort_unstable();
        SortedDetections {
            memory: std::mem::take(&mut self.buffer),
            runs: std::mem::take(&mut self.runs),
            _dir: self.dir.take(),
        }
    }

    fn spill(&mut self) -> io::Result<()> {
        self.buffer.sort_unstable();
        let dir = match &mut self.dir {
            Some(dir) => dir,
            None => self.dir.insert(SpillDir::create(&self.parent, "dragnet-detections")?),
        };
        let path = dir.new_file();
        let mut out = BufWriter::new(File::create(&path)?);
        for entry in self.buffer.drain(..) {
            write_entry(&mut out, &entry)?;
        }
        out.flush()?;
        self.buffered = 0;
        self.runs.push(path);
        if self.runs.len() >= MAX_RUNS {
            self.merge_runs()?;
        }
        Ok(())
    }

    /// Merges every run on disk into one. Keys are unique, so the order needs no tie-break.
    fn merge_runs(&mut self) -> io::Result<()> {
        let Some(dir) = &mut self.dir else { return Ok(()) };
        let path = dir.new_file();
        let mut out = BufWriter::new(File::create(&path)?);
        let mut sources = Vec::with_capacity(self.runs.len());
        for run in &self.runs {
            sources.push(Source::File(BufReader::new(File::open(run)?)));
        }
        merge(sources, |entry| write_entry(&mut out, &entry))?;
        out.flush()?;
        for run in self.runs.drain(..) {
            fs::remove_file(run)?;
        }
        self.runs.push(path);
        Ok(())
    }
}

/// A hunt's detections in output order, in memory and in runs on disk that are removed when
/// this is dropped.
#[derive(Debug)]
pub struct SortedDetections {
    memory: Vec<Entry>,
    runs: Vec<PathBuf>,
    _dir: Option<SpillDir>,
}

impl DetectionSource for SortedDetections {
    fn for_each(&self, f: &mut dyn FnMut(&Value) -> io::Result<()>) -> io::Result<()> {
        merge(self.sources()?, |entry| {
            let value: Value = serde_json::from_str(&entry.json)?;
            f(&value)
        })
    }

    fn for_each_text(&self, f: &mut dyn FnMut(&str) -> io::Result<()>) -> io::Result<()> {
        merge(self.sources()?, |entry| f(&entry.json))
    }
}

impl SortedDetections {
    /// Opens the runs on disk and the last buffer for one pass.
    fn sources(&self) -> io::Result<Vec<Source<'_>>> {
        let mut sources = Vec::with_capacity(self.runs.len() + 1);
        for run in &self.runs {
            sources.push(Source::File(BufReader::new(File::open(run)?)));
        }
        sources.push(Source::Memory(self.memory.iter()));
        Ok(sources)
    }
}

/// One sorted input of a merge.
enum Source<'a> {
    File(BufReader<File>),
    Memory(std::slice::Iter<'a, Entry>),
}

impl Source<'_> {
    fn next(&mut self) -> io::Result<Option<Entry>> {
        match self {
            Source::Memory(entries) => Ok(entries.next().cloned()),
            Source::File(reader) => read_entry(reader),
        }
    }
}

/// Passes the entries of sorted sources to `f` in key order, holding one entry per source.
fn merge(
    mut sources: Vec<Source<'_>>,
    mut f: impl FnMut(Entry) -> io::Result<()>,
) -> io::Result<()> {
    let mut heads = BinaryHeap::with_capacity(sources.len());
    for (index, source) in sources.iter_mut().enumerate() {
        if let Some(entry) = source.next()? {
            heads.push(Reverse((entry, index)));
        }
    }
    while let Some(Reverse((entry, index))) = heads.pop() {
        if let Some(source) = sources.get_mut(index) {
            if let Some(next) = source.next()? {
                heads.push(Reverse((next, index)));
            }
        }
        f(entry)?;
    }
    Ok(())
}

/// Writes an entry as the window start (16 bytes), the sequence number (8 bytes), then the
/// rule name, id and JSON text, each after its length (8 bytes). Integers are little-endian.
fn write_entry(out: &mut impl Write, entry: &Entry) -> io::Result<()> {
    out.write_all(&entry.key.start.to_le_bytes())?;
    out.write_all(&entry.key.sequence.to_le_bytes())?;
    for text in [&entry.key.rule, &entry.key.id, &entry.json] {
        out.write_all(&(text.len() as u64).to_le_bytes())?;
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}

/// Reads an entry that [`write_entry`] wrote, or `None` at the end of the file.
fn read_entry(reader: &mut impl Read) -> io::Result<Option<Entry>> {
    let mut start = [0u8; 16];
    match reader.read_exact(&mut start) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut sequence = [0u8; 8];
    reader.read_exact(&mut sequence)?;
    let mut read_text = || -> io::Result<String> {
        let mut length = [0u8; 8];
        reader.read_exact(&mut length)?;
        let length = usize::try_from(u64::from_le_bytes(length))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let mut bytes = vec![0u8; length];
        reader.read_exact(&mut bytes)?;
        String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    };
    let rule = read_text()?;
    let id = read_text()?;
    let json = read_text()?;
    let key =
        Key { start: i128::from_le_bytes(start), rule, id, sequence: u64::from_le_bytes(sequence) };
    Ok(Some(Entry { key, json }))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn detection(start: i64, rule: &str, id: &str) -> engine::Detection {
        let info = engine::RuleInfo {
            name: rule.into(),
            version: "v".into(),
            meta: serde_json::Map::new(),
            severity: None,
        };
        let time = udm::Timestamp::new(start, 0);
        engine::Detection {
            id: id.into(),
            rule: Arc::new(info),
            kind: engine::DetectionType::SingleEvent,
            window: (time, time),
            match_values: Vec::new(),
            outcomes: vec![("score".into(), udm::Value::Float(0.1 + 0.2))],
            events: Vec::new(),
            event_ids: Vec::new(),
            first_event: time,
            detected_at: time,
        }
    }

    fn ids(detections: &impl DetectionSource) -> Vec<String> {
        let mut ids = Vec::new();
        let read = detections.for_each(&mut |d| {
            ids.push(d["id"].as_str().unwrap_or_default().to_owned());
            Ok(())
        });
        assert!(read.is_ok(), "{read:?}");
        ids
    }

    #[test]
    fn spilled_runs_merge_in_order() {
        // Ids 0..200 pushed in a shuffled order, some with equal starts.
        let mut sorter = DetectionSorter::new(0);
        for i in 0..200u32 {
            let n = (i * 73) % 200;
            let pushed = sorter.push(&detection(i64::from(n / 2), "rule", &format!("{n:03}")));
            assert!(pushed.is_ok(), "{pushed:?}");
        }
        assert!(sorter.runs.len() < MAX_RUNS, "runs were not merged: {}", sorter.runs.len());
        let dir = sorter.dir.as_ref().map(|d| d.path().to_path_buf());
        let sorted = sorter.finish();
        let expected: Vec<String> = (0..200).map(|n| format!("{n:03}")).collect();
        assert_eq!(ids(&sorted), expected);
        // A second pass reads the same detections.
        assert_eq!(ids(&sorted), expected);
        let dir = dir.unwrap_or_default();
        assert!(dir.exists());
        drop(sorted);
        assert!(!dir.exists(), "{} was not removed", dir.display());
    }

    #[test]
    fn floats_survive_spilling() {
        let mut sorter = DetectionSorter::new(0);
        let mut pushed = Vec::new();
        for i in 0..2000u32 {
            let mut d = detection(i64::from(i), "rule", &format!("{i:04}"));
            let value = f64::from(i).sqrt() * 1.234_567_890_123e-7 + f64::from(i) / 3.0;
            d.outcomes = vec![("score".into(), udm::Value::Float(value))];
            assert!(sorter.push(&d).is_ok());
            pushed.push(d.to_json());
        }
        let mut read = Vec::new();
        let result = sorter.finish().for_each(&mut |v| {
            read.push(v.clone());
            Ok(())
        });
        assert!(result.is_ok());
        assert_eq!(read.len(), pushed.len());
        let differ = read.iter().zip(&pushed).find(|(r, p)| r != p);
        assert_eq!(differ, None, "a score changed when read back");
    }

    #[test]
    fn text_is_the_values_text() {
        // Spilled runs and the last buffer, with floats, nulls, escapes and non-ASCII text.
        let mut sorter = DetectionSorter::new(4096);
        for i in 0..300u32 {
            let mut d = detection(i64::from(i % 17), "rule", &format!("{i:03}"));
            d.outcomes = vec![
                ("score".into(), udm::Value::Float(f64::from(i) / 7.0)),
                ("none".into(), udm::Value::Float(f64::NAN)),
                ("text".into(), udm::Value::from(format!("q\"\\\u{1}é{i}"))),
            ];
            assert!(sorter.push(&d).is_ok());
        }
        let sorted = sorter.finish();
        assert!(!sorted.runs.is_empty(), "nothing was spilled");
        let mut from_values = Vec::new();
        let read = sorted.for_each(&mut |v| {
            from_values.push(serde_json::to_string(v)?);
            Ok(())
        });
        assert!(read.is_ok(), "{read:?}");
        let mut texts = Vec::new();
        let read = sorted.for_each_text(&mut |text| {
            texts.push(text.to_owned());
            Ok(())
        });
        assert!(read.is_ok(), "{read:?}");
        assert_eq!(texts.len(), 300);
        assert_eq!(texts, from_values);
    }

    #[test]
    fn equal_keys_keep_push_order() {
        let mut sorter = DetectionSorter::new(1 << 20);
        let mut first = detection(5, "rule", "same");
        first.outcomes.clear();
        let second = detection(5, "rule", "same");
        assert!(sorter.push(&first).is_ok());
        assert!(sorter.push(&second).is_ok());
        let mut outcomes = Vec::new();
        let result = sorter.finish().for_each(&mut |v| {
            outcomes.push(v["outcome"].clone());
            Ok(())
        });
        assert!(result.is_ok());
        assert_eq!(
            outcomes,
            [first.to_json()["outcome"].clone(), second.to_json()["outcome"].clone()]
        );
    }

    fn entry(start: i128, rule: &str, id: &str, sequence: u64) -> Entry {
        let key = Key { start, rule: rule.into(), id: id.into(), sequence };
        Entry { key, json: format!("{{\"id\":\"{id}\"}}") }
    }

    #[test]
    fn entry_round_trips() {
        let written = entry(-5, "rule_a", "abc", 7);
        let mut bytes = Vec::new();
        write_entry(&mut bytes, &written).unwrap_or_default();
        let mut reader = bytes.as_slice();
        let read = read_entry(&mut reader).ok().flatten();
        assert_eq!(read, Some(written));
        assert!(matches!(read_entry(&mut reader), Ok(None)));
    }

    #[test]
    fn merge_orders_by_key() {
        let first = [entry(1, "b", "x", 0), entry(3, "a", "y", 1)];
        let second = [entry(1, "a", "z", 2), entry(2, "a", "w", 3)];
        let sources = vec![Source::Memory(first.iter()), Source::Memory(second.iter())];
        let mut ids = Vec::new();
        let merged = merge(sources, |e| {
            ids.push(e.key.id);
            Ok(())
        });
        assert!(merged.is_ok());
        assert_eq!(ids, ["z", "x", "w", "y"]);
    }
}
