//! The calendar against the published GOV.UK list of bank holidays in England and
//! Wales (https://www.gov.uk/bank-holidays), copied here as data, 2018-2027.

use chrono::NaiveDate;
use redress::calendar::{bank_holidays, Calendar};

const GOV_UK: &[(i32, &[&str])] = &[
    (
        2018,
        &[
            "2018-01-01",
            "2018-03-30",
            "2018-04-02",
            "2018-05-07",
            "2018-05-28",
            "2018-08-27",
            "2018-12-25",
            "2018-12-26",
        ],
    ),
    (
        2019,
        &[
            "2019-01-01",
            "2019-04-19",
            "2019-04-22",
            "2019-05-06",
            "2019-05-27",
            "2019-08-26",
            "2019-12-25",
            "2019-12-26",
        ],
    ),
    (
        2020,
        &[
            "2020-01-01",
            "2020-04-10",
            "2020-04-13",
            "2020-05-08",
            "2020-05-25",
            "2020-08-31",
            "2020-12-25",
            "2020-12-28",
        ],
    ),
    (
        2021,
        &[
            "2021-01-01",
            "2021-04-02",
            "2021-04-05",
            "2021-05-03",
            "2021-05-31",
            "2021-08-30",
            "2021-12-27",
            "2021-12-28",
        ],
    ),
    (
        2022,
        &[
            "2022-01-03",
            "2022-04-15",
            "2022-04-18",
            "2022-05-02",
            "2022-06-02",
            "2022-06-03",
            "2022-08-29",
            "2022-09-19",
            "2022-12-26",
            "2022-12-27",
        ],
    ),
    (
        2023,
        &[
            "2023-01-02",
            "2023-04-07",
            "2023-04-10",
            "2023-05-01",
            "2023-05-08",
            "2023-05-29",
            "2023-08-28",
            "2023-12-25",
            "2023-12-26",
        ],
    ),
    (
        2024,
        &[
            "2024-01-01",
            "2024-03-29",
            "2024-04-01",
            "2024-05-06",
            "2024-05-27",
            "2024-08-26",
            "2024-12-25",
            "2024-12-26",
        ],
    ),
    (
        2025,
        &[
            "2025-01-01",
            "2025-04-18",
            "2025-04-21",
            "2025-05-05",
            "2025-05-26",
            "2025-08-25",
            "2025-12-25",
            "2025-12-26",
        ],
    ),
    (
        2026,
        &[
            "2026-01-01",
            "2026-04-03",
            "2026-04-06",
            "2026-05-04",
            "2026-05-25",
            "2026-08-31",
            "2026-12-25",
            "2026-12-28",
        ],
    ),
    (
        2027,
        &[
            "2027-01-01",
            "2027-03-26",
            "2027-03-29",
            "2027-05-03",
            "2027-05-31",
            "2027-08-30",
            "2027-12-27",
            "2027-12-28",
        ],
    ),
];

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn bank_holidays_match_gov_uk_2018_to_2027() {
    for (year, expected) in GOV_UK {
        let got: Vec<String> = bank_holidays(*year)
            .iter()
            .map(|(d, _)| d.to_string())
            .collect();
        assert_eq!(got, *expected, "bank holidays of {year}");
    }
}

#[test]
fn one_off_holidays_since_2000_are_there_with_their_moves() {
    let has = |s: &str| {
        let day = d(s);
        bank_holidays(chrono::Datelike::year(&day))
            .iter()
            .any(|(h, _)| *h == day)
    };
    for day in [
        "2002-06-03",
        "2002-06-04",
        "2011-04-29",
        "2012-06-04",
        "2012-06-05",
        "2020-05-08",
        "2022-06-02",
        "2022-06-03",
        "2022-09-19",
        "2023-05-08",
    ] {
        assert!(has(day), "{day} should be a bank holiday");
    }
    // The days the moved holidays would otherwise have fallen on.
    for day in ["2002-05-27", "2012-05-28", "2020-05-04", "2022-05-30"] {
        assert!(!has(day), "{day} was moved and is a working day");
    }
}

#[test]
fn every_year_has_eight_holidays_except_the_proclaimed_extras() {
    for year in 2000..=2100 {
        let n = bank_holidays(year).len();
        let expected = match year {
            2002 | 2011 | 2012 | 2023 => 9,
            2022 => 10,
            _ => 8,
        };
        assert_eq!(n, expected, "{year}");
        assert!(bank_holidays(year)
            .iter()
            .all(|(h, _)| chrono::Datelike::weekday(h).number_from_monday() <= 5));
    }
}

#[test]
fn working_days_across_the_2022_jubilee_and_funeral() {
    let cal = Calendar::new();
    // Wed 1 Jun 2022 + 1 WD: Thu 2 and Fri 3 June are holidays, so Mon 6 June.
    assert_eq!(cal.add_working_days(d("2022-06-01"), 1), d("2022-06-06"));
    // Fri 16 Sep 2022 + 1 WD: Mon 19 Sep is the state funeral, so Tue 20 Sep.
    assert_eq!(cal.add_working_days(d("2022-09-16"), 1), d("2022-09-20"));
    // Fri 5 May 2023 + 2 WD: Mon 8 May coronation, so Tue 9 and Wed 10.
    assert_eq!(cal.add_working_days(d("2023-05-05"), 2), d("2023-05-10"));
}
