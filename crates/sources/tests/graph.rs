//! Microsoft Graph activity logs, built from the documented `MicrosoftGraphActivityLogs`
//! schema, and identity resolution from earlier sign-ins.

mod common;

use common::{assert_udm_eq, normalize_json, text_at};
use serde_json::json;
use sources::{Format, Identities, Normalizer};

const OBJECT_ID: &str = "0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d";

fn activity(user_id: &str) -> serde_json::Value {
    json!({
        "time": "2026-03-02T08:05:00.0000000Z",
        "resourceId": "/TENANTS/00000000-0000-4000-8000-0000000000aa/PROVIDERS/MICROSOFT.AADIAM",
        "operationName": "Microsoft Graph Activity",
        "operationVersion": "v1.0",
        "category": "MicrosoftGraphActivityLogs",
        "resultSignature": "200",
        "durationMs": 125,
        "callerIpAddress": "203.0.113.7",
        "correlationId": "aaaaaaaa-0000-4000-8000-000000000001",
        "level": "Informational",
        "location": "West Europe",
        "properties": {
            "timeGenerated": "2026-03-02T08:05:00.0000000Z",
            "location": "West Europe",
            "requestId": "bbbbbbbb-0000-4000-8000-000000000002",
            "operationId": "bbbbbbbb-0000-4000-8000-000000000002",
            "clientRequestId": "bbbbbbbb-0000-4000-8000-000000000002",
            "apiVersion": "v1.0",
            "requestMethod": "get",
            "responseStatusCode": 200,
            "tenantId": "00000000-0000-4000-8000-0000000000aa",
            "durationMs": 125,
            "responseSizeBytes": 4096,
            "signInActivityId": "TwAAAAAAAAAAAAAAAAAAAA",
            "roles": "",
            "tokenIssuedAt": "2026-03-02T08:00:00Z",
            "appId": "14d82eec-204b-4c2f-b7e8-296a70dab67e",
            "userId": user_id,
            "servicePrincipalId": "",
            "scopes": "Mail.Read Files.Read.All",
            "identityProvider": "https://sts.windows.net/00000000-0000-4000-8000-0000000000aa/",
            "clientAuthMethod": 0,
            "wids": "b79fbf4d-3ef9-4689-8143-76b194e85509",
            "ipAddress": "203.0.113.7",
            "userAgent": "python-requests/2.31",
            "requestUri": "https://graph.microsoft.com/v1.0/me/messages?$top=999"
        }
    })
}

#[test]
fn graph_activity_snapshot() {
    let events = normalize_json(&activity(OBJECT_ID), Format::Auto);
    assert_eq!(events.len(), 1);
    let expected = json!({
        "metadata": {
            "event_timestamp": "2026-03-02T08:05:00Z",
            "event_type": "NETWORK_HTTP",
            "vendor_name": "Microsoft",
            "product_name": "Microsoft",
            "log_type": "AZURE_AD",
            "product_event_type": "Microsoft Graph Activity",
            "product_log_id": "bbbbbbbb-0000-4000-8000-000000000002"
        },
        "target": {"url": "https://graph.microsoft.com/v1.0/me/messages?$top=999"},
        "network": {
            "http": {"method": "GET", "response_code": 200, "user_agent": "python-requests/2.31"},
            "received_bytes": 4096,
            "session_id": "TwAAAAAAAAAAAAAAAAAAAA"
        },
        "principal": {
            "ip": ["203.0.113.7"],
            "user": {"userid": OBJECT_ID, "product_object_id": OBJECT_ID},
            "application": "14d82eec-204b-4c2f-b7e8-296a70dab67e",
            "location": {"name": "West Europe"}
        },
        "additional": {
            "resourceId": "/TENANTS/00000000-0000-4000-8000-0000000000aa/PROVIDERS/MICROSOFT.AADIAM",
            "operationVersion": "v1.0",
            "category": "MicrosoftGraphActivityLogs",
            "resultSignature": "200",
            "durationMs": "125",
            "callerIpAddress": "203.0.113.7",
            "correlationId": "aaaaaaaa-0000-4000-8000-000000000001",
            "level": "Informational",
            "location": "West Europe",
            "properties.timeGenerated": "2026-03-02T08:05:00.0000000Z",
            "properties.operationId": "bbbbbbbb-0000-4000-8000-000000000002",
            "properties.clientRequestId": "bbbbbbbb-0000-4000-8000-000000000002",
            "properties.apiVersion": "v1.0",
            "properties.tenantId": "00000000-0000-4000-8000-0000000000aa",
            "properties.durationMs": "125",
            "properties.tokenIssuedAt": "2026-03-02T08:00:00Z",
            "properties.scopes": "Mail.Read Files.Read.All",
            "properties.identityProvider": "https://sts.windows.net/00000000-0000-4000-8000-0000000000aa/",
            "properties.clientAuthMethod": "0",
            "properties.wids": "b79fbf4d-3ef9-4689-8143-76b194e85509"
        }
    });
    assert_udm_eq(&events[0], &expected);
}

#[test]
fn log_analytics_table_row_is_read() {
    let row = json!({
        "TimeGenerated": "2026-03-02T08:05:00Z",
        "Type": "MicrosoftGraphActivityLogs",
        "RequestId": "r-1",
        "RequestMethod": "DELETE",
        "RequestUri": "https://graph.microsoft.com/v1.0/groups/1/members/2/$ref",
        "ResponseStatusCode": "204",
        "IPAddress": "192.0.2.10",
        "UserId": OBJECT_ID,
        "SignInActivityId": "sid"
    });
    assert_eq!(sources::detect(row.as_object().unwrap()), Some(Format::Graph));
    let events = normalize_json(&row, Format::Auto);
    let event = &events[0];
    assert_eq!(text_at(event, "metadata.product_log_id"), Some("r-1"));
    assert_eq!(text_at(event, "network.http.method"), Some("DELETE"));
    assert_eq!(event["network"]["http"]["response_code"], json!(204));
    assert_eq!(text_at(event, "principal.ip"), Some("192.0.2.10"));
    assert_eq!(text_at(event, "network.session_id"), Some("sid"));
}

#[test]
fn sign_in_teaches_graph_the_principal_name() {
    let sign_in = json!({
        "time": "2026-03-02T08:00:00Z",
        "category": "SignInLogs",
        "properties": {
            "id": "s-1",
            "createdDateTime": "2026-03-02T08:00:00Z",
            "userPrincipalName": "Dana.Lee@example.com",
            "userId": OBJECT_ID,
            "ipAddress": "203.0.113.7",
            "status": {"errorCode": 0}
        }
    });
    let mut normalizer = Normalizer::new(Identities::new());
    normalizer.normalize(&sign_in, Format::Auto).unwrap();
    let events = normalizer.normalize(&activity(OBJECT_ID), Format::Auto).unwrap();
    let json = udm::json::event_to_json(&events[0]);
    assert_eq!(text_at(&json, "principal.user.userid"), Some("Dana.Lee@example.com"));
    assert_eq!(json["principal"]["user"]["email_addresses"], json!(["dana.lee@example.com"]));
    assert_eq!(text_at(&json, "principal.user.product_object_id"), Some(OBJECT_ID));
}

#[test]
fn identities_file_supplies_canonical_email() {
    let csv = format!(
        "email,entra_object_id,upn\ndana@example.com,{OBJECT_ID},dana.lee@corp.example.com\n"
    );
    let identities = Identities::from_csv(&csv, "people.csv").unwrap();
    let mut normalizer = Normalizer::new(identities);
    let events = normalizer.normalize(&activity(OBJECT_ID), Format::Graph).unwrap();
    let json = udm::json::event_to_json(&events[0]);
    assert_eq!(text_at(&json, "principal.user.userid"), Some("dana@example.com"));
    assert_eq!(json["principal"]["user"]["email_addresses"], json!(["dana@example.com"]));
}

#[test]
fn ual_user_key_teaches_graph_the_principal_name() {
    let ual = json!({
        "CreationTime": "2026-03-02T08:00:00",
        "Id": "u-1",
        "Operation": "UserLoggedIn",
        "UserId": "dana.lee@example.com",
        "UserKey": OBJECT_ID.to_uppercase()
    });
    let mut normalizer = Normalizer::new(Identities::new());
    normalizer.normalize(&ual, Format::Auto).unwrap();
    let events = normalizer.normalize(&activity(OBJECT_ID), Format::Auto).unwrap();
    let json = udm::json::event_to_json(&events[0]);
    assert_eq!(text_at(&json, "principal.user.userid"), Some("dana.lee@example.com"));
}

/// Returns the `principal.user` of a Graph activity record read after `learned`.
fn graph_user_after(learned: &[serde_json::Value]) -> serde_json::Value {
    let mut normalizer = Normalizer::new(Identities::new());
    for record in learned {
        normalizer.normalize(record, Format::Auto).unwrap();
    }
    let events = normalizer.normalize(&activity(OBJECT_ID), Format::Auto).unwrap();
    udm::json::event_to_json(&events[0])["principal"]["user"].clone()
}

fn sign_in_as(upn: &str) -> serde_json::Value {
    json!({
        "time": "2026-03-02T08:00:00Z",
        "category": "SignInLogs",
        "properties": {
            "id": "s-1",
            "createdDateTime": "2026-03-02T08:00:00Z",
            "userPrincipalName": upn,
            "userId": OBJECT_ID,
            "status": {"errorCode": 0}
        }
    })
}

fn user_logged_in_as(user_id: &str) -> serde_json::Value {
    json!({
        "CreationTime": "2026-03-02T08:00:00",
        "Id": "u-1",
        "Operation": "UserLoggedIn",
        "UserId": user_id,
        "UserKey": OBJECT_ID
    })
}

#[test]
fn lower_case_spelling_wins_either_order() {
    let typed = sign_in_as("Dana.Lee@Example.com");
    let lower = user_logged_in_as("dana.lee@example.com");
    for learned in [[typed.clone(), lower.clone()], [lower, typed]] {
        let user = graph_user_after(&learned);
        assert_eq!(user["userid"], "dana.lee@example.com");
        assert_eq!(user["email_addresses"], json!(["dana.lee@example.com"]));
    }
}

#[test]
fn first_sorting_name_wins_either_order() {
    let old = sign_in_as("dana.lee@example.com");
    let renamed = user_logged_in_as("dana.smith@example.com");
    for learned in [[old.clone(), renamed.clone()], [renamed, old]] {
        let user = graph_user_after(&learned);
        assert_eq!(user["userid"], "dana.lee@example.com");
        assert_eq!(user["email_addresses"], json!(["dana.lee@example.com"]));
    }
}

#[test]
fn identities_file_email_survives_learned_names() {
    let csv = format!("email,entra_object_id\ndana@example.com,{OBJECT_ID}\n");
    let mut normalizer = Normalizer::new(Identities::from_csv(&csv, "people.csv").unwrap());
    normalizer.normalize(&sign_in_as("Dana.Lee@Example.com"), Format::Auto).unwrap();
    normalizer.normalize(&user_logged_in_as("dana.lee@example.com"), Format::Auto).unwrap();
    assert_eq!(normalizer.identities().resolve(OBJECT_ID), Some("dana@example.com"));
}

#[test]
fn missing_time_is_rejected() {
    let mut record = activity(OBJECT_ID);
    record.as_object_mut().unwrap().remove("time");
    record["properties"].as_object_mut().unwrap().remove("timeGenerated");
    let mut normalizer = Normalizer::new(Identities::new());
    assert!(normalizer.normalize(&record, Format::Graph).is_err());
}

#[test]
fn numbers_as_text_are_read() {
    // A CSV export, such as the Azure portal's Log Analytics export, gives every cell as text.
    let mut record = activity(OBJECT_ID);
    record["properties"]["responseSizeBytes"] = json!("4096");
    record["properties"]["responseStatusCode"] = json!("200");
    let events = normalize_json(&record, Format::Graph);
    let event = &events[0];
    assert_eq!(event["network"]["received_bytes"], json!(4096));
    assert_eq!(event["network"]["http"]["response_code"], json!(200));
    assert!(event["additional"].get("properties.responseSizeBytes").is_none());
}
