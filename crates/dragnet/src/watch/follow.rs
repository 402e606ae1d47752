//! Followed inputs: JSON-lines files tailed like `tail -F`, and standard input.
//!
//! A file's position is its identity (device and inode) and the byte offset after the last
//! complete line sent to the pipeline. The pipeline commits the position with the events, so a
//! restart resumes right after the last committed line:
//!
//! - the same file, at least as long as the offset: resume at the offset;
//! - the same file, shorter than the offset: it was truncated in place, so start over at 0;
//! - another file at the path: it was rotated. The rotated file is looked for in the same
//!   folder by its inode and read to its end from the offset, then the new file from 0.
//!
//! While running, the same checks happen whenever the end of the file is reached. A line is
//! sent only once its `\n` has been written, so a half-written line is never read as broken.
//! Standard input has no position: after a restart it is read from wherever the new stream
//! starts.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::metrics::{label, Metrics};
use super::pipeline::{Batch, Malformed, Message, RawRecord};

/// How long to wait at the end of a file before looking again.
const POLL: Duration = Duration::from_millis(100);
/// Lines sent to the pipeline in one batch at most.
const LINES_PER_BATCH: usize = 2_000;
/// The maximum line length in bytes; a longer line is rejected and skipped.
const MAX_LINE: usize = 16 * 1024 * 1024;

/// Read position in a followed file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilePosition {
    /// Device of the file.
    pub dev: u64,
    /// Inode of the file.
    pub ino: u64,
    /// Bytes consumed: the offset after the last complete line sent.
    pub offset: u64,
}

/// Builds the input id of a followed file.
pub fn input_id(path: &Path) -> String {
    format!("file:{}", path.display())
}

struct Open {
    file: BufReader<File>,
    dev: u64,
    ino: u64,
    offset: u64,
}

fn open_at(path: &Path, offset: u64) -> std::io::Result<Open> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    file.seek(SeekFrom::Start(offset))?;
    Ok(Open { file: BufReader::new(file), dev: meta.dev(), ino: meta.ino(), offset })
}

/// Finds the file in `path`'s folder with the given identity: where a rotated file went.
fn find_rotated(path: &Path, dev: u64, ino: u64) -> Option<PathBuf> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::read_dir(dir).ok()?.flatten().map(|e| e.path()).find(|candidate| {
        std::fs::metadata(candidate).is_ok_and(|m| m.is_file() && m.dev() == dev && m.ino() == ino)
    })
}

/// Tails `path` from `start` and sends its lines until `stopping` is set or the pipeline is
/// gone.
pub fn follow_file(
    path: PathBuf,
    start: Option<FilePosition>,
    tx: mpsc::Sender<Message>,
    stopping: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
) {
    let input = input_id(&path);
    tracing::info!(input = %input, "following file");
    // A rotated file still to be finished before the file at the path.
    let mut current: Option<Open> = None;
    if let Some(pos) = start {
        match std::fs::metadata(&path) {
            Ok(meta) if meta.dev() == pos.dev && meta.ino() == pos.ino => {
                let offset = if meta.len() < pos.offset {
                    tracing::warn!(input = %input, offset = pos.offset, len = meta.len(), "file is shorter than the checkpoint: truncated, reading from the start");
                    0
                } else {
                    pos.offset
                };
                current = open_at(&path, offset).ok();
            }
            _ => match find_rotated(&path, pos.dev, pos.ino) {
                Some(rotated) => {
                    tracing::info!(input = %input, rotated = %rotated.display(), offset = pos.offset, "finishing the rotated file first");
                    current = open_at(&rotated, pos.offset).ok();
                }
                None => {
                    tracing::warn!(input = %input, "the checkpointed file is gone and no rotated copy was found; lines written to it after the checkpoint are lost")
                }
            },
        }
    }
    let mut line = Vec::new();
    let mut warned_missing = false;
    while !stopping.load(Ordering::Acquire) {
        let Some(open) = current.as_mut() else {
            match open_at(&path, 0) {
                Ok(open) => {
                    warned_missing = false;
                    current = Some(open);
                }
                Err(e) => {
                    if !warned_missing {
                        tracing::warn!(input = %input, error = %e, "cannot open the followed file; waiting for it");
                        warned_missing = true;
                    }
                    std::thread::sleep(POLL);
                }
            }
            continue;
        };
        let mut records = Vec::new();
        let mut reached_end = false;
        while records.len() < LINES_PER_BATCH {
            let line_start = open.offset;
            match read_line(&mut open.file, &mut line) {
                Err(e) => {
                    tracing::error!(input = %input, error = %e, "cannot read the followed file");
                    reached_end = true;
                    break;
                }
                Ok(Line::End) => {
                    reached_end = true;
                    break;
                }
                Ok(Line::Partial) => {
                    // Step back, so the line is read whole once its end is written.
                    let _ = open.file.seek(SeekFrom::Start(open.offset));
                    reached_end = true;
                    break;
                }
                Ok(Line::TooLong(skipped)) => {
                    open.offset += skipped;
                    let error = format!("the line is longer than {MAX_LINE} bytes");
                    let text = String::from_utf8_lossy(&line[..256.min(line.len())]).into_owned();
                    records.push(RawRecord {
                        at: line_start,
                        element: None,
                        value: Err(Malformed { error, text }),
                    });
                }
                Ok(Line::Complete) => {
                    open.offset += line.len() as u64;
                    if let Some(record) = parse_line(&line, line_start) {
                        records.push(record);
                    }
                }
            }
        }
        let position = FilePosition { dev: open.dev, ino: open.ino, offset: open.offset };
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        metrics.set(
            "dragnet_watch_input_lag_bytes",
            label("input", &input),
            len.saturating_sub(open.offset) as f64,
        );
        if !records.is_empty() {
            let batch = Batch {
                input: input.clone(),
                records,
                position: serde_json::to_string(&position).ok(),
                ack: None,
                request_key: None,
            };
            if tx.blocking_send(Message::Batch(batch)).is_err() {
                return;
            }
        }
        if reached_end {
            match check_replaced(&path, open) {
                Replaced::No => std::thread::sleep(POLL),
                Replaced::Truncated => {
                    tracing::warn!(input = %input, "followed file was truncated; reading from the start");
                    current = open_at(&path, 0).ok();
                }
                Replaced::Rotated => {
                    tracing::info!(input = %input, "followed file was rotated; reading the new file");
                    current = None;
                }
            }
        }
    }
    tracing::info!(input = %input, "stopped following file");
}

enum Replaced {
    No,
    Truncated,
    Rotated,
}

/// At the end of the open file: whether the path now names another file, or the same file
/// cut short.
fn check_replaced(path: &Path, open: &Open) -> Replaced {
    match std::fs::metadata(path) {
        Ok(meta) if meta.dev() == open.dev && meta.ino() == open.ino => {
            if meta.len() < open.offset {
                Replaced::Truncated
            } else {
                Replaced::No
            }
        }
        // Gone or replaced. The old file was read to its end just now, but a writer that still
        // has it open can append more, which a short grace period picks up before switching.
        _ => {
            std::thread::sleep(POLL);
            let still_growing = open.file.get_ref().metadata().is_ok_and(|m| m.len() > open.offset);
            if still_growing {
                Replaced::No
            } else {
                Replaced::Rotated
            }
        }
    }
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(start, |i| i + 1);
    &bytes[start..end]
}

enum Line {
    Complete,
    Partial,
    End,
    /// A line longer than [`MAX_LINE`], skipped up to and including its `\n`. The value is
    /// the number of bytes skipped, and `line` keeps the start of the line.
    TooLong(u64),
}

/// Reads one line into `line`, keeping at most [`MAX_LINE`] bytes of it.
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<Line> {
    line.clear();
    let read = reader.by_ref().take(MAX_LINE as u64 + 1).read_until(b'\n', line)?;
    if read == 0 {
        return Ok(Line::End);
    }
    if line.last() == Some(&b'\n') {
        return Ok(Line::Complete);
    }
    if read <= MAX_LINE {
        return Ok(Line::Partial);
    }
    let mut skipped = read as u64;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            // The writer has not finished the line; what is skipped stays skipped.
            return Ok(Line::TooLong(skipped));
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(Line::TooLong(skipped + i as u64 + 1));
            }
            None => {
                let n = buf.len();
                reader.consume(n);
                skipped += n as u64;
            }
        }
    }
}

/// Parses one line as JSON; `None` for a blank line.
fn parse_line(line: &[u8], at: u64) -> Option<RawRecord> {
    let text = trim(line);
    if text.is_empty() {
        return None;
    }
    let value = serde_json::from_slice(text).map_err(|e| Malformed {
        error: format!("invalid JSON: {e}"),
        text: String::from_utf8_lossy(text).into_owned(),
    });
    Some(RawRecord { at, element: None, value })
}

/// Reads standard input line by line until it ends, then calls `done`.
pub fn follow_stdin(tx: mpsc::Sender<Message>, done: impl FnOnce()) {
    tracing::info!(input = "stdin", "reading standard input");
    let mut reader = BufReader::with_capacity(1 << 16, std::io::stdin());
    let mut line = Vec::new();
    let mut number = 0u64;
    let mut records = Vec::new();
    loop {
        let status = match read_line(&mut reader, &mut line) {
            Ok(status) => status,
            Err(e) => {
                tracing::error!(input = "stdin", error = %e, "cannot read standard input");
                Line::End
            }
        };
        let ended = matches!(status, Line::End);
        match status {
            Line::End => {}
            Line::TooLong(_) => {
                number += 1;
                let error = format!("the line is longer than {MAX_LINE} bytes");
                let text = String::from_utf8_lossy(&line[..256.min(line.len())]).into_owned();
                records.push(RawRecord {
                    at: number,
                    element: None,
                    value: Err(Malformed { error, text }),
                });
            }
            // At the end of the stream a last line without `\n` is still a line.
            Line::Complete | Line::Partial => {
                number += 1;
                records.extend(parse_line(&line, number));
            }
        }
        // Send when the batch is full, at the end, or when nothing more is buffered, so that
        // the lines of a slow producer do not wait for the batch to fill.
        let idle = reader.buffer().is_empty();
        if !records.is_empty() && (records.len() >= LINES_PER_BATCH || ended || idle) {
            let batch = Batch {
                input: "stdin".into(),
                records: std::mem::take(&mut records),
                position: None,
                ack: None,
                request_key: None,
            };
            if tx.blocking_send(Message::Batch(batch)).is_err() {
                return;
            }
        }
        if ended {
            break;
        }
    }
    tracing::info!(input = "stdin", lines = number, "standard input ended");
    done();
}
