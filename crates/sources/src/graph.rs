//! Microsoft Graph activity logs (`MicrosoftGraphActivityLogs`) into UDM `NETWORK_HTTP`
//! events.
//!
//! Reads the Azure Monitor diagnostic export (`time`, `category`, `properties`) and the Log
//! Analytics table export (the same fields at top level, PascalCase). The record names the
//! caller by object id only; the principal name comes from an earlier sign-in or the
//! identity map.

use serde_json::{Map, Value};
use udm::Event;

use crate::build::{self, set_str};
use crate::context::Context;
use crate::fields::Fields;
use crate::{enums, ip, time, SourceError};

/// `metadata.product_event_type` of every Graph activity event, as Google SecOps writes it.
const PRODUCT_EVENT_TYPE: &str = "Microsoft Graph Activity";

/// Normalises one Graph activity record into one event.
pub(crate) fn normalize(obj: &Map<String, Value>, ctx: &mut Context) -> Result<Event, SourceError> {
    crate::format::check_azure_category(obj, "graph", "Microsoft Graph activity", |category| {
        category == "microsoftgraphactivitylogs"
    })?;
    let mut envelope = Fields::new(obj);
    let nested = envelope.object("properties");
    let has_nested = nested.is_some();
    let mut props = nested.unwrap_or_else(|| Fields::new(obj));
    let mut event = Event::new();

    let mut stamped = false;
    for name in ["time", "timeGenerated", "TimeGenerated"] {
        let value = if has_nested {
            envelope.get(name).or_else(|| props.get(name))
        } else {
            props.get(name)
        };
        if let Some(value) = value {
            event.set("metadata.event_timestamp", time::parse_value(name, value)?);
            stamped = true;
            break;
        }
    }
    if !stamped {
        return Err(SourceError::MissingField {
            field: "time".into(),
            format: "Microsoft Graph activity",
        });
    }

    enums::set_enum(&mut event, "metadata.event_type", "NETWORK_HTTP");
    event.set("metadata.vendor_name", "Microsoft");
    event.set("metadata.product_name", "Microsoft");
    event.set("metadata.log_type", "AZURE_AD");
    event.set("metadata.product_event_type", PRODUCT_EVENT_TYPE);
    envelope.skip("operationName");
    if let Some(id) = props.text("requestId") {
        event.set("metadata.product_log_id", id);
    }

    if let Some(uri) = props.text("requestUri") {
        event.set("target.url", uri);
    }
    if let Some(method) = props.text("requestMethod") {
        event.set("network.http.method", method.to_ascii_uppercase());
    }
    if let Some(code) = props.peek("responseStatusCode").and_then(response_code) {
        event.set("network.http.response_code", code);
        props.skip("responseStatusCode");
    }
    if let Some(agent) = props.text("userAgent") {
        event.set("network.http.user_agent", agent);
    }
    if let Some(bytes) = props.peek("responseSizeBytes").and_then(byte_count) {
        event.set("network.received_bytes", bytes);
        props.skip("responseSizeBytes");
    }
    if let Some(raw) = props.peek_text("ipAddress") {
        let (addresses, rejected) = ip::clean_chain(&raw);
        for a in &addresses {
            build::push_unique(&mut event, "principal.ip", a);
        }
        if !rejected {
            props.skip("ipAddress");
        }
    }
    if let Some(session) = props.text("signInActivityId") {
        event.set("network.session_id", session);
    }
    if let Some(session) = props.text("sessionId") {
        event.set("network.parent_session_id", session);
    }

    let user_id = props.text("userId");
    let service_principal = props.text("servicePrincipalId");
    let object_id = user_id.as_deref().or(service_principal.as_deref());
    ctx.write_user(&mut event, "principal.user", None, object_id);
    if let Some(app) = props.text("appId") {
        event.set("principal.application", app);
    }
    if let Some(device) = props.text("deviceId") {
        event.set("principal.asset.product_object_id", device);
    }
    if let Some(region) = props.text("location") {
        set_str(&mut event, "principal.location.name", &region);
    }

    if has_nested {
        envelope.finish(&mut event);
    } else {
        props.mark_read_from(&envelope);
    }
    props.finish(&mut event);
    Ok(event)
}

/// Reads a size in bytes given as a number or, as CSV exports write it, a numeric string.
fn byte_count(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads an HTTP status code given as a number or a numeric string.
fn response_code(value: &Value) -> Option<i64> {
    let code = match value {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (0..=999).contains(&code).then_some(code)
}
