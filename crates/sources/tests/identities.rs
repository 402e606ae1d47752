//! The identities CSV: loading, aliases and errors.

use sources::Identities;

#[test]
fn every_cell_is_an_alias() {
    let csv = "name,email,okta_id,salesforce_id\n\
               Dana Lee,dana@example.com,00u1abcdEFGH,0055g00000AbCdE\n\
               Sam Roe,sam@example.com,,\n";
    let identities = Identities::from_csv(csv, "people.csv").unwrap();
    assert_eq!(identities.resolve("00u1abcdEFGH"), Some("dana@example.com"));
    assert_eq!(identities.resolve("0055g00000AbCdE"), Some("dana@example.com"));
    assert_eq!(identities.resolve("Dana Lee"), Some("dana@example.com"));
    assert_eq!(identities.resolve("sam@example.com"), Some("sam@example.com"));
}

#[test]
fn emails_and_guids_match_case_insensitively() {
    let csv = "email,object_id\nDana@Example.com,0B7F1C2E-1111-4A2B-9C3D-5E6F7A8B9C0D\n";
    let identities = Identities::from_csv(csv, "people.csv").unwrap();
    assert_eq!(identities.resolve("dana@example.COM"), Some("Dana@Example.com"));
    assert_eq!(
        identities.resolve("0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d"),
        Some("Dana@Example.com")
    );
}

#[test]
fn other_ids_match_exactly() {
    let csv = "email,salesforce_id\ndana@example.com,0055g00000AbCdE\n";
    let identities = Identities::from_csv(csv, "people.csv").unwrap();
    assert_eq!(identities.resolve("0055g00000abcde"), None);
}

#[test]
fn header_email_column_is_found_in_any_case_and_position() {
    let csv = "\u{feff}Okta_Id,EMAIL\n00u1,dana@example.com\n";
    let identities = Identities::from_csv(csv, "people.csv").unwrap();
    assert_eq!(identities.resolve("00u1"), Some("dana@example.com"));
}

#[test]
fn missing_email_column_is_an_error() {
    let error =
        Identities::from_csv("name,upn\nDana,dana@example.com\n", "people.csv").unwrap_err();
    let message = error.to_string();
    assert!(message.contains("people.csv"), "{message}");
    assert!(message.contains("email column"), "{message}");
}

#[test]
fn empty_email_cell_is_an_error_with_line() {
    let error = Identities::from_csv("email,okta_id\n,00u1\n", "people.csv").unwrap_err();
    assert!(error.to_string().contains("line 2"), "{error}");
}

#[test]
fn blank_rows_are_skipped() {
    let identities = Identities::from_csv("email\n\ndana@example.com\n", "people.csv").unwrap();
    assert_eq!(identities.resolve("dana@example.com"), Some("dana@example.com"));
}

/// Normalises one record and returns the emails its principal user resolves to.
fn emails_of(normalizer: &mut sources::Normalizer, record: serde_json::Value) -> Vec<String> {
    let events = normalizer.normalize(&record, sources::Format::Auto).unwrap();
    let event = udm::json::event_to_json(&events[0]);
    let emails = &event["principal"]["user"]["email_addresses"];
    serde_json::from_value(emails.clone()).unwrap_or_default()
}

#[test]
fn one_person_across_salesforce_okta_and_entra() {
    let csv = "email,entra_object_id,okta_login,okta_id,salesforce_username,salesforce_id\n\
               dana.lee@example.com,0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d,dlee,00u1a2b3c4D5e6F7g8h9,\
               dana.lee@example.com.prod,005Hs00000AbCdEIAV\n";
    let identities = Identities::from_csv(csv, "people.csv").unwrap();
    let mut normalizer = sources::Normalizer::new(identities);
    let expected = vec!["dana.lee@example.com".to_owned()];

    let entra = serde_json::json!({
        "time": "2026-03-02T08:00:00Z", "category": "SignInLogs",
        "properties": {"id": "s1", "createdDateTime": "2026-03-02T08:00:00Z",
                       "userPrincipalName": "Dana.Lee@example.com",
                       "userId": "0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d", "ipAddress": "203.0.113.7",
                       "status": {"errorCode": 0}}
    });
    let okta = serde_json::json!({
        "uuid": "o1", "published": "2026-03-02T08:01:00Z", "eventType": "user.session.start",
        "actor": {"id": "00u1a2b3c4D5e6F7g8h9", "type": "User", "alternateId": "dlee"},
        "client": {"ipAddress": "203.0.113.7"}, "outcome": {"result": "SUCCESS"}
    });
    let salesforce_login = serde_json::json!({
        "attributes": {"type": "LoginEvent"}, "EventDate": "2026-03-02T08:02:00Z",
        "EventIdentifier": "l1", "Username": "dana.lee@example.com.prod",
        "UserId": "005Hs00000AbCdEIAV", "SourceIp": "203.0.113.7", "Status": "Success"
    });
    let salesforce_history = serde_json::json!({
        "attributes": {"type": "LoginHistory"}, "Id": "h1", "LoginTime": "2026-03-02T08:03:00Z",
        "UserId": "005Hs00000AbCdEIAV", "SourceIp": "203.0.113.7", "Status": "Success"
    });
    let event_log_row = serde_json::json!({
        "EVENT_TYPE": "API", "TIMESTAMP": "20260302080400.000", "USER_ID": "005Hs00000AbCdE",
        "CLIENT_IP": "203.0.113.7", "ROWS_PROCESSED": "10"
    });
    for (source, record) in [
        ("Entra ID", entra),
        ("Okta", okta),
        ("Salesforce LoginEvent", salesforce_login),
        ("Salesforce LoginHistory", salesforce_history),
        ("Salesforce EventLogFile", event_log_row),
    ] {
        assert_eq!(emails_of(&mut normalizer, record), expected, "{source}");
    }
}

#[test]
fn unclosed_quote_is_rejected() {
    let csv = "email,okta_id\n\"dana@example.com,00u1\nlee@example.com,00u2\n";
    let error = Identities::from_csv(csv, "people.csv").unwrap_err();
    assert!(error.to_string().contains("line 2 has a cell with a line break"), "{error}");
}

#[test]
fn error_names_row_line() {
    let csv = "email,okta_id\n\ndana@example.com,00u1\n,00u2\n";
    let error = Identities::from_csv(csv, "people.csv").unwrap_err();
    assert!(error.to_string().contains("line 4 has an empty email cell"), "{error}");
}

#[test]
fn email_letter_case_does_not_split_a_person() {
    // No identities file: the Unified Audit Log spells the UPN as the directory stores it, the
    // other sources in lower case, and the audit record is read first.
    let mut normalizer = sources::Normalizer::new(Identities::new());
    let expected = vec!["dana.lee@example.com".to_owned()];
    let audit = serde_json::json!({
        "CreationTime": "2026-03-02T08:00:00", "Id": "u1", "Operation": "UserLoggedIn",
        "RecordType": 15, "Workload": "AzureActiveDirectory", "ResultStatus": "Success",
        "UserId": "Dana.Lee@Example.com", "UserKey": "0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d",
        "ClientIP": "203.0.113.7"
    });
    let entra = serde_json::json!({
        "time": "2026-03-02T08:00:01Z", "category": "SignInLogs",
        "properties": {"id": "s1", "createdDateTime": "2026-03-02T08:00:01Z",
                       "userPrincipalName": "dana.lee@example.com",
                       "userId": "0b7f1c2e-1111-4a2b-9c3d-5e6f7a8b9c0d", "ipAddress": "203.0.113.7",
                       "status": {"errorCode": 0}}
    });
    let okta = serde_json::json!({
        "uuid": "o1", "published": "2026-03-02T08:01:00Z", "eventType": "user.session.start",
        "actor": {"id": "00u1a2b3c4D5e6F7g8h9", "type": "User", "alternateId": "dana.lee@example.com"},
        "client": {"ipAddress": "203.0.113.7"}, "outcome": {"result": "SUCCESS"}
    });
    for (source, record) in [("Microsoft 365", audit), ("Entra ID", entra), ("Okta", okta)] {
        assert_eq!(emails_of(&mut normalizer, record), expected, "{source}");
    }
}
