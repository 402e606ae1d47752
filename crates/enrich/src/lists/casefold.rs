//! Case folding for `nocase` comparisons of STRING list entries.

use std::borrow::Cow;

/// Folds a string so that two strings that differ only by Unicode case fold to the same text.
///
/// Each character is mapped to upper case and then to lower case, character by character. That
/// unifies the case variants `std` knows, including those that lower-casing alone keeps apart:
/// final and medial sigma (`ς`, `σ`), long s (`ſ`, `s`) and the sharp s (`ß` folds like `ss`).
/// It is close to Unicode full case folding, but not identical to it.
pub(crate) fn fold(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            return Cow::Owned(text.to_ascii_lowercase());
        }
        return Cow::Borrowed(text);
    }

    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        for upper in c.to_uppercase() {
            folded.extend(upper.to_lowercase());
        }
    }
    Cow::Owned(folded)
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn ascii_lowercased() {
        assert_eq!(fold("Admin@Example.COM"), "admin@example.com");
        assert_eq!(fold("already"), "already");
    }

    #[test]
    fn non_ascii_case_variants_unified() {
        assert_eq!(fold("ÄRGER"), fold("ärger"));
        assert_eq!(fold("ΟΔΟΣ"), fold("οδος"));
        assert_eq!(fold("ΟΔΟΣ"), fold("οδοσ"));
        assert_eq!(fold("STRASSE"), fold("straße"));
        assert_eq!(fold("ПРИВЕТ"), fold("привет"));
        assert_eq!(fold("\u{212a}elvin"), fold("kelvin"));
    }

    #[test]
    fn different_letters_stay_different() {
        assert_ne!(fold("ä"), fold("a"));
        assert_ne!(fold("σ"), fold("ο"));
    }
}
