//! The UDM schema: every message, field and enum of the UDM `Event` and `Entity` messages.
//!
//! The schema is written in a small text format (`udm.schema`, described in [`parse`]) that is
//! parsed once, on first use, into static tables. Message and enum types are addressed by index
//! into those tables, so recursive messages (`Process.parent_process`, `SecurityResult.about`)
//! need no special handling.
//!
//! Field names are proto (snake_case) names. [`MessageType::field`] also accepts the
//! lowerCamelCase JSON names that proto3 JSON uses.

mod parse;
mod resolve;

use std::collections::HashMap as StdHashMap;

/// The schema's name indexes, which every field read of every record consults. Their keys are
/// the schema's own names, so a fast hash without a per-process seed is enough.
pub(crate) type HashMap<K, V> = StdHashMap<K, V, foldhash::fast::FixedState>;
use std::sync::LazyLock;

use crate::value::{same_name, EnumValue};

pub use resolve::{resolve, PathError, Resolved};

/// The schema text, compiled into the binary.
const SCHEMA_TEXT: &str = include_str!("udm.schema");

/// The parsed schema, built on first use.
static SCHEMA: LazyLock<Schema> = LazyLock::new(|| match parse::parse(SCHEMA_TEXT) {
    Ok(schema) => schema,
    // The text is a compile-time constant checked by the unit tests, so this cannot happen
    // in a tested build.
    Err(error) => panic!("invalid built-in UDM schema: {error}"),
});

/// All message and enum types of the schema.
pub(crate) struct Schema {
    pub(crate) messages: Vec<MessageType>,
    pub(crate) enums: Vec<EnumType>,
    pub(crate) message_index: HashMap<&'static str, usize>,
    pub(crate) enum_index: HashMap<&'static str, usize>,
}

fn schema() -> &'static Schema {
    &SCHEMA
}

/// The type of a field, as far as a rule or the JSON reader needs to know it.
///
/// Two kinds are equal when they are the same scalar or the same schema type.
#[derive(Debug, Clone, Copy)]
pub enum FieldKind {
    /// `bool`.
    Bool,
    /// `int32`.
    Int32,
    /// `int64`.
    Int64,
    /// `uint32`.
    Uint32,
    /// `uint64`.
    Uint64,
    /// `float`.
    Float,
    /// `double`.
    Double,
    /// `string`.
    String,
    /// `bytes`.
    Bytes,
    /// An enum field.
    Enum(&'static EnumType),
    /// A message field.
    Message(&'static MessageType),
    /// A `google.protobuf.Timestamp`.
    Timestamp,
    /// A `google.protobuf.Struct`: a JSON object with arbitrary values.
    Struct,
}

impl PartialEq for FieldKind {
    fn eq(&self, other: &FieldKind) -> bool {
        match (self, other) {
            (FieldKind::Enum(a), FieldKind::Enum(b)) => std::ptr::eq(*a, *b),
            (FieldKind::Message(a), FieldKind::Message(b)) => std::ptr::eq(*a, *b),
            _ => std::mem::discriminant(self) == std::mem::discriminant(other),
        }
    }
}

impl FieldKind {
    /// The kind's name as the schema text spells it (`string`, `Timestamp`, a type name).
    pub fn type_name(&self) -> &'static str {
        match self {
            FieldKind::Bool => "bool",
            FieldKind::Int32 => "int32",
            FieldKind::Int64 => "int64",
            FieldKind::Uint32 => "uint32",
            FieldKind::Uint64 => "uint64",
            FieldKind::Float => "float",
            FieldKind::Double => "double",
            FieldKind::String => "string",
            FieldKind::Bytes => "bytes",
            FieldKind::Enum(e) => e.name,
            FieldKind::Message(m) => m.name,
            FieldKind::Timestamp => "Timestamp",
            FieldKind::Struct => "Struct",
        }
    }
}

/// A field's type as stored in the tables: scalars directly, messages and enums by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeRef {
    Bool,
    Int32,
    Int64,
    Uint32,
    Uint64,
    Float,
    Double,
    String,
    Bytes,
    Timestamp,
    Struct,
    Enum(usize),
    Message(usize),
}

/// One field of a message type.
#[derive(Debug)]
pub struct FieldDef {
    /// The proto field name, snake_case (`event_timestamp`).
    pub name: &'static str,
    /// The proto3 JSON name, lowerCamelCase (`eventTimestamp`).
    pub json_name: &'static str,
    /// Whether the field is `repeated`.
    pub repeated: bool,
    /// Whether the UDM documentation marks the field as deprecated.
    pub deprecated: bool,
    pub(crate) type_ref: TypeRef,
}

impl FieldDef {
    /// The field's type.
    pub fn kind(&self) -> FieldKind {
        let schema = schema();
        match self.type_ref {
            TypeRef::Bool => FieldKind::Bool,
            TypeRef::Int32 => FieldKind::Int32,
            TypeRef::Int64 => FieldKind::Int64,
            TypeRef::Uint32 => FieldKind::Uint32,
            TypeRef::Uint64 => FieldKind::Uint64,
            TypeRef::Float => FieldKind::Float,
            TypeRef::Double => FieldKind::Double,
            TypeRef::String => FieldKind::String,
            TypeRef::Bytes => FieldKind::Bytes,
            TypeRef::Timestamp => FieldKind::Timestamp,
            TypeRef::Struct => FieldKind::Struct,
            TypeRef::Enum(i) => FieldKind::Enum(&schema.enums[i]),
            TypeRef::Message(i) => FieldKind::Message(&schema.messages[i]),
        }
    }
}

/// A message type: a named, ordered set of fields.
#[derive(Debug)]
pub struct MessageType {
    /// The type name (`Noun`, `SecurityResult`).
    pub name: &'static str,
    pub(crate) fields: Vec<FieldDef>,
    /// Both spellings of every field name, mapped to the index in `fields`.
    pub(crate) by_name: FieldNames,
}

/// Field names with their indexes, grouped by length. A message has a few names of each
/// length, and comparing those costs less than hashing the name. Readers look up every key of
/// every record.
#[derive(Debug, Default)]
pub(crate) struct FieldNames {
    by_len: Vec<Vec<(&'static str, usize)>>,
}

impl FieldNames {
    /// Maps a name to a field index; returns false when the name was there already, and
    /// maps it to the new index.
    pub(crate) fn insert(&mut self, name: &'static str, index: usize) -> bool {
        if self.by_len.len() <= name.len() {
            self.by_len.resize_with(name.len() + 1, Vec::new);
        }
        let same_length = &mut self.by_len[name.len()];
        match same_length.iter_mut().find(|(known, _)| *known == name) {
            Some(entry) => {
                entry.1 = index;
                false
            }
            None => {
                same_length.push((name, index));
                true
            }
        }
    }

    fn get(&self, name: &str) -> Option<usize> {
        let same_length = self.by_len.get(name.len())?;
        same_length.iter().find(|(known, _)| same_name(known, name)).map(|(_, index)| *index)
    }
}

impl MessageType {
    /// Looks a field up by its snake_case or lowerCamelCase name.
    pub fn field(&'static self, name: &str) -> Option<&'static FieldDef> {
        let index = self.by_name.get(name)?;
        self.fields.get(index)
    }

    /// The fields in schema order.
    pub fn fields(&'static self) -> impl Iterator<Item = &'static FieldDef> {
        self.fields.iter()
    }
}

/// An enum type with its values.
#[derive(Debug)]
pub struct EnumType {
    /// The type name (`EventType`, `SecurityResult.Action`).
    pub name: &'static str,
    pub(crate) values: Vec<EnumValue>,
    pub(crate) by_name: HashMap<&'static str, usize>,
    pub(crate) by_number: HashMap<i32, usize>,
}

impl EnumType {
    /// Looks a value up by its name (`USER_LOGIN`); names are case-sensitive.
    pub fn by_name(&self, name: &str) -> Option<EnumValue> {
        self.by_name.get(name).and_then(|&i| self.values.get(i)).copied()
    }

    /// Looks a value up by its number. When several names share a number, the first one in
    /// schema order is returned.
    pub fn by_number(&self, number: i32) -> Option<EnumValue> {
        self.by_number.get(&number).and_then(|&i| self.values.get(i)).copied()
    }

    /// The values in schema order.
    pub fn values(&self) -> impl Iterator<Item = EnumValue> + '_ {
        self.values.iter().copied()
    }
}

/// The UDM `Event` message: the root of `$e.udm.` (and plain `$e.`) paths.
pub fn event() -> &'static MessageType {
    message_type("Event").unwrap_or_else(|| unreachable_type("Event"))
}

/// The UDM `Entity` message: the root of `$e.graph.` paths.
pub fn entity() -> &'static MessageType {
    message_type("Entity").unwrap_or_else(|| unreachable_type("Entity"))
}

fn unreachable_type(name: &str) -> ! {
    // The unit tests check that the built-in schema defines both roots.
    panic!("the built-in UDM schema has no message {name}")
}

/// Looks a message type up by its proto name without the package (`Noun`, `Dns.Question`), or
/// by the last part of a nested name (`Question`) when only one type has it.
pub fn message_type(name: &str) -> Option<&'static MessageType> {
    let schema = schema();
    let index = lookup(&schema.message_index, name)?;
    schema.messages.get(index)
}

/// Looks an enum type up by its proto name without the package (`Metadata.EventType`,
/// `SecurityResult.Action`), or by the last part of a nested name (`EventType`) when only one
/// enum has it.
pub fn enum_type(name: &str) -> Option<&'static EnumType> {
    let schema = schema();
    let index = lookup(&schema.enum_index, name)?;
    schema.enums.get(index)
}

/// Finds `name` exactly, or else as the unique entry ending in `.name`.
fn lookup(index: &HashMap<&'static str, usize>, name: &str) -> Option<usize> {
    if let Some(&i) = index.get(name) {
        return Some(i);
    }
    let mut found = index.iter().filter(|(key, _)| {
        key.len() > name.len()
            && key.ends_with(name)
            && key.as_bytes().get(key.len() - name.len() - 1) == Some(&b'.')
    });
    let (_, &first) = found.next()?;
    match found.next() {
        Some(_) => None,
        None => Some(first),
    }
}

/// Looks an enum value up by enum type name (see [`enum_type`]) and value name:
/// `enum_value("EventType", "USER_LOGIN")`.
pub fn enum_value(enum_name: &str, value_name: &str) -> Option<EnumValue> {
    enum_type(enum_name)?.by_name(value_name)
}

/// All message types of the schema.
pub fn message_types() -> impl Iterator<Item = &'static MessageType> {
    schema().messages.iter()
}

/// All enum types of the schema.
pub fn enum_types() -> impl Iterator<Item = &'static EnumType> {
    schema().enums.iter()
}

/// The names of the Event fields that hold a Noun (`principal`, `src`, `target`,
/// `intermediary`, `observer`, `about`).
pub const NOUN_FIELDS: [&str; 6] =
    ["principal", "src", "target", "intermediary", "observer", "about"];

#[cfg(test)]
mod tests;
