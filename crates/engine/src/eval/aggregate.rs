//! Outcome aggregates over the rows of a detection's group.
//!
//! A group is a list of joined tuples, one row (or none) per event variable. An aggregate reads
//! the rows of the variables its arguments name, and each distinct combination of those rows
//! contributes once: with one `$login` joined to three `$http` rows, `count($login.metadata.id)`
//! is 1, not 3. Google's documentation only says that values come from every event of the
//! group; counting the joined product instead would make every aggregate depend on the sizes
//! of the other variables, which no rule author expects.
//!
//! Tuples arrive sorted by event time, so the order-dependent aggregates (`array`, the
//! 25-value cap, `window.first`) are deterministic.

use crate::fast_hash::{HashMap, HashSet};
use std::borrow::Cow;
use std::cell::Cell;
use std::cmp::Ordering;

use udm::{Timestamp, Value};

use super::expr::{operand, Env, RowRef};
use super::ops::{self, Key, Number};
use crate::plan::ir::{Agg, CExpr};

/// `array` and `array_distinct` keep at most this many values.
///
/// Google truncates to 25 values chosen at random; Dragnet keeps the first 25 in event-time
/// order, so that a re-run gives the same detection.
pub(crate) const MAX_ARRAY_VALUES: usize = 25;

thread_local! {
    /// Whether a `sum` evaluated on this thread since the last [`take_sum_may_shrink`] added a
    /// negative term or a float. Only then can a sum over a subset of the values exceed the sum
    /// over all of them.
    static SUM_MAY_SHRINK: Cell<bool> = const { Cell::new(false) };
}

/// Returns whether a `sum` evaluated on this thread since the last call added a negative term
/// or a float, and clears the mark.
pub(crate) fn take_sum_may_shrink() -> bool {
    SUM_MAY_SHRINK.with(|mark| mark.replace(false))
}

/// Evaluates an aggregate in the environment of a group.
pub(crate) fn aggregate(agg: Agg, args: &[CExpr], vars: &[usize], env: &Env<'_>) -> Value {
    if let Agg::Count | Agg::Sum | Agg::Min | Agg::Max = agg {
        return fold(agg, args.first(), vars, env);
    }
    // The evaluated arguments of each contributing row combination, one after the other,
    // borrowed where an argument is a field or a constant.
    let width = args.len();
    let mut cells: Vec<Cow<'_, Value>> =
        Vec::with_capacity(env.group.map_or(1, <[_]>::len) * width);
    for_each_contributing(vars, env, |rows| {
        let row_env = Env { rows, group: None, element: None, ..*env };
        cells.extend(args.iter().map(|a| operand(a, &row_env)));
    });
    let rows = || cells.chunks(width.max(1));
    let ignore_zero = ignore_zero(rows());
    match agg {
        Agg::WindowFirst => return first_by_sort(rows(), std::cmp::Ordering::Less),
        Agg::WindowLast => return first_by_sort(rows(), std::cmp::Ordering::Greater),
        _ => {}
    }
    // The values of the first argument; a list contributes each element.
    let first: Vec<Cow<'_, Value>> =
        if width == 1 && !cells.iter().any(|value| matches!(**value, Value::List(_))) {
            cells
        } else {
            let mut first = Vec::with_capacity(cells.len() / width.max(1));
            for value in cells.into_iter().step_by(width.max(1)) {
                for_each_element(value, |element| first.push(element));
            }
            first
        };
    let values = || first.iter().map(|value| &**value);
    match agg {
        Agg::CountDistinct => {
            let keys: HashSet<Key> = values().map(|v| Key::of(v, false)).collect();
            Value::Int(keys.len() as i64)
        }
        Agg::Avg => mean(&numbers(values(), false)).map_or(Value::Float(0.0), Value::Float),
        Agg::Stddev | Agg::WindowStddev => {
            Value::Float(sample_variance(&numbers(values(), false)).sqrt())
        }
        Agg::WindowVariance => Value::Float(sample_variance(&numbers(values(), false))),
        Agg::Array => {
            Value::List(first.into_iter().take(MAX_ARRAY_VALUES).map(Cow::into_owned).collect())
        }
        Agg::ArrayDistinct => {
            let mut keys = HashSet::default();
            let distinct: Vec<Value> = first
                .into_iter()
                .filter(|v| keys.insert(Key::of(v, false)))
                .take(MAX_ARRAY_VALUES)
                .map(Cow::into_owned)
                .collect();
            Value::List(distinct)
        }
        Agg::Earliest => time_extreme(values(), std::cmp::Ordering::Less),
        Agg::Latest => time_extreme(values(), std::cmp::Ordering::Greater),
        Agg::WindowAvg => {
            mean(&numbers(values(), ignore_zero)).map_or(Value::Float(0.0), Value::Float)
        }
        Agg::WindowMedian => median(numbers(values(), ignore_zero)),
        Agg::WindowRange => {
            let numbers = numbers(values(), ignore_zero);
            let min = numbers.iter().copied().fold(f64::INFINITY, f64::min);
            let max = numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if numbers.is_empty() {
                Value::List(vec![Value::Float(0.0), Value::Float(0.0)])
            } else {
                Value::List(vec![Value::Float(min), Value::Float(max)])
            }
        }
        Agg::WindowMode => mode(values()),
        // Returned above: `count`, `sum`, `min` and `max` by `fold`, the others from the rows.
        Agg::Count | Agg::Sum | Agg::Min | Agg::Max => Value::Null,
        Agg::WindowFirst | Agg::WindowLast => Value::Null,
    }
}

/// Evaluates `count`, `sum`, `min` or `max` by folding the values of the first argument as
/// [`for_each_value`] yields them, with no list of the values.
fn fold(agg: Agg, arg: Option<&CExpr>, vars: &[usize], env: &Env<'_>) -> Value {
    // With no argument there are no values, and all four give 0.
    let Some(arg) = arg else { return Value::Int(0) };
    match agg {
        Agg::Sum => {
            let mut total = Total::default();
            for_each_value(arg, vars, env, |value| total.add(&value));
            if total.may_shrink {
                SUM_MAY_SHRINK.with(|mark| mark.set(true));
            }
            total.value()
        }
        Agg::Min | Agg::Max => {
            let direction = if agg == Agg::Min { Ordering::Less } else { Ordering::Greater };
            let mut extreme = Extreme::new(direction);
            for_each_value(arg, vars, env, |value| extreme.add(value));
            extreme.value()
        }
        _ => {
            let mut count: i64 = 0;
            for_each_value(arg, vars, env, |_| count += 1);
            Value::Int(count)
        }
    }
}

/// Calls `visit` with each value of `arg` over the rows that contribute to an aggregate reading
/// `vars`, in the order [`aggregate`] collects them: a list contributes each element.
fn for_each_value<'e>(
    arg: &'e CExpr,
    vars: &[usize],
    env: &Env<'e>,
    mut visit: impl FnMut(Cow<'e, Value>),
) {
    for_each_contributing(vars, env, |rows| {
        let row_env = Env { rows, group: None, element: None, ..*env };
        for_each_element(operand(arg, &row_env), &mut visit);
    });
}

/// Calls `visit` with each element of a list, or with the value itself when it is no list.
fn for_each_element<'v>(value: Cow<'v, Value>, mut visit: impl FnMut(Cow<'v, Value>)) {
    match value {
        Cow::Borrowed(Value::List(items)) => items.iter().for_each(|v| visit(Cow::Borrowed(v))),
        Cow::Owned(Value::List(items)) => items.into_iter().for_each(|v| visit(Cow::Owned(v))),
        value => visit(value),
    }
}

/// Calls `visit` with the rows of each row combination that contributes to an aggregate
/// reading `vars`: every tuple of the group (or the current rows) with a row for each of
/// `vars`, once per distinct combination of those rows.
fn for_each_contributing<'e>(
    vars: &[usize],
    env: &Env<'e>,
    mut visit: impl FnMut(&'e [Option<RowRef<'e>>]),
) {
    let Some(tuples) = env.group else {
        if Seen::has_rows(env.rows, vars) {
            visit(env.rows);
        }
        return;
    };
    // A single tuple cannot repeat an earlier one. Neither can the tuples of a rule with one
    // variable, since each is a different row, so neither case records what it has seen.
    if tuples.len() == 1 || env.plan.vars.len() == 1 {
        for tuple in tuples.iter().filter(|tuple| Seen::has_rows(tuple, vars)) {
            visit(tuple);
        }
        return;
    }
    let mut seen = Seen::default();
    for tuple in tuples {
        if seen.first_time(tuple, vars) {
            visit(tuple);
        }
    }
}

/// The row combinations that have contributed to an aggregate, by the (sequence, copy) of
/// the row of each variable the aggregate reads.
#[derive(Default)]
struct Seen {
    /// For an aggregate that reads one variable, which is the usual case.
    rows: HashSet<(u64, u32)>,
    /// For an aggregate that reads several.
    combinations: HashSet<Vec<(u64, u32)>>,
}

impl Seen {
    /// Returns whether the tuple has a row for every variable in `vars`.
    fn has_rows(tuple: &[Option<RowRef<'_>>], vars: &[usize]) -> bool {
        vars.iter().all(|var| matches!(tuple.get(*var), Some(Some(_))))
    }

    /// Records the tuple's rows and returns whether it contributes to the aggregate: it has a
    /// row for every variable in `vars`, and no earlier tuple had the same rows there. An
    /// aggregate that reads no variable takes every tuple.
    fn first_time(&mut self, tuple: &[Option<RowRef<'_>>], vars: &[usize]) -> bool {
        let row = |var: usize| tuple.get(var).copied().flatten();
        match vars {
            [] => true,
            // A variable with no event in this tuple has no values to give.
            [var] => row(*var).is_some_and(|row| self.rows.insert((row.seq, row.copy))),
            _ => {
                let identity: Option<Vec<(u64, u32)>> =
                    vars.iter().map(|var| row(*var).map(|row| (row.seq, row.copy))).collect();
                identity.is_some_and(|identity| self.combinations.insert(identity))
            }
        }
    }
}

/// Whether the optional second argument (`ignore_zero`) of a `window.*` aggregate is true.
fn ignore_zero<'r, 'v: 'r>(mut rows: impl Iterator<Item = &'r [Cow<'v, Value>]>) -> bool {
    rows.next().and_then(|r| r.get(1)).is_some_and(|value| ops::truthy(value))
}

fn numbers<'v>(values: impl IntoIterator<Item = &'v Value>, skip_zero: bool) -> Vec<f64> {
    values
        .into_iter()
        .filter_map(ops::number)
        .map(Number::as_f64)
        .filter(|f| !(skip_zero && *f == 0.0))
        .collect()
}

/// A running `sum`: integers add exactly in `i128` (saturating) and floats apart, and the total
/// is a float when any value was one. Values that are not numbers add nothing.
#[derive(Default)]
struct Total {
    int: i128,
    float: f64,
    any_float: bool,
    /// Whether a term was negative or a float. Leaving out a negative term raises the total,
    /// and leaving out every float turns a rounded float total into an exact integer, which
    /// can be larger.
    may_shrink: bool,
}

impl Total {
    fn add(&mut self, value: &Value) {
        match ops::number(value) {
            Some(Number::Int(i)) => {
                self.may_shrink |= i < 0;
                self.int = self.int.saturating_add(i);
            }
            Some(Number::Float(f)) => {
                self.any_float = true;
                self.may_shrink = true;
                self.float += f;
            }
            None => {}
        }
    }

    fn value(&self) -> Value {
        if self.any_float {
            Value::Float(self.float + self.int as f64)
        } else {
            Number::Int(self.int).into_value()
        }
    }
}

/// A running `min` (`Less`) or `max` (`Greater`): the first value that no later value orders
/// beyond, and `0` when there is no value.
struct Extreme<'v> {
    best: Option<Cow<'v, Value>>,
    direction: Ordering,
}

impl<'v> Extreme<'v> {
    fn new(direction: Ordering) -> Self {
        Extreme { best: None, direction }
    }

    fn add(&mut self, value: Cow<'v, Value>) {
        let keep = self
            .best
            .as_ref()
            .is_some_and(|current| ops::order(&value, current, false) != Some(self.direction));
        if !keep {
            self.best = Some(value);
        }
    }

    fn value(self) -> Value {
        self.best.map_or(Value::Int(0), Cow::into_owned)
    }
}

/// `earliest`/`latest`: a timestamp as microseconds since the epoch, the resolution Google
/// documents for these aggregates; whole seconds stay seconds.
fn time_extreme<'v>(
    values: impl IntoIterator<Item = &'v Value>,
    wanted: std::cmp::Ordering,
) -> Value {
    let mut best: Option<Timestamp> = None;
    let mut all_timestamps = true;
    for value in values {
        let Some(time) = ops::timestamp(value) else { continue };
        all_timestamps &= matches!(value, Value::Timestamp(_));
        best = match best {
            Some(current) if time.cmp(&current) != wanted => Some(current),
            _ => Some(time),
        };
    }
    match best {
        None => Value::Int(0),
        Some(t) if all_timestamps => {
            let micros = t.as_nanos() / 1_000;
            Value::Int(i64::try_from(micros).unwrap_or(i64::MAX))
        }
        Some(t) => Value::Int(t.seconds),
    }
}

fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }
}

/// Sample variance (divided by n − 1), as Google documents for `window.variance`; 0 for fewer
/// than two values.
fn sample_variance(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let m = mean(values).unwrap_or(0.0);
    values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64
}

/// The median; with an even count, the lower middle value (Google picks one of the two at
/// random).
fn median(mut values: Vec<f64>) -> Value {
    if values.is_empty() {
        return Value::Float(0.0);
    }
    values.sort_by(f64::total_cmp);
    Value::Float(values[(values.len() - 1) / 2])
}

/// The most frequent value as a string; ties go to the value seen first.
fn mode<'v>(values: impl IntoIterator<Item = &'v Value>) -> Value {
    let mut counts: HashMap<String, (usize, usize)> = HashMap::default();
    for (position, value) in values.into_iter().enumerate() {
        let entry = counts.entry(ops::text(value).into_owned()).or_insert((0, position));
        entry.0 += 1;
    }
    let best = counts
        .into_iter()
        .max_by(|(_, (count_a, first_a)), (_, (count_b, first_b))| {
            count_a.cmp(count_b).then(first_b.cmp(first_a))
        })
        .map(|(text, _)| text);
    Value::from(best.unwrap_or_default())
}

/// `window.first(sort, value)` and `window.last`: the value, as a string, of the row with the
/// lowest (or highest) sort key; the earliest row wins a tie.
fn first_by_sort<'r, 'v: 'r>(
    rows: impl Iterator<Item = &'r [Cow<'v, Value>]>,
    wanted: std::cmp::Ordering,
) -> Value {
    let mut best: Option<(&Value, &Value)> = None;
    for row in rows {
        let (Some(key), Some(value)) = (row.first(), row.get(1)) else { continue };
        let (key, value): (&Value, &Value) = (key, value);
        best = match best {
            Some((current, _)) if ops::order(key, current, false) != Some(wanted) => best,
            _ => Some((key, value)),
        };
    }
    Value::from(best.map(|(_, v)| ops::text(v).into_owned()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_variance_matches_documented_example() {
        assert_eq!(sample_variance(&[10.0, 14.0, 18.0]), 16.0);
        assert_eq!(sample_variance(&[1.0, 0.0, -1.0]), 1.0);
        assert_eq!(sample_variance(&[5.0]), 0.0);
    }

    fn sum(values: &[Value]) -> Value {
        let mut total = Total::default();
        values.iter().for_each(|value| total.add(value));
        total.value()
    }

    fn extreme(values: &[Value], wanted: Ordering) -> Value {
        let mut extreme = Extreme::new(wanted);
        values.iter().for_each(|value| extreme.add(Cow::Borrowed(value)));
        extreme.value()
    }

    #[test]
    fn sum_keeps_integers() {
        assert_eq!(sum(&[Value::Int(2), Value::Uint(3)]), Value::Int(5));
        assert_eq!(sum(&[Value::Int(2), Value::Float(0.5)]), Value::Float(2.5));
        assert_eq!(sum(&[]), Value::Int(0));
    }

    #[test]
    fn sum_reads_null_as_zero() {
        assert_eq!(sum(&[Value::Null, Value::from("7"), Value::Bool(true)]), Value::Int(1));
    }

    #[test]
    fn sum_past_u64_becomes_float() {
        assert_eq!(
            sum(&[Value::Uint(u64::MAX), Value::Uint(1)]),
            Value::Float(u64::MAX as f64 + 1.0)
        );
        assert_eq!(
            sum(&[Value::Int(i64::MIN), Value::Int(-1)]),
            Value::Float(i64::MIN as f64 - 1.0)
        );
        assert_eq!(sum(&[Value::Uint(u64::MAX), Value::Int(-1)]), Value::Uint(u64::MAX - 1));
    }

    #[test]
    fn extreme_orders_mixed_numbers() {
        let values = [Value::Int(3), Value::Float(7.5), Value::Uint(1)];
        assert_eq!(extreme(&values, Ordering::Greater), Value::Float(7.5));
        assert_eq!(extreme(&values, Ordering::Less), Value::Uint(1));
        assert_eq!(extreme(&[], Ordering::Less), Value::Int(0));
    }

    #[test]
    fn extreme_keeps_first_of_equal_values() {
        let values = [Value::Uint(4), Value::Int(4), Value::Float(4.0)];
        assert_eq!(extreme(&values, Ordering::Greater), Value::Uint(4));
        assert_eq!(extreme(&values, Ordering::Less), Value::Uint(4));
    }

    #[test]
    fn median_takes_lower_middle() {
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), Value::Float(2.0));
        assert_eq!(median(vec![]), Value::Float(0.0));
    }

    #[test]
    fn mode_breaks_ties_by_first_seen() {
        let values = [Value::from("b"), Value::from("a"), Value::from("a"), Value::from("b")];
        assert_eq!(mode(&values), Value::from("b"));
    }

    #[test]
    fn earliest_returns_microseconds() {
        let values = [
            Value::Timestamp(Timestamp::new(20, 5_000)),
            Value::Timestamp(Timestamp::new(10, 2_000)),
        ];
        assert_eq!(time_extreme(&values, Ordering::Less), Value::Int(10_000_002));
    }
}
