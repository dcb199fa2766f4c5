//! Letters: every template renders for every preset, a broken template is reported
//! with its file and line, and the PDF letter reads back with pdftotext and passes qpdf.

use crate::letters_support;

use letters_support::*;

#[test]
fn every_template_renders_for_every_preset() {
    let tmp = tempfile::tempdir().unwrap();
    let r = redress(tmp.path(), &["templates", "check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("ok: 16 templates render for all 6 built-in presets"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_broken_template_is_reported_with_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tpl");
    std::fs::create_dir_all(&dir).unwrap();
    // A syntax error on line 4 (an unclosed if) and a misspelt variable on line 5.
    std::fs::write(
        dir.join("holding.tera"),
        "Delay [Ref {{ case.reference }}]\n---\n{{ customer.salutation }},\n{% if data.reason %}\nBecause {{ data.reason }}.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("acknowledgement.tera"),
        "Received [Ref {{ case.reference }}]\n---\n{{ customer.salutation }},\n\nDue {{ deadlines.respond.date }}, handled by {{ case.handlr }}.\n",
    )
    .unwrap();
    let r = redress(tmp.path(), &["templates", "check", "--dir", "tpl"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("tpl/holding.tera: line "), "{}", r.stdout);
    assert!(
        r.stdout.contains("tpl/acknowledgement.tera: line 5: ") && r.stdout.contains("handlr"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("template problem"), "{}", r.stderr);
    // The templates not overridden are still the good built-in ones.
    assert!(!r.stdout.contains("stage-response"), "{}", r.stdout);
}

#[test]
fn a_template_without_a_subject_line_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tpl");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("survey-invitation.tera"),
        "Dear customer,\nplease fill in {{ data.url }}\n",
    )
    .unwrap();
    let r = redress(tmp.path(), &["templates", "check", "--dir", "tpl"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .contains("survey-invitation.tera: line 1: no subject line"),
        "{}",
        r.stdout
    );
}

fn new_case(dir: &std::path::Path, name: &str) -> String {
    let r = redress(
        dir,
        &[
            "--config",
            "redress.toml",
            "--now",
            "2026-12-21T10:30:00Z",
            "new",
            "--email",
            "jo.bloggs@example.net",
            "--name",
            name,
            "--subject",
            "Bins not collected <again> & again",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout.trim().to_string()
}

#[test]
fn letter_preview_writes_a_stage_response_pdf_that_reads_back() {
    let tmp = tempfile::tempdir().unwrap();
    write_config(tmp.path(), &file_outbox(), "");
    let reference = new_case(tmp.path(), "Jo Bloggs");
    assert!(reference.starts_with("BNES-2026-"), "{reference}");
    let data = r#"{"outcome": "upheld", "findings": "Your bin was missed on four collection days in November.", "apology": "I am sorry.", "remedy": "A supervisor will check collections for four weeks."}"#;
    let r = redress(
        tmp.path(),
        &[
            "--config",
            "redress.toml",
            "--now",
            "2027-01-05T09:00:00Z",
            "letter",
            "preview",
            &reference,
            "--letter",
            "stage-response",
            "--data",
            data,
            "--out",
            "preview.pdf",
            "--text",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!(
            "Subject: Our response to your complaint: upheld [Ref {reference}]"
        )),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(&format!("Our reference: {reference}")));
    let pdf = tmp.path().join("preview.pdf");
    assert_valid_pdf(&pdf);
    let t = squash(&pdf_text(&pdf));
    for needle in [
        "Bath & North East Somerset Council",
        "Date: Tuesday 5 January 2027",
        &format!("Our ref: {reference}"),
        "Dear Jo Bloggs,",
        "Your bin was missed on four collection days in November.",
        "We have decided that your complaint is upheld.",
        "Stage 2",
        "Customer Feedback Team",
        "Page 1 of 1",
    ] {
        assert!(t.contains(needle), "'{needle}' missing from: {t}");
    }
    // Nothing was queued or sent by a preview: the outbox holds only the
    // acknowledgement that recording the case (`new`) asked for.
    let out = redress(
        tmp.path(),
        &["--config", "redress.toml", "outbox", "--json"],
    );
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let kinds: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["acknowledgement"], "{}", out.stdout);
}

#[test]
fn a_long_letter_runs_over_pages_numbered_page_n_of_m() {
    let tmp = tempfile::tempdir().unwrap();
    write_config(tmp.path(), &file_outbox(), "");
    let reference = new_case(tmp.path(), "Jo Bloggs");
    let para = "The collection crew's round sheet did not show your address after the route change, and the in-cab system was not updated either. ";
    let findings = (0..12)
        .map(|i| format!("{i}. {}", para.repeat(3)))
        .collect::<Vec<_>>()
        .join("\\n\\n");
    let data = format!(
        r#"{{"outcome": "partially upheld", "findings": "{findings} THE END OF FINDINGS."}}"#
    );
    let r = redress(
        tmp.path(),
        &[
            "--config",
            "redress.toml",
            "--now",
            "2027-01-05T09:00:00Z",
            "letter",
            "preview",
            &reference,
            "--letter",
            "final-response",
            "--data",
            &data,
            "--out",
            "long.pdf",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let pdf = tmp.path().join("long.pdf");
    assert_valid_pdf(&pdf);
    let t = squash(&pdf_text(&pdf));
    assert!(
        t.contains("Page 1 of 2") || t.contains("Page 1 of 3"),
        "{t}"
    );
    assert!(t.contains("THE END OF FINDINGS."));
    // The final response signposts the Ombudsman.
    for needle in [
        "Local Government and Social Care Ombudsman",
        "www.lgo.org.uk",
        "0300 061 0614",
    ] {
        assert!(t.contains(needle), "'{needle}' missing");
    }
    // Later pages carry the reference at the top.
    assert!(
        t.matches(&format!("Our ref: {reference}")).count() >= 2,
        "{t}"
    );
}

#[test]
fn customer_text_is_escaped_in_the_html_email_but_not_in_the_text() {
    let policy = redress::policy::Policy::load("bath-and-north-east-somerset").unwrap();
    let council = redress::letter::sample::council();
    let mut ctx = redress::letter::sample::contexts(
        &policy,
        &council,
        redress::letter::Kind::Acknowledgement,
    )
    .remove(0);
    ctx.case.subject = Some("<script>alert('x')</script> & more".into());
    let r = redress::letter::render(redress::letter::Kind::Acknowledgement, &ctx).unwrap();
    assert!(r.html.contains("&lt;script&gt;"), "{}", r.html);
    assert!(!r.html.contains("<script>"));
    assert!(r.text.contains("<script>alert('x')</script> & more"));
    assert!(r
        .subject
        .ends_with(&format!("[Ref {}]", ctx.case.reference)));
    assert!(r.pdf.len() < 60 * 1024, "PDF is {} bytes", r.pdf.len());
}
