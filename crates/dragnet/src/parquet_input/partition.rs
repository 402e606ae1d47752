//! Hive-style partition folders (`dt=2026-12-01/`, `year=2026/month=12/day=01/`) and the time
//! range of events they hold, so that whole files outside a hunt's range are not opened.
//!
//! A partition is taken to hold the events whose event time falls on its date (UTC), as data
//! lakes partitioned by event date do. `--no-prune` reads every file for lakes partitioned by
//! another date, such as the day of ingestion.

use std::path::Path;

use chrono::{NaiveDate, TimeZone, Utc};

/// The UTC time range `[start, end)` that the partition folders of `path` stand for, from
/// `dt=` or `date=` (`YYYY-MM-DD`), or `year=`, `month=`, `day=` and `hour=`, most specific
/// first. `None` when the path names no recognised partition or its values are not a date.
pub fn time_range(path: &Path) -> Option<(udm::Timestamp, udm::Timestamp)> {
    let mut date: Option<NaiveDate> = None;
    let (mut year, mut month, mut day, mut hour) = (None, None, None, None);
    for component in path.iter().filter_map(|c| c.to_str()) {
        let Some((key, value)) = component.split_once('=') else { continue };
        let number = || value.parse::<u32>().ok();
        match key.to_ascii_lowercase().as_str() {
            "dt" | "date" | "event_date" => {
                // Only the date part of a `dt=2026-12-01 00:00:00` value counts.
                date = NaiveDate::parse_from_str(value.get(..10)?, "%Y-%m-%d").ok();
                date?;
            }
            "year" => year = Some(value.parse::<i32>().ok()?),
            "month" => month = Some(number()?),
            "day" => day = Some(number()?),
            "hour" => hour = Some(number()?),
            _ => {}
        }
    }
    let (start, end) = if let Some(date) = date {
        let start = date.and_hms_opt(0, 0, 0)?;
        match hour {
            Some(h) => {
                let start = start + chrono::Duration::hours(i64::from(h));
                (start, start + chrono::Duration::hours(1))
            }
            None => (start, start + chrono::Duration::days(1)),
        }
    } else {
        let year = year?;
        match (month, day, hour) {
            (None, _, _) => {
                (ymd(year, 1, 1)?.and_hms_opt(0, 0, 0)?, ymd(year + 1, 1, 1)?.and_hms_opt(0, 0, 0)?)
            }
            (Some(m), None, _) => {
                let next = if m == 12 { ymd(year + 1, 1, 1)? } else { ymd(year, m + 1, 1)? };
                (ymd(year, m, 1)?.and_hms_opt(0, 0, 0)?, next.and_hms_opt(0, 0, 0)?)
            }
            (Some(m), Some(d), None) => {
                let start = ymd(year, m, d)?.and_hms_opt(0, 0, 0)?;
                (start, start + chrono::Duration::days(1))
            }
            (Some(m), Some(d), Some(h)) => {
                let start = ymd(year, m, d)?.and_hms_opt(h, 0, 0)?;
                (start, start + chrono::Duration::hours(1))
            }
        }
    };
    let to_timestamp = |t: chrono::NaiveDateTime| {
        let utc = Utc.from_utc_datetime(&t);
        udm::Timestamp::new(utc.timestamp(), 0)
    };
    Some((to_timestamp(start), to_timestamp(end)))
}

fn ymd(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Whether a partition's range `[start, end)` overlaps `[from, to)`, either end open.
pub fn overlaps(
    (start, end): (udm::Timestamp, udm::Timestamp),
    from: Option<udm::Timestamp>,
    to: Option<udm::Timestamp>,
) -> bool {
    from.is_none_or(|from| end > from) && to.is_none_or(|to| start < to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> udm::Timestamp {
        udm::json::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn dt_folder_is_one_day() {
        let range = time_range(Path::new("lake/events/dt=2026-12-01/part-0.parquet"));
        assert_eq!(range, Some((at("2026-12-01T00:00:00Z"), at("2026-12-02T00:00:00Z"))));
    }

    #[test]
    fn year_month_day_folders() {
        let day = time_range(Path::new("l/year=2026/month=12/day=31/p.parquet"));
        assert_eq!(day, Some((at("2026-12-31T00:00:00Z"), at("2027-01-01T00:00:00Z"))));
        let month = time_range(Path::new("l/year=2026/month=12/p.parquet"));
        assert_eq!(month, Some((at("2026-12-01T00:00:00Z"), at("2027-01-01T00:00:00Z"))));
        let hour = time_range(Path::new("l/year=2026/month=02/day=03/hour=04/p.parquet"));
        assert_eq!(hour, Some((at("2026-02-03T04:00:00Z"), at("2026-02-03T05:00:00Z"))));
    }

    #[test]
    fn unpartitioned_or_invalid_paths() {
        assert_eq!(time_range(Path::new("logs/events.parquet")), None);
        assert_eq!(time_range(Path::new("l/dt=yesterday/p.parquet")), None);
        assert_eq!(time_range(Path::new("l/month=12/p.parquet")), None);
        assert_eq!(time_range(Path::new("l/year=2026/month=13/p.parquet")), None);
    }

    #[test]
    fn overlap_with_open_ends() {
        let range = (at("2026-12-01T00:00:00Z"), at("2026-12-02T00:00:00Z"));
        assert!(overlaps(range, None, None));
        assert!(overlaps(range, Some(at("2026-12-01T23:59:59Z")), None));
        assert!(!overlaps(range, Some(at("2026-12-02T00:00:00Z")), None));
        assert!(!overlaps(range, None, Some(at("2026-12-01T00:00:00Z"))));
        assert!(overlaps(range, None, Some(at("2026-12-01T00:00:01Z"))));
    }
}
