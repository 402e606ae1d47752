//! Recognising a native UDM record from its JSON text without building a JSON tree.
//!
//! With `--format auto`, a hunt may skip a record whose raw text contains none of the strings
//! the rules require, but only when the record is read as native UDM. Other sources' parsers
//! write UDM fields that the raw text does not contain. [`is_bare_udm`] decides that from the
//! text with one pass that keeps no values, which costs much less than parsing the record.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

/// Returns whether `text` is one JSON object that `--format auto` reads exactly as
/// `--format udm` does. [`crate::detect`] finds UDM in it, because the object has a single
/// `metadata` key (in any case) whose value is an object with `event_type` or `eventType`.
/// It has no key that makes it an export wrapper (`records`, `events`, `value`).
///
/// Any other text returns false, including text that is not valid JSON or UTF-8, and a
/// `metadata` value that is not an object.
///
/// NOTE: the pass checks JSON syntax but not that every number fits an `f64`, so a UDM line
/// with a number such as `1e400` passes although parsing rejects it. Such a line is then
/// counted as not parsed, as it is with `--format udm`, rather than as rejected.
pub fn is_bare_udm(text: &[u8]) -> bool {
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
    /// `records`, `events` or `value`: a key of an export wrapper.
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
        } else if matches!(key, "records" | "events" | "value") {
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

    use super::is_bare_udm;
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
    fn out_of_range_number_passes() {
        let text = r#"{"metadata": {"event_type": "X"}, "a": 1e400}"#;
        assert!(serde_json::from_str::<Value>(text).is_err());
        assert!(is_bare_udm(text.as_bytes()));
    }
}
