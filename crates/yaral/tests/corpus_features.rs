//! Golden counts of the language features used across the corpus of real rules.
//!
//! A parser change that silently reads some construct as another one (an `or` as two
//! predicates, a regex as a division, a window kind as another) changes these counts. The
//! expected counts are checked in at `tests/golden/corpus_features.txt`; after an intended
//! change, rerun with `UPDATE_GOLDEN=1` and review the diff.

mod common;

use std::collections::BTreeMap;

use common::{corpus_files, is_invalid, load};
use yaral::ast::{
    Expr, ExprKind, FieldSource, ListMatch, Literal, NOfQuantity, PathSegment, Quantifier, Rule,
    WindowKind,
};
use yaral::lexer::lex;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/corpus_features.txt");

#[derive(Default)]
struct Counts(BTreeMap<String, usize>);

impl Counts {
    fn add(&mut self, key: impl Into<String>) {
        *self.0.entry(key.into()).or_default() += 1;
    }

    fn render(&self) -> String {
        self.0.iter().map(|(key, count)| format!("{key}: {count}\n")).collect()
    }
}

fn count_rule(rule: &Rule, counts: &mut Counts) {
    counts.add("rules");
    for header in &rule.headers {
        counts.add(format!("section {}", header.name));
    }
    counts.add(format!("meta entries {}", if rule.meta.is_empty() { "none" } else { "some" }));
    for _ in &rule.meta {
        counts.add("meta entry");
    }
    if let Some(section) = &rule.match_section {
        let kind = match section.window.kind {
            WindowKind::Hop => "hop",
            WindowKind::Tumbling => "tumbling",
            WindowKind::SlidingAfter(_) => "sliding after",
            WindowKind::SlidingBefore(_) => "sliding before",
        };
        counts.add(format!("window {kind}"));
        let duration = &section.window.duration;
        counts.add(format!("window length {}{}", duration.value, duration.unit.suffix()));
        counts.add(format!("match variables {}", section.vars.len()));
    }
    for _ in &rule.events {
        counts.add("events predicate");
    }
    for _ in &rule.outcome {
        counts.add("outcome assignment");
    }
    for _ in &rule.options {
        counts.add("option");
    }
    let mut exprs: Vec<&Expr> = rule.events.iter().collect();
    exprs.extend(rule.outcome.iter().map(|o| &o.expr));
    exprs.extend(rule.condition.iter());
    for expr in exprs {
        expr.walk(&mut |e| count_expr(e, counts));
    }
}

fn count_expr(expr: &Expr, counts: &mut Counts) {
    let key = match &expr.kind {
        ExprKind::Literal(Literal::String { raw: false, .. }) => "literal string".to_string(),
        ExprKind::Literal(Literal::String { raw: true, .. }) => "literal raw string".to_string(),
        ExprKind::Literal(Literal::Int(_)) => "literal int".to_string(),
        ExprKind::Literal(Literal::Float(_)) => "literal float".to_string(),
        ExprKind::Literal(Literal::Bool(_)) => "literal bool".to_string(),
        ExprKind::Literal(Literal::Null) => "literal null".to_string(),
        ExprKind::Regex(_) => "regex literal".to_string(),
        ExprKind::Duration(_) => "duration".to_string(),
        ExprKind::Field(field) => {
            let source = match field.source {
                FieldSource::Udm => "udm",
                FieldSource::Graph => "graph",
                FieldSource::Detection => "detection",
            };
            counts.add(format!("field {source}"));
            match field.quantifier {
                Some(Quantifier::Any) => counts.add("quantifier any"),
                Some(Quantifier::All) => counts.add("quantifier all"),
                None => {}
            }
            for segment in &field.path {
                match segment {
                    PathSegment::Index(..) => counts.add("path index"),
                    PathSegment::Key(..) => counts.add("path map key"),
                    PathSegment::Field(_) => {}
                }
            }
            return;
        }
        ExprKind::Variable(_) => "variable".to_string(),
        ExprKind::Count(_) => "count #".to_string(),
        ExprKind::Absent(_) => "absent !$".to_string(),
        ExprKind::ListRef(list) if list.column.is_some() => "data-table column".to_string(),
        ExprKind::ListRef(_) => "list value".to_string(),
        ExprKind::Not(_) => "not".to_string(),
        ExprKind::And(..) => "and".to_string(),
        ExprKind::Or(..) => "or".to_string(),
        ExprKind::Compare { op, nocase, .. } => {
            if *nocase {
                counts.add("compare nocase");
            }
            format!("compare {}", op.as_str())
        }
        ExprKind::Arithmetic { op, .. } => format!("arithmetic {}", op.as_str()),
        ExprKind::Negate(_) => "negate".to_string(),
        ExprKind::Call { name, nocase, .. } => {
            if *nocase {
                counts.add("call nocase");
            }
            let dotted: Vec<String> = name.iter().map(|n| n.name.to_ascii_lowercase()).collect();
            format!("call {}", dotted.join("."))
        }
        ExprKind::InList { kind, nocase, .. } => {
            if *nocase {
                counts.add("in list nocase");
            }
            match kind {
                ListMatch::Exact => "in %list".to_string(),
                ListMatch::Regex => "in regex %list".to_string(),
                ListMatch::Cidr => "in cidr %list".to_string(),
            }
        }
        ExprKind::InLiteralList { .. } => "in (literal list)".to_string(),
        ExprKind::Array(_) => "array literal".to_string(),
        ExprKind::NOf { quantity, .. } => match quantity {
            NOfQuantity::Any => "any of".to_string(),
            NOfQuantity::All => "all of".to_string(),
            NOfQuantity::AtLeast(_) => "n of".to_string(),
        },
        ExprKind::WindowStart => "window_start".to_string(),
        ExprKind::WindowEnd => "window_end".to_string(),
        ExprKind::Paren(_) => "parentheses".to_string(),
        ExprKind::NamedArg { .. } => "named argument".to_string(),
    };
    counts.add(key);
}

fn corpus_counts() -> Option<String> {
    let files = corpus_files()?;
    let mut counts = Counts::default();
    for path in files.iter().filter(|p| !is_invalid(p)) {
        let source = load(path);
        counts.add("files");
        for comment in lex(&source.text).comments {
            let text = source.slice(comment.span);
            counts.add(if text.starts_with("//") { "comment line" } else { "comment block" });
        }
        let (file, diagnostics) = yaral::parse(&source);
        assert!(diagnostics.is_empty(), "{}: {diagnostics:?}", source.name);
        for rule in &file.rules {
            count_rule(rule, &mut counts);
        }
    }
    Some(counts.render())
}

#[test]
fn corpus_feature_counts_match_golden() {
    let Some(actual) = corpus_counts() else { return };
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, &actual).expect("write the golden file");
        return;
    }
    let expected = std::fs::read_to_string(GOLDEN).unwrap_or_default();
    if actual != expected {
        let changed: Vec<String> = diff_lines(&expected, &actual);
        panic!(
            "feature counts differ from {GOLDEN} (rerun with UPDATE_GOLDEN=1 if intended):\n{}",
            changed.join("\n")
        );
    }
}

/// Lists the lines present in only one of the two texts, marked `-` (expected) or `+` (actual).
fn diff_lines(expected: &str, actual: &str) -> Vec<String> {
    let expected_lines: Vec<&str> = expected.lines().collect();
    let actual_lines: Vec<&str> = actual.lines().collect();
    let mut out: Vec<String> = expected_lines
        .iter()
        .filter(|line| !actual_lines.contains(line))
        .map(|line| format!("- {line}"))
        .collect();
    out.extend(
        actual_lines
            .iter()
            .filter(|line| !expected_lines.contains(line))
            .map(|line| format!("+ {line}")),
    );
    out
}
