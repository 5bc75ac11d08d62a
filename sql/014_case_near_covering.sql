-- 014_case_near_covering: the possible-duplicates lookup answered from one
-- index, without reading the rows. It runs on the HTTP thread's own
-- connection, whose page cache is empty after any other connection's
-- write, so each candidate's row cost a read from the file: half that
-- lookup's time under bench/intake. SQLite reads nothing from an index for
-- a virtual generated column (it computes it from the row), so the cell is
-- now an indexed expression (the same formula as 011's column, which goes),
-- and the description's first 80 characters, what the lookup answers, are
-- a column of their own: `summary`, written with the case, kept by a
-- trigger if the description changes.
DROP INDEX cases_cell;
ALTER TABLE cases DROP COLUMN cell;
ALTER TABLE cases ADD COLUMN summary TEXT;
-- Filling it is no change of any case's counts: without the KPI log's
-- update triggers (008) for the while, or every case would log -1 and +1.
DROP TRIGGER case_count_update_old;
DROP TRIGGER case_count_update_new;
UPDATE cases SET summary = substr(description, 1, 80);
CREATE TRIGGER case_count_update_old BEFORE UPDATE ON cases BEGIN
    INSERT INTO case_count_log SELECT NULL, -1, * FROM case_contrib WHERE case_id = old.id;
END;
CREATE TRIGGER case_count_update_new AFTER UPDATE ON cases BEGIN
    INSERT INTO case_count_log SELECT NULL, 1, * FROM case_contrib WHERE case_id = new.id;
END;
CREATE TRIGGER cases_summary_update AFTER UPDATE OF description ON cases BEGIN
    UPDATE cases SET summary = substr(new.description, 1, 80) WHERE id = new.id;
END;
CREATE INDEX cases_near ON cases (category,
    (CAST((lat + 90) * 1000 AS INTEGER) * 1000000 + CAST((lon + 180) * 1000 AS INTEGER)),
    lat, lon, reported_at, status, summary) WHERE lat IS NOT NULL AND lon IS NOT NULL;
