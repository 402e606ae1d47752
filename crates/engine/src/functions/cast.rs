//! `cast.*`, `bytes.to_base64` and `hash.sha256`: conversions between value types.

use sha2::{Digest, Sha256};
use udm::Value;

use super::{arg_text, strings, Func};
use crate::eval::ops;

pub(super) fn call(func: Func, args: &[Value]) -> Value {
    let first = args.first().unwrap_or(&Value::Null);
    match func {
        // True only for the integer 1 or the string "true" in any case.
        Func::CastAsBool => Value::Bool(match first {
            Value::Bool(b) => *b,
            Value::Int(i) => *i == 1,
            Value::Uint(u) => *u == 1,
            Value::String(s) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }),
        // Google documents that floats keep 7 decimal digits and that "1.012345678" gives
        // 1.0123456, so the digits after the seventh are cut off, not rounded.
        // NOTE: that example is Google's only one, and it has one digit before the point.
        // Values with a longer whole part may keep a different number of digits there.
        Func::CastAsFloat => Value::Float(match first {
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map_or(0.0, |f| truncate_fraction(f, FLOAT_DECIMAL_PLACES)),
            other => ops::number_or_zero(other).as_f64(),
        }),
        Func::CastAsInt => Value::Int(match first {
            Value::String(s) => {
                let s = s.trim();
                s.parse::<i64>()
                    .ok()
                    .or_else(|| s.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| f as i64))
                    .unwrap_or(0)
            }
            Value::Float(f) => *f as i64,
            other => match ops::number_or_zero(other) {
                ops::Number::Int(i) => i64::try_from(i).unwrap_or(0),
                ops::Number::Float(f) => f as i64,
            },
        }),
        Func::CastAsString => {
            let fallback = || Value::from(arg_text(args, 1).into_owned());
            match first {
                Value::Bytes(b) => match String::from_utf8(b.clone()) {
                    Ok(s) => Value::from(s),
                    Err(_) => fallback(),
                },
                Value::Bool(b) => Value::from(b.to_string()),
                Value::Float(f) => Value::from(format!("{f}")),
                Value::Null => fallback(),
                other => Value::from(ops::text(other).into_owned()),
            }
        }
        Func::BytesToBase64 => match first {
            Value::Bytes(b) => Value::from(strings::base64_encode(b)),
            Value::String(s) => Value::from(strings::base64_encode(s.as_bytes())),
            _ => Value::from(arg_text(args, 1).into_owned()),
        },
        Func::HashSha256 => {
            let digest = Sha256::digest(arg_text(args, 0).as_bytes());
            Value::from(hex::encode(digest))
        }
        _ => Value::Null,
    }
}

/// Digits after the decimal point that `cast.as_float` keeps.
const FLOAT_DECIMAL_PLACES: usize = 7;

/// Cuts a float to `places` digits after the decimal point, toward zero.
///
/// The cut works on the shortest decimal text of the value, so `5.0000005` keeps its last
/// digit, which scaling by a power of ten and truncating could lose to binary rounding.
fn truncate_fraction(value: f64, places: usize) -> f64 {
    let text = value.to_string();
    let Some((whole, fraction)) = text.split_once('.') else {
        return value;
    };
    if fraction.len() <= places {
        return value;
    }
    let cut: f64 = format!("{whole}.{}", &fraction[..places]).parse().unwrap_or(value);
    // A negative value cut to zero becomes zero, not negative zero.
    if cut == 0.0 {
        0.0
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_bool_accepts_only_one_and_true() {
        assert_eq!(call(Func::CastAsBool, &[Value::Int(1)]), Value::Bool(true));
        assert_eq!(call(Func::CastAsBool, &[Value::Int(2)]), Value::Bool(false));
        assert_eq!(call(Func::CastAsBool, &["TRUE".into()]), Value::Bool(true));
        assert_eq!(call(Func::CastAsBool, &["yes".into()]), Value::Bool(false));
    }

    #[test]
    fn as_float_and_int_parse() {
        assert_eq!(call(Func::CastAsFloat, &["1.012345678".into()]), Value::Float(1.0123456));
        assert_eq!(call(Func::CastAsFloat, &["x".into()]), Value::Float(0.0));
        assert_eq!(call(Func::CastAsInt, &["2.012345678".into()]), Value::Int(2));
        assert_eq!(call(Func::CastAsInt, &["abc".into()]), Value::Int(0));
    }

    #[test]
    fn as_float_cuts_after_seven_places() {
        assert_eq!(call(Func::CastAsFloat, &["5.0000005".into()]), Value::Float(5.0000005));
        assert_eq!(call(Func::CastAsFloat, &["-2.99999999".into()]), Value::Float(-2.9999999));
        assert_eq!(call(Func::CastAsFloat, &["-0.00000001".into()]), Value::Float(0.0));
        assert_eq!(call(Func::CastAsFloat, &["1e3".into()]), Value::Float(1000.0));
        assert_eq!(call(Func::CastAsFloat, &["1e400".into()]), Value::Float(0.0));
    }

    #[test]
    fn as_string_formats() {
        assert_eq!(call(Func::CastAsString, &[Value::Int(123)]), Value::from("123"));
        assert_eq!(call(Func::CastAsString, &[Value::Bool(true)]), Value::from("true"));
        assert_eq!(call(Func::CastAsString, &[Value::Float(2.25)]), Value::from("2.25"));
        let bad = [Value::Bytes(vec![0xff]), Value::from("dflt")];
        assert_eq!(call(Func::CastAsString, &bad), Value::from("dflt"));
    }

    #[test]
    fn sha256_of_empty() {
        let empty = call(Func::HashSha256, &["".into()]);
        assert_eq!(
            empty,
            Value::from("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
    }
}
