//! The desk's Quarantine page through the real `redress web`, over HTTP: managers only;
//! a quarantined message shown as escaped text (never markup) and downloaded only as
//! an attachment; attach, open and discard call what `redress quarantine` calls, as the
//! signed-in user, with the CSRF token, a refusal shown on the page with nothing changed.

use crate::webkit;

use webkit::{now, web_site, Desk};

const HOSTILE: &[u8] = b"To: complaints@council.example\r\nSubject: Bins <script>alert('subject')</script>\r\n\
Message-ID: <hostile@example.org>\r\n\r\nMy bins again. <script>alert('body')</script> <img src=x onerror=alert(2)>\r\n";

/// A desk over a site with one case (Ada's) and two quarantined messages: the hostile
/// one without a sender, and an oversized complaint from Bea. Their ids: (hostile, big).
fn desk() -> (Desk, String, i64, i64) {
    let site = web_site("\n[inbound]\nmax_message_bytes = 8192\n");
    site.mail(
        "0",
        "Ada <ada@example.org>",
        "Potholes on Mill Lane",
        "The potholes are deep.",
        "a1@example.org",
    );
    site.run(&now(), &["poll"]);
    site.deliver("1", HOSTILE);
    let mut big = b"From: Bea <bea@example.org>\r\nTo: complaints@council.example\r\nSubject: Huge complaint\r\n\
Message-ID: <bea1@example.org>\r\n\r\n"
        .to_vec();
    while big.len() < 20_000 {
        big.extend_from_slice(b"I wish to complain about the road, again and again.\r\n");
    }
    site.deliver("2", &big);
    let out = site.run(&now(), &["poll"]);
    assert!(out.contains("2 quarantined"), "{out}");
    let reference = site.only_reference();
    let id = |part: &str| -> i64 {
        site.db()
            .query_row(
                "SELECT id FROM quarantine WHERE CAST(raw AS TEXT) LIKE ?1",
                [format!("%{part}%")],
                |r| r.get(0),
            )
            .unwrap()
    };
    let (hostile, big) = (id("hostile@example.org"), id("bea1@example.org"));
    let desk = Desk::start(site, "web");
    webkit::add_user(&desk.site, "mo", "manager", "mo's long password here");
    webkit::add_user(&desk.site, "ann", "officer", "ann's long password");
    (desk, reference, hostile, big)
}

fn resolutions(desk: &Desk) -> i64 {
    desk.site
        .db()
        .query_row("SELECT count(*) FROM quarantine_resolutions", [], |r| {
            r.get(0)
        })
        .unwrap()
}

#[test]
fn officers_cannot_see_or_act_on_the_quarantine() {
    let (desk, _, hostile, _) = desk();
    let s = desk.session("ann", "ann's long password");
    let home = desk.get("/", Some(&s));
    assert_eq!(home.status, 200);
    assert!(!home.body.contains("href=\"/quarantine\""), "{}", home.body);
    for path in [
        "/quarantine".to_string(),
        format!("/quarantine/{hostile}"),
        format!("/quarantine/{hostile}/eml"),
    ] {
        let r = desk.get(&path, Some(&s));
        assert_eq!(r.status, 403, "{path}: {}", r.body);
        assert!(!r.body.contains("alert("), "{path}");
    }
    let csrf = home.csrf();
    let r = desk.post(
        &format!("/quarantine/{hostile}/discard"),
        &s,
        &[("csrf", &csrf), ("reason", "not for officers")],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(resolutions(&desk), 0);
}

#[test]
fn a_manager_reads_a_hostile_message_as_text_and_downloads_it_only_as_a_file() {
    let (desk, _, hostile, big) = desk();
    let s = desk.session("mo", "mo's long password here");
    let home = desk.get("/", Some(&s));
    assert!(home.body.contains("href=\"/quarantine\""), "{}", home.body);
    let list = desk.get("/quarantine", Some(&s));
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.body.contains("no sender address (From)"),
        "{}",
        list.body
    );
    assert!(
        list.body.contains("Bea &lt;bea@example.org&gt;"),
        "{}",
        list.body
    );
    assert!(
        list.body.contains("over the 8192 byte limit"),
        "{}",
        list.body
    );
    assert!(list.body.contains(&format!("href=\"/quarantine/{big}\"")));
    assert!(!list.body.contains("<script>alert"), "{}", list.body);
    assert!(
        list.body
            .contains("Bins &lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt;"),
        "{}",
        list.body
    );

    let page = desk.get(&format!("/quarantine/{hostile}"), Some(&s));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(!page.body.contains("<img src=x"), "{}", page.body);
    assert!(
        page.body
            .contains("&lt;script&gt;alert(&#39;body&#39;)&lt;/script&gt;"),
        "{}",
        page.body
    );
    // The headers and the text, line breaks kept.
    assert!(
        page.body
            .contains("Message-ID: &lt;hostile@example.org&gt;\n\nMy bins again."),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains(&format!("href=\"/quarantine/{hostile}/eml\"")));

    let eml = desk.get(&format!("/quarantine/{hostile}/eml"), Some(&s));
    assert_eq!(eml.status, 200);
    assert_eq!(eml.header("content-type"), Some("application/octet-stream"));
    assert_eq!(
        eml.header("content-disposition"),
        Some(format!("attachment; filename=\"quarantined-{hostile}.eml\"").as_str())
    );
    assert_eq!(eml.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(eml.bytes, HOSTILE);

    let missing = desk.get("/quarantine/999", Some(&s));
    assert_eq!(missing.status, 404, "{}", missing.body);
}

#[test]
fn a_manager_attaches_opens_and_discards_each_once_with_the_csrf_token() {
    let (desk, reference, hostile, big) = desk();
    let s = desk.session("mo", "mo's long password here");
    let page = desk.get(&format!("/quarantine/{hostile}"), Some(&s));
    let csrf = page.csrf();

    // Without the CSRF token: refused, nothing changed.
    let r = desk.post(
        &format!("/quarantine/{hostile}/attach"),
        &s,
        &[("reference", &reference)],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let r = desk.post(
        &format!("/quarantine/{hostile}/attach"),
        &s,
        &[("csrf", "not-the-token"), ("reference", &reference)],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(resolutions(&desk), 0);

    // A case that does not exist: the one-line refusal on the page, what was typed kept.
    let r = desk.post(
        &format!("/quarantine/{hostile}/attach"),
        &s,
        &[("csrf", &csrf), ("reference", "EX-2026-00099")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("no case with reference EX-2026-00099"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Nothing was changed."));
    assert!(r.body.contains("value=\"EX-2026-00099\""), "{}", r.body);
    assert!(!r.body.contains("<script>alert"), "{}", r.body);
    // It has no sender: it cannot open a case.
    let r = desk.post(
        &format!("/quarantine/{hostile}/open"),
        &s,
        &[("csrf", &csrf)],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("has no sender address"), "{}", r.body);
    assert_eq!(resolutions(&desk), 0);

    // Attached: to the case, with the manager's name on the event.
    let r = desk.post(
        &format!("/quarantine/{hostile}/attach"),
        &s,
        &[("csrf", &csrf), ("reference", &reference.to_lowercase())],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.header("location").unwrap().to_string();
    assert_eq!(to, format!("/cases/{reference}?done=quarantine-attach"));
    let case = desk.get(&to, Some(&s));
    assert!(
        case.body
            .contains("The message was attached to this case from the quarantine."),
        "{}",
        case.body
    );
    assert!(case.body.contains("My bins again."), "{}", case.body);
    assert!(!case.body.contains("<script>alert"), "{}", case.body);
    let (actor, detail): (String, String) = desk
        .site
        .db()
        .query_row(
            "SELECT actor, detail FROM events WHERE kind = 'message attached from quarantine'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(actor, "officer:mo");
    assert!(
        detail.contains(&format!("quarantined message {hostile}")),
        "{detail}"
    );
    // Once only.
    let r = desk.post(
        &format!("/quarantine/{hostile}/discard"),
        &s,
        &[("csrf", &csrf), ("reason", "too late")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains(&format!(
            "quarantined message {hostile} was attached to {reference} by officer:mo"
        )),
        "{}",
        r.body
    );
    assert_eq!(resolutions(&desk), 1);

    // Opened: a new case from Bea, acknowledged.
    let r = desk.post(&format!("/quarantine/{big}/open"), &s, &[("csrf", &csrf)]);
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.header("location").unwrap().to_string();
    let opened = to
        .strip_prefix("/cases/")
        .and_then(|t| t.strip_suffix("?done=quarantine-open"))
        .unwrap_or_else(|| panic!("{to}"))
        .to_string();
    assert_ne!(opened, reference);
    let (kind, to_addr, actor): (String, String, String) = desk
        .site
        .db()
        .query_row(
            "SELECT l.kind, l.to_addr, l.actor FROM letters l JOIN cases c ON c.id = l.case_id WHERE c.reference = ?1",
            [&opened],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (kind.as_str(), to_addr.as_str(), actor.as_str()),
        ("acknowledgement", "bea@example.org", "officer:mo")
    );
    let case = desk.get(&to, Some(&s));
    // The timeline in sentences, the manager by name (issue 26).
    assert!(
        case.body
            .contains("mo opened the case from a quarantined message"),
        "{}",
        case.body
    );

    // Nothing left: the list says so.
    let list = desk.get("/quarantine", Some(&s));
    assert!(
        list.body.contains("No message is in the quarantine."),
        "{}",
        list.body
    );
    let done = desk.get(&format!("/quarantine/{big}"), Some(&s));
    assert_eq!(done.status, 200);
    assert!(
        done.body.contains(&format!("href=\"/cases/{opened}\"")),
        "{}",
        done.body
    );
    assert!(!done.body.contains("discard-form"), "{}", done.body);
}

#[test]
fn a_discard_needs_a_reason_and_erases_the_bytes() {
    let (desk, _, hostile, _) = desk();
    let s = desk.session("mo", "mo's long password here");
    let csrf = desk.get("/quarantine", Some(&s)).csrf();
    let r = desk.post(
        &format!("/quarantine/{hostile}/discard"),
        &s,
        &[("csrf", &csrf), ("reason", "   ")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("say why quarantined message"), "{}", r.body);
    assert_eq!(resolutions(&desk), 0);
    let r = desk.post(
        &format!("/quarantine/{hostile}/discard"),
        &s,
        &[("csrf", &csrf), ("reason", "Phishing <b>test</b>")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/quarantine?done=discarded"));
    let list = desk.get("/quarantine?done=discarded", Some(&s));
    assert!(
        list.body
            .contains("The message was discarded and its bytes erased."),
        "{}",
        list.body
    );
    assert!(!list.body.contains("no sender address"), "{}", list.body);
    let (len, reason, actor): (i64, String, String) = desk
        .site
        .db()
        .query_row(
            "SELECT length(q.raw), r.reason, r.actor FROM quarantine q JOIN quarantine_resolutions r ON r.quarantine_id = q.id WHERE q.id = ?1",
            [hostile],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (len, reason.as_str(), actor.as_str()),
        (0, "Phishing <b>test</b>", "officer:mo")
    );
    let page = desk.get(&format!("/quarantine/{hostile}"), Some(&s));
    assert!(
        page.body
            .contains("discarded (Phishing &lt;b&gt;test&lt;/b&gt;) by officer:mo"),
        "{}",
        page.body
    );
    let eml = desk.get(&format!("/quarantine/{hostile}/eml"), Some(&s));
    assert_eq!(eml.status, 404, "{}", eml.body);
}
