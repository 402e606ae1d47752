//! The bundled UNC6040 rule pack: portable to Google SecOps and formatted, apart from the rule
//! kept exactly as published.

use std::path::PathBuf;
use std::process::{Command, Output};

fn dragnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dragnet"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the dragnet binary runs")
}

fn pack() -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules/unc6040");
    dir.display().to_string()
}

#[test]
fn pack_is_portable_but_for_published_text() {
    let output = dragnet(&["check", "--strict", &pack()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("8 rules compiled, 1 rule rejected"), "{stderr}");
    let rejected: Vec<&str> = stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("--> "))
        .filter(|l| !l.contains("_as_published.yaral"))
        .collect();
    assert!(rejected.is_empty(), "diagnostics outside the as-published rule:\n{stderr}");
}

#[test]
fn pack_compiles_in_default_dialect() {
    let output = dragnet(&["check", &pack()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("9 rules compiled"), "{stderr}");
}

#[test]
fn pack_is_formatted() {
    let output = dragnet(&["fmt", "--check", &pack()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}\n{}", String::from_utf8_lossy(&output.stdout));
}
