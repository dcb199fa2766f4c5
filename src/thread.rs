//! Threading: which case a message belongs to, if any. The order of the clues is the
//! rule (our reference in the subject, then In-Reply-To/References, then our reference
//! quoted in the body, then a probable match on sender and subject); the lookups are
//! asked of [`Cases`], which the store answers (`store::messages::CaseLookup`) and a
//! test can answer from a table.

use chrono::{DateTime, Duration, Utc};

use crate::message::{find_references, normalise_subject, Parsed};

/// A case a clue pointed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub case_id: i64,
    pub reference: String,
    /// The customer's address, to tell parties from third parties.
    pub customer: Option<String>,
    pub state: String,
    /// Why it was closed, if it is.
    pub close_reason: Option<String>,
}

/// A case still open that the sender opened within the window, for the probable match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recent {
    pub case_id: i64,
    pub reference: String,
    pub subject: Option<String>,
    pub state: String,
}

/// How a message was matched to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub case: Candidate,
    /// "subject-ref", "header", "body-ref" or "probable".
    pub by: &'static str,
}

/// What threading needs to know of the cases on file.
pub trait Cases {
    type Error;
    /// The case with this reference.
    fn by_reference(&mut self, reference: &str) -> Result<Option<Candidate>, Self::Error>;
    /// The reference of the case a Message-ID (bare, without angle brackets) belongs
    /// to: one of our letters, or a message we received on a case (the sender's own
    /// case first, then the oldest).
    fn by_message_id(&mut self, bare_id: &str, sender: &str)
        -> Result<Option<String>, Self::Error>;
    /// The sender's cases not closed, received since `since`, newest first.
    fn open_from(&mut self, sender: &str, since: DateTime<Utc>)
        -> Result<Vec<Recent>, Self::Error>;
}

/// The Message-IDs a reply names, in the order they are tried: In-Reply-To, then
/// References from the newest back; each bare (no angle brackets).
pub fn replied_ids(p: &Parsed) -> Vec<String> {
    p.in_reply_to
        .iter()
        .chain(p.references.iter().rev())
        .map(|id| id.trim_matches(|c| c == '<' || c == '>').to_string())
        .collect()
}

/// The probable match: the newest of `recent` whose subject normalises to the
/// message's. Subjects shorter than four characters match nothing.
pub fn probable(subject: &str, recent: Vec<Recent>) -> Option<Recent> {
    probable_normalised(&normalise_subject(subject), recent)
}

/// [`probable`] for a subject already normalised.
fn probable_normalised(subject: &str, recent: Vec<Recent>) -> Option<Recent> {
    if subject.len() < 4 {
        return None;
    }
    recent
        .into_iter()
        .find(|r| r.subject.as_deref().map(normalise_subject).as_deref() == Some(subject))
}

/// The case `p` belongs to, by the first clue that names one.
pub fn find<C: Cases>(
    cases: &mut C,
    prefix: &str,
    window_days: i64,
    p: &Parsed,
    now: DateTime<Utc>,
) -> Result<Option<Match>, C::Error> {
    // 1. The reference in the subject.
    for r in find_references(prefix, &p.subject) {
        if let Some(case) = cases.by_reference(&r)? {
            return Ok(Some(Match {
                case,
                by: "subject-ref",
            }));
        }
    }
    // 2. In-Reply-To / References against our letters and the messages we received.
    let sender = p.from.as_deref().unwrap_or_default();
    for id in replied_ids(p) {
        if let Some(r) = cases.by_message_id(&id, sender)? {
            if let Some(case) = cases.by_reference(&r)? {
                return Ok(Some(Match { case, by: "header" }));
            }
        }
    }
    // 3. The reference quoted from our letters' footer in the body.
    for r in find_references(prefix, &p.body) {
        if let Some(case) = cases.by_reference(&r)? {
            return Ok(Some(Match {
                case,
                by: "body-ref",
            }));
        }
    }
    // 4. Same sender, same normalised subject, an open case within the window: probable.
    let Some(from) = &p.from else { return Ok(None) };
    let subject = normalise_subject(&p.subject);
    if subject.len() < 4 {
        return Ok(None);
    }
    let recent = cases.open_from(from, now - Duration::days(window_days))?;
    Ok(probable_normalised(&subject, recent).map(|r| Match {
        case: Candidate {
            case_id: r.case_id,
            reference: r.reference,
            customer: Some(from.clone()),
            state: r.state,
            close_reason: None,
        },
        by: "probable",
    }))
}

/// Whether a message stored with this no-reply reason (the `noise` of
/// [`crate::message::parse`], or admission's out-of-office subject) was sent by a
/// machine rather than written by the resident: an auto-reply or out-of-office, a
/// bounce, bulk or mailing-list mail.
pub fn machine_sent(no_reply_reason: Option<&str>) -> bool {
    no_reply_reason.is_some_and(|r| {
        ["auto-reply", "bounce", "bulk mail", "mailing list"]
            .iter()
            .any(|p| r.starts_with(p))
    })
}

/// The message a letter on a case replies to (its In-Reply-To and References): the
/// customer's latest message a person wrote, from `customer_messages` newest first as
/// (Message-ID, no-reply reason). An out-of-office or other automatic reply is never
/// the parent, so our letters stay on our thread; with no message a person wrote, our
/// own latest letter sent on the case. Bare ids in, `<id>` out.
pub fn letter_parent(
    customer_messages: &[(String, Option<String>)],
    our_latest: Option<&str>,
) -> Option<String> {
    customer_messages
        .iter()
        .find(|(_, why)| !machine_sent(why.as_deref()))
        .map(|(id, _)| id.as_str())
        .or(our_latest)
        .map(|m| format!("<{}>", m.trim_matches(|c| c == '<' || c == '>')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    /// Cases on file as a table.
    #[derive(Default)]
    struct Table {
        cases: Vec<Candidate>,
        /// (bare Message-ID, reference)
        ids: Vec<(&'static str, &'static str)>,
        recent: Vec<Recent>,
        asked_recent: bool,
    }

    impl Cases for Table {
        type Error = Infallible;
        fn by_reference(&mut self, r: &str) -> Result<Option<Candidate>, Infallible> {
            Ok(self.cases.iter().find(|c| c.reference == r).cloned())
        }
        fn by_message_id(&mut self, id: &str, _: &str) -> Result<Option<String>, Infallible> {
            Ok(self
                .ids
                .iter()
                .find(|(i, _)| *i == id)
                .map(|(_, r)| r.to_string()))
        }
        fn open_from(&mut self, _: &str, _: DateTime<Utc>) -> Result<Vec<Recent>, Infallible> {
            self.asked_recent = true;
            Ok(self.recent.clone())
        }
    }

    fn case(n: i64, customer: &str) -> Candidate {
        Candidate {
            case_id: n,
            reference: format!("BNES-2026-{n:05}"),
            customer: Some(customer.into()),
            state: "acknowledged".into(),
            close_reason: None,
        }
    }

    fn msg(subject: &str, body: &str, in_reply_to: &[&str]) -> Parsed {
        Parsed {
            from: Some("resident@example.org".into()),
            subject: subject.into(),
            body: body.into(),
            in_reply_to: in_reply_to.iter().map(|s| s.to_string()).collect(),
            ..Parsed::default()
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-14T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn found(t: &mut Table, p: &Parsed) -> Option<(i64, &'static str)> {
        let Ok(m) = find(t, "BNES", 30, p, now());
        m.map(|m| (m.case.case_id, m.by))
    }

    #[test]
    fn the_subject_reference_wins_over_headers_and_body() {
        let mut t = Table {
            cases: vec![case(1, "a@x"), case(2, "b@x"), case(3, "c@x")],
            ids: vec![("letter.2@council", "BNES-2026-00002")],
            ..Table::default()
        };
        let p = msg(
            "Re: [Ref BNES-2026-00001] bins",
            "Our reference: BNES-2026-00003",
            &["<letter.2@council>"],
        );
        assert_eq!(found(&mut t, &p), Some((1, "subject-ref")));
        let p = msg(
            "Re: bins",
            "Our reference: BNES-2026-00003",
            &["<letter.2@council>"],
        );
        assert_eq!(found(&mut t, &p), Some((2, "header")));
        let p = msg("Re: bins", "Our reference: BNES-2026-00003", &[]);
        assert_eq!(found(&mut t, &p), Some((3, "body-ref")));
    }

    #[test]
    fn a_reference_to_no_case_falls_through_to_the_next_clue() {
        let mut t = Table {
            cases: vec![case(3, "c@x")],
            ..Table::default()
        };
        let p = msg("[Ref BNES-2026-00099] bins", "see BNES-2026-00003", &[]);
        assert_eq!(found(&mut t, &p), Some((3, "body-ref")));
    }

    #[test]
    fn in_reply_to_is_tried_before_references_newest_first() {
        let mut p = msg("Re: bins", "", &["<b@x>"]);
        p.references = vec!["<a@x>".into(), "<c@x>".into()];
        assert_eq!(replied_ids(&p), vec!["b@x", "c@x", "a@x"]);
    }

    #[test]
    fn the_probable_match_needs_the_same_subject_and_a_real_one() {
        let recent = |subject: &str| Recent {
            case_id: 7,
            reference: "BNES-2026-00007".into(),
            subject: Some(subject.into()),
            state: "acknowledged".into(),
        };
        let mut t = Table {
            recent: vec![recent("Missed bins")],
            ..Table::default()
        };
        assert_eq!(
            found(&mut t, &msg("RE: Fwd: missed   BINS", "", &[])),
            Some((7, "probable"))
        );
        assert_eq!(found(&mut t, &msg("Missed bins again", "", &[])), None);
        // Too short to mean anything: the cases on file are not even asked.
        let mut t = Table {
            recent: vec![recent("Hi")],
            ..Table::default()
        };
        assert_eq!(found(&mut t, &msg("Re: hi", "", &[])), None);
        assert!(!t.asked_recent);
    }

    #[test]
    fn the_probable_match_is_the_senders_own_case() {
        let mut t = Table {
            recent: vec![Recent {
                case_id: 7,
                reference: "BNES-2026-00007".into(),
                subject: Some("Missed bins".into()),
                state: "closed".into(),
            }],
            ..Table::default()
        };
        let Ok(Some(m)) = find(&mut t, "BNES", 30, &msg("Missed bins", "", &[]), now()) else {
            panic!("no match")
        };
        assert_eq!(m.case.customer.as_deref(), Some("resident@example.org"));
    }

    #[test]
    fn an_out_of_office_is_never_the_parent_of_our_letter() {
        // Issue 13, item 6: later letters reply to our thread, not to an auto-reply.
        let ooo = crate::message::parse(
            b"From: ann@example.org\r\nSubject: Automatic reply: your complaint\r\n\
              Auto-Submitted: auto-replied\r\nMessage-ID: <ooo.1@example.org>\r\n\r\nI am away.\r\n",
        )
        .unwrap();
        assert!(machine_sent(ooo.noise.as_deref()), "{:?}", ooo.noise);
        assert!(machine_sent(Some("auto-reply (out-of-office subject)")));
        assert!(!machine_sent(None));
        assert!(!machine_sent(Some("sender not verified: no dmarc")));
        let real = ("real.1@example.org".to_string(), None);
        let auto = ("ooo.1@example.org".to_string(), ooo.noise.clone());
        assert_eq!(
            letter_parent(&[auto.clone(), real.clone()], Some("<ours@council>")),
            Some("<real.1@example.org>".into())
        );
        assert_eq!(
            letter_parent(std::slice::from_ref(&auto), Some("<ours@council>")),
            Some("<ours@council>".into())
        );
        assert_eq!(letter_parent(&[auto], None), None);
        assert_eq!(
            letter_parent(&[real], None),
            Some("<real.1@example.org>".into())
        );
    }
}
