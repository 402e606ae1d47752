//! The `--format` names and automatic detection of a record's source.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

use crate::fields::get_ci;
use crate::SourceError;

/// The log source a record is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// Decide per record from its shape.
    #[default]
    Auto,
    /// Native UDM events in proto3 JSON, bare or wrapped as SecOps exports them.
    Udm,
    /// Salesforce Real-Time Event Monitoring events, SOQL exports and EventLogFile rows.
    Salesforce,
    /// Okta System Log events.
    Okta,
    /// Microsoft 365 Unified Audit Log records.
    M365,
    /// Microsoft Entra ID sign-in logs (Azure Monitor export or Graph `signIn` resource).
    Entra,
    /// Microsoft Graph activity logs.
    Graph,
}

impl Format {
    /// Every format with its `--format` name.
    pub const ALL: [(Format, &'static str); 7] = [
        (Format::Auto, "auto"),
        (Format::Udm, "udm"),
        (Format::Salesforce, "salesforce"),
        (Format::Okta, "okta"),
        (Format::M365, "m365"),
        (Format::Entra, "entra"),
        (Format::Graph, "graph"),
    ];

    /// The `--format` name.
    pub fn name(self) -> &'static str {
        Format::ALL.iter().find(|(f, _)| *f == self).map(|(_, n)| *n).unwrap_or("auto")
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for an unknown `--format` name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format {0:?}: expected one of auto, udm, salesforce, okta, m365, entra, graph")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Format, UnknownFormat> {
        let wanted = s.trim();
        Format::ALL
            .iter()
            .find(|(_, name)| name.eq_ignore_ascii_case(wanted))
            .map(|(f, _)| *f)
            .ok_or_else(|| UnknownFormat(s.to_owned()))
    }
}

/// Decides the source of one JSON object from its keys, or `None` when no shape matches.
///
/// Keys are compared case-insensitively because Log Analytics exports use PascalCase and some
/// Okta exports lower-case every key.
pub fn detect(obj: &Map<String, Value>) -> Option<Format> {
    let has = |name: &str| get_ci(obj, name).is_some_and(|v| !v.is_null());
    let text = |name: &str| get_ci(obj, name).and_then(Value::as_str).unwrap_or("");

    if is_udm_wrapper(obj) {
        return Some(Format::Udm);
    }
    if let Some(Value::Array(events)) = get_ci(obj, "events") {
        if events.iter().any(|e| e.as_object().is_some_and(is_udm_wrapper)) {
            return Some(Format::Udm);
        }
    }
    if get_ci(obj, "metadata")
        .is_some_and(|m| m.get("event_type").is_some() || m.get("eventType").is_some())
    {
        return Some(Format::Udm);
    }

    match azure_category(obj).map(|c| c.to_ascii_lowercase()).as_deref() {
        Some(category) if category.ends_with("signinlogs") => return Some(Format::Entra),
        Some("microsoftgraphactivitylogs") => return Some(Format::Graph),
        _ => {}
    }
    if text("@odata.type").eq_ignore_ascii_case("#microsoft.graph.signIn") {
        return Some(Format::Entra);
    }
    if has("requestUri") && has("requestMethod") {
        return Some(Format::Graph);
    }
    if crate::entra_download::is_download_row(obj) {
        return Some(Format::Entra);
    }
    if has("createdDateTime") && (has("userPrincipalName") || has("ipAddress") || has("status")) {
        return Some(Format::Entra);
    }
    if has("CreationTime") && (has("Operation") || has("RecordType") || has("Workload")) {
        return Some(Format::M365);
    }
    if has("AuditData") && (has("CreationDate") || has("Operations") || has("RecordType")) {
        return Some(Format::M365);
    }
    if has("eventType") && (has("actor") || has("uuid") || has("published")) {
        return Some(Format::Okta);
    }
    if crate::salesforce::looks_like(obj) {
        return Some(Format::Salesforce);
    }
    None
}

/// Returns the Azure Monitor `category` of a record, or its Log Analytics `Type`, when it has
/// one.
pub(crate) fn azure_category(obj: &Map<String, Value>) -> Option<&str> {
    ["category", "Type"]
        .iter()
        .find_map(|name| get_ci(obj, name).and_then(Value::as_str))
        .filter(|category| !category.is_empty())
}

/// Returns an error when `obj` has an Azure Monitor category and `wanted` rejects it, for the
/// parser of `format`, which reads `expected`.
pub(crate) fn check_azure_category(
    obj: &Map<String, Value>,
    format: &'static str,
    expected: &'static str,
    wanted: impl Fn(&str) -> bool,
) -> Result<(), SourceError> {
    match azure_category(obj) {
        Some(category) if !wanted(&category.to_ascii_lowercase()) => {
            Err(SourceError::WrongCategory { category: category.to_owned(), format, expected })
        }
        _ => Ok(()),
    }
}

/// Whether `obj` wraps a UDM event as SecOps exports do: `{"udm": {...}}`, or
/// `{"event": {...}}` around an object with `metadata`. A Salesforce Pub/Sub message also has
/// an `event` key, but without `metadata` inside.
pub(crate) fn is_udm_wrapper(obj: &Map<String, Value>) -> bool {
    if get_ci(obj, "udm").is_some_and(Value::is_object) {
        return true;
    }
    get_ci(obj, "event")
        .and_then(Value::as_object)
        .is_some_and(|inner| get_ci(inner, "metadata").is_some_and(Value::is_object))
}
