//! Loading what rules and parsers look things up in: reference lists, the ASN database, the
//! identity table and entity records, from the command line or from the bundled files.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use enrich::{AsnDb, ListKind, ReferenceList, ReferenceLists};

use crate::bundled;

/// The list type a file extension stands for, or `None` for files that are not lists.
fn list_kind(path: &Path) -> Option<ListKind> {
    match path.extension().and_then(|e| e.to_str())?.to_ascii_lowercase().as_str() {
        "txt" => Some(ListKind::String),
        "regex" => Some(ListKind::Regex),
        "cidr" => Some(ListKind::Cidr),
        _ => None,
    }
}

fn list_name(path: &Path) -> Option<&str> {
    path.file_stem().and_then(|s| s.to_str())
}

/// Loads one list file's text into `lists`, replacing a list of the same name, and prints every
/// problem with the list's entries.
fn load_list_text(lists: &mut ReferenceLists, path: &Path, origin: &str, text: &str) {
    let (Some(kind), Some(name)) = (list_kind(path), list_name(path)) else { return };
    let (list, problems) = ReferenceList::from_text(name, kind, text, origin);
    for problem in problems {
        eprintln!("warning: {problem}");
    }
    lists.insert(list);
}

/// Loads the bundled list templates, then the demo lists when `demo` is set, then each folder of
/// `dirs` in order. A later list replaces an earlier one of the same name (names compare
/// case-insensitively).
pub fn load_lists(dirs: &[PathBuf], demo: bool) -> Result<ReferenceLists> {
    let mut lists = ReferenceLists::default();
    let mut layers = vec![bundled::LISTS_DIR];
    if demo {
        layers.push(bundled::DEMO_LISTS_DIR);
    }
    for layer in layers {
        for (path, bytes) in bundled::files_under(layer) {
            load_list_text(&mut lists, Path::new(path), path, &String::from_utf8_lossy(bytes));
        }
    }
    for dir in dirs {
        for path in list_files(dir)? {
            let text = fs::read(&path)
                .with_context(|| format!("cannot read list file {}", path.display()))?;
            let origin = path.display().to_string();
            load_list_text(&mut lists, &path, &origin, &String::from_utf8_lossy(&text));
        }
    }
    Ok(lists)
}

/// Returns the list files in one `--lists` folder, in name order, and warns about every other
/// regular file except hidden files and Markdown notes. Without the warning, a list saved as
/// `VPN_TOR_ASNS.csv`, or a folder one level too high, silently leaves the bundled templates
/// in force.
fn list_files(dir: &Path) -> Result<Vec<PathBuf>> {
    if dir.is_file() {
        bail!(
            "--lists takes a folder, and {} is a file: put the list files (NAME.txt, \
             NAME.regex, NAME.cidr) in a folder and give that folder",
            dir.display()
        );
    }
    let entries = fs::read_dir(dir).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => anyhow!("lists folder not found: {}", dir.display()),
        _ => anyhow!("cannot read the lists folder {}: {e}", dir.display()),
    })?;
    let mut files = Vec::new();
    for path in entries.filter_map(|entry| entry.ok().map(|e| e.path())) {
        if !path.is_file() {
            continue;
        }
        if list_kind(&path).is_some() {
            files.push(path);
        } else if !is_hidden_or_note(&path) {
            eprintln!(
                "warning: {} is not loaded as a reference list: a list file is named NAME.txt \
                 (strings), NAME.regex or NAME.cidr",
                path.display()
            );
        }
    }
    files.sort();
    Ok(files)
}

fn is_hidden_or_note(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let is_markdown =
        path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("md"));
    name.starts_with('.') || is_markdown
}

/// Loads the ASN databases named on the command line, in order, into one lookup (a lookup
/// takes the first database that knows the address, so an ASN database and a City database
/// complement each other), or the demo's table when none is named and `demo` is set.
pub fn load_asn_db(paths: &[PathBuf], demo: bool) -> Result<Option<AsnDb>> {
    let mut combined: Option<AsnDb> = None;
    for path in paths {
        let (db, problems) = AsnDb::load(path)
            .with_context(|| format!("cannot load the ASN database {}", path.display()))?;
        for problem in problems {
            eprintln!("warning: {problem}");
        }
        match &mut combined {
            Some(all) => all.extend(db),
            None => combined = Some(db),
        }
    }
    if combined.is_some() || !demo {
        return Ok(combined);
    }
    let Some(bytes) = bundled::file(bundled::DEMO_ASN_DB) else { return Ok(None) };
    let (db, problems) = AsnDb::from_tsv(&String::from_utf8_lossy(bytes), bundled::DEMO_ASN_DB);
    for problem in problems {
        eprintln!("warning: {problem}");
    }
    Ok(Some(db))
}

/// Loads the identity table named on the command line, or the demo's when `demo` is set.
pub fn load_identities(path: Option<&Path>, demo: bool) -> Result<sources::Identities> {
    if let Some(path) = path {
        let text = fs::read(path)
            .with_context(|| format!("cannot read the identity table {}", path.display()))?;
        let origin = path.display().to_string();
        return sources::Identities::from_csv(&String::from_utf8_lossy(&text), &origin)
            .with_context(|| format!("invalid identity table {}", path.display()));
    }
    match bundled::file(bundled::DEMO_IDENTITIES) {
        Some(bytes) if demo => {
            sources::Identities::from_csv(&String::from_utf8_lossy(bytes), bundled::DEMO_IDENTITIES)
                .context("invalid bundled identity table")
        }
        _ => Ok(sources::Identities::default()),
    }
}

/// Loads the data tables of `--data-tables` folders (`NAME.csv`, header row first), printing
/// every row or file that could not be read. A later folder replaces a table of the same name.
pub fn load_tables(dirs: &[PathBuf]) -> Result<enrich::DataTables> {
    let mut tables = enrich::DataTables::new();
    for dir in dirs {
        if !dir.is_dir() {
            bail!(
                "--data-tables takes a folder of NAME.csv files, and {} is not a folder",
                dir.display()
            );
        }
        let problems = tables
            .load_dir(dir)
            .with_context(|| format!("cannot read the data tables in {}", dir.display()))?;
        for problem in problems {
            eprintln!("warning: {problem}");
        }
    }
    Ok(tables)
}

/// Loads the entity records that `$e.graph.` fields read, from files or folders of UDM
/// `Entity` records in proto3 JSON. A file contains one record per line, JSON documents one
/// after another (pretty-printed or not), a JSON array of records, or an object whose
/// `entities` array contains them (also under `inline_source` or `inlineSource`, as in Google
/// SecOps' entity import requests). Files may be gzip or zstd compressed. Records are read one
/// at a time, as event inputs are, so a file is never held in memory whole.
///
/// A record that is not a usable `Entity` is reported with its file and line (and array
/// index), and skipped; the others load. A file that is not JSON at all is reported once.
pub fn load_entities(paths: &[PathBuf]) -> Result<LoadedEntities> {
    let mut entities = engine::Entities::new();
    let mut skipped = 0usize;
    let mut duplicates = 0usize;
    let mut unknown = UnknownFields::default();
    let mut report = |at: &str, reason: &str| {
        skipped += 1;
        if skipped <= MAX_ENTITY_WARNINGS {
            eprintln!("warning: {at}: {reason}");
        }
    };
    for path in paths {
        let arg = path.to_string_lossy().into_owned();
        let inputs = crate::input::expand(std::slice::from_ref(&arg))
            .with_context(|| format!("cannot read the entity records {}", path.display()))?;
        if inputs.is_empty() {
            bail!("no entity file found at {}", path.display());
        }
        for input in inputs {
            let reader = input
                .open_counting(None)
                .with_context(|| format!("cannot read the entity records {}", input.name))?;
            let mut records = crate::input::records(reader);
            for found in records.by_ref() {
                let at = match found.element {
                    Some(index) => format!("{}:{} [{index}]", input.name, found.line),
                    None => format!("{}:{}", input.name, found.line),
                };
                let json = match found.record {
                    Ok(crate::input::Record::Json(json)) => json,
                    Ok(crate::input::Record::Csv(_)) => {
                        report(
                            &input.name,
                            "not JSON, so the file is skipped; entity records are UDM Entity \
                             JSON, one per line or in an array",
                        );
                        break;
                    }
                    Err(reason) => {
                        report(&at, &format!("entity record skipped: {reason}"));
                        continue;
                    }
                };
                let mut add = |at: &str, json: &serde_json::Value| match entity_record(json) {
                    Ok(entity) => {
                        unknown.add(at, json);
                        if !entities.push(entity) {
                            duplicates += 1;
                        }
                    }
                    Err(reason) => report(at, &format!("entity record skipped: {reason}")),
                };
                match import_request_entities(&json) {
                    Some(items) => {
                        for (index, item) in items.iter().enumerate() {
                            add(&format!("{at} entities[{index}]"), item);
                        }
                    }
                    None => add(&at, &json),
                }
            }
            if let Some(error) = records.into_error() {
                return Err(error)
                    .with_context(|| format!("cannot read the entity records {}", input.name));
            }
        }
    }
    if skipped > MAX_ENTITY_WARNINGS {
        eprintln!("warning: {} more entity records skipped", skipped - MAX_ENTITY_WARNINGS);
    }
    unknown.report();
    if duplicates > 0 {
        eprintln!(
            "warning: {duplicates} entity records are identical to one loaded before them, so \
             each is loaded once"
        );
    }
    Ok(LoadedEntities { entities, skipped })
}

/// The entity records that [`load_entities`] read.
pub struct LoadedEntities {
    /// The records that load.
    pub entities: engine::Entities,
    /// Records reported and skipped, with each file that is not JSON counted once.
    pub skipped: usize,
}

/// Entity records reported one by one before the rest are only counted.
const MAX_ENTITY_WARNINGS: usize = 20;

/// The fields of loaded entity records that a UDM `Entity` does not define, by path, each with
/// where it first appears and how many records have it. The JSON reader keeps such fields, but
/// no rule can name them, so they are most often a misplaced or misspelt field.
#[derive(Default)]
struct UnknownFields {
    /// Per path: the first record's position and the number of records.
    found: Vec<(String, String, usize)>,
    /// The index in `found` of each path.
    index: std::collections::HashMap<String, usize>,
}

impl UnknownFields {
    /// Records the unknown fields of the record at `at`.
    fn add(&mut self, at: &str, json: &serde_json::Value) {
        let mut paths = Vec::new();
        unknown_fields(udm::schema::entity(), json, "", &mut paths);
        paths.sort();
        paths.dedup();
        for path in paths {
            match self.index.get(&path) {
                Some(&i) => {
                    if let Some(entry) = self.found.get_mut(i) {
                        entry.2 += 1;
                    }
                }
                None => {
                    self.index.insert(path.clone(), self.found.len());
                    self.found.push((path, at.to_owned(), 1));
                }
            }
        }
    }

    /// Prints one warning per path, for the first [`MAX_ENTITY_WARNINGS`] paths.
    fn report(&self) {
        for (path, at, count) in self.found.iter().take(MAX_ENTITY_WARNINGS) {
            eprintln!(
                "warning: {at}: `{path}` is not a field of a UDM Entity, so no rule can read it \
                 (in {count} records)"
            );
        }
        if self.found.len() > MAX_ENTITY_WARNINGS {
            let more = self.found.len() - MAX_ENTITY_WARNINGS;
            eprintln!("warning: {more} more fields that a UDM Entity does not define");
        }
    }
}

/// Appends to `out` the path of each field of `json` that `message` does not define, looking
/// into nested messages and lists of them. Struct fields, such as `additional`, take any key.
fn unknown_fields(
    message: &'static udm::schema::MessageType,
    json: &serde_json::Value,
    path: &str,
    out: &mut Vec<String>,
) {
    let Some(object) = json.as_object() else { return };
    for (key, value) in object {
        let field_path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
        let Some(field) = message.field(key) else {
            out.push(field_path);
            continue;
        };
        let udm::schema::FieldKind::Message(inner) = field.kind() else { continue };
        match value {
            serde_json::Value::Array(items) => {
                for item in items {
                    unknown_fields(inner, item, &field_path, out);
                }
            }
            other => unknown_fields(inner, other, &field_path, out),
        }
    }
}

/// Returns the `entities` array of an entity import request, `{"entities": [...]}`, also
/// wrapped in `inline_source` or `inlineSource`; `None` for any other JSON value.
fn import_request_entities(json: &serde_json::Value) -> Option<&Vec<serde_json::Value>> {
    let request =
        ["inline_source", "inlineSource"].iter().find_map(|key| json.get(key)).unwrap_or(json);
    request.get("entities")?.as_array()
}

/// Reads one entity record, or returns why it cannot be used. A record is rejected when it is
/// not a valid UDM `Entity`, when it has none of an `Entity`'s fields (a mistake, such as a flat
/// list of indicators), and when its validity interval ends before it starts, since no event
/// could pair with it.
fn entity_record(json: &serde_json::Value) -> std::result::Result<udm::Message, String> {
    let entity = udm::json::entity_from_json(json).map_err(|e| e.to_string())?;
    let schema = udm::schema::entity();
    let known =
        json.as_object().is_some_and(|object| object.keys().any(|k| schema.field(k).is_some()));
    if !known {
        return Err(
            "the record has no field of a UDM Entity (metadata, entity, relations, ...)".to_owned()
        );
    }
    if let (Some(start), Some(end)) = engine::validity_interval(&entity) {
        if end < start {
            let text = |t: udm::Timestamp| match udm::json::value_to_json(&udm::Value::Timestamp(t))
            {
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            };
            return Err(format!(
                "metadata.interval: its end_time is before its start_time ({} < {}), so no \
                 event can pair with it",
                text(end),
                text(start),
            ));
        }
    }
    Ok(entity)
}
