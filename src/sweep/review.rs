//! Does a customer's reply after our response ask for the next stage? A pure reading of
//! their own words (quoted text already left out), so that "I am no longer dissatisfied,
//! please close it" is not taken for a review request because it contains
//! "dissatisfied" (issue 22, item 7).
//!
//! The reply is read sentence by sentence, and each sentence in parts (split at commas
//! and at "and", "but", "however"...), since a negation only turns around wording in
//! its own part: "I am not happy, please review it" asks; "I do not want a review"
//! does not. Three lists from `[workflow]` drive it, beside `review_phrases`:
//!
//! - `review_closing_phrases` ("happy for you to close", "no longer dissatisfied"): no
//!   review is wanted, unless itself negated ("it is not resolved");
//! - `review_negations` ("not", "no longer", "thank you for"): a few words before review
//!   wording in the same part, they turn it around;
//! - `review_hedges` ("not sure", "whether", "can I"): review wording in a sentence with
//!   one of these, or in a question, is neither a request nor a refusal.
//!
//! A reply that only asks is a [`Intent::Request`]; one with no unhedged review wording
//! left is [`Intent::NotRequest`]; anything mixed or hedged is [`Intent::Uncertain`],
//! for an officer to read and confirm in one action. A wrong "request" opens a stage
//! and writes to the resident on its own, so doubt goes to a person.

use crate::config::WorkflowConfig;

/// What a reply says about the next stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// It asks for the next stage, and says nothing against it.
    Request,
    /// It does not ask: no review wording, or only negated ("no longer dissatisfied"),
    /// or it thanks and closes.
    NotRequest,
    /// Review wording hedged or asked as a question, or beside words that close.
    Uncertain,
}

/// How many words before review wording a negation still turns it around.
const NEGATION_REACH: usize = 6;

/// Read `words` (the customer's own: subject and unquoted body) with the phrase lists
/// of `w`.
pub fn read(words: &str, w: &WorkflowConfig) -> Intent {
    let lists = Lists {
        review: phrases(&w.review_phrases),
        closing: phrases(&w.review_closing_phrases),
        negations: phrases(&w.review_negations),
        hedges: phrases(&w.review_hedges),
    };
    let (mut requests, mut closings, mut uncertain) = (0, 0, 0);
    for (sentence, question) in sentences(&normalise(words)) {
        let hedged = question || lists.hedges.iter().any(|h| find(&sentence, h).is_some());
        for part in parts(&sentence) {
            match part_says(&part, &lists) {
                Says::Request if hedged => uncertain += 1,
                Says::Request => requests += 1,
                Says::Closing => closings += 1,
                Says::Nothing => {}
            }
        }
    }
    if uncertain > 0 || (requests > 0 && closings > 0) {
        Intent::Uncertain
    } else if requests > 0 {
        Intent::Request
    } else {
        Intent::NotRequest
    }
}

struct Lists {
    review: Vec<Vec<String>>,
    closing: Vec<Vec<String>>,
    negations: Vec<Vec<String>>,
    hedges: Vec<Vec<String>>,
}

enum Says {
    Request,
    Closing,
    Nothing,
}

/// What one part of a sentence says: closing words (not negated) win over review
/// wording; review wording every occurrence of which is negated says no.
fn part_says(part: &[String], l: &Lists) -> Says {
    let negated = |at: usize| {
        let from = at.saturating_sub(NEGATION_REACH);
        let before = &part[from..at];
        l.negations.iter().any(|n| find(before, n).is_some())
    };
    let closes = l
        .closing
        .iter()
        .flat_map(|c| all(part, c))
        .any(|at| !negated(at));
    if closes {
        return Says::Closing;
    }
    let found: Vec<usize> = l.review.iter().flat_map(|r| all(part, r)).collect();
    if found.is_empty() {
        Says::Nothing
    } else if found.iter().all(|&at| negated(at)) {
        Says::Closing
    } else {
        Says::Request
    }
}

/// Lower case, one kind of apostrophe, "n't" and "cannot" spelled out as "not".
fn normalise(s: &str) -> String {
    s.to_lowercase()
        .replace(['\u{2019}', '\u{2018}', '`'], "'")
        .replace("n't", " not")
        .replace("cannot", "can not")
}

/// The sentences of `s` as words, each with whether it ends in a question mark. A line
/// break ends a sentence too (a subject line, a signature).
fn sentences(s: &str) -> Vec<(Vec<String>, bool)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in s.chars() {
        match ch {
            '.' | '!' | '?' | ';' | '\n' => {
                let w = words(&cur);
                if !w.is_empty() {
                    out.push((w, ch == '?'));
                }
                cur.clear();
            }
            // A comma stays, as a word of its own, to split parts at.
            ',' => cur.push_str(" , "),
            c => cur.push(c),
        }
    }
    let w = words(&cur);
    if !w.is_empty() {
        out.push((w, false));
    }
    out
}

/// Words split at anything but letters, digits, apostrophes and commas (a comma is
/// spaced into a word of its own first, by [`sentences`]).
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == ','))
        .map(|w| w.trim_matches('\'').to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Where a negation stops reaching: commas and the words that join two thoughts.
const JOINS: &[&str] = &[",", "and", "but", "however", "though", "although", "so"];

fn parts(sentence: &[String]) -> Vec<Vec<String>> {
    sentence
        .split(|w| JOINS.contains(&w.as_str()))
        .filter(|p| !p.is_empty())
        .map(<[String]>::to_vec)
        .collect()
}

fn phrases(list: &[String]) -> Vec<Vec<String>> {
    list.iter()
        .map(|p| words(&normalise(p)))
        .map(|w| w.into_iter().filter(|x| x != ",").collect::<Vec<_>>())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether `phrase` occurs at word `i` of `text`: whole words, the last one (of four
/// letters or more) also as the start of a word ("review" in "reviewed").
fn at(text: &[String], phrase: &[String], i: usize) -> bool {
    let n = phrase.len();
    if i + n > text.len() {
        return false;
    }
    phrase.iter().enumerate().all(|(k, p)| {
        let w = &text[i + k];
        // Short words whole only: "can i" must not find "can it".
        if k + 1 == n && p.chars().count() >= 4 {
            w.starts_with(p.as_str())
        } else {
            w == p
        }
    })
}

fn find(text: &[String], phrase: &[String]) -> Option<usize> {
    (0..text.len()).find(|&i| at(text, phrase, i))
}

fn all<'a>(text: &'a [String], phrase: &'a [String]) -> impl Iterator<Item = usize> + 'a {
    (0..text.len()).filter(move |&i| at(text, phrase, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_default(s: &str) -> Intent {
        read(s, &WorkflowConfig::default())
    }

    #[test]
    fn clear_requests_in_residents_own_words() {
        for s in [
            "I want a review.",
            "Please escalate my complaint.",
            "I am not happy, please review my complaint",
            "Please take this to stage 2.",
            "I remain dissatisfied with your response.",
            "I am still not satisfied and I want this to go to the next stage.",
            "Thank you for your letter, but I remain dissatisfied and ask for a review.",
            "I'd like my complaint reviewed",
            "Stage 2 review request\nThe bins are still being missed.",
        ] {
            assert_eq!(read_default(s), Intent::Request, "{s}");
        }
    }

    #[test]
    fn negations_and_thanks_are_not_requests() {
        for s in [
            "I am no longer dissatisfied, please close it",
            "I'm not dissatisfied any more.",
            "I am happy for you to close it now.",
            "Please close my complaint.",
            "Thank you, that is all resolved.",
            "Thank you for reviewing my complaint so quickly.",
            "I don't want to take this further.",
            "I do not want to escalate this.",
            "There is no need to escalate, thanks.",
            "I would never ask for a review over this, it is fine now.",
            "Thanks for sorting it out",
            "Thank you",
            "",
            "The crew came back on Tuesday.",
            "A print preview of the letter was blank",
        ] {
            assert_eq!(read_default(s), Intent::NotRequest, "{s}");
        }
    }

    #[test]
    fn hedged_questioned_or_mixed_review_wording_is_uncertain() {
        for s in [
            "I'm not sure whether to ask for a review.",
            "Can I escalate?",
            "Could I take this to stage 2 if the bins are missed again?",
            "I am thinking about asking for a review.",
            "I remain dissatisfied. Please close my complaint.",
            "I was dissatisfied but I'm happy for you to close it now.",
            "Maybe a review would help",
        ] {
            assert_eq!(read_default(s), Intent::Uncertain, "{s}");
        }
    }

    #[test]
    fn a_closing_phrase_negated_closes_nothing() {
        // "not resolved" is dissatisfaction, not thanks: the request stands alone.
        assert_eq!(
            read_default("It has not been resolved, I want a review."),
            Intent::Request
        );
        assert_eq!(
            read_default("I am not happy for you to close it, please escalate it"),
            Intent::Request
        );
    }

    #[test]
    fn a_negation_reaches_only_its_own_part_and_a_few_words() {
        assert_eq!(
            read_default("I am not happy and want a review"),
            Intent::Request
        );
        assert_eq!(
            read_default("I do not think the officer listened to me at all and I would like the council to review it"),
            Intent::Request
        );
    }

    #[test]
    fn the_lists_are_the_configured_ones() {
        let mut w = WorkflowConfig {
            review_phrases: vec!["reconsider".into()],
            ..WorkflowConfig::default()
        };
        assert_eq!(read("Please reconsider.", &w), Intent::Request);
        assert_eq!(read("Please review it.", &w), Intent::NotRequest);
        w.review_hedges.clear();
        assert_eq!(read("Maybe reconsider", &w), Intent::Request);
        w.review_closing_phrases = vec!["all good".into()];
        assert_eq!(read("All good, reconsider", &w), Intent::Uncertain);
        w.review_negations = vec!["nae".into()];
        assert_eq!(read("Nae reconsider", &w), Intent::NotRequest);
    }
}
