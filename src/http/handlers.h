/*
 * handlers.h - every route handler, for the routes table in routes.c.
 *
 * Handlers translate a request into core calls and the result into a
 * reply; rules live in src/core.
 */
#ifndef WG_HANDLERS_H
#define WG_HANDLERS_H

#include "http/req.h"

/* ops.c */
wg_err h_healthz(http_req *r);
wg_err h_metrics(http_req *r);
wg_err h_version(http_req *r);

#endif
