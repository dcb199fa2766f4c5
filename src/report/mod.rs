//! Performance reports for managers: the figures the council's policies promise to
//! publish (monthly, quarterly, annual), computed from the case store and rendered as
//! text, CSV, JSON or a PDF with charts. A report holds counts, shares and day counts
//! only, never a name, address, email or subject: it can be sent to anyone.
//!
//! Definitions (also printed at the foot of every text and PDF report):
//! - A period is a run of London dates: `2026-10` (a month), `2026-Q3` (a calendar
//!   quarter, July to September), `2026-27` (a financial year, 1 April 2026 to
//!   31 March 2027) or `2026-27-Q1` (a financial quarter, April to June 2026).
//! - Received: cases whose London date of receipt falls in the period, by kind; a case
//!   closed out of scope (excluded, or redirected by triage) counts as out of scope.
//! - Entered a stage: the first stage counts complaints received; a later stage counts
//!   cases whose escalation request into it was made in the period.
//! - Responses: 'respond' deadlines met in the period. On time: met on or before the
//!   due date. Working days to respond: working days (Mon-Fri less bank holidays and
//!   closures, by the day-0 rule) from the date the policy's response deadline counts
//!   from (receipt, acknowledgement or escalation request, as the preset says) to the
//!   day the response went. So a response on its due date takes exactly the policy's
//!   period, and "on time" and "days taken" measure the same promise. A case reopened
//!   and answered again at the same stage counts once in a period (or a month of the
//!   trend): its latest response there, which supersedes the earlier one. A response in
//!   an earlier period keeps its place there.
//! - Escalation rate: of the complaints received in the period, the share that has
//!   reached the next stage by the time of the report (a cohort measure, so a young
//!   cohort's rate can still rise).
//! - Outcomes of responses: every stage or final response sent in the period, by stage
//!   and the outcome it gave (a complaint answered at two stages counts twice; one
//!   answered twice at a stage in the period, once: the latest).
//! - Outcomes, close reasons, auto-closed: complaints closed in the period.
//! - Open at period end: complaints received by the end and not closed by then, at the
//!   stage they had reached by then.
//! - Trend: the twelve calendar months ending with the period's last month.
//!
//! Erasure under the retention schedule keeps every fact used here (see
//! `store/migrations/05_records.sql`), so a report reads the same before and after it.

pub mod pdf;
pub mod svg;
mod text;
pub mod trend;
pub use text::{to_csv, to_json, to_text};
pub use trend::percent;

use crate::time::{iso, stamp};
use chrono::{Datelike, Duration, NaiveDate, TimeZone};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

use crate::calendar::Calendar;
use crate::config::Config;
use crate::store::records::{ClosedGroup, ReceivedGroup, ResponseRow};
use crate::store::{LearningRow, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot read period '{0}': write 2026-10 (month), 2026-Q3 (calendar quarter), 2026-27 (financial year April-March) or 2026-27-Q1 (financial quarter)")]
    Period(String),
    #[error("cannot draw the PDF report: {0}")]
    Pdf(String),
}

pub type Result<T> = std::result::Result<T, ReportError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeriodKind {
    Month,
    Quarter,
    FinancialYear,
    FinancialQuarter,
}

/// The London dates a report covers, both ends included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    /// As written on the command line, e.g. "2026-27".
    pub label: String,
    pub kind: PeriodKind,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

fn month_end(y: i32, m: u32) -> Option<NaiveDate> {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    Some(NaiveDate::from_ymd_opt(ny, nm, 1)? - Duration::days(1))
}

impl Period {
    fn span(label: &str, kind: PeriodKind, y: i32, m: u32, months: u32) -> Option<Period> {
        let from = NaiveDate::from_ymd_opt(y, m, 1)?;
        let last = m - 1 + months - 1;
        let to = month_end(y + (last / 12) as i32, last % 12 + 1)?;
        Some(Period {
            label: label.to_string(),
            kind,
            from,
            to,
        })
    }

    /// Human description: "October 2026", "1 April 2026 to 31 March 2027".
    pub fn describe(&self) -> String {
        match self.kind {
            PeriodKind::Month => self.from.format("%B %Y").to_string(),
            _ => format!(
                "{} to {}",
                self.from.format("%-d %B %Y"),
                self.to.format("%-d %B %Y")
            ),
        }
    }

    /// The first day of the trend: eleven months before the period's last month.
    pub fn trend_from(&self) -> NaiveDate {
        let (mut y, mut m) = (self.to.year(), self.to.month() as i32 - 11);
        if m < 1 {
            m += 12;
            y -= 1;
        }
        NaiveDate::from_ymd_opt(y, m as u32, 1).unwrap_or(self.from)
    }
}

impl std::str::FromStr for Period {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Period> {
        let bad = || ReportError::Period(s.to_string());
        let t = s.trim().to_ascii_uppercase();
        let t = t.strip_prefix("FY").unwrap_or(&t).replace('/', "-");
        let parts: Vec<&str> = t.split('-').collect();
        let year = |p: &str| -> Option<i32> {
            (p.len() == 4)
                .then(|| p.parse::<i32>().ok())
                .flatten()
                .filter(|y| (1970..=9998).contains(y))
        };
        let fy_second =
            |y: i32, p: &str| p.len() == 2 && p.parse::<i32>().ok() == Some((y + 1) % 100);
        let label = s.trim();
        let p = match parts.as_slice() {
            [y, q] if q.starts_with('Q') => {
                let y = year(y).ok_or_else(bad)?;
                let q: u32 = q[1..].parse().map_err(|_| bad())?;
                if !(1..=4).contains(&q) {
                    return Err(bad());
                }
                Period::span(label, PeriodKind::Quarter, y, 3 * q - 2, 3)
            }
            [y, m] if m.len() == 2 && m.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m)) => {
                let y = year(y).ok_or_else(bad)?;
                Period::span(
                    label,
                    PeriodKind::Month,
                    y,
                    m.parse().map_err(|_| bad())?,
                    1,
                )
            }
            [y, y2] => {
                let y = year(y).ok_or_else(bad)?;
                if !fy_second(y, y2) {
                    return Err(bad());
                }
                Period::span(label, PeriodKind::FinancialYear, y, 4, 12)
            }
            [y, y2, q] if q.starts_with('Q') => {
                let y = year(y).ok_or_else(bad)?;
                if !fy_second(y, y2) {
                    return Err(bad());
                }
                let q: u32 = q[1..].parse().map_err(|_| bad())?;
                if !(1..=4).contains(&q) {
                    return Err(bad());
                }
                let first = 4 + 3 * (q - 1);
                let (yy, mm) = if first > 12 {
                    (y + 1, first - 12)
                } else {
                    (y, first)
                };
                Period::span(label, PeriodKind::FinancialQuarter, yy, mm, 3)
            }
            _ => None,
        };
        p.ok_or_else(bad)
    }
}

/// A named count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Count {
    pub name: String,
    pub count: u64,
}

/// What arrived in the period, by kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Received {
    pub complaints: u64,
    pub compliments: u64,
    pub comments: u64,
    pub service_requests: u64,
    pub out_of_scope: u64,
}

/// One stage's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageFigures {
    /// Stage id (stage1, stage2, early...).
    pub stage: String,
    /// As the council's policy calls it.
    pub name: String,
    /// Complaints that entered the stage in the period.
    pub entered: u64,
    /// Responses sent at this stage in the period.
    pub responses: u64,
    pub on_time: u64,
    /// on_time / responses, when there were responses.
    pub on_time_share: Option<f64>,
    pub average_working_days: Option<f64>,
    pub worst_working_days: Option<i64>,
    /// Complaints at this stage and open at the end of the period.
    pub open_at_end: u64,
    /// Responses sent at this stage in the period, by the outcome they gave (the
    /// policy's outcomes first, in its order).
    pub outcomes: Vec<Count>,
}

/// The step from one stage to the next, for the complaints received in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Escalation {
    pub from_stage: String,
    pub to_stage: String,
    /// Complaints of the cohort that reached `from_stage`.
    pub reached_from: u64,
    /// ... and of those, the ones that went on to `to_stage`.
    pub reached_to: u64,
    pub rate: Option<f64>,
}

/// Complaints closed in the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Closed {
    pub complaints: u64,
    pub auto_closed: u64,
    pub by_reason: Vec<Count>,
}

/// One month of the trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendMonth {
    /// YYYY-MM
    pub month: String,
    pub complaints: u64,
    pub compliments: u64,
    pub comments: u64,
    pub responses: u64,
    pub on_time: u64,
    pub on_time_share: Option<f64>,
}

/// A performance report: counts and shares only, no personal data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub council: String,
    pub policy: String,
    pub period: Period,
    /// When it was produced, if the caller says (the library has no clock).
    pub generated_at: Option<String>,
    pub received: Received,
    pub stages: Vec<StageFigures>,
    pub by_service: Vec<Count>,
    /// What the council calls its categories ("reason", "type", "category").
    pub category_label: String,
    pub by_category: Vec<Count>,
    /// Complaints closed in the period, by recorded outcome.
    pub outcomes: Vec<Count>,
    pub closed: Closed,
    pub escalation: Vec<Escalation>,
    pub open_at_end: u64,
    pub trend: Vec<TrendMonth>,
    /// Learning from complaints recorded in the period, by service then date: the
    /// service, the date, what was learnt and the action taken; no customer field and
    /// no case reference (seed 004 l.466-487, 003 l.164-179, 000 l.205-207).
    pub learning: Vec<Learning>,
}

/// One piece of learning from a complaint, as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Learning {
    pub service: String,
    pub date: String,
    pub learning: String,
    pub action: String,
}

const NOT_RECORDED: &str = "(not recorded)";

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The UTC instant London midnight starts `d`, as stored (RFC 3339, seconds).
fn london_midnight(d: NaiveDate) -> String {
    let naive = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    let t = chrono_tz::Europe::London
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| chrono::Utc.from_utc_datetime(&naive));
    stamp(t)
}

/// Working days between two dates by table lookup: a report over a big year counts
/// hundreds of thousands of responses, and the calendar walks day by day.
struct WorkdayIndex {
    start: NaiveDate,
    /// cumulative[i] = working days in (start, start + i].
    cumulative: Vec<i64>,
}

impl WorkdayIndex {
    fn new(cal: &Calendar, start: NaiveDate, end: NaiveDate) -> WorkdayIndex {
        let days = (end - start).num_days().max(0) as usize + 1;
        let mut cumulative = Vec::with_capacity(days);
        let mut n = 0;
        for i in 0..days {
            let d = start + Duration::days(i as i64);
            if i > 0 && cal.is_working_day(d) {
                n += 1;
            }
            cumulative.push(n);
        }
        WorkdayIndex { start, cumulative }
    }

    fn between(&self, cal: &Calendar, a: NaiveDate, b: NaiveDate) -> i64 {
        let ia = (a - self.start).num_days();
        let ib = (b - self.start).num_days();
        let len = self.cumulative.len() as i64;
        if ia >= 0 && ib >= 0 && ia < len && ib < len {
            self.cumulative[ib as usize] - self.cumulative[ia as usize]
        } else {
            cal.working_days_between(a, b)
        }
    }
}

/// Build the report for `period` from the store, with the council and preset of `cfg`.
pub fn build(store: &Store, cfg: &Config, period: &Period) -> Result<Report> {
    build_with_progress(store, cfg, period, &mut |_| {})
}

/// [`build`], telling `progress` each step as it starts (a long report over a big
/// database takes seconds; the CLI shows these on stderr).
pub fn build_with_progress(
    store: &Store,
    cfg: &Config,
    period: &Period,
    progress: &mut dyn FnMut(&str),
) -> Result<Report> {
    let rows = read(store, period, progress)?;
    Ok(figures(rows, cfg, period))
}

/// What a report is computed from: the store's rows for the period (and for the
/// trend's twelve months), read by [`read`]. [`figures`] is a pure step from them.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub received: Vec<ReceivedGroup>,
    pub stage_entries: Vec<(String, u64)>,
    /// Responses sent from the trend's first day (or the period's, if earlier).
    pub responses: Vec<ResponseRow>,
    pub received_by_month: Vec<(String, String, u64)>,
    pub response_outcomes: Vec<(String, Option<String>, u64)>,
    pub closed: Vec<ClosedGroup>,
    pub open_at_end: Vec<(String, u64)>,
    pub learning: Vec<LearningRow>,
}

/// Read the rows a report for `period` is computed from, telling `progress` each step.
pub fn read(store: &Store, period: &Period, progress: &mut dyn FnMut(&str)) -> Result<Rows> {
    let (from, to) = (iso(period.from), iso(period.to));
    let (from_ts, to_ts) = (
        london_midnight(period.from),
        london_midnight(period.to + Duration::days(1)),
    );
    progress("cases received");
    let received = store.received_groups(&from, &to)?;
    progress("escalations");
    let stage_entries = store.stage_entries(&from, &to)?;
    progress("responses and working days");
    let span_from = period.trend_from().min(period.from);
    let responses = store.responses(&iso(span_from), &to)?;
    progress("monthly trend");
    let received_by_month = store.received_by_month(&iso(period.trend_from()), &to)?;
    progress("outcomes of responses");
    let response_outcomes = store.response_outcomes(&from, &to)?;
    progress("cases closed");
    let closed = store.closed_groups(&from_ts, &to_ts)?;
    progress("open cases at period end");
    let open_at_end = store.open_at(&to, &to_ts)?;
    progress("learning from complaints");
    let learning = store.learning_between(period.from, period.to)?;
    Ok(Rows {
        received,
        stage_entries,
        responses,
        received_by_month,
        response_outcomes,
        closed,
        open_at_end,
        learning,
    })
}

/// The report's figures from its rows: no database, no clock.
pub fn figures(rows: Rows, cfg: &Config, period: &Period) -> Report {
    let preset = &cfg.policy.preset;
    let from = iso(period.from);

    // Stages of the preset, in order; ids met in the data but not in the preset (cases
    // under an earlier policy) follow with their id as name.
    let mut stages: Vec<StageFigures> = preset
        .stages
        .iter()
        .map(|s| StageFigures {
            stage: s.id.clone(),
            name: s.name.clone(),
            entered: 0,
            responses: 0,
            on_time: 0,
            on_time_share: None,
            average_working_days: None,
            worst_working_days: None,
            open_at_end: 0,
            outcomes: listed_first(&preset.outcomes, BTreeMap::new()),
        })
        .collect();
    let feedback_stage = |s: &str| s == "compliment" || s == "comment";
    let stage_index = |stages: &mut Vec<StageFigures>, id: &str| -> usize {
        if let Some(i) = stages.iter().position(|s| s.stage == id) {
            return i;
        }
        stages.push(StageFigures {
            stage: id.to_string(),
            name: id.to_string(),
            entered: 0,
            responses: 0,
            on_time: 0,
            on_time_share: None,
            average_working_days: None,
            worst_working_days: None,
            open_at_end: 0,
            outcomes: listed_first(&preset.outcomes, BTreeMap::new()),
        });
        stages.len() - 1
    };

    let mut received = Received::default();
    let mut services: BTreeMap<String, u64> = BTreeMap::new();
    let mut categories: BTreeMap<String, u64> = BTreeMap::new();
    // reached[k] = complaints of the cohort that reached stage position k+1 or later.
    let mut reached = vec![0u64; preset.stages.len().max(1)];
    for g in rows.received {
        match g.kind.as_str() {
            "complaint" => {
                received.complaints += g.count;
                *services
                    .entry(g.service.clone().unwrap_or_else(|| NOT_RECORDED.into()))
                    .or_default() += g.count;
                *categories
                    .entry(g.category.clone().unwrap_or_else(|| NOT_RECORDED.into()))
                    .or_default() += g.count;
                let r = (g.reached_stage.max(1) as usize).min(reached.len());
                for slot in reached.iter_mut().take(r) {
                    *slot += g.count;
                }
            }
            "compliment" => received.compliments += g.count,
            "comment" => received.comments += g.count,
            "service-request" => received.service_requests += g.count,
            _ => received.out_of_scope += g.count,
        }
    }
    if let Some(first) = stages.first_mut() {
        first.entered = received.complaints;
    }

    for (stage, n) in rows.stage_entries {
        if feedback_stage(&stage) {
            continue;
        }
        let i = stage_index(&mut stages, &stage);
        stages[i].entered += n;
    }

    let trend_from = period.trend_from();
    let span_from = trend_from.min(period.from);
    let responses = rows.responses;
    let earliest = responses
        .iter()
        .filter_map(|r| crate::time::parse_iso(&r.from_date))
        .min()
        .unwrap_or(span_from);
    let index = WorkdayIndex::new(&cfg.calendar, earliest.min(span_from), period.to);
    let mut days: Vec<Vec<i64>> = vec![Vec::new(); stages.len()];
    let mut trend: BTreeMap<String, TrendMonth> = BTreeMap::new();
    let mut m = trend_from;
    while m <= period.to {
        let key = m.format("%Y-%m").to_string();
        trend.insert(
            key.clone(),
            TrendMonth {
                month: key,
                complaints: 0,
                compliments: 0,
                comments: 0,
                responses: 0,
                on_time: 0,
                on_time_share: None,
            },
        );
        m = month_end(m.year(), m.month()).unwrap_or(period.to) + Duration::days(1);
    }
    // A case reopened and answered again at the same stage has one response that
    // stands in a period: the latest (a month of the trend, or the period itself). The
    // rows come in the order sent, so the last one seen for a case and stage wins.
    let mut latest_in_month: HashMap<(i64, &str, &str), usize> = HashMap::new();
    let mut latest_in_period: HashMap<(i64, &str), usize> = HashMap::new();
    for (i, r) in responses.iter().enumerate() {
        let month = &r.met_on[..7.min(r.met_on.len())];
        latest_in_month.insert((r.case_id, r.stage.as_str(), month), i);
        if r.met_on.as_str() >= from.as_str() {
            latest_in_period.insert((r.case_id, r.stage.as_str()), i);
        }
    }
    for (ri, r) in responses.iter().enumerate() {
        if feedback_stage(&r.stage) {
            continue;
        }
        let on_time = r.met_on <= r.due;
        let month = &r.met_on[..7.min(r.met_on.len())];
        if latest_in_month.get(&(r.case_id, r.stage.as_str(), month)) == Some(&ri) {
            if let Some(t) = trend.get_mut(month) {
                t.responses += 1;
                t.on_time += on_time as u64;
            }
        }
        if r.met_on.as_str() < from.as_str()
            || latest_in_period.get(&(r.case_id, r.stage.as_str())) != Some(&ri)
        {
            continue;
        }
        let i = stage_index(&mut stages, &r.stage);
        if days.len() < stages.len() {
            days.resize(stages.len(), Vec::new());
        }
        stages[i].responses += 1;
        stages[i].on_time += on_time as u64;
        if let (Some(a), Some(b)) = (
            crate::time::parse_iso(&r.from_date),
            crate::time::parse_iso(&r.met_on),
        ) {
            days[i].push(index.between(&cfg.calendar, a, b));
        }
    }
    for (s, d) in stages.iter_mut().zip(&days) {
        s.on_time_share = share(s.on_time, s.responses);
        if !d.is_empty() {
            s.average_working_days = Some(d.iter().sum::<i64>() as f64 / d.len() as f64);
            s.worst_working_days = d.iter().copied().max();
        }
    }

    for (month, kind, n) in rows.received_by_month {
        if let Some(t) = trend.get_mut(&month) {
            match kind.as_str() {
                "complaint" => t.complaints += n,
                "compliment" => t.compliments += n,
                "comment" => t.comments += n,
                _ => {}
            }
        }
    }
    let trend: Vec<TrendMonth> = trend
        .into_values()
        .map(|mut t| {
            t.on_time_share = share(t.on_time, t.responses);
            t
        })
        .collect();

    let mut by_stage: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for (stage, outcome, n) in rows.response_outcomes {
        *by_stage
            .entry(stage)
            .or_default()
            .entry(outcome.unwrap_or_else(|| NOT_RECORDED.into()))
            .or_default() += n;
    }
    for (stage, counts) in by_stage {
        if feedback_stage(&stage) {
            continue;
        }
        let i = stage_index(&mut stages, &stage);
        stages[i].outcomes = listed_first(&preset.outcomes, counts);
    }

    let mut closed = Closed::default();
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    for g in rows.closed {
        if g.kind != "complaint" {
            continue;
        }
        closed.complaints += g.count;
        let reason = g.close_reason.unwrap_or_else(|| NOT_RECORDED.into());
        if reason == "auto-closed" {
            closed.auto_closed += g.count;
        }
        *reasons.entry(reason).or_default() += g.count;
        *outcomes
            .entry(g.outcome.unwrap_or_else(|| NOT_RECORDED.into()))
            .or_default() += g.count;
    }
    closed.by_reason = reasons
        .into_iter()
        .map(|(name, count)| Count { name, count })
        .collect();

    let mut open_at_end = 0;
    for (stage, n) in rows.open_at_end {
        let i = stage_index(&mut stages, &stage);
        stages[i].open_at_end += n;
        open_at_end += n;
    }

    let escalation = preset
        .stages
        .windows(2)
        .enumerate()
        .map(|(k, w)| Escalation {
            from_stage: w[0].id.clone(),
            to_stage: w[1].id.clone(),
            reached_from: reached[k],
            reached_to: reached[k + 1],
            rate: share(reached[k + 1], reached[k]),
        })
        .collect();

    Report {
        council: cfg.council.name.clone(),
        policy: cfg.policy.name.clone(),
        period: period.clone(),
        generated_at: None,
        received,
        stages,
        by_service: sorted_by_count(services),
        category_label: preset.category_label.clone(),
        by_category: listed_first(&preset.categories, categories),
        outcomes: listed_first(&preset.outcomes, outcomes),
        closed,
        escalation,
        open_at_end,
        trend,
        learning: rows
            .learning
            .into_iter()
            .map(|l| Learning {
                service: l.service,
                date: l.recorded_on,
                learning: l.learning,
                action: l.action,
            })
            .collect(),
    }
}

/// The learning grouped by service, in the report's order.
pub fn learning_by_service(r: &Report) -> Vec<(&str, Vec<&Learning>)> {
    let mut out: Vec<(&str, Vec<&Learning>)> = Vec::new();
    for l in &r.learning {
        match out.last_mut() {
            Some((s, v)) if *s == l.service => v.push(l),
            _ => out.push((l.service.as_str(), vec![l])),
        }
    }
    out
}

/// Largest first, then by name; "(not recorded)" last.
fn sorted_by_count(m: BTreeMap<String, u64>) -> Vec<Count> {
    let mut v: Vec<Count> = m
        .into_iter()
        .map(|(name, count)| Count { name, count })
        .collect();
    v.sort_by(|a, b| {
        (a.name == NOT_RECORDED)
            .cmp(&(b.name == NOT_RECORDED))
            .then(b.count.cmp(&a.count))
            .then(a.name.cmp(&b.name))
    });
    v
}

/// The preset's own list in its order (zeros included, so a report always shows every
/// reason), then anything else recorded, then "(not recorded)".
fn listed_first(listed: &[String], mut m: BTreeMap<String, u64>) -> Vec<Count> {
    let mut v: Vec<Count> = listed
        .iter()
        .map(|name| Count {
            name: name.clone(),
            count: m.remove(name).unwrap_or(0),
        })
        .collect();
    let none = m.remove(NOT_RECORDED);
    v.extend(m.into_iter().map(|(name, count)| Count { name, count }));
    if let Some(count) = none {
        v.push(Count {
            name: NOT_RECORDED.into(),
            count,
        });
    }
    v
}

/// The definitions behind the figures, printed under every report.
pub const NOTES: &[&str] = &[
    "Received: cases by London date of receipt; a case closed out of scope counts as out of scope, not as a complaint. Entered a later stage: escalation request made in the period.",
    "Responses: response deadlines met in the period; on time = sent on or before the due date. A case reopened and answered again at a stage counts once: its latest response in the period.",
    "Working days to respond: from the day the policy's deadline counts from to the day the response went (day-0 rule, bank holidays and closures excluded).",
    "Escalation rate: share of the complaints received in the period that have reached the next stage so far.",
    "Outcomes, close reasons, auto-closed: complaints closed in the period. Open: received by the period end and not closed by then.",
    "No personal data: counts and shares, and the learning from complaints by service and date only (no names, addresses or case references).",
];

/// The report as an A4 PDF with charts.
pub fn to_pdf(r: &Report) -> Result<Vec<u8>> {
    pdf::render(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_read_as_councils_write_them() {
        let p: Period = "2026-10".parse().unwrap();
        assert_eq!(
            (p.kind, p.from, p.to),
            (PeriodKind::Month, d("2026-10-01"), d("2026-10-31"))
        );
        let p: Period = "2026-Q3".parse().unwrap();
        assert_eq!((p.from, p.to), (d("2026-07-01"), d("2026-09-30")));
        let p: Period = "2026-27".parse().unwrap();
        assert_eq!(
            (p.kind, p.from, p.to),
            (PeriodKind::FinancialYear, d("2026-04-01"), d("2027-03-31"))
        );
        let p: Period = "2026/27-Q4".parse().unwrap();
        assert_eq!((p.from, p.to), (d("2027-01-01"), d("2027-03-31")));
        let p: Period = "2026-12".parse().unwrap();
        assert_eq!(p.to, d("2026-12-31"));
        assert_eq!(p.trend_from(), d("2026-01-01"));
        for bad in [
            "2026-13",
            "2026-28",
            "2026-Q5",
            "26-10",
            "October",
            "2026-27-Q0",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }

    #[test]
    fn london_midnight_follows_summer_time() {
        assert_eq!(london_midnight(d("2026-07-01")), "2026-06-30T23:00:00Z");
        assert_eq!(london_midnight(d("2026-12-01")), "2026-12-01T00:00:00Z");
    }

    #[test]
    fn workday_index_agrees_with_the_calendar() {
        let cal = Calendar::new();
        let idx = WorkdayIndex::new(&cal, d("2026-11-01"), d("2027-02-01"));
        let mut a = d("2026-11-01");
        while a < d("2027-01-15") {
            let b = a + Duration::days(17);
            assert_eq!(
                idx.between(&cal, a, b),
                cal.working_days_between(a, b),
                "{a}"
            );
            a += Duration::days(3);
        }
    }
}
