//! Fuzz target: checks that reading native UDM straight from its text agrees with the
//! normalizer, which reads it through a JSON tree, on any bytes and in both formats that take
//! native UDM.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sources::{read_bare_udm, Format, Normalizer};

fuzz_target!(|data: &[u8]| {
    for format in [Format::Udm, Format::Auto] {
        let Some(event) = read_bare_udm(data, format) else { continue };
        let record: serde_json::Value =
            serde_json::from_slice(data).expect("text the fast reader takes is JSON");
        let mut outcomes = Normalizer::default().normalize_each(&record, format);
        assert_eq!(outcomes.len(), 1, "one record");
        let outcome = outcomes.pop().expect("one record");
        assert_eq!(outcome.path, "");
        assert_eq!(outcome.result.expect("the normalizer reads it too"), vec![event]);
    }
});
