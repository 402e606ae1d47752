//! Name resolution: undefined variables, placeholders never bound to a field, match and outcome
//! variables, and variable names that clash with keywords.

use std::collections::BTreeSet;

use crate::ast::{Expr, ExprKind, FieldSource, Ident, Rule, WindowKind};
use crate::diagnostic::Diagnostic;

use super::scope::Scope;

/// Words that cannot name a variable. The language reserves more (function names such as
/// `count` and `max` among them), but real rules and Google's own examples name outcome variables
/// `$count`, so only words that would confuse the grammar are rejected here.
const RESERVED: &[&str] = &[
    "rule",
    "meta",
    "events",
    "match",
    "outcome",
    "condition",
    "options",
    "setup",
    "export",
    "and",
    "or",
    "not",
    "in",
    "over",
    "by",
    "of",
    "nocase",
    "regex",
    "cidr",
    "before",
    "after",
    "any",
    "all",
    "is",
    "null",
    "true",
    "false",
    "window_start",
    "window_end",
];

/// Checks every variable reference of the rule against the scope.
pub fn check(rule: &Rule, scope: &Scope, out: &mut Vec<Diagnostic>) {
    check_reserved(rule, out);
    check_sources(rule, out);
    check_composite(rule, scope, out);
    for (name, placeholder) in &scope.placeholders {
        if !placeholder.bound {
            out.push(
                Diagnostic::error(placeholder.span, format!("placeholder `${name}` is never bound to an event field"))
                    .with_help(format!("assign it in `events:`, such as `${name} = $e.principal.hostname`; a `!=` or a comparison with other placeholders does not bind it")),
            );
        }
    }
    check_match(rule, scope, out);
    check_outcome(rule, scope, out);
    if let Some(condition) = &rule.condition {
        check_condition(condition, scope, out);
    }
}

fn check_reserved(rule: &Rule, out: &mut Vec<Diagnostic>) {
    let mut seen = BTreeSet::new();
    let mut report = |ident: &Ident, out: &mut Vec<Diagnostic>| {
        let lower = ident.name.to_ascii_lowercase();
        if RESERVED.contains(&lower.as_str()) && seen.insert(ident.span) {
            out.push(
                Diagnostic::error(
                    ident.span,
                    format!("`${}` is a keyword and cannot name a variable", ident.name),
                )
                .with_help("rename the variable"),
            );
        }
    };
    let mut exprs: Vec<&Expr> = rule.events.iter().collect();
    exprs.extend(rule.outcome.iter().map(|o| &o.expr));
    exprs.extend(rule.condition.iter());
    for expr in exprs {
        expr.walk(&mut |e| match &e.kind {
            ExprKind::Variable(ident) | ExprKind::Count(ident) | ExprKind::Absent(ident) => {
                report(ident, out)
            }
            ExprKind::Field(field) => report(&field.var, out),
            _ => {}
        });
    }
    for assignment in &rule.outcome {
        report(&assignment.var, out);
    }
}

/// An event variable reads one source only: UDM events, entity records or detections.
fn check_sources(rule: &Rule, out: &mut Vec<Diagnostic>) {
    let mut first: std::collections::BTreeMap<&str, FieldSource> = Default::default();
    let mut reported = BTreeSet::new();
    for predicate in &rule.events {
        for field in predicate.fields() {
            let source = *first.entry(&field.var.name).or_insert(field.source);
            if source != field.source && reported.insert(field.var.name.as_str()) {
                out.push(
                    Diagnostic::error(
                        field.span,
                        format!(
                            "event variable `${}` reads {} here but {} elsewhere",
                            field.var.name,
                            source_name(field.source),
                            source_name(source)
                        ),
                    )
                    .with_help("use a separate event variable for each source"),
                );
            }
        }
    }
}

/// Reports a composite rule without `match:`. Such a rule reads the detections of other
/// rules, and Google SecOps requires it to group them in a window.
fn check_composite(rule: &Rule, scope: &Scope, out: &mut Vec<Diagnostic>) {
    if rule.match_section.is_some() {
        return;
    }
    let detections = scope.event_vars.iter().find(|(_, var)| var.source == FieldSource::Detection);
    if let Some((name, var)) = detections {
        out.push(
            Diagnostic::error(
                var.span,
                format!("`${name}` reads detections, and a composite rule needs a `match:` section"),
            )
            .with_help("add a `match:` section over at most 48h, such as `$user over 1h`, with a placeholder bound to a detection field"),
        );
    }
}

fn source_name(source: FieldSource) -> &'static str {
    match source {
        FieldSource::Udm => "UDM events",
        FieldSource::Graph => "entity records (`graph`)",
        FieldSource::Detection => "detections (`detection`)",
    }
}

fn check_match(rule: &Rule, scope: &Scope, out: &mut Vec<Diagnostic>) {
    let Some(section) = &rule.match_section else { return };
    let mut seen = BTreeSet::new();
    for var in &section.vars {
        if !seen.insert(var.name.as_str()) {
            out.push(Diagnostic::error(
                var.span,
                format!("match variable `${}` is listed twice", var.name),
            ));
        } else if scope.event_vars.contains_key(&var.name) {
            out.push(
                Diagnostic::error(var.span, format!("`${}` is an event variable; match variables must be placeholders", var.name))
                    .with_help(format!("bind a placeholder in `events:`, such as `$user = ${}.principal.user.userid`, and match on it", var.name)),
            );
        } else if !scope.placeholders.contains_key(&var.name) {
            out.push(
                Diagnostic::error(
                    var.span,
                    format!("match variable `${}` is not defined in `events:`", var.name),
                )
                .with_help(format!(
                    "bind it in `events:`, such as `${} = $e.principal.hostname`",
                    var.name
                )),
            );
        }
    }
    if let WindowKind::SlidingAfter(pivot) | WindowKind::SlidingBefore(pivot) = &section.window.kind
    {
        if !scope.event_vars.contains_key(&pivot.name) {
            out.push(Diagnostic::error(
                pivot.span,
                format!(
                    "sliding-window pivot `${}` is not an event variable of `events:`",
                    pivot.name
                ),
            ));
        }
    }
}

fn check_outcome(rule: &Rule, scope: &Scope, out: &mut Vec<Diagnostic>) {
    let mut seen = BTreeSet::new();
    for (index, assignment) in rule.outcome.iter().enumerate() {
        let name = &assignment.var.name;
        if !seen.insert(name.as_str()) {
            out.push(Diagnostic::error(
                assignment.var.span,
                format!("outcome variable `${name}` is assigned twice"),
            ));
        }
        if scope.placeholders.contains_key(name) || scope.event_vars.contains_key(name) {
            out.push(
                Diagnostic::error(
                    assignment.var.span,
                    format!(
                        "outcome variable `${name}` has the same name as a variable of `events:`"
                    ),
                )
                .with_help("rename the outcome variable"),
            );
        }
        assignment.expr.walk(&mut |e| match &e.kind {
            ExprKind::Variable(ident) => {
                let v = &ident.name;
                if scope.placeholders.contains_key(v) || scope.outcome_before(v, index) {
                    return;
                }
                let message = if scope.outcome_vars.contains(v) {
                    format!("outcome variable `${v}` is used before it is defined")
                } else if scope.event_vars.contains_key(v) {
                    format!("event variable `${v}` cannot be used alone in `outcome:`; read one of its fields")
                } else {
                    format!("variable `${v}` is not defined")
                };
                let help = if scope.outcome_vars.contains(v) {
                    "an outcome can only read outcome variables assigned above it"
                } else {
                    "outcome expressions read placeholders and fields of event variables from `events:`"
                };
                out.push(Diagnostic::error(ident.span, message).with_help(help));
            }
            ExprKind::Field(field) if !scope.event_vars.contains_key(&field.var.name) => {
                out.push(Diagnostic::error(
                    field.var.span,
                    format!("event variable `${}` is not defined in `events:`", field.var.name),
                ));
            }
            ExprKind::Count(ident) | ExprKind::Absent(ident) => {
                out.push(Diagnostic::error(
                    e.span,
                    format!("`{}` can only be used in `condition:`", fragment(e, ident)),
                ));
            }
            _ => {}
        });
    }
}

fn fragment(expr: &Expr, ident: &Ident) -> String {
    match expr.kind {
        ExprKind::Count(_) => format!("#{}", ident.name),
        _ => format!("!${}", ident.name),
    }
}

fn check_condition(condition: &Expr, scope: &Scope, out: &mut Vec<Diagnostic>) {
    condition.walk(&mut |e| match &e.kind {
        ExprKind::Variable(ident) => {
            let v = &ident.name;
            if scope.match_vars.contains(v) {
                out.push(
                    Diagnostic::error(ident.span, format!("match variable `${v}` cannot be used in `condition:`"))
                        .with_help(format!("test the events it groups instead, or count its values with `#{v}`")),
                );
            } else if !scope.event_vars.contains_key(v)
                && !scope.placeholders.contains_key(v)
                && !scope.outcome_vars.contains(v)
            {
                out.push(
                    Diagnostic::error(ident.span, format!("variable `${v}` is not defined"))
                        .with_help("the condition names event variables, placeholders and outcome variables defined above it"),
                );
            }
        }
        ExprKind::Count(ident) => {
            let v = &ident.name;
            if !scope.event_vars.contains_key(v) && !scope.placeholders.contains_key(v) {
                out.push(Diagnostic::error(
                    ident.span,
                    format!("`#{v}` counts an event variable or placeholder, but `${v}` is not defined in `events:`"),
                ));
            }
        }
        ExprKind::Absent(ident) => {
            let v = &ident.name;
            if !scope.event_vars.contains_key(v) {
                out.push(Diagnostic::error(
                    ident.span,
                    format!("`!${v}` needs an event variable, but `${v}` is not one"),
                ));
            }
        }
        ExprKind::Field(field) => {
            out.push(
                Diagnostic::error(field.span, "event fields cannot be read in `condition:`")
                    .with_help("move the test to `events:`, or compute it in `outcome:` and test the outcome variable"),
            );
        }
        ExprKind::ListRef(list) if list.column.is_some() => {
            out.push(
                Diagnostic::error(list.span, "data-table columns cannot be read in `condition:`")
                    .with_help("compare the column in `events:`, or aggregate it in `outcome:` and test the outcome variable"),
            );
        }
        _ => {}
    });
}
