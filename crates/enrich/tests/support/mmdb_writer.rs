//! A minimal MaxMind DB (`.mmdb`) writer for tests, so that the reader runs on real files.
//!
//! The format (MaxMind DB 2.0): a binary search tree over address bits with 24-bit records,
//! 16 zero bytes, a data section of typed values, then the marker `\xAB\xCD\xEFMaxMind.com`
//! followed by a metadata map. A record below `node_count` points to a node, `node_count`
//! itself means "no data", and a larger value points into the data section at
//! `value - node_count - 16`.

use std::net::IpAddr;

/// A value in the MaxMind DB data format.
#[derive(Debug, Clone)]
pub enum Data {
    Str(String),
    U16(u16),
    U32(u32),
    U64(u64),
    F64(f64),
    Map(Vec<(String, Data)>),
    Array(Vec<Data>),
    /// A pointer to the value at this offset in the data section (or, inside the metadata, in
    /// the metadata section).
    Pointer(u32),
}

impl Data {
    pub fn map(pairs: &[(&str, Data)]) -> Data {
        Data::Map(pairs.iter().map(|(key, value)| ((*key).to_owned(), value.clone())).collect())
    }

    pub fn str(text: &str) -> Data {
        Data::Str(text.to_owned())
    }
}

const TYPE_POINTER: u8 = 1;
const TYPE_STRING: u8 = 2;
const TYPE_DOUBLE: u8 = 3;
const TYPE_UINT16: u8 = 5;
const TYPE_UINT32: u8 = 6;
const TYPE_MAP: u8 = 7;
const TYPE_UINT64: u8 = 9;
const TYPE_ARRAY: u8 = 11;

fn write_control(out: &mut Vec<u8>, type_number: u8, size: usize) {
    let (size_bits, extra): (u8, Vec<u8>) = if size < 29 {
        (size as u8, Vec::new())
    } else if size < 29 + 256 {
        (29, vec![(size - 29) as u8])
    } else if size < 285 + 65_536 {
        (30, ((size - 285) as u16).to_be_bytes().to_vec())
    } else {
        (31, ((size - 65_821) as u32).to_be_bytes()[1..].to_vec())
    };
    if type_number <= 7 {
        out.push((type_number << 5) | size_bits);
    } else {
        out.push(size_bits);
        out.push(type_number - 7);
    }
    out.extend(extra);
}

fn write_uint(out: &mut Vec<u8>, type_number: u8, value: u64) {
    let bytes = value.to_be_bytes();
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    write_control(out, type_number, bytes.len() - first);
    out.extend(&bytes[first..]);
}

/// Writes a pointer in the smallest of its four sizes (1 to 4 bytes after the control byte,
/// chosen by the control byte's size bits). The 2- and 3-byte forms store the offset minus
/// 2048 and minus 526,336.
fn write_pointer(out: &mut Vec<u8>, offset: u32) {
    let control = TYPE_POINTER << 5;
    if offset < 2048 {
        out.push(control | (offset >> 8) as u8);
        out.push(offset as u8);
    } else if offset < 526_336 {
        let value = offset - 2048;
        out.push(control | (1 << 3) | (value >> 16) as u8);
        out.extend(&value.to_be_bytes()[2..]);
    } else if offset < 134_744_064 {
        let value = offset - 526_336;
        out.push(control | (2 << 3) | (value >> 24) as u8);
        out.extend(&value.to_be_bytes()[1..]);
    } else {
        out.push(control | (3 << 3));
        out.extend(offset.to_be_bytes());
    }
}

pub fn encode(data: &Data, out: &mut Vec<u8>) {
    match data {
        Data::Pointer(offset) => write_pointer(out, *offset),
        Data::Str(text) => {
            write_control(out, TYPE_STRING, text.len());
            out.extend(text.as_bytes());
        }
        Data::U16(value) => write_uint(out, TYPE_UINT16, u64::from(*value)),
        Data::U32(value) => write_uint(out, TYPE_UINT32, u64::from(*value)),
        Data::U64(value) => write_uint(out, TYPE_UINT64, *value),
        Data::F64(value) => {
            write_control(out, TYPE_DOUBLE, 8);
            out.extend(value.to_be_bytes());
        }
        Data::Map(pairs) => {
            write_control(out, TYPE_MAP, pairs.len());
            for (key, value) in pairs {
                encode(&Data::Str(key.clone()), out);
                encode(value, out);
            }
        }
        Data::Array(items) => {
            write_control(out, TYPE_ARRAY, items.len());
            for item in items {
                encode(item, out);
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Child {
    Empty,
    Node(usize),
    Data(usize),
}

/// Builds a database of networks and their records.
pub struct MmdbWriter {
    ip_version: u16,
    database_type: String,
    networks: Vec<(u128, u8, Data)>,
}

impl MmdbWriter {
    /// An IPv6 tree (which also holds IPv4 under `::/96`) or an IPv4-only tree.
    pub fn new(database_type: &str, ip_version: u16) -> MmdbWriter {
        MmdbWriter { ip_version, database_type: database_type.to_owned(), networks: Vec::new() }
    }

    fn depth(&self) -> u8 {
        if self.ip_version == 6 {
            128
        } else {
            32
        }
    }

    /// Adds a network such as `192.0.2.0/24` or `2001:db8::/32`. Networks must not nest.
    pub fn insert(&mut self, network: &str, data: Data) {
        let (address, prefix) = network.split_once('/').unwrap();
        let prefix: u8 = prefix.parse().unwrap();
        let (bits, prefix) = match address.parse::<IpAddr>().unwrap() {
            IpAddr::V4(v4) if self.ip_version == 6 => (u128::from(u32::from(v4)), prefix + 96),
            IpAddr::V4(v4) => (u128::from(u32::from(v4)), prefix),
            IpAddr::V6(v6) => {
                assert_eq!(self.ip_version, 6, "IPv6 network in an IPv4 tree");
                (u128::from(v6), prefix)
            }
        };
        self.networks.push((bits, prefix, data));
    }

    pub fn build(&self) -> Vec<u8> {
        let depth = self.depth();
        let mut data_section = Vec::new();
        let mut nodes: Vec<[Child; 2]> = vec![[Child::Empty; 2]];

        for (bits, prefix, data) in &self.networks {
            let offset = data_section.len();
            encode(data, &mut data_section);

            let mut node = 0;
            for level in 0..*prefix {
                let bit = ((bits >> (depth - 1 - level)) & 1) as usize;
                if level + 1 == *prefix {
                    nodes[node][bit] = Child::Data(offset);
                    break;
                }
                node = match nodes[node][bit] {
                    Child::Node(next) => next,
                    Child::Empty => {
                        nodes.push([Child::Empty; 2]);
                        let next = nodes.len() - 1;
                        nodes[node][bit] = Child::Node(next);
                        next
                    }
                    Child::Data(_) => panic!("nested networks are not supported"),
                };
            }
        }

        let node_count = nodes.len();
        let record = |child: Child| -> u32 {
            let value = match child {
                Child::Empty => node_count,
                Child::Node(index) => index,
                Child::Data(offset) => node_count + 16 + offset,
            };
            u32::try_from(value).unwrap()
        };

        let mut out = Vec::new();
        for [left, right] in &nodes {
            out.extend(&record(*left).to_be_bytes()[1..]);
            out.extend(&record(*right).to_be_bytes()[1..]);
        }
        out.extend([0u8; 16]);
        out.extend(&data_section);
        out.extend(b"\xab\xcd\xefMaxMind.com");

        let metadata = Data::map(&[
            ("binary_format_major_version", Data::U16(2)),
            ("binary_format_minor_version", Data::U16(0)),
            ("build_epoch", Data::U64(1_700_000_000)),
            ("database_type", Data::str(&self.database_type)),
            ("description", Data::map(&[("en", Data::str("Dragnet test database"))])),
            ("ip_version", Data::U16(self.ip_version)),
            ("languages", Data::Array(vec![Data::str("en")])),
            ("node_count", Data::U32(node_count as u32)),
            ("record_size", Data::U16(24)),
        ]);
        encode(&metadata, &mut out);
        out
    }
}
