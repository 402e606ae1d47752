//! The [`Normalizer`]: per-run state and the dispatch from a raw record to its parser.

use serde_json::Value;
use udm::Event;

use crate::context::Context;
use crate::format::{detect, Format};
use crate::{entra, graph, m365, okta, salesforce, udm_input, Identities, SourceError};

/// Turns raw records into UDM events, keeping identity state across the records of one run.
#[derive(Debug, Clone, Default)]
pub struct Normalizer {
    context: Context,
}

impl Normalizer {
    /// Creates a normalizer that resolves aliases through `identities`.
    pub fn new(identities: Identities) -> Normalizer {
        Normalizer { context: Context::new(identities) }
    }

    /// The identity map, including the object-id pairs learned so far.
    pub fn identities(&self) -> &Identities {
        &self.context.identities
    }

    /// Normalises one JSON record into zero or more events.
    ///
    /// A JSON array, and an object whose only content is a `records` array (Azure Monitor
    /// and SOQL exports), are read element by element. With [`Format::Auto`] the source is
    /// detected per element from its shape.
    pub fn normalize(&mut self, record: &Value, format: Format) -> Result<Vec<Event>, SourceError> {
        let mut events = Vec::new();
        self.normalize_into(record, format, &mut events, 0)?;
        Ok(events)
    }

    fn normalize_into(
        &mut self,
        record: &Value,
        format: Format,
        out: &mut Vec<Event>,
        depth: usize,
    ) -> Result<(), SourceError> {
        // Exports nest at most two levels (`{"records": [...]}` in an array); deeper nesting
        // is not a log record.
        if depth > 4 {
            return Err(SourceError::invalid("records are nested more than four levels deep"));
        }
        let obj = match record {
            Value::Array(items) => {
                for item in items {
                    self.normalize_into(item, format, out, depth + 1)?;
                }
                return Ok(());
            }
            Value::Object(obj) => obj,
            other => {
                return Err(SourceError::invalid(format!(
                    "expected a JSON object, found {}",
                    json_kind(other)
                )))
            }
        };
        if let Some(items @ Value::Array(_)) = obj.get("records") {
            if format != Format::Udm && !salesforce::is_record(obj) {
                return self.normalize_into(items, format, out, depth + 1);
            }
        }
        let format = match format {
            Format::Auto => detect(obj).ok_or_else(|| SourceError::Unrecognised {
                keys: obj.keys().take(6).map(String::as_str).collect::<Vec<_>>().join(", "),
            })?,
            chosen => chosen,
        };
        let context = &mut self.context;
        match format {
            Format::Udm => out.extend(udm_input::normalize(record)?),
            Format::M365 => out.push(m365::normalize(obj, context)?),
            Format::Entra => out.push(entra::normalize(obj, context)?),
            Format::Graph => out.push(graph::normalize(obj, context)?),
            Format::Okta => out.push(okta::normalize(obj, context)?),
            Format::Salesforce => out.extend(salesforce::normalize(obj, context)?),
            Format::Auto => unreachable_auto()?,
        }
        Ok(())
    }

    /// Normalises one Salesforce EventLogFile CSV row given as header/value pairs.
    ///
    /// `event_type` is the file's `EventType` (`Login`, `API`, `ReportExport`, ...) when the
    /// caller knows it; the row's own `EVENT_TYPE` column wins when present.
    pub fn normalize_csv_row(
        &mut self,
        headers: &[&str],
        values: &[&str],
        event_type: Option<&str>,
    ) -> Result<Vec<Event>, SourceError> {
        salesforce::normalize_csv_row(headers, values, event_type, &mut self.context)
    }
}

fn unreachable_auto() -> Result<(), SourceError> {
    Err(SourceError::invalid("format detection returned auto"))
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
