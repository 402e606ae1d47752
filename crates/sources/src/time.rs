//! Parses the time spellings the supported sources use into UDM timestamps.
//!
//! Every spelling without a zone or offset is read as UTC, never as local time.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;
use udm::Timestamp;

use crate::SourceError;

/// Zone-less layouts, tried in order after RFC 3339.
const NAIVE_LAYOUTS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%m/%d/%Y %H:%M:%S%.f",
    "%m/%d/%Y %I:%M:%S%.f %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    // The Azure portal's Log Analytics CSV export writes times as the portal shows them, which
    // depends on the browser's locale: `7/2/2025, 2:02:10.123 PM` for US English,
    // `2025/07/02 14:02:10.123` for some others.
    "%m/%d/%Y, %I:%M:%S%.f %p",
    "%m/%d/%Y, %H:%M:%S%.f",
    "%Y/%m/%d %H:%M:%S%.f",
];

/// Layouts with an offset, tried after RFC 3339. `%z` takes `+0000` and `+00:00`.
const OFFSET_LAYOUTS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f %z",
    "%m/%d/%Y %H:%M:%S%.f %z",
    "%m/%d/%Y %I:%M:%S%.f %p %z",
];

/// Parses a time given as a JSON string or number; `field` names it in the error.
///
/// Numbers are Unix epoch seconds, or milliseconds when above 10^11 (after 1973 in ms). A
/// string of digits is read as the same number (see [`parse_epoch_text`]). A time outside
/// years 0001 to 9999 is rejected, because UDM timestamps cannot express it.
pub(crate) fn parse_value(field: &str, value: &Value) -> Result<Timestamp, SourceError> {
    let invalid = || SourceError::InvalidTime { field: field.to_owned(), value: value.to_string() };
    let timestamp = match value {
        Value::String(s) => parse(s).or_else(|| parse_epoch_text(s)).ok_or_else(|| {
            SourceError::InvalidTime { field: field.to_owned(), value: s.clone() }
        })?,
        Value::Number(n) => match n.as_i64() {
            Some(i) => from_epoch_number(i),
            None => n.as_f64().and_then(from_epoch_float).ok_or_else(invalid)?,
        },
        _ => return Err(invalid()),
    };
    if !timestamp.is_valid() {
        let value = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        return Err(SourceError::TimeOutOfRange { field: field.to_owned(), value });
    }
    Ok(timestamp)
}

/// Reads epoch seconds or milliseconds written as text, such as `"1749549600000"`, the way
/// [`parse_value`] reads the same JSON number: an optional `-`, digits and an optional
/// fraction. Exporters that follow the protobuf JSON mapping write 64-bit integers as strings.
/// Text with 14 digits before any fraction is EventLogFile's `yyyyMMddHHmmss`, so it is never
/// read as an epoch time, and an invalid date there stays an error instead of a time in 2606.
fn parse_epoch_text(raw: &str) -> Option<Timestamp> {
    let text = raw.trim();
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || !fraction.is_none_or(all_digits) {
        return None;
    }
    if whole.len() == 14 && !text.starts_with('-') {
        return None;
    }
    match (fraction, text.parse::<i64>()) {
        (None, Ok(number)) => Some(from_epoch_number(number)),
        // A fraction, or an integer beyond `i64`, which saturates as a float and is rejected.
        _ => text.parse::<f64>().ok().and_then(from_epoch_float),
    }
}

fn from_epoch_number(i: i64) -> Timestamp {
    if i.unsigned_abs() > 100_000_000_000 {
        Timestamp::new(i.div_euclid(1000), i.rem_euclid(1000) * 1_000_000)
    } else {
        Timestamp::new(i, 0)
    }
}

/// Reads epoch seconds, or milliseconds when above 10^11, given as a float. Returns `None`
/// for values that are not finite. Values beyond `i64` saturate, far outside the UDM range,
/// so that the caller rejects them.
fn from_epoch_float(f: f64) -> Option<Timestamp> {
    if !f.is_finite() {
        return None;
    }
    // Whole units and the fraction are split before scaling, so that milliseconds keep their
    // digits: 1168335660123.0 / 1000 is not exactly 1168335660.123.
    let whole = f.floor();
    let fraction = f - whole;
    let timestamp = if f.abs() > 1e11 {
        let millis = whole as i64;
        let nanos = millis.rem_euclid(1000) * 1_000_000 + (fraction * 1e6).round() as i64;
        Timestamp::new(millis.div_euclid(1000), nanos)
    } else {
        Timestamp::new(whole as i64, (fraction * 1e9).round() as i64)
    };
    Some(timestamp)
}

/// Parses one time string, or returns `None` when no supported spelling matches. The year is
/// not checked: [`parse_value`] does that.
pub(crate) fn parse(raw: &str) -> Option<Timestamp> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(from_fixed(t));
    }
    if let Some(t) = parse_compact(s) {
        return Some(t);
    }
    if let Some(t) = parse_microsoft_json_date(s) {
        return Some(t);
    }
    for layout in OFFSET_LAYOUTS {
        if let Ok(t) = DateTime::parse_from_str(s, layout) {
            return Some(from_fixed(t));
        }
    }
    for layout in NAIVE_LAYOUTS {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, layout) {
            return Some(from_utc(t.and_utc()));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| from_utc(t.and_utc()));
    }
    None
}

/// Parses Salesforce EventLogFile `TIMESTAMP`: `yyyyMMddHHmmss` with an optional `.SSS`.
fn parse_compact(s: &str) -> Option<Timestamp> {
    let (digits, fraction) = match s.split_once('.') {
        Some((d, f)) => (d, f),
        None => (s, ""),
    };
    if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) || fraction.len() > 9 {
        return None;
    }
    let number = |range: std::ops::Range<usize>| digits.get(range)?.parse::<u32>().ok();
    let year = i32::try_from(number(0..4)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, number(4..6)?, number(6..8)?)?;
    let time = date.and_hms_opt(number(8..10)?, number(10..12)?, number(12..14)?)?;
    let nanos = if fraction.is_empty() {
        0
    } else {
        let scale = 10_i64.pow(9 - fraction.len() as u32);
        fraction.parse::<i64>().ok()? * scale
    };
    Some(Timestamp::new(time.and_utc().timestamp(), nanos))
}

/// Parses the .NET JSON date `/Date(ms)/` or `/Date(ms+hhmm)/`, which Windows PowerShell
/// 5.1's `ConvertTo-Json` writes for every `DateTime`. The number is milliseconds since the
/// Unix epoch in UTC, and the optional offset only marks a local time, so it is checked but
/// not applied.
fn parse_microsoft_json_date(s: &str) -> Option<Timestamp> {
    let inner = s.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let digits_end = inner
        .char_indices()
        .skip(1)
        .find(|(_, c)| matches!(c, '+' | '-'))
        .map_or(inner.len(), |(i, _)| i);
    let (millis, offset) = inner.split_at(digits_end);
    let all_digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let unsigned = millis.strip_prefix('-').unwrap_or(millis);
    if !all_digits(unsigned) {
        return None;
    }
    let offset_valid = offset.is_empty() || (offset.len() == 5 && all_digits(&offset[1..]));
    if !offset_valid {
        return None;
    }
    let millis: i64 = millis.parse().ok()?;
    Some(Timestamp::new(millis.div_euclid(1000), millis.rem_euclid(1000) * 1_000_000))
}

fn from_fixed(t: DateTime<FixedOffset>) -> Timestamp {
    from_utc(t.with_timezone(&Utc))
}

fn from_utc(t: DateTime<Utc>) -> Timestamp {
    Timestamp::new(t.timestamp(), i64::from(t.timestamp_subsec_nanos()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2007-01-09T09:41:00Z.
    const NINE_FORTY_ONE: i64 = 1_168_335_660;

    #[test]
    fn parse_accepts_every_sign_in_spelling() {
        let cases = [
            ("01/09/2007 09:41:00", 0),
            ("1/9/2007 09:41:00", 0),
            ("01/09/2007 09:41:00 AM", 0),
            ("1/9/2007 9:41:00 AM", 0),
            ("1/9/2007 10:41:00 AM +01:00", 0),
            ("2007-01-09T09:41:00", 0),
            ("2007-01-09T09:41:00.22Z", 220_000_000),
            ("2007-01-09T09:41:00.6816663Z", 681_666_300),
            ("2007-01-09T09:41:00.535404056Z", 535_404_056),
            ("2007-01-09T09:41:00.992099+00:00", 992_099_000),
            ("2007-01-09T11:41:00+02:00", 0),
            ("2007-01-09T09:41:00.000+0000", 0),
            ("2007-01-09T04:41:00-0500", 0),
            ("2007-01-09 09:41:00", 0),
            ("20070109094100.000", 0),
            ("20070109094100", 0),
            ("1/9/2007, 9:41:00.000 AM", 0),
            ("1/9/2007, 9:41:00 AM", 0),
            ("2007/01/09 9:41:00.000", 0),
        ];
        for (raw, nanos) in cases {
            let expected = Timestamp::new(NINE_FORTY_ONE, nanos);
            assert_eq!(parse(raw), Some(expected), "input {raw:?}");
        }
    }

    #[test]
    fn parse_reads_microsoft_json_dates() {
        let cases = [
            ("/Date(1168335660000)/", Timestamp::new(NINE_FORTY_ONE, 0)),
            ("/Date(1168335660123)/", Timestamp::new(NINE_FORTY_ONE, 123_000_000)),
            // The offset only marks a local time, and the number is UTC either way.
            ("/Date(1168335660000+0100)/", Timestamp::new(NINE_FORTY_ONE, 0)),
            ("/Date(1168335660000-0500)/", Timestamp::new(NINE_FORTY_ONE, 0)),
            ("/Date(-1000)/", Timestamp::new(-1, 0)),
            ("/Date(0)/", Timestamp::new(0, 0)),
        ];
        for (raw, expected) in cases {
            assert_eq!(parse(raw), Some(expected), "input {raw:?}");
        }
    }

    #[test]
    fn parse_rejects_malformed_microsoft_json_dates() {
        for raw in ["/Date()/", "/Date(12a)/", "/Date(1+01)/", "/Date(1.5)/", "Date(1)", "/Date(1"]
        {
            assert_eq!(parse(raw), None, "input {raw:?}");
        }
    }

    #[test]
    fn parse_reads_pm_hours() {
        assert_eq!(
            parse("1/9/2007 9:41:00 PM"),
            Some(Timestamp::new(NINE_FORTY_ONE + 12 * 3600, 0))
        );
    }

    #[test]
    fn parse_rejects_garbage() {
        for raw in
            ["", "not a time", "2007-13-09T09:41:00", "13/45/2007 09:41:00", "20071309094100", "0"]
        {
            assert_eq!(parse(raw), None, "input {raw:?}");
        }
    }

    #[test]
    fn parse_value_reads_epoch_numbers() {
        let seconds = parse_value("t", &serde_json::json!(NINE_FORTY_ONE));
        assert_eq!(seconds, Ok(Timestamp::new(NINE_FORTY_ONE, 0)));
        let millis = parse_value("t", &serde_json::json!(NINE_FORTY_ONE * 1000 + 5));
        assert_eq!(millis, Ok(Timestamp::new(NINE_FORTY_ONE, 5_000_000)));
    }

    #[test]
    fn parse_value_reads_epoch_text() {
        let cases = [
            ("1168335660", Timestamp::new(NINE_FORTY_ONE, 0)),
            ("1168335660005", Timestamp::new(NINE_FORTY_ONE, 5_000_000)),
            (" 1168335660005 ", Timestamp::new(NINE_FORTY_ONE, 5_000_000)),
            ("1168335660.5", Timestamp::new(NINE_FORTY_ONE, 500_000_000)),
            ("1168335660123.0", Timestamp::new(NINE_FORTY_ONE, 123_000_000)),
            ("-1000", Timestamp::new(-1000, 0)),
        ];
        for (text, expected) in cases {
            let number: Value = serde_json::from_str(text.trim()).unwrap();
            assert_eq!(parse_value("t", &Value::from(text)), Ok(expected), "text {text:?}");
            assert_eq!(parse_value("t", &number), Ok(expected), "number {text}");
        }
    }

    #[test]
    fn parse_value_keeps_compact_before_epoch() {
        let compact = parse_value("t", &serde_json::json!("20070109094100"));
        assert_eq!(compact, Ok(Timestamp::new(NINE_FORTY_ONE, 0)));
        // An invalid month in the compact form, not epoch milliseconds in year 2606.
        let invalid = parse_value("t", &serde_json::json!("20071309094100"));
        assert!(matches!(invalid, Err(SourceError::InvalidTime { .. })), "{invalid:?}");
    }

    #[test]
    fn parse_value_rejects_malformed_epoch_text() {
        for text in ["", "-", "12a4", "1.2.3", "1e12", "+1168335660", "1168335660.", ".5"] {
            let result = parse_value("t", &Value::from(text));
            assert!(result.is_err(), "text {text:?} gave {result:?}");
        }
        let beyond_i64 = parse_value("t", &serde_json::json!("99999999999999999999999"));
        assert!(matches!(beyond_i64, Err(SourceError::TimeOutOfRange { .. })), "{beyond_i64:?}");
    }

    #[test]
    fn parse_value_rejects_out_of_range() {
        let values = [
            serde_json::json!(i64::MAX),
            serde_json::json!(i64::MIN),
            serde_json::json!(99_999_999_999_999_999_i64),
            serde_json::json!(1e16),
            serde_json::json!(-1e300),
            serde_json::json!("0000-01-01T00:00:00Z"),
            serde_json::json!("00000101000000"),
            serde_json::json!("10000-01-01T00:00:00Z"),
        ];
        for value in values {
            let error = parse_value("t", &value).expect_err("out of range");
            assert!(
                matches!(
                    error,
                    SourceError::TimeOutOfRange { .. } | SourceError::InvalidTime { .. }
                ),
                "{value}: {error}"
            );
        }
        let error = parse_value("t", &serde_json::json!(i64::MAX)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "time \"9223372036854775807\" in field t is outside years 0001 to 9999"
        );
    }

    #[test]
    fn parse_value_reads_float_seconds() {
        let seconds = parse_value("t", &serde_json::json!(99_999_999_999.5));
        assert_eq!(seconds, Ok(Timestamp::new(99_999_999_999, 500_000_000)));
        let millis = parse_value("t", &serde_json::json!(1_168_335_660_123.0));
        assert_eq!(millis, Ok(Timestamp::new(NINE_FORTY_ONE, 123_000_000)));
    }

    #[test]
    fn parse_value_accepts_range_ends() {
        let first = parse_value("t", &serde_json::json!("0001-01-01T00:00:00Z"));
        assert_eq!(first, Ok(Timestamp::MIN));
        let last = parse_value("t", &serde_json::json!("9999-12-31T23:59:59.999999999Z"));
        assert_eq!(last, Ok(Timestamp::MAX));
    }

    #[test]
    fn parse_value_names_field_in_error() {
        let error = parse_value("CreationTime", &serde_json::json!("yesterday")).unwrap_err();
        assert!(error.to_string().contains("CreationTime"), "{error}");
        assert!(parse_value("t", &serde_json::json!(true)).is_err());
    }
}
