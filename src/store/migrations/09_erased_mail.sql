-- Migration 9: mail erased under the retention schedule is remembered, so that it is
-- not stored again if the mailbox offers it again (a rescan after a UIDVALIDITY
-- change, mail left on the server). Only a SHA-256 of the ingestion key is kept: no
-- Message-ID, address or byte of the message.
CREATE TABLE erased_mail (
    key_hash  TEXT PRIMARY KEY,
    erased_at TEXT NOT NULL
) WITHOUT ROWID;
