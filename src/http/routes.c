/*
 * routes.c - the routes table: every path the server answers.
 *
 * {methods, pattern, handler, body, max_body (0 = configured default),
 *  permission}. The first row whose pattern and method match wins; a path
 * that matches only with other methods gets 405 with Allow.
 */
#include "http/handlers.h"
#include "http/server.h"

const http_route http_routes[] = {
    {HTTP_GET, "/healthz", h_healthz, BODY_NONE, 0, PERM_PUBLIC},
    {HTTP_GET, "/metrics", h_metrics, BODY_NONE, 0, PERM_PUBLIC},
    {HTTP_GET, "/api/version", h_version, BODY_NONE, 0, PERM_PUBLIC},
};

const size_t http_routes_count = WG_ARRAY_LEN(http_routes);
