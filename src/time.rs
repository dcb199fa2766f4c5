//! One codec for every time the database and the letters store: instants as RFC 3339
//! UTC to the second (`2026-12-02T11:04:26Z`), dates as ISO 8601 (`2026-12-02`).
//! Stored text sorts in time order, so SQL compares it as text.

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Timelike, Utc};

/// An instant as stored: `2026-12-02T11:04:26Z`.
pub fn stamp(t: DateTime<Utc>) -> String {
    // Written digit by digit: taking in a message stores several instants, and chrono's
    // general formatter was a measurable share of it. Years outside 0-9999 and leap
    // seconds take chrono's own path (same text).
    if !(0..=9999).contains(&t.year()) || t.nanosecond() >= 1_000_000_000 {
        return t.to_rfc3339_opts(SecondsFormat::Secs, true);
    }
    let mut s = String::with_capacity(20);
    push_date(&mut s, t.year(), t.month(), t.day());
    s.push('T');
    push_2(&mut s, t.hour());
    s.push(':');
    push_2(&mut s, t.minute());
    s.push(':');
    push_2(&mut s, t.second());
    s.push('Z');
    s
}

/// A date as stored: `2026-12-02`.
pub fn iso(d: NaiveDate) -> String {
    if !(0..=9999).contains(&d.year()) {
        return d.format("%Y-%m-%d").to_string();
    }
    let mut s = String::with_capacity(10);
    push_date(&mut s, d.year(), d.month(), d.day());
    s
}

/// The hour an instant falls in, as the hourly letter count keys it: `2026-12-02T11`.
pub fn hour(t: DateTime<Utc>) -> String {
    if !(0..=9999).contains(&t.year()) {
        return t.format("%Y-%m-%dT%H").to_string();
    }
    let mut s = String::with_capacity(13);
    push_date(&mut s, t.year(), t.month(), t.day());
    s.push('T');
    push_2(&mut s, t.hour());
    s
}

/// `YYYY-MM-DD` for a year in 0-9999.
fn push_date(s: &mut String, year: i32, month: u32, day: u32) {
    let y = year as u32;
    push_2(s, y / 100);
    push_2(s, y % 100);
    s.push('-');
    push_2(s, month);
    s.push('-');
    push_2(s, day);
}

fn push_2(s: &mut String, n: u32) {
    s.push(char::from(b'0' + (n / 10 % 10) as u8));
    s.push(char::from(b'0' + (n % 10) as u8));
}

/// The start of a day, as a stored instant: `2026-12-02T00:00:00Z`.
pub fn day_start(d: NaiveDate) -> String {
    format!("{}T00:00:00Z", iso(d))
}

/// A stored instant back; `None` when the text is not RFC 3339.
pub fn parse_stamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A stored date back; `None` when the text is not `YYYY-MM-DD`.
pub fn parse_iso(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// A time typed by a person (`--now`, `--received`, the desk's received date): RFC 3339,
/// or a date, taken as 09:00 London time that day.
pub fn parse_now(s: &str) -> std::result::Result<DateTime<Utc>, String> {
    use chrono::TimeZone;
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .and_then(|t| chrono_tz::Europe::London.from_local_datetime(&t).earliest())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            format!(
                "'{s}' is not an RFC 3339 time such as 2026-12-24T09:00:00Z, nor a date such as 2026-12-24"
            )
        })
}

/// An instant as a council officer reads it, in London time: "Mon 7 Dec 2026, 10:05".
pub fn in_words(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::London)
        .format("%a %-d %b %Y, %H:%M")
        .to_string()
}

/// A date as a council officer reads it: "Mon 7 Dec 2026".
pub fn day_in_words(d: NaiveDate) -> String {
    d.format("%a %-d %b %Y").to_string()
}

/// Stored text (an instant or a date) as an officer reads it; anything else unchanged.
pub fn stored_in_words(s: &str) -> String {
    if let Some(t) = parse_stamp(s) {
        in_words(t)
    } else if let Some(d) = parse_iso(s) {
        day_in_words(d)
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn officers_read_london_time() {
        // Winter: London is UTC.
        let t = parse_stamp("2026-12-07T10:05:00Z").unwrap();
        assert_eq!(in_words(t), "Mon 7 Dec 2026, 10:05");
        // Summer time: an hour ahead, and past midnight the day after.
        let t = parse_stamp("2026-07-01T23:30:00Z").unwrap();
        assert_eq!(in_words(t), "Thu 2 Jul 2026, 00:30");
        assert_eq!(
            day_in_words(parse_iso("2026-12-24").unwrap()),
            "Thu 24 Dec 2026"
        );
        assert_eq!(stored_in_words("2026-12-24"), "Thu 24 Dec 2026");
        assert_eq!(
            stored_in_words("2026-03-29T01:00:00Z"),
            "Sun 29 Mar 2026, 02:00"
        );
        assert_eq!(stored_in_words("not a time"), "not a time");
    }

    #[test]
    fn stored_text_is_chronos_own_to_the_character() {
        // Every day of 1999-2101, several times of day, and the edges of the years the
        // fast path writes itself; outside them chrono writes it.
        let mut d = NaiveDate::from_ymd_opt(1999, 1, 1).unwrap();
        let end = NaiveDate::from_ymd_opt(2101, 12, 31).unwrap();
        let mut days = 0;
        while d <= end {
            assert_eq!(iso(d), d.format("%Y-%m-%d").to_string());
            for (h, m, sec) in [(0, 0, 0), (9, 5, 7), (23, 59, 59)] {
                let t = d.and_hms_opt(h, m, sec).unwrap().and_utc();
                assert_eq!(stamp(t), t.to_rfc3339_opts(SecondsFormat::Secs, true));
                assert_eq!(hour(t), t.format("%Y-%m-%dT%H").to_string());
            }
            d = d.succ_opt().unwrap();
            days += 1;
        }
        assert_eq!(days, 37_620);
        for (y, m, dd) in [
            (0, 1, 1),
            (9, 3, 4),
            (999, 12, 31),
            (9999, 12, 31),
            (10000, 1, 1),
            (-1, 6, 1),
        ] {
            let d = NaiveDate::from_ymd_opt(y, m, dd).unwrap();
            let t = d.and_hms_opt(1, 2, 3).unwrap().and_utc();
            assert_eq!(iso(d), d.format("%Y-%m-%d").to_string(), "{y}");
            assert_eq!(
                stamp(t),
                t.to_rfc3339_opts(SecondsFormat::Secs, true),
                "{y}"
            );
            assert_eq!(hour(t), t.format("%Y-%m-%dT%H").to_string(), "{y}");
        }
        // Sub-second parts are dropped, as chrono drops them at `Secs`.
        let t = parse_stamp("2026-12-02T11:04:26.987654Z").unwrap();
        assert_eq!(stamp(t), "2026-12-02T11:04:26Z");
    }

    #[test]
    fn instants_and_dates_round_trip_in_the_stored_form() {
        let t = parse_stamp("2026-12-02T11:04:26+00:00").unwrap();
        assert_eq!(stamp(t), "2026-12-02T11:04:26Z");
        let d = parse_iso("2026-12-24").unwrap();
        assert_eq!(iso(d), "2026-12-24");
        assert_eq!(day_start(d), "2026-12-24T00:00:00Z");
        assert_eq!(parse_iso("24/12/2026"), None);
        assert_eq!(parse_stamp("2026-12-24"), None);
    }
}
