/*
 * cases.c - see cases.h. The table `steps` below is the whole workflow;
 * core/record.c answers what it allows, as it does for ledger kinds.
 */
#include "core/cases.h"
#include "core/kpi.h"
#include "core/pii.h"
#include "core/record.h"
#include "util/log.h"
#include "util/strparse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[CS_COUNT] = {
    [CS_REPORTED] = "reported",       [CS_FILED] = "filed",         [CS_NOT_FILED] = "not_filed",
    [CS_MERGED] = "merged",           [CS_DISPATCHED] = "dispatched",
    [CS_ACKNOWLEDGED] = "acknowledged", [CS_HANDLING] = "handling", [CS_FED_BACK] = "fed_back",
    [CS_VERIFIED] = "verified",       [CS_CLOSED] = "closed",       [CS_DEFERRED] = "deferred",
};

static const char *const action_names[CA_COUNT] = {
    [CA_FILE] = "file",
    [CA_REJECT] = "reject",
    [CA_MERGE] = "merge",
    [CA_DISPATCH] = "dispatch",
    [CA_RETURN] = "return",
    [CA_ACKNOWLEDGE] = "acknowledge",
    [CA_START] = "start",
    [CA_FEED_BACK] = "feed_back",
    [CA_VERIFY] = "verify",
    [CA_FAIL_VERIFICATION] = "fail_verification",
    [CA_CLOSE] = "close",
    [CA_REQUEST_EXTENSION] = "request_extension",
    [CA_APPROVE_EXTENSION] = "approve_extension",
    [CA_DEFER] = "defer",
    [CA_REOPEN] = "reopen",
    [CA_WHISTLE] = "whistle",
    [CA_RATE] = "rate",
};

const char *cases_status_name(case_status s)
{
    return (unsigned)s < CS_COUNT ? status_names[s] : "?";
}

bool cases_status_parse(const char *name, case_status *out)
{
    for (int i = 0; name && i < CS_COUNT; i++)
        if (strcmp(status_names[i], name) == 0) {
            *out = (case_status)i;
            return true;
        }
    return false;
}

const char *cases_action_name(case_action a)
{
    return (unsigned)a < CA_COUNT ? action_names[a] : "?";
}

bool cases_action_parse(const char *name, case_action *out)
{
    for (int i = 0; name && i < CA_COUNT; i++)
        if (strcmp(action_names[i], name) == 0) {
            *out = (case_action)i;
            return true;
        }
    return false;
}

/* ---- who may: groups of actors relative to a case ---- */

enum {
    G_DISPATCH = 1 << 0, /* dispatcher over the case's grid */
    G_DEPT = 1 << 1,     /* staff of the department the case is dispatched to */
    G_VERIFY = 1 << 2,   /* grid staff over the case's grid */
    G_WHISTLE = 1 << 3,  /* may whistle over the case's grid */
    G_REPORTER = 1 << 4, /* reported it */
    G_WHISTLED = 1 << 5, /* staff of a department a whistle called and that owes an answer */
};

#define S(x) (1u << (x))
#define OPEN (S(CS_FILED) | S(CS_DISPATCHED) | S(CS_ACKNOWLEDGED) | S(CS_HANDLING))
#define SAME RECORD_SAME

/* The workflow: from which states, which action leads where, for whom. */
static const record_step steps[] = {
    {S(CS_REPORTED), CA_FILE, CS_FILED, G_DISPATCH},
    {S(CS_REPORTED), CA_REJECT, CS_NOT_FILED, G_DISPATCH},
    {S(CS_REPORTED) | S(CS_FILED), CA_MERGE, CS_MERGED, G_DISPATCH},
    {S(CS_FILED), CA_DISPATCH, CS_DISPATCHED, G_DISPATCH},
    {S(CS_DISPATCHED), CA_RETURN, CS_FILED, G_DEPT},
    {S(CS_DISPATCHED), CA_ACKNOWLEDGE, CS_ACKNOWLEDGED, G_DEPT},
    {OPEN, CA_ACKNOWLEDGE, SAME, G_WHISTLED},
    {S(CS_ACKNOWLEDGED), CA_START, CS_HANDLING, G_DEPT},
    {S(CS_HANDLING), CA_FEED_BACK, CS_FED_BACK, G_DEPT},
    {OPEN, CA_FEED_BACK, SAME, G_WHISTLED},
    {S(CS_FED_BACK), CA_VERIFY, CS_VERIFIED, G_VERIFY | G_REPORTER},
    {S(CS_FED_BACK), CA_FAIL_VERIFICATION, CS_HANDLING, G_VERIFY | G_REPORTER},
    {S(CS_VERIFIED), CA_CLOSE, CS_CLOSED, G_DISPATCH},
    {S(CS_DISPATCHED) | S(CS_ACKNOWLEDGED) | S(CS_HANDLING), CA_REQUEST_EXTENSION, SAME, G_DEPT},
    {S(CS_DISPATCHED) | S(CS_ACKNOWLEDGED) | S(CS_HANDLING), CA_APPROVE_EXTENSION, SAME,
     G_DISPATCH},
    {OPEN, CA_DEFER, CS_DEFERRED, G_DISPATCH},
    {S(CS_CLOSED) | S(CS_DEFERRED) | S(CS_NOT_FILED), CA_REOPEN, CS_FILED, G_DISPATCH},
    {OPEN, CA_WHISTLE, SAME, G_WHISTLE},
    {S(CS_CLOSED), CA_RATE, SAME, G_REPORTER | G_WHISTLE},
    {OPEN | S(CS_FED_BACK) | S(CS_VERIFIED), CA_RATE, SAME, G_WHISTLE},
};

/* Refused for the asker: always 409, with what they may do (the API's
 * promise for cases). */
static const record_flow flow = {
    .noun = "case",
    .states = status_names,
    .nstates = CS_COUNT,
    .actions = action_names,
    .nactions = CA_COUNT,
    .steps = steps,
    .nsteps = (int)WG_ARRAY_LEN(steps),
};

typedef struct {
    bool whistled_pending; /* a whistle part of the actor's department owes an answer */
    bool whistled_any;     /* the actor's department was whistled to this case */
    bool rateable_part;    /* the actor whistled, and a part can be rated */
} whistle_view;

typedef struct {
    const actor *who;
    whistle_view *v;
} wv_ctx;

static bool actor_dept(const actor *a, const char *dept)
{
    return actor_can_in_department(a, PERM_CASES_HANDLE, dept);
}

static wg_err scan_part(void *ctx, const store_whistle_part *p)
{
    wv_ctx *c = ctx;
    if (actor_dept(c->who, p->department)) {
        c->v->whistled_any = true;
        if (!p->acknowledged_at || !p->part[0])
            c->v->whistled_pending = true;
    }
    if (strcmp(p->whistler, c->who->login) == 0 && p->acknowledged_at && !p->rating)
        c->v->rateable_part = true;
    return WG_OK;
}

static unsigned groups(store *s, const store_case *c, const actor *who, whistle_view *v)
{
    unsigned g = 0;
    memset(v, 0, sizeof(*v));
    if (actor_can_in_grid(who, PERM_CASES_DISPATCH, c->grid))
        g |= G_DISPATCH;
    /* A department answers for a case once it is dispatched to it. */
    if (c->department[0] && c->dispatched_at && actor_dept(who, c->department))
        g |= G_DEPT;
    if (actor_can_in_grid(who, PERM_CASES_VERIFY, c->grid))
        g |= G_VERIFY;
    if (actor_can_in_grid(who, PERM_CASES_WHISTLE, c->grid))
        g |= G_WHISTLE;
    if (c->reporter_login[0] && strcmp(c->reporter_login, who->login) == 0)
        g |= G_REPORTER;
    if (c->whistles) {
        wv_ctx ctx = {who, v};
        store_whistle_parts(s, c->id, scan_part, &ctx);
        if (v->whistled_pending && !(g & G_DEPT))
            g |= G_WHISTLED;
    }
    return g;
}

bool cases_visible(store *s, const store_case *c, const actor *who)
{
    if (!who)
        return false;
    for (int i = 0; i < who->ngrants; i++) {
        role_id r = who->grants[i].role;
        if (r == ROLE_ADMIN || r == ROLE_AUDITOR)
            return true;
    }
    if (actor_can_in_grid(who, PERM_GRIDS_READ, c->grid) && !actor_can(who, PERM_CASES_HANDLE))
        return true;
    if (c->reporter_login[0] && strcmp(c->reporter_login, who->login) == 0)
        return true;
    whistle_view v;
    unsigned g = groups(s, c, who, &v);
    return (g & (G_DEPT | G_DISPATCH | G_VERIFY)) || v.whistled_any;
}

typedef struct {
    const store_case *c;
    const whistle_view *v;
} cond_ctx;

/* Special conditions beyond the table. */
static bool condition_ok(void *ctx, int action, uint32_t g)
{
    const store_case *c = ((cond_ctx *)ctx)->c;
    const whistle_view *v = ((cond_ctx *)ctx)->v;
    switch ((case_action)action) {
    case CA_APPROVE_EXTENSION:
        return c->extension_requested;
    case CA_REQUEST_EXTENSION:
        return !c->extension_requested;
    case CA_RATE:
        /* the reporter rates a closed case once; a whistler rates parts */
        return (c->satisfaction == 0 && (g & G_REPORTER) && c->closed_at) || v->rateable_part;
    case CA_FILE:
    case CA_REJECT:
    case CA_MERGE:
    case CA_DISPATCH:
    case CA_RETURN:
    case CA_ACKNOWLEDGE:
    case CA_START:
    case CA_FEED_BACK:
    case CA_VERIFY:
    case CA_FAIL_VERIFICATION:
    case CA_CLOSE:
    case CA_DEFER:
    case CA_REOPEN:
    case CA_WHISTLE:
    case CA_COUNT:
        break;
    }
    return true;
}

unsigned cases_allowed(store *s, const store_case *c, const actor *who)
{
    whistle_view v;
    cond_ctx cc = {c, &v};
    record_asker a = {.groups = groups(s, c, who, &v), .cond = condition_ok, .ctx = &cc};
    return (unsigned)record_allowed(&flow, record_state_index(&flow, c->status), &a);
}

json_t *cases_allowed_json(unsigned mask)
{
    return record_allowed_json(&flow, mask);
}

void cases_allowed_write(jsonw *w, unsigned mask)
{
    record_allowed_write(&flow, mask, w);
}

/* ---- deadlines ---- */

/* When step `step` of a case of category k is due, counted from `from`
 * (core/record.c counts it on the working calendar). */
static int64_t deadline(const case_env *env, const store_category *k, const char *urgency,
                        case_step step, int64_t from)
{
    bool urgent = strcmp(urgency, "urgent") == 0;
    return record_due(env->cal, from, k->limit[step], urgent ? k->urgent_percent : 100);
}

static void set_due(store_case *c, int64_t at, const char *step)
{
    if (at != c->due_at)
        c->escalated_at = 0; /* a new deadline may be escalated in its turn */
    c->due_at = at;
    snprintf(c->due_step, sizeof(c->due_step), "%s", step);
}

/* ---- routing ---- */

typedef struct {
    store_route_rule best;
    int best_score;
} route_ctx;

static wg_err pick_rule(void *ctx, const store_route_rule *r)
{
    route_ctx *c = ctx;
    /* A category rule beats any catch-all; then the longest grid prefix. */
    int score = (r->category[0] ? 1000 : 0) + (int)strlen(r->grid_prefix);
    if (score > c->best_score) {
        c->best = *r;
        c->best_score = score;
    }
    return WG_OK;
}

/* Route a case of category k (already read) in grid, into out (cleared
 * by the caller). */
static wg_err route_in(store *s, const catsnap *cat, const store_category *k, const char *grid,
                       case_route *out)
{
    route_ctx rc = {.best_score = -1};
    wg_err e = cat ? catsnap_routes(cat, k->code, grid ? grid : "", pick_rule, &rc)
                   : store_route_matching(s, k->code, grid ? grid : "", pick_rule, &rc);
    if (e)
        return e;
    if (rc.best_score >= 0) {
        snprintf(out->department, sizeof(out->department), "%s", rc.best.department);
        out->rule_id = rc.best.id;
        snprintf(out->why, sizeof(out->why), "rule %lld: category %s, grid %s%s",
                 (long long)rc.best.id, rc.best.category[0] ? rc.best.category : "(any)",
                 rc.best.grid_prefix[0] ? rc.best.grid_prefix : "(any)",
                 rc.best.grid_prefix[0] ? "*" : "");
    } else {
        snprintf(out->department, sizeof(out->department), "%s", k->department);
        snprintf(out->why, sizeof(out->why), "no rule matches: category %s's own department",
                 k->code);
    }
    return WG_OK;
}

wg_err cases_route(store *s, const char *category, const char *grid, case_route *out,
                   wg_why *why)
{
    memset(out, 0, sizeof(*out));
    store_category k;
    wg_err e = store_category_get(s, category, &k);
    if (e == WG_ERR_NOT_FOUND)
        return wg_fail(why, WG_ERR_INVALID, "category", "no category %s", category);
    return e ? e : route_in(s, NULL, &k, grid, out);
}

/* ---- history ---- */

static wg_err history(store *s, const store_case *c, int64_t at, const char *actor_name,
                      const char *action, const char *from, const char *note, json_t *data)
{
    store_event ev;
    record_event_make(&ev, c->id, at, actor_name, action, from, c->status, note, data);
    return store_case_event_add(s, &ev);
}

/* ---- report ---- */

static const char *const sources[] = {"grid_member", "citizen", "hotline", "platform",
                                      "inspection"};

static double metres_between(double lon1, double lat1, double lon2, double lat2)
{
    double dy = (lat2 - lat1) * 110574.0;
    double dx = (lon2 - lon1) * 111320.0 * cos((lat1 + lat2) / 2 * M_PI / 180.0);
    return sqrt(dx * dx + dy * dy);
}

typedef struct {
    const store_case *c;
    double radius;
    size_t cap, n;
    case_dup *out;
} dup_ctx;

/* One candidate, newest first: kept if within the radius; false once
 * there are enough. */
static bool add_dup(void *ctx, const nearidx_row *o)
{
    dup_ctx *d = ctx;
    if (o->id == d->c->id || o->reported_at > d->c->reported_at)
        return true;
    double m = metres_between(d->c->lon, d->c->lat, o->lon, o->lat);
    if (m > d->radius)
        return true;
    case_dup *x = &d->out[d->n++];
    x->id = o->id;
    x->distance_m = round(m * 10) / 10;
    snprintf(x->status, sizeof(x->status), "%s", o->status);
    snprintf(x->description, sizeof(x->description), "%s", o->summary);
    return d->n < d->cap;
}

size_t cases_duplicates_cap(const case_env *env)
{
    return env->duplicate_limit > 0 ? (size_t)env->duplicate_limit : 50;
}

size_t cases_possible_duplicates(nearidx *x, const case_env *env, const store_case *c,
                                 case_dup *out)
{
    if (!c->has_point)
        return 0;
    double dlat = env->duplicate_radius_m / 110574.0;
    double dlon = env->duplicate_radius_m / (111320.0 * cos(c->lat * M_PI / 180.0));
    dup_ctx d = {c, env->duplicate_radius_m, cases_duplicates_cap(env), 0, out};
    /* Only cases taken in before c, were it run after c's commit (a draft,
     * id 0, is not in yet: all stored cases are before it). */
    nearidx_each(x, c->category, c->reported_at - env->duplicate_window_s,
                    c->id ? c->id : INT64_MAX, c->lon - dlon,
                    c->lat - dlat, c->lon + dlon, c->lat + dlat, add_dup, &d);
    return d.n;
}

void cases_duplicates_write(jsonw *w, const case_dup *d, size_t n)
{
    jsonw_array(w);
    for (size_t i = 0; i < n; i++) {
        jsonw_object(w);
        jsonw_key(w, "id");
        jsonw_int(w, d[i].id);
        jsonw_key(w, "distance_m");
        jsonw_real(w, d[i].distance_m);
        jsonw_key(w, "status");
        jsonw_str(w, d[i].status);
        jsonw_key(w, "description");
        jsonw_str(w, d[i].description);
        jsonw_end(w);
    }
    jsonw_end(w);
}

wg_err cases_draft(store *s, const vault *v, const locator *l, const case_env *env,
                   const actor *who, const case_input *in, case_draft *d, wg_why *why)
{
    memset(d, 0, sizeof(*d));
    store_case *c = &d->c;
    store_category *k = &d->k;
    if (!in->category)
        return wg_fail(why, WG_ERR_INVALID, "category", "'category' is required");
    wg_err e = env->cat ? (catsnap_category(env->cat, in->category, k) ? WG_OK : WG_ERR_NOT_FOUND)
                        : store_category_get(s, in->category, k);
    if (e == WG_ERR_NOT_FOUND)
        return wg_fail(why, WG_ERR_INVALID, "category", "no category %s (see GET /api/categories)",
                       in->category);
    if (e)
        return e;
    const char *urgency = in->urgency ? in->urgency : "normal";
    if (strcmp(urgency, "normal") != 0 && strcmp(urgency, "urgent") != 0)
        return wg_fail(why, WG_ERR_INVALID, "urgency", "'urgency' is normal or urgent");
    const char *source = in->source;
    if (!source)
        source = actor_can(who, PERM_CASES_VERIFY) ? "grid_member" : "citizen";
    bool known = false;
    for (size_t i = 0; i < WG_ARRAY_LEN(sources); i++)
        known |= strcmp(sources[i], source) == 0;
    if (!known)
        return wg_fail(why, WG_ERR_INVALID, "source",
                       "'source' is grid_member, citizen, hotline, platform or inspection");
    size_t dl = in->description ? strlen(in->description) : 0;
    if (dl == 0 || dl >= sizeof(c->description))
        return wg_fail(why, WG_ERR_INVALID, "description",
                       "'description' must have 1 to 4000 bytes");
    if (in->address && strlen(in->address) >= sizeof(c->address))
        return wg_fail(why, WG_ERR_INVALID, "address", "'address' is too long");

    /* Where: a point located in the grid tree, or a grid given by code. */
    loc_hit hit = {0};
    if (in->has_point) {
        if (!locator_find(l, in->lon, in->lat, &hit))
            return wg_fail(why, WG_ERR_INVALID, "lon",
                           "(%.6f, %.6f) lies outside every grid", in->lon, in->lat);
        c->has_point = true;
        c->lon = in->lon;
        c->lat = in->lat;
    } else if (in->grid) {
        int32_t at = locator_find_code(l, in->grid);
        if (at < 0)
            return wg_fail(why, WG_ERR_INVALID, "grid", "no grid %s", in->grid);
        for (int32_t i = at; i >= 0 && hit.nchain < GRID_LEVELS; i = locator_grid(l, i)->parent)
            hit.chain[hit.nchain++] = i;
    } else {
        return wg_fail(why, WG_ERR_INVALID, "lon", "give 'lon' and 'lat', or 'grid'");
    }
    const loc_grid *deep = locator_grid(l, hit.chain[0]);
    snprintf(c->grid, sizeof(c->grid), "%s", deep->code);
    for (int i = 0; i < hit.nchain; i++) {
        const loc_grid *g = locator_grid(l, hit.chain[i]);
        char *slot = g->level == GRID_L1 ? c->grid_l1 : g->level == GRID_L2 ? c->grid_l2
                                                      : g->level == GRID_L3 ? c->grid_l3 : NULL;
        if (slot)
            snprintf(slot, sizeof(c->grid_l1), "%s", g->code);
    }
    for (int i = 0; i < hit.ndedicated; i++) {
        size_t n = strlen(c->dedicated);
        snprintf(c->dedicated + n, sizeof(c->dedicated) - n, "%s%s", n ? "," : "",
                 locator_grid(l, hit.dedicated[i])->code);
    }
    /* Who answers. */
    case_route *route = &d->route;
    if ((e = route_in(s, env->cat, k, c->grid, route)))
        return e;
    snprintf(c->department, sizeof(c->department), "%s", route->department);
    c->route_rule = route->rule_id;

    /* Who reported. */
    snprintf(c->reporter_login, sizeof(c->reporter_login), "%s", who ? who->login : "");
    if (in->reporter_name && strlen(in->reporter_name) >= sizeof(c->reporter_name))
        return wg_fail(why, WG_ERR_INVALID, "reporter", "the reporter's name is too long");
    snprintf(c->reporter_name, sizeof(c->reporter_name), "%s",
             in->reporter_name ? in->reporter_name : "");
    if (in->reporter_phone && *in->reporter_phone) {
        char norm[PII_PHONE_CAP];
        const char *reason = NULL;
        if (!pii_phone_valid(in->reporter_phone, norm, sizeof(norm), &reason))
            return wg_fail(why, WG_ERR_INVALID, "reporter", "the reporter's phone: %s", reason);
        if ((e = vault_encrypt(v, norm, strlen(norm), "cases.reporter_phone",
                               c->reporter_phone_sealed, sizeof(c->reporter_phone_sealed),
                               &c->reporter_phone_sealed_len)))
            return e;
        pii_mask_phone(norm, c->reporter_phone_masked, sizeof(c->reporter_phone_masked));
    }
    snprintf(c->category, sizeof(c->category), "%s", in->category);
    snprintf(c->urgency, sizeof(c->urgency), "%s", urgency);
    snprintf(c->source, sizeof(c->source), "%s", source);
    snprintf(c->description, sizeof(c->description), "%s", in->description);
    snprintf(c->address, sizeof(c->address), "%s", in->address ? in->address : "");
    snprintf(c->status, sizeof(c->status), "reported");
    snprintf(c->idempotency_key, sizeof(c->idempotency_key), "%s",
             in->idempotency_key ? in->idempotency_key : "");
    c->reported_at = c->updated_at = env->now;
    c->closed_on_time = -1;
    set_due(c, deadline(env, k, urgency, STEP_FILE, env->now), "file");
    return WG_OK;
}

wg_err cases_insert(store *s, const actor *who, const case_input *in, case_draft *d, wg_why *why)
{
    store_case *c = &d->c;
    wg_err e = store_case_insert(s, c);
    if (e == WG_ERR_CONFLICT)
        return wg_fail(why, e, "Idempotency-Key", "this Idempotency-Key was used for another case");
    if (e)
        return e;
    json_t *data =
        json_pack("{s:s, s:s}", "department", c->department, "route", d->route.why);
    json_t *att = in->attachments ? json_loads(in->attachments, 0, NULL) : NULL;
    if (data && att)
        json_object_set_new(data, "attachments", att);
    else
        json_decref(att);
    e = history(s, c, c->reported_at, who ? who->login : "-", "report", "", in->description,
                data);
    json_decref(data);
    return e;
}

wg_err cases_report(store *s, const vault *v, const locator *l, const case_env *env,
                    const actor *who, const case_input *in, store_case *out, wg_why *why)
{
    case_draft d;
    wg_err e = cases_draft(s, v, l, env, who, in, &d, why);
    if (!e)
        e = cases_insert(s, who, in, &d, why);
    *out = d.c;
    return e;
}

/* ---- actions ---- */

static wg_err whistle(store *s, const case_env *env, const actor *who, store_case *c,
                      const store_category *k, const case_act_input *in, json_t *data,
                      wg_why *why)
{
    static const char *const reasons[] = {"cannot_solve_alone", "lacks_enforcement_power",
                                          "emergency"};
    bool known = false;
    for (size_t i = 0; in->reason && i < WG_ARRAY_LEN(reasons); i++)
        known |= strcmp(in->reason, reasons[i]) == 0;
    if (!known)
        return wg_fail(why, WG_ERR_INVALID, "reason",
                       "'reason' is cannot_solve_alone, lacks_enforcement_power or emergency");
    if (in->ndepartments < 1 || in->ndepartments > 10)
        return wg_fail(why, WG_ERR_INVALID, "departments", "whistle to 1 to 10 departments");
    int64_t wid;
    wg_err e = store_whistle_add(s, c->id, who->login, in->reason, in->note, env->now, &wid);
    /* The departments must report for duty within the acknowledge limit
     * (urgent: its urgent share). */
    int64_t due = deadline(env, k, in->reason && strcmp(in->reason, "emergency") == 0 ? "urgent"
                                                                                      : c->urgency,
                           STEP_ACKNOWLEDGE, env->now);
    json_t *depts = json_array();
    for (int i = 0; !e && i < in->ndepartments; i++) {
        store_department d;
        if (c->dispatched_at && strcmp(in->departments[i], c->department) == 0) {
            e = wg_fail(why, WG_ERR_INVALID, "departments",
                        "the case is already dispatched to %s", c->department);
            break;
        }
        e = store_department_get(s, in->departments[i], &d);
        if (e == WG_ERR_NOT_FOUND) {
            e = wg_fail(why, WG_ERR_INVALID, "departments", "no department %s",
                        in->departments[i]);
            break;
        }
        if (!e)
            e = store_whistle_department_add(s, wid, in->departments[i], due);
        if (e == WG_ERR_CONFLICT)
            e = wg_fail(why, WG_ERR_INVALID, "departments", "department %s is named twice",
                        in->departments[i]);
        json_array_append_new(depts, json_string(in->departments[i]));
    }
    json_object_set_new(data, "whistle", json_pack("{s:I, s:s, s:o, s:I}", "id", (json_int_t)wid,
                                                   "reason", in->reason, "departments", depts,
                                                   "ack_due_at", (json_int_t)due));
    c->whistles++;
    return e;
}

typedef struct {
    const actor *who;
    const case_act_input *in;
    case_action action;
    int64_t now;
    store *s;
    json_t *data;
    bool done;
    wg_err err;
} part_ctx;

/* A whistled department reports for duty (acknowledge) or records its
 * part (feed_back): on its oldest part still owing that. */
static wg_err answer_part(void *ctx, const store_whistle_part *p)
{
    part_ctx *c = ctx;
    if (c->done || !actor_dept(c->who, p->department))
        return WG_OK;
    store_whistle_part w = *p;
    if (c->action == CA_ACKNOWLEDGE && !w.acknowledged_at) {
        w.acknowledged_at = w.arrived_at = c->now;
    } else if (c->action == CA_FEED_BACK && w.acknowledged_at && !w.part[0]) {
        str_copy_utf8(w.part, sizeof(w.part), c->in->note && *c->in->note ? c->in->note : "done");
    } else {
        return WG_OK;
    }
    c->done = true;
    json_object_set_new(c->data, "whistle_part",
                        json_pack("{s:I, s:s, s:b}", "whistle", (json_int_t)w.whistle_id,
                                  "department", w.department, "late",
                                  w.acknowledged_at > w.ack_due_at));
    c->err = store_whistle_part_update(c->s, &w);
    return c->err;
}

/* The whistler rates a department's response. */
static wg_err rate_part(void *ctx, const store_whistle_part *p)
{
    part_ctx *c = ctx;
    if (c->done || strcmp(p->whistler, c->who->login) != 0 || p->rating || !p->acknowledged_at ||
        (c->in->rate_department && strcmp(c->in->rate_department, p->department) != 0))
        return WG_OK;
    store_whistle_part w = *p;
    w.rating = c->in->rating;
    c->done = true;
    json_object_set_new(c->data, "rated",
                        json_pack("{s:s, s:i}", "department", w.department, "rating", w.rating));
    c->err = store_whistle_part_update(c->s, &w);
    return c->err;
}

wg_err cases_act(store *s, const case_env *env, const actor *who, store_case *c, case_action a,
                 const case_act_input *in, wg_why *why)
{
    whistle_view v;
    unsigned g = groups(s, c, who, &v);
    cond_ctx cc = {c, &v};
    record_asker asker = {.groups = g, .cond = condition_ok, .ctx = &cc};
    int state = record_state_index(&flow, c->status);
    int row = record_step_find(&flow, state, (int)a, &asker);
    if (row < 0)
        return record_refuse(&flow, state, (int)a, &asker, NULL, why);
    store_category k;
    wg_err e = store_category_get(s, c->category, &k);
    if (e)
        return e;
    char from[16];
    snprintf(from, sizeof(from), "%s", c->status);
    int64_t now = env->now;
    json_t *data = json_object();
    if (in->attachments) {
        json_error_t je;
        json_t *att = json_loads(in->attachments, 0, &je);
        if (att)
            json_object_set_new(data, "attachments", att);
    }
    /* A step completed after its deadline marks the case overdue. */
    if (c->due_at && now > c->due_at && steps[row].to != SAME)
        c->overdue = true;
    const char *note = in->note;
    if (steps[row].who == G_WHISTLED || (a == CA_ACKNOWLEDGE && !(g & G_DEPT)) ||
        (a == CA_FEED_BACK && !(g & G_DEPT))) {
        part_ctx pc = {.who = who, .in = in, .action = a, .now = now, .s = s, .data = data};
        e = store_whistle_parts(s, c->id, answer_part, &pc);
        if (!e && !pc.done)
            e = wg_fail(why, WG_ERR_CONFLICT, "action", "your department owes nothing here");
    } else {
        if (steps[row].to != SAME)
            snprintf(c->status, sizeof(c->status), "%s", status_names[steps[row].to]);
        switch (a) {
        case CA_FILE:
            c->filed_at = now;
            set_due(c, deadline(env, &k, c->urgency, STEP_DISPATCH, now), "dispatch");
            break;
        case CA_REJECT:
        case CA_DEFER:
            c->deferred = a == CA_DEFER;
            set_due(c, 0, "");
            break;
        case CA_MERGE: {
            store_case into;
            if (in->into <= 0 || in->into == c->id) {
                e = wg_fail(why, WG_ERR_INVALID, "into", "'into' names the case to keep");
                break;
            }
            e = store_case_get(s, in->into, &into);
            if (e == WG_ERR_NOT_FOUND || (!e && !cases_visible(s, &into, who)))
                e = wg_fail(why, WG_ERR_INVALID, "into", "no case %lld", (long long)in->into);
            if (e)
                break;
            c->merged_into = in->into;
            json_object_set_new(data, "into", json_integer(in->into));
            set_due(c, 0, "");
            break;
        }
        case CA_DISPATCH:
            if (in->department && *in->department) {
                store_department d;
                e = store_department_get(s, in->department, &d);
                if (e == WG_ERR_NOT_FOUND)
                    e = wg_fail(why, WG_ERR_INVALID, "department", "no department %s",
                                in->department);
                if (e)
                    break;
                snprintf(c->department, sizeof(c->department), "%s", in->department);
            }
            json_object_set_new(data, "department", json_string(c->department));
            c->dispatched_at = now;
            set_due(c, deadline(env, &k, c->urgency, STEP_ACKNOWLEDGE, now), "acknowledge");
            c->handle_due_at = deadline(env, &k, c->urgency, STEP_HANDLE, now);
            break;
        case CA_RETURN:
            json_object_set_new(data, "department", json_string(c->department));
            c->dispatched_at = 0;
            set_due(c, deadline(env, &k, c->urgency, STEP_DISPATCH, now), "dispatch");
            break;
        case CA_ACKNOWLEDGE:
            c->acknowledged_at = now;
            set_due(c, c->handle_due_at, "handle");
            break;
        case CA_START:
            c->started_at = now;
            break;
        case CA_FEED_BACK:
            c->fed_back_at = now;
            set_due(c, deadline(env, &k, c->urgency, STEP_VERIFY, now), "verify");
            break;
        case CA_VERIFY:
            c->verified_at = now;
            set_due(c, 0, "close");
            break;
        case CA_FAIL_VERIFICATION:
            c->reworks++;
            c->fed_back_at = 0;
            c->handle_due_at = deadline(env, &k, c->urgency, STEP_HANDLE, now);
            set_due(c, c->handle_due_at, "handle");
            break;
        case CA_CLOSE:
            c->closed_at = now;
            c->closed_on_time = c->handle_due_at && c->fed_back_at <= c->handle_due_at;
            set_due(c, 0, "");
            break;
        case CA_REQUEST_EXTENSION:
            c->extension_requested = true;
            break;
        case CA_APPROVE_EXTENSION: {
            int days = in->extend_days > 0 ? in->extend_days : 1;
            if (days > 60) {
                e = wg_fail(why, WG_ERR_INVALID, "days", "extend by 1 to 60 working days");
                break;
            }
            int64_t base = c->handle_due_at ? c->handle_due_at : now;
            int64_t t = calendar_add_working_days(env->cal, base, days);
            c->handle_due_at = t == CAL_ERROR ? base : t;
            if (!strcmp(c->due_step, "handle"))
                c->due_at = c->handle_due_at;
            c->extension_requested = false;
            c->extensions++;
            json_object_set_new(data, "days", json_integer(days));
            break;
        }
        case CA_REOPEN:
            if (!c->filed_at)
                c->filed_at = now; /* a rejected case is filed now */
            c->closed_at = c->verified_at = c->fed_back_at = 0;
            c->deferred = false;
            c->closed_on_time = -1;
            set_due(c, deadline(env, &k, c->urgency, STEP_DISPATCH, now), "dispatch");
            break;
        case CA_WHISTLE:
            e = whistle(s, env, who, c, &k, in, data, why);
            break;
        case CA_RATE: {
            if (in->rating < 1 || in->rating > 5) {
                e = wg_fail(why, WG_ERR_INVALID, "rating", "'rating' is 1 to 5");
                break;
            }
            part_ctx pc = {.who = who, .in = in, .now = now, .s = s, .data = data};
            if (v.rateable_part && (in->rate_department || !(g & G_REPORTER)))
                e = store_whistle_parts(s, c->id, rate_part, &pc);
            if (!e && !pc.done) {
                if (c->satisfaction || !(g & G_REPORTER) || !c->closed_at)
                    e = wg_fail(why, WG_ERR_CONFLICT, "action", "nothing to rate");
                else {
                    c->satisfaction = in->rating;
                    json_object_set_new(data, "satisfaction", json_integer(in->rating));
                }
            }
            break;
        }
        case CA_COUNT:
            e = WG_ERR_INTERNAL;
            break;
        }
    }
    if (!e) {
        c->updated_at = now;
        e = store_case_update(s, c);
        if (e == WG_ERR_PRECONDITION)
            wg_fail(why, e, NULL, "case %lld changed meanwhile; read it again", (long long)c->id);
    }
    if (!e)
        e = history(s, c, now, who->login, action_names[a], from, note, data);
    json_decref(data);
    return e;
}

/* ---- overdue ---- */

typedef struct {
    int64_t ids[512];
    int n;
} due_ctx;

static wg_err collect_due(void *ctx, const store_case *c)
{
    due_ctx *d = ctx;
    if (d->n < (int)WG_ARRAY_LEN(d->ids))
        d->ids[d->n++] = c->id;
    return WG_OK;
}

wg_err cases_escalate_overdue(store *s, const case_env *env, int *n)
{
    *n = 0;
    due_ctx d = {.n = 0};
    /* Each deadline is escalated once: a later step with a new deadline
     * can be escalated again. */
    store_case_filter f = {.all = true, .overdue = -1, .limit = 512, .due_before = env->now,
                           .unescalated = true};
    wg_err e = store_case_list(s, &f, collect_due, &d);
    for (int i = 0; !e && i < d.n; i++) {
        store_case c;
        if ((e = store_case_get(s, d.ids[i], &c)))
            break;
        c.overdue = true;
        c.escalated_at = env->now;
        c.updated_at = env->now;
        if ((e = store_case_update(s, &c)))
            break;
        char note[96];
        snprintf(note, sizeof(note), "the %s step passed its deadline", c.due_step);
        json_t *data = json_pack("{s:s, s:I}", "step", c.due_step, "due_at", (json_int_t)c.due_at);
        e = history(s, &c, env->now, "system", "escalate", c.status, note, data);
        json_decref(data);
        if (!e)
            (*n)++;
    }
    return e;
}

/* ---- JSON ---- */

static void write_when(jsonw *w, const calendar *cal, int64_t t)
{
    char buf[CAL_ISO_CAP];
    jsonw_str(w, t && calendar_format_iso(t, calendar_utc_offset(cal), buf, sizeof(buf)) ? buf
                                                                                          : NULL);
}

static const char *or_null(const char *s)
{
    return s && s[0] ? s : NULL;
}

/* Members names[i]: values[i] (NULL: null). */
static void write_strs(jsonw *w, const char *const *names, const char *const *values, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        jsonw_key(w, names[i]);
        jsonw_str(w, values[i]);
    }
}

/* 0 (none) is null. */
static void write_id(jsonw *w, const char *name, int64_t v)
{
    jsonw_key(w, name);
    if (v)
        jsonw_int(w, v);
    else
        jsonw_null(w);
}

void cases_json_write(jsonw *w, const store_case *c, const store_category *kp,
                      const calendar *cal)
{
    jsonw_key(w, "id");
    jsonw_int(w, c->id);
    jsonw_key(w, "category");
    jsonw_object(w);
    jsonw_key(w, "code");
    jsonw_str(w, c->category);
    static const char *const knames[] = {"name_zh", "name_en", "kind"};
    const char *kv[] = {kp ? kp->name_zh : NULL, kp ? kp->name_en : NULL, kp ? kp->kind : NULL};
    write_strs(w, knames, kv, WG_ARRAY_LEN(knames));
    jsonw_end(w);
    static const char *const strs[] = {"status", "urgency", "source", "description", "address"};
    const char *sv[] = {c->status, c->urgency, c->source, c->description, c->address};
    write_strs(w, strs, sv, WG_ARRAY_LEN(strs));
    jsonw_key(w, "grid");
    jsonw_object(w);
    static const char *const gnames[] = {"code", "l1", "l2", "l3"};
    const char *gv[] = {c->grid, or_null(c->grid_l1), or_null(c->grid_l2), or_null(c->grid_l3)};
    write_strs(w, gnames, gv, WG_ARRAY_LEN(gnames));
    jsonw_key(w, "dedicated");
    jsonw_array(w);
    char buf[sizeof(c->dedicated)];
    snprintf(buf, sizeof(buf), "%s", c->dedicated);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        jsonw_str(w, t);
    jsonw_end(w);
    jsonw_end(w);
    jsonw_key(w, "department");
    jsonw_str(w, c->department);
    write_id(w, "route_rule", c->route_rule);
    jsonw_key(w, "location");
    if (c->has_point) {
        jsonw_object(w);
        jsonw_key(w, "lon");
        jsonw_real(w, c->lon);
        jsonw_key(w, "lat");
        jsonw_real(w, c->lat);
        jsonw_end(w);
    } else {
        jsonw_null(w);
    }
    jsonw_key(w, "reporter");
    jsonw_object(w);
    static const char *const rnames[] = {"login", "name", "phone"};
    const char *rv[] = {or_null(c->reporter_login), or_null(c->reporter_name),
                        or_null(c->reporter_phone_masked)};
    write_strs(w, rnames, rv, WG_ARRAY_LEN(rnames));
    jsonw_end(w);
    static const char *const tnames[] = {"reported_at", "filed_at",    "dispatched_at",
                                         "acknowledged_at", "started_at", "fed_back_at",
                                         "verified_at", "closed_at"};
    const int64_t tv[] = {c->reported_at, c->filed_at,    c->dispatched_at, c->acknowledged_at,
                          c->started_at,  c->fed_back_at, c->verified_at,   c->closed_at};
    jsonw_key(w, "times");
    jsonw_object(w);
    for (size_t i = 0; i < WG_ARRAY_LEN(tnames); i++) {
        jsonw_key(w, tnames[i]);
        write_when(w, cal, tv[i]);
    }
    jsonw_end(w);
    jsonw_key(w, "due");
    jsonw_object(w);
    jsonw_key(w, "step");
    jsonw_str(w, or_null(c->due_step));
    jsonw_key(w, "at");
    write_when(w, cal, c->due_at);
    jsonw_key(w, "handle_by");
    write_when(w, cal, c->handle_due_at);
    jsonw_end(w);
    static const char *const bnames[] = {"overdue", "extension_requested"};
    const bool bv[] = {c->overdue, c->extension_requested};
    for (size_t i = 0; i < WG_ARRAY_LEN(bnames); i++) {
        jsonw_key(w, bnames[i]);
        jsonw_bool(w, bv[i]);
    }
    static const char *const inames[] = {"extensions", "reworks", "whistles"};
    const int64_t iv[] = {c->extensions, c->reworks, c->whistles};
    for (size_t i = 0; i < WG_ARRAY_LEN(inames); i++) {
        jsonw_key(w, inames[i]);
        jsonw_int(w, iv[i]);
    }
    write_id(w, "merged_into", c->merged_into);
    write_id(w, "satisfaction", c->satisfaction);
    jsonw_key(w, "closed_on_time");
    if (c->closed_on_time < 0)
        jsonw_null(w);
    else
        jsonw_bool(w, c->closed_on_time);
    jsonw_key(w, "version");
    jsonw_int(w, c->version);
}

json_t *cases_json(store *s, const store_case *c, const calendar *cal)
{
    store_category k;
    bool have_k = store_category_get(s, c->category, &k) == WG_OK;
    wg_buf b;
    buf_init(&b, NULL, 64 * 1024);
    jsonw w;
    jsonw_init(&w, &b);
    jsonw_object(&w);
    cases_json_write(&w, c, have_k ? &k : NULL, cal);
    jsonw_end(&w);
    json_t *j = w.err ? NULL : json_loadb(b.ptr, b.len, 0, NULL);
    buf_free(&b);
    return j;
}

typedef struct {
    calendar *cal;
    wg_why *why;
} cal_load;

static wg_err add_day(void *ctx, const char *day, const char *kind, const char *note)
{
    (void)note;
    cal_load *c = ctx;
    return calendar_set_day(c->cal, day, strcmp(kind, "holiday") == 0 ? CAL_HOLIDAY : CAL_WORKDAY,
                            c->why);
}

wg_err cases_calendar(store *s, const char *periods, int utc_offset_min, calendar **out,
                      wg_why *why)
{
    calendar *cal = NULL;
    wg_err e = calendar_new(utc_offset_min, &cal, why);
    if (!e)
        e = calendar_set_periods(cal, periods, why);
    if (!e) {
        cal_load c = {cal, why};
        e = store_calendar_list(s, add_day, &c);
    }
    if (e) {
        calendar_free(cal);
        return e;
    }
    *out = cal;
    return WG_OK;
}

/* ---- KPIs ---- */

static json_t *rate(int64_t num, int64_t den)
{
    return den > 0 ? json_real(round((double)num / (double)den * 10000.0) / 10000.0) : json_null();
}

static json_t *mean(double sum, int64_t n, double unit)
{
    return n > 0 ? json_real(round(sum / (double)n / unit * 100.0) / 100.0) : json_null();
}

/* A number rounded to `decimals` places, written the shortest way (1,
 * 0.5, 0.6667), or null when there is nothing to divide by. Written by
 * hand: a statistics page holds hundreds of rows of them. */
static wg_err put_fixed(wg_buf *b, bool defined, double v, int decimals)
{
    if (!defined)
        return buf_puts(b, "null");
    int64_t scale = decimals == 4 ? 10000 : 100;
    long long q = llround(v * (double)scale);
    char tmp[48];
    int n = snprintf(tmp, sizeof(tmp), "%s%lld", q < 0 ? "-" : "", llabs(q) / scale);
    long long frac = llabs(q) % scale;
    if (frac) {
        int d = decimals;
        while (frac % 10 == 0) {
            frac /= 10;
            d--;
        }
        n += snprintf(tmp + n, sizeof(tmp) - (size_t)n, ".%0*lld", d, frac);
    }
    return buf_append(b, tmp, (size_t)n);
}

typedef struct {
    wg_buf *b;
    bool exclude_deferred;
    int rows;
} stats_ctx;

static wg_err add_stats(void *ctx, const store_case_stats *r)
{
    stats_ctx *c = ctx;
    wg_buf *b = c->b;
    int64_t due = r->due - (c->exclude_deferred ? r->deferred : 0);
    wg_err e = buf_puts(b, c->rows++ ? ",{\"key\":\"" : "{\"key\":\"");
    if (!e)
        e = buf_json_escape(b, r->key, strlen(r->key));
    if (!e)
        e = buf_printf(b,
                       "\",\"counts\":{\"reported\":%lld,\"filed\":%lld,\"dispatched\":%lld,"
                       "\"acknowledged\":%lld,\"disposed\":%lld,\"due\":%lld,\"closed\":%lld,"
                       "\"closed_on_time\":%lld,\"rework\":%lld,\"extended\":%lld,"
                       "\"deferred\":%lld,\"overdue\":%lld,\"rated\":%lld,\"whistles\":%lld},"
                       "\"rates\":{",
                       (long long)r->reported, (long long)r->filed, (long long)r->dispatched,
                       (long long)r->acknowledged, (long long)r->disposed, (long long)r->due,
                       (long long)r->closed, (long long)r->closed_on_time,
                       (long long)r->reworked, (long long)r->extended, (long long)r->deferred,
                       (long long)r->overdue, (long long)r->rated, (long long)r->whistles);
    /* closure = closed / due, on time = closed on time / due, rework =
     * reworked / disposed; 12345: response = acknowledged / dispatched,
     * resolution = closed / filed, satisfaction = satisfied / rated. */
    const struct {
        const char *name;
        int64_t num, den;
    } rates[] = {{"closure_rate", r->closed, due},
                 {"on_time_rate", r->closed_on_time, due},
                 {"rework_rate", r->reworked, r->disposed},
                 {"response_rate", r->acknowledged, r->dispatched},
                 {"resolution_rate", r->closed, r->filed},
                 {"satisfaction_rate", r->satisfied, r->rated}};
    for (size_t i = 0; !e && i < WG_ARRAY_LEN(rates); i++) {
        e = buf_printf(b, "%s\"%s\":", i ? "," : "", rates[i].name);
        if (!e)
            e = put_fixed(b, rates[i].den > 0,
                          rates[i].den > 0 ? (double)rates[i].num / (double)rates[i].den : 0, 4);
    }
    const struct {
        const char *name;
        double sum;
        int64_t n;
        double unit;
    } means[] = {{"hours_to_acknowledge", r->ack_seconds_sum, r->ack_count, 3600.0},
                 {"hours_to_close", r->close_seconds_sum, r->closed, 3600.0},
                 {"satisfaction", r->satisfaction_sum, r->rated, 1.0}};
    if (!e)
        e = buf_puts(b, "},\"means\":{");
    for (size_t i = 0; !e && i < WG_ARRAY_LEN(means); i++) {
        e = buf_printf(b, "%s\"%s\":", i ? "," : "", means[i].name);
        if (!e)
            e = put_fixed(b, means[i].n > 0,
                          means[i].n > 0 ? means[i].sum / (double)means[i].n / means[i].unit : 0,
                          2);
    }
    return e ? e : buf_puts(b, "}}");
}

wg_err cases_stats(store *s, kpi *k, const char *group, const char *grid_prefix, int64_t from,
                   int64_t to, int64_t now, bool exclude_deferred, wg_buf *out)
{
    stats_ctx c = {.b = out, .exclude_deferred = exclude_deferred};
    size_t start = out->len;
    wg_err e = buf_puts(out, "\"rows\":[");
    bool counters = false;
    if (!e && k)
        e = kpi_query(k, group, grid_prefix, from, to, now, &counters, add_stats, &c);
    if (!e && !counters)
        e = store_case_stats_by(s, group, grid_prefix, from, to, now, add_stats, &c);
    if (!e)
        e = buf_printf(out, "],\"computed_from\":\"%s\"", counters ? "counters" : "cases");
    if (e)
        out->len = start;
    return e;
}

static wg_err add_wstats(void *ctx, const store_whistle_stats *w)
{
    json_array_append_new(
        ctx, json_pack("{s:s, s:I, s:I, s:I, s:o, s:o, s:o}", "department", w->department,
                       "whistled", (json_int_t)w->parts, "acknowledged", (json_int_t)w->acknowledged,
                       "on_time", (json_int_t)w->on_time, "on_time_rate",
                       rate(w->on_time, w->parts), "hours_to_report_for_duty",
                       mean(w->ack_seconds_sum, w->acknowledged, 3600.0), "rating",
                       mean(w->rating_sum, w->rated, 1.0)));
    return WG_OK;
}

wg_err cases_whistle_stats(store *s, int64_t from, int64_t to, json_t **out)
{
    json_t *rows = json_array();
    wg_err e = store_whistle_stats_by(s, from, to, add_wstats, rows);
    if (e) {
        json_decref(rows);
        return e;
    }
    *out = json_pack("{s:o}", "rows", rows);
    return *out ? WG_OK : WG_ERR_NOMEM;
}
