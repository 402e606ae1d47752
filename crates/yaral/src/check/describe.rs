//! Short source text of expressions and conversion hints, for type-error messages.

use crate::ast::{Expr, ExprKind, Literal};
use crate::format::text;
use crate::parser::dotted_name;

use super::infer::{Scalar, Ty};

/// Maximum length, in characters, of source text quoted in a message. Longer expressions are
/// named by their kind.
const MAX_QUOTED: usize = 40;

/// Names an expression for a message: its source text in backquotes when short, a call as
/// `name(...)`, and anything longer as "this expression".
pub fn subject(expr: &Expr) -> String {
    let expr = expr.unparen();
    match &expr.kind {
        ExprKind::Call { name, .. } => format!("`{}(...)`", dotted_name(name)),
        ExprKind::Literal(Literal::String { value, raw }) if value.chars().count() > MAX_QUOTED => {
            let start: String = value.chars().take(MAX_QUOTED - 3).collect();
            format!("`{}`", text::string_literal(&format!("{start}..."), *raw))
        }
        _ => {
            let source = text::expr(expr);
            if source.chars().count() <= MAX_QUOTED {
                format!("`{source}`")
            } else {
                "this expression".to_string()
            }
        }
    }
}

/// The source text of `expr` when it is short enough to quote inside a rewrite.
pub fn short_source(expr: &Expr) -> Option<String> {
    let source = text::expr(expr.unparen());
    (source.chars().count() <= MAX_QUOTED).then_some(source)
}

/// A help line that converts a value of type `found` into what `wanted` describes, such as
/// "convert it with `cast.as_string($e.target.port)`".
pub fn conversion_help(expr: &Expr, found: Ty, wanted: Wanted) -> Option<String> {
    let inner = short_source(expr).unwrap_or_else(|| "...".to_string());
    let scalar = match found {
        Ty::List(_) => {
            return Some(match wanted {
                Wanted::String => {
                    format!("pick one element, such as `arrays.index_to_str({inner}, 0)`")
                }
                Wanted::Int | Wanted::Number => {
                    format!("pick one element, such as `arrays.index_to_int({inner}, 0)`")
                }
                Wanted::Other => {
                    "pass a single value, or pick one element with `arrays.index_to_str(list, 0)`"
                        .to_string()
                }
            });
        }
        Ty::Value(scalar) => scalar,
        Ty::Unknown => return None,
    };
    match (scalar, wanted) {
        (Scalar::Timestamp, _) => Some(format!("read its seconds: `{inner}.seconds`")),
        (Scalar::Message(_), _) => Some("read one of its fields".to_string()),
        (Scalar::Int | Scalar::Float | Scalar::Number | Scalar::Bool, Wanted::String) => {
            Some(format!("convert it first: `cast.as_string({inner})`"))
        }
        (Scalar::String | Scalar::Enum(_), Wanted::Int) => {
            Some(format!("convert it first: `cast.as_int({inner})`"))
        }
        (Scalar::String | Scalar::Enum(_), Wanted::Number) => {
            Some(format!("convert it first: `cast.as_int({inner})` or `cast.as_float({inner})`"))
        }
        (Scalar::Float | Scalar::Number, Wanted::Int) => {
            Some(format!("round it first: `math.floor({inner})`"))
        }
        _ => None,
    }
}

/// The kind of value a conversion hint should produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// A string.
    String,
    /// An integer.
    Int,
    /// An integer or a float.
    Number,
    /// Anything else, which no single conversion gives.
    Other,
}
