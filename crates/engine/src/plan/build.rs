//! Assembling a [`Plan`] from a checked rule.

use sha2::{Digest, Sha256};
use udm::Value;
use yaral::ast::{self, ExprKind, Literal, WindowKind};
use yaral::Diagnostic;

use super::condition::{is_single_event, required_vars};
use super::events::{declare, plan_events};
use super::ir::CExpr;
use super::lower::{Lowerer, Section};
use super::{Plan, VarPlan, VarSource, WindowPlan};
use crate::context::Context;

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// Hop windows of length D start every D divided by this number.
///
/// Google does not document the hop of `over` windows; its example shows a 3-minute hop for a
/// 30-minute window, so Dragnet hops by a tenth of the window, aligned to the Unix epoch.
pub(crate) const HOPS_PER_WINDOW: i128 = 10;

/// Compiles a checked rule into a plan, or returns every construct that cannot run.
pub(crate) fn build(rule: &ast::Rule, text: &str, ctx: &Context) -> Result<Plan, Vec<Diagnostic>> {
    let mut lowerer = Lowerer::new(ctx);
    lowerer.has_match = rule.match_section.is_some();
    let names = declare(&mut lowerer, rule);
    let events = plan_events(&mut lowerer, rule, names);

    let mut match_vars = Vec::new();
    let mut window = None;
    if let Some(section) = &rule.match_section {
        for ident in &section.vars {
            match lowerer.placeholder_index.get(&ident.name) {
                Some(&p) => match_vars.push((p, ident.name.clone())),
                None => lowerer.error(
                    ident.span,
                    format!("match variable `${}` is not a placeholder of `events:`", ident.name),
                ),
            }
        }
        window = window_plan(&mut lowerer, &section.window);
    }

    let mut outcomes = Vec::new();
    for assignment in &rule.outcome {
        if let Some(expr) = lowerer.lower_top(&assignment.expr, Section::Outcome) {
            outcomes.push((assignment.var.name.clone(), expr));
        }
        lowerer.outcomes.push(assignment.var.name.clone());
    }
    let condition = rule.condition.as_ref().and_then(|c| lowerer.lower_top(c, Section::Condition));

    let var_count = lowerer.vars.len();
    if var_count == 0 {
        lowerer.error(rule.events_span, "`events:` names no event variable");
    }
    if rule.match_section.is_none() && var_count > 1 {
        lowerer.error(
            rule.events_span,
            "a rule with several event variables needs a `match:` section to correlate them",
        );
    }
    let required = required_vars(&lowerer, &events.placeholders, rule.condition.as_ref());
    check_entity_vars(&mut lowerer, rule, window, &required);
    // A data table's rows must join: the condition cannot name the table, and a comparison
    // with a column holds only on some row.
    let required: Vec<bool> = required
        .iter()
        .zip(&lowerer.vars)
        .map(|(required, var)| *required || matches!(var.source, VarSource::Table(_)))
        .collect();

    let mut allow_zero_values = false;
    let mut suppression = None;
    for option in &rule.options {
        match (option.key.name.to_ascii_lowercase().as_str(), &option.value.kind) {
            ("allow_zero_values", ExprKind::Literal(Literal::Bool(b))) => allow_zero_values = *b,
            ("suppression_window", ExprKind::Duration(d)) => {
                suppression = Some(i128::from(d.seconds()) * NANOS_PER_SECOND)
            }
            (key, _) => lowerer.diagnostics.push(Diagnostic::warning(
                option.span,
                format!("option `{key}` is not known to Dragnet and has no effect"),
            )),
        }
    }

    if lowerer.diagnostics.iter().any(|d| d.severity == yaral::Severity::Error) {
        return Err(lowerer.diagnostics);
    }

    let match_placeholders: Vec<usize> = match_vars.iter().map(|(p, _)| *p).collect();
    let vars: Vec<VarPlan> = std::mem::take(&mut lowerer.vars)
        .into_iter()
        .zip(events.filters)
        .zip(events.bindings)
        .zip(events.late_filters)
        .enumerate()
        .map(|(index, (((slots, filters), bindings), late_filters))| {
            // Zero-value filter: a row whose match placeholder holds its zero value is dropped,
            // unless the placeholder comes from a function call or the rule allows zeros.
            let zero_checks = if allow_zero_values {
                Vec::new()
            } else {
                match_placeholders
                    .iter()
                    .copied()
                    .filter(|p| {
                        events
                            .placeholders
                            .get(*p)
                            .is_some_and(|plan| !plan.from_call && plan.owners.contains(&index))
                    })
                    .collect()
            };
            VarPlan {
                name: slots.name,
                source: slots.source,
                trie: slots.trie,
                slot_zero: slots.zero,
                filters,
                bindings,
                zero_checks,
                late_filters,
                stored_reads: Vec::new(),
                computed: Vec::new(),
            }
        })
        .collect();

    let meta: serde_json::Map<String, serde_json::Value> = rule
        .meta
        .iter()
        .map(|entry| (entry.key.name.clone(), serde_json::Value::String(entry.value.clone())))
        .collect();
    // A key given twice keeps its last value in `meta`, and so in the severity.
    let severity = rule
        .meta
        .iter()
        .rev()
        .find(|entry| entry.key.name.eq_ignore_ascii_case("severity"))
        .map(|entry| entry.value.clone());
    let suppression_key = outcomes.iter().position(|(name, _)| name == "suppression_key");
    let condition_outcomes = condition_outcomes(condition.as_ref(), &outcomes);

    let mut plan = Plan {
        name: rule.name.name.clone(),
        version: version_of(text),
        meta,
        severity,
        single_event: is_single_event(rule, var_count),
        vars,
        placeholders: events.placeholders,
        joins: events.joins,
        cross_filters: events.cross_filters,
        match_vars,
        window,
        outcomes,
        condition,
        condition_outcomes,
        required,
        suppression,
        suppression_key,
        ctx: ctx.clone(),
        warnings: lowerer.diagnostics,
    };
    plan.assign_computed_slots();
    plan.assign_stored_reads();
    Ok(plan)
}

/// Reports the entity variables (`$e.graph.`) and data-table variables a rule cannot use:
/// their rows open no window, so a rule needs an event variable that the condition requires,
/// and a sliding window's pivot must be an event variable.
fn check_entity_vars(
    lowerer: &mut Lowerer<'_>,
    rule: &ast::Rule,
    window: Option<WindowPlan>,
    required: &[bool],
) {
    if lowerer.vars.iter().all(|v| v.source.reads_events()) {
        return;
    }
    let bounded_event = lowerer
        .vars
        .iter()
        .zip(required)
        .any(|(var, required)| var.source.reads_events() && *required);
    if !bounded_event {
        let message = if lowerer.vars.iter().any(|v| v.source.is_entities()) {
            "a rule over entity records (`graph`) needs an event variable that the condition \
             requires, such as `$e` in `$e and $ioc`"
        } else {
            "a rule that reads data tables needs an event variable that the condition requires, \
             such as `$e`, because table rows are not events"
        };
        lowerer.error(rule.events_span, message);
    }
    if let Some(WindowPlan::Sliding { pivot, .. }) = window {
        if lowerer.vars.get(pivot).is_some_and(|v| !v.source.reads_events()) {
            let span = rule.match_section.as_ref().map_or(rule.events_span, |m| m.span);
            lowerer.error(
                span,
                "the pivot of a sliding window must be an event variable, not an entity variable",
            );
        }
    }
}

/// Marks the outcomes the condition reads, directly or through other outcomes.
fn condition_outcomes(condition: Option<&CExpr>, outcomes: &[(String, CExpr)]) -> Vec<bool> {
    let mut needed = vec![false; outcomes.len()];
    let mark = |expr: &CExpr, needed: &mut Vec<bool>| {
        expr.walk(&mut |e| {
            if let CExpr::Outcome(i) = e {
                if let Some(cell) = needed.get_mut(*i) {
                    *cell = true;
                }
            }
        })
    };
    if let Some(condition) = condition {
        mark(condition, &mut needed);
    }
    // An outcome only reads outcomes declared before it, so one pass from the last one back
    // reaches every outcome the marked ones depend on.
    for index in (0..outcomes.len()).rev() {
        if needed[index] {
            if let Some((_, expr)) = outcomes.get(index) {
                mark(expr, &mut needed);
            }
        }
    }
    needed
}

fn window_plan(lowerer: &mut Lowerer<'_>, window: &ast::Window) -> Option<WindowPlan> {
    let length = i128::from(window.duration.seconds()) * NANOS_PER_SECOND;
    if length <= 0 {
        lowerer.error(window.span, "the match window must be longer than zero");
        return None;
    }
    Some(match &window.kind {
        WindowKind::Hop => WindowPlan::Hop { length, hop: (length / HOPS_PER_WINDOW).max(1) },
        WindowKind::Tumbling => WindowPlan::Tumbling { length },
        WindowKind::SlidingAfter(pivot) | WindowKind::SlidingBefore(pivot) => {
            let after = matches!(window.kind, WindowKind::SlidingAfter(_));
            match lowerer.var_index.get(&pivot.name) {
                Some(&pivot) => WindowPlan::Sliding { length, pivot, after },
                None => {
                    lowerer.error(
                        pivot.span,
                        format!("window pivot `${}` is not an event variable", pivot.name),
                    );
                    return None;
                }
            }
        }
    })
}

/// The rule version: a hash of the rule text, so any edit gives a new version.
fn version_of(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    hex::encode(&digest[..8])
}

/// The value `$risk_score` takes when a rule does not set it: 40 for a rule that alerts.
///
/// Every Dragnet rule is treated as alerting, because Dragnet has no separate alerting switch.
pub(crate) const DEFAULT_RISK_SCORE: Value = Value::Int(40);
