//! The error a parser returns for one record it cannot normalise.

/// Why one record could not be normalised.
///
/// The message is one sentence about the record itself; the caller adds the file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The record is not the shape the chosen format expects.
    #[error("{0}")]
    Invalid(String),
    /// A time field holds a value that no supported time format matches.
    #[error("invalid time {value:?} in field {field}: expected ISO 8601 / RFC 3339, US date, or yyyyMMddHHmmss.SSS")]
    InvalidTime {
        /// The field that held the value.
        field: String,
        /// The value as it appeared.
        value: String,
    },
    /// A time field contains a time outside the range of UDM timestamps.
    #[error("time {value:?} in field {field} is outside years 0001 to 9999")]
    TimeOutOfRange {
        /// The field that held the value.
        field: String,
        /// The value as it appeared.
        value: String,
    },
    /// A field every record of the format must carry is absent.
    #[error("missing required field {field} in the {format} record")]
    MissingField {
        /// The absent field.
        field: String,
        /// The format the record was read as.
        format: &'static str,
    },
    /// Automatic detection found no known source shape.
    #[error("unrecognised record shape (keys: {keys}); pass --format to choose a parser")]
    Unrecognised {
        /// The record's first few top-level keys, comma-separated.
        keys: String,
    },
    /// One element of a JSON document (an array item, an export's record) was rejected.
    #[error("{path}: {error}")]
    Element {
        /// Where the element sits in the document, such as `records[5]`.
        path: String,
        /// Why the element was rejected.
        error: Box<SourceError>,
    },
    /// An identities CSV file is malformed.
    #[error("invalid identities file {origin}: {reason}")]
    Identities {
        /// Where the file came from, as the caller named it.
        origin: String,
        /// What is wrong.
        reason: String,
    },
}

impl SourceError {
    /// Builds an [`SourceError::Invalid`] from a message.
    pub fn invalid(message: impl Into<String>) -> SourceError {
        SourceError::Invalid(message.into())
    }
}
