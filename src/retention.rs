//! The retention schedule: which closed cases are past their destruction date under
//! their policy preset, and erasing their personal data while the case row stays as
//! the anonymised statistical record that reports count.
//!
//! The destruction date is computed afresh on every pass rather than stored when a case
//! closes: a case reopened and closed again, or a preset whose schedule the council
//! corrects, then gets the right date with nothing to migrate. `plan` only reads, so a
//! dry run (the listing a person checks before anything is erased) is `plan` alone.

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use serde::Serialize;

use crate::calendar::london_date;
use crate::config::Config;
use crate::store::records::{ErasedCounts, Erasure};
use crate::store::{Result, Store};

/// One case whose personal data is due for erasure.
#[derive(Debug, Clone, Serialize)]
pub struct DueCase {
    #[serde(skip)]
    pub id: i64,
    pub reference: String,
    pub policy: String,
    pub closed_on: NaiveDate,
    pub destroy_on: NaiveDate,
    /// Why this date: the policy and the facts its schedule depends on.
    pub rule: String,
}

/// What a retention pass would erase, as of `today`.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub today: NaiveDate,
    pub due: Vec<DueCase>,
    /// Closed cases looked at whose date has not come.
    pub not_yet_due: usize,
    /// Mail that never joined a case (messages on no case: auto-replies, bounces,
    /// loops; and quarantined messages) received before this moment is erased too:
    /// kept as long as the configured policy keeps the shortest-kept case (at least a
    /// year), counted from receipt. None when the policy has no retention schedule.
    pub unattached_before: Option<String>,
    pub unattached_messages: u64,
    pub quarantined: u64,
}

/// Cases erased per transaction: each batch is all or nothing, and a pass interrupted
/// between batches resumes where it stopped on the next run.
pub const BATCH: usize = 5_000;

/// The policies cases may name, loaded once per pass. A case under a preset that can no
/// longer be loaded (a custom file since removed) is judged by the configured policy.
/// The earliest close that could be due today: no preset keeps data for less than its
/// fewest years after the close date (a 29 February close may lose a day, hence the margin).
fn closed_before(cfg: &Config, today: NaiveDate) -> String {
    let min_years = cfg
        .policies()
        .all()
        .flat_map(|p| p.preset.retention.iter().map(|r| r.years))
        .min()
        .unwrap_or(0);
    let cutoff = today
        .checked_sub_months(Months::new(12 * min_years))
        .unwrap_or(today)
        + Duration::days(2);
    format!("{}T00:00:00Z", cutoff.format("%Y-%m-%d"))
}

/// List the closed cases whose destruction date is `today` or earlier. Reads only.
pub fn plan(store: &Store, cfg: &Config, today: NaiveDate) -> Result<Plan> {
    let policies = cfg.policies();
    let mut due = Vec::new();
    let mut not_yet_due = 0;
    for c in store.retention_candidates(&closed_before(cfg, today))? {
        let Some(closed_on) = crate::time::parse_stamp(&c.closed_at).map(london_date) else {
            continue;
        };
        let second = c.reached_stage >= 2;
        let ombudsman = c.close_reason.as_deref() == Some("referred-to-ombudsman");
        // A case under a preset this build no longer has keeps the configured rules.
        let policy = policies.get(&c.policy).unwrap_or(&cfg.policy);
        let Some(destroy_on) = policy.destruction_date(closed_on, second, ombudsman) else {
            continue;
        };
        if destroy_on > today {
            not_yet_due += 1;
            continue;
        }
        let mut rule = format!(
            "{}: closed {}, reached stage {}",
            policy.name, closed_on, c.reached_stage
        );
        if ombudsman {
            rule.push_str(", referred to the Ombudsman");
        }
        due.push(DueCase {
            id: c.id,
            reference: c.reference,
            policy: c.policy,
            closed_on,
            destroy_on,
            rule,
        });
    }
    let unattached_before = cfg
        .policy
        .preset
        .retention
        .iter()
        .map(|r| r.years)
        .min()
        // Never less than a year, whatever a custom preset says: quarantined mail
        // may be the only copy of a complaint nobody has yet looked at.
        .and_then(|years| today.checked_sub_months(Months::new(12 * years.max(1))))
        .map(|d| format!("{}T00:00:00Z", d.format("%Y-%m-%d")));
    let (unattached_messages, quarantined) = match &unattached_before {
        Some(before) => store.unattached_before(before)?,
        None => (0, 0),
    };
    Ok(Plan {
        today,
        due,
        not_yet_due,
        unattached_before,
        unattached_messages,
        quarantined,
    })
}

/// Erase what `plan` listed, in batches, recording an 'erased' event on each case.
/// `progress` hears (done, total) after each batch.
pub fn run(
    store: &mut Store,
    plan: &Plan,
    at: DateTime<Utc>,
    actor: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ErasedCounts> {
    let at = crate::time::stamp(at);
    let mut total = ErasedCounts::default();
    let mut done = 0;
    for chunk in plan.due.chunks(BATCH) {
        let batch: Vec<Erasure> = chunk
            .iter()
            .map(|d| Erasure {
                id: d.id,
                destroy_on: crate::time::iso(d.destroy_on),
                rule: d.rule.clone(),
            })
            .collect();
        let n = store.erase_cases(&batch, &at, actor)?;
        total.cases += n.cases;
        total.messages += n.messages;
        total.attachments += n.attachments;
        total.letters += n.letters;
        total.enclosures += n.enclosures;
        total.customers += n.customers;
        total.event_details += n.event_details;
        done += chunk.len();
        progress(done, plan.due.len());
    }
    if let Some(before) = plan
        .unattached_before
        .as_deref()
        .filter(|_| plan.unattached_messages + plan.quarantined > 0)
    {
        let n = store.erase_unattached(before, &at)?;
        total.attachments += n.attachments;
        total.unattached_messages = n.unattached_messages;
        total.quarantined = n.quarantined;
    }
    Ok(total)
}
