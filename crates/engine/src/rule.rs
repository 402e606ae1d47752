//! A compiled rule, ready for the engine.

use std::sync::Arc;
use std::time::Duration;

use yaral::{ast, Diagnostic};

use crate::context::Context;
use crate::detection::RuleInfo;
use crate::plan::{build, Plan};

/// A rule compiled against the UDM schema and the loaded reference lists.
#[derive(Debug, Clone)]
pub struct Rule {
    pub(crate) plan: Arc<Plan>,
    pub(crate) info: Arc<RuleInfo>,
}

impl Rule {
    /// Compiles a rule that passed the front end's checks. `text` is the rule's source, whose
    /// hash is the rule version. Returns every construct the engine cannot run (a missing
    /// reference list, an unsupported function) as diagnostics with spans.
    pub fn compile(rule: &ast::Rule, text: &str, ctx: &Context) -> Result<Rule, Vec<Diagnostic>> {
        let plan = build::build(rule, text, ctx)?;
        let info = RuleInfo {
            name: plan.name.clone(),
            version: plan.version.clone(),
            meta: plan.meta.clone(),
            severity: plan.severity.clone(),
        };
        Ok(Rule { plan: Arc::new(plan), info: Arc::new(info) })
    }

    /// The rule name.
    pub fn name(&self) -> &str {
        &self.plan.name
    }

    /// The rule version: a hash of its text.
    pub fn version(&self) -> &str {
        &self.plan.version
    }

    /// `meta: severity`, when set.
    pub fn severity(&self) -> Option<&str> {
        self.plan.severity.as_deref()
    }

    /// The problems found while compiling that did not stop the rule, such as cells of a
    /// data-table column that are not valid patterns for `in regex`.
    pub fn warnings(&self) -> &[yaral::Diagnostic] {
        &self.plan.warnings
    }

    /// Whether Google SecOps would classify the rule as single-event.
    pub fn is_single_event(&self) -> bool {
        self.plan.single_event
    }

    /// Whether the rule reads entity records (`$e.graph.` fields), which come from
    /// [`Context::entities`](crate::Context) rather than from the events.
    pub fn reads_entities(&self) -> bool {
        self.plan.vars.iter().any(|v| v.source.is_entities())
    }

    /// Returns the names (without `$`) of the entity variables that the condition lets be
    /// absent, such as `known` in `$login and !$known`. Without entity records the rule still matches, and
    /// these variables are absent for every event.
    pub fn optional_entity_vars(&self) -> Vec<&str> {
        let required = |var: usize| self.plan.required.get(var).copied().unwrap_or(true);
        let vars = self.plan.vars.iter().enumerate();
        vars.filter(|(var, plan)| plan.source.is_entities() && !required(*var))
            .map(|(_, plan)| plan.name.as_str())
            .collect()
    }

    /// Returns whether the condition requires an entity variable, so that the rule finds
    /// nothing without entity records.
    pub fn requires_entities(&self) -> bool {
        let required = |var: usize| self.plan.required.get(var).copied().unwrap_or(true);
        self.plan
            .vars
            .iter()
            .enumerate()
            .any(|(var, plan)| plan.source.is_entities() && required(var))
    }

    /// Whether the rule groups events in match windows.
    pub fn has_window(&self) -> bool {
        self.plan.window.is_some()
    }

    /// The length of the rule's match window, or `None` for a rule without `match:`.
    pub fn window_length(&self) -> Option<Duration> {
        self.plan.window.map(|w| nanos_to_duration(w.length()))
    }

    /// `options: suppression_window`, when the rule sets it.
    pub fn suppression_window(&self) -> Option<Duration> {
        self.plan.suppression.map(nanos_to_duration)
    }
}

/// Converts a non-negative span in nanoseconds, saturating at `u64::MAX` nanoseconds.
fn nanos_to_duration(nanos: i128) -> Duration {
    Duration::from_nanos(u64::try_from(nanos.max(0)).unwrap_or(u64::MAX))
}
