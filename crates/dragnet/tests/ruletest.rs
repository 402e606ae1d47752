//! End-to-end tests of `dragnet test`: the real binary on the rule pack's own tests, on a test
//! that must fail, and on the JUnit report.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "common/test_dir.rs"]
mod test_dir;
use test_dir::TestDir;

fn dragnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dragnet"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the dragnet binary runs")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn temp_dir(name: &str) -> TestDir {
    TestDir::new(&format!("dragnet-ruletest-{name}-"))
}

/// Writes a test file that runs the bulk exfiltration rule on the pack's ApiEvent stream data,
/// with `expectations` as its `[[expect]]` entries.
fn write_test(dir: &Path, name: &str, expectations: &str) -> PathBuf {
    let pack = repo_root().join("rules/unc6040");
    let data = pack.join("tests/data");
    let text = format!(
        r#"description = "{name}"
rules = ["{rule}"]
inputs = ["{input}"]
lists = ["{lists}"]
asn_db = "{asn}"
identities = "{identities}"
{expectations}"#,
        rule = pack.join("unc6040_sf_bulk_exfiltration_non_integration_user.yaral").display(),
        input = data.join("salesforce/api_event/stream.jsonl").display(),
        lists = data.join("lists").display(),
        asn = data.join("asn.tsv").display(),
        identities = data.join("identities.csv").display(),
    );
    let path = dir.join(format!("{name}.test.toml"));
    fs::write(&path, text).expect("test file is writable");
    path
}

const CORRECT_OUTCOME: &str = r#"
[[expect]]
rule = "unc6040_sf_bulk_exfiltration_non_integration_user"
match = { user = "maria.lopez@example.com" }
outcome = { total_rows = 18000, risk_score = 75 }
"#;

const WRONG_OUTCOME: &str = r#"
[[expect]]
rule = "unc6040_sf_bulk_exfiltration_non_integration_user"
match = { user = "maria.lopez@example.com" }
outcome = { total_rows = 18000, risk_score = 90 }
"#;

#[test]
fn pack_tests_pass() {
    let pack = repo_root().join("rules/unc6040");
    let output = dragnet(&["test", &pack.display().to_string()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(!stdout.contains("FAIL "), "stdout:\n{stdout}");
    assert!(stdout.contains(" 0 failed"), "stdout:\n{stdout}");
}

#[test]
fn failing_test_prints_diff_and_exits_1() {
    let dir = temp_dir("failing");
    let test = write_test(&dir, "wrong_risk_score", WRONG_OUTCOME);
    let output = dragnet(&["test", &test.display().to_string()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "stdout:\n{stdout}");
    assert!(stdout.contains("FAIL "), "stdout:\n{stdout}");
    assert!(stdout.contains("- expected, not found:"), "stdout:\n{stdout}");
    assert!(stdout.contains("\"risk_score\":90"), "the expectation is shown:\n{stdout}");
    assert!(stdout.contains("actual of that rule:"), "stdout:\n{stdout}");
    assert!(stdout.contains("\"risk_score\":75"), "the actual detection is shown:\n{stdout}");
    assert!(stdout.contains("0 passed, 1 failed"), "stdout:\n{stdout}");
}

#[test]
fn negative_test_with_detection_fails() {
    let dir = temp_dir("negative");
    let test = write_test(&dir, "expects_nothing", "");
    let output = dragnet(&["test", &test.display().to_string()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "stdout:\n{stdout}");
    assert!(stdout.contains("+ found, not expected:"), "stdout:\n{stdout}");
    assert!(stdout.contains("maria.lopez@example.com"), "stdout:\n{stdout}");
}

#[test]
fn junit_report_is_valid_xml() {
    let dir = temp_dir("junit");
    write_test(&dir, "passes", CORRECT_OUTCOME);
    write_test(&dir, "fails", WRONG_OUTCOME);
    let report = dir.join("report.xml");
    let output =
        dragnet(&["test", "--junit", &report.display().to_string(), &dir.display().to_string()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "stdout:\n{stdout}");

    let xml = fs::read_to_string(&report).expect("the JUnit report is written");
    let doc = roxmltree::Document::parse(&xml).expect("the JUnit report is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("2"));
    assert_eq!(root.attribute("failures"), Some("1"));

    let suite = root.children().find(|n| n.has_tag_name("testsuite")).expect("one testsuite");
    assert_eq!(suite.attribute("tests"), Some("2"));
    assert_eq!(suite.attribute("failures"), Some("1"));
    let cases: Vec<_> = suite.children().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 2);
    for case in &cases {
        let time = case.attribute("time").expect("every test case has a time");
        assert!(time.parse::<f64>().is_ok(), "time {time:?} is a number");
    }

    let failed: Vec<_> = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .map(|c| c.attribute("name").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(failed.len(), 1, "{xml}");
    assert!(failed[0].ends_with("fails.test.toml"), "{failed:?}");
    let failure = cases
        .iter()
        .flat_map(|c| c.children())
        .find(|n| n.has_tag_name("failure"))
        .expect("one failure element");
    let body = failure.text().unwrap_or_default();
    assert!(body.contains("expected, not found"), "{body}");
    assert!(failure.attribute("message").is_some_and(|m| !m.is_empty()));
}
