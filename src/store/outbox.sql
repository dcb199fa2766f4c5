-- Migration 3: outbox (letters rendering and delivery). Reserved for the letters work.
SELECT 1;
