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
