-- Migration 13: one row per response sent (a stage or final response), with its
-- outcome, so that reports count the outcomes of the responses sent in a period and not
-- only those of closed cases (a case answered at stage 1 and again at stage 2 has two).
-- It holds no personal data, and erasure keeps it, so reports read the same after.
CREATE TABLE responses (
    id       INTEGER PRIMARY KEY,
    case_id  INTEGER NOT NULL REFERENCES cases(id),
    stage    TEXT NOT NULL,
    -- London date the response was sent
    sent_on  TEXT NOT NULL,
    outcome  TEXT
);
CREATE INDEX responses_sent ON responses(sent_on, stage, outcome);

-- Responses sent before this migration: each met response deadline. Only a case's latest
-- outcome was kept, so it is given to the response at the case's current stage; earlier
-- stages' responses count as "(not recorded)".
INSERT INTO responses (case_id, stage, sent_on, outcome)
    SELECT d.case_id, d.stage, d.met_on, CASE WHEN d.stage = c.stage THEN c.outcome END
    FROM deadlines d JOIN cases c ON c.id = d.case_id
    WHERE d.kind = 'respond' AND d.met_on IS NOT NULL
    ORDER BY d.met_on, d.id;
