/*
 * audit.c - see audit.h.
 */
#include "core/audit.h"
#include "util/log.h"
#include "util/strparse.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

static void feed(crypto_hash_sha256_state *h, const char *s)
{
    char len[24];
    size_t n = strlen(s);
    int k = snprintf(len, sizeof(len), "%zu:", n);
    crypto_hash_sha256_update(h, (const unsigned char *)len, (unsigned long long)k);
    crypto_hash_sha256_update(h, (const unsigned char *)s, n);
}

void audit_row_hash(const store_audit_row *r, char out[65])
{
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    char num[24];
    snprintf(num, sizeof(num), "%lld", (long long)r->id);
    feed(&h, num);
    feed(&h, r->at);
    snprintf(num, sizeof(num), "%lld", (long long)r->actor_id);
    feed(&h, num);
    feed(&h, r->actor);
    feed(&h, r->action);
    feed(&h, r->resource);
    feed(&h, r->request_id);
    feed(&h, r->client_addr);
    feed(&h, r->detail);
    feed(&h, r->prev_hash);
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&h, d);
    sodium_bin2hex(out, 65, d, sizeof(d));
}

/* Every field is stored as valid UTF-8 (a %FF decoded from a URL becomes
 * '?') and never cut inside a character, so that what is hashed is exactly
 * what is stored and every row can be shown. */
static void copy_capped(char *dst, size_t cap, const char *src)
{
    str_copy_utf8(dst, cap, src);
}

wg_err audit_append(store *s, const audit_event *ev)
{
    store_audit_row r;
    memset(&r, 0, sizeof(r));
    wg_err e = store_audit_last(s, &r.id, r.prev_hash);
    if (e)
        return e;
    if (!r.prev_hash[0])
        memcpy(r.prev_hash, GENESIS, sizeof(GENESIS));
    r.id++;
    log_timestamp(r.at, sizeof(r.at));
    r.actor_id = ev->actor_id;
    copy_capped(r.actor, sizeof(r.actor), ev->actor ? ev->actor : "-");
    copy_capped(r.action, sizeof(r.action), ev->action);
    copy_capped(r.resource, sizeof(r.resource), ev->resource);
    copy_capped(r.request_id, sizeof(r.request_id), ev->request_id ? ev->request_id : "-");
    copy_capped(r.client_addr, sizeof(r.client_addr), ev->client_addr ? ev->client_addr : "");
    copy_capped(r.detail, sizeof(r.detail), ev->detail);
    audit_row_hash(&r, r.hash);
    return store_audit_insert(s, &r);
}

wg_err audit_record(store *s, const audit_event *ev)
{
    wg_err e = store_begin(s);
    if (e)
        return e;
    e = audit_append(s, ev);
    if (!e)
        e = store_commit(s);
    if (e)
        store_rollback(s);
    return e;
}

typedef struct {
    audit_report *rep;
    char prev[65];
    int64_t prev_id;
} verify_ctx;

static wg_err verify_row(void *ctx, const store_audit_row *r)
{
    verify_ctx *v = ctx;
    audit_report *rep = v->rep;
    rep->rows++;
    char h[65];
    audit_row_hash(r, h);
    if (r->id != v->prev_id + 1)
        snprintf(rep->why, sizeof(rep->why), "row ids jump from %lld to %lld (a row was deleted)",
                 (long long)v->prev_id, (long long)r->id);
    else if (strcmp(r->prev_hash, v->prev) != 0)
        snprintf(rep->why, sizeof(rep->why),
                 "row %lld does not link to the row before it (a row was deleted or inserted)",
                 (long long)r->id);
    else if (strcmp(h, r->hash) != 0)
        snprintf(rep->why, sizeof(rep->why), "row %lld does not match its hash (it was changed)",
                 (long long)r->id);
    else {
        memcpy(v->prev, r->hash, sizeof(v->prev));
        v->prev_id = r->id;
        return WG_OK;
    }
    rep->first_bad_id = r->id;
    return WG_ERR_CONFLICT; /* stops the scan */
}

wg_err audit_verify(store *s, audit_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    verify_ctx v = {.rep = rep, .prev_id = 0};
    memcpy(v.prev, GENESIS, sizeof(GENESIS));
    store_audit_filter f = {0};
    wg_err e = store_audit_scan(s, &f, verify_row, &v);
    if (e == WG_ERR_CONFLICT && rep->first_bad_id)
        e = WG_OK;
    memcpy(rep->head, v.prev, sizeof(rep->head));
    return e;
}
