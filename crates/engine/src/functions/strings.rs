//! `strings.*`: text functions.

use udm::Value;

use super::{arg_text, Func};
use crate::eval::ops;

pub(super) fn call(func: Func, args: &[Value]) -> Value {
    let s = || arg_text(args, 0);
    match func {
        Func::StringsCoalesce => match args.iter().find(|arg| !ops::text(arg).is_empty()) {
            Some(Value::String(text)) => Value::String(text.clone()),
            Some(other) => Value::from(ops::text(other).as_ref()),
            None => Value::from(""),
        },
        Func::StringsConcat => {
            let mut out = String::new();
            for arg in args {
                out.push_str(&ops::text(arg));
            }
            Value::from(out)
        }
        Func::StringsContains => Value::Bool(s().contains(&*arg_text(args, 1))),
        Func::StringsCountSubstrings => {
            let needle = arg_text(args, 1);
            let count = if needle.is_empty() { 0 } else { s().matches(&*needle).count() };
            Value::Int(count as i64)
        }
        Func::StringsStartsWith => {
            let (value, prefix) = (s(), arg_text(args, 1));
            Value::Bool(!value.is_empty() && !prefix.is_empty() && value.starts_with(&*prefix))
        }
        // An empty value or suffix never matches; a value equal to the suffix does.
        Func::StringsEndsWith => {
            let (value, suffix) = (s(), arg_text(args, 1));
            Value::Bool(!value.is_empty() && !suffix.is_empty() && value.ends_with(&*suffix))
        }
        Func::StringsExtractDomain => Value::from(extract_domain(&s())),
        Func::StringsExtractHostname => Value::from(extract_hostname(&s())),
        Func::StringsBase64Decode => {
            let input = s();
            match base64_decode(&input).and_then(|b| String::from_utf8(b).ok()) {
                Some(decoded) => Value::from(decoded),
                None => Value::from(input.into_owned()),
            }
        }
        Func::StringsFromBase64 => Value::Bytes(base64_decode(&s()).unwrap_or_default()),
        Func::StringsFromHex => Value::Bytes(from_hex(&s()).unwrap_or_default()),
        Func::StringsLength => Value::Int(s().chars().count() as i64),
        Func::StringsLtrim => {
            let cutset = cutset(args);
            Value::from(s().trim_start_matches(|c| cutset.contains(&c)))
        }
        Func::StringsRtrim => {
            let cutset = cutset(args);
            Value::from(s().trim_end_matches(|c| cutset.contains(&c)))
        }
        Func::StringsTrim => {
            let cutset = cutset(args);
            Value::from(s().trim_matches(|c| cutset.contains(&c)))
        }
        Func::StringsReverse => Value::String(s().chars().rev().collect()),
        Func::StringsSplit => {
            let value = s();
            let delim = if args.len() > 1 { arg_text(args, 1) } else { ",".into() };
            let parts: Vec<Value> = if delim.is_empty() {
                value.chars().map(|c| Value::from(c.to_string())).collect()
            } else {
                value.split(&*delim).map(Value::from).collect()
            };
            Value::List(parts)
        }
        Func::StringsToLower => Value::from(s().to_lowercase()),
        Func::StringsToUpper => Value::from(s().to_uppercase()),
        Func::StringsUrlDecode => Value::from(url_decode(&s()).unwrap_or_default()),
        _ => Value::Null,
    }
}

/// The characters to strip; with no cutset argument, whitespace.
///
/// NOTE: Google documents the cutset argument but not the one-argument form; stripping
/// whitespace there is Dragnet's reading.
fn cutset(args: &[Value]) -> Vec<char> {
    if args.len() > 1 {
        arg_text(args, 1).chars().collect()
    } else {
        vec![' ', '\t', '\n', '\r']
    }
}

/// Decodes standard or URL-safe base64, with or without padding.
pub(crate) fn base64_decode(input: &str) -> Option<Vec<u8>> {
    let trimmed = input.trim_end_matches('=');
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in trimmed.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    if trimmed.len() % 4 == 1 {
        return None;
    }
    Some(out)
}

/// Encodes bytes as standard, padded base64.
pub(crate) fn base64_encode(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn from_hex(input: &str) -> Option<Vec<u8>> {
    if !input.len().is_multiple_of(2) {
        return None;
    }
    (0..input.len())
        .step_by(2)
        .map(|i| input.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// Percent-decodes a string; `+` stays `+`. Invalid escapes or UTF-8 return `None`.
fn url_decode(input: &str) -> Option<String> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = input.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The host part of a URL or of text that starts like one.
///
/// The scheme (`http://`, or a bare `mailto:`) is skipped, user info before `@` is dropped, and
/// the host ends at the first `/`, backslash, `?`, `#` or `:`. Text without a scheme is read as
/// if it started with the host, so `"1234"` returns `"1234"`. A backslash ends the host like a
/// slash because Google documents the rule literal `"\\\\"`, two backslashes, as giving `""`.
fn extract_hostname(input: &str) -> &str {
    let rest = match input.find("://") {
        Some(at) => &input[at + 3..],
        None => input,
    };
    let end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = match authority.rfind('@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    if host.starts_with('[') {
        return host.find(']').map_or(host, |close| &host[..=close]);
    }
    match host.find(':') {
        Some(at) => &host[..at],
        None => host,
    }
}

/// Second-level labels under which registrations happen one level deeper (`co.uk`).
const SECOND_LEVEL: &[&str] = &["co", "com", "net", "org", "gov", "edu", "ac", "ne", "or", "go"];

/// The registrable domain of a URL's host.
///
/// NOTE: Dragnet ships no public suffix list. It takes the last two labels of the host, or the
/// last three when the top-level domain is a two-letter country code and the second level is a
/// common public second level such as `co` or `com` (`google.co.in`). Private suffixes and
/// rarer public ones give a different result than Google's. A top-level domain may be any
/// letters, because Google documents `http://例子.卷筒纸.中国` as giving `卷筒纸.中国`.
fn extract_domain(input: &str) -> String {
    let host = extract_hostname(input).trim_end_matches('.').to_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    let Some((tld, rest)) = labels.split_last() else {
        return String::new();
    };
    if rest.is_empty()
        || tld.is_empty()
        || !tld.chars().all(char::is_alphabetic)
        || labels.iter().any(|l| l.is_empty())
    {
        return String::new();
    }
    let keep = match rest.last() {
        Some(second) if tld.len() == 2 && SECOND_LEVEL.contains(second) && rest.len() >= 2 => 3,
        Some(second) if tld.len() == 2 && SECOND_LEVEL.contains(second) => return String::new(),
        _ => 2,
    };
    labels[labels.len() - keep..].join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(func: Func, args: &[&str]) -> Value {
        let args: Vec<Value> = args.iter().map(|a| Value::from(*a)).collect();
        call(func, &args)
    }

    #[test]
    fn coalesce_skips_empty() {
        assert_eq!(run(Func::StringsCoalesce, &["", "b", "c"]), Value::from("b"));
        assert_eq!(run(Func::StringsCoalesce, &["", ""]), Value::from(""));
    }

    #[test]
    fn concat_prints_whole_floats_plainly() {
        let args = [Value::Float(1.0), Value::from("-"), Value::Int(7), Value::Float(2.5)];
        assert_eq!(call(Func::StringsConcat, &args), Value::from("1-72.5"));
    }

    #[test]
    fn count_substrings_is_non_overlapping() {
        assert_eq!(run(Func::StringsCountSubstrings, &["ABABABA", "ABA"]), Value::Int(2));
        assert_eq!(run(Func::StringsCountSubstrings, &["abc", ""]), Value::Int(0));
    }

    #[test]
    fn ends_with_edge_cases() {
        assert_eq!(run(Func::StringsEndsWith, &["str", "str"]), Value::Bool(true));
        assert_eq!(run(Func::StringsEndsWith, &["str", ""]), Value::Bool(false));
        assert_eq!(run(Func::StringsEndsWith, &["", ""]), Value::Bool(false));
    }

    #[test]
    fn hostname_and_domain() {
        assert_eq!(extract_hostname("http://www.google.com"), "www.google.com");
        assert_eq!(extract_hostname("1234"), "1234");
        assert_eq!(extract_hostname("\\\\"), "");
        assert_eq!(extract_hostname("https://u:p@host.example:8443/x"), "host.example");
        assert_eq!(extract_domain("https://google.co.in"), "google.co.in");
        assert_eq!(extract_domain("http://例子.卷筒纸.中国"), "卷筒纸.中国");
        assert_eq!(extract_domain("https://mail.google.com/x"), "google.com");
        assert_eq!(extract_domain("1234"), "");
    }

    #[test]
    fn base64_round_trip() {
        assert_eq!(base64_encode(b"hello"), "aGVsbG8=");
        assert_eq!(base64_decode("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(run(Func::StringsBase64Decode, &["%%%"]), Value::from("%%%"));
    }

    #[test]
    fn url_decode_keeps_plus() {
        assert_eq!(run(Func::StringsUrlDecode, &["a%20b+c"]), Value::from("a b+c"));
        assert_eq!(run(Func::StringsUrlDecode, &["%zz"]), Value::from(""));
    }

    #[test]
    fn trim_with_cutset() {
        assert_eq!(run(Func::StringsTrim, &["xxhixx", "x"]), Value::from("hi"));
        assert_eq!(run(Func::StringsLtrim, &["xxhixx", "x"]), Value::from("hixx"));
        assert_eq!(run(Func::StringsRtrim, &["xxhixx", "x"]), Value::from("xxhi"));
        assert_eq!(run(Func::StringsTrim, &["  hi  "]), Value::from("hi"));
    }

    #[test]
    fn split_defaults_to_comma() {
        let parts = run(Func::StringsSplit, &["a,b"]);
        assert_eq!(parts, Value::List(vec!["a".into(), "b".into()]));
        let chars = run(Func::StringsSplit, &["ab", ""]);
        assert_eq!(chars, Value::List(vec!["a".into(), "b".into()]));
    }
}
