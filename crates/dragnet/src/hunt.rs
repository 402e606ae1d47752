//! `dragnet hunt`: run rules over stored logs and print the detections.

use std::io::{self, IsTerminal, Write};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result};

use crate::cli::{HuntArgs, OutputFormat};
use crate::context;
use crate::input::{self, Input, InputSource};
use crate::normalize::normalize_inputs;
use crate::output;
use crate::ruleset;
use crate::summary::Summary;
use crate::{bundled, ExitStatus};

/// Runs a hunt and returns the process's exit status.
pub fn run(args: &HuntArgs) -> Result<ExitStatus> {
    let started = Instant::now();
    let demo = args.inputs.is_empty();
    let format: sources::Format =
        args.source.format.parse().map_err(|e| anyhow::anyhow!("invalid --format: {e}"))?;

    let lists = context::load_lists(&args.lists, demo)?;
    let asn = context::load_asn_db(args.source.asn_db.as_deref(), demo)?.map(Arc::new);
    let identities = context::load_identities(args.source.identities.as_deref(), demo)?;
    let ctx = engine::Context { lists: Arc::new(lists), asn: asn.clone() };

    let rule_files = ruleset::read_rule_files(&args.rules)?;
    let loaded = ruleset::compile_rules(&rule_files, &yaral::CheckOptions::default(), &ctx);
    if loaded.rules.is_empty() {
        eprintln!("error: no rule could be compiled, so there is nothing to hunt with");
        return Ok(ExitStatus::InvalidInput);
    }
    let rule_count = loaded.rules.len();

    let inputs = if demo {
        demo_inputs()
    } else {
        match input::expand(&args.inputs) {
            Ok(inputs) => inputs,
            Err(e) => {
                eprintln!("error: {e:#}");
                return Ok(ExitStatus::InvalidInput);
            }
        }
    };
    let mut normalizer = sources::Normalizer::new(identities);
    let mut events = Vec::new();
    let stats = normalize_inputs(&inputs, format, &mut normalizer, asn.as_deref(), |event| {
        events.push(Arc::new(event));
    });

    // Hunts correlate in event-time order whatever the input order; a stable sort keeps the
    // input order among events with the same time.
    events.sort_by_key(|event| event.event_time());
    let mut engine = engine::Engine::new(loaded.rules);
    let mut detections = Vec::new();
    for event in events {
        detections.extend(engine.push(event));
    }
    detections.extend(engine.finish());
    detections
        .sort_by(|a, b| (a.window.0, &a.rule.name, &a.id).cmp(&(b.window.0, &b.rule.name, &b.id)));

    let format = args.output.unwrap_or(if io::stdout().is_terminal() {
        OutputFormat::Table
    } else {
        OutputFormat::Jsonl
    });
    let values: Vec<serde_json::Value> = detections
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()
        .context("cannot serialise a detection")?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    output::write(&mut out, format, &values).context("cannot write the detections")?;
    out.flush().context("cannot write the detections")?;

    let summary = Summary {
        rules_loaded: rule_count,
        rejected_rules: loaded.rejected,
        inputs: stats,
        detections: &values,
        elapsed: started.elapsed(),
    };
    eprint!("{}", summary.render());
    Ok(ExitStatus::Success)
}

fn demo_inputs() -> Vec<Input> {
    bundled::files_under(bundled::DEMO_LOGS_DIR)
        .map(|(path, bytes)| Input { name: path.to_owned(), source: InputSource::Bundled(bytes) })
        .collect()
}
