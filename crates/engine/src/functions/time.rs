//! `timestamp.*`: calendar functions over Unix seconds, in a time zone.
//!
//! A time zone argument is an IANA name (`"America/Los_Angeles"`) or a fixed offset written
//! `(+|-)H[H][:M[M]]`; the default is `"GMT"`. Abbreviations such as `"PST"` are not accepted:
//! an unknown zone makes the function return its zero value.

use chrono::format::{Fixed, Item, StrftimeItems};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use udm::Value;

use super::{arg_text, Func};
use crate::eval::ops;

/// A parsed time zone argument.
#[derive(Debug, Clone, Copy)]
enum Zone {
    Named(chrono_tz::Tz),
    Fixed(FixedOffset),
}

fn parse_zone(text: &str) -> Option<Zone> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("GMT") || text.eq_ignore_ascii_case("UTC") {
        return Some(Zone::Fixed(Utc.fix()));
    }
    if let Some(rest) = text.strip_prefix(['+', '-']) {
        let sign = if text.starts_with('-') { -1 } else { 1 };
        let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
        let valid =
            |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
        if !valid(h) || !valid(m) {
            return None;
        }
        let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
        return FixedOffset::east_opt(sign * (h * 3600 + m * 60)).map(Zone::Fixed);
    }
    text.parse::<chrono_tz::Tz>().ok().map(Zone::Named)
}

/// Whether a time zone argument names a zone: an IANA name, `GMT`/`UTC`, or an offset.
pub(crate) fn is_valid_zone(text: &str) -> bool {
    parse_zone(text).is_some()
}

/// The zone argument at `index`, defaulting to GMT when absent.
fn zone_arg(args: &[Value], index: usize) -> Option<Zone> {
    if args.len() > index {
        parse_zone(&arg_text(args, index))
    } else {
        parse_zone("GMT")
    }
}

/// Converts Unix seconds to the date and time in a zone, with the zone's UTC offset at that
/// instant.
fn zoned(seconds: i64, zone: Zone) -> Option<DateTime<FixedOffset>> {
    let utc = DateTime::<Utc>::from_timestamp(seconds, 0)?;
    Some(match zone {
        Zone::Named(tz) => utc.with_timezone(&tz).fixed_offset(),
        Zone::Fixed(offset) => utc.with_timezone(&offset),
    })
}

/// Returns the local date and time of Unix seconds in a zone.
fn local(seconds: i64, zone: Zone) -> Option<NaiveDateTime> {
    zoned(seconds, zone).map(|time| time.naive_local())
}

fn seconds_arg(args: &[Value]) -> i64 {
    match args.first() {
        Some(Value::Timestamp(t)) => t.seconds,
        Some(v) => match ops::number_or_zero(v) {
            ops::Number::Int(i) => i64::try_from(i).unwrap_or(0),
            ops::Number::Float(f) => f as i64,
        },
        None => 0,
    }
}

/// Formats with a strftime pattern, or `None` when the pattern has an invalid specifier
/// (chrono would fail while printing it).
///
/// `%z` prints the zone's offset from UTC as `+HHMM` or `-HHMM`, as GoogleSQL's format
/// elements define it. `%Z` gives `None`.
// NOTE: GoogleSQL's format-element table (ZetaSQL `docs/format-elements.md`) calls `%Z` "the
// time zone name", with the example `UTC-5`, but does not say what it prints for an IANA
// zone or for UTC. So `%Z` is not guessed at.
fn format(time: &DateTime<FixedOffset>, pattern: &str) -> Option<String> {
    let pattern = expand_googlesql_elements(time, pattern);
    let items: Vec<Item<'_>> = StrftimeItems::new(&pattern).collect();
    let unsupported =
        |item: &Item<'_>| matches!(item, Item::Error | Item::Fixed(Fixed::TimezoneName));
    if items.iter().any(unsupported) {
        return None;
    }
    use std::fmt::Write;
    let mut out = String::new();
    write!(out, "{}", time.format_with_items(items.into_iter())).ok()?;
    Some(out)
}

/// Replaces the GoogleSQL format elements that strftime lacks with their text, leaving every
/// other element for chrono.
///
/// These are `%Q` (quarter, 1-4), `%J` (ISO 8601 day of the ISO year, 001-371), `%Ez` (offset
/// as `+HH:MM`), `%E4Y` (four-digit year), `%E*S` and `%E#S` (seconds with full fractional
/// precision) and `%E<n>S` (seconds with n fractional digits). The input has whole seconds, so
/// full precision prints no fraction and n digits print n zeros.
// NOTE: the GoogleSQL table does not show full precision on a whole second. Printing no
// fraction follows Abseil's `FormatTime`, which GoogleSQL builds on, and is not confirmed.
fn expand_googlesql_elements(time: &DateTime<FixedOffset>, pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let element = &rest[at..];
        let (text, length) = match element.as_bytes().get(1) {
            Some(b'Q') => (Some(((time.month0() / 3) + 1).to_string()), 2),
            Some(b'J') => {
                let week = time.iso_week().week0();
                let day = week * 7 + time.weekday().number_from_monday();
                (Some(format!("{day:03}")), 2)
            }
            Some(b'E') => extended_element(time, element),
            // `%%` and every other element stay as they are; `%%` is skipped whole so that
            // its second `%` does not start an element.
            Some(_) => (None, 1 + element[1..].chars().next().map_or(0, char::len_utf8)),
            None => (None, 1),
        };
        match text {
            Some(text) => out.push_str(&text),
            None => out.push_str(&element[..length]),
        }
        rest = &element[length..];
    }
    out.push_str(rest);
    out
}

/// Reads a `%E...` element at the start of `element`: its text, or `None` to leave it to
/// chrono, and its length in bytes.
fn extended_element(time: &DateTime<FixedOffset>, element: &str) -> (Option<String>, usize) {
    let body = &element[2..];
    if body.starts_with('z') {
        let offset = time.offset().local_minus_utc();
        let sign = if offset < 0 { '-' } else { '+' };
        let minutes = offset.unsigned_abs() / 60;
        return (Some(format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)), 3);
    }
    if body.starts_with("4Y") {
        return (Some(format!("{:04}", time.year())), 4);
    }
    if body.starts_with("*S") || body.starts_with("#S") {
        return (Some(format!("{:02}", time.second())), 4);
    }
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && body[digits..].starts_with('S') {
        if let Ok(places) = body[..digits].parse::<usize>() {
            let fraction = "0".repeat(places.min(MAX_FRACTION_DIGITS));
            return (Some(format!("{:02}.{fraction}", time.second())), 2 + digits + 1);
        }
    }
    // `body` may start with a multi-byte character, so the slice ends on its boundary.
    (None, 2 + body.chars().next().map_or(0, char::len_utf8))
}

/// Maximum number of fractional digits that `%E<n>S` prints. Unix seconds have no finer part,
/// and the cap keeps a hostile pattern such as `%E99999999S` from allocating without bound.
const MAX_FRACTION_DIGITS: usize = 15;

pub(super) fn call(func: Func, args: &[Value]) -> Value {
    match func {
        Func::TimestampCurrentSeconds => Value::Int(Utc::now().timestamp()),
        Func::TimestampAsUnixSeconds => {
            let text = arg_text(args, 0);
            let parsed = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S");
            let (Ok(naive), Some(zone)) = (parsed, zone_arg(args, 1)) else {
                return Value::Int(0);
            };
            let seconds = match zone {
                Zone::Named(tz) => tz.from_local_datetime(&naive).earliest().map(|t| t.timestamp()),
                Zone::Fixed(offset) => {
                    offset.from_local_datetime(&naive).earliest().map(|t| t.timestamp())
                }
            };
            Value::Int(seconds.unwrap_or(0))
        }
        Func::TimestampGetTimestamp => get_timestamp(args),
        _ => {
            let Some(time) = zone_arg(args, 1).and_then(|z| local(seconds_arg(args), z)) else {
                return zero(func);
            };
            match func {
                Func::TimestampGetDate => Value::from(time.format("%Y-%m-%d").to_string()),
                Func::TimestampGetMinute => Value::Int(i64::from(time.minute())),
                Func::TimestampGetHour => Value::Int(i64::from(time.hour())),
                // 1 is Sunday.
                Func::TimestampGetDayOfWeek => {
                    Value::Int(i64::from(time.weekday().num_days_from_sunday()) + 1)
                }
                // Weeks start on Sunday; days before the year's first Sunday are week 0 (`%U`).
                Func::TimestampGetWeek => {
                    let week = (time.ordinal0() + 7 - time.weekday().num_days_from_sunday()) / 7;
                    Value::Int(i64::from(week))
                }
                _ => Value::Null,
            }
        }
    }
}

fn zero(func: Func) -> Value {
    match func {
        Func::TimestampGetDate => Value::from(""),
        _ => Value::Int(0),
    }
}

/// `timestamp.get_timestamp(secs [, format_or_granularity [, tz]])`.
fn get_timestamp(args: &[Value]) -> Value {
    let spec = if args.len() > 1 { arg_text(args, 1).into_owned() } else { "%F %T".to_owned() };
    let Some(time) = zone_arg(args, 2).and_then(|z| zoned(seconds_arg(args), z)) else {
        return Value::from("");
    };
    let pattern = match spec.as_str() {
        "SECOND" => "%Y-%m-%d %H:%M:%S",
        "MINUTE" => "%Y-%m-%d %H:%M",
        "HOUR" => "%Y-%m-%d %H",
        "DATE" => "%Y-%m-%d",
        "MONTH" => "%Y-%m",
        "YEAR" => "%Y",
        "WEEK" => {
            let back = i64::from(time.weekday().num_days_from_sunday());
            let sunday = time.date_naive() - chrono::Duration::days(back);
            return Value::from(sunday.format("%Y-%m-%d").to_string());
        }
        other => other,
    };
    Value::from(format(&time, pattern).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2024-02-22 10:43:51 UTC, a Thursday.
    const T: i64 = 1_708_598_631;

    fn run(func: Func, args: &[Value]) -> Value {
        call(func, args)
    }

    #[test]
    fn as_unix_seconds_parses_in_zone() {
        let utc = run(Func::TimestampAsUnixSeconds, &["2024-02-22 10:43:00".into()]);
        assert_eq!(utc, Value::Int(1_708_598_580));
        let offset =
            run(Func::TimestampAsUnixSeconds, &["2024-02-22 10:43:00".into(), "+01".into()]);
        assert_eq!(offset, Value::Int(1_708_598_580 - 3600));
    }

    #[test]
    fn calendar_parts() {
        assert_eq!(run(Func::TimestampGetDate, &[Value::Int(T)]), Value::from("2024-02-22"));
        assert_eq!(run(Func::TimestampGetHour, &[Value::Int(T)]), Value::Int(10));
        assert_eq!(run(Func::TimestampGetMinute, &[Value::Int(T)]), Value::Int(43));
        assert_eq!(run(Func::TimestampGetDayOfWeek, &[Value::Int(T)]), Value::Int(5));
        assert_eq!(run(Func::TimestampGetWeek, &[Value::Int(T)]), Value::Int(7));
    }

    #[test]
    fn zones_shift_local_time() {
        let la = run(Func::TimestampGetHour, &[Value::Int(T), "America/Los_Angeles".into()]);
        assert_eq!(la, Value::Int(2));
        let fixed = run(Func::TimestampGetHour, &[Value::Int(T), "-08:00".into()]);
        assert_eq!(fixed, Value::Int(2));
        let bad = run(Func::TimestampGetHour, &[Value::Int(T), "PST".into()]);
        assert_eq!(bad, Value::Int(0));
    }

    #[test]
    fn get_timestamp_granularities() {
        let get = |spec: &str| run(Func::TimestampGetTimestamp, &[Value::Int(T), spec.into()]);
        assert_eq!(get("SECOND"), Value::from("2024-02-22 10:43:51"));
        assert_eq!(get("MINUTE"), Value::from("2024-02-22 10:43"));
        assert_eq!(get("HOUR"), Value::from("2024-02-22 10"));
        assert_eq!(get("WEEK"), Value::from("2024-02-18"));
        assert_eq!(get("MONTH"), Value::from("2024-02"));
        assert_eq!(get("YEAR"), Value::from("2024"));
        assert_eq!(get("%Y/%m"), Value::from("2024/02"));
        assert_eq!(get("%Q"), Value::from("1"));
        let default = run(Func::TimestampGetTimestamp, &[Value::Int(T)]);
        assert_eq!(default, Value::from("2024-02-22 10:43:51"));
    }

    #[test]
    fn get_timestamp_utc_offset() {
        let get = |spec: &str, zone: &str| {
            run(Func::TimestampGetTimestamp, &[Value::Int(T), spec.into(), zone.into()])
        };
        let default_zone = run(Func::TimestampGetTimestamp, &[Value::Int(T), "%z".into()]);
        assert_eq!(default_zone, Value::from("+0000"));
        assert_eq!(get("%z", "UTC"), Value::from("+0000"));
        assert_eq!(get("%z", "GMT"), Value::from("+0000"));
        assert_eq!(get("%H:%M %z", "America/Los_Angeles"), Value::from("02:43 -0800"));
        assert_eq!(get("%z", "Asia/Kolkata"), Value::from("+0530"));
        assert_eq!(get("%z", "-08:00"), Value::from("-0800"));
        assert_eq!(get("%z", "+5:45"), Value::from("+0545"));
        assert_eq!(get("%z", "+01"), Value::from("+0100"));
        assert_eq!(get("%%z", "UTC"), Value::from("%z"));
    }

    #[test]
    fn get_timestamp_offset_follows_daylight_saving() {
        // 2024-07-01 12:00:00 UTC, when New York keeps daylight saving time.
        let summer = run(
            Func::TimestampGetTimestamp,
            &[Value::Int(1_719_835_200), "%F %T %z".into(), "America/New_York".into()],
        );
        assert_eq!(summer, Value::from("2024-07-01 08:00:00 -0400"));
        let winter = run(
            Func::TimestampGetTimestamp,
            &[Value::Int(T), "%F %T %z".into(), "America/New_York".into()],
        );
        assert_eq!(winter, Value::from("2024-02-22 05:43:51 -0500"));
    }

    #[test]
    fn get_timestamp_googlesql_elements() {
        let get = |spec: &str, zone: &str| {
            run(Func::TimestampGetTimestamp, &[Value::Int(T), spec.into(), zone.into()])
        };
        assert_eq!(get("%Q", "UTC"), Value::from("1"));
        assert_eq!(get("Q%Q", "UTC"), Value::from("Q1"));
        // 2024-02-22 is the Thursday of ISO week 8: (8 - 1) * 7 + 4.
        assert_eq!(get("%J", "UTC"), Value::from("053"));
        assert_eq!(get("%Ez", "UTC"), Value::from("+00:00"));
        assert_eq!(get("%Ez", "America/Los_Angeles"), Value::from("-08:00"));
        assert_eq!(get("%Ez", "+5:45"), Value::from("+05:45"));
        assert_eq!(get("%E4Y-%m", "UTC"), Value::from("2024-02"));
        assert_eq!(get("%E*S", "UTC"), Value::from("51"));
        assert_eq!(get("%E#S", "UTC"), Value::from("51"));
        assert_eq!(get("%H:%M:%E3S", "UTC"), Value::from("10:43:51.000"));
        assert_eq!(get("%%Q", "UTC"), Value::from("%Q"));
        assert_eq!(get("%%%Q", "UTC"), Value::from("%1"));
        assert_eq!(get("%Ex", "UTC"), Value::from(""));
        assert_eq!(get("%é", "UTC"), Value::from(""));
        assert_eq!(get("%Eé", "UTC"), Value::from(""));
        assert_eq!(get("é%Qé", "UTC"), Value::from("é1é"));
        // 2024-12-30 is the Monday of ISO week 1 of 2025, so its ISO day is 001.
        let iso = run(Func::TimestampGetTimestamp, &[Value::Int(1_735_560_000), "%J".into()]);
        assert_eq!(iso, Value::from("001"));
    }

    #[test]
    fn get_timestamp_zone_name_unsupported() {
        let get = |spec: &str| {
            run(Func::TimestampGetTimestamp, &[Value::Int(T), spec.into(), "UTC".into()])
        };
        assert_eq!(get("%Z"), Value::from(""));
        assert_eq!(get("%F %Z"), Value::from(""));
    }
}
