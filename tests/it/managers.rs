//! Managers (issue 26): the dashboard's figures and the lists behind them, the digest
//! counting cases as the dashboard does on the same day and linking into the desk,
//! the Reports page agreeing with `redress report`, and bulk reassignment.

use crate::webkit::{web_site, Desk};

/// The number shown in the dashboard's element `id`, and the list it links to.
fn figure(page: &str, id: &str) -> (u64, String) {
    let re = regex::Regex::new(&format!(
        r#"id="{id}"><a class="govuk-link" href="([^"]+)">(\d+)<"#
    ))
    .unwrap();
    let c = re
        .captures(page)
        .unwrap_or_else(|| panic!("no figure {id} in {page}"));
    (c[2].parse().unwrap(), c[1].replace("&amp;", "&"))
}

/// "N cases match" on a list page.
fn total(page: &str) -> u64 {
    let re = regex::Regex::new(r#"id="total"><strong>(\d+)</strong>"#).unwrap();
    re.captures(page)
        .unwrap_or_else(|| panic!("no total in {page}"))[1]
        .parse()
        .unwrap()
}

/// Four complaints received on Mon 2 Nov 2026 (responses due Mon 16 Nov), one on
/// Tue 17 Nov; ann has two, bob one, two unassigned. By Wed 18 Nov the four are
/// overdue, and the sweep has lapsed their responses and opened a new target for each
/// (an extension): two deadlines past or open per case.
fn site_with_overdue_cases() -> crate::site::Site {
    let site = web_site("public_url = \"https://desk.example\"");
    for (n, who) in ["Ada", "Ben", "Cy", "Di"].iter().enumerate() {
        site.mail(
            &format!("{n}"),
            &format!("{who} <{}@example.org>", who.to_lowercase()),
            &format!("Potholes {n}"),
            "I wish to complain about the potholes.",
            &format!("m{n}@example.org"),
        );
    }
    site.run("2026-11-02T09:00:00Z", &["poll"]);
    site.mail(
        "9",
        "Eve <eve@example.org>",
        "Bins",
        "I wish to complain about the bins.",
        "m9@example.org",
    );
    site.run("2026-11-17T09:00:00Z", &["poll"]);
    for (r, who) in [
        ("EX-2026-00001", "ann"),
        ("EX-2026-00002", "ann"),
        ("EX-2026-00003", "bob"),
    ] {
        site.run("2026-11-17T10:00:00Z", &["assign", r, who, "--by", "cat"]);
    }
    // Ada's acknowledgement lapsed too (as if it had never gone): her case has two
    // deadlines past, and is one overdue case.
    site.db()
        .execute(
            "UPDATE deadlines SET status = 'lapsed', met_on = NULL
             WHERE kind = 'acknowledge' AND case_id = (SELECT id FROM cases WHERE reference = 'EX-2026-00001')",
            [],
        )
        .unwrap();
    // The digest's schedule starts its clock, then fires at 08:00 on Wed 18 Nov.
    site.run("2026-11-17T12:00:00Z", &["tick"]);
    site.run("2026-11-18T08:30:00Z", &["tick"]);
    site.run("2026-11-18T08:31:00Z", &["send"]);
    site
}

fn digest_of(site: &crate::site::Site) -> String {
    let digests: Vec<String> = std::fs::read_dir(site.path().join("outbox"))
        .unwrap()
        .map(|f| f.unwrap())
        .filter(|f| f.file_name().to_string_lossy().starts_with("digest."))
        .map(|f| std::fs::read_to_string(f.path()).unwrap())
        .collect();
    assert_eq!(digests.len(), 1, "one digest fired");
    digests[0].replace("=\r\n", "").replace("=3D", "=")
}

#[test]
fn the_digest_counts_cases_and_agrees_with_the_dashboard_on_the_same_day() {
    let site = site_with_overdue_cases();
    // More deadlines than cases are past or open: the count must be of cases.
    let deadlines: i64 = site
        .db()
        .query_row(
            "SELECT count(*) FROM deadlines WHERE status IN ('open', 'lapsed')
               AND kind IN ('acknowledge', 'decide', 'respond', 'extension', 'overall-limit')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(deadlines > 5, "{deadlines} deadlines");
    let digest = digest_of(&site);
    assert!(
        digest.contains("Subject: Complaints: 4 cases overdue, 0 due soon"),
        "{digest}"
    );
    assert!(digest.contains("4 cases overdue, 0 due within"), "{digest}");
    // Each overdue case's lapsed response and its new target are both listed.
    assert!(digest.matches("EX-2026-00001 ").count() >= 2, "{digest}");
    // It links into the desk: the overdue list and each case.
    assert!(
        digest.contains("Overdue cases: https://desk.example/cases?overdue=1"),
        "{digest}"
    );
    assert!(
        digest.contains("https://desk.example/cases/EX-2026-00003"),
        "{digest}"
    );
    assert!(!digest.contains("redress case"), "{digest}");

    let desk = Desk::start_with(site, &["--now", "2026-11-18T09:00:00Z", "web"]);
    let s = desk.admin();
    let page = desk.get("/dashboard", Some(&s));
    assert_eq!(page.status, 200, "{}", page.body);
    let (overdue, link) = figure(&page.body, "overdue");
    assert_eq!(overdue, 4, "the dashboard's Overdue is the digest's");
    assert_eq!(figure(&page.body, "open").0, 5);
    assert_eq!(figure(&page.body, "due-soon").0, 0, "within 3 working days");
    // Each figure's list holds that many cases.
    let list = desk.get(&link, Some(&s)).body;
    assert_eq!(total(&list), 4, "{list}");
    for r in ["EX-2026-00001", "EX-2026-00004"] {
        assert!(list.contains(r), "{r} in {list}");
    }
    assert!(!list.contains("EX-2026-00005"), "{list}");
    // By officer: ann 2 open and overdue, bob 1, unassigned 2 (one overdue).
    let ann = regex::Regex::new(
        r#"(?s)<th scope="row" class="govuk-table__header">ann</th>\s*<td[^>]*><a class="govuk-link" href="([^"]+)">(\d+)<"#,
    )
    .unwrap();
    let c = ann.captures(&page.body).expect("ann's row");
    assert_eq!(&c[2], "2");
    let anns = desk.get(&c[1].replace("&amp;", "&"), Some(&s)).body;
    assert_eq!(total(&anns), 2, "{anns}");
    let unassigned = desk.get("/cases?unassigned=1&open=1", Some(&s)).body;
    assert_eq!(total(&unassigned), 2, "{unassigned}");
    // A digest-style "due soon" list: Eve's case, due within 10 working days.
    let soon = desk.get("/cases?soon=10", Some(&s)).body;
    assert_eq!(total(&soon), 1, "{soon}");
    assert!(soon.contains("EX-2026-00005"), "{soon}");
    // A bad window: one line, no list.
    let bad = desk.get("/cases?soon=lots", Some(&s)).body;
    assert!(
        bad.contains("Due within must be a number of working days from 1 to 60"),
        "{bad}"
    );
    // An officer may not open the dashboard.
    crate::webkit::add_user(&desk.site, "olly", "officer", "olly's long password");
    let o = desk.session("olly", "olly's long password");
    assert_eq!(desk.get("/dashboard", Some(&o)).status, 403);
    assert_eq!(desk.get("/reports", Some(&o)).status, 403);
}

#[test]
fn the_reports_page_shows_the_clis_figures_and_downloads_the_same_report() {
    let site = site_with_overdue_cases();
    site.respond(
        "2026-11-19T10:00:00Z",
        "EX-2026-00005",
        "upheld",
        "The bins are collected now.",
    );
    let json: serde_json::Value = serde_json::from_str(&site.run(
        "2026-12-02T09:00:00Z",
        &["report", "--period", "2026-11", "--json"],
    ))
    .unwrap();
    let csv = site.run(
        "2026-12-02T09:00:00Z",
        &["report", "--period", "2026-11", "--format", "csv"],
    );
    let desk = Desk::start_with(site, &["--now", "2026-12-02T09:00:00Z", "web"]);
    let s = desk.admin();
    // Last month by default.
    let page = desk.get("/reports", Some(&s));
    assert_eq!(page.status, 200, "{}", page.body);
    let b = &page.body;
    assert!(b.contains(r#"id="period-name">November 2026<"#), "{b}");
    let n = |id: &str| -> String {
        let re = regex::Regex::new(&format!(r#"id="{id}">([^<]*)<"#)).unwrap();
        re.captures(b).unwrap_or_else(|| panic!("no {id}"))[1].to_string()
    };
    assert_eq!(
        n("received-complaints"),
        json["received"]["complaints"].to_string()
    );
    assert_eq!(json["received"]["complaints"], 5);
    assert_eq!(n("open-at-end"), json["open_at_end"].to_string());
    let stage1 = &json["stages"][0];
    assert_eq!(n("stage-stage1-responses"), stage1["responses"].to_string());
    assert_eq!(stage1["responses"], 1);
    // Each chart is named, and followed by its table.
    for chart in ["chart-on-time", "chart-services", "chart-trend"] {
        let at = b
            .find(&format!(
                r#"id="{chart}" role="img" aria-labelledby="{chart}-title {chart}-desc""#
            ))
            .unwrap_or_else(|| panic!("no {chart} in {b}"));
        assert!(b[at..].contains("<table"), "{chart} then a table");
    }
    // The trend's row for November: the CLI's count.
    let nov = json["trend"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["month"] == "2026-11")
        .unwrap();
    assert!(
        regex::Regex::new(&format!(
            r#"(?s)>Nov 2026</th><td[^>]*>{}</td>"#,
            nov["complaints"]
        ))
        .unwrap()
        .is_match(b),
        "{b}"
    );
    // The downloads are the CLI's report for the same period.
    let got = desk.get("/reports?period=2026-11&format=csv", Some(&s));
    assert_eq!(got.status, 200);
    assert_eq!(got.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(got.body, csv);
    let pdf = desk.get("/reports?period=2026-11&format=pdf", Some(&s));
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with("%PDF"));
    // Another response in November, written meanwhile: the page shows it (a report
    // is kept only while no case changes).
    desk.site.respond(
        "2026-11-20T10:00:00Z",
        "EX-2026-00004",
        "not-upheld",
        "The road was inspected.",
    );
    let again = desk.get("/reports?period=2026-11", Some(&s)).body;
    assert!(
        again.contains(r#"id="stage-stage1-responses">2<"#),
        "{again}"
    );
    // A period that is none: one line, nothing else.
    let bad = desk.get("/reports?period=sometime", Some(&s));
    assert_eq!(bad.status, 400);
    assert!(
        bad.body
            .contains("Choose a period from the list: a month, a quarter or a financial year"),
        "{}",
        bad.body
    );
    assert!(!bad.body.contains("period-name"));
}

#[test]
fn bulk_reassign_gives_each_case_its_own_assignment_and_lists_the_refused() {
    let site = site_with_overdue_cases();
    let desk = Desk::start_with(site, &["--now", "2026-11-18T09:00:00Z", "web"]);
    let s = desk.admin();
    let list = desk.get("/cases?open=1", Some(&s));
    assert!(
        list.body.contains("Reassign the cases ticked"),
        "{}",
        list.body
    );
    let csrf = list.csrf();
    let r = desk.post(
        "/cases/reassign",
        &s,
        &[
            ("csrf", &csrf),
            ("back", "open=1"),
            ("case", "EX-2026-00001"),
            ("case", "EX-2026-00004"),
            ("case", "EX-2026-09999"),
            ("to", "bob"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("2 cases reassigned to bob"), "{}", r.body);
    assert!(r.body.contains("1 case was not reassigned"), "{}", r.body);
    assert!(r.body.contains("EX-2026-09999</a>: "), "{}", r.body);
    for c in ["EX-2026-00001", "EX-2026-00004"] {
        assert_eq!(
            desk.site.case("2026-11-18T09:00:00Z", c)["case"]["officer"],
            "bob"
        );
        let history = desk
            .site
            .run("2026-11-18T09:00:00Z", &["case", c, "--history"]);
        assert!(history.contains("bob"), "{history}");
    }
    let events: i64 = desk
        .site
        .db()
        .query_row(
            "SELECT count(*) FROM events WHERE detail LIKE '%bob%' AND actor LIKE '%admin%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(events, 2, "one event per case");
    // Nothing ticked: one line, nothing done.
    let none = desk.post(
        "/cases/reassign",
        &s,
        &[("csrf", &csrf), ("back", ""), ("to", "ann")],
    );
    assert!(
        none.body.contains("Tick the cases to reassign"),
        "{}",
        none.body
    );
    assert_eq!(
        desk.site.case("2026-11-18T09:00:00Z", "EX-2026-00001")["case"]["officer"],
        "bob"
    );
}

#[test]
fn all_held_letters_print_as_one_pdf_and_are_recorded_posted_in_one_step() {
    let site = web_site("");
    for name in ["Ada Lovelace", "Ben Jonson"] {
        site.run(
            "2026-11-02T09:00:00Z",
            &[
                "new",
                "--name",
                name,
                "--address",
                "12 Acacia Avenue",
                "--via",
                "letter",
                "--by",
                "ann",
            ],
        );
    }
    site.run("2026-11-02T09:05:00Z", &["send"]);
    let desk = Desk::start_with(site, &["--now", "2026-11-02T10:00:00Z", "web"]);
    let s = desk.admin();
    let page = desk.get("/outbox", Some(&s));
    assert!(
        page.body.contains("2 letters are held to print and post."),
        "{}",
        page.body
    );
    let link = regex::Regex::new(r#"id="print-all" href="([^"]+)""#)
        .unwrap()
        .captures(&page.body)
        .unwrap()[1]
        .to_string();
    let pdf = desk.get(&link, Some(&s));
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    // Each letter's own PDF, every page, in one document.
    let one = desk.get("/outbox/1/pdf", Some(&s));
    assert!(pdf.body.starts_with("%PDF"));
    // (Its pages are counted in outbox::print's unit test: the body here is text.)
    assert!(
        pdf.body.len() > one.body.len(),
        "two letters are more than one"
    );
    // Recorded as posted in one step: each letter, each with its event.
    let r = desk.post(
        "/outbox/posted",
        &s,
        &[("csrf", &page.csrf()), ("ids", &page.field("ids"))],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let after = desk.get(r.header("location").unwrap(), Some(&s)).body;
    assert!(after.contains("2 letters recorded as posted"), "{after}");
    assert!(after.contains("No letter is held or failed."), "{after}");
    for c in ["EX-2026-00001", "EX-2026-00002"] {
        let history = desk
            .site
            .run("2026-11-02T10:00:00Z", &["case", c, "--history"]);
        assert!(history.contains("letter posted"), "{history}");
    }
    // Again: nothing held, refused with the reason, nothing changed.
    let again = desk.post(
        "/outbox/posted",
        &s,
        &[("csrf", &page.csrf()), ("ids", &page.field("ids"))],
    );
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(
        again.body.contains("0 recorded as posted"),
        "{}",
        again.body
    );
    assert_eq!(desk.get("/outbox/held.pdf", Some(&s)).status, 404);
}
