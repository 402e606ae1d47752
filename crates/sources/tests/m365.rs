//! Microsoft 365 Unified Audit Log records: pinned UDM for representative operations.

mod common;

use common::{assert_udm_eq, normalize_json, text_at};
use serde_json::json;
use sources::{Format, Identities, Normalizer};

#[test]
fn user_logged_in_snapshot() {
    let record = json!({
        "CreationTime": "2026-03-02T08:15:30",
        "Id": "11111111-aaaa-4bbb-8ccc-000000000001",
        "Operation": "UserLoggedIn",
        "RecordType": 15,
        "ResultStatus": "Success",
        "UserKey": "0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d",
        "Workload": "AzureActiveDirectory",
        "ClientIP": "[203.0.113.7]:50432",
        "ObjectId": "1b730954-1685-4b74-9bfd-dac224a7b894",
        "UserId": "Dana.Lee@Example.com",
        "ExtendedProperties": [
            {"Name": "UserAgent", "Value": "python-requests/2.31"},
            {"Name": "RequestType", "Value": "OAuth2:Token"}
        ]
    });
    let events = normalize_json(&record, Format::M365);
    assert_eq!(events.len(), 1);
    let expected = json!({
        "metadata": {
            "event_timestamp": "2026-03-02T08:15:30Z",
            "vendor_name": "Microsoft",
            "product_name": "Office 365",
            "log_type": "OFFICE_365",
            "product_event_type": "UserLoggedIn",
            "product_log_id": "11111111-aaaa-4bbb-8ccc-000000000001",
            "event_type": "USER_LOGIN"
        },
        "target": {
            "application": "AzureActiveDirectory",
            "resource": {
                "attribute": {"labels": [
                    {"key": "UserAgent", "value": "python-requests/2.31"},
                    {"key": "RequestType", "value": "OAuth2:Token"}
                ]},
                "product_object_id": "1b730954-1685-4b74-9bfd-dac224a7b894"
            },
            "user": {
                "userid": "Dana.Lee@Example.com",
                "email_addresses": ["dana.lee@example.com"]
            }
        },
        "principal": {
            "user": {
                "userid": "Dana.Lee@Example.com",
                "email_addresses": ["dana.lee@example.com"],
                "product_object_id": "0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d"
            },
            "ip": ["203.0.113.7"]
        },
        "network": {"http": {"user_agent": "python-requests/2.31"}},
        "security_result": [{"action": ["ALLOW"], "summary": "Success"}],
        "additional": {"RecordType": "15"}
    });
    assert_udm_eq(&events[0], &expected);
}

#[test]
fn user_login_failed_is_block() {
    let record = json!({
        "CreationTime": "2026-03-02T08:15:30",
        "Id": "f1",
        "Operation": "UserLoginFailed",
        "ResultStatus": "Success",
        "UserId": "dana.lee@example.com",
        "Workload": "AzureActiveDirectory",
        "LogonError": "InvalidUserNameOrPassword",
        "ClientIP": "198.51.100.20"
    });
    let events = normalize_json(&record, Format::M365);
    assert_eq!(text_at(&events[0], "metadata.event_type"), Some("USER_LOGIN"));
    assert_eq!(text_at(&events[0], "security_result.action"), Some("BLOCK"));
    assert_eq!(
        text_at(&events[0], "security_result.description"),
        Some("InvalidUserNameOrPassword")
    );
}

#[test]
fn mail_items_accessed_snapshot() {
    let record = json!({
        "CreationTime": "2026-03-02T09:00:00",
        "Id": "m1",
        "Operation": "MailItemsAccessed",
        "ResultStatus": "Succeeded",
        "UserKey": "10032001AAAA0001",
        "UserId": "dana.lee@example.com",
        "Workload": "Exchange",
        "AppId": "00000003-0000-0000-c000-000000000000",
        "ClientIPAddress": "198.51.100.20",
        "ClientInfoString": "Client=REST;Client=RESTSystem;;",
        "MailboxOwnerUPN": "ceo@example.com",
        "SessionId": "c0ffee00-0000-4000-8000-000000000001",
        "OperationProperties": [{"Name": "MailAccessType", "Value": "Bind"}]
    });
    let events = normalize_json(&record, Format::M365);
    let expected = json!({
        "metadata": {
            "event_timestamp": "2026-03-02T09:00:00Z",
            "vendor_name": "Microsoft",
            "product_name": "Office 365",
            "log_type": "OFFICE_365",
            "product_event_type": "MailItemsAccessed",
            "product_log_id": "m1",
            "event_type": "EMAIL_UNCATEGORIZED"
        },
        "target": {
            "application": "Exchange",
            "labels": [{"key": "ClientAppId", "value": "00000003-0000-0000-c000-000000000000"}],
            "user": {"userid": "ceo@example.com", "email_addresses": ["ceo@example.com"]}
        },
        "principal": {
            "user": {
                "userid": "dana.lee@example.com",
                "email_addresses": ["dana.lee@example.com"],
                "product_object_id": "10032001AAAA0001"
            },
            "ip": ["198.51.100.20"]
        },
        "network": {
            "http": {"user_agent": "Client=REST;Client=RESTSystem;;"},
            "session_id": "c0ffee00-0000-4000-8000-000000000001"
        },
        "security_result": [{"action": ["ALLOW"], "summary": "Succeeded"}],
        "additional": {
            "OperationProperties": "[{\"Name\":\"MailAccessType\",\"Value\":\"Bind\"}]"
        }
    });
    assert_udm_eq(&events[0], &expected);
}

#[test]
fn file_downloaded_snapshot() {
    let record = json!({
        "CreationTime": "2026-03-02T09:05:00",
        "Id": "d1",
        "Operation": "FileDownloaded",
        "UserKey": "i:0h.f|membership|10032001aaaa0001@live.com",
        "UserId": "dana.lee@example.com",
        "Workload": "SharePoint",
        "ClientIP": "198.51.100.20",
        "ObjectId": "https://example.sharepoint.com/sites/Finance/Shared Documents/q1.xlsx",
        "SiteUrl": "https://example.sharepoint.com/sites/Finance/",
        "FileSizeBytes": 18632,
        "UserAgent": "Mozilla/5.0"
    });
    let events = normalize_json(&record, Format::M365);
    let expected = json!({
        "metadata": {
            "event_timestamp": "2026-03-02T09:05:00Z",
            "vendor_name": "Microsoft",
            "product_name": "Office 365",
            "log_type": "OFFICE_365",
            "product_event_type": "FileDownloaded",
            "product_log_id": "d1",
            "event_type": "USER_RESOURCE_UPDATE_CONTENT"
        },
        "target": {
            "application": "SharePoint",
            "url": "https://example.sharepoint.com/sites/Finance/Shared Documents/q1.xlsx",
            "file": {
                "full_path": "https://example.sharepoint.com/sites/Finance/Shared Documents/q1.xlsx",
                "size": 18632
            },
            "resource": {"name": "https://example.sharepoint.com/sites/Finance/"}
        },
        "principal": {
            "user": {
                "userid": "dana.lee@example.com",
                "email_addresses": ["dana.lee@example.com"],
                "product_object_id": "i:0h.f|membership|10032001aaaa0001@live.com"
            },
            "ip": ["198.51.100.20"]
        },
        "network": {"http": {"user_agent": "Mozilla/5.0"}}
    });
    assert_udm_eq(&events[0], &expected);
}

#[test]
fn add_member_to_role_targets_user_and_role() {
    let record = json!({
        "CreationTime": "2026-03-02T10:00:00",
        "Id": "r1",
        "Operation": "Add member to role.",
        "ResultStatus": "Success",
        "UserId": "admin@example.com",
        "UserKey": "10032001BBBB0002@example.com",
        "Workload": "AzureActiveDirectory",
        "ObjectId": "dana.lee@example.com",
        "ModifiedProperties": [
            {"Name": "Role.DisplayName", "NewValue": "Global Administrator", "OldValue": ""},
            {"Name": "Role.TemplateId", "NewValue": "62e90394-69f5-4237-9190-012177145e10", "OldValue": ""}
        ],
        "Target": [
            {"ID": "User_0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d", "Type": 2},
            {"ID": "0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d", "Type": 2},
            {"ID": "dana.lee@example.com", "Type": 5}
        ]
    });
    let events = normalize_json(&record, Format::M365);
    let event = &events[0];
    assert_eq!(text_at(event, "metadata.event_type"), Some("USER_UNCATEGORIZED"));
    assert_eq!(text_at(event, "principal.user.userid"), Some("admin@example.com"));
    assert_eq!(text_at(event, "target.user.userid"), Some("dana.lee@example.com"));
    assert_eq!(
        text_at(event, "target.user.product_object_id"),
        Some("0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d")
    );
    assert_eq!(
        text_at(event, "target.resource.attribute.roles.name"),
        Some("Global Administrator")
    );
    assert_eq!(text_at(event, "security_result.action"), Some("ALLOW"));
    let labels = event["target"]["resource"]["attribute"]["labels"].as_array().unwrap();
    assert!(labels.contains(
        &json!({"key": "Role.TemplateId", "value": "62e90394-69f5-4237-9190-012177145e10"})
    ));
    assert!(event["additional"]["Target"].is_string(), "Target list kept in additional");
}

#[test]
fn group_operations_map_to_group_event_types() {
    let cases = [
        ("Add group.", "GROUP_CREATION"),
        ("Delete group.", "GROUP_DELETION"),
        ("Add member to group.", "GROUP_MODIFICATION"),
        ("Remove member from group.", "GROUP_MODIFICATION"),
        ("Add user.", "USER_CREATION"),
        ("Delete user.", "USER_DELETION"),
        ("Reset user password.", "USER_CHANGE_PASSWORD"),
        ("Add application.", "USER_RESOURCE_CREATION"),
        (
            "Update application – Certificates and secrets management ",
            "USER_RESOURCE_UPDATE_CONTENT",
        ),
        ("Add delegated permission grant.", "USER_RESOURCE_UPDATE_PERMISSIONS"),
        ("Set-AdminAuditLogConfig", "SETTING_CREATION"),
        ("New-InboxRule", "SETTING_CREATION"),
        ("Set-Mailbox", "SETTING_MODIFICATION"),
        ("Remove-MailboxPermission", "SETTING_DELETION"),
        ("AnonymousLinkUsed", "USER_RESOURCE_ACCESS"),
        ("MemberRemoved", "USER_CHANGE_PERMISSIONS"),
    ];
    for (operation, expected) in cases {
        let record = json!({
            "CreationTime": "2026-03-02T10:00:00",
            "Id": "x",
            "Operation": operation,
            "UserId": "admin@example.com",
            "Workload": "AzureActiveDirectory"
        });
        let events = normalize_json(&record, Format::M365);
        assert_eq!(text_at(&events[0], "metadata.event_type"), Some(expected), "{operation}");
    }
}

#[test]
fn exchange_parameters_become_detection_fields() {
    let record = json!({
        "CreationTime": "2026-03-02T10:00:00",
        "Id": "p1",
        "Operation": "Set-AdminAuditLogConfig",
        "ResultStatus": "True",
        "UserId": "admin@example.com",
        "Workload": "Exchange",
        "Parameters": [{"Name": "UnifiedAuditLogIngestionEnabled", "Value": "False"}]
    });
    let events = normalize_json(&record, Format::M365);
    let fields = &events[0]["security_result"][0]["detection_fields"];
    assert_eq!(fields, &json!([{"key": "UnifiedAuditLogIngestionEnabled", "value": "False"}]));
}

#[test]
fn client_ip_spellings_are_cleaned() {
    let cases = [
        ("[10.11.12.13]:12345", Some("10.11.12.13")),
        ("10.11.12.13:12345", Some("10.11.12.13")),
        ("[::ffff:10.11.12.13]:12345", Some("10.11.12.13")),
        ("[2001:db8::abcd]:12345", Some("2001:db8::abcd")),
        ("[fe80::1%25eth0]:443", Some("fe80::1")),
        ("null", None),
        ("localhost:12345", None),
    ];
    for (raw, expected) in cases {
        let record = json!({"CreationTime": "2020-02-17T17:12:03", "Id": "i", "RecordType": -1, "ClientIP": raw});
        let events = normalize_json(&record, Format::M365);
        assert_eq!(text_at(&events[0], "principal.ip"), expected, "{raw}");
        if expected.is_none() && raw != "null" {
            assert_eq!(text_at(&events[0], "additional.ClientIP"), Some(raw), "{raw} kept");
        }
    }
}

#[test]
fn actor_ip_and_client_ip_dedupe() {
    let record = json!({
        "CreationTime": "2020-02-17T17:12:03",
        "Id": "i",
        "ClientIP": "67.43.156.15",
        "ActorIpAddress": "67.43.156.15",
        "ClientIPAddress": "67.43.156.16"
    });
    let events = normalize_json(&record, Format::M365);
    assert_eq!(events[0]["principal"]["ip"], json!(["67.43.156.15", "67.43.156.16"]));
}

#[test]
fn creation_time_is_utc_without_zone() {
    let record =
        json!({"CreationTime": "2020-02-28T09:42:45", "Id": "t", "Operation": "GroupCreation"});
    let events = normalize_json(&record, Format::M365);
    assert_eq!(text_at(&events[0], "metadata.event_timestamp"), Some("2020-02-28T09:42:45Z"));
}

#[test]
fn invalid_creation_time_is_rejected() {
    let record = json!({"CreationTime": "sometime", "Id": "t", "Operation": "UserLoggedIn"});
    let mut normalizer = Normalizer::new(Identities::new());
    let error = normalizer.normalize(&record, Format::M365).unwrap_err();
    assert!(error.to_string().contains("CreationTime"), "{error}");
}

#[test]
fn creation_time_out_of_range_rejected() {
    for created in [json!(i64::MAX), json!("0000-01-01T00:00:00"), json!(1e16)] {
        let record = json!({"CreationTime": created, "Id": "t", "Operation": "UserLoggedIn"});
        let mut normalizer = Normalizer::new(Identities::new());
        let error = normalizer.normalize(&record, Format::M365).unwrap_err();
        assert!(error.to_string().contains("CreationTime"), "{created}: {error}");
    }
}

#[test]
fn user_key_placeholder_is_not_an_id() {
    let record = json!({
        "CreationTime": "2024-05-01T21:31:15",
        "Id": "r",
        "Operation": "Add member to role.",
        "UserId": "ServicePrincipal_09eaff3d-53e5-4fbe-9752-92c8505c97cd",
        "UserKey": "Not Available",
        "Workload": "AzureActiveDirectory"
    });
    let events = normalize_json(&record, Format::M365);
    assert_eq!(text_at(&events[0], "principal.user.product_object_id"), None);
    assert_eq!(text_at(&events[0], "additional.UserKey"), Some("Not Available"));
}

#[test]
fn missing_creation_time_is_rejected() {
    let record = json!({"Id": "t", "Operation": "UserLoggedIn"});
    let mut normalizer = Normalizer::new(Identities::new());
    assert!(normalizer.normalize(&record, Format::M365).is_err());
}

#[test]
fn app_access_context_names_session_and_app() {
    let record = json!({
        "CreationTime": "2026-03-02T08:20:00",
        "Id": "d1",
        "Operation": "FileDownloaded",
        "Workload": "SharePoint",
        "UserId": "dana.lee@example.com",
        "ClientIP": "203.0.113.7",
        "ObjectId": "https://example.sharepoint.com/sites/Finance/Shared Documents/q1.xlsx",
        "SourceFileName": "q1.xlsx",
        "AppAccessContext": {
            "AADSessionId": "c21adbd5-e8d4-44fe-a2a2-43e3251b04b5",
            "ClientAppName": "python-o365",
            "ClientAppId": "1b730954-1685-4b74-9bfd-dac224a7b894",
            "UniqueTokenId": "XeDaLWgRe1rsdtbkm15SAw"
        }
    });
    let events = normalize_json(&record, Format::M365);
    let event = &events[0];
    assert_eq!(text_at(event, "network.session_id"), Some("c21adbd5-e8d4-44fe-a2a2-43e3251b04b5"));
    assert_eq!(text_at(event, "principal.application"), Some("python-o365"));
    assert_eq!(text_at(event, "target.labels.value"), Some("1b730954-1685-4b74-9bfd-dac224a7b894"));
    assert_eq!(text_at(event, "target.file.names"), Some("q1.xlsx"));
    assert_eq!(
        event["additional"]["AppAccessContext.UniqueTokenId"],
        json!("XeDaLWgRe1rsdtbkm15SAw")
    );
}

#[test]
fn sign_in_application_id_is_client_app() {
    let record = json!({
        "CreationTime": "2026-03-02T08:00:00",
        "Id": "s1",
        "Operation": "UserLoggedIn",
        "Workload": "AzureActiveDirectory",
        "UserId": "dana.lee@example.com",
        "ApplicationId": "4345a7b9-9a63-4910-a426-35363201d503",
        "ObjectId": "00000003-0000-0000-c000-000000000000"
    });
    let events = normalize_json(&record, Format::M365);
    assert_eq!(text_at(&events[0], "target.labels.key"), Some("ClientAppId"));
    assert_eq!(
        text_at(&events[0], "target.labels.value"),
        Some("4345a7b9-9a63-4910-a426-35363201d503")
    );
    assert_eq!(
        text_at(&events[0], "target.resource.product_object_id"),
        Some("00000003-0000-0000-c000-000000000000")
    );
}

#[test]
fn audit_search_rows_unwrapped() {
    let record = json!({
        "CreationTime": "2026-03-02T08:15:30",
        "Id": "11111111-aaaa-4bbb-8ccc-000000000009",
        "Operation": "MailItemsAccessed",
        "RecordType": 50,
        "UserId": "dana.lee@example.com",
        "Workload": "Exchange",
        "ClientIPAddress": "203.0.113.7"
    });
    let direct = normalize_json(&record, Format::M365);
    // The Purview CSV download, as the CSV reader hands a row over: every cell a string.
    let csv_row = json!({
        "RecordId": "11111111-aaaa-4bbb-8ccc-000000000009",
        "CreationDate": "2026-03-02T08:15:30.0000000Z",
        "RecordType": "ExchangeItemAggregated",
        "Operation": "MailItemsAccessed",
        "UserId": "dana.lee@example.com",
        "AuditData": record.to_string(),
        "AssociatedAdminUnits": ""
    });
    // `Search-UnifiedAuditLog | ConvertTo-Json`, in an array.
    let powershell = json!([{
        "RunspaceId": "5d4c3b2a-0000-0000-0000-000000000000",
        "RecordType": "ExchangeItemAggregated",
        "CreationDate": "2026-03-02T08:15:30",
        "UserIds": "dana.lee@example.com",
        "Operations": "MailItemsAccessed",
        "AuditData": record.to_string(),
        "ResultIndex": 1,
        "ResultCount": 1
    }]);
    for format in [Format::Auto, Format::M365] {
        assert_eq!(normalize_json(&csv_row, format), direct);
        assert_eq!(normalize_json(&powershell, format), direct);
    }
}

#[test]
fn invalid_audit_data_rejected() {
    let mut normalizer = Normalizer::new(Identities::new());
    for audit_data in [json!("{\"CreationTime\": "), json!("[1, 2]"), json!(17)] {
        let row = json!({"CreationDate": "2026-03-02", "Operations": "x", "AuditData": audit_data});
        let outcomes = normalizer.normalize_each(&row, Format::Auto);
        assert_eq!(outcomes.len(), 1);
        assert_eq!(outcomes[0].path, "AuditData");
        let error = outcomes[0].result.as_ref().expect_err("a bad AuditData is rejected");
        assert!(error.to_string().contains("AuditData"), "{error}");
    }
}
