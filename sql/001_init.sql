-- 001_init: the instance itself.
-- Every later migration is a new numbered file; applied files never change.

-- Facts about this database: when it was created, by which version.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

INSERT INTO meta (key, value) VALUES
    ('created_at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('instance_id', lower(hex(randomblob(16))));
