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
    #[error(
        "unrecognised record shape (keys: {keys}): not native UDM, Salesforce, Okta, Microsoft \
         365, Entra ID sign-in or Graph activity as automatic detection knows them; if it is one \
         of those, name its source with --format"
    )]
    Unrecognised {
        /// The record's first few top-level keys, comma-separated.
        keys: String,
    },
    /// An Azure Monitor or Log Analytics record of a category that no parser reads.
    #[error(
        "Azure Monitor category `{category}` is not supported; Dragnet reads the Entra ID \
         sign-in categories (`SignInLogs`, `NonInteractiveUserSignInLogs` and the other \
         `...SignInLogs`) and `MicrosoftGraphActivityLogs`"
    )]
    UnsupportedCategory {
        /// The record's `category` (or Log Analytics `Type`).
        category: String,
    },
    /// A record whose Azure Monitor category belongs to another parser than the one chosen.
    #[error(
        "Azure Monitor category `{category}` is not {expected}, which --format {format} reads"
    )]
    WrongCategory {
        /// The record's `category` (or Log Analytics `Type`).
        category: String,
        /// The chosen format's name.
        format: &'static str,
        /// The records that format reads.
        expected: &'static str,
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
