/*
 * h_grids.c - the grid tree over HTTP, and locating points.
 *
 * Reads are open to every role holding grids.read: the tree is the map
 * everybody works on, and staff phones stay masked. Writes are scoped: an
 * actor changes only grids inside a grid it is granted (a leader of
 * 410102008 changes 410102008 and everything under it).
 */
#include "core/grids.h"
#include "core/locator.h"
#include "core/pii.h"
#include "http/handlers.h"
#include "store/store.h"
#include "util/log.h"
#include "util/strparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STAFF 32
#define MAX_PARTIES 64
#define LOCATE_MAX_POINTS 10000

static json_t *bbox_json(const store_grid *g)
{
    return json_pack("[f, f, f, f]", g->min_lon, g->min_lat, g->max_lon, g->max_lat);
}

static json_t *grid_json(const store_grid *g)
{
    return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:I, s:f, s:o, s:s, s:s}", "code", g->code,
                     "name", g->name, "level", g->level, "parent",
                     g->parent[0] ? g->parent : NULL, "division_code",
                     g->division_code[0] ? g->division_code : NULL, "kind",
                     g->kind[0] ? g->kind : NULL, "households", (json_int_t)g->households,
                     "area_m2", g->area_m2, "bbox", bbox_json(g), "created_at", g->created_at,
                     "updated_at", g->updated_at);
}

static wg_err add_grid_json(void *ctx, const store_grid *g)
{
    json_array_append_new(ctx, grid_json(g));
    return WG_OK;
}

static wg_err load_grid(http_req *r, store_grid *g)
{
    const char *code = req_param(r, "code");
    wg_err e = code ? store_grid_get(req_store(r), code, false, g) : WG_ERR_NOT_FOUND;
    if (e == WG_ERR_NOT_FOUND)
        return req_fail(r, e, NULL, "no grid %s", code ? code : "");
    return e;
}

/* The grid index changed: rebuild it (readers keep the old one meanwhile). */
/* The write stands even when this fails: it is logged, not answered. */
static wg_err rebuild_index(http_req *r)
{
    wg_why why = {0};
    if (locsvc_rebuild(req_locator(r), req_store(r), &why))
        log_error("grids: index rebuild failed: %s", why.msg);
    return WG_OK;
}

/* GET /api/grids?level=&parent= */
wg_err h_grids_list(http_req *r)
{
    const char *level = req_query(r, "level"), *parent = req_query(r, "parent");
    grid_level lv;
    if (level && !grids_level_parse(level, &lv))
        return req_fail(r, WG_ERR_BAD_REQUEST, "level",
                        "'level' is one of l1, l2, l3, micro, dedicated");
    json_t *items = json_array();
    wg_err e = store_grid_scan(req_store(r), parent, false, add_grid_json, items);
    if (e) {
        json_decref(items);
        return e;
    }
    if (level) {
        size_t i = 0;
        while (i < json_array_size(items)) {
            const char *l = json_string_value(json_object_get(json_array_get(items, i), "level"));
            if (l && strcmp(l, level) != 0)
                json_array_remove(items, i);
            else
                i++;
        }
    }
    return reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/* GET /api/grids/{code}/children */
wg_err h_grid_children(http_req *r)
{
    store_grid g;
    wg_err e = load_grid(r, &g);
    if (e)
        return e;
    json_t *items = json_array();
    if ((e = store_grid_scan(req_store(r), g.code, false, add_grid_json, items))) {
        json_decref(items);
        return e;
    }
    return reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static wg_err add_staff_json(void *ctx, const store_grid_staff *x)
{
    json_t *o = json_pack("{s:s, s:s, s:s?}", "role", x->role, "name", x->name, "phone",
                          x->phone_masked[0] ? x->phone_masked : NULL);
    if (o && x->user_login[0])
        json_object_set_new(o, "user_login", json_string(x->user_login));
    json_array_append_new(ctx, o);
    return WG_OK;
}

static wg_err add_party_json(void *ctx, const store_grid_party *p)
{
    json_t *o = ctx;
    if (strcmp(p->role, "force") == 0)
        json_array_append_new(json_object_get(o, "forces"),
                              json_pack("{s:s, s:s, s:s}", "type", p->force_type, "name", p->name,
                                        "contact", p->contact));
    else
        json_object_set_new(o, p->role,
                            json_pack("{s:s, s:s}", "name", p->name, "contact", p->contact));
    return WG_OK;
}

static json_t *staff_json(store *db, const char *code)
{
    json_t *a = json_array();
    if (store_grid_staff_list(db, code, add_staff_json, a)) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static json_t *parties_json(store *db, const char *code)
{
    json_t *o = json_pack("{s:o}", "forces", json_array());
    if (o && store_grid_parties_list(db, code, add_party_json, o)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* GET /api/grids/{code}: the grid, the number of grids per level under
 * it, its staff and its 1+3+N parties. */
wg_err h_grid_get(http_req *r)
{
    store_grid g;
    wg_err e = load_grid(r, &g);
    if (e)
        return e;
    store *db = req_store(r);
    grid_counts c;
    if ((e = grids_count_under(db, g.code, &c)))
        return e;
    json_t *j = grid_json(&g), *counts = json_object();
    for (int lv = 0; lv < GRID_LEVELS; lv++)
        if (c.count[lv])
            json_object_set_new(counts, grids_level_name((grid_level)lv), json_integer(c.count[lv]));
    json_object_set_new(j, "counts", counts);
    json_object_set_new(j, "staff", staff_json(db, g.code));
    json_object_set_new(j, "parties", parties_json(db, g.code));
    return reply_json(r, 200, j);
}

/* Writes need the grid (or its parent, for a new one) inside the actor's
 * scope. */
static wg_err in_scope(http_req *r, perm_id p, const char *code)
{
    if (!actor_can_in_grid(REQ_WHO(r), p, code))
        return req_fail(r, WG_ERR_FORBIDDEN, NULL, "grid %s is outside your scope", code);
    return WG_OK;
}

static wg_err save_grid(http_req *r, bool create)
{
    grid_input in = {0};
    wg_err e;
    if (create)
        e = req_json_string(r, "code", true, STORE_GRID_CODE_MAX - 1, &in.code);
    else
        in.code = req_param(r, "code"), e = WG_OK;
    int64_t hh = 0;
    if (e || (e = req_json_string(r, "name", true, STORE_NAME_MAX - 1, &in.name)) ||
        (e = req_json_string(r, "level", true, 12, &in.level)) ||
        (e = req_json_string(r, "parent", false, STORE_GRID_CODE_MAX - 1, &in.parent)) ||
        (e = req_json_string(r, "division_code", false, 15, &in.division_code)) ||
        (e = req_json_string(r, "kind", false, 31, &in.kind)) ||
        (e = req_json_int(r, "households", false, 0, 1000000, &hh)))
        return e;
    in.households = hh;
    in.geometry = json_object_get(r->json, "geometry");
    if (!in.geometry || json_is_null(in.geometry))
        return req_fail(r, WG_ERR_INVALID, "geometry", "'geometry' is required");
    if (!json_is_object(in.geometry))
        return req_fail(r, WG_ERR_BAD_REQUEST, "geometry", "'geometry' must be a GeoJSON object");
    /* Scope: the grid itself, or for a new grid its parent. */
    const char *scope_code = create && in.parent ? in.parent : in.code;
    if ((e = in_scope(r, PERM_GRIDS_WRITE, scope_code)))
        return e;
    grid_policy p = grids_policy(req_config(r));
    grid_report rep = {0};
    wg_why why = {0};
    e = grids_save(req_store(r), &p, &in, create, &rep, &why);
    json_t *report = grids_report_json(&rep);
    grids_report_free(&rep);
    if (e) {
        r->err_details = report;
        arena_defer(&r->ar, (void (*)(void *))json_decref, report);
        if (e == WG_ERR_NOT_FOUND && !create)
            return req_fail(r, e, NULL, "no grid %s", in.code);
        return req_fail(r, e, why.field, "%s", why.msg[0] ? why.msg : wg_strerror(e));
    }
    store_grid g;
    if ((e = store_grid_get(req_store(r), in.code, false, &g))) {
        json_decref(report);
        return e;
    }
    r->after_commit = rebuild_index;
    r->audit_resource = arena_printf(&r->ar, "/api/grids/%s", in.code);
    json_t *j = grid_json(&g);
    json_object_set_new(j, "report", report);
    return reply_json(r, create ? 201 : 200, j);
}

/* POST /api/grids */
wg_err h_grid_create(http_req *r)
{
    return save_grid(r, true);
}

/* PUT /api/grids/{code} */
wg_err h_grid_update(http_req *r)
{
    store_grid g;
    wg_err e = load_grid(r, &g);
    return e ? e : save_grid(r, false);
}

/* DELETE /api/grids/{code}: only a grid without children. */
wg_err h_grid_delete(http_req *r)
{
    store_grid g;
    wg_err e = load_grid(r, &g);
    if (e || (e = in_scope(r, PERM_GRIDS_WRITE, g.code)))
        return e;
    e = store_grid_delete(req_store(r), g.code);
    if (e == WG_ERR_CONFLICT)
        return req_fail(r, e, NULL, "grid %s still has children; delete them first", g.code);
    if (e)
        return e;
    r->after_commit = rebuild_index;
    return reply_json(r, 200, json_pack("{s:s}", "status", "deleted"));
}

/* ---- GeoJSON ---- */

typedef struct {
    json_t *features;
    size_t base_len; /* code length of the root */
    int depth;
    wg_err err;
} fc_ctx;

static int level_depth(const char *level)
{
    grid_level lv;
    if (!grids_level_parse(level, &lv))
        return 0;
    static const int d[GRID_LEVELS] = {[GRID_L1] = 0, [GRID_L2] = 1, [GRID_L3] = 2,
                                       [GRID_MICRO] = 3, [GRID_DEDICATED] = 1};
    return d[lv];
}

static wg_err add_feature(void *ctx, const store_grid *g)
{
    fc_ctx *c = ctx;
    json_error_t je;
    json_t *geom = json_loadb(g->geometry ? g->geometry : "", g->geometry_len, 0, &je);
    if (!geom)
        return WG_ERR_STORE;
    json_t *props = json_pack("{s:s, s:s, s:s, s:s?, s:f, s:I, s:s?}", "code", g->code, "name",
                              g->name, "level", g->level, "parent",
                              g->parent[0] ? g->parent : NULL, "area_m2", g->area_m2,
                              "households", (json_int_t)g->households, "kind",
                              g->kind[0] ? g->kind : NULL);
    json_array_append_new(c->features, json_pack("{s:s, s:s, s:o, s:o}", "type", "Feature", "id",
                                                 g->code, "geometry", geom, "properties", props));
    return WG_OK;
}

typedef struct {
    fc_ctx *fc;
    int root_depth;
} depth_ctx;

static wg_err add_if_deep_enough(void *ctx, const store_grid *g)
{
    depth_ctx *d = ctx;
    if (level_depth(g->level) - d->root_depth > d->fc->depth)
        return WG_OK;
    return add_feature(d->fc, g);
}

/* GET /api/grids/{code}/geojson?depth=N: an RFC 7946 FeatureCollection of
 * the grid and its descendants down N levels (0: the grid alone). */
wg_err h_grid_geojson(http_req *r)
{
    store_grid g;
    wg_err e = load_grid(r, &g);
    if (e)
        return e;
    const char *ds = req_query(r, "depth");
    int64_t depth = 0;
    if (ds && !parse_i64(ds, strlen(ds), 0, 3, &depth))
        return req_fail(r, WG_ERR_BAD_REQUEST, "depth", "'depth' must be 0 to 3");
    fc_ctx fc = {.features = json_array(), .depth = (int)depth};
    depth_ctx dc = {.fc = &fc, .root_depth = level_depth(g.level)};
    e = store_grid_scan_subtree(req_store(r), g.code, true, add_if_deep_enough, &dc);
    if (e) {
        json_decref(fc.features);
        return e;
    }
    json_t *j = json_pack("{s:s, s:o}", "type", "FeatureCollection", "features", fc.features);
    wg_err rc = reply_json(r, 200, j);
    r->ctype = "application/geo+json";
    return rc;
}

/* ---- staff and parties ---- */

/* GET /api/grids/{code}/staff */
wg_err h_grid_staff_get(http_req *r)
{
    store_grid g;
    wg_err e = load_grid(r, &g);
    if (e)
        return e;
    return reply_json(r, 200, json_pack("{s:o}", "items", staff_json(req_store(r), g.code)));
}

/* PUT /api/grids/{code}/staff {"staff":[{"role","name","phone"?,"user_login"?}]} */
wg_err h_grid_staff_put(http_req *r)
{
    store_grid g;
    wg_err e = load_grid(r, &g);
    if (e || (e = in_scope(r, PERM_GRIDS_STAFF, g.code)))
        return e;
    json_t *list = json_object_get(r->json, "staff"), *x;
    if (!json_is_array(list))
        return req_fail(r, WG_ERR_INVALID, "staff", "'staff' must be an array");
    if (json_array_size(list) > MAX_STAFF)
        return req_fail(r, WG_ERR_INVALID, "staff", "at most %d staff", MAX_STAFF);
    store_grid_staff *st = arena_calloc(&r->ar, MAX_STAFF, sizeof(*st));
    if (!st)
        return WG_ERR_NOMEM;
    size_t i;
    int nchief = 0;
    json_array_foreach(list, i, x)
    {
        const char *role = json_string_value(json_object_get(x, "role"));
        const char *name = json_string_value(json_object_get(x, "name"));
        const char *ph = json_string_value(json_object_get(x, "phone"));
        const char *login = json_string_value(json_object_get(x, "user_login"));
        if (!role || (strcmp(role, "grid_chief") && strcmp(role, "grid_member") &&
                      strcmp(role, "contact")))
            return req_fail(r, WG_ERR_INVALID, "staff",
                            "staff[%zu].role is grid_chief, grid_member or contact", i);
        nchief += strcmp(role, "grid_chief") == 0;
        if (!name || !*name || strlen(name) >= STORE_NAME_MAX)
            return req_fail(r, WG_ERR_INVALID, "staff", "staff[%zu].name is required", i);
        snprintf(st[i].role, sizeof(st[i].role), "%s", role);
        snprintf(st[i].name, sizeof(st[i].name), "%s", name);
        if (login)
            snprintf(st[i].user_login, sizeof(st[i].user_login), "%s", login);
        if (ph && *ph) {
            char norm[PII_PHONE_CAP];
            const char *why = NULL;
            if (!pii_phone_valid(ph, norm, sizeof(norm), &why))
                return req_fail(r, WG_ERR_INVALID, "staff", "staff[%zu].phone: %s", i, why);
            if ((e = vault_encrypt(req_vault(r), norm, strlen(norm), "grid_staff.phone",
                                   st[i].phone_sealed, sizeof(st[i].phone_sealed),
                                   &st[i].phone_sealed_len)))
                return e;
            vault_blind_index(req_vault(r), "phone", norm, st[i].phone_bidx);
            pii_mask_phone(norm, st[i].phone_masked, sizeof(st[i].phone_masked));
        }
    }
    if (nchief > 1)
        return req_fail(r, WG_ERR_INVALID, "staff", "a grid has one grid chief");
    if ((e = store_grid_staff_replace(req_store(r), g.code, st, (int)json_array_size(list))))
        return e;
    r->audit_detail = arena_printf(&r->ar, "%zu staff", json_array_size(list));
    return reply_json(r, 200, json_pack("{s:o}", "items", staff_json(req_store(r), g.code)));
}

/* GET /api/grids/{code}/parties */
wg_err h_grid_parties_get(http_req *r)
{
    store_grid g;
    wg_err e = load_grid(r, &g);
    if (e)
        return e;
    return reply_json(r, 200, parties_json(req_store(r), g.code));
}

static const char *const force_types[] = {"police", "urban_management", "health_service",
                                          "caring_merchant", "social_organisation", "volunteers"};

static wg_err read_holder(http_req *r, const char *role, store_grid_party *p, int *n)
{
    json_t *o = json_object_get(r->json, role);
    if (!o || json_is_null(o))
        return WG_OK;
    const char *name = json_string_value(json_object_get(o, "name"));
    const char *contact = json_string_value(json_object_get(o, "contact"));
    if (!json_is_object(o) || !name || !*name || strlen(name) >= STORE_NAME_MAX ||
        (contact && strlen(contact) >= STORE_NAME_MAX))
        return req_fail(r, WG_ERR_INVALID, role, "'%s' is {\"name\", \"contact\"?}", role);
    snprintf(p[*n].role, sizeof(p[0].role), "%s", role);
    snprintf(p[*n].name, sizeof(p[0].name), "%s", name);
    snprintf(p[*n].contact, sizeof(p[0].contact), "%s", contact ? contact : "");
    (*n)++;
    return WG_OK;
}

/* PUT /api/grids/{code}/parties {"lead_party_org", "grid_duty",
 * "community_duty", "property_duty": {"name","contact"}, "forces":
 * [{"type","name","contact"}]}: replaces all of them. */
wg_err h_grid_parties_put(http_req *r)
{
    store_grid g;
    wg_err e = load_grid(r, &g);
    if (e || (e = in_scope(r, PERM_GRIDS_STAFF, g.code)))
        return e;
    if (!json_is_object(r->json))
        return req_fail(r, WG_ERR_BAD_REQUEST, NULL, "the body must be a JSON object");
    store_grid_party *p = arena_calloc(&r->ar, MAX_PARTIES, sizeof(*p));
    if (!p)
        return WG_ERR_NOMEM;
    int n = 0;
    static const char *const holders[] = {"lead_party_org", "grid_duty", "community_duty",
                                          "property_duty"};
    for (size_t i = 0; i < WG_ARRAY_LEN(holders); i++)
        if ((e = read_holder(r, holders[i], p, &n)))
            return e;
    json_t *forces = json_object_get(r->json, "forces"), *f;
    if (forces && !json_is_array(forces))
        return req_fail(r, WG_ERR_BAD_REQUEST, "forces", "'forces' must be an array");
    if (json_array_size(forces) > MAX_PARTIES - 4)
        return req_fail(r, WG_ERR_INVALID, "forces", "at most %d forces", MAX_PARTIES - 4);
    size_t i;
    json_array_foreach(forces, i, f)
    {
        const char *type = json_string_value(json_object_get(f, "type"));
        const char *name = json_string_value(json_object_get(f, "name"));
        const char *contact = json_string_value(json_object_get(f, "contact"));
        bool known = false;
        for (size_t k = 0; type && k < WG_ARRAY_LEN(force_types); k++)
            known |= strcmp(type, force_types[k]) == 0;
        if (!known)
            return req_fail(r, WG_ERR_INVALID, "forces",
                            "forces[%zu].type is police, urban_management, health_service, "
                            "caring_merchant, social_organisation or volunteers",
                            i);
        if (!name || !*name || strlen(name) >= STORE_NAME_MAX ||
            (contact && strlen(contact) >= STORE_NAME_MAX))
            return req_fail(r, WG_ERR_INVALID, "forces", "forces[%zu].name is required", i);
        snprintf(p[n].role, sizeof(p[0].role), "force");
        snprintf(p[n].force_type, sizeof(p[0].force_type), "%s", type);
        snprintf(p[n].name, sizeof(p[0].name), "%s", name);
        snprintf(p[n].contact, sizeof(p[0].contact), "%s", contact ? contact : "");
        n++;
    }
    if ((e = store_grid_parties_replace(req_store(r), g.code, p, n)))
        return e;
    return reply_json(r, 200, parties_json(req_store(r), g.code));
}

/* ---- locate ---- */

static wg_err coordinate(http_req *r, const char *name, double lim, double *out)
{
    const char *v = req_query(r, name);
    if (!v)
        return req_fail(r, WG_ERR_BAD_REQUEST, name, "'%s' is required", name);
    if (!parse_double(v, strlen(v), -lim, lim, out))
        return req_fail(r, WG_ERR_BAD_REQUEST, name, "'%s' must be a number from %g to %g", name,
                        -lim, lim);
    return WG_OK;
}

/* GET /api/locate?lon=&lat= */
wg_err h_locate(http_req *r)
{
    double lon, lat;
    wg_err e;
    if ((e = coordinate(r, "lon", 180, &lon)) || (e = coordinate(r, "lat", 90, &lat)))
        return e;
    locator *l = locsvc_acquire(req_locator(r));
    if (!l)
        return req_fail(r, WG_ERR_UNAVAILABLE, NULL, "the grid index is not built yet");
    loc_hit hit;
    bool in = locator_find(l, lon, lat, &hit);
    json_t *j = NULL;
    if (in) {
        j = locator_hit_json(l, &hit, true);
        if (j)
            json_object_set_new(j, "parties", grids_parties_json(req_store(r), l, &hit));
    }
    locsvc_release(req_locator(r), l);
    if (!in)
        return req_fail(r, WG_ERR_OUTSIDE_COVERAGE, NULL, "no grid contains (%.7f, %.7f)", lon,
                        lat);
    return reply_json(r, 200, j);
}

/* POST /api/locate {"points": [[lon, lat], ...]} (at most 10,000) ->
 * {"results": [{"inside", "chain", "dedicated"}, ...]} in the same order. */
wg_err h_locate_batch(http_req *r)
{
    json_t *pts = json_is_object(r->json) ? json_object_get(r->json, "points") : NULL;
    if (!json_is_array(pts))
        return req_fail(r, WG_ERR_BAD_REQUEST, "points", "'points' must be an array of [lon, lat]");
    size_t n = json_array_size(pts);
    if (n > LOCATE_MAX_POINTS)
        return req_fail(r, WG_ERR_TOO_LARGE, "points", "at most %d points per request (got %zu)",
                        LOCATE_MAX_POINTS, n);
    double *xy = arena_alloc(&r->ar, (n ? n : 1) * 2 * sizeof(double));
    if (!xy)
        return WG_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(pts, i);
        json_t *x = json_array_get(p, 0), *y = json_array_get(p, 1);
        if (!json_is_array(p) || json_array_size(p) != 2 || !json_is_number(x) ||
            !json_is_number(y))
            return req_fail(r, WG_ERR_BAD_REQUEST, "points", "points[%zu] must be [lon, lat]", i);
        xy[2 * i] = json_number_value(x);
        xy[2 * i + 1] = json_number_value(y);
        if (xy[2 * i] < -180 || xy[2 * i] > 180 || xy[2 * i + 1] < -90 || xy[2 * i + 1] > 90)
            return req_fail(r, WG_ERR_BAD_REQUEST, "points", "points[%zu] is out of range", i);
    }
    locator *l = locsvc_acquire(req_locator(r));
    if (!l)
        return req_fail(r, WG_ERR_UNAVAILABLE, NULL, "the grid index is not built yet");
    json_t *results = json_array();
    for (size_t i = 0; i < n && results; i++) {
        loc_hit hit;
        bool in = locator_find(l, xy[2 * i], xy[2 * i + 1], &hit);
        json_array_append_new(results, locator_hit_json(l, &hit, in));
    }
    locsvc_release(req_locator(r), l);
    return reply_json(r, 200, json_pack("{s:o}", "results", results ? results : json_array()));
}
