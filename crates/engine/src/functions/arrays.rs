//! `arrays.*`: functions over lists (repeated fields and array values).

use udm::Value;

use super::Func;
use crate::eval::ops::{self, Number};

fn items(value: Option<&Value>) -> &[Value] {
    match value {
        Some(Value::List(items)) => items,
        Some(Value::Null) | None => &[],
        Some(other) => std::slice::from_ref(other),
    }
}

/// Resolves an index that may count from the end (`0-1` is the last element).
fn element<'a>(list: &'a [Value], index: &Value) -> Option<&'a Value> {
    let i = match ops::number(index)? {
        Number::Int(i) => i,
        Number::Float(f) => f as i128,
    };
    let len = list.len() as i128;
    let at = if i < 0 { len + i } else { i };
    if at < 0 || at >= len {
        None
    } else {
        list.get(at as usize)
    }
}

pub(super) fn call(func: Func, args: &[Value]) -> Value {
    let list = items(args.first());
    match func {
        Func::ArraysConcat => {
            Value::List(args.iter().flat_map(|a| items(Some(a)).iter().cloned()).collect())
        }
        Func::ArraysContains => {
            let needle = args.get(1).unwrap_or(&Value::Null);
            Value::Bool(
                list.iter().any(|v| ops::compare(yaral::ast::CompareOp::Eq, v, needle, false)),
            )
        }
        Func::ArraysIndexToFloat => {
            let v = args.get(1).and_then(|i| element(list, i));
            Value::Float(v.map_or(0.0, to_float))
        }
        Func::ArraysIndexToInt => {
            let v = args.get(1).and_then(|i| element(list, i));
            Value::Int(v.map_or(0, to_int))
        }
        Func::ArraysIndexToStr => {
            let v = args.get(1).and_then(|i| element(list, i));
            Value::from(v.map_or(String::new(), |v| ops::text(v).into_owned()))
        }
        Func::ArraysJoinString => {
            let delim = args.get(1).map(ops::text).unwrap_or_default();
            let parts: Vec<_> =
                list.iter().filter(|v| !matches!(v, Value::Null)).map(ops::text).collect();
            Value::from(parts.join(&delim))
        }
        Func::ArraysLength | Func::ArraysSize => Value::Int(list.len() as i64),
        Func::ArraysMax => {
            let max = list
                .iter()
                .map(to_float)
                .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
            Value::Float(max.unwrap_or(0.0))
        }
        Func::ArraysMin => {
            let ignore_zeros = args.get(1).is_some_and(ops::truthy);
            let min = list
                .iter()
                .map(to_float)
                .filter(|x| !(ignore_zeros && *x == 0.0))
                .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.min(x))));
            Value::Float(min.unwrap_or(0.0))
        }
        _ => Value::Null,
    }
}

/// An element as a float: numbers convert, numeric strings parse, anything else is 0.
fn to_float(value: &Value) -> f64 {
    match value {
        Value::String(s) => s.trim().parse().unwrap_or(0.0),
        other => ops::number_or_zero(other).as_f64(),
    }
}

/// An element as an integer: floats truncate, numeric strings parse, anything else is 0.
fn to_int(value: &Value) -> i64 {
    match value {
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>().ok().or_else(|| s.parse::<f64>().ok().map(|f| f as i64)).unwrap_or(0)
        }
        other => match ops::number_or_zero(other) {
            Number::Int(i) => i64::try_from(i).unwrap_or(0),
            Number::Float(f) => f as i64,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(values: &[Value]) -> Value {
        Value::List(values.to_vec())
    }

    #[test]
    fn index_from_end_and_out_of_range() {
        let l = list(&["a".into(), "b".into(), "c".into()]);
        let last = call(Func::ArraysIndexToStr, &[l.clone(), Value::Int(-1)]);
        assert_eq!(last, Value::from("c"));
        assert_eq!(call(Func::ArraysIndexToStr, &[l, Value::Int(5)]), Value::from(""));
    }

    #[test]
    fn index_conversions() {
        let l = list(&["3.3".into(), Value::Float(1.2), "x".into()]);
        assert_eq!(call(Func::ArraysIndexToFloat, &[l.clone(), Value::Int(0)]), Value::Float(3.3));
        assert_eq!(call(Func::ArraysIndexToInt, &[l.clone(), Value::Int(1)]), Value::Int(1));
        assert_eq!(call(Func::ArraysIndexToInt, &[l.clone(), Value::Int(2)]), Value::Int(0));
        assert_eq!(call(Func::ArraysIndexToStr, &[l, Value::Int(1)]), Value::from("1.2"));
    }

    #[test]
    fn min_max_and_join() {
        let l = list(&[Value::Int(0), Value::Int(4), Value::Float(2.5)]);
        assert_eq!(call(Func::ArraysMax, std::slice::from_ref(&l)), Value::Float(4.0));
        assert_eq!(call(Func::ArraysMin, std::slice::from_ref(&l)), Value::Float(0.0));
        assert_eq!(call(Func::ArraysMin, &[l.clone(), Value::Bool(true)]), Value::Float(2.5));
        assert_eq!(call(Func::ArraysMax, &[list(&[])]), Value::Float(0.0));
        let joined = call(Func::ArraysJoinString, &[l, Value::from("|")]);
        assert_eq!(joined, Value::from("0|4|2.5"));
    }
}
