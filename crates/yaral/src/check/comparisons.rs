//! Types of comparisons, `in` tests, arithmetic, predicates and outcome values, wherever a
//! type comes through a placeholder, an outcome variable or a function call.
//!
//! A comparison between a field and a literal, or between two fields, is checked in `types`,
//! which names the field's schema type. This module checks every other comparison.

use crate::ast::{ArithmeticOp, CompareOp, Expr, ExprKind, Literal, Rule};
use crate::diagnostic::Diagnostic;

use super::describe::{conversion_help, short_source, subject, Wanted};
use super::infer::{Scalar, Section, Ty, Types};
use super::types::check_enum_name;

/// Checks every comparison, arithmetic operation, predicate and outcome value of the rule.
pub fn check(rule: &Rule, types: &Types, out: &mut Vec<Diagnostic>) {
    let mut exprs: Vec<(&Expr, Section)> =
        rule.events.iter().map(|e| (e, Section::Events)).collect();
    exprs.extend(rule.outcome.iter().map(|o| (&o.expr, Section::Outcome)));
    exprs.extend(rule.condition.iter().map(|c| (c, Section::Condition)));
    for (expr, section) in exprs {
        expr.walk(&mut |e| check_node(e, types, section, out));
    }
    for predicate in &rule.events {
        check_predicate(predicate, types, Section::Events, out);
    }
    check_outcome_values(rule, types, out);
}

fn check_node(expr: &Expr, types: &Types, section: Section, out: &mut Vec<Diagnostic>) {
    match &expr.kind {
        ExprKind::Compare { op, lhs, rhs, nocase } => {
            let comparison = Comparison { expr, op: *op, lhs, rhs, section };
            if *nocase {
                comparison.check_nocase(types, out);
            }
            comparison.check_types(types, out);
        }
        ExprKind::Arithmetic { op, lhs, rhs } => {
            for operand in [lhs, rhs] {
                check_operand(*op, operand, types, section, out);
            }
        }
        ExprKind::InList { expr: tested, list, .. } if !is_field(tested) => {
            let ty = types.of(tested, section);
            if ty.is_known() && !ty.scalar().is_some_and(Scalar::is_string) {
                let source = short_source(tested).unwrap_or_else(|| "...".to_string());
                out.push(
                    Diagnostic::error(
                        tested.span,
                        format!(
                            "only strings can be tested against `%{}`, but {} is {}",
                            list.name.name,
                            subject(tested),
                            ty.description()
                        ),
                    )
                    .with_help(format!(
                        "convert it first: `strings.concat({source}, \"\") in %{}`",
                        list.name.name
                    )),
                );
            }
        }
        ExprKind::InLiteralList { expr: tested, items, .. } if !is_field(tested) => {
            for item in items {
                let comparison =
                    Comparison { expr, op: CompareOp::Eq, lhs: tested, rhs: item, section };
                comparison.check_types(types, out);
            }
        }
        // `condition:` has its own rules for what may stand alone (`#e`, `$e`, `$o`).
        ExprKind::And(lhs, rhs) | ExprKind::Or(lhs, rhs) if section != Section::Condition => {
            check_predicate(lhs, types, section, out);
            check_predicate(rhs, types, section, out);
        }
        ExprKind::Not(inner) if section != Section::Condition => {
            check_predicate(inner, types, section, out);
        }
        _ => {}
    }
}

fn is_field(expr: &Expr) -> bool {
    matches!(expr.unparen().kind, ExprKind::Field(_))
}

fn is_literal(expr: &Expr) -> bool {
    matches!(expr.unparen().kind, ExprKind::Literal(_))
}

fn is_regex(expr: &Expr) -> bool {
    matches!(expr.unparen().kind, ExprKind::Regex(_))
}

/// One comparison `lhs op rhs` and its section.
struct Comparison<'a> {
    expr: &'a Expr,
    op: CompareOp,
    lhs: &'a Expr,
    rhs: &'a Expr,
    section: Section,
}

impl Comparison<'_> {
    /// `nocase` folds letter case, so it needs strings; on enum fields `types` reports it.
    fn check_nocase(&self, types: &Types, out: &mut Vec<Diagnostic>) {
        // The literal side, if any, has the other side's type or a mismatch of its own.
        let sides = [self.lhs, self.rhs];
        for side in sides.into_iter().filter(|side| !is_literal(side)) {
            let Some(scalar) = types.of(side, self.section).scalar() else { continue };
            match scalar {
                Scalar::Enum(_) if !is_field(side) => out.push(
                    Diagnostic::error(
                        side.span,
                        format!("`nocase` cannot be used on {}, an enum value", subject(side)),
                    )
                    .with_help("enum values are matched by their exact name; remove `nocase`"),
                ),
                Scalar::Int | Scalar::Float | Scalar::Number | Scalar::Bool => out.push(
                    Diagnostic::error(
                        side.span,
                        format!(
                            "`nocase` applies to string comparisons, but {} is {}",
                            subject(side),
                            scalar.description()
                        ),
                    )
                    .with_help("remove `nocase`"),
                ),
                _ => continue,
            }
            return;
        }
    }

    fn check_types(&self, types: &Types, out: &mut Vec<Diagnostic>) {
        let (lhs, rhs) = (self.lhs, self.rhs);
        for (pattern, value) in [(lhs, rhs), (rhs, lhs)] {
            if is_regex(pattern) {
                self.check_regex(pattern, value, types, out);
                return;
            }
        }

        // `types` checks fields against literals and fields against fields, and the literal
        // checks report a comparison of two literals.
        let simple = |e: &Expr| is_field(e) || is_literal(e);
        if simple(lhs) && simple(rhs) {
            return;
        }

        let (lt, rt) = (types.of(lhs, self.section), types.of(rhs, self.section));
        for (side, ty) in [(lhs, lt), (rhs, rt)] {
            if let Some(diagnostic) = not_comparable(side, ty) {
                out.push(diagnostic);
                return;
            }
        }
        for (side, ty, other) in [(lhs, lt, rhs), (rhs, rt, lhs)] {
            if let (Some(Scalar::Enum(enum_type)), false) = (ty.scalar(), is_field(side)) {
                check_enum_name(enum_type, other, &subject(side), out);
            }
        }

        let (Some(a), Some(b)) = (lt.scalar(), rt.scalar()) else { return };
        if !a.compares_with(b) {
            out.push(self.mismatch(a, b));
            return;
        }

        let ordering = !matches!(self.op, CompareOp::Eq | CompareOp::Ne);
        if self.section == Section::Condition && ordering && a.is_string() && b.is_string() {
            out.push(
                Diagnostic::error(
                    self.expr.span,
                    format!(
                        "strings can only be compared with `=` or `!=` in `condition:`, not `{}`",
                        self.op.as_str()
                    ),
                )
                .with_help("compare numbers, or test the string with `=` or `!=`"),
            );
        }
    }

    /// `x = /re/` and `x != /re/` search `x`, which must be a string.
    fn check_regex(&self, pattern: &Expr, value: &Expr, types: &Types, out: &mut Vec<Diagnostic>) {
        if !matches!(self.op, CompareOp::Eq | CompareOp::Ne) {
            out.push(
                Diagnostic::error(
                    pattern.span,
                    format!(
                        "a regex literal can only be compared with `=` or `!=`, not `{}`",
                        self.op.as_str()
                    ),
                )
                .with_help("write `=` for a match or `!=` for no match"),
            );
        }
        // `types` names the schema type of a field compared with a regex.
        if is_field(value) {
            return;
        }
        let ty = types.of(value, self.section);
        if ty.is_known() && !ty.scalar().is_some_and(Scalar::is_string) {
            let diagnostic = Diagnostic::error(
                value.span,
                format!(
                    "a regex can only match a string, but {} is {}",
                    subject(value),
                    ty.description()
                ),
            );
            out.push(match conversion_help(value, ty, Wanted::String) {
                Some(help) => diagnostic.with_help(help),
                None => diagnostic,
            });
        }
    }

    fn mismatch(&self, a: Scalar, b: Scalar) -> Diagnostic {
        let (lhs, rhs) = (self.lhs, self.rhs);
        let (span, message, literal, other) = if is_literal(rhs) {
            let message = format!(
                "{} is {} but is compared with {}",
                subject(lhs),
                a.description(),
                b.description()
            );
            (rhs.span, message, Some(rhs), a)
        } else if is_literal(lhs) {
            let message = format!(
                "{} is {} but is compared with {}",
                subject(rhs),
                b.description(),
                a.description()
            );
            (lhs.span, message, Some(lhs), b)
        } else {
            let message = format!(
                "{} is {} but {} is {}",
                subject(lhs),
                a.description(),
                subject(rhs),
                b.description()
            );
            (self.expr.span, message, None, a)
        };
        let help = match literal.map(|l| &l.unparen().kind) {
            Some(ExprKind::Literal(Literal::String { value, .. })) if other.is_number() => {
                match value.trim().parse::<f64>() {
                    Ok(_) => format!("compare with a number without quotes: `{}`", value.trim()),
                    Err(_) => "compare with a number without quotes".to_string(),
                }
            }
            Some(ExprKind::Literal(Literal::Int(value))) if other.is_string() => {
                format!("quote the value: `\"{value}\"`")
            }
            Some(ExprKind::Literal(Literal::Float(value))) if other.is_string() => {
                format!("quote the value: `\"{value}\"`")
            }
            Some(_) if other == Scalar::Bool => "compare with `true` or `false`".to_string(),
            _ => match self.bound_placeholder() {
                Some(name) => format!("`${name}` has the type of the first value bound to it; bind it to values of one type, or convert one side with `cast.as_string(...)`"),
                None => "compare values of one type; convert a number with `cast.as_string(...)` or a string with `cast.as_int(...)`".to_string(),
            },
        };
        Diagnostic::error(span, message).with_help(help)
    }
}

impl Comparison<'_> {
    /// Returns the placeholder that this `events:` comparison binds, if it binds one.
    fn bound_placeholder(&self) -> Option<&str> {
        if self.section != Section::Events || self.op != CompareOp::Eq {
            return None;
        }
        match (&self.lhs.unparen().kind, &self.rhs.unparen().kind) {
            (ExprKind::Variable(var), other) | (other, ExprKind::Variable(var))
                if !matches!(other, ExprKind::Literal(_)) =>
            {
                Some(&var.name)
            }
            _ => None,
        }
    }
}

/// Reports a side of a comparison that is no single value: a list, a Timestamp or another
/// message.
fn not_comparable(side: &Expr, ty: Ty) -> Option<Diagnostic> {
    match ty {
        Ty::List(_) => {
            let source = short_source(side).unwrap_or_else(|| "...".to_string());
            Some(
                Diagnostic::error(
                    side.span,
                    format!("{} is {} and cannot be compared", subject(side), ty.description()),
                )
                .with_help(format!(
                    "test whether it contains a value with `arrays.contains({source}, ...)`"
                )),
            )
        }
        Ty::Value(scalar) if !scalar.is_value() => {
            let diagnostic = Diagnostic::error(
                side.span,
                format!("{} is {} and cannot be compared", subject(side), scalar.description()),
            );
            Some(match conversion_help(side, ty, Wanted::Other) {
                Some(help) => diagnostic.with_help(help),
                None => diagnostic,
            })
        }
        _ => None,
    }
}

fn check_operand(
    op: ArithmeticOp,
    operand: &Expr,
    types: &Types,
    section: Section,
    out: &mut Vec<Diagnostic>,
) {
    let ty = types.of(operand, section);
    if !ty.is_known() {
        return;
    }
    let scalar = ty.scalar();
    if op == ArithmeticOp::Rem && scalar == Some(Scalar::Float) {
        let help = if is_literal(operand) {
            "write an integer".to_string()
        } else {
            let source = short_source(operand).unwrap_or_else(|| "...".to_string());
            format!("round it first, such as `math.floor({source})`")
        };
        out.push(
            Diagnostic::error(
                operand.span,
                format!("`%` takes integers, but {} is a float", subject(operand)),
            )
            .with_help(help),
        );
        return;
    }
    if scalar.is_some_and(Scalar::is_number) {
        return;
    }
    let diagnostic = Diagnostic::error(
        operand.span,
        format!(
            "`{}` takes numbers, but {} is {}",
            op.as_str(),
            subject(operand),
            ty.description()
        ),
    );
    let help = if op == ArithmeticOp::Add && scalar.is_some_and(Scalar::is_string) {
        Some("join strings with `strings.concat(...)`".to_string())
    } else {
        conversion_help(operand, ty, Wanted::Number)
    };
    out.push(match help {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic,
    });
}

/// Reports a predicate, such as a line of `events:` or an operand of `and`, that is not a
/// condition.
fn check_predicate(expr: &Expr, types: &Types, section: Section, out: &mut Vec<Diagnostic>) {
    let ty = types.of(expr, section);
    if !ty.is_known() || ty == Ty::Value(Scalar::Bool) {
        return;
    }
    let source = short_source(expr).unwrap_or_else(|| "...".to_string());
    out.push(
        Diagnostic::error(
            expr.span,
            format!("{} is {}, not a condition", subject(expr), ty.description()),
        )
        .with_help(format!("compare it with a value, such as `{source} = ...`")),
    );
}

/// Reports outcome values that are not a number, a string or a list of them, and a
/// `$risk_score` that is not a number.
fn check_outcome_values(rule: &Rule, types: &Types, out: &mut Vec<Diagnostic>) {
    for assignment in &rule.outcome {
        let ty = types.of(&assignment.expr, Section::Outcome);
        let value = &assignment.expr;
        if let Some(scalar) = ty.scalar().filter(|s| !s.is_value()) {
            let diagnostic = Diagnostic::error(
                value.span,
                format!(
                    "an outcome variable is a number, a string or a list of them, but {} is {}",
                    subject(value),
                    scalar.description()
                ),
            );
            out.push(match conversion_help(value, ty, Wanted::Other) {
                Some(help) => diagnostic.with_help(help),
                None => diagnostic,
            });
            continue;
        }
        let is_risk_score = assignment.var.name.eq_ignore_ascii_case("risk_score");
        if is_risk_score && ty.is_known() && !ty.scalar().is_some_and(Scalar::is_number) {
            out.push(
                Diagnostic::error(
                    value.span,
                    format!(
                        "`$risk_score` must be an integer or a float, but {} is {}",
                        subject(value),
                        ty.description()
                    ),
                )
                .with_help("compute a number, such as `max(if(..., 80, 40))`"),
            );
        }
    }
}
