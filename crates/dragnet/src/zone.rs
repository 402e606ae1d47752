//! `--tz ZONE`: the time zone in which tables, summaries and reports show times.
//!
//! JSON output always stays in UTC; only text meant for people is shifted.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, Offset, Utc};

/// A display time zone: UTC, an IANA name, or a fixed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DisplayZone {
    /// Coordinated Universal Time, the default.
    #[default]
    Utc,
    /// An IANA time zone such as `Europe/Berlin`.
    Named(chrono_tz::Tz),
    /// A fixed offset such as `+05:30`.
    Fixed(FixedOffset),
}

impl FromStr for DisplayZone {
    type Err = String;

    /// Parses `UTC`, `Z`, `GMT`, an IANA name, or an offset written `+H`, `+HH`, `+HH:MM` or
    /// `+HHMM` (with `+` or `-`).
    fn from_str(text: &str) -> Result<DisplayZone, String> {
        let text = text.trim();
        if ["utc", "z", "gmt"].contains(&text.to_ascii_lowercase().as_str()) {
            return Ok(DisplayZone::Utc);
        }
        if let Some(rest) = text.strip_prefix(['+', '-']) {
            let sign = if text.starts_with('-') { -1 } else { 1 };
            let (hours, minutes) = match rest.split_once(':') {
                Some((h, m)) => (h, m),
                None if rest.len() == 4 => rest.split_at(2),
                None => (rest, "0"),
            };
            let number = |s: &str| -> Option<i32> {
                let valid = !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
                if valid {
                    s.parse().ok()
                } else {
                    None
                }
            };
            let offset = match (number(hours), number(minutes)) {
                (Some(h), Some(m)) if h <= 23 && m <= 59 => {
                    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
                }
                _ => None,
            };
            return offset.map(DisplayZone::Fixed).ok_or_else(|| {
                format!("invalid offset {text:?}; write it as +HH:MM or -HH:MM, for example +05:30")
            });
        }
        text.parse::<chrono_tz::Tz>().map(DisplayZone::Named).map_err(|_| {
            format!(
                "unknown time zone {text:?}; use UTC, an IANA name such as Europe/Berlin, or an \
                 offset such as +05:30"
            )
        })
    }
}

impl fmt::Display for DisplayZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisplayZone::Utc => f.write_str("UTC"),
            DisplayZone::Named(tz) => f.write_str(tz.name()),
            DisplayZone::Fixed(offset) => write!(f, "{offset}"),
        }
    }
}

impl DisplayZone {
    /// Shifts a UTC time into the zone.
    pub fn local(&self, time: DateTime<Utc>) -> DateTime<FixedOffset> {
        match self {
            DisplayZone::Utc => time.with_timezone(&Utc.fix()),
            DisplayZone::Named(tz) => {
                let local = time.with_timezone(tz);
                local.with_timezone(&local.offset().fix())
            }
            DisplayZone::Fixed(offset) => time.with_timezone(offset),
        }
    }

    /// Formats an RFC 3339 UTC time as `YYYY-MM-DD HH:MM:SS` in the zone; text that is not a
    /// time is returned unchanged.
    pub fn format(&self, rfc3339: &str) -> String {
        match DateTime::parse_from_rfc3339(rfc3339) {
            Ok(time) => {
                self.local(time.with_timezone(&Utc)).format("%Y-%m-%d %H:%M:%S").to_string()
            }
            Err(_) => rfc3339.to_owned(),
        }
    }

    /// Formats a window as `start – end`, leaving out the end's date when it is the same day,
    /// and the end altogether when it equals the start.
    pub fn format_window(&self, start: &str, end: &str) -> String {
        let (start_text, end_text) = (self.format(start), self.format(end));
        if start_text == end_text {
            return start_text;
        }
        match (start_text.split_once(' '), end_text.split_once(' ')) {
            (Some((start_day, _)), Some((end_day, end_clock))) if start_day == end_day => {
                format!("{start_text} – {end_clock}")
            }
            _ => format!("{start_text} – {end_text}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_offsets() {
        assert_eq!("utc".parse::<DisplayZone>(), Ok(DisplayZone::Utc));
        assert!(matches!("Europe/Berlin".parse(), Ok(DisplayZone::Named(_))));
        let plus = FixedOffset::east_opt(5 * 3600 + 1800).map(DisplayZone::Fixed);
        assert_eq!("+05:30".parse().ok(), plus);
        assert_eq!("+0530".parse().ok(), plus);
        let minus = FixedOffset::west_opt(8 * 3600).map(DisplayZone::Fixed);
        assert_eq!("-8".parse().ok(), minus);
    }

    #[test]
    fn rejects_unknown_zones() {
        assert!("PST".parse::<DisplayZone>().is_err());
        assert!("+25:00".parse::<DisplayZone>().is_err());
        assert!("Mars/Olympus".parse::<DisplayZone>().is_err());
    }

    #[test]
    fn formats_in_zone() {
        let berlin: DisplayZone = "Europe/Berlin".parse().unwrap_or_default();
        assert_eq!(berlin.format("2025-06-10T13:42:00Z"), "2025-06-10 15:42:00");
        assert_eq!(berlin.format("2025-01-10T13:42:00Z"), "2025-01-10 14:42:00");
        let offset: DisplayZone = "-03:30".parse().unwrap_or_default();
        assert_eq!(offset.format("2025-06-10T01:00:00Z"), "2025-06-09 21:30:00");
    }

    #[test]
    fn window_drops_repeated_date() {
        let utc = DisplayZone::Utc;
        let same_day = utc.format_window("2025-06-10T13:42:00Z", "2025-06-10T14:12:00Z");
        assert_eq!(same_day, "2025-06-10 13:42:00 – 14:12:00");
        let instant = utc.format_window("2025-06-10T13:42:00Z", "2025-06-10T13:42:00Z");
        assert_eq!(instant, "2025-06-10 13:42:00");
        let overnight = utc.format_window("2025-06-10T23:50:00Z", "2025-06-11T00:20:00Z");
        assert_eq!(overnight, "2025-06-10 23:50:00 – 2025-06-11 00:20:00");
    }
}
