-- Migration 22: sign-in attempts are forgotten after 90 days, at each sign-in
-- (`accounts::SIGN_IN_RECORD_DAYS`): by date, on an index, not a scan of the table.
CREATE INDEX sign_in_attempts_at ON sign_in_attempts(at);
