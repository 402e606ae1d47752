//! `math.*`: numeric functions.

use udm::Value;

use super::Func;
use crate::eval::ops::{self, Number};

fn float_arg(args: &[Value], index: usize) -> f64 {
    args.get(index).map_or(0.0, |v| ops::number_or_zero(v).as_f64())
}

/// A float result, with 0 for a result that is not finite (overflow, NaN).
fn finite(f: f64) -> Value {
    Value::Float(if f.is_finite() { f } else { 0.0 })
}

/// An integer result of rounding, with 0 when it does not fit an `int64`.
fn to_int(f: f64) -> Value {
    if f.is_finite() && f >= i64::MIN as f64 && f <= i64::MAX as f64 {
        Value::Int(f as i64)
    } else {
        Value::Int(0)
    }
}

pub(super) fn call(func: Func, args: &[Value]) -> Value {
    let first = args.first().map_or(Number::Int(0), ops::number_or_zero);
    match func {
        Func::MathAbs => match first {
            Number::Int(i) => Number::Int(i.abs()).into_value(),
            Number::Float(f) => Value::Float(f.abs()),
        },
        Func::MathCeil => to_int(first.as_f64().ceil()),
        Func::MathFloor => to_int(first.as_f64().floor()),
        Func::MathGeoDistance => geo_distance(
            float_arg(args, 0),
            float_arg(args, 1),
            float_arg(args, 2),
            float_arg(args, 3),
        ),
        Func::MathIsIncreasing => {
            let values: Vec<f64> = args.iter().map(|a| ops::number_or_zero(a).as_f64()).collect();
            Value::Bool(values.windows(2).all(|w| w[0] < w[1]))
        }
        Func::MathLog => {
            let x = first.as_f64();
            finite(if x > 0.0 { x.ln() } else { 0.0 })
        }
        Func::MathPow => finite(first.as_f64().powf(float_arg(args, 1))),
        Func::MathRandom => Value::Float(random_unit()),
        // NOTE: Google's only example (`math.round(1.2567, 2)` = 1.25) reads as truncation;
        // Dragnet rounds half away from zero, which that example contradicts.
        Func::MathRound => {
            let places = float_arg(args, 1).clamp(0.0, 15.0) as i32;
            if args.len() < 2 {
                to_int(first.as_f64().round())
            } else {
                let scale = 10f64.powi(places);
                finite((first.as_f64() * scale).round() / scale)
            }
        }
        Func::MathSqrt => {
            let x = first.as_f64();
            finite(if x < 0.0 { 0.0 } else { x.sqrt() })
        }
        _ => Value::Null,
    }
}

/// Great-circle distance in metres by the haversine formula on a sphere of radius 6371 km, or
/// -1 when a coordinate is out of range.
fn geo_distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> Value {
    let valid_lat = |lat: f64| (-90.0..=90.0).contains(&lat);
    let valid_lon = |lon: f64| (-180.0..=180.0).contains(&lon);
    if !(valid_lat(lat1) && valid_lat(lat2) && valid_lon(lon1) && valid_lon(lon2)) {
        return Value::Float(-1.0);
    }
    const EARTH_RADIUS_M: f64 = 6_371_000.0;
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let dphi = (lat2 - lat1).to_radians();
    let dlambda = (lon2 - lon1).to_radians();
    let a = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
    let c = 2.0 * a.sqrt().atan2((1.0 - a).sqrt());
    Value::Float(EARTH_RADIUS_M * c)
}

/// A pseudo-random float in `[0, 1)`, from the clock and a per-process counter.
fn random_unit() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut x = nanos ^ COUNTER.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
    // splitmix64 finaliser
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_functions_return_ints() {
        assert_eq!(call(Func::MathCeil, &[Value::Float(1.2)]), Value::Int(2));
        assert_eq!(call(Func::MathFloor, &[Value::Float(-1.2)]), Value::Int(-2));
        assert_eq!(call(Func::MathFloor, &[Value::Float(1e300)]), Value::Int(0));
    }

    #[test]
    fn is_increasing_is_strict() {
        let args = [Value::Int(1), Value::Float(2.5), Value::Int(3)];
        assert_eq!(call(Func::MathIsIncreasing, &args), Value::Bool(true));
        let equal = [Value::Int(1), Value::Int(1), Value::Int(3)];
        assert_eq!(call(Func::MathIsIncreasing, &equal), Value::Bool(false));
    }

    #[test]
    fn sqrt_pow_and_geo() {
        assert_eq!(call(Func::MathSqrt, &[Value::Int(-4)]), Value::Float(0.0));
        assert_eq!(call(Func::MathSqrt, &[Value::Int(9)]), Value::Float(3.0));
        assert_eq!(call(Func::MathPow, &[Value::Int(10), Value::Int(400)]), Value::Float(0.0));
        let invalid = [Value::Int(0), Value::Int(91), Value::Int(0), Value::Int(0)];
        assert_eq!(call(Func::MathGeoDistance, &invalid), Value::Float(-1.0));
    }

    #[test]
    fn random_in_unit_interval() {
        for _ in 0..100 {
            let Value::Float(x) = call(Func::MathRandom, &[]) else { panic!("not a float") };
            assert!((0.0..1.0).contains(&x));
        }
    }
}
