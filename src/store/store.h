/*
 * store.h - wangge's storage, behind one interface.
 *
 * Callers see domain-level functions and wg_err codes only; no SQLite type
 * leaks out, so that a PostgreSQL implementation can replace store_sqlite.c
 * without touching callers. All SQL of the program lives under src/store/.
 *
 * A `store` is one connection and must be used by one thread at a time.
 * A `store_pool` hands each thread its own connection, opened on first use
 * and closed by store_pool_free().
 */
#ifndef WG_STORE_H
#define WG_STORE_H

#include "util/common.h"
#include "util/err.h"

typedef struct store store;
typedef struct store_pool store_pool;

typedef struct {
    int busy_timeout_ms; /* wait this long for a lock */
    bool create;         /* create the file if absent */
} store_opts;

/* Open the database at path and check that it is a wangge database whose
 * schema this binary knows (an empty or new file is fine). On failure
 * writes a message naming the path into err and returns WG_ERR_IO (cannot
 * open/write), WG_ERR_STORE (not a database / not ours) or WG_ERR_SCHEMA
 * (newer schema). The caller owns *out and frees it with store_close. */
wg_err store_open(const char *path, const store_opts *o, store **out, char *err, size_t errcap);
void store_close(store *s);

/* Apply pending migrations, one transaction each. *from and *to receive the
 * schema version before and after (may be NULL). */
wg_err store_migrate(store *s, int *from, int *to, char *err, size_t errcap);

/* The schema version of the open database (0 for an empty one). */
int store_schema_version(store *s);

/* The newest schema version this binary knows. */
int store_schema_latest(void);

/* Check that the database answers a trivial query. */
wg_err store_ping(store *s);

/* Size of the database file in bytes (pages in use times page size). */
wg_err store_db_size(store *s, int64_t *bytes);

/* Read a row of the meta table into out (NUL-terminated). */
wg_err store_meta_get(store *s, const char *key, char *out, size_t cap);

/* Insert or replace a row of the meta table. */
wg_err store_meta_set(store *s, const char *key, const char *value);

/* Several reads from one snapshot, in one read transaction: on a pool's
 * connection each transaction starts from an empty page cache when another
 * connection has written, so reads done together are cheaper together.
 * Not on the writer's connection, and no writes inside. */
wg_err store_snapshot(store *s);
void store_snapshot_end(store *s);

/* Transactions: one per request that writes. */
wg_err store_begin(store *s);
wg_err store_commit(store *s);
/* Commit without waiting: done(ctx, outcome) is called exactly once, when
 * the commit is durable or has failed. On a pool's writer connection that
 * is later, from the pool's committer thread (the caller's thread is free
 * meanwhile); elsewhere it is called before this returns. */
void store_commit_async(store *s, void (*done)(void *ctx, wg_err e), void *ctx);
void store_rollback(store *s);

/* A write handed over whole to a pool's committer thread, which runs it on
 * the writer's connection in a savepoint of the open batch (a failure
 * undoes only that savepoint), so that the caller's thread neither waits
 * for the write lock nor holds it. done(ctx, run_err, commit_err) is
 * called once, from the pool's threads: with run's error right after a
 * failed run, else when the batch is durable (commit_err WG_OK) or has
 * failed. The job must live until then. */
typedef struct store_job {
    wg_err (*run)(store *w, void *ctx);
    void (*done)(void *ctx, wg_err run_err, wg_err commit_err);
    void *ctx;
    struct store_job *next; /* the pool's */
} store_job;

/* ---- actors: users, role grants, sessions, API keys, departments ---- */

#define STORE_LOGIN_MAX 64
#define STORE_NAME_MAX 128
#define STORE_HASH_MAX 128 /* libsodium's crypto_pwhash_STRBYTES */
#define STORE_SEALED_MAX 128
#define STORE_CODE_MAX 40

typedef struct {
    int64_t id;
    char login[STORE_LOGIN_MAX];
    char display_name[STORE_NAME_MAX];
    char password_hash[STORE_HASH_MAX];
    unsigned char phone_sealed[STORE_SEALED_MAX];
    size_t phone_sealed_len; /* 0: no phone */
    char phone_bidx[65];
    char phone_masked[32];
    unsigned char id_sealed[STORE_SEALED_MAX];
    size_t id_sealed_len; /* 0: no citizen ID number */
    char id_bidx[65];
    char id_masked[24];
    bool disabled;
    char created_at[32];
    char updated_at[32];
} store_user;

typedef struct {
    char role[24];
    char scope_kind[12]; /* all | grid | department */
    char scope[STORE_CODE_MAX];
} store_grant;

typedef struct {
    int64_t id, user_id, created_at, last_seen, expires_at;
    bool revoked;
    char csrf[64];
} store_session;

typedef struct {
    int64_t id, user_id, created_at, last_used;
    bool revoked;
    char prefix[16];
    char name[STORE_NAME_MAX];
} store_apikey;

typedef struct {
    int64_t id;
    char code[STORE_CODE_MAX];
    char name[STORE_NAME_MAX];
    char kind[16]; /* department | force */
} store_department;

/* Users. Insert and update give WG_ERR_CONFLICT for a taken login. */
wg_err store_user_insert(store *s, const store_user *u, int64_t *id);
wg_err store_user_update(store *s, const store_user *u);
wg_err store_user_get(store *s, const char *login, store_user *out);
wg_err store_user_get_by_id(store *s, int64_t id, store_user *out);
wg_err store_user_count(store *s, int64_t *n);
/* The account whose phone ("phone") or citizen ID number ("id") has this
 * blind index; WG_ERR_NOT_FOUND when none. */
wg_err store_user_find_bidx(store *s, const char *what, const char *bidx, store_user *out);
/* Users in login order after `after` ("" for the first page), at most
 * limit; cb returns non-zero to stop (and that value is returned). */
wg_err store_user_list(store *s, const char *after, int limit,
                       wg_err (*cb)(void *ctx, const store_user *u), void *ctx);

/* Role grants of a user; *n receives how many (at most cap). */
wg_err store_grants_get(store *s, int64_t user_id, store_grant *out, int cap, int *n);
/* Replace all grants of a user (inside the caller's transaction). */
wg_err store_grants_replace(store *s, int64_t user_id, const store_grant *g, int n);

wg_err store_session_insert(store *s, const char *token_hash, int64_t user_id, const char *csrf,
                            int64_t now, int64_t expires_at, const char *addr, int64_t *id);
wg_err store_session_get(store *s, const char *token_hash, store_session *out);
wg_err store_session_touch(store *s, int64_t id, int64_t now);
/* The actor generation (sql/013_actor_generation.sql): bumped by every
 * change to accounts, roles, sessions and API keys, in any process. */
wg_err store_actor_generation(store *s, int64_t *out);
/* The actor generation and the catalogue generation
 * (sql/018_catalogue_generation.sql: bumped by every change to categories
 * and routing rules), read in one statement. */
wg_err store_generations(store *s, int64_t *actor, int64_t *catalogue);
wg_err store_session_revoke(store *s, int64_t id);
/* Revoke every live session of a user; *n receives how many. */
wg_err store_sessions_revoke_user(store *s, int64_t user_id, int *n);

wg_err store_apikey_insert(store *s, const char *key_hash, const char *prefix, int64_t user_id,
                           const char *name, int64_t now, int64_t *id);
wg_err store_apikey_get(store *s, const char *key_hash, store_apikey *out);
wg_err store_apikey_touch(store *s, int64_t id, int64_t now);
/* WG_ERR_NOT_FOUND when the user has no such live key. */
wg_err store_apikey_revoke(store *s, int64_t user_id, int64_t id);
wg_err store_apikey_list(store *s, int64_t user_id,
                         wg_err (*cb)(void *ctx, const store_apikey *k), void *ctx);

wg_err store_department_insert(store *s, const store_department *d, int64_t *id);
wg_err store_department_get(store *s, const char *code, store_department *out);
wg_err store_department_list(store *s, wg_err (*cb)(void *ctx, const store_department *d),
                             void *ctx);

/* ---- divisions and grids ---- */

#define STORE_GRID_CODE_MAX 32

typedef struct {
    char code[16];
    char name[STORE_NAME_MAX];
    char level[12]; /* province city county township committee */
    char parent[16];
} store_division;

/* Insert or replace a division. */
wg_err store_division_put(store *s, const store_division *d);
wg_err store_division_get(store *s, const char *code, store_division *out);
wg_err store_division_count(store *s, int64_t *n);

typedef struct {
    char code[STORE_GRID_CODE_MAX];
    char name[STORE_NAME_MAX];
    char level[12]; /* l1 l2 l3 micro dedicated */
    char parent[STORE_GRID_CODE_MAX];
    char division_code[16];
    char kind[32];
    int64_t households;
    const char *geometry; /* GeoJSON text; see each function for who owns it */
    size_t geometry_len;
    double area_m2;
    double min_lon, min_lat, max_lon, max_lat;
    char created_at[32];
    char updated_at[32];
} store_grid;

/* Insert (WG_ERR_CONFLICT if the code exists) or update a grid; the
 * geometry is copied. */
wg_err store_grid_insert(store *s, const store_grid *g);
wg_err store_grid_update(store *s, const store_grid *g);
/* WG_ERR_CONFLICT when it still has children. */
wg_err store_grid_delete(store *s, const char *code);
/* One grid; with_geometry copies the GeoJSON into a malloc'd string the
 * caller frees (out->geometry), else leaves it NULL. */
wg_err store_grid_get(store *s, const char *code, bool with_geometry, store_grid *out);
/* Every grid (parent before child: ordered by level then code), or the
 * children of `parent` when it is not NULL. The store_grid and its geometry
 * are valid only during the callback; cb returns non-zero to stop. */
wg_err store_grid_scan(store *s, const char *parent, bool with_geometry,
                       wg_err (*cb)(void *ctx, const store_grid *g), void *ctx);
/* The grids whose code starts with prefix (a subtree), same ordering. */
wg_err store_grid_scan_subtree(store *s, const char *prefix, bool with_geometry,
                               wg_err (*cb)(void *ctx, const store_grid *g), void *ctx);
wg_err store_grid_count_children(store *s, const char *code, int64_t *n);
/* A number that changes whenever any grid is written (for index rebuilds). */
wg_err store_grids_version(store *s, int64_t *v);

typedef struct {
    int64_t id;
    char grid_code[STORE_GRID_CODE_MAX];
    char role[16]; /* grid_chief grid_member contact */
    char name[STORE_NAME_MAX];
    unsigned char phone_sealed[STORE_SEALED_MAX];
    size_t phone_sealed_len;
    char phone_bidx[65];
    char phone_masked[32];
    char user_login[STORE_LOGIN_MAX];
} store_grid_staff;

typedef struct {
    int64_t id;
    char grid_code[STORE_GRID_CODE_MAX];
    char role[16];       /* lead_party_org grid_duty community_duty property_duty force */
    char force_type[24]; /* for forces */
    char name[STORE_NAME_MAX];
    char contact[STORE_NAME_MAX];
} store_grid_party;

/* Replace all staff / all parties of a grid. */
wg_err store_grid_staff_replace(store *s, const char *grid, const store_grid_staff *st, int n);
wg_err store_grid_parties_replace(store *s, const char *grid, const store_grid_party *p, int n);
wg_err store_grid_staff_list(store *s, const char *grid,
                             wg_err (*cb)(void *ctx, const store_grid_staff *st), void *ctx);
wg_err store_grid_parties_list(store *s, const char *grid,
                               wg_err (*cb)(void *ctx, const store_grid_party *p), void *ctx);

/* ---- the case loop: catalogue, calendar days, routing, cases ---- */

typedef struct {
    char code[16];
    char kind[12]; /* component | event */
    char major[64], minor[64], fine[64];
    char name_zh[STORE_NAME_MAX], name_en[STORE_NAME_MAX];
    char department[STORE_CODE_MAX];
    char limit[5][12]; /* file, dispatch, acknowledge, handle, verify: "30m" "4h" "3d" */
    int urgent_percent;
} store_category;

wg_err store_category_put(store *s, const store_category *c);
wg_err store_category_get(store *s, const char *code, store_category *out);
wg_err store_category_count(store *s, int64_t *n);
wg_err store_category_list(store *s, wg_err (*cb)(void *ctx, const store_category *c), void *ctx);

/* Holidays and make-up working days: kind "holiday" or "workday". */
wg_err store_calendar_put(store *s, const char *day, const char *kind, const char *note);
wg_err store_calendar_delete(store *s, const char *day);
wg_err store_calendar_list(store *s, wg_err (*cb)(void *ctx, const char *day, const char *kind,
                                                  const char *note),
                           void *ctx);

typedef struct {
    int64_t id;
    char category[16];   /* "" = any */
    char grid_prefix[STORE_GRID_CODE_MAX]; /* "" = any */
    char department[STORE_CODE_MAX];
    char note[STORE_NAME_MAX];
} store_route_rule;

wg_err store_route_put(store *s, const store_route_rule *r, int64_t *id);
wg_err store_route_delete(store *s, int64_t id);
/* Every rule that matches (category or any) x (a prefix of grid or any). */
wg_err store_route_matching(store *s, const char *category, const char *grid,
                            wg_err (*cb)(void *ctx, const store_route_rule *r), void *ctx);
wg_err store_route_list(store *s, wg_err (*cb)(void *ctx, const store_route_rule *r), void *ctx);

typedef struct {
    int64_t id;
    char category[16];
    char status[16];
    char urgency[8];
    char source[16];
    char description[4096];
    char address[256];
    double lon, lat;
    bool has_point;
    char grid[STORE_GRID_CODE_MAX], grid_l1[STORE_GRID_CODE_MAX], grid_l2[STORE_GRID_CODE_MAX],
        grid_l3[STORE_GRID_CODE_MAX];
    char dedicated[256];
    char department[STORE_CODE_MAX];
    int64_t route_rule; /* 0: the category's default */
    char reporter_login[STORE_LOGIN_MAX];
    char reporter_name[STORE_NAME_MAX];
    unsigned char reporter_phone_sealed[STORE_SEALED_MAX];
    size_t reporter_phone_sealed_len;
    char reporter_phone_masked[32];
    /* unix seconds; 0 = not yet */
    int64_t reported_at, filed_at, dispatched_at, acknowledged_at, started_at, fed_back_at,
        verified_at, closed_at, due_at, handle_due_at, escalated_at;
    char due_step[16];
    bool overdue, extension_requested, deferred;
    int extensions, reworks, whistles;
    int64_t merged_into;
    int satisfaction; /* 0: none */
    int closed_on_time; /* -1 unknown, 0, 1 */
    char idempotency_key[72];
    int64_t version;
    int64_t updated_at;
} store_case;

/* One row of an append-only history: a case's (case_history) or a
 * ledger entry's (record_history). */
typedef struct {
    int64_t id, record_id, at; /* record_id: the case or the entry */
    char actor[STORE_LOGIN_MAX];
    char action[32];
    char from_status[32], to_status[32];
    char note[1024];
    char data[4096]; /* JSON */
} store_event;

wg_err store_case_insert(store *s, store_case *c); /* sets c->id */
wg_err store_case_get(store *s, int64_t id, store_case *out);
/* Write c if its version is still c->version (then bumped): else
 * WG_ERR_PRECONDITION. */
wg_err store_case_update(store *s, store_case *c);
wg_err store_case_by_key(store *s, const char *idempotency_key, int64_t *id);
wg_err store_case_event_add(store *s, store_event *ev);
wg_err store_case_events(store *s, int64_t case_id,
                         wg_err (*cb)(void *ctx, const store_event *ev), void *ctx);
/* What possible duplicates need of a case (core/nearidx.c keeps them in
 * memory): every case with a point reported since `since`, in id order. */
typedef struct {
    int64_t id;
    char category[16];
    char status[16];
    char summary[321]; /* the description's first 80 characters */
    double lon, lat;
    int64_t reported_at;
    int64_t version;
} store_case_near_row;
wg_err store_cases_near_since(store *s, int64_t since,
                              wg_err (*cb)(void *ctx, const store_case_near_row *c), void *ctx);
/* A counter that every case written outside a server's store pool moves
 * (the command line's reports and actions), so that the server knows its
 * memory of them is stale. */
wg_err store_case_generation(store *s, int64_t *out);

typedef struct {
    /* scope: what the asker may see (all set false/empty: nothing) */
    bool all;
    const char *const *grid_prefixes; int ngrid;
    const char *const *departments; int ndept;
    const char *reporter; /* cases reported by this login */
    /* filters (NULL / 0: any) */
    const char *status, *category, *grid, *department, *source, *text;
    const char *const *statuses; int nstatus; /* any of these (with status: and that) */
    bool whistle_pending; /* whistled to one of `departments` (any, with `all`), not yet
                             acknowledged by it */
    int overdue;           /* -1 any, 0, 1 */
    int64_t from, to;      /* reported_at range; 0: open */
    int64_t before_id;     /* keyset: id < before_id (newest first); 0: from the top */
    int64_t due_before;    /* open steps due before this instant; 0: any */
    bool unescalated;      /* only steps not yet escalated (escalated_at < due_at) */
    int limit;
} store_case_filter;

/* Cases matching f, newest first. */
wg_err store_case_list(store *s, const store_case_filter *f,
                       wg_err (*cb)(void *ctx, const store_case *c), void *ctx);

/* Counters of cases reported in [from, to), per group. */
typedef struct {
    char key[STORE_GRID_CODE_MAX + 8];
    int64_t reported, filed, dispatched, acknowledged, disposed, due, closed, closed_on_time,
        reworked, extended, deferred, overdue, rated, satisfied, whistles;
    double satisfaction_sum;
    double ack_seconds_sum;   /* dispatch -> acknowledge, wall clock */
    int64_t ack_count;
    double close_seconds_sum; /* report -> close, wall clock */
} store_case_stats;

/* group: "grid_l1" "grid_l2" "grid_l3" "grid" "department" "category" "reporter_login"
 * or "" for one row over everything. due counts cases whose disposal
 * deadline has passed by min(to, now), or that are closed. */
wg_err store_case_stats_by(store *s, const char *group, const char *grid_prefix, int64_t from,
                           int64_t to, int64_t now,
                           wg_err (*cb)(void *ctx, const store_case_stats *row), void *ctx);

/* What one case adds to the KPI counters (the case_contrib view), and
 * the log of changes to it: sign +1 adds, -1 takes away. The counters of
 * v[] in order: */
enum {
    CONTRIB_FILED, CONTRIB_DISPATCHED, CONTRIB_ACKNOWLEDGED, CONTRIB_DISPOSED, CONTRIB_CLOSED,
    CONTRIB_CLOSED_ON_TIME, CONTRIB_REWORKED, CONTRIB_EXTENDED, CONTRIB_DEFERRED,
    CONTRIB_OVERDUE, CONTRIB_RATED, CONTRIB_SATISFIED, CONTRIB_SATISFACTION, CONTRIB_WHISTLES,
    CONTRIB_ACK_SECONDS, CONTRIB_ACK_COUNTED, CONTRIB_CLOSE_SECONDS, CONTRIB_N
};
typedef struct {
    int64_t seq; /* 0 for a contribution read from the cases themselves */
    int sign;
    int64_t case_id;
    bool counted; /* false: merged or not filed, adds nothing */
    int64_t reported_at;
    char grid[STORE_GRID_CODE_MAX], grid_l1[STORE_GRID_CODE_MAX], grid_l2[STORE_GRID_CODE_MAX],
        grid_l3[STORE_GRID_CODE_MAX];
    char department[STORE_CODE_MAX];
    char category[16];
    char reporter_login[STORE_LOGIN_MAX];
    int64_t v[CONTRIB_N];
    int64_t open_due; /* an open case's disposal deadline; 0: closed or none */
} store_case_contrib;

/* Every case's contribution, read in one snapshot together with the last
 * log row written before it (*last_seq; 0 when the log is empty). */
wg_err store_case_contrib_all(store *s, int64_t *last_seq,
                              wg_err (*cb)(void *ctx, const store_case_contrib *c), void *ctx);
/* Log rows after `after`, oldest first, at most limit. */
wg_err store_case_contrib_since(store *s, int64_t after, int limit,
                                wg_err (*cb)(void *ctx, const store_case_contrib *c), void *ctx);
/* Delete the log rows before seq (the applied ones but the newest). */
wg_err store_case_contrib_trim(store *s, int64_t seq);


/* ---- ledgers: kinds as data, entries, history ---- */

#define STORE_KIND_MAX 32
#define STORE_RECORD_DATA_MAX (24 * 1024)

/* Insert or replace a kind's declaration (JSON text). */
wg_err store_ledger_kind_put(store *s, const char *code, const char *name, const char *spec,
                             int64_t now);
/* WG_ERR_NOT_FOUND when there is no such kind. The spec is copied into a
 * malloc'ed string the caller frees. */
wg_err store_ledger_kind_get(store *s, const char *code, char **spec);
/* Every kind, in code order. */
wg_err store_ledger_kinds(store *s,
                          wg_err (*cb)(void *ctx, const char *code, const char *name,
                                       const char *spec),
                          void *ctx);

typedef struct {
    int64_t id;
    char kind[STORE_KIND_MAX];
    char grid[STORE_GRID_CODE_MAX];
    char owner_unit[STORE_NAME_MAX];
    char owner_person[STORE_LOGIN_MAX];
    char status[32];
    char data[STORE_RECORD_DATA_MAX]; /* JSON object */
    int64_t due_at, done_at;          /* 0: none */
    int visits;
    char created_by[STORE_LOGIN_MAX];
    int64_t created_at, updated_at, version;
} store_record;

/* Insert r (version 1); sets r->id. */
wg_err store_record_insert(store *s, store_record *r);
wg_err store_record_get(store *s, int64_t id, store_record *out);
/* Write r's mutable columns if the stored version is r->version - 1;
 * WG_ERR_PRECONDITION when it is not (someone else wrote first). */
wg_err store_record_update(store *s, const store_record *r);

typedef struct {
    const char *kind;
    bool all;                          /* no grid restriction */
    const char *const *grid_prefixes; /* else: within one of these subtrees */
    int ngrid;
    const char *status, *grid; /* filters (NULL: any) */
    const char *text; /* in the owner unit or a text field's value (not personal
                         fields: those are sealed); NULL: any */
    int overdue;               /* -1 any, 1 only not done and past the deadline */
    int64_t now;
    int64_t before_id; /* keyset: id < before_id; 0: from the newest */
    int limit;
} store_record_filter;
wg_err store_record_list(store *s, const store_record_filter *f,
                         wg_err (*cb)(void *ctx, const store_record *r), void *ctx);

wg_err store_record_event_add(store *s, store_event *ev);
wg_err store_record_events(store *s, int64_t record_id,
                           wg_err (*cb)(void *ctx, const store_event *ev), void *ctx);

/* One KPI over the entries of a kind created in [from, to) within a grid
 * subtree: how many match (*count) and the sum of a numeric field over
 * them (*sum). Conditions left NULL / 0 do not restrict. */
typedef struct {
    const char *kind, *grid_prefix;
    int64_t from, to, now;
    const char *statuses_json; /* a JSON array of states */
    const char *field_path;    /* "$.name": equal to field_text, or field_int when text is NULL */
    const char *field_text;
    int64_t field_int;
    bool on_time, overdue, visited;
    const char *sum_path; /* "$.name" */
} store_record_agg;
wg_err store_record_aggregate(store *s, const store_record_agg *q, int64_t *count, double *sum);


/* ---- indicators: definitions, yearly targets, values per period ---- */

typedef struct {
    char code[STORE_KIND_MAX];
    char name[STORE_NAME_MAX];
    char unit[32];
    char period[8];    /* month | quarter | year */
    char direction[8]; /* higher | lower */
    char cumulate[8];  /* sum | mean | last: how the year so far is made */
    char source[96];   /* manual | ledger:<kind>:<kpi> | cases:<rate> */
    char section[32];  /* the report's paragraph: economy, employment, environment, ... */
    int position;
    char note[256];
    int64_t updated_at;
} store_indicator;

typedef struct {
    int64_t id;
    char code[STORE_KIND_MAX];
    char period[12];
    double value;
    char source_note[256];
    char reason[256];
    char entered_by[STORE_LOGIN_MAX];
    int64_t entered_at;
} store_indicator_value;

wg_err store_indicator_put(store *s, const store_indicator *d);
wg_err store_indicator_get(store *s, const char *code, store_indicator *out);
/* In position, then code order. */
wg_err store_indicators(store *s, wg_err (*cb)(void *ctx, const store_indicator *d), void *ctx);
wg_err store_indicator_target_put(store *s, const char *code, int year, double target);
/* WG_ERR_NOT_FOUND when the year has no target. */
wg_err store_indicator_target(store *s, const char *code, int year, double *target);
wg_err store_indicator_value_add(store *s, store_indicator_value *v);
/* The current value of each period of `code` whose period starts with
 * prefix ("2023" for a year's), in period order. */
wg_err store_indicator_values(store *s, const char *code, const char *prefix,
                              wg_err (*cb)(void *ctx, const store_indicator_value *v), void *ctx);
/* Every row of one period, oldest first: the value and its corrections. */
wg_err store_indicator_period_rows(store *s, const char *code, const char *period,
                                   wg_err (*cb)(void *ctx, const store_indicator_value *v),
                                   void *ctx);

/* Per whistled department over whistles made in [from, to): parts, parts
 * acknowledged, acknowledged by their deadline, the sum of seconds to
 * acknowledge, ratings given and their sum. */
typedef struct {
    char department[STORE_CODE_MAX];
    int64_t parts, acknowledged, on_time, rated;
    double ack_seconds_sum, rating_sum;
} store_whistle_stats;
wg_err store_whistle_stats_by(store *s, int64_t from, int64_t to,
                              wg_err (*cb)(void *ctx, const store_whistle_stats *row), void *ctx);

typedef struct {
    int64_t whistle_id, case_id, created_at;
    char whistler[STORE_LOGIN_MAX];
    char reason[32];
    char note[512];
    char department[STORE_CODE_MAX];
    int64_t ack_due_at, acknowledged_at, arrived_at;
    char part[1024];
    int rating; /* 0: none */
} store_whistle_part;

/* A whistle and the departments it calls (one row per department). */
wg_err store_whistle_add(store *s, int64_t case_id, const char *whistler, const char *reason,
                         const char *note, int64_t now, int64_t *whistle_id);
wg_err store_whistle_department_add(store *s, int64_t whistle_id, const char *department,
                                    int64_t ack_due_at);
/* Every (whistle, department) of a case, oldest first. */
wg_err store_whistle_parts(store *s, int64_t case_id,
                           wg_err (*cb)(void *ctx, const store_whistle_part *p), void *ctx);
/* Write acknowledged_at, arrived_at, part and rating of one part. */
wg_err store_whistle_part_update(store *s, const store_whistle_part *p);

/* Attachments: one row per content (sha256 hex). */
wg_err store_attachment_put(store *s, const char *sha, const char *media_type, int64_t size,
                            int64_t now);
/* WG_ERR_NOT_FOUND when unknown; type gets the media type (cap bytes). */
wg_err store_attachment_get(store *s, const char *sha, char *type, size_t cap, int64_t *size);

/* ---- audit log ---- */

typedef struct {
    int64_t id;
    char at[32];
    int64_t actor_id; /* 0: none */
    char actor[STORE_LOGIN_MAX];
    char action[64];
    char resource[256];
    char request_id[72];
    char client_addr[64];
    char detail[1024];
    char prev_hash[65];
    char hash[65];
} store_audit_row;

typedef struct {
    const char *actor;  /* NULL: any */
    const char *action; /* NULL: any; "login.*" matches a prefix */
    const char *from;   /* at >= from (ISO 8601), NULL: any */
    const char *to;     /* at < to */
    int64_t after_id;   /* id > after_id */
    int limit;          /* 0: no limit */
} store_audit_filter;

/* The newest row's id and hash ((0, "") for an empty log). */
wg_err store_audit_last(store *s, int64_t *id, char hash[65]);
wg_err store_audit_insert(store *s, const store_audit_row *r);
/* Rows matching f in id order; cb returns non-zero to stop. */
wg_err store_audit_scan(store *s, const store_audit_filter *f,
                        wg_err (*cb)(void *ctx, const store_audit_row *r), void *ctx);

/* The library name and version, e.g. "sqlite 3.40.1". */
const char *store_engine(void);

/* A pool of per-thread connections to one database. Opening the pool opens
 * (and migrates) one connection to check the file; later connections are
 * opened by store_pool_get on each thread's first call. */
wg_err store_pool_new(const char *path, const store_opts *o, store_pool **out, char *err,
                      size_t errcap);
/* This thread's connection, or NULL if it could not be opened (logged). */
store *store_pool_get(store_pool *p);
/* The pool's writer connection: every write transaction of the server
 * runs on it (its page cache stays warm: no other connection of the
 * process writes). Use it only between store_begin and store_commit or
 * store_rollback, which hold the pool's write mutex. */
store *store_pool_writer(store_pool *p);
/* Queue a job for the committer; false (and the job untouched) when the
 * pool has no committer or is stopping. */
bool store_pool_submit(store_pool *p, store_job *j);
/* Close every connection; no thread may use the pool afterwards. */
/* Whether a sync of the write-ahead log failed: then every transaction of
 * the pool is refused (WG_ERR_UNAVAILABLE) until the process restarts. */
bool store_pool_broken(store_pool *p);

/* Commit the writer's open batch now and tell its members (at shutdown:
 * nobody is left waiting). */
void store_pool_flush(store_pool *p);
void store_pool_free(store_pool *p);

#endif
