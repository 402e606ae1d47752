//! Snapshot tests of the compiler's diagnostics, one small rule per check.
//!
//! Each case compiles a rule written for the test and pins the full rendered output:
//! message, `file:line:col`, source line, caret and help line. Review a changed snapshot with
//! `cargo insta review`, or rerun with `INSTA_UPDATE=always` and read the diff.

use yaral::{compile, render, render_json, CheckOptions, Diagnostic, SourceFile};

fn diagnostics(source: &SourceFile, options: &CheckOptions) -> Vec<Diagnostic> {
    let output = compile(source, options);
    let mut all: Vec<Diagnostic> = output.diagnostics.clone();
    all.extend(output.rejected.iter().flat_map(|r| r.diagnostics.iter().cloned()));
    all.extend(output.compiled.iter().flat_map(|r| r.diagnostics.iter().cloned()));
    all.sort_by_key(|d| (d.span.start, d.span.end));
    all
}

fn rendered(name: &str, text: &str, options: &CheckOptions) -> String {
    let source = SourceFile::new(format!("{name}.yaral"), text);
    let found = diagnostics(&source, options);
    assert!(!found.is_empty(), "{name}: no diagnostic");
    found.iter().map(|d| render(d, &source)).collect::<Vec<_>>().join("\n")
}

fn check(name: &str, text: &str) -> String {
    rendered(name, text, &CheckOptions::default())
}

fn check_strict(name: &str, text: &str) -> String {
    rendered(name, text, &CheckOptions { strict: true, ..CheckOptions::default() })
}

/// Wraps `events` in a rule with a `meta:` section and the condition `$e`.
fn with_events(events: &str) -> String {
    format!(
        "rule r {{\n  meta:\n    author = \"a\"\n  events:\n{events}\n  condition:\n    $e\n}}\n"
    )
}

macro_rules! snapshot {
    ($name:ident, $text:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(check(stringify!($name), &$text));
        }
    };
    ($name:ident, strict, $text:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(check_strict(stringify!($name), &$text));
        }
    };
}

snapshot!(
    section_order,
    "rule r {\n  events:\n    $e.metadata.event_type = \"USER_LOGIN\"\n  meta:\n    author = \"a\"\n  condition:\n    $e\n}\n"
);
snapshot!(
    setup_not_supported,
    "rule r {\n  meta:\n    author = \"a\"\n  setup:\n    graph_override ($g.graph.entity.ip = %t.ip)\n  events:\n    $e.metadata.event_type = \"USER_LOGIN\"\n  condition:\n    $e\n}\n"
);
snapshot!(
    unknown_setup_and_export_operations,
    "rule r {\n  meta:\n    author = \"a\"\n  setup:\n    graph_merge ($g.graph.entity.ip = %t.ip)\n  events:\n    $e.principal.hostname = $host\n  match:\n    $host over 1h\n  condition:\n    $e\n  export:\n    %t.append_row(host: $host)\n}\n"
);
snapshot!(
    undefined_variable,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.metadata.event_type = \"USER_LOGIN\"\n  condition:\n    $e and $nothing\n}\n"
);
snapshot!(
    undefined_variable_compared,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.metadata.event_type = \"USER_LOGIN\"\n  condition:\n    $e and $nothing = \"x\"\n}\n"
);
snapshot!(
    match_variable_compared_in_condition,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.hostname = $host\n  match:\n    $host over 1h\n  condition:\n    $e and $host = \"x\"\n}\n"
);
snapshot!(unbound_placeholder, with_events("    $e.principal.hostname != $host"));
snapshot!(
    unjoined_event_variables,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $a.metadata.event_type = \"USER_LOGIN\"\n    $b.metadata.event_type = \"USER_LOGOUT\"\n    $a.principal.user.userid = $user\n  match:\n    $user over 1h\n  condition:\n    $a and $b\n}\n"
);
snapshot!(unknown_field, with_events("    $e.principal.hostnme = \"x\""));
snapshot!(noun_inside_noun, with_events("    $e.principal.target.file.full_path = \"x\""));
snapshot!(type_mismatch, with_events("    $e.target.port = \"443\""));
snapshot!(field_type_mismatch, with_events("    $e.target.port = $e.principal.hostname"));
snapshot!(unknown_enum_value, with_events("    $e.metadata.event_type = \"LOGIN\""));
snapshot!(nocase_on_enum, with_events("    $e.metadata.event_type = \"USER_LOGIN\" nocase"));
snapshot!(any_on_scalar, with_events("    any $e.principal.hostname = \"x\""));
snapshot!(all_in_assignment, "rule r {\n  meta:\n    author = \"a\"\n  events:\n    all $e.principal.ip = $ip\n  condition:\n    $e\n}\n");
snapshot!(
    outcome_without_aggregate,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.hostname = $host\n  match:\n    $host over 5m\n  outcome:\n    $user = $e.principal.user.userid\n  condition:\n    $e\n}\n"
);
snapshot!(
    outcome_repeated_without_match,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.metadata.event_type = \"USER_LOGIN\"\n  outcome:\n    $ips = $e.principal.ip\n  condition:\n    $e\n}\n"
);
snapshot!(
    nested_aggregate,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.hostname = $host\n  match:\n    $host over 5m\n  outcome:\n    $n = max(count($e.metadata.id))\n  condition:\n    $e\n}\n"
);
snapshot!(
    unbounded_only,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.hostname = $host\n  match:\n    $host over 5m\n  condition:\n    !$e\n}\n"
);
snapshot!(
    or_with_unbounded,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $a.principal.hostname = $host\n    $b.principal.hostname = $host\n  match:\n    $host over 5m\n  condition:\n    $a or !$b\n}\n"
);
snapshot!(
    too_many_outcomes,
    format!(
        "rule r {{\n  meta:\n    author = \"a\"\n  events:\n    $e.metadata.event_type = \"USER_LOGIN\"\n  outcome:\n{}  condition:\n    $e\n}}\n",
        (0..21).map(|i| format!("    $o{i} = {i}\n")).collect::<String>()
    )
);
snapshot!(
    window_too_long,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.hostname = $host\n  match:\n    $host over 3d\n  condition:\n    $e\n}\n"
);
snapshot!(
    window_in_seconds,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.hostname = $host\n  match:\n    $host over 30s\n  condition:\n    $e\n}\n"
);
snapshot!(
    function_nesting,
    with_events(&format!(
        "    {}$e.principal.hostname{} = \"x\"",
        "strings.to_lower(".repeat(21),
        ")".repeat(21)
    ))
);
snapshot!(regex_look_ahead, with_events("    $e.principal.hostname = /host(?=-prod)/"));
snapshot!(regex_back_reference, with_events("    re.regex($e.principal.hostname, `(a)\\1`)"));
snapshot!(double_equals, with_events("    $e.principal.hostname == \"x\""));
snapshot!(nocase_on_cidr, with_events("    $e.principal.ip in cidr %nets nocase"));
snapshot!(
    several_errors_recovered,
    "rule first {\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.hostname = = \"x\"\n  match:\n    $host over\n  condition:\n    $e\n}\n\nrule second {\n  events:\n    $e.metadata.event_type = \"LOGIN\"\n  condition:\n    $e\n}\n"
);
snapshot!(
    misspelled_condition_header,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.metadata.event_type = \"USER_LOGIN\"\n  conditon:\n    $e\n}\n"
);
snapshot!(
    misspelled_events_header,
    "rule r {\n  meta:\n    author = \"a\"\n  evnts:\n    $e.metadata.event_type = \"USER_LOGIN\"\n  condition:\n    $e\n}\n"
);
snapshot!(strict_coalesce, strict, with_events("    $h = coalesce($e.principal.hostname, \"\")"));
snapshot!(
    strict_ip_to_asn,
    strict,
    with_events("    strings.concat(ip_to_asn($e.principal.ip), \"\") in %asns")
);
snapshot!(strict_literal_list, strict, with_events("    $e.principal.hostname in (\"a\", \"b\")"));
snapshot!(
    strict_missing_meta,
    strict,
    "rule r {\n  events:\n    $e.metadata.event_type = \"USER_LOGIN\"\n  condition:\n    $e\n}\n"
);
snapshot!(strict_unary_minus, strict, with_events("    $e.target.port > -1"));

/// Wraps `outcome` in a rule that matches on `$ip` over one hour.
fn with_outcome(outcome: &str) -> String {
    format!(
        "rule r {{\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.ip = $ip\n  match:\n    $ip over 1h\n  outcome:\n{outcome}\n  condition:\n    $e\n}}\n"
    )
}

snapshot!(
    metrics_window_mismatch,
    with_outcome(
        "    $fails = max(metrics.auth_attempts_fail(period:1h, window:30d, metric:value_sum, agg:max, principal.asset.ip:$ip))"
    )
);
snapshot!(
    metrics_missing_argument,
    with_outcome("    $fails = max(metrics.auth_attempts_fail(period:1d, window:30d, agg:max, principal.asset.ip:$ip))")
);
snapshot!(
    metrics_not_aggregated,
    with_outcome(
        "    $fails = metrics.auth_attempts_fail(period:1d, window:30d, metric:value_sum, agg:max, principal.asset.ip:$ip)"
    )
);
snapshot!(
    metrics_in_events,
    with_events(
        "    $e.principal.hostname = \"h\"\n    metrics.auth_attempts_fail(period:1d, window:30d, metric:value_sum, agg:max, principal.hostname:\"h\") > 3"
    )
);

snapshot!(
    placeholder_compared_with_string,
    with_events("    $port = $e.target.port\n    $port = \"80\"")
);
snapshot!(
    placeholder_as_function_argument,
    with_events("    $port = $e.target.port\n    strings.to_lower($port) = \"80\"")
);
snapshot!(function_argument_type, with_events("    strings.to_lower($e.target.port) = \"443\""));
snapshot!(
    cidr_on_integer,
    with_events("    net.ip_in_range_cidr($e.metadata.event_timestamp.seconds, \"10.0.0.0/8\")")
);
snapshot!(hour_of_string, with_events("    timestamp.get_hour($e.principal.hostname) = 3"));
snapshot!(
    hour_of_timestamp,
    with_events("    timestamp.get_hour($e.metadata.event_timestamp) = 3")
);
snapshot!(abs_of_string, with_events("    $e.principal.hostname = \"h\"\n    math.abs(\"x\") > 3"));
snapshot!(
    abs_of_placeholders_from_two_events,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $a.principal.user.userid = $user\n    $b.principal.user.userid = $user\n    $start = $a.metadata.event_timestamp.seconds\n    $end = $b.metadata.event_timestamp.seconds\n    math.abs($end - $start) < 300\n  match:\n    $user over 1h\n  condition:\n    $a and $b\n}\n"
);
snapshot!(
    abs_of_two_events_in_outcome,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $a.principal.user.userid = $user\n    $b.principal.user.userid = $user\n  match:\n    $user over 1h\n  outcome:\n    $gap = max(math.abs($b.metadata.event_timestamp.seconds - $a.metadata.event_timestamp.seconds))\n  condition:\n    $a and $b\n}\n"
);
snapshot!(return_type_mismatch, with_events("    strings.length($e.principal.hostname) = \"3\""));
snapshot!(
    list_as_string_argument,
    with_events("    strings.to_lower(strings.split($e.principal.hostname)) = \"a\"")
);
snapshot!(
    enum_placeholder_value,
    with_events("    $type = $e.metadata.event_type\n    $type = \"LOGIN\"")
);
snapshot!(
    join_type_mismatch,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $a.target.port = $key\n    $b.principal.hostname = $key\n  match:\n    $key over 1h\n  condition:\n    $a and $b\n}\n"
);
snapshot!(placeholder_of_timestamp, with_events("    $time = $e.metadata.event_timestamp"));
snapshot!(nocase_on_number, with_events("    $e.target.port = 443 nocase"));
snapshot!(regex_ordering, with_events("    $e.principal.hostname > /web/"));
snapshot!(arithmetic_on_string, with_events("    $e.principal.hostname + 1 > 2"));
snapshot!(remainder_of_float, with_events("    $e.target.port % 2.5 = 1"));
snapshot!(predicate_not_condition, with_events("    strings.to_lower($e.principal.hostname)"));
snapshot!(in_list_of_number, with_events("    strings.length($e.principal.hostname) in %lengths"));
snapshot!(if_branch_types, with_outcome("    $score = max(if($e.target.port = 443, 10, \"low\"))"));
snapshot!(
    if_condition_not_boolean,
    with_outcome("    $score = max(if($e.principal.hostname, 10, 0))")
);
snapshot!(
    if_string_without_else,
    with_outcome("    $names = array_distinct(if($e.target.port = 443, $e.principal.hostname))")
);
snapshot!(max_of_string, with_outcome("    $last = max($e.principal.hostname)"));
snapshot!(
    risk_score_not_number,
    with_outcome("    $risk_score = array_distinct($e.principal.hostname)")
);
snapshot!(
    timestamp_outcome,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.metadata.event_type = \"USER_LOGIN\"\n  outcome:\n    $time = $e.metadata.event_timestamp\n  condition:\n    $e\n}\n"
);
snapshot!(
    outcome_compared_with_string,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.ip = $ip\n  match:\n    $ip over 1h\n  outcome:\n    $logins = count($e.metadata.id)\n  condition:\n    $e and $logins > \"5\"\n}\n"
);
snapshot!(
    outcome_string_ordering,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.metadata.event_type = \"USER_LOGIN\"\n  outcome:\n    $host = $e.principal.hostname\n  condition:\n    $e and $host > \"m\"\n}\n"
);
snapshot!(
    list_outcome_compared,
    with_outcome("    $ips = array_distinct($e.principal.ip)")
        .replace("    $e\n}", "    $e and $ips = \"10.0.0.1\"\n}")
);
snapshot!(
    contains_wrong_element,
    with_outcome("    $ports = array_distinct($e.target.port)")
        .replace("    $e\n}", "    $e and arrays.contains($ports, \"443\")\n}")
);

snapshot!(
    search_section_in_rule,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.hostname = $host\n  match:\n    $host over 1h\n  outcome:\n    $n = count($e.metadata.id)\n  condition:\n    $e\n  order:\n    $n desc\n  limit:\n    10\n}\n"
);
snapshot!(
    composite_without_match,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $d.detection.detection.rule_name = \"brute_force\"\n  condition:\n    $d\n}\n"
);
snapshot!(
    or_mixes_udm_and_entities,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.hostname = $host\n    $g.graph.entity.hostname = $host\n  match:\n    $host over 1h\n  condition:\n    $e or $g\n}\n"
);
snapshot!(
    strict_table_lookup_with_and,
    strict,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.hostname = $host\n    $e.principal.hostname in %hosts.name and $e.target.ip in %hosts.ip\n  match:\n    $host over 1h\n  condition:\n    $e\n}\n"
);
snapshot!(
    strict_table_lookup_beside_comparison,
    strict,
    "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.hostname = $host\n    ($e.principal.hostname = \"web\" or $e.principal.hostname in %hosts.name)\n  match:\n    $host over 1h\n  condition:\n    $e\n}\n"
);

#[test]
fn table_lookups_joined_by_or() {
    let text = "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.hostname = $host\n    $e.principal.hostname in %hosts.name or not ($e.target.ip in %hosts.ip)\n    $e.target.port = 443\n  match:\n    $host over 1h\n  condition:\n    $e\n}\n";
    let source = SourceFile::new("lookups.yaral", text);
    let found = diagnostics(&source, &CheckOptions { strict: true, ..CheckOptions::default() });
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn functions_engine_cannot_run_compile() {
    let text = with_events(
        "    hash.fingerprint2011($e.principal.hostname) > 2\n    optimization.sample_rate($e.principal.hostname, 1, 100)",
    );
    let source = SourceFile::new("unrunnable.yaral", text);
    let found = diagnostics(&source, &CheckOptions { strict: true, ..CheckOptions::default() });
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn too_many_logical_operators() {
    let text = with_events(
        "    $e.principal.hostname = \"a\" or $e.principal.hostname = \"b\"\n    $e.target.port = 443",
    );
    let options = CheckOptions { max_logical_operators: 1, ..CheckOptions::default() };
    insta::assert_snapshot!(rendered("too_many_logical_operators", &text, &options));
}

#[test]
fn in_limits_of_2025() {
    let text = with_events(
        "    $e.principal.ip in cidr %a\n    $e.target.ip in cidr %b\n    $e.src.ip in cidr %c",
    );
    let options = CheckOptions {
        strict: true,
        max_in_lists: 7,
        max_in_regex_lists: 4,
        max_in_cidr_lists: 2,
        ..CheckOptions::default()
    };
    insta::assert_snapshot!(rendered("in_limits_of_2025", &text, &options));
}

#[test]
fn regex_literal_quotes_accepted() {
    let text = with_events(concat!(
        "    $e.principal.hostname = /^\\Qa.b*\\E$/\n",
        "    re.regex($e.target.hostname, `\\Q(?=x)\\E|\\Q\\1\\E|x\\Q[`)\n",
        "    re.capture($e.src.hostname, `\\Q(a)\\E(b)`) = \"b\"\n",
        "    re.replace($e.about.hostname, \"\\\\Q.\\\\E\", \"-\") = \"a-b\"",
    ));
    let source = SourceFile::new("quotes.yaral", text);
    let found = diagnostics(&source, &CheckOptions::default());
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn regex_literal_quote_in_class_rejected() {
    let text = with_events("    $e.principal.hostname = /[\\Q.]/");
    let source = SourceFile::new("quote_in_class.yaral", text);
    let found = diagnostics(&source, &CheckOptions::default());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("invalid regex"), "{}", found[0].message);
}

#[test]
fn regex_look_ahead_after_quote_rejected() {
    let text = with_events("    re.regex($e.principal.hostname, `\\Q(?=\\E(?=x)`)");
    let source = SourceFile::new("look_ahead.yaral", text);
    let found = diagnostics(&source, &CheckOptions::default());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.contains("look-ahead"), "{}", found[0].message);
}

#[test]
fn metrics_call_compiles() {
    let text = with_outcome(
        "    $fails = max(metrics.auth_attempts_fail(period:1d, window:30d, metric:value_sum, agg:max, principal.asset.ip:$ip))\n    $today = max(metrics.network_bytes_outbound(period:1h, window:today, metric:event_count_sum, agg:sum, principal.asset.ip:$ip))",
    );
    let source = SourceFile::new("metrics.yaral", text);
    let found = diagnostics(&source, &CheckOptions { strict: true, ..CheckOptions::default() });
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn default_dialect_accepts_extensions() {
    let text = with_events(
        "    $h = coalesce($e.principal.hostname, \"\")\n    $e.principal.hostname in (\"a\", \"b\")\n    strings.concat(ip_to_asn($e.principal.ip), \"\") in %asns",
    );
    let source = SourceFile::new("extensions.yaral", text);
    let output = compile(&source, &CheckOptions::default());
    assert_eq!(output.compiled.len(), 1, "{:?}", output.rejected);
}

#[test]
fn json_form_has_positions() {
    let source =
        SourceFile::new("json.yaral", with_events("    $e.metadata.event_type = \"LOGIN\""));
    let found = diagnostics(&source, &CheckOptions::default());
    let lines: Vec<String> = found.iter().map(|d| render_json(d, &source)).collect();
    insta::assert_snapshot!(lines.join("\n"));
}

/// Returns a rule over three event variables with the given condition.
fn three_variables(condition: &str) -> String {
    format!(
        "rule r {{\n  meta:\n    author = \"a\"\n  events:\n    $a.principal.ip = $ip\n    \
         $b.principal.ip = $ip\n    $c.principal.ip = $ip\n  match:\n    $ip over 5m\n  \
         condition:\n    {condition}\n}}\n"
    )
}

#[test]
fn n_of_list_may_name_three_variables() {
    let source = SourceFile::new("n_of.yaral", three_variables("2 of [$a, $b, $c]"));
    let output = compile(&source, &CheckOptions::default());
    assert_eq!(output.compiled.len(), 1, "{:?}", diagnostics(&source, &CheckOptions::default()));
    for or_list in ["ANY OF [$a, $b, $c]", "1 of [$a, $b, $c]", "$a or $b or $c"] {
        let found = check("or_list", &three_variables(or_list));
        assert!(found.contains("may join at most 2 event variables"), "{or_list}: {found}");
    }
}

/// A `name:` argument on its own line, after `(` or `,`, stays an argument even when its name
/// is close to a section name.
#[test]
fn named_arguments_not_headers() {
    let text = "rule r {\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.hostname = $host\n  match:\n    $host over 1h\n  condition:\n    $e\n  export:\n    %t.write_row(\n      event: $host,\n      metta: $host\n    )\n}\n";
    let output = check("named_arguments_not_headers", text);
    assert!(!output.contains("unknown section"), "{output}");
    assert!(output.contains("not supported yet: the `export:` section"), "{output}");
}
