//! Type inference: the type of every expression, following values through placeholders,
//! outcome variables and function calls.
//!
//! Fields take their type from the UDM schema, placeholders from the expressions `events:`
//! binds them to, outcome variables from their expressions, and calls from the function
//! table. A type that cannot be inferred (a data-table column, an unknown function) is
//! [`Ty::Unknown`], which every check accepts.

use std::collections::{BTreeMap, BTreeSet};

use udm::schema::{EnumType, FieldKind};

use crate::ast::{ArithmeticOp, CompareOp, Expr, ExprKind, FieldSource, Literal, Rule};
use crate::parser::dotted_name;

use super::functions::{lookup, Returns};
use super::types::FieldTypes;

/// The type of one value.
#[derive(Debug, Clone, Copy)]
pub enum Scalar {
    /// A string, or bytes, which compare as strings.
    String,
    /// A value of an enum field, compared with strings by its value name.
    Enum(&'static EnumType),
    /// An integer.
    Int,
    /// A float.
    Float,
    /// A number whose kind is not known, such as the result of `/`.
    Number,
    /// A boolean.
    Bool,
    /// A Timestamp message, read through `.seconds`.
    Timestamp,
    /// A message or Struct field, which is no value by itself; the type name.
    Message(&'static str),
    /// A value of unknown type.
    Unknown,
}

impl PartialEq for Scalar {
    fn eq(&self, other: &Scalar) -> bool {
        match (self, other) {
            (Scalar::Enum(a), Scalar::Enum(b)) => std::ptr::eq(*a, *b),
            (Scalar::Message(a), Scalar::Message(b)) => a == b,
            _ => std::mem::discriminant(self) == std::mem::discriminant(other),
        }
    }
}

impl Scalar {
    /// Whether it is a string, bytes or an enum value.
    pub fn is_string(self) -> bool {
        matches!(self, Scalar::String | Scalar::Enum(_))
    }

    /// Whether it is an integer or a float.
    pub fn is_number(self) -> bool {
        matches!(self, Scalar::Int | Scalar::Float | Scalar::Number)
    }

    /// Whether it is a value a rule can compare or pass on, unlike a message.
    pub fn is_value(self) -> bool {
        !matches!(self, Scalar::Timestamp | Scalar::Message(_))
    }

    /// Whether values of the two types compare with each other: strings (and enum values)
    /// with strings, numbers with numbers, or the same type.
    pub fn compares_with(self, other: Scalar) -> bool {
        self == other
            || (self.is_string() && other.is_string())
            || (self.is_number() && other.is_number())
            || self == Scalar::Unknown
            || other == Scalar::Unknown
    }

    /// The type with an article, for messages: "a string", "an integer".
    pub fn description(self) -> String {
        match self {
            Scalar::String => "a string".to_string(),
            Scalar::Enum(enum_type) => format!("an enum value ({})", enum_type.name),
            Scalar::Int => "an integer".to_string(),
            Scalar::Float => "a float".to_string(),
            Scalar::Number => "a number".to_string(),
            Scalar::Bool => "a boolean".to_string(),
            Scalar::Timestamp => "a Timestamp".to_string(),
            Scalar::Message(name) => format!("a message ({name})"),
            Scalar::Unknown => "a value".to_string(),
        }
    }

    /// The type's plural noun, for messages: "strings", "integers".
    pub fn plural(self) -> &'static str {
        match self {
            Scalar::String | Scalar::Enum(_) => "strings",
            Scalar::Int => "integers",
            Scalar::Float => "floats",
            Scalar::Number => "numbers",
            Scalar::Bool => "booleans",
            Scalar::Timestamp => "Timestamps",
            Scalar::Message(_) => "messages",
            Scalar::Unknown => "values",
        }
    }

    /// The type of a value of schema kind `kind`.
    pub fn of_field(kind: FieldKind) -> Scalar {
        match kind {
            FieldKind::String | FieldKind::Bytes => Scalar::String,
            FieldKind::Enum(enum_type) => Scalar::Enum(enum_type),
            FieldKind::Int32 | FieldKind::Int64 | FieldKind::Uint32 | FieldKind::Uint64 => {
                Scalar::Int
            }
            FieldKind::Float | FieldKind::Double => Scalar::Float,
            FieldKind::Bool => Scalar::Bool,
            FieldKind::Timestamp => Scalar::Timestamp,
            FieldKind::Message(message) => Scalar::Message(message.name),
            FieldKind::Struct => Scalar::Message("Struct"),
        }
    }
}

/// The type of an expression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ty {
    /// One value per event copy. A repeated field is one value too, because each copy of the
    /// event has one of its elements.
    Value(Scalar),
    /// A list value, such as the result of `strings.split` or `array_distinct`.
    List(Scalar),
    /// Not known: any check accepts it.
    Unknown,
}

impl Ty {
    /// The type with an article, for messages: "a string", "a list of strings".
    pub fn description(self) -> String {
        match self {
            Ty::Value(scalar) => scalar.description(),
            Ty::List(Scalar::Unknown) => "a list".to_string(),
            Ty::List(element) => format!("a list of {}", element.plural()),
            Ty::Unknown => "a value".to_string(),
        }
    }

    /// The single value's type, if this is one value.
    pub fn scalar(self) -> Option<Scalar> {
        match self {
            Ty::Value(scalar) => Some(scalar),
            _ => None,
        }
    }

    /// Whether the type is known well enough to report a mismatch.
    pub fn is_known(self) -> bool {
        !matches!(self, Ty::Unknown | Ty::Value(Scalar::Unknown))
    }
}

/// The section an expression is in. A bare variable means something else in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// `events:`
    Events,
    /// `outcome:`
    Outcome,
    /// `condition:`
    Condition,
}

/// Rounds of placeholder typing, each of which follows bindings one placeholder further.
const MAX_ROUNDS: usize = 16;

/// The types of a rule's fields, placeholders and outcome variables.
pub struct Types<'a> {
    fields: &'a FieldTypes,
    placeholders: BTreeMap<String, Ty>,
    outcomes: BTreeMap<String, Ty>,
    /// Event variables and placeholders other than match variables, which a bare `$name` in
    /// `condition:` tests for a match.
    condition_tests: BTreeSet<String>,
}

impl<'a> Types<'a> {
    /// Infers the type of every placeholder and outcome variable of `rule`.
    ///
    /// A placeholder takes the type of the first expression `events:` binds it to that has a
    /// known type, so a binding to another type shows up as a mismatch at that binding.
    pub fn build(rule: &Rule, fields: &'a FieldTypes) -> Types<'a> {
        let mut types = Types {
            fields,
            placeholders: BTreeMap::new(),
            outcomes: BTreeMap::new(),
            condition_tests: condition_tests(rule),
        };
        let mut bindings: Vec<(&str, &Expr)> = Vec::new();
        let mut aliases: Vec<(&str, &str)> = Vec::new();
        for predicate in &rule.events {
            collect_bindings(predicate, &mut bindings, &mut aliases);
        }
        // A binding may read another placeholder, so repeat until nothing changes. The rounds
        // are capped so that a hostile chain of placeholders costs linear time; a placeholder
        // typed only through a longer chain stays untyped, which every check accepts.
        for _ in 0..MAX_ROUNDS {
            let mut changed = false;
            for (name, value) in &bindings {
                if types.placeholders.get(*name).is_some_and(|t| t.is_known()) {
                    continue;
                }
                let ty = types.of(value, Section::Events);
                if ty.is_known() {
                    types.placeholders.insert(name.to_string(), ty);
                    changed = true;
                }
            }
            for (a, b) in &aliases {
                let (ta, tb) = (types.placeholder(a), types.placeholder(b));
                if ta.is_known() && !tb.is_known() {
                    types.placeholders.insert(b.to_string(), ta);
                    changed = true;
                } else if tb.is_known() && !ta.is_known() {
                    types.placeholders.insert(a.to_string(), tb);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for assignment in &rule.outcome {
            let ty = types.of(&assignment.expr, Section::Outcome);
            types.outcomes.entry(assignment.var.name.clone()).or_insert(ty);
        }
        types
    }

    /// Returns the type of a placeholder, or [`Ty::Unknown`] when no binding gives it.
    pub fn placeholder(&self, name: &str) -> Ty {
        self.placeholders.get(name).copied().unwrap_or(Ty::Unknown)
    }

    /// Infers the type of `expr` in `section`.
    pub fn of(&self, expr: &Expr, section: Section) -> Ty {
        match &expr.kind {
            ExprKind::Literal(literal) => match literal {
                Literal::String { .. } => Ty::Value(Scalar::String),
                Literal::Int(_) => Ty::Value(Scalar::Int),
                Literal::Float(_) => Ty::Value(Scalar::Float),
                Literal::Bool(_) => Ty::Value(Scalar::Bool),
                Literal::Null => Ty::Unknown,
            },
            ExprKind::Field(field) => {
                if field.source == FieldSource::Detection {
                    return Ty::Unknown;
                }
                match self.fields.get(&field.span) {
                    Some(resolved) => Ty::Value(Scalar::of_field(resolved.kind)),
                    None => Ty::Unknown,
                }
            }
            ExprKind::Variable(var) => self.variable(&var.name, section),
            ExprKind::Count(_) => Ty::Value(Scalar::Int),
            ExprKind::Absent(_)
            | ExprKind::Not(_)
            | ExprKind::And(..)
            | ExprKind::Or(..)
            | ExprKind::Compare { .. }
            | ExprKind::InList { .. }
            | ExprKind::InLiteralList { .. }
            | ExprKind::NOf { .. } => Ty::Value(Scalar::Bool),
            ExprKind::Arithmetic { op, lhs, rhs } => {
                arithmetic(*op, self.of(lhs, section), self.of(rhs, section))
            }
            ExprKind::Negate(inner) => match self.of(inner, section) {
                Ty::Value(scalar) if scalar.is_number() => Ty::Value(scalar),
                _ => Ty::Value(Scalar::Number),
            },
            ExprKind::Call { name, args, .. } => self.call(&dotted_name(name), args, section),
            ExprKind::Array(items) => {
                let element = items
                    .iter()
                    .map(|item| self.of(item, section).scalar().unwrap_or(Scalar::Unknown))
                    .reduce(|a, b| if a == b { a } else { Scalar::Unknown });
                Ty::List(element.unwrap_or(Scalar::Unknown))
            }
            ExprKind::Paren(inner) => self.of(inner, section),
            // A regex literal is a pattern, not a value. The documentation compares
            // `window_start` with a date string, so the window bounds are left untyped too.
            ExprKind::Regex(_)
            | ExprKind::Duration(_)
            | ExprKind::ListRef(_)
            | ExprKind::WindowStart
            | ExprKind::WindowEnd
            | ExprKind::NamedArg { .. } => Ty::Unknown,
        }
    }

    fn variable(&self, name: &str, section: Section) -> Ty {
        match section {
            Section::Events => self.placeholder(name),
            Section::Outcome => {
                self.outcomes.get(name).copied().unwrap_or_else(|| self.placeholder(name))
            }
            // A bare event variable or placeholder in `condition:` tests that it matched. A match
            // variable or an undefined name is an error of its own, so it is left untyped.
            Section::Condition => match self.outcomes.get(name) {
                Some(ty) => *ty,
                None if self.condition_tests.contains(name) => Ty::Value(Scalar::Bool),
                None => Ty::Unknown,
            },
        }
    }

    fn call(&self, name: &str, args: &[Expr], section: Section) -> Ty {
        if super::metrics::is_metrics_name(name) {
            return Ty::Value(Scalar::Number);
        }
        let Some(function) = lookup(name) else { return Ty::Unknown };
        // A first argument of the wrong type is reported at the argument, and the result is
        // then left untyped so that it is not reported again where it is used.
        let first = || match (args.first(), function.param(0)) {
            (Some(arg), Some(param)) => {
                let ty = self.of(arg, section);
                if param.accepts(ty, self.is_field_like(arg)) {
                    ty
                } else {
                    Ty::Unknown
                }
            }
            _ => Ty::Unknown,
        };
        match function.returns {
            Returns::Is(ty) => ty,
            Returns::FirstArgument => first(),
            Returns::ListOfFirstArgument => match first() {
                Ty::Value(scalar) => Ty::List(scalar),
                _ => Ty::List(Scalar::Unknown),
            },
            Returns::Branches => {
                let then = args.get(1).map_or(Ty::Unknown, |arg| self.of(arg, section));
                let otherwise = args.get(2).map_or(then, |arg| self.of(arg, section));
                join(then, otherwise)
            }
        }
    }

    /// Whether `expr` is a field or a placeholder, which a list parameter reads as a list.
    pub fn is_field_like(&self, expr: &Expr) -> bool {
        match &expr.unparen().kind {
            ExprKind::Field(_) => true,
            ExprKind::Variable(var) => !self.outcomes.contains_key(&var.name),
            _ => false,
        }
    }
}

/// The type two branches of an `if` share: the known one, or a number when one is an integer
/// and the other a float.
pub fn join(a: Ty, b: Ty) -> Ty {
    match (a, b) {
        (Ty::Value(x), Ty::Value(y)) if x == y => a,
        (Ty::Value(x), Ty::Value(y)) if x.is_number() && y.is_number() => Ty::Value(Scalar::Number),
        (Ty::Value(x), Ty::Value(y)) if x.is_string() && y.is_string() => Ty::Value(Scalar::String),
        _ if !a.is_known() => b,
        _ => a,
    }
}

/// The type of `lhs op rhs`: integers stay integers, except through `/`, and a float makes a
/// float.
fn arithmetic(op: ArithmeticOp, lhs: Ty, rhs: Ty) -> Ty {
    let (Some(a), Some(b)) = (lhs.scalar(), rhs.scalar()) else {
        return Ty::Value(Scalar::Number);
    };
    match (a, b) {
        (Scalar::Int, Scalar::Int) if op != ArithmeticOp::Div => Ty::Value(Scalar::Int),
        (Scalar::Float, _) | (_, Scalar::Float) => Ty::Value(Scalar::Float),
        _ => Ty::Value(Scalar::Number),
    }
}

/// Collects the placeholder bindings of one `events:` predicate: `$p = <expr>` with an
/// expression that reads an event (a field or a call), and `$p = $q` aliases. A binding under
/// `not` does not bind.
fn collect_bindings<'e>(
    expr: &'e Expr,
    bindings: &mut Vec<(&'e str, &'e Expr)>,
    aliases: &mut Vec<(&'e str, &'e str)>,
) {
    match &expr.kind {
        ExprKind::Paren(inner) => collect_bindings(inner, bindings, aliases),
        ExprKind::And(lhs, rhs) | ExprKind::Or(lhs, rhs) => {
            collect_bindings(lhs, bindings, aliases);
            collect_bindings(rhs, bindings, aliases);
        }
        ExprKind::Compare { op: CompareOp::Eq, lhs, rhs, .. } => {
            let (lhs, rhs) = (lhs.unparen(), rhs.unparen());
            match (&lhs.kind, &rhs.kind) {
                (ExprKind::Variable(a), ExprKind::Variable(b)) => aliases.push((&a.name, &b.name)),
                (ExprKind::Variable(var), _) if reads_event(rhs) => bindings.push((&var.name, rhs)),
                (_, ExprKind::Variable(var)) if reads_event(lhs) => bindings.push((&var.name, lhs)),
                _ => {}
            }
        }
        _ => {}
    }
}

/// Collects the event variables and placeholders that `events:` defines, leaving out the match
/// variables.
fn condition_tests(rule: &Rule) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for predicate in &rule.events {
        predicate.walk(&mut |e| match &e.kind {
            ExprKind::Variable(var) => {
                names.insert(var.name.clone());
            }
            ExprKind::Field(field) => {
                names.insert(field.var.name.clone());
            }
            _ => {}
        });
    }
    if let Some(section) = &rule.match_section {
        for var in &section.vars {
            names.remove(&var.name);
        }
    }
    names
}

/// Whether an expression reads an event field, directly or through a call of placeholders.
fn reads_event(expr: &Expr) -> bool {
    !expr.fields().is_empty() || matches!(expr.kind, ExprKind::Call { .. })
}
