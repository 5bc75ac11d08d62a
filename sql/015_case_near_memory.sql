-- 015_case_near_memory: possible duplicates looked up in the server's
-- memory (core/nearidx.c) instead of the index cases_near.
--
-- Every case taken in added a row to cases_near at a random place in it:
-- about one page of 4 KiB in the write-ahead log per case, a fifth of all
-- the log written under bench/intake, and each lookup read its pages
-- again after every commit of another connection. The server now keeps
-- the cases of the duplicate window in memory, loaded at start and kept
-- up to date by its own reports and actions.
DROP INDEX cases_near;

-- Cases written by any other process (the command line) bump this
-- counter, in the same transaction (store_cases.c): the server reads it
-- now and then and reloads its cases when it moved.
CREATE TABLE case_generation (n INTEGER NOT NULL) STRICT;
INSERT INTO case_generation (n) VALUES (0);
