//! The `dragnet` command: hunts, rule checks and log normalisation.

mod alloc;
mod bundled;
mod check;
mod cli;
mod context;
mod detection_sort;
mod fmt;
mod hunt;
mod input;
mod normalize;
mod output;
mod parquet_input;
mod parse;
mod pipeline;
mod prelearn;
mod progress;
mod report;
mod ruleset;
mod ruletest;
mod runnable;
mod shard;
mod stream;
mod summary;
mod suppress;
mod terminal;
#[cfg(test)]
mod test_dir;
mod watch;
mod zone;

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command};

/// The allocator of the whole program; see `Cargo.toml` for why.
#[global_allocator]
static ALLOCATOR: alloc::MiMalloc = alloc::MiMalloc;

/// Exit statuses of the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// The run completed, with or without detections.
    Success,
    /// A run that failed for a reason other than its arguments.
    Failure,
    /// Invalid arguments, or no rule could be compiled.
    InvalidInput,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        match status {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::InvalidInput => ExitCode::from(2),
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    let filter = cli.log.as_deref().map(EnvFilter::new).unwrap_or_else(|| {
        // The watch service logs its starts, stops and retries, so it shows `info`.
        let default = if matches!(cli.command, Command::Watch(_)) { "info" } else { "warn" };
        EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into())
    });
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .init();

    let result = match &cli.command {
        Command::Hunt(args) => hunt::run(args),
        Command::Check(args) => check::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Parse(args) => parse::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Test(args) => ruletest::run(args),
    };
    match result {
        Ok(status) => status.into(),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
