//! Issue 13, item 4: an optional council logo (PNG, `[council] logo`) at the head of
//! every PDF letter; a file that is not a usable PNG is a one-line config error.

use crate::bin;
use crate::site;

use site::Site;
use std::process::Command;

/// A 120 x 40 RGBA PNG: a blue bar with a transparent band.
fn logo_png() -> Vec<u8> {
    let (w, h) = (120u32, 40u32);
    let mut px = Vec::new();
    for y in 0..h {
        for _ in 0..w {
            px.extend([0x1d, 0x70, 0xb8, if y < 10 { 0 } else { 255 }]);
        }
    }
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, w, h);
    e.set_color(png::ColorType::Rgba);
    e.set_depth(png::BitDepth::Eight);
    let mut wr = e.write_header().unwrap();
    wr.write_image_data(&px).unwrap();
    wr.finish().unwrap();
    out
}

fn with_logo(s: &Site, file: &str) {
    let cfg = s.path().join("redress.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replacen("[council]\n", &format!("[council]\nlogo = \"{file}\"\n"), 1),
    )
    .unwrap();
}

#[test]
fn letters_carry_the_council_logo() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    std::fs::write(s.path().join("logo.png"), logo_png()).unwrap();
    with_logo(&s, "logo.png");
    s.mail(
        "1",
        "Ivy <ivy@example.org>",
        "Graffiti",
        "I wish to complain about graffiti.",
        "l1@example.org",
    );
    s.run("2026-11-02T09:00:00Z", &["poll"]);
    let pdf = s.path().join("ack.pdf");
    s.run(
        "2026-11-02T09:00:00Z",
        &[
            "letter",
            "preview",
            "BNES-2026-00001",
            "--letter",
            "acknowledgement",
            "--out",
            pdf.to_str().unwrap(),
        ],
    );
    let list = Command::new("pdfimages")
        .arg("-list")
        .arg(&pdf)
        .output()
        .expect("pdfimages (poppler-utils) is installed");
    let list = String::from_utf8_lossy(&list.stdout);
    // The image and its transparency mask, at the logo's size.
    let rows: Vec<&str> = list.lines().skip(2).collect();
    assert_eq!(rows.len(), 2, "{list}");
    assert!(
        rows[0].split_whitespace().nth(2) == Some("image")
            && rows[0].split_whitespace().nth(3) == Some("120")
            && rows[0].split_whitespace().nth(4) == Some("40"),
        "{list}"
    );
    assert_eq!(rows[1].split_whitespace().nth(2), Some("smask"), "{list}");
    // The text is all still there.
    let text = bin::pdf_text(&pdf);
    assert!(
        text.contains("Test Council") && text.contains("BNES-2026-00001"),
        "{text}"
    );
    // The letter that is sent carries it too.
    s.run("2026-11-02T09:00:00Z", &["send"]);
    let (_, _, has_pdf) = s.letter_with("BNES-2026-00001");
    assert!(has_pdf);
}

#[test]
fn a_logo_that_is_not_a_png_is_a_one_line_error_and_nothing_runs() {
    let s = Site::new("bath-and-north-east-somerset", "BNES");
    std::fs::write(s.path().join("logo.png"), b"GIF89a not really").unwrap();
    with_logo(&s, "logo.png");
    let err = s.fails("2026-11-02T09:00:00Z", &["poll"]);
    assert!(
        err.contains("logo:") && err.contains("not a PNG image"),
        "{err}"
    );
    assert!(err.contains("line 3"), "{err}");
    assert!(!s.path().join("data/redress.db").exists());
    let cfg = s.path().join("redress.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, text.replace("logo.png", "missing.png")).unwrap();
    let err = s.fails("2026-11-02T09:00:00Z", &["poll"]);
    assert!(err.contains("missing.png"), "{err}");
}
