//! Property tests: loading ASN databases never panics, whatever the bytes.

mod support;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use enrich::AsnDb;
use proptest::prelude::*;
use support::mmdb_writer::{encode, Data, MmdbWriter};

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

fn small_record() -> Data {
    Data::map(&[
        ("autonomous_system_number", Data::U32(64496)),
        ("autonomous_system_organization", Data::str("EXAMPLE")),
    ])
}

fn small_db() -> Vec<u8> {
    let mut writer = MmdbWriter::new("GeoLite2-ASN", 6);
    writer.insert("192.0.2.0/24", small_record());
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

    /// Overwrites the data section of a valid database, which contains only the record of
    /// 192.0.2.0/24 (fewer than 128 bytes), with random bytes, so lookups decode garbage.
    #[test]
    fn garbage_record_never_panics(garbage in prop::collection::vec(any::<u8>(), 128)) {
        let mut record = Vec::new();
        encode(&small_record(), &mut record);
        let mut bytes = small_db();
        let data_end = bytes.windows(MARKER.len()).rposition(|w| w == MARKER).unwrap();
        let data_start = data_end - record.len();
        for (byte, random) in bytes[data_start..data_end].iter_mut().zip(garbage) {
            *byte = random;
        }
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
