//! A UDM event: the root message plus the accessors every stage needs.

use std::fmt;
use std::sync::Arc;

use crate::schema::{self, FieldKind};
use crate::value::{EnumValue, Message, Timestamp, Value};

/// One normalised UDM event.
///
/// `root` holds the UDM `Event` message (`metadata`, `principal`, `target`, ...) with proto
/// field names. Fields the schema does not know are kept as they came, so that nothing from the
/// source is lost, but rules cannot reach them except through `additional.fields`.
///
/// An event may be *partial*: its root then contains only the fields its reader was asked
/// for, and the event keeps the text of its record and a [`ReadWhole`] that reads all of it
/// again. [`Event::whole`] returns the whole event.
#[derive(Clone, Default)]
pub struct Event {
    /// The UDM `Event` message.
    pub root: Message,
    /// For a partial event, the record's text and the reader of the whole event.
    source: Option<Source>,
}

/// The record a partial event was read from, and the reader of the whole event.
type Source = (Arc<[u8]>, Arc<dyn ReadWhole>);

/// Reads the whole event from the text of a record that was first read in part.
pub trait ReadWhole: Send + Sync {
    /// Returns the whole event, or `None` when the text cannot be read.
    fn read_whole(&self, text: &[u8]) -> Option<Event>;
}

impl Event {
    /// Creates an empty event.
    pub fn new() -> Event {
        Event::default()
    }

    /// Wraps a root message.
    pub fn from_message(root: Message) -> Event {
        Event { root, source: None }
    }

    /// Marks the event as partial: `root` contains only some of the fields of the record
    /// `text`, and `reader` reads the whole event from that text.
    pub fn into_partial(self, text: Arc<[u8]>, reader: Arc<dyn ReadWhole>) -> Event {
        Event { root: self.root, source: Some((text, reader)) }
    }

    /// Returns, for a partial event, the same event with no fields: it reads whole like this
    /// one, and costs only its record's text to keep. Returns `None` for a whole event.
    pub fn stripped(&self) -> Option<Event> {
        Some(Event { root: Message::new(), source: self.source.clone() })
            .filter(|event| event.source.is_some())
    }

    /// Returns whether the event contains only some fields of its record.
    pub fn is_partial(&self) -> bool {
        self.source.is_some()
    }

    /// Reads a partial event whole again. Returns `None` for an event that is whole, or when
    /// its record cannot be read.
    pub fn read_whole(&self) -> Option<Event> {
        let (text, reader) = self.source.as_ref()?;
        reader.read_whole(text).map(|event| Event { source: None, ..event })
    }

    /// Returns the whole event: the event itself, or for a partial event the one read again
    /// from its record. A partial event whose record cannot be read again is returned as it is.
    pub fn whole(self: &Arc<Event>) -> Arc<Event> {
        match self.read_whole() {
            Some(whole) => Arc::new(whole),
            None => Arc::clone(self),
        }
    }

    /// The event time, `metadata.event_timestamp`, or the epoch when it is missing.
    pub fn event_time(&self) -> Timestamp {
        match self.metadata("event_timestamp") {
            Some(Value::Timestamp(t)) => *t,
            _ => Timestamp::default(),
        }
    }

    /// Returns a field of `metadata`, which every stage reads for each event, without
    /// splitting a path.
    fn metadata(&self, name: &str) -> Option<&Value> {
        match self.root.get("metadata")? {
            Value::Message(metadata) => metadata.get(name),
            Value::List(items) => items.first()?.as_message()?.get(name),
            _ => None,
        }
    }

    /// The source record's own id, `metadata.product_log_id`, or `""`.
    pub fn product_log_id(&self) -> &str {
        self.metadata("product_log_id").and_then(Value::as_str).unwrap_or("")
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

    /// Sets the enum field at a dotted path to the named value, looking the field's enum type
    /// up in the UDM schema: `set_enum("metadata.event_type", "USER_LOGIN")`.
    ///
    /// On a repeated enum field the value replaces the list with a one-element list. Returns
    /// false, and stores nothing, when the path is not an enum field of the UDM `Event` or the
    /// enum has no value of that name.
    pub fn set_enum(&mut self, path: &str, value_name: &str) -> bool {
        let Some((value, repeated)) = lookup_enum(path, value_name) else { return false };
        if repeated {
            self.root.set_path(path, Value::List(vec![Value::Enum(value)]));
        } else {
            self.root.set_path(path, Value::Enum(value));
        }
        true
    }

    /// Appends the named value to the repeated enum field at a dotted path:
    /// `push_enum("security_result.action", "BLOCK")`.
    ///
    /// Returns false, and stores nothing, when the path is not an enum field of the UDM
    /// `Event` or the enum has no value of that name. On a field that is not repeated the
    /// value is pushed all the same, as [`Message::push_path`] does.
    pub fn push_enum(&mut self, path: &str, value_name: &str) -> bool {
        let Some((value, _)) = lookup_enum(path, value_name) else { return false };
        self.root.push_path(path, Value::Enum(value));
        true
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Event");
        out.field("root", &self.root);
        if let Some((text, _)) = &self.source {
            out.field("partial_of", &String::from_utf8_lossy(text));
        }
        out.finish()
    }
}

/// Two events are equal when their roots are, and they are both whole or partial events of
/// the same record text.
impl PartialEq for Event {
    fn eq(&self, other: &Event) -> bool {
        let text = |event: &Event| event.source.as_ref().map(|(text, _)| Arc::clone(text));
        self.root == other.root && text(self) == text(other)
    }
}

/// Finds the enum value for a field path of the UDM `Event`, and whether the field is
/// repeated.
fn lookup_enum(path: &str, value_name: &str) -> Option<(EnumValue, bool)> {
    let segments: Vec<&str> = path.split('.').collect();
    let resolved = schema::resolve(schema::event(), &segments).ok()?;
    let FieldKind::Enum(enum_type) = resolved.kind else { return None };
    Some((enum_type.by_name(value_name)?, resolved.field.repeated))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the whole event as an event with the record text in `metadata.description`.
    struct TextReader;

    impl ReadWhole for TextReader {
        fn read_whole(&self, text: &[u8]) -> Option<Event> {
            let mut event = Event::new();
            event.set("metadata.description", std::str::from_utf8(text).ok()?);
            Some(event)
        }
    }

    #[test]
    fn partial_event_reads_whole() {
        let mut part = Event::new();
        part.set("metadata.product_log_id", "id-1");
        let partial =
            Arc::new(part.clone().into_partial(Arc::from(&b"whole"[..]), Arc::new(TextReader)));
        assert!(partial.is_partial());
        assert_ne!(*partial, part);
        let whole = partial.whole();
        assert!(!whole.is_partial());
        assert_eq!(whole.get("metadata.description").and_then(Value::as_str), Some("whole"));
        assert_eq!(whole.get("metadata.product_log_id"), None);
        let written = crate::json::event_to_json(&partial);
        assert_eq!(written["metadata"]["description"], "whole");
    }

    #[test]
    fn unreadable_partial_event_stays_partial() {
        let partial =
            Arc::new(Event::new().into_partial(Arc::from(&[0xff][..]), Arc::new(TextReader)));
        assert!(partial.read_whole().is_none());
        assert!(Arc::ptr_eq(&partial.whole(), &partial));
    }

    #[test]
    fn set_enum_stores_schema_value() {
        let mut event = Event::new();
        assert!(event.set_enum("metadata.event_type", "USER_LOGIN"));
        let stored = event.get("metadata.event_type");
        assert_eq!(stored, Some(&Value::Enum(EnumValue { name: "USER_LOGIN", number: 15001 })));
    }

    #[test]
    fn set_enum_rejects_unknown_name() {
        let mut event = Event::new();
        assert!(!event.set_enum("metadata.event_type", "LOGIN"));
        assert!(event.root.is_empty());
    }

    #[test]
    fn set_enum_rejects_non_enum_field() {
        let mut event = Event::new();
        assert!(!event.set_enum("principal.hostname", "USER_LOGIN"));
        assert!(!event.set_enum("principal.nope", "WINDOWS"));
        assert!(event.root.is_empty());
    }

    #[test]
    fn push_enum_appends() {
        let mut event = Event::new();
        assert!(event.push_enum("security_result.action", "ALLOW"));
        assert!(event.push_enum("security_result.action", "BLOCK"));
        let actions = event.get("security_result.action").and_then(Value::as_list);
        assert_eq!(actions.map(<[Value]>::len), Some(2));
    }

    #[test]
    fn set_enum_on_repeated_field_makes_list() {
        let mut event = Event::new();
        assert!(event.set_enum("extensions.auth.mechanism", "OTP"));
        let mechanisms = event.get("extensions.auth.mechanism").and_then(Value::as_list);
        assert_eq!(mechanisms.map(<[Value]>::len), Some(1));
    }
}
