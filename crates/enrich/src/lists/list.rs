//! One reference list: its entries and the matchers built from them.

/// The sets that `in %list` looks values up in, for every event a rule tests. foldhash with a
/// per-process seed costs a fraction of std's SipHash on such short texts.
type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;
use std::fmt;
use std::sync::OnceLock;

use ipnet::IpNet;

use super::casefold::fold;
use super::cidr::{parse_cidr_entry, parse_ip_value, IpRangeSet};
use super::patterns::{compile_one, PatternSet};
use super::text::{split_entries, RawEntry};
use super::{ListError, ListLimits};

/// The type of a reference list, fixed by its file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListKind {
    /// Exact strings (`NAME.txt`).
    String,
    /// RE2 patterns (`NAME.regex`).
    Regex,
    /// IPv4 and IPv6 CIDR ranges (`NAME.cidr`).
    Cidr,
}

impl ListKind {
    /// Returns the type a file extension selects, ignoring ASCII case.
    pub fn from_extension(extension: &str) -> Option<ListKind> {
        match extension.to_ascii_lowercase().as_str() {
            "txt" => Some(ListKind::String),
            "regex" => Some(ListKind::Regex),
            "cidr" => Some(ListKind::Cidr),
            _ => None,
        }
    }

    /// The file extension of this type, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ListKind::String => "txt",
            ListKind::Regex => "regex",
            ListKind::Cidr => "cidr",
        }
    }
}

impl fmt::Display for ListKind {
    /// Writes the SecOps name of the type: `STRING`, `REGEX` or `CIDR`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ListKind::String => "STRING",
            ListKind::Regex => "REGEX",
            ListKind::Cidr => "CIDR",
        })
    }
}

/// A named reference list with matchers for `in`, `in regex` and `in cidr`.
///
/// Every list supports every test, whatever its type: a STRING list used with `in regex`
/// compiles its entries as patterns, and a list used with `in cidr` parses its entries as
/// ranges. Matchers that the list's own type does not need are built on first use.
#[derive(Debug, Clone)]
pub struct ReferenceList {
    name: String,
    kind: ListKind,
    origin: String,
    /// Entries in file order, after comment removal, unescaping and trimming. Invalid entries
    /// of REGEX and CIDR lists are left out.
    entries: Vec<String>,
    /// The 1-based line of each entry.
    lines: Vec<usize>,
    exact: HashSet<String>,
    folded: OnceLock<HashSet<String>>,
    patterns: OnceLock<PatternSet>,
    patterns_nocase: OnceLock<PatternSet>,
    ranges: OnceLock<IpRangeSet>,
}

impl ReferenceList {
    /// Parses list text with the default [`ListLimits`]. `origin` names the text's source (a
    /// path) in the returned problems. The list holds every valid entry even when there are
    /// problems.
    pub fn from_text(
        name: &str,
        kind: ListKind,
        text: &str,
        origin: &str,
    ) -> (ReferenceList, Vec<ListError>) {
        ReferenceList::from_text_with_limits(name, kind, text, origin, &ListLimits::default())
    }

    /// Parses list text, warning when it is above `limits`.
    pub fn from_text_with_limits(
        name: &str,
        kind: ListKind,
        text: &str,
        origin: &str,
        limits: &ListLimits,
    ) -> (ReferenceList, Vec<ListError>) {
        let raw = split_entries(text, kind);
        let raw_count = raw.len();
        let (list, mut problems) = ReferenceList::from_raw(name, kind, raw, origin);
        problems.extend(limits.check(kind, text, raw_count, origin));
        (list, problems)
    }

    /// Builds a list from entries taken as they are, with no comments or escapes: the cells
    /// of a data-table column, each with its 1-based line. Entries that are empty after
    /// trimming are left out, and invalid patterns and ranges are reported as in list files.
    pub fn from_entries(
        name: &str,
        kind: ListKind,
        entries: impl IntoIterator<Item = (usize, String)>,
        origin: &str,
    ) -> (ReferenceList, Vec<ListError>) {
        let raw = entries
            .into_iter()
            .map(|(line, text)| RawEntry { line, text: text.trim().to_owned() })
            .filter(|entry| !entry.text.is_empty())
            .collect();
        ReferenceList::from_raw(name, kind, raw, origin)
    }

    fn from_raw(
        name: &str,
        kind: ListKind,
        raw: Vec<RawEntry>,
        origin: &str,
    ) -> (ReferenceList, Vec<ListError>) {
        let mut problems = Vec::new();
        let mut ranges = None;
        let valid: Vec<RawEntry> = match kind {
            ListKind::String => raw,
            ListKind::Regex => valid_patterns(raw, origin, &mut problems),
            ListKind::Cidr => {
                let (valid, networks) = valid_ranges(raw, origin, &mut problems);
                ranges = Some(IpRangeSet::new(&networks));
                valid
            }
        };
        let lines = valid.iter().map(|entry| entry.line).collect();
        let entries: Vec<String> = valid.into_iter().map(|entry| entry.text).collect();

        let list = ReferenceList {
            name: name.to_owned(),
            kind,
            origin: origin.to_owned(),
            exact: entries.iter().cloned().collect(),
            entries,
            lines,
            folded: OnceLock::new(),
            patterns: OnceLock::new(),
            patterns_nocase: OnceLock::new(),
            ranges: ranges.map(OnceLock::from).unwrap_or_default(),
        };
        (list, problems)
    }

    /// The list's type.
    pub fn kind(&self) -> ListKind {
        self.kind
    }

    /// The list's name as its file spells it, without extension.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file or other source the list was read from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in file order.
    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    /// Tests `value in %list`: whether an entry equals `value`. With `nocase` the comparison
    /// ignores Unicode case.
    pub fn contains(&self, value: &str, nocase: bool) -> bool {
        if !nocase {
            return self.exact.contains(value);
        }
        let folded = self
            .folded
            .get_or_init(|| self.entries.iter().map(|entry| fold(entry).into_owned()).collect());
        folded.contains(fold(value).as_ref())
    }

    /// Tests `value in regex %list`: whether any entry, read as an unanchored RE2 pattern,
    /// matches somewhere in `value`. With `nocase` the patterns ignore Unicode case.
    ///
    /// Entries that are not valid patterns never match. They are reported when a REGEX list is
    /// loaded, and [`ReferenceList::pattern_errors`] lists them for other types.
    pub fn matches_regex(&self, value: &str, nocase: bool) -> bool {
        let slot = if nocase { &self.patterns_nocase } else { &self.patterns };
        let patterns = slot
            .get_or_init(|| PatternSet::compile(self.entries.iter().map(String::as_str), nocase));
        patterns.is_match(value)
    }

    /// Tests `value in cidr %list`: whether `value` is an IP address inside any entry's range.
    ///
    /// Surrounding whitespace and square brackets are ignored, an IPv4-mapped IPv6 address is
    /// tested as IPv4, and a value that is not an IP address never matches. For a list of
    /// another type, entries that are not ranges or addresses are ignored.
    pub fn contains_ip(&self, value: &str) -> bool {
        let Some(ip) = parse_ip_value(value) else { return false };
        let ranges = self.ranges.get_or_init(|| {
            let networks: Vec<IpNet> =
                self.entries.iter().filter_map(|entry| parse_cidr_entry(entry).ok()).collect();
            IpRangeSet::new(&networks)
        });
        ranges.contains(ip)
    }

    /// Lists the entries that are not valid patterns. A REGEX list has none, because loading
    /// leaves them out; for another type they are the entries `in regex` ignores.
    pub fn pattern_errors(&self) -> Vec<ListError> {
        self.entries
            .iter()
            .zip(&self.lines)
            .filter_map(|(entry, &line)| {
                let error = compile_one(entry, false).err()?;
                Some(ListError::InvalidRegex {
                    origin: self.origin.clone(),
                    line,
                    entry: entry.clone(),
                    reason: regex_reason(&error),
                })
            })
            .collect()
    }
}

fn valid_patterns(
    raw: Vec<RawEntry>,
    origin: &str,
    problems: &mut Vec<ListError>,
) -> Vec<RawEntry> {
    let mut valid = Vec::with_capacity(raw.len());
    for entry in raw {
        match compile_one(&entry.text, false) {
            Ok(_) => valid.push(entry),
            Err(error) => problems.push(ListError::InvalidRegex {
                origin: origin.to_owned(),
                line: entry.line,
                entry: entry.text,
                reason: regex_reason(&error),
            }),
        }
    }
    valid
}

fn valid_ranges(
    raw: Vec<RawEntry>,
    origin: &str,
    problems: &mut Vec<ListError>,
) -> (Vec<RawEntry>, Vec<IpNet>) {
    let mut valid = Vec::with_capacity(raw.len());
    let mut networks = Vec::with_capacity(raw.len());
    for entry in raw {
        match parse_cidr_entry(&entry.text) {
            Ok(network) => {
                networks.push(network);
                valid.push(entry);
            }
            Err(reason) => problems.push(ListError::InvalidCidr {
                origin: origin.to_owned(),
                line: entry.line,
                entry: entry.text,
                reason,
            }),
        }
    }
    (valid, networks)
}

/// Turns a regex error into a one-line reason. A syntax error's text spans several lines (the
/// pattern, a caret line and `error: ...`), which would break the one-line warnings that list
/// problems print as.
fn regex_reason(error: &regex::Error) -> String {
    let text = error.to_string();
    match text.lines().find_map(|line| line.strip_prefix("error: ")) {
        Some(reason) => reason.to_owned(),
        None => text.lines().map(str::trim).collect::<Vec<_>>().join(" "),
    }
}
