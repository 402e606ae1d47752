//! The variables a rule defines: event variables, placeholders, match and outcome variables.
//!
//! Built once per rule from the `events:`, `match:` and `outcome:` sections; the other checks
//! read it to resolve names.

use std::collections::BTreeMap;

use crate::ast::{CompareOp, Expr, ExprKind, FieldSource, Rule, Span};

/// What the rule knows about one event variable.
#[derive(Debug, Clone)]
pub struct EventVar {
    /// The first place a field of it is read in `events:`.
    pub span: Span,
    /// Whether it reads UDM events, entity records or detections.
    pub source: FieldSource,
}

/// What the rule knows about one placeholder.
#[derive(Debug, Clone)]
pub struct Placeholder {
    /// Its first use in `events:`.
    pub span: Span,
    /// Whether some `=` ties it, directly or through other placeholders, to an event field.
    pub bound: bool,
    /// Whether some binding assigns it from a function call (such placeholders keep zero values
    /// in `match:`).
    pub from_call: bool,
    /// The event variables whose fields it is bound to.
    pub events: Vec<String>,
    /// The spans of the field references it is bound to directly (`$p = $e.f`).
    pub field_spans: Vec<Span>,
}

/// The names a rule defines.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Event variables by name.
    pub event_vars: BTreeMap<String, EventVar>,
    /// Placeholders by name.
    pub placeholders: BTreeMap<String, Placeholder>,
    /// Match variables in order.
    pub match_vars: Vec<String>,
    /// Outcome variables in order.
    pub outcome_vars: Vec<String>,
}

impl Scope {
    /// Collects the names defined by `rule`.
    pub fn build(rule: &Rule) -> Scope {
        let mut scope = Scope::default();
        for predicate in &rule.events {
            for field in predicate.fields() {
                scope
                    .event_vars
                    .entry(field.var.name.clone())
                    .or_insert(EventVar { span: field.var.span, source: field.source });
            }
        }
        for predicate in &rule.events {
            for ident in predicate.variables() {
                if scope.event_vars.contains_key(&ident.name) {
                    continue;
                }
                scope.placeholders.entry(ident.name.clone()).or_insert(Placeholder {
                    span: ident.span,
                    bound: false,
                    from_call: false,
                    events: Vec::new(),
                    field_spans: Vec::new(),
                });
            }
        }
        let mut aliases: Vec<(String, String)> = Vec::new();
        for predicate in &rule.events {
            scope.collect_bindings(predicate, &mut aliases);
        }
        // Placeholder-to-placeholder equalities share bindings; repeat until nothing changes.
        let mut changed = true;
        while changed {
            changed = false;
            for (a, b) in &aliases {
                let (Some(pa), Some(pb)) = (scope.placeholders.get(a), scope.placeholders.get(b))
                else {
                    continue;
                };
                let bound = pa.bound || pb.bound;
                let mut events = pa.events.clone();
                for e in &pb.events {
                    if !events.contains(e) {
                        events.push(e.clone());
                    }
                }
                for name in [a, b] {
                    if let Some(p) = scope.placeholders.get_mut(name) {
                        if p.bound != bound || p.events.len() != events.len() {
                            changed = true;
                        }
                        p.bound = bound;
                        p.events = events.clone();
                    }
                }
            }
        }
        if let Some(section) = &rule.match_section {
            scope.match_vars = section.vars.iter().map(|v| v.name.clone()).collect();
        }
        scope.outcome_vars = rule.outcome.iter().map(|o| o.var.name.clone()).collect();
        scope
    }

    /// Records the bindings in one predicate. A binding under `not` does not count.
    fn collect_bindings(&mut self, expr: &Expr, aliases: &mut Vec<(String, String)>) {
        match &expr.kind {
            ExprKind::Paren(inner) => self.collect_bindings(inner, aliases),
            ExprKind::And(lhs, rhs) | ExprKind::Or(lhs, rhs) => {
                self.collect_bindings(lhs, aliases);
                self.collect_bindings(rhs, aliases);
            }
            ExprKind::Compare { op: CompareOp::Eq, lhs, rhs, .. } => {
                let (lhs, rhs) = (lhs.unparen(), rhs.unparen());
                match (&lhs.kind, &rhs.kind) {
                    (ExprKind::Variable(a), ExprKind::Variable(b)) => {
                        aliases.push((a.name.clone(), b.name.clone()));
                    }
                    (ExprKind::Variable(var), _) => self.bind(&var.name, rhs),
                    (_, ExprKind::Variable(var)) => self.bind(&var.name, lhs),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn bind(&mut self, name: &str, value: &Expr) {
        let Some(placeholder) = self.placeholders.get_mut(name) else { return };
        let events = value.event_vars();
        let is_table_column =
            matches!(&value.kind, ExprKind::ListRef(list) if list.column.is_some());
        if events.is_empty() && !is_table_column {
            return;
        }
        placeholder.bound = true;
        if matches!(value.kind, ExprKind::Call { .. }) {
            placeholder.from_call = true;
        }
        if let ExprKind::Field(field) = &value.kind {
            placeholder.field_spans.push(field.span);
        }
        for event in events {
            if !placeholder.events.iter().any(|e| e == event) {
                placeholder.events.push(event.to_string());
            }
        }
    }

    /// Whether `name` is an outcome variable defined before position `index` of `outcome:`.
    pub fn outcome_before(&self, name: &str, index: usize) -> bool {
        self.outcome_vars.iter().take(index).any(|o| o == name)
    }
}
