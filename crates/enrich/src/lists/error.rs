//! Problems found while loading reference lists.
//!
//! Loading reports every problem it finds and keeps going, so one bad entry does not hide the
//! rest of a list. Each problem names the file (or other origin) and, where it applies, the
//! 1-based line.

use std::path::PathBuf;

/// One problem with a reference list file or entry.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The folder or a file in it could not be read.
    #[error("failed to read {}: {source}", path.display())]
    Io {
        /// The folder or file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// Two files define the same list name, ignoring case and extension. The first one in
    /// sorted path order is loaded.
    #[error(
        "duplicate reference list name {name:?}: {} and {} (names are case-insensitive); \
         loaded the first and skipped the second",
        first.display(),
        second.display()
    )]
    DuplicateName {
        /// The list name as the skipped file spells it.
        name: String,
        /// The file that was loaded.
        first: PathBuf,
        /// The file that was skipped.
        second: PathBuf,
    },

    /// A file in the folder has no list extension and was skipped.
    #[error(
        "skipped {}: a reference list file needs the extension .txt (STRING), .regex (REGEX) \
         or .cidr (CIDR)",
        path.display()
    )]
    UnknownExtension {
        /// The skipped file.
        path: PathBuf,
    },

    /// A line is not valid UTF-8. Invalid bytes were replaced by U+FFFD.
    #[error("{origin}:{line}: invalid UTF-8; invalid bytes were replaced by U+FFFD")]
    InvalidUtf8 {
        /// The file or other origin of the text.
        origin: String,
        /// 1-based line number.
        line: usize,
    },

    /// A REGEX entry is not a valid RE2 pattern. The entry was skipped.
    #[error("{origin}:{line}: invalid regular expression {entry:?}: {reason}")]
    InvalidRegex {
        /// The file or other origin of the text.
        origin: String,
        /// 1-based line number.
        line: usize,
        /// The entry after comment removal, unescaping and trimming.
        entry: String,
        /// The regex compiler's message.
        reason: String,
    },

    /// A CIDR entry is neither a CIDR range nor an IP address. The entry was skipped.
    #[error("{origin}:{line}: invalid CIDR range {entry:?}: {reason}")]
    InvalidCidr {
        /// The file or other origin of the text.
        origin: String,
        /// 1-based line number.
        line: usize,
        /// The entry after comment removal, unescaping and trimming.
        entry: String,
        /// Why it did not parse.
        reason: String,
    },

    /// A list is larger than a Google SecOps limit for its type. This is a warning: the whole
    /// list is loaded anyway.
    #[error("{origin}{}: {what} is {actual}, above the limit of {limit} for this list type", line_suffix(*line))]
    LimitExceeded {
        /// The file or other origin of the text.
        origin: String,
        /// 1-based line number, for per-line limits.
        line: Option<usize>,
        /// What was measured, for example "line length in characters".
        what: &'static str,
        /// The measured value.
        actual: usize,
        /// The configured limit.
        limit: usize,
    },
}

impl ListError {
    /// Whether this is a warning (the data loaded in full) rather than an error (something was
    /// skipped or could not be read).
    pub fn is_warning(&self) -> bool {
        matches!(self, ListError::LimitExceeded { .. } | ListError::UnknownExtension { .. })
    }
}

fn line_suffix(line: Option<usize>) -> String {
    match line {
        Some(line) => format!(":{line}"),
        None => String::new(),
    }
}
