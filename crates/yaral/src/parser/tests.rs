//! Parser unit tests.

use super::parse_file;
use crate::ast::{
    ArithmeticOp, ExprKind, FieldSource, ListMatch, NOfQuantity, PathSegment, Rule, WindowKind,
};

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

fn events_of(events: &str) -> Vec<crate::ast::Expr> {
    parse_one(&format!("rule r {{ events: {events} condition: $e }}")).events
}

#[test]
fn or_chain_across_lines_groups_first() {
    // The lines `a` / `or b` / `c` read as `(a or b) and c`: two predicates.
    let events = events_of("$e1.f = \"bat\"\n  or $e1.f = \"baz\"\n  $e2.f = \"bar\"");
    assert_eq!(events.len(), 2);
    assert!(matches!(events[0].kind, ExprKind::Or(..)));
    assert!(matches!(events[1].kind, ExprKind::Compare { .. }));
}

#[test]
fn trailing_operator_continues_line() {
    let events = events_of("$e.a = 1 and\n$e.b = 2\n$e.c = 3");
    assert_eq!(events.len(), 2);
    assert!(matches!(events[0].kind, ExprKind::And(..)));
}

#[test]
fn not_and_paren_open_predicates() {
    let events = events_of("$e.a = 1 not $e.b = 2 ($e.c = 3 or $e.d = 4) $e.f = 5 nocase");
    assert_eq!(events.len(), 4);
    assert!(matches!(events[1].kind, ExprKind::Not(_)));
    assert!(matches!(events[2].kind, ExprKind::Paren(_)));
    assert!(matches!(events[3].kind, ExprKind::Compare { nocase: true, .. }));
}

#[test]
fn and_binds_tighter_than_or() {
    let events = events_of("$e.a = 1 or $e.b = 2 and $e.c = 3");
    let ExprKind::Or(_, rhs) = &events[0].kind else { panic!("not an or: {:?}", events[0]) };
    assert!(matches!(rhs.kind, ExprKind::And(..)));
}

#[test]
fn keywords_in_any_case() {
    let rule = parse_one(
        "RULE r { META: a = \"b\" EVENTS: NOT $e.a IN REGEX %l NOCASE AND ANY $e.ip = \"x\" \
         $e.h = $h MATCH: $h BY 1h OUTCOME: $o = MAX(1) CONDITION: ALL OF [$e, $o > 0] }",
    );
    assert_eq!(rule.events.len(), 2);
    assert!(matches!(rule.events[0].kind, ExprKind::And(..)));
    let window = rule.match_section.expect("match section").window;
    assert_eq!(window.kind, WindowKind::Tumbling);
    let condition = rule.condition.expect("condition");
    assert!(matches!(condition.kind, ExprKind::NOf { quantity: NOfQuantity::All, .. }));
}

#[test]
fn window_kinds_parse() {
    let cases = [("$h over 5m", WindowKind::Hop), ("$h by 30m tumbling", WindowKind::Tumbling)];
    for (text, expected) in cases {
        let rule =
            parse_one(&format!("rule r {{ events: $e.h = $h match: {text} condition: $e }}"));
        assert_eq!(rule.match_section.expect("match").window.kind, expected, "{text}");
    }
    let rule = parse_one("rule r { events: $e.h = $h match: $h over 1h before $e condition: $e }");
    let kind = rule.match_section.expect("match").window.kind;
    assert!(matches!(kind, WindowKind::SlidingBefore(ref pivot) if pivot.name == "e"));
}

#[test]
fn list_tests_and_quantities_parse() {
    let events = events_of(
        "$e.a in %l $e.b in regex %r nocase not $e.c in cidr %c $e.d in %t.col $e.e in (\"x\") \
         $e.f = %t.g",
    );
    let kinds: Vec<Option<ListMatch>> = events
        .iter()
        .map(|e| match &e.unparen().kind {
            ExprKind::InList { kind, .. } => Some(*kind),
            ExprKind::Not(inner) => match &inner.kind {
                ExprKind::InList { kind, .. } => Some(*kind),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let expected = [
        Some(ListMatch::Exact),
        Some(ListMatch::Regex),
        Some(ListMatch::Cidr),
        Some(ListMatch::Exact),
        None,
        None,
    ];
    assert_eq!(kinds, expected);
    assert!(matches!(events[4].kind, ExprKind::InLiteralList { .. }));
    let rule =
        parse_one("rule r { events: $e.a = 1 condition: 2 of [$e, #e > 1] or ANY OF [!$e] }");
    let ExprKind::Or(lhs, rhs) = rule.condition.expect("condition").kind else {
        panic!("not an or")
    };
    assert!(matches!(lhs.kind, ExprKind::NOf { quantity: NOfQuantity::AtLeast(2), .. }));
    assert!(matches!(rhs.kind, ExprKind::NOf { quantity: NOfQuantity::Any, .. }));
}

#[test]
fn paths_indexes_and_keys_parse() {
    let events = events_of("$e.udm.principal.ip[0] = \"a\" $g.graph.entity.labels[\"k\"] = \"v\"");
    let ExprKind::Compare { lhs, .. } = &events[0].kind else { panic!("not a comparison") };
    let ExprKind::Field(field) = &lhs.kind else { panic!("not a field") };
    assert_eq!(field.source, FieldSource::Udm);
    assert!(matches!(field.path.last(), Some(PathSegment::Index(0, _))));
    let ExprKind::Compare { lhs, .. } = &events[1].kind else { panic!("not a comparison") };
    let ExprKind::Field(field) = &lhs.kind else { panic!("not a field") };
    assert_eq!(field.source, FieldSource::Graph);
    assert!(matches!(field.path.last(), Some(PathSegment::Key(key, _)) if key == "k"));
}

#[test]
fn arithmetic_precedence() {
    let events = events_of("$e.a + 2 * 3 - 1 > 0");
    let ExprKind::Compare { lhs, .. } = &events[0].kind else { panic!("not a comparison") };
    let ExprKind::Arithmetic { op: ArithmeticOp::Sub, lhs: sum, .. } = &lhs.kind else {
        panic!("not a subtraction")
    };
    let ExprKind::Arithmetic { op: ArithmeticOp::Add, rhs: product, .. } = &sum.kind else {
        panic!("not an addition")
    };
    assert!(matches!(product.kind, ExprKind::Arithmetic { op: ArithmeticOp::Mul, .. }));
}
