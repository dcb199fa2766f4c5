-- Migration 33: one staff directory (issue 26, item 3). A desk account carries what
-- `[[staff]]` in the config says of a person: how letters and the desk name them, their
-- job title and their manager (an account or `[[staff]]` name, the next step up an
-- escalation chain). Empty: the `[[staff]]` entry of the same name, if any, says it.
ALTER TABLE users ADD COLUMN display_name TEXT;
ALTER TABLE users ADD COLUMN job_title TEXT;
ALTER TABLE users ADD COLUMN manager TEXT;
