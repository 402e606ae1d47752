//! Finding rule files, compiling them, and reporting the rules that do not compile.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use yaral::{CheckOptions, Diagnostic, Severity, SourceFile};

use crate::bundled;

/// Extensions of rule files searched in folders.
const RULE_EXTENSIONS: &[&str] = &["yaral", "yl2", "yara-l", "yaral2"];

/// Reads the rule files named on the command line (files, or folders searched recursively), or
/// the bundled pack when `paths` is empty.
pub fn read_rule_files(paths: &[PathBuf]) -> Result<Vec<SourceFile>> {
    if paths.is_empty() {
        let files = bundled::files_under(bundled::RULES_DIR)
            .filter(|(path, _)| has_rule_extension(Path::new(path)))
            .map(|(path, bytes)| SourceFile::new(path, String::from_utf8_lossy(bytes)))
            .collect();
        return Ok(files);
    }
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    for path in paths {
        if path.is_dir() {
            collect_rule_paths(path, &mut seen, &mut found)?;
        } else if path.exists() {
            found.push(path.clone());
        } else {
            anyhow::bail!("rule path not found: {}", path.display());
        }
    }
    found
        .into_iter()
        .map(|path| {
            let text = fs::read(&path)
                .with_context(|| format!("cannot read rule file {}", path.display()))?;
            Ok(SourceFile::new(path.display().to_string(), String::from_utf8_lossy(&text)))
        })
        .collect()
}

fn has_rule_extension(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| RULE_EXTENSIONS.contains(&e))
}

/// Collects rule files under `dir`, in sorted order. Each folder is read once, by its
/// canonical path, so a link back to a parent folder neither loops nor loads rules twice.
fn collect_rule_paths(
    dir: &Path,
    seen: &mut HashSet<PathBuf>,
    out: &mut Vec<PathBuf>,
) -> Result<()> {
    let canonical = fs::canonicalize(dir)
        .with_context(|| format!("cannot read rule folder {}", dir.display()))?;
    if !seen.insert(canonical) {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("cannot list rule folder {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect_rule_paths(&entry, seen, out)?;
        } else if has_rule_extension(&entry) {
            let file = fs::canonicalize(&entry).unwrap_or_else(|_| entry.clone());
            if seen.insert(file) {
                out.push(entry);
            }
        }
    }
    Ok(())
}

/// A rule that was not loaded, with the reason shown in the summary.
#[derive(Debug, Clone)]
pub struct RejectedRule {
    /// `file` or `file: rule`.
    pub name: String,
    /// The first error's message.
    pub reason: String,
}

/// The outcome of compiling every rule file.
pub struct LoadedRules {
    /// Rules ready to run.
    pub rules: Vec<engine::Rule>,
    /// Rules that were rejected.
    pub rejected: Vec<RejectedRule>,
}

/// Compiles every rule of every file: the front end first, then the engine's own checks (lists
/// that exist, functions it can run). Each diagnostic is printed to stderr as it is found; a
/// rejected rule does not stop the others.
pub fn compile_rules(
    files: &[SourceFile],
    options: &CheckOptions,
    ctx: &engine::Context,
) -> LoadedRules {
    let mut loaded = LoadedRules { rules: Vec::new(), rejected: Vec::new() };
    // Rule name to the file that defined it first: detections carry only the name, so two
    // rules of one name cannot be told apart in the output.
    let mut names: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for file in files {
        let output = yaral::compile(file, options);
        report(file, &output.diagnostics);
        for diagnostic in output.diagnostics.iter().filter(|d| d.severity == Severity::Error) {
            loaded
                .rejected
                .push(RejectedRule { name: file.name.clone(), reason: diagnostic.message.clone() });
        }
        for rejected in &output.rejected {
            report(file, &rejected.diagnostics);
            loaded.rejected.push(RejectedRule {
                name: rule_label(file, rejected.name.as_deref()),
                reason: first_error(&rejected.diagnostics),
            });
        }
        for compiled in output.compiled {
            report(file, &compiled.diagnostics);
            match names.get(&compiled.name) {
                Some(first) if first != &file.name => eprintln!(
                    "warning: rule `{}` in {} has the same name as a rule in {first}; their \
                     detections cannot be told apart, so rename one",
                    compiled.name, file.name
                ),
                Some(_) => {}
                None => {
                    names.insert(compiled.name.clone(), file.name.clone());
                }
            }
            match engine::Rule::compile(&compiled.rule, &compiled.text, ctx) {
                Ok(rule) => {
                    report(file, rule.warnings());
                    loaded.rules.push(rule);
                }
                Err(diagnostics) => {
                    report(file, &diagnostics);
                    loaded.rejected.push(RejectedRule {
                        name: rule_label(file, Some(&compiled.name)),
                        reason: first_error(&diagnostics),
                    });
                }
            }
        }
    }
    loaded
}

fn rule_label(file: &SourceFile, rule: Option<&str>) -> String {
    match rule {
        Some(rule) => format!("{}: {rule}", file.name),
        None => file.name.clone(),
    }
}

fn first_error(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)
        .or(diagnostics.first())
        .map_or_else(|| "rejected".to_owned(), |d| d.message.clone())
}

fn report(file: &SourceFile, diagnostics: &[Diagnostic]) {
    for diagnostic in diagnostics {
        eprintln!("{}", yaral::render(diagnostic, file));
    }
}
