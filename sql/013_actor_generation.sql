-- 013_actor_generation: a counter that every change to who may do what
-- bumps, so that the server can keep resolved sessions and API keys in
-- memory and read this one row per request instead of the session, the
-- account and its roles (core/session.c). Triggers count the changes of
-- any process, the CLI's too. A session's or key's last use (last_seen,
-- last_used) is no such change; a new session or key replaces nothing
-- kept.
CREATE TABLE actor_generation (n INTEGER NOT NULL) STRICT;
INSERT INTO actor_generation (n) VALUES (0);
CREATE TRIGGER actor_generation_users_update AFTER UPDATE ON users BEGIN
    UPDATE actor_generation SET n = n + 1;
END;
CREATE TRIGGER actor_generation_users_delete AFTER DELETE ON users BEGIN
    UPDATE actor_generation SET n = n + 1;
END;
CREATE TRIGGER actor_generation_roles_insert AFTER INSERT ON role_assignments BEGIN
    UPDATE actor_generation SET n = n + 1;
END;
CREATE TRIGGER actor_generation_roles_update AFTER UPDATE ON role_assignments BEGIN
    UPDATE actor_generation SET n = n + 1;
END;
CREATE TRIGGER actor_generation_roles_delete AFTER DELETE ON role_assignments BEGIN
    UPDATE actor_generation SET n = n + 1;
END;
CREATE TRIGGER actor_generation_sessions_update
    AFTER UPDATE OF token_hash, user_id, csrf, expires_at, revoked ON sessions BEGIN
    UPDATE actor_generation SET n = n + 1;
END;
CREATE TRIGGER actor_generation_sessions_delete AFTER DELETE ON sessions BEGIN
    UPDATE actor_generation SET n = n + 1;
END;
CREATE TRIGGER actor_generation_keys_update
    AFTER UPDATE OF key_hash, user_id, revoked ON api_keys BEGIN
    UPDATE actor_generation SET n = n + 1;
END;
CREATE TRIGGER actor_generation_keys_delete AFTER DELETE ON api_keys BEGIN
    UPDATE actor_generation SET n = n + 1;
END;
