//! Join connectivity of the `events:` section, and the rules on how many event variables one
//! function call may read.
//!
//! Event variables are nodes; an equality between expressions of two event variables, or
//! through a shared placeholder, is an edge. A join whose side does arithmetic does not count,
//! and an `or` counts only when every branch is a join. Every event variable must be connected
//! to every other one.

use std::collections::BTreeMap;

use crate::ast::{CompareOp, Expr, ExprKind, Rule};
use crate::diagnostic::Diagnostic;
use crate::parser::dotted_name;

use super::scope::Scope;

/// A union-find over the names of event variables and placeholders.
#[derive(Default)]
struct Components {
    parent: BTreeMap<String, String>,
}

impl Components {
    fn find(&mut self, name: &str) -> String {
        let mut current = name.to_string();
        let mut steps = 0;
        while let Some(parent) = self.parent.get(&current) {
            if *parent == current || steps > self.parent.len() {
                break;
            }
            current = parent.clone();
            steps += 1;
        }
        self.parent.entry(current.clone()).or_insert_with(|| current.clone());
        current
    }

    fn union(&mut self, a: &str, b: &str) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent.insert(ra, rb);
        }
    }
}

/// One side of a possible join: the single event variable or placeholder it depends on.
enum Side<'a> {
    Event(&'a str),
    Placeholder(&'a str),
    Other,
}

fn side<'a>(expr: &'a Expr, scope: &Scope) -> Side<'a> {
    let expr = expr.unparen();
    if let ExprKind::Variable(ident) = &expr.kind {
        if scope.placeholders.contains_key(&ident.name) {
            return Side::Placeholder(&ident.name);
        }
        return Side::Other;
    }
    let mut has_arithmetic = false;
    expr.walk(&mut |e| has_arithmetic |= matches!(e.kind, ExprKind::Arithmetic { .. }));
    if has_arithmetic || !expr.variables().is_empty() {
        return Side::Other;
    }
    match expr.event_vars().as_slice() {
        [single] => Side::Event(single),
        _ => Side::Other,
    }
}

/// The edges one predicate adds, or `None` when it is not a join.
fn join_edges<'a>(expr: &'a Expr, scope: &Scope) -> Option<Vec<(&'a str, &'a str)>> {
    match &expr.kind {
        ExprKind::Paren(inner) => join_edges(inner, scope),
        ExprKind::Or(lhs, rhs) => {
            let mut edges = join_edges(lhs, scope)?;
            edges.extend(join_edges(rhs, scope)?);
            Some(edges)
        }
        ExprKind::And(lhs, rhs) => {
            let mut edges = join_edges(lhs, scope).unwrap_or_default();
            edges.extend(join_edges(rhs, scope).unwrap_or_default());
            Some(edges)
        }
        ExprKind::Compare { op: CompareOp::Eq, lhs, rhs, .. } => {
            match (side(lhs, scope), side(rhs, scope)) {
                (Side::Event(a) | Side::Placeholder(a), Side::Event(b) | Side::Placeholder(b)) => {
                    Some(vec![(a, b)])
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Reports event variables that are not joined to the others, function calls in `events:`
/// that read more than one event variable, and `math.abs` calls in `outcome:` that do.
pub fn check(rule: &Rule, scope: &Scope, out: &mut Vec<Diagnostic>) {
    for predicate in &rule.events {
        check_calls(predicate, scope, |_| true, out);
    }
    // Google's `math.abs` reference states that a call cannot depend on several variables or
    // placeholders, and does not limit that to `events:`. No other function has this rule.
    for assignment in &rule.outcome {
        check_calls(&assignment.expr, scope, |name| name == "math.abs", out);
    }
    if scope.event_vars.len() < 2 {
        return;
    }
    let mut components = Components::default();
    for predicate in &rule.events {
        for (a, b) in join_edges(predicate, scope).unwrap_or_default() {
            components.union(a, b);
        }
    }
    // Report each variable outside the component of the first variable, in source order.
    let mut vars: Vec<(&String, &super::scope::EventVar)> = scope.event_vars.iter().collect();
    vars.sort_by_key(|(_, v)| v.span.start);
    let Some((first, _)) = vars.first().copied() else { return };
    let root = components.find(first);
    for (name, var) in vars.iter().skip(1) {
        if components.find(name) != root {
            out.push(
                Diagnostic::error(var.span, format!("event variable `${name}` is not joined to `${first}`"))
                    .with_help(format!(
                        "every event variable must be joined by an equality, such as `${first}.principal.ip = ${name}.principal.ip`, or through a shared placeholder; joins with arithmetic do not count"
                    )),
            );
        }
    }
}

/// Reports each call, among those `applies_to` selects by dotted name, whose arguments read
/// more than one event variable.
fn check_calls(
    expr: &Expr,
    scope: &Scope,
    applies_to: impl Fn(&str) -> bool,
    out: &mut Vec<Diagnostic>,
) {
    expr.walk(&mut |e| {
        let ExprKind::Call { name, args, .. } = &e.kind else { return };
        let name = dotted_name(name);
        if !applies_to(&name) {
            return;
        }
        let vars = call_event_vars(args, scope);
        if vars.len() > 1 {
            let list: Vec<String> = vars.iter().map(|v| format!("`${v}`")).collect();
            out.push(
                Diagnostic::error(
                    e.span,
                    format!("`{name}` reads fields of several event variables ({})", list.join(", ")),
                )
                .with_help(if name == "math.abs" {
                    "compare the difference in both directions instead, such as `$b.f - $a.f < 300 and $a.f - $b.f < 300`"
                } else {
                    "a function call may read one event variable, directly or through placeholders, so compare the results of separate calls instead"
                }),
            );
        }
    });
}

/// Returns the distinct event variables that call arguments read: through their fields, and
/// through placeholders bound to the fields of exactly one event variable.
///
/// A placeholder bound to fields of several event variables joins them, so its value is the
/// same for all of them and adds no variable of its own.
fn call_event_vars<'a>(args: &'a [Expr], scope: &'a Scope) -> Vec<&'a str> {
    let mut vars: Vec<&str> = Vec::new();
    for arg in args {
        let mut found: Vec<&str> = arg.event_vars();
        for ident in arg.variables() {
            if let Some(placeholder) = scope.placeholders.get(&ident.name) {
                if let [single] = placeholder.events.as_slice() {
                    found.push(single);
                }
            }
        }
        for var in found {
            if !vars.contains(&var) {
                vars.push(var);
            }
        }
    }
    vars
}
