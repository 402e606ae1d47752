//! Formatter unit tests: layout, comments, and idempotence.

use super::format;
use crate::diagnostic::SourceFile;

fn formatted(text: &str) -> String {
    match format(&SourceFile::new("t.yaral", text)) {
        Ok(output) => output,
        Err(errors) => panic!("format failed: {errors:?}"),
    }
}

/// Formats `text`, checks that formatting the result changes nothing, and returns it.
fn stable(text: &str) -> String {
    let once = formatted(text);
    let twice = formatted(&once);
    assert_eq!(once, twice, "formatting is not idempotent");
    once
}

#[test]
fn canonical_layout() {
    let text = "RULE r{META: author=\"a\" EVENTS: $e.metadata.event_type=\"USER_LOGIN\" \
                $e.principal.hostname=$host MATCH: $host OVER 5m OUTCOME: $n=count($e.metadata.id) \
                CONDITION: #e>2 OPTIONS: allow_zero_values=TRUE}";
    let expected = r#"rule r {
  meta:
    author = "a"

  events:
    $e.metadata.event_type = "USER_LOGIN"
    $e.principal.hostname = $host

  match:
    $host over 5m

  outcome:
    $n = count($e.metadata.id)

  condition:
    #e > 2

  options:
    allow_zero_values = true
}
"#;
    assert_eq!(stable(text), expected);
}

#[test]
fn comments_kept_in_place() {
    let text = r#"/* licence */

// about the rule
rule r { // opening
  meta:
    author = "a" // trailing

  // before events
  events:
    // leading
    $e.metadata.event_type = "USER_LOGIN"

    /* block */ $e.principal.hostname != ""
  condition:
    $e
  // before the brace
}
// end of file
"#;
    let expected = r#"/* licence */

// about the rule
rule r { // opening
  meta:
    author = "a" // trailing

  // before events
  events:
    // leading
    $e.metadata.event_type = "USER_LOGIN"

    /* block */
    $e.principal.hostname != ""

  condition:
    $e
  // before the brace
}
// end of file
"#;
    assert_eq!(stable(text), expected);
}

#[test]
fn comment_inside_chain_breaks_it() {
    let text = "rule r { events: ( $e.a.b = 1 or // first\n $e.a.c = 2 ) condition: $e }";
    let output = stable(text);
    assert!(
        output.contains("    (\n        $e.a.b = 1 or // first\n        $e.a.c = 2\n    )\n"),
        "{output}"
    );
}

#[test]
fn comment_after_broken_call_moves_inside() {
    let long = "$e.target.process.parent_process.product_specific_process_id";
    let text = format!(
        "rule r {{ events: $e.a = 1 outcome: $parent_process_product_specific_process_id = array_distinct({long})\n// one\n// two\n\
         = array_distinct($e.b) condition: $e }}"
    );
    let output = stable(&text);
    assert!(
        output.contains(&format!("        {long}\n        // one\n        // two\n    ) = ")),
        "{output}"
    );
}

#[test]
fn long_chains_break_at_operators() {
    let names: Vec<String> =
        (0..8).map(|i| format!("$e.principal.hostname = \"host-number-{i}\"")).collect();
    let text = format!("rule r {{ events: ({}) condition: $e }}", names.join(" or "));
    let output = stable(&text);
    let lines: Vec<&str> = output.lines().collect();
    assert!(lines.contains(&"    ("), "{output}");
    assert!(lines.contains(&"        $e.principal.hostname = \"host-number-0\" or"), "{output}");
    assert!(lines.contains(&"        $e.principal.hostname = \"host-number-7\""), "{output}");
    assert!(lines.iter().all(|line| line.len() <= 100), "{output}");
}

#[test]
fn long_calls_break_arguments() {
    let text = "rule r { events: $e.a = $x match: $x over 1h outcome: $risk = max(if($e.security_result.severity = \"LOW\", 10) + if($e.security_result.severity = \"MEDIUM\", 30) + if($e.security_result.severity = \"HIGH\", 50)) condition: $e }";
    let output = stable(text);
    assert!(output.contains("    $risk = max(\n        if("), "{output}");
    assert!(output.contains(" +\n        if("), "{output}");
}

#[test]
fn literals_round_trip() {
    let text = r#"rule r { events:
        $e.a = "q\"b\\s\n" $e.b = `raw\.` $e.c = /a\/b\.c/ nocase $e.d = 1.0
        $e.e["k\"ey"] = "v" $e.udm.udm.x = 1 $e.graph.entity.ip = "1" $e.f = -2
        $e.g in ("a", "b") nocase $e.h in regex %list nocase $e.i in cidr %t.col
        condition: 2 of [$e, #e > 1, $o = "x"] and window_start > 0 }"#;
    let output = stable(text);
    assert!(output.contains(r#"$e.a = "q\"b\\s\n""#), "{output}");
    assert!(output.contains(r"$e.b = `raw\.`"), "{output}");
    assert!(output.contains(r"$e.c = /a\/b\.c/ nocase"), "{output}");
    assert!(output.contains("$e.d = 1.0"), "{output}");
    assert!(output.contains("$e.udm.udm.x = 1"), "{output}");
    assert!(output.contains("2 of [$e, #e > 1, $o = \"x\"]"), "{output}");
}

#[test]
fn syntax_errors_not_formatted() {
    let result = format(&SourceFile::new("t.yaral", "rule r { events: $e.a = condition: $e }"));
    let Err(errors) = result else { panic!("formatted a rule with a syntax error") };
    assert!(!errors.is_empty());
}

#[test]
fn setup_and_export_kept() {
    let text = "rule r { meta: author = \"a\" setup: graph_override ($g.graph.entity.ip = %t.ip) \
                graph_append [$g, %t] events: $e.principal.hostname = $h match: $h over 1h \
                outcome: $n = count($e.metadata.id) condition: $e export: \
                %seen.write_row(host: $h, n: $n) }";
    let output = stable(text);
    assert!(
        output.contains("  setup:\n    graph_override ($g.graph.entity.ip = %t.ip)\n"),
        "{output}"
    );
    assert!(output.contains("    graph_append [$g, %t]\n"), "{output}");
    assert!(output.contains("  export:\n    %seen.write_row(host: $h, n: $n)\n"), "{output}");
}

#[test]
fn metrics_named_arguments_kept() {
    let text = "rule r { events: $e.principal.ip = $ip match: $ip over 1h outcome: \
                $m = max(metrics.dns_queries_fail( period : 1d,window:30d, metric:last_seen, \
                agg:min, src.ip:$ip)) condition: $e }";
    let output = stable(text);
    let expected =
        "    $m = max(metrics.dns_queries_fail(period:1d, window:30d, metric:last_seen, \
                    agg:min, src.ip:$ip))\n";
    assert!(output.contains(expected), "{output}");
}

#[test]
fn long_metrics_call_breaks_arguments() {
    let text = "rule r { events: $e.principal.ip = $ip match: $ip over 1h outcome: \
                $maximum_daily_failures = max(metrics.auth_attempts_fail(period:1d, \
                window:30d, metric:event_count_sum, agg:max, principal.asset.ip:$ip)) \
                condition: $e }";
    let output = stable(text);
    assert!(output.contains("\n            period:1d,\n"), "{output}");
    assert!(output.contains("\n            principal.asset.ip:$ip\n"), "{output}");
}
