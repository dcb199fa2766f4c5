//! Council policy presets: the stages, deadlines, windows, categories and retention
//! rules of one council's complaints policy, read from a TOML file. A preset is
//! data, not code; adding a council is adding a file.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use crate::calendar::Calendar;

// The presets shipped with Redress, compiled in so that `--policy NAME` works with no
// files: build.rs lists every file in config/policies/.
include!(concat!(env!("OUT_DIR"), "/presets.rs"));

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{file}: line {line}: {msg}")]
    Invalid {
        file: String,
        line: usize,
        msg: String,
    },
    #[error("{file}: {msg}")]
    Unreadable { file: String, msg: String },
    #[error("unknown policy '{0}' (known: {1}; or give a path to a .toml preset)")]
    Unknown(String, String),
}

/// How a period is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unit {
    /// Monday to Friday, less bank holidays and closures, by the day-0 rule.
    WorkingDays,
    /// Every day counts.
    CalendarDays,
    /// Seven calendar days each.
    Weeks,
}

/// The event a period counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Anchor {
    /// The day the complaint (or the feedback) reached the council.
    Receipt,
    /// The day we acknowledged it.
    Acknowledgement,
    /// The day the customer asked for the next stage.
    EscalationRequest,
    /// The day the investigation at this stage started (after a decision to investigate).
    InvestigationStart,
    /// The day we sent our response at this stage.
    Response,
}

impl Anchor {
    pub fn describe(self) -> &'static str {
        match self {
            Anchor::Receipt => "receipt",
            Anchor::Acknowledgement => "the acknowledgement",
            Anchor::EscalationRequest => "the escalation request",
            Anchor::InvestigationStart => "the start of the investigation",
            Anchor::Response => "our response",
        }
    }
}

/// A length of time counted from an event: written in a preset as
/// `"20 working days from receipt"`, `"21 days"`, `"12 weeks from receipt"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Period {
    pub amount: u32,
    pub unit: Unit,
    /// `None` when the preset leaves it to the context (the field's default anchor).
    pub from: Option<Anchor>,
}

impl Period {
    pub fn anchor_or(&self, default: Anchor) -> Anchor {
        self.from.unwrap_or(default)
    }

    /// The due date when the anchor event happened on `start` (a London date).
    pub fn due_from(&self, cal: &Calendar, start: NaiveDate) -> NaiveDate {
        match self.unit {
            Unit::WorkingDays => cal.add_working_days(start, self.amount),
            Unit::CalendarDays => start + Duration::days(self.amount as i64),
            Unit::Weeks => start + Duration::days(7 * self.amount as i64),
        }
    }

    /// The length alone, as a person says it: "20 working days".
    pub fn length(&self) -> String {
        let (one, many) = match self.unit {
            Unit::WorkingDays => ("working day", "working days"),
            Unit::CalendarDays => ("day", "days"),
            Unit::Weeks => ("week", "weeks"),
        };
        format!(
            "{} {}",
            self.amount,
            if self.amount == 1 { one } else { many }
        )
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.length())?;
        if let Some(a) = self.from {
            let w = match a {
                Anchor::Receipt => "receipt",
                Anchor::Acknowledgement => "acknowledgement",
                Anchor::EscalationRequest => "escalation request",
                Anchor::InvestigationStart => "investigation start",
                Anchor::Response => "response",
            };
            write!(f, " from {w}")?;
        }
        Ok(())
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

impl TryFrom<String> for Period {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl std::str::FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "cannot read period '{s}': write it as '<N> working days|days|weeks [from receipt|acknowledgement|escalation request|investigation start|response]'"
            )
        };
        let lower = s.trim().to_ascii_lowercase();
        let (length, from) = match lower.split_once(" from ") {
            Some((l, f)) => (l.trim(), Some(f.trim())),
            None => (lower.as_str(), None),
        };
        let mut words = length.split_whitespace();
        let amount: u32 = words.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        let unit_words: Vec<&str> = words.collect();
        let unit = match unit_words.join(" ").as_str() {
            "working day" | "working days" => Unit::WorkingDays,
            "day" | "days" | "calendar day" | "calendar days" => Unit::CalendarDays,
            "week" | "weeks" => Unit::Weeks,
            _ => return Err(bad()),
        };
        let from = match from {
            None => None,
            Some("receipt") => Some(Anchor::Receipt),
            Some("acknowledgement") => Some(Anchor::Acknowledgement),
            Some("escalation request") => Some(Anchor::EscalationRequest),
            Some("investigation start") => Some(Anchor::InvestigationStart),
            Some("response") => Some(Anchor::Response),
            Some(_) => return Err(bad()),
        };
        if amount == 0 {
            return Err(format!("period '{s}' is zero long"));
        }
        if amount > 3650 {
            return Err(format!("period '{s}' is longer than ten years"));
        }
        Ok(Period { amount, unit, from })
    }
}

/// What happens when the customer's window to ask for the next stage lapses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnLapse {
    /// Close the case as auto-closed and send the customer a closure notice.
    AutoClose,
    /// Close the case as resolved, without a letter.
    CloseResolved,
    /// Leave it open for an officer to close.
    StayOpen,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// The longest extension the policy allows, if it sets a limit.
    pub max: Option<Period>,
    /// What the policy requires when extending (e.g. "tell the customer the reason and a new date").
    pub condition: String,
    /// The letter that tells the customer of an extension (the officer's or the
    /// scheduler's holding letter) gives the Ombudsman's details (LGSCO Code 6.5).
    #[serde(default)]
    pub ombudsman: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// How long the customer has, counted from our response unless stated.
    pub period: Period,
    pub on_lapse: OnLapse,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Short id used in the database and on the command line: early, stage1, stage2, stage3.
    pub id: String,
    /// Name as the council's policy calls it.
    pub name: String,
    /// Who handles this stage.
    pub handler: String,
    /// Acknowledgement deadline (counted from receipt at the first stage, from the escalation request later).
    pub acknowledge: Option<Period>,
    /// Deadline to decide whether to accept an escalation request (Buckinghamshire 5 WD, Bath & NES 10 WD).
    pub decide: Option<Period>,
    /// Response deadline; the anchor must be given.
    pub respond: Period,
    /// An earlier target the council aims for (Buckinghamshire: 10 WD).
    pub aim: Option<Period>,
    pub extension: Option<Extension>,
    /// The customer's window to ask for the next stage after our response at this one.
    pub escalation_window: Option<Window>,
    /// True when the handler must not be the one who handled the previous stage.
    #[serde(default)]
    pub different_handler: bool,
    /// A holding letter is owed when the response cannot meet the timescale.
    #[serde(default)]
    pub holding_letter: bool,
    /// When the scheduler's holding letter goes out while no response has been sent:
    /// `"after the response date"` (the default: the day after it lapses), `"on the
    /// response date"` or `"N working days before the response date"`, so the customer
    /// hears within the timescale where the policy says so.
    #[serde(default)]
    pub holding_letter_sent: HoldingWhen,
    /// The council may move a complaint into this stage from the previous one itself
    /// (`escalate --council`), with no response and no request from the customer; the
    /// stage's "from escalation request" deadlines then count from the day of receipt
    /// (`"receipt"`: Stockton) or from the day it is moved (`"move"`: North Norfolk).
    /// Absent: only the customer can ask for this stage.
    pub council_entry: Option<CouncilEntry>,
    /// Where the stage has no `escalation_window` (its response closes the case as
    /// `responded`), how long after our response a request for the next stage is still
    /// taken without an officer's override (`escalate REF --late REASON`), counted from
    /// the response. Absent: at any time.
    #[serde(default)]
    pub request_limit: Option<Period>,
}

/// When the scheduler sends a stage's holding letter, if no response has been sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum HoldingWhen {
    /// The first working day after the response date has lapsed.
    #[default]
    AfterLapse,
    /// `N` working days before the response date (0: on it). A response date on a
    /// non-working day counts from the last working day before it.
    Before(u32),
}

impl HoldingWhen {
    /// The working day a holding letter sent in time goes out for a response due on
    /// `due`; `None` when it waits for the lapse.
    pub fn send_on(self, cal: &Calendar, due: NaiveDate) -> Option<NaiveDate> {
        let HoldingWhen::Before(n) = self else {
            return None;
        };
        let mut d = due;
        let mut left = n;
        loop {
            if cal.is_working_day(d) {
                if left == 0 {
                    return Some(d);
                }
                left -= 1;
            }
            d = d.pred_opt()?;
        }
    }
}

impl std::str::FromStr for HoldingWhen {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let lower = s.trim().to_ascii_lowercase();
        let bad = || {
            format!("cannot read holding_letter_sent '{s}': write 'after the response date', 'on the response date' or '<N> working days before the response date' (N from 1 to 20)")
        };
        match lower.as_str() {
            "after the response date" => return Ok(HoldingWhen::AfterLapse),
            "on the response date" => return Ok(HoldingWhen::Before(0)),
            _ => {}
        }
        let n = lower
            .strip_suffix(" working days before the response date")
            .or_else(|| lower.strip_suffix(" working day before the response date"))
            .ok_or_else(bad)?;
        match n.trim().parse::<u32>() {
            Ok(n @ 1..=20) => Ok(HoldingWhen::Before(n)),
            _ => Err(bad()),
        }
    }
}

impl TryFrom<String> for HoldingWhen {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<HoldingWhen> for String {
    fn from(h: HoldingWhen) -> String {
        match h {
            HoldingWhen::AfterLapse => "after the response date".into(),
            HoldingWhen::Before(0) => "on the response date".into(),
            HoldingWhen::Before(1) => "1 working day before the response date".into(),
            HoldingWhen::Before(n) => format!("{n} working days before the response date"),
        }
    }
}

/// What a stage entered by the council's own move counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CouncilEntry {
    /// The day the complaint was received: it belonged at this stage from the start.
    Receipt,
    /// The day the council moves it.
    Move,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feedback {
    /// When the thank-you / acknowledgement is owed.
    pub acknowledge: Option<Period>,
    /// When a full reply is owed.
    pub respond: Option<Period>,
}

/// What a retention rule starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RetentionBasis {
    /// "Current year + N years": kept to 31 December of the closing year plus N years,
    /// erased from the next 1 January.
    EndOfCloseYear,
    /// N years after the day the case closed.
    CloseDate,
}

/// Which closed cases a retention rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RetentionScope {
    /// Any case (the fallback rule).
    Any,
    /// Closed at the first stage.
    ClosedAtFirstStage,
    /// Reached the second stage or later.
    ReachedSecondStage,
    /// Referred to the Ombudsman.
    ReferredToOmbudsman,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionRule {
    pub applies_to: RetentionScope,
    pub years: u32,
    pub basis: RetentionBasis,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// The council's name as it signs its letters.
    pub council: String,
    /// Reference prefix suggested for this council (config may override).
    pub reference_prefix: String,
    /// The document the preset was read from, with its date.
    pub source: String,
    /// The day of receipt (or of our reply) is day 0, the next whole working day is day 1.
    #[serde(default = "yes")]
    pub day_zero_rule: bool,
    /// Whether an officer may pause a deadline (e.g. awaiting information from the customer).
    #[serde(default)]
    pub pause_allowed: bool,
    /// Whole complaint from receipt to resolution (Buckinghamshire: 12 weeks).
    pub overall_limit: Option<Period>,
    /// Satisfaction survey sent this long after the response (West Lindsey: 7 days).
    pub survey: Option<Period>,
    pub compliment: Option<Feedback>,
    pub comment: Option<Feedback>,
    /// Complaint outcomes the council records.
    pub outcomes: Vec<String>,
    /// What the council calls its categories ("reason", "type").
    #[serde(default = "category")]
    pub category_label: String,
    pub categories: Vec<String>,
    /// Contact restrictions the council may impose.
    #[serde(default)]
    pub restrictions: Vec<String>,
    pub retention: Vec<RetentionRule>,
    pub stages: Vec<Stage>,
    /// What the council's procedure does not cover, each with where to go instead:
    /// an officer closes a case under one (`redress exclude REF ID`) and the redirect
    /// letter says it.
    #[serde(default)]
    pub exclusions: Vec<Exclusion>,
    /// A letter telling the customer we need more time (the officer's extension or the
    /// scheduler's holding letter) may say they need not wait for our response to go to
    /// the Ombudsman, before the last stage (LGSCO Code 6.5). False where the policy
    /// offers the Ombudsman only after the last stage (seeds 000 l.199, 002 l.113, 003
    /// l.150, 004 l.420): such letters then name the Ombudsman only at the last stage.
    #[serde(default)]
    pub ombudsman_before_final: bool,
    /// How a complaint with no name and no way to reply (`redress new --anonymous`) is
    /// recorded: as a complaint (the default, where the policy is silent), or as a
    /// service request unless it raises a wider concern the council can deal with
    /// without the complainant (seed 000 l.256).
    #[serde(default)]
    pub anonymous: Anonymous,
    /// A contact restriction only after the Monitoring Officer's procedure (seed 002
    /// l.313-332): referral, the customer told their behaviour is investigated, the
    /// outcome letter inviting written representations by a date, then the decision.
    /// Immediate restriction only in exceptional circumstances, with the reason recorded.
    /// False (the default): `restrict` applies at once, as the policy is silent.
    #[serde(default)]
    pub behaviour_procedure: bool,
    /// Who chooses the investigator of a complaint about the behaviour of a director or
    /// senior manager (seed 004 l.424: "the Chief Executive or Leader of the Council"):
    /// such a case cannot be assigned until they have. None: the policy is silent.
    #[serde(default)]
    pub director_investigator: Option<String>,
    /// Responses that wait for a named approver before they are sent (West Lindsey's
    /// Quality Assurance Board, seed 003 l.116-121). None: every response goes at once.
    #[serde(default)]
    pub approval: Option<Approval>,
}

/// Which responses wait for approval before they are sent, and who approves them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// Who approves, as staff know them ("the Quality Assurance Board"). The people
    /// who may approve are the council's: staff marked as approvers in its config,
    /// else its managers.
    pub by: String,
    /// A response with one of these outcomes waits (the council found at fault).
    #[serde(default)]
    pub outcomes: Vec<String>,
    /// A response that offers a remedy waits.
    #[serde(default)]
    pub remedy: bool,
    /// A response the officer marks serious waits.
    #[serde(default)]
    pub serious: bool,
}

/// What the policy does with an anonymous complaint.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Anonymous {
    /// Recorded as a complaint, handled without writing to anyone.
    #[default]
    Complaint,
    /// Logged as a service request, unless of wider concern.
    ServiceRequest,
}

/// One matter the council's complaints procedure does not cover, as its policy lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    /// Short id an officer names it by: lower-case letters, digits and hyphens.
    pub id: String,
    /// What is not covered, as the letter says it after "Our procedure does not cover".
    pub covers: String,
    /// Where to go instead, as the letter says it after "The right place to take your
    /// concern is".
    #[serde(rename = "where")]
    pub where_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Phrases that suggest a message falls under it (shown to officers; not decisive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phrases: Vec<String>,
    /// Any complaint wording at all makes the message a complaint (a claim said
    /// alongside dissatisfaction is part of a complaint), as `config/triage.toml`'s rule
    /// of the same name.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unless_dissatisfied: bool,
}

fn yes() -> bool {
    true
}
fn category() -> String {
    "category".into()
}

fn unknown(name: &str) -> PolicyError {
    PolicyError::Unknown(
        name.to_string(),
        BUILTIN
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// A built-in preset, parsed once per process; `None` when no preset has that name.
fn builtin(name: &str) -> Option<Result<&'static Policy, PolicyError>> {
    static PARSED: OnceLock<Vec<Result<Policy, String>>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        BUILTIN
            .iter()
            .map(|(name, src)| {
                parse_str(src, &format!("config/policies/{name}.toml"))
                    .map(|preset| Policy {
                        name: name.to_string(),
                        preset,
                    })
                    .map_err(|e| e.to_string())
            })
            .collect()
    });
    let i = BUILTIN.iter().position(|(n, _)| *n == name)?;
    Some(parsed[i].as_ref().map_err(|msg| PolicyError::Invalid {
        file: format!("config/policies/{name}.toml"),
        line: 0,
        msg: msg.clone(),
    }))
}

/// Which policy governs a case: the one the config runs, when the case was opened under
/// it, or else the built-in preset of the name the case records (a case keeps the policy
/// it was opened under when the config moves on). Got from [`crate::config::Config::policies`].
#[derive(Debug, Clone, Copy)]
pub struct Policies<'a> {
    configured: &'a Policy,
}

impl<'a> Policies<'a> {
    pub fn new(configured: &'a Policy) -> Policies<'a> {
        Policies { configured }
    }

    /// The policy the config runs (new cases open under it).
    pub fn configured(&self) -> &'a Policy {
        self.configured
    }

    /// The policy named `name` (a case's `policy`).
    pub fn get(&self, name: &str) -> Result<&'a Policy, PolicyError> {
        if name == self.configured.name {
            return Ok(self.configured);
        }
        builtin(name).unwrap_or_else(|| Err(unknown(name)))
    }

    /// Every policy a case may be under: the configured one, then each built-in preset.
    pub fn all(&self) -> impl Iterator<Item = &'a Policy> {
        std::iter::once(self.configured).chain(
            BUILTIN
                .iter()
                .filter_map(|(n, _)| builtin(n).and_then(Result::ok)),
        )
    }

    /// The names of the built-in presets, in file-name order.
    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(n, _)| *n)
    }
}

/// A preset with the name it was loaded under.
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub preset: Preset,
}

impl Policy {
    /// Load by built-in name, or from a path to a TOML file.
    pub fn load(name_or_path: &str) -> Result<Policy, PolicyError> {
        if let Some(p) = builtin(name_or_path) {
            return p.cloned();
        }
        let looks_like_path = name_or_path.ends_with(".toml") || name_or_path.contains('/');
        if looks_like_path {
            let preset = parse(Path::new(name_or_path))?;
            let name = Path::new(name_or_path)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| name_or_path.to_string());
            return Ok(Policy { name, preset });
        }
        Err(unknown(name_or_path))
    }

    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.preset.stages.iter().find(|s| s.id == id)
    }

    pub fn first_stage(&self) -> &Stage {
        &self.preset.stages[0]
    }

    /// The stage after `id`, if the policy has one.
    pub fn next_stage(&self, id: &str) -> Option<&Stage> {
        let i = self.preset.stages.iter().position(|s| s.id == id)?;
        self.preset.stages.get(i + 1)
    }

    /// The preset's exclusion with this id.
    pub fn exclusion(&self, id: &str) -> Option<&Exclusion> {
        self.preset.exclusions.iter().find(|e| e.id == id)
    }

    pub fn is_final_stage(&self, id: &str) -> bool {
        self.preset.stages.last().map(|s| s.id.as_str()) == Some(id)
    }

    /// The first day personal data of a closed case must be erased (it is kept until
    /// the day before).
    pub fn destruction_date(
        &self,
        closed: NaiveDate,
        reached_second_stage: bool,
        referred_to_ombudsman: bool,
    ) -> Option<NaiveDate> {
        let rule = self.preset.retention.iter().find(|r| match r.applies_to {
            RetentionScope::ReferredToOmbudsman => referred_to_ombudsman,
            RetentionScope::ReachedSecondStage => reached_second_stage,
            RetentionScope::ClosedAtFirstStage => !reached_second_stage,
            RetentionScope::Any => true,
        })?;
        let years = rule.years as i32;
        Some(match rule.basis {
            // Kept to the end of the Nth year after the closing year, erased the day after:
            // closed 10 March 2026, "current year + 2", kept until 31 December 2028.
            RetentionBasis::EndOfCloseYear => {
                NaiveDate::from_ymd_opt(closed.year() + years + 1, 1, 1)?
            }
            RetentionBasis::CloseDate => closed
                .with_year(closed.year() + years)
                // 29 February closes fall back to 28 February.
                .or_else(|| (closed - Duration::days(1)).with_year(closed.year() + years))?,
        })
    }
}

/// Read and validate a preset file.
pub fn parse(path: &Path) -> Result<Preset, PolicyError> {
    let file = path.display().to_string();
    let src = std::fs::read_to_string(path).map_err(|e| PolicyError::Unreadable {
        file: file.clone(),
        msg: e.to_string(),
    })?;
    parse_str(&src, &file)
}

/// Parse and validate preset text; `file` names it in errors.
pub fn parse_str(src: &str, file: &str) -> Result<Preset, PolicyError> {
    let preset: Preset = toml::from_str(src).map_err(|e| PolicyError::Invalid {
        file: file.to_string(),
        line: crate::text::toml_error_line(src, &e),
        msg: e
            .message()
            .lines()
            .next()
            .unwrap_or("invalid TOML")
            .to_string(),
    })?;
    validate(&preset, src, file)?;
    Ok(preset)
}

/// Line of `key` inside the `index`-th `[[stages]]` table (or the top level when
/// `index` is None); used to point semantic errors at the right place.
fn locate(src: &str, stage: Option<usize>, key: &str) -> usize {
    let mut seen = 0usize;
    let mut in_scope = stage.is_none();
    let mut scope_start = 1;
    for (i, line) in src.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            if t == "[[stages]]" {
                seen += 1;
                in_scope = stage == Some(seen - 1);
                if in_scope {
                    scope_start = i + 1;
                }
            } else if !t.starts_with("[stages.") {
                in_scope = false;
            }
            continue;
        }
        if in_scope {
            let k = t.split('=').next().unwrap_or("").trim();
            if k == key {
                return i + 1;
            }
        }
    }
    scope_start
}

/// Line of the `index`-th `[[exclusions]]` table.
fn locate_exclusion(src: &str, index: usize) -> usize {
    src.lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[exclusions]]")
        .nth(index)
        .map(|(i, _)| i + 1)
        .unwrap_or(1)
}

fn validate(p: &Preset, src: &str, file: &str) -> Result<(), PolicyError> {
    let err = |line: usize, msg: String| PolicyError::Invalid {
        file: file.to_string(),
        line,
        msg,
    };
    if p.council.trim().is_empty() {
        return Err(err(
            locate(src, None, "council"),
            "council name is empty".into(),
        ));
    }
    let prefix_ok = !p.reference_prefix.is_empty()
        && p.reference_prefix.len() <= 8
        && p.reference_prefix
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if !prefix_ok {
        return Err(err(
            locate(src, None, "reference_prefix"),
            format!(
                "reference_prefix '{}' must be 1-8 capital letters or digits",
                p.reference_prefix
            ),
        ));
    }
    if p.stages.is_empty() {
        return Err(err(
            1,
            "a preset needs at least one [[stages]] table".into(),
        ));
    }
    for (i, x) in p.exclusions.iter().enumerate() {
        let line = locate_exclusion(src, i);
        let id_ok = !x.id.is_empty()
            && x.id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !id_ok {
            return Err(err(
                line,
                format!(
                    "exclusion id '{}' must be lower-case letters, digits and hyphens",
                    x.id
                ),
            ));
        }
        if p.exclusions[..i].iter().any(|y| y.id == x.id) {
            return Err(err(line, format!("exclusion id '{}' is given twice", x.id)));
        }
        if x.covers.trim().is_empty() || x.where_.trim().is_empty() {
            return Err(err(
                line,
                format!(
                    "exclusion '{}' needs `covers` (what is not covered) and `where` (where to go instead)",
                    x.id
                ),
            ));
        }
    }
    if p.outcomes.is_empty() {
        return Err(err(
            locate(src, None, "outcomes"),
            "outcomes is empty".into(),
        ));
    }
    if let Some(a) = &p.approval {
        let at = src
            .lines()
            .position(|l| l.trim() == "[approval]")
            .map_or(1, |i| i + 1);
        if a.by.trim().is_empty() {
            return Err(err(at, "[approval] by (who approves) is empty".into()));
        }
        for o in &a.outcomes {
            if !p.outcomes.iter().any(|x| x.eq_ignore_ascii_case(o.trim())) {
                return Err(err(
                    at,
                    format!(
                        "[approval] outcome '{o}' is not one of the preset's outcomes ({})",
                        p.outcomes.join(", ")
                    ),
                ));
            }
        }
        if a.outcomes.is_empty() && !a.remedy && !a.serious {
            return Err(err(
                at,
                "[approval] names no response that waits (outcomes, remedy or serious)".into(),
            ));
        }
    }
    if p.retention.is_empty() {
        return Err(err(
            1,
            "a preset needs at least one [[retention]] rule (use applies_to = \"any\")".into(),
        ));
    }
    let mut ids = std::collections::HashSet::new();
    for (i, s) in p.stages.iter().enumerate() {
        let valid_id = matches!(
            s.id.as_str(),
            "early" | "stage1" | "stage2" | "stage3" | "stage4"
        );
        if !valid_id {
            return Err(err(
                locate(src, Some(i), "id"),
                format!(
                    "stage id '{}' must be one of early, stage1, stage2, stage3, stage4",
                    s.id
                ),
            ));
        }
        if !ids.insert(s.id.clone()) {
            return Err(err(
                locate(src, Some(i), "id"),
                format!("stage id '{}' appears twice", s.id),
            ));
        }
        let first = i == 0;
        for (key, period) in [
            ("acknowledge", s.acknowledge.as_ref()),
            ("decide", s.decide.as_ref()),
            ("respond", Some(&s.respond)),
            ("aim", s.aim.as_ref()),
        ] {
            let Some(period) = period else { continue };
            let line = locate(src, Some(i), key);
            if key == "respond" && period.from.is_none() {
                return Err(err(
                    line,
                    format!(
                        "stage {}: respond must say what it counts from ('... from receipt')",
                        s.id
                    ),
                ));
            }
            match period.from {
                Some(Anchor::EscalationRequest) if first => {
                    return Err(err(line, format!("stage {}: the first stage cannot count from an escalation request", s.id)))
                }
                Some(Anchor::Acknowledgement) if s.acknowledge.is_none() && !first => {
                    return Err(err(line, format!("stage {}: {key} counts from the acknowledgement but the stage has no acknowledge deadline", s.id)))
                }
                Some(Anchor::Response) => {
                    return Err(err(line, format!("stage {}: {key} cannot count from our own response", s.id)))
                }
                Some(Anchor::InvestigationStart) if s.decide.is_none() => {
                    return Err(err(line, format!("stage {}: {key} counts from the start of the investigation but the stage has no decide deadline", s.id)))
                }
                _ => {}
            }
        }
        if let Some(w) = &s.escalation_window {
            if let Some(a) = w.period.from {
                if a != Anchor::Response {
                    return Err(err(
                        locate(src, Some(i), "period"),
                        format!(
                            "stage {}: the escalation window counts from our response",
                            s.id
                        ),
                    ));
                }
            }
        }
        if first && s.council_entry.is_some() {
            return Err(err(
                locate(src, Some(i), "council_entry"),
                format!(
                    "stage {}: council_entry needs an earlier stage to move from",
                    s.id
                ),
            ));
        }
    }
    if p.stages[0].acknowledge.is_none() {
        return Err(err(
            locate(src, Some(0), "id"),
            "the first stage needs an acknowledge deadline".into(),
        ));
    }
    Ok(())
}

/// One line of a deadline table.
#[derive(Debug, Clone, Serialize)]
pub struct DeadlineRow {
    pub stage: String,
    pub what: String,
    pub rule: String,
}

impl Preset {
    /// The council's deadline table, one row per promise, in the order a case meets them.
    pub fn table(&self) -> Vec<DeadlineRow> {
        let mut rows = Vec::new();
        let row = |stage: &str, what: &str, rule: String| DeadlineRow {
            stage: stage.to_string(),
            what: what.to_string(),
            rule,
        };
        for (i, s) in self.stages.iter().enumerate() {
            let default_ack = if i == 0 {
                Anchor::Receipt
            } else {
                Anchor::EscalationRequest
            };
            let counted = |p: &Period, default: Anchor| {
                format!("{} from {}", p.length(), p.anchor_or(default).describe())
            };
            if let Some(a) = &s.acknowledge {
                rows.push(row(&s.name, "acknowledge", counted(a, default_ack)));
            }
            if let Some(d) = &s.decide {
                rows.push(row(
                    &s.name,
                    "decide whether to accept",
                    counted(d, Anchor::EscalationRequest),
                ));
            }
            if let Some(a) = &s.aim {
                rows.push(row(
                    &s.name,
                    "aim to respond",
                    counted(a, s.respond.anchor_or(Anchor::Receipt)),
                ));
            }
            rows.push(row(
                &s.name,
                "respond",
                counted(&s.respond, Anchor::Receipt),
            ));
            if let Some(e) = &s.extension {
                let max = e
                    .max
                    .map(|m| format!("up to {}", m.length()))
                    .unwrap_or_else(|| "no set limit".into());
                rows.push(row(&s.name, "extension", format!("{max}; {}", e.condition)));
            }
            if s.different_handler {
                rows.push(row(
                    &s.name,
                    "handler",
                    format!("{} (not the previous stage's handler)", s.handler),
                ));
            } else {
                rows.push(row(&s.name, "handler", s.handler.clone()));
            }
            if let Some(w) = &s.escalation_window {
                let what = match w.on_lapse {
                    OnLapse::AutoClose => "then the case closes automatically",
                    OnLapse::CloseResolved => "then the case closes as resolved",
                    OnLapse::StayOpen => "then an officer decides",
                };
                rows.push(row(
                    &s.name,
                    "customer may escalate",
                    format!("within {} of our response; {what}", w.period.length()),
                ));
            }
            if let (None, Some(l)) = (&s.escalation_window, &s.request_limit) {
                rows.push(row(
                    &s.name,
                    "customer may escalate",
                    format!(
                        "within {} of our response; later only with an officer's reason for the delay",
                        l.length()
                    ),
                ));
            }
        }
        if let Some(o) = &self.overall_limit {
            rows.push(row(
                "Whole complaint",
                "resolve",
                counted_from(o, Anchor::Receipt),
            ));
        }
        for (kind, f) in [("Compliment", &self.compliment), ("Comment", &self.comment)] {
            if let Some(f) = f {
                if let Some(a) = &f.acknowledge {
                    rows.push(row(kind, "acknowledge", counted_from(a, Anchor::Receipt)));
                }
                if let Some(r) = &f.respond {
                    rows.push(row(kind, "respond", counted_from(r, Anchor::Receipt)));
                }
            }
        }
        if let Some(s) = &self.survey {
            rows.push(row(
                "Survey",
                "satisfaction survey",
                counted_from(s, Anchor::Response),
            ));
        }
        rows
    }
}

fn counted_from(p: &Period, default: Anchor) -> String {
    format!("{} from {}", p.length(), p.anchor_or(default).describe())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusions_need_a_plain_id_and_what_and_where() {
        let base = BUILTIN
            .iter()
            .find(|(n, _)| *n == "lgsco-code")
            .unwrap()
            .1
            .to_string();
        let with = |t: &str| parse_str(&format!("{base}\n[[exclusions]]\n{t}\n"), "p.toml");
        assert!(with("id = \"ok-1\"\ncovers = \"a\"\nwhere = \"b\"").is_ok());
        let e = with("id = \"Bad Id\"\ncovers = \"a\"\nwhere = \"b\"")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("exclusion id 'Bad Id' must be lower-case"),
            "{e}"
        );
        let e = with("id = \"x\"\ncovers = \" \"\nwhere = \"b\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("exclusion 'x' needs `covers`"), "{e}");
        let e = with("id = \"x\"\ncovers = \"a\"").unwrap_err().to_string();
        assert!(e.contains("where"), "{e}");
    }

    #[test]
    fn every_builtin_exclusion_cites_its_seed_line() {
        // Each [[exclusions]] table in a shipped preset follows a comment citing the
        // seed line it was read from ("l.N").
        for (name, src) in BUILTIN {
            let lines: Vec<&str> = src.lines().collect();
            for (i, l) in lines.iter().enumerate() {
                if l.trim() == "[[exclusions]]" {
                    let comment: Vec<&str> = lines[..i]
                        .iter()
                        .rev()
                        .take_while(|l| l.trim_start().starts_with('#'))
                        .copied()
                        .collect();
                    assert!(
                        comment.iter().any(|c| c.contains("l.")),
                        "{name}.toml line {}: exclusion without a seed line",
                        i + 1
                    );
                }
            }
        }
    }

    #[test]
    fn periods_read_as_written() {
        let p: Period = "20 working days from receipt".parse().unwrap();
        assert_eq!(
            p,
            Period {
                amount: 20,
                unit: Unit::WorkingDays,
                from: Some(Anchor::Receipt)
            }
        );
        let p: Period = "12 weeks".parse().unwrap();
        assert_eq!(
            p,
            Period {
                amount: 12,
                unit: Unit::Weeks,
                from: None
            }
        );
        assert!("20 fortnights".parse::<Period>().is_err());
        assert!("0 days".parse::<Period>().is_err());
        assert!("5 working days from lunch".parse::<Period>().is_err());
    }

    #[test]
    fn every_builtin_preset_parses_and_validates() {
        for (name, _) in BUILTIN {
            let p = Policy::load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!p.preset.stages.is_empty());
            assert!(!p.preset.table().is_empty());
        }
    }
}
