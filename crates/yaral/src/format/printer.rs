//! The formatter's output buffer: lines with indentation, and the source comments woven back in
//! by position.
//!
//! Comments are not in the syntax tree, so the printer places each one by its source offset as
//! it prints the nodes in source order:
//! - a comment before a node that starts a line becomes its own line, above that node;
//! - a comment between two nodes of one output line moves to its own line above that line;
//! - a comment on the same source line as the last printed token stays at the end of the line.
//!
//! Every comment is printed exactly once and in source order, so formatting never drops one.
//! One blank line of the source between two statements or comments is kept; longer runs shrink
//! to one.

use crate::ast::Span;
use crate::lexer::Comment;

/// Lines longer than this are broken where the layout allows.
pub const MAX_WIDTH: usize = 100;

/// Spaces per indentation level.
pub const INDENT: usize = 2;

/// The output being built.
pub struct Printer<'a> {
    source: &'a str,
    comments: &'a [Comment],
    /// The first comment not printed yet.
    next_comment: usize,
    /// Completed lines, each ending in `\n`.
    out: String,
    /// The line being built, indentation included.
    line: String,
    /// The indentation of the line being built.
    indent: usize,
    /// Source offset just past the last token or comment printed.
    last_end: usize,
    /// Whether the next statement opens a section or a rule, where no blank line goes.
    at_block_start: bool,
}

impl<'a> Printer<'a> {
    pub fn new(source: &'a str, comments: &'a [Comment]) -> Printer<'a> {
        Printer {
            source,
            comments,
            next_comment: 0,
            out: String::new(),
            line: String::new(),
            indent: 0,
            last_end: 0,
            at_block_start: true,
        }
    }

    /// Returns the text, after printing the comments that follow the last node.
    pub fn finish(mut self) -> String {
        self.end_line();
        self.comments_before(self.source.len() + 1, 0);
        self.end_line();
        while self.out.ends_with("\n\n") {
            self.out.pop();
        }
        self.out
    }

    /// The current column, counted in characters.
    pub fn column(&self) -> usize {
        self.line.chars().count()
    }

    /// The indentation of the line being built.
    pub fn indent(&self) -> usize {
        self.indent
    }

    /// Whether the line being built has nothing but indentation.
    pub fn line_is_empty(&self) -> bool {
        self.line.trim().is_empty()
    }

    /// Marks the start of a rule's or a section's body: no blank line goes before its first
    /// statement.
    pub fn open_block(&mut self) {
        self.at_block_start = true;
    }

    /// Adds one blank line, unless the output already ends in one or is empty.
    pub fn blank_line(&mut self) {
        self.end_line();
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// Starts a statement that begins at source offset `start`: prints the comments before it,
    /// keeps a blank line that the source has before it, and opens a line at `indent`.
    pub fn start_statement(&mut self, start: u32, indent: usize) {
        self.end_line_before(start as usize);
        self.comments_before(start as usize, indent);
        if !self.at_block_start && self.blank_in_source(start as usize) {
            self.blank_line();
        }
        self.at_block_start = false;
        self.begin_line(indent);
    }

    /// Opens a continuation line at `indent`, after printing the comments that come before
    /// source offset `next` on lines of their own.
    pub fn break_line(&mut self, next: u32, indent: usize) {
        self.end_line_before(next as usize);
        self.comments_before(next as usize, indent);
        self.begin_line(indent);
    }

    /// Ends the line being built, after appending the comments that sit on the same source line
    /// as the last printed token.
    pub fn end_line(&mut self) {
        self.end_line_before(usize::MAX);
    }

    /// Ends the line being built like [`Printer::end_line`], but leaves the comments that start
    /// at or after `next`, the start of the next node, to that node.
    pub fn end_line_before(&mut self, next: usize) {
        if self.line_is_empty() {
            self.line.clear();
            return;
        }
        while let Some(comment) = self.comments.get(self.next_comment) {
            let start = comment.span.start as usize;
            let between = self.source.get(self.last_end.min(start)..start).unwrap_or("\n");
            if start < self.last_end || start >= next || between.contains('\n') {
                break;
            }
            self.line.push(' ');
            self.line.push_str(self.comment_text(comment));
            self.last_end = comment.span.end as usize;
            self.next_comment += 1;
        }
        self.out.push_str(self.line.trim_end());
        self.out.push('\n');
        self.line.clear();
    }

    /// Appends text that stands for the source range `span`. Comments before the range are
    /// printed first, and comments inside it right after, above the current line.
    pub fn write(&mut self, text: &str, span: Span) {
        self.comments_before(span.start as usize, self.indent);
        self.line.push_str(text);
        self.comments_before(span.end as usize, self.indent);
        self.last_end = self.last_end.max(span.end as usize);
    }

    /// Appends text that has no source range of its own, such as an operator.
    pub fn push(&mut self, text: &str) {
        self.line.push_str(text);
    }

    /// Whether a comment starts strictly inside `span`.
    pub fn has_comment_inside(&self, span: Span) -> bool {
        let rest = self.comments.get(self.next_comment..).unwrap_or(&[]);
        rest.iter().take_while(|c| c.span.start < span.end).any(|c| c.span.start > span.start)
    }

    /// Prints every comment that starts before `offset`: on lines of their own at `indent` when
    /// the current line is empty, or above the current line otherwise. Above a line that starts
    /// by closing a bracket, a comment lands inside the bracket, so it takes the indentation of
    /// the bracket's items, where formatting the output again would put it.
    pub fn comments_before(&mut self, offset: usize, indent: usize) {
        let closes = self.line.trim_start().starts_with([')', ']']);
        let indent = if closes { self.indent + 2 * INDENT } else { indent };
        while let Some(comment) = self.comments.get(self.next_comment) {
            let start = comment.span.start as usize;
            if start >= offset {
                break;
            }
            let text = self.comment_text(comment);
            if self.line_is_empty() {
                if !self.at_block_start && self.blank_in_source(start) {
                    self.blank_line();
                }
                self.at_block_start = false;
            }
            self.out.push_str(&" ".repeat(indent));
            self.out.push_str(text);
            self.out.push('\n');
            self.last_end = self.last_end.max(comment.span.end as usize);
            self.next_comment += 1;
        }
    }

    fn begin_line(&mut self, indent: usize) {
        self.indent = indent;
        self.line.clear();
        self.line.push_str(&" ".repeat(indent));
    }

    fn comment_text(&self, comment: &Comment) -> &'a str {
        self.source.get(comment.span.start as usize..comment.span.end as usize).unwrap_or("")
    }

    /// Whether the source has a blank line between the last printed item and `offset`.
    fn blank_in_source(&self, offset: usize) -> bool {
        let Some(between) = self.source.get(self.last_end.min(offset)..offset) else {
            return false;
        };
        let mut lines = between.split('\n');
        // The first piece ends the previous item's line and the last one starts this item's.
        lines.next();
        let middle: Vec<&str> = lines.collect();
        middle.len() >= 2 && middle[..middle.len() - 1].iter().any(|line| line.trim().is_empty())
    }
}
