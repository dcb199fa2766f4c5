-- Migration 8: fewer index entries written per ingested message (scripts/bench_ingest.sh,
-- docs/benchmarks.md "Ingestion"), and an index the subject-access export can use.
-- A message's Message-ID is also its ingestion key (unique, indexed) whenever it has
-- one: threading by In-Reply-To/References looks it up there.
DROP INDEX messages_message_id;
-- The export finds a person's messages on no case (auto-replies, bounces) by sender,
-- ignoring case. The old index (binary collation, on every message) could not serve
-- that; this one is small (messages on a case are found through their case).
DROP INDEX messages_from;
CREATE INDEX messages_unattached_from ON messages(from_addr COLLATE NOCASE) WHERE case_id IS NULL;
-- No query filters or sorts cases by received_at alone (reports count by received_on
-- through cases_report; threading finds a sender's cases through cases_customer).
DROP INDEX cases_received;
-- The report's two deadline indexes hold only the rows the report asks for: responses
-- met (Store::responses) and deadlines counted from an escalation request
-- (Store::stage_entries). A new case's deadlines (acknowledge, respond, counted from
-- receipt, the response still open) are in neither, and the indexes are smaller.
DROP INDEX deadlines_met;
CREATE INDEX deadlines_met ON deadlines(met_on, kind, stage, due, from_date)
    WHERE kind = 'respond' AND met_on IS NOT NULL;
DROP INDEX deadlines_from;
CREATE INDEX deadlines_from ON deadlines(from_date, from_event, stage, case_id)
    WHERE from_event = 'the escalation request';
