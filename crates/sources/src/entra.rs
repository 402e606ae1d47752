//! Microsoft Entra ID sign-in logs into UDM `USER_LOGIN` events, as the Google SecOps
//! `AZURE_AD` parser lays them out.
//!
//! Three shapes are read: the Azure Monitor diagnostic export (`time`, `category`,
//! `properties` with the sign-in), the Log Analytics table export (the same fields at top
//! level, PascalCase) and the Microsoft Graph `signIn` resource (`createdDateTime`,
//! `userPrincipalName`, `status.errorCode` at top level). Every sign-in category is accepted:
//! interactive, non-interactive, service principal, managed identity and AD FS.

use serde_json::{Map, Value};
use udm::Event;

use crate::build::{self, push_label, set_str, SecurityResult};
use crate::context::Context;
use crate::fields::Fields;
use crate::{enums, ip, time, SourceError};

/// Normalises one sign-in record into one event.
pub(crate) fn normalize(obj: &Map<String, Value>, ctx: &mut Context) -> Result<Event, SourceError> {
    crate::format::check_azure_category(obj, "entra", "an Entra ID sign-in log", |category| {
        category.ends_with("signinlogs")
    })?;
    let download = crate::entra_download::is_download_row(obj)
        .then(|| crate::entra_download::sign_in_of_row(obj));
    let obj = download.as_ref().unwrap_or(obj);
    let parsed = parse_json_columns(obj);
    let obj = parsed.as_ref().unwrap_or(obj);
    let mut envelope = Fields::new(obj);
    let nested = envelope.object("properties");
    let has_nested = nested.is_some();
    let mut props = nested.unwrap_or_else(|| Fields::new(obj));
    // Without `properties` both views wrap the same object; only `props` reports leftovers.
    let mut event = Event::new();

    write_time(&mut envelope, &mut props, has_nested, &mut event)?;
    enums::set_enum(&mut event, "metadata.event_type", "USER_LOGIN");
    event.set("metadata.vendor_name", "Microsoft");
    event.set("metadata.product_name", "Azure AD");
    event.set("metadata.log_type", "AZURE_AD");
    let operation = envelope.text("operationName").or_else(|| props.text("operationName"));
    let category = envelope.peek_text("category");
    set_str(
        &mut event,
        "metadata.product_event_type",
        operation.as_deref().or(category.as_deref()).unwrap_or("Sign-in activity"),
    );
    if let Some(id) = props.text("id") {
        event.set("metadata.product_log_id", id);
    }

    write_user(&mut props, &mut event, ctx);
    write_network(&mut envelope, &mut props, &mut event);
    write_location(&mut props, &mut event);
    write_device(&mut props, &mut event);
    write_application(&mut props, &mut event);

    let mut result = SecurityResult::default();
    write_status(&mut envelope, &mut props, &mut result, &mut event);
    write_risk(&mut props, &mut result);
    result.write(&mut event);

    if has_nested {
        envelope.finish(&mut event);
    } else {
        props.mark_read_from(&envelope);
    }
    props.finish(&mut event);
    Ok(event)
}

/// Columns that Log Analytics stores as JSON text in some sign-in tables
/// (`AADNonInteractiveUserSignInLogs`, `AADServicePrincipalSignInLogs`) and as objects in
/// others.
const JSON_TEXT_COLUMNS: &[&str] = &["Status", "DeviceDetail", "LocationDetails"];

/// Returns a copy of `obj` with the [`JSON_TEXT_COLUMNS`] that hold JSON text parsed into
/// objects, or `None` when no column needs it.
fn parse_json_columns(obj: &Map<String, Value>) -> Option<Map<String, Value>> {
    let mut patched: Option<Map<String, Value>> = None;
    for (key, value) in obj {
        let Value::String(text) = value else { continue };
        if !JSON_TEXT_COLUMNS.iter().any(|c| c.eq_ignore_ascii_case(key)) {
            continue;
        }
        if let Ok(parsed @ Value::Object(_)) = serde_json::from_str::<Value>(text) {
            patched.get_or_insert_with(|| obj.clone()).insert(key.clone(), parsed);
        }
    }
    patched
}

fn write_time<'a>(
    envelope: &mut Fields<'a>,
    props: &mut Fields<'a>,
    has_nested: bool,
    event: &mut Event,
) -> Result<(), SourceError> {
    let candidates: [(&str, bool); 4] = [
        ("createdDateTime", true),
        ("time", false),
        ("TimeGenerated", false),
        ("TimeGenerated", true),
    ];
    for (name, in_props) in candidates {
        let source = if in_props || !has_nested { &mut *props } else { &mut *envelope };
        if let Some(value) = source.get(name) {
            event.set("metadata.event_timestamp", time::parse_value(name, value)?);
            return Ok(());
        }
    }
    Err(SourceError::MissingField {
        field: "createdDateTime or time".into(),
        format: "Entra ID sign-in",
    })
}

fn write_user(props: &mut Fields<'_>, event: &mut Event, ctx: &mut Context) {
    let upn = props.text("userPrincipalName");
    let object_id = props.text("userId");
    if let (Some(upn), Some(id)) = (&upn, &object_id) {
        ctx.learn(id, upn);
    }
    // A non-interactive sign-in can carry an object id in `userPrincipalName`; it stays the
    // user id, and `write_user` adds no email for it.
    let mut name = upn.clone();
    let mut object_id = object_id;
    if name.is_none() && object_id.is_none() {
        name = props.text("servicePrincipalName");
        object_id = props.text("servicePrincipalId");
    }
    for path in ["principal.user", "target.user"] {
        ctx.write_user(event, path, name.as_deref(), object_id.as_deref());
    }
    if let Some(display) = props.text("userDisplayName") {
        event.set("principal.user.user_display_name", display.as_str());
        event.set("target.user.user_display_name", display);
    }
}

fn write_network(envelope: &mut Fields<'_>, props: &mut Fields<'_>, event: &mut Event) {
    let from_props = props.peek_text("ipAddress");
    let from_envelope = envelope.peek_text("callerIpAddress");
    for (raw, is_props) in [(from_props, true), (from_envelope, false)] {
        let Some(raw) = raw else { continue };
        let (addresses, rejected) = ip::clean_chain(&raw);
        for a in &addresses {
            build::push_unique(event, "principal.ip", a);
        }
        if !rejected {
            if is_props {
                props.skip("ipAddress");
            } else {
                envelope.skip("callerIpAddress");
            }
        }
    }
    if let Some(agent) = props.text("userAgent") {
        event.set("network.http.user_agent", agent);
    }
    if let Some(session) = props.text("sessionId") {
        event.set("network.session_id", session);
    }
}

/// The sign-in location: `location` in the Azure Monitor and Graph forms, `LocationDetails` in
/// Log Analytics, where `Location` is only the country code.
fn write_location(props: &mut Fields<'_>, event: &mut Event) {
    let Some(mut location) = props.object("location").or_else(|| props.object("LocationDetails"))
    else {
        return;
    };
    for (source, target) in [
        ("city", "principal.location.city"),
        ("state", "principal.location.state"),
        ("countryOrRegion", "principal.location.country_or_region"),
    ] {
        if let Some(value) = location.text(source) {
            event.set(target, value);
        }
    }
    if let Some(mut coordinates) = location.object("geoCoordinates") {
        for (source, target) in [
            ("latitude", "principal.location.region_coordinates.latitude"),
            ("longitude", "principal.location.region_coordinates.longitude"),
        ] {
            if let Some(value) = coordinates.peek(source).and_then(Value::as_f64) {
                event.set(target, value);
                coordinates.skip(source);
            }
        }
        coordinates.finish(event);
    }
    location.finish(event);
}

fn write_device(props: &mut Fields<'_>, event: &mut Event) {
    let Some(mut device) = props.object("deviceDetail") else { return };
    if let Some(id) = device.text("deviceId") {
        event.set("principal.asset.product_object_id", id);
    }
    if let Some(name) = device.text("displayName") {
        event.set("principal.asset.hostname", name.as_str());
        event.set("principal.hostname", name);
    }
    if let Some(os) = device.text("operatingSystem") {
        event.set("principal.platform_version", os);
    }
    if let Some(browser) = device.text("browser") {
        push_label(event, "principal.asset.attribute.labels", "browser", &browser);
    }
    device.finish(event);
}

fn write_application(props: &mut Fields<'_>, event: &mut Event) {
    if let Some(app) = props.text("appDisplayName") {
        event.set("target.application", app);
    }
    if let Some(app_id) = props.text("appId") {
        event.set("target.resource.product_object_id", app_id.as_str());
        push_label(event, "target.resource.attribute.labels", "App Id", &app_id);
    }
    if let Some(resource) = props.text("resourceDisplayName") {
        event.set("target.resource.name", resource);
    }
    // Log Analytics names the sign-in's resource `ResourceIdentity`, and its `ResourceId`
    // column is the Azure resource path of the log (`/tenants/.../Microsoft.aadiam`), which
    // stays in `additional.fields`.
    let resource_id = props.text("resourceIdentity").or_else(|| {
        let id = props.peek_text("resourceId").filter(|id| !id.starts_with('/'))?;
        props.skip("resourceId");
        Some(id)
    });
    if let Some(resource_id) = resource_id {
        push_label(event, "target.resource.attribute.labels", "Resource Id", &resource_id);
    }
}

/// `status.errorCode` 0 is success; the envelope's `resultType` carries the same code.
fn write_status(
    envelope: &mut Fields<'_>,
    props: &mut Fields<'_>,
    result: &mut SecurityResult,
    event: &mut Event,
) {
    let mut code = None;
    if let Some(mut status) = props.object("status") {
        code = status.text("errorCode");
        if let Some(reason) = status.text("failureReason") {
            result.description = Some(reason);
        }
        if let Some(details) = status.text("additionalDetails") {
            result.summary = Some(details);
        }
        status.finish(event);
    }
    if code.is_none() {
        code = envelope.text("resultType").or_else(|| props.text("resultType"));
    }
    if result.description.is_none() {
        result.description = envelope.text("resultDescription");
    }
    let Some(code) = code else { return };
    result.action = Some(action_of_error_code(&code));
    result.action_details = Some(code.clone());
    result.rule_id = Some(code);
}

/// Maps an Entra ID sign-in error code to a UDM action.
///
/// Codes for a wrong or unknown credential fail the login; every other non-zero code (policy,
/// lockout, MFA and other interrupts) blocks it.
fn action_of_error_code(code: &str) -> &'static str {
    match code.trim() {
        "0" | "" => "ALLOW",
        "50126" | "50034" | "50055" | "50056" | "50057" | "50144" | "50012" | "70002"
        | "7000215" => "FAIL",
        _ => "BLOCK",
    }
}

/// Risk fields: the higher of the two risk levels becomes the severity; every risk field is
/// kept as a detection field.
fn write_risk(props: &mut Fields<'_>, result: &mut SecurityResult) {
    let mut severity: Option<(u8, &'static str, String)> = None;
    for key in ["riskLevelDuringSignIn", "riskLevelAggregated"] {
        let Some(level) = props.text(key) else { continue };
        if let Some((rank, name)) = severity_of_risk(&level) {
            if severity.as_ref().is_none_or(|(r, _, _)| rank > *r) {
                severity = Some((rank, name, level.clone()));
            }
        }
        result.detection_fields.push((key.to_owned(), level));
    }
    if let Some((_, name, level)) = severity {
        result.severity = Some(name);
        result.severity_details = Some(level);
    }
    for key in ["riskState", "riskDetail"] {
        if let Some(value) = props.text(key) {
            result.detection_fields.push((key.to_owned(), value));
        }
    }
    for key in ["riskEventTypes", "riskEventTypes_v2"] {
        if let Some(items) = props.array(key) {
            let joined: Vec<String> = items.iter().filter_map(crate::fields::scalar_text).collect();
            if !joined.is_empty() {
                result.detection_fields.push((key.to_owned(), joined.join(",")));
            }
        }
    }
}

fn severity_of_risk(level: &str) -> Option<(u8, &'static str)> {
    match level.to_ascii_lowercase().as_str() {
        "low" => Some((1, "LOW")),
        "medium" => Some((2, "MEDIUM")),
        "high" => Some((3, "HIGH")),
        "none" => Some((0, "INFORMATIONAL")),
        _ => None,
    }
}
