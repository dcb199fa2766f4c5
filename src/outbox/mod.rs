//! The outbox: turns requested letters into rendered ones, and delivers rendered ones
//! exactly once, by SMTP or into a folder of .eml files.
//!
//! # Lifecycle of a letters row
//! ```text
//! pending --render--> queued --claim--> sending --250--> sent
//!    |                  |  ^               |
//!    |                  |  +--4xx / down---+  (next_attempt_at = backoff)
//!    +--> failed        +--> held          +--5xx / too many attempts--> failed (case flagged)
//! ```
//! * **render** ([`render_pending`]): template + case + customer + council + policy +
//!   deadlines into subject, text, HTML and PDF, stored on the row. A letter that cannot
//!   be rendered (missing template or variable) is `failed` and its case flagged; the
//!   other letters carry on. Contact restrictions are applied here (and again before
//!   each attempt, in case one was imposed meanwhile): `letter-only` holds the letter
//!   with the reason "letter-only: print and post" (the PDF is ready to print);
//!   `no-response` holds automatic letters; `single-contact` changes nothing here.
//!   A renderer first claims a batch of pending letters for [`RENDER_LEASE`], so that
//!   `send` or `render` processes running at once each render different letters; a
//!   renderer that stops leaves claims that run out, and its letters are claimed again.
//! * **send** ([`send_due`]): the attempt is recorded (attempts + 1, status `sending`)
//!   and committed *before* the first byte goes to the server. 250 → `sent`; a 4xx or a
//!   server that cannot be reached → back to `queued` with a backoff; a 5xx → `failed`
//!   and the case flagged for an officer.
//!
//! # Never twice, never lost
//! A row still in `sending` when a sender starts (older than [`LEASE`]) means a sender
//! stopped between recording its attempt and recording the result: the server may or
//! may not have said 250. For the file outbox we can know: the .eml is named after the
//! Message-ID and written atomically, so if it exists the letter went and is marked
//! sent; if not, it is written now. For SMTP we cannot know. We choose to resend, with
//! the **same Message-ID** (fixed when the letter was requested), after recording a
//! `letter possible duplicate` event on the case. Losing a statutory letter is worse than
//! a rare duplicate, and a duplicate with the same Message-ID is recognisable: mail
//! clients and many servers collapse it, and an officer can see exactly what happened
//! from the case's events. The window is small: the time between the server's 250 and
//! our next commit.
//!
//! # Backoff
//! After the n-th failed attempt the next is due `retry_first_seconds * 2^(n-1)` later,
//! capped at `retry_max_seconds`: with the defaults 1, 2, 4, 8, 16, 32 minutes, then
//! hourly; after `max_attempts` (30, a little over a day) the letter is failed and its
//! case flagged. An interrupted letter counts its attempts too: one found in `sending`
//! with `max_attempts` used is failed with the reason, not tried again, so a letter that
//! stops its sender every time cannot hold up the rest. When the server cannot be
//! reached at all, the rest of that pass's letters are left queued without an attempt
//! (no point knocking 500 times).
//!
//! # Sender text
//! Names and subjects may have come from anyone: the email is built from them cleaned
//! (no control characters, capped; see [`crate::letter::quoted`]), threading headers
//! keep only sound Message-IDs, no line may pass 998 characters, and a letter whose
//! email cannot be built (even by a panic in the mail library) fails with its reason.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::case::{Case, Customer};
use crate::config::{Config, LettersConfig};
use crate::deadline::Deadline;
use crate::event::EventKind;
use crate::letter::{ContextInput, Kind, LetterContext, LetterError, Rendered, Templates};
use crate::store::outbox::{AsOf, LetterContent, LetterRow};
use crate::store::{Store, StoreError};

mod mail;
pub mod print;
mod staff;
pub mod transport;

pub use mail::build_message;
pub use staff::{send_staff_mail, send_staff_mail_with};
pub use transport::{eml_file_name, Failure, Transport};

/// How long a `sending` row may be left before it counts as interrupted: longer than
/// any one SMTP attempt can take (the transport times out after 60 s per command).
pub const LEASE: Duration = Duration::minutes(10);

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Letter(#[from] crate::letter::LetterError),
    /// The outbox is configured in a way that cannot work (bad TLS mode, unreadable password file, ...).
    #[error("outbox: {0}")]
    Config(String),
}

pub type Result<T> = std::result::Result<T, OutboxError>;

/// What one [`send_due`] pass did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SendReport {
    pub sent: usize,
    /// Temporary failures: still queued, with a later next attempt.
    pub retried: usize,
    pub failed: usize,
    pub held: usize,
    /// Interrupted sends found at start (already delivered to the file outbox, or resent).
    pub recovered: usize,
    /// Left queued without an attempt because the server could not be reached.
    pub deferred: usize,
    /// Of `recovered`: found already delivered (the file outbox had the .eml).
    #[serde(skip)]
    pub found_delivered: usize,
    /// The reason the last letter tried was put back or failed (for `send`'s one line).
    #[serde(skip)]
    pub last_error: Option<String>,
}

impl SendReport {
    /// Letters were due and not one was delivered: every one was deferred, put back
    /// for a retry or failed (the server is down, or refuses everything).
    pub fn nothing_delivered(&self) -> bool {
        self.sent == 0
            && self.found_delivered == 0
            && self.retried + self.deferred + self.failed > 0
    }
}

/// Why a letter must not be emailed, if it must not.
fn hold_reason(letter: &LetterRow, customer: &Customer) -> Option<String> {
    if letter.kind == Kind::ManagerDigest {
        return None;
    }
    match customer.restriction.as_deref().map(str::trim) {
        Some("letter-only") => return Some("letter-only: print and post".into()),
        Some("no-response") if letter.automatic => return Some(
            "no-response: the customer's contact is restricted, so automatic letters are not sent"
                .into(),
        ),
        _ => {}
    }
    if letter.to_addr.is_none() && customer.email.is_none() {
        return Some("no email address: print and post".into());
    }
    None
}

/// The templates the config asks for (built-in, perhaps overridden from a folder).
pub fn templates(config: &Config) -> Result<Templates> {
    Ok(Templates::load(config.letters.templates.as_deref())?)
}

/// A letter's kind: a row may name one this build has no template for, and that letter
/// fails alone.
pub fn letter_kind(letter: &LetterRow) -> std::result::Result<Kind, LetterError> {
    letter
        .kind
        .known()
        .ok_or_else(|| LetterError::UnknownKind(letter.kind.to_string()))
}

/// The context a letter's template sees, gathered from the store: the case as it stood
/// when the letter was asked for (its stage, state, officer, outcome and deadlines, kept
/// with the letter), dated that day, so that a letter rendered late does not mix then
/// and now. The customer's name and address are read as they are now (a correction
/// applies to letters not yet sent).
pub fn letter_context(
    store: &Store,
    config: &Config,
    letter: &LetterRow,
    now: DateTime<Utc>,
) -> Result<LetterContext> {
    let kind = letter_kind(letter)?;
    let data = letter
        .data
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    let mut case = store.case_by_id(letter.case_id)?;
    let as_of = letter
        .as_of
        .as_deref()
        .map(|j| {
            serde_json::from_str::<AsOf>(j).map_err(|e| {
                StoreError::Refused(format!(
                    "letter {}: its case as of asking cannot be read: {e}",
                    letter.id
                ))
            })
        })
        .transpose()?;
    let (deadlines, now) = match as_of {
        Some(as_of) => (
            as_of_case(&mut case, as_of)
                .map_err(|e| StoreError::Refused(format!("letter {}: {e}", letter.id)))?,
            crate::time::parse_stamp(&letter.created_at).unwrap_or(now),
        ),
        None => (store.deadlines(case.id)?, now),
    };
    context_for(
        store,
        config,
        &case,
        &deadlines,
        kind,
        letter.automatic,
        data,
        now,
    )
}

/// Put the case back as it stood when a letter was asked for; its deadlines then.
fn as_of_case(case: &mut Case, as_of: AsOf) -> std::result::Result<Vec<Deadline>, String> {
    use crate::case::{CloseReason, State};
    use crate::deadline::{Kind, Status};
    case.stage = as_of.stage;
    case.state = State::parse(&as_of.state).ok_or(format!("unknown state {}", as_of.state))?;
    case.officer = as_of.officer;
    case.outcome = as_of.outcome;
    case.category = as_of.category;
    case.service = as_of.service;
    case.close_reason = match as_of.close_reason {
        Some(r) => Some(CloseReason::parse(&r).ok_or(format!("unknown close reason {r}"))?),
        None => None,
    };
    as_of
        .deadlines
        .into_iter()
        .map(|d| {
            Ok(Deadline {
                kind: Kind::parse(&d.kind).ok_or(format!("unknown deadline kind {}", d.kind))?,
                status: Status::parse(&d.status)
                    .ok_or(format!("unknown deadline status {}", d.status))?,
                stage: d.stage,
                from_event: d.from_event,
                from_date: d.from_date,
                period: d.period,
                due: d.due,
                met_on: d.met_on,
                held_letter: None,
            })
        })
        .collect()
}

/// The context a letter of `kind` on a case would see now (also for previews).
pub fn case_context(
    store: &Store,
    config: &Config,
    case_id: i64,
    kind: Kind,
    automatic: bool,
    data: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<LetterContext> {
    let case = store.case_by_id(case_id)?;
    let deadlines = store.deadlines(case.id)?;
    context_for(store, config, &case, &deadlines, kind, automatic, data, now)
}

#[allow(clippy::too_many_arguments)]
fn context_for(
    store: &Store,
    config: &Config,
    case: &Case,
    deadlines: &[Deadline],
    kind: Kind,
    automatic: bool,
    data: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<LetterContext> {
    let customer = store.customer_of_case(case.id)?;
    // A case keeps the policy it was opened under, even if the config has moved on;
    // one whose preset this build lacks is written under the configured one.
    let policy = config
        .policies()
        .get(&case.policy)
        .unwrap_or(&config.policy);
    let staff = crate::accounts::directory(store, config)?;
    let officer = case
        .officer
        .as_deref()
        .and_then(|o| staff.staff(o))
        .and_then(|s| s.in_letters());
    let contact = customer
        .restriction_contact
        .as_deref()
        .and_then(|c| staff.contact_in_letters(c));
    let (officer, signatory) = crate::letter::voice(
        customer.restriction.as_deref(),
        contact,
        officer,
        &config.council.signatory,
    );
    let mut lctx = LetterContext::build(ContextInput {
        council: &config.council,
        officer,
        policy,
        calendar: &config.calendar,
        case,
        customer: &customer,
        deadlines,
        kind,
        automatic,
        data,
        now,
    });
    lctx.council.signatory = signatory;
    // A representative's letters say for whom the complaint is made.
    lctx.customer.on_behalf_of = store
        .representative(case.id)?
        .and_then(|r| r.for_whom)
        .map(|w| crate::letter::to_the_writer(&w));
    Ok(lctx)
}

/// Letters claimed, rendered and stored per round of [`render_pending`].
const RENDER_BATCH: usize = 200;

/// How long a claim on a batch of letters to render lasts: far longer than a batch
/// takes (a few seconds), short enough that a renderer that stopped delays its letters
/// only a little before another claims them.
pub const RENDER_LEASE: Duration = Duration::minutes(5);

/// Render every pending letter; returns how many were rendered (queued or held).
/// A letter that cannot be rendered is marked failed and its case flagged; the rest go on.
/// The templates are compiled only when there is something to render (letters another
/// process has claimed are not).
pub fn render_pending(store: &mut Store, config: &Config, now: DateTime<Utc>) -> Result<usize> {
    if !store.has_claimable_letters(Utc::now())? {
        return Ok(0);
    }
    let templates = templates(config)?;
    let rendered = render_pending_with(store, config, &templates, now);
    drop(templates);
    crate::memory::release_freed_memory();
    rendered
}

/// Threads that render a batch: Tera and the PDF are pure CPU, the database is not
/// touched by them (contexts are read before and results written after, on `store`).
fn render_threads(batch: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.min(4).min(batch.div_ceil(8)).max(1)
}

pub fn render_pending_with(
    store: &mut Store,
    config: &Config,
    templates: &Templates,
    now: DateTime<Utc>,
) -> Result<usize> {
    let mut rendered = 0;
    // Who claims: this process and this pass (another pass in the same process is
    // another claimant).
    let claimant = format!("{}.{:08x}", std::process::id(), rand::random::<u32>());
    loop {
        // Every row claimed leaves 'pending' below, so each batch is new work; letters
        // another process has claimed are left to it.
        // Claims keep the real clock, under --now too: other processes may not share it.
        let t = Utc::now();
        let batch = store.claim_pending_letters(RENDER_BATCH, &claimant, t, t + RENDER_LEASE)?;
        if batch.is_empty() {
            return Ok(rendered);
        }
        let mut work = Vec::with_capacity(batch.len());
        for letter in batch {
            let ctx = letter_context(store, config, &letter, now);
            let customer = store.customer_of_case(letter.case_id)?;
            work.push((letter, customer, ctx));
        }
        let threads = render_threads(work.len());
        let chunk = work.len().div_ceil(threads);
        let results: Vec<std::result::Result<Rendered, String>> = std::thread::scope(|s| {
            let handles: Vec<_> = work
                .chunks(chunk)
                .map(|part| {
                    let handle = s.spawn(move || {
                        part.iter()
                            .map(|(letter, _, ctx)| render_one(templates, letter, ctx))
                            .collect::<Vec<_>>()
                    });
                    (part.len(), handle)
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|(len, h)| {
                    // A panic in the template engine or PDF writer fails that chunk's
                    // letters (flagged for an officer), not the daemon.
                    h.join()
                        .unwrap_or_else(|_| vec![Err("the renderer panicked".to_string()); len])
                })
                .collect()
        });
        for (letter, _, _) in &work {
            tracing::debug!(letter = letter.id, case = %letter.reference, "letter rendered");
        }
        // One commit for the batch: each letter's own writes are a savepoint inside it.
        rendered += store.batch(|store| {
            let mut n = 0;
            for ((letter, customer, _), r) in work.iter().zip(results) {
                n += store_rendered(store, letter, customer, r, now)?;
            }
            Ok::<_, OutboxError>(n)
        })?;
    }
}

fn render_one(
    templates: &Templates,
    letter: &LetterRow,
    ctx: &Result<LetterContext>,
) -> std::result::Result<Rendered, String> {
    match ctx {
        Ok(ctx) => letter_kind(letter)
            .and_then(|kind| templates.render(kind, ctx))
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// Store one letter's rendering (queued or held), or mark it failed; 1 if rendered.
fn store_rendered(
    store: &mut Store,
    letter: &LetterRow,
    customer: &Customer,
    outcome: std::result::Result<Rendered, String>,
    now: DateTime<Utc>,
) -> Result<usize> {
    match outcome {
        Ok(r) => {
            let held = hold_reason(letter, customer);
            let content = LetterContent {
                subject: r.subject,
                body_text: r.text,
                body_html: Some(r.html),
                pdf: Some(r.pdf),
                pdf_name: Some(r.pdf_name),
            };
            if !store.letter_rendered(letter, &content, held.as_deref(), now)? {
                // Another process recorded it first.
                return Ok(0);
            }
            if let Some(h) = &held {
                tracing::info!(letter = letter.id, case = %letter.reference, kind = %letter.kind, reason = %h, "letter held");
            }
            Ok(1)
        }
        Err(e) => {
            tracing::warn!(letter = letter.id, case = %letter.reference, kind = %letter.kind, error = %e, "letter could not be rendered");
            store.letter_failed(letter, &format!("cannot render: {e}"), now)?;
            Ok(0)
        }
    }
}

/// Wait before the attempt after `attempts` failed ones (see the module docs).
pub fn backoff(retry: &LettersConfig, attempts: i64) -> Duration {
    let first = retry.retry_first_seconds.max(1);
    let max = retry.retry_max_seconds.max(first);
    let shift = (attempts.max(1) - 1).min(30) as u32;
    let secs = first.saturating_mul(1u64 << shift).min(max);
    Duration::seconds(secs as i64)
}

/// What to do with a row (a letter or staff mail) found still `sending` after
/// [`LEASE`]: its sender stopped between recording the attempt and its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// The file outbox has it: it went; record it sent.
    Delivered(std::path::PathBuf),
    /// It has used its attempts like any other: fail it with this reason, so that a
    /// row that keeps stopping its sender cannot block the queue.
    GiveUp(String),
    /// Claim it again and resend, with the same Message-ID.
    Resend,
}

/// [`Recovery`] for a row with `attempts` used, `delivered` being where the file
/// outbox holds it, if it does.
pub fn recovery(
    retry: &LettersConfig,
    delivered: Option<std::path::PathBuf>,
    attempts: i64,
) -> Recovery {
    if let Some(path) = delivered {
        return Recovery::Delivered(path);
    }
    if attempts >= retry.max_attempts as i64 {
        return Recovery::GiveUp(format!(
            "gave up after {attempts} attempts: the last was interrupted while sending (the sender stopped before its result was recorded)"
        ));
    }
    Recovery::Resend
}

/// What one attempt's result does to the row that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted, with the server's (or the file outbox's) word for it.
    Sent(String),
    /// Refused for good, or out of attempts: the reason.
    Failed(String),
    /// Try again from `next`.
    Retry { error: String, next: DateTime<Utc> },
}

/// The outcome of an attempt (the row's `attempts` count it) and whether the pass
/// goes on: a server that cannot be reached stops it.
pub fn outcome(
    retry: &LettersConfig,
    attempts: i64,
    result: std::result::Result<String, Failure>,
    now: DateTime<Utc>,
) -> (Outcome, Flow) {
    match result {
        Ok(detail) => (Outcome::Sent(detail), Flow::Go),
        Err(Failure::Permanent(msg)) => (Outcome::Failed(msg), Flow::Go),
        Err(Failure::Temporary { msg, unreachable }) => {
            let outcome = if attempts >= retry.max_attempts as i64 {
                Outcome::Failed(format!(
                    "gave up after {attempts} attempts; last error: {msg}"
                ))
            } else {
                Outcome::Retry {
                    error: msg,
                    next: now + backoff(retry, attempts),
                }
            };
            let flow = if unreachable { Flow::Stop } else { Flow::Go };
            (outcome, flow)
        }
    }
}

/// Deliver every queued letter that is due, after first settling any interrupted send.
pub fn send_due(store: &mut Store, config: &Config, now: DateTime<Utc>) -> Result<SendReport> {
    let transport = Transport::from_config(config)?;
    send_due_with(store, config, &transport, now)
}

pub fn send_due_with(
    store: &mut Store,
    config: &Config,
    transport: &Transport,
    now: DateTime<Utc>,
) -> Result<SendReport> {
    let mut report = SendReport::default();

    for letter in store.interrupted_letters(now - LEASE)? {
        match recovery(
            &config.letters,
            transport.delivered_file(&letter.message_id),
            letter.attempts,
        ) {
            Recovery::Delivered(path) => {
                store.letter_sent(
                    &letter,
                    &format!(
                        "found in the file outbox ({}) after an interrupted send",
                        path.display()
                    ),
                    now,
                )?;
                report.recovered += 1;
                report.found_delivered += 1;
                continue;
            }
            Recovery::GiveUp(why) => {
                tracing::warn!(letter = letter.id, case = %letter.reference, error = %why, "letter failed");
                store.letter_failed(&letter, &why, now)?;
                report.failed += 1;
                continue;
            }
            Recovery::Resend => {}
        }
        let (event, note) = match transport {
            Transport::File(_) => (
                EventKind::LetterAttemptResumed,
                "an earlier attempt was interrupted before the file was written; writing it now".to_string(),
            ),
            Transport::Smtp { .. } => (EventKind::LetterPossibleDuplicate, format!(
                "an earlier attempt (started {}) was interrupted before its result was recorded; the server may already have accepted it. Resending with the same Message-ID so that a duplicate can be recognised",
                letter.last_attempt_at.as_deref().unwrap_or("at an unknown time")
            )),
        };
        if !store.reclaim_interrupted(&letter, event, &note, now)? {
            continue;
        }
        report.recovered += 1;
        let letter = store.letter(letter.id)?;
        if deliver(store, config, transport, &letter, now, &mut report)? == Flow::Stop {
            report.deferred += store.due_letters(now)?.len();
            return Ok(report);
        }
    }

    let due = store.due_letters(now)?;
    for (i, letter) in due.iter().enumerate() {
        let customer = store.customer_of_case(letter.case_id)?;
        if let Some(reason) = hold_reason(letter, &customer) {
            store.letter_held(letter, &reason, now)?;
            report.held += 1;
            continue;
        }
        if !store.claim_letter(letter.id, now)? {
            continue; // another sender has it
        }
        let letter = store.letter(letter.id)?;
        if deliver(store, config, transport, &letter, now, &mut report)? == Flow::Stop {
            report.deferred += due.len() - i - 1;
            break;
        }
    }
    Ok(report)
}

/// Whether a sending pass goes on after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// On to the next row.
    Go,
    /// The server cannot be reached: stop this pass.
    Stop,
}

/// One attempt for a letter already recorded as `sending`.
fn deliver(
    store: &mut Store,
    config: &Config,
    transport: &Transport,
    letter: &LetterRow,
    now: DateTime<Utc>,
    report: &mut SendReport,
) -> Result<Flow> {
    let content = store.letter_content(letter.id)?;
    let customer = store.customer_of_case(letter.case_id)?;
    let enclosures = store.letter_attachments(letter.id)?;
    let result = mail::build_message_guarded(|| {
        build_message(config, letter, &content, &customer, &enclosures, now)
    })
    .map_err(Failure::Permanent)
    .and_then(|m| transport.send(&letter.message_id, &m));
    let (outcome, flow) = outcome(&config.letters, letter.attempts, result, now);
    match outcome {
        Outcome::Sent(detail) => {
            store.letter_sent(letter, &detail, now)?;
            tracing::info!(letter = letter.id, case = %letter.reference, kind = %letter.kind, "letter sent");
            report.sent += 1;
        }
        Outcome::Failed(msg) => {
            tracing::warn!(letter = letter.id, case = %letter.reference, error = %msg, "letter failed");
            store.letter_failed(letter, &msg, now)?;
            report.failed += 1;
            report.last_error = Some(msg);
        }
        Outcome::Retry { error, next } => {
            tracing::warn!(letter = letter.id, case = %letter.reference, error = %error, next = %next, "letter delayed");
            store.letter_retry(letter, &error, next, now)?;
            report.retried += 1;
            report.last_error = Some(error);
        }
    }
    Ok(flow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn backoff_doubles_from_a_minute_to_an_hour() {
        let retry = LettersConfig::default();
        let mins: Vec<i64> = (1..=8).map(|n| backoff(&retry, n).num_minutes()).collect();
        assert_eq!(mins, [1, 2, 4, 8, 16, 32, 60, 60]);
    }

    #[test]
    fn an_interrupted_send_is_found_delivered_given_up_or_resent() {
        let retry = LettersConfig::default();
        let file = std::path::PathBuf::from("/outbox/x.eml");
        assert_eq!(
            recovery(&retry, Some(file.clone()), 30),
            Recovery::Delivered(file)
        );
        assert_eq!(recovery(&retry, None, 29), Recovery::Resend);
        match recovery(&retry, None, 30) {
            Recovery::GiveUp(why) => assert!(why.starts_with("gave up after 30 attempts")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_attempt_is_sent_failed_or_retried_with_backoff() {
        let retry = LettersConfig::default();
        let now = at("2026-12-22T09:00:00Z");
        let temp = |unreachable| {
            Err(Failure::Temporary {
                msg: "421 busy".into(),
                unreachable,
            })
        };
        assert_eq!(
            outcome(&retry, 1, Ok("250 ok".into()), now),
            (Outcome::Sent("250 ok".into()), Flow::Go)
        );
        assert_eq!(
            outcome(&retry, 1, Err(Failure::Permanent("550 no".into())), now),
            (Outcome::Failed("550 no".into()), Flow::Go)
        );
        assert_eq!(
            outcome(&retry, 3, temp(false), now),
            (
                Outcome::Retry {
                    error: "421 busy".into(),
                    next: at("2026-12-22T09:04:00Z")
                },
                Flow::Go
            )
        );
        // A server that cannot be reached stops the pass.
        assert_eq!(outcome(&retry, 1, temp(true), now).1, Flow::Stop);
        // Out of attempts: failed, with the last error.
        assert_eq!(
            outcome(&retry, 30, temp(false), now).0,
            Outcome::Failed("gave up after 30 attempts; last error: 421 busy".into())
        );
    }
}
