/*
 * demo_cases.h - demo cases for the 汝河路街道 demo: a few hundred cases
 * over the last 90 days, each walked through the closed loop by the
 * proper actors, so that every state, returns, reworks, extensions,
 * whistles, ratings and overdue steps show up in lists, maps and KPIs.
 *
 * Every case goes through cases_report and cases_act (never straight into
 * the store), so the history, deadlines and counters are the loop's own.
 * The actors are built in memory with the logins and scopes of the demo
 * accounts (member, chief, staff, leader, police, chengguan, citizen,
 * demo-admin). Outside the community 汝河小区社区 a dispatcher "leader" and
 * a verifier "staff", both scoped to the case's first-level grid, stand in;
 * grid members elsewhere report as "member-<grid code>", residents as
 * "resident-NNNN", the hotline and the city platform through "demo-admin",
 * and each department answers as "<code>-duty" (gongan: "police",
 * chengguan: "chengguan"). Those logins need not exist as accounts.
 *
 * Deterministic: its own splitmix64 with a fixed seed, so the same store
 * content and `now` give the same cases, states and times.
 */
#ifndef WG_DEMO_CASES_H
#define WG_DEMO_CASES_H

#include "core/calendar.h"
#include "core/cases.h"
#include "core/locator.h"
#include "core/vault.h"
#include "store/store.h"

/* At most this many cases per call. */
#define DEMO_CASES_MAX 10000

typedef struct {
    int count[CS_COUNT]; /* cases per final status, indexed by case_status */
    int total;           /* cases created */
    int whistles;        /* whistles blown */
    int whistle_parts;   /* departments called by them */
    int overdue;         /* cases marked overdue: a step done late, or one still
                          * pending past its deadline at `now` */
    int overdue_open;    /* open cases whose current step was due before `now` */
    int reworks;         /* fail_verification actions */
    int returns;         /* return actions */
    int extensions;      /* extensions approved */
    int rated;           /* cases rated by their reporter */
    int escalated;       /* escalation rows written at `now` */
    bool existed;        /* the store had cases already: nothing was added */
} demo_cases_result;

/*
 * Create n cases (1..DEMO_CASES_MAX) in the caller's transaction, reported
 * between now - 90 days and now and walked up to now, then escalate the
 * steps overdue at now (as the server's escalation would). Does nothing,
 * out->existed set, when the store holds any case.
 *
 * Needs in the store: grids (the locator l built from them; cases go into
 * its micro-grids, or its deepest ordinary grids when it has none),
 * categories, the departments they and the route rules name. cal: the
 * working calendar (cases_calendar). v seals the callers' phone numbers.
 * *out is zeroed first. On failure (an action refused: a bug, the message
 * says which case and step) the caller rolls back.
 */
wg_err demo_cases(store *s, const vault *v, const locator *l, const calendar *cal, int64_t now,
                  int n, demo_cases_result *out, wg_why *why);

#endif
