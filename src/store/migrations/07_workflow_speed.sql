-- Migration 7: indexes for the scheduler's tick and the outbox on a large database
-- (examples/bench_tick.rs, 1,000,000 cases; docs/benchmarks.md "Workflow daemon").
-- The tick's "acknowledged compliments and redirects" query filters on both.
DROP INDEX cases_state;
CREATE INDEX cases_state_kind ON cases(state, kind);
-- Customer replies waiting for the tick: few at a time, so a small partial index.
CREATE INDEX messages_attached ON messages(status, case_id) WHERE status = 'attached';
