//! Recognising a native UDM record from its JSON text without building a JSON tree.
//!
//! With `--format auto`, a hunt may skip a record whose raw text contains none of the strings
//! the rules require, but only when the record is read as native UDM. Other sources' parsers
//! write UDM fields that the raw text does not contain. [`is_bare_udm`] decides that from the
//! text with one pass that keeps no values, which costs much less than parsing the record.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use udm::json::JsonScanner;

/// Returns whether `text` is one JSON object that `--format auto` reads exactly as
/// `--format udm` does. [`crate::detect`] finds UDM in it, because the object has a single
/// `metadata` key (in any case) whose value is an object with `event_type` or `eventType`.
/// It has no key under which the normalizer looks for other records, which another source's
/// parser then reads: an export wrapper's `records`, `events` or `value`, a Log Analytics
/// response's `tables`, or an audit search row's `AuditData` (in any case).
///
/// Any other text returns false, including text that is not valid JSON or UTF-8, and a
/// `metadata` value that is not an object. Values are checked as `serde_json` reads them
/// (strings must decode, numbers must be finite), so a line that parsing would reject is
/// parsed, and counted as rejected, rather than skipped.
pub fn is_bare_udm(text: &[u8]) -> bool {
    let Some(mut scanner) = JsonScanner::from_utf8(text) else {
        return false;
    };
    let mut metadata_keys = 0;
    let mut has_event_type = false;
    let mut wrapper = false;
    let read = scanner.object(1, |scanner, key| {
        if key.eq_ignore_ascii_case("metadata") {
            metadata_keys += 1;
            if scanner.next_byte() == Some(b'{') {
                let mut found = false;
                scanner.object(2, |scanner, key| {
                    found |= key == "event_type" || key == "eventType";
                    scanner.skip_value(3)
                })?;
                has_event_type = found;
                return Some(());
            }
            has_event_type = false;
            return scanner.skip_value(2);
        }
        wrapper |= is_wrapper_key(&key);
        scanner.skip_value(2)
    });
    read.is_some() && scanner.at_end() && metadata_keys == 1 && has_event_type && !wrapper
}

/// Returns whether a top-level key makes the normalizer read other records inside the object
/// (see [`is_bare_udm`]).
fn is_wrapper_key(key: &str) -> bool {
    matches!(key, "records" | "events" | "value" | "tables")
        || key.eq_ignore_ascii_case("AuditData")
}

/// Runs the same test through `serde_json`. Where [`is_bare_udm`]'s own scanner returns true,
/// this must too; tests and fuzzing compare the two.
#[doc(hidden)]
pub fn is_bare_udm_by_serde(text: &[u8]) -> bool {
    if std::str::from_utf8(text).is_err() {
        return false;
    }
    serde_json::from_slice::<TopLevel>(text).is_ok_and(|top| top.is_bare_udm)
}

/// The result of reading the top-level object.
struct TopLevel {
    is_bare_udm: bool,
}

/// An object key, classified without copying it. `metadata` is compared in any case, as
/// [`crate::detect`] compares it, and the other names exactly.
enum Key {
    Metadata,
    /// A key under which the normalizer looks for other records; see [`is_wrapper_key`].
    Wrapper,
    /// `event_type` or `eventType`.
    EventType,
    Other,
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(if key.eq_ignore_ascii_case("metadata") {
            Key::Metadata
        } else if is_wrapper_key(key) {
            Key::Wrapper
        } else if matches!(key, "event_type" | "eventType") {
            Key::EventType
        } else {
            Key::Other
        })
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct TopLevelVisitor;

impl<'de> Visitor<'de> for TopLevelVisitor {
    type Value = TopLevel;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopLevel, A::Error> {
        let mut metadata_keys = 0;
        let mut has_event_type = false;
        let mut wrapper = false;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Metadata => {
                    metadata_keys += 1;
                    has_event_type = map.next_value::<Metadata>()?.has_event_type;
                }
                Key::Wrapper => {
                    wrapper = true;
                    map.next_value::<IgnoredAny>()?;
                }
                Key::EventType | Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(TopLevel { is_bare_udm: metadata_keys == 1 && has_event_type && !wrapper })
    }
}

impl<'de> Deserialize<'de> for TopLevel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TopLevel, D::Error> {
        deserializer.deserialize_any(TopLevelVisitor)
    }
}

/// The result of reading the `metadata` object: whether it has `event_type` or `eventType`.
struct Metadata {
    has_event_type: bool,
}

struct MetadataVisitor;

impl<'de> Visitor<'de> for MetadataVisitor {
    type Value = Metadata;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Metadata, A::Error> {
        let mut has_event_type = false;
        while let Some(key) = map.next_key::<Key>()? {
            has_event_type |= matches!(key, Key::EventType);
            map.next_value::<IgnoredAny>()?;
        }
        Ok(Metadata { has_event_type })
    }
}

impl<'de> Deserialize<'de> for Metadata {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Metadata, D::Error> {
        deserializer.deserialize_any(MetadataVisitor)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value};

    use super::{is_bare_udm, is_bare_udm_by_serde};
    use crate::{detect, Format};

    fn detected(text: &str) -> Option<Format> {
        serde_json::from_str::<Map<String, Value>>(text).ok().and_then(|obj| detect(&obj))
    }

    #[test]
    fn bare_udm_records() {
        let cases = [
            r#"{"metadata": {"event_type": "USER_LOGIN"}}"#,
            r#"{"metadata": {"eventType": "USER_LOGIN", "logType": "OKTA"}, "principal": {}}"#,
            r#"{"Metadata": {"event_type": "USER_LOGIN"}, "x": [1, {"y": null}]}"#,
            r#"{"udm": {}, "metadata": {"event_type": null}}"#,
        ];
        for text in cases {
            assert!(is_bare_udm(text.as_bytes()), "{text}");
            assert_eq!(detected(text), Some(Format::Udm), "{text}");
        }
    }

    #[test]
    fn other_records_are_not_bare_udm() {
        let cases = [
            // Other sources, export wrappers and records without an event type.
            r#"{"eventType": "user.session.start", "actor": {}, "uuid": "1"}"#,
            r#"{"metadata": {"log_type": "OKTA"}}"#,
            r#"{"metadata": "USER_LOGIN"}"#,
            r#"{"metadata": {"event_type": "X"}, "records": []}"#,
            r#"{"metadata": {"event_type": "X"}, "events": []}"#,
            r#"{"metadata": {"event_type": "X"}, "value": []}"#,
            // Keys under which the normalizer reads another source's records.
            r#"{"metadata": {"event_type": "X"}, "tables": []}"#,
            r#"{"metadata": {"event_type": "X"}, "AuditData": {}}"#,
            r#"{"metadata": {"event_type": "X"}, "auditdata": "{}"}"#,
            r#"{"metadata": {"event_type": "X"}, "METADATA": {"event_type": "X"}}"#,
            r#"{"metadata": {"EVENT_TYPE": "X"}}"#,
            r#"[{"metadata": {"event_type": "X"}}]"#,
            "3",
            // Text that does not parse.
            r#"{"metadata": {"event_type": "X"}"#,
            r#"{"metadata": {"event_type": "X"}} trailing"#,
            r#"{"metadata": {"event_type": "X"}, "a": tru}"#,
        ];
        for text in cases {
            assert!(!is_bare_udm(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn invalid_utf8_is_not_bare_udm() {
        let mut text = br#"{"metadata": {"event_type": "X"}, "a": ""#.to_vec();
        text.extend_from_slice(&[0xff, b'"', b'}']);
        assert!(!is_bare_udm(&text));
    }

    #[test]
    fn values_parsing_rejects_are_not_bare_udm() {
        let cases = [
            r#"{"metadata": {"event_type": "X"}, "a": 1e400}"#,
            r#"{"metadata": {"event_type": "X"}, "a": [-1e999]}"#,
            r#"{"metadata": {"event_type": "X"}, "a": "\ud800"}"#,
            r#"{"metadata": {"event_type": "X"}, "a": {"\udfff": 1}}"#,
        ];
        for text in cases {
            assert!(serde_json::from_str::<Value>(text).is_err(), "{text}");
            assert!(!is_bare_udm(text.as_bytes()), "{text}");
        }
        let finite = r#"{"metadata": {"event_type": "X"}, "a": [1e300, -0, 0.5, "\ud83d\ude00"]}"#;
        assert!(is_bare_udm(finite.as_bytes()));
    }

    #[test]
    fn scanner_rejects_what_serde_rejects() {
        let cases = [
            r#"{"metadata": {"event_type": "X"}, "a": 01}"#,
            r#"{"metadata": {"event_type": "X"}, "a": 1.}"#,
            r#"{"metadata": {"event_type": "X"}, "a": -}"#,
            r#"{"metadata": {"event_type": "X"}, "a": 1e}"#,
            r#"{"metadata": {"event_type": "X"}, "a": "\x"}"#,
            r#"{"metadata": {"event_type": "X"}, "a": "\u12g4"}"#,
            "{\"metadata\": {\"event_type\": \"X\"}, \"a\": \"\t\"}",
            r#"{"metadata": {"event_type": "X"}, "a": [1,]}"#,
            r#"{"metadata": {"event_type": "X"}, "a": {"b": 1,}}"#,
            r#"{"metadata": {"event_type": "X"},}"#,
            r#"{"metadata": {"event_type": "X"} "a": 1}"#,
            r#"{"metadata": {"event_type": "X"}, "a": nul}"#,
        ];
        for text in cases {
            assert!(!is_bare_udm_by_serde(text.as_bytes()), "{text}");
            assert!(!is_bare_udm(text.as_bytes()), "{text}");
        }
        // Keys are compared decoded, as the parser compares them.
        let escaped = r#"{"met\u0061data": {"event\u005ftype": "X"}}"#;
        assert!(is_bare_udm_by_serde(escaped.as_bytes()));
        assert!(is_bare_udm(escaped.as_bytes()));
    }

    #[test]
    fn edited_records_judged_as_serde() {
        // Skipped values nest objects and arrays in each other, empty and not, with every
        // kind of scalar, so that an edit can break any rule of the syntax.
        let seeds = [
            r#"{"metadata":{"event_type":"X","a":[]},"b":{"c":[1,{"d":[[],{}]},"e\u00e9"],"f":{}},"g":[true,false,null,-1.5e3]}"#,
            r#" { "x" : [ { "y" : [ 0 , "\"" ] } , [ ] ] , "metadata" : { "eventType" : { "z" : [ null ] } } } "#,
        ];
        let edits = ["{", "}", "[", "]", ",", ":", "\"", " ", "0", "-", "e", "n", "\\"];
        let mut bare = 0;
        let mut tried = 0;
        for seed in seeds {
            assert!(is_bare_udm(seed.as_bytes()), "{seed}");
            for at in 0..seed.len() {
                let (head, tail) = seed.split_at(at);
                let mut edited = vec![format!("{head}{}", &tail[1..])];
                for edit in edits {
                    edited.push(format!("{head}{edit}{tail}"));
                    edited.push(format!("{head}{edit}{}", &tail[1..]));
                }
                for text in edited {
                    tried += 1;
                    let judged = is_bare_udm(text.as_bytes());
                    assert_eq!(judged, is_bare_udm_by_serde(text.as_bytes()), "{text}");
                    bare += usize::from(judged);
                }
            }
        }
        // Edits that keep the syntax, such as spaces and digits, leave many records valid.
        assert!(bare > tried / 10, "{bare} of {tried} edited records are bare UDM");
    }

    #[test]
    fn deep_values_left_to_parser() {
        // The scanner reads values nested up to 100 levels, counting the top-level object as
        // the first. It leaves deeper text to the parser, which reports what it cannot read.
        let nested = |levels: usize| {
            let value = format!("{}{}", "[".repeat(levels), "]".repeat(levels));
            format!(r#"{{"metadata":{{"event_type":"X"}},"a":{value}}}"#)
        };
        assert!(is_bare_udm(nested(99).as_bytes()));
        assert!(!is_bare_udm(nested(100).as_bytes()));
        assert!(is_bare_udm_by_serde(nested(100).as_bytes()));
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let key = prop_oneof![
            Just("metadata"),
            Just("Metadata"),
            Just("event_type"),
            Just("eventType"),
            Just("records"),
            Just("events"),
            Just("value"),
            Just("tables"),
            Just("AuditData"),
            Just("a b"),
            Just("ü"),
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            "[ -~\\u{80}-\\u{10ffff}]{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(5, 40, 5, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((key.clone(), inner), 0..5).prop_map(|entries| {
                    Value::Object(entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                }),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn scanner_agrees_with_serde(value in json_value(), pretty in proptest::bool::ANY) {
            let text = if pretty {
                serde_json::to_string_pretty(&value).unwrap_or_default()
            } else {
                value.to_string()
            };
            proptest::prop_assert_eq!(
                is_bare_udm(text.as_bytes()),
                is_bare_udm_by_serde(text.as_bytes()),
                "{}",
                text
            );
        }
    }
}
