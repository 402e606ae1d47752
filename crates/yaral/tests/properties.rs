//! Property tests of the front end: no input makes it panic, and every rule that parses formats
//! into text that parses into the same tree.
//!
//! The inputs are arbitrary text, soups of YARA-L tokens, rules generated from a grammar with
//! comments and line breaks between their tokens, and real rules with random edits.

mod common;

use std::sync::OnceLock;

use proptest::prelude::*;
use yaral::{compile, format, parse, CheckOptions, SourceFile};

/// Runs every front-end entry point on `text`, and checks the formatter on what parses.
fn exercise(text: &str) -> Result<(), TestCaseError> {
    let source = SourceFile::new("input.yaral", text);
    let (file, diagnostics) = parse(&source);
    for options in [CheckOptions::default(), CheckOptions { strict: true, ..Default::default() }] {
        let output = compile(&source, &options);
        for diagnostic in output.rejected.iter().flat_map(|r| &r.diagnostics) {
            yaral::render(diagnostic, &source);
            yaral::render_json(diagnostic, &source);
        }
    }
    let formatted = format(&source);
    if diagnostics.is_empty() {
        let output = match formatted {
            Ok(output) => output,
            Err(errors) => {
                return Err(TestCaseError::fail(format!("format failed on {text:?}: {errors:?}")))
            }
        };
        let again = format(&SourceFile::new("formatted.yaral", output.clone()));
        prop_assert_eq!(again.ok(), Some(output), "formatting is not idempotent");
        prop_assert!(!file.rules.is_empty() || text.trim().is_empty() || !text.contains("rule"));
    }
    Ok(())
}

/// Words and punctuation of the language, including the ones that only some sections take.
const TOKENS: &[&str] = &[
    "rule",
    "r",
    "{",
    "}",
    "meta:",
    "events:",
    "match:",
    "outcome:",
    "condition:",
    "options:",
    "setup:",
    "export:",
    "$e",
    "$e.principal.hostname",
    "$e.metadata.event_type",
    "$e.principal.ip",
    "$p",
    "#e",
    "!$e",
    "%list",
    "%t.col",
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "+",
    "-",
    "*",
    "/",
    "%",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    ":",
    "and",
    "or",
    "not",
    "nocase",
    "in",
    "regex",
    "cidr",
    "any",
    "all",
    "of",
    "over",
    "by",
    "after",
    "before",
    "5m",
    "1h",
    "30s",
    "5parsecs",
    "1",
    "2.5",
    "\"s\"",
    "`raw`",
    "/re/",
    "\"USER_LOGIN\"",
    "re.regex",
    "count",
    "max",
    "if",
    "true",
    "null",
    "window_start",
    "// comment\n",
    "/* block */",
    "\n",
    "ANY",
    "OF",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..60).prop_map(|tokens| tokens.join(" "))
}

fn string_literal() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 _\\-\"\\\\/.]{0,8}".prop_map(|value| {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\"")
    })
}

/// Any operand, regex literals included.
fn operand() -> impl Strategy<Value = String> {
    prop_oneof![
        first_operand(),
        "[a-z./]{1,6}".prop_map(|body| format!("/{}/", body.replace('/', "\\/"))),
    ]
}

/// Generates an operand that may open a predicate. A `/` right after the previous predicate's last
/// operand reads as division, so a predicate cannot start with a regex literal.
fn first_operand() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("$e.principal.hostname".to_string()),
        Just("$e.metadata.event_type".to_string()),
        Just("$e.target.port".to_string()),
        Just("$e.principal.ip[0]".to_string()),
        Just("$e.additional.fields[\"k\"]".to_string()),
        Just("any $e.principal.ip".to_string()),
        Just("$host".to_string()),
        string_literal(),
        "`[a-z.\\\\]{0,6}`",
        (0u32..100000).prop_map(|n| n.to_string()),
        (0u32..1000, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
    ]
}

fn comparison() -> impl Strategy<Value = String> {
    (first_operand(), prop::sample::select(&["=", "!=", "<", ">=", ">"][..]), operand())
        .prop_map(|(a, op, b)| format!("{a} {op} {b}"))
}

fn predicate() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        comparison(),
        comparison().prop_map(|c| format!("{c} nocase")),
        first_operand().prop_map(|o| format!("{o} in %list")),
        first_operand().prop_map(|o| format!("{o} in regex %list nocase")),
        first_operand().prop_map(|o| format!("{o} in cidr %t.col")),
        (first_operand(), string_literal()).prop_map(|(o, s)| format!("{o} in ({s}, \"b\")")),
        (operand(), operand()).prop_map(|(a, b)| format!("re.regex({a}, {b}) nocase")),
        (operand(), operand()).prop_map(|(a, b)| format!("strings.to_lower({a}) = {b}")),
        (first_operand(), operand()).prop_map(|(a, b)| format!("{a} + {b} * 2 - 1 > 0")),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            inner.clone().prop_map(|a| format!("not {a}")),
            inner.prop_map(|a| format!("({a})")),
        ]
    })
}

/// Separators between tokens: spaces, line breaks and comments.
fn separator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&[" ", " ", " ", "\n", "\n\n", " /* c */ ", " // c\n", "\n// c\n"][..])
}

fn rule() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(predicate(), 1..5),
        prop::option::of(prop::sample::select(&["over 5m", "by 1h", "over 10m after $e"][..])),
        prop::option::of(operand()),
        prop::collection::vec(separator(), 16),
    )
        .prop_map(|(predicates, window, outcome, separators)| {
            let mut text =
                format!("rule generated {{{}meta:{}author = \"a\"", separators[0], separators[1]);
            text.push_str(&format!("{}events:{}", separators[2], separators[3]));
            for (index, predicate) in predicates.iter().enumerate() {
                text.push_str(predicate);
                text.push_str(separators[4 + index]);
            }
            text.push_str("$e.principal.hostname = $host");
            if let Some(window) = window {
                text.push_str(&format!("{}match:{}$host {window}", separators[9], separators[10]));
            }
            if let Some(value) = outcome {
                text.push_str(&format!(
                    "{}outcome:{}$o = max({value})",
                    separators[11], separators[12]
                ));
            }
            text.push_str(&format!(
                "{}condition:{}$e{}}}\n",
                separators[13], separators[14], separators[15]
            ));
            text
        })
}

fn corpus_texts() -> &'static [String] {
    static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
    TEXTS.get_or_init(|| {
        let Some(files) = common::corpus_files() else { return Vec::new() };
        files.iter().filter_map(|path| std::fs::read_to_string(path).ok()).collect()
    })
}

/// Applies one edit to a text: deletes, duplicates or inserts a piece at a character boundary.
fn edit(text: &str, position: usize, length: usize, kind: u8, insert: &str) -> String {
    let boundaries: Vec<usize> =
        text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len())).collect();
    let start = boundaries[position % boundaries.len()];
    let end = boundaries[(position + length) % boundaries.len()].max(start);
    let mut out = String::with_capacity(text.len() + insert.len());
    out.push_str(&text[..start]);
    match kind % 3 {
        0 => {}
        1 => {
            out.push_str(&text[start..end]);
            out.push_str(&text[start..end]);
        }
        _ => {
            out.push_str(insert);
            out.push_str(&text[start..end]);
        }
    }
    out.push_str(&text[end..]);
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        exercise(&text)?;
    }

    #[test]
    fn token_soup_never_panics(text in token_soup()) {
        exercise(&text)?;
    }

    #[test]
    fn rules_in_a_soup_never_panic(body in token_soup()) {
        exercise(&format!("rule r {{ {body} }}"))?;
    }

    #[test]
    fn generated_rules_format_round_trip(text in rule()) {
        let (_, diagnostics) = parse(&SourceFile::new("generated.yaral", text.clone()));
        prop_assert!(diagnostics.is_empty(), "generated rule does not parse: {text}\n{diagnostics:?}");
        exercise(&text)?;
    }

    #[test]
    fn edited_corpus_rules_never_panic(
        index in 0usize..1000,
        position in 0usize..100_000,
        length in 0usize..40,
        kind in 0u8..3,
        insert in prop::sample::select(TOKENS),
    ) {
        let texts = corpus_texts();
        if texts.is_empty() {
            return Ok(());
        }
        let text = &texts[index % texts.len()];
        exercise(&edit(text, position, length, kind, insert))?;
    }
}

#[test]
fn deep_nesting_rejected_without_overflow() {
    for open in ["(", "not ", "-", "[", "f("] {
        let text = format!("rule r {{ events: {}$e.a = 1 condition: $e }}", open.repeat(100_000));
        exercise(&text).expect("no failure");
    }
}
