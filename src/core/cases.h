/*
 * cases.h - the closed loop: report, file, dispatch, acknowledge, handle,
 * feed back, verify, close; with returns, rework, extensions, deferral,
 * reopening, merging duplicates, whistles and ratings.
 *
 * The states and actions, and who may take which action from which state,
 * are one table in cases.c. Every change is one store_case update (guarded
 * by the case's version) plus one history row, in the caller's
 * transaction. Deadlines are computed from the category's limits and the
 * working calendar, never typed in.
 */
#ifndef WG_CASES_H
#define WG_CASES_H

#include <jansson.h>

#include "core/actor.h"
#include "core/calendar.h"
#include "core/catalogue.h"
#include "core/catcache.h"
#include "core/locator.h"
#include "core/nearidx.h"
#include "core/vault.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/jsonw.h"

typedef enum {
    CS_REPORTED,
    CS_FILED,
    CS_NOT_FILED,
    CS_MERGED,
    CS_DISPATCHED,
    CS_ACKNOWLEDGED,
    CS_HANDLING,
    CS_FED_BACK,
    CS_VERIFIED,
    CS_CLOSED,
    CS_DEFERRED,
    CS_COUNT
} case_status;

typedef enum {
    CA_FILE,
    CA_REJECT,
    CA_MERGE,
    CA_DISPATCH,
    CA_RETURN,
    CA_ACKNOWLEDGE,
    CA_START,
    CA_FEED_BACK,
    CA_VERIFY,
    CA_FAIL_VERIFICATION,
    CA_CLOSE,
    CA_REQUEST_EXTENSION,
    CA_APPROVE_EXTENSION,
    CA_DEFER,
    CA_REOPEN,
    CA_WHISTLE,
    CA_RATE,
    CA_COUNT
} case_action;

const char *cases_status_name(case_status s);
bool cases_status_parse(const char *name, case_status *out);
const char *cases_action_name(case_action a);
bool cases_action_parse(const char *name, case_action *out);

/* What the loop needs from its surroundings. */
typedef struct {
    const calendar *cal;
    int64_t now;
    double duplicate_radius_m;   /* possible duplicates: same category within */
    int64_t duplicate_window_s;  /* ... reported in the last */
    int duplicate_limit;         /* ... at most this many (0: 50), newest first */
    /* The catalogue in memory (a server's), or NULL: a draft reads its
     * category and routing rules from it instead of the store. */
    const catsnap *cat;
} case_env;

typedef struct {
    const char *category, *urgency, *source, *description, *address;
    bool has_point;
    double lon, lat;
    const char *grid;            /* instead of a point */
    const char *reporter_name, *reporter_phone;
    const char *idempotency_key;
    const char *attachments; /* JSON array of sha256 (checked), may be NULL */
} case_input;

typedef struct {
    char department[STORE_CODE_MAX];
    int64_t rule_id;            /* 0: the category's own department */
    char why[256];
} case_route;

/* Which department answers for category in grid, and why. */
wg_err cases_route(store *s, const char *category, const char *grid, case_route *out,
                   wg_why *why);

/* Create a case: validate, locate (through l), route, compute the first
 * deadline, insert, write the history row. *out is the stored case. */
wg_err cases_report(store *s, const vault *v, const locator *l, const case_env *env,
                    const actor *who, const case_input *in, store_case *out, wg_why *why);

/* The same in two steps, so that a server does the first without the write
 * lock: cases_draft validates, locates, routes and computes the deadline
 * (reads only: s may be any connection); cases_insert stores the draft and
 * its history row in the caller's transaction and gives d->c its id. */
typedef struct {
    store_case c;
    store_category k; /* c's category */
    case_route route;
} case_draft;
wg_err cases_draft(store *s, const vault *v, const locator *l, const case_env *env,
                   const actor *who, const case_input *in, case_draft *d, wg_why *why);
wg_err cases_insert(store *s, const actor *who, const case_input *in, case_draft *d, wg_why *why);

/* Open cases of c's category within the duplicate radius, reported in the
 * duplicate window before c and taken in before it (a lower id; for a
 * draft, id 0, every case x holds), as x holds them: newest first, at most
 * cases_duplicates_cap(env) of them into out; returns how many (none when
 * c has no point). The description is cut to its first 80 characters. */
typedef struct {
    int64_t id;
    double distance_m; /* to a tenth of a metre */
    char status[16];
    char description[321];
} case_dup;
size_t cases_duplicates_cap(const case_env *env);
size_t cases_possible_duplicates(nearidx *x, const case_env *env, const store_case *c,
                                 case_dup *out);
/* They as the API shows them: [{"id","distance_m","status","description"}]. */
void cases_duplicates_write(jsonw *w, const case_dup *d, size_t n);

/* Can `who` see case c at all? (scope: grid subtree, own department or a
 * department it was whistled to, own report; admin and auditor: all) */
bool cases_visible(store *s, const store_case *c, const actor *who);

/* The actions `who` may take on c now, as a bit mask of 1 << case_action. */
unsigned cases_allowed(store *s, const store_case *c, const actor *who);

/* The allowed actions as a JSON array of names (new reference). */
json_t *cases_allowed_json(unsigned mask);
void cases_allowed_write(jsonw *w, unsigned mask);

typedef struct {
    const char *note;
    const char *department;      /* dispatch: to whom (default: the route) */
    int64_t into;                /* merge: the case kept */
    const char *reason;          /* whistle: cannot_solve_alone | lacks_enforcement_power | emergency */
    const char *const *departments; int ndepartments; /* whistle: whom */
    int rating;                  /* rate: 1..5 */
    const char *rate_department; /* rate a whistled department (else: satisfaction) */
    int extend_days;             /* approve_extension: working days added (default 1) */
    const char *attachments;     /* JSON array of sha256, may be NULL */
} case_act_input;

/* Take action a on c (loaded by the caller, who passes the version it
 * read). WG_ERR_CONFLICT when the action is not allowed now (why lists the
 * allowed ones), WG_ERR_PRECONDITION when c changed meanwhile. */
wg_err cases_act(store *s, const case_env *env, const actor *who, store_case *c, case_action a,
                 const case_act_input *in, wg_why *why);

/* Mark overdue steps (due_at < now, not yet escalated for that deadline)
 * and write an escalation history row for each; *n gets how many. */
wg_err cases_escalate_overdue(store *s, const case_env *env, int *n);

/* KPIs of cases reported in [from, to), grouped by group ("" for all, or
 * grid_l1/grid_l2/grid_l3/grid/department/category/reporter_login), within
 * grid_prefix ("" for all): the counts, and the rates computed as the
 * README documents (closure = closed / due, on time = closed on time / due,
 * rework = reworked / disposed, 12345's response, resolution, satisfaction).
 * Answered from the counters k (core/kpi.h) when they can, else by SQL
 * over the cases (k may be NULL). Appends JSON members to out:
 * "rows": [{"key", "counts", "rates", "means"}, ...], "computed_from":
 * "counters" | "cases". */
struct kpi;
wg_err cases_stats(store *s, struct kpi *k, const char *group, const char *grid_prefix,
                   int64_t from, int64_t to, int64_t now, bool exclude_deferred, wg_buf *out);

/* Whistle KPIs per department: parts, acknowledged on time, mean time to
 * report for duty, mean rating. */
wg_err cases_whistle_stats(store *s, int64_t from, int64_t to, json_t **out);

/* The working calendar: periods and offset from the configuration, holidays
 * and make-up working days from the store. */
wg_err cases_calendar(store *s, const char *periods, int utc_offset_min, calendar **out,
                      wg_why *why);

/* A case as JSON for the API (phone masked). */
json_t *cases_json(store *s, const store_case *c, const calendar *cal);
/* The same as members of w's open object, c's category at hand (k may be
 * NULL: no such category): the one definition of a case's JSON, which
 * cases_json reads back. */
void cases_json_write(jsonw *w, const store_case *c, const store_category *k,
                      const calendar *cal);

#endif
