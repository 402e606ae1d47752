//! JUnit XML for CI systems: one test case per test file.

use std::fmt::Write as _;

use super::Outcome;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 allows no other control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Renders the outcomes as a JUnit `testsuites` document.
pub fn render(outcomes: &[Outcome]) -> String {
    let failures = outcomes.iter().filter(|o| o.failure.is_some()).count();
    let total: f64 = outcomes.iter().map(|o| o.seconds).sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"dragnet\" tests=\"{}\" failures=\"{failures}\" time=\"{total:.3}\">",
        outcomes.len()
    );
    let _ = writeln!(
        xml,
        "  <testsuite name=\"dragnet rule tests\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{total:.3}\">",
        outcomes.len()
    );
    for outcome in outcomes {
        let name = escape(&outcome.path.display().to_string());
        let _ = write!(
            xml,
            "    <testcase classname=\"dragnet.rules\" name=\"{name}\" time=\"{:.3}\"",
            outcome.seconds
        );
        match &outcome.failure {
            None => xml.push_str("/>\n"),
            Some(reason) => {
                let first = reason.lines().next().unwrap_or("failed");
                let _ = writeln!(
                    xml,
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                    escape(first),
                    escape(reason)
                );
            }
        }
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn failures_are_escaped() {
        let outcomes = vec![
            Outcome {
                path: PathBuf::from("a.test.toml"),
                description: String::new(),
                failure: None,
                seconds: 0.01,
            },
            Outcome {
                path: PathBuf::from("b.test.toml"),
                description: String::new(),
                failure: Some("- expected <x> & \"y\"\n+ found\u{1}".into()),
                seconds: 0.02,
            },
        ];
        let xml = render(&outcomes);
        assert!(xml.contains("tests=\"2\" failures=\"1\""), "{xml}");
        assert!(xml.contains("&lt;x&gt; &amp; &quot;y&quot;"), "{xml}");
        assert!(!xml.contains('\u{1}'));
        assert!(xml.contains("<testcase classname=\"dragnet.rules\" name=\"a.test.toml\""));
    }
}
