//! Data tables: multi-column CSV tables that rules read as `%table.column`.
//!
//! A table is a CSV file with a header row, named after the file (`ioc_ips.csv` is
//! `%ioc_ips`, case-insensitively). A header cell `name:type` gives the column a type, one of
//! `string` (the default), `regex`, `cidr` and `number`; Google SecOps sets the types when a
//! table is created, and a plain CSV file has no other place for them. Rules test a column
//! with `in` as they test a reference list, and compare a field with a column to join the
//! event with the table's rows.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::sync::Arc;

use crate::lists::{ListError, ListKind, ReferenceList};

/// The type of a data-table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Text, compared exactly.
    String,
    /// RE2 patterns.
    Regex,
    /// CIDR ranges.
    Cidr,
    /// Numbers, compared as numbers with numeric fields.
    Number,
}

impl ColumnType {
    fn parse(name: &str) -> Option<ColumnType> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "string" => ColumnType::String,
            "regex" => ColumnType::Regex,
            "cidr" => ColumnType::Cidr,
            "number" => ColumnType::Number,
            _ => return None,
        })
    }
}

/// One column of a data table.
#[derive(Debug, Clone)]
pub struct Column {
    /// The name from the header row, without its type.
    pub name: String,
    /// The type from the header row.
    pub kind: ColumnType,
}

/// A data table: its columns and rows of cells.
#[derive(Debug, Clone)]
pub struct DataTable {
    name: String,
    origin: String,
    columns: Vec<Column>,
    /// Each row's cells, one per column, with the row's 1-based line in the file.
    rows: Vec<(usize, Vec<String>)>,
    /// Whether the column types come from a header row, rather than being unknown.
    typed: bool,
}

/// A problem with a data-table file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// The file has no header row.
    #[error("{origin}: the data table has no header row; the first line must name the columns")]
    NoHeader {
        /// The file.
        origin: String,
    },
    /// A header cell names no column, or names one twice, or has an unknown type.
    #[error("{origin}: invalid column {cell:?} in the header row: {reason}")]
    InvalidColumn {
        /// The file.
        origin: String,
        /// The header cell.
        cell: String,
        /// The problem.
        reason: &'static str,
    },
    /// A row could not be read as CSV, or has another number of cells than the header.
    #[error("{origin}:{line}: row skipped: {reason}")]
    InvalidRow {
        /// The file.
        origin: String,
        /// The 1-based line.
        line: usize,
        /// The problem.
        reason: String,
    },
    /// A cell of a `regex`, `cidr` or `number` column is not a valid pattern, range or number.
    /// The row is kept, and the cell matches nothing.
    #[error(
        "{origin}:{line}: invalid cell in column {column:?}: {reason}; the cell matches nothing"
    )]
    InvalidCell {
        /// The file.
        origin: String,
        /// The 1-based line of the row.
        line: usize,
        /// The column name.
        column: String,
        /// The problem.
        reason: String,
    },
    /// A quoted cell of the header row is not closed, so the rest of the file was read into it.
    #[error("{origin}:{line}: the quoted cell that starts here is not closed, so the data table is left out")]
    UnclosedQuote {
        /// The file.
        origin: String,
        /// The 1-based line of the opening quote.
        line: usize,
    },
    /// The file is not valid UTF-8. Invalid bytes were replaced by U+FFFD.
    #[error("{origin}:{line}: invalid UTF-8; invalid bytes were replaced by U+FFFD")]
    InvalidUtf8 {
        /// The file.
        origin: String,
        /// The 1-based line of the first invalid byte.
        line: usize,
    },
    /// Two files in one folder name the same table, ignoring case.
    #[error("{second}: skipped, because {first} already defines the data table {name:?} (table names are case-insensitive)")]
    DuplicateName {
        /// The table name, as the skipped file spells it.
        name: String,
        /// The file that was loaded.
        first: String,
        /// The file that was skipped.
        second: String,
    },
}

/// A `number` cell read as a number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// A whole number that fits in 64 bits.
    Int(i64),
    /// Any other finite number.
    Float(f64),
}

impl Number {
    /// Parses a `number` cell, ignoring spaces around it. Returns `None` for an empty cell and
    /// for text that is not a finite decimal number.
    pub fn parse(cell: &str) -> Option<Number> {
        let text = cell.trim();
        if let Ok(int) = text.parse::<i64>() {
            return Some(Number::Int(int));
        }
        match text.parse::<f64>() {
            Ok(float) if float.is_finite() => Some(Number::Float(float)),
            _ => None,
        }
    }
}

impl DataTable {
    /// Reads a table from CSV text. A row that cannot be read is reported and skipped, and a
    /// header that cannot be read fails the whole table. Spaces around cells are dropped, and
    /// invalid cells of typed columns are reported.
    pub fn from_csv(
        name: &str,
        text: &str,
        origin: &str,
    ) -> Result<(DataTable, Vec<TableError>), TableError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let unclosed_quote = unclosed_quote_line(text);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut records = reader.records().peekable();
        let no_header = || TableError::NoHeader { origin: origin.to_owned() };
        let header = records.next().ok_or_else(no_header)?.map_err(|_| no_header())?;

        // The csv crate ends an unclosed quoted cell at the end of the file, so the record
        // that contains the opening quote is the last one.
        if let (Some(line), None) = (unclosed_quote, records.peek()) {
            return Err(TableError::UnclosedQuote { origin: origin.to_owned(), line });
        }
        let columns = parse_header(&header, origin)?;

        let mut rows = Vec::new();
        let mut problems = Vec::new();
        let mut lines = LineCounter::new(text);
        while let Some(record) = records.next() {
            let record = match record {
                Ok(record) => record,
                Err(error) => {
                    let line = error.position().map_or(0, |p| lines.line_at(p.byte()));
                    let reason = error.to_string();
                    problems.push(TableError::InvalidRow {
                        origin: origin.to_owned(),
                        line,
                        reason,
                    });
                    continue;
                }
            };
            let line = record.position().map_or(0, |p| lines.line_at(p.byte()));

            let reason = match unclosed_quote {
                Some(quote_line) if records.peek().is_none() => Some(format!(
                    "the quoted cell that starts on line {quote_line} is not closed, so the rest \
                     of the file was read into it"
                )),
                _ if record.len() != columns.len() => Some(format!(
                    "{} cells where the header names {} columns",
                    record.len(),
                    columns.len()
                )),
                _ => None,
            };
            if record.iter().all(|cell| cell.trim().is_empty()) {
                continue;
            }
            if let Some(reason) = reason {
                problems.push(TableError::InvalidRow { origin: origin.to_owned(), line, reason });
                continue;
            }
            rows.push((line, record.iter().map(|cell| cell.trim().to_owned()).collect()));
        }

        let origin = origin.to_owned();
        let table = DataTable { name: name.to_owned(), origin, columns, rows, typed: true };
        problems.extend(table.invalid_cells());
        Ok((table, problems))
    }

    /// Reports every cell of a `regex`, `cidr` or `number` column that is not a valid pattern,
    /// range or number.
    fn invalid_cells(&self) -> Vec<TableError> {
        let mut problems = Vec::new();
        for (index, column) in self.columns.iter().enumerate() {
            let invalid = |line: usize, reason: String| TableError::InvalidCell {
                origin: self.origin.clone(),
                line,
                column: column.name.clone(),
                reason,
            };
            let list_kind = match column.kind {
                ColumnType::String => continue,
                ColumnType::Number => {
                    for (line, cells) in &self.rows {
                        let cell = cells.get(index).map_or("", String::as_str);
                        if !cell.is_empty() && Number::parse(cell).is_none() {
                            problems.push(invalid(*line, format!("{cell:?} is not a number")));
                        }
                    }
                    continue;
                }
                ColumnType::Regex => ListKind::Regex,
                ColumnType::Cidr => ListKind::Cidr,
            };
            let (_, list_problems) = self.column_list(index, list_kind);
            for problem in list_problems {
                let (line, reason) = match problem {
                    ListError::InvalidRegex { line, entry, reason, .. } => {
                        (line, format!("invalid regular expression {entry:?}: {reason}"))
                    }
                    ListError::InvalidCidr { line, entry, reason, .. } => {
                        (line, format!("invalid CIDR range {entry:?}: {reason}"))
                    }
                    other => (0, other.to_string()),
                };
                problems.push(invalid(line, reason));
            }
        }
        problems.sort_by_key(|problem| match problem {
            TableError::InvalidCell { line, .. } => *line,
            _ => 0,
        });
        problems
    }

    /// Creates a table with these columns and no rows, whose column types are unknown: the
    /// stand-in for a table a rule reads but the run has not loaded. Its columns read as
    /// `string` columns.
    pub fn stand_in(name: &str, columns: &[String]) -> DataTable {
        let columns =
            columns.iter().map(|c| Column { name: c.clone(), kind: ColumnType::String }).collect();
        DataTable {
            name: name.to_owned(),
            origin: "stand-in".to_owned(),
            columns,
            rows: Vec::new(),
            typed: false,
        }
    }

    /// Returns whether the column types come from a header row. A [stand-in](Self::stand_in)
    /// has no known types.
    pub fn has_column_types(&self) -> bool {
        self.typed
    }

    /// The table name, as its file spells it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file the table was read from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The columns, in header order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The position of the column with this name: an exact match first, then one that differs
    /// only in case.
    pub fn column(&self, name: &str) -> Option<usize> {
        let columns = &self.columns;
        columns
            .iter()
            .position(|c| c.name == name)
            .or_else(|| columns.iter().position(|c| c.name.eq_ignore_ascii_case(name)))
    }

    /// The rows, each with its 1-based line and one cell per column.
    pub fn rows(&self) -> &[(usize, Vec<String>)] {
        &self.rows
    }

    /// The cells of column `index` as a reference list of `kind`, for `in` tests. Empty cells
    /// and the cells of a `number` column that are not numbers are left out, and invalid
    /// patterns or ranges are reported.
    pub fn column_list(&self, index: usize, kind: ListKind) -> (ReferenceList, Vec<ListError>) {
        let column = self.columns.get(index);
        let name = format!("{}.{}", self.name, column.map_or("", |c| &c.name));
        // Reading the table reported the `number` cells that are not numbers.
        let numbers = column.is_some_and(|c| c.kind == ColumnType::Number);
        let cells = self
            .rows
            .iter()
            .filter_map(|(line, cells)| Some((*line, cells.get(index)?.clone())))
            .filter(|(_, cell)| !numbers || Number::parse(cell).is_some());
        ReferenceList::from_entries(&name, kind, cells, &self.origin)
    }
}

fn parse_header(header: &csv::StringRecord, origin: &str) -> Result<Vec<Column>, TableError> {
    let mut columns: Vec<Column> = Vec::with_capacity(header.len());
    for cell in header {
        let invalid = |reason| TableError::InvalidColumn {
            origin: origin.to_owned(),
            cell: cell.to_owned(),
            reason,
        };
        let (name, kind) = match cell.rsplit_once(':') {
            Some((name, kind)) => match ColumnType::parse(kind) {
                Some(kind) => (name.trim(), kind),
                None => {
                    return Err(invalid("the type after `:` must be string, regex, cidr or number"))
                }
            },
            None => (cell.trim(), ColumnType::String),
        };
        if name.is_empty() {
            return Err(invalid("the column has no name"));
        }
        if columns.iter().any(|c| c.name.eq_ignore_ascii_case(name)) {
            return Err(invalid("another column has the same name (names are case-insensitive)"));
        }
        columns.push(Column { name: name.to_owned(), kind });
    }
    Ok(columns)
}

/// Converts the increasing byte offsets at which the csv crate starts records into 1-based
/// line numbers.
///
/// The csv crate's own line count misses the line breaks inside some quoted cells, such as
/// those after a `""` escape. In a file with CRLF line ends it also starts each record at the
/// `\n` that ends the line before, so its line would be one too low.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> LineCounter<'a> {
        LineCounter { text: text.as_bytes(), offset: 0, line: 1 }
    }

    /// Returns the line of the first byte at or after `offset` that does not end a line.
    /// `offset` must not be below the previous call's.
    fn line_at(&mut self, offset: u64) -> usize {
        let mut offset = usize::try_from(offset).unwrap_or(usize::MAX).min(self.text.len());
        while matches!(self.text.get(offset), Some(b'\r' | b'\n')) {
            offset += 1;
        }
        while self.offset < offset {
            if ends_line(self.text, self.offset) {
                self.line += 1;
            }
            self.offset += 1;
        }
        self.line
    }
}

/// Whether the byte at `offset` ends a line: a `\n`, or a `\r` that no `\n` follows, as the
/// csv crate reads line ends.
fn ends_line(text: &[u8], offset: usize) -> bool {
    match text.get(offset) {
        Some(b'\n') => true,
        Some(b'\r') => text.get(offset + 1) != Some(&b'\n'),
        _ => false,
    }
}

/// Returns the line of a quoted cell that is never closed. It follows the quoting rules of the
/// csv crate's default reader, where a quote opens a quoted cell only at the start of a cell
/// and `""` inside one is a literal quote.
fn unclosed_quote_line(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut line = 1;
    let mut at_cell_start = true;
    let mut quote_line = None;
    let mut offset = 0;
    while let Some(&byte) = bytes.get(offset) {
        let next = bytes.get(offset + 1).copied();
        if ends_line(bytes, offset) {
            line += 1;
        }
        if quote_line.is_some() {
            if byte == b'"' && next == Some(b'"') {
                offset += 1;
            } else if byte == b'"' {
                quote_line = None;
            }
        } else if byte == b'"' && at_cell_start {
            quote_line = Some(line);
            at_cell_start = false;
        } else {
            at_cell_start = matches!(byte, b',' | b'\r' | b'\n');
        }
        offset += 1;
    }
    quote_line
}

/// Decodes file bytes as UTF-8, replacing invalid sequences and reporting the line of the
/// first one.
fn decode(bytes: &[u8], origin: &str, problems: &mut Vec<TableError>) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(error) => {
            let valid = bytes.get(..error.valid_up_to()).unwrap_or_default();
            let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
            problems.push(TableError::InvalidUtf8 { origin: origin.to_owned(), line });
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
}

/// Data tables by case-insensitive name.
#[derive(Debug, Clone, Default)]
pub struct DataTables {
    tables: BTreeMap<String, Arc<DataTable>>,
}

impl DataTables {
    /// Creates an empty set.
    pub fn new() -> DataTables {
        DataTables::default()
    }

    /// Loads every `NAME.csv` file of a folder, in name order, replacing tables of the same
    /// name from earlier folders. Returns the problems of the files, whose readable rows load
    /// all the same. A file whose header cannot be read is left out and reported, and so is a
    /// file that names a table another file of the folder already defines.
    pub fn load_dir(&mut self, dir: &Path) -> std::io::Result<Vec<TableError>> {
        let mut paths: Vec<_> =
            fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        let mut problems = Vec::new();
        // Lowercase table name to the file of this folder that defined it.
        let mut loaded: BTreeMap<String, String> = BTreeMap::new();
        for path in paths {
            let is_csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
            let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if !is_csv || hidden || !path.is_file() {
                continue;
            }
            let Some(name) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
                continue;
            };
            let origin = path.display().to_string();
            if let Some(first) = loaded.get(&name.to_lowercase()) {
                problems.push(TableError::DuplicateName {
                    name,
                    first: first.clone(),
                    second: origin,
                });
                continue;
            }
            let bytes = fs::read(&path)?;
            let text = decode(&bytes, &origin, &mut problems);
            match DataTable::from_csv(&name, &text, &origin) {
                Ok((table, table_problems)) => {
                    problems.extend(table_problems);
                    loaded.insert(name.to_lowercase(), origin);
                    self.insert(table);
                }
                Err(error) => problems.push(error),
            }
        }
        Ok(problems)
    }

    /// Adds a table, replacing any table with the same name regardless of case.
    pub fn insert(&mut self, table: DataTable) {
        self.tables.insert(table.name.to_lowercase(), Arc::new(table));
    }

    /// Returns the table with this name, ignoring case and a leading `%`.
    pub fn get(&self, name: &str) -> Option<&Arc<DataTable>> {
        self.tables.get(&name.trim_start_matches('%').to_lowercase())
    }

    /// The number of tables.
    pub fn len(&self) -> usize {
        self.tables.len()
    }

    /// Whether there is no table.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_header_types_and_rows() {
        let text = "ip:cidr,owner,score:number\n10.0.0.0/8,corp,5\n\"192.0.2.1/32\",\"a, b\",7\n,,\nshort\n";
        let (table, problems) = DataTable::from_csv("nets", text, "nets.csv").unwrap();
        assert_eq!(table.columns().len(), 3);
        assert_eq!(table.columns()[0].kind, ColumnType::Cidr);
        assert_eq!(table.columns()[1].kind, ColumnType::String);
        assert_eq!(table.columns()[2].kind, ColumnType::Number);
        assert_eq!(table.rows().len(), 2);
        assert_eq!(table.rows()[1].1[1], "a, b");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].to_string().contains("nets.csv:5"), "{}", problems[0]);
        assert_eq!(table.column("OWNER"), Some(1));
        assert_eq!(table.column("missing"), None);
    }

    #[test]
    fn column_list_takes_cells_verbatim() {
        let text = "url,note\nhttps://evil.example/a,x // not a comment\n  ,empty\n";
        let (table, _) = DataTable::from_csv("urls", text, "urls.csv").unwrap();
        let (list, problems) = table.column_list(0, ListKind::String);
        assert!(problems.is_empty());
        assert_eq!(list.entries(), ["https://evil.example/a"]);
        let (notes, _) = table.column_list(1, ListKind::String);
        assert!(notes.contains("x // not a comment", false));
    }

    #[test]
    fn invalid_headers_are_rejected() {
        for header in ["a,a", "a,", "a:integer", "a,A"] {
            let text = format!("{header}\n1,2\n");
            assert!(DataTable::from_csv("t", &text, "t.csv").is_err(), "{header:?}");
        }
        let empty = DataTable::from_csv("t", "\n\n", "t.csv");
        assert!(matches!(empty, Err(TableError::NoHeader { .. })), "{empty:?}");
    }

    #[test]
    fn quoted_cells_span_lines() {
        let text = "user,note\r\nalice,\"a, \"\"b\"\"\r\nc\"\r\nbob,x\"y\r\n";
        let (table, problems) = DataTable::from_csv("t", text, "t.csv").unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(table.rows().len(), 2);
        assert_eq!(table.rows()[0].1[1], "a, \"b\"\r\nc");
        assert_eq!(table.rows()[1].0, 4);
        assert_eq!(table.rows()[1].1[1], "x\"y");

        for ends in ["\r\n", "\r"] {
            let text = ["a,b", "1,2", "1,2,3", "\"x", "y\",4,5", ""].join(ends);
            let (_, problems) = DataTable::from_csv("t", &text, "t.csv").unwrap();
            let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
            assert_eq!(messages.len(), 2, "{ends:?}: {messages:?}");
            assert!(messages[0].starts_with("t.csv:3: row skipped"), "{ends:?}: {messages:?}");
            assert!(messages[1].starts_with("t.csv:4: row skipped"), "{ends:?}: {messages:?}");
        }
        let unclosed = "a,b\r1,\"x\r2,3\r";
        let (_, problems) = DataTable::from_csv("t", unclosed, "t.csv").unwrap();
        assert!(problems[0].to_string().contains("starts on line 2"), "{problems:?}");
    }

    #[test]
    fn unclosed_quote_is_reported() {
        let text = "user,dept\nalice,Finance\nbob,\"Sales\ncarol,Ops\n";
        let (table, problems) = DataTable::from_csv("t", text, "t.csv").unwrap();
        assert_eq!(table.rows().len(), 1);
        assert_eq!(problems.len(), 1, "{problems:?}");
        let message = problems[0].to_string();
        assert!(message.starts_with("t.csv:3: row skipped"), "{message}");
        assert!(message.contains("starts on line 3 is not closed"), "{message}");

        let header = DataTable::from_csv("t", "user,\"dept\nalice,Finance\n", "t.csv");
        assert!(matches!(header, Err(TableError::UnclosedQuote { line: 1, .. })), "{header:?}");
    }

    #[test]
    fn cells_lose_surrounding_spaces() {
        let text = "user,score:number\n alice , 3 \n";
        let (table, problems) = DataTable::from_csv("t", text, "t.csv").unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(table.rows()[0].1, ["alice", "3"]);
    }

    #[test]
    fn invalid_typed_cells_are_reported() {
        let text = "pat:regex,net:cidr,score:number,name\n\
                    (open,10.0.0.0/8,1,a\n\
                    ^ok$,10.0.0.0/33,2.5,b\n\
                    ^ok$,10.1.0.0/16,0x10,c\n\
                    ,,,d\n";
        let (table, problems) = DataTable::from_csv("t", text, "t.csv").unwrap();
        assert_eq!(table.rows().len(), 4, "rows with invalid cells are kept");
        let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].starts_with("t.csv:2: invalid cell in column \"pat\""), "{messages:?}");
        assert!(messages[1].starts_with("t.csv:3: invalid cell in column \"net\""), "{messages:?}");
        assert!(
            messages[2].starts_with("t.csv:4: invalid cell in column \"score\""),
            "{messages:?}"
        );
        assert!(messages[2].contains("\"0x10\" is not a number"), "{messages:?}");
    }

    #[test]
    fn number_cells_parse() {
        assert_eq!(Number::parse(" 42 "), Some(Number::Int(42)));
        assert_eq!(Number::parse("-1.5"), Some(Number::Float(-1.5)));
        assert_eq!(Number::parse("1e3"), Some(Number::Float(1000.0)));
        assert_eq!(Number::parse(""), None);
        assert_eq!(Number::parse("NaN"), None);
        assert_eq!(Number::parse("inf"), None);
        assert_eq!(Number::parse("12abc"), None);
    }

    #[test]
    fn load_dir_reports_duplicates_and_invalid_utf8() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("Users.csv"), "user\nalice\n").unwrap();
        fs::write(dir.path().join("users.csv"), "user\nbob\n").unwrap();
        fs::write(dir.path().join("bytes.csv"), b"user\nok\nal\xffice\n").unwrap();
        let mut tables = DataTables::new();
        let problems = tables.load_dir(dir.path()).unwrap();
        let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("bytes.csv:3: invalid UTF-8"), "{messages:?}");
        assert!(messages[1].contains("users.csv: skipped, because"), "{messages:?}");
        assert!(messages[1].contains("Users.csv already defines"), "{messages:?}");
        let users = tables.get("USERS").unwrap();
        assert_eq!(users.rows()[0].1, ["alice"]);
        assert_eq!(tables.get("bytes").unwrap().rows().len(), 2);
    }
}
