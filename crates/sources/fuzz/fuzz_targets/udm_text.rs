//! Fuzz target: checks that reading native UDM straight from its text agrees with the
//! normalizer, which reads it through a JSON tree, on any bytes and in both formats that take
//! native UDM, and that a read with only some fields takes exactly the lines a full read takes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sources::{read_bare_udm, read_bare_udm_projected, Format, Normalizer};
use udm::json::Projection;

/// Returns a projection that keeps a few fields at several depths and skips the rest.
fn projection() -> &'static Projection {
    static PROJECTION: OnceLock<Projection> = OnceLock::new();
    PROJECTION.get_or_init(|| {
        let paths: [&[&str]; 3] =
            [&["principal", "user", "userid"], &["target", "ip"], &["additional", "fields"]];
        Projection::new(
            paths.map(|path| path.iter().map(|name| (*name).to_owned()).collect::<Vec<_>>()),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    for format in [Format::Udm, Format::Auto] {
        let projected = read_bare_udm_projected(data, format, projection());
        let whole = read_bare_udm(data, format);
        assert_eq!(projected.is_some(), whole.is_some(), "the projected read takes other lines");
        let Some(event) = whole else { continue };
        let record: serde_json::Value =
            serde_json::from_slice(data).expect("text the fast reader takes is JSON");
        let mut outcomes = Normalizer::default().normalize_each(&record, format);
        assert_eq!(outcomes.len(), 1, "one record");
        let outcome = outcomes.pop().expect("one record");
        assert_eq!(outcome.path, "");
        assert_eq!(outcome.result.expect("the normalizer reads it too"), vec![event]);
    }
});
