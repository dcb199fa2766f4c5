-- Redress case store, schema version 1.
-- Times are RFC 3339 UTC text; dates that deadlines count in are London dates (YYYY-MM-DD).

CREATE TABLE reference_counters (
    prefix TEXT NOT NULL,
    year   INTEGER NOT NULL,
    last   INTEGER NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE customers (
    id                 INTEGER PRIMARY KEY,
    email              TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name               TEXT,
    address            TEXT,
    -- contact restriction after a Monitoring Officer decision: letter-only, single-contact, no-response
    restriction        TEXT,
    restriction_review TEXT,
    created_at         TEXT NOT NULL,
    erased_at          TEXT
);

CREATE TABLE cases (
    id              INTEGER PRIMARY KEY,
    reference       TEXT NOT NULL UNIQUE,
    policy          TEXT NOT NULL,
    kind            TEXT NOT NULL,
    state           TEXT NOT NULL,
    stage           TEXT NOT NULL,
    close_reason    TEXT,
    customer_id     INTEGER REFERENCES customers(id),
    subject         TEXT,
    service         TEXT,
    officer         TEXT,
    -- the officers who handled earlier stages, comma separated (a later stage must differ where the policy says so)
    past_officers   TEXT NOT NULL DEFAULT '',
    category        TEXT,
    outcome         TEXT,
    received_at     TEXT NOT NULL,
    -- London dates of the events the current stage's deadlines count from
    received_on     TEXT NOT NULL,
    acknowledged_on TEXT,
    escalation_requested_on TEXT,
    investigation_started_on TEXT,
    responded_on    TEXT,
    reached_stage   INTEGER NOT NULL DEFAULT 1,
    flagged         TEXT,
    closed_at       TEXT,
    updated_at      TEXT NOT NULL
);
CREATE INDEX cases_state ON cases(state);
CREATE INDEX cases_customer ON cases(customer_id);
CREATE INDEX cases_received ON cases(received_at);

CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER REFERENCES cases(id),
    -- Message-ID, or sha256:<hex of the raw bytes> when the message has none: makes ingestion idempotent
    ingest_key  TEXT NOT NULL UNIQUE,
    raw         BLOB,
    from_addr   TEXT,
    subject     TEXT,
    sent_at     TEXT,
    received_at TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'stored',
    note        TEXT
);
CREATE INDEX messages_case ON messages(case_id);

CREATE TABLE letters (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER NOT NULL REFERENCES cases(id),
    kind            TEXT NOT NULL,
    -- our Message-ID, fixed before the first attempt so a resend is detectable
    message_id      TEXT NOT NULL UNIQUE,
    to_addr         TEXT,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT,
    pdf             BLOB,
    status          TEXT NOT NULL DEFAULT 'queued',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX letters_status ON letters(status);
CREATE INDEX letters_case ON letters(case_id);

CREATE TABLE deadlines (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    stage      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    from_event TEXT NOT NULL,
    from_date  TEXT NOT NULL,
    period     TEXT NOT NULL,
    due        TEXT NOT NULL,
    -- open, met, cancelled
    status     TEXT NOT NULL DEFAULT 'open',
    met_on     TEXT,
    UNIQUE (case_id, stage, kind)
);
CREATE INDEX deadlines_open_due ON deadlines(status, due);

CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    at         TEXT NOT NULL,
    -- who or what caused it: system, officer:<name>, customer, cli
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    from_state TEXT,
    to_state   TEXT,
    detail     TEXT
);
CREATE INDEX events_case ON events(case_id);

CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
