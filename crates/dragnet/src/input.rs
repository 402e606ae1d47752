//! Hunt inputs: files, folders, globs, standard input and the bundled demo files, decompressed
//! and split into records with their line numbers.
//!
//! Inputs are read as streams: memory contains one record at a time (at most
//! [`MAX_RECORD_BYTES`]), never a whole file, so a large log or a compression bomb costs time
//! but not memory.

use std::collections::{HashSet, VecDeque};
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context as _, Result};

use crate::terminal;

mod utf16;

/// Where an input's bytes come from.
#[derive(Debug, Clone)]
pub enum InputSource {
    /// A regular file on disk, which can be read more than once.
    File(PathBuf),
    /// A FIFO, device or other file that is not a regular file, named on the command line,
    /// such as the `/dev/fd/63` of a shell's `<(zcat logs.gz)`. Like standard input, it is read
    /// once, as a stream.
    Stream(PathBuf),
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
    /// Opens the input as a byte stream, decompressed when it starts with a gzip or zstd
    /// header. With a `counter`, the number of raw (still compressed) bytes read is added to it
    /// as reading goes on, for a progress bar.
    pub fn open_counting(&self, counter: Option<Arc<AtomicU64>>) -> Result<Box<dyn BufRead>> {
        let raw: Box<dyn Read> = match &self.source {
            InputSource::File(path) | InputSource::Stream(path) => Box::new(
                File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
            ),
            InputSource::Stdin => Box::new(io::stdin().lock()),
            InputSource::Bundled(bytes) => Box::new(*bytes),
        };
        let raw: Box<dyn Read> = match counter {
            Some(counter) => Box::new(CountingReader { inner: raw, counter }),
            None => raw,
        };
        decompressed(raw).with_context(|| format!("cannot read {}", self.name))
    }

    /// The input's size in bytes as stored (compressed size for a compressed file), when it
    /// is known before reading: not for standard input or a stream.
    pub fn size(&self) -> Option<u64> {
        match &self.source {
            InputSource::File(path) => fs::metadata(path).ok().map(|m| m.len()),
            InputSource::Stream(_) | InputSource::Stdin => None,
            InputSource::Bundled(bytes) => Some(bytes.len() as u64),
        }
    }

    /// Whether the input can be read again from its start: false for standard input and
    /// streams, whose bytes are gone once read.
    pub fn is_rereadable(&self) -> bool {
        matches!(self.source, InputSource::File(_) | InputSource::Bundled(_))
    }
}

/// A reader that adds the bytes it reads to a shared counter.
struct CountingReader {
    inner: Box<dyn Read>,
    counter: Arc<AtomicU64>,
}

impl Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.counter.fetch_add(read as u64, Ordering::Relaxed);
        Ok(read)
    }
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Opens `raw` as UTF-8 text: decompressed (see [`decompressed_bytes`]), then decoded from
/// UTF-16 when the text starts with a UTF-16 byte-order mark.
fn decompressed(raw: Box<dyn Read>) -> io::Result<Box<dyn BufRead>> {
    let reader = decompressed_bytes(raw)?;
    as_utf8(reader)
}

/// Returns `reader` as UTF-8 text: decoded when it starts with a UTF-16 byte-order mark, as it
/// is otherwise.
fn as_utf8(mut reader: Box<dyn BufRead>) -> io::Result<Box<dyn BufRead>> {
    // Four bytes tell a UTF-16LE mark (`FF FE`) from a UTF-32LE one (`FF FE 00 00`).
    let mut head = Vec::with_capacity(4);
    if let Err(error) = (&mut reader).take(4).read_to_end(&mut head) {
        // A stream that fails this early, such as a corrupt gzip member, reports the error
        // where reading would have met it, so it counts as stopped early, not as unopened.
        return Ok(Box::new(io::Cursor::new(head).chain(FailedReader(Some(error)))));
    }
    let order = utf16::byte_order_mark(&head);
    let stream = io::Cursor::new(head).chain(reader);
    Ok(match order {
        Some(order) => Box::new(BufReader::new(utf16::Utf16Reader::new(stream, order))),
        None => Box::new(stream),
    })
}

/// A reader whose first read returns the error it carries, and every later read the end.
struct FailedReader(Option<io::Error>);

impl Read for FailedReader {
    fn read(&mut self, _buf: &mut [u8]) -> io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

impl BufRead for FailedReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.0.take().map_or(Ok(&[]), Err)
    }

    fn consume(&mut self, _amount: usize) {}
}

/// Wraps `raw` in a gzip or zstd decoder when its first bytes are that format's magic number.
fn decompressed_bytes(mut raw: Box<dyn Read>) -> io::Result<Box<dyn BufRead>> {
    let mut head = Vec::with_capacity(ZSTD_MAGIC.len());
    (&mut raw).take(ZSTD_MAGIC.len() as u64).read_to_end(&mut head)?;
    let stream = io::Cursor::new(head.clone()).chain(raw);
    let reader: Box<dyn BufRead> = if head.starts_with(GZIP_MAGIC) {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(stream)))
    } else if head.starts_with(ZSTD_MAGIC) {
        Box::new(BufReader::new(zstd::stream::read::Decoder::new(stream)?))
    } else {
        Box::new(BufReader::new(stream))
    };
    Ok(reader)
}

/// Expands command-line input arguments: `-` is standard input, a folder is searched
/// recursively (in sorted order, hidden files skipped), and an argument that is not an existing
/// path is taken as a glob pattern. A FIFO or device named here or matched by a pattern is
/// read as a stream, but a folder search takes regular files only.
pub fn expand(args: &[String]) -> Result<Vec<Input>> {
    let mut inputs = Vec::new();
    let mut walk = Walk::default();
    for arg in args {
        if arg == "-" {
            inputs.push(Input { name: "<stdin>".into(), source: InputSource::Stdin });
            continue;
        }
        let path = Path::new(arg);
        if path.is_dir() {
            let before = inputs.len();
            walk.folder(path, &mut inputs)
                .with_context(|| format!("cannot list folder {}", path.display()))?;
            if inputs.len() == before {
                eprintln!("warning: folder {} contains no log file", path.display());
            }
        } else if path.exists() {
            inputs.push(named_input(path.to_path_buf()));
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
                    walk.folder(&found, &mut inputs)
                        .with_context(|| format!("cannot list folder {}", found.display()))?;
                } else {
                    inputs.push(named_input(found));
                }
            }
        } else {
            bail!("input not found: {}", terminal::escape_controls(arg));
        }
    }
    Ok(inputs)
}

fn file_input(path: PathBuf) -> Input {
    Input { name: path.display().to_string(), source: InputSource::File(path) }
}

/// Makes the input for a path that the user named: a stream for a FIFO, device or socket,
/// otherwise a file. A path whose metadata cannot be read is taken as a file, so that opening
/// it reports the error.
fn named_input(path: PathBuf) -> Input {
    let special = fs::metadata(&path).is_ok_and(|metadata| !metadata.is_file());
    if special {
        Input { name: path.display().to_string(), source: InputSource::Stream(path) }
    } else {
        file_input(path)
    }
}

/// A recursive folder search that follows symbolic links but reads each folder once, so that
/// a link to a parent folder neither loops nor reads files twice.
#[derive(Default)]
struct Walk {
    /// Canonical paths of the folders already searched.
    seen: HashSet<PathBuf>,
}

impl Walk {
    /// Appends the regular files under `dir` to `out`. A folder below `dir` that cannot be
    /// listed, and a FIFO, device or socket, which could block or never end, are reported on
    /// stderr and skipped. An entry whose metadata cannot be read, such as a link to a missing
    /// file, is kept, so that opening it reports the error.
    fn folder(&mut self, dir: &Path, out: &mut Vec<Input>) -> io::Result<()> {
        let canonical = fs::canonicalize(dir)?;
        if !self.seen.insert(canonical) {
            eprintln!("warning: {} was already searched; skipped", printable_path(dir));
            return Ok(());
        }
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')))
            .collect();
        entries.sort();
        for entry in entries {
            // `fs::metadata` follows symbolic links, so a link counts as what it points to.
            let metadata = fs::metadata(&entry);
            if metadata.as_ref().is_ok_and(fs::Metadata::is_dir) {
                if let Err(e) = self.folder(&entry, out) {
                    eprintln!(
                        "warning: cannot list folder {}: {e}; skipped",
                        printable_path(&entry)
                    );
                }
            } else if is_document(&entry) {
                continue;
            } else if metadata.is_ok_and(|metadata| !metadata.is_file()) {
                eprintln!(
                    "warning: {} is not a regular file but a FIFO, device or socket; skipped",
                    printable_path(&entry)
                );
            } else {
                out.push(file_input(entry));
            }
        }
        Ok(())
    }
}

fn printable_path(path: &Path) -> String {
    terminal::escape_controls(&path.display().to_string()).into_owned()
}

/// File extensions of documents and images that sit beside logs in a folder (licences,
/// READMEs), which a folder search skips. A file named on the command line is always read.
const DOCUMENT_EXTENSIONS: &[&str] =
    &["md", "markdown", "rst", "html", "htm", "pdf", "png", "jpg", "jpeg", "gif", "svg"];

/// Names of the licence and read-me files that projects ship beside data, with any extension
/// (`LICENSE.Apache-2.0.txt`), which a folder search also skips.
const DOCUMENT_NAMES: &[&str] = &["license", "licence", "copying", "notice", "readme", "changelog"];

fn is_document(path: &Path) -> bool {
    let by_extension = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| DOCUMENT_EXTENSIONS.iter().any(|d| d.eq_ignore_ascii_case(e)));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let stem = name.split('.').next().unwrap_or_default();
    by_extension || DOCUMENT_NAMES.iter().any(|d| d.eq_ignore_ascii_case(stem))
}

/// One record read from an input.
#[derive(Debug)]
pub enum Record {
    /// A JSON value: one line of JSONL, one element of a top-level array, or one document.
    Json(serde_json::Value),
    /// A CSV row as (header, value) pairs, in header order.
    Csv(Vec<(String, String)>),
}

impl Record {
    /// Converts the record to the JSON the normalizer reads: a CSV row becomes an object of
    /// strings, keyed by its headers.
    pub fn into_json(self) -> serde_json::Value {
        match self {
            Record::Json(value) => value,
            Record::Csv(pairs) => serde_json::Value::Object(
                pairs
                    .into_iter()
                    .map(|(key, value)| (key, serde_json::Value::String(value)))
                    .collect(),
            ),
        }
    }
}

/// A record or the reason it could not be read, with the 1-based line where it starts.
#[derive(Debug)]
pub struct RecordAt {
    /// Line of the record's first byte.
    pub line: usize,
    /// The record's 0-based index in its top-level JSON array, when it is an element of one.
    pub element: Option<usize>,
    /// The record, or why it is malformed.
    pub record: std::result::Result<Record, String>,
}

/// The largest record read, in bytes. A larger one is reported and skipped, so that one
/// runaway value (a string that never closes, a decompression bomb) cannot exhaust memory.
// NOTE: a `{"records": [...]}` export is one record here, so a bigger export must be split
// first, for example with `jq -c '.records[]'`.
pub const MAX_RECORD_BYTES: usize = 256 << 20;

/// Reads records from a byte stream, one at a time.
///
/// The layout is decided once per input from its first line. When that line is a complete
/// JSON value, the input is JSON lines. When it starts a longer one, the input is concatenated
/// or pretty-printed JSON documents, and top-level arrays are read element by element.
/// Otherwise it is CSV with a header row. A malformed record becomes an error entry and
/// reading resumes at the next record, so one bad line costs only itself. Read errors, such as
/// a truncated archive, end the iteration and are returned by [`Records::into_error`].
pub struct Records<R: BufRead> {
    reader: Layout<R>,
    error: Option<io::Error>,
}

enum Layout<R: BufRead> {
    Json { reader: R, scanner: Scanner, done: bool },
    Csv(CsvRows<io::Chain<io::Cursor<Vec<u8>>, R>>),
    Empty,
}

/// Starts reading records from `reader`. Reading the first line to decide the layout can fail;
/// the error is then returned by [`Records::into_error`] and no record is produced.
pub fn records<R: BufRead>(reader: R) -> Records<R> {
    records_with_limit(reader, MAX_RECORD_BYTES)
}

/// [`records`] with `limit` in place of [`MAX_RECORD_BYTES`].
fn records_with_limit<R: BufRead>(mut reader: R, limit: usize) -> Records<R> {
    let (mut head, mut blank_lines) = match first_line(&mut reader, limit) {
        Ok(found) => found,
        Err(error) => return Records { reader: Layout::Empty, error: Some(error) },
    };
    // Windows PowerShell 5.1's `Export-Csv` writes `#TYPE <.NET type name>` above the header
    // unless it is given `-NoTypeInformation`.
    if head.starts_with(POWERSHELL_TYPE_LINE) {
        match first_line(&mut reader, limit) {
            Ok((header, more_blank_lines)) => {
                head = header;
                blank_lines += 1 + more_blank_lines;
            }
            Err(error) => return Records { reader: Layout::Empty, error: Some(error) },
        }
    }
    if head.is_empty() {
        return Records { reader: Layout::Empty, error: None };
    }
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let complete = head.ends_with(b"\n") || head.len() < limit;
    let one_value =
        complete && serde_json::from_slice::<serde::de::IgnoredAny>(trim_ascii(first)).is_ok();
    let layout = if one_value || matches!(head[0], b'{' | b'[') {
        let mut scanner = Scanner::new(one_value, limit);
        scanner.line += blank_lines;
        scanner.feed(&head);
        Layout::Json { reader, scanner, done: false }
    } else {
        let delimiter = csv_delimiter(first);
        let input = io::Cursor::new(head).chain(reader);
        Layout::Csv(CsvRows::new(input, delimiter, limit, blank_lines))
    };
    Records { reader: layout, error: None }
}

/// Returns the field delimiter of a CSV file from its header line: a comma, or a semicolon
/// when the header has a semicolon and no comma outside quotes. `Export-Csv -UseCulture` and
/// spreadsheet programs use the locale's list separator, which is `;` in many European locales.
fn csv_delimiter(header: &[u8]) -> u8 {
    let mut quoted = false;
    let mut semicolons = 0;
    for &byte in header {
        match byte {
            b'"' => quoted = !quoted,
            b',' if !quoted => return b',',
            b';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > 0 {
        b';'
    } else {
        b','
    }
}

/// The start of the line that Windows PowerShell 5.1's `Export-Csv` writes above the header.
const POWERSHELL_TYPE_LINE: &[u8] = b"#TYPE ";

/// Splits bytes already in memory into records, as [`records`] does for a stream.
pub fn split_records(bytes: &[u8]) -> Vec<RecordAt> {
    records(bytes).collect()
}

impl<R: BufRead> Records<R> {
    /// Returns the read error that ended the records early, if one did.
    pub fn into_error(self) -> Option<io::Error> {
        self.error
    }
}

impl<R: BufRead> Iterator for Records<R> {
    type Item = RecordAt;

    fn next(&mut self) -> Option<RecordAt> {
        match &mut self.reader {
            Layout::Empty => None,
            Layout::Csv(rows) => match rows.next()? {
                Ok(record) => Some(record),
                Err(error) => {
                    self.error = Some(error);
                    None
                }
            },
            Layout::Json { reader, scanner, done } => loop {
                if let Some(record) = scanner.out.pop_front() {
                    return Some(record);
                }
                if *done {
                    return None;
                }
                let chunk = match reader.fill_buf() {
                    Ok(chunk) => chunk,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.error = Some(e);
                        *done = true;
                        scanner.finish();
                        continue;
                    }
                };
                if chunk.is_empty() {
                    *done = true;
                    scanner.finish();
                    continue;
                }
                let length = chunk.len();
                scanner.feed(chunk);
                reader.consume(length);
            },
        }
    }
}

/// Skips a byte order mark and blank lines, then reads the first line up to and including its
/// `\n`, or `limit` bytes when no line ends before that. Returns the line, which starts with a
/// byte other than whitespace or is empty at the end of the input, and the number of blank
/// lines skipped. Leading whitespace is not kept, however long it is.
fn first_line(reader: &mut impl BufRead, limit: usize) -> io::Result<(Vec<u8>, usize)> {
    let mut blank_lines = 0;
    let mut at_start = true;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok((Vec::new(), blank_lines));
        }
        let mut skip = 0;
        if at_start && chunk.starts_with(b"\xef\xbb\xbf") {
            skip = 3;
        }
        at_start = false;
        let text_at = chunk[skip..].iter().position(|b| !b.is_ascii_whitespace());
        let end = text_at.map_or(chunk.len(), |i| skip + i);
        blank_lines += memchr::memchr_iter(b'\n', &chunk[skip..end]).count();
        reader.consume(end);
        if text_at.is_some() {
            break;
        }
    }
    let mut head = Vec::new();
    reader.take(limit as u64).read_until(b'\n', &mut head)?;
    Ok((head, blank_lines))
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// A JSON value being read: its bytes and where the scanner is inside it.
struct Pending {
    bytes: Vec<u8>,
    line: usize,
    /// Open objects and arrays inside the value.
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// The last byte outside strings that is not whitespace.
    last_significant: u8,
    /// The maximum number of bytes kept.
    limit: usize,
    /// Whether the value grew past `limit`; its bytes are then no longer kept.
    too_large: bool,
}

enum State {
    /// Between values, or between the elements of a top-level array.
    Between,
    /// Inside a value.
    Value(Pending),
    /// After a value that cannot be read to its end: skipping to the next line whose first
    /// non-blank byte is `{`, where a new value probably starts.
    Skipping,
}

/// Splits a JSON byte stream into top-level values, and a top-level array into its elements,
/// without parsing them: it follows only strings and brackets. Each value is then parsed on
/// its own, so a malformed one is reported alone.
struct Scanner {
    /// JSON lines: a value that is still open at the end of its line is malformed.
    lines: bool,
    /// The line of the `[` when inside a top-level array.
    array: Option<usize>,
    /// The index of the next element of the top-level array.
    next_element: usize,
    state: State,
    line: usize,
    /// Column of the next byte, counted from 0.
    column: usize,
    /// Whether the current line holds only whitespace so far.
    blank_so_far: bool,
    /// The largest value kept, in bytes.
    limit: usize,
    out: VecDeque<RecordAt>,
}

impl Scanner {
    fn new(lines: bool, limit: usize) -> Scanner {
        Scanner {
            lines,
            array: None,
            next_element: 0,
            state: State::Between,
            line: 1,
            column: 0,
            blank_so_far: true,
            limit,
            out: VecDeque::new(),
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            // Files saved with a UTF-8 byte-order mark and then concatenated carry one at the
            // start of each document. No JSON value starts with these bytes, so outside a value
            // they are skipped as if absent.
            if matches!(byte, 0xef | 0xbb | 0xbf) && !matches!(self.state, State::Value(_)) {
                continue;
            }
            self.byte(byte);
            if byte == b'\n' {
                self.end_line();
                self.line += 1;
                self.column = 0;
                self.blank_so_far = true;
            } else {
                self.column += 1;
                self.blank_so_far &= byte.is_ascii_whitespace();
            }
        }
    }

    fn byte(&mut self, byte: u8) {
        let line_start = self.blank_so_far;
        match &mut self.state {
            State::Between => self.between(byte),
            State::Skipping => {
                if line_start && byte == b'{' {
                    self.start_value(byte);
                } else if line_start && byte == b']' && self.array.is_some() {
                    self.array = None;
                    self.state = State::Between;
                }
            }
            State::Value(value) => {
                if value.in_string {
                    value.push(byte);
                    if value.escaped {
                        value.escaped = false;
                    } else if byte == b'\\' {
                        value.escaped = true;
                    } else if byte == b'"' {
                        value.in_string = false;
                        if value.depth == 0 {
                            self.finish_value();
                        }
                    }
                    return;
                }
                // In a pretty-printed document, a `{` in the first column while another
                // document is still open, where no object can start (not after `[`, `,` or
                // `:`), means that the open one is broken. An object that can start there
                // belongs to the open document, as with Python's `json.dumps(indent=0)`.
                if byte == b'{'
                    && self.column == 0
                    && !self.lines
                    && self.array.is_none()
                    && value.depth > 0
                    && !matches!(value.last_significant, b'[' | b',' | b':')
                {
                    self.finish_value();
                    self.start_value(byte);
                    return;
                }
                if !byte.is_ascii_whitespace() {
                    value.last_significant = byte;
                }
                match byte {
                    b'"' => {
                        value.push(byte);
                        value.in_string = true;
                    }
                    b'{' | b'[' => {
                        value.push(byte);
                        value.depth += 1;
                    }
                    b'}' | b']' if value.depth > 0 => {
                        value.push(byte);
                        value.depth -= 1;
                        if value.depth == 0 {
                            self.finish_value();
                        }
                    }
                    // A number or literal ends at the first byte that cannot continue it.
                    b'}' | b']' | b',' if value.depth == 0 => {
                        self.finish_value();
                        self.between(byte);
                    }
                    // In JSON lines a line is one record, so a malformed line such as
                    // `not json` is one error, as the hunt's line reader makes it.
                    _ if byte.is_ascii_whitespace() && value.depth == 0 && !self.lines => {
                        self.finish_value()
                    }
                    _ => value.push(byte),
                }
            }
        }
    }

    fn between(&mut self, byte: u8) {
        match byte {
            _ if byte.is_ascii_whitespace() => {}
            b',' if self.array.is_some() => {}
            b']' if self.array.is_some() => self.array = None,
            b'[' if self.array.is_none() => {
                self.array = Some(self.line);
                self.next_element = 0;
            }
            _ => self.start_value(byte),
        }
    }

    fn start_value(&mut self, byte: u8) {
        let mut value = Pending {
            bytes: Vec::new(),
            line: self.line,
            depth: 0,
            in_string: false,
            escaped: false,
            last_significant: byte,
            limit: self.limit,
            too_large: false,
        };
        match byte {
            b'"' => value.in_string = true,
            b'{' | b'[' => value.depth = 1,
            _ => {}
        }
        value.push(byte);
        self.state = State::Value(value);
    }

    /// Handles the end of a line, after its `\n` went through [`Scanner::byte`].
    fn end_line(&mut self) {
        let State::Value(value) = &self.state else {
            if self.lines && self.array.take().is_some() {
                let reason = "the JSON array is not closed on its line".to_owned();
                let line = self.line;
                self.out.push_back(RecordAt { line, element: None, record: Err(reason) });
            }
            return;
        };
        if self.lines {
            // A JSON line that ends inside a value: serde_json names what is missing.
            self.finish_value();
            self.array = None;
        } else if value.in_string {
            // JSON strings cannot hold a raw line break, so the value is broken here.
            let line = value.line;
            let reason = format!(
                "invalid JSON: a string is not closed before the end of line {}",
                self.line
            );
            let element = self.take_element();
            self.out.push_back(RecordAt { line, element, record: Err(reason) });
            self.state = State::Skipping;
        }
    }

    /// Parses the value read so far and queues it as a record.
    fn finish_value(&mut self) {
        let State::Value(value) = std::mem::replace(&mut self.state, State::Between) else {
            return;
        };
        let record = if value.too_large {
            Err(format!(
                "the record is larger than {}; split the input into smaller records",
                size_text(value.limit)
            ))
        } else {
            serde_json::from_slice(&value.bytes).map(Record::Json).map_err(|e| e.to_string())
        };
        let element = self.take_element();
        self.out.push_back(RecordAt { line: value.line, element, record });
    }

    /// Returns the index of the value just read in its top-level array, if it is in one.
    fn take_element(&mut self) -> Option<usize> {
        self.array?;
        self.next_element += 1;
        Some(self.next_element - 1)
    }

    /// Ends the input: a value or array still open is malformed.
    fn finish(&mut self) {
        if matches!(self.state, State::Value(_)) {
            self.finish_value();
        }
        if let Some(line) = self.array.take() {
            let reason = "the JSON array is not closed: the input ends inside it".to_owned();
            self.out.push_back(RecordAt { line, element: None, record: Err(reason) });
        }
    }
}

/// Formats a size for messages: in MiB when it is a whole number of them, in bytes otherwise.
fn size_text(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes & ((1 << 20) - 1) == 0 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

impl Pending {
    fn push(&mut self, byte: u8) {
        if self.too_large {
            return;
        }
        if self.bytes.len() < self.limit {
            self.bytes.push(byte);
        } else {
            self.too_large = true;
            self.bytes = Vec::new();
        }
    }
}

/// CSV rows with a header row, read one at a time.
struct CsvRows<R: Read> {
    reader: csv::Reader<Guarded<R>>,
    headers: Option<Vec<String>>,
    done: bool,
}

impl<R: Read> CsvRows<R> {
    /// Starts reading CSV with fields separated by `delimiter` from `input`, whose first line
    /// is line `blank_lines + 1` of the file.
    fn new(input: R, delimiter: u8, limit: usize, blank_lines: usize) -> CsvRows<R> {
        let guarded = Guarded {
            inner: input,
            limit,
            read_since_row: 0,
            offset: 0,
            newlines: VecDeque::new(),
            line_has_text: false,
            lines_before: 1 + blank_lines,
        };
        let reader =
            csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(guarded);
        CsvRows { reader, headers: None, done: false }
    }

    /// Returns the next row, or the read error that ends the input.
    fn next(&mut self) -> Option<io::Result<RecordAt>> {
        if self.done {
            return None;
        }
        let headers = match &self.headers {
            Some(headers) => headers,
            None => match self.read_headers() {
                Ok(headers) => self.headers.insert(headers),
                Err(reason) => {
                    self.done = true;
                    let line = self.reader.get_ref().lines_before;
                    return Some(Ok(RecordAt { line, element: None, record: Err(reason) }));
                }
            },
        };
        let mut row = csv::StringRecord::new();
        let result = self.reader.read_record(&mut row);
        self.reader.get_mut().read_since_row = 0;
        match result {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                let line = row.position().map_or(0, |p| self.reader.get_mut().line_at(p.byte()));
                if row.len() != headers.len() {
                    let message = format!(
                        "the CSV row has {} fields but the header has {}",
                        row.len(),
                        headers.len()
                    );
                    return Some(Ok(RecordAt { line, element: None, record: Err(message) }));
                }
                let pairs = headers.iter().cloned().zip(row.iter().map(str::to_owned)).collect();
                Some(Ok(RecordAt { line, element: None, record: Ok(Record::Csv(pairs)) }))
            }
            Err(error) => {
                let line = error.position().map_or(0, |p| self.reader.get_mut().line_at(p.byte()));
                if let csv::ErrorKind::Io(_) = error.kind() {
                    self.done = true;
                    let csv::ErrorKind::Io(io_error) = error.into_kind() else { return None };
                    return Some(Err(io_error));
                }
                Some(Ok(RecordAt {
                    line,
                    element: None,
                    record: Err(format!("invalid CSV row: {error}")),
                }))
            }
        }
    }

    fn read_headers(&mut self) -> std::result::Result<Vec<String>, String> {
        let headers = match self.reader.headers() {
            Ok(h) => h.iter().map(|s| sources::column_name(s).to_owned()).collect::<Vec<_>>(),
            Err(e) => return Err(format!("invalid CSV header: {e}")),
        };
        // A log CSV names several columns, so a first line without a comma means that the
        // input is neither JSON nor CSV. That is one problem, not one per line.
        if headers.len() < 2 {
            return Err("the input is neither JSON nor CSV with a header row".to_owned());
        }
        Ok(headers)
    }
}

/// The CSV reader's input. It fails once more than `limit` bytes are read without a row
/// ending, because the CSV reader keeps a whole row in memory, and it counts lines itself:
/// the `csv` crate's line numbers are one short after `\r\n` line ends.
struct Guarded<R> {
    inner: R,
    limit: usize,
    read_since_row: usize,
    /// Bytes read so far.
    offset: u64,
    /// The line breaks read ahead of the last row returned: their offsets, and whether each
    /// ends a blank line.
    newlines: VecDeque<(u64, bool)>,
    /// Whether the line being read has a byte other than `\r`.
    line_has_text: bool,
    /// The line number at the last row returned, counting the line breaks no longer kept.
    lines_before: usize,
}

impl<R> Guarded<R> {
    /// Returns the line of the row that the CSV reader says starts at byte `start`. After `\r\n`
    /// line ends, `start` is the offset of the `\n` before the row, and blank lines between
    /// that and the row are skipped, so both count.
    fn line_at(&mut self, start: u64) -> usize {
        while let Some(&(at, blank)) = self.newlines.front() {
            if at > start && !blank {
                break;
            }
            self.newlines.pop_front();
            self.lines_before += 1;
        }
        self.lines_before
    }
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read_since_row > self.limit {
            return Err(io::Error::other(format!(
                "a CSV row is larger than {}",
                size_text(self.limit)
            )));
        }
        let count = self.inner.read(buf)?;
        self.read_since_row += count;
        for (index, &byte) in buf[..count].iter().enumerate() {
            match byte {
                b'\n' => {
                    self.newlines.push_back((self.offset + index as u64, !self.line_has_text));
                    self.line_has_text = false;
                }
                b'\r' => {}
                _ => self.line_has_text = true,
            }
        }
        self.offset += count as u64;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn lines_and_oks(records: &[RecordAt]) -> Vec<(usize, bool)> {
        records.iter().map(|r| (r.line, r.record.is_ok())).collect()
    }

    fn read_all(raw: Vec<u8>) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        decompressed(Box::new(io::Cursor::new(raw)))?.read_to_end(&mut out)?;
        Ok(out)
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).expect("gzip in memory");
        encoder.finish().expect("gzip in memory")
    }

    const RECORD: &str = "{\"a\":1}";

    #[test]
    fn json_lines_with_bad_line() {
        let input = b"{\"a\":1}\n{\"a\":\n\n{\"a\":3}\n";
        let records = split_records(input);
        assert_eq!(lines_and_oks(&records), vec![(1, true), (2, false), (4, true)]);
    }

    #[test]
    fn json_lines_with_bad_last_line() {
        let records = split_records(b"{\"a\":1}\nnot json\n");
        assert_eq!(records.len(), 2, "{records:?}");
        assert!(records[1].record.is_err());
        assert_eq!(records[1].line, 2);
    }

    #[test]
    fn json_lines_with_crlf_and_bom() {
        let records = split_records(b"\xef\xbb\xbf{\"a\":1}\r\n{\"a\":2}\r\n");
        assert_eq!(lines_and_oks(&records), vec![(1, true), (2, true)]);
    }

    /// Files saved with a byte-order mark and then concatenated (`cat a.json b.json`) carry
    /// a mark at the start of every document.
    #[test]
    fn concatenated_documents_with_byte_order_marks() {
        let document = "\u{feff}[\n  {\"a\": 1},\n  {\"a\": 2}\n]\n";
        let records = split_records(document.repeat(2).as_bytes());
        assert_eq!(lines_and_oks(&records), vec![(2, true), (3, true), (6, true), (7, true)]);
        let line = "\u{feff}{\"a\":1}\n";
        let records = split_records(line.repeat(3).as_bytes());
        assert_eq!(lines_and_oks(&records), vec![(1, true), (2, true), (3, true)]);
    }

    #[test]
    fn json_lines_of_arrays() {
        let input = format!("[{RECORD}]\n[{RECORD},{RECORD}]\n");
        let records = split_records(input.as_bytes());
        assert_eq!(lines_and_oks(&records), vec![(1, true), (2, true), (2, true)]);
    }

    #[test]
    fn json_lines_starting_with_scalar() {
        let input = format!("\"text\"\n{RECORD}\n");
        let records = split_records(input.as_bytes());
        assert_eq!(lines_and_oks(&records), vec![(1, true), (2, true)]);
    }

    #[test]
    fn json_line_with_unclosed_array() {
        let input = format!("{RECORD}\n[{RECORD},\n{RECORD}\n");
        let records = split_records(input.as_bytes());
        assert_eq!(lines_and_oks(&records), vec![(1, true), (2, true), (2, false), (3, true)]);
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
    fn unclosed_document_ends_at_next_document() {
        let input = b"{\n  \"a\": {\n}\n{\n  \"a\": 2\n}\n";
        let records = split_records(input);
        assert_eq!(lines_and_oks(&records), vec![(1, false), (4, true)]);
    }

    #[test]
    fn unindented_documents_with_nested_objects() {
        let input =
            b"{\n\"a\": [\n{\n\"b\": 1\n},\n{\n\"b\": 2\n}\n],\n\"c\":\n{\n}\n}\n{\n\"a\": 3\n}\n";
        let records = split_records(input);
        assert_eq!(lines_and_oks(&records), vec![(1, true), (14, true)]);
    }

    #[test]
    fn unclosed_string_ends_at_line() {
        let input = b"{\n  \"a\": \"x\n  \"b\": 1\n}\n{\n  \"a\": 2\n}\n";
        let records = split_records(input);
        assert_eq!(lines_and_oks(&records), vec![(1, false), (5, true)]);
        let Err(reason) = &records[0].record else { panic!("expected an error") };
        assert!(reason.contains("not closed before the end of line 2"), "{reason}");
    }

    #[test]
    fn array_with_bad_element() {
        let input = b"[\n {\"a\": \"x,]\"},\n {\"a\": },\n {\"a\": [1, 2]}\n]\n";
        let records = split_records(input);
        assert_eq!(lines_and_oks(&records), vec![(2, true), (3, false), (4, true)]);
    }

    #[test]
    fn array_elements_are_indexed() {
        let input = format!("[{RECORD},\n{RECORD}]\n{{\"a\": 1}}\n[{RECORD}]\n");
        let records = split_records(input.as_bytes());
        let elements: Vec<Option<usize>> = records.iter().map(|r| r.element).collect();
        assert_eq!(elements, vec![Some(0), Some(1), None, Some(0)]);
    }

    #[test]
    fn array_not_closed() {
        let records = split_records(b"[{\"a\":1},");
        assert_eq!(lines_and_oks(&records), vec![(1, true), (1, false)]);
    }

    #[test]
    fn arrays_one_after_another() {
        let input = format!("[\n{RECORD}\n]\n[\n{RECORD},\n{RECORD}\n]\n");
        let records = split_records(input.as_bytes());
        assert_eq!(lines_and_oks(&records), vec![(2, true), (5, true), (6, true)]);
    }

    #[test]
    fn array_then_trailing_text() {
        let input = format!("[\n{RECORD}\n] trailing\n");
        let records = split_records(input.as_bytes());
        assert_eq!(lines_and_oks(&records), vec![(2, true), (3, false)]);
    }

    #[test]
    fn array_of_scalars() {
        let records = split_records(b"[\n1, \"two\", null\n]\n");
        assert_eq!(lines_and_oks(&records), vec![(2, true), (2, true), (2, true)]);
    }

    #[test]
    fn deep_nesting_is_one_error() {
        let mut input = "[".repeat(100_000);
        input.push_str(&"]".repeat(100_000));
        let records = split_records(input.as_bytes());
        assert_eq!(lines_and_oks(&records), vec![(1, false)]);
    }

    #[test]
    fn oversized_record_skipped() {
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(200));
        let input = format!("{RECORD}\n{big}\n{RECORD}\n");
        let records: Vec<RecordAt> = records_with_limit(input.as_bytes(), 64).collect();
        assert_eq!(lines_and_oks(&records), vec![(1, true), (2, false), (3, true)]);
        let Err(reason) = &records[1].record else { panic!("expected an error") };
        assert!(reason.contains("larger than 64 bytes"), "{reason}");
    }

    #[test]
    fn oversized_csv_row_stops_input() {
        let input = format!("a,b\n1,2\n\"{}\",3\n", "x".repeat(100_000));
        let mut reader = records_with_limit(input.as_bytes(), 1_000);
        let read: Vec<RecordAt> = reader.by_ref().collect();
        assert_eq!(lines_and_oks(&read), vec![(2, true)]);
        let error = reader.into_error().expect("a read error");
        assert!(error.to_string().contains("CSV row is larger than 1000 bytes"), "{error}");
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
    fn csv_with_bom_and_crlf() {
        let records = split_records(b"\xef\xbb\xbf\"a\",\"b\"\r\n\"1\",\"2\"\r\n\r\n3,4\r\n");
        assert_eq!(lines_and_oks(&records), vec![(2, true), (4, true)]);
        let Ok(Record::Csv(pairs)) = &records[0].record else { panic!("expected a CSV row") };
        assert_eq!(pairs[0], ("a".to_owned(), "1".to_owned()));
    }

    #[test]
    fn csv_after_powershell_type_line() {
        let input = concat!(
            "#TYPE Deserialized.Microsoft.Exchange.Management.SystemConfigurationTasks.AuditRecord\r\n",
            "\"RecordType\",\"AuditData\"\r\n",
            "\"AzureActiveDirectoryStsLogon\",\"{}\"\r\n",
            "\"ExchangeItem\",\"{}\"\r\n",
        );
        let records = split_records(input.as_bytes());
        assert_eq!(lines_and_oks(&records), vec![(3, true), (4, true)]);
        let Ok(Record::Csv(pairs)) = &records[0].record else { panic!("expected a CSV row") };
        assert_eq!(pairs[0], ("RecordType".to_owned(), "AzureActiveDirectoryStsLogon".to_owned()));
    }

    #[test]
    fn csv_with_semicolons() {
        for separator in [";", ","] {
            let input = ["\"EVENT_TYPE\"", "\"USER_NAME\"", "\"QUERY\""].join(separator)
                + "\n"
                + &["API", "a@example.com", "\"SELECT Id, Name FROM Contact\""].join(separator)
                + "\n";
            let records = split_records(input.as_bytes());
            assert_eq!(lines_and_oks(&records), vec![(2, true)], "separator {separator:?}");
            let Ok(Record::Csv(pairs)) = &records[0].record else { panic!("expected a CSV row") };
            assert_eq!(pairs[1], ("USER_NAME".to_owned(), "a@example.com".to_owned()));
            assert_eq!(pairs[2].1, "SELECT Id, Name FROM Contact");
        }
        let quoted_comma = "\"Date (UTC)\";\"User, name\"\n\"2025-06-10\";\"a\"\n";
        let records = split_records(quoted_comma.as_bytes());
        let Ok(Record::Csv(pairs)) = &records[0].record else { panic!("expected a CSV row") };
        assert_eq!(pairs[1], ("User, name".to_owned(), "a".to_owned()));
    }

    #[test]
    fn csv_header_drops_utc_suffix() {
        let records = split_records(
            b"\"TimeGenerated [UTC]\",Category\n\"7/2/2025, 2:02:10.123 PM\",SignInLogs\n",
        );
        let Ok(Record::Csv(pairs)) = &records[0].record else { panic!("expected a CSV row") };
        assert_eq!(pairs[0].0, "TimeGenerated");
        assert_eq!(pairs[1].0, "Category");
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
        assert!(is_document(Path::new("samples/LICENSE.Apache-2.0.txt")));
        assert!(is_document(Path::new("samples/NOTICE")));
        assert!(!is_document(Path::new("samples/license_changes.jsonl")));
    }

    #[cfg(unix)]
    #[test]
    fn folder_walk_survives_link_loops() {
        let dir = std::env::temp_dir().join(format!("dragnet-input-{}-loops", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("sub")).expect("temp dir is writable");
        fs::write(dir.join("sub/a.jsonl"), RECORD).expect("write");
        std::os::unix::fs::symlink("..", dir.join("sub/up")).expect("symlink");
        std::os::unix::fs::symlink(&dir, dir.join("self")).expect("symlink");
        let inputs = expand(&[dir.display().to_string()]).expect("expand");
        let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, vec![dir.join("sub/a.jsonl").display().to_string()]);
        let _ = fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    fn make_fifo(path: &Path) {
        let status = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo runs");
        assert!(status.success(), "mkfifo {}", path.display());
    }

    #[cfg(unix)]
    #[test]
    fn folder_walk_takes_regular_files_only() {
        let dir = crate::test_dir::TestDir::new("dragnet-input-special-");
        fs::write(dir.join("a.jsonl"), RECORD).expect("write");
        make_fifo(&dir.join("named.pipe"));
        std::os::unix::fs::symlink("/dev/zero", dir.join("zero.log")).expect("symlink");
        std::os::unix::fs::symlink(dir.join("a.jsonl"), dir.join("b.jsonl")).expect("symlink");
        let inputs = expand(&[dir.display().to_string()]).expect("expand");
        let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
        let expected = [dir.join("a.jsonl"), dir.join("b.jsonl")];
        assert_eq!(names, expected.map(|p| p.display().to_string()));
        assert!(inputs.iter().all(Input::is_rereadable));
    }

    #[cfg(unix)]
    #[test]
    fn named_fifo_is_a_stream() {
        let dir = crate::test_dir::TestDir::new("dragnet-input-fifo-");
        let fifo = dir.join("named.pipe");
        make_fifo(&fifo);
        let file = dir.join("a.jsonl");
        fs::write(&file, RECORD).expect("write");
        let inputs =
            expand(&[fifo.display().to_string(), file.display().to_string()]).expect("expand");
        assert!(matches!(&inputs[0].source, InputSource::Stream(path) if *path == fifo));
        assert!(!inputs[0].is_rereadable());
        assert_eq!(inputs[0].size(), None);
        assert!(matches!(&inputs[1].source, InputSource::File(path) if *path == file));
    }

    #[test]
    fn leading_blank_lines_counted() {
        let records = split_records(b"\n\n  \n{\"a\":1}\n");
        assert_eq!(lines_and_oks(&records), vec![(4, true)]);
        let records = split_records(b"\r\n\r\na,b\r\n1,2\r\n");
        assert_eq!(lines_and_oks(&records), vec![(4, true)]);
        let records = split_records(b"\n\nnot a log\n");
        assert_eq!(lines_and_oks(&records), vec![(3, false)]);
    }

    #[test]
    fn leading_whitespace_not_kept() {
        let input = format!("{}{RECORD}\n", " ".repeat(10_000));
        let records: Vec<RecordAt> = records_with_limit(input.as_bytes(), 64).collect();
        assert_eq!(lines_and_oks(&records), vec![(1, true)]);
    }

    /// A xorshift generator, so that the random cases below are the same on every run.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, bound: usize) -> usize {
            (self.next() % bound as u64) as usize
        }
    }

    /// Builds a random JSON value whose strings contain the bytes the scanner treats specially.
    fn random_value(random: &mut Random, depth: usize) -> serde_json::Value {
        const TEXTS: &[&str] = &["", "a", "\"", "\\", "{", "]", ",", "x\ny", "é😀", "\\\""];
        match random.below(if depth > 3 { 3 } else { 6 }) {
            0 => serde_json::Value::from(random.below(1000)),
            1 => serde_json::Value::from(TEXTS[random.below(TEXTS.len())]),
            2 => serde_json::Value::Null,
            3 => (0..random.below(4)).map(|_| random_value(random, depth + 1)).collect(),
            _ => {
                let mut object = serde_json::Map::new();
                for _ in 0..random.below(4) {
                    let key = TEXTS[random.below(TEXTS.len())].to_owned();
                    object.insert(key, random_value(random, depth + 1));
                }
                serde_json::Value::Object(object)
            }
        }
    }

    fn values(records: Vec<RecordAt>) -> Vec<serde_json::Value> {
        records
            .into_iter()
            .map(|r| match r.record {
                Ok(Record::Json(value)) => value,
                other => panic!("line {}: {other:?}", r.line),
            })
            .collect()
    }

    /// Pretty-printed JSON with no indentation, so that nested values start in column 0.
    fn unindented_json(value: &serde_json::Value) -> String {
        use serde::Serialize;
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"");
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        value.serialize(&mut serializer).expect("serialise");
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    #[test]
    fn random_records_in_every_layout() {
        let mut random = Random(0x5eed);
        for _ in 0..300 {
            let objects: Vec<serde_json::Value> = (0..1 + random.below(5))
                .map(|_| {
                    let mut object = serde_json::Map::new();
                    object.insert("k".into(), random_value(&mut random, 0));
                    serde_json::Value::Object(object)
                })
                .collect();
            let lines: Vec<String> = objects.iter().map(|o| o.to_string()).collect();
            let pretty: Vec<String> = objects
                .iter()
                .map(|o| serde_json::to_string_pretty(o).expect("serialise"))
                .collect();
            let unindented: Vec<String> = objects.iter().map(unindented_json).collect();
            let array = serde_json::Value::Array(objects.clone());
            let layouts = [
                lines.join("\n"),
                lines.join("\r\n"),
                pretty.join("\n"),
                unindented.join("\n"),
                serde_json::to_string_pretty(&array).expect("serialise"),
                array.to_string(),
            ];
            for layout in layouts {
                assert_eq!(values(split_records(layout.as_bytes())), objects, "{layout}");
            }
        }
    }

    #[test]
    fn random_fragments_never_panic() {
        const FRAGMENTS: &[&[u8]] = &[
            b"{",
            b"}",
            b"[",
            b"]",
            b"\"",
            b"\\",
            b",",
            b":",
            b"\n",
            b"\r\n",
            b" ",
            b"1",
            b"-",
            b"\"a\"",
            b"{\"a\":1}",
            b"\xef\xbb\xbf",
            b"\xff",
            b"\0",
            b"a,b\n",
            b"\"x\ny\"",
        ];
        let mut random = Random(0xbad5eed);
        for _ in 0..3_000 {
            let mut input = Vec::new();
            for _ in 0..random.below(40) {
                input.extend_from_slice(FRAGMENTS[random.below(FRAGMENTS.len())]);
            }
            let line_count = input.iter().filter(|&&b| b == b'\n').count() + 1;
            for record in records_with_limit(&input[..], 16) {
                assert!(
                    (1..=line_count).contains(&record.line),
                    "line {} of {input:?}",
                    record.line
                );
            }
        }
    }

    #[test]
    fn empty_input() {
        assert!(split_records(b"  \n").is_empty());
        assert!(split_records(b"").is_empty());
    }

    #[test]
    fn gzip_is_decompressed() {
        assert_eq!(read_all(gzip(b"{\"a\":1}\n")).unwrap(), b"{\"a\":1}\n");
    }

    #[test]
    fn zstd_is_decompressed() {
        let compressed = zstd::stream::encode_all(&b"{\"a\":1}\n"[..], 1).unwrap();
        assert_eq!(read_all(compressed).unwrap(), b"{\"a\":1}\n");
    }

    #[test]
    fn truncated_gzip_keeps_earlier_records() {
        let text = format!("{RECORD}\n").repeat(10_000);
        let compressed = gzip(text.as_bytes());
        let truncated = compressed[..compressed.len() / 2].to_vec();
        let reader = decompressed(Box::new(io::Cursor::new(truncated))).expect("gzip header");
        let mut reader = records(reader);
        let read: Vec<RecordAt> = reader.by_ref().collect();
        let good = read.iter().filter(|r| r.record.is_ok()).count();
        assert!(good > 1_000, "{good} records before the cut");
        assert!(read.iter().filter(|r| r.record.is_err()).count() <= 1);
        assert!(reader.into_error().is_some());
    }

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut bytes = if big_endian { vec![0xfe, 0xff] } else { vec![0xff, 0xfe] };
        for unit in text.encode_utf16() {
            let pair = if big_endian { unit.to_be_bytes() } else { unit.to_le_bytes() };
            bytes.extend_from_slice(&pair);
        }
        bytes
    }

    #[test]
    fn utf16_with_bom_is_read_as_utf8() {
        let text = "{\"UserId\":\"zoë@example.com\",\"emoji\":\"\u{1f600}\"}\r\n{\"a\":2}\r\n";
        for big_endian in [false, true] {
            let read = read_all(utf16(text, big_endian)).unwrap();
            assert_eq!(String::from_utf8(read).unwrap(), text, "big endian: {big_endian}");
        }
    }

    #[test]
    fn gzipped_utf16_is_read_as_utf8() {
        let text = "EVENT_TYPE,USER_NAME\nAPI,zoë@example.com\n";
        let read = read_all(gzip(&utf16(text, false))).unwrap();
        assert_eq!(String::from_utf8(read).unwrap(), text);
    }

    #[test]
    fn utf16_records_keep_line_numbers() {
        let text = "{\"a\":1}\n{\"a\":\n{\"a\":3}\n";
        let reader = decompressed(Box::new(io::Cursor::new(utf16(text, false)))).unwrap();
        let read: Vec<RecordAt> = records(reader).collect();
        assert_eq!(lines_and_oks(&read), vec![(1, true), (2, false), (3, true)]);
    }

    #[test]
    fn broken_utf16_becomes_replacement_characters() {
        // A lone high surrogate, then an odd trailing byte.
        let mut bytes = utf16("a", false);
        bytes.extend_from_slice(&[0x00, 0xd8, 0x62, 0x00, 0x63]);
        let read = read_all(bytes).unwrap();
        assert_eq!(String::from_utf8(read).unwrap(), "a\u{fffd}b\u{fffd}");
    }

    #[test]
    fn short_inputs_are_not_compressed() {
        assert_eq!(read_all(vec![0x1f]).unwrap(), vec![0x1f]);
        assert_eq!(read_all(Vec::new()).unwrap(), Vec::<u8>::new());
    }
}
