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
