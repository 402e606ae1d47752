//! The strict dialect: constructs that Dragnet accepts by default but Google SecOps rejects,
//! each reported with its portable rewrite.

use crate::ast::{CompareOp, Expr, ExprKind, FieldRef, Literal, PathSegment, Rule};
use crate::diagnostic::Diagnostic;
use crate::format::text;
use crate::parser::dotted_name;

use super::functions::{lookup, Availability};
use super::scope::Scope;

/// Reports every non-portable construct of the rule.
pub fn check(rule: &Rule, scope: &Scope, out: &mut Vec<Diagnostic>) {
    check_meta(rule, out);
    let mut exprs: Vec<&Expr> = rule.events.iter().collect();
    exprs.extend(rule.outcome.iter().map(|o| &o.expr));
    exprs.extend(rule.condition.iter());
    for expr in exprs {
        expr.walk(&mut |e| check_node(e, rule, scope, out));
    }
    let mut exprs: Vec<&Expr> = rule.events.iter().collect();
    exprs.extend(rule.outcome.iter().map(|o| &o.expr));
    for expr in exprs {
        check_lookup_blocks(expr, out);
    }
}

/// Reports data-table lookups (`x in %table.column`) joined in a way that Google's 2026 page on
/// expressions rejects. A lookup may be joined with other lookups by `or` only, never by `and`
/// and never with an ordinary comparison in one parenthesised block. The lines of `events:`
/// are no such block, so a lookup on its own line combines with any other line.
// NOTE: the documentation does not say whether reference lists (`x in %list`) fall under the
// rule now that they are being migrated to data tables, so they are left out.
fn check_lookup_blocks(expr: &Expr, out: &mut Vec<Diagnostic>) {
    let (operands, is_or) = match &expr.kind {
        ExprKind::Or(..) => (chain(expr), true),
        ExprKind::And(..) => (chain(expr), false),
        _ => {
            for child in expr.children() {
                check_lookup_blocks(child, out);
            }
            return;
        }
    };
    let lookup = operands.iter().find(|operand| is_table_lookup(operand));
    let other = operands.iter().find(|operand| !is_table_lookup(operand));
    if let Some(lookup) = lookup {
        let help = "put the lookup on a line of its own in `events:`, where lines are joined by an implicit `and`";
        if !is_or {
            out.push(
                Diagnostic::error(lookup.span, "a data-table lookup cannot be joined by `and`")
                    .with_help(help),
            );
        } else if let Some(other) = other {
            out.push(
                Diagnostic::error(other.span, "a data-table lookup can share an `or` only with other lookups, not with this condition")
                    .with_help(help),
            );
        }
    }
    for operand in operands {
        check_lookup_blocks(operand, out);
    }
}

/// Returns the operands of a chain of one operator, left to right, without looking inside
/// parentheses.
fn chain(expr: &Expr) -> Vec<&Expr> {
    let mut operands = Vec::new();
    let mut stack = vec![expr];
    while let Some(current) = stack.pop() {
        match (&expr.kind, &current.kind) {
            (ExprKind::Or(..), ExprKind::Or(lhs, rhs))
            | (ExprKind::And(..), ExprKind::And(lhs, rhs)) => {
                stack.push(rhs);
                stack.push(lhs);
            }
            _ => operands.push(current),
        }
    }
    operands
}

/// Whether `expr` is `x in %table.column`, negated or in parentheses or not.
fn is_table_lookup(expr: &Expr) -> bool {
    match &expr.unparen().kind {
        ExprKind::InList { list, .. } => list.column.is_some(),
        ExprKind::Not(inner) => is_table_lookup(inner),
        _ => false,
    }
}

fn check_node(expr: &Expr, rule: &Rule, scope: &Scope, out: &mut Vec<Diagnostic>) {
    match &expr.kind {
        ExprKind::Call { name, args, .. } => {
            let dotted = dotted_name(name);
            let Some(function) = lookup(&dotted) else { return };
            match (function.availability, function.name) {
                (Availability::Extension, "coalesce") => {
                    let args: Vec<String> = args.iter().map(text::expr).collect();
                    out.push(
                        Diagnostic::error(expr.span, "`coalesce` is not a Google SecOps function")
                            .with_help(format!("write `strings.coalesce({})`", args.join(", "))),
                    );
                }
                (Availability::Extension, _) => {
                    let noun = args.first().and_then(|arg| noun_of(arg, rule, scope));
                    let help = match noun {
                        Some(prefix) => format!("read the enrichment field `{prefix}.ip_geo_artifact.network.asn`"),
                        None => "read the enrichment field `<noun>.ip_geo_artifact.network.asn`, such as `$e.principal.ip_geo_artifact.network.asn`".to_string(),
                    };
                    out.push(
                        Diagnostic::error(
                            expr.span,
                            format!("`{dotted}` is not a Google SecOps function"),
                        )
                        .with_help(help),
                    );
                }
                (Availability::SearchOnly, _) => out.push(Diagnostic::error(
                    expr.span,
                    format!(
                        "`{}` is available in Google SecOps Search only, not in rules",
                        function.name
                    ),
                )),
                _ => {}
            }
        }
        ExprKind::InLiteralList { expr: tested, items, .. } => {
            let mut help = "use a reference list (`in %name`) or an `or` chain".to_string();
            if let (Some(lhs), Some(values)) = (describe_operand(tested), literal_values(items)) {
                let chain: Vec<String> = values.iter().map(|v| format!("{lhs} = {v}")).collect();
                help = format!(
                    "use a reference list (`{lhs} in %name`) or an `or` chain: `{}`",
                    chain.join(" or ")
                );
            }
            out.push(
                Diagnostic::error(
                    expr.span,
                    "a literal list after `in` is not accepted by Google SecOps",
                )
                .with_help(help),
            );
        }
        ExprKind::Negate(inner) => out.push(
            Diagnostic::error(expr.span, "unary minus is not YARA-L 2.0").with_help(format!(
                "subtract from zero instead, such as `0-{}`",
                literal_text(inner).unwrap_or_else(|| "x".to_string())
            )),
        ),
        _ => {}
    }
}

/// Google SecOps requires a `meta:` section, which may be empty, and quoted meta values.
fn check_meta(rule: &Rule, out: &mut Vec<Diagnostic>) {
    if !rule.has_section("meta") {
        out.push(
            Diagnostic::error(
                rule.name.span,
                format!("rule `{}` has no `meta:` section", rule.name.name),
            )
            .with_help(
                "add a `meta:` section before `events:`, with entries such as `author = \"...\"`",
            ),
        );
    }
    for entry in rule.meta.iter().filter(|entry| !entry.quoted) {
        out.push(
            Diagnostic::error(
                entry.span,
                format!("the value of meta key `{}` is not a quoted string", entry.key.name),
            )
            .with_help(format!("write `{} = \"{}\"`", entry.key.name, entry.value)),
        );
    }
}

/// The `$e.noun` prefix an IP argument comes from: `$e.principal.ip` gives `$e.principal`, and a
/// placeholder gives the noun of the first field it is bound to.
fn noun_of(arg: &Expr, rule: &Rule, scope: &Scope) -> Option<String> {
    match &arg.unparen().kind {
        ExprKind::Field(field) => field_noun(field),
        ExprKind::Variable(var) => {
            if !scope.placeholders.contains_key(&var.name) {
                return None;
            }
            // The first field of an expression the placeholder is assigned from, such as
            // `$ip = strings.coalesce($e.principal.asset.ip, $e.principal.ip)`.
            rule.events.iter().find_map(|predicate| {
                let ExprKind::Compare { op: CompareOp::Eq, lhs, rhs, .. } = &predicate.kind else {
                    return None;
                };
                let value = match (&lhs.unparen().kind, &rhs.unparen().kind) {
                    (ExprKind::Variable(v), _) if v.name == var.name => rhs,
                    (_, ExprKind::Variable(v)) if v.name == var.name => lhs,
                    _ => return None,
                };
                value.fields().first().and_then(|field| field_noun(field))
            })
        }
        _ => None,
    }
}

fn field_noun(field: &FieldRef) -> Option<String> {
    match field.path.first() {
        Some(PathSegment::Field(noun)) => Some(format!("${}.{}", field.var.name, noun.name)),
        _ => None,
    }
}

/// Source-like text of a field or variable, for help lines.
fn describe_operand(expr: &Expr) -> Option<String> {
    match &expr.unparen().kind {
        ExprKind::Field(field) => {
            let mut text = format!("${}", field.var.name);
            for segment in &field.path {
                match segment {
                    PathSegment::Field(ident) => {
                        text.push('.');
                        text.push_str(&ident.name);
                    }
                    PathSegment::Index(index, _) => text.push_str(&format!("[{index}]")),
                    PathSegment::Key(key, _) => text.push_str(&format!("[{key:?}]")),
                }
            }
            Some(text)
        }
        ExprKind::Variable(var) => Some(format!("${}", var.name)),
        _ => None,
    }
}

fn literal_values(items: &[Expr]) -> Option<Vec<String>> {
    items.iter().map(literal_text).collect()
}

fn literal_text(expr: &Expr) -> Option<String> {
    match &expr.unparen().kind {
        ExprKind::Literal(Literal::String { value, .. }) => Some(format!("{value:?}")),
        ExprKind::Literal(Literal::Int(value)) => Some(value.to_string()),
        ExprKind::Literal(Literal::Float(value)) => Some(value.to_string()),
        ExprKind::Literal(Literal::Bool(value)) => Some(value.to_string()),
        _ => None,
    }
}
