//! Fuzz target: checks that any bytes that parse as JSON go through every format's parser without
//! a panic, returning events or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sources::{Format, Identities, Normalizer};

fuzz_target!(|data: &[u8]| {
    let Ok(record) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let mut normalizer = Normalizer::new(Identities::new());
    for (format, _) in Format::ALL {
        let _ = normalizer.normalize_each(&record, format);
    }
});
