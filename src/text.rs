//! Sender text made safe to keep and to quote: control characters out, whitespace
//! collapsed, length capped. Mail headers are written by strangers; a CR, LF or NUL in
//! a display name must never reach a header we write, a log line or a letter.

/// True when `s` holds a control character other than tab (CR, LF, NUL, ESC, DEL,
/// the C1 controls) or a Unicode line or paragraph separator.
pub fn has_control(s: &str) -> bool {
    s.chars().any(|c| is_breaking(c) && c != '\t')
}

/// The characters no sender text may carry into what we write or show: controls,
/// bidirectional overrides and isolates, line and paragraph separators, the BOM.
pub(crate) fn is_breaking(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}

/// One line of text: control characters (CR, LF, NUL, ESC, ...), bidirectional
/// overrides and line separators become spaces, runs of whitespace one space, trimmed,
/// and cut to at most `max` characters by [`cap`]. Empty when nothing printable is left.
pub fn one_line(s: &str, max: usize) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if is_breaking(c) { ' ' } else { c })
        .collect();
    cap(
        cleaned.split_whitespace().collect::<Vec<_>>().join(" "),
        max,
    )
}

/// `s` cut to at most `max` characters, at a word boundary where one is near (in the
/// last fifth of what is kept), with an ellipsis marking the cut.
pub fn cap(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        return s;
    }
    let keep = max.saturating_sub(1);
    let cut: String = s.chars().take(keep).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if cut[..i].chars().count() >= keep - keep / 5 => cut[..i].to_string(),
        _ => cut,
    };
    format!("{}\u{2026}", cut.trim_end())
}

/// Where the header section at the start of a raw message `buf` ends: just after the
/// blank line that closes it (CRLF or bare LF mail), if that blank line is there.
pub fn header_end(buf: &[u8]) -> Option<usize> {
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A display name as we may keep it: `None` when it carried a line break, NUL or
/// other control character (a header injection attempt, or garbage: the address alone
/// is safer than a guess), otherwise one line of at most 100 characters.
pub fn display_name(s: &str) -> Option<String> {
    if has_control(s) {
        return None;
    }
    Some(one_line(s, NAME_MAX)).filter(|n| !n.is_empty())
}

/// The longest name quoted back to a sender.
pub const NAME_MAX: usize = 100;
/// The longest subject quoted back to a sender.
pub const SUBJECT_MAX: usize = 200;

/// The line a TOML error is about. toml reports an unknown key with the span of the
/// whole table, so for those the key itself is looked up.
pub fn toml_error_line(src: &str, e: &toml::de::Error) -> usize {
    let msg = e.message();
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        if let Some(key) = rest.split('`').next() {
            let start = e.span().map(|s| s.start).unwrap_or(0);
            let before = src[..start.min(src.len())].lines().count();
            let hit = src
                .lines()
                .enumerate()
                .skip(before.saturating_sub(1))
                .find(|(_, l)| {
                    let t = l.trim_start();
                    t.strip_prefix(key)
                        .is_some_and(|r| r.trim_start().starts_with('='))
                });
            if let Some((i, _)) = hit {
                return i + 1;
            }
        }
    }
    match e.span() {
        Some(s) => {
            let start = s.start.min(src.len());
            // Count the newlines before the span: the span's own line is one more.
            src[..start].matches('\n').count() + 1
        }
        None => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_and_controls_become_one_space() {
        assert_eq!(one_line(" a\r\n\tb\u{0}c\u{1b}[31m ", 50), "a b c [31m");
        assert_eq!(one_line("x\u{2028}y", 50), "x y");
        assert_eq!(one_line("\u{202E}gnp.exe  \t", 50), "gnp.exe");
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        let s = "word ".repeat(100);
        let c = one_line(&s, 20);
        assert_eq!(c, "word word word word…");
        assert_eq!(one_line(&"x".repeat(30), 10), "xxxxxxxxx…");
        assert_eq!(one_line("short", 20), "short");
        assert_eq!(one_line(&"é".repeat(20), 20), "é".repeat(20));
    }

    #[test]
    fn the_header_section_ends_at_the_first_blank_line() {
        assert_eq!(header_end(b"A: b\r\nC: d\r\n\r\nbody\r\n\r\n"), Some(14));
        assert_eq!(header_end(b"A: b\n\nbody"), Some(6));
        assert_eq!(header_end(b"A: b\r\nC: d"), None);
    }

    #[test]
    fn a_name_with_a_line_break_is_not_kept() {
        assert_eq!(display_name("Eve\r\nBcc: all@example.org"), None);
        assert_eq!(display_name("Eve\u{0}"), None);
        assert_eq!(display_name("  Jo \t Bloggs "), Some("Jo Bloggs".into()));
        assert_eq!(display_name("   "), None);
    }
}

/// An officer's search: each word (letters and digits; other characters split it, as
/// the index's tokenizer does) must occur, the last part of each as a prefix, so
/// "BNES-2026-0004" finds BNES-2026-00042 and "acac ave" finds Acacia Avenue. Nothing
/// the officer types is FTS5 syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// Each word's parts, lowercased ("BNES-2026-0004": bnes, 2026, 0004).
    words: Vec<Vec<String>>,
}

/// The longest search the desk takes, in characters: a few words or a reference.
pub const SEARCH_CHARS: usize = 200;
/// The most distinct words a search may have (after repeats and words another word
/// already implies are dropped): every word is one more index lookup.
pub const SEARCH_WORDS: usize = 6;

/// Why a search cannot be run, as the officer is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchRefused {
    /// Nothing to look for (no letters or digits).
    NoWords,
    /// Longer than [`SEARCH_CHARS`].
    TooLong,
    /// More than [`SEARCH_WORDS`] distinct words.
    TooManyWords,
}

impl std::fmt::Display for SearchRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SearchRefused::NoWords => f.write_str("Search for words or numbers (letters or digits)"),
            SearchRefused::TooLong => write!(
                f,
                "A search can be at most {SEARCH_CHARS} characters: search for a few words or a reference"
            ),
            SearchRefused::TooManyWords => write!(
                f,
                "A search can have at most {SEARCH_WORDS} different words: leave out the common ones"
            ),
        }
    }
}

impl Search {
    /// The search typed, or why it cannot be run. Repeated words count once, and a word
    /// that another word already implies ("res" beside "resident", "a" beside
    /// "acacia") is dropped: neither changes what is found, only what it costs.
    pub fn parse(input: &str) -> Result<Search, SearchRefused> {
        if input.chars().count() > SEARCH_CHARS {
            return Err(SearchRefused::TooLong);
        }
        let mut words: Vec<Vec<String>> = Vec::new();
        for word in input.split_whitespace().map(|w| {
            w.split(|c: char| !c.is_alphanumeric())
                .filter(|p| !p.is_empty())
                .map(|p| p.to_lowercase())
                .collect::<Vec<_>>()
        }) {
            if !word.is_empty() && !words.contains(&word) {
                words.push(word);
            }
        }
        // A one-part word matches a row holding a token that starts with it; any other
        // word with a part starting with it (its earlier parts whole tokens, its last a
        // prefix) only matches rows holding such a token.
        let implied = |i: usize| {
            let [only] = words[i].as_slice() else {
                return false;
            };
            words
                .iter()
                .enumerate()
                .any(|(j, w)| j != i && w.iter().any(|p| p.starts_with(only.as_str())))
        };
        let keep: Vec<bool> = (0..words.len()).map(|i| !implied(i)).collect();
        let mut kept = keep.iter();
        words.retain(|_| *kept.next().unwrap_or(&true));
        if words.is_empty() {
            return Err(SearchRefused::NoWords);
        }
        if words.len() > SEARCH_WORDS {
            return Err(SearchRefused::TooManyWords);
        }
        Ok(Search { words })
    }

    pub fn words(&self) -> &[Vec<String>] {
        &self.words
    }

    /// The whole search as one FTS5 query: every word a prefix phrase, all required.
    pub fn fts(&self) -> String {
        let words: Vec<String> = self.words.iter().map(|w| phrase(w, true)).collect();
        words.join(" AND ")
    }
}

/// One word as an FTS5 phrase (its parts are letters and digits only, so quoting is
/// safe), its last part a prefix or whole.
pub fn phrase(parts: &[String], prefix: bool) -> String {
    format!("\"{}\"{}", parts.join(" "), if prefix { "*" } else { "" })
}

#[cfg(test)]
mod search_tests {
    use super::Search;

    fn search_query(input: &str) -> Option<String> {
        Search::parse(input).ok().map(|s| s.fts())
    }

    #[test]
    fn search_words_become_a_safe_prefix_query() {
        assert_eq!(
            search_query("BNES-2026-0004").as_deref(),
            Some("\"bnes 2026 0004\"*")
        );
        assert_eq!(
            search_query("  acac  Ave ").as_deref(),
            Some("\"acac\"* AND \"ave\"*")
        );
        // FTS5 operators and quotes are just separators.
        assert_eq!(
            search_query("x\" OR NEAR(y) *").as_deref(),
            Some("\"x\"* AND \"or\"* AND \"near y\"*")
        );
        assert_eq!(search_query(" -- \"\" "), None);
    }

    /// The probe's search, `a* ` 5,000 times (15 KB): refused for its length; the same
    /// word repeated within the limit is one word, and a word another implies goes.
    #[test]
    fn repeats_and_implied_words_are_merged_and_a_search_is_bounded() {
        use super::{SearchRefused, SEARCH_CHARS, SEARCH_WORDS};
        assert_eq!(
            Search::parse(&"a* ".repeat(5_000)),
            Err(SearchRefused::TooLong)
        );
        assert_eq!(search_query(&"a* ".repeat(60)).as_deref(), Some("\"a\"*"));
        assert_eq!(
            search_query("res Resident resident acacia A").as_deref(),
            Some("\"resident\"* AND \"acacia\"*")
        );
        // "20" is implied by the reference's "2026" part, "bnes" by its first.
        assert_eq!(
            search_query("20 BNES-2026 bnes").as_deref(),
            Some("\"bnes 2026\"*")
        );
        // Words that imply nothing of each other all stay.
        assert_eq!(
            search_query("bins missed").as_deref(),
            Some("\"bins\"* AND \"missed\"*")
        );
        let seven = "one two three four five six seven";
        assert_eq!(Search::parse(seven), Err(SearchRefused::TooManyWords));
        assert!(Search::parse("one two three four five six").is_ok());
        assert_eq!(SEARCH_WORDS, 6);
        assert!(Search::parse(&"x".repeat(SEARCH_CHARS)).is_ok());
        assert_eq!(
            Search::parse(&"x".repeat(SEARCH_CHARS + 1)),
            Err(SearchRefused::TooLong)
        );
        assert_eq!(Search::parse(" * "), Err(SearchRefused::NoWords));
    }
}
