//! Dates (RFC 9051 §9): `date-time` of INTERNALDATE and APPEND, and the `date` of SEARCH.

use std::fmt;

use crate::error::InvalidValue;

/// Month names as written on the wire (`date-month`, compared ignoring case).
pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Whether `year` is a leap year in the proleptic Gregorian calendar.
const fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// Days in `month` (1–12) of `year`; 0 for a month out of range.
const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Checks a calendar date: year 0–9999 (`date-year = 4DIGIT`), month 1–12, day within the month.
fn check_date(year: u16, month: u8, day: u8) -> Result<(), InvalidValue> {
    if year > 9999 {
        return Err(InvalidValue::OutOfRange { what: "year" });
    }
    if !(1..=12).contains(&month) {
        return Err(InvalidValue::OutOfRange { what: "month" });
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(InvalidValue::OutOfRange { what: "day" });
    }
    Ok(())
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: u16, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A calendar date without time (SEARCH `BEFORE`, `ON`, `SINCE`, `SENTON`...):
/// `date-text = date-day "-" date-month "-" date-year`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// The date `day`-`month`-`year`; checks the ranges (29 February only in leap years).
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, InvalidValue> {
        check_date(year, month, day)?;
        Ok(Self { year, month, day })
    }

    /// The year (0–9999).
    pub const fn year(self) -> u16 {
        self.year
    }

    /// The month (1–12).
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The day of the month (1–31).
    pub const fn day(self) -> u8 {
        self.day
    }

    /// The English three-letter month name used on the wire.
    pub(crate) fn month_name(self) -> &'static str {
        MONTHS
            .get(usize::from(self.month).wrapping_sub(1))
            .copied()
            .unwrap_or("Jan")
    }
}

impl fmt::Display for Date {
    /// The wire form without quotes, e.g. `1-Feb-2024`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{:04}", self.day, self.month_name(), self.year)
    }
}

/// A date and time with its zone (INTERNALDATE, APPEND):
/// `date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    date: Date,
    hour: u8,
    minute: u8,
    second: u8,
    /// Offset from UTC in minutes, −5999 to +5999 (`zone = ("+" / "-") 4DIGIT`: HHMM with MM
    /// below 60).
    zone: i16,
}

impl DateTime {
    /// A date-time; checks every range. `zone_minutes` is the offset from UTC (`+0200` is
    /// 120); `second` may be 60 (a leap second).
    pub fn new(
        date: Date,
        hour: u8,
        minute: u8,
        second: u8,
        zone_minutes: i16,
    ) -> Result<Self, InvalidValue> {
        if hour > 23 {
            return Err(InvalidValue::OutOfRange { what: "hour" });
        }
        if minute > 59 {
            return Err(InvalidValue::OutOfRange { what: "minute" });
        }
        if second > 60 {
            return Err(InvalidValue::OutOfRange { what: "second" });
        }
        if !(-5999..=5999).contains(&zone_minutes) {
            return Err(InvalidValue::OutOfRange { what: "zone" });
        }
        Ok(Self {
            date,
            hour,
            minute,
            second,
            zone: zone_minutes,
        })
    }

    /// The date part.
    pub const fn date(self) -> Date {
        self.date
    }

    /// The hour (0–23).
    pub const fn hour(self) -> u8 {
        self.hour
    }

    /// The minute (0–59).
    pub const fn minute(self) -> u8 {
        self.minute
    }

    /// The second (0–60).
    pub const fn second(self) -> u8 {
        self.second
    }

    /// The zone: offset from UTC in minutes.
    pub const fn zone_minutes(self) -> i16 {
        self.zone
    }

    /// Seconds since the Unix epoch (UTC).
    pub fn unix_timestamp(self) -> i64 {
        let days = days_from_civil(self.date.year, self.date.month, self.date.day);
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.zone) * 60
    }
}

impl fmt::Display for DateTime {
    /// The wire form without quotes, e.g. ` 1-Feb-2024 09:05:00 +0100`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.zone < 0 { '-' } else { '+' };
        let z = self.zone.unsigned_abs();
        write!(
            f,
            "{:>2}-{}-{:04} {:02}:{:02}:{:02} {sign}{:02}{:02}",
            self.date.day,
            self.date.month_name(),
            self.date.year,
            self.hour,
            self.minute,
            self.second,
            z / 60,
            z % 60
        )
    }
}

impl TryFrom<&str> for Date {
    type Error = InvalidValue;

    /// Parses the wire form `1-Feb-2024` (quotes allowed; month names in any case).
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        crate::parse::parse_whole(value.as_bytes(), crate::parse::primitives::date)
            .map_err(InvalidValue::from)
    }
}

impl TryFrom<&str> for DateTime {
    type Error = InvalidValue;

    /// Parses the wire form ` 1-Feb-2024 09:05:00 +0100` or `01-Feb-2024 09:05:00 +0100`,
    /// with or without the double quotes.
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        let parse = crate::parse::primitives::date_time;
        if value.starts_with('"') {
            crate::parse::parse_whole(value.as_bytes(), parse)
        } else {
            crate::parse::parse_whole(format!("\"{value}\"").as_bytes(), parse)
        }
        .map_err(InvalidValue::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert!(Date::new(2024, 2, 29).is_ok());
        assert!(Date::new(2023, 2, 29).is_err());
        assert!(Date::new(1900, 2, 29).is_err());
        assert!(Date::new(2000, 2, 29).is_ok());
        assert!(Date::new(2024, 13, 1).is_err());
        assert!(Date::new(2024, 4, 31).is_err());
        assert!(Date::new(2024, 1, 0).is_err());
        let d = Date::new(2024, 2, 1).unwrap();
        assert!(DateTime::new(d, 24, 0, 0, 0).is_err());
        assert!(DateTime::new(d, 0, 60, 0, 0).is_err());
        assert!(DateTime::new(d, 0, 0, 61, 0).is_err());
        assert!(DateTime::new(d, 0, 0, 0, 6000).is_err());
    }

    #[test]
    fn display_and_timestamp() {
        let d = Date::new(1970, 1, 2).unwrap();
        let t = DateTime::new(d, 1, 2, 3, -90).unwrap();
        assert_eq!(t.to_string(), " 2-Jan-1970 01:02:03 -0130");
        assert_eq!(t.unix_timestamp(), 86_400 + 3723 + 5400);
        assert_eq!(d.to_string(), "2-Jan-1970");
    }
}
