/*
 * session.c - see session.h.
 */
#include "core/session.h"
#include "core/users.h"

#include <stdio.h>
#include <string.h>

#define TOUCH_EVERY 60

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

wg_err session_resolve(store *s, const session_policy *p, const char *token, int64_t now,
                       actor *out, char csrf[AUTH_TOKEN_MAX], wg_why *why)
{
    char hash[65];
    auth_token_hash(token, hash);
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
        if (now - k.last_used >= TOUCH_EVERY)
            store_apikey_touch(s, k.id, now); /* best effort */
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
        if (now - ss.last_seen >= TOUCH_EVERY)
            store_session_touch(s, ss.id, now); /* best effort */
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
