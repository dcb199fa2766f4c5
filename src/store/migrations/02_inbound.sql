-- Migration 2: inbound mail (sources, quarantine, attachments, threading) and letter requests.

-- Where each mailbox source has got to: IMAP UIDVALIDITY and last UID per folder.
CREATE TABLE mail_sources (
    source      TEXT PRIMARY KEY,
    uidvalidity INTEGER,
    last_uid    INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT NOT NULL
);

ALTER TABLE messages ADD COLUMN message_id TEXT;
ALTER TABLE messages ADD COLUMN in_reply_to TEXT;
ALTER TABLE messages ADD COLUMN refs TEXT;
ALTER TABLE messages ADD COLUMN reply_to TEXT;
ALTER TABLE messages ADD COLUMN body_text TEXT;
-- how the message was matched to its case: new, subject-ref, header, body-ref, probable, third-party, closed-case
ALTER TABLE messages ADD COLUMN matched_by TEXT;
-- complaint, compliment, ... and why
ALTER TABLE messages ADD COLUMN triage TEXT;
ALTER TABLE messages ADD COLUMN triage_reason TEXT;
-- why no automatic reply was sent (auto-reply, bounce, loop, backlog, rate-limit, restriction)
ALTER TABLE messages ADD COLUMN no_reply_reason TEXT;
ALTER TABLE messages ADD COLUMN size INTEGER;
CREATE INDEX messages_message_id ON messages(message_id);
CREATE INDEX messages_from ON messages(from_addr);

CREATE TABLE attachments (
    id         INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id),
    name       TEXT,
    mime_type  TEXT,
    size       INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    -- NULL when left out for being over the configured size limit
    content    BLOB,
    note       TEXT
);
CREATE INDEX attachments_message ON attachments(message_id);

-- Mail that could not be stored as a message on a case, with its reason; never blocks the queue.
CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    ingest_key  TEXT NOT NULL UNIQUE,
    raw         BLOB NOT NULL,
    reason      TEXT NOT NULL,
    received_at TEXT NOT NULL
);

-- Letter requests: a letter is asked for (status 'pending') in the same transaction as
-- the event that owes it; the outbox renders it ('queued') and sends it.
ALTER TABLE letters ADD COLUMN in_reply_to TEXT;
ALTER TABLE letters ADD COLUMN refs TEXT;
-- JSON: the facts the template needs beyond the case (outcome, findings, new date, ...)
ALTER TABLE letters ADD COLUMN data TEXT;
-- 1 for letters sent without a person (RFC 3834 Auto-Submitted: auto-replied)
ALTER TABLE letters ADD COLUMN automatic INTEGER NOT NULL DEFAULT 0;
ALTER TABLE letters ADD COLUMN actor TEXT;
