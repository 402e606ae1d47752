//! The UDM mapping of one Salesforce record: the fields every object shares, then the fields
//! of its kind. `docs/sources/salesforce.md` lays the mapping out as a table.

use serde_json::Value;
use udm::Event;

use super::objects::Kind;
use super::record::Record;
use super::setup_audit;
use crate::build::{self, set_str, SecurityResult};
use crate::context::Context;
use crate::{enums, ip, time, SourceError};

/// A user as a record names it: the user name and the Salesforce user id.
struct Actor {
    name: Option<String>,
    id: Option<String>,
}

/// Maps one record of the object or EventLogFile type `name`.
pub(crate) fn map(
    mut r: Record<'_>,
    name: &str,
    kind: Kind,
    log_file: bool,
    ctx: &mut Context,
) -> Result<Event, SourceError> {
    let mut event = Event::new();
    write_time(&mut r, &mut event)?;
    event.set("metadata.vendor_name", "Salesforce");
    event.set("metadata.product_name", "Salesforce");
    event.set("metadata.log_type", "SALESFORCE");
    set_str(&mut event, "metadata.product_event_type", name);
    if log_file {
        r.mark(&["EVENT_TYPE"]);
    }
    if let Some(id) = r.text(&["EventIdentifier", "Id", "REQUEST_ID", "record_id"]) {
        event.set("metadata.product_log_id", id);
    }
    if let Some(org) = r.text(&["ORGANIZATION_ID", "OrganizationId"]) {
        event.set("metadata.product_deployment_id", org);
    }

    let login_as = (log_file && name.eq_ignore_ascii_case("LoginAs")) || name == "LoginAsEventLog";
    let actor = write_principal(&mut r, &mut event, ctx, login_as);
    write_addresses(&mut r, &mut event);
    write_location(&mut r, &mut event);
    write_network(&mut r, &mut event);
    write_applications(&mut r, &mut event);
    write_rows(&mut r, &mut event);

    let mut result = SecurityResult::default();
    let has_user = actor.name.is_some() || actor.id.is_some();
    let event_type = match kind {
        Kind::Login | Kind::Logout => {
            map_session(&mut r, &mut event, ctx, &actor, &mut result);
            if kind == Kind::Login {
                "USER_LOGIN"
            } else {
                "USER_LOGOUT"
            }
        }
        Kind::Verification => map_verification(&mut r, &mut event, ctx, &actor, &mut result),
        Kind::Api | Kind::Report | Kind::ListView | Kind::BulkResult => {
            map_data_access(&mut r, &mut event, kind);
            "USER_RESOURCE_ACCESS"
        }
        Kind::Uri | Kind::LightningUri => map_record_page(&mut r, &mut event, &mut result),
        Kind::SetupAudit => map_setup_audit(&mut r, &mut event, &mut result),
        Kind::Callout => {
            map_callout(&mut r, &mut event, &mut result);
            "NETWORK_HTTP"
        }
        Kind::Other => {
            write_description(&mut r, &mut event, &["Operation", "METHOD_NAME"]);
            if has_user {
                "USER_UNCATEGORIZED"
            } else {
                "GENERIC_EVENT"
            }
        }
    };
    enums::set_enum(&mut event, "metadata.event_type", event_type);

    write_request_status(&mut r, &mut result);
    write_policy(&mut r, &mut result);
    result.write(&mut event);
    r.finish(&mut event);
    Ok(event)
}

/// Time fields in order of preference: the event time of stream and stored events, the login
/// time of LoginHistory, the EventLogFile times, and the creation time of SetupAuditTrail.
const TIME_FIELDS: &[&str] = &[
    "EventDate",
    "LoginTime",
    "TIMESTAMP_DERIVED",
    "TIMESTAMP",
    "CreatedDate",
    "sfdc_created_date",
];

fn write_time(r: &mut Record<'_>, event: &mut Event) -> Result<(), SourceError> {
    for field in TIME_FIELDS {
        let Some(value) = r.peek(&[field]) else { continue };
        if value.as_str().is_some_and(|s| s.trim().is_empty()) {
            continue;
        }
        event.set("metadata.event_timestamp", time::parse_value(field, value)?);
        r.mark(&[field]);
        return Ok(());
    }
    Err(SourceError::MissingField {
        field: "EventDate, LoginTime, TIMESTAMP_DERIVED, TIMESTAMP or CreatedDate".into(),
        format: "Salesforce",
    })
}

/// Checks whether a value carries information, because Salesforce writes `N/A` and `Unknown`
/// for fields that do not apply.
fn meaningful(text: &str) -> bool {
    !(text.eq_ignore_ascii_case("N/A")
        || text.eq_ignore_ascii_case("Unknown")
        || text.eq_ignore_ascii_case("null")
        || text.eq_ignore_ascii_case("None"))
}

/// Reads the first of `names` that carries information and marks it read; a placeholder
/// stays unread, so it lands in `additional.fields`.
fn meaningful_text(r: &mut Record<'_>, names: &[&str]) -> Option<String> {
    let text = r.peek_text(names)?;
    if !meaningful(&text) {
        return None;
    }
    r.text(names)
}

/// Returns the 15-character form of an 18-character Salesforce id. The last three characters
/// only encode the letter case of the first fifteen.
fn short_id(id: &str) -> Option<&str> {
    (id.len() == 18 && id.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| &id[..15])
}

/// Computes the 18-character form of a 15-character Salesforce id. Each of the three suffix characters
/// encodes which of five id characters are upper-case letters, as a 5-bit index (least
/// significant bit first) into `A`–`Z` followed by `0`–`5`.
fn long_id(id: &str) -> Option<String> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
    if id.len() != 15 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let mut long = id.to_owned();
    for chunk in id.as_bytes().chunks(5) {
        let index = chunk
            .iter()
            .enumerate()
            .filter(|(_, b)| b.is_ascii_uppercase())
            .fold(0usize, |bits, (i, _)| bits | (1 << i));
        long.push(char::from(ALPHABET[index]));
    }
    Some(long)
}

/// The fields that name one user of a record: name fields, id fields, and the EventLogFile
/// column with the 15-character form of the id.
struct UserFields {
    names: &'static [&'static str],
    ids: &'static [&'static str],
    short_id: &'static str,
}

/// The user a record is about. An EventLogFile `USER_ID` column folds to `UserId`, so it is
/// read when `USER_ID_DERIVED` is missing.
const SUBJECT: UserFields = UserFields {
    names: &["Username", "USER_NAME", "CreatedBy.Username", "sfdc_created_by_username"],
    ids: &[
        "USER_ID_DERIVED",
        "UserId",
        "UserIdentifier",
        "CreatedById",
        "CreatedBy.Id",
        "sfdc_created_by_id",
    ],
    short_id: "USER_ID",
};

/// The admin who logs in as another user, in an EventLogFile `LoginAs` row or a
/// `LoginAsEventLog` record, whose user name is the user logged in as.
const DELEGATED: UserFields = UserFields {
    names: &["DELEGATED_USER_NAME"],
    ids: &["DELEGATED_USER_ID_DERIVED", "DELEGATED_USER_ID", "DelegatedUserIdentifier"],
    short_id: "DELEGATED_USER_ID",
};

/// Writes the user who acted to `principal.user` and returns the user the record is about.
/// They differ only in a `LoginAs` row or `LoginAsEventLog` record that names the admin, who
/// is the actor and becomes the principal.
fn write_principal(
    r: &mut Record<'_>,
    event: &mut Event,
    ctx: &mut Context,
    login_as: bool,
) -> Actor {
    let mut display = r.text(&["CreatedBy.Name", "sfdc_created_by_name"]);
    let mut subject = read_user(r, &SUBJECT);
    if let Some(Value::Object(created_by)) = r.peek(&["CreatedBy"]) {
        let mut inner = Record::new(created_by);
        if subject.name.is_none() {
            subject.name = inner.text(&["Username"]);
        }
        if subject.id.is_none() {
            subject.id = inner.text(&["Id"]);
        }
        display = display.or_else(|| inner.text(&["Name"]));
        r.mark(&["CreatedBy"]);
        inner.finish_under(event, "CreatedBy.");
    }
    learn_and_resolve(&mut subject, ctx);
    let delegated = login_as.then(|| {
        let mut admin = read_user(r, &DELEGATED);
        learn_and_resolve(&mut admin, ctx);
        admin
    });
    let principal = match &delegated {
        Some(admin) if admin.name.is_some() || admin.id.is_some() => admin,
        _ => &subject,
    };

    ctx.write_user(event, "principal.user", principal.name.as_deref(), principal.id.as_deref());
    // `write_user` leaves the id out when it is also the user id; Salesforce user ids always
    // go to `product_object_id`, where rules join on them.
    if let Some(id) = &principal.id {
        event.set("principal.user.product_object_id", id.as_str());
    }
    if let Some(display) = display {
        event.set("principal.user.user_display_name", display);
    }
    subject
}

/// Reads one user's name and id.
fn read_user(r: &mut Record<'_>, fields: &UserFields) -> Actor {
    let name = r.text(fields.names);
    let id = r.text(fields.ids);
    // An EventLogFile row carries the 15-character id beside the derived 18-character one. It
    // adds nothing when it is the prefix of the derived id.
    if let Some(short) = id.as_deref().and_then(short_id) {
        if r.peek_text(&[fields.short_id]).as_deref() == Some(short) {
            r.mark(&[fields.short_id]);
        }
    }
    Actor { name, id }
}

/// Teaches the run a user's id in both forms and its name, or fills a missing name from what
/// the run learned or the identities file.
fn learn_and_resolve(user: &mut Actor, ctx: &mut Context) {
    // An id in one form is looked up in both, because sources and identity files mix them.
    let other_form =
        user.id.as_deref().and_then(|id| short_id(id).map(str::to_owned).or_else(|| long_id(id)));
    let ids: Vec<&str> = user.id.iter().chain(other_form.iter()).map(String::as_str).collect();
    if let Some(name) = &user.name {
        for alias in &ids {
            ctx.learn(alias, name);
        }
    }
    if user.name.is_none() {
        user.name = ids.iter().find_map(|alias| {
            ctx.name_of(alias).or_else(|| ctx.identities.resolve(alias)).map(str::to_owned)
        });
    }
}

/// Address fields. `SOURCE_IP` and `source_ip` match `SourceIp`, and `ForwardedForIp` contains
/// the `X-Forwarded-For` chain.
const IP_FIELDS: &[&str] = &["SourceIp", "CLIENT_IP", "ForwardedForIp"];

/// Writes every address to `principal.ip`. A value with any part that is not an address
/// (`Salesforce.com IP`, a redacted value) stays in `additional.fields` under its own key.
fn write_addresses(r: &mut Record<'_>, event: &mut Event) {
    for field in IP_FIELDS {
        let Some(raw) = r.peek_text(&[field]) else { continue };
        let (addresses, rejected) = ip::clean_chain(&raw);
        for address in &addresses {
            build::push_unique(event, "principal.ip", address);
        }
        if !rejected {
            r.mark(&[field]);
        }
    }
}

fn write_location(r: &mut Record<'_>, event: &mut Event) {
    if let Some(city) = meaningful_text(r, &["City"]) {
        event.set("principal.location.city", city);
    }
    if let Some(state) = meaningful_text(r, &["Subdivision"]) {
        event.set("principal.location.state", state);
    }
    if let Some(country) = meaningful_text(r, &["Country", "CountryIso"]) {
        event.set("principal.location.country_or_region", country);
    }
    let coordinates = [
        (&["LoginLatitude", "Latitude"][..], "principal.location.region_coordinates.latitude"),
        (&["LoginLongitude", "Longitude"][..], "principal.location.region_coordinates.longitude"),
    ];
    for (names, path) in coordinates {
        let Some(value) = r.peek(names).and_then(number) else { continue };
        event.set(path, value);
        r.mark(names);
    }
}

/// Reads a JSON number or a numeric string (EventLogFile values are all strings).
fn number(value: &Value) -> Option<f64> {
    let n = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

fn write_network(r: &mut Record<'_>, event: &mut Event) {
    if let Some(agent) = meaningful_text(r, &["UserAgent", "BROWSER_TYPE"]) {
        event.set("network.http.user_agent", agent);
    }
    if let Some(method) = meaningful_text(r, &["HttpMethod", "REQUEST_METHOD", "METHOD"]) {
        event.set("network.http.method", method.to_ascii_uppercase());
    }
    if let Some(code) = r.peek(&["STATUS_CODE"]).and_then(number) {
        if (0.0..1000.0).contains(&code) {
            event.set("network.http.response_code", code as i64);
            r.mark(&["STATUS_CODE"]);
        }
    }
    if let Some(session) = r.text(&["SessionKey"]) {
        event.set("network.session_id", session);
    }
    if let Some(login) = r.text(&["LoginKey"]) {
        event.set("network.parent_session_id", login);
    }
    if let Some(version) = meaningful_text(r, &["TlsProtocol"]) {
        event.set("network.tls.version", version);
    }
    if let Some(cipher) = meaningful_text(r, &["CipherSuite"]) {
        event.set("network.tls.cipher", cipher);
    }
    for (field, path) in
        [("REQUEST_SIZE", "network.sent_bytes"), ("RESPONSE_SIZE", "network.received_bytes")]
    {
        // EventLogFile writes -1 when the size is unknown.
        let Some(size) = r.peek(&[field]).and_then(number).filter(|n| *n >= 0.0) else {
            continue;
        };
        event.set(path, size as u64);
        r.mark(&[field]);
    }
    if let Some(platform) = meaningful_text(r, &["Platform"]) {
        event.set("principal.platform_version", platform);
    }
}

/// Writes the connected app or Salesforce app to `target.application`, and the API client
/// name (`Client`, `CLIENT_NAME`, for example a Data Loader build) to `principal.application`.
fn write_applications(r: &mut Record<'_>, event: &mut Event) {
    if let Some(app) = meaningful_text(r, &["ConnectedAppName", "Application", "AppName"]) {
        event.set("target.application", app);
    }
    if let Some(client) = meaningful_text(r, &["Client", "CLIENT_NAME"]) {
        event.set("principal.application", client);
    }
}

/// `RowsProcessed` goes to `additional.fields["RowsProcessed"]` as the text of a whole number
/// (`12000`, never `12000.0`), so that rules add it up with `cast.as_int`. Map values are
/// strings in YARA-L, and the engine reads any other value there as `""`. EventLogFile
/// `ROWS_PROCESSED` and `ROW_COUNT` go to the same key.
fn write_rows(r: &mut Record<'_>, event: &mut Event) {
    const NAMES: &[&str] = &["RowsProcessed", "ROW_COUNT"];
    let Some(rows) = r.peek(NAMES).and_then(number).filter(|n| *n >= 0.0) else { return };
    let whole = rows.round() as i64;
    build::additional_value(event, "RowsProcessed", udm::Value::from(whole.to_string()));
    r.mark(NAMES);
}

fn write_description(r: &mut Record<'_>, event: &mut Event, names: &[&str]) -> Option<String> {
    let text = r.text(names)?;
    event.set("metadata.description", text.as_str());
    Some(text)
}

/// Login and logout: the account is also the target, and the status is the result.
fn map_session(
    r: &mut Record<'_>,
    event: &mut Event,
    ctx: &Context,
    actor: &Actor,
    result: &mut SecurityResult,
) {
    write_target_user(event, ctx, actor);
    if let Some(login_type) = r.text(&["LoginType"]) {
        event.set("extensions.auth.auth_details", login_type);
    }
    if let Some(url) = r.text(&["LoginUrl"]) {
        if url.contains("://") {
            event.set("target.url", url);
        } else {
            event.set("target.hostname", url);
        }
    }
    write_uri(r, event);
    if let Some(status) = r.text(&["Status", "LOGIN_STATUS"]) {
        result.action = Some(action_of_status(&status).unwrap_or("BLOCK"));
        result.summary = Some(status);
    }
}

/// Writes the actor as the target user of a login, logout or verification.
fn write_target_user(event: &mut Event, ctx: &Context, actor: &Actor) {
    ctx.write_user(event, "target.user", actor.name.as_deref(), actor.id.as_deref());
    if let Some(id) = &actor.id {
        event.set("target.user.product_object_id", id.as_str());
    }
}

/// Writes an EventLogFile `URI` column that contains a path or URL to `target.url`. The API
/// event type writes the literal `Api` there, which stays in `additional.fields`.
fn write_uri(r: &mut Record<'_>, event: &mut Event) {
    let Some(uri) = r.peek_text(&["URI"]) else { return };
    if uri.starts_with('/') || uri.contains("://") {
        event.set("target.url", uri);
        r.mark(&["URI"]);
    }
}

fn map_verification(
    r: &mut Record<'_>,
    event: &mut Event,
    ctx: &Context,
    actor: &Actor,
    result: &mut SecurityResult,
) -> &'static str {
    let activity = r.text(&["Activity"]);
    if let Some(activity) = &activity {
        event.set("metadata.description", activity.as_str());
    }
    if let Some(method) = r.text(&["VerificationMethod"]) {
        event.set("extensions.auth.auth_details", method);
    }
    if let Some(policy) = r.text(&["Policy"]) {
        result.rule_name = Some(policy);
    }
    if let Some(remarks) = r.text(&["Remarks"]) {
        result.description = Some(remarks);
    }
    if let Some(status) = r.text(&["Status"]) {
        let pending = ["inprogress", "initiated", "pending"];
        result.action = if pending.contains(&status.to_ascii_lowercase().as_str()) {
            Some("CHALLENGE")
        } else {
            Some(action_of_status(&status).unwrap_or("BLOCK"))
        };
        result.summary = Some(status);
    }
    let is_login = activity.as_deref().is_none_or(|a| a.eq_ignore_ascii_case("Login"));
    if is_login {
        write_target_user(event, ctx, actor);
        "USER_LOGIN"
    } else {
        "USER_UNCATEGORIZED"
    }
}

/// API calls, report runs, list view runs and Bulk API result downloads: the report, list
/// view or batch is the target resource.
fn map_data_access(r: &mut Record<'_>, event: &mut Event, kind: Kind) {
    write_description(r, event, &["Operation", "METHOD_NAME"]);
    write_uri(r, event);
    let (id_fields, subtype): (&[&str], &str) = match kind {
        Kind::Report => (&["ReportId", "REPORT_ID_DERIVED", "REPORT_ID"], "Report"),
        Kind::ListView => (&["ListViewId"], "ListView"),
        Kind::BulkResult => (&["BatchId"], "BulkApiBatch"),
        _ => return,
    };
    let id = r.text(id_fields);
    // The report or list view name; other objects have no `Name` of their own.
    let name = if matches!(kind, Kind::Report | Kind::ListView) { r.text(&["Name"]) } else { None };
    if id.is_none() && name.is_none() {
        return;
    }
    event.set("target.resource.resource_subtype", subtype);
    if let Some(id) = id {
        event.set("target.resource.product_object_id", id);
    }
    if let Some(name) = name {
        event.set("target.resource.name", name);
    }
}

/// `UriEvent` and `LightningUriEvent`: the record is the target resource and the operation
/// decides the event type.
fn map_record_page(
    r: &mut Record<'_>,
    event: &mut Event,
    result: &mut SecurityResult,
) -> &'static str {
    let operation = write_description(r, event, &["Operation"]);
    if let Some(page) = r.text(&["PageUrl"]) {
        event.set("target.url", page);
    } else {
        write_uri(r, event);
    }
    if let Some(previous) = r.text(&["PreviousPageUrl", "REFERRER_URI"]) {
        event.set("network.http.referral_url", previous);
    }
    if let Some(record) = r.text(&["RecordId"]) {
        event.set("target.resource.resource_subtype", "Record");
        event.set("target.resource.product_object_id", record);
        if let Some(name) = r.text(&["Name"]) {
            event.set("target.resource.name", name);
        }
    }
    if let Some(status) = r.text(&["OperationStatus"]) {
        result.action = action_of_status(&status);
        result.summary = Some(status);
    }
    match operation.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("create") => "USER_RESOURCE_CREATION",
        Some("update") => "USER_RESOURCE_UPDATE_CONTENT",
        Some("delete") => "USER_RESOURCE_DELETION",
        _ => "USER_RESOURCE_ACCESS",
    }
}

/// SetupAuditTrail: `Action` is the summary and decides the event type, `Display` is the
/// description, `Section` the kind of Setup resource changed.
fn map_setup_audit(
    r: &mut Record<'_>,
    event: &mut Event,
    result: &mut SecurityResult,
) -> &'static str {
    let action = r.text(&["Action"]);
    write_description(r, event, &["Display"]);
    if let Some(section) = meaningful_text(r, &["Section"]) {
        event.set("target.resource.resource_subtype", section);
    }
    let event_type = setup_audit::event_type(action.as_deref().unwrap_or(""));
    result.summary = action;
    event_type
}

/// EventLogFile `ApexCallout`: an outbound HTTP request.
fn map_callout(r: &mut Record<'_>, event: &mut Event, result: &mut SecurityResult) {
    if let Some(url) = r.text(&["URL"]) {
        event.set("target.url", url);
    }
    if let Some(success) = r.text(&["SUCCESS"]) {
        result.action = match success.as_str() {
            "1" | "true" => Some("ALLOW"),
            "0" | "false" => Some("FAIL"),
            _ => None,
        };
        result.action_details = Some(success);
    }
}

/// Maps a status to an action: the success spellings of every object to `ALLOW`, anything
/// else that is not pending to `BLOCK`.
fn action_of_status(status: &str) -> Option<&'static str> {
    match status.trim().to_ascii_lowercase().as_str() {
        "success" | "succeeded" | "login_no_error" | "s" => Some("ALLOW"),
        "inprogress" | "initiated" | "pending" | "" => None,
        _ => Some("BLOCK"),
    }
}

/// EventLogFile `REQUEST_STATUS`: `S` success, `F` failure, `A` authorization error, and `U`,
/// `R`, `N` (undefined, redirect, not found) without an action.
fn write_request_status(r: &mut Record<'_>, result: &mut SecurityResult) {
    let Some(status) = r.text(&["REQUEST_STATUS"]) else { return };
    let action = match status.to_ascii_lowercase().as_str() {
        "s" | "success" => Some("ALLOW"),
        "f" | "failed" | "failure" | "a" => Some("BLOCK"),
        _ => None,
    };
    if result.action.is_none() {
        result.action = action;
    }
    result.action_details = Some(status);
}

/// Transaction security policy fields of Real-Time Event Monitoring objects.
fn write_policy(r: &mut Record<'_>, result: &mut SecurityResult) {
    for field in ["PolicyId", "PolicyOutcome"] {
        if let Some(value) = r.text(&[field]) {
            result.detection_fields.push((field.to_owned(), value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_forms_convert_both_ways() {
        assert_eq!(long_id("001A0000006Vm9r").as_deref(), Some("001A0000006Vm9rIAC"));
        assert_eq!(long_id("005000000000000").as_deref(), Some("005000000000000AAA"));
        assert_eq!(short_id("001A0000006Vm9rIAC"), Some("001A0000006Vm9r"));
        assert_eq!(long_id("too short"), None);
        assert_eq!(short_id("001A0000006Vm9r"), None);
    }
}
