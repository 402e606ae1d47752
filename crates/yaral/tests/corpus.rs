//! Every rule of the corpus of real YARA-L rules parses, compiles, formats and passes the
//! strict dialect, and each conformance file that must fail is rejected with its diagnostic.

mod common;

use common::{corpus_files, is_invalid, load};
use yaral::{compile, format::same_tree, parse, CheckOptions, SourceFile};

#[test]
fn corpus_rules_parse() {
    let Some(files) = corpus_files() else { return };
    let mut failures = Vec::new();
    let mut parsed_rules = 0;
    for path in files.iter().filter(|p| !is_invalid(p)) {
        let source = load(path);
        let (file, diagnostics) = parse(&source);
        parsed_rules += file.rules.len();
        for diagnostic in diagnostics {
            failures.push(yaral::render(&diagnostic, &source));
        }
        if file.rules.is_empty() {
            failures.push(format!("{}: no rule found", source.name));
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert!(parsed_rules >= 290, "only {parsed_rules} rules parsed");
}

#[test]
fn corpus_rules_compile() {
    let Some(files) = corpus_files() else { return };
    let mut failures = Vec::new();
    for path in files.iter().filter(|p| !is_invalid(p)) {
        let source = load(path);
        let output = compile(&source, &CheckOptions::default());
        for rejected in &output.rejected {
            for diagnostic in &rejected.diagnostics {
                failures.push(yaral::render(diagnostic, &source));
            }
        }
        for diagnostic in &output.diagnostics {
            failures.push(yaral::render(diagnostic, &source));
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// The published rules of Google's repositories run in Google SecOps, so the strict dialect
/// accepts them. The conformance files come from another parser's test suite and leave out
/// `meta:`, which SecOps requires.
#[test]
fn published_rules_pass_strict() {
    let Some(files) = corpus_files() else { return };
    let options = CheckOptions { strict: true, ..CheckOptions::default() };
    let mut failures = Vec::new();
    let mut compiled = 0;
    for path in files.iter().filter(|p| !p.to_string_lossy().contains("conformance")) {
        let source = load(path);
        let output = compile(&source, &options);
        compiled += output.compiled.len();
        for diagnostic in output.rejected.iter().flat_map(|r| &r.diagnostics) {
            failures.push(yaral::render(diagnostic, &source));
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert!(compiled >= 280, "only {compiled} rules compiled");
}

#[test]
fn invalid_corpus_rules_rejected() {
    let Some(files) = corpus_files() else { return };
    // File name, then the expected error as `line:column: message`.
    let cases = [
        (
            "invalid_match_unit.yaral",
            "6:13: invalid window duration `5parsecs`: the unit must be m, h or d",
        ),
        (
            "invalid_match_window.yaral",
            "7:16: invalid window duration `5fortnights`: the unit must be m, h or d",
        ),
        ("missing_events.yaral", "1:6: rule `MissingEvents` has no `events:` section"),
        ("undefined_event.yaral", "6:5: variable `$missing` is not defined"),
    ];
    let invalid: Vec<_> = files.iter().filter(|p| is_invalid(p)).collect();
    assert_eq!(invalid.len(), cases.len(), "one case per invalid file");
    for (name, expected) in cases {
        let path = invalid.iter().find(|p| p.ends_with(name)).expect("invalid file present");
        let source = load(path);
        let output = compile(&source, &CheckOptions::default());
        assert!(output.compiled.is_empty(), "{name} compiled");
        assert_eq!(output.rejected.len(), 1, "{name}: one rejected rule");
        let found: Vec<String> = output
            .rejected
            .iter()
            .flat_map(|r| &r.diagnostics)
            .map(|d| {
                let (line, column) = source.line_col(d.span.start);
                format!("{line}:{column}: {}", d.message)
            })
            .collect();
        assert!(found.iter().any(|m| m == expected), "{name}: expected {expected:?} in {found:?}");
    }
}

/// The default cap on `and`/`or` operators leaves room above every published rule.
#[test]
fn corpus_below_logical_operator_cap() {
    let Some(files) = corpus_files() else { return };
    let mut max_seen = (0, String::new());
    for path in files.iter().filter(|p| !is_invalid(p)) {
        let source = load(path);
        let (file, _) = parse(&source);
        for rule in &file.rules {
            let count = yaral::check::logical_operators(rule);
            if count > max_seen.0 {
                max_seen = (count, format!("{}: {}", source.name, rule.name.name));
            }
        }
    }
    eprintln!("max `and`/`or` operators: {} in {}", max_seen.0, max_seen.1);
    assert!(max_seen.0 * 5 < CheckOptions::default().max_logical_operators, "{max_seen:?}");
}

#[test]
fn corpus_formats_round_trip() {
    let Some(files) = corpus_files() else { return };
    let mut formatted_files = 0;
    for path in files.iter().filter(|p| !is_invalid(p)) {
        let source = load(path);
        let output = match yaral::format(&source) {
            Ok(output) => output,
            Err(errors) => panic!("{}: format failed: {errors:?}", source.name),
        };
        let (before, _) = parse(&source);
        let (after, diagnostics) = parse(&SourceFile::new("formatted", output.clone()));
        assert!(diagnostics.is_empty(), "{}: formatted text has errors", source.name);
        assert!(same_tree(&before, &after), "{}: the tree changed", source.name);
        let again = yaral::format(&SourceFile::new("formatted", output.clone()));
        assert_eq!(again.as_ref().ok(), Some(&output), "{}: not idempotent", source.name);
        formatted_files += 1;
    }
    assert!(formatted_files >= 290, "only {formatted_files} files formatted");
}
