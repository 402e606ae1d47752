//! The aggregation rules of `outcome:`.
//!
//! With a `match:` section every event field, placeholder and data-table column must sit
//! inside an aggregate.
//! Without one, only repeated fields and placeholders bound to repeated fields need one.
//! Outcome variables count as already aggregated and may not be aggregated again.

use crate::ast::{Expr, ExprKind, Rule};
use crate::diagnostic::Diagnostic;
use crate::format::text;
use crate::parser::dotted_name;

use super::functions::is_aggregate;
use super::metrics;
use super::scope::Scope;
use super::types::FieldTypes;

struct Context<'a> {
    scope: &'a Scope,
    types: &'a FieldTypes,
    has_match: bool,
    out: &'a mut Vec<Diagnostic>,
}

/// Checks every outcome assignment.
pub fn check(rule: &Rule, scope: &Scope, types: &FieldTypes, out: &mut Vec<Diagnostic>) {
    let mut context = Context { scope, types, has_match: rule.match_section.is_some(), out };
    for assignment in &rule.outcome {
        context.visit(&assignment.expr, false, None);
    }
}

impl Context<'_> {
    /// `aggregated`: inside an aggregate call. `guard`: the name of an enclosing construct that
    /// may not read outcome variables (`arrays.length`).
    fn visit(&mut self, expr: &Expr, aggregated: bool, guard: Option<&str>) {
        match &expr.kind {
            ExprKind::Call { name, .. } if metrics::is_metrics(name) => {
                // The aggregation rule covers the placeholders in the call's filters, but the
                // fix is to aggregate the call (`max(metrics.x(...))`), not each placeholder.
                let reads_events = !expr.variables().is_empty() || !expr.fields().is_empty();
                if self.has_match && !aggregated && reads_events {
                    self.out.push(
                        Diagnostic::error(expr.span, format!("`{}` must be aggregated in `outcome:`, because it reads placeholders and the rule has a `match:` section", dotted_name(name)))
                            .with_help("wrap the call in an aggregate such as `max(...)`"),
                    );
                }
            }
            ExprKind::Call { name, args, .. } => {
                let dotted = dotted_name(name);
                let aggregate = is_aggregate(&dotted);
                if aggregate && aggregated {
                    self.out.push(
                        Diagnostic::error(expr.span, format!("the aggregate `{dotted}` is nested inside another aggregate"))
                            .with_help("aggregate once; an outer aggregate cannot read the result of an inner one"),
                    );
                }
                let guard = if dotted.eq_ignore_ascii_case("arrays.length") {
                    Some("arrays.length")
                } else {
                    guard
                };
                let reads_lists = reads_whole_lists(&dotted);
                for arg in args {
                    // Without `match:`, a list function reads a repeated field as one list,
                    // so the field needs no aggregate: `arrays.length($e.principal.ip)`.
                    let whole_list = reads_lists
                        && !self.has_match
                        && matches!(arg.unparen().kind, ExprKind::Field(_));
                    if whole_list {
                        continue;
                    }
                    self.visit(arg, aggregated || aggregate, guard);
                }
            }
            ExprKind::Field(field) => {
                let repeated = self.types.get(&field.span).is_some_and(|t| t.repeated);
                // `any`/`all` read the whole list, the same for every copy of the event.
                let quantified = field.quantifier.is_some();
                if !aggregated && (self.has_match || (repeated && !quantified)) {
                    let reason = if self.has_match {
                        "because the rule has a `match:` section"
                    } else {
                        "because it is a repeated field"
                    };
                    self.out.push(
                        Diagnostic::error(field.span, format!("`${}.{}` must be aggregated in `outcome:`, {reason}", field.var.name, field.dotted()))
                            .with_help("wrap it, or the expression that uses it, in an aggregate such as `array_distinct(...)`, `max(...)` or `count(...)`"),
                    );
                }
            }
            ExprKind::ListRef(list) if list.column.is_some() => {
                if self.has_match && !aggregated {
                    self.out.push(
                        Diagnostic::error(list.span, format!("`{}` must be aggregated in `outcome:`, because the rule has a `match:` section", text::list_ref(list)))
                            .with_help("wrap it, or the expression that uses it, in an aggregate such as `array_distinct(...)`, `max(...)` or `count(...)`"),
                    );
                }
            }
            ExprKind::Variable(var) => {
                if self.scope.outcome_vars.contains(&var.name) {
                    if aggregated {
                        self.out.push(
                            Diagnostic::error(var.span, format!("outcome variable `${}` is already aggregated and cannot be aggregated again", var.name))
                                .with_help("use it outside the aggregate"),
                        );
                    } else if let Some(guard) = guard {
                        self.out.push(Diagnostic::error(
                            var.span,
                            format!(
                                "outcome variable `${}` cannot be used inside `{guard}`",
                                var.name
                            ),
                        ));
                    }
                    return;
                }
                let Some(placeholder) = self.scope.placeholders.get(&var.name) else { return };
                let repeated = placeholder
                    .field_spans
                    .iter()
                    .any(|span| self.types.get(span).is_some_and(|t| t.repeated));
                if !aggregated && (self.has_match || repeated) {
                    let reason = if self.has_match {
                        "because the rule has a `match:` section"
                    } else {
                        "because it is bound to a repeated field"
                    };
                    self.out.push(
                        Diagnostic::error(var.span, format!("placeholder `${}` must be aggregated in `outcome:`, {reason}", var.name))
                            .with_help("wrap it, or the expression that uses it, in an aggregate such as `array_distinct(...)`, `max(...)` or `count(...)`"),
                    );
                }
            }
            _ => {
                for child in expr.children() {
                    self.visit(child, aggregated, guard);
                }
            }
        }
    }
}

/// Whether a function reads its repeated-field arguments as whole lists.
fn reads_whole_lists(dotted: &str) -> bool {
    dotted.to_ascii_lowercase().starts_with("arrays.")
}
