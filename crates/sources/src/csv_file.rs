//! Reading CSV log files such as Salesforce EventLogFile downloads: a header row, then one
//! record per row, with quoted fields that may hold commas, doubled quotes and newlines.

use crate::SourceError;

/// A CSV file split into its header and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvFile {
    /// The header row's field names (see [`column_name`]).
    pub headers: Vec<String>,
    /// Every row after the header, in file order.
    pub rows: Vec<CsvRow>,
}

/// One row of a [`CsvFile`].
#[derive(Debug, Clone, PartialEq)]
pub struct CsvRow {
    /// The 1-based line where the row starts; a quoted newline makes a row span lines.
    pub line: usize,
    /// The row's cells, or why the row could not be read (bad quoting, a cell count that
    /// differs from the header's).
    pub values: Result<Vec<String>, SourceError>,
}

/// Returns the field name of a CSV header cell: trimmed, without a byte-order mark, and
/// without the ` [UTC]` that the Azure portal's Log Analytics export appends to datetime
/// columns (`TimeGenerated [UTC]`).
pub fn column_name(header: &str) -> &str {
    let name = header.trim().trim_start_matches('\u{feff}').trim_start();
    let Some(split) = name.len().checked_sub(UTC_SUFFIX.len()) else { return name };
    match (name.get(..split), name.get(split..)) {
        (Some(field), Some(suffix)) if suffix.eq_ignore_ascii_case(UTC_SUFFIX) => field.trim_end(),
        _ => name,
    }
}

const UTC_SUFFIX: &str = " [UTC]";

impl CsvFile {
    /// Splits `bytes` into a header and rows. Blank lines are skipped. Fails only when the
    /// header row cannot be read; a bad row is reported in its [`CsvRow`] and reading goes on.
    pub fn parse(bytes: &[u8]) -> Result<CsvFile, SourceError> {
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| SourceError::invalid(format!("invalid CSV header row: {e}")))?
            .iter()
            .map(|h| column_name(h).to_owned())
            .collect();
        if headers.iter().all(String::is_empty) {
            return Err(SourceError::invalid("the CSV header row is empty"));
        }
        let mut rows = Vec::new();
        for row in reader.records() {
            let row = match row {
                Ok(row) => row,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line() as usize);
                    let error = SourceError::invalid(format!("invalid CSV row: {e}"));
                    rows.push(CsvRow { line, values: Err(error) });
                    continue;
                }
            };
            let line = row.position().map_or(0, |p| p.line() as usize);
            let values = if row.len() == headers.len() {
                Ok(row.iter().map(str::to_owned).collect())
            } else {
                Err(SourceError::invalid(format!(
                    "the CSV row has {} fields but the header has {}",
                    row.len(),
                    headers.len()
                )))
            };
            rows.push(CsvRow { line, values });
        }
        Ok(CsvFile { headers, rows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_newlines_commas_and_quotes() {
        let text = "\u{feff}\"EVENT_TYPE\",\"QUERY\"\n\"API\",\"SELECT Id,\nName FROM \"\"A\"\"\"\n\"API\",\"x\"\n";
        let file = CsvFile::parse(text.as_bytes()).unwrap();
        assert_eq!(file.headers, vec!["EVENT_TYPE", "QUERY"]);
        assert_eq!(file.rows.len(), 2);
        assert_eq!(file.rows[0].line, 2);
        let values = file.rows[0].values.as_ref().unwrap();
        assert_eq!(values[1], "SELECT Id,\nName FROM \"A\"");
        assert_eq!(file.rows[1].line, 4);
    }

    #[test]
    fn short_row_is_reported_and_reading_goes_on() {
        let file = CsvFile::parse(b"a,b\n1\n2,3\n").unwrap();
        assert!(file.rows[0].values.is_err());
        assert_eq!(file.rows[1].values, Ok(vec!["2".to_owned(), "3".to_owned()]));
    }

    #[test]
    fn column_names_drop_utc_suffix() {
        let cases = [
            ("TimeGenerated [UTC]", "TimeGenerated"),
            ("\u{feff}CreatedDateTime [utc] ", "CreatedDateTime"),
            (" EVENT_TYPE ", "EVENT_TYPE"),
            ("[UTC]", "[UTC]"),
            ("UTC", "UTC"),
            ("Date (UTC)", "Date (UTC)"),
        ];
        for (header, expected) in cases {
            assert_eq!(column_name(header), expected, "header {header:?}");
        }
    }

    #[test]
    fn empty_input_has_no_header() {
        assert!(CsvFile::parse(b"").is_err());
    }
}
