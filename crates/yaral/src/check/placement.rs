//! Constructs that parse anywhere but are valid in some sections only, and the sections
//! Dragnet does not run yet.

use std::collections::BTreeSet;

use crate::ast::{ArgValue, Expr, ExprKind, Rule, Span};
use crate::diagnostic::Diagnostic;
use crate::parser::dotted_name;

/// Checks where each construct sits.
pub fn check(rule: &Rule, out: &mut Vec<Diagnostic>) {
    check_setup_and_export(rule, out);
    if let Some(setup) = &rule.setup {
        out.push(
            Diagnostic::error(setup.span, "not supported yet: the `setup:` section")
                .with_help("Dragnet does not change the entity graph from data tables yet"),
        );
    }
    if let Some(export) = &rule.export {
        out.push(
            Diagnostic::error(export.span, "not supported yet: the `export:` section")
                .with_help("Dragnet does not write detections to data tables yet"),
        );
    }
    let argument_durations = named_argument_durations(rule);
    let is_argument = |e: &Expr| argument_durations.contains(&e.span);
    for expr in &rule.events {
        expr.walk(&mut |e| {
            let what = match &e.kind {
                ExprKind::Count(_) => "`#` counts",
                ExprKind::Absent(_) => "`!$` absence tests",
                ExprKind::NOf { .. } => "`of [...]` lists",
                ExprKind::WindowStart | ExprKind::WindowEnd => "`window_start` and `window_end`",
                ExprKind::Duration(_) if !is_argument(e) => "durations",
                _ => return,
            };
            out.push(Diagnostic::error(e.span, format!("{what} cannot be used in `events:`")));
        });
    }
    for assignment in &rule.outcome {
        assignment.expr.walk(&mut |e| {
            let what = match &e.kind {
                ExprKind::NOf { .. } => "`of [...]` lists",
                ExprKind::Duration(_) if !is_argument(e) => "durations",
                _ => return,
            };
            out.push(Diagnostic::error(e.span, format!("{what} cannot be used in `outcome:`")));
        });
    }
    if let Some(condition) = &rule.condition {
        condition.walk(&mut |e| {
            if matches!(e.kind, ExprKind::Duration(_)) && !is_argument(e) {
                out.push(Diagnostic::error(e.span, "durations cannot be used in `condition:`"));
            }
        });
    }
    let uses_window_bounds = |expr: &Expr| {
        let mut found = None;
        expr.walk(&mut |e| {
            if matches!(e.kind, ExprKind::WindowStart | ExprKind::WindowEnd) && found.is_none() {
                found = Some(e.span);
            }
        });
        found
    };
    if rule.match_section.is_none() {
        let mut exprs: Vec<&Expr> = rule.outcome.iter().map(|o| &o.expr).collect();
        exprs.extend(rule.condition.iter());
        if let Some(span) = exprs.into_iter().find_map(uses_window_bounds) {
            out.push(
                Diagnostic::error(
                    span,
                    "`window_start` and `window_end` need a window in `match:`",
                )
                .with_help("add a `match:` section, such as `$user over 1h`"),
            );
        }
    }
}

/// The spans of the durations that are values of named arguments (`period:1d`), which are
/// valid wherever the call is.
fn named_argument_durations(rule: &Rule) -> BTreeSet<Span> {
    let mut spans = BTreeSet::new();
    let mut exprs: Vec<&Expr> = rule.events.iter().collect();
    exprs.extend(rule.outcome.iter().map(|o| &o.expr));
    exprs.extend(rule.condition.iter());
    for expr in exprs {
        expr.walk(&mut |e| {
            if let ExprKind::NamedArg { value: ArgValue::Expr(value), .. } = &e.kind {
                if matches!(value.kind, ExprKind::Duration(_)) {
                    spans.insert(value.span);
                }
            }
        });
    }
    spans
}

/// The operations that `setup:` and `export:` know, checked even though neither section runs
/// yet, so that a typo is named before the section is supported.
fn check_setup_and_export(rule: &Rule, out: &mut Vec<Diagnostic>) {
    const SETUP_OPERATIONS: [&str; 3] = ["graph_override", "graph_append", "graph_exclude"];
    for operation in rule.setup.iter().flat_map(|s| &s.body) {
        let name = match &operation.kind {
            ExprKind::Call { name, .. } => dotted_name(name),
            _ => String::new(),
        };
        if !SETUP_OPERATIONS.iter().any(|known| known.eq_ignore_ascii_case(&name)) {
            out.push(
                Diagnostic::error(operation.span, "unknown `setup:` operation")
                    .with_help("the operations are `graph_override (...)`, `graph_append [...]` and `graph_exclude (...)`"),
            );
        }
    }
    for write in rule.export.iter().flat_map(|e| &e.writes) {
        if !write.method.name.eq_ignore_ascii_case("write_row") {
            out.push(
                Diagnostic::error(
                    write.method.span,
                    format!("unknown data-table operation `{}`", write.method.name),
                )
                .with_help("`export:` writes with `%table.write_row(column: $value, ...)`"),
            );
        }
    }
}
