//! Pairing expected detections with actual ones and describing the difference.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::spec::{toml_to_json, Expected};

/// Reduces a detection to what tests compare: rule, match values, sample ids per variable and
/// outcomes. An event is named by its `metadata.product_log_id` and an entity record
/// (`$e.graph.` sample) by its `metadata.product_entity_id`.
pub fn reduce(detection: &Value) -> Value {
    let mut events = Map::new();
    if let Some(Value::Object(vars)) = detection.get("events") {
        for (var, samples) in vars {
            let mut ids: Vec<String> = samples
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| {
                    e.pointer("/metadata/product_log_id")
                        .or_else(|| e.pointer("/metadata/product_entity_id"))
                        .and_then(Value::as_str)
                        .unwrap_or("<no product_log_id or product_entity_id>")
                        .to_owned()
                })
                .collect();
            ids.sort();
            if !ids.is_empty() {
                events.insert(var.clone(), json!(ids));
            }
        }
    }
    json!({
        "rule": detection.pointer("/rule/name").cloned().unwrap_or(Value::Null),
        "match": detection.get("match").cloned().unwrap_or(json!({})),
        "events": Value::Object(events),
        "outcome": detection.get("outcome").cloned().unwrap_or(json!({})),
    })
}

/// Compares two JSON values, with integers and whole floats equal.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn matches(expected: &Expected, actual: &Value) -> bool {
    if actual.get("rule").and_then(Value::as_str) != Some(expected.rule.as_str()) {
        return false;
    }
    if let Some(values) = &expected.match_values {
        let want: Map<String, Value> =
            values.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect();
        if !same(&Value::Object(want), actual.get("match").unwrap_or(&Value::Null)) {
            return false;
        }
    }
    if let Some(events) = &expected.events {
        let mut want = Map::new();
        for (var, ids) in events {
            let mut ids = ids.clone();
            ids.sort();
            if !ids.is_empty() {
                want.insert(var.clone(), json!(ids));
            }
        }
        if !same(&Value::Object(want), actual.get("events").unwrap_or(&Value::Null)) {
            return false;
        }
    }
    expected.outcome.iter().all(|(k, v)| {
        actual.pointer(&format!("/outcome/{k}")).is_some_and(|a| same(&toml_to_json(v), a))
    })
}

fn describe(expected: &Expected) -> Value {
    let mut out = Map::new();
    out.insert("rule".into(), json!(expected.rule));
    if let Some(values) = &expected.match_values {
        let values: BTreeMap<&String, Value> =
            values.iter().map(|(k, v)| (k, toml_to_json(v))).collect();
        out.insert("match".into(), json!(values));
    }
    if let Some(events) = &expected.events {
        out.insert("events".into(), json!(events));
    }
    if !expected.outcome.is_empty() {
        let outcome: BTreeMap<&String, Value> =
            expected.outcome.iter().map(|(k, v)| (k, toml_to_json(v))).collect();
        out.insert("outcome".into(), json!(outcome));
    }
    Value::Object(out)
}

/// Compares expected detections with actual ones; `None` when every expected detection is
/// found and nothing else appears, otherwise the difference as text.
pub fn compare(expected: &[Expected], actual: &[Value]) -> Option<String> {
    let reduced: Vec<Value> = actual.iter().map(reduce).collect();
    let mut used = vec![false; reduced.len()];
    let mut missing = Vec::new();
    // The most specific expectations pick first, so a loose one cannot take a detection a
    // precise one needs.
    let mut order: Vec<usize> = (0..expected.len()).collect();
    order.sort_by_key(|&i| {
        let e = &expected[i];
        std::cmp::Reverse(
            usize::from(e.match_values.is_some())
                + usize::from(e.events.is_some())
                + e.outcome.len(),
        )
    });
    for i in order {
        let found =
            reduced.iter().enumerate().position(|(j, a)| !used[j] && matches(&expected[i], a));
        match found {
            Some(j) => used[j] = true,
            None => missing.push(i),
        }
    }
    let unexpected: Vec<&Value> =
        reduced.iter().zip(&used).filter(|(_, used)| !**used).map(|(a, _)| a).collect();
    if missing.is_empty() && unexpected.is_empty() {
        return None;
    }
    let mut text = String::new();
    for i in missing {
        let e = &expected[i];
        text.push_str(&format!("- expected, not found: {}\n", describe(e)));
        for candidate in reduced.iter().filter(|a| a["rule"] == json!(e.rule)) {
            text.push_str(&format!("    actual of that rule: {candidate}\n"));
        }
    }
    for a in unexpected {
        text.push_str(&format!("+ found, not expected: {a}\n"));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(text: &str) -> Vec<Expected> {
        #[derive(serde::Deserialize)]
        struct File {
            expect: Vec<Expected>,
        }
        toml::from_str::<File>(text).map(|f| f.expect).unwrap_or_default()
    }

    fn detection(rule: &str, user: &str, ids: &[&str], risk: i64) -> Value {
        let events: Vec<Value> =
            ids.iter().map(|id| json!({"metadata": {"product_log_id": id}})).collect();
        json!({
            "rule": {"name": rule},
            "match": {"user": user},
            "outcome": {"risk_score": risk, "rows": 5000},
            "events": {"e": events},
        })
    }

    #[test]
    fn exact_expectation_passes() {
        let want = expected(
            r#"
[[expect]]
rule = "bulk"
match = { user = "alice" }
events = { e = ["b", "a"] }
outcome = { risk_score = 85 }
"#,
        );
        assert_eq!(compare(&want, &[detection("bulk", "alice", &["a", "b"], 85)]), None);
    }

    #[test]
    fn missing_and_unexpected_are_reported() {
        let want = expected("[[expect]]\nrule = \"bulk\"\nmatch = { user = \"alice\" }\n");
        let diff = compare(&want, &[detection("bulk", "bob", &["a"], 85)]).unwrap_or_default();
        assert!(diff.contains("- expected, not found"), "{diff}");
        assert!(diff.contains("+ found, not expected"), "{diff}");
        assert!(diff.contains("\"bob\""), "{diff}");
    }

    #[test]
    fn negative_test_fails_on_any_detection() {
        assert!(compare(&[], &[detection("bulk", "alice", &["a"], 40)]).is_some());
        assert_eq!(compare(&[], &[]), None);
    }

    #[test]
    fn outcome_is_a_subset_check() {
        let want = expected("[[expect]]\nrule = \"bulk\"\noutcome = { rows = 5000.0 }\n");
        assert_eq!(compare(&want, &[detection("bulk", "alice", &["a"], 40)]), None);
        let wrong = expected("[[expect]]\nrule = \"bulk\"\noutcome = { rows = 1 }\n");
        assert!(compare(&wrong, &[detection("bulk", "alice", &["a"], 40)]).is_some());
    }
}
