//! `dragnet parse`: normalise logs and print the UDM events as JSON lines.

use std::io::{self, Write};

use anyhow::{Context as _, Result};

use crate::cli::ParseArgs;
use crate::context;
use crate::input;
use crate::normalize::{default_threads, normalize_inputs, Keep, Options};
use crate::parquet_input::ParquetOptions;
use crate::progress::Progress;
use crate::ExitStatus;

/// Prints every input's UDM events, one JSON object per line, and a count of rejected records.
pub fn run(args: &ParseArgs) -> Result<ExitStatus> {
    let format: sources::Format = match args.source.format.parse() {
        Ok(format) => format,
        Err(e) => {
            eprintln!("error: invalid --format: {e}");
            return Ok(ExitStatus::InvalidInput);
        }
    };
    let asn = context::load_asn_db(&args.source.asn_db, false)?;
    let identities = context::load_identities(args.source.identities.as_deref(), false)?;
    let inputs = match input::expand(&args.inputs) {
        Ok(inputs) => inputs,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitStatus::InvalidInput);
        }
    };
    let mut normalizer = sources::Normalizer::new(identities);
    crate::prelearn::learn_user_names(&inputs, format, &mut normalizer);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut write_error = None;
    let progress = Progress::new(true);
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
        asn.as_ref(),
        &progress,
        &options,
        |event, _| {
            if write_error.is_some() {
                return;
            }
            let json = udm::json::event_to_json(&event);
            let written = serde_json::to_writer(&mut out, &json)
                .map_err(io::Error::from)
                .and_then(|()| out.write_all(b"\n"));
            if let Err(e) = written {
                write_error = Some(e);
            }
        },
    );
    progress.finish();
    if let Some(e) = write_error {
        return Err(e).context("cannot write the events");
    }
    out.flush().context("cannot write the events")?;
    let rejected: u64 = stats.iter().map(|s| s.rejected).sum();
    let records: u64 = stats.iter().map(|s| s.records).sum();
    let failed = stats.iter().filter(|s| s.failed.is_some()).count();
    if failed > 0 {
        eprintln!("{records} records read, {rejected} rejected; {failed} of {} inputs not read to the end", stats.len());
    } else {
        eprintln!("{records} records read, {rejected} rejected");
    }
    // As in a hunt, an input of which nothing could be read fails the run, since its events
    // are missing from the output.
    let not_read = stats.iter().filter(|s| s.not_read()).count();
    if not_read > 0 {
        eprintln!("error: {not_read} of {} inputs could not be read", stats.len());
        return Ok(ExitStatus::Failure);
    }
    Ok(ExitStatus::Success)
}
