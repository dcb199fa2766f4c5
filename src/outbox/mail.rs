//! The email a rendered letter becomes: headers for threading and for RFC 3834, the
//! text and HTML bodies as alternatives, and the PDF letter attached.

use chrono::{DateTime, Utc};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{Address, Message};

use crate::config::Config;
use crate::store::outbox::{CustomerRow, LetterContent, LetterRow};

/// Build the message for one letter. An error here is permanent (a bad address will
/// not get better by retrying) and is said in words for the officer.
pub fn build_message(
    config: &Config,
    letter: &LetterRow,
    content: &LetterContent,
    customer: &CustomerRow,
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
    let to_name =
        if letter.to_addr.is_none() || letter.to_addr.as_deref() == customer.email.as_deref() {
            customer.name.clone()
        } else {
            None
        };
    let mut b = Message::builder()
        .from(Mailbox::new(Some(config.council.name.clone()), from_addr))
        .to(Mailbox::new(to_name, to_addr))
        .subject(content.subject.clone())
        .message_id(Some(letter.message_id.clone()))
        .date(now.into());
    if let Some(irt) = letter
        .in_reply_to
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        b = b.in_reply_to(irt.trim().to_string());
    }
    // References: the customer's thread, or at least the message we answer.
    let refs = letter
        .refs
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .or(letter
            .in_reply_to
            .as_deref()
            .filter(|s| !s.trim().is_empty()));
    if let Some(r) = refs {
        b = b.references(r.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    if letter.automatic {
        // RFC 3834: an automatic reply, so that other robots do not answer it.
        let name = HeaderName::new_from_ascii_str("Auto-Submitted");
        b = b.raw_header(HeaderValue::new(name, "auto-replied".to_string()));
    }
    let html = content.body_html.clone().unwrap_or_default();
    let alternative = MultiPart::alternative_plain_html(content.body_text.clone(), html);
    let body = match (&content.pdf, &content.pdf_name) {
        (Some(pdf), name) => MultiPart::mixed().multipart(alternative).singlepart(
            Attachment::new(
                name.clone()
                    .unwrap_or_else(|| format!("{}-{}.pdf", letter.reference, letter.kind)),
            )
            .body(
                pdf.clone(),
                ContentType::parse("application/pdf").expect("a valid MIME type"),
            ),
        ),
        (None, _) => alternative,
    };
    b.multipart(body)
        .map_err(|e| format!("cannot build the email: {e}"))
}
