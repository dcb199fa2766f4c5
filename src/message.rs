//! One raw message, parsed: the facts ingestion needs (sender, subject, threading
//! headers, readable body, attachments), why no automatic reply may answer it, and the
//! content digest. Pure: no database, no configuration.

use chrono::{DateTime, TimeZone, Utc};
use mail_parser::{MessageParser, MimeHeaders};
use regex::Regex;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// SHA-256 of `b`, as lower-case hex: attachment and content digests, ingestion keys.
pub fn sha256_hex(b: &[u8]) -> String {
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
    // The words joined by single spaces, lower-cased (one pass, no list of words).
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out.to_lowercase()
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
    /// The sender's address: None when the From names none, or none that is an
    /// address (see [`from_unusable`](Self::from_unusable)).
    pub from: Option<String>,
    /// What the From header gave in place of an address, on one line and short, when
    /// it was not one (`img src=x onerror=alert`): the quarantine says so.
    pub from_unusable: Option<String>,
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
    /// Why its content was left out, when not for its own size (it came in a message
    /// over the message size limit, released from the quarantine).
    pub left_out: Option<String>,
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

/// `left@right` as RFC 5322 §3.6.4 has it: each side dot-atom text (the right may
/// be a `[...]` literal), so no space, angle bracket, colon or other header piece.
pub fn well_formed_id(id: &str) -> bool {
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let dot_atom =
        |s: &str| !s.is_empty() && s.split('.').all(|a| !a.is_empty() && a.chars().all(atext));
    let Some((left, right)) = id.split_once('@') else {
        return false;
    };
    let literal = |s: &str| {
        s.strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .is_some_and(|d| {
                d.chars()
                    .all(|c| c.is_ascii_graphic() && !matches!(c, '[' | ']' | '\\'))
            })
    };
    dot_atom(left) && (dot_atom(right) || literal(right))
}

/// An email address we may write to and open a case for: `local@domain`, the local
/// part dot-atom text (letters of any script allowed, RFC 6531), the domain labels of
/// letters, digits and hyphens. A quoted local part or an address literal is not
/// taken (such mail is quarantined for an officer), nor anything with a space, an
/// angle bracket or other markup in it.
pub fn valid_address(a: &str) -> bool {
    let Some((local, domain)) = a.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c))
        });
    let domain_ok = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
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
    let from_written = from
        .and_then(|a| a.address())
        .map(|s| s.trim().to_lowercase());
    let from_addr = from_written.clone().filter(|a| valid_address(a));
    // What stood in the From instead of an address (or the header itself, when the
    // parser found nothing in it), for the quarantine's reason.
    let from_unusable = match (&from_addr, from_written) {
        (Some(_), _) => None,
        (None, Some(w)) => Some(w),
        (None, None) => header_text(&m, "From"),
    }
    .map(|w| crate::text::one_line(&w, 80))
    .filter(|w| !w.is_empty());
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
            left_out: None,
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
    let content_digest = content_digest(&m, raw);
    // The Message-ID headers as written: the parser takes what it can from a malformed
    // one (`<Bcc:> <q@evil.example>` gives `q@evil.example`), so a Message-ID is kept
    // only when a header holds exactly it, `<left@right>` and nothing else; otherwise
    // the message has none (and is keyed by its bytes), and no reply threads on it.
    let raw_message_ids: Vec<String> = m
        .headers()
        .iter()
        .filter(|h| h.name.as_str().eq_ignore_ascii_case("Message-ID"))
        .filter_map(|h| raw.get(h.offset_start as usize..h.offset_end as usize))
        .map(|v| String::from_utf8_lossy(v).trim().to_string())
        .collect();
    Some(Parsed {
        message_id: m
            .message_id()
            .map(|s| s.trim().to_string())
            .filter(|s| well_formed_id(s) && raw_message_ids.contains(&format!("<{s}>"))),
        from_domain: from_addr
            .as_deref()
            .and_then(|a| a.rsplit_once('@'))
            .map(|(_, d)| d.to_string()),
        from: from_addr,
        from_unusable,
        from_name: crate::text::display_name(from_name_raw),
        reply_to: reply_to
            .and_then(|a| a.address())
            .map(|s| s.trim().to_lowercase())
            .filter(|a| valid_address(a)),
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

/// SHA-256 of what makes a message what it is: the From, Reply-To, Subject and Date
/// headers as written, and the body section (see [`Parsed::content_digest`]).
fn content_digest(m: &mail_parser::Message, raw: &[u8]) -> String {
    let mut h = Sha256::new();
    for name in ["From", "Reply-To", "Subject", "Date"] {
        h.update(m.header_raw(name).unwrap_or("").trim().as_bytes());
        h.update([0]);
    }
    h.update(body_section(raw));
    hex(&h.finalize())
}

/// The Message-IDs at `domain` named anywhere in `raw` (a bounce's report quotes the
/// letter it reports on), in the order they appear.
pub fn ids_at_domain(raw: &[u8], domain: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let re =
        Regex::new(&format!(r"<[^<>\s]+@{}>", regex::escape(domain))).expect("message-id pattern");
    re.find_iter(&text)
        .map(|m| m.as_str().to_string())
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_message_id_is_no_message_id() {
        let id = |h: &str| {
            let raw = format!("From: a@example.org\r\nSubject: s\r\nMessage-ID: {h}\r\n\r\nHi\r\n");
            parse(raw.as_bytes()).unwrap().message_id
        };
        assert_eq!(id("<q@example.org>").as_deref(), Some("q@example.org"));
        assert_eq!(
            id("\r\n <q@example.org> ").as_deref(),
            Some("q@example.org")
        );
        for bad in [
            "<Bcc:> <q@evil.example>",
            "<a b@x>",
            "<nodomain>",
            "q@x",
            "<q@x> <r@x>",
        ] {
            assert_eq!(id(bad), None, "{bad}");
        }
    }

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
