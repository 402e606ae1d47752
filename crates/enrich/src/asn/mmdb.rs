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

/// The bytes that start a MaxMind DB metadata section, near the end of every `.mmdb` file.
pub(crate) const METADATA_MARKER: &[u8] = b"\xab\xcd\xefMaxMind.com";

/// An open MaxMind database.
pub(crate) struct MmdbSource {
    reader: Reader<Vec<u8>>,
    origin: String,
    /// Set once a lookup panicked inside the reader, so the corrupt file is not read again.
    broken: AtomicBool,
}

impl std::fmt::Debug for MmdbSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MmdbSource")
            .field("origin", &self.origin)
            .field("database_type", &self.reader.metadata.database_type)
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
    /// The `maxminddb` reader (0.24) indexes the file without bounds checks, so the metadata
    /// and every search tree record are checked against the file size here, and every call
    /// into the reader is guarded against panics. A corrupt file can still make the reader
    /// panic (the panic is caught, but the default hook prints its message).
    pub fn open(bytes: Vec<u8>, origin: &str) -> Result<MmdbSource, AsnError> {
        let invalid = |reason: String| AsnError::InvalidMmdb { origin: origin.to_owned(), reason };
        let marker_at = memchr::memmem::rfind(&bytes, METADATA_MARKER)
            .ok_or_else(|| invalid("no MaxMind DB metadata section".to_owned()))?;

        let layout = catch_unwind(AssertUnwindSafe(|| {
            Reader::from_source(bytes.as_slice()).map(|reader| TreeLayout::of(&reader.metadata))
        }))
        .map_err(|_| invalid("the metadata section is corrupt".to_owned()))?
        .map_err(|error| invalid(error.to_string()))?;
        layout.validate(&bytes, marker_at).map_err(invalid)?;

        let reader = catch_unwind(AssertUnwindSafe(|| Reader::from_source(bytes)))
            .map_err(|_| invalid("the metadata section is corrupt".to_owned()))?
            .map_err(|error| invalid(error.to_string()))?;
        Ok(MmdbSource { reader, origin: origin.to_owned(), broken: AtomicBool::new(false) })
    }

    /// The database type from the metadata, for example `GeoLite2-ASN`.
    pub fn database_type(&self) -> &str {
        &self.reader.metadata.database_type
    }

    /// Looks up an address. Returns `None` when the database has no record for it, or no AS
    /// number and no country in the record.
    pub fn lookup(&self, ip: IpAddr) -> Option<AsnInfo> {
        let ip = canonical_ip(ip);
        // An IPv4 database walks only 32 bits, so an IPv6 address would land on an unrelated
        // IPv4 record.
        if ip.is_ipv6() && self.reader.metadata.ip_version == 4 {
            return None;
        }
        if self.broken.load(Ordering::Relaxed) {
            return None;
        }

        let decoded = catch_unwind(AssertUnwindSafe(|| {
            self.reader.lookup::<Record<'_>>(ip).ok().map(info_from_record)
        }));
        match decoded {
            Ok(info) => info.flatten(),
            Err(_) => {
                self.broken.store(true, Ordering::Relaxed);
                None
            }
        }
    }
}

/// The search tree's shape, from the metadata.
struct TreeLayout {
    node_count: usize,
    record_size: u16,
    ip_version: u16,
}

impl TreeLayout {
    fn of(metadata: &maxminddb::Metadata) -> TreeLayout {
        TreeLayout {
            node_count: metadata.node_count as usize,
            record_size: metadata.record_size,
            ip_version: metadata.ip_version,
        }
    }

    /// Checks that the tree fits before the metadata and that every record points to a node,
    /// to "no data", or inside the data section.
    fn validate(&self, bytes: &[u8], marker_at: usize) -> Result<(), String> {
        if ![24, 28, 32].contains(&self.record_size) {
            return Err(format!("unsupported record size {}", self.record_size));
        }
        if ![4, 6].contains(&self.ip_version) {
            return Err(format!("unsupported IP version {}", self.ip_version));
        }
        let node_bytes = usize::from(self.record_size) / 4;
        let tree_bytes = self.node_count.saturating_mul(node_bytes);
        let data_start = tree_bytes.saturating_add(16);
        if data_start > marker_at {
            return Err(format!(
                "the search tree of {} nodes is larger than the file",
                self.node_count
            ));
        }
        let data_len = marker_at - data_start;

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
        organization: record.autonomous_system_organization.unwrap_or_default().to_owned(),
        country,
        carrier: record.isp.map(str::to_owned),
        city,
        country_name,
        state,
        coordinates,
    })
}
