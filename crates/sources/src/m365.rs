//! Microsoft 365 Unified Audit Log records (Office 365 Management Activity API), every
//! workload, into UDM as the Google SecOps `OFFICE_365` parser lays them out.

use serde_json::{Map, Value};
use udm::Event;

use crate::build::{self, looks_like_email, looks_like_guid, push_label, set_str, SecurityResult};
use crate::context::Context;
use crate::fields::{scalar_text, Fields};
use crate::{enums, ip, m365_ops, time, SourceError};

/// UAL fields that may hold the client address, in order of preference.
const IP_FIELDS: &[&str] = &["ClientIP", "ClientIPAddress", "ActorIpAddress"];

/// Normalises one UAL record into one event.
pub(crate) fn normalize(obj: &Map<String, Value>, ctx: &mut Context) -> Result<Event, SourceError> {
    let mut f = Fields::new(obj);
    let mut event = Event::new();

    let created = f.get("CreationTime").ok_or(SourceError::MissingField {
        field: "CreationTime".into(),
        format: "Microsoft 365 audit",
    })?;
    event.set("metadata.event_timestamp", time::parse_value("CreationTime", created)?);
    event.set("metadata.vendor_name", "Microsoft");
    event.set("metadata.product_name", "Office 365");
    event.set("metadata.log_type", "OFFICE_365");
    let operation = f.text("Operation").unwrap_or_default();
    set_str(&mut event, "metadata.product_event_type", &operation);
    if let Some(id) = f.text("Id") {
        event.set("metadata.product_log_id", id);
    }
    let workload = f.text("Workload").unwrap_or_default();
    set_str(&mut event, "target.application", &workload);

    let user_id = f.text("UserId");
    // Service principals and system accounts have the `UserKey` "Not Available", which is not
    // an id, so it stays in `additional.fields`.
    let user_key = f
        .peek_text("UserKey")
        .filter(|key| !key.eq_ignore_ascii_case("Not Available"))
        .and_then(|_| f.text("UserKey"));
    if let (Some(key), Some(name)) = (&user_key, &user_id) {
        if looks_like_guid(key) {
            ctx.learn(key, name);
        }
    }
    ctx.write_user(&mut event, "principal.user", user_id.as_deref(), user_key.as_deref());

    write_ips(&mut f, &mut event);
    write_user_agent(&mut f, &mut event);
    write_property_lists(&mut f, &mut event);
    if let Some(session) = f.text("SessionId") {
        event.set("network.session_id", session);
    }
    // `ApplicationId` is the client app of Entra ID sign-in records in the audit log.
    let mut client_app = None;
    for key in ["AppId", "ClientAppId", "ApplicationId"] {
        if let Some(app) = f.text(key) {
            client_app = Some(app);
            break;
        }
    }
    write_app_access_context(&mut f, &mut event, &mut client_app);
    if let Some(app) = client_app {
        push_label(&mut event, "target.labels", "ClientAppId", &app);
    }

    let mut result = SecurityResult::default();
    if let Some(status) = f.text("ResultStatus") {
        result.action = action_of_status(&status);
        result.summary = Some(status);
    }
    if let Some(Value::Array(parameters)) = f.peek("Parameters") {
        f.skip("Parameters");
        for p in parameters {
            if let (Some(name), Some(value)) = (text_at(p, "Name"), text_at(p, "Value")) {
                result.detection_fields.push((name, value));
            }
        }
    }

    let kind = m365_ops::event_type(&operation, user_id.is_some() || user_key.is_some());
    enums::set_enum(&mut event, "metadata.event_type", kind);

    if kind == "USER_LOGIN" {
        map_login(&mut f, &mut event, ctx, &operation, user_id.as_deref(), &mut result);
    } else if workload.eq_ignore_ascii_case("AzureActiveDirectory") {
        map_directory_change(&mut f, &mut event, ctx);
    } else if workload.eq_ignore_ascii_case("SharePoint")
        || workload.eq_ignore_ascii_case("OneDrive")
    {
        map_file(&mut f, &mut event);
    } else if workload.eq_ignore_ascii_case("Exchange") {
        if let Some(owner) = f.text("MailboxOwnerUPN") {
            ctx.write_user(&mut event, "target.user", Some(&owner), None);
        }
    } else if workload.eq_ignore_ascii_case("MicrosoftTeams") {
        map_members(&mut f, &mut event);
    }
    if event.get("target.resource.name").is_none() && event.get("target.user").is_none() {
        if let Some(object) = f.text("ObjectId") {
            event.set("target.resource.name", object);
        }
    }

    result.write(&mut event);
    f.finish(&mut event);
    Ok(event)
}

/// `AppAccessContext` (SharePoint, OneDrive and Exchange records) names the app and the Entra
/// ID session behind an access. The session id joins the access to its sign-in, and the app
/// name exposes a mail or file pull through an unexpected client.
fn write_app_access_context(
    f: &mut Fields<'_>,
    event: &mut Event,
    client_app: &mut Option<String>,
) {
    let Some(mut context) = f.object("AppAccessContext") else { return };
    if event.get("network.session_id").is_none() {
        if let Some(session) = context.text("AADSessionId") {
            event.set("network.session_id", session);
        }
    }
    if let Some(name) = context.peek_text("ClientAppName").filter(|n| n != "Unknown") {
        event.set("principal.application", name);
        context.skip("ClientAppName");
    }
    if client_app.is_none() {
        *client_app = context.text("ClientAppId");
    }
    context.finish(event);
}

fn text_at(value: &Value, key: &str) -> Option<String> {
    value.as_object().and_then(|o| crate::fields::get_ci(o, key)).and_then(scalar_text)
}

/// `ResultStatus` spellings differ by workload: `Success`, `Succeeded`, `True` (Exchange
/// admin), `PartiallySucceeded`, `Failed`, `False`.
fn action_of_status(status: &str) -> Option<&'static str> {
    match status.to_ascii_lowercase().as_str() {
        "success" | "succeeded" | "true" | "partiallysucceeded" => Some("ALLOW"),
        "failed" | "failure" | "false" => Some("BLOCK"),
        _ => None,
    }
}

fn write_ips(f: &mut Fields<'_>, event: &mut Event) {
    for key in IP_FIELDS {
        let Some(raw) = f.peek_text(key) else {
            f.skip(key);
            continue;
        };
        if raw.eq_ignore_ascii_case("null") {
            f.skip(key);
            continue;
        }
        if let Some(address) = ip::clean(&raw) {
            build::push_unique(event, "principal.ip", &address);
            f.skip(key);
        }
        // NOTE: a value that is not an address (a host name, a redacted token) stays in
        // `additional.fields` under its own key.
    }
}

fn write_user_agent(f: &mut Fields<'_>, event: &mut Event) {
    let from_extended = f.peek("ExtendedProperties").and_then(Value::as_array).and_then(|items| {
        items.iter().find(|p| text_at(p, "Name").as_deref() == Some("UserAgent"))
    });
    let agent = f
        .text("UserAgent")
        .or_else(|| from_extended.and_then(|p| text_at(p, "Value")))
        .or_else(|| f.text("ClientInfoString"));
    if let Some(agent) = agent {
        event.set("network.http.user_agent", agent);
    }
}

/// `ExtendedProperties` and `ModifiedProperties` go to `target.resource.attribute.labels`
/// (old values to `src.resource.attribute.labels`), `DeviceProperties` to
/// `principal.asset.attribute.labels`.
fn write_property_lists(f: &mut Fields<'_>, event: &mut Event) {
    if let Some(items) = f.array("ExtendedProperties") {
        for p in items {
            if let (Some(name), Some(value)) = (text_at(p, "Name"), text_at(p, "Value")) {
                push_label(event, "target.resource.attribute.labels", &name, &value);
            }
        }
    }
    if let Some(items) = f.array("ModifiedProperties") {
        for p in items {
            let Some(name) = text_at(p, "Name") else { continue };
            let new = text_at(p, "NewValue").unwrap_or_default();
            push_label(event, "target.resource.attribute.labels", &name, &new);
            if let Some(old) = text_at(p, "OldValue") {
                push_label(event, "src.resource.attribute.labels", &name, &old);
            }
        }
    }
    if let Some(items) = f.array("DeviceProperties") {
        for p in items {
            let (Some(name), Some(value)) = (text_at(p, "Name"), text_at(p, "Value")) else {
                continue;
            };
            if name == "SessionId" && event.get("network.session_id").is_none() {
                event.set("network.session_id", value.as_str());
            }
            push_label(event, "principal.asset.attribute.labels", &name, &value);
        }
    }
}

fn map_login(
    f: &mut Fields<'_>,
    event: &mut Event,
    ctx: &Context,
    operation: &str,
    user_id: Option<&str>,
    result: &mut SecurityResult,
) {
    ctx.write_user(event, "target.user", user_id, None);
    if let Some(object) = f.text("ObjectId") {
        event.set("target.resource.product_object_id", object);
    }
    if operation.eq_ignore_ascii_case("UserLoginFailed") {
        // The record's ResultStatus is often "Success" even for a failed login.
        result.action = Some("BLOCK");
        if let Some(error) = f.text("LogonError") {
            result.description = Some(error);
        }
    }
    if let Some(error) = f.text("ErrorNumber") {
        result.action_details = Some(error);
    }
}

/// Entra ID directory operations: the changed user, group or role goes to `target`.
fn map_directory_change(f: &mut Fields<'_>, event: &mut Event, ctx: &Context) {
    let targets = f.peek("Target").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    let typed = |kind: &'static str| {
        targets.iter().filter_map(move |t| {
            let ty = text_at(t, "Type")?;
            (ty == kind).then(|| text_at(t, "ID")).flatten()
        })
    };
    // Target types: 5 is a UPN, 2 an object id (also `User_<guid>` spellings).
    let upn = typed("5").next();
    let object_id = typed("2").find(|id| looks_like_guid(id));
    let object = f.peek_text("ObjectId");
    let name = upn.or_else(|| object.clone().filter(|o| looks_like_email(o)));
    let labels = labels_of(event, "target.resource.attribute.labels");
    let role = labels.iter().find(|(k, _)| k == "Role.DisplayName").map(|(_, v)| v.clone());
    let group = labels.iter().find(|(k, _)| k == "Group.DisplayName").map(|(_, v)| v.clone());
    let group_id = labels.iter().find(|(k, _)| k == "Group.ObjectID").map(|(_, v)| v.clone());

    if name.is_some() {
        ctx.write_user(event, "target.user", name.as_deref(), object_id.as_deref());
        f.skip("ObjectId");
    }
    if let Some(role) = role.filter(|r| !r.is_empty()) {
        event.push("target.resource.attribute.roles", udm::Value::Message(udm::Message::new()));
        event.set("target.resource.attribute.roles.name", role);
    }
    if let Some(group) = group.filter(|g| !g.is_empty()) {
        event.set("target.group.group_display_name", group);
    }
    if let Some(group_id) = group_id.filter(|g| !g.is_empty()) {
        event.set("target.group.product_object_id", group_id);
    }
    if name.is_none() {
        if let Some(object) = object {
            event.set("target.resource.name", object);
            f.skip("ObjectId");
        }
    }
}

fn labels_of(event: &Event, path: &str) -> Vec<(String, String)> {
    let Some(udm::Value::List(items)) = event.get(path) else { return Vec::new() };
    items
        .iter()
        .filter_map(|item| {
            let m = item.as_message()?;
            let key = m.get("key")?.as_str()?.to_owned();
            let value = m.get("value").and_then(udm::Value::as_str).unwrap_or("").to_owned();
            Some((key, value))
        })
        .collect()
}

/// SharePoint and OneDrive: `ObjectId` is the item's URL.
fn map_file(f: &mut Fields<'_>, event: &mut Event) {
    if let Some(object) = f.text("ObjectId") {
        if object.starts_with("http://") || object.starts_with("https://") {
            event.set("target.url", object.as_str());
        }
        event.set("target.file.full_path", object);
    }
    if let Some(size) = f.peek("FileSizeBytes").and_then(Value::as_u64) {
        event.set("target.file.size", size);
        f.skip("FileSizeBytes");
    }
    if let Some(name) = f.text("SourceFileName") {
        event.push("target.file.names", name);
    }
    if let Some(site) = f.text("SiteUrl") {
        event.set("target.resource.name", site);
    }
}

/// Teams membership changes list the affected users in `Members`.
fn map_members(f: &mut Fields<'_>, event: &mut Event) {
    // The list stays in `additional.fields` as well, because member roles have no UDM slot.
    let Some(members) = f.peek("Members").and_then(Value::as_array) else { return };
    for member in members {
        let upn = text_at(member, "UPN");
        let display = text_at(member, "DisplayName");
        if upn.is_none() && display.is_none() {
            continue;
        }
        event.push("about", udm::Value::Message(udm::Message::new()));
        if let Some(upn) = upn {
            event.set("about.user.userid", upn.as_str());
            if looks_like_email(&upn) {
                event.push("about.user.email_addresses", upn.to_lowercase());
            }
        }
        if let Some(display) = display {
            event.set("about.user.user_display_name", display);
        }
    }
}
