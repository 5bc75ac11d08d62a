/*
 * nearidx.c - the cases of the duplicate window, by cell, in memory.
 *
 * Entries live in one array; a hash of cells (category, row, column of a
 * square of about twice the radius) chains the entries of each cell, so a
 * lookup visits at most 3 x 3 cells; a hash of ids finds an entry to
 * update. Nothing is taken out between rebuilds: a rebuild, when either
 * hash is half full or the window has moved on, drops what fell out of
 * the window and lays both hashes out again.
 */
#include "core/nearidx.h"
#include "util/fault.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE (-1)
#define MAX_CELLS_MERGED 64 /* past this, a lookup scans every entry */

typedef struct {
    int64_t id, reported_at, version;
    double lon, lat;
    int32_t next; /* the next older (lower id) entry of its cell, NONE */
    uint16_t cat;
    bool open; /* not closed, not_filed or merged */
    char status[16];
    char *summary;
} ent;

typedef struct {
    int64_t row, col;
    int32_t cat; /* NONE: a free slot */
    int32_t head;
} cell;

struct nearidx {
    pthread_mutex_t mu;
    double cell_deg;
    int64_t window_s;
    ent *ents;
    size_t n, cap;
    int32_t *byid; /* entry + 1, 0 free; idcap slots */
    size_t idcap;
    cell *cells;
    size_t ncells, cellcap;
    char (*cats)[16];
    size_t ncats, catcap;
    struct found { int64_t id; int32_t i; } *found; /* a lookup's entries */
    size_t foundcap;
    int64_t now;        /* the latest time seen */
    int64_t swept_at;   /* of the last rebuild */
    int64_t generation; /* the store's, at the last load */
    int64_t checked_at; /* when it was last read */
};

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

static int64_t cell_of(const nearidx *x, double deg, double origin)
{
    return (int64_t)floor((deg + origin) / x->cell_deg);
}

static uint64_t cell_hash(int32_t cat, int64_t row, int64_t col)
{
    return mix((uint64_t)row * 0x9e3779b97f4a7c15ULL ^ (uint64_t)col * 0xc2b2ae3d27d4eb4fULL ^
               (uint64_t)cat);
}

/* The slot of a cell, or the free slot where it would go (its head NONE). */
static cell *cell_slot(nearidx *x, int32_t cat, int64_t row, int64_t col)
{
    size_t mask = x->cellcap - 1;
    for (size_t i = cell_hash(cat, row, col) & mask;; i = (i + 1) & mask) {
        cell *c = &x->cells[i];
        if (c->cat == NONE || (c->cat == cat && c->row == row && c->col == col))
            return c;
    }
}

/* The slot of an id in byid (holding it, or free). */
static int32_t *id_slot(nearidx *x, int64_t id)
{
    size_t mask = x->idcap - 1;
    for (size_t i = mix((uint64_t)id) & mask;; i = (i + 1) & mask) {
        int32_t *s = &x->byid[i];
        if (*s == 0 || x->ents[*s - 1].id == id)
            return s;
    }
}

/* Hash entry i into both tables (room is there). */
static void link_entry(nearidx *x, int32_t i)
{
    ent *e = &x->ents[i];
    *id_slot(x, e->id) = i + 1;
    cell *c = cell_slot(x, e->cat, cell_of(x, e->lat, 90), cell_of(x, e->lon, 180));
    if (c->cat == NONE) {
        *c = (cell){cell_of(x, e->lat, 90), cell_of(x, e->lon, 180), e->cat, NONE};
        x->ncells++;
    }
    /* Newest first: new cases come with the highest id, but commits of
     * one batch may be told out of order. */
    int32_t *at = &c->head;
    while (*at != NONE && x->ents[*at].id > e->id)
        at = &x->ents[*at].next;
    e->next = *at;
    *at = i;
}

static size_t pow2_above(size_t n)
{
    size_t p = 64;
    while (p < n)
        p *= 2;
    return p;
}

/* Drop what fell out of the window and lay the hashes out for room to
 * grow (need: entries about to be added). */
static wg_err rebuild(nearidx *x, size_t need)
{
    size_t kept = 0;
    for (size_t i = 0; i < x->n; i++) {
        if (x->ents[i].reported_at < x->now - x->window_s) {
            free(x->ents[i].summary);
            continue;
        }
        x->ents[kept++] = x->ents[i];
    }
    x->n = kept;
    size_t cap = pow2_above(4 * (kept + need));
    int32_t *byid = calloc(cap, sizeof(*byid));
    cell *cells = malloc(cap * sizeof(*cells));
    if (!byid || !cells) {
        free(byid);
        free(cells);
        return WG_ERR_NOMEM;
    }
    free(x->byid);
    free(x->cells);
    x->byid = byid;
    x->cells = cells;
    x->idcap = x->cellcap = cap;
    for (size_t i = 0; i < cap; i++)
        cells[i] = (cell){.cat = NONE, .head = NONE};
    x->ncells = 0;
    for (size_t i = 0; i < kept; i++)
        link_entry(x, (int32_t)i);
    x->swept_at = x->now;
    return WG_OK;
}

static int find_cat(const nearidx *x, const char *code)
{
    for (size_t i = 0; i < x->ncats; i++)
        if (strcmp(x->cats[i], code) == 0)
            return (int)i;
    return NONE;
}

static int add_cat(nearidx *x, const char *code)
{
    int i = find_cat(x, code);
    if (i != NONE)
        return i;
    if (x->ncats >= UINT16_MAX || strlen(code) >= sizeof(x->cats[0]))
        return NONE;
    if (x->ncats == x->catcap) {
        size_t cap = x->catcap ? x->catcap * 2 : 32;
        void *p = realloc(x->cats, cap * sizeof(x->cats[0]));
        if (!p)
            return NONE;
        x->cats = p;
        x->catcap = cap;
    }
    memcpy(x->cats[x->ncats], code, strlen(code) + 1);
    return (int)x->ncats++;
}

/* The first 80 characters of a UTF-8 text, as SQLite's substr(t, 1, 80). */
static char *summary_of(const char *text)
{
    size_t chars = 0, n = 0;
    for (; text[n]; n++)
        if (((unsigned char)text[n] & 0xC0) != 0x80 && chars++ == 80)
            break;
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, text, n);
        s[n] = '\0';
    }
    return s;
}

static bool in_window(const nearidx *x, int64_t reported_at)
{
    return reported_at >= x->now - x->window_s;
}

static bool is_open(const char *status)
{
    static const char *const closed[] = {"closed", "not_filed", "merged"};
    for (size_t i = 0; i < sizeof(closed) / sizeof(closed[0]); i++)
        if (strcmp(status, closed[i]) == 0)
            return false;
    return true;
}

/* Add a case, or update its status (a newer version): with x->mu held.
 * summary is taken over (freed if not kept). */
static wg_err put_locked(nearidx *x, const store_case_near_row *r, char *summary)
{
    int32_t *slot = x->idcap ? id_slot(x, r->id) : NULL;
    if (slot && *slot) {
        ent *e = &x->ents[*slot - 1];
        if (r->version > e->version) {
            e->version = r->version;
            snprintf(e->status, sizeof(e->status), "%s", r->status);
            e->open = is_open(r->status);
            if (summary && strcmp(summary, e->summary) != 0) {
                free(e->summary);
                e->summary = summary;
                summary = NULL;
            }
        }
        free(summary);
        return WG_OK;
    }
    int cat = add_cat(x, r->category);
    if (!in_window(x, r->reported_at) || cat == NONE || !summary || !isfinite(r->lon) ||
        !isfinite(r->lat)) {
        free(summary);
        return cat == NONE || !summary ? WG_ERR_NOMEM : WG_OK;
    }
    bool stale = x->now - x->swept_at > x->window_s / 4 && x->n > 1024;
    if (2 * (x->n + 1) > x->idcap || 2 * (x->ncells + 1) > x->cellcap || stale) {
        wg_err e = rebuild(x, 1);
        if (e) {
            free(summary);
            return e;
        }
    }
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 256;
        ent *p = realloc(x->ents, cap * sizeof(*p));
        if (!p) {
            free(summary);
            return WG_ERR_NOMEM;
        }
        x->ents = p;
        x->cap = cap;
    }
    ent *e = &x->ents[x->n];
    *e = (ent){.id = r->id, .reported_at = r->reported_at, .version = r->version,
               .lon = r->lon, .lat = r->lat, .cat = (uint16_t)cat, .summary = summary};
    snprintf(e->status, sizeof(e->status), "%s", r->status);
    e->open = is_open(r->status);
    link_entry(x, (int32_t)x->n++);
    return WG_OK;
}

nearidx *nearidx_new(double radius_m, int64_t window_s)
{
    nearidx *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    pthread_mutex_init(&x->mu, NULL);
    /* A cell of twice the radius (in latitude; a degree of longitude is
     * shorter): a box of the radius spans at most 3 x 3 cells. */
    x->cell_deg = fmax(2 * radius_m / 110574.0, 1e-5);
    x->window_s = window_s;
    x->checked_at = INT64_MIN;
    return x;
}

static void clear(nearidx *x)
{
    for (size_t i = 0; i < x->n; i++)
        free(x->ents[i].summary);
    x->n = 0;
    x->ncells = 0;
    for (size_t i = 0; i < x->cellcap; i++)
        x->cells[i] = (cell){.cat = NONE, .head = NONE};
    if (x->byid)
        memset(x->byid, 0, x->idcap * sizeof(*x->byid));
}

void nearidx_free(nearidx *x)
{
    if (!x)
        return;
    clear(x);
    free(x->ents);
    free(x->byid);
    free(x->cells);
    free(x->cats);
    free(x->found);
    pthread_mutex_destroy(&x->mu);
    free(x);
}

static wg_err load_row(void *ctx, const store_case_near_row *r)
{
    return put_locked(ctx, r, strdup(r->summary));
}

static wg_err load_locked(nearidx *x, store *s, int64_t now)
{
    clear(x);
    if (now > x->now)
        x->now = now;
    /* The generation first: a write after it is in the rows or moves it. */
    int64_t g = 0;
    wg_err e = store_case_generation(s, &g);
    if (!e)
        e = fault_hit("nearidx_load") ? WG_ERR_STORE
                                      : store_cases_near_since(s, x->now - x->window_s, load_row, x);
    if (e)
        clear(x);
    x->generation = e ? INT64_MIN : g; /* failed: tried again at the next refresh */
    x->checked_at = now;
    return e;
}

wg_err nearidx_load(nearidx *x, store *s, int64_t now)
{
    pthread_mutex_lock(&x->mu);
    wg_err e = load_locked(x, s, now);
    pthread_mutex_unlock(&x->mu);
    return e;
}

wg_err nearidx_refresh(nearidx *x, store *s, int64_t now)
{
    pthread_mutex_lock(&x->mu);
    wg_err e = WG_OK;
    if (now != x->checked_at) {
        int64_t g;
        x->checked_at = now;
        e = store_case_generation(s, &g);
        if (!e && g != x->generation)
            e = load_locked(x, s, now);
    }
    pthread_mutex_unlock(&x->mu);
    return e;
}

void nearidx_put(nearidx *x, const store_case *c)
{
    if (!c->has_point || c->id <= 0)
        return;
    store_case_near_row r = {.id = c->id, .lon = c->lon, .lat = c->lat,
                             .reported_at = c->reported_at, .version = c->version};
    snprintf(r.category, sizeof(r.category), "%s", c->category);
    snprintf(r.status, sizeof(r.status), "%s", c->status);
    char *summary = summary_of(c->description);
    pthread_mutex_lock(&x->mu);
    if (c->updated_at > x->now)
        x->now = c->updated_at;
    put_locked(x, &r, summary); /* out of memory: one case is not offered */
    pthread_mutex_unlock(&x->mu);
}

typedef struct {
    int cat;
    int64_t since, below;
    double lon0, lat0, lon1, lat1;
} query;

static bool matches(const ent *e, const query *q)
{
    return e->cat == q->cat && e->reported_at >= q->since && e->id < q->below &&
           e->lon >= q->lon0 && e->lon <= q->lon1 && e->lat >= q->lat0 && e->lat <= q->lat1 &&
           e->open;
}

static bool keep_found(nearidx *x, size_t *n, int32_t i)
{
    if (*n == x->foundcap) {
        size_t cap = x->foundcap ? x->foundcap * 2 : 64;
        struct found *p = realloc(x->found, cap * sizeof(*p));
        if (!p)
            return false;
        x->found = p;
        x->foundcap = cap;
    }
    x->found[(*n)++] = (struct found){x->ents[i].id, i};
    return true;
}

static int newer_first(const void *a, const void *b)
{
    int64_t p = ((const struct found *)a)->id, q = ((const struct found *)b)->id;
    return (p < q) - (p > q);
}

static bool give(const ent *e, bool (*cb)(void *ctx, const nearidx_row *c), void *ctx)
{
    return cb(ctx, &(nearidx_row){e->id, e->status, e->summary, e->lon, e->lat, e->reported_at});
}

/* A box of many cells: every entry looked at, the matches sorted. */
static void each_by_scan(nearidx *x, const query *q,
                         bool (*cb)(void *ctx, const nearidx_row *c), void *ctx)
{
    size_t n = 0;
    for (size_t i = 0; i < x->n; i++)
        if (matches(&x->ents[i], q) && !keep_found(x, &n, (int32_t)i))
            break; /* out of memory: what was found */
    if (n > 1)
        qsort(x->found, n, sizeof(*x->found), newer_first);
    for (size_t i = 0; i < n && give(&x->ents[x->found[i].i], cb, ctx); i++)
        ;
}

void nearidx_each(nearidx *x, const char *category, int64_t since, int64_t below, double lon0,
                  double lat0, double lon1, double lat1,
                  bool (*cb)(void *ctx, const nearidx_row *c), void *ctx)
{
    if (!(lat0 <= lat1 && lon0 <= lon1))
        return; /* no box (NaN too): nothing near */
    pthread_mutex_lock(&x->mu);
    query q = {find_cat(x, category), since, below, lon0, lat0, lon1, lat1};
    int64_t r0 = cell_of(x, lat0, 90), r1 = cell_of(x, lat1, 90);
    int64_t c0 = cell_of(x, lon0, 180), c1 = cell_of(x, lon1, 180);
    if (q.cat == NONE || !x->n) {
        /* nothing of the category */
    } else if ((r1 - r0 + 1) * (c1 - c0 + 1) > MAX_CELLS_MERGED) {
        each_by_scan(x, &q, cb, ctx);
    } else {
        /* The cells' chains, newest first, merged: stops as soon as cb
         * has enough, having looked at few more entries than it took. */
        int32_t at[MAX_CELLS_MERGED];
        int n = 0;
        for (int64_t r = r0; r <= r1; r++)
            for (int64_t c = c0; c <= c1; c++) {
                int32_t h = cell_slot(x, q.cat, r, c)->head;
                if (h != NONE)
                    at[n++] = h;
            }
        for (;;) {
            int best = -1;
            for (int i = 0; i < n; i++)
                if (at[i] != NONE && (best < 0 || x->ents[at[i]].id > x->ents[at[best]].id))
                    best = i;
            if (best < 0)
                break;
            const ent *e = &x->ents[at[best]];
            at[best] = e->next;
            if (matches(e, &q) && !give(e, cb, ctx))
                break;
        }
    }
    pthread_mutex_unlock(&x->mu);
}

size_t nearidx_count(nearidx *x)
{
    pthread_mutex_lock(&x->mu);
    size_t n = x->n;
    pthread_mutex_unlock(&x->mu);
    return n;
}
