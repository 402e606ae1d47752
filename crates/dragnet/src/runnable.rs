//! Whether Dragnet's engine can run a rule that the front end accepts.
//!
//! A rule can be valid YARA-L 2.0 and still be beyond the engine: composite rules, functions whose values come from Google's back end. `dragnet check` reports those as
//! warnings, so that it agrees with what `hunt` will load without failing rules that Google
//! SecOps runs. Reference lists the rule names but the run has not loaded are stood in for by
//! empty lists, since a missing list is a matter of `--lists`, not of the rule, and data
//! tables by empty tables with the columns the rule reads.

use std::collections::BTreeMap;
use std::sync::Arc;

use enrich::{ListKind, ReferenceList, ReferenceLists};
use yaral::ast::{self, ExprKind, ListMatch};
use yaral::{Diagnostic, Severity};

/// Compiles a checked rule with the engine, returning its errors as warnings.
pub fn engine_warnings(
    compiled: &yaral::CompiledRule,
    lists: &ReferenceLists,
    asn: Option<Arc<enrich::AsnDb>>,
) -> Vec<Diagnostic> {
    let mut lists = lists.clone();
    let mut tables = enrich::DataTables::new();
    let mut table_columns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for reference in list_references(&compiled.rule) {
        match reference {
            Reference::List(name, kind) if lists.get(&name).is_none() => {
                let (empty, _) = ReferenceList::from_text(&name, kind, "", "stand-in");
                lists.insert(empty);
            }
            Reference::List(..) => {}
            Reference::Column(table, column) => {
                // Table names are case-insensitive, so `%Vips` and `%vips` share a stand-in.
                let columns = table_columns.entry(table.to_lowercase()).or_default();
                if !columns.iter().any(|c| c.eq_ignore_ascii_case(&column)) {
                    columns.push(column);
                }
            }
        }
    }
    // Data tables stand in with the columns the rule reads, no rows and no column types.
    for (name, columns) in table_columns {
        tables.insert(enrich::DataTable::stand_in(&name, &columns));
    }
    let ctx = engine::Context {
        lists: Arc::new(lists),
        asn,
        tables: Arc::new(tables),
        ..engine::Context::default()
    };
    match engine::Rule::compile(&compiled.rule, &compiled.text, &ctx) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => {
            let mut seen = std::collections::HashSet::new();
            diagnostics
                .into_iter()
                .filter(|d| d.severity == Severity::Error)
                // One warning per kind of problem is enough: a graph rule reads many fields.
                .filter(|d| seen.insert(d.message.clone()))
                .map(|d| Diagnostic {
                    severity: Severity::Warning,
                    message: format!("Dragnet cannot run this rule: {}", d.message),
                    span: d.span,
                    help: d.help,
                })
                .collect()
        }
    }
}

/// A reference list or data-table column that a rule reads.
enum Reference {
    /// A `%list`, with the list type its test implies.
    List(String, ListKind),
    /// A `%table.column`.
    Column(String, String),
}

/// Collects every `%list` and `%table.column` a rule reads.
fn list_references(rule: &ast::Rule) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut roots: Vec<&ast::Expr> = rule.events.iter().collect();
    roots.extend(rule.outcome.iter().map(|o| &o.expr));
    roots.extend(rule.condition.iter());
    // An explicit stack, because expressions from hostile files can be deep.
    let mut stack = roots;
    while let Some(expr) = stack.pop() {
        match &expr.kind {
            ExprKind::InList { expr: inner, kind, list, .. } => {
                let list_kind = match kind {
                    ListMatch::Exact => ListKind::String,
                    ListMatch::Regex => ListKind::Regex,
                    ListMatch::Cidr => ListKind::Cidr,
                };
                out.push(match &list.column {
                    Some(column) => Reference::Column(list.name.name.clone(), column.name.clone()),
                    None => Reference::List(list.name.name.clone(), list_kind),
                });
                stack.push(inner);
            }
            ExprKind::ListRef(list) => {
                if let Some(column) = &list.column {
                    out.push(Reference::Column(list.name.name.clone(), column.name.clone()));
                }
            }
            ExprKind::Not(x) | ExprKind::Paren(x) | ExprKind::Negate(x) => stack.push(x),
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                stack.push(a);
                stack.push(b);
            }
            ExprKind::Compare { lhs, rhs, .. } | ExprKind::Arithmetic { lhs, rhs, .. } => {
                stack.push(lhs);
                stack.push(rhs);
            }
            ExprKind::Call { args, .. } => stack.extend(args),
            ExprKind::InLiteralList { expr: inner, items, .. } => {
                stack.push(inner);
                stack.extend(items);
            }
            ExprKind::Array(items) | ExprKind::NOf { items, .. } => stack.extend(items),
            _ => {}
        }
    }
    out
}
