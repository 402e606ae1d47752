//! Benchmark: parse and check every rule of the shared corpus of real YARA-L rules.
//!
//! The corpus is read from `../shared/corpus/yaral` beside the repository; without it the
//! benchmark reports that and measures nothing.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion};
use yaral::{compile, CheckOptions, SourceFile};

fn corpus_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/yaral")).to_path_buf()
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

fn compile_corpus(c: &mut Criterion) {
    let mut paths = Vec::new();
    rule_files(&corpus_dir(), &mut paths);
    if paths.is_empty() {
        eprintln!("corpus not found at {}; nothing to measure", corpus_dir().display());
        return;
    }
    let sources: Vec<SourceFile> = paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            SourceFile::new(path.display().to_string(), text)
        })
        .collect();
    let options = CheckOptions::default();
    c.bench_function("compile the whole corpus", |b| {
        b.iter(|| {
            let mut compiled = 0;
            for source in &sources {
                compiled += compile(source, &options).compiled.len();
            }
            compiled
        })
    });
    c.bench_function("format the whole corpus", |b| {
        b.iter(|| sources.iter().filter(|source| yaral::format(source).is_ok()).count())
    });
}

criterion_group!(benches, compile_corpus);
criterion_main!(benches);
