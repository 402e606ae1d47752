//! The CSV that the Microsoft Entra admin center downloads from its sign-in logs, turned into
//! the Graph `signIn` resource that [`crate::entra`] reads.
//!
//! The download names its columns by their titles in the admin center (`Date (UTC)`,
//! `Username`, `IP address`, `Sign-in error code`) and writes the location as one
//! `city, state, country` cell.

use serde_json::{Map, Value};

use crate::fields::get_ci;

/// Column titles of the download and the `signIn` property each one holds, as a dotted path.
const COLUMNS: &[(&str, &str)] = &[
    ("Date (UTC)", "createdDateTime"),
    ("Request ID", "id"),
    ("User agent", "userAgent"),
    ("Correlation ID", "correlationId"),
    ("User ID", "userId"),
    ("User", "userDisplayName"),
    ("Username", "userPrincipalName"),
    ("User type", "userType"),
    ("Service principal name", "servicePrincipalName"),
    ("Service principal ID", "servicePrincipalId"),
    ("Application", "appDisplayName"),
    ("Application ID", "appId"),
    ("Resource", "resourceDisplayName"),
    ("Resource ID", "resourceId"),
    ("IP address", "ipAddress"),
    ("Session ID", "sessionId"),
    ("Client app", "clientAppUsed"),
    ("Conditional Access", "conditionalAccessStatus"),
    ("Sign-in error code", "status.errorCode"),
    ("Failure reason", "status.failureReason"),
    ("Device ID", "deviceDetail.deviceId"),
    ("Browser", "deviceDetail.browser"),
    ("Operating System", "deviceDetail.operatingSystem"),
];

/// Checks whether `obj` is a row of the admin center's sign-in download. Other downloads of the
/// admin center can have `Date (UTC)` too, so sign-in columns are required as well.
pub(crate) fn is_download_row(obj: &Map<String, Value>) -> bool {
    let has = |name: &str| get_ci(obj, name).is_some();
    has("Date (UTC)")
        && has("Request ID")
        && (has("Username") || has("IP address") || has("Service principal ID"))
}

/// Returns the `signIn` resource that a download row holds. Columns without a `signIn`
/// property keep their titles, so that they reach `additional.fields`.
pub(crate) fn sign_in_of_row(row: &Map<String, Value>) -> Map<String, Value> {
    let mut sign_in = Map::new();
    for (title, value) in row {
        if value.as_str().is_some_and(|text| text.trim().is_empty()) {
            continue;
        }
        if let Some((_, path)) = COLUMNS.iter().find(|(t, _)| t.eq_ignore_ascii_case(title)) {
            insert_path(&mut sign_in, path, value.clone());
        } else if title.eq_ignore_ascii_case("Location") {
            if let Some(text) = value.as_str() {
                insert_location(&mut sign_in, text);
            }
        } else if title.eq_ignore_ascii_case("Status") {
            // `Success`, `Failure` or `Interrupted`. The error code gives the same result in
            // detail and decides the action.
            insert_path(&mut sign_in, "status.result", value.clone());
        } else {
            sign_in.insert(title.clone(), value.clone());
        }
    }
    let succeeded =
        row.iter().any(|(t, v)| t.eq_ignore_ascii_case("Status") && v.as_str() == Some("Success"));
    let has_code = sign_in.get("status").and_then(|s| s.get("errorCode")).is_some();
    if succeeded && !has_code {
        insert_path(&mut sign_in, "status.errorCode", Value::from(0));
    }
    sign_in
}

/// Splits the download's `city, state, country` cell. A cell with fewer parts names the
/// country last and the city first.
fn insert_location(sign_in: &mut Map<String, Value>, text: &str) {
    let parts: Vec<&str> = text.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    let (city, state, country) = match parts.as_slice() {
        [] => return,
        [country] => (None, None, Some(*country)),
        [city, country] => (Some(*city), None, Some(*country)),
        [city, middle @ .., country] => (Some(*city), Some(middle.join(", ")), Some(*country)),
    };
    if let Some(city) = city {
        insert_path(sign_in, "location.city", Value::from(city));
    }
    if let Some(state) = state {
        insert_path(sign_in, "location.state", Value::from(state));
    }
    if let Some(country) = country {
        insert_path(sign_in, "location.countryOrRegion", Value::from(country));
    }
}

fn insert_path(map: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            map.insert(path.to_owned(), value);
        }
        Some((head, rest)) => {
            let slot = map.entry(head.to_owned()).or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(inner) = slot {
                insert_path(inner, rest, value);
            }
        }
    }
}
