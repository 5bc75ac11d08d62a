/*
 * auth.h - passwords, tokens and login throttling.
 *
 * Passwords are hashed with argon2id (libsodium's crypto_pwhash_str).
 * Session tokens and API keys are 32 random bytes, base64url, with a
 * prefix that says which they are ("wgs_" session, "wgk_" API key); only
 * their SHA-256 is stored. The throttle is in memory: it counts failed
 * logins per account and per client address and makes them wait, doubling
 * each time, once a few free tries are used up.
 */
#ifndef WG_AUTH_H
#define WG_AUTH_H

#include "util/common.h"
#include "util/err.h"

#define AUTH_HASH_MAX 128  /* crypto_pwhash_STRBYTES */
#define AUTH_TOKEN_MAX 64
#define AUTH_SESSION_PREFIX "wgs_"
#define AUTH_APIKEY_PREFIX "wgk_"

/* Call once before anything else (sodium_init). */
wg_err auth_init(void);

/* Is this an acceptable new password? At least 8 characters (UTF-8 code
 * points), at most 1024 bytes, not all one character. */
bool auth_password_ok(const char *pw, wg_why *why);

/* Hash pw with argon2id using memlimit bytes (>= 8 KiB) and the interactive
 * ops limit. out receives the encoded string. */
wg_err auth_password_hash(const char *pw, uint64_t memlimit, char out[AUTH_HASH_MAX]);

/* Verify pw against an encoded hash, in constant time with respect to pw. */
bool auth_password_verify(const char *hash, const char *pw);

/* Spend the time a verification takes, for unknown accounts, so that
 * timing does not tell which logins exist. */
void auth_password_dummy(const char *pw, uint64_t memlimit);

/* A new random token with prefix (e.g. AUTH_SESSION_PREFIX). */
void auth_token_new(const char *prefix, char out[AUTH_TOKEN_MAX]);

/* SHA-256 of a token, hex. */
void auth_token_hash(const char *token, char out[65]);

/* Constant-time string equality (for CSRF tokens). */
bool auth_equal(const char *a, const char *b);

/* ---- throttle ---- */

typedef struct throttle throttle;

throttle *throttle_new(void);
void throttle_free(throttle *t);

/* Seconds `key` must still wait before another try (0: may try now). */
int64_t throttle_wait(throttle *t, const char *key, int64_t now);

/* Count a failure for key. After free_tries failures, each further one
 * makes the key wait 1, 2, 4, ... seconds, at most 15 minutes. */
void throttle_fail(throttle *t, const char *key, int64_t now, int free_tries);

/* Forget key's failures (after a successful login). */
void throttle_reset(throttle *t, const char *key);

#endif
