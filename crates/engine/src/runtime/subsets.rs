//! Hop windows that need no evaluation because their rows are a subset of a window already
//! evaluated.
//!
//! De-duplication drops a hop-window detection whose events are a subset of another's for the
//! same match values. So when a window's rows are a subset of the rows of the last window
//! evaluated in its partition, and that window gave a detection, the new window's detection
//! would be dropped. When it gave none, and the condition can only turn true as rows are added,
//! the new window gives none either. Both hold only where the rows decide the result alone:
//!
//! - Every tuple falls in one group, because every match variable partitions the rows.
//! - Every variable reads events and is required, so the tuples of fewer rows are a subset of
//!   the tuples of more, and their events a subset of theirs.
//! - The rule reads neither `window_start` nor `window_end`.
//!
//! A condition grows with the rows when it joins two kinds of test with `and` and `or`: `$e`,
//! and a lower bound on `#e`, `#p` or an outcome that is `count`, `count_distinct` or `sum`.
//! A lower bound is `>` or `>=` with a number on the right, or `<` or `<=` with it on the
//! left. A `sum` grows only while no term is negative or a float, which the evaluator reports
//! for each window.

use yaral::ast::CompareOp;

use crate::plan::ir::{Agg, CExpr};
use crate::plan::Plan;
use udm::Value;

/// The evaluated windows after which a rule may skip windows with a subset of their rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SubsetSkip {
    /// Skip after a window that gave a detection, because de-duplication would drop the
    /// subset's.
    pub after_pass: bool,
    /// Skip after a window that gave none, when no `sum` of the condition had a term that
    /// could shrink it, because the subset gives none either.
    pub after_fail: bool,
}

impl SubsetSkip {
    /// Decides what a hop rule that does not read its window bounds may skip, given the match
    /// placeholders that partition its rows.
    pub(crate) fn for_rule(plan: &Plan, partition_by: &[(usize, bool)]) -> SubsetSkip {
        let one_group = partition_by.len() == plan.match_vars.len();
        let events_only = plan.vars.iter().all(|v| v.source.reads_events());
        let all_required = plan.required.iter().all(|r| *r);
        let after_pass = one_group && events_only && all_required;
        let after_fail = after_pass && plan.condition.as_ref().is_none_or(|c| grows(plan, c));
        SubsetSkip { after_pass, after_fail }
    }
}

/// Returns whether `condition` holding for a group implies that it holds for every larger group.
fn grows(plan: &Plan, condition: &CExpr) -> bool {
    match condition {
        CExpr::EventExists(_) => true,
        CExpr::And(a, b) | CExpr::Or(a, b) => grows(plan, a) && grows(plan, b),
        CExpr::Compare { op: CompareOp::Gt | CompareOp::Ge, lhs, rhs, .. } => {
            rises(plan, lhs) && is_number(rhs)
        }
        CExpr::Compare { op: CompareOp::Lt | CompareOp::Le, lhs, rhs, .. } => {
            is_number(lhs) && rises(plan, rhs)
        }
        _ => false,
    }
}

/// Returns whether the value of `expr` over a group is at most its value over any larger
/// group, as a number, given that no `sum` had a term that could shrink it.
fn rises(plan: &Plan, expr: &CExpr) -> bool {
    match expr {
        CExpr::EventCount(_) | CExpr::PlaceholderCount(_) => true,
        CExpr::Outcome(index) => plan.outcomes.get(*index).is_some_and(|(_, outcome)| {
            matches!(
                outcome,
                CExpr::Aggregate { agg: Agg::Count | Agg::CountDistinct | Agg::Sum, .. }
            )
        }),
        _ => false,
    }
}

/// Returns whether `expr` is a number literal that every number compares with.
fn is_number(expr: &CExpr) -> bool {
    match expr {
        CExpr::Lit(Value::Int(_) | Value::Uint(_)) => true,
        CExpr::Lit(Value::Float(f)) => !f.is_nan(),
        _ => false,
    }
}

/// Returns whether `small` lists a subset of `big`, both in the same relative order.
pub(crate) fn is_subsequence<T: PartialEq>(small: impl IntoIterator<Item = T>, big: &[T]) -> bool {
    let mut rest = big.iter();
    small.into_iter().all(|item| rest.any(|b| *b == item))
}

#[cfg(test)]
mod tests {
    use super::is_subsequence;

    #[test]
    fn subsequence_follows_order() {
        assert!(is_subsequence([2, 4], &[1, 2, 3, 4]));
        assert!(is_subsequence([], &[1]));
        assert!(is_subsequence([1, 2], &[1, 2]));
        assert!(!is_subsequence([4, 2], &[1, 2, 3, 4]));
        assert!(!is_subsequence([2, 5], &[1, 2, 3, 4]));
        assert!(!is_subsequence([1], &[]));
    }
}
