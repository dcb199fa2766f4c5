//! One raw message in, exactly one stored message on exactly the right case out.
//!
//! Order per message: idempotency check (Message-ID, or a hash of the raw bytes) →
//! parse → noise check (auto-replies, bounces, loops) → threading → triage → case and
//! message rows, event, and any automatic letter request, all in one transaction. The
//! mailbox source marks the message processed only after that commits. A message that
//! cannot be parsed is quarantined with its reason; it never blocks the ones behind it.

use chrono::{DateTime, Duration, TimeZone, Utc};
use mail_parser::{MessageParser, MimeHeaders};
use regex::Regex;
use rusqlite::{params, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

use crate::case::{self, Action, Kind, State};
use crate::config::Config;
use crate::store::{self, LetterRequest, NewCase, Store, StoreError};
use crate::triage::Verdict;

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

pub(crate) fn sha256_hex(b: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b);
    hex(&h.finalize())
}

/// The reference pattern for `prefix`, tolerant of mangled spacing: "BNES-2026-00042",
/// "bnes - 2026 - 42", "BNES 2026 00042".
fn ref_regex(prefix: &str) -> &'static Regex {
    // One compiled pattern per prefix, shared: a clone of a Regex would build its
    // matching cache again on first use (that was 4% of ingestion).
    static CACHE: OnceLock<std::sync::Mutex<Vec<(String, &'static Regex)>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, r)) = c.iter().find(|(p, _)| p == prefix) {
        return r;
    }
    let r: &'static Regex = Box::leak(Box::new(
        Regex::new(&format!(
            r"(?i)\b{}\s*[-_–]?\s*(\d{{4}})\s*[-_–]?\s*(\d{{1,6}})\b",
            regex::escape(prefix)
        ))
        .expect("reference pattern compiles"),
    ));
    c.push((prefix.to_string(), r));
    r
}

/// Case references named in `text`, normalised to PREFIX-YYYY-NNNNN.
pub fn find_references(prefix: &str, text: &str) -> Vec<String> {
    ref_regex(prefix)
        .captures_iter(text)
        .filter_map(|c| {
            let n: u32 = c[2].parse().ok()?;
            Some(format!("{}-{}-{:05}", prefix, &c[1], n))
        })
        .collect()
}

/// Subject without reply/forward markers and our reference tag, for the fallback match.
pub fn normalise_subject(s: &str) -> String {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"(?i)^\s*((re|fw|fwd|aw|wg|sv|vs|antw|tr|rif|r)\s*(\[\d+\])?\s*:\s*)+")
            .expect("subject pattern")
    });
    static TAG: OnceLock<Regex> = OnceLock::new();
    let tag = TAG.get_or_init(|| Regex::new(r"(?i)\[\s*ref[^\]]*\]").expect("tag pattern"));
    let s = tag.replace_all(s, " ");
    let s = re.replace(&s, "");
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Readable text from an HTML-only message: drop script/style, turn block ends into
/// line breaks, strip tags, decode the common entities.
pub fn html_to_text(html: &str) -> String {
    static DROP: OnceLock<Regex> = OnceLock::new();
    static BREAK: OnceLock<Regex> = OnceLock::new();
    static TAG: OnceLock<Regex> = OnceLock::new();
    let drop = DROP.get_or_init(|| {
        Regex::new(r"(?is)<(script|style|head)\b.*?</(script|style|head)\s*>").expect("re")
    });
    let brk = BREAK.get_or_init(|| {
        Regex::new(r"(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6]|p|div)\b[^>]*>").expect("re")
    });
    let tag = TAG.get_or_init(|| Regex::new(r"(?s)<[^>]*>").expect("re"));
    let s = drop.replace_all(html, "");
    let s = brk.replace_all(&s, "\n");
    let s = tag.replace_all(&s, "");
    let s = s
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&pound;", "£")
        .replace("&amp;", "&");
    let mut out = String::new();
    let mut blank = 0;
    for line in s.lines() {
        let t = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if t.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(&t);
        out.push('\n');
    }
    out.trim().to_string()
}

/// The customer's own words in a reply: the text above the quoted history. Stops at
/// ">"-quoted lines and at the markers mail clients put above a quotation (Outlook's
/// "From: ... Sent:" block or rule, Gmail's "On ... wrote:", "-----Original Message-----").
pub fn strip_quoted(body: &str) -> String {
    let mut out = Vec::new();
    for line in body.lines() {
        let t = line.trim();
        let lower = t.to_lowercase();
        let marker = t.starts_with('>')
            || lower.starts_with("-----original message")
            || lower.starts_with("________________________________")
            || (lower.starts_with("on ") && lower.ends_with("wrote:"))
            || (lower.starts_with("from:") && !out.is_empty())
            || lower.starts_with("our reference:");
        if marker {
            break;
        }
        out.push(line);
    }
    out.join("\n").trim().to_string()
}

/// The facts of a parsed message that ingestion needs, owned.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub from_name: Option<String>,
    pub reply_to: Option<String>,
    pub return_path: Option<String>,
    pub subject: String,
    pub date: Option<DateTime<Utc>>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub body: String,
    pub attachments: Vec<Attachment>,
    /// Why no automatic reply may be sent, if any.
    pub noise: Option<String>,
    pub is_bounce: bool,
    /// The Reply-To display name (a web-form relay's resident), cleaned like `from_name`.
    pub reply_to_name: Option<String>,
    /// The domain of the From header as written (before a relay's Reply-To replaces
    /// the sender): what a DMARC result speaks for.
    pub from_domain: Option<String>,
    /// The subject is one mail clients give automatic replies ("Automatic reply:",
    /// "Out of office"...). Only a reply on a case is taken as one: a first message
    /// titled "Out of office hours noise from the pub" is a complaint.
    pub auto_reply_subject: bool,
    /// Set when a configured web-form relay sent it and its Reply-To became the sender:
    /// the address is what someone typed into a form, not proven theirs.
    pub relayed: bool,
    /// The raw values of the Authentication-Results headers, top (newest) first.
    pub auth_results: Vec<String>,
    /// SHA-256 of what makes the message what it is, whatever trace headers a delivery
    /// added: From, Reply-To, Subject, Date and the body. Two complaints reusing one
    /// Message-ID differ here; one complaint delivered twice does not.
    pub content_digest: String,
}

#[derive(Debug, Clone)]
pub struct Attachment {
    pub name: Option<String>,
    pub mime_type: String,
    pub size: usize,
    pub sha256: String,
    /// `None` when over `inbound.max_attachment_bytes`: dropped as soon as it is
    /// parsed, so a large attachment is not held in memory until it is stored.
    pub content: Option<Vec<u8>>,
    /// The limit it was over, when its content was left out.
    pub over_limit: Option<usize>,
}

/// A header's raw value on one line (control characters out, at most 200 characters):
/// it may be quoted in a reason, which is stored, shown and logged.
fn header_text(m: &mail_parser::Message, name: &str) -> Option<String> {
    m.header_raw(name).map(|v| crate::text::one_line(v, 200))
}

fn id_list(v: &mail_parser::HeaderValue) -> Vec<String> {
    match v {
        mail_parser::HeaderValue::Text(t) => vec![t.to_string()],
        mail_parser::HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Parse raw bytes. `None` when the bytes are not a mail message at all.
pub fn parse(raw: &[u8]) -> Option<Parsed> {
    parse_limited(raw, usize::MAX)
}

/// [`parse`], keeping only the size and SHA-256 of attachments over `attachment_limit`.
pub fn parse_limited(raw: &[u8], attachment_limit: usize) -> Option<Parsed> {
    let m = MessageParser::default().parse(raw)?;
    // A message without a single header line is not mail.
    if m.headers().is_empty() {
        return None;
    }
    let from = m.from().and_then(|a| a.first());
    let content_type = m.content_type();
    let is_report = content_type.is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct
                .attribute("report-type")
                .is_some_and(|r| r.eq_ignore_ascii_case("delivery-status"))
    });
    let from_addr = from
        .and_then(|a| a.address())
        .map(|s| s.trim().to_lowercase());
    let return_path = header_text(&m, "Return-Path");
    let from_name_raw = from.and_then(|a| a.name()).unwrap_or("");
    let subject_raw = m.subject().unwrap_or("");
    let from_daemon = from_addr.as_deref().is_some_and(|a| {
        let local = a.split('@').next().unwrap_or(a);
        local == "mailer-daemon" || local == "postmaster"
    }) || from_name_raw.eq_ignore_ascii_case("mailer-daemon");
    let empty_return = return_path.as_deref().is_some_and(|r| r.trim() == "<>");
    // A subject alone is not enough ("Delivery failure of my new recycling bin" is a
    // complaint): an old-style bounce also comes from a delivery system's name.
    let old_style_bounce = is_delivery_system_name(from_name_raw) && is_bounce_subject(subject_raw);
    let is_bounce = is_report || from_daemon || empty_return || old_style_bounce;
    let list_robot = from_addr.as_deref().and_then(list_robot_address);
    let mut noise = None;
    if is_bounce {
        noise = Some("bounce (delivery failure report)".to_string());
    } else if let Some(what) = list_robot {
        noise = Some(format!("mailing list robot ({what} address)"));
    } else if m.header_raw("X-Mailman-Version").is_some() {
        noise = Some("mailing list (X-Mailman-Version)".to_string());
    } else if let Some(a) =
        header_text(&m, "Auto-Submitted").filter(|v| !v.eq_ignore_ascii_case("no"))
    {
        noise = Some(format!("auto-reply (Auto-Submitted: {a})"));
    } else if let Some(p) = header_text(&m, "Precedence").filter(|v| {
        let v = v.to_ascii_lowercase();
        v == "bulk" || v == "junk" || v == "list"
    }) {
        noise = Some(format!("bulk mail (Precedence: {p})"));
    } else if m.header_raw("List-Id").is_some() {
        noise = Some("mailing list (List-Id)".to_string());
    } else if m.header_raw("X-Autoreply").is_some() || m.header_raw("X-Autorespond").is_some() {
        noise = Some("auto-reply (X-Autoreply)".to_string());
    } else if m.header_raw("X-Auto-Response-Suppress").is_some() {
        noise = Some("auto-reply (X-Auto-Response-Suppress)".to_string());
    }
    let body = match m.body_text(0) {
        Some(t)
            if !t.trim().is_empty()
                && m.text_body_count() > 0
                && !m.text_part(0).is_some_and(|p| p.is_text_html()) =>
        {
            t.to_string()
        }
        _ => match m.body_html(0) {
            Some(h) => html_to_text(&h),
            None => m.body_text(0).map(|t| t.to_string()).unwrap_or_default(),
        },
    };
    let attachments = m
        .attachments()
        .map(|a| Attachment {
            name: a.attachment_name().map(String::from),
            mime_type: a
                .content_type()
                .map(|ct| match ct.subtype() {
                    Some(st) => format!("{}/{}", ct.ctype(), st),
                    None => ct.ctype().to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".into()),
            size: a.contents().len(),
            sha256: sha256_hex(a.contents()),
            content: (a.contents().len() <= attachment_limit).then(|| a.contents().to_vec()),
            over_limit: (a.contents().len() > attachment_limit).then_some(attachment_limit),
        })
        .collect();
    let reply_to = m.reply_to().and_then(|a| a.first());
    let auth_results = m
        .headers()
        .iter()
        .filter(|h| {
            h.name
                .as_str()
                .eq_ignore_ascii_case("Authentication-Results")
        })
        .filter_map(|h| raw.get(h.offset_start as usize..h.offset_end as usize))
        .map(|v| String::from_utf8_lossy(v).trim().to_string())
        .collect();
    let content_digest = {
        let mut h = Sha256::new();
        for name in ["From", "Reply-To", "Subject", "Date"] {
            h.update(m.header_raw(name).unwrap_or("").trim().as_bytes());
            h.update([0]);
        }
        h.update(body_section(raw));
        hex(&h.finalize())
    };
    Some(Parsed {
        message_id: m
            .message_id()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        from_domain: from_addr
            .as_deref()
            .and_then(|a| a.rsplit_once('@'))
            .map(|(_, d)| d.to_string()),
        from: from_addr,
        from_name: crate::text::display_name(from_name_raw),
        reply_to: reply_to
            .and_then(|a| a.address())
            .map(|s| s.trim().to_lowercase()),
        reply_to_name: reply_to
            .and_then(|a| a.name())
            .and_then(crate::text::display_name),
        return_path,
        // Kept whole (it is the resident's own text) but on one line, with no control
        // character: it is shown in listings and quoted back in letters.
        subject: crate::text::one_line(subject_raw, usize::MAX),
        date: m
            .date()
            .and_then(|d| Utc.timestamp_opt(d.to_timestamp(), 0).single()),
        in_reply_to: id_list(m.in_reply_to()),
        references: id_list(m.references()),
        body,
        attachments,
        noise,
        is_bounce,
        auto_reply_subject: is_auto_reply_subject(subject_raw),
        relayed: false,
        auth_results,
        content_digest,
    })
}

/// The bytes after the header section (empty when there is no blank line).
fn body_section(raw: &[u8]) -> &[u8] {
    crate::text::header_end(raw).map_or(&[], |i| &raw[i..])
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Old-style bounces come without a delivery-status report, from a sender named so.
fn is_delivery_system_name(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase();
    n.starts_with("mail delivery") || n == "mail administrator" || n == "postmaster"
}

/// Subjects only delivery failure reports carry.
fn is_bounce_subject(subject: &str) -> bool {
    let s = subject.trim().to_ascii_lowercase();
    [
        "undelivered mail returned to sender",
        "undeliverable:",
        "delivery status notification (failure)",
        "delivery status notification (delay)",
        "mail delivery failed",
        "returned mail:",
        "failure notice",
        "delivery failure",
        "mail system error - returned mail",
    ]
    .iter()
    .any(|p| s.starts_with(p))
}

/// Subjects that mail clients give automatic replies (Outlook, Gmail, Thunderbird),
/// for the out-of-office replies that come without an Auto-Submitted header.
fn is_auto_reply_subject(subject: &str) -> bool {
    let s = subject.trim().to_ascii_lowercase();
    [
        "automatic reply:",
        "auto-reply:",
        "autoreply:",
        "auto reply:",
        "auto response:",
        "out of office",
        "out of the office",
        "on leave:",
    ]
    .iter()
    .any(|p| s.starts_with(p))
}

/// A mailing list's robot address (Mailman, Majordomo, LISTSERV): `*-request@`,
/// `*-bounces@`, `listserv@`, `majordomo@`, `mailman@`. (Not `owner-*@` or `*-owner@`:
/// `home-owner@` is a resident.)
fn list_robot_address(addr: &str) -> Option<&'static str> {
    let local = addr.split('@').next().unwrap_or(addr);
    if local.ends_with("-request") {
        Some("-request")
    } else if local.ends_with("-bounces") || local.contains("-bounces+") {
        Some("-bounces")
    } else if local == "listserv" || local == "majordomo" || local == "mailman" {
        Some("list server")
    } else {
        None
    }
}

/// Whether the message stored under the old key `id` (the bare Message-ID, before
/// keys carried the content digest) is this very message: the same content.
fn same_as_stored_under_old_key(
    sp: &rusqlite::Connection,
    id: &str,
    content_digest: &str,
) -> rusqlite::Result<bool> {
    let old: Option<Vec<u8>> = sp
        .prepare_cached(
            "SELECT raw FROM messages WHERE ingest_key = ?1
             UNION ALL SELECT raw FROM quarantine WHERE ingest_key = ?1 LIMIT 1",
        )?
        .query_row([id], |r| r.get(0))
        .optional()?;
    Ok(old
        .and_then(|raw| parse(&raw))
        .is_some_and(|p| p.content_digest == content_digest))
}

/// How a message was matched to a case.
#[derive(Debug, Clone)]
struct Match {
    case_id: i64,
    reference: String,
    by: &'static str,
    /// The customer of the case, to tell parties from third parties.
    customer: Option<String>,
    state: String,
}

fn case_by_reference(
    tx: &rusqlite::Connection,
    reference: &str,
) -> rusqlite::Result<Option<(i64, Option<String>, String)>> {
    tx.prepare_cached("SELECT c.id, cu.email, c.state FROM cases c LEFT JOIN customers cu ON cu.id = c.customer_id WHERE c.reference = ?1")?.query_row(
        [reference],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
}

fn thread(
    tx: &rusqlite::Connection,
    cfg: &Config,
    p: &Parsed,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<Match>> {
    let prefix = cfg.reference_prefix();
    let mk = |(id, customer, state): (i64, Option<String>, String),
              reference: String,
              by: &'static str| Match {
        case_id: id,
        reference,
        by,
        customer,
        state,
    };
    // 1. The reference in the subject.
    for r in find_references(prefix, &p.subject) {
        if let Some(c) = case_by_reference(tx, &r)? {
            return Ok(Some(mk(c, r, "subject-ref")));
        }
    }
    // 2. In-Reply-To / References against our letters and the messages we received.
    let ids: Vec<String> = p
        .in_reply_to
        .iter()
        .chain(p.references.iter().rev())
        .cloned()
        .collect();
    for id in ids {
        let bracketed = format!("<{}>", id.trim_matches(|c| c == '<' || c == '>'));
        let bare = bracketed.trim_matches(|c| c == '<' || c == '>').to_string();
        // A received message's key is "<Message-ID> sha256:<digest>" (or, stored before
        // digests, the bare Message-ID): a range of the key's unique index.
        let (lo, hi) = (format!("{bare} "), format!("{bare}!"));
        // One Message-ID may now stand on several messages (a gateway reusing it, or
        // someone reusing a resident's): the sender's own case first, then the oldest.
        let hit: Option<String> = tx
            .prepare_cached(
                "SELECT reference FROM (
                   SELECT c.reference, 0 AS rank, 0 AS mid FROM letters l JOIN cases c ON c.id = l.case_id
                   WHERE l.message_id = ?1
                   UNION ALL
                   SELECT c.reference, CASE WHEN cu.email = ?5 THEN 1 ELSE 2 END, m.id
                   FROM messages m JOIN cases c ON c.id = m.case_id
                   LEFT JOIN customers cu ON cu.id = c.customer_id
                   WHERE ((m.ingest_key >= ?3 AND m.ingest_key < ?4) OR m.ingest_key = ?2)
                   AND m.message_id IS NOT NULL)
                 ORDER BY rank, mid LIMIT 1",
            )?
            .query_row(
                params![bracketed, bare, lo, hi, p.from.as_deref().unwrap_or_default()],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(r) = hit {
            if let Some(c) = case_by_reference(tx, &r)? {
                return Ok(Some(mk(c, r, "header")));
            }
        }
    }
    // 3. The reference quoted from our letters' footer in the body.
    for r in find_references(prefix, &p.body) {
        if let Some(c) = case_by_reference(tx, &r)? {
            return Ok(Some(mk(c, r, "body-ref")));
        }
    }
    // 4. Same sender, same normalised subject, an open case within the window: probable.
    let Some(from) = &p.from else { return Ok(None) };
    let subject = normalise_subject(&p.subject);
    if subject.len() < 4 {
        return Ok(None);
    }
    let since = (now - Duration::days(cfg.inbound.thread_window_days))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut stmt = tx.prepare_cached(
        "SELECT c.id, c.reference, c.subject, c.state FROM cases c JOIN customers cu ON cu.id = c.customer_id
         WHERE cu.email = ?1 AND c.state != 'closed' AND c.received_at >= ?2 ORDER BY c.id DESC",
    )?;
    let rows = stmt.query_map(params![from, since], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (id, reference, subj, state) = row?;
        if subj.map(|s| normalise_subject(&s)) == Some(subject.clone()) {
            return Ok(Some(Match {
                case_id: id,
                reference,
                by: "probable",
                customer: Some(from.clone()),
                state,
            }));
        }
    }
    Ok(None)
}

/// Why mail from a customer's address may not act for them, when the config asks
/// for proof: no `Authentication-Results` from a trusted server (`authserv-id`) says
/// `dmarc=pass` for the From header's domain. `None`: verified, or not asked for.
///
/// Only the topmost result from a trusted server counts: our own server adds its
/// header above the ones the message arrived with, so a copy forged by the sender
/// (claiming our authserv-id) sits below it. (RFC 8601 also asks the server to remove
/// such copies; not every one does.) The result must name the From domain.
/// Mail a web-form relay sent for someone is never proof of who they are.
fn unverified(cfg: &Config, p: &Parsed) -> Option<String> {
    let trusted = &cfg.inbound.trusted_authserv_ids;
    if trusted.is_empty() {
        return None;
    }
    if p.relayed {
        return Some("sent through a web form, the address is not proven".to_string());
    }
    let domain = p.from_domain.as_deref().unwrap_or_default();
    let ours = p.auth_results.iter().find(|ar| {
        let id = ar.split(';').next().unwrap_or_default();
        // "authserv-id [version]": the version is optional.
        let id = id.split_whitespace().next().unwrap_or_default();
        trusted.iter().any(|t| t.trim().eq_ignore_ascii_case(id))
    });
    let pass = ours.is_some_and(|ar| {
        ar.split(';').skip(1).any(|result| {
            let r = result.trim().to_ascii_lowercase();
            let words: Vec<&str> = r.split_whitespace().collect();
            words.first() == Some(&"dmarc=pass")
                && words
                    .iter()
                    .any(|w| w.strip_prefix("header.from=") == Some(domain))
        })
    });
    (!pass).then(|| "no dmarc=pass for the From domain from a trusted server".to_string())
}

/// Find the letter a bounce reports on: one of our Message-IDs inside the report.
fn bounced_letter(
    tx: &rusqlite::Connection,
    raw: &[u8],
    domain: &str,
) -> rusqlite::Result<Option<(i64, i64, String)>> {
    let text = String::from_utf8_lossy(raw);
    let re =
        Regex::new(&format!(r"<[^<>\s]+@{}>", regex::escape(domain))).expect("message-id pattern");
    for m in re.find_iter(&text) {
        let hit = tx
            .query_row(
                "SELECT l.id, l.case_id, c.reference FROM letters l JOIN cases c ON c.id = l.case_id WHERE l.message_id = ?1",
                [m.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        if hit.is_some() {
            return Ok(hit);
        }
    }
    Ok(None)
}

fn flag(tx: &rusqlite::Connection, case_id: i64, why: &str) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE cases SET flagged = CASE WHEN flagged IS NULL OR flagged = '' THEN ?2 ELSE flagged || '; ' || ?2 END WHERE id = ?1")?.execute(
        params![case_id, why],
    )?;
    Ok(())
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
    verdict: Option<Verdict>,
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
                verdict: None,
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
    let parsed = parsed.and_then(|p| via_relay(cfg, p));
    let key = match &parsed {
        Ok(Parsed {
            message_id: Some(id),
            content_digest,
            ..
        }) => format!("{id} {KEY_DIGEST}{content_digest}"),
        _ => format!("{KEY_DIGEST}{}", sha256_hex(raw)),
    };
    // Only a new case needs it, but it costs nothing in the database to have it ready.
    let verdict = match &parsed {
        Ok(p) if p.from.is_some() && p.noise.is_none() && !p.is_bounce => {
            Some(cfg.triage.classify(&p.subject, &p.body))
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
        verdict,
    }
}

/// The ingestion key makes ingestion idempotent: "<Message-ID> sha256:<content digest>"
/// (web-form gateways reuse one Message-ID for different residents' forms, so the
/// Message-ID alone is not enough), or "sha256:<digest of the raw bytes>" for mail
/// without a Message-ID. A Message-ID holds no space, so the keys of one Message-ID
/// are a contiguous range of the key's index. Mail stored before digests has the bare
/// Message-ID as its key; `stored_under_old_key` still recognises it.
const KEY_DIGEST: &str = "sha256:";

/// Mail from a configured web-form relay speaks for the resident in its Reply-To: that
/// address (and name) becomes the sender. Without one there is nobody to answer.
fn via_relay(cfg: &Config, mut p: Parsed) -> Result<Parsed, String> {
    let relayed = p.from.as_deref().is_some_and(|f| {
        cfg.inbound
            .relay_senders
            .iter()
            .any(|r| r.trim().eq_ignore_ascii_case(f))
    });
    if !relayed {
        return Ok(p);
    }
    match p.reply_to.take() {
        Some(r) if !r.eq_ignore_ascii_case(p.from.as_deref().unwrap_or_default()) => {
            p.from = Some(r.clone());
            p.from_name = p.reply_to_name.take();
            p.reply_to = Some(r);
            p.relayed = true;
            // A gateway rightly marks its own mail automatic (Auto-Submitted, bulk
            // Precedence): that says nothing about the resident's form inside. A
            // bounce is still a bounce.
            if !p.is_bounce {
                p.noise = None;
            }
            p.auto_reply_subject = false;
            Ok(p)
        }
        _ => Err("mail from a web-form relay without the resident's Reply-To".to_string()),
    }
}

/// Ingest one message. The caller commits `tx` (a batch may share one transaction;
/// this function works inside a savepoint so one failure undoes only itself).
pub fn ingest_one(
    tx: &mut Transaction,
    cfg: &Config,
    source: &str,
    msg: &Incoming,
    now: DateTime<Utc>,
    opts: Options,
) -> Result<Outcome, StoreError> {
    ingest_prepared(tx, cfg, source, msg, prepare_incoming(cfg, msg), now, opts)
}

/// [`ingest_one`] with the database-free part already done by [`prepare`], in a
/// savepoint of `tx`: a failure undoes this message only.
pub fn ingest_prepared(
    tx: &mut Transaction,
    cfg: &Config,
    source: &str,
    msg: &Incoming,
    prepared: Prepared,
    now: DateTime<Utc>,
    opts: Options,
) -> Result<Outcome, StoreError> {
    let sp = tx.savepoint()?;
    let outcome = store_prepared(&sp, cfg, source, msg, prepared, now, opts)?;
    sp.commit()?;
    Ok(outcome)
}

/// Store one prepared message on `sp` (a transaction or savepoint the caller ends).
fn store_prepared(
    sp: &rusqlite::Connection,
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
        verdict,
    } = prepared;
    // Stored before, or stored and since erased under the retention schedule.
    // Mail stored before keys carried the content digest has the bare Message-ID as
    // its key, and mail erased then is known by that key's hash: looked up in the same
    // statement (an empty id matches nothing).
    let old_id = match &parsed {
        Ok(p) => p.message_id.as_deref().unwrap_or_default(),
        Err(_) => "",
    };
    let (seen, old_key): (bool, bool) = sp
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE ingest_key = ?1)
                 OR EXISTS (SELECT 1 FROM quarantine WHERE ingest_key = ?1)
                 OR EXISTS (SELECT 1 FROM erased_mail WHERE key_hash IN (?2, ?3)),
                    EXISTS (SELECT 1 FROM messages WHERE ingest_key = ?4)
                 OR EXISTS (SELECT 1 FROM quarantine WHERE ingest_key = ?4)",
        )?
        .query_row(params![key, key_hash, old_key_hash, old_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let same_as_old = old_key
        && match &parsed {
            Ok(p) => same_as_stored_under_old_key(sp, old_id, &p.content_digest)?,
            Err(_) => false,
        };
    if seen || same_as_old {
        return Ok(Outcome::Duplicate);
    }
    let now_s = crate::time::stamp(now);
    let mut p = match parsed {
        Ok(p) if p.from.is_some() => p,
        Ok(_) => {
            let reason = "no sender address (From)".to_string();
            quarantine(sp, source, &key, msg.raw, &reason, &now_s)?;
            return Ok(Outcome::Quarantined { reason });
        }
        Err(reason) => {
            quarantine(sp, source, &key, msg.raw, &reason, &now_s)?;
            return Ok(Outcome::Quarantined { reason });
        }
    };
    let from = p.from.clone().unwrap_or_default();
    let inbox = cfg.council.email.to_lowercase();
    // Our own letter coming back, or mail from the inbox itself: a loop.
    // (Our letters' Message-IDs end in @ our mail domain: any other cannot be one.)
    let ours: bool = match &p.message_id {
        Some(id) => match id.trim_matches(|c| c == '<' || c == '>').rsplit_once('@') {
            // Ours are <reference.kind.id@domain>, all in lower case but the domain,
            // written as the config has it: look it up in exactly that form.
            Some((local, domain)) if domain.eq_ignore_ascii_case(cfg.mail_domain()) => sp
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM letters WHERE message_id = ?1)")?
                .query_row(
                    [format!(
                        "<{}@{}>",
                        local.to_ascii_lowercase(),
                        cfg.mail_domain()
                    )],
                    |r| r.get(0),
                )?,
            _ => false,
        },
        None => false,
    };
    if p.noise.is_none() && (ours || from == inbox) {
        p.noise = Some(if ours {
            "our own letter came back (loop)".into()
        } else {
            "sent from the complaints inbox itself (loop)".into()
        });
    }
    let received_at = msg
        .delivered_at
        .or(p.date.filter(|d| *d <= now))
        .unwrap_or(now)
        .min(now);
    let old = now - received_at > Duration::days(cfg.inbound.backlog_cutoff_days);

    // Bounces: link to the letter they report on and flag the case.
    if p.is_bounce {
        let (case_id, reason) = match bounced_letter(sp, msg.raw, cfg.mail_domain())? {
            Some((letter_id, case_id, reference)) => {
                flag(sp, case_id, &format!("letter {letter_id} bounced"))?;
                store::insert_event(
                    sp,
                    case_id,
                    now,
                    "mail",
                    "letter bounced",
                    None,
                    None,
                    Some(&format!("delivery failure report for letter {letter_id}")),
                )?;
                (Some(case_id), format!("bounce of a letter on {reference}"))
            }
            None => (
                None,
                "bounce (delivery failure report) for no letter of ours".into(),
            ),
        };
        insert_message(
            sp,
            case_id,
            &key,
            msg.raw,
            &p,
            &received_at,
            "bounce",
            None,
            Some(&reason),
            None,
        )?;
        return Ok(Outcome::Noise { reason });
    }

    if let Some(m) = thread(sp, cfg, &p, now)? {
        // Identity is the From address (a relay's Reply-To, see `via_relay`), never a
        // Reply-To anyone can write.
        let party = m.customer.as_deref() == Some(from.as_str());
        let unproven = if party { unverified(cfg, &p) } else { None };
        let mut by = m.by.to_string();
        let mut no_reply = p.noise.clone().or_else(|| {
            p.auto_reply_subject
                .then(|| "auto-reply (out-of-office subject)".to_string())
        });
        if !party {
            // Never let one resident's reference pull someone else into their case.
            by = format!("third-party ({})", m.by);
            flag(sp, m.case_id, "third-party correspondence")?;
            no_reply = Some("sender is not a party to the case".into());
        } else if let Some(why) = &unproven {
            // The customer's address, but not proven theirs: kept on the case for an
            // officer, never acted on (no review request, no reply window).
            by = format!("unverified ({})", m.by);
            flag(sp, m.case_id, &format!("sender not verified: {why}"))?;
            no_reply = Some(format!("sender not verified: {why}"));
        } else if m.state == State::Closed.as_str() {
            by = format!("{} (closed case)", m.by);
            flag(sp, m.case_id, "correspondence on a closed case")?;
        } else if m.by == "probable" {
            flag(
                sp,
                m.case_id,
                "probable match: check this message belongs here",
            )?;
        }
        insert_message(
            sp,
            Some(m.case_id),
            &key,
            msg.raw,
            &p,
            &received_at,
            "attached",
            Some(&by),
            no_reply.as_deref(),
            None,
        )?;
        let who = match (party, &unproven) {
            (false, _) => "third party",
            (true, Some(_)) => "the customer's address (unverified)",
            (true, None) => "customer",
        };
        store::insert_event(
            sp,
            m.case_id,
            now,
            "mail",
            "message received",
            None,
            None,
            Some(&format!("from {who}, matched by {by}")),
        )?;
        return Ok(Outcome::Attached {
            reference: m.reference,
            matched_by: by,
        });
    }

    if let Some(reason) = p.noise.clone() {
        insert_message(
            sp,
            None,
            &key,
            msg.raw,
            &p,
            &received_at,
            "noise",
            None,
            Some(&reason),
            None,
        )?;
        return Ok(Outcome::Noise { reason });
    }

    // A new case.
    let verdict = verdict.unwrap_or_else(|| cfg.triage.classify(&p.subject, &p.body));
    let subject = if p.subject.is_empty() {
        "(no subject)".to_string()
    } else {
        crate::text::cap(p.subject.clone(), crate::text::SUBJECT_MAX)
    };
    // Whether an automatic letter may go (decided before the case exists: it changes
    // how the case is opened).
    let restriction: Option<String> = sp
        .prepare_cached("SELECT restriction FROM customers WHERE email = ?1")?
        .query_row([&from], |r| r.get(0))
        .optional()?
        .flatten();
    let since = crate::time::stamp(now - Duration::hours(24));
    let recent = store::automatic_letters_to(sp, &from, &since)?;
    let hour = now.format("%Y-%m-%dT%H").to_string();
    let this_hour = store::automatic_letters_in_hour(sp, &hour)?;
    let redirect = matches!(verdict.kind, Kind::ServiceRequest | Kind::OutOfScope);
    let hold = if opts.backlog {
        Some("backlog import: never acknowledged".to_string())
    } else if old {
        Some(format!(
            "older than {} days when first seen: never acknowledged",
            cfg.inbound.backlog_cutoff_days
        ))
    } else if restriction.as_deref() == Some("no-response") {
        Some("customer restricted to no response".to_string())
    } else if recent >= cfg.inbound.max_auto_replies_per_day {
        Some(format!(
            "rate limit: {recent} automatic letters to this address in 24 hours"
        ))
    } else if this_hour >= cfg.inbound.max_auto_letters_per_hour {
        Some(format!(
            "rate limit: {this_hour} automatic letters to all senders this hour"
        ))
    } else if redirect && !cfg.inbound.auto_redirect {
        Some("redirect held for an officer to confirm".to_string())
    } else {
        None
    };
    // The letter is owed and stored below in this same transaction, so the case is
    // written acknowledged as of today (the events still show received, then
    // acknowledged), and its deadlines are computed once, from that.
    let today = crate::calendar::london_date(now);
    let acknowledged = match hold {
        None => Some((
            case::transition(State::Received, Action::Acknowledge)
                .map_err(|e| StoreError::Illegal(subject.clone(), e))?,
            today,
        )),
        Some(_) => None,
    };
    let (case_id, reference) = store::create_case_with(
        sp,
        &NewCase {
            kind: verdict.kind,
            email: &from,
            // With proof of sender required, only proven mail may name the customer.
            name: p
                .from_name
                .as_deref()
                .filter(|_| unverified(cfg, &p).is_none()),
            subject: Some(&subject),
            service: None,
            received_at,
        },
        &cfg.policy,
        cfg.reference_prefix(),
        &cfg.calendar,
        "mail",
        acknowledged.map(|(to, on)| (to.as_str(), on)),
    )?;
    store::insert_event(
        sp,
        case_id,
        now,
        "triage",
        "classified",
        None,
        None,
        Some(&verdict.reason),
    )?;
    let msg_ref = p
        .message_id
        .as_ref()
        .map(|id| format!("<{}>", id.trim_matches(|c| c == '<' || c == '>')));
    insert_message(
        sp,
        Some(case_id),
        &key,
        msg.raw,
        &p,
        &received_at,
        "new-case",
        Some("new"),
        hold.as_deref(),
        Some((verdict.kind.as_str(), &verdict.reason)),
    )?;
    let acknowledged = match &hold {
        Some(why) => {
            flag(sp, case_id, why)?;
            store::insert_event(
                sp,
                case_id,
                now,
                "mail",
                "no automatic letter",
                None,
                None,
                Some(why),
            )?;
            false
        }
        None => {
            let kind = match verdict.kind {
                Kind::Complaint => "acknowledgement",
                Kind::Compliment => "compliment-thanks",
                Kind::Comment => "comment-acknowledgement",
                Kind::ServiceRequest => "service-request-redirect",
                Kind::OutOfScope => "out-of-scope-redirect",
            };
            let mut data = serde_json::json!({});
            if let Some(r) = &verdict.redirect {
                data = serde_json::to_value(r).unwrap_or(data);
            }
            if let Some(e) = &verdict.exclusion {
                data["exclusion"] = serde_json::Value::String(e.clone());
            }
            store::count_automatic_letter(sp, &hour)?;
            store::request_letter(
                sp,
                &LetterRequest {
                    case_id,
                    reference: &reference,
                    kind,
                    to_addr: Some(&from),
                    in_reply_to: msg_ref.as_deref(),
                    references: msg_ref.as_deref(),
                    data,
                    automatic: true,
                    actor: "mail",
                    at: now,
                    domain: cfg.mail_domain(),
                },
            )?;
            // The acknowledgement is owed and stored: the case is acknowledged as of now.
            // The case row and its acknowledgement deadline (met today) were written so.
            let to = acknowledged.map_or(State::Acknowledged, |(to, _)| to);
            store::insert_event(
                sp,
                case_id,
                now,
                "mail",
                "acknowledge",
                Some("received"),
                Some(to.as_str()),
                Some(kind),
            )?;
            true
        }
    };
    Ok(Outcome::NewCase {
        reference,
        kind: verdict.kind,
        acknowledged,
    })
}

/// Store a message's row and its attachments; `triage` (kind, reason) for the message
/// that opened a case.
#[allow(clippy::too_many_arguments)]
fn insert_message(
    tx: &rusqlite::Connection,
    case_id: Option<i64>,
    key: &str,
    raw: &[u8],
    p: &Parsed,
    received_at: &DateTime<Utc>,
    status: &str,
    matched_by: Option<&str>,
    no_reply: Option<&str>,
    triage: Option<(&str, &str)>,
) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT INTO messages (case_id, ingest_key, raw, from_addr, subject, sent_at, received_at, status,
                               message_id, in_reply_to, refs, reply_to, body_text, matched_by, no_reply_reason, size,
                               triage, triage_reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)")?.execute(
        params![
            case_id,
            key,
            RawValue(raw),
            p.from,
            p.subject,
            p.date.map(crate::time::stamp),
            crate::time::stamp(*received_at),
            status,
            p.message_id,
            p.in_reply_to.first(),
            if p.references.is_empty() { None } else { Some(p.references.join(" ")) },
            p.reply_to,
            p.body,
            matched_by,
            no_reply,
            raw.len() as i64,
            triage.map(|t| t.0),
            triage.map(|t| t.1)
        ],
    )?;
    let id = tx.last_insert_rowid();
    fill_raw(tx, "messages", id, raw)?;
    store_attachments(tx, id, &p.attachments)
}

/// Raw mail at least this big is written in place after its row (see [`RawValue`]).
const BIG_RAW: usize = 1 << 20;

/// A message's raw bytes as a statement binds them: small ones as they are; a big one
/// as a zero-filled blob of its length, filled in by [`fill_raw`] once the row exists.
/// Binding the bytes would copy them twice (the bound value, then the row's record);
/// a zero blob at the end of a record (raw is the last column, migration 10) costs
/// SQLite no memory at all, and the blob is then written page by page.
struct RawValue<'a>(&'a [u8]);

impl rusqlite::ToSql for RawValue<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        if self.0.len() >= BIG_RAW {
            Ok(rusqlite::types::ToSqlOutput::ZeroBlob(self.0.len() as i32))
        } else {
            self.0.to_sql()
        }
    }
}

/// Write a big message's bytes into the zero blob [`RawValue`] reserved in `table`'s
/// row `rowid`.
fn fill_raw(
    tx: &rusqlite::Connection,
    table: &str,
    rowid: i64,
    raw: &[u8],
) -> rusqlite::Result<()> {
    if raw.len() < BIG_RAW {
        return Ok(());
    }
    let mut blob = tx.blob_open(rusqlite::MAIN_DB, table, "raw", rowid, false)?;
    blob.write_at(raw, 0)
}

/// Keep a message that cannot be a case's correspondence, with the reason (once per
/// ingestion key).
fn quarantine(
    tx: &rusqlite::Connection,
    source: &str,
    key: &str,
    raw: &[u8],
    reason: &str,
    at: &str,
) -> rusqlite::Result<()> {
    let n = tx.prepare_cached("INSERT OR IGNORE INTO quarantine (source, ingest_key, raw, reason, received_at) VALUES (?1, ?2, ?3, ?4, ?5)")?.execute(
        params![source, key, RawValue(raw), reason, at],
    )?;
    if n == 1 {
        fill_raw(tx, "quarantine", tx.last_insert_rowid(), raw)?;
    }
    Ok(())
}

fn store_attachments(
    tx: &rusqlite::Connection,
    message_id: i64,
    atts: &[Attachment],
) -> rusqlite::Result<()> {
    for a in atts {
        let note = a
            .over_limit
            .map(|limit| format!("left out: {} bytes, over the {limit} byte limit", a.size));
        tx.prepare_cached("INSERT INTO attachments (message_id, name, mime_type, size, sha256, content, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?.execute(
            params![message_id, a.name, a.mime_type, a.size as i64, a.sha256, a.content, note],
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
            Outcome::NewCase { acknowledged, .. } => {
                self.new_cases += 1;
                if *acknowledged {
                    self.acknowledged += 1;
                }
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
        let tx = store.conn_mut().transaction()?;
        let mut out = Vec::with_capacity(batch.len());
        let mut refused = false;
        for (m, p) in batch.iter().zip(prepared) {
            match store_prepared(&tx, cfg, source, m, p, now, opts) {
                Ok(o) => out.push(o),
                Err(StoreError::Sqlite(e)) if !is_fatal(&e) => {
                    refused = true;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        if !refused {
            if let Some((validity, last)) = position {
                store::save_position(&tx, source, validity, last, Utc::now())?;
            }
            tx.commit()?;
            return Ok(out);
        }
        // Dropping `tx` rolls the batch back.
    }
    // Careful path: one savepoint per message; the one refused is quarantined with the
    // reason and the rest are stored.
    let mut tx = store.conn_mut().transaction()?;
    let mut out = Vec::with_capacity(batch.len());
    for m in batch {
        let p = prepare_incoming(cfg, m);
        let o = match ingest_prepared(&mut tx, cfg, source, m, p, now, opts) {
            Ok(o) => o,
            // A database error on one message (not a full disk: that fails the commit
            // below) must not stop the rest: quarantine it with the reason.
            Err(StoreError::Sqlite(e)) if !is_fatal(&e) => {
                let key = format!("sha256:{}", sha256_hex(m.raw));
                let reason = format!("could not be stored: {e}");
                quarantine(&tx, source, &key, m.raw, &reason, &crate::time::stamp(now))?;
                Outcome::Quarantined { reason }
            }
            Err(e) => return Err(e),
        };
        out.push(o);
    }
    if let Some((validity, last)) = position {
        store::save_position(&tx, source, validity, last, Utc::now())?;
    }
    tx.commit()?;
    Ok(out)
}

fn is_fatal(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::*;
    matches!(
        e.sqlite_error_code(),
        Some(
            DiskFull
                | SystemIoFailure
                | CannotOpen
                | DatabaseBusy
                | DatabaseLocked
                | ReadOnly
                | DatabaseCorrupt
                | OutOfMemory
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_survive_mangling() {
        assert_eq!(
            find_references("BNES", "Re: [Ref BNES-2026-00042] bins"),
            vec!["BNES-2026-00042"]
        );
        assert_eq!(
            find_references("BNES", "AW: [Ref bnes - 2026 - 42]"),
            vec!["BNES-2026-00042"]
        );
        assert_eq!(
            find_references("BNES", "RE:[Ref BNES 2026 00042]"),
            vec!["BNES-2026-00042"]
        );
        assert!(find_references("BNES", "XBNES-2026-00042").is_empty());
    }

    #[test]
    fn subjects_normalise_through_reply_markers() {
        assert_eq!(
            normalise_subject("Re: RE: Fwd: [Ref EX-2026-00001]  Missed   bins"),
            "missed bins"
        );
        assert_eq!(normalise_subject("AW: Missed bins"), "missed bins");
    }

    #[test]
    fn only_the_customers_own_words_count_in_a_reply() {
        let gmail = "Thanks, that is fine.\n\nOn Mon, 14 Dec 2026 at 09:00, Complaints <c@x> wrote:\n> If you are not satisfied you can ask for a review.\n";
        assert_eq!(strip_quoted(gmail), "Thanks, that is fine.");
        let outlook = "All sorted now.\n________________________________\nFrom: Complaints\nSent: 14 December\nask for a review";
        assert_eq!(strip_quoted(outlook), "All sorted now.");
        let top = "I am not satisfied and want a review.\n-----Original Message-----\nblah";
        assert_eq!(strip_quoted(top), "I am not satisfied and want a review.");
    }

    #[test]
    fn html_becomes_readable_text() {
        let t = html_to_text("<html><head><style>p{}</style></head><body><p>Dear council,</p><p>My bin&nbsp;was missed &amp; not collected.<br>Thanks</p><script>x()</script></body></html>");
        assert_eq!(
            t,
            "Dear council,\n\nMy bin was missed & not collected.\nThanks"
        );
    }
}
