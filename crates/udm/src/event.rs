//! A UDM event: the root message plus the accessors every stage needs.

use crate::value::{Message, Timestamp, Value};

/// One normalised UDM event.
///
/// `root` holds the UDM `Event` message (`metadata`, `principal`, `target`, ...) with proto
/// field names. Fields the schema does not know are kept as they came, so that nothing from the
/// source is lost, but rules cannot reach them except through `additional.fields`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    /// The UDM `Event` message.
    pub root: Message,
}

impl Event {
    /// Creates an empty event.
    pub fn new() -> Event {
        Event::default()
    }

    /// Wraps a root message.
    pub fn from_message(root: Message) -> Event {
        Event { root }
    }

    /// The event time, `metadata.event_timestamp`, or the epoch when it is missing.
    pub fn event_time(&self) -> Timestamp {
        match self.root.get_path("metadata.event_timestamp") {
            Some(Value::Timestamp(t)) => *t,
            _ => Timestamp::default(),
        }
    }

    /// The source record's own id, `metadata.product_log_id`, or `""`.
    pub fn product_log_id(&self) -> &str {
        self.root.get_path("metadata.product_log_id").and_then(Value::as_str).unwrap_or("")
    }

    /// Sets the field at a dotted path; see [`Message::set_path`].
    pub fn set(&mut self, path: &str, value: impl Into<Value>) {
        self.root.set_path(path, value.into());
    }

    /// Appends to the repeated field at a dotted path; see [`Message::push_path`].
    pub fn push(&mut self, path: &str, value: impl Into<Value>) {
        self.root.push_path(path, value.into());
    }

    /// Returns the value at a dotted path; see [`Message::get_path`].
    pub fn get(&self, path: &str) -> Option<&Value> {
        self.root.get_path(path)
    }
}
