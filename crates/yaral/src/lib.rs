//! YARA-L 2.0: lexer, parser, syntax tree, diagnostics and semantic checks.
//!
//! [`compile`] is the entry point: it parses a rule file and checks each rule, returning the
//! rules that passed and those that failed with their diagnostics. [`render`] prints a
//! diagnostic like a compiler error, and [`format()`] prints a rule file in canonical layout.
#![warn(missing_docs)]

pub mod ast;
pub mod check;
mod compile;
pub mod diagnostic;
pub mod format;
pub mod lexer;
pub mod parser;
pub mod re2;
mod render;
mod visit;

pub use check::CheckOptions;
pub use compile::{compile, parse, CompiledRule, FileOutput, RejectedRule};
pub use diagnostic::{Diagnostic, Severity, SourceFile};
pub use format::format;
pub use render::{render, render_json, JsonDiagnostic};
