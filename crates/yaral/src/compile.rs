//! The compiler entry points: parse a rule file and check it rule by rule.

use crate::ast::{self, Ident, Span};
use crate::check::{check_rule, CheckOptions};
use crate::diagnostic::{Diagnostic, Severity, SourceFile};
use crate::parser::parse_file;

/// A rule that passed every check.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// The rule's name.
    pub name: String,
    /// The checked syntax tree.
    pub rule: ast::Rule,
    /// Warnings only.
    pub diagnostics: Vec<Diagnostic>,
    /// The rule's own source text, from `rule` to its closing brace, for versioning.
    pub text: String,
}

/// A rule that failed to parse or to check.
#[derive(Debug, Clone)]
pub struct RejectedRule {
    /// The rule's name, when the parser got that far.
    pub name: Option<String>,
    /// The rule block.
    pub span: Span,
    /// At least one error, plus any warnings.
    pub diagnostics: Vec<Diagnostic>,
}

/// The result of compiling one file.
#[derive(Debug, Clone, Default)]
pub struct FileOutput {
    /// Rules that passed, in source order.
    pub compiled: Vec<CompiledRule>,
    /// Rules that failed, in source order.
    pub rejected: Vec<RejectedRule>,
    /// Errors outside any rule, such as text between rules.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses a rule file into a syntax tree. Rules with syntax errors are left out of the tree;
/// the diagnostics list every error, sorted by position.
pub fn parse(source: &SourceFile) -> (ast::File, Vec<Diagnostic>) {
    parse_file(&source.text).into_file()
}

/// Parses and checks a rule file, rule by rule: an error in one rule rejects only that rule.
pub fn compile(source: &SourceFile, options: &CheckOptions) -> FileOutput {
    let parsed = parse_file(&source.text);
    let mut output = FileOutput { diagnostics: parsed.diagnostics, ..FileOutput::default() };
    let mut seen_names: Vec<&str> = Vec::new();
    for parsed_rule in &parsed.rules {
        let Some(ident) = &parsed_rule.name else { continue };
        if seen_names.contains(&ident.name.as_str()) {
            output.diagnostics.push(
                Diagnostic::warning(
                    ident.span,
                    format!("rule `{}` is defined more than once in this file", ident.name),
                )
                .with_help("rename one of them, so that their detections can be told apart"),
            );
        } else {
            seen_names.push(&ident.name);
        }
    }
    for parsed_rule in parsed.rules {
        let name = parsed_rule.name.as_ref().map(|n: &Ident| n.name.clone());
        let Some(rule) = parsed_rule.rule else {
            output.rejected.push(RejectedRule {
                name,
                span: parsed_rule.span,
                diagnostics: parsed_rule.diagnostics,
            });
            continue;
        };
        let mut diagnostics = check_rule(&rule, options);
        diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
        if diagnostics.iter().any(|d| d.severity == Severity::Error) {
            output.rejected.push(RejectedRule { name, span: rule.span, diagnostics });
        } else {
            let text = source.slice(rule.span).to_string();
            output.compiled.push(CompiledRule {
                name: rule.name.name.clone(),
                rule,
                diagnostics,
                text,
            });
        }
    }
    output
}
