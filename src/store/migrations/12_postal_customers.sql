-- Migration 12: a customer may have no email address (a complaint made by phone, by
-- letter or in person, answered by post). The table is rebuilt with `email` nullable;
-- UNIQUE still holds for every address that is set. The runner turns foreign keys off
-- around this migration (SQLite's procedure for changing a column) and checks them after.
CREATE TABLE customers_new (
    id                 INTEGER PRIMARY KEY,
    email              TEXT UNIQUE COLLATE NOCASE,
    name               TEXT,
    address            TEXT,
    -- contact restriction after a Monitoring Officer decision: letter-only, single-contact, no-response
    restriction        TEXT,
    restriction_review TEXT,
    created_at         TEXT NOT NULL,
    erased_at          TEXT
);
INSERT INTO customers_new (id, email, name, address, restriction, restriction_review, created_at, erased_at)
    SELECT id, email, name, address, restriction, restriction_review, created_at, erased_at FROM customers;
DROP TABLE customers;
ALTER TABLE customers_new RENAME TO customers;
