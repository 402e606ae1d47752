//! SetupAuditTrail `Action` values into UDM event types.
//!
//! `Action` is a camel-case category of the Setup change (`PermSetCreate`, `createduser`,
//! `insertConnectedApplication`); Salesforce publishes no complete list. Known families get a
//! specific event type, and any other action is a settings change whose verb (create, delete,
//! or anything else) picks `SETTING_CREATION`, `SETTING_DELETION` or `SETTING_MODIFICATION`.

/// How an action family decides its event type.
#[derive(Clone, Copy)]
enum Family {
    /// Always this event type.
    Fixed(&'static str),
    /// A change to a connected app or installed package: a resource event chosen by the verb.
    App,
}

/// Action families, matched in order on the lower-cased action by substring.
const FAMILIES: &[(&[&str], Family)] = &[
    (&["createduser", "newuser"], Family::Fixed("USER_CREATION")),
    (&["changedpassword", "resetpassword", "passwordreset"], Family::Fixed("USER_CHANGE_PASSWORD")),
    (
        &["permset", "profile", "setupentityaccess", "assignedrole", "changedrole"],
        Family::Fixed("USER_CHANGE_PERMISSIONS"),
    ),
    (&["createdgroup"], Family::Fixed("GROUP_CREATION")),
    (&["deletedgroup"], Family::Fixed("GROUP_DELETION")),
    (&["updatedgroup", "groupmembership"], Family::Fixed("GROUP_MODIFICATION")),
    (&["connectedapplication", "connectedapp", "packagingapp", "oauth"], Family::App),
];

/// Returns the UDM event type of a SetupAuditTrail action.
pub(crate) fn event_type(action: &str) -> &'static str {
    let lower = action.trim().to_ascii_lowercase();
    let family = FAMILIES
        .iter()
        .find(|(needles, _)| needles.iter().any(|n| lower.contains(n)))
        .map(|(_, family)| *family);
    match family {
        Some(Family::Fixed(kind)) => kind,
        Some(Family::App) => match verb(&lower) {
            Verb::Create => "USER_RESOURCE_CREATION",
            Verb::Delete => "USER_RESOURCE_DELETION",
            Verb::Other => "USER_RESOURCE_UPDATE_CONTENT",
        },
        None => match verb(&lower) {
            Verb::Create => "SETTING_CREATION",
            Verb::Delete => "SETTING_DELETION",
            Verb::Other => "SETTING_MODIFICATION",
        },
    }
}

enum Verb {
    Create,
    Delete,
    Other,
}

fn verb(lower: &str) -> Verb {
    const DELETE: &[&str] = &["delete", "remove", "uninstall", "revoke"];
    const CREATE: &[&str] = &["create", "insert", "install", "added", "new", "generated"];
    if DELETE.iter().any(|v| lower.contains(v)) {
        Verb::Delete
    } else if lower.contains("upgrade") {
        Verb::Other
    } else if CREATE.iter().any(|v| lower.contains(v)) {
        Verb::Create
    } else {
        Verb::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_map_to_event_types() {
        let cases = [
            ("createduser", "USER_CREATION"),
            ("PermSetEnableUserPerm", "USER_CHANGE_PERMISSIONS"),
            ("profileClonedStandard", "USER_CHANGE_PERMISSIONS"),
            ("createdgroup", "GROUP_CREATION"),
            ("deletedgroup", "GROUP_DELETION"),
            ("groupMembership", "GROUP_MODIFICATION"),
            ("insertConnectedApplication", "USER_RESOURCE_CREATION"),
            ("updateConnectedApplication", "USER_RESOURCE_UPDATE_CONTENT"),
            ("deleteConnectedApplication", "USER_RESOURCE_DELETION"),
            ("installedpackagingapp", "USER_RESOURCE_CREATION"),
            ("upgradedpackagingapp", "USER_RESOURCE_UPDATE_CONTENT"),
            ("uninstalledpackagingapp", "USER_RESOURCE_DELETION"),
            ("tenantSecretCreated", "SETTING_CREATION"),
            ("deletedLoginIpRange_withProfile", "USER_CHANGE_PERMISSIONS"),
            ("passwordexpiry", "SETTING_MODIFICATION"),
            ("", "SETTING_MODIFICATION"),
        ];
        for (action, expected) in cases {
            assert_eq!(event_type(action), expected, "action {action:?}");
        }
    }
}
