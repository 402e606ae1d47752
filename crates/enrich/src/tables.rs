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
}

impl DataTable {
    /// Reads a table from CSV text. A row that cannot be read is reported and skipped; a
    /// header that cannot be read fails the whole table.
    pub fn from_csv(
        name: &str,
        text: &str,
        origin: &str,
    ) -> Result<(DataTable, Vec<TableError>), TableError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        let no_header = || TableError::NoHeader { origin: origin.to_owned() };
        let header = records.next().ok_or_else(no_header)?.map_err(|_| no_header())?;
        let columns = parse_header(&header, origin)?;
        let mut rows = Vec::new();
        let mut problems = Vec::new();
        for record in records {
            let record = match record {
                Ok(record) => record,
                Err(error) => {
                    let line = error.position().map_or(0, |p| p.line() as usize);
                    let reason = error.to_string();
                    problems.push(TableError::InvalidRow {
                        origin: origin.to_owned(),
                        line,
                        reason,
                    });
                    continue;
                }
            };
            let line = record.position().map_or(0, |p| p.line() as usize);
            if record.iter().all(|cell| cell.trim().is_empty()) {
                continue;
            }
            if record.len() != columns.len() {
                problems.push(TableError::InvalidRow {
                    origin: origin.to_owned(),
                    line,
                    reason: format!(
                        "{} cells where the header names {} columns",
                        record.len(),
                        columns.len()
                    ),
                });
                continue;
            }
            rows.push((line, record.iter().map(str::to_owned).collect()));
        }
        let table = DataTable { name: name.to_owned(), origin: origin.to_owned(), columns, rows };
        Ok((table, problems))
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
    /// are left out, and invalid patterns or ranges are reported.
    pub fn column_list(&self, index: usize, kind: ListKind) -> (ReferenceList, Vec<ListError>) {
        let name = format!("{}.{}", self.name, self.columns.get(index).map_or("", |c| &c.name));
        let cells =
            self.rows.iter().filter_map(|(line, cells)| Some((*line, cells.get(index)?.clone())));
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
    /// name. Returns the problems of the files, whose readable rows load all the same; a file
    /// whose header cannot be read is left out and reported.
    pub fn load_dir(&mut self, dir: &Path) -> std::io::Result<Vec<TableError>> {
        let mut paths: Vec<_> =
            fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        let mut problems = Vec::new();
        for path in paths {
            let is_csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
            let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if !is_csv || hidden || !path.is_file() {
                continue;
            }
            let Some(name) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
                continue;
            };
            let bytes = fs::read(&path)?;
            let origin = path.display().to_string();
            match DataTable::from_csv(&name, &String::from_utf8_lossy(&bytes), &origin) {
                Ok((table, table_problems)) => {
                    problems.extend(table_problems);
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
}
