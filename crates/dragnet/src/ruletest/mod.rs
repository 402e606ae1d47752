//! `dragnet test`: run the rule tests kept beside the rules.
//!
//! Each `*.test.toml` file names rules, raw log inputs and the detections the rules must give
//! on them (see [`spec`]). The runner hunts the inputs exactly as `dragnet hunt` would, then
//! pairs expected and actual detections; any expected detection not found, or any detection
//! not expected, fails the test with both sides printed.

mod compare;
mod junit;
pub mod spec;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result};

use crate::cli::TestArgs;
use crate::context;
use crate::input;
use crate::normalize::{default_threads, normalize_inputs, Keep, Options};
use crate::parquet_input::ParquetOptions;
use crate::pipeline;
use crate::progress::Progress;
use crate::ruleset;
use crate::suppress::Suppressions;
use crate::ExitStatus;
use compare::compare;
use spec::TestSpec;

/// The result of one test file.
pub struct Outcome {
    /// The test file.
    pub path: PathBuf,
    /// Its description.
    pub description: String,
    /// The reason it failed, or `None` when it passed.
    pub failure: Option<String>,
    /// Seconds taken.
    pub seconds: f64,
}

/// Runs every test under the paths and prints a line per test.
pub fn run(args: &TestArgs) -> Result<ExitStatus> {
    let mut files = Vec::new();
    for path in &args.paths {
        collect(path, &mut files)?;
    }
    if files.is_empty() {
        eprintln!("error: no *.test.toml file found under the given paths");
        return Ok(ExitStatus::InvalidInput);
    }
    let mut outcomes = Vec::with_capacity(files.len());
    for file in files {
        let started = Instant::now();
        let (description, failure) = match TestSpec::load(&file) {
            Ok(spec) => {
                let failure = run_one(&spec).unwrap_or_else(|e| Some(format!("{e:#}")));
                (spec.description, failure)
            }
            Err(e) => (String::new(), Some(format!("{e:#}"))),
        };
        let outcome =
            Outcome { path: file, description, failure, seconds: started.elapsed().as_secs_f64() };
        print_outcome(&outcome);
        outcomes.push(outcome);
    }
    let failed = outcomes.iter().filter(|o| o.failure.is_some()).count();
    println!("\n{} passed, {failed} failed", outcomes.len() - failed);
    if let Some(path) = &args.junit {
        let xml = junit::render(&outcomes);
        fs::write(path, xml)
            .with_context(|| format!("cannot write the JUnit report {}", path.display()))?;
    }
    Ok(if failed == 0 { ExitStatus::Success } else { ExitStatus::Failure })
}

fn print_outcome(outcome: &Outcome) {
    let label = if outcome.description.is_empty() {
        String::new()
    } else {
        format!(": {}", outcome.description)
    };
    match &outcome.failure {
        None => println!("PASS {}{label}", outcome.path.display()),
        Some(reason) => {
            println!("FAIL {}{label}", outcome.path.display());
            for line in reason.lines() {
                println!("     {line}");
            }
        }
    }
}

/// Finds test files: a file as given, or every `*.test.toml` under a folder, sorted.
fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    if path.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if !path.is_dir() {
        anyhow::bail!("test path not found: {}", path.display());
    }
    let mut entries: Vec<PathBuf> = fs::read_dir(path)
        .with_context(|| format!("cannot list {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect(&entry, out)?;
        } else if entry.to_string_lossy().ends_with(".test.toml") {
            out.push(entry);
        }
    }
    Ok(())
}

/// Runs one test; `Ok(None)` when it passes, `Ok(Some(reason))` when it fails.
fn run_one(spec: &TestSpec) -> Result<Option<String>> {
    let lists = context::load_lists(&spec.lists, false)?;
    let asn = context::load_asn_db(spec.asn_db.as_slice(), false)?.map(Arc::new);
    let identities = context::load_identities(spec.identities.as_deref(), false)?;
    let suppressions = match &spec.suppressions {
        Some(path) => Suppressions::load(path, &lists)?,
        None => Suppressions::default(),
    };
    let entities = Arc::new(context::load_entities(&spec.entities)?.entities);
    let tables = Arc::new(context::load_tables(&spec.data_tables)?);
    let ctx = engine::Context { lists: Arc::new(lists), asn: asn.clone(), entities, tables };
    let files = ruleset::read_rule_files(&spec.rules)?;
    let loaded = ruleset::compile_rules(&files, &yaral::CheckOptions::default(), &ctx);
    if let Some(rejected) = loaded.rejected.first() {
        return Ok(Some(format!("rule {} does not compile: {}", rejected.name, rejected.reason)));
    }
    let format: sources::Format =
        spec.format.parse().map_err(|e| anyhow::anyhow!("invalid format: {e}"))?;
    let names: Vec<String> = spec.inputs.iter().map(|p| p.display().to_string()).collect();
    let inputs = input::expand(&names)?;
    let mut normalizer = sources::Normalizer::new(identities);
    crate::prelearn::learn_user_names(&inputs, format, &mut normalizer);
    let mut events = Vec::new();
    let progress = Progress::new(false);
    let options = Options {
        threads: default_threads(),
        keep: &|_, _| Keep::Yes,
        raw: None,
        cancel: None,
        reported: &[],
        parquet: &ParquetOptions::default(),
        projection: None,
        whole: None,
        always_projected: false,
    };
    let stats = normalize_inputs(
        &inputs,
        format,
        &mut normalizer,
        asn.as_deref(),
        &progress,
        &options,
        |e, _| events.push(e),
    );
    for input in &stats {
        if let Some(reason) = &input.failed {
            return Ok(Some(format!("input {} not read: {reason}", input.name)));
        }
        if input.rejected > 0 {
            return Ok(Some(format!(
                "input {} has {} rejected records; a test's logs must all normalise",
                input.name, input.rejected
            )));
        }
    }
    let detections = pipeline::correlate(loaded.rules, events, &suppressions);
    let actual: Vec<serde_json::Value> =
        detections.iter().map(engine::Detection::to_json).collect();
    Ok(compare(&spec.expect, &actual))
}
