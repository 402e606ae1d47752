//! The Okta `target` array into UDM nouns.
//!
//! The first user (`User`, `AppUser`) becomes `target.user`, the first group (`UserGroup`,
//! `Group`) `target.group`, the first other object `target.resource` (with its Okta type in
//! `resource_subtype`); an `AppInstance` also names `target.application`. Every further target
//! becomes an `about` entry of the same shape, so that none is lost.

use serde_json::{Map, Value};
use udm::{Event, Message};

use crate::build::push_label;
use crate::context::Context;
use crate::fields::{flatten_into, get_ci, scalar_text, Fields};

/// Writes every target. Returns whether a target user was written.
pub(crate) fn write(f: &mut Fields<'_>, event: &mut Event, ctx: &mut Context) -> bool {
    let Some(targets) = f.array("target") else { return false };
    let mut wrote_user = false;
    let mut wrote_group = false;
    let mut wrote_resource = false;
    for (index, target) in targets.iter().enumerate() {
        let Some(target) = target.as_object() else {
            flatten_into(event, &format!("target.{index}"), target);
            continue;
        };
        let text = |key: &str| get_ci(target, key).and_then(scalar_text);
        let kind = text("type").unwrap_or_default();
        let id = text("id");
        let alternate = text("alternateId").filter(|a| a != "unknown");
        let display = text("displayName");
        match kind.as_str() {
            "User" | "AppUser" => {
                if let (Some(name), Some(id)) = (&alternate, &id) {
                    if kind == "User" {
                        ctx.learn(id, name);
                    }
                }
                let path = if wrote_user { push_about(event) } else { "target" };
                wrote_user = true;
                let user = format!("{path}.user");
                ctx.write_user(event, &user, alternate.as_deref(), id.as_deref());
                if let Some(id) = &id {
                    event.set(&format!("{user}.product_object_id"), id.as_str());
                }
                if let Some(display) = &display {
                    event.set(&format!("{user}.user_display_name"), display.as_str());
                }
                if kind == "AppUser" {
                    push_label(event, &format!("{user}.attribute.labels"), "type", &kind);
                }
            }
            "UserGroup" | "Group" => {
                let path = if wrote_group { push_about(event) } else { "target" };
                wrote_group = true;
                if let Some(id) = &id {
                    event.set(&format!("{path}.group.product_object_id"), id.as_str());
                }
                if let Some(display) = &display {
                    event.set(&format!("{path}.group.group_display_name"), display.as_str());
                }
            }
            _ => {
                if kind == "AppInstance" && event.get("target.application").is_none() {
                    if let Some(display) = &display {
                        event.set("target.application", display.as_str());
                    }
                }
                let path = if wrote_resource { push_about(event) } else { "target" };
                wrote_resource = true;
                let resource = format!("{path}.resource");
                if !kind.is_empty() {
                    event.set(&format!("{resource}.resource_subtype"), kind.as_str());
                }
                if let Some(id) = &id {
                    event.set(&format!("{resource}.product_object_id"), id.as_str());
                }
                if let Some(display) = &display {
                    event.set(&format!("{resource}.name"), display.as_str());
                }
                if let Some(alternate) = &alternate {
                    let labels = format!("{resource}.attribute.labels");
                    push_label(event, &labels, "alternateId", alternate);
                }
            }
        }
        write_detail(event, index, target);
    }
    wrote_user
}

/// Appends an empty `about` noun and returns the path that fills it.
fn push_about(event: &mut Event) -> &'static str {
    event.push("about", udm::Value::Message(Message::new()));
    "about"
}

/// `detailEntry` has no fixed shape; it goes to `additional.fields` under
/// `target.<index>.detailEntry`.
fn write_detail(event: &mut Event, index: usize, target: &Map<String, Value>) {
    if let Some(detail) = get_ci(target, "detailEntry") {
        flatten_into(event, &format!("target.{index}.detailEntry"), detail);
    }
}
