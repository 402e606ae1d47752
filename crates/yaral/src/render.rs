//! Diagnostic output: compiler-style text for people and a JSON form for editors and CI.

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity, SourceFile};

/// Renders a diagnostic like a compiler error:
///
/// ```text
/// error: unknown enum value "LOGIN" for metadata.event_type
///   --> rules/a.yaral:4:31
///    |
///  4 |     $e.metadata.event_type = "LOGIN"
///    |                              ^^^^^^^
///    = help: did you mean "USER_LOGIN"?
/// ```
pub fn render(diagnostic: &Diagnostic, source: &SourceFile) -> String {
    let severity = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let (line, column) = source.line_col(diagnostic.span.start);
    let (end_line, end_column) = source.line_col(diagnostic.span.end);
    let text = source.line_text(line);
    let gutter = line.to_string().len();
    let pad = " ".repeat(gutter);
    let mut out = format!("{severity}: {}\n", diagnostic.message);
    out.push_str(&format!("{pad} --> {}:{line}:{column}\n", source.name));
    out.push_str(&format!("{pad} |\n"));
    out.push_str(&format!("{line} | {}\n", text.replace('\t', " ")));
    // The caret runs to the end of the span, or to the end of the line when the span spans lines.
    let line_chars = text.chars().count();
    let last_column = if end_line == line { end_column } else { line_chars + 1 };
    let width = last_column.saturating_sub(column).max(1);
    let indent = " ".repeat(column.saturating_sub(1));
    out.push_str(&format!("{pad} | {indent}{}\n", "^".repeat(width)));
    if let Some(help) = &diagnostic.help {
        out.push_str(&format!("{pad} = help: {help}\n"));
    }
    out
}

/// A diagnostic with its position resolved, serialised for editors and CI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonDiagnostic {
    /// The file name as given to [`SourceFile::new`].
    pub file: String,
    /// 1-based line of the span's start.
    pub line: usize,
    /// 1-based column (in characters) of the span's start.
    pub column: usize,
    /// 1-based line of the span's end.
    pub end_line: usize,
    /// 1-based column (in characters) just past the span's end.
    pub end_column: usize,
    /// `error` or `warning`.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// How to fix it, if known.
    pub help: Option<String>,
}

impl JsonDiagnostic {
    /// Resolves a diagnostic's span against its source file.
    pub fn new(diagnostic: &Diagnostic, source: &SourceFile) -> JsonDiagnostic {
        let (line, column) = source.line_col(diagnostic.span.start);
        let (end_line, end_column) = source.line_col(diagnostic.span.end);
        JsonDiagnostic {
            file: source.name.clone(),
            line,
            column,
            end_line,
            end_column,
            severity: diagnostic.severity,
            message: diagnostic.message.clone(),
            help: diagnostic.help.clone(),
        }
    }
}

/// Serialises a diagnostic as one line of JSON (see [`JsonDiagnostic`]).
pub fn render_json(diagnostic: &Diagnostic, source: &SourceFile) -> String {
    serde_json::to_string(&JsonDiagnostic::new(diagnostic, source)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::Span;

    #[test]
    fn render_points_caret_at_span() {
        let source = SourceFile::new("a.yaral", "rule r {\n  events:\n    $e.x = \"LOGIN\"\n}\n");
        let start = source.text.find("\"LOGIN\"").unwrap_or(0);
        let diagnostic = Diagnostic::error(Span::new(start, start + 7), "unknown enum value")
            .with_help("did you mean \"USER_LOGIN\"?");
        let text = render(&diagnostic, &source);
        let expected = "error: unknown enum value\n  --> a.yaral:3:12\n  |\n3 |     $e.x = \"LOGIN\"\n  |            ^^^^^^^\n  = help: did you mean \"USER_LOGIN\"?\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn json_has_positions() {
        let source = SourceFile::new("a.yaral", "ab\ncd");
        let diagnostic = Diagnostic::warning(Span::new(3, 5), "w");
        let json = render_json(&diagnostic, &source);
        assert_eq!(
            json,
            r#"{"file":"a.yaral","line":2,"column":1,"end_line":2,"end_column":3,"severity":"warning","message":"w","help":null}"#
        );
    }
}
