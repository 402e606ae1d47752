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

/// Normalises the records of every input that names users beside their ids, discarding the
/// events, so that `normalizer` can resolve each user's name before the run reads any record.
/// Returns the number of records read. Standard input and other streams are skipped, since
/// they cannot be read twice, and so are inputs that cannot be opened or read, because the run
/// reports those itself. Only the first record of an input decides whether it is read, so an
/// input that mixes sources is read only when it starts with a record that names users.
///
/// NOTE: Entra ID sign-in and Microsoft 365 audit inputs are normalised twice in an `auto`
/// run, once here and once by the run, which slows hunts over large audit exports.
pub fn learn_user_names(inputs: &[Input], format: Format, normalizer: &mut Normalizer) -> usize {
    if !matches!(format, Format::Auto | Format::Salesforce) {
        return 0;
    }
    inputs
        .iter()
        .filter(|input| input.is_rereadable())
        .map(|input| learn_from(input, format, normalizer).unwrap_or(0))
        .sum()
}

fn learn_from(input: &Input, format: Format, normalizer: &mut Normalizer) -> Result<usize> {
    let mut reader = input.open_counting(None)?;
    if reader.fill_buf()?.starts_with(parquet_input::MAGIC) {
        return Ok(0);
    }
    let mut rows = 0;
    for record in input::records(reader) {
        // A malformed first record rules the input out, and later malformed records are skipped.
        let Ok(record) = record.record else {
            if rows == 0 {
                return Ok(0);
            }
            continue;
        };
        if rows == 0 {
            let names = match &record {
                Record::Csv(pairs) => names_users(pairs),
                Record::Json(_) => false,
            };
            if !names {
                if format != Format::Auto {
                    return Ok(0);
                }
                let events = normalizer.normalize(&record.into_json(), format).unwrap_or_default();
                if !events.iter().any(names_microsoft_users) {
                    return Ok(0);
                }
                rows += 1;
                continue;
            }
        }
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

fn names_users(pairs: &[(String, String)]) -> bool {
    let has = |column: &str| pairs.iter().any(|(key, _)| key.eq_ignore_ascii_case(column));
    has(NAME_COLUMN) && ID_COLUMNS.iter().any(|column| has(column))
}
