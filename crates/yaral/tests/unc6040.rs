//! The two UNC6040 rules as published (wrapped in full rules) parse as intended.

use yaral::ast::{CompareOp, ExprKind, ListMatch, WindowKind};
use yaral::{parse, SourceFile};

/// The published M365 pseudo-code: one line, predicates separated only by spaces.
const M365_BODY: &str = r#"$login.metadata.log_type = "OFFICE_365" $login.metadata.event_type = "USER_LOGIN" $ip  = coalesce($login.principal.asset.ip, $login.principal.ip) ( not ($ip in cidr %ENTERPRISE_EGRESS_CIDRS)  or strings.concat(ip_to_asn($ip), "") in %VPN_TOR_ASNS ) $acct = coalesce($login.principal.user.userid, $login.principal.user.email_addresses) $http.metadata.product_name in ("Entra ID","Microsoft") ($http.metadata.event_type = "NETWORK_HTTP" or $http.target.url != "") $acct = coalesce($http.principal.user.userid, $http.principal.user.email_addresses) strings.to_lower(coalesce($http.target.url, "")) in regex %M365_SENSITIVE_GRAPH_REGEX match: $acct over 30m"#;

fn m365_rule() -> String {
    format!("rule m365_graph_pull {{\n  meta:\n    author = \"x\"\n  events:\n    {M365_BODY}\n  condition:\n    $login and $http\n}}\n")
}

fn call_name(kind: &ExprKind) -> Option<String> {
    match kind {
        ExprKind::Call { name, .. } => {
            Some(name.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join("."))
        }
        _ => None,
    }
}

#[test]
fn m365_pseudo_code_parses() {
    let source = SourceFile::new("m365.yaral", m365_rule());
    let (file, diagnostics) = parse(&source);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let rule = &file.rules[0];
    assert_eq!(rule.events.len(), 9, "nine implicitly and-ed predicates");

    let sliced: Vec<&str> = rule.events.iter().map(|e| source.slice(e.span)).collect();
    assert_eq!(sliced[0], r#"$login.metadata.log_type = "OFFICE_365""#);
    assert_eq!(sliced[1], r#"$login.metadata.event_type = "USER_LOGIN""#);
    assert_eq!(sliced[2], "$ip  = coalesce($login.principal.asset.ip, $login.principal.ip)");
    assert!(sliced[3].starts_with("( not ($ip in cidr") && sliced[3].ends_with("%VPN_TOR_ASNS )"));
    assert!(sliced[4].starts_with("$acct = coalesce($login"));
    assert_eq!(sliced[5], r#"$http.metadata.product_name in ("Entra ID","Microsoft")"#);
    assert!(sliced[6].starts_with("($http.metadata.event_type"));
    assert!(sliced[7].starts_with("$acct = coalesce($http"));
    assert!(sliced[8].ends_with("in regex %M365_SENSITIVE_GRAPH_REGEX"));

    // `$ip = coalesce(...)`: one comparison whose right side is the bare call.
    let ExprKind::Compare { op, rhs, .. } = &rule.events[2].kind else {
        panic!("not a comparison")
    };
    assert_eq!(*op, CompareOp::Eq);
    assert_eq!(call_name(&rhs.kind).as_deref(), Some("coalesce"));

    // `( not (... in cidr ...) or ... in %VPN_TOR_ASNS )`.
    let ExprKind::Paren(inner) = &rule.events[3].kind else { panic!("not a group") };
    let ExprKind::Or(left, right) = &inner.kind else { panic!("not an or") };
    let ExprKind::Not(negated) = &left.kind else { panic!("not a not") };
    let ExprKind::Paren(test) = &negated.kind else { panic!("not a group") };
    let ExprKind::InList { kind, list, .. } = &test.kind else { panic!("not an in-list") };
    assert_eq!(*kind, ListMatch::Cidr);
    assert_eq!(list.name.name, "ENTERPRISE_EGRESS_CIDRS");
    let ExprKind::InList { expr, kind, list, .. } = &right.kind else { panic!("not an in-list") };
    assert_eq!(*kind, ListMatch::Exact);
    assert_eq!(list.name.name, "VPN_TOR_ASNS");
    assert_eq!(call_name(&expr.kind).as_deref(), Some("strings.concat"));

    let ExprKind::InLiteralList { items, .. } = &rule.events[5].kind else {
        panic!("not a literal list")
    };
    assert_eq!(items.len(), 2);
    let ExprKind::InList { kind, .. } = &rule.events[8].kind else { panic!("not an in-list") };
    assert_eq!(*kind, ListMatch::Regex);

    let window = &rule.match_section.as_ref().expect("match section").window;
    assert_eq!(window.kind, WindowKind::Hop);
    assert_eq!(window.duration.seconds(), 1800);
}

#[test]
fn ioc_predicate_parses() {
    let text = "rule unc6040_ip_ioc {\n  meta:\n    author = \"x\"\n  events:\n    ($e.principal.ip in %unc6040_IoC_list) or ($e.target.ip in %unc6040_IoC_list)\n  condition:\n    $e\n}\n";
    let source = SourceFile::new("ioc.yaral", text);
    let (file, diagnostics) = parse(&source);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let rule = &file.rules[0];
    assert_eq!(rule.events.len(), 1);
    assert!(matches!(rule.events[0].kind, ExprKind::Or(..)));
}
