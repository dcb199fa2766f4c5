-- Migration 20: a manager releases quarantined mail (attaches it to a case, opens it as
-- a new case) or discards it with a reason. The quarantine row stays, its bytes erased
-- (they now live on the case, or were discarded), with its ingestion key, so the same
-- mail is never stored again; what was done, by whom and when is kept beside it (a
-- table of its own: `raw` stays the last column of `quarantine`, see migration 10).
CREATE TABLE quarantine_resolutions (
    quarantine_id INTEGER PRIMARY KEY REFERENCES quarantine(id) ON DELETE CASCADE,
    -- 'attached', 'opened' or 'discarded'.
    outcome       TEXT NOT NULL,
    -- The case it went to (attached, opened).
    reference     TEXT,
    -- Why it was discarded.
    reason        TEXT,
    -- Who did it (officer:NAME) and when.
    actor         TEXT NOT NULL,
    at            TEXT NOT NULL,
    -- How many bytes it was, before they were erased.
    size          INTEGER NOT NULL
);
