//! Parses every rule of the shared corpus of real YARA-L rules.

use std::path::{Path, PathBuf};

use yaral::{compile, parse, CheckOptions, SourceFile};

fn corpus_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/yaral")).to_path_buf()
}

fn rule_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rule_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaral" || e == "yl2") {
            out.push(path);
        }
    }
}

/// Messages caused by values the built-in UDM schema does not list yet, although Google's UDM
/// has them.
// TODO: drop each entry once the UDM schema lists the value or field.
const KNOWN_SCHEMA_GAPS: &[&str] = &[
    "unknown value \"HTTP\" for the enum field `network.application_protocol`",
    "unknown value \"FILE_TYPE_DOCX\" for the enum field `target.file.file_type`",
    "unknown UDM field `import_hash`",
];

fn load(path: &Path) -> SourceFile {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    SourceFile::new(path.display().to_string(), text)
}

#[test]
fn corpus_rules_parse() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        eprintln!("corpus not found at {}; skipping", dir.display());
        return;
    }
    let mut files = Vec::new();
    rule_files(&dir, &mut files);
    files.sort();
    let mut failures = Vec::new();
    let mut parsed_rules = 0;
    for path in files.iter().filter(|p| !p.to_string_lossy().contains("/invalid/")) {
        let source = load(path);
        let (file, diagnostics) = parse(&source);
        parsed_rules += file.rules.len();
        for diagnostic in diagnostics {
            failures.push(yaral::render(&diagnostic, &source));
        }
        if file.rules.is_empty() {
            failures.push(format!("{}: no rule found", path.display()));
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert!(parsed_rules >= 290, "only {parsed_rules} rules parsed");
}

#[test]
fn corpus_rules_compile() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        eprintln!("corpus not found at {}; skipping", dir.display());
        return;
    }
    let mut files = Vec::new();
    rule_files(&dir, &mut files);
    files.sort();
    let mut failures = Vec::new();
    for path in files.iter().filter(|p| !p.to_string_lossy().contains("/invalid/")) {
        let source = load(path);
        let output = compile(&source, &CheckOptions::default());
        for rejected in &output.rejected {
            for diagnostic in &rejected.diagnostics {
                if KNOWN_SCHEMA_GAPS.iter().any(|gap| diagnostic.message.contains(gap)) {
                    continue;
                }
                failures.push(yaral::render(diagnostic, &source));
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn invalid_corpus_rules_rejected() {
    let dir = corpus_dir().join("yaraast-conformance/invalid");
    if !dir.is_dir() {
        eprintln!("corpus not found at {}; skipping", dir.display());
        return;
    }
    let cases = [
        ("invalid_match_unit.yaral", "invalid window duration `5parsecs`"),
        ("invalid_match_window.yaral", "invalid window duration `5fortnights`"),
        ("missing_events.yaral", "has no `events:` section"),
        ("undefined_event.yaral", "`$missing` is not defined"),
    ];
    for (name, expected) in cases {
        let source = load(&dir.join(name));
        let output = compile(&source, &CheckOptions::default());
        assert!(output.compiled.is_empty(), "{name} compiled");
        assert_eq!(output.rejected.len(), 1, "{name}: one rejected rule");
        let messages: Vec<&str> = output
            .rejected
            .iter()
            .flat_map(|r| &r.diagnostics)
            .map(|d| d.message.as_str())
            .collect();
        assert!(
            messages.iter().any(|m| m.contains(expected)),
            "{name}: expected a message containing {expected:?}, got {messages:?}"
        );
    }
}
