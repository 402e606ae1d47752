//! The HTML report of the demo hunt, rendered by headless Chromium.
//!
//! The test needs Debian's `chromium` package. Without it the test prints a message and
//! passes, unless `DRAGNET_REQUIRE_CHROMIUM` is set, as CI sets it after installing Chromium.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dragnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dragnet"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the dragnet binary runs")
}

fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var_os("DRAGNET_REQUIRE_CHROMIUM").is_none(),
            "DRAGNET_REQUIRE_CHROMIUM is set but no Chromium is installed"
        );
        eprintln!("chromium not installed; skipping the report rendering test");
    }
    found
}

/// Runs headless Chromium on a local file with no network access of its own.
fn headless(chromium: &Path, profile: &Path, extra: &[&str], page: &Path) -> Output {
    let url = format!("file://{}", page.display());
    Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1400,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("chromium runs")
}

fn attribute<'a>(dom: &'a str, name: &str) -> Option<&'a str> {
    let start = dom.find(&format!("{name}=\""))? + name.len() + 2;
    let end = dom[start..].find('"')? + start;
    Some(&dom[start..end])
}

#[test]
fn report_renders_every_detection() {
    let Some(chromium) = chromium() else { return };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-test");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("temp dir is writable");
    let page = dir.join("report.html");

    let hunt = dragnet(&["hunt", "--output", "jsonl", "--report", page.to_str().unwrap_or("")]);
    assert!(hunt.status.success(), "{}", String::from_utf8_lossy(&hunt.stderr));
    let detections = String::from_utf8_lossy(&hunt.stdout).lines().count();
    assert!(detections > 0);

    let dump = headless(&chromium, &dir.join("profile-dom"), &["--dump-dom"], &page);
    let dom = String::from_utf8_lossy(&dump.stdout);
    assert_eq!(attribute(&dom, "data-error"), None, "script error in the report");
    assert_eq!(attribute(&dom, "data-render"), Some("ok"), "the report did not finish drawing");
    assert_eq!(attribute(&dom, "data-detections"), Some(detections.to_string().as_str()));
    let markers = dom.matches("class=\"tl-det\"").count();
    assert_eq!(markers, detections, "every detection has a timeline marker");
    let entries = dom.matches("class=\"detection\"").count();
    assert_eq!(entries, detections, "every detection has an entry");

    let screenshot = dir.join("report.png");
    let shot = format!("--screenshot={}", screenshot.display());
    let output = headless(&chromium, &dir.join("profile-shot"), &[&shot], &page);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let size = fs::metadata(&screenshot).map(|m| m.len()).unwrap_or(0);
    assert!(size > 10_000, "screenshot {} is {size} bytes", screenshot.display());
    eprintln!("report screenshot kept at {}", screenshot.display());
}
