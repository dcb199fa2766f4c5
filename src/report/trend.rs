//! The trend: one row per month of the twelve ending with the period's last month.
//! Built here once ([`rows`]) and used by every form of a report: the text table, the
//! CSV lines, the PDF's chart and table, and the desk's SVG chart and its table.

use serde::Serialize;

use super::Report;

/// A share as a percentage with one decimal, or "-" when there is nothing to share.
pub fn percent(s: Option<f64>) -> String {
    s.map(|s| format!("{:.1}%", s * 100.0))
        .unwrap_or_else(|| "-".into())
}

/// The trend table's column headings, in order (the text report writes them in
/// capitals).
pub const COLUMNS: [&str; 6] = [
    "Month",
    "Complaints",
    "Compliments",
    "Comments",
    "Responses",
    "On time %",
];

/// One month of the trend, as every form shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendRow {
    /// YYYY-MM: the key the text, CSV and PDF print.
    pub month: String,
    /// "Jan 2027": for people (the desk).
    pub label: String,
    pub complaints: u64,
    pub compliments: u64,
    pub comments: u64,
    pub responses: u64,
    pub on_time: u64,
    pub on_time_share: Option<f64>,
}

impl TrendRow {
    /// The row's cells under [`COLUMNS`]: the month, the counts, the on-time share as
    /// a percentage ("" when there were no responses).
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.month.clone(),
            self.complaints.to_string(),
            self.compliments.to_string(),
            self.comments.to_string(),
            self.responses.to_string(),
            percent(self.on_time_share),
        ]
    }

    /// The row's figures by name, as the CSV writes them (the share as a fraction to
    /// four places, "" when there were no responses).
    pub fn figures(&self) -> [(&'static str, String); 5] {
        [
            ("complaints", self.complaints.to_string()),
            ("compliments", self.compliments.to_string()),
            ("comments", self.comments.to_string()),
            ("responses", self.responses.to_string()),
            (
                "on_time_share",
                self.on_time_share
                    .map(|v| format!("{v:.4}"))
                    .unwrap_or_default(),
            ),
        ]
    }
}

/// The trend's rows, oldest month first.
pub fn rows(r: &Report) -> Vec<TrendRow> {
    r.trend
        .iter()
        .map(|t| TrendRow {
            label: chrono::NaiveDate::parse_from_str(&format!("{}-01", t.month), "%Y-%m-%d")
                .map(|d| d.format("%b %Y").to_string())
                .unwrap_or_else(|_| t.month.clone()),
            month: t.month.clone(),
            complaints: t.complaints,
            compliments: t.compliments,
            comments: t.comments,
            responses: t.responses,
            on_time: t.on_time,
            on_time_share: t.on_time_share,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Period, TrendMonth};

    fn month(m: &str, complaints: u64, responses: u64, on_time: u64) -> TrendMonth {
        TrendMonth {
            month: m.into(),
            complaints,
            compliments: 1,
            comments: 2,
            responses,
            on_time,
            on_time_share: (responses > 0).then(|| on_time as f64 / responses as f64),
        }
    }

    fn report(trend: Vec<TrendMonth>) -> Report {
        let period: Period = "2027-02".parse().unwrap();
        let mut r = crate::report::figures(
            crate::report::Rows::default(),
            &crate::config::Config::load(None).unwrap(),
            &period,
        );
        r.trend = trend;
        r
    }

    #[test]
    fn one_row_per_month_with_its_cells_and_its_figures() {
        let r = report(vec![month("2026-12", 7, 3, 2), month("2027-01", 0, 0, 0)]);
        let rows = rows(&r);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].label, "Dec 2026");
        assert_eq!(rows[1].label, "Jan 2027");
        assert_eq!(rows[0].cells(), ["2026-12", "7", "1", "2", "3", "66.7%"]);
        assert_eq!(rows[1].cells(), ["2027-01", "0", "1", "2", "0", "-"]);
        assert_eq!(
            rows[0].figures()[4],
            ("on_time_share", "0.6667".to_string())
        );
        assert_eq!(rows[1].figures()[4], ("on_time_share", String::new()));
        assert_eq!(rows[0].cells().len(), COLUMNS.len());
    }

    /// Every form of the report shows the same trend: the text's table, the CSV's
    /// lines, the PDF's table (its text is compressed, so its builder is checked by
    /// the rows it is given: the same function).
    #[test]
    fn text_and_csv_show_the_builders_rows() {
        let r = report(vec![month("2026-12", 7, 3, 2), month("2027-01", 4, 1, 1)]);
        let text = crate::report::to_text(&r);
        assert!(
            text.contains("MONTH    COMPLAINTS  COMPLIMENTS  COMMENTS  RESPONSES  ON TIME %"),
            "{text}"
        );
        let csv = crate::report::to_csv(&r);
        for row in rows(&r) {
            let line = row.cells().join(" ");
            assert!(
                text.lines()
                    .any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") == line),
                "{line} in\n{text}"
            );
            for (name, v) in row.figures() {
                assert!(
                    csv.lines()
                        .any(|l| l == format!("trend,{},{name},{v}", row.month)),
                    "trend,{},{name},{v} in\n{csv}",
                    row.month
                );
            }
        }
    }
}
