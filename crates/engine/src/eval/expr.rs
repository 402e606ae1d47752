//! The expression evaluator.
//!
//! One evaluator serves every section. What an expression can see is set by its [`Env`]: the
//! row of each event variable (the current copy of an event, with the placeholder values it
//! assigned), the group of joined rows for aggregates and counts, the outcome values computed
//! so far, and the window.

use crate::fast_hash::HashSet;
use std::borrow::Cow;
use std::sync::Arc;

use udm::{Event, Str, Timestamp, Value};
use yaral::ast::{ListMatch, Quantifier};

use super::fields::{self, NULL};
use super::ops::{self, Key};
use crate::functions;
use crate::plan::ir::{CExpr, Quantity, Seg};
use crate::plan::Plan;
use crate::rows::{event_id, EventEntry};

/// The slot values of one copy of an event: borrowed while filtering, owned once stored.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Slots<'a> {
    Owned(&'a [Value]),
    Borrowed(&'a [&'a Value]),
}

impl<'a> Slots<'a> {
    fn get(&self, slot: usize) -> &'a Value {
        match self {
            Slots::Owned(values) => values.get(slot).unwrap_or(&NULL),
            Slots::Borrowed(values) => values.get(slot).copied().unwrap_or(&NULL),
        }
    }
}

/// One event variable's row as the evaluator sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowRef<'a> {
    /// The event, shared so that a detection can keep it as a sample without copying it.
    pub event: &'a Arc<Event>,
    /// The event's position in processing order, which identifies it within a run.
    pub seq: u64,
    /// Which repeated-field copy of the event this row is.
    pub copy: u32,
    pub slots: Slots<'a>,
    /// Placeholder values this row assigned, by placeholder index.
    pub placeholders: &'a [Option<Value>],
    /// A stored row's values of its variable's stored reads; `None` while the row is built,
    /// when they are read from the event.
    pub reads: Option<&'a [Value]>,
    /// The entry the row was made from or keeps; `None` for a gate test before any entry.
    pub entry: Option<&'a EventEntry>,
}

impl<'a> RowRef<'a> {
    /// Returns the event's time in nanoseconds since the epoch.
    pub(crate) fn time(&self) -> i128 {
        match self.entry {
            Some(entry) => entry.time,
            None => self.event.event_time().as_nanos(),
        }
    }

    /// Returns the event's identity across runs; see [`event_id`].
    pub(crate) fn id(&self) -> Str {
        match self.entry {
            Some(entry) => Str::from(entry.id()),
            None => event_id(self.event),
        }
    }

    /// Returns the event to read fields from. A stored row may hold its event stripped of its
    /// fields. Every read that closing a window makes has a stored value, but should one be
    /// missing, the event is read whole again rather than read as empty.
    fn readable(&self) -> Cow<'a, Arc<Event>> {
        if self.reads.is_some() && self.event.is_partial() {
            Cow::Owned(self.event.whole())
        } else {
            Cow::Borrowed(self.event)
        }
    }

    /// Returns the stored value of the expression reading `path` of `var`'s event, for a
    /// stored row.
    fn stored_read(
        &self,
        plan: &Plan,
        var: usize,
        path: &Arc<[Seg]>,
        map_value: bool,
    ) -> Option<&'a Value> {
        let reads = self.reads?;
        let index = plan
            .vars
            .get(var)?
            .stored_reads
            .iter()
            .position(|r| Arc::ptr_eq(&r.path, path) && r.map_value == map_value)?;
        reads.get(index)
    }
}

/// Returns the value of a map read (`$e.f["k"]`) as rules see it: always a string. A `Struct` value
/// that is not a string cannot be read, so it reads as `""` like a missing key.
pub(crate) fn map_value(found: Option<&Value>) -> Value {
    match found {
        Some(Value::String(s)) => Value::String(s.clone()),
        _ => Value::from(""),
    }
}

/// A group of joined rows: one entry per tuple, one row (or none) per event variable.
pub(crate) type Tuples<'a> = [Vec<Option<RowRef<'a>>>];

/// What an expression can read.
#[derive(Clone, Copy)]
pub(crate) struct Env<'a> {
    pub plan: &'a Plan,
    /// The current row of each event variable; `None` for a variable with no event.
    pub rows: &'a [Option<RowRef<'a>>],
    pub outcomes: &'a [Value],
    pub element: Option<&'a Value>,
    pub group: Option<&'a Tuples<'a>>,
    pub window: Option<(Timestamp, Timestamp)>,
}

impl<'a> Env<'a> {
    fn with_element(&self, element: &'a Value) -> Env<'a> {
        Env { element: Some(element), ..*self }
    }

    /// A placeholder's value from the first present row that assigned it.
    pub(crate) fn placeholder(&self, p: usize) -> Value {
        self.placeholder_ref(p).clone()
    }

    /// Borrows what [`Env::placeholder`] returns: `Null` when no present row assigned it.
    pub(crate) fn placeholder_ref(&self, p: usize) -> &'a Value {
        let owners = self.plan.placeholders.get(p).map_or(&[][..], |p| p.owners.as_slice());
        for &var in owners {
            if let Some(Some(row)) = self.rows.get(var) {
                if let Some(Some(value)) = row.placeholders.get(p) {
                    return value;
                }
            }
        }
        &NULL
    }
}

/// Evaluates an expression to a boolean.
pub(crate) fn test(expr: &CExpr, env: &Env<'_>) -> bool {
    match expr {
        CExpr::Not(x) => !test(x, env),
        CExpr::And(a, b) => test(a, env) && test(b, env),
        CExpr::Or(a, b) => test(a, env) || test(b, env),
        // Filters are mostly these tests, so they are computed here rather than through
        // `eval`, whose frame costs more than most of them.
        CExpr::Compare { op, lhs, rhs, nocase } => {
            ops::compare(*op, &operand(lhs, env), &operand(rhs, env), *nocase)
        }
        CExpr::RegexMatch { expr, regex, negate, .. } => regex_match(expr, regex, *negate, env),
        CExpr::InList { expr, list, kind, nocase } => in_list(expr, list, *kind, *nocase, env),
        CExpr::EventExists(v) => event_exists(env, *v),
        other => ops::truthy(&eval(other, env)),
    }
}

/// `x = /re/`, or `x != /re/` with `negate`.
fn regex_match(expr: &CExpr, regex: &regex::Regex, negate: bool, env: &Env<'_>) -> bool {
    let value = operand(expr, env);
    regex.is_match(&ops::text(&value)) != negate
}

/// `x in %list`, `x in regex %list` or `x in cidr %list`.
fn in_list(
    expr: &CExpr,
    list: &enrich::ReferenceList,
    kind: ListMatch,
    nocase: bool,
    env: &Env<'_>,
) -> bool {
    let value = operand(expr, env);
    let text = ops::text(&value);
    match kind {
        ListMatch::Exact => list.contains(&text, nocase),
        ListMatch::Regex => list.matches_regex(&text, nocase),
        ListMatch::Cidr => list.contains_ip(&text),
    }
}

/// Evaluates an expression.
pub(crate) fn eval(expr: &CExpr, env: &Env<'_>) -> Value {
    match expr {
        CExpr::Lit(v) => v.clone(),
        CExpr::Slot { var, slot } => slot_value(env, *var, *slot).clone(),
        CExpr::FieldList { var, path } => match env.rows.get(*var) {
            Some(Some(row)) => match row.stored_read(env.plan, *var, path, false) {
                Some(stored) => stored.clone(),
                None => Value::List(fields::collect_all(&row.readable(), path)),
            },
            _ => Value::List(Vec::new()),
        },
        CExpr::MapValue { var, path } => match env.rows.get(*var) {
            Some(Some(row)) => match row.stored_read(env.plan, *var, path, true) {
                Some(stored) => stored.clone(),
                None => map_value(fields::first_value(&row.readable(), path)),
            },
            _ => map_value(None),
        },
        CExpr::Element => env.element.cloned().unwrap_or(Value::Null),
        CExpr::Quantified { quantifier, var, path, body } => {
            let values: Cow<'_, [Value]> = match env.rows.get(*var) {
                Some(Some(row)) => match row.stored_read(env.plan, *var, path, false) {
                    Some(Value::List(stored)) => Cow::Borrowed(stored.as_slice()),
                    _ => Cow::Owned(fields::collect_all(&row.readable(), path)),
                },
                _ => Cow::Owned(Vec::new()),
            };
            // On an empty list `any` is false and `all` is true, as for the logical
            // quantifiers.
            let result = match quantifier {
                Quantifier::Any => values.iter().any(|v| test(body, &env.with_element(v))),
                Quantifier::All => values.iter().all(|v| test(body, &env.with_element(v))),
            };
            Value::Bool(result)
        }
        CExpr::TimePart { expr, nanos } => match eval(expr, env) {
            Value::Timestamp(t) => Value::Int(if *nanos { i64::from(t.nanos) } else { t.seconds }),
            Value::Message(m) => {
                m.get(if *nanos { "nanos" } else { "seconds" }).cloned().unwrap_or(Value::Int(0))
            }
            _ => Value::Int(0),
        },
        CExpr::Placeholder(p) => env.placeholder(*p),
        CExpr::Outcome(o) => env.outcomes.get(*o).cloned().unwrap_or(Value::Null),
        CExpr::EventExists(v) => Value::Bool(event_exists(env, *v)),
        CExpr::EventCount(v) => Value::Int(event_count(env, *v) as i64),
        CExpr::PlaceholderCount(p) => Value::Int(placeholder_count(env, *p) as i64),
        CExpr::Not(_) | CExpr::And(..) | CExpr::Or(..) => Value::Bool(test(expr, env)),
        CExpr::Compare { op, lhs, rhs, nocase } => {
            Value::Bool(ops::compare(*op, &operand(lhs, env), &operand(rhs, env), *nocase))
        }
        CExpr::RegexMatch { expr, regex, negate, .. } => {
            Value::Bool(regex_match(expr, regex, *negate, env))
        }
        CExpr::Arith { op, lhs, rhs } => ops::arithmetic(*op, &eval(lhs, env), &eval(rhs, env)),
        CExpr::Call { func, args, nocase, regex } => {
            let call = |values: &[Value]| {
                functions::call(*func, values, *nocase, regex.as_deref(), &env.plan.ctx)
            };
            // Most calls take one or two arguments, which need no allocation.
            match args.as_slice() {
                [a] => call(&[eval(a, env)]),
                [a, b] => call(&[eval(a, env), eval(b, env)]),
                [a, b, c] => call(&[eval(a, env), eval(b, env), eval(c, env)]),
                _ => call(&args.iter().map(|a| eval(a, env)).collect::<Vec<Value>>()),
            }
        }
        CExpr::InList { expr, list, kind, nocase } => {
            Value::Bool(in_list(expr, list, *kind, *nocase, env))
        }
        CExpr::InLiteral { expr, items, nocase } => {
            let value = operand(expr, env);
            let found = items.iter().any(|item| {
                ops::compare(yaral::ast::CompareOp::Eq, &value, &operand(item, env), *nocase)
            });
            Value::Bool(found)
        }
        CExpr::Array(items) => Value::List(items.iter().map(|i| eval(i, env)).collect()),
        CExpr::Aggregate { agg, args, vars } => super::aggregate::aggregate(*agg, args, vars, env),
        CExpr::NOf { quantity, items } => {
            let holding = items.iter().filter(|i| test(i, env)).count();
            Value::Bool(match quantity {
                Quantity::AtLeast(n) => holding >= *n,
                Quantity::All => holding == items.len(),
            })
        }
        CExpr::WindowStart => env.window.map_or(Value::Null, |(s, _)| Value::Timestamp(s)),
        CExpr::WindowEnd => env.window.map_or(Value::Null, |(_, e)| Value::Timestamp(e)),
    }
}

/// Evaluates an operand, borrowing a constant, an event field, a stored read or an outcome
/// where [`eval`] would copy it.
pub(crate) fn operand<'e>(expr: &'e CExpr, env: &Env<'e>) -> Cow<'e, Value> {
    let stored = |var: &usize, path, map_value| match env.rows.get(*var) {
        Some(Some(row)) => row.stored_read(env.plan, *var, path, map_value),
        _ => None,
    };
    match expr {
        CExpr::Lit(v) => Cow::Borrowed(v),
        CExpr::Slot { var, slot } => Cow::Borrowed(slot_value(env, *var, *slot)),
        CExpr::Outcome(o) => Cow::Borrowed(env.outcomes.get(*o).unwrap_or(&NULL)),
        CExpr::MapValue { var, path } => match stored(var, path, true) {
            Some(value) => Cow::Borrowed(value),
            None => Cow::Owned(eval(expr, env)),
        },
        CExpr::FieldList { var, path } => match stored(var, path, false) {
            Some(value) => Cow::Borrowed(value),
            None => Cow::Owned(eval(expr, env)),
        },
        other => Cow::Owned(eval(other, env)),
    }
}

/// The value of a slot in the current row, or the field's zero value when the row lacks it.
fn slot_value<'a>(env: &Env<'a>, var: usize, slot: usize) -> &'a Value {
    let zero = || env.plan.vars.get(var).and_then(|v| v.slot_zero.get(slot)).unwrap_or(&NULL);
    match env.rows.get(var) {
        Some(Some(row)) => match row.slots.get(slot) {
            Value::Null => zero(),
            value => value,
        },
        _ => zero(),
    }
}

/// Returns whether the group (or the current rows) has an event of a variable.
fn event_exists(env: &Env<'_>, var: usize) -> bool {
    match env.group {
        Some(tuples) => tuples.iter().any(|t| matches!(t.get(var), Some(Some(_)))),
        None => matches!(env.rows.get(var), Some(Some(_))),
    }
}

/// The number of distinct events of a variable in the group (or in the current rows).
fn event_count(env: &Env<'_>, var: usize) -> usize {
    match env.group {
        Some(tuples) => {
            let seqs: HashSet<u64> = tuples
                .iter()
                .filter_map(|t| t.get(var).copied().flatten().map(|r| r.seq))
                .collect();
            seqs.len()
        }
        None => usize::from(matches!(env.rows.get(var), Some(Some(_)))),
    }
}

/// The number of distinct values of a placeholder in the group.
fn placeholder_count(env: &Env<'_>, p: usize) -> usize {
    match env.group {
        Some(tuples) => {
            let mut keys = HashSet::default();
            for tuple in tuples {
                let tuple_env = Env { rows: tuple, ..*env };
                let owners = env.plan.placeholders.get(p).map_or(&[][..], |p| p.owners.as_slice());
                if owners.iter().any(|&v| matches!(tuple.get(v), Some(Some(_)))) {
                    keys.insert(Key::of(&tuple_env.placeholder(p), false));
                }
            }
            keys.len()
        }
        None => usize::from(!env.placeholder(p).is_zero()),
    }
}
