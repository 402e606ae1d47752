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

use std::net::IpAddr;

use udm::{Event, Message, Value};

use super::{AsnDb, AsnInfo};
use crate::lists::{canonical_ip, parse_ip_value};

/// Nouns that hold one `Noun` message.
const SINGLE_NOUNS: [&str; 4] = ["principal", "src", "target", "observer"];
/// Nouns that hold a repeated `Noun`.
const REPEATED_NOUNS: [&str; 2] = ["intermediary", "about"];

/// Appends an `ip_geo_artifact` element to each noun for each address in its `ip` and
/// `asset.ip` fields that the database knows, unless the noun already has an element for that
/// address (compared as addresses, so `::ffff:192.0.2.1` and `192.0.2.1` are the same).
pub fn enrich_event(db: &AsnDb, event: &mut Event) {
    if db.is_empty() {
        return;
    }
    for name in SINGLE_NOUNS.iter().chain(&REPEATED_NOUNS) {
        match event.root.get_mut(name) {
            Some(Value::Message(noun)) => enrich_noun(db, noun),
            Some(Value::List(nouns)) => {
                for noun in nouns.iter_mut().filter_map(Value::as_message_mut) {
                    enrich_noun(db, noun);
                }
            }
            _ => {}
        }
    }
}

fn enrich_noun(db: &AsnDb, noun: &mut Message) {
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
    for address in addresses.filter_map(Value::as_str).map(str::trim) {
        let Some(ip) = parse_ip_value(address) else { continue };
        if !seen.insert(canonical_ip(ip)) {
            continue;
        }
        if let Some(info) = db.lookup(ip) {
            found.push(Value::Message(artifact(address, &info)));
        }
    }
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

fn artifact(address: &str, info: &AsnInfo) -> Message {
    let mut artifact = Message::with_capacity(3);
    artifact.insert_static("ip", Value::from(address));

    let mut network = Message::with_capacity(3);
    if info.asn != 0 {
        network.insert_static("asn", Value::from(info.asn.to_string()));
    }
    if !info.organization.is_empty() {
        network.insert_static("organization_name", Value::String(info.organization.clone()));
    }
    if let Some(carrier) = &info.carrier {
        network.insert_static("carrier_name", Value::String(carrier.clone()));
    }
    if !network.is_empty() {
        artifact.insert_static("network", Value::Message(network));
    }

    let mut location = Message::with_capacity(4);
    if let Some(country) = info.country_name.as_ref().or(info.country.as_ref()) {
        location.insert_static("country_or_region", Value::String(country.clone()));
    }
    if let Some(state) = &info.state {
        location.insert_static("state", Value::String(state.clone()));
    }
    if let Some(city) = &info.city {
        location.insert_static("city", Value::String(city.clone()));
    }
    if let Some(point) = info.coordinates {
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
