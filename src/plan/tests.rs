//! The planners without a database, as the policy text reads.

use super::*;
use crate::case::FactsRow;
use crate::deadline::Kind as D;

/// The six presets in config/policies/.
pub(crate) const PRESETS: [&str; 6] = [
    "bath-and-north-east-somerset",
    "buckinghamshire",
    "lgsco-code",
    "north-norfolk",
    "stockton-on-tees",
    "west-lindsey",
];

pub(crate) fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A complaint received Mon 2 Nov 2026 under `policy`, at stage `stage` (0-based), in `state`.
pub(crate) fn complaint(policy: &Policy, stage: usize, state: State) -> Case {
    Case {
        id: 1,
        reference: "T-2026-00001".into(),
        policy: policy.name.clone(),
        kind: Kind::Complaint,
        state,
        stage: policy.preset.stages[stage].id.clone(),
        close_reason: None,
        customer_email: Some("jo@example.net".into()),
        customer_name: None,
        subject: None,
        service: None,
        officer: Some("ann".into()),
        past_officers: vec![],
        category: None,
        outcome: None,
        received_at: "2026-11-02T09:00:00Z".into(),
        closed_at: None,
        flagged: None,
        letters_by_post: false,
        next_due: None,
        awaiting_approval: false,
        facts: FactsRow {
            received_on: Some(day(2026, 11, 2)),
            ..FactsRow::default()
        },
    }
}

fn each_preset() -> impl Iterator<Item = Policy> {
    PRESETS
        .iter()
        .map(|n| Policy::load(n).unwrap_or_else(|e| panic!("{n}: {e}")))
}

const TODAY: (i32, u32, u32) = (2026, 11, 3);

fn today() -> NaiveDate {
    day(TODAY.0, TODAY.1, TODAY.2)
}

#[test]
fn under_every_preset_acknowledging_meets_the_acknowledgement_deadline() {
    let cal = Calendar::new();
    for p in each_preset() {
        let c = complaint(&p, 0, State::Received);
        let t = transition(&c, Action::Acknowledge, &p, &cal, today(), None).unwrap();
        assert_eq!(
            (t.from, t.to),
            (State::Received, State::Acknowledged),
            "{}",
            p.name
        );
        assert_eq!(t.facts.acknowledged_on, Some(Some(today())), "{}", p.name);
        assert_eq!(
            t.deadlines,
            vec![DeadlineOp::MarkMet {
                stage: c.stage.clone(),
                kinds: vec![D::Acknowledge],
                on: today()
            }],
            "{}",
            p.name
        );
        // The stage's deadlines are recomputed from the new facts: respond is there.
        assert!(
            t.recomputed
                .iter()
                .any(|d| d.kind == D::Respond && d.stage == c.stage),
            "{}",
            p.name
        );
    }
}

#[test]
fn under_every_preset_a_response_meets_respond_aim_acknowledge_and_extension() {
    let cal = Calendar::new();
    for p in each_preset() {
        let c = complaint(&p, 0, State::Investigating);
        let t = transition(&c, Action::Respond, &p, &cal, today(), None).unwrap();
        assert_eq!(t.to, State::Responded);
        assert_eq!(t.facts.responded_on, Some(Some(today())));
        assert_eq!(
            t.deadlines,
            vec![DeadlineOp::MarkMet {
                stage: c.stage.clone(),
                kinds: vec![D::Respond, D::Aim, D::Acknowledge, D::Extension],
                on: today()
            }],
            "{}",
            p.name
        );
    }
}

#[test]
fn under_every_preset_escalation_from_the_last_stage_is_refused_and_points_to_the_ombudsman() {
    let cal = Calendar::new();
    for p in each_preset() {
        let last = p.preset.stages.len() - 1;
        let c = complaint(&p, last, State::Responded);
        let e = transition(&c, Action::RequestEscalation, &p, &cal, today(), None).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "T-2026-00001: {} is the last stage of the {} policy; the customer can go to the Local Government and Social Care Ombudsman",
                c.stage, p.name
            )
        );
    }
}

#[test]
fn under_every_preset_escalation_moves_to_the_next_stage_and_the_officer_becomes_a_past_one() {
    let cal = Calendar::new();
    for p in each_preset().filter(|p| p.preset.stages.len() > 1) {
        let c = complaint(&p, 0, State::AwaitingCustomer);
        let t = transition(&c, Action::RequestEscalation, &p, &cal, today(), None).unwrap();
        let next = &p.preset.stages[1].id;
        assert_eq!(t.to, State::EscalationRequested);
        assert_eq!(t.facts.stage.as_ref(), Some(next), "{}", p.name);
        assert!(t.facts.officer_cleared);
        assert_eq!(t.facts.past_officers, Some(vec!["ann".to_string()]));
        assert_eq!(t.facts.reached_stage, Some(2));
        assert_eq!(t.facts.escalation_requested_on, Some(Some(today())));
        assert_eq!(
            t.facts.responded_on,
            Some(None),
            "the new stage has no response yet"
        );
        assert_eq!(
            t.deadlines,
            vec![DeadlineOp::MarkMet {
                stage: c.stage.clone(),
                kinds: vec![D::EscalationWindow],
                on: today()
            }]
        );
        // The next stage's deadlines count from the escalation request.
        assert!(t.recomputed.iter().all(|d| &d.stage == next), "{}", p.name);
        assert!(!t.recomputed.is_empty(), "{}", p.name);
    }
}

#[test]
fn refer_back_returns_to_the_previous_stage_and_is_refused_at_the_first() {
    let cal = Calendar::new();
    let p = Policy::load("bath-and-north-east-somerset").unwrap();
    let c = complaint(&p, 1, State::EscalationRequested);
    let t = transition(&c, Action::ReferBack, &p, &cal, today(), None).unwrap();
    assert_eq!(t.to, State::Investigating);
    assert_eq!(t.facts.stage.as_deref(), Some("stage1"));
    assert_eq!(
        t.deadlines,
        vec![DeadlineOp::CancelStage {
            stage: "stage2".into()
        }]
    );
    let first = complaint(&p, 0, State::EscalationRequested);
    let e = transition(&first, Action::ReferBack, &p, &cal, today(), None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "T-2026-00001: there is no earlier stage to refer back to"
    );
}

#[test]
fn closing_cancels_all_but_the_survey_and_recomputes_nothing_and_reopening_owes_the_response_again()
{
    let cal = Calendar::new();
    let p = Policy::load("west-lindsey").unwrap();
    let c = complaint(&p, 0, State::Investigating);
    let t = transition(
        &c,
        Action::Close(CloseReason::Withdrawn),
        &p,
        &cal,
        today(),
        Some("by phone"),
    )
    .unwrap();
    assert_eq!(t.deadlines, vec![DeadlineOp::CancelAllButSurvey]);
    assert_eq!(t.facts.close, Some(Some(CloseReason::Withdrawn)));
    assert!(t.recomputed.is_empty());
    assert_eq!(t.detail.as_deref(), Some("by phone"));
    let closed = t.applied_to(&c);
    let r = transition(&closed, Action::Reopen, &p, &cal, today(), None).unwrap();
    assert_eq!(r.to, State::Investigating);
    assert_eq!(r.facts.close, Some(None));
    // Reopened, the response is owed again: West Lindsey's 21 days (seed 003 l.108 "You
    // will normally receive a response to your complaint within 21 days") counted from
    // the reopening day, Tue 3 Nov 2026 + 21 days = Tue 24 Nov 2026.
    assert_eq!(
        r.deadlines,
        vec![DeadlineOp::RenewRespond {
            stage: "stage1".into(),
            from: day(2026, 11, 3),
            period: "21 days".into(),
            due: day(2026, 11, 24),
        }]
    );
    assert!(r.recomputed.iter().all(|d| d.kind != D::Respond));
}

#[test]
fn an_illegal_action_and_another_policy_are_refused_with_the_words_the_officer_reads() {
    let cal = Calendar::new();
    let p = Policy::load("lgsco-code").unwrap();
    let c = complaint(&p, 0, State::Received);
    let e = transition(&c, Action::Respond, &p, &cal, today(), None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "T-2026-00001: cannot respond: the case is received"
    );
    let other = Policy::load("west-lindsey").unwrap();
    let e = transition(&c, Action::Acknowledge, &other, &cal, today(), None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "T-2026-00001 runs under policy lgsco-code, not west-lindsey"
    );
}

#[test]
fn a_new_case_carries_deadlines_by_its_kind() {
    let cal = Calendar::new();
    for p in each_preset() {
        let got = new_case_deadlines(Kind::Complaint, &p, day(2026, 11, 2), None, &cal);
        let first = &p.first_stage().id;
        assert!(got.iter().all(|(d, _)| &d.stage == first), "{}", p.name);
        assert!(
            got.iter().any(|(d, _)| d.kind == D::Acknowledge),
            "{}",
            p.name
        );
        assert!(got.iter().all(|(_, met)| met.is_none()), "{}", p.name);
        // Stored acknowledged: the deadlines counting from the acknowledgement are there
        // too (LGSCO's response counts from it).
        let acked = new_case_deadlines(Kind::Complaint, &p, day(2026, 11, 2), Some(today()), &cal);
        assert!(
            acked.iter().any(|(d, _)| d.kind == D::Respond),
            "{}",
            p.name
        );
        // ... and the acknowledgement is met that day, nothing else.
        for (d, met) in &acked {
            let want = (d.kind == D::Acknowledge).then(today);
            assert_eq!(*met, want, "{} {}", p.name, d.kind);
        }
        for k in [Kind::ServiceRequest, Kind::OutOfScope] {
            assert!(new_case_deadlines(k, &p, day(2026, 11, 2), None, &cal).is_empty());
        }
        let thanks = new_case_deadlines(Kind::Compliment, &p, day(2026, 11, 2), None, &cal);
        assert!(
            thanks.iter().all(|(d, _)| d.stage == "compliment"),
            "{}",
            p.name
        );
    }
}

#[test]
fn a_reply_at_the_final_stage_closes_as_resolved_and_earlier_opens_the_reply_window() {
    let cal = Calendar::new();
    for p in each_preset() {
        let outcome = p.preset.outcomes[0].clone();
        let r = Reply {
            outcome: Some(outcome.to_uppercase()),
            findings: "  We found the bins were missed. ".into(),
            ..Reply::default()
        };
        let last = p.preset.stages.len() - 1;
        // A stage with no escalation window closes as responded (item 12); one with a
        // window opens it.
        let first_end = if p.preset.stages[0].escalation_window.is_some() {
            State::AwaitingCustomer
        } else {
            State::Closed
        };
        for (stage, letter, end) in [
            (last, "final-response", State::Closed),
            (0, "stage-response", first_end),
        ] {
            if stage == last && letter == "stage-response" {
                continue;
            }
            let c = complaint(&p, stage, State::Investigating);
            let plan = reply(&c, &r, &p, &cal, today()).unwrap();
            let ts: Vec<_> = plan.transitions().collect();
            assert_eq!(ts[0].action, Action::Respond);
            assert_eq!(ts.last().unwrap().to, end, "{} {stage}", p.name);
            let l: Vec<_> = plan.letters().collect();
            assert_eq!(l.len(), 1);
            assert_eq!(l[0].kind, letter, "{}", p.name);
            // The outcome in the policy's own words; the findings trimmed.
            assert_eq!(l[0].data["outcome"], outcome.as_str());
            assert_eq!(l[0].data["findings"], "We found the bins were missed.");
            if stage == 0 && last == 0 {
                break;
            }
        }
    }
}

#[test]
fn a_reply_needs_an_outcome_from_the_policy_and_findings() {
    let cal = Calendar::new();
    let p = Policy::load("lgsco-code").unwrap();
    let c = complaint(&p, 0, State::Investigating);
    let none = Reply {
        findings: "x".into(),
        ..Reply::default()
    };
    let e = reply(&c, &none, &p, &cal, today()).unwrap_err();
    assert!(e.to_string().starts_with("--outcome is required ("), "{e}");
    let odd = Reply {
        outcome: Some("maybe".into()),
        findings: "x".into(),
        ..Reply::default()
    };
    let e = reply(&c, &odd, &p, &cal, today()).unwrap_err();
    assert!(
        e.to_string().starts_with("outcome 'maybe' is not one of "),
        "{e}"
    );
    let empty = Reply {
        outcome: Some(p.preset.outcomes[0].clone()),
        findings: "  ".into(),
        ..Reply::default()
    };
    let e = reply(&c, &empty, &p, &cal, today()).unwrap_err();
    assert_eq!(e.to_string(), "the findings (--body-file) are empty");
}

#[test]
fn an_escalation_starts_the_next_stage_at_once_only_where_the_policy_has_no_review_decision() {
    let cal = Calendar::new();
    for p in each_preset().filter(|p| p.preset.stages.len() > 1) {
        let c = complaint(&p, 0, State::AwaitingCustomer);
        let plan = escalate(&c, &p, &cal, today(), false, "by phone").unwrap();
        let actions: Vec<Action> = plan.transitions().map(|t| t.action).collect();
        let decides = p.preset.stages[1].decide.is_some();
        let mut want = vec![Action::RequestEscalation, Action::Acknowledge];
        if !decides {
            want.push(Action::AcceptEscalation);
        }
        assert_eq!(actions, want, "{}", p.name);
        let l: Vec<_> = plan.letters().collect();
        assert_eq!(l[0].kind, "escalation-acknowledgement");
        assert!(!l[0].automatic);
    }
}

#[test]
fn an_extension_counts_from_the_current_target_within_the_policy_limit() {
    let cal = Calendar::new();
    for p in each_preset() {
        let c = complaint(&p, 0, State::Investigating);
        let Some(ext) = &p.preset.stages[0].extension else {
            let e = extend(&c, 5, "busy", None, None, &p, &cal, today()).unwrap_err();
            assert!(e.to_string().contains("allows no extension"), "{e}");
            continue;
        };
        let days = 2;
        if ext.max.is_some_and(|m| m.amount < days) {
            continue;
        }
        let target = day(2026, 11, 16);
        let plan = extend(
            &c,
            days,
            "waiting for a contractor",
            Some(target),
            None,
            &p,
            &cal,
            today(),
        )
        .unwrap();
        assert_eq!(
            plan.writes[0],
            Write::Extension {
                stage: c.stage.clone(),
                from: target,
                period: "2 working days".into(),
                due: day(2026, 11, 18),
            },
            "{}",
            p.name
        );
        assert_eq!(plan.letters().next().unwrap().kind, "extension");
        let e = extend(&c, 2, " ", Some(target), None, &p, &cal, today()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--reason is required: the customer is told why"
        );
    }
}

#[test]
fn a_paused_working_day_deadline_keeps_the_days_it_had_left() {
    let cal = Calendar::new();
    // Paused Mon 2 Nov with the deadline on Mon 9 Nov (5 working days left); resumed
    // Mon 16 Nov: due 5 working days later, Mon 23 Nov.
    assert_eq!(
        resumed_due(
            &cal,
            day(2026, 11, 2),
            day(2026, 11, 16),
            day(2026, 11, 9),
            "5 working days"
        ),
        Some(day(2026, 11, 23))
    );
    assert_eq!(
        resumed_due(
            &cal,
            day(2026, 11, 2),
            day(2026, 11, 16),
            day(2026, 11, 9),
            "28 calendar days"
        ),
        None
    );
}

#[test]
fn a_response_letter_carries_the_facts_given_and_the_kind_asked_for_or_the_stages() {
    let r = Reply {
        findings: "  Missed twice. ".into(),
        apology: Some("Sorry.".into()),
        ..Reply::default()
    };
    assert_eq!(reply_kind(&r, false).unwrap(), letter::Kind::StageResponse);
    assert_eq!(reply_kind(&r, true).unwrap(), letter::Kind::FinalResponse);
    let asked = Reply {
        kind: Some("final-response".into()),
        ..r.clone()
    };
    assert_eq!(
        reply_kind(&asked, false).unwrap(),
        letter::Kind::FinalResponse
    );
    for odd in ["holding", "letter"] {
        let e = reply_kind(
            &Reply {
                kind: Some(odd.into()),
                ..r.clone()
            },
            false,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("reply --letter {odd}: use stage-response or final-response")
        );
    }
    // As stored: the findings trimmed, the outcome only when there is one.
    let c = reply_content(letter::Kind::StageResponse, &r, Some("upheld"));
    assert_eq!(c.kind(), letter::Kind::StageResponse);
    assert_eq!(
        c.data(),
        serde_json::json!({"findings": "Missed twice.", "outcome": "upheld", "apology": "Sorry."})
    );
    let c = reply_content(letter::Kind::FinalResponse, &r, None);
    assert_eq!(c.kind(), letter::Kind::FinalResponse);
    assert_eq!(
        c.data(),
        serde_json::json!({"findings": "Missed twice.", "apology": "Sorry."})
    );
}

#[test]
fn decision_and_extension_letters_are_stored_with_the_facts_their_templates_use() {
    let cal = Calendar::new();
    let p = Policy::load("bath-and-north-east-somerset").unwrap();
    let c = complaint(&p, 1, State::EscalationRequested);
    let plan = decide(&c, Decision::ReferBack, "too early", &p, &cal, today()).unwrap();
    let l = plan.letters().next().unwrap();
    assert_eq!(l.kind, "review-decision");
    assert_eq!(
        l.data,
        serde_json::json!({"decision": "refer-back", "reasons": "too early"})
    );
    assert!(!l.automatic);
    let ext = each_preset()
        .find(|p| {
            p.preset.stages[0]
                .extension
                .as_ref()
                .is_some_and(|e| e.max.is_none_or(|m| m.amount >= 2))
        })
        .expect("a preset with an extension of 2 working days");
    let c = complaint(&ext, 0, State::Investigating);
    let plan = extend(
        &c,
        2,
        "busy",
        Some(day(2026, 11, 16)),
        None,
        &ext,
        &cal,
        today(),
    )
    .unwrap();
    assert_eq!(
        plan.letters().next().unwrap().data,
        serde_json::json!({"reason": "busy", "new_date": "2026-11-18", "extension": "2 working days"})
    );
    let c = complaint(&p, 0, State::AwaitingCustomer);
    let plan = escalate(&c, &p, &cal, today(), true, "asked").unwrap();
    let l = plan.letters().next().unwrap();
    assert_eq!(
        (l.kind.as_str(), &l.data, l.automatic),
        ("escalation-acknowledgement", &serde_json::json!({}), true)
    );
}

/// What each preset says about extending a stage's response, from the text.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ext {
    /// No extension at all.
    No,
    /// Extensions with notice, no limit stated.
    Unlimited,
    /// At most this many working days in total at the stage.
    Total(u32),
}

const EXTENSIONS: &[(&str, &str, Ext)] = &[
    // seed 002 l.155 "customers will be told what they can expect to happen and by when",
    // l.241 "Informing customers of any delays"; no limit.
    ("bath-and-north-east-somerset", "stage1", Ext::Unlimited),
    // seed 002 l.165 "we will inform you of the reason for delay and give you a target date".
    ("bath-and-north-east-somerset", "stage2", Ext::Unlimited),
    // seed 000 l.182 "we can extend the timescale and we will let the customer know."
    ("buckinghamshire", "stage1", Ext::Unlimited),
    // seed 000 l.193 "we will let the customer know and give a new timescale."
    ("buckinghamshire", "stage2", Ext::Unlimited),
    // POLICIES.md l.20 stage 1 "extension ≤ 10 WD with reasons" (Code 6.4 "Any extension
    // should be no more than 10 working days"): the limit on the stage's extensions together.
    ("lgsco-code", "stage1", Ext::Total(10)),
    // POLICIES.md l.20 stage 2 "extension ≤ 20 WD".
    ("lgsco-code", "stage2", Ext::Total(20)),
    // seed 004 l.430 "respond to complaints or send a holding letter or email to the
    // customer in line with the timescales"; no limit.
    ("north-norfolk", "stage1", Ext::Unlimited),
    ("north-norfolk", "stage2", Ext::Unlimited),
    ("north-norfolk", "stage3", Ext::Unlimited),
    // seed 001 l.51 "Early Resolution within 3 working days, Stage 1 will be responded to
    // within 25 working days and stage 2 within 20 working days. This is an “upto”
    // timescale": no extension at any stage.
    ("stockton-on-tees", "early", Ext::No),
    ("stockton-on-tees", "stage1", Ext::No),
    ("stockton-on-tees", "stage2", Ext::No),
    // seed 003 l.108 "you will be contacted to advise you of this and will be informed of
    // the expected response date"; no limit.
    ("west-lindsey", "stage1", Ext::Unlimited),
];

#[test]
fn the_extension_table_covers_every_stage_of_every_preset() {
    let mut listed: Vec<(String, String)> = EXTENSIONS
        .iter()
        .map(|(p, s, _)| (p.to_string(), s.to_string()))
        .collect();
    let mut stages: Vec<(String, String)> = PRESETS
        .iter()
        .flat_map(|n| {
            let p = Policy::load(n).unwrap();
            p.preset
                .stages
                .iter()
                .map(|s| (n.to_string(), s.id.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    listed.sort();
    stages.sort();
    assert_eq!(listed, stages);
}

#[test]
fn under_every_preset_all_extensions_at_a_stage_together_stay_within_its_limit() {
    let cal = Calendar::new();
    for &(name, stage, ext) in EXTENSIONS {
        let p = Policy::load(name).unwrap();
        let i = p.preset.stages.iter().position(|s| s.id == stage).unwrap();
        let c = complaint(&p, i, State::Investigating);
        let respond_due = day(2026, 11, 16);
        let at = |used: u32| cal.add_working_days(respond_due, used);
        let room = extension_room(&p, stage, 0);
        match ext {
            Ext::No => {
                assert_eq!(room, ExtensionRoom::None, "{name} {stage}");
                let e = extend(
                    &c,
                    1,
                    "busy",
                    Some(respond_due),
                    Some(respond_due),
                    &p,
                    &cal,
                    today(),
                )
                .unwrap_err();
                assert!(
                    e.to_string().contains("allows no extension"),
                    "{name} {stage}: {e}"
                );
            }
            Ext::Unlimited => {
                assert_eq!(room, ExtensionRoom::Unlimited, "{name} {stage}");
                // 30 WD already granted, 30 more: still allowed.
                let plan = extend(
                    &c,
                    30,
                    "busy",
                    Some(at(30)),
                    Some(respond_due),
                    &p,
                    &cal,
                    today(),
                )
                .unwrap();
                assert!(
                    matches!(plan.writes[0], Write::Extension { due, .. } if due == at(60)),
                    "{name} {stage}"
                );
            }
            Ext::Total(max) => {
                assert_eq!(
                    room,
                    ExtensionRoom::Limited { max, used: 0 },
                    "{name} {stage}"
                );
                // All at once: allowed; one more day: refused.
                assert!(extend(
                    &c,
                    max,
                    "busy",
                    Some(respond_due),
                    Some(respond_due),
                    &p,
                    &cal,
                    today()
                )
                .is_ok());
                assert!(extend(
                    &c,
                    max + 1,
                    "busy",
                    Some(respond_due),
                    Some(respond_due),
                    &p,
                    &cal,
                    today()
                )
                .is_err());
                // max - 5 used: +5 allowed (to the limit), +6 refused.
                let target = at(max - 5);
                let plan = extend(
                    &c,
                    5,
                    "busy",
                    Some(target),
                    Some(respond_due),
                    &p,
                    &cal,
                    today(),
                )
                .unwrap();
                assert!(
                    matches!(plan.writes[0], Write::Extension { due, .. } if due == at(max)),
                    "{name} {stage}"
                );
                let e = extend(
                    &c,
                    6,
                    "busy",
                    Some(target),
                    Some(respond_due),
                    &p,
                    &cal,
                    today(),
                )
                .unwrap_err();
                let stage_name = &p.preset.stages[i].name;
                assert_eq!(
                    e.to_string(),
                    format!(
                        "T-2026-00001: the {} policy allows extensions of up to {max} working days in total at {stage_name}; {} already used, so at most 5 more",
                        p.name,
                        max - 5
                    ),
                    "{name} {stage}"
                );
                // The whole limit used: nothing more.
                let e = extend(
                    &c,
                    1,
                    "busy",
                    Some(at(max)),
                    Some(respond_due),
                    &p,
                    &cal,
                    today(),
                )
                .unwrap_err();
                assert!(
                    e.to_string()
                        .ends_with(&format!("{max} already used, so no more")),
                    "{name} {stage}: {e}"
                );
            }
        }
    }
}

#[test]
fn lgsco_stage1_five_then_six_is_refused_and_five_then_five_is_allowed() {
    // POLICIES.md l.20: stage 1 "extension ≤ 10 WD with reasons"; Code 6.4 "Any extension
    // should be no more than 10 working days" (lgsco-code.toml): 10 WD in total.
    let cal = Calendar::new();
    let p = Policy::load("lgsco-code").unwrap();
    let c = complaint(&p, 0, State::Investigating);
    // Respond due Mon 16 Nov 2026; +5 WD: Mon 23 Nov.
    let respond_due = day(2026, 11, 16);
    let first = extend(
        &c,
        5,
        "a contractor",
        Some(respond_due),
        Some(respond_due),
        &p,
        &cal,
        today(),
    )
    .unwrap();
    let Write::Extension { due: first_due, .. } = first.writes[0].clone() else {
        panic!("{first:?}")
    };
    assert_eq!(first_due, day(2026, 11, 23));
    let e = extend(
        &c,
        6,
        "more",
        Some(first_due),
        Some(respond_due),
        &p,
        &cal,
        today(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("T-2026-00001: the {} policy allows extensions of up to 10 working days in total at Stage 1; 5 already used, so at most 5 more", p.name)
    );
    // +5 more: Mon 30 Nov, 10 WD after the original date.
    let second = extend(
        &c,
        5,
        "more",
        Some(first_due),
        Some(respond_due),
        &p,
        &cal,
        today(),
    )
    .unwrap();
    assert!(matches!(second.writes[0], Write::Extension { due, .. } if due == day(2026, 11, 30)));
}

/// The due date of `kind` at `stage` among a transition's recomputed deadlines.
fn recomputed(t: &Transition, stage: &str, kind: D) -> Option<NaiveDate> {
    t.recomputed
        .iter()
        .find(|d| d.stage == stage && d.kind == kind)
        .map(|d| d.due)
}

#[test]
fn stockton_routes_a_complaint_outside_the_early_criteria_to_stage1_counted_from_receipt() {
    // Seed 001 l.11 "an early resolution stage, for complaints that meet some certain
    // criteria"; l.51 "Stage 1 will be responded to within 25 working days". A complaint
    // that does not meet the criteria starts at stage 1, so its 25 WD run from receipt.
    let cal = Calendar::new();
    let p = Policy::load("stockton-on-tees").unwrap();
    for state in [State::Received, State::Acknowledged, State::Investigating] {
        // Received Mon 2 Nov 2026, moved on Tue 3 Nov.
        let c = complaint(&p, 0, state);
        let plan = route(&c, &p, &cal, today(), "not for early resolution").unwrap();
        let ts: Vec<_> = plan.transitions().collect();
        let actions: Vec<Action> = ts.iter().map(|t| t.action).collect();
        // Stage 1 has no review decision: acknowledged and started at once.
        assert_eq!(
            actions,
            vec![Action::Route, Action::Acknowledge, Action::AcceptEscalation],
            "{state}"
        );
        let t = ts[0];
        assert_eq!(t.facts.stage.as_deref(), Some("stage1"));
        assert_eq!(
            t.facts.escalation_requested_on,
            Some(Some(day(2026, 11, 2)))
        );
        // The early stage is not answered: its deadlines are no longer owed.
        assert_eq!(
            t.deadlines,
            vec![DeadlineOp::CancelStage {
                stage: "early".into()
            }]
        );
        // 25 WD from Mon 2 Nov 2026 (day 0): Mon 7 Dec 2026 (no bank holiday between).
        assert_eq!(recomputed(t, "stage1", D::Respond), Some(day(2026, 12, 7)));
        let l: Vec<_> = plan.letters().collect();
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].kind, "escalation-acknowledgement");
        assert_eq!(l[0].data["moved_by_council"], true);
    }
}

#[test]
fn north_norfolk_moves_an_informal_complaint_into_the_formal_procedure_from_the_day_it_does() {
    // Seed 004 l.406 "If it is not possible to resolve a customer's complaint informally,
    // the complaint will be investigated through the Council's formal procedure."
    // l.410 "acknowledge ... within 3 working days", "a full response within 28 working days".
    let cal = Calendar::new();
    let p = Policy::load("north-norfolk").unwrap();
    let c = complaint(&p, 0, State::Investigating);
    let plan = route(&c, &p, &cal, today(), "needs a formal investigation").unwrap();
    let t = plan.transitions().next().unwrap();
    assert_eq!(t.facts.stage.as_deref(), Some("stage2"));
    assert_eq!(t.facts.escalation_requested_on, Some(Some(today())));
    // No informal response was sent: nothing marks one.
    assert_eq!(t.facts.responded_on, Some(None));
    // 28 WD from Tue 3 Nov 2026 (day 0): Fri 11 Dec 2026.
    assert_eq!(recomputed(t, "stage2", D::Respond), Some(day(2026, 12, 11)));
    // The acknowledgement letter goes the same day: its 3 WD (Fri 6 Nov) are met.
    assert_eq!(
        recomputed(t, "stage2", D::Acknowledge),
        Some(day(2026, 11, 6))
    );
    let ts: Vec<_> = plan.transitions().collect();
    assert_eq!(ts.last().unwrap().to, State::Escalated);
    // Nothing in the plan is a response letter.
    assert!(plan
        .letters()
        .all(|l| l.kind == "escalation-acknowledgement"));
}

#[test]
fn routing_is_refused_where_the_policy_gives_the_council_no_such_move_and_needs_a_reason() {
    let cal = Calendar::new();
    for name in [
        "bath-and-north-east-somerset",
        "buckinghamshire",
        "lgsco-code",
    ] {
        let p = Policy::load(name).unwrap();
        let c = complaint(&p, 0, State::Investigating);
        let e = route(&c, &p, &cal, today(), "why").unwrap_err().to_string();
        assert!(
            e.contains("does not let the council move a complaint"),
            "{name}: {e}"
        );
    }
    // West Lindsey has one stage (seed 003 l.102): nowhere to go.
    let p = Policy::load("west-lindsey").unwrap();
    let e = route(
        &complaint(&p, 0, State::Investigating),
        &p,
        &cal,
        today(),
        "why",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("last stage"), "{e}");
    // Stockton: a reason is required; and a case already answered is the customer's to
    // escalate, not the council's to route.
    let p = Policy::load("stockton-on-tees").unwrap();
    let e = route(
        &complaint(&p, 0, State::Investigating),
        &p,
        &cal,
        today(),
        "  ",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("--reason is required"), "{e}");
    let e = route(
        &complaint(&p, 0, State::AwaitingCustomer),
        &p,
        &cal,
        today(),
        "x",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("cannot move to the next stage"), "{e}");
}

#[test]
fn a_response_at_a_stage_with_no_escalation_window_closes_the_case_as_responded() {
    // No time limit to ask for the next stage: Buckinghamshire (seed 000 l.186), Stockton
    // (seed 001 l.11, l.49), North Norfolk stage 1 (seed 004 l.406), the LGSCO Code.
    let cal = Calendar::new();
    let r = Reply {
        outcome: Some("upheld".into()),
        findings: "Found.".into(),
        ..Reply::default()
    };
    for name in [
        "buckinghamshire",
        "stockton-on-tees",
        "north-norfolk",
        "lgsco-code",
    ] {
        let p = Policy::load(name).unwrap();
        assert!(p.preset.stages[0].escalation_window.is_none(), "{name}");
        let c = complaint(&p, 0, State::Investigating);
        let plan = reply(&c, &r, &p, &cal, today()).unwrap();
        let last = plan.transitions().last().unwrap();
        assert_eq!(last.action, Action::Close(CloseReason::Responded), "{name}");
        assert_eq!(last.to, State::Closed);
        assert_eq!(last.facts.close, Some(Some(CloseReason::Responded)));
        // Closing cancels what is still open (the Buckinghamshire 12 weeks among them).
        assert_eq!(last.deadlines, vec![DeadlineOp::CancelAllButSurvey]);
        assert_eq!(plan.letters().next().unwrap().kind, "stage-response");
    }
    // Bath & NES has a 20 WD window (seed 002 l.177): the window opens instead.
    let p = Policy::load("bath-and-north-east-somerset").unwrap();
    let r = Reply {
        outcome: Some("upheld".into()),
        ..r
    };
    let plan = reply(
        &complaint(&p, 0, State::Investigating),
        &r,
        &p,
        &cal,
        today(),
    )
    .unwrap();
    assert_eq!(
        plan.transitions().last().unwrap().to,
        State::AwaitingCustomer
    );
}

#[test]
fn a_request_after_a_responded_close_reopens_the_case_into_the_next_stage_with_no_time_limit() {
    // Buckinghamshire l.186 "they can ask for the Deputy Monitoring Officer to oversee a
    // review of their complaint": no time limit, so months later still opens stage 2.
    let cal = Calendar::new();
    let p = Policy::load("buckinghamshire").unwrap();
    let mut c = complaint(&p, 0, State::Closed);
    c.close_reason = Some(CloseReason::Responded);
    c.facts.responded_on = Some(day(2026, 11, 3));
    let later = day(2027, 6, 1);
    let plan = escalate(&c, &p, &cal, later, true, "the customer asks for a review").unwrap();
    let t = plan.transitions().next().unwrap();
    assert_eq!((t.from, t.to), (State::Closed, State::EscalationRequested));
    assert_eq!(t.facts.close, Some(None), "the close is undone");
    assert_eq!(t.facts.stage.as_deref(), Some("stage2"));
    assert_eq!(t.facts.escalation_requested_on, Some(Some(later)));
    // l.191 "within 5 working days": from Tue 1 Jun 2027, Tue 8 Jun 2027.
    assert_eq!(recomputed(t, "stage2", D::Decide), Some(day(2027, 6, 8)));
    // Any other closed case is not reopened by a request.
    for reason in [
        CloseReason::Resolved,
        CloseReason::Withdrawn,
        CloseReason::AutoClosed,
    ] {
        c.close_reason = Some(reason);
        let e = escalate(&c, &p, &cal, later, true, "x")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cannot request escalation: the case is closed"),
            "{e}"
        );
    }
}

/// Issue 24, item 1: who handled which stage, read from the events as the store keeps
/// them, and the independence rule at every preset's `different_handler` stage.
#[test]
fn stage_handlers_and_independence_under_every_preset_with_a_different_handler() {
    let ev = |actor: &'static str, kind: &'static str, detail: Option<&'static str>| Handling {
        actor,
        kind: kind.parse().unwrap(),
        detail,
    };
    for p in each_preset() {
        let Some(at) = p.preset.stages.iter().position(|s| s.different_handler) else {
            continue;
        };
        let mut events = vec![
            // lead assigns ann: ann handled, lead did not.
            ev("officer:lead", "set officer", Some("officer: ann")),
            ev(
                "officer:cat",
                "extended",
                Some("to 2026-12-07 (5 working days): x"),
            ),
            ev("officer:dan", "note", Some("rang")),
            ev("officer:ann", "respond", None),
        ];
        for _ in 0..at {
            // The escalations up to the independent stage, recorded by eve.
            events.push(ev("officer:eve", "request escalation", None));
            events.push(ev(
                "officer:eve",
                "accept escalation",
                Some("no review decision in this policy"),
            ));
        }
        let h = stage_handlers(&p, &events);
        let first = &p.preset.stages[0].id;
        assert_eq!(
            h,
            vec![
                (first.clone(), "ann".to_string()),
                (first.clone(), "cat".to_string())
            ],
            "{}",
            p.name
        );
        let c = complaint(&p, at, State::Escalated);
        for who in ["ann", "cat"] {
            let err = independent(&c, &p, who, &h, "respond")
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(&format!(
                    "T-2026-00001: {who} handled {} of this complaint and may not respond at {}: the {} policy requires",
                    p.preset.stages[0].name, p.preset.stages[at].name, p.preset.council
                )),
                "{}: {err}",
                p.name
            );
            assert!(assign(&c, who, &p, &h).is_err());
        }
        for free in ["lead", "dan", "eve", "bob"] {
            independent(&c, &p, free, &h, "respond").unwrap();
        }
        // At the first stage (after a refer-back, say) nobody is barred.
        let c1 = complaint(&p, 0, State::Investigating);
        independent(&c1, &p, "ann", &h, "respond").unwrap();
        // An officer recorded as past on the case (before events were read) is barred too.
        let mut c2 = complaint(&p, at, State::Escalated);
        c2.past_officers = vec!["old".into()];
        assert!(independent(&c2, &p, "old", &[], "decide").is_err());
    }
}

#[test]
fn buckinghamshires_12_weeks_count_again_when_a_responded_case_goes_on() {
    // Seed 000 l.127 "no longer than 12 weeks to resolve a complaint from receipt to
    // resolution": a `responded` close stops the limit; a request for stage 2 or a
    // reopening restores it (issue 24, item 2). West Lindsey sets no such limit.
    let cal = Calendar::new();
    let p = Policy::load("buckinghamshire").unwrap();
    let mut c = complaint(&p, 0, State::Closed);
    c.close_reason = Some(CloseReason::Responded);
    let r = transition(&c, Action::Reopen, &p, &cal, today(), None).unwrap();
    assert!(
        r.deadlines.contains(&DeadlineOp::RestoreOverallLimit),
        "{r:?}"
    );
    let e = transition(&c, Action::RequestEscalation, &p, &cal, today(), None).unwrap();
    assert!(
        e.deadlines.contains(&DeadlineOp::RestoreOverallLimit),
        "{e:?}"
    );
    let wl = Policy::load("west-lindsey").unwrap();
    let mut c = complaint(&wl, 0, State::Closed);
    c.close_reason = Some(CloseReason::Withdrawn);
    let r = transition(&c, Action::Reopen, &wl, &cal, today(), None).unwrap();
    assert!(!r.deadlines.contains(&DeadlineOp::RestoreOverallLimit));
}

#[test]
fn only_west_lindsey_holds_responses_for_approval_and_only_those_its_board_agrees() {
    // Seed 003 l.116-121: the Quality Assurance Board agrees responses where the council
    // is at fault (upheld), for serious complaints, and remedies. No other seed has one.
    let cal = Calendar::new();
    let today = day(2026, 12, 22);
    for p in each_preset() {
        let upheld = Reply {
            outcome: Some(p.preset.outcomes[0].clone()),
            findings: "We missed the bins.".into(),
            remedy: Some("A credit.".into()),
            ..Reply::default()
        };
        let held = approval::needs_approval(&p, &upheld);
        assert_eq!(held.is_some(), p.name == "west-lindsey", "{}", p.name);
    }
    let p = each_preset()
        .into_iter()
        .find(|p| p.name == "west-lindsey")
        .unwrap();
    let c = complaint(&p, 0, State::Investigating);
    let plain = Reply {
        outcome: Some("not upheld".into()),
        findings: "We found no fault.".into(),
        ..Reply::default()
    };
    assert_eq!(approval::needs_approval(&p, &plain), None);
    let to = vec![("dee".to_string(), "dee@council.example".to_string())];
    assert!(approval::hold(&c, &plain, &p, &cal, today, "ann", &to, 1)
        .unwrap()
        .is_none());
    let serious = Reply {
        serious: true,
        ..plain.clone()
    };
    assert_eq!(
        approval::needs_approval(&p, &serious).as_deref(),
        Some("the complaint is marked serious")
    );
    let upheld = Reply {
        outcome: Some("Upheld".into()),
        remedy: Some("A credit of £20.".into()),
        ..plain.clone()
    };
    assert_eq!(
        approval::needs_approval(&p, &upheld).as_deref(),
        Some("the outcome is Upheld; it offers a remedy")
    );
    // Held: kept unsent, an event, the approvers mailed; no letter, no transition.
    let plan = approval::hold(&c, &upheld, &p, &cal, today, "ann", &to, 1)
        .unwrap()
        .unwrap();
    assert!(plan.letters().next().is_none());
    assert!(plan.transitions().next().is_none());
    assert!(matches!(&plan.writes[0], Write::AwaitApproval { stage, .. } if stage == "stage1"));
    assert!(matches!(&plan.writes[2], Write::Notify { to: t, .. } if *t == to));
    // What waits is what goes: kept as written, read back the same.
    let Write::AwaitApproval { response, .. } = &plan.writes[0] else {
        unreachable!()
    };
    let back = approval::Waiting::reply_from_json(response).unwrap();
    assert_eq!(back.remedy, upheld.remedy);
    assert_eq!(back.findings, upheld.findings);
    // Approved: the decision first, then the response as `reply` plans it today.
    let plan = approval::approve(&c, 7, &back, "dee", &p, &cal, day(2026, 12, 23)).unwrap();
    assert!(matches!(
        &plan.writes[0],
        Write::ApprovalDecided {
            id: 7,
            approved: true,
            ..
        }
    ));
    assert_eq!(plan.letters().count(), 1);
    // A refused response is refused when written, not only when approved.
    let empty = Reply {
        findings: " ".into(),
        ..upheld.clone()
    };
    assert!(approval::hold(&c, &empty, &p, &cal, today, "ann", &to, 1).is_err());
}

#[test]
fn learning_needs_both_what_was_learnt_and_the_action_taken() {
    assert_eq!(
        approval::Learnt::from_parts(None, Some("  ")).unwrap(),
        None
    );
    assert!(approval::Learnt::from_parts(Some("x"), None).is_err());
    assert!(approval::Learnt::from_parts(None, Some("y")).is_err());
    let l = approval::Learnt::from_parts(Some(" x "), Some("none"))
        .unwrap()
        .unwrap();
    assert_eq!((l.learning.as_str(), l.action.as_str()), ("x", "none"));
    let long = "a".repeat(approval::LEARNING_MAX + 1);
    assert!(approval::Learnt::from_parts(Some(&long), Some("y")).is_err());
}
