//! `dragnet check`: compile rules and print their diagnostics.

use anyhow::Result;
use yaral::{CheckOptions, Diagnostic, Severity, SourceFile};

use crate::cli::CheckArgs;
use crate::context;
use crate::ruleset;
use crate::runnable;
use crate::ExitStatus;

/// Totals over all files, for the closing summary.
#[derive(Debug, Default, PartialEq, Eq)]
struct Totals {
    files: usize,
    compiled: usize,
    rejected: usize,
    /// Errors outside any rule, such as text between rules.
    stray_errors: usize,
    warnings: usize,
}

/// Compiles every rule file, prints each diagnostic (as text on stderr, or as JSON lines on
/// stdout with `--json`), and ends with a summary on stderr. Exits 0 only when every rule
/// compiles and no file has errors outside its rules, and 2 when a path cannot be read.
pub fn run(args: &CheckArgs) -> Result<ExitStatus> {
    let files = match ruleset::read_rule_files(&args.paths) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitStatus::InvalidInput);
        }
    };
    let lists = match context::load_lists(&args.lists, false) {
        Ok(lists) => lists,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitStatus::InvalidInput);
        }
    };
    let options = CheckOptions {
        strict: args.strict,
        max_in_lists: args.in_limits.total,
        max_in_regex_lists: args.in_limits.regex,
        max_in_cidr_lists: args.in_limits.cidr,
        max_logical_operators: args.max_logical_operators,
        ..CheckOptions::default()
    };
    let mut totals = Totals { files: files.len(), ..Totals::default() };
    for file in &files {
        check_file(file, &options, args.json, &lists, &mut totals);
    }
    eprintln!("{}", summary(&totals));
    if totals.rejected == 0 && totals.stray_errors == 0 {
        Ok(ExitStatus::Success)
    } else {
        Ok(ExitStatus::Failure)
    }
}

fn check_file(
    file: &SourceFile,
    options: &CheckOptions,
    json: bool,
    lists: &enrich::ReferenceLists,
    totals: &mut Totals,
) {
    let output = yaral::compile(file, options);
    let engine_warnings: Vec<Diagnostic> = output
        .compiled
        .iter()
        .flat_map(|rule| runnable::engine_warnings(rule, lists, None))
        .collect();
    let mut diagnostics: Vec<&Diagnostic> = output.diagnostics.iter().collect();
    diagnostics.extend(output.rejected.iter().flat_map(|rule| &rule.diagnostics));
    diagnostics.extend(output.compiled.iter().flat_map(|rule| &rule.diagnostics));
    diagnostics.extend(&engine_warnings);
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    for diagnostic in &diagnostics {
        if json {
            println!("{}", yaral::render_json(diagnostic, file));
        } else {
            eprintln!("{}", yaral::render(diagnostic, file));
        }
    }
    let errors =
        |list: &[Diagnostic]| list.iter().filter(|d| d.severity == Severity::Error).count();
    totals.stray_errors += errors(&output.diagnostics);
    totals.warnings += diagnostics.iter().filter(|d| d.severity == Severity::Warning).count();
    totals.compiled += output.compiled.len();
    totals.rejected += output.rejected.len();
    if output.compiled.is_empty() && output.rejected.is_empty() && output.diagnostics.is_empty() {
        eprintln!("warning: {} contains no rule", file.name);
    }
}

fn summary(totals: &Totals) -> String {
    let plural = |count: usize, word: &str| {
        if count == 1 {
            format!("{count} {word}")
        } else {
            format!("{count} {word}s")
        }
    };
    let mut text = format!(
        "{} compiled, {} rejected, in {}",
        plural(totals.compiled, "rule"),
        plural(totals.rejected, "rule"),
        plural(totals.files, "file")
    );
    if totals.stray_errors > 0 {
        text.push_str(&format!("; {} outside rules", plural(totals.stray_errors, "error")));
    }
    if totals.warnings > 0 {
        text.push_str(&format!("; {}", plural(totals.warnings, "warning")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_dir::TestDir;
    use std::fs;

    fn temp_dir(name: &str) -> TestDir {
        TestDir::new(&format!("dragnet-check-{name}-"))
    }

    const GOOD: &str = "rule good {\n  meta:\n    author = \"a\"\n  events:\n    $e.metadata.event_type = \"USER_LOGIN\"\n  condition:\n    $e\n}\n";

    fn check(dir: &std::path::Path, strict: bool) -> ExitStatus {
        let args = CheckArgs {
            strict,
            json: false,
            in_limits: crate::cli::InLimits { total: 10, regex: 5, cidr: 5 },
            max_logical_operators: 1000,
            lists: Vec::new(),
            paths: vec![dir.to_path_buf()],
        };
        run(&args).expect("run")
    }

    #[test]
    fn check_passes_good_rules() {
        let dir = temp_dir("good");
        fs::write(dir.join("good.yaral"), GOOD).expect("write");
        assert_eq!(check(&dir, false), ExitStatus::Success);
        assert_eq!(check(&dir, true), ExitStatus::Success);
    }

    #[test]
    fn check_fails_on_one_bad_rule() {
        let dir = temp_dir("bad");
        fs::write(dir.join("good.yaral"), GOOD).expect("write");
        let bad = GOOD.replace("good", "bad").replace("USER_LOGIN", "LOGIN");
        fs::write(dir.join("bad.yaral"), bad).expect("write");
        assert_eq!(check(&dir, false), ExitStatus::Failure);
    }

    #[test]
    fn strict_rejects_extensions() {
        let dir = temp_dir("strict");
        let text = GOOD.replace(
            "$e.metadata.event_type = \"USER_LOGIN\"",
            "$e.principal.hostname in (\"a\", \"b\")",
        );
        fs::write(dir.join("list.yaral"), text).expect("write");
        assert_eq!(check(&dir, false), ExitStatus::Success);
        assert_eq!(check(&dir, true), ExitStatus::Failure);
    }

    /// A valid rule that Dragnet cannot run compiles, with the engine's reason as a warning.
    #[test]
    fn metrics_call_is_a_warning() {
        let text = "rule m {\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.ip = $ip\n  match:\n    $ip over 1h\n  outcome:\n    $fails = max(metrics.auth_attempts_fail(period:1d, window:30d, metric:value_sum, agg:max, principal.asset.ip:$ip))\n  condition:\n    $e\n}\n";
        let file = SourceFile::new("metrics.yaral", text);
        let options = CheckOptions { strict: true, ..CheckOptions::default() };
        let mut totals = Totals::default();
        check_file(&file, &options, false, &enrich::ReferenceLists::default(), &mut totals);
        assert_eq!(totals.compiled, 1);
        assert_eq!(totals.rejected, 0);
        assert_eq!(totals.warnings, 1);
    }

    #[test]
    fn check_missing_path_is_invalid_input() {
        let dir = temp_dir("missing");
        assert_eq!(check(&dir.join("absent.yaral"), false), ExitStatus::InvalidInput);
    }

    #[test]
    fn summary_counts_and_pluralises() {
        let totals = Totals { files: 1, compiled: 1, rejected: 2, stray_errors: 0, warnings: 1 };
        assert_eq!(summary(&totals), "1 rule compiled, 2 rules rejected, in 1 file; 1 warning");
    }
}
