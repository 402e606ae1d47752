//! `dragnet check`: compile rules and print their diagnostics.

use anyhow::Result;
use yaral::{CheckOptions, Severity};

use crate::cli::CheckArgs;
use crate::ruleset;
use crate::ExitStatus;

/// Compiles every rule file, prints each diagnostic (as text, or as JSON lines with `--json`),
/// and ends with a count of compiled and rejected rules.
pub fn run(args: &CheckArgs) -> Result<ExitStatus> {
    let files = ruleset::read_rule_files(&args.paths)?;
    let options = CheckOptions { strict: args.strict, ..CheckOptions::default() };
    let mut compiled = 0usize;
    let mut rejected = 0usize;
    let mut errors_outside_rules = 0usize;
    for file in &files {
        let output = yaral::compile(file, &options);
        let mut diagnostics: Vec<&yaral::Diagnostic> = output.diagnostics.iter().collect();
        errors_outside_rules +=
            output.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
        for rule in &output.rejected {
            diagnostics.extend(&rule.diagnostics);
        }
        for rule in &output.compiled {
            diagnostics.extend(&rule.diagnostics);
        }
        diagnostics.sort_by_key(|d| d.span.start);
        for diagnostic in diagnostics {
            if args.json {
                println!("{}", yaral::render_json(diagnostic, file));
            } else {
                eprintln!("{}", yaral::render(diagnostic, file));
            }
        }
        compiled += output.compiled.len();
        rejected += output.rejected.len();
    }
    eprintln!("{compiled} rules compiled, {rejected} rejected, in {} files", files.len());
    if rejected == 0 && errors_outside_rules == 0 {
        Ok(ExitStatus::Success)
    } else {
        Ok(ExitStatus::Failure)
    }
}
