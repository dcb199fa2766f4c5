//! One staff directory (issue 26, item 3), through the binary: accounts made with
//! `redress user` join `[[staff]]` from the config; assignment, escalation alerts and the
//! officer a letter names all read the one directory; bad input is refused in one line
//! with nothing written.

use crate::site;
use site::Site;

/// The staff alerts queued for `subject_part`, as their addresses, sorted.
fn alerted(s: &Site, subject_part: &str) -> Vec<String> {
    let db = s.db();
    let mut st = db
        .prepare("SELECT to_addr FROM notifications WHERE subject LIKE ?1 ORDER BY to_addr")
        .unwrap();
    st.query_map([format!("%{subject_part}%")], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// What `redress user list --json` says of the accounts.
fn accounts(s: &Site, now: &str) -> serde_json::Value {
    serde_json::from_str(&s.run(now, &["user", "list", "--json"])).unwrap()
}

#[test]
fn an_account_made_with_the_cli_and_a_manager_is_assigned_alerted_escalated_and_named_in_letters() {
    // The site's [[staff]]: ann (manager bob), bob (manager cat), cat.
    let s = Site::new("lgsco-code", "CHC");
    let r = "CHC-2026-00001";
    let t0 = "2026-12-11T08:00:00Z";
    // mo, a manager with an account whose own manager is bob from the config; dana, an
    // officer under mo, named in letters by her display name and job title.
    s.run(
        t0,
        &[
            "user",
            "add",
            "mo",
            "--email",
            "mo@council.example",
            "--role",
            "manager",
            "--manager",
            "bob",
        ],
    );
    // Refused, nothing written: a manager nobody knows, or herself.
    let before = accounts(&s, t0);
    let err = s.fails(
        t0,
        &[
            "user",
            "add",
            "dana",
            "--email",
            "dana@council.example",
            "--role",
            "officer",
            "--manager",
            "zed",
        ],
    );
    assert!(err.contains("zed is not in the staff directory"), "{err}");
    assert_eq!(accounts(&s, t0), before, "nothing written");
    s.run(
        t0,
        &[
            "user",
            "add",
            "dana",
            "--email",
            "dana@council.example",
            "--role",
            "officer",
            "--manager",
            "mo",
            "--display-name",
            "Dana Reed",
            "--job-title",
            "Complaints Officer",
        ],
    );
    let err = s.fails(t0, &["user", "set", "mo", "--manager", "dana"]);
    assert!(
        err.contains("dana cannot be mo's manager: mo is already above dana"),
        "{err}"
    );
    let list = accounts(&s, t0);
    let dana = list
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "dana")
        .unwrap();
    assert_eq!(dana["manager"], "mo");
    assert_eq!(dana["display_name"], "Dana Reed");
    assert_eq!(dana["job_title"], "Complaints Officer");
    let history = s.run(t0, &["user", "history"]);
    assert!(
        history.contains("manager (none) to mo"),
        "the details are recorded: {history}"
    );

    // A complaint on Fri 11 Dec 2026, assigned to dana: an account, not under [[staff]].
    s.mail(
        "1",
        "Fi <fi@example.org>",
        "Housing repairs",
        "I wish to complain about repairs.",
        "h1@example.org",
    );
    s.run("2026-12-11T09:00:00Z", &["poll"]);
    // Someone in neither list is refused, in words without a config section.
    let err = s.fails("2026-12-11T09:30:00Z", &["assign", r, "zed", "--by", "bob"]);
    assert!(err.contains("zed is not in the staff directory"), "{err}");
    assert!(!err.contains("[[staff]]"), "{err}");
    s.run(
        "2026-12-11T10:00:00Z",
        &["assign", r, "dana", "--by", "bob"],
    );
    assert_eq!(s.case("2026-12-11T10:00:00Z", r)["case"]["officer"], "dana");

    // Tue 29 Dec, the response date (Code 6.3), nothing sent: the holding letter, and
    // dana and her manager mo (from her account) are told; not ann, bob or cat.
    let out = s.run("2026-12-29T07:00:00Z", &["tick"]);
    assert!(
        out.contains(&format!(
            "{r}: stage1 response due 2026-12-29 not sent, holding letter in time to 2027-01-13; mailed dana, mo"
        )),
        "{out}"
    );
    assert_eq!(
        alerted(&s, "holding letter"),
        ["dana@council.example", "mo@council.example"]
    );
    // The letter names dana as the directory has her.
    s.run("2026-12-29T07:01:00Z", &["send"]);
    let (_, holding, _) = s.letter_with("later than promised");
    assert!(
        holding.contains("Dana Reed, Complaints Officer"),
        "{holding}"
    );

    // Wed 13 Jan 2027, the extended date missed: one further up the chain, mo and then
    // bob, mo's manager as her account says (bob is under [[staff]] in the config).
    let out = s.run("2027-01-13T07:00:00Z", &["tick"]);
    assert!(out.contains("mailed mo, bob"), "{out}");
    assert!(
        alerted(&s, "holding letter").contains(&"bob@council.example".to_string()),
        "{:?}",
        alerted(&s, "holding letter")
    );

    // A manager changed on the desk's side (`user set`) is who hears next: an account
    // and a [[staff]] entry of the same name are one person, the account winning.
    s.run(
        "2027-01-13T08:00:00Z",
        &["user", "set", "dana", "--manager", "cat"],
    );
    let row = accounts(&s, "2027-01-13T08:00:00Z");
    assert!(
        row.as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == "dana" && u["manager"] == "cat"),
        "{row}"
    );
}

#[test]
fn an_account_of_a_staff_name_takes_its_place_in_the_directory_and_a_disabled_one_leaves_it() {
    let s = Site::new("lgsco-code", "CHC");
    let r = "CHC-2026-00001";
    let t0 = "2026-12-11T08:00:00Z";
    s.mail(
        "1",
        "Fi <fi@example.org>",
        "Housing repairs",
        "I wish to complain about repairs.",
        "h1@example.org",
    );
    s.run("2026-12-11T09:00:00Z", &["poll"]);
    s.run("2026-12-11T10:00:00Z", &["assign", r, "ann", "--by", "bob"]);
    // ann (manager bob under [[staff]]) gets an account naming cat as her manager, with a
    // new address: the account wins.
    s.run(
        t0,
        &[
            "user",
            "add",
            "ann",
            "--email",
            "ann.lee@council.example",
            "--role",
            "officer",
            "--manager",
            "cat",
        ],
    );
    // An account for bob, disabled: bob has left and is no longer in the directory.
    s.run(
        t0,
        &[
            "user",
            "add",
            "bob",
            "--email",
            "bob@council.example",
            "--role",
            "officer",
        ],
    );
    s.run(t0, &["user", "disable", "bob", "--by", "ann"]);
    let err = s.fails("2026-12-11T10:05:00Z", &["assign", r, "bob", "--by", "cat"]);
    assert!(err.contains("bob is not in the staff directory"), "{err}");
    let out = s.run("2026-12-29T07:00:00Z", &["tick"]);
    assert!(out.contains("mailed ann, cat"), "{out}");
    assert_eq!(
        alerted(&s, "holding letter"),
        ["ann.lee@council.example", "cat@council.example"]
    );
}

/// The people the case page's Assign list offers, by login name.
fn offered(desk: &crate::webkit::Desk, session: &str, reference: &str) -> Vec<String> {
    let body = desk.get(&format!("/cases/{reference}"), Some(session)).body;
    let start = body
        .find("id=\"assign-officer\"")
        .unwrap_or_else(|| panic!("no assign list:\n{body}"));
    let select = &body[start..start + body[start..].find("</select>").unwrap()];
    regex::Regex::new(r#"<option value="([^"]+)""#)
        .unwrap()
        .captures_iter(select)
        .map(|c| c[1].to_string())
        .collect()
}

#[test]
fn the_assign_list_leaves_out_the_stage1_handler_at_stage2_and_shows_staff_without_accounts() {
    let (desk, reference) = crate::webkit::desk_with_a_case("");
    let admin = desk.admin();
    // Stage 1: everyone in the directory, the [[staff]] entries and the desk's admin.
    assert_eq!(
        offered(&desk, &admin, &reference),
        ["admin", "ann", "bob", "cat"]
    );
    // ann answers stage 1; at Stage 2 Review (someone not involved before) she is left out.
    let at = crate::webkit::now();
    desk.site.respond(
        &at,
        &reference,
        "not upheld",
        "The potholes are within limits.",
    );
    desk.site.run(&at, &["escalate", &reference, "--by", "bob"]);
    assert_eq!(offered(&desk, &admin, &reference), ["admin", "bob", "cat"]);
    // The Users page lists the [[staff]] entries that have no account, by name.
    let users = desk.get("/users", Some(&admin)).body;
    let seeded = &users[users
        .find("id=\"seeded-heading\"")
        .unwrap_or_else(|| panic!("{users}"))..];
    for name in ["staff-ann", "staff-bob", "staff-cat"] {
        assert!(seeded.contains(name), "{name}: {seeded}");
    }
    assert!(!seeded.contains("staff-admin"), "{seeded}");
    assert!(
        !users.contains("[[staff]]"),
        "no config section on the desk"
    );
}

#[test]
fn the_assign_list_of_a_complaint_about_a_director_is_its_investigator_once_chosen() {
    use crate::webkit::{now, Desk};
    let site = Site::with("north-norfolk", "NNDC", "[web]\nlisten = \"127.0.0.1:0\"\n");
    let reference = site.mailed_case(
        &now(),
        "Ivy <ivy@example.org>",
        "The Director of Place",
        "I wish to complain about how I was spoken to.",
        "i1@example.org",
    );
    site.run(
        &now(),
        &[
            "director",
            &reference,
            "--about",
            "Jane Roe, Director of Place",
            "--by",
            "cat",
        ],
    );
    let desk = Desk::start(site, "web");
    let admin = desk.admin();
    // Not before the investigator is chosen: nobody.
    assert!(offered(&desk, &admin, &reference).is_empty());
    desk.site.run(
        &now(),
        &[
            "director",
            &reference,
            "--investigator",
            "bob",
            "--chosen-by",
            "the Leader of the Council",
            "--by",
            "cat",
        ],
    );
    assert_eq!(offered(&desk, &admin, &reference), ["bob"]);
}
