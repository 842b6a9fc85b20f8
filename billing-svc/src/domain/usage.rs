//! Chargeable activity: meters, quantities and the windows reports cover.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, Time, UtcOffset};

/// The longest window one report covers.
pub const MAX_REPORT_DAYS: i64 = 366;

/// A meter name: a lowercase letter, then lowercase letters, digits or `_`,
/// at most 64 characters (`users`, `api_calls`).
pub fn meter(s: &str) -> Result<String, String> {
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    if !first_ok
        || s.len() > 64
        || !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(
            "must be a lowercase name such as users or api_calls (a-z, 0-9, _; at most 64)".into(),
        );
    }
    Ok(s.to_owned())
}

/// A positive quantity, at most 10^12 per record.
pub fn quantity(q: i64) -> Result<i64, String> {
    if (1..=1_000_000_000_000).contains(&q) {
        Ok(q)
    } else {
        Err("must be between 1 and 1000000000000".into())
    }
}

/// The caller's id for a record: 1..=255 printable characters.
pub fn idempotency_id(s: &str) -> Result<String, String> {
    if s.is_empty() {
        Err("is required".into())
    } else if s.chars().count() > 255 || s.chars().any(char::is_control) {
        Err("must be at most 255 printable characters".into())
    } else {
        Ok(s.to_owned())
    }
}

/// When a record happened: RFC 3339, or `now` when empty; not more than five
/// minutes ahead of `now` (clock skew), since activity cannot be billed
/// before it happens.
pub fn occurred_at(s: &str, now: OffsetDateTime) -> Result<OffsetDateTime, String> {
    if s.is_empty() {
        return Ok(now);
    }
    let t = OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|_| "must be an RFC 3339 time".to_owned())?
        .to_offset(UtcOffset::UTC);
    if t > now + Duration::minutes(5) {
        return Err("must not be in the future".into());
    }
    if t.year() < 2000 {
        return Err("must be after 2000-01-01".into());
    }
    Ok(t)
}

/// How a report sums its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Day,
    Month,
    Meter,
}

impl GroupBy {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "" | "day" => Ok(Self::Day),
            "month" => Ok(Self::Month),
            "meter" => Ok(Self::Meter),
            _ => Err("must be day, month or meter".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Month => "month",
            Self::Meter => "meter",
        }
    }

    /// How many leading characters of a stored RFC 3339 time name the
    /// group's period (`2026-11-23`, `2026-11`); none for meter.
    pub fn period_len(self) -> Option<i64> {
        match self {
            Self::Day => Some(10),
            Self::Month => Some(7),
            Self::Meter => None,
        }
    }
}

/// A bound of a report window: `YYYY-MM-DD` (midnight UTC) or RFC 3339.
pub fn bound(s: &str) -> Result<OffsetDateTime, String> {
    if let Ok(d) = Date::parse(s, format_description!("[year]-[month]-[day]")) {
        return Ok(d.with_time(Time::MIDNIGHT).assume_utc());
    }
    OffsetDateTime::parse(s, &Rfc3339)
        .map(|t| t.to_offset(UtcOffset::UTC))
        .map_err(|_| "must be a date (YYYY-MM-DD) or an RFC 3339 time".into())
}

/// The first instant of `now`'s calendar month.
pub fn month_start(now: OffsetDateTime) -> OffsetDateTime {
    now.date()
        .replace_day(1)
        .unwrap_or(now.date())
        .with_time(Time::MIDNIGHT)
        .assume_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn meters_are_lowercase_names() {
        assert!(meter("users").is_ok());
        assert!(meter("api_calls").is_ok());
        for bad in [
            "",
            "Users",
            "1users",
            "api-calls",
            "api calls",
            &"a".repeat(65),
        ] {
            assert!(meter(bad).is_err(), "{bad:?} passed");
        }
    }

    #[test]
    fn quantities_are_positive_and_bounded() {
        assert!(quantity(1).is_ok());
        assert!(quantity(0).is_err());
        assert!(quantity(-5).is_err());
        assert!(quantity(1_000_000_000_001).is_err());
    }

    #[test]
    fn occurrence_defaults_to_now_and_may_not_lie_ahead() {
        let now = datetime!(2026-11-23 10:00 UTC);
        assert_eq!(occurred_at("", now), Ok(now));
        assert_eq!(
            occurred_at("2026-11-23T12:00:00+02:00", now),
            Ok(datetime!(2026-11-23 10:00 UTC))
        );
        assert!(occurred_at("2026-11-23T10:10:00Z", now).is_err());
        assert!(occurred_at("yesterday", now).is_err());
    }

    #[test]
    fn bounds_take_dates_or_times() {
        assert_eq!(bound("2026-11-01"), Ok(datetime!(2026-11-01 0:00 UTC)));
        assert_eq!(
            bound("2026-11-01T05:00:00Z"),
            Ok(datetime!(2026-11-01 5:00 UTC))
        );
        assert!(bound("2026-13-01").is_err());
        assert!(bound("November").is_err());
    }

    #[test]
    fn group_by_defaults_to_day() {
        assert_eq!(GroupBy::parse(""), Ok(GroupBy::Day));
        assert_eq!(GroupBy::parse("meter"), Ok(GroupBy::Meter));
        assert!(GroupBy::parse("week").is_err());
    }
}
