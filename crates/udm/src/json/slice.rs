//! Reading a UDM event straight from JSON text, without building a `serde_json::Value` tree
//! first.
//!
//! [`event_from_slice`] walks the text once, following the schema: first with the byte scanner
//! of `scan.rs`, and through `serde_json` when the scanner gives up. Strings, enum names and
//! RFC 3339 timestamps, the bulk of a UDM event, become values without an intermediate copy,
//! and nested messages are read as they stream past, as are repeated strings, `Struct`s and
//! fields the schema does not know. Everything else (numbers, bytes, other repeated scalars)
//! is first read into a small `serde_json::Value` and converted by the tree reader's own
//! functions, so both readers accept and convert values the same way.
//!
//! The fast reader gives up, returning `None`, on anything it does not read exactly as
//! [`super::event_from_json`] would: invalid JSON or values, and an object that repeats a key
//! (the tree reader keeps the last value, at the first key's position). The caller then reads
//! the text through the tree reader, which also produces the error message.

use std::borrow::Cow;
use std::fmt;

use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::{Number, Value as Json};

use super::read::{read_field, read_single, Path};
use super::scan;
use super::time;
use crate::schema::{self, FieldDef, FieldKind, MessageType};
use crate::value::{Message, Value};
use crate::Event;
use crate::Str;

/// Reads a UDM `Event` from its proto3 JSON text, or returns `None` when only the tree reader
/// can tell what the text holds. `Some(event)` is always the event that
/// `event_from_json(&serde_json::from_slice(text)?)` returns.
pub fn event_from_slice(text: &[u8]) -> Option<Event> {
    read_event(text, &ALL)
}

/// Reads the fields of a UDM `Event` that `projection` names from its proto3 JSON text, or
/// returns `None` when [`event_from_slice`] would. The other fields are checked as that reader
/// checks them, but not kept, so `Some(event)` is always the event that [`event_from_slice`]
/// returns without the fields outside the projection.
pub fn event_from_slice_projected(text: &[u8], projection: &Projection) -> Option<Event> {
    read_event(text, &projection.root)
}

fn read_event(text: &[u8], shape: &Node) -> Option<Event> {
    // One check of the whole line costs much less than a check of each string. The tree
    // reader reports text that is not UTF-8.
    let text = scan::utf8_text(text)?;
    if let Some(root) = scan::read_message(text, schema::event(), shape) {
        return Some(Event::from_message(root));
    }
    read_event_by_serde(text, shape)
}

/// Reads an event through `serde_json`, for the lines that the byte scanner gives up on.
pub(super) fn read_event_by_serde(text: &str, shape: &Node) -> Option<Event> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let mut fields = Vec::new();
    let root = MessageSeed { message: schema::event(), fields: &mut fields, shape }
        .deserialize(&mut deserializer)
        .ok()?;
    deserializer.end().ok()?;
    Some(Event::from_message(root))
}

/// The fields of UDM events that a reader keeps: a tree of field paths from the event root.
/// A path keeps everything under its last field. `metadata.event_timestamp`,
/// `metadata.event_type` and the top-level fields the schema does not know are always kept,
/// since they decide whether and how a record is read as an event.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    root: Node,
}

impl Projection {
    /// Builds the projection that keeps the given field paths, each a list of field names
    /// from the event root (`["principal", "user", "userid"]`). A path that leaves the schema
    /// keeps the whole message where it leaves it, as do paths into a `Struct` or a scalar.
    pub fn new<P: AsRef<[String]>>(paths: impl IntoIterator<Item = P>) -> Projection {
        let mut root = Node { unknown: true, ..Node::default() };
        let always = [["metadata", "event_timestamp"], ["metadata", "event_type"]]
            .map(|path| path.map(str::to_owned).to_vec());
        for path in paths.into_iter().map(|p| p.as_ref().to_vec()).chain(always) {
            let mut node = &mut root;
            let mut message = schema::event();
            let names = &path;
            for (index, name) in names.iter().enumerate() {
                let Some(field) = message.field(name) else {
                    node.all = true;
                    break;
                };
                let at = match node.children.iter().position(|(n, _)| *n == field.name) {
                    Some(at) => at,
                    None => {
                        node.children.push((field.name, Node::default()));
                        node.children.len() - 1
                    }
                };
                node = &mut node.children[at].1;
                match field.kind() {
                    FieldKind::Message(inner) if index + 1 < names.len() => message = inner,
                    _ => {
                        node.all = true;
                        break;
                    }
                }
            }
        }
        Projection { root }
    }

    #[cfg(test)]
    pub(super) fn root(&self) -> &Node {
        &self.root
    }

    /// Returns whether the projection keeps the field at `path` (field names from the event
    /// root), or part of it.
    pub fn keeps(&self, path: &[&str]) -> bool {
        let mut node = &self.root;
        for name in path {
            if node.all {
                return true;
            }
            match node.children.iter().find(|(n, _)| n == name) {
                Some((_, child)) => node = child,
                None => return false,
            }
        }
        true
    }
}

/// One message of a [`Projection`]: everything, or the fields named, each with its own node,
/// and, when `unknown` is set, the fields the schema does not know.
#[derive(Debug, Clone, Default)]
pub(super) struct Node {
    pub(super) all: bool,
    pub(super) unknown: bool,
    children: Vec<(&'static str, Node)>,
}

/// The node that keeps everything.
pub(super) static ALL: Node = Node { all: true, unknown: true, children: Vec::new() };

/// The node that keeps nothing, for a message that is only checked.
pub(super) static NOTHING: Node = Node { all: false, unknown: false, children: Vec::new() };

impl Node {
    /// Returns the node of a field, or `None` when the field is not kept.
    #[cfg(test)]
    pub(super) fn child(&self, name: &str) -> Option<&Node> {
        if self.all {
            return Some(&ALL);
        }
        self.children.iter().find(|(n, _)| *n == name).map(|(_, node)| node)
    }

    /// Returns the node of a field of this node's message, or `None` when the field is not
    /// kept. A node's children are named by their fields' own schema names, so comparing the
    /// names' addresses suffices, which costs less than comparing their text.
    pub(super) fn child_field(&self, field: &'static FieldDef) -> Option<&Node> {
        if self.all {
            return Some(&ALL);
        }
        self.children.iter().find(|(n, _)| std::ptr::eq(*n, field.name)).map(|(_, node)| node)
    }
}

/// Returns whether two keys read in one message name the same field. A key of a schema field
/// is borrowed from the field's schema name, so two such keys name the same field exactly when
/// they are the same string in memory. A key that is no schema field is owned, and never
/// equals a schema field's key.
// Whether a key is borrowed or owned matters here, not only its text.
#[allow(clippy::ptr_arg)]
pub(super) fn same_key(a: &Cow<'_, str>, b: &Cow<'_, str>) -> bool {
    match (a, b) {
        (Cow::Borrowed(a), Cow::Borrowed(b)) => std::ptr::eq(*a, *b),
        (Cow::Owned(a), Cow::Owned(b)) => a == b,
        _ => false,
    }
}

/// Implements the visitor methods of the given JSON types as giving up, for a visitor that
/// reads none of them. An array or object is read to its end first.
macro_rules! give_up_on {
    ($($kind:ident),*) => { $(give_up_on!(@ $kind);)* };
    (@ unit) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Err(give_up())
        }
    };
    (@ bool) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err(give_up())
        }
    };
    (@ i64) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err(give_up())
        }
    };
    (@ u64) => {
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err(give_up())
        }
    };
    (@ f64) => {
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err(give_up())
        }
    };
    (@ str) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err(give_up())
        }
    };
    (@ seq) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Err(give_up())
        }
    };
    (@ map) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Err(give_up())
        }
    };
}

/// Returns the error that makes the fast reader give up. It is never shown, because the tree
/// reader then runs.
fn give_up<E: de::Error>() -> E {
    E::custom("not read by the fast reader")
}

/// The fields of the messages being read, innermost last. Each message collects its fields
/// here and moves them into a vector of the right size when it ends, so that no message's
/// vector grows field by field. A field read but not kept has no value.
pub(super) type Fields = Vec<(Cow<'static, str>, Option<Value>)>;

/// Reads one message of the given type from a JSON object, keeping the fields `shape` names.
struct MessageSeed<'f, 'p> {
    message: &'static MessageType,
    fields: &'f mut Fields,
    shape: &'p Node,
}

impl<'de> DeserializeSeed<'de> for MessageSeed<'_, '_> {
    type Value = Message;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Message, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MessageSeed<'_, '_> {
    type Value = Message;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} object", self.message.name)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Message, A::Error> {
        let MessageSeed { message, fields, shape } = self;
        let start = fields.len();
        let result = read_fields(message, shape, &mut map, fields, start);
        if let Err(error) = result {
            fields.truncate(start);
            return Err(error);
        }
        // proto3 JSON reads `null` as "not set", so a known field's null has no value either.
        // Such fields were listed until now so that a later repeat of their key was still seen
        // as a repeat.
        let kept = fields[start..].iter().filter(|(_, value)| value.is_some()).count();
        let mut own = Vec::with_capacity(kept);
        own.extend(fields.drain(start..).filter_map(|(name, value)| Some((name, value?))));
        Ok(Message::from_fields(own))
    }
}

/// Reads an object's entries onto `fields`, which contains this message's fields from `start`.
fn read_fields<'de, A: MapAccess<'de>>(
    message: &'static MessageType,
    shape: &Node,
    map: &mut A,
    fields: &mut Fields,
    start: usize,
) -> Result<(), A::Error> {
    while let Some(key) = map.next_key_seed(KeySeed(message))? {
        let (name, value) = match key {
            Key::Known(field) => {
                let kept = shape.child_field(field);
                let seed = FieldSeed {
                    field,
                    fields: &mut *fields,
                    shape: kept.unwrap_or(&NOTHING),
                    keep: kept.is_some(),
                };
                let value = map.next_value_seed(seed)?;
                (Cow::Borrowed(field.name), value.filter(|_| kept.is_some()))
            }
            Key::Unknown(name) if shape.all || shape.unknown => {
                (Cow::Owned(name), Some(map.next_value_seed(Untyped)?))
            }
            Key::Unknown(name) => {
                map.next_value_seed(Checked)?;
                (Cow::Owned(name), None)
            }
        };
        if fields[start..].iter().any(|(other, _)| same_key(other, &name)) {
            return Err(give_up());
        }
        fields.push((name, value));
    }
    Ok(())
}

/// An object key: a field of the message, or a name the schema does not know.
enum Key {
    Known(&'static FieldDef),
    Unknown(String),
}

struct KeySeed(&'static MessageType);

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(match self.0.field(key) {
            Some(field) => Key::Known(field),
            None => Key::Unknown(key.to_owned()),
        })
    }
}

/// Reads the value of a known field; `None` for JSON `null`. A field that is not kept is
/// checked but its value need not be complete.
struct FieldSeed<'f, 'p> {
    field: &'static FieldDef,
    fields: &'f mut Fields,
    shape: &'p Node,
    keep: bool,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, '_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        let FieldSeed { field, fields, shape, keep } = self;
        if field.repeated {
            if let FieldKind::Message(message) = field.kind() {
                return deserializer.deserialize_any(RepeatedMessages { message, fields, shape });
            }
            if matches!(field.kind(), FieldKind::String) {
                return deserializer.deserialize_any(RepeatedStrings { keep });
            }
            let json = Json::deserialize(deserializer)?;
            if json.is_null() {
                return Ok(None);
            }
            return read_field(field, &json, &Path::Root).map(Some).map_err(|_| give_up());
        }
        deserializer.deserialize_any(SingleVisitor { kind: field.kind(), fields, shape, keep })
    }
}

/// Reads one value of a field that is not repeated.
struct SingleVisitor<'f, 'p> {
    kind: FieldKind,
    fields: &'f mut Fields,
    shape: &'p Node,
    keep: bool,
}

impl SingleVisitor<'_, '_> {
    /// Converts a value through the tree reader.
    fn convert<E: de::Error>(&self, json: Json) -> Result<Option<Value>, E> {
        read_single(self.kind, &json, &Path::Root).map(Some).map_err(|_| give_up())
    }
}

impl<'de> Visitor<'de> for SingleVisitor<'_, '_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} value", self.kind.type_name())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        self.convert(Json::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.convert(Json::Number(Number::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.convert(Json::Number(Number::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        match Number::from_f64(v) {
            Some(number) => self.convert(Json::Number(number)),
            None => Err(give_up()),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match self.kind {
            // A string that is not kept needs no copy: any text is a valid `string`.
            FieldKind::String if !self.keep => Ok(Some(Value::Null)),
            FieldKind::String => Ok(Some(Value::String(Str::from(v)))),
            FieldKind::Enum(enum_type) => {
                enum_type.by_name(v).map(|value| Some(Value::Enum(value))).ok_or_else(give_up)
            }
            FieldKind::Timestamp => time::parse_rfc3339(v)
                .map(|timestamp| Some(Value::Timestamp(timestamp)))
                .map_err(|_| give_up()),
            _ => self.convert(Json::String(v.to_owned())),
        }
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        match self.kind {
            FieldKind::String => Ok(Some(Value::String(Str::from(v)))),
            _ => self.visit_str(&v),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let json = Json::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        self.convert(json)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        match self.kind {
            FieldKind::Message(message) if message.name != "Duration" => {
                let seed = MessageSeed { message, fields: self.fields, shape: self.shape };
                seed.visit_map(map).map(|m| Some(Value::Message(m)))
            }
            FieldKind::Struct => Untyped.visit_map(map).map(Some),
            _ => {
                let json = Json::deserialize(de::value::MapAccessDeserializer::new(map))?;
                self.convert(json)
            }
        }
    }
}

/// Reads a repeated message field, streaming each element.
struct RepeatedMessages<'f, 'p> {
    message: &'static MessageType,
    fields: &'f mut Fields,
    shape: &'p Node,
}

impl<'de> Visitor<'de> for RepeatedMessages<'_, '_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of {}", self.message.name)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        let RepeatedMessages { message, fields, shape } = self;
        while let Some(message) =
            seq.next_element_seed(MessageSeed { message, fields: &mut *fields, shape })?
        {
            values.push(Value::Message(message));
        }
        Ok(Some(Value::List(values)))
    }

    // Anything else is an error in the tree reader too; it reports it.
    give_up_on!(bool, i64, u64, f64, str, map);
}

/// Reads a repeated `string` field, copying the strings only when the field is kept.
struct RepeatedStrings {
    keep: bool,
}

impl<'de> Visitor<'de> for RepeatedStrings {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of string")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if !self.keep {
            while seq.next_element_seed(StringSeed { keep: false })?.is_some() {}
            return Ok(Some(Value::Null));
        }
        let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(1));
        while let Some(text) = seq.next_element_seed(StringSeed { keep: true })? {
            values.push(Value::String(text));
        }
        Ok(Some(Value::List(values)))
    }

    // Anything else is an error in the tree reader too; it reports it.
    give_up_on!(bool, i64, u64, f64, str, map);
}

/// Reads one element of a repeated `string` field, which must be a string; the text is
/// copied only when `keep` is set.
struct StringSeed {
    keep: bool,
}

impl<'de> DeserializeSeed<'de> for StringSeed {
    type Value = Str;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Str, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StringSeed {
    type Value = Str;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Str, E> {
        Ok(if self.keep { Str::from(v) } else { Str::new() })
    }

    give_up_on!(unit, bool, i64, u64, f64, seq, map);
}

/// Skips a JSON value that is not kept, checking it as [`Untyped`] would read it: strings must
/// be valid, numbers in range and nesting within the parser's depth limit. `IgnoredAny` checks
/// none of these, so a line with a bad value in a skipped field would be read here and
/// rejected by the full read.
struct Checked;

impl<'de> DeserializeSeed<'de> for Checked {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checked {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Checked)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Checked)?.is_some() {
            map.next_value_seed(Checked)?;
        }
        Ok(())
    }
}

/// Reads any JSON value as the tree reader's `untyped` converts it. Numbers that fit an `i64`
/// become `Int`, other whole numbers `Uint` and the rest `Float`. Objects become messages, in
/// which a repeated key replaces the earlier value in place.
struct Untyped;

impl<'de> DeserializeSeed<'de> for Untyped {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Untyped {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Uint(v), Value::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(Str::from(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(Untyped)? {
            items.push(item);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut message = Message::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Untyped)?;
            message.insert_owned(key, value);
        }
        Ok(Value::Message(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::event_from_json;

    /// Reads `text` with the tree reader.
    fn tree(text: &str) -> Option<Event> {
        serde_json::from_str::<Json>(text).ok().and_then(|json| event_from_json(&json).ok())
    }

    fn same(text: &str) {
        let fast = event_from_slice(text.as_bytes());
        if let Some(event) = &fast {
            assert_eq!(Some(event), tree(text).as_ref(), "{text}");
        }
    }

    #[test]
    fn projection_keeps_paths_and_their_parts() {
        let path = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        let projection = Projection::new([
            path(&["principal", "ip_geo_artifact", "network", "asn"]),
            path(&["target", "user"]),
        ]);
        assert!(projection.keeps(&["principal"]));
        assert!(projection.keeps(&["principal", "ip_geo_artifact"]));
        assert!(projection.keeps(&["principal", "ip_geo_artifact", "network", "asn"]));
        assert!(!projection.keeps(&["principal", "ip_geo_artifact", "ip"]));
        assert!(!projection.keeps(&["principal", "ip_geo_artifact", "network", "carrier_name"]));
        // Everything under a kept message is kept.
        assert!(projection.keeps(&["target", "user", "userid"]));
        assert!(!projection.keeps(&["target", "ip"]));
        assert!(!projection.keeps(&["src"]));
        assert!(projection.keeps(&["metadata", "event_type"]));
    }

    #[test]
    fn projected_read_rejects_bad_skipped_values() {
        let projection = Projection::new([vec!["principal".to_owned(), "ip".to_owned()]]);
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let bad = ["1e400", r#""\ud800""#, deep.as_str(), r#"{"\udfff": 1}"#];
        for value in bad {
            for place in [r#""network": {"zzz": V}"#, r#""target": {"user": {"zzz": V}}"#] {
                let text = format!(
                    r#"{{"metadata": {{"event_timestamp": "2025-06-10T10:00:00Z"}},
                        "principal": {{"ip": ["192.0.2.1"]}}, {}}}"#,
                    place.replace('V', value)
                );
                assert!(event_from_slice(text.as_bytes()).is_none(), "{text}");
                let projected = event_from_slice_projected(text.as_bytes(), &projection);
                assert!(projected.is_none(), "{text}");
            }
        }
        let mut invalid = br#"{"metadata": {"event_timestamp": "2025-06-10T10:00:00Z"},
            "network": {"zzz": "x"}}"#
            .to_vec();
        let at = invalid.iter().rposition(|b| *b == b'x').expect("an x");
        invalid[at] = 0xff;
        assert!(event_from_slice(&invalid).is_none());
        assert!(event_from_slice_projected(&invalid, &projection).is_none());
    }

    #[test]
    fn reads_what_the_tree_reader_reads() {
        let cases = [
            r#"{"metadata": {"event_type": "USER_LOGIN", "event_timestamp": "2025-06-10T10:00:00Z",
                "product_log_id": "a", "logType": "OKTA"},
               "principal": {"user": {"userid": "x", "email_addresses": ["A@b.c"]},
                             "ip": ["10.0.0.1", "10.0.0.2"], "port": 443},
               "security_result": [{"action": ["ALLOW"], "severity": "HIGH"},
                                   {"rule_name": "r", "risk_score": 0.5}],
               "network": {"received_bytes": "1234", "session_duration": "1.5s"},
               "additional": {"fields": {"k": "v", "n": 3, "l": [1, null, {"x": true}]}},
               "unknown": {"a": [1, 2.5, "x", null]}}"#,
            r#"{"metadata": {"event_timestamp": {"seconds": 5, "nanos": 7}, "event_type": 15001}}"#,
            r#"{"metadata": {"eventType": "USER_LOGIN"}, "principal": null, "about": null}"#,
            r#"{"network": {"session_duration": 30}, "target": {"file": {"size": 1.0e3}}}"#,
        ];
        for text in cases {
            assert!(event_from_slice(text.as_bytes()).is_some(), "{text}");
            same(text);
        }
    }

    #[test]
    fn repeated_keys_and_errors_give_up() {
        let cases = [
            // Repeated keys: the tree keeps the last value at the first key's position.
            r#"{"metadata": {"event_type": "USER_LOGIN", "event_type": "USER_LOGOUT"}}"#,
            r#"{"metadata": {"event_type": null, "event_type": "USER_LOGOUT"}}"#,
            r#"{"metadata": {"eventType": "USER_LOGIN", "event_type": "USER_LOGOUT"}}"#,
            r#"{"metadata": {"event_type": null, "eventType": "USER_LOGIN"}}"#,
            r#"{"x": 1, "x": 2}"#,
            // Invalid values and text.
            r#"{"metadata": {"event_type": "NOT_A_TYPE"}}"#,
            r#"{"metadata": {"event_timestamp": "yesterday"}}"#,
            r#"{"principal": {"port": "http"}}"#,
            r#"{"security_result": {"action": "ALLOW"}}"#,
            r#"{"security_result": [null]}"#,
            r#"{"metadata": {}} trailing"#,
            r#"[{"metadata": {}}]"#,
            r#"{"metadata": {"event_type": "USER_LOGIN"}"#,
        ];
        for text in cases {
            assert!(event_from_slice(text.as_bytes()).is_none(), "{text}");
        }
    }

    #[test]
    fn null_fields_are_not_set() {
        let event = event_from_slice(br#"{"metadata": {"description": null}, "x": null}"#)
            .expect("an event");
        assert_eq!(event.get("metadata.description"), None);
        assert_eq!(event.root.get("x"), Some(&Value::Null));
        same(r#"{"metadata": {"description": null}, "x": null}"#);
    }

    /// Field names at every level the generator writes: known fields of several types, in
    /// snake_case only (so that no two keys name the same field), and unknown names.
    const NAMES: [&str; 16] = [
        "metadata",
        "event_type",
        "event_timestamp",
        "principal",
        "user",
        "userid",
        "ip",
        "port",
        "security_result",
        "action",
        "additional",
        "fields",
        "network",
        "received_bytes",
        "unknown",
        "x",
    ];

    fn json_value() -> impl proptest::strategy::Strategy<Value = Json> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            any::<i64>().prop_map(Json::from),
            (-1e6f64..1e6).prop_map(Json::from),
            prop_oneof![
                Just("USER_LOGIN"),
                Just("ALLOW"),
                Just("2025-06-10T10:00:00Z"),
                Just("10.0.0.1"),
                Just("12"),
                Just("a b"),
            ]
            .prop_map(Json::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
                proptest::collection::btree_map(proptest::sample::select(&NAMES[..]), inner, 0..6)
                    .prop_map(|map| {
                        Json::Object(map.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                    }),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_tree_reader(json in json_value()) {
            let text = json.to_string();
            let fast = event_from_slice(text.as_bytes());
            let tree = tree(&text);
            // Without repeated keys, the fast reader gives up only where the tree reader fails.
            proptest::prop_assert_eq!(fast, tree, "{}", text);
        }
    }

    /// Keeps the fields of `message` that `node` names, as the projected reader does.
    fn restrict(message: &Message, node: &Node) -> Message {
        let mut out = Message::new();
        for (name, value) in message.iter() {
            let Some(child) = node.child(name) else {
                // Only the root keeps unknown fields.
                if node.unknown && schema::event().field(name).is_none() {
                    out.insert(name, value.clone());
                }
                continue;
            };
            let value = match value {
                Value::Message(inner) if !child.all => Value::Message(restrict(inner, child)),
                Value::List(items) if !child.all => Value::List(
                    items
                        .iter()
                        .map(|item| match item {
                            Value::Message(inner) => Value::Message(restrict(inner, child)),
                            other => other.clone(),
                        })
                        .collect(),
                ),
                other => other.clone(),
            };
            out.insert(name, value);
        }
        out
    }

    /// Paths that projections are built from: fields at several depths, a repeated message,
    /// a `Struct`, a timestamp part and a name the schema does not know.
    const PATHS: [&[&str]; 7] = [
        &["metadata", "event_type"],
        &["metadata", "event_timestamp", "seconds"],
        &["principal", "user", "userid"],
        &["principal", "ip"],
        &["security_result", "action"],
        &["additional", "fields"],
        &["network", "unknown"],
    ];

    /// JSON shaped like UDM events, with arbitrary values mixed in at every level.
    fn udm_like() -> impl proptest::strategy::Strategy<Value = Json> {
        use proptest::prelude::*;
        use serde_json::json;
        let or_any = |strategy: BoxedStrategy<Json>| {
            prop_oneof![8 => strategy, 1 => json_value(), 1 => Just(Json::Null)].boxed()
        };
        let text = prop_oneof![Just("a"), Just("10.0.0.1"), Just("USER_LOGIN"), Just("")];
        let metadata = (
            or_any(prop_oneof![Just(json!("USER_LOGIN")), Just(json!("NETWORK_HTTP"))].boxed()),
            or_any(Just(json!("2025-06-10T10:00:00Z")).boxed()),
            or_any(text.clone().prop_map(Json::from).boxed()),
        )
            .prop_map(|(t, time, log)| {
                json!({"event_type": t, "eventTimestamp": time, "log_type": log, "unknown": 1})
            });
        let principal = (
            or_any(text.clone().prop_map(|t| json!({"userid": t, "email_addresses": [t]})).boxed()),
            or_any(
                proptest::collection::vec(text.clone().prop_map(Json::from), 0..3)
                    .prop_map(Json::Array)
                    .boxed(),
            ),
            or_any((0u16..100).prop_map(Json::from).boxed()),
        )
            .prop_map(|(user, ip, port)| json!({"user": user, "ip": ip, "port": port}));
        let results = or_any(
            proptest::collection::vec(
                text.prop_map(|t| json!({"action": ["ALLOW"], "rule_name": t})),
                0..3,
            )
            .prop_map(Json::Array)
            .boxed(),
        );
        (or_any(metadata.boxed()), or_any(principal.boxed()), results, json_value(), json_value())
            .prop_map(|(metadata, principal, results, fields, other)| {
                json!({"metadata": metadata, "principal": principal,
                       "security_result": results, "additional": {"fields": fields},
                       "network": {"sent_bytes": 5, "unknown": other}, "x": 1})
            })
    }

    proptest::proptest! {
        #[test]
        fn projection_keeps_what_it_names(
            json in udm_like(),
            chosen in proptest::collection::vec(proptest::bool::ANY, PATHS.len()),
        ) {
            let paths: Vec<Vec<String>> = PATHS
                .iter()
                .zip(&chosen)
                .filter(|(_, keep)| **keep)
                .map(|(path, _)| path.iter().map(|name| (*name).to_owned()).collect())
                .collect();
            let projection = Projection::new(&paths);
            let text = json.to_string();
            let projected = event_from_slice_projected(text.as_bytes(), &projection);
            let expected = event_from_slice(text.as_bytes())
                .map(|event| Event::from_message(restrict(&event.root, &projection.root)));
            proptest::prop_assert_eq!(projected, expected, "{}", text);
        }
    }
}
