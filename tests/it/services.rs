//! Issue 13, item 3: triage suggests the service a complaint is about from the council's
//! words (`[[service]]` in the triage rules), officers change it, and reports "by
//! service" fill.

use crate::site;

use site::Site;

#[test]
fn a_new_complaint_gets_the_service_its_words_suggest_and_an_officer_can_change_it() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    s.mail(
        "1",
        "Ivy <ivy@example.org>",
        "Missed bin collection",
        "I wish to complain: my bins have not been emptied for three weeks and the recycling is piling up.",
        "s1@example.org",
    );
    // Both Waste and Parking words: a tie is left for an officer.
    s.mail(
        "2",
        "Tom <tom@example.org>",
        "Complaint",
        "I wish to complain: the bin lorry blocked the car park all morning.",
        "s2@example.org",
    );
    let now = "2026-11-02T09:00:00Z";
    s.run(now, &["poll"]);
    let c = s.case(now, "BNES-2026-00001");
    assert_eq!(c["case"]["service"], "Waste and recycling", "{c}");
    let history = s.run(now, &["case", "BNES-2026-00001", "--history"]);
    assert!(
        history
            .contains("service Waste and recycling: 'bin', 'bins', 'recycling', 'bin collection'"),
        "{history}"
    );
    let c = s.case(now, "BNES-2026-00002");
    assert!(c["case"]["service"].is_null(), "{c}");
    // The officer sets it; the report counts by it.
    s.run(
        now,
        &[
            "service",
            "BNES-2026-00002",
            "Highways and transport",
            "--by",
            "ann",
        ],
    );
    let csv = s.run(
        "2026-12-01T09:00:00Z",
        &["report", "--period", "2026-11", "--format", "csv"],
    );
    for line in [
        "service,Waste and recycling,count,1",
        "service,Highways and transport,count,1",
    ] {
        assert!(csv.lines().any(|l| l == line), "missing {line} in\n{csv}");
    }
}

#[test]
fn a_council_can_replace_the_services_and_a_broken_list_is_a_one_line_error() {
    let s = Site::with(
        "bath-and-north-east-somerset",
        "BNES",
        "[inbound]\ntriage_rules = \"rules.toml\"\n",
    );
    std::fs::write(
        s.path().join("rules.toml"),
        "threshold = 3\n[[rule]]\nkind = \"complaint\"\nphrases = { complain = 3 }\n\
         [[service]]\nname = \"Leisure\"\nphrases = [\"swimming pool\", \"gym\"]\n",
    )
    .unwrap();
    s.mail(
        "1",
        "Ivy <ivy@example.org>",
        "Pool",
        "I wish to complain: the swimming pool was closed again.",
        "p1@example.org",
    );
    s.run("2026-11-02T09:00:00Z", &["poll"]);
    assert_eq!(
        s.case("2026-11-02T09:00:00Z", "BNES-2026-00001")["case"]["service"],
        "Leisure"
    );
    std::fs::write(
        s.path().join("rules.toml"),
        "threshold = 3\nrule = []\n[[service]]\nname = \"Leisure\"\nphrases = []\n",
    )
    .unwrap();
    let err = s.fails("2026-11-02T09:00:00Z", &["poll"]);
    assert!(err.contains("service 'Leisure' has no phrases"), "{err}");
}
