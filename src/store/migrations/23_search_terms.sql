-- Migration 23: the words each full-text index holds, in order (FTS5's own vocabulary,
-- read in place: nothing is stored). A search widens a typed prefix ("acac") to the few
-- whole words it starts ("acacia") through these, because FTS5 answers a prefix by
-- gathering every row of every word it starts (30 ms for a common word in 1M cases),
-- and a handful of whole words newest row first, stopping at a page.
CREATE VIRTUAL TABLE case_search_terms USING fts5vocab(case_search, instance);
CREATE VIRTUAL TABLE message_search_terms USING fts5vocab(message_search, instance);
