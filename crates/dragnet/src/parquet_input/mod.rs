//! Parquet input for `dragnet hunt`: which inputs are Parquet, how their rows become UDM
//! records, and which files and row groups can be skipped without reading them.
//!
//! Two layouts are read, both as native UDM:
//! - UDM fields as columns, named by their UDM path. A column may be flat and named with the
//!   whole dotted path (`metadata.event_type`, `principal.ip`), or nested in struct columns as
//!   DuckDB and Spark write them (`metadata` with a child `event_type`). Repeated UDM fields are
//!   Parquet lists. Timestamps are Parquet TIMESTAMP (any unit, read as UTC), INT64
//!   microseconds, or RFC 3339 strings.
//! - One string column of UDM JSON per row, named `udm` or `json` unless
//!   `--parquet-json-column` names another.
//!
//! Reading needs the `parquet` cargo feature; without it, a Parquet input is reported as not
//! read, with the command that builds the support. Deciding which files are Parquet and
//! pruning hive partitions needs no feature.

#[cfg(feature = "parquet")]
mod columnar;
pub mod partition;
#[cfg(feature = "parquet")]
mod read;

use std::io::Read;
use std::path::Path;

use crate::input::{Input, InputSource};
use crate::stream::Batch;

/// The magic number at the start and the end of every Parquet file.
pub const MAGIC: &[u8; 4] = b"PAR1";

#[cfg_attr(not(feature = "parquet"), allow(dead_code))]
/// The JSON column names tried, in order, when `--parquet-json-column` is not given.
pub const DEFAULT_JSON_COLUMNS: &[&str] = &["udm", "json"];

/// How Parquet inputs are read and pruned.
#[cfg_attr(not(feature = "parquet"), allow(dead_code))]
#[derive(Debug, Clone, Default)]
pub struct ParquetOptions {
    /// Read every input as Parquet, whatever its name and first bytes (`--format parquet`).
    pub force: bool,
    /// The column of UDM JSON text; `None` tries [`DEFAULT_JSON_COLUMNS`].
    pub json_column: Option<String>,
    /// Skip row groups and read only the columns the rules need; off with `--no-prune`.
    pub prune: bool,
    /// Events outside `[from, to)` are not needed, so row groups wholly outside are skipped.
    pub from: Option<udm::Timestamp>,
    /// The end of the range needed, exclusive.
    pub to: Option<udm::Timestamp>,
    /// Per event variable of every rule, the tests that decide from a column's value range
    /// that a row group gives the variable no row; see [`engine::Prefilter::column_tests`].
    pub column_tests: Option<Vec<Vec<engine::ColumnTest>>>,
    /// The UDM field paths the rules read, which are the columns worth reading.
    pub field_paths: Vec<Vec<String>>,
}

/// Row-group counts of one Parquet input, for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowGroupCounts {
    /// Row groups read.
    pub read: u64,
    /// Row groups skipped because their statistics show that no rule can use their rows.
    pub skipped: u64,
    /// Row groups that could not be decoded, reported and skipped.
    pub failed: u64,
}

/// What reading a Parquet input sends, in order.
#[cfg_attr(not(feature = "parquet"), allow(dead_code))]
pub enum Step {
    /// Rows converted to records.
    Batch(Batch),
    /// A row group could not be decoded; the message names the file, the row group and the
    /// cause. The next row group is read.
    RowGroupFailed(String),
}

/// Whether the input is a Parquet file: by `--format parquet`, a `.parquet` extension, or the
/// `PAR1` magic number at its start.
pub fn is_parquet(input: &Input, options: &ParquetOptions) -> bool {
    if options.force {
        return true;
    }
    match &input.source {
        InputSource::File(path) => has_parquet_extension(path) || starts_with_magic(path),
        InputSource::Bundled(bytes) => bytes.starts_with(MAGIC),
        // Reading the magic number would take the first bytes of a stream.
        InputSource::Stream(_) | InputSource::Stdin => false,
    }
}

/// Whether the file name ends in `.parquet` (or `.parq`, `.pq`), in any case.
pub fn has_parquet_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["parquet", "parq", "pq"].iter().any(|p| p.eq_ignore_ascii_case(e)))
}

fn starts_with_magic(path: &Path) -> bool {
    let mut head = [0u8; 4];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && &head == MAGIC
}

/// Reads one Parquet input, sending its rows in batches to `send` until it returns false.
/// Returns the row-group counts, or why the file could not be read at all.
pub fn read_input(
    input: &Input,
    options: &ParquetOptions,
    read_bytes: &std::sync::atomic::AtomicU64,
    send: &mut dyn FnMut(Step) -> bool,
) -> Result<RowGroupCounts, String> {
    #[cfg(feature = "parquet")]
    {
        read::read_input(input, options, read_bytes, send)
    }
    #[cfg(not(feature = "parquet"))]
    {
        let _ = (options, read_bytes, send);
        Err(format!(
            "{} is a Parquet file, and this dragnet was built without Parquet support; \
             rebuild it with `cargo install --path crates/dragnet --features parquet`",
            input.name
        ))
    }
}
