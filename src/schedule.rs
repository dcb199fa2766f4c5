//! Cron schedules, pure: when a schedule next fires (in London time), whether one has
//! come round since it last fired, and which report period a scheduled report covers.
//! The job runner that acts on them is [`crate::scheduler`].

use chrono::{DateTime, NaiveDate, Utc};
use std::str::FromStr;

/// The next time `schedule` fires after `after`, counted in London time.
pub fn next_fire(schedule: &str, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let s = cron::Schedule::from_str(schedule).ok()?;
    let london = after.with_timezone(&chrono_tz::Europe::London);
    s.after(&london).next().map(|d| d.with_timezone(&Utc))
}

/// What a schedule should do on a pass at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firing {
    /// Never seen before: start its clock at `now`, fire nothing.
    Start,
    /// Not due yet (or the schedule does not parse).
    Wait,
    /// Due: the firing time that has come round (at most one per pass, however long
    /// the daemon was down).
    Fire(DateTime<Utc>),
}

/// Whether a schedule that last fired at `last` (None: never seen) fires at `now`.
pub fn firing(schedule: &str, last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Firing {
    let Some(last) = last else {
        return Firing::Start;
    };
    match next_fire(schedule, last) {
        Some(fire) if fire <= now => Firing::Fire(fire),
        _ => Firing::Wait,
    }
}

/// The report period a scheduled report covers, seen from `today`.
pub fn previous_period(kind: &str, today: NaiveDate) -> Option<String> {
    use chrono::Datelike;
    let (y, m) = (today.year(), today.month());
    match kind {
        "previous-month" => Some(if m == 1 {
            format!("{}-12", y - 1)
        } else {
            format!("{y}-{:02}", m - 1)
        }),
        "previous-quarter" => {
            let q = (m - 1) / 3 + 1;
            Some(if q == 1 {
                format!("{}-Q4", y - 1)
            } else {
                format!("{y}-Q{}", q - 1)
            })
        }
        "previous-financial-year" => {
            // April to March: the one before the year that today falls in.
            let start = if m >= 4 { y - 1 } else { y - 2 };
            Some(format!("{start}-{:02}", (start + 1) % 100))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn scheduled_reports_cover_the_period_just_ended() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            previous_period("previous-month", d("2027-01-01")).unwrap(),
            "2026-12"
        );
        assert_eq!(
            previous_period("previous-month", d("2026-11-01")).unwrap(),
            "2026-10"
        );
        assert_eq!(
            previous_period("previous-quarter", d("2026-10-01")).unwrap(),
            "2026-Q3"
        );
        assert_eq!(
            previous_period("previous-quarter", d("2027-02-01")).unwrap(),
            "2026-Q4"
        );
        assert_eq!(
            previous_period("previous-financial-year", d("2027-04-01")).unwrap(),
            "2026-27"
        );
        assert_eq!(
            previous_period("previous-financial-year", d("2027-03-31")).unwrap(),
            "2025-26"
        );
        assert_eq!(previous_period("next-month", d("2027-03-31")), None);
    }

    #[test]
    fn weekday_mornings_in_london_time() {
        // Fri 27 Nov 2026 10:00 UTC: next 08:00 London on a weekday is Mon 30 Nov 08:00 GMT.
        let after = at("2026-11-27T10:00:00Z");
        let next = next_fire("0 0 8 * * Mon-Fri", after).unwrap();
        assert_eq!(next.to_rfc3339(), "2026-11-30T08:00:00+00:00");
        // In summer time 08:00 London is 07:00 UTC.
        let after = at("2026-07-01T09:00:00Z");
        assert_eq!(
            next_fire("0 0 8 * * Mon-Fri", after).unwrap().to_rfc3339(),
            "2026-07-02T07:00:00+00:00"
        );
    }

    #[test]
    fn a_schedule_starts_its_clock_then_fires_once_per_pass() {
        let daily = "0 0 8 * * *";
        let now = at("2026-12-22T09:00:00Z");
        assert_eq!(firing(daily, None, now), Firing::Start);
        // Last fired an hour ago: the next 08:00 is tomorrow.
        assert_eq!(
            firing(daily, Some(at("2026-12-22T08:00:00Z")), now),
            Firing::Wait
        );
        // Down for a week: one firing, the first one missed, not seven.
        assert_eq!(
            firing(daily, Some(at("2026-12-15T08:00:00Z")), now),
            Firing::Fire(at("2026-12-16T08:00:00Z"))
        );
        // Exactly on time fires.
        assert_eq!(
            firing(
                daily,
                Some(at("2026-12-21T08:00:00Z")),
                at("2026-12-22T08:00:00Z")
            ),
            Firing::Fire(at("2026-12-22T08:00:00Z"))
        );
        assert_eq!(firing("not a schedule", Some(now), now), Firing::Wait);
    }
}
