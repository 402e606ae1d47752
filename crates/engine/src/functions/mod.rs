//! The built-in functions of YARA-L 2.0, resolved by name at compile time.
//!
//! Each family lives in its own file. Every function takes evaluated argument values and
//! returns a value; none fails at run time: an argument of the wrong kind reads as its zero
//! value and a function that cannot compute its result returns the documented fallback.

mod arrays;
mod cast;
mod math;
pub(crate) mod net;
pub(crate) mod re;
mod strings;
pub(crate) mod time;

use regex::Regex;
use udm::Value;

use crate::context::Context;

/// A resolved built-in function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub(crate) enum Func {
    If,
    ArraysConcat,
    ArraysContains,
    ArraysIndexToFloat,
    ArraysIndexToInt,
    ArraysIndexToStr,
    ArraysJoinString,
    ArraysLength,
    ArraysMax,
    ArraysMin,
    ArraysSize,
    CastAsBool,
    CastAsFloat,
    CastAsInt,
    CastAsString,
    BytesToBase64,
    HashSha256,
    MathAbs,
    MathCeil,
    MathFloor,
    MathGeoDistance,
    MathIsIncreasing,
    MathLog,
    MathPow,
    MathRandom,
    MathRound,
    MathSqrt,
    NetIpInRangeCidr,
    IpToAsn,
    ReRegex,
    ReCapture,
    ReCaptureAll,
    ReReplace,
    StringsBase64Decode,
    StringsCoalesce,
    StringsConcat,
    StringsContains,
    StringsCountSubstrings,
    StringsStartsWith,
    StringsEndsWith,
    StringsExtractDomain,
    StringsExtractHostname,
    StringsFromBase64,
    StringsFromHex,
    StringsLength,
    StringsLtrim,
    StringsRtrim,
    StringsTrim,
    StringsReverse,
    StringsSplit,
    StringsToLower,
    StringsToUpper,
    StringsUrlDecode,
    TimestampCurrentSeconds,
    TimestampAsUnixSeconds,
    TimestampGetDate,
    TimestampGetMinute,
    TimestampGetHour,
    TimestampGetDayOfWeek,
    TimestampGetWeek,
    TimestampGetTimestamp,
}

/// What resolving a function name found.
pub(crate) enum Lookup {
    /// A function the engine evaluates, with its minimum and maximum argument count.
    Found(Func, usize, usize),
    /// A function YARA-L defines but the engine cannot evaluate, with the reason.
    Unsupported(&'static str),
    /// No such function.
    Unknown,
}

/// Resolves a dotted function name, such as `strings.concat`.
pub(crate) fn lookup(name: &str) -> Lookup {
    use Func::*;
    let (func, min, max) = match name {
        "if" => (If, 2, 3),
        "arrays.concat" => (ArraysConcat, 2, usize::MAX),
        "arrays.contains" => (ArraysContains, 2, 2),
        "arrays.index_to_float" => (ArraysIndexToFloat, 2, 2),
        "arrays.index_to_int" => (ArraysIndexToInt, 2, 2),
        "arrays.index_to_str" => (ArraysIndexToStr, 2, 2),
        "arrays.join_string" => (ArraysJoinString, 1, 2),
        "arrays.length" => (ArraysLength, 1, 1),
        "arrays.max" => (ArraysMax, 1, 1),
        "arrays.min" => (ArraysMin, 1, 2),
        "arrays.size" => (ArraysSize, 1, 1),
        "cast.as_bool" => (CastAsBool, 1, 1),
        "cast.as_float" => (CastAsFloat, 1, 1),
        "cast.as_int" => (CastAsInt, 1, 1),
        "cast.as_string" => (CastAsString, 1, 2),
        "bytes.to_base64" => (BytesToBase64, 1, 2),
        "hash.sha256" => (HashSha256, 1, 1),
        "math.abs" => (MathAbs, 1, 1),
        "math.ceil" => (MathCeil, 1, 1),
        "math.floor" => (MathFloor, 1, 1),
        "math.geo_distance" => (MathGeoDistance, 4, 4),
        "math.is_increasing" => (MathIsIncreasing, 2, usize::MAX),
        "math.log" => (MathLog, 1, 1),
        "math.pow" => (MathPow, 2, 2),
        "math.random" => (MathRandom, 0, 0),
        "math.round" => (MathRound, 1, 2),
        "math.sqrt" => (MathSqrt, 1, 1),
        "net.ip_in_range_cidr" => (NetIpInRangeCidr, 2, 2),
        // Dragnet's default dialect accepts `ip_to_asn` from published UNC6040 rule text.
        "ip_to_asn" | "net.ip_to_asn" => (IpToAsn, 1, 1),
        "re.regex" => (ReRegex, 2, 2),
        "re.capture" => (ReCapture, 2, 2),
        "re.capture_all" => (ReCaptureAll, 2, 2),
        "re.replace" => (ReReplace, 3, 3),
        "strings.base64_decode" => (StringsBase64Decode, 1, 1),
        // A bare `coalesce` is `strings.coalesce` in Dragnet's default dialect.
        "strings.coalesce" | "coalesce" => (StringsCoalesce, 1, usize::MAX),
        "strings.concat" => (StringsConcat, 1, usize::MAX),
        "strings.contains" => (StringsContains, 2, 2),
        "strings.count_substrings" => (StringsCountSubstrings, 2, 2),
        "strings.starts_with" => (StringsStartsWith, 2, 2),
        "strings.ends_with" => (StringsEndsWith, 2, 2),
        "strings.extract_domain" => (StringsExtractDomain, 1, 1),
        "strings.extract_hostname" => (StringsExtractHostname, 1, 1),
        "strings.from_base64" => (StringsFromBase64, 1, 1),
        "strings.from_hex" => (StringsFromHex, 1, 1),
        "strings.length" => (StringsLength, 1, 1),
        "strings.ltrim" => (StringsLtrim, 1, 2),
        "strings.rtrim" => (StringsRtrim, 1, 2),
        "strings.trim" => (StringsTrim, 1, 2),
        "strings.reverse" => (StringsReverse, 1, 1),
        "strings.split" => (StringsSplit, 1, 2),
        "strings.to_lower" => (StringsToLower, 1, 1),
        "strings.to_upper" => (StringsToUpper, 1, 1),
        "strings.url_decode" => (StringsUrlDecode, 1, 1),
        "timestamp.current_seconds" | "timestamp.now" => (TimestampCurrentSeconds, 0, 0),
        "timestamp.as_unix_seconds" => (TimestampAsUnixSeconds, 1, 2),
        "timestamp.get_date" => (TimestampGetDate, 1, 2),
        "timestamp.get_minute" => (TimestampGetMinute, 1, 2),
        "timestamp.get_hour" => (TimestampGetHour, 1, 2),
        "timestamp.get_day_of_week" => (TimestampGetDayOfWeek, 1, 2),
        "timestamp.get_week" => (TimestampGetWeek, 1, 2),
        "timestamp.get_timestamp" => (TimestampGetTimestamp, 1, 3),
        "hash.fingerprint2011" | "optimization.sample_rate" => {
            return Lookup::Unsupported(
                "its values come from Google's internal Fingerprint2011 hash, which Dragnet \
                 cannot reproduce",
            )
        }
        _ if name.starts_with("metrics.") => {
            return Lookup::Unsupported(
                "metrics functions read Google's precomputed entity history, which Dragnet \
                 does not have",
            )
        }
        "group" => return Lookup::Unsupported("`group` exists only in UDM search"),
        _ => return Lookup::Unknown,
    };
    Lookup::Found(func, min, max)
}

impl Func {
    /// Returns whether a call gives the same result for the same arguments whenever it runs,
    /// which is true of every function but the clock and the random numbers.
    pub(crate) fn is_deterministic(self) -> bool {
        !matches!(self, Func::MathRandom | Func::TimestampCurrentSeconds)
    }

    /// Whether the argument at `index` is read as a whole list (a repeated field is passed as
    /// all its elements rather than one copy's element).
    pub(crate) fn takes_list(self, index: usize) -> bool {
        use Func::*;
        match self {
            ArraysConcat | ArraysJoinString | ArraysLength | ArraysMax | ArraysMin | ArraysSize => {
                index == 0 || self == ArraysConcat
            }
            ArraysContains | ArraysIndexToFloat | ArraysIndexToInt | ArraysIndexToStr => index == 0,
            _ => false,
        }
    }

    /// The argument that holds a time zone, checked ahead of time when it is a literal.
    pub(crate) fn zone_arg(self) -> Option<usize> {
        use Func::*;
        match self {
            TimestampAsUnixSeconds
            | TimestampGetDate
            | TimestampGetMinute
            | TimestampGetHour
            | TimestampGetDayOfWeek
            | TimestampGetWeek => Some(1),
            TimestampGetTimestamp => Some(2),
            _ => None,
        }
    }

    /// The argument that holds a regex pattern, compiled ahead of time when it is a literal.
    pub(crate) fn pattern_arg(self) -> Option<usize> {
        match self {
            Func::ReRegex | Func::ReCapture | Func::ReCaptureAll | Func::ReReplace => Some(1),
            _ => None,
        }
    }
}

/// Calls a function on evaluated arguments. `regex` is the pattern compiled ahead of time,
/// when the pattern argument was a literal.
pub(crate) fn call(
    func: Func,
    args: &[Value],
    nocase: bool,
    regex: Option<&Regex>,
    ctx: &Context,
) -> Value {
    use Func::*;
    match func {
        If => match args {
            [cond, then] => {
                if crate::eval::ops::truthy(cond) {
                    then.clone()
                } else {
                    zero_like(then)
                }
            }
            [cond, then, otherwise] => {
                if crate::eval::ops::truthy(cond) {
                    then.clone()
                } else {
                    otherwise.clone()
                }
            }
            _ => Value::Null,
        },
        ArraysConcat | ArraysContains | ArraysIndexToFloat | ArraysIndexToInt
        | ArraysIndexToStr | ArraysJoinString | ArraysLength | ArraysMax | ArraysMin
        | ArraysSize => arrays::call(func, args),
        CastAsBool | CastAsFloat | CastAsInt | CastAsString | BytesToBase64 | HashSha256 => {
            cast::call(func, args)
        }
        MathAbs | MathCeil | MathFloor | MathGeoDistance | MathIsIncreasing | MathLog | MathPow
        | MathRandom | MathRound | MathSqrt => math::call(func, args),
        NetIpInRangeCidr => net::ip_in_range_cidr(args),
        IpToAsn => net::ip_to_asn(args, ctx),
        ReRegex | ReCapture | ReCaptureAll | ReReplace => re::call(func, args, nocase, regex),
        TimestampCurrentSeconds
        | TimestampAsUnixSeconds
        | TimestampGetDate
        | TimestampGetMinute
        | TimestampGetHour
        | TimestampGetDayOfWeek
        | TimestampGetWeek
        | TimestampGetTimestamp => time::call(func, args),
        _ => strings::call(func, args),
    }
}

/// The zero value of a value's type: `if` without an else branch yields it.
fn zero_like(value: &Value) -> Value {
    match value {
        Value::Int(_) => Value::Int(0),
        Value::Uint(_) => Value::Uint(0),
        Value::Float(_) => Value::Float(0.0),
        Value::String(_) => Value::from(""),
        Value::Bool(_) => Value::Bool(false),
        Value::List(_) => Value::List(Vec::new()),
        _ => Value::Int(0),
    }
}

/// Reads argument `index` as text, `""` when it is missing.
pub(crate) fn arg_text(args: &[Value], index: usize) -> std::borrow::Cow<'_, str> {
    match args.get(index) {
        Some(v) => crate::eval::ops::text(v),
        None => std::borrow::Cow::Borrowed(""),
    }
}
