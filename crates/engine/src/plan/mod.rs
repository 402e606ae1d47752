//! Compiling a checked rule into an executable plan.
//!
//! - [`ir`]: the lowered expression form.
//! - [`lower`]: syntax tree expressions to [`ir::CExpr`], resolving names, slots and functions.
//! - [`events`]: the events section split into per-variable filters, placeholder bindings,
//!   join keys and predicates that need several event variables.
//! - [`condition`]: which event variables the condition requires, and the detection type.

pub(crate) mod build;
pub(crate) mod condition;
pub(crate) mod events;
pub(crate) mod ir;
pub(crate) mod lower;
mod table_types;

use std::sync::Arc;

use udm::Value;

use crate::context::Context;
use crate::eval::fields::SlotTrie;
use ir::CExpr;

/// One event variable (`$e`) of a rule.
#[derive(Debug, Clone)]
pub(crate) struct VarPlan {
    /// The name without `$`.
    pub name: String,
    /// The source of the variable's rows.
    pub source: VarSource,
    /// The unmodified paths the rule reads, as a trie that expands events into copies.
    pub trie: SlotTrie,
    /// The zero value of each slot's field, read when the event lacks the field.
    pub slot_zero: Vec<Value>,
    /// Filters that need no placeholder value, evaluated first.
    pub filters: Vec<CExpr>,
    /// Placeholder assignments, in evaluation order. A second assignment to a placeholder that
    /// already has a value in the row is an equality test.
    pub bindings: Vec<Binding>,
    /// Match placeholders whose zero value drops the row.
    pub zero_checks: Vec<usize>,
    /// Filters that read placeholders this variable binds, evaluated after the bindings.
    pub late_filters: Vec<CExpr>,
    /// The whole lists, map values and quantified lists that expressions evaluated over
    /// stored rows read from this variable's event. Stored rows keep their values, so that
    /// closing a window reads no event tree; see [`Plan::assign_stored_reads`].
    pub stored_reads: Vec<StoredRead>,
    /// Slots past the field slots whose values are computed when a row is built: the
    /// arguments of aggregates that read only this variable's row, each with its slot. See
    /// [`Plan::assign_computed_slots`].
    pub computed: Vec<(usize, CExpr)>,
}

/// The source of an event variable's rows.
#[derive(Debug, Clone, Default)]
pub(crate) enum VarSource {
    /// The events pushed.
    #[default]
    Events,
    /// The entity records of [`Context::entities`], read through `$e.graph.` fields.
    Entities,
    /// The rows of a data table that the rule compares fields with (`$e.f = %table.column`).
    /// The variable is named `%table`.
    Table(Arc<enrich::DataTable>),
}

impl VarSource {
    /// Whether the rows come from the events pushed, rather than from records loaded before.
    pub(crate) fn reads_events(&self) -> bool {
        matches!(self, VarSource::Events)
    }

    /// Whether the rows come from entity records, which pair with events only inside their
    /// validity interval.
    pub(crate) fn is_entities(&self) -> bool {
        matches!(self, VarSource::Entities)
    }
}

/// A value that a stored row keeps in place of reading its event again: the list at `path`
/// for [`CExpr::FieldList`] and [`CExpr::Quantified`], or the map value for
/// [`CExpr::MapValue`].
#[derive(Debug, Clone)]
pub(crate) struct StoredRead {
    /// The path of the expression, shared with it: an expression finds its value by this
    /// pointer.
    pub path: Arc<[ir::Seg]>,
    /// A map value rather than a whole list.
    pub map_value: bool,
}

/// `$p = expr` for one event variable.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    pub placeholder: usize,
    pub expr: CExpr,
    pub nocase: bool,
}

/// A placeholder (`$p`) after merging placeholders that the rule sets equal.
#[derive(Debug, Clone)]
pub(crate) struct PlaceholderPlan {
    /// The name as first written, without `$`.
    pub name: String,
    /// The event variables that assign it; two or more make it a join key.
    pub owners: Vec<usize>,
    /// Whether some assignment is a function call, which exempts it from the zero-value
    /// filter of match variables.
    pub from_call: bool,
}

/// `$a.f = $b.g`: a direct equality between fields of two event variables.
#[derive(Debug, Clone)]
pub(crate) struct JoinEdge {
    pub left_var: usize,
    pub left: CExpr,
    pub right_var: usize,
    pub right: CExpr,
    pub nocase: bool,
}

/// A predicate over several event variables, applied to joined rows.
#[derive(Debug, Clone)]
pub(crate) struct CrossFilter {
    pub expr: CExpr,
    /// The event variables whose rows it reads, directly or through placeholders.
    pub vars: Vec<usize>,
}

/// The match window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WindowPlan {
    /// `over D`: windows of `length` starting at every multiple of `hop` since the epoch.
    Hop { length: i128, hop: i128 },
    /// `by D`: epoch-aligned windows of `length` that do not overlap.
    Tumbling { length: i128 },
    /// `over D after|before $pivot`: one window per pivot event.
    Sliding { length: i128, pivot: usize, after: bool },
}

impl WindowPlan {
    /// The window length in nanoseconds.
    pub(crate) fn length(&self) -> i128 {
        match self {
            WindowPlan::Hop { length, .. }
            | WindowPlan::Tumbling { length }
            | WindowPlan::Sliding { length, .. } => *length,
        }
    }
}

/// A compiled rule: everything evaluation needs, resolved.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub name: String,
    /// A hash of the rule text.
    pub version: String,
    pub meta: serde_json::Map<String, serde_json::Value>,
    pub severity: Option<String>,
    pub vars: Vec<VarPlan>,
    pub placeholders: Vec<PlaceholderPlan>,
    pub joins: Vec<JoinEdge>,
    pub cross_filters: Vec<CrossFilter>,
    /// Match variables as placeholder indexes, with their names.
    pub match_vars: Vec<(usize, String)>,
    pub window: Option<WindowPlan>,
    pub outcomes: Vec<(String, CExpr)>,
    pub condition: Option<CExpr>,
    /// Per outcome, whether the condition needs its value, directly or through another
    /// outcome. The others are computed only for groups that pass the condition.
    pub condition_outcomes: Vec<bool>,
    /// Whether each event variable must have an event in a detection (a bounded condition).
    /// Variables that need not (`!$e`, `$a or $b`) are joined as optional.
    pub required: Vec<bool>,
    /// `options: suppression_window`, in nanoseconds.
    pub suppression: Option<i128>,
    /// The outcome that keys suppression of a single-event rule (`$suppression_key`).
    pub suppression_key: Option<usize>,
    /// `SINGLE_EVENT` rather than `MULTI_EVENT`.
    pub single_event: bool,
    pub ctx: Context,
    /// Problems found while compiling that do not stop the rule, such as cells of a data-table
    /// column that are not valid patterns for `in regex`.
    pub warnings: Vec<yaral::Diagnostic>,
}

impl Plan {
    /// Returns the expressions evaluated over stored rows, when windows close: join keys,
    /// cross-variable filters, outcomes and the condition.
    pub(crate) fn stored_exprs(&self) -> impl Iterator<Item = &CExpr> {
        let joins = self.joins.iter().flat_map(|join| [&join.left, &join.right]);
        joins
            .chain(self.cross_filters.iter().map(|f| &f.expr))
            .chain(self.outcomes.iter().map(|(_, e)| e))
            .chain(self.condition.as_ref())
    }

    /// Calls `f` with each event read of the expressions evaluated over stored rows: the
    /// variable, the path and whether it is a map value rather than a whole list.
    fn for_each_stored_read(&self, mut f: impl FnMut(usize, &Arc<[ir::Seg]>, bool)) {
        for expr in self.stored_exprs() {
            expr.walk(&mut |e| match e {
                CExpr::FieldList { var, path } | CExpr::Quantified { var, path, .. } => {
                    f(*var, path, false)
                }
                CExpr::MapValue { var, path } => f(*var, path, true),
                _ => {}
            });
        }
    }

    /// Moves the arguments of aggregates that read only one event variable's row, and are
    /// more than a field or a constant, into slots computed when the row is built
    /// ([`VarPlan::computed`]). A row falls in several windows, which then each read one value
    /// instead of evaluating the argument again, and it need not keep the fields that only
    /// such arguments read.
    ///
    /// Only the aggregates the condition reads move: the others are evaluated for the few
    /// groups that pass it, and computing theirs for every row would cost more.
    pub(crate) fn assign_computed_slots(&mut self) {
        let vars = &mut self.vars;
        let needed = &self.condition_outcomes;
        let outcomes = self
            .outcomes
            .iter_mut()
            .enumerate()
            .filter(|(index, _)| needed.get(*index).copied().unwrap_or(true))
            .map(|(_, (_, e))| e);
        for expr in outcomes.chain(self.condition.as_mut()) {
            expr.walk_mut(&mut |e| {
                let CExpr::Aggregate { args, vars: read, .. } = e else { return };
                let [var] = read.as_slice() else { return };
                let Some(plan) = vars.get_mut(*var).filter(|v| v.source.reads_events()) else {
                    return;
                };
                for arg in args.iter_mut() {
                    let plain = matches!(
                        arg,
                        CExpr::Lit(_)
                            | CExpr::Slot { .. }
                            | CExpr::FieldList { .. }
                            | CExpr::MapValue { .. }
                    );
                    if plain || !arg.reads_only_row(*var) {
                        continue;
                    }
                    let slot = plan.slot_zero.len();
                    plan.slot_zero.push(Value::Null);
                    let computed = std::mem::replace(arg, CExpr::Slot { var: *var, slot });
                    plan.computed.push((slot, computed));
                }
            });
        }
    }

    /// Fills each variable's [`VarPlan::stored_reads`] with the event reads of the
    /// expressions evaluated over stored rows.
    pub(crate) fn assign_stored_reads(&mut self) {
        let mut reads: Vec<Vec<StoredRead>> = vec![Vec::new(); self.vars.len()];
        self.for_each_stored_read(|var, path: &Arc<[ir::Seg]>, map_value| {
            let Some(reads) = reads.get_mut(var) else { return };
            let known =
                reads.iter().any(|r| Arc::ptr_eq(&r.path, path) && r.map_value == map_value);
            if !known {
                reads.push(StoredRead { path: Arc::clone(path), map_value });
            }
        });
        for (var, reads) in self.vars.iter_mut().zip(reads) {
            var.stored_reads = reads;
        }
    }

    /// Returns every field path of events the plan reads, through slots, whole lists, map
    /// values and quantifiers, as field names cut before the first list index or map key.
    pub(crate) fn field_paths(&self) -> Vec<Vec<String>> {
        let mut paths: Vec<Vec<String>> = Vec::new();
        let mut add = |path: &[ir::Seg]| {
            let names: Vec<String> = path
                .iter()
                .map_while(|seg| match seg {
                    ir::Seg::Field(name) => Some(name.to_string()),
                    ir::Seg::Index(_) | ir::Seg::Key(_) => None,
                })
                .collect();
            if !names.is_empty() && !paths.contains(&names) {
                paths.push(names);
            }
        };
        let mut exprs: Vec<&CExpr> = Vec::new();
        // Entity records are not read from the events, so their paths are left out.
        for var in self.vars.iter().filter(|var| var.source.reads_events()) {
            for (_, path) in var.trie.slot_paths() {
                add(&path);
            }
            exprs.extend(&var.filters);
            exprs.extend(&var.late_filters);
            exprs.extend(var.bindings.iter().map(|b| &b.expr));
            exprs.extend(var.computed.iter().map(|(_, e)| e));
        }
        for join in &self.joins {
            exprs.push(&join.left);
            exprs.push(&join.right);
        }
        exprs.extend(self.cross_filters.iter().map(|c| &c.expr));
        exprs.extend(self.outcomes.iter().map(|(_, e)| e));
        exprs.extend(self.condition.as_ref());
        let is_graph = |var: &usize| self.vars.get(*var).is_some_and(|v| !v.source.reads_events());
        for expr in exprs {
            expr.walk(&mut |e| match e {
                CExpr::FieldList { path, var }
                | CExpr::MapValue { path, var }
                | CExpr::Quantified { path, var, .. }
                    if !is_graph(var) =>
                {
                    add(path)
                }
                _ => {}
            });
        }
        paths
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Context, Rule};

    fn plan(text: &str) -> Arc<Plan> {
        let source = yaral::SourceFile::new("test.yaral", text);
        let output = yaral::compile(&source, &yaral::CheckOptions::default());
        assert!(output.rejected.is_empty(), "rule rejected");
        let compiled = output.compiled.into_iter().next().expect("one rule");
        let rule = Rule::compile(&compiled.rule, &compiled.text, &Context::default());
        rule.map(|rule| rule.plan).unwrap_or_else(|d| panic!("engine rejected the rule: {d:?}"))
    }

    /// Counts the event reads of expressions evaluated over stored rows that find no stored
    /// value, and so would read the event again.
    fn unstored(plan: &Plan) -> usize {
        let mut missing = 0;
        plan.for_each_stored_read(|var, path: &Arc<[ir::Seg]>, map_value| {
            let found = plan.vars.get(var).is_some_and(|v| {
                v.stored_reads
                    .iter()
                    .any(|r| Arc::ptr_eq(&r.path, path) && r.map_value == map_value)
            });
            if !found {
                missing += 1;
            }
        });
        missing
    }

    #[test]
    fn stored_rows_keep_every_event_read() {
        let rules = [
            include_str!(
                "../../tests/conformance/window_map_and_list_reads_in_outcomes/rule.yaral"
            ),
            include_str!("../../tests/conformance/window_join_on_map_values/rule.yaral"),
            include_str!("../../tests/conformance/window_quantifier_in_outcome/rule.yaral"),
        ];
        for text in rules {
            let plan = plan(text);
            let reads: usize = plan.vars.iter().map(|v| v.stored_reads.len()).sum();
            assert!(reads > 0, "{}: no stored read", plan.name);
            assert_eq!(unstored(&plan), 0, "{}: a read has no stored value", plan.name);
        }
    }
}
