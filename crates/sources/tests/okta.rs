//! Okta System Log events: pinned UDM for a sign-in, the outcome and debug mappings the
//! community rules read, and the export shapes (arrays, lower-cased keys).

mod common;

use common::{assert_udm_eq, normalize_json, text_at};
use serde_json::{json, Map, Value};
use sources::{Format, Identities, Normalizer};

fn session_start(result: &str, reason: Option<&str>) -> Value {
    json!({
        "uuid": "2f7e1c0a-d8b3-11ef-9c1e-0b6b1c8e6a11",
        "published": "2026-03-02T09:20:11.482Z",
        "eventType": "user.session.start",
        "version": "0",
        "severity": "INFO",
        "displayMessage": "User login to Okta",
        "actor": {
            "id": "00u1a2b3c4D5e6F7g8h9",
            "type": "User",
            "alternateId": "dana.lee@example.com",
            "displayName": "Dana Lee",
            "detailEntry": null
        },
        "client": {
            "userAgent": {
                "rawUserAgent": "Mozilla/5.0 (X11; Linux x86_64)",
                "os": "Linux",
                "browser": "FIREFOX"
            },
            "zone": "null",
            "device": "Computer",
            "id": null,
            "ipAddress": "203.0.113.7",
            "geographicalContext": {
                "city": "Amsterdam",
                "state": "North Holland",
                "country": "Netherlands",
                "postalCode": "1012",
                "geolocation": {"lat": 52.37, "lon": 4.89}
            }
        },
        "authenticationContext": {
            "authenticationStep": 0,
            "externalSessionId": "102bZDNFfWaQSyEZQuDgWt-uQ"
        },
        "outcome": {"result": result, "reason": reason},
        "securityContext": {
            "asNumber": 9009,
            "asOrg": "m247 europe srl",
            "isp": "m247 ltd",
            "domain": "m247.com",
            "isProxy": true
        },
        "debugContext": {
            "debugData": {
                "requestId": "Zk1b2c3d4e5f",
                "requestUri": "/idp/idx/identify",
                "threatSuspected": "false",
                "behaviors": "{New Geo-Location=POSITIVE, New Device=NEGATIVE, New IP=POSITIVE}",
                "url": "/idp/idx/identify?"
            }
        },
        "request": {
            "ipChain": [
                {"ip": "203.0.113.7", "version": "V4", "source": null},
                {"ip": "198.51.100.30", "version": "V4", "source": null}
            ]
        },
        "target": null,
        "transaction": {"type": "WEB", "id": "Zk1b2c3d4e5f", "detail": {}}
    })
}

#[test]
fn session_start_snapshot() {
    let events = normalize_json(&session_start("SUCCESS", None), Format::Okta);
    let user = json!({
        "userid": "dana.lee@example.com",
        "email_addresses": ["dana.lee@example.com"],
        "product_object_id": "00u1a2b3c4D5e6F7g8h9"
    });
    let mut principal_user = user.clone();
    principal_user["user_display_name"] = json!("Dana Lee");
    principal_user["attribute"] = json!({"labels": [{"key": "type", "value": "User"}]});
    let location = json!({
        "city": "Amsterdam",
        "state": "North Holland",
        "country_or_region": "Netherlands",
        "region_coordinates": {"latitude": 52.37, "longitude": 4.89}
    });
    let expected = json!({
        "metadata": {
            "event_timestamp": "2026-03-02T09:20:11.482Z",
            "vendor_name": "Okta",
            "product_name": "Okta",
            "log_type": "OKTA",
            "product_event_type": "user.session.start",
            "product_log_id": "2f7e1c0a-d8b3-11ef-9c1e-0b6b1c8e6a11",
            "event_type": "USER_LOGIN"
        },
        "principal": {
            "user": principal_user,
            "ip": ["203.0.113.7"],
            "platform_version": "Linux",
            "asset": {"attribute": {"labels": [
                {"key": "browser", "value": "FIREFOX"},
                {"key": "device", "value": "Computer"}
            ]}},
            "location": location,
            "ip_geo_artifact": [{
                "ip": "203.0.113.7",
                "network": {
                    "asn": "9009",
                    "organization_name": "m247 europe srl",
                    "carrier_name": "m247 ltd",
                    "dns_domain": "m247.com",
                    "is_proxy": true
                },
                "location": location
            }]
        },
        "intermediary": [{"ip": ["198.51.100.30"]}],
        "network": {
            "http": {"user_agent": "Mozilla/5.0 (X11; Linux x86_64)"},
            "parent_session_id": "102bZDNFfWaQSyEZQuDgWt-uQ"
        },
        "target": {"user": user, "url": "/idp/idx/identify?"},
        "security_result": [{
            "action": ["ALLOW"],
            "severity": "INFORMATIONAL",
            "severity_details": "INFO",
            "summary": "User login to Okta",
            "description": "{New Geo-Location=POSITIVE, New Device=NEGATIVE, New IP=POSITIVE}",
            "action_details": "SUCCESS",
            "detection_fields": [
                {"key": "requestId", "value": "Zk1b2c3d4e5f"},
                {"key": "requestUri", "value": "/idp/idx/identify"},
                {"key": "threatSuspected", "value": "false"},
                {"key": "behaviors", "value": "{New Geo-Location=POSITIVE, New Device=NEGATIVE, New IP=POSITIVE}"},
                {"key": "url", "value": "/idp/idx/identify?"}
            ]
        }],
        "additional": {
            "version": "0",
            "client.zone": "null",
            "client.geographicalContext.postalCode": "1012",
            "authenticationContext.authenticationStep": "0",
            "request.ipChain": "[{\"ip\":\"203.0.113.7\",\"version\":\"V4\",\"source\":null},{\"ip\":\"198.51.100.30\",\"version\":\"V4\",\"source\":null}]",
            "transaction.type": "WEB",
            "transaction.id": "Zk1b2c3d4e5f"
        }
    });
    assert_udm_eq(&events[0], &expected);
}

#[test]
fn failed_sign_in_reason_is_category() {
    let events =
        normalize_json(&session_start("FAILURE", Some("INVALID_CREDENTIALS")), Format::Okta);
    assert_eq!(text_at(&events[0], "security_result.action"), Some("BLOCK"));
    assert_eq!(
        text_at(&events[0], "security_result.category_details"),
        Some("INVALID_CREDENTIALS")
    );
}

#[test]
fn outcome_results_map_to_actions() {
    for (result, action) in [
        ("SUCCESS", "ALLOW"),
        ("ALLOW", "ALLOW"),
        ("FAILURE", "BLOCK"),
        ("DENY", "BLOCK"),
        ("CHALLENGE", "CHALLENGE"),
        ("SKIPPED", "UNKNOWN_ACTION"),
    ] {
        let events = normalize_json(&session_start(result, None), Format::Okta);
        assert_eq!(text_at(&events[0], "security_result.action"), Some(action), "{result}");
    }
}

/// Lower-cases every key of a JSON value, as some SIEM exports do.
fn lower_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let lowered: Map<String, Value> =
                map.iter().map(|(k, v)| (k.to_ascii_lowercase(), lower_keys(v))).collect();
            Value::Object(lowered)
        }
        Value::Array(items) => Value::Array(items.iter().map(lower_keys).collect()),
        other => other.clone(),
    }
}

#[test]
fn lower_cased_export_reads_the_same() {
    let original = session_start("SUCCESS", None);
    let lowered = lower_keys(&original);
    assert_eq!(sources::detect(lowered.as_object().unwrap()), Some(Format::Okta));
    let expected = normalize_json(&original, Format::Auto).remove(0);
    let actual = normalize_json(&lowered, Format::Auto).remove(0);
    for path in ["metadata", "principal", "target", "network", "intermediary"] {
        assert_eq!(actual[path], expected[path], "{path}");
    }
    assert_eq!(
        text_at(&actual, "security_result.summary"),
        text_at(&expected, "security_result.summary")
    );
}

#[test]
fn api_array_yields_every_event() {
    let mut second = session_start("SUCCESS", None);
    second["uuid"] = json!("second");
    second["eventType"] = json!("user.session.end");
    let events = normalize_json(&json!([session_start("SUCCESS", None), second]), Format::Auto);
    assert_eq!(events.len(), 2);
    assert_eq!(text_at(&events[1], "metadata.event_type"), Some("USER_LOGOUT"));
    assert_eq!(text_at(&events[1], "metadata.product_log_id"), Some("second"));
}

#[test]
fn targets_fill_user_group_resource_and_about() {
    let mut record = session_start("SUCCESS", None);
    record["eventType"] = json!("group.user_membership.add");
    record["displayMessage"] = json!("Add user to group membership");
    record["target"] = json!([
        {"id": "00u9z8y7x6W5v4U3t2s1", "type": "User", "alternateId": "sam.roe@example.com", "displayName": "Sam Roe"},
        {"id": "00g1a2b3c4D5e6F7g8h9", "type": "UserGroup", "alternateId": "unknown", "displayName": "Salesforce Admins"},
        {"id": "0oa1a2b3c4D5e6F7g8h9", "type": "AppInstance", "alternateId": "Salesforce", "displayName": "Salesforce.com"},
        {"id": "okta.users.manage", "type": "Permission", "alternateId": "unknown", "displayName": "okta.users.manage",
         "detailEntry": {"scope": "all"}}
    ]);
    let event = normalize_json(&record, Format::Auto).remove(0);
    assert_eq!(text_at(&event, "metadata.event_type"), Some("GROUP_MODIFICATION"));
    assert_eq!(text_at(&event, "target.user.userid"), Some("sam.roe@example.com"));
    assert_eq!(text_at(&event, "target.user.product_object_id"), Some("00u9z8y7x6W5v4U3t2s1"));
    assert_eq!(text_at(&event, "target.group.group_display_name"), Some("Salesforce Admins"));
    assert_eq!(text_at(&event, "target.group.product_object_id"), Some("00g1a2b3c4D5e6F7g8h9"));
    assert_eq!(text_at(&event, "target.application"), Some("Salesforce.com"));
    assert_eq!(text_at(&event, "target.resource.resource_subtype"), Some("AppInstance"));
    assert_eq!(text_at(&event, "about.resource.resource_subtype"), Some("Permission"));
    assert_eq!(text_at(&event, "about.resource.name"), Some("okta.users.manage"));
    assert_eq!(event["additional"]["target.3.detailEntry.scope"], json!("all"));
}

#[test]
fn mfa_factor_is_a_detection_field() {
    let mut record = session_start("SUCCESS", None);
    record["eventType"] = json!("user.authentication.auth_via_mfa");
    record["debugContext"]["debugData"]["factor"] = json!("OKTA_VERIFY_PUSH");
    let event = normalize_json(&record, Format::Auto).remove(0);
    assert_eq!(text_at(&event, "metadata.event_type"), Some("USER_LOGIN"));
    let fields = event["security_result"][0]["detection_fields"].as_array().unwrap();
    assert!(fields.contains(&json!({"key": "factor", "value": "OKTA_VERIFY_PUSH"})), "{fields:?}");
    assert_eq!(text_at(&event, "target.user.userid"), Some("dana.lee@example.com"));
}

#[test]
fn okta_user_resolves_through_identities() {
    let identities = Identities::from_csv(
        "email,okta,salesforce\ndana.lee@example.com,00u1a2b3c4D5e6F7g8h9,005Hs00000AbCdEIAV\n",
        "people.csv",
    )
    .unwrap();
    let mut record = session_start("SUCCESS", None);
    record["actor"]["alternateId"] = json!("dlee");
    let mut normalizer = Normalizer::new(identities);
    let event = udm::json::event_to_json(&normalizer.normalize(&record, Format::Auto).unwrap()[0]);
    assert_eq!(text_at(&event, "principal.user.userid"), Some("dlee"));
    assert_eq!(text_at(&event, "principal.user.email_addresses"), Some("dana.lee@example.com"));
}

#[test]
fn missing_published_is_rejected() {
    let mut record = session_start("SUCCESS", None);
    record.as_object_mut().unwrap().remove("published");
    let mut normalizer = Normalizer::new(Identities::new());
    let error = normalizer.normalize(&record, Format::Okta).unwrap_err();
    assert!(error.to_string().contains("published"), "{error}");
}

/// The same sign-in as log shippers forward it: an Amazon EventBridge event from Okta Log
/// Streaming, a Splunk HTTP Event Collector event, a Splunk search export row, and a line of a
/// syslog or Fluentd shipper that carries the event as JSON text.
fn shipped(event: &Value) -> Vec<(&'static str, Value)> {
    vec![
        (
            "EventBridge",
            json!({"version": "0", "id": "6a7e8feb-0000-4000-8000-000000000001",
                   "detail-type": "SystemLog", "source": "aws.partner/okta.com/example/syslog",
                   "account": "111122223333", "time": "2026-03-02T09:20:12Z",
                   "region": "us-east-1", "resources": [], "detail": event}),
        ),
        (
            "HTTP Event Collector",
            json!({"time": 1772443212, "host": "okta", "sourcetype": "OktaIM2:log",
                   "event": event}),
        ),
        (
            "Splunk export",
            json!({"preview": false,
                   "result": {"_raw": event.to_string(), "sourcetype": "OktaIM2:log"}}),
        ),
        (
            "JSON text in message",
            json!({"@timestamp": "2026-03-02T09:20:12.001Z", "message": event.to_string(),
                   "host": {"name": "shipper-1"}}),
        ),
    ]
}

#[test]
fn shipper_envelopes_are_opened() {
    let event = session_start("SUCCESS", None);
    for (shipper, record) in shipped(&event) {
        let csv = "email,okta_id\ndana.lee@example.com,00u1a2b3c4D5e6F7g8h9\n";
        let mut normalizer = Normalizer::new(Identities::from_csv(csv, "people.csv").unwrap());
        assert_eq!(
            Normalizer::normalize_stateless(&record, Format::Auto),
            None,
            "{shipper}: an Okta event needs the run's identities"
        );
        for format in [Format::Auto, Format::Okta] {
            let events = normalizer
                .normalize(&record, format)
                .unwrap_or_else(|e| panic!("{shipper}, {format}: {e}"));
            assert_eq!(events.len(), 1, "{shipper}, {format}");
            let json = udm::json::event_to_json(&events[0]);
            assert_eq!(text_at(&json, "metadata.log_type"), Some("OKTA"), "{shipper}");
            assert_eq!(
                text_at(&json, "metadata.product_event_type"),
                Some("user.session.start"),
                "{shipper}"
            );
            assert_eq!(
                text_at(&json, "principal.user.email_addresses"),
                Some("dana.lee@example.com"),
                "{shipper}"
            );
        }
    }
}

#[test]
fn shipper_envelope_fields_are_kept() {
    let event = session_start("SUCCESS", None);
    let (_, record) = shipped(&event).remove(0);
    let events = normalize_json(&record, Format::Auto);
    assert_eq!(text_at(&events[0], "additional.detail-type"), Some("SystemLog"));
    assert_eq!(text_at(&events[0], "additional.account"), Some("111122223333"));
}
