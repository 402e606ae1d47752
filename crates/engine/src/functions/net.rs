//! `net.*`: IP address functions, and `ip_to_asn` backed by the ASN database.

use std::net::IpAddr;

use udm::Value;

use super::arg_text;
use crate::context::Context;

/// Parses an IP address, reading an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) as IPv4.
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    let ip: IpAddr = text.trim().parse().ok()?;
    Some(canonical(ip))
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// A parsed CIDR range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n` or `x::y/n`; a bare address is a single-host range. An IPv4-mapped
    /// IPv6 range (`::ffff:10.0.0.0/104`) becomes the IPv4 range it maps.
    pub(crate) fn parse(text: &str) -> Option<Cidr> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (text, None),
        };
        let ip: IpAddr = addr.parse().ok()?;
        match ip {
            IpAddr::V4(_) => {
                let prefix = prefix.unwrap_or(32);
                (prefix <= 32).then_some(Cidr { network: ip, prefix })
            }
            IpAddr::V6(v6) => {
                let prefix = prefix.unwrap_or(128);
                if prefix > 128 {
                    return None;
                }
                match v6.to_ipv4_mapped() {
                    Some(v4) if prefix >= 96 => {
                        Some(Cidr { network: IpAddr::V4(v4), prefix: prefix - 96 })
                    }
                    _ => Some(Cidr { network: ip, prefix }),
                }
            }
        }
    }

    /// Whether the range contains an address.
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = mask_v4(self.prefix);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = mask_v6(self.prefix);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

fn mask_v4(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

fn mask_v6(prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix))
    }
}

/// `net.ip_in_range_cidr(ip, cidr)`: false for an invalid address or range.
pub(super) fn ip_in_range_cidr(args: &[Value]) -> Value {
    let found = match (parse_ip(&arg_text(args, 0)), Cidr::parse(&arg_text(args, 1))) {
        (Some(ip), Some(cidr)) => cidr.contains(ip),
        _ => false,
    };
    Value::Bool(found)
}

/// `ip_to_asn(ip)`: the ASN of the address as a decimal string, or `""` when the address is
/// invalid, the database has no entry, or no ASN database is loaded.
pub(super) fn ip_to_asn(args: &[Value], ctx: &Context) -> Value {
    let Some(db) = &ctx.asn else {
        return Value::from("");
    };
    let Some(ip) = parse_ip(&arg_text(args, 0)) else {
        return Value::from("");
    };
    match db.lookup(ip) {
        Some(info) => Value::from(info.asn.to_string()),
        None => Value::from(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_range(ip: &str, cidr: &str) -> bool {
        ip_in_range_cidr(&[Value::from(ip), Value::from(cidr)]) == Value::Bool(true)
    }

    #[test]
    fn ipv4_ranges() {
        assert!(in_range("10.1.2.3", "10.0.0.0/8"));
        assert!(!in_range("11.1.2.3", "10.0.0.0/8"));
        assert!(in_range("192.0.2.7", "0.0.0.0/0"));
        assert!(in_range("192.0.2.7", "192.0.2.7"));
    }

    #[test]
    fn ipv6_ranges() {
        assert!(in_range("2001:db8::1", "2001:db8::/32"));
        assert!(!in_range("2001:db9::1", "2001:db8::/32"));
        assert!(!in_range("10.0.0.1", "2001:db8::/32"));
    }

    #[test]
    fn ipv4_mapped_addresses() {
        assert!(in_range("::ffff:10.1.2.3", "10.0.0.0/8"));
        assert!(in_range("10.1.2.3", "::ffff:10.0.0.0/104"));
        assert!(!in_range("::ffff:11.1.2.3", "10.0.0.0/8"));
    }

    #[test]
    fn invalid_input_is_false() {
        assert!(!in_range("not-an-ip", "10.0.0.0/8"));
        assert!(!in_range("10.0.0.1", "10.0.0.0/33"));
        assert!(!in_range("", ""));
    }
}
