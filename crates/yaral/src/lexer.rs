//! The YARA-L 2.0 lexer: turns rule text into tokens with spans.
//!
//! Keywords are not separate token kinds: they lex as [`TokenKind::Ident`] and the parser
//! compares them case-insensitively, because the same words also serve as field names
//! (`$e.network.dns.questions.type`) and meta keys. Every token records whether a line break
//! precedes it, which the `events:` section needs for its implicit `and`.

use crate::ast::{DurationUnit, Span};
use crate::diagnostic::Diagnostic;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// An identifier or keyword.
    Ident(String),
    /// `$name`.
    Var(String),
    /// `#name`.
    CountVar(String),
    /// `%name`: a reference list or data table.
    ListVar(String),
    /// A double-quoted string, escapes resolved.
    Str(String),
    /// A backquoted raw string.
    RawStr(String),
    /// A regex literal `/.../`, with `\/` replaced by `/`.
    Regex(String),
    /// A non-negative integer that fits in `i64`.
    Int(i64),
    /// A non-negative float.
    Float(f64),
    /// A number followed by one of the units `s`, `m`, `h`, `d`.
    Duration(u64, DurationUnit),
    /// A number followed by letters that are not a duration unit, such as `5parsecs`.
    BadNumber(String),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `,`
    Comma,
    /// `:`
    Colon,
    /// `.`
    Dot,
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
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/` as division.
    Slash,
    /// `%` as remainder.
    Percent,
    /// `!` not followed by `=`.
    Bang,
    /// End of input.
    Eof,
}

impl TokenKind {
    /// A short description for "expected X, found Y" messages.
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Ident(name) => format!("`{name}`"),
            TokenKind::Var(name) => format!("`${name}`"),
            TokenKind::CountVar(name) => format!("`#{name}`"),
            TokenKind::ListVar(name) => format!("`%{name}`"),
            TokenKind::Str(_) | TokenKind::RawStr(_) => "a string".to_string(),
            TokenKind::Regex(_) => "a regex literal".to_string(),
            TokenKind::Int(value) => format!("`{value}`"),
            TokenKind::Float(value) => format!("`{value}`"),
            TokenKind::Duration(value, unit) => format!("`{value}{}`", unit.suffix()),
            TokenKind::BadNumber(text) => format!("`{text}`"),
            TokenKind::Eof => "end of input".to_string(),
            other => format!("`{}`", other.punct_text()),
        }
    }

    fn punct_text(&self) -> &'static str {
        match self {
            TokenKind::LParen => "(",
            TokenKind::RParen => ")",
            TokenKind::LBracket => "[",
            TokenKind::RBracket => "]",
            TokenKind::LBrace => "{",
            TokenKind::RBrace => "}",
            TokenKind::Comma => ",",
            TokenKind::Colon => ":",
            TokenKind::Dot => ".",
            TokenKind::Eq => "=",
            TokenKind::Ne => "!=",
            TokenKind::Lt => "<",
            TokenKind::Le => "<=",
            TokenKind::Gt => ">",
            TokenKind::Ge => ">=",
            TokenKind::Plus => "+",
            TokenKind::Minus => "-",
            TokenKind::Star => "*",
            TokenKind::Slash => "/",
            TokenKind::Percent => "%",
            TokenKind::Bang => "!",
            _ => "?",
        }
    }

    /// Whether this token ends an operand, so that a following `/` is division.
    fn ends_operand(&self) -> bool {
        match self {
            TokenKind::Ident(name) => !matches!(
                name.to_ascii_lowercase().as_str(),
                "and" | "or" | "not" | "in" | "regex" | "cidr"
            ),
            TokenKind::Var(_)
            | TokenKind::CountVar(_)
            | TokenKind::ListVar(_)
            | TokenKind::Str(_)
            | TokenKind::RawStr(_)
            | TokenKind::Regex(_)
            | TokenKind::Int(_)
            | TokenKind::Float(_)
            | TokenKind::Duration(..)
            | TokenKind::BadNumber(_)
            | TokenKind::RParen
            | TokenKind::RBracket => true,
            _ => false,
        }
    }
}

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Where it is.
    pub span: Span,
    /// Whether a line break (or the start of input) comes between the previous token and this one.
    pub line_start: bool,
}

impl Token {
    /// Whether this token is the keyword `word`, compared case-insensitively.
    pub fn is_keyword(&self, word: &str) -> bool {
        matches!(&self.kind, TokenKind::Ident(name) if name.eq_ignore_ascii_case(word))
    }
}

/// A `// line` or `/* block */` comment. Comments are not tokens; the formatter reads them to
/// put them back into the text it prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comment {
    /// The comment, from its `//` or `/*` to its last character (the closing `*/`, or the
    /// character before the line break).
    pub span: Span,
}

/// The result of lexing a whole text.
#[derive(Debug, Clone, Default)]
pub struct Lexed {
    /// The tokens; the last one is always [`TokenKind::Eof`].
    pub tokens: Vec<Token>,
    /// Every comment, in source order.
    pub comments: Vec<Comment>,
    /// Lexical errors.
    pub errors: Vec<Diagnostic>,
}

/// Splits `text` into tokens. The last token is always [`TokenKind::Eof`]. Lexical errors are
/// returned as diagnostics; the offending characters are skipped.
pub fn tokenize(text: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let lexed = lex(text);
    (lexed.tokens, lexed.errors)
}

/// Splits `text` into tokens and comments.
pub fn lex(text: &str) -> Lexed {
    let mut lexer = Lexer { text, bytes: text.as_bytes(), pos: 0, out: Lexed::default() };
    lexer.run();
    lexer.out
}

struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    out: Lexed,
}

impl Lexer<'_> {
    fn peek_at(&self, offset: usize) -> u8 {
        self.bytes.get(self.pos + offset).copied().unwrap_or(0)
    }

    fn run(&mut self) {
        // A byte order mark, as some Windows editors write, is not part of the rule text.
        if self.text.starts_with('\u{feff}') {
            self.pos = '\u{feff}'.len_utf8();
        }
        let mut line_start = true;
        loop {
            line_start |= self.skip_trivia();
            let start = self.pos;
            if start >= self.bytes.len() {
                self.push(TokenKind::Eof, start, line_start);
                return;
            }
            if let Some(kind) = self.next_kind() {
                self.push(kind, start, line_start);
                line_start = false;
            }
        }
    }

    fn push(&mut self, kind: TokenKind, start: usize, line_start: bool) {
        self.out.tokens.push(Token { kind, span: Span::new(start, self.pos), line_start });
    }

    fn error(&mut self, start: usize, end: usize, message: impl Into<String>) {
        self.out.errors.push(Diagnostic::error(Span::new(start, end), message));
    }

    /// Skips whitespace and comments; returns whether a line break was skipped.
    fn skip_trivia(&mut self) -> bool {
        let mut newline = false;
        loop {
            match self.peek_at(0) {
                b'\n' => {
                    newline = true;
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => self.pos += 1,
                b'/' if self.peek_at(1) == b'/' => {
                    let start = self.pos;
                    while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                    // A CRLF line break leaves its `\r` out of the comment.
                    let end = if self.text[start..self.pos].ends_with('\r') {
                        self.pos - 1
                    } else {
                        self.pos
                    };
                    self.out.comments.push(Comment { span: Span::new(start, end) });
                }
                b'/' if self.peek_at(1) == b'*' => {
                    let start = self.pos;
                    match self.text[self.pos + 2..].find("*/") {
                        Some(end) => {
                            let comment = &self.text[self.pos..self.pos + 2 + end];
                            newline |= comment.contains('\n');
                            self.pos += end + 4;
                            self.out.comments.push(Comment { span: Span::new(start, self.pos) });
                        }
                        None => {
                            self.pos = self.bytes.len();
                            self.error(start, start + 2, "unterminated block comment");
                        }
                    }
                }
                _ => return newline,
            }
        }
    }

    fn next_kind(&mut self) -> Option<TokenKind> {
        let start = self.pos;
        let byte = self.bytes[start];
        let single = |kind: TokenKind, lexer: &mut Self| {
            lexer.pos += 1;
            Some(kind)
        };
        match byte {
            b'(' => single(TokenKind::LParen, self),
            b')' => single(TokenKind::RParen, self),
            b'[' => single(TokenKind::LBracket, self),
            b']' => single(TokenKind::RBracket, self),
            b'{' => single(TokenKind::LBrace, self),
            b'}' => single(TokenKind::RBrace, self),
            b',' => single(TokenKind::Comma, self),
            b':' => single(TokenKind::Colon, self),
            b'.' => single(TokenKind::Dot, self),
            b'=' if self.peek_at(1) == b'=' => {
                // `==` is not YARA-L. It lexes as `=` so that the parser goes on and reports
                // the rule's other errors too.
                self.pos += 2;
                self.out.errors.push(
                    Diagnostic::error(Span::new(start, self.pos), "`==` is not a YARA-L operator")
                        .with_help("compare with a single `=`"),
                );
                Some(TokenKind::Eq)
            }
            b'=' => single(TokenKind::Eq, self),
            b'!' if self.peek_at(1) == b'=' => {
                self.pos += 2;
                Some(TokenKind::Ne)
            }
            b'!' => single(TokenKind::Bang, self),
            b'<' if self.peek_at(1) == b'=' => {
                self.pos += 2;
                Some(TokenKind::Le)
            }
            b'<' => single(TokenKind::Lt, self),
            b'>' if self.peek_at(1) == b'=' => {
                self.pos += 2;
                Some(TokenKind::Ge)
            }
            b'>' => single(TokenKind::Gt, self),
            b'+' => single(TokenKind::Plus, self),
            b'-' => single(TokenKind::Minus, self),
            b'*' => single(TokenKind::Star, self),
            b'/' => {
                let after_operand = self.out.tokens.last().is_some_and(|t| t.kind.ends_operand());
                if after_operand {
                    single(TokenKind::Slash, self)
                } else {
                    self.regex()
                }
            }
            b'%' if is_ident_start(self.peek_at(1)) => {
                self.pos += 1;
                Some(TokenKind::ListVar(self.ident()))
            }
            b'%' => single(TokenKind::Percent, self),
            b'$' | b'#' => {
                self.pos += 1;
                if !is_ident_start(self.peek_at(0)) {
                    self.error(
                        start,
                        self.pos,
                        format!("`{}` must be followed by a name", byte as char),
                    );
                    return None;
                }
                let name = self.ident();
                Some(if byte == b'$' { TokenKind::Var(name) } else { TokenKind::CountVar(name) })
            }
            b'"' => self.string(),
            b'`' => self.raw_string(),
            b'0'..=b'9' => self.number(),
            _ if is_ident_start(byte) => Some(TokenKind::Ident(self.ident())),
            _ => {
                let ch = self.text[start..].chars().next().unwrap_or('?');
                self.pos += ch.len_utf8();
                self.error(
                    start,
                    self.pos,
                    format!("unexpected character `{}`", ch.escape_default()),
                );
                None
            }
        }
    }

    fn ident(&mut self) -> String {
        let start = self.pos;
        while is_ident_continue(self.peek_at(0)) {
            self.pos += 1;
        }
        self.text[start..self.pos].to_string()
    }

    fn string(&mut self) -> Option<TokenKind> {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(ch) = self.text[self.pos..].chars().next() else {
                self.error(start, self.pos, "unterminated string literal");
                return Some(TokenKind::Str(value));
            };
            self.pos += ch.len_utf8();
            match ch {
                '"' => return Some(TokenKind::Str(value)),
                '\n' => {
                    self.pos -= 1;
                    self.error(
                        start,
                        self.pos,
                        "unterminated string literal: the line ends before the closing `\"`",
                    );
                    return Some(TokenKind::Str(value));
                }
                '\\' => {
                    let Some(escaped) = self.text[self.pos..].chars().next() else { continue };
                    if escaped == '\n' {
                        continue;
                    }
                    self.pos += escaped.len_utf8();
                    value.push(match escaped {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        // `\\`, `\"`, `\'` and any other `\x` stand for the character itself.
                        other => other,
                    });
                }
                other => value.push(other),
            }
        }
    }

    fn raw_string(&mut self) -> Option<TokenKind> {
        let start = self.pos;
        match self.text[start + 1..].find('`') {
            Some(len) => {
                self.pos = start + 1 + len + 1;
                Some(TokenKind::RawStr(self.text[start + 1..start + 1 + len].to_string()))
            }
            None => {
                self.pos = self.bytes.len();
                self.error(start, start + 1, "unterminated raw string: no closing backquote");
                Some(TokenKind::RawStr(self.text[start + 1..].to_string()))
            }
        }
    }

    fn regex(&mut self) -> Option<TokenKind> {
        let start = self.pos;
        self.pos += 1;
        let mut pattern = String::new();
        loop {
            let Some(ch) = self.text[self.pos..].chars().next() else {
                self.error(start, self.pos, "unterminated regex literal: no closing `/`");
                return Some(TokenKind::Regex(pattern));
            };
            match ch {
                '/' => {
                    self.pos += 1;
                    return Some(TokenKind::Regex(pattern));
                }
                '\n' => {
                    self.error(
                        start,
                        self.pos,
                        "unterminated regex literal: the line ends before the closing `/`",
                    );
                    return Some(TokenKind::Regex(pattern));
                }
                '\\' if self.peek_at(1) == b'/' => {
                    self.pos += 2;
                    pattern.push('/');
                }
                '\\' => {
                    self.pos += 1;
                    pattern.push('\\');
                    if let Some(next) = self.text[self.pos..].chars().next() {
                        if next != '\n' {
                            self.pos += next.len_utf8();
                            pattern.push(next);
                        }
                    }
                }
                other => {
                    self.pos += other.len_utf8();
                    pattern.push(other);
                }
            }
        }
    }

    fn number(&mut self) -> Option<TokenKind> {
        let start = self.pos;
        while self.peek_at(0).is_ascii_digit() {
            self.pos += 1;
        }
        let is_float = self.peek_at(0) == b'.' && self.peek_at(1).is_ascii_digit();
        if is_float {
            self.pos += 1;
            while self.peek_at(0).is_ascii_digit() {
                self.pos += 1;
            }
        }
        let digits_end = self.pos;
        if is_ident_start(self.peek_at(0)) {
            let suffix = self.ident();
            let text = &self.text[start..self.pos];
            let unit = match suffix.as_str() {
                "s" => Some(DurationUnit::Second),
                "m" => Some(DurationUnit::Minute),
                "h" => Some(DurationUnit::Hour),
                "d" => Some(DurationUnit::Day),
                _ => None,
            };
            return match (unit, is_float, self.text[start..digits_end].parse::<u64>()) {
                (Some(unit), false, Ok(value)) => Some(TokenKind::Duration(value, unit)),
                _ => Some(TokenKind::BadNumber(text.to_string())),
            };
        }
        let text = &self.text[start..digits_end];
        if is_float {
            return Some(TokenKind::Float(text.parse().unwrap_or(0.0)));
        }
        match text.parse::<i64>() {
            Ok(value) => Some(TokenKind::Int(value)),
            Err(_) => {
                self.error(
                    start,
                    digits_end,
                    format!("integer literal `{text}` does not fit in 64 bits"),
                );
                Some(TokenKind::Int(i64::MAX))
            }
        }
    }
}

fn is_ident_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_'
}

fn is_ident_continue(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        let (tokens, errors) = tokenize(text);
        assert!(errors.is_empty(), "unexpected lexer errors: {errors:?}");
        tokens.into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn string_escapes_resolved() {
        let tokens = kinds(r#""a\\b\"c\nd\te\rf\'g\xh""#);
        assert_eq!(tokens[0], TokenKind::Str("a\\b\"c\nd\te\rf'gxh".to_string()));
    }

    #[test]
    fn raw_string_keeps_backslashes() {
        assert_eq!(kinds(r"`a\.b`")[0], TokenKind::RawStr(r"a\.b".to_string()));
    }

    #[test]
    fn regex_after_operator_division_after_operand() {
        let tokens = kinds(r"$e.f = /a\/b\.c/ nocase");
        assert_eq!(tokens[4], TokenKind::Regex(r"a/b\.c".to_string()));
        let tokens = kinds("$a / 2");
        assert_eq!(tokens[1], TokenKind::Slash);
    }

    #[test]
    fn durations_and_bad_units() {
        let tokens = kinds("5m 1h 2d 30s 5parsecs 1.5 7");
        assert_eq!(tokens[0], TokenKind::Duration(5, DurationUnit::Minute));
        assert_eq!(tokens[1], TokenKind::Duration(1, DurationUnit::Hour));
        assert_eq!(tokens[2], TokenKind::Duration(2, DurationUnit::Day));
        assert_eq!(tokens[3], TokenKind::Duration(30, DurationUnit::Second));
        assert_eq!(tokens[4], TokenKind::BadNumber("5parsecs".to_string()));
        assert_eq!(tokens[5], TokenKind::Float(1.5));
        assert_eq!(tokens[6], TokenKind::Int(7));
    }

    #[test]
    fn comments_skipped_and_lines_tracked() {
        let (tokens, errors) = tokenize("a // x\n/* y\n */ b /* z */ c");
        assert!(errors.is_empty());
        assert!(tokens[0].line_start);
        assert!(tokens[1].line_start);
        assert!(!tokens[2].line_start);
    }

    #[test]
    fn sigils_and_percent() {
        let tokens = kinds("%list %t.col #e $x % 2 !$e != 1");
        assert_eq!(tokens[0], TokenKind::ListVar("list".to_string()));
        assert_eq!(tokens[1], TokenKind::ListVar("t".to_string()));
        assert_eq!(tokens[2], TokenKind::Dot);
        assert_eq!(tokens[4], TokenKind::CountVar("e".to_string()));
        assert_eq!(tokens[6], TokenKind::Percent);
        assert_eq!(tokens[8], TokenKind::Bang);
        assert_eq!(tokens[10], TokenKind::Ne);
    }

    #[test]
    fn comments_recorded_with_spans() {
        let text = "a // x\r\n/* y\n */ b";
        let lexed = lex(text);
        let spans: Vec<&str> = lexed
            .comments
            .iter()
            .map(|c| &text[c.span.start as usize..c.span.end as usize])
            .collect();
        assert_eq!(spans, ["// x", "/* y\n */"]);
    }

    #[test]
    fn double_equals_rejected() {
        let (tokens, errors) = tokenize("$a == 1");
        assert_eq!(tokens[1].kind, TokenKind::Eq);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].message, "`==` is not a YARA-L operator");
    }

    #[test]
    fn unterminated_literals_reported() {
        for text in ["\"abc", "`abc", "/abc", "/* abc", "\"a\nb\""] {
            let (_, errors) = tokenize(text);
            assert!(!errors.is_empty(), "no error for {text:?}");
        }
    }
}
