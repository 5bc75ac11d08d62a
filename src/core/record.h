/*
 * record.h - the machinery every kind of record shares: cases and ledger
 * entries alike.
 *
 * A record has a state, moves between states by actions taken by actors,
 * keeps an append-only history of every change, and may be due by a
 * deadline in working time. This module owns those three things once:
 *
 * - the workflow as a table of steps (from a set of states, an action
 *   leads to a state or leaves it where it is, for actors in a set of
 *   groups). Cases write theirs in C (core/cases.c: groups are relations
 *   to the case, such as "the department it was dispatched to"); a ledger
 *   kind's comes from its declaration (core/ledgers.c: groups are the
 *   roles the actor holds over the entry's grid). Both ask it the same
 *   questions: which step does this action take, which actions may this
 *   actor take now, and why not;
 * - deadlines: a limit ("30m", "4h", "3d" working days) counted on the
 *   working calendar, shortened for urgent records;
 * - history rows as the API shows them.
 */
#ifndef WG_RECORD_H
#define WG_RECORD_H

#include <jansson.h>

#include "util/jsonw.h"

#include "core/calendar.h"
#include "store/store.h"
#include "util/err.h"

#define RECORD_MAX_STATES 32
#define RECORD_MAX_ACTIONS 64
#define RECORD_SAME (-1) /* a step that leaves the state as it is */

typedef struct {
    uint32_t from; /* bit i: state i */
    int action;    /* index into the flow's actions */
    int to;        /* a state index, or RECORD_SAME */
    uint32_t who;  /* groups of actors who may take it (any bit) */
} record_step;

typedef struct {
    const char *noun;          /* "case", "entry": for messages */
    const char *const *states; /* names, by index */
    int nstates;
    const char *const *actions;
    int nactions;
    const record_step *steps; /* the first step that matches wins */
    int nsteps;
    bool forbid_by_groups; /* an action the state allows, but not to the
                              asker's groups: 403 (false: 409 like any other) */
} record_flow;

/* Who asks: their groups relative to the record, and an extra veto
 * beyond the table (e.g. "an extension is already requested"; NULL:
 * none) with its context. */
typedef struct {
    uint32_t groups;
    bool (*cond)(void *ctx, int action, uint32_t groups);
    void *ctx;
} record_asker;

int record_state_index(const record_flow *f, const char *name);  /* -1: none */
int record_action_index(const record_flow *f, const char *name); /* -1: none */

/* The step the asker takes with `action` from `state`, or -1. */
int record_step_find(const record_flow *f, int state, int action, const record_asker *who);

/* The actions the asker may take from `state`: bit i = action i. */
uint64_t record_allowed(const record_flow *f, int state, const record_asker *who);

/* The allowed actions as a JSON array of names. */
json_t *record_allowed_json(const record_flow *f, uint64_t mask);
/* The same, written as an array by w. */
void record_allowed_write(const record_flow *f, uint64_t mask, jsonw *w);

/* Why `action` is refused: 409 conflict, or 403 (see forbid_by_groups);
 * the message names the state (`state_label` for people, NULL: its name)
 * and lists what the asker may do ("allowed: a, b"); why->field is
 * "action". Returns the error. */
wg_err record_refuse(const record_flow *f, int state, int action, const record_asker *who,
                     const char *state_label, wg_why *why);

/* When a step with limit `limit` ("30m", "4h", "3d": minutes and hours of
 * working time, working days) is due, counted from `from` on the
 * calendar; urgent records get `urgent_percent` of the time (100: the
 * same; whole days become that share of a working day's seconds). 0 when
 * the limit is malformed or the calendar has no working time ahead. */
int64_t record_due(const calendar *cal, int64_t from, const char *limit, int urgent_percent);

/* A history row from its parts: strings cut to fit (UTF-8 kept whole),
 * data (borrowed; may be NULL) as compact JSON, left out if too large. */
void record_event_make(store_event *ev, int64_t record_id, int64_t at, const char *actor,
                       const char *action, const char *from, const char *to, const char *note,
                       const json_t *data);

/* A history row as the API shows it: {"id","at","actor","action","from",
 * "to","note","data"} with `at` in local time (offset minutes east). */
json_t *record_event_json(const store_event *ev, int utc_offset_min);

#endif
