//! Lowering syntax tree expressions to [`CExpr`].
//!
//! The lowerer owns the name tables of one rule (event variables with their field slots,
//! placeholders, outcome variables) and reports every construct it cannot evaluate as a
//! diagnostic at its span, so that nothing is skipped silently.

use std::collections::HashMap;
use std::sync::Arc;

use udm::schema::{self, FieldKind};
use udm::Value;
use yaral::ast::{
    self, ExprKind, FieldSource, Literal, NOfQuantity, PathSegment, Quantifier, Span,
};
use yaral::Diagnostic;

use super::ir::{Agg, CExpr, Quantity, Seg};
use super::VarSource;
use crate::context::Context;
use crate::eval::fields::SlotTrie;
use crate::functions::{self, Func, Lookup};
use yaral::ast::ListMatch;

/// Which section an expression is in; it decides what names mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Events,
    Outcome,
    Condition,
}

/// The slots of one event variable while the rule is lowered.
#[derive(Debug, Default)]
pub(crate) struct VarSlots {
    pub name: String,
    pub trie: SlotTrie,
    pub paths: HashMap<Vec<Seg>, usize>,
    pub zero: Vec<Value>,
    pub kinds: Vec<Option<FieldKind>>,
    /// The source of the variable's rows.
    pub source: VarSource,
}

/// A quantified field found while lowering a predicate, waiting for the predicate to wrap it.
struct PendingQuantifier {
    quantifier: Quantifier,
    var: usize,
    path: Arc<[Seg]>,
}

/// Name tables and diagnostics for lowering one rule.
pub(crate) struct Lowerer<'c> {
    pub ctx: &'c Context,
    pub diagnostics: Vec<Diagnostic>,
    pub vars: Vec<VarSlots>,
    pub var_index: HashMap<String, usize>,
    /// Placeholder name to its merged index.
    pub placeholder_index: HashMap<String, usize>,
    /// For aggregates: the event variable that supplies each placeholder's values.
    pub placeholder_source: Vec<Option<usize>>,
    /// Outcome variables defined so far, in order.
    pub outcomes: Vec<String>,
    pub has_match: bool,
    section: Section,
    quantifier: Option<PendingQuantifier>,
    /// Set while lowering an argument that a function reads as a whole list.
    list_argument: bool,
    /// Set while lowering the argument of an aggregate.
    in_aggregate: bool,
    /// Data tables reported as not found, so that each is reported once.
    missing_tables: Vec<String>,
    /// Per placeholder, the data-table columns and event fields bound to it whose value class
    /// is known; see [`Lowerer::check_placeholder_operand`].
    pub placeholder_operands: HashMap<usize, Vec<super::table_types::TypedOperand>>,
}

impl<'c> Lowerer<'c> {
    pub(crate) fn new(ctx: &'c Context) -> Lowerer<'c> {
        Lowerer {
            ctx,
            diagnostics: Vec::new(),
            vars: Vec::new(),
            var_index: HashMap::new(),
            placeholder_index: HashMap::new(),
            placeholder_source: Vec::new(),
            outcomes: Vec::new(),
            has_match: false,
            section: Section::Events,
            quantifier: None,
            list_argument: false,
            in_aggregate: false,
            missing_tables: Vec::new(),
            placeholder_operands: HashMap::new(),
        }
    }

    pub(crate) fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(span, message));
    }

    /// Registers an event variable, returning its index.
    pub(crate) fn declare_var(&mut self, name: &str) -> usize {
        if let Some(&i) = self.var_index.get(name) {
            return i;
        }
        let i = self.vars.len();
        self.vars.push(VarSlots { name: name.to_owned(), ..VarSlots::default() });
        self.var_index.insert(name.to_owned(), i);
        i
    }

    /// Registers the variable whose rows are the rows of the data table that `list` names, as
    /// `%table`, and returns its index. A table that is not loaded is reported.
    pub(crate) fn declare_table(&mut self, list: &ast::ListRef) -> Option<usize> {
        let key = table_var_name(&list.name.name);
        if let Some(&i) = self.var_index.get(&key) {
            return Some(i);
        }
        let table = self.find_table(&list.name)?;
        let i = self.declare_var(&key);
        if let Some(slots) = self.vars.get_mut(i) {
            slots.source = VarSource::Table(table);
        }
        Some(i)
    }

    /// Returns the loaded data table of this name, or reports it as not found, once per rule.
    fn find_table(&mut self, name: &ast::Ident) -> Option<Arc<enrich::DataTable>> {
        if let Some(table) = self.ctx.tables.get(&name.name) {
            return Some(Arc::clone(table));
        }
        let key = table_var_name(&name.name);
        if !self.missing_tables.contains(&key) {
            self.missing_tables.push(key);
            self.diagnostics.push(
                Diagnostic::error(name.span, format!("data table `%{}` not found", name.name))
                    .with_help(
                        "load it with `--data-tables DIR`, as a CSV file named after the table",
                    ),
            );
        }
        None
    }

    /// Lowers `%table.column` used as a value: the column of the table variable's row.
    fn lower_table_column(&mut self, list: &ast::ListRef) -> Option<CExpr> {
        let column = list.column.as_ref()?;
        let key = table_var_name(&list.name.name);
        // `declare` registers the tables read in `events:` and `outcome:`, and reports those
        // that are not loaded.
        let Some(&var) = self.var_index.get(&key) else {
            if !self.missing_tables.contains(&key) {
                self.error(
                    list.span,
                    "data-table columns can only be read in `events:` and `outcome:`",
                );
            }
            return None;
        };
        let VarSource::Table(table) = &self.vars.get(var)?.source else { return None };
        let table = Arc::clone(table);
        let Some(index) = table.column(&column.name) else {
            self.error(column.span, missing_column(&table, &column.name));
            return None;
        };
        let found = table.columns().get(index)?;
        let kind = match found.kind {
            enrich::ColumnType::Number => None,
            _ => Some(FieldKind::String),
        };
        let path = vec![Seg::Field(found.name.as_str().into())];
        Some(self.slot(var, path, kind, None))
    }

    /// Lowers an expression of `section`, wrapping a quantified field (`any`/`all`) into the
    /// predicate that tests it.
    pub(crate) fn lower_top(&mut self, expr: &ast::Expr, section: Section) -> Option<CExpr> {
        self.section = section;
        self.quantifier = None;
        let lowered = self.lower(expr)?;
        Some(self.wrap_quantifier(lowered))
    }

    fn wrap_quantifier(&mut self, body: CExpr) -> CExpr {
        match self.quantifier.take() {
            Some(q) => CExpr::Quantified {
                quantifier: q.quantifier,
                var: q.var,
                path: q.path,
                body: Box::new(body),
            },
            None => body,
        }
    }

    /// Lowers a predicate: a quantified field inside it is wrapped here rather than further up.
    fn lower_predicate(&mut self, expr: &ast::Expr) -> Option<CExpr> {
        let outer = self.quantifier.take();
        let lowered = self.lower_kind(expr);
        let lowered = lowered.map(|l| self.wrap_quantifier(l));
        self.quantifier = outer;
        lowered
    }

    fn lower(&mut self, expr: &ast::Expr) -> Option<CExpr> {
        match &expr.kind {
            ExprKind::Compare { .. } | ExprKind::InList { .. } | ExprKind::InLiteralList { .. } => {
                self.lower_predicate(expr)
            }
            ExprKind::Call { name, .. } if is_predicate_call(name) => self.lower_predicate(expr),
            _ => self.lower_kind(expr),
        }
    }

    fn lower_kind(&mut self, expr: &ast::Expr) -> Option<CExpr> {
        let span = expr.span;
        match &expr.kind {
            ExprKind::Literal(lit) => Some(CExpr::Lit(literal(lit))),
            ExprKind::Regex(pattern) => Some(CExpr::Lit(Value::from(pattern.as_str()))),
            ExprKind::Duration(_) => {
                self.error(span, "a duration is only valid in `match:` and `options:`");
                None
            }
            ExprKind::Field(field) => self.lower_field(field),
            ExprKind::Variable(ident) => self.lower_variable(ident),
            ExprKind::Count(ident) => {
                if let Some(&v) = self.var_index.get(&ident.name) {
                    Some(CExpr::EventCount(v))
                } else if let Some(&p) = self.placeholder_index.get(&ident.name) {
                    Some(CExpr::PlaceholderCount(p))
                } else {
                    self.error(
                        ident.span,
                        format!("`#{}` names no event variable or placeholder", ident.name),
                    );
                    None
                }
            }
            ExprKind::Absent(ident) => match self.var_index.get(&ident.name) {
                Some(&v) => Some(CExpr::Not(Box::new(CExpr::EventExists(v)))),
                None => {
                    self.error(ident.span, format!("`!${}` names no event variable", ident.name));
                    None
                }
            },
            ExprKind::ListRef(list) if list.column.is_some() => self.lower_table_column(list),
            ExprKind::ListRef(list) => {
                self.error(list.span, "a reference list can only be tested with `in`");
                None
            }
            ExprKind::Not(inner) => Some(CExpr::Not(Box::new(self.lower(inner)?))),
            ExprKind::And(a, b) => {
                let (a, b) = (self.lower(a), self.lower(b));
                Some(CExpr::And(Box::new(a?), Box::new(b?)))
            }
            ExprKind::Or(a, b) => {
                let (a, b) = (self.lower(a), self.lower(b));
                Some(CExpr::Or(Box::new(a?), Box::new(b?)))
            }
            ExprKind::Paren(inner) => self.lower(inner),
            ExprKind::Compare { op, lhs, rhs, nocase } => {
                self.lower_compare(*op, lhs, rhs, *nocase)
            }
            ExprKind::Arithmetic { op, lhs, rhs } => {
                let (l, r) = (self.lower(lhs), self.lower(rhs));
                Some(CExpr::Arith { op: *op, lhs: Box::new(l?), rhs: Box::new(r?) })
            }
            ExprKind::Negate(inner) => Some(CExpr::Arith {
                op: ast::ArithmeticOp::Sub,
                lhs: Box::new(CExpr::Lit(Value::Int(0))),
                rhs: Box::new(self.lower(inner)?),
            }),
            ExprKind::Call { name, args, nocase } => self.lower_call(name, args, *nocase, span),
            ExprKind::InList { expr: inner, kind, list, nocase } if list.column.is_some() => {
                let (found, kind) = self.column_list(list, *kind)?;
                let inner = self.lower(inner)?;
                Some(CExpr::InList { expr: Box::new(inner), list: found, kind, nocase: *nocase })
            }
            ExprKind::InList { expr: inner, kind, list, nocase } => {
                let Some(found) = self.ctx.lists.shared(&list.name.name) else {
                    self.diagnostics.push(
                        Diagnostic::error(
                            list.name.span,
                            format!("reference list `%{}` not found", list.name.name),
                        )
                        .with_help("load it with `--lists DIR`, as a file named after the list"),
                    );
                    return None;
                };
                let inner = self.lower(inner)?;
                Some(CExpr::InList {
                    expr: Box::new(inner),
                    list: found,
                    kind: *kind,
                    nocase: *nocase,
                })
            }
            ExprKind::InLiteralList { expr: inner, items, nocase } => {
                let inner = self.lower(inner);
                let items: Vec<Option<CExpr>> = items.iter().map(|i| self.lower(i)).collect();
                let items: Option<Vec<CExpr>> = items.into_iter().collect();
                Some(CExpr::InLiteral { expr: Box::new(inner?), items: items?, nocase: *nocase })
            }
            ExprKind::Array(items) => {
                let items: Vec<Option<CExpr>> = items.iter().map(|i| self.lower(i)).collect();
                Some(CExpr::Array(items.into_iter().collect::<Option<Vec<_>>>()?))
            }
            ExprKind::NOf { quantity, items } => {
                let lowered: Vec<Option<CExpr>> = items.iter().map(|i| self.lower(i)).collect();
                let items = lowered.into_iter().collect::<Option<Vec<_>>>()?;
                let quantity = match quantity {
                    NOfQuantity::Any => Quantity::AtLeast(1),
                    NOfQuantity::All => Quantity::All,
                    NOfQuantity::AtLeast(n) => Quantity::AtLeast(*n as usize),
                };
                Some(CExpr::NOf { quantity, items })
            }
            // Only `metrics.*` calls take named arguments, and `lower_call` rejects those
            // calls before it lowers their arguments.
            ExprKind::NamedArg { .. } => {
                self.error(span, "not supported yet: named arguments of `metrics.*` calls");
                None
            }
            ExprKind::WindowStart | ExprKind::WindowEnd => {
                if !self.has_match {
                    self.error(span, "`window_start` and `window_end` need a `match:` window");
                    return None;
                }
                Some(if matches!(expr.kind, ExprKind::WindowStart) {
                    CExpr::WindowStart
                } else {
                    CExpr::WindowEnd
                })
            }
        }
    }

    fn lower_variable(&mut self, ident: &ast::Ident) -> Option<CExpr> {
        let name = ident.name.as_str();
        if self.section == Section::Condition {
            if let Some(&v) = self.var_index.get(name) {
                return Some(CExpr::EventExists(v));
            }
        }
        if self.section != Section::Events {
            if let Some(o) = self.outcomes.iter().position(|n| n == name) {
                return Some(CExpr::Outcome(o));
            }
        }
        if let Some(&p) = self.placeholder_index.get(name) {
            if self.section == Section::Condition {
                // `$p` in a condition holds when the group has a value of the placeholder.
                return Some(CExpr::Compare {
                    op: ast::CompareOp::Gt,
                    lhs: Box::new(CExpr::PlaceholderCount(p)),
                    rhs: Box::new(CExpr::Lit(Value::Int(0))),
                    nocase: false,
                });
            }
            return Some(CExpr::Placeholder(p));
        }
        self.error(ident.span, format!("`${name}` is not defined"));
        None
    }

    fn lower_compare(
        &mut self,
        op: ast::CompareOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        nocase: bool,
    ) -> Option<CExpr> {
        // `x = /re/` and `x != /re/` are regex searches.
        for (value, pattern) in [(lhs, rhs), (rhs, lhs)] {
            if let ExprKind::Regex(text) = &pattern.kind {
                if !matches!(op, ast::CompareOp::Eq | ast::CompareOp::Ne) {
                    self.error(
                        pattern.span,
                        "a regex literal can only be compared with `=` or `!=`",
                    );
                    return None;
                }
                let regex = match functions::re::compile(text, nocase) {
                    Ok(r) => Arc::new(r),
                    Err(e) => {
                        self.error(pattern.span, format!("invalid regular expression: {e}"));
                        return None;
                    }
                };
                let value = self.lower(value)?;
                return Some(CExpr::RegexMatch {
                    expr: Box::new(value),
                    regex,
                    negate: op == ast::CompareOp::Ne,
                    nocase,
                });
            }
        }
        let (l, r) = (self.lower(lhs), self.lower(rhs));
        let (mut l, mut r) = (l?, r?);
        let (left, right) = (self.typed_operand(lhs, &l), self.typed_operand(rhs, &r));
        self.check_table_comparison(lhs.span.to(rhs.span), left.as_ref(), right.as_ref());
        self.resolve_enum_literal(&l, &mut r);
        self.resolve_enum_literal(&r, &mut l);
        Some(CExpr::Compare { op, lhs: Box::new(l), rhs: Box::new(r), nocase })
    }

    /// Turns a string literal compared with an enum field into that enum's value, so that
    /// `<` and `>` order by the enum's number.
    fn resolve_enum_literal(&self, field: &CExpr, literal: &mut CExpr) {
        let CExpr::Lit(Value::String(name)) = literal else { return };
        let kind = match field {
            CExpr::Slot { var, slot } => {
                self.vars.get(*var).and_then(|v| v.kinds.get(*slot).copied().flatten())
            }
            _ => None,
        };
        if let Some(FieldKind::Enum(e)) = kind {
            if let Some(value) = e.by_name(name) {
                *literal = CExpr::Lit(Value::Enum(value));
            }
        }
    }

    fn lower_call(
        &mut self,
        name: &[ast::Ident],
        args: &[ast::Expr],
        nocase: bool,
        span: Span,
    ) -> Option<CExpr> {
        let dotted: String = name.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(".");
        let lower_name = dotted.to_ascii_lowercase();
        if let Some(agg) = aggregate(&lower_name) {
            return self.lower_aggregate(agg, &dotted, args, span);
        }
        let (func, min, max) = match functions::lookup(&lower_name) {
            Lookup::Found(func, min, max) => (func, min, max),
            Lookup::Unsupported(reason) => {
                self.error(span, format!("function `{dotted}` is not supported: {reason}"));
                return None;
            }
            Lookup::Unknown => {
                self.error(span, format!("unknown function `{dotted}`"));
                return None;
            }
        };
        if args.len() < min || args.len() > max {
            let expected = if min == max {
                format!("{min}")
            } else if max == usize::MAX {
                format!("at least {min}")
            } else {
                format!("{min} to {max}")
            };
            self.error(
                span,
                format!("`{dotted}` takes {expected} arguments, but {} were given", args.len()),
            );
            return None;
        }
        let mut lowered = Vec::with_capacity(args.len());
        let mut failed = false;
        for (i, arg) in args.iter().enumerate() {
            let outer = self.list_argument;
            self.list_argument = func.takes_list(i);
            let value = self.lower(arg);
            self.list_argument = outer;
            match value {
                Some(v) => lowered.push(v),
                None => failed = true,
            }
        }
        if failed {
            return None;
        }
        if let Some(index) = func.zone_arg() {
            if let (Some(arg), Some(CExpr::Lit(Value::String(zone)))) =
                (args.get(index), lowered.get(index))
            {
                if !functions::time::is_valid_zone(zone) {
                    self.diagnostics.push(
                        Diagnostic::error(arg.span, format!("unknown time zone {zone:?}"))
                            .with_help(
                                "use an IANA name such as \"America/Los_Angeles\", \"GMT\", or an \
                                 offset such as \"-08:00\"; abbreviations such as \"PST\" are not \
                                 accepted",
                            ),
                    );
                    return None;
                }
            }
        }
        let mut regex = None;
        if let Some(index) = func.pattern_arg() {
            if let (Some(ast::Expr { kind, span }), Some(CExpr::Lit(Value::String(p)))) =
                (args.get(index), lowered.get(index))
            {
                let _ = kind;
                match functions::re::compile(p, nocase) {
                    Ok(r) => {
                        if func == Func::ReCapture && r.captures_len() > 2 {
                            self.error(*span, "`re.capture` allows at most one capture group");
                            return None;
                        }
                        regex = Some(Arc::new(r));
                    }
                    Err(e) => {
                        self.error(*span, format!("invalid regular expression: {e}"));
                        return None;
                    }
                }
            }
        }
        Some(CExpr::Call { func, args: lowered, nocase, regex })
    }

    fn lower_aggregate(
        &mut self,
        agg: Agg,
        dotted: &str,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<CExpr> {
        if self.section != Section::Outcome {
            self.error(span, format!("aggregate `{dotted}` is only valid in `outcome:`"));
            return None;
        }
        if self.in_aggregate {
            self.error(span, format!("aggregate `{dotted}` cannot be nested in another aggregate"));
            return None;
        }
        let (min, max) = match agg {
            Agg::WindowFirst | Agg::WindowLast => (2, 2),
            Agg::WindowAvg | Agg::WindowMedian | Agg::WindowRange => (1, 2),
            _ => (1, 1),
        };
        if args.len() < min || args.len() > max {
            self.error(span, format!("`{dotted}` takes {min} to {max} arguments"));
            return None;
        }
        self.in_aggregate = true;
        let lowered: Vec<Option<CExpr>> = args.iter().map(|a| self.lower_top_in_place(a)).collect();
        self.in_aggregate = false;
        let args = lowered.into_iter().collect::<Option<Vec<_>>>()?;
        let mut vars: Vec<usize> = Vec::new();
        for arg in &args {
            for v in arg.vars() {
                if !vars.contains(&v) {
                    vars.push(v);
                }
            }
            for p in arg.placeholders() {
                if let Some(Some(v)) = self.placeholder_source.get(p) {
                    if !vars.contains(v) {
                        vars.push(*v);
                    }
                }
            }
        }
        vars.sort_unstable();
        Some(CExpr::Aggregate { agg, args, vars })
    }

    /// Lowers an aggregate argument as its own predicate scope, so that `count(any ...)`
    /// style quantifiers wrap inside the aggregate.
    fn lower_top_in_place(&mut self, expr: &ast::Expr) -> Option<CExpr> {
        let outer = self.quantifier.take();
        let lowered = self.lower(expr).map(|l| self.wrap_quantifier(l));
        self.quantifier = outer;
        lowered
    }

    fn lower_field(&mut self, field: &ast::FieldRef) -> Option<CExpr> {
        let root = match field.source {
            FieldSource::Udm => schema::event(),
            FieldSource::Graph => schema::entity(),
            FieldSource::Detection => {
                self.error(field.span, "not supported yet: composite rules over detections");
                return None;
            }
        };
        let Some(&var) = self.var_index.get(&field.var.name) else {
            self.error(field.var.span, format!("`${}` is not an event variable", field.var.name));
            return None;
        };
        // The checker rejects a variable that reads both sources.
        if field.source == FieldSource::Graph {
            if let Some(slots) = self.vars.get_mut(var) {
                slots.source = VarSource::Entities;
            }
        }
        let (path, kind, part) = tree_path(root, &field.path);
        if let Some(quantifier) = field.quantifier {
            if self.quantifier.is_some() {
                self.error(field.span, "only one `any`/`all` field per predicate is supported");
                return None;
            }
            self.quantifier = Some(PendingQuantifier { quantifier, var, path: path.into() });
            return Some(with_part(CExpr::Element, part));
        }
        if self.list_argument {
            return Some(with_part(CExpr::FieldList { var, path: path.into() }, part));
        }
        // With duplicate keys, or matches under several elements of a repeated ancestor, the
        // first value wins, so a map value does not vary across copies.
        if path.iter().any(|seg| matches!(seg, Seg::Key(_))) {
            return Some(with_part(CExpr::MapValue { var, path: path.into() }, part));
        }
        Some(self.slot(var, path, kind, part))
    }

    /// Returns the slot expression of variable `var` for a path, allocating the slot on first
    /// use.
    fn slot(
        &mut self,
        var: usize,
        path: Vec<Seg>,
        kind: Option<FieldKind>,
        part: Option<bool>,
    ) -> CExpr {
        let Some(slots) = self.vars.get_mut(var) else { return CExpr::Lit(Value::Null) };
        let slot = match slots.paths.get(&path) {
            Some(&slot) => slot,
            None => {
                let slot = slots.zero.len();
                slots.trie.insert(&path, slot);
                slots.paths.insert(path, slot);
                slots.zero.push(zero_value(kind, part.is_some()));
                slots.kinds.push(if part.is_some() { None } else { kind });
                slot
            }
        };
        with_part(CExpr::Slot { var, slot }, part)
    }
}

impl Lowerer<'_> {
    /// Returns the column of a data table that `x in %table.column` tests, as a list, with the
    /// test it takes: `in` on a `regex` or `cidr` column tests patterns or ranges, as Google
    /// SecOps does.
    fn column_list(
        &mut self,
        list: &ast::ListRef,
        kind: ListMatch,
    ) -> Option<(Arc<enrich::ReferenceList>, ListMatch)> {
        let column = list.column.as_ref()?;
        let table = self.find_table(&list.name)?;
        let Some(index) = table.column(&column.name) else {
            self.error(column.span, missing_column(&table, &column.name));
            return None;
        };
        let column_type = table.columns().get(index)?.kind;
        let kind = match (kind, column_type) {
            (ListMatch::Exact, enrich::ColumnType::Regex) => ListMatch::Regex,
            (ListMatch::Exact, enrich::ColumnType::Cidr) => ListMatch::Cidr,
            (kind, _) => kind,
        };
        let list_kind = match kind {
            ListMatch::Exact => enrich::ListKind::String,
            ListMatch::Regex => enrich::ListKind::Regex,
            ListMatch::Cidr => enrich::ListKind::Cidr,
        };
        let (found, problems) = table.column_list(index, list_kind);
        // Loading the table reported the invalid cells of `regex` and `cidr` columns already.
        let validated = matches!(
            (list_kind, column_type),
            (enrich::ListKind::Regex, enrich::ColumnType::Regex)
                | (enrich::ListKind::Cidr, enrich::ColumnType::Cidr)
        );
        if !validated {
            for problem in problems {
                self.diagnostics.push(Diagnostic::warning(
                    list.span,
                    format!("{problem}; the cell matches nothing"),
                ));
            }
        }
        Some((Arc::new(found), kind))
    }
}

/// The name of the variable that stands for a data table's rows: `%` and the table name,
/// which no event variable can have.
fn table_var_name(table: &str) -> String {
    format!("%{}", table.to_lowercase())
}

fn missing_column(table: &enrich::DataTable, column: &str) -> String {
    let names: Vec<&str> = table.columns().iter().map(|c| c.name.as_str()).collect();
    format!(
        "data table `%{}` has no column `{column}`; its columns are {}",
        table.name(),
        names.join(", ")
    )
}

fn with_part(expr: CExpr, part: Option<bool>) -> CExpr {
    match part {
        Some(nanos) => CExpr::TimePart { expr: Box::new(expr), nanos },
        None => expr,
    }
}

/// Converts a syntax tree path into the path in a record of type `root` (`Event`, or `Entity`
/// for `graph` fields), with the leaf's schema type.
///
/// Two differences exist between the paths rules write and the tree: a `Struct` keeps its keys
/// directly under the field, so `additional.fields["k"]` drops `fields`; and a Timestamp is one
/// value, so a trailing `.seconds`/`.nanos` is returned separately (`Some(true)` for nanos).
fn tree_path(
    root: &'static schema::MessageType,
    path: &[PathSegment],
) -> (Vec<Seg>, Option<FieldKind>, Option<bool>) {
    let names: Vec<&str> = path
        .iter()
        .filter_map(|s| match s {
            PathSegment::Field(i) => Some(i.name.as_str()),
            _ => None,
        })
        .collect();
    let mut out = Vec::with_capacity(path.len());
    let mut seen_names = 0;
    let mut part = None;
    for (i, segment) in path.iter().enumerate() {
        match segment {
            PathSegment::Field(ident) => {
                seen_names += 1;
                let prefix = names.get(..seen_names).unwrap_or(&[]);
                let resolved = schema::resolve(root, prefix).ok();
                let next_is_key = matches!(path.get(i + 1), Some(PathSegment::Key(..)));
                if ident.name == "fields"
                    && next_is_key
                    && resolved.is_some_and(|r| r.struct_fields)
                {
                    continue;
                }
                let is_last = i + 1 == path.len();
                if is_last && (ident.name == "seconds" || ident.name == "nanos") {
                    let parent = names.get(..seen_names - 1).unwrap_or(&[]);
                    let parent_kind = schema::resolve(root, parent).ok().map(|r| r.kind);
                    if matches!(parent_kind, Some(FieldKind::Timestamp) | None) {
                        part = Some(ident.name == "nanos");
                        continue;
                    }
                }
                out.push(Seg::Field(ident.name.as_str().into()));
            }
            PathSegment::Index(i, _) => out.push(Seg::Index(*i)),
            PathSegment::Key(k, _) => out.push(Seg::Key(k.as_str().into())),
        }
    }
    let ends_in_key = matches!(path.last(), Some(PathSegment::Key(..)));
    let kind = if ends_in_key {
        Some(FieldKind::String)
    } else {
        schema::resolve(root, &names).ok().map(|r| r.kind)
    };
    (out, kind, part)
}

/// The zero value of a field type: what a rule reads when the event lacks the field.
fn zero_value(kind: Option<FieldKind>, time_part: bool) -> Value {
    if time_part {
        return Value::Null;
    }
    match kind {
        Some(FieldKind::String) => Value::from(""),
        Some(FieldKind::Bool) => Value::Bool(false),
        Some(FieldKind::Int32 | FieldKind::Int64) => Value::Int(0),
        Some(FieldKind::Uint32 | FieldKind::Uint64) => Value::Uint(0),
        Some(FieldKind::Float | FieldKind::Double) => Value::Float(0.0),
        Some(FieldKind::Bytes) => Value::Bytes(Vec::new()),
        Some(FieldKind::Enum(e)) => e.by_number(0).map_or(Value::Null, Value::Enum),
        Some(FieldKind::Timestamp) => Value::Timestamp(udm::Timestamp::default()),
        _ => Value::Null,
    }
}

fn literal(lit: &Literal) -> Value {
    match lit {
        Literal::String { value, .. } => Value::from(value.as_str()),
        Literal::Int(i) => Value::Int(*i),
        Literal::Float(f) => Value::Float(*f),
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Null => Value::Null,
    }
}

/// Calls that return a boolean and so close the scope of an `any`/`all` argument.
fn is_predicate_call(name: &[ast::Ident]) -> bool {
    let dotted: Vec<String> = name.iter().map(|i| i.name.to_ascii_lowercase()).collect();
    matches!(
        dotted.join(".").as_str(),
        "re.regex"
            | "net.ip_in_range_cidr"
            | "strings.contains"
            | "strings.starts_with"
            | "strings.ends_with"
            | "math.is_increasing"
    )
}

/// The aggregate a function name denotes, if any.
fn aggregate(name: &str) -> Option<Agg> {
    Some(match name {
        "count" => Agg::Count,
        "count_distinct" => Agg::CountDistinct,
        "sum" => Agg::Sum,
        "min" => Agg::Min,
        "max" => Agg::Max,
        "avg" => Agg::Avg,
        "stddev" => Agg::Stddev,
        "array" => Agg::Array,
        "array_distinct" => Agg::ArrayDistinct,
        "earliest" => Agg::Earliest,
        "latest" => Agg::Latest,
        "window.avg" => Agg::WindowAvg,
        "window.first" => Agg::WindowFirst,
        "window.last" => Agg::WindowLast,
        "window.median" => Agg::WindowMedian,
        "window.mode" => Agg::WindowMode,
        "window.range" => Agg::WindowRange,
        "window.stddev" => Agg::WindowStddev,
        "window.variance" => Agg::WindowVariance,
        _ => return None,
    })
}
