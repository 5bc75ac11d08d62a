-- 010_indicators: indicators and targets ("四挂钩"): definitions, a target
-- per year, and values per period. A value row is never changed: entering a
-- period again is a correction (with a reason), and the newest row of a
-- period is its value; the older ones are its history. Indicators whose
-- source is a formula over records have no value rows.
CREATE TABLE indicators (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    unit       TEXT NOT NULL DEFAULT '',
    period     TEXT NOT NULL CHECK (period IN ('month', 'quarter', 'year')),
    direction  TEXT NOT NULL CHECK (direction IN ('higher', 'lower')),
    cumulate   TEXT NOT NULL CHECK (cumulate IN ('sum', 'mean', 'last')), -- year to date
    source     TEXT NOT NULL DEFAULT 'manual', -- manual | ledger:<kind>:<kpi> | cases:<rate>
    section    TEXT NOT NULL DEFAULT '',       -- economy | employment | environment | ...
    position   INTEGER NOT NULL DEFAULT 0,     -- order on the page and in the report
    note       TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE indicator_targets (
    code   TEXT NOT NULL REFERENCES indicators (code),
    year   INTEGER NOT NULL,
    target REAL NOT NULL,
    PRIMARY KEY (code, year)
) STRICT;

CREATE TABLE indicator_values (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL REFERENCES indicators (code),
    period      TEXT NOT NULL,            -- 2023-04, 2023-Q2, 2023
    value       REAL NOT NULL,
    source_note TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT '', -- why a correction replaced the value before
    entered_by  TEXT NOT NULL,
    entered_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX indicator_values_period ON indicator_values (code, period, id);
CREATE TRIGGER indicator_values_no_update BEFORE UPDATE ON indicator_values
BEGIN
    SELECT raise(ABORT, 'indicator values are append-only: enter a correction');
END;
CREATE TRIGGER indicator_values_no_delete BEFORE DELETE ON indicator_values
BEGIN
    SELECT raise(ABORT, 'indicator values are append-only: enter a correction');
END;
