//! Semantic checks of a parsed rule.
//!
//! Each submodule checks one concern and appends diagnostics; [`check_rule`] runs them all.
//! Section order, duplicate sections and the required `events:` and `condition:` sections are
//! checked by the parser, which is the only stage that sees the order.

mod arguments;
mod calls;
mod comparisons;
mod condition;
mod describe;
mod dialect;
mod fields;
mod functions;
mod infer;
mod joins;
mod limits;
mod metrics;
mod outcome;
mod placement;
mod regexes;
pub mod scope;
pub(crate) mod suggest;
mod tables;
mod types;
mod variables;

use crate::ast::Rule;
use crate::diagnostic::Diagnostic;

pub use limits::logical_operators;
use scope::Scope;

/// Settings of the semantic checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOptions {
    /// Reject everything that Google SecOps would reject, including the default dialect's
    /// extensions (`coalesce`, `ip_to_asn`, literal lists).
    pub strict: bool,
    /// Longest accepted match window, in seconds.
    pub max_window_seconds: u64,
    /// Shortest accepted match window, in seconds.
    pub min_window_seconds: u64,
    /// Most outcome variables per rule.
    pub max_outcome_vars: usize,
    /// Deepest function-call nesting.
    pub max_function_depth: usize,
    /// Maximum number of `and` and `or` operators per rule, counting the implicit `and` between the lines of
    /// `events:`.
    pub max_logical_operators: usize,
    /// Most `in` list tests per rule, of any kind.
    pub max_in_lists: usize,
    /// Most `in regex` list tests per rule.
    pub max_in_regex_lists: usize,
    /// Most `in cidr` list tests per rule.
    pub max_in_cidr_lists: usize,
}

impl Default for CheckOptions {
    fn default() -> CheckOptions {
        CheckOptions {
            strict: false,
            max_window_seconds: 48 * 3600,
            min_window_seconds: 60,
            max_outcome_vars: 20,
            max_function_depth: 20,
            // Google documents a cap that depends on the rule's complexity but gives no number.
            // This default is a Dragnet choice, more than ten times the 86 operators (explicit
            // and implicit) of the largest rule in Google's published community rules.
            max_logical_operators: 1000,
            // Google's 2026 documentation allows 10 `in` tests, 5 of them `regex` and 5 `cidr`;
            // the 2025 text said 7, 4 and 2.
            max_in_lists: 10,
            max_in_regex_lists: 5,
            max_in_cidr_lists: 5,
        }
    }
}

/// Runs every semantic check on one rule; returns errors and warnings.
pub fn check_rule(rule: &Rule, options: &CheckOptions) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let scope = Scope::build(rule);
    placement::check(rule, &mut out);
    variables::check(rule, &scope, &mut out);
    joins::check(rule, &scope, &mut out);
    let field_types = types::check(rule, &mut out);
    let value_types = infer::Types::build(rule, &field_types);
    arguments::check(rule, &value_types, &mut out);
    comparisons::check(rule, &value_types, &mut out);
    calls::check(rule, options, &mut out);
    regexes::check(rule, &mut out);
    outcome::check(rule, &scope, &field_types, &mut out);
    condition::check(rule, &scope, &mut out);
    limits::check(rule, options, &mut out);
    tables::check(rule, &mut out);
    if options.strict {
        dialect::check(rule, &scope, &mut out);
    }
    dedup(&mut out);
    out
}

/// Drops repeated diagnostics (the same message at the same span), which overlapping checks
/// can produce.
fn dedup(diagnostics: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::BTreeSet::new();
    diagnostics.retain(|d| seen.insert((d.span, d.message.clone())));
}
