//! The table of functions a rule may call, with their arity and where they are available.

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
    /// Part of YARA-L but not implemented by Dragnet.
    Unsupported,
}

/// One known function.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    /// The dotted name, lower case.
    pub name: &'static str,
    /// Fewest arguments.
    pub min_args: usize,
    /// Most arguments; `usize::MAX` when any number is accepted.
    pub max_args: usize,
    /// Where it may be used.
    pub availability: Availability,
}

const ANY: usize = usize::MAX;

const fn f(
    name: &'static str,
    min_args: usize,
    max_args: usize,
    availability: Availability,
) -> Function {
    Function { name, min_args, max_args, availability }
}

use Availability::{Aggregate, Extension, Rules, SearchOnly, Unsupported};

/// Every function Dragnet knows, built-in or extension.
pub const FUNCTIONS: &[Function] = &[
    f("count", 1, 1, Aggregate),
    f("count_distinct", 1, 1, Aggregate),
    f("sum", 1, 1, Aggregate),
    f("min", 1, 1, Aggregate),
    f("max", 1, 1, Aggregate),
    f("array", 1, 1, Aggregate),
    f("array_distinct", 1, 1, Aggregate),
    f("avg", 1, 1, Aggregate),
    f("stddev", 1, 1, Aggregate),
    f("earliest", 1, 1, Aggregate),
    f("latest", 1, 1, Aggregate),
    f("period_start_for_max", 1, 1, Aggregate),
    f("period_start_for_min", 1, 1, Aggregate),
    f("window.avg", 1, 2, Aggregate),
    f("window.first", 2, 2, Aggregate),
    f("window.last", 2, 2, Aggregate),
    f("window.median", 1, 2, Aggregate),
    f("window.mode", 1, 1, Aggregate),
    f("window.range", 1, 2, Aggregate),
    f("window.stddev", 1, 1, Aggregate),
    f("window.variance", 1, 1, Aggregate),
    f("if", 2, 3, Rules),
    f("arrays.concat", 2, 2, Rules),
    f("arrays.contains", 2, 2, Rules),
    f("arrays.index_to_float", 2, 2, Rules),
    f("arrays.index_to_int", 2, 2, Rules),
    f("arrays.index_to_str", 2, 2, Rules),
    f("arrays.join_string", 1, 2, Rules),
    f("arrays.length", 1, 1, Rules),
    f("arrays.max", 1, 1, Rules),
    f("arrays.min", 1, 2, Rules),
    f("arrays.size", 1, 1, Rules),
    f("cast.as_bool", 1, 1, Rules),
    f("cast.as_float", 1, 1, Rules),
    f("cast.as_int", 1, 1, Rules),
    f("cast.as_string", 1, 2, Rules),
    f("bytes.to_base64", 1, 2, Rules),
    f("hash.sha256", 1, 1, Rules),
    f("hash.fingerprint2011", 1, 1, Unsupported),
    f("optimization.sample_rate", 3, 3, Unsupported),
    f("math.abs", 1, 1, Rules),
    f("math.ceil", 1, 1, Rules),
    f("math.floor", 1, 1, Rules),
    f("math.geo_distance", 4, 4, Rules),
    f("math.is_increasing", 2, ANY, Rules),
    f("math.log", 1, 1, Rules),
    f("math.pow", 2, 2, Rules),
    f("math.random", 0, 0, Rules),
    f("math.round", 1, 2, SearchOnly),
    f("math.sqrt", 1, 1, Rules),
    f("net.ip_in_range_cidr", 2, 2, Rules),
    f("re.regex", 2, 2, Rules),
    f("re.capture", 2, 2, Rules),
    f("re.capture_all", 2, 2, Rules),
    f("re.replace", 3, 3, Rules),
    f("strings.base64_decode", 1, 1, Rules),
    f("strings.coalesce", 1, ANY, Rules),
    f("strings.concat", 1, ANY, Rules),
    f("strings.contains", 2, 2, Rules),
    f("strings.count_substrings", 2, 2, Rules),
    f("strings.starts_with", 2, 2, Rules),
    f("strings.ends_with", 2, 2, Rules),
    f("strings.extract_domain", 1, 1, Rules),
    f("strings.extract_hostname", 1, 1, Rules),
    f("strings.from_base64", 1, 1, Rules),
    f("strings.from_hex", 1, 1, Rules),
    f("strings.length", 1, 1, Rules),
    f("strings.ltrim", 1, 2, Rules),
    f("strings.rtrim", 1, 2, Rules),
    f("strings.trim", 1, 2, Rules),
    f("strings.reverse", 1, 1, Rules),
    f("strings.split", 1, 2, Rules),
    f("strings.to_lower", 1, 1, Rules),
    f("strings.to_upper", 1, 1, Rules),
    f("strings.url_decode", 1, 1, Rules),
    f("timestamp.current_seconds", 0, 0, Rules),
    f("timestamp.now", 0, 0, Rules),
    f("timestamp.as_unix_seconds", 1, 2, Rules),
    f("timestamp.get_date", 1, 2, Rules),
    f("timestamp.get_minute", 1, 2, Rules),
    f("timestamp.get_hour", 1, 2, Rules),
    f("timestamp.get_day_of_week", 1, 2, Rules),
    f("timestamp.get_week", 1, 2, Rules),
    f("timestamp.get_timestamp", 1, 3, Rules),
    f("group", 1, ANY, SearchOnly),
    f("coalesce", 1, ANY, Extension),
    f("ip_to_asn", 1, 1, Extension),
];

/// Looks a function up by its dotted name, case-insensitively.
pub fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name.eq_ignore_ascii_case(name))
}

/// Whether `name` is an aggregate function.
pub fn is_aggregate(name: &str) -> bool {
    lookup(name).is_some_and(|f| f.availability == Availability::Aggregate)
}
