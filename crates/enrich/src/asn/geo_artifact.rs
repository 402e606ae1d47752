//! Writing ASN lookups into UDM events as `ip_geo_artifact` elements.
//!
//! Each UDM noun has a repeated `ip_geo_artifact` (UDM `Artifact`) field. Dragnet appends one
//! element per address it can look up:
//! `{ip, network: {asn, organization_name, carrier_name}, location: {country_or_region, state,
//! city, region_coordinates}}`. `network.asn` is a string in the UDM schema, so the number is
//! written in decimal. `country_or_region` contains the English country name when the database
//! has one (MaxMind City and Country databases), because the Google SecOps community rules
//! compare it with names (`= "Russia"`), and the ISO code otherwise. Fields the database does not
//! know are left unset.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::IpAddr;

use udm::{Event, Message, Value};

use super::{AsnDb, AsnInfo};
use crate::lists::{canonical_ip, parse_ip_value};

/// Nouns that hold one `Noun` message.
const SINGLE_NOUNS: [&str; 4] = ["principal", "src", "target", "observer"];
/// Nouns that hold a repeated `Noun`.
const REPEATED_NOUNS: [&str; 2] = ["intermediary", "about"];

/// The fields of an `ip_geo_artifact` element that enrichment can write, as paths under it.
const ARTIFACT_FIELDS: [&[&str]; 8] = [
    &["ip"],
    &["network", "asn"],
    &["network", "organization_name"],
    &["network", "carrier_name"],
    &["location", "country_or_region"],
    &["location", "state"],
    &["location", "city"],
    &["location", "region_coordinates"],
];

/// The nouns that get `ip_geo_artifact` elements and the element fields that are filled: all
/// of them, or only those that some reader of the event reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeoFields {
    /// One bit per noun, in the order of [`SINGLE_NOUNS`] then [`REPEATED_NOUNS`].
    nouns: u8,
    /// One bit per entry of [`ARTIFACT_FIELDS`].
    fields: u8,
}

impl GeoFields {
    /// Every noun and every field.
    pub const ALL: GeoFields = GeoFields { nouns: u8::MAX, fields: u8::MAX };

    /// Returns the nouns and fields whose path from the event root (`["principal",
    /// "ip_geo_artifact", "network", "asn"]`) `reads` accepts. `reads` must accept a path when
    /// anything at or under it is read, so that a reader of a whole noun or element gets
    /// every field.
    pub fn read_by(reads: impl Fn(&[&str]) -> bool) -> GeoFields {
        let mut out = GeoFields { nouns: 0, fields: 0 };
        for (n, noun) in SINGLE_NOUNS.iter().chain(&REPEATED_NOUNS).enumerate() {
            for (f, field) in ARTIFACT_FIELDS.iter().enumerate() {
                let mut path = vec![*noun, "ip_geo_artifact"];
                path.extend_from_slice(field);
                if reads(&path) {
                    out.nouns |= 1 << n;
                    out.fields |= 1 << f;
                }
            }
        }
        out
    }

    fn noun(self, index: usize) -> bool {
        self.nouns & (1 << index) != 0
    }

    fn field(self, index: usize) -> bool {
        self.fields & (1 << index) != 0
    }
}

/// Appends an `ip_geo_artifact` element to each noun for each address in its `ip` and
/// `asset.ip` fields that the database knows, unless the noun already has an element for that
/// address (compared as addresses, so `::ffff:192.0.2.1` and `192.0.2.1` are the same).
pub fn enrich_event(db: &AsnDb, event: &mut Event) {
    enrich_event_fields(db, event, GeoFields::ALL);
}

/// Enriches like [`enrich_event`], but only the nouns and element fields that `geo` keeps. An
/// element whose kept fields the database leaves empty is still added, so that a reader of
/// the kept fields finds the same elements, in the same order, as in a fully enriched event.
pub fn enrich_event_fields(db: &AsnDb, event: &mut Event, geo: GeoFields) {
    if db.is_empty() || geo.nouns == 0 {
        return;
    }
    for (index, name) in SINGLE_NOUNS.iter().chain(&REPEATED_NOUNS).enumerate() {
        if !geo.noun(index) {
            continue;
        }
        match event.root.get_mut(name) {
            Some(Value::Message(noun)) => enrich_noun(db, noun, geo),
            Some(Value::List(nouns)) => {
                for noun in nouns.iter_mut().filter_map(Value::as_message_mut) {
                    enrich_noun(db, noun, geo);
                }
            }
            _ => {}
        }
    }
}

fn enrich_noun(db: &AsnDb, noun: &mut Message, geo: GeoFields) {
    let mut seen = Seen::default();
    let existing = noun.get("ip_geo_artifact").map_or(&[][..], values);
    for ip in existing
        .iter()
        .filter_map(|artifact| artifact.as_message()?.get("ip")?.as_str())
        .filter_map(parse_ip_value)
    {
        seen.insert(canonical_ip(ip));
    }

    let asset_ips = noun.get("asset").and_then(Value::as_message).and_then(|asset| asset.get("ip"));
    let mut found = Vec::new();
    let addresses = [noun.get("ip"), asset_ips].into_iter().flatten().flat_map(values);
    RECENT.with_borrow_mut(|recent| {
        recent.serve(db, geo);
        for address in addresses.filter_map(Value::as_str).map(str::trim) {
            let Some(element) = recent.element(db, geo, address) else { continue };
            if !seen.insert(element.ip) {
                continue;
            }
            if let Some(artifact) = &element.artifact {
                found.push(Value::Message(artifact.clone()));
            }
        }
    });
    if found.is_empty() {
        return;
    }
    match noun.get_mut("ip_geo_artifact") {
        Some(Value::List(items)) => items.extend(found),
        Some(Value::Null) | None => noun.insert_static("ip_geo_artifact", Value::List(found)),
        Some(other) => {
            found.insert(0, std::mem::take(other));
            *other = Value::List(found);
        }
    }
}

/// The addresses that one thread enriched lately, with the element each made, so that an
/// address seen again costs a hash lookup and a copy instead of parsing, a database lookup
/// and building the element. Logs repeat addresses a lot: a user's sign-ins and API calls
/// come from a few.
struct Recent {
    /// The [`AsnDb::id`] and fields of the cached elements.
    db: u64,
    geo: GeoFields,
    elements: HashMap<Box<str>, Option<Element>, foldhash::fast::RandomState>,
}

/// The result of enriching with one address text.
struct Element {
    /// The address, as [`Seen`] compares it.
    ip: IpAddr,
    /// The element to append, or `None` when the database does not know the address.
    artifact: Option<Message>,
}

/// Addresses kept per thread; past it, the cache starts again empty.
const RECENT_LIMIT: usize = 4096;

thread_local! {
    static RECENT: RefCell<Recent> = RefCell::new(Recent {
        db: u64::MAX,
        geo: GeoFields { nouns: 0, fields: 0 },
        elements: HashMap::default(),
    });
}

impl Recent {
    /// Empties the cache unless its elements are of this database and these fields.
    fn serve(&mut self, db: &AsnDb, geo: GeoFields) {
        if self.db != db.id() || self.geo != geo {
            self.elements.clear();
            self.db = db.id();
            self.geo = geo;
        }
    }

    /// Returns the element of an address text, or `None` when the text is not an address.
    fn element(&mut self, db: &AsnDb, geo: GeoFields, address: &str) -> Option<&Element> {
        if !self.elements.contains_key(address) {
            if self.elements.len() >= RECENT_LIMIT {
                self.elements.clear();
            }
            let element = parse_ip_value(address).map(|ip| Element {
                ip: canonical_ip(ip),
                artifact: db.lookup(ip).map(|info| artifact(address, &info, geo)),
            });
            self.elements.insert(address.into(), element);
        }
        self.elements.get(address)?.as_ref()
    }
}

/// The addresses of a noun seen so far. Nouns hold a few addresses, so the first ones sit in
/// an array, and a search of them is faster than hashing.
#[derive(Default)]
struct Seen {
    first: [Option<IpAddr>; 4],
    more: Vec<IpAddr>,
}

impl Seen {
    /// Adds an address, and returns false when it was seen already.
    fn insert(&mut self, ip: IpAddr) -> bool {
        if self.first.contains(&Some(ip)) || self.more.contains(&ip) {
            return false;
        }
        match self.first.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => *slot = Some(ip),
            None => self.more.push(ip),
        }
        true
    }
}

/// The elements of a repeated field, or the value itself for a single one.
fn values(value: &Value) -> &[Value] {
    match value {
        Value::List(items) => items,
        other => std::slice::from_ref(other),
    }
}

fn artifact(address: &str, info: &AsnInfo, geo: GeoFields) -> Message {
    let mut artifact = Message::with_capacity(3);
    if geo.field(0) {
        artifact.insert_static("ip", Value::from(address));
    }

    // `new` allocates nothing for a part that gets no field, which is common: an ASN table
    // has no location, and the rules read few fields.
    let mut network = Message::new();
    if info.asn != 0 && geo.field(1) {
        network.insert_static("asn", Value::from(info.asn.to_string()));
    }
    if !info.organization.is_empty() && geo.field(2) {
        network.insert_static("organization_name", Value::String(info.organization.clone()));
    }
    if let Some(carrier) = info.carrier.as_ref().filter(|_| geo.field(3)) {
        network.insert_static("carrier_name", Value::String(carrier.clone()));
    }
    if !network.is_empty() {
        artifact.insert_static("network", Value::Message(network));
    }

    let mut location = Message::new();
    let country = info.country_name.as_ref().or(info.country.as_ref());
    if let Some(country) = country.filter(|_| geo.field(4)) {
        location.insert_static("country_or_region", Value::String(country.clone()));
    }
    if let Some(state) = info.state.as_ref().filter(|_| geo.field(5)) {
        location.insert_static("state", Value::String(state.clone()));
    }
    if let Some(city) = info.city.as_ref().filter(|_| geo.field(6)) {
        location.insert_static("city", Value::String(city.clone()));
    }
    if let Some(point) = info.coordinates.filter(|_| geo.field(7)) {
        let mut coordinates = Message::with_capacity(2);
        coordinates.insert_static("latitude", Value::Float(point.latitude));
        coordinates.insert_static("longitude", Value::Float(point.longitude));
        location.insert_static("region_coordinates", Value::Message(coordinates));
    }
    if !location.is_empty() {
        artifact.insert_static("location", Value::Message(location));
    }
    artifact
}
