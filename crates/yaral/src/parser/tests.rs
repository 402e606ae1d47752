//! Parser unit tests.

use super::parse_file;
use crate::ast::{ExprKind, Rule};

fn parse_one(text: &str) -> Rule {
    let parsed = parse_file(text);
    assert!(parsed.diagnostics.is_empty(), "file errors: {:?}", parsed.diagnostics);
    assert_eq!(parsed.rules.len(), 1);
    let rule = parsed.rules.into_iter().next().expect("one rule");
    assert!(rule.diagnostics.is_empty(), "rule errors: {:?}", rule.diagnostics);
    rule.rule.expect("parsed rule")
}

#[test]
fn minimal_rule_parses() {
    let rule =
        parse_one("rule r { events: $e.metadata.event_type = \"USER_LOGIN\" condition: $e }");
    assert_eq!(rule.name.name, "r");
    assert_eq!(rule.events.len(), 1);
    assert!(matches!(rule.condition.map(|c| c.kind), Some(ExprKind::Variable(_))));
}
