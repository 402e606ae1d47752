//! Function calls: unknown names, argument counts, unsupported functions, aggregates outside
//! `outcome:`, and the nesting limit.

use crate::ast::{Expr, ExprKind, Rule, Span};
use crate::diagnostic::Diagnostic;
use crate::parser::dotted_name;

use super::functions::{lookup, Availability, FUNCTIONS};
use super::metrics;
use super::suggest::closest;
use super::CheckOptions;

/// Which section an expression sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Events,
    Outcome,
    Condition,
}

/// Checks every call of the rule.
pub fn check(rule: &Rule, options: &CheckOptions, out: &mut Vec<Diagnostic>) {
    for expr in &rule.events {
        check_expr(expr, Section::Events, options, out);
    }
    for assignment in &rule.outcome {
        check_expr(&assignment.expr, Section::Outcome, options, out);
    }
    if let Some(condition) = &rule.condition {
        check_expr(condition, Section::Condition, options, out);
    }
}

fn check_expr(expr: &Expr, section: Section, options: &CheckOptions, out: &mut Vec<Diagnostic>) {
    let depth = call_depth(expr);
    if depth > options.max_function_depth {
        let span = too_deep_call(expr, 0, options.max_function_depth).unwrap_or(expr.span);
        out.push(
            Diagnostic::error(
                span,
                format!(
                    "function calls are nested {depth} deep; the limit is {}",
                    options.max_function_depth
                ),
            )
            .with_help("compute part of the value in a placeholder or an earlier outcome variable"),
        );
    }
    expr.walk(&mut |e| {
        if let ExprKind::Call { name, args, nocase } = &e.kind {
            if metrics::is_metrics(name) {
                metrics::check_call(e, section == Section::Outcome, out);
            } else {
                check_call(e, &dotted_name(name), args.len(), *nocase, section, out);
            }
        }
    });
}

/// Finds the first call nested deeper than `limit` (counting `depth` enclosing calls) and
/// returns the span of its name.
fn too_deep_call(expr: &Expr, depth: usize, limit: usize) -> Option<Span> {
    let mut depth = depth;
    if let ExprKind::Call { name, .. } = &expr.kind {
        depth += 1;
        if depth > limit {
            let first = name.first()?.span;
            return Some(first.to(name.last()?.span));
        }
    }
    expr.children().into_iter().find_map(|child| too_deep_call(child, depth, limit))
}

fn call_depth(expr: &Expr) -> usize {
    let own = usize::from(matches!(expr.kind, ExprKind::Call { .. }));
    own + expr.children().into_iter().map(call_depth).max().unwrap_or(0)
}

fn check_call(
    call: &Expr,
    name: &str,
    arg_count: usize,
    nocase: bool,
    section: Section,
    out: &mut Vec<Diagnostic>,
) {
    let Some(function) = lookup(name) else {
        let diagnostic = Diagnostic::error(call.span, format!("unknown function `{name}`"));
        out.push(match closest(name, FUNCTIONS.iter().map(|f| f.name)) {
            Some(suggestion) => diagnostic.with_help(format!("did you mean `{suggestion}`?")),
            None => diagnostic,
        });
        return;
    };
    if arg_count < function.min_args() || arg_count > function.max_args() {
        let expected = match (function.min_args(), function.max_args()) {
            (min, max) if min == max => format!("{min}"),
            (min, usize::MAX) => format!("at least {min}"),
            (min, max) => format!("{min} to {max}"),
        };
        out.push(Diagnostic::error(
            call.span,
            format!(
                "`{}` takes {expected} argument{}, but {arg_count} {} given",
                function.name,
                if expected == "1" { "" } else { "s" },
                if arg_count == 1 { "was" } else { "were" }
            ),
        ));
    }
    if function.availability == Availability::Aggregate && section != Section::Outcome {
        out.push(
            Diagnostic::error(
                call.span,
                format!("the aggregate `{}` can only be used in `outcome:`", function.name),
            )
            .with_help("compute it in `outcome:` and test the outcome variable in `condition:`"),
        );
    }
    if nocase && function.name != "re.regex" {
        out.push(Diagnostic::error(
            call.span,
            format!("`nocase` cannot follow `{}`; only `re.regex` takes it", function.name),
        ));
    }
}
