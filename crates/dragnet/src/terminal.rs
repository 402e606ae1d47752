//! Text from logs made safe to show on a terminal.

use std::borrow::Cow;

/// Escapes the control characters in `text` as Rust's `{:?}` formatting does (`\u{1b}`, `\n`,
/// `\t`), so that a value from a log cannot move the cursor, retitle the window or clear the
/// screen of the terminal that shows it. The escaped characters are the C0 and C1 controls,
/// DEL and the Unicode bidirectional controls, which can make a value read in a different
/// order than it is stored. Every other character, quotes and backslashes included, is kept,
/// so a value that contains the text `\u{1b}` looks the same as one that contains an escape.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            escaped.extend(c.escape_debug());
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped)
}

fn needs_escape(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// Whether `c` is one of the bidirectional formatting characters of Unicode Standard Annex 9:
/// ALM, LRM, RLM, the embeddings and overrides U+202A to U+202E, and the isolates U+2066 to
/// U+2069.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_are_escaped() {
        let escaped = escape_controls("ab\u{1b}]0;PWN\u{7}\u{1b}[2J");
        assert_eq!(escaped, "ab\\u{1b}]0;PWN\\u{7}\\u{1b}[2J");
    }

    #[test]
    fn line_breaks_and_c1_controls_are_escaped() {
        assert_eq!(escape_controls("a\nb\r\tc"), "a\\nb\\r\\tc");
        assert_eq!(escape_controls("\u{9b}2J\u{7f}"), "\\u{9b}2J\\u{7f}");
    }

    #[test]
    fn bidi_overrides_are_escaped() {
        assert_eq!(escape_controls("invoice\u{202e}fdp.exe"), "invoice\\u{202e}fdp.exe");
        assert_eq!(escape_controls("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
    }

    #[test]
    fn printable_text_is_kept() {
        for text in ["", "alice@northwind.example", "C:\\Users\\o'brien \"x\"", "é😀 ü"] {
            assert!(matches!(escape_controls(text), Cow::Borrowed(_)), "{text}");
            assert_eq!(escape_controls(text), text);
        }
    }
}
