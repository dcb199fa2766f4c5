//! Exclusions per preset (issue 13 item 14): an officer closes a case as out of scope
//! under a named exclusion of its preset (`redress exclude REF ID`), and the resident's
//! redirect letter says what the procedure does not cover and where to go instead, as
//! the council's policy (shared/seeds/*.txt) says it.

use crate::site;
use site::Site;

const NOW: &str = "2026-11-02T09:00:00Z";
const LATER: &str = "2026-11-03T10:00:00Z";

/// A site under `policy` with one complaint (case PREFIX-2026-00001) received and
/// acknowledged on Mon 2 Nov 2026.
fn site_with_case(policy: &str, prefix: &str, body: &str) -> (Site, String) {
    let s = Site::new(policy, prefix);
    s.mail(
        "1",
        "Ivy Resident <ivy@example.org>",
        "My concern",
        body,
        "c1@example.org",
    );
    s.run(NOW, &["poll"]);
    s.run(NOW, &["send"]);
    (s, format!("{prefix}-2026-00001"))
}

/// Exclude the case under `id`, send, and return the redirect letter's text with its
/// whitespace run together (the plain text is wrapped).
fn excluded_letter(s: &Site, reference: &str, id: &str) -> String {
    let out = s.run(LATER, &["exclude", reference, id, "--by", "ann"]);
    assert!(
        out.contains(&format!("{reference}: closed as out of scope under '{id}'")),
        "{out}"
    );
    s.run(LATER, &["send"]);
    let (subject, text, pdf) = s.letter_with("Where to take your concern");
    assert!(subject.contains(reference) && pdf, "{subject}");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn closed_out_of_scope(s: &Site, reference: &str) {
    let v = &s.case(LATER, reference)["case"];
    assert_eq!(v["state"], "closed", "{v}");
    assert_eq!(v["close_reason"], "out-of-scope", "{v}");
}

#[test]
fn buckinghamshire_data_breach_goes_to_the_data_protection_officer_and_the_ico() {
    // shared/seeds/000_874d316bb45d79e3.txt l.244: "Potential data incidents or data
    // breaches under the Data Protection Act 2018. These must be reported to the Council's
    // Data Protection Officer ... and a referral made to the Office of the Information
    // Commissioner if necessary."
    let (s, r) = site_with_case(
        "buckinghamshire",
        "BUCKS",
        "I wish to complain: a letter about me was sent to my neighbour.",
    );
    let text = excluded_letter(&s, &r, "data-breach");
    assert!(
        text.contains("Our procedure does not cover potential data incidents or data breaches under the Data Protection Act 2018."),
        "{text}"
    );
    assert!(
        text.contains("Data Protection Officer") && text.contains("Information Commissioner"),
        "{text}"
    );
    closed_out_of_scope(&s, &r);
}

#[test]
fn buckinghamshire_appendix_1_exclusions_each_name_their_route() {
    // shared/seeds/000_874d316bb45d79e3.txt, Appendix 1 (l.225-256) and l.211-213.
    let cases: &[(&str, &[&str])] = &[
        // l.231 "dealt with through our MP Enquiries process"
        (
            "mp-enquiry",
            &["Members of Parliament", "MP Enquiries process"],
        ),
        // l.232 "should be sent directly to the relevant parish or town"
        (
            "parish-council",
            &[
                "parish or town councils",
                "the parish or town council itself",
            ],
        ),
        // l.254 "Local Government Pensions. There is a separate procedure for these"
        (
            "pensions",
            &[
                "Local Government Pensions",
                "Pension Scheme's own dispute procedure",
            ],
        ),
        // l.255 "parallel legal processes ... not able to consider any points which the court has ... considered"
        (
            "legal-proceedings",
            &[
                "legal proceedings have already started",
                "the courts",
                "points the court has considered",
            ],
        ),
        // l.253 "dealt with under the Council's personnel procedures"
        (
            "personnel",
            &["personnel matter", "personnel (HR) procedures"],
        ),
        // l.252 "Disagreements with a council policy or rule of law"
        (
            "policy-disagreement",
            &[
                "disagreements with a council policy or a rule of law",
                "local councillor",
            ],
        ),
        // l.249 "known about for more than 12 months ... unless there is a good reason for the delay"
        (
            "over-12-months",
            &[
                "more than 12 months",
                "good reason for the delay",
                "Ombudsman",
                "0300 061 0614",
            ],
        ),
        // l.256 "Anonymous complaints are logged as service requests"
        (
            "anonymous",
            &[
                "anonymous complaints",
                "logged your message as a service request",
            ],
        ),
        // l.211-213 "approach the provider and ask them to consider the complaint in the first instance"
        (
            "commissioned-service",
            &[
                "on the council's behalf",
                "the organisation providing the service, in the first instance",
            ],
        ),
    ];
    for (id, says) in cases {
        let (s, r) = site_with_case(
            "buckinghamshire",
            "BUCKS",
            "I wish to complain about what has happened.",
        );
        let text = excluded_letter(&s, &r, id);
        for want in *says {
            assert!(text.contains(want), "{id}: no '{want}' in:\n{text}");
        }
        closed_out_of_scope(&s, &r);
    }
}

#[test]
fn west_lindsey_complaints_about_other_customers_are_redirected() {
    // shared/seeds/003_11a3098601f0a9cb.txt l.54-57 "It does not cover: ... Complaints
    // about other Customers."; l.190 "If this policy does not cover the Customers
    // complaint, the Council will advise what to do next."
    let (s, r) = site_with_case(
        "west-lindsey",
        "WLDC",
        "I wish to complain about the people next door who play loud music.",
    );
    let text = excluded_letter(&s, &r, "other-customers");
    assert!(
        text.contains(
            "Our procedure does not cover complaints about other customers of the council."
        ),
        "{text}"
    );
    assert!(
        text.contains("anti-social behaviour") && text.contains("the police"),
        "{text}"
    );
    closed_out_of_scope(&s, &r);
}

#[test]
fn west_lindsey_councillor_complaints_go_to_the_monitoring_officer_at_the_guildhall() {
    // shared/seeds/003_11a3098601f0a9cb.txt l.255-257 "please contact: The Monitoring
    // Officer, West Lindsey District Council, The Guildhall, Marshalls Yard, Gainsborough".
    let (s, r) = site_with_case("west-lindsey", "WLDC", "I wish to complain.");
    let text = excluded_letter(&s, &r, "councillor");
    assert!(
        text.contains("the Monitoring Officer, West Lindsey District Council, The Guildhall, Marshalls Yard, Gainsborough"),
        "{text}"
    );
    assert!(text.contains("01427 676676"), "{text}");
}

#[test]
fn north_norfolk_whistleblowing_and_employment_are_redirected() {
    // shared/seeds/004_9e50d2b1666e764c.txt l.382 "issues that have arisen and are being
    // handled through the Council's 'Whistleblowers' scheme"
    let (s, r) = site_with_case("north-norfolk", "NNDC", "I wish to complain.");
    let text = excluded_letter(&s, &r, "whistleblowing");
    assert!(
        text.contains("Our procedure does not cover issues that have arisen and are being handled through the council's Whistleblowers' scheme."),
        "{text}"
    );
    assert!(text.contains("whistleblowing policy"), "{text}");
    closed_out_of_scope(&s, &r);

    // l.377 "employee complaints relating to employment issues or disciplinary and grievance
    // processes – which are dealt with through the Council's Human Resource policies and procedures"
    let (s, r) = site_with_case("north-norfolk", "NNDC", "I wish to complain.");
    let text = excluded_letter(&s, &r, "employment");
    assert!(
        text.contains("employment issues or disciplinary and grievance processes"),
        "{text}"
    );
    assert!(
        text.contains("Human Resources policies and procedures")
            && text.contains("grievance procedure"),
        "{text}"
    );
}

#[test]
fn bath_contract_and_legal_remedies_follow_the_prescribed_legal_procedure() {
    // shared/seeds/002_fccd42a92619dcdc.txt l.385-387 "Matters where there is a formal right
    // of appeal external to the Council or other legal remedy (such as with the refusal of
    // planning permission or matters of contract). In these circumstances the complainant
    // will be advised to follow the prescribed legal procedure and, where possible, how to do so."
    let (s, r) = site_with_case(
        "bath-and-north-east-somerset",
        "BNES",
        "I wish to complain that the council broke our agreement.",
    );
    let text = excluded_letter(&s, &r, "legal-remedy");
    assert!(
        text.contains("formal right of appeal outside the council or another legal remedy, such as the refusal of planning permission or matters of contract"),
        "{text}"
    );
    assert!(
        text.contains("the prescribed legal procedure")
            && text.contains("Planning Inspectorate")
            && text.contains("the courts"),
        "{text}"
    );
    closed_out_of_scope(&s, &r);
}

#[test]
fn bath_pension_disagreements_go_to_hr_or_the_avon_pension_fund() {
    // shared/seeds/002_fccd42a92619dcdc.txt l.383 "These should be directed to either B&NES
    // (HR), as your employer, or Avon Pension Fund, whoever made the initial decision".
    let (s, r) = site_with_case(
        "bath-and-north-east-somerset",
        "BNES",
        "I wish to complain.",
    );
    let text = excluded_letter(&s, &r, "pensions");
    assert!(
        text.contains("B&NES (HR), as your employer, or the Avon Pension Fund"),
        "{text}"
    );
}

#[test]
fn an_unknown_exclusion_is_refused_naming_the_valid_ids_and_nothing_changes() {
    let (s, r) = site_with_case("north-norfolk", "NNDC", "I wish to complain.");
    let letters_before = s.letters().len();
    let err = s.fails(LATER, &["exclude", &r, "parish-council", "--by", "ann"]);
    assert!(
        err.contains("unknown exclusion 'parish-council' for the north-norfolk policy")
            && err.contains("employment")
            && err.contains("whistleblowing"),
        "{err}"
    );
    s.run(LATER, &["send"]);
    assert_eq!(s.letters().len(), letters_before, "no letter was queued");
    let v = &s.case(LATER, &r)["case"];
    assert_eq!(v["state"], "acknowledged", "{v}");
    let events: i64 = s
        .db()
        .query_row(
            "SELECT COUNT(*) FROM events WHERE detail LIKE 'excluded:%'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(events, 0);
}

#[test]
fn exclusion_is_recorded_and_a_closed_case_cannot_be_excluded_again() {
    let (s, r) = site_with_case("west-lindsey", "WLDC", "I wish to complain.");
    excluded_letter(&s, &r, "other-customers");
    let detail: String = s
        .db()
        .query_row(
            "SELECT detail FROM events WHERE detail LIKE 'excluded:%'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert!(detail.starts_with("excluded: other-customers"), "{detail}");
    let err = s.fails(LATER, &["exclude", &r, "other-customers", "--by", "ann"]);
    assert!(err.contains(&r), "{err}");
    assert_eq!(
        s.letters()
            .iter()
            .filter(|l| l.0.contains("Where to take your concern"))
            .count(),
        1
    );
}

#[test]
fn a_preset_without_exclusions_says_so() {
    let (s, r) = site_with_case("lgsco-code", "CHC", "I wish to complain.");
    let err = s.fails(LATER, &["exclude", &r, "pensions", "--by", "ann"]);
    assert!(err.contains("lists no exclusions"), "{err}");
}

#[test]
fn policy_show_lists_a_presets_exclusions() {
    let s = Site::new("north-norfolk", "NNDC");
    let out = s.run(NOW, &["policy", "show", "north-norfolk"]);
    assert!(out.contains("Not covered"), "{out}");
    assert!(
        out.contains("whistleblowing") && out.contains("Whistleblowers' scheme"),
        "{out}"
    );
    let json = s.run(NOW, &["policy", "show", "buckinghamshire", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let ids: Vec<&str> = v["preset"]["exclusions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    for id in [
        "mp-enquiry",
        "parish-council",
        "data-breach",
        "pensions",
        "legal-proceedings",
        "personnel",
        "policy-disagreement",
        "over-12-months",
        "anonymous",
        "commissioned-service",
        "schools",
        "appeal-process",
        "insurance-claim",
        "planning-objection",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
}

#[test]
fn policy_check_refuses_a_repeated_exclusion_id_naming_the_line() {
    let s = Site::new("north-norfolk", "NNDC");
    let mut src = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/policies/north-norfolk.toml"),
    )
    .unwrap();
    src.push_str("\n[[exclusions]]\nid = \"employment\"\ncovers = \"x\"\nwhere = \"y\"\n");
    let line = src.lines().count() - 3;
    std::fs::write(s.path().join("p.toml"), &src).unwrap();
    let err = s.fails(NOW, &["policy", "check", "p.toml"]);
    assert!(
        err.contains(&format!(
            "line {line}: exclusion id 'employment' is given twice"
        )),
        "{err}"
    );
}

#[test]
fn an_exclusion_letter_can_be_previewed_without_changing_anything() {
    // shared/seeds/004_9e50d2b1666e764c.txt l.382: the Whistleblowers' scheme.
    let (s, r) = site_with_case("north-norfolk", "NNDC", "I wish to complain.");
    let out = s.run(
        LATER,
        &[
            "exclude",
            &r,
            "whistleblowing",
            "--preview",
            "x.pdf",
            "--by",
            "ann",
        ],
    );
    assert!(out.contains("nothing sent or changed"), "{out}");
    let text = std::process::Command::new("pdftotext")
        .arg(s.path().join("x.pdf"))
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("Our procedure does not cover issues that have arisen and are being handled through the council's Whistleblowers' scheme"),
        "{text}"
    );
    assert_eq!(s.case(LATER, &r)["case"]["state"], "acknowledged");
    s.run(LATER, &["send"]);
    assert!(!s
        .letters()
        .iter()
        .any(|l| l.0.contains("Where to take your concern")));
    // An unknown id is refused in a preview too, naming the valid ones.
    let err = s.fails(LATER, &["exclude", &r, "nope", "--preview", "y.pdf"]);
    assert!(err.contains("known: employment"), "{err}");
    assert!(!s.path().join("y.pdf").exists());
}

#[test]
fn case_shows_which_exclusions_the_residents_words_suggest_until_it_is_closed() {
    // shared/seeds/000_874d316bb45d79e3.txt l.244 (data breaches) and l.254 (pensions).
    let (s, r) = site_with_case(
        "buckinghamshire",
        "BUCKS",
        "I wish to complain about a data breach: my pension details were sent to a stranger.",
    );
    let out = s.run(LATER, &["case", &r]);
    assert!(
        out.contains(&format!(
            "exclusion? data-breach ('data breach'): `redress exclude {r} data-breach` if it applies"
        )),
        "{out}"
    );
    assert!(out.contains("exclusion? pensions ('pension')"), "{out}");
    assert!(!out.contains("exclusion? parish-council"), "{out}");
    // A hint only: the case is still open and nothing was sent.
    assert_eq!(s.case(LATER, &r)["case"]["state"], "acknowledged");
    excluded_letter(&s, &r, "data-breach");
    assert!(!s.run(LATER, &["case", &r]).contains("exclusion?"));
}

/// Issue 24, item 6: mail about a preset's exclusion is suggested "to triage" under
/// that exclusion with its route, and the redirect letter the officer accepts
/// (`triage REF --accept`) names the route. Returns the letter's text with its
/// whitespace run together.
fn suggested_and_accepted(
    policy: &str,
    prefix: &str,
    subject: &str,
    body: &str,
    id: &str,
    route: &str,
) -> String {
    let s = Site::new(policy, prefix);
    let r = format!("{prefix}-2026-00001");
    s.mail(
        "1",
        "Ivy Resident <ivy@example.org>",
        subject,
        body,
        "t1@example.org",
    );
    let out = s.run(NOW, &["poll"]);
    assert!(out.contains("to triage"), "{out}");
    let v = s.case(NOW, &r);
    assert_eq!(v["to_triage"]["exclusion"], id, "{v}");
    let suggested = v["to_triage"]["route"].as_str().unwrap_or_default();
    assert!(suggested.contains(route), "route {route:?} in {v}");
    let out = s.run(LATER, &["triage", &r, "--accept", "--by", "ann"]);
    assert!(out.contains("closed (suggestion accepted"), "{out}");
    s.run(LATER, &["send"]);
    closed_out_of_scope(&s, &r);
    let (subject, text, pdf) = s.letter_with("Where to take your concern");
    assert!(subject.contains(&r) && pdf, "{subject}");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains(route), "the letter names {route:?}:\n{text}");
    text
}

#[test]
fn buckinghamshire_school_complaints_go_to_the_school() {
    // shared/seeds/000_874d316bb45d79e3.txt l.240 "School complaints, unless the complaint
    // is about the Council's statutory education responsibilities. Customers should send
    // complaints to the relevant school, as schools have their own complaints procedures."
    let text = suggested_and_accepted(
        "buckinghamshire",
        "BC",
        "My son's school",
        "The head teacher at my son's school will not return my calls about his class.",
        "schools",
        "the relevant school, under the school's own complaints procedure",
    );
    assert!(
        text.contains("statutory education responsibilities"),
        "{text}"
    );
}

#[test]
fn buckinghamshire_decisions_with_an_appeal_go_to_their_appeals_process() {
    // l.241 "Where there is already an appeals process for decisions made by the council
    // (home to school transport, school admissions, ...). We can only investigate the
    // handling of the application under our complaints procedure, not the decision itself."
    let text = suggested_and_accepted(
        "buckinghamshire",
        "BC",
        "School transport refused",
        "You refused home to school transport for my daughter and I want to appeal.",
        "appeal-process",
        "the appeals process for that decision",
    );
    assert!(text.contains("not the decision itself"), "{text}");
}

#[test]
fn buckinghamshire_insurance_claims_go_to_the_insurance_team() {
    // l.243 "All potential insurance claims. The council's insurance team deals with these."
    suggested_and_accepted(
        "buckinghamshire",
        "BC",
        "Insurance claim",
        "A council lorry damaged my car on Tuesday and I would like to make a claim.",
        "insurance-claim",
        "the council's insurance team",
    );
}

#[test]
fn buckinghamshire_a_claim_inside_a_complaint_stays_a_complaint() {
    // README "a claim inside a complaint is a complaint": the insurance exclusion gives
    // way to any dissatisfaction, as the generic insurance rule does.
    let s = Site::new("buckinghamshire", "BC");
    s.mail(
        "1",
        "Ivy Resident <ivy@example.org>",
        "Roof",
        "I am not happy with how long you took to fix my roof. I want to make a claim for compensation.",
        "claim1@example.org",
    );
    let out = s.run(NOW, &["poll"]);
    assert!(!out.contains("to triage: waiting"), "{out}");
    assert!(s.case(NOW, "BC-2026-00001")["to_triage"].is_null());
}

#[test]
fn buckinghamshire_planning_objections_become_representations_on_the_application() {
    // l.250 "Objections from a third party about a planning application under consideration
    // by the Council (which will be added as representations to the application)"
    suggested_and_accepted(
        "buckinghamshire",
        "BC",
        "Extension next door",
        "I object to the planning application for the extension next door.",
        "planning-objection",
        "your objection will be added as a representation to the application",
    );
}

#[test]
fn bath_adult_social_care_goes_to_hcrg_care_groups_customer_experience_team() {
    // shared/seeds/002_fccd42a92619dcdc.txt l.346-347 "Concerns, comments or complaints
    // about the HCRG Care Group should be referred to the Customer Experience Team at
    // https://bathneshealthandcare.nhs.uk/contact-us/got-a-concern-or-complaint/"
    let text = suggested_and_accepted(
        "bath-and-north-east-somerset",
        "BNES",
        "My mother's carer",
        "The adult social care carer sent by HCRG did not arrive for my mother's visit.",
        "adult-social-care",
        "the HCRG Care Group's Customer Experience Team",
    );
    assert!(
        text.contains("https://bathneshealthandcare.nhs.uk/contact-us/got-a-concern-or-complaint/"),
        "{text}"
    );
    // l.360-364 the Complaints and Data Protection Team, by email and phone.
    assert!(
        text.contains("complaints_cypandadults@bathnes.gov.uk"),
        "{text}"
    );
    assert!(text.contains("01225 477752"), "{text}");
}

#[test]
fn bath_childrens_social_care_follows_its_statutory_procedure_with_an_advocate() {
    // l.370-372 "Complaints about children's social care services (including services for
    // children in need; looked after children; ...) are dealt with under a separate
    // complaints procedure ... https://beta.bathnes.gov.uk/make-complaint-about-childrens-services";
    // l.372 an advocate: https://www.offtherecord-banes.co.uk/advocacy
    let text = suggested_and_accepted(
        "bath-and-north-east-somerset",
        "BNES",
        "Foster placement",
        "My niece is a looked after child and her foster placement has changed twice.",
        "childrens-social-care",
        "the children's social care complaints procedure",
    );
    assert!(
        text.contains("https://beta.bathnes.gov.uk/make-complaint-about-childrens-services"),
        "{text}"
    );
    assert!(
        text.contains("https://www.offtherecord-banes.co.uk/advocacy"),
        "{text}"
    );
}

#[test]
fn bath_school_complaints_go_to_the_head_teacher_or_chair_of_governors() {
    // l.381 "Complaints are normally directed to the Head Teacher of the school or the
    // Chair of Governors at the school address. Where the school is unable to satisfy the
    // complaint, the complaint should be referred to the Secretary of State for Education
    // or Ofsted https://www.gov.uk/complain-about-school"
    let text = suggested_and_accepted(
        "bath-and-north-east-somerset",
        "BNES",
        "Homework policy",
        "The academy my son attends has changed its homework rules without asking parents.",
        "schools",
        "the Head Teacher of the school or the Chair of Governors at the school address",
    );
    assert!(
        text.contains("the Secretary of State for Education or Ofsted"),
        "{text}"
    );
    assert!(
        text.contains("https://www.gov.uk/complain-about-school"),
        "{text}"
    );
}

#[test]
fn west_lindsey_councillor_mail_is_suggested_for_the_monitoring_officer_at_the_guildhall() {
    // shared/seeds/003_11a3098601f0a9cb.txt l.255 "If you wish to make a complaint about
    // your local Councillor, please contact: The Monitoring Officer, West Lindsey District
    // Council, The Guildhall, Marshalls Yard, Gainsborough, Lincolnshire, DN21 2NA"
    let text = suggested_and_accepted(
        "west-lindsey",
        "WLDC",
        "Our councillor",
        "Our ward councillor shouted at residents at the village hall meeting.",
        "councillor",
        "the Monitoring Officer, West Lindsey District Council, The Guildhall, Marshalls Yard, Gainsborough, Lincolnshire, DN21 2NA",
    );
    assert!(text.contains("01427 676676"), "{text}");
}

/// The kind, every event kind, and how many letters case `reference` has.
fn anonymous_case(s: &Site, reference: &str) -> (String, Vec<String>, i64) {
    let case = s.case(LATER, reference);
    let db = s.db();
    let events: Vec<String> = db
        .prepare(
            "SELECT e.kind || ': ' || coalesce(e.detail, '') FROM events e
             JOIN cases c ON c.id = e.case_id WHERE c.reference = ?1 ORDER BY e.id",
        )
        .unwrap()
        .query_map([reference], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let letters: i64 = db
        .query_row(
            "SELECT count(*) FROM letters l JOIN cases c ON c.id = l.case_id WHERE c.reference = ?1",
            [reference],
            |r| r.get(0),
        )
        .unwrap();
    (
        case["case"]["kind"].as_str().unwrap().to_string(),
        events,
        letters,
    )
}

/// Seed 000 l.256: "Anonymous complaints are logged as service requests, unless the
/// complaint raises issues of wider concern to the council that can be dealt with
/// without further input from the complainant." Neither writes to anyone: there is
/// no one to write to, and the timeline says which letter was not written.
#[test]
fn buckinghamshire_logs_an_anonymous_complaint_as_a_service_request_unless_of_wider_concern() {
    let s = Site::new("buckinghamshire", "BUCKS");
    let one = s
        .run(
            NOW,
            &[
                "new",
                "--anonymous",
                "--via",
                "phone",
                "--subject",
                "Rude staff at the tip",
                "--by",
                "ann",
            ],
        )
        .trim()
        .to_string();
    let (kind, events, letters) = anonymous_case(&s, &one);
    assert_eq!(kind, "service-request");
    assert_eq!(letters, 0);
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("anonymous: logged as a service request")),
        "{events:?}"
    );
    // Of wider concern: a complaint, its deadlines counted, and no letter ever, even when
    // they pass (Mon 2 Nov 2026 + the whole of the 12 weeks, and more, by 1 March 2027).
    let two = s
        .run(
            NOW,
            &[
                "new",
                "--anonymous",
                "--wider-concern",
                "--subject",
                "Unsafe scaffolding over the pavement on the High Street",
                "--by",
                "ann",
            ],
        )
        .trim()
        .to_string();
    s.run("2026-11-20T09:00:00Z", &["tick"]);
    s.run("2027-03-01T09:00:00Z", &["tick"]);
    s.run("2027-03-01T09:00:00Z", &["send"]);
    let (kind, events, letters) = anonymous_case(&s, &two);
    assert_eq!(kind, "complaint");
    assert_eq!(letters, 0, "{events:?}");
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("anonymous: a wider concern")),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("no letter: acknowledgement: the complainant is anonymous")),
        "{events:?}"
    );
    // Anonymous means no contact details at all, and a wider concern is for one.
    let err = s.fails(
        NOW,
        &[
            "new",
            "--anonymous",
            "--email",
            "ivy@example.org",
            "--by",
            "ann",
        ],
    );
    assert!(
        err.contains("an anonymous complaint has no name, email or postal address"),
        "{err}"
    );
    let err = s.fails(
        NOW,
        &["new", "--wider-concern", "--email", "ivy@example.org"],
    );
    assert!(
        err.contains("a wider concern is for an anonymous complaint"),
        "{err}"
    );
}

/// Where the policy is silent (the Code), an anonymous complaint stays a complaint and
/// is handled without a letter.
#[test]
fn under_the_code_an_anonymous_complaint_stays_a_complaint_with_no_letter() {
    let s = Site::new("lgsco-code", "EX");
    let r = s
        .run(
            NOW,
            &["new", "--anonymous", "--subject", "Potholes", "--by", "ann"],
        )
        .trim()
        .to_string();
    s.run(NOW, &["send"]);
    let (kind, events, letters) = anonymous_case(&s, &r);
    assert_eq!(kind, "complaint");
    assert_eq!(letters, 0);
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("no letter: acknowledgement: the complainant is anonymous")),
        "{events:?}"
    );
}
