//! The rule test file format, `*.test.toml`.
//!
//! ```toml
//! description = "Data Loader authorised from a VPN exit"
//! rules = ["../sf_connected_app_outside_allowlist.yaral"]
//! inputs = ["data/data_loader_stream.jsonl"]
//! lists = ["lists"]                 # optional folders layered over the bundled templates
//! entities = ["data/iocs.jsonl"]    # optional entity records for `$e.graph.` fields
//! data_tables = ["tables"]          # optional folders of data tables (`NAME.csv`)
//! asn_db = "data/asn.tsv"           # optional
//! identities = "data/people.csv"    # optional
//! format = "auto"                   # optional
//! suppressions = "changes.toml"     # optional
//!
//! [[expect]]
//! rule = "sf_connected_app_outside_allowlist"
//! match = { user = "alice@example.com" }        # optional: the exact match values
//! events = { login = ["0Yw5e000000AbCd"] }      # optional: the exact event ids per variable
//! outcome = { risk_score = 85 }                 # optional: these outcomes, others ignored
//! ```
//!
//! Paths are relative to the test file. The `[[expect]]` entries list every detection the
//! rules under test must give, and no other may appear, so a test without any is a negative
//! test: the rules must stay quiet on its inputs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use serde::Deserialize;
use serde_json::Value;

/// One expected detection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// The rule name.
    pub rule: String,
    /// The match values, compared exactly when given.
    #[serde(default, rename = "match")]
    pub match_values: Option<BTreeMap<String, toml::Value>>,
    /// Sample ids per event variable, compared as sets when given: `metadata.product_log_id`
    /// for events and `metadata.product_entity_id` for entity records.
    #[serde(default)]
    pub events: Option<BTreeMap<String, Vec<String>>>,
    /// Outcome values that must be present with these values.
    #[serde(default)]
    pub outcome: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTest {
    #[serde(default)]
    description: String,
    rules: Vec<PathBuf>,
    inputs: Vec<PathBuf>,
    #[serde(default)]
    lists: Vec<PathBuf>,
    #[serde(default)]
    entities: Vec<PathBuf>,
    #[serde(default)]
    data_tables: Vec<PathBuf>,
    asn_db: Option<PathBuf>,
    identities: Option<PathBuf>,
    #[serde(default = "default_format")]
    format: String,
    suppressions: Option<PathBuf>,
    #[serde(default)]
    expect: Vec<Expected>,
}

fn default_format() -> String {
    "auto".to_owned()
}

/// A parsed test with its paths resolved against the test file's folder.
#[derive(Debug)]
pub struct TestSpec {
    /// What the test shows.
    pub description: String,
    /// Rule files or folders.
    pub rules: Vec<PathBuf>,
    /// Log files.
    pub inputs: Vec<PathBuf>,
    /// List folders, layered over the bundled templates.
    pub lists: Vec<PathBuf>,
    /// Entity record files or folders.
    pub entities: Vec<PathBuf>,
    /// Data-table folders.
    pub data_tables: Vec<PathBuf>,
    /// The ASN database.
    pub asn_db: Option<PathBuf>,
    /// The identity table.
    pub identities: Option<PathBuf>,
    /// The input format.
    pub format: String,
    /// A change-window file.
    pub suppressions: Option<PathBuf>,
    /// Every detection the rules must give.
    pub expect: Vec<Expected>,
}

impl TestSpec {
    /// Reads a test file.
    pub fn load(path: &Path) -> Result<TestSpec> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the test {}", path.display()))?;
        let raw: RawTest =
            toml::from_str(&text).with_context(|| format!("invalid test {}", path.display()))?;
        if raw.rules.is_empty() {
            bail!("{}: `rules` is empty; name the rule files under test", path.display());
        }
        if raw.inputs.is_empty() {
            bail!("{}: `inputs` is empty; name the log files to run the rules on", path.display());
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |p: &PathBuf| base.join(p);
        Ok(TestSpec {
            description: raw.description,
            rules: raw.rules.iter().map(resolve).collect(),
            inputs: raw.inputs.iter().map(resolve).collect(),
            lists: raw.lists.iter().map(resolve).collect(),
            entities: raw.entities.iter().map(resolve).collect(),
            data_tables: raw.data_tables.iter().map(resolve).collect(),
            asn_db: raw.asn_db.as_ref().map(resolve),
            identities: raw.identities.as_ref().map(resolve),
            format: raw.format,
            suppressions: raw.suppressions.as_ref().map(resolve),
            expect: raw.expect,
        })
    }
}

/// Converts a TOML value to JSON, for comparing with detection values.
pub fn toml_to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => {
            Value::Object(table.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect())
        }
    }
}
