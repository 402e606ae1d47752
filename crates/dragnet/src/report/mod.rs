//! `--report FILE.html`: one self-contained HTML page for analysts.
//!
//! The page carries its own styles and script and the hunt's data as JSON in a
//! `<script type="application/json">` element, so it opens offline and makes no network
//! request. The script draws a timeline of detections, counts per rule and severity, pivots by
//! user, IP and application, and one expandable entry per detection with its outcomes and
//! events. Log content is untrusted, so the script only ever inserts it as text.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::output::DetectionSource;
use crate::zone::DisplayZone;

const TEMPLATE: &str = include_str!("report.html");
const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

/// Facts about the hunt that the report shows besides the detections.
pub struct ReportInfo<'a> {
    /// The report title.
    pub title: &'a str,
    /// Rules that ran.
    pub rules_loaded: usize,
    /// Records read across inputs.
    pub records: u64,
    /// Records rejected across inputs.
    pub rejected: u64,
    /// The zone for displayed times.
    pub zone: DisplayZone,
    /// When the report was made, RFC 3339 UTC.
    pub generated_at: String,
}

/// Writes the report page, one detection at a time.
pub fn write(
    out: &mut impl Write,
    detections: &(impl DetectionSource + ?Sized),
    info: &ReportInfo<'_>,
) -> io::Result<()> {
    let page = TEMPLATE
        .replace("{{style}}", STYLE)
        .replace("{{script}}", SCRIPT)
        .replace("{{title}}", &escape_html(info.title));
    // The data goes in last, so that text inside it is never taken for a placeholder.
    let mut parts = page.split("{{data}}");
    if let Some(first) = parts.next() {
        out.write_all(first.as_bytes())?;
    }
    for part in parts {
        write_data(out, detections, info)?;
        out.write_all(part.as_bytes())?;
    }
    Ok(())
}

/// Writes the data the script renders: the facts of the hunt, then the detections with their
/// display times added, as one JSON object made safe inside a `<script>` element.
fn write_data(
    out: &mut impl Write,
    detections: &(impl DetectionSource + ?Sized),
    info: &ReportInfo<'_>,
) -> io::Result<()> {
    let zone = info.zone;
    let facts = json!({
        "title": info.title,
        "zone": zone.to_string(),
        "generated_at": zone.format(&info.generated_at),
        "rules_loaded": info.rules_loaded,
        "records": info.records,
        "rejected": info.rejected,
    })
    .to_string();
    // `facts` is an object with at least one key, so it ends in `}`. The detections go in
    // before that brace, as the last key.
    let open = facts.strip_suffix('}').unwrap_or(&facts);
    out.write_all(escape_json_for_script(open).as_bytes())?;
    out.write_all(b",\"detections\":[")?;
    let mut first = true;
    detections.for_each(&mut |d| {
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        let start = d.pointer("/time_window/start").and_then(Value::as_str).unwrap_or("");
        let end = d.pointer("/time_window/end").and_then(Value::as_str).unwrap_or("");
        let item = json!({
            "detection": d,
            "display_window": zone.format_window(start, end),
        });
        out.write_all(escape_json_for_script(&item.to_string()).as_bytes())
    })?;
    out.write_all(b"]}")
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Makes JSON safe inside a `<script>` element: `<` can never start `</script>` or `<!--`,
/// and the line separators that older parsers reject are escaped.
fn escape_json_for_script(json: &str) -> String {
    json.replace('<', "\\u003c").replace('\u{2028}', "\\u2028").replace('\u{2029}', "\\u2029")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> ReportInfo<'static> {
        ReportInfo {
            title: "Dragnet hunt <test>",
            rules_loaded: 2,
            records: 10,
            rejected: 1,
            zone: DisplayZone::Utc,
            generated_at: "2025-06-10T15:00:00Z".into(),
        }
    }

    fn render(detections: &[Value]) -> String {
        let mut out = Vec::new();
        write(&mut out, detections, &info()).unwrap_or_default();
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn script_breakout_is_escaped() {
        let hostile = json!({
            "rule": {"name": "r"},
            "outcome": {"x": "</script><script>alert(1)</script>"},
        });
        let page = render(&[hostile]);
        assert!(!page.contains("</script><script>alert"), "raw breakout in page");
        assert!(page.contains("\\u003c/script>"));
    }

    #[test]
    fn page_is_self_contained() {
        let page = render(&[]);
        for needle in ["src=\"http", "href=\"http", "@import", "url(http", "fetch("] {
            assert!(!page.contains(needle), "page references {needle}");
        }
        assert!(page.contains("Dragnet hunt &lt;test&gt;"));
        assert!(!page.contains("{{"), "a template placeholder was left");
    }
}
