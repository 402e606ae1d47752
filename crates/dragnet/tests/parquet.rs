//! `dragnet hunt` over Parquet files written here with the `parquet` crate: the detections
//! must equal those from the same events as UDM JSON lines, in both layouts, with pruning on
//! and off, and bad files must be reported and skipped.
#![cfg(feature = "parquet")]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use parquet::basic::{ConvertedType, LogicalType, Repetition, TimeUnit, Type as PhysicalType};
use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::{SerializedColumnWriter, SerializedFileWriter};
use parquet::schema::types::{Type, TypePtr};
use serde_json::{json, Value};

fn dragnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dragnet"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("the dragnet binary runs")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dragnet-parquet-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("temp dir is writable");
    dir
}

/// One synthetic event, with the fields the Parquet columns hold.
struct Event {
    id: String,
    event_type: &'static str,
    log_type: &'static str,
    micros: i64,
    user: String,
    ips: Vec<String>,
    emails: Option<Vec<String>>,
}

impl Event {
    fn rfc3339(&self) -> String {
        let time = chrono::DateTime::from_timestamp_micros(self.micros).unwrap();
        time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }

    fn to_udm_json(&self) -> Value {
        let mut event = json!({
            "metadata": {
                "event_type": self.event_type,
                "log_type": self.log_type,
                "product_log_id": self.id,
                "event_timestamp": self.rfc3339(),
            },
            "principal": {
                "user": {"userid": self.user},
                "ip": self.ips,
                "hostname": format!("host-{}", self.user),
            },
        });
        if let Some(emails) = &self.emails {
            event["target"] = json!({"user": {"email_addresses": emails}});
        }
        event
    }
}

/// Events over two days, in time order: the first day has logins from Okta and Azure AD, the
/// second only file reads and web requests, so that the second day's row groups hold no event
/// type the login rules test.
fn events() -> Vec<Event> {
    let day = 86_400_000_000i64;
    let start = 1_796_083_200_000_000i64; // 2026-12-01T00:00:00Z
    let mut out = Vec::new();
    for i in 0..600i64 {
        let second_day = i >= 300;
        let micros = start + if second_day { day } else { 0 } + (i % 300) * 97_013_000;
        let event_type = match (second_day, i % 4) {
            (false, 0) => "FILE_READ",
            (false, _) => "USER_LOGIN",
            (true, 0) => "NETWORK_HTTP",
            (true, _) => "FILE_READ",
        };
        out.push(Event {
            id: format!("ev-{i:04}"),
            event_type,
            log_type: if i % 5 == 0 { "AZURE_AD" } else { "OKTA" },
            micros,
            user: format!("user{}", i % 6),
            ips: (0..(i % 3)).map(|k| format!("10.0.{k}.{}", i % 9)).collect(),
            emails: (i % 2 == 0).then(|| vec![format!("user{}@example.com", i % 6)]),
        });
    }
    out
}

const RULES: &str = r#"
rule okta_login_from_subnet {
  meta:
    severity = "Low"
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $e.metadata.log_type = "OKTA"
    $e.principal.ip = /^10\.0\.1\./
  condition:
    $e
}

rule many_logins {
  meta:
    severity = "Medium"
  events:
    $e.metadata.event_type = "USER_LOGIN"
    $e.principal.user.userid = $user
  match:
    $user over 30m
  outcome:
    $ips = array_distinct($e.principal.ip)
    $emails = array_distinct($e.target.user.email_addresses)
  condition:
    #e >= 3
}
"#;

/// How the flattened layout stores the event time.
#[derive(Clone, Copy, Debug)]
enum TimeColumn {
    Timestamp(TimeUnit),
    PlainMicros,
    Rfc3339,
}

fn text_field(name: &str, repetition: Repetition) -> TypePtr {
    Arc::new(
        Type::primitive_type_builder(name, PhysicalType::BYTE_ARRAY)
            .with_repetition(repetition)
            .with_converted_type(ConvertedType::UTF8)
            .build()
            .unwrap(),
    )
}

/// An optional list of optional strings, in the standard three-level form.
fn text_list(name: &str) -> TypePtr {
    let element = text_field("element", Repetition::OPTIONAL);
    let list = Type::group_type_builder("list")
        .with_repetition(Repetition::REPEATED)
        .with_fields(vec![element])
        .build()
        .unwrap();
    Arc::new(
        Type::group_type_builder(name)
            .with_repetition(Repetition::OPTIONAL)
            .with_logical_type(Some(LogicalType::List))
            .with_fields(vec![Arc::new(list)])
            .build()
            .unwrap(),
    )
}

fn time_field(time: TimeColumn) -> TypePtr {
    let name = "metadata.event_timestamp";
    let field = match time {
        TimeColumn::Rfc3339 => return text_field(name, Repetition::REQUIRED),
        TimeColumn::PlainMicros => Type::primitive_type_builder(name, PhysicalType::INT64)
            .with_repetition(Repetition::REQUIRED),
        TimeColumn::Timestamp(unit) => Type::primitive_type_builder(name, PhysicalType::INT64)
            .with_repetition(Repetition::REQUIRED)
            .with_logical_type(Some(LogicalType::Timestamp { is_adjusted_to_u_t_c: true, unit })),
    };
    Arc::new(field.build().unwrap())
}

fn bytes(text: &str) -> ByteArray {
    ByteArray::from(text.as_bytes().to_vec())
}

/// Writes a list column: values, definition and repetition levels of an optional list of
/// optional strings (`None` is a null list).
fn list_levels(lists: &[Option<&Vec<String>>]) -> (Vec<ByteArray>, Vec<i16>, Vec<i16>) {
    let (mut values, mut defs, mut reps) = (Vec::new(), Vec::new(), Vec::new());
    for list in lists {
        match list {
            None => {
                defs.push(0);
                reps.push(0);
            }
            Some(items) if items.is_empty() => {
                defs.push(1);
                reps.push(0);
            }
            Some(items) => {
                for (k, item) in items.iter().enumerate() {
                    values.push(bytes(item));
                    defs.push(3);
                    reps.push(if k == 0 { 0 } else { 1 });
                }
            }
        }
    }
    (values, defs, reps)
}

/// Writes a column of string lists, whose list is `depth` optional structs deep.
fn write_list(column: &mut SerializedColumnWriter<'_>, lists: &[Option<&Vec<String>>], depth: i16) {
    let (values, defs, reps) = list_levels(lists);
    let defs: Vec<i16> = defs.iter().map(|d| d + depth).collect();
    column.typed::<ByteArrayType>().write_batch(&values, Some(&defs), Some(&reps)).unwrap();
}

/// Writes the events as flattened UDM columns named by UDM path, `rows_per_group` rows to a
/// row group.
fn write_columns(path: &Path, events: &[Event], rows_per_group: usize, time: TimeColumn) {
    let fields = vec![
        text_field("metadata.event_type", Repetition::REQUIRED),
        text_field("metadata.log_type", Repetition::REQUIRED),
        text_field("metadata.product_log_id", Repetition::REQUIRED),
        time_field(time),
        text_field("principal.user.userid", Repetition::OPTIONAL),
        text_list("principal.ip"),
        text_list("target.user.email_addresses"),
        // No rule reads the host name, so a pruned hunt does not decode it.
        text_field("principal.hostname", Repetition::REQUIRED),
    ];
    let schema = Arc::new(Type::group_type_builder("udm").with_fields(fields).build().unwrap());
    let properties = Arc::new(WriterProperties::builder().build());
    let file = fs::File::create(path).unwrap();
    let mut writer = SerializedFileWriter::new(file, schema, properties).unwrap();
    for group in events.chunks(rows_per_group) {
        let mut row_group = writer.next_row_group().unwrap();
        let mut index = 0;
        while let Some(mut column) = row_group.next_column().unwrap() {
            let texts = |f: &dyn Fn(&Event) -> String| -> Vec<ByteArray> {
                group.iter().map(|e| bytes(&f(e))).collect()
            };
            match index {
                0 => {
                    let values = texts(&|e| e.event_type.to_owned());
                    column.typed::<ByteArrayType>().write_batch(&values, None, None).unwrap();
                }
                1 => {
                    let values = texts(&|e| e.log_type.to_owned());
                    column.typed::<ByteArrayType>().write_batch(&values, None, None).unwrap();
                }
                2 => {
                    let values = texts(&|e| e.id.clone());
                    column.typed::<ByteArrayType>().write_batch(&values, None, None).unwrap();
                }
                3 => match time {
                    TimeColumn::Rfc3339 => {
                        let values = texts(&|e| e.rfc3339());
                        column.typed::<ByteArrayType>().write_batch(&values, None, None).unwrap();
                    }
                    TimeColumn::PlainMicros | TimeColumn::Timestamp(TimeUnit::MICROS) => {
                        let values: Vec<i64> = group.iter().map(|e| e.micros).collect();
                        column.typed::<Int64Type>().write_batch(&values, None, None).unwrap();
                    }
                    TimeColumn::Timestamp(TimeUnit::MILLIS) => {
                        let values: Vec<i64> = group.iter().map(|e| e.micros / 1000).collect();
                        column.typed::<Int64Type>().write_batch(&values, None, None).unwrap();
                    }
                    TimeColumn::Timestamp(TimeUnit::NANOS) => {
                        let values: Vec<i64> = group.iter().map(|e| e.micros * 1000).collect();
                        column.typed::<Int64Type>().write_batch(&values, None, None).unwrap();
                    }
                },
                4 => {
                    let values = texts(&|e| e.user.clone());
                    let defs = vec![1i16; values.len()];
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(&values, Some(&defs), None)
                        .unwrap();
                }
                5 => {
                    let lists: Vec<Option<&Vec<String>>> =
                        group.iter().map(|e| Some(&e.ips)).collect();
                    write_list(&mut column, &lists, 0);
                }
                7 => {
                    let values = texts(&|e| format!("host-{}", e.user));
                    column.typed::<ByteArrayType>().write_batch(&values, None, None).unwrap();
                }
                _ => {
                    let lists: Vec<Option<&Vec<String>>> =
                        group.iter().map(|e| e.emails.as_ref()).collect();
                    write_list(&mut column, &lists, 0);
                }
            }
            column.close().unwrap();
            index += 1;
        }
        row_group.close().unwrap();
    }
    writer.close().unwrap();
}

/// Writes the events as one column of UDM JSON text named `column`.
fn write_json_column(path: &Path, events: &[Event], rows_per_group: usize, column: &str) {
    let schema = Arc::new(
        Type::group_type_builder("udm")
            .with_fields(vec![text_field(column, Repetition::OPTIONAL)])
            .build()
            .unwrap(),
    );
    let properties = Arc::new(WriterProperties::builder().build());
    let file = fs::File::create(path).unwrap();
    let mut writer = SerializedFileWriter::new(file, schema, properties).unwrap();
    for group in events.chunks(rows_per_group) {
        let mut row_group = writer.next_row_group().unwrap();
        while let Some(mut writer) = row_group.next_column().unwrap() {
            let values: Vec<ByteArray> =
                group.iter().map(|e| bytes(&e.to_udm_json().to_string())).collect();
            let defs = vec![1i16; values.len()];
            writer.typed::<ByteArrayType>().write_batch(&values, Some(&defs), None).unwrap();
            writer.close().unwrap();
        }
        row_group.close().unwrap();
    }
    writer.close().unwrap();
}

fn write_jsonl(path: &Path, events: &[Event]) {
    let text: String = events.iter().map(|e| format!("{}\n", e.to_udm_json())).collect();
    fs::write(path, text).unwrap();
}

/// A hunt's detections, reduced to what must not depend on the input layout, and its stderr.
fn hunt(args: &[&str]) -> (Vec<Value>, String) {
    hunt_with_status(args, 0)
}

/// [`hunt`] of a hunt that must exit with `status`.
fn hunt_with_status(args: &[&str], status: i32) -> (Vec<Value>, String) {
    let mut all = vec!["hunt", "--output", "jsonl", "--no-progress"];
    all.extend_from_slice(args);
    let output = dragnet(&all);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(status), "hunt {args:?}: {stderr}");
    let detections = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let d: Value = serde_json::from_str(line).expect("a JSON detection");
            json!({
                "id": d["id"],
                "rule": d["rule"]["name"],
                "window": d["time_window"],
                "match": d["match"],
                "outcome": d["outcome"],
            })
        })
        .collect();
    (detections, stderr)
}

struct Fixture {
    dir: PathBuf,
    rules: String,
    jsonl: String,
}

fn fixture(name: &str) -> Fixture {
    let dir = temp_dir(name);
    let rules = dir.join("rules.yaral");
    fs::write(&rules, RULES).unwrap();
    let jsonl = dir.join("events.jsonl");
    write_jsonl(&jsonl, &events());
    Fixture {
        rules: rules.to_str().unwrap().to_owned(),
        jsonl: jsonl.to_str().unwrap().to_owned(),
        dir,
    }
}

#[test]
fn columns_equal_json_lines() {
    let f = fixture("columns");
    let (expected, _) = hunt(&["--rules", &f.rules, &f.jsonl]);
    assert!(expected.len() > 10, "the rules find detections: {}", expected.len());
    let times = [
        TimeColumn::Timestamp(TimeUnit::MICROS),
        TimeColumn::Timestamp(TimeUnit::MILLIS),
        TimeColumn::Timestamp(TimeUnit::NANOS),
        TimeColumn::PlainMicros,
        TimeColumn::Rfc3339,
    ];
    for (n, time) in times.into_iter().enumerate() {
        let path = f.dir.join(format!("events-{n}.parquet"));
        write_columns(&path, &events(), 50, time);
        let path = path.to_str().unwrap();
        let (pruned, stderr) = hunt(&["--rules", &f.rules, path]);
        assert_eq!(pruned, expected, "{time:?}, pruned: {stderr}");
        // The second day has no login, so its row groups are skipped.
        assert!(stderr.contains("6 row groups read, 6 skipped"), "{time:?}: {stderr}");
        let (unpruned, stderr) = hunt(&["--rules", &f.rules, "--no-prune", path]);
        assert_eq!(unpruned, expected, "{time:?}, not pruned: {stderr}");
        assert!(stderr.contains("12 row groups read, 0 skipped"), "{time:?}: {stderr}");
    }
    let _ = fs::remove_dir_all(&f.dir);
}

#[test]
fn json_column_equals_json_lines() {
    let f = fixture("json");
    let (expected, _) = hunt(&["--rules", &f.rules, &f.jsonl]);
    let default_name = f.dir.join("udm.parquet");
    write_json_column(&default_name, &events(), 64, "udm");
    let (found, stderr) = hunt(&["--rules", &f.rules, default_name.to_str().unwrap()]);
    assert_eq!(found, expected, "{stderr}");
    let named = f.dir.join("named.parquet");
    write_json_column(&named, &events(), 64, "raw_event");
    let named = named.to_str().unwrap();
    let (found, stderr) = hunt(&["--rules", &f.rules, "--parquet-json-column", "raw_event", named]);
    assert_eq!(found, expected, "{stderr}");
    let (found, stderr) =
        hunt(&["--rules", &f.rules, "--no-prune", "--parquet-json-column", "raw_event", named]);
    assert_eq!(found, expected, "{stderr}");
    let _ = fs::remove_dir_all(&f.dir);
}

#[test]
fn format_parquet_and_magic_without_extension() {
    let f = fixture("magic");
    let (expected, _) = hunt(&["--rules", &f.rules, &f.jsonl]);
    let path = f.dir.join("events.bin");
    write_columns(&path, &events(), 100, TimeColumn::Timestamp(TimeUnit::MICROS));
    let path = path.to_str().unwrap();
    let (by_magic, stderr) = hunt(&["--rules", &f.rules, path]);
    assert_eq!(by_magic, expected, "{stderr}");
    let (forced, stderr) = hunt(&["--rules", &f.rules, "--format", "parquet", path]);
    assert_eq!(forced, expected, "{stderr}");
    let _ = fs::remove_dir_all(&f.dir);
}

#[test]
fn time_range_prunes_row_groups_and_partitions() {
    let f = fixture("partitions");
    let all = events();
    let (first_day, second_day) = all.split_at(300);
    let lake = f.dir.join("lake");
    for (folder, part) in [("dt=2026-12-01", first_day), ("dt=2026-12-02", second_day)] {
        fs::create_dir_all(lake.join(folder)).unwrap();
        write_columns(&lake.join(folder).join("part-0.parquet"), part, 50, TimeColumn::PlainMicros);
    }
    let lake = lake.to_str().unwrap();
    let range = ["--from", "2026-12-01T02:00:00Z", "--to", "2026-12-01T05:00:00Z"];
    let mut args = vec!["--rules", f.rules.as_str(), f.jsonl.as_str()];
    args.extend_from_slice(&range);
    let (expected, _) = hunt(&args);
    assert!(!expected.is_empty(), "the range holds detections");
    let mut args = vec!["--rules", f.rules.as_str(), lake];
    args.extend_from_slice(&range);
    let (found, stderr) = hunt(&args);
    assert_eq!(found, expected, "{stderr}");
    assert!(stderr.contains("1 files skipped by their partition folders"), "{stderr}");
    // Rows 0 to 299 span about eight hours, 50 to a row group: the range, widened by the
    // 30-minute window, touches only some of the six.
    assert!(!stderr.contains(" 0 skipped by their statistics"), "{stderr}");
    args.push("--no-prune");
    let (unpruned, stderr) = hunt(&args);
    assert_eq!(unpruned, expected, "{stderr}");
    assert!(stderr.contains("0 files skipped by their partition folders"), "{stderr}");
    let _ = fs::remove_dir_all(&f.dir);
}

#[test]
fn parquet_shards_equal_whole_hunt() {
    let f = fixture("shards");
    let path = f.dir.join("events.parquet");
    write_columns(&path, &events(), 40, TimeColumn::Timestamp(TimeUnit::MILLIS));
    let path = path.to_str().unwrap();
    let (whole, _) = hunt(&["--rules", &f.rules, path]);
    let ids = |detections: Vec<Value>| -> Vec<String> {
        let mut ids: Vec<String> =
            detections.iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect();
        ids.sort();
        ids
    };
    let whole = ids(whole);
    for splits in [
        ["2026-12-01T03:10:00Z", "2026-12-01T05:00:05Z"],
        ["2026-12-01T01:00:00Z", "2026-12-02T00:00:00Z"],
    ] {
        let bounds = ["2026-11-30", splits[0], splits[1], "2026-12-03"];
        let mut sharded = Vec::new();
        for pair in bounds.windows(2) {
            let (found, _) = hunt(&["--rules", &f.rules, "--from", pair[0], "--to", pair[1], path]);
            sharded.extend(found);
        }
        assert_eq!(ids(sharded), whole, "split at {splits:?}");
    }
    let _ = fs::remove_dir_all(&f.dir);
}

#[test]
fn bad_files_are_reported_and_skipped() {
    let f = fixture("bad");
    let good = f.dir.join("good.parquet");
    write_columns(&good, &events(), 50, TimeColumn::PlainMicros);
    let bytes = fs::read(&good).unwrap();
    let (expected, _) = hunt(&["--rules", &f.rules, good.to_str().unwrap()]);
    let cut = f.dir.join("cut.parquet");
    fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let noise = f.dir.join("noise.parquet");
    fs::write(&noise, b"PAR1 this is not a Parquet file at all PAR1").unwrap();
    let empty = f.dir.join("empty.parquet");
    fs::write(&empty, b"").unwrap();
    // Garbled page data: the footer is intact, so the damage shows in a row group.
    let mut garbled = bytes.clone();
    for byte in garbled.iter_mut().skip(200).take(400) {
        *byte ^= 0x5a;
    }
    let garbled_path = f.dir.join("garbled.parquet");
    fs::write(&garbled_path, &garbled).unwrap();
    let inputs = [&cut, &noise, &empty, &garbled_path, &good];
    let mut args = vec!["--rules", f.rules.as_str()];
    args.extend(inputs.iter().map(|p| p.to_str().unwrap()));
    // Three files cannot be read at all, which makes the exit status 1.
    let (found, stderr) = hunt_with_status(&args, 1);
    assert!(stderr.contains("inputs: 2 read in full, 3 not read,"), "{stderr}");
    assert!(stderr.contains("cannot read"), "{stderr}");
    assert!(stderr.contains("cut.parquet"), "{stderr}");
    assert!(stderr.contains("noise.parquet"), "{stderr}");
    assert!(stderr.contains("empty.parquet"), "{stderr}");
    assert!(stderr.contains("garbled.parquet"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Every detection of the good file is still found.
    for detection in &expected {
        assert!(found.contains(detection), "missing {detection}: {stderr}");
    }
    let _ = fs::remove_dir_all(&f.dir);
}

#[test]
fn damaged_bytes_never_stop_the_hunt() {
    let f = fixture("damage");
    let good = f.dir.join("good.parquet");
    write_columns(&good, &events()[..60], 20, TimeColumn::PlainMicros);
    let bytes = fs::read(&good).unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut paths = Vec::new();
    for n in 0..40 {
        let mut damaged = bytes.clone();
        // A small xorshift generator picks the damage, so the test is repeatable.
        for _ in 0..(1 + n % 4) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed % damaged.len() as u64) as usize;
            damaged[at] = (seed >> 32) as u8;
        }
        if n % 5 == 0 {
            damaged.truncate((seed % bytes.len() as u64) as usize);
        }
        let path = f.dir.join(format!("damaged-{n:02}.parquet"));
        fs::write(&path, damaged).unwrap();
        paths.push(path);
    }
    let mut args = vec!["hunt", "--output", "jsonl", "--no-progress", "--rules", f.rules.as_str()];
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    let output = dragnet(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Status 1 means that some files could not be read at all, and the hunt still finished.
    assert!(matches!(output.status.code(), Some(0 | 1)), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("summary:"), "{stderr}");
    let _ = fs::remove_dir_all(&f.dir);
}

#[test]
fn pruned_hunt_reads_only_rule_columns() {
    let f = fixture("projection");
    let path = f.dir.join("events.parquet");
    write_columns(&path, &events(), 50, TimeColumn::PlainMicros);
    let path = path.to_str().unwrap();
    let base = ["hunt", "--output", "jsonl", "--no-progress", "--rules", f.rules.as_str(), path];
    let pruned = dragnet(&base);
    let pruned = String::from_utf8_lossy(&pruned.stdout);
    assert!(!pruned.is_empty(), "the hunt gives detections");
    // The sample events of a detection carry only the columns that were decoded.
    assert!(!pruned.contains("\"hostname\""), "the unused column was decoded");
    let mut all_columns = base.to_vec();
    all_columns.push("--no-prune");
    let unpruned = dragnet(&all_columns);
    let unpruned = String::from_utf8_lossy(&unpruned.stdout);
    assert!(unpruned.contains("\"hostname\":\"host-user"), "--no-prune decodes every column");
    let _ = fs::remove_dir_all(&f.dir);
}

/// Writes the events as nested struct columns, as DuckDB and Spark write UDM JSON: `metadata`
/// and `principal` structs, with camelCase names as the JSON input had them.
fn write_nested(path: &Path, events: &[Event]) {
    let timestamp = Arc::new(
        Type::primitive_type_builder("eventTimestamp", PhysicalType::INT64)
            .with_repetition(Repetition::OPTIONAL)
            .with_logical_type(Some(LogicalType::Timestamp {
                is_adjusted_to_u_t_c: true,
                unit: TimeUnit::MICROS,
            }))
            .build()
            .unwrap(),
    );
    let metadata = Type::group_type_builder("metadata")
        .with_repetition(Repetition::OPTIONAL)
        .with_fields(vec![
            text_field("eventType", Repetition::OPTIONAL),
            text_field("logType", Repetition::OPTIONAL),
            text_field("productLogId", Repetition::OPTIONAL),
            timestamp,
        ])
        .build()
        .unwrap();
    let user = Type::group_type_builder("user")
        .with_repetition(Repetition::OPTIONAL)
        .with_fields(vec![text_field("userid", Repetition::OPTIONAL)])
        .build()
        .unwrap();
    let principal = Type::group_type_builder("principal")
        .with_repetition(Repetition::OPTIONAL)
        .with_fields(vec![Arc::new(user), text_list("ip")])
        .build()
        .unwrap();
    let schema = Arc::new(
        Type::group_type_builder("duckdb_schema")
            .with_fields(vec![Arc::new(metadata), Arc::new(principal)])
            .build()
            .unwrap(),
    );
    let properties = Arc::new(WriterProperties::builder().build());
    let file = fs::File::create(path).unwrap();
    let mut writer = SerializedFileWriter::new(file, schema, properties).unwrap();
    let mut row_group = writer.next_row_group().unwrap();
    let mut index = 0;
    while let Some(mut column) = row_group.next_column().unwrap() {
        // Every struct is present, so an optional leaf under one optional struct has
        // definition level 2, and under two (`principal.user.userid`) level 3.
        let texts = |f: &dyn Fn(&Event) -> String| -> Vec<ByteArray> {
            events.iter().map(|e| bytes(&f(e))).collect()
        };
        match index {
            0..=2 => {
                let values = match index {
                    0 => texts(&|e| e.event_type.to_owned()),
                    1 => texts(&|e| e.log_type.to_owned()),
                    _ => texts(&|e| e.id.clone()),
                };
                let defs = vec![2i16; values.len()];
                column.typed::<ByteArrayType>().write_batch(&values, Some(&defs), None).unwrap();
            }
            3 => {
                let values: Vec<i64> = events.iter().map(|e| e.micros).collect();
                let defs = vec![2i16; values.len()];
                column.typed::<Int64Type>().write_batch(&values, Some(&defs), None).unwrap();
            }
            4 => {
                let values = texts(&|e| e.user.clone());
                let defs = vec![3i16; values.len()];
                column.typed::<ByteArrayType>().write_batch(&values, Some(&defs), None).unwrap();
            }
            _ => {
                // One level deeper than a top-level list, for the `principal` struct.
                let lists: Vec<Option<&Vec<String>>> =
                    events.iter().map(|e| Some(&e.ips)).collect();
                write_list(&mut column, &lists, 1);
            }
        }
        column.close().unwrap();
        index += 1;
    }
    row_group.close().unwrap();
    writer.close().unwrap();
}

#[test]
fn nested_camel_case_structs_equal_json_lines() {
    let f = fixture("nested");
    // The nested file has no email or host name columns, so the JSON lines leave them out too.
    let events: Vec<Event> = events().into_iter().map(|e| Event { emails: None, ..e }).collect();
    let jsonl = f.dir.join("nested.jsonl");
    let text: String = events
        .iter()
        .map(|e| {
            let mut json = e.to_udm_json();
            if let Some(principal) = json["principal"].as_object_mut() {
                principal.remove("hostname");
            }
            format!("{json}\n")
        })
        .collect();
    fs::write(&jsonl, text).unwrap();
    let (expected, _) = hunt(&["--rules", &f.rules, jsonl.to_str().unwrap()]);
    assert!(!expected.is_empty(), "the rules find detections");
    let path = f.dir.join("nested.parquet");
    write_nested(&path, &events);
    let path = path.to_str().unwrap();
    let (pruned, stderr) = hunt(&["--rules", &f.rules, path]);
    assert_eq!(pruned, expected, "{stderr}");
    let (unpruned, stderr) = hunt(&["--rules", &f.rules, "--no-prune", path]);
    assert_eq!(unpruned, expected, "{stderr}");
    let _ = fs::remove_dir_all(&f.dir);
}
