//! Property tests: loading and matching never panic, whatever the text.

use enrich::{ListKind, ReferenceList};
use proptest::prelude::*;

const KINDS: [ListKind; 3] = [ListKind::String, ListKind::Regex, ListKind::Cidr];

/// Text biased toward the characters the list syntax gives meaning to.
fn list_text() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        "/",
        "//",
        "\\",
        "\\/",
        "*",
        "/*",
        "*/",
        "\n",
        "\r\n",
        " ",
        "\t",
        "[",
        "]",
        "(",
        ":",
        ".",
        "::ffff:",
        "192.0.2.1",
        "/24",
        "/129",
        "ß",
        "Σ",
        "\u{feff}",
        "%",
    ]);
    let piece = prop_oneof![special.prop_map(str::to_owned), any::<String>()];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn loading_never_panics(text in list_text(), value in list_text()) {
        for kind in KINDS {
            let (list, problems) = ReferenceList::from_text("p", kind, &text, "p.list");
            for problem in &problems {
                let _ = problem.to_string();
            }
            let _ = list.contains(&value, false);
            let _ = list.contains(&value, true);
            let _ = list.matches_regex(&value, false);
            let _ = list.matches_regex(&value, true);
            let _ = list.contains_ip(&value);
            let _ = list.pattern_errors();
        }
    }

    #[test]
    fn every_entry_matches_itself(text in list_text()) {
        let (list, _) = ReferenceList::from_text("p", ListKind::String, &text, "p.list");
        for entry in list.entries() {
            prop_assert!(list.contains(entry, false));
            prop_assert!(list.contains(&entry.to_uppercase(), true));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        for kind in KINDS {
            let _ = ReferenceList::from_text("p", kind, &text, "p.list");
        }
    }
}
