/*
 * catcache.c - the catalogue in memory (catcache.h).
 */
#include "core/catcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct catsnap {
    int64_t generation;
    int refs;             /* under the cache's lock; the cache's own hold counts one */
    store_category *cats; /* sorted by code */
    size_t ncats, capcats;
    store_route_rule *rules;
    size_t nrules, caprules;
};

struct catcache {
    pthread_mutex_t lock;
    catsnap *cur;
    uint64_t loads;
};

catcache *catcache_new(void)
{
    catcache *c = calloc(1, sizeof(*c));
    if (c)
        pthread_mutex_init(&c->lock, NULL);
    return c;
}

static void snap_free(catsnap *k)
{
    if (!k)
        return;
    free(k->cats);
    free(k->rules);
    free(k);
}

void catcache_free(catcache *c)
{
    if (!c)
        return;
    snap_free(c->cur);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* arr (n elements of *cap) with room for one more, maybe moved; NULL when
 * out of memory (arr is still valid). */
static void *room(void *arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return arr;
    size_t more = *cap ? 2 * *cap : 32;
    void *p = realloc(arr, more * size);
    if (p)
        *cap = more;
    return p;
}

static wg_err add_category(void *ctx, const store_category *cat)
{
    catsnap *k = ctx;
    store_category *p = room(k->cats, &k->capcats, k->ncats, sizeof(*p));
    if (!p)
        return WG_ERR_NOMEM;
    k->cats = p;
    k->cats[k->ncats++] = *cat;
    return WG_OK;
}

static wg_err add_rule(void *ctx, const store_route_rule *r)
{
    catsnap *k = ctx;
    store_route_rule *p = room(k->rules, &k->caprules, k->nrules, sizeof(*p));
    if (!p)
        return WG_ERR_NOMEM;
    k->rules = p;
    k->rules[k->nrules++] = *r;
    return WG_OK;
}

static int by_code(const void *a, const void *b)
{
    return strcmp(((const store_category *)a)->code, ((const store_category *)b)->code);
}

static catsnap *load(store *s, int64_t generation)
{
    catsnap *k = calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    k->generation = generation;
    k->refs = 1;
    if (store_category_list(s, add_category, k) || store_route_list(s, add_rule, k)) {
        snap_free(k);
        return NULL;
    }
    if (k->ncats)
        qsort(k->cats, k->ncats, sizeof(*k->cats), by_code);
    return k;
}

const catsnap *catcache_acquire(catcache *c, store *s, int64_t generation)
{
    pthread_mutex_lock(&c->lock);
    catsnap *k = c->cur;
    if (k && k->generation == generation) {
        k->refs++;
        pthread_mutex_unlock(&c->lock);
        return k;
    }
    pthread_mutex_unlock(&c->lock);
    /* Loaded without the lock (others keep using what they hold); when
     * two threads load at once, the later one's stays. */
    catsnap *fresh = load(s, generation);
    if (!fresh)
        return NULL;
    pthread_mutex_lock(&c->lock);
    catsnap *old = c->cur;
    c->cur = fresh;
    c->loads++;
    fresh->refs++; /* the caller's */
    bool drop = old && --old->refs == 0;
    pthread_mutex_unlock(&c->lock);
    if (drop)
        snap_free(old);
    return fresh;
}

void catcache_release(catcache *c, const catsnap *k)
{
    if (!k)
        return;
    catsnap *m = (catsnap *)k;
    pthread_mutex_lock(&c->lock);
    bool drop = --m->refs == 0;
    pthread_mutex_unlock(&c->lock);
    if (drop)
        snap_free(m);
}

uint64_t catcache_loads(catcache *c)
{
    pthread_mutex_lock(&c->lock);
    uint64_t n = c->loads;
    pthread_mutex_unlock(&c->lock);
    return n;
}

bool catsnap_category(const catsnap *k, const char *code, store_category *out)
{
    store_category key;
    size_t n = strlen(code);
    if (n >= sizeof(key.code))
        return false;
    memcpy(key.code, code, n + 1);
    const store_category *hit =
        k->ncats ? bsearch(&key, k->cats, k->ncats, sizeof(*k->cats), by_code) : NULL;
    if (hit)
        *out = *hit;
    return hit != NULL;
}

wg_err catsnap_routes(const catsnap *k, const char *category, const char *grid,
                      wg_err (*cb)(void *ctx, const store_route_rule *r), void *ctx)
{
    for (size_t i = 0; i < k->nrules; i++) {
        const store_route_rule *r = &k->rules[i];
        if (r->category[0] && strcmp(r->category, category) != 0)
            continue;
        if (r->grid_prefix[0] && strncmp(grid, r->grid_prefix, strlen(r->grid_prefix)) != 0)
            continue;
        wg_err e = cb(ctx, r);
        if (e)
            return e;
    }
    return WG_OK;
}
