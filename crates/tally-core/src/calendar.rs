//! Local days, day ranges and named periods in the organization's time zone.
//!
//! Every event is attributed to the local day of its timestamp (`spec/metrics.md`,
//! "Local day"); reports take inclusive ranges of local days. A [`Day`] is a plain day
//! number so that storage keys and range arithmetic are integers.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The longest range a report, a view or a goal's history covers: ten years and a few
/// days (3,660 days).
pub const MAX_RANGE_DAYS: u32 = 3_660;

const EPOCH: Date = Date::constant(1970, 1, 1);
const SECONDS_PER_DAY: i64 = 86_400;

/// A local calendar day, stored as the number of days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Day(i32);

impl Day {
    /// The day of a civil date.
    pub fn from_date(date: Date) -> Day {
        let days = date.duration_since(EPOCH).as_secs() / SECONDS_PER_DAY;
        // Civil dates span ±9999 years: always within i32 days.
        Day(i32::try_from(days).unwrap_or(i32::MAX))
    }

    /// The day with this day number (days since 1970-01-01).
    pub fn from_number(number: i32) -> Day {
        Day(number)
    }

    /// The day number (days since 1970-01-01), the storage key.
    pub fn number(self) -> i32 {
        self.0
    }

    /// The civil date of this day.
    pub fn date(self) -> Date {
        EPOCH
            .checked_add(i64::from(self.0).days())
            .unwrap_or(if self.0 < 0 { Date::MIN } else { Date::MAX })
    }

    /// The day `n` days later (earlier if negative).
    pub fn plus(self, n: i32) -> Day {
        Day(self.0 + n)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.date())
    }
}

/// A day that is not written `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a date in the form YYYY-MM-DD")]
pub struct InvalidDay(pub String);

impl FromStr for Day {
    type Err = InvalidDay;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let well_formed = s.len() == 10
            && s.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        let invalid = || InvalidDay(s.to_owned());
        if !well_formed {
            return Err(invalid());
        }
        let date: Date = s.parse().map_err(|_| invalid())?;
        Ok(Day::from_date(date))
    }
}

/// An inclusive range of local days, `from..=to`, never empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DayRange {
    pub from: Day,
    pub to: Day,
}

impl DayRange {
    /// The range `from..=to`, or `None` when `from` is after `to`.
    pub fn new(from: Day, to: Day) -> Option<DayRange> {
        (from <= to).then_some(DayRange { from, to })
    }

    /// The one-day range.
    pub fn single(day: Day) -> DayRange {
        DayRange { from: day, to: day }
    }

    /// The number of days in the range.
    pub fn len(self) -> u32 {
        (self.to.0 - self.from.0 + 1).unsigned_abs()
    }

    /// A range always holds at least one day.
    pub fn is_empty(self) -> bool {
        false
    }

    pub fn contains(self, day: Day) -> bool {
        self.from <= day && day <= self.to
    }

    /// The days both ranges hold, if any.
    pub fn intersect(self, other: DayRange) -> Option<DayRange> {
        DayRange::new(self.from.max(other.from), self.to.min(other.to))
    }

    /// The days of the range, in order.
    pub fn days(self) -> impl Iterator<Item = Day> {
        (self.from.0..=self.to.0).map(Day)
    }
}

/// The named periods of the spec, relative to today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Today,
    Yesterday,
    ThisWeek,
    LastWeek,
    ThisMonth,
    LastMonth,
}

/// A period name that is not one of the six.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown period '{0}' (expected today, yesterday, this_week, last_week, this_month or last_month)"
)]
pub struct UnknownPeriod(pub String);

impl FromStr for Period {
    type Err = UnknownPeriod;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "today" => Period::Today,
            "yesterday" => Period::Yesterday,
            "this_week" => Period::ThisWeek,
            "last_week" => Period::LastWeek,
            "this_month" => Period::ThisMonth,
            "last_month" => Period::LastMonth,
            _ => return Err(UnknownPeriod(s.to_owned())),
        })
    }
}

/// A time zone or week start that Tally cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown time zone '{0}' (use an IANA name such as Asia/Ho_Chi_Minh)")]
    TimeZone(String),
    #[error("unknown week start '{0}' (use a weekday name such as monday)")]
    WeekStart(String),
}

/// The organization's calendar: its time zone and the first day of its week.
#[derive(Clone, Debug)]
pub struct Calendar {
    tz: TimeZone,
    tz_name: String,
    week_start: Weekday,
}

impl Calendar {
    /// A calendar from an IANA zone name and a weekday name (`monday` … `sunday`).
    pub fn new(tz_name: &str, week_start: &str) -> Result<Calendar, CalendarError> {
        let tz = TimeZone::get(tz_name).map_err(|_| CalendarError::TimeZone(tz_name.into()))?;
        let week_start = parse_weekday(week_start)
            .ok_or_else(|| CalendarError::WeekStart(week_start.to_owned()))?;
        Ok(Calendar {
            tz,
            tz_name: tz_name.to_owned(),
            week_start,
        })
    }

    /// The time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The zone's IANA name, as configured.
    pub fn time_zone_name(&self) -> &str {
        &self.tz_name
    }

    /// The local day of an instant.
    pub fn day_of(&self, at: Timestamp) -> Day {
        Day::from_date(at.to_zoned_datetime(self.tz.clone()).date())
    }

    /// The local day of an instant and how much of that day has passed (0 to 1).
    pub fn day_and_elapsed(&self, at: Timestamp) -> (Day, rust_decimal::Decimal) {
        let local = at.to_zoned_datetime(self.tz.clone());
        let time = local.time();
        let seconds = i64::from(time.hour()) * 3600
            + i64::from(time.minute()) * 60
            + i64::from(time.second());
        let elapsed = rust_decimal::Decimal::from(seconds) / rust_decimal::Decimal::from(86_400);
        (Day::from_date(local.date()), elapsed)
    }

    /// The days of a named period, for the local day `today`.
    pub fn period(&self, period: Period, today: Day) -> DayRange {
        match period {
            Period::Today => DayRange::single(today),
            Period::Yesterday => DayRange::single(today.plus(-1)),
            Period::ThisWeek => self.week_of(today),
            Period::LastWeek => self.week_of(today.plus(-7)),
            Period::ThisMonth => month_of(today),
            Period::LastMonth => month_of(month_of(today).from.plus(-1)),
        }
    }

    /// The week (from the organization's week start) that holds `day`.
    pub fn week_of(&self, day: Day) -> DayRange {
        let weekday = i32::from(day.date().weekday().to_monday_zero_offset());
        let start = i32::from(self.week_start.to_monday_zero_offset());
        let from = day.plus(-(weekday - start).rem_euclid(7));
        DayRange {
            from,
            to: from.plus(6),
        }
    }
}

/// The calendar month that holds `day`.
pub fn month_of(day: Day) -> DayRange {
    let date = day.date();
    let from = Day::from_date(date.first_of_month());
    DayRange {
        from,
        to: from.plus(i32::from(date.days_in_month()) - 1),
    }
}

/// The `count` calendar months up to the one that holds `last`, oldest first; the last
/// of them ends on `last` (a month's days to come have nothing to show yet).
pub fn months_up_to(last: Day, count: usize) -> Vec<DayRange> {
    let mut months = Vec::with_capacity(count);
    let mut month = month_of(last);
    month.to = last;
    for _ in 0..count {
        months.push(month);
        month = month_of(month.from.plus(-1));
    }
    months.reverse();
    months
}

fn parse_weekday(name: &str) -> Option<Weekday> {
    Some(match name.to_ascii_lowercase().as_str() {
        "monday" => Weekday::Monday,
        "tuesday" => Weekday::Tuesday,
        "wednesday" => Weekday::Wednesday,
        "thursday" => Weekday::Thursday,
        "friday" => Weekday::Friday,
        "saturday" => Weekday::Saturday,
        "sunday" => Weekday::Sunday,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    fn hcm() -> Calendar {
        Calendar::new("Asia/Ho_Chi_Minh", "monday").unwrap()
    }

    fn range(from: &str, to: &str) -> DayRange {
        DayRange::new(day(from), day(to)).unwrap()
    }

    #[test]
    fn day_numbers_round_trip_through_dates() {
        assert_eq!(day("1970-01-01").number(), 0);
        assert_eq!(day("1969-12-31").number(), -1);
        for n in [-800_000, -1, 0, 1, 20_000, 2_000_000] {
            assert_eq!(Day::from_date(Day::from_number(n).date()).number(), n);
        }
        assert_eq!(day("2026-11-27").to_string(), "2026-11-27");
    }

    #[test]
    fn thirteen_months_end_on_the_last_day_shown() {
        let months = months_up_to(day("2026-11-29"), 13);
        assert_eq!(months.len(), 13);
        assert_eq!(months[0], range("2025-11-01", "2025-11-30"));
        assert_eq!(months[3], range("2026-02-01", "2026-02-28"));
        assert_eq!(months[12], range("2026-11-01", "2026-11-29"));
        for pair in months.windows(2) {
            assert_eq!(pair[0].to.plus(1), pair[1].from);
        }
    }

    #[test]
    fn malformed_days_are_refused() {
        for bad in [
            "2026-2-01",
            "2026-02-30",
            "20260201",
            "2026-02-01T00:00",
            "",
        ] {
            assert!(bad.parse::<Day>().is_err(), "{bad}");
        }
    }

    #[test]
    fn local_midnight_in_other_offsets_falls_on_the_organizations_day() {
        let cal = hcm();
        // 17:00 UTC is midnight in Ho Chi Minh City (UTC+7).
        let ts = |s: &str| s.parse::<Timestamp>().unwrap();
        assert_eq!(cal.day_of(ts("2026-11-26T16:59:59Z")), day("2026-11-26"));
        assert_eq!(cal.day_of(ts("2026-11-26T17:00:00Z")), day("2026-11-27"));
        // The same instant written in New York time (UTC-5).
        assert_eq!(
            cal.day_of(ts("2026-11-26T12:00:00-05:00")),
            day("2026-11-27")
        );
        assert_eq!(
            cal.day_of(ts("2026-11-27T06:59:59+09:00")),
            day("2026-11-27")
        );
        assert_eq!(
            cal.day_of(ts("2026-11-27T00:00:00+07:00")),
            day("2026-11-27")
        );
        assert_eq!(
            cal.day_of(ts("2026-11-26T23:59:59+07:00")),
            day("2026-11-26")
        );
    }

    #[test]
    fn a_day_in_a_zone_with_daylight_saving_follows_the_zone() {
        let cal = Calendar::new("Europe/Berlin", "monday").unwrap();
        let ts = |s: &str| s.parse::<Timestamp>().unwrap();
        // Summer: UTC+2; winter: UTC+1.
        assert_eq!(cal.day_of(ts("2026-07-01T22:30:00Z")), day("2026-07-02"));
        assert_eq!(cal.day_of(ts("2026-12-01T22:30:00Z")), day("2026-12-01"));
    }

    #[test]
    fn month_ends_hold_the_right_number_of_days() {
        assert_eq!(
            month_of(day("2026-02-14")),
            range("2026-02-01", "2026-02-28")
        );
        assert_eq!(
            month_of(day("2028-02-29")),
            range("2028-02-01", "2028-02-29")
        );
        assert_eq!(
            month_of(day("2026-12-31")),
            range("2026-12-01", "2026-12-31")
        );
        assert_eq!(month_of(day("2026-04-01")).len(), 30);
    }

    #[test]
    fn last_month_from_the_first_of_january_is_last_december() {
        let cal = hcm();
        assert_eq!(
            cal.period(Period::LastMonth, day("2027-01-01")),
            range("2026-12-01", "2026-12-31")
        );
        assert_eq!(
            cal.period(Period::LastMonth, day("2026-03-31")),
            range("2026-02-01", "2026-02-28")
        );
    }

    #[test]
    fn weeks_start_on_the_configured_weekday() {
        // 2026-11-27 is a Friday.
        let monday = hcm();
        assert_eq!(
            monday.period(Period::ThisWeek, day("2026-11-27")),
            range("2026-11-23", "2026-11-29")
        );
        assert_eq!(
            monday.period(Period::LastWeek, day("2026-11-27")),
            range("2026-11-16", "2026-11-22")
        );
        assert_eq!(
            monday.period(Period::ThisWeek, day("2026-11-23")),
            range("2026-11-23", "2026-11-29")
        );
        let sunday = Calendar::new("Asia/Ho_Chi_Minh", "sunday").unwrap();
        assert_eq!(
            sunday.period(Period::ThisWeek, day("2026-11-27")),
            range("2026-11-22", "2026-11-28")
        );
        assert_eq!(
            sunday.period(Period::ThisWeek, day("2026-11-29")),
            range("2026-11-29", "2026-12-05")
        );
    }

    #[test]
    fn a_week_across_a_month_end_keeps_its_seven_days() {
        let cal = hcm();
        let week = cal.period(Period::ThisWeek, day("2026-12-02"));
        assert_eq!(week, range("2026-11-30", "2026-12-06"));
        assert_eq!(week.len(), 7);
    }

    #[test]
    fn today_and_yesterday_are_single_days() {
        let cal = hcm();
        assert_eq!(
            cal.period(Period::Today, day("2026-03-01")),
            range("2026-03-01", "2026-03-01")
        );
        assert_eq!(
            cal.period(Period::Yesterday, day("2026-03-01")),
            range("2026-02-28", "2026-02-28")
        );
    }

    #[test]
    fn ranges_over_a_month_end_count_and_intersect_by_day() {
        let r = range("2026-01-25", "2026-02-05");
        assert_eq!(r.len(), 12);
        assert_eq!(r.days().count(), 12);
        assert_eq!(
            r.intersect(month_of(day("2026-02-01"))),
            Some(range("2026-02-01", "2026-02-05"))
        );
        assert_eq!(r.intersect(range("2026-03-01", "2026-03-02")), None);
        assert!(DayRange::new(day("2026-02-05"), day("2026-01-25")).is_none());
    }

    #[test]
    fn unknown_zones_and_weekdays_are_named() {
        assert_eq!(
            Calendar::new("Mars/Base", "monday").unwrap_err(),
            CalendarError::TimeZone("Mars/Base".into())
        );
        assert!(Calendar::new("UTC", "funday").is_err());
        assert!("someday".parse::<Period>().is_err());
    }
}
