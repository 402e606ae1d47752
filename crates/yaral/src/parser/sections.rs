//! Rule-level parsing: the rule header and its sections, in their required order.

use crate::ast::{
    ColumnValue, Duration, ExportSection, Expr, ExprKind, Ident, MatchSection, MetaEntry,
    OptionEntry, OutcomeAssignment, RowWrite, Rule, Section, Span, Window, WindowKind,
};
use crate::check::suggest::closest;
use crate::diagnostic::Diagnostic;
use crate::format::format_float;
use crate::lexer::{Token, TokenKind};

use super::{PResult, ParsedRule, Parser};

/// Section names in the order a rule must list them.
const SECTION_ORDER: [&str; 8] =
    ["meta", "setup", "events", "match", "outcome", "condition", "options", "export"];

/// Sections of Google SecOps Search and dashboard queries, which detection rules do not take.
const SEARCH_SECTIONS: [&str; 5] = ["order", "limit", "dedup", "select", "unselect"];

impl Parser<'_> {
    /// Whether the next tokens are a section header `name:`, a Search-only or misspelled one
    /// included.
    pub(super) fn at_header(&self) -> bool {
        self.header_index().is_some()
            || self.search_header().is_some()
            || self.misspelled_header().is_some()
    }

    /// Returns the section name that the next tokens, `name:` at the start of a line, are a
    /// plausible typo of, such as `condition` for `conditon:`. A `name:` after `(` or `,` is a
    /// named argument, such as a column of `write_row`, and is never taken for a header.
    fn misspelled_header(&self) -> Option<&'static str> {
        let token = self.peek();
        let TokenKind::Ident(name) = &token.kind else { return None };
        if !token.line_start || self.peek_at(1).kind != TokenKind::Colon {
            return None;
        }
        if self.header_index().is_some() || self.search_header().is_some() {
            return None;
        }
        if matches!(self.previous().map(|t| &t.kind), Some(TokenKind::LParen | TokenKind::Comma)) {
            return None;
        }
        closest(name, SECTION_ORDER.iter().copied())
    }

    /// Returns the name of the Search-only section header `name:` that the next tokens form.
    fn search_header(&self) -> Option<&'static str> {
        let TokenKind::Ident(name) = &self.peek().kind else { return None };
        if self.peek_at(1).kind != TokenKind::Colon {
            return None;
        }
        SEARCH_SECTIONS.iter().copied().find(|s| s.eq_ignore_ascii_case(name))
    }

    fn header_index(&self) -> Option<usize> {
        let TokenKind::Ident(name) = &self.peek().kind else { return None };
        if self.peek_at(1).kind != TokenKind::Colon {
            return None;
        }
        SECTION_ORDER.iter().position(|s| s.eq_ignore_ascii_case(name))
    }

    /// Whether the current section has no more content.
    pub(super) fn at_section_end(&self) -> bool {
        self.at_header() || matches!(self.peek().kind, TokenKind::RBrace | TokenKind::Eof)
    }

    fn skip_to_section_end(&mut self) {
        while !self.at_section_end() {
            self.bump();
        }
    }

    /// Parses one rule block, starting at the `rule` keyword.
    pub(super) fn rule(&mut self, closed: bool) -> ParsedRule {
        let start = self.bump().span;
        let name_token = self.bump();
        let TokenKind::Ident(name_text) = name_token.kind else {
            let error = Diagnostic::error(name_token.span, "expected a rule name after `rule`");
            return ParsedRule { name: None, span: start, rule: None, diagnostics: vec![error] };
        };
        let name = Ident { name: name_text, span: name_token.span };
        let mut diagnostics = Vec::new();
        let mut rule = Rule {
            name: name.clone(),
            meta: Vec::new(),
            setup: None,
            events: Vec::new(),
            events_span: name.span,
            match_section: None,
            outcome: Vec::new(),
            condition: None,
            options: Vec::new(),
            export: None,
            headers: Vec::new(),
            span: start,
        };
        if let Err(error) = self.expect(TokenKind::LBrace, "`{` after the rule name") {
            diagnostics.push(error);
        }
        let mut seen: Vec<usize> = Vec::new();
        // Sections suggested for misspelled headers, whose absence is not reported again.
        let mut misspelled: Vec<&str> = Vec::new();
        loop {
            match self.peek().kind {
                TokenKind::RBrace => {
                    rule.span = start.to(self.bump().span);
                    break;
                }
                TokenKind::Eof => {
                    rule.span = start.to(self.peek().span);
                    if !closed {
                        diagnostics.push(
                            Diagnostic::error(
                                self.peek().span,
                                format!("rule `{}` is missing its closing `}}`", name.name),
                            )
                            .with_help("close the rule with `}` after its last section"),
                        );
                    }
                    break;
                }
                _ => {}
            }
            if let Some(section) = self.search_header() {
                let header = self.bump().span.to(self.bump().span);
                diagnostics.push(
                    Diagnostic::error(
                        header,
                        format!("`{section}:` is a section of Google SecOps Search, not of rules"),
                    )
                    .with_help("remove the section, which only Search and dashboard queries read"),
                );
                self.skip_to_section_end();
                continue;
            }
            if let Some(section) = self.misspelled_header() {
                let typed = match self.bump() {
                    Token { kind: TokenKind::Ident(typed), span, .. } => {
                        Ident { name: typed, span }
                    }
                    token => Ident { name: String::new(), span: token.span },
                };
                let header = typed.span.to(self.bump().span);
                diagnostics.push(
                    Diagnostic::error(header, format!("unknown section `{}:`", typed.name))
                        .with_help(format!(
                            "did you mean `{section}:`? Sections are meta, setup, events, match, \
                         outcome, condition, options, export, in that order"
                        )),
                );
                misspelled.push(section);
                self.skip_to_section_end();
                continue;
            }
            let Some(index) = self.header_index() else {
                diagnostics.push(
                    self.unexpected("a section header such as `events:` or `condition:`")
                        .with_help("sections are meta, setup, events, match, outcome, condition, options, export"),
                );
                self.bump();
                self.skip_to_section_end();
                continue;
            };
            let header = self.bump().span.to(self.bump().span);
            let section = SECTION_ORDER.get(index).copied().unwrap_or("?");
            if seen.contains(&index) {
                diagnostics
                    .push(Diagnostic::error(header, format!("duplicate `{section}:` section")));
            } else if let Some(&later) = seen.iter().filter(|&&s| s > index).min() {
                let later = SECTION_ORDER.get(later).copied().unwrap_or("?");
                diagnostics.push(
                    Diagnostic::error(header, format!("section `{section}:` must come before `{later}:`"))
                        .with_help("the order is meta, setup, events, match, outcome, condition, options, export"),
                );
            }
            seen.push(index);
            rule.headers.push(Ident { name: section.to_string(), span: header });
            if let Err(error) = self.section(index, header, &mut rule) {
                diagnostics.push(error);
                self.skip_to_section_end();
            }
        }
        let events_index = 2;
        let condition_index = 5;
        if !seen.contains(&events_index) && !misspelled.contains(&"events") {
            diagnostics.push(
                Diagnostic::error(
                    name.span,
                    format!("rule `{}` has no `events:` section", name.name),
                )
                .with_help("add `events:` with at least one predicate on an event variable"),
            );
        }
        if !seen.contains(&condition_index) && !misspelled.contains(&"condition") {
            diagnostics.push(
                Diagnostic::error(
                    name.span,
                    format!("rule `{}` has no `condition:` section", name.name),
                )
                .with_help(
                    "add `condition:` naming the event variables that must match, such as `$e`",
                ),
            );
        }
        let span = rule.span;
        let rule = if diagnostics.is_empty() { Some(rule) } else { None };
        ParsedRule { name: Some(name), span, rule, diagnostics }
    }

    fn section(&mut self, index: usize, header: Span, rule: &mut Rule) -> PResult<()> {
        match SECTION_ORDER.get(index).copied() {
            Some("meta") => self.meta(rule),
            Some("setup") => {
                let mut body = Vec::new();
                while !self.at_section_end() {
                    body.push(self.setup_operation()?);
                }
                rule.setup = Some(Section { body, span: header });
                Ok(())
            }
            Some("events") => {
                rule.events_span = header;
                while !self.at_section_end() {
                    let expr = self.expr()?;
                    rule.events.push(expr);
                }
                if rule.events.is_empty() {
                    return Err(Diagnostic::error(header, "the `events:` section is empty")
                        .with_help("add at least one predicate, such as `$e.metadata.event_type = \"USER_LOGIN\"`"));
                }
                Ok(())
            }
            Some("match") => {
                rule.match_section = Some(self.match_section(header)?);
                Ok(())
            }
            Some("outcome") => self.outcome(rule),
            Some("condition") => {
                if self.at_section_end() {
                    return Err(Diagnostic::error(header, "the `condition:` section is empty")
                        .with_help("name the event variables that must match, such as `$e`"));
                }
                let expr = self.expr()?;
                if !self.at_section_end() {
                    return Err(self
                        .unexpected("`and`, `or` or the end of the condition")
                        .with_help("join conditions with `and` or `or`"));
                }
                rule.condition = Some(expr);
                Ok(())
            }
            Some("options") => self.options(rule),
            _ => {
                let mut writes = Vec::new();
                while !self.at_section_end() {
                    writes.push(self.row_write()?);
                }
                rule.export = Some(ExportSection { writes, span: header });
                Ok(())
            }
        }
    }

    fn meta(&mut self, rule: &mut Rule) -> PResult<()> {
        while !self.at_section_end() {
            let key_token = self.bump_in_section();
            let TokenKind::Ident(key) = key_token.kind else {
                return Err(Diagnostic::error(
                    key_token.span,
                    format!("expected a meta key, found {}", key_token.kind.describe()),
                ));
            };
            self.expect(TokenKind::Eq, "`=` after the meta key")?;
            let value_token = self.bump_in_section();
            let (value, quoted) = match value_token.kind {
                TokenKind::Str(value) | TokenKind::RawStr(value) => (value, true),
                TokenKind::Int(value) => (value.to_string(), false),
                TokenKind::Float(value) => (format_float(value), false),
                TokenKind::Ident(word)
                    if word.eq_ignore_ascii_case("true") || word.eq_ignore_ascii_case("false") =>
                {
                    (word.to_ascii_lowercase(), false)
                }
                other => {
                    return Err(Diagnostic::error(
                        value_token.span,
                        format!("expected a quoted meta value, found {}", other.describe()),
                    )
                    .with_help("meta values are double-quoted strings: key = \"value\""));
                }
            };
            let span = key_token.span.to(value_token.span);
            rule.meta.push(MetaEntry {
                key: Ident { name: key, span: key_token.span },
                value,
                quoted,
                span,
            });
        }
        Ok(())
    }

    fn match_section(&mut self, header: Span) -> PResult<MatchSection> {
        let mut vars = Vec::new();
        loop {
            let token = self.peek().clone();
            match token.kind {
                TokenKind::Var(name) => {
                    self.bump();
                    vars.push(Ident { name, span: token.span });
                }
                TokenKind::Ident(name) if !is_window_keyword(&name) => {
                    return Err(Diagnostic::error(
                        token.span,
                        format!("match variable `{name}` is missing its `$`"),
                    )
                    .with_help(format!("write `${name}`")));
                }
                _ => return Err(self.unexpected("a match variable such as `$user`")),
            }
            if !self.eat(TokenKind::Comma) {
                break;
            }
        }
        let keyword = self.peek().clone();
        let is_over = keyword.is_keyword("over");
        if !is_over && !keyword.is_keyword("by") {
            return Err(self
                .unexpected("`over` or `by` and a window after the match variables")
                .with_help("write the window, such as `$user over 5m`"));
        }
        self.bump();
        let duration = self.duration()?;
        let mut span = keyword.span.to(duration.span);
        let kind = if is_over {
            if self.at_keyword("after") || self.at_keyword("before") {
                let after = self.at_keyword("after");
                self.bump();
                let token = self.bump_in_section();
                let TokenKind::Var(name) = token.kind else {
                    return Err(Diagnostic::error(
                        token.span,
                        format!(
                            "expected an event variable after `{}`",
                            if after { "after" } else { "before" }
                        ),
                    ));
                };
                span = span.to(token.span);
                let pivot = Ident { name, span: token.span };
                if after {
                    WindowKind::SlidingAfter(pivot)
                } else {
                    WindowKind::SlidingBefore(pivot)
                }
            } else {
                WindowKind::Hop
            }
        } else {
            if self.at_keyword("tumbling") {
                span = span.to(self.bump().span);
            }
            WindowKind::Tumbling
        };
        if !self.at_section_end() {
            return Err(self.unexpected("the end of the `match:` section"));
        }
        let first = vars.first().map_or(header, |v| v.span);
        Ok(MatchSection { vars, window: Window { kind, duration, span }, span: first.to(span) })
    }

    fn duration(&mut self) -> PResult<Duration> {
        let token = self.bump_in_section();
        match token.kind {
            TokenKind::Duration(value, unit) => Ok(Duration { value, unit, span: token.span }),
            TokenKind::BadNumber(text) => {
                let unit_start = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
                let reason = if unit_start > 0 && matches!(&text[unit_start..], "m" | "h" | "d") {
                    "the number is too large"
                } else {
                    "the unit must be m, h or d"
                };
                Err(Diagnostic::error(
                    token.span,
                    format!("invalid window duration `{text}`: {reason}"),
                )
                .with_help(
                    "write a whole number followed by m (minutes), h (hours) or d (days), such as \
                     `5m`",
                ))
            }
            TokenKind::Int(value) => {
                Err(Diagnostic::error(token.span, format!("window duration `{value}` has no unit"))
                    .with_help(format!("add m, h or d, such as `{value}m`")))
            }
            other => Err(Diagnostic::error(
                token.span,
                format!("expected a window duration such as `5m`, found {}", other.describe()),
            )),
        }
    }

    fn outcome(&mut self, rule: &mut Rule) -> PResult<()> {
        while !self.at_section_end() {
            let token = self.bump();
            let TokenKind::Var(name) = token.kind else {
                return Err(Diagnostic::error(
                    token.span,
                    format!(
                        "expected an outcome variable such as `$risk_score`, found {}",
                        token.kind.describe()
                    ),
                ));
            };
            self.expect(TokenKind::Eq, "`=` after the outcome variable")?;
            let expr = self.expr()?;
            let span = token.span.to(expr.span);
            rule.outcome.push(OutcomeAssignment {
                var: Ident { name, span: token.span },
                expr,
                span,
            });
        }
        Ok(())
    }

    fn options(&mut self, rule: &mut Rule) -> PResult<()> {
        while !self.at_section_end() {
            let token = self.bump();
            let TokenKind::Ident(name) = token.kind else {
                return Err(Diagnostic::error(
                    token.span,
                    format!("expected an option name, found {}", token.kind.describe()),
                ));
            };
            self.expect(TokenKind::Eq, "`=` after the option name")?;
            let value = self.expr()?;
            let span = token.span.to(value.span);
            rule.options.push(OptionEntry { key: Ident { name, span: token.span }, value, span });
            self.eat(TokenKind::Comma);
        }
        Ok(())
    }
}

impl Parser<'_> {
    /// Parses one `setup:` operation: `name (condition)`, or `name [items]`, which becomes a
    /// call whose single argument is the array.
    fn setup_operation(&mut self) -> PResult<Expr> {
        let token = self.peek().clone();
        let is_bracketed = matches!(token.kind, TokenKind::Ident(_))
            && self.peek_at(1).kind == TokenKind::LBracket;
        if !is_bracketed {
            return self.expr();
        }
        let TokenKind::Ident(name) = token.kind else { return self.expr() };
        self.bump();
        let array = self.expr()?;
        let span = token.span.to(array.span);
        let name = vec![Ident { name, span: token.span }];
        Ok(Expr { kind: ExprKind::Call { name, args: vec![array], nocase: false }, span })
    }

    /// Parses `%table.method(column: value, ...)`.
    fn row_write(&mut self) -> PResult<RowWrite> {
        let start = self.peek().clone();
        let TokenKind::ListVar(table) = start.kind else {
            return Err(self
                .unexpected("a data-table write such as `%table.write_row(...)`")
                .with_help("`export:` writes outcome values to data tables, one call per line"));
        };
        self.bump();
        self.expect(TokenKind::Dot, "`.` after the data table")?;
        let method_token = self.bump_in_section();
        let TokenKind::Ident(method) = method_token.kind else {
            return Err(Diagnostic::error(
                method_token.span,
                format!(
                    "expected a method such as `write_row`, found {}",
                    method_token.kind.describe()
                ),
            ));
        };
        self.expect(TokenKind::LParen, "`(` after the method name")?;
        let mut columns = Vec::new();
        while self.peek().kind != TokenKind::RParen {
            let column_token = self.bump_in_section();
            let TokenKind::Ident(column) = column_token.kind else {
                return Err(Diagnostic::error(
                    column_token.span,
                    format!("expected a column name, found {}", column_token.kind.describe()),
                )
                .with_help("write each value as `column: $variable`"));
            };
            self.expect(TokenKind::Colon, "`:` after the column name")?;
            let value = self.expr()?;
            let span = column_token.span.to(value.span);
            columns.push(ColumnValue {
                column: Ident { name: column, span: column_token.span },
                value,
                span,
            });
            if !self.eat(TokenKind::Comma) {
                break;
            }
        }
        let close = self.expect(TokenKind::RParen, "`)` to close the write")?;
        Ok(RowWrite {
            table: Ident { name: table, span: start.span },
            method: Ident { name: method, span: method_token.span },
            columns,
            span: start.span.to(close),
        })
    }
}

fn is_window_keyword(word: &str) -> bool {
    word.eq_ignore_ascii_case("over") || word.eq_ignore_ascii_case("by")
}
