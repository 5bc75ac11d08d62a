/*
 * kpi.h - the case KPI counters, kept in memory per local day and month for
 * every group (all, each grid level, department, category, reporter).
 *
 * Fed with case contributions (store_case_contrib: the whole table once,
 * then the change log), it answers the same rows as store_case_stats_by for
 * a period that starts and ends at local midnight, in time that depends on
 * the number of groups and months, not on the number of cases. What it
 * cannot answer exactly (a period not on day boundaries, a grid scope that
 * cuts through a group) it says so, and the caller asks SQL.
 *
 * Not thread-safe (a query uses scratch space in it): the caller
 * serializes.
 */
#ifndef WG_KPI_H
#define WG_KPI_H

#include <pthread.h>

#include "store/store.h"

typedef struct kpi kpi;

/* utc_offset_min: the local time of day boundaries (e.g. 480 for UTC+8). */
wg_err kpi_new(int utc_offset_min, kpi **out);
void kpi_free(kpi *k);

/* Add (c->sign > 0) or take away (c->sign < 0) one case's contribution. */
wg_err kpi_apply(kpi *k, const store_case_contrib *c);

/* Rows per group for cases reported in [from, to), sorted by key, only
 * groups with cases; group names as store_case_stats_by; grid_prefix ""
 * for all grids. *answered is false (and cb never called) when the
 * question cannot be answered from the counters: then ask
 * store_case_stats_by. */
wg_err kpi_query(kpi *k, const char *group, const char *grid_prefix, int64_t from,
                 int64_t to, int64_t now, bool *answered,
                 wg_err (*cb)(void *ctx, const store_case_stats *row), void *ctx);

/* Cases counted (contributions applied, net), and bytes held. */
int64_t kpi_cases(const kpi *k);
size_t kpi_bytes(const kpi *k);

#endif

/* ---- the server's counters: built on first use, kept up to date ---- */

typedef struct kpisvc kpisvc;

kpisvc *kpisvc_new(int utc_offset_min);
void kpisvc_free(kpisvc *v);

/* The counters brought up to date with the change log (built from the
 * cases on first use), locked for the caller until kpisvc_release; NULL
 * when they cannot be built (then ask SQL). db is the caller's connection;
 * the applied part of the log is deleted through the pool's writer. */
kpi *kpisvc_acquire(kpisvc *v, store *db, store_pool *pool);
void kpisvc_release(kpisvc *v);
