//! Admission: what a parsed message may do, decided without the database. Who sent
//! it (a web-form relay's resident; proof of the address), whether it is a loop, how
//! it joins a case it was threaded to, whether a new case is answered by an automatic
//! letter (backlog, age, restriction, the daily and hourly caps) and which letter.

use chrono::{DateTime, Utc};

use crate::case::Kind;
use crate::config::InboundConfig;
use crate::letter::kind::{self as letter, Content, Signpost};
use crate::message::Parsed;
use crate::triage::Verdict;

/// Mail from a configured web-form relay speaks for the resident in its Reply-To: that
/// address (and name) becomes the sender. Without one there is nobody to answer.
pub fn via_relay(inbound: &InboundConfig, mut p: Parsed) -> Result<Parsed, String> {
    let relayed = p.from.as_deref().is_some_and(|f| {
        inbound
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

/// Why mail from a customer's address may not act for them, when the config asks
/// for proof: no `Authentication-Results` from a trusted server (`authserv-id`) says
/// `dmarc=pass` for the From header's domain. `None`: verified, or not asked for.
///
/// Only the topmost result from a trusted server counts: our own server adds its
/// header above the ones the message arrived with, so a copy forged by the sender
/// (claiming our authserv-id) sits below it. (RFC 8601 also asks the server to remove
/// such copies; not every one does.) The result must name the From domain.
/// Mail a web-form relay sent for someone is never proof of who they are.
pub fn unverified(inbound: &InboundConfig, p: &Parsed) -> Option<String> {
    let trusted = &inbound.trusted_authserv_ids;
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

/// The form in which one of our letters would carry this Message-ID, if it could be
/// ours at all: ours are <reference.kind.id@domain>, in lower case but the domain,
/// written as the config has it. Any other domain cannot be ours.
pub fn as_our_message_id(message_id: &str, mail_domain: &str) -> Option<String> {
    match message_id
        .trim_matches(|c| c == '<' || c == '>')
        .rsplit_once('@')
    {
        Some((local, domain)) if domain.eq_ignore_ascii_case(mail_domain) => {
            Some(format!("<{}@{}>", local.to_ascii_lowercase(), mail_domain))
        }
        _ => None,
    }
}

/// Why a message is a mail loop: our own letter came back (`ours`), or it was sent
/// from the complaints inbox itself.
pub fn loop_reason(ours: bool, from: &str, inbox: &str) -> Option<String> {
    if ours {
        Some("our own letter came back (loop)".into())
    } else if from == inbox {
        Some("sent from the complaints inbox itself (loop)".into())
    } else {
        None
    }
}

/// When the message counts as received: its delivery time, else its Date if not in
/// the future, else now; never after now.
pub fn received_at(
    delivered_at: Option<DateTime<Utc>>,
    date: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    delivered_at
        .or(date.filter(|d| *d <= now))
        .unwrap_or(now)
        .min(now)
}

/// How a message threaded to a case joins it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Join {
    /// How it was matched, as stored and reported ("third-party (header)"...).
    pub by: String,
    /// A flag for an officer on the case, if any.
    pub flag: Option<String>,
    /// Why it may not be answered automatically, if so.
    pub no_reply: Option<String>,
    /// Who it is from, for the case's event.
    pub who: &'static str,
}

/// The facts of a threaded message [`join`] decides on.
pub struct Threaded<'a> {
    /// The clue that matched ("subject-ref", "header", "body-ref", "probable").
    pub by: &'a str,
    /// The sender is the case's customer. Identity is the From address (a relay's
    /// Reply-To, see [`via_relay`]), never a Reply-To anyone can write.
    pub party: bool,
    /// Why the customer's address is not proven theirs (see [`unverified`]).
    pub unproven: Option<String>,
    pub case_closed: bool,
    /// Why the message is not to be answered (auto-reply, bulk...), if it is noise.
    pub noise: Option<String>,
    pub auto_reply_subject: bool,
}

/// How a message threaded to a case joins it.
pub fn join(t: Threaded) -> Join {
    let mut no_reply = t.noise.or_else(|| {
        t.auto_reply_subject
            .then(|| "auto-reply (out-of-office subject)".to_string())
    });
    let (by, flag) = if !t.party {
        // Never let one resident's reference pull someone else into their case.
        no_reply = Some("sender is not a party to the case".into());
        (
            format!("third-party ({})", t.by),
            Some("third-party correspondence".to_string()),
        )
    } else if let Some(why) = &t.unproven {
        // The customer's address, but not proven theirs: kept on the case for an
        // officer, never acted on (no review request, no reply window).
        no_reply = Some(format!("sender not verified: {why}"));
        (
            format!("unverified ({})", t.by),
            Some(format!("sender not verified: {why}")),
        )
    } else if t.case_closed {
        (
            format!("{} (closed case)", t.by),
            Some("correspondence on a closed case".to_string()),
        )
    } else if t.by == "probable" {
        (
            t.by.to_string(),
            Some("probable match: check this message belongs here".to_string()),
        )
    } else {
        (t.by.to_string(), None)
    };
    let who = match (t.party, &t.unproven) {
        (false, _) => "third party",
        (true, Some(_)) => "the customer's address (unverified)",
        (true, None) => "customer",
    };
    Join {
        by,
        flag,
        no_reply,
        who,
    }
}

/// What decides whether a new case's automatic letter may go.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    /// First import of an existing mailbox.
    pub backlog: bool,
    /// Received longer ago than `inbound.backlog_cutoff_days`.
    pub old: bool,
    /// The customer's restriction, if any.
    pub restriction: Option<&'a str>,
    /// Automatic letters to this address in the last 24 hours (with those waiting).
    pub to_address_today: u32,
    /// Automatic letters to all senders this clock hour.
    pub this_hour: u32,
    /// Acknowledgements already waiting for a later hour: a new one queues behind them.
    pub waiting: bool,
    /// The message has safeguarding words in it.
    pub safeguarding: bool,
}

/// Whether a message received this long ago counts as old (never acknowledged).
pub fn is_old(inbound: &InboundConfig, received_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - received_at > chrono::Duration::days(inbound.backlog_cutoff_days)
}

/// How a new case is opened, and how it is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    /// The kind it is opened as: triage's, unless a person must judge (a redirect the
    /// config does not let act alone, or a safeguarding concern): then a complaint,
    /// with its deadlines counting from receipt.
    pub kind: Kind,
    /// Triage's redirect waits for an officer to accept or turn down ("to triage").
    pub to_triage: bool,
    pub answer: Answer,
}

/// What answers a new case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The automatic letter goes now.
    Letter,
    /// No automatic letter, for this reason (flagged for an officer).
    Held(String),
    /// Over the hourly cap: the acknowledgement goes in a later hour, oldest first.
    Deferred,
    /// The suggestion waits for an officer; the letter goes with their decision.
    Triage,
}

/// How a new case triaged as `verdict` is opened and answered. Only the per-address
/// cap (a mail loop) stops a letter for good; the hourly cap only defers it.
pub fn admit(inbound: &InboundConfig, f: &Facts, verdict: &Verdict) -> Admission {
    let redirect = matches!(verdict.kind, Kind::ServiceRequest | Kind::OutOfScope);
    let alone = inbound
        .auto_redirect
        .allows(verdict.kind, verdict.rule.as_deref());
    let (kind, to_triage) = if f.safeguarding {
        // Never redirected or closed by the daemon: a complaint, which a person reads.
        (Kind::Complaint, false)
    } else if redirect && !alone {
        (Kind::Complaint, true)
    } else {
        (verdict.kind, false)
    };
    let answer = if f.backlog {
        Answer::Held("backlog import: never acknowledged".to_string())
    } else if f.old {
        Answer::Held(format!(
            "older than {} days when first seen: never acknowledged",
            inbound.backlog_cutoff_days
        ))
    } else if f.restriction == Some("no-response") {
        Answer::Held("customer restricted to no response".to_string())
    } else if f.to_address_today >= inbound.max_auto_replies_per_day {
        Answer::Held(format!(
            "rate limit: {} automatic letters to this address in 24 hours",
            f.to_address_today
        ))
    } else if to_triage {
        Answer::Triage
    } else if f.waiting || f.this_hour >= inbound.max_auto_letters_per_hour {
        Answer::Deferred
    } else {
        Answer::Letter
    };
    Admission {
        kind,
        to_triage,
        answer,
    }
}

/// The automatic letter that answers a new case of this kind.
pub fn letter_kind(kind: Kind) -> letter::Kind {
    match kind {
        Kind::Complaint => letter::Kind::Acknowledgement,
        Kind::Compliment => letter::Kind::ComplimentThanks,
        Kind::Comment => letter::Kind::CommentAcknowledgement,
        Kind::ServiceRequest => letter::Kind::ServiceRequestRedirect,
        Kind::OutOfScope => letter::Kind::OutOfScopeRedirect,
    }
}

/// The automatic letter for a new case: for a redirect, where it points (and what was
/// asked for, or why the matter is excluded). The triage rules of those kinds always
/// name where to go, the service asked for and the exclusion.
pub fn letter_content(verdict: &Verdict) -> Content {
    let redirect = verdict.redirect.clone().unwrap_or_default();
    let signpost = Signpost {
        to: redirect.where_,
        url: redirect.url,
        phone: redirect.phone,
    };
    match verdict.kind {
        Kind::Complaint => Content::Acknowledgement {},
        Kind::Compliment => Content::ComplimentThanks { team: None },
        Kind::Comment => Content::CommentAcknowledgement {},
        Kind::ServiceRequest => Content::ServiceRequestRedirect {
            service: redirect.service.unwrap_or_default(),
            signpost,
        },
        Kind::OutOfScope => Content::OutOfScopeRedirect {
            exclusion: verdict.exclusion.clone().unwrap_or_default(),
            signpost,
        },
    }
}

/// The clock hour (UTC) the hourly cap counts in: "YYYY-MM-DDTHH".
pub fn hour_of(now: DateTime<Utc>) -> String {
    crate::time::hour(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AutoRedirect;

    fn inbound() -> InboundConfig {
        InboundConfig {
            max_auto_replies_per_day: 3,
            max_auto_letters_per_hour: 100,
            backlog_cutoff_days: 14,
            auto_redirect: AutoRedirect::All(true),
            ..InboundConfig::default()
        }
    }

    fn threaded(by: &str) -> Threaded<'_> {
        Threaded {
            by,
            party: true,
            unproven: None,
            case_closed: false,
            noise: None,
            auto_reply_subject: false,
        }
    }

    #[test]
    fn the_customer_replying_on_their_open_case_joins_it_quietly() {
        let j = join(threaded("subject-ref"));
        assert_eq!(j.by, "subject-ref");
        assert_eq!(j.flag, None);
        assert_eq!(j.no_reply, None);
        assert_eq!(j.who, "customer");
    }

    #[test]
    fn someone_else_is_a_third_party_and_never_answered() {
        let j = join(Threaded {
            party: false,
            unproven: Some("ignored for a third party".into()),
            ..threaded("header")
        });
        assert_eq!(j.by, "third-party (header)");
        assert_eq!(j.flag.as_deref(), Some("third-party correspondence"));
        assert_eq!(
            j.no_reply.as_deref(),
            Some("sender is not a party to the case")
        );
        assert_eq!(j.who, "third party");
    }

    #[test]
    fn an_unproven_address_is_kept_and_flagged_not_acted_on() {
        let j = join(Threaded {
            unproven: Some("no dmarc".into()),
            case_closed: true,
            ..threaded("body-ref")
        });
        assert_eq!(j.by, "unverified (body-ref)");
        assert_eq!(j.flag.as_deref(), Some("sender not verified: no dmarc"));
        assert_eq!(j.no_reply.as_deref(), Some("sender not verified: no dmarc"));
        assert_eq!(j.who, "the customer's address (unverified)");
    }

    #[test]
    fn closed_cases_and_probable_matches_are_flagged_for_an_officer() {
        let j = join(Threaded {
            case_closed: true,
            ..threaded("header")
        });
        assert_eq!(j.by, "header (closed case)");
        assert_eq!(j.flag.as_deref(), Some("correspondence on a closed case"));
        let j = join(threaded("probable"));
        assert_eq!(j.by, "probable");
        assert_eq!(
            j.flag.as_deref(),
            Some("probable match: check this message belongs here")
        );
    }

    #[test]
    fn an_out_of_office_reply_joins_but_is_not_answered() {
        let j = join(Threaded {
            auto_reply_subject: true,
            ..threaded("subject-ref")
        });
        assert_eq!(
            j.no_reply.as_deref(),
            Some("auto-reply (out-of-office subject)")
        );
        let j = join(Threaded {
            noise: Some("bulk mail (Precedence: bulk)".into()),
            auto_reply_subject: true,
            ..threaded("subject-ref")
        });
        assert_eq!(j.no_reply.as_deref(), Some("bulk mail (Precedence: bulk)"));
    }

    fn verdict(kind: Kind, rule: Option<&str>) -> Verdict {
        Verdict {
            kind,
            rule: rule.map(String::from),
            exclusion_id: None,
            exclusion: None,
            redirect: None,
            reason: String::new(),
        }
    }

    #[test]
    fn holds_go_in_order_backlog_age_restriction_address_cap_then_triage_then_the_hour() {
        let i = inbound();
        let complaint = verdict(Kind::Complaint, None);
        let go = Facts::default();
        assert_eq!(admit(&i, &go, &complaint).answer, Answer::Letter);
        let all = Facts {
            backlog: true,
            old: true,
            restriction: Some("no-response"),
            to_address_today: 3,
            this_hour: 100,
            waiting: false,
            safeguarding: false,
        };
        let held = |f: &Facts| match admit(&i, f, &complaint).answer {
            Answer::Held(why) => why,
            other => panic!("{other:?}"),
        };
        assert_eq!(held(&all), "backlog import: never acknowledged");
        let f = Facts {
            backlog: false,
            ..all.clone()
        };
        assert_eq!(
            held(&f),
            "older than 14 days when first seen: never acknowledged"
        );
        let f = Facts { old: false, ..f };
        assert_eq!(held(&f), "customer restricted to no response");
        let f = Facts {
            restriction: Some("single-point-of-contact"),
            ..f
        };
        assert_eq!(
            held(&f),
            "rate limit: 3 automatic letters to this address in 24 hours"
        );
        // The hourly cap defers; it never drops an acknowledgement.
        let f = Facts {
            to_address_today: 2,
            ..f
        };
        assert_eq!(admit(&i, &f, &complaint).answer, Answer::Deferred);
        let f = Facts { this_hour: 99, ..f };
        assert_eq!(admit(&i, &f, &complaint).answer, Answer::Letter);
        // Behind others already waiting, a new one waits too (oldest first).
        let behind = Facts {
            waiting: true,
            ..f.clone()
        };
        assert_eq!(admit(&i, &behind, &complaint).answer, Answer::Deferred);
    }

    #[test]
    fn a_redirect_waits_for_an_officer_unless_the_config_lets_its_rule_act_alone() {
        let pcn = verdict(Kind::OutOfScope, Some("pcn"));
        let bins = verdict(Kind::ServiceRequest, Some("service-request"));
        let off = InboundConfig {
            auto_redirect: AutoRedirect::All(false),
            ..inbound()
        };
        let a = admit(&off, &Facts::default(), &pcn);
        assert_eq!(
            a,
            Admission {
                kind: Kind::Complaint,
                to_triage: true,
                answer: Answer::Triage
            }
        );
        let only_pcn = InboundConfig {
            auto_redirect: AutoRedirect::Rules(vec!["pcn".into()]),
            ..inbound()
        };
        let a = admit(&only_pcn, &Facts::default(), &pcn);
        assert_eq!(
            (a.kind, a.to_triage, a.answer),
            (Kind::OutOfScope, false, Answer::Letter)
        );
        assert!(admit(&only_pcn, &Facts::default(), &bins).to_triage);
        let kinds = InboundConfig {
            auto_redirect: AutoRedirect::Rules(vec!["service-request".into()]),
            ..inbound()
        };
        assert!(!admit(&kinds, &Facts::default(), &bins).to_triage);
        // A backlog import keeps the suggestion for an officer, and sends nothing.
        let a = admit(
            &off,
            &Facts {
                backlog: true,
                ..Facts::default()
            },
            &pcn,
        );
        assert!(a.to_triage);
        assert!(matches!(a.answer, Answer::Held(_)));
    }

    #[test]
    fn safeguarding_words_make_a_complaint_that_is_acknowledged_never_redirected() {
        let all = InboundConfig {
            auto_redirect: AutoRedirect::All(true),
            ..inbound()
        };
        let f = Facts {
            safeguarding: true,
            ..Facts::default()
        };
        for v in [
            verdict(Kind::OutOfScope, Some("social-care")),
            verdict(Kind::Compliment, None),
            verdict(Kind::Complaint, None),
        ] {
            let a = admit(&all, &f, &v);
            assert_eq!(
                (a.kind, a.to_triage, a.answer),
                (Kind::Complaint, false, Answer::Letter),
                "{:?}",
                v.kind
            );
        }
    }

    #[test]
    fn received_is_delivery_else_a_past_date_else_now() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let now = t("2026-12-14T10:00:00Z");
        let past = t("2026-12-01T09:00:00Z");
        let future = t("2027-01-01T00:00:00Z");
        assert_eq!(received_at(Some(past), Some(now), now), past);
        assert_eq!(received_at(None, Some(past), now), past);
        assert_eq!(received_at(None, Some(future), now), now);
        assert_eq!(received_at(Some(future), None, now), now);
        assert!(!is_old(&inbound(), past, now));
        assert!(is_old(&inbound(), t("2026-11-29T09:00:00Z"), now));
    }

    #[test]
    fn our_message_ids_are_recognised_in_our_form_only() {
        assert_eq!(
            as_our_message_id("<BNES-2026-00001.Ack.7@Council.Example>", "council.example")
                .as_deref(),
            Some("<bnes-2026-00001.ack.7@council.example>")
        );
        assert_eq!(
            as_our_message_id("<x@elsewhere.org>", "council.example"),
            None
        );
        assert_eq!(as_our_message_id("no-at-sign", "council.example"), None);
        assert_eq!(
            loop_reason(false, "complaints@c.gov.uk", "complaints@c.gov.uk").as_deref(),
            Some("sent from the complaints inbox itself (loop)")
        );
        assert_eq!(
            loop_reason(true, "complaints@c.gov.uk", "complaints@c.gov.uk").as_deref(),
            Some("our own letter came back (loop)")
        );
        assert_eq!(loop_reason(false, "a@x", "complaints@c.gov.uk"), None);
    }

    #[test]
    fn each_kind_has_its_automatic_letter() {
        assert_eq!(letter_kind(Kind::Complaint).as_str(), "acknowledgement");
        assert_eq!(letter_kind(Kind::Compliment).as_str(), "compliment-thanks");
        assert_eq!(
            letter_kind(Kind::Comment).as_str(),
            "comment-acknowledgement"
        );
        assert_eq!(
            letter_kind(Kind::ServiceRequest).as_str(),
            "service-request-redirect"
        );
        assert_eq!(
            letter_kind(Kind::OutOfScope).as_str(),
            "out-of-scope-redirect"
        );
    }

    #[test]
    fn a_new_cases_letter_carries_the_redirect_and_exclusion_of_its_rule() {
        let rules = crate::triage::Rules::default_rules();
        for rule in &rules.rules {
            let verdict = Verdict {
                kind: rule.kind,
                rule: Some(rule.id.clone()),
                exclusion_id: None,
                exclusion: rule.exclusion.clone(),
                redirect: rule.redirect.clone(),
                reason: String::new(),
            };
            let content = letter_content(&verdict);
            assert_eq!(content.kind(), letter_kind(rule.kind));
            // The data as it was stored before letters were typed: the redirect's
            // fields, and the exclusion.
            let mut was = serde_json::json!({});
            if let Some(r) = &verdict.redirect {
                was = serde_json::to_value(r).unwrap();
            }
            if let Some(e) = &verdict.exclusion {
                was["exclusion"] = e.clone().into();
            }
            assert_eq!(content.data(), was, "{:?}", rule.kind);
        }
        let bins = Verdict {
            kind: Kind::ServiceRequest,
            rule: None,
            exclusion_id: None,
            exclusion: None,
            redirect: Some(crate::triage::Redirect {
                where_: "the bins form".into(),
                url: Some("https://x.example/bins".into()),
                phone: None,
                service: Some("report a missed bin".into()),
            }),
            reason: String::new(),
        };
        assert_eq!(
            letter_content(&bins).data(),
            serde_json::json!({"service": "report a missed bin", "where": "the bins form", "url": "https://x.example/bins"})
        );
        let complaint = Verdict {
            kind: Kind::Complaint,
            rule: None,
            exclusion_id: None,
            exclusion: None,
            redirect: None,
            reason: String::new(),
        };
        assert_eq!(letter_content(&complaint), Content::Acknowledgement {});
    }

    #[test]
    fn a_relay_hands_over_to_the_resident_in_its_reply_to() {
        let i = InboundConfig {
            relay_senders: vec!["forms@council.example".into()],
            ..inbound()
        };
        let p = Parsed {
            from: Some("forms@council.example".into()),
            reply_to: Some("resident@example.org".into()),
            reply_to_name: Some("A Resident".into()),
            noise: Some("auto-reply (Auto-Submitted: auto-generated)".into()),
            auto_reply_subject: true,
            ..Parsed::default()
        };
        let r = via_relay(&i, p.clone()).unwrap();
        assert_eq!(r.from.as_deref(), Some("resident@example.org"));
        assert_eq!(r.from_name.as_deref(), Some("A Resident"));
        assert!(r.relayed && r.noise.is_none() && !r.auto_reply_subject);
        let without = Parsed {
            reply_to: None,
            ..p
        };
        assert!(via_relay(&i, without).is_err());
        let proof = InboundConfig {
            trusted_authserv_ids: vec!["mx.council.example".into()],
            ..inbound()
        };
        assert_eq!(
            unverified(&proof, &r).as_deref(),
            Some("sent through a web form, the address is not proven")
        );
    }

    #[test]
    fn only_the_topmost_trusted_dmarc_pass_for_the_from_domain_proves_the_sender() {
        let i = InboundConfig {
            trusted_authserv_ids: vec!["mx.council.example".into()],
            ..inbound()
        };
        let p = |ars: &[&str]| Parsed {
            from_domain: Some("example.org".into()),
            auth_results: ars.iter().map(|s| s.to_string()).collect(),
            ..Parsed::default()
        };
        assert_eq!(
            unverified(
                &i,
                &p(&["mx.council.example; dmarc=pass header.from=example.org"])
            ),
            None
        );
        assert!(unverified(
            &i,
            &p(&["mx.council.example; dmarc=pass header.from=other.org"])
        )
        .is_some());
        assert!(unverified(
            &i,
            &p(&[
                "mx.council.example; dmarc=fail header.from=example.org",
                "mx.council.example; dmarc=pass header.from=example.org"
            ])
        )
        .is_some());
        assert_eq!(unverified(&inbound(), &p(&[])), None, "proof not asked for");
    }
}
