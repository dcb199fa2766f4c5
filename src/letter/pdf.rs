//! The formal A4 letter as a PDF: letterhead, recipient, date and reference, subject,
//! the body wrapped and paginated, page numbers. Text is set in DejaVu Sans, shipped in
//! letters/ and embedded (subset to the glyphs used), so it looks the same everywhere
//! and stays selectable and extractable.
//!
//! Layout is done here, by measuring glyph advances from the font's own metrics, rather
//! than through printpdf's HTML engine: a letter is a few blocks of left-aligned text,
//! and measuring ourselves is predictable and fast (the benchmark target is 500 letters
//! a second on one core).

use printpdf::{
    FontId, Mm, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt,
    TextItem, TextRenderingMode,
};
use std::sync::OnceLock;

use super::{LetterContext, LetterError, Result};

const REGULAR_TTF: &[u8] = include_bytes!("../../letters/DejaVuSans.ttf");

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const LEFT: f32 = 25.0;
const RIGHT: f32 = 20.0;
/// Where the right-hand column (council contact details, date, reference) starts.
const RIGHT_COL: f32 = 130.0;
/// The body stops here; below are the page numbers.
const BOTTOM: f32 = 25.0;
const BODY_PT: f32 = 11.0;
/// Body line height, in mm (about 1.35 x 11 pt).
const LINE: f32 = 5.3;
const SMALL_PT: f32 = 8.5;
const SMALL_LINE: f32 = 3.9;
const MM_PER_PT: f32 = 25.4 / 72.0;

/// One embedded face. Headings are set in it with a thin outline stroked over the
/// fill ("synthetic bold"): a second embedded face (DejaVu Sans Bold) doubled the
/// subsetting work and the file size for a few words per letter.
struct Fonts {
    regular: ParsedFont,
}

fn fonts() -> Result<&'static Fonts> {
    static F: OnceLock<Option<Fonts>> = OnceLock::new();
    F.get_or_init(|| {
        let regular = ParsedFont::from_bytes(REGULAR_TTF, 0, &mut Vec::new())?;
        Some(Fonts { regular })
    })
    .as_ref()
    .ok_or_else(|| LetterError::Pdf("the letter font in letters/ could not be read".into()))
}

#[derive(Clone, Copy)]
enum Face {
    Regular,
    Bold,
}

/// Width of `s` in mm at `size` points.
fn width(font: &ParsedFont, s: &str, size: f32) -> f32 {
    let upm = font.font_metrics.units_per_em as f32;
    let units: u32 = s
        .chars()
        .map(|c| {
            font.lookup_glyph_index(c as u32)
                .map(|g| font.get_horizontal_advance(g) as u32)
                .unwrap_or(upm as u32 / 2)
        })
        .sum();
    units as f32 / upm * size * MM_PER_PT
}

/// Greedy word wrap to `max` mm; a word longer than a line is broken by characters.
fn wrap(font: &ParsedFont, text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if width(font, &candidate, size) <= max {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if width(font, word, size) <= max {
            line = word.to_string();
        } else {
            for c in word.chars() {
                line.push(c);
                if width(font, &line, size) > max {
                    let last = line.pop().unwrap_or(' ');
                    lines.push(std::mem::take(&mut line));
                    line.push(last);
                }
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Pages of drawing operations under construction.
struct Writer<'a> {
    fonts: &'a Fonts,
    regular: FontId,
    pages: Vec<Vec<Op>>,
    /// Current baseline, mm from the bottom of the page.
    y: f32,
    continuation_header: String,
}

impl Writer<'_> {
    fn text(&mut self, face: Face, size: f32, x: f32, y: f32, s: &str) {
        let font = self.regular.clone();
        let page = self.pages.last_mut().expect("a page");
        page.push(Op::StartTextSection);
        if let Face::Bold = face {
            page.extend([
                Op::SetTextRenderingMode {
                    mode: TextRenderingMode::FillStroke,
                },
                Op::SetOutlineThickness {
                    pt: Pt(size * 0.045),
                },
            ]);
        }
        page.extend([
            Op::SetFont {
                font: PdfFontHandle::External(font),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(y)),
            },
            Op::ShowText {
                items: vec![TextItem::Text(s.to_string())],
            },
        ]);
        if let Face::Bold = face {
            page.push(Op::SetTextRenderingMode {
                mode: TextRenderingMode::Fill,
            });
        }
        page.push(Op::EndTextSection);
    }

    fn font(&self, _face: Face) -> &ParsedFont {
        &self.fonts.regular
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        let header = self.continuation_header.clone();
        self.text(Face::Regular, SMALL_PT, LEFT, PAGE_H - 15.0, &header);
        self.y = PAGE_H - 27.0;
    }

    /// One body line at the cursor, breaking the page first when it is full.
    fn line(&mut self, face: Face, x: f32, s: &str) {
        if self.y < BOTTOM {
            self.new_page();
        }
        let y = self.y;
        self.text(face, BODY_PT, x, y, s);
        self.y -= LINE;
    }

    /// A paragraph wrapped to the text width, `indent` mm in from the margin.
    fn paragraph(&mut self, face: Face, indent: f32, s: &str) {
        let max = PAGE_W - LEFT - RIGHT - indent;
        for l in wrap(self.font(face), s, BODY_PT, max) {
            self.line(face, LEFT + indent, &l);
        }
    }
}

/// The letter as PDF bytes. `body` is the template's text body; blank lines separate
/// paragraphs and lines starting `- ` are set as bullets.
pub fn letter_pdf(ctx: &LetterContext, subject: &str, body: &str) -> Result<Vec<u8>> {
    let fonts = fonts()?;
    let mut doc = PdfDocument::new(subject);
    let regular = doc.add_font(&fonts.regular);
    let mut w = Writer {
        fonts,
        regular,
        pages: vec![Vec::new()],
        y: 0.0,
        continuation_header: format!("{}  ·  Our ref: {}", ctx.council.name, ctx.case.reference),
    };

    // Letterhead: the council's logo if it has one, its name, and its contact details
    // in the right column.
    let mut top = PAGE_H - 22.0;
    if let Some(logo) = &ctx.council.logo {
        let (lw, lh) = logo.fit(RIGHT_COL - LEFT - 5.0, 20.0);
        let id = doc.add_image(&printpdf::RawImage {
            pixels: printpdf::RawImageData::U8(logo.pixels.clone()),
            width: logo.width,
            height: logo.height,
            data_format: if logo.alpha {
                printpdf::RawImageFormat::RGBA8
            } else {
                printpdf::RawImageFormat::RGB8
            },
            tag: Vec::new(),
        });
        let logo_top = PAGE_H - 12.0;
        w.pages[0].push(Op::UseXobject {
            id,
            transform: printpdf::XObjectTransform {
                translate_x: Some(Mm(LEFT).into()),
                translate_y: Some(Mm(logo_top - lh).into()),
                // At this resolution the image is exactly `lw` mm wide.
                dpi: Some(logo.width as f32 * 25.4 / lw),
                ..Default::default()
            },
        });
        top = logo_top - lh - 7.0;
    }
    let name_lines = wrap(
        &fonts.regular,
        &ctx.council.name,
        15.0,
        RIGHT_COL - LEFT - 5.0,
    );
    let mut y = top;
    for l in &name_lines {
        w.text(Face::Bold, 15.0, LEFT, y, l);
        y -= 6.5;
    }
    let mut contact: Vec<String> = ctx.council.address.clone();
    for extra in [&ctx.council.phone, &ctx.council.email, &ctx.council.web] {
        if !extra.is_empty() {
            contact.push(extra.clone());
        }
    }
    let col_w = PAGE_W - 12.0 - RIGHT_COL;
    let mut ry = top;
    for line in &contact {
        for l in wrap(&fonts.regular, line, SMALL_PT, col_w) {
            w.text(Face::Regular, SMALL_PT, RIGHT_COL, ry, &l);
            ry -= SMALL_LINE;
        }
    }

    // Recipient on the left (window-envelope position), date and reference on the right.
    let block_top = (ry.min(y) - 12.0).min(PAGE_H - 55.0);
    let mut recipient: Vec<String> = Vec::new();
    if let Some(n) = &ctx.customer.name {
        recipient.push(n.clone());
    }
    recipient.extend(ctx.customer.address.iter().cloned());
    if ctx.customer.address.is_empty() {
        if let Some(e) = &ctx.customer.email {
            recipient.push(format!("By email: {e}"));
        }
    }
    let mut ly = block_top;
    for l in &recipient {
        w.text(Face::Regular, BODY_PT, LEFT, ly, l);
        ly -= LINE;
    }
    let mut dy = block_top;
    for (label, value) in [
        ("Date:", ctx.letter.date.as_str()),
        ("Our ref:", ctx.case.reference.as_str()),
    ] {
        w.text(
            Face::Regular,
            9.5,
            RIGHT_COL,
            dy,
            &format!("{label} {value}"),
        );
        dy -= 4.6;
    }
    if let Some(o) = &ctx.case.officer {
        w.text(Face::Regular, 9.5, RIGHT_COL, dy, &format!("Contact: {o}"));
        dy -= 4.6;
    }

    // Subject, then the body.
    w.y = ly.min(dy) - 10.0;
    w.paragraph(Face::Bold, 0.0, subject);
    w.y -= LINE * 0.6;
    let lines: Vec<&str> = body.lines().map(str::trim_end).collect();
    let blank = |i: usize| lines.get(i).is_none_or(|l| l.trim().is_empty());
    for (i, &t) in lines.iter().enumerate() {
        if t.trim().is_empty() {
            w.y -= LINE * 0.6;
        } else if (i == 0 || blank(i - 1)) && blank(i + 1) && super::is_heading(&[t]) {
            w.paragraph(Face::Bold, 0.0, t);
        } else if let Some(item) = t.trim_start().strip_prefix("- ") {
            if w.y < BOTTOM {
                w.new_page();
            }
            let y = w.y;
            w.text(Face::Regular, BODY_PT, LEFT + 1.5, y, "•");
            w.paragraph(Face::Regular, 6.0, item);
        } else {
            w.paragraph(Face::Regular, 0.0, t);
        }
    }

    // Page numbers, now that the count is known.
    let total = w.pages.len();
    for i in 0..total {
        let label = format!("Page {} of {}", i + 1, total);
        let x = (PAGE_W - width(&fonts.regular, &label, SMALL_PT)) / 2.0;
        // `text` writes to the last page; number each page by writing to it directly.
        let font = w.regular.clone();
        w.pages[i].extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(font),
                size: Pt(SMALL_PT),
            },
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(12.0)),
            },
            Op::ShowText {
                items: vec![TextItem::Text(label)],
            },
            Op::EndTextSection,
        ]);
    }
    let pages: Vec<PdfPage> = w
        .pages
        .into_iter()
        .map(|ops| PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), ops))
        .collect();
    let opts = PdfSaveOptions {
        optimize: false,
        ..PdfSaveOptions::default()
    };
    let mut lo = doc
        .with_pages(pages)
        .to_lopdf_document(&opts, &mut Vec::new());
    compress(&mut lo);
    dated(&mut lo, &ctx.letter.date_iso);
    let mut bytes = Vec::with_capacity(48 * 1024);
    lo.save_to(&mut bytes)
        .map_err(|e| LetterError::Pdf(format!("cannot write the PDF: {e}")))?;
    Ok(bytes)
}

/// Give the document's information dictionary a real creation date (the letter's date,
/// `YYYY-MM-DD`; printpdf writes 1 January 1970) and name Redress as the producer.
pub(crate) fn dated(lo: &mut lopdf::Document, date_iso: &str) {
    use lopdf::{Dictionary, Object};
    let date = format!("D:{}", date_iso.replace('-', ""));
    let set = |d: &mut Dictionary| {
        d.set("CreationDate", Object::string_literal(date.clone()));
        d.set("ModDate", Object::string_literal(date.clone()));
        d.set("Producer", Object::string_literal("Redress"));
    };
    let existing = lo.trailer.get(b"Info").and_then(|o| o.as_reference()).ok();
    match existing.and_then(|id| lo.get_object_mut(id).ok()) {
        Some(Object::Dictionary(d)) => set(d),
        _ => {
            let mut d = Dictionary::new();
            set(&mut d);
            let id = lo.add_object(d);
            lo.trailer.set("Info", id);
        }
    }
}

/// Deflate every stream not already filtered. printpdf's own `save` does this at
/// zlib's best level, which took about 40% of a letter's time. Measured on the
/// benchmark (docs/benchmarks.md): level 9 ~320 letters/s at 31 KB (two faces), level
/// 6 384/s at 19 KB, level 1 570/s at 23 KB; the size stays far under the 60 KB target.
pub(crate) fn compress(doc: &mut lopdf::Document) {
    use flate2::write::ZlibEncoder;
    use std::io::Write;
    for obj in doc.objects.values_mut() {
        if let lopdf::Object::Stream(s) = obj {
            if s.dict.get(b"Filter").is_ok() {
                continue;
            }
            let mut enc = ZlibEncoder::new(Vec::new(), flate2::Compression::new(LEVEL));
            if enc.write_all(&s.content).is_err() {
                continue;
            }
            if let Ok(z) = enc.finish() {
                if z.len() + 19 < s.content.len() {
                    s.dict.set("Filter", "FlateDecode");
                    s.set_content(z);
                }
            }
        }
    }
}

/// zlib level for the PDF streams (see [`compress`]).
const LEVEL: u32 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_word_and_respects_the_width() {
        let f = fonts().unwrap();
        let text = "The crew's round sheet did not show your address after the route change on 3 November, so the collection was missed four times.";
        let lines = wrap(&f.regular, text, BODY_PT, 60.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.join(" "), text);
        for l in &lines {
            assert!(width(&f.regular, l, BODY_PT) <= 60.0, "{l}");
        }
    }

    #[test]
    fn a_letter_is_dated_the_day_it_was_written_not_1970() {
        let policy = crate::policy::Policy::load("west-lindsey").unwrap();
        let ctx = crate::letter::sample::contexts(
            &policy,
            &crate::letter::sample::council(),
            crate::letter::Kind::Acknowledgement,
        )
        .remove(0);
        assert_eq!(ctx.letter.date_iso, "2026-12-23");
        let pdf = letter_pdf(&ctx, "Subject", "Body").unwrap();
        let doc = lopdf::Document::load_mem(&pdf).unwrap();
        let info = doc
            .trailer
            .get(b"Info")
            .and_then(|o| o.as_reference())
            .and_then(|id| doc.get_dictionary(id))
            .unwrap();
        for key in [&b"CreationDate"[..], b"ModDate"] {
            let date = info.get(key).and_then(|o| o.as_str()).unwrap();
            assert_eq!(date, b"D:20261223", "{}", String::from_utf8_lossy(key));
        }
    }
}
