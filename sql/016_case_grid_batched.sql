-- 016_case_grid_batched: the cases of a grid subtree from a table filled in
-- large sorted batches, instead of the index cases_grid.
--
-- Reports land in random grids, so every case taken in put a row on a
-- page of cases_grid of its own: a third of all the write-ahead log under
-- bench/intake (27 of 78 pages per commit of 28 cases). The server now
-- copies (grid, id) of the cases taken in since the last copy into
-- case_grid_index a few thousand at a time, sorted, so that a page takes
-- many rows; case_grid_indexed says up to which case id it holds every
-- case. A query by grid reads the table for the ids up to there and the
-- cases after it directly (store_cases.c). A case's grid never changes.
DROP INDEX cases_grid;
CREATE TABLE case_grid_index (
    grid TEXT NOT NULL,
    id   INTEGER NOT NULL,
    PRIMARY KEY (grid, id)
) WITHOUT ROWID, STRICT;
INSERT INTO case_grid_index SELECT grid, id FROM cases ORDER BY grid, id;
CREATE TABLE case_grid_indexed (upto INTEGER NOT NULL) STRICT;
INSERT INTO case_grid_indexed SELECT coalesce(max(id), 0) FROM cases;
