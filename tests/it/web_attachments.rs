//! Files enclosed with a reply from the desk (the real `redress web`, over HTTP): the
//! reply form is multipart; a file sent with it is kept with the queued letter (the
//! preview lists it under Enclosures); a multipart POST without the session's CSRF
//! token is refused; a file over the limits or of a type not allowed is refused on the
//! page, with nothing queued. A case's inbound attachments are listed a page at a time.

use crate::bin;
use crate::webkit;

use webkit::{now, web_site, Desk};

/// Small limits, so that "too large" is quick to send: 20 KB a file, 30 KB a letter.
const LIMITS: &str =
    "[letters]\nmax_file_attachment_bytes = 20000\nmax_letter_attachment_bytes = 30000\n";

/// A desk over a site holding one complaint that came by email; its reference.
fn desk_with_a_case() -> (Desk, String) {
    webkit::desk_with_a_case(LIMITS)
}

fn count(desk: &Desk, sql: &str) -> i64 {
    desk.site.db().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// (letters, enclosures, events): what a refused POST must leave as it was.
fn state(desk: &Desk) -> (i64, i64, i64) {
    (
        count(desk, "SELECT count(*) FROM letters"),
        count(desk, "SELECT count(*) FROM letter_attachments"),
        count(desk, "SELECT count(*) FROM events"),
    )
}

fn plan_pdf() -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n% repair plan\n".to_vec();
    pdf.extend((0..5000u32).map(|i| (i * 31 % 253) as u8));
    pdf
}

#[test]
fn a_reply_with_a_file_is_previewed_listing_it_and_queued_with_it() {
    let (desk, reference) = desk_with_a_case();
    let s = desk.admin();
    let p = desk.get(&format!("/cases/{reference}"), Some(&s));
    assert!(
        p.body.contains(r#"enctype="multipart/form-data""#)
            && p.body.contains(r#"type="file" multiple"#),
        "the reply form takes files: {}",
        p.body
    );
    assert!(
        p.body.contains("at most 20 KB each and 29 KB together"),
        "{}",
        p.body
    );
    let (csrf, version) = (p.csrf(), p.field("version"));
    let pdf = plan_pdf();
    let url = format!("/cases/{reference}/reply");
    let fields = |action: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("version", version.clone()),
            ("outcome", "upheld".to_string()),
            ("body", "We filled the potholes on Mill Lane.".to_string()),
            ("action", action.to_string()),
        ]
    };
    let files: [(&str, &str, &str, &[u8]); 1] =
        [("attachments", "Repair plan.pdf", "application/pdf", &pdf)];

    // Preview: the exact PDF, listing the file; nothing kept.
    let before = state(&desk);
    let f = fields("preview");
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = desk.post_multipart(&url, &s, &f, &files);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    let out = desk.site.path().join("preview.pdf");
    std::fs::write(&out, &r.bytes).unwrap();
    let text = bin::pdf_text(&out);
    assert!(text.contains("Enclosures: Repair plan.pdf"), "{text}");
    assert_eq!(state(&desk), before);

    // A page drawn before the case changed is still refused, files or not.
    let mut stale = fields("send");
    stale[1].1 = "0".into();
    let stale: Vec<(&str, &str)> = stale.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = desk.post_multipart(&url, &s, &stale, &files);
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(state(&desk), before);

    // Send: queued with the file, byte for byte, as the signed-in user.
    let f = fields("send");
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = desk.post_multipart(&url, &s, &f, &files);
    assert_eq!(r.status, 303, "{}", r.body);
    let (name, ctype, bytes, kind): (String, String, Vec<u8>, String) = desk
        .site
        .db()
        .query_row(
            "SELECT a.name, a.content_type, a.bytes, l.kind FROM letter_attachments a
             JOIN letters l ON l.id = a.letter_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (name.as_str(), ctype.as_str(), kind.as_str()),
        ("Repair plan.pdf", "application/pdf", "stage-response")
    );
    assert_eq!(bytes, pdf);
    let (actor, detail): (String, String) = desk
        .site
        .db()
        .query_row(
            "SELECT actor, detail FROM events WHERE kind = 'enclosed'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(actor, "officer:admin");
    assert!(detail.contains("Repair plan.pdf (5 KB)"), "{detail}");
}

#[test]
fn a_multipart_post_without_the_csrf_token_is_refused() {
    let (desk, reference) = desk_with_a_case();
    let s = desk.admin();
    let p = desk.get(&format!("/cases/{reference}"), Some(&s));
    let version = p.field("version");
    let pdf = plan_pdf();
    let files: [(&str, &str, &str, &[u8]); 1] =
        [("attachments", "plan.pdf", "application/pdf", &pdf)];
    let before = state(&desk);
    let url = format!("/cases/{reference}/reply");
    let base = [
        ("version", version.as_str()),
        ("outcome", "upheld"),
        ("body", "Findings."),
        ("action", "send"),
    ];
    let r = desk.post_multipart(&url, &s, &base, &files);
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("This form has expired"), "{}", r.body);
    let mut wrong = base.to_vec();
    wrong.push(("csrf", "not-the-token"));
    let r = desk.post_multipart(&url, &s, &wrong, &files);
    assert_eq!(r.status, 403, "{}", r.body);
    // Another action's form sent as multipart is checked the same way.
    let r = desk.post_multipart(
        &format!("/cases/{reference}/note"),
        &s,
        &[("version", version.as_str()), ("text", "sneaky")],
        &[],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(state(&desk), before);
}

#[test]
fn files_over_the_limits_or_not_allowed_are_refused_on_the_page_with_nothing_queued() {
    let (desk, reference) = desk_with_a_case();
    let s = desk.admin();
    let p = desk.get(&format!("/cases/{reference}"), Some(&s));
    let (csrf, version) = (p.csrf(), p.field("version"));
    let url = format!("/cases/{reference}/reply");
    let fields = [
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("outcome", "upheld"),
        ("body", "Typed with care."),
        ("action", "send"),
    ];
    let before = state(&desk);
    // Refused on the case page (422) with `why`; returns that page.
    let refused = |files: &[(&str, &str, &str, &[u8])], why: &str| {
        let r = desk.post_multipart(&url, &s, &fields, files);
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains(why), "{}", r.body);
        r
    };

    // One file over the per-file limit: the reason on the case page, what was typed kept.
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(25_000, b'x');
    let r = refused(
        &[("attachments", "big.pdf", "application/pdf", &big)],
        "attachment big.pdf is 24 KB: at most 20 KB per file",
    );
    assert!(
        r.body.contains(">Typed with care.</textarea>"),
        "{}",
        r.body
    );

    // Two that are each allowed but too much together.
    let mut half = b"%PDF-1.4\n".to_vec();
    half.resize(16_000, b'y');
    refused(
        &[
            ("attachments", "a.pdf", "application/pdf", &half),
            ("attachments", "b.pdf", "application/pdf", &half),
        ],
        "the attachments come to 31 KB: at most 29 KB in one letter",
    );

    // A program, by name or in disguise.
    refused(
        &[(
            "attachments",
            "setup.exe",
            "application/x-msdownload",
            b"MZ\x90\x00",
        )],
        "attachment setup.exe: this type of file cannot be sent",
    );
    refused(
        &[(
            "attachments",
            "letter.pdf",
            "application/x-msdownload",
            b"MZ\x90\x00",
        )],
        "its type application/x-msdownload does not match its name",
    );

    // More files than a letter may enclose, each small and allowed.
    let names: Vec<String> = (1..=11).map(|n| format!("note{n}.txt")).collect();
    let eleven: Vec<(&str, &str, &str, &[u8])> = names
        .iter()
        .map(|n| ("attachments", n.as_str(), "text/plain", &b"A note."[..]))
        .collect();
    refused(
        &eleven,
        "11 files are attached: a letter may enclose at most 10",
    );

    // A request far over what a letter may carry: the desk's page says why (no reset).
    let huge = vec![b'z'; 2 * 1024 * 1024];
    let r = desk.post_multipart(
        &url,
        &s,
        &fields,
        &[("attachments", "huge.pdf", "application/pdf", &huge)],
    );
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.body.contains("The files are too large"), "{}", r.body);
    assert!(
        r.body
            .contains("at most 29 KB together. Nothing was changed"),
        "{}",
        r.body
    );

    assert_eq!(state(&desk), before);
}

#[test]
fn a_held_letters_enclosures_are_listed_on_the_outbox_page_to_print() {
    let site = web_site(LIMITS);
    let t = now();
    site.run(
        &t,
        &[
            "new",
            "--address",
            "1 High Street",
            "--name",
            "Pat",
            "--via",
            "letter",
        ],
    );
    let reference = site.only_reference();
    let desk = Desk::start(site, "web");
    let s = desk.admin();
    let p = desk.get(&format!("/cases/{reference}"), Some(&s));
    let (csrf, version) = (p.csrf(), p.field("version"));
    let pdf = plan_pdf();
    let r = desk.post_multipart(
        &format!("/cases/{reference}/reply"),
        &s,
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("outcome", "upheld"),
            ("body", "We filled the potholes."),
            ("action", "send"),
        ],
        &[("attachments", "Repair plan.pdf", "application/pdf", &pdf)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    // Rendered: no email for Pat, so held to print and post.
    let later = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    desk.site.run(&later, &["send"]);
    let id: i64 = desk
        .site
        .db()
        .query_row(
            "SELECT id FROM letters WHERE kind = 'stage-response' AND status = 'held'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let page = desk.get("/outbox", Some(&s));
    assert_eq!(page.status, 200, "{}", page.body);
    let link = format!("/outbox/{id}/enclosures/1");
    assert!(
        page.body.contains(&format!("href=\"{link}\"")),
        "{}",
        page.body
    );
    assert!(page.body.contains("Repair plan.pdf"), "{}", page.body);
    let file = desk.get(&link, Some(&s));
    assert_eq!(file.status, 200);
    assert_eq!(file.header("content-type"), Some("application/pdf"));
    assert_eq!(
        file.header("content-disposition"),
        Some("attachment; filename=\"Repair_plan.pdf\"")
    );
    assert_eq!(file.bytes, pdf);
    assert_eq!(
        desk.get(&format!("/outbox/{id}/enclosures/2"), Some(&s))
            .status,
        404
    );
}

/// A case whose messages carry 100,000 attachments (rows written straight into the
/// database: parsing that much mail would take minutes) shows 50 on its page, newest
/// first, with how many there are and links to the other pages; the page stays small.
#[test]
fn a_case_with_100000_attachments_lists_them_50_to_a_page() {
    let (desk, reference) = desk_with_a_case();
    {
        let db = desk.site.db();
        let message: i64 = db
            .query_row("SELECT id FROM messages", [], |r| r.get(0))
            .unwrap();
        db.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
             INSERT INTO attachments (message_id, name, mime_type, size, sha256)
             SELECT ?1, 'photo-' || i || '.jpg', 'image/jpeg', i, 'x' FROM n",
            [message],
        )
        .unwrap();
    }
    let s = desk.admin();
    let rows = |body: &str| body.matches("photo-").count();
    let started = std::time::Instant::now();
    let p = desk.get(&format!("/cases/{reference}"), Some(&s));
    let took = started.elapsed();
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.body
            .contains("Showing 1 to 50 of 100,000 attachments, newest first"),
        "{}",
        p.body
    );
    assert_eq!(rows(&p.body), 50);
    assert!(p.body.contains("photo-100000.jpg") && p.body.contains("photo-99951.jpg"));
    assert!(p.body.contains("100000 attachments, listed under"));
    assert!(
        p.body.contains(r##"href="?files=2#attachments""##),
        "{}",
        p.body
    );
    assert!(!p.body.contains("rel=\"prev\""));
    assert!(p.body.contains("Page 1 of 2000"));
    assert!(p.bytes.len() < 100_000, "{} bytes", p.bytes.len());
    eprintln!(
        "case page with 100,000 attachments: {} bytes in {took:?}",
        p.bytes.len()
    );

    let p = desk.get(&format!("/cases/{reference}?files=2"), Some(&s));
    assert!(
        p.body.contains("Showing 51 to 100 of 100,000"),
        "{}",
        p.body
    );
    assert!(p.body.contains("photo-99950.jpg") && !p.body.contains("photo-99951.jpg"));
    assert!(p.body.contains(r##"href="?files=1#attachments""##));
    assert!(p.body.contains(r##"href="?files=3#attachments""##));
    // Past the last page: the last; not a number: the first.
    let p = desk.get(&format!("/cases/{reference}?files=9999"), Some(&s));
    assert!(
        p.body.contains("Showing 99,951 to 100,000 of 100,000"),
        "{}",
        p.body
    );
    assert!(p.body.contains("photo-1.jpg") && !p.body.contains("rel=\"next\""));
    let p = desk.get(&format!("/cases/{reference}?files=abc"), Some(&s));
    assert!(p.body.contains("Showing 1 to 50 of"), "{}", p.body);
}
