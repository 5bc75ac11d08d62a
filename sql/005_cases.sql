-- 005_cases: the closed loop. The catalogue of categories (data, loaded per
-- deployment), the working calendar's day overrides, routing rules, cases,
-- their append-only history, whistles, and attachments.

-- Categories: component (部件) or event (事件), major/minor/fine codes,
-- the department that answers by default, and time limits per step in
-- working time ("30m", "4h", "3d"); urgent cases get urgent_percent of them.
CREATE TABLE categories (
    code           TEXT PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('component', 'event')),
    major          TEXT NOT NULL,
    minor          TEXT NOT NULL,
    fine           TEXT NOT NULL DEFAULT '',
    name_zh        TEXT NOT NULL,
    name_en        TEXT NOT NULL,
    department     TEXT NOT NULL,
    limit_file     TEXT NOT NULL,
    limit_dispatch TEXT NOT NULL,
    limit_acknowledge TEXT NOT NULL,
    limit_handle   TEXT NOT NULL,
    limit_verify   TEXT NOT NULL,
    urgent_percent INTEGER NOT NULL DEFAULT 25 CHECK (urgent_percent BETWEEN 1 AND 100)
) STRICT;

-- Holidays and make-up working days (调休) of the working calendar.
CREATE TABLE calendar_days (
    day  TEXT PRIMARY KEY,              -- YYYY-MM-DD, local
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    note TEXT NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;

-- Routing: (category, grid subtree) -> department. Empty means "any". The
-- most specific matching rule wins: a category rule over a catch-all, then
-- the longest grid prefix. The category's own department is the fallback.
CREATE TABLE route_rules (
    id          INTEGER PRIMARY KEY,
    category    TEXT NOT NULL DEFAULT '',
    grid_prefix TEXT NOT NULL DEFAULT '',
    department  TEXT NOT NULL REFERENCES departments (code),
    note        TEXT NOT NULL DEFAULT '',
    UNIQUE (category, grid_prefix)
) STRICT;

CREATE TABLE cases (
    id             INTEGER PRIMARY KEY,
    category       TEXT NOT NULL REFERENCES categories (code),
    status         TEXT NOT NULL,
    urgency        TEXT NOT NULL CHECK (urgency IN ('normal', 'urgent')),
    source         TEXT NOT NULL CHECK (source IN ('grid_member', 'citizen', 'hotline', 'platform',
                                                   'inspection')),
    description    TEXT NOT NULL,
    address        TEXT NOT NULL DEFAULT '',
    lon            REAL,
    lat            REAL,
    grid           TEXT NOT NULL,            -- the deepest grid containing it
    grid_l1        TEXT NOT NULL DEFAULT '',
    grid_l2        TEXT NOT NULL DEFAULT '',
    grid_l3        TEXT NOT NULL DEFAULT '',
    dedicated      TEXT NOT NULL DEFAULT '', -- comma-separated codes
    department     TEXT NOT NULL DEFAULT '',
    route_rule     INTEGER,                  -- NULL: the category's default
    reporter_login TEXT NOT NULL DEFAULT '',
    reporter_name  TEXT NOT NULL DEFAULT '',
    reporter_phone_sealed BLOB,
    reporter_phone_masked TEXT NOT NULL DEFAULT '',
    reported_at    INTEGER NOT NULL,         -- unix seconds
    filed_at INTEGER, dispatched_at INTEGER, acknowledged_at INTEGER, started_at INTEGER,
    fed_back_at INTEGER, verified_at INTEGER, closed_at INTEGER,
    due_at         INTEGER,                  -- the current step's deadline
    due_step       TEXT NOT NULL DEFAULT '', -- which step due_at is for
    handle_due_at  INTEGER,                  -- disposal deadline (on-time closure)
    overdue        INTEGER NOT NULL DEFAULT 0,   -- a step went past its deadline
    escalated_at   INTEGER,
    extension_requested INTEGER NOT NULL DEFAULT 0,
    extensions     INTEGER NOT NULL DEFAULT 0,
    deferred       INTEGER NOT NULL DEFAULT 0,
    reworks        INTEGER NOT NULL DEFAULT 0,
    whistles       INTEGER NOT NULL DEFAULT 0,
    merged_into    INTEGER REFERENCES cases (id),
    satisfaction   INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    closed_on_time INTEGER,
    idempotency_key TEXT UNIQUE,
    version        INTEGER NOT NULL DEFAULT 1,
    updated_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX cases_status ON cases (status, id);
CREATE INDEX cases_grid ON cases (grid, id);
CREATE INDEX cases_department ON cases (department, id);
CREATE INDEX cases_category ON cases (category, id);
CREATE INDEX cases_reported ON cases (reported_at);
CREATE INDEX cases_due ON cases (due_at) WHERE due_at IS NOT NULL;

-- Every change of a case: one row, in the same transaction as the change.
CREATE TABLE case_history (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL DEFAULT '{}'   -- JSON: attachments, department, rating, ...
) STRICT;
CREATE INDEX case_history_case ON case_history (case_id, id);
CREATE TRIGGER case_history_no_update BEFORE UPDATE ON case_history
BEGIN
    SELECT RAISE(ABORT, 'case history is append-only');
END;
CREATE TRIGGER case_history_no_delete BEFORE DELETE ON case_history
BEGIN
    SELECT RAISE(ABORT, 'case history is append-only');
END;

-- Chinese full text over description and address (trigram: any 3+
-- character substring).
CREATE VIRTUAL TABLE cases_fts USING fts5 (description, address, content = 'cases',
                                           content_rowid = 'id', tokenize = 'trigram');
CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases BEGIN
    INSERT INTO cases_fts (rowid, description, address) VALUES (new.id, new.description, new.address);
END;
CREATE TRIGGER cases_fts_update AFTER UPDATE OF description, address ON cases BEGIN
    INSERT INTO cases_fts (cases_fts, rowid, description, address)
        VALUES ('delete', old.id, old.description, old.address);
    INSERT INTO cases_fts (rowid, description, address) VALUES (new.id, new.description, new.address);
END;

-- Whistles (吹哨): a case escalated to departments that must report for
-- duty (报到) within a limit; each department's part and the whistler's
-- rating of it.
CREATE TABLE whistles (
    id         INTEGER PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    whistler   TEXT NOT NULL,
    reason     TEXT NOT NULL CHECK (reason IN ('cannot_solve_alone', 'lacks_enforcement_power',
                                               'emergency')),
    note       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE whistle_departments (
    whistle_id      INTEGER NOT NULL REFERENCES whistles (id),
    department      TEXT NOT NULL REFERENCES departments (code),
    ack_due_at      INTEGER NOT NULL,
    acknowledged_at INTEGER,
    arrived_at      INTEGER,
    part            TEXT NOT NULL DEFAULT '',
    rating          INTEGER CHECK (rating BETWEEN 1 AND 5),
    PRIMARY KEY (whistle_id, department)
) STRICT, WITHOUT ROWID;

-- Attachments: stored content-addressed under the data directory.
CREATE TABLE attachments (
    sha256     TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
