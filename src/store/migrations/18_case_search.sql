-- Migration 18: full-text search for the officers' desk (SQLite FTS5): one row per case
-- (its reference, its customer's name, email and postal address, its subject) and one
-- per message on a case (its text). New cases and messages are indexed once per
-- ingestion batch, after the batch's messages are stored (`store::search::index_new`,
-- in the batch's transaction: FTS5 writes its segments once per flush, and a flush per
-- message made ingestion 2.5 times slower); triggers keep the index right through
-- officers' corrections, attachments from quarantine and erasure (which deletes the
-- messages and blanks the case and customer, so their words leave the index with them).
CREATE TABLE search_indexed (
    what TEXT PRIMARY KEY,
    upto INTEGER NOT NULL
);
CREATE VIRTUAL TABLE case_search USING fts5(
    reference, customer, subject, tokenize = 'unicode61 remove_diacritics 2'
);
-- The messages' text is not copied: the index reads it from `messages` (external
-- content), so the words go when the message does.
CREATE VIRTUAL TABLE message_search USING fts5(
    body_text, content = 'messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

-- What the index holds for a case, said once for the triggers, the catch-up and the
-- first fill.
CREATE VIEW case_search_rows AS
SELECT c.id, c.reference,
       (SELECT trim(coalesce(cu.name, '') || ' ' || coalesce(cu.email, '') || ' ' ||
                    coalesce(cu.address, ''))
        FROM customers cu WHERE cu.id = c.customer_id) AS customer,
       c.subject
FROM cases c;

CREATE TRIGGER case_search_update AFTER UPDATE OF subject, customer_id ON cases
WHEN OLD.id <= (SELECT upto FROM search_indexed WHERE what = 'cases') BEGIN
    DELETE FROM case_search WHERE rowid = OLD.id;
    INSERT INTO case_search (rowid, reference, customer, subject)
    SELECT id, reference, customer, subject FROM case_search_rows WHERE id = NEW.id;
END;
CREATE TRIGGER case_search_customer AFTER UPDATE OF name, email, address ON customers BEGIN
    DELETE FROM case_search WHERE rowid IN (SELECT id FROM cases WHERE customer_id = NEW.id);
    INSERT INTO case_search (rowid, reference, customer, subject)
    SELECT id, reference, customer, subject FROM case_search_rows
    WHERE id IN (SELECT id FROM cases WHERE customer_id = NEW.id)
      AND id <= (SELECT upto FROM search_indexed WHERE what = 'cases');
END;

CREATE TRIGGER message_search_update AFTER UPDATE OF case_id, body_text ON messages
WHEN OLD.id <= (SELECT upto FROM search_indexed WHERE what = 'messages') BEGIN
    INSERT INTO message_search (message_search, rowid, body_text)
    SELECT 'delete', OLD.id, OLD.body_text
    WHERE OLD.case_id IS NOT NULL AND OLD.body_text IS NOT NULL;
    INSERT INTO message_search (rowid, body_text)
    SELECT NEW.id, NEW.body_text WHERE NEW.case_id IS NOT NULL AND NEW.body_text IS NOT NULL;
END;
CREATE TRIGGER message_search_delete AFTER DELETE ON messages
WHEN OLD.id <= (SELECT upto FROM search_indexed WHERE what = 'messages')
     AND OLD.case_id IS NOT NULL AND OLD.body_text IS NOT NULL BEGIN
    INSERT INTO message_search (message_search, rowid, body_text)
    VALUES ('delete', OLD.id, OLD.body_text);
END;

-- What is on file already.
INSERT INTO case_search (rowid, reference, customer, subject)
SELECT id, reference, customer, subject FROM case_search_rows;
INSERT INTO message_search (rowid, body_text)
SELECT id, body_text FROM messages WHERE case_id IS NOT NULL AND body_text IS NOT NULL;
INSERT INTO search_indexed (what, upto) VALUES
    ('cases', (SELECT coalesce(max(id), 0) FROM cases)),
    ('messages', (SELECT coalesce(max(id), 0) FROM messages));
