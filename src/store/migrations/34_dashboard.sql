-- The managers' dashboard and Reports page (issue 26): open cases by officer and stage read from an
-- index alone (24,000 entries on the 1,000,000-case benchmark, not a row each), and
-- the deadlines an officer must meet that are still open or have lapsed (the
-- dashboard's, the digest's and the Cases list's "overdue" and "due soon").
CREATE INDEX cases_open_workload ON cases(officer, stage, policy) WHERE state != 'closed';
CREATE INDEX deadlines_officer_open ON deadlines(due, case_id, status)
    WHERE kind IN ('acknowledge', 'decide', 'respond', 'extension', 'overall-limit')
      AND status IN ('open', 'lapsed');
-- A report's twelve-month trend from indexes alone (a month's report on 1,000,000
-- cases: 2.0 s, then about 0.3 s): cases received by month and kind (with the close
-- reason that makes one out of scope), and the responses sent with what the trend
-- counts of each.
CREATE INDEX cases_received_month ON cases(received_on, kind, close_reason);
CREATE INDEX responses_trend ON responses(sent_on, case_id, stage, due, from_date) WHERE due IS NOT NULL;
