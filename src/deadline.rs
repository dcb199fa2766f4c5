//! Deadlines of a case: which promises of the policy apply, from which event each
//! counts, and the date each falls due. Pure: dates in, dates out.

use chrono::NaiveDate;
use serde::Serialize;

use crate::calendar::{show, Calendar};
use crate::policy::{Anchor, Period, Policy, Unit};

/// The kinds of promise a policy makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Acknowledge,
    Decide,
    Aim,
    Respond,
    EscalationWindow,
    OverallLimit,
    Survey,
    /// A new target date after an extension or a lapsed deadline (holding letter).
    Extension,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Acknowledge => "acknowledge",
            Kind::Decide => "decide",
            Kind::Aim => "aim",
            Kind::Respond => "respond",
            Kind::EscalationWindow => "escalation-window",
            Kind::OverallLimit => "overall-limit",
            Kind::Survey => "survey",
            Kind::Extension => "extension",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [
            Kind::Acknowledge,
            Kind::Decide,
            Kind::Aim,
            Kind::Respond,
            Kind::EscalationWindow,
            Kind::OverallLimit,
            Kind::Survey,
            Kind::Extension,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a stored deadline stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Open,
    Met,
    /// Passed without the step (an extension, a holding letter or a flag followed).
    Lapsed,
    /// No longer owed (the case closed, or the stage was referred back).
    Cancelled,
    /// Superseded by an extension (the officer's `extend` or a holding letter): the
    /// stage's response is owed by the extension deadline's date, and this one is kept
    /// on record only (where extensions are counted from); never overdue.
    Extended,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Open,
        Status::Met,
        Status::Lapsed,
        Status::Cancelled,
        Status::Extended,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Met => "met",
            Status::Lapsed => "lapsed",
            Status::Cancelled => "cancelled",
            Status::Extended => "extended",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The London dates of the events a stage's deadlines count from. `None` until the event happens.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub received: Option<NaiveDate>,
    pub acknowledged: Option<NaiveDate>,
    pub escalation_requested: Option<NaiveDate>,
    pub investigation_started: Option<NaiveDate>,
    pub responded: Option<NaiveDate>,
}

impl Facts {
    pub fn received(d: NaiveDate) -> Facts {
        Facts {
            received: Some(d),
            ..Facts::default()
        }
    }

    fn date_of(&self, a: Anchor) -> Option<NaiveDate> {
        match a {
            Anchor::Receipt => self.received,
            Anchor::Acknowledgement => self.acknowledged,
            Anchor::EscalationRequest => self.escalation_requested,
            Anchor::InvestigationStart => self.investigation_started,
            Anchor::Response => self.responded,
        }
    }
}

/// One deadline: what is due, when, and why that date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Due {
    pub stage: String,
    pub kind: Kind,
    /// The event it counts from, and the day that event happened.
    pub from: Anchor,
    pub from_date: NaiveDate,
    pub period: String,
    pub due: NaiveDate,
}

impl Due {
    fn new(
        cal: &Calendar,
        stage: &str,
        kind: Kind,
        p: &Period,
        from: Anchor,
        from_date: NaiveDate,
    ) -> Due {
        Due {
            stage: stage.to_string(),
            kind,
            from,
            from_date,
            period: p.length(),
            due: p.due_from(cal, from_date),
        }
    }

    /// How the date was reached, for `case --explain` and `deadline`: the rule, the
    /// start, and every non-working day the count stepped over.
    pub fn explain(&self, cal: &Calendar, unit_is_working: bool) -> String {
        let mut s = format!(
            "{} {}: {} from {} ({}) = {}",
            self.stage,
            self.kind.as_str(),
            self.period,
            self.from.describe(),
            show(self.from_date),
            show(self.due)
        );
        if unit_is_working {
            let skipped = cal.skipped(self.from_date, self.due);
            if !skipped.is_empty() {
                let list: Vec<String> = skipped
                    .iter()
                    .map(|(d, why)| format!("{} {}", d.format("%Y-%m-%d"), why))
                    .collect();
                s.push_str(&format!("; skipped {}", list.join(", ")));
            }
        }
        s
    }
}

/// The deadlines a stage carries, given the events so far. Deadlines whose event has
/// not happened yet are left out (they appear once it does).
pub fn stage_deadlines(policy: &Policy, stage_id: &str, facts: &Facts, cal: &Calendar) -> Vec<Due> {
    let Some(stage) = policy.stage(stage_id) else {
        return Vec::new();
    };
    let first = policy.first_stage().id == stage_id;
    let ack_default = if first {
        Anchor::Receipt
    } else {
        Anchor::EscalationRequest
    };
    let mut out = Vec::new();
    let mut push = |kind: Kind, p: &Period, default: Anchor| {
        let from = p.anchor_or(default);
        if let Some(d) = facts.date_of(from) {
            out.push(Due::new(cal, &stage.id, kind, p, from, d));
        }
    };
    if let Some(p) = &stage.acknowledge {
        push(Kind::Acknowledge, p, ack_default);
    }
    if let Some(p) = &stage.decide {
        push(Kind::Decide, p, Anchor::EscalationRequest);
    }
    if let Some(p) = &stage.aim {
        push(Kind::Aim, p, stage.respond.anchor_or(Anchor::Receipt));
    }
    push(Kind::Respond, &stage.respond, Anchor::Receipt);
    if let Some(w) = &stage.escalation_window {
        push(Kind::EscalationWindow, &w.period, Anchor::Response);
    }
    if first {
        if let Some(p) = &policy.preset.overall_limit {
            push(Kind::OverallLimit, p, Anchor::Receipt);
        }
    }
    if let Some(p) = &policy.preset.survey {
        push(Kind::Survey, p, Anchor::Response);
    }
    out
}

/// Deadlines of a compliment or a comment received on `received`.
pub fn feedback_deadlines(
    policy: &Policy,
    compliment: bool,
    received: NaiveDate,
    cal: &Calendar,
) -> Vec<Due> {
    let (name, f) = if compliment {
        ("compliment", &policy.preset.compliment)
    } else {
        ("comment", &policy.preset.comment)
    };
    let Some(f) = f else { return Vec::new() };
    let mut out = Vec::new();
    if let Some(p) = &f.acknowledge {
        out.push(Due::new(
            cal,
            name,
            Kind::Acknowledge,
            p,
            Anchor::Receipt,
            received,
        ));
    }
    if let Some(p) = &f.respond {
        out.push(Due::new(
            cal,
            name,
            Kind::Respond,
            p,
            Anchor::Receipt,
            received,
        ));
    }
    out
}

/// Whether a due's period counts working days (for explanations).
pub fn counts_working_days(policy: &Policy, due: &Due) -> bool {
    let unit = |p: Option<&Period>| p.map(|p| p.unit == Unit::WorkingDays).unwrap_or(false);
    if let Some(stage) = policy.stage(&due.stage) {
        return match due.kind {
            Kind::Acknowledge => unit(stage.acknowledge.as_ref()),
            Kind::Decide => unit(stage.decide.as_ref()),
            Kind::Aim => unit(stage.aim.as_ref()),
            Kind::Respond => unit(Some(&stage.respond)),
            Kind::EscalationWindow => unit(stage.escalation_window.as_ref().map(|w| &w.period)),
            Kind::OverallLimit => unit(policy.preset.overall_limit.as_ref()),
            Kind::Survey => unit(policy.preset.survey.as_ref()),
            Kind::Extension => true,
        };
    }
    let f = if due.stage == "compliment" {
        &policy.preset.compliment
    } else {
        &policy.preset.comment
    };
    match (f, due.kind) {
        (Some(f), Kind::Acknowledge) => unit(f.acknowledge.as_ref()),
        (Some(f), Kind::Respond) => unit(f.respond.as_ref()),
        _ => false,
    }
}
/// A deadline of a case as stored: which promise, from what, when due, and its state.
#[derive(Debug, Clone, Serialize)]
pub struct Deadline {
    pub stage: String,
    pub kind: Kind,
    pub from_event: String,
    pub from_date: String,
    pub period: String,
    pub due: String,
    pub status: Status,
    pub met_on: Option<String>,
    /// The letter that met it, while that letter waits to be printed and posted: the
    /// deadline is held to post since `met_on` until an officer records the posting,
    /// whose day then becomes `met_on`.
    pub held_letter: Option<i64>,
}

impl Deadline {
    /// The stored deadline as the promise it keeps, to explain (`case --explain`, the
    /// desk's case page); `None` for a row this build cannot read back.
    pub fn as_due(&self) -> Option<Due> {
        let from = [
            Anchor::Receipt,
            Anchor::Acknowledgement,
            Anchor::EscalationRequest,
            Anchor::InvestigationStart,
            Anchor::Response,
        ]
        .into_iter()
        .find(|a| a.describe() == self.from_event)?;
        Some(Due {
            stage: self.stage.clone(),
            kind: self.kind,
            from,
            from_date: crate::time::parse_iso(&self.from_date)?,
            period: self.period.clone(),
            due: crate::time::parse_iso(&self.due)?,
        })
    }
}
