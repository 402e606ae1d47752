//! Joining the rows of a window's event variables into tuples.
//!
//! Variables are joined one at a time, each through a hash table of its rows keyed by the
//! values that link it to the variables already joined: placeholders both assign, and direct
//! field equalities (`$a.f = $b.g`). Required variables are inner-joined first, starting from
//! the one with the fewest rows; optional variables (those a condition allows to be absent,
//! such as `$b` in `$a and !$b`) are left-joined last. A predicate over several variables runs
//! as soon as all its variables are joined; for an optional variable it decides which rows may
//! join, so a row that fails it counts as absent rather than dropping the tuple. An entity
//! record joins only events whose time falls inside its validity interval, tested the same way.

use crate::fast_hash::HashMap;

use udm::Value;

use crate::eval::expr::{eval, test, Env, RowRef};
use crate::eval::ops::Key;
use crate::plan::ir::CExpr;
use crate::plan::{Plan, VarSource};

/// A joined tuple: one row, or none, per event variable.
pub(crate) type Tuple<'a> = Vec<Option<RowRef<'a>>>;

/// Joins stop growing at this many tuples per window and match partition.
///
/// NOTE: a cap keeps a rule whose join keys are too coarse from exhausting memory; tuples past
/// it are dropped, so such a rule may miss detections. Variables that share only match
/// variables are covered rather than paired (see [`coverable_vars`]) and never reach it. The
/// engine logs the first window that hits it and counts them all in [`crate::RuleStats`].
pub(crate) const MAX_TUPLES: usize = 200_000;

/// How a variable links to the variables already joined.
enum Link<'p> {
    /// A placeholder both sides assign.
    Placeholder { placeholder: usize, nocase: bool },
    /// A field equality: `probe` reads the joined side, `build` the new variable's row.
    Edge { probe: &'p CExpr, build: &'p CExpr, nocase: bool },
}

/// The result of a join, and whether the tuple cap cut it short.
pub(crate) struct Joined<'a> {
    pub tuples: Vec<Tuple<'a>>,
    pub truncated: bool,
}

/// Returns, per event variable, whether its rows can be joined by covering instead of by the
/// cartesian product: every row and every tuple joined so far appear at least once, but not
/// every combination.
///
/// Nothing the engine evaluates over a group can tell the two apart for such a variable.
/// Aggregates count each distinct combination of the rows they read once, so an aggregate
/// over this variable alone sees the same rows either way, and `#e`, `$e` and the samples only
/// ask which rows appear. A variable qualifies when no join edge, cross-variable filter or
/// aggregate over several variables reads it with another one, and the only placeholders it
/// shares with others are match variables that partition the window state (`partition_by`),
/// whose values are equal for every row of a partition. An aggregate that reads no event
/// variable at all counts tuples, so it rules out every variable.
pub(crate) fn coverable_vars(plan: &Plan, partition_by: &[(usize, bool)]) -> Vec<bool> {
    let var_count = plan.vars.len();
    // Grouping by match values after the join reads combinations of rows, unless every match
    // variable partitions the state.
    if partition_by.len() != plan.match_vars.len() {
        return vec![false; var_count];
    }

    let mut coverable = vec![true; var_count];
    let mut mark = |var: usize| {
        if let Some(cell) = coverable.get_mut(var) {
            *cell = false;
        }
    };
    for edge in &plan.joins {
        mark(edge.left_var);
        mark(edge.right_var);
    }
    for filter in &plan.cross_filters {
        filter.vars.iter().for_each(|v| mark(*v));
    }
    for (p, placeholder) in plan.placeholders.iter().enumerate() {
        let partitions = partition_by.iter().any(|(q, _)| *q == p);
        if placeholder.owners.len() > 1 && !partitions {
            placeholder.owners.iter().for_each(|v| mark(*v));
        }
    }

    let mut counts_tuples = false;
    let group_exprs = plan.outcomes.iter().map(|(_, e)| e).chain(plan.condition.as_ref());
    for expr in group_exprs {
        expr.walk(&mut |e| {
            if let CExpr::Aggregate { vars, .. } = e {
                match vars.as_slice() {
                    [] => counts_tuples = true,
                    [_] => {}
                    several => several.iter().for_each(|v| mark(*v)),
                }
            }
        });
    }
    if counts_tuples {
        return vec![false; var_count];
    }
    coverable
}

/// Joins `rows` (the rows of each event variable in the window, in time order). Variables
/// that `coverable` marks (see [`coverable_vars`]) are joined by covering.
pub(crate) fn join<'a>(plan: &'a Plan, rows: &[Vec<RowRef<'a>>], coverable: &[bool]) -> Joined<'a> {
    let var_count = plan.vars.len();
    // With one variable and nothing tested across variables, each row is a tuple of its own,
    // as the general path below makes them.
    if let ([only], [required]) = (rows, plan.required.as_slice()) {
        if var_count == 1 && plan.cross_filters.is_empty() && only.len() <= MAX_TUPLES {
            let tuples = if only.is_empty() {
                if *required {
                    Vec::new()
                } else {
                    vec![vec![None]]
                }
            } else {
                only.iter().map(|row| vec![Some(*row)]).collect()
            };
            return Joined { tuples, truncated: false };
        }
    }
    let mut order: Vec<usize> = Vec::with_capacity(var_count);
    let mut joined = vec![false; var_count];
    let mut tuples: Vec<Tuple<'a>> = vec![vec![None; var_count]];
    let mut truncated = false;
    let nocase = placeholder_nocase(plan);
    let has_entities = plan.vars.iter().any(|v| v.source.is_entities());
    while order.len() < var_count {
        let next = pick_next(plan, rows, &joined, coverable);
        let required = plan.required.get(next).copied().unwrap_or(true);
        let links = links(plan, next, &joined, &nocase);
        let candidates = rows.get(next).map_or(&[][..], Vec::as_slice);
        let index = build_index(plan, next, candidates, &links);
        let filters: Vec<&CExpr> = plan
            .cross_filters
            .iter()
            .filter(|f| f.vars.contains(&next) && f.vars.iter().all(|v| *v == next || joined[*v]))
            .map(|f| &f.expr)
            .collect();
        if coverable.get(next).copied().unwrap_or(false) && filters.is_empty() {
            tuples = cover(tuples, candidates, next, required);
            joined[next] = true;
            order.push(next);
            if tuples.is_empty() {
                break;
            }
            continue;
        }
        let mut out: Vec<Tuple<'a>> = Vec::new();
        for tuple in &tuples {
            let matches: Vec<usize> = match &index {
                Some(index) => index.lookup(&probe_key(plan, tuple, &links)),
                None => (0..candidates.len()).collect(),
            };
            let mut any = false;
            for i in matches {
                let Some(row) = candidates.get(i) else { continue };
                let mut extended = tuple.clone();
                extended[next] = Some(*row);
                if has_entities && !valid_together(plan, &extended, next) {
                    continue;
                }
                if !filters.iter().all(|f| test(f, &env(plan, &extended))) {
                    continue;
                }
                any = true;
                if out.len() >= MAX_TUPLES {
                    truncated = true;
                    break;
                }
                out.push(extended);
            }
            if !any && !required {
                // The optional variable has no row here; predicates that read it are skipped,
                // since its fields would only read as zero values.
                out.push(tuple.clone());
            }
        }
        tuples = out;
        joined[next] = true;
        order.push(next);
        if tuples.is_empty() {
            break;
        }
    }
    Joined { tuples, truncated }
}

/// Extends `tuples` with the rows of variable `var` so that every tuple and every row appear
/// at least once, pairing them in turn. That makes as many tuples as the larger of the two
/// lists, which first show each tuple and each row in the order the cartesian product does.
fn cover<'a>(
    tuples: Vec<Tuple<'a>>,
    candidates: &[RowRef<'a>],
    var: usize,
    required: bool,
) -> Vec<Tuple<'a>> {
    if candidates.is_empty() {
        // An optional variable with no rows leaves the tuples as they are.
        return if required { Vec::new() } else { tuples };
    }
    let count = tuples.len().max(candidates.len());
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let (Some(tuple), Some(row)) =
            (tuples.get(i % tuples.len().max(1)), candidates.get(i % candidates.len()))
        else {
            continue;
        };
        let mut extended = tuple.clone();
        if let Some(cell) = extended.get_mut(var) {
            *cell = Some(*row);
        }
        out.push(extended);
    }
    out
}

/// Returns whether the row just joined for variable `added` pairs in time with the rest of the
/// tuple: an event pairs with an entity record only when the event's time falls inside the
/// record's validity interval.
fn valid_together(plan: &Plan, tuple: &Tuple<'_>, added: usize) -> bool {
    let entities = &plan.ctx.entities;
    let source = |var: usize| plan.vars.get(var).map(|v| &v.source);
    let is_entity = |var: usize| source(var).is_some_and(VarSource::is_entities);
    let is_event = |var: usize| source(var).is_some_and(VarSource::reads_events);
    let Some(Some(row)) = tuple.get(added) else { return true };
    let present = || tuple.iter().enumerate().filter_map(|(var, row)| Some((var, (*row)?)));
    if is_entity(added) {
        let Some(record) = entities.by_seq(row.seq) else { return true };
        present().filter(|(var, _)| is_event(*var)).all(|(_, event)| record.covers(event.time()))
    } else if is_event(added) {
        let time = row.time();
        present()
            .filter(|(var, _)| is_entity(*var))
            .filter_map(|(_, entity)| entities.by_seq(entity.seq))
            .all(|record| record.covers(time))
    } else {
        true
    }
}

fn env<'a>(plan: &'a Plan, rows: &'a [Option<RowRef<'a>>]) -> Env<'a> {
    Env { plan, rows, outcomes: &[], element: None, group: None, window: None }
}

/// Whether any binding of each placeholder is `nocase`, which makes its join case-insensitive.
fn placeholder_nocase(plan: &Plan) -> Vec<bool> {
    let mut out = vec![false; plan.placeholders.len()];
    for var in &plan.vars {
        for binding in &var.bindings {
            if binding.nocase {
                if let Some(cell) = out.get_mut(binding.placeholder) {
                    *cell = true;
                }
            }
        }
    }
    out
}

/// The next variable to join: a required one linked to those joined (fewest rows first), then
/// any required one, then optional ones in the same way. Variables joined by covering come
/// after all others, because a later inner join may drop the one tuple that contains a covered
/// row, which the cartesian product would have kept in another tuple.
fn pick_next(plan: &Plan, rows: &[Vec<RowRef<'_>>], joined: &[bool], coverable: &[bool]) -> usize {
    let any_joined = joined.iter().any(|j| *j);
    let row_count = |v: usize| rows.get(v).map_or(0, Vec::len);
    let candidates = |want_covered: bool, want_required: bool, want_linked: bool| {
        (0..joined.len())
            .filter(|&v| !joined[v])
            .filter(|&v| coverable.get(v).copied().unwrap_or(false) == want_covered)
            .filter(|&v| plan.required.get(v).copied().unwrap_or(true) == want_required)
            .filter(|&v| !want_linked || !any_joined || is_linked(plan, v, joined))
            .min_by_key(|&v| row_count(v))
    };
    let in_order = |want_covered: bool| {
        candidates(want_covered, true, true)
            .or_else(|| candidates(want_covered, true, false))
            .or_else(|| candidates(want_covered, false, true))
            .or_else(|| candidates(want_covered, false, false))
    };
    in_order(false).or_else(|| in_order(true)).unwrap_or(0)
}

fn is_linked(plan: &Plan, var: usize, joined: &[bool]) -> bool {
    let shared = plan
        .placeholders
        .iter()
        .any(|p| p.owners.contains(&var) && p.owners.iter().any(|o| joined.get(*o) == Some(&true)));
    let edge = plan.joins.iter().any(|e| {
        (e.left_var == var && joined.get(e.right_var) == Some(&true))
            || (e.right_var == var && joined.get(e.left_var) == Some(&true))
    });
    shared || edge
}

fn links<'p>(plan: &'p Plan, var: usize, joined: &[bool], nocase: &[bool]) -> Vec<Link<'p>> {
    let mut out = Vec::new();
    for (p, placeholder) in plan.placeholders.iter().enumerate() {
        let linked = placeholder.owners.contains(&var)
            && placeholder.owners.iter().any(|o| joined.get(*o) == Some(&true));
        if linked {
            out.push(Link::Placeholder {
                placeholder: p,
                nocase: nocase.get(p).copied().unwrap_or(false),
            });
        }
    }
    for edge in &plan.joins {
        if edge.right_var == var && joined.get(edge.left_var) == Some(&true) {
            out.push(Link::Edge { probe: &edge.left, build: &edge.right, nocase: edge.nocase });
        } else if edge.left_var == var && joined.get(edge.right_var) == Some(&true) {
            out.push(Link::Edge { probe: &edge.right, build: &edge.left, nocase: edge.nocase });
        }
    }
    out
}

/// A variable's rows indexed by their link values.
struct Index {
    /// The link values of each row, by row position.
    keys: Vec<Vec<Key>>,
    rows_by_key: HashMap<Vec<Key>, Vec<usize>>,
}

impl Index {
    /// The rows whose link values equal the probe. A `None` in the probe is a link whose
    /// joined side is absent from the tuple (an optional variable with no event): it does
    /// not constrain the join, so the other links decide alone.
    fn lookup(&self, probe: &[Option<Key>]) -> Vec<usize> {
        if probe.iter().all(Option::is_some) {
            let key: Vec<Key> = probe.iter().flatten().cloned().collect();
            return self.rows_by_key.get(&key).cloned().unwrap_or_default();
        }
        self.keys
            .iter()
            .enumerate()
            .filter(|(_, keys)| {
                keys.iter().zip(probe).all(|(key, wanted)| wanted.as_ref().is_none_or(|w| w == key))
            })
            .map(|(i, _)| i)
            .collect()
    }
}

/// Indexes a variable's rows by their link values; `None` when nothing links it (a cartesian
/// product, or the first variable).
fn build_index(
    plan: &Plan,
    var: usize,
    candidates: &[RowRef<'_>],
    links: &[Link<'_>],
) -> Option<Index> {
    if links.is_empty() {
        return None;
    }
    let mut index =
        Index { keys: Vec::with_capacity(candidates.len()), rows_by_key: HashMap::default() };
    let var_count = plan.vars.len();
    for (i, row) in candidates.iter().enumerate() {
        let mut rows: Tuple<'_> = vec![None; var_count];
        if let Some(cell) = rows.get_mut(var) {
            *cell = Some(*row);
        }
        let env = env(plan, &rows);
        let key: Vec<Key> = links
            .iter()
            .map(|link| match link {
                Link::Placeholder { placeholder, nocase } => {
                    let value = row.placeholders.get(*placeholder).and_then(Option::as_ref);
                    Key::of(value.unwrap_or(&Value::Null), *nocase)
                }
                Link::Edge { build, nocase, .. } => Key::of(&eval(build, &env), *nocase),
            })
            .collect();
        index.rows_by_key.entry(key.clone()).or_default().push(i);
        index.keys.push(key);
    }
    Some(index)
}

/// The link values of a partial tuple; `None` for a link whose joined side has no row in it.
fn probe_key(plan: &Plan, tuple: &Tuple<'_>, links: &[Link<'_>]) -> Vec<Option<Key>> {
    let env = env(plan, tuple);
    links
        .iter()
        .map(|link| match link {
            Link::Placeholder { placeholder, nocase } => {
                let owners = plan.placeholders.get(*placeholder).map(|p| p.owners.as_slice())?;
                let value = owners
                    .iter()
                    .filter_map(|o| tuple.get(*o).copied().flatten())
                    .find_map(|row| row.placeholders.get(*placeholder).cloned().flatten())?;
                Some(Key::of(&value, *nocase))
            }
            Link::Edge { probe, nocase, .. } => {
                let vars = probe.vars();
                if vars.iter().any(|v| tuple.get(*v).copied().flatten().is_none()) {
                    return None;
                }
                Some(Key::of(&eval(probe, &env), *nocase))
            }
        })
        .collect()
}
