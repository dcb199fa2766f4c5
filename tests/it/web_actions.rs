//! Officers' actions on a case through the desk (the real `redress web`, over HTTP):
//! each calls what the CLI calls, as the signed-in user; a refusal is the CLI's one
//! line with nothing changed; a page older than the case is refused; New case.

use crate::bin;
use crate::webkit;

use webkit::{now, web_site, Desk};

/// A desk over a site holding one complaint that came by email; its reference.
fn desk_with_a_case() -> (Desk, String) {
    webkit::desk_with_a_case("")
}

/// The case's events: (actor, kind, detail).
fn events(desk: &Desk, reference: &str) -> Vec<(String, String, Option<String>)> {
    let db = desk.site.db();
    let mut st = db
        .prepare("SELECT e.actor, e.kind, e.detail FROM events e JOIN cases c ON c.id = e.case_id WHERE c.reference = ?1 ORDER BY e.id")
        .unwrap();
    st.query_map([reference], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn letters(desk: &Desk, reference: &str) -> Vec<(String, String)> {
    let db = desk.site.db();
    let mut st = db
        .prepare("SELECT l.kind, l.status FROM letters l JOIN cases c ON c.id = l.case_id WHERE c.reference = ?1 ORDER BY l.id")
        .unwrap();
    st.query_map([reference], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The case page's form fields an action needs: (csrf, version).
fn page(desk: &Desk, s: &str, reference: &str) -> (String, String) {
    let p = desk.get(&format!("/cases/{reference}"), Some(s));
    assert_eq!(p.status, 200, "{}", p.body);
    (p.csrf(), p.field("version"))
}

#[test]
fn a_note_and_an_assign_record_the_signed_in_user_with_a_banner() {
    let (desk, reference) = desk_with_a_case();
    webkit::add_user(&desk.site, "ann", "officer", "ann's long password");
    let s = desk.session("ann", "ann's long password");
    let (csrf, version) = page(&desk, &s, &reference);
    let r = desk.post(
        &format!("/cases/{reference}/note"),
        &s,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("text", "Rang the customer back."),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.header("location").unwrap().to_string();
    assert_eq!(to, format!("/cases/{reference}?done=note"));
    let shown = desk.get(&to, Some(&s));
    assert!(shown.body.contains("The note was added."), "{}", shown.body);
    assert!(shown.body.contains("Rang the customer back."));
    // The reference as typed in any case: back to the case as stored.
    let (csrf, version) = page(&desk, &s, &reference);
    let r = desk.post(
        &format!("/cases/{}/assign", reference.to_lowercase()),
        &s,
        &[("csrf", &csrf), ("version", &version), ("officer", "bob")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some(format!("/cases/{reference}?done=assign").as_str())
    );
    let ev = events(&desk, &reference);
    assert!(
        ev.contains(&(
            "officer:ann".into(),
            "note".into(),
            Some("Rang the customer back.".into())
        )),
        "{ev:?}"
    );
    assert!(
        ev.iter().any(|(a, k, d)| a == "officer:ann"
            && k == "set officer"
            && d.as_deref() == Some("officer: bob")),
        "{ev:?}"
    );
    let case = desk.site.case(&now(), &reference);
    assert_eq!(case["case"]["officer"], "bob");
    // The CLI's rule, from the same function: an officer not in the staff directory,
    // with no config section named (issue 26: none in the browser).
    let (csrf, version) = page(&desk, &s, &reference);
    let r = desk.post(
        &format!("/cases/{reference}/assign"),
        &s,
        &[("csrf", &csrf), ("version", &version), ("officer", "zed")],
    );
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("zed is not in the staff directory") && !r.body.contains("[[staff]]"),
        "{}",
        r.body
    );
    assert_eq!(desk.site.case(&now(), &reference)["case"]["officer"], "bob");
}

#[test]
fn a_reply_is_previewed_as_the_exact_pdf_then_sent_as_the_user() {
    let (desk, reference) = desk_with_a_case();
    let s = desk.admin();
    let (csrf, version) = page(&desk, &s, &reference);
    let p = desk.get(&format!("/cases/{reference}"), Some(&s));
    assert!(
        p.body.contains("<option value=\"upheld\">upheld</option>"),
        "the policy's outcomes are offered: {}",
        p.body
    );
    // Without an outcome: the CLI's refusal, and what was typed is kept.
    let r = desk.post(
        &format!("/cases/{reference}/reply"),
        &s,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("body", "Typed with care."),
            ("action", "send"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains(">Typed with care.</textarea>"),
        "{}",
        r.body
    );
    let before_letters = letters(&desk, &reference);
    let before_events = events(&desk, &reference);
    let form = |action: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("version", version.clone()),
            ("outcome", "upheld".to_string()),
            ("body", "We filled the potholes on Mill Lane.".to_string()),
            ("action", action.to_string()),
        ]
    };
    let as_refs = |f: &Vec<(&'static str, String)>| -> Vec<(&'static str, String)> { f.clone() };
    let f = as_refs(&form("preview"));
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = desk.post(&format!("/cases/{reference}/reply"), &s, &f);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    assert!(r
        .header("content-disposition")
        .is_some_and(|d| d.starts_with("inline")));
    assert!(r.bytes.starts_with(b"%PDF"));
    let pdf = desk.site.path().join("preview.pdf");
    std::fs::write(&pdf, &r.bytes).unwrap();
    let text = bin::pdf_text(&pdf);
    assert!(
        text.contains("We filled the potholes on Mill Lane."),
        "{text}"
    );
    // Nothing changed by the preview.
    assert_eq!(letters(&desk, &reference), before_letters);
    assert_eq!(events(&desk, &reference), before_events);

    let f = form("send");
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = desk.post(&format!("/cases/{reference}/reply"), &s, &f);
    assert_eq!(r.status, 303, "{}", r.body);
    let after = letters(&desk, &reference);
    assert_eq!(after.len(), before_letters.len() + 1, "{after:?}");
    assert_eq!(
        after.last().unwrap(),
        &("stage-response".to_string(), "pending".to_string())
    );
    let ev = events(&desk, &reference);
    let new: Vec<_> = ev[before_events.len()..].to_vec();
    assert!(
        !new.is_empty() && new.iter().any(|(a, _, _)| a == "officer:admin"),
        "{new:?}"
    );
    // The outbox sends it (once letters' hold is over), with the PDF.
    let later = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    desk.site.run(&later, &["send"]);
    let (_, _, has_pdf) = desk
        .site
        .letter_with("Our response to your complaint: upheld");
    assert!(has_pdf);
    // The customer asks for the next stage by phone: escalated from the desk.
    let (csrf, version) = page(&desk, &s, &reference);
    let r = desk.post(
        &format!("/cases/{reference}/escalate"),
        &s,
        &[("csrf", &csrf), ("version", &version), ("by", "customer")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let case = desk.site.case(&now(), &reference);
    assert_eq!(case["case"]["stage"], "stage2", "{case}");
}

#[test]
fn a_refused_action_shows_the_clis_reason_and_changes_nothing() {
    let (desk, reference) = desk_with_a_case();
    let s = desk.admin();
    let cli = desk
        .site
        .fails(&now(), &["resume", &reference, "--by", "ann"]);
    assert!(cli.contains("not paused"), "{cli}");
    let before = events(&desk, &reference);
    let (csrf, version) = page(&desk, &s, &reference);
    // The page offers no Resume; posted anyway, it is refused with the reason the
    // desk's one answer to "what may I do here" gives (issue 26).
    assert!(!desk
        .get(&format!("/cases/{reference}"), Some(&s))
        .body
        .contains("id=\"resume-form\""));
    let r = desk.post(
        &format!("/cases/{reference}/resume"),
        &s,
        &[("csrf", &csrf), ("version", &version)],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("govuk-error-summary"), "{}", r.body);
    assert!(
        r.body.contains("The deadlines are not paused."),
        "{}",
        r.body
    );
    assert!(r.body.contains("Nothing was changed."));
    // An empty note, a bad extension: the same.
    let r = desk.post(
        &format!("/cases/{reference}/note"),
        &s,
        &[("csrf", &csrf), ("version", &version), ("text", "  ")],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("the note is empty"), "{}", r.body);
    let r = desk.post(
        &format!("/cases/{reference}/extend"),
        &s,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("days", "many"),
            ("reason", "x"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("&#39;many&#39; is not a number of days"),
        "{}",
        r.body
    );
    assert_eq!(events(&desk, &reference), before);
    // Restricting a contact is a manager's: an officer is refused.
    webkit::add_user(&desk.site, "ann", "officer", "ann's long password");
    let ann = desk.session("ann", "ann's long password");
    let (csrf, version) = page(&desk, &ann, &reference);
    let r = desk.post(
        &format!("/cases/{reference}/restrict"),
        &ann,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("email", "ada@example.org"),
            ("level", "letter-only"),
            ("review", "2099-01-01"),
            ("reason", "x"),
        ],
    );
    assert_eq!(r.status, 403);
    assert!(!desk
        .get(&format!("/cases/{reference}"), Some(&ann))
        .body
        .contains("restrict-form"));
    assert_eq!(events(&desk, &reference), before);
}

#[test]
fn an_action_from_a_page_older_than_the_case_is_refused_and_changes_nothing() {
    let (desk, reference) = desk_with_a_case();
    let s = desk.admin();
    let (csrf, old) = page(&desk, &s, &reference);
    // Another officer acts in between (here by the CLI).
    desk.site.run(
        &now(),
        &["note", &reference, "Bob was here.", "--by", "bob"],
    );
    let before = events(&desk, &reference);
    let r = desk.post(
        &format!("/cases/{reference}/assign"),
        &s,
        &[("csrf", &csrf), ("version", &old), ("officer", "ann")],
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body.contains("This case changed since you opened it."),
        "{}",
        r.body
    );
    assert!(r
        .body
        .contains(&format!("href=\"/cases/{reference}\" id=\"reload\"")));
    assert_eq!(events(&desk, &reference), before);
    assert!(desk.site.case(&now(), &reference)["case"]["officer"].is_null());
    // No version at all: refused the same way.
    let r = desk.post(
        &format!("/cases/{reference}/note"),
        &s,
        &[("csrf", &csrf), ("text", "hello")],
    );
    assert_eq!(r.status, 409);
    // Reloaded: the action goes through.
    let (csrf, new) = page(&desk, &s, &reference);
    assert_ne!(new, old);
    let r = desk.post(
        &format!("/cases/{reference}/assign"),
        &s,
        &[("csrf", &csrf), ("version", &new), ("officer", "ann")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(desk.site.case(&now(), &reference)["case"]["officer"], "ann");

    // Two officers on the desk with the same page open: the second to act is refused.
    webkit::add_user(&desk.site, "ann", "officer", "ann's long password");
    let ann = desk.session("ann", "ann's long password");
    let (ann_csrf, ann_version) = page(&desk, &ann, &reference);
    let (csrf, version) = page(&desk, &s, &reference);
    assert_eq!(ann_version, version);
    let r = desk.post(
        &format!("/cases/{reference}/assign"),
        &s,
        &[("csrf", &csrf), ("version", &version), ("officer", "bob")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let before = events(&desk, &reference);
    let r = desk.post(
        &format!("/cases/{reference}/assign"),
        &ann,
        &[
            ("csrf", &ann_csrf),
            ("version", &ann_version),
            ("officer", "cat"),
        ],
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("This case changed since you opened it."));
    assert_eq!(events(&desk, &reference), before);
    assert_eq!(desk.site.case(&now(), &reference)["case"]["officer"], "bob");
}

#[test]
fn an_action_without_the_csrf_token_is_refused() {
    let (desk, reference) = desk_with_a_case();
    let s = desk.admin();
    let (_, version) = page(&desk, &s, &reference);
    let before = events(&desk, &reference);
    let r = desk.post(
        &format!("/cases/{reference}/note"),
        &s,
        &[("version", &version), ("text", "sneaky")],
    );
    assert_eq!(r.status, 403);
    let r = desk.post(
        "/cases/new",
        &s,
        &[("name", "X"), ("address", "1 High St"), ("via", "phone")],
    );
    assert_eq!(r.status, 403);
    assert_eq!(events(&desk, &reference), before);
    let n: i64 = desk
        .site
        .db()
        .query_row("SELECT count(*) FROM cases", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn a_complaint_by_phone_opens_an_acknowledged_case() {
    let desk = Desk::start(web_site(""), "web");
    let s = desk.admin();
    let p = desk.get("/cases/new", Some(&s));
    assert_eq!(p.status, 200);
    assert!(p.body.contains("id=\"new-case-form\""));
    let csrf = p.csrf();
    // Bad input: one line, nothing made.
    let r = desk.post(
        "/cases/new",
        &s,
        &[
            ("csrf", &csrf),
            ("email", "not-an-address"),
            ("via", "phone"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("is not an email address"), "{}", r.body);
    assert!(
        r.body.contains("value=\"not-an-address\""),
        "kept: {}",
        r.body
    );
    let r = desk.post(
        "/cases/new",
        &s,
        &[("csrf", &csrf), ("name", "Pat"), ("via", "phone")],
    );
    assert_eq!(r.status, 422);
    assert!(
        r.body
            .contains("a customer with no email needs a postal address"),
        "{}",
        r.body
    );
    let r = desk.post(
        "/cases/new",
        &s,
        &[
            ("csrf", &csrf),
            ("name", "Pat"),
            ("address", "1 High St"),
            ("received", "2999-01-01"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("is in the future"), "{}", r.body);
    let n: i64 = desk
        .site
        .db()
        .query_row("SELECT count(*) FROM cases", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);

    let r = desk.post(
        "/cases/new",
        &s,
        &[
            ("csrf", &csrf),
            ("name", "Pat Jones"),
            ("email", ""),
            ("address", "1 High Street\r\nBathtown\r\nBA1 1AA"),
            ("via", "phone"),
            ("subject", "Missed bin collection"),
            ("kind", "complaint"),
            ("received", ""),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.header("location").unwrap();
    let reference = to
        .strip_prefix("/cases/")
        .and_then(|t| t.strip_suffix("?done=new"))
        .unwrap_or_else(|| panic!("{to}"))
        .to_string();
    let case = desk.site.case(&now(), &reference);
    assert_eq!(case["case"]["state"], "acknowledged", "{case}");
    assert_eq!(case["case"]["customer_name"], "Pat Jones");
    let ev = events(&desk, &reference);
    assert!(ev.iter().all(|(a, _, _)| a == "officer:admin"), "{ev:?}");
    assert!(
        ev.iter()
            .any(|(_, _, d)| d.as_deref().is_some_and(|d| d.contains("phone"))),
        "{ev:?}"
    );
    // The acknowledgement is owed by post: held to print.
    assert_eq!(letters(&desk, &reference).len(), 1);
    assert!(desk.get(to, Some(&s)).body.contains("The case was opened."));
}

#[test]
fn each_action_form_calls_the_clis_function_as_the_user() {
    let (desk, reference) = desk_with_a_case();
    let s = desk.admin();
    let path = |a: &str| format!("/cases/{reference}/{a}");
    // Each action from a freshly drawn page: 303 back to the case with its banner, and
    // an event by the signed-in user.
    let ok = |action: &str, fields: &[(&str, &str)], banner: &str| {
        let before = events(&desk, &reference).len();
        let (csrf, version) = page(&desk, &s, &reference);
        let mut form = vec![("csrf", csrf.as_str()), ("version", version.as_str())];
        form.extend_from_slice(fields);
        let r = desk.post(&path(action), &s, &form);
        assert_eq!(r.status, 303, "{action}: {}", r.body);
        let to = r.header("location").unwrap().to_string();
        assert!(desk.get(&to, Some(&s)).body.contains(banner), "{action}");
        let ev = events(&desk, &reference);
        assert!(
            ev.len() > before && ev[before..].iter().all(|(a, _, _)| a == "officer:admin"),
            "{action}: {ev:?}"
        );
    };
    // This policy does not stop the clock: refused as the CLI refuses it, in the same
    // words (both from `allowed`), less the reference the page already shows.
    let cli = desk.site.fails(
        &now(),
        &["pause", &reference, "--reason", "site visit", "--by", "ann"],
    );
    let why = cli
        .trim()
        .trim_start_matches("redress: error: ")
        .trim_start_matches(&format!("{reference}: "));
    assert!(why.contains("does not allow pausing"), "{why}");
    let (csrf, version) = page(&desk, &s, &reference);
    let r = desk.post(
        &path("pause"),
        &s,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("reason", "site visit"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains(why), "'{why}' not on\n{}", r.body);
    ok(
        "classify",
        &[("kind", "comment")],
        "The case&#39;s kind was corrected.",
    );
    assert_eq!(
        desk.site.case(&now(), &reference)["case"]["kind"],
        "comment"
    );
    ok(
        "classify",
        &[("kind", "complaint")],
        "The case&#39;s kind was corrected.",
    );
    ok(
        "restrict",
        &[
            ("email", "ada@example.org"),
            ("level", "letter-only"),
            ("review", "2099-01-01"),
            ("reason", "the volume of calls"),
        ],
        "The restriction was recorded.",
    );
    let letters_before = letters(&desk, &reference).len();
    ok(
        "extend",
        &[("days", "5"), ("reason", "we need a site visit")],
        "The deadline was extended and the letter queued.",
    );
    assert_eq!(letters(&desk, &reference).len(), letters_before + 1);
    ok(
        "close",
        &[("reason", "withdrawn"), ("note", "rang to withdraw")],
        "The case was closed.",
    );
    assert_eq!(
        desk.site.case(&now(), &reference)["case"]["state"],
        "closed"
    );
    ok(
        "reopen",
        &[("reason", "rang again")],
        "The case was reopened.",
    );
    assert_ne!(
        desk.site.case(&now(), &reference)["case"]["state"],
        "closed"
    );
    // A decision with no escalation asked for: refused by the CLI and the desk alike.
    let cli = desk.site.fails(
        &now(),
        &[
            "decide",
            &reference,
            "--decision",
            "accept",
            "--reason",
            "x",
        ],
    );
    assert!(cli.contains("cannot accept escalation"), "{cli}");
    // The desk's refusal is its one answer to "may I decide here" (issue 26): the
    // policy has no review decision at all.
    let why = "The Complaint Handling Code has no review decision";
    let (csrf, version) = page(&desk, &s, &reference);
    let r = desk.post(
        &path("decide"),
        &s,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("decision", "accept"),
            ("reason", "x"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let shown = why.replace('\'', "&#39;");
    assert!(r.body.contains(&shown), "'{why}' not on\n{}", r.body);
    // Before the response nobody may move it on here (the Code's stage 2 takes no case
    // from the council): refused with the page's reason, in the desk's words.
    let r = desk.post(
        &path("escalate"),
        &s,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("by", "customer"),
            ("reason", "because"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains(
            "The customer may ask for the next stage once the response at this stage has gone."
        ) && !r.body.contains("--reason")
            && !r.body.contains("--council"),
        "{}",
        r.body
    );
    // An unknown action is not one.
    let r = desk.post(
        &path("erase"),
        &s,
        &[("csrf", &csrf), ("version", &version)],
    );
    assert_eq!(r.status, 404);
}

#[test]
fn mail_waiting_to_triage_shows_the_suggestion_and_an_officer_decides_it_in_one_action() {
    let site = web_site("");
    site.mail(
        "1",
        "Dan <dan@example.org>",
        "PCN AB123",
        "I received a penalty charge notice and want to appeal it.",
        "t1@example.org",
    );
    site.mail(
        "2",
        "Eve <eve@example.org>",
        "Lorry",
        "A council lorry damaged my car on Tuesday; I would like to make a claim.",
        "t2@example.org",
    );
    site.run(&now(), &["poll"]);
    let refs: Vec<String> = site
        .db()
        .prepare("SELECT reference FROM cases ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let desk = Desk::start(site, "web");
    webkit::add_user(&desk.site, "ann", "officer", "ann's long password");
    let s = desk.session("ann", "ann's long password");
    // Both on the queue's "Waiting to triage" list, with the route suggested.
    let q = desk.get("/", Some(&s)).body;
    assert!(q.contains("Waiting to triage: a person decides"), "{q}");
    assert!(q.contains(&refs[0]) && q.contains(&refs[1]), "{q}");
    assert!(q.contains("the Insurance team"), "{q}");
    let p = desk.get(&format!("/cases/{}", refs[0]), Some(&s));
    assert!(p.body.contains("Waiting to triage"), "{}", p.body);
    assert!(p
        .body
        .contains("Accept: send the redirect letter and close"));
    assert!(p.body.contains("Needs attention"), "the flag is shown");
    // Accepted: the drafted redirect goes and the case closes out of scope.
    let (csrf, version) = page(&desk, &s, &refs[0]);
    let r = desk.post(
        &format!("/cases/{}/triage", refs[0]),
        &s,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("decision", "accept"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        letters(&desk, &refs[0]),
        [("out-of-scope-redirect".to_string(), "pending".to_string())]
    );
    let case = desk.site.case(&now(), &refs[0]);
    assert_eq!(
        (
            case["case"]["kind"].as_str(),
            case["case"]["state"].as_str()
        ),
        (Some("out-of-scope"), Some("closed"))
    );
    assert!(events(&desk, &refs[0])
        .iter()
        .any(|(a, k, _)| a == "officer:ann" && k == "close (out-of-scope)"));
    // Turned down: a complaint, acknowledged.
    let (csrf, version) = page(&desk, &s, &refs[1]);
    let r = desk.post(
        &format!("/cases/{}/triage", refs[1]),
        &s,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("decision", "complaint"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        letters(&desk, &refs[1]),
        [("acknowledgement".to_string(), "pending".to_string())]
    );
    let shown = desk.get(&format!("/cases/{}", refs[1]), Some(&s));
    assert!(!shown.body.contains("Waiting to triage"), "{}", shown.body);
}

#[test]
fn a_possible_review_request_is_confirmed_from_the_desk_in_one_action() {
    // Issue 22, item 7: the officer confirms a reply flagged "possible review request"
    // with Escalate, "in their latest reply"; the request dates from the reply.
    let (desk, reference) = desk_with_a_case();
    let s = desk.admin();
    desk.site.respond(
        &now(),
        &reference,
        "not upheld",
        "The potholes were filled.",
    );
    desk.site.mail(
        "2",
        "Ada <ada@example.org>",
        &format!("Re: [Ref {reference}] Our response"),
        "They are back already. Can I escalate this?",
        "a2@example.org",
    );
    desk.site.run(&now(), &["poll"]);
    let out = desk.site.run(&now(), &["tick"]);
    assert!(out.contains("may ask for a review"), "{out}");
    let (csrf, version) = page(&desk, &s, &reference);
    let p = desk.get(&format!("/cases/{reference}"), Some(&s));
    assert!(p.body.contains("in their latest reply"), "{}", p.body);
    let r = desk.post(
        &format!("/cases/{reference}/escalate"),
        &s,
        &[("csrf", &csrf), ("version", &version), ("by", "reply")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let case = desk.site.case(&now(), &reference);
    assert_eq!(case["case"]["stage"], "stage2", "{case}");
    let received: String = desk
        .site
        .db()
        .query_row(
            "SELECT received_at FROM messages WHERE ingest_key LIKE '%a2@example.org%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let ack = case["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["stage"] == "stage2" && d["kind"] == "acknowledge")
        .unwrap()
        .clone();
    let reply_day = chrono::DateTime::parse_from_rfc3339(&received)
        .unwrap()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive()
        .to_string();
    assert_eq!(ack["from_date"], reply_day.as_str(), "{ack}");
    assert!(events(&desk, &reference).iter().any(|(_, _, d)| d
        .as_deref()
        .is_some_and(|d| d.contains("(confirmed by an officer)"))));
}

/// Issue 23, item 6: a mistyped year is refused on the desk's New case form as by
/// `redress new`, unless the officer ticks that the date is right (tests/small_faults.rs
/// has what follows when a response date had passed before it was recorded).
#[test]
fn a_received_date_over_a_year_ago_needs_confirming_on_the_desk() {
    let desk = Desk::start(web_site(""), "web");
    let s = desk.admin();
    let csrf = desk.get("/cases/new", Some(&s)).csrf();
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "Pat"),
        ("address", "1 High St"),
        ("via", "phone"),
        ("received", "1900-01-01"),
    ];
    let r = desk.post("/cases/new", &s, &form);
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("1900-01-01 is more than 12 months ago"),
        "{}",
        r.body
    );
    let mut confirmed = form.to_vec();
    confirmed.push(("confirm_date", "1"));
    let r = desk.post("/cases/new", &s, &confirmed);
    assert_eq!(r.status, 303, "{}", r.body);
    let reference = r.header("location").unwrap()[7..].replace("?done=new", "");
    let case = desk.site.case(&now(), &reference);
    // Under the Code the response counts from the acknowledgement (sent now), so no
    // response date had passed: nothing to flag, and nothing overdue for the sweep.
    assert!(case["case"]["flagged"].is_null(), "{case}");
    let out = desk.site.run(&now(), &["tick"]);
    assert!(!out.contains("holding") && !out.contains("lapsed"), "{out}");
    assert_eq!(letters(&desk, &reference).len(), 1);
}

/// Issue 24, item 1, through the desk: the LGSCO Code's stage 1 handler "must not handle
/// stage 2" (POLICIES.md, Oversight). ann answered stage 1 by the CLI; signed in to the
/// desk at stage 2 her reply, and its preview, are refused with the CLI's one line and
/// nothing is written.
#[test]
fn the_stage1_responder_may_not_reply_at_stage2_from_the_desk() {
    let (desk, reference) = desk_with_a_case();
    let at = now();
    // Stage 1 has no window under the Code: ann's response closes the case as responded.
    desk.site.respond(
        &at,
        &reference,
        "not upheld",
        "The potholes are within limits.",
    );
    desk.site.run(&at, &["escalate", &reference, "--by", "bob"]);
    let case = desk.site.case(&at, &reference);
    assert_eq!(case["case"]["stage"], "stage2", "{case}");
    webkit::add_user(&desk.site, "ann", "officer", "ann's long password");
    let s = desk.session("ann", "ann's long password");
    let before_letters = letters(&desk, &reference);
    let before_events = events(&desk, &reference);
    for action in ["preview", "send"] {
        let (csrf, version) = page(&desk, &s, &reference);
        let r = desk.post(
            &format!("/cases/{reference}/reply"),
            &s,
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("outcome", "upheld"),
                ("body", "On review, the potholes are too deep."),
                ("action", action),
            ],
        );
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(
            // The page names the case: the refusal does not repeat its reference.
            r.body
                .contains("ann handled Stage 1 of this complaint and may not respond at Stage 2"),
            "{}",
            r.body
        );
    }
    assert_eq!(letters(&desk, &reference), before_letters);
    assert_eq!(events(&desk, &reference), before_events);
    // Nor may she be assigned it from the desk.
    let (csrf, version) = page(&desk, &s, &reference);
    let r = desk.post(
        &format!("/cases/{reference}/assign"),
        &s,
        &[("csrf", &csrf), ("version", &version), ("officer", "ann")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body
            .contains("ann handled Stage 1 of this complaint and may not be assigned it"),
        "{}",
        r.body
    );
}

/// An anonymous complaint by phone from the desk's new-case form: opened with no
/// contact details and no letter (issue 24, item 9).
#[test]
fn an_anonymous_complaint_is_recorded_from_the_desk_with_no_letter() {
    let desk = Desk::start(web_site(""), "web");
    let s = desk.admin();
    let csrf = desk.get("/cases/new", Some(&s)).csrf();
    let r = desk.post(
        "/cases/new",
        &s,
        &[
            ("csrf", &csrf),
            ("anonymous", "1"),
            ("via", "phone"),
            ("subject", "Bins left in the road"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let db = desk.site.db();
    let (kind, letters, anonymous): (String, i64, i64) = db
        .query_row(
            "SELECT c.kind, (SELECT count(*) FROM letters l WHERE l.case_id = c.id),
                    (SELECT count(*) FROM events e WHERE e.case_id = c.id AND e.kind = 'anonymous')
             FROM cases c",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((kind.as_str(), letters, anonymous), ("complaint", 0, 1));
}

/// A desk over a site under `policy` holding one complaint from Ivy; its reference.
fn desk_under(policy: &str, prefix: &str) -> (Desk, String) {
    let site = crate::site::Site::with(policy, prefix, "[web]\nlisten = \"127.0.0.1:0\"\n");
    webkit::desk_with_mail(
        site,
        "Ivy <ivy@example.org>",
        "The Director of Place",
        "I wish to complain about how I was spoken to.",
        "i1@example.org",
    )
}

/// The refusal's line on a page (what the desk shows in its error summary).
fn refusal(body: &str) -> String {
    let start = body.find("desk-refusal\">").expect("a refusal") + "desk-refusal\">".len();
    body[start..start + body[start..].find("</p>").unwrap()].to_string()
}

#[test]
fn the_unreasonable_behaviour_form_takes_bath_and_nes_through_the_monitoring_officers_steps() {
    // Seed 002 l.313-332: referral, the letter that behaviour is being investigated, the
    // outcome letter inviting representations by a date, then the decision; l.311
    // immediate action only in exceptional circumstances. The desk names no option.
    let (desk, reference) = desk_under("bath-and-north-east-somerset", "BNES");
    let s = desk.admin();
    let post = |action: &str, fields: &[(&str, &str)]| {
        let (csrf, version) = page(&desk, &s, &reference);
        let mut form = vec![("csrf", csrf.as_str()), ("version", version.as_str())];
        form.extend_from_slice(fields);
        desk.post(&format!("/cases/{reference}/{action}"), &s, &form)
    };
    let shown = desk.get(&format!("/cases/{reference}"), Some(&s)).body;
    assert!(shown.contains("id=\"behaviour-form\""), "{shown}");
    assert!(shown.contains("id=\"restrict-immediate\""), "{shown}");
    // The Restrict form without the exceptional reason: refused in the desk's words.
    let restrict = [
        ("email", "ivy@example.org"),
        ("level", "letter-only"),
        ("review", "2099-06-01"),
        ("reason", "abusive calls"),
    ];
    let r = post("restrict", &restrict);
    assert_eq!(r.status, 422, "{}", r.body);
    let why = refusal(&r.body);
    assert!(why.contains("Monitoring Officer&#39;s procedure"), "{why}");
    assert!(!why.contains("--"), "{why}");
    let step = |fields: &[(&str, &str)]| {
        let mut f = vec![("email", "ivy@example.org")];
        f.extend_from_slice(fields);
        post("behaviour", &f)
    };
    let r = step(&[("step", "refer"), ("reason", "abusive telephone calls")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let r = step(&[("step", "investigate")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let r = step(&[
        ("step", "warn"),
        ("level", "letter-only"),
        ("reason", "abusive telephone calls"),
        ("representations_by", "2099-01-01"),
    ]);
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.header("location").unwrap().to_string();
    let shown = desk.get(&to, Some(&s)).body;
    assert!(
        shown.contains("The step of the unreasonable behaviour procedure was recorded."),
        "{shown}"
    );
    assert!(
        shown.contains("invited to make representations by 2099-01-01"),
        "{shown}"
    );
    // Too early to decide: no representations and the date not reached.
    let r = step(&[("step", "restrict"), ("review", "2099-06-01")]);
    assert_eq!(r.status, 422, "{}", r.body);
    let why = refusal(&r.body);
    assert!(why.contains("none has arrived"), "{why}");
    assert!(!why.contains("--"), "{why}");
    let r = step(&[
        ("step", "no-restriction"),
        ("reason", "the calls have stopped"),
    ]);
    assert_eq!(r.status, 303, "{}", r.body);
    let ev = events(&desk, &reference);
    for kind in [
        "referred to the Monitoring Officer",
        "behaviour investigation begun",
        "restriction considered",
        "no restriction decided",
    ] {
        assert!(
            ev.iter().any(|(a, k, _)| a == "officer:admin" && k == kind),
            "{kind}: {ev:?}"
        );
    }
    let kinds: Vec<String> = letters(&desk, &reference)
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k == "behaviour-procedure")
        .collect();
    assert_eq!(kinds.len(), 3, "investigation, outcome, decision");
    // In exceptional circumstances, at once with the reason.
    let mut f = restrict.to_vec();
    f.push(("immediate", "a threat of violence to staff"));
    let r = post("restrict", &f);
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(events(&desk, &reference)
        .iter()
        .any(|(_, k, d)| k == "contact restricted"
            && d.as_deref()
                .unwrap_or("")
                .contains("exceptional circumstances: a threat of violence to staff")));
}

#[test]
fn the_director_form_marks_a_north_norfolk_case_and_records_the_investigator_chosen() {
    // Seed 004 l.424: the Chief Executive or Leader of the Council advises who
    // investigates a complaint about a Director or Senior Manager.
    let (desk, reference) = desk_under("north-norfolk", "NNDC");
    let s = desk.admin();
    // The mail's subject names "The Director of Place": a hint, nothing marked yet.
    let shown = desk.get(&format!("/cases/{reference}"), Some(&s)).body;
    assert!(shown.contains("id=\"director-hint\""), "{shown}");
    assert!(!shown.contains("id=\"director\""), "{shown}");
    let post = |action: &str, fields: &[(&str, &str)]| {
        let (csrf, version) = page(&desk, &s, &reference);
        let mut form = vec![("csrf", csrf.as_str()), ("version", version.as_str())];
        form.extend_from_slice(fields);
        desk.post(&format!("/cases/{reference}/{action}"), &s, &form)
    };
    let r = post(
        "director",
        &[("step", "mark"), ("about", "Jane Roe, Director of Place")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.header("location").unwrap().to_string();
    let shown = desk.get(&to, Some(&s)).body;
    assert!(shown.contains("id=\"director\""), "{shown}");
    assert!(
        shown.contains(
            "Waiting for the Chief Executive or Leader of the Council to choose who investigates"
        ),
        "{shown}"
    );
    // Not assigned before the choice, in words with no option in them.
    let r = post("assign", &[("officer", "ann")]);
    assert_eq!(r.status, 422, "{}", r.body);
    let why = refusal(&r.body);
    assert!(
        why.contains("assigned only once the investigator is chosen"),
        "{why}"
    );
    assert!(!why.contains("--"), "{why}");
    let r = post(
        "director",
        &[
            ("step", "choose"),
            ("investigator", "bob"),
            ("chosen_by", "the Leader of the Council"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(events(&desk, &reference)
        .iter()
        .any(|(a, k, d)| a == "officer:admin"
            && k == "investigator chosen"
            && d.as_deref()
                .unwrap_or("")
                .contains("bob chosen by the Leader of the Council")));
    let r = post("assign", &[("officer", "bob")]);
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(desk.site.case(&now(), &reference)["case"]["officer"], "bob");
}

#[test]
fn a_response_waiting_for_approval_is_sent_by_an_approvers_button_exactly_once() {
    // Seed 003 l.116-118: West Lindsey's Quality Assurance Board agrees responses where
    // the council is found at fault. ann's upheld reply waits; dee (a manager the
    // council marks as an approver) approves it from the case page.
    let site = crate::site::Site::with(
        "west-lindsey",
        "WLDC",
        "[web]\nlisten = \"127.0.0.1:0\"\n\
         [[staff]]\nname = \"dee\"\nemail = \"dee@council.example\"\napproves = true\n",
    );
    let (desk, reference) = webkit::desk_with_mail(
        site,
        "Ada <ada@example.org>",
        "Missed bins",
        "I wish to complain: my bin was missed again.",
        "a1@example.org",
    );
    webkit::add_user(&desk.site, "ann", "officer", "ann's long password");
    webkit::add_user(&desk.site, "dee", "manager", "dee's long password");
    let ann = desk.session("ann", "ann's long password");
    let (csrf, version) = page(&desk, &ann, &reference);
    let p = desk.get(&format!("/cases/{reference}"), Some(&ann));
    assert!(
        p.body
            .contains("waits for approval by the Quality Assurance Board before it is sent"),
        "{}",
        p.body
    );
    let r = desk.post(
        &format!("/cases/{reference}/reply"),
        &ann,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("outcome", "upheld"),
            ("body", "We missed your bin and have put it right."),
            (
                "learning",
                "Crews missed the close when the driver changed.",
            ),
            ("learning_action", "Route sheets list the close."),
            ("action", "send"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some(format!("/cases/{reference}?done=awaiting").as_str())
    );
    let responses = |desk: &Desk| {
        letters(desk, &reference)
            .into_iter()
            .filter(|(k, _)| k == "final-response")
            .count()
    };
    assert_eq!(responses(&desk), 0, "stored, not sent, until approved");
    // ann sees it waiting, with no button to approve it (an officer).
    let shown = desk.get(&format!("/cases/{reference}?done=awaiting"), Some(&ann));
    assert!(shown.body.contains("Awaiting approval"), "{}", shown.body);
    assert!(shown.body.contains("The reply waits for approval"));
    assert!(!shown.body.contains("id=\"approve-button\""));
    let (csrf, version) = page(&desk, &ann, &reference);
    let r = desk.post(
        &format!("/cases/{reference}/approve"),
        &ann,
        &[("csrf", &csrf), ("version", &version)],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(responses(&desk), 0);
    // dee's queue lists it; her case page has the button.
    let dee = desk.session("dee", "dee's long password");
    let q = desk.get("/", Some(&dee));
    assert!(q.body.contains("Responses awaiting approval"), "{}", q.body);
    assert!(q.body.contains(&reference));
    let p = desk.get(&format!("/cases/{reference}"), Some(&dee));
    assert!(p.body.contains("id=\"approve-button\""), "{}", p.body);
    // No CLI flag or config key in the desk's wording.
    assert!(!p.body.contains("--return") && !p.body.contains("[[staff]]"));
    let (csrf, version) = page(&desk, &dee, &reference);
    let r = desk.post(
        &format!("/cases/{reference}/approve"),
        &dee,
        &[("csrf", &csrf), ("version", &version)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some(format!("/cases/{reference}?done=approve").as_str())
    );
    assert_eq!(responses(&desk), 1);
    // Pressed again from a fresh page: nothing waits, nothing doubled.
    let (csrf, version) = page(&desk, &dee, &reference);
    let r = desk.post(
        &format!("/cases/{reference}/approve"),
        &dee,
        &[("csrf", &csrf), ("version", &version)],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("no response waits for approval"),
        "{}",
        r.body
    );
    assert_eq!(responses(&desk), 1);
    let ev = events(&desk, &reference);
    assert!(
        ev.iter()
            .any(|(a, k, _)| a == "officer:dee" && k == "response approved"),
        "{ev:?}"
    );
    assert!(
        ev.iter()
            .any(|(a, k, _)| a == "officer:ann" && k == "learning recorded"),
        "{ev:?}"
    );
}
#[test]
fn an_approver_returns_a_response_with_a_reason_and_an_officer_records_the_learning() {
    // Seed 003 l.118-121: the Board discusses findings and agrees remedies; one it does
    // not agree goes back to the officer, unsent, with the reason. Seed 000 l.205: the
    // learning is tracked, here from the case page's own form.
    let site = crate::site::Site::with(
        "west-lindsey",
        "WLDC",
        "[web]\nlisten = \"127.0.0.1:0\"\n\
         [[staff]]\nname = \"dee\"\nemail = \"dee@council.example\"\napproves = true\n",
    );
    let (desk, reference) = webkit::desk_with_mail(
        site,
        "Ada <ada@example.org>",
        "Missed bins",
        "I wish to complain: my bin was missed again.",
        "a1@example.org",
    );
    webkit::add_user(&desk.site, "ann", "officer", "ann's long password");
    webkit::add_user(&desk.site, "dee", "manager", "dee's long password");
    let ann = desk.session("ann", "ann's long password");
    let (csrf, version) = page(&desk, &ann, &reference);
    let r = desk.post(
        &format!("/cases/{reference}/reply"),
        &ann,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("outcome", "not upheld"),
            ("body", "We collected it the next day."),
            ("remedy", "A goodwill payment of £5."),
            ("action", "send"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let dee = desk.session("dee", "dee's long password");
    // No reason: refused in the desk's words, nothing changed.
    let (csrf, version) = page(&desk, &dee, &reference);
    let r = desk.post(
        &format!("/cases/{reference}/return"),
        &dee,
        &[("csrf", &csrf), ("version", &version), ("reason", " ")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("needs the reason"), "{}", r.body);
    assert!(
        r.body
            .contains("a returned response needs the reason: the officer who wrote it is told"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("--return"), "no CLI flag in the desk");
    let (csrf, version) = page(&desk, &dee, &reference);
    let r = desk.post(
        &format!("/cases/{reference}/return"),
        &dee,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("reason", "Four missed collections: uphold it."),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some(format!("/cases/{reference}?done=return").as_str())
    );
    assert!(letters(&desk, &reference)
        .iter()
        .all(|(k, _)| k != "final-response"));
    let to_ann: i64 = desk
        .site
        .db()
        .query_row(
            "SELECT COUNT(*) FROM notifications WHERE to_addr = 'ann@council.example'
             AND body LIKE '%Four missed collections: uphold it.%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(to_ann, 1, "the writer is told why");
    let shown = desk.get(&format!("/cases/{reference}"), Some(&ann));
    assert!(!shown.body.contains("id=\"waiting-response\""));
    // The learning, recorded afterwards from its own form.
    let (csrf, version) = page(&desk, &ann, &reference);
    let r = desk.post(
        &format!("/cases/{reference}/learning"),
        &ann,
        &[
            ("csrf", &csrf),
            ("version", &version),
            (
                "learning",
                "Crews missed the close when the driver changed.",
            ),
            ("learning_action", "Route sheets list the close."),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let ev = events(&desk, &reference);
    assert!(
        ev.iter().any(|(a, k, d)| a == "officer:dee"
            && k == "response returned"
            && d.as_deref().is_some_and(|d| d.contains("uphold it"))),
        "{ev:?}"
    );
    assert!(
        ev.iter()
            .any(|(a, k, _)| a == "officer:ann" && k == "learning recorded"),
        "{ev:?}"
    );
}
