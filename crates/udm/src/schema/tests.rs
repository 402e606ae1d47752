//! Tests of the built-in schema and of path resolution.

use super::*;

#[test]
fn builtin_schema_parses() {
    let parsed = parse::parse(SCHEMA_TEXT);
    assert!(parsed.is_ok(), "{:?}", parsed.err());
}

#[test]
fn roots_exist() {
    assert_eq!(event().name, "Event");
    assert_eq!(entity().name, "Entity");
}

#[test]
fn field_accepts_both_spellings() {
    let metadata = event().field("metadata").map(FieldDef::kind);
    let Some(FieldKind::Message(metadata)) = metadata else { panic!("metadata is a message") };
    let snake = metadata.field("event_timestamp").map(|f| f.name);
    let camel = metadata.field("eventTimestamp").map(|f| f.name);
    assert_eq!(snake, Some("event_timestamp"));
    assert_eq!(camel, Some("event_timestamp"));
    assert_eq!(metadata.field("eventTimestamp").map(|f| f.json_name), Some("eventTimestamp"));
}

#[test]
fn event_type_values_have_numbers() {
    assert_eq!(enum_value("EventType", "USER_LOGIN").map(|v| v.number), Some(15001));
    assert_eq!(enum_value("EventType", "GENERIC_EVENT").map(|v| v.number), Some(100000));
    assert_eq!(enum_value("EventType", "RESOURCE_WRITTEN").map(|v| v.number), Some(5));
    let event_type = enum_type("EventType").map(|e| e.values().count());
    assert_eq!(event_type, Some(105));
}

#[test]
fn enum_by_number() {
    let action = enum_type("SecurityResult.Action").map(|e| e.by_number(2));
    assert_eq!(action.flatten().map(|v| v.name), Some("BLOCK"));
}

#[test]
fn resolve_scalar_in_noun() {
    let resolved = resolve(event(), &["principal", "user", "userid"]);
    let resolved = resolved.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resolved.field.name, "userid");
    assert_eq!(resolved.kind, FieldKind::String);
    assert_eq!(resolved.repeated_count, 0);
}

#[test]
fn resolve_counts_repeated_fields() {
    let resolved = resolve(event(), &["about", "ip"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resolved.repeated_count, 2);
    assert!(resolved.field.repeated);
}

#[test]
fn resolve_recursive_messages() {
    let path = ["target", "process", "parent_process", "parent_process", "file", "full_path"];
    assert!(resolve(event(), &path).is_ok());
    let path = ["security_result", "about", "user", "email_addresses"];
    assert!(resolve(event(), &path).is_ok());
}

#[test]
fn resolve_timestamp_parts() {
    let seconds = resolve(event(), &["metadata", "event_timestamp", "seconds"]);
    assert_eq!(seconds.map(|r| r.kind), Ok(FieldKind::Int64));
    let nanos = resolve(event(), &["metadata", "event_timestamp", "nanos"]);
    assert_eq!(nanos.map(|r| r.kind), Ok(FieldKind::Int32));
    let other = resolve(event(), &["metadata", "event_timestamp", "minutes"]);
    assert!(matches!(other, Err(PathError::UnknownField { index: 2, .. })));
}

#[test]
fn resolve_struct_fields() {
    let resolved = resolve(event(), &["additional", "fields"]).unwrap_or_else(|e| panic!("{e}"));
    assert!(resolved.struct_fields);
    assert_eq!(resolved.kind, FieldKind::Struct);
}

#[test]
fn resolve_enum_field() {
    let resolved = resolve(event(), &["metadata", "event_type"]);
    let Ok(Resolved { kind: FieldKind::Enum(e), .. }) = resolved else { panic!("enum") };
    assert_eq!(e.name, "Metadata.EventType");
}

#[test]
fn resolve_graph_paths() {
    for path in [
        "metadata.entity_type",
        "metadata.threat.threat_feed_name",
        "metadata.interval.start_time.seconds",
        "entity.domain.prevalence.rolling_max",
        "relations.entity.resource.name",
        "relations.relationship",
    ] {
        let segments: Vec<&str> = path.split('.').collect();
        assert!(resolve(entity(), &segments).is_ok(), "{path}");
    }
}

#[test]
fn unknown_segment_suggests_a_name() {
    let error = resolve(event(), &["principal", "hostnme"]);
    let Err(PathError::UnknownField { index, suggestion, message, .. }) = error else {
        panic!("unknown field expected")
    };
    assert_eq!(index, 1);
    assert_eq!(suggestion, Some("hostname"));
    assert_eq!(message, "Noun");
}

#[test]
fn unknown_segment_without_close_name() {
    let error = resolve(event(), &["principal", "zzzzzzzzzzzz"]);
    assert!(matches!(error, Err(PathError::UnknownField { suggestion: None, .. })));
}

#[test]
fn noun_inside_noun_is_rejected() {
    let error = resolve(event(), &["principal", "target", "file"]);
    assert!(matches!(error, Err(PathError::NounInNoun { index: 1, .. })), "{error:?}");
}

#[test]
fn segment_after_scalar_is_rejected() {
    let error = resolve(event(), &["principal", "hostname", "x"]);
    assert!(matches!(error, Err(PathError::NotAMessage { index: 2, .. })));
}

#[test]
fn empty_path_is_rejected() {
    assert!(matches!(resolve(event(), &[]), Err(PathError::Empty { .. })));
    assert!(matches!(resolve(event(), &["principal", ""]), Err(PathError::Empty { .. })));
}

#[test]
fn camel_case_paths_resolve() {
    let resolved = resolve(event(), &["securityResult", "ruleName"]);
    assert_eq!(resolved.map(|r| r.field.name), Ok("rule_name"));
}

#[test]
fn every_field_found_by_both_names() {
    let mut names = 0;
    for message in &schema().messages {
        let message: &'static MessageType = message;
        for field in &message.fields {
            for name in [field.name, field.json_name] {
                let found = message.field(name).map(|f| f as *const FieldDef);
                assert_eq!(found, Some(field as *const FieldDef), "{name} in {}", message.name);
                names += 1;
                // A lookup finds only a field with exactly the name asked for.
                let near = [name.to_ascii_uppercase(), format!("{name}x"), name[1..].to_owned()];
                for probe in near {
                    if let Some(other) = message.field(&probe) {
                        assert!(other.name == probe || other.json_name == probe, "{probe}");
                    }
                }
            }
        }
        assert!(message.field("").is_none());
        assert!(message.field("no_such_field_in_udm").is_none());
    }
    assert!(names > 1000, "only {names} names");
}
