/*
 * router.h - match a method and path against the routes table.
 *
 * Patterns are literal segments and `{name}` placeholders, e.g.
 * "/api/grids/{code}/children". A placeholder matches one non-empty
 * segment; `{name*}` matches the rest of the path (one or more segments,
 * e.g. "/app/{file*}"). Matching is pure (no allocation): captured values point into
 * the path.
 */
#ifndef WG_ROUTER_H
#define WG_ROUTER_H

#include "util/common.h"

#define ROUTE_MAX_PARAMS 4

typedef enum {
    HTTP_GET = 1 << 0,
    HTTP_HEAD = 1 << 1,
    HTTP_POST = 1 << 2,
    HTTP_PUT = 1 << 3,
    HTTP_DELETE = 1 << 4,
    HTTP_PATCH = 1 << 5,
    HTTP_OPTIONS = 1 << 6,
} http_method;

/* Parse a method name; 0 for an unknown one. */
unsigned router_method(const char *name);

/* "GET, HEAD, POST" for a mask of methods, into out. */
void router_allow_header(unsigned mask, char *out, size_t cap);

typedef struct {
    wg_str name;  /* points into the pattern */
    wg_str value; /* points into the path */
} route_param;

typedef struct {
    route_param params[ROUTE_MAX_PARAMS];
    int nparams;
} route_match;

/* Does path match pattern? Fills m with the placeholders' values. */
bool router_path_matches(const char *pattern, const char *path, route_match *m);

#endif
