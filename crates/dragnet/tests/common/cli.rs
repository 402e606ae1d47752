//! Running the real `dragnet` binary and writing its input files, for the CLI tests of rules
//! that read records loaded before the events.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the binary with `args`, without `RUST_LOG` from the environment.
pub fn dragnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dragnet"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the dragnet binary runs")
}

/// Runs `dragnet hunt` over `events` with the rules and one more option (`--entities PATH`,
/// `--data-tables DIR`), printing JSON lines.
pub fn hunt_with(rules: &Path, option: &str, value: &Path, events: &Path) -> Output {
    let path = |p: &Path| p.to_str().expect("temporary paths are UTF-8").to_owned();
    let (rules, value, events) = (path(rules), path(value), path(events));
    dragnet(&[
        "hunt",
        "--no-progress",
        "--output",
        "jsonl",
        "--rules",
        &rules,
        option,
        &value,
        &events,
    ])
}

/// Writes `text` to `name` under `dir`, creating folders as needed, and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&path, text).unwrap();
    path
}
