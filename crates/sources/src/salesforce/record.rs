//! A Salesforce record whose keys are matched ignoring ASCII case and underscores, so that one
//! mapping reads stream and SOQL fields (`SourceIp`), EventLogFile columns (`SOURCE_IP`) and
//! snake_case exports (`source_ip`) alike.
//!
//! The record remembers which keys the mapping read; [`Record::finish`] writes the others to
//! `additional.fields`. Upper-case and snake_case keys are written in the PascalCase spelling
//! that the stream objects use (`ROWS_PROCESSED` becomes `RowsProcessed`), so that a rule
//! reading `additional.fields["RowsProcessed"]` works on every form of the data.

use serde_json::{Map, Value};
use udm::Event;

use crate::fields::{flatten_into, scalar_text};

/// One key of the record with its folded spelling.
struct Entry<'a> {
    folded: String,
    key: &'a str,
    value: &'a Value,
    used: bool,
}

/// One Salesforce record being mapped.
pub(crate) struct Record<'a> {
    entries: Vec<Entry<'a>>,
}

/// Lower-cases ASCII letters and drops underscores: `SOURCE_IP`, `SourceIp` and `source_ip`
/// all fold to `sourceip`.
pub(crate) fn fold(name: &str) -> String {
    name.chars().filter(|c| *c != '_').map(|c| c.to_ascii_lowercase()).collect()
}

impl<'a> Record<'a> {
    /// Wraps a JSON object.
    pub(crate) fn new(obj: &'a Map<String, Value>) -> Record<'a> {
        let entries = obj
            .iter()
            .map(|(key, value)| Entry { folded: fold(key), key, value, used: false })
            .collect();
        Record { entries }
    }

    /// Index of the first of `names` present with a non-null value.
    fn position(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|name| {
            let folded = fold(name);
            self.entries.iter().position(|e| e.folded == folded && !e.value.is_null())
        })
    }

    /// Checks whether any of `names` is present with a non-null value.
    pub(crate) fn has(&self, names: &[&str]) -> bool {
        self.position(names).is_some()
    }

    /// Returns the value of the first of `names` present, without marking it read.
    pub(crate) fn peek(&self, names: &[&str]) -> Option<&'a Value> {
        self.position(names).map(|i| self.entries[i].value)
    }

    /// Returns the first of `names` present as text (see [`scalar_text`]) without marking it
    /// read. A present key whose value is empty or not a scalar is skipped.
    pub(crate) fn peek_text(&self, names: &[&str]) -> Option<String> {
        self.text_position(names).map(|(_, text)| text)
    }

    fn text_position(&self, names: &[&str]) -> Option<(usize, String)> {
        names.iter().find_map(|name| {
            let folded = fold(name);
            self.entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.folded == folded)
                .find_map(|(i, e)| scalar_text(e.value).map(|text| (i, text)))
        })
    }

    /// Returns the first of `names` present as text and marks that key read.
    pub(crate) fn text(&mut self, names: &[&str]) -> Option<String> {
        let (index, text) = self.text_position(names)?;
        self.entries[index].used = true;
        Some(text)
    }

    /// Marks every key matching one of `names` read, whatever its value.
    pub(crate) fn mark(&mut self, names: &[&str]) {
        for name in names {
            let folded = fold(name);
            for entry in self.entries.iter_mut().filter(|e| e.folded == folded) {
                entry.used = true;
            }
        }
    }

    /// Checks whether a value is a placeholder without data (`null` or blank text), which
    /// neither [`Record::unread`] nor [`Record::finish`] reports.
    fn is_blank(value: &Value) -> bool {
        match value {
            Value::Null => true,
            Value::String(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// Keys not read so far, in record order.
    #[cfg(test)]
    pub(crate) fn unread(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|e| !e.used && !Record::is_blank(e.value))
            .map(|e| e.key)
            .collect()
    }

    /// Writes every key not read into `additional.fields` under its canonical name.
    pub(crate) fn finish(self, event: &mut Event) {
        self.finish_under(event, "");
    }

    /// Writes every key not read into `additional.fields` under `prefix` and its canonical
    /// name, for a nested object such as a SOQL relationship (`CreatedBy.`).
    pub(crate) fn finish_under(self, event: &mut Event, prefix: &str) {
        for entry in self.entries {
            if entry.used || Record::is_blank(entry.value) {
                continue;
            }
            flatten_into(event, &format!("{prefix}{}", canonical_name(entry.key)), entry.value);
        }
    }
}

/// EventLogFile columns whose stream counterpart has a different name.
const RENAMED: &[(&str, &str)] =
    &[("ENTITY_NAME", "QueriedEntities"), ("ROW_COUNT", "RowsProcessed")];

/// Fields of the event monitoring objects, as the Salesforce object reference spells them.
/// Some exports write the headers of stored objects in upper case without underscores
/// (`QUERIEDENTITIES`), where the words cannot be separated, so such a key takes the spelling
/// from this list.
const OBJECT_FIELDS: &[&str] = &[
    "AdditionalInfo",
    "ApiType",
    "ApiVersion",
    "Application",
    "AuthContextClassRef",
    "AuthMethodReference",
    "AuthServiceId",
    "BatchId",
    "Browser",
    "CipherSuite",
    "City",
    "Client",
    "ClientVersion",
    "ColumnHeaders",
    "ConnectedAppId",
    "Country",
    "CountryIso",
    "DashboardId",
    "DashboardName",
    "DelegatedOrganizationId",
    "DelegatedUsername",
    "Description",
    "DisplayedFieldEntities",
    "ElapsedTime",
    "EvaluationTime",
    "EventDate",
    "EventIdentifier",
    "EventUuid",
    "ExecutionIdentifier",
    "ExportFileFormat",
    "FilterCriteria",
    "Format",
    "ForwardedForIp",
    "GroupedColumnHeaders",
    "HttpMethod",
    "IsScheduled",
    "JobId",
    "Latitude",
    "ListViewId",
    "LoginGeoId",
    "LoginHistoryId",
    "LoginKey",
    "LoginSubType",
    "LoginType",
    "LoginUrl",
    "Longitude",
    "Name",
    "NumberOfColumns",
    "Operation",
    "OrderBy",
    "OwnerId",
    "Platform",
    "PolicyId",
    "PolicyOutcome",
    "PostalCode",
    "QueriedEntities",
    "Query",
    "Records",
    "RelatedEventIdentifier",
    "ReportId",
    "RowsProcessed",
    "Scope",
    "Sequence",
    "SessionKey",
    "SessionLevel",
    "SourceIp",
    "Status",
    "Subdivision",
    "TlsProtocol",
    "UserAgent",
    "UserId",
    "Username",
    "UserType",
];

/// Returns the name an unmapped key gets in `additional.fields`. A key in one case without
/// underscores that names a field of [`OBJECT_FIELDS`] takes that field's spelling
/// (`QUERIEDENTITIES` → `QueriedEntities`). Other upper-case keys, and snake_case keys with an
/// underscore, become PascalCase (`ROWS_PROCESSED` → `RowsProcessed`, `delegate_user` →
/// `DelegateUser`). Other keys stay unchanged.
pub(crate) fn canonical_name(key: &str) -> String {
    if let Some((_, renamed)) = RENAMED.iter().find(|(from, _)| *from == key) {
        return (*renamed).to_owned();
    }
    // Only a key in one case has lost its word breaks; `DelegatedUserName` keeps its spelling.
    let one_case = !key.bytes().any(|b| b.is_ascii_lowercase())
        || !key.bytes().any(|b| b.is_ascii_uppercase());
    if one_case && !key.contains('_') {
        if let Some(field) = OBJECT_FIELDS.iter().find(|field| field.eq_ignore_ascii_case(key)) {
            return (*field).to_owned();
        }
    }
    let upper = key.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    let snake = key.contains('_')
        && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !(upper || snake) || !key.bytes().any(|b| b.is_ascii_alphabetic()) {
        return key.to_owned();
    }
    let mut out = String::with_capacity(key.len());
    for word in key.split('_').filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookup_ignores_case_and_underscores() {
        let obj = json!({"SOURCE_IP": "192.0.2.1", "LoginKey": "k", "delegate_user": "x"});
        let Value::Object(map) = &obj else { unreachable!() };
        let mut record = Record::new(map);
        assert_eq!(record.text(&["SourceIp"]).as_deref(), Some("192.0.2.1"));
        assert_eq!(record.text(&["LOGIN_KEY"]).as_deref(), Some("k"));
        assert_eq!(record.peek_text(&["DelegateUser"]).as_deref(), Some("x"));
        assert_eq!(record.unread(), vec!["delegate_user"]);
    }

    #[test]
    fn text_skips_empty_candidates() {
        let obj = json!({"USER_ID_DERIVED": "", "UserId": "005000000000001AAA"});
        let Value::Object(map) = &obj else { unreachable!() };
        let mut record = Record::new(map);
        assert_eq!(
            record.text(&["USER_ID_DERIVED", "UserId"]).as_deref(),
            Some("005000000000001AAA")
        );
    }

    #[test]
    fn canonical_names() {
        let cases = [
            ("ROWS_PROCESSED", "RowsProcessed"),
            ("ENTITY_NAME", "QueriedEntities"),
            ("QUERIEDENTITIES", "QueriedEntities"),
            ("ROWSPROCESSED", "RowsProcessed"),
            ("rowsprocessed", "RowsProcessed"),
            ("EVALUATIONTIME", "EvaluationTime"),
            ("SOMETHINGELSE", "Somethingelse"),
            ("DelegatedUserName", "DelegatedUserName"),
            ("UserName", "UserName"),
            ("delegate_user", "DelegateUser"),
            ("attributes", "attributes"),
            ("ApiType", "ApiType"),
            ("API_VERSION,USER_INITIATED_LOGOUT", "API_VERSION,USER_INITIATED_LOGOUT"),
            ("CreatedBy.Name", "CreatedBy.Name"),
            ("123", "123"),
        ];
        for (key, expected) in cases {
            assert_eq!(canonical_name(key), expected, "key {key:?}");
        }
    }
}
