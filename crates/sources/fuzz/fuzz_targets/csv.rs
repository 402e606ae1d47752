//! Fuzz target: checks that any bytes read as an EventLogFile CSV, row by row, normalise
//! without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sources::{CsvFile, Identities, Normalizer};

fuzz_target!(|data: &[u8]| {
    let Ok(file) = CsvFile::parse(data) else { return };
    let headers: Vec<&str> = file.headers.iter().map(String::as_str).collect();
    let mut normalizer = Normalizer::new(Identities::new());
    for row in &file.rows {
        let Ok(values) = &row.values else { continue };
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let _ = normalizer.normalize_csv_row(&headers, &values, None);
        let _ = normalizer.normalize_csv_row(&headers, &values, Some("Login"));
    }
});
