//! The site's time zone: every date is stored in UTC and shown, grouped into
//! archives and parsed from wall-clock input in this zone, never the host's.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};

use crate::model::Timestamp;

/// A site time zone: an IANA name such as `America/New_York`, or a fixed
/// offset such as `-05:00` (Movable Type sites store a fixed offset).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteTimeZone {
    Named(chrono_tz::Tz),
    Fixed(FixedOffset),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid time zone {value:?}; use an IANA name such as Europe/Paris or an offset such as -05:00")]
pub struct TimeZoneError {
    pub value: String,
}

impl Default for SiteTimeZone {
    fn default() -> Self {
        SiteTimeZone::Fixed(FixedOffset::east_opt(0).expect("zero offset is valid"))
    }
}

impl FromStr for SiteTimeZone {
    type Err = TimeZoneError;

    fn from_str(value: &str) -> Result<Self, TimeZoneError> {
        let error = || TimeZoneError { value: value.to_string() };
        let text = value.trim();
        if text.eq_ignore_ascii_case("utc") || text == "Z" {
            return Ok(SiteTimeZone::default());
        }
        if text.starts_with(['+', '-']) {
            return parse_offset(text).map(SiteTimeZone::Fixed).ok_or_else(error);
        }
        text.parse::<chrono_tz::Tz>().map(SiteTimeZone::Named).map_err(|_| error())
    }
}

/// Parses `+09:00`, `-0500`, `-5` or `+5.5` (hours, as Movable Type writes them).
fn parse_offset(text: &str) -> Option<FixedOffset> {
    let sign = if text.starts_with('-') { -1 } else { 1 };
    let digits = &text[1..];
    let seconds = if let Some((hours, minutes)) = digits.split_once(':') {
        hours.parse::<i32>().ok()? * 3600 + minutes.parse::<i32>().ok()? * 60
    } else if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits[..2].parse::<i32>().ok()? * 3600 + digits[2..].parse::<i32>().ok()? * 60
    } else {
        let hours: f64 = digits.parse().ok()?;
        (hours * 3600.0).round() as i32
    };
    FixedOffset::east_opt(sign * seconds)
}

impl fmt::Display for SiteTimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SiteTimeZone::Named(tz) => write!(f, "{}", tz.name()),
            SiteTimeZone::Fixed(offset) => write!(f, "{offset}"),
        }
    }
}

impl SiteTimeZone {
    /// The wall-clock time in this zone at `timestamp`.
    pub fn local(&self, timestamp: Timestamp) -> NaiveDateTime {
        self.to_datetime(timestamp).naive_local()
    }

    /// The instant at `timestamp` with this zone's offset at that instant.
    pub fn to_datetime(&self, timestamp: Timestamp) -> DateTime<FixedOffset> {
        let utc = DateTime::<Utc>::from_timestamp(timestamp, 0).unwrap_or_default();
        match self {
            SiteTimeZone::Named(tz) => {
                let local = utc.with_timezone(tz);
                let offset = local.offset().fix();
                local.with_timezone(&offset)
            }
            SiteTimeZone::Fixed(offset) => utc.with_timezone(offset),
        }
    }

    /// The instant a wall-clock time in this zone names. A time that occurs
    /// twice (when clocks go back) takes the earlier instant; a time skipped
    /// when clocks go forward takes the instant one hour later.
    pub fn to_timestamp(&self, local: NaiveDateTime) -> Timestamp {
        match self {
            SiteTimeZone::Named(tz) => resolve(tz.from_local_datetime(&local), || {
                tz.from_local_datetime(&(local + chrono::Duration::hours(1)))
            }),
            SiteTimeZone::Fixed(offset) => {
                resolve(offset.from_local_datetime(&local), || offset.from_local_datetime(&local))
            }
        }
    }
}

fn resolve<Tz: TimeZone>(
    result: LocalResult<DateTime<Tz>>,
    skipped: impl FnOnce() -> LocalResult<DateTime<Tz>>,
) -> Timestamp {
    match result {
        LocalResult::Single(time) | LocalResult::Ambiguous(time, _) => time.timestamp(),
        LocalResult::None => match skipped() {
            LocalResult::Single(time) | LocalResult::Ambiguous(time, _) => time.timestamp(),
            LocalResult::None => 0,
        },
    }
}

/// The current time as a [`Timestamp`].
pub fn now() -> Timestamp {
    Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_and_names() {
        let minus_five: SiteTimeZone = "-05:00".parse().unwrap();
        assert_eq!(minus_five, SiteTimeZone::Fixed(FixedOffset::west_opt(5 * 3600).unwrap()));
        assert_eq!("-5".parse::<SiteTimeZone>().unwrap(), minus_five);
        assert_eq!("-0500".parse::<SiteTimeZone>().unwrap(), minus_five);
        assert!(matches!("Asia/Tokyo".parse::<SiteTimeZone>().unwrap(), SiteTimeZone::Named(_)));
        assert!("Mars/Base".parse::<SiteTimeZone>().is_err());
    }

    #[test]
    fn evening_in_utc_minus_five_stays_on_its_day() {
        let zone: SiteTimeZone = "-05:00".parse().unwrap();
        let local = NaiveDateTime::parse_from_str("2020-10-26 19:30:00", "%Y-%m-%d %H:%M:%S").unwrap();
        let timestamp = zone.to_timestamp(local);
        assert_eq!(zone.local(timestamp), local);
        assert_eq!(SiteTimeZone::default().local(timestamp).date().to_string(), "2020-10-27");
    }

    #[test]
    fn skipped_local_time_moves_forward() {
        let zone: SiteTimeZone = "Europe/Paris".parse().unwrap();
        let skipped = NaiveDateTime::parse_from_str("2024-03-31 02:30:00", "%Y-%m-%d %H:%M:%S").unwrap();
        let timestamp = zone.to_timestamp(skipped);
        assert_eq!(zone.local(timestamp).to_string(), "2024-03-31 03:30:00");
    }
}
