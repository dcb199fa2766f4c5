-- Migration 4: the workflow (scheduler steps, pauses, staff). Reserved.
SELECT 1;
