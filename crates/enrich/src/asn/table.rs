//! An in-memory table of IP ranges and their autonomous systems, read from iptoasn-style TSV.
//!
//! Each line is `range_start<TAB>range_end<TAB>AS_number<TAB>country_code<TAB>AS_description`.
//! Start and end are inclusive IPv4 or IPv6 addresses, or IPv4 addresses as decimal integers
//! (the `ip2asn-v4-u32` variant). AS number 0 marks an unrouted range and is left out, so a
//! lookup there finds nothing. Lines starting with `#` and blank lines are skipped.

use std::collections::HashMap;
use std::net::IpAddr;

use super::{AsnError, AsnInfo};
use crate::lists::canonical_ip;
use udm::Str;

/// Problems reported one by one before the rest are only counted.
const MAX_LISTED_PROBLEMS: usize = 100;

/// Disjoint inclusive ranges sorted by start, each pointing into `records`.
#[derive(Debug, Clone, Default)]
pub(crate) struct RangeTable {
    v4: Vec<Range<u32>>,
    v6: Vec<Range<u128>>,
    /// Distinct AS records; many ranges share one.
    records: Vec<AsnInfo>,
}

#[derive(Debug, Clone, Copy)]
struct Range<T> {
    start: T,
    end: T,
    record: usize,
    line: usize,
}

/// A parsed range before it is placed in the table.
enum Span {
    V4(u32, u32),
    V6(u128, u128),
}

impl RangeTable {
    /// Parses TSV text. Every valid line is loaded, and each invalid or overlapping line is
    /// reported (the first hundred one by one, the rest as a count).
    pub fn from_tsv(text: &str, origin: &str) -> (RangeTable, Vec<AsnError>) {
        let mut problems = Problems { origin, listed: Vec::new(), unlisted: 0 };
        let mut table = RangeTable::default();
        let mut record_ids: HashMap<AsnInfo, usize> = HashMap::new();

        for (index, line) in text.lines().enumerate() {
            let line_number = index + 1;
            let line = line.strip_prefix('\u{feff}').unwrap_or(line);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (span, info) = match parse_line(line) {
                Ok(Some(parsed)) => parsed,
                Ok(None) => continue,
                Err(_) if line_number == 1 && is_header(line) => continue,
                Err(reason) => {
                    problems.push(AsnError::InvalidLine {
                        origin: origin.to_owned(),
                        line: line_number,
                        reason,
                    });
                    continue;
                }
            };

            let next_id = table.records.len();
            let record = *record_ids.entry(info.clone()).or_insert(next_id);
            if record == next_id {
                table.records.push(info);
            }
            match span {
                Span::V4(start, end) => {
                    table.v4.push(Range { start, end, record, line: line_number })
                }
                Span::V6(start, end) => {
                    table.v6.push(Range { start, end, record, line: line_number })
                }
            }
        }

        table.v4 = disjoint(std::mem::take(&mut table.v4), &mut problems);
        table.v6 = disjoint(std::mem::take(&mut table.v6), &mut problems);
        (table, problems.finish())
    }

    /// Number of ranges.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// Returns the AS whose range contains `ip`.
    pub fn lookup(&self, ip: IpAddr) -> Option<&AsnInfo> {
        let record = match canonical_ip(ip) {
            IpAddr::V4(v4) => find(&self.v4, u32::from(v4))?,
            IpAddr::V6(v6) => find(&self.v6, u128::from(v6))?,
        };
        self.records.get(record)
    }
}

struct Problems<'a> {
    origin: &'a str,
    listed: Vec<AsnError>,
    unlisted: usize,
}

impl Problems<'_> {
    fn push(&mut self, problem: AsnError) {
        if self.listed.len() < MAX_LISTED_PROBLEMS {
            self.listed.push(problem);
        } else {
            self.unlisted += 1;
        }
    }

    fn finish(mut self) -> Vec<AsnError> {
        if self.unlisted > 0 {
            self.listed.push(AsnError::MoreProblems {
                origin: self.origin.to_owned(),
                count: self.unlisted,
            });
        }
        self.listed
    }
}

/// Sorts ranges by start and drops each range that overlaps the one kept before it.
fn disjoint<T: Ord + Copy>(mut ranges: Vec<Range<T>>, problems: &mut Problems) -> Vec<Range<T>> {
    ranges.sort_by_key(|range| (range.start, range.line));
    let mut kept: Vec<Range<T>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        if let Some(last) = kept.last() {
            if range.start <= last.end {
                problems.push(AsnError::OverlappingRange {
                    origin: problems.origin.to_owned(),
                    line: range.line,
                    earlier_line: last.line,
                });
                continue;
            }
        }
        kept.push(range);
    }
    kept
}

fn find<T: Ord + Copy>(ranges: &[Range<T>], value: T) -> Option<usize> {
    let after = ranges.partition_point(|range| range.start <= value);
    let candidate = ranges.get(after.checked_sub(1)?)?;
    (value <= candidate.end).then_some(candidate.record)
}

/// Parses one data line. Returns `None` for an unrouted range (AS number 0).
fn parse_line(line: &str) -> Result<Option<(Span, AsnInfo)>, String> {
    let mut fields = line.splitn(5, '\t');
    let start = fields.next().unwrap_or_default().trim();
    let end = fields
        .next()
        .map(str::trim)
        .ok_or("missing range_end (expected 5 tab-separated fields)")?;
    let asn = fields
        .next()
        .map(str::trim)
        .ok_or("missing AS_number (expected 5 tab-separated fields)")?;
    let country = fields.next().map(str::trim).unwrap_or_default();
    let description = fields.next().map(str::trim).unwrap_or_default();

    let span = parse_span(start, end)?;
    let asn = parse_asn(asn)?;
    if asn == 0 {
        return Ok(None);
    }
    let info = AsnInfo {
        asn,
        organization: description.into(),
        country: parse_country(country),
        carrier: None,
        city: None,
        country_name: None,
        state: None,
        coordinates: None,
    };
    Ok(Some((span, info)))
}

fn parse_span(start: &str, end: &str) -> Result<Span, String> {
    let span = match (parse_address(start)?, parse_address(end)?) {
        (IpAddr::V4(start), IpAddr::V4(end)) => Span::V4(u32::from(start), u32::from(end)),
        (IpAddr::V6(start), IpAddr::V6(end)) => Span::V6(u128::from(start), u128::from(end)),
        _ => return Err(format!("range {start} - {end} mixes IPv4 and IPv6")),
    };
    let ordered = match span {
        Span::V4(start, end) => start <= end,
        Span::V6(start, end) => start <= end,
    };
    if !ordered {
        return Err(format!("range_start {start} is after range_end {end}"));
    }
    Ok(span)
}

/// Parses an address, or a decimal integer as an IPv4 address. IPv4-mapped IPv6 addresses
/// become IPv4, so that mapped rows and IPv4 rows share one table.
fn parse_address(text: &str) -> Result<IpAddr, String> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(canonical_ip(ip));
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(number) = text.parse::<u32>() {
            return Ok(IpAddr::V4(number.into()));
        }
    }
    Err(format!("{text:?} is not an IP address"))
}

fn parse_asn(text: &str) -> Result<u32, String> {
    let digits = text.strip_prefix("AS").or_else(|| text.strip_prefix("as")).unwrap_or(text);
    digits.parse().map_err(|_| format!("AS_number {text:?} is not a number from 0 to 4294967295"))
}

/// Reads a country code; iptoasn writes `None` or `Unknown` where it has none.
fn parse_country(text: &str) -> Option<Str> {
    match text {
        "" | "-" | "None" | "Unknown" => None,
        code => Some(code.into()),
    }
}

/// Whether a first line that failed to parse is a column header rather than data.
fn is_header(line: &str) -> bool {
    let first = line.split('\t').next().unwrap_or_default().to_ascii_lowercase();
    first.contains("start") || first.contains("range") || first.contains("ip")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn lookup_inside_and_outside() {
        let text = "1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n\
                    1.0.4.0\t1.0.7.255\t38803\tAU\tGTELECOM\n";
        let (table, problems) = RangeTable::from_tsv(text, "t.tsv");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(table.lookup(ip("1.0.0.7")).map(|i| i.asn), Some(13335));
        assert_eq!(table.lookup(ip("1.0.7.255")).map(|i| i.asn), Some(38803));
        assert_eq!(table.lookup(ip("1.0.1.0")), None);
        assert_eq!(table.lookup(ip("0.255.255.255")), None);
        assert_eq!(table.lookup(ip("1.0.8.0")), None);
    }

    #[test]
    fn unrouted_rows_left_out() {
        let (table, problems) =
            RangeTable::from_tsv("1.0.1.0\t1.0.3.255\t0\tNone\tNot routed\n", "t");
        assert!(problems.is_empty());
        assert_eq!(table.len(), 0);
        assert_eq!(table.lookup(ip("1.0.2.0")), None);
    }

    #[test]
    fn decimal_ipv4_rows() {
        let (table, problems) = RangeTable::from_tsv("16777216\t16777471\t13335\tUS\tCF\n", "t");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(table.lookup(ip("1.0.0.1")).map(|i| i.asn), Some(13335));
    }

    #[test]
    fn records_shared_between_ranges() {
        let text = "1.0.0.0\t1.0.0.255\t13335\tUS\tCF\n2.0.0.0\t2.0.0.255\t13335\tUS\tCF\n";
        let (table, _) = RangeTable::from_tsv(text, "t");
        assert_eq!(table.len(), 2);
        assert_eq!(table.records.len(), 1);
    }

    #[test]
    fn header_line_skipped() {
        let text = "range_start\trange_end\tAS_number\tcountry_code\tAS_description\n\
                    1.0.0.0\t1.0.0.255\t13335\tUS\tCF\n";
        let (table, problems) = RangeTable::from_tsv(text, "t");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn many_problems_counted() {
        let text = "bad\n".repeat(150);
        let (_, problems) = RangeTable::from_tsv(&text, "t");
        assert_eq!(problems.len(), 101);
        assert!(matches!(problems.last(), Some(AsnError::MoreProblems { count: 50, .. })));
    }
}
