//! IP-to-ASN lookup from TSV and MaxMind DB files, and the UDM enrichment built on it.

mod support;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use enrich::{enrich_event, enrich_event_fields, AsnDb, AsnError, AsnInfo, GeoFields};
use support::mmdb_writer::{Data, MmdbWriter};
use udm::{Event, Message, Value};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/asns.tsv")
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn fixture_db() -> AsnDb {
    AsnDb::load(fixture()).unwrap().0
}

fn asn_of(db: &AsnDb, address: &str) -> Option<u32> {
    db.lookup(ip(address)).map(|info| info.asn)
}

#[test]
fn tsv_lookup_fields() {
    let db = fixture_db();
    let info = db.lookup(ip("192.0.2.5")).unwrap();
    assert_eq!(info.asn, 64496);
    assert_eq!(info.organization, "EXAMPLE-EGRESS-NET");
    assert_eq!(info.country.as_deref(), Some("US"));
    assert_eq!(info.carrier, None);
}

#[test]
fn tsv_range_bounds() {
    let db = fixture_db();
    assert_eq!(asn_of(&db, "192.0.2.0"), Some(64496));
    assert_eq!(asn_of(&db, "192.0.2.127"), Some(64496));
    assert_eq!(asn_of(&db, "198.51.100.0"), Some(64500));
    assert_eq!(asn_of(&db, "198.51.100.255"), Some(64500));
    assert_eq!(asn_of(&db, "198.51.101.0"), None);
    assert_eq!(asn_of(&db, "10.0.0.1"), None);
    assert_eq!(asn_of(&db, "255.255.255.255"), None);
    assert_eq!(asn_of(&db, "0.0.0.0"), None);
}

#[test]
fn tsv_unrouted_range_not_found() {
    let db = fixture_db();
    assert_eq!(db.lookup(ip("192.0.2.200")), None);
}

#[test]
fn tsv_ipv6_and_mapped() {
    let db = fixture_db();
    assert_eq!(asn_of(&db, "2001:db8:abcd::1"), Some(64510));
    assert_eq!(asn_of(&db, "2001:db9::1"), None);
    assert_eq!(asn_of(&db, "::ffff:203.0.113.9"), Some(64501));
    assert_eq!(asn_of(&db, "::ffff:10.0.0.1"), None);
}

#[test]
fn tsv_decimal_range() {
    let db = fixture_db();
    assert_eq!(asn_of(&db, "198.18.0.77"), Some(64502));
}

#[test]
fn tsv_bad_lines_named() {
    let (db, problems) = AsnDb::load(fixture()).unwrap();
    let lines: Vec<usize> = problems
        .iter()
        .map(|problem| match problem {
            AsnError::InvalidLine { line, .. } | AsnError::OverlappingRange { line, .. } => *line,
            other => panic!("unexpected problem {other:?}"),
        })
        .collect();
    assert_eq!(lines, [8, 9, 10, 11, 12, 7]);

    let messages: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let origin = fixture().display().to_string();
    assert!(
        messages[0].starts_with(&format!("{origin}:8: invalid ASN range line")),
        "{}",
        messages[0]
    );
    assert!(messages[0].contains("\"not-an-ip\" is not an IP address"), "{}", messages[0]);
    assert!(messages[1].contains("is after range_end"), "{}", messages[1]);
    assert!(messages[2].contains("mixes IPv4 and IPv6"), "{}", messages[2]);
    assert!(messages[3].contains("AS_number \"AS-bad\""), "{}", messages[3]);
    assert!(messages[4].contains("missing range_end"), "{}", messages[4]);
    assert!(messages[5].contains("overlaps the range on line 6"), "{}", messages[5]);

    assert_eq!(db.describe(), ["TSV (5 ranges)"]);
}

#[test]
fn tsv_inline_text() {
    let (db, problems) =
        AsnDb::from_tsv("192.0.2.0\t192.0.2.255\tAS64496\t\tNo country\n", "inline");
    assert!(problems.is_empty(), "{problems:?}");
    let info = db.lookup(ip("192.0.2.1")).unwrap();
    assert_eq!(info.asn, 64496);
    assert_eq!(info.country, None);
    assert_eq!(db.lookup_str(" [192.0.2.1] ").map(|info| info.asn), Some(64496));
    assert_eq!(db.lookup_str("not an address"), None);
}

#[test]
fn load_rejects_unknown_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("random.bin");
    std::fs::write(&path, [0u8, 159, 146, 150, 10, 1, 2, 3]).unwrap();
    assert!(matches!(AsnDb::load(&path), Err(AsnError::UnknownFormat { .. })));

    let text = dir.path().join("words.txt");
    std::fs::write(&text, "hello world\nsecond line\n").unwrap();
    let error = AsnDb::load(&text).unwrap_err();
    assert!(error.to_string().contains("neither a MaxMind .mmdb database nor an iptoasn TSV"));

    let missing = dir.path().join("absent.mmdb");
    let error = AsnDb::load(&missing).unwrap_err();
    assert!(matches!(error, AsnError::Io { .. }));
    let chain = anyhow_like_chain(&error);
    assert_eq!(chain.matches("os error").count(), 1, "{chain}");
}

/// Joins an error and its sources as `anyhow`'s `{:#}` does.
fn anyhow_like_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

fn asn_record(asn: u32, organization: &str) -> Data {
    Data::map(&[
        ("autonomous_system_number", Data::U32(asn)),
        ("autonomous_system_organization", Data::str(organization)),
    ])
}

fn geolite_asn() -> Vec<u8> {
    let mut writer = MmdbWriter::new("GeoLite2-ASN", 6);
    writer.insert("192.0.2.0/24", asn_record(64496, "EXAMPLE-EGRESS-NET"));
    writer.insert("198.51.100.0/25", asn_record(64500, "EXAMPLE-VPN-HOSTING"));
    writer.insert("2001:db8::/32", asn_record(64510, "EXAMPLE-V6-NET"));
    writer.build()
}

#[test]
fn mmdb_detected_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("asn-data.tsv");
    std::fs::write(&path, geolite_asn()).unwrap();

    let (db, problems) = AsnDb::load(&path).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(db.describe(), ["GeoLite2-ASN"]);
    let info = db.lookup(ip("192.0.2.44")).unwrap();
    assert_eq!(
        info,
        AsnInfo {
            asn: 64496,
            organization: "EXAMPLE-EGRESS-NET".into(),
            country: None,
            carrier: None,
            city: None,
            country_name: None,
            state: None,
            coordinates: None,
        }
    );
}

#[test]
fn mmdb_lookups() {
    let db = AsnDb::from_mmdb(geolite_asn(), "inline.mmdb").unwrap();
    assert_eq!(asn_of(&db, "198.51.100.127"), Some(64500));
    assert_eq!(asn_of(&db, "198.51.100.128"), None);
    assert_eq!(asn_of(&db, "2001:db8:1:2::3"), Some(64510));
    assert_eq!(asn_of(&db, "2001:db9::"), None);
    assert_eq!(asn_of(&db, "::ffff:192.0.2.1"), Some(64496));
    assert_eq!(asn_of(&db, "203.0.113.1"), None);
}

#[test]
fn mmdb_ipv4_only_tree() {
    let mut writer = MmdbWriter::new("GeoLite2-ASN", 4);
    writer.insert("192.0.2.0/24", asn_record(64496, "V4-ONLY"));
    let db = AsnDb::from_mmdb(writer.build(), "v4.mmdb").unwrap();
    assert_eq!(asn_of(&db, "192.0.2.1"), Some(64496));
    assert_eq!(asn_of(&db, "::ffff:192.0.2.1"), Some(64496));
    // The first 32 bits of this address equal 192.0.2.0, which an IPv4 tree must not match.
    assert_eq!(asn_of(&db, "c000:200::1"), None);
}

#[test]
fn mmdb_isp_carrier() {
    let mut writer = MmdbWriter::new("GeoIP2-ISP", 6);
    writer.insert(
        "203.0.113.0/24",
        Data::map(&[
            ("autonomous_system_number", Data::U32(64501)),
            ("autonomous_system_organization", Data::str("EXAMPLE-TOR-EXIT")),
            ("isp", Data::str("Example Carrier")),
            ("organization", Data::str("Example Org")),
        ]),
    );
    let db = AsnDb::from_mmdb(writer.build(), "isp.mmdb").unwrap();
    let info = db.lookup(ip("203.0.113.1")).unwrap();
    assert_eq!(info.carrier.as_deref(), Some("Example Carrier"));
    assert_eq!(info.organization, "EXAMPLE-TOR-EXIT");
}

fn geolite_city() -> Vec<u8> {
    let mut writer = MmdbWriter::new("GeoLite2-City", 6);
    writer.insert(
        "192.0.2.0/24",
        Data::map(&[
            ("city", Data::map(&[("names", Data::map(&[("en", Data::str("Springfield"))]))])),
            ("country", Data::map(&[("iso_code", Data::str("US"))])),
        ]),
    );
    writer.insert(
        "2001:db8::/32",
        Data::map(&[("registered_country", Data::map(&[("iso_code", Data::str("SE"))]))]),
    );
    writer.build()
}

#[test]
fn mmdb_city_location_only() {
    let db = AsnDb::from_mmdb(geolite_city(), "city.mmdb").unwrap();
    let info = db.lookup(ip("192.0.2.1")).unwrap();
    assert_eq!(info.asn, 0);
    assert_eq!(info.country.as_deref(), Some("US"));
    assert_eq!(info.city.as_deref(), Some("Springfield"));
    assert_eq!(db.lookup(ip("2001:db8::1")).and_then(|info| info.country), Some("SE".into()));
}

#[test]
fn asn_and_city_sources_merge() {
    let mut db = AsnDb::from_mmdb(geolite_asn(), "asn.mmdb").unwrap();
    db.extend(AsnDb::from_mmdb(geolite_city(), "city.mmdb").unwrap());
    let info = db.lookup(ip("192.0.2.1")).unwrap();
    assert_eq!(info.asn, 64496);
    assert_eq!(info.organization, "EXAMPLE-EGRESS-NET");
    assert_eq!(info.country.as_deref(), Some("US"));
    assert_eq!(info.city.as_deref(), Some("Springfield"));

    let mut city_first = AsnDb::from_mmdb(geolite_city(), "city.mmdb").unwrap();
    city_first.extend(AsnDb::from_mmdb(geolite_asn(), "asn.mmdb").unwrap());
    assert_eq!(city_first.lookup(ip("192.0.2.1")), Some(info));
}

#[test]
fn corrupt_mmdb_rejected() {
    let mut bytes = geolite_asn();
    // Claim far more nodes than the file holds.
    let mut corrupt = Vec::new();
    let tree_end = bytes.windows(14).rposition(|w| w == b"\xab\xcd\xefMaxMind.com").unwrap();
    corrupt.extend(&bytes[tree_end..]);
    let error = AsnDb::from_mmdb(corrupt, "corrupt.mmdb").unwrap_err();
    assert!(matches!(error, AsnError::InvalidMmdb { .. }), "{error:?}");

    bytes.truncate(tree_end + 20);
    assert!(AsnDb::from_mmdb(bytes, "truncated.mmdb").is_err());

    let mut bad_record = geolite_asn();
    bad_record[3..6].copy_from_slice(&[0xff, 0xff, 0xff]);
    let error = AsnDb::from_mmdb(bad_record, "bad-record.mmdb").unwrap_err();
    assert!(error.to_string().contains("node 0 has the invalid record 16777215"), "{error}");

    let error = AsnDb::from_mmdb(b"no marker here".to_vec(), "plain.mmdb").unwrap_err();
    assert!(error.to_string().contains("no MaxMind DB metadata section"));
}

/// The metadata section starts with a pointer to itself. `garbage_after_marker_never_panics`
/// found the first input, on which `maxminddb` 0.24 followed the pointer until the stack
/// overflowed. The second input is the same cycle with nothing else.
#[test]
fn mmdb_metadata_pointer_cycle_rejected() {
    let marker = b"\xab\xcd\xefMaxMind.com";
    let mut found = vec![0x29, 0x98, 0x3a, 0xdf, 0x6a, 0xb3];
    found.extend(marker);
    found.extend([
        0x20, 0x00, 0xbe, 0x76, 0xd2, 0xf6, 0x6b, 0x08, 0xae, 0x93, 0x4d, 0x26, 0xfa, 0xbc, 0x38,
        0x0e, 0x19, 0xf5, 0x8e, 0xb6, 0x78, 0x29, 0x79, 0x73, 0x3c,
    ]);
    let mut minimal = marker.to_vec();
    minimal.extend([0x20, 0x00]);

    for (origin, bytes) in [("found.mmdb", found), ("minimal.mmdb", minimal)] {
        let error = AsnDb::from_mmdb(bytes, origin).unwrap_err();
        assert!(matches!(error, AsnError::InvalidMmdb { .. }), "{origin}: {error:?}");
        let message = error.to_string();
        assert!(message.contains("pointer points to another pointer"), "{origin}: {message}");
    }
}

#[test]
fn mmdb_record_pointer_cycle_not_found() {
    let mut writer = MmdbWriter::new("GeoLite2-ASN", 6);
    // Each pointer takes 2 bytes, so the records start at offsets 0, 2 and 4 of the data
    // section: the first points to itself, the next two point to each other.
    writer.insert("192.0.2.0/24", Data::Pointer(0));
    writer.insert("198.51.100.0/24", Data::Pointer(4));
    writer.insert("203.0.113.0/24", Data::Pointer(2));
    writer.insert("2001:db8::/32", asn_record(64510, "EXAMPLE-V6-NET"));
    let db = AsnDb::from_mmdb(writer.build(), "cycle.mmdb").unwrap();

    assert_eq!(asn_of(&db, "192.0.2.1"), None);
    assert_eq!(asn_of(&db, "198.51.100.1"), None);
    assert_eq!(asn_of(&db, "203.0.113.1"), None);
    assert_eq!(asn_of(&db, "2001:db8::1"), Some(64510), "a valid record after the cycles");
}

/// A field the lookup does not read points back to its own record. The reader skips such a
/// field without following the pointer, so the record still decodes.
#[test]
fn mmdb_unknown_field_cycle_ignored() {
    let mut writer = MmdbWriter::new("GeoLite2-ASN", 6);
    writer.insert(
        "192.0.2.0/24",
        Data::map(&[
            ("autonomous_system_number", Data::U32(64496)),
            ("autonomous_system_organization", Data::str("EXAMPLE-EGRESS-NET")),
            ("network", Data::Pointer(0)),
        ]),
    );
    let db = AsnDb::from_mmdb(writer.build(), "unknown-field.mmdb").unwrap();

    let info = db.lookup(ip("192.0.2.1")).unwrap();
    assert_eq!(info.asn, 64496);
    assert_eq!(info.organization, "EXAMPLE-EGRESS-NET");
}

/// Wraps a number in `depth` maps or arrays.
fn nested(depth: usize, in_maps: bool) -> Data {
    let mut value = Data::U32(1);
    for _ in 0..depth {
        value = if in_maps { Data::map(&[("inner", value)]) } else { Data::Array(vec![value]) };
    }
    value
}

/// Values nested 1,000 deep, where the lookup reads a field and where it skips one. The reader
/// stops at a fixed depth (128 for skipped values), so the lookups return on a 256 KiB stack,
/// far smaller than the 2 MiB of a spawned thread. Without a depth limit they overflow it.
#[test]
fn mmdb_deep_nesting_small_stack() {
    let asn = || ("autonomous_system_number", Data::U32(64496));
    let mut writer = MmdbWriter::new("GeoLite2-City", 6);
    writer.insert("192.0.2.0/24", Data::map(&[asn(), ("extra", nested(1_000, false))]));
    writer.insert("198.51.100.0/24", Data::map(&[asn(), ("extra", nested(1_000, true))]));
    writer.insert("203.0.113.0/24", Data::map(&[("country", nested(1_000, true))]));
    writer.insert("2001:db8::/32", Data::map(&[("subdivisions", nested(1_000, false))]));
    writer.insert("2001:db9::/32", asn_record(64510, "EXAMPLE-V6-NET"));
    let db = AsnDb::from_mmdb(writer.build(), "deep.mmdb").unwrap();

    let found = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            ["192.0.2.1", "198.51.100.1", "203.0.113.1", "2001:db8::1", "2001:db9::1"]
                .map(|address| asn_of(&db, address))
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(found, [None, None, None, None, Some(64510)]);
}

fn noun_with_ips(ips: &[&str]) -> Value {
    let mut noun = Message::new();
    noun.insert("ip", Value::List(ips.iter().map(|ip| Value::from(*ip)).collect()));
    Value::Message(noun)
}

fn artifacts<'a>(event: &'a Event, noun: &str) -> Vec<&'a Message> {
    let Some(value) = event.get(noun) else { return Vec::new() };
    let noun = match value {
        Value::List(items) => items.first().and_then(Value::as_message),
        other => other.as_message(),
    };
    match noun.and_then(|noun| noun.get("ip_geo_artifact")) {
        Some(Value::List(items)) => items.iter().filter_map(Value::as_message).collect(),
        Some(Value::Message(single)) => vec![single],
        _ => Vec::new(),
    }
}

fn text<'a>(message: &'a Message, path: &str) -> Option<&'a str> {
    message.get_path(path).and_then(Value::as_str)
}

#[test]
fn enrich_principal_ip_geo_artifact() {
    let db = fixture_db();
    let mut event = Event::new();
    event.root.insert("principal", noun_with_ips(&["192.0.2.5", "10.0.0.1", "not-an-ip"]));
    enrich_event(&db, &mut event);

    let found = artifacts(&event, "principal");
    assert_eq!(found.len(), 1);
    let artifact = found[0];
    assert_eq!(text(artifact, "ip"), Some("192.0.2.5"));
    assert_eq!(artifact.get_path("network.asn"), Some(&Value::from("64496")));
    assert_eq!(text(artifact, "network.organization_name"), Some("EXAMPLE-EGRESS-NET"));
    assert_eq!(text(artifact, "location.country_or_region"), Some("US"));
    assert_eq!(artifact.get_path("network.carrier_name"), None);
}

#[test]
fn enrich_every_noun() {
    let db = fixture_db();
    let mut event = Event::new();
    event.root.insert("src", noun_with_ips(&["198.51.100.1"]));
    let mut target = Message::new();
    target.insert("ip", Value::from("2001:db8::7"));
    event.root.insert("target", Value::Message(target));
    event.root.insert("observer", noun_with_ips(&["203.0.113.3"]));
    event.root.insert(
        "intermediary",
        Value::List(vec![noun_with_ips(&["10.1.1.1"]), noun_with_ips(&["198.51.100.2"])]),
    );
    event.root.insert("about", Value::List(vec![noun_with_ips(&["::ffff:203.0.113.4"])]));
    enrich_event(&db, &mut event);

    assert_eq!(text(artifacts(&event, "src")[0], "network.asn"), Some("64500"));
    assert_eq!(text(artifacts(&event, "target")[0], "network.asn"), Some("64510"));
    assert_eq!(text(artifacts(&event, "observer")[0], "network.asn"), Some("64501"));
    assert_eq!(text(artifacts(&event, "about")[0], "ip"), Some("::ffff:203.0.113.4"));
    assert_eq!(text(artifacts(&event, "about")[0], "network.asn"), Some("64501"));

    let Some(Value::List(intermediaries)) = event.get("intermediary") else {
        panic!("intermediary is not a list");
    };
    let first = intermediaries[0].as_message().unwrap();
    assert_eq!(first.get("ip_geo_artifact"), None);
    let second = intermediaries[1].as_message().unwrap();
    assert_eq!(second.get_path("ip_geo_artifact.network.asn"), Some(&Value::from("64500")));
}

#[test]
fn enrich_asset_ip_once() {
    let db = fixture_db();
    let mut event = Event::new();
    event.set("principal.ip", Value::List(vec![Value::from("192.0.2.5")]));
    event.push("principal.asset.ip", "192.0.2.5");
    event.push("principal.asset.ip", "::ffff:192.0.2.5");
    event.push("principal.asset.ip", "198.51.100.9");
    enrich_event(&db, &mut event);

    let found = artifacts(&event, "principal");
    let ips: Vec<&str> = found.iter().filter_map(|artifact| text(artifact, "ip")).collect();
    assert_eq!(ips, ["192.0.2.5", "198.51.100.9"]);
}

#[test]
fn enrich_keeps_existing_artifact() {
    let db = fixture_db();
    let mut event = Event::new();
    event.push("principal.ip", "192.0.2.5");
    let mut existing = Message::new();
    existing.insert("ip", Value::from("192.0.2.5"));
    existing.set_path("network.asn", Value::from("1"));
    event.push("principal.ip_geo_artifact", Value::Message(existing));

    enrich_event(&db, &mut event);
    enrich_event(&db, &mut event);
    let found = artifacts(&event, "principal");
    assert_eq!(found.len(), 1);
    assert_eq!(text(found[0], "network.asn"), Some("1"));
}

#[test]
fn enrich_twice_adds_nothing() {
    let db = fixture_db();
    let mut event = Event::new();
    event.push("target.ip", "2001:db8::1");
    enrich_event(&db, &mut event);
    let once = event.clone();
    enrich_event(&db, &mut event);
    assert_eq!(event, once);
}

#[test]
fn enrich_from_mmdb_with_location() {
    let mut db = AsnDb::from_mmdb(geolite_asn(), "asn.mmdb").unwrap();
    db.extend(AsnDb::from_mmdb(geolite_city(), "city.mmdb").unwrap());
    let mut event = Event::new();
    event.push("principal.ip", "192.0.2.8");
    enrich_event(&db, &mut event);

    let found = artifacts(&event, "principal");
    assert_eq!(found.len(), 1);
    assert_eq!(text(found[0], "network.asn"), Some("64496"));
    assert_eq!(text(found[0], "location.country_or_region"), Some("US"));
    assert_eq!(text(found[0], "location.city"), Some("Springfield"));
}

/// Builds a City database whose records have names, a subdivision and coordinates, as
/// GeoLite2-City records do.
fn geolite_city_with_location() -> Vec<u8> {
    let names = |en: &str| Data::map(&[("en", Data::str(en)), ("de", Data::str("x"))]);
    let mut writer = MmdbWriter::new("GeoLite2-City", 6);
    writer.insert(
        "198.51.100.0/24",
        Data::map(&[
            ("city", Data::map(&[("names", names("Amsterdam"))])),
            (
                "country",
                Data::map(&[("iso_code", Data::str("NL")), ("names", names("Netherlands"))]),
            ),
            (
                "location",
                Data::map(&[
                    ("accuracy_radius", Data::U16(20)),
                    ("latitude", Data::F64(52.3759)),
                    ("longitude", Data::F64(4.8975)),
                    ("time_zone", Data::str("Europe/Amsterdam")),
                ]),
            ),
            (
                "subdivisions",
                Data::Array(vec![Data::map(&[
                    ("iso_code", Data::str("NH")),
                    ("names", names("North Holland")),
                ])]),
            ),
        ]),
    );
    writer.insert(
        "203.0.113.0/24",
        Data::map(&[
            ("country", Data::map(&[("iso_code", Data::str("RU")), ("names", names("Russia"))])),
            ("subdivisions", Data::Array(vec![Data::map(&[("iso_code", Data::str("MOW"))])])),
            (
                "location",
                Data::map(&[("latitude", Data::F64(95.0)), ("longitude", Data::F64(1.0))]),
            ),
        ]),
    );
    writer.build()
}

#[test]
fn mmdb_city_fills_state_name_and_coordinates() {
    let db = AsnDb::from_mmdb(geolite_city_with_location(), "city.mmdb").unwrap();
    let info = db.lookup(ip("198.51.100.7")).unwrap();
    assert_eq!(info.country.as_deref(), Some("NL"));
    assert_eq!(info.country_name.as_deref(), Some("Netherlands"));
    assert_eq!(info.state.as_deref(), Some("North Holland"));
    assert_eq!(info.city.as_deref(), Some("Amsterdam"));
    assert_eq!(
        info.coordinates,
        Some(enrich::Coordinates { latitude: 52.3759, longitude: 4.8975 })
    );
}

#[test]
fn mmdb_city_subdivision_code_and_bad_coordinates() {
    let db = AsnDb::from_mmdb(geolite_city_with_location(), "city.mmdb").unwrap();
    let info = db.lookup(ip("203.0.113.9")).unwrap();
    assert_eq!(info.state.as_deref(), Some("MOW"));
    assert_eq!(info.coordinates, None, "a latitude of 95 degrees is not a place");
}

#[test]
fn enrich_writes_city_location() {
    let mut db = AsnDb::from_mmdb(geolite_asn(), "asn.mmdb").unwrap();
    db.extend(AsnDb::from_mmdb(geolite_city_with_location(), "city.mmdb").unwrap());
    let mut event = Event::new();
    event.push("principal.ip", "198.51.100.7");
    event.push("target.ip", "203.0.113.9");
    enrich_event(&db, &mut event);

    let principal = artifacts(&event, "principal");
    assert_eq!(principal.len(), 1);
    assert_eq!(text(principal[0], "network.asn"), Some("64500"));
    assert_eq!(text(principal[0], "location.country_or_region"), Some("Netherlands"));
    assert_eq!(text(principal[0], "location.state"), Some("North Holland"));
    assert_eq!(text(principal[0], "location.city"), Some("Amsterdam"));
    let latitude = principal[0].get_path("location.region_coordinates.latitude");
    assert_eq!(latitude, Some(&Value::Float(52.3759)));
    let longitude = principal[0].get_path("location.region_coordinates.longitude");
    assert_eq!(longitude, Some(&Value::Float(4.8975)));

    let target = artifacts(&event, "target");
    assert_eq!(text(target[0], "location.country_or_region"), Some("Russia"));
}

#[test]
fn enrich_with_empty_db_is_noop() {
    let mut event = Event::new();
    event.push("principal.ip", "192.0.2.8");
    let before = event.clone();
    enrich_event(&AsnDb::new(), &mut event);
    assert_eq!(event, before);
}

#[test]
fn enrich_only_fields_read() {
    let db = fixture_db();
    let mut event = Event::new();
    event.root.insert("principal", noun_with_ips(&["192.0.2.5"]));
    event.root.insert("src", noun_with_ips(&["198.51.100.1"]));
    let geo = GeoFields::read_by(|path| {
        let read_path = ["principal", "ip_geo_artifact", "network", "asn"];
        path.len() <= read_path.len() && path == &read_path[..path.len()]
    });
    enrich_event_fields(&db, &mut event, geo);

    let found = artifacts(&event, "principal");
    assert_eq!(found.len(), 1);
    assert_eq!(text(found[0], "network.asn"), Some("64496"));
    assert_eq!(found[0].get("ip"), None);
    assert_eq!(found[0].get_path("network.organization_name"), None);
    assert_eq!(found[0].get("location"), None);
    assert!(artifacts(&event, "src").is_empty());
}

/// Enriches an event whose `principal.ip` is one address and returns the element written.
fn enriched_element(db: &AsnDb, geo: GeoFields, address: &str) -> Option<Value> {
    let mut event = Event::new();
    event.push("principal.ip", address);
    enrich_event_fields(db, &mut event, geo);
    event.get("principal.ip_geo_artifact").cloned().map(|artifacts| match artifacts {
        Value::List(mut items) if items.len() == 1 => items.remove(0),
        other => other,
    })
}

#[test]
fn repeated_addresses_follow_database_and_fields() {
    let (first, _) = AsnDb::from_tsv("192.0.2.0\t192.0.2.255\t64496\tUS\tFIRST-NET\n", "first");
    let (second, _) = AsnDb::from_tsv("192.0.2.0\t192.0.2.255\t64511\tUS\tSECOND-NET\n", "second");
    let asn_only = GeoFields::read_by(|path| path.ends_with(&["network", "asn"]) || path.len() < 3);

    // Each address is enriched twice, so the second round reads what the first one cached.
    for _ in 0..2 {
        let element = enriched_element(&first, GeoFields::ALL, "192.0.2.7").expect("an element");
        let element = element.as_message().expect("a message");
        assert_eq!(text(element, "network.asn"), Some("64496"));
        assert_eq!(text(element, "network.organization_name"), Some("FIRST-NET"));
        assert_eq!(text(element, "ip"), Some("192.0.2.7"));

        // Another database gives its own element for the same address.
        let element = enriched_element(&second, GeoFields::ALL, "192.0.2.7").expect("an element");
        let element = element.as_message().expect("a message");
        assert_eq!(text(element, "network.asn"), Some("64511"));

        // Other fields give other elements.
        let element = enriched_element(&first, asn_only, "192.0.2.7").expect("an element");
        let element = element.as_message().expect("a message");
        assert_eq!(text(element, "network.asn"), Some("64496"));
        assert_eq!(text(element, "network.organization_name"), None);
    }

    // A database that gains a source gets a fresh lookup, not the one from before.
    let mut grown = AsnDb::new();
    assert_eq!(enriched_element(&grown, GeoFields::ALL, "192.0.2.7"), None);
    grown.extend(AsnDb::from_tsv("192.0.2.0\t192.0.2.255\t64500\tUS\tGROWN\n", "grown").0);
    let element = enriched_element(&grown, GeoFields::ALL, "192.0.2.7").expect("an element");
    assert_eq!(text(element.as_message().expect("a message"), "network.asn"), Some("64500"));

    // More distinct addresses than a thread keeps: each still gets its own element.
    for round in 0..2 {
        for i in 0..5_000u32 {
            let address = format!("10.{}.{}.1", i / 256, i % 256);
            assert_eq!(enriched_element(&first, GeoFields::ALL, &address), None, "{address}");
            if i % 1_000 == 0 {
                let address = format!("192.0.2.{}", i / 1_000);
                let element =
                    enriched_element(&first, GeoFields::ALL, &address).expect("an element");
                let element = element.as_message().expect("a message");
                assert_eq!(text(element, "ip"), Some(address.as_str()), "round {round}");
            }
        }
    }
}
