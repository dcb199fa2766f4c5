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
    #[serde(default)]
    service: Vec<RawService>,
}

/// A council service and the words that suggest a message is about it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    name: String,
    phrases: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    /// A short name for the rule (`[inbound] auto_redirect` names it to let it act alone).
    id: Option<String>,
    kind: String,
    /// A claim for money is a complaint when the mail also says the resident is
    /// dissatisfied: this rule then gives way to any complaint wording at all.
    #[serde(default)]
    unless_dissatisfied: bool,
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
    /// Its `id`, else its kind's name.
    pub id: String,
    pub kind: Kind,
    pub unless_dissatisfied: bool,
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
    /// Every phrase of every rule, in order: `phrase_of[i]` = (rule, phrase index) of
    /// `patterns[i]`. A message is scanned once for these and every other list
    /// ([`Rules::read`]), not once per phrase or per list.
    patterns: Vec<String>,
    phrase_of: Vec<(usize, usize)>,
    /// The council's services (`[[service]]`), each with its phrases, in file order,
    /// and every phrase in order: `service_patterns[i]` is `service_of[i]`.
    services: Vec<(String, Vec<String>)>,
    service_patterns: Vec<String>,
    service_of: Vec<(usize, usize)>,
}

/// What [`Rules::read`] finds in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read<'s> {
    pub verdict: Verdict,
    /// The service it seems to be about, and why ([`Rules::service_for`]).
    pub service: Option<(String, String)>,
    /// The safeguarding phrases in it ([`safeguarding_found`]).
    pub safeguarding: Vec<&'s str>,
}

/// The verdict on one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub kind: Kind,
    /// Which rule (its id) or preset exclusion (its id) suggested a redirect.
    pub rule: Option<String>,
    /// The preset's exclusion, when the suggestion is one of the preset's own.
    pub exclusion_id: Option<String>,
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
                id: r.id.unwrap_or_else(|| kind.as_str().to_string()),
                kind,
                unless_dissatisfied: r.unless_dissatisfied,
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
        // Built here only to refuse a list no automaton can hold; scans use the one
        // automaton over every list (`lists_matcher`).
        dfa(&patterns).map_err(|e| format!("{file}: {e}"))?;
        let mut services = Vec::new();
        let mut service_patterns = Vec::new();
        let mut service_of = Vec::new();
        for (si, sv) in raw.service.into_iter().enumerate() {
            let name = sv.name.trim().to_string();
            if name.is_empty() {
                return Err(format!("{file}: a [[service]] needs a `name`"));
            }
            if services
                .iter()
                .any(|(n, _): &(String, Vec<String>)| n == &name)
            {
                return Err(format!("{file}: service '{name}' is listed twice"));
            }
            let phrases: Vec<String> = sv
                .phrases
                .iter()
                .map(|p| p.trim().to_lowercase())
                .filter(|p| !p.is_empty())
                .collect();
            if phrases.is_empty() {
                return Err(format!("{file}: service '{name}' has no phrases"));
            }
            for (pi, p) in phrases.iter().enumerate() {
                service_patterns.push(p.clone());
                service_of.push((si, pi));
            }
            services.push((name, phrases));
        }
        dfa(&service_patterns).map_err(|e| format!("{file}: {e}"))?;
        Ok(Rules {
            threshold: raw.threshold,
            rules,
            patterns,
            phrase_of,
            services,
            service_patterns,
            service_of,
        })
    }

    /// The service a message seems to be about: the `[[service]]` with the most of its
    /// phrases in the subject and body (as words, case-insensitive), and why, e.g.
    /// "Waste and recycling: 'bin', 'collection'". None when no phrase occurs or two
    /// services tie: an officer sets it (`redress service REF S`).
    pub fn service_for(&self, subject: &str, body: &str) -> Option<(String, String)> {
        self.read(subject, body, &[], &[]).service
    }

    /// A message read once against every list: the rules, the services, a preset's
    /// `exclusions` and the `safeguarding` phrases, all in one automaton and one pass
    /// over its subject and body (lower case). What [`Rules::classify_with`],
    /// [`Rules::service_for`] and [`safeguarding_found`] each say of it.
    pub fn read<'s>(
        &self,
        subject: &str,
        body: &str,
        exclusions: &[crate::policy::Exclusion],
        safeguarding: &'s [String],
    ) -> Read<'s> {
        let text = format!("{subject} \n {body}").to_lowercase();
        let mut lists: Vec<(&[String], Form)> = vec![
            (&self.patterns, Form::AsRead),
            (&self.service_patterns, Form::AsRead),
            (safeguarding, Form::Trimmed),
        ];
        lists.extend(
            exclusions
                .iter()
                .map(|x| (x.phrases.as_slice(), Form::Trimmed)),
        );
        let mut found = words_found_in(&lists, &text).into_iter();
        let (rules, services, said) = (
            found.next().unwrap_or_default(),
            found.next().unwrap_or_default(),
            found.next().unwrap_or_default(),
        );
        let excluded: Vec<Vec<bool>> = found.collect();
        Read {
            verdict: self.verdict(&rules, exclusions, &excluded),
            service: self.service(&services),
            safeguarding: safeguarding
                .iter()
                .zip(said)
                .filter(|(_, f)| *f)
                .map(|(p, _)| p.as_str())
                .collect(),
        }
    }

    /// The service with the most phrases found (`found[i]`: `service_patterns[i]`).
    fn service(&self, flat: &[bool]) -> Option<(String, String)> {
        if self.services.is_empty() {
            return None;
        }
        let mut found: Vec<Vec<bool>> = self
            .services
            .iter()
            .map(|(_, p)| vec![false; p.len()])
            .collect();
        for (&(si, pi), f) in self.service_of.iter().zip(flat) {
            found[si][pi] = *f;
        }
        let hits: Vec<usize> = found
            .iter()
            .map(|f| f.iter().filter(|x| **x).count())
            .collect();
        let best = *hits.iter().max()?;
        if best == 0 || hits.iter().filter(|h| **h == best).count() > 1 {
            return None;
        }
        let si = hits.iter().position(|h| *h == best)?;
        let (name, phrases) = &self.services[si];
        let words: Vec<String> = phrases
            .iter()
            .zip(&found[si])
            .filter(|(_, f)| **f)
            .map(|(p, _)| format!("'{p}'"))
            .collect();
        Some((name.clone(), format!("{name}: {}", words.join(", "))))
    }

    /// Sort a message by its subject and body (the generic rules alone).
    pub fn classify(&self, subject: &str, body: &str) -> Verdict {
        self.classify_with(subject, body, &[])
    }

    /// Sort a message under a preset: its own exclusions (their wording and routes)
    /// come before the generic out-of-scope rules, which are only the fallback. An
    /// exclusion's phrases are hints, each found one scoring the threshold; like any
    /// other rule it gives way to complaint wording that scores as high.
    pub fn classify_with(
        &self,
        subject: &str,
        body: &str,
        exclusions: &[crate::policy::Exclusion],
    ) -> Verdict {
        self.read(subject, body, exclusions, &[]).verdict
    }

    /// The verdict from which phrases were found: `flat[i]` for `patterns[i]`, and
    /// `excluded[x][i]` for phrase i of `exclusions[x]`.
    fn verdict(
        &self,
        flat: &[bool],
        exclusions: &[crate::policy::Exclusion],
        excluded: &[Vec<bool>],
    ) -> Verdict {
        let mut found: Vec<Vec<bool>> = self
            .rules
            .iter()
            .map(|r| vec![false; r.phrases.len()])
            .collect();
        for (&(ri, pi), f) in self.phrase_of.iter().zip(flat) {
            found[ri][pi] = *f;
        }
        let scored: Vec<(u32, Vec<String>)> = self
            .rules
            .iter()
            .enumerate()
            .map(|(ri, rule)| {
                let mut score = 0;
                let mut hits = Vec::new();
                for (pi, (phrase, w)) in rule.phrases.iter().enumerate() {
                    if found[ri][pi] {
                        score += w;
                        hits.push(format!("'{phrase}' +{w}"));
                    }
                }
                (score, hits)
            })
            .collect();
        let complaint_score = self
            .rules
            .iter()
            .zip(&scored)
            .filter(|(r, _)| r.kind == Kind::Complaint)
            .map(|(_, (s, _))| *s)
            .max()
            .unwrap_or(0);
        let excluded = exclusion_found(exclusions, excluded);
        // An exclusion that gives way to any dissatisfaction (a claim inside a complaint)
        // still stands in for the generic rules, which would give way too.
        let candidate = excluded
            .as_ref()
            .filter(|(xi, _)| !(exclusions[*xi].unless_dissatisfied && complaint_score > 0));
        let mut best: Option<(u32, Candidate, Vec<String>)> = None;
        for (ri, (rule, (score, hits))) in self.rules.iter().zip(&scored).enumerate() {
            // A claim said alongside any dissatisfaction is part of a complaint.
            if rule.unless_dissatisfied && complaint_score > 0 {
                continue;
            }
            // The preset's exclusions stand in for the generic out-of-scope rules.
            if rule.kind == Kind::OutOfScope && excluded.is_some() {
                continue;
            }
            // Ties go to the earlier rule; the complaint rule comes first in the shipped file.
            if *score > 0 && best.as_ref().is_none_or(|(s, _, _)| score > s) {
                best = Some((*score, Candidate::Rule(ri), hits.clone()));
            }
        }
        if let Some((xi, phrases)) = candidate {
            let xi = *xi;
            let score = self.threshold * phrases.len() as u32;
            if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
                let hits = phrases
                    .iter()
                    .map(|p| format!("'{p}' +{}", self.threshold))
                    .collect();
                best = Some((score, Candidate::Exclusion(xi), hits));
            }
        }
        let kind_of = |c: &Candidate| match c {
            Candidate::Rule(ri) => self.rules[*ri].kind,
            Candidate::Exclusion(_) => Kind::OutOfScope,
        };
        match best {
            Some((score, c, hits))
                if score >= self.threshold
                    && !(kind_of(&c) != Kind::Complaint && complaint_score >= score) =>
            {
                let kind = kind_of(&c);
                let (rule, exclusion_id, exclusion, redirect) = match c {
                    Candidate::Rule(ri) => {
                        let r = &self.rules[ri];
                        (
                            (kind != Kind::Complaint).then(|| r.id.clone()),
                            None,
                            r.exclusion.clone(),
                            r.redirect.clone(),
                        )
                    }
                    Candidate::Exclusion(xi) => {
                        let x = &exclusions[xi];
                        (
                            Some(x.id.clone()),
                            Some(x.id.clone()),
                            Some(x.covers.clone()),
                            Some(Redirect {
                                where_: x.where_.clone(),
                                url: x.url.clone(),
                                phone: x.phone.clone(),
                                service: None,
                            }),
                        )
                    }
                };
                let label = match (&exclusion_id, &exclusion) {
                    (Some(id), _) => format!("out-of-scope (the policy's exclusion '{id}')"),
                    (None, Some(e)) => format!("{} ({e})", kind.as_str()),
                    (None, None) => kind.as_str().to_string(),
                };
                Verdict {
                    kind,
                    rule,
                    exclusion_id,
                    exclusion,
                    redirect,
                    reason: format!("{label}: {} (score {score})", hits.join(", ")),
                }
            }
            Some((score, c, _)) if kind_of(&c) != Kind::Complaint && complaint_score >= score => Verdict {
                kind: Kind::Complaint,
                rule: None,
                exclusion_id: None,
                exclusion: None,
                redirect: None,
                reason: format!("complaint: complaint wording scores {complaint_score}, as high as {} ({score})", kind_of(&c).as_str()),
            },
            _ => Verdict {
                kind: Kind::Complaint,
                rule: None,
                exclusion_id: None,
                exclusion: None,
                redirect: None,
                reason: format!("complaint: no rule reached the threshold of {}; treated as a complaint", self.threshold),
            },
        }
    }
}

/// What may win a classification: a rule of the file, or an exclusion of the preset.
enum Candidate {
    Rule(usize),
    Exclusion(usize),
}

/// The preset exclusion with the most of its phrases found (`found[x][i]`: phrase i
/// of `exclusions[x]` occurs as a word), and those phrases; the first listed on a tie.
fn exclusion_found<'a>(
    exclusions: &'a [crate::policy::Exclusion],
    found: &[Vec<bool>],
) -> Option<(usize, Vec<&'a str>)> {
    let mut best: Option<(usize, Vec<&str>)> = None;
    for (i, (x, found)) in exclusions.iter().zip(found).enumerate() {
        let hits: Vec<&str> = x
            .phrases
            .iter()
            .zip(found.iter().copied())
            .filter(|(_, f)| *f)
            .map(|(p, _)| p.as_str())
            .collect();
        if !hits.is_empty() && best.as_ref().is_none_or(|(_, b)| hits.len() > b.len()) {
            best = Some((i, hits));
        }
    }
    best
}

/// Whether `phrase` (trimmed, lower-cased) occurs in `text` (lower case) as a word
/// (see [`is_word_match`]).
fn has_word(text: &str, phrase: &str) -> bool {
    let p = phrase.trim().to_lowercase();
    !p.is_empty()
        && text
            .match_indices(&p)
            .any(|(at, m)| is_word_match(text, at, at + m.len()))
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

/// A triage suggestion only a person may act on: the redirect it would send.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// service-request or out-of-scope.
    pub kind: crate::case::Kind,
    /// The preset's exclusion, when it is one of the preset's own.
    pub exclusion_id: Option<String>,
    /// The drafted letter.
    pub letter_kind: crate::letter::Kind,
    pub letter_data: serde_json::Value,
    /// Triage's reason ("out-of-scope (...): 'pcn' +4 (score 4)").
    pub reason: String,
}

/// The words of the flag a possible safeguarding concern puts on a case: while it
/// stands, the scheduler closes nothing.
pub const SAFEGUARDING_FLAG: &str = "possible safeguarding concern";

/// The safeguarding phrases (`[workflow] safeguarding_phrases`) found in a message's
/// subject and body, case-insensitive, as words (a long phrase also as a stem:
/// "safeguard" in "safeguarding"). Any at all: a person must look at once.
pub fn safeguarding_found<'a>(phrases: &'a [String], subject: &str, body: &str) -> Vec<&'a str> {
    let text = format!("{subject} \n {body}").to_lowercase();
    phrases
        .iter()
        .zip(words_found(phrases, &text))
        .filter(|(_, f)| *f)
        .map(|(p, _)| p.as_str())
        .collect()
}

/// An automaton over `patterns` as a DFA: every message is scanned for every phrase
/// (overlapping matches), and a DFA does that several times faster than the default
/// NFA for the few hundred phrases of the rules (a few hundred KB, built once).
fn dfa<P: AsRef<[u8]>>(
    patterns: &[P],
) -> Result<aho_corasick::AhoCorasick, aho_corasick::BuildError> {
    aho_corasick::AhoCorasick::builder()
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(patterns)
}

/// How a list's phrases become patterns: as they are (the rules' and services',
/// made lower case when the file was read), or trimmed and made lower case here (a
/// preset's exclusions, the safeguarding phrases), an empty one never matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    AsRead,
    Trimmed,
}

/// One automaton over several phrase lists: pattern i is phrase `of[i].1` of list
/// `of[i].0`.
struct ListsMatcher {
    matcher: aho_corasick::AhoCorasick,
    of: Vec<(usize, usize)>,
}

/// The automaton over `lists`, built on first use and kept while they stay the same
/// (the config's lists: a few sets per process).
fn lists_matcher(lists: &[(&[String], Form)]) -> std::sync::Arc<ListsMatcher> {
    type Key = Vec<(Vec<String>, Form)>;
    type Cached = Vec<(Key, std::sync::Arc<ListsMatcher>)>;
    static CACHE: std::sync::Mutex<Cached> = std::sync::Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let same = |key: &Key| {
        key.len() == lists.len()
            && key
                .iter()
                .zip(lists)
                .all(|((k, kf), (l, lf))| kf == lf && k.as_slice() == *l)
    };
    if let Some((_, m)) = cache.iter().find(|(key, _)| same(key)) {
        return m.clone();
    }
    // An empty pattern would match everywhere: it stands for a phrase that never occurs.
    const NEVER: &str = "\u{0}\u{0}never";
    let mut patterns = Vec::new();
    let mut of = Vec::new();
    for (li, (list, form)) in lists.iter().enumerate() {
        for (pi, p) in list.iter().enumerate() {
            patterns.push(match form {
                Form::AsRead => p.clone(),
                Form::Trimmed => match p.trim().to_lowercase() {
                    p if p.is_empty() => NEVER.to_string(),
                    p => p,
                },
            });
            of.push((li, pi));
        }
    }
    let m = std::sync::Arc::new(match dfa(&patterns) {
        Ok(matcher) => ListsMatcher { matcher, of },
        // Too big for an automaton (the rules' own lists were checked when read):
        // nothing is found, rather than a panic.
        Err(_) => ListsMatcher {
            matcher: aho_corasick::AhoCorasick::new([NEVER]).expect("a literal"),
            of: Vec::new(),
        },
    });
    // A handful of sets in a process; a config reloaded with new lists starts afresh.
    if cache.len() >= 8 {
        cache.clear();
    }
    cache.push((
        lists.iter().map(|(l, f)| (l.to_vec(), *f)).collect(),
        m.clone(),
    ));
    m
}

/// Which phrases of each list occur in `text` (lower case) as words, in one pass.
fn words_found_in(lists: &[(&[String], Form)], text: &str) -> Vec<Vec<bool>> {
    let mut found: Vec<Vec<bool>> = lists.iter().map(|(l, _)| vec![false; l.len()]).collect();
    let m = lists_matcher(lists);
    for hit in m.matcher.find_overlapping_iter(text) {
        if let Some(&(li, pi)) = m.of.get(hit.pattern().as_usize()) {
            if !found[li][pi] && is_word_match(text, hit.start(), hit.end()) {
                found[li][pi] = true;
            }
        }
    }
    found
}

/// Which of `phrases` (trimmed, lower case) occur in `text` (lower case) as words.
fn words_found(phrases: &[String], text: &str) -> Vec<bool> {
    words_found_in(&[(phrases, Form::Trimmed)], text)
        .pop()
        .unwrap_or_default()
}

/// Someone writing for the resident, as a message says it (seed 002 l.194, 000 l.156).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Representation {
    /// councillor, mp, advocate, relative or other.
    pub role: &'static str,
    /// For whom, as the message names them ("Mr Brown", "my mother, Mrs Jean Smith").
    pub for_whom: Option<String>,
    /// The message says the resident agreed to it.
    pub consent: bool,
    /// The words that showed it, for the case's event.
    pub why: String,
}

/// Words saying the writer acts for someone else.
const ACTING_FOR: &[&str] = &[
    "on behalf of",
    "acting for",
    "my constituent",
    "i represent",
    "writing for my",
    "complain for my",
    "complaining for my",
    "as her advocate",
    "as his advocate",
    "as their advocate",
    "as her representative",
    "as his representative",
    "as their representative",
];

/// Who the writer is, by the first of these found (in this order).
const ROLES: &[(&str, &[&str])] = &[
    ("councillor", &["councillor", "cllr"]),
    (
        "mp",
        &[
            "member of parliament",
            "mp for",
            "as mp",
            "constituent",
            "mp's office",
            "constituency",
        ],
    ),
    (
        "advocate",
        &[
            "advocate",
            "advocacy",
            "citizens advice",
            "support worker",
            "solicitor",
        ],
    ),
    (
        "relative",
        &[
            "my mother",
            "my father",
            "my mum",
            "my dad",
            "my son",
            "my daughter",
            "my husband",
            "my wife",
            "my partner",
            "my brother",
            "my sister",
            "my grandmother",
            "my grandfather",
            "my nan",
            "my aunt",
            "my uncle",
            "my parents",
            "my elderly",
        ],
    ),
];

/// Words saying the resident agreed to be represented.
const CONSENT: &[&str] = &[
    "with her consent",
    "with his consent",
    "with their consent",
    "with her permission",
    "with his permission",
    "with their permission",
    "has given consent",
    "has given me consent",
    "have given consent",
    "given their consent",
    "given her consent",
    "given his consent",
    "signed consent",
    "consent form",
    "has authorised me",
    "authority to act",
    "asked me to write",
    "asked me to complain",
    "asked me to contact",
];

/// Whether a message is written for someone else, and by whom. Only explicit words
/// count ("on behalf of", "my constituent", "acting for"...): a resident writing
/// about their mother's care is not thereby her representative.
pub fn representation(subject: &str, body: &str) -> Option<Representation> {
    let original = format!("{subject} \n {body}");
    // ASCII lower case keeps byte offsets, so a match maps back to the original text.
    let text = original.to_ascii_lowercase();
    // The earliest cue, in one pass (most mail has none and stops here).
    static CUES: std::sync::LazyLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::LazyLock::new(|| dfa(ACTING_FOR).ok());
    let (at, cue) = CUES
        .as_ref()?
        .find_overlapping_iter(&text)
        .filter(|m| is_word_match(&text, m.start(), m.end()))
        .min_by_key(|m| m.start())
        .map(|m| (m.start(), ACTING_FOR[m.pattern().as_usize()]))?;
    let role = ROLES
        .iter()
        .find(|(_, words)| words.iter().any(|w| has_word(&text, w)))
        .map_or("other", |(r, _)| r);
    let for_whom = match cue {
        "on behalf of" | "acting for" | "my constituent" | "i represent" => {
            let start = at + cue.len();
            named_after(&original[start..])
        }
        "writing for my" | "complain for my" | "complaining for my" => {
            let start = at + cue.len() - "my".len();
            named_after(&original[start..])
        }
        _ => None,
    };
    let consent = CONSENT.iter().any(|c| text.contains(c));
    Some(Representation {
        role,
        for_whom,
        consent,
        why: format!("'{cue}'"),
    })
}

/// The person named at the start of `rest`: up to the first stop (a comma, full
/// stop, line end, or "who", "about", "regarding"...), with a title-led name after a
/// comma kept ("my mother, Mrs Jean Smith"). At most 80 characters; none if empty.
fn named_after(rest: &str) -> Option<String> {
    const STOPS: &[&str] = &[
        " who ",
        " about ",
        " regarding ",
        " concerning ",
        " in relation",
        " because ",
        " as ",
        " and ",
        " to ",
        " with ",
        " at ",
        " whose ",
        " from ",
        " in ",
    ];
    let rest = rest.trim_start();
    let mut end = rest
        .find([',', '.', '\n', '\r', ';', ':', '(', '\u{2026}'])
        .unwrap_or(rest.len());
    let lower = rest.to_ascii_lowercase();
    for s in STOPS {
        if let Some(i) = lower[..end].find(s) {
            end = end.min(i);
        }
    }
    let mut name = rest[..end].trim().to_string();
    // "my mother, Mrs Jean Smith, who...": the name after the comma too.
    if rest[end..].starts_with(',') {
        let after = rest[end + 1..].trim_start();
        let titled = ["Mr ", "Mrs ", "Ms ", "Miss ", "Mx ", "Dr "]
            .iter()
            .any(|t| after.starts_with(t));
        if titled {
            let stop = after
                .find([',', '.', '\n', ';', '('])
                .unwrap_or(after.len());
            let lower = after[..stop].to_ascii_lowercase();
            let stop = STOPS
                .iter()
                .filter_map(|s| lower.find(s))
                .min()
                .unwrap_or(stop);
            name = format!("{name}, {}", after[..stop].trim());
        }
    }
    let name: String = name.chars().filter(|c| !c.is_control()).take(80).collect();
    (!name.trim().is_empty()).then_some(name)
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

/// The words in `text` that suggest a complaint about a director or senior manager
/// (seed 004 l.424): "director", "directors", "senior manager(s)", as whole words. A hint
/// for the officer, who marks the case (`redress director REF --about NAME`); never acted
/// on by itself.
pub fn director_hints(text: &str) -> Vec<&'static str> {
    let text = text.to_lowercase();
    let whole = |w: &str| {
        text.match_indices(w).any(|(i, _)| {
            let before = !text[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_alphanumeric);
            let mut rest = text[i + w.len()..].chars();
            let after = match rest.next() {
                None => true,
                Some('s') => !rest.next().is_some_and(char::is_alphanumeric),
                Some(c) => !c.is_alphanumeric(),
            };
            before && after
        })
    };
    ["director", "senior manager"]
        .into_iter()
        .filter(|w| whole(w))
        .collect()
}

#[cfg(test)]
mod tests {
    /// One pass over every list finds in each what it finds with fewer lists beside
    /// it, a phrase in several lists included (the automaton reports each list's copy),
    /// and the figures worked out by hand.
    #[test]
    fn one_reading_of_every_list_agrees_with_each_list_read_alone() {
        let r = super::Rules::parse_str(
            "threshold = 3\n[[rule]]\nkind = \"complaint\"\nphrases = { complain = 3, \"not collected\" = 2 }\n\
             [[rule]]\nkind = \"compliment\"\nphrases = { \"thank you\" = 3 }\n\
             [[service]]\nname = \"Waste\"\nphrases = [\"bin\", \"not collected\"]\n\
             [[service]]\nname = \"Parking\"\nphrases = [\"parking\"]\n",
            "t.toml",
        )
        .unwrap();
        let policy = crate::policy::Policy::load("bath-and-north-east-somerset").unwrap();
        let exclusions = &policy.preset.exclusions;
        let excluded = exclusions
            .iter()
            .find(|x| !x.phrases.is_empty())
            .expect("the preset has an exclusion with phrases");
        let safeguarding = vec![
            " Not Collected ".to_string(),
            "vulnerable".to_string(),
            String::new(),
        ];
        for (subject, body) in [
            (
                "Bin not collected",
                "I complain: my bin was not collected. I am vulnerable.",
            ),
            ("Thank you", "Thank you for the parking permit."),
            (
                "About this",
                &*format!("This is about {}.", excluded.phrases[0]),
            ),
            ("", ""),
        ] {
            let read = r.read(subject, body, exclusions, &safeguarding);
            assert_eq!(
                read.verdict,
                r.classify_with(subject, body, exclusions),
                "{body}"
            );
            assert_eq!(read.service, r.service_for(subject, body), "{body}");
            assert_eq!(
                read.safeguarding,
                super::safeguarding_found(&safeguarding, subject, body),
                "{body}"
            );
        }
        let read = r.read(
            "Bin not collected",
            "I complain: my bin was not collected. I am vulnerable.",
            exclusions,
            &safeguarding,
        );
        assert_eq!(read.verdict.kind, crate::case::Kind::Complaint);
        assert_eq!(
            read.verdict.reason,
            "complaint: 'complain' +3, 'not collected' +2 (score 5)"
        );
        assert_eq!(
            read.service,
            Some(("Waste".into(), "Waste: 'bin', 'not collected'".into()))
        );
        assert_eq!(read.safeguarding, [" Not Collected ", "vulnerable"]);
        let out = r.read(
            "About this",
            &format!("This is about {}.", excluded.phrases[0]),
            exclusions,
            &[],
        );
        assert_eq!(
            out.verdict.exclusion_id.as_deref(),
            Some(excluded.id.as_str())
        );
    }

    #[test]
    fn director_hints_are_whole_words() {
        assert_eq!(
            super::director_hints("The Director of Place was rude"),
            ["director"]
        );
        assert_eq!(
            super::director_hints("two senior managers ignored me"),
            ["senior manager"]
        );
        assert!(super::director_hints("the directory was wrong").is_empty());
        assert!(super::director_hints("funeral directors").len() == 1);
    }

    #[test]
    fn the_service_with_most_phrases_is_suggested_and_a_tie_suggests_none() {
        let r = super::Rules::parse_str(
            "threshold = 3\n[[rule]]\nkind = \"complaint\"\nphrases = { complain = 3 }\n\
             [[service]]\nname = \"Waste\"\nphrases = [\"bin\", \"recycling\", \"collection\"]\n\
             [[service]]\nname = \"Parking\"\nphrases = [\"parking\", \"penalty charge\"]\n",
            "t.toml",
        )
        .unwrap();
        assert_eq!(
            r.service_for(
                "Missed BIN",
                "No collection for weeks, and the parking is bad"
            ),
            Some(("Waste".into(), "Waste: 'bin', 'collection'".into()))
        );
        // "bins" is not "bin" (short phrases match whole words only).
        assert_eq!(r.service_for("Cabinet", "robins and bins"), None);
        assert_eq!(
            r.service_for("Bin", "parking"),
            None,
            "a tie is left to an officer"
        );
        assert_eq!(r.service_for("Hello", "nothing here"), None);
        let err = super::Rules::parse_str(
            "threshold = 3\nrule = []\n[[service]]\nname = \"Waste\"\nphrases = []\n",
            "t.toml",
        )
        .unwrap_err();
        assert_eq!(err, "t.toml: service 'Waste' has no phrases");
    }

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
    fn a_councillor_or_mp_writing_for_a_resident_is_a_complaint_with_a_representative() {
        let r = Rules::default_rules();
        let cases = [
            ("Bins", "I am contacting you as ward councillor on behalf of Mr Brown, who has had his bins missed five weeks running. He is very unhappy.", "councillor", Some("Mr Brown")),
            ("Missed bins - complaint", "I am contacting you as ward councillor on behalf of Mr Brown, whose bins were missed five weeks running.", "councillor", Some("Mr Brown")),
            ("Constituent", "I write as Member of Parliament for the area on behalf of my constituent Mrs Patel, about the repairs to her flat which have not been done.", "mp", Some("my constituent Mrs Patel")),
            ("My mother", "I am writing on behalf of my elderly mother, Mrs Jean Smith, who cannot use email. She has asked me to complain for her about her missed assisted collection.", "relative", Some("my elderly mother, Mrs Jean Smith")),
            ("Advocacy", "I am an advocate with the local advocacy service acting for Mr Okafor. With his consent I am raising the delay to his housing application.", "advocate", Some("Mr Okafor")),
        ];
        for (subject, body, role, whom) in cases {
            let v = r.classify(subject, body);
            assert_eq!(v.kind, Kind::Complaint, "{body}: {}", v.reason);
            let rep = representation(subject, body).unwrap_or_else(|| panic!("{body}"));
            assert_eq!(rep.role, role, "{body}");
            assert_eq!(rep.for_whom.as_deref(), whom, "{body}");
        }
        assert!(representation("Advocacy", cases[4].1).unwrap().consent);
        assert!(!representation("Bins", cases[0].1).unwrap().consent);
        // Writing about a relative is not writing for them.
        assert_eq!(
            representation("Care", "My mother's bins were missed again, I am fed up."),
            None
        );
        // A councillor's own conduct is still excluded, and suggested as such.
        let v = r.classify(
            "Councillor",
            "I want to report a breach of the code of conduct by a councillor at the meeting.",
        );
        assert_eq!(v.kind, Kind::OutOfScope);
        assert_eq!(v.rule.as_deref(), Some("councillor-conduct"));
    }

    #[test]
    fn compensation_asked_for_inside_a_complaint_is_a_complaint() {
        let r = Rules::default_rules();
        for (subject, body) in [
            ("Roof repair", "I am not happy with how long you took to fix my roof. I want to make a claim for compensation for the damage."),
            ("Complaint", "I want to make a claim for compensation because of the damage your contractor did to my fence."),
            ("Pothole", "Your pothole damaged my car and I am disgusted nothing was done after I reported it. I want compensation."),
            ("Flooding", "I am very disappointed that the drain was never cleared and my kitchen flooded; please tell me how to make a claim."),
        ] {
            let v = r.classify(subject, body);
            assert_eq!(v.kind, Kind::Complaint, "{body}: {}", v.reason);
        }
        // A bare claim, with no dissatisfaction, is suggested for the insurance route.
        let v = r.classify(
            "Claim",
            "A council lorry damaged my car on Tuesday; I would like to make a claim.",
        );
        assert_eq!(v.kind, Kind::OutOfScope, "{}", v.reason);
        assert_eq!(v.rule.as_deref(), Some("insurance"));
    }

    #[test]
    fn safeguarding_words_are_found_in_residents_own_wording() {
        let phrases: Vec<String> = crate::config::SAFEGUARDING_PHRASES
            .iter()
            .map(|s| s.to_string())
            .collect();
        for (subject, body, word) in [
            ("Leisure centre", "I am worried that a member of your staff at the leisure centre has been behaving inappropriately with children. This is a safeguarding matter.", "safeguarding"),
            ("Complaint about my neighbour's care", "My elderly neighbour is being neglected by her carers, she has had no food for two days.", "neglected"),
            ("Housing", "If you evict me I will kill myself, I cannot cope any more.", "kill myself"),
            ("Tenancy", "My ex-partner has threatened to kill me and the housing office will not move me. It is domestic abuse.", "domestic abuse"),
        ] {
            let found = safeguarding_found(&phrases, subject, body);
            assert!(found.contains(&word), "{body}: {found:?}");
        }
        assert!(safeguarding_found(&phrases, "Bins", "My bin was missed again.").is_empty());
        // The generic rules no longer send a safeguarding matter to social care.
        let v = Rules::default_rules().classify(
            "Leisure centre",
            "I am worried that a member of your staff at the leisure centre has been behaving inappropriately with children. This is a safeguarding matter.",
        );
        assert_eq!(v.kind, Kind::Complaint, "{}", v.reason);
    }

    #[test]
    fn the_presets_own_exclusions_come_before_the_generic_rules() {
        let r = Rules::default_rules();
        let p = crate::policy::Policy::load("north-norfolk").unwrap();
        let x = &p.preset.exclusions;
        let v = r.classify_with(
            "Insurance claim",
            "I have an ongoing insurance claim against the council for my car.",
            x,
        );
        assert_eq!(v.kind, Kind::OutOfScope, "{}", v.reason);
        assert_eq!(v.exclusion_id.as_deref(), Some("insurance-claim"));
        assert_eq!(
            v.redirect.as_ref().unwrap().where_,
            "the council's insurance claims process, through the officer handling your claim"
        );
        // Complaint wording as strong as the hint keeps it a complaint.
        let v = r.classify_with(
            "Complaint",
            "I wish to complain that my grievance was ignored.",
            x,
        );
        assert_eq!(v.kind, Kind::Complaint, "{}", v.reason);
        // No exclusion of the preset matches: the generic rule is the fallback.
        let v = r.classify_with("PCN", "I received a penalty charge notice.", x);
        assert_eq!(v.rule.as_deref(), Some("pcn"));
        assert_eq!(v.exclusion_id, None);
    }

    #[test]
    fn whole_words_only() {
        assert!(!contains_phrase("upcnorth", "pcn"));
        assert!(contains_phrase("my pcn, please", "pcn"));
        assert!(contains_phrase("i complained twice", "complain"));
    }
}
