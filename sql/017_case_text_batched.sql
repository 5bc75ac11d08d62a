-- 017_case_text_batched: the full-text index of cases filled in large
-- batches, like the grid table (016), instead of at every commit.
--
-- A server's batch indexed the text of its own cases just before it
-- committed: FTS5 then wrote a new segment for every batch of ~20 cases
-- and merged them later, 8% of bench/intake's time, with the write lock
-- held (other writers wait). Now the text of the cases taken in since the
-- last catch-up is indexed together with their grids, a few thousand at a
-- time. One mark serves both: case_indexed.upto says up to which case id
-- the grid table and the full-text index hold every case. A text search
-- reads the index up to there and the cases after it directly
-- (store_cases.c); description and address never change after intake.
ALTER TABLE case_grid_indexed RENAME TO case_indexed;
-- Until now every case's text was indexed as it came in: the grid table
-- catches up, and the mark moves to the newest case.
INSERT OR IGNORE INTO case_grid_index SELECT grid, id FROM cases
    WHERE id > (SELECT upto FROM case_indexed) ORDER BY grid, id;
UPDATE case_indexed SET upto = (SELECT coalesce(max(id), 0) FROM cases);

-- A change by hand to a case's text: the index is mended only where it
-- holds the case (deleting what it does not hold would corrupt it).
DROP TRIGGER cases_fts_update;
CREATE TRIGGER cases_fts_update AFTER UPDATE OF description, address ON cases
WHEN old.id <= (SELECT upto FROM case_indexed) BEGIN
    INSERT INTO cases_fts (cases_fts, rowid, description, address)
        VALUES ('delete', old.id, old.description, old.address);
    INSERT INTO cases_fts (rowid, description, address) VALUES (new.id, new.description, new.address);
END;
