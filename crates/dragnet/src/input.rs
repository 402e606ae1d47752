//! Hunt inputs: files, folders, globs, standard input and the bundled demo files, decompressed
//! and split into records with their line numbers.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context as _, Result};

/// Where an input's bytes come from.
#[derive(Debug, Clone)]
pub enum InputSource {
    /// A file on disk.
    File(PathBuf),
    /// Standard input, written `-` on the command line.
    Stdin,
    /// A file compiled into the binary.
    Bundled(&'static [u8]),
}

/// One input of a hunt, with the name used in messages.
#[derive(Debug, Clone)]
pub struct Input {
    /// The path as given or found, `<stdin>`, or the bundled file's path.
    pub name: String,
    /// Where the bytes come from.
    pub source: InputSource,
}

impl Input {
    /// Opens the input as a buffered stream, decompressed when it starts with a gzip or zstd
    /// header.
    pub fn open(&self) -> Result<Opened> {
        let consumed = Arc::new(AtomicU64::new(0));
        let (raw, size): (Box<dyn Read + Send>, Option<u64>) = match &self.source {
            InputSource::File(path) => {
                let file =
                    File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
                let size = file.metadata().ok().map(|m| m.len());
                (Box::new(file), size)
            }
            InputSource::Stdin => (Box::new(io::stdin()), None),
            InputSource::Bundled(bytes) => (Box::new(*bytes), Some(bytes.len() as u64)),
        };
        let counted = Counting { inner: raw, consumed: Arc::clone(&consumed) };
        let mut buffered = BufReader::with_capacity(READ_BUFFER, counted);
        let head = buffered.fill_buf().with_context(|| format!("cannot read {}", self.name))?;
        let reader: Box<dyn BufRead + Send> = if head.starts_with(GZIP_MAGIC) {
            Box::new(BufReader::with_capacity(
                READ_BUFFER,
                flate2::bufread::MultiGzDecoder::new(buffered),
            ))
        } else if head.starts_with(ZSTD_MAGIC) {
            let decoder = zstd::stream::read::Decoder::with_buffer(buffered)
                .with_context(|| format!("cannot decompress {}", self.name))?;
            Box::new(BufReader::with_capacity(READ_BUFFER, decoder))
        } else {
            Box::new(buffered)
        };
        Ok(Opened { reader, size, consumed })
    }
}

/// An input opened for streaming.
pub struct Opened {
    /// The decompressed bytes.
    pub reader: Box<dyn BufRead + Send>,
    /// The size of the input as stored (compressed, for a compressed file), when known.
    pub size: Option<u64>,
    /// Bytes of the stored input read so far, for progress.
    pub consumed: Arc<AtomicU64>,
}

/// Bytes read from the input at a time.
const READ_BUFFER: usize = 256 * 1024;

/// A reader that counts the bytes read through it.
struct Counting<R> {
    inner: R,
    consumed: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Reads a whole input through [`Input::open`], for tests.
#[cfg(test)]
fn decompress(raw: &'static [u8]) -> Result<Vec<u8>> {
    let input = Input { name: "test".into(), source: InputSource::Bundled(raw) };
    let mut out = Vec::new();
    input.open()?.reader.read_to_end(&mut out)?;
    Ok(out)
}

/// Expands command-line input arguments: `-` is standard input, a folder is searched
/// recursively (in sorted order, hidden files skipped), and an argument that is not an existing
/// path is taken as a glob pattern.
pub fn expand(args: &[String]) -> Result<Vec<Input>> {
    let mut inputs = Vec::new();
    for arg in args {
        if arg == "-" {
            inputs.push(Input { name: "<stdin>".into(), source: InputSource::Stdin });
            continue;
        }
        let path = Path::new(arg);
        if path.is_dir() {
            let mut files = Vec::new();
            walk_dir(path, &mut files)?;
            inputs.extend(files.into_iter().map(file_input));
        } else if path.exists() {
            inputs.push(file_input(path.to_path_buf()));
        } else if arg.contains(['*', '?', '[']) {
            let pattern =
                glob::glob(arg).with_context(|| format!("invalid glob pattern {arg:?}"))?;
            let mut matched: Vec<PathBuf> = pattern.filter_map(|p| p.ok()).collect();
            if matched.is_empty() {
                bail!("no file matches the pattern {arg:?}");
            }
            matched.sort();
            for found in matched {
                if found.is_dir() {
                    let mut files = Vec::new();
                    walk_dir(&found, &mut files)?;
                    inputs.extend(files.into_iter().map(file_input));
                } else {
                    inputs.push(file_input(found));
                }
            }
        } else {
            bail!("input not found: {arg}");
        }
    }
    Ok(inputs)
}

fn file_input(path: PathBuf) -> Input {
    Input { name: path.display().to_string(), source: InputSource::File(path) }
}

fn walk_dir(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("cannot list folder {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')))
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            walk_dir(&entry, out)?;
        } else if !is_document(&entry) {
            out.push(entry);
        }
    }
    Ok(())
}

/// File extensions of documents and images that sit beside logs in a folder (licences,
/// READMEs), which a folder search skips. A file named on the command line is always read.
const DOCUMENT_EXTENSIONS: &[&str] =
    &["md", "markdown", "rst", "html", "htm", "pdf", "png", "jpg", "jpeg", "gif", "svg"];

fn is_document(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| DOCUMENT_EXTENSIONS.iter().any(|d| d.eq_ignore_ascii_case(e)))
}

/// One record read from an input.
#[derive(Debug)]
pub enum Record {
    /// A JSON value: one line of JSONL, one element of a top-level array, or one document.
    Json(serde_json::Value),
    /// A CSV row as (header, value) pairs, in header order.
    Csv(Vec<(String, String)>),
}

/// A record or the reason it could not be read, with the 1-based line where it starts.
#[derive(Debug)]
pub struct RecordAt {
    /// Line of the record's first byte.
    pub line: usize,
    /// The record, or why it is malformed.
    pub record: std::result::Result<Record, String>,
}

/// Splits an input's bytes into records.
///
/// The layout is decided once per input from its first bytes: a top-level JSON array, JSON lines,
/// a sequence of (possibly multi-line) JSON documents, or CSV with a header row. A malformed
/// record becomes an error entry and reading resumes at the next record, so one bad line costs
/// only itself.
pub fn split_records(bytes: &[u8]) -> Vec<RecordAt> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let lines = LineIndex::new(bytes);
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else { return Vec::new() };
    match bytes[start] {
        b'[' => split_array(bytes, start, &lines),
        b'{' if is_json_lines(bytes, start) => split_lines(bytes, &lines),
        b'{' => split_documents(bytes, start, &lines),
        _ => split_csv(bytes),
    }
}

/// Byte offsets of line starts, for turning an offset into a line number.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(bytes: &[u8]) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        LineIndex { starts }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }
}

/// Whether the input is JSON lines: its first line is a complete JSON value on its own.
fn is_json_lines(bytes: &[u8], start: usize) -> bool {
    let end = bytes[start..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| start + i);
    serde_json::from_slice::<serde::de::IgnoredAny>(&bytes[start..end]).is_ok()
}

fn split_lines(bytes: &[u8], lines: &LineIndex) -> Vec<RecordAt> {
    let mut out = Vec::new();
    for (i, &line_start) in lines.starts.iter().enumerate() {
        let end = lines.starts.get(i + 1).map_or(bytes.len(), |&next| next);
        let text = trim_ascii(&bytes[line_start..end]);
        if text.is_empty() {
            continue;
        }
        let record = serde_json::from_slice(text).map(Record::Json).map_err(|e| e.to_string());
        out.push(RecordAt { line: i + 1, record });
    }
    out
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// Reads concatenated JSON documents. After a malformed document, reading resumes at the next
/// line that starts with `{` in its first column.
fn split_documents(bytes: &[u8], start: usize, lines: &LineIndex) -> Vec<RecordAt> {
    let mut out = Vec::new();
    let mut offset = start;
    while offset < bytes.len() {
        let rest = &bytes[offset..];
        let skip = rest.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(rest.len());
        offset += skip;
        if offset >= bytes.len() {
            break;
        }
        let mut stream =
            serde_json::Deserializer::from_slice(&bytes[offset..]).into_iter::<serde_json::Value>();
        match stream.next() {
            Some(Ok(value)) => {
                out.push(RecordAt { line: lines.line_of(offset), record: Ok(Record::Json(value)) });
                offset += stream.byte_offset();
            }
            Some(Err(e)) => {
                out.push(RecordAt { line: lines.line_of(offset), record: Err(e.to_string()) });
                offset = next_document_start(bytes, offset + 1);
            }
            None => break,
        }
    }
    out
}

fn next_document_start(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while at < bytes.len() {
        match bytes[at..].iter().position(|&b| b == b'\n') {
            Some(i) => {
                at += i + 1;
                if bytes.get(at) == Some(&b'{') {
                    return at;
                }
            }
            None => break,
        }
    }
    bytes.len()
}

/// Splits a top-level JSON array into its elements with a small scanner, so that one malformed
/// element is reported alone and the others are still read.
fn split_array(bytes: &[u8], open: usize, lines: &LineIndex) -> Vec<RecordAt> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut element_start = open + 1;
    let mut closed = false;
    let push_element = |from: usize, to: usize, out: &mut Vec<RecordAt>| {
        let text = trim_ascii(&bytes[from..to]);
        if text.is_empty() {
            return;
        }
        let skip = bytes[from..to].iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
        let record = serde_json::from_slice(text).map(Record::Json).map_err(|e| e.to_string());
        out.push(RecordAt { line: lines.line_of(from + skip), record });
    };
    for (i, &b) in bytes.iter().enumerate().skip(open + 1) {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth > 0 => depth -= 1,
            b']' => {
                push_element(element_start, i, &mut out);
                closed = true;
                break;
            }
            b',' if depth == 0 => {
                push_element(element_start, i, &mut out);
                element_start = i + 1;
            }
            _ => {}
        }
    }
    if !closed {
        let line = lines.line_of(element_start.min(bytes.len().saturating_sub(1)));
        out.push(RecordAt {
            line,
            record: Err("the JSON array is not closed: the input ends inside it".into()),
        });
    }
    out
}

fn split_csv(bytes: &[u8]) -> Vec<RecordAt> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_owned()).collect::<Vec<_>>(),
        Err(e) => {
            return vec![RecordAt { line: 1, record: Err(format!("invalid CSV header: {e}")) }]
        }
    };
    // A log CSV names several columns, so a first line without a comma means that the input
    // is neither JSON nor CSV. That is one problem, not one per line.
    if headers.len() < 2 {
        let reason = "the input is neither JSON nor CSV with a header row".to_owned();
        return vec![RecordAt { line: 1, record: Err(reason) }];
    }
    let mut out = Vec::new();
    for row in reader.records() {
        match row {
            Ok(row) => {
                let line = row.position().map_or(0, |p| p.line() as usize);
                if row.len() != headers.len() {
                    let message = format!(
                        "the CSV row has {} fields but the header has {}",
                        row.len(),
                        headers.len()
                    );
                    out.push(RecordAt { line, record: Err(message) });
                    continue;
                }
                let pairs = headers.iter().cloned().zip(row.iter().map(str::to_owned)).collect();
                out.push(RecordAt { line, record: Ok(Record::Csv(pairs)) });
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                out.push(RecordAt { line, record: Err(format!("invalid CSV row: {e}")) });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_and_oks(records: &[RecordAt]) -> Vec<(usize, bool)> {
        records.iter().map(|r| (r.line, r.record.is_ok())).collect()
    }

    #[test]
    fn json_lines_with_bad_line() {
        let input = b"{\"a\":1}\n{\"a\":\n\n{\"a\":3}\n";
        let records = split_records(input);
        assert_eq!(lines_and_oks(&records), vec![(1, true), (2, false), (4, true)]);
    }

    #[test]
    fn pretty_documents() {
        let input = b"{\n  \"a\": 1\n}\n{\n  \"a\": 2\n}\n";
        let records = split_records(input);
        assert_eq!(lines_and_oks(&records), vec![(1, true), (4, true)]);
    }

    #[test]
    fn pretty_documents_resume_after_error() {
        let input = b"{\n  \"a\": \n}\n{\n  \"a\": 2\n}\n";
        let records = split_records(input);
        assert_eq!(lines_and_oks(&records), vec![(1, false), (4, true)]);
    }

    #[test]
    fn array_with_bad_element() {
        let input = b"[\n {\"a\": \"x,]\"},\n {\"a\": },\n {\"a\": [1, 2]}\n]\n";
        let records = split_records(input);
        assert_eq!(lines_and_oks(&records), vec![(2, true), (3, false), (4, true)]);
    }

    #[test]
    fn array_not_closed() {
        let records = split_records(b"[{\"a\":1},");
        assert_eq!(lines_and_oks(&records), vec![(1, true), (1, false)]);
    }

    #[test]
    fn csv_with_quoted_newline() {
        let input =
            b"\"EVENT_TYPE\",\"QUERY\"\n\"API\",\"SELECT Id\nFROM Account\"\n\"API\",\"x\"\n";
        let records = split_records(input);
        assert_eq!(lines_and_oks(&records), vec![(2, true), (4, true)]);
        let Ok(Record::Csv(pairs)) = &records[0].record else { panic!("expected a CSV row") };
        assert_eq!(pairs[1], ("QUERY".to_owned(), "SELECT Id\nFROM Account".to_owned()));
    }

    #[test]
    fn csv_short_row() {
        let records = split_records(b"a,b\n1,2\n3\n");
        assert_eq!(lines_and_oks(&records), vec![(2, true), (3, false)]);
    }

    #[test]
    fn plain_text_is_one_error() {
        let records = split_records(b"# Licence\n\nSome text.\nMore text.\n");
        assert_eq!(lines_and_oks(&records), vec![(1, false)]);
    }

    #[test]
    fn folder_walk_skips_documents() {
        assert!(is_document(Path::new("logs/LICENSE.MPL-2.0.md")));
        assert!(is_document(Path::new("README.MD")));
        assert!(!is_document(Path::new("logs/Login.csv")));
        assert!(!is_document(Path::new("logs/events.log")));
    }

    #[test]
    fn empty_input() {
        assert!(split_records(b"  \n").is_empty());
    }

    #[test]
    fn gzip_is_decompressed() {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(b"{\"a\":1}\n").unwrap();
        let compressed = encoder.finish().unwrap();
        assert_eq!(decompress(compressed.leak()).unwrap(), b"{\"a\":1}\n");
    }

    #[test]
    fn zstd_is_decompressed() {
        let compressed = zstd::stream::encode_all(&b"{\"a\":1}\n"[..], 1).unwrap();
        assert_eq!(decompress(compressed.leak()).unwrap(), b"{\"a\":1}\n");
    }
}
