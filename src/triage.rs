//! Triage of new mail: complaint, compliment, comment, service request or out of
//! scope, by weighted phrases from config, with the reason kept so an officer can see
//! why (and reclassify).

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

use crate::case::Kind;

pub const DEFAULT_RULES: &str = include_str!("../config/triage.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    threshold: u32,
    rule: Vec<RawRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    kind: String,
    exclusion: Option<String>,
    #[serde(rename = "where")]
    where_: Option<String>,
    url: Option<String>,
    phone: Option<String>,
    service: Option<String>,
    phrases: BTreeMap<String, u32>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub kind: Kind,
    /// For out-of-scope rules: which exclusion; for redirects: where to go instead.
    pub exclusion: Option<String>,
    pub redirect: Option<Redirect>,
    pub phrases: Vec<(String, u32)>,
}

/// Where a service request or out-of-scope message should go instead: the facts of
/// the redirect letter.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Redirect {
    #[serde(rename = "where")]
    pub where_: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Rules {
    pub threshold: u32,
    pub rules: Vec<Rule>,
    /// Every phrase of every rule in one automaton: a message is scanned once,
    /// not once per phrase. Pattern i is `phrase_of[i]` = (rule, phrase index).
    matcher: aho_corasick::AhoCorasick,
    phrase_of: Vec<(usize, usize)>,
}

/// The verdict on one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub kind: Kind,
    pub exclusion: Option<String>,
    pub redirect: Option<Redirect>,
    /// e.g. "compliment: 'thank you' +2, 'well done' +2 (score 4)".
    pub reason: String,
}

impl Rules {
    pub fn default_rules() -> Rules {
        Rules::parse_str(DEFAULT_RULES, "config/triage.toml")
            .expect("the shipped triage rules are valid")
    }

    pub fn load(path: &Path) -> Result<Rules, String> {
        let src = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Rules::parse_str(&src, &path.display().to_string())
    }

    pub fn parse_str(src: &str, file: &str) -> Result<Rules, String> {
        let raw: RawRules = toml::from_str(src).map_err(|e| {
            format!(
                "{file}: line {}: {}",
                crate::text::toml_error_line(src, &e),
                e.message().lines().next().unwrap_or("invalid TOML")
            )
        })?;
        let mut rules = Vec::new();
        for r in raw.rule {
            let kind = Kind::parse(&r.kind)
                .ok_or_else(|| format!("{file}: unknown kind '{}' in a [[rule]]", r.kind))?;
            let needs_redirect = matches!(kind, Kind::OutOfScope | Kind::ServiceRequest);
            if needs_redirect && r.where_.is_none() {
                return Err(format!(
                    "{file}: a {} rule needs `where` (where to go instead)",
                    kind.as_str()
                ));
            }
            if kind == Kind::OutOfScope && r.exclusion.is_none() {
                return Err(format!("{file}: an out-of-scope rule needs `exclusion` (what the procedure does not cover)"));
            }
            if kind == Kind::ServiceRequest && r.service.is_none() {
                return Err(format!("{file}: a service-request rule needs `service`"));
            }
            let redirect = r.where_.map(|w| Redirect {
                where_: w,
                url: r.url,
                phone: r.phone,
                service: r.service,
            });
            rules.push(Rule {
                kind,
                exclusion: r.exclusion,
                redirect,
                phrases: r
                    .phrases
                    .into_iter()
                    .map(|(p, w)| (p.to_lowercase(), w))
                    .collect(),
            });
        }
        let mut patterns = Vec::new();
        let mut phrase_of = Vec::new();
        for (ri, rule) in rules.iter().enumerate() {
            for (pi, (phrase, _)) in rule.phrases.iter().enumerate() {
                patterns.push(phrase.clone());
                phrase_of.push((ri, pi));
            }
        }
        let matcher =
            aho_corasick::AhoCorasick::new(&patterns).map_err(|e| format!("{file}: {e}"))?;
        Ok(Rules {
            threshold: raw.threshold,
            rules,
            matcher,
            phrase_of,
        })
    }

    /// Sort a message by its subject and body.
    pub fn classify(&self, subject: &str, body: &str) -> Verdict {
        let text = format!("{} \n {}", subject, body).to_lowercase();
        // One pass over the text marks which phrases occur as words.
        let mut found: Vec<Vec<bool>> = self
            .rules
            .iter()
            .map(|r| vec![false; r.phrases.len()])
            .collect();
        for m in self.matcher.find_overlapping_iter(&text) {
            let (ri, pi) = self.phrase_of[m.pattern().as_usize()];
            if !found[ri][pi] && is_word_match(&text, m.start(), m.end()) {
                found[ri][pi] = true;
            }
        }
        let mut best: Option<(u32, &Rule, Vec<String>)> = None;
        let mut complaint_score = 0;
        for (ri, rule) in self.rules.iter().enumerate() {
            let mut score = 0;
            let mut hits = Vec::new();
            for (pi, (phrase, w)) in rule.phrases.iter().enumerate() {
                if found[ri][pi] {
                    score += w;
                    hits.push(format!("'{phrase}' +{w}"));
                }
            }
            if rule.kind == Kind::Complaint {
                complaint_score = complaint_score.max(score);
            }
            // Ties go to the earlier rule; the complaint rule comes first in the shipped file.
            if score > 0 && best.as_ref().is_none_or(|(s, _, _)| score > *s) {
                best = Some((score, rule, hits));
            }
        }
        match best {
            Some((score, rule, hits)) if score >= self.threshold && !(rule.kind != Kind::Complaint && complaint_score >= score) => {
                let label = match &rule.exclusion {
                    Some(e) => format!("{} ({e})", rule.kind.as_str()),
                    None => rule.kind.as_str().to_string(),
                };
                Verdict {
                    kind: rule.kind,
                    exclusion: rule.exclusion.clone(),
                    redirect: rule.redirect.clone(),
                    reason: format!("{label}: {} (score {score})", hits.join(", ")),
                }
            }
            Some((score, rule, _)) if rule.kind != Kind::Complaint && complaint_score >= score => Verdict {
                kind: Kind::Complaint,
                exclusion: None,
                redirect: None,
                reason: format!("complaint: complaint wording scores {complaint_score}, as high as {} ({score})", rule.kind.as_str()),
            },
            _ => Verdict {
                kind: Kind::Complaint,
                exclusion: None,
                redirect: None,
                reason: format!("complaint: no rule reached the threshold of {}; treated as a complaint", self.threshold),
            },
        }
    }
}

/// Whether text[start..end] stands as a word: not inside another word at its start,
/// and not followed by letters unless the phrase is long enough to be a stem
/// ("complain" in "complained").
fn is_word_match(text: &str, start: usize, end: usize) -> bool {
    let before_ok = start == 0
        || !text[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric());
    let after_ok = end >= text.len()
        || !text[end..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric());
    before_ok && (after_ok || end - start >= 6)
}

/// Which of a preset's exclusions a case's text may fall under: each exclusion with a
/// listed phrase in `text` (case-insensitive), with the phrases found. A hint for the
/// officer, who decides with `redress exclude`; triage itself never applies one.
pub fn exclusion_hints<'a>(
    exclusions: &'a [crate::policy::Exclusion],
    text: &str,
) -> Vec<(&'a str, Vec<&'a str>)> {
    let text = text.to_lowercase();
    exclusions
        .iter()
        .filter_map(|x| {
            let found: Vec<&str> = x
                .phrases
                .iter()
                .filter(|p| !p.trim().is_empty() && text.contains(&p.to_lowercase()))
                .map(String::as_str)
                .collect();
            (!found.is_empty()).then_some((x.id.as_str(), found))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn exclusion_hints_name_each_exclusion_whose_phrases_occur() {
        let p = crate::policy::Policy::load("north-norfolk").unwrap();
        let hints = super::exclusion_hints(
            &p.preset.exclusions,
            "I raised this under WHISTLEBLOWING rules and my Grievance is pending",
        );
        let ids: Vec<&str> = hints.iter().map(|h| h.0).collect();
        assert_eq!(ids, ["employment", "whistleblowing"]);
        assert_eq!(hints[0].1, ["grievance"]);
        assert!(super::exclusion_hints(&p.preset.exclusions, "my bin was missed").is_empty());
    }

    use super::*;

    /// Whole-word (or whole-phrase) match, so "pcn" does not match inside another word.
    fn contains_phrase(text: &str, phrase: &str) -> bool {
        text.match_indices(phrase)
            .any(|(at, p)| is_word_match(text, at, at + p.len()))
    }

    #[test]
    fn sorts_the_kinds_people_actually_send() {
        let r = Rules::default_rules();
        assert_eq!(
            r.classify(
                "Bins",
                "I wish to complain: my bin has been missed three weeks running."
            )
            .kind,
            Kind::Complaint
        );
        assert_eq!(
            r.classify(
                "Thank you",
                "Thank you to the crew, excellent service this week."
            )
            .kind,
            Kind::Compliment
        );
        assert_eq!(
            r.classify(
                "Idea",
                "A suggestion: could the council consider more benches in the park?"
            )
            .kind,
            Kind::Comment
        );
        let v = r.classify(
            "PCN AB12345",
            "I received a penalty charge notice and want to appeal.",
        );
        assert_eq!(v.kind, Kind::OutOfScope);
        assert!(v
            .exclusion
            .as_deref()
            .unwrap()
            .starts_with("parking penalty charge notices"));
        assert!(
            v.reason.contains("'penalty charge notice' +5"),
            "{}",
            v.reason
        );
        assert_eq!(
            r.classify("FOI", "This is a freedom of information request.")
                .kind,
            Kind::OutOfScope
        );
        assert_eq!(
            r.classify("hello", "Please ring me back.").kind,
            Kind::Complaint
        );
    }

    #[test]
    fn a_complaint_that_mentions_a_school_stays_a_complaint() {
        let r = Rules::default_rules();
        let v = r.classify("Formal complaint", "I am dissatisfied with how the council handled my complaint about the headteacher parking.");
        assert_eq!(v.kind, Kind::Complaint, "{}", v.reason);
    }

    #[test]
    fn whole_words_only() {
        assert!(!contains_phrase("upcnorth", "pcn"));
        assert!(contains_phrase("my pcn, please", "pcn"));
        assert!(contains_phrase("i complained twice", "complain"));
    }
}
