//! The kinds kept as words in TEXT columns: an event's kind ([`EventKind`],
//! `events.kind`) and a letter's ([`letter::Kind`], `letters.kind`,
//! `triage_suggestions.letter_kind`, `deferred_acks.letter_kind`). Each is written as
//! the words it names itself by (`as_str`), so the stored words never change.
//!
//! A kind is written only from the type. Reading one back is strict where this build
//! alone writes the column, and lenient ([`Stored`]) where a row may name a kind this
//! build does not know: the event log is append-only and outlives versions, and a
//! letter row written by hand or by another version must still be listed, and fail
//! alone when the outbox finds no template for it.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Serialize, Serializer};
use std::fmt;

use crate::event::EventKind;
use crate::letter::kind as letter;

/// A kind whose words are stored.
pub trait Words: Copy {
    /// What the column calls it in an error ("event kind").
    const WHAT: &'static str;
    fn words(self) -> &'static str;
    fn from_words(words: &str) -> Option<Self>;
}

impl Words for EventKind {
    const WHAT: &'static str = "event kind";
    fn words(self) -> &'static str {
        self.as_str()
    }
    fn from_words(words: &str) -> Option<Self> {
        EventKind::parse(words)
    }
}

impl Words for letter::Kind {
    const WHAT: &'static str = "letter kind";
    fn words(self) -> &'static str {
        self.as_str()
    }
    fn from_words(words: &str) -> Option<Self> {
        letter::Kind::parse(words)
    }
}

fn to_sql<K: Words>(k: K) -> rusqlite::Result<ToSqlOutput<'static>> {
    Ok(k.words().into())
}

fn from_sql<K: Words>(v: ValueRef<'_>) -> FromSqlResult<K> {
    let words = v.as_str()?;
    K::from_words(words)
        .ok_or_else(|| FromSqlError::Other(format!("unknown {} '{words}'", K::WHAT).into()))
}

impl ToSql for EventKind {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        to_sql(*self)
    }
}

impl FromSql for EventKind {
    fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
        from_sql(v)
    }
}

impl ToSql for letter::Kind {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        to_sql(*self)
    }
}

impl FromSql for letter::Kind {
    fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
        from_sql(v)
    }
}

/// A kind as a row holds it: one this build knows, or the words of one it does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored<K> {
    Known(K),
    Unknown(String),
}

impl<K: Words> Stored<K> {
    /// The kind, if this build knows it.
    pub fn known(&self) -> Option<K> {
        match self {
            Stored::Known(k) => Some(*k),
            Stored::Unknown(_) => None,
        }
    }

    /// The words stored.
    pub fn as_str(&self) -> &str {
        match self {
            Stored::Known(k) => k.words(),
            Stored::Unknown(w) => w,
        }
    }
}

impl<K: Words> From<K> for Stored<K> {
    fn from(k: K) -> Self {
        Stored::Known(k)
    }
}

impl<K: Words> fmt::Display for Stored<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares with its words (`kind == "letter sent"`).
impl<K: Words> PartialEq<&str> for Stored<K> {
    fn eq(&self, words: &&str) -> bool {
        self.as_str() == *words
    }
}

impl<K: Words + PartialEq> PartialEq<K> for Stored<K> {
    fn eq(&self, k: &K) -> bool {
        self.known() == Some(*k)
    }
}

/// Serialized as its words, as pages and exports have always shown it.
impl<K: Words> Serialize for Stored<K> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<K: Words> ToSql for Stored<K> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl<K: Words> FromSql for Stored<K> {
    fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
        let words = v.as_str()?;
        Ok(match K::from_words(words) {
            Some(k) => Stored::Known(k),
            None => Stored::Unknown(words.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn kinds_are_written_and_read_as_their_words() {
        let db = Connection::open_in_memory().unwrap();
        let words: String = db
            .query_row("SELECT ?1", [EventKind::LetterSent], |r| r.get(0))
            .unwrap();
        assert_eq!(words, "letter sent");
        let k: letter::Kind = db
            .query_row("SELECT 'stage-response'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(k, letter::Kind::StageResponse);
        let e: EventKind = db
            .query_row("SELECT 'close (resolved)'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            e,
            EventKind::Transition(crate::case::Action::Close(
                crate::case::CloseReason::Resolved
            ))
        );
        // Strict where only this build writes; lenient where a row may not be ours.
        let strict = db.query_row("SELECT 'case opened'", [], |r| r.get::<_, EventKind>(0));
        assert!(strict
            .unwrap_err()
            .to_string()
            .contains("unknown event kind 'case opened'"));
        let lenient: Stored<EventKind> = db
            .query_row("SELECT 'case opened'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(lenient, Stored::Unknown("case opened".to_string()));
        assert_eq!(lenient, "case opened");
        assert_eq!(lenient.known(), None);
        let known: Stored<letter::Kind> =
            db.query_row("SELECT 'holding'", [], |r| r.get(0)).unwrap();
        assert_eq!(known, letter::Kind::Holding);
        assert_eq!(serde_json::to_value(&known).unwrap(), "holding");
    }
}
