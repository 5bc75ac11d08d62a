/*
 * h_auth.c - logging in and out, and who am I.
 */
#include "core/session.h"
#include "core/users.h"
#include "http/handlers.h"
#include "store/store.h"

#include <stdio.h>
#include <time.h>

#define SESSION_COOKIE "wg_session"

static json_t *iso_time(int64_t t)
{
    char buf[32];
    struct tm tm;
    time_t tt = (time_t)t;
    gmtime_r(&tt, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(buf);
}

/* POST /api/login {"login","password"} -> the token (also as an HttpOnly
 * cookie for the console) and the CSRF token for cookie writes. The
 * password is checked outside any write transaction (argon2id is slow);
 * only the session row and its audit row are written together. */
wg_err h_login(http_req *r)
{
    const char *login = NULL, *password = NULL;
    wg_err e;
    if ((e = req_json_string(r, "login", true, 64, &login)) ||
        (e = req_json_string(r, "password", true, 1024, &password)))
        return e;
    r->audit_actor = login;
    store *db = req_store(r);
    if (!db)
        return WG_ERR_UNAVAILABLE;
    int64_t now = (int64_t)time(NULL), retry = 0, user_id = 0;
    wg_why why = {0};
    e = session_authenticate(db, req_throttle(r), req_policy(r), login, password, r->client_addr,
                             now, &user_id, &retry, &why);
    if (e) {
        if (e == WG_ERR_TOO_MANY) {
            char *ra = arena_printf(&r->ar, "%lld", (long long)retry);
            if (ra)
                reply_header(r, "Retry-After", ra);
        }
        req_fail(r, e, why.field, "%s", why.msg[0] ? why.msg : wg_strerror(e));
        /* Throttled tries are not written one by one: that would let
         * anyone fill the disk and hold the write lock. */
        if (e != WG_ERR_TOO_MANY)
            req_audit_record(r, "login.failure", r->err_msg);
        return e;
    }
    actor *a = arena_calloc(&r->ar, 1, sizeof(*a));
    session_created sc;
    if (!a)
        return WG_ERR_NOMEM;
    if ((e = store_begin(db)))
        return e;
    if (!(e = session_create(db, req_policy(r), user_id, r->client_addr, now, &sc)) &&
        !(e = users_load_actor(db, user_id, a))) {
        r->who = a;
        if (!(e = req_audit(r, "login", NULL)))
            e = store_commit(db);
    }
    if (e) {
        store_rollback(db);
        return e;
    }
    const wg_config *cfg = req_config(r);
    char *cookie = arena_printf(&r->ar, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s",
                                SESSION_COOKIE, sc.token, (long long)cfg->session_ttl,
                                cfg->cookie_secure ? "; Secure" : "");
    if (!cookie)
        return WG_ERR_NOMEM;
    reply_header(r, "Set-Cookie", cookie);
    store_user u;
    if ((e = store_user_get_by_id(db, user_id, &u)))
        return e;
    json_t *user = user_json(r, db, &u);
    return reply_json(r, 200,
                      json_pack("{s:s, s:s, s:o, s:o}", "token", sc.token, "csrf_token", sc.csrf,
                                "expires_at", iso_time(sc.expires_at), "user", user));
}

/* POST /api/logout: end this session (an API key is revoked elsewhere). */
wg_err h_logout(http_req *r)
{
    const actor *a = REQ_WHO(r);
    if (a->session_id) {
        wg_err e = store_session_revoke(req_store(r), a->session_id);
        if (e)
            return e;
    }
    reply_header(r, "Set-Cookie", SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    return reply_json(r, 200, json_pack("{s:s}", "status", "logged_out"));
}

/* GET /api/me: the actor, its roles, and the CSRF token of its session. */
wg_err h_me(http_req *r)
{
    const actor *a = REQ_WHO(r);
    store_user u;
    wg_err e = store_user_get_by_id(req_store(r), a->user_id, &u);
    if (e)
        return e;
    json_t *j = json_pack("{s:o, s:s}", "user", user_json(r, req_store(r), &u), "auth",
                          a->session_id ? "session" : "api_key");
    if (j && a->session_id)
        json_object_set_new(j, "csrf_token", json_string(r->csrf));
    json_t *perms = json_array();
    for (int p = PERM_SELF + 1; perms && p < PERM_COUNT; p++)
        if (perm_name((perm_id)p) && actor_can(a, (perm_id)p))
            json_array_append_new(perms, json_string(perm_name((perm_id)p)));
    if (j) {
        json_object_set_new(j, "permissions", perms);
        json_object_set_new(j, "console",
                            json_pack("{s:s?}", "map_tiles",
                                      *req_config(r)->map_tiles ? req_config(r)->map_tiles : NULL));
    } else
        json_decref(perms);
    return reply_json(r, 200, j);
}
