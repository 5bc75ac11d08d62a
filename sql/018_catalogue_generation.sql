-- 018_catalogue_generation: a counter that every change to the catalogue
-- bumps (categories, routing rules), by any process. A server keeps the
-- catalogue in memory and reads this number in the same statement as the
-- actor generation (013), which every signed-in request reads anyway: a
-- report then routes and sets its deadlines without reading the tables.
CREATE TABLE catalogue_generation (n INTEGER NOT NULL) STRICT;
INSERT INTO catalogue_generation (n) VALUES (0);
CREATE TRIGGER catalogue_generation_categories_insert AFTER INSERT ON categories BEGIN
    UPDATE catalogue_generation SET n = n + 1;
END;
CREATE TRIGGER catalogue_generation_categories_update AFTER UPDATE ON categories BEGIN
    UPDATE catalogue_generation SET n = n + 1;
END;
CREATE TRIGGER catalogue_generation_categories_delete AFTER DELETE ON categories BEGIN
    UPDATE catalogue_generation SET n = n + 1;
END;
CREATE TRIGGER catalogue_generation_routes_insert AFTER INSERT ON route_rules BEGIN
    UPDATE catalogue_generation SET n = n + 1;
END;
CREATE TRIGGER catalogue_generation_routes_update AFTER UPDATE ON route_rules BEGIN
    UPDATE catalogue_generation SET n = n + 1;
END;
CREATE TRIGGER catalogue_generation_routes_delete AFTER DELETE ON route_rules BEGIN
    UPDATE catalogue_generation SET n = n + 1;
END;
