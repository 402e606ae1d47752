//! Case-insensitive access to a JSON record that remembers which keys a parser read, so that
//! every key it did not map can go to `additional.fields`.

use serde_json::{Map, Value};
use udm::Event;

use crate::build;

/// Returns the value of `name` in `obj`, matching the exact key first and then any key that
/// differs only in ASCII case.
pub(crate) fn get_ci<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

/// One JSON object being mapped, with the keys read so far.
pub(crate) struct Fields<'a> {
    obj: &'a Map<String, Value>,
    prefix: String,
    used: Vec<&'a str>,
}

impl<'a> Fields<'a> {
    /// Wraps a top-level record.
    pub(crate) fn new(obj: &'a Map<String, Value>) -> Fields<'a> {
        Fields { obj, prefix: String::new(), used: Vec::new() }
    }

    fn key_of(&self, name: &str) -> Option<&'a str> {
        if let Some((k, _)) = self.obj.get_key_value(name) {
            return Some(k.as_str());
        }
        self.obj.keys().find(|k| k.eq_ignore_ascii_case(name)).map(String::as_str)
    }

    /// Returns the value of `name` without marking it read; `null` reads as absent.
    pub(crate) fn peek(&self, name: &str) -> Option<&'a Value> {
        let key = self.key_of(name)?;
        self.obj.get(key).filter(|v| !v.is_null())
    }

    /// Returns the value of `name` and marks it read; `null` reads as absent.
    pub(crate) fn get(&mut self, name: &str) -> Option<&'a Value> {
        let key = self.key_of(name)?;
        self.used.push(key);
        self.obj.get(key).filter(|v| !v.is_null())
    }

    /// Marks `name` read without using its value.
    pub(crate) fn skip(&mut self, name: &str) {
        if let Some(key) = self.key_of(name) {
            self.used.push(key);
        }
    }

    /// Returns `name` as text: strings as they are (trimmed, empty reads as absent), numbers
    /// and booleans in their JSON spelling. Marks the key read only when it returns a value,
    /// so arrays and objects stay for `additional.fields`.
    pub(crate) fn text(&mut self, name: &str) -> Option<String> {
        let value = scalar_text(self.peek(name)?)?;
        self.skip(name);
        Some(value)
    }

    /// Returns `name` as text without marking it read.
    pub(crate) fn peek_text(&self, name: &str) -> Option<String> {
        scalar_text(self.peek(name)?)
    }

    /// Returns the nested object `name` as its own [`Fields`], marking the key read here; the
    /// child reports its own unread keys under `name.`.
    pub(crate) fn object(&mut self, name: &str) -> Option<Fields<'a>> {
        let key = self.key_of(name)?;
        let Some(Value::Object(inner)) = self.obj.get(key) else { return None };
        self.used.push(key);
        Some(Fields { obj: inner, prefix: format!("{}{}.", self.prefix, key), used: Vec::new() })
    }

    /// Returns the array `name`, marking it read.
    pub(crate) fn array(&mut self, name: &str) -> Option<&'a [Value]> {
        match self.peek(name)? {
            Value::Array(items) => {
                self.skip(name);
                Some(items)
            }
            _ => None,
        }
    }

    /// Every key and value of the object, in record order.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&'a str, &'a Value)> {
        self.obj.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Marks every key of the object read.
    pub(crate) fn mark_all_read(&mut self) {
        self.used.extend(self.obj.keys().map(String::as_str));
    }

    /// Marks every key that `other`, a second view of the same object, has read.
    pub(crate) fn mark_read_from(&mut self, other: &Fields<'a>) {
        self.used.extend(other.used.iter().copied());
    }

    /// Writes every key not read into the event's `additional.fields`: scalars as text, nested
    /// objects flattened with dotted keys, arrays as compact JSON text.
    pub(crate) fn finish(self, event: &mut Event) {
        for (key, value) in self.obj {
            if self.used.contains(&key.as_str()) {
                continue;
            }
            flatten_into(event, &format!("{}{}", self.prefix, key), value);
        }
    }
}

/// Writes `value` under `key` into `additional.fields`, flattening objects with dotted keys.
pub(crate) fn flatten_into(event: &mut Event, key: &str, value: &Value) {
    match value {
        Value::Null => {}
        Value::Object(inner) => {
            for (k, v) in inner {
                flatten_into(event, &format!("{key}.{k}"), v);
            }
        }
        Value::Array(items) if items.is_empty() => {}
        Value::Array(_) => build::additional(event, key, &value.to_string()),
        Value::String(s) if s.is_empty() => {}
        Value::String(s) => build::additional(event, key, s),
        other => build::additional(event, key, &other.to_string()),
    }
}

/// Returns a scalar as text: trimmed strings (empty reads as `None`), numbers and booleans.
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_owned())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
