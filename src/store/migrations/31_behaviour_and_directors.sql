-- Migration 31: Bath & NES's unreasonable-behaviour procedure (seed 002 l.313-332) and
-- complaints about a director or senior manager (seed 004 l.424).
--
-- One procedure per customer at a time: referred to the Monitoring Officer, the
-- customer told their behaviour is investigated, the outcome letter (the concerns, the
-- restriction considered, representations invited by a date), then the decision. Who
-- took each step and when is also an event on each of the customer's cases.
CREATE TABLE IF NOT EXISTS behaviour_procedures (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    -- referred | investigating | warned | restricted | not-restricted
    step TEXT NOT NULL,
    grounds TEXT,
    -- The restriction considered (and its named contact), the concerns the letter named,
    -- and the last day for written representations.
    level TEXT,
    contact TEXT,
    concerns TEXT,
    representations_by TEXT,
    referred_by TEXT,
    referred_at TEXT,
    investigated_by TEXT,
    investigated_at TEXT,
    warned_by TEXT,
    warned_at TEXT,
    decided_by TEXT,
    decided_at TEXT,
    closed_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS behaviour_procedures_open
    ON behaviour_procedures(customer_id) WHERE closed_at IS NULL;

-- A case about the behaviour of a director or senior manager: marked by an officer,
-- then the investigator chosen by whom the preset names (who chose, and who recorded it).
CREATE TABLE IF NOT EXISTS director_complaints (
    case_id INTEGER PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
    about TEXT NOT NULL,
    marked_by TEXT NOT NULL,
    marked_at TEXT NOT NULL,
    investigator TEXT,
    chosen_by TEXT,
    recorded_by TEXT,
    chosen_at TEXT
);
