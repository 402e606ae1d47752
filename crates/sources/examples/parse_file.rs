//! Prints the UDM events of a JSON file (one document, or one record per line) as JSONL.
//!
//! `cargo run -p sources --example parse_file -- FILE [FORMAT]`

use std::process::ExitCode;

use sources::{Format, Identities, Normalizer};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: parse_file FILE [FORMAT]");
        return ExitCode::from(2);
    };
    let format: Format = match args.next().map(|f| f.parse()).transpose() {
        Ok(f) => f.unwrap_or_default(),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut normalizer = Normalizer::new(Identities::new());
    let records: Vec<(usize, Result<serde_json::Value, _>)> =
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(doc) => vec![(1, Ok(doc))],
            Err(_) => text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(i, l)| (i + 1, serde_json::from_str(l)))
                .collect(),
        };
    for (line, record) in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{path}:{line}: invalid JSON: {e}");
                continue;
            }
        };
        match normalizer.normalize(&record, format) {
            Ok(events) => {
                for event in events {
                    println!("{}", udm::json::event_to_json(&event));
                }
            }
            Err(e) => eprintln!("{path}:{line}: {e}"),
        }
    }
    ExitCode::SUCCESS
}
