-- Migration 32: the performance figures count only the latest response of a case at a
-- stage (a reopened case answered again supersedes its earlier response there), looked
-- up by case and stage.
CREATE INDEX IF NOT EXISTS responses_case ON responses(case_id, stage, id);
