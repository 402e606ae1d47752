//! Small helpers that write common UDM shapes into an [`Event`].

use udm::{Event, Message, Value};

use crate::enums;

/// Sets a string field unless the value is empty.
pub(crate) fn set_str(event: &mut Event, path: &str, value: &str) {
    if !value.is_empty() {
        event.set(path, value);
    }
}

/// Appends a string to a repeated field unless the value is empty or already present.
pub(crate) fn push_unique(event: &mut Event, path: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    let present = match event.get(path) {
        Some(Value::List(items)) => items.iter().any(|v| v.as_str() == Some(value)),
        Some(Value::String(s)) => s == value,
        _ => false,
    };
    if !present {
        event.push(path, value);
    }
}

/// Appends a `Label` (`key`, `value`) to the repeated label field at `path`.
pub(crate) fn push_label(event: &mut Event, path: &str, key: &str, value: &str) {
    if key.is_empty() {
        return;
    }
    let mut label = Message::new();
    label.insert("key", Value::from(key));
    label.insert("value", Value::from(value));
    event.push(path, Value::Message(label));
}

/// Stores a string in `additional.fields` under `key`, which rules read as
/// `additional.fields["key"]`.
pub(crate) fn additional(event: &mut Event, key: &str, value: &str) {
    additional_value(event, key, Value::from(value));
}

/// Stores any value, such as a number that rules add up, in `additional.fields` under `key`.
pub(crate) fn additional_value(event: &mut Event, key: &str, value: Value) {
    // A Struct's keys sit directly under the Struct field in the event tree.
    event.root.message_at("additional").insert(key, value);
}

/// The parts of one `security_result` entry that parsers fill.
#[derive(Debug, Default)]
pub(crate) struct SecurityResult {
    /// A `SecurityResult.Action` name such as `ALLOW`.
    pub action: Option<&'static str>,
    /// A `SecurityResult.ProductSeverity` name such as `HIGH`.
    pub severity: Option<&'static str>,
    /// The product's own severity text.
    pub severity_details: Option<String>,
    /// One-line summary.
    pub summary: Option<String>,
    /// Longer reason, for example a failure reason.
    pub description: Option<String>,
    /// The product's result or error code.
    pub action_details: Option<String>,
    /// The product's rule or error code, where SecOps parsers put it there.
    pub rule_id: Option<String>,
    /// The name of the product's policy or rule that produced the result.
    pub rule_name: Option<String>,
    /// Category text.
    pub category_details: Option<String>,
    /// Product-specific key/value pairs.
    pub detection_fields: Vec<(String, String)>,
}

impl SecurityResult {
    /// Whether nothing is set.
    pub(crate) fn is_empty(&self) -> bool {
        self.action.is_none()
            && self.severity.is_none()
            && self.severity_details.is_none()
            && self.summary.is_none()
            && self.description.is_none()
            && self.action_details.is_none()
            && self.rule_id.is_none()
            && self.rule_name.is_none()
            && self.category_details.is_none()
            && self.detection_fields.is_empty()
    }

    /// Appends this entry to the event's `security_result` unless it is empty.
    pub(crate) fn write(self, event: &mut Event) {
        if self.is_empty() {
            return;
        }
        event.push("security_result", Value::Message(Message::new()));
        if let Some(action) = self.action {
            enums::push_enum(event, "security_result.action", action);
        }
        if let Some(severity) = self.severity {
            enums::set_enum(event, "security_result.severity", severity);
        }
        let texts = [
            ("security_result.severity_details", self.severity_details),
            ("security_result.summary", self.summary),
            ("security_result.description", self.description),
            ("security_result.action_details", self.action_details),
            ("security_result.rule_id", self.rule_id),
            ("security_result.rule_name", self.rule_name),
            ("security_result.category_details", self.category_details),
        ];
        for (path, value) in texts {
            if let Some(value) = value {
                set_str(event, path, &value);
            }
        }
        for (key, value) in self.detection_fields {
            push_label(event, "security_result.detection_fields", &key, &value);
        }
    }
}

/// Whether `s` looks like a user principal name or email address (`local@domain.tld`).
pub(crate) fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    !local.is_empty()
        && !local.contains(char::is_whitespace)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// Whether `s` is a GUID in its usual 8-4-4-4-12 hex spelling.
pub(crate) fn looks_like_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    groups.len() == 5
        && groups
            .iter()
            .zip(lengths)
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}
