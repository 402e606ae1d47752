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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

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
