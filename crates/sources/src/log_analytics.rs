//! The Azure Monitor Log Analytics query API response: `{"tables": [{"name", "columns",
//! "rows"}]}`, where `columns` names each cell of a row and every row is one record.

use serde_json::{Map, Value};

use crate::SourceError;

/// Returns the result tables when `obj` is a query API response: a `tables` array whose
/// elements all have a `columns` and a `rows` array.
pub(crate) fn tables(obj: &Map<String, Value>) -> Option<&[Value]> {
    let Some(Value::Array(tables)) = obj.get("tables") else { return None };
    let is_table = |table: &Value| {
        table.get("columns").is_some_and(Value::is_array)
            && table.get("rows").is_some_and(Value::is_array)
    };
    (!tables.is_empty() && tables.iter().all(is_table)).then_some(tables.as_slice())
}

/// Returns each row of `table` as an object keyed by column name, or why the row cannot be
/// read. Fails as a whole when a column has no name.
pub(crate) fn rows(table: &Value) -> Result<Vec<Result<Value, SourceError>>, SourceError> {
    let columns = table.get("columns").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let names = columns
        .iter()
        .enumerate()
        .map(|(index, column)| {
            column.get("name").and_then(Value::as_str).ok_or_else(|| {
                SourceError::invalid(format!(
                    "invalid Log Analytics table: column {index} has no name"
                ))
            })
        })
        .collect::<Result<Vec<&str>, SourceError>>()?;
    let rows = table.get("rows").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    Ok(rows.iter().map(|row| record_of(&names, row)).collect())
}

fn record_of(names: &[&str], row: &Value) -> Result<Value, SourceError> {
    let Value::Array(cells) = row else {
        return Err(SourceError::invalid("invalid Log Analytics row: expected an array of cells"));
    };
    if cells.len() != names.len() {
        return Err(SourceError::invalid(format!(
            "the Log Analytics row has {} cells but the table has {} columns",
            cells.len(),
            names.len()
        )));
    }
    let record: Map<String, Value> =
        names.iter().map(|name| (*name).to_owned()).zip(cells.iter().cloned()).collect();
    Ok(Value::Object(record))
}
