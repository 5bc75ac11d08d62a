/*
 * ledgers.c - ledger kinds as data: declarations checked, entries validated
 * against them, actions run, history written, KPIs computed.
 */
#include "core/ledgers.h"
#include "core/attach.h"
#include "core/calendar.h"
#include "core/catalogue.h"
#include "core/pii.h"
#include "core/record.h"
#include "util/csv.h"
#include "util/strparse.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The declaration and its workflow compiled for core/record.c: states
 * and actions by index (names point into spec), one step per action,
 * groups = roles (bit role_id). */
struct ledger_kind {
    json_t *spec;
    const char *code, *name;
    const char *states[RECORD_MAX_STATES];
    const char *actions[RECORD_MAX_ACTIONS];
    record_step steps[RECORD_MAX_ACTIONS];
    record_flow flow;
};

static const char *const field_types[] = {"text",   "number", "money", "area", "date", "enum",
                                          "person", "org",    "place", "grid", "bool"};

#define SEALED_MAX 4096
#define MAX_TEXT 4000

/* ---- reading a declaration ---- */

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool ident_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' || (i && s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

/* The [code, label] pair list `list` holds `code`. */
static bool pairs_have(const json_t *list, const char *code)
{
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p) if (code && strcmp(json_string_value(json_array_get(p, 0)),
                                                      code) == 0) return true;
    return false;
}

static const char *pair_label(const json_t *list, const char *code)
{
    size_t i;
    json_t *p;
    json_array_foreach(list, i,
                       p) if (code && strcmp(json_string_value(json_array_get(p, 0)), code) ==
                                          0) return json_string_value(json_array_get(p, 1));
    return code;
}

static bool pairs_ok(const json_t *list)
{
    if (!json_is_array(list) || json_array_size(list) == 0)
        return false;
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p)
    {
        /* [code, label] or [code, label, measure word] (家, 个: for reports) */
        size_t n = json_array_size(p);
        if ((n != 2 && n != 3) || !json_is_string(json_array_get(p, 0)) ||
            !json_is_string(json_array_get(p, 1)) ||
            (n == 3 && !json_is_string(json_array_get(p, 2))) ||
            !ident_ok(json_string_value(json_array_get(p, 0)), 31))
            return false;
    }
    return true;
}

static const json_t *find_named(const json_t *list, const char *key, const char *name)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i,
                       x) if (name && strcmp(str(x, key) ? str(x, key) : "", name) == 0) return x;
    return NULL;
}

static const json_t *field_of(const ledger_kind *k, const char *name)
{
    return find_named(json_object_get(k->spec, "fields"), "name", name);
}

static bool states_all_known(const json_t *states, const json_t *list)
{
    if (!json_is_array(list))
        return false;
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s) if (!pairs_have(states, json_string_value(s))) return false;
    return true;
}

static wg_err check_fields(const json_t *fields, wg_why *why)
{
    if (!json_is_array(fields) || json_array_size(fields) == 0)
        return wg_fail(why, WG_ERR_INVALID, "fields", "'fields' is a non-empty array");
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f)
    {
        const char *name = str(f, "name"), *type = str(f, "type");
        if (!ident_ok(name, 31))
            return wg_fail(why, WG_ERR_INVALID, "fields",
                           "field %zu: 'name' is 1-31 of a-z, 0-9, _", i + 1);
        if (!str(f, "label"))
            return wg_fail(why, WG_ERR_INVALID, "fields", "field %s: 'label' is required", name);
        bool known = false;
        for (size_t t = 0; type && t < WG_ARRAY_LEN(field_types); t++)
            known |= strcmp(type, field_types[t]) == 0;
        if (!known)
            return wg_fail(why, WG_ERR_INVALID, "fields",
                           "field %s: 'type' is text, number, money, area, date, enum, person, "
                           "org, place, grid or bool",
                           name);
        if (strcmp(type, "enum") == 0 && !pairs_ok(json_object_get(f, "values")))
            return wg_fail(why, WG_ERR_INVALID, "fields",
                           "field %s: an enum needs 'values': [[code, label], ...]", name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(str(json_array_get(fields, j), "name"), name) == 0)
                return wg_fail(why, WG_ERR_INVALID, "fields", "field %s is declared twice", name);
    }
    return WG_OK;
}

static wg_err check_actions(const json_t *spec, wg_why *why)
{
    const json_t *states = json_object_get(spec, "states"),
                 *actions = json_object_get(spec, "actions");
    if (!json_is_array(actions))
        return wg_fail(why, WG_ERR_INVALID, "actions", "'actions' is an array");
    size_t i;
    json_t *a;
    json_array_foreach(actions, i, a)
    {
        const char *name = str(a, "action");
        if (!ident_ok(name, 31) || !str(a, "label"))
            return wg_fail(why, WG_ERR_INVALID, "actions",
                           "action %zu: 'action' (a-z, _) and 'label' are required", i + 1);
        if (!states_all_known(states, json_object_get(a, "from")))
            return wg_fail(why, WG_ERR_INVALID, "actions",
                           "action %s: 'from' lists declared states", name);
        const json_t *to = json_object_get(a, "to");
        if (!json_is_null(to) && !pairs_have(states, json_string_value(to)))
            return wg_fail(why, WG_ERR_INVALID, "actions",
                           "action %s: 'to' is a declared state or null", name);
        const json_t *roles = json_object_get(a, "roles");
        size_t j;
        json_t *r;
        role_id rid;
        if (!json_is_array(roles) || json_array_size(roles) == 0)
            return wg_fail(why, WG_ERR_INVALID, "actions", "action %s: 'roles' is required", name);
        json_array_foreach(roles, j, r)
        {
            if (!actor_role_parse(json_string_value(r), &rid))
                return wg_fail(why, WG_ERR_INVALID, "actions",
                               json_is_string(r) ? "action %s: no role %s"
                                                 : "action %s: a role is a string (%s)",
                               name, json_is_string(r) ? json_string_value(r) : "not one");
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(str(json_array_get(actions, k), "action"), name) == 0)
                return wg_fail(why, WG_ERR_INVALID, "actions", "action %s is declared twice", name);
    }
    return WG_OK;
}

static bool is_numeric_type(const char *t)
{
    return t && (strcmp(t, "number") == 0 || strcmp(t, "money") == 0 || strcmp(t, "area") == 0);
}

static wg_err check_kpis(const ledger_kind *k, wg_why *why)
{
    const json_t *kpis = json_object_get(k->spec, "kpis");
    if (!kpis)
        return WG_OK;
    if (!json_is_array(kpis))
        return wg_fail(why, WG_ERR_INVALID, "kpis", "'kpis' is an array");
    const json_t *states = json_object_get(k->spec, "states");
    size_t i;
    json_t *q;
    json_array_foreach(kpis, i, q)
    {
        const char *name = str(q, "name");
        if (!ident_ok(name, 31) || !str(q, "label"))
            return wg_fail(why, WG_ERR_INVALID, "kpis", "KPI %zu: 'name' and 'label' are required",
                           i + 1);
        const json_t *count = json_object_get(q, "count"), *ratio = json_object_get(q, "ratio");
        const char *sum = str(q, "sum");
        if (!!count + !!sum + !!ratio != 1)
            return wg_fail(why, WG_ERR_INVALID, "kpis",
                           "KPI %s: exactly one of 'count', 'sum', 'ratio'", name);
        const json_t *where = count ? count : json_object_get(q, "where");
        const json_t *st = json_object_get(where, "status");
        if (st && !(json_is_string(st) ? pairs_have(states, json_string_value(st))
                                       : states_all_known(states, st)))
            return wg_fail(why, WG_ERR_INVALID, "kpis", "KPI %s: 'status' names declared states",
                           name);
        const json_t *fe = json_object_get(where, "field");
        if (fe) {
            const char *fname;
            json_t *fv;
            json_object_foreach((json_t *)fe, fname, fv)
            {
                const json_t *f = field_of(k, fname);
                if (!f || !(json_is_string(fv) || json_is_integer(fv) || json_is_boolean(fv)))
                    return wg_fail(why, WG_ERR_INVALID, "kpis",
                                   "KPI %s: 'field' matches a declared field to a value", name);
            }
        }
        if (sum && !is_numeric_type(str(field_of(k, sum), "type")))
            return wg_fail(why, WG_ERR_INVALID, "kpis", "KPI %s: 'sum' names a number field", name);
        if (ratio) {
            const char *num = str(ratio, "num");
            const json_t *den = json_object_get(ratio, "den");
            bool ok = num && find_named(kpis, "name", num) && find_named(kpis, "name", num) != q &&
                      json_is_array(den) && json_array_size(den) > 0;
            size_t j;
            json_t *d;
            json_array_foreach(den, j, d)
            {
                const char *dn = json_string_value(d);
                ok = ok && dn && find_named(kpis, "name", dn[0] == '-' ? dn + 1 : dn);
            }
            /* terms must be declared before the ratio */
            for (size_t j2 = i; ok && j2 < json_array_size(kpis); j2++)
                ok = strcmp(str(json_array_get(kpis, j2), "name"), num) != 0;
            if (!ok)
                return wg_fail(why, WG_ERR_INVALID, "kpis",
                               "KPI %s: 'ratio' is {num: kpi, den: [kpi, \"-kpi\", ...]} of KPIs "
                               "declared before it",
                               name);
        }
    }
    return WG_OK;
}

static bool limit_ok(const char *s)
{
    cat_limit lim;
    return s && catalogue_limit_parse(s, &lim);
}

/* The declaration's states and actions as a record_flow. */
static wg_err compile_flow(ledger_kind *k, wg_why *why)
{
    const json_t *states = json_object_get(k->spec, "states"),
                 *actions = json_object_get(k->spec, "actions");
    if (json_array_size(states) > RECORD_MAX_STATES)
        return wg_fail(why, WG_ERR_INVALID, "states", "at most %d states", RECORD_MAX_STATES);
    if (json_array_size(actions) > RECORD_MAX_ACTIONS)
        return wg_fail(why, WG_ERR_INVALID, "actions", "at most %d actions", RECORD_MAX_ACTIONS);
    k->flow = (record_flow){.noun = "entry",
                            .states = k->states,
                            .nstates = (int)json_array_size(states),
                            .actions = k->actions,
                            .nactions = (int)json_array_size(actions),
                            .steps = k->steps,
                            .nsteps = (int)json_array_size(actions),
                            .forbid_by_groups = true};
    size_t i, j;
    json_t *v;
    json_array_foreach(states, i, v) k->states[i] = json_string_value(json_array_get(v, 0));
    json_array_foreach(actions, i, v)
    {
        record_step *s = &k->steps[i];
        k->actions[i] = str(v, "action");
        *s = (record_step){.action = (int)i, .to = RECORD_SAME};
        json_t *x;
        json_array_foreach(json_object_get(v, "from"), j, x)
        {
            int st = record_state_index(&k->flow, json_string_value(x));
            if (st < 0)
                return wg_fail(why, WG_ERR_INVALID, "actions", "action %s: no state %s",
                               k->actions[i], json_string_value(x) ? json_string_value(x) : "?");
            s->from |= 1u << st;
        }
        const char *to = json_string_value(json_object_get(v, "to"));
        if (to && (s->to = record_state_index(&k->flow, to)) < 0)
            return wg_fail(why, WG_ERR_INVALID, "actions", "action %s: no state %s", k->actions[i],
                           to);
        json_array_foreach(json_object_get(v, "roles"), j, x)
        {
            role_id rid;
            if (actor_role_parse(json_string_value(x), &rid))
                s->who |= 1u << rid;
        }
    }
    return WG_OK;
}

wg_err ledger_kind_parse(const char *text, ledger_kind **out, wg_why *why)
{
    json_error_t je;
    json_t *spec = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!spec)
        return wg_fail(why, WG_ERR_BAD_JSON, NULL, "the declaration is not JSON: %s (line %d)",
                       je.text, je.line);
    ledger_kind *k = calloc(1, sizeof(*k));
    if (!k) {
        json_decref(spec);
        return WG_ERR_NOMEM;
    }
    k->spec = spec;
    k->code = str(spec, "code");
    k->name = str(spec, "name");
    wg_err e = WG_OK;
    const json_t *states = json_object_get(spec, "states");
    const json_t *dl = json_object_get(spec, "deadline");
    const char *dlf = str(dl, "field");
    if (!json_is_object(spec))
        e = wg_fail(why, WG_ERR_INVALID, NULL, "a declaration is a JSON object");
    else if (!ident_ok(k->code, STORE_KIND_MAX - 1))
        e = wg_fail(why, WG_ERR_INVALID, "code", "'code' is 2-31 of a-z, 0-9, _");
    else if (!k->name)
        e = wg_fail(why, WG_ERR_INVALID, "name", "'name' is required");
    else if ((e = check_fields(json_object_get(spec, "fields"), why)))
        ;
    else if (!pairs_ok(states))
        e = wg_fail(why, WG_ERR_INVALID, "states", "'states' is [[code, label], ...]");
    else if (!pairs_have(states, str(spec, "initial")))
        e = wg_fail(why, WG_ERR_INVALID, "initial", "'initial' is a declared state");
    else if (!states_all_known(states, json_object_get(spec, "done")))
        e = wg_fail(why, WG_ERR_INVALID, "done", "'done' lists declared states");
    else if (dl &&
             (!json_is_object(dl) ||
              (dlf && strcmp(str(field_of(k, dlf), "type") ? str(field_of(k, dlf), "type") : "",
                             "date") != 0) ||
              (json_object_get(dl, "days") && !json_is_integer(json_object_get(dl, "days"))) ||
              (json_object_get(dl, "limit") && !limit_ok(str(dl, "limit")))))
        e = wg_fail(why, WG_ERR_INVALID, "deadline",
                    "'deadline' is {field?: a date field, days?: a whole number, limit?: "
                    "working time such as \"4h\" or \"3d\"}");
    else if ((e = check_actions(spec, why)))
        ;
    else if ((e = compile_flow(k, why)))
        ;
    else
        e = check_kpis(k, why);
    if (e) {
        ledger_kind_free(k);
        return e;
    }
    *out = k;
    return WG_OK;
}

void ledger_kind_free(ledger_kind *k)
{
    if (!k)
        return;
    json_decref(k->spec);
    free(k);
}

bool ledger_kind_has_state(const ledger_kind *k, const char *code)
{
    return record_state_index(&k->flow, code) >= 0;
}

const char *ledger_kind_code(const ledger_kind *k)
{
    return k->code;
}

const char *ledger_kind_name(const ledger_kind *k)
{
    return k->name;
}

const json_t *ledger_kind_spec(const ledger_kind *k)
{
    return k->spec;
}

wg_err ledger_kind_load(store *s, const char *code, ledger_kind **out, wg_why *why)
{
    char *text = NULL;
    wg_err e = store_ledger_kind_get(s, code, &text);
    if (e == WG_ERR_NOT_FOUND)
        return wg_fail(why, e, NULL, "no ledger %s (see GET /api/ledgers)", code);
    if (e)
        return e;
    e = ledger_kind_parse(text, out, why);
    free(text);
    return e;
}

wg_err ledger_kind_install(store *s, const char *text, int64_t now, char code[STORE_KIND_MAX],
                           wg_why *why)
{
    ledger_kind *k = NULL;
    wg_err e = ledger_kind_parse(text, &k, why);
    if (e)
        return e;
    char *compact = json_dumps(k->spec, JSON_COMPACT | JSON_PRESERVE_ORDER);
    e = compact ? store_ledger_kind_put(s, k->code, k->name, compact, now) : WG_ERR_NOMEM;
    snprintf(code, STORE_KIND_MAX, "%s", k->code);
    free(compact);
    ledger_kind_free(k);
    return e;
}

/* ---- values ---- */

/* Characters (code points) of valid UTF-8, as jansson's strings are. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* "YYYY-MM-DD": the last second of that local day. */
static bool parse_day(const char *s, int utc_offset_min, int64_t *end_of_day)
{
    int64_t day;
    if (!s || !calendar_parse_date(s, strlen(s), &day))
        return false;
    *end_of_day = (day + 1) * 86400 - 1 - (int64_t)utc_offset_min * 60;
    return true;
}

/* "张三" -> "张*" (first character kept, the rest starred). */
static void mask_name(const char *name, char *out, size_t cap)
{
    size_t n = 0, i = 0;
    out[0] = '\0';
    if (!name || !*name)
        return;
    size_t first = 1;
    while (name[first] && ((unsigned char)name[first] & 0xC0) == 0x80)
        first++;
    if (first >= cap)
        return;
    memcpy(out, name, first);
    n = first;
    for (i = first; name[i]; i++)
        if ((((unsigned char)name[i]) & 0xC0) != 0x80 && n + 1 < cap)
            out[n++] = '*';
    out[n] = '\0';
}

/* A person value {"name", "phone"?} (or a list of them when multiple):
 * checked, sealed as a whole, and shown masked. */
static wg_err seal_person(const ledger_env *env, const json_t *f, const json_t *val,
                          const char *kind, json_t **out, wg_why *why)
{
    const char *fname = str(f, "name");
    bool multiple = json_is_true(json_object_get(f, "multiple"));
    json_t *list = json_is_array(val) ? json_incref((json_t *)val) : json_pack("[O]", val);
    if (!list)
        return WG_ERR_NOMEM;
    if ((!multiple && json_array_size(list) != 1) || json_array_size(list) > 50) {
        json_decref(list);
        return wg_fail(why, WG_ERR_INVALID, fname, "'%s' is %s", fname,
                       multiple ? "a list of up to 50 people" : "one person {\"name\", \"phone\"}");
    }
    char masked[1024] = "";
    size_t mn = 0;
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p)
    {
        const char *name = str(p, "name"), *phone = str(p, "phone");
        char norm[32];
        const char *reason = NULL;
        if (!json_is_object(p) || !name || !*name || strlen(name) > 64) {
            json_decref(list);
            return wg_fail(why, WG_ERR_INVALID, fname, "'%s': each person has a \"name\"", fname);
        }
        if (phone && *phone && !pii_phone_valid(phone, norm, sizeof(norm), &reason)) {
            json_decref(list);
            return wg_fail(why, WG_ERR_INVALID, fname, "'%s': the phone of %s: %s", fname, name,
                           reason);
        }
        char mname[96], mphone[32] = "";
        mask_name(name, mname, sizeof(mname));
        if (phone && *phone)
            pii_mask_phone(norm, mphone, sizeof(mphone));
        mn += (size_t)snprintf(masked + mn, mn < sizeof(masked) ? sizeof(masked) - mn : 0,
                               "%s%s%s%s%s", i ? "，" : "", mname, *mphone ? "（" : "", mphone,
                               *mphone ? "）" : "");
        if (mn >= sizeof(masked))
            mn = sizeof(masked) - 1;
    }
    char *plain = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    if (!plain)
        return WG_ERR_NOMEM;
    unsigned char sealed[SEALED_MAX];
    size_t sl = 0;
    char ad[80];
    snprintf(ad, sizeof(ad), "records.%s.%s", kind, fname);
    wg_err e = vault_encrypt(env->v, plain, strlen(plain), ad, sealed, sizeof(sealed), &sl);
    sodium_memzero(plain, strlen(plain));
    free(plain);
    if (e == WG_ERR_TOO_LARGE)
        return wg_fail(why, WG_ERR_INVALID, fname, "'%s' is too long", fname);
    if (e)
        return e;
    char b64[SEALED_MAX * 4 / 3 + 8];
    sodium_bin2base64(b64, sizeof(b64), sealed, sl, sodium_base64_VARIANT_ORIGINAL);
    *out = json_pack(
        "{s:s, s:s, s:i}", "sealed", b64, "masked", masked, "count",
        (int)json_array_size(json_is_array(val) ? val : NULL) ? (int)json_array_size(val) : 1);
    return *out ? WG_OK : WG_ERR_NOMEM;
}

json_t *ledger_figure(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

/* Check one value against its field; *out gets what is stored. */
static wg_err field_value(const ledger_env *env, const ledger_kind *k, const json_t *f,
                          const json_t *val, json_t **out, wg_why *why)
{
    const char *name = str(f, "name"), *type = str(f, "type"), *label = str(f, "label");
    const json_t *jmax = json_object_get(f, "max"), *jmin = json_object_get(f, "min");
    if (strcmp(type, "text") == 0 || strcmp(type, "org") == 0 || strcmp(type, "place") == 0) {
        size_t max = jmax ? (size_t)json_integer_value(jmax) : MAX_TEXT;
        const char *s = json_string_value(val);
        if (!s || utf8_chars(s) > max)
            return wg_fail(why, WG_ERR_INVALID, name, "'%s' (%s) is text of at most %zu characters",
                           name, label, max);
        *out = json_string(s);
    } else if (is_numeric_type(type)) {
        if (!json_is_number(val))
            return wg_fail(why, WG_ERR_INVALID, name, "'%s' (%s) is a number", name, label);
        double x = json_number_value(val);
        if (!isfinite(x) || fabs(x) > LEDGER_FIGURE_MAX || (jmin && x < json_number_value(jmin)) ||
            (jmax && x > json_number_value(jmax)) || (strcmp(type, "number") != 0 && x < 0))
            return wg_fail(why, WG_ERR_INVALID, name, "'%s' (%s) is out of range", name, label);
        *out = json_deep_copy(val);
    } else if (strcmp(type, "date") == 0) {
        int64_t t;
        if (!parse_day(json_string_value(val), env->utc_offset_min, &t))
            return wg_fail(why, WG_ERR_INVALID, name, "'%s' (%s) is a date YYYY-MM-DD", name,
                           label);
        *out = json_deep_copy(val);
    } else if (strcmp(type, "enum") == 0) {
        if (!pairs_have(json_object_get(f, "values"), json_string_value(val))) {
            char codes[512] = "";
            size_t n = 0, i;
            json_t *p;
            json_array_foreach(json_object_get(f, "values"), i, p) if (n < sizeof(codes)) n +=
                (size_t)snprintf(codes + n, sizeof(codes) - n, "%s%s", i ? ", " : "",
                                 json_string_value(json_array_get(p, 0)));
            return wg_fail(why, WG_ERR_INVALID, name, "'%s' (%s) is one of %s", name, label, codes);
        }
        *out = json_deep_copy(val);
    } else if (strcmp(type, "bool") == 0) {
        if (!json_is_boolean(val))
            return wg_fail(why, WG_ERR_INVALID, name, "'%s' (%s) is true or false", name, label);
        *out = json_deep_copy(val);
    } else if (strcmp(type, "grid") == 0) {
        store_grid g;
        const char *code = json_string_value(val);
        if (!code || strlen(code) >= STORE_GRID_CODE_MAX ||
            store_grid_get(env->s, code, false, &g) != WG_OK)
            return wg_fail(why, WG_ERR_INVALID, name, "'%s' (%s) is the code of a grid", name,
                           label);
        *out = json_string(code);
    } else { /* person */
        return seal_person(env, f, val, k->code, out, why);
    }
    return *out ? WG_OK : WG_ERR_NOMEM;
}

/* The deadline: the end of the date field's day, else creation + a
 * working-time limit (core/record.c, as for cases), else + days. */
static int64_t deadline_of(const ledger_env *env, const ledger_kind *k, const json_t *data,
                           int64_t created_at)
{
    const json_t *dl = json_object_get(k->spec, "deadline");
    int64_t t = 0;
    const char *field = str(dl, "field");
    if (field && parse_day(str(data, field), env->utc_offset_min, &t))
        return t;
    const char *limit = str(dl, "limit");
    if (limit && env->cal)
        return record_due(env->cal, created_at, limit, 100);
    json_int_t days = json_integer_value(json_object_get(dl, "days"));
    return days > 0 ? created_at + days * 86400 : 0;
}

static bool is_done(const ledger_kind *k, const char *status)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(k->spec, "done"), i,
                       s) if (strcmp(json_string_value(s), status) == 0) return true;
    return false;
}

/* Apply {"grid", "owner_unit", "owner_person", "fields"} to r; on create
 * every required field must be there. */
static wg_err apply_input(const ledger_env *env, const ledger_kind *k, store_record *r,
                          const json_t *in, bool create, json_t **changed, wg_why *why)
{
    if (!json_is_object(in))
        return wg_fail(why, WG_ERR_BAD_REQUEST, NULL, "the body is a JSON object");
    const char *grid = str(in, "grid");
    if (json_object_get(in, "grid") || create) {
        store_grid g;
        if (!grid || strlen(grid) >= sizeof(r->grid) || store_grid_get(env->s, grid, false, &g))
            return wg_fail(why, WG_ERR_INVALID, "grid", "'grid' is the code of a grid");
        if (!actor_can_in_grid(env->who, PERM_LEDGERS_WRITE, grid))
            return wg_fail(why, WG_ERR_FORBIDDEN, "grid", "grid %s is outside your scope", grid);
        snprintf(r->grid, sizeof(r->grid), "%s", grid);
    }
    struct {
        const char *key;
        char *dst;
        size_t cap;
    } common[] = {{"owner_unit", r->owner_unit, sizeof(r->owner_unit)},
                  {"owner_person", r->owner_person, sizeof(r->owner_person)}};
    for (size_t i = 0; i < WG_ARRAY_LEN(common); i++) {
        const json_t *v = json_object_get(in, common[i].key);
        if (!v)
            continue;
        if (!json_is_string(v) || json_string_length(v) >= common[i].cap)
            return wg_fail(why, WG_ERR_INVALID, common[i].key, "'%s' is text of at most %zu bytes",
                           common[i].key, common[i].cap - 1);
        snprintf(common[i].dst, common[i].cap, "%s", json_string_value(v));
    }
    const json_t *fields = json_object_get(in, "fields");
    if (fields && !json_is_object(fields))
        return wg_fail(why, WG_ERR_BAD_REQUEST, "fields", "'fields' is an object");
    json_error_t je;
    json_t *data = json_loads(r->data[0] ? r->data : "{}", 0, &je);
    if (!data)
        return WG_ERR_STORE;
    *changed = json_array();
    const char *name;
    json_t *val;
    json_object_foreach((json_t *)fields, name, val)
    {
        const json_t *f = field_of(k, name);
        if (!f) {
            json_decref(data);
            return wg_fail(why, WG_ERR_INVALID, name, "%s has no field '%s'", k->code, name);
        }
        json_t *v = NULL;
        wg_err e = json_is_null(val)
                       ? (json_is_true(json_object_get(f, "required"))
                              ? wg_fail(why, WG_ERR_INVALID, name, "'%s' (%s) is required", name,
                                        str(f, "label"))
                              : WG_OK)
                       : field_value(env, k, f, val, &v, why);
        if (e) {
            json_decref(data);
            return e;
        }
        if (v)
            json_object_set_new(data, name, v);
        else
            json_object_del(data, name);
        json_array_append_new(*changed, json_string(name));
    }
    if (create) {
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(k->spec, "fields"), i,
                           f) if (json_is_true(json_object_get(f, "required")) &&
                                  !json_object_get(data, str(f, "name")))
        {
            json_decref(data);
            return wg_fail(why, WG_ERR_INVALID, str(f, "name"), "'%s' (%s) is required",
                           str(f, "name"), str(f, "label"));
        }
    }
    char *text = json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER);
    wg_err e = WG_OK;
    if (!text)
        e = WG_ERR_NOMEM;
    else if (strlen(text) >= sizeof(r->data))
        e = wg_fail(why, WG_ERR_TOO_LARGE, "fields", "the fields take more than %zu bytes",
                    sizeof(r->data) - 1);
    else
        snprintf(r->data, sizeof(r->data), "%s", text);
    free(text);
    if (!e && (r->due_at = deadline_of(env, k, data, r->created_at ? r->created_at : env->now)) < 0)
        r->due_at = 0;
    json_decref(data);
    return e;
}

/* One history row; takes data (may be NULL). */
static wg_err history(const ledger_env *env, const store_record *r, const char *action,
                      const char *from, const char *note, json_t *data)
{
    store_event ev;
    record_event_make(&ev, r->id, env->now, env->who ? env->who->login : "-", action, from,
                      r->status, note, data);
    json_decref(data);
    return store_record_event_add(env->s, &ev);
}

wg_err ledger_record_create(const ledger_env *env, const ledger_kind *k, const json_t *in,
                            store_record *out, wg_why *why)
{
    store_record *r = out;
    memset(r, 0, sizeof(*r));
    snprintf(r->kind, sizeof(r->kind), "%s", k->code);
    snprintf(r->status, sizeof(r->status), "%s", str(k->spec, "initial"));
    snprintf(r->created_by, sizeof(r->created_by), "%s", env->who ? env->who->login : "-");
    r->created_at = r->updated_at = env->now;
    json_t *changed = NULL;
    const json_t *att = json_object_get(in, "attachments");
    wg_err e = att ? attach_check_list(env->s, att, why) : WG_OK;
    if (!e)
        e = apply_input(env, k, r, in, true, &changed, why);
    if (!e && is_done(k, r->status))
        r->done_at = env->now;
    if (!e)
        e = store_record_insert(env->s, r);
    if (!e)
        e = history(env, r, "create", "", NULL,
                    json_pack("{s:O, s:O*}", "fields", changed, "attachments", att));
    json_decref(changed);
    return e;
}

wg_err ledger_record_edit(const ledger_env *env, const ledger_kind *k, store_record *r,
                          const json_t *in, wg_why *why)
{
    json_t *changed = NULL;
    wg_err e = apply_input(env, k, r, in, false, &changed, why);
    if (!e) {
        r->updated_at = env->now;
        r->version++;
        e = store_record_update(env->s, r);
    }
    if (!e)
        e = history(env, r, "edit", r->status, NULL, json_pack("{s:O}", "fields", changed));
    json_decref(changed);
    return e;
}

/* The actor as the flow sees it: the roles it holds over r's grid. */
static record_asker asker(const actor *who, const store_record *r)
{
    record_asker a = {0};
    for (int g = 0; who && g < who->ngrants; g++) {
        const role_grant *gr = &who->grants[g];
        if (gr->kind == SCOPE_ALL ||
            (gr->kind == SCOPE_GRID && actor_grid_contains(gr->scope, r->grid)))
            a.groups |= 1u << gr->role;
    }
    return a;
}

static json_t *allowed(const ledger_env *env, const ledger_kind *k, const store_record *r)
{
    json_t *out = json_array();
    record_asker who = asker(env->who, r);
    uint64_t mask = record_allowed(&k->flow, record_state_index(&k->flow, r->status), &who);
    for (int i = 0; out && i < k->flow.nactions; i++)
        if (mask & (1ull << i)) {
            const json_t *a = json_array_get(json_object_get(k->spec, "actions"), (size_t)i);
            json_array_append_new(
                out, json_pack("{s:s, s:s}", "action", k->actions[i], "label", str(a, "label")));
        }
    return out;
}

wg_err ledger_record_act(const ledger_env *env, const ledger_kind *k, store_record *r,
                         const char *action, const char *note, const json_t *attachments,
                         wg_why *why)
{
    int ai = record_action_index(&k->flow, action);
    if (ai < 0)
        return wg_fail(why, WG_ERR_NOT_FOUND, "action", "%s has no action %s", k->code, action);
    record_asker who = asker(env->who, r);
    int state = record_state_index(&k->flow, r->status);
    int step = record_step_find(&k->flow, state, ai, &who);
    if (step < 0)
        return record_refuse(&k->flow, state, ai, &who,
                             pair_label(json_object_get(k->spec, "states"), r->status), why);
    if (note && strlen(note) > 1000)
        return wg_fail(why, WG_ERR_INVALID, "note", "'note' has at most 1000 bytes");
    wg_err e = attachments ? attach_check_list(env->s, attachments, why) : WG_OK;
    if (e)
        return e;
    char from[32];
    snprintf(from, sizeof(from), "%s", r->status);
    const char *to = k->steps[step].to == RECORD_SAME ? NULL : k->states[k->steps[step].to];
    if (to) {
        snprintf(r->status, sizeof(r->status), "%s", to);
        bool done = is_done(k, to);
        if (done && !r->done_at)
            r->done_at = env->now;
        if (!done)
            r->done_at = 0;
    }
    if (strcmp(action, "visit") == 0)
        r->visits++;
    r->updated_at = env->now;
    r->version++;
    e = store_record_update(env->s, r);
    return e ? e
             : history(env, r, action, from, note,
                       attachments ? json_pack("{s:O}", "attachments", attachments) : NULL);
}

bool ledger_record_visible(const actor *who, const store_record *r)
{
    return who && actor_can_in_grid(who, PERM_LEDGERS_READ, r->grid);
}

static json_t *when(int64_t t, int off)
{
    char buf[CAL_ISO_CAP];
    return t && calendar_format_iso(t, off, buf, sizeof(buf)) ? json_string(buf) : json_null();
}

json_t *ledger_record_json(const ledger_env *env, const ledger_kind *k, const store_record *r)
{
    json_error_t je;
    json_t *data = json_loads(r->data, 0, &je);
    json_t *fields = json_object();
    const char *name;
    json_t *val;
    json_object_foreach(data, name, val)
    {
        const json_t *f = field_of(k, name);
        const char *type = str(f, "type");
        if (type && strcmp(type, "person") == 0)
            json_object_set_new(fields, name, json_string(str(val, "masked")));
        else
            json_object_set(fields, name, val);
    }
    json_decref(data);
    bool overdue = !r->done_at && r->due_at && r->due_at < env->now;
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:b, s:i, s:s, s:o, "
                     "s:o, s:I, s:o}",
                     "id", (json_int_t)r->id, "kind", r->kind, "grid", r->grid, "owner_unit",
                     r->owner_unit, "owner_person", r->owner_person, "status", r->status,
                     "status_label", pair_label(json_object_get(k->spec, "states"), r->status),
                     "fields", fields, "due_at", when(r->due_at, env->utc_offset_min), "done_at",
                     when(r->done_at, env->utc_offset_min), "overdue", overdue, "visits", r->visits,
                     "created_by", r->created_by, "created_at",
                     when(r->created_at, env->utc_offset_min), "updated_at",
                     when(r->updated_at, env->utc_offset_min), "version", (json_int_t)r->version,
                     "allowed_actions", allowed(env, k, r));
}

/* ---- KPIs ---- */

wg_err ledger_kpis(const ledger_env *env, const ledger_kind *k, const char *grid_prefix,
                   int64_t from, int64_t to, json_t **out)
{
    json_t *res = json_object();
    if (!res)
        return WG_ERR_NOMEM;
    size_t i;
    json_t *q;
    json_array_foreach(json_object_get(k->spec, "kpis"), i, q)
    {
        const char *name = str(q, "name");
        const json_t *ratio = json_object_get(q, "ratio");
        json_t *entry = NULL;
        if (ratio) {
            double num = json_number_value(
                json_object_get(json_object_get(res, str(ratio, "num")), "value"));
            double den = 0;
            size_t j;
            json_t *d;
            json_array_foreach(json_object_get(ratio, "den"), j, d)
            {
                const char *dn = json_string_value(d);
                double v = json_number_value(
                    json_object_get(json_object_get(res, dn[0] == '-' ? dn + 1 : dn), "value"));
                den += dn[0] == '-' ? -v : v;
            }
            if (den > 0) {
                double rate = num / den;
                char disp[32];
                snprintf(disp, sizeof(disp), "%.1f%%", rate * 100.0);
                entry =
                    json_pack("{s:s, s:o, s:s, s:o, s:o}", "label", str(q, "label"), "value",
                              ledger_figure(round(rate * 10000.0) / 10000.0), "display", disp,
                              "numerator", ledger_figure(num), "denominator", ledger_figure(den));
            } else {
                entry = json_pack("{s:s, s:n}", "label", str(q, "label"), "value");
            }
        } else {
            const json_t *count = json_object_get(q, "count");
            const json_t *where = count ? count : json_object_get(q, "where");
            store_record_agg a = {.kind = k->code,
                                  .grid_prefix = grid_prefix,
                                  .from = from,
                                  .to = to,
                                  .now = env->now};
            char *statuses = NULL;
            const json_t *st = json_object_get(where, "status");
            if (st) {
                json_t *arr = json_is_string(st) ? json_pack("[O]", st) : json_incref((json_t *)st);
                statuses = json_dumps(arr, JSON_COMPACT);
                json_decref(arr);
                a.statuses_json = statuses;
            }
            char path[40] = "";
            const json_t *fe = json_object_get(where, "field");
            if (fe) {
                const char *fname = json_object_iter_key(json_object_iter((json_t *)fe));
                json_t *fv = json_object_iter_value(json_object_iter((json_t *)fe));
                snprintf(path, sizeof(path), "$.%s", fname);
                a.field_path = path;
                if (json_is_string(fv))
                    a.field_text = json_string_value(fv);
                else
                    a.field_int = json_is_boolean(fv) ? json_is_true(fv) : json_integer_value(fv);
            }
            a.on_time = json_is_true(json_object_get(where, "on_time"));
            a.overdue = json_is_true(json_object_get(where, "overdue"));
            a.visited = json_is_true(json_object_get(where, "visited"));
            char spath[40] = "";
            if (str(q, "sum")) {
                snprintf(spath, sizeof(spath), "$.%s", str(q, "sum"));
                a.sum_path = spath;
            }
            int64_t n = 0;
            double sum = 0;
            wg_err e = store_record_aggregate(env->s, &a, &n, &sum);
            free(statuses);
            if (e) {
                json_decref(res);
                return e;
            }
            entry = count
                        ? json_pack("{s:s, s:I}", "label", str(q, "label"), "value", (json_int_t)n)
                        : json_pack("{s:s, s:o}", "label", str(q, "label"), "value",
                                    ledger_figure(sum));
        }
        if (!entry) {
            json_decref(res);
            return WG_ERR_NOMEM;
        }
        json_object_set_new(res, name, entry);
    }
    *out = res;
    return WG_OK;
}

/* ---- CSV import ---- */

#define IMPORT_MAX_ROWS 10000
#define IMPORT_MAX_ERRORS 100

typedef struct {
    const ledger_env *env;
    const ledger_kind *k;
    const json_t *cols[CSV_MAX_FIELDS]; /* the field of each column; NULL: a common column */
    const char *common[CSV_MAX_FIELDS]; /* grid | owner_unit | owner_person */
    int ncols;
    int imported, rows;
    json_t *errors;
    wg_err fatal;
} import_ctx;

static void import_error(import_ctx *c, int line, const char *field, const char *msg)
{
    if (json_array_size(c->errors) < IMPORT_MAX_ERRORS)
        json_array_append_new(
            c->errors, json_pack("{s:i, s:s?, s:s}", "line", line, "field", field, "message", msg));
}

static int header(import_ctx *c, int line, int n, char **f)
{
    static const char *const common[][2] = {
        {"grid", "网格"}, {"owner_unit", "责任单位"}, {"owner_person", "责任人"}};
    c->ncols = n;
    for (int i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < WG_ARRAY_LEN(common) && !found; j++)
            if (strcmp(f[i], common[j][0]) == 0 || strcmp(f[i], common[j][1]) == 0) {
                c->common[i] = common[j][0];
                found = true;
            }
        size_t k;
        json_t *fd;
        json_array_foreach(json_object_get(c->k->spec, "fields"), k,
                           fd) if (!found && (strcmp(f[i], str(fd, "name")) == 0 ||
                                              strcmp(f[i], str(fd, "label")) == 0))
        {
            c->cols[i] = fd;
            found = true;
        }
        if (!found) {
            char m[256];
            snprintf(m, sizeof(m), "no column \"%.100s\" in %s", f[i], c->k->code);
            import_error(c, line, f[i], m);
        }
    }
    return 0;
}

/* A cell as the JSON value its field takes. */
static json_t *cell_value(const json_t *fd, const char *v)
{
    const char *type = str(fd, "type");
    if (is_numeric_type(type)) {
        char *end = NULL;
        double x = strtod(v, &end);
        return end && end != v && *end == '\0' ? json_real(x) : json_string(v);
    }
    if (strcmp(type, "bool") == 0) {
        if (strcmp(v, "是") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
            return json_true();
        if (strcmp(v, "否") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
            return json_false();
        return json_string(v);
    }
    if (strcmp(type, "enum") == 0) {
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(fd, "values"), i,
                           p) if (strcmp(json_string_value(json_array_get(p, 1)), v) ==
                                  0) return json_deep_copy(json_array_get(p, 0));
        return json_string(v);
    }
    if (strcmp(type, "person") == 0) {
        json_t *list = json_array();
        char buf[CSV_FIELD_MAX];
        snprintf(buf, sizeof(buf), "%s", v);
        /* people are separated by "；" or ";" (split on the whole
         * sequence: the bytes of "；" occur inside other characters) */
        for (char *tok = buf, *next; tok; tok = next) {
            char *a = strstr(tok, "；"), *b = strchr(tok, ';');
            char *cut = a && (!b || a < b) ? a : b;
            next = cut ? cut + (cut == a ? strlen("；") : 1) : NULL;
            if (cut)
                *cut = '\0';
            while (*tok == ' ')
                tok++;
            char *sp = strrchr(tok, ' ');
            if (sp)
                *sp = '\0';
            json_t *one = !*tok ? NULL
                          : sp  ? json_pack("{s:s, s:s}", "name", tok, "phone", sp + 1)
                                : json_pack("{s:s}", "name", tok);
            if (*tok && !one) { /* not UTF-8 */
                json_decref(list);
                return NULL;
            }
            if (one)
                json_array_append_new(list, one);
        }
        if (!json_is_true(json_object_get(fd, "multiple")) && json_array_size(list) == 1) {
            json_t *one = json_incref(json_array_get(list, 0));
            json_decref(list);
            return one;
        }
        return list;
    }
    return json_string(v);
}

static int import_row(void *ctx, int line, int n, char **f)
{
    import_ctx *c = ctx;
    if (c->fatal)
        return 1;
    if (c->rows++ == 0)
        return header(c, line, n, f);
    if (c->rows > IMPORT_MAX_ROWS + 1) {
        import_error(c, line, NULL, "at most 10000 rows per import");
        return 1;
    }
    if (n != c->ncols) {
        char m[128];
        snprintf(m, sizeof(m), "%d columns, the header has %d", n, c->ncols);
        import_error(c, line, NULL, m);
        return 0;
    }
    json_t *in = json_object(), *fields = json_object();
    for (int i = 0; i < n; i++) {
        if (!*f[i])
            continue;
        json_t *v = c->common[i] ? json_string(f[i])
                    : c->cols[i] ? cell_value(c->cols[i], f[i])
                                 : json_null();
        const char *name = c->common[i] ? c->common[i] : c->cols[i] ? str(c->cols[i], "name") : "";
        if (!v) { /* jansson takes only UTF-8 */
            import_error(c, line, name, "is not UTF-8 text");
            json_decref(in);
            json_decref(fields);
            return 0;
        }
        if (c->common[i])
            json_object_set_new(in, name, v);
        else if (c->cols[i])
            json_object_set_new(fields, name, v);
        else
            json_decref(v);
    }
    json_object_set_new(in, "fields", fields);
    store_record *r = malloc(sizeof(*r));
    wg_why why = {0};
    wg_err e = r ? ledger_record_create(c->env, c->k, in, r, &why) : WG_ERR_NOMEM;
    if (e == WG_ERR_INVALID || e == WG_ERR_FORBIDDEN || e == WG_ERR_BAD_REQUEST ||
        e == WG_ERR_TOO_LARGE)
        import_error(c, line, why.field, why.msg[0] ? why.msg : wg_strerror(e));
    else if (e)
        c->fatal = e;
    else
        c->imported++;
    free(r);
    json_decref(in);
    return 0;
}

wg_err ledger_import_csv(const ledger_env *env, const ledger_kind *k, const char *buf, size_t len,
                         int *imported, json_t **errors)
{
    import_ctx c = {.env = env, .k = k, .errors = json_array()};
    if (!c.errors)
        return WG_ERR_NOMEM;
    wg_err e = csv_each(buf, len, import_row, &c);
    if (e == WG_ERR_INVALID)
        import_error(&c, 0, NULL, "this is not valid CSV (an unclosed quote?)");
    else if (e || c.fatal) {
        json_decref(c.errors);
        return e ? e : c.fatal;
    }
    if (c.rows == 0)
        import_error(&c, 1, NULL, "no header row");
    *imported = c.imported;
    *errors = c.errors;
    return WG_OK;
}
