//! Property tests: loading ASN databases never panics, whatever the bytes.

mod support;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use enrich::AsnDb;
use proptest::prelude::*;
use support::mmdb_writer::{Data, MmdbWriter};

const MARKER: &[u8] = b"\xab\xcd\xefMaxMind.com";

fn probe(db: &AsnDb) {
    for ip in [
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        IpAddr::V4(Ipv4Addr::BROADCAST),
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    ] {
        let _ = db.lookup(ip);
    }
}

fn small_db() -> Vec<u8> {
    let mut writer = MmdbWriter::new("GeoLite2-ASN", 6);
    writer.insert(
        "192.0.2.0/24",
        Data::map(&[
            ("autonomous_system_number", Data::U32(64496)),
            ("autonomous_system_organization", Data::str("EXAMPLE")),
        ]),
    );
    writer.build()
}

proptest! {
    #[test]
    fn tsv_text_never_panics(text in "[0-9a-f:.\\t\\n AS#-]{0,300}") {
        let (db, problems) = AsnDb::from_tsv(&text, "p.tsv");
        for problem in &problems {
            let _ = problem.to_string();
        }
        probe(&db);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok((db, _)) = AsnDb::from_bytes(bytes, "p.bin") {
            probe(&db);
        }
    }

    #[test]
    fn garbage_after_marker_never_panics(
        before in prop::collection::vec(any::<u8>(), 0..64),
        after in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = before;
        bytes.extend(MARKER);
        bytes.extend(after);
        if let Ok(db) = AsnDb::from_mmdb(bytes, "p.mmdb") {
            probe(&db);
        }
    }

    #[test]
    fn flipped_bytes_never_panic(at in any::<prop::sample::Index>(), value in any::<u8>()) {
        let mut bytes = small_db();
        let index = at.index(bytes.len());
        bytes[index] = value;
        if let Ok(db) = AsnDb::from_mmdb(bytes, "p.mmdb") {
            probe(&db);
        }
    }
}
