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
