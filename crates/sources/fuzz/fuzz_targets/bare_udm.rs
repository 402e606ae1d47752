//! Fuzz target: checks that the scanner behind `is_bare_udm` never takes text for plain UDM
//! that `serde_json` rejects or reads otherwise, and that it takes everything `serde_json`
//! takes when the text has no escapes and shallow nesting.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sources::{is_bare_udm, is_bare_udm_by_serde};

fuzz_target!(|data: &[u8]| {
    let fast = is_bare_udm(data);
    let reference = is_bare_udm_by_serde(data);
    if fast {
        assert!(reference, "the scanner takes text that serde_json does not");
    }
    let shallow = data.iter().filter(|&&b| b == b'{' || b == b'[').count() < 60;
    if reference && shallow && !data.contains(&b'\\') {
        assert!(fast, "the scanner leaves out plain UDM text");
    }
});
