//! Salesforce object names and EventLogFile event types, and the kind of activity each one
//! records.
//!
//! The kind decides the UDM event type and which object-specific fields are mapped. Stream
//! and stored forms of one object share a kind and a canonical name: `LoginEventStream` and
//! `LoginEvent` are both `LoginEvent`, and the `BulkApiResultEventStore` that stores
//! `BulkApiResultEvent` is `BulkApiResultEvent`.

/// What a Salesforce record describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A login: `LoginEvent`, `LoginHistory`, `LoginAsEventLog`, EventLogFile `Login` and
    /// `LoginAs`.
    Login,
    /// A logout: `LogoutEvent`, EventLogFile `Logout`.
    Logout,
    /// An identity verification (MFA) step: `IdentityVerificationEvent`.
    Verification,
    /// An API call: `ApiEvent`, EventLogFile `API`, `RestApi`, `BulkApi`, `BulkApi2`.
    Api,
    /// A report run or export: `ReportEvent`, EventLogFile `Report`, `ReportExport`.
    Report,
    /// A list view run: `ListViewEvent`.
    ListView,
    /// A download of Bulk API results: `BulkApiResultEvent`.
    BulkResult,
    /// A record page operation in Classic: `UriEvent`, EventLogFile `URI`.
    Uri,
    /// A record page operation in Lightning: `LightningUriEvent`, EventLogFile `LightningURI`.
    LightningUri,
    /// A change in Setup: `SetupAuditTrail`.
    SetupAudit,
    /// An outbound HTTP callout from Apex: EventLogFile `ApexCallout`.
    Callout,
    /// Any other object or event type, mapped generically.
    Other,
}

/// Stream and stored object names, compared after [`canonical_object`].
const OBJECTS: &[(&str, Kind)] = &[
    ("LoginEvent", Kind::Login),
    ("LoginHistory", Kind::Login),
    ("LoginAsEventLog", Kind::Login),
    ("LogoutEvent", Kind::Logout),
    ("IdentityVerificationEvent", Kind::Verification),
    ("ApiEvent", Kind::Api),
    ("ReportEvent", Kind::Report),
    ("ListViewEvent", Kind::ListView),
    ("BulkApiResultEvent", Kind::BulkResult),
    ("UriEvent", Kind::Uri),
    ("LightningUriEvent", Kind::LightningUri),
    ("SetupAuditTrail", Kind::SetupAudit),
];

/// EventLogFile `EventType` values, compared case-insensitively.
const LOG_FILE_TYPES: &[(&str, Kind)] = &[
    ("Login", Kind::Login),
    ("LoginAs", Kind::Login),
    ("Logout", Kind::Logout),
    ("API", Kind::Api),
    ("RestApi", Kind::Api),
    ("BulkApi", Kind::Api),
    ("BulkApi2", Kind::Api),
    ("Report", Kind::Report),
    ("ReportExport", Kind::Report),
    ("URI", Kind::Uri),
    ("LightningURI", Kind::LightningUri),
    ("ApexCallout", Kind::Callout),
];

/// The object name rules see in `metadata.product_event_type`: the name without a `Stream`
/// suffix, and `BulkApiResultEvent` for its store.
pub(crate) fn canonical_object(name: &str) -> String {
    let name = name.trim();
    let name = name.strip_suffix("Stream").unwrap_or(name);
    if name == "BulkApiResultEventStore" {
        return "BulkApiResultEvent".to_owned();
    }
    name.to_owned()
}

/// The kind of a canonical object name.
pub(crate) fn kind_of_object(name: &str) -> Kind {
    OBJECTS.iter().find(|(n, _)| *n == name).map_or(Kind::Other, |(_, k)| *k)
}

/// The kind of an EventLogFile event type.
pub(crate) fn kind_of_log_file_type(event_type: &str) -> Kind {
    let event_type = event_type.trim();
    LOG_FILE_TYPES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(event_type))
        .map_or(Kind::Other, |(_, k)| *k)
}

/// The object name from a platform-event channel: `/event/LoginEventStream` →
/// `LoginEventStream`.
pub(crate) fn object_of_channel(channel: &str) -> Option<&str> {
    let name = channel.trim().strip_prefix("/event/")?;
    let name = name.trim_end_matches('/');
    (!name.is_empty() && !name.contains('/')).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_and_store_names_are_canonical() {
        assert_eq!(canonical_object("LoginEventStream"), "LoginEvent");
        assert_eq!(canonical_object("ApiEventStream"), "ApiEvent");
        assert_eq!(canonical_object("BulkApiResultEventStore"), "BulkApiResultEvent");
        assert_eq!(canonical_object("BulkApiResultEvent"), "BulkApiResultEvent");
        assert_eq!(canonical_object("SetupAuditTrail"), "SetupAuditTrail");
    }

    #[test]
    fn kinds() {
        assert_eq!(kind_of_object("LoginHistory"), Kind::Login);
        assert_eq!(kind_of_object("FileEvent"), Kind::Other);
        assert_eq!(kind_of_log_file_type("restapi"), Kind::Api);
        assert_eq!(kind_of_log_file_type("ReportExport"), Kind::Report);
        assert_eq!(kind_of_log_file_type("AuraRequest"), Kind::Other);
    }

    #[test]
    fn channels() {
        assert_eq!(object_of_channel("/event/LoginEventStream"), Some("LoginEventStream"));
        assert_eq!(object_of_channel("/data/AccountChangeEvent"), None);
        assert_eq!(object_of_channel("/event/"), None);
    }
}
