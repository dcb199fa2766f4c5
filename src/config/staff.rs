//! `[[staff]]`: officers and managers, and who among them hears of what.

use serde::Deserialize;

use super::{line_of, Config, ConfigError, WorkflowConfig};

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
    /// The desk account's role (officer, manager or admin), for people with one.
    #[serde(skip)]
    pub role: Option<String>,
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

/// A desk account as the directory takes it (the store's row, without its secrets).
#[derive(Debug, Clone, Default)]
pub struct Account {
    pub name: String,
    pub email: String,
    /// officer, manager or admin: what the account may do on the desk.
    pub role: String,
    pub display_name: Option<String>,
    pub job_title: Option<String>,
    pub manager: Option<String>,
    pub disabled: bool,
}

/// The one staff directory: who may be assigned a case, who is alerted and escalated
/// to, and how letters name an officer. Built from the desk's accounts and `[[staff]]`
/// in the config, which seeds it ([`Directory::new`] says how the two meet).
#[derive(Debug, Clone, Default)]
pub struct Directory {
    people: Vec<Staff>,
    /// `[workflow] duty_manager`: who hears of a case nobody is assigned to.
    duty_manager: Option<String>,
    /// The council's complaints address, the last resort for an alert.
    inbox: String,
}

/// `Some(text)` when `v` holds more than blanks.
fn set(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
}

impl Directory {
    /// The directory of `seed` (`[[staff]]`, in its order) and `accounts` (the desk's).
    /// An account and a `[[staff]]` entry of the same name are one person: the
    /// account's email always, and its display name, job title and manager where it
    /// sets them, else the entry's (the desk wins; `[[staff]]` fills what it leaves
    /// empty); `approves` comes from the entry. Other accounts join after the entries,
    /// by name. A disabled account leaves the directory, its entry with it (the person
    /// has left: no case, no alert).
    pub fn new(
        seed: &[Staff],
        accounts: &[Account],
        duty_manager: Option<&str>,
        inbox: &str,
    ) -> Directory {
        let disabled = |name: &str| accounts.iter().any(|a| a.disabled && a.name == name);
        let mut people: Vec<Staff> = seed
            .iter()
            .filter(|s| !disabled(&s.name))
            .cloned()
            .collect();
        let mut joining: Vec<&Account> = accounts.iter().filter(|a| !a.disabled).collect();
        joining.sort_by(|a, b| a.name.cmp(&b.name));
        for a in joining {
            match people.iter_mut().find(|p| p.name == a.name) {
                Some(p) => {
                    p.email = a.email.clone();
                    p.display_name = set(&a.display_name).or(p.display_name.take());
                    p.job_title = set(&a.job_title).or(p.job_title.take());
                    p.manager = set(&a.manager).or(p.manager.take());
                    p.role = Some(a.role.clone());
                }
                None => people.push(Staff {
                    name: a.name.clone(),
                    email: a.email.clone(),
                    manager: set(&a.manager),
                    display_name: set(&a.display_name),
                    job_title: set(&a.job_title),
                    approves: false,
                    role: Some(a.role.clone()),
                }),
            }
        }
        Directory {
            people,
            duty_manager: duty_manager.map(String::from),
            inbox: inbox.to_string(),
        }
    }

    /// The directory of the config alone (no desk accounts): for rules tested without
    /// a database, and previews.
    pub fn from_config(cfg: &Config) -> Directory {
        Directory::new(
            &cfg.staff,
            &[],
            cfg.workflow.duty_manager.as_deref(),
            &cfg.council.email,
        )
    }

    /// Everyone in it: `[[staff]]` first, in its order, then the other accounts by name.
    pub fn people(&self) -> &[Staff] {
        &self.people
    }

    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }

    /// The member of staff with this login name.
    pub fn staff(&self, name: &str) -> Option<&Staff> {
        self.people.iter().find(|s| s.name == name)
    }

    /// How the desk names someone: their display name, else their login name.
    pub fn shown(&self, name: &str) -> String {
        self.staff(name)
            .and_then(|s| set(&s.display_name))
            .unwrap_or_else(|| name.to_string())
    }

    /// The managers: everyone someone names as their `manager`.
    pub fn managers(&self) -> Vec<&Staff> {
        self.people
            .iter()
            .filter(|s| {
                self.people
                    .iter()
                    .any(|o| o.manager.as_deref() == Some(&s.name))
            })
            .collect()
    }

    /// Whether `name` is a manager: someone's manager, or the duty manager.
    pub fn is_manager(&self, name: &str) -> bool {
        self.managers().iter().any(|m| m.name == name) || self.duty_manager.as_deref() == Some(name)
    }

    /// Who may approve a response the policy holds for approval: the staff marked
    /// `approves = true`, else every manager.
    pub fn approvers(&self) -> Vec<&Staff> {
        let marked: Vec<&Staff> = self.people.iter().filter(|s| s.approves).collect();
        if marked.is_empty() {
            self.managers()
        } else {
            marked
        }
    }

    /// Who is mailed when a response waits for approval, as (name, address): the
    /// approvers, else as for what no officer owns ([`Directory::duty_recipients`]).
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

    /// Whether `name` may approve responses: one of [`Directory::approvers`]; with none
    /// (nobody marked and no managers), anyone (who did not write the response), so a
    /// held response is never stuck.
    pub fn may_approve(&self, name: &str) -> bool {
        let approvers = self.approvers();
        approvers.is_empty() || approvers.iter().any(|s| s.name == name)
    }

    /// Who hears at once of a possible safeguarding concern, as (name, address): the
    /// safeguarding contact, else the duty manager, else every manager, else the
    /// council's complaints inbox. Never nobody.
    pub fn safeguarding_recipients(&self, w: &WorkflowConfig) -> Vec<(String, String)> {
        self.contact_or_duty(w.safeguarding_contact.as_deref())
    }

    /// Who hears that a complaint is about a director or senior manager, as (name,
    /// address): `[workflow] director_contact`, else as [`Directory::duty_recipients`].
    pub fn director_recipients(&self, w: &WorkflowConfig) -> Vec<(String, String)> {
        self.contact_or_duty(w.director_contact.as_deref())
    }

    /// Who hears of a referral to the Monitoring Officer, as (name, address):
    /// `[workflow] monitoring_officer`, else as [`Directory::duty_recipients`].
    pub fn monitoring_officer_recipients(&self, w: &WorkflowConfig) -> Vec<(String, String)> {
        self.contact_or_duty(w.monitoring_officer.as_deref())
    }

    /// A configured contact (a name in the directory, or an address), else who hears
    /// of what no officer owns.
    pub fn contact_or_duty(&self, contact: Option<&str>) -> Vec<(String, String)> {
        if let Some(c) = contact {
            return vec![match self.staff(c) {
                Some(s) => (s.name.clone(), s.email.clone()),
                None => (c.to_string(), c.to_string()),
            }];
        }
        self.duty_recipients()
    }

    /// Who hears of what no officer owns (a case unassigned, mail waiting to triage, a
    /// surge): the duty manager, else every manager, else the council's complaints
    /// inbox. Never nobody.
    pub fn duty_recipients(&self) -> Vec<(String, String)> {
        let staff = |s: &Staff| (s.name.clone(), s.email.clone());
        if let Some(d) = self.duty_manager.as_deref().and_then(|d| self.staff(d)) {
            return vec![staff(d)];
        }
        let managers: Vec<(String, String)> = self.managers().into_iter().map(staff).collect();
        if !managers.is_empty() {
            return managers;
        }
        vec![(COUNCIL_INBOX.to_string(), self.inbox.clone())]
    }

    /// The officer, their manager, and the manager's manager: the escalation chain. A
    /// case nobody is assigned to starts at the duty manager.
    pub fn chain(&self, officer: Option<&str>) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = officer.or(self.duty_manager.as_deref()).map(String::from);
        while let Some(name) = cur {
            if out.contains(&name) {
                break;
            }
            out.push(name.clone());
            cur = self.staff(&name).and_then(|s| s.manager.clone());
        }
        out
    }

    /// Who a staff alert goes to: those of `names` (from [`Directory::chain`]) in the
    /// directory; with none of them, as for what no officer owns
    /// ([`Directory::duty_recipients`]). Never nobody.
    pub fn alert_to(&self, names: &[&str]) -> Vec<(String, String)> {
        let named: Vec<(String, String)> = names
            .iter()
            .filter_map(|n| self.staff(n))
            .map(|s| (s.name.clone(), s.email.clone()))
            .collect();
        if named.is_empty() {
            self.duty_recipients()
        } else {
            named
        }
    }

    /// How letters name the contact of a single-contact restriction (`restrict
    /// --contact`): a login in the directory as that officer's display name and job
    /// title, any other text as written. `None` for a login with no display name (a
    /// login name is not for residents).
    pub fn contact_in_letters(&self, contact: &str) -> Option<String> {
        let contact = contact.trim();
        match self.staff(contact) {
            Some(s) => s.in_letters(),
            None => Some(contact.to_string()).filter(|c| !c.is_empty()),
        }
    }

    /// Whether `manager` may be `name`'s manager: in the directory, not `name`, and not
    /// someone `name` is already above (a chain that comes back to its start).
    pub fn check_manager(&self, name: &str, manager: &str) -> Result<(), String> {
        if manager == name {
            return Err(format!("{name} cannot be their own manager"));
        }
        if self.staff(manager).is_none() {
            return Err(format!("{manager} is not in the staff directory"));
        }
        if self.chain(Some(manager)).iter().any(|n| n == name) {
            return Err(format!(
                "{manager} cannot be {name}'s manager: {name} is already above {manager}"
            ));
        }
        Ok(())
    }
}

/// The name the council's complaints address goes by among a staff alert's recipients,
/// when no member of staff can be named.
pub const COUNCIL_INBOX: &str = "complaints inbox";

/// Thin delegations to the directory of the config alone ([`Directory::from_config`]),
/// for code with no desk accounts at hand.
impl Config {
    /// The `[[staff]]` entry with this login name.
    pub fn staff(&self, name: &str) -> Option<&Staff> {
        self.staff.iter().find(|s| s.name == name)
    }

    /// The directory of the config alone.
    pub fn directory(&self) -> Directory {
        Directory::from_config(self)
    }

    /// As [`Directory::safeguarding_recipients`], of the config alone.
    pub fn safeguarding_recipients(&self) -> Vec<(String, String)> {
        self.directory().safeguarding_recipients(&self.workflow)
    }

    /// As [`Directory::duty_recipients`], of the config alone.
    pub fn duty_recipients(&self) -> Vec<(String, String)> {
        self.directory().duty_recipients()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(name: &str, manager: Option<&str>) -> Staff {
        Staff {
            name: name.into(),
            email: format!("{name}@config.example"),
            manager: manager.map(String::from),
            ..Staff::default()
        }
    }

    fn account(name: &str, manager: Option<&str>) -> Account {
        Account {
            name: name.into(),
            email: format!("{name}@desk.example"),
            role: "officer".into(),
            manager: manager.map(String::from),
            ..Account::default()
        }
    }

    const INBOX: &str = "complaints@council.example";

    #[test]
    fn an_account_and_an_entry_of_the_same_name_are_one_person_the_desk_winning() {
        let seed = vec![
            Staff {
                display_name: Some("Ann Lee".into()),
                job_title: Some("Complaints Officer".into()),
                approves: true,
                ..staff("ann", Some("bob"))
            },
            staff("bob", None),
        ];
        let accounts = vec![
            // Sets a job title and a manager, leaves the display name empty.
            Account {
                job_title: Some("Senior Complaints Officer".into()),
                display_name: Some("  ".into()),
                ..account("ann", Some("dee"))
            },
            account("dee", None),
            account("cal", Some("dee")),
        ];
        let dir = Directory::new(&seed, &accounts, None, INBOX);
        let names: Vec<&str> = dir.people().iter().map(|p| p.name.as_str()).collect();
        // The entries in their order, then the other accounts by name.
        assert_eq!(names, ["ann", "bob", "cal", "dee"]);
        let ann = dir.staff("ann").unwrap();
        assert_eq!(ann.email, "ann@desk.example", "the account's email");
        assert_eq!(
            ann.display_name.as_deref(),
            Some("Ann Lee"),
            "blank: the entry's"
        );
        assert_eq!(ann.job_title.as_deref(), Some("Senior Complaints Officer"));
        assert_eq!(ann.manager.as_deref(), Some("dee"), "the account's manager");
        assert!(ann.approves, "approves comes from the entry");
        assert_eq!(ann.role.as_deref(), Some("officer"));
        assert_eq!(dir.staff("bob").unwrap().role, None, "no account");
        assert_eq!(
            ann.in_letters().as_deref(),
            Some("Ann Lee, Senior Complaints Officer")
        );
        // bob is no longer anyone's manager: ann's account names dee.
        let managers: Vec<&str> = dir.managers().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(managers, ["dee"]);
        assert_eq!(dir.chain(Some("cal")), ["cal", "dee"]);
        assert_eq!(dir.shown("ann"), "Ann Lee");
        assert_eq!(dir.shown("cal"), "cal");
    }

    #[test]
    fn a_disabled_account_leaves_the_directory_with_its_entry() {
        let seed = vec![staff("ann", Some("bob")), staff("bob", None)];
        let accounts = vec![Account {
            disabled: true,
            ..account("bob", None)
        }];
        let dir = Directory::new(&seed, &accounts, None, INBOX);
        assert!(dir.staff("bob").is_none());
        // ann's chain stops where bob was; the alert goes to ann alone.
        assert_eq!(
            dir.alert_to(&["ann", "bob"]),
            [("ann".to_string(), "ann@config.example".to_string())]
        );
        // With no managers left, what nobody owns goes to the council's inbox.
        assert_eq!(
            dir.duty_recipients(),
            [(COUNCIL_INBOX.to_string(), INBOX.to_string())]
        );
    }

    #[test]
    fn duty_recipients_the_duty_manager_else_every_manager_else_the_inbox() {
        let accounts = vec![
            account("ann", Some("mo")),
            account("mo", None),
            account("kim", Some("mo")),
        ];
        let dir = Directory::new(&[], &accounts, None, INBOX);
        assert_eq!(
            dir.duty_recipients(),
            [("mo".to_string(), "mo@desk.example".to_string())]
        );
        assert!(dir.is_manager("mo") && !dir.is_manager("ann"));
        let dir = Directory::new(&[], &accounts, Some("kim"), INBOX);
        assert_eq!(
            dir.duty_recipients(),
            [("kim".to_string(), "kim@desk.example".to_string())]
        );
        assert!(dir.is_manager("kim"));
        // An unassigned case starts at the duty manager.
        assert_eq!(dir.chain(None), ["kim", "mo"]);
        let none = Directory::new(&[], &[account("ann", None)], None, INBOX);
        assert_eq!(
            none.duty_recipients(),
            [(COUNCIL_INBOX.to_string(), INBOX.to_string())]
        );
        // Approvers: nobody marked, so the managers.
        let names: Vec<&str> = dir.approvers().iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["mo"]);
    }

    #[test]
    fn a_manager_is_someone_in_the_directory_not_oneself_and_not_below() {
        let accounts = vec![
            account("ann", Some("bob")),
            account("bob", Some("cat")),
            account("cat", None),
        ];
        let dir = Directory::new(&[staff("sam", None)], &accounts, None, INBOX);
        assert!(dir.check_manager("ann", "cat").is_ok());
        assert!(dir.check_manager("ann", "sam").is_ok(), "a [[staff]] name");
        assert_eq!(
            dir.check_manager("ann", "zed").unwrap_err(),
            "zed is not in the staff directory"
        );
        assert_eq!(
            dir.check_manager("ann", "ann").unwrap_err(),
            "ann cannot be their own manager"
        );
        assert_eq!(
            dir.check_manager("cat", "ann").unwrap_err(),
            "ann cannot be cat's manager: cat is already above ann"
        );
    }
}
