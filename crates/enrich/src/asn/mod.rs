//! IP-to-ASN lookup (`--asn-db FILE`), from an iptoasn-style TSV or a MaxMind `.mmdb` file.
//!
//! - [`table`]: the TSV format and its sorted range table.
//! - [`mmdb`]: MaxMind DB files through the `maxminddb` crate.
//! - [`error`]: [`AsnError`], every problem loading reports.
//! - [`geo_artifact`]: [`enrich_event`], which writes lookups into UDM events.

pub mod error;
pub mod geo_artifact;
mod mmdb;
mod table;

use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

pub use error::AsnError;
use mmdb::{MmdbSource, METADATA_MARKER};
use table::RangeTable;

use crate::lists::parse_ip_value;
use udm::Str;

/// What a database knows about one address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AsnInfo {
    /// The autonomous system number; 0 when the database holds only a location for the
    /// address (a City or Country database).
    pub asn: u32,
    /// The AS organisation (iptoasn `AS_description`, MaxMind `autonomous_system_organization`),
    /// or `""` when unknown.
    pub organization: Str,
    /// ISO 3166-1 alpha-2 country code, when known.
    pub country: Option<Str>,
    /// The ISP name (MaxMind ISP databases only).
    pub carrier: Option<Str>,
    /// The city's English name (MaxMind City databases only).
    pub city: Option<Str>,
    /// The country's English name (MaxMind City and Country databases only).
    pub country_name: Option<Str>,
    /// The first subdivision (state, province) in English, or its ISO code when the database
    /// has no name (MaxMind City databases only).
    pub state: Option<Str>,
    /// The approximate location of the address (MaxMind City databases only).
    pub coordinates: Option<Coordinates>,
}

/// A latitude and longitude in degrees.
///
/// Equality and hashing compare the exact bits, so that [`AsnInfo`] can be a map key.
#[derive(Debug, Clone, Copy)]
pub struct Coordinates {
    /// Degrees north of the equator.
    pub latitude: f64,
    /// Degrees east of Greenwich.
    pub longitude: f64,
}

impl PartialEq for Coordinates {
    fn eq(&self, other: &Coordinates) -> bool {
        self.latitude.to_bits() == other.latitude.to_bits()
            && self.longitude.to_bits() == other.longitude.to_bits()
    }
}

impl Eq for Coordinates {}

impl std::hash::Hash for Coordinates {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.latitude.to_bits().hash(state);
        self.longitude.to_bits().hash(state);
    }
}

/// An IP-to-ASN database: one or more sources consulted in order.
///
/// Several sources let an ASN database and a City database work together: a lookup takes the
/// AS fields from the first source that has an AS number and each location field from the
/// first source that has it.
#[derive(Debug)]
pub struct AsnDb {
    sources: Vec<Source>,
    /// Differs between any two databases, and changes when the sources do, so that a cache of
    /// lookups can tell which database they came from.
    id: u64,
}

impl Default for AsnDb {
    fn default() -> AsnDb {
        AsnDb { sources: Vec::new(), id: next_id() }
    }
}

/// Returns the next process-wide sequence number for [`AsnDb::id`].
fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[derive(Debug)]
enum Source {
    Table(RangeTable),
    Mmdb(Box<MmdbSource>),
}

impl AsnDb {
    /// Creates a database with no sources, in which every lookup fails.
    pub fn new() -> AsnDb {
        AsnDb::default()
    }

    /// Loads a database file. The format is chosen by content: a file with a MaxMind DB
    /// metadata section is read as `.mmdb`, any other file as iptoasn TSV.
    ///
    /// Fails when the file cannot be read, is a corrupt `.mmdb`, or has no valid TSV line at
    /// all. Invalid TSV lines are returned beside the database, which holds every valid line.
    pub fn load(path: impl AsRef<Path>) -> Result<(AsnDb, Vec<AsnError>), AsnError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|source| AsnError::Io { path: path.to_path_buf(), source })?;
        AsnDb::from_bytes(bytes, &path.display().to_string())
    }

    /// Reads a database from memory, choosing the format by content as [`AsnDb::load`] does.
    pub fn from_bytes(bytes: Vec<u8>, origin: &str) -> Result<(AsnDb, Vec<AsnError>), AsnError> {
        if memchr::memmem::rfind(&bytes, METADATA_MARKER).is_some() {
            return AsnDb::from_mmdb(bytes, origin).map(|db| (db, Vec::new()));
        }
        let text = String::from_utf8_lossy(&bytes);
        let (db, problems) = AsnDb::from_tsv(&text, origin);
        let has_ranges = db.sources.iter().any(|source| match source {
            Source::Table(table) => table.len() > 0,
            Source::Mmdb(_) => true,
        });
        if !has_ranges && (!problems.is_empty() || bytes.contains(&0)) {
            return Err(AsnError::UnknownFormat { origin: origin.to_owned() });
        }
        Ok((db, problems))
    }

    /// Parses iptoasn-style TSV; see [`table`] for the format. `origin` names the text's
    /// source in the returned problems.
    pub fn from_tsv(text: &str, origin: &str) -> (AsnDb, Vec<AsnError>) {
        let (table, problems) = RangeTable::from_tsv(text, origin);
        (AsnDb { sources: vec![Source::Table(table)], id: next_id() }, problems)
    }

    /// Opens a MaxMind DB held in memory.
    pub fn from_mmdb(bytes: Vec<u8>, origin: &str) -> Result<AsnDb, AsnError> {
        let source = MmdbSource::open(bytes, origin)?;
        Ok(AsnDb { sources: vec![Source::Mmdb(Box::new(source))], id: next_id() })
    }

    /// Appends the sources of `other`, which are consulted after this database's own.
    pub fn extend(&mut self, other: AsnDb) {
        self.sources.extend(other.sources);
        self.id = next_id();
    }

    /// Returns the number that identifies the database and its current sources.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Whether there is no source.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Describes the sources, for a start-up summary: `TSV (1234 ranges)`, `GeoLite2-ASN`.
    pub fn describe(&self) -> Vec<String> {
        self.sources
            .iter()
            .map(|source| match source {
                Source::Table(table) => format!("TSV ({} ranges)", table.len()),
                Source::Mmdb(mmdb) => mmdb.database_type().to_owned(),
            })
            .collect()
    }

    /// Looks up an address. An IPv4-mapped IPv6 address is looked up as IPv4.
    pub fn lookup(&self, ip: IpAddr) -> Option<AsnInfo> {
        let mut merged: Option<AsnInfo> = None;
        for source in &self.sources {
            let found = match source {
                Source::Table(table) => table.lookup(ip).cloned(),
                Source::Mmdb(mmdb) => mmdb.lookup(ip),
            };
            let Some(found) = found else { continue };
            match merged.as_mut() {
                None => merged = Some(found),
                Some(merged) => fill_missing(merged, found),
            }
        }
        merged
    }

    /// Looks up an address written as text, with surrounding whitespace and square brackets
    /// ignored. Returns `None` for text that is not an IP address.
    pub fn lookup_str(&self, value: &str) -> Option<AsnInfo> {
        self.lookup(parse_ip_value(value)?)
    }
}

fn fill_missing(merged: &mut AsnInfo, found: AsnInfo) {
    if merged.asn == 0 && found.asn != 0 {
        merged.asn = found.asn;
        merged.organization = found.organization;
        merged.carrier = found.carrier;
    }
    if merged.country.is_none() {
        merged.country = found.country;
    }
    if merged.city.is_none() {
        merged.city = found.city;
    }
    if merged.country_name.is_none() {
        merged.country_name = found.country_name;
    }
    if merged.state.is_none() {
        merged.state = found.state;
    }
    if merged.coordinates.is_none() {
        merged.coordinates = found.coordinates;
    }
}
