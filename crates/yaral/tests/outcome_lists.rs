//! Repeated fields read as whole lists in `outcome:` need no aggregate without `match:`.

use yaral::{compile, CheckOptions, SourceFile};

fn errors(text: &str) -> Vec<String> {
    let source = SourceFile::new("t.yaral", text);
    let output = compile(&source, &CheckOptions::default());
    output
        .rejected
        .iter()
        .flat_map(|r| &r.diagnostics)
        .filter(|d| d.severity == yaral::Severity::Error)
        .map(|d| d.message.clone())
        .collect()
}

fn rule(outcome: &str, with_match: bool) -> String {
    let (placeholder, section) = if with_match {
        ("    $user = $e.principal.user.userid\n", "  match:\n    $user over 5m\n")
    } else {
        ("", "")
    };
    format!(
        "rule r {{\n  events:\n    $e.metadata.event_type = \"USER_LOGIN\"\n{placeholder}{section}  outcome:\n    $o = {outcome}\n  condition:\n    $e\n}}\n"
    )
}

#[test]
fn list_function_reads_whole_field() {
    assert_eq!(errors(&rule("arrays.length($e.principal.ip)", false)), Vec::<String>::new());
    assert_eq!(errors(&rule("arrays.size($e.target.ip)", false)), Vec::<String>::new());
}

#[test]
fn quantified_field_needs_no_aggregate() {
    let text = rule("if(all $e.principal.ip = /^10\\./, 1, 0)", false);
    assert_eq!(errors(&text), Vec::<String>::new());
}

#[test]
fn bare_repeated_field_still_needs_aggregate() {
    let found = errors(&rule("$e.principal.ip", false));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("must be aggregated"), "{found:?}");
}

#[test]
fn list_function_needs_aggregate_with_match() {
    let found = errors(&rule("arrays.length($e.principal.ip)", true));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("because the rule has a `match:` section"), "{found:?}");
}
