-- 012_intake: cheaper intake (bench/intake).
--
-- Possible duplicates read lat and lon from the index of cells too, so that
-- only the cases inside the box, not every case of the cells around it, are
-- read from the table.
DROP INDEX cases_cell;
CREATE INDEX cases_cell ON cases (category, cell, lat, lon) WHERE cell IS NOT NULL;

-- Full text: FTS5 writes what it holds pending as a new segment at every
-- savepoint, and every case taken in by the server is a savepoint of the
-- writer's batch (store_sqlite.c), so the insert trigger made each case a
-- segment of its own to write and then merge: 60% of the time to insert a
-- case. The store indexes a case's text itself (store_cases.c): in the
-- insert's own transaction outside the server's batches, and all the cases
-- of a batch in one statement just before the batch commits. Description
-- and address never change after intake; cases_fts_update stays for any
-- change made by hand.
DROP TRIGGER cases_fts_insert;
