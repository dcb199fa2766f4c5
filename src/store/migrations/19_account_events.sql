-- Who added, disabled, re-passworded or changed the role of each web desk account, and
-- when (never a password). `actor` is officer:NAME as on case events.

CREATE TABLE account_events (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    account TEXT NOT NULL,
    -- added, disabled, password, role
    action  TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX account_events_account ON account_events(account, id);
