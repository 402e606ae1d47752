//! CIDR range sets: parsing CIDR list entries and testing addresses against them.

use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// A set of IPv4 and IPv6 ranges, kept as sorted, merged, inclusive intervals so that a lookup
/// is one binary search.
#[derive(Debug, Clone, Default)]
pub(crate) struct IpRangeSet {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl IpRangeSet {
    /// Builds the set from networks. Overlapping and adjacent ranges are merged.
    pub fn new(networks: &[IpNet]) -> IpRangeSet {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for network in networks {
            match network {
                IpNet::V4(net) => v4.push((u32::from(net.network()), u32::from(net.broadcast()))),
                IpNet::V6(net) => v6.push((u128::from(net.network()), u128::from(net.broadcast()))),
            }
        }
        IpRangeSet { v4: merge(v4), v6: merge(v6) }
    }

    /// Whether the address is in any range. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is
    /// tested as the IPv4 address it carries.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match canonical_ip(ip) {
            IpAddr::V4(v4) => contains(&self.v4, u32::from(v4)),
            IpAddr::V6(v6) => contains(&self.v6, u128::from(v6)),
        }
    }
}

fn merge<T: Ord + Copy + Successor>(mut ranges: Vec<(T, T)>) -> Vec<(T, T)> {
    ranges.sort_unstable();
    let mut merged: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1.saturating_next() => {
                if end > last.1 {
                    last.1 = end;
                }
            }
            _ => merged.push((start, end)),
        }
    }
    merged
}

fn contains<T: Ord + Copy>(ranges: &[(T, T)], value: T) -> bool {
    // The first range that starts after `value`; the one before it is the only candidate.
    let after = ranges.partition_point(|&(start, _)| start <= value);
    match after.checked_sub(1).and_then(|at| ranges.get(at)) {
        Some(&(_, end)) => value <= end,
        None => false,
    }
}

/// The successor of a range end, saturating at the maximum, for merging adjacent ranges.
trait Successor {
    fn saturating_next(self) -> Self;
}

impl Successor for u32 {
    fn saturating_next(self) -> u32 {
        self.saturating_add(1)
    }
}

impl Successor for u128 {
    fn saturating_next(self) -> u128 {
        self.saturating_add(1)
    }
}

/// Returns the IPv4 address inside an IPv4-mapped IPv6 address, and any other address as it is.
pub(crate) fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Parses an address as it appears in event data: surrounding whitespace and one pair of square
/// brackets (`[2001:db8::1]`) are removed. Returns `None` for anything that is not an address.
pub(crate) fn parse_ip_value(value: &str) -> Option<IpAddr> {
    let trimmed = value.trim();
    let unbracketed = trimmed
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .map(str::trim)
        .unwrap_or(trimmed);
    unbracketed.parse().ok()
}

/// Parses a CIDR list entry: a range (`192.0.2.0/24`, `2001:db8::/32`) or a bare address, which
/// means a /32 or /128. Host bits below the prefix are cleared, so `192.0.2.7/24` is
/// `192.0.2.0/24`. An IPv4-mapped IPv6 range of prefix 96 or more becomes the IPv4 range it
/// maps, so that it matches the same addresses as the IPv4 form.
pub(crate) fn parse_cidr_entry(entry: &str) -> Result<IpNet, String> {
    let network = match entry.split_once('/') {
        Some((address, prefix)) => parse_range(address.trim(), prefix.trim())?,
        None => match parse_ip_value(entry) {
            Some(IpAddr::V4(v4)) => IpNet::V4(Ipv4Net::from(v4)),
            Some(IpAddr::V6(v6)) => IpNet::V6(Ipv6Net::from(v6)),
            None => return Err("not an IP address or CIDR range".to_owned()),
        },
    };
    Ok(unmap_network(network.trunc()))
}

fn parse_range(address: &str, prefix: &str) -> Result<IpNet, String> {
    let Some(ip) = parse_ip_value(address) else {
        return Err(format!("{address:?} is not an IP address"));
    };
    let Ok(length) = prefix.parse::<u8>() else {
        return Err(format!("{prefix:?} is not a prefix length"));
    };
    let network = match ip {
        IpAddr::V4(v4) => Ipv4Net::new(v4, length).map(IpNet::V4),
        IpAddr::V6(v6) => Ipv6Net::new(v6, length).map(IpNet::V6),
    };
    network.map_err(|_| {
        let max = if ip.is_ipv4() { 32 } else { 128 };
        format!("prefix length {length} is above {max}")
    })
}

fn unmap_network(network: IpNet) -> IpNet {
    let IpNet::V6(v6) = network else { return network };
    let Some(v4) = v6.network().to_ipv4_mapped() else { return network };
    if v6.prefix_len() < 96 {
        return network;
    }
    match Ipv4Net::new(v4, v6.prefix_len() - 96) {
        Ok(v4_network) => IpNet::V4(v4_network),
        Err(_) => network,
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    /// The lowest and highest address of the IPv4 and IPv6 spaces.
    const EDGES: [IpAddr; 4] = [
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V4(Ipv4Addr::BROADCAST),
        IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        IpAddr::V6(Ipv6Addr::new(0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff)),
    ];

    fn set(entries: &[&str]) -> IpRangeSet {
        let networks: Vec<IpNet> = entries.iter().map(|e| parse_cidr_entry(e).unwrap()).collect();
        IpRangeSet::new(&networks)
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv4_range_bounds() {
        let ranges = set(&["192.0.2.0/24"]);
        assert!(ranges.contains(ip("192.0.2.0")));
        assert!(ranges.contains(ip("192.0.2.255")));
        assert!(!ranges.contains(ip("192.0.3.0")));
        assert!(!ranges.contains(ip("192.0.1.255")));
    }

    #[test]
    fn bare_address_is_single_host() {
        let ranges = set(&["198.51.100.7", "2001:db8::1"]);
        assert!(ranges.contains(ip("198.51.100.7")));
        assert!(!ranges.contains(ip("198.51.100.8")));
        assert!(ranges.contains(ip("2001:db8::1")));
        assert!(!ranges.contains(ip("2001:db8::2")));
    }

    #[test]
    fn ipv6_range() {
        let ranges = set(&["2001:db8::/32"]);
        assert!(ranges.contains(ip("2001:db8:ffff::1")));
        assert!(!ranges.contains(ip("2001:db9::")));
        assert!(!ranges.contains(ip("192.0.2.1")));
    }

    #[test]
    fn mapped_address_matches_ipv4_range() {
        let ranges = set(&["192.0.2.0/24"]);
        assert!(ranges.contains(ip("::ffff:192.0.2.1")));
        assert!(!ranges.contains(ip("::ffff:192.0.3.1")));
    }

    #[test]
    fn mapped_range_matches_ipv4_address() {
        let ranges = set(&["::ffff:192.0.2.0/120"]);
        assert!(ranges.contains(ip("192.0.2.9")));
        assert!(ranges.contains(ip("::ffff:192.0.2.9")));
        assert!(!ranges.contains(ip("192.0.3.9")));
    }

    #[test]
    fn host_bits_cleared() {
        let ranges = set(&["192.0.2.77/24"]);
        assert!(ranges.contains(ip("192.0.2.1")));
    }

    #[test]
    fn overlapping_and_adjacent_ranges_merged() {
        let ranges = set(&["10.0.0.0/9", "10.128.0.0/9", "10.1.0.0/16", "10.0.0.0/8"]);
        assert_eq!(ranges.v4, [(0x0a00_0000, 0x0aff_ffff)]);
    }

    #[test]
    fn whole_spaces_cover_edges() {
        let ranges = set(&["0.0.0.0/0", "::/0"]);
        for edge in EDGES {
            assert!(ranges.contains(edge), "{edge}");
        }
        assert!(!IpRangeSet::default().contains(EDGES[0]));
    }

    #[test]
    fn invalid_entries_rejected() {
        assert!(parse_cidr_entry("192.0.2.0/33").is_err());
        assert!(parse_cidr_entry("2001:db8::/129").is_err());
        assert!(parse_cidr_entry("192.0.2.0/x").is_err());
        assert!(parse_cidr_entry("example.com").is_err());
        assert!(parse_cidr_entry("192.0.2.256").is_err());
        assert!(parse_cidr_entry("/24").is_err());
    }

    #[test]
    fn value_parsing_strips_brackets_and_space() {
        assert_eq!(parse_ip_value(" [2001:db8::1] "), Some(ip("2001:db8::1")));
        assert_eq!(parse_ip_value("\t192.0.2.1\n"), Some(ip("192.0.2.1")));
        assert_eq!(parse_ip_value("host.example"), None);
        assert_eq!(parse_ip_value(""), None);
        assert_eq!(parse_ip_value("[192.0.2.1"), None);
    }
}
