//! Reading Parquet files row group by row group.
//!
//! Row groups are decoded column by column in [`super::columnar`]. A schema that module does not
//! rebuild rows from is read row by row with the `parquet` crate's record API instead.
//!
//! Before a row group is decoded, its column statistics decide whether it can be skipped: when
//! the time column's minimum and maximum lie outside the hunt's range, or when, for every event
//! variable of every rule, some tested column (`metadata.event_type`, `metadata.log_type`, ...)
//! has a value range that holds none of the texts the test accepts. Only the top-level columns
//! that hold a field the rules read are decoded, plus the time and id columns.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parquet::basic::{ConvertedType, LogicalType, Repetition, TimeUnit, Type as PhysicalType};
use parquet::file::metadata::RowGroupMetaData;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::statistics::Statistics;
use parquet::record::{Field, Row};
use parquet::schema::types::{SchemaDescriptor, Type, TypePtr};
use serde_json::{Map, Value as Json};

use super::columnar::{JsonColumn, RowTree};
use super::{ParquetOptions, RowGroupCounts, Step, DEFAULT_JSON_COLUMNS};
use crate::input::{Input, InputSource, Record};
use crate::stream::{Batch, Body, Item, BATCH_BYTES, BATCH_RECORDS};

/// The UDM path of the event time, which range pruning reads.
const TIME_PATH: &str = "metadata.event_timestamp";

/// Fields every projection keeps: the event time, and the id that detection ids are made
/// from. `collected_timestamp` is kept since a source may fill the event time from it.
const ALWAYS_READ: &[&str] =
    &["metadata.event_timestamp", "metadata.product_log_id", "metadata.collected_timestamp"];

/// One leaf column of the file, with the UDM path it holds.
struct Leaf {
    /// Dotted UDM path: column and struct names, without the levels Parquet adds for lists.
    path: String,
    physical: PhysicalType,
    /// For an INT64 column, nanoseconds per stored unit when it is a timestamp.
    nanos_per_unit: Option<i128>,
    /// A string column annotated as JSON, whose text is parsed into the record.
    is_json: bool,
}

/// The layout of a file's rows, which decides how they become UDM records.
enum Layout {
    /// UDM fields as columns.
    Columns,
    /// One column of UDM JSON text: its top-level field index and name.
    Json { field: usize, name: String },
}

/// The parts of one file's schema that reading and pruning use.
pub(super) struct FileSchema {
    layout: Layout,
    /// Leaf columns, in the file's column order.
    leaves: Vec<Leaf>,
    /// Top-level fields, each with the range of its leaves.
    fields: Vec<(TypePtr, std::ops::Range<usize>)>,
    /// INT64 leaves at UDM timestamp paths: nanoseconds per stored unit, by path.
    time_units: HashMap<String, i128>,
    /// Paths of string columns annotated as JSON.
    json_paths: HashSet<String>,
    /// The name of the schema's root, which a projection must repeat.
    root_name: String,
    /// The tree that rebuilds rows from the columns, or `None` when the record API reads them.
    rows: Option<RowTree>,
    /// The text column of the JSON layout, or `None` when the record API reads it.
    json_column: Option<JsonColumn>,
}

/// Reads one Parquet input; see [`super::read_input`].
pub(super) fn read_input(
    input: &Input,
    options: &ParquetOptions,
    read_bytes: &AtomicU64,
    send: &mut dyn FnMut(Step) -> bool,
) -> Result<RowGroupCounts, String> {
    let InputSource::File(path) = &input.source else {
        return Err(format!(
            "{}: Parquet is read from regular files only, not from standard input or a pipe; \
             save it to a file and name the file",
            input.name
        ));
    };
    let file = File::open(path).map_err(|e| format!("cannot open {}: {e}", input.name))?;
    let opened = catch_panic(|| SerializedFileReader::new(file));
    let reader = match opened {
        Ok(Ok(reader)) => reader,
        Ok(Err(e)) => return Err(not_parquet(&input.name, &e.to_string())),
        Err(_) => return Err(not_parquet(&input.name, "the Parquet reader failed on its footer")),
    };
    let schema = FileSchema::of(reader.metadata().file_metadata().schema_descr(), options)
        .map_err(|e| format!("{}: {e}", input.name))?;
    let mut counts = RowGroupCounts::default();
    let mut batch = new_batch(0);
    let mut row_number = 0usize;
    for index in 0..reader.num_row_groups() {
        let meta = reader.metadata().row_group(index);
        let rows = usize::try_from(meta.num_rows()).unwrap_or(0);
        read_bytes.fetch_add(u64::try_from(meta.compressed_size()).unwrap_or(0), Ordering::Relaxed);
        if options.prune && schema.can_skip(meta, options) {
            tracing::debug!(input = %input.name, row_group = index, rows, "row group skipped");
            counts.skipped += 1;
            row_number += rows;
            continue;
        }
        counts.read += 1;
        let fields = if options.prune { schema.projected_fields(meta, options) } else { None };
        let first_row = row_number;
        let decoded = catch_panic(|| {
            let mut each = |item: (usize, RowRecord<'_>)| {
                push(&mut batch, item);
                if batch.items.len() >= BATCH_RECORDS || batch.text.len() >= BATCH_BYTES {
                    let next = new_batch(batch.text.len());
                    return send(Step::Batch(std::mem::replace(&mut batch, next)));
                }
                true
            };
            schema.read_row_group(&reader, index, fields.as_deref(), &mut row_number, &mut each)
        });
        let failure = match decoded {
            Ok(Ok(true)) => None,
            Ok(Ok(false)) => return Ok(counts),
            Ok(Err(e)) => Some(e),
            Err(_) => Some("the Parquet reader failed on it".to_owned()),
        };
        if let Some(reason) = failure {
            counts.failed += 1;
            let kept = row_number - first_row;
            let message = format!(
                "{}: row group {index} (rows {}..{}): {reason}; its other rows are skipped \
                 ({kept} read before the error), and the next row group is read",
                input.name,
                first_row + 1,
                first_row + rows
            );
            row_number = first_row + rows;
            if !send(Step::RowGroupFailed(message)) {
                return Ok(counts);
            }
        }
    }
    if !batch.items.is_empty() {
        send(Step::Batch(batch));
    }
    Ok(counts)
}

thread_local! {
    /// Whether this thread is inside [`catch_panic`], whose panics are reported as errors.
    static CATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic into `Err`. The `parquet` crate can panic on damaged files, and
/// such a panic is reported as that file's or row group's error. So the default hook's panic
/// message is left out for it.
fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, ()> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !CATCHING.with(std::cell::Cell::get) {
                default(info);
            }
        }));
    });
    CATCHING.with(|c| c.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(false));
    result.map_err(|_| ())
}

fn not_parquet(name: &str, reason: &str) -> String {
    format!(
        "cannot read {name} as Parquet: {reason}; the file is skipped. Check that it is a \
         complete Parquet file (a copy cut short loses the footer)"
    )
}

/// Creates a batch with room for as much text as the last one had, plus an eighth. Growing the
/// text from empty in every batch spent about 8% of the pack benchmark's CPU samples in the
/// kernel, zeroing new pages.
fn new_batch(last_text_bytes: usize) -> Batch {
    let text_bytes = last_text_bytes.min(BATCH_BYTES);
    Batch {
        text: Vec::with_capacity(text_bytes + text_bytes / 8),
        items: Vec::with_capacity(if last_text_bytes > 0 { BATCH_RECORDS } else { 0 }),
        native_udm: true,
    }
}

/// One row, converted.
pub(super) enum RowRecord<'a> {
    Json(Json),
    /// JSON text, which the workers parse.
    Text(&'a str),
    Invalid(String),
}

fn push(batch: &mut Batch, (line, record): (usize, RowRecord)) {
    let body = match record {
        RowRecord::Json(value) => Body::Ready(Ok(Record::Json(value))),
        RowRecord::Invalid(reason) => Body::Ready(Err(reason)),
        RowRecord::Text(text) => {
            let start = batch.text.len();
            batch.text.extend_from_slice(text.trim().as_bytes());
            Body::Json(start..batch.text.len())
        }
    };
    batch.items.push(Item { line, element: None, body });
}

impl FileSchema {
    /// Decodes the rows of one row group, reading only the top-level fields in `fields` (all
    /// when `None`), and passes each, with its 1-based row number in the file, to `each` until
    /// it returns false. Returns whether every row was passed on.
    pub(super) fn read_row_group(
        &self,
        reader: &SerializedFileReader<File>,
        index: usize,
        fields: Option<&[usize]>,
        row_number: &mut usize,
        each: &mut dyn FnMut((usize, RowRecord)) -> bool,
    ) -> Result<bool, String> {
        if let Some(column) = &self.json_column {
            return column.read_row_group(reader, index, row_number, &mut |line, text| {
                each((line, self.json_text_record(text)))
            });
        }
        if let (Layout::Columns, Some(rows)) = (&self.layout, &self.rows) {
            return rows.read_row_group(
                self,
                reader,
                index,
                fields,
                row_number,
                &mut |line, text| {
                    // The text is JSON that `columnar` wrote, so it is valid UTF-8.
                    let text = std::str::from_utf8(text).unwrap_or_default();
                    each((line, RowRecord::Text(text)))
                },
            );
        }
        self.read_with_record_api(reader, index, fields, row_number, each)
    }

    /// Reads a row group as [`FileSchema::read_row_group`] does, with the `parquet` crate's
    /// record API.
    pub(super) fn read_with_record_api(
        &self,
        reader: &SerializedFileReader<File>,
        index: usize,
        fields: Option<&[usize]>,
        row_number: &mut usize,
        each: &mut dyn FnMut((usize, RowRecord)) -> bool,
    ) -> Result<bool, String> {
        let projection = fields.and_then(|fields| self.projection(fields));
        let group = reader.get_row_group(index).map_err(|e| e.to_string())?;
        let rows = group.get_row_iter(projection).map_err(|e| e.to_string())?;
        for row in rows {
            let row = row.map_err(|e| e.to_string())?;
            *row_number += 1;
            let converted;
            let record = match &self.layout {
                Layout::Json { name, .. } => {
                    let text = match row.get_column_iter().find(|(column, _)| *column == name) {
                        Some((_, Field::Str(text))) => {
                            Some(std::borrow::Cow::Borrowed(text.as_str()))
                        }
                        Some((_, Field::Bytes(bytes))) => {
                            Some(String::from_utf8_lossy(bytes.data()))
                        }
                        _ => None,
                    };
                    converted = text;
                    self.json_text_record(converted.as_deref())
                }
                Layout::Columns => RowRecord::Json(self.row_to_json(&row)),
            };
            if !each((*row_number, record)) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Returns the record of a JSON-layout row from its text, which is `None` for a null.
    fn json_text_record<'a>(&self, text: Option<&'a str>) -> RowRecord<'a> {
        match (text, &self.layout) {
            (Some(text), _) => RowRecord::Text(text),
            (None, Layout::Json { name, .. }) => {
                RowRecord::Invalid(format!("the column {name:?} is empty (null)"))
            }
            (None, Layout::Columns) => RowRecord::Invalid("the row is empty (null)".to_owned()),
        }
    }

    /// Returns whether rows are decoded column by column rather than with the record API.
    pub(super) fn decodes_by_column(&self) -> bool {
        self.rows.is_some() || self.json_column.is_some()
    }

    pub(super) fn time_unit(&self, path: &str) -> Option<i128> {
        self.time_units.get(path).copied()
    }

    pub(super) fn is_json_path(&self, path: &str) -> bool {
        self.json_paths.contains(path)
    }

    pub(super) fn of(
        descriptor: &SchemaDescriptor,
        options: &ParquetOptions,
    ) -> Result<FileSchema, String> {
        let root = descriptor.root_schema();
        let mut leaves = Vec::new();
        let mut fields = Vec::new();
        for field in root.get_fields() {
            let start = leaves.len();
            collect_leaves(field, udm_path(field.name()), &mut leaves);
            fields.push((Arc::clone(field), start..leaves.len()));
        }
        let is_text = |field: &TypePtr| {
            field.is_primitive()
                && field.get_physical_type() == PhysicalType::BYTE_ARRAY
                && field.get_basic_info().repetition() != Repetition::REPEATED
        };
        let json_field =
            |name: &str| root.get_fields().iter().position(|f| f.name() == name && is_text(f));
        let layout = match &options.json_column {
            Some(name) => match json_field(name) {
                Some(field) => Layout::Json { field, name: name.clone() },
                None => {
                    return Err(format!(
                        "there is no string column {name:?} of UDM JSON; the columns are {}. \
                         Name the JSON column with --parquet-json-column, or leave the option \
                         out to read UDM fields as columns",
                        column_list(root)
                    ))
                }
            },
            None => DEFAULT_JSON_COLUMNS
                .iter()
                .find_map(|name| json_field(name).map(|f| (f, *name)))
                .map_or(Layout::Columns, |(field, name)| Layout::Json {
                    field,
                    name: name.to_owned(),
                }),
        };
        let time_units = leaves
            .iter()
            .filter_map(|leaf| Some((leaf.path.clone(), leaf.nanos_per_unit?)))
            .filter(|(path, _)| is_udm_timestamp(path))
            .collect();
        let json_paths =
            leaves.iter().filter(|leaf| leaf.is_json).map(|leaf| leaf.path.clone()).collect();
        let root_name = root.name().to_owned();
        let mut schema = FileSchema {
            layout,
            leaves,
            fields,
            time_units,
            json_paths,
            root_name,
            rows: None,
            json_column: None,
        };
        match &schema.layout {
            Layout::Columns => schema.rows = RowTree::of(descriptor, &schema),
            Layout::Json { field, .. } => schema.json_column = JsonColumn::of(root, *field),
        }
        if !schema.decodes_by_column() {
            tracing::debug!("the schema is read with the record API: {}", column_list(root));
        }
        Ok(schema)
    }

    /// Whether the row group's statistics show that no rule can use its rows.
    fn can_skip(&self, meta: &RowGroupMetaData, options: &ParquetOptions) -> bool {
        if self.outside_time_range(meta, options) {
            return true;
        }
        let Some(variables) = &options.column_tests else { return false };
        variables.iter().all(|tests| tests.iter().any(|test| self.excludes(meta, test)))
    }

    fn outside_time_range(&self, meta: &RowGroupMetaData, options: &ParquetOptions) -> bool {
        if options.from.is_none() && options.to.is_none() {
            return false;
        }
        let Some(index) = self.leaves.iter().position(|l| l.path == TIME_PATH) else {
            return false;
        };
        let Some(unit) = self.leaves.get(index).and_then(|l| l.nanos_per_unit) else {
            return false;
        };
        let Some(Statistics::Int64(stats)) = meta.column(index).statistics() else {
            return false;
        };
        let (Some(min), Some(max)) = (stats.min_opt(), stats.max_opt()) else { return false };
        // A row without a time reads as the epoch, which may be inside the range.
        let epoch_in_range = options.from.is_none_or(|f| f.as_nanos() <= 0)
            && options.to.is_none_or(|t| t.as_nanos() > 0);
        if epoch_in_range && stats.null_count_opt() != Some(0) {
            return false;
        }
        let (min, max) = (i128::from(*min) * unit, i128::from(*max) * unit);
        options.to.is_some_and(|to| min >= to.as_nanos())
            || options.from.is_some_and(|from| max < from.as_nanos())
    }

    /// Whether the row group's statistics show that no row passes the test.
    fn excludes(&self, meta: &RowGroupMetaData, test: &engine::ColumnTest) -> bool {
        let path = test.path.join(".");
        let Some(index) = self.leaves.iter().position(|l| l.path == path) else {
            // In the column layout, a field without a column is missing from every row, and a
            // missing field fails every test. A column that holds a whole message above the
            // field, or the JSON layout, can hide the field.
            let above = self
                .leaves
                .iter()
                .any(|l| path.starts_with(&l.path) && path[l.path.len()..].starts_with('.'));
            return matches!(self.layout, Layout::Columns) && !above;
        };
        if self.leaves.get(index).is_none_or(|l| l.physical != PhysicalType::BYTE_ARRAY) {
            return false;
        }
        let Some(stats) = meta.column(index).statistics() else { return false };
        let (Some(min), Some(max)) = (stats.min_bytes_opt(), stats.max_bytes_opt()) else {
            return false;
        };
        // Parquet orders UTF-8 statistics as unsigned bytes, as slices compare.
        !test.texts.iter().any(|text| min <= text.as_bytes() && text.as_bytes() <= max)
    }

    /// Returns the indices of the top-level fields to decode from a row group, or `None` for
    /// all of them.
    fn projected_fields(
        &self,
        meta: &RowGroupMetaData,
        options: &ParquetOptions,
    ) -> Option<Vec<usize>> {
        let keep: Vec<usize> = match &self.layout {
            Layout::Json { field, .. } => vec![*field],
            Layout::Columns => {
                // An event without `metadata.product_log_id` is identified by a hash of all its
                // fields, so every column is read unless the statistics show that each row has
                // a non-empty id.
                let id = self.leaves.iter().position(|l| l.path == "metadata.product_log_id")?;
                let stats = meta.column(id).statistics()?;
                if stats.null_count_opt() != Some(0)
                    || stats.min_bytes_opt().is_none_or(<[u8]>::is_empty)
                {
                    return None;
                }
                let wanted: Vec<String> = options
                    .field_paths
                    .iter()
                    .map(|path| projection_path(path))
                    .chain(ALWAYS_READ.iter().map(|p| (*p).to_owned()))
                    .collect();
                self.fields
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, leaves))| {
                        self.leaves.get(leaves.clone()).unwrap_or_default().iter().any(|leaf| {
                            wanted
                                .iter()
                                .any(|w| is_prefix(w, &leaf.path) || is_prefix(&leaf.path, w))
                        })
                    })
                    .map(|(index, _)| index)
                    .collect()
            }
        };
        if keep.len() == self.fields.len() {
            return None;
        }
        Some(keep)
    }

    /// Builds the schema of the top-level fields `fields`, for the record API.
    fn projection(&self, fields: &[usize]) -> Option<Type> {
        let keep: Vec<TypePtr> =
            fields.iter().filter_map(|&i| Some(Arc::clone(&self.fields.get(i)?.0))).collect();
        Type::group_type_builder(&self.root_name).with_fields(keep).build().ok()
    }

    /// Converts one row of the column layout to its UDM JSON object.
    fn row_to_json(&self, row: &Row) -> Json {
        let mut object = Map::new();
        for (name, field) in row.get_column_iter() {
            let Some(value) = self.field_to_json(field, &udm_path(name)) else { continue };
            insert_dotted(&mut object, name, value);
        }
        Json::Object(object)
    }

    /// Converts a field value at the dotted UDM path `path`; `None` for a null, and for a
    /// float that JSON cannot hold.
    pub(super) fn field_to_json(&self, field: &Field, path: &str) -> Option<Json> {
        let value = match field {
            Field::Null => return None,
            Field::Bool(b) => Json::Bool(*b),
            Field::Byte(n) => Json::from(*n),
            Field::Short(n) => Json::from(*n),
            Field::Int(n) => Json::from(*n),
            Field::Long(n) => match self.time_units.get(path) {
                Some(unit) => timestamp_json(i128::from(*n) * unit)?,
                None => Json::from(*n),
            },
            Field::UByte(n) => Json::from(*n),
            Field::UShort(n) => Json::from(*n),
            Field::UInt(n) => Json::from(*n),
            Field::ULong(n) => Json::from(*n),
            Field::Float16(f) => serde_json::Number::from_f64(f64::from(*f)).map(Json::Number)?,
            Field::Float(f) => serde_json::Number::from_f64(f64::from(*f)).map(Json::Number)?,
            Field::Double(f) => serde_json::Number::from_f64(*f).map(Json::Number)?,
            Field::Decimal(_) | Field::TimeMillis(_) | Field::TimeMicros(_) => {
                Json::String(field.to_string())
            }
            Field::Str(text) if self.json_paths.contains(path) => {
                serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.clone()))
            }
            Field::Str(text) => Json::String(text.clone()),
            Field::Bytes(bytes) => Json::String(String::from_utf8_lossy(bytes.data()).into_owned()),
            Field::Date(days) => {
                let date = chrono::DateTime::from_timestamp(i64::from(*days) * 86_400, 0)?;
                Json::String(date.format("%Y-%m-%d").to_string())
            }
            Field::TimestampMillis(ms) => timestamp_json(i128::from(*ms) * 1_000_000)?,
            Field::TimestampMicros(us) => timestamp_json(i128::from(*us) * 1_000)?,
            Field::Group(row) => {
                let mut object = Map::new();
                for (name, child) in row.get_column_iter() {
                    let child_path = format!("{path}.{}", snake_case(name));
                    if let Some(value) = self.field_to_json(child, &child_path) {
                        object.insert(name.clone(), value);
                    }
                }
                Json::Object(object)
            }
            Field::ListInternal(list) => Json::Array(
                list.elements().iter().filter_map(|e| self.field_to_json(e, path)).collect(),
            ),
            Field::MapInternal(map) => {
                let mut object = Map::new();
                for (key, value) in map.entries() {
                    let key = match key {
                        Field::Str(text) => text.clone(),
                        other => other.to_string(),
                    };
                    if let Some(value) = self.field_to_json(value, &format!("{path}.{key}")) {
                        object.insert(key, value);
                    }
                }
                Json::Object(object)
            }
        };
        Some(value)
    }
}

/// Adds the leaves under `field`, whose UDM path is `path`, in the file's column order.
///
/// A LIST-annotated group stands for a repeated UDM field: its repeated child, and that child's
/// only field when it has exactly one (the `list.element` levels), add nothing to the path.
fn collect_leaves(field: &Type, path: String, out: &mut Vec<Leaf>) {
    if field.is_primitive() {
        let info = field.get_basic_info();
        let is_json = info.converted_type() == ConvertedType::JSON
            || matches!(info.logical_type_ref(), Some(LogicalType::Json));
        out.push(Leaf {
            nanos_per_unit: nanos_per_unit(field),
            physical: field.get_physical_type(),
            is_json,
            path,
        });
        return;
    }
    let info = field.get_basic_info();
    let is_list = info.converted_type() == ConvertedType::LIST
        || matches!(info.logical_type_ref(), Some(LogicalType::List));
    if is_list {
        if let [repeated] = field.get_fields() {
            // `get_fields` panics on a primitive, which a legacy two-level list repeats.
            if repeated.is_primitive() {
                collect_leaves(repeated, path, out);
                return;
            }
            match repeated.get_fields() {
                [element] => collect_leaves(element, path, out),
                children => {
                    for child in children {
                        collect_leaves(child, format!("{path}.{}", snake_case(child.name())), out);
                    }
                }
            }
            return;
        }
    }
    for child in field.get_fields() {
        collect_leaves(child, format!("{path}.{}", snake_case(child.name())), out);
    }
}

/// The UDM path of a column name: each dotted part in snake case, so that the proto3 JSON
/// names that DuckDB or Spark keep from camelCase input (`metadata.eventType`) match the
/// field names rules use (`metadata.event_type`).
pub(super) fn udm_path(name: &str) -> String {
    name.split('.').map(snake_case).collect::<Vec<_>>().join(".")
}

pub(super) fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Nanoseconds per stored unit of an INT64 column read as a timestamp: its TIMESTAMP unit,
/// or microseconds when it has no annotation. `None` for other columns.
fn nanos_per_unit(field: &Type) -> Option<i128> {
    if field.get_physical_type() != PhysicalType::INT64 {
        return None;
    }
    let info = field.get_basic_info();
    match info.logical_type_ref() {
        Some(LogicalType::Timestamp { unit: TimeUnit::MILLIS, .. }) => return Some(1_000_000),
        Some(LogicalType::Timestamp { unit: TimeUnit::MICROS, .. }) => return Some(1_000),
        Some(LogicalType::Timestamp { unit: TimeUnit::NANOS, .. }) => return Some(1),
        Some(_) => return None,
        None => {}
    }
    match info.converted_type() {
        ConvertedType::TIMESTAMP_MILLIS => Some(1_000_000),
        ConvertedType::TIMESTAMP_MICROS | ConvertedType::NONE => Some(1_000),
        _ => None,
    }
}

fn is_udm_timestamp(path: &str) -> bool {
    let names: Vec<&str> = path.split('.').collect();
    udm::schema::resolve(udm::schema::event(), &names)
        .is_ok_and(|r| matches!(r.kind, udm::schema::FieldKind::Timestamp))
}

/// Formats nanoseconds since the epoch as the RFC 3339 string that the UDM reader takes.
pub(super) fn timestamp_json(nanos: i128) -> Option<Json> {
    let seconds = i64::try_from(nanos.div_euclid(1_000_000_000)).ok()?;
    let rest = i64::try_from(nanos.rem_euclid(1_000_000_000)).ok()?;
    Some(udm::json::value_to_json(&udm::Value::Timestamp(udm::Timestamp::new(seconds, rest))))
}

/// Inserts `value` at a dotted column name, merging objects that several columns share.
fn insert_dotted(object: &mut Map<String, Json>, name: &str, value: Json) {
    let mut parts = name.split('.').peekable();
    let mut current = object;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            match (current.get_mut(part), value) {
                (Some(Json::Object(existing)), Json::Object(more)) => existing.extend(more),
                (_, value) => {
                    current.insert(part.to_owned(), value);
                }
            }
            return;
        }
        let entry = current.entry(part.to_owned()).or_insert_with(|| Json::Object(Map::new()));
        if !entry.is_object() {
            *entry = Json::Object(Map::new());
        }
        let Json::Object(next) = entry else { return };
        current = next;
    }
}

/// Returns the dotted path that decides which columns a rule's field path needs. Enrichment fills
/// `ip_geo_artifact` from the noun's IP fields, so such a path needs the whole noun.
fn projection_path(path: &[String]) -> String {
    match path.iter().position(|p| p == "ip_geo_artifact") {
        Some(at) => path.get(..at).unwrap_or_default().join("."),
        None => path.join("."),
    }
}

/// Whether dotted path `prefix` is `path` or one of its ancestors.
fn is_prefix(prefix: &str, path: &str) -> bool {
    prefix.is_empty()
        || path == prefix
        || (path.starts_with(prefix) && path.as_bytes().get(prefix.len()) == Some(&b'.'))
}

fn column_list(root: &Type) -> String {
    let names: Vec<&str> = root.get_fields().iter().map(|f| f.name()).collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}
