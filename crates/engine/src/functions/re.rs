//! `re.*`: RE2-style regular expressions through the `regex` crate.
//!
//! Matching is unanchored (a search), `.` does not match a line break unless the pattern sets
//! `(?s)`, and `nocase` compiles the pattern with `(?i)`. The `regex` crate guarantees linear
//! time like RE2 and rejects the same backreference and look-around constructs.

use std::borrow::Cow;
use std::cell::RefCell;

use regex::Regex;
use udm::Value;

use super::{arg_text, Func};
use crate::fast_hash::HashMap;

/// The number of patterns computed at run time that each thread keeps compiled, after which
/// it empties its cache. A row join such as `re.regex($e.host, %table.pattern)` reads each
/// row's pattern again for every event and window. Compiling it each time made a debug build
/// on two cores join 2,000 events with a 200-row table in 6 minutes, and the cache cuts that
/// to 3 seconds. A compiled pattern takes about 30 KB (measured with 4,000 patterns such as
/// `(?i)^(www\.)?host-1\.(example|test)\.com$`), so the cache takes up to about 30 MB.
// NOTE: a column with more distinct patterns than this empties the cache over and over, and
// its patterns are compiled for nearly every row again.
const RUNTIME_PATTERN_CACHE: usize = 1024;

thread_local! {
    /// Patterns computed at run time, compiled, or `None` when invalid. The first map is for
    /// patterns without `nocase`, the second for those with it.
    static RUNTIME_PATTERNS: RefCell<[HashMap<Box<str>, Option<Regex>>; 2]> =
        RefCell::new([HashMap::default(), HashMap::default()]);
}

/// Compiles a pattern, with `(?i)` when `nocase` is set.
///
/// Escapes follow RE2: `\0` and `\012` are octal, a lone `\1`..`\9` is a back-reference and
/// rejected, as reference lists read them too.
pub(crate) fn compile(pattern: &str, nocase: bool) -> Result<Regex, regex::Error> {
    enrich::compile_re2(pattern, nocase)
}

/// Compiles a pattern computed at run time, or takes it from this thread's cache. Returns
/// `None` when the pattern does not compile.
fn compile_at_run_time(pattern: &str, nocase: bool) -> Option<Regex> {
    RUNTIME_PATTERNS.with(|cache| {
        let mut caches = cache.borrow_mut();
        let cache = &mut caches[usize::from(nocase)];
        if let Some(found) = cache.get(pattern) {
            return found.clone();
        }
        if cache.len() >= RUNTIME_PATTERN_CACHE {
            cache.clear();
        }
        let compiled = compile(pattern, nocase).ok();
        cache.insert(pattern.into(), compiled.clone());
        compiled
    })
}

pub(super) fn call(func: Func, args: &[Value], nocase: bool, regex: Option<&Regex>) -> Value {
    let compiled;
    let regex = match regex {
        Some(r) => r,
        None => match compile_at_run_time(&arg_text(args, 1), nocase) {
            Some(r) => {
                compiled = r;
                &compiled
            }
            // A pattern computed at run time that does not compile matches nothing.
            None => return fallback(func, args),
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

    #[test]
    fn runtime_patterns_cached_per_case() {
        let args = [Value::from("ADMIN"), Value::from("admin")];
        assert_eq!(call(Func::ReRegex, &args, false, None), Value::Bool(false));
        assert_eq!(call(Func::ReRegex, &args, true, None), Value::Bool(true));
        assert_eq!(call(Func::ReRegex, &args, false, None), Value::Bool(false));
        let invalid = [Value::from("(x"), Value::from("(x")];
        assert_eq!(call(Func::ReRegex, &invalid, false, None), Value::Bool(false));
        assert_eq!(call(Func::ReRegex, &invalid, false, None), Value::Bool(false));
        let cached = RUNTIME_PATTERNS.with(|cache| cache.borrow()[0].contains_key("admin"));
        assert!(cached);
    }

    #[test]
    fn runtime_pattern_cache_is_bounded() {
        for index in 0..=RUNTIME_PATTERN_CACHE {
            let args = [Value::from("x"), Value::from(format!("p{index}"))];
            call(Func::ReRegex, &args, false, None);
        }
        let size = RUNTIME_PATTERNS.with(|cache| cache.borrow()[0].len());
        assert!(size <= RUNTIME_PATTERN_CACHE, "{size}");
    }
}
