-- 002_actors: who may act. Users and their roles scoped to a grid subtree
-- or a department, login sessions, API keys for machine clients, and the
-- hash-chained audit log.

-- Departments and forces that receive work ("report for duty"). The case
-- loop adds routing; here they are what a department_staff role is scoped to.
CREATE TABLE departments (
    id    INTEGER PRIMARY KEY,
    code  TEXT NOT NULL UNIQUE,
    name  TEXT NOT NULL,
    kind  TEXT NOT NULL DEFAULT 'department' CHECK (kind IN ('department', 'force'))
) STRICT;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,           -- argon2id, libsodium's encoded string
    phone_sealed  BLOB,                    -- XChaCha20-Poly1305 under the key file
    phone_bidx    TEXT,                    -- keyed hash, for equality lookups
    phone_masked  TEXT,                    -- 138****5678, safe to show
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX users_phone_bidx ON users (phone_bidx);

-- One row per role a user holds, with its scope: 'all', a grid code (the
-- grid and its subtree: grid codes extend their parent's code) or a
-- department code.
CREATE TABLE role_assignments (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'leader', 'community_staff', 'grid_chief',
                                             'grid_member', 'department_staff', 'citizen',
                                             'auditor')),
    scope_kind TEXT NOT NULL CHECK (scope_kind IN ('all', 'grid', 'department')),
    scope      TEXT NOT NULL DEFAULT '',
    UNIQUE (user_id, role, scope_kind, scope)
) STRICT;

-- Login sessions: only the SHA-256 of the token is stored.
CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,          -- unix seconds
    last_seen   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
    client_addr TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);

-- API keys for machine clients: act as their user, with that user's roles.
CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY,
    key_hash   TEXT NOT NULL UNIQUE,
    prefix     TEXT NOT NULL,              -- the first characters, to tell keys apart
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used  INTEGER,
    revoked    INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
) STRICT;
CREATE INDEX api_keys_user ON api_keys (user_id);

-- The audit log: every write, every login attempt, every clear read of
-- personal data. Each row's hash covers its content and the previous
-- row's hash, so an edited, deleted or inserted row breaks the chain
-- (`wangge audit verify`). The triggers stop accidents; the chain catches
-- the rest.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor_id    INTEGER,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    resource    TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
