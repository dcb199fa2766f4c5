//! Managers' pages in real Chromium (issue 26): the dashboard and the Reports page pass
//! axe-core at 1280 and 390 px with no sideways scroll, a dashboard figure lands on a
//! list of that many cases, and the Reports page shows `redress report`'s figures.

use crate::browser::*;
use serde_json::json;

/// A site with cases received 40 days ago (overdue by now) and one today, and the
/// reference of the one today.
fn site() -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    plain_site(tmp.path());
    let long_ago = (chrono::Utc::now() - chrono::Duration::days(40)).to_rfc3339();
    let today = chrono::Utc::now().to_rfc3339();
    let mut last = String::new();
    for (n, when) in [(1, &long_ago), (2, &long_ago), (3, &long_ago), (4, &today)] {
        last = redress_in(
            tmp.path(),
            &[
                "--now",
                when,
                "new",
                "--email",
                &format!("resident{n}@example.org"),
                "--name",
                &format!("Resident {n}"),
                "--subject",
                "Potholes on the High Street",
                "--via",
                "phone",
            ],
            "",
        );
    }
    let reference = reference_in(&last);
    (tmp, reference)
}

#[test]
fn the_dashboard_is_accessible_and_each_figure_lands_on_that_many_cases() {
    let desk = Desk::start(site().0, None);
    let b = Browser::start();
    b.sign_in(&desk, "admin", &desk.admin_password());
    // The header leads managers to it.
    b.click_link("Dashboard");
    assert_eq!(b.current_url(), desk.url("/dashboard"));
    b.screenshot();
    b.assert_accessible("dashboard");
    let figure = |id: &str| -> i64 {
        b.js(
            "return document.querySelector('#' + arguments[0] + ' a').firstChild.textContent;",
            json!([id]),
        )
        .as_str()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
    };
    let (open, overdue) = (figure("open"), figure("overdue"));
    assert_eq!((open, overdue), (4, 3), "{}", b.text());
    for (id, n) in [("overdue", overdue), ("open", open)] {
        b.goto(&desk.url("/dashboard"));
        b.click(&format!("//dd[@id='{id}']/a"));
        assert!(b.current_url().contains("/cases?"), "{}", b.current_url());
        b.screenshot();
        // The list a manager lands on (with its reassign boxes) fits a phone too.
        b.assert_accessible(&format!("the {id} cases"));
        let rows = b
            .js(
                "return document.querySelectorAll('table.govuk-table tbody tr').length;",
                json!([]),
            )
            .as_i64()
            .unwrap();
        assert_eq!(rows, n, "{id}: {}", b.text());
        assert!(
            b.text().contains(&format!("{n} cases match")),
            "{id}: {}",
            b.text()
        );
    }
}

#[test]
fn the_reports_page_is_accessible_and_shows_the_clis_figures() {
    let (tmp, today) = site();
    // The case received today is answered today: a response in this month's report.
    std::fs::write(tmp.path().join("response.txt"), "The potholes are filled.").unwrap();
    redress_in(
        tmp.path(),
        &[
            "reply",
            &today,
            "--outcome",
            "upheld",
            "--body-file",
            "response.txt",
        ],
        "",
    );
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let json: serde_json::Value = serde_json::from_str(&redress_in(
        tmp.path(),
        &["report", "--period", &month, "--json"],
        "",
    ))
    .unwrap();
    let desk = Desk::start(tmp, None);
    let b = Browser::start();
    b.sign_in(&desk, "admin", &desk.admin_password());
    b.click_link("Reports");
    assert_eq!(b.current_url(), desk.url("/reports"));
    b.screenshot();
    b.assert_accessible("reports page, last month");
    // Another period from the list, then this month's by its address.
    b.click_button("Show the report");
    assert!(b.current_url().contains("period="), "{}", b.current_url());
    b.goto(&desk.url(&format!("/reports?period={month}")));
    b.assert_accessible("reports page, this month");
    let shown = |id: &str| -> String {
        b.js(
            "return document.getElementById(arguments[0]).textContent.trim();",
            json!([id]),
        )
        .as_str()
        .unwrap()
        .to_string()
    };
    assert_eq!(
        shown("received-complaints"),
        json["received"]["complaints"].to_string()
    );
    assert_eq!(shown("open-at-end"), json["open_at_end"].to_string());
    assert_eq!(json["stages"][0]["responses"], 1);
    assert_eq!(
        shown("stage-stage1-responses"),
        json["stages"][0]["responses"].to_string()
    );
    // Screenshots of the charts, for a person to look at.
    for chart in ["chart-on-time", "chart-trend"] {
        b.js(
            "const c = document.getElementById(arguments[0]); if (c) c.scrollIntoView();",
            json!([chart]),
        );
        b.screenshot();
    }
    // The trend chart is an image with a name; its figures are in the table after it.
    let name = b
        .js(
            "return document.getElementById('chart-trend-title').textContent;",
            json!([]),
        )
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(name, "Complaints received per month, twelve months");
}
