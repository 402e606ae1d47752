//! Traversal helpers for the syntax tree.

use crate::ast::{ArgValue, Expr, ExprKind, FieldRef, Ident};

impl Expr {
    /// The direct sub-expressions, left to right.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Literal(_)
            | ExprKind::Regex(_)
            | ExprKind::Duration(_)
            | ExprKind::Field(_)
            | ExprKind::Variable(_)
            | ExprKind::Count(_)
            | ExprKind::Absent(_)
            | ExprKind::ListRef(_)
            | ExprKind::WindowStart
            | ExprKind::WindowEnd => Vec::new(),
            ExprKind::Not(inner) | ExprKind::Negate(inner) | ExprKind::Paren(inner) => {
                vec![inner]
            }
            ExprKind::And(lhs, rhs)
            | ExprKind::Or(lhs, rhs)
            | ExprKind::Compare { lhs, rhs, .. }
            | ExprKind::Arithmetic { lhs, rhs, .. } => vec![lhs, rhs],
            ExprKind::Call { args, .. } => args.iter().collect(),
            ExprKind::InList { expr, .. } => vec![expr],
            ExprKind::InLiteralList { expr, items, .. } => {
                std::iter::once(&**expr).chain(items.iter()).collect()
            }
            ExprKind::Array(items) | ExprKind::NOf { items, .. } => items.iter().collect(),
            ExprKind::NamedArg { value: ArgValue::Expr(value), .. } => vec![value],
            ExprKind::NamedArg { value: ArgValue::Word(_), .. } => Vec::new(),
        }
    }

    /// Calls `visit` on this expression and every sub-expression, parents first.
    pub fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Expr)) {
        let mut stack = vec![self];
        while let Some(expr) = stack.pop() {
            visit(expr);
            let children = expr.children();
            stack.extend(children.into_iter().rev());
        }
    }

    /// Every event field read anywhere in this expression.
    pub fn fields(&self) -> Vec<&FieldRef> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let ExprKind::Field(field) = &e.kind {
                out.push(field);
            }
        });
        out
    }

    /// The distinct event variables whose fields this expression reads, in order of first use.
    pub fn event_vars(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for field in self.fields() {
            if !out.contains(&field.var.name.as_str()) {
                out.push(&field.var.name);
            }
        }
        out
    }

    /// Every bare `$name` in this expression.
    pub fn variables(&self) -> Vec<&Ident> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let ExprKind::Variable(ident) = &e.kind {
                out.push(ident);
            }
        });
        out
    }

    /// Returns the number of nodes on the longest path from this expression down to a leaf; a leaf has
    /// height 1. Computed without recursion, so it is safe on trees of any depth.
    pub fn height(&self) -> usize {
        let mut max = 0;
        let mut stack = vec![(self, 1)];
        while let Some((expr, depth)) = stack.pop() {
            max = max.max(depth);
            stack.extend(expr.children().into_iter().map(|child| (child, depth + 1)));
        }
        max
    }

    /// The expression with any enclosing parentheses removed.
    pub fn unparen(&self) -> &Expr {
        let mut expr = self;
        while let ExprKind::Paren(inner) = &expr.kind {
            expr = inner;
        }
        expr
    }
}

/// Drops a tree node by node from an explicit stack. The derived drop recurses once per level,
/// which overflows the stack on the very deep trees that hostile input builds.
pub(crate) fn drop_iteratively(expr: Expr) {
    let mut stack = vec![expr];
    while let Some(expr) = stack.pop() {
        match expr.kind {
            ExprKind::Not(inner) | ExprKind::Negate(inner) | ExprKind::Paren(inner) => {
                stack.push(*inner);
            }
            ExprKind::And(lhs, rhs)
            | ExprKind::Or(lhs, rhs)
            | ExprKind::Compare { lhs, rhs, .. }
            | ExprKind::Arithmetic { lhs, rhs, .. } => {
                stack.push(*lhs);
                stack.push(*rhs);
            }
            ExprKind::InList { expr, .. } => stack.push(*expr),
            ExprKind::InLiteralList { expr, items, .. } => {
                stack.push(*expr);
                stack.extend(items);
            }
            ExprKind::Call { args: items, .. }
            | ExprKind::Array(items)
            | ExprKind::NOf { items, .. } => stack.extend(items),
            ExprKind::NamedArg { value: ArgValue::Expr(value), .. } => stack.push(*value),
            ExprKind::NamedArg { value: ArgValue::Word(_), .. } => {}
            ExprKind::Literal(_)
            | ExprKind::Regex(_)
            | ExprKind::Duration(_)
            | ExprKind::Field(_)
            | ExprKind::Variable(_)
            | ExprKind::Count(_)
            | ExprKind::Absent(_)
            | ExprKind::ListRef(_)
            | ExprKind::WindowStart
            | ExprKind::WindowEnd => {}
        }
    }
}
