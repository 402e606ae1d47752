//! Splitting the events section into what each stage of evaluation needs.
//!
//! Every line of `events:` is one of:
//! - a placeholder assignment `$p = <expr of one event variable>` (either side): computed per
//!   row of that variable; a placeholder assigned from several variables is a join key;
//! - a placeholder alias `$p = $q`: both names denote one placeholder;
//! - a field equality between two event variables `$a.f = $b.g`: a join key;
//! - a filter that reads one event variable (through its fields or the placeholders it
//!   assigns): applied to each row of that variable before any join;
//! - anything else: a predicate over joined rows.

use std::collections::HashMap;

use yaral::ast::{self, CompareOp, ExprKind};

use super::ir::CExpr;
use super::lower::{Lowerer, Section};
use super::{Binding, CrossFilter, JoinEdge, PlaceholderPlan};

/// The events section, classified.
#[derive(Debug, Default)]
pub(crate) struct EventsPlan {
    pub placeholders: Vec<PlaceholderPlan>,
    /// Per event variable: early filters, bindings, late filters.
    pub filters: Vec<Vec<CExpr>>,
    pub bindings: Vec<Vec<Binding>>,
    pub late_filters: Vec<Vec<CExpr>>,
    pub joins: Vec<JoinEdge>,
    pub cross_filters: Vec<CrossFilter>,
}

/// Visits an expression and all its sub-expressions.
pub(crate) fn visit(expr: &ast::Expr, f: &mut dyn FnMut(&ast::Expr)) {
    f(expr);
    match &expr.kind {
        ExprKind::Not(x) | ExprKind::Paren(x) | ExprKind::Negate(x) => visit(x, f),
        ExprKind::And(a, b) | ExprKind::Or(a, b) => {
            visit(a, f);
            visit(b, f);
        }
        ExprKind::Compare { lhs, rhs, .. } | ExprKind::Arithmetic { lhs, rhs, .. } => {
            visit(lhs, f);
            visit(rhs, f);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|a| visit(a, f)),
        ExprKind::InList { expr, .. } => visit(expr, f),
        ExprKind::InLiteralList { expr, items, .. } => {
            visit(expr, f);
            items.iter().for_each(|i| visit(i, f));
        }
        ExprKind::Array(items) | ExprKind::NOf { items, .. } => {
            items.iter().for_each(|i| visit(i, f))
        }
        _ => {}
    }
}

/// Splits the top-level `and`s of a list of expressions into single conjuncts.
pub(crate) fn conjuncts(exprs: &[ast::Expr]) -> Vec<&ast::Expr> {
    fn split<'a>(expr: &'a ast::Expr, out: &mut Vec<&'a ast::Expr>) {
        match &expr.kind {
            ExprKind::And(a, b) => {
                split(a, out);
                split(b, out);
            }
            ExprKind::Paren(inner)
                if matches!(inner.kind, ExprKind::And(..) | ExprKind::Paren(_)) =>
            {
                split(inner, out)
            }
            _ => out.push(expr),
        }
    }
    let mut out = Vec::new();
    for expr in exprs {
        split(expr, &mut out);
    }
    out
}

fn unparen(expr: &ast::Expr) -> &ast::Expr {
    match &expr.kind {
        ExprKind::Paren(inner) => unparen(inner),
        _ => expr,
    }
}

/// A minimal union-find over placeholder names.
struct Aliases {
    parent: Vec<usize>,
}

impl Aliases {
    fn find(&mut self, mut i: usize) -> usize {
        while let Some(&p) = self.parent.get(i) {
            if p == i {
                break;
            }
            i = p;
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        let (low, high) = if ra < rb { (ra, rb) } else { (rb, ra) };
        if let Some(slot) = self.parent.get_mut(high) {
            *slot = low;
        }
    }
}

/// Declares the event variables and placeholders of a rule in the lowerer, merging aliased
/// placeholders. Returns the placeholder names by merged index.
pub(crate) fn declare(lowerer: &mut Lowerer<'_>, rule: &ast::Rule) -> Vec<String> {
    for expr in &rule.events {
        visit(expr, &mut |e| {
            if let ExprKind::Field(field) = &e.kind {
                lowerer.declare_var(&field.var.name);
            }
        });
    }
    // A data-table column used as a value joins the table's rows as one more variable.
    let valued = rule.events.iter().chain(rule.outcome.iter().map(|o| &o.expr));
    for expr in valued {
        visit(expr, &mut |e| {
            if let ExprKind::ListRef(list) = &e.kind {
                if list.column.is_some() {
                    lowerer.declare_table(list);
                }
            }
        });
    }
    let mut names: Vec<String> = Vec::new();
    for expr in &rule.events {
        visit(expr, &mut |e| {
            if let ExprKind::Variable(ident) = &e.kind {
                if !lowerer.var_index.contains_key(&ident.name) && !names.contains(&ident.name) {
                    names.push(ident.name.clone());
                }
            }
        });
    }
    let mut aliases = Aliases { parent: (0..names.len()).collect() };
    let position = |name: &str| names.iter().position(|n| n == name);
    for conjunct in conjuncts(&rule.events) {
        if let ExprKind::Compare { op: CompareOp::Eq, lhs, rhs, .. } = &unparen(conjunct).kind {
            if let (ExprKind::Variable(a), ExprKind::Variable(b)) =
                (&unparen(lhs).kind, &unparen(rhs).kind)
            {
                if let (Some(a), Some(b)) = (position(&a.name), position(&b.name)) {
                    aliases.union(a, b);
                }
            }
        }
    }
    let mut merged: Vec<String> = Vec::new();
    let mut root_index: HashMap<usize, usize> = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        let root = aliases.find(i);
        let index = *root_index.entry(root).or_insert_with(|| {
            merged.push(name.clone());
            merged.len() - 1
        });
        lowerer.placeholder_index.insert(name.clone(), index);
    }
    merged
}

/// What one conjunct turned out to be.
enum Line {
    Binding { var: usize, placeholder: usize, expr: CExpr, nocase: bool },
    Derived { placeholder: usize, expr: CExpr, nocase: bool },
    Join(JoinEdge),
    Predicate(CExpr),
}

fn is_placeholder(lowerer: &Lowerer<'_>, expr: &ast::Expr) -> Option<usize> {
    match &unparen(expr).kind {
        ExprKind::Variable(ident) if !lowerer.var_index.contains_key(&ident.name) => {
            lowerer.placeholder_index.get(&ident.name).copied()
        }
        _ => None,
    }
}

/// Whether an equality must be lowered whole, as one predicate: a regex literal on either side
/// makes it a regex search, and a quantified field (`any`/`all`) must wrap the comparison,
/// so neither can be split into a binding or a join.
fn needs_whole_predicate(lhs: &ast::Expr, rhs: &ast::Expr) -> bool {
    let mut found = false;
    for side in [lhs, rhs] {
        found |= matches!(unparen(side).kind, ExprKind::Regex(_));
        visit(side, &mut |e| {
            if let ExprKind::Field(field) = &e.kind {
                found |= field.quantifier.is_some();
            }
        });
    }
    found
}

fn classify(lowerer: &mut Lowerer<'_>, conjunct: &ast::Expr) -> Option<Line> {
    if let ExprKind::Compare { op: CompareOp::Eq, lhs, rhs, nocase } = &unparen(conjunct).kind {
        if needs_whole_predicate(lhs, rhs) {
            return lowerer.lower_top(conjunct, Section::Events).map(Line::Predicate);
        }
        let (lp, rp) = (is_placeholder(lowerer, lhs), is_placeholder(lowerer, rhs));
        match (lp, rp) {
            // An alias, already merged by `declare`.
            (Some(_), Some(_)) => return None,
            (Some(p), None) | (None, Some(p)) => {
                let other = if lp.is_some() { rhs } else { lhs };
                let expr = lowerer.lower_top(other, Section::Events)?;
                let operand = lowerer.typed_operand(other, &expr);
                lowerer.check_placeholder_operand(p, operand, conjunct.span);
                let (vars, placeholders) = (expr.vars(), expr.placeholders());
                return Some(match (vars.as_slice(), placeholders.is_empty()) {
                    ([var], true) => {
                        Line::Binding { var: *var, placeholder: p, expr, nocase: *nocase }
                    }
                    ([], false) => Line::Derived { placeholder: p, expr, nocase: *nocase },
                    _ => Line::Predicate(CExpr::Compare {
                        op: CompareOp::Eq,
                        lhs: Box::new(CExpr::Placeholder(p)),
                        rhs: Box::new(expr),
                        nocase: *nocase,
                    }),
                });
            }
            // `x = /re/` is a regex search, never a join or an equality.
            (None, None)
                if matches!(unparen(lhs).kind, ExprKind::Regex(_))
                    || matches!(unparen(rhs).kind, ExprKind::Regex(_)) => {}
            (None, None) => {
                let (l, r) = (
                    lowerer.lower_top(lhs, Section::Events),
                    lowerer.lower_top(rhs, Section::Events),
                );
                let (l, r) = (l?, r?);
                let (left, right) =
                    (lowerer.typed_operand(lhs, &l), lowerer.typed_operand(rhs, &r));
                lowerer.check_table_comparison(conjunct.span, left.as_ref(), right.as_ref());
                let (lv, rv) = (l.vars(), r.vars());
                let no_placeholders = l.placeholders().is_empty() && r.placeholders().is_empty();
                if let ([a], [b]) = (lv.as_slice(), rv.as_slice()) {
                    if a != b && no_placeholders && !has_arithmetic(&l) && !has_arithmetic(&r) {
                        return Some(Line::Join(JoinEdge {
                            left_var: *a,
                            left: l,
                            right_var: *b,
                            right: r,
                            nocase: *nocase,
                        }));
                    }
                }
                return Some(Line::Predicate(CExpr::Compare {
                    op: CompareOp::Eq,
                    lhs: Box::new(l),
                    rhs: Box::new(r),
                    nocase: *nocase,
                }));
            }
        }
    }
    lowerer.lower_top(conjunct, Section::Events).map(Line::Predicate)
}

fn has_arithmetic(expr: &CExpr) -> bool {
    let mut found = false;
    expr.walk(&mut |e| {
        if matches!(e, CExpr::Arith { .. }) {
            found = true;
        }
    });
    found
}

/// Classifies the events section. `names` are the merged placeholder names from [`declare`].
pub(crate) fn plan_events(
    lowerer: &mut Lowerer<'_>,
    rule: &ast::Rule,
    names: Vec<String>,
) -> EventsPlan {
    let var_count = lowerer.vars.len();
    let mut plan = EventsPlan {
        placeholders: names
            .into_iter()
            .map(|name| PlaceholderPlan { name, owners: Vec::new(), from_call: false })
            .collect(),
        filters: vec![Vec::new(); var_count],
        bindings: vec![Vec::new(); var_count],
        late_filters: vec![Vec::new(); var_count],
        ..EventsPlan::default()
    };
    let mut derived = Vec::new();
    let mut predicates = Vec::new();
    for conjunct in conjuncts(&rule.events) {
        match classify(lowerer, conjunct) {
            Some(Line::Binding { var, placeholder, expr, nocase }) => {
                if let Some(p) = plan.placeholders.get_mut(placeholder) {
                    p.from_call |= expr.has_call();
                    if !p.owners.contains(&var) {
                        p.owners.push(var);
                    }
                }
                if let Some(b) = plan.bindings.get_mut(var) {
                    b.push(Binding { placeholder, expr, nocase });
                }
            }
            Some(Line::Derived { placeholder, expr, nocase }) => {
                derived.push((placeholder, expr, nocase, conjunct.span))
            }
            Some(Line::Join(edge)) => plan.joins.push(edge),
            Some(Line::Predicate(expr)) => predicates.push((expr, conjunct.span)),
            None => {}
        }
    }
    // A placeholder computed from other placeholders belongs to the variable that supplies
    // them; resolve until nothing changes, since one derived placeholder can feed another.
    loop {
        let before = derived.len();
        let mut remaining = Vec::new();
        for (placeholder, expr, nocase, span) in derived {
            let sources: Vec<Option<usize>> = expr
                .placeholders()
                .iter()
                .map(|q| plan.placeholders.get(*q).and_then(|q| q.owners.first().copied()))
                .collect();
            let owner = match sources.first() {
                Some(Some(first)) if sources.iter().all(|s| *s == Some(*first)) => Some(*first),
                _ => None,
            };
            match owner {
                Some(var) => {
                    if let Some(p) = plan.placeholders.get_mut(placeholder) {
                        p.from_call |= expr.has_call();
                        if !p.owners.contains(&var) {
                            p.owners.push(var);
                        }
                    }
                    if let Some(b) = plan.bindings.get_mut(var) {
                        b.push(Binding { placeholder, expr, nocase });
                    }
                }
                None => remaining.push((placeholder, expr, nocase, span)),
            }
        }
        derived = remaining;
        if derived.len() == before || derived.is_empty() {
            break;
        }
    }
    for (placeholder, expr, nocase, span) in derived {
        predicates.push((
            CExpr::Compare {
                op: CompareOp::Eq,
                lhs: Box::new(CExpr::Placeholder(placeholder)),
                rhs: Box::new(expr),
                nocase,
            },
            span,
        ));
    }
    for (i, p) in plan.placeholders.iter().enumerate() {
        if p.owners.is_empty() {
            let span = rule.events_span;
            lowerer.error(
                span,
                format!("placeholder `${}` is not assigned from an event field", p.name),
            );
            let _ = i;
        }
    }
    lowerer.placeholder_source =
        plan.placeholders.iter().map(|p| p.owners.first().copied()).collect();
    for (expr, _span) in predicates {
        place_predicate(&mut plan, expr);
    }
    plan
}

/// Puts a predicate where it can run first: on one variable's rows, or on joined rows.
fn place_predicate(plan: &mut EventsPlan, expr: CExpr) {
    let direct = expr.vars();
    let placeholders = expr.placeholders();
    let mut vars = direct.clone();
    for p in &placeholders {
        if let Some(owner) = plan.placeholders.get(*p).and_then(|p| p.owners.first()) {
            if !vars.contains(owner) {
                vars.push(*owner);
            }
        }
    }
    if let [var] = vars.as_slice() {
        let owned = placeholders
            .iter()
            .all(|p| plan.placeholders.get(*p).is_some_and(|p| p.owners.contains(var)));
        if owned {
            let target =
                if placeholders.is_empty() { &mut plan.filters } else { &mut plan.late_filters };
            if let Some(list) = target.get_mut(*var) {
                list.push(expr);
                return;
            }
        }
    }
    vars.sort_unstable();
    plan.cross_filters.push(CrossFilter { expr, vars });
}
