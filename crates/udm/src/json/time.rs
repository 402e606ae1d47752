//! RFC 3339 timestamps and `google.protobuf.Duration` strings, as proto3 JSON writes them.

use crate::value::Timestamp;

/// Seconds from 0001-01-01T00:00:00Z to the Unix epoch.
const MIN_SECONDS: i64 = -62_135_596_800;
/// Seconds from the Unix epoch to 9999-12-31T23:59:59Z.
const MAX_SECONDS: i64 = 253_402_300_799;

/// Parses an RFC 3339 timestamp: `2021-07-14T15:30:18.142265Z` or with an offset
/// (`+02:00`), with 0 to 9 fraction digits. `t`, `z` and a space in place of `T` are accepted.
/// Leap second 60 is read as the first second of the next minute. A time outside years 0001
/// to 9999 in UTC is rejected, as proto3 JSON parsers do.
pub fn parse_rfc3339(text: &str) -> Result<Timestamp, &'static str> {
    let b = text.as_bytes();
    let digits = |from: usize, len: usize| read_digits(b, from, len);
    let expect = |at: usize, allowed: &[u8]| -> Result<(), &'static str> {
        match b.get(at) {
            Some(c) if allowed.contains(c) => Ok(()),
            _ => Err("not in YYYY-MM-DDTHH:MM:SS form"),
        }
    };

    let year = digits(0, 4)?;
    expect(4, b"-")?;
    let month = digits(5, 2)?;
    expect(7, b"-")?;
    let day = digits(8, 2)?;
    expect(10, b"Tt ")?;
    let hour = digits(11, 2)?;
    expect(13, b":")?;
    let minute = digits(14, 2)?;
    expect(16, b":")?;
    let second = digits(17, 2)?;

    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err("date out of range");
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err("time out of range");
    }

    let mut at = 19;
    let mut nanos = 0i64;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while let Some(digit) = b.get(at).and_then(|d| ascii_digit(*d)) {
            // More than nine digits are rejected below, so only the first ten are added up,
            // which keeps `nanos` far inside an `i64`.
            if at - start < 10 {
                nanos = nanos * 10 + digit;
            }
            at += 1;
        }
        let count = at - start;
        if count == 0 {
            return Err("empty fraction");
        }
        if count > 9 {
            return Err("more than 9 fraction digits");
        }
        nanos *= POWERS_OF_TEN[9 - count];
    }

    let offset = match b.get(at) {
        Some(b'Z' | b'z') => {
            at += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let hours = digits(at + 1, 2)?;
            expect(at + 3, b":")?;
            let minutes = digits(at + 4, 2)?;
            if hours > 23 || minutes > 59 {
                return Err("offset out of range");
            }
            at += 6;
            let offset = hours * 3600 + minutes * 60;
            if sign == b'-' {
                -offset
            } else {
                offset
            }
        }
        _ => return Err("missing time zone (Z or an offset)"),
    };
    if at != b.len() {
        return Err("trailing characters");
    }

    let seconds =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    let timestamp = Timestamp::new(seconds, nanos);
    if !timestamp.is_valid() {
        return Err(OUT_OF_RANGE);
    }
    Ok(timestamp)
}

/// `10^n` at index `n`, for scaling a fraction of `9 - n` digits to nanoseconds.
const POWERS_OF_TEN: [i64; 10] =
    [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];

/// Returns the value of an ASCII digit.
fn ascii_digit(byte: u8) -> Option<i64> {
    let digit = byte.wrapping_sub(b'0');
    (digit <= 9).then_some(i64::from(digit))
}

/// Reads the `len` ASCII digits of `b` that start at `from` as a decimal number.
// Inlined, so that the loop over a constant `len` unrolls.
#[inline(always)]
fn read_digits(b: &[u8], from: usize, len: usize) -> Result<i64, &'static str> {
    let part = b.get(from..from + len).ok_or("too short")?;
    let mut value = 0;
    for &byte in part {
        value = value * 10 + ascii_digit(byte).ok_or("expected a digit")?;
    }
    Ok(value)
}

/// The reason given for a timestamp outside the range of `google.protobuf.Timestamp`.
pub(crate) const OUT_OF_RANGE: &str = "outside years 0001 to 9999 (UTC)";

/// Formats a timestamp as RFC 3339 in UTC, with 0, 3, 6 or 9 fraction digits (the fewest
/// that represent it exactly, as proto3 JSON writers do). Returns `None` outside years
/// 0001 to 9999, which RFC 3339 cannot express.
pub fn format_rfc3339(timestamp: Timestamp) -> Option<String> {
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&timestamp.seconds)
        || !(0..1_000_000_000).contains(&timestamp.nanos)
    {
        return None;
    }
    let days = timestamp.seconds.div_euclid(86_400);
    let of_day = timestamp.seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let mut out = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    );
    let nanos = timestamp.nanos;
    if nanos != 0 {
        if nanos % 1_000_000 == 0 {
            out.push_str(&format!(".{:03}", nanos / 1_000_000));
        } else if nanos % 1_000 == 0 {
            out.push_str(&format!(".{:06}", nanos / 1_000));
        } else {
            out.push_str(&format!(".{nanos:09}"));
        }
    }
    out.push('Z');
    Some(out)
}

/// Parses a proto3 JSON Duration: decimal seconds followed by `s` (`"1.5s"`, `"-3s"`), with
/// up to 9 fraction digits. Returns seconds and nanoseconds, both with the duration's sign.
pub fn parse_duration(text: &str) -> Result<(i64, i32), &'static str> {
    let body = text.strip_suffix('s').ok_or("missing the `s` suffix")?;
    let (negative, body) = match body.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, body),
    };
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    if whole.is_empty() || !whole.bytes().all(|c| c.is_ascii_digit()) {
        return Err("expected decimal seconds");
    }
    if fraction.len() > 9 || !fraction.bytes().all(|c| c.is_ascii_digit()) {
        return Err("expected at most 9 fraction digits");
    }
    let seconds: i64 = whole.parse().map_err(|_| "seconds out of range")?;
    let mut nanos: i32 = 0;
    for (i, c) in fraction.bytes().enumerate() {
        nanos += i32::from(c - b'0') * 10i32.pow(8 - i as u32);
    }
    Ok(if negative { (-seconds, -nanos) } else { (seconds, nanos) })
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(seconds: i64, nanos: i32) -> Timestamp {
        Timestamp { seconds, nanos }
    }

    #[test]
    fn parse_utc_with_micros() {
        let parsed = parse_rfc3339("2021-07-14T15:30:18.142265Z");
        assert_eq!(parsed, Ok(ts(1_626_276_618, 142_265_000)));
    }

    #[test]
    fn parse_epoch_and_no_fraction() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok(ts(0, 0)));
    }

    #[test]
    fn parse_offsets() {
        assert_eq!(parse_rfc3339("1970-01-01T02:00:00+02:00"), Ok(ts(0, 0)));
        assert_eq!(parse_rfc3339("1969-12-31T19:30:00-04:30"), Ok(ts(0, 0)));
    }

    #[test]
    fn parse_nine_fraction_digits() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:01.000000001Z"), Ok(ts(1, 1)));
        assert!(parse_rfc3339("1970-01-01T00:00:01.0000000001Z").is_err());
    }

    #[test]
    fn parse_fractions_of_every_length() {
        let digits = "123456789";
        for count in 1..=9 {
            let fraction = &digits[..count];
            let nanos = fraction.parse::<i32>().unwrap() * 10i32.pow(9 - count as u32);
            let utc = format!("2021-07-14T15:30:18.{fraction}Z");
            assert_eq!(parse_rfc3339(&utc), Ok(ts(1_626_276_618, nanos)), "{utc}");
            let offset = format!("2021-07-14T17:30:18.{fraction}+02:00");
            assert_eq!(parse_rfc3339(&offset), Ok(ts(1_626_276_618, nanos)), "{offset}");
        }
        let long = "2021-07-14T15:30:18.1234567891234567891Z";
        assert_eq!(parse_rfc3339(long), Err("more than 9 fraction digits"));
    }

    #[test]
    fn parse_reports_the_first_error() {
        assert_eq!(parse_rfc3339("2021"), Err("not in YYYY-MM-DDTHH:MM:SS form"));
        assert_eq!(parse_rfc3339("202"), Err("too short"));
        assert_eq!(parse_rfc3339("2021-0x-01T00:00:00Z"), Err("expected a digit"));
        assert_eq!(parse_rfc3339("2021-07-14T15:30:1"), Err("too short"));
        assert_eq!(parse_rfc3339("2021-07-14T15:30:18+0a:00"), Err("expected a digit"));
        assert_eq!(parse_rfc3339("2021-07-14T15:30:18+24:00"), Err("offset out of range"));
        assert_eq!(parse_rfc3339("2021-04-31T00:00:00Z"), Err("date out of range"));
        assert_eq!(parse_rfc3339("2021-07-14T15:60:00Z"), Err("time out of range"));
    }

    #[test]
    fn parse_before_epoch() {
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59.5Z"), Ok(ts(-1, 500_000_000)));
        assert_eq!(parse_rfc3339("0001-01-01T00:00:00Z"), Ok(ts(MIN_SECONDS, 0)));
    }

    #[test]
    fn parse_rejects_out_of_range() {
        for text in [
            "0000-12-31T23:59:59Z",
            "0001-01-01T00:30:00+01:00",
            "9999-12-31T23:59:60Z",
            "9999-12-31T23:30:00-01:00",
        ] {
            assert_eq!(parse_rfc3339(text), Err(OUT_OF_RANGE), "{text}");
        }
        assert_eq!(parse_rfc3339("9999-12-31T23:59:59.999999999Z"), Ok(Timestamp::MAX));
    }

    #[test]
    fn parse_rejects_invalid_dates() {
        for text in [
            "2021-02-29T00:00:00Z",
            "2021-13-01T00:00:00Z",
            "2021-01-01T24:00:00Z",
            "2021-01-01T00:00:00",
            "2021-01-01T00:00:00Zjunk",
            "2021-01-01T00:00:00.Z",
            "2021-01-01",
            "",
            "2021-01-01T00:00:00+2:00",
        ] {
            assert!(parse_rfc3339(text).is_err(), "{text}");
        }
        assert!(parse_rfc3339("2020-02-29T00:00:00Z").is_ok());
    }

    #[test]
    fn format_uses_fraction_groups() {
        assert_eq!(format_rfc3339(ts(0, 0)).as_deref(), Some("1970-01-01T00:00:00Z"));
        let millis = format_rfc3339(ts(1_626_276_618, 142_000_000));
        assert_eq!(millis.as_deref(), Some("2021-07-14T15:30:18.142Z"));
        let micros = format_rfc3339(ts(1_626_276_618, 142_265_000));
        assert_eq!(micros.as_deref(), Some("2021-07-14T15:30:18.142265Z"));
        let nanos = format_rfc3339(ts(-1, 1));
        assert_eq!(nanos.as_deref(), Some("1969-12-31T23:59:59.000000001Z"));
        assert_eq!(format_rfc3339(ts(MAX_SECONDS + 1, 0)), None);
    }

    #[test]
    fn civil_round_trip() {
        for days in (-719_162..2_932_896).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1.5s"), Ok((1, 500_000_000)));
        assert_eq!(parse_duration("-3s"), Ok((-3, 0)));
        assert_eq!(parse_duration("0.000000001s"), Ok((0, 1)));
        assert!(parse_duration("3").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("1.0000000001s").is_err());
    }
}
