//! Joining the rows of a window's event variables into tuples.
//!
//! Variables are joined one at a time, each through a hash table of its rows keyed by the
//! values that link it to the variables already joined: placeholders both assign, and direct
//! field equalities (`$a.f = $b.g`). Required variables are inner-joined first, starting from
//! the one with the fewest rows; optional variables (those a condition allows to be absent,
//! such as `$b` in `$a and !$b`) are left-joined last. A predicate over several variables runs
//! as soon as all its variables are joined; for an optional variable it decides which rows may
//! join, so a row that fails it counts as absent rather than dropping the tuple.

use crate::fast_hash::HashMap;

use udm::Value;

use crate::eval::expr::{eval, test, Env, RowRef};
use crate::eval::ops::Key;
use crate::plan::ir::CExpr;
use crate::plan::Plan;

/// A joined tuple: one row, or none, per event variable.
pub(crate) type Tuple<'a> = Vec<Option<RowRef<'a>>>;

/// Joins stop growing at this many tuples per window and match partition.
///
/// NOTE: a cap keeps a rule whose join keys are too coarse from exhausting memory; tuples past
/// it are dropped, so such a rule may miss detections. The engine logs a warning when it hits.
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

/// Joins `rows` (the rows of each event variable in the window, in time order).
pub(crate) fn join<'a>(plan: &'a Plan, rows: &[Vec<RowRef<'a>>]) -> Joined<'a> {
    let var_count = plan.vars.len();
    let mut order: Vec<usize> = Vec::with_capacity(var_count);
    let mut joined = vec![false; var_count];
    let mut tuples: Vec<Tuple<'a>> = vec![vec![None; var_count]];
    let mut truncated = false;
    let nocase = placeholder_nocase(plan);
    while order.len() < var_count {
        let next = pick_next(plan, rows, &joined);
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
/// any required one, then optional ones in the same way.
fn pick_next(plan: &Plan, rows: &[Vec<RowRef<'_>>], joined: &[bool]) -> usize {
    let any_joined = joined.iter().any(|j| *j);
    let row_count = |v: usize| rows.get(v).map_or(0, Vec::len);
    let candidates = |want_required: bool, want_linked: bool| {
        (0..joined.len())
            .filter(|&v| !joined[v])
            .filter(|&v| plan.required.get(v).copied().unwrap_or(true) == want_required)
            .filter(|&v| !want_linked || !any_joined || is_linked(plan, v, joined))
            .min_by_key(|&v| row_count(v))
    };
    candidates(true, true)
        .or_else(|| candidates(true, false))
        .or_else(|| candidates(false, true))
        .or_else(|| candidates(false, false))
        .unwrap_or(0)
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
