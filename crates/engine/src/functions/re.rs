//! `re.*`: RE2-style regular expressions through the `regex` crate.
//!
//! Matching is unanchored (a search), `.` does not match a line break unless the pattern sets
//! `(?s)`, and `nocase` compiles the pattern with `(?i)`. The `regex` crate guarantees linear
//! time like RE2 and rejects the same backreference and look-around constructs.

use std::borrow::Cow;

use regex::Regex;
use udm::Value;

use super::{arg_text, Func};

/// Compiles a pattern, with `(?i)` when `nocase` is set.
///
/// Escapes follow RE2: `\0` and `\012` are octal, a lone `\1`..`\9` is a back-reference and
/// rejected, as reference lists read them too.
pub(crate) fn compile(pattern: &str, nocase: bool) -> Result<Regex, regex::Error> {
    enrich::compile_re2(pattern, nocase)
}

pub(super) fn call(func: Func, args: &[Value], nocase: bool, regex: Option<&Regex>) -> Value {
    let compiled;
    let regex = match regex {
        Some(r) => r,
        None => match compile(&arg_text(args, 1), nocase) {
            Ok(r) => {
                compiled = r;
                &compiled
            }
            // A pattern computed at run time that does not compile matches nothing.
            Err(_) => return fallback(func, args),
        },
    };
    let s = arg_text(args, 0);
    match func {
        Func::ReRegex => Value::Bool(regex.is_match(&s)),
        Func::ReCapture => Value::from(capture(regex, &s)),
        Func::ReCaptureAll => Value::List(
            regex
                .captures_iter(&s)
                .map(|c| {
                    let m = if regex.captures_len() > 1 { c.get(1) } else { c.get(0) };
                    Value::from(m.map_or("", |m| m.as_str()))
                })
                .collect(),
        ),
        Func::ReReplace => {
            let replacement_text = arg_text(args, 2);
            let replacement = translate_replacement(&replacement_text);
            Value::from(regex.replace_all(&s, replacement.as_ref()).into_owned())
        }
        _ => Value::Null,
    }
}

fn fallback(func: Func, args: &[Value]) -> Value {
    match func {
        Func::ReRegex => Value::Bool(false),
        Func::ReCaptureAll => Value::List(Vec::new()),
        Func::ReReplace => Value::from(arg_text(args, 0).into_owned()),
        _ => Value::from(""),
    }
}

/// The first match: its only capture group when the pattern has one, else the whole match.
fn capture<'s>(regex: &Regex, s: &'s str) -> &'s str {
    let Some(caps) = regex.captures(s) else {
        return "";
    };
    let m = if regex.captures_len() > 1 { caps.get(1) } else { caps.get(0) };
    m.map_or("", |m| m.as_str())
}

/// Rewrites a YARA-L replacement (`\1` for group 1, `\0` for the whole match, `\\` for a
/// backslash) into the `regex` crate's syntax (`${1}`, with `$` escaped as `$$`).
fn translate_replacement(replacement: &str) -> Cow<'_, str> {
    if !replacement.contains(['\\', '$']) {
        return Cow::Borrowed(replacement);
    }
    let mut out = String::with_capacity(replacement.len() + 4);
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.peek() {
                Some(d) if d.is_ascii_digit() => {
                    out.push_str("${");
                    out.push(*d);
                    out.push('}');
                    chars.next();
                }
                Some('\\') => {
                    out.push('\\');
                    chars.next();
                }
                _ => out.push('\\'),
            },
            other => out.push(other),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(func: Func, args: &[&str]) -> Value {
        let args: Vec<Value> = args.iter().map(|a| Value::from(*a)).collect();
        call(func, &args, false, None)
    }

    #[test]
    fn regex_is_unanchored() {
        assert_eq!(run(Func::ReRegex, &["xx-abc-yy", "abc"]), Value::Bool(true));
        assert_eq!(run(Func::ReRegex, &["xx-abc-yy", "^abc$"]), Value::Bool(false));
    }

    #[test]
    fn capture_group_or_whole() {
        assert_eq!(run(Func::ReCapture, &["user=bob;", "user=([a-z]+)"]), Value::from("bob"));
        assert_eq!(run(Func::ReCapture, &["id 42", "[0-9]+"]), Value::from("42"));
        assert_eq!(run(Func::ReCapture, &["none", "[0-9]+"]), Value::from(""));
    }

    #[test]
    fn replace_all_with_groups() {
        assert_eq!(run(Func::ReReplace, &["banana", "ana", "111"]), Value::from("b111na"));
        assert_eq!(run(Func::ReReplace, &["a-b", "(a)-(b)", "\\2+\\1"]), Value::from("b+a"));
        assert_eq!(run(Func::ReReplace, &["ab", "", "-"]), Value::from("-a-b-"));
        assert_eq!(run(Func::ReReplace, &["cost", "cost", "$5"]), Value::from("$5"));
    }

    #[test]
    fn capture_all_lists_matches() {
        let found = run(Func::ReCaptureAll, &["a1b22c333", "[0-9]+"]);
        assert_eq!(found, Value::List(vec!["1".into(), "22".into(), "333".into()]));
    }

    #[test]
    fn nocase_folds() {
        let args = [Value::from("ADMIN"), Value::from("admin")];
        assert_eq!(call(Func::ReRegex, &args, true, None), Value::Bool(true));
    }
}
