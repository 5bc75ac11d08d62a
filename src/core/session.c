/*
 * session.c - see session.h.
 */
#include "core/session.h"
#include "core/users.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOUCH_EVERY 60
#define CACHE_SLOTS 1024 /* direct-mapped by the token's hash */

static const char generic[] = "wrong login or password";

wg_err session_authenticate(store *s, throttle *t, const session_policy *p, const char *login,
                            const char *password, const char *addr, int64_t now,
                            int64_t *user_id, int64_t *retry_after, wg_why *why)
{
    char kl[128], ka[128];
    snprintf(kl, sizeof(kl), "u:%s", login);
    snprintf(ka, sizeof(ka), "a:%s", addr ? addr : "");
    int64_t wl = throttle_wait(t, kl, now), wa = throttle_wait(t, ka, now);
    if (wl || wa) {
        *retry_after = wl > wa ? wl : wa;
        return wg_fail(why, WG_ERR_TOO_MANY, NULL,
                       "too many failed logins; try again in %lld s", (long long)*retry_after);
    }
    store_user u;
    wg_err e = store_user_get(s, login, &u);
    bool ok;
    if (e == WG_ERR_NOT_FOUND) {
        auth_password_dummy(password, p->memlimit);
        ok = false;
    } else if (e) {
        return e;
    } else {
        ok = auth_password_verify(u.password_hash, password) && !u.disabled;
    }
    if (!ok) {
        throttle_fail(t, kl, now, p->free_tries_login);
        throttle_fail(t, ka, now, p->free_tries_addr);
        return wg_fail(why, WG_ERR_UNAUTHORIZED, NULL, generic);
    }
    throttle_reset(t, kl);
    *user_id = u.id;
    return WG_OK;
}

wg_err session_create(store *s, const session_policy *p, int64_t user_id, const char *addr,
                      int64_t now, session_created *out)
{
    memset(out, 0, sizeof(*out));
    auth_token_new(AUTH_SESSION_PREFIX, out->token);
    auth_token_new("", out->csrf);
    char hash[65];
    auth_token_hash(out->token, hash);
    out->expires_at = now + p->ttl;
    out->user_id = user_id;
    return store_session_insert(s, hash, user_id, out->csrf, now, out->expires_at, addr,
                                &out->session_id);
}

static wg_err unauthorized(wg_why *why, const char *msg)
{
    return wg_fail(why, WG_ERR_UNAUTHORIZED, NULL, "%s", msg);
}

static wg_err resolve_hashed(store *s, const session_policy *p, const char *token, const char *hash,
                             int64_t now, actor *out, char csrf[AUTH_TOKEN_MAX], int64_t *seen,
                             int64_t *expires_at, wg_why *why)
{
    int64_t user_id, session_id = 0, key_id = 0;
    csrf[0] = '\0';
    if (strncmp(token, AUTH_APIKEY_PREFIX, strlen(AUTH_APIKEY_PREFIX)) == 0) {
        store_apikey k;
        wg_err e = store_apikey_get(s, hash, &k);
        if (e == WG_ERR_NOT_FOUND || (!e && k.revoked))
            return unauthorized(why, "unknown or revoked API key");
        if (e)
            return e;
        user_id = k.user_id;
        key_id = k.id;
        *seen = k.last_used;
        *expires_at = INT64_MAX;
        if (now - k.last_used >= TOUCH_EVERY) {
            store_apikey_touch(s, k.id, now); /* best effort */
            *seen = now;
        }
    } else {
        store_session ss;
        wg_err e = store_session_get(s, hash, &ss);
        if (e == WG_ERR_NOT_FOUND || (!e && ss.revoked))
            return unauthorized(why, "not logged in, or the session has ended");
        if (e)
            return e;
        if (now >= ss.expires_at || now - ss.last_seen > p->idle)
            return unauthorized(why, "the session has expired; log in again");
        user_id = ss.user_id;
        session_id = ss.id;
        snprintf(csrf, AUTH_TOKEN_MAX, "%s", ss.csrf);
        *seen = ss.last_seen;
        *expires_at = ss.expires_at;
        if (now - ss.last_seen >= TOUCH_EVERY) {
            store_session_touch(s, ss.id, now); /* best effort */
            *seen = now;
        }
    }
    store_user u;
    wg_err e = store_user_get_by_id(s, user_id, &u);
    if (e == WG_ERR_NOT_FOUND || (!e && u.disabled))
        e = unauthorized(why, "the account is disabled");
    if (!e)
        e = users_load_actor(s, user_id, out);
    if (e) {
        csrf[0] = '\0'; /* nothing of a refused session leaks out */
        return e;
    }
    out->session_id = session_id;
    out->api_key_id = key_id;
    return WG_OK;
}

wg_err session_resolve(store *s, const session_policy *p, const char *token, int64_t now,
                       actor *out, char csrf[AUTH_TOKEN_MAX], wg_why *why)
{
    char hash[65];
    int64_t seen, expires_at;
    auth_token_hash(token, hash);
    return resolve_hashed(s, p, token, hash, now, out, csrf, &seen, &expires_at, why);
}

/* ---- the cache ---- */

typedef struct {
    char hash[65]; /* "" when free */
    int64_t generation;
    int64_t seen;       /* last_seen or last_used as last written */
    int64_t expires_at; /* INT64_MAX for an API key */
    actor who;
    char csrf[AUTH_TOKEN_MAX];
} cache_entry;

struct session_cache {
    pthread_mutex_t lock;
    cache_entry slot[CACHE_SLOTS];
};

session_cache *session_cache_new(void)
{
    session_cache *c = calloc(1, sizeof(*c));
    if (c)
        pthread_mutex_init(&c->lock, NULL);
    return c;
}

void session_cache_free(session_cache *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static cache_entry *slot_of(session_cache *c, const char *hash)
{
    uint32_t h = 0; /* the hash's first 8 hex digits */
    for (int i = 0; i < 8 && hash[i]; i++)
        h = h * 16 + (uint32_t)(hash[i] <= '9' ? hash[i] - '0' : (hash[i] | 0x20) - 'a' + 10);
    return &c->slot[h % CACHE_SLOTS];
}

/* A hit: the entry is of this generation and the session still live. The
 * last use is written at most once a minute, as without the cache. */
static bool cache_get(session_cache *c, store *s, const session_policy *p, const char *hash,
                      int64_t generation, int64_t now, actor *out, char csrf[AUTH_TOKEN_MAX])
{
    cache_entry *e = slot_of(c, hash);
    pthread_mutex_lock(&c->lock);
    bool hit = e->generation == generation && strcmp(e->hash, hash) == 0 && now < e->expires_at &&
               (e->who.session_id == 0 || now - e->seen <= p->idle);
    bool touch = hit && now - e->seen >= TOUCH_EVERY;
    if (hit) {
        *out = e->who;
        memcpy(csrf, e->csrf, AUTH_TOKEN_MAX);
        if (touch)
            e->seen = now;
    }
    pthread_mutex_unlock(&c->lock);
    if (touch && out->session_id)
        store_session_touch(s, out->session_id, now); /* best effort */
    else if (touch)
        store_apikey_touch(s, out->api_key_id, now);
    return hit;
}

static void cache_put(session_cache *c, const char *hash, int64_t generation, int64_t seen,
                      int64_t expires_at, const actor *who, const char *csrf)
{
    cache_entry *e = slot_of(c, hash);
    pthread_mutex_lock(&c->lock);
    snprintf(e->hash, sizeof(e->hash), "%s", hash);
    e->generation = generation;
    e->seen = seen;
    e->expires_at = expires_at;
    e->who = *who;
    memcpy(e->csrf, csrf, AUTH_TOKEN_MAX);
    pthread_mutex_unlock(&c->lock);
}

wg_err session_resolve_cached(session_cache *c, store *s, const session_policy *p,
                              const char *token, int64_t now, actor *out, char csrf[AUTH_TOKEN_MAX],
                              wg_why *why)
{
    /* The generation is read before the rows: a change committed in
     * between leaves the entry stale, never a stale entry current. */
    int64_t generation = 0;
    if (c && store_actor_generation(s, &generation) != WG_OK)
        c = NULL;
    return session_resolve_at(c, s, p, token, generation, now, out, csrf, why);
}

wg_err session_resolve_at(session_cache *c, store *s, const session_policy *p,
                          const char *token, int64_t generation, int64_t now, actor *out,
                          char csrf[AUTH_TOKEN_MAX], wg_why *why)
{
    char hash[65];
    auth_token_hash(token, hash);
    if (c && cache_get(c, s, p, hash, generation, now, out, csrf))
        return WG_OK;
    int64_t seen = 0, expires_at = 0;
    wg_err e = resolve_hashed(s, p, token, hash, now, out, csrf, &seen, &expires_at, why);
    if (!e && c)
        cache_put(c, hash, generation, seen, expires_at, out, csrf);
    return e;
}

wg_err session_apikey_create(store *s, const char *login, const char *name, int64_t now,
                             session_created *out, wg_why *why)
{
    store_user u;
    wg_err e = store_user_get(s, login, &u);
    if (e == WG_ERR_NOT_FOUND)
        return wg_fail(why, e, NULL, "no account '%s'", login);
    if (e)
        return e;
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= STORE_NAME_MAX)
        return wg_fail(why, WG_ERR_INVALID, "name", "the key needs a name of 1 to %d bytes",
                       STORE_NAME_MAX - 1);
    memset(out, 0, sizeof(*out));
    auth_token_new(AUTH_APIKEY_PREFIX, out->token);
    char hash[65], prefix[16];
    auth_token_hash(out->token, hash);
    snprintf(prefix, sizeof(prefix), "%.10s", out->token);
    out->user_id = u.id;
    return store_apikey_insert(s, hash, prefix, u.id, name, now, &out->session_id);
}
