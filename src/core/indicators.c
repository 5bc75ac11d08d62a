/*
 * indicators.c - indicators and targets (see indicators.h).
 */
#include "core/indicators.h"
#include "core/calendar.h"
#include "util/strparse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static bool one_of(const char *v, const char *const *list, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        if (strcmp(v, list[i]) == 0)
            return true;
    return false;
}

static bool code_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 2 || n >= STORE_KIND_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static bool copy(char *dst, size_t cap, const char *src)
{
    if (!src || strlen(src) >= cap)
        return false;
    memcpy(dst, src, strlen(src) + 1);
    return true;
}

wg_err indicator_define(store *s, const json_t *in, int64_t now, wg_why *why)
{
    static const char *const periods[] = {"month", "quarter", "year"};
    static const char *const directions[] = {"higher", "lower"};
    static const char *const cumulates[] = {"sum", "mean", "last"};
    store_indicator d;
    memset(&d, 0, sizeof(d));
    if (!json_is_object(in))
        return wg_fail(why, WG_ERR_BAD_REQUEST, NULL, "a definition is a JSON object");
    if (!code_ok(str(in, "code")))
        return wg_fail(why, WG_ERR_INVALID, "code", "'code' is 2-31 of a-z, 0-9, _");
    copy(d.code, sizeof(d.code), str(in, "code"));
    if (!copy(d.name, sizeof(d.name), str(in, "name")) || !d.name[0])
        return wg_fail(why, WG_ERR_INVALID, "name", "'name' is required");
    if (json_object_get(in, "unit") && !copy(d.unit, sizeof(d.unit), str(in, "unit")))
        return wg_fail(why, WG_ERR_INVALID, "unit", "'unit' is text of at most 31 bytes");
    if (!one_of(str(in, "period"), periods, 3) ||
        !copy(d.period, sizeof(d.period), str(in, "period")))
        return wg_fail(why, WG_ERR_INVALID, "period", "'period' is month, quarter or year");
    if (!one_of(str(in, "direction"), directions, 2) ||
        !copy(d.direction, sizeof(d.direction), str(in, "direction")))
        return wg_fail(why, WG_ERR_INVALID, "direction", "'direction' is higher or lower");
    if (!one_of(str(in, "cumulate"), cumulates, 3) ||
        !copy(d.cumulate, sizeof(d.cumulate), str(in, "cumulate")))
        return wg_fail(why, WG_ERR_INVALID, "cumulate", "'cumulate' is sum, mean or last");
    const char *src = str(in, "source") ? str(in, "source") : "manual";
    static const char *const rates[] = {"cases:on_time_rate", "cases:closure_rate",
                                        "cases:satisfaction_rate"};
    if (!copy(d.source, sizeof(d.source), src) ||
        !(strcmp(src, "manual") == 0 || one_of(src, rates, 3) || strncmp(src, "ledger:", 7) == 0))
        return wg_fail(why, WG_ERR_INVALID, "source",
                       "'source' is manual, ledger:<kind>:<kpi> or cases:on_time_rate | "
                       "closure_rate | satisfaction_rate");
    if (strncmp(src, "ledger:", 7) == 0) {
        char kind[STORE_KIND_MAX];
        const char *colon = strchr(src + 7, ':');
        size_t kl = colon ? (size_t)(colon - src - 7) : 0;
        ledger_kind *k = NULL;
        wg_why w = {0};
        if (!colon || kl == 0 || kl >= sizeof(kind))
            return wg_fail(why, WG_ERR_INVALID, "source", "'source' is ledger:<kind>:<kpi>");
        memcpy(kind, src + 7, kl);
        kind[kl] = '\0';
        if (ledger_kind_load(s, kind, &k, &w))
            return wg_fail(why, WG_ERR_INVALID, "source", "no ledger %s", kind);
        bool has = false;
        size_t i;
        json_t *q;
        json_array_foreach(json_object_get(ledger_kind_spec(k), "kpis"), i, q) has |=
            strcmp(str(q, "name"), colon + 1) == 0;
        ledger_kind_free(k);
        if (!has)
            return wg_fail(why, WG_ERR_INVALID, "source", "ledger %s has no KPI %s", kind,
                           colon + 1);
    }
    if (json_object_get(in, "section") && !copy(d.section, sizeof(d.section), str(in, "section")))
        return wg_fail(why, WG_ERR_INVALID, "section", "'section' is text of at most 31 bytes");
    const json_t *pos = json_object_get(in, "position");
    d.position = json_is_integer(pos) ? (int)json_integer_value(pos) : 0;
    if (json_object_get(in, "note") && !copy(d.note, sizeof(d.note), str(in, "note")))
        return wg_fail(why, WG_ERR_INVALID, "note", "'note' is text of at most 255 bytes");
    d.updated_at = now;
    wg_err e = store_indicator_put(s, &d);
    const json_t *targets = json_object_get(in, "targets");
    const char *year;
    json_t *tv;
    if (!e && targets && !json_is_object(targets))
        return wg_fail(why, WG_ERR_INVALID, "targets", "'targets' is {\"YYYY\": number}");
    json_object_foreach((json_t *)targets, year, tv)
    {
        int64_t y;
        if (e)
            break;
        if (!parse_i64(year, strlen(year), 1900, 9999, &y) || !json_is_number(tv))
            return wg_fail(why, WG_ERR_INVALID, "targets", "'targets' is {\"YYYY\": number}");
        e = store_indicator_target_put(s, d.code, (int)y, json_number_value(tv));
    }
    return e;
}

/* "2023-04", "2023-Q2" or "2023" as the indicator's period asks. */
static bool period_ok(const char *kind, const char *p)
{
    int y, n;
    char extra;
    if (!p)
        return false;
    if (strcmp(kind, "month") == 0)
        return strlen(p) == 7 && sscanf(p, "%4d-%2d%c", &y, &n, &extra) == 2 && n >= 1 && n <= 12;
    if (strcmp(kind, "quarter") == 0)
        return strlen(p) == 7 && sscanf(p, "%4d-Q%1d%c", &y, &n, &extra) == 2 && n >= 1 && n <= 4;
    return strlen(p) == 4 && sscanf(p, "%4d%c", &y, &extra) == 1;
}

static wg_err count_rows(void *ctx, const store_indicator_value *v)
{
    (void)v;
    (*(int *)ctx)++;
    return WG_OK;
}

wg_err indicator_enter(store *s, const char *code, const char *period, double value,
                       const char *source_note, const char *reason, const char *who, int64_t now,
                       bool *corrected, wg_why *why)
{
    store_indicator d;
    wg_err e = store_indicator_get(s, code, &d);
    if (e == WG_ERR_NOT_FOUND)
        return wg_fail(why, e, NULL, "no indicator %s", code);
    if (e)
        return e;
    if (strcmp(d.source, "manual") != 0)
        return wg_fail(why, WG_ERR_CONFLICT, "value", "%s is computed from %s, not entered", code,
                       d.source);
    if (!period_ok(d.period, period))
        return wg_fail(why, WG_ERR_INVALID, "period", "'period' of %s is %s", code,
                       strcmp(d.period, "month") == 0     ? "YYYY-MM"
                       : strcmp(d.period, "quarter") == 0 ? "YYYY-Qn"
                                                          : "YYYY");
    if (!isfinite(value) || fabs(value) > LEDGER_FIGURE_MAX)
        return wg_fail(why, WG_ERR_INVALID, "value", "'value' is a number of at most %g",
                       LEDGER_FIGURE_MAX);
    int rows = 0;
    if ((e = store_indicator_period_rows(s, code, period, count_rows, &rows)))
        return e;
    *corrected = rows > 0;
    if (*corrected && (!reason || !*reason))
        return wg_fail(why, WG_ERR_CONFLICT, "reason",
                       "%s already has a value for %s: a correction needs a 'reason'", code,
                       period);
    store_indicator_value v;
    memset(&v, 0, sizeof(v));
    copy(v.code, sizeof(v.code), code);
    copy(v.period, sizeof(v.period), period);
    v.value = value;
    if ((source_note && !copy(v.source_note, sizeof(v.source_note), source_note)) ||
        (reason && !copy(v.reason, sizeof(v.reason), reason)))
        return wg_fail(why, WG_ERR_INVALID, "source_note",
                       "'source_note' and 'reason' have at most 255 bytes");
    copy(v.entered_by, sizeof(v.entered_by), who ? who : "-");
    v.entered_at = now;
    return store_indicator_value_add(s, &v);
}

/* ---- the view ---- */

typedef struct {
    const char *upto; /* the last period counted, compared as text */
    const store_indicator *d;
    double sum, last;
    int n;
    json_t *list; /* may be NULL */
} acc;

/* The period p is within the year so far when it does not end after the
 * month upto ("2023-04"): a quarter by its last month, a year by December. */
static bool within(const char *p, const char *upto)
{
    char end[16];
    if (strlen(p) == 7 && p[5] == 'Q')
        snprintf(end, sizeof(end), "%.4s-%02d", p, ((p[6] - '0') * 3) % 100);
    else if (strlen(p) == 4)
        snprintf(end, sizeof(end), "%.4s-12", p);
    else
        snprintf(end, sizeof(end), "%.7s", p);
    return strcmp(end, upto) <= 0;
}

/* Sums of decimal figures carry binary noise (2.6399999999999997). */
static json_t *tidy(double x)
{
    return ledger_figure(round(x * 1e6) / 1e6);
}

static wg_err add_value(void *ctx, const store_indicator_value *v)
{
    acc *a = ctx;
    if (!within(v->period, a->upto))
        return WG_OK;
    a->sum += v->value;
    a->last = v->value;
    a->n++;
    if (a->list)
        json_array_append_new(a->list,
                              json_pack("{s:s, s:o, s:s}", "period", v->period, "value",
                                        ledger_figure(v->value), "source_note", v->source_note));
    return WG_OK;
}

/* Round for display: 4 significant decimals are plenty for a ratio. */
static json_t *ratio(double x)
{
    return isfinite(x) ? json_real(round(x * 10000.0) / 10000.0) : json_null();
}

typedef struct {
    const char *rate;
    double value;
    bool have;
} rate_ctx;

static wg_err take_rate(void *ctx, const store_case_stats *r)
{
    rate_ctx *c = ctx;
    double num = 0, den = 0;
    if (strcmp(c->rate, "cases:on_time_rate") == 0)
        num = (double)r->closed_on_time, den = (double)r->due;
    else if (strcmp(c->rate, "cases:closure_rate") == 0)
        num = (double)r->closed, den = (double)r->due;
    else
        num = (double)r->satisfied, den = (double)r->rated;
    if (den > 0) {
        c->value = num / den;
        c->have = true;
    }
    return WG_OK;
}

/* The year so far of a computed indicator: records of [1 January, end of
 * month upto) of that year. */
static wg_err computed(const ledger_env *env, const store_indicator *d, const char *grid,
                       const char *upto, double *out, bool *have, wg_why *why)
{
    int y = atoi(upto), m = atoi(upto + 5);
    char a[32], b[32];
    snprintf(a, sizeof(a), "%04d-01-01", y % 10000);
    snprintf(b, sizeof(b), "%04d-%02d-01", (m == 12 ? y + 1 : y) % 10000,
             (m == 12 ? 1 : m + 1) % 100);
    int64_t from = 0, to = 0;
    if (!calendar_parse_iso(a, strlen(a), env->utc_offset_min, &from, NULL) ||
        !calendar_parse_iso(b, strlen(b), env->utc_offset_min, &to, NULL))
        return wg_fail(why, WG_ERR_INVALID, "to", "'to' is YYYY-MM");
    *have = false;
    if (strncmp(d->source, "cases:", 6) == 0) {
        rate_ctx c = {.rate = d->source};
        wg_err e = store_case_stats_by(env->s, "", grid, from, to, env->now, take_rate, &c);
        *out = c.value;
        *have = c.have;
        return e;
    }
    char kind[STORE_KIND_MAX] = "";
    const char *colon = strchr(d->source + 7, ':');
    snprintf(kind, sizeof(kind), "%.*s", colon ? (int)(colon - d->source - 7) : 0, d->source + 7);
    ledger_kind *k = NULL;
    json_t *kpis = NULL;
    wg_err e = ledger_kind_load(env->s, kind, &k, why);
    if (!e)
        e = ledger_kpis(env, k, grid, from, to, &kpis);
    const json_t *v = json_object_get(json_object_get(kpis, colon ? colon + 1 : ""), "value");
    if (json_is_number(v)) {
        *out = json_number_value(v);
        *have = true;
    }
    json_decref(kpis);
    ledger_kind_free(k);
    return e;
}

static wg_err year_so_far(const ledger_env *env, const store_indicator *d, const char *grid,
                          const char *upto, json_t *list, double *out, bool *have, wg_why *why)
{
    if (strcmp(d->source, "manual") != 0)
        return computed(env, d, grid, upto, out, have, why);
    char year[8];
    snprintf(year, sizeof(year), "%.4s", upto);
    acc a = {.upto = upto, .d = d, .list = list};
    wg_err e = store_indicator_values(env->s, d->code, year, add_value, &a);
    *have = a.n > 0;
    *out = strcmp(d->cumulate, "sum") == 0    ? a.sum
           : strcmp(d->cumulate, "mean") == 0 ? (a.n ? a.sum / a.n : 0)
                                              : a.last;
    return e;
}

typedef struct {
    const ledger_env *env;
    const char *grid, *to;
    char prev[16];
    json_t *items;
    wg_why *why;
} view_ctx;

static wg_err add_indicator(void *ctx, const store_indicator *d)
{
    view_ctx *c = ctx;
    json_t *periods = json_array();
    double now_v = 0, prev_v = 0, target = 0;
    bool have = false, have_prev = false;
    wg_err e = year_so_far(c->env, d, c->grid, c->to, periods, &now_v, &have, c->why);
    if (!e)
        e = year_so_far(c->env, d, c->grid, c->prev, NULL, &prev_v, &have_prev, c->why);
    bool has_target =
        !e && store_indicator_target(c->env->s, d->code, atoi(c->to), &target) == WG_OK;
    if (e) {
        json_decref(periods);
        return e;
    }
    bool higher = strcmp(d->direction, "higher") == 0;
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "code", d->code,
        "name", d->name, "unit", d->unit, "period", d->period, "direction", d->direction,
        "cumulate", d->cumulate, "source", d->source, "year_to_date",
        have ? tidy(now_v) : json_null(), "last_year_to_date",
        have_prev ? tidy(prev_v) : json_null(), "change_year_on_year",
        have && have_prev && prev_v != 0 ? ratio((now_v - prev_v) / fabs(prev_v)) : json_null(),
        "target", has_target ? ledger_figure(target) : json_null(), "completion",
        have && has_target && target != 0 ? ratio(now_v / target) : json_null(), "target_met",
        have && has_target ? json_boolean(higher ? now_v >= target : now_v <= target) : json_null(),
        "periods", periods);
    json_object_set_new(j, "section", json_string(d->section));
    json_object_set_new(j, "position", json_integer(d->position));
    return j && !json_array_append_new(c->items, j) ? WG_OK : WG_ERR_NOMEM;
}

wg_err indicators_view(const ledger_env *env, const char *grid, const char *to, json_t **out,
                       wg_why *why)
{
    int y, m;
    char extra;
    if (!to || strlen(to) != 7 || sscanf(to, "%4d-%2d%c", &y, &m, &extra) != 2 || m < 1 || m > 12 ||
        y < 1901)
        return wg_fail(why, WG_ERR_BAD_REQUEST, "to", "'to' is a month YYYY-MM");
    view_ctx c = {.env = env, .grid = grid, .to = to, .items = json_array(), .why = why};
    snprintf(c.prev, sizeof(c.prev), "%04d-%02d", (y - 1) % 10000, m % 100);
    wg_err e = store_indicators(env->s, add_indicator, &c);
    if (e) {
        json_decref(c.items);
        return e;
    }
    *out = json_pack("{s:s, s:o}", "to", to, "items", c.items);
    return *out ? WG_OK : WG_ERR_NOMEM;
}

static wg_err count_rows_of(void *ctx, const store_indicator_value *v)
{
    (void)v;
    (*(int *)ctx)++;
    return WG_OK;
}

wg_err indicators_import(store *s, const char *path, const char *who, int64_t now, int *defined,
                         int *entered, wg_why *why)
{
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    *defined = *entered = 0;
    if (!doc)
        return wg_fail(why, WG_ERR_IO, NULL, "%s:%d: %s", path, je.line, je.text);
    const json_t *list = json_object_get(doc, "indicators");
    const char *note = str(doc, "source_note");
    wg_err e = json_is_array(list)
                   ? WG_OK
                   : wg_fail(why, WG_ERR_INVALID, NULL, "%s: no \"indicators\" list", path);
    size_t i;
    json_t *d;
    json_array_foreach(list, i, d)
    {
        if (e)
            break;
        const char *code = str(d, "code");
        if (!(e = indicator_define(s, d, now, why)))
            (*defined)++;
        const char *period;
        json_t *v;
        json_object_foreach(json_object_get(d, "values"), period, v)
        {
            int have = 0;
            bool corrected;
            if (e || (e = store_indicator_period_rows(s, code, period, count_rows_of, &have)) ||
                have)
                continue;
            if (!json_is_number(v))
                e = wg_fail(why, WG_ERR_INVALID, "values", "%s %s: a value is a number", code,
                            period);
            else if (!(e = indicator_enter(s, code, period, json_number_value(v), note, NULL, who,
                                           now, &corrected, why)))
                (*entered)++;
        }
    }
    if (e && why->msg[0]) {
        char m[sizeof(why->msg)];
        snprintf(m, sizeof(m), "%s", why->msg);
        snprintf(why->msg, sizeof(why->msg), "%.60s: indicator %zu: %.180s", path, i + 1, m);
    }
    json_decref(doc);
    return e;
}
