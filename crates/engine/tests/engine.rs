//! Engine behaviour through the public API: rule text and UDM events in, detections out.

use std::sync::Arc;

use engine::{Context, Detection, Engine, Rule};
use serde_json::json;
use udm::Event;

fn compile(text: &str) -> Rule {
    compile_in(text, &Context::default())
}

/// Compiles one rule against `ctx`, failing the test with the diagnostics when it is rejected.
fn compile_in(text: &str, ctx: &Context) -> Rule {
    let source = yaral::SourceFile::new("test.yaral", text);
    let output = yaral::compile(&source, &yaral::CheckOptions::default());
    let rendered: Vec<String> = output
        .rejected
        .iter()
        .flat_map(|r| &r.diagnostics)
        .map(|d| yaral::render(d, &source))
        .collect();
    assert!(output.rejected.is_empty(), "rule rejected:\n{}", rendered.join("\n"));
    let compiled = output.compiled.into_iter().next().expect("one rule");
    Rule::compile(&compiled.rule, &compiled.text, ctx)
        .unwrap_or_else(|d| panic!("engine rejected the rule: {d:?}"))
}

fn event(json: serde_json::Value) -> Arc<Event> {
    Arc::new(udm::json::event_from_json(&json).expect("valid UDM"))
}

fn login(id: &str, time: &str, user: &str) -> Arc<Event> {
    event(json!({
        "metadata": {"event_timestamp": time, "event_type": "USER_LOGIN", "product_log_id": id},
        "target": {"user": {"userid": user}},
    }))
}

fn run(rule: &Rule, events: Vec<Arc<Event>>) -> Vec<Detection> {
    let mut engine = Engine::new(vec![rule.clone()]);
    let mut out = Vec::new();
    for e in events {
        out.extend(engine.push(e));
    }
    out.extend(engine.finish());
    out
}

fn ids(detection: &Detection) -> Vec<String> {
    detection.event_ids.clone()
}

const FAILED_LOGINS: &str = r#"
rule failed_logins {
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $user = $e.target.user.userid
  match:
    $user over 5m
  outcome:
    $count = count($e.metadata.product_log_id)
  condition:
    #e >= 3
}
"#;

#[test]
fn hop_window_groups_by_match_value() {
    let rule = compile(FAILED_LOGINS);
    let events = vec![
        login("a1", "2025-01-01T00:00:10Z", "alice"),
        login("b1", "2025-01-01T00:00:20Z", "bob"),
        login("a2", "2025-01-01T00:01:00Z", "alice"),
        login("a3", "2025-01-01T00:02:00Z", "alice"),
    ];
    let found = run(&rule, events);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(ids(&found[0]), vec!["a1", "a2", "a3"]);
    assert_eq!(found[0].match_values[0].1, udm::Value::from("alice"));
    assert_eq!(found[0].outcomes[0].1, udm::Value::Int(3));
}

#[test]
fn hop_window_overlaps_give_one_detection() {
    let rule = compile(FAILED_LOGINS);
    let events = (0..6)
        .map(|i| login(&format!("a{i}"), &format!("2025-01-01T00:00:{:02}Z", i * 5), "alice"))
        .collect();
    let found = run(&rule, events);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].event_ids.len(), 6);
}

#[test]
fn events_a_window_apart_do_not_correlate() {
    let rule = compile(FAILED_LOGINS);
    let events = vec![
        login("a1", "2025-01-01T00:00:00Z", "alice"),
        login("a2", "2025-01-01T00:04:59Z", "alice"),
        login("a3", "2025-01-01T00:05:01Z", "alice"),
    ];
    assert!(run(&rule, events).is_empty());
}

#[test]
fn events_just_inside_window_correlate() {
    let rule = compile(FAILED_LOGINS);
    let events = vec![
        login("a1", "2025-01-01T00:00:00Z", "alice"),
        login("a2", "2025-01-01T00:02:00Z", "alice"),
        login("a3", "2025-01-01T00:04:59Z", "alice"),
    ];
    assert_eq!(run(&rule, events).len(), 1);
}

#[test]
fn detection_ids_are_stable_across_runs() {
    let rule = compile(FAILED_LOGINS);
    let events = || {
        vec![
            login("a1", "2025-01-01T00:00:10Z", "alice"),
            login("a2", "2025-01-01T00:01:00Z", "alice"),
            login("a3", "2025-01-01T00:02:00Z", "alice"),
        ]
    };
    let first = run(&rule, events());
    let second = run(&rule, events());
    assert_eq!(first[0].id, second[0].id);
}

#[test]
fn join_through_placeholder_and_order() {
    let rule = compile(
        r#"
rule login_then_download {
  events:
    $login.metadata.event_type = "USER_LOGIN"
    $login.target.user.userid = $user
    $file.metadata.event_type = "FILE_READ"
    $file.principal.user.userid = $user
    $login.metadata.event_timestamp.seconds < $file.metadata.event_timestamp.seconds
  match:
    $user over 10m
  condition:
    $login and $file
}
"#,
    );
    let file = |id: &str, time: &str, user: &str| {
        event(json!({
            "metadata": {"event_timestamp": time, "event_type": "FILE_READ", "product_log_id": id},
            "principal": {"user": {"userid": user}},
        }))
    };
    let events = vec![
        file("f0", "2025-01-01T00:00:00Z", "alice"),
        login("l1", "2025-01-01T00:01:00Z", "alice"),
        file("f1", "2025-01-01T00:02:00Z", "alice"),
        file("f2", "2025-01-01T00:03:00Z", "bob"),
    ];
    let found = run(&rule, events);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(ids(&found[0]), vec!["f1", "l1"]);
}

#[test]
fn sliding_window_detects_missing_event() {
    let rule = compile(
        r#"
rule login_without_mfa {
  events:
    $login.metadata.event_type = "USER_LOGIN"
    $login.target.user.userid = $user
    $mfa.metadata.event_type = "USER_CHANGE_PERMISSIONS"
    $mfa.target.user.userid = $user
  match:
    $user over 5m after $login
  condition:
    $login and !$mfa
}
"#,
    );
    let mfa = |id: &str, time: &str, user: &str| {
        event(json!({
            "metadata": {
                "event_timestamp": time,
                "event_type": "USER_CHANGE_PERMISSIONS",
                "product_log_id": id
            },
            "target": {"user": {"userid": user}},
        }))
    };
    let events = vec![
        login("alice-login", "2025-01-01T00:00:00Z", "alice"),
        login("bob-login", "2025-01-01T00:00:30Z", "bob"),
        mfa("alice-mfa", "2025-01-01T00:02:00Z", "alice"),
        mfa("bob-mfa-late", "2025-01-01T00:06:00Z", "bob"),
    ];
    let found = run(&rule, events);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(ids(&found[0]), vec!["bob-login"]);
}

#[test]
fn single_event_rule_fires_once_per_event() {
    let rule = compile(
        r#"
rule bad_ip {
  events:
    $e.principal.ip = "192.0.2.1" or $e.principal.ip = "192.0.2.2"
  outcome:
    $ips = array_distinct($e.principal.ip)
  condition:
    $e
}
"#,
    );
    let e = event(json!({
        "metadata": {"event_timestamp": "2025-01-01T00:00:00Z", "product_log_id": "x"},
        "principal": {"ip": ["192.0.2.1", "192.0.2.2", "10.0.0.1"]},
    }));
    let found = run(&rule, vec![e]);
    assert_eq!(found.len(), 1);
    let ips = found[0].outcomes.iter().find(|(k, _)| k == "ips").map(|(_, v)| v.clone());
    assert_eq!(
        ips,
        Some(udm::Value::List(vec![udm::Value::from("192.0.2.1"), udm::Value::from("192.0.2.2")]))
    );
}

#[test]
fn repeated_severity_keeps_last_value() {
    let rule = compile(
        r#"
rule twice {
  meta:
    severity = "LOW"
    severity = "HIGH"
  events:
    $e.metadata.event_type = "USER_LOGIN"
  condition:
    $e
}
"#,
    );
    let found = run(&rule, vec![login("a", "2025-01-01T00:00:00Z", "alice")]);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule.severity.as_deref(), Some("HIGH"));
    assert_eq!(found[0].to_json()["rule"]["meta"]["severity"], "HIGH");
}

#[test]
fn tumbling_windows_do_not_overlap() {
    let rule = compile(
        r#"
rule bursts {
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $user = $e.target.user.userid
  match:
    $user by 10m
  condition:
    #e >= 2
}
"#,
    );
    let events = vec![
        login("a1", "2025-01-01T00:09:00Z", "alice"),
        login("a2", "2025-01-01T00:11:00Z", "alice"),
        login("a3", "2025-01-01T00:12:00Z", "alice"),
    ];
    let found = run(&rule, events);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(ids(&found[0]), vec!["a2", "a3"]);
}

/// Formats the time `seconds` after 2025-01-01T00:00:00Z as RFC 3339.
fn at(seconds: u64) -> String {
    let day = 1 + seconds / 86_400;
    format!(
        "2025-01-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60
    )
}

fn read_file(id: &str, time: &str, user: &str) -> Arc<Event> {
    event(json!({
        "metadata": {"event_timestamp": time, "event_type": "FILE_READ", "product_log_id": id},
        "principal": {"user": {"userid": user}},
    }))
}

/// Feeds `count` events made by `make(i)` and returns the largest state size seen; checks
/// that every window is closed at the end.
fn peak_state(engine: &mut Engine, count: u64, make: impl Fn(u64) -> Arc<Event>) -> usize {
    let mut peak = 0;
    for i in 0..count {
        engine.push(make(i));
        peak = peak.max(engine.state_size());
    }
    engine.finish();
    assert_eq!(engine.state_size(), 0, "state left after finish");
    peak
}

#[test]
fn window_state_is_dropped_as_windows_close() {
    let mut engine = Engine::new(vec![compile(FAILED_LOGINS)]);
    let peak = peak_state(&mut engine, 5_000, |i| {
        login(&format!("e{i}"), &at(i * 30), &format!("user{}", i % 7))
    });
    // A 5-minute window over one event every 30 seconds contains about ten rows.
    assert!(peak < 100, "state grew to {peak}");
}

#[test]
fn state_follows_open_windows_not_input() {
    // The same rate of events over ten times the time must not need more state.
    let make = |i: u64| login(&format!("e{i}"), &at(i * 10), &format!("user{}", i % 50));
    let short = peak_state(&mut Engine::new(vec![compile(FAILED_LOGINS)]), 2_000, make);
    let long = peak_state(&mut Engine::new(vec![compile(FAILED_LOGINS)]), 20_000, make);
    assert!(long <= short + short / 10, "state grew from {short} to {long} with the input");
}

#[test]
fn partitions_of_past_users_are_dropped() {
    // Every user appears once: a partition per user, each closed a window later.
    let mut engine = Engine::new(vec![compile(FAILED_LOGINS)]);
    let peak =
        peak_state(&mut engine, 10_000, |i| login(&format!("e{i}"), &at(i * 5), &format!("u{i}")));
    assert!(peak < 200, "state grew to {peak}");
}

#[test]
fn tumbling_and_sliding_state_is_dropped() {
    let tumbling = compile(
        r#"
rule tumbling_bursts {
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $user = $e.target.user.userid
  match:
    $user by 10m
  condition:
    #e >= 3
}
"#,
    );
    let sliding = compile(
        r#"
rule login_then_read {
  events:
    $login.metadata.event_type = "USER_LOGIN"
    $login.target.user.userid = $user
    $read.metadata.event_type = "FILE_READ"
    $read.principal.user.userid = $user
  match:
    $user over 5m after $login
  condition:
    $login and !$read
}
"#,
    );
    for rule in [tumbling, sliding] {
        let name = rule.name().to_owned();
        let mut engine = Engine::new(vec![rule]);
        let peak = peak_state(&mut engine, 6_000, |i| {
            let user = format!("user{}", i % 5);
            if i % 2 == 0 {
                login(&format!("e{i}"), &at(i * 20), &user)
            } else {
                read_file(&format!("e{i}"), &at(i * 20), &user)
            }
        });
        // 10 minutes at one event every 20 seconds is 30 events.
        assert!(peak < 150, "{name}: state grew to {peak}");
    }
}

#[test]
fn suppression_and_lateness_state_is_dropped() {
    let rule = compile(
        r#"
rule suppressed_logins {
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $user = $e.target.user.userid
  match:
    $user over 5m
  condition:
    #e >= 2
  options:
    suppression_window = 1h
}
"#,
    );
    let mut engine =
        Engine::new(vec![rule]).with_allowed_lateness(std::time::Duration::from_secs(120));
    // Pairs of events arrive swapped, within the allowed lateness.
    let peak = peak_state(&mut engine, 8_000, |i| {
        let swapped = if i % 2 == 0 { i + 1 } else { i - 1 };
        login(&format!("e{i}"), &at(swapped * 15), &format!("user{}", i % 3))
    });
    assert!(peak < 200, "state grew to {peak}");
    assert_eq!(engine.stats().late_events, 0);
}

#[test]
fn late_event_is_counted() {
    let rule = compile(FAILED_LOGINS);
    let mut engine = Engine::new(vec![rule]);
    engine.push(login("a1", "2025-01-01T01:00:00Z", "alice"));
    engine.push(login("a0", "2025-01-01T00:00:00Z", "alice"));
    assert_eq!(engine.stats().late_events, 1);
}

#[test]
fn observe_time_closes_windows() {
    let rule = compile(FAILED_LOGINS);
    let mut engine = Engine::new(vec![rule]);
    for (i, time) in ["00:00:00", "00:01:00", "00:02:00"].iter().enumerate() {
        engine.push(login(&format!("a{i}"), &format!("2025-01-01T{time}Z"), "alice"));
    }
    let before = engine.watermark();
    assert!(engine.observe_time(0).is_empty(), "an earlier time changes nothing");
    assert_eq!(engine.watermark(), before);
    let later = udm::Timestamp::new(1_735_693_200, 0).as_nanos();
    let detections = engine.observe_time(later);
    assert_eq!(detections.len(), 1);
    assert_eq!(engine.watermark(), Some(later));
    assert_eq!(engine.stats().events, 3, "no event was counted");
}

#[test]
fn rows_added_counts_windowed_rows() {
    let rule = compile(FAILED_LOGINS);
    let mut engine = Engine::new(vec![rule]);
    assert_eq!(engine.rows_added(), 0);
    engine.push(login("a1", "2025-01-01T01:00:00Z", "alice"));
    assert_eq!(engine.rows_added(), 1);
    let other = event(json!({
        "metadata": {"event_timestamp": "2025-01-01T01:00:01Z", "event_type": "NETWORK_HTTP"},
    }));
    engine.push(other);
    assert_eq!(engine.rows_added(), 1, "an event no rule keeps adds no row");
    engine.push(login("a0", "2025-01-01T00:00:00Z", "alice"));
    assert_eq!(engine.rows_added(), 1, "a late event adds no row");
}

#[test]
fn regex_literal_filter_searches() {
    let rule = compile(
        r#"
rule api_objects {
  events:
    $e.metadata.product_event_type = /^(ApiEvent|ReportEvent)$/
    $e.principal.hostname != /^build-/ nocase
  condition:
    $e
}
"#,
    );
    let typed = |id: &str, kind: &str, host: &str| {
        event(json!({
            "metadata": {
                "event_timestamp": "2025-01-01T00:00:00Z",
                "product_event_type": kind,
                "product_log_id": id
            },
            "principal": {"hostname": host},
        }))
    };
    let events = vec![
        typed("api", "ApiEvent", "laptop-1"),
        typed("report", "ReportEvent", "laptop-2"),
        typed("login", "LoginEvent", "laptop-3"),
        typed("prefix", "ApiEventStream", "laptop-4"),
        typed("build", "ApiEvent", "BUILD-7"),
    ];
    let found: Vec<Vec<String>> = run(&rule, events).iter().map(ids).collect();
    assert_eq!(found, vec![vec!["api".to_owned()], vec!["report".to_owned()]]);
}

#[test]
fn prefilter_keeps_only_usable_events() {
    let rule = compile(
        r#"rule okta_logins {
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $e.metadata.log_type = "OKTA"
    $e.principal.ip = "10.0.0.1"
  condition:
    $e
}"#,
    );
    let prefilter = engine::Prefilter::new(std::slice::from_ref(&rule));
    let with = |event_type: &str, log_type: &str, ips: &[&str]| {
        event(json!({
            "metadata": {"event_timestamp": "2025-06-10T10:00:00Z", "event_type": event_type,
                         "log_type": log_type},
            "principal": {"ip": ips},
        }))
    };
    assert!(prefilter.wants(&with("USER_LOGIN", "OKTA", &["10.0.0.2", "10.0.0.1"])));
    assert!(!prefilter.wants(&with("USER_LOGIN", "OKTA", &["10.0.0.2"])));
    assert!(!prefilter.wants(&with("USER_LOGIN", "AZURE_AD", &["10.0.0.1"])));
    assert!(!prefilter.wants(&with("NETWORK_HTTP", "OKTA", &["10.0.0.1"])));
}

#[test]
fn unknown_time_zone_is_rejected() {
    let source = yaral::SourceFile::new(
        "tz.yaral",
        "rule tz {\n  events:\n    timestamp.get_hour($e.metadata.event_timestamp.seconds, \"PST\") = 3\n  condition:\n    $e\n}\n",
    );
    let output = yaral::compile(&source, &yaral::CheckOptions::default());
    let compiled = output.compiled.into_iter().next().expect("the front end accepts it");
    let errors = Rule::compile(&compiled.rule, &compiled.text, &Context::default())
        .err()
        .unwrap_or_default();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].message.contains("unknown time zone \"PST\""), "{errors:?}");
}

#[test]
fn raw_filter_needs_every_variable_pinned() {
    let pinned = compile(
        r#"rule okta_logins {
  events:
    $e.metadata.event_type = "USER_LOGIN"
    ($e.metadata.log_type = "OKTA" or $e.metadata.log_type = "AZURE_AD")
  condition:
    $e
}"#,
    );
    let raw = engine::Prefilter::new(std::slice::from_ref(&pinned))
        .raw_filter()
        .expect("the log type pins every variable");
    assert!(raw.may_match(br#"{"metadata":{"logType":"OKTA"}}"#));
    assert!(raw.may_match(br#"{"metadata":{"logType":"AZURE_AD"}}"#));
    assert!(!raw.may_match(br#"{"metadata":{"logType":"WINDOWS"}}"#));
    // An escaped spelling may hide a required string, so it passes.
    assert!(raw.may_match(br#"{"metadata":{"logType":"\u004fKTA"}}"#));

    // The event type is an enum, which a record may give by number: it pins nothing.
    let enum_only = compile(
        r#"rule logins {
  events:
    $e.metadata.event_type = "USER_LOGIN"
  condition:
    $e
}"#,
    );
    assert!(engine::Prefilter::new(&[enum_only]).raw_filter().is_none());
}

#[test]
fn raw_filter_takes_regex_strings_and_every_filter() {
    let admin = compile(
        r#"rule okta_admin {
  events:
    $e.metadata.log_type = "OKTA"
    $e.principal.user.userid = /^adm/ nocase
  condition:
    $e
}"#,
    );
    let raw = engine::Prefilter::new(std::slice::from_ref(&admin))
        .raw_filter()
        .expect("the log type pins the variable");
    let line = |log_type: &str, user: &str| {
        format!(
            r#"{{"metadata":{{"logType":"{log_type}"}},"principal":{{"user":{{"userid":"{user}"}}}}}}"#
        )
    };
    assert!(raw.may_match(line("OKTA", "admin1").as_bytes()));
    assert!(raw.may_match(line("OKTA", "ADMIN2").as_bytes()));
    assert!(raw.may_match(line("OKTA", "aDm3").as_bytes()));
    // Without `adm` in any case, the regex cannot match.
    assert!(!raw.may_match(line("OKTA", "bob").as_bytes()));
    assert!(!raw.may_match(line("AZURE_AD", "admin").as_bytes()));
    // An escaped spelling may hide a required string, so it passes.
    assert!(raw.may_match(line("OKTA", r"\u0061dmin").as_bytes()));

    // A regex alone pins a variable when every match starts with one of a few strings.
    let regex_only = compile(
        r#"rule sf_api {
  events:
    $e.metadata.product_event_type = /^(ApiEvent|RestApi)$/
  condition:
    $e
}"#,
    );
    let raw = engine::Prefilter::new(&[regex_only]).raw_filter().expect("the regex pins it");
    assert!(raw.may_match(br#"{"metadata":{"productEventType":"RestApi"}}"#));
    assert!(!raw.may_match(br#"{"metadata":{"productEventType":"LoginEvent"}}"#));

    // A regex that can match the empty text, or starts with any character, pins nothing.
    for pattern in ["/a*/", "/.*admin/", "/[^x]dm/"] {
        let loose = compile(&format!(
            "rule loose {{\n  events:\n    $e.principal.user.userid = {pattern}\n  condition:\n    $e\n}}"
        ));
        assert!(engine::Prefilter::new(&[loose]).raw_filter().is_none(), "{pattern}");
    }
}

#[test]
fn raw_filter_lists_and_repeated_fields() {
    let mut lists = enrich::ReferenceLists::new();
    let (ioc, problems) = enrich::ReferenceList::from_text(
        "IOC",
        enrich::ListKind::String,
        "192.0.2.45\n203.0.113.9\n",
        "IOC.txt",
    );
    assert!(problems.is_empty(), "{problems:?}");
    lists.insert(ioc);
    let ctx = Context { lists: Arc::new(lists), asn: None, ..Context::default() };
    let rule = compile_in(
        r#"rule ioc {
  events:
    $e.principal.ip in %IOC or $e.target.ip = "198.51.100.7"
  condition:
    $e
}"#,
        &ctx,
    );
    let raw = engine::Prefilter::new(std::slice::from_ref(&rule))
        .raw_filter()
        .expect("the list and the literal pin the variable");
    assert!(raw.may_match(br#"{"principal":{"ip":["10.0.0.1","203.0.113.9"]}}"#));
    assert!(raw.may_match(br#"{"target":{"ip":["198.51.100.7"]}}"#));
    assert!(!raw.may_match(br#"{"principal":{"ip":["10.0.0.1"]}}"#));

    // A case-insensitive list test pins nothing.
    let rule = compile_in(
        "rule nocase {\n  events:\n    $e.principal.user.userid in %IOC nocase\n  condition:\n    $e\n}\n",
        &ctx,
    );
    assert!(engine::Prefilter::new(&[rule]).raw_filter().is_none());
}

#[test]
fn product_name_index_selects_rules() {
    let by_product = compile(
        r#"rule by_product {
  events:
    ($e.metadata.product_name = "Okta" or $e.metadata.product_name = "Entra ID")
    $e.principal.user.userid = "dana"
  condition:
    $e
}"#,
    );
    let product = |id: &str, name: serde_json::Value| {
        event(json!({
            "metadata": {"event_timestamp": "2026-03-02T08:00:00Z", "event_type": "USER_LOGIN",
                         "product_log_id": id, "product_name": name},
            "principal": {"user": {"userid": "dana"}},
        }))
    };
    let events = vec![
        product("okta", json!("Okta")),
        product("entra", json!("Entra ID")),
        product("other", json!("Workspace")),
        product("case", json!("okta")),
        product("none", serde_json::Value::Null),
    ];
    let found: Vec<Vec<String>> = run(&by_product, events.clone()).iter().map(ids).collect();
    assert_eq!(found, vec![vec!["okta".to_owned()], vec!["entra".to_owned()]]);
    let prefilter = engine::Prefilter::new(std::slice::from_ref(&by_product));
    let wanted: Vec<bool> = events.iter().map(|e| prefilter.wants(e)).collect();
    assert_eq!(wanted, [true, true, false, false, false]);
}

const ROUTED_RULES: [&str; 4] = [
    r#"
rule logins_by_user {
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $user = $e.target.user.userid nocase
  match:
    $user over 5m
  condition:
    #e >= 2
}
"#,
    r#"
rule login_then_download_by_ip {
  events:
    $login.metadata.event_type = "USER_LOGIN"
    $login.principal.ip = $ip
    $get.metadata.event_type = "NETWORK_HTTP"
    $get.principal.ip = $ip
  match:
    $ip over 10m
  condition:
    $login and $get
}
"#,
    r#"
rule any_http {
  events:
    $e.metadata.event_type = "NETWORK_HTTP"
  condition:
    $e
}
"#,
    r#"
rule http_suppressed {
  events:
    $e.metadata.event_type = "NETWORK_HTTP"
  condition:
    $e
  options:
    suppression_window = 5m
}
"#,
];

/// Events where users differ in case and some events carry two IPs, so that one event has
/// several routing keys.
fn routed_events() -> Vec<Arc<Event>> {
    let users = ["alice", "ALICE", "bob", "carol"];
    let ips = ["10.0.0.1", "10.0.0.2", "10.0.0.3"];
    (0..120)
        .map(|n| {
            let kind = if n % 3 == 0 { "NETWORK_HTTP" } else { "USER_LOGIN" };
            let mut principal_ips = vec![ips[n % 3]];
            if n % 4 == 0 {
                principal_ips.push(ips[(n + 1) % 3]);
            }
            event(json!({
                "metadata": {
                    "event_timestamp": format!("2025-01-01T00:{:02}:{:02}Z", n / 2 % 60, n * 7 % 60),
                    "event_type": kind,
                    "product_log_id": format!("ev{n}"),
                },
                "principal": {"ip": principal_ips},
                "target": {"user": {"userid": users[n % 4]}},
            }))
        })
        .collect()
}

#[test]
fn routed_engines_match_one_engine() {
    let rules: Vec<Rule> = ROUTED_RULES.iter().map(|text| compile(text)).collect();
    let events = sorted_routed_events();
    let mut whole = Engine::new(rules.clone());
    let mut expected: Vec<String> = Vec::new();
    for event in &events {
        expected.extend(whole.push(Arc::clone(event)).into_iter().map(|d| d.id));
    }
    expected.extend(whole.finish().into_iter().map(|d| d.id));
    expected.sort();
    assert!(expected.len() > 10, "too few detections to compare: {expected:?}");

    let router = engine::Router::new(&rules);
    let two_ips = router.routes(&events[0]);
    assert!(two_ips.iter().filter(|r| r.rule == 1).count() >= 1, "{two_ips:?}");
    for partitions in [1u32, 2, 3, 5] {
        let mut engines: Vec<Engine> =
            (0..partitions).map(|_| Engine::new(rules.clone())).collect();
        let mut found: Vec<String> = Vec::new();
        for event in &events {
            let routes = router.routes(event);
            for (index, engine) in engines.iter_mut().enumerate() {
                let partition = index as u32;
                let in_partition: Vec<(usize, usize)> = routes
                    .iter()
                    .filter(|r| engine::partition_of(&r.key, partitions) == partition)
                    .map(|r| (r.rule, r.var))
                    .collect();
                if in_partition.is_empty() {
                    continue;
                }
                let detections = engine.push_routed(Arc::clone(event), &mut |rule, var, key| {
                    in_partition.contains(&(rule, var))
                        && engine::partition_of(key, partitions) == partition
                });
                found.extend(detections.into_iter().map(|d| d.id));
            }
        }
        for engine in &mut engines {
            found.extend(engine.finish().into_iter().map(|d| d.id));
        }
        found.sort();
        assert_eq!(found, expected, "{partitions} partitions");
    }
}

#[test]
fn routes_fold_case_and_split_repeated_values() {
    let rules: Vec<Rule> = ROUTED_RULES.iter().map(|text| compile(text)).collect();
    let router = engine::Router::new(&rules);
    let login = |id: &str, user: &str, ips: &[&str]| {
        event(json!({
            "metadata": {"event_timestamp": "2025-01-01T00:00:00Z", "event_type": "USER_LOGIN",
                         "product_log_id": id},
            "principal": {"ip": ips},
            "target": {"user": {"userid": user}},
        }))
    };
    let upper = router.routes(&login("a", "ALICE", &["10.0.0.1"]));
    let lower = router.routes(&login("b", "alice", &["10.0.0.1"]));
    let user_key = |routes: &[engine::Route]| {
        routes.iter().find(|r| r.rule == 0).map(|r| r.key.clone()).expect("a user route")
    };
    assert_eq!(user_key(&upper), user_key(&lower));
    let two = router.routes(&login("c", "bob", &["10.0.0.1", "10.0.0.2"]));
    let ip_keys: Vec<&str> = two.iter().filter(|r| r.rule == 1).map(|r| r.key.as_str()).collect();
    assert_eq!(ip_keys.len(), 2, "{two:?}");
    assert_ne!(ip_keys[0], ip_keys[1]);
    let http = event(json!({
        "metadata": {"event_timestamp": "2025-01-01T00:00:00Z", "event_type": "NETWORK_HTTP",
                     "product_log_id": "h1"},
    }));
    let routes = router.routes(&http);
    let per_event: Vec<&str> =
        routes.iter().filter(|r| r.rule >= 2).map(|r| r.key.as_str()).collect();
    assert_eq!(per_event, vec!["event:h1", "rule:http_suppressed"]);
}

fn sorted_routed_events() -> Vec<Arc<Event>> {
    let mut events = routed_events();
    events.sort_by_key(|e| e.event_time());
    events
}

/// Rules for the verdict tests: the routed rules, plus a sliding window and a filter on a
/// string field that the prefilter's gates decide.
fn verdict_rules() -> Vec<Rule> {
    let sliding = r#"
rule http_after_login_of_alice {
  events:
    $login.metadata.event_type = "USER_LOGIN"
    $login.target.user.userid = "alice"
    $login.target.user.userid = $user
    $get.metadata.event_type = "NETWORK_HTTP"
    $get.target.user.userid = $user
  match:
    $user over 10m after $login
  condition:
    $login and $get
}
"#;
    let mut texts: Vec<&str> = ROUTED_RULES.to_vec();
    texts.push(sliding);
    texts.push(FAILED_LOGINS);
    texts.iter().map(|text| compile(text)).collect()
}

/// Converts a detection to JSON without `detected_at`, which is the wall-clock time.
fn detection_json(detection: &Detection) -> serde_json::Value {
    let mut json = detection.to_json();
    if let Some(object) = json.as_object_mut() {
        object.remove("detected_at");
    }
    json
}

/// Runs the engine over the events, each with the verdict `prefilter` makes on it. Like a
/// hunt, it leaves out the events that get no verdict.
fn run_with_verdicts(
    engine: &mut Engine,
    prefilter: &engine::Prefilter,
    events: &[Arc<Event>],
) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for event in events {
        if let Some(verdict) = prefilter.verdict(event, None) {
            out.extend(engine.push_with_verdict(Arc::clone(event), &verdict));
        }
    }
    out.extend(engine.finish());
    out.iter().map(detection_json).collect()
}

fn run_plain(engine: &mut Engine, events: &[Arc<Event>]) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for event in events {
        out.extend(engine.push(Arc::clone(event)));
    }
    out.extend(engine.finish());
    out.iter().map(detection_json).collect()
}

#[test]
fn verdict_is_made_when_prefilter_wants() {
    let rules = verdict_rules();
    let prefilter = engine::Prefilter::new(&rules);
    let events = routed_events();
    let mut with_verdict = 0;
    for event in &events {
        let verdict = prefilter.verdict(event, None);
        assert_eq!(verdict.is_some(), prefilter.wants(event), "{event:?}");
        with_verdict += usize::from(verdict.is_some());
    }
    assert!(with_verdict > 0, "no event has a verdict");
}

#[test]
fn verdicts_give_same_detections() {
    let rules = verdict_rules();
    let events = sorted_routed_events();
    let expected = run_plain(&mut Engine::new(rules.clone()), &events);
    assert!(expected.len() > 10, "too few detections to compare: {}", expected.len());
    let names: Vec<&str> = expected.iter().filter_map(|d| d["rule"]["name"].as_str()).collect();
    assert!(names.contains(&"http_after_login_of_alice"), "{names:?}");

    let prefilter = engine::Prefilter::new(&rules);
    let mut engine = Engine::new(rules.clone()).with_prefilter(&prefilter);
    assert_eq!(run_with_verdicts(&mut engine, &prefilter, &events), expected);
}

#[test]
fn verdicts_reach_engines_of_a_rule_subset() {
    let rules = verdict_rules();
    let events = sorted_routed_events();
    let prefilter = engine::Prefilter::new(&rules);
    // Every second rule, and in reverse order, so that the engine's rule indexes differ from
    // the prefilter's.
    let subset: Vec<Rule> = rules.iter().skip(1).step_by(2).rev().cloned().collect();
    assert!(subset.len() >= 2);
    let expected = run_plain(&mut Engine::new(subset.clone()), &events);
    assert!(!expected.is_empty(), "the subset finds no detection");
    let mut engine = Engine::new(subset).with_prefilter(&prefilter);
    assert_eq!(run_with_verdicts(&mut engine, &prefilter, &events), expected);
}

#[test]
fn verdict_of_other_prefilter_is_ignored() {
    let rules = verdict_rules();
    let mut events = routed_events();
    events.sort_by_key(|e| e.event_time());
    // The other prefilter's gate ids name other variables: trusting its verdicts would feed
    // NETWORK_HTTP events to `logins_by_user`.
    let reversed: Vec<Rule> = rules.iter().rev().cloned().collect();
    let other = engine::Prefilter::new(&reversed);
    let expected = run_plain(&mut Engine::new(rules.clone()), &events);

    let own = engine::Prefilter::new(&rules);
    let mut engine = Engine::new(rules.clone()).with_prefilter(&own);
    assert_eq!(run_with_verdicts(&mut engine, &other, &events), expected);
    let mut engine = Engine::new(rules.clone());
    assert_eq!(run_with_verdicts(&mut engine, &other, &events), expected);
}

#[test]
fn verdicts_ignored_for_rules_prefilter_lacks() {
    let rules = verdict_rules();
    let events = sorted_routed_events();
    let expected = run_plain(&mut Engine::new(rules.clone()), &events);
    // A prefilter of the first rule only, whose verdicts cover none of the others.
    let partial = engine::Prefilter::new(&rules[..1]);
    let mut engine = Engine::new(rules.clone()).with_prefilter(&partial);
    let mut found = Vec::new();
    for event in &events {
        match partial.verdict(event, None) {
            Some(verdict) => found.extend(engine.push_with_verdict(Arc::clone(event), &verdict)),
            None => found.extend(engine.push(Arc::clone(event))),
        }
    }
    found.extend(engine.finish());
    let found: Vec<serde_json::Value> = found.iter().map(detection_json).collect();
    assert_eq!(found, expected);
}

#[test]
fn filters_on_many_fields_decide_alike() {
    // More fields and placeholders than the prefilter's gates keep on the stack.
    let fields = [
        "metadata.product_name",
        "metadata.vendor_name",
        "metadata.product_event_type",
        "metadata.description",
        "metadata.url_back_to_product",
        "principal.hostname",
        "principal.user.userid",
        "principal.user.user_display_name",
        "principal.application",
        "principal.process.command_line",
        "target.hostname",
        "target.user.userid",
        "target.application",
        "target.url",
        "src.hostname",
        "src.user.userid",
        "network.http.user_agent",
        "network.http.method",
    ];
    let mut text = String::from("rule many_fields {\n  events:\n");
    for (index, field) in fields.iter().enumerate() {
        text.push_str(&format!("    $e.{field} != \"blocked\"\n    $p{index} = $e.{field}\n"));
    }
    text.push_str("  condition:\n    $e\n}\n");
    let rule = compile(&text);
    let prefilter = engine::Prefilter::new(std::slice::from_ref(&rule));
    let passing = event(json!({
        "metadata": {"event_timestamp": "2025-01-01T00:00:00Z", "event_type": "USER_LOGIN",
                     "product_log_id": "pass"},
        "network": {"http": {"method": "GET"}},
    }));
    let blocked = event(json!({
        "metadata": {"event_timestamp": "2025-01-01T00:00:01Z", "event_type": "USER_LOGIN",
                     "product_log_id": "block"},
        "network": {"http": {"method": "blocked"}},
    }));
    assert!(prefilter.wants(&passing));
    assert!(!prefilter.wants(&blocked));
    assert!(prefilter.verdict(&passing, None).is_some());
    assert!(prefilter.verdict(&blocked, None).is_none());
    let found = run(&rule, vec![passing, blocked]);
    let found_ids: Vec<Vec<String>> = found.iter().map(ids).collect();
    assert_eq!(found_ids, vec![vec!["pass".to_owned()]]);
}

/// Rules that repeat a filter share its result within one event, but filters that differ
/// only in a regex's case flag, or read other fields, do not.
#[test]
fn repeated_filters_shared_only_when_equal() {
    let rule = |name: &str, filters: &str| {
        compile(&format!("rule {name} {{\n  events:\n{filters}\n  condition:\n    $e\n}}\n"))
    };
    let rules = vec![
        rule(
            "exact",
            r#"    $e.metadata.event_type = "USER_LOGIN"
    $e.principal.user.userid = /^adm/"#,
        ),
        rule(
            "nocase",
            r#"    $e.target.hostname = ""
    $e.metadata.event_type = "USER_LOGIN"
    $e.principal.user.userid = /^adm/ nocase"#,
        ),
        rule(
            "other_field",
            r#"    $e.metadata.event_type = "USER_LOGIN"
    $e.target.user.userid = /^adm/"#,
        ),
        rule(
            "same_as_exact",
            r#"    $e.principal.hostname != "h"
    $e.principal.user.userid = /^adm/
    $e.metadata.event_type = "USER_LOGIN""#,
        ),
    ];
    let prefilter = engine::Prefilter::new(&rules);

    let events = [
        event(json!({
            "metadata": {"event_timestamp": "2025-01-01T00:00:00Z", "event_type": "USER_LOGIN",
                "product_log_id": "upper"},
            "principal": {"user": {"userid": "ADMIN"}},
            "target": {"user": {"userid": "admin"}},
        })),
        event(json!({
            "metadata": {"event_timestamp": "2025-01-01T00:00:01Z", "event_type": "USER_LOGIN",
                "product_log_id": "lower"},
            "principal": {"user": {"userid": "admin"}},
        })),
    ];

    let mut engine = Engine::new(rules.clone()).with_prefilter(&prefilter);
    let mut found: Vec<(String, Vec<String>)> = Vec::new();
    for event in events {
        let Some(verdict) = prefilter.verdict(&event, None) else { continue };
        for detection in engine.push_with_verdict(event, &verdict) {
            found.push((detection.rule.name.clone(), ids(&detection)));
        }
    }
    found.extend(engine.finish().into_iter().map(|d| (d.rule.name.clone(), ids(&d))));
    found.sort();

    let expected: Vec<(String, Vec<String>)> = [
        ("exact", "lower"),
        ("nocase", "lower"),
        ("nocase", "upper"),
        ("other_field", "upper"),
        ("same_as_exact", "lower"),
    ]
    .iter()
    .map(|(rule, id)| ((*rule).to_owned(), vec![(*id).to_owned()]))
    .collect();
    assert_eq!(found, expected);
}

/// Rules whose event variables share only the match variable, each with a twin that adds an
/// always-true equality between the variables. The twin makes the engine pair every row with
/// every other; the rule itself lets it cover the rows instead. Both must detect the same.
const COVERED_RULES: [&str; 7] = [
    r#"
rule spray {
  events:
    $fail.metadata.event_type = "USER_LOGIN"
    $fail.security_result.action = "BLOCK"
    $fail.principal.ip = $ip
    $ok.metadata.event_type = "USER_LOGIN"
    $ok.security_result.action = "ALLOW"
    $ok.principal.ip = $ip
    TWIN
  match:
    $ip over 10m
  outcome:
    $failed_users = count_distinct($fail.target.user.userid)
    $ok_users = array_distinct($ok.target.user.userid)
    $failures = count($fail.target.user.userid)
    $all_failed = array($fail.target.user.userid)
    $bytes = sum($fail.network.sent_bytes)
    $most = max($ok.network.sent_bytes)
    $least = min($fail.network.sent_bytes)
    $first = earliest($ok.metadata.event_timestamp)
    $ip_count = count_distinct($ip)
  condition:
    #fail > 3 and $ok
}
"#,
    r#"
rule spray_without_success {
  events:
    $fail.metadata.event_type = "USER_LOGIN"
    $fail.security_result.action = "BLOCK"
    $fail.principal.ip = $ip
    $ok.metadata.event_type = "USER_LOGIN"
    $ok.security_result.action = "ALLOW"
    $ok.principal.ip = $ip
    TWIN
  match:
    $ip over 5m
  outcome:
    $failed_users = array_distinct($fail.target.user.userid)
  condition:
    #fail > 2 and !$ok
}
"#,
    r#"
rule three_kinds {
  events:
    $a.security_result.action = "BLOCK"
    $a.principal.ip = $ip
    $b.security_result.action = "ALLOW"
    $b.principal.ip = $ip
    $c.security_result.action = "CHALLENGE"
    $c.principal.ip = $ip
    TWIN
  match:
    $ip over 10m
  outcome:
    $blocked = count_distinct($a.target.user.userid)
    $allowed = array($b.target.user.userid)
    $challenged = sum($c.network.sent_bytes)
  condition:
    $a and $b and #c >= 2
}
"#,
    r#"
rule blocked_then_challenged {
  events:
    $a.security_result.action = "BLOCK"
    $a.principal.ip = $ip
    $b.security_result.action = "ALLOW"
    $b.principal.ip = $ip
    $c.security_result.action = "CHALLENGE"
    $c.principal.ip = $ip
    $a.target.user.userid = $c.target.user.userid
    TWIN
  match:
    $ip over 10m
  outcome:
    $allowed = count_distinct($b.metadata.product_log_id)
  condition:
    #b >= 2 and $a and $c
}
"#,
    // The rules below must pair rows: an aggregate over both variables, a placeholder that is
    // not a match variable, a match variable that only one variable assigns.
    r#"
rule pairs {
  events:
    $fail.security_result.action = "BLOCK"
    $fail.principal.ip = $ip
    $ok.security_result.action = "ALLOW"
    $ok.principal.ip = $ip
    TWIN
  match:
    $ip over 10m
  outcome:
    $pairs = count(strings.concat($fail.target.user.userid, $ok.target.user.userid))
  condition:
    $fail and $ok
}
"#,
    r#"
rule same_user {
  events:
    $fail.security_result.action = "BLOCK"
    $fail.principal.ip = $ip
    $fail.target.user.userid = $user
    $ok.security_result.action = "ALLOW"
    $ok.principal.ip = $ip
    $ok.target.user.userid = $user
    TWIN
  match:
    $ip over 10m
  outcome:
    $users = array_distinct($user)
    $failures = count($fail.metadata.product_log_id)
  condition:
    $fail and $ok
}
"#,
    r#"
rule per_failed_user {
  events:
    $fail.security_result.action = "BLOCK"
    $fail.principal.ip = $ip
    $fail.target.user.userid = $user
    $ok.security_result.action = "ALLOW"
    $ok.principal.ip = $ip
    TWIN
  match:
    $ip, $user over 10m
  outcome:
    $successes = count($ok.metadata.product_log_id)
  condition:
    $fail and $ok
}
"#,
];

/// The equalities that make each rule's twin pair every row: true for every event the rules
/// take, since all of them are `USER_LOGIN`s.
const TWIN_EQUALITIES: [&str; 7] = [
    "$fail.metadata.event_type = $ok.metadata.event_type",
    "$fail.metadata.event_type = $ok.metadata.event_type",
    "$a.metadata.event_type = $b.metadata.event_type\n    $b.metadata.event_type = $c.metadata.event_type",
    "$a.metadata.event_type = $b.metadata.event_type",
    "$fail.metadata.event_type = $ok.metadata.event_type",
    "$fail.metadata.event_type = $ok.metadata.event_type",
    "$fail.metadata.event_type = $ok.metadata.event_type",
];

/// Logins from a few addresses over 20 minutes, with repeated users and actions, from a
/// seeded generator.
fn random_logins(seed: u64, count: usize) -> Vec<Arc<Event>> {
    let mut state = seed;
    let mut next = move |below: u64| {
        state =
            state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % below
    };
    let mut millis = 0;
    (0..count)
        .map(|i| {
            millis += next(40_000);
            let action = ["BLOCK", "BLOCK", "ALLOW", "CHALLENGE"][next(4) as usize];
            event(json!({
                "metadata": {
                    "event_timestamp": format!("2025-01-01T00:{:02}:{:02}.{:03}Z",
                        millis / 60_000, millis / 1_000 % 60, millis % 1_000),
                    "event_type": "USER_LOGIN",
                    "product_log_id": format!("e{i}"),
                },
                "principal": {"ip": [format!("198.51.100.{}", next(3))]},
                "target": {"user": {"userid": format!("u{}", next(12))}},
                "network": {"sent_bytes": next(5_000).to_string()},
                "security_result": [{"action": [action]}],
            }))
        })
        .collect()
}

/// Returns a detection's JSON without its id and rule, which differ between twins.
fn detection_content(detection: &Detection) -> serde_json::Value {
    let mut json = detection_json(detection);
    if let Some(object) = json.as_object_mut() {
        object.remove("id");
        object.remove("rule");
    }
    json
}

#[test]
fn covered_join_detects_as_full_join() {
    let mut detections = 0;
    for (rule, twin_equality) in COVERED_RULES.iter().zip(TWIN_EQUALITIES) {
        let covered = compile(&rule.replace("TWIN", ""));
        let paired = compile(&rule.replace("TWIN", twin_equality));
        for seed in 0..40 {
            let events = random_logins(seed, 30 + seed as usize * 3);
            // Rules of other names may order detections of the same time differently.
            let contents = |detections: Vec<Detection>| {
                let mut contents: Vec<String> =
                    detections.iter().map(|d| detection_content(d).to_string()).collect();
                contents.sort();
                contents
            };
            let covered = contents(run(&covered, events.clone()));
            let paired = contents(run(&paired, events));
            assert_eq!(covered, paired, "seed {seed}:\n{rule}");
            detections += covered.len();
        }
    }
    // The events must make the rules fire, or the comparison shows nothing.
    assert!(detections > 100, "only {detections} detections");
}

#[test]
fn covered_join_keeps_every_row() {
    // 2,000 failures and 150 successes from one address in one window: four times the
    // tuples the engine keeps when it pairs every failure with every success.
    let events: Vec<Arc<Event>> = (0..2_150)
        .map(|i| {
            let action = if i % 14 == 0 { "ALLOW" } else { "BLOCK" };
            event(json!({
                "metadata": {
                    "event_timestamp": format!("2025-01-01T00:{:02}:{:02}.{:03}Z",
                        i / 600, i / 10 % 60, i % 10 * 100),
                    "event_type": "USER_LOGIN",
                    "product_log_id": format!("e{i}"),
                },
                "principal": {"ip": ["198.51.100.7"]},
                "target": {"user": {"userid": format!("u{i}")}},
                "security_result": [{"action": [action]}],
            }))
        })
        .collect();
    let rule = compile(&COVERED_RULES[0].replace("TWIN", ""));
    let detections = run(&rule, events);
    assert_eq!(detections.len(), 1);
    let outcome =
        |name: &str| detections[0].outcomes.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(outcome("failed_users"), Some(udm::Value::Int(1_996)));
    assert_eq!(outcome("failures"), Some(udm::Value::Int(1_996)));
    let ok_users = outcome("ok_users");
    assert!(
        matches!(&ok_users, Some(udm::Value::List(users)) if users.len() == 25),
        "{ok_users:?}"
    );
}

/// Compiles `text` against entity records given as UDM `Entity` JSON.
fn compile_with_entities(text: &str, records: &[serde_json::Value]) -> Rule {
    let mut entities = engine::Entities::new();
    for record in records {
        entities.push(udm::json::entity_from_json(record).expect("a valid Entity"));
    }
    let ctx = Context { entities: Arc::new(entities), ..Context::default() };
    compile_in(text, &ctx)
}

fn process_launch(id: &str, time: &str, host: &str, sha256: &str) -> Arc<Event> {
    event(json!({
        "metadata": {"event_timestamp": time, "event_type": "PROCESS_LAUNCH", "product_log_id": id},
        "principal": {"hostname": host},
        "target": {"process": {"file": {"sha256": sha256}}},
    }))
}

/// A rule joins a hash feed through a placeholder or a field equality, and matches on a host
/// that no record has. It keeps only the events that some record can join.
#[test]
fn entity_join_keeps_only_joinable_events() {
    let through_placeholder = r#"
rule known_bad_hash {
  events:
    $p.metadata.event_type = "PROCESS_LAUNCH"
    $p.principal.hostname = $host
    $p.target.process.file.sha256 = $hash
    $ioc.graph.entity.file.sha256 = $hash
  match:
    $host over 5m
  condition:
    $p and $ioc
}
"#;
    let through_field = r#"
rule known_bad_hash {
  events:
    $p.metadata.event_type = "PROCESS_LAUNCH"
    $p.principal.hostname = $host
    $ioc.graph.entity.file.sha256 = $p.target.process.file.sha256
  match:
    $host over 5m
  condition:
    $p and $ioc
}
"#;
    let records: Vec<serde_json::Value> = (0..1000)
        .map(|i| {
            json!({
                "metadata": {"product_entity_id": format!("ioc-{i}"), "entity_type": "FILE"},
                "entity": {"file": {"sha256": format!("bad-{i}")}},
            })
        })
        .collect();
    for text in [through_placeholder, through_field] {
        let rule = compile_with_entities(text, &records);
        let mut engine = Engine::new(vec![rule]);
        let mut found = Vec::new();
        for i in 0..50 {
            let id = format!("clean-{i}");
            found.extend(engine.push(process_launch(&id, &at(i), "ws-1", &format!("good-{i}"))));
        }
        found.extend(engine.push(process_launch("hit", &at(50), "ws-1", "bad-7")));
        assert_eq!(engine.state_size(), 1, "rows kept for events no record joins");

        found.extend(engine.finish());
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(ids(&found[0]).len(), 2, "{found:#?}");
        assert!(ids(&found[0]).contains(&"hit".to_owned()), "{found:#?}");
    }
}

/// `count`, `sum`, `max` and `min` over joined tuples that repeat rows, repeated-field copies,
/// list values, missing fields, mixed integers and floats, and totals past `u64::MAX`.
#[test]
fn count_sum_max_min_over_joined_rows() {
    let rule = compile(
        r#"
rule edge {
  events:
    $a.metadata.event_type = "USER_LOGIN"
    $a.target.user.userid = $user
    $a.principal.ip = $ip
    $b.metadata.event_type = "USER_LOGOUT"
    $b.target.user.userid = $user
  match:
    $user over 10m
  outcome:
    $copies = count($a.metadata.product_log_id)
    $hosts = count($a.principal.hostname)
    $parts = count(strings.split($a.principal.hostname, "-"))
    $ports = count($a.about.port)
    $sent = sum($a.network.sent_bytes)
    $mixed = sum(if($a.network.sent_bytes > 0, $a.network.sent_bytes, 0.5))
    $received = sum($b.network.received_bytes)
    $most_port = max($a.about.port)
    $least_port = min($a.about.port)
    $least_received = min($b.network.received_bytes)
    $most_sent = max($a.network.sent_bytes)
    $no_port = max($a.target.port)
    $pairs = count(strings.concat($a.metadata.product_log_id, $b.metadata.product_log_id))
    $both = sum($a.network.sent_bytes + $b.network.received_bytes)
  condition:
    $a and $b and $copies >= 3
}
"#,
    );
    let user = "alice";
    let events = vec![
        event(json!({
            "metadata": {"event_timestamp": "2025-01-01T00:00:10Z", "event_type": "USER_LOGIN",
                         "product_log_id": "a1"},
            "target": {"user": {"userid": user}},
            "about": [{"port": 443}, {"port": 22}, {"port": 8080}],
            "principal": {"ip": ["192.168.0.1", "192.168.0.2"], "hostname": "h-1-x"},
            "network": {"sent_bytes": 7},
        })),
        event(json!({
            "metadata": {"event_timestamp": "2025-01-01T00:00:20Z", "event_type": "USER_LOGIN",
                         "product_log_id": "a2"},
            "target": {"user": {"userid": user}},
            "principal": {"ip": ["192.168.0.3"]},
        })),
        event(json!({
            "metadata": {"event_timestamp": "2025-01-01T00:00:30Z", "event_type": "USER_LOGOUT",
                         "product_log_id": "b1"},
            "target": {"user": {"userid": user}},
            "network": {"received_bytes": 18_446_744_073_709_551_615_u64},
        })),
        event(json!({
            "metadata": {"event_timestamp": "2025-01-01T00:00:40Z", "event_type": "USER_LOGOUT",
                         "product_log_id": "b2"},
            "target": {"user": {"userid": user}},
            "network": {"received_bytes": 5},
        })),
    ];
    let found = run(&rule, events);
    assert_eq!(found.len(), 1, "{found:#?}");
    let outcome = |name: &str| {
        found[0]
            .outcomes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no outcome {name}"))
    };
    use udm::Value;
    // The login a1 has two principal IPs and three `about` nouns, so six copies, and a2 has one.
    // Each copy joins both logouts, so every row of $a appears in two tuples.
    assert_eq!(outcome("copies"), Value::Int(7));
    assert_eq!(outcome("hosts"), Value::Int(7));
    // A list value contributes each element: three parts for each copy of a1, one for a2.
    assert_eq!(outcome("parts"), Value::Int(19));
    assert_eq!(outcome("ports"), Value::Int(7));
    // The missing sent_bytes of a2 reads as 0.
    assert_eq!(outcome("sent"), Value::Int(42));
    assert_eq!(outcome("mixed"), Value::Float(42.5));
    // A total past u64::MAX becomes a float.
    assert_eq!(outcome("received"), Value::Float(u64::MAX as f64 + 5.0));
    assert_eq!(outcome("most_port"), Value::Int(8080));
    assert_eq!(outcome("least_port"), Value::Int(0));
    assert_eq!(outcome("least_received"), Value::Uint(5));
    assert_eq!(outcome("most_sent"), Value::Uint(7));
    assert_eq!(outcome("no_port"), Value::Int(0));
    // An aggregate over both variables counts each distinct pair of rows once.
    assert_eq!(outcome("pairs"), Value::Int(14));
    assert_eq!(outcome("both"), Value::Float(1.2912720851596686e20));
}

#[test]
fn shared_list_tests_stay_per_rule() {
    let mut lists = enrich::ReferenceLists::new();
    let (users, problems) =
        enrich::ReferenceList::from_text("USERS", enrich::ListKind::String, "alice\n", "USERS.txt");
    assert!(problems.is_empty(), "{problems:?}");
    lists.insert(users);
    let ctx = Context { lists: Arc::new(lists), ..Context::default() };

    let rule = |name: &str, test: &str| {
        let text = format!(
            "rule {name} {{\n  events:\n    $e.metadata.event_type = \"USER_LOGIN\"\n    {test}\n  \
             condition:\n    $e\n}}\n"
        );
        compile_in(&text, &ctx)
    };
    let rules = vec![
        rule("any_case", "$e.target.user.userid in %USERS nocase"),
        rule("exact_case", "$e.target.user.userid in %users"),
        rule("not_any_case", "not $e.target.user.userid in %USERS nocase"),
        rule("pattern", "$e.target.user.userid in regex %USERS"),
    ];

    let events = vec![
        login("upper", "2025-01-01T00:00:00Z", "ALICE"),
        login("longer", "2025-01-01T00:01:00Z", "malice"),
    ];
    let prefilter = engine::Prefilter::new(&rules);
    let fired = |found: Vec<serde_json::Value>| -> Vec<String> {
        let mut fired: Vec<String> = found
            .iter()
            .map(|d| {
                format!(
                    "{} {}",
                    d["rule"]["name"].as_str().unwrap_or(""),
                    d["events"]["e"][0]["metadata"]["product_log_id"].as_str().unwrap_or("")
                )
            })
            .collect();
        fired.sort();
        fired
    };

    let expected = vec!["any_case upper", "not_any_case longer", "pattern longer"];
    let mut engine = Engine::new(rules.clone()).with_prefilter(&prefilter);
    assert_eq!(fired(run_with_verdicts(&mut engine, &prefilter, &events)), expected);
    let mut engine = Engine::new(rules);
    assert_eq!(fired(run_plain(&mut engine, &events)), expected);
}
