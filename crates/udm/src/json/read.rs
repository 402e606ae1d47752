//! The proto3 JSON reader: `serde_json::Value` to [`Event`] and [`Message`].

use serde_json::{Map, Number, Value as Json};

use super::{base64, time, JsonError};
use crate::schema::{self, EnumType, FieldDef, FieldKind, MessageType};
use crate::value::{Message, Timestamp, Value};
use crate::Event;
use crate::Str;

/// Reads a UDM `Event` from its proto3 JSON form.
pub fn event_from_json(json: &Json) -> Result<Event, JsonError> {
    message_from_json(schema::event(), json).map(Event::from_message)
}

/// Reads a UDM `Entity` (the record behind `$e.graph.` paths) from its proto3 JSON form.
pub fn entity_from_json(json: &Json) -> Result<Message, JsonError> {
    message_from_json(schema::entity(), json)
}

/// Reads any schema message from its proto3 JSON form.
pub fn message_from_json(message: &'static MessageType, json: &Json) -> Result<Message, JsonError> {
    match json {
        Json::Object(object) => read_message(message, object, &Path::Root),
        other => Err(wrong_type(&Path::Root, format!("a {} object", message.name), other)),
    }
}

/// The path of the value being read, kept as a chain on the stack and formatted only when an
/// error needs it.
pub(super) enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn render(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Field(Path::Root, name) => (*name).to_owned(),
            Path::Field(parent, name) => format!("{}.{name}", parent.render()),
            Path::Index(parent, index) => format!("{}[{index}]", parent.render()),
        }
    }
}

fn json_type(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn wrong_type(path: &Path, expected: String, found: &Json) -> JsonError {
    JsonError::WrongType { path: path.render(), expected, found: json_type(found) }
}

fn invalid(path: &Path, expected: &'static str, found: &Json, reason: &'static str) -> JsonError {
    JsonError::InvalidValue { path: path.render(), expected, value: found.to_string(), reason }
}

fn read_message(
    message: &'static MessageType,
    object: &Map<String, Json>,
    path: &Path,
) -> Result<Message, JsonError> {
    let mut out = Message::new();
    for (key, json) in object {
        match message.field(key) {
            Some(field) => {
                // proto3 JSON: null means the field is not set.
                if json.is_null() {
                    continue;
                }
                let path = Path::Field(path, field.name);
                let value = read_field(field, json, &path)?;
                out.insert_static(field.name, value);
            }
            None => out.insert(key, untyped(json)),
        }
    }
    Ok(out)
}

pub(super) fn read_field(
    field: &'static FieldDef,
    json: &Json,
    path: &Path,
) -> Result<Value, JsonError> {
    let kind = field.kind();
    if !field.repeated {
        return read_single(kind, json, path);
    }
    let Json::Array(items) = json else {
        return Err(wrong_type(path, format!("an array of {}", kind.type_name()), json));
    };
    let mut values = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        values.push(read_single(kind, item, &Path::Index(path, index))?);
    }
    Ok(Value::List(values))
}

pub(super) fn read_single(kind: FieldKind, json: &Json, path: &Path) -> Result<Value, JsonError> {
    match kind {
        FieldKind::Bool => match json {
            Json::Bool(b) => Ok(Value::Bool(*b)),
            other => Err(wrong_type(path, "a boolean".into(), other)),
        },
        FieldKind::Int32 => {
            read_signed(json, path, "int32", i64::from(i32::MIN), i64::from(i32::MAX))
        }
        FieldKind::Int64 => read_signed(json, path, "int64", i64::MIN, i64::MAX),
        FieldKind::Uint32 => read_unsigned(json, path, "uint32", u64::from(u32::MAX)),
        FieldKind::Uint64 => read_unsigned(json, path, "uint64", u64::MAX),
        FieldKind::Float | FieldKind::Double => read_float(kind, json, path),
        FieldKind::String => match json {
            Json::String(s) => Ok(Value::String(Str::from(s.as_str()))),
            other => Err(wrong_type(path, "a string".into(), other)),
        },
        FieldKind::Bytes => match json {
            Json::String(s) => base64::decode(s)
                .map(Value::Bytes)
                .map_err(|reason| invalid(path, "bytes (base64)", json, reason)),
            other => Err(wrong_type(path, "a base64 string".into(), other)),
        },
        FieldKind::Enum(enum_type) => read_enum(enum_type, json, path),
        FieldKind::Timestamp => read_timestamp(json, path),
        FieldKind::Struct => match json {
            Json::Object(_) => Ok(untyped(json)),
            other => Err(wrong_type(path, "an object (google.protobuf.Struct)".into(), other)),
        },
        FieldKind::Message(message) => match json {
            Json::Object(object) => read_message(message, object, path).map(Value::Message),
            Json::String(text) if message.name == "Duration" => read_duration(text, json, path),
            // Some producers write a Duration as a bare number of seconds.
            Json::Number(_) if message.name == "Duration" => {
                let seconds = read_signed(json, path, "Duration seconds", i64::MIN, i64::MAX)?;
                let mut message = Message::new();
                message.insert_static("seconds", seconds);
                Ok(Value::Message(message))
            }
            other => Err(wrong_type(path, format!("a {} object", message.name), other)),
        },
    }
}

/// Reads an integer from a JSON number or a decimal string. A number with a zero fraction
/// (`3.0`, `1e3`) is accepted, as proto3 JSON parsers do.
fn integer_text(json: &Json) -> Option<Result<Number, ()>> {
    match json {
        Json::Number(n) => Some(Ok(n.clone())),
        Json::String(s) => Some(parse_number_text(s).ok_or(())),
        _ => None,
    }
}

fn parse_number_text(text: &str) -> Option<Number> {
    let trimmed = text.trim();
    if trimmed != text || text.is_empty() {
        return None;
    }
    if let Ok(i) = text.parse::<i64>() {
        return Some(Number::from(i));
    }
    if let Ok(u) = text.parse::<u64>() {
        return Some(Number::from(u));
    }
    text.parse::<f64>().ok().filter(|f| f.is_finite()).and_then(Number::from_f64)
}

/// 2^63 and 2^64, the first whole floats past the ranges of `i64` and `u64`.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

fn read_signed(
    json: &Json,
    path: &Path,
    expected: &'static str,
    min: i64,
    max: i64,
) -> Result<Value, JsonError> {
    let Some(number) = integer_text(json) else {
        return Err(wrong_type(path, format!("an {expected} number or string"), json));
    };
    let number = number.map_err(|()| invalid(path, expected, json, "not a number"))?;
    let value = match (number.as_i64(), number.as_f64()) {
        (Some(i), _) => i,
        (None, _) if number.is_u64() => return Err(invalid(path, expected, json, "out of range")),
        // Within ±2^63 the whole float converts exactly; `i64::MAX as f64` rounds up to 2^63,
        // which `as` would saturate rather than reject. `min` and `max` are checked below.
        (None, Some(f)) if f.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&f) => f as i64,
        (None, Some(f)) if f.fract() == 0.0 => {
            return Err(invalid(path, expected, json, "out of range"))
        }
        _ => return Err(invalid(path, expected, json, "not an integer")),
    };
    if value < min || value > max {
        return Err(invalid(path, expected, json, "out of range"));
    }
    Ok(Value::Int(value))
}

fn read_unsigned(
    json: &Json,
    path: &Path,
    expected: &'static str,
    max: u64,
) -> Result<Value, JsonError> {
    let Some(number) = integer_text(json) else {
        return Err(wrong_type(path, format!("a {expected} number or string"), json));
    };
    let number = number.map_err(|()| invalid(path, expected, json, "not a number"))?;
    let value = match (number.as_u64(), number.as_f64()) {
        (Some(u), _) => u,
        (None, _) if number.is_i64() => return Err(invalid(path, expected, json, "negative")),
        // Below 2^64 the whole float converts exactly; `u64::MAX as f64` rounds up to 2^64,
        // which `as` would saturate rather than reject. `max` is checked below.
        (None, Some(f)) if f.fract() == 0.0 && (0.0..TWO_POW_64).contains(&f) => f as u64,
        (None, Some(f)) if f.fract() == 0.0 => {
            return Err(invalid(path, expected, json, "out of range"))
        }
        _ => return Err(invalid(path, expected, json, "not an integer")),
    };
    if value > max {
        return Err(invalid(path, expected, json, "out of range"));
    }
    Ok(Value::Uint(value))
}

/// Reads a float from a JSON number or a string: decimal text, `NaN`, `Infinity` or
/// `-Infinity`.
fn read_float(kind: FieldKind, json: &Json, path: &Path) -> Result<Value, JsonError> {
    let expected = kind.type_name();
    let value = match json {
        Json::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Json::String(s) => match s.as_str() {
            "NaN" => f64::NAN,
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            text => parse_number_text(text)
                .and_then(|n| n.as_f64())
                .ok_or_else(|| invalid(path, expected, json, "not a number"))?,
        },
        other => return Err(wrong_type(path, format!("a {expected} number or string"), other)),
    };
    if kind == FieldKind::Float && value.is_finite() && value.abs() > f64::from(f32::MAX) {
        return Err(invalid(path, expected, json, "out of range"));
    }
    Ok(Value::Float(value))
}

fn read_enum(enum_type: &'static EnumType, json: &Json, path: &Path) -> Result<Value, JsonError> {
    match json {
        Json::String(name) => {
            enum_type.by_name(name).map(Value::Enum).ok_or_else(|| JsonError::UnknownEnumName {
                path: path.render(),
                enum_name: enum_type.name,
                name: name.clone(),
            })
        }
        Json::Number(n) => {
            let number = n.as_i64().or_else(|| {
                n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e18).map(|f| f as i64)
            });
            let Some(number) = number else {
                return Err(invalid(path, "enum number", json, "not an integer"));
            };
            i32::try_from(number)
                .ok()
                .and_then(|n| enum_type.by_number(n))
                .map(Value::Enum)
                .ok_or_else(|| JsonError::UnknownEnumNumber {
                    path: path.render(),
                    enum_name: enum_type.name,
                    number,
                })
        }
        other => Err(wrong_type(path, format!("a {} name or number", enum_type.name), other)),
    }
}

fn read_timestamp(json: &Json, path: &Path) -> Result<Value, JsonError> {
    match json {
        Json::String(text) => time::parse_rfc3339(text)
            .map(Value::Timestamp)
            .map_err(|reason| invalid(path, "Timestamp", json, reason)),
        Json::Object(object) => {
            let mut seconds = 0;
            let mut nanos = 0;
            for (key, value) in object {
                let part = Path::Field(path, key);
                match key.as_str() {
                    "seconds" => {
                        if let Value::Int(i) =
                            read_signed(value, &part, "int64", i64::MIN, i64::MAX)?
                        {
                            seconds = i;
                        }
                    }
                    "nanos" => {
                        if let Value::Int(i) = read_signed(value, &part, "int32", 0, 999_999_999)? {
                            nanos = i;
                        }
                    }
                    _ => {
                        return Err(invalid(
                            path,
                            "Timestamp",
                            json,
                            "unknown key; expected seconds and nanos",
                        ))
                    }
                }
            }
            let timestamp = Timestamp::new(seconds, nanos);
            if !timestamp.is_valid() {
                return Err(invalid(path, "Timestamp", json, time::OUT_OF_RANGE));
            }
            Ok(Value::Timestamp(timestamp))
        }
        other => Err(wrong_type(path, "an RFC 3339 Timestamp string".into(), other)),
    }
}

fn read_duration(text: &str, json: &Json, path: &Path) -> Result<Value, JsonError> {
    let (seconds, nanos) =
        time::parse_duration(text).map_err(|reason| invalid(path, "Duration", json, reason))?;
    let mut message = Message::new();
    message.insert_static("seconds", Value::Int(seconds));
    message.insert_static("nanos", Value::Int(i64::from(nanos)));
    Ok(Value::Message(message))
}

/// Converts JSON without a schema: for `Struct` contents and for fields the schema does not
/// know. Integers become `Int` (or `Uint` above `i64::MAX`), other numbers `Float`.
pub(super) fn untyped(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(u)) => Value::Uint(u),
            _ => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::String(Str::from(s.as_str())),
        Json::Array(items) => Value::List(items.iter().map(untyped).collect()),
        Json::Object(object) => {
            let mut message = Message::new();
            for (key, value) in object {
                message.insert(key, untyped(value));
            }
            Value::Message(message)
        }
    }
}
