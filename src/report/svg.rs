//! A report's charts as inline SVG for the desk: each has a title and a description
//! (its accessible name), and the page follows it with the table of the same figures.
//! Every piece of text is escaped here; sizes are in the SVG's own units and it
//! scales to the width it is given (no fixed width: it never makes a page scroll).

use std::fmt::Write;

/// Text for SVG (XML): `&`, `<`, `>`, quotes.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

const BAR: &str = "#1d70b8";
const AXIS: &str = "#505a5f";
const TEXT: &str = "#0b0c0c";

fn open(out: &mut String, id: &str, w: u32, h: u32, title: &str, desc: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="desk-chart" id="{id}" role="img" aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMinYMin meet" font-family="Arial, sans-serif"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        esc(title),
        esc(desc)
    );
}

/// Horizontal bars: one per item (label, value, what to write at its end), scaled to
/// `max` (at least the largest value).
pub fn bars(
    id: &str,
    title: &str,
    desc: &str,
    items: &[(String, f64, String)],
    max: f64,
) -> String {
    let (label_w, bar_w, row_h) = (200.0, 220.0, 28.0);
    let h = (items.len().max(1) as f64 * row_h + 10.0) as u32;
    let mut o = String::new();
    open(&mut o, id, 600, h, title, desc);
    let max = items
        .iter()
        .map(|i| i.1)
        .fold(max, f64::max)
        .max(f64::MIN_POSITIVE);
    for (n, (label, v, shown)) in items.iter().enumerate() {
        let y = 5.0 + n as f64 * row_h;
        let label: String = if label.chars().count() > 24 {
            label.chars().take(23).collect::<String>() + "…"
        } else {
            label.clone()
        };
        let w = (v / max * bar_w).max(0.0);
        let _ = write!(
            o,
            r#"<text x="{}" y="{}" font-size="15" text-anchor="end" fill="{TEXT}">{}</text><rect x="{}" y="{}" width="{w:.1}" height="{}" fill="{BAR}"/><text x="{}" y="{}" font-size="15" fill="{TEXT}">{}</text>"#,
            label_w - 6.0,
            y + 15.0,
            esc(&label),
            label_w,
            y + 3.0,
            row_h - 8.0,
            label_w + w + 5.0,
            y + 15.0,
            esc(shown),
        );
    }
    let _ = write!(
        o,
        r#"<line x1="{label_w}" y1="2" x2="{label_w}" y2="{}" stroke="{AXIS}" stroke-width="1"/></svg>"#,
        h - 2
    );
    o
}

/// Vertical columns: one per item (label, value), the value above each.
pub fn columns(id: &str, title: &str, desc: &str, items: &[(String, u64)]) -> String {
    let (w, h, base, top) = (600.0, 220.0, 185.0, 20.0);
    let mut o = String::new();
    open(&mut o, id, w as u32, h as u32, title, desc);
    let max = items.iter().map(|i| i.1).max().unwrap_or(0).max(1) as f64;
    let n = items.len().max(1) as f64;
    let slot = (w - 20.0) / n;
    for (i, (label, v)) in items.iter().enumerate() {
        let x = 10.0 + slot * i as f64;
        let bh = *v as f64 / max * (base - top);
        let _ = write!(
            o,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{bh:.1}" fill="{BAR}"/><text x="{:.1}" y="{:.1}" font-size="15" text-anchor="middle" fill="{TEXT}">{v}</text><text x="{:.1}" y="{}" font-size="14" text-anchor="middle" fill="{TEXT}">{}</text>"#,
            x + slot * 0.15,
            base - bh,
            slot * 0.7,
            x + slot / 2.0,
            base - bh - 4.0,
            x + slot / 2.0,
            base + 16.0,
            esc(label),
        );
    }
    let _ = write!(
        o,
        r#"<line x1="8" y1="{base}" x2="{}" y2="{base}" stroke="{AXIS}" stroke-width="1"/></svg>"#,
        w - 8.0
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_named_escaped_and_scale() {
        let s = bars(
            "on-time",
            "On time <by stage>",
            "Stage 1: 50%",
            &[
                ("A & B".into(), 0.5, "50.0%".into()),
                ("C".into(), 1.0, "100%".into()),
            ],
            1.0,
        );
        assert!(s.starts_with("<svg ") && s.ends_with("</svg>"));
        assert!(s.contains(r#"role="img" aria-labelledby="on-time-title on-time-desc""#));
        assert!(s.contains("<title id=\"on-time-title\">On time &lt;by stage&gt;</title>"));
        assert!(s.contains(">A &amp; B</text>") && !s.contains("A & B"));
        assert!(s.contains(r#"width="100%""#));
        // Half the scale is half the bar.
        assert!(s.contains(r#"width="110.0""#) && s.contains(r#"width="220.0""#));
        let c = columns(
            "trend",
            "Trend",
            "d",
            &[("Jan".into(), 4), ("Feb".into(), 2)],
        );
        assert!(c.contains(">Jan</text>") && c.contains(">4</text>"));
        assert!(c.contains(r#"height="165.0""#) && c.contains(r#"height="82.5""#));
    }
}
