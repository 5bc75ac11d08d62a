/*
 * ops.c - operations endpoints: health, metrics, version.
 */
#include "http/handlers.h"
#include "http/server.h"
#include "store/store.h"
#include "util/buf.h"

#include <pthread.h>
#include <stdio.h>

/* GET /healthz: 200 when the database answers, 503 otherwise. */
wg_err h_healthz(http_req *r)
{
    store *db = req_store(r);
    if (!db || store_ping(db))
        return req_fail(r, WG_ERR_UNAVAILABLE, NULL, "the database does not answer");
    if (store_pool_broken(req_pool(r)))
        return req_fail(r, WG_ERR_UNAVAILABLE, NULL,
                        "a sync of the write-ahead log failed: writes are refused until restart");
    static const char ok[] = "{\"status\":\"ok\"}\n";
    return reply_bytes(r, 200, "application/json", ok, sizeof(ok) - 1);
}

/* GET /metrics: Prometheus text exposition. */
wg_err h_metrics(http_req *r)
{
    wg_buf b;
    buf_init(&b, &r->ar, 4 * WG_MIB);
    int64_t size = -1;
    store *db = req_store(r);
    if (!db || store_db_size(db, &size))
        size = -1;
    wg_err e = metrics_render(server_metrics(r->srv), &b, size, WG_VERSION, store_engine());
    if (e)
        return e;
    return reply_bytes(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.ptr, b.len);
}

static char version_json[128];
static size_t version_len;
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void version_init(void)
{
    int n = snprintf(version_json, sizeof(version_json), "{\"version\":\"%s\",\"schema\":%d}\n",
                     WG_VERSION, store_schema_latest());
    version_len = n > 0 ? (size_t)n : 0;
}

/* GET /api/version: the binary's version and the schema it runs (the
 * database was migrated to it at startup). Built once: it cannot change
 * while the process lives. */
wg_err h_version(http_req *r)
{
    pthread_once(&version_once, version_init);
    return reply_bytes(r, 200, "application/json", version_json, version_len);
}
