//! Single-line source text of syntax-tree nodes: literals with their escapes, field paths and
//! whole expressions.
//!
//! Every function here returns text that the lexer and parser read back into the same node.

use crate::ast::{
    ArgValue, Expr, ExprKind, FieldRef, FieldSource, ListMatch, ListRef, Literal, NOfQuantity,
    PathSegment, Quantifier,
};
use crate::parser::dotted_name;

/// Writes a float so that it lexes back as the same float: always with a decimal point, never
/// with an exponent (the lexer reads neither `1` nor `1e3` as a float).
pub fn format_float(value: f64) -> String {
    if value.is_infinite() {
        // Only a literal with more digits than `f64::MAX` has can lex as infinity, and a 1 with
        // 309 zeros lexes back as infinity too.
        return format!("1{}.0", "0".repeat(309));
    }
    let text = value.to_string();
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

/// A double-quoted string literal with `\\`, `\"`, `\n`, `\t` and `\r` escaped.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for ch in value.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// A string literal as written: backquoted when it was raw, double-quoted otherwise.
pub fn string_literal(value: &str, raw: bool) -> String {
    if raw {
        format!("`{value}`")
    } else {
        quote(value)
    }
}

/// A regex literal `/.../` for a pattern as the lexer stored it.
///
/// The lexer keeps `\x` pairs as written and turns `\/` into `/`, so each escape pair is copied
/// and each lone `/` is escaped again.
pub fn regex_literal(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 2);
    out.push('/');
    let mut chars = pattern.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => {
                out.push('\\');
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            '/' => out.push_str("\\/"),
            other => out.push(other),
        }
    }
    out.push('/');
    out
}

fn literal(value: &Literal) -> String {
    match value {
        Literal::String { value, raw } => string_literal(value, *raw),
        Literal::Int(value) => value.to_string(),
        Literal::Float(value) => format_float(*value),
        Literal::Bool(value) => value.to_string(),
        Literal::Null => "null".to_string(),
    }
}

/// `$e.principal.ip[0]`, with `any`/`all` and the `graph`/`detection` prefix when present.
pub fn field(field: &FieldRef) -> String {
    let mut out = String::new();
    match field.quantifier {
        Some(Quantifier::Any) => out.push_str("any "),
        Some(Quantifier::All) => out.push_str("all "),
        None => {}
    }
    out.push('$');
    out.push_str(&field.var.name);
    let starts_with_field = match field.path.first() {
        Some(PathSegment::Field(first)) => {
            !matches!(first.name.as_str(), "udm" | "graph" | "detection")
        }
        _ => false,
    };
    match field.source {
        // `udm` is the default source, written only when the path would not parse without it.
        FieldSource::Udm if starts_with_field => {}
        FieldSource::Udm => out.push_str(".udm"),
        FieldSource::Graph => out.push_str(".graph"),
        FieldSource::Detection => out.push_str(".detection"),
    }
    for segment in &field.path {
        match segment {
            PathSegment::Field(name) => {
                out.push('.');
                out.push_str(&name.name);
            }
            PathSegment::Index(index, _) => out.push_str(&format!("[{index}]")),
            PathSegment::Key(key, _) => {
                out.push('[');
                out.push_str(&quote(key));
                out.push(']');
            }
        }
    }
    out
}

/// `%list` or `%table.column`.
pub fn list_ref(list: &ListRef) -> String {
    match &list.column {
        Some(column) => format!("%{}.{}", list.name.name, column.name),
        None => format!("%{}", list.name.name),
    }
}

/// The keyword that follows `in` for a list match, with its trailing space.
pub fn list_match(kind: ListMatch) -> &'static str {
    match kind {
        ListMatch::Exact => "",
        ListMatch::Regex => "regex ",
        ListMatch::Cidr => "cidr ",
    }
}

/// The text before the `[` of an `N of [...]` list.
pub fn quantity(quantity: NOfQuantity) -> String {
    match quantity {
        NOfQuantity::Any => "any of".to_string(),
        NOfQuantity::All => "all of".to_string(),
        NOfQuantity::AtLeast(count) => format!("{count} of"),
    }
}

fn comma_separated(items: &[Expr]) -> String {
    items.iter().map(expr).collect::<Vec<_>>().join(", ")
}

fn nocase_suffix(nocase: bool) -> &'static str {
    if nocase {
        " nocase"
    } else {
        ""
    }
}

/// The whole expression on one line.
pub fn expr(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Literal(value) => literal(value),
        ExprKind::Regex(pattern) => regex_literal(pattern),
        ExprKind::Duration(duration) => format!("{}{}", duration.value, duration.unit.suffix()),
        ExprKind::Field(reference) => field(reference),
        ExprKind::Variable(var) => format!("${}", var.name),
        ExprKind::Count(var) => format!("#{}", var.name),
        ExprKind::Absent(var) => format!("!${}", var.name),
        ExprKind::ListRef(list) => list_ref(list),
        ExprKind::Not(inner) => format!("not {}", self::expr(inner)),
        ExprKind::And(lhs, rhs) => format!("{} and {}", self::expr(lhs), self::expr(rhs)),
        ExprKind::Or(lhs, rhs) => format!("{} or {}", self::expr(lhs), self::expr(rhs)),
        ExprKind::Compare { op, lhs, rhs, nocase } => format!(
            "{} {} {}{}",
            self::expr(lhs),
            op.as_str(),
            self::expr(rhs),
            nocase_suffix(*nocase)
        ),
        ExprKind::Arithmetic { op, lhs, rhs } => {
            format!("{} {} {}", self::expr(lhs), op.as_str(), self::expr(rhs))
        }
        ExprKind::Negate(inner) => format!("-{}", self::expr(inner)),
        ExprKind::Call { name, args, nocase } => {
            format!("{}({}){}", dotted_name(name), comma_separated(args), nocase_suffix(*nocase))
        }
        ExprKind::InList { expr: tested, kind, list, nocase } => format!(
            "{} in {}{}{}",
            self::expr(tested),
            list_match(*kind),
            list_ref(list),
            nocase_suffix(*nocase)
        ),
        ExprKind::InLiteralList { expr: tested, items, nocase } => format!(
            "{} in ({}){}",
            self::expr(tested),
            comma_separated(items),
            nocase_suffix(*nocase)
        ),
        ExprKind::Array(items) => format!("[{}]", comma_separated(items)),
        ExprKind::NOf { quantity, items } => {
            format!("{} [{}]", self::quantity(*quantity), comma_separated(items))
        }
        ExprKind::WindowStart => "window_start".to_string(),
        ExprKind::WindowEnd => "window_end".to_string(),
        ExprKind::Paren(inner) => format!("({})", self::expr(inner)),
        // Written without a space after the colon, as Google's documentation writes them.
        ExprKind::NamedArg { name, value } => {
            let value = match value {
                ArgValue::Word(word) => word.name.clone(),
                ArgValue::Expr(value) => self::expr(value),
            };
            format!("{}:{value}", dotted_name(name))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::{tokenize, TokenKind};

    fn lexes_to(text: &str) -> TokenKind {
        let (tokens, errors) = tokenize(text);
        assert!(errors.is_empty(), "{text}: {errors:?}");
        tokens.into_iter().next().map(|t| t.kind).unwrap_or(TokenKind::Eof)
    }

    #[test]
    fn floats_keep_decimal_point() {
        for value in [1.0, 5.5, 0.1, 1e-7, 1e21, 123456789.125] {
            assert_eq!(lexes_to(&format_float(value)), TokenKind::Float(value), "{value}");
        }
        assert_eq!(lexes_to(&format_float(f64::INFINITY)), TokenKind::Float(f64::INFINITY));
    }

    #[test]
    fn strings_escape_round_trip() {
        let value = "a\"b\\c\nd\te\rf'g";
        assert_eq!(lexes_to(&quote(value)), TokenKind::Str(value.to_string()));
    }

    #[test]
    fn regexes_escape_round_trip() {
        for pattern in [r"a/b", r"a\.b", r"\\/x", "http://", "[/]"] {
            let text = format!("= {}", regex_literal(pattern));
            let (tokens, errors) = tokenize(&text);
            assert!(errors.is_empty(), "{pattern}: {errors:?}");
            assert_eq!(tokens[1].kind, TokenKind::Regex(pattern.to_string()), "{pattern}");
        }
    }
}
