//! Okta System Log `eventType` → UDM `metadata.event_type`.
//!
//! Where the Google SecOps community rules pin an event type for an Okta event type, this table
//! agrees with them: `user.session.start` and `user.authentication.auth_via_mfa` are
//! `USER_LOGIN`; `security.threat.detected`, `security.attack.start` and
//! `system.push.send_factor_verify_push` are `USER_UNCATEGORIZED`.

/// Event types by prefix, tried in order; the first prefix that matches wins.
const PREFIXES: &[(&str, &str)] = &[
    ("user.session.start", "USER_LOGIN"),
    ("user.session.end", "USER_LOGOUT"),
    ("user.authentication.", "USER_LOGIN"),
    ("user.lifecycle.create", "USER_CREATION"),
    ("user.lifecycle.delete", "USER_DELETION"),
    ("user.account.update_password", "USER_CHANGE_PASSWORD"),
    ("user.account.reset_password", "USER_CHANGE_PASSWORD"),
    ("user.account.privilege.", "USER_CHANGE_PERMISSIONS"),
    ("group.privilege.", "USER_CHANGE_PERMISSIONS"),
    ("iam.role.permissions.", "USER_RESOURCE_UPDATE_PERMISSIONS"),
    ("application.user_membership.", "USER_RESOURCE_UPDATE_PERMISSIONS"),
    ("group.lifecycle.create", "GROUP_CREATION"),
    ("group.lifecycle.delete", "GROUP_DELETION"),
    ("group.", "GROUP_MODIFICATION"),
];

/// Event type families whose last segment (`create`, `update`, `delete`, ...) picks a
/// creation, modification or deletion event type.
const VERB_FAMILIES: &[(&str, Family)] = &[
    ("application.", Family::Resource),
    ("iam.", Family::Resource),
    ("system.api_token.", Family::Resource),
    ("workflows.", Family::Resource),
    ("policy.lifecycle.", Family::Setting),
    ("policy.rule.", Family::Setting),
    ("zone.", Family::Setting),
    ("network_zone.", Family::Setting),
    ("system.idp.", Family::Setting),
    ("security.behavior.", Family::Setting),
    ("system.org.", Family::Setting),
];

#[derive(Clone, Copy)]
enum Family {
    Resource,
    Setting,
}

/// Returns the UDM event type of an Okta `eventType`; `has_actor` decides the fallback between
/// `USER_UNCATEGORIZED` and `GENERIC_EVENT`.
pub(crate) fn event_type(okta_type: &str, has_actor: bool) -> &'static str {
    let okta_type = okta_type.trim().to_ascii_lowercase();
    if let Some((_, t)) = PREFIXES.iter().find(|(p, _)| okta_type.starts_with(p)) {
        return t;
    }
    if okta_type.ends_with(".download") || okta_type.contains(".export.") {
        return "USER_RESOURCE_ACCESS";
    }
    if let Some((_, family)) = VERB_FAMILIES.iter().find(|(p, _)| okta_type.starts_with(p)) {
        let verb = okta_type.rsplit('.').next().unwrap_or("");
        let found = match (family, verb) {
            (Family::Resource, "create" | "add") => Some("USER_RESOURCE_CREATION"),
            (Family::Resource, "delete" | "remove") => Some("USER_RESOURCE_DELETION"),
            (Family::Resource, "update" | "activate" | "deactivate") => {
                Some("USER_RESOURCE_UPDATE_CONTENT")
            }
            (Family::Setting, "create" | "add") => Some("SETTING_CREATION"),
            (Family::Setting, "delete" | "remove") => Some("SETTING_DELETION"),
            (Family::Setting, "update" | "activate" | "deactivate") => Some("SETTING_MODIFICATION"),
            _ => None,
        };
        if let Some(found) = found {
            return found;
        }
    }
    if has_actor {
        "USER_UNCATEGORIZED"
    } else {
        "GENERIC_EVENT"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_agree_with_community_rules() {
        let cases = [
            ("user.session.start", "USER_LOGIN"),
            ("user.authentication.auth_via_mfa", "USER_LOGIN"),
            ("user.authentication.sso", "USER_LOGIN"),
            ("user.session.end", "USER_LOGOUT"),
            ("security.threat.detected", "USER_UNCATEGORIZED"),
            ("security.attack.start", "USER_UNCATEGORIZED"),
            ("system.push.send_factor_verify_push", "USER_UNCATEGORIZED"),
            ("user.mfa.okta_verify.deny_push", "USER_UNCATEGORIZED"),
            ("policy.evaluate_sign_on", "USER_UNCATEGORIZED"),
        ];
        for (okta_type, expected) in cases {
            assert_eq!(event_type(okta_type, true), expected, "{okta_type}");
        }
    }

    #[test]
    fn admin_event_types() {
        let cases = [
            ("user.lifecycle.create", "USER_CREATION"),
            ("user.lifecycle.delete.initiated", "USER_DELETION"),
            ("user.account.update_password", "USER_CHANGE_PASSWORD"),
            ("user.account.privilege.grant", "USER_CHANGE_PERMISSIONS"),
            ("group.user_membership.add", "GROUP_MODIFICATION"),
            ("group.lifecycle.create", "GROUP_CREATION"),
            ("group.lifecycle.delete", "GROUP_DELETION"),
            ("application.lifecycle.create", "USER_RESOURCE_CREATION"),
            ("application.lifecycle.update", "USER_RESOURCE_UPDATE_CONTENT"),
            ("application.lifecycle.delete", "USER_RESOURCE_DELETION"),
            ("iam.role.create", "USER_RESOURCE_CREATION"),
            ("iam.role.permissions.delete", "USER_RESOURCE_UPDATE_PERMISSIONS"),
            ("system.api_token.create", "USER_RESOURCE_CREATION"),
            ("policy.rule.update", "SETTING_MODIFICATION"),
            ("zone.delete", "SETTING_DELETION"),
            ("system.idp.lifecycle.create", "SETTING_CREATION"),
            ("security.behavior.settings.delete", "SETTING_DELETION"),
            ("analytics.reports.export.download", "USER_RESOURCE_ACCESS"),
        ];
        for (okta_type, expected) in cases {
            assert_eq!(event_type(okta_type, true), expected, "{okta_type}");
        }
        assert_eq!(event_type("something.new", false), "GENERIC_EVENT");
    }
}
