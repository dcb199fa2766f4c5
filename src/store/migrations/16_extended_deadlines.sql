-- Migration 16: a respond deadline superseded by an extension before it passed (the
-- officer's `extend`) is 'extended', not 'lapsed': only the new date counts, so `case`,
-- `cases --overdue` and the digest no longer show the original as overdue. One that
-- passed without a response (the scheduler's "deadline lapsed" event) stays lapsed.
UPDATE deadlines SET status = 'extended'
WHERE kind = 'respond' AND status = 'lapsed'
  AND EXISTS (SELECT 1 FROM deadlines e
              WHERE e.case_id = deadlines.case_id AND e.stage = deadlines.stage AND e.kind = 'extension')
  AND NOT EXISTS (SELECT 1 FROM events v
                  WHERE v.case_id = deadlines.case_id AND v.kind = 'deadline lapsed'
                    AND v.detail LIKE deadlines.stage || ' response was due%');
