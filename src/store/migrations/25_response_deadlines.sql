-- Migration 25: each response keeps the respond deadline it met (the day it counted from,
-- and its due date), so the performance figures keep a response after its case is
-- reopened and the same deadline is owed again. The deadline row is renewed then, and
-- the figures, read from it, lost the first response.
ALTER TABLE responses ADD COLUMN from_date TEXT;
ALTER TABLE responses ADD COLUMN due TEXT;
-- Responses already sent: the deadline they met, where it still says so, given to the
-- last response of that day only (one deadline is met once). A response whose deadline
-- a reopening renewed stays without one, out of the timeliness figures as before.
UPDATE responses SET
    from_date = (SELECT d.from_date FROM deadlines d
                 WHERE d.case_id = responses.case_id AND d.stage = responses.stage
                   AND d.kind = 'respond' AND d.met_on = responses.sent_on),
    due = (SELECT d.due FROM deadlines d
           WHERE d.case_id = responses.case_id AND d.stage = responses.stage
             AND d.kind = 'respond' AND d.met_on = responses.sent_on)
WHERE id IN (SELECT max(id) FROM responses GROUP BY case_id, stage, sent_on);
-- The timeliness figures read responses by day, with the deadline each met.
CREATE INDEX responses_met ON responses(sent_on, stage, due, from_date) WHERE due IS NOT NULL;
-- No query reads deadlines by the day they were met any more.
DROP INDEX IF EXISTS deadlines_met;
