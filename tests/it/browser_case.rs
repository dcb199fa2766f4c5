//! The case page in a real Chromium (issue 26): the resident's messages and the
//! deadlines before the actions, only the actions the case and its policy allow (a
//! posted one that is not refused with the page's reason), officers' actions that
//! needed the shell, a call recorded on the desk, and no command-line words anywhere.

use crate::bin;
use crate::browser::*;

use serde_json::{json, Value};
use std::path::Path;

/// Whether the element with id `id` is on the page.
fn has(b: &Browser, id: &str) -> bool {
    b.js(
        "return document.getElementById(arguments[0]) !== null;",
        json!([id]),
    ) == json!(true)
}

/// Open the folded section whose summary reads `summary` (the case page folds its
/// less used actions).
fn expand(b: &Browser, summary: &str) {
    b.click(&format!(
        "//summary[normalize-space(.)={}]",
        xpath_str(summary)
    ));
}

/// At 390 px the page is no wider than the window (no sideways scroll); the window is
/// put back after.
fn fits_a_phone(b: &Browser, what: &str) {
    b.cmd(
        "POST",
        "/window/rect",
        json!({ "width": 390, "height": 900 }),
    );
    let w = b.js(
        "return [document.documentElement.scrollWidth, window.innerWidth,
                 [...document.querySelectorAll('body *')]
                   .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                   .slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + e.getBoundingClientRect().right),
                 (() => { const out = []; const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                   while (w.nextNode()) { const r = document.createRange(); r.selectNodeContents(w.currentNode);
                     const b = r.getBoundingClientRect(); if (b.right > window.innerWidth + 1) out.push(w.currentNode.textContent.slice(0, 60) + ' ' + b.right); }
                   return out.slice(0, 8); })()];",
        json!([]),
    );
    b.cmd(
        "POST",
        "/window/rect",
        json!({ "width": 1280, "height": 1024 }),
    );
    assert!(
        w[0].as_i64().unwrap() <= w[1].as_i64().unwrap(),
        "{what}: {w} (scrollWidth, innerWidth) at 390 px"
    );
}

/// No command-line flag, config section, internal actor or stage id on the page.
fn in_officer_words(page: &str) {
    for bad in [
        " --",
        "[[staff]]",
        "officer:",
        "stage1",
        "stage2",
        "T09:",
        "+00:00",
    ] {
        assert!(!page.contains(bad), "'{bad}' on the page:\n{page}");
    }
}

/// Post `fields` to `action` from the page itself, as a form the page does not offer
/// would be sent (the csrf and version the page carries), and wait for the answer.
fn force(b: &Browser, action: &str, fields: &[(&str, &str)]) {
    b.js(
        "const f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];
         const add = (n, v) => { const i = document.createElement('input'); i.type = 'hidden'; i.name = n; i.value = v; f.appendChild(i); };
         add('csrf', document.querySelector('input[name=csrf]').value);
         add('version', document.querySelector('input[name=version]').value);
         for (const [n, v] of arguments[1]) add(n, v);
         const btn = document.createElement('button'); btn.type = 'submit'; btn.textContent = 'Forced by the test';
         f.appendChild(btn); document.getElementById('main-content').appendChild(f);",
        json!([action, fields]),
    );
    b.click_button("Forced by the test");
}

/// The PDF a form's preview answers with (what its Preview button opens in a new tab).
fn preview_pdf(b: &Browser, form: &str, dir: &Path) -> String {
    let b64 = b.js_async(&format!(
        "const done = arguments[arguments.length - 1];
         const f = document.getElementById('{form}');
         const d = new URLSearchParams(new FormData(f)); d.set('action', 'preview');
         fetch(f.getAttribute('action'), {{method: 'POST', body: d, credentials: 'same-origin'}})
           .then(r => (r.headers.get('content-type') || '').startsWith('application/pdf')
                 ? r.arrayBuffer()
                 : r.text().then(t => Promise.reject('not a PDF: ' + r.status + ' ' + t.slice(0, 3000))))
           .then(buf => {{ let s = ''; new Uint8Array(buf).forEach(x => s += String.fromCharCode(x));
                          done(btoa(s)); }})
           .catch(e => done('error: ' + e));"
    ));
    let b64 = b64.as_str().unwrap().to_string();
    assert!(!b64.starts_with("error"), "{b64}");
    let pdf = base64_decode(&b64);
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    let file = dir.join(format!("{form}.pdf"));
    std::fs::write(&file, &pdf).unwrap();
    bin::pdf_text(&file)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn history(desk: &Desk, reference: &str) -> String {
    desk.redress(&["case", reference, "--history"], "")
}

/// The letter form `form` would send, previewed: it says `expect`, and `kept` (what the
/// preview must leave alone: the case's history, the outbox) reads the same after.
fn previewed_keeping(b: &Browser, dir: &Path, form: &str, expect: &str, kept: impl Fn() -> String) {
    let before = kept();
    let text = preview_pdf(b, form, dir);
    assert!(text.contains(expect), "{text}");
    assert_eq!(kept(), before, "a preview keeps nothing");
}

#[test]
fn the_case_page_shows_the_resident_first_and_only_what_the_code_allows() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    plain_site(&dir);
    mail(
        &dir,
        "1",
        "Ada Lovelace <ada@example.org>",
        "Potholes on Mill Lane",
        "The potholes on Mill Lane are deep and my tyre burst.",
    );
    let reference = reference_in(&redress_in(&dir, &["poll"], ""));
    // A stranger writes on Ada's case: kept, marked, flagged.
    mail(
        &dir,
        "2",
        "Zed Stranger <zed@example.net>",
        &format!("Re: [Ref {reference}] Potholes on Mill Lane"),
        "I live on the lane too and I agree with her.",
    );
    redress_in(&dir, &["poll"], "");
    // A compliment by phone, then closed.
    let thanks = reference_in(&redress_in(
        &dir,
        &[
            "new",
            "--kind",
            "compliment",
            "--email",
            "bo@example.org",
            "--name",
            "Bo Peep",
            "--via",
            "phone",
            "--subject",
            "Thanks for the gritting",
        ],
        "",
    ));
    redress_in(&dir, &["close", &thanks, "--reason", "resolved"], "");
    let desk = Desk::start(tmp, None);
    let b = Browser::start();
    b.sign_in(&desk, "admin", &desk.admin_password());
    b.open_case(&desk, &reference);
    let page = b.text();

    // On top: what needs attention, the stranger's mail among it.
    assert!(page.contains("Needs attention"), "{page}");
    assert!(page.contains("Third-party correspondence"), "{page}");
    assert!(page.contains("Third party"), "{page}");
    assert!(page.contains("I agree with her"), "{page}");
    // The resident's messages, then the deadlines, then the actions, then the timeline.
    let order = b.js(
        "return ['flagged', 'messages', 'deadlines', 'actions', 'timeline']
           .map(id => document.getElementById(id).getBoundingClientRect().top + window.scrollY);",
        json!([]),
    );
    let tops: Vec<f64> = serde_json::from_value(order).unwrap();
    assert!(tops.windows(2).all(|w| w[0] < w[1]), "{tops:?}");
    // Ada's message is marked as hers, the stranger's is not.
    let marked = b.js(
        "return [...document.querySelectorAll('#messages ~ .govuk-inset-text')]
           .map(m => [m.textContent.includes('Third party'), m.textContent.includes('Mill Lane are deep')]);",
        json!([]),
    );
    assert_eq!(marked, json!([[false, true], [true, false]]), "{page}");
    // London time, the stage by name, people by name, a timeline of sentences.
    let received = regex::Regex::new(
        r"Received\s+(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}",
    )
    .unwrap();
    assert!(received.is_match(&page), "{page}");
    assert!(page.contains("Stage 1"), "{page}");
    assert!(
        page.contains("came by email and the case was opened."),
        "{page}"
    );
    in_officer_words(&page);
    // The Code allows no pause and has no review decision: neither form, and why.
    assert!(has(&b, "reply-form") && has(&b, "extend-form"));
    // Stage 2 only once the response has gone: the customer asks then.
    assert!(!has(&b, "escalate-form"), "{page}");
    assert!(!has(&b, "pause-form") && !has(&b, "decide-form"), "{page}");
    let why = b.js(
        "return document.getElementById('not-here').textContent;",
        json!([]),
    );
    let why = why.as_str().unwrap();
    assert!(why.contains("does not allow pausing"), "{why}");
    assert!(why.contains("has no review decision"), "{why}");
    assert!(
        why.contains("once the response at this stage has gone"),
        "{why}"
    );
    b.assert_accessible("case page with a third party's mail");
    fits_a_phone(&b, "case page");

    // Decide posted anyway: refused with the same reason, nothing written.
    let before = history(&desk, &reference);
    force(
        &b,
        &format!("/cases/{reference}/decide"),
        &[("decision", "accept"), ("reason", "x")],
    );
    let page = b.text();
    assert!(page.contains("That was not done"), "{page}");
    assert!(
        page.contains("The Complaint Handling Code has no review decision"),
        "{page}"
    );
    assert!(page.contains("Nothing was changed."), "{page}");
    in_officer_words(&page);
    assert_eq!(history(&desk, &reference), before);
    b.assert_accessible("case page refusing an action it does not offer");

    // The closed compliment: nothing to reply, extend, escalate, decide, pause or
    // restrict; it may be reopened.
    b.goto(&desk.url(&format!("/cases/{thanks}")));
    for form in [
        "reply-form",
        "extend-form",
        "escalate-form",
        "decide-form",
        "pause-form",
        "restrict-form",
        "close-form",
    ] {
        assert!(!has(&b, form), "{form} on a closed compliment");
    }
    assert!(has(&b, "reopen-form") && has(&b, "note-form"));
    let page = b.text();
    assert!(page.contains("Compliment"), "{page}");
    assert!(
        regex::Regex::new(r"Received\s+\w{3} \d{1,2} \w{3} \d{4}, \d{2}:\d{2}, by phone")
            .unwrap()
            .is_match(&page),
        "{page}"
    );
    in_officer_words(&page);
    b.assert_accessible("closed compliment");
    fits_a_phone(&b, "closed compliment");
}

#[test]
fn an_officer_corrects_the_details_sets_the_service_and_clears_the_flag_in_the_browser() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    plain_site(&dir);
    mail(
        &dir,
        "1",
        "Cy Young <cy@example.org>",
        "Bins",
        "My bins were missed again this week.",
    );
    let reference = reference_in(&redress_in(&dir, &["poll"], ""));
    mail(
        &dir,
        "2",
        "Dot Other <dot@example.net>",
        &format!("[Ref {reference}] Bins"),
        "Mine too.",
    );
    redress_in(&dir, &["poll"], "");
    let desk = Desk::start(tmp, None);
    let b = Browser::start();
    b.sign_in(&desk, "admin", &desk.admin_password());
    b.open_case(&desk, &reference);

    // The service, which reports count by.
    expand(&b, "Set the service it is about");
    b.fill("The council service it is about", "Waste and recycling");
    b.click_button("Set the service");
    assert!(
        b.text().contains("The service was recorded."),
        "{}",
        b.text()
    );
    b.assert_accessible("case page after setting the service");
    let case: Value =
        serde_json::from_str(&desk.redress(&["case", &reference, "--json"], "")).unwrap();
    assert_eq!(case["case"]["service"], "Waste and recycling", "{case}");

    // The customer's details: name and postal address, as `redress customer` does.
    expand(&b, "Correct the customer's details");
    b.fill("Customer's name", "Cy Young-Smith");
    b.fill(
        "Customer's postal address (one line each)",
        "1 Mill Lane\nTesttown\nTT1 1AA",
    );
    b.fill("Customer's telephone number", "01632 960000");
    b.click_button("Correct the details");
    let page = b.text();
    assert!(
        page.contains("The customer's details were corrected."),
        "{page}"
    );
    assert!(page.contains("Cy Young-Smith"), "{page}");
    assert!(page.contains("TT1 1AA"), "{page}");
    assert!(page.contains("Telephone: 01632 960000"), "{page}");
    let h = history(&desk, &reference);
    assert!(h.contains("customer details corrected"), "{h}");

    // A refusal in the desk's words: an email address that is not one.
    expand(&b, "Correct the customer's details");
    b.fill("Customer's email address", "not an address");
    b.click_button("Correct the details");
    let page = b.text();
    assert!(page.contains("That was not done"), "{page}");
    assert!(page.contains("is not an email address"), "{page}");
    in_officer_words(&page);

    // The flag, once dealt with, is cleared; the third party's mail stays marked.
    b.goto(&desk.url(&format!("/cases/{reference}")));
    assert!(b.text().contains("Third-party correspondence"));
    b.click_button("Clear the flag");
    let page = b.text();
    assert!(page.contains("The flag was cleared."), "{page}");
    assert!(!has(&b, "flagged") && !has(&b, "unflag-form"), "{page}");
    assert!(page.contains("Third party"), "{page}");
    assert!(page.contains("admin cleared the flag."), "{page}");
    let case: Value =
        serde_json::from_str(&desk.redress(&["case", &reference, "--json"], "")).unwrap();
    assert!(case["case"]["flagged"].is_null(), "{case}");
    in_officer_words(&page);
    b.assert_accessible("case page after clearing the flag");

    // Someone writing for the resident, as `redress representative` records it.
    expand(&b, "Someone writing for the resident");
    b.choose("Who they are", "A councillor");
    b.fill("Their name", "Cllr Ann Bee");
    b.fill("The resident they write for", "Cy Young-Smith");
    b.click_button("Record the representative");
    let page = b.text();
    assert!(page.contains("The representative was recorded."), "{page}");
    assert!(
        page.contains("Written by Cllr Ann Bee, a councillor, for Cy Young-Smith."),
        "{page}"
    );
    assert!(history(&desk, &reference).contains("representative recorded"));

    // The extension letter, previewed before it is sent: nothing queued by the preview.
    b.fill("Working days", "5");
    b.fill(
        "Because (the letter says \"because …\")",
        "we need to visit the street",
    );
    previewed_keeping(
        &b,
        &dir,
        "extend-form",
        "we need to visit the street",
        || desk.redress(&["outbox", "--json"], ""),
    );
    // Without a reason: refused in the desk's words, what was typed kept.
    b.fill("Because (the letter says \"because …\")", "");
    b.click_button("Extend");
    let page = b.text();
    assert!(page.contains("That was not done"), "{page}");
    in_officer_words(&page);
    assert_eq!(
        b.js(
            "return document.getElementById('extend-days').value;",
            json!([])
        ),
        json!("5")
    );
    // Sent: the deadlines say who extended it, by how much and why.
    b.fill(
        "Because (the letter says \"because …\")",
        "we need to visit the street",
    );
    b.click_button("Extend");
    let page = b.text();
    assert!(
        page.contains("The deadline was extended and the letter queued."),
        "{page}"
    );
    let deadlines = b.js(
        "return document.getElementById('deadlines-list').innerText;",
        json!([]),
    );
    let deadlines = deadlines.as_str().unwrap();
    assert!(deadlines.contains("Respond (extended date)"), "{deadlines}");
    assert!(
        deadlines.contains("admin extended the response date by 5 working days from"),
        "{deadlines}"
    );
    assert!(
        deadlines.contains("because we need to visit the street"),
        "{deadlines}"
    );
    assert!(
        deadlines.contains("Replaced by an extended date"),
        "{deadlines}"
    );
    in_officer_words(&page);
    b.assert_accessible("case page after an extension");
    fits_a_phone(&b, "case page after an extension");
}

#[test]
fn a_call_recorded_on_the_desk_is_the_first_message_assigned_to_whoever_took_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    plain_site(&dir);
    // The staff list names the desk's admin: the desk shows their display name.
    let mut cfg = std::fs::read_to_string(dir.join("redress.toml")).unwrap();
    cfg.push_str("[[staff]]\nname = \"admin\"\nemail = \"admin@council.example\"\ndisplay_name = \"Sam Patel\"\n");
    std::fs::write(dir.join("redress.toml"), cfg).unwrap();
    let desk = Desk::start(tmp, None);
    let b = Browser::start();
    b.sign_in(&desk, "admin", &desk.admin_password());
    b.goto(&desk.url("/cases/new"));
    b.assert_accessible("new case form");
    fits_a_phone(&b, "new case form");
    assert_eq!(
        b.js(
            "return document.getElementById('new-officer').value;",
            json!([])
        ),
        json!("admin"),
        "whoever records it, unless they choose otherwise"
    );
    b.fill("Customer's name", "Eve Field");
    b.fill(
        "Postal address (one line each)",
        "2 High Street\nTesttown\nTT2 2BB",
    );
    b.fill("Subject", "Fly-tipping behind the shops");
    b.fill(
        "What the resident said",
        "Mrs Field rang: rubbish has been dumped behind the shops for three weeks.\nShe reported it twice.",
    );
    b.click_button("Open the case");
    let page = b.text();
    assert!(page.contains("The case was opened."), "{page}");
    let reference = reference_in(&b.current_url());
    // What she said is the first message, marked as written down; the case shows how
    // it came and where letters go, and who has it.
    assert!(page.contains("Written down"), "{page}");
    assert!(
        page.contains("rubbish has been dumped behind the shops"),
        "{page}"
    );
    assert!(page.contains("She reported it twice."), "{page}");
    assert!(page.contains("TT2 2BB"), "{page}");
    let details = b.js(
        "return document.getElementById('case-details').innerText;",
        json!([]),
    );
    let details = details.as_str().unwrap();
    assert!(details.contains(", by phone"), "{details}");
    assert!(details.contains("Sam Patel"), "{details}");
    assert!(
        page.contains("Sam Patel assigned the case to Sam Patel."),
        "{page}"
    );
    assert!(
        page.contains("Sam Patel opened the case: a complaint, received by phone."),
        "{page}"
    );
    in_officer_words(&page);
    b.assert_accessible("case opened from a call");
    fits_a_phone(&b, "case opened from a call");
    let case: Value =
        serde_json::from_str(&desk.redress(&["case", &reference, "--json"], "")).unwrap();
    assert_eq!(case["case"]["officer"], "admin", "{case}");

    // The daemon's own work on the held acknowledgement (rendered, held to post) is no
    // change a person made: the page drawn before it still acts.
    let h0 = history(&desk, &reference);
    desk.redress(&["send"], "");
    let h1 = history(&desk, &reference);
    assert_ne!(h0, h1, "the outbox did something to the case:\n{h1}");
    b.fill("Note", "Rang back: a crew is booked.");
    b.click_button("Add note");
    let page = b.text();
    assert!(page.contains("The note was added."), "{page}");
    assert!(!page.contains("This case changed"), "{page}");
    assert!(history(&desk, &reference).contains("a crew is booked"));

    // A mistyped assignee: refused in the desk's words, nothing opened.
    b.goto(&desk.url("/cases/new"));
    b.fill("Customer's name", "Fay Ray");
    b.fill("Postal address (one line each)", "3 Low Road");
    b.fill("Assign to", "samm");
    let before = desk.redress(&["cases", "--json"], "");
    b.click_button("Open the case");
    let page = b.text();
    assert!(page.contains("The case was not opened"), "{page}");
    assert!(
        page.contains("samm is not one of the council's staff"),
        "{page}"
    );
    in_officer_words(&page);
    assert_eq!(
        desk.redress(&["cases", "--json"], ""),
        before,
        "nothing opened"
    );
    // With no email and no address: the CLI's rule without its flag.
    b.goto(&desk.url("/cases/new"));
    b.fill("Customer's name", "Gus Grey");
    b.click_button("Open the case");
    let page = b.text();
    assert!(page.contains("No postal address was given"), "{page}");
    in_officer_words(&page);
    b.assert_accessible("new case refused");
}

#[test]
fn a_case_the_policy_does_not_cover_is_closed_from_the_desk_with_its_letter_previewed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    // Buckinghamshire lists what its procedure does not cover.
    plain_site_under(&dir, "buckinghamshire");
    mail(
        &dir,
        "1",
        "Hal Jones <hal@example.org>",
        "Bus stop",
        "The bus stop on Green Road has no shelter and I get wet every morning.",
    );
    let reference = reference_in(&redress_in(&dir, &["poll"], ""));
    let desk = Desk::start(tmp, None);
    let b = Browser::start();
    b.sign_in(&desk, "admin", &desk.admin_password());
    b.open_case(&desk, &reference);
    // This policy has no pause either, but does have a review decision, not yet due.
    assert!(!has(&b, "pause-form") && !has(&b, "decide-form"));
    let why = b.js(
        "return document.getElementById('not-here').textContent;",
        json!([]),
    );
    assert!(
        why.as_str()
            .unwrap()
            .contains("There is no request for the next stage to decide on."),
        "{why}"
    );
    // A manager's restriction notice, previewed: the letter, nothing kept.
    expand(&b, "Restrict the customer's contact");
    b.fill("Review on (YYYY-MM-DD)", "2099-01-01");
    b.fill(
        "Reasons (quoted in the notice)",
        "the number of calls to the contact centre",
    );
    previewed_keeping(
        &b,
        &dir,
        "restrict-form",
        "the number of calls to the contact centre",
        || history(&desk, &reference),
    );
    b.js(
        "document.getElementById('exclude-exclusion').value = 'schools';",
        json!([]),
    );
    let letters_before = desk.redress(&["outbox", "--json"], "");
    previewed_keeping(&b, &dir, "exclude-form", "school", || {
        desk.redress(&["outbox", "--json"], "")
    });
    b.click_button("Close as not covered");
    let page = b.text();
    assert!(
        page.contains("The case was closed as not covered by the policy"),
        "{page}"
    );
    assert!(page.contains("Closed"), "{page}");
    in_officer_words(&page);
    b.assert_accessible("case closed as not covered");
    fits_a_phone(&b, "case closed as not covered");
    let case: Value =
        serde_json::from_str(&desk.redress(&["case", &reference, "--json"], "")).unwrap();
    assert_eq!(case["case"]["state"], "closed", "{case}");
    assert_eq!(case["case"]["kind"], "out-of-scope", "{case}");
    assert_ne!(
        desk.redress(&["outbox", "--json"], ""),
        letters_before,
        "the letter is queued"
    );
    // Closed: the form is gone, and posting it again is refused with the reason.
    assert!(!has(&b, "exclude-form"));
    let before = history(&desk, &reference);
    force(
        &b,
        &format!("/cases/{reference}/exclude"),
        &[("exclusion", "schools")],
    );
    let page = b.text();
    assert!(page.contains("That was not done"), "{page}");
    assert!(page.contains("The case is closed."), "{page}");
    assert_eq!(history(&desk, &reference), before);
}

#[test]
fn an_officer_is_offered_no_managers_action_and_one_posted_is_refused_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    plain_site(&dir);
    mail(
        &dir,
        "1",
        "Ida Bell <ida@example.org>",
        "Noise",
        "The council depot starts work at 5 every morning.",
    );
    let reference = reference_in(&redress_in(&dir, &["poll"], ""));
    redress_in(
        &dir,
        &[
            "user",
            "add",
            "olly",
            "--email",
            "olly@council.example",
            "--role",
            "officer",
        ],
        "olly's long password\n",
    );
    let desk = Desk::start(tmp, None);
    let b = Browser::start();
    b.sign_in(&desk, "olly", "olly's long password");
    b.goto(&desk.url(&format!("/cases/{reference}")));
    assert!(has(&b, "reply-form") && has(&b, "note-form"));
    assert!(!has(&b, "restrict-form") && !has(&b, "approve-form"));
    let page = b.text();
    // Managers' actions are not listed to an officer as missing.
    assert!(!page.contains("Only a manager"), "{page}");
    in_officer_words(&page);
    b.assert_accessible("case page as an officer");

    let before = history(&desk, &reference);
    force(
        &b,
        &format!("/cases/{reference}/restrict"),
        &[
            ("email", "ida@example.org"),
            ("level", "letter-only"),
            ("review", "2099-01-01"),
            ("reason", "x"),
        ],
    );
    let page = b.text();
    assert!(page.contains("That was not done"), "{page}");
    assert!(
        page.contains("Only a manager may do this (restrict the customer's contact)."),
        "{page}"
    );
    assert_eq!(history(&desk, &reference), before, "nothing written");
    b.assert_accessible("an officer refused a manager's action");
}

#[test]
fn a_review_decision_is_offered_once_asked_for_and_its_letter_previewed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    // Buckinghamshire decides whether to accept a request for its stage 2 review.
    plain_site_under(&dir, "buckinghamshire");
    mail(
        &dir,
        "1",
        "Jo March <jo@example.org>",
        "Parking permit",
        "My parking permit renewal was lost twice.",
    );
    let reference = reference_in(&redress_in(&dir, &["poll"], ""));
    std::fs::write(
        dir.join("findings.txt"),
        "We found the renewal and sent it.\n",
    )
    .unwrap();
    redress_in(
        &dir,
        &[
            "reply",
            &reference,
            "--outcome",
            "not upheld",
            "--body-file",
            "findings.txt",
            "--by",
            "ann",
        ],
        "",
    );
    redress_in(&dir, &["escalate", &reference, "--by", "ann"], "");
    let desk = Desk::start(tmp, None);
    let b = Browser::start();
    b.sign_in(&desk, "admin", &desk.admin_password());
    b.goto(&desk.url(&format!("/cases/{reference}")));
    let page = b.text();
    assert!(page.contains("Stage 2 review"), "{page}");
    assert!(has(&b, "decide-form"), "{page}");
    // A request waits: no reply and no second request until it is decided.
    assert!(
        !has(&b, "reply-form") && !has(&b, "escalate-form"),
        "{page}"
    );
    in_officer_words(&page);
    b.choose("Decision", "Accept");
    b.fill(
        "Reasons (quoted in the letter)",
        "the permit office did not explain the delay",
    );
    previewed_keeping(
        &b,
        &dir,
        "decide-form",
        "the permit office did not explain the delay",
        || history(&desk, &reference),
    );
    b.click_button("Decide");
    let page = b.text();
    assert!(page.contains("The decision was recorded."), "{page}");
    assert!(!has(&b, "decide-form"), "decided once: {page}");
    in_officer_words(&page);
    b.assert_accessible("case after a review decision");
}
