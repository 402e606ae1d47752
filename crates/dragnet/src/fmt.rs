//! `dragnet fmt`: rewrite rule files in the canonical layout of `yaral::format`, or with
//! `--check` list the files that are not in it.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use yaral::SourceFile;

use crate::cli::FmtArgs;
use crate::ruleset;
use crate::ExitStatus;

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Already in the canonical layout.
    Unchanged,
    /// Rewritten, or with `--check`, would be.
    Changed,
    /// Not valid UTF-8, not parseable, or not writable; the file is left as it was.
    Failed,
    /// Marked with [`SKIP_MARKER`], so kept exactly as written.
    Skipped,
}

/// A comment line that keeps a file out of formatting, for rule text kept exactly as
/// published.
const SKIP_MARKER: &str = "// dragnet-fmt: off";

/// Whether a file opts out of formatting with a [`SKIP_MARKER`] line.
fn is_skipped(text: &str) -> bool {
    text.lines().any(|line| line.trim_start().starts_with(SKIP_MARKER))
}

/// Formats every rule file named (folders are searched recursively), or standard input to
/// standard output when the only path is `-`. Exits 0 only when no file failed and, with
/// `--check`, no file needs formatting.
pub fn run(args: &FmtArgs) -> Result<ExitStatus> {
    let stdin = Path::new("-");
    if args.paths.len() == 1 && args.paths[0] == stdin {
        return format_stdin(args.check);
    }
    if args.paths.iter().any(|path| path == stdin) {
        eprintln!("error: `-` (standard input) must be the only path");
        return Ok(ExitStatus::InvalidInput);
    }
    let files = match ruleset::read_rule_files(&args.paths) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitStatus::InvalidInput);
        }
    };
    let (mut unchanged, mut changed, mut failed) = (0usize, 0usize, 0usize);
    let mut skipped = 0usize;
    for file in &files {
        match format_file(file, args.check) {
            Outcome::Skipped => skipped += 1,
            Outcome::Unchanged => unchanged += 1,
            Outcome::Changed => changed += 1,
            Outcome::Failed => failed += 1,
        }
    }
    let skipped_note =
        if skipped > 0 { format!(", {skipped} skipped ({SKIP_MARKER})") } else { String::new() };
    if args.check {
        let needs = if changed == 1 { "needs" } else { "need" };
        eprintln!(
            "{changed} of {} {needs} formatting, {failed} could not be formatted{skipped_note}",
            files_count(files.len())
        );
    } else {
        eprintln!(
            "{} formatted, {unchanged} unchanged, {failed} failed{skipped_note}",
            files_count(changed)
        );
    }
    let clean = failed == 0 && !(args.check && changed > 0);
    Ok(if clean { ExitStatus::Success } else { ExitStatus::Failure })
}

/// Formats a number of files: `1 file`, `2 files`.
fn files_count(count: usize) -> String {
    if count == 1 {
        "1 file".to_owned()
    } else {
        format!("{count} files")
    }
}

fn format_stdin(check: bool) -> Result<ExitStatus> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).context("cannot read standard input")?;
    let source = SourceFile::new("<stdin>", text);
    if is_skipped(&source.text) {
        if !check {
            print!("{}", source.text);
        }
        return Ok(ExitStatus::Success);
    }
    match yaral::format(&source) {
        Ok(formatted) if check => {
            let clean = formatted == source.text;
            if !clean {
                eprintln!("<stdin> needs formatting");
            }
            Ok(if clean { ExitStatus::Success } else { ExitStatus::Failure })
        }
        Ok(formatted) => {
            print!("{formatted}");
            Ok(ExitStatus::Success)
        }
        Err(diagnostics) => {
            for diagnostic in &diagnostics {
                eprintln!("{}", yaral::render(diagnostic, &source));
            }
            Ok(ExitStatus::Failure)
        }
    }
}

fn format_file(file: &SourceFile, check: bool) -> Outcome {
    let path = Path::new(&file.name);
    // The rule reader replaces invalid UTF-8 with U+FFFD, which must not be written back.
    match fs::read(path).map(String::from_utf8) {
        Ok(Ok(_)) => {}
        Ok(Err(_)) => {
            eprintln!("error: {} is not valid UTF-8; left unformatted", file.name);
            return Outcome::Failed;
        }
        Err(error) => {
            eprintln!("error: cannot read {}: {error}", file.name);
            return Outcome::Failed;
        }
    }
    if is_skipped(&file.text) {
        return Outcome::Skipped;
    }
    let formatted = match yaral::format(file) {
        Ok(formatted) => formatted,
        Err(diagnostics) => {
            for diagnostic in &diagnostics {
                eprintln!("{}", yaral::render(diagnostic, file));
            }
            return Outcome::Failed;
        }
    };
    if formatted == file.text {
        return Outcome::Unchanged;
    }
    if check {
        let line = first_difference(&file.text, &formatted);
        println!("{}:{line}: not formatted", file.name);
        return Outcome::Changed;
    }
    match write_replacing(path, &formatted) {
        Ok(()) => Outcome::Changed,
        Err(error) => {
            eprintln!("error: {error:#}");
            Outcome::Failed
        }
    }
}

/// The 1-based number of the first line that differs between two texts.
fn first_difference(before: &str, after: &str) -> usize {
    let same = before.lines().zip(after.lines()).take_while(|(a, b)| a == b).count();
    same + 1
}

/// Writes `text` to a temporary file beside `path` and renames it over `path`, so that an
/// interrupted run leaves either the old or the new file, never a truncated one. When `path`
/// is a symbolic link, the file it points to is replaced and the link kept, and the new file
/// gets the old one's permissions.
fn write_replacing(path: &Path, text: &str) -> Result<()> {
    let target =
        fs::canonicalize(path).with_context(|| format!("cannot read {}", path.display()))?;
    let permissions = fs::metadata(&target)
        .with_context(|| format!("cannot read {}", target.display()))?
        .permissions();
    let mut temporary = target.as_os_str().to_owned();
    temporary.push(".dragnet-fmt.tmp");
    let temporary = PathBuf::from(temporary);
    fs::write(&temporary, text).with_context(|| format!("cannot write {}", temporary.display()))?;
    fs::set_permissions(&temporary, permissions)
        .with_context(|| format!("cannot set the permissions of {}", temporary.display()))?;
    fs::rename(&temporary, &target).with_context(|| format!("cannot replace {}", target.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_dir::TestDir;
    use std::path::PathBuf;

    fn temp_dir(name: &str) -> TestDir {
        TestDir::new(&format!("dragnet-fmt-{name}-"))
    }

    const MESSY: &str =
        "rule r{meta: author=\"a\" events: $e.metadata.event_type=\"USER_LOGIN\" condition: $e}";

    #[test]
    fn fmt_rewrites_files() {
        let dir = temp_dir("rewrite");
        let path = dir.join("r.yaral");
        fs::write(&path, MESSY).expect("write");
        let args = FmtArgs { check: false, paths: vec![dir.to_path_buf()] };
        assert_eq!(run(&args).expect("run"), ExitStatus::Success);
        let text = fs::read_to_string(&path).expect("read");
        assert!(text.starts_with("rule r {\n  meta:\n    author = \"a\"\n"), "{text}");
        let again = FmtArgs { check: true, paths: vec![path] };
        assert_eq!(run(&again).expect("run"), ExitStatus::Success);
    }

    #[test]
    fn fmt_check_leaves_files_alone() {
        let dir = temp_dir("check");
        let path = dir.join("r.yaral");
        fs::write(&path, MESSY).expect("write");
        let args = FmtArgs { check: true, paths: vec![path.clone()] };
        assert_eq!(run(&args).expect("run"), ExitStatus::Failure);
        assert_eq!(fs::read_to_string(&path).expect("read"), MESSY);
    }

    #[test]
    fn fmt_keeps_marked_files() {
        let dir = temp_dir("marked");
        let path = dir.join("r.yaral");
        let marked = format!("{SKIP_MARKER}\n{MESSY}");
        fs::write(&path, &marked).expect("write");
        let args = FmtArgs { check: false, paths: vec![path.clone()] };
        assert_eq!(run(&args).expect("run"), ExitStatus::Success);
        assert_eq!(fs::read_to_string(&path).expect("read"), marked);
        let check = FmtArgs { check: true, paths: vec![path] };
        assert_eq!(run(&check).expect("run"), ExitStatus::Success);
    }

    #[test]
    fn fmt_skips_broken_files() {
        let dir = temp_dir("broken");
        let broken = dir.join("broken.yaral");
        fs::write(&broken, "rule r { events: $e.a = condition: $e }").expect("write");
        let binary = dir.join("binary.yaral");
        fs::write(&binary, b"rule r { meta: a = \"\xff\" }").expect("write");
        let args = FmtArgs { check: false, paths: vec![dir.to_path_buf()] };
        assert_eq!(run(&args).expect("run"), ExitStatus::Failure);
        let text = fs::read_to_string(&broken).expect("read");
        assert_eq!(text, "rule r { events: $e.a = condition: $e }");
        assert_eq!(fs::read(&binary).expect("read"), b"rule r { meta: a = \"\xff\" }");
    }

    #[cfg(unix)]
    #[test]
    fn fmt_keeps_links_and_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("links");
        let real = dir.join("real.yaral");
        fs::write(&real, MESSY).expect("write");
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).expect("chmod");
        let link = dir.join("link.yaral");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        let args = FmtArgs { check: false, paths: vec![link.clone()] };
        assert_eq!(run(&args).expect("run"), ExitStatus::Success);
        assert!(fs::symlink_metadata(&link).expect("link").file_type().is_symlink());
        assert!(fs::read_to_string(&real).expect("read").starts_with("rule r {\n"));
        let mode = fs::metadata(&real).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }

    #[test]
    fn fmt_missing_path_is_invalid_input() {
        let dir = temp_dir("missing");
        let args = FmtArgs { check: false, paths: vec![dir.join("absent.yaral")] };
        assert_eq!(run(&args).expect("run"), ExitStatus::InvalidInput);
        let mixed = FmtArgs { check: false, paths: vec![PathBuf::from("-"), dir.to_path_buf()] };
        assert_eq!(run(&mixed).expect("run"), ExitStatus::InvalidInput);
    }

    #[test]
    fn files_count_pluralises() {
        assert_eq!(files_count(0), "0 files");
        assert_eq!(files_count(1), "1 file");
        assert_eq!(files_count(2), "2 files");
    }

    #[test]
    fn first_difference_counts_lines() {
        assert_eq!(first_difference("a\nb\nc", "a\nB\nc"), 2);
        assert_eq!(first_difference("a", "b"), 1);
    }
}
