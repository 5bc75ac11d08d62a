-- 003_grids: administrative divisions and the grid tree.

-- Official divisions (GB/T 2260 and the NBS 12-digit statistical codes):
-- province (2 digits), city (4), county (6), township (9), committee (12).
CREATE TABLE divisions (
    code   TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    level  TEXT NOT NULL CHECK (level IN ('province', 'city', 'county', 'township', 'committee')),
    parent TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX divisions_parent ON divisions (parent);

-- Grids. Codes extend their parent's code (see README, "Grid codes"), so a
-- subtree is a code prefix. geometry is GeoJSON (WGS84, RFC 7946); the
-- bounding box and the geodesic area are computed from it.
CREATE TABLE grids (
    code          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    level         TEXT NOT NULL CHECK (level IN ('l1', 'l2', 'l3', 'micro', 'dedicated')),
    parent        TEXT REFERENCES grids (code),
    division_code TEXT,
    kind          TEXT NOT NULL DEFAULT '',   -- dedicated grids: school, hospital, market, ...
    households    INTEGER NOT NULL DEFAULT 0 CHECK (households >= 0),
    geometry      TEXT NOT NULL,
    area_m2       REAL NOT NULL,
    min_lon REAL NOT NULL, min_lat REAL NOT NULL, max_lon REAL NOT NULL, max_lat REAL NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX grids_parent ON grids (parent);
CREATE INDEX grids_level ON grids (level);

-- People who answer for a grid: chief (网格长), members (网格员), contacts.
CREATE TABLE grid_staff (
    id           INTEGER PRIMARY KEY,
    grid_code    TEXT NOT NULL REFERENCES grids (code) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('grid_chief', 'grid_member', 'contact')),
    name         TEXT NOT NULL,
    phone_sealed BLOB,
    phone_bidx   TEXT,
    phone_masked TEXT,
    user_login   TEXT
) STRICT;
CREATE INDEX grid_staff_grid ON grid_staff (grid_code);

-- "1+3+N": the lead party organisation (1); who holds the grid's, the
-- community's and the property company's responsibility (3); the forces
-- serving the grid (N), each with its type.
CREATE TABLE grid_parties (
    id         INTEGER PRIMARY KEY,
    grid_code  TEXT NOT NULL REFERENCES grids (code) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('lead_party_org', 'grid_duty', 'community_duty',
                                              'property_duty', 'force')),
    force_type TEXT NOT NULL DEFAULT '' CHECK (force_type IN ('', 'police', 'urban_management',
                    'health_service', 'caring_merchant', 'social_organisation', 'volunteers')),
    name       TEXT NOT NULL,
    contact    TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX grid_parties_grid ON grid_parties (grid_code);
