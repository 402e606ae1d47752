//! Unified Audit Log `Operation` → UDM `metadata.event_type`.
//!
//! Where the published Google SecOps community rules pin an event type for an operation
//! (for example `USER_RESOURCE_UPDATE_CONTENT` for `FileDownloaded` and `USER_UNCATEGORIZED`
//! for `Add member to role.`), this table uses that value so those rules fire unchanged.

/// Exact operation names, compared case-insensitively.
const EXACT: &[(&str, &str)] = &[
    ("UserLoggedIn", "USER_LOGIN"),
    ("UserLoginFailed", "USER_LOGIN"),
    ("MailboxLogin", "USER_LOGIN"),
    ("SignInEvent", "USER_LOGIN"),
    ("UserLoggedOut", "USER_LOGOUT"),
    ("MailItemsAccessed", "EMAIL_UNCATEGORIZED"),
    ("Send", "EMAIL_TRANSACTION"),
    ("SendAs", "EMAIL_TRANSACTION"),
    ("SendOnBehalf", "EMAIL_TRANSACTION"),
    ("Create", "USER_RESOURCE_CREATION"),
    ("Update", "USER_RESOURCE_UPDATE_CONTENT"),
    ("MoveToDeletedItems", "USER_RESOURCE_DELETION"),
    ("SoftDelete", "USER_RESOURCE_DELETION"),
    ("HardDelete", "USER_RESOURCE_DELETION"),
    ("FileDownloaded", "USER_RESOURCE_UPDATE_CONTENT"),
    ("FileSyncDownloadedFull", "USER_RESOURCE_UPDATE_CONTENT"),
    ("FileSyncDownloadedPartial", "USER_RESOURCE_UPDATE_CONTENT"),
    ("FileUploaded", "USER_RESOURCE_UPDATE_CONTENT"),
    ("FileModified", "USER_RESOURCE_UPDATE_CONTENT"),
    ("FileAccessed", "USER_RESOURCE_ACCESS"),
    ("FilePreviewed", "USER_RESOURCE_ACCESS"),
    ("PageViewed", "USER_RESOURCE_ACCESS"),
    ("AnonymousLinkUsed", "USER_RESOURCE_ACCESS"),
    ("SearchQueryInitiatedExchange", "USER_RESOURCE_ACCESS"),
    ("SearchQueryInitiatedSharePoint", "USER_RESOURCE_ACCESS"),
    ("FileDeleted", "USER_RESOURCE_DELETION"),
    ("SiteDeleted", "USER_RESOURCE_DELETION"),
    ("SiteCollectionCreated", "USER_RESOURCE_CREATION"),
    ("AddedToGroup", "GROUP_MODIFICATION"),
    ("RemovedFromGroup", "GROUP_MODIFICATION"),
    ("SiteCollectionAdminAdded", "USER_CHANGE_PERMISSIONS"),
    ("SiteCollectionAdminRemoved", "USER_CHANGE_PERMISSIONS"),
    ("MemberAdded", "USER_CHANGE_PERMISSIONS"),
    ("MemberRemoved", "USER_CHANGE_PERMISSIONS"),
    ("MemberRoleChanged", "USER_CHANGE_PERMISSIONS"),
    ("TeamCreated", "GROUP_CREATION"),
    ("TeamDeleted", "GROUP_DELETION"),
    ("TeamSettingChanged", "GROUP_MODIFICATION"),
    ("GroupCreation", "GROUP_CREATION"),
    ("MessageDeleted", "USER_RESOURCE_DELETION"),
    ("AppInstalled", "USER_RESOURCE_CREATION"),
    ("AppDeleted", "USER_RESOURCE_DELETION"),
    ("Add user.", "USER_CREATION"),
    ("Delete user.", "USER_DELETION"),
    ("Update user.", "USER_UNCATEGORIZED"),
    ("Change user password.", "USER_CHANGE_PASSWORD"),
    ("Reset user password.", "USER_CHANGE_PASSWORD"),
    ("Change user license.", "USER_UNCATEGORIZED"),
    ("Add member to role.", "USER_UNCATEGORIZED"),
    ("Remove member from role.", "USER_UNCATEGORIZED"),
    ("Add group.", "GROUP_CREATION"),
    ("Delete group.", "GROUP_DELETION"),
    ("Update group.", "GROUP_MODIFICATION"),
    ("Add member to group.", "GROUP_MODIFICATION"),
    ("Remove member from group.", "GROUP_MODIFICATION"),
    ("Add owner to group.", "GROUP_MODIFICATION"),
    ("Remove owner from group.", "GROUP_MODIFICATION"),
    ("Add application.", "USER_RESOURCE_CREATION"),
    ("Update application.", "USER_RESOURCE_UPDATE_CONTENT"),
    ("Delete application.", "USER_RESOURCE_DELETION"),
    ("Add service principal.", "USER_RESOURCE_CREATION"),
    ("Remove service principal.", "USER_RESOURCE_DELETION"),
    ("Add delegated permission grant.", "USER_RESOURCE_UPDATE_PERMISSIONS"),
    ("Remove delegated permission grant.", "USER_RESOURCE_UPDATE_PERMISSIONS"),
    ("Add app role assignment to service principal.", "USER_RESOURCE_UPDATE_PERMISSIONS"),
    ("Add app role assignment grant to user.", "USER_RESOURCE_UPDATE_PERMISSIONS"),
    ("Consent to application.", "USER_RESOURCE_UPDATE_PERMISSIONS"),
    ("Add owner to application.", "USER_RESOURCE_UPDATE_PERMISSIONS"),
    ("Add role definition.", "USER_RESOURCE_CREATION"),
    ("Update role definition.", "USER_RESOURCE_UPDATE_CONTENT"),
    ("Delete role definition.", "USER_RESOURCE_DELETION"),
    ("Add policy.", "USER_RESOURCE_CREATION"),
    ("Update policy.", "USER_RESOURCE_UPDATE_CONTENT"),
    ("Delete policy.", "USER_RESOURCE_DELETION"),
    ("Set-AdminAuditLogConfig", "SETTING_CREATION"),
];

/// Returns the event type of a UAL operation. `has_user` says whether the record names a
/// user, which decides the fallback between `USER_UNCATEGORIZED` and `GENERIC_EVENT`.
pub(crate) fn event_type(operation: &str, has_user: bool) -> &'static str {
    let op = operation.trim();
    if let Some((_, t)) = EXACT.iter().find(|(name, _)| name.eq_ignore_ascii_case(op)) {
        return t;
    }
    // `Update application – Certificates and secrets management ` and similar variants.
    if op.starts_with("Update application") {
        return "USER_RESOURCE_UPDATE_CONTENT";
    }
    // Exchange admin cmdlets.
    let verb = op.split_once('-').map(|(v, _)| v).unwrap_or("");
    let cmdlet = !verb.is_empty() && !op.contains(' ');
    if cmdlet {
        match verb.to_ascii_lowercase().as_str() {
            "new" | "add" => return "SETTING_CREATION",
            "set" | "enable" | "disable" | "update" => return "SETTING_MODIFICATION",
            "remove" => return "SETTING_DELETION",
            _ => {}
        }
    }
    let lower = op.to_ascii_lowercase();
    if lower.starts_with("add ") || lower.ends_with("created") || lower.ends_with("added") {
        return "USER_RESOURCE_CREATION";
    }
    if lower.starts_with("update ") || lower.ends_with("modified") || lower.ends_with("changed") {
        return "USER_RESOURCE_UPDATE_CONTENT";
    }
    if lower.starts_with("delete ") || lower.starts_with("remove ") || lower.ends_with("deleted") {
        return "USER_RESOURCE_DELETION";
    }
    if has_user {
        "USER_UNCATEGORIZED"
    } else {
        "GENERIC_EVENT"
    }
}
