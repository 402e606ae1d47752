//! Every field path the parsers emit resolves in the UDM schema.

mod common;

use std::collections::BTreeSet;

use common::{corpus_dir, files_under, records_of};
use serde_json::json;
use sources::{Format, Identities, Normalizer};
use udm::{Message, Value};

/// Collects the dotted path of every leaf under `message`; `additional` is a Struct whose keys
/// are free-form, so only the field itself is collected.
fn collect_paths(message: &Message, prefix: &str, out: &mut BTreeSet<String>) {
    for (name, value) in message.iter() {
        let path = if prefix.is_empty() { name.to_owned() } else { format!("{prefix}.{name}") };
        if path == "additional" {
            out.insert(path);
            continue;
        }
        collect_value(value, &path, out);
    }
}

fn collect_value(value: &Value, path: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Message(inner) => collect_paths(inner, path, out),
        Value::List(items) => {
            for item in items {
                collect_value(item, path, out);
            }
        }
        _ => {
            out.insert(path.to_owned());
        }
    }
}

fn sample_records() -> Vec<serde_json::Value> {
    let mut records = vec![
        json!({"CreationTime": "2026-03-02T10:00:00", "Id": "r1", "Operation": "Add member to role.",
               "ResultStatus": "Success", "UserId": "admin@example.com", "Workload": "AzureActiveDirectory",
               "ObjectId": "dana@example.com",
               "ModifiedProperties": [{"Name": "Role.DisplayName", "NewValue": "Global Administrator", "OldValue": "x"},
                                      {"Name": "Group.DisplayName", "NewValue": "G", "OldValue": ""},
                                      {"Name": "Group.ObjectID", "NewValue": "g1", "OldValue": ""}],
               "Target": [{"ID": "dana@example.com", "Type": 5}]}),
        json!({"CreationTime": "2026-03-02T10:00:00", "Id": "t1", "Operation": "MemberRemoved",
               "UserId": "admin@example.com", "Workload": "MicrosoftTeams",
               "Members": [{"UPN": "sam@example.com", "DisplayName": "Sam", "Role": 1}]}),
        json!({"time": "2026-03-02T08:05:00Z", "category": "MicrosoftGraphActivityLogs",
               "properties": {"requestId": "q", "requestMethod": "GET", "responseStatusCode": 302,
                              "requestUri": "https://graph.microsoft.com/v1.0/me/drive/items/1/content",
                              "userId": "0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d", "ipAddress": "192.0.2.1",
                              "userAgent": "curl", "signInActivityId": "s", "sessionId": "p",
                              "appId": "a", "deviceId": "d", "location": "West Europe", "responseSizeBytes": 10}}),
        json!({"time": "2026-03-02T08:00:00Z", "category": "SignInLogs",
               "properties": {"id": "s", "userPrincipalName": "dana@example.com", "userId": "u",
                              "userDisplayName": "Dana", "appId": "a", "appDisplayName": "App",
                              "resourceDisplayName": "Graph", "resourceId": "r", "ipAddress": "192.0.2.1",
                              "userAgent": "Mozilla", "sessionId": "sess",
                              "deviceDetail": {"deviceId": "d", "displayName": "laptop", "operatingSystem": "Windows10", "browser": "Edge"},
                              "location": {"city": "c", "state": "s", "countryOrRegion": "NL", "geoCoordinates": {"latitude": 1.0, "longitude": 2.0}},
                              "status": {"errorCode": 50126, "failureReason": "bad", "additionalDetails": "more"},
                              "riskLevelDuringSignIn": "high", "riskState": "atRisk", "riskDetail": "none",
                              "riskEventTypes": ["x"], "riskEventTypes_v2": ["y"]}}),
    ];
    let logs = corpus_dir().join("logs");
    for path in files_under(&logs) {
        let name = path.to_string_lossy();
        let json = [".json", ".jsonl", ".log"].iter().any(|ext| name.ends_with(ext));
        if json && !name.contains("LICENSE") {
            records.extend(records_of(&path).into_iter().map(|(_, r)| r));
        }
        if name.ends_with(".csv") {
            records.extend(csv_records(&path));
        }
    }
    records
}

/// Reads the rows of a CSV sample as JSON objects of strings, the form the CLI gives them.
fn csv_records(path: &std::path::Path) -> Vec<serde_json::Value> {
    let bytes = std::fs::read(path).unwrap_or_default();
    let Ok(file) = sources::CsvFile::parse(&bytes) else { return Vec::new() };
    file.rows
        .into_iter()
        .filter_map(|row| row.values.ok())
        .map(|values| {
            let pairs = file.headers.iter().cloned().zip(values.into_iter().map(Into::into));
            serde_json::Value::Object(pairs.collect())
        })
        .collect()
}

#[test]
fn emitted_paths_resolve_in_schema() {
    let mut paths = BTreeSet::new();
    let mut normalizer = Normalizer::new(Identities::new());
    for record in sample_records() {
        for event in normalizer.normalize(&record, Format::Auto).unwrap_or_default() {
            collect_paths(&event.root, "", &mut paths);
        }
    }
    assert!(paths.len() > 40, "too few paths collected: {paths:?}");
    let unresolved: Vec<String> = paths
        .iter()
        .filter_map(|path| {
            let segments: Vec<&str> = path.split('.').collect();
            udm::schema::resolve(udm::schema::event(), &segments)
                .err()
                .map(|e| format!("{path}: {e}"))
        })
        .collect();
    assert!(unresolved.is_empty(), "paths not in the UDM schema:\n{}", unresolved.join("\n"));
}
