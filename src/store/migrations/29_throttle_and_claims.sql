-- Migration 29 (issue 23, items 4 and 6).
--
-- Sign-in throttle: whether a failed attempt still counts against the throttle. An
-- attempt refused because the account (or address) was already locked is recorded for
-- the audit but never counted, so hammering a locked account does not extend its lock
-- or lock it from a fresh address; a successful sign-in or an admin's unlock stops the
-- failures before it counting (they stay in the record). Refusals recorded before this
-- release ('throttled') counted; they no longer do.
ALTER TABLE sign_in_attempts ADD COLUMN counts INTEGER NOT NULL DEFAULT 1;
UPDATE sign_in_attempts SET counts = 0 WHERE detail = 'throttled';

-- Rendering claims: a `send` or `render` process claims a batch of pending letters for
-- a short lease before rendering them, so that another process running at the same
-- time skips them instead of rendering them for nothing; a claimer that stops leaves a
-- lease that runs out, and the letters are claimed again.
ALTER TABLE letters ADD COLUMN claimed_by TEXT;
ALTER TABLE letters ADD COLUMN claimed_until TEXT;
