//! RE2's ASCII meaning of the Perl classes `\d`, `\s`, `\w` and the word boundaries `\b`, `\B`.
//!
//! RE2 defines `\d` as `[0-9]`, `\s` as `[\t\n\f\r ]`, `\w` as `[0-9A-Za-z_]`, and `\b` as a
//! boundary between a `\w` and a `\W` character (RE2's `doc/syntax.txt`). The `regex` crate
//! reads the same escapes as Unicode classes in its default mode, so `\d` would match `١`
//! and `\w` would match `é`. Turning Unicode off for the whole pattern is no way out, because
//! `.` and `(?i)` must stay Unicode-aware as in RE2. So the pattern is rewritten, escape by
//! escape, into explicit ASCII classes before it is compiled.

use std::borrow::Cow;

use regex_syntax::ast::{
    self, parse::ParserBuilder, Assertion, AssertionKind, Ast, ClassPerl, ClassPerlKind,
    ClassSetItem, Span, Visitor,
};

/// Rewrites the Perl classes and word boundaries of an RE2 pattern into their ASCII forms.
///
/// A pattern that does not parse is returned unchanged, so that compiling it reports the
/// parser's error at the position the user wrote.
pub(crate) fn ascii_perl_classes(pattern: &str) -> Cow<'_, str> {
    if !pattern.contains('\\') {
        return Cow::Borrowed(pattern);
    }
    let Ok(parsed) = ParserBuilder::new().octal(true).build().parse(pattern) else {
        return Cow::Borrowed(pattern);
    };
    let Ok(mut edits) = ast::visit(&parsed, EscapeFinder::default()) else {
        return Cow::Borrowed(pattern);
    };
    if edits.is_empty() {
        return Cow::Borrowed(pattern);
    }
    // Splice from the end so that the earlier byte offsets stay valid.
    edits.sort_by_key(|edit| std::cmp::Reverse(edit.span.start.offset));
    let mut rewritten = pattern.to_owned();
    for edit in edits {
        rewritten.replace_range(edit.span.start.offset..edit.span.end.offset, edit.text);
    }
    Cow::Owned(rewritten)
}

/// One escape to replace: its place in the pattern and its ASCII form.
struct Edit {
    span: Span,
    text: &'static str,
}

/// Collects the escapes that need an ASCII form, each with the form that fits its position.
#[derive(Default)]
struct EscapeFinder {
    edits: Vec<Edit>,
}

impl Visitor for EscapeFinder {
    type Output = Vec<Edit>;
    type Err = ();

    fn finish(self) -> Result<Vec<Edit>, ()> {
        Ok(self.edits)
    }

    fn visit_pre(&mut self, node: &Ast) -> Result<(), ()> {
        match node {
            Ast::ClassPerl(class) => {
                self.edits.push(Edit { span: class.span, text: standalone_class(class) })
            }
            Ast::Assertion(assertion) => {
                if let Some(text) = ascii_boundary(assertion) {
                    self.edits.push(Edit { span: assertion.span, text });
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn visit_class_set_item_pre(&mut self, item: &ClassSetItem) -> Result<(), ()> {
        if let ClassSetItem::Perl(class) = item {
            self.edits.push(Edit { span: class.span, text: class_member(class) });
        }
        Ok(())
    }
}

/// Returns the ASCII class for a Perl class outside brackets, such as `\d` in `a\d+`.
///
/// A space is written `\x20` so that the class keeps its meaning under the `x` flag, which
/// ignores literal whitespace.
fn standalone_class(class: &ClassPerl) -> &'static str {
    match (&class.kind, class.negated) {
        (ClassPerlKind::Digit, false) => "[0-9]",
        (ClassPerlKind::Digit, true) => "[^0-9]",
        (ClassPerlKind::Space, false) => r"[\t\n\f\r\x20]",
        (ClassPerlKind::Space, true) => r"[^\t\n\f\r\x20]",
        (ClassPerlKind::Word, false) => "[0-9A-Za-z_]",
        (ClassPerlKind::Word, true) => "[^0-9A-Za-z_]",
    }
}

/// Returns the ASCII form of a Perl class inside brackets, such as `\d` in `[\d.]`. A plain
/// class becomes its ranges, and `\D`, `\S` or `\W` becomes a nested negated class.
fn class_member(class: &ClassPerl) -> &'static str {
    match (&class.kind, class.negated) {
        (ClassPerlKind::Digit, false) => "0-9",
        (ClassPerlKind::Digit, true) => "[^0-9]",
        (ClassPerlKind::Space, false) => r"\t\n\f\r\x20",
        (ClassPerlKind::Space, true) => r"[^\t\n\f\r\x20]",
        (ClassPerlKind::Word, false) => "0-9A-Za-z_",
        (ClassPerlKind::Word, true) => "[^0-9A-Za-z_]",
    }
}

/// Returns the ASCII form of `\b` and `\B`. The other assertions mean the same in both
/// syntaxes, so they get none.
fn ascii_boundary(assertion: &Assertion) -> Option<&'static str> {
    match assertion.kind {
        AssertionKind::WordBoundary => Some(r"(?-u:\b)"),
        AssertionKind::NotWordBoundary => Some(r"(?-u:\B)"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> bool {
        regex::Regex::new(&ascii_perl_classes(pattern)).expect(pattern).is_match(text)
    }

    #[test]
    fn digit_class_is_ascii() {
        assert!(matches(r"^\d+$", "0123456789"));
        assert!(!matches(r"^\d+$", "١٢٣"));
        assert!(matches(r"^\D+$", "١٢٣"));
        assert!(matches(r"^[\d.]+$", "1.2"));
        assert!(!matches(r"^[\d.]+$", "１.２"));
    }

    #[test]
    fn word_class_is_ascii() {
        assert!(matches(r"^\w+$", "Az_09"));
        assert!(!matches(r"^\w+$", "café"));
        assert!(matches(r"^\W$", "é"));
        assert!(matches(r"^[^\W]+$", "abc"));
        assert!(!matches(r"^[^\W]+$", "é"));
    }

    #[test]
    fn space_class_leaves_out_vertical_tab() {
        assert!(matches(r"^\s+$", " \t\n\u{c}\r"));
        assert!(!matches(r"\s", "\u{b}"));
        assert!(!matches(r"\s", "\u{a0}"));
        assert!(matches(r"^\S$", "\u{a0}"));
        assert!(matches(r"(?x) a \s b ", "a b"));
        assert!(matches(r"(?x) a [\s] b ", "a b"));
    }

    #[test]
    fn word_boundary_is_ascii() {
        assert!(matches(r"\bx", "éx"));
        assert!(!matches(r"\Bx", "éx"));
        assert!(matches(r"\Bx", "ax"));
    }

    #[test]
    fn other_escapes_unchanged() {
        assert_eq!(ascii_perl_classes(r"a\.b\pL[\x41-\x5a]"), r"a\.b\pL[\x41-\x5a]");
        assert_eq!(ascii_perl_classes(r"[[:space:]]\z"), r"[[:space:]]\z");
        assert_eq!(ascii_perl_classes(r"\\d"), r"\\d");
        assert_eq!(ascii_perl_classes("(unclosed"), "(unclosed");
    }

    #[test]
    fn case_insensitive_still_unicode() {
        let regex = regex::RegexBuilder::new(&ascii_perl_classes(r"^\w+É$"))
            .case_insensitive(true)
            .build()
            .unwrap();
        assert!(regex.is_match("ABé"));
    }
}
