//! The UDM (Unified Data Model) event model that every Dragnet stage shares.
//!
//! - [`value`]: the dynamic tree of [`Value`]s and [`Message`]s that holds an event.
//! - [`event`]: [`Event`], the root of one normalised record.
#![warn(missing_docs)]

pub mod event;
pub mod value;

pub use event::Event;
pub use value::{EnumValue, Message, Timestamp, Value};
