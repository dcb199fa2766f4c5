//! `[[staff]]`: officers and managers, and who among them hears of what.

use serde::Deserialize;

use super::{line_of, Config, ConfigError};

/// A member of staff: officers handle cases, managers are alerted and escalated to.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    /// The name used on the command line (`assign REF NAME`): a login, never printed
    /// in a letter.
    pub name: String,
    pub email: String,
    /// The name of their manager, the next step up the chain.
    pub manager: Option<String>,
    /// How letters name them ("Sam Patel"). Without it a letter names no officer.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Their job title, after the name in letters ("Customer Feedback Officer").
    #[serde(default)]
    pub job_title: Option<String>,
    /// May approve the responses the policy holds for approval (`[approval]` in the
    /// preset; `redress approve`). With nobody marked, the managers approve.
    #[serde(default)]
    pub approves: bool,
}

impl Staff {
    /// How a letter names them: "Sam Patel, Customer Feedback Officer", or `None`
    /// when no display name is configured (a login name is not for residents).
    pub fn in_letters(&self) -> Option<String> {
        let name = self.display_name.as_deref()?.trim();
        if name.is_empty() {
            return None;
        }
        Some(match self.job_title.as_deref().map(str::trim) {
            Some(t) if !t.is_empty() => format!("{name}, {t}"),
            _ => name.to_string(),
        })
    }
}

impl Config {
    /// The member of staff with this login name.
    pub fn staff(&self, name: &str) -> Option<&Staff> {
        self.staff.iter().find(|s| s.name == name)
    }

    /// The managers in the staff list: everyone someone names as their `manager`.
    pub fn managers(&self) -> Vec<&Staff> {
        self.staff
            .iter()
            .filter(|s| {
                self.staff
                    .iter()
                    .any(|o| o.manager.as_deref() == Some(&s.name))
            })
            .collect()
    }

    /// Who may approve a response the policy holds for approval: the staff marked
    /// `approves = true`, else every manager in the staff list.
    pub fn approvers(&self) -> Vec<&Staff> {
        let marked: Vec<&Staff> = self.staff.iter().filter(|s| s.approves).collect();
        if marked.is_empty() {
            self.managers()
        } else {
            marked
        }
    }

    /// Who is mailed when a response waits for approval, as (name, address): the
    /// approvers, else as for what no officer owns ([`Config::duty_recipients`]).
    pub fn approver_recipients(&self) -> Vec<(String, String)> {
        let named: Vec<(String, String)> = self
            .approvers()
            .into_iter()
            .map(|s| (s.name.clone(), s.email.clone()))
            .collect();
        if named.is_empty() {
            self.duty_recipients()
        } else {
            named
        }
    }

    /// Whether `name` may approve responses: one of [`Config::approvers`]; with none
    /// (no staff list, or nobody marked and no managers), anyone (who did not write the
    /// response), so a held response is never stuck.
    pub fn may_approve(&self, name: &str) -> bool {
        let approvers = self.approvers();
        approvers.is_empty() || approvers.iter().any(|s| s.name == name)
    }

    /// Who hears at once of a possible safeguarding concern, as (name, address): the
    /// safeguarding contact, else the duty manager, else every manager, else the
    /// council's complaints inbox. Never nobody.
    pub fn safeguarding_recipients(&self) -> Vec<(String, String)> {
        let staff = |s: &Staff| (s.name.clone(), s.email.clone());
        if let Some(c) = &self.workflow.safeguarding_contact {
            return vec![match self.staff(c) {
                Some(s) => staff(s),
                None => (c.clone(), c.clone()),
            }];
        }
        self.duty_recipients()
    }

    /// Who hears that a complaint is about a director or senior manager, as (name,
    /// address): `[workflow] director_contact`, else the duty manager, else every
    /// manager, else the council's complaints inbox. Never nobody.
    pub fn director_recipients(&self) -> Vec<(String, String)> {
        self.contact_or_duty(self.workflow.director_contact.as_deref())
    }

    /// Who hears of a referral to the Monitoring Officer, as (name, address):
    /// `[workflow] monitoring_officer`, else as [`Config::duty_recipients`].
    pub fn monitoring_officer_recipients(&self) -> Vec<(String, String)> {
        self.contact_or_duty(self.workflow.monitoring_officer.as_deref())
    }

    /// A configured contact (a [[staff]] name or an address), else who hears of what
    /// no officer owns.
    fn contact_or_duty(&self, contact: Option<&str>) -> Vec<(String, String)> {
        if let Some(c) = contact {
            return vec![match self.staff(c) {
                Some(s) => (s.name.clone(), s.email.clone()),
                None => (c.to_string(), c.to_string()),
            }];
        }
        self.duty_recipients()
    }

    /// Who hears of what no officer owns (a case unassigned, mail waiting to triage, a
    /// surge): the duty manager, else every manager in the staff list, else the
    /// council's complaints inbox. Never nobody.
    pub fn duty_recipients(&self) -> Vec<(String, String)> {
        let staff = |s: &Staff| (s.name.clone(), s.email.clone());
        if let Some(d) = self
            .workflow
            .duty_manager
            .as_deref()
            .and_then(|d| self.staff(d))
        {
            return vec![staff(d)];
        }
        let managers: Vec<(String, String)> = self.managers().into_iter().map(staff).collect();
        if !managers.is_empty() {
            return managers;
        }
        vec![(COUNCIL_INBOX.to_string(), self.council.email.clone())]
    }
}

/// The name the council's complaints address goes by among a staff alert's recipients,
/// when no member of staff can be named.
pub const COUNCIL_INBOX: &str = "complaints inbox";

impl Config {
    /// How letters name the contact of a single-contact restriction (`restrict
    /// --contact`): a `[[staff]]` login as that officer's display name and job title,
    /// any other text as written. `None` for a login with no display name (a login
    /// name is not for residents).
    pub fn contact_in_letters(&self, contact: &str) -> Option<String> {
        let contact = contact.trim();
        match self.staff(contact) {
            Some(s) => s.in_letters(),
            None => Some(contact.to_string()).filter(|c| !c.is_empty()),
        }
    }
}

/// Every manager named is on the staff list.
pub(super) fn check(staff: &[Staff], src: &str, file: &str) -> Result<(), ConfigError> {
    for st in staff {
        if let Some(m) = &st.manager {
            if !staff.iter().any(|o| &o.name == m) {
                return Err(ConfigError::Invalid {
                    file: file.to_string(),
                    line: line_of(src, &format!("\"{m}\"")),
                    msg: format!(
                        "staff '{}' has manager '{m}', who is not listed under [[staff]]",
                        st.name
                    ),
                });
            }
        }
    }
    Ok(())
}
