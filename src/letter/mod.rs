//! Letters: the facts a letter may use ([`LetterContext`]), the Tera templates that
//! turn them into words, and the three forms a letter takes (plain text, HTML email,
//! PDF). Pure apart from reading an override folder of templates: no database, no mail.
//!
//! # Template files
//! One file per letter kind, `templates/<kind>.tera`. The first line is the subject;
//! a line of three or more dashes separates it from the body:
//!
//! ```text
//! We have received your complaint [Ref {{ case.reference }}]
//! ---
//! {{ customer.salutation }},
//! ...
//! ```
//!
//! The same file is rendered twice: as text (no escaping) for the plain-text email
//! and the PDF, and with Tera's HTML autoescaping for the HTML email, where blank
//! lines separate paragraphs and lines starting `- ` become a list. Customer-supplied
//! text is therefore never HTML in our mail. A missing variable is an error (Tera 2 is
//! strict), reported with the file and line; optional facts are tested with
//! `{% if data.apology %}`. Dates in `data` are ISO (2026-12-24); `| longdate`
//! writes them as letters do ("Thursday 24 December 2026").
//!
//! The defaults are compiled in; `[letters] templates = "DIR"` replaces them file by
//! file. `redress templates check` renders every kind for every built-in preset.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::calendar::{london_date, weekday_name, Calendar};
use crate::case::{Case, Customer};
use crate::council::{logo, Council};
use crate::deadline::Deadline;
use crate::deadline::{self, Facts};
use crate::policy::{OnLapse, Policy};

pub mod kind;
pub mod pdf;
pub mod sample;

pub use kind::{Content, Digest, DigestEntry, DigestGroup, Kind, Response, Signpost};

/// Most characters of a customer's subject quoted in a letter (text, HTML, PDF, and the
/// email Subject when a template puts it there).
pub const QUOTED_SUBJECT_MAX: usize = crate::text::SUBJECT_MAX;
/// Most characters of a customer's name in a letter (recipient block, salutation, To:).
pub const QUOTED_NAME_MAX: usize = crate::text::NAME_MAX;

/// Sender text as a letter may quote it: one line, no control character, capped
/// (see [`crate::text::one_line`]). An empty result means nothing printable was left.
pub use crate::text::one_line as quoted;

/// [`quoted`] for a name: `None` when nothing printable is left.
pub fn quoted_name(s: Option<&str>) -> Option<String> {
    s.map(|n| quoted(n, QUOTED_NAME_MAX))
        .filter(|n| !n.is_empty())
}

/// A kind as a person types it (`redress letter preview --letter KIND`); the error
/// lists the kinds there are.
impl std::str::FromStr for Kind {
    type Err = LetterError;

    fn from_str(s: &str) -> Result<Kind> {
        Kind::parse(s).ok_or_else(|| LetterError::UnknownKind(s.to_string()))
    }
}

/// A template problem, located in its file.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LetterError {
    #[error("no template for letter kind '{0}' (known: {known})", known = Kind::ALL.map(Kind::as_str).join(", "))]
    UnknownKind(String),
    #[error("{file}: line {line}: {msg}")]
    Template {
        file: String,
        line: usize,
        msg: String,
    },
    #[error("{file}: {msg}")]
    Unreadable { file: String, msg: String },
    #[error("PDF: {0}")]
    Pdf(String),
}

pub type Result<T> = std::result::Result<T, LetterError>;

/// The Local Government and Social Care Ombudsman, for the signposting every final
/// letter must carry.
#[derive(Debug, Clone, Serialize)]
pub struct Ombudsman {
    pub name: &'static str,
    pub web: &'static str,
    pub phone: &'static str,
}

pub const LGSCO: Ombudsman = Ombudsman {
    name: "Local Government and Social Care Ombudsman",
    web: "www.lgo.org.uk",
    phone: "0300 061 0614",
};

/// Who a letter names as the officer and who signs it: under a single-contact
/// restriction the named contact does both (the resident deals with that one officer:
/// shared/seeds/002_fccd42a92619dcdc.txt l.327); otherwise the case's officer is named
/// and the council's signatory signs.
pub fn voice(
    restriction: Option<&str>,
    contact: Option<String>,
    officer: Option<String>,
    signatory: &str,
) -> (Option<String>, String) {
    match (restriction, contact) {
        (Some("single-contact"), Some(c)) => (Some(c.clone()), c),
        _ => (officer, signatory.to_string()),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CouncilCtx {
    pub name: String,
    pub address: Vec<String>,
    pub phone: String,
    pub web: String,
    pub email: String,
    pub signatory: String,
    /// The council's logo, drawn at the head of the PDF letter.
    #[serde(skip)]
    pub logo: Option<std::sync::Arc<logo::Logo>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseCtx {
    pub reference: String,
    pub kind: String,
    pub stage: String,
    pub stage_name: String,
    /// Who handles the current stage, as the policy says it.
    pub handler: String,
    pub state: String,
    pub subject: Option<String>,
    pub service: Option<String>,
    pub officer: Option<String>,
    pub category: Option<String>,
    pub outcome: Option<String>,
    /// "Thursday 24 December 2026"
    pub received_on: String,
    pub received_on_iso: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerCtx {
    pub name: Option<String>,
    pub email: Option<String>,
    pub address: Vec<String>,
    /// "Dear Ms Jones" or "Dear Sir or Madam".
    pub salutation: String,
    /// How they answer this letter: "reply to this email", or for a customer with no
    /// email (their letters are posted) "write to us at <the council's address>".
    pub reply: String,
    /// When they write for someone else (a councillor, MP, advocate or relative): for
    /// whom, as recorded ("Mr Brown").
    pub on_behalf_of: Option<String>,
}

/// How a customer answers a letter: by email when we wrote by email, else by post (or
/// telephone, when the council gives no address).
fn how_to_reply(by_email: bool, council: &Council) -> String {
    if by_email {
        "reply to this email".into()
    } else if !council.address.is_empty() {
        format!("write to us at {}", council.address.join(", "))
    } else if !council.phone.is_empty() {
        format!("call us on {}", council.phone)
    } else {
        "contact us".into()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StageCtx {
    pub id: String,
    pub name: String,
    pub handler: String,
    /// "20 working days"
    pub respond: String,
    pub acknowledge: Option<String>,
    pub extension_max: Option<String>,
    pub extension_condition: Option<String>,
    /// How long the customer has to ask for the next stage after our response.
    pub escalation_window: Option<String>,
    /// auto-close, close-resolved, stay-open
    pub on_lapse: Option<String>,
    /// The policy requires someone not involved at earlier stages to handle this one.
    pub different_handler: bool,
    /// A letter telling of an extension gives the Ombudsman's details (LGSCO Code 6.5).
    pub extension_ombudsman: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyCtx {
    pub name: String,
    pub council: String,
    pub source: String,
    pub outcomes: Vec<String>,
    pub stage: StageCtx,
    pub next_stage: Option<StageCtx>,
    pub is_final_stage: bool,
    /// A letter about more time may point to the Ombudsman before the last stage.
    pub ombudsman_before_final: bool,
    /// The stage's timescale is followed by a letter when it cannot be met (a holding
    /// letter, or the officer's extension): the acknowledgement promises one only then.
    pub letter_if_late: bool,
    /// "12 weeks" where the policy limits the whole complaint from receipt to
    /// resolution (Buckinghamshire, seed 000 l.127).
    pub overall_limit: Option<String>,
    pub stage_count: usize,
    /// "7 days" when the council sends a satisfaction survey.
    pub survey: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DateCtx {
    /// "Thursday 24 December 2026"
    pub date: String,
    pub iso: String,
}

impl DateCtx {
    pub fn of(d: NaiveDate) -> DateCtx {
        DateCtx {
            date: long_date(d),
            iso: crate::time::iso(d),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LetterMeta {
    pub kind: Kind,
    /// The date on the letter (London), long form.
    pub date: String,
    pub date_iso: String,
    pub automatic: bool,
}

/// Everything a template may use. Field names are the template variable names.
#[derive(Debug, Clone, Serialize)]
pub struct LetterContext {
    pub council: CouncilCtx,
    pub case: CaseCtx,
    pub customer: CustomerCtx,
    pub policy: PolicyCtx,
    /// The current stage's deadlines by kind with `-` written `_`: acknowledge, decide,
    /// aim, respond, escalation_window, overall_limit, survey. Open deadlines from the
    /// case store win; those whose event has not happened yet are computed as if it
    /// happened on the letter's date (an acknowledgement is sent today, a response
    /// opens the escalation window today).
    pub deadlines: BTreeMap<String, DateCtx>,
    pub letter: LetterMeta,
    pub ombudsman: Ombudsman,
    /// Facts particular to this letter (outcome, findings, reason, new date, ...).
    pub data: serde_json::Value,
    /// The end of the policy's overall limit, when the date this letter promises (its
    /// `data.new_date`, else the response date) falls after it: the letter must say so
    /// (issue 24, item 2).
    pub beyond_limit: Option<DateCtx>,
}

/// For whom a representative writes, as a letter to them says it: their own "my
/// constituent Mr Patel" becomes "your constituent Mr Patel".
pub fn to_the_writer(for_whom: &str) -> String {
    let w = for_whom.trim();
    match w.get(..3) {
        Some(my) if my.eq_ignore_ascii_case("my ") => format!("your {}", &w[3..]),
        _ => w.to_string(),
    }
}

/// "Thursday 24 December 2026"
pub fn long_date(d: NaiveDate) -> String {
    format!(
        "{} {} {}",
        weekday_name(d.weekday()),
        d.day(),
        d.format("%B %Y")
    )
}

fn stage_ctx(s: &crate::policy::Stage) -> StageCtx {
    StageCtx {
        id: s.id.clone(),
        name: s.name.clone(),
        handler: s.handler.clone(),
        different_handler: s.different_handler,
        extension_ombudsman: s.extension.as_ref().is_some_and(|e| e.ombudsman),
        respond: s.respond.length(),
        acknowledge: s.acknowledge.map(|p| p.length()),
        extension_max: s.extension.as_ref().and_then(|e| e.max.map(|m| m.length())),
        extension_condition: s.extension.as_ref().map(|e| e.condition.clone()),
        escalation_window: s.escalation_window.as_ref().map(|w| w.period.length()),
        on_lapse: s.escalation_window.as_ref().map(|w| {
            match w.on_lapse {
                OnLapse::AutoClose => "auto-close",
                OnLapse::CloseResolved => "close-resolved",
                OnLapse::StayOpen => "stay-open",
            }
            .to_string()
        }),
    }
}

/// Inputs for a letter's context, as the outbox gathers them from the store.
pub struct ContextInput<'a> {
    pub council: &'a Council,
    pub policy: &'a Policy,
    pub calendar: &'a Calendar,
    pub case: &'a Case,
    pub customer: &'a Customer,
    /// The handling officer as letters name them ([`crate::config::Staff::in_letters`]).
    pub officer: Option<String>,
    pub deadlines: &'a [Deadline],
    pub kind: Kind,
    pub automatic: bool,
    pub data: serde_json::Value,
    pub now: DateTime<Utc>,
}

impl LetterContext {
    pub fn build(i: ContextInput) -> LetterContext {
        let today = london_date(i.now);
        let policy = i.policy;
        let stage = policy
            .stage(&i.case.stage)
            .unwrap_or_else(|| policy.first_stage());
        let received = i.case.facts.received_on.unwrap_or_else(|| {
            london_date(crate::time::parse_stamp(&i.case.received_at).unwrap_or(i.now))
        });
        // Deadlines whose event is still to come are computed as if it happened today.
        let f = &i.case.facts;
        let facts = Facts {
            received: Some(received),
            acknowledged: f.acknowledged_on.or(Some(today)),
            escalation_requested: f.escalation_requested_on.or(Some(today)),
            investigation_started: f.investigation_started_on.or(Some(today)),
            responded: f.responded_on.or(Some(today)),
        };
        let mut deadlines = BTreeMap::new();
        let computed = if matches!(
            i.case.kind,
            crate::case::Kind::Compliment | crate::case::Kind::Comment
        ) {
            deadline::feedback_deadlines(
                policy,
                i.case.kind == crate::case::Kind::Compliment,
                received,
                i.calendar,
            )
        } else {
            deadline::stage_deadlines(policy, &stage.id, &facts, i.calendar)
        };
        for d in computed {
            deadlines.insert(d.kind.as_str().replace('-', "_"), DateCtx::of(d.due));
        }
        for row in i.deadlines {
            if row.status == deadline::Status::Open
                && (row.stage == stage.id || row.stage == i.case.kind.as_str())
            {
                if let Some(d) = crate::time::parse_iso(&row.due) {
                    deadlines.insert(row.kind.as_str().replace('-', "_"), DateCtx::of(d));
                }
            }
        }
        // The whole complaint's limit counts from the first receipt, at every stage.
        let limit = policy
            .preset
            .overall_limit
            .as_ref()
            .map(|p| p.due_from(i.calendar, received));
        if let Some(l) = limit {
            deadlines.insert("overall_limit".into(), DateCtx::of(l));
        }
        let promised = i
            .data
            .get("new_date")
            .and_then(|v| v.as_str())
            .and_then(crate::time::parse_iso)
            .or_else(|| {
                deadlines
                    .get("respond")
                    .and_then(|d| crate::time::parse_iso(&d.iso))
            });
        let beyond_limit = match (limit, promised) {
            (Some(l), Some(p)) if p > l => Some(DateCtx::of(l)),
            _ => None,
        };
        // Sender text (name, subject) is quoted cleaned and capped: see [`quoted`].
        let name = quoted_name(i.customer.name.as_deref())
            .or_else(|| quoted_name(i.case.customer_name.as_deref()));
        let salutation = match &name {
            Some(n) => format!("Dear {n}"),
            None => "Dear Sir or Madam".to_string(),
        };
        LetterContext {
            council: CouncilCtx {
                name: i.council.name.clone(),
                address: i.council.address.clone(),
                phone: i.council.phone.clone(),
                web: i.council.web.clone(),
                email: i.council.email.clone(),
                signatory: i.council.signatory.clone(),
                logo: i.council.logo_image.clone(),
            },
            case: CaseCtx {
                reference: i.case.reference.clone(),
                kind: i.case.kind.to_string(),
                stage: stage.id.clone(),
                stage_name: stage.name.clone(),
                handler: stage.handler.clone(),
                state: i.case.state.to_string(),
                subject: i
                    .case
                    .subject
                    .as_deref()
                    .map(|s| quoted(s, QUOTED_SUBJECT_MAX))
                    .filter(|s| !s.is_empty()),
                service: i.case.service.clone(),
                officer: i.officer.clone(),
                category: i.case.category.clone(),
                outcome: i.case.outcome.clone(),
                received_on: long_date(received),
                received_on_iso: crate::time::iso(received),
            },
            customer: {
                let email = i
                    .customer
                    .email
                    .clone()
                    .or_else(|| i.case.customer_email.clone());
                CustomerCtx {
                    reply: how_to_reply(email.is_some(), i.council),
                    name,
                    email,
                    address: i.customer.address.clone(),
                    salutation,
                    on_behalf_of: None,
                }
            },
            policy: PolicyCtx {
                name: policy.name.clone(),
                council: policy.preset.council.clone(),
                source: policy.preset.source.clone(),
                outcomes: policy.preset.outcomes.clone(),
                stage: stage_ctx(stage),
                next_stage: policy.next_stage(&stage.id).map(stage_ctx),
                is_final_stage: policy.is_final_stage(&stage.id),
                ombudsman_before_final: policy.preset.ombudsman_before_final,
                letter_if_late: stage.holding_letter || stage.extension.is_some(),
                overall_limit: policy.preset.overall_limit.as_ref().map(|p| p.length()),
                stage_count: policy.preset.stages.len(),
                survey: policy.preset.survey.map(|p| p.length()),
            },
            deadlines,
            letter: LetterMeta {
                kind: i.kind,
                date: long_date(today),
                date_iso: crate::time::iso(today),
                automatic: i.automatic,
            },
            ombudsman: LGSCO,
            data: if i.data.is_object() {
                i.data
            } else {
                serde_json::json!({})
            },
            beyond_limit,
        }
    }
}

/// A letter in its three forms.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Always carries `[Ref REFERENCE]`.
    pub subject: String,
    /// Plain-text email body, ending with the `Our reference:` footer line.
    pub text: String,
    /// HTML email body (autoescaped), with the same footer.
    pub html: String,
    /// The A4 letter.
    pub pdf: Vec<u8>,
    /// e.g. BNES-2026-00042-acknowledgement.pdf
    pub pdf_name: String,
}

/// The subject and bodies before the PDF is made (what `templates check` needs).
#[derive(Debug, Clone)]
pub struct Words {
    pub subject: String,
    /// The template's body, as text; no footer yet.
    pub body: String,
    /// The same, autoescaped and turned into HTML paragraphs; no footer yet.
    pub body_html: String,
}

/// A set of templates: the built-in ones, some perhaps replaced from a folder.
pub struct Templates {
    tera: tera::Tera,
    /// kind -> the file it came from, for error messages.
    files: BTreeMap<Kind, String>,
    /// Kinds whose template does not parse, with the error: a broken template fails
    /// its own letters only, never the others.
    broken: BTreeMap<Kind, LetterError>,
}

fn longdate_filter(x: &str, _: tera::Kwargs, _: &tera::State) -> String {
    match NaiveDate::parse_from_str(x.get(..10).unwrap_or(x), "%Y-%m-%d") {
        Ok(d) => long_date(d),
        Err(_) => x.to_string(),
    }
}

/// `{{ x | pad(width=18) }}`: `x` left-justified in a column of `width` characters.
fn pad_filter(x: &str, kwargs: tera::Kwargs, _: &tera::State) -> tera::TeraResult<String> {
    let width = kwargs.must_get::<usize>("width")?;
    Ok(format!("{x:<width$}"))
}

impl Templates {
    /// The compiled-in templates.
    pub fn builtin() -> Result<Templates> {
        Templates::load(None)
    }

    /// The built-in templates, with any `<kind>.tera` in `dir` replacing its default.
    pub fn load(dir: Option<&Path>) -> Result<Templates> {
        let mut sources: Vec<(Kind, String, String)> = Vec::new();
        for kind in Kind::ALL {
            let mut file = format!("templates/{kind}.tera (built-in)");
            let mut text = kind.builtin_template().to_string();
            if let Some(dir) = dir {
                let p: PathBuf = dir.join(format!("{kind}.tera"));
                if p.exists() {
                    text = std::fs::read_to_string(&p).map_err(|e| LetterError::Unreadable {
                        file: p.display().to_string(),
                        msg: e.to_string(),
                    })?;
                    file = p.display().to_string();
                }
            }
            sources.push((kind, file, text));
        }
        Templates::from_sources(sources)
    }

    /// Templates from (kind, file name for messages, source) triples.
    pub fn from_sources(sources: Vec<(Kind, String, String)>) -> Result<Templates> {
        let mut tera = tera::Tera::default();
        tera.register_filter("longdate", longdate_filter);
        tera.register_filter("pad", pad_filter);
        let mut files = BTreeMap::new();
        let mut broken = BTreeMap::new();
        for (kind, file, src) in sources {
            let mut added = Ok(());
            for suffix in ["txt", "html"] {
                if added.is_ok() {
                    added = tera
                        .add_raw_template(&format!("{kind}.{suffix}"), &src)
                        .map_err(|e| located(&file, &e));
                }
            }
            if added.is_ok() && separator_line(&src).is_none() {
                added = Err(LetterError::Template {
                    file: file.clone(),
                    line: 1,
                    msg: "no subject line: put the subject on the first line and a line of --- under it".into(),
                });
            }
            if let Err(e) = added {
                broken.insert(kind, e);
            }
            files.insert(kind, file);
        }
        Ok(Templates {
            tera,
            files,
            broken,
        })
    }

    pub fn file_of(&self, kind: Kind) -> Option<&str> {
        self.files.get(&kind).map(|s| s.as_str())
    }

    /// Templates that do not parse, by kind.
    pub fn broken(&self) -> &BTreeMap<Kind, LetterError> {
        &self.broken
    }

    /// The file `kind`'s template came from, once it is known to parse.
    fn usable(&self, kind: Kind) -> Result<&String> {
        let file = self
            .files
            .get(&kind)
            .ok_or_else(|| LetterError::UnknownKind(kind.to_string()))?;
        match self.broken.get(&kind) {
            Some(e) => Err(e.clone()),
            None => Ok(file),
        }
    }

    /// `kind`'s template rendered in one form (`txt`, `html`), errors located in its file.
    fn rendered(&self, kind: Kind, form: &str, file: &str, tctx: &tera::Context) -> Result<String> {
        self.tera
            .render(&format!("{kind}.{form}"), tctx)
            .map_err(|e| located(file, &e))
    }

    /// Subject and bodies of a letter, without the PDF.
    pub fn words(&self, kind: Kind, ctx: &LetterContext) -> Result<Words> {
        let file = self.usable(kind)?;
        let tctx = tera::Context::from_serialize(ctx).map_err(|e| LetterError::Template {
            file: file.clone(),
            line: 1,
            msg: e.to_string(),
        })?;
        let text = self.rendered(kind, "txt", file, &tctx)?;
        let html = self.rendered(kind, "html", file, &tctx)?;
        let (subject, body) = split_subject(&text).ok_or_else(|| LetterError::Template {
            file: file.clone(),
            line: 1,
            msg: "the rendered letter has no subject separator (a line of ---)".into(),
        })?;
        let (_, body_html) = split_subject(&html).unwrap_or_default();
        let mut subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        let tag = format!("[Ref {}]", ctx.case.reference);
        if !subject.contains(&tag) {
            subject = format!("{subject} {tag}").trim().to_string();
        }
        let mut body = tidy(&body);
        let mut body_html = tidy(&body_html);
        if let Some(line) = enclosures_line(&ctx.data) {
            body = format!("{body}\n\n{line}");
            body_html = format!("{body_html}\n\n{}", escape(&line));
        }
        Ok(Words {
            subject,
            body,
            body_html: paragraphs_to_html(&body_html),
        })
    }

    /// Subject and plain-text body of staff mail (a manager's digest): the template
    /// sees the content's `data` only; no case, so no reference tag, footer, HTML or PDF.
    pub fn staff_mail(&self, content: &Content) -> Result<(String, String)> {
        let kind = content.kind();
        let data = content.data();
        let file = self.usable(kind)?;
        let mut tctx = tera::Context::new();
        tctx.insert("data", &data);
        let text = self.rendered(kind, "txt", file, &tctx)?;
        let (subject, body) = split_subject(&text).ok_or_else(|| LetterError::Template {
            file: file.clone(),
            line: 1,
            msg: "the rendered mail has no subject separator (a line of ---)".into(),
        })?;
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok((subject, format!("{}\n", tidy(&body))))
    }

    /// All three forms of a letter.
    pub fn render(&self, kind: Kind, ctx: &LetterContext) -> Result<Rendered> {
        let w = self.words(kind, ctx)?;
        let footer = footer_line(&ctx.case.reference);
        let text = format!("{}\n\n{footer}\n", w.body);
        let html = html_document(&w.subject, &w.body_html, &footer);
        let pdf = pdf::letter_pdf(ctx, &w.subject, &w.body)?;
        Ok(Rendered {
            subject: w.subject,
            text,
            html,
            pdf,
            pdf_name: pdf_name(&ctx.case.reference, kind),
        })
    }
}

/// The line that lists the files enclosed with a letter (its `data.enclosures`), after
/// the signature, in every form of the letter; None when nothing is enclosed.
pub fn enclosures_line(data: &serde_json::Value) -> Option<String> {
    let names: Vec<String> = data
        .get("enclosures")?
        .as_array()?
        .iter()
        .filter_map(|n| n.as_str())
        .map(|n| quoted(n, 200))
        .filter(|n| !n.is_empty())
        .collect();
    (!names.is_empty()).then(|| format!("Enclosures: {}", names.join(", ")))
}

/// The footer line inbound threading looks for.
pub fn footer_line(reference: &str) -> String {
    format!("Our reference: {reference}")
}

pub fn pdf_name(reference: &str, kind: Kind) -> String {
    format!("{reference}-{kind}.pdf")
}

fn builtin_templates() -> &'static Templates {
    static T: OnceLock<Templates> = OnceLock::new();
    T.get_or_init(|| Templates::builtin().expect("the built-in templates are checked by tests"))
}

/// Render a letter with the built-in templates.
pub fn render(kind: Kind, ctx: &LetterContext) -> Result<Rendered> {
    builtin_templates().render(kind, ctx)
}

fn is_separator(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 3 && t.chars().all(|c| c == '-')
}

/// The 1-based line of the subject separator in a template source.
fn separator_line(src: &str) -> Option<usize> {
    src.lines().position(is_separator).map(|i| i + 1)
}

fn split_subject(rendered: &str) -> Option<(String, String)> {
    let mut subject = Vec::new();
    let mut lines = rendered.lines();
    for line in lines.by_ref() {
        if is_separator(line) {
            let body: Vec<&str> = lines.collect();
            return Some((subject.join(" "), body.join("\n")));
        }
        subject.push(line);
    }
    None
}

/// Trim trailing spaces, drop leading and trailing blank lines, and squeeze runs of
/// blank lines (left by `{% if %}` lines) to one.
fn tidy(body: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in body.lines().map(|l| l.trim_end()) {
        if line.is_empty() && out.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// A short line standing alone, starting with a capital and not ending in
/// punctuation ("What we found") is set as a heading in the HTML and the PDF.
pub(crate) fn is_heading(block: &[&str]) -> bool {
    let [line] = block else { return false };
    let t = line.trim();
    t.chars().count() <= 60
        && !t.starts_with("- ")
        && t.chars().next().is_some_and(|c| c.is_uppercase())
        && t.chars().last().is_some_and(|c| c.is_alphabetic())
}

/// Blank-line separated blocks become paragraphs; a block of `- ` lines a list.
/// The input is already HTML-escaped by Tera (values) and trusted (template text).
fn paragraphs_to_html(body: &str) -> String {
    let mut html = String::new();
    for block in body.split("\n\n") {
        let lines: Vec<&str> = block.lines().collect();
        if lines.is_empty() {
            continue;
        }
        if lines.iter().all(|l| l.trim_start().starts_with("- ")) {
            html.push_str("<ul>\n");
            for l in lines {
                html.push_str(&format!("<li>{}</li>\n", l.trim_start()[2..].trim()));
            }
            html.push_str("</ul>\n");
        } else if is_heading(&lines) {
            html.push_str(&format!("<p><strong>{}</strong></p>\n", lines[0].trim()));
        } else {
            html.push_str(&format!("<p>{}</p>\n", lines.join("<br>\n")));
        }
    }
    html
}

fn html_document(subject: &str, body: &str, footer: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family: Arial, Helvetica, sans-serif; font-size: 15px; line-height: 1.45; color: #1b1b1b; max-width: 42em;\">\n\
         {body}<p style=\"color: #505a5f; font-size: 13px;\">{}</p>\n</body>\n</html>\n",
        escape(subject),
        escape(footer)
    )
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Turn a Tera error into file + line + one-line message.
fn located(file: &str, e: &tera::Error) -> LetterError {
    match e.kind() {
        tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r) => {
            LetterError::Template {
                file: file.to_string(),
                line: r.span().start_line.max(1),
                msg: r.message().to_string(),
            }
        }
        other => LetterError::Template {
            file: file.to_string(),
            line: 1,
            msg: other
                .to_string()
                .lines()
                .next()
                .unwrap_or("template error")
                .to_string(),
        },
    }
}

/// One problem found by [`check`].
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub policy: String,
    pub kind: String,
    pub error: String,
}

/// Render every template for every built-in preset with the sample data; the problems
/// found (empty when all is well), one per distinct error.
pub fn check(templates: &Templates, council: &Council) -> Vec<Problem> {
    let mut problems: Vec<Problem> = templates
        .broken
        .iter()
        .map(|(kind, e)| Problem {
            policy: String::new(),
            kind: kind.to_string(),
            error: e.to_string(),
        })
        .collect();
    // Broken templates by name.
    problems.sort_by(|a, b| a.kind.cmp(&b.kind));
    for name in crate::policy::Policies::builtin_names() {
        let policy = match Policy::load(name) {
            Ok(p) => p,
            Err(e) => {
                problems.push(Problem {
                    policy: name.to_string(),
                    kind: String::new(),
                    error: e.to_string(),
                });
                continue;
            }
        };
        for kind in Kind::ALL {
            for ctx in sample::contexts(&policy, council, kind) {
                if let Err(e) = templates.words(kind, &ctx) {
                    let error = e.to_string();
                    // One report per template problem, not one per preset and variant.
                    if !problems
                        .iter()
                        .any(|p: &Problem| p.kind == kind.as_str() && p.error == error)
                    {
                        problems.push(Problem {
                            policy: name.to_string(),
                            kind: kind.to_string(),
                            error,
                        });
                    }
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_escalation_letter_promises_a_new_handler_only_where_the_policy_requires_one() {
        // Issue 13, item 13. Bath & NES stage 2 (seed l.101: "an independent review"),
        // Buckinghamshire stage 2 (l.26: "reviewed independently"), North Norfolk and
        // the LGSCO Code require a different handler; Stockton's stage 2 does not say so
        // (config/policies/stockton-on-tees.toml), so its letter must not promise it.
        let templates = Templates::builtin().unwrap();
        let council = sample::council();
        let mut seen = (0, 0);
        for name in crate::policy::Policies::builtin_names() {
            let policy = Policy::load(name).unwrap();
            for ctx in sample::contexts(&policy, &council, Kind::EscalationAcknowledgement) {
                let stage = policy.stage(&ctx.case.stage).unwrap();
                if stage.id == policy.first_stage().id {
                    continue;
                }
                let body = templates
                    .words(Kind::EscalationAcknowledgement, &ctx)
                    .unwrap()
                    .body;
                let promised = body.contains("has not been involved with your complaint before");
                assert_eq!(
                    promised, stage.different_handler,
                    "{name} {}: {body}",
                    stage.id
                );
                if promised {
                    seen.0 += 1
                } else {
                    seen.1 += 1
                }
            }
        }
        assert!(seen.0 > 0 && seen.1 > 0, "{seen:?}");
    }

    #[test]
    fn an_extension_letter_never_quotes_the_policys_guidance_to_officers() {
        // e.g. the LGSCO Code's "explain the reasons to the customer, give the expected
        // response date and the Ombudsman's details" is an instruction to us, not news
        // for the resident (issue 13, item 5).
        let templates = Templates::builtin().unwrap();
        let council = sample::council();
        let mut checked = 0;
        for name in crate::policy::Policies::builtin_names() {
            let policy = Policy::load(name).unwrap();
            for ctx in sample::contexts(&policy, &council, Kind::Extension) {
                let words = templates.words(Kind::Extension, &ctx).unwrap();
                assert!(
                    !words.body.contains("Our policy says"),
                    "{name}: {}",
                    words.body
                );
                for stage in &policy.preset.stages {
                    if let Some(e) = &stage.extension {
                        assert!(!words.body.contains(&e.condition), "{name}: {}", words.body);
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 0);
    }

    #[test]
    fn subject_is_split_at_the_dashes_and_blank_runs_squeezed() {
        let (s, b) = split_subject("Hello [Ref X]\n---\nDear A,\n\n\n\nBody\n").unwrap();
        assert_eq!(s, "Hello [Ref X]");
        assert_eq!(tidy(&b), "Dear A,\n\nBody");
    }

    #[test]
    fn sender_text_is_quoted_on_one_line_cleaned_and_capped() {
        assert_eq!(
            quoted("Jo\r\nBcc: x@evil\0 Bloggs", 100),
            "Jo Bcc: x@evil Bloggs"
        );
        assert_eq!(quoted("\u{202E}gnp.exe  \t", 100), "gnp.exe");
        assert_eq!(quoted_name(Some("\r\n\0")), None);
        let long = "word ".repeat(1000);
        let q = quoted(&long, QUOTED_SUBJECT_MAX);
        assert!(q.chars().count() <= QUOTED_SUBJECT_MAX, "{}", q.len());
        assert!(q.ends_with("word\u{2026}"), "{q}");
        let unbroken = "x".repeat(500);
        assert_eq!(quoted(&unbroken, 10), "xxxxxxxxx\u{2026}");
        assert_eq!(quoted("short", 10), "short");
    }

    #[test]
    fn lists_and_paragraphs_become_html() {
        let h = paragraphs_to_html("One\ntwo\n\n- a\n- b");
        assert_eq!(
            h,
            "<p>One<br>\ntwo</p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"
        );
    }

    #[test]
    fn every_builtin_template_renders_for_every_preset() {
        let t = Templates::builtin().unwrap();
        let problems = check(&t, &sample::council());
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn enclosures_are_listed_on_one_line_cleaned() {
        let data = serde_json::json!({"enclosures": ["a.pdf", "b\r\nc.png", ""]});
        assert_eq!(
            enclosures_line(&data).as_deref(),
            Some("Enclosures: a.pdf, b c.png")
        );
        assert_eq!(enclosures_line(&serde_json::json!({})), None);
        assert_eq!(
            enclosures_line(&serde_json::json!({"enclosures": []})),
            None
        );
    }

    #[test]
    fn long_dates_read_as_letters_write_them() {
        assert_eq!(
            long_date(NaiveDate::from_ymd_opt(2026, 12, 24).unwrap()),
            "Thursday 24 December 2026"
        );
    }
}
