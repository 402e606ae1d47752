//! Helpers shared by the integration tests: corpus access and UDM rendering.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use sources::{Format, Identities, Normalizer};

/// The shared corpus of third-party samples, read in place.
pub fn corpus_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus")).to_path_buf()
}

/// Every file under `dir`, sorted, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The JSON records of a file: a `.json` file is one document, other files one per line.
pub fn records_of(path: &Path) -> Vec<(usize, Value)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    if path.extension().is_some_and(|e| e == "json") {
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
        return vec![(1, value)];
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}:{}: not JSON: {e}", path.display(), i + 1));
            (i + 1, value)
        })
        .collect()
}

/// Normalises one record with a fresh normalizer and returns the events as proto3 JSON.
pub fn normalize_json(record: &Value, format: Format) -> Vec<Value> {
    let mut normalizer = Normalizer::new(Identities::new());
    normalizer
        .normalize(record, format)
        .unwrap_or_else(|e| panic!("record rejected: {e}"))
        .iter()
        .map(udm::json::event_to_json)
        .collect()
}

/// Asserts that two UDM JSON documents are equal, printing both in full when they differ.
pub fn assert_udm_eq(actual: &Value, expected: &Value) {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    assert!(
        actual == expected,
        "UDM differs.\n--- actual ---\n{}\n--- expected ---\n{}",
        pretty(actual),
        pretty(expected)
    );
}

/// Returns the string at a dotted path of a UDM JSON document, entering lists at index 0.
pub fn text_at<'a>(event: &'a Value, path: &str) -> Option<&'a str> {
    let mut current = event;
    for part in path.split('.') {
        current = match current {
            Value::Array(items) => items.first()?.get(part)?,
            other => other.get(part)?,
        };
    }
    match current {
        Value::Array(items) => items.first()?.as_str(),
        other => other.as_str(),
    }
}
