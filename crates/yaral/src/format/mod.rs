//! The formatter: prints a rule file in one canonical layout, keeping every comment.
//!
//! [`format`] parses the file, prints the syntax tree (see `layout` for the layout), and checks
//! its own output before returning it: the output must parse into the same tree, spans aside,
//! and hold the same comments in the same order. A file with syntax errors is not formatted.

mod layout;
mod printer;
pub(crate) mod text;

pub use text::format_float;

use crate::ast::File;
use crate::diagnostic::{Diagnostic, SourceFile};
use crate::lexer::lex;
use crate::parser::parse_file;

use printer::Printer;

/// Formats a rule file. Returns the syntax errors when the file does not parse.
///
/// An error at offset 0 that starts with "internal formatter error" means the output failed
/// the formatter's own check; the input is then left as it is.
pub fn format(source: &SourceFile) -> Result<String, Vec<Diagnostic>> {
    let (file, diagnostics) = parse_file(&source.text).into_file();
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    let lexed = lex(&source.text);
    let mut printer = Printer::new(&source.text, &lexed.comments);
    layout::file(&mut printer, &file);
    let output = printer.finish();
    verify(source, &file, &output)?;
    Ok(output)
}

/// Checks that `output` parses into `file` and keeps the comments of `source`.
fn verify(source: &SourceFile, file: &File, output: &str) -> Result<(), Vec<Diagnostic>> {
    let internal = |what: &str| {
        vec![Diagnostic::error(
            crate::ast::Span::default(),
            format!("internal formatter error: {what}; the file was left unformatted"),
        )]
    };
    let (reparsed, diagnostics) = parse_file(output).into_file();
    if !diagnostics.is_empty() {
        return Err(internal("the formatted text does not parse"));
    }
    if !same_tree(file, &reparsed) {
        return Err(internal("the formatted text parses into a different syntax tree"));
    }
    let comments = |text: &str| -> Vec<String> {
        lex(text)
            .comments
            .iter()
            .map(|c| text[c.span.start as usize..c.span.end as usize].to_string())
            .collect()
    };
    if comments(&source.text) != comments(output) {
        return Err(internal("the formatted text lost or reordered a comment"));
    }
    Ok(())
}

/// Whether two syntax trees are equal once every span is ignored.
pub fn same_tree(a: &File, b: &File) -> bool {
    match (serde_json::to_value(a), serde_json::to_value(b)) {
        (Ok(mut a), Ok(mut b)) => {
            erase_spans(&mut a);
            erase_spans(&mut b);
            a == b
        }
        _ => false,
    }
}

/// Replaces every serialised [`Span`](crate::ast::Span) (an object of exactly `start` and
/// `end`) with `null`.
fn erase_spans(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            let is_span = map.len() == 2 && map.contains_key("start") && map.contains_key("end");
            if is_span {
                *value = serde_json::Value::Null;
                return;
            }
            map.values_mut().for_each(erase_spans);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(erase_spans),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
