//! `[inbound]`: how new mail is handled.

use serde::Deserialize;
use std::path::{Path, PathBuf};

use super::ConfigError;

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

impl InboundConfig {
    /// The triage rules: `triage_rules` (counted from the config's folder), else the
    /// shipped ones.
    pub(super) fn triage(
        &self,
        resolve: &dyn Fn(&Path) -> PathBuf,
        file: &str,
    ) -> Result<crate::triage::Rules, ConfigError> {
        Ok(match &self.triage_rules {
            Some(p) => {
                crate::triage::Rules::load(&resolve(p)).map_err(|msg| ConfigError::Unreadable {
                    file: file.to_string(),
                    msg: format!("triage_rules: {msg}"),
                })?
            }
            None => crate::triage::Rules::default_rules(),
        })
    }
}
