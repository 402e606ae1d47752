//! Cleans IP address fields: strips brackets and ports, splits comma-separated chains, and
//! rejects values that are not addresses.

use std::net::IpAddr;

/// Returns the address in `raw` in canonical form, or `None` when it is not an IP address.
///
/// Accepts `a.b.c.d`, `a.b.c.d:port`, `[v6]`, `[v6]:port`, `[a.b.c.d]:port` and bare IPv6,
/// with or without an IPv6 zone (`%eth0`), which is dropped.
/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) come back as IPv4 so that IPv4 CIDR lists
/// match them.
pub(crate) fn clean(raw: &str) -> Option<String> {
    let s = raw.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("null") {
        return None;
    }
    let host = if let Some(rest) = s.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        if !(after.is_empty() || is_port_suffix(after)) {
            return None;
        }
        inner
    } else if s.parse::<IpAddr>().is_ok() {
        s
    } else {
        match s.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') && is_port_suffix(&format!(":{port}")) => {
                host
            }
            _ => s,
        }
    };
    // An IPv6 zone (`fe80::1%eth0`, `%25eth0` in URLs) names the sender's interface, not
    // part of the address.
    let host = match host.split_once('%') {
        Some((address, zone)) if address.contains(':') && !zone.is_empty() => address,
        _ => host,
    };
    let address: IpAddr = host.parse().ok()?;
    let address = match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    Some(address.to_string())
}

fn is_port_suffix(s: &str) -> bool {
    s.strip_prefix(':')
        .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok())
}

/// Splits a comma-separated chain (`"a, b"`, as proxies write it) and cleans each part.
///
/// Returns the addresses and whether any part was not an address.
pub(crate) fn clean_chain(raw: &str) -> (Vec<String>, bool) {
    let mut addresses = Vec::new();
    let mut rejected = false;
    for part in raw.split(',') {
        let part = part.trim();
        if part.is_empty() || part.eq_ignore_ascii_case("null") {
            continue;
        }
        match clean(part) {
            Some(a) if !addresses.contains(&a) => addresses.push(a),
            Some(_) => {}
            None => rejected = true,
        }
    }
    (addresses, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_strips_brackets_and_ports() {
        let cases = [
            ("10.11.12.13", Some("10.11.12.13")),
            ("10.11.12.13:12345", Some("10.11.12.13")),
            ("[10.11.12.13]", Some("10.11.12.13")),
            ("[10.11.12.13]:12345", Some("10.11.12.13")),
            ("::ffff:10.11.12.13", Some("10.11.12.13")),
            ("[::ffff:10.11.12.13]:12345", Some("10.11.12.13")),
            ("2001:db8::abcd", Some("2001:db8::abcd")),
            ("[2001:db8::abcd]", Some("2001:db8::abcd")),
            ("[2001:db8::abcd]:12345", Some("2001:db8::abcd")),
            (" 192.0.2.1 ", Some("192.0.2.1")),
            ("fe80::1%eth0", Some("fe80::1")),
            ("[fe80::1%25eth0]:443", Some("fe80::1")),
            ("[FE80::AB%3]", Some("fe80::ab")),
            ("192.0.2.1:65535", Some("192.0.2.1")),
        ];
        for (raw, expected) in cases {
            assert_eq!(clean(raw).as_deref(), expected, "input {raw:?}");
        }
    }

    #[test]
    fn clean_rejects_non_addresses() {
        for raw in [
            "",
            "null",
            "NULL",
            "localhost",
            "localhost:12345",
            "[localhost]:12345",
            "cool.client.local",
            "10.900.0.1",
            "Salesforce.com IP",
            "[10.1.1.1]x",
            "10.1.1.1:port",
            "NOTANIPV4 (10.9000.0.1)",
            "192.0.2.1:65536",
            "192.0.2.1%eth0",
            "fe80::1%",
            "[fe80::1]:99999",
        ] {
            assert_eq!(clean(raw), None, "input {raw:?}");
        }
    }

    #[test]
    fn clean_chain_splits_and_dedupes() {
        let (addresses, rejected) = clean_chain("203.0.113.5, 10.0.0.1:443,203.0.113.5");
        assert_eq!(addresses, vec!["203.0.113.5".to_owned(), "10.0.0.1".to_owned()]);
        assert!(!rejected);
        let (addresses, rejected) = clean_chain("Salesforce.com IP");
        assert!(addresses.is_empty());
        assert!(rejected);
    }
}
