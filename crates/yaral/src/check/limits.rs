//! Limits: the match window, the number of outcome variables, of `and`/`or` operators and of
//! `in` list tests, and the `options:` section.

use crate::ast::{DurationUnit, Expr, ExprKind, ListMatch, Literal, Rule};
use crate::diagnostic::Diagnostic;

use super::CheckOptions;

/// Checks the rule's limits.
pub fn check(rule: &Rule, options: &CheckOptions, out: &mut Vec<Diagnostic>) {
    check_window(rule, options, out);
    if let Some(extra) = rule.outcome.get(options.max_outcome_vars) {
        out.push(
            Diagnostic::error(
                extra.var.span,
                format!(
                    "a rule may have at most {} outcome variables, but this one has {}",
                    options.max_outcome_vars,
                    rule.outcome.len()
                ),
            )
            .with_help("remove outcome variables, or combine several into one array"),
        );
    }
    check_logical_operators(rule, options, out);
    check_in_counts(rule, options, out);
    check_options(rule, out);
}

/// Counts `and` and `or` across the rule, with the implicit `and` between `events:` lines.
pub fn logical_operators(rule: &Rule) -> usize {
    let mut count = rule.events.len().saturating_sub(1);
    let mut exprs: Vec<&Expr> = rule.events.iter().collect();
    exprs.extend(rule.outcome.iter().map(|o| &o.expr));
    exprs.extend(rule.condition.iter());
    for expr in exprs {
        expr.walk(&mut |e| {
            if matches!(e.kind, ExprKind::And(..) | ExprKind::Or(..)) {
                count += 1;
            }
        });
    }
    count
}

fn check_logical_operators(rule: &Rule, options: &CheckOptions, out: &mut Vec<Diagnostic>) {
    let count = logical_operators(rule);
    if count <= options.max_logical_operators {
        return;
    }
    out.push(
        Diagnostic::error(
            rule.name.span,
            format!(
                "rule `{}` has {count} `and`/`or` operators, more than the limit of {} (the \
                 implicit `and` between `events:` lines counts too)",
                rule.name.name, options.max_logical_operators
            ),
        )
        .with_help(
            "move long lists of values into a reference list (`in %list`) or one regex, or \
             raise the limit with `dragnet check --max-logical-operators`",
        ),
    );
}

fn format_seconds(seconds: u64) -> String {
    if seconds.checked_rem(3600) == Some(0) {
        format!("{}h", seconds / 3600)
    } else if seconds.checked_rem(60) == Some(0) {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

fn check_window(rule: &Rule, options: &CheckOptions, out: &mut Vec<Diagnostic>) {
    let Some(section) = &rule.match_section else { return };
    let duration = &section.window.duration;
    if duration.unit == DurationUnit::Second {
        out.push(
            Diagnostic::error(
                duration.span,
                "match windows are measured in minutes, hours or days, not seconds",
            )
            .with_help(format!(
                "write the window with m, h or d, such as `{}`",
                format_seconds(duration.seconds().max(60).div_ceil(60) * 60)
            )),
        );
        return;
    }
    let seconds = duration.seconds();
    if seconds < options.min_window_seconds {
        out.push(Diagnostic::error(
            duration.span,
            format!(
                "match window `{}{}` is shorter than the minimum of {}",
                duration.value,
                duration.unit.suffix(),
                format_seconds(options.min_window_seconds)
            ),
        ));
    } else if seconds > options.max_window_seconds {
        out.push(
            Diagnostic::error(
                duration.span,
                format!(
                    "match window `{}{}` is longer than the maximum of {}",
                    duration.value,
                    duration.unit.suffix(),
                    format_seconds(options.max_window_seconds)
                ),
            )
            .with_help("shorten the window; Google SecOps accepts at most 48h"),
        );
    }
}

fn check_in_counts(rule: &Rule, options: &CheckOptions, out: &mut Vec<Diagnostic>) {
    let mut tests: Vec<(&Expr, ListMatch)> = Vec::new();
    let mut exprs: Vec<&Expr> = rule.events.iter().collect();
    exprs.extend(rule.outcome.iter().map(|o| &o.expr));
    for expr in exprs {
        expr.walk(&mut |e| {
            if let ExprKind::InList { kind, .. } = &e.kind {
                tests.push((e, *kind));
            }
        });
    }
    let limits = [
        (None, options.max_in_lists, "`in` list tests"),
        (Some(ListMatch::Regex), options.max_in_regex_lists, "`in regex` list tests"),
        (Some(ListMatch::Cidr), options.max_in_cidr_lists, "`in cidr` list tests"),
    ];
    for (kind, limit, what) in limits {
        let matching: Vec<&Expr> = tests
            .iter()
            .filter(|(_, k)| kind.is_none_or(|wanted| wanted == *k))
            .map(|(e, _)| *e)
            .collect();
        if let Some(extra) = matching.get(limit) {
            out.push(
                Diagnostic::error(
                    extra.span,
                    format!(
                        "a rule may have at most {limit} {what}, but this one has {}",
                        matching.len()
                    ),
                )
                .with_help(
                    "merge the lists into fewer reference lists; `dragnet check --in-limits` \
                     sets the limits",
                ),
            );
        }
    }
}

fn check_options(rule: &Rule, out: &mut Vec<Diagnostic>) {
    for entry in &rule.options {
        let key = entry.key.name.to_ascii_lowercase();
        let value = &entry.value.kind;
        match key.as_str() {
            "allow_zero_values" => {
                if !matches!(value, ExprKind::Literal(Literal::Bool(_))) {
                    out.push(Diagnostic::error(
                        entry.value.span,
                        "`allow_zero_values` takes `true` or `false`",
                    ));
                }
            }
            "suppression_window" => match value {
                ExprKind::Duration(duration) => {
                    if let Some(section) = &rule.match_section {
                        if duration.seconds() <= section.window.duration.seconds() {
                            out.push(Diagnostic::error(
                                entry.value.span,
                                "`suppression_window` must be longer than the match window",
                            ));
                        }
                    }
                }
                _ => out.push(
                    Diagnostic::error(entry.value.span, "`suppression_window` takes a duration")
                        .with_help("write a duration such as `5m`, `1h` or `1d`"),
                ),
            },
            _ => out.push(
                Diagnostic::error(entry.key.span, format!("unknown option `{}`", entry.key.name))
                    .with_help("the options are `allow_zero_values` and `suppression_window`"),
            ),
        }
    }
}
