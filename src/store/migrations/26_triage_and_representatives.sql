-- Migration 26: what waits for a person, and who writes for whom.
--
-- A triage suggestion the daemon may not act on alone (a redirect, an exclusion of
-- the preset): the case is opened as a complaint, its deadlines counting from
-- receipt, and waits "to triage" until an officer accepts the suggestion (the
-- drafted letter goes, the case closes out of scope) or treats it as a complaint.
CREATE TABLE triage_suggestions (
    case_id      INTEGER PRIMARY KEY REFERENCES cases(id),
    -- service-request or out-of-scope
    kind         TEXT NOT NULL,
    -- the preset's exclusion id, when the suggestion is one of its exclusions
    exclusion_id TEXT,
    -- the drafted letter: its kind and data
    letter_kind  TEXT NOT NULL,
    letter_data  TEXT NOT NULL,
    reason       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    -- accepted, complaint (an officer's decision), or closed (the case was closed or
    -- acknowledged another way)
    resolution   TEXT,
    resolved_by  TEXT,
    resolved_at  TEXT
);
CREATE INDEX triage_pending ON triage_suggestions(created_at) WHERE resolution IS NULL;

-- Someone writing for the resident: a councillor, MP, advocate or relative. Letters go
-- to the representative (the case's correspondent) and, where the council has the
-- resident's email and their consent, a copy to the resident.
CREATE TABLE representatives (
    case_id        INTEGER PRIMARY KEY REFERENCES cases(id),
    name           TEXT,
    email          TEXT,
    -- councillor, mp, advocate, relative, other
    role           TEXT NOT NULL,
    for_whom       TEXT,
    -- 1 consent recorded, 0 not recorded
    consent        INTEGER NOT NULL DEFAULT 0,
    resident_email TEXT,
    recorded_at    TEXT NOT NULL,
    recorded_by    TEXT NOT NULL
);
ALTER TABLE letters ADD COLUMN cc_addr TEXT;

-- Acknowledgements over the hourly cap wait here, oldest first, for a later hour.
-- With the letter that answers it (an acknowledgement, or a redirect the config lets
-- act alone), drafted at intake.
CREATE TABLE deferred_acks (
    case_id     INTEGER PRIMARY KEY REFERENCES cases(id),
    received_at TEXT NOT NULL,
    deferred_at TEXT NOT NULL,
    letter_kind TEXT NOT NULL,
    letter_data TEXT NOT NULL
);
CREATE INDEX deferred_acks_oldest ON deferred_acks(received_at);
