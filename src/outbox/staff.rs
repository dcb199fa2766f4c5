//! Staff mail (deadline alerts, managers' digests, scheduled reports) through the same
//! state machine as letters: claimed (attempts + 1, `sending`) and committed before the
//! first byte goes out, settled by [`recovery`] when found `sending` after the lease,
//! and moved on by [`outcome`] after each attempt, with the letters' backoff and
//! `max_attempts`. Staff mail has no case, so it records no events and flags nothing;
//! its row carries the attempts and the last error.

use chrono::{DateTime, Utc};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::Message;

use super::{outcome, recovery, Flow, OutboxError, Outcome, Recovery, Result, Transport, LEASE};
use crate::config::Config;
use crate::store::notifications::Notification;
use crate::store::Store;

/// Send the staff mail that is due, after settling any interrupted send. Returns how
/// many were sent in this pass. The transport is set up only when there is mail.
pub fn send_staff_mail(store: &mut Store, config: &Config, now: DateTime<Utc>) -> Result<usize> {
    if store.due_notifications(now)?.is_empty()
        && store.interrupted_notifications(now - LEASE)?.is_empty()
    {
        return Ok(0);
    }
    let transport = Transport::from_config(config)?;
    send_staff_mail_with(store, config, &transport, now)
}

pub fn send_staff_mail_with(
    store: &mut Store,
    config: &Config,
    transport: &Transport,
    now: DateTime<Utc>,
) -> Result<usize> {
    let from = council_mailbox(config)?;
    let mut sent = 0;
    for n in store.interrupted_notifications(now - LEASE)? {
        match recovery(
            &config.letters,
            transport.delivered_file(&n.message_id),
            n.attempts,
        ) {
            Recovery::Delivered(_) => store.notification_sent(n.id, now)?,
            Recovery::GiveUp(why) => {
                tracing::warn!(notification = n.id, error = %why, "staff mail failed");
                store.notification_failed(n.id, &why)?;
            }
            Recovery::Resend => {
                if !store.reclaim_notification(&n, now)? {
                    continue;
                }
                let n = store.notification(n.id)?;
                if deliver(store, config, transport, &from, &n, now, &mut sent)? == Flow::Stop {
                    return Ok(sent);
                }
            }
        }
    }
    for n in store.due_notifications(now)? {
        // Queued before staff mail had a lease, an earlier attempt may have been
        // written to the file outbox without being recorded: it went.
        if n.attempts > 0 && transport.delivered_file(&n.message_id).is_some() {
            store.notification_sent(n.id, now)?;
            continue;
        }
        if !store.claim_notification(n.id, now)? {
            continue; // another sender has it
        }
        let n = store.notification(n.id)?;
        if deliver(store, config, transport, &from, &n, now, &mut sent)? == Flow::Stop {
            break;
        }
    }
    Ok(sent)
}

/// The council as the sender of staff mail.
fn council_mailbox(config: &Config) -> Result<Mailbox> {
    format!(
        "{} <{}>",
        config.council.name.replace(['<', '>', '"'], ""),
        config.council.email
    )
    .parse()
    .map_err(|e| OutboxError::Config(format!("council email {}: {e}", config.council.email)))
}

/// The email for a piece of staff mail; the reason when it cannot be built.
fn staff_message(
    from: &Mailbox,
    n: &Notification,
    now: DateTime<Utc>,
) -> std::result::Result<Message, String> {
    let to: Mailbox = n.to_addr.parse().map_err(|e| format!("bad address: {e}"))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(n.subject.clone())
        .message_id(Some(n.message_id.clone()))
        .date(now.into())
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".to_string(),
        ))
        .body(n.body.clone())
        .map_err(|_| "could not build the message".to_string())
}

/// An alert about one case (its subject says `[Ref REF]`) with a link to the case in
/// the desk at `desk` (`[web] public_url`), when there is one and the body has none.
/// None: send it as it is.
fn with_desk_link(n: &Notification, desk: Option<String>) -> Option<Notification> {
    let desk = desk?;
    let start = n.subject.find("[Ref ")? + "[Ref ".len();
    let len = n.subject[start..].find(']')?;
    let reference = n.subject[start..start + len].trim();
    let safe = !reference.is_empty()
        && reference
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    let link = format!("{desk}cases/{reference}");
    if !safe || n.body.contains(&link) {
        return None;
    }
    let mut linked = n.clone();
    let sep = if linked.body.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    linked.body = format!("{}{sep}\nOpen the case in the desk: {link}\n", linked.body);
    Some(linked)
}

/// One attempt for staff mail already recorded as `sending`.
fn deliver(
    store: &mut Store,
    config: &Config,
    transport: &Transport,
    from: &Mailbox,
    n: &Notification,
    now: DateTime<Utc>,
    sent: &mut usize,
) -> Result<Flow> {
    let linked = with_desk_link(
        n,
        config
            .web
            .public_url
            .as_ref()
            .map(|_| config.web.sign_in_url()),
    );
    let result = staff_message(from, linked.as_ref().unwrap_or(n), now)
        .map_err(super::Failure::Permanent)
        .and_then(|m| transport.send(&n.message_id, &m));
    let (outcome, flow) = outcome(&config.letters, n.attempts, result, now);
    match outcome {
        Outcome::Sent(_) => {
            store.notification_sent(n.id, now)?;
            *sent += 1;
        }
        Outcome::Failed(why) => {
            tracing::warn!(notification = n.id, error = %why, "staff mail failed");
            store.notification_failed(n.id, &why)?;
        }
        Outcome::Retry { error, next } => {
            tracing::warn!(notification = n.id, error = %error, next = %next, "staff mail delayed");
            store.notification_retry(n.id, &error, next)?;
        }
    }
    Ok(flow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::notifications::{StaffMail, StaffMailKind};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn mail(key: &str, to: &str) -> StaffMail {
        StaffMail {
            kind: StaffMailKind::Digest,
            dedupe_key: key.into(),
            to: to.into(),
            subject: "Complaints: 1 overdue".into(),
            body: "Complaints digest\n".into(),
        }
    }

    fn emls(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).unwrap().count()
    }

    #[test]
    fn an_alert_links_to_its_case_when_the_desk_has_an_address() {
        let n = Notification {
            id: 1,
            message_id: "<notice.1@x>".into(),
            to_addr: "ann@council.example".into(),
            subject: "[Ref EX-2026-00042] response due Mon 7 Dec 2026".into(),
            body: "The stage1 response is due.".into(),
            status: "sending".into(),
            attempts: 1,
            last_attempt_at: None,
        };
        assert!(with_desk_link(&n, None).is_none());
        let desk = Some("https://desk.example/".to_string());
        let linked = with_desk_link(&n, desk.clone()).unwrap();
        assert_eq!(
            linked.body,
            "The stage1 response is due.\n\nOpen the case in the desk: https://desk.example/cases/EX-2026-00042\n"
        );
        // Linked once; a digest (no reference) and a strange reference are left alone.
        assert!(with_desk_link(&linked, desk.clone()).is_none());
        let digest = Notification {
            subject: "Complaints: 1 case overdue".into(),
            ..n.clone()
        };
        assert!(with_desk_link(&digest, desk.clone()).is_none());
        let odd = Notification {
            subject: "[Ref a/../b] x".into(),
            ..n
        };
        assert!(with_desk_link(&odd, desk).is_none());
    }

    #[test]
    fn staff_mail_goes_once_through_the_letters_state_machine() {
        let dir = tempfile::tempdir().unwrap();
        let file = Transport::File(dir.path().to_path_buf());
        let cfg = Config::load(None).unwrap();
        let mut store = Store::open_in_memory().unwrap();
        let now = at("2026-12-22T08:00:00Z");
        let mails = [
            mail("a", "ann@council.example"),
            mail("b", "not an address"),
        ];
        assert_eq!(
            store
                .queue_fired_mail("digest:x", "council.example", &mails, now)
                .unwrap(),
            2
        );
        // Queued again under the same keys: nothing new.
        assert_eq!(
            store
                .queue_fired_mail("digest:x", "council.example", &mails, now)
                .unwrap(),
            0
        );

        assert_eq!(
            send_staff_mail_with(&mut store, &cfg, &file, now).unwrap(),
            1
        );
        assert_eq!(store.notification(1).unwrap().status, "sent");
        let bad = store.notification(2).unwrap();
        assert_eq!(bad.status, "failed");
        assert_eq!(emls(dir.path()), 1);
        // A second pass sends nothing again.
        assert_eq!(
            send_staff_mail_with(&mut store, &cfg, &file, now).unwrap(),
            0
        );
        assert_eq!(emls(dir.path()), 1);

        // A sender that stopped after writing the file but before recording it: after
        // the lease the file is found and the mail recorded sent, not written twice.
        store
            .queue_fired_mail(
                "digest:x",
                "council.example",
                &[mail("c", "bob@council.example")],
                now,
            )
            .unwrap();
        assert!(store.claim_notification(3, now).unwrap());
        let n = store.notification(3).unwrap();
        let from = council_mailbox(&cfg).unwrap();
        file.send(&n.message_id, &staff_message(&from, &n, now).unwrap())
            .unwrap();
        assert_eq!(
            send_staff_mail_with(&mut store, &cfg, &file, now).unwrap(),
            0
        );
        assert_eq!(
            store.notification(3).unwrap().status,
            "sending",
            "within the lease"
        );
        let later = now + LEASE;
        assert_eq!(
            send_staff_mail_with(&mut store, &cfg, &file, later).unwrap(),
            0
        );
        assert_eq!(store.notification(3).unwrap().status, "sent");
        assert_eq!(emls(dir.path()), 2);
    }

    #[test]
    fn staff_mail_that_cannot_go_now_waits_with_the_letters_backoff() {
        let dir = tempfile::tempdir().unwrap();
        // A folder that cannot be made: a file stands in its way.
        std::fs::write(dir.path().join("blocker"), b"").unwrap();
        let broken = Transport::File(dir.path().join("blocker").join("folder"));
        let cfg = Config::load(None).unwrap();
        let mut store = Store::open_in_memory().unwrap();
        let now = at("2026-12-22T08:00:00Z");
        let mails = [
            mail("a", "ann@council.example"),
            mail("b", "bob@council.example"),
        ];
        store
            .queue_fired_mail("digest:x", "council.example", &mails, now)
            .unwrap();
        assert_eq!(
            send_staff_mail_with(&mut store, &cfg, &broken, now).unwrap(),
            0
        );
        let a = store.notification(1).unwrap();
        assert_eq!((a.status.as_str(), a.attempts), ("queued", 1));
        // The outbox cannot be reached: the second was not tried.
        assert_eq!(store.notification(2).unwrap().attempts, 0);
        // Not due again until the backoff has passed.
        let soon = now + chrono::Duration::seconds(30);
        assert_eq!(
            send_staff_mail_with(&mut store, &cfg, &broken, soon).unwrap(),
            0
        );
        assert_eq!(store.notification(1).unwrap().attempts, 1);
        // (the second, due, was tried then and waits its own minute)
        assert_eq!(store.notification(2).unwrap().attempts, 1);
        let file = Transport::File(dir.path().to_path_buf());
        let later = now + chrono::Duration::minutes(2);
        assert_eq!(
            send_staff_mail_with(&mut store, &cfg, &file, later).unwrap(),
            2
        );
        assert_eq!(emls(dir.path()), 3, "two emails and the blocker");
    }
}
