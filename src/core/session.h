/*
 * session.h - logging in and out, and turning a token into an actor.
 *
 * A login checks the throttle (per account and per client address), the
 * password (argon2id; unknown accounts cost the same time), and creates a
 * session row holding only the token's hash. Every refusal says the same
 * "wrong login or password", whether the account exists, is disabled or
 * the password is wrong. session_resolve accepts a session token or an API
 * key and loads the actor with its grants; session_resolve_cached keeps
 * what it resolved in memory while the actor generation is unchanged.
 */
#ifndef WG_SESSION_H
#define WG_SESSION_H

#include "core/actor.h"
#include "core/auth.h"
#include "store/store.h"

typedef struct {
    int64_t ttl;          /* seconds a session lives at most */
    int64_t idle;         /* seconds without use before it ends */
    uint64_t memlimit;    /* argon2id memory, bytes */
    int free_tries_login; /* failures per account before waits begin */
    int free_tries_addr;  /* failures per client address before waits begin */
} session_policy;

typedef struct {
    char token[AUTH_TOKEN_MAX];
    char csrf[AUTH_TOKEN_MAX];
    int64_t expires_at;
    int64_t user_id;
    int64_t session_id;
} session_created;

/* Check credentials (reads only: run it outside any write transaction,
 * argon2id takes a while). *user_id receives the account. WG_ERR_TOO_MANY
 * with *retry_after when throttled; WG_ERR_UNAUTHORIZED for any bad
 * credential. */
wg_err session_authenticate(store *s, throttle *t, const session_policy *p, const char *login,
                            const char *password, const char *addr, int64_t now,
                            int64_t *user_id, int64_t *retry_after, wg_why *why);

/* Create a session for an account (in the caller's transaction). */
wg_err session_create(store *s, const session_policy *p, int64_t user_id, const char *addr,
                      int64_t now, session_created *out);

/* Resolve a session token or API key into an actor. csrf receives the
 * session's CSRF token ("" for API keys). WG_ERR_UNAUTHORIZED when the
 * token is unknown, revoked, expired, idle too long, or its account is
 * disabled. Touches last-seen at most once a minute. */
wg_err session_resolve(store *s, const session_policy *p, const char *token, int64_t now,
                       actor *out, char csrf[AUTH_TOKEN_MAX], wg_why *why);

/* Resolved sessions and API keys kept in memory, keyed by the token's
 * hash, each with the actor generation it was resolved at: an entry serves
 * only while the generation is unchanged (any change to accounts, roles,
 * sessions or keys, by any process, bumps it) and, for a session, while
 * it has neither expired nor been idle too long, checked as ever. A hit
 * reads one row instead of the session, the account and its roles.
 * Thread-safe. */
typedef struct session_cache session_cache;
session_cache *session_cache_new(void);
void session_cache_free(session_cache *c);

/* session_resolve through the cache (c may be NULL: no cache). */
wg_err session_resolve_cached(session_cache *c, store *s, const session_policy *p,
                              const char *token, int64_t now, actor *out, char csrf[AUTH_TOKEN_MAX],
                              wg_why *why);

/* session_resolve_cached with the actor generation the caller read
 * (store_generations) before anything else of the token. */
wg_err session_resolve_at(session_cache *c, store *s, const session_policy *p,
                          const char *token, int64_t generation, int64_t now, actor *out,
                          char csrf[AUTH_TOKEN_MAX], wg_why *why);

/* Create an API key for an account (in the caller's transaction); the key
 * itself is in out->token and is shown once. */
wg_err session_apikey_create(store *s, const char *login, const char *name, int64_t now,
                             session_created *out, wg_why *why);

#endif
