//! Comparisons of data-table columns with event fields whose values can never be equal.
//!
//! A CSV header gives each column a type, `string` by default. A string column compared with
//! an integer field, or a number column with a text field, holds on no row, because text never
//! equals a number. The rule checker cannot see the column types, so the engine reports such a
//! comparison when it compiles the rule against the loaded tables.

use udm::schema::FieldKind;
use yaral::ast::{self, ExprKind, Span};
use yaral::Diagnostic;

use super::ir::CExpr;
use super::lower::Lowerer;

/// Whether an operand's values are text or numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueClass {
    Text,
    Number,
}

/// A compared operand whose value class the rule fixes: a data-table column or an event field.
#[derive(Debug, Clone)]
pub(crate) struct TypedOperand {
    class: ValueClass,
    /// Whether the operand is a data-table column.
    column: bool,
    /// The operand for messages, such as "the string column `%ports.port`".
    description: String,
}

impl Lowerer<'_> {
    /// Returns the value class of a compared operand, given as written and as lowered: a
    /// data-table column's by its type, an event field's by its schema type. Returns `None`
    /// for any other operand.
    pub(crate) fn typed_operand(
        &self,
        written: &ast::Expr,
        lowered: &CExpr,
    ) -> Option<TypedOperand> {
        match &written.unparen().kind {
            ExprKind::ListRef(list) => {
                let column = list.column.as_ref()?;
                let table = self.ctx.tables.get(&list.name.name)?;
                if !table.has_column_types() {
                    return None;
                }
                let kind = table.columns().get(table.column(&column.name)?)?.kind;
                let (class, noun) = match kind {
                    enrich::ColumnType::Number => (ValueClass::Number, "number"),
                    enrich::ColumnType::String => (ValueClass::Text, "string"),
                    enrich::ColumnType::Regex => (ValueClass::Text, "regex"),
                    enrich::ColumnType::Cidr => (ValueClass::Text, "cidr"),
                };
                let name = format!("%{}.{}", list.name.name, column.name);
                let description = format!("the {noun} column `{name}`");
                Some(TypedOperand { class, column: true, description })
            }
            ExprKind::Field(field) => {
                let CExpr::Slot { var, slot } = lowered else { return None };
                let kind = self.vars.get(*var)?.kinds.get(*slot).copied().flatten()?;
                let (class, noun) = match kind {
                    FieldKind::String => (ValueClass::Text, "text"),
                    FieldKind::Int32 | FieldKind::Int64 | FieldKind::Uint32 | FieldKind::Uint64 => {
                        (ValueClass::Number, "integer")
                    }
                    FieldKind::Float | FieldKind::Double => (ValueClass::Number, "number"),
                    _ => return None,
                };
                let name = format!("${}.{}", field.var.name, field.dotted());
                let description = format!("the {noun} field `{name}`");
                Some(TypedOperand { class, column: false, description })
            }
            _ => None,
        }
    }

    /// Reports a comparison of a data-table column with an operand of the other value class.
    pub(crate) fn check_table_comparison(
        &mut self,
        span: Span,
        lhs: Option<&TypedOperand>,
        rhs: Option<&TypedOperand>,
    ) {
        let (Some(lhs), Some(rhs)) = (lhs, rhs) else { return };
        if lhs.class == rhs.class || !(lhs.column || rhs.column) {
            return;
        }
        self.diagnostics.push(
            Diagnostic::error(
                span,
                format!(
                    "{} is compared with {}, but one is text and the other a number, so the \
                     comparison never holds",
                    lhs.description, rhs.description
                ),
            )
            .with_help(
                "set the column's type in the table's header row, such as `port:number`, to \
                 the kind of value the field holds",
            ),
        );
    }

    /// Records an operand bound to placeholder `placeholder`, and reports it when it cannot
    /// equal an operand bound before, as in `$e.target.port = $p` and `$p = %ports.port` over
    /// a string column.
    pub(crate) fn check_placeholder_operand(
        &mut self,
        placeholder: usize,
        operand: Option<TypedOperand>,
        span: Span,
    ) {
        let Some(operand) = operand else { return };
        let earlier = self.placeholder_operands.entry(placeholder).or_default().clone();
        if let Some(conflict) =
            earlier.iter().find(|e| e.class != operand.class && (e.column || operand.column))
        {
            self.check_table_comparison(span, Some(conflict), Some(&operand));
        }
        self.placeholder_operands.entry(placeholder).or_default().push(operand);
    }
}
