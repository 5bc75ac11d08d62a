-- 011_case_cells: possible duplicates are looked up by cells of 0.001° of
-- latitude by 0.001° of longitude (about 110 m by 90 m here) instead of an
-- R*Tree: inserting into the R*Tree (node splits, bounding boxes up the
-- tree) cost a quarter of the time to take in a case; a cell is one more
-- entry in an ordinary index. The cell is a generated column: its formula
-- is here, and the lookup in store_cases.c computes the cells of a box with
-- the same one.
ALTER TABLE cases ADD COLUMN cell INTEGER GENERATED ALWAYS AS (
    CAST((lat + 90) * 1000 AS INTEGER) * 1000000 + CAST((lon + 180) * 1000 AS INTEGER)) VIRTUAL;
CREATE INDEX cases_cell ON cases (category, cell) WHERE cell IS NOT NULL;
DROP TRIGGER case_points_insert;
DROP TABLE case_points;
