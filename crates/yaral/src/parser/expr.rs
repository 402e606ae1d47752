//! Expression parsing, shared by the `events`, `outcome`, `condition` and `options` sections.
//!
//! Precedence, from loosest to tightest: `or`, `and`, `not`, comparison and `in` (with a
//! trailing `nocase`), `+ -`, `* / %`, unary `-`, then operands. An expression ends at the first
//! token that cannot continue it, which is how the `events:` section splits its implicitly
//! and-ed predicates: two operands in a row start a new predicate.

use crate::ast::{
    ArgValue, ArithmeticOp, CompareOp, Duration, Expr, ExprKind, FieldRef, FieldSource, Ident,
    ListMatch, ListRef, Literal, NOfQuantity, PathSegment, Quantifier, Span,
};
use crate::diagnostic::Diagnostic;
use crate::lexer::TokenKind;
use crate::visit::drop_iteratively;

use super::{PResult, Parser};

/// Nesting depth of parentheses, calls and lists past which the parser stops, so that hostile
/// input cannot overflow the stack.
const MAX_NESTING: u32 = 64;

/// Height of an expression tree past which the parser stops. Every later pass (checks,
/// lowering, evaluation, printing) recurses once per level, so this bounds their stack use.
/// `and` and `or` chains are built balanced and add only their logarithm; an arithmetic chain
/// adds one level per operator. Google's published community rules stay below 20.
const MAX_HEIGHT: usize = 100;

impl Parser<'_> {
    /// Parses one full expression (an `or` chain).
    pub(super) fn expr(&mut self) -> PResult<Expr> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            self.depth -= 1;
            return Err(Diagnostic::error(
                self.peek().span,
                format!("expression nested more than {MAX_NESTING} levels deep"),
            ));
        }
        let result = self.or_expr();
        self.depth -= 1;
        let expr = result?;
        let height = expr.height();
        if height > MAX_HEIGHT {
            let span = expr.span;
            drop_iteratively(expr);
            return Err(Diagnostic::error(
                span,
                format!("expression is {height} levels deep; the maximum is {MAX_HEIGHT}"),
            )
            .with_help("split it into several predicates or outcome variables"));
        }
        Ok(expr)
    }

    fn or_expr(&mut self) -> PResult<Expr> {
        let mut operands = vec![self.and_expr()?];
        while self.at_keyword("or") {
            self.bump();
            match self.and_expr() {
                Ok(rhs) => operands.push(rhs),
                Err(error) => {
                    operands.into_iter().for_each(drop_iteratively);
                    return Err(error);
                }
            }
        }
        Ok(balanced(operands, ExprKind::Or))
    }

    fn and_expr(&mut self) -> PResult<Expr> {
        let mut operands = vec![self.not_expr()?];
        while self.at_keyword("and") {
            self.bump();
            match self.not_expr() {
                Ok(rhs) => operands.push(rhs),
                Err(error) => {
                    operands.into_iter().for_each(drop_iteratively);
                    return Err(error);
                }
            }
        }
        Ok(balanced(operands, ExprKind::And))
    }

    fn not_expr(&mut self) -> PResult<Expr> {
        if self.at_keyword("not") {
            let start = self.bump().span;
            self.depth += 1;
            if self.depth > MAX_NESTING {
                self.depth -= 1;
                return Err(Diagnostic::error(start, "too many nested `not`"));
            }
            let inner = self.not_expr();
            self.depth -= 1;
            let inner = inner?;
            let span = start.to(inner.span);
            return Ok(Expr { kind: ExprKind::Not(Box::new(inner)), span });
        }
        self.comparison()
    }

    fn comparison(&mut self) -> PResult<Expr> {
        let mut lhs = self.additive()?;
        // `re.regex(...) nocase`: the suffix belongs to the call when no operator follows.
        if self.at_keyword("nocase") {
            if let ExprKind::Call { nocase, .. } = &mut lhs.kind {
                *nocase = true;
                lhs.span = lhs.span.to(self.bump().span);
            }
        }
        if let Some(op) = self.compare_op() {
            self.bump();
            let rhs = self.additive()?;
            let mut span = lhs.span.to(rhs.span);
            let nocase = self.at_keyword("nocase");
            if nocase {
                span = span.to(self.bump().span);
            }
            if self.compare_op().is_some() {
                return Err(Diagnostic::error(self.peek().span, "comparisons cannot be chained")
                    .with_help("join the comparisons with `and`"));
            }
            let kind = ExprKind::Compare { op, lhs: Box::new(lhs), rhs: Box::new(rhs), nocase };
            return Ok(Expr { kind, span });
        }
        if self.at_keyword("in") {
            return self.in_expr(lhs);
        }
        Ok(lhs)
    }

    fn compare_op(&self) -> Option<CompareOp> {
        Some(match self.peek().kind {
            TokenKind::Eq => CompareOp::Eq,
            TokenKind::Ne => CompareOp::Ne,
            TokenKind::Lt => CompareOp::Lt,
            TokenKind::Le => CompareOp::Le,
            TokenKind::Gt => CompareOp::Gt,
            TokenKind::Ge => CompareOp::Ge,
            _ => return None,
        })
    }

    fn in_expr(&mut self, lhs: Expr) -> PResult<Expr> {
        self.bump();
        let kind = if self.at_keyword("regex") {
            self.bump();
            ListMatch::Regex
        } else if self.at_keyword("cidr") {
            self.bump();
            ListMatch::Cidr
        } else {
            ListMatch::Exact
        };
        if matches!(self.peek().kind, TokenKind::LParen) && kind == ListMatch::Exact {
            let open = self.bump().span;
            let items = self.comma_list(TokenKind::RParen)?;
            let close = self.expect(TokenKind::RParen, "`)` to close the list")?;
            let mut span = lhs.span.to(open).to(close);
            let nocase = self.eat_nocase(&mut span);
            let kind = ExprKind::InLiteralList { expr: Box::new(lhs), items, nocase };
            return Ok(Expr { kind, span });
        }
        let TokenKind::ListVar(_) = self.peek().kind else {
            return Err(self.unexpected("a reference list `%name` after `in`"));
        };
        let list = self.list_ref()?;
        let mut span = lhs.span.to(list.span);
        let nocase = self.eat_nocase(&mut span);
        Ok(Expr { kind: ExprKind::InList { expr: Box::new(lhs), kind, list, nocase }, span })
    }

    fn eat_nocase(&mut self, span: &mut Span) -> bool {
        if self.at_keyword("nocase") {
            *span = span.to(self.bump().span);
            true
        } else {
            false
        }
    }

    fn additive(&mut self) -> PResult<Expr> {
        let mut lhs = self.multiplicative()?;
        let mut operators = 0;
        loop {
            let op = match self.peek().kind {
                TokenKind::Plus => ArithmeticOp::Add,
                TokenKind::Minus => ArithmeticOp::Sub,
                _ => return Ok(lhs),
            };
            operators += 1;
            if operators > MAX_HEIGHT {
                return Err(too_long_chain(lhs, self.peek().span));
            }
            self.bump();
            let rhs = match self.multiplicative() {
                Ok(rhs) => rhs,
                Err(error) => {
                    drop_iteratively(lhs);
                    return Err(error);
                }
            };
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Arithmetic { op, lhs: Box::new(lhs), rhs: Box::new(rhs) },
                span,
            };
        }
    }

    fn multiplicative(&mut self) -> PResult<Expr> {
        let mut lhs = self.unary()?;
        let mut operators = 0;
        loop {
            let op = match self.peek().kind {
                TokenKind::Star => ArithmeticOp::Mul,
                TokenKind::Slash => ArithmeticOp::Div,
                TokenKind::Percent => ArithmeticOp::Rem,
                _ => return Ok(lhs),
            };
            operators += 1;
            if operators > MAX_HEIGHT {
                return Err(too_long_chain(lhs, self.peek().span));
            }
            self.bump();
            let rhs = match self.unary() {
                Ok(rhs) => rhs,
                Err(error) => {
                    drop_iteratively(lhs);
                    return Err(error);
                }
            };
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Arithmetic { op, lhs: Box::new(lhs), rhs: Box::new(rhs) },
                span,
            };
        }
    }

    fn unary(&mut self) -> PResult<Expr> {
        if matches!(self.peek().kind, TokenKind::Minus) {
            let start = self.bump().span;
            self.depth += 1;
            if self.depth > MAX_NESTING {
                self.depth -= 1;
                return Err(Diagnostic::error(start, "too many nested `-`"));
            }
            let inner = self.unary();
            self.depth -= 1;
            let inner = inner?;
            let span = start.to(inner.span);
            return Ok(Expr { kind: ExprKind::Negate(Box::new(inner)), span });
        }
        self.primary()
    }

    fn primary(&mut self) -> PResult<Expr> {
        let token = self.peek().clone();
        let span = token.span;
        let literal = |kind: Literal, parser: &mut Self| {
            parser.bump();
            Ok(Expr { kind: ExprKind::Literal(kind), span })
        };
        match token.kind {
            TokenKind::Str(value) => literal(Literal::String { value, raw: false }, self),
            TokenKind::RawStr(value) => literal(Literal::String { value, raw: true }, self),
            TokenKind::Float(value) => literal(Literal::Float(value), self),
            TokenKind::Int(value) => {
                if self.peek_at(1).is_keyword("of") {
                    let quantity = u32::try_from(value).unwrap_or(u32::MAX);
                    return self.n_of(NOfQuantity::AtLeast(quantity));
                }
                literal(Literal::Int(value), self)
            }
            TokenKind::Regex(pattern) => {
                self.bump();
                Ok(Expr { kind: ExprKind::Regex(pattern), span })
            }
            TokenKind::Duration(value, unit) => {
                self.bump();
                Ok(Expr { kind: ExprKind::Duration(Duration { value, unit, span }), span })
            }
            TokenKind::BadNumber(text) => {
                Err(Diagnostic::error(span, format!("invalid number `{text}`")).with_help(
                    "numbers are digits with an optional fraction, such as `1024` or `5.5`, and \
                 durations a whole number followed by m, h or d, such as `5m`",
                ))
            }
            TokenKind::Ident(name) if self.at_header() => Err(Diagnostic::error(
                span,
                format!("expected an expression, found the `{name}:` section header"),
            )
            .with_help("finish the expression before the next section starts")),
            TokenKind::Var(name) => {
                self.bump();
                let var = Ident { name, span };
                if matches!(self.peek().kind, TokenKind::Dot) {
                    let field = self.field_path(None, var, span)?;
                    let span = field.span;
                    return Ok(Expr { kind: ExprKind::Field(field), span });
                }
                Ok(Expr { kind: ExprKind::Variable(var), span })
            }
            TokenKind::CountVar(name) => {
                self.bump();
                Ok(Expr { kind: ExprKind::Count(Ident { name, span }), span })
            }
            TokenKind::Bang => {
                self.bump();
                let next = self.peek().clone();
                let TokenKind::Var(name) = next.kind else {
                    return Err(Diagnostic::error(
                        span,
                        "`!` must be followed by an event variable such as `$e`",
                    )
                    .with_help("use `not` to negate a condition, or `!=` to compare"));
                };
                self.bump();
                let span = span.to(next.span);
                Ok(Expr { kind: ExprKind::Absent(Ident { name, span: next.span }), span })
            }
            TokenKind::ListVar(_) => {
                let list = self.list_ref()?;
                let span = list.span;
                Ok(Expr { kind: ExprKind::ListRef(list), span })
            }
            TokenKind::LParen => {
                self.bump();
                let inner = self.expr()?;
                let close = self.expect(TokenKind::RParen, "`)`")?;
                Ok(Expr { kind: ExprKind::Paren(Box::new(inner)), span: span.to(close) })
            }
            TokenKind::LBracket => {
                self.bump();
                let items = self.comma_list(TokenKind::RBracket)?;
                let close = self.expect(TokenKind::RBracket, "`]` to close the array")?;
                Ok(Expr { kind: ExprKind::Array(items), span: span.to(close) })
            }
            TokenKind::Ident(name) => self.ident_operand(&name, span),
            _ => Err(self.unexpected("an expression")),
        }
    }

    fn ident_operand(&mut self, name: &str, span: Span) -> PResult<Expr> {
        let lower = name.to_ascii_lowercase();
        let simple = |kind: ExprKind, parser: &mut Self| {
            parser.bump();
            Ok(Expr { kind, span })
        };
        match lower.as_str() {
            "true" => return simple(ExprKind::Literal(Literal::Bool(true)), self),
            "false" => return simple(ExprKind::Literal(Literal::Bool(false)), self),
            "null" => return simple(ExprKind::Literal(Literal::Null), self),
            "window_start" => return simple(ExprKind::WindowStart, self),
            "window_end" => return simple(ExprKind::WindowEnd, self),
            "any" | "all" => {
                let quantity = if lower == "any" { NOfQuantity::Any } else { NOfQuantity::All };
                if self.peek_at(1).is_keyword("of") {
                    return self.n_of(quantity);
                }
                let quantifier = if lower == "any" { Quantifier::Any } else { Quantifier::All };
                if let TokenKind::Var(var) = self.peek_at(1).kind.clone() {
                    let var_span = self.peek_at(1).span;
                    self.bump();
                    self.bump();
                    let var = Ident { name: var, span: var_span };
                    if !matches!(self.peek().kind, TokenKind::Dot) {
                        return Err(Diagnostic::error(
                            span.to(var_span),
                            format!("`{lower}` must be followed by an event field such as `$e.principal.ip`"),
                        ));
                    }
                    let field = self.field_path(Some(quantifier), var, span)?;
                    let span = field.span;
                    return Ok(Expr { kind: ExprKind::Field(field), span });
                }
                return Err(Diagnostic::error(
                    span,
                    format!("`{lower}` must be followed by an event field or by `of [...]`"),
                ));
            }
            _ => {}
        }
        self.call()
    }

    fn call(&mut self) -> PResult<Expr> {
        let mut name = Vec::new();
        loop {
            let token = self.peek().clone();
            let TokenKind::Ident(part) = token.kind else {
                return Err(self.unexpected("a function name"));
            };
            self.bump();
            name.push(Ident { name: part, span: token.span });
            if matches!(self.peek().kind, TokenKind::Dot) {
                self.bump();
                continue;
            }
            break;
        }
        let start = name.first().map(|n| n.span).unwrap_or_default();
        if !matches!(self.peek().kind, TokenKind::LParen) {
            let dotted = dotted_name(&name);
            let span = start.to(name.last().map(|n| n.span).unwrap_or_default());
            return Err(Diagnostic::error(span, format!("unexpected identifier `{dotted}`"))
                .with_help(
                    "variables start with `$`, strings are quoted, functions take `(...)`",
                ));
        }
        self.bump();
        let is_metrics = name.first().is_some_and(|n| n.name.eq_ignore_ascii_case("metrics"));
        let args =
            if is_metrics { self.named_args()? } else { self.comma_list(TokenKind::RParen)? };
        let close = self.expect(TokenKind::RParen, "`)` to close the call")?;
        Ok(Expr { kind: ExprKind::Call { name, args, nocase: false }, span: start.to(close) })
    }

    /// Reads the `name: value` arguments of a `metrics.*` call, such as `period:1d`,
    /// `agg:max` or `principal.asset.ip:$ip`. A trailing comma is allowed.
    fn named_args(&mut self) -> PResult<Vec<Expr>> {
        let mut args = Vec::new();
        while !matches!(self.peek().kind, TokenKind::RParen | TokenKind::Eof) {
            let mut name = Vec::new();
            loop {
                let token = self.peek().clone();
                let TokenKind::Ident(part) = token.kind else {
                    return Err(self.unexpected("an argument name such as `period`"));
                };
                self.bump();
                name.push(Ident { name: part, span: token.span });
                if !self.eat(TokenKind::Dot) {
                    break;
                }
            }
            self.expect(TokenKind::Colon, "`:` after the argument name")?;
            let token = self.peek().clone();
            let value = match &token.kind {
                TokenKind::Ident(word)
                    if !matches!(self.peek_at(1).kind, TokenKind::LParen | TokenKind::Dot) =>
                {
                    self.bump();
                    ArgValue::Word(Ident { name: word.clone(), span: token.span })
                }
                _ => ArgValue::Expr(Box::new(self.expr()?)),
            };
            let end = match &value {
                ArgValue::Word(word) => word.span,
                ArgValue::Expr(expr) => expr.span,
            };
            let start = name.first().map_or(end, |n| n.span);
            args.push(Expr { kind: ExprKind::NamedArg { name, value }, span: start.to(end) });
            if !self.eat(TokenKind::Comma) {
                break;
            }
        }
        Ok(args)
    }

    /// Parses `item, item, ...` up to (not including) `close`; a trailing comma is allowed.
    fn comma_list(&mut self, close: TokenKind) -> PResult<Vec<Expr>> {
        let mut items = Vec::new();
        while self.peek().kind != close {
            items.push(self.expr()?);
            if !self.eat(TokenKind::Comma) {
                break;
            }
        }
        Ok(items)
    }

    fn n_of(&mut self, quantity: NOfQuantity) -> PResult<Expr> {
        let start = self.bump().span;
        self.bump();
        self.expect(TokenKind::LBracket, "`[` after `of`")?;
        let items = self.comma_list(TokenKind::RBracket)?;
        let close = self.expect(TokenKind::RBracket, "`]` to close the list")?;
        Ok(Expr { kind: ExprKind::NOf { quantity, items }, span: start.to(close) })
    }

    /// Parses `%name` or `%table.column`.
    fn list_ref(&mut self) -> PResult<ListRef> {
        let token = self.bump();
        let TokenKind::ListVar(name) = token.kind else {
            return Err(Diagnostic::error(token.span, "expected a reference list `%name`"));
        };
        let name = Ident { name, span: token.span };
        let mut span = token.span;
        let mut column = None;
        if matches!(self.peek().kind, TokenKind::Dot) {
            if let TokenKind::Ident(col) = self.peek_at(1).kind.clone() {
                self.bump();
                let col_span = self.bump().span;
                span = span.to(col_span);
                column = Some(Ident { name: col, span: col_span });
            }
        }
        Ok(ListRef { name, column, span })
    }

    /// Parses the `.a.b[0]["k"]` part after `$e`.
    fn field_path(
        &mut self,
        quantifier: Option<Quantifier>,
        var: Ident,
        start: Span,
    ) -> PResult<FieldRef> {
        let mut path = Vec::new();
        let mut span = start.to(var.span);
        loop {
            match self.peek().kind {
                TokenKind::Dot => {
                    self.bump();
                    let token = self.bump_in_section();
                    let TokenKind::Ident(name) = token.kind else {
                        return Err(Diagnostic::error(
                            token.span,
                            format!(
                                "expected a field name after `.`, found {}",
                                token.kind.describe()
                            ),
                        ));
                    };
                    span = span.to(token.span);
                    path.push(PathSegment::Field(Ident { name, span: token.span }));
                }
                TokenKind::LBracket => {
                    let open = self.bump().span;
                    let token = self.bump_in_section();
                    let segment = match token.kind {
                        TokenKind::Int(index) => match u32::try_from(index) {
                            Ok(index) => PathSegment::Index(index, open.to(token.span)),
                            Err(_) => {
                                return Err(Diagnostic::error(token.span, "index is too large"));
                            }
                        },
                        TokenKind::Str(key) | TokenKind::RawStr(key) => {
                            PathSegment::Key(key, open.to(token.span))
                        }
                        other => {
                            return Err(Diagnostic::error(
                                token.span,
                                format!(
                                    "expected an integer index or a quoted map key, found {}",
                                    other.describe()
                                ),
                            )
                            .with_help("indexes must be integer literals such as `[0]`"));
                        }
                    };
                    let close = self.expect(TokenKind::RBracket, "`]`")?;
                    let segment = match segment {
                        PathSegment::Index(index, s) => PathSegment::Index(index, s.to(close)),
                        PathSegment::Key(key, s) => PathSegment::Key(key, s.to(close)),
                        field => field,
                    };
                    span = span.to(close);
                    path.push(segment);
                }
                _ => break,
            }
        }
        let source = match path.first() {
            Some(PathSegment::Field(first)) if first.name == "udm" => Some(FieldSource::Udm),
            Some(PathSegment::Field(first)) if first.name == "graph" => Some(FieldSource::Graph),
            Some(PathSegment::Field(first)) if first.name == "detection" => {
                Some(FieldSource::Detection)
            }
            _ => None,
        };
        if source.is_some() {
            path.remove(0);
        }
        Ok(FieldRef { quantifier, var, source: source.unwrap_or(FieldSource::Udm), path, span })
    }
}

/// Joins a dotted function name such as `re.regex`.
pub fn dotted_name(name: &[Ident]) -> String {
    name.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(".")
}

/// Joins `operands` (at least one) with one associative operator into a balanced tree, so that
/// a chain of n operands is about log2(n) levels deep instead of n. The operands keep their
/// order, so evaluation and printing see them left to right as written.
fn balanced(mut operands: Vec<Expr>, join: fn(Box<Expr>, Box<Expr>) -> ExprKind) -> Expr {
    if operands.len() == 1 {
        return operands.pop().expect("one operand");
    }
    let right = operands.split_off(operands.len() / 2);
    let lhs = balanced(operands, join);
    let rhs = balanced(right, join);
    let span = lhs.span.to(rhs.span);
    Expr { kind: join(Box::new(lhs), Box::new(rhs)), span }
}

/// Builds the error for an arithmetic chain with more than [`MAX_HEIGHT`] operators; `lhs`, the chain
/// read so far, is dropped without recursion.
fn too_long_chain(lhs: Expr, at: Span) -> Diagnostic {
    let span = lhs.span.to(at);
    drop_iteratively(lhs);
    Diagnostic::error(span, format!("arithmetic chain of more than {MAX_HEIGHT} operators"))
        .with_help("split the computation into several outcome variables")
}
