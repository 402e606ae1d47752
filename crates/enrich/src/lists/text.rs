//! Splitting reference list text into entries: comments, escapes and trimming.
//!
//! The rules are those of Google SecOps reference lists:
//! - one entry per line, blank lines ignored;
//! - `//` starts a comment anywhere on a line, unless one of its slashes is escaped;
//! - a backslash escapes the next character to itself, so `\/\/` is `//`. In REGEX lists only
//!   `\/` is rewritten to `/`; any other escape is kept as it is, because it is a regex escape;
//! - entries are trimmed of surrounding whitespace, but an escaped whitespace character is kept.
//!
//! Dragnet also skips a `/* ... */` block that opens on the first non-blank line, because
//! published list files often start with a licence header in that form. A block comment
//! anywhere else is read as entries.

use super::ListKind;

/// One entry of a list with the 1-based line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawEntry {
    pub line: usize,
    pub text: String,
}

/// Splits list text into entries, in file order.
pub(crate) fn split_entries(text: &str, kind: ListKind) -> Vec<RawEntry> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut entries = Vec::new();
    let mut header = HeaderState::BeforeFirstLine;

    for (index, line) in text.lines().enumerate() {
        if header.skips(line) {
            continue;
        }
        if let Some(entry) = parse_line(line, kind) {
            entries.push(RawEntry { line: index + 1, text: entry });
        }
    }
    entries
}

/// Tracks the optional `/* ... */` header at the top of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderState {
    BeforeFirstLine,
    InHeader,
    Done,
}

impl HeaderState {
    /// Whether `line` belongs to the header block, updating the state.
    fn skips(&mut self, line: &str) -> bool {
        let trimmed = line.trim();
        match *self {
            HeaderState::Done => false,
            HeaderState::BeforeFirstLine => {
                if trimmed.is_empty() {
                    return true;
                }
                if let Some(rest) = trimmed.strip_prefix("/*") {
                    *self =
                        if rest.contains("*/") { HeaderState::Done } else { HeaderState::InHeader };
                    return true;
                }
                *self = HeaderState::Done;
                false
            }
            HeaderState::InHeader => {
                if trimmed.contains("*/") {
                    *self = HeaderState::Done;
                }
                true
            }
        }
    }
}

/// Applies comment, escape and trim rules to one line. Returns `None` for a line with no entry.
fn parse_line(line: &str, kind: ListKind) -> Option<String> {
    // Each character with a flag telling whether an escape protected it from trimming.
    let mut chars: Vec<(char, bool)> = Vec::with_capacity(line.len());
    let mut iter = line.chars().peekable();

    while let Some(c) = iter.next() {
        match c {
            '\\' => match iter.next() {
                Some(next) => push_escape(&mut chars, next, kind),
                // A backslash at the end of the line has nothing to escape and stays as it is.
                None => chars.push(('\\', true)),
            },
            '/' if iter.peek() == Some(&'/') => break,
            _ => chars.push((c, false)),
        }
    }

    let is_trimmable = |&(c, escaped): &(char, bool)| !escaped && c.is_whitespace();
    let start = chars.iter().position(|item| !is_trimmable(item))?;
    let end = chars.iter().rposition(|item| !is_trimmable(item))?;
    let kept = chars.get(start..=end)?;
    Some(kept.iter().map(|&(c, _)| c).collect())
}

fn push_escape(chars: &mut Vec<(char, bool)>, escaped: char, kind: ListKind) {
    match kind {
        ListKind::Regex if escaped != '/' => {
            chars.push(('\\', true));
            chars.push((escaped, true));
        }
        _ => chars.push((escaped, true)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str, kind: ListKind) -> Vec<String> {
        split_entries(text, kind).into_iter().map(|e| e.text).collect()
    }

    #[test]
    fn comment_anywhere_on_line() {
        assert_eq!(
            texts("alpha // note\n// whole line\nbeta//x", ListKind::String),
            ["alpha", "beta"]
        );
    }

    #[test]
    fn string_escapes_map_to_themselves() {
        let entries = texts(r"https:\/\/example.com\/a // c", ListKind::String);
        assert_eq!(entries, ["https://example.com/a"]);
        assert_eq!(texts(r"a\\b", ListKind::String), [r"a\b"]);
        assert_eq!(texts(r"temp\rot.exe", ListKind::String), ["temprot.exe"]);
    }

    #[test]
    fn regex_keeps_regex_escapes() {
        assert_eq!(
            texts(r"^https:\/\/[a-z]+\.example\.com\/ // c", ListKind::Regex),
            [r"^https://[a-z]+\.example\.com/"]
        );
        assert_eq!(texts(r"temp\rot\.exe", ListKind::Regex), [r"temp\rot\.exe"]);
    }

    #[test]
    fn trimming_keeps_escaped_whitespace() {
        assert_eq!(texts("  padded  \t", ListKind::String), ["padded"]);
        assert_eq!(texts(r"  a\  ", ListKind::String), ["a "]);
        assert_eq!(texts(r"\ a", ListKind::String), [" a"]);
    }

    #[test]
    fn blank_and_comment_lines_skipped_with_line_numbers() {
        let entries = split_entries("\n  \n// c\nfirst\r\n\nsecond\n", ListKind::String);
        let lines: Vec<usize> = entries.iter().map(|e| e.line).collect();
        assert_eq!(lines, [4, 6]);
        assert_eq!(entries[0].text, "first");
    }

    #[test]
    fn trailing_backslash_kept() {
        assert_eq!(texts(r"dir\", ListKind::String), [r"dir\"]);
    }

    #[test]
    fn leading_block_header_skipped() {
        let text = "\n/*\n * Licence text\n */\n// note\nentry\n/* later */\n";
        assert_eq!(texts(text, ListKind::String), ["entry", "/* later */"]);
        assert_eq!(texts("/* one line */\nentry", ListKind::String), ["entry"]);
    }

    #[test]
    fn byte_order_mark_removed() {
        assert_eq!(texts("\u{feff}first\nsecond", ListKind::String), ["first", "second"]);
    }

    #[test]
    fn single_slash_is_not_comment() {
        assert_eq!(texts("10.0.0.0/8 // corp", ListKind::Cidr), ["10.0.0.0/8"]);
        assert_eq!(texts(r"a\//b", ListKind::String), ["a//b"]);
    }
}
