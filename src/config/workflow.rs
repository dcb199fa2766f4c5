//! `[workflow]`: the daemon's automatic steps, the wording it reads replies by, and who
//! it tells.

use serde::Deserialize;

use super::{line_of, ConfigError, Staff};

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

impl WorkflowConfig {
    /// Everyone `[workflow]` names is on the staff list (or, for a contact, an email
    /// address).
    pub(super) fn check_contacts(
        &self,
        staff: &[Staff],
        src: &str,
        file: &str,
    ) -> Result<(), ConfigError> {
        if let Some(d) = &self.duty_manager {
            if !staff.iter().any(|o| &o.name == d) {
                return Err(ConfigError::Invalid {
                    file: file.to_string(),
                    line: line_of(src, &format!("\"{d}\"")),
                    msg: format!("[workflow] duty_manager '{d}' is not listed under [[staff]]"),
                });
            }
        }
        if let Some(c) = &self.safeguarding_contact {
            if !c.contains('@') && !staff.iter().any(|o| &o.name == c) {
                return Err(ConfigError::Invalid {
                    file: file.to_string(),
                    line: line_of(src, &format!("\"{c}\"")),
                    msg: format!("[workflow] safeguarding_contact '{c}' is neither an email address nor listed under [[staff]]"),
                });
            }
        }
        for (key, v) in [
            ("director_contact", &self.director_contact),
            ("monitoring_officer", &self.monitoring_officer),
        ] {
            if let Some(c) = v {
                if !c.contains('@') && !staff.iter().any(|o| &o.name == c) {
                    return Err(ConfigError::Invalid {
                        file: file.to_string(),
                        line: line_of(src, &format!("\"{c}\"")),
                        msg: format!("[workflow] {key} '{c}' is neither an email address nor listed under [[staff]]"),
                    });
                }
            }
        }
        Ok(())
    }
}
