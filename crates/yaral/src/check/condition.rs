//! The bounded and unbounded rules of `condition:`.
//!
//! A bounded condition requires events to exist (`$e`, `#e > 0`, `#e >= 1`); an unbounded one
//! allows none (`!$e`, `#e = 0`, `#e < 3`). At least one UDM event variable must be bounded,
//! every event variable must appear (directly or through a placeholder bound to it), `or` and
//! `not` take no unbounded or event operands, and a match variable's events and a sliding
//! window's pivot must not all be unbounded.

use std::collections::BTreeSet;

use crate::ast::{CompareOp, Expr, ExprKind, FieldSource, Literal, NOfQuantity, Rule, WindowKind};
use crate::diagnostic::Diagnostic;

use super::scope::Scope;

/// What a condition requires of the variables it names.
#[derive(Debug, Default)]
struct Bounds {
    bounded: BTreeSet<String>,
    unbounded: BTreeSet<String>,
}

impl Bounds {
    fn merge(&mut self, other: Bounds) {
        self.bounded.extend(other.bounded);
        self.unbounded.extend(other.unbounded);
    }

    fn is_empty(&self) -> bool {
        self.bounded.is_empty() && self.unbounded.is_empty()
    }
}

struct Analyzer<'a> {
    scope: &'a Scope,
    out: &'a mut Vec<Diagnostic>,
}

/// Checks the condition of the rule.
pub fn check(rule: &Rule, scope: &Scope, out: &mut Vec<Diagnostic>) {
    let Some(condition) = &rule.condition else { return };
    let mut analyzer = Analyzer { scope, out };
    let bounds = analyzer.analyze(condition);
    let out = analyzer.out;

    // A bounded placeholder bounds the events it is bound to.
    let mut bounded = BTreeSet::new();
    let mut unbounded = BTreeSet::new();
    for (set, target) in [(&bounds.bounded, &mut bounded), (&bounds.unbounded, &mut unbounded)] {
        for name in set {
            target.insert(name.clone());
            if let Some(placeholder) = scope.placeholders.get(name) {
                target.extend(placeholder.events.iter().cloned());
            }
        }
    }

    let exists = scope
        .event_vars
        .iter()
        .any(|(name, var)| var.source != FieldSource::Graph && bounded.contains(name));
    if !exists && !scope.event_vars.is_empty() {
        out.push(
            Diagnostic::error(condition.span, "the condition must require at least one UDM event variable to match")
                .with_help("add a bounded test such as `$e` or `#e > 0`; `!$e`, `#e = 0` and `#e < n` allow no events"),
        );
    }

    let mut mentioned: BTreeSet<String> = BTreeSet::new();
    condition.walk(&mut |e| {
        if let ExprKind::Variable(ident) | ExprKind::Count(ident) | ExprKind::Absent(ident) =
            &e.kind
        {
            mentioned.insert(ident.name.clone());
            if let Some(placeholder) = scope.placeholders.get(&ident.name) {
                mentioned.extend(placeholder.events.iter().cloned());
            }
        }
    });
    for (name, var) in &scope.event_vars {
        if !mentioned.contains(name) {
            out.push(
                Diagnostic::error(
                    var.span,
                    format!("event variable `${name}` does not appear in `condition:`"),
                )
                .with_help(format!("add it to the condition, such as `and ${name}`")),
            );
        }
    }

    let is_unbounded = |name: &String| unbounded.contains(name) && !bounded.contains(name);
    for var in &scope.match_vars {
        let Some(placeholder) = scope.placeholders.get(var) else { continue };
        if !placeholder.events.is_empty() && placeholder.events.iter().all(is_unbounded) {
            out.push(Diagnostic::error(
                condition.span,
                format!("match variable `${var}` is assigned only from events that the condition allows to be absent"),
            ));
        }
    }
    if let Some(section) = &rule.match_section {
        if let WindowKind::SlidingAfter(pivot) | WindowKind::SlidingBefore(pivot) =
            &section.window.kind
        {
            if !bounded.contains(&pivot.name) && scope.event_vars.contains_key(&pivot.name) {
                out.push(
                    Diagnostic::error(
                        pivot.span,
                        format!(
                            "the sliding-window pivot `${}` must be bounded in `condition:`",
                            pivot.name
                        ),
                    )
                    .with_help(format!("require it, such as `${} and ...`", pivot.name)),
                );
            }
        }
        let tumbling = matches!(section.window.kind, WindowKind::Tumbling);
        if tumbling && event_or(condition, scope) {
            out.push(Diagnostic::error(
                condition.span,
                "an `or` between event variables cannot be used with a tumbling (`by`) window",
            ));
        }
    }
}

impl Analyzer<'_> {
    fn is_event_or_placeholder(&self, name: &str) -> bool {
        self.scope.event_vars.contains_key(name) || self.scope.placeholders.contains_key(name)
    }

    fn analyze(&mut self, expr: &Expr) -> Bounds {
        let mut bounds = Bounds::default();
        match &expr.kind {
            ExprKind::Paren(inner) => return self.analyze(inner),
            ExprKind::Variable(ident) if self.is_event_or_placeholder(&ident.name) => {
                bounds.bounded.insert(ident.name.clone());
            }
            ExprKind::Absent(ident) => {
                bounds.unbounded.insert(ident.name.clone());
            }
            ExprKind::Count(ident) => {
                // A bare `#e` reads as "some events".
                bounds.bounded.insert(ident.name.clone());
            }
            ExprKind::Compare { op, lhs, rhs, .. } => {
                if let Some((name, bounded)) = count_bound(*op, lhs, rhs) {
                    if bounded {
                        bounds.bounded.insert(name);
                    } else {
                        bounds.unbounded.insert(name);
                    }
                }
            }
            ExprKind::And(lhs, rhs) => {
                bounds = self.analyze(lhs);
                let right = self.analyze(rhs);
                bounds.merge(right);
            }
            ExprKind::Or(lhs, rhs) => {
                bounds = self.analyze(lhs);
                let right = self.analyze(rhs);
                bounds.merge(right);
                self.check_or(expr, &bounds);
            }
            ExprKind::NOf { quantity, items } => {
                for item in items {
                    let item_bounds = self.analyze(item);
                    bounds.merge(item_bounds);
                }
                if !matches!(quantity, NOfQuantity::All) {
                    // Google's documentation writes `2 of [$e1, $e2 > 0, $e3, ...]` over three
                    // event variables, so only a list that one item satisfies is an `or` list.
                    let is_or = matches!(quantity, NOfQuantity::Any | NOfQuantity::AtLeast(0..=1));
                    self.check_or_limited(expr, &bounds, is_or);
                }
            }
            ExprKind::Not(inner) => {
                let inner_bounds = self.analyze(inner);
                if !inner_bounds.is_empty() {
                    self.out.push(
                        Diagnostic::error(expr.span, "`not` cannot be applied to event or placeholder conditions")
                            .with_help("write `!$e` or `#e = 0` for an absent event; `not` applies to outcome conditions only"),
                    );
                }
            }
            _ => {}
        }
        bounds
    }

    fn check_or(&mut self, expr: &Expr, bounds: &Bounds) {
        self.check_or_limited(expr, bounds, true);
    }

    /// Checks the operands of an `or`, or of an `N of` list; `limit_events` applies the limit of
    /// two event variables, which holds for `or` lists only.
    fn check_or_limited(&mut self, expr: &Expr, bounds: &Bounds, limit_events: bool) {
        if !bounds.unbounded.is_empty() {
            self.out.push(
                Diagnostic::error(expr.span, "an `or` cannot have unbounded operands such as `!$e` or `#e = 0`")
                    .with_help("require events on every side of the `or`, or move the unbounded test out of it"),
            );
        }
        let events =
            bounds.bounded.iter().filter(|n| self.scope.event_vars.contains_key(*n)).count();
        if limit_events && events > 2 {
            self.out.push(Diagnostic::error(expr.span, format!("an `or` may join at most 2 event variables in a rule, but this one joins {events}")));
        }
        let sources: BTreeSet<bool> = bounds
            .bounded
            .iter()
            .filter_map(|name| self.scope.event_vars.get(name))
            .map(|var| var.source == FieldSource::Udm)
            .collect();
        if sources.len() > 1 {
            self.out.push(
                Diagnostic::error(expr.span, "an `or` between event variables cannot mix UDM events with entity records or detections")
                    .with_help("require both kinds with `and`, or join the event variables of one kind with `or`"),
            );
        }
    }
}

/// For `#v <op> n` (either way round), the counted name and whether the test is bounded.
fn count_bound(op: CompareOp, lhs: &Expr, rhs: &Expr) -> Option<(String, bool)> {
    let (name, op, other) = match (&lhs.unparen().kind, &rhs.unparen().kind) {
        (ExprKind::Count(ident), _) => (ident.name.clone(), op, rhs),
        (_, ExprKind::Count(ident)) => (ident.name.clone(), flip(op), lhs),
        _ => return None,
    };
    let ExprKind::Literal(Literal::Int(n)) = other.unparen().kind else {
        // Against a non-literal, `>` and `>=` are taken as requiring events.
        return Some((name, matches!(op, CompareOp::Gt | CompareOp::Ge)));
    };
    let bounded = match op {
        CompareOp::Gt => n >= 0,
        CompareOp::Ge | CompareOp::Eq => n > 0,
        CompareOp::Ne => n == 0,
        CompareOp::Lt | CompareOp::Le => false,
    };
    Some((name, bounded))
}

fn flip(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::Le => CompareOp::Ge,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::Ge => CompareOp::Le,
        other => other,
    }
}

/// Whether some `or` (or `ANY OF` / `N of`) in the condition has event variables on two sides.
fn event_or(condition: &Expr, scope: &Scope) -> bool {
    let mut found = false;
    condition.walk(&mut |e| {
        let operands: Vec<&Expr> = match &e.kind {
            ExprKind::Or(lhs, rhs) => vec![lhs, rhs],
            ExprKind::NOf { quantity, items } if !matches!(quantity, NOfQuantity::All) => {
                items.iter().collect()
            }
            _ => return,
        };
        let mut vars = BTreeSet::new();
        for operand in operands {
            operand.walk(&mut |o| {
                if let ExprKind::Variable(v) | ExprKind::Count(v) = &o.kind {
                    if scope.event_vars.contains_key(&v.name) {
                        vars.insert(v.name.clone());
                    }
                }
            });
        }
        found |= vars.len() > 1;
    });
    found
}
