//! Every corpus file a parser claims normalises with no rejected record.

mod common;

use std::path::Path;

use common::{corpus_dir, files_under, records_of};
use sources::{Format, Identities, Normalizer};

/// Corpus folders, relative to `logs/`, and the format each one's records must detect as.
const CLAIMED: &[(&str, Format)] = &[
    ("appomni-event-maturity-matrix/products/microsoft_365", Format::M365),
    ("elastic-integrations/o365_audit", Format::M365),
    ("elastic-integrations/azure_signinlogs", Format::Entra),
];

fn is_sample(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    !name.starts_with("LICENSE")
        && (name.ends_with(".json") || name.ends_with(".log") || name.ends_with(".jsonl"))
}

#[test]
fn claimed_corpus_files_normalise() {
    let logs = corpus_dir().join("logs");
    if !logs.is_dir() {
        eprintln!("corpus not found at {}; skipping", logs.display());
        return;
    }
    let mut failures = Vec::new();
    let mut records = 0;
    for (folder, format) in CLAIMED {
        let files: Vec<_> =
            files_under(&logs.join(folder)).into_iter().filter(|p| is_sample(p)).collect();
        assert!(!files.is_empty(), "no samples under {folder}");
        for path in files {
            let mut normalizer = Normalizer::new(Identities::new());
            for (line, record) in records_of(&path) {
                records += 1;
                let detected = record.as_object().and_then(sources::detect);
                if detected != Some(*format) && !record.is_array() {
                    failures.push(format!("{}:{line}: detected as {detected:?}", path.display()));
                }
                match normalizer.normalize(&record, Format::Auto) {
                    Ok(events) if events.is_empty() => {
                        failures.push(format!("{}:{line}: no event", path.display()))
                    }
                    Ok(events) => {
                        for event in events {
                            if event.get("metadata.event_timestamp").is_none() {
                                failures.push(format!("{}:{line}: no event time", path.display()));
                            }
                        }
                    }
                    Err(e) => failures.push(format!("{}:{line}: {e}", path.display())),
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {records} records failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
