//! Working-day arithmetic: bank holidays of England and Wales, council closures,
//! and the day-0 counting rule. Pure functions of dates; no clock, no I/O.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use std::collections::BTreeMap;

/// Why a date is not a working day, for `--explain` output and `workdays` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayOff {
    Weekend(Weekday),
    BankHoliday(&'static str),
    Closure(String),
}

impl std::fmt::Display for DayOff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DayOff::Weekend(w) => write!(f, "{}", weekday_name(*w)),
            DayOff::BankHoliday(name) => write!(f, "bank holiday: {name}"),
            DayOff::Closure(why) => write!(f, "council closure: {why}"),
        }
    }
}

pub fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// The date in England of an instant: deadlines count in Europe/London, times are stored in UTC.
pub fn london_date(at: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    at.with_timezone(&chrono_tz::Europe::London).date_naive()
}

/// `2026-12-24 Thu`: the form every command prints dates in.
pub fn show(d: NaiveDate) -> String {
    format!(
        "{} {}",
        d.format("%Y-%m-%d"),
        &weekday_name(d.weekday())[..3]
    )
}

/// Easter Sunday (Gregorian), by the anonymous Gregorian computus (Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    ymd(year, month as u32, day as u32)
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("calendar arithmetic produced a valid date")
}

fn first_monday(year: i32, month: u32) -> NaiveDate {
    let mut d = ymd(year, month, 1);
    while d.weekday() != Weekday::Mon {
        d += Duration::days(1);
    }
    d
}

fn last_monday(year: i32, month: u32) -> NaiveDate {
    let next = if month == 12 {
        ymd(year + 1, 1, 1)
    } else {
        ymd(year, month + 1, 1)
    };
    let mut d = next - Duration::days(1);
    while d.weekday() != Weekday::Mon {
        d -= Duration::days(1);
    }
    d
}

fn next_weekday_on_or_after(mut d: NaiveDate) -> NaiveDate {
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d += Duration::days(1);
    }
    d
}

/// The bank holidays of England and Wales in `year`, in date order, with their names.
///
/// Rules: New Year's Day (substitute Monday when at a weekend), Good Friday, Easter
/// Monday, early May (first Monday), spring (last Monday of May), summer (last Monday
/// of August), Christmas and Boxing Day (substitutes on the following weekdays), plus
/// the one-off days proclaimed since 2000 and the moves made for them.
pub fn bank_holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let mut out: Vec<(NaiveDate, &'static str)> = Vec::with_capacity(10);
    let ny = ymd(year, 1, 1);
    out.push((next_weekday_on_or_after(ny), "New Year's Day"));
    let easter = easter_sunday(year);
    out.push((easter - Duration::days(2), "Good Friday"));
    out.push((easter + Duration::days(1), "Easter Monday"));
    // Early May: moved to Friday 8 May in 2020 for the 75th anniversary of VE Day.
    if year == 2020 {
        out.push((ymd(2020, 5, 8), "Early May bank holiday (VE Day)"));
    } else {
        out.push((first_monday(year, 5), "Early May bank holiday"));
    }
    if year == 2023 {
        out.push((
            ymd(2023, 5, 8),
            "Bank holiday for the coronation of King Charles III",
        ));
    }
    // Spring: moved for the Golden (2002), Diamond (2012) and Platinum (2022) jubilees.
    match year {
        2002 => {
            out.push((ymd(2002, 6, 3), "Golden Jubilee bank holiday"));
            out.push((ymd(2002, 6, 4), "Spring bank holiday"));
        }
        2012 => {
            out.push((ymd(2012, 6, 4), "Spring bank holiday"));
            out.push((ymd(2012, 6, 5), "Diamond Jubilee bank holiday"));
        }
        2022 => {
            out.push((ymd(2022, 6, 2), "Spring bank holiday"));
            out.push((ymd(2022, 6, 3), "Platinum Jubilee bank holiday"));
        }
        _ => out.push((last_monday(year, 5), "Spring bank holiday")),
    }
    if year == 2011 {
        out.push((ymd(2011, 4, 29), "Royal wedding bank holiday"));
    }
    out.push((last_monday(year, 8), "Summer bank holiday"));
    if year == 2022 {
        out.push((
            ymd(2022, 9, 19),
            "Bank Holiday for the State Funeral of Queen Elizabeth II",
        ));
    }
    let xmas = ymd(year, 12, 25);
    match xmas.weekday() {
        // Sat 25, Sun 26: both substituted, Mon 27 and Tue 28.
        Weekday::Sat => {
            out.push((ymd(year, 12, 27), "Christmas Day (substitute day)"));
            out.push((ymd(year, 12, 28), "Boxing Day (substitute day)"));
        }
        // Sun 25: Boxing Day is Monday 26, Christmas moves to Tuesday 27.
        Weekday::Sun => {
            out.push((ymd(year, 12, 26), "Boxing Day"));
            out.push((ymd(year, 12, 27), "Christmas Day (substitute day)"));
        }
        // Fri 25: Boxing Day falls on Saturday, substituted by Monday 28.
        Weekday::Fri => {
            out.push((xmas, "Christmas Day"));
            out.push((ymd(year, 12, 28), "Boxing Day (substitute day)"));
        }
        _ => {
            out.push((xmas, "Christmas Day"));
            out.push((ymd(year, 12, 26), "Boxing Day"));
        }
    }
    if year == 1999 {
        out.push((ymd(1999, 12, 31), "Millennium Eve"));
    }
    out.sort_by_key(|(d, _)| *d);
    out
}

/// A working-day calendar: Monday to Friday, less bank holidays and the council's
/// configured closure days.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    /// Extra non-working days (e.g. the Christmas closure), with the council's reason.
    closures: BTreeMap<NaiveDate, String>,
}

impl Calendar {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_closures<I: IntoIterator<Item = (NaiveDate, String)>>(closures: I) -> Self {
        Calendar {
            closures: closures.into_iter().collect(),
        }
    }

    pub fn closures(&self) -> &BTreeMap<NaiveDate, String> {
        &self.closures
    }

    /// Why `d` is not a working day, or `None` when it is one.
    pub fn day_off(&self, d: NaiveDate) -> Option<DayOff> {
        if let w @ (Weekday::Sat | Weekday::Sun) = d.weekday() {
            return Some(DayOff::Weekend(w));
        }
        if let Some((_, name)) = bank_holidays(d.year()).into_iter().find(|(h, _)| *h == d) {
            return Some(DayOff::BankHoliday(name));
        }
        self.closures
            .get(&d)
            .map(|why| DayOff::Closure(why.clone()))
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        self.day_off(d).is_none()
    }

    /// The date `n` working days after `start`, by the day-0 rule: `start` is day 0
    /// whatever kind of day it is, and each later working day counts one. Mail that
    /// arrives on a Saturday therefore has day 1 on Monday (Tuesday after a bank
    /// holiday Monday). `n = 0` gives `start` itself.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        let mut left = n;
        // Cache one year of holidays at a time: this runs for every deadline of every case.
        let mut year = d.year();
        let mut hols = bank_holidays(year);
        while left > 0 {
            d += Duration::days(1);
            if d.year() != year {
                year = d.year();
                hols = bank_holidays(year);
            }
            let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
            if !weekend && !hols.iter().any(|(h, _)| *h == d) && !self.closures.contains_key(&d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days after `a` up to and including `b` (so that
    /// `working_days_between(a, add_working_days(a, n)) == n`); negative when `b < a`.
    pub fn working_days_between(&self, a: NaiveDate, b: NaiveDate) -> i64 {
        if b < a {
            return -self.working_days_between(b, a);
        }
        let mut n = 0;
        let mut d = a;
        while d < b {
            d += Duration::days(1);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }

    /// The non-working days strictly after `a` up to and including `b`, with reasons:
    /// what a count from `a` to `b` skipped.
    pub fn skipped(&self, a: NaiveDate, b: NaiveDate) -> Vec<(NaiveDate, DayOff)> {
        let mut out = Vec::new();
        let mut d = a;
        while d < b {
            d += Duration::days(1);
            if let Some(off) = self.day_off(d) {
                out.push((d, off));
            }
        }
        out
    }

    /// The first working day on or after `d`.
    pub fn next_working_day_on_or_after(&self, mut d: NaiveDate) -> NaiveDate {
        while !self.is_working_day(d) {
            d += Duration::days(1);
        }
        d
    }

    /// The moment `hours` office hours after `start`: office hours are 09:00-17:00
    /// London time on working days, so mail in at 16:00 on a Friday with 4 hours to go
    /// is due at 12:00 on Monday (Tuesday on a bank holiday Monday). Mail that arrives
    /// outside office hours starts counting at the next opening.
    pub fn add_office_hours(
        &self,
        start: chrono::DateTime<chrono::Utc>,
        hours: u32,
    ) -> chrono::DateTime<chrono::Utc> {
        use chrono::{NaiveTime, TimeZone};
        let tz = chrono_tz::Europe::London;
        let open = NaiveTime::from_hms_opt(OFFICE_OPENS, 0, 0).unwrap_or_default();
        let close = NaiveTime::from_hms_opt(OFFICE_CLOSES, 0, 0).unwrap_or_default();
        let local = start.with_timezone(&tz).naive_local();
        let (mut day, mut at) = (local.date(), local.time());
        let mut left = chrono::Duration::hours(hours as i64);
        loop {
            if !self.is_working_day(day) || at >= close {
                day = self.next_working_day_on_or_after(day + Duration::days(1));
                at = open;
                continue;
            }
            at = at.max(open);
            let room = close - at;
            if left <= room {
                let when = day.and_time(at + left);
                // Office hours never fall in the hour the clocks skip or repeat (01:00-02:00).
                return tz
                    .from_local_datetime(&when)
                    .earliest()
                    .map_or(start, |t| t.with_timezone(&chrono::Utc));
            }
            left -= room;
            at = close;
        }
    }
}

/// Office hours, London time, for counting a wait in working hours.
pub const OFFICE_OPENS: u32 = 9;
pub const OFFICE_CLOSES: u32 = 17;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_hours_count_09_to_17_on_working_days_only() {
        let cal = Calendar::new();
        let utc = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        // Monday 7 December 2026 (GMT) 10:00, 4 hours: 14:00 the same day.
        assert_eq!(
            cal.add_office_hours(utc("2026-12-07T10:00:00Z"), 4),
            utc("2026-12-07T14:00:00Z")
        );
        // Friday 11 December 16:00: one hour that day, three on Monday 14th: 12:00.
        assert_eq!(
            cal.add_office_hours(utc("2026-12-11T16:00:00Z"), 4),
            utc("2026-12-14T12:00:00Z")
        );
        // Thursday 24 December 20:00: Christmas Day, Boxing Day (a Saturday; the
        // substitute Monday 28th) are not working days: Tuesday 29th 13:00.
        assert_eq!(
            cal.add_office_hours(utc("2026-12-24T20:00:00Z"), 4),
            utc("2026-12-29T13:00:00Z")
        );
        // In British Summer Time, 09:00 London is 08:00 UTC: Wednesday 1 July 2026
        // 06:00 UTC (07:00 London), 2 hours: 11:00 London, 10:00 UTC.
        assert_eq!(
            cal.add_office_hours(utc("2026-07-01T06:00:00Z"), 2),
            utc("2026-07-01T10:00:00Z")
        );
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn easter_dates_match_published_tables() {
        assert_eq!(easter_sunday(2000), d("2000-04-23"));
        assert_eq!(easter_sunday(2019), d("2019-04-21"));
        assert_eq!(easter_sunday(2024), d("2024-03-31"));
        assert_eq!(easter_sunday(2026), d("2026-04-05"));
        assert_eq!(easter_sunday(2038), d("2038-04-25"));
        assert_eq!(easter_sunday(2285), d("2285-03-22"));
    }

    #[test]
    fn saturday_receipt_has_day_one_on_monday() {
        let cal = Calendar::new();
        assert_eq!(cal.add_working_days(d("2026-11-21"), 1), d("2026-11-23"));
    }

    #[test]
    fn saturday_receipt_before_bank_holiday_monday_has_day_one_on_tuesday() {
        let cal = Calendar::new();
        // Summer bank holiday 2026 is Monday 31 August.
        assert_eq!(cal.add_working_days(d("2026-08-29"), 1), d("2026-09-01"));
    }

    #[test]
    fn zero_working_days_is_the_start_day() {
        let cal = Calendar::new();
        assert_eq!(cal.add_working_days(d("2026-11-21"), 0), d("2026-11-21"));
    }

    #[test]
    fn closures_are_skipped_and_named() {
        let cal = Calendar::with_closures([(d("2026-12-29"), "Christmas closure".to_string())]);
        // Thu 24 Dec + 1 = Tue 29 Dec without the closure (25 Fri, 28 Mon holidays).
        assert_eq!(cal.add_working_days(d("2026-12-24"), 1), d("2026-12-30"));
        assert_eq!(
            cal.day_off(d("2026-12-29")),
            Some(DayOff::Closure("Christmas closure".into()))
        );
    }

    #[test]
    fn between_is_the_inverse_of_add() {
        let cal = Calendar::new();
        let start = d("2026-03-20");
        for n in 0..80 {
            let end = cal.add_working_days(start, n);
            assert_eq!(cal.working_days_between(start, end), n as i64);
        }
        assert_eq!(
            cal.working_days_between(d("2026-03-27"), d("2026-03-20")),
            -5
        );
    }
}
