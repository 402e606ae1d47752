//! [`Str`], the text of a UDM `string` value.
//!
//! Most strings in security logs are short: addresses, user names, ids, enum-like words. A
//! [`String`] puts each one in its own allocation, and every copy of a value (into a window
//! row, a match key, an outcome) allocates again. `Str` keeps text of up to
//! [`Str::INLINE`] bytes inside the value itself, and longer text in one shared, immutable
//! allocation, so that copying any `Str` never allocates.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// Immutable text: inline when short, shared when long. Reads as a `&str` through `Deref`.
#[derive(Clone)]
pub struct Str(Repr);

#[derive(Clone)]
enum Repr {
    /// The first `len` bytes of `bytes` are the text, always valid UTF-8.
    Inline {
        len: u8,
        bytes: [u8; Str::INLINE],
    },
    Shared(Arc<str>),
}

impl Str {
    /// The longest text, in bytes, kept without an allocation.
    pub const INLINE: usize = 22;

    /// Creates an empty string.
    pub const fn new() -> Str {
        Str(Repr::Inline { len: 0, bytes: [0; Str::INLINE] })
    }

    /// Returns the text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline { len, bytes } => {
                let bytes = &bytes[..usize::from(*len)];
                // SAFETY: `Inline` is only built by `Str::from(&str)`, which copies the bytes of
                // a `str` whole, so they are valid UTF-8.
                unsafe { std::str::from_utf8_unchecked(bytes) }
            }
            Repr::Shared(text) => text,
        }
    }
}

impl Default for Str {
    fn default() -> Str {
        Str::new()
    }
}

impl Deref for Str {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Str {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Str {
    fn from(text: &str) -> Str {
        if text.len() <= Str::INLINE {
            let mut bytes = [0; Str::INLINE];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            // The length fits in a `u8`, since it is at most `INLINE`.
            Str(Repr::Inline { len: text.len() as u8, bytes })
        } else {
            Str(Repr::Shared(Arc::from(text)))
        }
    }
}

impl From<String> for Str {
    fn from(text: String) -> Str {
        Str::from(text.as_str())
    }
}

impl From<&String> for Str {
    fn from(text: &String) -> Str {
        Str::from(text.as_str())
    }
}

impl From<Box<str>> for Str {
    fn from(text: Box<str>) -> Str {
        Str::from(&*text)
    }
}

impl From<std::borrow::Cow<'_, str>> for Str {
    fn from(text: std::borrow::Cow<'_, str>) -> Str {
        Str::from(&*text)
    }
}

impl From<Arc<str>> for Str {
    fn from(text: Arc<str>) -> Str {
        if text.len() <= Str::INLINE {
            Str::from(&*text)
        } else {
            Str(Repr::Shared(text))
        }
    }
}

impl From<Str> for String {
    fn from(text: Str) -> String {
        text.as_str().to_owned()
    }
}

impl FromIterator<char> for Str {
    fn from_iter<I: IntoIterator<Item = char>>(chars: I) -> Str {
        Str::from(chars.into_iter().collect::<String>())
    }
}

impl PartialEq for Str {
    fn eq(&self, other: &Str) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Str {}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Str {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Str> for str {
    fn eq(&self, other: &Str) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Str> for &str {
    fn eq(&self, other: &Str) -> bool {
        *self == other.as_str()
    }
}

impl PartialOrd for Str {
    fn partial_cmp(&self, other: &Str) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Str {
    fn cmp(&self, other: &Str) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

/// Hashes as the `str` does, as [`Borrow<str>`] requires.
impl Hash for Str {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Str {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::hash_map::DefaultHasher;

    fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
        let mut hasher = DefaultHasher::new();
        value.hash(&mut hasher);
        hasher.finish()
    }

    #[test]
    fn inline_up_to_the_limit() {
        let short = "a".repeat(Str::INLINE);
        let long = "a".repeat(Str::INLINE + 1);
        assert!(matches!(Str::from(short.as_str()).0, Repr::Inline { .. }));
        assert!(matches!(Str::from(long.as_str()).0, Repr::Shared(_)));
        assert_eq!(Str::from(short.as_str()), short);
        assert_eq!(Str::from(long.as_str()), long);
        assert_eq!(&*Str::new(), "");
        assert_eq!(std::mem::size_of::<Str>(), std::mem::size_of::<String>());
    }

    #[test]
    fn multibyte_text_at_the_limit() {
        for text in ["é".repeat(11), format!("x{}", "é".repeat(11)), "€".repeat(7)] {
            assert_eq!(&*Str::from(text.as_str()), text);
        }
    }

    proptest! {
        #[test]
        fn behaves_as_its_text(a in ".{0,40}", b in ".{0,40}") {
            let (sa, sb) = (Str::from(a.as_str()), Str::from(b.clone()));
            prop_assert_eq!(sa.as_str(), a.as_str());
            let copy = sa.clone();
            prop_assert_eq!(copy.as_str(), a.as_str());
            prop_assert_eq!(sa.cmp(&sb), a.cmp(&b));
            prop_assert_eq!(sa == sb, a == b);
            prop_assert_eq!(hash_of(&sa), hash_of(a.as_str()));
            prop_assert_eq!(format!("{sa:?}"), format!("{a:?}"));
        }
    }
}
