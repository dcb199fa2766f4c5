//! The scheduler's decisions without a database, as the policy text reads.

use super::*;
use crate::config::Staff;
use crate::event::EventKind;
use crate::plan::tests::{complaint, day, PRESETS};
use crate::plan::Transition;
use deadline::Kind as D;

fn cfg() -> Config {
    let mut cfg = Config::load(None).unwrap();
    cfg.staff = vec![
        Staff {
            name: "ann".into(),
            email: "ann@council.example".into(),
            manager: Some("bob".into()),
            ..Staff::default()
        },
        Staff {
            name: "bob".into(),
            email: "bob@council.example".into(),
            manager: Some("cat".into()),
            ..Staff::default()
        },
        Staff {
            name: "cat".into(),
            email: "cat@council.example".into(),
            manager: None,
            ..Staff::default()
        },
    ];
    cfg
}

fn policy(name: &str) -> Policy {
    Policy::load(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Wed 25 Nov 2026.
fn today() -> NaiveDate {
    day(2026, 11, 25)
}

fn due(stage: &str, kind: D, on: NaiveDate) -> DueDeadline {
    DueDeadline {
        stage: stage.into(),
        kind,
        due: on,
    }
}

fn transitions(s: &Step) -> Vec<&Transition> {
    s.plan.transitions().collect()
}

fn marked(s: &Step) -> Option<(Status, Option<NaiveDate>)> {
    match s.plan.writes.as_slice() {
        [Write::SetDeadline { status, met_on, .. }] if s.key.is_none() => Some((*status, *met_on)),
        _ => None,
    }
}

/// What each preset says happens when the customer's window to ask for the next stage
/// ends without a request, at each stage that has such a window.
const WINDOWS: &[(&str, &str, OnLapse)] = &[
    // "If we do not hear from you within 20 working days we will close your complaint."
    ("bath-and-north-east-somerset", "stage1", OnLapse::AutoClose),
    ("north-norfolk", "stage2", OnLapse::CloseResolved),
];

#[test]
fn the_presets_reply_windows_are_the_ones_this_table_reads() {
    for name in PRESETS {
        let p = policy(name);
        for s in &p.preset.stages {
            let want = WINDOWS
                .iter()
                .find(|(n, st, _)| *n == name && *st == s.id)
                .map(|w| w.2);
            assert_eq!(
                s.escalation_window.as_ref().map(|w| w.on_lapse),
                want,
                "{name} {}",
                s.id
            );
        }
    }
}

#[test]
fn under_every_preset_a_lapsed_reply_window_does_what_the_policy_says() {
    let cfg = cfg();
    for name in PRESETS {
        let p = policy(name);
        for (i, s) in p.preset.stages.iter().enumerate() {
            let mut c = complaint(&p, i, State::AwaitingCustomer);
            c.facts.responded_on = Some(day(2026, 10, 20));
            let d = due(&s.id, D::EscalationWindow, day(2026, 11, 17));
            let steps = decide(&d, &c, &p, &Rules::of_config(&cfg), today()).unwrap();
            assert_eq!(steps.len(), 2, "{name} {}", s.id);
            let first = &steps[0];
            assert_eq!(
                first.key.as_deref(),
                Some(format!("window:{}", s.id).as_str())
            );
            let on_lapse = WINDOWS
                .iter()
                .find(|(n, st, _)| *n == name && *st == s.id)
                .map_or(OnLapse::StayOpen, |w| w.2);
            match on_lapse {
                OnLapse::AutoClose => {
                    let t = transitions(first);
                    assert_eq!(t[0].action, Action::Close(CloseReason::AutoClosed));
                    assert_eq!(t[0].detail.as_deref(), Some("no reply by 2026-11-17"));
                    let l: Vec<_> = first.plan.letters().collect();
                    assert_eq!(l[0].kind, "auto-close");
                    assert!(l[0].automatic);
                    assert_eq!(l[0].data["responded_on"], "2026-10-20");
                    assert_eq!(first.counts, vec![Count::AutoClosed]);
                }
                OnLapse::CloseResolved => {
                    let t = transitions(first);
                    assert_eq!(t[0].action, Action::Close(CloseReason::Resolved));
                    assert_eq!(first.plan.letters().count(), 0);
                    assert_eq!(first.counts, vec![Count::ClosedResolved]);
                }
                OnLapse::StayOpen => {
                    assert_eq!(
                        first.plan.writes,
                        vec![Write::Flag(
                            "reply window ended: decide whether to close".into()
                        )],
                        "{name} {}",
                        s.id
                    );
                    assert_eq!(first.counts, vec![Count::OverdueFlag]);
                    assert_eq!(first.line, None);
                }
            }
            assert_eq!(marked(&steps[1]), Some((Status::Lapsed, None)));
        }
    }
}

#[test]
fn a_lapsed_window_on_a_case_no_longer_awaiting_the_customer_is_only_marked_lapsed() {
    let cfg = cfg();
    let p = policy("bath-and-north-east-somerset");
    let c = complaint(&p, 1, State::EscalationRequested);
    let steps = decide(
        &due("stage1", D::EscalationWindow, day(2026, 11, 17)),
        &c,
        &p,
        &Rules::of_config(&cfg),
        today(),
    )
    .unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(marked(&steps[0]), Some((Status::Lapsed, None)));
}

#[test]
fn a_response_due_soon_alerts_the_officer_and_their_manager_once() {
    let cfg = cfg();
    for name in PRESETS {
        let p = policy(name);
        let c = complaint(&p, 0, State::Investigating);
        let stage = &p.preset.stages[0].id;
        let steps = decide(
            &due(stage, D::Respond, day(2026, 11, 27)),
            &c,
            &p,
            &Rules::of_config(&cfg),
            today(),
        )
        .unwrap();
        assert_eq!(steps.len(), 1, "{name}");
        let s = &steps[0];
        assert_eq!(s.key, Some(format!("alert:{stage}:respond:2026-11-27")));
        assert_eq!(s.counts, vec![Count::Alert]);
        let to = s.plan.writes.iter().find_map(|w| match w {
            Write::Notify { to, .. } => Some(to.clone()),
            _ => None,
        });
        assert_eq!(
            to.unwrap(),
            vec![
                ("ann".to_string(), "ann@council.example".to_string()),
                ("bob".to_string(), "bob@council.example".to_string())
            ]
        );
        assert!(s.plan.writes.contains(&Write::Event {
            kind: EventKind::DeadlineAlert,
            detail: Some(format!("{stage} response due 2026-11-27 (2 working days)")),
        }));
    }
}

#[test]
fn a_case_nobody_is_assigned_to_alerts_the_duty_manager_and_their_manager() {
    // Issue 13, item 7: without a duty manager the alert would go to nobody.
    let mut cfg = cfg();
    let p = policy("lgsco-code");
    let mut c = complaint(&p, 0, State::Investigating);
    c.officer = None;
    let stage = &p.preset.stages[0].id;
    let alert_to = |cfg: &Config| {
        decide(
            &due(stage, D::Respond, day(2026, 11, 27)),
            &c,
            &p,
            &Rules::of_config(cfg),
            today(),
        )
        .unwrap()
        .iter()
        .flat_map(|s| s.plan.writes.clone())
        .find_map(|w| match w {
            Write::Notify { to, .. } => Some(to),
            _ => None,
        })
        .unwrap_or_default()
    };
    // Issue 22, item 8: with no duty manager, every manager in the staff list (bob and
    // cat are someone's manager; ann is not).
    assert_eq!(
        alert_to(&cfg),
        vec![
            ("bob".to_string(), "bob@council.example".to_string()),
            ("cat".to_string(), "cat@council.example".to_string())
        ]
    );
    cfg.workflow.duty_manager = Some("bob".into());
    assert_eq!(
        alert_to(&cfg),
        vec![
            ("bob".to_string(), "bob@council.example".to_string()),
            ("cat".to_string(), "cat@council.example".to_string())
        ]
    );
    cfg.workflow.duty_manager = Some("cat".into());
    assert_eq!(
        alert_to(&cfg),
        vec![("cat".to_string(), "cat@council.example".to_string())]
    );
}

/// The recipients of the alert on `c`'s stage 1 response due soon, and tick's line.
fn alert_of(cfg: &Config, c: &Case, p: &Policy) -> (Vec<(String, String)>, String) {
    let steps = decide(
        &due(&p.preset.stages[0].id, D::Respond, day(2026, 11, 27)),
        c,
        p,
        &Rules::of_config(cfg),
        today(),
    )
    .unwrap();
    let to = steps
        .iter()
        .flat_map(|s| s.plan.writes.clone())
        .find_map(|w| match w {
            Write::Notify { to, .. } => Some(to),
            _ => None,
        })
        .unwrap();
    (to, steps[0].line.clone().unwrap())
}

#[test]
fn an_alert_with_no_officer_goes_to_the_duty_manager_and_the_line_names_them() {
    let mut cfg = cfg();
    cfg.workflow.duty_manager = Some("cat".into());
    let p = policy("lgsco-code");
    let mut c = complaint(&p, 0, State::Investigating);
    c.officer = None;
    let (to, line) = alert_of(&cfg, &c, &p);
    assert_eq!(to, vec![("cat".into(), "cat@council.example".into())]);
    assert_eq!(
        line,
        "T-2026-00001: stage1 response due 2026-11-27; mailed cat"
    );
    // With an officer, the officer and their manager, named.
    c.officer = Some("ann".into());
    let (_, line) = alert_of(&cfg, &c, &p);
    assert_eq!(
        line,
        "T-2026-00001: stage1 response due 2026-11-27; mailed ann, bob"
    );
}

#[test]
fn an_alert_with_no_officer_and_no_duty_manager_goes_to_every_manager() {
    let mut cfg = cfg();
    cfg.staff.push(Staff {
        name: "dee".into(),
        email: "dee@council.example".into(),
        manager: Some("cat".into()),
        ..Staff::default()
    });
    let p = policy("west-lindsey");
    let mut c = complaint(&p, 0, State::Investigating);
    c.officer = None;
    let (to, line) = alert_of(&cfg, &c, &p);
    let names: Vec<&str> = to.iter().map(|t| t.0.as_str()).collect();
    assert_eq!(names, vec!["bob", "cat"]);
    assert!(line.ends_with("; mailed bob, cat"), "{line}");
    // An officer not listed under [[staff]] (no address) is no one to mail either.
    c.officer = Some("zed".into());
    assert_eq!(alert_of(&cfg, &c, &p).0.len(), 2);
}

#[test]
fn an_alert_with_no_staff_at_all_goes_to_the_councils_complaints_address() {
    let mut cfg = cfg();
    cfg.staff.clear();
    let p = policy("west-lindsey");
    let mut c = complaint(&p, 0, State::Investigating);
    c.officer = None;
    let (to, line) = alert_of(&cfg, &c, &p);
    assert_eq!(
        to,
        vec![(COUNCIL_INBOX.to_string(), cfg.council.email.clone())]
    );
    assert!(
        line.ends_with(&format!("; mailed {}", cfg.council.email)),
        "{line}"
    );
    // Staff with no manager between them: still the council's address.
    cfg.staff.push(Staff {
        name: "ann".into(),
        email: "ann@council.example".into(),
        ..Staff::default()
    });
    assert_eq!(alert_of(&cfg, &c, &p).0[0].0, COUNCIL_INBOX);
    // A lapsed extension with nobody above the officer: not nobody.
    c.officer = Some("ann".into());
    let steps = decide(
        &due("stage1", D::Extension, day(2026, 11, 20)),
        &c,
        &p,
        &Rules::of_config(&cfg),
        today(),
    )
    .unwrap();
    let to = steps[0]
        .plan
        .writes
        .iter()
        .find_map(|w| match w {
            Write::Notify { to, .. } => Some(to.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(to[0].1, cfg.council.email);
}

#[test]
fn under_every_preset_a_lapsed_response_gets_a_holding_letter_within_the_extension_limit() {
    use crate::policy::Unit;
    let cfg = cfg();
    for name in PRESETS {
        let p = policy(name);
        let c = complaint(&p, 0, State::Investigating);
        let st = &p.preset.stages[0];
        let lapsed_on = day(2026, 11, 20);
        let steps = decide(
            &due(&st.id, D::Respond, lapsed_on),
            &c,
            &p,
            &Rules::of_config(&cfg),
            today(),
        )
        .unwrap();
        if st.extension.is_none() {
            // No extension at this stage: no new date (see the test below).
            continue;
        }
        let mut days = cfg.workflow.holding_days;
        if let Some(max) = st.extension.as_ref().and_then(|e| e.max) {
            if max.unit == Unit::WorkingDays {
                days = days.min(max.amount);
            }
        }
        let new_due = cfg.calendar.add_working_days(lapsed_on, days);
        let s = &steps[0];
        assert_eq!(s.key, Some(format!("lapsed:{}:respond", st.id)));
        assert_eq!(
            s.plan.writes[0],
            Write::Extension {
                stage: st.id.clone(),
                from: lapsed_on,
                period: format!("{days} working days"),
                due: new_due
            },
            "{name}"
        );
        let l: Vec<_> = s.plan.letters().collect();
        assert_eq!(l[0].kind, "holding");
        assert!(l[0].automatic);
        assert_eq!(l[0].data["new_date"], crate::time::iso(new_due));
        assert_eq!(
            s.counts,
            vec![Count::HoldingLetter, Count::EscalatedToManager]
        );
        assert_eq!(marked(&steps[1]), Some((Status::Lapsed, None)));
    }
}

#[test]
fn a_lapsed_extension_goes_further_up_the_chain() {
    let cfg = cfg();
    let p = policy("lgsco-code");
    let c = complaint(&p, 0, State::Investigating);
    let steps = decide(
        &due("stage1", D::Extension, day(2026, 11, 24)),
        &c,
        &p,
        &Rules::of_config(&cfg),
        today(),
    )
    .unwrap();
    let to = steps[0].plan.writes.iter().find_map(|w| match w {
        Write::Notify { to, .. } => Some(to.iter().map(|t| t.0.clone()).collect::<Vec<_>>()),
        _ => None,
    });
    assert_eq!(to.unwrap(), vec!["bob", "cat"]);
    assert_eq!(
        steps[0].key.as_deref(),
        Some("lapsed:stage1:extension:2026-11-24")
    );
    assert_eq!(marked(&steps[1]), Some((Status::Lapsed, None)));
}

#[test]
fn a_survey_due_is_sent_once_and_the_deadline_met_today_and_a_lapsed_aim_is_only_marked() {
    let cfg = cfg();
    let p = policy("west-lindsey");
    let c = complaint(&p, 0, State::Closed);
    let steps = decide(
        &due("stage1", D::Survey, today()),
        &c,
        &p,
        &Rules::of_config(&cfg),
        today(),
    )
    .unwrap();
    assert_eq!(steps[0].key.as_deref(), Some("survey"));
    assert_eq!(
        steps[0].plan.letters().next().unwrap().kind,
        "survey-invitation"
    );
    assert_eq!(marked(&steps[1]), Some((Status::Met, Some(today()))));
    let aim = decide(
        &due("stage1", D::Aim, day(2026, 11, 2)),
        &c,
        &p,
        &Rules::of_config(&cfg),
        today(),
    )
    .unwrap();
    assert_eq!(aim.len(), 1);
    assert_eq!(marked(&aim[0]), Some((Status::Lapsed, None)));
    // Not yet due: nothing.
    let early = decide(
        &due("stage1", D::Aim, day(2026, 11, 26)),
        &c,
        &p,
        &Rules::of_config(&cfg),
        today(),
    )
    .unwrap();
    assert!(early.is_empty());
}

#[test]
fn answered_compliments_close_as_resolved_and_redirects_as_out_of_scope() {
    let cfg = cfg();
    let p = policy("lgsco-code");
    for (kind, reason) in [
        (Kind::Compliment, CloseReason::Resolved),
        (Kind::ServiceRequest, CloseReason::OutOfScope),
        (Kind::OutOfScope, CloseReason::OutOfScope),
    ] {
        let mut c = complaint(&p, 0, State::Acknowledged);
        c.kind = kind;
        let s = answered(&c, &p, &Rules::of_config(&cfg), today()).unwrap();
        assert_eq!(transitions(&s)[0].action, Action::Close(reason));
        assert_eq!(
            s.line,
            Some(format!("T-2026-00001: {kind} answered, closed"))
        );
    }
}

#[test]
fn a_reply_asking_for_a_review_after_our_response_escalates_and_anything_else_is_flagged() {
    let cfg = cfg();
    let p = policy("lgsco-code");
    let mut c = complaint(&p, 0, State::AwaitingCustomer);
    c.facts.responded_on = Some(day(2026, 11, 20));
    let at = |d: u32| {
        chrono::NaiveDate::from_ymd_opt(2026, 11, d)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
    };
    let keys = |steps: Vec<Step>| {
        steps
            .into_iter()
            .map(|s| s.key.unwrap())
            .collect::<Vec<_>>()
    };
    let asks = "I am not happy, please review my complaint";
    assert_eq!(
        keys(reply(&c, 7, asks, at(23), &p, &Rules::of_config(&cfg)).unwrap()),
        vec!["review-request:7", "reply:7"]
    );
    // Sent before our response: not a reply to it.
    assert_eq!(
        keys(reply(&c, 7, asks, at(19), &p, &Rules::of_config(&cfg)).unwrap()),
        vec!["reply:7"]
    );
    assert_eq!(
        keys(reply(&c, 7, "thank you", at(23), &p, &Rules::of_config(&cfg)).unwrap()),
        vec!["reply:7"]
    );
    // At the last stage there is nothing to escalate to.
    let mut last = complaint(&p, p.preset.stages.len() - 1, State::AwaitingCustomer);
    last.facts.responded_on = Some(day(2026, 11, 20));
    assert_eq!(
        keys(reply(&last, 7, asks, at(23), &p, &Rules::of_config(&cfg)).unwrap()),
        vec!["reply:7"]
    );
    // The review request happens when the reply arrived.
    let steps = reply(&c, 7, asks, at(23), &p, &Rules::of_config(&cfg)).unwrap();
    assert_eq!(steps[0].at, Some(at(23)));
    assert!(steps[0].plan.letters().next().unwrap().automatic);
}

#[test]
fn automatic_letters_are_stored_with_exactly_the_facts_their_templates_use() {
    let mut cfg = cfg();
    let p = policy("west-lindsey");
    let c = complaint(&p, 0, State::Closed);
    let survey = |cfg: &Config| {
        let steps = decide(
            &due("stage1", D::Survey, today()),
            &c,
            &p,
            &Rules::of_config(cfg),
            today(),
        )
        .unwrap();
        let data = steps[0].plan.letters().next().unwrap().data.clone();
        data
    };
    assert_eq!(
        survey(&cfg),
        serde_json::json!({"url": cfg.council.web.clone()})
    );
    cfg.workflow.survey_url = Some("https://survey.example/r".into());
    assert_eq!(
        survey(&cfg),
        serde_json::json!({"url": "https://survey.example/r"})
    );
    let c = complaint(&p, 0, State::Investigating);
    let lapsed_on = day(2026, 11, 20);
    let steps = decide(
        &due("stage1", D::Respond, lapsed_on),
        &c,
        &p,
        &Rules::of_config(&cfg),
        today(),
    )
    .unwrap();
    let l = steps[0].plan.letters().next().unwrap();
    assert_eq!(l.data.as_object().unwrap().len(), 2, "{}", l.data);
    assert_eq!(l.data["reason"], cfg.workflow.holding_reason.as_str());
}

#[test]
fn the_escalation_chain_follows_managers_and_stops_at_a_loop() {
    let mut cfg = Config::load(None).unwrap();
    cfg.staff = vec![
        Staff {
            name: "ann".into(),
            email: "ann@x".into(),
            manager: Some("bob".into()),
            ..Staff::default()
        },
        Staff {
            name: "bob".into(),
            email: "bob@x".into(),
            manager: Some("cat".into()),
            ..Staff::default()
        },
        Staff {
            name: "cat".into(),
            email: "cat@x".into(),
            manager: Some("ann".into()),
            ..Staff::default()
        },
    ];
    let dir = cfg.directory();
    assert_eq!(chain(&dir, Some("ann")), vec!["ann", "bob", "cat"]);
    assert!(chain(&dir, None).is_empty());
}

#[test]
fn a_lapsed_response_where_the_policy_allows_no_extension_is_flagged_and_escalated_without_a_new_date(
) {
    // Stockton-on-Tees, seed 001 l.51: "Early Resolution within 3 working days, Stage 1
    // will be responded to within 25 working days and stage 2 within 20 working days.
    // This is an “upto” timescale and internal management of the processes will mean that
    // all complaints are progressed as quickly as possible." No extension at any stage, so
    // the scheduler gives no new date either: it flags the case and tells the officer and
    // their manager. Moving to stage 1 is the customer's (l.49), not the clock's.
    let cfg = cfg();
    let p = policy("stockton-on-tees");
    for (i, st) in p.preset.stages.iter().enumerate() {
        let c = complaint(&p, i, State::Investigating);
        let lapsed_on = day(2026, 11, 20);
        let steps = decide(
            &due(&st.id, D::Respond, lapsed_on),
            &c,
            &p,
            &Rules::of_config(&cfg),
            today(),
        )
        .unwrap();
        assert_eq!(steps.len(), 2, "{}", st.id);
        let s = &steps[0];
        assert_eq!(s.key, Some(format!("lapsed:{}:respond", st.id)));
        assert!(
            !s.plan
                .writes
                .iter()
                .any(|w| matches!(w, Write::Extension { .. } | Write::Letter(_))),
            "{}: no new date, no letter: {:?}",
            st.id,
            s.plan.writes
        );
        assert!(s.plan.writes.contains(&Write::Flag(format!(
            "{} response overdue since 2026-11-20 (no extension allowed)",
            st.id
        ))));
        let to: Vec<&str> = s
            .plan
            .writes
            .iter()
            .filter_map(|w| match w {
                Write::Notify { to, subject, .. } => {
                    assert!(subject.contains("no extension allowed"), "{subject}");
                    Some(to.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>())
                }
                _ => None,
            })
            .flatten()
            .collect();
        assert!(
            to.contains(&"ann") && to.len() == 2,
            "officer and manager: {to:?}"
        );
        assert_eq!(s.counts, vec![Count::EscalatedToManager]);
        assert_eq!(marked(&steps[1]), Some((Status::Lapsed, None)));
    }
}

#[test]
fn closure_notices_and_surveys_wait_for_a_working_day() {
    // Issue 13, item 15: letters no deadline binds go out on working days. Saturday
    // 28 November 2026: nothing; Monday 30 November: the pass takes them.
    let cfg = cfg();
    let (saturday, monday) = (day(2026, 11, 28), day(2026, 11, 30));
    let bath = policy("bath-and-north-east-somerset");
    let mut c = complaint(&bath, 0, State::AwaitingCustomer);
    c.facts.responded_on = Some(day(2026, 10, 20));
    let window = due("stage1", D::EscalationWindow, day(2026, 11, 27));
    assert!(
        decide(&window, &c, &bath, &Rules::of_config(&cfg), saturday)
            .unwrap()
            .is_empty()
    );
    let steps = decide(&window, &c, &bath, &Rules::of_config(&cfg), monday).unwrap();
    assert_eq!(steps[0].key.as_deref(), Some("window:stage1"));
    assert!(steps[0].plan.letters().any(|l| l.kind == "auto-close"));

    let wl = policy("west-lindsey");
    let closed = complaint(&wl, 0, State::Closed);
    let survey = due("stage1", D::Survey, day(2026, 11, 27));
    assert!(
        decide(&survey, &closed, &wl, &Rules::of_config(&cfg), saturday)
            .unwrap()
            .is_empty()
    );
    let steps = decide(&survey, &closed, &wl, &Rules::of_config(&cfg), monday).unwrap();
    assert_eq!(steps[0].key.as_deref(), Some("survey"));
}

#[test]
fn a_review_request_on_a_case_closed_as_responded_reopens_it_into_the_next_stage() {
    // North Norfolk seed 004 l.406: no time limit to go from the informal stage to the
    // formal procedure, so the informal response closed the case as responded; the
    // customer's later request reopens it into stage 2.
    let cfg = cfg();
    let p = policy("north-norfolk");
    let mut c = complaint(&p, 0, State::Closed);
    c.close_reason = Some(CloseReason::Responded);
    c.facts.responded_on = Some(day(2026, 11, 20));
    // Four months later.
    let at = chrono::NaiveDate::from_ymd_opt(2027, 3, 22)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc();
    let steps = reply(
        &c,
        9,
        "Please review my complaint",
        at,
        &p,
        &Rules::of_config(&cfg),
    )
    .unwrap();
    assert_eq!(steps[0].key.as_deref(), Some("review-request:9"));
    let t = transitions(&steps[0]);
    assert_eq!(
        (t[0].from, t[0].to),
        (State::Closed, State::EscalationRequested)
    );
    assert_eq!(t[0].facts.stage.as_deref(), Some("stage2"));
    assert_eq!(t[0].facts.close, Some(None));
    // A thank-you only flags it.
    let steps = reply(&c, 9, "Thank you", at, &p, &Rules::of_config(&cfg)).unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].key.as_deref(), Some("reply:9"));
}

/// Which stages send the holding letter within the timescale (`holding_letter_sent`),
/// as the policy text reads; every other stage waits for the lapse.
const HOLDING_IN_TIME: &[(&str, &str)] = &[
    // Seed 004 l.430 "At each stage respond to complaints or send a holding letter or email
    // to the customer in line with the timescales indicated in the 3 stage procedure."
    ("north-norfolk", "stage1"),
    ("north-norfolk", "stage2"),
    ("north-norfolk", "stage3"),
    // Seed 003 l.108 "you will be contacted to advise you of this and will be informed of
    // the expected response date"; l.185 "the Customer will be kept fully informed".
    ("west-lindsey", "stage1"),
    // Code 6.4 "decide whether an extension to this timescale is needed ... and then
    // inform individuals of the expected timescale for response" (stage 2 as stage 1).
    ("lgsco-code", "stage1"),
    ("lgsco-code", "stage2"),
    // Seed 000 l.182 "We will provide a written response within 20 working days ... If we
    // are not able to do this, we can extend the timescale and we will let the customer
    // know"; l.193 "If we are not able to do this, we will let the customer know and give a
    // new timescale": told within the timescale.
    ("buckinghamshire", "stage1"),
    ("buckinghamshire", "stage2"),
    // Seed 002 l.155 "customers will be told what they can expect to happen and by when";
    // l.165 "if they cannot be resolved within the agreed time scales, we will inform you of
    // the reason for delay and give you a target date".
    ("bath-and-north-east-somerset", "stage1"),
    ("bath-and-north-east-somerset", "stage2"),
];

#[test]
fn the_presets_holding_letters_go_out_when_this_table_reads() {
    use crate::policy::HoldingWhen;
    for name in PRESETS {
        let p = policy(name);
        for s in &p.preset.stages {
            let want = if HOLDING_IN_TIME.contains(&(name, s.id.as_str())) {
                HoldingWhen::Before(0)
            } else {
                HoldingWhen::AfterLapse
            };
            assert_eq!(s.holding_letter_sent, want, "{name} {}", s.id);
        }
    }
}

#[test]
fn holding_letter_timing_reads_and_refuses_as_written() {
    use crate::policy::HoldingWhen;
    for (text, want) in [
        ("after the response date", HoldingWhen::AfterLapse),
        ("On the response date", HoldingWhen::Before(0)),
        (
            "1 working day before the response date",
            HoldingWhen::Before(1),
        ),
        (
            "3 working days before the response date",
            HoldingWhen::Before(3),
        ),
    ] {
        assert_eq!(text.parse::<HoldingWhen>(), Ok(want), "{text}");
        assert_eq!(
            String::from(want).parse::<HoldingWhen>(),
            Ok(want),
            "round trip"
        );
    }
    for bad in [
        "",
        "before",
        "0 working days before the response date",
        "21 working days before the response date",
        "3 days before the response date",
    ] {
        let e = bad.parse::<HoldingWhen>().unwrap_err();
        assert!(e.contains("holding_letter_sent"), "{e}");
    }
    // Christmas 2026: Fri 25 Dec, Mon 28 Dec (substitute Boxing Day) and Fri 1 Jan 2027
    // are bank holidays. A response due Mon 28 Dec: on it means Thu 24 Dec; one working
    // day before, Wed 23 Dec. Due Tue 5 Jan 2027, 3 working days before (Mon 4 Jan,
    // Thu 31 Dec, Wed 30 Dec): Wed 30 Dec.
    let cal = crate::calendar::Calendar::new();
    let on = HoldingWhen::Before(0);
    assert_eq!(on.send_on(&cal, day(2026, 12, 28)), Some(day(2026, 12, 24)));
    assert_eq!(
        HoldingWhen::Before(1).send_on(&cal, day(2026, 12, 28)),
        Some(day(2026, 12, 23))
    );
    assert_eq!(
        HoldingWhen::Before(3).send_on(&cal, day(2027, 1, 5)),
        Some(day(2026, 12, 30))
    );
    assert_eq!(HoldingWhen::AfterLapse.send_on(&cal, day(2027, 1, 5)), None);
}

fn holding_steps(steps: &[Step]) -> Vec<&Step> {
    steps
        .iter()
        .filter(|s| s.counts.contains(&Count::HoldingLetter))
        .collect()
}

#[test]
fn north_norfolk_sends_the_holding_letter_on_the_response_date_not_the_day_after() {
    // Seed 004 l.430 "respond to complaints or send a holding letter or email to the
    // customer in line with the timescales": a stage 2 response due Thu 24 Dec 2026.
    let cfg = cfg();
    let p = policy("north-norfolk");
    let c = complaint(&p, 1, State::Investigating);
    let due_on = day(2026, 12, 24);
    let d = due("stage2", D::Respond, due_on);
    // Wed 23 Dec: the alert only.
    let steps = decide(&d, &c, &p, &Rules::of_config(&cfg), day(2026, 12, 23)).unwrap();
    assert!(holding_steps(&steps).is_empty(), "{steps:?}");
    assert_eq!(steps.len(), 1);
    // Thu 24 Dec, the response date: the holding letter, with a new date 10 working days
    // on (no limit at North Norfolk, so the configured 10): skipping 25 and 28 Dec and
    // 1 Jan, Tue 12 Jan 2027.
    let steps = decide(&d, &c, &p, &Rules::of_config(&cfg), due_on).unwrap();
    let h = holding_steps(&steps);
    assert_eq!(h.len(), 1, "{steps:?}");
    let s = h[0];
    assert_eq!(s.key.as_deref(), Some("holding:stage2:respond"));
    assert_eq!(s.counts, vec![Count::HoldingLetter]);
    assert_eq!(
        s.plan.writes[0],
        Write::Extension {
            stage: "stage2".into(),
            from: due_on,
            period: "10 working days".into(),
            due: day(2027, 1, 12),
        }
    );
    let l: Vec<_> = s.plan.letters().collect();
    assert_eq!((l.len(), l[0].kind.as_str()), (1, "holding"));
    assert!(l[0].automatic);
    assert_eq!(l[0].data["new_date"], "2027-01-12");
    // Not overdue: no flag.
    assert!(!s.plan.writes.iter().any(|w| matches!(w, Write::Flag(_))));
    // Bath & NES now too (seed 002 l.155 "customers will be told what they can expect to
    // happen and by when"): on the response date, not the day after (issue 24, item 4).
    let bath = policy("bath-and-north-east-somerset");
    let bc = complaint(&bath, 0, State::Investigating);
    let steps = decide(
        &due("stage1", D::Respond, due_on),
        &bc,
        &bath,
        &Rules::of_config(&cfg),
        due_on,
    )
    .unwrap();
    assert_eq!(holding_steps(&steps).len(), 1, "{steps:?}");
}

#[test]
fn west_lindseys_holding_letter_goes_on_the_last_working_day_and_never_on_a_day_off() {
    // Seed 003 l.108 "within 21 days" (calendar days): due Mon 28 Dec 2026, the
    // substitute Boxing Day. The last working day on or before it is Thu 24 Dec.
    let cfg = cfg();
    let p = policy("west-lindsey");
    let c = complaint(&p, 0, State::Investigating);
    let due_on = day(2026, 12, 28);
    let d = due("stage1", D::Respond, due_on);
    for quiet in [
        day(2026, 12, 23),
        day(2026, 12, 25),
        day(2026, 12, 26),
        day(2026, 12, 27),
        due_on,
    ] {
        let steps = decide(&d, &c, &p, &Rules::of_config(&cfg), quiet).unwrap();
        assert!(holding_steps(&steps).is_empty(), "{quiet}: {steps:?}");
    }
    let steps = decide(&d, &c, &p, &Rules::of_config(&cfg), day(2026, 12, 24)).unwrap();
    let h = holding_steps(&steps);
    assert_eq!(h.len(), 1, "{steps:?}");
    // New date from the response date: 10 working days after Mon 28 Dec, skipping
    // Fri 1 Jan 2027: Tue 12 Jan 2027.
    let l: Vec<_> = h[0].plan.letters().collect();
    assert_eq!(l[0].data["new_date"], "2027-01-12");
}

#[test]
fn the_lgsco_holding_letter_in_time_keeps_within_the_extension_limit_and_stockton_sends_none() {
    // Code 6.4 "Any extension should be no more than 10 working days": stage 1 with
    // holding_days 15 gives 10. Due Tue 29 Dec 2026: new date Wed 13 Jan 2027.
    let mut cfg = cfg();
    cfg.workflow.holding_days = 15;
    let p = policy("lgsco-code");
    let c = complaint(&p, 0, State::Investigating);
    let due_on = day(2026, 12, 29);
    let steps = decide(
        &due("stage1", D::Respond, due_on),
        &c,
        &p,
        &Rules::of_config(&cfg),
        due_on,
    )
    .unwrap();
    let h = holding_steps(&steps);
    assert_eq!(h.len(), 1, "{steps:?}");
    assert_eq!(
        h[0].plan.letters().next().unwrap().data["new_date"],
        "2027-01-13"
    );
    // Stockton-on-Tees allows no extension (seed 001 l.51): nothing before the lapse.
    let st = policy("stockton-on-tees");
    for (i, s) in st.preset.stages.iter().enumerate() {
        let c = complaint(&st, i, State::Investigating);
        let steps = decide(
            &due(&s.id, D::Respond, due_on),
            &c,
            &st,
            &Rules::of_config(&cfg),
            due_on,
        )
        .unwrap();
        assert!(holding_steps(&steps).is_empty(), "{}: {steps:?}", s.id);
    }
}

fn noon(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    day(y, m, d).and_hms_opt(12, 0, 0).unwrap().and_utc()
}

fn keys(steps: &[Step]) -> Vec<String> {
    steps.iter().map(|s| s.key.clone().unwrap()).collect()
}

fn flags(s: &Step) -> Vec<String> {
    s.plan
        .writes
        .iter()
        .filter_map(|w| match w {
            Write::Flag(f) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

/// Bath & NES stage 1, answered Fri 20 Nov 2026: the window (20 working days from our
/// response) ends Fri 18 Dec 2026.
fn bath_answered() -> (Policy, Case) {
    let p = policy("bath-and-north-east-somerset");
    let mut c = complaint(&p, 0, State::AwaitingCustomer);
    c.facts.responded_on = Some(day(2026, 11, 20));
    (p, c)
}

#[test]
fn a_negated_or_thankful_reply_opens_no_stage_and_is_only_flagged() {
    // Issue 22, item 7: "I am no longer dissatisfied, please close it" opened stage 2.
    let cfg = cfg();
    let (p, c) = bath_answered();
    for words in [
        "I am no longer dissatisfied, please close it",
        "Thank you for looking into it. I am happy for you to close my complaint.",
        "I don't want to take this further, it has been sorted now. Thanks",
        "Re: Your complaint\nThere is no need to escalate, the bins were collected.",
    ] {
        let steps = reply(
            &c,
            7,
            words,
            noon(2026, 11, 23),
            &p,
            &Rules::of_config(&cfg),
        )
        .unwrap();
        assert_eq!(keys(&steps), vec!["reply:7"], "{words}");
        assert_eq!(
            flags(&steps[0]),
            vec!["the customer replied after our response"]
        );
        assert_eq!(
            steps[0].line.as_deref(),
            Some("T-2026-00001: customer replied, flagged for the officer; mailed ann")
        );
    }
}

#[test]
fn an_uncertain_reply_is_flagged_as_a_possible_review_request_and_the_officer_told() {
    let cfg = cfg();
    let (p, c) = bath_answered();
    let steps = reply(
        &c,
        7,
        "I'm not sure whether to ask for a review of this.",
        noon(2026, 11, 23),
        &p,
        &Rules::of_config(&cfg),
    )
    .unwrap();
    assert_eq!(keys(&steps), vec!["possible-review:7", "reply:7"]);
    let s = &steps[0];
    assert!(s.plan.transitions().next().is_none(), "no stage opened");
    assert!(flags(s)[0].starts_with(
        "possible review request in the customer's reply of 2026-11-23: confirm with `escalate T-2026-00001 --from-reply`"
    ));
    let (to, subject) = s
        .plan
        .writes
        .iter()
        .find_map(|w| match w {
            Write::Notify { to, subject, .. } => Some((to.clone(), subject.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(to, vec![("ann".into(), "ann@council.example".into())]);
    assert_eq!(subject, "[Ref T-2026-00001] possible review request");
    assert_eq!(s.counts, vec![Count::ReplyFlagged]);
}

#[test]
fn a_request_after_the_window_the_policy_closes_at_is_refused_in_its_terms() {
    let cfg = cfg();
    let (p, c) = bath_answered();
    // In time on the window's last day, Fri 18 Dec.
    let steps = reply(
        &c,
        7,
        "I want a review.",
        noon(2026, 12, 18),
        &p,
        &Rules::of_config(&cfg),
    )
    .unwrap();
    assert_eq!(keys(&steps)[0], "review-request:7");
    // Mon 21 Dec: too late (the tick had not yet closed the case).
    let steps = reply(
        &c,
        7,
        "I want a review.",
        noon(2026, 12, 21),
        &p,
        &Rules::of_config(&cfg),
    )
    .unwrap();
    assert_eq!(keys(&steps), vec!["late-review:7", "reply:7"]);
    assert!(steps[0].plan.transitions().next().is_none());
    assert_eq!(
        flags(&steps[0]),
        vec!["review request refused as too late: the Bath & North East Somerset Council policy gives the customer 20 working days from our Stage 1 response to ask for Stage 2 Review, which ended on 2026-12-18 Fri; after that the complaint is closed, and this request came on 2026-12-21 Mon".to_string()]
    );
    // The officer cannot confirm it either.
    let err = plan::escalate_from_reply(
        &c,
        &p,
        &cfg.calendar,
        day(2026, 12, 21),
        day(2026, 12, 22),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("T-2026-00001: too late for a review: the Bath & North East Somerset Council policy gives the customer 20 working days"), "{err}");
}

#[test]
fn a_late_request_where_the_policy_leaves_it_to_an_officer_is_flagged_for_them() {
    let cfg = cfg();
    let (mut p, c) = bath_answered();
    p.preset.stages[0]
        .escalation_window
        .as_mut()
        .unwrap()
        .on_lapse = OnLapse::StayOpen;
    let steps = reply(
        &c,
        7,
        "I want a review.",
        noon(2026, 12, 21),
        &p,
        &Rules::of_config(&cfg),
    )
    .unwrap();
    assert_eq!(keys(&steps), vec!["late-review:7", "reply:7"]);
    assert!(flags(&steps[0])[0]
        .starts_with("late review request: the Bath & North East Somerset Council policy"));
    assert!(flags(&steps[0])[0]
        .ends_with("decide whether to accept it (escalate T-2026-00001 --from-reply)"));
    // The officer's confirmation is the decision: accepted, and the timeline says so.
    let plan = plan::escalate_from_reply(
        &c,
        &p,
        &cfg.calendar,
        day(2026, 12, 21),
        day(2026, 12, 22),
        None,
    )
    .unwrap();
    let t = transitions_of(&plan);
    assert!(t[0]
        .detail
        .as_deref()
        .unwrap()
        .ends_with("accepted by an officer"));
}

fn transitions_of(p: &Plan) -> Vec<&Transition> {
    p.transitions().collect()
}

#[test]
fn an_officers_confirmation_dates_the_request_from_the_reply_and_acknowledges_today() {
    let cfg = cfg();
    let (p, c) = bath_answered();
    // The reply came Mon 23 Nov; the officer confirms it Thu 26 Nov.
    let plan = plan::escalate_from_reply(
        &c,
        &p,
        &cfg.calendar,
        day(2026, 11, 23),
        day(2026, 11, 26),
        None,
    )
    .unwrap();
    let t = transitions_of(&plan);
    assert_eq!(t[0].action, Action::RequestEscalation);
    assert_eq!(
        t[0].facts.escalation_requested_on,
        Some(Some(day(2026, 11, 23)))
    );
    assert!(t[0].deadlines.contains(&plan::DeadlineOp::MarkMet {
        stage: "stage1".into(),
        kinds: vec![D::EscalationWindow],
        on: day(2026, 11, 23),
    }));
    // Stage 2's acknowledgement counts from the request: 5 working days from Mon 23 Nov.
    let ack = t[0]
        .recomputed
        .iter()
        .find(|d| d.kind == D::Acknowledge)
        .unwrap();
    assert_eq!(ack.due, day(2026, 11, 30));
    assert_eq!(t[1].action, Action::Acknowledge);
    assert_eq!(t[1].facts.acknowledged_on, Some(Some(day(2026, 11, 26))));
    assert!(!plan.letters().next().unwrap().automatic);
    // A message from before our response asks nothing about it.
    assert!(plan::escalate_from_reply(
        &c,
        &p,
        &cfg.calendar,
        day(2026, 11, 19),
        day(2026, 11, 26),
        None
    )
    .is_err());
}

#[test]
fn a_lapsing_window_leaves_open_a_case_whose_reply_may_ask_for_a_review() {
    let cfg = cfg();
    let (p, mut c) = bath_answered();
    c.flagged = Some(format!(
        "{POSSIBLE_REVIEW} in the customer's reply of 2026-12-17"
    ));
    let steps = decide(
        &due("stage1", D::EscalationWindow, day(2026, 11, 17)),
        &c,
        &p,
        &Rules::of_config(&cfg),
        today(),
    )
    .unwrap();
    assert_eq!(
        steps[0].plan.writes,
        vec![Write::Flag(
            "reply window ended: decide whether to close".into()
        )]
    );
    assert!(steps[0].plan.transitions().next().is_none());
}

#[test]
fn a_holding_letter_to_a_customer_whose_letters_are_posted_is_told_as_waiting_to_be_posted() {
    // Issue 22, item 9: a held letter is not a sent one.
    let cfg = cfg();
    let p = policy("bath-and-north-east-somerset");
    let mut c = complaint(&p, 0, State::Investigating);
    c.customer_email = None;
    c.letters_by_post = true;
    let steps = decide(
        &due("stage1", D::Respond, day(2026, 11, 20)),
        &c,
        &p,
        &Rules::of_config(&cfg),
        today(),
    )
    .unwrap();
    let (subject, body) = steps[0]
        .plan
        .writes
        .iter()
        .find_map(|w| match w {
            Write::Notify { subject, body, .. } => Some((subject.clone(), body.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        subject,
        "[Ref T-2026-00001] response overdue: holding letter to post"
    );
    assert!(
        body.contains("A holding letter to the customer is waiting to be printed and posted"),
        "{body}"
    );
    assert!(!body.contains("has been sent"), "{body}");
    assert!(steps[0]
        .line
        .as_deref()
        .unwrap()
        .contains("(to print and post)"));
    c.letters_by_post = false;
    c.customer_email = Some("jo@example.net".into());
    let steps = decide(
        &due("stage1", D::Respond, day(2026, 11, 20)),
        &c,
        &p,
        &Rules::of_config(&cfg),
        today(),
    )
    .unwrap();
    let body = steps[0]
        .plan
        .writes
        .iter()
        .find_map(|w| match w {
            Write::Notify { body, .. } => Some(body.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        body.contains("The customer has been sent a holding letter"),
        "{body}"
    );
}

#[test]
fn an_extended_date_reached_with_no_response_brings_another_holding_letter_within_the_limit() {
    // Issue 24 item 3: the holding letter says "If anything changes, we will write to you
    // again before then"; LGSCO Code 6.4 (stage 1 extensions at most 10 working days).
    let cfg = cfg();
    let p = policy("lgsco-code");
    let mut c = complaint(&p, 0, State::Investigating);
    // Acknowledged Mon 2 Nov 2026: respond 10 working days on, Mon 16 Nov; the cap of +10
    // runs to Mon 30 Nov (17-20, 23-27, 30 Nov).
    c.facts.acknowledged_on = Some(day(2026, 11, 2));
    // Extended by 5 to Mon 23 Nov: on it, a holding letter with the 5 left, to Mon 30 Nov.
    let d = due("stage1", D::Extension, day(2026, 11, 23));
    assert!(holding_steps(
        &decide(&d, &c, &p, &Rules::of_config(&cfg), day(2026, 11, 20)).unwrap()
    )
    .is_empty());
    let steps = decide(&d, &c, &p, &Rules::of_config(&cfg), day(2026, 11, 23)).unwrap();
    let h = holding_steps(&steps);
    assert_eq!(h.len(), 1, "{steps:?}");
    assert_eq!(
        h[0].key.as_deref(),
        Some("holding:stage1:extension:2026-11-23")
    );
    let l: Vec<_> = h[0].plan.letters().collect();
    assert_eq!(l[0].kind.as_str(), "holding");
    assert_eq!(l[0].data["new_date"], "2026-11-30");
    assert!(!h[0].plan.writes.iter().any(|w| matches!(w, Write::Flag(_))));
    // The notice goes one further up: bob (ann's manager) and cat.
    assert!(
        h[0].line.as_deref().unwrap().ends_with("mailed bob, cat"),
        "{:?}",
        h[0].line
    );
    // At the cap (Mon 30 Nov): the resident is still told, 10 working days on (1-4, 7-11,
    // 14 Dec: Mon 14 Dec), and the case flagged for a manager.
    let d = due("stage1", D::Extension, day(2026, 11, 30));
    let steps = decide(&d, &c, &p, &Rules::of_config(&cfg), day(2026, 11, 30)).unwrap();
    let h = holding_steps(&steps);
    assert_eq!(h.len(), 1, "{steps:?}");
    let l: Vec<_> = h[0].plan.letters().collect();
    assert_eq!(l[0].data["new_date"], "2026-12-14");
    assert!(h[0]
        .plan
        .writes
        .iter()
        .any(|w| matches!(w, Write::Flag(f) if f.contains("extension limit used up"))));
}

#[test]
fn the_overall_limit_alerts_staff_five_working_days_before() {
    // Seed 000 l.127: 12 weeks from receipt. A limit ending Fri 19 Feb 2027: Thu 11 Feb
    // is 6 working days before (nothing), Fri 12 Feb is 5 (the alert).
    let cfg = cfg();
    let p = policy("buckinghamshire");
    let c = complaint(&p, 1, State::Investigating);
    let d = due("stage1", D::OverallLimit, day(2027, 2, 19));
    assert!(
        decide(&d, &c, &p, &Rules::of_config(&cfg), day(2027, 2, 11))
            .unwrap()
            .is_empty()
    );
    let steps = decide(&d, &c, &p, &Rules::of_config(&cfg), day(2027, 2, 12)).unwrap();
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(
        steps[0].key.as_deref(),
        Some("alert:overall-limit:2027-02-19")
    );
    assert_eq!(steps[0].counts, vec![Count::Alert]);
}

#[test]
fn who_approves_a_held_response_the_marked_staff_else_the_managers_never_nobody() {
    let mut cfg = cfg();
    // bob and cat are managers (someone names them); ann is not.
    assert!(
        cfg.directory().may_approve("bob")
            && cfg.directory().may_approve("cat")
            && !cfg.directory().may_approve("ann")
    );
    cfg.staff.push(Staff {
        name: "dee".into(),
        email: "dee@council.example".into(),
        approves: true,
        ..Staff::default()
    });
    assert!(cfg.directory().may_approve("dee") && !cfg.directory().may_approve("bob"));
    assert_eq!(
        cfg.directory().approver_recipients(),
        vec![("dee".to_string(), "dee@council.example".to_string())]
    );
    // Nobody marked and no managers: anyone (not the writer; actions checks that).
    cfg.staff = vec![Staff {
        name: "ann".into(),
        email: "ann@council.example".into(),
        ..Staff::default()
    }];
    assert!(cfg.directory().may_approve("ann"));
}
