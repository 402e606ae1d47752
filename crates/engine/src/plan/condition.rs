//! Reading the condition: which event variables must be present, and the detection type.
//!
//! A *bounded* condition forces an event to exist: `$e`, `#e > n` (n ≥ 0), `#e >= m` (m > 0),
//! `#e = m` (m > 0), or the same on a placeholder, which bounds the variables that assign it.
//! A variable bounded by a top-level conjunct is required, so it is inner-joined. A variable
//! that appears only in unbounded tests (`!$e`, `#e = 0`, `#e < n`) or inside `or` and
//! `N of` lists may be missing from a detection, so it is joined as optional and its fields
//! read as zero values when it is. A variable the condition never names is required.

use yaral::ast::{self, CompareOp, ExprKind, Literal};

use super::events::{conjuncts, visit};
use super::lower::Lowerer;
use super::PlaceholderPlan;

/// The event variables a count test (`#x`, `$x`) is about.
fn counted_vars(lowerer: &Lowerer<'_>, placeholders: &[PlaceholderPlan], name: &str) -> Vec<usize> {
    if let Some(&v) = lowerer.var_index.get(name) {
        return vec![v];
    }
    match lowerer.placeholder_index.get(name).and_then(|&p| placeholders.get(p)) {
        Some(p) => p.owners.clone(),
        None => Vec::new(),
    }
}

fn int_literal(expr: &ast::Expr) -> Option<i64> {
    match &expr.kind {
        ExprKind::Literal(Literal::Int(i)) => Some(*i),
        ExprKind::Paren(inner) => int_literal(inner),
        _ => None,
    }
}

/// If the conjunct is a bounded test, returns the counted name.
fn bounded_name(expr: &ast::Expr) -> Option<&str> {
    match &expr.kind {
        ExprKind::Paren(inner) => bounded_name(inner),
        ExprKind::Variable(ident) => Some(&ident.name),
        ExprKind::Compare { op, lhs, rhs, .. } => {
            let (name, op, n) = match (&lhs.kind, &rhs.kind) {
                (ExprKind::Count(ident), _) => (&ident.name, *op, int_literal(rhs)?),
                (_, ExprKind::Count(ident)) => (&ident.name, flip(*op), int_literal(lhs)?),
                _ => return None,
            };
            let bounded = match op {
                CompareOp::Gt => n >= 0,
                CompareOp::Ge | CompareOp::Eq => n > 0,
                _ => false,
            };
            bounded.then_some(name.as_str())
        }
        _ => None,
    }
}

/// `n < #e` read as `#e > n`.
fn flip(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::Le => CompareOp::Ge,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::Ge => CompareOp::Le,
        other => other,
    }
}

/// Whether each event variable is required in a detection.
pub(crate) fn required_vars(
    lowerer: &Lowerer<'_>,
    placeholders: &[PlaceholderPlan],
    condition: Option<&ast::Expr>,
) -> Vec<bool> {
    let count = lowerer.vars.len();
    let Some(condition) = condition else {
        return vec![true; count];
    };
    let mut bounded = vec![false; count];
    let mut mentioned_elsewhere = vec![false; count];
    for conjunct in conjuncts(std::slice::from_ref(condition)) {
        if let Some(name) = bounded_name(conjunct) {
            for v in counted_vars(lowerer, placeholders, name) {
                if let Some(b) = bounded.get_mut(v) {
                    *b = true;
                }
            }
            continue;
        }
        visit(conjunct, &mut |e| {
            let name = match &e.kind {
                ExprKind::Variable(i) | ExprKind::Count(i) | ExprKind::Absent(i) => &i.name,
                _ => return,
            };
            for v in counted_vars(lowerer, placeholders, name) {
                if let Some(m) = mentioned_elsewhere.get_mut(v) {
                    *m = true;
                }
            }
        });
    }
    (0..count)
        .map(|v| bounded.get(v) == Some(&true) || mentioned_elsewhere.get(v) != Some(&true))
        .collect()
}

/// Whether the rule is a single-event rule: no `match:`, or one event variable and a
/// condition that only tests that its event exists (`$e`, `#e > 0`, `#e >= 1`).
pub(crate) fn is_single_event(rule: &ast::Rule, var_count: usize) -> bool {
    if rule.match_section.is_none() {
        return true;
    }
    if var_count != 1 {
        return false;
    }
    let Some(condition) = &rule.condition else { return true };
    let parts = conjuncts(std::slice::from_ref(condition));
    if parts.len() != 1 {
        return false;
    }
    let Some(part) = parts.first() else { return false };
    match &part.kind {
        ExprKind::Variable(_) => true,
        ExprKind::Compare { op, lhs, rhs, .. } => {
            let (op, n) = match (&lhs.kind, &rhs.kind) {
                (ExprKind::Count(_), _) => (*op, int_literal(rhs)),
                (_, ExprKind::Count(_)) => (flip(*op), int_literal(lhs)),
                _ => return false,
            };
            matches!((op, n), (CompareOp::Gt, Some(0)) | (CompareOp::Ge, Some(1)))
        }
        _ => false,
    }
}
