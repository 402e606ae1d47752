//! Static types: field paths, field-against-literal comparisons, enum value names, `nocase` on
//! enums, and where `any`/`all` may stand.

use std::collections::BTreeMap;

use udm::schema::{EnumType, FieldKind};

use crate::ast::{Expr, ExprKind, FieldRef, ListMatch, Literal, Rule, Span};
use crate::diagnostic::Diagnostic;

use super::fields::{quantifier_word, resolve_field, FieldType};
use super::suggest::closest;

/// Field types by the span of their reference; a field that failed to resolve is absent.
pub type FieldTypes = BTreeMap<Span, FieldType>;

/// Resolves every field reference of `events:` and `outcome:` and checks the comparisons.
/// Returns the resolved types for the later checks.
pub fn check(rule: &Rule, out: &mut Vec<Diagnostic>) -> FieldTypes {
    let mut types = FieldTypes::new();
    let mut exprs: Vec<&Expr> = rule.events.iter().collect();
    exprs.extend(rule.outcome.iter().map(|o| &o.expr));
    for expr in &exprs {
        for field in expr.fields() {
            match resolve_field(field) {
                Ok(Some(ty)) => {
                    types.insert(field.span, ty);
                }
                Ok(None) => {}
                Err(diagnostic) => out.push(diagnostic),
            }
        }
    }
    for expr in &exprs {
        expr.walk(&mut |e| check_node(e, &types, out));
    }
    for predicate in &rule.events {
        check_placeholder_quantifiers(predicate, out);
    }
    types
}

fn field_of(expr: &Expr) -> Option<&FieldRef> {
    match &expr.unparen().kind {
        ExprKind::Field(field) => Some(field),
        _ => None,
    }
}

fn check_node(expr: &Expr, types: &FieldTypes, out: &mut Vec<Diagnostic>) {
    match &expr.kind {
        ExprKind::Compare { lhs, rhs, nocase, .. } => {
            let (left, right) = (field_of(lhs), field_of(rhs));
            if let (Some(a), Some(b)) = (left, right) {
                if let (Some(ta), Some(tb)) = (types.get(&a.span), types.get(&b.span)) {
                    check_field_pair(expr, (a, ta), (b, tb), out);
                }
                for field in [a, b] {
                    if let Some(q) = field.quantifier {
                        out.push(
                            Diagnostic::error(field.span, format!("`{}` cannot be used on one side of a comparison between two fields", quantifier_word(q)))
                                .with_help("`any` and `all` compare a repeated field with a value, not with another field"),
                        );
                    }
                }
            }
            if is_literal(lhs) && is_literal(rhs) {
                out.push(
                    Diagnostic::error(expr.span, "both sides of the comparison are literals")
                        .with_help(
                            "compare an event field, variable or function result with a value",
                        ),
                );
            }
            for (field, other) in [(left, rhs), (right, lhs)] {
                let Some(field) = field else { continue };
                let Some(ty) = types.get(&field.span) else { continue };
                check_field_against(field, ty, other, *nocase, out);
            }
        }
        ExprKind::InList { expr: tested, list, kind, nocase } => {
            if *nocase && *kind == ListMatch::Cidr {
                out.push(
                    Diagnostic::error(expr.span, "`nocase` cannot be used with `in cidr`")
                        .with_help("CIDR ranges have no letter case; remove `nocase`"),
                );
            }
            if let Some(field) = field_of(tested) {
                if let (true, Some(ty)) = (*nocase, types.get(&field.span)) {
                    if let FieldKind::Enum(_) = ty.kind {
                        out.push(
                            Diagnostic::error(
                                field.span,
                                format!(
                                    "`nocase` cannot be used on the enum field `{}`",
                                    field.dotted()
                                ),
                            )
                            .with_help(
                                "enum values are matched by their exact name; remove `nocase`",
                            ),
                        );
                    }
                }
                if let Some(q) = field.quantifier {
                    out.push(Diagnostic::error(
                        field.span,
                        format!(
                            "`{}` cannot be combined with a reference list",
                            quantifier_word(q)
                        ),
                    ));
                }
                if let Some(ty) = types.get(&field.span) {
                    if !matches!(ty.kind, FieldKind::String | FieldKind::Enum(_)) {
                        out.push(
                            Diagnostic::error(
                                field.span,
                                format!(
                                    "only strings can be tested against `%{}`, but `{}` is a {}",
                                    list.name.name,
                                    field.dotted(),
                                    ty.kind.type_name()
                                ),
                            )
                            .with_help(format!(
                                "convert it first: `strings.concat(${}.{}, \"\") in %{}`",
                                field.var.name,
                                field.dotted(),
                                list.name.name
                            )),
                        );
                    }
                }
            }
        }
        ExprKind::InLiteralList { expr: tested, items, nocase } => {
            let Some(field) = field_of(tested) else { return };
            let Some(ty) = types.get(&field.span) else { return };
            for item in items {
                check_field_against(field, ty, item, *nocase, out);
            }
        }
        _ => {}
    }
}

/// The family of values a field kind compares within.
fn value_family(kind: FieldKind) -> Option<&'static str> {
    Some(match kind {
        FieldKind::String | FieldKind::Bytes => "string",
        FieldKind::Int32
        | FieldKind::Int64
        | FieldKind::Uint32
        | FieldKind::Uint64
        | FieldKind::Float
        | FieldKind::Double => "number",
        FieldKind::Bool => "boolean",
        FieldKind::Enum(_) => "enum",
        FieldKind::Timestamp | FieldKind::Message(_) | FieldKind::Struct => return None,
    })
}

/// Reports a comparison between two fields whose values cannot be compared, such as a string
/// with a number. An enum may be compared with a string field, by its value name.
// NOTE: two fields of different enum types are accepted, because the documentation does not
// say whether Google SecOps compares them by name or by number.
fn check_field_pair(
    expr: &Expr,
    (a, ta): (&FieldRef, &FieldType),
    (b, tb): (&FieldRef, &FieldType),
    out: &mut Vec<Diagnostic>,
) {
    let (Some(fa), Some(fb)) = (value_family(ta.kind), value_family(tb.kind)) else { return };
    let by_name = matches!((fa, fb), ("string", "enum") | ("enum", "string"));
    if fa == fb || by_name {
        return;
    }
    out.push(
        Diagnostic::error(
            expr.span,
            format!(
                "`{}` ({}) cannot be compared with `{}` ({})",
                a.dotted(),
                ta.kind.type_name(),
                b.dotted(),
                tb.kind.type_name()
            ),
        )
        .with_help("compare fields of the same type, or convert one side with `strings.concat(..., \"\")` or `cast.as_int(...)`"),
    );
}

fn is_literal(expr: &Expr) -> bool {
    matches!(expr.unparen().kind, ExprKind::Literal(_) | ExprKind::Regex(_))
}

/// What kind of value a literal is, for messages.
fn literal_description(expr: &Expr) -> Option<&'static str> {
    Some(match &expr.unparen().kind {
        ExprKind::Literal(Literal::String { .. }) => "a string",
        ExprKind::Literal(Literal::Int(_)) => "an integer",
        ExprKind::Literal(Literal::Float(_)) => "a float",
        ExprKind::Literal(Literal::Bool(_)) => "a boolean",
        ExprKind::Regex(_) => "a regex",
        _ => return None,
    })
}

fn check_field_against(
    field: &FieldRef,
    ty: &FieldType,
    other: &Expr,
    nocase: bool,
    out: &mut Vec<Diagnostic>,
) {
    let path = field.dotted();
    if let FieldKind::Enum(enum_type) = ty.kind {
        if nocase {
            out.push(
                Diagnostic::error(
                    field.span,
                    format!("`nocase` cannot be used on the enum field `{path}`"),
                )
                .with_help("enum values are matched by their exact name; remove `nocase`"),
            );
        }
        if let ExprKind::Literal(Literal::String { .. }) = &other.unparen().kind {
            check_enum_name(enum_type, other, &format!("the enum field `{path}`"), out);
            return;
        }
    }
    let Some(found) = literal_description(other) else { return };
    let expected: &[&str] = match ty.kind {
        FieldKind::String | FieldKind::Bytes => &["a string", "a regex"],
        FieldKind::Int32 | FieldKind::Int64 | FieldKind::Uint32 | FieldKind::Uint64 => {
            &["an integer", "a float"]
        }
        FieldKind::Float | FieldKind::Double => &["an integer", "a float"],
        FieldKind::Bool => &["a boolean"],
        FieldKind::Enum(_) => &["a string", "a regex"],
        FieldKind::Timestamp => {
            out.push(
                Diagnostic::error(
                    field.span,
                    format!("`{path}` is a Timestamp and cannot be compared directly"),
                )
                .with_help(format!("compare its seconds: `${}.{path}.seconds`", field.var.name)),
            );
            return;
        }
        FieldKind::Message(m) => {
            out.push(Diagnostic::error(
                field.span,
                format!(
                    "`{path}` is a message ({}) and cannot be compared; compare one of its fields",
                    m.name
                ),
            ));
            return;
        }
        FieldKind::Struct => {
            out.push(
                Diagnostic::error(
                    field.span,
                    format!("`{path}` is a Struct and cannot be compared directly"),
                )
                .with_help(format!("read one key: `${}.{path}[\"key\"]`", field.var.name)),
            );
            return;
        }
    };
    if expected.contains(&found) {
        return;
    }
    let type_name = ty.kind.type_name();
    let help = match ty.kind {
        FieldKind::String | FieldKind::Bytes => "quote the value".to_string(),
        FieldKind::Bool => "compare with `true` or `false`".to_string(),
        _ => "compare with a number without quotes".to_string(),
    };
    out.push(
        Diagnostic::error(
            other.span,
            format!(
                "`{path}` is {type_name} but is compared with {found}",
                type_name = article(type_name)
            ),
        )
        .with_help(help),
    );
}

/// Reports a string literal that names no value of `enum_type`. `subject` is what the literal
/// is compared with, such as "the enum field `metadata.event_type`".
pub fn check_enum_name(
    enum_type: &EnumType,
    literal: &Expr,
    subject: &str,
    out: &mut Vec<Diagnostic>,
) {
    let ExprKind::Literal(Literal::String { value, .. }) = &literal.unparen().kind else {
        return;
    };
    if enum_type.by_name(value).is_some() {
        return;
    }
    let names: Vec<&str> = enum_type.values().map(|v| v.name).collect();
    let suggestion = closest(value, names.iter().copied()).or_else(|| {
        let suffix = format!("_{}", value.to_ascii_uppercase());
        let upper = value.to_ascii_uppercase();
        names.iter().copied().find(|n| *n == upper || n.ends_with(&suffix))
    });
    let diagnostic = Diagnostic::error(
        literal.span,
        format!("unknown value \"{value}\" for {subject} ({})", enum_type.name),
    );
    out.push(match suggestion {
        Some(name) => diagnostic.with_help(format!("did you mean \"{name}\"?")),
        None => diagnostic,
    });
}

fn article(type_name: &str) -> String {
    let vowel = type_name.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']);
    format!("{} {type_name}", if vowel { "an" } else { "a" })
}

/// `any $e.ip = $ip` is not a placeholder assignment: `any`/`all` cannot bind.
fn check_placeholder_quantifiers(expr: &Expr, out: &mut Vec<Diagnostic>) {
    expr.walk(&mut |e| {
        let ExprKind::Compare { lhs, rhs, .. } = &e.kind else { return };
        for (side, other) in [(lhs, rhs), (rhs, lhs)] {
            let (Some(field), ExprKind::Variable(var)) = (field_of(side), &other.unparen().kind)
            else {
                continue;
            };
            if let Some(q) = field.quantifier {
                out.push(
                    Diagnostic::error(
                        field.span,
                        format!(
                            "`{}` cannot be used in a placeholder assignment",
                            quantifier_word(q)
                        ),
                    )
                    .with_help(format!(
                        "write `${} = ${}.{}` without `{}`",
                        var.name,
                        field.var.name,
                        field.dotted(),
                        quantifier_word(q)
                    )),
                );
            }
        }
    });
}
