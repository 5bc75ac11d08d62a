/*
 * actor.h - who acts, and what they may do: roles, scopes, permissions.
 *
 * An actor is a user (or a machine client's API key acting as its user)
 * with role grants. Each grant has a scope: everything ('all'), a grid and
 * its subtree (grid codes extend their parent's code, so a subtree is a
 * code prefix), or one department. Routes name the permission they need;
 * the table in actor.c says which roles hold it. Default deny: a
 * permission no row grants is refused.
 *
 * Pure functions over caller-owned structs: no storage, no allocation.
 */
#ifndef WG_ACTOR_H
#define WG_ACTOR_H

#include "util/common.h"

typedef enum {
    ROLE_ADMIN,
    ROLE_LEADER,
    ROLE_COMMUNITY_STAFF,
    ROLE_GRID_CHIEF,
    ROLE_GRID_MEMBER,
    ROLE_DEPARTMENT_STAFF,
    ROLE_CITIZEN,
    ROLE_AUDITOR,
    ROLE_COUNT
} role_id;

typedef enum { SCOPE_ALL, SCOPE_GRID, SCOPE_DEPARTMENT } scope_kind;

/* What a route may require. */
typedef enum {
    PERM_PUBLIC,           /* anyone, no login */
    PERM_SELF,             /* any logged-in actor, about themselves */
    PERM_USERS_READ,       /* list and read accounts */
    PERM_USERS_WRITE,      /* create, change, disable accounts; grant roles */
    PERM_PII_REVEAL,       /* read personal data in clear, with a reason */
    PERM_AUDIT_READ,       /* read the audit log */
    PERM_DEPTS_READ,       /* list departments */
    PERM_DEPTS_WRITE,      /* create departments */
    PERM_GRIDS_READ,       /* the grid tree, its staff (masked) and parties */
    PERM_GRIDS_WRITE,      /* create, change, delete grids (in scope) */
    PERM_GRIDS_STAFF,      /* set a grid's staff and parties (in scope) */
    PERM_LOCATE,           /* which grids contain a point */
    PERM_CASES_REPORT,     /* report a case */
    PERM_CASES_READ,       /* see cases (each limited to the actor's scope) */
    PERM_CASES_DISPATCH,   /* file, reject, merge, dispatch, close, defer, reopen, extend */
    PERM_CASES_HANDLE,     /* acknowledge, handle, feed back (own department) */
    PERM_CASES_VERIFY,     /* verify or send back for rework (in scope) */
    PERM_CASES_WHISTLE,    /* whistle: call departments to report for duty */
    PERM_CATALOGUE_WRITE,  /* categories, calendar, routing rules */
    PERM_STATS_READ,       /* KPIs (within the actor's grid scope) */
    PERM_LEDGERS_READ,     /* ledger entries and their KPIs (in grid scope) */
    PERM_LEDGERS_WRITE,    /* enter, change and act on ledger entries (in grid scope;
                              each action names the roles that may run it) */
    PERM_INDICATORS_WRITE, /* define indicators and targets, enter values */
    PERM_COUNT
} perm_id;

#define ACTOR_MAX_GRANTS 16
#define ACTOR_SCOPE_MAX 40
#define ACTOR_LOGIN_MAX 64

typedef struct {
    role_id role;
    scope_kind kind;
    char scope[ACTOR_SCOPE_MAX]; /* grid or department code; "" for all */
} role_grant;

typedef struct {
    int64_t user_id;
    char login[ACTOR_LOGIN_MAX];
    int ngrants;
    role_grant grants[ACTOR_MAX_GRANTS];
    int64_t session_id; /* 0 when authenticated by API key */
    int64_t api_key_id; /* 0 when by session */
    bool by_cookie;     /* writes then need the CSRF token */
} actor;

/* Role names as in the API ("grid_member"); NULL for an invalid id. */
const char *actor_role_name(role_id r);
/* A permission's name as /api/me lists it ("cases.dispatch"); NULL for
 * PERM_PUBLIC and PERM_SELF. */
const char *perm_name(perm_id p);
/* Parse a role name; false if unknown. */
bool actor_role_parse(const char *name, role_id *out);
/* The scope kind a role takes: admin, leader?... see actor.c. */
scope_kind actor_role_scope_kind(role_id r);
const char *actor_scope_kind_name(scope_kind k);

/* Does the actor hold perm through any grant (ignoring scope)? */
bool actor_can(const actor *a, perm_id p);

/* Does the actor hold perm for something located in grid `code`? True for
 * a grant with scope 'all' or a grid scope that is `code` or an ancestor
 * of it. */
bool actor_can_in_grid(const actor *a, perm_id p, const char *code);

/* Does the actor hold perm for department `code` (scope 'all' or that
 * department)? */
bool actor_can_in_department(const actor *a, perm_id p, const char *code);

/* The grid subtree within which the actor holds perm, for figures summed
 * over one scope (KPIs, reports): "" for everything, else the first grid
 * grant's code, else "\x7f" (a prefix of no grid code). */
const char *actor_grid_scope(const actor *a, perm_id p);

/* Is grid `code` inside the subtree of grid `scope`? */
bool actor_grid_contains(const char *scope, const char *code);

#endif
