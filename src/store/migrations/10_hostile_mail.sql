-- Migration 10: what hostile or odd mail needs.
-- Automatic letters answering mail, counted per clock hour (UTC, 'YYYY-MM-DDTHH'):
-- the overall hourly cap reads one row instead of counting letters.
CREATE TABLE auto_letter_hours (
    hour TEXT PRIMARY KEY,
    n    INTEGER NOT NULL
) WITHOUT ROWID;
-- A subject access export finds mail that named the person in Reply-To (web-form
-- relays, and strangers writing on their behalf). Few messages carry a Reply-To.
CREATE INDEX messages_reply_to ON messages(reply_to COLLATE NOCASE) WHERE reply_to IS NOT NULL;
-- The raw message becomes the last column of its row, so that a big message can be
-- written as a zero-filled blob (which SQLite does not build in memory when it ends
-- the record) and then filled in place, instead of being copied twice in memory by
-- the statement (the bound value, then the record). Columns added later go after it
-- and would undo that: add them to another table.
ALTER TABLE messages ADD COLUMN raw_last BLOB;
UPDATE messages SET raw_last = raw;
ALTER TABLE messages DROP COLUMN raw;
ALTER TABLE messages RENAME COLUMN raw_last TO raw;
ALTER TABLE quarantine ADD COLUMN raw_last BLOB NOT NULL DEFAULT x'';
UPDATE quarantine SET raw_last = raw;
ALTER TABLE quarantine DROP COLUMN raw;
ALTER TABLE quarantine RENAME COLUMN raw_last TO raw;
