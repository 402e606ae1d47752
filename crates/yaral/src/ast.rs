//! The syntax tree of a YARA-L 2.0 rule file.
//!
//! Every node carries a [`Span`] into the source text so that diagnostics and the engine can
//! point back at the rule. The tree keeps the source's structure (one node per operator, the
//! events section as its list of implicitly and-ed lines) so that the printer can reproduce it.

use serde::Serialize;

/// A byte range `start..end` in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord, Serialize)]
pub struct Span {
    /// Offset of the first byte.
    pub start: u32,
    /// Offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// Creates a span from byte offsets.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start: start as u32, end: end as u32 }
    }

    /// The smallest span that covers both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// An identifier with its position, such as a rule name, a meta key or a variable name.
///
/// Variable names are stored without their sigil (`$`, `#`, `%`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Ident {
    /// The name as written, without sigil.
    pub name: String,
    /// Where it was written, sigil included.
    pub span: Span,
}

/// All rules of one source file.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct File {
    /// The rules in source order.
    pub rules: Vec<Rule>,
}

/// One `rule NAME { ... }` block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// The rule's name.
    pub name: Ident,
    /// `meta:` entries in source order; keys may repeat.
    pub meta: Vec<MetaEntry>,
    /// `setup:` section, parsed but not evaluated yet.
    pub setup: Option<Section>,
    /// `events:` section: its top-level expressions, joined by an implicit `and`.
    pub events: Vec<Expr>,
    /// Span of the `events:` header, or of the rule name when the section is missing.
    pub events_span: Span,
    /// `match:` section.
    pub match_section: Option<MatchSection>,
    /// `outcome:` section: assignments in source order.
    pub outcome: Vec<OutcomeAssignment>,
    /// `condition:` section.
    pub condition: Option<Expr>,
    /// `options:` section.
    pub options: Vec<OptionEntry>,
    /// `export:` section, parsed but not evaluated yet.
    pub export: Option<ExportSection>,
    /// The section headers in source order, each named in lower case (`events`) with the span
    /// of the header from the keyword to its colon. A section whose header is written but whose
    /// body is empty, such as a bare `meta:`, appears here only.
    pub headers: Vec<Ident>,
    /// The whole rule, from `rule` to the closing brace.
    pub span: Span,
}

impl Rule {
    /// Whether the rule has a header for `section` (`meta`, `events`, ...), empty or not.
    pub fn has_section(&self, section: &str) -> bool {
        self.headers.iter().any(|h| h.name == section)
    }

    /// Returns the first meta value for a key, compared case-insensitively.
    pub fn meta_value(&self, key: &str) -> Option<&str> {
        self.meta.iter().find(|m| m.key.name.eq_ignore_ascii_case(key)).map(|m| m.value.as_str())
    }
}

/// The `setup:` section: operations on the entity graph, parsed but not evaluated yet.
///
/// Each operation is a call: `graph_override (...)` and `graph_exclude (...)` take one
/// condition, and `graph_append [$g, %table]` is a call whose single argument is the array.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    /// The operations in source order.
    pub body: Vec<Expr>,
    /// The section header.
    pub span: Span,
}

/// The `export:` section: writes of detection values to data tables, parsed but not evaluated
/// yet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportSection {
    /// The writes in source order.
    pub writes: Vec<RowWrite>,
    /// The section header.
    pub span: Span,
}

/// `%table.write_row(column: value, ...)` in `export:`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowWrite {
    /// The data table, without `%`.
    pub table: Ident,
    /// The operation, `write_row`.
    pub method: Ident,
    /// The values, by column.
    pub columns: Vec<ColumnValue>,
    /// The whole write.
    pub span: Span,
}

/// `column: value` in a [`RowWrite`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnValue {
    /// The column name.
    pub column: Ident,
    /// The value, usually an outcome variable or a placeholder.
    pub value: Expr,
    /// The whole pair.
    pub span: Span,
}

/// `key = "value"` in `meta:`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetaEntry {
    /// The key.
    pub key: Ident,
    /// The string value, escapes resolved. An unquoted number or boolean is kept as written
    /// (`3`, `true`).
    pub value: String,
    /// Whether the value was a quoted string, as Google SecOps requires.
    pub quoted: bool,
    /// The whole entry.
    pub span: Span,
}

/// `key = value` in `options:`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionEntry {
    /// The option name, such as `allow_zero_values` or `suppression_window`.
    pub key: Ident,
    /// The value: a boolean, number, string or duration literal.
    pub value: Expr,
    /// The whole entry.
    pub span: Span,
}

/// `$name = expr` in `outcome:`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeAssignment {
    /// The outcome variable, without `$`.
    pub var: Ident,
    /// Its expression.
    pub expr: Expr,
    /// The whole assignment.
    pub span: Span,
}

/// The `match:` section: `$a, $b over 5m [after|before $e]` or `$a by 5m`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchSection {
    /// Match variables, without `$`.
    pub vars: Vec<Ident>,
    /// The window.
    pub window: Window,
    /// The whole section body.
    pub span: Span,
}

/// A match window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Window {
    /// What kind of window.
    pub kind: WindowKind,
    /// The window length.
    pub duration: Duration,
    /// From `over`/`by` to the end of the window clause.
    pub span: Span,
}

/// The three window kinds of the `match:` section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum WindowKind {
    /// `over D`: overlapping windows of length D.
    Hop,
    /// `by D` (also written `by D tumbling`): windows of length D that do not overlap.
    Tumbling,
    /// `over D after $e`: one window `[t, t + D]` per event of `$e`.
    SlidingAfter(Ident),
    /// `over D before $e`: one window `[t - D, t]` per event of `$e`.
    SlidingBefore(Ident),
}

/// A duration literal such as `5m`, `1h` or `2d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Duration {
    /// The number as written.
    pub value: u64,
    /// The unit as written.
    pub unit: DurationUnit,
    /// The literal.
    pub span: Span,
}

impl Duration {
    /// The duration in seconds, saturating.
    pub fn seconds(&self) -> u64 {
        self.value.saturating_mul(self.unit.seconds())
    }
}

/// Units a duration literal may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DurationUnit {
    /// `s`, seconds: accepted by the lexer, rejected in `match:` by the checker.
    Second,
    /// `m`, minutes.
    Minute,
    /// `h`, hours.
    Hour,
    /// `d`, days.
    Day,
}

impl DurationUnit {
    /// Seconds in one unit.
    pub fn seconds(self) -> u64 {
        match self {
            DurationUnit::Second => 1,
            DurationUnit::Minute => 60,
            DurationUnit::Hour => 3600,
            DurationUnit::Day => 86_400,
        }
    }

    /// The unit's suffix as written in rules.
    pub fn suffix(self) -> &'static str {
        match self {
            DurationUnit::Second => "s",
            DurationUnit::Minute => "m",
            DurationUnit::Hour => "h",
            DurationUnit::Day => "d",
        }
    }
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// The kinds of expression, across all sections.
///
/// One tree type serves `events`, `outcome` and `condition`; which kinds may appear where is
/// checked after parsing, so that a misplaced construct gets a precise diagnostic rather than a
/// parse error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ExprKind {
    /// A literal value.
    Literal(Literal),
    /// A regex literal `/.../`; `\/` in the source is already replaced by `/`.
    Regex(String),
    /// A duration literal, valid only in `options:`.
    Duration(Duration),
    /// An event field such as `$e.principal.ip[0]` or `$e.additional.fields["k"]`.
    Field(FieldRef),
    /// A bare variable `$name`: placeholder, outcome or (in `condition`) event variable.
    Variable(Ident),
    /// `#name` in `condition`: the number of events, or of distinct placeholder values.
    Count(Ident),
    /// `!$name` in `condition`: no event of `$name` in the group.
    Absent(Ident),
    /// `%name` used as a value (a reference list) or `%table.column` (a data-table column).
    ListRef(ListRef),
    /// `not x`.
    Not(Box<Expr>),
    /// `a and b`.
    And(Box<Expr>, Box<Expr>),
    /// `a or b`.
    Or(Box<Expr>, Box<Expr>),
    /// `a <op> b`, with an optional trailing `nocase`.
    Compare {
        /// The comparison operator.
        op: CompareOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
        /// Whether `nocase` follows the comparison.
        nocase: bool,
    },
    /// `a <op> b` for `+ - * / %`.
    Arithmetic {
        /// The operator.
        op: ArithmeticOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// Unary minus, `-x`: not YARA-L 2.0 (write `0-x`); kept so the checker can say so.
    Negate(Box<Expr>),
    /// A function call such as `re.regex(x, "y")`, `if(a, b, c)` or `count(x)`, with an optional
    /// trailing `nocase` (allowed on `re.regex`).
    Call {
        /// The dotted function name: `["re", "regex"]`, `["if"]`, `["count"]`.
        name: Vec<Ident>,
        /// The arguments.
        args: Vec<Expr>,
        /// Whether `nocase` follows the call.
        nocase: bool,
    },
    /// `x in %list`, `x in regex %list`, `x in cidr %list`, optionally followed by `nocase`.
    InList {
        /// The tested value.
        expr: Box<Expr>,
        /// How entries are matched.
        kind: ListMatch,
        /// The list or data-table column.
        list: ListRef,
        /// Whether `nocase` follows.
        nocase: bool,
    },
    /// `x in ("a", "b")`: a literal list, outside YARA-L 2.0 proper (the default dialect takes it).
    InLiteralList {
        /// The tested value.
        expr: Box<Expr>,
        /// The list items.
        items: Vec<Expr>,
        /// Whether `nocase` follows.
        nocase: bool,
    },
    /// An array literal `[a, b]`, as in function arguments.
    Array(Vec<Expr>),
    /// `ANY OF [...]`, `ALL OF [...]`, `N of [...]` in `condition`.
    NOf {
        /// How many items must hold.
        quantity: NOfQuantity,
        /// The items.
        items: Vec<Expr>,
    },
    /// The `window_start` keyword.
    WindowStart,
    /// The `window_end` keyword.
    WindowEnd,
    /// A parenthesised expression, kept so the printer can reproduce the grouping.
    Paren(Box<Expr>),
    /// `name: value`, an argument of a `metrics.*` call: `period:1d`, `metric:value_sum` or
    /// the field filter `principal.asset.ip:$ip`. The parser builds it for those calls only.
    NamedArg {
        /// The argument name; a field filter's name is a dotted UDM path.
        name: Vec<Ident>,
        /// The value.
        value: ArgValue,
    },
}

/// The value of a [`ExprKind::NamedArg`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ArgValue {
    /// A bare word, such as `value_sum`, `max` or `today`.
    Word(Ident),
    /// Any other value: a duration (`30d`), a placeholder (`$ip`) or a literal.
    Expr(Box<Expr>),
}

/// A literal value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Literal {
    /// A string, escapes resolved. `raw` is true for a backquoted string.
    String {
        /// The value.
        value: String,
        /// Whether it was written `` `raw` ``.
        raw: bool,
    },
    /// A non-negative integer.
    Int(i64),
    /// A non-negative float.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CompareOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CompareOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ArithmeticOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
}

impl ArithmeticOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            ArithmeticOp::Add => "+",
            ArithmeticOp::Sub => "-",
            ArithmeticOp::Mul => "*",
            ArithmeticOp::Div => "/",
            ArithmeticOp::Rem => "%",
        }
    }
}

/// How `in %list` compares a value with the list's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ListMatch {
    /// `in %list`: an entry equals the value.
    Exact,
    /// `in regex %list`: an entry, as an RE2 pattern, matches the value.
    Regex,
    /// `in cidr %list`: an entry, as a CIDR range, contains the value.
    Cidr,
}

/// A reference to a list `%name` or a data-table column `%table.column`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListRef {
    /// The list or table name, without `%`.
    pub name: Ident,
    /// The column, for a data table.
    pub column: Option<Ident>,
    /// The whole reference.
    pub span: Span,
}

/// The quantity of an `N of [...]` condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NOfQuantity {
    /// `ANY OF`: at least one.
    Any,
    /// `ALL OF`: every one.
    All,
    /// `N of`: at least N.
    AtLeast(u32),
}

/// A reference to an event field: `[any|all] $e.<path>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldRef {
    /// `any` or `all` before the field, if written.
    pub quantifier: Option<Quantifier>,
    /// The event variable, without `$`.
    pub var: Ident,
    /// Which data the path reads; `$e.udm.x` and `$e.x` are both [`FieldSource::Udm`].
    pub source: FieldSource,
    /// The path after the variable (and after the `udm`/`graph`/`detection` prefix, if written).
    pub path: Vec<PathSegment>,
    /// The whole reference, quantifier included.
    pub span: Span,
}

impl FieldRef {
    /// The path as dotted text without indexes or keys, such as `principal.ip`.
    pub fn dotted(&self) -> String {
        let mut out = String::new();
        for segment in &self.path {
            if let PathSegment::Field(ident) = segment {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&ident.name);
            }
        }
        out
    }
}

/// `any` or `all` on a repeated field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Quantifier {
    /// `any`: some element satisfies the predicate.
    Any,
    /// `all`: every element satisfies the predicate.
    All,
}

/// What an event variable reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FieldSource {
    /// UDM events (the default, or written `$e.udm.`).
    Udm,
    /// Entity-context records, `$e.graph.`.
    Graph,
    /// Detections of other rules, `$d.detection.`.
    Detection,
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum PathSegment {
    /// `.name`
    Field(Ident),
    /// `[3]`: an element of a repeated field.
    Index(u32, Span),
    /// `["key"]`: a map or Struct entry.
    Key(String, Span),
}
