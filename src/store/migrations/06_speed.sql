-- Migration 6: indexes for the hot paths measured in the ingestion benchmark.
-- The per-sender rate limit counts a sender's recent automatic letters.
CREATE INDEX letters_to_created ON letters(to_addr, created_at);
