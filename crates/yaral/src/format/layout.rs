//! The layout of rules, sections and expressions.
//!
//! A rule prints as `rule NAME {`, its sections in the required order with their headers
//! indented one level and their statements two levels, a blank line between sections, and `}`.
//! An expression stays on one line when it fits in [`MAX_WIDTH`] and contains no comment.
//! Otherwise it breaks. An `and`/`or` chain or a `+`/`-` chain puts one operand on each line,
//! with the operator at the end of the line. Parentheses, call arguments and lists put their
//! contents on indented lines between the opening and the closing bracket.

use crate::ast::{
    ArithmeticOp, Expr, ExprKind, File, MatchSection, RowWrite, Rule, Span, WindowKind,
};
use crate::parser::dotted_name;

use super::printer::{Printer, INDENT, MAX_WIDTH};
use super::text;

/// Statements sit two levels deep: one for the section, one for its body.
const BODY: usize = 2 * INDENT;

/// Prints a whole file.
pub fn file(printer: &mut Printer, file: &File) {
    for rule in &file.rules {
        printer.blank_line();
        printer.open_block();
        self::rule(printer, rule);
    }
}

fn rule(printer: &mut Printer, rule: &Rule) {
    printer.start_statement(rule.span.start, 0);
    printer.write("rule ", Span { start: rule.span.start, end: rule.span.start });
    printer.write(&rule.name.name, rule.name.span);
    printer.push(" {");
    for header in &rule.headers {
        if header.name != rule.headers[0].name {
            printer.blank_line();
        }
        printer.open_block();
        printer.start_statement(header.span.start, INDENT);
        printer.write(&format!("{}:", header.name), header.span);
        printer.open_block();
        section(printer, rule, &header.name);
    }
    let close = rule.span.end.saturating_sub(1);
    printer.end_line_before(close as usize);
    printer.comments_before(close as usize, INDENT);
    printer.break_line(close, 0);
    printer.write("}", Span { start: close, end: rule.span.end });
    printer.end_line();
}

fn section(printer: &mut Printer, rule: &Rule, name: &str) {
    match name {
        "meta" => {
            for entry in &rule.meta {
                printer.start_statement(entry.span.start, BODY);
                let value =
                    if entry.quoted { text::quote(&entry.value) } else { entry.value.clone() };
                printer.write(&format!("{} = {value}", entry.key.name), entry.span);
            }
        }
        "events" => statements(printer, &rule.events),
        "match" => {
            if let Some(section) = &rule.match_section {
                match_section(printer, section);
            }
        }
        "outcome" => {
            for assignment in &rule.outcome {
                printer.start_statement(assignment.span.start, BODY);
                printer.write(&format!("${} = ", assignment.var.name), assignment.var.span);
                expr(printer, &assignment.expr);
            }
        }
        "condition" => statements(printer, rule.condition.as_slice()),
        "options" => {
            for entry in &rule.options {
                printer.start_statement(entry.span.start, BODY);
                printer.write(&format!("{} = ", entry.key.name), entry.key.span);
                expr(printer, &entry.value);
            }
        }
        "setup" => {
            for operation in rule.setup.iter().flat_map(|s| &s.body) {
                printer.start_statement(operation.span.start, BODY);
                setup_operation(printer, operation);
            }
        }
        "export" => {
            for write in rule.export.iter().flat_map(|e| &e.writes) {
                printer.start_statement(write.span.start, BODY);
                row_write(printer, write);
            }
        }
        _ => {}
    }
}

fn statements(printer: &mut Printer, exprs: &[Expr]) {
    for statement in exprs {
        printer.start_statement(statement.span.start, BODY);
        expr(printer, statement);
    }
}

/// Prints a `setup:` operation the way the documentation writes them, with a space between
/// the name and its argument: `graph_override (...)`, `graph_append [$g, %table]`.
fn setup_operation(printer: &mut Printer, operation: &Expr) {
    if let ExprKind::Call { name, args, nocase: false } = &operation.kind {
        if let [argument] = args.as_slice() {
            let start = Span { start: operation.span.start, end: operation.span.start };
            printer.write(&format!("{} ", dotted_name(name)), start);
            if let ExprKind::Array(_) = argument.kind {
                expr(printer, argument);
            } else {
                let span = Span { start: argument.span.start, end: operation.span.end };
                let group = Expr { kind: ExprKind::Paren(Box::new(argument.clone())), span };
                expr(printer, &group);
            }
            return;
        }
    }
    expr(printer, operation);
}

fn row_write(printer: &mut Printer, write: &RowWrite) {
    let head = format!("%{}.{}(", write.table.name, write.method.name);
    let pairs: Vec<String> = write
        .columns
        .iter()
        .map(|c| format!("{}: {}", c.column.name, text::expr(&c.value)))
        .collect();
    let flat = format!("{head}{})", pairs.join(", "));
    let fits = printer.column() + flat.chars().count() <= MAX_WIDTH;
    if fits && !printer.has_comment_inside(write.span) {
        printer.write(&flat, write.span);
        return;
    }
    let indent = printer.indent();
    printer.write(&head, Span { start: write.span.start, end: write.span.start });
    for (index, pair) in write.columns.iter().enumerate() {
        printer.break_line(pair.span.start, indent + 2 * INDENT);
        printer.write(&format!("{}: ", pair.column.name), pair.column.span);
        expr(printer, &pair.value);
        if index + 1 < write.columns.len() {
            printer.push(",");
        }
    }
    let close_at = write.span.end.saturating_sub(1);
    printer.end_line_before(close_at as usize);
    printer.comments_before(close_at as usize, indent + 2 * INDENT);
    printer.break_line(close_at, indent);
    printer.write(")", Span { start: close_at, end: write.span.end });
}

fn match_section(printer: &mut Printer, section: &MatchSection) {
    printer.start_statement(section.span.start, BODY);
    let vars: Vec<String> = section.vars.iter().map(|v| format!("${}", v.name)).collect();
    let window = &section.window;
    let duration = format!("{}{}", window.duration.value, window.duration.unit.suffix());
    let clause = match &window.kind {
        WindowKind::Hop => format!("over {duration}"),
        WindowKind::Tumbling => format!("by {duration}"),
        WindowKind::SlidingAfter(pivot) => format!("over {duration} after ${}", pivot.name),
        WindowKind::SlidingBefore(pivot) => format!("over {duration} before ${}", pivot.name),
    };
    printer.write(&format!("{} {clause}", vars.join(", ")), section.span);
}

/// Prints an expression at the current position, on one line when it fits.
pub fn expr(printer: &mut Printer, expr: &Expr) {
    let flat = text::expr(expr);
    let fits = printer.column() + flat.chars().count() <= MAX_WIDTH;
    if fits && !printer.has_comment_inside(expr.span) {
        printer.write(&flat, expr.span);
        return;
    }
    match &expr.kind {
        ExprKind::Or(..) | ExprKind::And(..) => logical_chain(printer, expr),
        ExprKind::Arithmetic { op: ArithmeticOp::Add | ArithmeticOp::Sub, .. } => {
            additive_chain(printer, expr)
        }
        ExprKind::Paren(inner) => {
            bracketed(printer, "(", std::slice::from_ref(&**inner), ")", expr.span)
        }
        ExprKind::Call { name, args, nocase } if !args.is_empty() => {
            let open = format!("{}(", dotted_name(name));
            let close = if *nocase { ") nocase" } else { ")" };
            bracketed(printer, &open, args, close, expr.span);
        }
        ExprKind::Array(items) if !items.is_empty() => {
            bracketed(printer, "[", items, "]", expr.span)
        }
        ExprKind::NOf { quantity, items } if !items.is_empty() => {
            let open = format!("{} [", text::quantity(*quantity));
            bracketed(printer, &open, items, "]", expr.span);
        }
        ExprKind::InLiteralList { expr: tested, items, nocase } if !items.is_empty() => {
            self::expr(printer, tested);
            let close = if *nocase { ") nocase" } else { ")" };
            let rest = Span { start: tested.span.end, end: expr.span.end };
            bracketed(printer, " in (", items, close, rest);
        }
        ExprKind::Not(inner) => {
            printer.write("not ", Span { start: expr.span.start, end: expr.span.start });
            self::expr(printer, inner);
        }
        ExprKind::Negate(inner) => {
            printer.write("-", Span { start: expr.span.start, end: expr.span.start });
            self::expr(printer, inner);
        }
        ExprKind::Compare { op, lhs, rhs, nocase } => {
            self::expr(printer, lhs);
            printer.push(&format!(" {} ", op.as_str()));
            self::expr(printer, rhs);
            if *nocase {
                printer.write(" nocase", Span { start: rhs.span.end, end: expr.span.end });
            }
        }
        ExprKind::InList { expr: tested, kind, list, nocase } => {
            self::expr(printer, tested);
            printer.push(&format!(" in {}", text::list_match(*kind)));
            printer.write(&text::list_ref(list), list.span);
            if *nocase {
                printer.write(" nocase", Span { start: list.span.end, end: expr.span.end });
            }
        }
        _ => printer.write(&flat, expr.span),
    }
}

/// Collects the operands of a chain of one operator, left to right: `a or b or c` gives `[a, b, c]`
/// however the parser grouped the chain.
fn chain_operands(expr: &Expr) -> Vec<&Expr> {
    let mut operands = Vec::new();
    let mut stack = vec![expr];
    while let Some(current) = stack.pop() {
        match (&expr.kind, &current.kind) {
            (ExprKind::Or(..), ExprKind::Or(lhs, rhs))
            | (ExprKind::And(..), ExprKind::And(lhs, rhs)) => {
                stack.push(rhs);
                stack.push(lhs);
            }
            _ => operands.push(current),
        }
    }
    operands
}

/// The indentation for the continuation lines of a chain: the line's own when the chain starts
/// the line, one level deeper when it follows other text such as `$x = `.
fn continuation_indent(printer: &Printer) -> usize {
    if printer.column() == printer.indent() {
        printer.indent()
    } else {
        printer.indent() + 2 * INDENT
    }
}

fn logical_chain(printer: &mut Printer, expr: &Expr) {
    let word = if matches!(expr.kind, ExprKind::Or(..)) { " or" } else { " and" };
    let indent = continuation_indent(printer);
    let operands = chain_operands(expr);
    for (index, operand) in operands.iter().enumerate() {
        if index > 0 {
            printer.break_line(operand.span.start, indent);
        }
        self::expr(printer, operand);
        if index + 1 < operands.len() {
            printer.push(word);
        }
    }
}

fn additive_chain(printer: &mut Printer, expr: &Expr) {
    // `a + b - c` is `(a + b) - c`: walk down the left operands, collecting `(op, right)`.
    let mut steps: Vec<(ArithmeticOp, &Expr)> = Vec::new();
    let mut current = expr;
    while let ExprKind::Arithmetic { op: op @ (ArithmeticOp::Add | ArithmeticOp::Sub), lhs, rhs } =
        &current.kind
    {
        steps.push((*op, rhs));
        current = lhs;
    }
    steps.reverse();
    let indent = continuation_indent(printer);
    self::expr(printer, current);
    for (op, operand) in steps {
        printer.push(&format!(" {}", op.as_str()));
        printer.break_line(operand.span.start, indent);
        self::expr(printer, operand);
    }
}

/// Prints `open`, each item on its own line one level deeper (comma-separated), then `close`
/// on a line of its own. `span` covers the whole construct.
fn bracketed(printer: &mut Printer, open: &str, items: &[Expr], close: &str, span: Span) {
    let indent = printer.indent();
    let inner = indent + 2 * INDENT;
    printer.write(open, Span { start: span.start, end: span.start });
    for (index, item) in items.iter().enumerate() {
        printer.break_line(item.span.start, inner);
        self::expr(printer, item);
        if index + 1 < items.len() {
            printer.push(",");
        }
    }
    let close_at = span.end.saturating_sub(1);
    printer.end_line_before(close_at as usize);
    printer.comments_before(close_at as usize, inner);
    printer.break_line(close_at, indent);
    printer.write(close, Span { start: close_at, end: span.end });
}
