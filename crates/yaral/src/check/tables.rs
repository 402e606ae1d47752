//! Reference lists and data tables used as values.
//!
//! A reference list (`%name`) is only tested with `in`. A data-table column (`%table.column`)
//! may also be read as a value: compared with a field, passed to a function or aggregated in
//! `outcome:`, which joins the event with the table's rows. Such a rule is multi-event, so it
//! needs a `match:` section. A `!=`, `<`, `<=`, `>` or `>=` against a table also needs an `=`
//! join on the same table, which selects the rows the others filter. Table names are
//! case-insensitive.

use std::collections::BTreeMap;

use crate::ast::{CompareOp, Expr, ExprKind, ListRef, Rule, Span};
use crate::diagnostic::Diagnostic;

/// Checks every list and table reference used as a value.
pub fn check(rule: &Rule, out: &mut Vec<Diagnostic>) {
    let mut exprs: Vec<&Expr> = rule.events.iter().collect();
    exprs.extend(rule.outcome.iter().map(|o| &o.expr));
    // For each table by lowercase name: the name as first written, whether it has an
    // equality join, and the first other comparison.
    let mut joins: BTreeMap<String, (&str, bool, Option<Span>)> = BTreeMap::new();
    let mut first_join: Option<Span> = None;
    for expr in exprs {
        expr.walk(&mut |e| match &e.kind {
            ExprKind::ListRef(list) if list.column.is_none() => out.push(
                Diagnostic::error(
                    list.span,
                    format!(
                        "the reference list `%{}` can only be tested with `in`",
                        list.name.name
                    ),
                )
                .with_help(format!("write `<value> in %{}`", list.name.name)),
            ),
            ExprKind::ListRef(_) => {
                first_join.get_or_insert(e.span);
            }
            ExprKind::Compare { op, lhs, rhs, .. } => {
                let Some(table) = table_column(lhs).or_else(|| table_column(rhs)) else {
                    return;
                };
                first_join.get_or_insert(e.span);
                let name = table.name.name.as_str();
                let entry = joins.entry(name.to_lowercase()).or_insert((name, false, None));
                if *op == CompareOp::Eq {
                    entry.1 = true;
                } else {
                    entry.2.get_or_insert(e.span);
                }
            }
            _ => {}
        });
    }
    if let (Some(span), None) = (first_join, &rule.match_section) {
        out.push(
            Diagnostic::error(span, "reading a data-table column as a value joins the table's rows, which needs a `match:` section")
                .with_help("add a `match:` section, such as `$user over 1h`, or test the column with `in`"),
        );
    }
    for (table, has_equality, comparison) in joins.into_values() {
        if let (false, Some(span)) = (has_equality, comparison) {
            out.push(
                Diagnostic::error(span, format!("a comparison other than `=` with the data table `%{table}` needs an `=` join on the same table"))
                    .with_help(format!("add an equality such as `$e.principal.hostname = %{table}.<column>`")),
            );
        }
    }
}

fn table_column(expr: &Expr) -> Option<&ListRef> {
    match &expr.unparen().kind {
        ExprKind::ListRef(list) if list.column.is_some() => Some(list),
        _ => None,
    }
}
