-- Migration 21: files an officer encloses with a letter (a reply's attachments), kept
-- with the letter when it is queued, in the same transaction, and sent after its PDF.
-- Erasure deletes them with the case; a subject access export copies them.
CREATE TABLE letter_attachments (
    id           INTEGER PRIMARY KEY,
    letter_id    INTEGER NOT NULL REFERENCES letters(id),
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    UNIQUE (letter_id, position)
);
