//! Embeds the bundled rule pack, its list templates and the demo data into the binary, so that
//! `dragnet hunt` with no arguments works from any folder and after `cargo install`.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

/// Folders of the workspace whose files are bundled, relative to the workspace root.
const BUNDLED_DIRS: &[&str] = &["rules", "lists", "examples"];

/// Folders left out wherever they appear: the rule tests and their data (`rules/*/tests`) are
/// read by `dragnet test` from the checkout, never from the binary.
const SKIPPED_DIRS: &[&str] = &["tests"];

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest_dir.join("../..");
    let mut files = Vec::new();
    for dir in BUNDLED_DIRS {
        let path = root.join(dir);
        println!("cargo:rerun-if-changed={}", path.display());
        collect(&root, &path, &mut files);
    }
    files.sort();

    let mut out =
        String::from("/// Bundled files as (path relative to the workspace root, bytes).\n");
    out.push_str("pub static FILES: &[(&str, &[u8])] = &[\n");
    for (relative, absolute) in &files {
        out.push_str(&format!("    ({relative:?}, include_bytes!({absolute:?})),\n"));
    }
    out.push_str("];\n");
    let out_path = PathBuf::from(env::var("OUT_DIR").expect("set by cargo")).join("bundled.rs");
    fs::write(out_path, out).expect("OUT_DIR is writable");
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let hidden = name.starts_with('.');
        if hidden || (path.is_dir() && SKIPPED_DIRS.contains(&name)) {
            continue;
        }
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(relative) = path.strip_prefix(root) {
            let absolute = fs::canonicalize(&path).unwrap_or(path.clone());
            let relative = relative.to_string_lossy().replace('\\', "/");
            files.push((relative, absolute.to_string_lossy().into_owned()));
        }
    }
}
