//! Salesforce user names learned from EventLogFile CSV before a run reads its inputs.
//!
//! Most EventLogFile event types (`API`, `RestApi`, `BulkApi`, `ReportExport`, ...) name the
//! user by id only; the `Login` type also gives `USER_NAME`. Records are normalised in input
//! order, and a row's user name comes from the pairs learned so far. Without this pass, the
//! rows of a file read before the `Login` file of the same day would get the id as their user
//! name, and miss the lists and joins keyed by name.

use std::io::BufRead;

use anyhow::Result;
use sources::{Format, Normalizer};

use crate::input::{self, Input, Record};
use crate::parquet_input;

/// The columns that mark a CSV file whose rows pair a user id with a user name.
const NAME_COLUMN: &str = "USER_NAME";
const ID_COLUMNS: [&str; 2] = ["USER_ID_DERIVED", "USER_ID"];

/// Normalises the rows of every CSV input that names users beside their ids, discarding the
/// events, so that `normalizer` can resolve each user's name before the run reads any record.
/// Returns the number of rows read. Standard input and other streams are skipped, since they
/// cannot be read twice, and so are inputs that cannot be opened or read, because the run
/// reports those itself.
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
        // JSON inputs and malformed rows: only the first record decides.
        let Ok(Record::Csv(pairs)) = record.record else {
            if rows == 0 {
                return Ok(0);
            }
            continue;
        };
        if rows == 0 && !names_users(&pairs) {
            return Ok(0);
        }
        let _ = normalizer.normalize(&Record::Csv(pairs).into_json(), format);
        rows += 1;
    }
    Ok(rows)
}

fn names_users(pairs: &[(String, String)]) -> bool {
    let has = |column: &str| pairs.iter().any(|(key, _)| key.eq_ignore_ascii_case(column));
    has(NAME_COLUMN) && ID_COLUMNS.iter().any(|column| has(column))
}
