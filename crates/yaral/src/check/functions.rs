//! The table of functions a rule may call: argument and return types, and where each function
//! is available.
//!
//! The types follow the function reference of Google SecOps. Where it documents a leniency,
//! the table takes it: `strings.concat` joins numbers as well as strings, the `cast.*`
//! functions take any single value, and enum and bytes values pass where strings do.

use super::infer::{Scalar, Ty};

/// Where a function may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// Detection rules, in `events:` and `outcome:`.
    Rules,
    /// An aggregate: `outcome:` only.
    Aggregate,
    /// Google SecOps offers it in Search only; accepted by the default dialect.
    SearchOnly,
    /// Not a Google SecOps function; accepted by the default dialect only.
    Extension,
}

/// What one argument accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// A string. Bytes and enum values pass too, because they compare as strings.
    String,
    /// An integer.
    Int,
    /// An integer or a float.
    Number,
    /// A boolean, such as a comparison.
    Bool,
    /// A string or a number (`strings.concat`).
    StringOrNumber,
    /// Any single value: string, number or boolean (the `cast.*` functions).
    Scalar,
    /// Seconds as an integer, or a Timestamp field (`earliest`, `latest`).
    Time,
    /// Any value, lists and messages included (`count`).
    Any,
    /// A list: a list value, a repeated field, or a placeholder bound to a field.
    List,
}

impl Param {
    /// The accepted values, for messages: "a string", "a list".
    pub fn description(self) -> &'static str {
        match self {
            Param::String => "a string",
            Param::Int => "an integer",
            Param::Number => "a number",
            Param::Bool => "a condition",
            Param::StringOrNumber => "a string or a number",
            Param::Scalar => "a single value",
            Param::Time => "seconds or a Timestamp",
            Param::Any => "a value",
            Param::List => "a list",
        }
    }

    /// Whether an argument of type `ty` fits. `field_like` says whether the argument is a
    /// field or a placeholder, which a list parameter reads as the field's whole list.
    pub fn accepts(self, ty: Ty, field_like: bool) -> bool {
        let scalar = match ty {
            Ty::Unknown => return true,
            Ty::List(_) => return matches!(self, Param::Any | Param::List),
            Ty::Value(scalar) => scalar,
        };
        if scalar == Scalar::Unknown {
            return true;
        }
        match self {
            Param::Any => true,
            Param::List => field_like,
            Param::String => scalar.is_string(),
            Param::Int => matches!(scalar, Scalar::Int | Scalar::Number),
            Param::Number => scalar.is_number(),
            Param::Bool => scalar == Scalar::Bool,
            Param::StringOrNumber => scalar.is_string() || scalar.is_number(),
            Param::Scalar => scalar.is_value(),
            Param::Time => matches!(scalar, Scalar::Timestamp | Scalar::Int | Scalar::Number),
        }
    }
}

/// What a call returns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Returns {
    /// Always this type.
    Is(Ty),
    /// The first argument's type (`math.abs`, `sum`, `max`).
    FirstArgument,
    /// A list of the first argument's type (`array`, `array_distinct`).
    ListOfFirstArgument,
    /// The type that the `then` and `else` branches share (`if`).
    Branches,
}

/// One known function.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    /// The dotted name, lower case.
    pub name: &'static str,
    /// The parameters in order, the optional ones last.
    pub params: &'static [Param],
    /// How many parameters are required.
    pub required: usize,
    /// Whether the last parameter repeats, so any number of arguments past it are accepted.
    pub variadic: bool,
    /// The return type.
    pub returns: Returns,
    /// Where it may be used.
    pub availability: Availability,
}

impl Function {
    /// Fewest arguments.
    pub fn min_args(&self) -> usize {
        self.required
    }

    /// Most arguments; `usize::MAX` for a variadic function.
    pub fn max_args(&self) -> usize {
        if self.variadic {
            usize::MAX
        } else {
            self.params.len()
        }
    }

    /// The parameter that the argument at `index` fills.
    pub fn param(&self, index: usize) -> Option<Param> {
        match self.params.get(index) {
            Some(param) => Some(*param),
            None if self.variadic => self.params.last().copied(),
            None => None,
        }
    }
}

const fn f(
    name: &'static str,
    params: &'static [Param],
    required: usize,
    returns: Returns,
    availability: Availability,
) -> Function {
    Function { name, params, required, variadic: false, returns, availability }
}

/// A function whose last parameter repeats.
const fn variadic(
    name: &'static str,
    params: &'static [Param],
    required: usize,
    returns: Returns,
    availability: Availability,
) -> Function {
    Function { name, params, required, variadic: true, returns, availability }
}

use Availability::{Aggregate, Extension, Rules, SearchOnly};
use Param::{Any, Bool, Int, List, Number, Scalar as One, String as Str, StringOrNumber, Time};
use Returns::{Branches, FirstArgument, Is, ListOfFirstArgument};

const STRING: Returns = Is(Ty::Value(Scalar::String));
const INT: Returns = Is(Ty::Value(Scalar::Int));
const FLOAT: Returns = Is(Ty::Value(Scalar::Float));
const NUMBER: Returns = Is(Ty::Value(Scalar::Number));
const BOOL: Returns = Is(Ty::Value(Scalar::Bool));
const UNKNOWN: Returns = Is(Ty::Unknown);

/// Every function Dragnet knows, built-in or extension. `metrics.*` calls, with their named
/// arguments, are checked apart.
pub const FUNCTIONS: &[Function] = &[
    f("count", &[Any], 1, INT, Aggregate),
    f("count_distinct", &[Any], 1, INT, Aggregate),
    f("sum", &[Number], 1, FirstArgument, Aggregate),
    f("min", &[Number], 1, FirstArgument, Aggregate),
    f("max", &[Number], 1, FirstArgument, Aggregate),
    f("array", &[One], 1, ListOfFirstArgument, Aggregate),
    f("array_distinct", &[One], 1, ListOfFirstArgument, Aggregate),
    f("avg", &[Number], 1, FLOAT, Aggregate),
    f("stddev", &[Number], 1, FLOAT, Aggregate),
    f("earliest", &[Time], 1, UNKNOWN, Aggregate),
    f("latest", &[Time], 1, UNKNOWN, Aggregate),
    f("period_start_for_max", &[Number], 1, UNKNOWN, Aggregate),
    f("period_start_for_min", &[Number], 1, UNKNOWN, Aggregate),
    f("window.avg", &[Number, Bool], 1, FLOAT, Aggregate),
    f("window.first", &[Int, One], 2, STRING, Aggregate),
    f("window.last", &[Int, One], 2, STRING, Aggregate),
    f("window.median", &[Number, Bool], 1, NUMBER, Aggregate),
    f("window.mode", &[One], 1, STRING, Aggregate),
    f("window.range", &[Number, Bool], 1, Is(Ty::List(Scalar::Float)), Aggregate),
    f("window.stddev", &[Number], 1, FLOAT, Aggregate),
    f("window.variance", &[Number], 1, FLOAT, Aggregate),
    f("if", &[Bool, Any, Any], 2, Branches, Rules),
    f("arrays.concat", &[List, List], 2, Is(Ty::List(Scalar::Unknown)), Rules),
    f("arrays.contains", &[List, One], 2, BOOL, Rules),
    f("arrays.index_to_float", &[List, Int], 2, FLOAT, Rules),
    f("arrays.index_to_int", &[List, Int], 2, INT, Rules),
    f("arrays.index_to_str", &[List, Int], 2, STRING, Rules),
    f("arrays.join_string", &[List, Str], 1, STRING, Rules),
    f("arrays.length", &[List], 1, INT, Rules),
    // Numeric strings count as numbers, as in `arrays.max(strings.split("1,5"))`.
    f("arrays.max", &[List], 1, FLOAT, Rules),
    f("arrays.min", &[List, Bool], 1, FLOAT, Rules),
    f("arrays.size", &[List], 1, INT, Rules),
    f("cast.as_bool", &[One], 1, BOOL, Rules),
    f("cast.as_float", &[One], 1, FLOAT, Rules),
    // The reference gives FLOAT as the return type, but its examples return integers.
    f("cast.as_int", &[One], 1, INT, Rules),
    f("cast.as_string", &[One, Str], 1, STRING, Rules),
    f("bytes.to_base64", &[Str, Str], 1, STRING, Rules),
    f("hash.sha256", &[Str], 1, STRING, Rules),
    f("hash.fingerprint2011", &[Str], 1, INT, Rules),
    f("optimization.sample_rate", &[One, Int, Int], 3, BOOL, Rules),
    f("math.abs", &[Number], 1, FirstArgument, Rules),
    f("math.ceil", &[Number], 1, INT, Rules),
    f("math.floor", &[Number], 1, INT, Rules),
    f("math.geo_distance", &[Number, Number, Number, Number], 4, FLOAT, Rules),
    variadic("math.is_increasing", &[Number, Number], 2, BOOL, Rules),
    f("math.log", &[Number], 1, FLOAT, Rules),
    f("math.pow", &[Number, Number], 2, FLOAT, Rules),
    f("math.random", &[], 0, FLOAT, Rules),
    f("math.round", &[Number, Int], 1, NUMBER, SearchOnly),
    f("math.sqrt", &[Number], 1, FLOAT, Rules),
    f("net.ip_in_range_cidr", &[Str, Str], 2, BOOL, Rules),
    f("re.regex", &[Str, Str], 2, BOOL, Rules),
    f("re.capture", &[Str, Str], 2, STRING, Rules),
    f("re.capture_all", &[Str, Str], 2, Is(Ty::List(Scalar::String)), Rules),
    f("re.replace", &[Str, Str, Str], 3, STRING, Rules),
    f("strings.base64_decode", &[Str], 1, STRING, Rules),
    variadic("strings.coalesce", &[Str], 1, STRING, Rules),
    variadic("strings.concat", &[StringOrNumber], 1, STRING, Rules),
    f("strings.contains", &[Str, Str], 2, BOOL, Rules),
    f("strings.count_substrings", &[Str, Str], 2, INT, Rules),
    f("strings.starts_with", &[Str, Str], 2, BOOL, Rules),
    f("strings.ends_with", &[Str, Str], 2, BOOL, Rules),
    f("strings.extract_domain", &[Str], 1, STRING, Rules),
    f("strings.extract_hostname", &[Str], 1, STRING, Rules),
    f("strings.from_base64", &[Str], 1, STRING, Rules),
    f("strings.from_hex", &[Str], 1, STRING, Rules),
    f("strings.length", &[Str], 1, INT, Rules),
    f("strings.ltrim", &[Str, Str], 1, STRING, Rules),
    f("strings.rtrim", &[Str, Str], 1, STRING, Rules),
    f("strings.trim", &[Str, Str], 1, STRING, Rules),
    f("strings.reverse", &[Str], 1, STRING, Rules),
    f("strings.split", &[Str, Str], 1, Is(Ty::List(Scalar::String)), Rules),
    f("strings.to_lower", &[Str], 1, STRING, Rules),
    f("strings.to_upper", &[Str], 1, STRING, Rules),
    f("strings.url_decode", &[Str], 1, STRING, Rules),
    f("timestamp.current_seconds", &[], 0, INT, Rules),
    f("timestamp.now", &[], 0, INT, Rules),
    f("timestamp.as_unix_seconds", &[Str, Str], 1, INT, Rules),
    f("timestamp.get_date", &[Int, Str], 1, STRING, Rules),
    f("timestamp.get_minute", &[Int, Str], 1, INT, Rules),
    f("timestamp.get_hour", &[Int, Str], 1, INT, Rules),
    f("timestamp.get_day_of_week", &[Int, Str], 1, INT, Rules),
    f("timestamp.get_week", &[Int, Str], 1, INT, Rules),
    f("timestamp.get_timestamp", &[Int, Str, Str], 1, STRING, Rules),
    variadic("group", &[Any], 1, UNKNOWN, SearchOnly),
    variadic("coalesce", &[Str], 1, STRING, Extension),
    f("ip_to_asn", &[Str], 1, UNKNOWN, Extension),
];

/// Looks a function up by its dotted name, case-insensitively.
pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

/// Whether `name` is an aggregate function.
pub fn is_aggregate(name: &str) -> bool {
    lookup(name).is_some_and(|f| f.availability == Availability::Aggregate)
}
