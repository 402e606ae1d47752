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
    let mut scanner = Scanner { text, at: 0 };
    scanner.top_level().unwrap_or(false)
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

/// Nesting beyond which the scanner gives up, well below the 128 levels `serde_json` reads.
const MAX_DEPTH: usize = 64;

/// A JSON syntax check that also reads the keys of the top-level object and of its `metadata`
/// object. Each method returns `None` on text that it does not accept, which includes all text
/// that is not JSON and, to stay simple, a key with an escape at those two levels.
struct Scanner<'t> {
    text: &'t [u8],
    at: usize,
}

impl Scanner<'_> {
    fn top_level(&mut self) -> Option<bool> {
        self.skip_space();
        let mut metadata_keys = 0;
        let mut has_event_type = false;
        let mut wrapper = false;
        self.object(1, |scanner, key| {
            if key.eq_ignore_ascii_case(b"metadata") {
                metadata_keys += 1;
                scanner.skip_space();
                if scanner.peek() == Some(b'{') {
                    let mut found = false;
                    scanner.object(2, |scanner, key| {
                        found |= key == b"event_type" || key == b"eventType";
                        scanner.value(3)
                    })?;
                    has_event_type = found;
                    return Some(());
                }
                has_event_type = false;
                return scanner.value(2);
            }
            wrapper |= matches!(key, b"records" | b"events" | b"value");
            scanner.value(2)
        })?;
        self.skip_space();
        (self.at == self.text.len()).then_some(metadata_keys == 1 && has_event_type && !wrapper)
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.at += 1)
    }

    /// Reads an object at `depth`, handing each key to `entry`, which reads the value. The key
    /// is the text between the quotes, without decoding escapes.
    fn object(
        &mut self,
        depth: usize,
        mut entry: impl FnMut(&mut Self, &[u8]) -> Option<()>,
    ) -> Option<()> {
        self.expect(b'{')?;
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Some(());
        }
        loop {
            self.skip_space();
            let start = self.at + 1;
            let plain = self.string()?;
            // The keys of the top two levels are compared, which an escape would hide.
            if !plain && depth <= 2 {
                return None;
            }
            let key = self.text.get(start..self.at - 1)?;
            self.skip_space();
            self.expect(b':')?;
            self.skip_space();
            entry(self, key)?;
            self.skip_space();
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Reads any value at `depth`.
    fn value(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_space();
        match self.peek()? {
            b'{' => self.object(depth, |scanner, _| scanner.value(depth + 1)),
            b'[' => {
                self.at += 1;
                self.skip_space();
                if self.peek() == Some(b']') {
                    self.at += 1;
                    return Some(());
                }
                loop {
                    self.value(depth + 1)?;
                    self.skip_space();
                    match self.peek()? {
                        b',' => self.at += 1,
                        b']' => {
                            self.at += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => self.string().map(|_| ()),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at + word.len();
        (self.text.get(self.at..end)? == word).then(|| self.at = end)
    }

    /// Reads a string; returns whether it has no escape.
    fn string(&mut self) -> Option<bool> {
        self.expect(b'"')?;
        let mut plain = true;
        loop {
            let rest = self.text.get(self.at..)?;
            self.at += string_stop(rest)?;
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(plain);
                }
                b'\\' => {
                    plain = false;
                    self.at += 1;
                    match self.peek()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 1,
                        b'u' => {
                            let hex = self.text.get(self.at + 1..self.at + 5)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.at += 5;
                        }
                        _ => return None,
                    }
                }
                // A control character, which JSON strings must escape.
                _ => return None,
            }
        }
    }

    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        Some(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
    }
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

/// Returns the offset of the first byte in `text` that ends a run of plain string characters: `"`,
/// `\\` or a control character. It tests eight bytes at a time, since most of a record's
/// bytes are inside strings.
fn string_stop(text: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    /// Marks the high bit of each byte of `word` that is zero. The lowest mark is exact.
    fn zero_bytes(word: u64) -> u64 {
        word.wrapping_sub(ONES) & !word & HIGHS
    }
    let mut chunks = text.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        let quote = zero_bytes(word ^ u64::from_ne_bytes([b'"'; 8]));
        let backslash = zero_bytes(word ^ u64::from_ne_bytes([b'\\'; 8]));
        // A byte below 0x20 borrows when 0x20 is subtracted. Bytes of 0x80 and above, which
        // also set the high bit, are masked out by `!word`.
        let control = word.wrapping_sub(u64::from_ne_bytes([0x20; 8])) & !word & HIGHS;
        let found = quote | backslash | control;
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    let rest = chunks.remainder();
    rest.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).map(|at| offset + at)
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value};

    use super::{is_bare_udm, is_bare_udm_by_serde, string_stop};
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
        // Escaped keys at the top two levels are left to the parser.
        let escaped = r#"{"met\u0061data": {"event_type": "X"}}"#;
        assert!(is_bare_udm_by_serde(escaped.as_bytes()));
        assert!(!is_bare_udm(escaped.as_bytes()));
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

    #[test]
    fn string_stop_finds_the_first_stop_byte() {
        let naive = |text: &[u8]| text.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
        // Every byte value at every position of texts up to 19 bytes, over a background of
        // plain bytes below and above 0x80.
        for len in 0..20 {
            for background in [b'a', 0x7f, 0x80, 0x9f, 0xe9, 0xff, b' '] {
                for at in 0..len {
                    for byte in 0..=255u8 {
                        let mut text = vec![background; len];
                        text[at] = byte;
                        assert_eq!(string_stop(&text), naive(&text), "{text:?}");
                    }
                }
            }
        }
        // Two stops: the first one counts.
        let text = b"abcdefgh\x01ijklmn\"op";
        assert_eq!(string_stop(text), naive(text));
    }
}
