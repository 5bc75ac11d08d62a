-- 008_case_counts: what each case adds to the KPI counters, and a log of
-- every change to it, so that the server keeps the counters in memory per
-- day and group and answers GET /api/stats/cases without reading cases.
--
-- case_contrib is the one definition of a case's contribution (the same
-- formulas as the GROUP BY it replaces; merged and not_filed cases count
-- for nothing). Every insert logs +1 of the new contribution; every update
-- logs -1 of the old (read before the update) and +1 of the new. The
-- server reads the log past the last row it applied and deletes what it
-- has applied; any process that writes cases (the CLI too) is logged.
CREATE VIEW case_contrib AS SELECT
    id AS case_id,
    status NOT IN ('merged', 'not_filed') AS counted,
    reported_at, grid, grid_l1, grid_l2, grid_l3, department, category, reporter_login,
    filed_at IS NOT NULL AS filed,
    dispatched_at IS NOT NULL AS dispatched,
    acknowledged_at IS NOT NULL AS acknowledged,
    fed_back_at IS NOT NULL AS disposed,
    closed_at IS NOT NULL AS closed,
    coalesce(closed_on_time = 1, 0) AS closed_on_time,
    reworks > 0 AS reworked,
    extensions > 0 AS extended,
    deferred,
    overdue,
    satisfaction IS NOT NULL AS rated,
    coalesce(satisfaction >= 4, 0) AS satisfied,
    coalesce(satisfaction, 0) AS satisfaction,
    whistles,
    coalesce(acknowledged_at - dispatched_at, 0) AS ack_seconds,
    acknowledged_at IS NOT NULL AND dispatched_at IS NOT NULL AS ack_counted,
    coalesce(closed_at - reported_at, 0) AS close_seconds,
    CASE WHEN closed_at IS NULL THEN coalesce(handle_due_at, 0) ELSE 0 END AS open_due
FROM cases;

CREATE TABLE case_count_log (
    seq INTEGER PRIMARY KEY,
    sign INTEGER NOT NULL,
    case_id INTEGER NOT NULL, counted INTEGER NOT NULL, reported_at INTEGER NOT NULL,
    grid TEXT NOT NULL, grid_l1 TEXT NOT NULL, grid_l2 TEXT NOT NULL, grid_l3 TEXT NOT NULL,
    department TEXT NOT NULL, category TEXT NOT NULL, reporter_login TEXT NOT NULL,
    filed INTEGER, dispatched INTEGER, acknowledged INTEGER, disposed INTEGER, closed INTEGER,
    closed_on_time INTEGER, reworked INTEGER, extended INTEGER, deferred INTEGER, overdue INTEGER,
    rated INTEGER, satisfied INTEGER, satisfaction INTEGER, whistles INTEGER,
    ack_seconds INTEGER, ack_counted INTEGER, close_seconds INTEGER, open_due INTEGER
);

CREATE TRIGGER case_count_insert AFTER INSERT ON cases BEGIN
    INSERT INTO case_count_log SELECT NULL, 1, * FROM case_contrib WHERE case_id = new.id;
END;
CREATE TRIGGER case_count_update_old BEFORE UPDATE ON cases BEGIN
    INSERT INTO case_count_log SELECT NULL, -1, * FROM case_contrib WHERE case_id = old.id;
END;
CREATE TRIGGER case_count_update_new AFTER UPDATE ON cases BEGIN
    INSERT INTO case_count_log SELECT NULL, 1, * FROM case_contrib WHERE case_id = new.id;
END;
CREATE TRIGGER case_count_delete BEFORE DELETE ON cases BEGIN
    INSERT INTO case_count_log SELECT NULL, -1, * FROM case_contrib WHERE case_id = old.id;
END;
