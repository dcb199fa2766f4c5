//! The performance report as an A4 PDF: key figures, the stage table, and three
//! charts drawn with printpdf's path operations (bars for complaints by service, bars
//! for the on-time share per stage, a line for the monthly trend). Every figure a
//! chart shows is also written beside it as text, so the PDF can be read by a screen
//! reader or checked with `pdftotext`. Set in the letters' embedded DejaVu Sans.

use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle,
    PdfPage, PdfSaveOptions, Point, Polygon, PolygonRing, Pt, Rgb, TextItem, WindingOrder,
};
use std::sync::OnceLock;

use super::{percent, Report, ReportError, Result, NOTES};

const REGULAR_TTF: &[u8] = include_bytes!("../../letters/DejaVuSans.ttf");
const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const LEFT: f32 = 18.0;
const RIGHT: f32 = 18.0;
const BOTTOM: f32 = 20.0;
const MM_PER_PT: f32 = 25.4 / 72.0;
/// At most this many services get a bar; the rest are summed into one "other" bar.
const MAX_BARS: usize = 12;

fn font() -> Result<&'static ParsedFont> {
    static F: OnceLock<Option<ParsedFont>> = OnceLock::new();
    F.get_or_init(|| ParsedFont::from_bytes(REGULAR_TTF, 0, &mut Vec::new()))
        .as_ref()
        .ok_or_else(|| ReportError::Pdf("the font in letters/ could not be read".into()))
}

fn width(font: &ParsedFont, s: &str, size: f32) -> f32 {
    let upm = font.font_metrics.units_per_em as f32;
    let units: f32 = s
        .chars()
        .map(|c| {
            font.lookup_glyph_index(c as u32)
                .map(|g| font.get_horizontal_advance(g) as f32)
                .unwrap_or(upm / 2.0)
        })
        .sum();
    units / upm * size * MM_PER_PT
}

fn rgb(r: f32, g: f32, b: f32) -> Color {
    Color::Rgb(Rgb::new(r, g, b, None))
}

/// Bars in the council-neutral blue; axes and rules in grey.
fn bar_colour() -> Color {
    rgb(0.16, 0.38, 0.62)
}
fn late_colour() -> Color {
    rgb(0.80, 0.33, 0.20)
}
fn grey() -> Color {
    rgb(0.55, 0.55, 0.55)
}
fn black() -> Color {
    rgb(0.0, 0.0, 0.0)
}

struct Canvas {
    font: &'static ParsedFont,
    id: FontId,
    pages: Vec<Vec<Op>>,
    /// Baseline of the next line, mm from the bottom.
    y: f32,
}

impl Canvas {
    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a page")
    }

    fn text(&mut self, size: f32, x: f32, y: f32, s: &str) {
        let id = self.id.clone();
        self.ops().extend([
            Op::StartTextSection,
            Op::SetFillColor { col: black() },
            Op::SetFont {
                font: PdfFontHandle::External(id),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(y)),
            },
            Op::ShowText {
                items: vec![TextItem::Text(s.to_string())],
            },
            Op::EndTextSection,
        ]);
    }

    fn text_right(&mut self, size: f32, right: f32, y: f32, s: &str) {
        let w = width(self.font, s, size);
        self.text(size, right - w, y, s);
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, col: Color) {
        let pts = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)];
        self.ops().extend([
            Op::SetFillColor { col },
            Op::DrawPolygon {
                polygon: Polygon {
                    rings: vec![PolygonRing {
                        points: pts
                            .iter()
                            .map(|&(x, y)| LinePoint {
                                p: Point::new(Mm(x), Mm(y)),
                                bezier: false,
                            })
                            .collect(),
                    }],
                    mode: PaintMode::Fill,
                    winding_order: WindingOrder::NonZero,
                },
            },
        ]);
    }

    fn line(&mut self, pts: &[(f32, f32)], thickness: f32, col: Color) {
        self.ops().extend([
            Op::SetOutlineColor { col },
            Op::SetOutlineThickness { pt: Pt(thickness) },
            Op::DrawLine {
                line: Line {
                    points: pts
                        .iter()
                        .map(|&(x, y)| LinePoint {
                            p: Point::new(Mm(x), Mm(y)),
                            bezier: false,
                        })
                        .collect(),
                    is_closed: false,
                },
            },
        ]);
    }

    /// Make room for `h` mm, starting a new page when the current one is full.
    fn need(&mut self, h: f32) {
        if self.y - h < BOTTOM {
            self.pages.push(Vec::new());
            self.y = PAGE_H - 20.0;
        }
    }

    fn heading(&mut self, s: &str) {
        self.need(14.0);
        self.y -= 4.0;
        let y = self.y;
        self.text(12.0, LEFT, y, s);
        self.y -= 6.5;
    }

    /// A paragraph, wrapped at word boundaries to the text width.
    fn para(&mut self, size: f32, s: &str) {
        let max = PAGE_W - LEFT - RIGHT;
        let mut line = String::new();
        let mut lines = Vec::new();
        for word in s.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if width(self.font, &candidate, size) > max && !line.is_empty() {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            } else {
                line = candidate;
            }
        }
        lines.push(line);
        for l in lines {
            self.need(size * 0.5);
            let y = self.y;
            self.text(size, LEFT, y, &l);
            self.y -= size * 0.5;
        }
    }

    /// A table: first column left, others right-aligned at fixed stops.
    fn table(&mut self, size: f32, header: &[&str], rows: &[Vec<String>]) {
        let avail = PAGE_W - LEFT - RIGHT;
        let cols = header.len();
        let mut widths: Vec<f32> = header.iter().map(|h| width(self.font, h, size)).collect();
        for r in rows {
            for (i, c) in r.iter().enumerate() {
                widths[i] = widths[i].max(width(self.font, c, size));
            }
        }
        let rest: f32 = widths[1..].iter().sum();
        let gap = if cols > 1 {
            ((avail - widths[0] - rest) / (cols - 1) as f32).clamp(3.0, 14.0)
        } else {
            0.0
        };
        let mut stops = Vec::with_capacity(cols);
        let mut x = LEFT + widths[0];
        for w in &widths[1..] {
            x += gap + w;
            stops.push(x);
        }
        let line_h = size * 0.48;
        let draw = |c: &mut Canvas, cells: &[String]| {
            c.need(line_h);
            let y = c.y;
            c.text(size, LEFT, y, &cells[0]);
            for (i, cell) in cells.iter().enumerate().skip(1) {
                c.text_right(size, stops[i - 1], y, cell);
            }
            c.y -= line_h;
        };
        draw(
            self,
            &header.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
        );
        let right = stops.last().copied().unwrap_or(LEFT + widths[0]);
        // The rule sits just under the header's descenders, the first row below it.
        let y = self.y + line_h - size * 0.16;
        self.line(&[(LEFT, y), (right, y)], 0.4, grey());
        self.y -= size * 0.1;
        for r in rows {
            draw(self, r);
        }
        self.y -= 2.0;
    }

    /// Horizontal bars: a label, a bar scaled to `max`, and the value written after it.
    fn bars(&mut self, items: &[(String, f64, String)], max: f64, colour: fn() -> Color) {
        let size = 8.5;
        let label_w = items
            .iter()
            .map(|(l, _, _)| width(self.font, l, size))
            .fold(0.0f32, f32::max)
            .min(70.0);
        let x0 = LEFT + label_w + 3.0;
        let full = PAGE_W - RIGHT - x0 - 22.0;
        let bar_h = 4.2;
        for (label, v, shown) in items {
            self.need(bar_h + 1.6);
            let y = self.y;
            let mut l = label.clone();
            while width(self.font, &l, size) > label_w && l.chars().count() > 4 {
                l.pop();
                l.pop();
                l.push('…');
            }
            self.text(size, LEFT, y, &l);
            let w = if max > 0.0 {
                (v / max) as f32 * full
            } else {
                0.0
            };
            if w > 0.0 {
                self.rect(x0, y - 1.0, w.max(0.3), bar_h, colour());
            }
            self.text(size, x0 + w + 2.0, y, shown);
            self.y -= bar_h + 1.6;
        }
        let top = self.y + (bar_h + 1.6) * items.len() as f32 + bar_h;
        self.line(&[(x0, self.y + 1.0), (x0, top)], 0.5, grey());
        self.y -= 3.0;
    }

    /// A line chart of `points` (label, value) with the values written at the points.
    fn line_chart(&mut self, points: &[(String, u64)]) {
        let h = 55.0;
        self.need(h + 14.0);
        let (x0, x1) = (LEFT + 10.0, PAGE_W - RIGHT - 4.0);
        let base = self.y - h;
        let top = self.y - 4.0;
        let max = points.iter().map(|p| p.1).max().unwrap_or(0).max(1) as f32;
        self.line(&[(x0, top), (x0, base), (x1, base)], 0.5, grey());
        // Gridline and scale at the maximum.
        self.line(&[(x0, top - 2.0), (x1, top - 2.0)], 0.2, grey());
        self.text_right(7.0, x0 - 1.5, top - 3.0, &format!("{}", max as u64));
        self.text_right(7.0, x0 - 1.5, base - 1.0, "0");
        let n = points.len().max(1);
        let step = (x1 - x0 - 8.0) / (n.max(2) - 1) as f32;
        let at = |i: usize, v: u64| {
            (
                x0 + 4.0 + step * i as f32,
                base + (v as f32 / max) * (top - 2.0 - base),
            )
        };
        let pts: Vec<(f32, f32)> = points.iter().enumerate().map(|(i, p)| at(i, p.1)).collect();
        if pts.len() > 1 {
            self.line(&pts, 1.4, bar_colour());
        }
        for (i, (label, v)) in points.iter().enumerate() {
            let (x, y) = pts[i];
            self.rect(x - 0.9, y - 0.9, 1.8, 1.8, bar_colour());
            let s = v.to_string();
            let w = width(self.font, &s, 7.0);
            self.text(7.0, x - w / 2.0, y + 2.0, &s);
            let lw = width(self.font, label, 6.5);
            self.text(6.5, x - lw / 2.0, base - 4.5, label);
        }
        self.y = base - 10.0;
    }
}

/// Render the report.
pub fn render(r: &Report) -> Result<Vec<u8>> {
    let font = font()?;
    let mut doc = PdfDocument::new(&r.title());
    let id = doc.add_font(font);
    let mut c = Canvas {
        font,
        id,
        pages: vec![Vec::new()],
        y: PAGE_H - 22.0,
    };

    let y = c.y;
    c.text(15.0, LEFT, y, &r.council);
    c.y -= 7.5;
    let y = c.y;
    c.text(
        12.0,
        LEFT,
        y,
        &format!("Complaints performance report: {}", r.period.describe()),
    );
    c.y -= 5.5;
    c.para(
        8.5,
        &format!(
            "Period {} ({} to {}); policy {}{}",
            r.period.label,
            r.period.from.format("%Y-%m-%d"),
            r.period.to.format("%Y-%m-%d"),
            r.policy,
            r.generated_at
                .as_deref()
                .map(|g| format!("; produced {g}"))
                .unwrap_or_default()
        ),
    );

    c.heading("Key figures");
    let key = vec![
        vec![
            "Complaints received".into(),
            r.received.complaints.to_string(),
        ],
        vec![
            "Compliments received".into(),
            r.received.compliments.to_string(),
        ],
        vec!["Comments received".into(), r.received.comments.to_string()],
        vec![
            "Service requests redirected".into(),
            r.received.service_requests.to_string(),
        ],
        vec!["Out of scope".into(), r.received.out_of_scope.to_string()],
        vec!["Complaints closed".into(), r.closed.complaints.to_string()],
        vec!["Auto-closed".into(), r.closed.auto_closed.to_string()],
        vec!["Open at period end".into(), r.open_at_end.to_string()],
    ];
    c.table(9.0, &["Measure", "Count"], &key);

    c.heading("Stages");
    c.table(
        8.5,
        &[
            "Stage",
            "Entered",
            "Responses",
            "On time",
            "On time %",
            "Avg WD",
            "Worst WD",
            "Open",
        ],
        &r.stage_rows(),
    );

    c.heading("Responses on time, by stage");
    let on_time: Vec<(String, f64, String)> = r
        .stages
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                s.on_time_share.unwrap_or(0.0),
                match s.on_time_share {
                    Some(_) => format!(
                        "{} ({} of {})",
                        percent(s.on_time_share),
                        s.on_time,
                        s.responses
                    ),
                    None => "no responses".into(),
                },
            )
        })
        .collect();
    let any_late = r.stages.iter().any(|s| s.on_time < s.responses);
    c.bars(
        &on_time,
        1.0,
        if any_late { late_colour } else { bar_colour },
    );

    c.heading("Complaints received by service");
    let mut services: Vec<(String, f64, String)> = r
        .by_service
        .iter()
        .take(MAX_BARS)
        .map(|s| (s.name.clone(), s.count as f64, s.count.to_string()))
        .collect();
    if r.by_service.len() > MAX_BARS {
        let other: u64 = r.by_service[MAX_BARS..].iter().map(|s| s.count).sum();
        services.push((
            format!("{} other services", r.by_service.len() - MAX_BARS),
            other as f64,
            other.to_string(),
        ));
    }
    if services.is_empty() {
        c.para(9.0, "No complaints received in the period.");
    } else {
        let max = services.iter().map(|s| s.1).fold(0.0, f64::max);
        c.bars(&services, max, bar_colour);
    }

    c.heading("Complaints received per month (12 months)");
    let trend = super::trend::rows(r);
    let points: Vec<(String, u64)> = trend
        .iter()
        .map(|t| (t.month.clone(), t.complaints))
        .collect();
    c.line_chart(&points);

    c.heading(&format!("Complaints by {}", r.category_label));
    let rows: Vec<Vec<String>> = r
        .by_category
        .iter()
        .map(|x| vec![x.name.clone(), x.count.to_string()])
        .collect();
    c.table(8.5, &[&capital(&r.category_label), "Count"], &rows);

    c.heading("Outcomes of responses sent in the period");
    let rows: Vec<Vec<String>> = r
        .stages
        .iter()
        .filter(|s| s.outcomes.iter().any(|x| x.count > 0))
        .flat_map(|s| {
            s.outcomes
                .iter()
                .map(|x| vec![s.name.clone(), x.name.clone(), x.count.to_string()])
        })
        .collect();
    c.table(8.5, &["Stage", "Outcome", "Responses"], &rows);

    c.heading("Outcomes of complaints closed");
    let rows: Vec<Vec<String>> = r
        .outcomes
        .iter()
        .map(|x| vec![x.name.clone(), x.count.to_string()])
        .collect();
    c.table(8.5, &["Outcome", "Count"], &rows);
    let rows: Vec<Vec<String>> = r
        .closed
        .by_reason
        .iter()
        .map(|x| vec![x.name.clone(), x.count.to_string()])
        .collect();
    c.table(8.5, &["Close reason", "Count"], &rows);

    c.heading("Escalation (complaints received in the period)");
    let rows: Vec<Vec<String>> = r
        .escalation
        .iter()
        .map(|e| {
            vec![
                format!("{} to {}", e.from_stage, e.to_stage),
                e.reached_from.to_string(),
                e.reached_to.to_string(),
                percent(e.rate),
            ]
        })
        .collect();
    c.table(8.5, &["Step", "Reached", "Went on", "Rate"], &rows);

    c.heading("Trend");
    let rows: Vec<Vec<String>> = trend.iter().map(|t| t.cells()).collect();
    c.table(8.0, &super::trend::COLUMNS, &rows);

    c.heading("Learning from complaints");
    if r.learning.is_empty() {
        c.para(8.0, "None recorded in the period.");
    }
    for (service, list) in super::learning_by_service(r) {
        c.para(9.0, service);
        for l in list {
            c.para(
                8.0,
                &format!("{}: {} Action taken: {}", l.date, l.learning, l.action),
            );
        }
    }

    c.heading("Notes");
    for n in NOTES {
        c.para(7.5, n);
    }

    let total = c.pages.len();
    for i in 0..total {
        let label = format!("Page {} of {}", i + 1, total);
        let x = (PAGE_W - width(font, &label, 7.5)) / 2.0;
        let id = c.id.clone();
        c.pages[i].extend([
            Op::StartTextSection,
            Op::SetFillColor { col: black() },
            Op::SetFont {
                font: PdfFontHandle::External(id),
                size: Pt(7.5),
            },
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(10.0)),
            },
            Op::ShowText {
                items: vec![TextItem::Text(label)],
            },
            Op::EndTextSection,
        ]);
    }
    let pages: Vec<PdfPage> = c
        .pages
        .into_iter()
        .map(|ops| PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), ops))
        .collect();
    let mut lo = doc
        .with_pages(pages)
        .to_lopdf_document(&PdfSaveOptions::default(), &mut Vec::new());
    crate::letter::pdf::compress(&mut lo);
    // Dated the day it was made (else the last day it covers), not 1 January 1970.
    let made = r
        .generated_at
        .as_deref()
        .and_then(|t| t.get(..10))
        .map(String::from)
        .unwrap_or_else(|| crate::time::iso(r.period.to));
    crate::letter::pdf::dated(&mut lo, &made);
    let mut bytes = Vec::new();
    lo.save_to(&mut bytes)
        .map_err(|e| ReportError::Pdf(format!("cannot write the PDF: {e}")))?;
    Ok(bytes)
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
