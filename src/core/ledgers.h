/*
 * ledgers.h - ledgers (台账) whose kinds are data.
 *
 * A kind is a JSON declaration (share/ledgers/<code>.json, stored in the
 * database): its typed fields, states, actions (from which states, to
 * which, who may), deadline rule and KPIs. Adding a kind is adding a file:
 * no C. This module checks declarations, validates entries against them,
 * runs their actions, writes their history and computes their KPIs.
 *
 * Declaration (every key required unless marked optional):
 *   code        [a-z_]{2,31}
 *   name, name_en, note (optional)
 *   fields      [{name [a-z_0-9]{1,31}, label, type, required?, max?, min?,
 *                 multiple? (person), values? (enum: [[code, label], ...])}]
 *               type: text number money area date enum person org place grid bool
 *   deadline    {field?: a date field, days?: N calendar days after creation,
 *                limit?: "30m" | "4h" | "3d" of working time after creation,
 *                counted on the working calendar as cases' steps are}
 *   states      [[code, label], ...]; initial: a state; done: [states]
 *   actions     [{action, label, from: [states], to: state | null, roles}]
 *               to null: the entry stays where it is (an inspection round, a
 *               return visit: the action "visit" counts return visits)
 *   kpis        [{name, label, count: {status?, field?: {name: value},
 *                 on_time?, overdue?, visited?}} | {name, label, sum: field,
 *                 where?: {status}} | {name, label, ratio: {num: kpi,
 *                 den: [kpi | "-kpi", ...]}}]   (ratios of earlier KPIs)
 *
 * Entries: grid (required, in the actor's scope), owner unit and person,
 * the kind's fields (personal ones sealed in the vault, shown masked), a
 * deadline, a state, return visits, an append-only history.
 */
#ifndef WG_LEDGERS_H
#define WG_LEDGERS_H

#include <jansson.h>

#include "core/actor.h"
#include "core/vault.h"
#include "store/store.h"

typedef struct ledger_kind ledger_kind;

/* The largest magnitude an entered figure (a ledger's number or money, an
 * indicator's value) may have: room for any amount in yuan, while sums and
 * ratios of such figures stay finite. */
#define LEDGER_FIGURE_MAX 1e15

/* A figure as JSON: null for what is no number (a sum of figures stored
 * before they were bounded overflows), where json_real gives NULL. */
json_t *ledger_figure(double x);

/* Check a declaration; on success *out owns a parsed copy. */
wg_err ledger_kind_parse(const char *text, ledger_kind **out, wg_why *why);
void ledger_kind_free(ledger_kind *k);
const char *ledger_kind_code(const ledger_kind *k);
const char *ledger_kind_name(const ledger_kind *k);
/* Is `code` one of the kind's states? */
bool ledger_kind_has_state(const ledger_kind *k, const char *code);
/* The declaration (borrowed). */
const json_t *ledger_kind_spec(const ledger_kind *k);

/* The stored kind `code`: WG_ERR_NOT_FOUND when there is none. */
wg_err ledger_kind_load(store *s, const char *code, ledger_kind **out, wg_why *why);
/* Check and store (insert or replace) a declaration; its code into code. */
wg_err ledger_kind_install(store *s, const char *text, int64_t now, char code[STORE_KIND_MAX],
                           wg_why *why);

/* The place, time and people of one request. */
typedef struct {
    store *s;
    const vault *v;
    const actor *who;
    int64_t now;
    int utc_offset_min;
    const struct calendar *cal; /* for deadlines in working time; NULL: none */
} ledger_env;

/* New entry from {"grid", "owner_unit"?, "owner_person"?, "fields": {...},
 * "attachments"?: [sha256, ...]} (attachments go to its first history row). */
wg_err ledger_record_create(const ledger_env *env, const ledger_kind *k, const json_t *in,
                            store_record *out, wg_why *why);
/* Change the fields (and grid, owners) of an entry from the same shape;
 * only the members given change. */
wg_err ledger_record_edit(const ledger_env *env, const ledger_kind *k, store_record *r,
                          const json_t *in, wg_why *why);
/* Run an action: WG_ERR_CONFLICT (with why.details listing the allowed
 * actions) when it is not allowed from the state, WG_ERR_FORBIDDEN when the
 * actor's roles may not. Attachments (may be NULL: [sha256, ...] of stored
 * files) are recorded in the action's history row. */
wg_err ledger_record_act(const ledger_env *env, const ledger_kind *k, store_record *r,
                         const char *action, const char *note, const json_t *attachments,
                         wg_why *why);

/* Import entries from CSV (UTF-8, RFC 4180): a header row naming the
 * columns (grid, owner_unit, owner_person and the kind's fields, by name or
 * by Chinese label), then one entry per row. Enums by code or label, bools
 * as 是/否 or true/false, people as "姓名 电话" separated by "；". Every row
 * is checked; *errors gets [{"line", "field", "message"}] (empty when all
 * rows are good) and the caller keeps or rolls back the whole import. */
wg_err ledger_import_csv(const ledger_env *env, const ledger_kind *k, const char *buf, size_t len,
                         int *imported, json_t **errors);

/* May the actor see / change this entry (a grid scope containing it)? */
bool ledger_record_visible(const actor *who, const store_record *r);

/* The entry as the API shows it (personal fields masked). */
json_t *ledger_record_json(const ledger_env *env, const ledger_kind *k, const store_record *r);

/* The kind's KPIs over entries created in [from, to) in a grid subtree:
 * {"name": {"label", "value", "display"?}, ...} in declaration order. */
wg_err ledger_kpis(const ledger_env *env, const ledger_kind *k, const char *grid_prefix,
                   int64_t from, int64_t to, json_t **out);

#endif
