/*
 * metrics.h - request counters and latency histograms, in Prometheus text.
 *
 * Counters are indexed by route (the routes table order; one extra slot for
 * requests that matched no route) and by status code. Updates are relaxed
 * atomics: cheap enough for every request, exact once the server is quiet.
 */
#ifndef WG_METRICS_H
#define WG_METRICS_H

#include "util/buf.h"

typedef struct metrics metrics;

/* names[i] labels route i; the caller keeps them alive. */
metrics *metrics_new(const char *const *names, size_t nroutes);
void metrics_free(metrics *m);

/* route == nroutes for "no route". */
void metrics_observe(metrics *m, size_t route, int status, uint64_t micros);
void metrics_inflight(metrics *m, int delta);

/* Append the text exposition (format 0.0.4). db_bytes < 0 omits the
 * database gauge. */
wg_err metrics_render(metrics *m, wg_buf *out, int64_t db_bytes, const char *version,
                      const char *engine);

/* Requests observed so far for route (all statuses), for tests. */
uint64_t metrics_count(metrics *m, size_t route);

#endif
