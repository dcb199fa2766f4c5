-- Staff mail goes through the letters' state machine: queued -> sending -> sent,
-- back to queued with a backoff on a temporary failure, failed after max attempts;
-- a row left in 'sending' past the lease is settled like an interrupted letter.
ALTER TABLE notifications ADD COLUMN next_attempt_at TEXT;
ALTER TABLE notifications ADD COLUMN last_attempt_at TEXT;
CREATE INDEX notifications_by_status ON notifications (status, next_attempt_at);
