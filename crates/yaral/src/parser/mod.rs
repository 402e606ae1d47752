//! The YARA-L 2.0 parser: tokens to [`ast::File`](crate::ast::File), rule by rule.
//!
//! The file is first split into `rule NAME { ... }` blocks by brace matching, so a syntax error
//! in one rule never hides the rules after it. Inside a rule, an error skips to the next section
//! header, so one rule can report several errors.

mod expr;
mod sections;

pub use expr::dotted_name;

use crate::ast::{File, Ident, Rule, Span};
use crate::diagnostic::Diagnostic;
use crate::lexer::{tokenize, Token, TokenKind};

pub(crate) type PResult<T> = Result<T, Diagnostic>;

/// The outcome of parsing one `rule` block.
#[derive(Debug, Clone)]
pub struct ParsedRule {
    /// The rule's name, when the parser got that far.
    pub name: Option<Ident>,
    /// The rule block, from `rule` to its closing brace (or to where it was cut off).
    pub span: Span,
    /// The tree, present when the rule parsed without errors.
    pub rule: Option<Rule>,
    /// Syntax errors of this rule.
    pub diagnostics: Vec<Diagnostic>,
}

/// The outcome of parsing a whole file.
#[derive(Debug, Clone, Default)]
pub struct ParsedFile {
    /// Every rule block found, in source order.
    pub rules: Vec<ParsedRule>,
    /// Errors outside any rule block.
    pub diagnostics: Vec<Diagnostic>,
}

impl ParsedFile {
    /// The rules that parsed without errors, and every diagnostic.
    pub fn into_file(self) -> (File, Vec<Diagnostic>) {
        let mut diagnostics = self.diagnostics;
        let mut rules = Vec::new();
        for parsed in self.rules {
            diagnostics.extend(parsed.diagnostics);
            if let Some(rule) = parsed.rule {
                rules.push(rule);
            }
        }
        diagnostics.sort_by_key(|d| d.span.start);
        (File { rules }, diagnostics)
    }
}

/// Parses a whole rule file.
pub fn parse_file(text: &str) -> ParsedFile {
    let (tokens, lex_errors) = tokenize(text);
    let mut out = ParsedFile::default();
    let blocks = split_rules(&tokens, &mut out.diagnostics);
    for block in blocks {
        let mut parser = Parser::new(&tokens, block.start, block.end);
        let mut parsed = parser.rule(block.closed);
        // Lexical errors belong to the rule whose text holds them.
        for error in &lex_errors {
            if parsed.span.start <= error.span.start
                && error.span.start < parsed.span.end.max(parsed.span.start + 1)
            {
                parsed.diagnostics.push(error.clone());
            }
        }
        if !parsed.diagnostics.is_empty() {
            parsed.rule = None;
        }
        parsed.diagnostics.sort_by_key(|d| d.span.start);
        out.rules.push(parsed);
    }
    for error in lex_errors {
        let inside = out
            .rules
            .iter()
            .any(|r| r.span.start <= error.span.start && error.span.start < r.span.end);
        if !inside {
            out.diagnostics.push(error);
        }
    }
    out.diagnostics.sort_by_key(|d| d.span.start);
    out
}

/// A `rule` block as a token range: `start` is the `rule` keyword, `end` is one past the
/// closing brace (or the first token of the next rule when the brace is missing).
struct Block {
    start: usize,
    end: usize,
    closed: bool,
}

/// Whether the token at `index` begins a rule: `rule NAME {`.
fn starts_rule(tokens: &[Token], index: usize) -> bool {
    let (Some(first), Some(second)) = (tokens.get(index), tokens.get(index + 1)) else {
        return false;
    };
    first.is_keyword("rule")
        && matches!(second.kind, TokenKind::Ident(_))
        && tokens.get(index + 2).is_some_and(|t| t.kind == TokenKind::LBrace)
}

fn split_rules(tokens: &[Token], diagnostics: &mut Vec<Diagnostic>) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut index = 0;
    let mut stray: Option<Span> = None;
    let flush_stray = |stray: &mut Option<Span>, diagnostics: &mut Vec<Diagnostic>| {
        if let Some(span) = stray.take() {
            diagnostics.push(
                Diagnostic::error(span, "expected `rule NAME {`: text outside a rule")
                    .with_help("every rule starts with `rule <name> {` and ends with `}`"),
            );
        }
    };
    while let Some(token) = tokens.get(index) {
        if token.kind == TokenKind::Eof {
            break;
        }
        let is_rule = token.is_keyword("rule")
            && tokens.get(index + 1).is_some_and(|t| matches!(t.kind, TokenKind::Ident(_)));
        if !is_rule {
            stray = Some(stray.map_or(token.span, |s| s.to(token.span)));
            index += 1;
            continue;
        }
        flush_stray(&mut stray, diagnostics);
        let start = index;
        let mut depth = 0usize;
        let mut cursor = index;
        let mut closed = false;
        while let Some(t) = tokens.get(cursor) {
            match t.kind {
                TokenKind::Eof => break,
                TokenKind::LBrace => depth += 1,
                TokenKind::RBrace => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        cursor += 1;
                        closed = true;
                        break;
                    }
                }
                _ if cursor > start && t.line_start && starts_rule(tokens, cursor) => break,
                _ => {}
            }
            cursor += 1;
        }
        blocks.push(Block { start, end: cursor, closed });
        index = cursor.max(start + 1);
    }
    flush_stray(&mut stray, diagnostics);
    blocks
}

/// A cursor over the tokens of one rule block.
pub(crate) struct Parser<'a> {
    tokens: &'a [Token],
    pos: usize,
    end: usize,
    eof: Token,
    depth: u32,
}

impl<'a> Parser<'a> {
    fn new(tokens: &'a [Token], start: usize, end: usize) -> Parser<'a> {
        let end = end.min(tokens.len());
        // The end-of-block token sits right after the block's last token.
        let last = if end > start { tokens.get(end - 1) } else { tokens.get(start) };
        let eof_at = last.map_or(0, |t| t.span.end);
        let eof = Token {
            kind: TokenKind::Eof,
            span: Span { start: eof_at, end: eof_at },
            line_start: true,
        };
        Parser { tokens, pos: start, end, eof, depth: 0 }
    }

    pub(crate) fn peek(&self) -> &Token {
        self.peek_at(0)
    }

    pub(crate) fn peek_at(&self, offset: usize) -> &Token {
        let index = self.pos + offset;
        if index < self.end {
            self.tokens.get(index).unwrap_or(&self.eof)
        } else {
            &self.eof
        }
    }

    /// Returns the token before the next one, if any.
    pub(crate) fn previous(&self) -> Option<&Token> {
        self.pos.checked_sub(1).and_then(|index| self.tokens.get(index))
    }

    pub(crate) fn bump(&mut self) -> Token {
        let token = self.peek().clone();
        if self.pos < self.end {
            self.pos += 1;
        }
        token
    }

    /// Consumes and returns the next token, unless it begins a section header such as
    /// `condition:`. A header is returned without being consumed, so that the caller's error
    /// names it and the rule recovers at that section.
    pub(crate) fn bump_in_section(&mut self) -> Token {
        let token = self.peek().clone();
        if !self.at_header() {
            self.bump();
        }
        token
    }

    pub(crate) fn at_keyword(&self, word: &str) -> bool {
        self.peek().is_keyword(word)
    }

    pub(crate) fn eat(&mut self, kind: TokenKind) -> bool {
        if self.peek().kind == kind {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Consumes a token of `kind` and returns its span, or fails with "expected `what`".
    pub(crate) fn expect(&mut self, kind: TokenKind, what: &str) -> PResult<Span> {
        if self.peek().kind == kind {
            Ok(self.bump().span)
        } else {
            Err(self.unexpected(what))
        }
    }

    pub(crate) fn unexpected(&self, what: &str) -> Diagnostic {
        let token = self.peek();
        Diagnostic::error(token.span, format!("expected {what}, found {}", token.kind.describe()))
    }
}

#[cfg(test)]
mod tests;
