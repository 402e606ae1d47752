//! `--suppressions FILE`: change windows that leave detections out of the output.
//!
//! Approved data migrations and connected-app onboarding make the exfiltration and
//! connected-app rules fire for a known reason. A change window names the rules it covers (by
//! name or glob), what it applies to, a start and an end time, and a reason. A detection is
//! left out when its rule matches, its time window overlaps the change window, and every
//! condition the entry gives holds:
//!
//! - `match`: the detection's match variables have these values (case-insensitive);
//! - `value`: one of the detection's match or outcome values equals this text
//!   (case-insensitive), for example the name of the app being onboarded;
//! - `list` and `entry`: one of those values matches `entry` read as an entry of the named
//!   reference list, so a CIDR entry covers every address in its range and a regex entry every
//!   value it matches. This is the time-bound form of adding an entry to a list.
//!
//! An entry with none of them covers every detection of its rules in the window. Left-out
//! detections are counted, with their reason, in the summary.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use chrono::{DateTime, Utc};
use enrich::{ReferenceList, ReferenceLists};
use serde::Deserialize;
use serde_json::Value;

/// One change window as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    rules: Vec<String>,
    #[serde(default, rename = "match")]
    match_values: BTreeMap<String, String>,
    value: Option<String>,
    list: Option<String>,
    entry: Option<String>,
    start: String,
    end: String,
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    suppress: Vec<RawEntry>,
}

/// A checked change window.
#[derive(Debug)]
struct Entry {
    rules: Vec<glob::Pattern>,
    match_values: BTreeMap<String, String>,
    value: Option<String>,
    /// A one-entry list of the named list's type.
    list_entry: Option<ReferenceList>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    reason: String,
}

/// The change windows of a run; empty when no file is given.
#[derive(Debug, Default)]
pub struct Suppressions {
    entries: Vec<Entry>,
}

impl Suppressions {
    /// Reads and checks a suppressions file. List entries are read with the type of the named
    /// list, so the list must be loaded.
    pub fn load(path: &Path, lists: &ReferenceLists) -> Result<Suppressions> {
        let text = fs::read_to_string(path)
            .with_context(|| format!("cannot read the suppressions file {}", path.display()))?;
        Suppressions::parse(&text, &path.display().to_string(), lists)
    }

    /// Parses suppressions from TOML text; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str, lists: &ReferenceLists) -> Result<Suppressions> {
        let raw: RawFile = toml::from_str(text).with_context(|| format!("invalid {origin}"))?;
        let mut entries = Vec::with_capacity(raw.suppress.len());
        for (index, entry) in raw.suppress.into_iter().enumerate() {
            let at = format!("{origin}: suppress[{index}]");
            entries.push(check(entry, lists).with_context(|| at)?);
        }
        Ok(Suppressions { entries })
    }

    /// Returns the reason of the first change window that covers the detection, or `None`
    /// when the detection is kept.
    pub fn reason_to_leave_out(&self, detection: &engine::Detection) -> Option<&str> {
        self.entries.iter().find(|e| e.covers(detection)).map(|e| e.reason.as_str())
    }
}

fn check(raw: RawEntry, lists: &ReferenceLists) -> Result<Entry> {
    if raw.rules.is_empty() {
        bail!("`rules` is empty; name the rules the change window covers, or \"*\" for all");
    }
    let rules = raw
        .rules
        .iter()
        .map(|r| glob::Pattern::new(r).with_context(|| format!("invalid rule pattern {r:?}")))
        .collect::<Result<Vec<_>>>()?;
    let time = |field: &str, text: &str| -> Result<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(text.trim())
            .map(|t| t.with_timezone(&Utc))
            .with_context(|| {
                format!("invalid `{field}` {text:?}; write an RFC 3339 time such as 2025-06-10T09:00:00Z")
            })
    };
    let start = time("start", &raw.start)?;
    let end = time("end", &raw.end)?;
    if end <= start {
        bail!("`end` ({}) is not after `start` ({})", raw.end, raw.start);
    }
    if raw.reason.trim().is_empty() {
        bail!("`reason` is empty; say why the detections are expected, for the audit trail");
    }
    let list_entry = match (&raw.list, &raw.entry) {
        (None, None) => None,
        (Some(name), Some(entry)) => {
            let Some(list) = lists.get(name) else {
                bail!("reference list `{name}` is not loaded; load it with --lists");
            };
            let (one, problems) =
                ReferenceList::from_text(name, list.kind(), entry, "suppressions");
            if let Some(problem) = problems.first() {
                bail!("invalid entry {entry:?} for the {} list `{name}`: {problem}", list.kind());
            }
            Some(one)
        }
        _ => bail!("`list` and `entry` go together: name the list and the entry it applies to"),
    };
    Ok(Entry {
        rules,
        match_values: raw.match_values,
        value: raw.value,
        list_entry,
        start,
        end,
        reason: raw.reason,
    })
}

impl Entry {
    fn covers(&self, detection: &engine::Detection) -> bool {
        if !self.rules.iter().any(|p| p.matches(&detection.rule.name)) {
            return false;
        }
        let (Some(start), Some(end)) = (to_utc(detection.window.0), to_utc(detection.window.1))
        else {
            return false;
        };
        if end < self.start || start > self.end {
            return false;
        }
        for (name, expected) in &self.match_values {
            let actual = detection.match_values.iter().find(|(n, _)| n == name);
            let equal = actual.is_some_and(|(_, v)| texts(v).iter().any(|t| same(t, expected)));
            if !equal {
                return false;
            }
        }
        let values = || -> Vec<String> {
            detection
                .match_values
                .iter()
                .chain(&detection.outcomes)
                .flat_map(|(_, v)| texts(v))
                .collect()
        };
        if let Some(value) = &self.value {
            if !values().iter().any(|t| same(t, value)) {
                return false;
            }
        }
        if let Some(list) = &self.list_entry {
            let found = values().iter().any(|t| match list.kind() {
                enrich::ListKind::String => list.contains(t, true),
                enrich::ListKind::Regex => list.matches_regex(t, false),
                enrich::ListKind::Cidr => list.contains_ip(t),
            });
            if !found {
                return false;
            }
        }
        true
    }
}

fn same(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// Renders a value as text, one entry per element for a list.
fn texts(value: &udm::Value) -> Vec<String> {
    match udm::json::value_to_json(value) {
        Value::Array(items) => items.iter().map(crate::output::text).collect(),
        other => vec![crate::output::text(&other)],
    }
}

fn to_utc(t: udm::Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists() -> ReferenceLists {
        let mut lists = ReferenceLists::default();
        let (egress, _) = ReferenceList::from_text(
            "ENTERPRISE_EGRESS_CIDRS",
            enrich::ListKind::Cidr,
            "198.51.100.0/24\n",
            "test",
        );
        lists.insert(egress);
        lists
    }

    #[test]
    fn rejects_end_before_start() {
        let text = r#"
[[suppress]]
rules = ["*"]
start = "2025-06-10T10:00:00Z"
end = "2025-06-10T09:00:00Z"
reason = "migration"
"#;
        let error = Suppressions::parse(text, "s.toml", &lists()).err().map(|e| format!("{e:#}"));
        let error = error.unwrap_or_default();
        assert!(error.contains("s.toml: suppress[0]"), "{error}");
        assert!(error.contains("not after"), "{error}");
    }

    #[test]
    fn rejects_unknown_list() {
        let text = r#"
[[suppress]]
rules = ["*"]
list = "NOPE"
entry = "x"
start = "2025-06-10T09:00:00Z"
end = "2025-06-10T10:00:00Z"
reason = "migration"
"#;
        let error = Suppressions::parse(text, "s.toml", &lists()).err().map(|e| format!("{e:#}"));
        assert!(error.unwrap_or_default().contains("`NOPE` is not loaded"));
    }

    #[test]
    fn rejects_unknown_keys() {
        let text = "[[suppress]]\nrulez = [\"*\"]\n";
        assert!(Suppressions::parse(text, "s.toml", &lists()).is_err());
    }

    #[test]
    fn rejects_invalid_cidr_entry() {
        let text = r#"
[[suppress]]
rules = ["*"]
list = "enterprise_egress_cidrs"
entry = "not-a-network"
start = "2025-06-10T09:00:00Z"
end = "2025-06-10T10:00:00Z"
reason = "migration"
"#;
        assert!(Suppressions::parse(text, "s.toml", &lists()).is_err());
    }
}
