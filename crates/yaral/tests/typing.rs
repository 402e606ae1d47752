//! The type checks accept what Google SecOps documents as valid, its leniencies included:
//! each rule here compiles in the strict dialect without an error.

use yaral::{compile, render, CheckOptions, Severity, SourceFile};

fn errors(name: &str, text: &str) -> Vec<String> {
    let source = SourceFile::new(format!("{name}.yaral"), text);
    let output = compile(&source, &CheckOptions { strict: true, ..CheckOptions::default() });
    let mut all = output.diagnostics.clone();
    all.extend(output.rejected.iter().flat_map(|r| r.diagnostics.iter().cloned()));
    all.extend(output.compiled.iter().flat_map(|r| r.diagnostics.iter().cloned()));
    all.iter().filter(|d| d.severity == Severity::Error).map(|d| render(d, &source)).collect()
}

/// Builds a single-event rule with these `events:` lines.
fn events(lines: &str) -> String {
    format!(
        "rule r {{\n  meta:\n    author = \"a\"\n  events:\n{lines}\n  condition:\n    $e\n}}\n"
    )
}

/// Builds a rule that matches on `$host` over one hour, with these outcomes and condition.
fn outcome(lines: &str, condition: &str) -> String {
    format!(
        "rule r {{\n  meta:\n    author = \"a\"\n  events:\n    $e.principal.hostname = $host\n  match:\n    $host over 1h\n  outcome:\n{lines}\n  condition:\n    {condition}\n}}\n"
    )
}

#[test]
fn leniencies_accepted() {
    let cases = [
        ("concat_joins_numbers", events("    strings.concat($e.target.port, \"\") in %ports")),
        ("concat_joins_floats", events("    strings.concat($e.principal.hostname, 1.5) = \"h1.5\"")),
        ("cast_takes_strings", events("    cast.as_int($e.principal.hostname) > 3")),
        ("cast_takes_numbers", events("    cast.as_string($e.target.port) = \"443\"")),
        ("cast_bool_of_int", events("    cast.as_bool($e.target.port)")),
        ("enum_against_string_call", events("    $e.metadata.event_type = strings.to_upper($e.principal.hostname)")),
        ("enum_as_regex_subject", events("    re.regex($e.metadata.event_type, `^USER_`)")),
        ("enum_placeholder_known_value", events("    $type = $e.metadata.event_type\n    $type = \"USER_LOGIN\"")),
        ("bytes_as_string", events("    strings.length($e.metadata.id) > 0")),
        ("placeholder_of_seconds", events("    $seconds = $e.metadata.event_timestamp.seconds\n    timestamp.get_hour($seconds, \"UTC\") < 7")),
        ("placeholder_of_string", events("    $host = $e.principal.hostname\n    strings.length($host) > 3")),
        ("placeholder_from_call", events("    $lower = strings.to_lower($e.principal.hostname)\n    $lower = \"web\"")),
        ("capture_compared", events("    re.capture($e.principal.hostname, `^(\\w+)`) = \"web\"")),
        ("length_of_repeated", events("    arrays.length($e.principal.ip) > 1")),
        ("length_of_single", events("    arrays.length($e.principal.hostname) = 1")),
        ("index_of_split", events("    arrays.index_to_str(strings.split($e.principal.hostname, \".\"), 0) = \"www\"")),
        ("cidr_on_repeated", events("    net.ip_in_range_cidr(any $e.principal.ip, \"10.0.0.0/8\")")),
        ("arithmetic_on_seconds", events("    $e.metadata.event_timestamp.seconds % 60 = 0")),
        ("float_field_ordering", events("    $e.security_result.risk_score > 0.5")),
        ("number_literal_order", events("    1024 < $e.target.port")),
        ("if_in_events", events("    $ip = if($e.target.ip != \"\", $e.target.ip, \"none\")")),
        ("if_mixes_int_and_float", outcome("    $score = max(if($e.target.port = 443, 1, 2.5))", "$e")),
        ("if_without_else_numeric", outcome("    $score = max(if($e.target.port = 443, 10))", "$e")),
        ("sum_of_arithmetic", outcome("    $bytes = sum(1024 + $e.network.sent_bytes)", "$e and $bytes > 0")),
        ("count_of_anything", outcome("    $ids = count($e.metadata.id)", "$e and $ids > 5")),
        ("outcome_list_contains", outcome("    $ips = array_distinct($e.principal.ip)", "$e and arrays.contains($ips, \"10.0.0.1\")")),
        ("outcome_string_equality", outcome("    $first = window.mode($e.principal.ip)", "$e and $first != \"\"")),
        ("earlier_outcome_arithmetic", outcome("    $a = count($e.metadata.id)\n    $b = max(2)\n    $total = $a + $b", "$e and $total >= 3")),
        ("risk_score_from_if", outcome("    $risk_score = max(if($e.target.port = 22, 80, 40))", "$e")),
        ("earliest_timestamp", outcome("    $first = earliest($e.metadata.event_timestamp)", "$e")),
        ("window_range_list", outcome("    $range = window.range($e.network.sent_bytes)", "$e")),
        ("count_in_condition", outcome("    $n = count($e.metadata.id)", "#e > 5 and $n < 100")),
        ("metrics_in_aggregate", outcome("    $fails = max(metrics.auth_attempts_fail(period:1d, window:30d, metric:value_sum, agg:max, principal.hostname:$host))", "$e and $fails > 10")),
    ];
    for (name, text) in cases {
        let found = errors(name, &text);
        assert!(found.is_empty(), "{name}:\n{}", found.join("\n"));
    }
}

#[test]
fn mismatches_rejected() {
    // Each case comes with a fragment of the message it must produce.
    let cases = [
        (
            "placeholder_literal",
            events("    $port = $e.target.port\n    $port = \"80\""),
            "`$port` is an integer but is compared with a string",
        ),
        (
            "placeholder_argument",
            events("    $port = $e.target.port\n    strings.to_lower($port) = \"80\""),
            "argument 1 of `strings.to_lower` must be a string",
        ),
        (
            "field_argument",
            events("    strings.to_lower($e.target.port) = \"80\""),
            "but `$e.target.port` is an integer",
        ),
        (
            "cidr_of_seconds",
            events("    net.ip_in_range_cidr($e.metadata.event_timestamp.seconds, \"10.0.0.0/8\")"),
            "argument 1 of `net.ip_in_range_cidr` must be a string",
        ),
        (
            "hour_of_hostname",
            events("    timestamp.get_hour($e.principal.hostname) = 1"),
            "argument 1 of `timestamp.get_hour` must be an integer",
        ),
        (
            "abs_of_string",
            events("    $e.principal.hostname = \"h\"\n    math.abs(\"x\") > 1"),
            "argument 1 of `math.abs` must be a number",
        ),
        (
            "length_against_string",
            events("    strings.length($e.principal.hostname) = \"3\""),
            "`strings.length(...)` is an integer but is compared with a string",
        ),
        (
            "concat_of_boolean",
            events("    strings.concat($e.principal.hostname, true) = \"x\""),
            "argument 2 of `strings.concat` must be a string or a number",
        ),
        (
            "cast_of_list",
            events("    cast.as_int(strings.split($e.principal.hostname)) = 1"),
            "argument 1 of `cast.as_int` must be a single value",
        ),
        (
            "lower_of_placeholder_call",
            events(
                "    $n = strings.length($e.principal.hostname)\n    strings.to_lower($n) = \"x\"",
            ),
            "but `$n` is an integer",
        ),
        (
            "regex_of_number",
            events("    $port = $e.target.port\n    $port = /44/"),
            "a regex can only match a string",
        ),
        (
            "index_is_float",
            events("    arrays.index_to_str($e.principal.ip, 1.5) = \"x\""),
            "argument 2 of `arrays.index_to_str` must be an integer",
        ),
        (
            "list_needed",
            events("    arrays.length(\"x\") > 1\n    $e.principal.hostname = \"h\""),
            "argument 1 of `arrays.length` must be a list",
        ),
        (
            "branch_types",
            outcome("    $x = max(if($e.target.port = 1, 1, \"a\"))", "$e"),
            "the branches of `if` must have one type",
        ),
        (
            "count_against_string",
            outcome("    $n = count($e.metadata.id)", "$e and #e = \"5\""),
            "`#e` is an integer but is compared with a string",
        ),
    ];
    for (name, text, expected) in cases {
        let found = errors(name, &text);
        assert!(
            found.iter().any(|e| e.contains(expected)),
            "{name}: expected {expected:?} in:\n{}",
            found.join("\n")
        );
    }
}
