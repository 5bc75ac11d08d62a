/*
 * metrics.c - see metrics.h.
 */
#include "http/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Status codes get their own series; anything else counts as "other". */
static const int statuses[] = {200, 201, 204, 206, 301, 302, 304, 400, 401, 403, 404,
                               405, 409, 410, 412, 413, 414, 415, 422, 429, 431, 500, 503};
#define NSTATUS (WG_ARRAY_LEN(statuses) + 1)

/* Upper bounds of the latency buckets, in microseconds (+Inf implied). */
static const uint64_t bounds_us[] = {100, 250, 500, 1000, 2500, 5000, 10000, 25000,
                                     50000, 100000, 250000, 500000, 1000000, 2500000};
#define NBUCKET (WG_ARRAY_LEN(bounds_us) + 1)

typedef struct {
    _Atomic uint64_t by_status[NSTATUS];
    _Atomic uint64_t buckets[NBUCKET];
    _Atomic uint64_t sum_us;
} route_stats;

struct metrics {
    const char *const *names;
    size_t nroutes;
    _Atomic int64_t inflight;
    route_stats *routes; /* nroutes + 1 */
};

metrics *metrics_new(const char *const *names, size_t nroutes)
{
    metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->routes = calloc(nroutes + 1, sizeof(*m->routes));
    if (!m->routes) {
        free(m);
        return NULL;
    }
    m->names = names;
    m->nroutes = nroutes;
    return m;
}

void metrics_free(metrics *m)
{
    if (!m)
        return;
    free(m->routes);
    free(m);
}

static size_t status_index(int status)
{
    for (size_t i = 0; i < WG_ARRAY_LEN(statuses); i++)
        if (statuses[i] == status)
            return i;
    return NSTATUS - 1;
}

void metrics_observe(metrics *m, size_t route, int status, uint64_t micros)
{
    if (route > m->nroutes)
        route = m->nroutes;
    route_stats *rs = &m->routes[route];
    atomic_fetch_add_explicit(&rs->by_status[status_index(status)], 1, memory_order_relaxed);
    size_t b = 0;
    while (b < WG_ARRAY_LEN(bounds_us) && micros > bounds_us[b])
        b++;
    atomic_fetch_add_explicit(&rs->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&rs->sum_us, micros, memory_order_relaxed);
}

void metrics_inflight(metrics *m, int delta)
{
    atomic_fetch_add_explicit(&m->inflight, delta, memory_order_relaxed);
}

uint64_t metrics_count(metrics *m, size_t route)
{
    uint64_t n = 0;
    if (route > m->nroutes)
        route = m->nroutes;
    for (size_t i = 0; i < NSTATUS; i++)
        n += atomic_load_explicit(&m->routes[route].by_status[i], memory_order_relaxed);
    return n;
}

static const char *route_name(metrics *m, size_t i)
{
    return i < m->nroutes ? m->names[i] : "unmatched";
}

wg_err metrics_render(metrics *m, wg_buf *out, int64_t db_bytes, const char *version,
                      const char *engine)
{
    wg_err e = buf_puts(out, "# HELP wangge_http_requests_total HTTP requests answered, by route "
                             "pattern and status.\n"
                             "# TYPE wangge_http_requests_total counter\n");
    for (size_t r = 0; !e && r <= m->nroutes; r++) {
        for (size_t s = 0; !e && s < NSTATUS; s++) {
            uint64_t n = atomic_load_explicit(&m->routes[r].by_status[s], memory_order_relaxed);
            if (!n)
                continue;
            if (s < WG_ARRAY_LEN(statuses))
                e = buf_printf(out, "wangge_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                               route_name(m, r), statuses[s], (unsigned long long)n);
            else
                e = buf_printf(out,
                               "wangge_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
                               route_name(m, r), (unsigned long long)n);
        }
    }
    if (!e)
        e = buf_puts(out, "# HELP wangge_http_request_duration_seconds Time from the request's "
                          "headers to its response being sent.\n"
                          "# TYPE wangge_http_request_duration_seconds histogram\n");
    for (size_t r = 0; !e && r <= m->nroutes; r++) {
        route_stats *rs = &m->routes[r];
        uint64_t cum = 0;
        for (size_t b = 0; b < NBUCKET; b++)
            cum += atomic_load_explicit(&rs->buckets[b], memory_order_relaxed);
        if (!cum)
            continue;
        cum = 0;
        for (size_t b = 0; !e && b < NBUCKET; b++) {
            cum += atomic_load_explicit(&rs->buckets[b], memory_order_relaxed);
            if (b < WG_ARRAY_LEN(bounds_us))
                e = buf_printf(out,
                               "wangge_http_request_duration_seconds_bucket{route=\"%s\","
                               "le=\"%g\"} %llu\n",
                               route_name(m, r), (double)bounds_us[b] / 1e6,
                               (unsigned long long)cum);
            else
                e = buf_printf(out,
                               "wangge_http_request_duration_seconds_bucket{route=\"%s\","
                               "le=\"+Inf\"} %llu\n"
                               "wangge_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                               route_name(m, r), (unsigned long long)cum, route_name(m, r),
                               (unsigned long long)cum);
        }
        if (!e)
            e = buf_printf(out, "wangge_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
                           route_name(m, r),
                           (double)atomic_load_explicit(&rs->sum_us, memory_order_relaxed) / 1e6);
    }
    if (!e)
        e = buf_printf(out,
                       "# HELP wangge_http_requests_in_flight Requests being handled now.\n"
                       "# TYPE wangge_http_requests_in_flight gauge\n"
                       "wangge_http_requests_in_flight %lld\n",
                       (long long)atomic_load_explicit(&m->inflight, memory_order_relaxed));
    if (!e && db_bytes >= 0)
        e = buf_printf(out,
                       "# HELP wangge_db_size_bytes Size of the database file.\n"
                       "# TYPE wangge_db_size_bytes gauge\n"
                       "wangge_db_size_bytes %lld\n",
                       (long long)db_bytes);
    if (!e)
        e = buf_printf(out,
                       "# HELP wangge_build_info Version of this binary and its storage engine.\n"
                       "# TYPE wangge_build_info gauge\n"
                       "wangge_build_info{version=\"%s\",engine=\"%s\"} 1\n",
                       version, engine);
    return e;
}
