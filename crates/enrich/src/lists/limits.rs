//! Size limits for reference lists, checked as warnings.
//!
//! Google SecOps rejects reference lists above these sizes. Dragnet loads larger lists anyway
//! and reports a warning, so that a list that works here is known not to fit in SecOps.

use super::{ListError, ListKind};

/// Size limits per list type. `None` disables a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListLimits {
    /// Maximum size of a STRING list in bytes. SecOps: 6 MB.
    pub string_max_bytes: Option<usize>,
    /// Maximum characters in one line of a STRING list. SecOps: 5000.
    pub string_max_line_chars: Option<usize>,
    /// Maximum size of a REGEX list in bytes. SecOps: 0.1 MB.
    pub regex_max_bytes: Option<usize>,
    /// Maximum entries in a REGEX list. SecOps: 100.
    pub regex_max_entries: Option<usize>,
    /// Maximum characters in one line of a REGEX list. SecOps: 5000.
    pub regex_max_line_chars: Option<usize>,
    /// Maximum size of a CIDR list in bytes. SecOps: 0.1 MB.
    pub cidr_max_bytes: Option<usize>,
    /// Maximum entries in a CIDR list. SecOps: 150.
    pub cidr_max_entries: Option<usize>,
}

impl Default for ListLimits {
    /// The Google SecOps limits.
    // NOTE: "MB" is read as 10^6 bytes; the SecOps documentation does not say which unit it
    // means.
    fn default() -> ListLimits {
        ListLimits {
            string_max_bytes: Some(6_000_000),
            string_max_line_chars: Some(5000),
            regex_max_bytes: Some(100_000),
            regex_max_entries: Some(100),
            regex_max_line_chars: Some(5000),
            cidr_max_bytes: Some(100_000),
            cidr_max_entries: Some(150),
        }
    }
}

impl ListLimits {
    /// No limits at all.
    pub fn unlimited() -> ListLimits {
        ListLimits {
            string_max_bytes: None,
            string_max_line_chars: None,
            regex_max_bytes: None,
            regex_max_entries: None,
            regex_max_line_chars: None,
            cidr_max_bytes: None,
            cidr_max_entries: None,
        }
    }

    /// Checks a list's text and entry count, returning one warning per exceeded limit. Only the
    /// first over-long line is reported, so a huge file does not flood the output.
    pub(crate) fn check(
        &self,
        kind: ListKind,
        text: &str,
        entries: usize,
        origin: &str,
    ) -> Vec<ListError> {
        let (max_bytes, max_entries, max_line_chars) = match kind {
            ListKind::String => (self.string_max_bytes, None, self.string_max_line_chars),
            ListKind::Regex => {
                (self.regex_max_bytes, self.regex_max_entries, self.regex_max_line_chars)
            }
            ListKind::Cidr => (self.cidr_max_bytes, self.cidr_max_entries, None),
        };

        let mut warnings = Vec::new();
        let warn = |what, actual, limit, line| ListError::LimitExceeded {
            origin: origin.to_owned(),
            line,
            what,
            actual,
            limit,
        };

        if let Some(limit) = max_bytes.filter(|&limit| text.len() > limit) {
            warnings.push(warn("size in bytes", text.len(), limit, None));
        }
        if let Some(limit) = max_entries.filter(|&limit| entries > limit) {
            warnings.push(warn("number of entries", entries, limit, None));
        }
        if let Some(limit) = max_line_chars {
            let long_line = text
                .lines()
                .enumerate()
                .map(|(index, line)| (index + 1, line.chars().count()))
                .find(|&(_, chars)| chars > limit);
            if let Some((line, chars)) = long_line {
                warnings.push(warn("line length in characters", chars, limit, Some(line)));
            }
        }
        warnings
    }
}
