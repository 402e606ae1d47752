//! Compiled regular expressions of one list, matched as a set.

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

/// Upper bound for the compiled size of one list's combined pattern set. Larger than the regex
/// crate's default of 10 MiB because a set of a few thousand Unicode-aware patterns can pass
/// it. A list that does not fit is matched pattern by pattern instead.
const SET_SIZE_LIMIT: usize = 256 * 1024 * 1024;

/// The patterns of one list, compiled for `is_match` on any of them.
#[derive(Debug, Clone)]
pub(crate) enum PatternSet {
    /// All patterns in one automaton.
    Combined(RegexSet),
    /// Patterns one by one, used when the combined set is too large to compile.
    Separate(Vec<Regex>),
}

impl PatternSet {
    /// Compiles the patterns that are valid RE2-style regular expressions and skips the others.
    /// The patterns are unanchored, so each matches anywhere in a value.
    pub fn compile<'a>(patterns: impl Iterator<Item = &'a str>, nocase: bool) -> PatternSet {
        let valid: Vec<Regex> =
            patterns.filter_map(|pattern| compile_one(pattern, nocase).ok()).collect();

        let combined = RegexSetBuilder::new(valid.iter().map(Regex::as_str))
            .case_insensitive(nocase)
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

/// Compiles one pattern, returning the compiler's message when it is invalid.
pub(crate) fn compile_one(pattern: &str, nocase: bool) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).case_insensitive(nocase).build()
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
