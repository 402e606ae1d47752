//! The proto3 JSON reader and writer for UDM events and entities.
//!
//! The reader accepts what proto3 JSON parsers accept: field names in snake_case or
//! lowerCamelCase, 64-bit integers as JSON strings or numbers, enums by name or number,
//! Timestamps as RFC 3339 strings, bytes as base64. It also accepts a Timestamp written as
//! `{"seconds": .., "nanos": ..}`. Fields the schema does not know are kept in the tree as they
//! came, so that nothing from the source is lost.
//!
//! The writer emits snake_case names, enums by name, Timestamps as RFC 3339 in UTC and 64-bit
//! integers as JSON numbers, so reading its output gives back the same [`Event`].

mod base64;
mod read;
mod scan;
mod slice;
mod time;
mod write;

pub use read::{entity_from_json, event_from_json, message_from_json};
pub use scan::JsonScanner;
pub use slice::{event_from_slice, event_from_slice_projected, Projection};
pub use write::{event_to_json, message_to_json, value_to_json, EventJson, MessageJson, ValueJson};

pub use self::base64::{decode as base64_decode, encode as base64_encode};
pub use self::time::{format_rfc3339, parse_rfc3339};

#[cfg(test)]
mod tests;

/// Why a JSON document is not a valid UDM message.
///
/// `path` is the field path of the offending value, with list indexes
/// (`security_result[0].action[1]`); it is empty for the document itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// A known field holds a JSON value of the wrong type.
    #[error("{}: expected {expected}, found {found}", display_path(path))]
    WrongType {
        /// Field path.
        path: String,
        /// What the schema expects there (`a string`, `an array of Label`).
        expected: String,
        /// The JSON type found (`a number`).
        found: &'static str,
    },
    /// An enum field holds a number that the enum does not define.
    #[error("{}: {number} is not a value of enum {enum_name}", display_path(path))]
    UnknownEnumNumber {
        /// Field path.
        path: String,
        /// The enum type.
        enum_name: &'static str,
        /// The number found.
        number: i64,
    },
    /// An enum field holds a name that the enum does not define.
    #[error("{}: {name:?} is not a value of enum {enum_name}", display_path(path))]
    UnknownEnumName {
        /// Field path.
        path: String,
        /// The enum type.
        enum_name: &'static str,
        /// The name found.
        name: String,
    },
    /// A string or number that cannot be converted to the field's type: an invalid
    /// timestamp, base64 text or integer, or a number out of the type's range.
    #[error("{}: invalid {expected} {value:?}: {reason}", display_path(path))]
    InvalidValue {
        /// Field path.
        path: String,
        /// The field's type (`Timestamp`, `int32`, `bytes`).
        expected: &'static str,
        /// The value found, as JSON text.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl JsonError {
    /// The field path of the offending value; empty for the document itself.
    pub fn path(&self) -> &str {
        match self {
            JsonError::WrongType { path, .. }
            | JsonError::UnknownEnumNumber { path, .. }
            | JsonError::UnknownEnumName { path, .. }
            | JsonError::InvalidValue { path, .. } => path,
        }
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() {
        "document"
    } else {
        path
    }
}
