//! The parser for the schema text format.
//!
//! The format is line-based. `#` starts a comment. A line `message NAME` or `enum NAME` at
//! column 0 opens a type, and the indented lines under it are its members:
//!
//! ```text
//! message Noun
//!   hostname      string
//!   ip            string[]          # `[]` marks a repeated field
//!   labels        Label[]   deprecated
//! enum Platform
//!   UNKNOWN_PLATFORM  0
//! ```
//!
//! A field type is a scalar (`bool`, `int32`, `int64`, `uint32`, `uint64`, `float`, `double`,
//! `string`, `bytes`), `Timestamp`, `Struct`, or the name of a message or enum defined anywhere
//! in the text. JSON names are derived from field names by the proto3 rule: drop each `_` and
//! upper-case the letter after it.

use super::HashMap;

use super::{EnumType, FieldDef, FieldNames, MessageType, Schema, TypeRef};
use crate::value::EnumValue;

/// A schema text error, with its 1-based line number.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub(crate) struct SchemaError {
    line: usize,
    message: String,
}

fn error(line: usize, message: impl Into<String>) -> SchemaError {
    SchemaError { line, message: message.into() }
}

enum Block {
    Message(usize),
    Enum(usize),
}

/// Parses the schema text into tables.
pub(crate) fn parse(text: &'static str) -> Result<Schema, SchemaError> {
    let mut schema = Schema {
        messages: Vec::new(),
        enums: Vec::new(),
        message_index: HashMap::default(),
        enum_index: HashMap::default(),
    };

    // First pass: declare every type, so that fields may refer to types defined later.
    for (number, line) in text.lines().enumerate() {
        let line = strip_comment(line);
        if let Some(name) = line.strip_prefix("message ") {
            let name = name.trim();
            if schema.message_index.insert(name, schema.messages.len()).is_some() {
                return Err(error(number + 1, format!("message {name} is defined twice")));
            }
            schema.messages.push(MessageType {
                name,
                fields: Vec::new(),
                by_name: FieldNames::default(),
            });
        } else if let Some(name) = line.strip_prefix("enum ") {
            let name = name.trim();
            if schema.enum_index.insert(name, schema.enums.len()).is_some() {
                return Err(error(number + 1, format!("enum {name} is defined twice")));
            }
            schema.enums.push(EnumType {
                name,
                values: Vec::new(),
                by_name: HashMap::default(),
                by_number: HashMap::default(),
            });
        }
    }

    // Second pass: members.
    let mut block = None;
    for (number, line) in text.lines().enumerate() {
        let number = number + 1;
        let line = strip_comment(line);
        if line.trim().is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix("message ") {
            block = schema.message_index.get(name.trim()).map(|&i| Block::Message(i));
            continue;
        }
        if let Some(name) = line.strip_prefix("enum ") {
            block = schema.enum_index.get(name.trim()).map(|&i| Block::Enum(i));
            continue;
        }
        if !line.starts_with(' ') {
            return Err(error(number, format!("expected `message` or `enum`, found {line:?}")));
        }
        let words: Vec<&'static str> = line.split_whitespace().collect();
        match block {
            Some(Block::Message(m)) => {
                let field = parse_field(&schema, &words, number)?;
                add_field(&mut schema.messages[m], field, number)?;
            }
            Some(Block::Enum(e)) => add_enum_value(&mut schema.enums[e], &words, number)?,
            None => return Err(error(number, "member line outside a type")),
        }
    }
    Ok(schema)
}

fn strip_comment(line: &'static str) -> &'static str {
    match line.find('#') {
        Some(at) => &line[..at],
        None => line,
    }
    .trim_end()
}

fn parse_field(
    schema: &Schema,
    words: &[&'static str],
    line: usize,
) -> Result<FieldDef, SchemaError> {
    let (name, type_word, flags) = match words {
        [name, type_word, flags @ ..] => (*name, *type_word, flags),
        _ => return Err(error(line, "a field needs a name and a type")),
    };
    let deprecated = match flags {
        [] => false,
        ["deprecated"] => true,
        _ => return Err(error(line, format!("unknown field flags {flags:?}"))),
    };
    let (type_name, repeated) = match type_word.strip_suffix("[]") {
        Some(inner) => (inner, true),
        None => (type_word, false),
    };
    let type_ref = match type_name {
        "bool" => TypeRef::Bool,
        "int32" => TypeRef::Int32,
        "int64" => TypeRef::Int64,
        "uint32" => TypeRef::Uint32,
        "uint64" => TypeRef::Uint64,
        "float" => TypeRef::Float,
        "double" => TypeRef::Double,
        "string" => TypeRef::String,
        "bytes" => TypeRef::Bytes,
        "Timestamp" => TypeRef::Timestamp,
        "Struct" => TypeRef::Struct,
        other => match (schema.message_index.get(other), schema.enum_index.get(other)) {
            (Some(&m), _) => TypeRef::Message(m),
            (None, Some(&e)) => TypeRef::Enum(e),
            (None, None) => return Err(error(line, format!("unknown type {other}"))),
        },
    };
    Ok(FieldDef { name, json_name: json_name(name), repeated, deprecated, type_ref })
}

fn add_field(message: &mut MessageType, field: FieldDef, line: usize) -> Result<(), SchemaError> {
    let index = message.fields.len();
    if !message.by_name.insert(field.name, index) {
        return Err(error(line, format!("field {} is defined twice", field.name)));
    }
    if field.json_name != field.name {
        message.by_name.insert(field.json_name, index);
    }
    message.fields.push(field);
    Ok(())
}

fn add_enum_value(
    enum_type: &mut EnumType,
    words: &[&'static str],
    line: usize,
) -> Result<(), SchemaError> {
    let [name, number, ..] = words else {
        return Err(error(line, "an enum value needs a name and a number"));
    };
    let number: i32 =
        number.parse().map_err(|_| error(line, format!("invalid enum number {number}")))?;
    let index = enum_type.values.len();
    if enum_type.by_name.insert(name, index).is_some() {
        return Err(error(line, format!("enum value {name} is defined twice")));
    }
    enum_type.by_number.entry(number).or_insert(index);
    enum_type.values.push(EnumValue { name, number });
    Ok(())
}

/// Derives the proto3 JSON name: `event_timestamp` becomes `eventTimestamp`.
fn json_name(name: &'static str) -> &'static str {
    if !name.contains('_') {
        return name;
    }
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    // The schema is parsed once per process, so leaking these few hundred names is bounded.
    Box::leak(out.into_boxed_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_name_follows_proto3_rule() {
        assert_eq!(json_name("event_timestamp"), "eventTimestamp");
        assert_eq!(json_name("ip"), "ip");
        assert_eq!(json_name("ip_geo_artifact"), "ipGeoArtifact");
    }

    #[test]
    fn unknown_type_is_rejected() {
        let result = parse("message A\n  x Nope\n");
        assert!(result.is_err());
    }

    #[test]
    fn forward_references_resolve() {
        let schema = parse("message A\n  b B[]\nmessage B\n  a A\n");
        assert!(schema.is_ok());
    }
}
