//! Lookups in MaxMind DB (`.mmdb`) files: GeoLite2/GeoIP2 ASN, ISP, City and Country.
//!
//! One record type reads all of them, because each database fills only its own fields:
//! ASN databases `autonomous_system_*`, ISP databases also `isp`, Country databases `country`,
//! and City databases also `city`, `subdivisions` and `location`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};

use maxminddb::Reader;
use serde::Deserialize;

use super::{AsnError, AsnInfo, Coordinates};
use crate::lists::canonical_ip;
use udm::Str;

/// The bytes that start a MaxMind DB metadata section, near the end of every `.mmdb` file.
pub(crate) const METADATA_MARKER: &[u8] = b"\xab\xcd\xefMaxMind.com";

/// An open MaxMind database.
pub(crate) struct MmdbSource {
    reader: Reader<Vec<u8>>,
    origin: String,
    /// Set once a lookup panicked inside the reader, so the file is not read again.
    broken: AtomicBool,
}

impl std::fmt::Debug for MmdbSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MmdbSource")
            .field("origin", &self.origin)
            .field("database_type", &self.reader.metadata().database_type)
            .finish()
    }
}

#[derive(Debug, Deserialize)]
struct Record<'a> {
    autonomous_system_number: Option<u32>,
    #[serde(borrow)]
    autonomous_system_organization: Option<&'a str>,
    #[serde(borrow)]
    isp: Option<&'a str>,
    #[serde(borrow)]
    country: Option<Place<'a>>,
    #[serde(borrow)]
    registered_country: Option<Place<'a>>,
    #[serde(borrow)]
    city: Option<Place<'a>>,
    #[serde(borrow)]
    subdivisions: Option<Vec<Place<'a>>>,
    location: Option<Point>,
}

/// The `location` map of City databases; `accuracy_radius` and `time_zone` are not read.
#[derive(Debug, Deserialize)]
struct Point {
    latitude: Option<f64>,
    longitude: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Place<'a> {
    #[serde(borrow)]
    iso_code: Option<&'a str>,
    #[serde(borrow)]
    names: Option<BTreeMap<&'a str, &'a str>>,
}

impl MmdbSource {
    /// Opens a database held in memory.
    ///
    /// The `maxminddb` reader (0.32) checks the metadata, the record size, the IP version and
    /// that the search tree ends before the metadata, bounds-checks every read, and stops
    /// decoding at 512 nested values or pointers. Beyond that, every search tree record is
    /// checked here, so that a corrupt tree fails to open instead of failing lookups later.
    pub fn open(bytes: Vec<u8>, origin: &str) -> Result<MmdbSource, AsnError> {
        let invalid = |reason: String| AsnError::InvalidMmdb { origin: origin.to_owned(), reason };
        let marker_at = memchr::memmem::rfind(&bytes, METADATA_MARKER)
            .ok_or_else(|| invalid("no MaxMind DB metadata section".to_owned()))?;

        // The first reader borrows the bytes, so that the tree can be checked before the
        // bytes move into the reader that is kept.
        let layout = guard(|| {
            Reader::from_source(bytes.as_slice()).map(|reader| TreeLayout::of(reader.metadata()))
        })
        .map_err(|_| invalid("the metadata section is corrupt".to_owned()))?
        .map_err(|error| invalid(error.to_string()))?;
        layout.validate(&bytes, marker_at).map_err(invalid)?;

        let reader = guard(|| Reader::from_source(bytes))
            .map_err(|_| invalid("the metadata section is corrupt".to_owned()))?
            .map_err(|error| invalid(error.to_string()))?;
        Ok(MmdbSource { reader, origin: origin.to_owned(), broken: AtomicBool::new(false) })
    }

    /// The database type from the metadata, for example `GeoLite2-ASN`.
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// Looks up an address. Returns `None` when the database has no record for it, when the
    /// record is corrupt, or when the record has no AS number and no country.
    ///
    /// The reader rejects an IPv6 address in an IPv4-only database (it would walk only the
    /// first 32 bits and land on an unrelated record), so such lookups return `None`.
    pub fn lookup(&self, ip: IpAddr) -> Option<AsnInfo> {
        if self.broken.load(Ordering::Relaxed) {
            return None;
        }
        let ip = canonical_ip(ip);
        let decoded = guard(|| {
            let result = self.reader.lookup(ip).ok()?;
            result.decode::<Record<'_>>().ok().flatten()
        });
        match decoded {
            Ok(record) => info_from_record(record?),
            Err(()) => {
                self.broken.store(true, Ordering::Relaxed);
                None
            }
        }
    }
}

/// Runs a call into the reader, turning a panic into `Err(())`.
///
/// `maxminddb` 0.32 bounds-checks its reads and limits nesting, so no input is known to make
/// it panic. The guard stays so that a panic in a later version fails one database instead of
/// unwinding through the caller. The default panic hook still prints the message. A stack
/// overflow cannot be caught at all, so the reader's depth limit is what prevents one.
fn guard<T>(call: impl FnOnce() -> T) -> Result<T, ()> {
    catch_unwind(AssertUnwindSafe(call)).map_err(|_| ())
}

/// The search tree's shape, from the metadata.
struct TreeLayout {
    node_count: usize,
    record_size: u16,
}

impl TreeLayout {
    fn of(metadata: &maxminddb::Metadata) -> TreeLayout {
        TreeLayout { node_count: metadata.node_count as usize, record_size: metadata.record_size }
    }

    /// Checks that every record points to a node, to "no data", or inside the data section.
    ///
    /// The reader has already checked that the record size is 24, 28 or 32 bits and that the
    /// tree and the 16-byte separator end before the metadata marker at `marker_at`.
    fn validate(&self, bytes: &[u8], marker_at: usize) -> Result<(), String> {
        let node_bytes = usize::from(self.record_size) / 4;
        let tree_bytes = self.node_count.saturating_mul(node_bytes);
        let data_start = tree_bytes.saturating_add(16);
        let data_len = marker_at.saturating_sub(data_start);

        let tree = bytes.get(..tree_bytes).unwrap_or_default();
        for (node, chunk) in tree.chunks_exact(node_bytes).enumerate() {
            for record in self.records(chunk) {
                let valid = record <= self.node_count
                    || (record >= self.node_count + 16 && record - self.node_count - 16 < data_len);
                if !valid {
                    return Err(format!("node {node} has the invalid record {record}"));
                }
            }
        }
        Ok(())
    }

    /// Splits one node into its left and right records.
    fn records(&self, node: &[u8]) -> [usize; 2] {
        let be = |bytes: &[u8]| bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        match (self.record_size, node) {
            (24, [a, b, c, d, e, f]) => [be(&[*a, *b, *c]), be(&[*d, *e, *f])],
            (28, [a, b, c, middle, e, f, g]) => {
                [be(&[middle >> 4, *a, *b, *c]), be(&[middle & 0x0f, *e, *f, *g])]
            }
            (32, [a, b, c, d, e, f, g, h]) => [be(&[*a, *b, *c, *d]), be(&[*e, *f, *g, *h])],
            _ => [0, 0],
        }
    }
}

/// Returns the English name of a place, when the database has one.
fn english_name(place: Option<&Place<'_>>) -> Option<String> {
    place?.names.as_ref()?.get("en").map(|name| (*name).to_owned())
}

fn info_from_record(record: Record<'_>) -> Option<AsnInfo> {
    let country_place = record.country.as_ref().or(record.registered_country.as_ref());
    let country = country_place.and_then(|place| place.iso_code).map(str::to_owned);
    let country_name = english_name(country_place);
    let city = english_name(record.city.as_ref());
    let subdivision = record.subdivisions.as_ref().and_then(|all| all.first());
    let state = english_name(subdivision)
        .or_else(|| subdivision.and_then(|place| place.iso_code).map(str::to_owned));
    let coordinates = record.location.as_ref().and_then(|point| {
        let (latitude, longitude) = (point.latitude?, point.longitude?);
        let valid = (-90.0..=90.0).contains(&latitude) && (-180.0..=180.0).contains(&longitude);
        valid.then_some(Coordinates { latitude, longitude })
    });
    let asn = record.autonomous_system_number.unwrap_or(0);
    if asn == 0 && country.is_none() {
        return None;
    }
    Some(AsnInfo {
        asn,
        organization: record.autonomous_system_organization.unwrap_or_default().into(),
        country: country.map(Str::from),
        carrier: record.isp.map(Str::from),
        city: city.map(Str::from),
        country_name: country_name.map(Str::from),
        state: state.map(Str::from),
        coordinates,
    })
}
