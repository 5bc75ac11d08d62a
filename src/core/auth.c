/*
 * auth.c - see auth.h.
 */
#include "core/auth.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

wg_err auth_init(void)
{
    return sodium_init() < 0 ? WG_ERR_INTERNAL : WG_OK;
}

/* Length in bytes of the UTF-8 sequence starting at p (1 for a stray
 * byte), never past the end. */
static size_t utf8_len(const unsigned char *p, size_t left)
{
    size_t k = *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC0 ? 2 : 1;
    return k <= left ? k : 1;
}

bool auth_password_ok(const char *pw, wg_why *why)
{
    size_t n = strlen(pw);
    if (n > 1024) {
        wg_fail(why, WG_ERR_INVALID, "password", "the password must have at most 1024 bytes");
        return false;
    }
    /* Count characters, not bytes, and compare whole characters: "网网网"
     * is three characters of one kind. */
    const unsigned char *u = (const unsigned char *)pw;
    size_t first = n ? utf8_len(u, n) : 0, chars = 0;
    bool all_same = true;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_len(u + i, n - i);
        if (k != first || memcmp(u + i, u, k) != 0)
            all_same = false;
        i += k;
        chars++;
    }
    if (chars < 8) {
        wg_fail(why, WG_ERR_INVALID, "password", "the password must have at least 8 characters");
        return false;
    }
    if (all_same) {
        wg_fail(why, WG_ERR_INVALID, "password", "the password must not repeat one character");
        return false;
    }
    return true;
}

wg_err auth_password_hash(const char *pw, uint64_t memlimit, char out[AUTH_HASH_MAX])
{
    if (crypto_pwhash_str_alg(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              (size_t)memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return WG_ERR_NOMEM;
    return WG_OK;
}

bool auth_password_verify(const char *hash, const char *pw)
{
    return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

void auth_password_dummy(const char *pw, uint64_t memlimit)
{
    char h[AUTH_HASH_MAX];
    /* Hashing costs what verifying costs: same algorithm and limits. */
    if (auth_password_hash(pw, memlimit, h) == WG_OK)
        sodium_memzero(h, sizeof(h));
}

void auth_token_new(const char *prefix, char out[AUTH_TOKEN_MAX])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof(raw));
    size_t p = strlen(prefix);
    memcpy(out, prefix, p);
    sodium_bin2base64(out + p, AUTH_TOKEN_MAX - p, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
}

void auth_token_hash(const char *token, char out[65])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out, 65, d, sizeof(d));
}

bool auth_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (n != strlen(b))
        return false;
    return sodium_memcmp(a, b, n) == 0;
}

/* ---- throttle: a fixed table; when full, the stalest entry goes ---- */

#define THROTTLE_SLOTS 4096
#define THROTTLE_KEY_MAX 96
#define THROTTLE_MAX_WAIT 900
#define THROTTLE_FORGET 3600 /* failures older than this are forgotten */

typedef struct {
    char key[THROTTLE_KEY_MAX];
    int failures;
    int64_t last_fail;
    int64_t until;
} throttle_entry;

struct throttle {
    pthread_mutex_t lock;
    throttle_entry e[THROTTLE_SLOTS];
};

throttle *throttle_new(void)
{
    throttle *t = calloc(1, sizeof(*t));
    if (t)
        pthread_mutex_init(&t->lock, NULL);
    return t;
}

void throttle_free(throttle *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* The entry for key; when absent and create is set, a new one in an empty
 * slot or, the table being full, in place of the stalest entry. */
static throttle_entry *find(throttle *t, const char *key, bool create, int64_t now)
{
    throttle_entry *victim = NULL;
    for (size_t i = 0; i < THROTTLE_SLOTS; i++) {
        throttle_entry *x = &t->e[i];
        if (!x->key[0]) {
            if (!victim || victim->key[0])
                victim = x;
            continue;
        }
        if (strcmp(x->key, key) == 0) {
            if (now - x->last_fail > THROTTLE_FORGET) {
                x->failures = 0;
                x->until = 0;
            }
            return x;
        }
        if (!victim || (victim->key[0] && x->last_fail < victim->last_fail))
            victim = x;
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof(*victim));
    snprintf(victim->key, sizeof(victim->key), "%s", key);
    return victim;
}

int64_t throttle_wait(throttle *t, const char *key, int64_t now)
{
    pthread_mutex_lock(&t->lock);
    throttle_entry *x = find(t, key, false, now);
    int64_t w = x && x->until > now ? x->until - now : 0;
    pthread_mutex_unlock(&t->lock);
    return w;
}

void throttle_fail(throttle *t, const char *key, int64_t now, int free_tries)
{
    pthread_mutex_lock(&t->lock);
    throttle_entry *x = find(t, key, true, now);
    x->failures++;
    x->last_fail = now;
    if (x->failures > free_tries) {
        int over = x->failures - free_tries - 1;
        int64_t w = over >= 10 ? THROTTLE_MAX_WAIT : (int64_t)1 << over;
        x->until = now + (w > THROTTLE_MAX_WAIT ? THROTTLE_MAX_WAIT : w);
    }
    pthread_mutex_unlock(&t->lock);
}

void throttle_reset(throttle *t, const char *key)
{
    pthread_mutex_lock(&t->lock);
    throttle_entry *x = find(t, key, false, 0);
    if (x)
        memset(x, 0, sizeof(*x));
    pthread_mutex_unlock(&t->lock);
}
