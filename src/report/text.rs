//! A report as text (the terminal's tables), CSV (one figure per row) and JSON: the
//! figures of [`Report`] written out, nothing computed here.

use std::fmt::Write as _;

use super::trend::percent;
use super::*;

fn one_decimal(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into())
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
}

fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let mut w: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |out: &mut String, cells: &[String]| {
        let mut s = String::from("  ");
        for (i, c) in cells.iter().enumerate() {
            // Names left, figures right.
            if i == 0 {
                let _ = write!(s, "{c:<width$}  ", width = w[i]);
            } else {
                let _ = write!(s, "{c:>width$}  ", width = w[i]);
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(
        out,
        &header.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    );
    for r in rows {
        line(out, r);
    }
}

fn counts(v: &[Count]) -> Vec<Vec<String>> {
    v.iter()
        .map(|c| vec![c.name.clone(), c.count.to_string()])
        .collect()
}

impl Report {
    /// Stage rows for tables: name, entered, responses, on time, share, average, worst, open.
    pub fn stage_rows(&self) -> Vec<Vec<String>> {
        self.stages
            .iter()
            .map(|s| {
                vec![
                    s.stage.clone(),
                    s.entered.to_string(),
                    s.responses.to_string(),
                    s.on_time.to_string(),
                    percent(s.on_time_share),
                    one_decimal(s.average_working_days),
                    opt(s.worst_working_days),
                    s.open_at_end.to_string(),
                ]
            })
            .collect()
    }

    pub fn title(&self) -> String {
        format!(
            "{}: complaints performance report, {}",
            self.council,
            self.period.describe()
        )
    }
}

/// The report as plain text for a terminal or an email body.
pub fn to_text(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}", r.title());
    let _ = writeln!(
        o,
        "Period {} ({} to {}), policy {}{}",
        r.period.label,
        iso(r.period.from),
        iso(r.period.to),
        r.policy,
        r.generated_at
            .as_deref()
            .map(|g| format!(", produced {g}"))
            .unwrap_or_default()
    );
    let _ = writeln!(o, "\nReceived");
    table(
        &mut o,
        &["KIND", "COUNT"],
        &[
            vec!["complaints".into(), r.received.complaints.to_string()],
            vec!["compliments".into(), r.received.compliments.to_string()],
            vec!["comments".into(), r.received.comments.to_string()],
            vec![
                "service requests".into(),
                r.received.service_requests.to_string(),
            ],
            vec!["out of scope".into(), r.received.out_of_scope.to_string()],
        ],
    );
    let _ = writeln!(o, "\nStages");
    table(
        &mut o,
        &[
            "STAGE",
            "ENTERED",
            "RESPONSES",
            "ON TIME",
            "ON TIME %",
            "AVG WD",
            "WORST WD",
            "OPEN AT END",
        ],
        &r.stage_rows(),
    );
    let _ = writeln!(o, "\nEscalation (complaints received in the period)");
    let esc: Vec<Vec<String>> = r
        .escalation
        .iter()
        .map(|e| {
            vec![
                format!("{} -> {}", e.from_stage, e.to_stage),
                e.reached_from.to_string(),
                e.reached_to.to_string(),
                percent(e.rate),
            ]
        })
        .collect();
    table(&mut o, &["STEP", "REACHED", "WENT ON", "RATE"], &esc);
    let _ = writeln!(o, "\nOutcomes of responses sent in the period");
    let outcome_rows: Vec<Vec<String>> = r
        .stages
        .iter()
        .filter(|s| s.outcomes.iter().any(|c| c.count > 0))
        .flat_map(|s| {
            s.outcomes
                .iter()
                .map(|c| vec![s.name.clone(), c.name.clone(), c.count.to_string()])
        })
        .collect();
    table(&mut o, &["STAGE", "OUTCOME", "RESPONSES"], &outcome_rows);
    let _ = writeln!(o, "\nComplaints by service");
    table(&mut o, &["SERVICE", "COUNT"], &counts(&r.by_service));
    let _ = writeln!(o, "\nComplaints by {}", r.category_label);
    table(
        &mut o,
        &[&r.category_label.to_uppercase(), "COUNT"],
        &counts(&r.by_category),
    );
    let _ = writeln!(
        o,
        "\nComplaints closed: {} (auto-closed {})",
        r.closed.complaints, r.closed.auto_closed
    );
    table(&mut o, &["OUTCOME", "COUNT"], &counts(&r.outcomes));
    table(
        &mut o,
        &["CLOSE REASON", "COUNT"],
        &counts(&r.closed.by_reason),
    );
    let _ = writeln!(o, "\nOpen complaints at period end: {}", r.open_at_end);
    let _ = writeln!(o, "\nTrend (12 months)");
    let trend: Vec<Vec<String>> = super::trend::rows(r).iter().map(|t| t.cells()).collect();
    let header = super::trend::COLUMNS.map(str::to_uppercase);
    table(
        &mut o,
        &header.iter().map(String::as_str).collect::<Vec<_>>(),
        &trend,
    );
    let _ = writeln!(o, "\nLearning from complaints");
    if r.learning.is_empty() {
        let _ = writeln!(o, "None recorded in the period.");
    }
    for (service, list) in learning_by_service(r) {
        let _ = writeln!(o, "{service}");
        for l in list {
            let _ = writeln!(
                o,
                "- {}: {} Action taken: {}",
                l.date,
                one_line(&l.learning),
                one_line(&l.action)
            );
        }
    }
    let _ = writeln!(o, "\nNotes");
    for n in NOTES {
        let _ = writeln!(o, "- {n}");
    }
    o
}

/// Free text on one line (an officer's line breaks become spaces).
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The report as CSV in long form: `section,item,measure,value`, one figure a row,
/// so a spreadsheet pivot or a script can take any figure by name.
pub fn to_csv(r: &Report) -> String {
    let mut o = String::from("section,item,measure,value\n");
    let mut row = |section: &str, item: &str, measure: &str, value: String| {
        let _ = writeln!(
            o,
            "{},{},{},{}",
            csv_cell(section),
            csv_cell(item),
            csv_cell(measure),
            csv_cell(&value)
        );
    };
    let f = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
    row("period", &r.period.label, "from", iso(r.period.from));
    row("period", &r.period.label, "to", iso(r.period.to));
    for (k, v) in [
        ("complaints", r.received.complaints),
        ("compliments", r.received.compliments),
        ("comments", r.received.comments),
        ("service-requests", r.received.service_requests),
        ("out-of-scope", r.received.out_of_scope),
    ] {
        row("received", k, "count", v.to_string());
    }
    for s in &r.stages {
        row("stage", &s.stage, "entered", s.entered.to_string());
        row("stage", &s.stage, "responses", s.responses.to_string());
        row("stage", &s.stage, "on_time", s.on_time.to_string());
        row("stage", &s.stage, "on_time_share", f(s.on_time_share));
        row(
            "stage",
            &s.stage,
            "average_working_days",
            f(s.average_working_days),
        );
        row(
            "stage",
            &s.stage,
            "worst_working_days",
            s.worst_working_days
                .map(|v| v.to_string())
                .unwrap_or_default(),
        );
        row("stage", &s.stage, "open_at_end", s.open_at_end.to_string());
    }
    for e in &r.escalation {
        let item = format!("{}->{}", e.from_stage, e.to_stage);
        row(
            "escalation",
            &item,
            "reached_from",
            e.reached_from.to_string(),
        );
        row("escalation", &item, "reached_to", e.reached_to.to_string());
        row("escalation", &item, "rate", f(e.rate));
    }
    for c in &r.by_service {
        row("service", &c.name, "count", c.count.to_string());
    }
    for c in &r.by_category {
        row(&r.category_label, &c.name, "count", c.count.to_string());
    }
    for s in &r.stages {
        for c in &s.outcomes {
            row(
                "response-outcome",
                &format!("{}: {}", s.stage, c.name),
                "count",
                c.count.to_string(),
            );
        }
    }
    for c in &r.outcomes {
        row("outcome", &c.name, "count", c.count.to_string());
    }
    row(
        "closed",
        "complaints",
        "count",
        r.closed.complaints.to_string(),
    );
    row(
        "closed",
        "auto-closed",
        "count",
        r.closed.auto_closed.to_string(),
    );
    for c in &r.closed.by_reason {
        row("close_reason", &c.name, "count", c.count.to_string());
    }
    row(
        "open_at_end",
        "complaints",
        "count",
        r.open_at_end.to_string(),
    );
    for t in super::trend::rows(r) {
        for (measure, value) in t.figures() {
            row("trend", &t.month, measure, value);
        }
    }
    for l in &r.learning {
        let item = format!("{}: {}", l.service, l.date);
        row("learning", &item, "learning", one_line(&l.learning));
        row("learning", &item, "action", one_line(&l.action));
    }
    o
}

/// The report as pretty JSON (the [`Report`] structure).
pub fn to_json(r: &Report) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
