-- 009_ledgers: ledgers (台账) whose kinds are data. A kind's declaration
-- (share/ledgers/<code>.json: fields, states, actions, deadline, KPIs) is
-- stored whole; entries keep the common columns every kind has (grid,
-- owner unit and person, status, deadline) and the kind's own fields as a
-- JSON object, personal fields sealed. History is append-only.
CREATE TABLE ledger_kinds (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    spec       TEXT NOT NULL,            -- the declaration, JSON
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE records (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL REFERENCES ledger_kinds (code),
    grid         TEXT NOT NULL DEFAULT '',
    owner_unit   TEXT NOT NULL DEFAULT '',
    owner_person TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    data         TEXT NOT NULL DEFAULT '{}', -- the kind's fields
    due_at       INTEGER,                    -- unix seconds, end of the deadline day
    done_at      INTEGER,                    -- when it reached a done state
    visits       INTEGER NOT NULL DEFAULT 0, -- return visits recorded
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX records_kind ON records (kind, id);
CREATE INDEX records_kind_status ON records (kind, status);
CREATE INDEX records_kind_grid ON records (kind, grid);
CREATE INDEX records_open_due ON records (due_at) WHERE done_at IS NULL AND due_at IS NOT NULL;

CREATE TABLE record_history (
    id          INTEGER PRIMARY KEY,
    record_id   INTEGER NOT NULL REFERENCES records (id),
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX record_history_record ON record_history (record_id, id);
CREATE TRIGGER record_history_no_update BEFORE UPDATE ON record_history
BEGIN
    SELECT raise(ABORT, 'record history is append-only');
END;
CREATE TRIGGER record_history_no_delete BEFORE DELETE ON record_history
BEGIN
    SELECT raise(ABORT, 'record history is append-only');
END;
