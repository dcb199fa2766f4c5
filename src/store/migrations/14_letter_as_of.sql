-- Migration 14: the case as it stood when a letter was asked for (stage, state, officer,
-- outcome... and its deadlines, as JSON), so that a letter rendered later (the renderer
-- was down, a template was broken and mended) says what was true when it was decided,
-- not a mix of then and now. Erasure clears it with the rest of the letter.
ALTER TABLE letters ADD COLUMN as_of TEXT;
