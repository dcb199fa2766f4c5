//! The email a rendered letter becomes: headers for threading and for RFC 3834, the
//! text and HTML bodies as alternatives, and the PDF letter attached.

use chrono::{DateTime, Utc};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{Address, Message};

use crate::case::Customer;
use crate::config::Config;
use crate::letter::{quoted, quoted_name};
use crate::store::outbox::{LetterAttachment, LetterContent, LetterRow};

/// RFC 5322 §2.1.1: no line of a message may be longer than this (without CRLF).
pub const MAX_LINE: usize = 998;
/// A Message-ID longer than this is dropped from In-Reply-To and References: with the
/// header's name it could not fit on one line (and no genuine mailer makes one).
const MAX_ID: usize = 900;
/// References keeps the first id (the thread's start) and the last few (the messages
/// just before ours), as RFC 5322 §3.6.4 allows when the list grows long.
const REFS_LAST: usize = 10;
/// The email Subject (the template's subject line) is cut to this many characters.
const SUBJECT_MAX: usize = 300;

/// The Message-IDs in a stored header value (ids with or without their angle
/// brackets, separated by white space or commas), each as `<...>`; none over
/// [`MAX_ID`] characters. The value must be a list of well-formed ids and nothing
/// else: one piece that is not (`Bcc:`, `<a b@x>`, `<nodomain>`) and the whole value
/// is dropped, so no piece of a malformed header reaches ours.
fn message_ids(raw: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for token in raw
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
    {
        let inner = match (token.strip_prefix('<'), token.strip_suffix('>')) {
            (Some(_), Some(_)) if token.len() >= 2 => &token[1..token.len() - 1],
            (None, None) => token,
            _ => return Vec::new(),
        };
        if !crate::message::well_formed_id(inner) {
            return Vec::new();
        }
        if inner.len() + 2 <= MAX_ID {
            ids.push(format!("<{inner}>"));
        }
    }
    ids
}

/// References as it goes out: the first id and the last [`REFS_LAST`], each checked.
fn references(raw: &str) -> Option<String> {
    let ids = message_ids(raw);
    let kept: Vec<&String> = if ids.len() > REFS_LAST + 1 {
        std::iter::once(&ids[0])
            .chain(ids[ids.len() - REFS_LAST..].iter())
            .collect()
    } else {
        ids.iter().collect()
    };
    (!kept.is_empty()).then(|| {
        kept.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// The Subject as it goes out: on one line, cleaned, at most [`SUBJECT_MAX`]
/// characters, keeping a closing `[Ref ...]` tag whole (replies find their case by it).
fn email_subject(raw: &str) -> String {
    let s = quoted(raw, usize::MAX);
    if s.chars().count() <= SUBJECT_MAX {
        return s;
    }
    match s.rfind("[Ref ") {
        Some(i) if s.ends_with(']') && s[i..].chars().count() < SUBJECT_MAX / 2 => {
            let tag = &s[i..];
            let head = quoted(&s[..i], SUBJECT_MAX - tag.chars().count() - 1);
            format!("{head} {tag}")
        }
        _ => quoted(&s, SUBJECT_MAX),
    }
}

/// The first line over [`MAX_LINE`] characters in a formatted message, if any.
pub fn overlong_line(formatted: &[u8]) -> Option<usize> {
    formatted
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).len())
        .enumerate()
        .find(|&(_, len)| len > MAX_LINE)
        .map(|(i, _)| i + 1)
}

/// Build the message for one letter. An error here is permanent (a bad address will
/// not get better by retrying) and is said in words for the officer.
pub fn build_message(
    config: &Config,
    letter: &LetterRow,
    content: &LetterContent,
    customer: &Customer,
    enclosures: &[LetterAttachment],
    now: DateTime<Utc>,
) -> Result<Message, String> {
    let from_addr: Address = config.council.email.trim().parse().map_err(|e| {
        format!(
            "the council's inbox address '{}' is not valid: {e}",
            config.council.email
        )
    })?;
    let to = letter
        .to_addr
        .as_deref()
        .or(customer.email.as_deref())
        .ok_or("no email address for this letter")?;
    let to_addr: Address = to
        .trim()
        .parse()
        .map_err(|e| format!("the recipient address '{to}' is not valid: {e}"))?;
    // The customer's name only when the letter goes to the customer.
    // Names and the subject came (perhaps long ago) from a sender: no control
    // characters (a CR or LF would break the header, and panics lettre), capped; a
    // name with nothing printable left is no name.
    let to_name =
        if letter.to_addr.is_none() || letter.to_addr.as_deref() == customer.email.as_deref() {
            quoted_name(customer.name.as_deref())
        } else {
            None
        };
    let subject = email_subject(&content.subject);
    let mut b = Message::builder()
        .from(Mailbox::new(
            quoted_name(Some(&config.council.name)),
            from_addr,
        ))
        .to(Mailbox::new(to_name, to_addr))
        .subject(subject)
        .message_id(Some(letter.message_id.clone()))
        .date(now.into());
    // The resident's copy of a letter to their representative (with their consent). An
    // address that will not parse is left off rather than stopping the letter.
    if let Some(cc) = letter.cc_addr.as_deref() {
        if let Ok(a) = cc.trim().parse::<Address>() {
            b = b.cc(Mailbox::new(None, a));
        }
    }
    // In-Reply-To: the message we answer, if its id is sound; it is dropped otherwise.
    let in_reply_to = letter
        .in_reply_to
        .as_deref()
        .and_then(|s| message_ids(s).into_iter().next());
    if let Some(irt) = &in_reply_to {
        b = b.in_reply_to(irt.clone());
    }
    // References: the customer's thread, or at least the message we answer.
    let refs = letter.refs.as_deref().and_then(references).or(in_reply_to);
    if let Some(r) = refs {
        b = b.references(r);
    }
    if letter.automatic {
        // RFC 3834: an automatic reply, so that other robots do not answer it.
        let name = HeaderName::new_from_ascii_str("Auto-Submitted");
        b = b.raw_header(HeaderValue::new(name, "auto-replied".to_string()));
    }
    let html = content.body_html.clone().unwrap_or_default();
    let alternative = MultiPart::alternative_plain_html(content.body_text.clone(), html);
    let body = match (&content.pdf, &content.pdf_name) {
        (Some(pdf), name) => {
            let mut mixed = MultiPart::mixed().multipart(alternative).singlepart(
                Attachment::new(
                    name.clone()
                        .unwrap_or_else(|| format!("{}-{}.pdf", letter.reference, letter.kind)),
                )
                .body(
                    pdf.clone(),
                    ContentType::parse("application/pdf").expect("a valid MIME type"),
                ),
            );
            // The files the officer enclosed, after the letter that lists them.
            for e in enclosures {
                let ct = ContentType::parse(&e.content_type).map_err(|_| {
                    format!(
                        "cannot build the email: enclosure '{}' has type '{}'",
                        quoted(&e.name, 100),
                        quoted(&e.content_type, 100)
                    )
                })?;
                mixed = mixed.singlepart(Attachment::new(e.name.clone()).body(e.bytes.clone(), ct));
            }
            mixed
        }
        (None, _) if !enclosures.is_empty() => {
            return Err(
                "cannot build the email: files are enclosed but the letter has no PDF".into(),
            )
        }
        (None, _) => alternative,
    };
    let m = b
        .multipart(body)
        .map_err(|e| format!("cannot build the email: {e}"))?;
    if let Some(line) = overlong_line(&m.formatted()) {
        return Err(format!(
            "cannot build the email: line {line} is longer than {MAX_LINE} characters"
        ));
    }
    Ok(m)
}

/// [`build_message`], with a panic inside the mail library (say, on a header value it
/// cannot write) turned into an error: the letter fails with a reason, and the outbox
/// goes on with the next one.
pub fn build_message_guarded(
    build: impl FnOnce() -> Result<Message, String>,
) -> Result<Message, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(build)).unwrap_or_else(|p| {
        let what = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        Err(format!(
            "cannot build the email: the mail library failed ({})",
            quoted(&what, 200)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_keep_the_first_and_last_ids_and_drop_monsters() {
        let ids: Vec<String> = (0..200).map(|i| format!("<id{i}@example.net>")).collect();
        let mut raw = ids.join(" \r\n ");
        raw.push_str(&format!(" <{}@x>", "a".repeat(5000)));
        let r = references(&raw).unwrap();
        let kept: Vec<&str> = r.split(' ').collect();
        assert_eq!(kept.len(), 1 + REFS_LAST);
        assert_eq!(kept[0], "<id0@example.net>");
        assert_eq!(kept[REFS_LAST], "<id199@example.net>");
        assert_eq!(references("<a\u{0}b@x> <ü@x>"), None);
        assert_eq!(references("<ü@x> \u{1b}"), None);
    }

    #[test]
    fn only_well_formed_ids_and_no_pieces_of_a_malformed_one() {
        for ok in [
            "<a@b>",
            "a.b-c@d.e",
            "<x@[127.0.0.1]>",
            "<a!#$%&'*+/=?^_`{|}~@b>",
        ] {
            assert_eq!(message_ids(ok).len(), 1, "{ok}");
        }
        assert_eq!(
            message_ids("<a@b>\r\n <c@d>, e@f"),
            ["<a@b>", "<c@d>", "<e@f>"]
        );
        for bad in [
            "<Bcc:> <q@evil.example>",
            "Bcc:> <q@evil.example",
            "<Bcc: q@evil.example>",
            "<a b@evil.example>",
            "<q@evil.example> Bcc: <r@evil.example>",
            "<nodomain>",
            "<a@b@c>",
            "<<q@evil.example>>",
            "<q@evil.example",
            "q@evil.example>",
            "<@evil.example>",
            "<q@>",
            "<q..r@x>",
            "<q@x.>",
            "<q@x\r\nBcc: y@z>",
            "<a(b)@c>",
            "<",
            "<>",
        ] {
            assert_eq!(message_ids(bad), Vec::<String>::new(), "{bad:?}");
            assert_eq!(references(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_long_subject_is_cut_before_its_reference_tag() {
        let s = email_subject(&format!("{} [Ref BNES-2026-00001]", "word ".repeat(500)));
        assert!(s.chars().count() <= SUBJECT_MAX, "{}", s.len());
        assert!(s.ends_with("word\u{2026} [Ref BNES-2026-00001]"), "{s}");
        assert_eq!(email_subject("Hello\r\n\0 [Ref X]"), "Hello [Ref X]");
    }

    #[test]
    fn a_panic_while_building_is_an_error_with_its_reason() {
        let r = build_message_guarded(|| panic!("header value with a newline"));
        let e = r.unwrap_err();
        assert!(e.contains("header value with a newline"), "{e}");
    }

    #[test]
    fn overlong_lines_are_found() {
        assert_eq!(overlong_line(b"a: b\r\nc: d\r\n"), None);
        let long = format!("a: b\r\nX: {}\r\n", "y".repeat(MAX_LINE));
        assert_eq!(overlong_line(long.as_bytes()), Some(2));
    }
}
