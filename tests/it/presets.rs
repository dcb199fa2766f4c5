//! The shipped policy presets, checked against dates worked out by hand from each council's
//! policy text (shared/seeds/) with a calendar. Every expected date below is a literal: it
//! was counted on paper, never computed with the code under test.
//!
//! Counting rule (day 0): the day of receipt (or of our reply) is day 0 and the next working
//! day is day 1. Working days are Monday to Friday less the bank holidays of England and
//! Wales. The holidays these tests step over:
//!   2022: Thu 2 Jun (spring, moved), Fri 3 Jun (Platinum Jubilee), Mon 19 Sep (State Funeral)
//!         - and Mon 30 May 2022 is an ordinary working day, the spring holiday having moved.
//!   2023: Mon 1 May, Mon 8 May (Coronation), Mon 29 May.
//!   2026: Fri 3 Apr, Mon 6 Apr (Easter), Mon 4 May, Mon 25 May, Mon 31 Aug,
//!         Fri 25 Dec, Mon 28 Dec (Boxing Day substitute).
//!   2027: Fri 1 Jan.

use chrono::NaiveDate;
use redress::calendar::Calendar;
use redress::deadline::{feedback_deadlines, stage_deadlines, Facts, Kind};
use redress::policy::{parse_str, Policy};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date in test")
}

fn load(name: &str) -> Policy {
    Policy::load(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The (kind, due date) pairs a stage carries for these facts, in the library's order.
fn dues(policy: &str, stage: &str, facts: &Facts) -> Vec<(Kind, NaiveDate)> {
    let p = load(policy);
    stage_deadlines(&p, stage, facts, &Calendar::new())
        .into_iter()
        .map(|due| {
            assert_eq!(due.stage, stage, "deadline reported under the wrong stage");
            (due.kind, due.due)
        })
        .collect()
}

fn feedback(policy: &str, compliment: bool, received: NaiveDate) -> Vec<(Kind, NaiveDate)> {
    let p = load(policy);
    feedback_deadlines(&p, compliment, received, &Calendar::new())
        .into_iter()
        .map(|due| (due.kind, due.due))
        .collect()
}

fn received(date: NaiveDate) -> Facts {
    Facts::received(date)
}

fn escalated(date: NaiveDate) -> Facts {
    Facts {
        escalation_requested: Some(date),
        ..Facts::default()
    }
}

/// (what, rule) rows of the preset's deadline table for one stage name.
fn table_rows(policy: &str) -> Vec<(String, String, String)> {
    load(policy)
        .preset
        .table()
        .into_iter()
        .map(|r| (r.stage, r.what, r.rule))
        .collect()
}

fn has_row(rows: &[(String, String, String)], stage: &str, what: &str, rule: &str) -> bool {
    rows.iter()
        .any(|(s, w, r)| s == stage && w == what && r == rule)
}

macro_rules! assert_row {
    ($rows:expr, $stage:expr, $what:expr, $rule:expr) => {
        assert!(
            has_row(&$rows, $stage, $what, $rule),
            "no row ({:?}, {:?}, {:?}) in {:#?}",
            $stage,
            $what,
            $rule,
            $rows
        )
    };
}

// ---------------------------------------------------------------------------------------
// Loading every preset
// ---------------------------------------------------------------------------------------

#[test]
fn every_preset_loads_by_name_with_its_stages_in_order() {
    let expected: &[(&str, &str, &[&str])] = &[
        (
            "buckinghamshire",
            "Buckinghamshire Council",
            &["stage1", "stage2"],
        ),
        (
            "stockton-on-tees",
            "Stockton-on-Tees Borough Council",
            &["early", "stage1", "stage2"],
        ),
        (
            "bath-and-north-east-somerset",
            "Bath & North East Somerset Council",
            &["stage1", "stage2"],
        ),
        ("west-lindsey", "West Lindsey District Council", &["stage1"]),
        (
            "north-norfolk",
            "North Norfolk District Council",
            &["stage1", "stage2", "stage3"],
        ),
        ("lgsco-code", "The Council", &["stage1", "stage2"]),
    ];
    for (name, council, stages) in expected {
        let p = load(name);
        assert_eq!(p.name, *name);
        assert_eq!(p.preset.council, *council, "{name}");
        let ids: Vec<&str> = p.preset.stages.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, *stages, "{name}");
        assert!(
            p.preset.day_zero_rule,
            "{name}: every preset counts by the day-0 rule"
        );
        assert!(!p.preset.outcomes.is_empty(), "{name}");
        assert!(!p.preset.retention.is_empty(), "{name}");
    }
}

#[test]
fn an_unknown_preset_name_is_refused_and_the_known_ones_are_listed() {
    let err = Policy::load("gotham").unwrap_err().to_string();
    assert!(err.contains("gotham"), "{err}");
    assert!(err.contains("west-lindsey"), "{err}");
    assert!(err.contains("lgsco-code"), "{err}");
}

#[test]
fn no_preset_lets_officers_pause_the_clock() {
    // None of the five policies nor the Code provides for stopping the clock; they extend
    // with notice instead.
    for name in [
        "buckinghamshire",
        "stockton-on-tees",
        "bath-and-north-east-somerset",
        "west-lindsey",
        "north-norfolk",
        "lgsco-code",
    ] {
        assert!(!load(name).preset.pause_allowed, "{name}");
    }
}

// ---------------------------------------------------------------------------------------
// Bath & North East Somerset (seed 002): ack 5 WD, stage 1 response 15 WD from receipt,
// 20 WD customer window then closed as resolved, stage 2 decision 10 WD, stage 2
// investigation 30 WD from its start; compliments and suggestions answered in 15 WD.
// ---------------------------------------------------------------------------------------

const BATH: &str = "bath-and-north-east-somerset";

#[test]
fn bath_stage1_acknowledged_in_5_and_answered_in_15_working_days_over_easter_2026() {
    // Received Wed 1 Apr; Fri 3 Apr and Mon 6 Apr are holidays.
    // Day 1 Thu 2 Apr, day 2 Tue 7, day 5 Fri 10, day 10 Fri 17, day 15 Fri 24 Apr.
    assert_eq!(
        dues(BATH, "stage1", &received(d(2026, 4, 1))),
        vec![
            (Kind::Acknowledge, d(2026, 4, 10)),
            (Kind::Respond, d(2026, 4, 24))
        ]
    );
}

#[test]
fn bath_stage1_acknowledged_in_5_and_answered_in_15_working_days_over_late_may_2026() {
    // Received Fri 22 May; Mon 25 May holiday. Day 1 Tue 26 May, day 5 Mon 1 Jun,
    // day 15 Mon 15 Jun.
    assert_eq!(
        dues(BATH, "stage1", &received(d(2026, 5, 22))),
        vec![
            (Kind::Acknowledge, d(2026, 6, 1)),
            (Kind::Respond, d(2026, 6, 15))
        ]
    );
}

#[test]
fn bath_stage1_received_on_the_saturday_before_the_august_2026_bank_holiday() {
    // Received Sat 29 Aug; Sun 30 and Mon 31 Aug (holiday) do not count, so day 1 is
    // Tue 1 Sep, day 5 Mon 7 Sep, day 15 Mon 21 Sep.
    assert_eq!(
        dues(BATH, "stage1", &received(d(2026, 8, 29))),
        vec![
            (Kind::Acknowledge, d(2026, 9, 7)),
            (Kind::Respond, d(2026, 9, 21))
        ]
    );
}

#[test]
fn bath_stage1_response_due_15_working_days_after_receipt_over_christmas() {
    // Received Fri 18 Dec 2026. Day 1 Mon 21, 2 Tue 22, 3 Wed 23, 4 Thu 24, (Fri 25 and
    // Mon 28 holidays) 5 Tue 29 Dec, 6 Wed 30, 7 Thu 31, (Fri 1 Jan holiday) 8 Mon 4 Jan,
    // 12 Fri 8 Jan, 15 Wed 13 Jan 2027.
    assert_eq!(
        dues(BATH, "stage1", &received(d(2026, 12, 18))),
        vec![
            (Kind::Acknowledge, d(2026, 12, 29)),
            (Kind::Respond, d(2027, 1, 13))
        ]
    );
}

#[test]
fn bath_stage1_received_on_a_sunday_counts_from_monday_as_day_1() {
    // Received Sun 15 Nov 2026: day 1 Mon 16 Nov, day 5 Fri 20 Nov, day 15 Fri 4 Dec.
    assert_eq!(
        dues(BATH, "stage1", &received(d(2026, 11, 15))),
        vec![
            (Kind::Acknowledge, d(2026, 11, 20)),
            (Kind::Respond, d(2026, 12, 4))
        ]
    );
}

#[test]
fn bath_stage1_over_the_platinum_jubilee_2022() {
    // Received Wed 1 Jun 2022; Thu 2 and Fri 3 Jun holidays. Day 1 Mon 6 Jun, day 5 Fri 10,
    // day 15 Fri 24 Jun.
    assert_eq!(
        dues(BATH, "stage1", &received(d(2022, 6, 1))),
        vec![
            (Kind::Acknowledge, d(2022, 6, 10)),
            (Kind::Respond, d(2022, 6, 24))
        ]
    );
}

#[test]
fn bath_stage1_over_the_state_funeral_holiday_19_september_2022() {
    // Received Fri 16 Sep 2022; Mon 19 Sep holiday. Day 1 Tue 20, day 5 Mon 26 Sep,
    // day 15 Mon 10 Oct.
    assert_eq!(
        dues(BATH, "stage1", &received(d(2022, 9, 16))),
        vec![
            (Kind::Acknowledge, d(2022, 9, 26)),
            (Kind::Respond, d(2022, 10, 10))
        ]
    );
}

#[test]
fn bath_stage1_over_the_coronation_holiday_8_may_2023() {
    // Received Fri 5 May 2023; Mon 8 May holiday. Day 1 Tue 9, day 5 Mon 15 May; Mon 29 May
    // is the spring holiday too, so day 14 Fri 26 May and day 15 Tue 30 May.
    assert_eq!(
        dues(BATH, "stage1", &received(d(2023, 5, 5))),
        vec![
            (Kind::Acknowledge, d(2023, 5, 15)),
            (Kind::Respond, d(2023, 5, 30))
        ]
    );
}

#[test]
fn bath_stage1_auto_closes_20_working_days_after_our_reply_over_christmas() {
    // Reply sent Thu 24 Dec 2026 (day 0). Day 1 Tue 29 Dec, day 4 Mon 4 Jan, day 8 Fri 8 Jan,
    // day 13 Fri 15, day 18 Fri 22, day 19 Mon 25, day 20 Tue 26 Jan 2027.
    let facts = Facts {
        received: Some(d(2026, 12, 1)),
        responded: Some(d(2026, 12, 24)),
        ..Facts::default()
    };
    let all = dues(BATH, "stage1", &facts);
    assert!(
        all.contains(&(Kind::EscalationWindow, d(2027, 1, 26))),
        "{all:?}"
    );
    let w = load(BATH)
        .stage("stage1")
        .unwrap()
        .escalation_window
        .clone()
        .unwrap();
    assert_eq!(w.on_lapse, redress::policy::OnLapse::AutoClose);
}

#[test]
fn bath_stage1_customer_window_of_20_working_days_over_easter_2026() {
    // Reply sent Wed 1 Apr 2026. Day 1 Thu 2 Apr, day 2 Tue 7 Apr, ... day 19 Thu 30 Apr,
    // day 20 Fri 1 May.
    let facts = Facts {
        received: Some(d(2026, 3, 11)),
        responded: Some(d(2026, 4, 1)),
        ..Facts::default()
    };
    assert_eq!(
        dues(BATH, "stage1", &facts),
        vec![
            // Received Wed 11 Mar: day 5 Wed 18 Mar, day 15 Wed 1 Apr (no holidays yet).
            (Kind::Acknowledge, d(2026, 3, 18)),
            (Kind::Respond, d(2026, 4, 1)),
            (Kind::EscalationWindow, d(2026, 5, 1)),
        ]
    );
}

#[test]
fn bath_stage2_acknowledged_in_5_and_decided_in_10_working_days_from_the_request() {
    // Request Fri 22 May 2026; Mon 25 May holiday. Day 5 Mon 1 Jun, day 10 Mon 8 Jun. No
    // response deadline until an investigation starts.
    assert_eq!(
        dues(BATH, "stage2", &escalated(d(2026, 5, 22))),
        vec![
            (Kind::Acknowledge, d(2026, 6, 1)),
            (Kind::Decide, d(2026, 6, 8))
        ]
    );
}

#[test]
fn bath_stage2_investigation_answered_30_working_days_after_it_starts() {
    // Investigation started Mon 8 Jun 2026: no holidays until late August, so 30 working
    // days are six whole weeks: Mon 20 Jul.
    let facts = Facts {
        escalation_requested: Some(d(2026, 5, 22)),
        investigation_started: Some(d(2026, 6, 8)),
        ..Facts::default()
    };
    assert_eq!(
        dues(BATH, "stage2", &facts),
        vec![
            (Kind::Acknowledge, d(2026, 6, 1)),
            (Kind::Decide, d(2026, 6, 8)),
            (Kind::Respond, d(2026, 7, 20)),
        ]
    );
}

#[test]
fn bath_stage2_request_and_investigation_over_christmas_2026() {
    // Request Mon 14 Dec 2026: day 5 Mon 21 Dec, day 8 Thu 24 Dec, day 9 Tue 29 Dec,
    // day 10 Wed 30 Dec. Investigation started Wed 30 Dec: day 1 Thu 31 Dec, day 2 Mon 4 Jan,
    // day 6 Fri 8, 11 Fri 15, 16 Fri 22, 21 Fri 29 Jan, 26 Fri 5 Feb, 30 Thu 11 Feb 2027.
    let facts = Facts {
        escalation_requested: Some(d(2026, 12, 14)),
        investigation_started: Some(d(2026, 12, 30)),
        ..Facts::default()
    };
    assert_eq!(
        dues(BATH, "stage2", &facts),
        vec![
            (Kind::Acknowledge, d(2026, 12, 21)),
            (Kind::Decide, d(2026, 12, 30)),
            (Kind::Respond, d(2027, 2, 11)),
        ]
    );
}

#[test]
fn bath_compliments_and_suggestions_answered_in_15_working_days_over_easter() {
    // Received Thu 2 Apr 2026: day 1 Tue 7 Apr, day 4 Fri 10, day 9 Fri 17, day 14 Fri 24,
    // day 15 Mon 27 Apr.
    assert_eq!(
        feedback(BATH, true, d(2026, 4, 2)),
        vec![(Kind::Respond, d(2026, 4, 27))]
    );
    assert_eq!(
        feedback(BATH, false, d(2026, 4, 2)),
        vec![(Kind::Respond, d(2026, 4, 27))]
    );
}

#[test]
fn bath_keeps_records_2_years_after_stage1_6_after_stage2_and_10_after_the_ombudsman() {
    // "Current year + 2 years", "Current year + 6 years", "10 years after case closes".
    // Kept to 31 December of the closing year + N, erased from the next 1 January.
    let p = load(BATH);
    let closed = d(2026, 3, 15);
    assert_eq!(
        p.destruction_date(closed, false, false),
        Some(d(2029, 1, 1))
    );
    assert_eq!(p.destruction_date(closed, true, false), Some(d(2033, 1, 1)));
    assert_eq!(p.destruction_date(closed, true, true), Some(d(2036, 3, 15)));
}

#[test]
fn bath_table_reads_like_the_policy() {
    let rows = table_rows(BATH);
    assert_row!(
        rows,
        "Stage 1",
        "acknowledge",
        "5 working days from receipt"
    );
    assert_row!(rows, "Stage 1", "respond", "15 working days from receipt");
    assert_row!(
        rows,
        "Stage 1",
        "customer may escalate",
        "within 20 working days of our response; then the case closes automatically"
    );
    assert_row!(
        rows,
        "Stage 2 Review",
        "decide whether to accept",
        "10 working days from the escalation request"
    );
    assert_row!(
        rows,
        "Stage 2 Review",
        "respond",
        "30 working days from the start of the investigation"
    );
    assert_row!(
        rows,
        "Stage 2 Review",
        "handler",
        "One West Customer Feedback team (not the previous stage's handler)"
    );
    assert_row!(
        rows,
        "Compliment",
        "respond",
        "15 working days from receipt"
    );
    let p = load(BATH);
    assert_eq!(p.preset.category_label, "reason");
    assert_eq!(p.preset.categories.len(), 6);
    assert_eq!(
        p.preset.outcomes,
        vec!["upheld", "partially upheld", "not upheld"]
    );
}

// ---------------------------------------------------------------------------------------
// Buckinghamshire (seed 000): ack 3 WD, stage 1 response 20 WD (aim 10 WD), whole complaint
// within 12 weeks of receipt, stage 2 decision 5 WD and response 20 WD, stage 2 handled
// independently of stage 1.
// ---------------------------------------------------------------------------------------

const BUCKS: &str = "buckinghamshire";

#[test]
fn bucks_stage1_ack_3_aim_10_respond_20_working_days_and_12_weeks_over_easter_2026() {
    // Received Wed 1 Apr 2026. Day 1 Thu 2 Apr, day 2 Tue 7, day 3 Wed 8 Apr, day 10 Fri 17,
    // day 19 Thu 30 Apr, day 20 Fri 1 May. 12 weeks = 84 days: Wed 24 Jun.
    assert_eq!(
        dues(BUCKS, "stage1", &received(d(2026, 4, 1))),
        vec![
            (Kind::Acknowledge, d(2026, 4, 8)),
            (Kind::Aim, d(2026, 4, 17)),
            (Kind::Respond, d(2026, 5, 1)),
            (Kind::OverallLimit, d(2026, 6, 24)),
        ]
    );
}

#[test]
fn bucks_stage1_over_late_may_2026() {
    // Received Fri 22 May; Mon 25 May holiday. Day 3 Thu 28 May, day 10 Mon 8 Jun,
    // day 20 Mon 22 Jun. 12 weeks: Fri 14 Aug.
    assert_eq!(
        dues(BUCKS, "stage1", &received(d(2026, 5, 22))),
        vec![
            (Kind::Acknowledge, d(2026, 5, 28)),
            (Kind::Aim, d(2026, 6, 8)),
            (Kind::Respond, d(2026, 6, 22)),
            (Kind::OverallLimit, d(2026, 8, 14)),
        ]
    );
}

#[test]
fn bucks_stage1_received_on_the_saturday_before_the_august_2026_bank_holiday() {
    // Received Sat 29 Aug; day 1 Tue 1 Sep, day 3 Thu 3 Sep, day 10 Mon 14 Sep,
    // day 20 Mon 28 Sep. 12 weeks from a Saturday is a Saturday: 21 Nov 2026.
    assert_eq!(
        dues(BUCKS, "stage1", &received(d(2026, 8, 29))),
        vec![
            (Kind::Acknowledge, d(2026, 9, 3)),
            (Kind::Aim, d(2026, 9, 14)),
            (Kind::Respond, d(2026, 9, 28)),
            (Kind::OverallLimit, d(2026, 11, 21)),
        ]
    );
}

#[test]
fn bucks_stage1_response_due_20_working_days_after_receipt_over_christmas() {
    // Received Thu 24 Dec 2026. Day 1 Tue 29 Dec, 2 Wed 30, 3 Thu 31 Dec, 4 Mon 4 Jan,
    // 8 Fri 8, 10 Tue 12 Jan, 13 Fri 15, 18 Fri 22, 19 Mon 25, 20 Tue 26 Jan 2027.
    // 12 weeks: 7 days to 31 Dec, 31 in January, 28 in February, 18 in March: Thu 18 Mar 2027.
    assert_eq!(
        dues(BUCKS, "stage1", &received(d(2026, 12, 24))),
        vec![
            (Kind::Acknowledge, d(2026, 12, 31)),
            (Kind::Aim, d(2027, 1, 12)),
            (Kind::Respond, d(2027, 1, 26)),
            (Kind::OverallLimit, d(2027, 3, 18)),
        ]
    );
}

#[test]
fn bucks_stage1_over_the_platinum_jubilee_with_30_may_2022_a_working_day() {
    // Received Fri 27 May 2022. The spring holiday moved to Thu 2 Jun, so Mon 30 May is
    // day 1, Tue 31 day 2, Wed 1 Jun day 3; then Mon 6 Jun day 4, Tue 14 Jun day 10,
    // Tue 28 Jun day 20. 12 weeks: Fri 19 Aug 2022.
    assert_eq!(
        dues(BUCKS, "stage1", &received(d(2022, 5, 27))),
        vec![
            (Kind::Acknowledge, d(2022, 6, 1)),
            (Kind::Aim, d(2022, 6, 14)),
            (Kind::Respond, d(2022, 6, 28)),
            (Kind::OverallLimit, d(2022, 8, 19)),
        ]
    );
}

#[test]
fn bucks_stage1_over_the_state_funeral_holiday_19_september_2022() {
    // Received Fri 16 Sep 2022. Day 1 Tue 20, day 3 Thu 22 Sep, day 10 Mon 3 Oct,
    // day 20 Mon 17 Oct. 12 weeks: Fri 9 Dec 2022.
    assert_eq!(
        dues(BUCKS, "stage1", &received(d(2022, 9, 16))),
        vec![
            (Kind::Acknowledge, d(2022, 9, 22)),
            (Kind::Aim, d(2022, 10, 3)),
            (Kind::Respond, d(2022, 10, 17)),
            (Kind::OverallLimit, d(2022, 12, 9)),
        ]
    );
}

#[test]
fn bucks_stage1_over_the_coronation_holiday_8_may_2023() {
    // Received Fri 5 May 2023. Day 1 Tue 9, day 3 Thu 11 May, day 10 Mon 22 May; Mon 29 May
    // holiday so day 15 Tue 30 May and day 20 Tue 6 Jun. 12 weeks: Fri 28 Jul 2023.
    assert_eq!(
        dues(BUCKS, "stage1", &received(d(2023, 5, 5))),
        vec![
            (Kind::Acknowledge, d(2023, 5, 11)),
            (Kind::Aim, d(2023, 5, 22)),
            (Kind::Respond, d(2023, 6, 6)),
            (Kind::OverallLimit, d(2023, 7, 28)),
        ]
    );
}

#[test]
fn bucks_whole_complaint_resolved_within_12_weeks_of_receipt_in_calendar_days() {
    // 12 weeks = 84 calendar days whatever the holidays: received Wed 1 Apr 2026 (Good
    // Friday and Easter Monday inside) -> Wed 24 Jun 2026; received Wed 2 Dec 2026 ->
    // 29 days to 31 Dec, 31 in January, 24 in February: Wed 24 Feb 2027.
    let w = |r| {
        dues(BUCKS, "stage1", &received(r))
            .into_iter()
            .find(|(k, _)| *k == Kind::OverallLimit)
            .map(|(_, d)| d)
    };
    assert_eq!(w(d(2026, 4, 1)), Some(d(2026, 6, 24)));
    assert_eq!(w(d(2026, 12, 2)), Some(d(2027, 2, 24)));
}

#[test]
fn bucks_stage2_decided_in_5_and_answered_in_20_working_days_from_the_request_over_easter() {
    // Request Thu 2 Apr 2026. Day 1 Tue 7 Apr, day 4 Fri 10, day 5 Mon 13 Apr; day 19 Fri 1
    // May, (Mon 4 May holiday) day 20 Tue 5 May. No 12-week limit row at stage 2.
    assert_eq!(
        dues(BUCKS, "stage2", &escalated(d(2026, 4, 2))),
        vec![
            (Kind::Decide, d(2026, 4, 13)),
            (Kind::Respond, d(2026, 5, 5))
        ]
    );
}

#[test]
fn bucks_stage2_from_a_request_just_before_christmas_2026() {
    // Request Fri 18 Dec 2026. Day 4 Thu 24 Dec, day 5 Tue 29 Dec; day 8 Mon 4 Jan, day 12
    // Fri 8, day 17 Fri 15, day 20 Wed 20 Jan 2027.
    assert_eq!(
        dues(BUCKS, "stage2", &escalated(d(2026, 12, 18))),
        vec![
            (Kind::Decide, d(2026, 12, 29)),
            (Kind::Respond, d(2027, 1, 20))
        ]
    );
}

#[test]
fn bucks_table_reads_like_the_policy() {
    let rows = table_rows(BUCKS);
    assert_row!(
        rows,
        "Stage 1",
        "acknowledge",
        "3 working days from receipt"
    );
    assert_row!(
        rows,
        "Stage 1",
        "aim to respond",
        "10 working days from receipt"
    );
    assert_row!(rows, "Stage 1", "respond", "20 working days from receipt");
    assert_row!(rows, "Whole complaint", "resolve", "12 weeks from receipt");
    assert_row!(
        rows,
        "Stage 2 review",
        "decide whether to accept",
        "5 working days from the escalation request"
    );
    assert_row!(
        rows,
        "Stage 2 review",
        "respond",
        "20 working days from the escalation request"
    );
    let p = load(BUCKS);
    assert!(p.stage("stage2").unwrap().different_handler);
    assert!(p.stage("stage1").unwrap().extension.is_some());
    assert!(p.stage("stage1").unwrap().escalation_window.is_none());
}

// ---------------------------------------------------------------------------------------
// Stockton-on-Tees (seed 001): acknowledgements in 1 WD, early resolution in 3 WD, stage 1
// in 25 WD, stage 2 in 20 WD.
// ---------------------------------------------------------------------------------------

const STOCKTON: &str = "stockton-on-tees";

#[test]
fn stockton_early_resolution_ack_1_and_resolution_3_working_days_over_easter_2026() {
    // Received Thu 2 Apr 2026; Fri 3 and Mon 6 Apr holidays. Day 1 Tue 7, day 3 Thu 9 Apr.
    assert_eq!(
        dues(STOCKTON, "early", &received(d(2026, 4, 2))),
        vec![
            (Kind::Acknowledge, d(2026, 4, 7)),
            (Kind::Respond, d(2026, 4, 9))
        ]
    );
}

#[test]
fn stockton_stage1_answered_25_working_days_after_the_request_over_easter_and_early_may() {
    // Request Wed 1 Apr 2026: day 1 Thu 2 Apr; day 20 Fri 1 May, (Mon 4 May holiday)
    // day 21 Tue 5 May, day 25 Mon 11 May.
    assert_eq!(
        dues(STOCKTON, "stage1", &escalated(d(2026, 4, 1))),
        vec![
            (Kind::Acknowledge, d(2026, 4, 2)),
            (Kind::Respond, d(2026, 5, 11))
        ]
    );
}

#[test]
fn stockton_all_three_stages_over_late_may_2026() {
    // Fri 22 May 2026; Mon 25 May holiday. Day 1 Tue 26, day 3 Thu 28 May, day 20 Mon 22 Jun,
    // day 25 Mon 29 Jun.
    assert_eq!(
        dues(STOCKTON, "early", &received(d(2026, 5, 22))),
        vec![
            (Kind::Acknowledge, d(2026, 5, 26)),
            (Kind::Respond, d(2026, 5, 28))
        ]
    );
    assert_eq!(
        dues(STOCKTON, "stage1", &escalated(d(2026, 5, 22))),
        vec![
            (Kind::Acknowledge, d(2026, 5, 26)),
            (Kind::Respond, d(2026, 6, 29))
        ]
    );
    assert_eq!(
        dues(STOCKTON, "stage2", &escalated(d(2026, 5, 22))),
        vec![
            (Kind::Acknowledge, d(2026, 5, 26)),
            (Kind::Respond, d(2026, 6, 22))
        ]
    );
}

#[test]
fn stockton_early_resolution_received_on_the_saturday_before_the_august_2026_bank_holiday() {
    // Received Sat 29 Aug; Mon 31 Aug holiday. Day 1 Tue 1 Sep, day 3 Thu 3 Sep.
    assert_eq!(
        dues(STOCKTON, "early", &received(d(2026, 8, 29))),
        vec![
            (Kind::Acknowledge, d(2026, 9, 1)),
            (Kind::Respond, d(2026, 9, 3))
        ]
    );
}

#[test]
fn stockton_stage2_answered_20_working_days_after_the_request_over_august_2026() {
    // Request Fri 28 Aug. Day 1 Tue 1 Sep, day 5 Mon 7, day 10 Mon 14, day 20 Mon 28 Sep.
    assert_eq!(
        dues(STOCKTON, "stage2", &escalated(d(2026, 8, 28))),
        vec![
            (Kind::Acknowledge, d(2026, 9, 1)),
            (Kind::Respond, d(2026, 9, 28))
        ]
    );
}

#[test]
fn stockton_deadlines_over_christmas_2026() {
    // Thu 24 Dec 2026 (day 0): day 1 Tue 29 Dec, day 3 Thu 31 Dec, day 20 Tue 26 Jan,
    // day 23 Fri 29 Jan, day 24 Mon 1 Feb, day 25 Tue 2 Feb 2027.
    assert_eq!(
        dues(STOCKTON, "early", &received(d(2026, 12, 24))),
        vec![
            (Kind::Acknowledge, d(2026, 12, 29)),
            (Kind::Respond, d(2026, 12, 31))
        ]
    );
    assert_eq!(
        dues(STOCKTON, "stage1", &escalated(d(2026, 12, 24))),
        vec![
            (Kind::Acknowledge, d(2026, 12, 29)),
            (Kind::Respond, d(2027, 2, 2))
        ]
    );
    assert_eq!(
        dues(STOCKTON, "stage2", &escalated(d(2026, 12, 24))),
        vec![
            (Kind::Acknowledge, d(2026, 12, 29)),
            (Kind::Respond, d(2027, 1, 26))
        ]
    );
}

#[test]
fn stockton_early_resolution_received_on_a_sunday() {
    // Received Sun 15 Nov 2026: day 1 Mon 16, day 3 Wed 18 Nov.
    assert_eq!(
        dues(STOCKTON, "early", &received(d(2026, 11, 15))),
        vec![
            (Kind::Acknowledge, d(2026, 11, 16)),
            (Kind::Respond, d(2026, 11, 18))
        ]
    );
}

#[test]
fn stockton_over_the_platinum_jubilee_2022() {
    // Wed 1 Jun 2022; Thu 2 and Fri 3 Jun holidays. Day 1 Mon 6, day 3 Wed 8 Jun,
    // day 20 Fri 1 Jul, day 25 Fri 8 Jul 2022.
    assert_eq!(
        dues(STOCKTON, "early", &received(d(2022, 6, 1))),
        vec![
            (Kind::Acknowledge, d(2022, 6, 6)),
            (Kind::Respond, d(2022, 6, 8))
        ]
    );
    assert_eq!(
        dues(STOCKTON, "stage1", &escalated(d(2022, 6, 1))),
        vec![
            (Kind::Acknowledge, d(2022, 6, 6)),
            (Kind::Respond, d(2022, 7, 8))
        ]
    );
}

#[test]
fn stockton_over_the_state_funeral_holiday_19_september_2022() {
    // Fri 16 Sep 2022; Mon 19 Sep holiday. Day 1 Tue 20, day 3 Thu 22 Sep, day 20 Mon 17 Oct.
    assert_eq!(
        dues(STOCKTON, "early", &received(d(2022, 9, 16))),
        vec![
            (Kind::Acknowledge, d(2022, 9, 20)),
            (Kind::Respond, d(2022, 9, 22))
        ]
    );
    assert_eq!(
        dues(STOCKTON, "stage2", &escalated(d(2022, 9, 16))),
        vec![
            (Kind::Acknowledge, d(2022, 9, 20)),
            (Kind::Respond, d(2022, 10, 17))
        ]
    );
}

#[test]
fn stockton_over_the_coronation_holiday_8_may_2023() {
    // Fri 5 May 2023; Mon 8 May and Mon 29 May holidays. Day 1 Tue 9, day 3 Thu 11 May,
    // day 14 Fri 26 May, day 15 Tue 30 May, day 25 Tue 13 Jun 2023.
    assert_eq!(
        dues(STOCKTON, "early", &received(d(2023, 5, 5))),
        vec![
            (Kind::Acknowledge, d(2023, 5, 9)),
            (Kind::Respond, d(2023, 5, 11))
        ]
    );
    assert_eq!(
        dues(STOCKTON, "stage1", &escalated(d(2023, 5, 5))),
        vec![
            (Kind::Acknowledge, d(2023, 5, 9)),
            (Kind::Respond, d(2023, 6, 13))
        ]
    );
}

#[test]
fn stockton_table_reads_like_the_policy() {
    let rows = table_rows(STOCKTON);
    assert_row!(
        rows,
        "Early resolution",
        "acknowledge",
        "1 working day from receipt"
    );
    assert_row!(
        rows,
        "Early resolution",
        "respond",
        "3 working days from receipt"
    );
    assert_row!(
        rows,
        "Stage 1 investigation",
        "acknowledge",
        "1 working day from the escalation request"
    );
    assert_row!(
        rows,
        "Stage 1 investigation",
        "respond",
        "25 working days from the escalation request"
    );
    assert_row!(
        rows,
        "Stage 2",
        "respond",
        "20 working days from the escalation request"
    );
    // The report allows no extension: "This is an 'upto' timescale".
    let p = load(STOCKTON);
    assert!(p.preset.stages.iter().all(|s| s.extension.is_none()));
    assert_eq!(p.first_stage().id, "early");
    assert_eq!(p.next_stage("early").unwrap().id, "stage1");
    assert!(p.is_final_stage("stage2"));
}

// ---------------------------------------------------------------------------------------
// West Lindsey (seed 003): one stage, response within 21 (calendar) days; acknowledgement
// time not stated (5 WD chosen); compliments acknowledged within 7 days; comments answered
// within 14 days; survey about 7 days after the response; data kept 3 years.
// ---------------------------------------------------------------------------------------

const WEST_LINDSEY: &str = "west-lindsey";

#[test]
fn west_lindsey_complaint_answered_within_21_calendar_days_over_easter_2026() {
    // Received Thu 2 Apr 2026. Response: 21 calendar days, holidays and all: Thu 23 Apr.
    // Acknowledgement (5 working days): day 1 Tue 7, day 4 Fri 10, day 5 Mon 13 Apr.
    assert_eq!(
        dues(WEST_LINDSEY, "stage1", &received(d(2026, 4, 2))),
        vec![
            (Kind::Acknowledge, d(2026, 4, 13)),
            (Kind::Respond, d(2026, 4, 23))
        ]
    );
}

#[test]
fn west_lindsey_complaint_over_late_may_2026() {
    // Received Fri 22 May: ack day 5 Mon 1 Jun; 21 days: Fri 12 Jun.
    assert_eq!(
        dues(WEST_LINDSEY, "stage1", &received(d(2026, 5, 22))),
        vec![
            (Kind::Acknowledge, d(2026, 6, 1)),
            (Kind::Respond, d(2026, 6, 12))
        ]
    );
}

#[test]
fn west_lindsey_complaint_received_on_the_saturday_before_the_august_2026_bank_holiday() {
    // Received Sat 29 Aug: ack day 1 Tue 1 Sep ... day 5 Mon 7 Sep. 21 calendar days fall on
    // Sat 19 Sep: the policy counts days, not working days, and says nothing of moving a date
    // that lands on a weekend.
    assert_eq!(
        dues(WEST_LINDSEY, "stage1", &received(d(2026, 8, 29))),
        vec![
            (Kind::Acknowledge, d(2026, 9, 7)),
            (Kind::Respond, d(2026, 9, 19))
        ]
    );
}

#[test]
fn west_lindsey_complaint_answered_within_21_days_over_christmas() {
    // Received Fri 18 Dec 2026: ack day 4 Thu 24 Dec, day 5 Tue 29 Dec. 21 calendar days:
    // 13 to 31 Dec, then 8 in January: Fri 8 Jan 2027.
    assert_eq!(
        dues(WEST_LINDSEY, "stage1", &received(d(2026, 12, 18))),
        vec![
            (Kind::Acknowledge, d(2026, 12, 29)),
            (Kind::Respond, d(2027, 1, 8))
        ]
    );
}

#[test]
fn west_lindsey_compliment_acknowledged_within_7_days_and_comment_answered_within_14_days_over_christmas(
) {
    // Received Thu 24 Dec 2026: 7 days Thu 31 Dec; 14 days Thu 7 Jan 2027. Calendar days:
    // the three holidays in between do not move them.
    assert_eq!(
        feedback(WEST_LINDSEY, true, d(2026, 12, 24)),
        vec![(Kind::Acknowledge, d(2026, 12, 31))]
    );
    assert_eq!(
        feedback(WEST_LINDSEY, false, d(2026, 12, 24)),
        vec![(Kind::Respond, d(2027, 1, 7))]
    );
}

#[test]
fn west_lindsey_compliment_and_comment_over_easter_2026() {
    // Received Thu 2 Apr 2026: compliment Thu 9 Apr, comment Thu 16 Apr.
    assert_eq!(
        feedback(WEST_LINDSEY, true, d(2026, 4, 2)),
        vec![(Kind::Acknowledge, d(2026, 4, 9))]
    );
    assert_eq!(
        feedback(WEST_LINDSEY, false, d(2026, 4, 2)),
        vec![(Kind::Respond, d(2026, 4, 16))]
    );
}

#[test]
fn west_lindsey_satisfaction_survey_about_7_days_after_the_response() {
    // Received Fri 18 Dec 2026, answered Thu 24 Dec 2026: survey Thu 31 Dec 2026.
    let facts = Facts {
        received: Some(d(2026, 12, 18)),
        responded: Some(d(2026, 12, 24)),
        ..Facts::default()
    };
    assert_eq!(
        dues(WEST_LINDSEY, "stage1", &facts),
        vec![
            (Kind::Acknowledge, d(2026, 12, 29)),
            (Kind::Respond, d(2027, 1, 8)),
            (Kind::Survey, d(2026, 12, 31)),
        ]
    );
}

#[test]
fn west_lindsey_21_days_across_a_leap_day() {
    // Received Tue 15 Feb 2028: February 2028 has 29 days, so 21 days is Tue 7 Mar 2028.
    // Ack: Wed 16 .. Fri 18 (3), Mon 21 (4), Tue 22 Feb (5).
    assert_eq!(
        dues(WEST_LINDSEY, "stage1", &received(d(2028, 2, 15))),
        vec![
            (Kind::Acknowledge, d(2028, 2, 22)),
            (Kind::Respond, d(2028, 3, 7))
        ]
    );
}

#[test]
fn west_lindsey_over_the_2022_and_2023_one_off_holidays() {
    // Wed 1 Jun 2022: ack day 1 Mon 6 Jun, day 5 Fri 10 Jun; 21 days Wed 22 Jun 2022.
    assert_eq!(
        dues(WEST_LINDSEY, "stage1", &received(d(2022, 6, 1))),
        vec![
            (Kind::Acknowledge, d(2022, 6, 10)),
            (Kind::Respond, d(2022, 6, 22))
        ]
    );
    // Fri 16 Sep 2022: ack day 1 Tue 20, day 5 Mon 26 Sep; 21 days Fri 7 Oct 2022.
    assert_eq!(
        dues(WEST_LINDSEY, "stage1", &received(d(2022, 9, 16))),
        vec![
            (Kind::Acknowledge, d(2022, 9, 26)),
            (Kind::Respond, d(2022, 10, 7))
        ]
    );
    // Fri 5 May 2023: ack day 1 Tue 9, day 5 Mon 15 May; 21 days Fri 26 May 2023.
    assert_eq!(
        dues(WEST_LINDSEY, "stage1", &received(d(2023, 5, 5))),
        vec![
            (Kind::Acknowledge, d(2023, 5, 15)),
            (Kind::Respond, d(2023, 5, 26))
        ]
    );
}

#[test]
fn west_lindsey_keeps_data_for_3_years() {
    let p = load(WEST_LINDSEY);
    assert_eq!(
        p.destruction_date(d(2027, 1, 10), false, false),
        Some(d(2030, 1, 10))
    );
    assert_eq!(
        p.destruction_date(d(2027, 1, 10), false, true),
        Some(d(2030, 1, 10))
    );
}

#[test]
fn west_lindsey_table_reads_like_the_policy() {
    let rows = table_rows(WEST_LINDSEY);
    assert_row!(rows, "Complaint", "respond", "21 days from receipt");
    assert_row!(rows, "Compliment", "acknowledge", "7 days from receipt");
    assert_row!(rows, "Comment", "respond", "14 days from receipt");
    assert_row!(
        rows,
        "Survey",
        "satisfaction survey",
        "7 days from our response"
    );
    let p = load(WEST_LINDSEY);
    assert_eq!(p.preset.stages.len(), 1, "one stage complaints process");
    assert!(p.preset.stages[0].escalation_window.is_none());
    assert_eq!(p.preset.outcomes, vec!["upheld", "not upheld"]);
}

// ---------------------------------------------------------------------------------------
// North Norfolk (seed 004, Appendix 1): stage 1 informal, ack 3 WD, resolved within 15 WD;
// stage 2 formal, ack 3 WD, response 28 WD; the customer must ask for stage 3 within 28 WD of
// the stage 2 response; stage 3 Corporate Director review, 28 WD; holding letters.
// ---------------------------------------------------------------------------------------

const NORTH_NORFOLK: &str = "north-norfolk";

#[test]
fn north_norfolk_stage1_informal_resolution_within_15_working_days_over_easter_2026() {
    // Received Wed 1 Apr 2026: day 1 Thu 2, day 2 Tue 7, day 3 Wed 8 Apr, day 15 Fri 24 Apr.
    assert_eq!(
        dues(NORTH_NORFOLK, "stage1", &received(d(2026, 4, 1))),
        vec![
            (Kind::Acknowledge, d(2026, 4, 8)),
            (Kind::Respond, d(2026, 4, 24))
        ]
    );
}

#[test]
fn north_norfolk_stage2_formal_response_within_28_working_days_over_easter_and_early_may() {
    // Request Thu 2 Apr 2026: day 1 Tue 7, day 3 Thu 9 Apr; day 18 Fri 1 May, (Mon 4 May
    // holiday) day 19 Tue 5 May, day 28 Fri 15 May.
    assert_eq!(
        dues(NORTH_NORFOLK, "stage2", &escalated(d(2026, 4, 2))),
        vec![
            (Kind::Acknowledge, d(2026, 4, 9)),
            (Kind::Respond, d(2026, 5, 15))
        ]
    );
}

#[test]
fn north_norfolk_stage2_and_its_28_working_day_window_over_late_may_2026() {
    // Request Fri 22 May 2026 (Mon 25 holiday): day 3 Thu 28 May, day 28 Thu 2 Jul.
    // Our stage 2 response also sent Fri 22 May (a quick one): the customer has until day 28,
    // Thu 2 Jul, to ask for stage 3.
    let facts = Facts {
        escalation_requested: Some(d(2026, 5, 22)),
        responded: Some(d(2026, 5, 22)),
        ..Facts::default()
    };
    assert_eq!(
        dues(NORTH_NORFOLK, "stage2", &facts),
        vec![
            (Kind::Acknowledge, d(2026, 5, 28)),
            (Kind::Respond, d(2026, 7, 2)),
            (Kind::EscalationWindow, d(2026, 7, 2)),
        ]
    );
}

#[test]
fn north_norfolk_over_the_august_2026_bank_holiday() {
    // Stage 1 received Sat 29 Aug: day 1 Tue 1 Sep, day 3 Thu 3 Sep, day 15 Mon 21 Sep.
    assert_eq!(
        dues(NORTH_NORFOLK, "stage1", &received(d(2026, 8, 29))),
        vec![
            (Kind::Acknowledge, d(2026, 9, 3)),
            (Kind::Respond, d(2026, 9, 21))
        ]
    );
    // Stage 3 asked for Fri 28 Aug: day 3 Thu 3 Sep; day 20 Mon 28 Sep, day 23 Thu 1 Oct,
    // day 28 Thu 8 Oct.
    assert_eq!(
        dues(NORTH_NORFOLK, "stage3", &escalated(d(2026, 8, 28))),
        vec![
            (Kind::Acknowledge, d(2026, 9, 3)),
            (Kind::Respond, d(2026, 10, 8))
        ]
    );
}

#[test]
fn north_norfolk_customer_must_ask_for_stage3_within_28_working_days_of_the_stage2_response_over_christmas(
) {
    // Stage 2 response sent Thu 24 Dec 2026. Day 1 Tue 29 Dec, day 3 Thu 31 Dec, day 4 Mon
    // 4 Jan, 8 Fri 8, 13 Fri 15, 18 Fri 22, 23 Fri 29 Jan, 28 Fri 5 Feb 2027.
    let facts = Facts {
        escalation_requested: Some(d(2026, 11, 16)),
        responded: Some(d(2026, 12, 24)),
        ..Facts::default()
    };
    let all = dues(NORTH_NORFOLK, "stage2", &facts);
    assert!(
        all.contains(&(Kind::EscalationWindow, d(2027, 2, 5))),
        "{all:?}"
    );
    let w = load(NORTH_NORFOLK)
        .stage("stage2")
        .unwrap()
        .escalation_window
        .clone()
        .unwrap();
    assert_eq!(w.on_lapse, redress::policy::OnLapse::CloseResolved);
}

#[test]
fn north_norfolk_stage3_review_asked_for_on_christmas_eve_2026() {
    // Request Thu 24 Dec 2026: day 3 Thu 31 Dec; day 28 Fri 5 Feb 2027.
    assert_eq!(
        dues(NORTH_NORFOLK, "stage3", &escalated(d(2026, 12, 24))),
        vec![
            (Kind::Acknowledge, d(2026, 12, 31)),
            (Kind::Respond, d(2027, 2, 5))
        ]
    );
}

#[test]
fn north_norfolk_stage1_received_the_friday_before_christmas_2026() {
    // Received Fri 18 Dec 2026: day 3 Wed 23 Dec; day 15 Wed 13 Jan 2027.
    assert_eq!(
        dues(NORTH_NORFOLK, "stage1", &received(d(2026, 12, 18))),
        vec![
            (Kind::Acknowledge, d(2026, 12, 23)),
            (Kind::Respond, d(2027, 1, 13))
        ]
    );
}

#[test]
fn north_norfolk_stage1_received_on_a_sunday() {
    // Received Sun 15 Nov 2026: day 1 Mon 16, day 3 Wed 18 Nov, day 15 Fri 4 Dec.
    assert_eq!(
        dues(NORTH_NORFOLK, "stage1", &received(d(2026, 11, 15))),
        vec![
            (Kind::Acknowledge, d(2026, 11, 18)),
            (Kind::Respond, d(2026, 12, 4))
        ]
    );
}

#[test]
fn north_norfolk_stage2_over_the_platinum_jubilee_2022() {
    // Request Wed 1 Jun 2022: day 1 Mon 6, day 3 Wed 8 Jun; day 19 Thu 30 Jun, day 20 Fri
    // 1 Jul, day 25 Fri 8 Jul, day 28 Wed 13 Jul 2022.
    assert_eq!(
        dues(NORTH_NORFOLK, "stage2", &escalated(d(2022, 6, 1))),
        vec![
            (Kind::Acknowledge, d(2022, 6, 8)),
            (Kind::Respond, d(2022, 7, 13))
        ]
    );
}

#[test]
fn north_norfolk_stage3_over_the_state_funeral_holiday_19_september_2022() {
    // Request Fri 16 Sep 2022: day 1 Tue 20, day 3 Thu 22 Sep; day 24 Fri 21 Oct,
    // day 28 Thu 27 Oct 2022.
    assert_eq!(
        dues(NORTH_NORFOLK, "stage3", &escalated(d(2022, 9, 16))),
        vec![
            (Kind::Acknowledge, d(2022, 9, 22)),
            (Kind::Respond, d(2022, 10, 27))
        ]
    );
}

#[test]
fn north_norfolk_over_the_coronation_holiday_8_may_2023() {
    // Stage 1 received Fri 5 May 2023: day 3 Thu 11 May; day 15 Tue 30 May (29 May holiday).
    assert_eq!(
        dues(NORTH_NORFOLK, "stage1", &received(d(2023, 5, 5))),
        vec![
            (Kind::Acknowledge, d(2023, 5, 11)),
            (Kind::Respond, d(2023, 5, 30))
        ]
    );
    // Stage 2 response sent Fri 5 May 2023: window day 18 Fri 2 Jun, day 23 Fri 9 Jun,
    // day 28 Fri 16 Jun 2023.
    let facts = Facts {
        escalation_requested: Some(d(2023, 4, 3)),
        responded: Some(d(2023, 5, 5)),
        ..Facts::default()
    };
    let all = dues(NORTH_NORFOLK, "stage2", &facts);
    assert!(
        all.contains(&(Kind::EscalationWindow, d(2023, 6, 16))),
        "{all:?}"
    );
}

#[test]
fn north_norfolk_table_reads_like_the_policy() {
    let rows = table_rows(NORTH_NORFOLK);
    assert_row!(
        rows,
        "Stage 1 - Informal Resolution",
        "respond",
        "15 working days from receipt"
    );
    assert_row!(
        rows,
        "Stage 2 - Formal Resolution",
        "acknowledge",
        "3 working days from the escalation request"
    );
    assert_row!(
        rows,
        "Stage 2 - Formal Resolution",
        "respond",
        "28 working days from the escalation request"
    );
    assert_row!(
        rows,
        "Stage 2 - Formal Resolution",
        "customer may escalate",
        "within 28 working days of our response; then the case closes as resolved"
    );
    assert_row!(
        rows,
        "Stage 3 - Formal Resolution - Review",
        "respond",
        "28 working days from the escalation request"
    );
    let p = load(NORTH_NORFOLK);
    assert_eq!(p.preset.category_label, "type");
    assert_eq!(
        p.preset.categories,
        vec!["Decision", "Staff", "Process", "Failure"]
    );
    assert!(
        p.preset.stages.iter().all(|s| s.holding_letter),
        "holding letter at each stage"
    );
    assert!(p.stage("stage3").unwrap().different_handler);
}

// ---------------------------------------------------------------------------------------
// LGSCO Complaint Handling Code: stage 1 ack 5 WD, response 10 WD from the acknowledgement
// (extension up to 10 WD); stage 2 ack 5 WD from the escalation request, response 20 WD from
// the stage 2 acknowledgement (extension up to 20 WD); stage 2 handler differs.
// ---------------------------------------------------------------------------------------

const CODE: &str = "lgsco-code";

#[test]
fn code_stage1_response_10_working_days_after_the_acknowledgement_over_easter_2026() {
    // Received Wed 1 Apr 2026: ack due day 5 Fri 10 Apr. Acknowledged Thu 2 Apr: response
    // day 1 Tue 7 Apr ... day 10 Mon 20 Apr.
    let facts = Facts {
        received: Some(d(2026, 4, 1)),
        acknowledged: Some(d(2026, 4, 2)),
        ..Facts::default()
    };
    assert_eq!(
        dues(CODE, "stage1", &facts),
        vec![
            (Kind::Acknowledge, d(2026, 4, 10)),
            (Kind::Respond, d(2026, 4, 20))
        ]
    );
}

#[test]
fn code_stage1_response_not_due_until_the_complaint_is_acknowledged() {
    // Only the acknowledgement is due until it is sent: received Wed 1 Apr -> Fri 10 Apr.
    assert_eq!(
        dues(CODE, "stage1", &received(d(2026, 4, 1))),
        vec![(Kind::Acknowledge, d(2026, 4, 10))]
    );
}

#[test]
fn code_stage1_over_late_may_2026() {
    // Received and acknowledged Fri 22 May: ack due day 5 Mon 1 Jun; response day 10 Mon 8 Jun.
    let facts = Facts {
        received: Some(d(2026, 5, 22)),
        acknowledged: Some(d(2026, 5, 22)),
        ..Facts::default()
    };
    assert_eq!(
        dues(CODE, "stage1", &facts),
        vec![
            (Kind::Acknowledge, d(2026, 6, 1)),
            (Kind::Respond, d(2026, 6, 8))
        ]
    );
}

#[test]
fn code_stage1_received_on_the_saturday_before_the_august_2026_bank_holiday() {
    // Received Sat 29 Aug: ack due day 5 Mon 7 Sep. Acknowledged Tue 1 Sep: response day 10
    // Tue 15 Sep.
    let facts = Facts {
        received: Some(d(2026, 8, 29)),
        acknowledged: Some(d(2026, 9, 1)),
        ..Facts::default()
    };
    assert_eq!(
        dues(CODE, "stage1", &facts),
        vec![
            (Kind::Acknowledge, d(2026, 9, 7)),
            (Kind::Respond, d(2026, 9, 15))
        ]
    );
}

#[test]
fn code_stage1_response_due_10_working_days_after_acknowledgement_over_christmas() {
    // Received Thu 24 Dec 2026: day 1 Tue 29 Dec, 2 Wed 30, 3 Thu 31, 4 Mon 4 Jan, 5 Tue 5 Jan
    // (ack due). Acknowledged Wed 30 Dec: day 1 Thu 31 Dec, 2 Mon 4 Jan, 6 Fri 8 Jan,
    // 10 Thu 14 Jan 2027.
    let facts = Facts {
        received: Some(d(2026, 12, 24)),
        acknowledged: Some(d(2026, 12, 30)),
        ..Facts::default()
    };
    assert_eq!(
        dues(CODE, "stage1", &facts),
        vec![
            (Kind::Acknowledge, d(2027, 1, 5)),
            (Kind::Respond, d(2027, 1, 14))
        ]
    );
}

#[test]
fn code_stage2_response_20_working_days_after_the_escalation_acknowledgement_over_christmas() {
    // Escalation request Fri 18 Dec 2026: day 4 Thu 24 Dec, day 5 Tue 29 Dec (ack due).
    // Acknowledged Tue 29 Dec: day 1 Wed 30, 2 Thu 31 Dec, 3 Mon 4 Jan, 7 Fri 8, 12 Fri 15,
    // 17 Fri 22, 20 Wed 27 Jan 2027.
    let facts = Facts {
        escalation_requested: Some(d(2026, 12, 18)),
        acknowledged: Some(d(2026, 12, 29)),
        ..Facts::default()
    };
    assert_eq!(
        dues(CODE, "stage2", &facts),
        vec![
            (Kind::Acknowledge, d(2026, 12, 29)),
            (Kind::Respond, d(2027, 1, 27))
        ]
    );
}

#[test]
fn code_stage2_escalation_acknowledged_within_5_working_days_over_easter_2026() {
    // Request Thu 2 Apr 2026: day 1 Tue 7, day 5 Mon 13 Apr. No response date until acknowledged.
    assert_eq!(
        dues(CODE, "stage2", &escalated(d(2026, 4, 2))),
        vec![(Kind::Acknowledge, d(2026, 4, 13))]
    );
}

#[test]
fn code_over_the_2022_and_2023_one_off_holidays() {
    // Stage 1 received and acknowledged Wed 1 Jun 2022: ack due day 5 Fri 10 Jun, response
    // day 10 Fri 17 Jun 2022.
    let facts = Facts {
        received: Some(d(2022, 6, 1)),
        acknowledged: Some(d(2022, 6, 1)),
        ..Facts::default()
    };
    assert_eq!(
        dues(CODE, "stage1", &facts),
        vec![
            (Kind::Acknowledge, d(2022, 6, 10)),
            (Kind::Respond, d(2022, 6, 17))
        ]
    );
    // Stage 2 asked for Fri 16 Sep 2022: ack due day 5 Mon 26 Sep. Acknowledged Tue 20 Sep:
    // response day 20 Tue 18 Oct 2022.
    let facts = Facts {
        escalation_requested: Some(d(2022, 9, 16)),
        acknowledged: Some(d(2022, 9, 20)),
        ..Facts::default()
    };
    assert_eq!(
        dues(CODE, "stage2", &facts),
        vec![
            (Kind::Acknowledge, d(2022, 9, 26)),
            (Kind::Respond, d(2022, 10, 18))
        ]
    );
    // Stage 1 received Fri 5 May 2023, acknowledged Tue 9 May: ack due Mon 15 May; response
    // day 10 Tue 23 May 2023.
    let facts = Facts {
        received: Some(d(2023, 5, 5)),
        acknowledged: Some(d(2023, 5, 9)),
        ..Facts::default()
    };
    assert_eq!(
        dues(CODE, "stage1", &facts),
        vec![
            (Kind::Acknowledge, d(2023, 5, 15)),
            (Kind::Respond, d(2023, 5, 23))
        ]
    );
}

#[test]
fn code_table_reads_like_the_code() {
    let rows = table_rows(CODE);
    assert_row!(
        rows,
        "Stage 1",
        "acknowledge",
        "5 working days from receipt"
    );
    assert_row!(
        rows,
        "Stage 1",
        "respond",
        "10 working days from the acknowledgement"
    );
    assert_row!(
        rows,
        "Stage 2",
        "acknowledge",
        "5 working days from the escalation request"
    );
    assert_row!(
        rows,
        "Stage 2",
        "respond",
        "20 working days from the acknowledgement"
    );
    assert!(
        rows.iter().any(|(s, w, r)| s == "Stage 1"
            && w == "extension"
            && r.starts_with("up to 10 working days; ")),
        "{rows:#?}"
    );
    assert!(
        rows.iter().any(|(s, w, r)| s == "Stage 2"
            && w == "extension"
            && r.starts_with("up to 20 working days; ")),
        "{rows:#?}"
    );
    assert!(
        rows.iter().any(|(s, w, r)| s == "Stage 2"
            && w == "handler"
            && r.ends_with("(not the previous stage's handler)")),
        "{rows:#?}"
    );
}

// ---------------------------------------------------------------------------------------
// Broken presets are refused with the line at fault.
// ---------------------------------------------------------------------------------------

/// A minimal valid preset; the tests below break one line of it. Line numbers matter.
const GOOD: &str = r#"council = "Test Council"
reference_prefix = "TEST"
source = "test"
outcomes = ["upheld", "not upheld"]
categories = []

[[retention]]
applies_to = "any"
years = 6
basis = "close-date"

[[stages]]
id = "stage1"
name = "Stage 1"
handler = "the service"
acknowledge = "5 working days from receipt"
respond = "15 working days from receipt"

[[stages]]
id = "stage2"
name = "Stage 2"
handler = "the review team"
decide = "10 working days from escalation request"
respond = "30 working days from investigation start"
"#;

fn break_line(line: usize, replacement: &str) -> String {
    let mut lines: Vec<&str> = GOOD.lines().collect();
    lines[line - 1] = replacement;
    lines.join("\n") + "\n"
}

fn rejection(src: &str) -> String {
    match parse_str(src, "broken.toml") {
        Ok(_) => panic!("accepted a broken preset:\n{src}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_unbroken_test_preset_is_accepted() {
    let p = parse_str(GOOD, "good.toml").expect("valid");
    assert_eq!(p.stages.len(), 2);
}

#[test]
fn a_bad_period_string_is_refused_naming_its_line() {
    // Line 17: the stage 1 respond.
    let err = rejection(&break_line(17, r#"respond = "15 fortnights from receipt""#));
    assert!(err.contains("broken.toml"), "{err}");
    assert!(err.contains("line 17"), "{err}");
    assert!(err.contains("15 fortnights"), "{err}");
}

#[test]
fn a_bad_anchor_is_refused_naming_its_line() {
    // Line 16: the stage 1 acknowledge.
    let err = rejection(&break_line(
        16,
        r#"acknowledge = "5 working days from lunch""#,
    ));
    assert!(err.contains("line 16"), "{err}");
}

#[test]
fn a_response_without_its_anchor_is_refused_naming_its_line() {
    // Line 24: the stage 2 respond.
    let err = rejection(&break_line(24, r#"respond = "30 working days""#));
    assert!(err.contains("line 24"), "{err}");
    assert!(err.contains("respond"), "{err}");
}

#[test]
fn an_unknown_stage_id_is_refused_naming_its_line() {
    // Line 20: the second stage's id.
    let err = rejection(&break_line(20, r#"id = "appeal""#));
    assert!(err.contains("line 20"), "{err}");
    assert!(err.contains("appeal"), "{err}");
}

#[test]
fn an_unknown_key_is_refused_naming_its_line() {
    // Line 15: a misspelt key in stage 1 (deny_unknown_fields).
    let err = rejection(&break_line(15, r#"handlr = "the service""#));
    assert!(err.contains("line 15"), "{err}");
}

#[test]
fn an_investigation_start_without_a_decision_deadline_is_refused_naming_its_line() {
    // Line 23: removing stage 2's decide leaves its respond (line 24) counting from an
    // investigation nobody decides to start.
    let err = rejection(&break_line(23, "# no decision deadline"));
    assert!(err.contains("line 24"), "{err}");
}

#[test]
fn a_first_stage_counting_from_an_escalation_request_is_refused_naming_its_line() {
    // Line 17: stage 1 cannot count from an escalation request.
    let err = rejection(&break_line(
        17,
        r#"respond = "15 working days from escalation request""#,
    ));
    assert!(err.contains("line 17"), "{err}");
}

#[test]
fn a_top_level_key_after_a_table_is_refused_naming_its_line() {
    // TOML: a key written after [[stages]] belongs to that table. Line 25 here, inside the
    // second stage, is not a stage field.
    let src = format!("{GOOD}pause_allowed = true\n");
    let err = rejection(&src);
    assert!(err.contains("line 25"), "{err}");
}
