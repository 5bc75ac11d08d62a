/*
 * h_users.c - accounts, their roles and API keys.
 */
#include "core/session.h"
#include "core/users.h"
#include "http/handlers.h"
#include "store/store.h"
#include "util/strparse.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

json_t *user_json(http_req *r, store *db, const store_user *u)
{
    (void)r;
    json_t *roles = json_array();
    store_grant g[ACTOR_MAX_GRANTS];
    int n = 0;
    if (store_grants_get(db, u->id, g, ACTOR_MAX_GRANTS, &n) == WG_OK) {
        for (int i = 0; i < n; i++)
            json_array_append_new(roles,
                                  json_pack("{s:s, s:s, s:s}", "role", g[i].role, "scope_kind",
                                            g[i].scope_kind, "scope", g[i].scope));
    }
    return json_pack("{s:s, s:s, s:s?, s:s?, s:b, s:o, s:s, s:s}", "login", u->login,
                     "display_name", u->display_name, "phone",
                     u->phone_masked[0] ? u->phone_masked : NULL, "id_number",
                     u->id_masked[0] ? u->id_masked : NULL, "disabled", u->disabled, "roles", roles,
                     "created_at", u->created_at, "updated_at", u->updated_at);
}

/* Read "roles": [{"role","scope"}...] into grants; *present is false when
 * the field is absent. */
static wg_err read_grants(http_req *r, store *db, store_grant *g, int *n, bool *present)
{
    json_t *roles = json_is_object(r->json) ? json_object_get(r->json, "roles") : NULL;
    *n = 0;
    *present = roles != NULL;
    if (!roles)
        return WG_OK;
    if (!json_is_array(roles))
        return req_fail(r, WG_ERR_BAD_REQUEST, "roles", "'roles' must be an array");
    if (json_array_size(roles) > ACTOR_MAX_GRANTS)
        return req_fail(r, WG_ERR_INVALID, "roles", "at most %d roles", ACTOR_MAX_GRANTS);
    size_t i;
    json_t *x;
    json_array_foreach(roles, i, x)
    {
        json_t *role = json_object_get(x, "role"), *scope = json_object_get(x, "scope");
        if (!json_is_object(x) || !json_is_string(role) ||
            (scope && !json_is_null(scope) && !json_is_string(scope)))
            return req_fail(r, WG_ERR_BAD_REQUEST, "roles",
                            "each role is {\"role\": string, \"scope\": string}");
        wg_why why = {0};
        wg_err e = users_parse_grant(db, json_string_value(role),
                                     json_is_string(scope) ? json_string_value(scope) : NULL,
                                     &g[*n], &why);
        if (e)
            return req_fail(r, e, "roles", "roles[%zu]: %s", i, why.msg);
        (*n)++;
    }
    return WG_OK;
}

static wg_err load_user(http_req *r, store *db, store_user *u)
{
    const char *login = req_param(r, "login");
    wg_err e = login ? store_user_get(db, login, u) : WG_ERR_NOT_FOUND;
    if (e == WG_ERR_NOT_FOUND)
        return req_fail(r, e, NULL, "no account '%s'", login ? login : "");
    return e;
}

typedef struct {
    http_req *r;
    store *db;
    json_t *items;
    char last[STORE_LOGIN_MAX];
    int n;
} list_ctx;

static wg_err add_user(void *ctx, const store_user *u)
{
    list_ctx *c = ctx;
    json_array_append_new(c->items, user_json(c->r, c->db, u));
    snprintf(c->last, sizeof(c->last), "%s", u->login);
    c->n++;
    return WG_OK;
}

/* Parse ?limit= (1..max, default def). */
static wg_err query_limit(http_req *r, int def, int max, int *out)
{
    const char *v = req_query(r, "limit");
    int64_t n = def;
    if (v && !parse_i64(v, strlen(v), 1, max, &n))
        return req_fail(r, WG_ERR_BAD_REQUEST, "limit", "'limit' must be an integer from 1 to %d",
                        max);
    *out = (int)n;
    return WG_OK;
}

/* GET /api/users?after=LOGIN&limit=N: accounts in login order.
 * ?phone=... or ?id_number=...: the account with it, found by blind index. */
wg_err h_users_list(http_req *r)
{
    int limit = 100;
    wg_err e = query_limit(r, 100, 500, &limit);
    if (e)
        return e;
    const char *phone = req_query(r, "phone"), *idn = req_query(r, "id_number");
    if (phone || idn) {
        store_user u;
        wg_why why = {0};
        json_t *items = json_array();
        e = users_find(req_store(r), req_vault(r), idn ? "id" : "phone", idn ? idn : phone, &u,
                       &why);
        if (e == WG_OK)
            json_array_append_new(items, user_json(r, req_store(r), &u));
        if (e && e != WG_ERR_NOT_FOUND) {
            json_decref(items);
            return req_fail_why(r, e, &why);
        }
        return reply_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next"));
    }
    list_ctx c = {.r = r, .db = req_store(r), .items = json_array()};
    e = store_user_list(c.db, req_query(r, "after"), limit, add_user, &c);
    if (e) {
        json_decref(c.items);
        return e;
    }
    return reply_json(
        r, 200, json_pack("{s:o, s:s?}", "items", c.items, "next", c.n == limit ? c.last : NULL));
}

/* POST /api/users {"login","display_name","password","phone"?,"roles"?} */
wg_err h_user_create(http_req *r)
{
    store *db = req_store(r);
    user_new in = {0};
    wg_err e;
    if ((e = req_json_string(r, "login", true, 64, &in.login)) ||
        (e = req_json_string(r, "display_name", true, 256, &in.display_name)) ||
        (e = req_json_string(r, "password", true, 1024, &in.password)) ||
        (e = req_json_string(r, "phone", false, 32, &in.phone)) ||
        (e = req_json_string(r, "id_number", false, 32, &in.id_number)))
        return e;
    store_grant g[ACTOR_MAX_GRANTS];
    bool present;
    if ((e = read_grants(r, db, g, &in.ngrants, &present)))
        return e;
    in.grants = g;
    int64_t id;
    wg_why why = {0};
    if ((e = users_create(db, req_vault(r), &in, req_config(r)->password_memlimit, &id, &why)))
        return req_fail_why(r, e, &why);
    store_user u;
    if ((e = store_user_get_by_id(db, id, &u)))
        return e;
    r->audit_resource = arena_printf(&r->ar, "/api/users/%s", u.login);
    return reply_json(r, 201, user_json(r, db, &u));
}

/* GET /api/users/{login}[?reveal=phone&reason=...]: the account, phone
 * masked; in clear only for roles allowed to, with a reason, audited. */
wg_err h_user_get(http_req *r)
{
    store *db = req_store(r);
    store_user u;
    wg_err e = load_user(r, db, &u);
    if (e)
        return e;
    json_t *j = user_json(r, db, &u);
    const char *reveal = req_query(r, "reveal");
    if (!reveal)
        return reply_json(r, 200, j);
    arena_defer(&r->ar, (void (*)(void *))json_decref, j);
    bool want_id = strcmp(reveal, "id_number") == 0;
    if (strcmp(reveal, "phone") != 0 && !want_id)
        return req_fail(r, WG_ERR_BAD_REQUEST, "reveal", "'reveal' is 'phone' or 'id_number'");
    if (!actor_can(REQ_WHO(r), PERM_PII_REVEAL))
        return req_fail(r, WG_ERR_FORBIDDEN, "reveal", "your roles may not read personal data");
    const char *reason = req_query(r, "reason");
    if (!reason || strlen(reason) < 2 || strlen(reason) > 200)
        return req_fail(r, WG_ERR_INVALID, "reason",
                        "reading personal data in clear needs a 'reason' (2 to 200 bytes)");
    char clear[32];
    e = want_id ? users_reveal_id(req_vault(r), &u, clear, sizeof(clear))
                : users_reveal_phone(req_vault(r), &u, clear, sizeof(clear));
    if (e == WG_ERR_NOT_FOUND)
        return req_fail(r, e, reveal, "the account has no %s", reveal);
    if (e)
        return e;
    char *detail = arena_printf(&r->ar, "%s: %s", reveal, reason);
    if ((e = req_audit_record(r, "pii.read", detail)))
        return req_fail(r, e, NULL, "the read could not be audited, so it is refused");
    json_object_set_new(j, reveal, json_string(clear));
    return reply_json(r, 200, json_incref(j));
}

/* PUT /api/users/{login} {"display_name"?, "phone"?, "id_number"? ("" removes)} */
wg_err h_user_update(http_req *r)
{
    const char *name = NULL, *phone = NULL, *idn = NULL, *login = req_param(r, "login");
    wg_err e;
    if ((e = req_json_string(r, "display_name", false, 256, &name)) ||
        (e = req_json_string(r, "phone", false, 32, &phone)) ||
        (e = req_json_string(r, "id_number", false, 32, &idn)))
        return e;
    wg_why why = {0};
    store *db = req_store(r);
    if ((e = users_update(db, req_vault(r), login, name, phone, idn, &why)))
        return req_fail_why(r, e, &why);
    store_user u;
    if ((e = store_user_get(db, login, &u)))
        return e;
    return reply_json(r, 200, user_json(r, db, &u));
}

/* PUT /api/users/{login}/roles {"roles":[...]}: replace every grant. */
wg_err h_user_roles(http_req *r)
{
    store *db = req_store(r);
    store_grant g[ACTOR_MAX_GRANTS];
    int n;
    bool present;
    wg_err e = read_grants(r, db, g, &n, &present);
    if (e)
        return e;
    if (!present)
        return req_fail(r, WG_ERR_INVALID, "roles", "'roles' is required");
    wg_why why = {0};
    const char *login = req_param(r, "login");
    if ((e = users_set_grants(db, login, g, n, &why)))
        return req_fail_why(r, e, &why);
    store_user u;
    if ((e = store_user_get(db, login, &u)))
        return e;
    return reply_json(r, 200, user_json(r, db, &u));
}

/* POST /api/users/{login}/password {"password", "current_password"}:
 * yourself with your current password, or anyone's as an admin.
 *
 * argon2id is slow: the current password is checked and the new one hashed
 * before the write transaction, which then only stores the hash (the route
 * has no automatic transaction). Wrong current passwords count against the
 * login throttle like failed logins. */
wg_err h_user_password(http_req *r)
{
    const actor *a = REQ_WHO(r);
    const char *login = req_param(r, "login"), *pw = NULL, *cur = NULL;
    wg_err e;
    if ((e = req_json_string(r, "password", true, 1024, &pw)) ||
        (e = req_json_string(r, "current_password", false, 1024, &cur)))
        return e;
    bool self = strcmp(a->login, login) == 0;
    if (!self && !actor_can(a, PERM_USERS_WRITE))
        return req_fail(r, WG_ERR_FORBIDDEN, NULL, "you may change only your own password");
    store *db = req_store(r);
    store_user u;
    if ((e = store_user_get(db, login, &u)))
        return e == WG_ERR_NOT_FOUND ? req_fail(r, e, NULL, "no account '%s'", login) : e;
    wg_why why = {0};
    if (!auth_password_ok(pw, &why))
        return req_fail(r, WG_ERR_INVALID, why.field, "%s", why.msg);
    if (self && !actor_can(a, PERM_USERS_WRITE)) {
        const session_policy *p = req_policy(r);
        char key[96];
        snprintf(key, sizeof(key), "u:%s", login);
        int64_t now = (int64_t)time(NULL), wait = throttle_wait(req_throttle(r), key, now);
        if (wait) {
            char *ra = arena_printf(&r->ar, "%lld", (long long)wait);
            if (ra)
                reply_header(r, "Retry-After", ra);
            return req_fail(r, WG_ERR_TOO_MANY, NULL, "too many wrong passwords; wait %lld s",
                            (long long)wait);
        }
        if (!cur || !auth_password_verify(u.password_hash, cur)) {
            throttle_fail(req_throttle(r), key, now, p->free_tries_login);
            req_fail(r, WG_ERR_INVALID, "current_password", "the current password is wrong");
            req_audit_record(r, "user.password.failure", r->err_msg);
            return WG_ERR_INVALID;
        }
    }
    char hash[AUTH_HASH_MAX];
    if ((e = auth_password_hash(pw, req_config(r)->password_memlimit, hash)))
        return e;
    if ((e = store_begin(db)))
        return e;
    if (!(e = users_set_password_hash(db, login, hash, &why)) &&
        !(e = req_audit(r, "user.password", NULL)))
        e = store_commit(db);
    if (e) {
        store_rollback(db);
        return req_fail_why(r, e, &why);
    }
    return reply_json(r, 200, json_pack("{s:s}", "status", "changed"));
}

static wg_err set_disabled(http_req *r, bool disabled)
{
    wg_why why = {0};
    const char *login = req_param(r, "login");
    if (disabled && strcmp(login, REQ_WHO(r)->login) == 0)
        return req_fail(r, WG_ERR_CONFLICT, NULL, "you cannot disable your own account");
    wg_err e = users_set_disabled(req_store(r), login, disabled, &why);
    if (e)
        return req_fail_why(r, e, &why);
    store_user u;
    if ((e = store_user_get(req_store(r), login, &u)))
        return e;
    return reply_json(r, 200, user_json(r, req_store(r), &u));
}

/* POST /api/users/{login}/disable: also ends every session. */
wg_err h_user_disable(http_req *r)
{
    return set_disabled(r, true);
}

/* POST /api/users/{login}/enable */
wg_err h_user_enable(http_req *r)
{
    return set_disabled(r, false);
}

/* POST /api/users/{login}/revoke-sessions: log the account out everywhere. */
wg_err h_user_revoke_sessions(http_req *r)
{
    store *db = req_store(r);
    store_user u;
    wg_err e = load_user(r, db, &u);
    int n = 0;
    if (e || (e = store_sessions_revoke_user(db, u.id, &n)))
        return e;
    r->audit_detail = arena_printf(&r->ar, "%d session(s)", n);
    return reply_json(r, 200, json_pack("{s:i}", "revoked", n));
}

static wg_err add_key(void *ctx, const store_apikey *k)
{
    json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:I, s:o, s:b}", "id", (json_int_t)k->id,
                                         "name", k->name, "prefix", k->prefix, "created_at",
                                         (json_int_t)k->created_at, "last_used",
                                         k->last_used ? json_integer(k->last_used) : json_null(),
                                         "revoked", k->revoked));
    return WG_OK;
}

/* GET /api/users/{login}/api-keys: the keys (never the secrets). */
wg_err h_apikeys_list(http_req *r)
{
    store *db = req_store(r);
    store_user u;
    wg_err e = load_user(r, db, &u);
    if (e)
        return e;
    json_t *items = json_array();
    if ((e = store_apikey_list(db, u.id, add_key, items))) {
        json_decref(items);
        return e;
    }
    return reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/* POST /api/users/{login}/api-keys {"name"} -> the key, shown this once. */
wg_err h_apikey_create(http_req *r)
{
    const char *name = NULL;
    wg_err e = req_json_string(r, "name", true, 127, &name);
    if (e)
        return e;
    session_created sc;
    wg_why why = {0};
    if ((e = session_apikey_create(req_store(r), req_param(r, "login"), name, (int64_t)time(NULL),
                                   &sc, &why)))
        return req_fail_why(r, e, &why);
    r->audit_detail = arena_printf(&r->ar, "key %lld (%s)", (long long)sc.session_id, name);
    char *key = arena_strdup(&r->ar, sc.token);
    return reply_json(r, 201,
                      json_pack("{s:I, s:s, s:s}", "id", (json_int_t)sc.session_id, "name", name,
                                "key", key ? key : ""));
}

/* DELETE /api/users/{login}/api-keys/{id} */
wg_err h_apikey_revoke(http_req *r)
{
    store *db = req_store(r);
    store_user u;
    wg_err e = load_user(r, db, &u);
    if (e)
        return e;
    const char *ids = req_param(r, "id");
    int64_t id;
    if (!ids || !parse_i64(ids, strlen(ids), 1, INT64_MAX, &id))
        return req_fail(r, WG_ERR_NOT_FOUND, NULL, "no such key");
    e = store_apikey_revoke(db, u.id, id);
    if (e == WG_ERR_NOT_FOUND)
        return req_fail(r, e, NULL, "no live key %lld for '%s'", (long long)id, u.login);
    if (e)
        return e;
    return reply_json(r, 200, json_pack("{s:s}", "status", "revoked"));
}
