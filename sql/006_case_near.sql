-- 006_case_near: possible duplicates look for open cases of a category in a
-- small box around a point; index them by category and latitude so that
-- the box, not the whole category, is read.
CREATE INDEX cases_near ON cases (category, lat);
