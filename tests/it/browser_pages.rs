//! Desk pages in real Chromium that no other browser test opens: the Outbox with a
//! letter held to post, and an address that is no page. Each passes axe at 1280 and
//! 390 px with no sideways scroll, and keeps the header and navigation.

use crate::browser::*;

#[test]
fn the_outbox_and_a_missing_page_are_accessible_on_any_screen() {
    let tmp = tempfile::tempdir().unwrap();
    plain_site(tmp.path());
    // A complaint by letter from someone with no email: its acknowledgement is held
    // for the council to print and post.
    redress_in(
        tmp.path(),
        &[
            "new",
            "--name",
            "Mrs Ivy Stone",
            "--address",
            "12 Acacia Avenue",
            "--address",
            "Keynsham BS31 1AA",
            "--via",
            "letter",
            "--subject",
            "Missed bin collections",
        ],
        "",
    );
    redress_in(tmp.path(), &["send"], "");
    let desk = Desk::start(tmp, None);
    let b = Browser::start();
    b.sign_in(&desk, "admin", &desk.admin_password());
    b.click_link("Outbox");
    assert_eq!(b.current_url(), desk.url("/outbox"));
    b.screenshot();
    let page = b.text();
    assert!(
        page.contains("1 letter is held to print and post"),
        "{page}"
    );
    b.assert_accessible("the outbox with a letter held to post");
    b.goto(&desk.url("/no-such-page"));
    let page = b.text();
    assert!(page.contains("Page not found"), "{page}");
    assert!(
        page.contains("My queue") && page.contains("Sign out"),
        "{page}"
    );
    b.assert_accessible("a page that is not one");
}

/// A manager's rounds in Chromium: two cases ticked on the Cases list and reassigned
/// to one officer, every held letter recorded as posted after printing them as one
/// PDF, and mail waiting to triage decided from My queue in one click.
#[test]
fn a_manager_reassigns_in_bulk_posts_held_letters_and_decides_triage_in_the_browser() {
    let tmp = tempfile::tempdir().unwrap();
    plain_site(tmp.path());
    let dir = tmp.path();
    // Two letters from residents with no email: answered by post, so held to print.
    for (name, street) in [
        ("Mrs Ivy Stone", "12 Acacia Avenue"),
        ("Mr Tom Reed", "3 Mill Lane"),
    ] {
        redress_in(
            dir,
            &[
                "new",
                "--name",
                name,
                "--address",
                street,
                "--address",
                "Keynsham BS31 1AA",
                "--via",
                "letter",
                "--subject",
                "Missed bins",
            ],
            "",
        );
    }
    // A penalty charge notice by email: triage suggests it is not a complaint.
    mail(
        dir,
        "pcn",
        "Dan <dan@example.org>",
        "PCN AB123",
        "I received a penalty charge notice and want to appeal it.",
    );
    redress_in(dir, &["poll"], "");
    redress_in(dir, &["send"], "");
    let desk = Desk::start(tmp, None);
    let b = Browser::start();
    b.sign_in(&desk, "admin", &desk.admin_password());
    // An officer, known by her display name.
    desk.redress(
        &[
            "user",
            "add",
            "olly",
            "--email",
            "olly@council.example",
            "--role",
            "officer",
            "--display-name",
            "Olly Mensah",
        ],
        "",
    );

    // Bulk reassign: tick the two letters, choose Olly by name.
    b.goto(&desk.url("/cases"));
    for r in ["EX-2026-00001", "EX-2026-00002"] {
        b.click(&format!("//label[@for='pick-{r}']"));
    }
    b.choose("Reassign the cases ticked to", "Olly Mensah");
    b.click_button("Reassign the cases ticked");
    let page = b.text();
    assert!(page.contains("2 cases reassigned to Olly Mensah"), "{page}");
    b.assert_accessible("the Cases list after a reassignment");
    for r in ["EX-2026-00001", "EX-2026-00002"] {
        let v: serde_json::Value =
            serde_json::from_str(&desk.redress(&["case", r, "--json"], "")).unwrap();
        assert_eq!(v["case"]["officer"], "olly", "{v}");
    }

    // Print all held letters, then record them as posted: each letter posted.
    b.goto(&desk.url("/outbox"));
    let page = b.text();
    assert!(
        page.contains("2 letters are held to print and post"),
        "{page}"
    );
    b.click_button("Record the 2 printed letters as posted");
    let page = b.text();
    assert!(page.contains("2 letters recorded as posted"), "{page}");
    assert!(page.contains("No letter is held or failed"), "{page}");
    b.assert_accessible("the Outbox after posting");

    // Triage from My queue: the penalty charge notice is a complaint after all.
    b.goto(&desk.url("/"));
    assert!(b.text().contains("Waiting to triage"), "{}", b.text());
    b.assert_accessible("My queue with mail waiting to triage");
    b.click_button("A complaint: acknowledge EX-2026-00003");
    let v: serde_json::Value =
        serde_json::from_str(&desk.redress(&["case", "EX-2026-00003", "--json"], "")).unwrap();
    assert_eq!(v["case"]["kind"], "complaint", "{v}");
    assert_eq!(v["case"]["state"], "acknowledged", "{v}");
    b.goto(&desk.url("/"));
    assert!(!b.text().contains("Waiting to triage"), "{}", b.text());
}
