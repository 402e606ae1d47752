//! Decoding row groups column by column, [`BATCH_ROWS`] rows at a time, into UDM JSON text.
//!
//! Each leaf column is read with the `parquet` crate's typed column reader into definition
//! levels, repetition levels and values. The rows are then rebuilt from those levels (record
//! shredding in reverse) and written straight into the batch text as compact JSON. So the
//! workers read them with the same raw-text prefilter and fast UDM reader as JSON lines. The
//! JSON of a row is the object that the record API path in `read.rs` builds for it. Schemas
//! this module does not rebuild (legacy list shapes, maps of nested values, column names that
//! overlap) take that path instead.

use std::ops::Range;

use parquet::basic::{ConvertedType, Repetition, Type as PhysicalType};
use parquet::column::reader::ColumnReader;
use parquet::data_type::{ByteArray, FixedLenByteArray, Int96};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use parquet::schema::types::{ColumnDescPtr, SchemaDescriptor, Type, TypePtr};
use serde_json::Value as Json;

use super::read::FileSchema;

/// Rows decoded per column read.
pub(super) const BATCH_ROWS: usize = 1024;

/// The nesting of a file's fields over its leaf columns, which rebuilds rows from them.
pub(super) struct RowTree {
    /// The top-level fields, with dotted column names nested as the JSON objects they name.
    root: Vec<Child>,
    leaves: Vec<LeafColumn>,
}

/// The text column of the JSON layout.
pub(super) struct JsonColumn {
    leaf: usize,
    /// Whether the column is annotated as text, so that its bytes must be valid UTF-8.
    utf8: bool,
}

struct LeafColumn {
    descr: ColumnDescPtr,
    /// The dotted UDM path that the record API path converts the values at.
    path: String,
    /// The top-level field that contains the column.
    field: usize,
    max_def: i16,
    max_rep: i16,
    /// The conversion of its values to JSON.
    kind: ValueKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ValueKind {
    /// UTF-8 text, which is invalid otherwise.
    Text,
    /// Bytes without annotation, read as text with invalid UTF-8 replaced.
    Bytes,
    /// JSON text, embedded as the JSON value it contains when it parses.
    JsonText,
    /// INT64 without annotation at a UDM timestamp path: nanoseconds per stored unit.
    Time(i128),
    /// Any other value, converted as the record API path converts its [`Field`].
    Other,
}

struct Node {
    shape: Shape,
    /// The definition level at which the value is present.
    def: i16,
    /// The leaf columns under the node, by index.
    leaves: Range<usize>,
}

enum Shape {
    Leaf,
    /// A struct column, written as an object even when all its fields are null.
    Struct(Vec<Child>),
    /// The parts of dotted column names, written only when one of its fields is written.
    Object(Vec<Child>),
    /// A repeated field. It has an element from definition level `present` up, and repetition
    /// level `repetition` starts its next element.
    List {
        element: Box<Node>,
        present: i16,
        repetition: i16,
    },
    /// A MAP group of primitive keys and values, with levels as for a list. The JSON of a value
    /// depends on the path `path.key`, as in the record API path.
    Map {
        key: Box<Node>,
        value: Box<Node>,
        present: i16,
        repetition: i16,
        path: String,
    },
}

struct Child {
    /// `"name":`, escaped.
    key: Vec<u8>,
    node: Node,
    /// The top-level field that contains it.
    field: usize,
}

/// The levels and values of one leaf column for a batch of rows, with read positions.
struct Chunk {
    defs: Vec<i16>,
    reps: Vec<i16>,
    values: Values,
    /// Levels read: one per value or null at any depth.
    levels: usize,
    level: usize,
    value: usize,
}

enum Values {
    Bool(Vec<bool>),
    Int32(Vec<i32>),
    Int64(Vec<i64>),
    Int96(Vec<Int96>),
    Float(Vec<f32>),
    Double(Vec<f64>),
    Bytes(Vec<ByteArray>),
    Fixed(Vec<FixedLenByteArray>),
    /// The column is not decoded.
    Skipped,
}

impl RowTree {
    /// Builds the tree for the file's schema, or `None` when a part of it is not rebuilt
    /// here.
    pub(super) fn of(descriptor: &SchemaDescriptor, schema: &FileSchema) -> Option<RowTree> {
        let root = descriptor.root_schema();
        let columns = descriptor.columns();
        let mut builder = Builder { leaves: Vec::new(), columns, schema, field: 0 };
        let mut top: Vec<Child> = Vec::new();
        let names: Vec<&str> = root.get_fields().iter().map(|f| f.name()).collect();
        if names_overlap(&names) {
            return None;
        }
        for (index, field) in root.get_fields().iter().enumerate() {
            builder.field = index;
            let node = builder.node(field, &super::read::udm_path(field.name()), 0, 0)?;
            insert_dotted(&mut top, field.name(), node, index);
        }
        if builder.leaves.len() != columns.len() {
            return None;
        }
        Some(RowTree { root: top, leaves: builder.leaves })
    }

    /// Decodes the row group's rows, passing each row's JSON text to `each` with its 1-based
    /// row number, until `each` returns false. Only the top-level fields in `fields` are read,
    /// or all of them when it is `None`. Returns whether every row was passed on.
    pub(super) fn read_row_group(
        &self,
        schema: &FileSchema,
        reader: &SerializedFileReader<std::fs::File>,
        index: usize,
        fields: Option<&[usize]>,
        row_number: &mut usize,
        each: &mut dyn FnMut(usize, &[u8]) -> bool,
    ) -> Result<bool, String> {
        let group = reader.get_row_group(index).map_err(|e| e.to_string())?;
        let is_read = |field: usize| fields.is_none_or(|f| f.contains(&field));
        let mut columns = Vec::with_capacity(self.leaves.len());
        for (i, leaf) in self.leaves.iter().enumerate() {
            let column = match is_read(leaf.field) {
                true => Some(group.get_column_reader(i).map_err(|e| e.to_string())?),
                false => None,
            };
            columns.push(column);
        }
        if columns.iter().all(Option::is_none) {
            // With no column read, the row count comes from the metadata and each row is empty.
            let rows = usize::try_from(group.metadata().num_rows()).unwrap_or(0);
            for _ in 0..rows {
                *row_number += 1;
                if !each(*row_number, b"{}") {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
        let mut chunks: Vec<Chunk> = self.leaves.iter().map(|_| Chunk::new()).collect();
        let mut text = Vec::new();
        loop {
            let mut rows = None;
            for ((column, chunk), leaf) in columns.iter_mut().zip(&mut chunks).zip(&self.leaves) {
                let Some(column) = column else { continue };
                let read = chunk.read(column, BATCH_ROWS).map_err(|e| e.to_string())?;
                match rows {
                    None => rows = Some(read),
                    Some(rows) if rows != read => {
                        return Err(format!(
                            "the column {} has {read} rows where the others have {rows}",
                            leaf.path
                        ))
                    }
                    Some(_) => {}
                }
            }
            let Some(rows) = rows.filter(|&rows| rows > 0) else { return Ok(true) };
            for _ in 0..rows {
                text.clear();
                let mut writer =
                    Writer { schema, leaves: &self.leaves, chunks: &mut chunks, out: &mut text };
                writer.row(&self.root, &is_read)?;
                *row_number += 1;
                if !each(*row_number, &text) {
                    return Ok(false);
                }
            }
        }
    }
}

impl JsonColumn {
    /// Finds the leaf column of top-level field `field` of `root`, when it is a text column.
    pub(super) fn of(root: &Type, field: usize) -> Option<JsonColumn> {
        let leaf = root.get_fields().iter().take(field).map(|f| count_leaves(f)).sum();
        let column = root.get_fields().get(field)?;
        let utf8 = match column.get_basic_info().converted_type() {
            ConvertedType::UTF8 | ConvertedType::ENUM | ConvertedType::JSON => true,
            ConvertedType::NONE | ConvertedType::BSON => false,
            _ => return None,
        };
        Some(JsonColumn { leaf, utf8 })
    }

    /// Decodes the row group's rows, passing each row's text (`None` for a null) to `each` with
    /// its 1-based row number, until `each` returns false. Returns whether every row was
    /// passed on.
    pub(super) fn read_row_group(
        &self,
        reader: &SerializedFileReader<std::fs::File>,
        index: usize,
        row_number: &mut usize,
        each: &mut dyn FnMut(usize, Option<&str>) -> bool,
    ) -> Result<bool, String> {
        let group = reader.get_row_group(index).map_err(|e| e.to_string())?;
        let mut column = group.get_column_reader(self.leaf).map_err(|e| e.to_string())?;
        let max_def = group.metadata().column(self.leaf).column_descr().max_def_level();
        let mut chunk = Chunk::new();
        loop {
            let rows = chunk.read(&mut column, BATCH_ROWS).map_err(|e| e.to_string())?;
            if rows == 0 {
                return Ok(true);
            }
            let Values::Bytes(values) = &chunk.values else {
                return Err("the JSON column is not a BYTE_ARRAY column".to_owned());
            };
            let mut next_value = 0;
            for level in 0..chunk.levels {
                *row_number += 1;
                let present = max_def == 0 || chunk.defs.get(level) == Some(&max_def);
                let text = if present {
                    let bytes = values.get(next_value).ok_or("a value is missing")?.data();
                    next_value += 1;
                    Some(match self.utf8 {
                        true => std::borrow::Cow::Borrowed(
                            std::str::from_utf8(bytes).map_err(invalid_utf8)?,
                        ),
                        false => String::from_utf8_lossy(bytes),
                    })
                } else {
                    None
                };
                if !each(*row_number, text.as_deref()) {
                    return Ok(false);
                }
            }
        }
    }
}

fn invalid_utf8(e: std::str::Utf8Error) -> String {
    format!("a text value is not valid UTF-8: {e}")
}

fn count_leaves(field: &Type) -> usize {
    if field.is_primitive() {
        1
    } else {
        field.get_fields().iter().map(|f| count_leaves(f)).sum()
    }
}

/// Returns whether one top-level name is another, or a dotted prefix of another, so that the record
/// API path would merge their values into one object.
fn names_overlap(names: &[&str]) -> bool {
    names.iter().enumerate().any(|(i, a)| {
        names.iter().enumerate().any(|(j, b)| {
            i != j && (a == b || (b.starts_with(a) && b.as_bytes().get(a.len()) == Some(&b'.')))
        })
    })
}

/// Adds a top-level field under its dotted name, creating the objects its parts name.
fn insert_dotted(children: &mut Vec<Child>, name: &str, node: Node, field: usize) {
    let Some((head, rest)) = name.split_once('.') else {
        children.push(Child { key: json_key(name), node, field });
        return;
    };
    let key = json_key(head);
    let position =
        children.iter().position(|c| c.key == key && matches!(c.node.shape, Shape::Object(_)));
    let index = match position {
        Some(index) => index,
        None => {
            // An object of dotted names is never null, so nothing reads its leaves.
            let object = Node { shape: Shape::Object(Vec::new()), def: 0, leaves: 0..0 };
            children.push(Child { key, node: object, field });
            children.len() - 1
        }
    };
    let Some(parent) = children.get_mut(index) else { return };
    if let Shape::Object(inner) = &mut parent.node.shape {
        insert_dotted(inner, rest, node, field);
    }
}

fn json_key(name: &str) -> Vec<u8> {
    let mut key = serde_json::to_vec(name).unwrap_or_default();
    key.push(b':');
    key
}

struct Builder<'a> {
    leaves: Vec<LeafColumn>,
    /// The file's leaf columns, in the order the builder meets them.
    columns: &'a [ColumnDescPtr],
    schema: &'a FileSchema,
    /// The top-level field being built.
    field: usize,
}

impl Builder<'_> {
    /// Builds the node of `field` at UDM path `path`, whose parent is present at definition level
    /// `def` and repeats at repetition level `rep`.
    fn node(&mut self, field: &TypePtr, path: &str, def: i16, rep: i16) -> Option<Node> {
        let info = field.get_basic_info();
        let repetition = info.repetition();
        if repetition == Repetition::REPEATED {
            // A repeated field outside a LIST group is a required list of required elements.
            let element = self.element(field, path, def + 1, rep + 1)?;
            let leaves = element.leaves.clone();
            let shape =
                Shape::List { element: Box::new(element), present: def + 1, repetition: rep + 1 };
            return Some(Node { shape, def, leaves });
        }
        let def = if repetition == Repetition::OPTIONAL { def + 1 } else { def };
        if field.is_primitive() {
            return self.leaf(field, path, def, rep);
        }
        // The record API recognizes lists and maps by their converted type alone, as this does.
        let converted = info.converted_type();
        if matches!(converted, ConvertedType::MAP | ConvertedType::MAP_KEY_VALUE) {
            return self.map(field, path, def, rep);
        }
        if converted == ConvertedType::LIST {
            let [repeated] = field.get_fields() else { return None };
            if repeated.get_basic_info().repetition() != Repetition::REPEATED {
                return None;
            }
            // NOTE: the record API reads a LIST group that repeats a primitive (the legacy
            // two-level list) as a list of one-element lists, so such a file keeps that path
            // to read as it did.
            let element = if repeated.is_primitive() {
                return None;
            } else {
                let repeated_info = repeated.get_basic_info();
                let annotated = repeated_info.converted_type() != ConvertedType::NONE
                    || repeated_info.logical_type_ref().is_some();
                match repeated.get_fields() {
                    _ if annotated => return None,
                    [element] => {
                        // The record API reads a one-field group named `array` or
                        // `<list>_tuple` as the element itself, as old writers meant it.
                        let legacy = repeated.name() == "array"
                            || repeated.name() == format!("{}_tuple", field.name());
                        if legacy || element.get_basic_info().repetition() == Repetition::REPEATED {
                            return None;
                        }
                        self.node(element, path, def + 1, rep + 1)?
                    }
                    _ => self.element(repeated, path, def + 1, rep + 1)?,
                }
            };
            let leaves = element.leaves.clone();
            let shape =
                Shape::List { element: Box::new(element), present: def + 1, repetition: rep + 1 };
            return Some(Node { shape, def, leaves });
        }
        self.group(field, path, def, rep, Shape::Struct)
    }

    /// Builds the node of a MAP group at definition level `def`, when its keys and values are
    /// primitive columns.
    fn map(&mut self, field: &TypePtr, path: &str, def: i16, rep: i16) -> Option<Node> {
        let [entry] = field.get_fields() else { return None };
        if entry.is_primitive() || entry.get_basic_info().repetition() != Repetition::REPEATED {
            return None;
        }
        // The record API reads a MAP group without values as a list of its keys.
        let [key, value] = entry.get_fields() else { return None };
        let is_single = |f: &TypePtr| {
            f.is_primitive() && f.get_basic_info().repetition() != Repetition::REPEATED
        };
        if !is_single(key) || !is_single(value) {
            return None;
        }
        let key = self.node(key, path, def + 1, rep + 1)?;
        let value = self.node(value, path, def + 1, rep + 1)?;
        let leaves = key.leaves.start..value.leaves.end;
        let shape = Shape::Map {
            key: Box::new(key),
            value: Box::new(value),
            present: def + 1,
            repetition: rep + 1,
            path: path.to_owned(),
        };
        Some(Node { shape, def, leaves })
    }

    /// Builds the element of a repeated field, which is the field itself read as required.
    fn element(&mut self, field: &TypePtr, path: &str, def: i16, rep: i16) -> Option<Node> {
        if field.is_primitive() {
            return self.leaf(field, path, def, rep);
        }
        let info = field.get_basic_info();
        if info.converted_type() != ConvertedType::NONE || info.logical_type_ref().is_some() {
            return None;
        }
        self.group(field, path, def, rep, Shape::Struct)
    }

    fn group(
        &mut self,
        field: &TypePtr,
        path: &str,
        def: i16,
        rep: i16,
        shape: fn(Vec<Child>) -> Shape,
    ) -> Option<Node> {
        let start = self.leaves.len();
        let mut children = Vec::new();
        for child in field.get_fields() {
            let child_path = format!("{path}.{}", super::read::snake_case(child.name()));
            let node = self.node(child, &child_path, def, rep)?;
            children.push(Child { key: json_key(child.name()), node, field: self.field });
        }
        Some(Node { shape: shape(children), def, leaves: start..self.leaves.len() })
    }

    /// Adds a leaf column and returns its node, or `None` when the levels computed for it are not the
    /// column's.
    fn leaf(&mut self, field: &TypePtr, path: &str, def: i16, rep: i16) -> Option<Node> {
        let index = self.leaves.len();
        let descr = self.columns.get(index)?;
        if descr.max_def_level() != def || descr.max_rep_level() != rep {
            return None;
        }
        let info = field.get_basic_info();
        let kind = match (field.get_physical_type(), info.converted_type()) {
            (
                PhysicalType::BYTE_ARRAY,
                ConvertedType::UTF8 | ConvertedType::ENUM | ConvertedType::JSON,
            ) => match self.schema.is_json_path(path) {
                true => ValueKind::JsonText,
                false => ValueKind::Text,
            },
            (PhysicalType::BYTE_ARRAY, ConvertedType::NONE | ConvertedType::BSON) => {
                ValueKind::Bytes
            }
            (PhysicalType::INT64, ConvertedType::NONE | ConvertedType::INT_64) => {
                self.schema.time_unit(path).map_or(ValueKind::Other, ValueKind::Time)
            }
            _ => ValueKind::Other,
        };
        self.leaves.push(LeafColumn {
            descr: descr.clone(),
            path: path.to_owned(),
            field: self.field,
            max_def: def,
            max_rep: rep,
            kind,
        });
        Some(Node { shape: Shape::Leaf, def, leaves: index..index + 1 })
    }
}

impl Chunk {
    fn new() -> Chunk {
        Chunk {
            defs: Vec::new(),
            reps: Vec::new(),
            values: Values::Skipped,
            levels: 0,
            level: 0,
            value: 0,
        }
    }

    /// Reads up to `rows` rows of the column, replacing what was read before. Returns the
    /// number of rows read.
    fn read(&mut self, column: &mut ColumnReader, rows: usize) -> parquet::errors::Result<usize> {
        self.defs.clear();
        self.reps.clear();
        self.level = 0;
        self.value = 0;
        let defs = Some(&mut self.defs);
        let reps = Some(&mut self.reps);
        macro_rules! read_into {
            ($reader:expr, $variant:ident) => {{
                let mut values = match std::mem::replace(&mut self.values, Values::Skipped) {
                    Values::$variant(mut values) => {
                        values.clear();
                        values
                    }
                    _ => Vec::new(),
                };
                let read = $reader.read_records(rows, defs, reps, &mut values);
                self.values = Values::$variant(values);
                read?
            }};
        }
        let (records, values, levels) = match column {
            ColumnReader::BoolColumnReader(r) => read_into!(r, Bool),
            ColumnReader::Int32ColumnReader(r) => read_into!(r, Int32),
            ColumnReader::Int64ColumnReader(r) => read_into!(r, Int64),
            ColumnReader::Int96ColumnReader(r) => read_into!(r, Int96),
            ColumnReader::FloatColumnReader(r) => read_into!(r, Float),
            ColumnReader::DoubleColumnReader(r) => read_into!(r, Double),
            ColumnReader::ByteArrayColumnReader(r) => read_into!(r, Bytes),
            ColumnReader::FixedLenByteArrayColumnReader(r) => read_into!(r, Fixed),
        };
        // A column without definition or repetition levels has one value per row.
        self.levels = if self.defs.is_empty() && self.reps.is_empty() { values } else { levels };
        Ok(records)
    }

    fn def(&self, max_def: i16) -> i16 {
        match max_def {
            0 => 0,
            _ => self.defs.get(self.level).copied().unwrap_or(-1),
        }
    }

    fn rep(&self, max_rep: i16) -> i16 {
        match max_rep {
            0 => 0,
            _ => self.reps.get(self.level).copied().unwrap_or(0),
        }
    }
}

/// Writes rows as JSON text from the chunks of a batch.
struct Writer<'a> {
    schema: &'a FileSchema,
    leaves: &'a [LeafColumn],
    chunks: &'a mut [Chunk],
    out: &'a mut Vec<u8>,
}

type Written = Result<bool, String>;

impl Writer<'_> {
    fn row(&mut self, root: &[Child], is_read: &dyn Fn(usize) -> bool) -> Result<(), String> {
        self.out.push(b'{');
        let mut first = true;
        for child in root.iter().filter(|c| is_read(c.field)) {
            self.child(child, &mut first, is_read)?;
        }
        self.out.push(b'}');
        Ok(())
    }

    /// Returns the definition level of the next entry of the node's first leaf.
    fn def(&self, node: &Node) -> Result<i16, String> {
        let leaf = node.leaves.start;
        let (Some(column), Some(chunk)) = (self.leaves.get(leaf), self.chunks.get(leaf)) else {
            return Ok(node.def);
        };
        if chunk.level >= chunk.levels {
            return Err(format!("the column {} ends inside a row", column.path));
        }
        Ok(chunk.def(column.max_def))
    }

    /// Writes `"key":value` unless the value is null or not written.
    fn child(
        &mut self,
        child: &Child,
        first: &mut bool,
        is_read: &dyn Fn(usize) -> bool,
    ) -> Result<(), String> {
        if !matches!(child.node.shape, Shape::Object(_)) && self.def(&child.node)? < child.node.def
        {
            return self.skip(&child.node);
        }
        let mark = self.out.len();
        if !*first {
            self.out.push(b',');
        }
        self.out.extend_from_slice(&child.key);
        if self.value(&child.node, is_read)? {
            *first = false;
        } else {
            self.out.truncate(mark);
        }
        Ok(())
    }

    /// Consumes the entries of a null or empty slot in every leaf under the node.
    fn skip(&mut self, node: &Node) -> Result<(), String> {
        for leaf in node.leaves.clone() {
            let (Some(column), Some(chunk)) = (self.leaves.get(leaf), self.chunks.get_mut(leaf))
            else {
                continue;
            };
            if matches!(chunk.values, Values::Skipped) {
                continue;
            }
            if chunk.def(column.max_def) == column.max_def {
                chunk.value += 1;
            }
            chunk.level += 1;
        }
        Ok(())
    }

    /// Writes the value of a present node. Returns false when nothing was written, for a
    /// float that JSON cannot hold or a dotted-name object with no field written.
    fn value(&mut self, node: &Node, is_read: &dyn Fn(usize) -> bool) -> Written {
        match &node.shape {
            Shape::Leaf => self.leaf(node.leaves.start),
            Shape::Struct(children) | Shape::Object(children) => {
                self.out.push(b'{');
                let mut first = true;
                for child in children.iter().filter(|c| is_read(c.field)) {
                    self.child(child, &mut first, is_read)?;
                }
                self.out.push(b'}');
                Ok(!first || matches!(node.shape, Shape::Struct(_)))
            }
            Shape::List { element, present, repetition } => {
                self.out.push(b'[');
                if self.def(node)? < *present {
                    self.skip(element)?;
                    self.out.push(b']');
                    return Ok(true);
                }
                let mut first = true;
                loop {
                    if self.def(element)? < element.def {
                        self.skip(element)?;
                    } else {
                        let mark = self.out.len();
                        if !first {
                            self.out.push(b',');
                        }
                        if self.value(element, is_read)? {
                            first = false;
                        } else {
                            self.out.truncate(mark);
                        }
                    }
                    if !self.continues(node, *repetition) {
                        break;
                    }
                }
                self.out.push(b']');
                Ok(true)
            }
            Shape::Map { key, value, present, repetition, path } => {
                let mut object = serde_json::Map::new();
                if self.def(node)? < *present {
                    self.skip(key)?;
                    self.skip(value)?;
                    return write_json(self.out, &object);
                }
                loop {
                    let name = match self.entry_field(key)? {
                        Some(Field::Str(text)) => text,
                        Some(other) => other.to_string(),
                        None => Field::Null.to_string(),
                    };
                    let field = self.entry_field(value)?;
                    let json = field
                        .and_then(|f| self.schema.field_to_json(&f, &format!("{path}.{name}")));
                    if let Some(json) = json {
                        object.insert(name, json);
                    }
                    if !self.continues(node, *repetition) {
                        break;
                    }
                }
                write_json(self.out, &object)
            }
        }
    }

    /// Consumes the key or the value of a map entry. Returns `None` for a null.
    fn entry_field(&mut self, node: &Node) -> Result<Option<Field>, String> {
        if self.def(node)? < node.def {
            self.skip(node)?;
            return Ok(None);
        }
        self.take_field(node.leaves.start)
    }

    /// Returns whether the next entry of the node's first leaf starts another element of the
    /// repeated node at repetition level `repetition`.
    fn continues(&self, node: &Node, repetition: i16) -> bool {
        let leaf = node.leaves.start;
        let (Some(column), Some(chunk)) = (self.leaves.get(leaf), self.chunks.get(leaf)) else {
            return false;
        };
        chunk.level < chunk.levels && chunk.rep(column.max_rep) == repetition
    }

    fn leaf(&mut self, leaf: usize) -> Written {
        let leaves = self.leaves;
        let (Some(column), Some(chunk)) = (leaves.get(leaf), self.chunks.get_mut(leaf)) else {
            return Ok(false);
        };
        let missing = || format!("the column {} has fewer values than its levels say", column.path);
        match (column.kind, &chunk.values) {
            (ValueKind::Text | ValueKind::Bytes | ValueKind::JsonText, Values::Bytes(values)) => {
                let bytes = values.get(chunk.value).ok_or_else(missing)?.data();
                chunk.value += 1;
                chunk.level += 1;
                if column.kind == ValueKind::Bytes {
                    return write_json(self.out, &String::from_utf8_lossy(bytes));
                }
                let text = std::str::from_utf8(bytes).map_err(invalid_utf8)?;
                if column.kind == ValueKind::Text {
                    return write_json(self.out, text);
                }
                return match serde_json::from_str::<Json>(text) {
                    Ok(value) => write_json(self.out, &value),
                    Err(_) => write_json(self.out, text),
                };
            }
            (ValueKind::Time(unit), Values::Int64(values)) => {
                let value = *values.get(chunk.value).ok_or_else(missing)?;
                chunk.value += 1;
                chunk.level += 1;
                return match super::read::timestamp_json(i128::from(value) * unit) {
                    Some(json) => write_json(self.out, &json),
                    None => Ok(false),
                };
            }
            _ => {}
        }
        let Some(field) = self.take_field(leaf)? else { return Ok(false) };
        match self.schema.field_to_json(&field, &column.path) {
            Some(json) => write_json(self.out, &json),
            None => Ok(false),
        }
    }

    /// Consumes the next value of a leaf column as the record API's [`Field`]. Returns `None`
    /// for a column that is not decoded.
    fn take_field(&mut self, leaf: usize) -> Result<Option<Field>, String> {
        let (Some(column), Some(chunk)) = (self.leaves.get(leaf), self.chunks.get_mut(leaf)) else {
            return Ok(None);
        };
        let index = chunk.value;
        chunk.value += 1;
        chunk.level += 1;
        let missing = || format!("the column {} has fewer values than its levels say", column.path);
        let descr = &column.descr;
        let field = match &chunk.values {
            Values::Bytes(values) => {
                let value = values.get(index).ok_or_else(missing)?.clone();
                Field::convert_byte_array(descr, value).map_err(|e| e.to_string())?
            }
            Values::Int64(values) => {
                Field::convert_int64(descr, *values.get(index).ok_or_else(missing)?)
            }
            Values::Bool(values) => Field::Bool(*values.get(index).ok_or_else(missing)?),
            Values::Int32(values) => {
                Field::convert_int32(descr, *values.get(index).ok_or_else(missing)?)
            }
            Values::Int96(values) => {
                Field::convert_int96(descr, *values.get(index).ok_or_else(missing)?)
            }
            Values::Float(values) => {
                Field::convert_float(descr, *values.get(index).ok_or_else(missing)?)
            }
            Values::Double(values) => {
                Field::convert_double(descr, *values.get(index).ok_or_else(missing)?)
            }
            Values::Fixed(values) => {
                let value = values.get(index).ok_or_else(missing)?.clone();
                Field::convert_byte_array(descr, value.into()).map_err(|e| e.to_string())?
            }
            Values::Skipped => return Ok(None),
        };
        Ok(Some(field))
    }
}

fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Written {
    serde_json::to_writer(out, value).map_err(|e| e.to_string())?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use parquet::data_type::{
        ByteArrayType, FixedLenByteArrayType, Int32Type, Int64Type, Int96Type,
    };
    use parquet::file::properties::WriterProperties;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use serde_json::Value as Json;

    use super::super::read::{FileSchema, RowRecord};
    use super::super::ParquetOptions;
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
    }

    /// Decodes the rows of every row group as text: JSON re-serialized in its key order, or
    /// `invalid: <reason>`.
    fn rows(
        path: &Path,
        options: &ParquetOptions,
        fields: Option<&[usize]>,
        by_column: bool,
    ) -> Vec<String> {
        let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
        let schema =
            FileSchema::of(reader.metadata().file_metadata().schema_descr(), options).unwrap();
        let mut out = Vec::new();
        let mut row_number = 0;
        for index in 0..reader.num_row_groups() {
            let mut each = |(line, record): (usize, RowRecord)| {
                assert_eq!(line, out.len() + 1, "row numbers count up from 1");
                out.push(match record {
                    RowRecord::Json(value) => value.to_string(),
                    RowRecord::Text(text) => match serde_json::from_str::<Json>(text) {
                        Ok(value) => value.to_string(),
                        Err(e) => format!("not JSON ({e}): {text}"),
                    },
                    RowRecord::Invalid(reason) => format!("invalid: {reason}"),
                });
                true
            };
            let done = if by_column {
                schema.read_row_group(&reader, index, fields, &mut row_number, &mut each)
            } else {
                schema.read_with_record_api(&reader, index, fields, &mut row_number, &mut each)
            };
            assert_eq!(done, Ok(true), "row group {index} of {}", path.display());
        }
        out
    }

    fn rows_of(path: &Path, options: &ParquetOptions) -> Vec<String> {
        rows(path, options, None, false)
    }

    /// Asserts that decoding by column gives the rows the record API gives, one by one.
    fn assert_same_rows(
        path: &Path,
        options: &ParquetOptions,
        fields: Option<&[usize]>,
    ) -> Vec<String> {
        let by_column = rows(path, options, fields, true);
        let by_row = rows(path, options, fields, false);
        assert_eq!(by_column.len(), by_row.len(), "row count of {}", path.display());
        for (i, (column, row)) in by_column.iter().zip(&by_row).enumerate() {
            assert_eq!(column, row, "row {} of {}", i + 1, path.display());
        }
        by_column
    }

    fn decodes_by_column(path: &Path, options: &ParquetOptions) -> bool {
        let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
        let descriptor = reader.metadata().file_metadata().schema_descr();
        FileSchema::of(descriptor, options).unwrap().decodes_by_column()
    }

    #[test]
    fn duckdb_types_equal_record_api() {
        let path = fixture("duckdb_types.parquet");
        let options = ParquetOptions::default();
        assert!(decodes_by_column(&path, &options), "the fixture is decoded by column");
        let rows = assert_same_rows(&path, &options, None);
        assert_eq!(rows.len(), 2100);
        // Spot checks that the fixture contains the cases the comparison is meant to cover.
        let second = &rows[1];
        assert!(second.contains(r#""ingestionLabels":[{"key":"k1","value":"v1"}]"#), "{second}");
        assert!(
            second.contains(r#""target":{"ip":["10.0.1.1","::1"],"hostname":"host-1"}"#),
            "{second}"
        );
        assert!(second.contains(r#""nested_lists":[[1],[],[2]]"#), "{second}");
        assert!(second.contains(r#""json_value":{"k":1,"list":[1,2],"text":"x1"}"#), "{second}");
        assert!(!second.contains("float_value"), "an infinite float is left out: {second}");
        let first = &rows[0];
        assert!(first.starts_with(r#"{"metadata":{"#), "{first}");
        assert!(!first.contains("principal"), "a null struct is left out: {first}");
        assert!(
            first.contains(r#""target":{"hostname":"host-0"}"#),
            "a null list is left out: {first}"
        );
        let third = &rows[2];
        assert!(third.contains(r#""emailAddresses":["a2@example.com","#), "{third}");
        assert!(rows[4].contains(r#""emailAddresses":[]"#), "{}", rows[4]);
    }

    #[test]
    fn projected_fields_equal_record_api() {
        let path = fixture("duckdb_types.parquet");
        let options = ParquetOptions::default();
        let rows = assert_same_rows(&path, &options, Some(&[0, 2, 4]));
        assert!(rows[1].starts_with(r#"{"metadata":{"#), "{}", rows[1]);
        assert!(!rows[1].contains("principal"), "{}", rows[1]);
        assert!(rows[1].contains(r#""target":{"ip":"#), "{}", rows[1]);
    }

    #[test]
    fn empty_projection_gives_empty_rows() {
        let path = fixture("duckdb_types.parquet");
        let rows = rows(&path, &ParquetOptions::default(), Some(&[]), true);
        assert_eq!(rows.len(), 2100);
        assert!(rows.iter().all(|row| row == "{}"), "{:?}", rows.first());
    }

    #[test]
    fn json_text_column_equals_record_api() {
        let path = fixture("duckdb_types.parquet");
        let options =
            ParquetOptions { json_column: Some("json_value".to_owned()), ..Default::default() };
        assert!(decodes_by_column(&path, &options));
        let rows = assert_same_rows(&path, &options, None);
        assert_eq!(rows[0], r#"invalid: the column "json_value" is empty (null)"#);
        assert_eq!(rows[1], r#"{"k":1,"list":[1,2],"text":"x1"}"#);
    }

    #[test]
    fn map_columns_equal_record_api() {
        let path = fixture("duckdb_map.parquet");
        let options = ParquetOptions::default();
        assert!(decodes_by_column(&path, &options), "MAP columns are decoded by column");
        let rows = assert_same_rows(&path, &options, None);
        assert_eq!(rows.len(), 1100);
        assert!(!rows[0].contains("tags"), "a null map is left out: {}", rows[0]);
        assert!(rows[1].contains(r#""tags":{}"#), "{}", rows[1]);
        assert!(rows[2].contains(r#""tags":{"a":2}"#), "{}", rows[2]);
        assert!(rows[2].contains(r#""labels":{"x2":"v2","y":"w"}"#), "{}", rows[2]);
        assert!(rows[2].contains(r#""additional":{"fields":{"k":"2"}}"#), "{}", rows[2]);
    }

    const ROWS: usize = 2500;

    /// Writes a file with the shapes that DuckDB does not write: required columns, repeated
    /// fields outside LIST groups, INT96 times and FLOAT16 values, and with `legacy_list`, a
    /// legacy two-level list.
    fn write_own_shapes(path: &Path, legacy_list: bool) {
        let legacy = match legacy_list {
            true => "optional group legacy (LIST) { repeated int32 element; }",
            false => "",
        };
        let schema = format!(
            "message udm {{
                required int64 id;
                required binary name (UTF8);
                repeated binary ip (UTF8);
                repeated group label {{
                    required binary key (UTF8);
                    optional binary value (UTF8);
                }}
                optional int96 old_time;
                optional fixed_len_byte_array(2) half (FLOAT16);
                optional int64 metadata.event_timestamp (TIMESTAMP(NANOS, true));
                {legacy}
            }}"
        );
        let schema = parse_message_type(&schema).unwrap();
        let properties = Arc::new(WriterProperties::builder().set_max_row_group_size(1500).build());
        let file = File::create(path).unwrap();
        let mut writer = SerializedFileWriter::new(file, Arc::new(schema), properties).unwrap();
        for rows in [0..1500, 1500..ROWS] {
            let mut group = writer.next_row_group().unwrap();
            let mut index = 0;
            while let Some(mut column) = group.next_column().unwrap() {
                write_own_column(&mut column, index, rows.clone());
                column.close().unwrap();
                index += 1;
            }
            group.close().unwrap();
        }
        writer.close().unwrap();
    }

    fn write_own_column(
        column: &mut parquet::file::writer::SerializedColumnWriter<'_>,
        index: usize,
        rows: Range<usize>,
    ) {
        let text = |s: String| ByteArray::from(s.into_bytes());
        match index {
            0 => {
                let values: Vec<i64> = rows.map(|i| i as i64 * 3 - 1000).collect();
                column.typed::<Int64Type>().write_batch(&values, None, None).unwrap();
            }
            1 => {
                let values: Vec<ByteArray> =
                    rows.map(|i| text(format!("name \"{i}\"\n"))).collect();
                column.typed::<ByteArrayType>().write_batch(&values, None, None).unwrap();
            }
            2 => {
                // Row i has i % 3 addresses.
                let (mut values, mut defs, mut reps) = (Vec::new(), Vec::new(), Vec::new());
                for i in rows {
                    if i % 3 == 0 {
                        defs.push(0);
                        reps.push(0);
                    }
                    for k in 0..i % 3 {
                        values.push(text(format!("10.{k}.{}.1", i % 256)));
                        defs.push(1);
                        reps.push(i16::from(k > 0));
                    }
                }
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&values, Some(&defs), Some(&reps))
                    .unwrap();
            }
            3 | 4 => {
                // Row i has i % 4 labels; the value of every second label is null.
                let (mut values, mut defs, mut reps) = (Vec::new(), Vec::new(), Vec::new());
                for i in rows {
                    if i % 4 == 0 {
                        defs.push(0);
                        reps.push(0);
                    }
                    for k in 0..i % 4 {
                        reps.push(i16::from(k > 0));
                        if index == 4 && k % 2 == 1 {
                            defs.push(1);
                            continue;
                        }
                        values.push(text(format!(
                            "{}{i}-{k}",
                            if index == 3 { "key" } else { "value" }
                        )));
                        defs.push(if index == 3 { 1 } else { 2 });
                    }
                }
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&values, Some(&defs), Some(&reps))
                    .unwrap();
            }
            8 => {
                // Rows with i % 5 of 0 have a null list, of 1 an empty one, and else i % 5 elements.
                let (mut values, mut defs, mut reps) = (Vec::new(), Vec::new(), Vec::new());
                for i in rows {
                    if i % 5 < 2 {
                        defs.push(i16::from(i % 5 == 1));
                        reps.push(0);
                        continue;
                    }
                    for k in 0..i % 5 {
                        values.push((i * 10 + k) as i32);
                        defs.push(2);
                        reps.push(i16::from(k > 0));
                    }
                }
                column.typed::<Int32Type>().write_batch(&values, Some(&defs), Some(&reps)).unwrap();
            }
            5 => {
                let (mut values, mut defs) = (Vec::new(), Vec::new());
                for i in rows {
                    defs.push(i16::from(i % 7 != 0));
                    if i % 7 != 0 {
                        let mut value = Int96::new();
                        value.set_data(i as u32 * 1000, 0, 2_460_000 + i as u32);
                        values.push(value);
                    }
                }
                column.typed::<Int96Type>().write_batch(&values, Some(&defs), None).unwrap();
            }
            6 => {
                let (mut values, mut defs) = (Vec::new(), Vec::new());
                for i in rows {
                    defs.push(i16::from(i % 2 == 0));
                    if i % 2 == 0 {
                        let half = [(i % 251) as u8, 0x3c];
                        values.push(FixedLenByteArray::from(half.to_vec()));
                    }
                }
                column
                    .typed::<FixedLenByteArrayType>()
                    .write_batch(&values, Some(&defs), None)
                    .unwrap();
            }
            _ => {
                let (mut values, mut defs) = (Vec::new(), Vec::new());
                for i in rows {
                    defs.push(i16::from(i % 10 != 0));
                    if i % 10 != 0 {
                        values.push(1_700_000_000_000_000_000 + i as i64 * 1_000_000_007);
                    }
                }
                column.typed::<Int64Type>().write_batch(&values, Some(&defs), None).unwrap();
            }
        }
    }

    #[test]
    fn own_writer_shapes_equal_record_api() {
        let dir = crate::test_dir::TestDir::new("dragnet-columnar-");
        let path = dir.join("shapes.parquet");
        write_own_shapes(&path, false);
        let options = ParquetOptions::default();
        assert!(decodes_by_column(&path, &options), "the file is decoded by column");
        let rows = assert_same_rows(&path, &options, None);
        let legacy_path = dir.join("legacy.parquet");
        write_own_shapes(&legacy_path, true);
        let legacy_by_column = decodes_by_column(&legacy_path, &options);
        let legacy_rows = rows_of(&legacy_path, &options);
        assert_eq!(rows.len(), ROWS);
        let row = &rows[7];
        assert!(row.contains(r#""ip":["10.0.7.1"]"#), "{row}");
        assert!(row.contains(r#""label":[{"key":"key7-0","value":"value7-0"},{"key":"key7-1"},{"key":"key7-2","value":"value7-2"}]"#), "{row}");
        assert!(row.contains(r#""metadata":{"event_timestamp":"#), "{row}");
        assert!(rows[0].contains(r#""ip":[]"#), "{}", rows[0]);
        assert!(!legacy_by_column, "a legacy two-level list is read with the record API");
        assert_eq!(legacy_rows.len(), ROWS);
        assert!(legacy_rows[7].contains(r#""legacy":[[70,71]]"#), "{}", legacy_rows[7]);
    }
}
