//! The proto3 JSON writer: [`Event`] and [`Value`] to `serde_json::Value`.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Number, Value as Json};

use super::{base64, time};
use crate::value::{Message, Value};
use crate::Event;

/// Writes an event as proto3 JSON with snake_case field names. A partial event is read whole
/// first; see [`Event::whole`].
pub fn event_to_json(event: &Event) -> Json {
    match event.read_whole() {
        Some(whole) => message_to_json(&whole.root),
        None => message_to_json(&event.root),
    }
}

/// Writes a message as a JSON object, fields in their stored order.
pub fn message_to_json(message: &Message) -> Json {
    let mut object = Map::with_capacity(message.len());
    for (name, value) in message.iter() {
        object.insert(name.to_owned(), value_to_json(value));
    }
    Json::Object(object)
}

/// Writes one value: enums by name, Timestamps as RFC 3339 UTC strings (or
/// `{"seconds", "nanos"}` outside years 0001 to 9999), bytes as base64, integers as JSON
/// numbers, and non-finite floats as `"NaN"`, `"Infinity"` or `"-Infinity"`.
pub fn value_to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Number(Number::from(*i)),
        Value::Uint(u) => Json::Number(Number::from(*u)),
        Value::Float(f) => match Number::from_f64(*f) {
            Some(n) => Json::Number(n),
            None if f.is_nan() => Json::String("NaN".into()),
            None if *f > 0.0 => Json::String("Infinity".into()),
            None => Json::String("-Infinity".into()),
        },
        Value::String(s) => Json::String(s.as_str().to_owned()),
        Value::Bytes(b) => Json::String(base64::encode(b)),
        Value::Enum(e) => Json::String(e.name.to_owned()),
        Value::Timestamp(t) => match time::format_rfc3339(*t) {
            Some(text) => Json::String(text),
            None => {
                let mut object = Map::new();
                object.insert("seconds".into(), Json::Number(Number::from(t.seconds)));
                object.insert("nanos".into(), Json::Number(Number::from(t.nanos)));
                Json::Object(object)
            }
        },
        Value::List(items) => Json::Array(items.iter().map(value_to_json).collect()),
        Value::Message(m) => message_to_json(m),
    }
}

/// Writes an event as [`event_to_json`] does, straight to a serializer without building a
/// `serde_json::Value` first.
pub struct EventJson<'a>(pub &'a Event);

impl Serialize for EventJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.read_whole() {
            Some(whole) => MessageJson(&whole.root).serialize(serializer),
            None => MessageJson(&self.0.root).serialize(serializer),
        }
    }
}

/// Writes a message as [`message_to_json`] does, straight to a serializer.
pub struct MessageJson<'a>(pub &'a Message);

impl Serialize for MessageJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0.iter() {
            map.serialize_entry(name, &ValueJson(value))?;
        }
        map.end()
    }
}

/// Writes a value as [`value_to_json`] does, straight to a serializer.
pub struct ValueJson<'a>(pub &'a Value);

impl Serialize for ValueJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            Value::Uint(u) => serializer.serialize_u64(*u),
            Value::Float(f) if f.is_finite() => serializer.serialize_f64(*f),
            Value::Float(f) if f.is_nan() => serializer.serialize_str("NaN"),
            Value::Float(f) if *f > 0.0 => serializer.serialize_str("Infinity"),
            Value::Float(_) => serializer.serialize_str("-Infinity"),
            Value::String(s) => serializer.serialize_str(s),
            Value::Bytes(b) => serializer.serialize_str(&base64::encode(b)),
            Value::Enum(e) => serializer.serialize_str(e.name),
            Value::Timestamp(t) => match time::format_rfc3339(*t) {
                Some(text) => serializer.serialize_str(&text),
                None => {
                    let mut map = serializer.serialize_map(Some(2))?;
                    map.serialize_entry("seconds", &t.seconds)?;
                    map.serialize_entry("nanos", &t.nanos)?;
                    map.end()
                }
            },
            Value::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&ValueJson(item))?;
                }
                seq.end()
            }
            Value::Message(m) => MessageJson(m).serialize(serializer),
        }
    }
}
