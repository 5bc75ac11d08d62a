/*
 * server.c - see server.h.
 *
 * Request life cycle in libmicrohttpd's terms: the access handler is called
 * once when the headers are in (we allocate the context, check caps, match
 * the route), once per piece of body (appended to a capped buffer), and once
 * more with no data when the request is complete: only then is the response
 * queued. Queuing earlier is only done to refuse a body we will not read
 * (413 on Content-Length): libmicrohttpd then closes the connection, which
 * is what we want there but would ruin keep-alive anywhere else.
 */
#include "http/server.h"
#include "core/audit.h"
#include "core/cases.h"
#include "core/catcache.h"
#include "core/kpi.h"
#include "core/locator.h"
#include "core/session.h"
#include "http/handlers.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/strparse.h"

#include <errno.h>
#include <microhttpd.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A body may be discarded (not stored) up to this many bytes past the cap
 * so that a chunked upload that runs over still gets a 413; beyond it the
 * connection is dropped. */
#define DISCARD_LIMIT (16 * WG_MIB)
#define REQ_ARENA_CAP (256 * WG_MIB)

struct http_server {
    struct MHD_Daemon *d;
    const wg_config *cfg;
    store_pool *pool;
    const vault *vault;
    throttle *throttle;
    session_policy policy;
    session_cache *sessions;
    locsvc *locs;
    kpisvc *kpis;
    nearidx *near; /* the cases of the duplicate window */
    catcache *catalogue; /* categories and routing rules in memory */
    /* The working calendar. Replaced when holidays change; the old ones are
     * kept until shutdown (a few per year), so readers need no lock. */
    pthread_mutex_t cal_lock;
    _Atomic(calendar *) cal;
    calendar *old_cals[256];
    int nold_cals;
    /* The escalation scheduler. */
    pthread_t sched;
    bool sched_running;
    pthread_mutex_t sched_lock;
    pthread_cond_t sched_wake;
    bool stopping;
    bool inited_locks;
    metrics *m;
    const char **route_names;
    uint16_t port;
    _Atomic int inflight;
    /* The listening socket and the thread that accepts on it. */
    int lfd;
    pthread_t acceptor;
    bool acceptor_running;
    atomic_bool accept_stop;
};

typedef struct {
    http_req r;
    uint64_t t0;
    size_t route_idx;
    wg_buf body;
    uint64_t discarded;
    wg_err early; /* an error found before the body was read */
    bool has_body;
    bool queued;
    /* A write waiting for its commit: the connection is suspended until
     * the committer calls back with the outcome. */
    _Atomic bool committed;
    wg_err commit_err;
    wg_err job_err; /* a write_late route's write failed */
    char arena0[3072];
} req_ctx;

/* ---- small helpers ---- */

static uint64_t rand_next(void)
{
    /* xorshift64*, seeded per thread from the kernel: request ids need to
     * be unique, not secret. */
    static __thread uint64_t x;
    if (!x) {
        if (getrandom(&x, sizeof(x), 0) != sizeof(x) || !x)
            x = (uint64_t)log_now_us() | 1;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    return x * 0x2545F4914F6CDD1DULL;
}

static bool sane_request_id(const char *v)
{
    size_t n = 0;
    for (; v[n]; n++) {
        char c = v[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':'))
            return false;
        if (n == 64)
            return false;
    }
    return n > 0;
}

static void set_request_id(req_ctx *c, struct MHD_Connection *conn)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (v && sane_request_id(v)) {
        c->r.request_id = arena_strdup(&c->r.ar, v);
        if (c->r.request_id)
            return;
    }
    char *id = arena_alloc(&c->r.ar, 17);
    if (!id) {
        c->r.request_id = "-";
        return;
    }
    snprintf(id, 17, "%016llx", (unsigned long long)rand_next());
    c->r.request_id = id;
}

typedef struct {
    size_t bytes;
    size_t lengths; /* Content-Length headers */
} size_acc;

static enum MHD_Result add_kv_size(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    size_acc *a = cls;
    a->bytes += strlen(key) + (value ? strlen(value) : 0) + 4;
    a->lengths += strcasecmp(key, "Content-Length") == 0;
    return MHD_YES;
}

/* The bytes of the values of a kind; *lengths (may be NULL) receives how
 * many of them are Content-Length. */
static size_t kv_bytes(struct MHD_Connection *conn, enum MHD_ValueKind kind, size_t *lengths)
{
    size_acc a = {0};
    MHD_get_connection_values(conn, kind, add_kv_size, &a);
    if (lengths)
        *lengths = a.lengths;
    return a.bytes;
}

/* Find the route for method + path. On no match, sets *allow to the methods
 * that would match the path (0 if none). */
static size_t find_route(unsigned method, const char *path, route_match *m, unsigned *allow)
{
    *allow = 0;
    unsigned want = method == HTTP_HEAD ? (HTTP_HEAD | HTTP_GET) : method;
    for (size_t i = 0; i < http_routes_count; i++) {
        route_match tmp;
        if (!router_path_matches(http_routes[i].pattern, path, &tmp))
            continue;
        unsigned has = http_routes[i].methods;
        if (has & HTTP_GET)
            has |= HTTP_HEAD;
        if (has & want) {
            *m = tmp;
            return i;
        }
        *allow |= has;
    }
    return http_routes_count;
}

static bool is_json_type(const char *ct)
{
    static const char want[] = "application/json";
    if (strncasecmp(ct, want, sizeof(want) - 1) != 0)
        return false;
    char next = ct[sizeof(want) - 1];
    return next == '\0' || next == ';' || next == ' ';
}

/* Checks that need only the headers. Returns an error to answer with. */
static wg_err precheck(http_server *s, req_ctx *c, struct MHD_Connection *conn)
{
    http_req *r = &c->r;
    const wg_config *cfg = s->cfg;
    size_t uri = strlen(r->path) + kv_bytes(conn, MHD_GET_ARGUMENT_KIND, NULL);
    if (uri > cfg->max_uri)
        return req_fail(r, WG_ERR_URI_TOO_LONG, NULL, "the URI is longer than %llu bytes",
                        (unsigned long long)cfg->max_uri);
    size_t lengths = 0;
    if (kv_bytes(conn, MHD_HEADER_KIND, &lengths) > cfg->max_header_bytes)
        return req_fail(r, WG_ERR_HEADERS_TOO_LARGE, NULL,
                        "the request headers are larger than %llu bytes",
                        (unsigned long long)cfg->max_header_bytes);

    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding");
    c->has_body = (cl && strcmp(cl, "0") != 0) || te;
    /* Where the body ends must be beyond doubt, or a proxy in front may
     * read it otherwise (request smuggling): refused, and the connection
     * closes. libmicrohttpd takes the first of two lengths, and waits
     * for ever on a coding other than chunked. */
    if (lengths > 1)
        return req_fail(r, WG_ERR_BAD_REQUEST, "Content-Length", "more than one Content-Length");
    if (te && cl)
        return req_fail(r, WG_ERR_BAD_REQUEST, "Transfer-Encoding",
                        "both Transfer-Encoding and Content-Length");
    if (te && strcasecmp(te, "chunked") != 0)
        return req_fail(r, WG_ERR_BAD_REQUEST, "Transfer-Encoding",
                        "only the chunked transfer coding is taken");

    unsigned allow;
    c->route_idx = find_route(r->method, r->path, &r->match, &allow);
    if (!r->method) /* an unknown method matches nothing; allow says what would */
        c->route_idx = http_routes_count;
    if (c->route_idx == http_routes_count) {
        if (!allow)
            return req_fail(r, WG_ERR_NOT_FOUND, NULL, "no such path: %s", r->path);
        char *hdr = arena_alloc(&r->ar, 64);
        if (hdr) {
            router_allow_header(allow, hdr, 64);
            reply_header(r, "Allow", hdr);
        }
        return req_fail(r, WG_ERR_METHOD, NULL, "method not allowed here; allowed: %s",
                        hdr ? hdr : "?");
    }
    r->route = &http_routes[c->route_idx];

    size_t cap = r->route->max_body ? r->route->max_body : (size_t)cfg->max_body;
    if (r->route->body == BODY_NONE)
        cap = 0;
    if (cl) {
        /* libmicrohttpd has already rejected a malformed Content-Length. */
        unsigned long long n = strtoull(cl, NULL, 10);
        if (n > cap && cap == 0)
            return req_fail(r, WG_ERR_TOO_LARGE, NULL, "%s takes no request body", r->path);
        if (n > cap)
            return req_fail(r, WG_ERR_TOO_LARGE, NULL, "the body is larger than %zu bytes", cap);
    }
    if (c->has_body && r->route->body == BODY_JSON) {
        const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
        /* A body without a type is refused too: a cross-site form or
         * no-cors fetch cannot send application/json. */
        if (!ct || !is_json_type(ct))
            return req_fail(r, WG_ERR_MEDIA_TYPE, "Content-Type",
                            "the body must be application/json");
    }
    /* On the heap, not the arena: growing in an arena keeps every old copy. */
    buf_init(&c->body, NULL, cap);
    return WG_OK;
}

static enum MHD_Result queue(http_server *s, req_ctx *c, struct MHD_Connection *conn)
{
    http_req *r = &c->r;
    (void)s;
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        r->out_len, (void *)r->out,
        r->out_lasting ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", r->ctype ? r->ctype : "application/json");
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    bool cache_set = false; /* the console's files say how they may be cached */
    for (int i = 0; i < r->nheaders; i++)
        cache_set |= strcmp(r->headers[i].name, "Cache-Control") == 0;
    if (!cache_set)
        MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' "
                            "'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; "
                            "form-action 'self'");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    for (int i = 0; i < r->nheaders; i++)
        MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    c->queued = true;
    return ok;
}

static bool is_write(unsigned method)
{
    return method & (HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE);
}

/* The credential of the request: a Bearer token, else the session
 * cookie. */
static const char *credential(http_req *r, bool *by_cookie)
{
    const char *h = req_header(r, "Authorization");
    if (h && strncasecmp(h, "Bearer ", 7) == 0) {
        *by_cookie = false;
        h += 7;
        while (*h == ' ')
            h++;
        return h;
    }
    *by_cookie = true;
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "wg_session");
}

static wg_err need_login(http_req *r, const char *msg)
{
    reply_header(r, "WWW-Authenticate", "Bearer realm=\"wangge\"");
    return req_fail(r, WG_ERR_UNAUTHORIZED, NULL, "%s", msg);
}

/* Who is asking, and may they? Sets r->who. Default deny: a route that is
 * not PUBLIC needs an actor holding its permission; a cookie-authenticated
 * write also needs the session's CSRF token in X-CSRF-Token. */
static wg_err check_access(http_server *s, http_req *r)
{
    const http_route *rt = r->route;
    bool by_cookie = false;
    const char *tok = credential(r, &by_cookie);
    if (tok && *tok) {
        store *db = req_store(r);
        actor *a = arena_calloc(&r->ar, 1, sizeof(*a));
        if (!db)
            return req_fail(r, WG_ERR_UNAVAILABLE, NULL, "the database does not answer");
        if (!a)
            return WG_ERR_NOMEM;
        wg_why why = {0};
        /* One statement reads both generations: the actor's for the
         * session cache, the catalogue's for the reports (req_catalogue). */
        int64_t actor_gen = 0;
        r->catalogue_known = store_generations(db, &actor_gen, &r->catalogue_gen) == WG_OK;
        wg_err e = strlen(tok) >= AUTH_TOKEN_MAX
                       ? wg_fail(&why, WG_ERR_UNAUTHORIZED, NULL, "malformed token")
                       : session_resolve_at(r->catalogue_known ? s->sessions : NULL, db,
                                            &s->policy, tok, actor_gen, (int64_t)time(NULL), a,
                                            r->csrf, &why);
        if (e == WG_ERR_UNAUTHORIZED && rt->perm != PERM_PUBLIC)
            return need_login(r, why.msg);
        if (e && e != WG_ERR_UNAUTHORIZED)
            return e;
        if (!e) {
            a->by_cookie = by_cookie;
            r->who = a;
        }
    }
    if (rt->perm == PERM_PUBLIC)
        return WG_OK;
    if (!r->who)
        return need_login(r,
                          "log in first (POST /api/login), or send an API key as a Bearer token");
    if (!actor_can(r->who, rt->perm))
        return req_fail(r, WG_ERR_FORBIDDEN, NULL, "your roles do not allow this");
    if (r->who->by_cookie && is_write(r->method)) {
        const char *h = req_header(r, "X-CSRF-Token");
        if (!h || !r->csrf[0] || !auth_equal(h, r->csrf))
            return req_fail(r, WG_ERR_FORBIDDEN, "X-CSRF-Token",
                            "a write with the session cookie needs the session's X-CSRF-Token "
                            "header");
    }
    return WG_OK;
}

static void fill_event(http_req *r, audit_event *ev, const char *action, const char *detail)
{
    memset(ev, 0, sizeof(*ev));
    ev->actor_id = r->who ? r->who->user_id : 0;
    ev->actor = r->who ? r->who->login : (r->audit_actor ? r->audit_actor : "-");
    ev->action = action;
    ev->resource = r->audit_resource ? r->audit_resource : r->path;
    ev->request_id = r->request_id;
    ev->client_addr = r->client_addr;
    ev->detail = detail;
}

wg_err req_audit(http_req *r, const char *action, const char *detail)
{
    audit_event ev;
    fill_event(r, &ev, action, detail);
    return audit_append(req_store(r), &ev);
}

wg_err req_audit_record(http_req *r, const char *action, const char *detail)
{
    store *db = req_store(r);
    if (!db)
        return WG_ERR_UNAVAILABLE;
    audit_event ev;
    fill_event(r, &ev, action, detail);
    return audit_record(db, &ev);
}

/* The write failed or its transaction could not commit: roll back and
 * audit the failure where the route asks for it. */
static void write_failed(http_req *r, store *db, wg_err e)
{
    const http_route *rt = r->route;
    store_rollback(db);
    r->db = NULL;
    if (rt->audit_failure) {
        audit_event ev;
        const char *action = arena_printf(&r->ar, "%s.failure", rt->action);
        fill_event(r, &ev, action ? action : rt->action, r->err_msg ? r->err_msg : wg_strerror(e));
        if (audit_record(db, &ev))
            log_error("audit: could not record %s for %s", ev.action, r->path);
    }
}

/* The committer's call: the batch with this request's write is durable (or
 * failed). The connection wakes and finish_write() replies. */
static void on_committed(void *ctx, wg_err e)
{
    req_ctx *c = ctx;
    c->commit_err = e;
    atomic_store(&c->committed, true);
    MHD_resume_connection(c->r.conn);
}

/* After the commit: the after-commit step, or the failure. */
static wg_err finish_write(req_ctx *c)
{
    http_req *r = &c->r;
    if (c->job_err)
        return c->job_err; /* its savepoint is undone; r says why */
    wg_err e = c->commit_err;
    if (e) {
        req_fail(r, e, NULL, "could not record the change");
        write_failed(r, store_pool_writer(r->srv->pool), e);
        return e;
    }
    r->db = NULL;
    r->writing = false;
    return r->after_commit ? r->after_commit(r) : WG_OK;
}

/* Start the write transaction of a route, before its handler. */
static wg_err begin_write(http_req *r)
{
    /* The write runs on the pool's writer connection; reads after the
     * commit go back to this thread's own. */
    store *db = store_pool_writer(r->srv->pool);
    if (!db)
        return req_fail(r, WG_ERR_UNAVAILABLE, NULL, "the database does not answer");
    wg_err e = store_begin(db);
    if (e)
        return req_fail(r, e, NULL,
                        e == WG_ERR_UNAVAILABLE ? "writes are refused until the server restarts: a "
                                                  "sync of the write-ahead log failed"
                                                : "cannot start a transaction");
    r->db = db;
    r->writing = true;
    return WG_OK;
}

void req_write_then(http_req *r, http_handler fn)
{
    r->write_fn = fn;
}

/* A write_late route's write, on the store pool's runner thread: its part,
 * then the audit row. */
static wg_err job_run(store *w, void *ctx)
{
    req_ctx *c = ctx;
    http_req *r = &c->r;
    r->db = w;
    r->writing = true;
    wg_err e = r->write_fn(r);
    if (!e) {
        audit_event ev;
        fill_event(r, &ev, r->route->action, r->audit_detail);
        e = audit_append(w, &ev);
        if (e)
            req_fail(r, e, NULL, "could not record the change");
    }
    r->db = NULL;
    r->writing = false;
    return e;
}

/* The pool's call: the write failed (its savepoint is undone), or the batch
 * with it is durable (or failed). The connection wakes and answer()
 * replies. */
static void job_done(void *ctx, wg_err run_err, wg_err commit_err)
{
    req_ctx *c = ctx;
    c->job_err = run_err;
    on_committed(c, commit_err);
}

/* Hand a write_late route's write to the store pool's runner. */
static wg_err submit_write(req_ctx *c, bool *pending)
{
    http_req *r = &c->r;
    store_pool *pool = r->srv->pool;
    if (!r->write_fn)
        return req_fail(r, WG_ERR_INTERNAL, NULL, "the handler wrote nothing");
    store_job *j = arena_alloc(&r->ar, sizeof(*j));
    if (!j)
        return WG_ERR_NOMEM;
    *j = (store_job){.run = job_run, .done = job_done, .ctx = c};
    if (!store_pool_writer(pool)) /* starts the committer and the runner */
        return req_fail(r, WG_ERR_UNAVAILABLE, NULL, "the database does not answer");
    if (store_pool_broken(pool))
        return req_fail(r, WG_ERR_UNAVAILABLE, NULL,
                        "writes are refused until the server restarts: a sync of the "
                        "write-ahead log failed");
    /* Suspend first: the runner may call back before submit returns. */
    MHD_suspend_connection(r->conn);
    if (!store_pool_submit(pool, j)) {
        MHD_resume_connection(r->conn);
        return req_fail(r, WG_ERR_UNAVAILABLE, NULL, "the server is stopping");
    }
    *pending = true;
    return WG_OK;
}

/* Run the handler. A write route runs in one transaction together with its
 * audit row: both commit or neither does. The transaction begins before
 * the handler; a write_late route's handler holds no write lock and hands
 * its write over (req_write_then) to the store pool's runner thread. The
 * commit is asynchronous: the connection is suspended, its thread serves
 * others meanwhile, and *pending says so; on_committed (or job_done) wakes
 * it and answer() finishes. */
static wg_err run_handler(req_ctx *c, bool *pending)
{
    http_req *r = &c->r;
    *pending = false;
    const http_route *rt = r->route;
    if (!rt->action)
        return rt->handler(r);
    if (rt->write_late) {
        wg_err e = rt->handler(r);
        return e ? e : submit_write(c, pending);
    }
    wg_err e = begin_write(r);
    if (e)
        return e;
    e = rt->handler(r);
    store *db = r->db;
    if (!e) {
        audit_event ev;
        fill_event(r, &ev, rt->action, r->audit_detail);
        e = audit_append(db, &ev);
        if (e)
            req_fail(r, e, NULL, "could not record the change");
    }
    if (e) {
        write_failed(r, db, e);
        return e;
    }
    /* Suspend first: the committer may call back before
     * store_commit_async returns. */
    MHD_suspend_connection(r->conn);
    *pending = true;
    store_commit_async(db, on_committed, c);
    return WG_OK;
}

/* Run the handler (or take the early error) and queue the reply. */
static enum MHD_Result answer(http_server *s, req_ctx *c, struct MHD_Connection *conn)
{
    http_req *r = &c->r;
    wg_err e = c->early;
    if (atomic_load(&c->committed)) {
        e = finish_write(c); /* woken by on_committed */
    } else if (!e && r->route) {
        r->body = c->body.ptr;
        r->body_len = c->body.len;
        if (r->route->body == BODY_JSON && r->body_len) {
            char msg[256];
            e = req_parse_json(r->body, r->body_len, &r->json, msg, sizeof(msg));
            if (e)
                req_fail(r, e, NULL, "malformed JSON at %s", msg);
            else
                arena_defer(&r->ar, (void (*)(void *))json_decref, r->json);
        }
        bool pending = false;
        if (!e)
            e = run_handler(c, &pending);
        if (pending)
            return MHD_YES; /* on_committed resumes the connection */
    }
    if (e)
        reply_error(r, e);
    else if (!r->status)
        reply_error(r, req_fail(r, WG_ERR_INTERNAL, NULL, "the handler gave no reply"));
    return queue(s, c, conn);
}

static void client_address(struct MHD_Connection *conn, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = '\0';
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)cap);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    http_server *s = cls;
    req_ctx *c = *con_cls;
    if (!c) {
        c = malloc(sizeof(*c));
        if (!c) {
            log_error("http: out of memory for a request context");
            return MHD_NO;
        }
        memset(c, 0, offsetof(req_ctx, arena0));
        *con_cls = c;
        c->t0 = log_now_us();
        atomic_fetch_add_explicit(&s->inflight, 1, memory_order_relaxed);
        metrics_inflight(s->m, 1);
        arena_init(&c->r.ar, c->arena0, sizeof(c->arena0), REQ_ARENA_CAP);
        c->r.srv = s;
        c->r.conn = conn;
        c->r.method = router_method(method);
        c->r.path = arena_strdup(&c->r.ar, url);
        c->route_idx = http_routes_count;
        set_request_id(c, conn);
        client_address(conn, c->r.client_addr, sizeof(c->r.client_addr));
        if (!c->r.path)
            return MHD_NO;
        c->early = precheck(s, c, conn);
        /* Who asks is known from the headers: refuse before reading a body. */
        if (!c->early && c->r.route)
            c->early = check_access(s, &c->r);
        /* A refused body is not read: answer now, the connection closes. */
        if (c->early && c->has_body)
            return answer(s, c, conn);
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (c->queued)
            return MHD_YES;
        if (!c->early && buf_append(&c->body, upload_data, n) == WG_OK)
            return MHD_YES;
        if (!c->early)
            c->early = req_fail(&c->r, WG_ERR_TOO_LARGE, NULL, "the body is larger than %zu bytes",
                                c->body.cap);
        c->discarded += n;
        return c->discarded > DISCARD_LIMIT ? MHD_NO : MHD_YES;
    }
    if (c->queued)
        return MHD_YES;
    return answer(s, c, conn);
}

static void access_log(req_ctx *c, uint64_t micros)
{
    http_req *r = &c->r;
    char line[1024];
    wg_buf b;
    char ts[32];
    arena tmp;
    arena_init(&tmp, line, sizeof(line), 64 * 1024);
    buf_init(&b, &tmp, 16 * 1024);
    log_timestamp(ts, sizeof(ts));
    static const char *const names[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
    const char *m = "OTHER";
    for (size_t i = 0; i < WG_ARRAY_LEN(names); i++)
        if (r->method == (1u << i))
            m = names[i];
    wg_err e = buf_printf(&b,
                          "{\"t\":\"%s\",\"level\":\"access\",\"id\":\"%s\",\"method\":\"%s\","
                          "\"path\":\"",
                          ts, r->request_id, m);
    if (!e)
        e = buf_json_escape(&b, r->path, strlen(r->path));
    if (!e)
        e = buf_printf(&b, "\",\"status\":%d,\"bytes\":%zu,\"us\":%llu}\n",
                       c->queued ? r->status : 0, c->queued ? r->out_len : 0,
                       (unsigned long long)micros);
    if (!e)
        log_write_line(2, b.ptr, b.len);
    arena_free(&tmp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    http_server *s = cls;
    req_ctx *c = *con_cls;
    if (!c)
        return;
    uint64_t micros = log_now_us() - c->t0;
    metrics_observe(s->m, c->route_idx, c->queued ? c->r.status : 499, micros);
    metrics_inflight(s->m, -1);
    if (s->cfg->access_log && c->r.path)
        access_log(c, micros);
    arena_free(&c->r.ar);
    buf_free(&c->body);
    free(c);
    *con_cls = NULL;
    atomic_fetch_sub_explicit(&s->inflight, 1, memory_order_relaxed);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_warn("http: %s", msg);
}

/* Every escalation_interval seconds: mark overdue steps and write their
 * escalation entries, in one transaction, on this thread's connection. */
static void *scheduler(void *arg)
{
    http_server *s = arg;
    pthread_mutex_lock(&s->sched_lock);
    while (!s->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += s->cfg->escalation_interval;
        pthread_cond_timedwait(&s->sched_wake, &s->sched_lock, &until);
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->sched_lock);
        store *db = store_pool_get(s->pool);
        case_env env = {.cal = atomic_load(&s->cal), .now = (int64_t)time(NULL)};
        int n = 0;
        if (db && store_begin(db) == WG_OK) {
            if (cases_escalate_overdue(db, &env, &n) || store_commit(db)) {
                store_rollback(db);
                log_warn("scheduler: the overdue scan failed");
            } else if (n) {
                log_info("scheduler: %d case(s) went overdue", n);
            }
        }
        pthread_mutex_lock(&s->sched_lock);
    }
    pthread_mutex_unlock(&s->sched_lock);
    return NULL;
}

wg_err server_reload_calendar(http_server *s, store *db, wg_why *why)
{
    calendar *cal = NULL;
    wg_err e = cases_calendar(db, s->cfg->work_periods, (int)s->cfg->utc_offset_minutes, &cal, why);
    if (e)
        return e;
    pthread_mutex_lock(&s->cal_lock);
    calendar *old = atomic_exchange(&s->cal, cal);
    if (old && s->nold_cals < (int)WG_ARRAY_LEN(s->old_cals))
        s->old_cals[s->nold_cals++] = old;
    else if (old)
        log_warn("calendar: too many reloads kept; one old calendar leaks");
    pthread_mutex_unlock(&s->cal_lock);
    return WG_OK;
}

const calendar *server_calendar(const http_server *s)
{
    return atomic_load(&((http_server *)s)->cal);
}

/* Connections are accepted here and handed to libmicrohttpd's threads
 * (MHD_add_connection picks a thread by the socket's number, so they take
 * turns). Left to themselves, its threads race for each new connection:
 * when many connect at once (wrk, a proxy's pool of kept-alive
 * connections), one thread could win four in five of them and serve them
 * all on one core while the other idled. */
static void *acceptor_main(void *arg)
{
    http_server *s = arg;
    pthread_setname_np(pthread_self(), "wg-accept");
    bool warned = false;
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof(peer);
        int fd = accept4(s->lfd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            /* It closes the socket itself when it cannot take it. */
            MHD_add_connection(s->d, fd, (struct sockaddr *)&peer, len);
            continue;
        }
        int sys = errno;
        if (atomic_load(&s->accept_stop))
            break;
        if (sys == EINTR || sys == ECONNABORTED || sys == EAGAIN || sys == EPROTO)
            continue;
        if (!warned)
            log_warn("http: cannot accept a connection: %s (trying again)", strerror(sys));
        warned = true;
        struct timespec ts = {0, 10 * 1000 * 1000}; /* out of descriptors or memory */
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* A socket bound to sa and listening, or -1 with err set. */
static int listen_on(const struct sockaddr_storage *sa, bool v6, const char *name, char *err,
                     size_t errcap)
{
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
                    (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
                    bind(fd, (const struct sockaddr *)sa,
                         v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) ||
                    listen(fd, SOMAXCONN))) {
        int sys = errno;
        close(fd);
        errno = sys;
        fd = -1;
    }
    if (fd < 0)
        snprintf(err, errcap, "cannot listen on %s: %s", name, strerror(errno));
    return fd;
}

/* Release what server_start made (the daemon and scheduler are stopped by
 * then, or never started). Safe on a partly built server. */
static void release(http_server *s)
{
    for (int i = 0; i < s->nold_cals; i++)
        calendar_free(s->old_cals[i]);
    calendar_free(atomic_load(&s->cal));
    if (s->inited_locks) {
        pthread_mutex_destroy(&s->cal_lock);
        pthread_mutex_destroy(&s->sched_lock);
        pthread_cond_destroy(&s->sched_wake);
    }
    locsvc_free(s->locs);
    kpisvc_free(s->kpis);
    nearidx_free(s->near);
    catcache_free(s->catalogue);
    throttle_free(s->throttle);
    session_cache_free(s->sessions);
    metrics_free(s->m);
    web_cache_free();
    free(s->route_names);
    if (s->lfd >= 0)
        close(s->lfd);
    free(s);
}

wg_err server_start(const wg_config *cfg, store_pool *pool, const vault *v, http_server **out,
                    char *err, size_t errcap)
{
    char host[256];
    uint16_t port;
    if (!parse_hostport(cfg->listen, host, sizeof(host), &port)) {
        snprintf(err, errcap, "invalid listen address '%s'", cfg->listen);
        return WG_ERR_CONFIG;
    }
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(host, NULL, &hints, &ai);
    if (gai != 0) {
        snprintf(err, errcap, "cannot resolve listen host '%s': %s", host, gai_strerror(gai));
        return WG_ERR_CONFIG;
    }
    struct sockaddr_storage sa;
    memset(&sa, 0, sizeof(sa));
    memcpy(&sa, ai->ai_addr, ai->ai_addrlen);
    bool v6 = ai->ai_family == AF_INET6;
    freeaddrinfo(ai);
    if (v6)
        ((struct sockaddr_in6 *)&sa)->sin6_port = htons(port);
    else
        ((struct sockaddr_in *)&sa)->sin_port = htons(port);

    http_server *s = calloc(1, sizeof(*s));
    if (!s)
        return WG_ERR_NOMEM;
    s->lfd = -1;
    s->cfg = cfg;
    s->pool = pool;
    s->vault = v;
    s->policy = (session_policy){.ttl = cfg->session_ttl,
                                 .idle = cfg->session_idle,
                                 .memlimit = cfg->password_memlimit,
                                 .free_tries_login = (int)cfg->login_free_tries,
                                 .free_tries_addr = (int)cfg->addr_free_tries};
    if (!(s->throttle = throttle_new()) || !(s->sessions = session_cache_new()) ||
        !(s->locs = locsvc_new()) || !(s->kpis = kpisvc_new((int)cfg->utc_offset_minutes)) ||
        !(s->near = nearidx_new((double)cfg->duplicate_radius_m,
                                cfg->duplicate_window_hours * 3600)) ||
        !(s->catalogue = catcache_new()))
        goto nomem;
    pthread_mutex_init(&s->cal_lock, NULL);
    pthread_mutex_init(&s->sched_lock, NULL);
    pthread_cond_init(&s->sched_wake, NULL);
    s->inited_locks = true;
    {
        /* The first index and calendar, before the first request. */
        wg_why why = {0};
        store *db = store_pool_get(pool);
        if (!db || locsvc_rebuild(s->locs, db, &why) || server_reload_calendar(s, db, &why)) {
            snprintf(err, errcap, "cannot build the grid index: %s",
                     why.msg[0] ? why.msg : "the database does not answer");
            release(s);
            return WG_ERR_STORE;
        }
        /* The cases of the duplicate window, in one read transaction. */
        wg_err e = store_snapshot(db);
        if (!e) {
            e = nearidx_load(s->near, db, (int64_t)time(NULL));
            store_snapshot_end(db);
        }
        if (e) {
            snprintf(err, errcap, "cannot load the recent cases: %s", wg_strerror(e));
            release(s);
            return e;
        }
    }
    s->route_names = calloc(http_routes_count, sizeof(*s->route_names));
    if (!s->route_names)
        goto nomem;
    for (size_t i = 0; i < http_routes_count; i++)
        s->route_names[i] = http_routes[i].pattern;
    s->m = metrics_new(s->route_names, http_routes_count);
    if (!s->m)
        goto nomem;

    unsigned threads = (unsigned)cfg->threads;
    if (!threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    /* Enough for the largest accepted header block plus the read and
     * write buffers libmicrohttpd keeps in the same pool, and no more:
     * libmicrohttpd zeroes the whole pool for every request on a kept-alive
     * connection, and shrinking its read buffer zeroes the rest too. With
     * 64 KiB more than the headers, that was 6% of the server's time on a
     * short POST (+5% such requests a second with 16 KiB). */
    size_t memlimit = (size_t)cfg->max_header_bytes + (size_t)cfg->max_uri + 16 * WG_KIB;
    if ((s->lfd = listen_on(&sa, v6, cfg->listen, err, errcap)) < 0) {
        release(s);
        return WG_ERR_IO;
    }
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO | MHD_USE_NO_LISTEN_SOCKET |
                     (v6 ? MHD_USE_IPv6 : 0);
    errno = 0;
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER,
                            mhd_logger, s, MHD_OPTION_THREAD_POOL_SIZE, threads,
                            MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
                            (unsigned)cfg->connection_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                            memlimit, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    if (!s->d) {
        int sys = errno;
        snprintf(err, errcap, "cannot listen on %s%s%s", cfg->listen, sys ? ": " : "",
                 sys ? strerror(sys) : "");
        release(s);
        return WG_ERR_IO;
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof(bound);
    s->port = port;
    if (getsockname(s->lfd, (struct sockaddr *)&bound, &blen) == 0)
        s->port = ntohs(v6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                           : ((struct sockaddr_in *)&bound)->sin_port);
    if (pthread_create(&s->acceptor, NULL, acceptor_main, s) != 0) {
        snprintf(err, errcap, "cannot start the thread that accepts connections");
        MHD_stop_daemon(s->d);
        release(s);
        return WG_ERR_IO;
    }
    s->acceptor_running = true;
    if (cfg->escalation_interval > 0)
        s->sched_running = pthread_create(&s->sched, NULL, scheduler, s) == 0;
    *out = s;
    return WG_OK;
nomem:
    release(s);
    return WG_ERR_NOMEM;
}

uint16_t server_port(const http_server *s)
{
    return s->port;
}

/* No new connections: the acceptor wakes (a shut-down listening socket
 * fails its accept), ends, and the socket closes. */
static void stop_accepting(http_server *s)
{
    if (!s->acceptor_running)
        return;
    atomic_store(&s->accept_stop, true);
    shutdown(s->lfd, SHUT_RDWR);
    pthread_join(s->acceptor, NULL);
    s->acceptor_running = false;
    close(s->lfd);
    s->lfd = -1;
}

void server_stop(http_server *s, int grace_seconds)
{
    if (!s)
        return;
    stop_accepting(s);
    /* In-flight requests finish; idle keep-alive connections are closed by
     * MHD_stop_daemon below. */
    uint64_t deadline = log_now_us() + (uint64_t)grace_seconds * 1000000u;
    while (atomic_load(&s->inflight) > 0 && log_now_us() < deadline) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    /* Writes waiting for their commit are suspended: commit them now and
     * let them answer (MHD may not stop with suspended connections). */
    store_pool_flush(s->pool);
    for (int i = 0; i < 200 && atomic_load(&s->inflight) > 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    int left = atomic_load(&s->inflight);
    if (left > 0)
        log_warn("http: %d request(s) still running after %d s; closing them", left, grace_seconds);
    MHD_stop_daemon(s->d);
    if (s->sched_running) {
        pthread_mutex_lock(&s->sched_lock);
        s->stopping = true;
        pthread_cond_signal(&s->sched_wake);
        pthread_mutex_unlock(&s->sched_lock);
        pthread_join(s->sched, NULL);
    }
    release(s);
}

const wg_config *server_config(const http_server *s)
{
    return s->cfg;
}

metrics *server_metrics(const http_server *s)
{
    return s->m;
}

store_pool *server_pool(const http_server *s)
{
    return s->pool;
}

/* ---- request accessors (req.h) that need libmicrohttpd ---- */

store *req_store(http_req *r)
{
    if (!r->db)
        r->db = store_pool_get(r->srv->pool);
    return r->db;
}

const wg_config *req_config(http_req *r)
{
    return r->srv->cfg;
}

const vault *req_vault(http_req *r)
{
    return r->srv->vault;
}

throttle *req_throttle(http_req *r)
{
    return r->srv->throttle;
}

const session_policy *req_policy(http_req *r)
{
    return &r->srv->policy;
}

locsvc *req_locator(http_req *r)
{
    return r->srv->locs;
}

kpisvc *req_kpis(http_req *r)
{
    return r->srv->kpis;
}

nearidx *req_nearidx(http_req *r)
{
    return r->srv->near;
}

const catsnap *req_catalogue(http_req *r)
{
    store *db = req_store(r);
    return r->catalogue_known && db ? catcache_acquire(r->srv->catalogue, db, r->catalogue_gen)
                                    : NULL;
}

void req_catalogue_release(http_req *r, const catsnap *k)
{
    catcache_release(r->srv->catalogue, k);
}

store_pool *req_pool(http_req *r)
{
    return r->srv->pool;
}

const calendar *req_calendar(http_req *r)
{
    return server_calendar(r->srv);
}

const char *req_param(http_req *r, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < r->match.nparams; i++) {
        if (wg_str_eq(r->match.params[i].name, name, n))
            return arena_strndup(&r->ar, r->match.params[i].value.ptr,
                                 r->match.params[i].value.len);
    }
    return NULL;
}

const char *req_query(http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_header(http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}
