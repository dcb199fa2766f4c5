//! The case page in an officer's words: London times ("Mon 7 Dec 2026, 10:05"),
//! people by their display names, stages by the policy's names, the timeline as
//! sentences, and refusals with no command-line flag or config key in them.

use chrono::DateTime;

use crate::config::Config;
use crate::policy::Policy;
use crate::store::EventRow;

/// "Mon 7 Dec 2026, 10:05" in London, from a stored time; a date alone as "Mon 7 Dec
/// 2026"; anything else as it is ([`crate::time::stored_in_words`]).
pub(crate) fn when(s: &str) -> String {
    crate::time::stored_in_words(s)
}

/// `text` with every YYYY-MM-DD date in it written as [`day`] (and a stored time's
/// "T..." dropped to its London date and time).
pub(crate) fn dates_in(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let is_date = i + 10 <= b.len()
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && b[i..i + 4].iter().all(u8::is_ascii_digit)
            && b[i + 4] == b'-'
            && b[i + 5..i + 7].iter().all(u8::is_ascii_digit)
            && b[i + 7] == b'-'
            && b[i + 8..i + 10].iter().all(u8::is_ascii_digit)
            && (i + 10 == b.len() || !b[i + 10].is_ascii_digit());
        if is_date {
            // A whole stored time: up to the next space, comma or closing bracket.
            if b.get(i + 10) == Some(&b'T') {
                let end = text[i..]
                    .find(|c: char| c.is_whitespace() || c == ',' || c == ')' || c == ';')
                    .map_or(text.len(), |n| i + n);
                let t = text[i..end].trim_end_matches('.');
                if DateTime::parse_from_rfc3339(t).is_ok() {
                    out.push_str(&when(t));
                    i += t.len();
                    continue;
                }
            }
            if let Some(d) = crate::time::parse_iso(&text[i..i + 10]) {
                out.push_str(&crate::time::day_in_words(d));
                i += 10;
                // "2026-12-24 Thu" (the CLI's form): the weekday is said already.
                for wd in [
                    format!(" {}", d.format("%A")),
                    format!(" {}", d.format("%a")),
                ] {
                    let rest = &text[i..];
                    let whole = rest.starts_with(&wd)
                        && !rest[wd.len()..].starts_with(|c: char| c.is_alphanumeric());
                    if whole {
                        i += wd.len();
                        break;
                    }
                }
                continue;
            }
        }
        let c = text[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Who the desk names: staff by their display name where the config gives one, else
/// their login name; the daemon's own steps as the desk's.
pub(crate) struct People<'a> {
    cfg: &'a Config,
}

impl<'a> People<'a> {
    pub(crate) fn new(cfg: &'a Config) -> Self {
        People { cfg }
    }

    /// A login name ("sam") as the desk shows it ("Sam Patel").
    pub(crate) fn name(&self, login: &str) -> String {
        self.cfg
            .staff(login)
            .and_then(|s| s.display_name.clone())
            .unwrap_or_else(|| login.to_string())
    }

    /// An event's actor ("officer:sam", "mail", "scheduler") as a subject.
    pub(crate) fn actor(&self, actor: &str) -> String {
        // The daemon's own steps (mail taken in, letters sent) are Redress's.
        match actor.strip_prefix("officer:") {
            Some(login) => self.name(login),
            None => "Redress".into(),
        }
    }
}

/// A stage's name in the policy ("Stage 2 review"), for its id ("stage2").
pub(crate) fn stage_name(policy: &Policy, id: &str) -> String {
    policy
        .stage(id)
        .map_or_else(|| id.to_string(), |s| s.name.clone())
}

/// `text` with each stage id of the policy written as the stage's name.
fn stages_in(policy: &Policy, text: &str) -> String {
    let mut out = text.to_string();
    for s in &policy.preset.stages {
        if s.id == s.name {
            continue;
        }
        let mut next = String::new();
        let mut rest = out.as_str();
        while let Some(at) = rest.find(&s.id) {
            let before_ok = rest[..at]
                .chars()
                .last()
                .is_none_or(|c| !c.is_alphanumeric());
            let after = &rest[at + s.id.len()..];
            let after_ok = after.chars().next().is_none_or(|c| !c.is_alphanumeric());
            next.push_str(&rest[..at]);
            next.push_str(if before_ok && after_ok {
                &s.name
            } else {
                &s.id
            });
            rest = after;
        }
        next.push_str(rest);
        out = next;
    }
    out
}

/// A case's state in words.
pub(crate) fn state_words(state: &str) -> &'static str {
    match state {
        "received" => "Received, not acknowledged yet",
        "acknowledged" => "Acknowledged",
        "investigating" => "Being investigated",
        "responded" => "Responded",
        "awaiting-customer" => "Responded: the customer may ask for the next stage",
        "escalation-requested" => "The customer asked for the next stage",
        "escalated" => "Accepted into the next stage",
        "closed" => "Closed",
        _ => "Unknown",
    }
}

/// A case's kind in words.
pub(crate) fn kind_words(kind: &str) -> String {
    let k = kind.replace('-', " ");
    let mut c = k.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => k,
    }
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn full_stop(mut s: String) -> String {
    let t = s.trim_end();
    if !t.ends_with(['.', '!', '?']) {
        s = format!("{t}.");
    }
    s
}

/// One event of the timeline as a sentence: "Sam Patel assigned the case to Ann Jones."
pub(crate) fn sentence(e: &EventRow, people: &People, policy: &Policy) -> String {
    let who = people.actor(&e.actor);
    let detail = e
        .detail
        .as_deref()
        .map(|d| stages_in(policy, &dates_in(&officer_words(d))));
    let with = |s: String| match &detail {
        Some(d) if !d.trim().is_empty() => full_stop(format!("{s}: {d}")),
        _ => full_stop(s),
    };
    let s = match e.kind.as_str() {
        "opened" => {
            let via = e
                .detail
                .as_deref()
                .and_then(|d| d.split(", received by ").nth(1));
            let kind = e
                .detail
                .as_deref()
                .and_then(|d| d.split(" under policy").next())
                .unwrap_or("case")
                .replace('-', " ");
            match (e.actor.as_str(), via) {
                ("mail", _) => format!("The {kind} came by email and the case was opened."),
                (_, Some(v)) => format!("{who} opened the case: a {kind}, received by {v}."),
                _ => format!("{who} opened the case: a {kind}."),
            }
        }
        "set officer" => match e
            .detail
            .as_deref()
            .and_then(|d| d.strip_prefix("officer: "))
        {
            Some("(none)") | None => format!("{who} left the case unassigned."),
            Some(o) => format!("{who} assigned the case to {}.", people.name(o)),
        },
        "set service" => match e
            .detail
            .as_deref()
            .and_then(|d| d.strip_prefix("service: "))
        {
            Some("(none)") | None => format!("{who} cleared the service."),
            Some(s) => format!("{who} set the service to {s}."),
        },
        "set flagged" => format!("{who} cleared the flag."),
        "set kind" => match e.detail.as_deref().and_then(|d| d.strip_prefix("kind: ")) {
            Some(k) => format!("{who} corrected the kind to {}.", k.replace('-', " ")),
            None => with(format!("{who} corrected the kind")),
        },
        "note" => with(format!("{who} added a note")),
        "acknowledge" => with(format!("{who} acknowledged the case")),
        "start investigation" => with(format!("{who} started the investigation")),
        "respond" => with(format!("{who} sent the response")),
        "open reply window" => "The customer's time to ask for the next stage began.".to_string(),
        "request escalation" => with(format!("{who} recorded a request for the next stage")),
        "move to the next stage" => with(format!("{who} moved the complaint to the next stage")),
        "accept escalation" => with(format!("{who} accepted the case into the next stage")),
        "refer back" => with(format!("{who} referred the case back")),
        "reopen" => with(format!("{who} reopened the case")),
        "extended" => with(format!("{who} extended the deadline")),
        "deadlines paused" => with(format!("{who} paused the deadlines")),
        "deadlines resumed" => with(format!("{who} resumed the deadlines")),
        "message recorded" => format!("{who} wrote down what the resident said."),
        "message received" => match e.detail.as_deref() {
            Some(d) if d.contains("third party") => {
                "A message came in from someone other than the customer.".to_string()
            }
            _ => "A message came in from the customer.".to_string(),
        },
        "classified" => with(format!("{who} read the mail as")),
        "message attached from quarantine" => {
            with(format!("{who} attached a message from the quarantine"))
        }
        "opened from quarantine" => {
            with(format!("{who} opened the case from a quarantined message"))
        }
        "customer details corrected" => with(format!("{who} corrected the customer's details")),
        k if k.starts_with("letter ") => {
            // "acknowledgement letter <ex-2026-00001.acknowledgement.1@council.example>":
            // the letter, without its message id.
            let what = e
                .detail
                .as_deref()
                .unwrap_or("")
                .split(" <")
                .next()
                .unwrap_or("")
                .trim()
                .replace('-', " ");
            let what = if what.is_empty() {
                "a letter".to_string()
            } else {
                format!("the {what}")
            };
            match k {
                "letter requested" | "letter queued" => format!("{who} asked for {what}."),
                "letter sent" => format!("Redress sent {what}."),
                "letter held" => format!("{} is held to print and post.", upper_first(&what)),
                "letter bounced" => format!("{} bounced.", upper_first(&what)),
                "letter failed" => format!("{} could not be sent.", upper_first(&what)),
                _ => with(format!("{who}: {}", k)),
            }
        }
        k if k.starts_with("close (") => {
            let why = k
                .trim_start_matches("close (")
                .trim_end_matches(')')
                .replace('-', " ");
            with(format!("{who} closed the case ({why})"))
        }
        k => with(format!("{who}: {}", k.replace('-', " "))),
    };
    // A login name stays as it is written ("admin"); the desk's own words start upper.
    s
}

/// A refusal or a flag as an officer reads it: the case reference it starts with
/// dropped (the page names the case), and the command line's words (flags, commands,
/// config sections) said as the desk's.
pub(crate) fn officer_words(text: &str) -> String {
    const SAID: &[(&str, &str)] = &[
        (
            "is not listed under [[staff]] in the config",
            "is not one of the council's staff known to Redress: check the name",
        ),
        (
            "--reason goes with --council (the customer's own request needs none)",
            "a reason is given only when the council moves the case itself: the customer's own request needs none",
        ),
        (
            "--reason goes with --council",
            "a reason is given only when the council moves the case itself (Who asked: The council)",
        ),
        (
            "--address is empty: ",
            "No postal address was given: ",
        ),
        (
            "confirm the date with --confirm-date",
            "tick \"The received date is right\"",
        ),
        ("(--beyond-limit REASON)", "(give the reason for going past the limit)"),
        ("--late REASON", "the reason the late request is accepted"),
        ("--from-reply", "\"in their latest reply\""),
        ("--reason is required", "Give the reason"),
        ("--days must be at least 1", "Give at least 1 working day"),
        ("--outcome is required", "Choose the outcome"),
        ("--received ", "The received date "),
    ];
    let mut out = text.trim().to_string();
    // "EX-2026-00001: why": the page is the case's own.
    if let Some((head, rest)) = out.split_once(": ") {
        if head.len() < 24
            && head.contains('-')
            && !head.contains(' ')
            && head.chars().any(|c| c.is_ascii_digit())
        {
            out = rest.to_string();
        }
    }
    for (from, to) in SAID {
        out = out.replace(from, to);
    }
    // A command in backquotes: "confirm with `escalate EX-1 --from-reply`".
    while let Some(a) = out.find('`') {
        let Some(len) = out[a + 1..].find('`') else {
            break;
        };
        let b = a + 1 + len;
        let cmd = &out[a + 1..b];
        let said = if cmd.starts_with("escalate") {
            "Move to the next stage, \"in their latest reply\""
        } else if cmd.starts_with("close") {
            "Close the case"
        } else {
            "the desk's action"
        };
        out = format!("{}{}{}", &out[..a], said, &out[b + 1..]);
    }
    // Any flag left: "--new-email" reads "the new email".
    let words: Vec<String> = out
        .split(' ')
        .map(|w| match w.strip_prefix("--") {
            Some(f) if !f.is_empty() && f.chars().next().is_some_and(char::is_alphabetic) => {
                format!("the {}", f.replace('-', " "))
            }
            _ => w.to_string(),
        })
        .collect();
    words.join(" ").replace("[[staff]]", "the staff list")
}

/// The parts of a case's flag (joined with "; " as stored), each in words.
pub(crate) fn flags(policy: &Policy, flagged: Option<&str>) -> Vec<String> {
    flagged
        .unwrap_or("")
        .split("; ")
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| {
            let f = officer_words(f.trim_start_matches("URGENT: "));
            upper_first(&stages_in(policy, &dates_in(&f)))
        })
        .collect()
}

/// How a case came in, from its "opened" event: phone, letter, in person, or email.
pub(crate) fn channel(events: &[EventRow]) -> String {
    events
        .iter()
        .find(|e| e.kind.as_str().starts_with("opened"))
        .and_then(|e| {
            e.detail
                .as_deref()
                .and_then(|d| d.split(", received by ").nth(1))
                .map(str::to_string)
        })
        .map_or_else(
            || "Email".to_string(),
            |v| upper_first(&v.replace('-', " ")),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_london_and_dates_read_as_days() {
        assert_eq!(when("2026-12-07T10:05:00Z"), "Mon 7 Dec 2026, 10:05");
        // Summer time: an hour ahead of UTC.
        assert_eq!(when("2026-07-06T09:05:00Z"), "Mon 6 Jul 2026, 10:05");
        assert_eq!(when("2026-12-07"), "Mon 7 Dec 2026");
        assert_eq!(
            dates_in("to 2026-12-21 (5 working days): because"),
            "to Mon 21 Dec 2026 (5 working days): because"
        );
        assert_eq!(dates_in("ref EX-2026-00001"), "ref EX-2026-00001");
        assert_eq!(dates_in("(2026-12-24 Thu) = x"), "(Thu 24 Dec 2026) = x");
        assert_eq!(
            dates_in("skipped 2026-12-12 Saturday, 2026-12-25 Christmas Day"),
            "skipped Sat 12 Dec 2026, Fri 25 Dec 2026 Christmas Day"
        );
    }

    #[test]
    fn refusals_lose_the_command_line() {
        assert_eq!(
            officer_words("samm is not listed under [[staff]] in the config"),
            "samm is not one of the council's staff known to Redress: check the name"
        );
        assert_eq!(
            officer_words("--reason goes with --council"),
            "a reason is given only when the council moves the case itself (Who asked: The council)"
        );
        let w = officer_words(
            "--address is empty: a customer with no email needs a postal address for their letters",
        );
        assert!(w.starts_with("No postal address was given: "), "{w}");
        let w = officer_words("EX-2026-00001: the request is late; accept it with --late REASON");
        assert!(!w.contains("--") && !w.contains("EX-2026"), "{w}");
        let w = officer_words("possible review request in the customer's reply of 2026-12-07: confirm with `escalate EX-2026-00001 --from-reply`, or leave it");
        assert!(!w.contains('`') && !w.contains("--"), "{w}");
        assert!(w.contains("Move to the next stage"), "{w}");
        let w = officer_words("nothing to change: give --name, --new-email or --address");
        assert!(!w.contains("--"), "{w}");
    }

    #[test]
    fn stage_ids_are_named() {
        let p = Policy::load("buckinghamshire").unwrap();
        assert_eq!(stage_name(&p, "stage2"), "Stage 2 review");
        assert_eq!(
            stages_in(&p, "moved to stage2 from stage1"),
            "moved to Stage 2 review from Stage 1"
        );
    }
}

#[cfg(test)]
mod template_tests {
    #[test]
    fn the_desk_templates_parse() {
        if let Err(e) = crate::web::templates() {
            panic!("{e:#}");
        }
    }
}
