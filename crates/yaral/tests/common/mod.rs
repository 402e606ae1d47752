//! Helpers shared by the integration tests: finding and reading the corpus of real rules.
//!
//! The corpus lives outside the repository, in `../shared/corpus/yaral`, and is read in place.
//! Tests that need it print a message and pass when it is absent.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use yaral::SourceFile;

/// Returns the corpus folder, whether or not it exists.
pub fn corpus_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/yaral")).to_path_buf()
}

/// Lists every rule file under the corpus, sorted by path. Returns `None`, after printing why,
/// when the corpus is absent.
pub fn corpus_files() -> Option<Vec<PathBuf>> {
    let dir = corpus_dir();
    if !dir.is_dir() {
        eprintln!("corpus not found at {}; skipping", dir.display());
        return None;
    }
    let mut files = Vec::new();
    rule_files(&dir, &mut files);
    files.sort();
    Some(files)
}

fn rule_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rule_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaral" || e == "yl2") {
            out.push(path);
        }
    }
}

/// Whether a corpus file is one of the conformance files that must be rejected.
pub fn is_invalid(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == "invalid")
}

/// Returns the path relative to the corpus folder, with `/` separators, for messages.
pub fn relative(path: &Path) -> String {
    let relative = path.strip_prefix(corpus_dir()).unwrap_or(path);
    relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Reads a rule file, named by its corpus-relative path in diagnostics.
pub fn load(path: &Path) -> SourceFile {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    SourceFile::new(relative(path), text)
}
