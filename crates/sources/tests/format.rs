//! `--format` names and automatic detection.

use serde_json::json;
use sources::{detect, Format, Identities, Normalizer};

#[test]
fn format_names_parse() {
    for (format, name) in Format::ALL {
        assert_eq!(name.parse::<Format>(), Ok(format));
        assert_eq!(format.to_string(), name);
    }
    assert_eq!("M365".parse::<Format>(), Ok(Format::M365));
    let error = "csv".parse::<Format>().unwrap_err();
    assert!(error.to_string().contains("salesforce"), "{error}");
}

#[test]
fn detect_recognises_each_source() {
    let cases = [
        (
            json!({"CreationTime": "2020-01-01T00:00:00", "Operation": "UserLoggedIn"}),
            Some(Format::M365),
        ),
        (json!({"time": "2020-01-01T00:00:00Z", "category": "SignInLogs"}), Some(Format::Entra)),
        (
            json!({"time": "2020-01-01T00:00:00Z", "category": "MicrosoftGraphActivityLogs"}),
            Some(Format::Graph),
        ),
        (json!({"metadata": {"event_type": "USER_LOGIN"}}), Some(Format::Udm)),
        (json!({"udm": {"metadata": {}}}), Some(Format::Udm)),
        (
            json!({"eventType": "user.session.start", "uuid": "x", "published": "2020-01-01T00:00:00Z"}),
            Some(Format::Okta),
        ),
        (json!({"eventtype": "user.session.start", "uuid": "x"}), Some(Format::Okta)),
        (json!({"channel": "/event/LoginEventStream", "payload": {}}), Some(Format::Salesforce)),
        (
            json!({"attributes": {"type": "ApiEvent"}, "EventDate": "2020-01-01T00:00:00Z"}),
            Some(Format::Salesforce),
        ),
        (json!({"hello": "world"}), None),
    ];
    for (record, expected) in cases {
        assert_eq!(detect(record.as_object().unwrap()), expected, "{record}");
    }
}

#[test]
fn unrecognised_record_names_its_keys() {
    let mut normalizer = Normalizer::new(Identities::new());
    let error = normalizer.normalize(&json!({"hello": "world"}), Format::Auto).unwrap_err();
    assert!(error.to_string().contains("hello"), "{error}");
    assert!(error.to_string().contains("--format"), "{error}");
}

#[test]
fn non_object_record_is_rejected() {
    let mut normalizer = Normalizer::new(Identities::new());
    for record in [json!(1), json!("text"), json!(null), json!([[1]])] {
        assert!(normalizer.normalize(&record, Format::Auto).is_err(), "{record}");
    }
}

#[test]
fn empty_array_yields_no_events() {
    let mut normalizer = Normalizer::new(Identities::new());
    assert_eq!(normalizer.normalize(&json!([]), Format::Auto), Ok(Vec::new()));
}

#[test]
fn detect_recognises_export_shapes() {
    let cases = [
        (
            json!({"EVENT_TYPE": "API", "TIMESTAMP": "20260302091502.250", "USER_ID": "005Hs00000AbCdE"}),
            Some(Format::Salesforce),
        ),
        (
            json!({"topicName": "/event/LoginEventStream", "replayId": "AAA=", "payload": {}}),
            Some(Format::Salesforce),
        ),
        (
            json!({"replayId": "AAA=", "schemaId": "x",
                   "payload": {"EventDate": "2026-03-02T09:00:00Z", "CreatedById": "005Hs00000AbCdEIAV"}}),
            Some(Format::Salesforce),
        ),
        (json!({"event": {"replayId": 1}, "payload": {"EventDate": "2026-03-02T09:00:00Z"}}), None),
        (json!({"event": {"metadata": {"event_type": "USER_LOGIN"}}}), Some(Format::Udm)),
        (
            json!({"LoginTime": "2026-03-02T09:00:00Z", "UserId": "005Hs00000AbCdEIAV", "Status": "Success"}),
            Some(Format::Salesforce),
        ),
        (
            json!({"Action": "createduser", "Display": "Created user", "CreatedDate": "2026-03-02T09:00:00Z"}),
            Some(Format::Salesforce),
        ),
        (
            json!({"eventtype": "user.session.start", "published": "2026-03-02T09:00:00Z", "actor": {}}),
            Some(Format::Okta),
        ),
        (
            json!({"Type": "AADNonInteractiveUserSignInLogs", "TimeGenerated": "x"}),
            Some(Format::Entra),
        ),
    ];
    for (record, expected) in cases {
        assert_eq!(detect(record.as_object().unwrap()), expected, "{record}");
    }
}

#[test]
fn auto_decides_per_record_in_one_document() {
    let document = json!([
        {"CreationTime": "2026-03-02T08:00:00", "Operation": "UserLoggedIn", "Id": "m", "UserId": "dana@example.com"},
        {"uuid": "o", "published": "2026-03-02T08:01:00Z", "eventType": "user.session.start",
         "actor": {"id": "00u1", "type": "User", "alternateId": "dana@example.com"}},
        {"attributes": {"type": "LoginEvent"}, "EventDate": "2026-03-02T08:02:00Z", "EventIdentifier": "s",
         "Username": "dana@example.com", "Status": "Success"},
        {"udm": {"metadata": {"event_timestamp": "2026-03-02T08:03:00Z", "event_type": "USER_LOGIN", "product_log_id": "u"}}}
    ]);
    let mut normalizer = Normalizer::new(Identities::new());
    let events = normalizer.normalize(&document, Format::Auto).unwrap();
    let products: Vec<String> = events
        .iter()
        .map(|e| e.get("metadata.product_log_id").and_then(|v| v.as_str()).unwrap_or("").to_owned())
        .collect();
    assert_eq!(products, ["m", "o", "s", "u"]);
}

#[test]
fn graph_list_response_is_split() {
    let response = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns",
        "value": [
            {"id": "a", "createdDateTime": "2026-03-02T08:00:00Z", "userPrincipalName": "dana@example.com", "status": {"errorCode": 0}},
            {"id": "b", "createdDateTime": "2026-03-02T08:01:00Z", "userPrincipalName": "dana@example.com", "status": {"errorCode": 50126}}
        ]
    });
    let mut normalizer = Normalizer::new(Identities::new());
    let events = normalizer.normalize(&response, Format::Auto).unwrap();
    assert_eq!(events.len(), 2);
}

#[test]
fn bad_element_is_named_by_position() {
    let document =
        json!([{"CreationTime": "2026-03-02T08:00:00", "Operation": "UserLoggedIn"}, {"hello": 1}]);
    let mut normalizer = Normalizer::new(Identities::new());
    let outcomes = normalizer.normalize_each(&document, Format::Auto);
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes[0].result.is_ok());
    assert_eq!(outcomes[1].path, "[1]");
    let error = normalizer.normalize(&document, Format::Auto).unwrap_err();
    assert!(error.to_string().starts_with("[1]: unrecognised record shape"), "{error}");
}
