//! The managers' dashboard (`/dashboard`, issue 26): open, due soon and overdue cases
//! by officer and by stage; cases waiting to triage; letters held to print; mail in
//! quarantine. Every figure counts cases and links to the list of exactly those cases
//! (the Cases list's filters: `open`, `overdue`, `soon`, `officer`, `unassigned`,
//! `stage`, `triage`). One aggregate read, [`crate::store::Store::dashboard`].

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use super::{Shared, User};
use crate::accounts::Role;
use crate::config::Config;
use crate::store::dashboard::{Dashboard, Workload};

/// "Due soon": within this many working days, today included (as `/metrics` counts).
pub(crate) const DUE_SOON_DAYS: u32 = super::health::DUE_SOON_DAYS;

/// One line of a table: who or which stage, its figures and the lists behind them.
#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct Line {
    pub label: String,
    pub open: i64,
    pub due_soon: i64,
    pub overdue: i64,
    pub open_link: String,
    pub due_soon_link: String,
    pub overdue_link: String,
}

impl Line {
    fn new(label: String, filter: &str) -> Line {
        let list = |more: &str| {
            let mut s = form_urlencoded::Serializer::new(String::new());
            s.extend_pairs(form_urlencoded::parse(filter.as_bytes()));
            s.extend_pairs(form_urlencoded::parse(more.as_bytes()));
            format!("/cases?{}", s.finish())
        };
        Line {
            label,
            open: 0,
            due_soon: 0,
            overdue: 0,
            open_link: list("open=1"),
            due_soon_link: list(&format!("soon={DUE_SOON_DAYS}")),
            overdue_link: list("overdue=1"),
        }
    }

    fn add(&mut self, w: &Workload) {
        self.open += w.open;
        self.due_soon += w.due_soon;
        self.overdue += w.overdue;
    }
}

/// A stage as the preset calls it ("Stage 1: Formal investigation"), from the policy
/// the case is under; its id when no policy knows it.
fn stage_name(cfg: &Config, policy: &str, stage: &str) -> String {
    cfg.policies()
        .get(policy)
        .ok()
        .and_then(|p| p.stage(stage))
        .map(|s| s.name.clone())
        .unwrap_or_else(|| stage.to_string())
}

/// An officer as people know them: their display name where the staff list has one.
fn officer_name(cfg: &Config, login: &str) -> String {
    cfg.staff(login)
        .and_then(|s| s.display_name.clone())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| login.to_string())
}

/// The dashboard's tables: the whole team, by officer (unassigned last), by stage (in
/// the configured policy's order, then any other).
pub(crate) fn tables(d: &Dashboard, cfg: &Config) -> (Line, Vec<Line>, Vec<Line>) {
    let mut all = Line::new("All open cases".into(), "");
    let mut officers: BTreeMap<(bool, String), Line> = BTreeMap::new();
    let mut stages: BTreeMap<String, (Vec<String>, Line)> = BTreeMap::new();
    for w in &d.workload {
        all.add(w);
        let key = match &w.officer {
            Some(o) => (false, o.clone()),
            None => (true, String::new()),
        };
        officers
            .entry(key)
            .or_insert_with(|| match &w.officer {
                Some(o) => {
                    let filter = form_urlencoded::Serializer::new(String::new())
                        .append_pair("officer", o)
                        .finish();
                    Line::new(officer_name(cfg, o), &filter)
                }
                None => Line::new("Unassigned".into(), "unassigned=1"),
            })
            .add(w);
        let (names, line) = stages.entry(w.stage.clone()).or_insert_with(|| {
            let filter = form_urlencoded::Serializer::new(String::new())
                .append_pair("stage", &w.stage)
                .finish();
            (Vec::new(), Line::new(String::new(), &filter))
        });
        let name = stage_name(cfg, &w.policy, &w.stage);
        if !names.contains(&name) {
            names.push(name);
        }
        line.add(w);
    }
    let order: Vec<&str> = cfg
        .policies()
        .configured()
        .preset
        .stages
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    let mut stages: Vec<(String, Line)> = stages
        .into_iter()
        .map(|(id, (names, mut line))| {
            line.label = names.join(" / ");
            (id, line)
        })
        .collect();
    stages.sort_by_key(|(id, _)| order.iter().position(|o| o == id).unwrap_or(order.len()));
    (
        all,
        officers.into_values().collect(),
        stages.into_iter().map(|(_, l)| l).collect(),
    )
}

pub(crate) async fn dashboard(State(app): State<Shared>, who: User) -> Response {
    if let Err(r) = who.require(&app, Role::Manager) {
        return r;
    }
    let today = crate::calendar::london_date(app.now());
    let horizon = app.cfg.calendar.add_working_days(today, DUE_SOON_DAYS);
    let d = match app
        .db(move |store, _| Ok(store.dashboard(today, horizon)?))
        .await
    {
        Ok(d) => d,
        Err(r) => return r,
    };
    let (all, officers, stages) = tables(&d, &app.cfg);
    let mut c = app.context(Some(&who.0));
    c.insert("today", &crate::calendar::show(today));
    c.insert("today_long", &crate::time::day_in_words(today));
    c.insert("soon_days", &DUE_SOON_DAYS);
    c.insert("all", &all);
    c.insert(
        "tables",
        &serde_json::json!([
            { "title": "By officer", "id": "officer", "head": "Officer", "lines": officers },
            { "title": "By stage", "id": "stage", "head": "Stage", "lines": stages },
        ]),
    );
    c.insert("to_triage", &d.to_triage);
    c.insert("held_letters", &d.held_letters);
    c.insert("quarantined", &d.quarantined);
    app.render("dashboard.html", &c, StatusCode::OK)
}

pub(super) fn routes() -> Router<Shared> {
    Router::new().route("/dashboard", get(dashboard))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(officer: Option<&str>, stage: &str, open: i64, overdue: i64, soon: i64) -> Workload {
        Workload {
            policy: "lgsco-code".into(),
            officer: officer.map(String::from),
            stage: stage.into(),
            open,
            overdue,
            due_soon: soon,
        }
    }

    #[test]
    fn the_tables_add_up_by_officer_and_by_stage_and_link_to_their_lists() {
        let mut cfg = Config::load(None).unwrap();
        cfg.policy = crate::policy::Policy::load("lgsco-code").unwrap();
        let d = Dashboard {
            workload: vec![
                w(Some("jane"), "stage1", 5, 2, 1),
                w(Some("jane"), "stage2", 3, 1, 0),
                w(Some("sam & co"), "stage1", 2, 0, 2),
                w(None, "stage1", 1, 1, 0),
            ],
            ..Dashboard::default()
        };
        let (all, officers, stages) = tables(&d, &cfg);
        assert_eq!((all.open, all.overdue, all.due_soon), (11, 4, 3));
        assert_eq!(all.overdue_link, "/cases?overdue=1");
        let labels: Vec<&str> = officers.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["jane", "sam & co", "Unassigned"]);
        assert_eq!((officers[0].open, officers[0].overdue), (8, 3));
        assert_eq!(
            officers[1].due_soon_link,
            "/cases?officer=sam+%26+co&soon=3"
        );
        assert_eq!(officers[2].open_link, "/cases?unassigned=1&open=1");
        // Stages by the preset's names, in its order.
        assert_eq!(stages.len(), 2);
        let p = cfg.policies().configured().clone();
        assert_eq!(stages[0].label, p.stage("stage1").unwrap().name);
        assert_eq!(stages[1].label, p.stage("stage2").unwrap().name);
        assert_eq!(
            (stages[0].open, stages[0].overdue, stages[0].due_soon),
            (8, 3, 3)
        );
        assert_eq!(stages[1].open_link, "/cases?stage=stage2&open=1");
    }
}
