//! Compiled regular expressions of one list, matched as one alternation.

use regex::{Regex, RegexBuilder};
use yaral::re2::expand_literal_quotes;

use super::perl_classes::ascii_perl_classes;

/// Upper bound for the compiled size of one list's combined patterns. Larger than the regex
/// crate's default of 10 MiB because a set of a few thousand Unicode-aware patterns can pass
/// it. A list that does not fit is matched pattern by pattern instead.
const SET_SIZE_LIMIT: usize = 256 * 1024 * 1024;

/// The patterns of one list, compiled for `is_match` on any of them.
#[derive(Debug, Clone)]
pub(crate) enum PatternSet {
    /// All patterns as the branches of one alternation. Asking whether any pattern matches
    /// needs no set: one regex gets the regex crate's literal prefilters (such as a common
    /// prefix of every pattern), which a `RegexSet` does not use.
    Combined(Regex),
    /// Patterns one by one, used when the combined set is too large to compile.
    Separate(Vec<Regex>),
}

impl PatternSet {
    /// Compiles the patterns that are valid RE2-style regular expressions and skips the others.
    /// The patterns are unanchored, so each matches anywhere in a value.
    pub fn compile<'a>(patterns: impl Iterator<Item = &'a str>, nocase: bool) -> PatternSet {
        let valid: Vec<Regex> =
            patterns.filter_map(|pattern| compile_one(pattern, nocase).ok()).collect();

        if valid.is_empty() {
            return PatternSet::Separate(valid);
        }
        // Each branch keeps its own inline flags inside its group.
        let branches: Vec<String> = valid.iter().map(|r| format!("(?:{})", r.as_str())).collect();
        let combined = RegexBuilder::new(&branches.join("|"))
            .case_insensitive(nocase)
            .octal(true)
            .size_limit(SET_SIZE_LIMIT)
            .build();
        match combined {
            Ok(set) => PatternSet::Combined(set),
            Err(_) => PatternSet::Separate(valid),
        }
    }

    /// Whether any pattern matches somewhere in `value`.
    pub fn is_match(&self, value: &str) -> bool {
        match self {
            PatternSet::Combined(set) => set.is_match(value),
            PatternSet::Separate(regexes) => regexes.iter().any(|regex| regex.is_match(value)),
        }
    }
}

/// Compiles one pattern with RE2's escapes, returning the compiler's message when it is
/// invalid. RE2 reads `\0`, `\012` and `\12` as octal escapes, so octal is on, but it rejects a
/// lone `\1`..`\9` as a back-reference, which the regex crate would read as octal. The Perl
/// classes `\d`, `\s`, `\w` and the boundaries `\b`, `\B` are ASCII-only, as in RE2. A
/// `\Q...\E` quote is literal text, expanded as the rule checker does.
pub fn compile_one(pattern: &str, nocase: bool) -> Result<Regex, regex::Error> {
    let pattern = expand_literal_quotes(pattern);
    if let Some(escape) = back_reference(&pattern) {
        return Err(regex::Error::Syntax(format!(
            "error: back-references such as `{escape}` are not supported by RE2"
        )));
    }
    RegexBuilder::new(&ascii_perl_classes(&pattern)).case_insensitive(nocase).octal(true).build()
}

/// Finds the first escape outside a character class that RE2 reads as a back-reference:
/// `\1` to `\7` without an octal digit after it, or `\8` and `\9`. Escapes inside a class
/// are left to the regex crate, as the rule compiler does.
fn back_reference(pattern: &str) -> Option<&str> {
    let bytes = pattern.as_bytes();
    let mut index = 0;
    let mut in_class = false;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'\\' => {
                let next = bytes.get(index + 1).copied().unwrap_or(0);
                let octal_follows = bytes.get(index + 2).is_some_and(|b| (b'0'..=b'7').contains(b));
                let octal = (b'1'..=b'7').contains(&next) && octal_follows;
                if !in_class && next.is_ascii_digit() && next != b'0' && !octal {
                    return pattern.get(index..index + 2);
                }
                index += 2;
                continue;
            }
            b'[' => in_class = true,
            b']' => in_class = false,
            _ => {}
        }
        index += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_patterns_skipped() {
        let set = PatternSet::compile(["(unclosed", "ok$"].into_iter(), false);
        assert!(set.is_match("is ok"));
        assert!(!set.is_match("(unclosed"));
    }

    #[test]
    fn inline_flags_stay_in_their_pattern() {
        let set = PatternSet::compile(["(?i)abc", "XYZ", "^start", "end$"].into_iter(), false);
        assert!(set.is_match("ABC"));
        assert!(set.is_match("..XYZ.."));
        assert!(!set.is_match("xyz"));
        assert!(set.is_match("start here"));
        assert!(!set.is_match("a start"));
        assert!(set.is_match("the end"));
        assert!(!set.is_match("end."));
        let empty = PatternSet::compile(["(unclosed"].into_iter(), false);
        assert!(!empty.is_match(""));
        assert!(!empty.is_match("anything"));
    }

    #[test]
    fn octal_escapes_as_in_re2() {
        let nul = compile_one("a\\0b", false).expect("`\\0` is an octal escape");
        assert!(nul.is_match("a\0b"));
        let newline = compile_one("a\\012b", false).expect("`\\012` is an octal escape");
        assert!(newline.is_match("a\nb"));
        for pattern in ["(a)\\1", "\\8", "x\\9"] {
            let error = compile_one(pattern, false).expect_err(pattern);
            assert!(error.to_string().contains("back-references"), "{pattern}: {error}");
        }
    }

    #[test]
    fn literal_quotes_match_as_text() {
        let quoted = compile_one(r"^\Qa.b*\E$", false).expect("quoted text");
        assert!(quoted.is_match("a.b*"));
        assert!(!quoted.is_match("axbbb"));

        let unclosed = compile_one(r"x\Q(y", false).expect("an unclosed quote runs to the end");
        assert!(unclosed.is_match("x(y"));

        let trailing_backslash = compile_one(r"^\Qa\\E$", false).expect("`\\` inside a quote");
        assert!(trailing_backslash.is_match(r"a\"));

        let escaped_backslash = compile_one(r"^\\Q$", false).expect("`\\\\Q` is no quote");
        assert!(escaped_backslash.is_match(r"\Q"));

        let class_text = compile_one(r"^\Q\d\E\d$", false).expect("quoted `\\d`");
        assert!(class_text.is_match(r"\d7"));
        assert!(!class_text.is_match("77"));

        let digit_text =
            compile_one(r"^\Q\1\E$", false).expect("a quoted `\\1` is no back-reference");
        assert!(digit_text.is_match(r"\1"));

        let ascii_word = compile_one(r"^\Q.\E\w$", false).expect("a class after a quote");
        assert!(ascii_word.is_match(".a"));
        assert!(!ascii_word.is_match(".é"));

        let nocase = compile_one(r"^\QA.B\E$", true).expect("quoted text without case");
        assert!(nocase.is_match("a.b"));
        assert!(!nocase.is_match("axb"));
    }

    #[test]
    fn literal_quote_in_class_rejected() {
        let error = compile_one(r"[\Q.]", false).expect_err("`\\Q` inside brackets");
        assert!(error.to_string().contains("escape"), "{error}");
    }

    #[test]
    fn set_matches_quoted_text() {
        let set = PatternSet::compile([r"^\Qops.admin\E$", r"\Q[prod]"].into_iter(), false);
        assert!(set.is_match("ops.admin"));
        assert!(!set.is_match("opsXadmin"));
        assert!(set.is_match("web[prod]"));
        assert!(!set.is_match("webp"));
    }

    #[test]
    fn empty_set_matches_nothing() {
        let set = PatternSet::compile(std::iter::empty(), false);
        assert!(!set.is_match(""));
        assert!(!set.is_match("anything"));
    }

    #[test]
    fn separate_patterns_match_like_combined() {
        let separate = PatternSet::Separate(vec![compile_one("^a+b$", false).unwrap()]);
        assert!(separate.is_match("aab"));
        assert!(!separate.is_match("aabc"));
    }
}
