//! Argument types of function calls, against the function table, and the branches of `if`.

use crate::ast::{Expr, ExprKind, Rule};
use crate::diagnostic::Diagnostic;
use crate::parser::dotted_name;

use super::describe::{conversion_help, subject, Wanted};
use super::functions::{lookup, Function, Param};
use super::infer::{Scalar, Section, Ty, Types};
use super::metrics;

/// Checks the arguments of every call of the rule.
pub fn check(rule: &Rule, types: &Types, out: &mut Vec<Diagnostic>) {
    let mut exprs: Vec<(&Expr, Section)> =
        rule.events.iter().map(|e| (e, Section::Events)).collect();
    exprs.extend(rule.outcome.iter().map(|o| (&o.expr, Section::Outcome)));
    exprs.extend(rule.condition.iter().map(|c| (c, Section::Condition)));
    for (expr, section) in exprs {
        expr.walk(&mut |e| {
            let ExprKind::Call { name, args, .. } = &e.kind else { return };
            if metrics::is_metrics(name) {
                return;
            }
            let Some(function) = lookup(&dotted_name(name)) else { return };
            // A call with the wrong number of arguments is reported by the call checks.
            if args.len() < function.min_args() || args.len() > function.max_args() {
                return;
            }
            check_call(e, function, args, types, section, out);
        });
    }
}

fn check_call(
    call: &Expr,
    function: &Function,
    args: &[Expr],
    types: &Types,
    section: Section,
    out: &mut Vec<Diagnostic>,
) {
    for (index, arg) in args.iter().enumerate() {
        let Some(param) = function.param(index) else { continue };
        let ty = types.of(arg, section);
        if param.accepts(ty, types.is_field_like(arg)) {
            continue;
        }
        let message = format!(
            "argument {} of `{}` must be {}, but {} is {}",
            index + 1,
            function.name,
            param.description(),
            subject(arg),
            ty.description()
        );
        let diagnostic = Diagnostic::error(arg.span, message);
        out.push(match argument_help(arg, ty, param) {
            Some(help) => diagnostic.with_help(help),
            None => diagnostic,
        });
    }
    match function.name {
        "if" => check_branches(call, args, types, section, out),
        "arrays.contains" => check_element(args, types, section, out),
        _ => {}
    }
}

fn argument_help(arg: &Expr, ty: Ty, param: Param) -> Option<String> {
    let wanted = match param {
        Param::String => Wanted::String,
        Param::Int | Param::Time => Wanted::Int,
        Param::Number => Wanted::Number,
        Param::Bool => {
            let test = match ty.scalar() {
                Some(scalar) if scalar.is_number() => "> 0",
                _ => "!= \"\"",
            };
            let source = super::describe::short_source(arg).unwrap_or_else(|| "...".to_string());
            return Some(format!("write a comparison, such as `{source} {test}`"));
        }
        Param::List => {
            return Some(
                "pass a list, a repeated field, or a placeholder bound to a field".to_string(),
            );
        }
        Param::StringOrNumber | Param::Scalar | Param::Any => Wanted::Other,
    };
    conversion_help(arg, ty, wanted)
}

/// The `then` and `else` values of `if` must share a type; an `if` without `else` must
/// return a number (the missing `else` is 0) from a value that is not a variable.
fn check_branches(
    call: &Expr,
    args: &[Expr],
    types: &Types,
    section: Section,
    out: &mut Vec<Diagnostic>,
) {
    let Some(then) = args.get(1) else { return };
    let then_ty = types.of(then, section);
    let Some(otherwise) = args.get(2) else {
        let is_variable = matches!(then.unparen().kind, ExprKind::Variable(_));
        let is_number = then_ty.scalar().is_some_and(Scalar::is_number);
        if is_variable || (then_ty.is_known() && !is_number) {
            out.push(
                Diagnostic::error(call.span, "this `if` needs an else value")
                    .with_help("only a numeric `if` may leave out the else value, which is then 0"),
            );
        }
        return;
    };
    let else_ty = types.of(otherwise, section);
    let same = match (then_ty, else_ty) {
        (Ty::Value(a), Ty::Value(b)) | (Ty::List(a), Ty::List(b)) => a.compares_with(b),
        (Ty::Unknown, _) | (_, Ty::Unknown) => true,
        _ => false,
    };
    if same {
        return;
    }
    out.push(
        Diagnostic::error(
            otherwise.span,
            format!(
                "the branches of `if` must have one type, but {} is {} and {} is {}",
                subject(then),
                then_ty.description(),
                subject(otherwise),
                else_ty.description()
            ),
        )
        .with_help("return the same type from both branches, converting one with `cast.as_string(...)` or `cast.as_int(...)`"),
    );
}

/// `arrays.contains(list, value)`: the value must have the list's element type.
fn check_element(args: &[Expr], types: &Types, section: Section, out: &mut Vec<Diagnostic>) {
    let (Some(list), Some(value)) = (args.first(), args.get(1)) else { return };
    let element = match types.of(list, section) {
        Ty::List(element) | Ty::Value(element) => element,
        Ty::Unknown => return,
    };
    let Some(found) = types.of(value, section).scalar() else { return };
    if element.compares_with(found) {
        return;
    }
    out.push(Diagnostic::error(
        value.span,
        format!(
            "`arrays.contains` cannot find {} in {}, whose elements are {}",
            found.description(),
            subject(list),
            element.plural()
        ),
    ));
}
