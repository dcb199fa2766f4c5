//! One raw message in, exactly one stored message on exactly the right case out.
//!
//! Order per message: idempotency check (Message-ID, or a hash of the raw bytes) →
//! parse → noise check (auto-replies, bounces, loops) → threading → triage → case and
//! message rows, event, and any automatic letter request, all in one transaction. The
//! mailbox source marks the message processed only after that commits. A message that
//! cannot be parsed is quarantined with its reason; it never blocks the ones behind it.

use chrono::{DateTime, Duration, Utc};

use crate::admission;
use crate::admission::Answer;
use crate::case::{self, Action, CloseReason, Kind, State};
use crate::config::Config;
use crate::event::EventKind;
use crate::store::mail::Mail;
use crate::store::messages::NewMessage;
use crate::store::{self, intake, LetterRequest, NewCase, NewEvent, Store, StoreError};
use crate::thread;
use crate::time::stamp;
use crate::triage::Verdict;

use crate::message::{parse, parse_limited, sha256_hex, Parsed};

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Already stored (same Message-ID or same bytes): nothing done.
    Duplicate,
    /// A new case was opened.
    NewCase {
        reference: String,
        kind: Kind,
        acknowledged: bool,
        /// Over the hourly cap: acknowledged in a later hour.
        deferred: bool,
        /// Waiting for an officer to decide triage's suggestion.
        to_triage: bool,
    },
    /// Joined an existing case.
    Attached {
        reference: String,
        matched_by: String,
    },
    /// Stored, on no case, and not answered (auto-reply, bounce, loop...).
    Noise {
        reason: String,
    },
    Quarantined {
        reason: String,
    },
}

/// Options for an ingestion pass.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// First import of an existing mailbox: open cases, send nothing.
    pub backlog: bool,
}

/// A message as a source hands it over.
pub struct Incoming<'a> {
    pub raw: &'a [u8],
    /// When the mailbox received it (IMAP INTERNALDATE, Maildir delivery time), if known.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Set by a source for a message over `inbound.max_message_bytes`: its full size.
    /// `raw` then holds only its header section (the body was never read), and the
    /// message is quarantined with the reason.
    pub full_size: Option<u64>,
}

/// What ingesting a message needs that the database does not: the parse, the
/// ingestion key and the triage verdict. [`prepare`] makes it; the IMAP source runs
/// it for the next batch on another thread while this one is stored.
pub struct Prepared {
    parsed: Result<Parsed, String>,
    key: String,
    /// SHA-256 of `key`: how erased mail is remembered.
    key_hash: String,
    /// SHA-256 of the bare Message-ID: how mail erased before keys carried the content
    /// digest is remembered (empty when there is no Message-ID).
    old_key_hash: String,
    /// Triage's reading, for a message that may open a case.
    reading: Option<Reading>,
}

/// What triage reads in a message that may open a case: its verdict, the service it
/// seems to be about, safeguarding words and a representative. Pure text work, done
/// with the parse (on the IMAP source's other thread) so that storing does not wait
/// for it.
pub(crate) struct Reading {
    pub verdict: Verdict,
    service: Option<(String, String)>,
    safeguarding: Vec<String>,
    representation: Option<crate::triage::Representation>,
}

impl Reading {
    /// Triage's whole reading in one pass over the text ([`crate::triage::Rules::read`]).
    pub(crate) fn classified(cfg: &Config, p: &Parsed) -> Reading {
        let read = cfg.triage.read(
            &p.subject,
            &p.body,
            &cfg.policy.preset.exclusions,
            &cfg.workflow.safeguarding_phrases,
        );
        Reading {
            verdict: read.verdict,
            service: read.service,
            safeguarding: read.safeguarding.into_iter().map(str::to_string).collect(),
            representation: crate::triage::representation(&p.subject, &p.body),
        }
    }
}

/// [`prepare`] for what a source handed over: an oversized message (only its headers
/// read) is quarantined without being parsed.
pub fn prepare_incoming(cfg: &Config, msg: &Incoming) -> Prepared {
    match msg.full_size {
        Some(size) => {
            // Only the headers were read: they and the full size stand for the message.
            let key = format!("{KEY_DIGEST}{}:{size}", sha256_hex(msg.raw));
            Prepared {
                parsed: Err(format!(
                    "message is {size} bytes, over the {} byte limit: only its headers were kept",
                    cfg.inbound.max_message_bytes
                )),
                key_hash: sha256_hex(key.as_bytes()),
                key,
                old_key_hash: String::new(),
                reading: None,
            }
        }
        None => prepare(cfg, msg.raw),
    }
}

/// Parse and classify one raw message (no database).
pub fn prepare(cfg: &Config, raw: &[u8]) -> Prepared {
    // Parse defensively: a parser panic on hostile input must quarantine, not crash the daemon.
    let parsed = if raw.len() > cfg.inbound.max_message_bytes {
        Err(format!(
            "message is {} bytes, over the {} byte limit",
            raw.len(),
            cfg.inbound.max_message_bytes
        ))
    } else {
        match std::panic::catch_unwind(|| parse_limited(raw, cfg.inbound.max_attachment_bytes)) {
            Ok(Some(p)) => Ok(p),
            Ok(None) => Err("not a mail message: no headers could be parsed".to_string()),
            Err(_) => Err("the MIME parser failed on this message".to_string()),
        }
    };
    let parsed = parsed.and_then(|p| admission::via_relay(&cfg.inbound, p));
    let key = match &parsed {
        Ok(Parsed {
            message_id: Some(id),
            content_digest,
            ..
        }) => message_key(id, content_digest),
        _ => format!("{KEY_DIGEST}{}", sha256_hex(raw)),
    };
    // Only a new case needs it, but it costs nothing in the database to have it ready.
    let reading = match &parsed {
        Ok(p) if p.from.is_some() && p.noise.is_none() && !p.is_bounce => {
            Some(Reading::classified(cfg, p))
        }
        _ => None,
    };
    let old_key_hash = match &parsed {
        Ok(Parsed {
            message_id: Some(id),
            ..
        }) => sha256_hex(id.as_bytes()),
        _ => String::new(),
    };
    Prepared {
        parsed,
        key_hash: sha256_hex(key.as_bytes()),
        key,
        old_key_hash,
        reading,
    }
}

/// The ingestion key makes ingestion idempotent: "<Message-ID> sha256:<content digest>"
/// (web-form gateways reuse one Message-ID for different residents' forms, so the
/// Message-ID alone is not enough), or "sha256:<digest of the raw bytes>" for mail
/// without a Message-ID. A Message-ID holds no space, so the keys of one Message-ID
/// are a contiguous range of the key's index. Mail stored before digests has the bare
/// Message-ID as its key; `stored_under_old_key` still recognises it.
const KEY_DIGEST: &str = "sha256:";

/// The key a readable message with a Message-ID is stored under: the same mail fetched
/// again (or released from the quarantine) is never stored twice.
pub(crate) fn message_key(message_id: &str, content_digest: &str) -> String {
    format!("{message_id} {KEY_DIGEST}{content_digest}")
}

/// Mark a loop as noise (unless already noise): our own letter coming back, or mail
/// from the inbox itself.
pub(crate) fn mark_loop(sp: &Mail, cfg: &Config, p: &mut Parsed, from: &str) -> store::Result<()> {
    if p.noise.is_some() {
        return Ok(());
    }
    let ours = match p
        .message_id
        .as_deref()
        .and_then(|id| admission::as_our_message_id(id, cfg.mail_domain()))
    {
        Some(id) => sp.is_our_letter(&id)?,
        None => false,
    };
    p.noise = admission::loop_reason(ours, from, &cfg.council.email.to_lowercase());
    Ok(())
}

/// Store one prepared message through `sp` (the batch's transaction, or the message's
/// savepoint in it).
fn store_prepared(
    sp: &Mail,
    cfg: &Config,
    source: &str,
    msg: &Incoming,
    prepared: Prepared,
    now: DateTime<Utc>,
    opts: Options,
) -> Result<Outcome, StoreError> {
    let Prepared {
        parsed,
        key,
        key_hash,
        old_key_hash,
        reading,
    } = prepared;
    // Stored before, or stored and since erased under the retention schedule.
    // Mail stored before keys carried the content digest has the bare Message-ID as
    // its key, and mail erased then is known by that key's hash: looked up in the same
    // statement (an empty id matches nothing).
    let old_id = match &parsed {
        Ok(p) => p.message_id.as_deref().unwrap_or_default(),
        Err(_) => "",
    };
    let (seen, old_key) = sp.seen(&key, &key_hash, &old_key_hash, old_id)?;
    // Whether what is stored under the old key is this very message: the same content.
    let same_as_old = old_key
        && match &parsed {
            Ok(p) => sp
                .raw_under_key(old_id)?
                .and_then(|raw| parse(&raw))
                .is_some_and(|old| old.content_digest == p.content_digest),
            Err(_) => false,
        };
    if seen || same_as_old {
        return Ok(Outcome::Duplicate);
    }
    let mut p = match parsed {
        Ok(p) if p.from.is_some() => p,
        Ok(p) => {
            let reason = match p.from_unusable {
                Some(w) => format!("no valid sender address in From (it gives \"{w}\")"),
                None => "no sender address (From)".to_string(),
            };
            sp.quarantine(source, &key, msg.raw, &reason, &stamp(now))?;
            return Ok(Outcome::Quarantined { reason });
        }
        Err(reason) => {
            sp.quarantine(source, &key, msg.raw, &reason, &stamp(now))?;
            return Ok(Outcome::Quarantined { reason });
        }
    };
    let from = p.from.clone().unwrap_or_default();
    mark_loop(sp, cfg, &mut p, &from)?;
    let received_at = admission::received_at(msg.delivered_at, p.date, now);
    let stored = Stored {
        key: &key,
        raw: msg.raw,
        parsed: &p,
        received_at,
    };
    if p.is_bounce {
        return store_bounce(sp, cfg, &stored, now);
    }
    let mut cases = sp.case_lookup();
    if let Some(m) = thread::find(
        &mut cases,
        cfg.reference_prefix(),
        cfg.inbound.thread_window_days,
        &p,
        now,
    )? {
        return store_threaded(sp, cfg, &stored, m, &from, now);
    }
    if let Some(reason) = p.noise.clone() {
        sp.insert_message(&stored.row(None, "noise", None, Some(&reason), None))?;
        return Ok(Outcome::Noise { reason });
    }
    let reading = reading.unwrap_or_else(|| Reading::classified(cfg, &p));
    store_new_case(sp, cfg, &stored, reading, &from, now, opts, "mail", None)
}

/// A message on its way into the messages table, whatever its status.
pub(crate) struct Stored<'a> {
    pub key: &'a str,
    pub raw: &'a [u8],
    pub parsed: &'a Parsed,
    pub received_at: DateTime<Utc>,
}

impl<'a> Stored<'a> {
    fn row(
        &self,
        case_id: Option<i64>,
        status: &'a str,
        matched_by: Option<&'a str>,
        no_reply: Option<&'a str>,
        triage: Option<(&'a str, &'a str)>,
    ) -> NewMessage<'a> {
        NewMessage {
            case_id,
            key: self.key,
            raw: self.raw,
            parsed: self.parsed,
            received_at: self.received_at,
            status,
            matched_by,
            no_reply,
            triage,
        }
    }
}

/// A bounce: linked to the letter it reports on (whose case is flagged), never answered.
fn store_bounce(
    sp: &Mail,
    cfg: &Config,
    m: &Stored,
    now: DateTime<Utc>,
) -> Result<Outcome, StoreError> {
    let mut letter = None;
    for id in crate::message::ids_at_domain(m.raw, cfg.mail_domain()) {
        letter = sp.letter_by_message_id(&id)?;
        if letter.is_some() {
            break;
        }
    }
    let (case_id, reason) = match letter {
        Some((letter_id, case_id, reference)) => {
            sp.flag_case(case_id, &format!("letter {letter_id} bounced"))?;
            sp.insert_event(&NewEvent {
                case_id,
                at: now,
                actor: "mail",
                kind: EventKind::LetterBounced,
                from_state: None,
                to_state: None,
                detail: Some(&format!("delivery failure report for letter {letter_id}")),
            })?;
            (Some(case_id), format!("bounce of a letter on {reference}"))
        }
        None => (
            None,
            "bounce (delivery failure report) for no letter of ours".into(),
        ),
    };
    sp.insert_message(&m.row(case_id, "bounce", None, Some(&reason), None))?;
    Ok(Outcome::Noise { reason })
}

/// A message threaded to a case joins it, as [`admission::join`] decides.
fn store_threaded(
    sp: &Mail,
    cfg: &Config,
    m: &Stored,
    found: thread::Match,
    from: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, StoreError> {
    let p = m.parsed;
    let party = found.case.customer.as_deref() == Some(from);
    let join = admission::join(admission::Threaded {
        by: found.by,
        party,
        unproven: if party {
            admission::unverified(&cfg.inbound, p)
        } else {
            None
        },
        // A case closed with our stage response where the policy sets no time limit
        // for asking for the next stage waits for the customer: their reply is expected.
        case_closed: found.case.state == State::Closed.as_str()
            && found.case.close_reason.as_deref() != Some(CloseReason::Responded.as_str()),
        noise: p.noise.clone(),
        auto_reply_subject: p.auto_reply_subject,
    });
    let case_id = found.case.case_id;
    if let Some(why) = &join.flag {
        sp.flag_case(case_id, why)?;
    }
    sp.insert_message(&m.row(
        Some(case_id),
        "attached",
        Some(&join.by),
        join.no_reply.as_deref(),
        None,
    ))?;
    sp.insert_event(&NewEvent {
        case_id,
        at: now,
        actor: "mail",
        kind: EventKind::MessageReceived,
        from_state: None,
        to_state: None,
        detail: Some(&format!("from {}, matched by {}", join.who, join.by)),
    })?;
    // Safeguarding words in later mail reach a person at once too (never noise: an
    // out-of-office says nothing of risk).
    if p.noise.is_none() {
        let words = crate::triage::safeguarding_found(
            &cfg.workflow.safeguarding_phrases,
            &p.subject,
            &crate::message::strip_quoted(&p.body),
        );
        if !words.is_empty() {
            safeguarding_concern(
                sp,
                cfg,
                (case_id, &found.case.reference),
                &words,
                &format!("in later mail from {}", join.who),
                &format!(
                    "safeguarding:{}:{}",
                    found.case.reference,
                    crate::message::sha256_hex(m.key.as_bytes())
                ),
                now,
            )?;
        }
    }
    Ok(Outcome::Attached {
        reference: found.case.reference,
        matched_by: join.by,
    })
}

/// A new case, and its automatic letter unless [`admission::hold`] (or `suppressed`:
/// why no automatic letter may answer this message) says why not. `actor` opens it:
/// "mail", or the officer who released it from the quarantine.
#[allow(clippy::too_many_arguments)]
pub(crate) fn store_new_case(
    sp: &Mail,
    cfg: &Config,
    m: &Stored,
    reading: Reading,
    from: &str,
    now: DateTime<Utc>,
    opts: Options,
    actor: &str,
    suppressed: Option<&str>,
) -> Result<Outcome, StoreError> {
    let p = m.parsed;
    let Reading {
        verdict,
        service,
        safeguarding,
        representation,
    } = reading;
    let safeguarding: Vec<&str> = safeguarding.iter().map(String::as_str).collect();
    let subject = if p.subject.is_empty() {
        "(no subject)".to_string()
    } else {
        crate::text::cap(p.subject.clone(), crate::text::SUBJECT_MAX)
    };
    // How the case is opened and answered (decided before the case exists: it changes
    // how the case is opened).
    let restriction = sp.customer_restriction(from)?;
    let hour = admission::hour_of(now);
    let facts = admission::Facts {
        backlog: opts.backlog,
        old: admission::is_old(&cfg.inbound, m.received_at, now),
        restriction: restriction.as_deref(),
        to_address_today: sp.automatic_letters_to(from, &stamp(now - Duration::hours(24)))?,
        this_hour: sp.automatic_letters_in_hour(&hour)?,
        waiting: sp.acks_waiting()?,
        safeguarding: !safeguarding.is_empty(),
    };
    let admitted = admission::admit(&cfg.inbound, &facts, &verdict);
    let answer = match suppressed {
        Some(why) => Answer::Held(why.to_string()),
        None => admitted.answer.clone(),
    };
    let kind = admitted.kind;
    // `service`: what it seems to be about (the council's [[service]] words), if one
    // stands out.
    // The letter is owed and stored below in this same transaction, so the case is
    // written acknowledged as of today (the events still show received, then
    // acknowledged), and its deadlines are computed once, from that.
    let today = crate::calendar::london_date(now);
    let acknowledged = match answer {
        Answer::Letter => Some((
            case::transition(State::Received, Action::Acknowledge)
                .map_err(|e| StoreError::Illegal(subject.clone(), e))?,
            today,
        )),
        _ => None,
    };
    let (case_id, reference) = sp.create_case(
        &NewCase {
            kind,
            email: Some(from),
            address: &[],
            via: None,
            // With proof of sender required, only proven mail may name the customer.
            name: p
                .from_name
                .as_deref()
                .filter(|_| admission::unverified(&cfg.inbound, p).is_none()),
            subject: Some(&subject),
            service: service.as_ref().map(|(name, _)| name.as_str()),
            received_at: m.received_at,
        },
        &cfg.policy,
        cfg.reference_prefix(),
        &cfg.calendar,
        actor,
        acknowledged.map(|(to, on)| (to.as_str(), on)),
    )?;
    let reason = match &service {
        Some((_, why)) => format!("{}; service {why}", verdict.reason),
        None => verdict.reason.clone(),
    };
    sp.insert_event(&NewEvent {
        case_id,
        at: now,
        actor: "triage",
        kind: EventKind::Classified,
        from_state: None,
        to_state: None,
        detail: Some(&reason),
    })?;
    let msg_ref = p
        .message_id
        .as_ref()
        .map(|id| format!("<{}>", id.trim_matches(|c| c == '<' || c == '>')));
    let no_reply = match &answer {
        Answer::Held(why) => Some(why.clone()),
        Answer::Triage => Some(TO_TRIAGE.to_string()),
        Answer::Deferred => Some(DEFERRED.to_string()),
        Answer::Letter => None,
    };
    sp.insert_message(&m.row(
        Some(case_id),
        "new-case",
        Some("new"),
        no_reply.as_deref(),
        Some((verdict.kind.as_str(), &verdict.reason)),
    ))?;
    if !safeguarding.is_empty() {
        let note = match verdict.kind {
            Kind::Complaint => "opened as a complaint, never closed or redirected automatically".to_string(),
            k => format!("opened as a complaint (triage suggested {k}), never closed or redirected automatically"),
        };
        safeguarding_concern(
            sp,
            cfg,
            (case_id, &reference),
            &safeguarding,
            &note,
            &format!("safeguarding:{reference}"),
            now,
        )?;
    }
    if let Some(r) = representation {
        represented(sp, case_id, p, from, &r, now)?;
    }
    if admitted.to_triage {
        let content = admission::letter_content(&verdict);
        sp.insert_suggestion(
            case_id,
            &crate::triage::Suggestion {
                kind: verdict.kind,
                exclusion_id: verdict.exclusion_id.clone(),
                letter_kind: content.kind(),
                letter_data: content.data(),
                reason: verdict.reason.clone(),
            },
            now,
        )?;
    }
    let acknowledged = match &answer {
        Answer::Held(why) => {
            sp.flag_case(case_id, why)?;
            sp.insert_event(&NewEvent {
                case_id,
                at: now,
                actor,
                kind: EventKind::NoAutomaticLetter,
                from_state: None,
                to_state: None,
                detail: Some(why),
            })?;
            false
        }
        Answer::Triage => {
            let why = format!(
                "to triage: suggested {} ({}); accept it or treat it as a complaint",
                verdict.kind,
                verdict
                    .redirect
                    .as_ref()
                    .map_or("no route", |r| r.where_.as_str())
            );
            sp.flag_case(case_id, &why)?;
            sp.insert_event(&NewEvent {
                case_id,
                at: now,
                actor,
                kind: EventKind::ToTriage,
                from_state: None,
                to_state: None,
                detail: Some(&why),
            })?;
            false
        }
        Answer::Deferred => {
            let content = admission::letter_content(&crate::triage::Verdict {
                kind,
                ..verdict.clone()
            });
            sp.defer_ack(case_id, m.received_at, &content, now)?;
            sp.insert_event(&NewEvent {
                case_id,
                at: now,
                actor,
                kind: EventKind::AcknowledgementDeferred,
                from_state: None,
                to_state: None,
                detail: Some(&format!(
                    "over {} automatic letters this hour: it goes in a later hour, oldest first",
                    cfg.inbound.max_auto_letters_per_hour
                )),
            })?;
            false
        }
        Answer::Letter => {
            let content = admission::letter_content(&crate::triage::Verdict {
                kind,
                ..verdict.clone()
            });
            sp.count_automatic_letter(&hour)?;
            let letter = sp.request_letter(&LetterRequest {
                case_id,
                reference: &reference,
                kind: content.kind(),
                to_addr: Some(from),
                in_reply_to: msg_ref.as_deref(),
                references: msg_ref.as_deref(),
                data: content.data(),
                automatic: true,
                actor,
                at: now,
                domain: cfg.mail_domain(),
            })?;
            // A customer whose letters go by post (letter-only): the acknowledgement is
            // held to print, so its deadline is held to post until the letter is posted.
            if restriction.as_deref().map(str::trim) == Some("letter-only") {
                sp.hold_for_letter(
                    case_id,
                    &[(
                        cfg.policy.first_stage().id.as_str(),
                        crate::deadline::Kind::Acknowledge,
                    )],
                    letter,
                )?;
            }
            // The acknowledgement is owed and stored: the case is acknowledged as of now.
            // The case row and its acknowledgement deadline (met today) were written so.
            let to = acknowledged.map_or(State::Acknowledged, |(to, _)| to);
            sp.insert_event(&NewEvent {
                case_id,
                at: now,
                actor,
                kind: EventKind::Transition(crate::case::Action::Acknowledge),
                from_state: Some("received"),
                to_state: Some(to.as_str()),
                detail: Some(content.kind().as_str()),
            })?;
            true
        }
    };
    Ok(Outcome::NewCase {
        reference,
        kind,
        acknowledged,
        deferred: answer == Answer::Deferred,
        to_triage: answer == Answer::Triage,
    })
}

/// Why a new case's message got no letter yet, as stored on the message.
const TO_TRIAGE: &str = "to triage: waiting for an officer";
const DEFERRED: &str = "acknowledgement deferred: hourly cap";

/// A possible safeguarding concern: the case is flagged urgent, and the safeguarding
/// contact (else the duty manager, else every manager, else the council's inbox) is
/// mailed at once, naming the case. The resident is told nothing more.
fn safeguarding_concern(
    sp: &Mail,
    cfg: &Config,
    (case_id, reference): (i64, &str),
    found: &[&str],
    note: &str,
    dedupe: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let words = found
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let why = format!("URGENT: {} ({words})", crate::triage::SAFEGUARDING_FLAG);
    sp.flag_case(case_id, &why)?;
    // The staff directory as it stands: the desk's accounts with `[[staff]]`.
    let to = crate::accounts::directory_of(sp.users()?, cfg).safeguarding_recipients(&cfg.workflow);
    let names: Vec<&str> = to.iter().map(|(n, _)| n.as_str()).collect();
    sp.insert_event(&NewEvent {
        case_id,
        at: now,
        actor: "triage",
        kind: EventKind::SafeguardingConcern,
        from_state: None,
        to_state: None,
        detail: Some(&format!("{words}; {note}; told {}", names.join(", "))),
    })?;
    for (name, email) in &to {
        sp.queue_staff_mail(&format!("{dedupe}:{name}"),
            cfg.mail_domain(),
            email,
            &format!("[Ref {reference}] URGENT: possible safeguarding concern"),
            &format!(
                "Mail received on {reference} has words that suggest a risk of harm to a child or an adult at risk: {words}.\n\
                 Please read it today and follow the council's safeguarding procedure. The resident has been sent only the normal acknowledgement; the case will not be closed or redirected automatically.\n\
                 See it with: redress case {reference}\n"
            ),
            now,
        )?;
    }
    Ok(())
}

/// The sender writes for someone else: recorded on the case with its event. The
/// representative is the case's correspondent, so letters go to them.
fn represented(
    sp: &Mail,
    case_id: i64,
    p: &Parsed,
    from: &str,
    r: &crate::triage::Representation,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rep = intake::Representative {
        name: p.from_name.clone(),
        email: Some(from.to_string()),
        role: r.role.to_string(),
        for_whom: r.for_whom.clone(),
        consent: r.consent,
        resident_email: None,
    };
    sp.upsert_representative(case_id, &rep, "triage", now)?;
    sp.insert_event(&NewEvent {
        case_id,
        at: now,
        actor: "triage",
        kind: EventKind::RepresentativeRecorded,
        from_state: None,
        to_state: None,
        detail: Some(&format!(
            "{} writing for {} (by {}); consent {}",
            r.role,
            r.for_whom.as_deref().unwrap_or("someone not named"),
            r.why,
            if r.consent {
                "stated in the message"
            } else {
                "not recorded"
            }
        )),
    })?;
    if !r.consent {
        sp.flag_case(
            case_id,
            &format!("representative ({}): check the resident's consent", r.role),
        )?;
    }
    Ok(())
}

/// Totals of an ingestion pass, printed by `redress poll`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    pub seen: usize,
    pub new_cases: usize,
    pub acknowledged: usize,
    /// Acknowledgements over the hourly cap, going in later hours.
    pub deferred: usize,
    /// New cases waiting for an officer to decide triage's suggestion.
    pub to_triage: usize,
    pub attached: usize,
    pub duplicates: usize,
    pub noise: usize,
    pub quarantined: usize,
}

impl Report {
    pub fn add(&mut self, o: &Outcome) {
        self.seen += 1;
        match o {
            Outcome::Duplicate => self.duplicates += 1,
            Outcome::NewCase {
                acknowledged,
                deferred,
                to_triage,
                ..
            } => {
                self.new_cases += 1;
                self.acknowledged += *acknowledged as usize;
                self.deferred += *deferred as usize;
                self.to_triage += *to_triage as usize;
            }
            Outcome::Attached { .. } => self.attached += 1,
            Outcome::Noise { .. } => self.noise += 1,
            Outcome::Quarantined { .. } => self.quarantined += 1,
        }
    }
}

/// Ingest a batch in one transaction (one savepoint each), then commit. Returns the
/// outcome per message in order; the caller marks them processed only after this returns.
pub fn ingest_batch(
    store: &mut Store,
    cfg: &Config,
    source: &str,
    batch: &[Incoming],
    now: DateTime<Utc>,
    opts: Options,
) -> Result<Vec<Outcome>, StoreError> {
    let prepared = batch.iter().map(|m| prepare_incoming(cfg, m)).collect();
    ingest_prepared_batch(store, cfg, source, batch, prepared, now, opts, None)
}

/// [`ingest_batch`] with each message already [`prepare`]d (in the same order), and
/// the mailbox position (UIDVALIDITY, last UID) saved in the same commit when given.
#[allow(clippy::too_many_arguments)]
pub fn ingest_prepared_batch(
    store: &mut Store,
    cfg: &Config,
    source: &str,
    batch: &[Incoming],
    prepared: Vec<Prepared>,
    now: DateTime<Utc>,
    opts: Options,
    position: Option<(u32, u32)>,
) -> Result<Vec<Outcome>, StoreError> {
    // Fast path: the whole batch in one transaction, no savepoint per message (a
    // savepoint copies every page a message touches into a statement journal first).
    // A message the database refuses (rare) sends the batch down the careful path.
    {
        let tx = store.mail_transaction()?;
        let sp = tx.mail();
        let mut out = Vec::with_capacity(batch.len());
        let mut refused = false;
        for (m, p) in batch.iter().zip(prepared) {
            match store_prepared(&sp, cfg, source, m, p, now, opts) {
                Ok(o) => out.push(o),
                Err(e) if e.refuses_one_message() => {
                    refused = true;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        if !refused {
            if let Some((validity, last)) = position {
                sp.save_position(source, validity, last, Utc::now())?;
            }
            tx.commit()?;
            return Ok(out);
        }
        // Dropping `tx` rolls the batch back.
    }
    // Careful path: one savepoint per message; the one refused is quarantined with the
    // reason and the rest are stored.
    let tx = store.mail_transaction()?;
    let sp = tx.mail();
    let mut out = Vec::with_capacity(batch.len());
    for m in batch {
        let p = prepare_incoming(cfg, m);
        let o = match sp.each(|sp| store_prepared(sp, cfg, source, m, p, now, opts)) {
            Ok(o) => o,
            // A database error on one message (not a full disk: that fails the commit
            // below) must not stop the rest: quarantine it with the reason.
            Err(e) if e.refuses_one_message() => {
                let key = format!("sha256:{}", sha256_hex(m.raw));
                let reason = format!("could not be stored: {e}");
                sp.quarantine(source, &key, m.raw, &reason, &stamp(now))?;
                Outcome::Quarantined { reason }
            }
            Err(e) => return Err(e),
        };
        out.push(o);
    }
    if let Some((validity, last)) = position {
        sp.save_position(source, validity, last, Utc::now())?;
    }
    tx.commit()?;
    Ok(out)
}
