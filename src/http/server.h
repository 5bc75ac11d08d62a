/*
 * server.h - the HTTP server: libmicrohttpd with a thread pool over epoll.
 *
 * The server owns each request's context and arena, matches the routes
 * table (routes.c), enforces the caps (URI, headers, body), calls the
 * handler, sends its reply or the JSON error, and after the response has
 * gone out records metrics and one access-log line.
 *
 * Before a handler runs, the server resolves the actor (Bearer token or
 * session cookie), checks the route's permission (default deny) and the
 * CSRF token of cookie-authenticated writes. A write route (one with an
 * audit action) runs in one transaction with its audit row.
 *
 * The caller owns cfg, pool and the vault and keeps them alive until server_stop()
 * has returned.
 */
#ifndef WG_SERVER_H
#define WG_SERVER_H

#include "core/config.h"
#include "http/metrics.h"
#include "http/req.h"
#include "store/store.h"

/* Routes table, defined in routes.c. */
extern const http_route http_routes[];
extern const size_t http_routes_count;

/* Start serving on cfg->listen. On failure writes a message into err. */
wg_err server_start(const wg_config *cfg, store_pool *pool, const vault *v, http_server **out,
                    char *err, size_t errcap);

/* The port actually bound (useful with port 0). */
uint16_t server_port(const http_server *s);

/* Stop accepting, give in-flight requests up to grace_seconds to finish,
 * then close every connection and free the server. */
void server_stop(http_server *s, int grace_seconds);

const wg_config *server_config(const http_server *s);

/* The working calendar in force; valid while the server lives. */
struct calendar;
const struct calendar *server_calendar(const http_server *s);
/* Rebuild it from the store (after holidays change). */
wg_err server_reload_calendar(http_server *s, store *db, wg_why *why);
metrics *server_metrics(const http_server *s);
store_pool *server_pool(const http_server *s);

#endif
