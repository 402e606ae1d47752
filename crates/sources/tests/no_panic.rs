//! No input makes a parser panic: arbitrary JSON, in every format.

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use sources::{Format, Identities, Normalizer};

/// Keys the parsers look at, so that generated objects reach the mapping code.
const KEYS: &[&str] = &[
    "CreationTime",
    "Operation",
    "Id",
    "UserId",
    "UserKey",
    "ClientIP",
    "Workload",
    "ObjectId",
    "ExtendedProperties",
    "ModifiedProperties",
    "Target",
    "Parameters",
    "Members",
    "time",
    "category",
    "properties",
    "createdDateTime",
    "userPrincipalName",
    "userId",
    "status",
    "errorCode",
    "location",
    "requestUri",
    "requestMethod",
    "responseStatusCode",
    "ipAddress",
    "records",
    "udm",
    "events",
    "metadata",
    "eventType",
    "actor",
    "channel",
    "payload",
    "attributes",
    "type",
    "Name",
    "Value",
    "ID",
    "Type",
    "NewValue",
    "OldValue",
    "published",
    "uuid",
    "client",
    "ipAddress",
    "target",
    "outcome",
    "result",
    "debugContext",
    "debugData",
    "securityContext",
    "request",
    "ipChain",
    "data",
    "topicName",
    "replayId",
    "schemaId",
    "event",
    "EventDate",
    "EventIdentifier",
    "Username",
    "SourceIp",
    "ForwardedForIp",
    "RowsProcessed",
    "LoginTime",
    "Status",
    "Action",
    "Display",
    "Section",
    "CreatedDate",
    "CreatedBy",
    "EVENT_TYPE",
    "TIMESTAMP",
    "TIMESTAMP_DERIVED",
    "USER_ID",
    "USER_ID_DERIVED",
    "REQUEST_SIZE",
    "STATUS_CODE",
    "value",
    "@odata.context",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "[ -~]{0,24}".prop_map(Value::String),
        prop_oneof![
            Just("2020-02-28T09:42:45"),
            Just("1/9/2007 9:41:00 AM"),
            Just("SignInLogs"),
            Just("MicrosoftGraphActivityLogs"),
            Just("[::1]:80"),
            Just("UserLoggedIn"),
            Just("/event/LoginEventStream"),
            Just("20230308181611.493"),
            Just("/event/ApiEventStream"),
            Just("/meta/connect"),
            Just("ApiEvent"),
            Just("BulkApiResultEventStore"),
            Just("Salesforce.com IP"),
            Just("2023-03-08T18:16:11.493+0000"),
            Just("005Hs00000AbCdE"),
            Just("005Hs00000AbCdEIAV"),
            Just("user.session.start"),
            Just("API"),
            Just("Login"),
            Just("1.2.3.4, [::1]:8, null"),
            Just("{\"EventDate\": \"2023-03-08T18:16:11Z\"}"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|pairs| {
                let mut map = Map::new();
                for (k, v) in pairs {
                    map.insert(k.to_owned(), v);
                }
                Value::Object(map)
            }),
        ]
    })
}

/// Salesforce objects and EventLogFile types, so that generated records reach each mapping.
const SALESFORCE_TYPES: &[&str] = &[
    "LoginEvent",
    "LoginHistory",
    "LogoutEvent",
    "ApiEvent",
    "ReportEvent",
    "ListViewEvent",
    "BulkApiResultEventStore",
    "UriEvent",
    "LightningUriEvent",
    "IdentityVerificationEvent",
    "SetupAuditTrail",
    "FileEvent",
];

/// Generates a Salesforce record of a random object whose known fields have arbitrary values.
fn salesforce_record() -> impl Strategy<Value = Value> {
    let fields = prop::collection::vec((prop::sample::select(KEYS), json_value()), 0..12);
    (prop::sample::select(SALESFORCE_TYPES), fields, any::<bool>()).prop_map(
        |(object, fields, stream)| {
            let mut payload = Map::new();
            payload.insert("EventDate".into(), json!("2026-03-02T09:00:00.000+0000"));
            for (k, v) in fields {
                payload.insert(k.to_owned(), v);
            }
            if stream {
                json!({"channel": format!("/event/{object}Stream"), "data": {"payload": payload}})
            } else {
                payload.insert("attributes".into(), json!({"type": object}));
                Value::Object(payload)
            }
        },
    )
}

/// Generates an Okta event whose nested objects have arbitrary values.
fn okta_record() -> impl Strategy<Value = Value> {
    const PARTS: &[&str] =
        &["actor", "client", "target", "outcome", "debugContext", "securityContext", "request"];
    prop::collection::vec((prop::sample::select(PARTS), json_value()), 0..8).prop_map(|parts| {
        let mut event = Map::new();
        event.insert("eventType".into(), json!("user.session.start"));
        event.insert("published".into(), json!("2026-03-02T09:00:00Z"));
        for (k, v) in parts {
            event.insert(k.to_owned(), v);
        }
        Value::Object(event)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn salesforce_records_never_panic(record in salesforce_record()) {
        let mut normalizer = Normalizer::new(Identities::new());
        let _ = normalizer.normalize(&record, Format::Auto);
        let _ = normalizer.normalize(&record, Format::Salesforce);
    }

    #[test]
    fn okta_records_never_panic(record in okta_record()) {
        let mut normalizer = Normalizer::new(Identities::new());
        let _ = normalizer.normalize(&record, Format::Okta);
    }

    #[test]
    fn normalize_never_panics(record in json_value()) {
        let mut normalizer = Normalizer::new(Identities::new());
        for (format, _) in Format::ALL {
            let _ = normalizer.normalize(&record, format);
        }
    }

    #[test]
    fn csv_rows_never_panic(
        headers in prop::collection::vec("[A-Z_]{0,12}", 0..6),
        values in prop::collection::vec("[ -~]{0,16}", 0..6),
    ) {
        let mut normalizer = Normalizer::new(Identities::new());
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let _ = normalizer.normalize_csv_row(&headers, &values, None);
        let _ = normalizer.normalize_csv_row(&headers, &values, Some("Login"));
    }

    #[test]
    fn csv_files_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let Ok(file) = sources::CsvFile::parse(&bytes) else { return Ok(()) };
        let mut normalizer = Normalizer::new(Identities::new());
        let headers: Vec<&str> = file.headers.iter().map(String::as_str).collect();
        for row in &file.rows {
            if let Ok(values) = &row.values {
                let values: Vec<&str> = values.iter().map(String::as_str).collect();
                let _ = normalizer.normalize_csv_row(&headers, &values, None);
            }
        }
    }

    #[test]
    fn csv_text_never_panics(text in "[A-Z_,\"\n0-9a-z:. -]{0,200}") {
        let _ = sources::CsvFile::parse(text.as_bytes());
    }

    #[test]
    fn identities_never_panic(text in "[ -~\n,\"]{0,200}") {
        let _ = Identities::from_csv(&text, "generated.csv");
    }
}

#[test]
fn deep_nesting_is_rejected_not_overflowed() {
    let mut record = json!({"CreationTime": "2020-02-28T09:42:45"});
    for _ in 0..64 {
        record = json!([record]);
    }
    let mut normalizer = Normalizer::new(Identities::new());
    assert!(normalizer.normalize(&record, Format::Auto).is_err());
}
