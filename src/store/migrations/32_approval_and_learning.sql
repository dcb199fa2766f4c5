-- Migration 32 (issue 24, items 11 and 13): responses that wait for approval, and the
-- learning from complaints.
-- A response the policy holds for approval (West Lindsey's Quality Assurance Board,
-- seed 003 l.116-121) is kept here as the officer wrote it (JSON: the letter's kind,
-- outcome, category, findings, apology, remedy, enclosures, learning) until an approver
-- approves it (then the response is recorded and its letter asked for, in the same
-- transaction, exactly once) or returns it with a reason. A case has at most one
-- response waiting.
CREATE TABLE approvals (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    stage       TEXT NOT NULL,
    response    TEXT NOT NULL,
    why         TEXT NOT NULL,
    written_by  TEXT NOT NULL,
    written_at  TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'awaiting' CHECK (status IN ('awaiting', 'approved', 'returned', 'erased')),
    decided_by  TEXT,
    decided_at  TEXT,
    reason      TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS approvals_awaiting ON approvals(case_id) WHERE status = 'awaiting';
-- What was learnt from a complaint and what was done about it (seed 000 l.205-207,
-- 003 l.164-179, 004 l.466-487): recorded with a response or afterwards, listed by
-- service in the periodic report with no personal data.
CREATE TABLE learning (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    stage       TEXT NOT NULL,
    recorded_on TEXT NOT NULL,
    learning    TEXT NOT NULL,
    action      TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS learning_recorded ON learning(recorded_on);
