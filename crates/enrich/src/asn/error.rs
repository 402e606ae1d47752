//! Problems found while loading an IP-to-ASN database.

use std::path::PathBuf;

/// One problem with an ASN database file or line.
#[derive(Debug, thiserror::Error)]
pub enum AsnError {
    /// The file could not be read. The message leaves the reason to `source`, so that a
    /// caller printing the error chain shows it once.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// A TSV line could not be read. The line was skipped.
    #[error("{origin}:{line}: invalid ASN range line: {reason}")]
    InvalidLine {
        /// The file or other origin of the text.
        origin: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the line.
        reason: String,
    },

    /// A TSV range overlaps an earlier one. The range was skipped, because a lookup needs
    /// disjoint ranges.
    #[error("{origin}:{line}: ASN range overlaps the range on line {earlier_line}; skipped it")]
    OverlappingRange {
        /// The file or other origin of the text.
        origin: String,
        /// 1-based line number of the skipped range.
        line: usize,
        /// 1-based line number of the range that was kept.
        earlier_line: usize,
    },

    /// More lines were invalid than are reported one by one.
    #[error("{origin}: {count} more invalid or overlapping lines not listed")]
    MoreProblems {
        /// The file or other origin of the text.
        origin: String,
        /// Number of problems not listed.
        count: usize,
    },

    /// A MaxMind DB file could not be opened or is corrupt.
    #[error("invalid MaxMind database {origin}: {reason}")]
    InvalidMmdb {
        /// The file or other origin of the data.
        origin: String,
        /// The reader's message.
        reason: String,
    },

    /// A file held no usable data: neither a MaxMind database nor any valid TSV line.
    #[error(
        "{origin} is neither a MaxMind .mmdb database nor an iptoasn TSV \
         (range_start, range_end, AS_number, country_code, AS_description per line)"
    )]
    UnknownFormat {
        /// The file or other origin of the data.
        origin: String,
    },
}
