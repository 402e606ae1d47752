//! Throughput of the engine on synthetic UDM events, in events per second.
//!
//! - `single_event`: a rule without `match:` (an event-type test, a regex and a CIDR test)
//!   over login events, one detection per matching event.
//! - `multi_event`: a hop-window rule joining logins and file reads of one user through a
//!   placeholder, with a count condition and outcome aggregates.
//!
//! The events are built in memory before timing starts, so the numbers measure evaluation
//! only, not JSON parsing. Run with `cargo bench -p engine --bench engine`.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use engine::{Context, Engine, Rule};
use udm::Event;

/// Events per benchmark iteration.
const EVENTS: usize = 20_000;

fn compile(text: &str) -> Rule {
    let source = yaral::SourceFile::new("bench.yaral", text);
    let output = yaral::compile(&source, &yaral::CheckOptions::default());
    let compiled = output.compiled.into_iter().next().expect("the benchmark rule compiles");
    Rule::compile(&compiled.rule, &compiled.text, &Context::default())
        .unwrap_or_else(|d| panic!("the engine rejected the benchmark rule: {d:?}"))
}

/// Logins and file reads of 100 users over about five and a half hours, one event a second,
/// with a few IP addresses each.
fn events() -> Vec<Arc<Event>> {
    (0..EVENTS)
        .map(|i| {
            let seconds = i as i64;
            let user = serde_json::json!({"userid": format!("user{}", i % 100)});
            let mut json = serde_json::json!({
                "metadata": {
                    "event_timestamp": format!(
                        "2025-01-01T{:02}:{:02}:{:02}Z",
                        seconds / 3600,
                        seconds / 60 % 60,
                        seconds % 60
                    ),
                    "event_type": if i % 3 == 0 { "FILE_READ" } else { "USER_LOGIN" },
                    "product_log_id": format!("ev-{i}"),
                },
                "principal": {
                    "hostname": format!("host-{}.corp.example", i % 97),
                    "ip": [format!("10.{}.{}.{}", i % 7, i % 11, i % 13), format!("192.0.2.{}", i % 250)],
                },
            });
            // A read names its user as the principal, a login as the target.
            if i % 3 == 0 {
                json["principal"]["user"] = user;
            } else {
                json["target"] = serde_json::json!({"user": user});
            }
            Arc::new(udm::json::event_from_json(&json).expect("valid synthetic event"))
        })
        .collect()
}

const SINGLE_EVENT: &str = r#"
rule bench_single_event {
  meta:
    author = "benchmark"
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $e.principal.hostname = /^host-1[0-9]\./ nocase
    net.ip_in_range_cidr($e.principal.ip, "10.0.0.0/8")
  outcome:
    $ips = array_distinct($e.principal.ip)
  condition:
    $e
}
"#;

const MULTI_EVENT: &str = r#"
rule bench_multi_event {
  meta:
    author = "benchmark"
  events:
    $login.metadata.event_type = "USER_LOGIN"
    $login.target.user.userid = $user
    $read.metadata.event_type = "FILE_READ"
    $read.principal.user.userid = $user
  match:
    $user over 10m
  outcome:
    $logins = count($login.metadata.product_log_id)
    $hosts = array_distinct($login.principal.hostname)
  condition:
    #login >= 2 and $read
}
"#;

fn run(rule: &Rule, events: Vec<Arc<Event>>) -> usize {
    let mut engine = Engine::new(vec![rule.clone()]);
    let mut found = 0;
    for event in events {
        found += engine.push(event).len();
    }
    found + engine.finish().len()
}

fn bench(c: &mut Criterion) {
    let events = events();
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(20);
    for (name, text) in [("single_event", SINGLE_EVENT), ("multi_event", MULTI_EVENT)] {
        let rule = compile(text);
        assert!(run(&rule, events.clone()) > 0, "the {name} benchmark rule finds nothing");
        group.bench_function(name, |b| {
            b.iter_batched(|| events.clone(), |events| run(&rule, events), BatchSize::LargeInput)
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
