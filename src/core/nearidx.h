/*
 * nearidx.h - the cases of the duplicate window by place and category, in
 * memory: what "possible duplicates" asks of every report (open cases of
 * the same category within a radius, reported in the last hours).
 *
 * The server owns one. It is loaded from the store at start (every case
 * with a point reported in the window), told of each case its own reports
 * and actions commit (nearidx_put), and reloaded when a case was written
 * by another process (the store's case generation moved; checked at most
 * once a second by nearidx_refresh). An index of the database did this
 * before (sql/015_case_near_memory.sql says why it went).
 *
 * Thread-safe: one mutex.
 */
#ifndef WG_NEARIDX_H
#define WG_NEARIDX_H

#include "store/store.h"

typedef struct nearidx nearidx;

/* radius_m: the usual lookup radius (it sizes the cells; a larger radius
 * still works, over more cells); window_s: how long a case stays. */
nearidx *nearidx_new(double radius_m, int64_t window_s);
void nearidx_free(nearidx *x);

/* Forget everything and load the cases s sees, reported since now minus
 * the window; remember the store's case generation. */
wg_err nearidx_load(nearidx *x, store *s, int64_t now);

/* Reload when the store's case generation moved since the last load; read
 * at most once per second of `now`. s is the caller's connection. A load
 * that fails leaves nothing held, and the next refresh tries again. */
wg_err nearidx_refresh(nearidx *x, store *s, int64_t now);

/* A case as its transaction committed it: added, or its status changed. A
 * version older than the one held is ignored (commits may be told out of
 * order); a case without a point is not kept. */
void nearidx_put(nearidx *x, const store_case *c);

/* A case held; the strings are x's, valid during the callback. */
typedef struct {
    int64_t id;
    const char *status;
    const char *summary; /* the description's first 80 characters */
    double lon, lat;
    int64_t reported_at;
} nearidx_row;

/* Cases of `category` reported since `since`, with an id below `below`,
 * not closed, not_filed or merged, whose point lies in the box [lon0,
 * lon1] x [lat0, lat1]: to cb (under x's lock: it must not call x),
 * newest (highest id) first, while cb returns true. */
void nearidx_each(nearidx *x, const char *category, int64_t since, int64_t below, double lon0,
                  double lat0, double lon1, double lat1,
                  bool (*cb)(void *ctx, const nearidx_row *c), void *ctx);

/* Cases held (open or not). */
size_t nearidx_count(nearidx *x);

#endif
