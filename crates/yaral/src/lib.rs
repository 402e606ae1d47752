//! YARA-L 2.0: lexer, parser, syntax tree, diagnostics and semantic checks.
#![warn(missing_docs)]

pub mod ast;
pub mod diagnostic;

pub use diagnostic::{Diagnostic, Severity, SourceFile};
