-- Migration 4: the workflow.

-- Automatic steps already taken, one row per (case, step key): running `tick` again
-- at the same moment finds every key present and does nothing.
CREATE TABLE steps (
    case_id INTEGER NOT NULL REFERENCES cases(id),
    key     TEXT NOT NULL,
    at      TEXT NOT NULL,
    PRIMARY KEY (case_id, key)
);

-- Deadline pauses (where the policy allows them), e.g. waiting for information.
CREATE TABLE pauses (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    stage      TEXT NOT NULL,
    started_on TEXT NOT NULL,
    ended_on   TEXT,
    reason     TEXT NOT NULL
);

-- Mail to staff (deadline alerts, managers' digests, reports): not letters to a
-- resident, so no PDF and no case of their own. Sent by the scheduler, once each.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    -- what makes it unique (e.g. digest:<schedule>:<fire time>), so a restart never doubles it
    dedupe_key  TEXT NOT NULL UNIQUE,
    message_id  TEXT NOT NULL UNIQUE,
    to_addr     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'queued',
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  TEXT NOT NULL,
    sent_at     TEXT
);

-- When each cron schedule last fired.
CREATE TABLE schedules (
    name       TEXT PRIMARY KEY,
    last_fired TEXT NOT NULL
);
