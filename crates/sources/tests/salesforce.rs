//! Salesforce stream events, stored objects and EventLogFile rows: pinned UDM for
//! representative records, and one test per envelope, export and field edge case.

mod common;

use common::{assert_udm_eq, corpus_dir, files_under, normalize_json, text_at};
use serde_json::{json, Value};
use sources::{CsvFile, Format, Identities, Normalizer};

/// Builds an `ApiEvent` payload as the stream and the stored object both carry it.
fn api_event() -> Value {
    json!({
        "EventDate": "2026-03-02T09:15:02.250+0000",
        "EventIdentifier": "6f3c0d2a-7b1e-4c55-9d0e-11aa22bb33cc",
        "CreatedDate": "2026-03-02T09:15:04.000+0000",
        "Username": "dana.lee@example.com",
        "UserId": "005Hs00000AbCdEIAV",
        "SourceIp": "203.0.113.7",
        "SessionKey": "vMASKIU6AxEr+Op5",
        "LoginKey": "QfNecrLXSII6fsBq",
        "Operation": "Query",
        "QueriedEntities": "Contact",
        "RowsProcessed": 48213.0,
        "Query": "SELECT Id, Email FROM Contact",
        "Application": "Data Loader Bulk",
        "Client": "DataLoaderBulkUI/",
        "ConnectedAppId": "0H4Hs000000XyZaKAK",
        "UserAgent": "Java/17.0.2",
        "ApiType": "REST",
        "attributes": {"type": "ApiEvent"}
    })
}

#[test]
fn api_event_snapshot() {
    let events = normalize_json(&api_event(), Format::Salesforce);
    assert_eq!(events.len(), 1);
    let expected = json!({
        "metadata": {
            "event_timestamp": "2026-03-02T09:15:02.250Z",
            "vendor_name": "Salesforce",
            "product_name": "Salesforce",
            "log_type": "SALESFORCE",
            "product_event_type": "ApiEvent",
            "product_log_id": "6f3c0d2a-7b1e-4c55-9d0e-11aa22bb33cc",
            "description": "Query",
            "event_type": "USER_RESOURCE_ACCESS"
        },
        "principal": {
            "user": {
                "userid": "dana.lee@example.com",
                "email_addresses": ["dana.lee@example.com"],
                "product_object_id": "005Hs00000AbCdEIAV"
            },
            "ip": ["203.0.113.7"],
            "application": "DataLoaderBulkUI/"
        },
        "network": {
            "http": {"user_agent": "Java/17.0.2"},
            "session_id": "vMASKIU6AxEr+Op5",
            "parent_session_id": "QfNecrLXSII6fsBq"
        },
        "target": {"application": "Data Loader Bulk"},
        "additional": {
            "RowsProcessed": "48213",
            "CreatedDate": "2026-03-02T09:15:04.000+0000",
            "QueriedEntities": "Contact",
            "Query": "SELECT Id, Email FROM Contact",
            "ConnectedAppId": "0H4Hs000000XyZaKAK",
            "ApiType": "REST",
            "attributes.type": "ApiEvent"
        }
    });
    assert_udm_eq(&events[0], &expected);
}

#[test]
fn login_event_stream_snapshot() {
    let record = json!({
        "channel": "/event/LoginEventStream",
        "data": {
            "schema": "Ld1pIHdQYtDoTSN2rl3cCQ",
            "event": {"replayId": 18291},
            "payload": {
                "EventDate": "2026-03-02T09:14:40.000+0000",
                "EventIdentifier": "2b1d0c3e-0000-4a6b-8c9d-0123456789ab",
                "Username": "dana.lee@example.com",
                "UserId": "005Hs00000AbCdEIAV",
                "SourceIp": "203.0.113.7",
                "LoginKey": "QfNecrLXSII6fsBq",
                "LoginType": "Remote Access 2.0",
                "Application": "Data Loader Bulk",
                "Status": "Success",
                "LoginUrl": "example.my.salesforce.com",
                "City": "Amsterdam",
                "Country": "Netherlands",
                "CountryIso": "NL",
                "LoginLatitude": 52.37,
                "LoginLongitude": 4.89,
                "Platform": "Windows 10",
                "Browser": "Unknown",
                "TlsProtocol": "TLS 1.3",
                "CipherSuite": "TLS_AES_256_GCM_SHA384",
                "HttpMethod": "POST",
                "SessionKey": null
            }
        }
    });
    let events = normalize_json(&record, Format::Auto);
    let user = json!({
        "userid": "dana.lee@example.com",
        "email_addresses": ["dana.lee@example.com"],
        "product_object_id": "005Hs00000AbCdEIAV"
    });
    let expected = json!({
        "metadata": {
            "event_timestamp": "2026-03-02T09:14:40Z",
            "vendor_name": "Salesforce",
            "product_name": "Salesforce",
            "log_type": "SALESFORCE",
            "product_event_type": "LoginEvent",
            "product_log_id": "2b1d0c3e-0000-4a6b-8c9d-0123456789ab",
            "event_type": "USER_LOGIN"
        },
        "principal": {
            "user": user,
            "ip": ["203.0.113.7"],
            "location": {
                "city": "Amsterdam",
                "country_or_region": "Netherlands",
                "region_coordinates": {"latitude": 52.37, "longitude": 4.89}
            },
            "platform_version": "Windows 10"
        },
        "network": {
            "http": {"method": "POST"},
            "parent_session_id": "QfNecrLXSII6fsBq",
            "tls": {"version": "TLS 1.3", "cipher": "TLS_AES_256_GCM_SHA384"}
        },
        "target": {
            "application": "Data Loader Bulk",
            "user": user,
            "hostname": "example.my.salesforce.com"
        },
        "extensions": {"auth": {"auth_details": "Remote Access 2.0"}},
        "security_result": [{"action": ["ALLOW"], "summary": "Success"}],
        "additional": {
            "CountryIso": "NL",
            "Browser": "Unknown",
            "channel": "/event/LoginEventStream",
            "data.schema": "Ld1pIHdQYtDoTSN2rl3cCQ",
            "data.event.replayId": "18291"
        }
    });
    assert_udm_eq(&events[0], &expected);
}

/// Removes the envelope fields, which are the only difference between the stream and stored
/// forms of one event.
fn without_envelope(mut event: Value) -> Value {
    if let Some(additional) = event.get_mut("additional").and_then(Value::as_object_mut) {
        let envelope = ["channel", "topicName", "replayId", "schemaId"];
        additional.retain(|key, _| !envelope.contains(&key.as_str()) && !key.starts_with("data."));
    }
    event
}

#[test]
fn stream_and_stored_forms_give_same_udm() {
    let stored = api_event();
    let mut payload = stored.clone();
    payload.as_object_mut().unwrap().remove("attributes");
    let cometd = json!({
        "channel": "/event/ApiEventStream",
        "data": {"event": {"replayId": 7}, "payload": payload.clone()}
    });
    let pubsub = json!({
        "topicName": "/event/ApiEventStream",
        "replayId": "AAAAAAAABBE=",
        "schemaId": "Ld1pIHdQYtDoTSN2rl3cCQ",
        "payload": payload.clone()
    });
    let mut expected = normalize_json(&stored, Format::Auto).remove(0);
    expected["additional"].as_object_mut().unwrap().remove("attributes.type");
    for form in [cometd, pubsub] {
        let actual = normalize_json(&form, Format::Auto).remove(0);
        assert_udm_eq(&without_envelope(actual), &expected);
    }
}

/// `EventDate` in epoch milliseconds reads the same from a JSON number and from its text.
#[test]
fn event_date_epoch_millis_number_or_text() {
    for event_date in [json!(1_749_549_600_250_i64), json!("1749549600250")] {
        let mut record = api_event();
        record["EventDate"] = event_date.clone();
        let events = normalize_json(&record, Format::Salesforce);
        let timestamp = text_at(&events[0], "metadata.event_timestamp");
        assert_eq!(timestamp, Some("2025-06-10T10:00:00.250Z"), "EventDate {event_date}");
    }
}

#[test]
fn product_event_type_drops_stream_suffix() {
    for (channel, object) in [
        ("/event/LoginEventStream", "LoginEvent"),
        ("/event/LogoutEventStream", "LogoutEvent"),
        ("/event/ApiEventStream", "ApiEvent"),
        ("/event/ReportEventStream", "ReportEvent"),
        ("/event/ListViewEventStream", "ListViewEvent"),
        ("/event/UriEventStream", "UriEvent"),
        ("/event/LightningUriEventStream", "LightningUriEvent"),
        ("/event/BulkApiResultEvent", "BulkApiResultEvent"),
        ("/event/IdentityVerificationEvent", "IdentityVerificationEvent"),
    ] {
        let record = json!({
            "channel": channel,
            "data": {"payload": {"EventDate": "2026-03-02T09:00:00Z", "UserId": "005Hs00000AbCdEIAV"}}
        });
        let events = normalize_json(&record, Format::Auto);
        assert_eq!(text_at(&events[0], "metadata.product_event_type"), Some(object), "{channel}");
    }
}

#[test]
fn bulk_api_result_event_and_store_match() {
    let payload = json!({
        "EventDate": "2026-03-02T09:20:00.000+0000",
        "EventIdentifier": "b0c1d2e3-0000-4000-8000-000000000001",
        "Username": "dana.lee@example.com",
        "UserId": "005Hs00000AbCdEIAV",
        "SourceIp": "203.0.113.7",
        "BatchId": "751Hs00000FgHiJKAZ",
        "JobId": "750Hs00000LmNoPQA1",
        "Query": "SELECT Id FROM Account"
    });
    let mut stream = payload.clone();
    stream["attributes"] = json!({"type": "BulkApiResultEvent"});
    let mut store = payload;
    store["attributes"] = json!({"type": "BulkApiResultEventStore"});
    let stream = normalize_json(&stream, Format::Auto).remove(0);
    let store = normalize_json(&store, Format::Auto).remove(0);
    assert_eq!(stream["metadata"], store["metadata"]);
    assert_eq!(stream["principal"], store["principal"]);
    assert_eq!(stream["target"], store["target"]);
    assert_eq!(text_at(&store, "metadata.product_event_type"), Some("BulkApiResultEvent"));
    assert_eq!(text_at(&store, "metadata.event_type"), Some("USER_RESOURCE_ACCESS"));
    assert_eq!(text_at(&store, "target.resource.product_object_id"), Some("751Hs00000FgHiJKAZ"));
    assert_eq!(text_at(&store, "target.resource.resource_subtype"), Some("BulkApiBatch"));
    assert_eq!(text_at(&store, "additional.JobId"), Some("750Hs00000LmNoPQA1"));
}

#[test]
fn report_event_targets_report() {
    let record = json!({
        "attributes": {"type": "ReportEvent"},
        "EventDate": "2026-03-02T09:30:00.000+0000",
        "EventIdentifier": "r-1",
        "UserId": "005Hs00000AbCdEIAV",
        "Username": "dana.lee@example.com",
        "Operation": "ReportExported",
        "ReportId": "00OHs000001a2b3MAA",
        "Name": "All Contacts",
        "ExecutionIdentifier": "8f831c68-3d87-4518-bb5b-c0550a2284d7",
        "RowsProcessed": 20680.0,
        "QueriedEntities": "Contact"
    });
    let event = normalize_json(&record, Format::Auto).remove(0);
    assert_eq!(text_at(&event, "metadata.event_type"), Some("USER_RESOURCE_ACCESS"));
    assert_eq!(text_at(&event, "metadata.description"), Some("ReportExported"));
    assert_eq!(text_at(&event, "target.resource.resource_subtype"), Some("Report"));
    assert_eq!(text_at(&event, "target.resource.product_object_id"), Some("00OHs000001a2b3MAA"));
    assert_eq!(text_at(&event, "target.resource.name"), Some("All Contacts"));
    assert_eq!(
        text_at(&event, "additional.ExecutionIdentifier"),
        Some("8f831c68-3d87-4518-bb5b-c0550a2284d7")
    );
    assert_eq!(event["additional"]["RowsProcessed"], json!("20680"));
    assert_eq!(text_at(&event, "additional.QueriedEntities"), Some("Contact"));
}

#[test]
fn list_view_event_targets_list_view() {
    let record = json!({
        "attributes": {"type": "ListViewEvent"},
        "EventDate": "2026-03-02T09:31:00.000+0000",
        "EventIdentifier": "lv-1",
        "UserId": "005Hs00000AbCdEIAV",
        "ListViewId": "00BHs000003cDeFMAU",
        "Name": "All Accounts",
        "RowsProcessed": "1000",
        "AppName": "one:one"
    });
    let event = normalize_json(&record, Format::Auto).remove(0);
    assert_eq!(text_at(&event, "metadata.event_type"), Some("USER_RESOURCE_ACCESS"));
    assert_eq!(text_at(&event, "target.resource.resource_subtype"), Some("ListView"));
    assert_eq!(text_at(&event, "target.resource.product_object_id"), Some("00BHs000003cDeFMAU"));
    assert_eq!(text_at(&event, "target.resource.name"), Some("All Accounts"));
    assert_eq!(text_at(&event, "target.application"), Some("one:one"));
    assert_eq!(event["additional"]["RowsProcessed"], json!("1000"));
}

#[test]
fn uri_operations_pick_event_types() {
    for (operation, expected) in [
        ("Create", "USER_RESOURCE_CREATION"),
        ("Read", "USER_RESOURCE_ACCESS"),
        ("Update", "USER_RESOURCE_UPDATE_CONTENT"),
        ("Delete", "USER_RESOURCE_DELETION"),
    ] {
        for object in ["UriEvent", "LightningUriEvent"] {
            let record = json!({
                "attributes": {"type": object},
                "EventDate": "2026-03-02T09:32:00.000+0000",
                "EventIdentifier": "u-1",
                "UserId": "005Hs00000AbCdEIAV",
                "Operation": operation,
                "RecordId": "001Hs000004gHiJKAZ",
                "PageUrl": "/lightning/r/Account/001Hs000004gHiJKAZ/view"
            });
            let event = normalize_json(&record, Format::Auto).remove(0);
            assert_eq!(
                text_at(&event, "metadata.event_type"),
                Some(expected),
                "{object} {operation}"
            );
            assert_eq!(
                text_at(&event, "target.resource.product_object_id"),
                Some("001Hs000004gHiJKAZ")
            );
        }
    }
}

#[test]
fn identity_verification_outcomes() {
    for (status, action) in
        [("Succeeded", "ALLOW"), ("InProgress", "CHALLENGE"), ("FailedInvalidCode", "BLOCK")]
    {
        let record = json!({
            "attributes": {"type": "IdentityVerificationEvent"},
            "EventDate": "2026-03-02T09:33:00.000+0000",
            "EventIdentifier": "iv-1",
            "UserId": "005Hs00000AbCdEIAV",
            "Username": "dana.lee@example.com",
            "Activity": "Login",
            "VerificationMethod": "Totp",
            "Policy": "TwoFactorAuthentication",
            "Status": status
        });
        let event = normalize_json(&record, Format::Auto).remove(0);
        assert_eq!(text_at(&event, "metadata.event_type"), Some("USER_LOGIN"));
        assert_eq!(text_at(&event, "security_result.action"), Some(action), "{status}");
        assert_eq!(text_at(&event, "security_result.rule_name"), Some("TwoFactorAuthentication"));
        assert_eq!(text_at(&event, "extensions.auth.auth_details"), Some("Totp"));
    }
}

#[test]
fn setup_audit_trail_snapshot() {
    let record = json!({
        "attributes": {"type": "SetupAuditTrail", "url": "/services/data/v58.0/sobjects/SetupAuditTrail/0YmHs0000001"},
        "Id": "0YmHs000000AbCdKAK",
        "Action": "insertConnectedApplication",
        "Section": "Connected Apps",
        "Display": "Created connected app My Data Loader",
        "CreatedDate": "2026-03-02T09:10:00.000+0000",
        "CreatedById": "005Hs00000AbCdEIAV",
        "CreatedBy": {"attributes": {"type": "User"}, "Username": "dana.lee@example.com", "Name": "Dana Lee"},
        "DelegateUser": null
    });
    let events = normalize_json(&record, Format::Auto);
    let expected = json!({
        "metadata": {
            "event_timestamp": "2026-03-02T09:10:00Z",
            "vendor_name": "Salesforce",
            "product_name": "Salesforce",
            "log_type": "SALESFORCE",
            "product_event_type": "SetupAuditTrail",
            "product_log_id": "0YmHs000000AbCdKAK",
            "description": "Created connected app My Data Loader",
            "event_type": "USER_RESOURCE_CREATION"
        },
        "principal": {
            "user": {
                "userid": "dana.lee@example.com",
                "email_addresses": ["dana.lee@example.com"],
                "product_object_id": "005Hs00000AbCdEIAV",
                "user_display_name": "Dana Lee"
            }
        },
        "target": {"resource": {"resource_subtype": "Connected Apps"}},
        "security_result": [{"summary": "insertConnectedApplication"}],
        "additional": {
            "CreatedBy.attributes.type": "User",
            "attributes.type": "SetupAuditTrail",
            "attributes.url": "/services/data/v58.0/sobjects/SetupAuditTrail/0YmHs0000001"
        }
    });
    assert_udm_eq(&events[0], &expected);
}

#[test]
fn snake_case_setup_audit_export_is_read() {
    let record = json!({
        "action": "createduser",
        "delegate_user": "admin@example.com",
        "display": "Created new user Sam Roe",
        "record_id": "0YmHs000000AbCdKAK",
        "section": "Manage Users",
        "sfdc_created_by_id": "005Hs00000AbCdEIAV",
        "sfdc_created_by_name": "Dana Lee",
        "sfdc_created_by_username": "dana.lee@example.com",
        "sfdc_created_date": "2026-03-02T09:10:00+00:00"
    });
    assert_eq!(sources::detect(record.as_object().unwrap()), Some(Format::Salesforce));
    let event = normalize_json(&record, Format::Auto).remove(0);
    assert_eq!(text_at(&event, "metadata.product_event_type"), Some("SetupAuditTrail"));
    assert_eq!(text_at(&event, "metadata.event_type"), Some("USER_CREATION"));
    assert_eq!(text_at(&event, "principal.user.userid"), Some("dana.lee@example.com"));
    assert_eq!(text_at(&event, "additional.DelegateUser"), Some("admin@example.com"));
}

#[test]
fn non_address_source_ip_kept_out() {
    let mut record = api_event();
    record["SourceIp"] = json!("Salesforce.com IP");
    let event = normalize_json(&record, Format::Auto).remove(0);
    assert!(event["principal"].get("ip").is_none(), "{event}");
    assert_eq!(text_at(&event, "additional.SourceIp"), Some("Salesforce.com IP"));
}

#[test]
fn forwarded_for_chain_splits_into_addresses() {
    let mut record = api_event();
    record["SourceIp"] = json!("[2001:db8::7]:443");
    record["ForwardedForIp"] = json!("198.51.100.9, 10.0.0.4:8080, null");
    let event = normalize_json(&record, Format::Auto).remove(0);
    assert_eq!(event["principal"]["ip"], json!(["2001:db8::7", "198.51.100.9", "10.0.0.4"]));
    assert!(event["additional"].get("ForwardedForIp").is_none());
}

#[test]
fn offset_without_colon_and_zone_less_times() {
    let mut record = api_event();
    record["EventDate"] = json!("2026-03-02T10:15:02.250+0100");
    let event = normalize_json(&record, Format::Auto).remove(0);
    assert_eq!(text_at(&event, "metadata.event_timestamp"), Some("2026-03-02T09:15:02.250Z"));
    record["EventDate"] = json!("2026-03-02T09:15:02");
    let event = normalize_json(&record, Format::Auto).remove(0);
    assert_eq!(text_at(&event, "metadata.event_timestamp"), Some("2026-03-02T09:15:02Z"));
}

#[test]
fn soql_export_reaches_every_record() {
    let mut second = api_event();
    second["EventIdentifier"] = json!("second");
    let mut broken = api_event();
    broken["EventDate"] = json!("not a time");
    let mut fourth = api_event();
    fourth["EventIdentifier"] = json!("fourth");
    let export = json!({
        "totalSize": 4,
        "done": true,
        "records": [api_event(), second, broken, fourth]
    });
    let mut normalizer = Normalizer::new(Identities::new());
    let outcomes = normalizer.normalize_each(&export, Format::Auto);
    let paths: Vec<&str> = outcomes.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(paths, ["records[0]", "records[1]", "records[2]", "records[3]"]);
    assert!(outcomes[2].result.is_err());
    let ids: Vec<String> = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok())
        .flatten()
        .map(|e| e.product_log_id().to_owned())
        .collect();
    assert_eq!(ids, ["6f3c0d2a-7b1e-4c55-9d0e-11aa22bb33cc", "second", "fourth"]);

    let error = normalizer.normalize(&export, Format::Auto).unwrap_err();
    assert!(error.to_string().starts_with("records[2]: "), "{error}");
    assert!(error.to_string().contains("EventDate"), "{error}");
}

#[test]
fn export_pages_in_array_read() {
    let page = |id: &str| {
        let mut record = api_event();
        record["EventIdentifier"] = json!(id);
        json!({"totalSize": 2, "done": false, "nextRecordsUrl": "/services/data/v58.0/query/01g-2000", "records": [record]})
    };
    let document = json!([page("a"), page("b")]);
    let events = normalize_json(&document, Format::Auto);
    let ids: Vec<&str> =
        events.iter().filter_map(|e| text_at(e, "metadata.product_log_id")).collect();
    assert_eq!(ids, ["a", "b"]);
}

#[test]
fn pubsub_batch_and_cometd_meta_messages() {
    let batch = json!({
        "latestReplayId": "AAAAAAAABBE=",
        "events": [
            {"replayId": "AAAAAAAABBA=", "topicName": "/event/ApiEventStream", "payload": api_event()},
            {"replayId": "AAAAAAAABBE=", "topicName": "/event/ApiEventStream", "payload": api_event().to_string()}
        ]
    });
    let events = normalize_json(&batch, Format::Auto);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["metadata"], events[1]["metadata"]);

    let cometd = json!([
        {"channel": "/meta/connect", "successful": true, "id": "5"},
        {"channel": "/event/ApiEventStream", "data": {"event": {"replayId": 3}, "payload": api_event()}}
    ]);
    let events = normalize_json(&cometd, Format::Auto);
    assert_eq!(events.len(), 1);
}

#[test]
fn login_history_resolves_user_from_earlier_login() {
    let mut normalizer = Normalizer::new(Identities::new());
    normalizer.normalize(&api_event(), Format::Auto).unwrap();
    let history = json!({
        "attributes": {"type": "LoginHistory"},
        "Id": "0YaHs00000AbCdEKAV",
        "UserId": "005Hs00000AbCdEIAV",
        "LoginTime": "2026-03-02T09:14:40.000+0000",
        "LoginType": "Remote Access 2.0",
        "Application": "Data Loader Bulk",
        "SourceIp": "203.0.113.7",
        "Status": "Success"
    });
    let event = udm::json::event_to_json(&normalizer.normalize(&history, Format::Auto).unwrap()[0]);
    assert_eq!(text_at(&event, "metadata.product_event_type"), Some("LoginHistory"));
    assert_eq!(text_at(&event, "metadata.event_type"), Some("USER_LOGIN"));
    assert_eq!(text_at(&event, "metadata.event_timestamp"), Some("2026-03-02T09:14:40Z"));
    assert_eq!(text_at(&event, "principal.user.userid"), Some("dana.lee@example.com"));
    assert_eq!(text_at(&event, "principal.user.email_addresses"), Some("dana.lee@example.com"));
    assert_eq!(text_at(&event, "target.application"), Some("Data Loader Bulk"));
}

#[test]
fn login_event_without_attributes_is_recognised() {
    let record = json!({
        "EventDate": "2026-03-02T09:14:40Z",
        "EventIdentifier": "x",
        "LoginType": "Application",
        "Status": "Invalid Password",
        "Username": "dana.lee@example.com",
        "UserId": "005Hs00000AbCdEIAV",
        "SourceIp": "203.0.113.7"
    });
    assert_eq!(sources::detect(record.as_object().unwrap()), Some(Format::Salesforce));
    let event = normalize_json(&record, Format::Auto).remove(0);
    assert_eq!(text_at(&event, "metadata.product_event_type"), Some("LoginEvent"));
    assert_eq!(text_at(&event, "security_result.action"), Some("BLOCK"));
}

/// Stored objects exported without `attributes` (a CSV from `sf data query` or Data Loader)
/// are recognised from their columns. The field lists are those of the Salesforce field
/// reference: `BulkApiResultEvent` has `Query` but none of `ApiEvent`'s `RowsProcessed`,
/// `QueriedEntities`, `Operation` or `ApiType`, and `UriEvent` has `QueriedEntities` beside
/// its `RecordId`.
#[test]
fn stored_objects_without_attributes() {
    let bulk_result = json!({
        "Id": "4Ve000000000001",
        "EventDate": "2026-03-02T09:20:00.000+0000",
        "EventIdentifier": "b1",
        "CreatedDate": "2026-03-02T09:20:01.000+0000",
        "Username": "dana.lee@example.com",
        "UserId": "005Hs00000AbCdEIAV",
        "SourceIp": "203.0.113.7",
        "LoginKey": "QfNecrLXSII6fsBq",
        "SessionKey": "vMASKIU6AxEr+Op5",
        "SessionLevel": "STANDARD",
        "Query": "SELECT Id, Email FROM Contact",
        "PolicyOutcome": "NoAction",
        "EvaluationTime": "0"
    });
    let uri = json!({
        "EventDate": "2026-03-02T09:21:00.000+0000",
        "EventIdentifier": "u1",
        "Username": "dana.lee@example.com",
        "UserId": "005Hs00000AbCdEIAV",
        "SourceIp": "203.0.113.7",
        "Operation": "Update",
        "OperationStatus": "Success",
        "QueriedEntities": "Account",
        "RecordId": "001Hs000000AbCdIAK",
        "Name": "Acme"
    });
    let api = json!({
        "EventDate": "2026-03-02T09:22:00.000+0000",
        "EventIdentifier": "a1",
        "Username": "dana.lee@example.com",
        "Query": "SELECT Id FROM Contact",
        "RowsProcessed": "120",
        "Operation": "Query"
    });
    let cases = [
        (bulk_result, "BulkApiResultEvent", "USER_RESOURCE_ACCESS"),
        (uri, "UriEvent", "USER_RESOURCE_UPDATE_CONTENT"),
        (api, "ApiEvent", "USER_RESOURCE_ACCESS"),
    ];
    for (record, object, event_type) in cases {
        let event = normalize_json(&record, Format::Auto).remove(0);
        assert_eq!(text_at(&event, "metadata.product_event_type"), Some(object), "{record}");
        assert_eq!(text_at(&event, "metadata.event_type"), Some(event_type), "{record}");
    }
}

/// Every Real-Time Event Monitoring sample message, with its envelope and `attributes`
/// removed as a CSV export loses them, is recognised as the object that `attributes.type`
/// names. `LogoutEvent` is left out: it has no field that other objects lack.
#[test]
fn corpus_objects_recognised_without_attributes() {
    let examples = corpus_dir().join("logs/appomni-event-maturity-matrix/products/salesforce");
    if !examples.is_dir() {
        eprintln!("corpus not found at {}; skipping", examples.display());
        return;
    }
    let samples: Vec<_> = files_under(&examples)
        .into_iter()
        .filter(|path| path.to_string_lossy().contains("salesforce_rtem_"))
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    assert!(!samples.is_empty(), "no samples under {}", examples.display());
    for path in samples {
        let text = std::fs::read_to_string(&path).unwrap();
        let message: Value = serde_json::from_str(&text).unwrap();
        let mut payload = message.pointer("/data/payload").cloned().unwrap_or(message);
        let attributes = payload.as_object_mut().unwrap().remove("attributes");
        let object = attributes.as_ref().and_then(|a| a["type"].as_str()).unwrap_or_default();
        let expected = match object.strip_suffix("Stream").unwrap_or(object) {
            "BulkApiResultEventStore" => "BulkApiResultEvent",
            "LogoutEvent" => continue,
            name => name,
        };
        let event = normalize_json(&payload, Format::Auto).remove(0);
        let found = text_at(&event, "metadata.product_event_type");
        assert_eq!(found, Some(expected), "{}", path.display());
    }
}

/// Normalizes the first row of a CSV export and returns its event as UDM JSON.
fn first_csv_event(csv: &str) -> serde_json::Value {
    let file = CsvFile::parse(csv.as_bytes()).unwrap();
    let headers: Vec<&str> = file.headers.iter().map(String::as_str).collect();
    let values = file.rows[0].values.clone().unwrap();
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    let mut normalizer = Normalizer::new(Identities::new());
    let events = normalizer.normalize_csv_row(&headers, &values, None).unwrap();
    udm::json::event_to_json(&events[0])
}

const ELF_CSV: &str = concat!(
    "\"EVENT_TYPE\",\"TIMESTAMP\",\"REQUEST_ID\",\"ORGANIZATION_ID\",\"USER_ID\",\"USER_NAME\",",
    "\"SOURCE_IP\",\"CLIENT_IP\",\"LOGIN_KEY\",\"LOGIN_STATUS\",\"LOGIN_TYPE\",\"URI\",\"TIMESTAMP_DERIVED\",\"USER_ID_DERIVED\"\n",
    "\"Login\",\"20260302091440.120\",\"4lGJ1R0ZSWVXwFl1\",\"00DHs0000001abc\",\"005Hs00000AbCdE\",\"dana.lee@example.com\",",
    "\"203.0.113.7\",\"Salesforce.com IP\",\"QfNecrLXSII6fsBq\",\"LOGIN_NO_ERROR\",\"i\",\"/services/oauth2/token\",\"2026-03-02T09:14:40.120Z\",\"005Hs00000AbCdEIAV\"\n",
);

#[test]
fn event_log_file_login_row() {
    let event = first_csv_event(ELF_CSV);
    assert_eq!(text_at(&event, "metadata.product_event_type"), Some("Login"));
    assert_eq!(text_at(&event, "metadata.event_type"), Some("USER_LOGIN"));
    assert_eq!(text_at(&event, "metadata.event_timestamp"), Some("2026-03-02T09:14:40.120Z"));
    assert_eq!(text_at(&event, "metadata.product_deployment_id"), Some("00DHs0000001abc"));
    assert_eq!(event["principal"]["ip"], json!(["203.0.113.7"]));
    assert_eq!(text_at(&event, "principal.user.userid"), Some("dana.lee@example.com"));
    assert_eq!(text_at(&event, "principal.user.product_object_id"), Some("005Hs00000AbCdEIAV"));
    assert_eq!(text_at(&event, "additional.ClientIp"), Some("Salesforce.com IP"));
    assert_eq!(text_at(&event, "security_result.action"), Some("ALLOW"));
    assert_eq!(text_at(&event, "extensions.auth.auth_details"), Some("i"));
    assert_eq!(text_at(&event, "target.url"), Some("/services/oauth2/token"));
    assert!(event["additional"].get("UserId").is_none(), "the short id is the derived id's prefix");
}

/// In an EventLogFile `LoginAs` row the `DELEGATED_USER_*` columns name the admin who logs
/// in as another user, and `USER_NAME` names the user logged in as.
#[test]
fn event_log_file_login_as_row() {
    let csv = concat!(
        "\"EVENT_TYPE\",\"TIMESTAMP_DERIVED\",\"USER_ID\",\"USER_ID_DERIVED\",\"USER_NAME\",",
        "\"DELEGATED_USER_ID\",\"DELEGATED_USER_ID_DERIVED\",\"DELEGATED_USER_NAME\",\"CLIENT_IP\"\r\n",
        "\"LoginAs\",\"2026-03-02T09:20:00.000Z\",\"005Hs00000AbCdE\",\"005Hs00000AbCdEIAV\",",
        "\"dana.lee@example.com\",\"005Hs00000XyZaB\",\"005Hs00000XyZaBIAV\",",
        "\"admin@example.com\",\"198.51.100.4\"\r\n",
    );
    let event = first_csv_event(csv);
    assert_eq!(text_at(&event, "metadata.event_type"), Some("USER_LOGIN"));
    assert_eq!(text_at(&event, "principal.user.userid"), Some("admin@example.com"));
    assert_eq!(text_at(&event, "principal.user.product_object_id"), Some("005Hs00000XyZaBIAV"));
    assert_eq!(text_at(&event, "target.user.userid"), Some("dana.lee@example.com"));
    assert_eq!(text_at(&event, "target.user.product_object_id"), Some("005Hs00000AbCdEIAV"));
    assert_eq!(event["principal"]["ip"], json!(["198.51.100.4"]));
    let additional = &event["additional"];
    assert!(additional.get("DelegatedUserName").is_none(), "{additional}");
    assert!(additional.get("DelegatedUserId").is_none(), "{additional}");
    assert!(additional.get("UserId").is_none(), "{additional}");
}

/// A `LoginAsEventLog` record names the admin in `DelegatedUserName` and
/// `DelegatedUserIdentifier`, and the user logged in as in `UserName` and `UserIdentifier`.
#[test]
fn login_as_event_log_record() {
    let payload = json!({"records": [{
        "attributes": {"type": "LoginAsEventLog"},
        "Id": "0Xa000000000001",
        "Timestamp": "2026-03-02T09:20:00.000+0000",
        "UserName": "dana.lee@example.com",
        "UserIdentifier": "005Hs00000AbCdE",
        "DelegatedUserName": "admin@example.com",
        "DelegatedUserIdentifier": "005Hs00000XyZaB",
        "ClientIp": "198.51.100.4"
    }]});
    let event = normalize_json(&payload, Format::Auto).remove(0);
    assert_eq!(text_at(&event, "metadata.event_type"), Some("USER_LOGIN"));
    assert_eq!(text_at(&event, "principal.user.userid"), Some("admin@example.com"));
    assert_eq!(text_at(&event, "principal.user.product_object_id"), Some("005Hs00000XyZaB"));
    assert_eq!(text_at(&event, "target.user.userid"), Some("dana.lee@example.com"));
    assert_eq!(text_at(&event, "target.user.product_object_id"), Some("005Hs00000AbCdE"));
    assert!(event["additional"].get("DelegatedUserName").is_none(), "{}", event["additional"]);
}

#[test]
fn event_log_file_compact_timestamp_alone() {
    let headers = ["EVENT_TYPE", "TIMESTAMP", "USER_ID"];
    let values = ["API", "20260302091502.250", "005Hs00000AbCdE"];
    let mut normalizer = Normalizer::new(Identities::new());
    let event = udm::json::event_to_json(
        &normalizer.normalize_csv_row(&headers, &values, None).unwrap()[0],
    );
    assert_eq!(text_at(&event, "metadata.event_timestamp"), Some("2026-03-02T09:15:02.250Z"));
    assert_eq!(text_at(&event, "metadata.event_type"), Some("USER_RESOURCE_ACCESS"));
}

#[test]
fn event_log_file_quoted_newline_in_query() {
    let csv = "\"EVENT_TYPE\",\"TIMESTAMP_DERIVED\",\"USER_ID_DERIVED\",\"QUERY\",\"ROWS_PROCESSED\",\"ENTITY_NAME\"\n\
               \"RestApi\",\"2026-03-02T09:15:02Z\",\"005Hs00000AbCdEIAV\",\"SELECT Id,\nEmail FROM \"\"Contact\"\"\",\"250\",\"Contact\"\n";
    let file = CsvFile::parse(csv.as_bytes()).unwrap();
    assert_eq!(file.rows.len(), 1);
    let headers: Vec<&str> = file.headers.iter().map(String::as_str).collect();
    let values = file.rows[0].values.clone().unwrap();
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    let mut normalizer = Normalizer::new(Identities::new());
    let event = udm::json::event_to_json(
        &normalizer.normalize_csv_row(&headers, &values, None).unwrap()[0],
    );
    assert_eq!(text_at(&event, "additional.Query"), Some("SELECT Id,\nEmail FROM \"Contact\""));
    assert_eq!(event["additional"]["RowsProcessed"], json!("250"));
    assert_eq!(text_at(&event, "additional.QueriedEntities"), Some("Contact"));
}

#[test]
fn event_log_file_types_pick_event_types() {
    let cases = [
        ("Login", "USER_LOGIN"),
        ("Logout", "USER_LOGOUT"),
        ("API", "USER_RESOURCE_ACCESS"),
        ("RestApi", "USER_RESOURCE_ACCESS"),
        ("BulkApi", "USER_RESOURCE_ACCESS"),
        ("Report", "USER_RESOURCE_ACCESS"),
        ("ReportExport", "USER_RESOURCE_ACCESS"),
        ("URI", "USER_RESOURCE_ACCESS"),
        ("LightningURI", "USER_RESOURCE_ACCESS"),
        ("ApexCallout", "NETWORK_HTTP"),
        ("AuraRequest", "USER_UNCATEGORIZED"),
    ];
    let mut normalizer = Normalizer::new(Identities::new());
    for (event_type, expected) in cases {
        let headers = ["TIMESTAMP_DERIVED", "USER_ID_DERIVED"];
        let values = ["2026-03-02T09:15:02Z", "005Hs00000AbCdEIAV"];
        let events = normalizer.normalize_csv_row(&headers, &values, Some(event_type)).unwrap();
        let event = udm::json::event_to_json(&events[0]);
        assert_eq!(text_at(&event, "metadata.event_type"), Some(expected), "{event_type}");
        assert_eq!(text_at(&event, "metadata.product_event_type"), Some(event_type));
    }
}

#[test]
fn event_log_file_short_row_rejected() {
    let mut normalizer = Normalizer::new(Identities::new());
    let error =
        normalizer.normalize_csv_row(&["EVENT_TYPE", "TIMESTAMP"], &["API"], None).unwrap_err();
    assert!(error.to_string().contains("header has 2"), "{error}");
}

#[test]
fn record_without_time_is_rejected_with_reason() {
    let mut record = api_event();
    record.as_object_mut().unwrap().remove("EventDate");
    record.as_object_mut().unwrap().remove("CreatedDate");
    let mut normalizer = Normalizer::new(Identities::new());
    let error = normalizer.normalize(&record, Format::Salesforce).unwrap_err();
    assert!(error.to_string().contains("EventDate"), "{error}");
}
