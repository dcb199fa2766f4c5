-- The officers' web desk: accounts, sessions and the record of every sign-in attempt.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    -- the name cases are assigned to and events are recorded under
    name          TEXT NOT NULL UNIQUE,
    email         TEXT NOT NULL COLLATE NOCASE,
    role          TEXT NOT NULL CHECK (role IN ('officer', 'manager', 'admin')),
    -- argon2id, PHC string
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);
CREATE INDEX users_email ON users(email);

CREATE TABLE sessions (
    -- sha256 (hex) of the random 256-bit token in the cookie: the token itself is never stored
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen  TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE sign_in_attempts (
    id      INTEGER PRIMARY KEY,
    -- the account name when the submitted name or email matched one, else the text submitted
    account TEXT NOT NULL,
    address TEXT NOT NULL,
    at      TEXT NOT NULL,
    ok      INTEGER NOT NULL,
    -- password, proxy; or why it failed
    detail  TEXT
);
CREATE INDEX sign_in_attempts_account ON sign_in_attempts(account, at);
CREATE INDEX sign_in_attempts_address ON sign_in_attempts(address, at);
