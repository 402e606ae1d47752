//! Rules written to break the front end: very long chains, deep nesting, byte order marks and
//! malformed numbers. Each must end in a diagnostic or a compiled rule, never a stack overflow.
//!
//! The cases run on a thread with a 2 MiB stack, the default for threads that Rust spawns, so
//! that a pass that recurses once per operator fails here before it fails in a user's run.

use yaral::{compile, format, CheckOptions, Diagnostic, FileOutput, Severity, SourceFile};

const STACK_BYTES: usize = 2 << 20;

fn on_small_stack<T: Send + 'static>(run: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(STACK_BYTES)
        .spawn(run)
        .expect("spawn test thread")
        .join()
        .expect("test thread finished without a panic")
}

fn compiled(text: String) -> FileOutput {
    compiled_with(text, CheckOptions::default())
}

fn compiled_with(text: String, options: CheckOptions) -> FileOutput {
    on_small_stack(move || compile(&SourceFile::new("hostile.yaral", text), &options))
}

/// Options without the cap on `and`/`or` operators, so that every pass runs on a long chain.
fn uncapped() -> CheckOptions {
    CheckOptions { max_logical_operators: usize::MAX, ..CheckOptions::default() }
}

fn errors(output: &FileOutput) -> Vec<Diagnostic> {
    let mut all = output.diagnostics.clone();
    all.extend(output.rejected.iter().flat_map(|r| r.diagnostics.iter().cloned()));
    all.retain(|d| d.severity == Severity::Error);
    all
}

fn rule(events: &str, outcome: &str, condition: &str) -> String {
    format!(
        "rule r {{\n  meta:\n    author = \"a\"\n  events:\n    {events}\n{outcome}  condition:\n    \
         {condition}\n}}\n"
    )
}

fn repeat(item: &str, separator: &str, count: usize) -> String {
    vec![item; count].join(separator)
}

#[test]
fn long_or_chain_in_condition() {
    let condition = repeat("$e", " or ", 50_000);
    let output = compiled_with(rule("$e.principal.hostname = \"a\"", "", &condition), uncapped());
    assert_eq!(errors(&output), vec![]);
    assert_eq!(output.compiled.len(), 1);
    let height = output.compiled[0].rule.condition.as_ref().expect("condition").height();
    assert!(height <= 20, "height {height}");
}

#[test]
fn long_and_chain_in_condition() {
    let condition = repeat("$e", " and ", 50_000);
    let output = compiled_with(rule("$e.principal.hostname = \"a\"", "", &condition), uncapped());
    assert_eq!(errors(&output), vec![]);
    assert_eq!(output.compiled.len(), 1);
}

#[test]
fn long_chain_over_operator_cap() {
    let condition = repeat("$e", " and ", 50_000);
    let output = compiled(rule("$e.principal.hostname = \"a\"", "", &condition));
    let found = errors(&output);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("49999 `and`/`or` operators"), "{found:?}");
}

#[test]
fn long_or_chain_in_events() {
    let events = repeat("$e.principal.hostname = \"a\"", " or ", 50_000);
    let output = compiled_with(rule(&events, "", "$e"), uncapped());
    assert_eq!(errors(&output), vec![]);
    let height = output.compiled[0].rule.events[0].height();
    assert!(height <= 20, "height {height}");
}

#[test]
fn long_arithmetic_chain_rejected() {
    let outcome = format!("  outcome:\n    $o = {}\n", repeat("1", " + ", 50_000));
    let output = compiled(rule("$e.principal.hostname = \"a\"", &outcome, "$e"));
    let found = errors(&output);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("arithmetic chain of more than"), "{}", found[0].message);
}

#[test]
fn long_product_chain_rejected() {
    let events = format!("$e.network.sent_bytes = {}", repeat("2", " * ", 50_000));
    let found = errors(&compiled(rule(&events, "", "$e")));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("arithmetic chain of more than"), "{}", found[0].message);
}

#[test]
fn arithmetic_chains_nested_in_parentheses_rejected() {
    // Each level is short, but together they are thousands of levels deep.
    let mut value = "1".to_owned();
    for _ in 0..60 {
        value = format!("({} + {value})", repeat("1", " + ", 90));
    }
    let events = format!("$e.network.sent_bytes = {value}");
    let found = errors(&compiled(rule(&events, "", "$e")));
    assert!(!found.is_empty());
    assert!(found.iter().any(|d| d.message.contains("levels deep")), "{found:?}");
}

#[test]
fn long_arithmetic_chain_within_limit() {
    let outcome = format!("  outcome:\n    $o = {}\n", repeat("1", " + ", 50));
    let output = compiled(rule("$e.principal.hostname = \"a\"", &outcome, "$e"));
    assert_eq!(errors(&output), vec![]);
}

#[test]
fn height_at_limit_compiles() {
    // 40 parentheses, the comparison and a chain of 59 operands: 100 levels.
    let events = format!(
        "{}$e.network.sent_bytes = {}{}",
        "(".repeat(40),
        repeat("1", " + ", 59),
        ")".repeat(40)
    );
    let output = compiled(rule(&events, "", "$e"));
    assert_eq!(errors(&output), vec![]);
    assert_eq!(output.compiled[0].rule.events[0].height(), 100);
    let deeper = events.replacen('(', "((", 1).replacen(')', "))", 1);
    let found = errors(&compiled(rule(&deeper, "", "$e")));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].message, "expression is 101 levels deep; the maximum is 100");
}

#[test]
fn deep_parentheses_rejected() {
    let events =
        format!("{}$e.principal.hostname = \"a\"{}", "(".repeat(100_000), ")".repeat(100_000));
    let found = errors(&compiled(rule(&events, "", "$e")));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("nested more than"), "{}", found[0].message);
}

#[test]
fn deep_calls_rejected() {
    let value = format!("{}\"a\"{}", "strings.to_lower(".repeat(50_000), ")".repeat(50_000));
    let found = errors(&compiled(rule(&format!("$e.principal.hostname = {value}"), "", "$e")));
    assert_eq!(found.len(), 1, "{found:?}");
}

#[test]
fn long_chain_formats_and_reparses() {
    let condition = repeat("$e", " or ", 5_000);
    let text = rule("$e.principal.hostname = \"a\"", "", &condition);
    let (first, second) = on_small_stack(move || {
        let first = format(&SourceFile::new("a.yaral", text)).expect("format");
        let second = format(&SourceFile::new("b.yaral", first.clone())).expect("format again");
        (first, second)
    });
    assert_eq!(first, second);
    assert_eq!(first.matches(" or").count(), 4_999);
}

#[test]
fn byte_order_mark_ignored() {
    let text = format!("\u{feff}{}", rule("$e.principal.hostname = \"a\"", "", "$e"));
    let output = compiled(text);
    assert_eq!(errors(&output), vec![]);
    assert_eq!(output.compiled.len(), 1);
}

#[test]
fn huge_window_duration_message() {
    let text = "rule r {\n  meta:\n    a = \"b\"\n  events:\n    $e.principal.hostname = $h\n  \
                match:\n    $h over 99999999999999999999999h\n  condition:\n    $e\n}\n";
    let found = errors(&compiled(text.to_owned()));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("the number is too large"), "{}", found[0].message);
}

#[test]
fn exponent_number_help() {
    let found = errors(&compiled(rule("$e.network.sent_bytes > 1e999", "", "$e")));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].message, "invalid number `1e999`");
    let help = found[0].help.as_deref().unwrap_or_default();
    assert!(help.contains("`5.5`"), "{help}");
}

#[test]
fn missing_operand_before_section() {
    let text = rule("$e.principal.hostname =", "", "$e");
    let found = errors(&compiled(text));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].message, "expected an expression, found the `condition:` section header");
}

#[test]
fn duplicate_rule_names_warned() {
    let one = rule("$e.principal.hostname = \"a\"", "", "$e");
    let output = compiled(format!("{one}{one}"));
    assert_eq!(errors(&output), vec![]);
    assert_eq!(output.compiled.len(), 2);
    let warnings: Vec<&Diagnostic> =
        output.diagnostics.iter().filter(|d| d.severity == Severity::Warning).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].message, "rule `r` is defined more than once in this file");
}
