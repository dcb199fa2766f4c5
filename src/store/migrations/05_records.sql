-- Migration 5: reports, retention and subject access.

-- When the personal data of a closed case was erased under the retention schedule.
-- The row itself stays as the anonymised statistical record: kind, policy, stages
-- reached, service, category, outcome, close reason and the dates the figures count
-- from, with no subject, customer, officer or flag left on it. Reports read the same
-- rows before and after erasure, so their figures do not change.
ALTER TABLE cases ADD COLUMN erased_at TEXT;

-- Reports scan cases by London date of receipt (covering: no table lookups) ...
CREATE INDEX cases_report ON cases(received_on, kind, reached_stage, service, category);
-- ... and by closing time; retention finds closed cases by it too.
CREATE INDEX cases_closed ON cases(closed_at, kind, close_reason, outcome);
-- Responses met in a period, and stage entries in a period.
CREATE INDEX deadlines_met ON deadlines(met_on, kind, stage, due, from_date);
CREATE INDEX deadlines_from ON deadlines(from_date, from_event);

-- The event log stays append-only, with one exception the law requires: once a case's
-- personal data is erased, the free-text details of its events (which may quote an
-- address or a subject line) may be replaced by '[erased]'. Nothing else about an
-- event can change, and nothing can be deleted.
DROP TRIGGER events_append_only_update;
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
WHEN NOT (
    NEW.id = OLD.id AND NEW.case_id = OLD.case_id AND NEW.at = OLD.at
    AND NEW.actor = OLD.actor AND NEW.kind = OLD.kind
    AND NEW.from_state IS OLD.from_state AND NEW.to_state IS OLD.to_state
    AND NEW.detail = '[erased]'
    AND (SELECT erased_at FROM cases WHERE id = OLD.case_id) IS NOT NULL
)
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
