//! The daemon's configuration file: the council's identity, which policy preset it
//! runs, where its data lives, its closure days, and its mailbox and outbox. With no
//! file at all, Redress runs on the zero-setup default: a local Maildir in, a file
//! outbox out, SQLite in ./data.

use chrono::NaiveDate;
use serde::Deserialize;
use std::path::{Path, PathBuf};

use crate::calendar::Calendar;
use crate::policy::{Policy, PolicyError};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: {msg}")]
    Unreadable { file: String, msg: String },
    #[error("{file}: line {line}: {msg}")]
    Invalid {
        file: String,
        line: usize,
        msg: String,
    },
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

pub use crate::council::Council;

/// A day or a run of days the council is closed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    /// First closed day: a TOML date (2026-12-29) or the same in quotes.
    pub from: toml::Value,
    /// Last closed day, inclusive; `from` alone closes one day.
    pub to: Option<toml::Value>,
    #[serde(default = "default_closure_reason")]
    pub reason: String,
}

fn default_closure_reason() -> String {
    "council closure".into()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    #[serde(default)]
    pub closures: Vec<Closure>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum MailboxConfig {
    /// A local Maildir (new/ -> cur/ once stored).
    Maildir {
        path: PathBuf,
    },
    Imap(ImapConfig),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapConfig {
    pub host: String,
    pub port: Option<u16>,
    /// "implicit" (993), "starttls" (143) or "plain" (only honoured on loopback or when allow_plaintext is set).
    #[serde(default = "default_tls")]
    pub tls: String,
    #[serde(default)]
    pub allow_plaintext: bool,
    /// Trust this PEM certificate in addition to the system roots (self-signed test servers).
    pub ca_file: Option<PathBuf>,
    pub user: String,
    pub password_file: Option<PathBuf>,
    pub password_env: Option<String>,
    #[serde(default = "default_folder")]
    pub folder: String,
    /// Move stored mail here; when unset, mail is only flagged \Seen.
    pub processed_folder: Option<String>,
    #[serde(default = "default_poll")]
    pub poll_seconds: u64,
    /// `[mailbox.oauth2]`: log in by `AUTHENTICATE XOAUTH2` (or OAUTHBEARER) with a
    /// token from the client-credentials flow instead of a password.
    pub oauth2: Option<Box<Oauth2Config>>,
}

/// `[mailbox.oauth2]` / `[outbox.oauth2]`: an OAuth2 client (Microsoft Entra ID app
/// registration, say) whose tokens log in to the mailbox or the SMTP server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Oauth2Config {
    /// The token endpoint (https, or http on loopback only). With a service account,
    /// optional: the key file's `token_uri`.
    #[serde(default)]
    pub token_url: String,
    /// The app's id (not used with a service account, whose key file names it).
    #[serde(default)]
    pub client_id: String,
    /// Space-separated scopes, e.g. `https://outlook.office365.com/.default`.
    #[serde(default)]
    pub scope: String,
    /// The client secret: a file (a systemd credential, say) or an environment variable, never the config itself.
    pub secret_file: Option<PathBuf>,
    pub secret_env: Option<String>,
    /// Entra ID certificate credentials instead of a secret: the RSA private key (PEM)
    /// and the certificate uploaded to the app registration (PEM).
    pub private_key_file: Option<PathBuf>,
    pub certificate_file: Option<PathBuf>,
    /// A Google service account's JSON key file (domain-wide delegation; `user` is the
    /// mailbox it acts for).
    pub service_account_file: Option<PathBuf>,
    /// Trust this PEM certificate for the token endpoint's TLS, besides the public roots.
    pub ca_file: Option<PathBuf>,
    /// The key of `private_key_file`/`service_account_file`, read when the config is.
    #[serde(skip)]
    pub signer: Option<crate::jwt::Signer>,
    /// The mailbox the token logs in as; defaults to the IMAP `user`, or the SMTP `user`
    /// (else the council's email) for the outbox. Filled in when the config is read.
    pub user: Option<String>,
}

impl Oauth2Config {
    /// Its files count from the config's folder, like every path.
    fn resolve_files(&mut self, resolve: impl Fn(&Path) -> PathBuf) {
        for f in [
            &mut self.secret_file,
            &mut self.private_key_file,
            &mut self.certificate_file,
            &mut self.service_account_file,
            &mut self.ca_file,
        ] {
            *f = f.as_deref().map(&resolve);
        }
    }
}

fn default_tls() -> String {
    "implicit".into()
}
fn default_folder() -> String {
    "INBOX".into()
}
fn default_poll() -> u64 {
    60
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum OutboxConfig {
    /// Write each letter as an .eml file into a directory.
    File {
        path: PathBuf,
    },
    Smtp(SmtpConfig),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: Option<u16>,
    /// "implicit" (465), "starttls" (587) or "plain" (loopback or allow_plaintext only).
    #[serde(default = "default_smtp_tls")]
    pub tls: String,
    #[serde(default)]
    pub allow_plaintext: bool,
    pub ca_file: Option<PathBuf>,
    pub user: Option<String>,
    pub password_file: Option<PathBuf>,
    pub password_env: Option<String>,
    /// `[outbox.oauth2]`: AUTH XOAUTH2 with a client-credentials token instead of a password.
    pub oauth2: Option<Box<Oauth2Config>>,
}

fn default_smtp_tls() -> String {
    "starttls".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    council: Council,
    policy: String,
    #[serde(default = "default_data_dir")]
    data_dir: PathBuf,
    #[serde(default)]
    calendar: CalendarConfig,
    mailbox: Option<MailboxConfig>,
    outbox: Option<OutboxConfig>,
    #[serde(default)]
    inbound: InboundConfig,
    #[serde(default)]
    workflow: WorkflowConfig,
    #[serde(default)]
    staff: Vec<Staff>,
    #[serde(default)]
    digest: Vec<DigestConfig>,
    #[serde(default)]
    report: Vec<ReportSchedule>,
    #[serde(default)]
    retention: Option<RetentionSchedule>,
    #[serde(default)]
    backup: Vec<BackupSchedule>,
    #[serde(default)]
    letters: LettersConfig,
    #[serde(default)]
    web: WebConfig,
}

/// `[web]` as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct WebConfig {
    enabled: bool,
    listen: String,
    public_url: Option<String>,
    session_idle_hours: u32,
    trusted_proxies: Vec<String>,
    proxy_header: String,
    client_address_header: String,
    metrics_token_file: Option<PathBuf>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            enabled: true,
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            session_idle_hours: 8,
            trusted_proxies: Vec::new(),
            proxy_header: "X-Forwarded-Email".into(),
            client_address_header: "X-Forwarded-For".into(),
            metrics_token_file: None,
        }
    }
}

/// The officers' web desk (`[web]`), checked when the config is read.
#[derive(Debug, Clone)]
pub struct Web {
    /// Served by `redress run` alongside the daemon's tasks (`redress web` serves it regardless).
    pub enabled: bool,
    pub listen: std::net::SocketAddr,
    /// The address officers use (behind a reverse proxy); https makes the session cookie Secure.
    pub public_url: Option<String>,
    /// A session unused this long ends.
    pub session_idle_hours: u32,
    /// The reverse proxies whose `proxy_header` is believed (single sign-on).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The header a trusted proxy names the signed-in user's email in.
    pub proxy_header: String,
    /// The header a trusted proxy gives the client's address in (the last address in
    /// it, the one the proxy itself added): behind a proxy every request comes from the
    /// proxy's address, and the sign-in throttle and its record need the client's.
    pub client_address_header: String,
    /// A file holding the bearer token that opens `/healthz` and `/metrics` to other
    /// hosts (read at each request: a systemd credential, say). `REDRESS_METRICS_TOKEN`
    /// in the environment wins over it. Without either, loopback only.
    pub metrics_token_file: Option<PathBuf>,
}

impl Web {
    /// Whether cookies must be Secure (the desk is reached over https).
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"))
    }

    /// Where an officer signs in.
    pub fn sign_in_url(&self) -> String {
        match &self.public_url {
            Some(u) => format!("{}/", u.trim_end_matches('/')),
            None => format!("http://{}/", self.listen),
        }
    }
}

fn check_web(raw: WebConfig, src: &str, file: &str) -> Result<Web, ConfigError> {
    let bad = |needle: &str, msg: String| ConfigError::Invalid {
        file: file.to_string(),
        line: line_of(src, needle),
        msg: format!("[web] {msg}"),
    };
    let listen = raw.listen.trim().parse().map_err(|_| {
        bad(
            "listen",
            format!(
                "listen '{}' is not an address and port such as 127.0.0.1:8080",
                raw.listen
            ),
        )
    })?;
    if let Some(u) = &raw.public_url {
        let l = u.to_ascii_lowercase();
        if !(l.starts_with("https://") || l.starts_with("http://"))
            || u.contains(char::is_whitespace)
        {
            return Err(bad(
                "public_url",
                format!("public_url '{u}' must start with https:// or http://"),
            ));
        }
    }
    if raw.session_idle_hours == 0 || raw.session_idle_hours > 24 * 31 {
        return Err(bad(
            "session_idle_hours",
            format!(
                "session_idle_hours {} must be between 1 and 744",
                raw.session_idle_hours
            ),
        ));
    }
    let mut trusted_proxies = Vec::new();
    for p in &raw.trusted_proxies {
        trusted_proxies.push(p.trim().parse().map_err(|_| {
            bad(
                "trusted_proxies",
                format!("trusted_proxies: '{p}' is not an IP address"),
            )
        })?);
    }
    let header_name = |h: &str| {
        !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let h = raw.proxy_header.trim();
    if !header_name(h) {
        return Err(bad(
            "proxy_header",
            format!("proxy_header '{}' is not a header name", raw.proxy_header),
        ));
    }
    let client = raw.client_address_header.trim();
    if !header_name(client) {
        return Err(bad(
            "client_address_header",
            format!(
                "client_address_header '{}' is not a header name",
                raw.client_address_header
            ),
        ));
    }
    Ok(Web {
        enabled: raw.enabled,
        listen,
        public_url: raw.public_url,
        session_idle_hours: raw.session_idle_hours,
        trusted_proxies,
        proxy_header: h.to_string(),
        client_address_header: client.to_string(),
        metrics_token_file: raw.metrics_token_file,
    })
}

/// Letters out: where edited templates live and how the outbox retries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LettersConfig {
    /// A folder of templates (acknowledgement.tera, ...) that replace the built-in ones
    /// file by file; a kind with no file there keeps the built-in template.
    pub templates: Option<PathBuf>,
    /// Wait before the first retry after a temporary failure (4xx, server down); it
    /// doubles with each further failure up to `retry_max_seconds`.
    pub retry_first_seconds: u64,
    pub retry_max_seconds: u64,
    /// After this many attempts a letter is marked failed and its case flagged.
    pub max_attempts: u32,
    /// Files an officer encloses with a reply: the largest one file may be, and all of
    /// one letter's together (at most [`MAX_LETTER_ATTACHMENTS`]).
    pub max_file_attachment_bytes: u64,
    pub max_letter_attachment_bytes: u64,
}

/// The most `[letters] max_letter_attachment_bytes` may be: the email carries them in
/// base64 (a third larger), and mail servers commonly refuse messages over 35 MB.
pub const MAX_LETTER_ATTACHMENTS: u64 = 20 * 1024 * 1024;

impl Default for LettersConfig {
    fn default() -> Self {
        LettersConfig {
            templates: None,
            retry_first_seconds: 60,
            retry_max_seconds: 3600,
            max_attempts: 30,
            max_file_attachment_bytes: 10 * 1024 * 1024,
            max_letter_attachment_bytes: 10 * 1024 * 1024,
        }
    }
}

/// The automatic steps of the daemon.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkflowConfig {
    /// Alert the officer and their manager this many working days before a response is due.
    pub alert_days_before: u32,
    /// When a response deadline lapses: the new target date this many working days
    /// later (never beyond the preset's extension limit), told to the customer in a
    /// holding letter.
    pub holding_days: u32,
    /// The reason a holding letter gives, in words that finish "This is because ...".
    pub holding_reason: String,
    /// Words in a customer's reply within the reply window that ask for the next stage.
    /// A phrase matches whole words, its last word also as the start of one ("review"
    /// finds "reviewed", not "preview"). See [`crate::sweep::review`].
    pub review_phrases: Vec<String>,
    /// Words in a reply that say no review is wanted: the complaint settled, the case
    /// to be closed ("no longer dissatisfied", "happy for you to close"). Beside review
    /// wording they make the reply uncertain, for an officer to read.
    pub review_closing_phrases: Vec<String>,
    /// Words that, a few words before review wording in the same part of a sentence,
    /// turn it around ("not", "no longer", "don't want to", "thank you for").
    pub review_negations: Vec<String>,
    /// Words that make review wording in a sentence a question or a hesitation ("not
    /// sure", "whether", "can I"): the reply is flagged "possible review request".
    pub review_hedges: Vec<String>,
    /// Link in the satisfaction survey invitation.
    pub survey_url: Option<String>,
    /// How often the scheduler runs inside `redress run`.
    pub tick_seconds: u64,
    /// Who is alerted about a case nobody is assigned to (a [[staff]] name: a duty
    /// manager, or a team inbox listed as staff); their manager is the next step up.
    pub duty_manager: Option<String>,
    /// Words in new mail that suggest a risk of harm to a child or an adult at risk:
    /// the case is marked urgent, never closed or redirected by the daemon, and
    /// `safeguarding_contact` is mailed at once.
    pub safeguarding_phrases: Vec<String>,
    /// Who is told at once of a possible safeguarding concern: a [[staff]] name or an
    /// email address (the council's safeguarding lead). Without one, the duty manager,
    /// then every manager.
    pub safeguarding_contact: Option<String>,
    /// Who chooses the investigator of a complaint about a director or senior manager
    /// (the preset's `director_investigator`: North Norfolk's Chief Executive or Leader of
    /// the Council): a [[staff]] name or an email address, alerted when a case is marked.
    /// Without one, the duty manager, then every manager, then the council's address.
    pub director_contact: Option<String>,
    /// The Monitoring Officer, told of a referral under the unreasonable-behaviour
    /// procedure (the preset's `behaviour_procedure`): a [[staff]] name or an email
    /// address. Without one, the duty manager, then every manager, then the council's
    /// address.
    pub monitoring_officer: Option<String>,
    /// Mail waiting "to triage" (a suggestion only a person may act on) is brought to
    /// the duty manager once it has waited this many working hours (09:00-17:00 London
    /// time on working days).
    pub triage_alert_hours: u32,
}

/// The shipped safeguarding phrases: words that a council's safeguarding lead would
/// want to see the same day. Deliberately wide: a false alarm costs a look.
pub const SAFEGUARDING_PHRASES: &[&str] = &[
    "safeguarding",
    "safeguard",
    "abuse",
    "abused",
    "abusing",
    "neglect",
    "neglected",
    "self-harm",
    "self harm",
    "harm myself",
    "hurt myself",
    "suicide",
    "suicidal",
    "kill myself",
    "end my life",
    "threatened to kill",
    "threats to kill",
    "at risk of harm",
    "in danger",
    "domestic violence",
    "domestic abuse",
    "exploitation",
    "exploited",
    "grooming",
    "inappropriately with children",
    "inappropriate with children",
    "vulnerable adult",
    "child at risk",
    "assaulted",
    "sexual assault",
    "modern slavery",
    "trafficking",
    "cuckooing",
];

impl Default for WorkflowConfig {
    fn default() -> Self {
        WorkflowConfig {
            alert_days_before: 2,
            holding_days: 10,
            holding_reason: "the investigation needs more time than our policy allows".into(),
            review_phrases: [
                "review",
                "escalate",
                "stage 2",
                "stage two",
                "stage 3",
                "stage three",
                "not satisfied",
                "dissatisfied",
                "unhappy with your response",
                "unhappy with the response",
                "take this further",
                "next stage",
            ]
            .map(String::from)
            .to_vec(),
            review_closing_phrases: [
                "no longer dissatisfied",
                "not dissatisfied",
                "no longer unhappy",
                "happy for you to close",
                "happy for the complaint to be closed",
                "happy for it to be closed",
                "please close",
                "you can close",
                "you may close",
                "can be closed",
                "close my complaint",
                "close the complaint",
                "close the case",
                "withdraw my complaint",
                "resolved",
                "all sorted",
                "no further action",
                "not needed",
                "not necessary",
                "no need to escalate",
                "no need for a review",
                "no need to take this further",
                "satisfied with your response",
                "satisfied with the response",
                "happy with your response",
                "happy with the response",
                "happy with the outcome",
            ]
            .map(String::from)
            .to_vec(),
            review_negations: [
                "not",
                "no longer",
                "never",
                "no need to",
                "no need for",
                "dont",
                "didnt",
                "doesnt",
                "wont",
                "without",
                "thank you for",
                "thanks for",
            ]
            .map(String::from)
            .to_vec(),
            review_hedges: [
                "not sure",
                "unsure",
                "whether",
                "wondering",
                "thinking about",
                "thinking of",
                "considering",
                "might",
                "maybe",
                "perhaps",
                "if i should",
                "should i",
                "can i",
                "could i",
                "do i need",
                "how do i",
                "how can i",
                "what happens if",
                "undecided",
            ]
            .map(String::from)
            .to_vec(),
            survey_url: None,
            tick_seconds: 60,
            duty_manager: None,
            safeguarding_phrases: SAFEGUARDING_PHRASES.iter().map(|s| s.to_string()).collect(),
            safeguarding_contact: None,
            director_contact: None,
            monitoring_officer: None,
            triage_alert_hours: 4,
        }
    }
}

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

/// A managers' digest of overdue and due-soon cases, on a cron schedule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestConfig {
    pub name: String,
    /// Cron expression with seconds, in London time: "0 0 8 * * Mon-Fri" is 08:00 on weekdays.
    pub schedule: String,
    pub to: Vec<String>,
    /// Include cases due within this many working days.
    #[serde(default = "default_due_within")]
    pub due_within_days: u32,
    /// Send even when there is nothing to report.
    #[serde(default)]
    pub send_when_empty: bool,
}

/// A performance report mailed to managers on a cron schedule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSchedule {
    pub name: String,
    /// Cron with seconds, London time: "0 0 7 1 * *" is 07:00 on the 1st of each month.
    pub schedule: String,
    /// previous-month, previous-quarter or previous-financial-year, counted from the firing day.
    pub period: String,
    pub to: Vec<String>,
}

/// Erase personal data past its destruction date on a schedule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSchedule {
    /// Cron with seconds, London time, e.g. "0 30 2 * * *" (02:30 every night).
    pub schedule: String,
}

/// A backup of the database on a cron schedule (`[[backup]]`), keeping the newest `keep`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSchedule {
    /// Names the schedule (two `[[backup]]` tables need different names).
    #[serde(default = "default_backup_name")]
    pub name: String,
    /// Cron with seconds, London time, e.g. "0 15 2 * * *" (02:15 every night).
    pub schedule: String,
    /// The folder for the files (made 0700 if missing); default DATA_DIR/backups.
    pub dir: Option<PathBuf>,
    /// How many of this folder's backups to keep (the newest); at least 1.
    #[serde(default = "default_backup_keep")]
    pub keep: usize,
}

fn default_backup_name() -> String {
    "backup".into()
}

fn default_backup_keep() -> usize {
    7
}

fn default_due_within() -> u32 {
    3
}

/// How new mail is handled.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InboundConfig {
    /// A whole message larger than this is quarantined, not stored as correspondence.
    pub max_message_bytes: usize,
    /// An attachment larger than this is recorded (name, type, size, hash) but its content left out.
    pub max_attachment_bytes: usize,
    /// Mail older than this many days when first seen gets no automatic letter (backlog safety).
    pub backlog_cutoff_days: i64,
    /// The fallback match (same sender, same subject) only joins cases received within this many days.
    pub thread_window_days: i64,
    /// At most this many automatic letters to one address per 24 hours (plus-addressed
    /// forms of an address, `name+tag@`, count as that address).
    pub max_auto_replies_per_day: u32,
    /// At most this many automatic letters answering mail, to all addresses together, in
    /// one clock hour (UTC): a flood from many addresses cannot turn the council's
    /// inbox into a mail cannon. Over it, new cases are opened and held for an officer.
    pub max_auto_letters_per_hour: u32,
    /// Web-form gateways that send each resident's form from one address with the
    /// resident in Reply-To (e.g. `noreply@forms.council.gov.uk`): for mail From these,
    /// and only these, the Reply-To address is the sender.
    pub relay_senders: Vec<String>,
    /// When set, mail may change a case's state (a review request, a reply that counts
    /// as the customer's) only with an `Authentication-Results` header from one of these
    /// authserv-ids (your own mail servers) saying `dmarc=pass` for the From domain;
    /// other mail is attached to the case and flagged, never acted on. Empty: off.
    pub trusted_authserv_ids: Vec<String>,
    /// Which triage suggestions the daemon may act on alone (send the redirect letter
    /// and close the case): `false` (the default: every one waits "to triage" for an
    /// officer), `true` (all), or a list of triage rule ids, preset exclusion ids, or
    /// the kinds "service-request" / "out-of-scope". Mail with safeguarding words is
    /// never acted on alone.
    pub auto_redirect: AutoRedirect,
    /// Triage rules file replacing the shipped config/triage.toml.
    pub triage_rules: Option<PathBuf>,
}

impl Default for InboundConfig {
    fn default() -> Self {
        InboundConfig {
            max_message_bytes: 50 * 1024 * 1024,
            max_attachment_bytes: 20 * 1024 * 1024,
            backlog_cutoff_days: 7,
            thread_window_days: 60,
            max_auto_replies_per_day: 5,
            max_auto_letters_per_hour: 500,
            relay_senders: Vec::new(),
            trusted_authserv_ids: Vec::new(),
            auto_redirect: AutoRedirect::All(false),
            triage_rules: None,
        }
    }
}

/// `[inbound] auto_redirect`: all, none, or the rules named.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum AutoRedirect {
    All(bool),
    Rules(Vec<String>),
}

impl AutoRedirect {
    /// Whether a suggestion of `kind` by the rule or exclusion `id` may act alone.
    pub fn allows(&self, kind: crate::case::Kind, id: Option<&str>) -> bool {
        match self {
            AutoRedirect::All(all) => *all,
            AutoRedirect::Rules(ids) => ids
                .iter()
                .any(|r| r == kind.as_str() || Some(r.as_str()) == id),
        }
    }
}

fn default_data_dir() -> PathBuf {
    "data".into()
}

/// A loaded configuration, with relative paths resolved against the config file's folder.
#[derive(Debug, Clone)]
pub struct Config {
    pub council: Council,
    pub policy: Policy,
    pub data_dir: PathBuf,
    pub calendar: Calendar,
    pub mailbox: MailboxConfig,
    pub outbox: OutboxConfig,
    pub inbound: InboundConfig,
    pub letters: LettersConfig,
    pub workflow: WorkflowConfig,
    pub staff: Vec<Staff>,
    pub digests: Vec<DigestConfig>,
    pub reports: Vec<ReportSchedule>,
    pub retention: Option<RetentionSchedule>,
    pub backups: Vec<BackupSchedule>,
    pub web: Web,
    pub triage: crate::triage::Rules,
    /// Where the config came from, for messages.
    pub source: String,
    /// The file it was read from (None for the built-in default): `run` hands it to the
    /// child process that renders letters.
    pub file: Option<PathBuf>,
}

/// The zero-setup configuration used when no --config is given.
pub const DEFAULT: &str = r#"
policy = "lgsco-code"
data_dir = "data"

[council]
name = "Example Council"
address = ["Council Offices", "High Street", "Exampleton", "EX1 1AA"]
phone = "01234 567890"
web = "https://www.example.gov.uk/complaints"
email = "complaints@example.gov.uk"
signatory = "Complaints Team"
reference_prefix = "EX"

[mailbox]
kind = "maildir"
path = "maildir"

[outbox]
kind = "file"
path = "outbox"
"#;

impl Config {
    /// Which policy governs a case (see [`crate::policy::Policies`]).
    pub fn policies(&self) -> crate::policy::Policies<'_> {
        crate::policy::Policies::new(&self.policy)
    }

    /// Load `path`, or the zero-setup default (paths relative to the working directory) when `None`.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        match path {
            Some(p) => {
                let src = std::fs::read_to_string(p).map_err(|e| ConfigError::Unreadable {
                    file: p.display().to_string(),
                    msg: e.to_string(),
                })?;
                let base = p.parent().unwrap_or(Path::new("."));
                let mut cfg = Config::parse_str(&src, &p.display().to_string(), base)?;
                cfg.file = Some(p.to_path_buf());
                Ok(cfg)
            }
            None => Config::parse_str(DEFAULT, "built-in default config", Path::new(".")),
        }
    }

    pub fn parse_str(src: &str, file: &str, base: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(src).map_err(|e| ConfigError::Invalid {
            file: file.to_string(),
            line: crate::text::toml_error_line(src, &e),
            msg: e
                .message()
                .lines()
                .next()
                .unwrap_or("invalid TOML")
                .to_string(),
        })?;
        let resolve = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };
        // A relative policy path counts from the config's folder too.
        let policy = if raw.policy.ends_with(".toml") {
            Policy::load(&resolve(Path::new(&raw.policy)).display().to_string())?
        } else {
            Policy::load(&raw.policy)?
        };
        let mut closures = Vec::new();
        for c in &raw.calendar.closures {
            let date = |v: &toml::Value| -> Result<NaiveDate, ConfigError> {
                let text = match v {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Datetime(d) => d.to_string(),
                    other => other.to_string(),
                };
                NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| ConfigError::Invalid {
                    file: file.to_string(),
                    line: line_of(src, "closures"),
                    msg: format!("closure date '{text}' is not a date in the form YYYY-MM-DD"),
                })
            };
            let from = date(&c.from)?;
            let to = c.to.as_ref().map(date).transpose()?.unwrap_or(from);
            if to < from {
                return Err(ConfigError::Invalid {
                    file: file.to_string(),
                    line: line_of(src, &from.to_string()),
                    msg: format!("closure ends ({to}) before it starts ({from})"),
                });
            }
            let mut d = from;
            while d <= to {
                closures.push((d, c.reason.clone()));
                d += chrono::Duration::days(1);
            }
        }
        let mailbox = match raw.mailbox {
            Some(MailboxConfig::Maildir { path }) => MailboxConfig::Maildir {
                path: resolve(&path),
            },
            Some(MailboxConfig::Imap(mut i)) => {
                // Secrets and CA files count from the config's folder, like every path.
                i.password_file = i.password_file.as_deref().map(resolve);
                i.ca_file = i.ca_file.as_deref().map(resolve);
                if let Some(o) = &mut i.oauth2 {
                    let has_password = i.password_file.is_some() || i.password_env.is_some();
                    o.resolve_files(resolve);
                    check_oauth2(o, "mailbox", has_password, src, file)?;
                    o.user.get_or_insert_with(|| i.user.clone());
                }
                MailboxConfig::Imap(i)
            }
            None => MailboxConfig::Maildir {
                path: resolve(Path::new("maildir")),
            },
        };
        let outbox = match raw.outbox {
            Some(OutboxConfig::File { path }) => OutboxConfig::File {
                path: resolve(&path),
            },
            Some(OutboxConfig::Smtp(mut o)) => {
                o.password_file = o.password_file.as_deref().map(resolve);
                o.ca_file = o.ca_file.as_deref().map(resolve);
                if let Some(oa) = &mut o.oauth2 {
                    let has_password = o.password_file.is_some() || o.password_env.is_some();
                    oa.resolve_files(resolve);
                    check_oauth2(oa, "outbox", has_password, src, file)?;
                    let user = o.user.clone().unwrap_or_else(|| raw.council.email.clone());
                    oa.user.get_or_insert(user);
                }
                OutboxConfig::Smtp(o)
            }
            None => OutboxConfig::File {
                path: resolve(Path::new("outbox")),
            },
        };
        let mut council = raw.council;
        if let Some(path) = &council.logo {
            let path = resolve(path);
            let logo =
                crate::council::logo::Logo::load(&path).map_err(|msg| ConfigError::Invalid {
                    file: file.to_string(),
                    line: line_of(src, "logo"),
                    msg: format!("logo: {msg}"),
                })?;
            council.logo_image = Some(std::sync::Arc::new(logo));
            council.logo = Some(path);
        }
        if let Some(prefix) = &council.reference_prefix {
            let ok = !prefix.is_empty()
                && prefix.len() <= 8
                && prefix
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if !ok {
                return Err(ConfigError::Invalid {
                    file: file.to_string(),
                    line: line_of(src, "reference_prefix"),
                    msg: format!(
                        "reference_prefix '{prefix}' must be 1-8 capital letters or digits"
                    ),
                });
            }
        } else {
            council.reference_prefix = Some(policy.preset.reference_prefix.clone());
        }
        let triage = match &raw.inbound.triage_rules {
            Some(p) => {
                crate::triage::Rules::load(&resolve(p)).map_err(|msg| ConfigError::Unreadable {
                    file: file.to_string(),
                    msg: format!("triage_rules: {msg}"),
                })?
            }
            None => crate::triage::Rules::default_rules(),
        };
        let mut letters = raw.letters;
        letters.templates = letters.templates.as_deref().map(resolve);
        let (per_file, per_letter) = (
            letters.max_file_attachment_bytes,
            letters.max_letter_attachment_bytes,
        );
        let bad_size = if per_letter == 0 || per_letter > MAX_LETTER_ATTACHMENTS {
            Some((
                "max_letter_attachment_bytes",
                format!("max_letter_attachment_bytes {per_letter} must be between 1 and {MAX_LETTER_ATTACHMENTS}"),
            ))
        } else if per_file == 0 || per_file > per_letter {
            Some((
                "max_file_attachment_bytes",
                format!("max_file_attachment_bytes {per_file} must be between 1 and max_letter_attachment_bytes ({per_letter})"),
            ))
        } else {
            None
        };
        if let Some((key, msg)) = bad_size {
            return Err(ConfigError::Invalid {
                file: file.to_string(),
                line: line_of(src, key),
                msg: format!("[letters] {msg}"),
            });
        }
        let schedules = raw
            .digest
            .iter()
            .map(|d| (format!("digest '{}'", d.name), &d.schedule))
            .chain(
                raw.report
                    .iter()
                    .map(|r| (format!("report '{}'", r.name), &r.schedule)),
            )
            .chain(
                raw.retention
                    .iter()
                    .map(|r| ("retention".to_string(), &r.schedule)),
            )
            .chain(
                raw.backup
                    .iter()
                    .map(|b| (format!("backup '{}'", b.name), &b.schedule)),
            );
        for (what, schedule) in schedules {
            if let Err(e) = schedule.parse::<cron::Schedule>() {
                return Err(ConfigError::Invalid {
                    file: file.to_string(),
                    line: line_of(src, schedule),
                    msg: format!(
                        "{what}: schedule '{schedule}' is not a cron expression (sec min hour day month weekday): {e}"
                    ),
                });
            }
        }
        for r in &raw.report {
            if ![
                "previous-month",
                "previous-quarter",
                "previous-financial-year",
            ]
            .contains(&r.period.as_str())
            {
                return Err(ConfigError::Invalid {
                    file: file.to_string(),
                    line: line_of(src, &r.period),
                    msg: format!(
                        "report '{}': period '{}' must be previous-month, previous-quarter or previous-financial-year",
                        r.name, r.period
                    ),
                });
            }
        }
        for st in &raw.staff {
            if let Some(m) = &st.manager {
                if !raw.staff.iter().any(|o| &o.name == m) {
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
        if let Some(d) = &raw.workflow.duty_manager {
            if !raw.staff.iter().any(|o| &o.name == d) {
                return Err(ConfigError::Invalid {
                    file: file.to_string(),
                    line: line_of(src, &format!("\"{d}\"")),
                    msg: format!("[workflow] duty_manager '{d}' is not listed under [[staff]]"),
                });
            }
        }
        if let Some(c) = &raw.workflow.safeguarding_contact {
            if !c.contains('@') && !raw.staff.iter().any(|o| &o.name == c) {
                return Err(ConfigError::Invalid {
                    file: file.to_string(),
                    line: line_of(src, &format!("\"{c}\"")),
                    msg: format!("[workflow] safeguarding_contact '{c}' is neither an email address nor listed under [[staff]]"),
                });
            }
        }
        for (key, v) in [
            ("director_contact", &raw.workflow.director_contact),
            ("monitoring_officer", &raw.workflow.monitoring_officer),
        ] {
            if let Some(c) = v {
                if !c.contains('@') && !raw.staff.iter().any(|o| &o.name == c) {
                    return Err(ConfigError::Invalid {
                        file: file.to_string(),
                        line: line_of(src, &format!("\"{c}\"")),
                        msg: format!("[workflow] {key} '{c}' is neither an email address nor listed under [[staff]]"),
                    });
                }
            }
        }
        for (i, b) in raw.backup.iter().enumerate() {
            if b.keep == 0 {
                return Err(ConfigError::Invalid {
                    file: file.to_string(),
                    line: line_of(src, "keep"),
                    msg: format!("backup '{}': keep must be at least 1", b.name),
                });
            }
            if raw.backup[..i].iter().any(|o| o.name == b.name) {
                return Err(ConfigError::Invalid {
                    file: file.to_string(),
                    line: line_of(src, "[[backup]]"),
                    msg: format!(
                        "two [[backup]] tables are named '{}': give each a name",
                        b.name
                    ),
                });
            }
        }
        let backups: Vec<BackupSchedule> = raw
            .backup
            .into_iter()
            .map(|mut b| {
                b.dir = b.dir.as_deref().map(resolve);
                b
            })
            .collect();
        // Each schedule keeps its newest `keep` files of its folder: two sharing a
        // folder would remove each other's.
        let folder = |b: &BackupSchedule| {
            b.dir
                .clone()
                .unwrap_or_else(|| resolve(&raw.data_dir).join("backups"))
        };
        for (i, b) in backups.iter().enumerate() {
            if let Some(o) = backups[..i].iter().find(|o| folder(o) == folder(b)) {
                return Err(ConfigError::Invalid {
                    file: file.to_string(),
                    line: line_of(src, "[[backup]]"),
                    msg: format!(
                        "backups '{}' and '{}' share the folder {}: give each its own dir (each keeps the newest files there)",
                        o.name,
                        b.name,
                        folder(b).display()
                    ),
                });
            }
        }
        let mut web = check_web(raw.web, src, file)?;
        web.metrics_token_file = web.metrics_token_file.as_deref().map(resolve);
        Ok(Config {
            backups,
            web,
            letters,
            workflow: raw.workflow,
            staff: raw.staff,
            digests: raw.digest,
            reports: raw.report,
            retention: raw.retention,
            inbound: raw.inbound,
            triage,
            council,
            policy,
            data_dir: resolve(&raw.data_dir),
            calendar: Calendar::with_closures(closures),
            mailbox,
            outbox,
            source: file.to_string(),
            file: None,
        })
    }

    pub fn reference_prefix(&self) -> &str {
        self.council
            .reference_prefix
            .as_deref()
            .unwrap_or(&self.policy.preset.reference_prefix)
    }

    pub fn staff(&self, name: &str) -> Option<&Staff> {
        self.staff.iter().find(|s| s.name == name)
    }

    /// The domain of the complaints inbox, used in our Message-IDs.
    pub fn mail_domain(&self) -> &str {
        self.council
            .email
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or("redress.invalid")
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("redress.db")
    }
}

/// `[TABLE.oauth2]` makes sense: one secret source, no password beside it, and a token
/// URL that is https (or http on loopback, for a local test server).
fn check_oauth2(
    o: &mut Oauth2Config,
    table: &str,
    has_password: bool,
    src: &str,
    file: &str,
) -> Result<(), ConfigError> {
    let header = format!("[{table}.oauth2]");
    let bad = |key: &str, msg: String| ConfigError::Invalid {
        file: file.to_string(),
        line: line_after(src, &header, key),
        msg: format!("{header} {msg}"),
    };
    if has_password {
        let key = src
            .lines()
            .skip_while(|l| !l.trim_start().starts_with(&format!("[{table}]")))
            .skip(1)
            .take_while(|l| !l.trim_start().starts_with('['))
            .find(|l| l.trim_start().starts_with("password_"))
            .and_then(|l| l.split('=').next())
            .map(|k| k.trim().to_string())
            .unwrap_or_else(|| "password_file".into());
        return Err(ConfigError::Invalid {
            file: file.to_string(),
            line: line_after(src, &format!("[{table}]"), &key),
            msg: format!(
                "[{table}] {key} and {header} are both set: log in with a password or with OAuth2, not both"
            ),
        });
    }
    // One way to prove who the client is: the keys set, in the order they are written.
    let mut set: Vec<(usize, &str)> = [
        ("secret_file", o.secret_file.is_some()),
        ("secret_env", o.secret_env.is_some()),
        ("private_key_file", o.private_key_file.is_some()),
        ("certificate_file", o.certificate_file.is_some()),
        ("service_account_file", o.service_account_file.is_some()),
    ]
    .into_iter()
    .filter(|(_, on)| *on)
    .map(|(k, _)| (line_after(src, &header, k), k))
    .collect();
    set.sort();
    let names: Vec<&str> = set.iter().map(|(_, k)| *k).collect();
    match names.as_slice() {
        [] => return Err(bad(
            &header,
            "needs the client secret from secret_file or secret_env (never written in this file), \
             or private_key_file and certificate_file, or service_account_file"
                .into(),
        )),
        ["secret_file" | "secret_env" | "service_account_file"]
        | ["private_key_file", "certificate_file"]
        | ["certificate_file", "private_key_file"] => {}
        ["private_key_file"] => {
            return Err(bad(
                "private_key_file",
                "has private_key_file without certificate_file: set both".into(),
            ))
        }
        ["certificate_file"] => {
            return Err(bad(
                "certificate_file",
                "has certificate_file without private_key_file: set both".into(),
            ))
        }
        [.., last] if names.len() == 2 && names.iter().all(|k| k.starts_with("secret_")) => {
            return Err(bad(
                last,
                "has both secret_file and secret_env: keep one".into(),
            ))
        }
        _ => {
            let key = *names.last().unwrap_or(&"secret_file");
            return Err(bad(
                key,
                format!(
                    "has {}: keep one way to sign in (a secret, a certificate, or a service account)",
                    names.join(" and ")
                ),
            ));
        }
    }
    if let Some(ca) = &o.ca_file {
        crate::tls::client_config(Some(ca)).map_err(|m| bad("ca_file", m))?;
    }
    if let (Some(k), Some(c)) = (&o.private_key_file, &o.certificate_file) {
        let signer = crate::jwt::load_certificate(k, c).map_err(|m| {
            let key = if m.starts_with("certificate_file") {
                "certificate_file"
            } else {
                "private_key_file"
            };
            bad(key, m)
        })?;
        o.signer = Some(signer);
    }
    if let Some(f) = &o.service_account_file {
        let signer =
            crate::jwt::load_service_account(f).map_err(|m| bad("service_account_file", m))?;
        if o.token_url.trim().is_empty() {
            if let crate::jwt::Signer::ServiceAccount { token_uri, .. } = &signer {
                o.token_url = token_uri.clone();
            }
        }
        o.signer = Some(signer);
        // Google issues nothing without one, and says so only at the first request.
        if o.scope.trim().is_empty() {
            return Err(bad(
                "service_account_file",
                "a service account needs scope (for Gmail: \"https://mail.google.com/\")".into(),
            ));
        }
    } else if o.client_id.trim().is_empty() {
        return Err(bad("client_id", "client_id is empty".into()));
    }
    if o.token_url.trim().is_empty() {
        return Err(bad(&header, "needs token_url".into()));
    }
    let url = oauth2::url::Url::parse(o.token_url.trim())
        .map_err(|e| bad("token_url", format!("token_url '{}': {e}", o.token_url)))?;
    let loopback = url
        .host_str()
        .is_some_and(|h| crate::tls::is_loopback(h.trim_start_matches('[').trim_end_matches(']')));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(bad(
                "token_url",
                format!(
                    "token_url '{}' must be https:// (http only on loopback): the client's credentials travel in it",
                    o.token_url
                ),
            ))
        }
    }
    Ok(())
}

/// The line of the first `needle` after the line holding `after` (else anywhere).
fn line_after(src: &str, after: &str, needle: &str) -> usize {
    let start = src.lines().position(|l| l.contains(after));
    match start {
        Some(s) => src
            .lines()
            .enumerate()
            .skip(s)
            .find(|(_, l)| l.contains(needle))
            .map(|(i, _)| i + 1)
            .unwrap_or(s + 1),
        None => line_of(src, needle),
    }
}

fn line_of(src: &str, needle: &str) -> usize {
    src.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_loads() {
        let c = Config::load(None).unwrap();
        assert_eq!(c.policy.name, "lgsco-code");
        assert_eq!(c.reference_prefix(), "EX");
        assert!(matches!(c.mailbox, MailboxConfig::Maildir { .. }));
    }

    #[test]
    fn closure_ranges_expand_to_each_day() {
        let src = format!(
            "{DEFAULT}\n[calendar]\nclosures = [{{ from = 2026-12-29, to = 2026-12-31, reason = \"Christmas closure\" }}]\n"
        );
        let c = Config::parse_str(&src, "t.toml", Path::new(".")).unwrap();
        assert_eq!(c.calendar.closures().len(), 3);
    }

    #[test]
    fn unknown_key_names_the_line() {
        let src = "policy = \"lgsco-code\"\ncolour = \"blue\"\n[council]\nname = \"X\"\nemail = \"a@b\"\n";
        let e = Config::parse_str(src, "t.toml", Path::new("."))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.toml: line 2: unknown field `colour`"),
            "{e}"
        );
    }
}

#[cfg(test)]
mod web_tests {
    use super::*;

    fn web(extra: &str) -> Result<Config, ConfigError> {
        Config::parse_str(
            &format!("{DEFAULT}\n[web]\n{extra}\n"),
            "t.toml",
            Path::new("."),
        )
    }

    #[test]
    fn web_defaults_are_loopback_8080_eight_hours() {
        let w = Config::load(None).unwrap().web;
        assert!(w.enabled);
        assert_eq!(w.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(w.session_idle_hours, 8);
        assert!(w.trusted_proxies.is_empty());
        assert_eq!(w.proxy_header, "X-Forwarded-Email");
        assert_eq!(w.client_address_header, "X-Forwarded-For");
        assert!(!w.secure_cookies());
        assert_eq!(w.sign_in_url(), "http://127.0.0.1:8080/");
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        let w = web("public_url = \"https://complaints.example.gov.uk\"\ntrusted_proxies = [\"10.0.0.5\", \"::1\"]")
            .unwrap()
            .web;
        assert!(w.secure_cookies());
        assert_eq!(w.trusted_proxies.len(), 2);
        assert_eq!(w.sign_in_url(), "https://complaints.example.gov.uk/");
    }

    #[test]
    fn bad_web_values_name_their_line() {
        for (extra, want) in [
            (
                "listen = \"localhost\"",
                "listen 'localhost' is not an address",
            ),
            (
                "trusted_proxies = [\"proxy.example\"]",
                "'proxy.example' is not an IP address",
            ),
            ("session_idle_hours = 0", "session_idle_hours 0 must be"),
            (
                "public_url = \"ftp://x\"",
                "public_url 'ftp://x' must start",
            ),
            (
                "proxy_header = \"X Email\"",
                "proxy_header 'X Email' is not a header name",
            ),
            (
                "client_address_header = \"X For\"",
                "client_address_header 'X For' is not a header name",
            ),
        ] {
            let e = web(extra).unwrap_err().to_string();
            let full = format!("{DEFAULT}\n[web]\n{extra}\n");
            let line = full.lines().position(|l| l == extra).unwrap() + 1;
            assert!(
                e.starts_with(&format!("t.toml: line {line}: [web] ")),
                "{e}"
            );
            assert!(e.contains(want), "{e}");
            assert_eq!(e.lines().count(), 1);
        }
        let e = web("colour = 1").unwrap_err().to_string();
        assert!(e.contains("unknown field `colour`"), "{e}");
    }
}

#[cfg(test)]
mod example_tests {
    use super::*;

    #[test]
    fn the_shipped_example_config_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/redress.example.toml");
        let c = Config::load(Some(&path)).unwrap();
        assert_eq!(c.reference_prefix(), "BNES");
        assert_eq!(c.calendar.closures().len(), 3);
        assert!(matches!(c.mailbox, MailboxConfig::Imap(_)));
        assert!(matches!(c.outbox, OutboxConfig::Smtp(_)));
    }
}

#[cfg(test)]
mod oauth2_tests {
    use super::*;

    const IMAP: &str = "[mailbox]\nkind = \"imap\"\nhost = \"outlook.office365.com\"\nuser = \"complaints@council.gov.uk\"\n";
    const OAUTH: &str = "[mailbox.oauth2]\ntoken_url = \"https://login.microsoftonline.com/t/oauth2/v2.0/token\"\nclient_id = \"app\"\nscope = \"https://outlook.office365.com/.default\"\n";

    fn parse(src: &str) -> Result<Config, ConfigError> {
        Config::parse_str(src, "t.toml", Path::new("/etc/redress"))
    }

    /// The default config with its [mailbox] and [outbox] replaced by `tail`.
    fn with(tail: &str) -> String {
        let head = DEFAULT.split("[mailbox]").next().unwrap();
        format!("{head}{tail}")
    }

    #[test]
    fn oauth2_tables_load_with_the_user_and_secret_resolved() {
        let src = with(&format!(
            "{IMAP}{OAUTH}secret_file = \"oauth2-secret\"\n\
             [outbox]\nkind = \"smtp\"\nhost = \"smtp.office365.com\"\nport = 587\n\
             [outbox.oauth2]\ntoken_url = \"http://127.0.0.1:9/token\"\nclient_id = \"app\"\nsecret_env = \"SECRET\"\n"
        ));
        let c = parse(&src).unwrap();
        let MailboxConfig::Imap(i) = &c.mailbox else {
            panic!()
        };
        let o = i.oauth2.as_ref().unwrap();
        assert_eq!(o.user.as_deref(), Some("complaints@council.gov.uk"));
        assert_eq!(
            o.secret_file.as_deref(),
            Some(Path::new("/etc/redress/oauth2-secret"))
        );
        let OutboxConfig::Smtp(s) = &c.outbox else {
            panic!()
        };
        // No SMTP user: the council's address sends.
        assert_eq!(
            s.oauth2.as_ref().unwrap().user.as_deref(),
            Some("complaints@example.gov.uk")
        );
    }

    #[test]
    fn bad_oauth2_tables_are_one_line_naming_the_key() {
        let cases = [
            (
                format!("{IMAP}password_file = \"p\"\n{OAUTH}secret_env = \"S\"\n"),
                "password_file = ",
                "[mailbox] password_file and [mailbox.oauth2] are both set",
            ),
            (
                format!("{IMAP}{OAUTH}"),
                "[mailbox.oauth2]",
                "needs the client secret from secret_file or secret_env",
            ),
            (
                format!("{IMAP}{OAUTH}secret_file = \"a\"\nsecret_env = \"B\"\n"),
                "secret_env = ",
                "has both secret_file and secret_env",
            ),
            (
                format!(
                    "{IMAP}{}secret_env = \"S\"\n",
                    OAUTH.replace("https://login.microsoftonline.com", "http://login.example")
                ),
                "token_url = ",
                "must be https:// (http only on loopback)",
            ),
        ];
        for (tail, line_with, want) in cases {
            let src = with(&tail);
            let e = parse(&src).unwrap_err().to_string();
            let line = src.lines().position(|l| l.starts_with(line_with)).unwrap() + 1;
            assert!(e.starts_with(&format!("t.toml: line {line}: ")), "{e}");
            assert!(e.contains(want), "{e}");
            assert_eq!(e.lines().count(), 1);
        }
    }
}
