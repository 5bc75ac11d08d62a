/*
 * kpi.c - case KPI counters per group, local day and month.
 *
 * For each group dimension a table of series, one per key (a grid code, a
 * department, ...). A series holds one cell of counters per local day and
 * one per month over the span of days it has seen. A period is summed as
 * whole months plus the loose days at either end: at most 62 day cells and
 * 12 per year of month cells per key.
 *
 * "due" depends on the time asked (closed, or open past its disposal
 * deadline), so open cases with a deadline are also kept one by one, in a
 * hash table by case id, and counted at query time.
 */
#include "core/kpi.h"
#include "core/calendar.h"
#include "util/strparse.h"

#include <stdlib.h>
#include <string.h>

#define DIMS 8
#define NV (1 + CONTRIB_N) /* reported, then the contribution's counters */
#define KEY_MAX 64

typedef struct {
    int64_t v[NV];
} cell;

typedef struct {
    char key[KEY_MAX];
    int32_t day0, ndays, daycap; /* days[i] is local day day0 + i */
    int32_t mon0, nmons, moncap; /* months[i] is month mon0 + i */
    cell *days, *mons;
    size_t pos; /* scratch: its row in a query */
} series;

typedef struct {
    series **by_key; /* sorted by key */
    size_t n, cap;
    series **slots; /* open addressing by key hash */
    size_t nslots;
} dim;

typedef struct {
    int64_t case_id; /* 0: empty slot; -1: deleted */
    int64_t reported_at, due;
    series *s[DIMS];
} open_case;

struct kpi {
    int offset_s;
    dim dims[DIMS];
    open_case *open;
    size_t nopen_slots, nopen_used; /* used counts deleted slots too */
    size_t nopen_live;
    int64_t cases;
    size_t bytes;
};

/* The dimension of each group name of store_case_stats_by. */
static const char *const dim_names[DIMS] = {"",     "grid_l1",    "grid_l2",  "grid_l3",
                                            "grid", "department", "category", "reporter_login"};

static const char *contrib_key(const store_case_contrib *c, int d)
{
    const char *keys[DIMS] = {"",      c->grid_l1,    c->grid_l2,  c->grid_l3,
                              c->grid, c->department, c->category, c->reporter_login};
    return keys[d];
}

/* ---- days and months (days since 1970-01-01; see calendar.h) ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static int32_t month_of_day(int64_t day)
{
    int y, m, d;
    calendar_civil_from_days(day, &y, &m, &d);
    return (int32_t)(y * 12 + m - 1);
}

static int64_t month_start(int32_t mon)
{
    return calendar_days_from_civil(mon / 12, mon % 12 + 1, 1);
}

static int64_t local_day(const kpi *k, int64_t t)
{
    return floor_div(t + k->offset_s, 86400);
}

/* ---- series ---- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static series *dim_find(const dim *d, const char *key)
{
    if (!d->nslots)
        return NULL;
    for (size_t i = hash_str(key) & (d->nslots - 1);; i = (i + 1) & (d->nslots - 1)) {
        series *s = d->slots[i];
        if (!s || strcmp(s->key, key) == 0)
            return s;
    }
}

static bool dim_rehash(dim *d, size_t nslots)
{
    series **slots = calloc(nslots, sizeof(*slots));
    if (!slots)
        return false;
    for (size_t j = 0; j < d->n; j++) {
        size_t i = hash_str(d->by_key[j]->key) & (nslots - 1);
        while (slots[i])
            i = (i + 1) & (nslots - 1);
        slots[i] = d->by_key[j];
    }
    free(d->slots);
    d->slots = slots;
    d->nslots = nslots;
    return true;
}

static series *dim_get(kpi *k, dim *d, const char *key)
{
    series *s = dim_find(d, key);
    if (s)
        return s;
    if (strlen(key) >= KEY_MAX)
        return NULL;
    if ((d->n + 1) * 2 > d->nslots && !dim_rehash(d, d->nslots ? d->nslots * 2 : 64))
        return NULL;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 32;
        series **b = realloc(d->by_key, cap * sizeof(*b));
        if (!b)
            return NULL;
        d->by_key = b;
        d->cap = cap;
    }
    if (!(s = calloc(1, sizeof(*s))))
        return NULL;
    strcpy(s->key, key);
    k->bytes += sizeof(*s);
    size_t at = d->n;
    while (at > 0 && strcmp(d->by_key[at - 1]->key, key) > 0)
        at--;
    memmove(d->by_key + at + 1, d->by_key + at, (d->n - at) * sizeof(*d->by_key));
    d->by_key[at] = s;
    d->n++;
    size_t i = hash_str(key) & (d->nslots - 1);
    while (d->slots[i])
        i = (i + 1) & (d->nslots - 1);
    d->slots[i] = s;
    return s;
}

/* The cell for index x of a span (first, n, cap), growing it to hold x. */
static cell *span_cell(kpi *k, cell **cells, int32_t *first, int32_t *n, int32_t *cap, int32_t x)
{
    if (*n == 0) {
        *first = x;
    } else if (x < *first) {
        int32_t grow = *first - x;
        int32_t need = *n + grow;
        if (need > *cap) {
            int32_t c = need * 2;
            cell *b = realloc(*cells, (size_t)c * sizeof(cell));
            if (!b)
                return NULL;
            k->bytes += (size_t)(c - *cap) * sizeof(cell);
            *cells = b;
            *cap = c;
        }
        memmove(*cells + grow, *cells, (size_t)*n * sizeof(cell));
        memset(*cells, 0, (size_t)grow * sizeof(cell));
        *first = x;
        *n = need;
        return *cells;
    }
    int32_t i = x - *first;
    if (i >= *n) {
        if (i >= *cap) {
            int32_t c = *cap ? *cap : 16;
            while (c <= i)
                c *= 2;
            cell *b = realloc(*cells, (size_t)c * sizeof(cell));
            if (!b)
                return NULL;
            k->bytes += (size_t)(c - *cap) * sizeof(cell);
            *cells = b;
            *cap = c;
        }
        memset(*cells + *n, 0, (size_t)(i + 1 - *n) * sizeof(cell));
        *n = i + 1;
    }
    return *cells + i;
}

static bool series_add(kpi *k, series *s, int64_t day, int32_t mon, const int64_t *v, int sign)
{
    cell *dc = span_cell(k, &s->days, &s->day0, &s->ndays, &s->daycap, (int32_t)day);
    cell *mc = dc ? span_cell(k, &s->mons, &s->mon0, &s->nmons, &s->moncap, mon) : NULL;
    if (!mc)
        return false;
    for (int i = 0; i < NV; i++) {
        dc->v[i] += sign * v[i];
        mc->v[i] += sign * v[i];
    }
    return true;
}

/* ---- open cases with a deadline ---- */

static open_case *open_find(const kpi *k, int64_t id, bool for_insert)
{
    if (!k->nopen_slots)
        return NULL;
    open_case *tomb = NULL;
    for (size_t i = (size_t)(id * 0x9E3779B97F4A7C15ull) & (k->nopen_slots - 1);;
         i = (i + 1) & (k->nopen_slots - 1)) {
        open_case *o = &k->open[i];
        if (o->case_id == id)
            return o;
        if (o->case_id == -1 && !tomb)
            tomb = o;
        if (o->case_id == 0)
            return for_insert ? (tomb ? tomb : o) : NULL;
    }
}

/* Rehash: at the same size when deleted slots are most of the table (cases
 * close: the table holds the open ones, not every case ever open), else
 * twice as large. */
static bool open_grow(kpi *k)
{
    size_t n = !k->nopen_slots                             ? 1024
               : (k->nopen_live + 1) * 4 <= k->nopen_slots ? k->nopen_slots
                                                           : k->nopen_slots * 2;
    open_case *slots = calloc(n, sizeof(*slots));
    if (!slots)
        return false;
    open_case *old = k->open;
    size_t oldn = k->nopen_slots;
    k->open = slots;
    k->nopen_slots = n;
    k->nopen_used = 0;
    for (size_t i = 0; i < oldn; i++)
        if (old[i].case_id > 0) {
            *open_find(k, old[i].case_id, true) = old[i];
            k->nopen_used++;
        }
    k->bytes += (n - oldn) * sizeof(*slots);
    free(old);
    return true;
}

static bool open_set(kpi *k, const store_case_contrib *c, series *const *s)
{
    if (c->sign < 0) {
        open_case *o = open_find(k, c->case_id, false);
        if (o && o->due == c->open_due) {
            o->case_id = -1;
            k->nopen_live--;
        }
        return true;
    }
    if ((k->nopen_used + 1) * 2 > k->nopen_slots && !open_grow(k))
        return false;
    open_case *o = open_find(k, c->case_id, true);
    if (o->case_id == 0)
        k->nopen_used++;
    if (o->case_id != c->case_id)
        k->nopen_live++;
    o->case_id = c->case_id;
    o->reported_at = c->reported_at;
    o->due = c->open_due;
    memcpy(o->s, s, sizeof(o->s));
    return true;
}

/* ---- the interface ---- */

wg_err kpi_new(int utc_offset_min, kpi **out)
{
    kpi *k = calloc(1, sizeof(*k));
    if (!k)
        return WG_ERR_NOMEM;
    k->offset_s = utc_offset_min * 60;
    *out = k;
    return WG_OK;
}

void kpi_free(kpi *k)
{
    if (!k)
        return;
    for (int d = 0; d < DIMS; d++) {
        for (size_t i = 0; i < k->dims[d].n; i++) {
            free(k->dims[d].by_key[i]->days);
            free(k->dims[d].by_key[i]->mons);
            free(k->dims[d].by_key[i]);
        }
        free(k->dims[d].by_key);
        free(k->dims[d].slots);
    }
    free(k->open);
    free(k);
}

wg_err kpi_apply(kpi *k, const store_case_contrib *c)
{
    if (!c->counted || c->sign == 0)
        return WG_OK;
    int sign = c->sign > 0 ? 1 : -1;
    int64_t v[NV];
    v[0] = 1;
    memcpy(v + 1, c->v, sizeof(c->v));
    int64_t day = local_day(k, c->reported_at);
    int32_t mon = month_of_day(day);
    series *s[DIMS];
    for (int d = 0; d < DIMS; d++) {
        s[d] = dim_get(k, &k->dims[d], contrib_key(c, d));
        if (!s[d] || !series_add(k, s[d], day, mon, v, sign))
            return WG_ERR_NOMEM;
    }
    k->cases += sign;
    if (c->open_due > 0 && !open_set(k, c, s))
        return WG_ERR_NOMEM;
    return WG_OK;
}

static void add_cell(int64_t *sum, const cell *c)
{
    for (int i = 0; i < NV; i++)
        sum[i] += c->v[i];
}

static const cell *cell_at(const cell *cells, int32_t first, int32_t n, int64_t x)
{
    return x >= first && x < (int64_t)first + n ? cells + (x - first) : NULL;
}

/* Sum a series over local days [d0, d1): whole months from the month
 * cells, the loose days from the day cells. */
static void series_sum(const series *s, int64_t d0, int64_t d1, int64_t *sum)
{
    memset(sum, 0, NV * sizeof(*sum));
    if (!s->ndays)
        return;
    if (d0 < s->day0)
        d0 = s->day0;
    if (d1 > (int64_t)s->day0 + s->ndays)
        d1 = (int64_t)s->day0 + s->ndays;
    int64_t d = d0;
    while (d < d1) {
        int32_t mon = month_of_day(d);
        int64_t start = month_start(mon), next = month_start(mon + 1);
        if (d == start && next <= d1) {
            const cell *c = cell_at(s->mons, s->mon0, s->nmons, mon);
            if (c)
                add_cell(sum, c);
            d = next;
            continue;
        }
        int64_t stop = next < d1 ? next : d1;
        for (; d < stop; d++)
            add_cell(sum, s->days + (d - s->day0));
    }
}

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static void fill_row(store_case_stats *r, const char *key, const int64_t *sum, int64_t due_open)
{
    memset(r, 0, sizeof(*r));
    str_copy_utf8(r->key, sizeof(r->key), key);
    const int64_t *v = sum + 1;
    r->reported = sum[0];
    r->filed = v[CONTRIB_FILED];
    r->dispatched = v[CONTRIB_DISPATCHED];
    r->acknowledged = v[CONTRIB_ACKNOWLEDGED];
    r->disposed = v[CONTRIB_DISPOSED];
    r->closed = v[CONTRIB_CLOSED];
    r->closed_on_time = v[CONTRIB_CLOSED_ON_TIME];
    r->reworked = v[CONTRIB_REWORKED];
    r->extended = v[CONTRIB_EXTENDED];
    r->deferred = v[CONTRIB_DEFERRED];
    r->overdue = v[CONTRIB_OVERDUE];
    r->rated = v[CONTRIB_RATED];
    r->satisfied = v[CONTRIB_SATISFIED];
    r->satisfaction_sum = (double)v[CONTRIB_SATISFACTION];
    r->whistles = v[CONTRIB_WHISTLES];
    r->ack_seconds_sum = (double)v[CONTRIB_ACK_SECONDS];
    r->ack_count = v[CONTRIB_ACK_COUNTED];
    r->close_seconds_sum = (double)v[CONTRIB_CLOSE_SECONDS];
    r->due = r->closed + due_open; /* closed, or open past the deadline */
}

static bool aligned(const kpi *k, int64_t t)
{
    return floor_div(t + k->offset_s, 86400) * 86400 == t + k->offset_s;
}

/* Whether a grid scope p cuts through a group of dimension d (a key that
 * is a proper prefix of p holds cases both inside and outside it). */
static bool cuts(const dim *dm, const char *p)
{
    for (size_t i = 0; i < dm->n; i++) {
        const char *key = dm->by_key[i]->key;
        if (strlen(key) < strlen(p) && has_prefix(p, key))
            return true;
    }
    return false;
}

wg_err kpi_query(kpi *k, const char *group, const char *grid_prefix, int64_t from, int64_t to,
                 int64_t now, bool *answered, wg_err (*cb)(void *ctx, const store_case_stats *row),
                 void *ctx)
{
    *answered = false;
    const char *p = grid_prefix ? grid_prefix : "";
    int d = -1;
    for (int i = 0; i < DIMS; i++)
        if (strcmp(group ? group : "", dim_names[i]) == 0)
            d = i;
    if (d < 0 || !aligned(k, from) || !aligned(k, to))
        return WG_OK;
    /* A grid scope: grid-level groups inside it, or its total summed from
     * the first grid level it does not cut through. */
    bool total = d == 0 && *p;
    if (total) {
        for (d = 1; d <= 4 && cuts(&k->dims[d], p); d++)
            ;
        if (d > 4)
            return WG_OK;
    } else if (*p && (d > 4 || cuts(&k->dims[d], p))) {
        return WG_OK;
    }
    *answered = true;
    int64_t d0 = local_day(k, from), d1 = local_day(k, to);
    int64_t t = now < to ? now : to;
    dim *dm = &k->dims[d];
    int64_t *due = calloc(dm->n + 1, sizeof(*due));
    if (!due)
        return WG_ERR_NOMEM;
    for (size_t i = 0; i < dm->n; i++)
        dm->by_key[i]->pos = i;
    /* Open cases past their disposal deadline by t, per row, in one pass. */
    for (size_t j = 0; j < k->nopen_slots; j++) {
        const open_case *o = &k->open[j];
        if (o->case_id > 0 && o->due <= t && o->reported_at >= from && o->reported_at < to)
            due[o->s[d]->pos]++;
    }
    wg_err e = WG_OK;
    int64_t all[NV] = {0}, all_due = 0;
    for (size_t i = 0; i < dm->n && !e; i++) {
        series *s = dm->by_key[i];
        if (*p && !has_prefix(s->key, p))
            continue;
        int64_t sum[NV];
        series_sum(s, d0, d1, sum);
        if (total) {
            for (int j = 0; j < NV; j++)
                all[j] += sum[j];
            all_due += due[i];
        } else if (sum[0] > 0) {
            store_case_stats r;
            fill_row(&r, s->key, sum, due[i]);
            e = cb(ctx, &r);
        }
    }
    free(due);
    if (!e && total && all[0] > 0) {
        store_case_stats r;
        fill_row(&r, "", all, all_due);
        e = cb(ctx, &r);
    }
    return e;
}

int64_t kpi_cases(const kpi *k)
{
    return k->cases;
}

size_t kpi_bytes(const kpi *k)
{
    return k->bytes;
}

/* ---- the service ---- */

#define LOG_PAGE 10000
#define TRIM_EVERY 10000

struct kpisvc {
    pthread_mutex_t lock;
    int utc_offset_min;
    kpi *k;
    int64_t applied, trimmed; /* log rows applied and deleted */
};

kpisvc *kpisvc_new(int utc_offset_min)
{
    kpisvc *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    pthread_mutex_init(&v->lock, NULL);
    v->utc_offset_min = utc_offset_min;
    return v;
}

void kpisvc_free(kpisvc *v)
{
    if (!v)
        return;
    kpi_free(v->k);
    pthread_mutex_destroy(&v->lock);
    free(v);
}

typedef struct {
    kpi *k;
    int64_t seq;
    int n;
} tail_ctx;

static wg_err apply_row(void *ctx, const store_case_contrib *c)
{
    tail_ctx *t = ctx;
    t->seq = c->seq;
    t->n++;
    return kpi_apply(t->k, c);
}

static void trim(kpisvc *v, store_pool *pool)
{
    store *w = store_pool_writer(pool);
    if (!w || store_begin(w))
        return;
    if (store_case_contrib_trim(w, v->applied) || store_commit(w))
        store_rollback(w);
    else
        v->trimmed = v->applied;
}

kpi *kpisvc_acquire(kpisvc *v, store *db, store_pool *pool)
{
    pthread_mutex_lock(&v->lock);
    if (!v->k) {
        tail_ctx t = {0};
        if (kpi_new(v->utc_offset_min, &t.k) ||
            store_case_contrib_all(db, &v->applied, apply_row, &t)) {
            kpi_free(t.k);
            pthread_mutex_unlock(&v->lock);
            return NULL;
        }
        v->k = t.k;
        v->trimmed = 0;
    }
    for (;;) {
        tail_ctx t = {v->k, v->applied, 0};
        wg_err e = store_case_contrib_since(db, v->applied, LOG_PAGE, apply_row, &t);
        v->applied = t.seq;
        if (e) {
            /* Counters half-applied are wrong: start again next time. */
            kpi_free(v->k);
            v->k = NULL;
            pthread_mutex_unlock(&v->lock);
            return NULL;
        }
        if (t.n < LOG_PAGE)
            break;
    }
    if (pool && (v->trimmed == 0 || v->applied - v->trimmed >= TRIM_EVERY) &&
        v->applied > v->trimmed)
        trim(v, pool);
    return v->k;
}

void kpisvc_release(kpisvc *v)
{
    pthread_mutex_unlock(&v->lock);
}
