-- Migration 5: reports, retention and subject access. Reserved.
SELECT 1;
