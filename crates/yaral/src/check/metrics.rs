//! `metrics.*` calls: the Risk Analytics functions that read Google's precomputed history of an
//! entity, such as `metrics.auth_attempts_fail(period:1d, window:30d, metric:value_sum,
//! agg:max, principal.asset.ip:$ip)`.
//!
//! Google's page "Metric functions for Risk Analytics rules" documents them: they stand in
//! `outcome:` only and take named arguments in any order. `period` is `1h` or `1d`, and the
//! `window` that goes with it is `today` or `30d`. `metric` picks the value each period keeps
//! and `agg` how the window combines the periods. Every other argument filters on a UDM field.

use udm::schema::{self, PathError};

use crate::ast::{ArgValue, DurationUnit, Expr, ExprKind, Ident, Span};
use crate::diagnostic::Diagnostic;
use crate::parser::dotted_name;

use super::suggest::closest;

/// The metrics functions Google lists, without the `metrics.` prefix.
// NOTE: this list comes from a changelog of Google's YARA-L lexer rather than from a reference
// page, so a name missing here gets a warning, not an error.
const FUNCTIONS: &[&str] = &[
    "alert_event_name_count",
    "auth_attempts_fail",
    "auth_attempts_success",
    "auth_attempts_total",
    "dns_bytes_outbound",
    "dns_queries_fail",
    "dns_queries_success",
    "dns_queries_total",
    "file_executions_fail",
    "file_executions_success",
    "file_executions_total",
    "http_queries_fail",
    "http_queries_success",
    "http_queries_total",
    "network_bytes_inbound",
    "network_bytes_outbound",
    "network_bytes_total",
    "resource_creation_success",
    "resource_creation_total",
    "resource_deletion_success",
    "resource_read_fail",
    "resource_read_success",
];

/// Values of `metric:`, the value each period keeps.
const METRICS: &[&str] = &["event_count_sum", "first_seen", "last_seen", "value_sum"];

/// Values of `agg:`, how the window combines the periods.
// NOTE: Google's examples show only `max` and `min`; the other values are unconfirmed, so an
// unlisted value gets a warning, not an error.
const AGGREGATIONS: &[&str] = &["avg", "max", "min", "num_metric_periods", "stddev", "sum"];

/// The arguments every call needs, each with an example value for help lines.
const REQUIRED: [(&str, &str); 4] =
    [("period", "1d"), ("window", "30d"), ("metric", "value_sum"), ("agg", "max")];

/// Whether a function name, as its parts, names a `metrics.*` function.
pub fn is_metrics(name: &[Ident]) -> bool {
    name.len() > 1 && name.first().is_some_and(|n| n.name.eq_ignore_ascii_case("metrics"))
}

/// Whether a dotted function name names a `metrics.*` function.
pub fn is_metrics_name(dotted: &str) -> bool {
    dotted.get(..8).is_some_and(|prefix| prefix.eq_ignore_ascii_case("metrics."))
}

/// Checks one `metrics.*` call; `in_outcome` says whether it stands in `outcome:`.
pub fn check_call(call: &Expr, in_outcome: bool, out: &mut Vec<Diagnostic>) {
    let ExprKind::Call { name, args, nocase } = &call.kind else { return };
    let dotted = dotted_name(name);
    let name_span = match (name.first(), name.last()) {
        (Some(first), Some(last)) => first.span.to(last.span),
        _ => call.span,
    };
    if !in_outcome {
        out.push(
            Diagnostic::error(name_span, format!("`{dotted}` can only be used in `outcome:`"))
                .with_help(format!(
                    "compute it in an outcome variable, such as `$value = max({dotted}(...))`"
                )),
        );
    }
    let function = name.iter().skip(1).map(|n| n.name.as_str()).collect::<Vec<_>>().join(".");
    if !FUNCTIONS.contains(&function.as_str()) {
        let diagnostic = Diagnostic::warning(
            name_span,
            format!("`{dotted}` is not a metrics function that Google documents"),
        );
        out.push(match closest(&function, FUNCTIONS.iter().copied()) {
            Some(known) => diagnostic.with_help(format!("did you mean `metrics.{known}`?")),
            None => diagnostic,
        });
    }
    if *nocase {
        out.push(Diagnostic::error(
            call.span,
            format!("`nocase` cannot follow `{dotted}`; only `re.regex` takes it"),
        ));
    }
    let mut seen: Vec<String> = Vec::new();
    let mut period: Option<(u64, Span)> = None;
    let mut window: Option<(&str, Span)> = None;
    for arg in args {
        let ExprKind::NamedArg { name: arg_name, value } = &arg.kind else {
            out.push(Diagnostic::error(arg.span, "`metrics.*` calls take named arguments only"));
            continue;
        };
        let key = dotted_name(arg_name);
        if seen.contains(&key) {
            out.push(Diagnostic::error(arg.span, format!("argument `{key}` is given twice")));
            continue;
        }
        seen.push(key.clone());
        match key.as_str() {
            "period" => period = check_period(value, arg.span, out).map(|p| (p, arg.span)),
            "window" => window = check_window(value, arg.span, out).map(|w| (w, arg.span)),
            "metric" => check_word(&key, value, METRICS, arg.span, out),
            "agg" => check_word(&key, value, AGGREGATIONS, arg.span, out),
            _ if arg_name.len() == 1 => out.push(
                Diagnostic::error(arg.span, format!("unknown argument `{key}` of `{dotted}`"))
                    .with_help("the arguments are `period`, `window`, `metric`, `agg` and UDM field filters such as `principal.asset.ip:$ip`"),
            ),
            _ => check_filter(arg_name, value, arg.span, out),
        }
    }
    if let (Some((seconds, _)), Some((window, span))) = (period, window) {
        let expected = if seconds == 3600 { "today" } else { "30d" };
        if window != expected {
            let period = if seconds == 3600 { "1h" } else { "1d" };
            out.push(
                Diagnostic::error(
                    span,
                    format!("`window:{window}` does not go with `period:{period}`"),
                )
                .with_help(
                    "write `period:1h` with `window:today`, or `period:1d` with `window:30d`",
                ),
            );
        }
    }
    for (required, example) in REQUIRED {
        if !seen.iter().any(|s| s == required) {
            out.push(
                Diagnostic::error(
                    name_span,
                    format!("`{dotted}` is missing the argument `{required}`"),
                )
                .with_help(format!("add `{required}:{example}`")),
            );
        }
    }
}

/// Returns the period in seconds when it is valid.
fn check_period(value: &ArgValue, span: Span, out: &mut Vec<Diagnostic>) -> Option<u64> {
    if let ArgValue::Expr(expr) = value {
        if let ExprKind::Duration(duration) = &expr.kind {
            let seconds = duration.seconds();
            let whole_unit = matches!(duration.unit, DurationUnit::Hour | DurationUnit::Day);
            if whole_unit && duration.value == 1 {
                return Some(seconds);
            }
        }
    }
    out.push(
        Diagnostic::error(span, "`period` must be `1h` or `1d`")
            .with_help("write `period:1h` with `window:today`, or `period:1d` with `window:30d`"),
    );
    None
}

/// Returns the window as written (`today` or `30d`) when it is valid.
fn check_window<'a>(value: &'a ArgValue, span: Span, out: &mut Vec<Diagnostic>) -> Option<&'a str> {
    match value {
        ArgValue::Word(word) if word.name == "today" => return Some("today"),
        ArgValue::Expr(expr) => {
            if let ExprKind::Duration(duration) = &expr.kind {
                if duration.unit == DurationUnit::Day && duration.value == 30 {
                    return Some("30d");
                }
            }
        }
        ArgValue::Word(_) => {}
    }
    out.push(
        Diagnostic::error(span, "`window` must be `today` or `30d`")
            .with_help("write `period:1h` with `window:today`, or `period:1d` with `window:30d`"),
    );
    None
}

/// Checks `metric:` or `agg:`, whose value is a word from `known`.
fn check_word(key: &str, value: &ArgValue, known: &[&str], span: Span, out: &mut Vec<Diagnostic>) {
    let listed = known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
    let ArgValue::Word(word) = value else {
        out.push(
            Diagnostic::error(
                span,
                format!("`{key}` takes a bare word, such as `{key}:{}`", known[0]),
            )
            .with_help(format!("the values Google documents are {listed}")),
        );
        return;
    };
    if !known.contains(&word.name.as_str()) {
        let diagnostic = Diagnostic::warning(
            word.span,
            format!("`{}` is not a value of `{key}` that Google documents", word.name),
        );
        out.push(match closest(&word.name, known.iter().copied()) {
            Some(suggestion) => diagnostic.with_help(format!("did you mean `{suggestion}`?")),
            None => diagnostic.with_help(format!("the documented values are {listed}")),
        });
    }
}

/// Checks a field filter such as `principal.asset.ip:$ip`: a UDM path and a value.
fn check_filter(name: &[Ident], value: &ArgValue, span: Span, out: &mut Vec<Diagnostic>) {
    let path: Vec<&str> = name.iter().map(|n| n.name.as_str()).collect();
    if let Err(error) = schema::resolve(schema::event(), &path) {
        let at = |index: &usize| name.get(*index).map_or(span, |n| n.span);
        let diagnostic = match &error {
            PathError::UnknownField { index, segment, suggestion, .. } => {
                let diagnostic = Diagnostic::error(
                    at(index),
                    format!("unknown UDM field `{segment}` in the filter `{}`", path.join(".")),
                );
                match suggestion {
                    Some(name) => diagnostic.with_help(format!("did you mean `{name}`?")),
                    None => diagnostic,
                }
            }
            PathError::NounInNoun { index, .. } | PathError::NotAMessage { index, .. } => {
                Diagnostic::error(at(index), format!("invalid UDM path in the filter: {error}"))
            }
            PathError::Empty { .. } => Diagnostic::error(span, "empty UDM path in the filter"),
        };
        out.push(diagnostic);
    }
    if let ArgValue::Word(word) = value {
        out.push(
            Diagnostic::error(
                word.span,
                format!("the filter `{}` needs a placeholder or a literal value", path.join(".")),
            )
            .with_help(format!(
                "bind a placeholder in `events:` and write `{}:$value`, or quote the value",
                path.join(".")
            )),
        );
    }
}
