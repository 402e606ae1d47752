//! Okta System Log events (the `/api/v1/logs` JSON) into UDM, laid out as the Google SecOps
//! `OKTA` parser does where the community rules show it: `displayMessage` in
//! `security_result.summary`, `outcome.reason` in `security_result.category_details`, every
//! `debugContext.debugData` key in `security_result.detection_fields`, and
//! `authenticationContext.externalSessionId` in `network.parent_session_id`.
//!
//! Keys are matched case-insensitively, because some exports lower-case every key.

mod event_types;
mod targets;

use serde_json::{Map, Value};
use udm::{Event, Message};

use crate::build::{self, push_label, SecurityResult};
use crate::context::Context;
use crate::fields::{scalar_text, Fields};
use crate::{enums, ip, time, SourceError};

/// Normalises one Okta System Log event.
pub(crate) fn normalize(obj: &Map<String, Value>, ctx: &mut Context) -> Result<Event, SourceError> {
    let mut f = Fields::new(obj);
    let mut event = Event::new();

    let published = f.get("published").ok_or(SourceError::MissingField {
        field: "published".into(),
        format: "Okta System Log",
    })?;
    event.set("metadata.event_timestamp", time::parse_value("published", published)?);
    event.set("metadata.vendor_name", "Okta");
    event.set("metadata.product_name", "Okta");
    event.set("metadata.log_type", "OKTA");
    let okta_type = f.text("eventType").unwrap_or_default();
    build::set_str(&mut event, "metadata.product_event_type", &okta_type);
    if let Some(uuid) = f.text("uuid") {
        event.set("metadata.product_log_id", uuid);
    }

    let actor = write_actor(&mut f, &mut event, ctx);
    let client_ip = write_client(&mut f, &mut event);
    write_request(&mut f, &mut event, client_ip.as_deref());
    write_security_context(&mut f, &mut event, client_ip.as_deref());
    if let Some(mut auth) = f.object("authenticationContext") {
        if let Some(session) = auth.text("externalSessionId") {
            event.set("network.parent_session_id", session);
        }
        auth.finish(&mut event);
    }

    let kind = event_types::event_type(&okta_type, actor.is_some());
    enums::set_enum(&mut event, "metadata.event_type", kind);
    let wrote_user = targets::write(&mut f, &mut event, ctx);
    if kind == "USER_LOGIN" && !wrote_user {
        // A sign-in names no target user; the account signing in is the target, as for
        // Entra ID sign-ins.
        if let Some((name, id)) = &actor {
            ctx.write_user(&mut event, "target.user", name.as_deref(), id.as_deref());
        }
    }

    let mut result =
        SecurityResult { summary: f.text("displayMessage"), ..SecurityResult::default() };
    write_outcome(&mut f, &mut event, &mut result);
    write_severity(&mut f, &mut result);
    write_debug_context(&mut f, &mut event, &mut result);
    result.write(&mut event);

    f.finish(&mut event);
    Ok(event)
}

/// The actor's name (`alternateId`) and id, as written to `principal.user`.
type Actor = (Option<String>, Option<String>);

fn write_actor(f: &mut Fields<'_>, event: &mut Event, ctx: &mut Context) -> Option<Actor> {
    let mut actor = f.object("actor")?;
    let name = actor.text("alternateId").filter(|n| n != "unknown");
    let id = actor.text("id");
    if let (Some(name), Some(id)) = (&name, &id) {
        ctx.learn(id, name);
    }
    ctx.write_user(event, "principal.user", name.as_deref(), id.as_deref());
    if let Some(id) = &id {
        event.set("principal.user.product_object_id", id.as_str());
    }
    if let Some(display) = actor.text("displayName") {
        event.set("principal.user.user_display_name", display);
    }
    if let Some(kind) = actor.text("type") {
        push_label(event, "principal.user.attribute.labels", "type", &kind);
    }
    actor.finish(event);
    Some((name, id))
}

/// Writes the client address, user agent, device and location; returns the cleaned address.
fn write_client(f: &mut Fields<'_>, event: &mut Event) -> Option<String> {
    let mut client = f.object("client")?;
    let mut address = None;
    if let Some(raw) = client.peek_text("ipAddress") {
        let (addresses, rejected) = ip::clean_chain(&raw);
        for a in &addresses {
            build::push_unique(event, "principal.ip", a);
        }
        address = addresses.into_iter().next();
        if !rejected {
            client.skip("ipAddress");
        }
    }
    if let Some(mut agent) = client.object("userAgent") {
        if let Some(raw) = agent.text("rawUserAgent") {
            event.set("network.http.user_agent", raw);
        }
        if let Some(os) = agent.text("os").filter(|o| o != "Unknown") {
            event.set("principal.platform_version", os);
        }
        if let Some(browser) = agent.text("browser").filter(|b| b != "UNKNOWN") {
            push_label(event, "principal.asset.attribute.labels", "browser", &browser);
        }
        agent.finish(event);
    }
    if let Some(device) = client.text("device") {
        push_label(event, "principal.asset.attribute.labels", "device", &device);
    }
    if let Some(mut geo) = client.object("geographicalContext") {
        write_geo(&mut geo, event, "principal.location");
        geo.finish(event);
    }
    client.finish(event);
    address
}

/// Writes an Okta `geographicalContext` into the UDM `Location` at `path`.
fn write_geo(geo: &mut Fields<'_>, event: &mut Event, path: &str) {
    for (source, target) in [("city", "city"), ("state", "state"), ("country", "country_or_region")]
    {
        if let Some(value) = geo.text(source) {
            event.set(&format!("{path}.{target}"), value);
        }
    }
    if let Some(mut point) = geo.object("geolocation") {
        for (source, target) in [("lat", "latitude"), ("lon", "longitude")] {
            if let Some(value) = point.peek(source).and_then(Value::as_f64) {
                event.set(&format!("{path}.region_coordinates.{target}"), value);
                point.skip(source);
            }
        }
        point.finish(event);
    }
}

/// Proxies in `request.ipChain` other than the client go to `intermediary.ip`. The chain
/// stays in `additional.fields` as well, because each hop's location has no UDM slot.
fn write_request(f: &mut Fields<'_>, event: &mut Event, client_ip: Option<&str>) {
    let Some(Value::Object(request)) = f.peek("request") else { return };
    let Some(Value::Array(chain)) = crate::fields::get_ci(request, "ipChain") else { return };
    let mut hops = Vec::new();
    for hop in chain {
        let Some(raw) = hop.as_object().and_then(|h| crate::fields::get_ci(h, "ip")) else {
            continue;
        };
        let Some(address) = scalar_text(raw).and_then(|r| ip::clean(&r)) else { continue };
        if Some(address.as_str()) != client_ip && !hops.contains(&address) {
            hops.push(address);
        }
    }
    if hops.is_empty() {
        return;
    }
    event.push("intermediary", udm::Value::Message(Message::new()));
    for hop in hops {
        event.push("intermediary.ip", hop);
    }
}

/// `securityContext` describes the client address: its AS number and organisation, ISP,
/// domain and whether it is a proxy. It becomes the address's `ip_geo_artifact`, the element
/// ASN enrichment would write, together with the client location.
fn write_security_context(f: &mut Fields<'_>, event: &mut Event, client_ip: Option<&str>) {
    let Some(address) = client_ip else { return };
    let Some(mut context) = f.object("securityContext") else { return };
    let mut network = Message::new();
    if let Some(asn) = context.text("asNumber") {
        network.insert("asn", udm::Value::from(asn));
    }
    for (source, target) in
        [("asOrg", "organization_name"), ("isp", "carrier_name"), ("domain", "dns_domain")]
    {
        if let Some(value) = context.text(source) {
            network.insert(target, udm::Value::from(value));
        }
    }
    if let Some(proxy) = context.peek("isProxy").and_then(Value::as_bool) {
        network.insert("is_proxy", udm::Value::Bool(proxy));
        context.skip("isProxy");
    }
    context.finish(event);
    if network.is_empty() {
        return;
    }
    let mut artifact = Message::new();
    artifact.insert("ip", udm::Value::from(address));
    artifact.insert("network", udm::Value::Message(network));
    if let Some(udm::Value::Message(location)) = event.get("principal.location") {
        artifact.insert("location", udm::Value::Message(location.clone()));
    }
    event.push("principal.ip_geo_artifact", udm::Value::Message(artifact));
}

/// `outcome.result` is the action; `outcome.reason` the category details the community rules
/// match (`INVALID_CREDENTIALS`, `FastPass declined phishing attempt`).
fn write_outcome(f: &mut Fields<'_>, event: &mut Event, result: &mut SecurityResult) {
    let Some(mut outcome) = f.object("outcome") else { return };
    if let Some(value) = outcome.text("result") {
        result.action = match value.to_ascii_uppercase().as_str() {
            "SUCCESS" | "ALLOW" => Some("ALLOW"),
            "FAILURE" | "DENY" => Some("BLOCK"),
            "CHALLENGE" => Some("CHALLENGE"),
            _ => Some("UNKNOWN_ACTION"),
        };
        result.action_details = Some(value);
    }
    result.category_details = outcome.text("reason");
    outcome.finish(event);
}

fn write_severity(f: &mut Fields<'_>, result: &mut SecurityResult) {
    let Some(severity) = f.text("severity") else { return };
    result.severity = match severity.to_ascii_uppercase().as_str() {
        "DEBUG" | "INFO" => Some("INFORMATIONAL"),
        "WARN" => Some("MEDIUM"),
        "ERROR" => Some("ERROR"),
        _ => None,
    };
    result.severity_details = Some(severity);
}

/// Writes every `debugContext.debugData` key as a detection field. `behaviors` (the behavior
/// detection results) is also the description, and `url` the target URL.
fn write_debug_context(f: &mut Fields<'_>, event: &mut Event, result: &mut SecurityResult) {
    let Some(mut debug) = f.object("debugContext") else { return };
    if let Some(mut data) = debug.object("debugData") {
        for (key, value) in data.entries() {
            let Some(text) = scalar_text(value).or_else(|| compact(value)) else { continue };
            if key.eq_ignore_ascii_case("behaviors") {
                result.description = Some(text.clone());
            }
            if key.eq_ignore_ascii_case("url") {
                event.set("target.url", text.as_str());
            }
            result.detection_fields.push((key.to_owned(), text));
        }
        data.mark_all_read();
    }
    debug.finish(event);
}

/// Returns compact JSON text of an array or object, for a detection field value.
fn compact(value: &Value) -> Option<String> {
    match value {
        Value::Array(items) if items.is_empty() => None,
        Value::Object(map) if map.is_empty() => None,
        Value::Array(_) | Value::Object(_) => Some(value.to_string()),
        _ => None,
    }
}
