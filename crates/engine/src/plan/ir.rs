//! The executable form of rule expressions.
//!
//! Lowering resolves every name of the syntax tree once: an event field becomes a slot of its
//! event variable's repeated-field copy, a placeholder or outcome becomes an index, a literal
//! regex is compiled, and a function name becomes a [`Func`]. Evaluation then never looks at
//! strings it could have resolved ahead of time.

use std::sync::Arc;

use regex::Regex;
use udm::Value;
use yaral::ast::{ArithmeticOp, CompareOp, ListMatch, Quantifier};

use crate::functions::Func;

/// One step of a field path inside an event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Seg {
    /// A message field, or `seconds`/`nanos` of a timestamp.
    Field(Box<str>),
    /// An element of a repeated field.
    Index(u32),
    /// A map entry: a `Struct` key or the `value` of the label whose `key` matches.
    Key(Box<str>),
}

/// The aggregate functions of the outcome section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Agg {
    Count,
    CountDistinct,
    Sum,
    Min,
    Max,
    Avg,
    Stddev,
    Array,
    ArrayDistinct,
    Earliest,
    Latest,
    WindowAvg,
    WindowFirst,
    WindowLast,
    WindowMedian,
    WindowMode,
    WindowRange,
    WindowStddev,
    WindowVariance,
}

/// How many items of an `N of [...]` list must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quantity {
    AtLeast(usize),
    All,
}

/// A lowered expression.
#[derive(Debug, Clone)]
pub(crate) enum CExpr {
    /// A constant.
    Lit(Value),
    /// An unmodified event field: the value in the current copy of the event.
    Slot {
        var: usize,
        slot: usize,
    },
    /// A whole repeated field, every element across nested repeated levels, as a list.
    FieldList {
        var: usize,
        path: Arc<[Seg]>,
    },
    /// A map value (`$e.f["k"]`): the first value at the path across every repeated level,
    /// the same for every copy of the event.
    MapValue {
        var: usize,
        path: Arc<[Seg]>,
    },
    /// The element that an enclosing [`CExpr::Quantified`] is testing.
    Element,
    /// `any`/`all` over the elements of a repeated field: `body` reads the element through
    /// [`CExpr::Element`].
    Quantified {
        quantifier: Quantifier,
        var: usize,
        path: Arc<[Seg]>,
        body: Box<CExpr>,
    },
    /// `.seconds` (or `.nanos` when `nanos` is set) of a timestamp value. The event tree
    /// stores a `google.protobuf.Timestamp` as one value, so its parts are read here.
    TimePart {
        expr: Box<CExpr>,
        nanos: bool,
    },
    /// A placeholder's value.
    Placeholder(usize),
    /// An outcome variable's value.
    Outcome(usize),
    /// `$e` in `condition`: the group holds an event of the variable.
    EventExists(usize),
    /// `#e` in `condition`: the number of distinct events of the variable.
    EventCount(usize),
    /// `#p` in `condition`: the number of distinct values of the placeholder.
    PlaceholderCount(usize),
    Not(Box<CExpr>),
    And(Box<CExpr>, Box<CExpr>),
    Or(Box<CExpr>, Box<CExpr>),
    Compare {
        op: CompareOp,
        lhs: Box<CExpr>,
        rhs: Box<CExpr>,
        nocase: bool,
    },
    /// `x = /re/` (or `!=` with `negate`), unanchored; `nocase` is how `regex` was compiled.
    RegexMatch {
        expr: Box<CExpr>,
        regex: Arc<Regex>,
        negate: bool,
        nocase: bool,
    },
    Arith {
        op: ArithmeticOp,
        lhs: Box<CExpr>,
        rhs: Box<CExpr>,
    },
    /// A built-in function. `regex` holds the pattern argument compiled ahead of time when it
    /// is a literal.
    Call {
        func: Func,
        args: Vec<CExpr>,
        nocase: bool,
        regex: Option<Arc<Regex>>,
    },
    /// `x in %list`, `x in regex %list`, `x in cidr %list`.
    InList {
        expr: Box<CExpr>,
        list: Arc<enrich::ReferenceList>,
        kind: ListMatch,
        nocase: bool,
    },
    /// `x in ("a", "b")`.
    InLiteral {
        expr: Box<CExpr>,
        items: Vec<CExpr>,
        nocase: bool,
    },
    /// `[a, b]`.
    Array(Vec<CExpr>),
    /// An aggregate over the group; `vars` are the event variables its arguments read.
    Aggregate {
        agg: Agg,
        args: Vec<CExpr>,
        vars: Vec<usize>,
    },
    /// `ANY OF`, `ALL OF`, `N of`.
    NOf {
        quantity: Quantity,
        items: Vec<CExpr>,
    },
    WindowStart,
    WindowEnd,
}

impl CExpr {
    /// Visits this expression and every sub-expression.
    pub(crate) fn walk(&self, f: &mut dyn FnMut(&CExpr)) {
        f(self);
        match self {
            CExpr::Quantified { body, .. } => body.walk(f),
            CExpr::Not(x) | CExpr::TimePart { expr: x, .. } => x.walk(f),
            CExpr::And(a, b) | CExpr::Or(a, b) => {
                a.walk(f);
                b.walk(f);
            }
            CExpr::Compare { lhs, rhs, .. } | CExpr::Arith { lhs, rhs, .. } => {
                lhs.walk(f);
                rhs.walk(f);
            }
            CExpr::RegexMatch { expr, .. } | CExpr::InList { expr, .. } => expr.walk(f),
            CExpr::InLiteral { expr, items, .. } => {
                expr.walk(f);
                items.iter().for_each(|i| i.walk(f));
            }
            CExpr::Call { args, .. } | CExpr::Aggregate { args, .. } => {
                args.iter().for_each(|a| a.walk(f))
            }
            CExpr::Array(items) | CExpr::NOf { items, .. } => items.iter().for_each(|i| i.walk(f)),
            _ => {}
        }
    }

    /// Visits this expression and every sub-expression mutably, each node before its children.
    pub(crate) fn walk_mut(&mut self, f: &mut dyn FnMut(&mut CExpr)) {
        f(self);
        match self {
            CExpr::Quantified { body, .. } => body.walk_mut(f),
            CExpr::Not(x) | CExpr::TimePart { expr: x, .. } => x.walk_mut(f),
            CExpr::And(a, b) | CExpr::Or(a, b) => {
                a.walk_mut(f);
                b.walk_mut(f);
            }
            CExpr::Compare { lhs, rhs, .. } | CExpr::Arith { lhs, rhs, .. } => {
                lhs.walk_mut(f);
                rhs.walk_mut(f);
            }
            CExpr::RegexMatch { expr, .. } | CExpr::InList { expr, .. } => expr.walk_mut(f),
            CExpr::InLiteral { expr, items, .. } => {
                expr.walk_mut(f);
                items.iter_mut().for_each(|i| i.walk_mut(f));
            }
            CExpr::Call { args, .. } | CExpr::Aggregate { args, .. } => {
                args.iter_mut().for_each(|a| a.walk_mut(f))
            }
            CExpr::Array(items) | CExpr::NOf { items, .. } => {
                items.iter_mut().for_each(|i| i.walk_mut(f))
            }
            _ => {}
        }
    }

    /// Returns whether the expression reads only the row of event variable `var` and
    /// constants, and so gives the same value whenever it runs on that row. Placeholders,
    /// outcomes, counts, aggregates, window bounds, the clock and random numbers rule it out.
    pub(crate) fn reads_only_row(&self, var: usize) -> bool {
        let mut only = true;
        self.walk(&mut |e| match e {
            CExpr::Slot { var: v, .. }
            | CExpr::FieldList { var: v, .. }
            | CExpr::MapValue { var: v, .. }
            | CExpr::Quantified { var: v, .. } => only &= *v == var,
            CExpr::Call { func, .. } => only &= func.is_deterministic(),
            CExpr::Lit(_)
            | CExpr::Element
            | CExpr::TimePart { .. }
            | CExpr::Not(_)
            | CExpr::And(..)
            | CExpr::Or(..)
            | CExpr::Compare { .. }
            | CExpr::RegexMatch { .. }
            | CExpr::Arith { .. }
            | CExpr::InList { .. }
            | CExpr::InLiteral { .. }
            | CExpr::Array(_)
            | CExpr::NOf { .. } => {}
            CExpr::Placeholder(_)
            | CExpr::Outcome(_)
            | CExpr::EventExists(_)
            | CExpr::EventCount(_)
            | CExpr::PlaceholderCount(_)
            | CExpr::Aggregate { .. }
            | CExpr::WindowStart
            | CExpr::WindowEnd => only = false,
        });
        only
    }

    /// The event variables the expression reads directly (fields, quantified fields).
    pub(crate) fn vars(&self) -> Vec<usize> {
        let mut out = Vec::new();
        self.walk(&mut |e| match e {
            CExpr::Slot { var, .. }
            | CExpr::FieldList { var, .. }
            | CExpr::MapValue { var, .. }
            | CExpr::Quantified { var, .. }
                if !out.contains(var) =>
            {
                out.push(*var)
            }
            _ => {}
        });
        out
    }

    /// The placeholders the expression reads.
    pub(crate) fn placeholders(&self) -> Vec<usize> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let CExpr::Placeholder(p) = e {
                if !out.contains(p) {
                    out.push(*p)
                }
            }
        });
        out
    }

    /// Whether the expression contains a function call (which exempts a placeholder assigned
    /// from it from the zero-value filter).
    pub(crate) fn has_call(&self) -> bool {
        let mut found = false;
        self.walk(&mut |e| {
            if matches!(e, CExpr::Call { .. }) {
                found = true;
            }
        });
        found
    }
}
