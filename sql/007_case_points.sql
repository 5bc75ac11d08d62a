-- 007_case_points: possible duplicates look for open cases of a category in
-- a small box around a point. An index on (category, lat) reads every case
-- of the category in a latitude band, which grows with the city's history;
-- an R*Tree of the points reads only the box. Points never move, so an
-- insert trigger keeps it whole.
CREATE VIRTUAL TABLE case_points USING rtree (id, lon0, lon1, lat0, lat1);
INSERT INTO case_points (id, lon0, lon1, lat0, lat1)
    SELECT id, lon, lon, lat, lat FROM cases WHERE lon IS NOT NULL AND lat IS NOT NULL;
CREATE TRIGGER case_points_insert AFTER INSERT ON cases
    WHEN new.lon IS NOT NULL AND new.lat IS NOT NULL BEGIN
    INSERT INTO case_points (id, lon0, lon1, lat0, lat1) VALUES (new.id, new.lon, new.lon, new.lat, new.lat);
END;
DROP INDEX cases_near;
