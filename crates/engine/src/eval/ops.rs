//! Comparison, arithmetic and hashing of runtime values.
//!
//! Rules read missing fields as zero values. The event tree stores a missing field as
//! [`Value::Null`], so every operation here treats `Null` as the zero value of the other
//! operand's type: `Null = ""`, `Null = 0` and `Null = false` all hold.

use std::cmp::Ordering;

use udm::{Timestamp, Value};
use yaral::ast::{ArithmeticOp, CompareOp};

/// A number read from a value, keeping integers exact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    /// Any integer field or literal.
    Int(i128),
    /// A float field or literal.
    Float(f64),
}

impl Number {
    pub(crate) fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    pub(crate) fn into_value(self) -> Value {
        match self {
            Number::Int(i) => match i64::try_from(i) {
                Ok(i) => Value::Int(i),
                Err(_) => match u64::try_from(i) {
                    Ok(u) => Value::Uint(u),
                    Err(_) => Value::Float(i as f64),
                },
            },
            Number::Float(f) => Value::Float(f),
        }
    }
}

/// Reads a value as a number: integers, floats, booleans (0/1), enums (their number) and
/// timestamps (whole seconds). Numeric strings are not converted: rules convert them with
/// `cast.as_int` or `cast.as_float`.
pub(crate) fn number(value: &Value) -> Option<Number> {
    match value {
        Value::Null => Some(Number::Int(0)),
        Value::Int(i) => Some(Number::Int(i128::from(*i))),
        Value::Uint(u) => Some(Number::Int(i128::from(*u))),
        Value::Float(f) => Some(Number::Float(*f)),
        Value::Bool(b) => Some(Number::Int(i128::from(*b))),
        Value::Enum(e) => Some(Number::Int(i128::from(e.number))),
        Value::Timestamp(t) => Some(Number::Int(i128::from(t.seconds))),
        _ => None,
    }
}

/// Reads a value as a number, with the zero value for anything that is not numeric.
pub(crate) fn number_or_zero(value: &Value) -> Number {
    number(value).unwrap_or(Number::Int(0))
}

/// The text of a scalar as rules see it when a string is expected.
///
/// Floats print in their shortest form without a trailing `.0` (`1.0` reads as `"1"`), the way
/// `strings.concat` joins numbers.
pub(crate) fn text(value: &Value) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    match value {
        Value::String(s) => Cow::Borrowed(s.as_str()),
        Value::Null => Cow::Borrowed(""),
        Value::Enum(e) => Cow::Borrowed(e.name),
        Value::Float(f) => Cow::Owned(format_float(*f)),
        Value::Bytes(b) => String::from_utf8_lossy(b),
        other => Cow::Owned(other.to_string()),
    }
}

/// Formats a float the way rules print numbers: shortest round-trip form, whole numbers without
/// a fraction.
pub(crate) fn format_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e17 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

fn ordering_to_bool(op: CompareOp, ord: Option<Ordering>) -> bool {
    let Some(ord) = ord else {
        return op == CompareOp::Ne;
    };
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
    }
}

/// Evaluates `lhs <op> rhs`, with `nocase` folding strings to lower case.
///
/// `nocase` folds with Unicode lower-casing (`str::to_lowercase`), so `"ÄRGER" = "ärger" nocase`
/// holds; Google does not document whether its folding is ASCII-only or Unicode.
pub(crate) fn compare(op: CompareOp, lhs: &Value, rhs: &Value, nocase: bool) -> bool {
    if let (CompareOp::Eq | CompareOp::Ne, Some(equal)) = (op, text_equality(lhs, rhs, nocase)) {
        return equal == (op == CompareOp::Eq);
    }
    ordering_to_bool(op, order(lhs, rhs, nocase))
}

/// Returns whether two texts are equal, for the pairs that [`order`] compares as text, and
/// `None` for the others. Most equality tests fail on the length, before any byte is compared.
fn text_equality(lhs: &Value, rhs: &Value, nocase: bool) -> Option<bool> {
    match (lhs, rhs) {
        (Value::String(_) | Value::Null | Value::Bytes(_), Value::String(_) | Value::Bytes(_))
        | (Value::String(_) | Value::Bytes(_), Value::Null) => {
            let (a, b) = (text(lhs), text(rhs));
            Some(if !nocase {
                a == b
            } else if a.is_ascii() && b.is_ascii() {
                a.eq_ignore_ascii_case(&b)
            } else {
                a.to_lowercase() == b.to_lowercase()
            })
        }
        _ => None,
    }
}

/// Orders two values, or `None` when they cannot be compared (then only `!=` holds).
pub(crate) fn order(lhs: &Value, rhs: &Value, nocase: bool) -> Option<Ordering> {
    match (lhs, rhs) {
        (Value::Enum(a), Value::Enum(b)) => Some(a.number.cmp(&b.number)),
        // An enum against a string literal compares by name. Ordering needs the literal's
        // number, which the compiler resolves into an `Enum` value when the schema knows it.
        (Value::Enum(a), Value::String(s)) => name_order(a.name, s, a.number),
        (Value::String(s), Value::Enum(b)) => {
            name_order(b.name, s, b.number).map(Ordering::reverse)
        }
        (Value::Enum(a), Value::Null) => Some(a.number.cmp(&0)),
        (Value::Null, Value::Enum(b)) => Some(0.cmp(&b.number)),
        (Value::String(_) | Value::Null | Value::Bytes(_), Value::String(_) | Value::Bytes(_))
        | (Value::String(_) | Value::Bytes(_), Value::Null) => {
            let (a, b) = (text(lhs), text(rhs));
            if !nocase {
                Some(a.cmp(&b))
            } else if a.is_ascii() && b.is_ascii() {
                // ASCII text lower-cases byte by byte, so no folded copies are needed.
                Some(
                    a.bytes()
                        .map(|c| c.to_ascii_lowercase())
                        .cmp(b.bytes().map(|c| c.to_ascii_lowercase())),
                )
            } else {
                Some(a.to_lowercase().cmp(&b.to_lowercase()))
            }
        }
        (Value::Timestamp(a), Value::Timestamp(b)) => Some(a.cmp(b)),
        // A timestamp against a string reads the string as a time, as in
        // `window_start > "2026-01-01 00:00:00Z"`; a string that is no time compares unequal.
        (Value::Timestamp(a), Value::String(s)) => {
            udm::json::parse_rfc3339(s.trim()).ok().map(|b| a.cmp(&b))
        }
        (Value::String(s), Value::Timestamp(b)) => {
            udm::json::parse_rfc3339(s.trim()).ok().map(|a| a.cmp(b))
        }
        (Value::List(a), Value::List(b)) => {
            if a.len() != b.len() {
                return None;
            }
            for (x, y) in a.iter().zip(b) {
                match order(x, y, nocase) {
                    Some(Ordering::Equal) => {}
                    other => return other,
                }
            }
            Some(Ordering::Equal)
        }
        (Value::Message(a), Value::Message(b)) => (a == b).then_some(Ordering::Equal),
        (Value::Message(m), Value::Null) | (Value::Null, Value::Message(m)) => {
            m.is_empty().then_some(Ordering::Equal)
        }
        (Value::List(l), Value::Null) | (Value::Null, Value::List(l)) => {
            l.is_empty().then_some(Ordering::Equal)
        }
        _ => {
            let (a, b) = (number(lhs)?, number(rhs)?);
            match (a, b) {
                (Number::Int(x), Number::Int(y)) => Some(x.cmp(&y)),
                _ => a.as_f64().partial_cmp(&b.as_f64()),
            }
        }
    }
}

fn name_order(name: &str, literal: &str, number: i32) -> Option<Ordering> {
    if name == literal {
        return Some(Ordering::Equal);
    }
    match udm_enum_number(literal) {
        Some(n) => Some(number.cmp(&n)),
        None => Some(if name < literal { Ordering::Less } else { Ordering::Greater }),
    }
}

/// The number of a UDM enum value name, when the literal names a known event type.
///
/// NOTE: only `metadata.event_type` names are known here. Ordering another enum against a
/// string literal falls back to comparing names.
fn udm_enum_number(name: &str) -> Option<i32> {
    crate::eval::event_types::number(name)
}

/// Evaluates `lhs <op> rhs` for `+ - * / %`.
///
/// Integer arithmetic stays integral and wraps into a float only on overflow. Division by zero
/// and `%` on floats return the zero value, so that no input can abort a rule.
pub(crate) fn arithmetic(op: ArithmeticOp, lhs: &Value, rhs: &Value) -> Value {
    let (a, b) = (number_or_zero(lhs), number_or_zero(rhs));
    match (a, b) {
        (Number::Int(x), Number::Int(y)) => {
            let result = match op {
                ArithmeticOp::Add => x.checked_add(y),
                ArithmeticOp::Sub => x.checked_sub(y),
                ArithmeticOp::Mul => x.checked_mul(y),
                ArithmeticOp::Div => {
                    if y == 0 {
                        Some(0)
                    } else if x % y == 0 {
                        Some(x / y)
                    } else {
                        return Value::Float(x as f64 / y as f64);
                    }
                }
                ArithmeticOp::Rem => Some(if y == 0 { 0 } else { x % y }),
            };
            match result {
                Some(r) => Number::Int(r).into_value(),
                None => Value::Float(float_op(op, x as f64, y as f64)),
            }
        }
        _ => match op {
            ArithmeticOp::Rem => Value::Int(0),
            _ => Value::Float(float_op(op, a.as_f64(), b.as_f64())),
        },
    }
}

fn float_op(op: ArithmeticOp, x: f64, y: f64) -> f64 {
    let r = match op {
        ArithmeticOp::Add => x + y,
        ArithmeticOp::Sub => x - y,
        ArithmeticOp::Mul => x * y,
        ArithmeticOp::Div => {
            if y == 0.0 {
                0.0
            } else {
                x / y
            }
        }
        ArithmeticOp::Rem => 0.0,
    };
    if r.is_finite() {
        r
    } else {
        0.0
    }
}

/// Whether a value is true in a boolean position. Non-boolean values are true when they are not
/// their zero value.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        other => !other.is_zero(),
    }
}

/// A hashable, canonical form of a value, used for join keys, distinct counts and grouping.
///
/// Values that compare equal map to the same key: every integer type shares one form, a whole
/// float equals the integer, an enum is its name (the form a string literal compares with), and
/// a missing field equals `""`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Key {
    /// A number that is an integer.
    Int(i128),
    /// A float that is not a whole number, as its bits.
    Float(u64),
    /// `true` or `false`.
    Bool(bool),
    /// A string, an enum name, or a missing value (`""`).
    Str(udm::Str),
    /// Bytes.
    Bytes(Vec<u8>),
    /// A timestamp, in nanoseconds.
    Time(i128),
    /// A list, element by element.
    List(Vec<Key>),
    /// A message, by its printed form.
    Message(String),
}

impl Key {
    /// Builds the key of a value, lower-casing strings when `nocase` is set.
    pub(crate) fn of(value: &Value, nocase: bool) -> Key {
        match value {
            Value::Null => Key::Str(udm::Str::new()),
            Value::Bool(b) => Key::Bool(*b),
            Value::Int(i) => Key::Int(i128::from(*i)),
            Value::Uint(u) => Key::Int(i128::from(*u)),
            Value::Float(f) => {
                if f.fract() == 0.0 && f.abs() < 1e30 {
                    Key::Int(*f as i128)
                } else {
                    Key::Float(f.to_bits())
                }
            }
            Value::String(s) => Key::Str(match nocase {
                // Text with no upper case letter is its own lower case.
                true if !s.is_ascii() || s.bytes().any(|b| b.is_ascii_uppercase()) => {
                    udm::Str::from(s.to_lowercase())
                }
                _ => s.clone(),
            }),
            Value::Bytes(b) => Key::Bytes(b.clone()),
            Value::Enum(e) => Key::Str(udm::Str::from(e.name)),
            Value::Timestamp(t) => Key::Time(t.as_nanos()),
            Value::List(items) => Key::List(items.iter().map(|v| Key::of(v, nocase)).collect()),
            Value::Message(m) => Key::Message(Value::Message(m.clone()).to_string()),
        }
    }
}

/// The timestamp a value holds: a `Timestamp`, or whole seconds as a number.
pub(crate) fn timestamp(value: &Value) -> Option<Timestamp> {
    match value {
        Value::Timestamp(t) => Some(*t),
        Value::Int(i) => Some(Timestamp { seconds: *i, nanos: 0 }),
        Value::Uint(u) => Some(Timestamp { seconds: i64::try_from(*u).ok()?, nanos: 0 }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use udm::EnumValue;

    #[test]
    fn null_equals_zero_values() {
        assert!(compare(CompareOp::Eq, &Value::Null, &Value::from(""), false));
        assert!(compare(CompareOp::Eq, &Value::Null, &Value::Int(0), false));
        assert!(compare(CompareOp::Ne, &Value::Null, &Value::from("x"), false));
    }

    #[test]
    fn nocase_folds_unicode() {
        assert!(compare(CompareOp::Eq, &Value::from("ÄRGER"), &Value::from("ärger"), true));
        assert!(!compare(CompareOp::Eq, &Value::from("ÄRGER"), &Value::from("ärger"), false));
    }

    #[test]
    fn nocase_ascii_agrees_with_lower_casing() {
        let texts = ["", "a", "A", "ab", "aB", "Ab", "b", "B", "a_", "A[", "Z", "z", "ÄRGER"];
        for a in texts {
            for b in texts {
                let (x, y) = (Value::from(a), Value::from(b));
                let folded = a.to_lowercase().cmp(&b.to_lowercase());
                assert_eq!(order(&x, &y, true), Some(folded), "{a:?} {b:?}");
                assert_eq!(compare(CompareOp::Eq, &x, &y, true), folded.is_eq(), "{a:?} {b:?}");
                assert_eq!(compare(CompareOp::Ne, &x, &y, false), a != b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn enum_orders_by_number() {
        let login = Value::Enum(EnumValue { name: "USER_LOGIN", number: 15001 });
        assert!(compare(CompareOp::Eq, &login, &Value::from("USER_LOGIN"), false));
        assert!(compare(CompareOp::Lt, &login, &Value::from("USER_LOGOUT"), false));
        assert!(compare(CompareOp::Ge, &login, &Value::from("USER_UNCATEGORIZED"), false));
    }

    #[test]
    fn mixed_numbers_compare() {
        assert!(compare(CompareOp::Eq, &Value::Uint(5), &Value::Int(5), false));
        assert!(compare(CompareOp::Lt, &Value::Int(5), &Value::Float(5.5), false));
    }

    #[test]
    fn arithmetic_keeps_integers() {
        assert_eq!(arithmetic(ArithmeticOp::Add, &Value::Int(2), &Value::Uint(3)), Value::Int(5));
        assert_eq!(
            arithmetic(ArithmeticOp::Div, &Value::Int(7), &Value::Int(2)),
            Value::Float(3.5)
        );
        assert_eq!(arithmetic(ArithmeticOp::Div, &Value::Int(7), &Value::Int(0)), Value::Int(0));
    }

    #[test]
    fn keys_unify_equal_values() {
        assert_eq!(Key::of(&Value::Int(3), false), Key::of(&Value::Uint(3), false));
        assert_eq!(Key::of(&Value::Null, false), Key::of(&Value::from(""), false));
        assert_eq!(Key::of(&Value::from("AbC"), true), Key::of(&Value::from("abc"), false));
    }
}
