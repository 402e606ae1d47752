//! A byte scanner for the common case of a UDM JSON line, the first reader that
//! [`super::event_from_slice`] tries.
//!
//! It walks the text once, as the serde reader of `slice.rs` does, and keeps the same fields,
//! but reads keys, strings and skipped values itself instead of through `serde_json`'s visitor
//! calls. It gives up, returning `None`, on anything that it does not read exactly as that
//! reader does: invalid JSON, a repeated key, a lone surrogate escape, nesting deeper than
//! [`MAX_DEPTH`] and any value that a field's type rejects. The serde reader then reads the
//! line and decides. Numbers and bools, whether a field's value or an array's element, are
//! parsed by `serde_json` from their text, and they and bytes are converted by the tree reader's
//! own functions.

use std::borrow::Cow;

use serde_json::Value as Json;

use super::read::{read_single, Path};
use super::slice::{same_key, Fields, Node, NOTHING};
use super::time;
use crate::schema::{FieldDef, FieldKind, MessageType};
use crate::value::{Message, Value};
use crate::Str;

/// Nesting beyond which the scanner gives up, below the 128 levels that `serde_json` reads.
const MAX_DEPTH: usize = 100;

/// Reads a message of type `message` that is the whole of `text` (apart from whitespace),
/// keeping the fields that `shape` names.
pub(super) fn read_message(
    text: &str,
    message: &'static MessageType,
    shape: &Node,
) -> Option<Message> {
    let (fields, decoded) = SCRATCH.with(|scratch| scratch.take());
    let mut scanner = JsonScanner { text, at: 0, fields, decoded };
    scanner.skip_space();
    let root = scanner.message(message, shape, 1);
    let read = root.filter(|_| scanner.at_end());
    // A line that the scanner stops reading partway can leave fields in the buffer.
    scanner.fields.clear();
    SCRATCH.with(|scratch| scratch.set((scanner.fields, scanner.decoded)));
    read
}

thread_local! {
    /// The field and string buffers of [`read_message`] on this thread, reused so that each
    /// line does not grow its own from empty.
    static SCRATCH: std::cell::Cell<(Fields, String)> =
        const { std::cell::Cell::new((Vec::new(), String::new())) };
}

/// A JSON reader over one line of text: the event reader of this module, and a syntax check
/// for readers that look at a few keys of an object and only check the rest
/// ([`JsonScanner::object`], [`JsonScanner::skip_value`]). Every method returns `None` on text
/// that `serde_json` would not read the same way.
pub struct JsonScanner<'t> {
    text: &'t str,
    at: usize,
    /// The fields of the messages being read, innermost last, as in the serde reader.
    fields: Fields,
    /// The buffer that strings with escapes are decoded into, kept from string to string so
    /// that each decoded string is copied out once at its final length instead of being
    /// regrown while it is decoded.
    decoded: String,
}

impl<'t> JsonScanner<'t> {
    /// Starts at the beginning of `text`.
    pub fn new(text: &'t str) -> JsonScanner<'t> {
        JsonScanner { text, at: 0, fields: Vec::new(), decoded: String::new() }
    }

    /// Starts at the beginning of `bytes`, or returns `None` when they are not UTF-8.
    pub fn from_utf8(bytes: &'t [u8]) -> Option<JsonScanner<'t>> {
        utf8_text(bytes).map(JsonScanner::new)
    }

    /// Reads an object at nesting `depth` (1 for the top level), handing each decoded key to
    /// `entry`, which must read the key's value.
    pub fn object(
        &mut self,
        depth: usize,
        entry: impl FnMut(&mut Self, Cow<'t, str>) -> Option<()>,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_space();
        self.expect(b'{')?;
        self.object_entries(entry)
    }

    /// Checks the value at nesting `depth` without keeping it: strings must decode and numbers
    /// must be finite.
    pub fn skip_value(&mut self, depth: usize) -> Option<()> {
        self.skip_space();
        self.skip(depth)
    }

    /// Returns the first byte of the next value, after any whitespace.
    pub fn next_byte(&mut self) -> Option<u8> {
        self.skip_space();
        self.peek()
    }

    /// Returns whether only whitespace is left.
    pub fn at_end(&mut self) -> bool {
        self.skip_space();
        self.at == self.text.len()
    }

    fn bytes(&self) -> &'t [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.at += 1)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at + word.len();
        (self.bytes().get(self.at..end)? == word).then(|| self.at = end)
    }

    /// Reads a message's object, keeping the fields `shape` names. Mirrors the serde reader's
    /// `MessageSeed`: a field read but not kept, or `null`, takes part in the check for
    /// repeated keys and is then dropped.
    fn message(
        &mut self,
        message: &'static MessageType,
        shape: &Node,
        depth: usize,
    ) -> Option<Message> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.expect(b'{')?;
        let start = self.fields.len();
        self.entries(message, shape, depth, start)?;
        let kept = self.fields[start..].iter().filter(|(_, value)| value.is_some()).count();
        let mut own = Vec::with_capacity(kept);
        own.extend(self.fields.drain(start..).filter_map(|(name, value)| Some((name, value?))));
        Some(Message::from_fields(own))
    }

    /// Reads an object's entries, after its `{`, onto `self.fields`.
    fn entries(
        &mut self,
        message: &'static MessageType,
        shape: &Node,
        depth: usize,
        start: usize,
    ) -> Option<()> {
        self.object_entries(|scanner, key| {
            let (name, value) = match message.field(&key) {
                Some(field) => {
                    let kept = shape.child_field(field);
                    let inner = kept.unwrap_or(&NOTHING);
                    let value = scanner.field(field, inner, kept.is_some(), depth)?;
                    (Cow::Borrowed(field.name), value.filter(|_| kept.is_some()))
                }
                None if shape.all || shape.unknown => {
                    (Cow::Owned(key.into_owned()), Some(scanner.untyped(depth + 1)?))
                }
                None => {
                    scanner.skip(depth + 1)?;
                    (Cow::Owned(key.into_owned()), None)
                }
            };
            if scanner.fields[start..].iter().any(|(other, _)| same_key(other, &name)) {
                return None;
            }
            scanner.fields.push((name, value));
            Some(())
        })
    }

    /// Reads the value of a known field of the message at `depth`, or `Some(None)` for `null`.
    fn field(
        &mut self,
        field: &'static FieldDef,
        shape: &Node,
        keep: bool,
        depth: usize,
    ) -> Option<Option<Value>> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(None);
        }
        let kind = field.kind();
        if !field.repeated {
            return self.single(kind, shape, keep, depth + 1).map(Some);
        }
        match kind {
            FieldKind::Message(message) => {
                let mut values = Vec::new();
                self.array(depth + 1, |scanner| {
                    let element = scanner.message(message, shape, depth + 2)?;
                    values.push(Value::Message(element));
                    Some(())
                })?;
                Some(Some(Value::List(values)))
            }
            // The tree reader reads each element of other repeated fields as a single value of
            // the field's type, and so does this.
            _ => {
                let mut values = Vec::new();
                self.array(depth + 1, |scanner| {
                    let value = scanner.single(kind, shape, keep, depth + 2)?;
                    if keep {
                        values.push(value);
                    }
                    Some(())
                })?;
                Some(Some(if keep { Value::List(values) } else { Value::Null }))
            }
        }
    }

    /// Reads one value of a field's type at `depth`: the value of a field that is not repeated
    /// and not `null`, or an element of a repeated one.
    // Most values of a line pass through here, and as a call it costs more than inline.
    #[inline(always)]
    fn single(&mut self, kind: FieldKind, shape: &Node, keep: bool, depth: usize) -> Option<Value> {
        match self.peek()? {
            // A string that is not kept is only checked, not decoded, because any text is a
            // valid `string`.
            b'"' if !keep && matches!(kind, FieldKind::String) => {
                self.skip_string().map(|()| Value::Null)
            }
            b'"' => {
                let text = self.string()?;
                match kind {
                    FieldKind::String => Some(Value::String(Str::from(&*text))),
                    FieldKind::Enum(enum_type) => enum_type.by_name(&text).map(Value::Enum),
                    FieldKind::Timestamp => time::parse_rfc3339(&text).ok().map(Value::Timestamp),
                    _ => read_single(kind, &Json::String(text.into_owned()), &Path::Root).ok(),
                }
            }
            b'{' => match kind {
                FieldKind::Message(message) if message.name != "Duration" => {
                    self.message(message, shape, depth).map(Value::Message)
                }
                FieldKind::Struct => self.untyped(depth),
                _ => self.converted(kind, depth),
            },
            _ => self.converted(kind, depth),
        }
    }

    /// Reads a value through `serde_json` and the tree reader's conversion for `kind`.
    fn converted(&mut self, kind: FieldKind, depth: usize) -> Option<Value> {
        let json = self.json(depth)?;
        read_single(kind, &json, &Path::Root).ok()
    }

    /// Parses the value at `depth` as a `serde_json::Value`.
    fn json(&mut self, depth: usize) -> Option<Json> {
        let start = self.at;
        self.skip(depth)?;
        serde_json::from_str(&self.text[start..self.at]).ok()
    }

    /// Reads any value as the serde reader's `Untyped` does: objects become messages, in which
    /// a repeated key replaces the earlier value in place.
    fn untyped(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => {
                self.at += 1;
                let mut message = Message::new();
                self.object_entries(|scanner, key| {
                    let value = scanner.untyped(depth + 1)?;
                    message.insert_owned(key.into_owned(), value);
                    Some(())
                })?;
                Some(Value::Message(message))
            }
            b'[' => {
                let mut items = Vec::new();
                self.array(depth, |scanner| {
                    items.push(scanner.untyped(depth + 1)?);
                    Some(())
                })?;
                Some(Value::List(items))
            }
            b'"' => Some(Value::String(Str::from(&*self.string()?))),
            b't' => self.literal(b"true").map(|()| Value::Bool(true)),
            b'f' => self.literal(b"false").map(|()| Value::Bool(false)),
            b'n' => self.literal(b"null").map(|()| Value::Null),
            _ => {
                let start = self.at;
                let simple = self.number()?;
                let text = &self.text[start..self.at];
                if simple {
                    return text.parse().ok().map(Value::Int);
                }
                let number = serde_json::from_str::<serde_json::Number>(text).ok()?;
                if let Some(value) = number.as_i64() {
                    Some(Value::Int(value))
                } else if let Some(value) = number.as_u64() {
                    Some(Value::Uint(value))
                } else {
                    number.as_f64().map(Value::Float)
                }
            }
        }
    }

    /// Checks a value that is not kept as `serde_json` would read it: strings must decode,
    /// numbers must be finite.
    fn skip(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => {
                self.at += 1;
                self.object_entries(|scanner, _| scanner.skip(depth + 1))
            }
            b'[' => self.array(depth, |scanner| scanner.skip(depth + 1)),
            b'"' => self.skip_string(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => {
                let start = self.at;
                if self.number()? {
                    return Some(());
                }
                let text = &self.text[start..self.at];
                serde_json::from_str::<serde_json::Number>(text).ok().map(drop)
            }
        }
    }

    /// Reads an object's entries after its `{`, handing each decoded key to `entry`, which
    /// reads the value.
    fn object_entries(
        &mut self,
        mut entry: impl FnMut(&mut Self, Cow<'t, str>) -> Option<()>,
    ) -> Option<()> {
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Some(());
        }
        loop {
            self.skip_space();
            let key = self.string()?;
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

    /// Reads an array at `depth`, calling `element` at the start of each element.
    fn array(
        &mut self,
        depth: usize,
        mut element: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.expect(b'[')?;
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Some(());
        }
        loop {
            self.skip_space();
            element(self)?;
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

    /// Reads a number's syntax. Returns true for a non-negative integer of at most 18 digits,
    /// which fits an `i64` and which `serde_json` reads as that integer, and false for any
    /// other valid number, which only `serde_json` can tell to be finite.
    fn number(&mut self) -> Option<bool> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        let mut simple = !negative && self.at - start <= 18;
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
            simple = false;
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
            simple = false;
        }
        Some(simple)
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
    }

    /// Reads a string and returns its text, borrowed from the line unless it has escapes.
    // Inlined, so that the common string without escapes costs no call. The rest is in
    // `string_with_escapes`.
    #[inline(always)]
    fn string(&mut self) -> Option<Cow<'t, str>> {
        self.expect(b'"')?;
        let start = self.at;
        self.at = string_stop(self.bytes(), self.at);
        if self.peek()? == b'"' {
            let text = &self.text[start..self.at];
            self.at += 1;
            return Some(Cow::Borrowed(text));
        }
        self.string_with_escapes(start).map(Cow::Owned)
    }

    /// Decodes the rest of a string that starts at `start`, after its quote, and that does not
    /// end at `self.at`.
    #[inline(never)]
    fn string_with_escapes(&mut self, start: usize) -> Option<String> {
        // Anything but a backslash is a control character, which JSON strings must escape.
        if self.peek()? != b'\\' {
            return None;
        }
        let mut decoded = std::mem::take(&mut self.decoded);
        decoded.clear();
        decoded.push_str(&self.text[start..self.at]);
        let read = self.escaped(Some(&mut decoded));
        let text = read.map(|()| decoded.as_str().to_owned());
        self.decoded = decoded;
        text
    }

    /// Checks a string as [`JsonScanner::string`] reads it, without decoding it.
    // Inlined, as `string` is, because skipped values are mostly strings.
    #[inline(always)]
    fn skip_string(&mut self) -> Option<()> {
        self.expect(b'"')?;
        self.at = string_stop(self.bytes(), self.at);
        if self.peek() == Some(b'"') {
            self.at += 1;
            return Some(());
        }
        self.escaped(None)
    }

    /// Decodes the rest of a string, from its first escape or closing quote, onto `out` when
    /// given.
    fn escaped(&mut self, mut out: Option<&mut String>) -> Option<()> {
        loop {
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                b'\\' => {
                    self.at += 1;
                    let escape = self.peek()?;
                    self.at += 1;
                    let decoded = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    };
                    if let Some(out) = out.as_deref_mut() {
                        out.push(decoded);
                    }
                }
                // A control character.
                byte if byte < 0x20 => return None,
                _ => {
                    let start = self.at;
                    self.at = string_stop(self.bytes(), self.at);
                    if let Some(out) = out.as_deref_mut() {
                        out.push_str(&self.text[start..self.at]);
                    }
                }
            }
        }
    }

    /// Decodes a `\u` escape after its `u`, with the low half that must follow a high
    /// surrogate. A lone surrogate gives up, as `serde_json` rejects it.
    fn unicode_escape(&mut self) -> Option<char> {
        let high = self.hex4()?;
        if !(0xD800..0xDC00).contains(&high) {
            return char::from_u32(high);
        }
        self.literal(b"\\u")?;
        let low = self.hex4()?;
        if !(0xDC00..0xE000).contains(&low) {
            return None;
        }
        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes().get(self.at..self.at + 4)?;
        let mut value = 0;
        for &digit in digits {
            value = value * 16 + char::from(digit).to_digit(16)?;
        }
        self.at += 4;
        Some(value)
    }
}

/// Returns `bytes` as text, or `None` when they are not UTF-8, as `std::str::from_utf8` does.
/// Most records are all ASCII, which this confirms first: on the bench's 400-byte lines, in
/// under half the instructions that `from_utf8` takes (counted with callgrind).
pub(super) fn utf8_text(bytes: &[u8]) -> Option<&str> {
    if is_ascii(bytes) {
        // SAFETY: ASCII text is UTF-8.
        return Some(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).ok()
}

/// Returns whether every byte of `bytes` is below 0x80, testing sixteen bytes at a time with
/// SSE2. The standard library's `<[u8]>::is_ascii` made the single bench rule run about 2 %
/// more instructions (callgrind, first 60,000 bench lines).
#[cfg(target_arch = "x86_64")]
fn is_ascii(bytes: &[u8]) -> bool {
    use std::arch::x86_64::{_mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_setzero_si128};
    let Some(last) = bytes.len().checked_sub(16) else {
        return bytes.is_ascii();
    };
    let mut chunks = bytes.chunks_exact(16);
    // SAFETY: SSE2 is part of x86-64. Each unaligned load reads 16 bytes of `bytes`: a chunk,
    // or the last 16 bytes, which cover the chunks' remainder.
    let high_bits = unsafe {
        let mut any = _mm_setzero_si128();
        for chunk in &mut chunks {
            any = _mm_or_si128(any, _mm_loadu_si128(chunk.as_ptr().cast()));
        }
        if !chunks.remainder().is_empty() {
            any = _mm_or_si128(any, _mm_loadu_si128(bytes.as_ptr().add(last).cast()));
        }
        _mm_movemask_epi8(any)
    };
    high_bits == 0
}

#[cfg(not(target_arch = "x86_64"))]
fn is_ascii(bytes: &[u8]) -> bool {
    bytes.is_ascii()
}

/// Returns the position of the first byte from `at` that ends a run of plain JSON string
/// characters (`"`, `\` or a control character), or the length of `bytes` when there is none.
/// Most of a record's bytes are inside strings, so it tests sixteen bytes at a time with SSE2,
/// which every x86-64 processor has, and the last few bytes eight at a time.
#[cfg(target_arch = "x86_64")]
// Inlined, because most strings are short: the call cost 2 % of the single bench rule's
// instructions (callgrind, first 60,000 bench lines).
#[inline(always)]
fn string_stop(bytes: &[u8], mut at: usize) -> usize {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    while let Some(chunk) = bytes.get(at..at + 16) {
        // SAFETY: SSE2 is part of x86-64, and the unaligned load reads the 16 bytes of
        // `chunk`.
        let mask = unsafe {
            let word = _mm_loadu_si128(chunk.as_ptr().cast());
            let quote = _mm_cmpeq_epi8(word, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(word, _mm_set1_epi8(b'\\' as i8));
            // A byte is below 0x20 exactly when its unsigned minimum with 0x1f is itself.
            let control = _mm_cmpeq_epi8(_mm_min_epu8(word, _mm_set1_epi8(0x1f)), word);
            _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control))
        };
        if mask != 0 {
            return at + mask.trailing_zeros() as usize;
        }
        at += 16;
    }
    string_stop_by_words(bytes, at)
}

#[cfg(not(target_arch = "x86_64"))]
fn string_stop(bytes: &[u8], at: usize) -> usize {
    string_stop_by_words(bytes, at)
}

/// [`string_stop`] eight bytes at a time, in plain integer arithmetic.
fn string_stop_by_words(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    /// Marks the high bit of each byte of `word` that is zero. The lowest mark is exact,
    /// since a false mark only arises above a true one.
    fn zero_bytes(word: u64) -> u64 {
        word.wrapping_sub(ONES) & !word & HIGHS
    }
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let quote = zero_bytes(word ^ u64::from_ne_bytes([b'"'; 8]));
        let backslash = zero_bytes(word ^ u64::from_ne_bytes([b'\\'; 8]));
        // A byte below 0x20 borrows when 0x20 is subtracted. Bytes of 0x80 and above, which
        // also set the high bit, are masked out by `!word`.
        let control = word.wrapping_sub(u64::from_ne_bytes([0x20; 8])) & !word & HIGHS;
        let found = quote | backslash | control;
        if found != 0 {
            return at + found.trailing_zeros() as usize / 8;
        }
        at += 8;
    }
    while bytes.get(at).is_some_and(|&b| !matches!(b, b'"' | b'\\' | 0..=0x1f)) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::{is_ascii, read_message, string_stop, string_stop_by_words, utf8_text};
    use crate::json::slice::{read_event_by_serde, Node, Projection, ALL};
    use crate::schema;
    use crate::Event;

    /// UDM lines with the values the scanner reads itself (escapes in kept and skipped
    /// strings, surrogate pairs, raw non-ASCII text, nested unknown keys, a `Struct`) and
    /// the values it hands to `serde_json` (numbers of every form, bools, a duration).
    const LINES: [&str; 3] = [
        r#"{"metadata":{"eventTimestamp":"2025-06-10T00:00:00.431Z","eventType":"USER_RESOURCE_ACCESS","logType":"SALESFORCE","productEventType":"RestApi"},"principal":{"user":{"userid":"a\"b\\c\u00e9\ud83d\ude00","emailAddresses":["x@y.z","é€"]},"ip":["198.51.100.49"],"port":443},"target":{"application":"Sales\/force","process":{"commandLine":"C:\\Windows\\cmd.exe\t/c"}},"additional":{"fields":{"RowsProcessed":"167","n":-12,"f":1.5e3,"big":18446744073709551616,"z":-0,"l":[true,null,{"k":"v"}]}}}"#,
        r#" { "metadata" : { "event_type" : "USER_LOGIN" , "event_timestamp" : "2025-06-10T10:00:00Z" } , "security_result" : [ { "action" : [ "ALLOW" ] , "risk_score" : 0.5 } , { "rule_name" : "r\n" } ] , "network" : { "session_duration" : "1.5s" , "received_bytes" : "1234" , "http" : { "response_code" : 200 } } , "zzz" : { "a" : [ 1 , 2.5 , "x\u0000" , null ] } } "#,
        r#"{"metadata":{"eventType":"NETWORK_HTTP","eventTimestamp":"2025-06-10T00:00:02.592Z","description":null},"principal":{"user":{"userid":"user00029@northwind.example"},"ip":["198.51.100.34"],"asset":{"hostname":"h","ip":[]}},"target":{"url":"https://graph.microsoft.com/v1.0/users/u/messages?$top=10&x=\u0026"},"extensions":{"auth":{"type":"SSO"}},"about":[{"labels":[{"key":"k","value":"v"}]}]}"#,
    ];

    /// The bytes written into the lines: JSON structure, escape letters, number parts,
    /// a control character and a non-ASCII character.
    const EDITS: [&str; 12] = ["\"", "\\", "{", "}", "[", "]", ",", ":", "u", "e", "\u{1}", "é"];

    fn shapes() -> Vec<Projection> {
        let path = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        vec![
            Projection::new([
                path(&["principal", "user", "userid"]),
                path(&["principal", "ip"]),
                path(&["additional", "fields"]),
                path(&["metadata", "product_event_type"]),
                path(&["security_result", "action"]),
            ]),
            Projection::new(Vec::<Vec<String>>::new()),
        ]
    }

    /// Reads `text` with the scanner, and checks that whatever it reads the serde reader reads
    /// the same. Returns whether the scanner read it.
    fn agrees(text: &str, shape: &Node) -> bool {
        let Some(root) = read_message(text, schema::event(), shape) else {
            return false;
        };
        assert_eq!(Some(Event::from_message(root)), read_event_by_serde(text, shape), "{text}");
        true
    }

    #[test]
    fn reads_common_lines_itself() {
        let shapes = shapes();
        for line in LINES {
            assert!(agrees(line, &ALL), "{line}");
            for shape in &shapes {
                assert!(agrees(line, shape.root()), "{line}");
            }
        }
    }

    #[test]
    fn edited_lines_read_as_serde_reads_them() {
        let shapes = shapes();
        let mut read = 0;
        let mut tried = 0;
        for line in LINES {
            for at in 0..=line.len() {
                if !line.is_char_boundary(at) {
                    continue;
                }
                let rest = &line[at..];
                let next = rest.chars().next().map_or(0, char::len_utf8);
                let mut edited = vec![format!("{}{}", &line[..at], &rest[next..])];
                for edit in EDITS {
                    edited.push(format!("{}{edit}{rest}", &line[..at]));
                    edited.push(format!("{}{edit}{}", &line[..at], &rest[next..]));
                }
                for text in &edited {
                    tried += 1;
                    read += usize::from(agrees(text, &ALL));
                    read += usize::from(agrees(text, shapes[0].root()));
                }
            }
        }
        // Edits inside strings leave most lines valid, so the scanner reads many of them.
        assert!(read > tried / 4, "the scanner read {read} of {tried} edited lines twice");
    }

    #[test]
    fn repeated_scalars_match_serde() {
        let event =
            |body: &str| format!(r#"{{"metadata":{{"eventType":"GENERIC_EVENT"}},{body}}}"#);
        let valid = [
            r#""securityResult":[{"action":["ALLOW",2,"BLOCK",1.0],"category":[]}]"#,
            r#""securityResult":[{"action":[ "QUARANTINE" , 0 ]}]"#,
            r#""metadata2":1,"securityResult":[{"category":["NETWORK_MALICIOUS"]}]"#,
            r#""extensions":{"auth":{"mechanism":["USERNAME_PASSWORD",1]}}"#,
            r#""src":{"user":{"userid":"u"}},"about":[{"labels":[]}]"#,
        ];
        let invalid = [
            r#""securityResult":[{"action":["NOPE"]}]"#,
            r#""securityResult":[{"action":[4242]}]"#,
            r#""securityResult":[{"action":[null]}]"#,
            r#""securityResult":[{"action":[["ALLOW"]]}]"#,
            r#""securityResult":[{"action":[{"a":1}]}]"#,
            r#""securityResult":[{"action":"ALLOW"}]"#,
            r#""securityResult":[{"action":[1.5]}]"#,
            r#""securityResult":[{"action":[true]}]"#,
            r#""securityResult":[{"action":["ALLOW",]}]"#,
        ];
        // Bytes, the other repeated scalar type that events contain, are base64 text.
        let tags = |tenant_ids: &str| {
            format!(
                r#"{{"metadata":{{"eventType":"GENERIC_EVENT","tags":{{"tenantId":{tenant_ids}}}}}}}"#
            )
        };
        let shapes = shapes();
        for text in [tags(r#"["AAEC","/w=="]"#), tags("[]")] {
            assert!(agrees(&text, &ALL), "{text}");
            assert!(agrees(&text, shapes[1].root()), "{text}");
        }
        for text in [tags(r#"["$$"]"#), tags("[1]"), tags(r#""AAEC""#)] {
            assert!(read_event_by_serde(&text, &ALL).is_none(), "{text}");
            assert!(!agrees(&text, &ALL), "{text}");
            assert!(!agrees(&text, shapes[1].root()), "{text}");
        }
        for body in valid {
            let text = event(body);
            assert!(agrees(&text, &ALL), "{text}");
            for shape in &shapes {
                assert!(agrees(&text, shape.root()), "{text}");
            }
        }
        for body in invalid {
            let text = event(body);
            assert!(read_event_by_serde(&text, &ALL).is_none(), "{text}");
            assert!(!agrees(&text, &ALL), "{text}");
            for shape in &shapes {
                assert!(!agrees(&text, shape.root()), "{text}");
            }
        }
    }

    #[test]
    fn escaped_strings_decode_independently() {
        // Escaped strings of falling length, in keys and values, so that each one is decoded
        // into the buffer that the one before it used.
        let line = r#"{"metadata":{"eventTimestamp":"2025-06-10T00:00:00Z","eventType":"PROCESS_LAUNCH","description":"C:\\Windows\\System32\\svchost.exe"},"principal":{"hostname":"h\u00e9","user":{"userid":"a\\b"}},"k\u0065y":{"\"":"\t"}}"#;
        let event = read_message(line, schema::event(), &ALL).map(Event::from_message);
        let event = event.expect("the scanner reads the line");
        let text = |path: &str| event.get(path).and_then(|value| value.as_str().map(str::to_owned));
        let description = text("metadata.description");
        assert_eq!(description.as_deref(), Some(r"C:\Windows\System32\svchost.exe"));
        assert_eq!(text("principal.hostname").as_deref(), Some("hé"));
        assert_eq!(text("principal.user.userid").as_deref(), Some(r"a\b"));
        let unknown = event.root.get("key").and_then(|value| value.as_message());
        assert_eq!(unknown.and_then(|m| m.get("\"")).and_then(|v| v.as_str()), Some("\t"));
        assert!(agrees(line, &ALL));
        for shape in &shapes() {
            assert!(agrees(line, shape.root()));
        }
    }

    #[test]
    fn utf8_text_matches_std() {
        // Every byte value at every position of texts up to 39 bytes, in ASCII text, and in
        // text with a valid two-byte character at either end.
        for len in 0..40 {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut text = vec![b'a'; len];
                    text[at] = byte;
                    assert_eq!(utf8_text(&text), std::str::from_utf8(&text).ok(), "{text:?}");
                    let mut framed = "é".as_bytes().to_vec();
                    framed.extend_from_slice(&text);
                    framed.extend_from_slice("é".as_bytes());
                    assert_eq!(utf8_text(&framed), std::str::from_utf8(&framed).ok());
                    assert_eq!(is_ascii(&text), text.is_ascii(), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn string_stop_finds_first_stop_byte() {
        let naive = |text: &[u8]| {
            text.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).unwrap_or(text.len())
        };
        // Every byte value at every position of texts up to 39 bytes, over a background of
        // plain bytes below and above 0x80.
        for len in 0..40 {
            for background in [b'a', 0x7f, 0x80, 0x9f, 0xe9, 0xff, b' '] {
                for at in 0..len {
                    for byte in 0..=255u8 {
                        let mut text = vec![background; len];
                        text[at] = byte;
                        assert_eq!(string_stop(&text, 0), naive(&text), "{text:?}");
                        assert_eq!(string_stop_by_words(&text, 0), naive(&text), "{text:?}");
                    }
                }
            }
        }
        // Two stops: the first one counts, from any start.
        let text = b"abcdefgh\x01ijklmn\"op";
        for start in 0..text.len() {
            assert_eq!(string_stop(text, start), start + naive(&text[start..]));
        }
    }
}
