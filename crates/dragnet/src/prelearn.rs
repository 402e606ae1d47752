//! User names learned before a run reads its inputs, so that they do not depend on the order
//! of the files.
//!
//! Records are normalised in input order, and a record that names a user by id only takes the
//! name from the pairs learned so far. Two kinds of records name users by id only:
//!
//! - Most Salesforce EventLogFile event types (`API`, `RestApi`, `BulkApi`, `ReportExport`,
//!   ...); the `Login` type also gives `USER_NAME`.
//! - Microsoft Graph activity records, which give the user's Entra ID object id; Entra ID
//!   sign-ins and Microsoft 365 audit records give the object id beside the user principal
//!   name.
//!
//! Without this pass, the records of a file read before the file that names the user would
//! get the id as their user name, and miss the lists and joins keyed by name. Folders put
//! an `API` file before the `Login` file of the same day, and `MicrosoftGraphActivityLogs.csv`
//! before `SigninLogs.csv`.

use std::io::BufRead;

use anyhow::Result;
use sources::{Format, Normalizer};

use crate::input::{self, Input, Record};
use crate::parquet_input;

/// The columns that mark an EventLogFile CSV whose rows pair a user id with a user name.
const NAME_COLUMN: &str = "USER_NAME";
const ID_COLUMNS: [&str; 2] = ["USER_ID_DERIVED", "USER_ID"];

/// `metadata.product_event_type` of a Microsoft Graph activity event.
const GRAPH_ACTIVITY: &str = "Microsoft Graph Activity";

/// The kind of an input, decided from its first record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FirstRecord {
    /// An EventLogFile CSV whose rows pair a Salesforce user id with a user name.
    SalesforceNames,
    /// An Entra ID sign-in or Microsoft 365 audit record, which gives the user principal name
    /// beside the object id.
    MicrosoftNames,
    /// A Microsoft Graph activity record, which gives the object id only.
    GraphActivity,
    /// Anything else, including an input that cannot be opened or read.
    Other,
}

/// Normalises the records of every input that names users beside their ids, discarding the
/// events, so that `normalizer` can resolve each user's name before the run reads any record.
/// Returns the number of records read.
///
/// Salesforce EventLogFile CSVs that name users are read whenever the format allows them.
/// Entra ID sign-in and Microsoft 365 audit inputs are read only when some input starts with
/// a Graph activity record, which is the only Microsoft record that needs their names. This
/// keeps a run without Graph inputs from normalising large audit exports twice. Only the first record of an input decides its kind, so an
/// input that mixes sources counts as the source of its first record. Standard input and other
/// streams are skipped, since they cannot be read twice, and so are inputs that cannot be
/// opened or read, because the run reports those itself.
pub fn learn_user_names(inputs: &[Input], format: Format, normalizer: &mut Normalizer) -> usize {
    if !matches!(format, Format::Auto | Format::Salesforce) {
        return 0;
    }
    let kinds: Vec<(&Input, FirstRecord)> = inputs
        .iter()
        .filter(|input| input.is_rereadable())
        .map(|input| (input, first_record(input, format, normalizer).unwrap_or(FirstRecord::Other)))
        .collect();
    let graph_read = kinds.iter().any(|(_, kind)| *kind == FirstRecord::GraphActivity);
    let rows = kinds
        .iter()
        .filter(|(_, kind)| match kind {
            FirstRecord::SalesforceNames => true,
            FirstRecord::MicrosoftNames => graph_read,
            FirstRecord::GraphActivity | FirstRecord::Other => false,
        })
        .map(|(input, _)| learn_from(input, format, normalizer).unwrap_or(0))
        .sum();
    tracing::debug!(rows, graph_read, "read the records that name users before the run");
    rows
}

/// Decides the kind of `input` from its first record. Normalising that record to tell the
/// sources apart also learns the pair it names, if any.
fn first_record(input: &Input, format: Format, normalizer: &mut Normalizer) -> Result<FirstRecord> {
    let mut reader = input.open_counting(None)?;
    if reader.fill_buf()?.starts_with(parquet_input::MAGIC) {
        return Ok(FirstRecord::Other);
    }
    let Some(first) = input::records(reader).next() else {
        return Ok(FirstRecord::Other);
    };
    let Ok(record) = first.record else {
        return Ok(FirstRecord::Other);
    };
    if let Record::Csv(pairs) = &record {
        if names_users(pairs) {
            return Ok(FirstRecord::SalesforceNames);
        }
    }
    if format != Format::Auto {
        return Ok(FirstRecord::Other);
    }
    let events = normalizer.normalize(&record.into_json(), format).unwrap_or_default();
    let kind = match events.first() {
        Some(event) if names_microsoft_users(event) => FirstRecord::MicrosoftNames,
        Some(event) if is_graph_activity(event) => FirstRecord::GraphActivity,
        _ => FirstRecord::Other,
    };
    Ok(kind)
}

/// Normalises every record of `input`, skipping malformed ones, and returns how many were read.
fn learn_from(input: &Input, format: Format, normalizer: &mut Normalizer) -> Result<usize> {
    let reader = input.open_counting(None)?;
    let mut rows = 0;
    for record in input::records(reader) {
        let Ok(record) = record.record else {
            continue;
        };
        let _ = normalizer.normalize(&record.into_json(), format);
        rows += 1;
    }
    Ok(rows)
}

/// Tells whether `event` is an Entra ID sign-in or a Microsoft 365 audit record, the Microsoft
/// sources that give the user principal name beside the object id.
fn names_microsoft_users(event: &udm::Event) -> bool {
    let product = event.get("metadata.product_name").and_then(|value| value.as_str());
    matches!(product, Some("Azure AD" | "Office 365"))
}

fn is_graph_activity(event: &udm::Event) -> bool {
    let event_type = event.get("metadata.product_event_type").and_then(|value| value.as_str());
    event_type == Some(GRAPH_ACTIVITY)
}

fn names_users(pairs: &[(String, String)]) -> bool {
    let has = |column: &str| pairs.iter().any(|(key, _)| key.eq_ignore_ascii_case(column));
    has(NAME_COLUMN) && ID_COLUMNS.iter().any(|column| has(column))
}
