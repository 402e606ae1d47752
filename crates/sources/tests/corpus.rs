//! Every log sample in the shared corpus normalises with no rejected record, and is detected
//! as the source its folder holds.

mod common;

use std::path::Path;

use common::{corpus_dir, files_under, records_of};
use sources::{CsvFile, Format, Identities, Normalizer};

/// Corpus folders, relative to `logs/`, and the format each one's records must detect as.
const FOLDERS: &[(&str, Format)] = &[
    ("appomni-event-maturity-matrix/products/microsoft_365", Format::M365),
    ("appomni-event-maturity-matrix/products/okta", Format::Okta),
    ("appomni-event-maturity-matrix/products/salesforce", Format::Salesforce),
    ("elastic-integrations/o365_audit", Format::M365),
    ("elastic-integrations/azure_signinlogs", Format::Entra),
    ("elastic-integrations/salesforce", Format::Salesforce),
    ("derived/salesforce_elf_csv", Format::Salesforce),
];

fn is_sample(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    !name.starts_with("LICENSE")
        && [".json", ".log", ".jsonl", ".csv"].iter().any(|ext| name.ends_with(ext))
}

/// Normalises one file and returns one message per problem.
fn check_file(path: &Path, format: Format, records: &mut usize) -> Vec<String> {
    let mut failures = Vec::new();
    let mut normalizer = Normalizer::new(Identities::new());
    let check_events = |line: usize, events: Vec<udm::Event>, failures: &mut Vec<String>| {
        if events.is_empty() {
            failures.push(format!("{}:{line}: no event", path.display()));
        }
        for event in events {
            if event.get("metadata.event_timestamp").is_none() {
                failures.push(format!("{}:{line}: no event time", path.display()));
            }
            if event.get("metadata.event_type").is_none() {
                failures.push(format!("{}:{line}: no event type", path.display()));
            }
        }
    };
    if path.extension().is_some_and(|e| e == "csv") {
        let bytes = std::fs::read(path).unwrap_or_default();
        let file = match CsvFile::parse(&bytes) {
            Ok(file) => file,
            Err(e) => return vec![format!("{}: {e}", path.display())],
        };
        let headers: Vec<&str> = file.headers.iter().map(String::as_str).collect();
        for row in file.rows {
            *records += 1;
            let values = match row.values {
                Ok(values) => values,
                Err(e) => {
                    failures.push(format!("{}:{}: {e}", path.display(), row.line));
                    continue;
                }
            };
            let cells: Vec<&str> = values.iter().map(String::as_str).collect();
            match normalizer.normalize_csv_row(&headers, &cells, None) {
                Ok(events) => check_events(row.line, events, &mut failures),
                Err(e) => failures.push(format!("{}:{}: {e}", path.display(), row.line)),
            }
            // The CLI hands CSV rows over as JSON objects of strings, detected per record.
            let pairs = file.headers.iter().cloned().zip(values.into_iter().map(Into::into));
            let object = serde_json::Value::Object(pairs.collect());
            match normalizer.normalize(&object, Format::Auto) {
                Ok(events) => check_events(row.line, events, &mut failures),
                Err(e) => failures.push(format!("{}:{} as JSON: {e}", path.display(), row.line)),
            }
        }
        return failures;
    }
    for (line, record) in records_of(path) {
        *records += 1;
        if let Some(obj) = record.as_object() {
            let detected = sources::detect(obj);
            if detected != Some(format) {
                failures.push(format!("{}:{line}: detected as {detected:?}", path.display()));
            }
        }
        match normalizer.normalize(&record, Format::Auto) {
            Ok(events) => check_events(line, events, &mut failures),
            Err(e) => failures.push(format!("{}:{line}: {e}", path.display())),
        }
    }
    failures
}

#[test]
fn every_corpus_sample_normalises() {
    let logs = corpus_dir().join("logs");
    if !logs.is_dir() {
        eprintln!("corpus not found at {}; skipping", logs.display());
        return;
    }
    let mut failures = Vec::new();
    let mut records = 0;
    let mut covered = 0;
    for (folder, format) in FOLDERS {
        let files: Vec<_> =
            files_under(&logs.join(folder)).into_iter().filter(|p| is_sample(p)).collect();
        assert!(!files.is_empty(), "no samples under {folder}");
        for path in files {
            covered += 1;
            failures.extend(check_file(&path, *format, &mut records));
        }
    }
    let all = files_under(&logs).into_iter().filter(|p| is_sample(p)).count();
    assert_eq!(covered, all, "some corpus samples lie outside the folders this test knows");
    assert!(
        failures.is_empty(),
        "{} problems in {records} records:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
