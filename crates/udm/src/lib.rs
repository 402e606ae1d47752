//! The UDM (Unified Data Model) event model that every Dragnet stage shares.
//!
//! - [`value`]: the dynamic tree of [`Value`]s and [`Message`]s that holds an event.
//! - [`event`]: [`Event`], the root of one normalised record.
//! - [`schema`]: the UDM messages, fields and enums, and field path resolution.
//! - [`json`]: the proto3 JSON reader and writer for events and entities.
#![warn(missing_docs)]

pub mod event;
pub mod json;
pub mod schema;
mod text;
pub mod value;

pub use event::{Event, ReadWhole};
pub use text::Str;
pub use value::{EnumValue, Message, Timestamp, Value};
