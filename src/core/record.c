/*
 * record.c - see record.h.
 */
#include "core/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/catalogue.h"
#include "util/strparse.h"

int record_state_index(const record_flow *f, const char *name)
{
    for (int i = 0; name && i < f->nstates; i++)
        if (strcmp(f->states[i], name) == 0)
            return i;
    return -1;
}

int record_action_index(const record_flow *f, const char *name)
{
    for (int i = 0; name && i < f->nactions; i++)
        if (strcmp(f->actions[i], name) == 0)
            return i;
    return -1;
}

static bool from_state(const record_step *s, int state)
{
    return state >= 0 && state < RECORD_MAX_STATES && (s->from & (1u << state));
}

int record_step_find(const record_flow *f, int state, int action, const record_asker *who)
{
    for (int i = 0; i < f->nsteps; i++) {
        const record_step *s = &f->steps[i];
        if (s->action == action && from_state(s, state) && (s->who & who->groups) &&
            (!who->cond || who->cond(who->ctx, action, who->groups)))
            return i;
    }
    return -1;
}

uint64_t record_allowed(const record_flow *f, int state, const record_asker *who)
{
    uint64_t mask = 0;
    for (int a = 0; a < f->nactions && a < RECORD_MAX_ACTIONS; a++)
        if (record_step_find(f, state, a, who) >= 0)
            mask |= 1ull << a;
    return mask;
}

json_t *record_allowed_json(const record_flow *f, uint64_t mask)
{
    wg_buf b;
    buf_init(&b, NULL, RECORD_MAX_ACTIONS * 40);
    jsonw w;
    jsonw_init(&w, &b);
    record_allowed_write(f, mask, &w);
    json_t *j = w.err ? NULL : json_loadb(b.ptr, b.len, 0, NULL);
    buf_free(&b);
    return j;
}

void record_allowed_write(const record_flow *f, uint64_t mask, jsonw *w)
{
    jsonw_array(w);
    for (int a = 0; a < f->nactions && a < RECORD_MAX_ACTIONS; a++)
        if (mask & (1ull << a))
            jsonw_str(w, f->actions[a]);
    jsonw_end(w);
}

wg_err record_refuse(const record_flow *f, int state, int action, const record_asker *who,
                     const char *state_label, wg_why *why)
{
    uint64_t mask = record_allowed(f, state, who);
    char list[512] = "";
    size_t n = 0;
    for (int a = 0; a < f->nactions && a < RECORD_MAX_ACTIONS; a++) {
        if (!(mask & (1ull << a)))
            continue;
        int w = snprintf(list + n, sizeof(list) - n, "%s%s", n ? ", " : "", f->actions[a]);
        if (w < 0 || (size_t)w >= sizeof(list) - n)
            break;
        n += (size_t)w;
    }
    const char *name = action >= 0 && action < f->nactions ? f->actions[action] : "?";
    const char *st = state_label                        ? state_label
                     : state >= 0 && state < f->nstates ? f->states[state]
                                                        : "?";
    /* Some step takes this action from this state, for others? */
    bool someone = false;
    for (int i = 0; i < f->nsteps; i++)
        someone |= f->steps[i].action == action && from_state(&f->steps[i], state);
    return wg_fail(why, someone && f->forbid_by_groups ? WG_ERR_FORBIDDEN : WG_ERR_CONFLICT,
                   "action", "'%s' is not allowed on a %s %s for you; allowed: %s", name, st,
                   f->noun, n ? list : "none");
}

int64_t record_due(const calendar *cal, int64_t from, const char *limit, int urgent_percent)
{
    cat_limit lim;
    if (!cal || !catalogue_limit_parse(limit, &lim))
        return 0;
    bool urgent = urgent_percent > 0 && urgent_percent < 100;
    int64_t t;
    if (lim.unit == 'd' && !urgent) {
        t = calendar_add_working_days(cal, from, lim.n);
    } else {
        int64_t secs = lim.unit == 'd'   ? (int64_t)lim.n * calendar_day_seconds(cal)
                       : lim.unit == 'h' ? (int64_t)lim.n * 3600
                                         : (int64_t)lim.n * 60;
        if (urgent)
            secs = secs * urgent_percent / 100;
        t = calendar_add_working(cal, from, secs);
    }
    return t == CAL_ERROR ? 0 : t;
}

void record_event_make(store_event *ev, int64_t record_id, int64_t at, const char *actor,
                       const char *action, const char *from, const char *to, const char *note,
                       const json_t *data)
{
    memset(ev, 0, sizeof(*ev));
    ev->record_id = record_id;
    ev->at = at;
    str_copy_utf8(ev->actor, sizeof(ev->actor), actor ? actor : "-");
    str_copy_utf8(ev->action, sizeof(ev->action), action);
    str_copy_utf8(ev->from_status, sizeof(ev->from_status), from ? from : "");
    str_copy_utf8(ev->to_status, sizeof(ev->to_status), to ? to : "");
    str_copy_utf8(ev->note, sizeof(ev->note), note ? note : "");
    char *d = data ? json_dumps(data, JSON_COMPACT) : NULL;
    if (d && strlen(d) < sizeof(ev->data))
        memcpy(ev->data, d, strlen(d) + 1);
    free(d);
}

json_t *record_event_json(const store_event *ev, int utc_offset_min)
{
    char at[CAL_ISO_CAP] = "";
    calendar_format_iso(ev->at, utc_offset_min, at, sizeof(at));
    json_error_t je;
    json_t *data = json_loads(ev->data, 0, &je);
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id", (json_int_t)ev->id, "at", at,
                     "actor", ev->actor, "action", ev->action, "from", ev->from_status, "to",
                     ev->to_status, "note", ev->note, "data", data ? data : json_object());
}
