//! My queue: mail waiting to triage is decided from the queue in one click, with the
//! same check of the case's version as its page.

use crate::webkit;

use webkit::{now, web_site, Desk};

/// The hidden `version` of the queue's triage form for `reference`.
fn queue_version(queue: &str, reference: &str) -> String {
    let form = queue
        .split(&format!("action=\"/cases/{reference}/triage\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no triage form for {reference}:\n{queue}"));
    let v = form.split("name=\"version\" value=\"").nth(1).unwrap();
    v[..v.find('"').unwrap()].to_string()
}

#[test]
fn an_officer_decides_triage_from_the_queue_in_one_click() {
    let site = web_site("");
    site.mail(
        "1",
        "Dan <dan@example.org>",
        "PCN AB123",
        "I received a penalty charge notice and want to appeal it.",
        "q1@example.org",
    );
    site.mail(
        "2",
        "Eve <eve@example.org>",
        "Lorry",
        "A council lorry damaged my car on Tuesday; I would like to make a claim.",
        "q2@example.org",
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
    let q = desk.get("/", Some(&s));
    assert!(q.body.contains("Waiting to triage"), "{}", q.body);
    let csrf = q.csrf();
    // Accept the first suggestion straight from the queue: the redirect letter goes and
    // the case closes out of scope.
    let r = desk.post(
        &format!("/cases/{}/triage", refs[0]),
        &s,
        &[
            ("csrf", &csrf),
            ("version", &queue_version(&q.body, &refs[0])),
            ("decision", "accept"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let case = desk.site.case(&now(), &refs[0]);
    assert_eq!(
        (
            case["case"]["kind"].as_str(),
            case["case"]["state"].as_str()
        ),
        (Some("out-of-scope"), Some("closed")),
        "{case}"
    );
    // The second as a complaint: acknowledged, and off the list.
    let r = desk.post(
        &format!("/cases/{}/triage", refs[1]),
        &s,
        &[
            ("csrf", &csrf),
            ("version", &queue_version(&q.body, &refs[1])),
            ("decision", "complaint"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let case = desk.site.case(&now(), &refs[1]);
    assert_eq!(case["case"]["kind"].as_str(), Some("complaint"), "{case}");
    let q = desk.get("/", Some(&s)).body;
    assert!(!q.contains("Waiting to triage"), "{q}");
    // A version that is not the case's is refused, with nothing changed.
    let r = desk.post(
        &format!("/cases/{}/triage", refs[1]),
        &s,
        &[("csrf", &csrf), ("version", "0.0"), ("decision", "accept")],
    );
    assert_ne!(r.status, 303, "{}", r.body);
    let after = desk.site.case(&now(), &refs[1]);
    assert_eq!(after["case"]["kind"].as_str(), Some("complaint"), "{after}");
}
