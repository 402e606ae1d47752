//! Entra ID sign-in logs: pinned UDM for each shape and the status and risk mappings.

mod common;

use common::{assert_udm_eq, normalize_json, text_at};
use serde_json::{json, Value};
use sources::{Format, Identities, Normalizer};

fn monitor_sign_in(category: &str, error_code: i64) -> serde_json::Value {
    json!({
        "time": "2026-03-02T08:00:00.1234567Z",
        "category": category,
        "operationName": "Sign-in activity",
        "resultType": error_code.to_string(),
        "callerIpAddress": "203.0.113.7",
        "properties": {
            "id": "5f0e0000-0000-4000-8000-00000000a001",
            "createdDateTime": "2026-03-02T08:00:00.1234567Z",
            "userPrincipalName": "dana.lee@example.com",
            "userId": "0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d",
            "userDisplayName": "Dana Lee",
            "appId": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
            "appDisplayName": "Microsoft Azure CLI",
            "ipAddress": "203.0.113.7",
            "status": {"errorCode": error_code, "failureReason": if error_code == 0 { "Other." } else { "Invalid username or password." }},
            "location": {"city": "Amsterdam", "state": "Noord-Holland", "countryOrRegion": "NL",
                         "geoCoordinates": {"latitude": 52.37, "longitude": 4.89}},
            "riskLevelDuringSignIn": "high",
            "riskLevelAggregated": "medium",
            "riskState": "atRisk",
            "riskEventTypes_v2": ["anonymizedIPAddress", "unfamiliarFeatures"]
        }
    })
}

#[test]
fn azure_monitor_sign_in_snapshot() {
    let events = normalize_json(&monitor_sign_in("SignInLogs", 0), Format::Entra);
    assert_eq!(events.len(), 1);
    let user = json!({
        "userid": "dana.lee@example.com",
        "email_addresses": ["dana.lee@example.com"],
        "product_object_id": "0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d",
        "user_display_name": "Dana Lee"
    });
    let expected = json!({
        "metadata": {
            "event_timestamp": "2026-03-02T08:00:00.123456700Z",
            "event_type": "USER_LOGIN",
            "vendor_name": "Microsoft",
            "product_name": "Azure AD",
            "log_type": "AZURE_AD",
            "product_event_type": "Sign-in activity",
            "product_log_id": "5f0e0000-0000-4000-8000-00000000a001"
        },
        "principal": {
            "user": user,
            "ip": ["203.0.113.7"],
            "location": {
                "city": "Amsterdam",
                "state": "Noord-Holland",
                "country_or_region": "NL",
                "region_coordinates": {"latitude": 52.37, "longitude": 4.89}
            }
        },
        "target": {
            "user": user,
            "application": "Microsoft Azure CLI",
            "resource": {
                "product_object_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
                "attribute": {"labels": [{"key": "App Id", "value": "04b07795-8ddb-461a-bbee-02f9e1bf7b46"}]}
            }
        },
        "security_result": [{
            "action": ["ALLOW"],
            "severity": "HIGH",
            "severity_details": "high",
            "description": "Other.",
            "action_details": "0",
            "rule_id": "0",
            "detection_fields": [
                {"key": "riskLevelDuringSignIn", "value": "high"},
                {"key": "riskLevelAggregated", "value": "medium"},
                {"key": "riskState", "value": "atRisk"},
                {"key": "riskEventTypes_v2", "value": "anonymizedIPAddress,unfamiliarFeatures"}
            ]
        }],
        "additional": {
            "category": "SignInLogs",
            "resultType": "0",
            "time": "2026-03-02T08:00:00.1234567Z"
        }
    });
    assert_udm_eq(&events[0], &expected);
}

#[test]
fn every_sign_in_category_is_a_login() {
    for category in [
        "SignInLogs",
        "NonInteractiveUserSignInLogs",
        "ServicePrincipalSignInLogs",
        "ManagedIdentitySignInLogs",
        "ADFSSignInLogs",
        "MicrosoftServicePrincipalSignInLogs",
    ] {
        let record = monitor_sign_in(category, 0);
        assert_eq!(sources::detect(record.as_object().unwrap()), Some(Format::Entra), "{category}");
        let events = normalize_json(&record, Format::Auto);
        assert_eq!(text_at(&events[0], "metadata.event_type"), Some("USER_LOGIN"), "{category}");
        assert_eq!(text_at(&events[0], "additional.category"), Some(category));
    }
}

#[test]
fn error_codes_map_to_actions() {
    for (code, action) in [(0, "ALLOW"), (50126, "FAIL"), (53003, "BLOCK"), (50140, "BLOCK")] {
        let events = normalize_json(&monitor_sign_in("SignInLogs", code), Format::Entra);
        assert_eq!(text_at(&events[0], "security_result.action"), Some(action), "code {code}");
        assert_eq!(
            text_at(&events[0], "security_result.action_details"),
            Some(code.to_string().as_str())
        );
    }
    let events = normalize_json(&monitor_sign_in("SignInLogs", 50126), Format::Entra);
    assert_eq!(
        text_at(&events[0], "security_result.description"),
        Some("Invalid username or password.")
    );
}

#[test]
fn graph_sign_in_resource_snapshot() {
    let record = json!({
        "id": "66ea54eb-6301-4ee5-be62-ff5a759b0100",
        "createdDateTime": "2026-03-02T08:00:00Z",
        "userDisplayName": "Dana Lee",
        "userPrincipalName": "dana.lee@example.com",
        "userId": "0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d",
        "appId": "de8bc8b5-d9f9-48b1-a8ad-b748da725064",
        "appDisplayName": "Graph Explorer",
        "ipAddress": "198.51.100.44",
        "clientAppUsed": "Browser",
        "status": {"errorCode": 0, "failureReason": null, "additionalDetails": null},
        "riskLevelDuringSignIn": "none",
        "riskLevelAggregated": "none",
        "riskState": "none"
    });
    assert_eq!(sources::detect(record.as_object().unwrap()), Some(Format::Entra));
    let events = normalize_json(&record, Format::Auto);
    let user = json!({
        "userid": "dana.lee@example.com",
        "email_addresses": ["dana.lee@example.com"],
        "product_object_id": "0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d",
        "user_display_name": "Dana Lee"
    });
    let expected = json!({
        "metadata": {
            "event_timestamp": "2026-03-02T08:00:00Z",
            "event_type": "USER_LOGIN",
            "vendor_name": "Microsoft",
            "product_name": "Azure AD",
            "log_type": "AZURE_AD",
            "product_event_type": "Sign-in activity",
            "product_log_id": "66ea54eb-6301-4ee5-be62-ff5a759b0100"
        },
        "principal": {"user": user, "ip": ["198.51.100.44"]},
        "target": {
            "user": user,
            "application": "Graph Explorer",
            "resource": {
                "product_object_id": "de8bc8b5-d9f9-48b1-a8ad-b748da725064",
                "attribute": {"labels": [{"key": "App Id", "value": "de8bc8b5-d9f9-48b1-a8ad-b748da725064"}]}
            }
        },
        "security_result": [{
            "action": ["ALLOW"],
            "severity": "INFORMATIONAL",
            "severity_details": "none",
            "action_details": "0",
            "rule_id": "0",
            "detection_fields": [
                {"key": "riskLevelDuringSignIn", "value": "none"},
                {"key": "riskLevelAggregated", "value": "none"},
                {"key": "riskState", "value": "none"}
            ]
        }],
        "additional": {"clientAppUsed": "Browser"}
    });
    assert_udm_eq(&events[0], &expected);
}

#[test]
fn log_analytics_pascal_case_is_read() {
    let record = json!({
        "Category": "ServicePrincipalSignInLogs",
        "CorrelationId": "83d4a233-76a0-4cc0-bbe6-9ce7ad506fc9",
        "CreatedDateTime": "2025-07-01T10:45:17.5824212Z",
        "OperationName": "Sign-in activity",
        "ServicePrincipalName": "etl-runner",
        "ServicePrincipalId": "9a9a9a9a-0000-4000-8000-000000000009",
        "IPAddress": "192.0.2.10",
        "ResultType": "0"
    });
    let events = normalize_json(&record, Format::Auto);
    let event = &events[0];
    assert_eq!(text_at(event, "metadata.event_timestamp"), Some("2025-07-01T10:45:17.582421200Z"));
    assert_eq!(text_at(event, "principal.user.userid"), Some("etl-runner"));
    assert_eq!(
        text_at(event, "principal.user.product_object_id"),
        Some("9a9a9a9a-0000-4000-8000-000000000009")
    );
    assert_eq!(text_at(event, "principal.ip"), Some("192.0.2.10"));
    assert_eq!(text_at(event, "security_result.action"), Some("ALLOW"));
    assert_eq!(event["additional"].get("OperationName"), None, "read fields are not repeated");
}

#[test]
fn object_id_in_upn_is_not_an_email() {
    let mut record = monitor_sign_in("NonInteractiveUserSignInLogs", 0);
    record["properties"]["userPrincipalName"] = json!("c3813493-bf92-5123-2717-8a8b2979c38b");
    let events = normalize_json(&record, Format::Entra);
    assert_eq!(
        text_at(&events[0], "principal.user.userid"),
        Some("c3813493-bf92-5123-2717-8a8b2979c38b")
    );
    assert!(events[0]["principal"]["user"].get("email_addresses").is_none());
}

#[test]
fn time_without_zone_is_utc() {
    for raw in [
        "2007-01-09T09:41:00",
        "01/09/2007 09:41:00",
        "1/9/2007 9:41:00 AM",
        "1/9/2007 10:41:00 AM +01:00",
    ] {
        let record = json!({"time": raw, "category": "SignInLogs"});
        let events = normalize_json(&record, Format::Auto);
        assert_eq!(
            text_at(&events[0], "metadata.event_timestamp"),
            Some("2007-01-09T09:41:00Z"),
            "{raw}"
        );
    }
}

/// `Get-MgAuditLogSignIn | ConvertTo-Json` in Windows PowerShell 5.1: PascalCase properties,
/// and `DateTime` values written as `\/Date(milliseconds since the epoch)\/`.
#[test]
fn powershell_graph_sign_in_is_read() {
    let text = r#"[
  {
    "AppDisplayName": "Microsoft Graph Command Line Tools",
    "AppId": "14d82eec-204b-4c2f-b7e8-296a70dab67e",
    "CreatedDateTime": "\/Date(1168335660123)\/",
    "Id": "5b5b2c57-7a3c-4d4e-9b53-9d3c6c7e0a01",
    "IPAddress": "203.0.113.7",
    "Status": {"ErrorCode": 0, "FailureReason": "Other."},
    "UserId": "6e7b768e-07e2-4810-8459-485f84f8f204",
    "UserPrincipalName": "dana.lee@example.com",
    "AdditionalProperties": {}
  }
]"#;
    let record: Value = serde_json::from_str(text).unwrap();
    let event = normalize_json(&record, Format::Auto).remove(0);
    assert_eq!(text_at(&event, "metadata.event_timestamp"), Some("2007-01-09T09:41:00.123Z"));
    assert_eq!(text_at(&event, "metadata.event_type"), Some("USER_LOGIN"));
    assert_eq!(text_at(&event, "principal.user.userid"), Some("dana.lee@example.com"));
    assert_eq!(text_at(&event, "principal.ip"), Some("203.0.113.7"));
    assert_eq!(text_at(&event, "security_result.action"), Some("ALLOW"));
}

#[test]
fn unparseable_time_is_rejected() {
    let record = json!({"time": "31/31/2007 25:00", "category": "SignInLogs"});
    let mut normalizer = Normalizer::new(Identities::new());
    let error = normalizer.normalize(&record, Format::Auto).unwrap_err();
    assert!(error.to_string().contains("time"), "{error}");
}

#[test]
fn azure_monitor_records_wrapper_is_unpacked() {
    let wrapper = json!({"records": [monitor_sign_in("SignInLogs", 0), monitor_sign_in("SignInLogs", 50126)]});
    let events = normalize_json(&wrapper, Format::Auto);
    assert_eq!(events.len(), 2);
}

/// The Log Analytics query API returns `{"tables": [{"name", "columns": [{"name", "type"}],
/// "rows": [[...]]}]}`, with `dynamic` columns as JSON text. Each row is one record, and a row
/// whose cell count differs from the columns' is rejected alone.
#[test]
fn log_analytics_api_response_is_unpacked() {
    let columns = json!([
        {"name": "TimeGenerated", "type": "datetime"},
        {"name": "UserPrincipalName", "type": "string"},
        {"name": "IPAddress", "type": "string"},
        {"name": "ResultType", "type": "string"},
        {"name": "Status", "type": "dynamic"},
        {"name": "Type", "type": "string"}
    ]);
    let response = json!({"tables": [{
        "name": "PrimaryResult",
        "columns": columns,
        "rows": [
            ["2026-03-02T08:00:01.5Z", "dana.lee@example.com", "203.0.113.7", "0",
             "{\"errorCode\":0}", "SigninLogs"],
            ["2026-03-02T08:00:02Z", "dana.lee@example.com"],
            ["2026-03-02T08:00:03Z", "sam.roe@example.com", "203.0.113.8", "50126",
             "{\"errorCode\":50126}", "SigninLogs"]
        ]
    }]});
    let mut normalizer = Normalizer::new(Identities::new());
    let outcomes = normalizer.normalize_each(&response, Format::Auto);
    let paths: Vec<&str> = outcomes.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(paths, ["tables[0].rows[0]", "tables[0].rows[1]", "tables[0].rows[2]"]);
    assert!(outcomes[1].result.is_err(), "{:?}", outcomes[1].result);

    let events = |index: usize| {
        let found = outcomes[index].result.as_ref().expect("row read");
        found.iter().map(udm::json::event_to_json).collect::<Vec<_>>()
    };
    let first = events(0).remove(0);
    assert_eq!(text_at(&first, "metadata.event_timestamp"), Some("2026-03-02T08:00:01.500Z"));
    assert_eq!(text_at(&first, "principal.user.userid"), Some("dana.lee@example.com"));
    assert_eq!(text_at(&first, "principal.ip"), Some("203.0.113.7"));
    assert_eq!(text_at(&first, "security_result.action"), Some("ALLOW"));
    let third = events(2).remove(0);
    assert_eq!(text_at(&third, "principal.user.userid"), Some("sam.roe@example.com"));
    assert_eq!(text_at(&third, "security_result.action"), Some("FAIL"));
}

/// A row of the Log Analytics table `table`, with `LocationDetails`, `Status` and
/// `DeviceDetail` as given: objects in `SigninLogs`, JSON text in the non-interactive and
/// service principal tables.
fn log_analytics_row(table: &str, location: Value, status: Value, device: Value) -> Value {
    json!({
        "TenantId": "11111111-2222-4333-8444-555555555555",
        "TimeGenerated": "2026-03-02T08:00:01.5Z",
        "ResourceId": "/tenants/11111111-2222-4333-8444-555555555555/providers/Microsoft.aadiam",
        "OperationName": "Sign-in activity",
        "Category": table.trim_start_matches("AAD"),
        "ResultType": "50126",
        "Location": "NL",
        "CreatedDateTime": "2026-03-02T08:00:00Z",
        "Id": "7a7a0000-0000-4000-8000-00000000b001",
        "UserPrincipalName": "dana.lee@example.com",
        "UserId": "0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d",
        "IPAddress": "203.0.113.7",
        "AppDisplayName": "Microsoft Graph Command Line Tools",
        "ResourceIdentity": "00000003-0000-0000-c000-000000000000",
        "ResourceDisplayName": "Microsoft Graph",
        "LocationDetails": location,
        "Status": status,
        "DeviceDetail": device,
        "Type": table
    })
}

#[test]
fn log_analytics_location_status_and_device() {
    let location = json!({"city": "Amsterdam", "state": "Noord-Holland", "countryOrRegion": "NL",
                          "geoCoordinates": {"latitude": 52.37, "longitude": 4.89}});
    let status = json!({"errorCode": 50126, "failureReason": "Invalid username or password."});
    let device = json!({"deviceId": "", "operatingSystem": "Windows10", "browser": "Edge 126.0"});
    let as_objects =
        log_analytics_row("SigninLogs", location.clone(), status.clone(), device.clone());
    let as_text = log_analytics_row(
        "AADNonInteractiveUserSignInLogs",
        Value::String(location.to_string()),
        Value::String(status.to_string()),
        Value::String(device.to_string()),
    );
    for (shape, record) in [("objects", as_objects), ("JSON text", as_text)] {
        let events = normalize_json(&record, Format::Auto);
        let event = &events[0];
        assert_eq!(text_at(event, "principal.location.city"), Some("Amsterdam"), "{shape}");
        assert_eq!(text_at(event, "principal.location.country_or_region"), Some("NL"), "{shape}");
        assert_eq!(
            event["principal"]["location"]["region_coordinates"],
            json!({"latitude": 52.37, "longitude": 4.89}),
            "{shape}"
        );
        assert_eq!(text_at(event, "security_result.action"), Some("FAIL"), "{shape}");
        assert_eq!(
            text_at(event, "security_result.description"),
            Some("Invalid username or password."),
            "{shape}"
        );
        assert_eq!(text_at(event, "principal.platform_version"), Some("Windows10"), "{shape}");
        let labels = &event["target"]["resource"]["attribute"]["labels"];
        assert_eq!(
            labels,
            &json!([{"key": "Resource Id", "value": "00000003-0000-0000-c000-000000000000"}]),
            "{shape}: the sign-in's resource, not the Azure resource path"
        );
        assert_eq!(
            text_at(event, "additional.ResourceId"),
            Some("/tenants/11111111-2222-4333-8444-555555555555/providers/Microsoft.aadiam"),
            "{shape}"
        );
    }
}

/// A row of the CSV that the Microsoft Entra admin center downloads from its sign-in logs, as
/// the CLI hands CSV rows over: every cell a string, keyed by the column's title.
fn admin_center_row(cells: &[(&str, &str)]) -> Value {
    let row: serde_json::Map<String, Value> =
        cells.iter().map(|(k, v)| ((*k).to_owned(), Value::from(*v))).collect();
    Value::Object(row)
}

#[test]
fn admin_center_csv_download_is_read() {
    let interactive = admin_center_row(&[
        ("Date (UTC)", "2026-03-02T08:00:00Z"),
        ("Request ID", "7a7a0000-0000-4000-8000-00000000d001"),
        ("User agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"),
        ("Correlation ID", "c0c0c0c0-0000-4000-8000-000000000001"),
        ("User ID", "0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d"),
        ("User", "Dana Lee"),
        ("Username", "dana.lee@example.com"),
        ("User type", "Member"),
        ("Application", "Office 365 Exchange Online"),
        ("Application ID", "00000002-0000-0ff1-ce00-000000000000"),
        ("Resource", "Office 365 Exchange Online"),
        ("Resource ID", "00000002-0000-0ff1-ce00-000000000000"),
        ("IP address", "203.0.113.7"),
        ("Location", "Amsterdam, Noord-Holland, NL"),
        ("Status", "Failure"),
        ("Sign-in error code", "50126"),
        ("Failure reason", "Invalid username or password."),
        ("Client app", "Browser"),
        ("Device ID", ""),
        ("Browser", "Edge 126.0"),
        ("Operating System", "Windows10"),
        ("Conditional Access", "Not Applied"),
        ("Autonomous system number", "64500"),
    ]);
    let events = normalize_json(&interactive, Format::Auto);
    let event = &events[0];
    assert_eq!(text_at(event, "metadata.log_type"), Some("AZURE_AD"));
    assert_eq!(text_at(event, "metadata.event_type"), Some("USER_LOGIN"));
    assert_eq!(text_at(event, "metadata.event_timestamp"), Some("2026-03-02T08:00:00Z"));
    assert_eq!(
        text_at(event, "metadata.product_log_id"),
        Some("7a7a0000-0000-4000-8000-00000000d001")
    );
    assert_eq!(text_at(event, "principal.user.userid"), Some("dana.lee@example.com"));
    assert_eq!(
        text_at(event, "principal.user.product_object_id"),
        Some("0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d")
    );
    assert_eq!(text_at(event, "principal.user.user_display_name"), Some("Dana Lee"));
    assert_eq!(text_at(event, "principal.ip"), Some("203.0.113.7"));
    assert_eq!(text_at(event, "principal.location.city"), Some("Amsterdam"));
    assert_eq!(text_at(event, "principal.location.state"), Some("Noord-Holland"));
    assert_eq!(text_at(event, "principal.location.country_or_region"), Some("NL"));
    assert_eq!(text_at(event, "principal.platform_version"), Some("Windows10"));
    assert_eq!(
        text_at(event, "network.http.user_agent"),
        Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
    );
    assert_eq!(text_at(event, "target.application"), Some("Office 365 Exchange Online"));
    assert_eq!(text_at(event, "security_result.action"), Some("FAIL"));
    assert_eq!(
        text_at(event, "security_result.description"),
        Some("Invalid username or password.")
    );
    assert_eq!(text_at(event, "additional.Autonomous system number"), Some("64500"));

    let service_principal = admin_center_row(&[
        ("Date (UTC)", "2026-03-02T08:05:00Z"),
        ("Request ID", "7a7a0000-0000-4000-8000-00000000d002"),
        ("Service principal name", "etl-runner"),
        ("Service principal ID", "9a9a9a9a-0000-4000-8000-000000000009"),
        ("Application ID", "aaaa1111-0000-4000-8000-000000000001"),
        ("Resource", "Microsoft Graph"),
        ("IP address", "192.0.2.10"),
        ("Location", "Boston, Massachusetts, US"),
        ("Status", "Success"),
    ]);
    let events = normalize_json(&service_principal, Format::Auto);
    let event = &events[0];
    assert_eq!(text_at(event, "principal.user.userid"), Some("etl-runner"));
    assert_eq!(text_at(event, "security_result.action"), Some("ALLOW"));
    assert_eq!(text_at(event, "principal.location.city"), Some("Boston"));
}

/// Returns the message of the error that normalising `record` as `format` gives.
fn rejection(record: &Value, format: Format) -> String {
    let mut normalizer = Normalizer::new(Identities::new());
    match normalizer.normalize(record, format) {
        Ok(events) => panic!("record read as {} events: {record}", events.len()),
        Err(error) => error.to_string(),
    }
}

#[test]
fn other_azure_categories_are_rejected() {
    let audit = json!({
        "time": "2026-03-02T08:00:00Z",
        "category": "AuditLogs",
        "operationName": "Add member to role",
        "properties": {"id": "a1", "activityDisplayName": "Add member to role"}
    });
    let detected = rejection(&audit, Format::Auto);
    assert!(detected.contains("category `AuditLogs` is not supported"), "{detected}");
    assert!(!detected.contains("--format"), "{detected}");
    let forced = rejection(&audit, Format::Entra);
    assert!(forced.contains("`AuditLogs` is not an Entra ID sign-in log"), "{forced}");
    let graph = rejection(&audit, Format::Graph);
    assert!(graph.contains("`AuditLogs` is not Microsoft Graph activity"), "{graph}");
}

#[test]
fn sign_in_and_graph_formats_keep_their_categories() {
    let sign_in = monitor_sign_in("NonInteractiveUserSignInLogs", 0);
    let as_graph = rejection(&sign_in, Format::Graph);
    assert!(
        as_graph.contains("`NonInteractiveUserSignInLogs` is not Microsoft Graph"),
        "{as_graph}"
    );
    assert_eq!(normalize_json(&sign_in, Format::Entra).len(), 1);
    let activity = json!({
        "time": "2026-03-02T08:00:00Z",
        "category": "MicrosoftGraphActivityLogs",
        "properties": {"requestUri": "https://graph.microsoft.com/v1.0/me", "requestMethod": "GET"}
    });
    let as_entra = rejection(&activity, Format::Entra);
    assert!(as_entra.contains("`MicrosoftGraphActivityLogs` is not an Entra ID"), "{as_entra}");
    // Log Analytics exports name the table in `Type`.
    let table = json!({"TimeGenerated": "2026-03-02T08:00:00Z", "Type": "AuditLogs", "Id": "a2"});
    let detected = rejection(&table, Format::Auto);
    assert!(detected.contains("category `AuditLogs` is not supported"), "{detected}");
}
