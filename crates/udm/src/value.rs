//! Dynamic UDM values: the tree that parsers build and rules read.
//!
//! A UDM event is a tree of [`Message`]s whose leaves are scalars. Field names are always stored
//! in their proto (snake_case) spelling, whatever spelling the input used; the proto3 JSON reader
//! does that translation.

use std::borrow::Cow;
use std::fmt;

use crate::text::Str;

/// A proto `google.protobuf.Timestamp`: seconds and nanoseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z; negative before the epoch.
    pub seconds: i64,
    /// Fraction of a second, always in `0..1_000_000_000`.
    pub nanos: i32,
}

impl Timestamp {
    /// Builds a timestamp from seconds and nanoseconds, carrying nanos outside
    /// `0..1_000_000_000` into the seconds.
    pub fn new(seconds: i64, nanos: i64) -> Timestamp {
        let carry = nanos.div_euclid(1_000_000_000);
        let nanos = nanos.rem_euclid(1_000_000_000) as i32;
        Timestamp { seconds: seconds.saturating_add(carry), nanos }
    }

    /// The earliest timestamp proto3 JSON can write: 0001-01-01T00:00:00Z.
    pub const MIN: Timestamp = Timestamp { seconds: -62_135_596_800, nanos: 0 };
    /// The latest timestamp proto3 JSON can write: 9999-12-31T23:59:59.999999999Z.
    pub const MAX: Timestamp = Timestamp { seconds: 253_402_300_799, nanos: 999_999_999 };

    /// Checks whether the timestamp lies in years 0001 to 9999, the range of `google.protobuf.Timestamp`
    /// and of RFC 3339 text.
    pub fn is_valid(&self) -> bool {
        (Timestamp::MIN..=Timestamp::MAX).contains(self)
    }

    /// Nanoseconds since the epoch, saturating at the ends of `i128`'s range.
    pub fn as_nanos(&self) -> i128 {
        i128::from(self.seconds) * 1_000_000_000 + i128::from(self.nanos)
    }
}

/// A value of a UDM enum: its name and number as the UDM schema defines them.
///
/// Rules compare enums by name (`= "USER_LOGIN"`) and order them by number (`< "USER_LOGOUT"`),
/// so both are kept. The name is `'static` because it comes from the schema tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnumValue {
    /// The value's name, for example `USER_LOGIN`.
    pub name: &'static str,
    /// The value's number, for example `15001`.
    pub number: i32,
}

/// One node of a UDM event tree.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// JSON `null`, or a value the reader could not place.
    #[default]
    Null,
    /// A `bool` field.
    Bool(bool),
    /// A signed integer field (`int32`, `int64`).
    Int(i64),
    /// An unsigned integer field (`uint32`, `uint64`).
    Uint(u64),
    /// A floating point field (`float`, `double`).
    Float(f64),
    /// A `string` field.
    String(Str),
    /// A `bytes` field, decoded from base64.
    Bytes(Vec<u8>),
    /// An enum field.
    Enum(EnumValue),
    /// A `google.protobuf.Timestamp` field.
    Timestamp(Timestamp),
    /// A repeated field, or a JSON array inside a `Struct`.
    List(Vec<Value>),
    /// A message field, or a `google.protobuf.Struct` (such as `additional.fields`).
    Message(Message),
}

impl Value {
    /// Returns the string if this is a `String`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Returns the message if this is a `Message`.
    pub fn as_message(&self) -> Option<&Message> {
        match self {
            Value::Message(m) => Some(m),
            _ => None,
        }
    }

    /// Returns the message if this is a `Message`, mutably.
    pub fn as_message_mut(&mut self) -> Option<&mut Message> {
        match self {
            Value::Message(m) => Some(m),
            _ => None,
        }
    }

    /// Returns the elements if this is a `List`.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// Whether the value is its type's zero value: `""`, `0`, `false`, enum number 0, an empty
    /// list, an empty message or `Null`. Rules read missing fields as these values.
    pub fn is_zero(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Bool(b) => !*b,
            Value::Int(i) => *i == 0,
            Value::Uint(u) => *u == 0,
            Value::Float(f) => *f == 0.0,
            Value::String(s) => s.is_empty(),
            Value::Bytes(b) => b.is_empty(),
            Value::Enum(e) => e.number == 0,
            Value::Timestamp(t) => t.seconds == 0 && t.nanos == 0,
            Value::List(items) => items.is_empty(),
            Value::Message(m) => m.is_empty(),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(Str::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(Str::from(s))
    }
}

impl From<Str> for Value {
    fn from(s: Str) -> Value {
        Value::String(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<u64> for Value {
    fn from(u: u64) -> Value {
        Value::Uint(u)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<Timestamp> for Value {
    fn from(t: Timestamp) -> Value {
        Value::Timestamp(t)
    }
}

impl From<EnumValue> for Value {
    fn from(e: EnumValue) -> Value {
        Value::Enum(e)
    }
}

impl From<Message> for Value {
    fn from(m: Message) -> Value {
        Value::Message(m)
    }
}

impl fmt::Display for Value {
    /// Formats scalars the way rules see them as strings; lists and messages as compact JSON-like
    /// text, for messages and debugging only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Uint(u) => write!(f, "{u}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::String(s) => f.write_str(s),
            Value::Bytes(b) => write!(f, "{} bytes", b.len()),
            Value::Enum(e) => f.write_str(e.name),
            Value::Timestamp(t) => write!(f, "{}.{:09}", t.seconds, t.nanos),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Message(m) => {
                f.write_str("{")?;
                for (i, (name, value)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {value}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// Returns whether two field names are equal. Field lookups compare a name with every name before
/// it in its message, and most names are short, so equal lengths are compared in at most two
/// word loads each rather than through a call to `memcmp`.
#[inline]
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    // Two overlapping loads cover lengths 4 to 16.
    fn load<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
        bytes.get(at..at + N).and_then(|s| s.try_into().ok()).unwrap_or([0; N])
    }
    match n {
        0..=3 => a == b,
        4..=7 => load::<4>(a, 0) == load::<4>(b, 0) && load::<4>(a, n - 4) == load::<4>(b, n - 4),
        8..=16 => load::<8>(a, 0) == load::<8>(b, 0) && load::<8>(a, n - 8) == load::<8>(b, n - 8),
        _ => a == b,
    }
}

/// A UDM message: named fields in insertion order.
///
/// Messages are small (a UDM noun rarely has more than a dozen fields set), so a vector with a
/// linear search beats a map here and keeps the input's field order for output.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Message {
    /// Schema field names are borrowed from the schema tables; other names are owned.
    fields: Vec<(Cow<'static, str>, Value)>,
}

impl Message {
    /// Creates an empty message.
    pub fn new() -> Message {
        Message::default()
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Number of fields set.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Returns the field's value, if set.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| same_name(n, name)).map(|(_, v)| v)
    }

    /// Returns the field's value mutably, if set.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        self.fields.iter_mut().find(|(n, _)| same_name(n, name)).map(|(_, v)| v)
    }

    /// Sets a field, replacing any earlier value.
    pub fn insert(&mut self, name: &str, value: Value) {
        match self.get_mut(name) {
            Some(slot) => *slot = value,
            None => self.fields.push((Cow::Owned(name.to_owned()), value)),
        }
    }

    /// Sets a field like [`Message::insert`], taking the name without copying it.
    pub fn insert_owned(&mut self, name: String, value: Value) {
        match self.get_mut(&name) {
            Some(slot) => *slot = value,
            None => self.fields.push((Cow::Owned(name), value)),
        }
    }

    /// Sets a field whose name outlives the message, such as a schema field name, without
    /// copying the name.
    pub fn insert_static(&mut self, name: &'static str, value: Value) {
        match self.get_mut(name) {
            Some(slot) => *slot = value,
            None => self.fields.push((Cow::Borrowed(name), value)),
        }
    }

    /// Creates an empty message with room for `fields` fields.
    pub fn with_capacity(fields: usize) -> Message {
        Message { fields: Vec::with_capacity(fields) }
    }

    /// Builds a message from fields with distinct names, in order.
    pub(crate) fn from_fields(fields: Vec<(Cow<'static, str>, Value)>) -> Message {
        Message { fields }
    }

    /// Removes a field and returns its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let at = self.fields.iter().position(|(n, _)| &**n == name)?;
        Some(self.fields.remove(at).1)
    }

    /// Returns the field's value, inserting `Null` first when it is not set.
    pub fn entry(&mut self, name: &str) -> &mut Value {
        let at = match self.fields.iter().position(|(n, _)| &**n == name) {
            Some(at) => at,
            None => {
                self.fields.push((Cow::Owned(name.to_owned()), Value::Null));
                self.fields.len() - 1
            }
        };
        &mut self.fields[at].1
    }

    /// Iterates over the fields in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.fields.iter().map(|(n, v)| (&**n, v))
    }

    /// Follows a dotted path of message fields (`"principal.user.userid"`).
    ///
    /// A repeated message on the way is entered at its first element. Returns `None` when any
    /// step is missing.
    pub fn get_path(&self, path: &str) -> Option<&Value> {
        let (first, mut rest) = split_first(path);
        let mut current = self.get(first)?;
        while let Some(path) = rest {
            let (part, after) = split_first(path);
            current = match current {
                Value::Message(m) => m.get(part)?,
                Value::List(items) => items.first()?.as_message()?.get(part)?,
                _ => return None,
            };
            rest = after;
        }
        Some(current)
    }

    /// Returns the message at a dotted path, creating empty messages on the way.
    ///
    /// A repeated message on the way is entered at its last element, so that a builder can push
    /// an element and then fill it. A non-message value on the way is replaced by a message.
    pub fn message_at(&mut self, path: &str) -> &mut Message {
        let mut current = self;
        for part in path.split('.').filter(|p| !p.is_empty()) {
            let slot = current.entry(part);
            if let Value::List(items) = slot {
                if !matches!(items.last(), Some(Value::Message(_))) {
                    items.push(Value::Message(Message::new()));
                }
                let Some(Value::Message(last)) = items.last_mut() else { unreachable!() };
                current = last;
                continue;
            }
            if !matches!(slot, Value::Message(_)) {
                *slot = Value::Message(Message::new());
            }
            let Value::Message(m) = slot else { unreachable!() };
            current = m;
        }
        current
    }

    /// Sets the field at a dotted path (`"target.user.userid"`), creating parents as needed.
    pub fn set_path(&mut self, path: &str, value: Value) {
        let (parent, name) = split_last(path);
        self.message_at(parent).insert(name, value);
    }

    /// Appends a value to the repeated field at a dotted path, creating it as needed. A scalar
    /// already there becomes the list's first element.
    pub fn push_path(&mut self, path: &str, value: Value) {
        let (parent, name) = split_last(path);
        let slot = self.message_at(parent).entry(name);
        match slot {
            Value::List(items) => items.push(value),
            Value::Null => *slot = Value::List(vec![value]),
            other => {
                let first = std::mem::take(other);
                *other = Value::List(vec![first, value]);
            }
        }
    }
}

/// Splits a dotted path into its first part and the rest after the first dot, or `None` when it
/// has no dot. Paths are short, so a plain byte loop costs less than the `memchr` search of
/// `str::split`.
fn split_first(path: &str) -> (&str, Option<&str>) {
    match path.bytes().position(|byte| byte == b'.') {
        Some(at) => (&path[..at], Some(&path[at + 1..])),
        None => (path, None),
    }
}

fn split_last(path: &str) -> (&str, &str) {
    match path.rsplit_once('.') {
        Some((parent, name)) => (parent, name),
        None => ("", path),
    }
}

impl FromIterator<(String, Value)> for Message {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Message {
        let mut m = Message::new();
        for (k, v) in iter {
            m.insert(&k, v);
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_name_is_string_equality() {
        for len in 0..24 {
            let name: String = (0..len).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            assert!(super::same_name(&name, &name.clone()));
            for at in 0..len {
                let mut other = name.clone().into_bytes();
                other[at] = b'_';
                let other = String::from_utf8(other).unwrap_or_default();
                assert!(!super::same_name(&name, &other), "{name} {other}");
            }
            assert!(!super::same_name(&name, &format!("{name}x")));
        }
    }

    #[test]
    fn timestamp_carries_nanos() {
        assert_eq!(
            Timestamp::new(10, 1_500_000_000),
            Timestamp { seconds: 11, nanos: 500_000_000 }
        );
        assert_eq!(Timestamp::new(10, -1), Timestamp { seconds: 9, nanos: 999_999_999 });
    }

    #[test]
    fn set_path_creates_parents() {
        let mut m = Message::new();
        m.set_path("principal.user.userid", "alice".into());
        assert_eq!(m.get_path("principal.user.userid"), Some(&Value::from("alice")));
    }

    #[test]
    fn get_path_splits_as_str_split() {
        // The lookup with `str::split` that `get_path` replaces.
        fn by_split<'m>(message: &'m Message, path: &str) -> Option<&'m Value> {
            let mut parts = path.split('.');
            let mut current = message.get(parts.next()?)?;
            for part in parts {
                current = match current {
                    Value::Message(m) => m.get(part)?,
                    Value::List(items) => items.first()?.as_message()?.get(part)?,
                    _ => return None,
                };
            }
            Some(current)
        }
        let mut m = Message::new();
        m.set_path("a.b.c", "abc".into());
        m.push_path("list", Value::Message(Message::new()));
        m.message_at("list").insert("x", "first".into());
        m.message_at("").insert("", "empty name".into());
        m.message_at("e").insert("", "empty last part".into());
        let paths = [
            "a", "a.b", "a.b.c", "a.b.c.d", "a.x", "list.x", "list.y", "", ".", "e.", "e..", ".a",
            "a..b", "x", "list",
        ];
        for path in paths {
            assert_eq!(m.get_path(path), by_split(&m, path), "{path:?}");
        }
        assert_eq!(m.get_path("e."), Some(&Value::from("empty last part")));
        assert_eq!(m.get_path("list.x"), Some(&Value::from("first")));
    }

    #[test]
    fn push_path_builds_repeated_field() {
        let mut m = Message::new();
        m.push_path("principal.ip", "192.0.2.1".into());
        m.push_path("principal.ip", "192.0.2.2".into());
        let ips = m.get_path("principal.ip").and_then(Value::as_list).unwrap();
        assert_eq!(ips.len(), 2);
    }

    #[test]
    fn message_at_enters_last_list_element() {
        let mut m = Message::new();
        m.push_path("security_result", Value::Message(Message::new()));
        m.message_at("security_result").insert("summary", "first".into());
        assert_eq!(m.get_path("security_result.summary"), Some(&Value::from("first")));
    }

    #[test]
    fn zero_values() {
        assert!(Value::from("").is_zero());
        assert!(Value::Enum(EnumValue { name: "EVENTTYPE_UNSPECIFIED", number: 0 }).is_zero());
        assert!(!Value::from("x").is_zero());
    }
}
