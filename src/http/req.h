/*
 * req.h - one HTTP request as handlers see it, and how they answer.
 *
 * The server owns the http_req and its arena; everything a handler
 * allocates from r->ar (strings, buffers, deferred json_decref) dies when
 * the response has been sent. A handler either replies with reply_json /
 * reply_bytes and returns WG_OK, or returns an error, usually through
 * req_fail(), which records the field at fault and a message; the server
 * turns that into the one JSON error shape:
 *   {"error":{"code":"<word>","message":"<text>","field":"<name>"}}
 */
#ifndef WG_REQ_H
#define WG_REQ_H

#include <jansson.h>

#include "core/actor.h"
#include "core/auth.h"
#include "core/config.h"
#include "core/session.h"
#include "core/vault.h"
#include "http/router.h"
#include "util/arena.h"
#include "util/err.h"

typedef struct http_req http_req;
typedef struct http_server http_server;
typedef struct store store;

typedef wg_err (*http_handler)(http_req *r);

typedef enum { BODY_NONE, BODY_JSON, BODY_RAW } body_kind;

/* One row of the routes table (src/http/routes.c). */
typedef struct {
    unsigned methods;    /* mask of http_method; GET implies HEAD */
    const char *pattern; /* "/api/grids/{code}" */
    http_handler handler;
    body_kind body;     /* what the body must be */
    size_t max_body;    /* cap in bytes; 0 = the configured default */
    perm_id perm;       /* what the actor must hold (core/actor.h) */
    const char *action; /* audit action of a write route, e.g. "user.create";
                           the handler then runs in one transaction that also
                           appends the audit row. NULL for reads. */
    bool audit_failure; /* also audit a refused request ("<action>.failure") */
    bool write_late;    /* the handler checks and computes on this thread's
                           connection, without the write lock, and hands the
                           write itself over with req_write_then() */
} http_route;

#define REQ_MAX_HEADERS 8

struct http_req {
    arena ar;
    http_server *srv;
    void *conn; /* the MHD connection */
    unsigned method;
    const char *path;
    const http_route *route; /* NULL when no route matched */
    route_match match;
    const char *request_id;
    const char *body; /* NUL-terminated; NULL when none */
    size_t body_len;
    json_t *json;  /* parsed body for BODY_JSON routes */
    actor *who;    /* the authenticated actor; NULL when anonymous */
    char csrf[64]; /* the session's CSRF token */
    /* The catalogue generation, read with the actor's (check_access);
     * catalogue_known false when not read (no credentials). */
    bool catalogue_known;
    int64_t catalogue_gen;
    char client_addr[64];
    store *db; /* this thread's connection, once needed */

    /* audit: set by handlers to say more than the route's action */
    const char *audit_actor; /* who, when there is no actor (a failed login) */
    const char *audit_detail;
    const char *audit_resource; /* default: the path */

    /* the reply */
    int status;
    const char *ctype;
    const char *out;
    size_t out_len;
    bool out_lasting; /* out lives as long as the server (the console's cached
                         files): sent without a copy */
    struct {
        const char *name, *value;
    } headers[REQ_MAX_HEADERS];
    int nheaders;

    /* the error, when a handler fails */
    const char *err_field;
    const char *err_msg;
    json_t *err_details; /* optional, added to the error as "details";
                            freed with the request (arena_defer it) */

    bool writing; /* in the route's write transaction (db is the writer's) */
    http_handler write_fn; /* a write_late route's write (req_write_then) */
    /* run after the write transaction commits (e.g. rebuild an index, or
       reply when the write left that for then); after_ctx is the
       handler's, for it and write_fn */
    wg_err (*after_commit)(http_req *r);
    void *after_ctx;
};

/* This thread's database connection; NULL when it cannot be opened. In a
 * write route's transaction, the writer's connection. */
store *req_store(http_req *r);

/* For write_late routes, the handler's last word: fn does the write. It
 * runs later on the store pool's committer thread, with req_store() the
 * writer's connection, inside the route's transaction (which also gets the
 * audit row), and fails or replies like a handler; or it leaves the reply
 * to r->after_commit. Such routes cannot audit failures. */
void req_write_then(http_req *r, http_handler fn);

/* The server's configuration, vault and login throttle. */
const wg_config *req_config(http_req *r);
const vault *req_vault(http_req *r);
throttle *req_throttle(http_req *r);
const session_policy *req_policy(http_req *r);
struct locsvc;
struct locsvc *req_locator(http_req *r);
/* The KPI counters (core/kpi.h) and the store pool. */
struct kpisvc *req_kpis(http_req *r);
/* The cases of the duplicate window (core/nearidx.h). */
struct nearidx *req_nearidx(http_req *r);
/* The catalogue as of this request's catalogue generation, from the
 * server's memory (core/catcache.h); NULL when the generation was not read
 * or it cannot be loaded: then read the store. Release it with
 * req_catalogue_release. */
struct catsnap;
const struct catsnap *req_catalogue(http_req *r);
void req_catalogue_release(http_req *r, const struct catsnap *k);
store_pool *req_pool(http_req *r);
struct calendar;
const struct calendar *req_calendar(http_req *r);

/* Append an audit row for this request (actor, request id, address,
 * resource filled in) inside the current transaction... */
wg_err req_audit(http_req *r, const char *action, const char *detail);
/* ...or in a transaction of its own. */
wg_err req_audit_record(http_req *r, const char *action, const char *detail);

/* A required actor (for handlers of routes whose perm is not PUBLIC, the
 * server has already checked there is one). */
#define REQ_WHO(r) ((const actor *)(r)->who)

/* Path placeholder {name}, query argument, or request header; NULL when
 * absent. Strings live in the arena (params) or the connection (others). */
const char *req_param(http_req *r, const char *name);
const char *req_query(http_req *r, const char *name);
const char *req_header(http_req *r, const char *name);

/* Record an error with the field at fault (may be NULL) and a message
 * (printf-style, may be NULL for the default text); returns rc. */
wg_err req_fail(http_req *r, wg_err rc, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same from a refusal core explained in why (rc alone when it did not). */
wg_err req_fail_why(http_req *r, wg_err rc, const wg_why *why);

/* An If-Match header that names another version than `version` (the
 * ETag "<version>" of `what` `id`, e.g. "case" 12) fails the request: 412. */
wg_err req_if_match(http_req *r, const char *what, int64_t id, int64_t version);

/* Reply with a JSON value (the reference is stolen) and status. */
wg_err reply_json(http_req *r, int status, json_t *j);
/* Reply with bytes that live at least as long as the request. */
wg_err reply_bytes(http_req *r, int status, const char *ctype, const char *body, size_t len);
/* Add a response header (strings must outlive the request). */
wg_err reply_header(http_req *r, const char *name, const char *value);

/* The HTTP status for an error. */
int http_status_of(wg_err rc);

/* Build the JSON error body for rc from r->err_field / r->err_msg into
 * r->out. */
void reply_error(http_req *r, wg_err rc);

/* Parse body bytes as JSON into *out (owned by the caller). On failure
 * writes "line L, column C: reason" into msg. */
wg_err req_parse_json(const char *body, size_t len, json_t **out, char *msg, size_t cap);

/* Field readers for JSON bodies ("...OrReply" helpers): each returns WG_OK
 * and sets *out, or records the error naming the field and returns it.
 * A missing optional field leaves *out untouched. */
wg_err req_json_string(http_req *r, const char *field, bool required, size_t maxlen,
                       const char **out);
wg_err req_json_int(http_req *r, const char *field, bool required, int64_t min, int64_t max,
                    int64_t *out);

#endif
