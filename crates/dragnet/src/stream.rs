//! Reading an input's records in batches, without holding the whole input in memory.
//!
//! JSON lines, the usual layout of large logs, are read a line at a time: each batch contains the
//! raw text of up to [`BATCH_RECORDS`] lines, and parsing happens later, on whichever thread
//! processes the batch. The other layouts (a top-level JSON array, concatenated multi-line
//! documents, CSV) go through [`records`], which parses as it reads.

use std::io::{self, BufRead, Cursor, Read};
use std::ops::Range;

use crate::input::{records, Record, Records, MAX_RECORD_BYTES};

/// Records per batch.
pub const BATCH_RECORDS: usize = 512;

/// Bytes of record text per batch, past which a batch ends early.
pub const BATCH_BYTES: usize = 4 << 20;

/// One record of a batch, with the 1-based line where it starts.
#[derive(Debug)]
pub struct Item {
    /// Line of the record's first byte.
    pub line: usize,
    /// The record's 0-based index in its input's top-level JSON array, when it is an element
    /// of one.
    pub element: Option<usize>,
    /// The record.
    pub body: Body,
}

/// A record as the reader left it.
#[derive(Debug)]
pub enum Body {
    /// The JSON text of a record, as a range of [`Batch::text`], not parsed yet.
    Json(Range<usize>),
    /// A record the reader already split and parsed, or why it could not.
    Ready(Result<Record, String>),
}

/// Consecutive records of one input.
#[derive(Debug, Default)]
pub struct Batch {
    /// The text that [`Body::Json`] ranges point into.
    pub text: Vec<u8>,
    /// The records, in input order.
    pub items: Vec<Item>,
    /// The records are native UDM whatever `--format` says, as Parquet rows are.
    pub native_udm: bool,
}

/// Returns the path of an element of a record: `[2]` for the record at index 2 of a top-level
/// array, followed by the `path` inside the record, as in `[2].records[5]`.
pub fn element_path(element: Option<usize>, path: &str) -> String {
    match (element, path) {
        (None, path) => path.to_owned(),
        (Some(index), "") => format!("[{index}]"),
        (Some(index), path) if path.starts_with('[') => format!("[{index}]{path}"),
        (Some(index), path) => format!("[{index}].{path}"),
    }
}

enum Layout<R: BufRead> {
    /// The first record has not been read yet.
    Unknown,
    /// JSON lines, read one line at a time; `line` is the number of the last line read.
    Lines { line: usize },
    /// Records parsed as they are read, from the first line read and the rest of the input.
    Parsed(Box<Records<io::Chain<Cursor<Vec<u8>>, R>>>),
    /// Nothing more to read.
    Done,
}

/// Reads the records of one input in batches.
pub struct RecordStream<R: BufRead> {
    /// The input, until the layout is known; [`Layout::Parsed`] then takes it over.
    reader: Option<R>,
    layout: Layout<R>,
    line_buffer: Vec<u8>,
    /// Bytes of text in the last batch, to size the next one without growing it line by line.
    last_text_bytes: usize,
    /// A read error met after some records of a batch, returned by the next call.
    error: Option<io::Error>,
}

impl<R: BufRead> RecordStream<R> {
    /// Creates a stream over decompressed input bytes.
    pub fn new(reader: R) -> RecordStream<R> {
        RecordStream {
            reader: Some(reader),
            layout: Layout::Unknown,
            line_buffer: Vec::new(),
            last_text_bytes: 0,
            error: None,
        }
    }

    /// Reads the next batch; `None` at the end of the input.
    ///
    /// A read error ends the input. The records read before it come first, in their batch, and
    /// the next call returns the error.
    pub fn next_batch(&mut self) -> io::Result<Option<Batch>> {
        if let Some(error) = self.error.take() {
            self.layout = Layout::Done;
            return Err(error);
        }
        let mut batch = Batch {
            text: Vec::with_capacity(self.last_text_bytes + self.last_text_bytes / 8),
            items: Vec::with_capacity(if self.last_text_bytes > 0 { BATCH_RECORDS } else { 0 }),
            native_udm: false,
        };
        match self.fill(&mut batch) {
            Ok(()) => {}
            Err(error) if batch.items.is_empty() => {
                self.layout = Layout::Done;
                return Err(error);
            }
            Err(error) => self.error = Some(error),
        }
        if batch.items.is_empty() && matches!(self.layout, Layout::Done) {
            return Ok(None);
        }
        self.last_text_bytes = batch.text.len().min(BATCH_BYTES);
        Ok(Some(batch))
    }

    /// Adds records to the batch until it is full or the input ends.
    fn fill(&mut self, batch: &mut Batch) -> io::Result<()> {
        if matches!(self.layout, Layout::Unknown) {
            self.detect(batch)?;
        }
        loop {
            if batch.items.len() >= BATCH_RECORDS || batch.text.len() >= BATCH_BYTES {
                break;
            }
            match &mut self.layout {
                Layout::Unknown | Layout::Done => break,
                Layout::Parsed(parsed) => match parsed.next() {
                    Some(record) => batch.items.push(Item {
                        line: record.line,
                        element: record.element,
                        body: Body::Ready(record.record),
                    }),
                    None => {
                        let Layout::Parsed(parsed) =
                            std::mem::replace(&mut self.layout, Layout::Done)
                        else {
                            break;
                        };
                        if let Some(error) = (*parsed).into_error() {
                            return Err(error);
                        }
                    }
                },
                Layout::Lines { line } => {
                    let Some(reader) = self.reader.as_mut() else { break };
                    *line += 1;
                    let number = *line;
                    // The line is read straight into the batch's text, then trimmed in place.
                    let start = batch.text.len();
                    match read_line(reader, &mut batch.text)? {
                        Line::End => self.layout = Layout::Done,
                        Line::Text => {
                            let range = trimmed_range(&batch.text[start..]);
                            if range.is_empty() {
                                batch.text.truncate(start);
                            } else {
                                batch
                                    .text
                                    .copy_within(start + range.start..start + range.end, start);
                                batch.text.truncate(start + range.len());
                                batch.items.push(Item {
                                    line: number,
                                    element: None,
                                    body: Body::Json(start..batch.text.len()),
                                });
                            }
                        }
                        Line::TooLong => {
                            batch.text.truncate(start);
                            batch.items.push(Item {
                                line: number,
                                element: None,
                                body: Body::Ready(Err(too_long())),
                            })
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Decides the layout from the first line that is not blank, as [`records`] does, and puts
    /// that line in `batch` when the input is JSON lines.
    fn detect(&mut self, batch: &mut Batch) -> io::Result<()> {
        let Some(mut reader) = self.reader.take() else { return Ok(()) };
        // Everything read so far, handed to `records` when the input is not JSON lines.
        let mut head: Vec<u8> = Vec::new();
        let mut line = 0usize;
        loop {
            line += 1;
            self.line_buffer.clear();
            let read = read_line(&mut reader, &mut self.line_buffer)?;
            if matches!(read, Line::End) {
                // Blank input, or nothing but whitespace: no records.
                self.layout = Layout::Done;
                return Ok(());
            }
            let text: &[u8] = if line == 1 {
                self.line_buffer.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&self.line_buffer)
            } else {
                &self.line_buffer
            };
            let trimmed = text.trim_ascii();
            if matches!(read, Line::Text) && trimmed.is_empty() {
                head.extend_from_slice(&self.line_buffer);
                continue;
            }
            let is_json_line = matches!(read, Line::Text)
                && trimmed.first() == Some(&b'{')
                && serde_json::from_slice::<serde::de::IgnoredAny>(trimmed).is_ok();
            if is_json_line {
                push_line(batch, line, &self.line_buffer);
                self.reader = Some(reader);
                self.layout = Layout::Lines { line };
            } else {
                head.extend_from_slice(&self.line_buffer);
                self.layout = Layout::Parsed(Box::new(records(Cursor::new(head).chain(reader))));
            }
            return Ok(());
        }
    }
}

/// The result of [`read_line`].
enum Line {
    /// A line, in the buffer, with its `\n` when it has one.
    Text,
    /// A line longer than [`MAX_RECORD_BYTES`]: its start is in the buffer and the rest was
    /// skipped.
    TooLong,
    /// The end of the input.
    End,
}

/// Appends one line to `buffer`, or as much of it as [`MAX_RECORD_BYTES`] allows.
fn read_line(reader: &mut impl BufRead, buffer: &mut Vec<u8>) -> io::Result<Line> {
    read_line_within(reader, buffer, MAX_RECORD_BYTES)
}

/// Appends one line of at most `limit` bytes, not counting its newline, to `buffer`. A longer
/// line is skipped to its end and reported as too long.
fn read_line_within(
    reader: &mut impl BufRead,
    buffer: &mut Vec<u8>,
    limit: usize,
) -> io::Result<Line> {
    let read = read_until_newline(reader, buffer, limit)?;
    if read == 0 {
        return Ok(Line::End);
    }
    if read == limit && !buffer.ends_with(b"\n") {
        // A line of exactly `limit` bytes ends here when its newline or the end of input
        // comes next.
        let next = loop {
            match reader.fill_buf() {
                Ok(available) => break available.first().copied(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        match next {
            None => return Ok(Line::Text),
            Some(b'\n') => {
                reader.consume(1);
                buffer.push(b'\n');
                return Ok(Line::Text);
            }
            Some(_) => {}
        }
        // Skip to the end of the runaway line without keeping it.
        let mut rest = Vec::new();
        loop {
            rest.clear();
            let read = read_until_newline(reader, &mut rest, 1 << 20)?;
            if read == 0 || rest.ends_with(b"\n") {
                break;
            }
        }
        return Ok(Line::TooLong);
    }
    Ok(Line::Text)
}

/// Appends bytes to `buffer` up to and including the next newline, or up to `limit` bytes or
/// the end of input, and returns how many it appended. It reads as
/// `reader.take(limit).read_until(b'\n', buffer)` does, finding the newline with the `memchr`
/// crate's vector search rather than the standard library's word-at-a-time one.
fn read_until_newline(
    reader: &mut impl BufRead,
    buffer: &mut Vec<u8>,
    limit: usize,
) -> io::Result<usize> {
    let mut read = 0;
    while read < limit {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            break;
        }
        let window = &available[..available.len().min(limit - read)];
        let (taken, done) = match memchr::memchr(b'\n', window) {
            Some(at) => (at + 1, true),
            None => (window.len(), false),
        };
        buffer.extend_from_slice(&window[..taken]);
        reader.consume(taken);
        read += taken;
        if done {
            break;
        }
    }
    Ok(read)
}

fn too_long() -> String {
    format!("the record is longer than {MAX_RECORD_BYTES} bytes")
}

/// Adds one line of JSON lines input to the batch, unless it is blank.
fn push_line(batch: &mut Batch, line: usize, text: &[u8]) {
    let range = trimmed_range(text);
    if range.is_empty() {
        return;
    }
    let start = batch.text.len();
    batch.text.extend_from_slice(&text[range]);
    batch.items.push(Item { line, element: None, body: Body::Json(start..batch.text.len()) });
}

/// Returns the range of a line without its UTF-8 byte order mark and surrounding ASCII white
/// space.
fn trimmed_range(text: &[u8]) -> Range<usize> {
    let bom = if text.starts_with(b"\xef\xbb\xbf") { 3 } else { 0 };
    let rest = &text[bom..];
    let start = bom + (rest.len() - rest.trim_ascii_start().len());
    let end = bom + rest.trim_ascii_end().len();
    start..end.max(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of every record, and whether it is unparsed JSON text.
    fn read_all(input: &[u8]) -> Vec<(usize, bool)> {
        let mut stream = RecordStream::new(input);
        let mut out = Vec::new();
        while let Some(batch) = stream.next_batch().unwrap() {
            out.extend(batch.items.iter().map(|i| (i.line, matches!(i.body, Body::Json(_)))));
        }
        out
    }

    #[test]
    fn json_lines_stream_with_line_numbers() {
        let input = b"\xef\xbb\xbf\n{\"a\":1}\n\n{\"a\":\n{\"a\":3}";
        assert_eq!(read_all(input), vec![(2, true), (4, true), (5, true)]);
    }

    #[test]
    fn other_layouts_match_split_records() {
        let inputs: [&[u8]; 4] = [
            b"\n{\n  \"a\": 1\n}\n{\n  \"a\": 2\n}\n",
            b"[\n {\"a\": 1},\n {\"a\": }\n]\n",
            b"a,b\n1,2\n3\n",
            b"  \n",
        ];
        for input in inputs {
            let expected: Vec<(usize, bool)> = records(input).map(|r| (r.line, false)).collect();
            assert_eq!(read_all(input), expected, "{}", String::from_utf8_lossy(input));
        }
    }

    /// A reader that fails once its bytes are read, like a truncated archive.
    struct Failing(io::Cursor<Vec<u8>>);

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(io::Error::other("truncated")),
                n => Ok(n),
            }
        }
    }

    #[test]
    fn read_error_keeps_earlier_records() {
        let text = b"{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n".to_vec();
        let mut stream = RecordStream::new(io::BufReader::new(Failing(io::Cursor::new(text))));
        let batch = stream.next_batch().expect("the records before the error").expect("a batch");
        assert_eq!(batch.items.len(), 3);
        assert!(stream.next_batch().is_err());
    }

    #[test]
    fn long_input_splits_into_batches() {
        let mut input = Vec::new();
        for i in 0..(BATCH_RECORDS * 2 + 5) {
            input.extend_from_slice(format!("{{\"n\":{i}}}\n").as_bytes());
        }
        let mut stream = RecordStream::new(&input[..]);
        let mut sizes = Vec::new();
        while let Some(batch) = stream.next_batch().unwrap() {
            sizes.push(batch.items.len());
        }
        assert_eq!(sizes, vec![BATCH_RECORDS, BATCH_RECORDS, 5]);
    }

    #[test]
    fn newline_search_reads_as_read_until() {
        let inputs: [&[u8]; 5] = [b"", b"abc", b"ab\ncd\n\nefgh", b"\n\n", b"0123456789\nx"];
        for input in inputs {
            for capacity in [1, 2, 3, 64] {
                for limit in [1, 2, 5, 100] {
                    let mut ours = io::BufReader::with_capacity(capacity, input);
                    let mut std = io::BufReader::with_capacity(capacity, input);
                    loop {
                        let (mut a, mut b) = (Vec::new(), Vec::new());
                        let read = read_until_newline(&mut ours, &mut a, limit).unwrap();
                        let expected = (&mut std).take(limit as u64).read_until(b'\n', &mut b);
                        assert_eq!(Some(read), expected.ok(), "{input:?} {capacity} {limit}");
                        assert_eq!(a, b);
                        if read == 0 {
                            break;
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn line_at_the_limit_is_kept() {
        let read = |input: &[u8]| {
            let mut reader = io::BufReader::with_capacity(2, input);
            let mut lines = Vec::new();
            loop {
                let mut buffer = Vec::new();
                match read_line_within(&mut reader, &mut buffer, 4).unwrap() {
                    Line::End => break,
                    Line::Text => lines.push(String::from_utf8_lossy(&buffer).into_owned()),
                    Line::TooLong => lines.push("too long".to_owned()),
                }
            }
            lines
        };
        assert_eq!(read(b"abcd"), ["abcd"]);
        assert_eq!(read(b"abcd\nef"), ["abcd\n", "ef"]);
        assert_eq!(read(b"abcde\nef"), ["too long", "ef"]);
        assert_eq!(read(b"abcd\r\nef"), ["too long", "ef"]);
        assert_eq!(read(b"abc\nabcdefgh"), ["abc\n", "too long"]);
    }
}
