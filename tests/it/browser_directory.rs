//! The staff directory in a real Chromium: an admin edits a user's email, display name,
//! job title and manager on the Users page, and the case page's Assign is a list of the
//! people who may take the case, by display name. Accessible (axe-core) and with no
//! sideways scroll at 390 px.

use crate::browser::*;
use serde_json::json;

#[test]
fn an_admin_edits_a_users_directory_details_and_assigns_a_case_from_the_list() {
    let tmp = tempfile::tempdir().unwrap();
    plain_site(tmp.path());
    let opened = redress_in(
        tmp.path(),
        &[
            "new",
            "--email",
            "ivy@example.org",
            "--name",
            "Ivy Stone",
            "--via",
            "phone",
        ],
        "",
    );
    let reference = reference_in(&opened);
    // Accounts made before the desk first starts: it makes no first admin of its own.
    for (name, role) in [("admin", "admin"), ("olly", "officer"), ("mo", "manager")] {
        redress_in(
            tmp.path(),
            &[
                "user",
                "add",
                name,
                "--email",
                &format!("{name}@council.example"),
                "--role",
                role,
            ],
            &format!("{name}-correct-horse-battery\n"),
        );
    }
    let desk = Desk::start(tmp, None);
    let b = Browser::start();
    b.sign_in(&desk, "admin", "admin-correct-horse-battery");
    b.goto(&desk.url("/users"));
    b.assert_accessible("users page as cards");

    // A mistyped address: refused in one line, the form open again with what was typed.
    b.click("//summary[normalize-space(.)='Change details of olly']");
    b.fill("Display name for olly", "Olly Jones");
    b.fill("Email address for olly", "olly at council");
    b.click_button("Save details of olly");
    let page = b.text();
    assert!(page.contains("That was not done"), "{page}");
    assert!(
        page.contains("'olly at council' is not an email address"),
        "{page}"
    );
    let typed = b.js(
        "return document.getElementById('display-olly').value;",
        json!([]),
    );
    assert_eq!(typed, json!("Olly Jones"), "what was typed is kept");
    b.assert_accessible("users page with a refusal in a user's details");
    let list = desk.redress(&["user", "list", "--json"], "");
    assert!(!list.contains("Olly Jones"), "nothing written: {list}");

    // Corrected: saved, and the card shows the directory's view of olly.
    b.fill("Email address for olly", "olly.jones@council.example");
    b.fill("Job title for olly", "Complaints Officer");
    b.choose("Manager of olly", "mo");
    b.click_button("Save details of olly");
    let page = b.text();
    assert!(page.contains("The details were saved."), "{page}");
    let card = b.js(
        "return document.getElementById('user-olly').innerText;",
        json!([]),
    );
    let card = card.as_str().unwrap();
    for shown in [
        "Olly Jones",
        "olly.jones@council.example",
        "Complaints Officer",
        "mo",
    ] {
        assert!(card.contains(shown), "{shown} not in {card}");
    }
    // Who changed what, by name, in London time, never as an account id.
    assert!(page.contains("display name (none) to Olly Jones"), "{page}");
    assert!(!page.contains("officer:admin"), "{page}");
    b.assert_accessible("users page after a change");
    // A picture of the card itself, for a person to look at.
    b.js(
        "document.getElementById('user-olly').scrollIntoView();",
        json!([]),
    );
    b.screenshot();
    b.assert_accessible("users page after a change");
    let list: serde_json::Value =
        serde_json::from_str(&desk.redress(&["user", "list", "--json"], "")).unwrap();
    let olly = list
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "olly")
        .unwrap();
    assert_eq!(olly["manager"], "mo");
    assert_eq!(olly["job_title"], "Complaints Officer");
    assert_eq!(olly["email"], "olly.jones@council.example");

    // The case page's Assign: a list of the directory by display name.
    b.open_case(&desk, &reference);
    let options = b.js(
        "return [...document.querySelectorAll('#assign-officer option')].map(o => o.textContent);",
        json!([]),
    );
    assert_eq!(
        options,
        json!(["admin", "mo", "Olly Jones, Complaints Officer"]),
        "everyone who may take the stage"
    );
    b.js(
        "document.getElementById('assign-form').scrollIntoView();",
        json!([]),
    );
    b.screenshot();
    b.choose("Assign to officer", "Olly Jones, Complaints Officer");
    b.click_button("Assign");
    let page = b.text();
    assert!(page.contains("The case was assigned."), "{page}");
    let selected = b.js(
        "return document.getElementById('assign-officer').selectedOptions[0].textContent;",
        json!([]),
    );
    assert_eq!(selected, json!("Olly Jones, Complaints Officer"));
    b.assert_accessible("case page with the assign list");
    let case: serde_json::Value =
        serde_json::from_str(&desk.redress(&["case", &reference, "--json"], "")).unwrap();
    assert_eq!(case["case"]["officer"], "olly");
}
