//! The conformance suite: one folder per case under `tests/conformance/`, run end to end.
//!
//! A case folder holds:
//! - `case.toml`: `statement = "..."`, the fact of the language the case pins. An optional
//!   `compile_error = "..."` gives text that a compile diagnostic must contain, and the case
//!   then has no events. An optional `shuffle = false` skips the shuffled runs for a case
//!   whose outcome depends on arrival order.
//! - `rule.yaral`: one rule.
//! - `events.jsonl`: UDM events in proto3 JSON, one per line.
//! - `expected.json`: the expected detections, each reduced to what the case pins: `rule`,
//!   `type`, `match`, `outcome` (only the listed outcome variables are compared), `events`
//!   (per event variable, the `metadata.product_log_id` of each sample, in sample order) and
//!   `window` (`{"start", "end"}`). Keys a detection leaves out are not compared.
//! - `lists/` (optional): reference lists, one file per list, named `NAME.txt`, `NAME.regex`
//!   or `NAME.cidr`.
//! - `tables/` (optional): data tables, one CSV file per table, named `NAME.csv`.
//! - `entities.jsonl` (optional): entity records (UDM `Entity`, one per line) for the rule's
//!   `$e.graph.` fields. A sample of an entity variable is named by its
//!   `metadata.product_entity_id`.
//!
//! Each case runs twice over. First like a hunt: events sorted by event time (stably), pushed,
//! then every window closed. Then, for three seeded shuffles, with an allowed lateness as long
//! as the events' time span, so that no event is late: the shuffled runs must give the same
//! detections, with the same ids. A last run leaves out the events that [`Prefilter`] rejects,
//! as a hunt does, and must give the same detections as the first. That holds both when the
//! engine runs the filters itself and when it reads the prefilter's verdicts. No event line
//! that the raw-text filter rejects may be one that the prefilter keeps. `CONFORMANCE_CASE=text` runs only the cases whose folder name contains it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use engine::{Context, Detection, Engine, Prefilter, Rule};
use serde_json::{Map, Value as Json};
use udm::{Event, ReadWhole};

/// The contents of `case.toml`.
#[derive(Debug, Default)]
struct CaseFile {
    statement: String,
    compile_error: Option<String>,
    shuffle: bool,
}

/// Reads the `key = value` lines of `case.toml`: strings in double quotes, or `true`/`false`.
fn parse_case_file(text: &str) -> Result<CaseFile, String> {
    let mut case = CaseFile { shuffle: true, ..CaseFile::default() };
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| format!("line {}: expected `key = value`", number + 1))?;
        let (key, value) = (key.trim(), value.trim());
        let string = || -> Result<String, String> {
            serde_json::from_str::<String>(value)
                .map_err(|e| format!("line {}: invalid string for `{key}`: {e}", number + 1))
        };
        match key {
            "statement" => case.statement = string()?,
            "compile_error" => case.compile_error = Some(string()?),
            "shuffle" => {
                case.shuffle = value
                    .parse()
                    .map_err(|_| format!("line {}: `shuffle` must be true or false", number + 1))?
            }
            other => return Err(format!("line {}: unknown key `{other}`", number + 1)),
        }
    }
    if case.statement.trim().is_empty() {
        return Err("`statement` is missing".to_owned());
    }
    Ok(case)
}

/// Reads a case's entity records, one UDM `Entity` per line, when the file exists.
fn read_entities(path: &Path) -> Result<engine::Entities, String> {
    let mut entities = engine::Entities::new();
    let Ok(text) = fs::read_to_string(path) else { return Ok(entities) };
    for (index, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let json: Json =
            serde_json::from_str(line).map_err(|e| format!("entities.jsonl:{}: {e}", index + 1))?;
        let entity = udm::json::entity_from_json(&json)
            .map_err(|e| format!("entities.jsonl:{}: {e}", index + 1))?;
        entities.push(entity);
    }
    Ok(entities)
}

/// Compiles the case's rule, or returns every diagnostic as rendered text.
fn compile_rule(dir: &Path, text: &str) -> Result<Rule, String> {
    let lists_dir = dir.join("lists");
    let lists = if lists_dir.is_dir() {
        let (lists, problems) = enrich::ReferenceLists::load_dir(&lists_dir)
            .map_err(|e| format!("cannot load lists: {e}"))?;
        if let Some(problem) = problems.iter().find(|p| !p.is_warning()) {
            return Err(format!("invalid list: {problem}"));
        }
        lists
    } else {
        enrich::ReferenceLists::default()
    };
    let entities = read_entities(&dir.join("entities.jsonl"))?;
    let mut tables = enrich::DataTables::new();
    let tables_dir = dir.join("tables");
    if tables_dir.is_dir() {
        let problems =
            tables.load_dir(&tables_dir).map_err(|e| format!("cannot load tables: {e}"))?;
        if let Some(problem) = problems.first() {
            return Err(format!("invalid data table: {problem}"));
        }
    }
    let ctx = Context {
        lists: Arc::new(lists),
        asn: None,
        entities: Arc::new(entities),
        tables: Arc::new(tables),
    };
    let source = yaral::SourceFile::new("rule.yaral", text);
    let output = yaral::compile(&source, &yaral::CheckOptions::default());
    let mut rendered: Vec<String> = output
        .diagnostics
        .iter()
        .chain(output.rejected.iter().flat_map(|r| &r.diagnostics))
        .filter(|d| d.severity == yaral::Severity::Error)
        .map(|d| yaral::render(d, &source))
        .collect();
    if !output.rejected.is_empty() || !rendered.is_empty() {
        return Err(rendered.join("\n"));
    }
    let mut compiled = output.compiled.into_iter();
    let (Some(rule), None) = (compiled.next(), compiled.next()) else {
        return Err("rule.yaral must hold exactly one rule".to_owned());
    };
    Rule::compile(&rule.rule, &rule.text, &ctx).map_err(|diagnostics| {
        rendered.extend(diagnostics.iter().map(|d| yaral::render(d, &source)));
        rendered.join("\n")
    })
}

fn read_events(path: &Path) -> Result<Vec<Arc<Event>>, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("cannot read events: {e}"))?;
    let mut events = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let json: Json = serde_json::from_str(line)
            .map_err(|e| format!("events.jsonl line {}: invalid JSON: {e}", number + 1))?;
        let event = udm::json::event_from_json(&json)
            .map_err(|e| format!("events.jsonl line {}: invalid UDM: {e}", number + 1))?;
        events.push(Arc::new(event));
    }
    Ok(events)
}

/// Reads an event line of `events.jsonl`, to make partial events of the lines.
struct JsonLineReader;

impl ReadWhole for JsonLineReader {
    fn read_whole(&self, text: &[u8]) -> Option<Event> {
        let json: Json = serde_json::from_slice(text).ok()?;
        udm::json::event_from_json(&json).ok()
    }
}

fn run_engine(engine: &mut Engine, events: Vec<Arc<Event>>) -> Vec<Detection> {
    let mut out = Vec::new();
    for event in events {
        out.extend(engine.push(event));
    }
    out.extend(engine.finish());
    out
}

/// Converts detections to JSON without `detected_at`, which is the wall-clock time.
fn full_json(detections: &[Detection]) -> Vec<Json> {
    detections
        .iter()
        .map(|detection| {
            let mut json = detection.to_json();
            // The detection's own serializer writes the same text as its JSON value.
            let written = serde_json::to_string(detection).expect("a detection serializes");
            assert_eq!(written, json.to_string(), "{}", detection.rule.name);
            if let Some(object) = json.as_object_mut() {
                object.remove("detected_at");
            }
            json
        })
        .collect()
}

/// A small deterministic generator for the shuffles (xorshift64*).
struct Shuffler(u64);

impl Shuffler {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// Reduces a detection to the keys the expected detections use.
fn reduce(detection: &Detection, keys: &Keys) -> Json {
    let full = detection.to_json();
    let mut out = Map::new();
    out.insert("rule".into(), full["rule"]["name"].clone());
    if keys.kind {
        out.insert("type".into(), full["type"].clone());
    }
    out.insert("match".into(), full["match"].clone());
    if let Some(wanted) = &keys.outcome {
        let outcome: Map<String, Json> = full["outcome"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| wanted.is_empty() || wanted.contains(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        out.insert("outcome".into(), Json::Object(outcome));
    }
    let mut events = Map::new();
    for (var, samples) in &detection.events {
        if samples.is_empty() {
            continue;
        }
        // An entity record names itself by `metadata.product_entity_id`.
        let id = |e: &Event| match e.get("metadata.product_entity_id").and_then(udm::Value::as_str)
        {
            Some(entity_id) => entity_id.to_owned(),
            None => e.product_log_id().to_owned(),
        };
        let ids: Vec<Json> = samples.iter().map(|e| Json::String(id(e))).collect();
        events.insert(var.clone(), Json::Array(ids));
    }
    out.insert("events".into(), Json::Object(events));
    if keys.window {
        out.insert("window".into(), full["time_window"].clone());
    }
    Json::Object(out)
}

/// Which optional keys the expected detections of a case use.
struct Keys {
    kind: bool,
    window: bool,
    /// `Some(names)` when some expected detection lists outcomes: the union of their names.
    outcome: Option<Vec<String>>,
}

fn keys_of(expected: &[Json]) -> Keys {
    let mut keys = Keys { kind: false, window: false, outcome: None };
    for detection in expected {
        keys.kind |= detection.get("type").is_some();
        keys.window |= detection.get("window").is_some();
        if let Some(outcome) = detection.get("outcome").and_then(Json::as_object) {
            let names = keys.outcome.get_or_insert_with(Vec::new);
            names.extend(outcome.keys().cloned());
        }
    }
    keys
}

/// Fills in the keys an expected detection may leave out: the rule name and empty maps.
fn normalise_expected(detection: &Json, rule_name: &str, keys: &Keys) -> Json {
    let mut out = detection.as_object().cloned().unwrap_or_default();
    out.entry("rule").or_insert_with(|| Json::String(rule_name.to_owned()));
    out.entry("match").or_insert_with(|| Json::Object(Map::new()));
    out.entry("events").or_insert_with(|| Json::Object(Map::new()));
    if keys.outcome.is_some() {
        out.entry("outcome").or_insert_with(|| Json::Object(Map::new()));
    }
    Json::Object(out)
}

/// Whether two JSON values are equal, with floats compared to a relative precision of 1e-9
/// (an integer never equals a float).
fn json_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) if x.is_f64() && y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs())
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Canonical text of a reduced detection: keys sorted, one line.
fn canonical(value: &Json) -> String {
    fn sort(value: &Json) -> Json {
        match value {
            Json::Object(map) => {
                let sorted: BTreeMap<&String, Json> =
                    map.iter().map(|(k, v)| (k, sort(v))).collect();
                Json::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Json::Array(items) => Json::Array(items.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(value).to_string()
}

/// Pairs expected with actual detections; returns a diff when they differ.
fn compare(expected: &[Json], actual: &[Json]) -> Option<String> {
    let mut unmatched: Vec<&Json> = actual.iter().collect();
    let mut missing = Vec::new();
    for want in expected {
        match unmatched.iter().position(|got| json_eq(want, got)) {
            Some(at) => {
                unmatched.remove(at);
            }
            None => missing.push(want),
        }
    }
    if missing.is_empty() && unmatched.is_empty() {
        return None;
    }
    let mut diff = String::new();
    for want in &missing {
        let _ = writeln!(diff, "  - expected {}", canonical(want));
    }
    for got in &unmatched {
        let _ = writeln!(diff, "  + actual   {}", canonical(got));
    }
    Some(diff)
}

/// Runs one case; returns the failure report, if any.
fn run_case(dir: &Path) -> Result<(), String> {
    let case_text = fs::read_to_string(dir.join("case.toml"))
        .map_err(|e| format!("cannot read case.toml: {e}"))?;
    let case = parse_case_file(&case_text).map_err(|e| format!("case.toml: {e}"))?;
    let rule_text =
        fs::read_to_string(dir.join("rule.yaral")).map_err(|e| format!("cannot read rule: {e}"))?;
    let compiled = compile_rule(dir, &rule_text);
    if let Some(wanted) = &case.compile_error {
        return match compiled {
            Ok(_) => Err(format!(
                "the rule compiled, but a diagnostic containing `{wanted}` was expected"
            )),
            Err(text) if text.contains(wanted.as_str()) => Ok(()),
            Err(text) => Err(format!("expected a diagnostic containing `{wanted}`, got:\n{text}")),
        };
    }
    let rule = compiled.map_err(|text| format!("the rule did not compile:\n{text}"))?;
    let mut events = read_events(&dir.join("events.jsonl"))?;
    let expected_text = fs::read_to_string(dir.join("expected.json"))
        .map_err(|e| format!("cannot read expected.json: {e}"))?;
    let expected: Vec<Json> = serde_json::from_str(&expected_text)
        .map_err(|e| format!("expected.json is not a JSON array of detections: {e}"))?;
    let keys = keys_of(&expected);
    let expected: Vec<Json> =
        expected.iter().map(|d| normalise_expected(d, rule.name(), &keys)).collect();

    // A hunt: a stable sort by event time.
    events.sort_by_key(|e| e.event_time());
    let sorted = run_engine(&mut Engine::new(vec![rule.clone()]), events.clone());
    let reduced: Vec<Json> = sorted.iter().map(|d| reduce(d, &keys)).collect();
    let mut report = String::new();
    if let Some(diff) = compare(&expected, &reduced) {
        let _ = writeln!(report, "in event-time order:\n{diff}");
    }

    // A hunt drops the events no rule can use before it correlates; that must change nothing.
    let prefilter = Prefilter::new(std::slice::from_ref(&rule));
    let wanted: Vec<Arc<Event>> = events.iter().filter(|e| prefilter.wants(e)).cloned().collect();
    let filtered = run_engine(&mut Engine::new(vec![rule.clone()]), wanted);
    let filtered_ids: Vec<&str> = filtered.iter().map(|d| d.id.as_str()).collect();
    let sorted_ids: Vec<&str> = sorted.iter().map(|d| d.id.as_str()).collect();
    let filtered_reduced: Vec<Json> = filtered.iter().map(|d| reduce(d, &keys)).collect();
    // A record that the raw-text test rejects must be one the prefilter rejects once parsed.
    if let Some(raw) = prefilter.raw_filter() {
        let text = fs::read_to_string(dir.join("events.jsonl")).unwrap_or_default();
        for (number, line) in text.lines().enumerate() {
            if line.trim().is_empty() || raw.may_match(line.as_bytes()) {
                continue;
            }
            let event = serde_json::from_str::<Json>(line)
                .ok()
                .and_then(|json| udm::json::event_from_json(&json).ok());
            if event.is_some_and(|e| prefilter.wants(&Arc::new(e))) {
                let _ = writeln!(
                    report,
                    "events.jsonl line {}: the raw-text filter drops an event a rule uses",
                    number + 1
                );
            }
        }
    }
    if filtered_ids != sorted_ids || compare(&reduced, &filtered_reduced).is_some() {
        let diff = compare(&reduced, &filtered_reduced)
            .unwrap_or_else(|| "  (same detections, other ids)\n".to_owned());
        let _ = writeln!(report, "with the prefilter: the detections differ:\n{diff}");
    }

    // A hunt also hands the prefilter's verdicts to the engine, which must then find every
    // detection exactly as it does when it runs the filters itself.
    let mut engine = Engine::new(vec![rule.clone()]).with_prefilter(&prefilter);
    let mut with_verdicts = Vec::new();
    for event in &events {
        let verdict = prefilter.verdict(event, None);
        if verdict.is_some() != prefilter.wants(event) {
            let _ = writeln!(report, "the prefilter's verdict and `wants` disagree on {event:?}");
        }
        if let Some(verdict) = verdict {
            with_verdicts.extend(engine.push_with_verdict(Arc::clone(event), &verdict));
        }
    }
    with_verdicts.extend(engine.finish());
    if full_json(&with_verdicts) != full_json(&sorted) {
        let verdict_reduced: Vec<Json> = with_verdicts.iter().map(|d| reduce(d, &keys)).collect();
        let diff = compare(&reduced, &verdict_reduced)
            .unwrap_or_else(|| "  (same detections as reduced, other JSON)\n".to_owned());
        let _ = writeln!(report, "with the prefilter's verdicts: the detections differ:\n{diff}");
    }

    // A hunt hands native UDM events on as partial events of their lines, whose rows keep no
    // fields of the event once built. Every detection must stay the same.
    let lines = fs::read_to_string(dir.join("events.jsonl")).unwrap_or_default();
    let mut partial: Vec<(&str, Arc<Event>)> = lines
        .lines()
        .filter(|line| !line.trim().is_empty())
        .filter_map(|line| {
            let event = JsonLineReader.read_whole(line.as_bytes())?;
            let event = event.into_partial(Arc::from(line.as_bytes()), Arc::new(JsonLineReader));
            Some((line, Arc::new(event)))
        })
        .collect();
    partial.sort_by_key(|(_, e)| e.event_time());
    let (partial_lines, partial): (Vec<&str>, Vec<Arc<Event>>) = partial.into_iter().unzip();
    let from_lines = run_engine(&mut Engine::new(vec![rule.clone()]), partial.clone());
    if full_json(&from_lines) != full_json(&sorted) {
        let partial_reduced: Vec<Json> = from_lines.iter().map(|d| reduce(d, &keys)).collect();
        let diff = compare(&reduced, &partial_reduced)
            .unwrap_or_else(|| "  (same detections as reduced, other JSON)\n".to_owned());
        let _ = writeln!(report, "with partial events: the detections differ:\n{diff}");
    }

    // A hunt that streams its events prepares their rows on the worker threads and hands the
    // engine the events stripped of their fields. An engine that was not given the prefilter
    // cannot use such verdicts and reads the events whole again. The hunt skips the lines the
    // raw-text test rejects, and the variables whose strings a line lacks.
    let raw = prefilter.raw_filter();
    for (given, owned) in [(true, false), (true, true), (false, true)] {
        let mut engine = Engine::new(vec![rule.clone()]);
        if given {
            engine = engine.with_prefilter(&prefilter);
        }
        let mut found = Vec::new();
        for (event, line) in partial.iter().zip(&partial_lines) {
            let scan = raw.as_ref().map(|raw| raw.scan(line.as_bytes()));
            if scan.as_ref().is_some_and(Option::is_none) {
                continue;
            }
            let Some(verdict) = prefilter.prepare(event, scan.flatten().as_ref()) else {
                continue;
            };
            let event = match event.stripped() {
                Some(stripped) if verdict.is_prepared() => Arc::new(stripped),
                _ => Arc::clone(event),
            };
            found.extend(if owned {
                engine.push_taking_verdict(event, verdict)
            } else {
                engine.push_with_verdict(event, &verdict)
            });
        }
        found.extend(engine.finish());
        if full_json(&found) != full_json(&sorted) {
            let found_reduced: Vec<Json> = found.iter().map(|d| reduce(d, &keys)).collect();
            let diff = compare(&reduced, &found_reduced)
                .unwrap_or_else(|| "  (same detections as reduced, other JSON)\n".to_owned());
            let _ = writeln!(
                report,
                "with prepared verdicts (engine given the prefilter: {given}, verdicts taken: \
                 {owned}): the detections differ:\n{diff}"
            );
        }
    }

    if case.shuffle && events.len() > 1 {
        let mut ids: Vec<&str> = sorted.iter().map(|d| d.id.as_str()).collect();
        ids.sort_unstable();
        let first = events.first().map_or(0, |e| e.event_time().as_nanos());
        let last = events.last().map_or(0, |e| e.event_time().as_nanos());
        let span = u64::try_from(last - first).unwrap_or(0);
        let lateness = Duration::from_nanos(span) + Duration::from_secs(1);
        for seed in 1..=3u64 {
            let mut shuffled = events.clone();
            Shuffler(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)).shuffle(&mut shuffled);
            let mut engine = Engine::new(vec![rule.clone()]).with_allowed_lateness(lateness);
            let found = run_engine(&mut engine, shuffled);
            let mut found_ids: Vec<&str> = found.iter().map(|d| d.id.as_str()).collect();
            found_ids.sort_unstable();
            let reduced: Vec<Json> = found.iter().map(|d| reduce(d, &keys)).collect();
            let diff = compare(&expected, &reduced);
            if found_ids != ids || diff.is_some() {
                let diff = diff.unwrap_or_else(|| "  (same detections, other ids)\n".to_owned());
                let _ = writeln!(
                    report,
                    "shuffled (seed {seed}, lateness {lateness:?}): the detections differ \
                     from the sorted run:\n{diff}"
                );
                break;
            }
        }
    }
    if report.is_empty() {
        Ok(())
    } else {
        Err(format!("statement: {}\n{report}", case.statement))
    }
}

fn case_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let filter = std::env::var("CONFORMANCE_CASE").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", root.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains(&filter)))
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn conformance_suite() {
    let dirs = case_dirs();
    assert!(!dirs.is_empty(), "no conformance case found");
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_owned();
        if let Err(report) = run_case(dir) {
            failures.push(format!("case {name}: {report}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} conformance cases failed:\n\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n")
    );
}

#[test]
fn suite_has_enough_cases() {
    if std::env::var("CONFORMANCE_CASE").is_ok() {
        return;
    }
    let count = case_dirs().len();
    assert!(count >= 150, "the suite has {count} cases, fewer than 150");
}
