//! RE2 syntax that the `regex` crate does not read, rewritten into an equivalent form.
//!
//! The rule checker validates patterns with `regex-syntax`, and the engine and reference lists
//! compile them with `regex`. Both call [`expand_literal_quotes`] first, so that a pattern the
//! checker accepts is the same pattern the matcher compiles.

use std::borrow::Cow;

/// Replaces each RE2 `\Q...\E` quote with its text, every metacharacter escaped.
///
/// RE2's `doc/syntax.txt` defines `\Q...\E` as the literal text `...`, punctuation included.
/// RE2's parser (`re2/parse.cc`) ends the text at the first `\E`, or at the end of the pattern
/// when there is none, and reads a backslash inside it as literal, so `\Qa\\E` is the text
/// `a\`. It handles `\Q` only outside a character class. Inside brackets `\Q` is an invalid
/// escape, so it is left unchanged for the parser to reject. `\\Q` is an escaped backslash
/// followed by `Q`.
pub fn expand_literal_quotes(pattern: &str) -> Cow<'_, str> {
    if !pattern.contains(r"\Q") {
        return Cow::Borrowed(pattern);
    }
    let bytes = pattern.as_bytes();
    let mut expanded = String::with_capacity(pattern.len() + 16);
    // Start of the pattern text not yet copied to `expanded`.
    let mut copied = 0;
    let mut index = 0;
    let mut in_class = false;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'\\' if !in_class && bytes.get(index + 1) == Some(&b'Q') => {
                expanded.push_str(&pattern[copied..index]);
                let text_start = index + 2;
                let (text, after) = match pattern[text_start..].find(r"\E") {
                    Some(length) => {
                        (&pattern[text_start..text_start + length], text_start + length + 2)
                    }
                    None => (&pattern[text_start..], pattern.len()),
                };
                regex_syntax::escape_into(text, &mut expanded);
                copied = after;
                index = after;
                continue;
            }
            // Any other escape is skipped as the backslash and the byte after it. The rest of
            // a longer escape, such as `\x{41}` or `\p{Greek}`, contains no `\`, `[` or `]`.
            b'\\' => {
                index += 2;
                continue;
            }
            b'[' if !in_class => {
                in_class = true;
                index += 1;
                // RE2 reads a `]` right after `[` or `[^` as a member, not as the end.
                if bytes.get(index) == Some(&b'^') {
                    index += 1;
                }
                if bytes.get(index) == Some(&b']') {
                    index += 1;
                }
                continue;
            }
            // A named class such as `[:alpha:]` inside brackets ends at its own `:]`.
            b'[' if bytes.get(index + 1) == Some(&b':') => {
                if let Some(length) = pattern[index + 2..].find(":]") {
                    index += 2 + length + 2;
                    continue;
                }
            }
            b']' => in_class = false,
            _ => {}
        }
        index += 1;
    }
    if copied == 0 {
        return Cow::Borrowed(pattern);
    }
    expanded.push_str(&pattern[copied..]);
    Cow::Owned(expanded)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pattern and expected rewrite.
    const CASES: &[(&str, &str)] = &[
        (r"^\Qa.b*\E$", r"^a\.b\*$"),
        (r"\Q(a|b)\E+", r"\(a\|b\)+"),
        (r"x\Q[y]{2}", r"x\[y\]\{2\}"),
        (r"\Qa\\E", r"a\\"),
        (r"\Q\E", ""),
        (r"\Q\Qa\E", r"\\Qa"),
        (r"\Q\d\E\d", r"\\d\d"),
        (r"\Q\1\E", r"\\1"),
        (r"\Q(?=x)\E", r"\(\?=x\)"),
        (r"\Qé ü\E", "é ü"),
        (r"a\Q.\Eb\Q.\E", r"a\.b\."),
        (r"\\Q.\E", r"\\Q.\E"),
        (r"[\Q]", r"[\Q]"),
        (r"[]\Q]\Q.", r"[]\Q]\."),
        (r"[^]\Q]", r"[^]\Q]"),
        (r"[[:alpha:]\Q]\Q.", r"[[:alpha:]\Q]\."),
        (r"[a]\Q]\E", r"[a]\]"),
        (r"\x{51}\Q.", r"\x{51}\."),
        ("plain", "plain"),
    ];

    #[test]
    fn expand_literal_quotes_cases() {
        for &(pattern, expected) in CASES {
            assert_eq!(expand_literal_quotes(pattern), expected, "pattern {pattern}");
        }
    }

    #[test]
    fn pattern_without_quote_borrowed() {
        assert!(matches!(expand_literal_quotes(r"a\.b"), Cow::Borrowed(_)));
        assert!(matches!(expand_literal_quotes(r"[\Q]"), Cow::Borrowed(_)));
    }
}
