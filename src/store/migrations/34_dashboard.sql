-- The managers' dashboard (issue 26): open cases by officer and stage read from an
-- index alone (24,000 entries on the 1,000,000-case benchmark, not a row each), and
-- the deadlines an officer must meet that are still open or have lapsed (the
-- dashboard's, the digest's and the Cases list's "overdue" and "due soon").
CREATE INDEX cases_open_workload ON cases(officer, stage, policy) WHERE state != 'closed';
CREATE INDEX deadlines_officer_open ON deadlines(due, case_id, status)
    WHERE kind IN ('acknowledge', 'decide', 'respond', 'extension', 'overall-limit')
      AND status IN ('open', 'lapsed');
