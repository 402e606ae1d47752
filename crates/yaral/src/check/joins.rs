//! Join connectivity of the `events:` section, and the rules on what one predicate may join.
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

/// Reports event variables that are not joined to the others, and function calls in `events:`
/// that read fields of more than one event variable.
pub fn check(rule: &Rule, scope: &Scope, out: &mut Vec<Diagnostic>) {
    for predicate in &rule.events {
        check_calls(predicate, out);
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

/// A function call in `events:` may read fields of one event variable only.
fn check_calls(expr: &Expr, out: &mut Vec<Diagnostic>) {
    expr.walk(&mut |e| {
        if let ExprKind::Call { name, args, .. } = &e.kind {
            let mut vars: Vec<&str> = Vec::new();
            for arg in args {
                for var in arg.event_vars() {
                    if !vars.contains(&var) {
                        vars.push(var);
                    }
                }
            }
            if vars.len() > 1 {
                let list: Vec<String> = vars.iter().map(|v| format!("`${v}`")).collect();
                out.push(
                    Diagnostic::error(e.span, format!("`{}` reads fields of several event variables ({})", dotted_name(name), list.join(", ")))
                        .with_help("a function call may read one event variable; compare the results of separate calls instead"),
                );
            }
        }
    });
}
