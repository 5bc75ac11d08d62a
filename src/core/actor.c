/*
 * actor.c - see actor.h. The two tables below are the whole policy.
 */
#include "core/actor.h"

#include <string.h>

#define R(x) (1u << (x))
#define ALL_ROLES ((1u << ROLE_COUNT) - 1)

static const struct {
    const char *name;
    scope_kind scope; /* the kind of scope this role is granted with */
} roles[ROLE_COUNT] = {
    [ROLE_ADMIN] = {"admin", SCOPE_ALL},
    [ROLE_LEADER] = {"leader", SCOPE_GRID},
    [ROLE_COMMUNITY_STAFF] = {"community_staff", SCOPE_GRID},
    [ROLE_GRID_CHIEF] = {"grid_chief", SCOPE_GRID},
    [ROLE_GRID_MEMBER] = {"grid_member", SCOPE_GRID},
    [ROLE_DEPARTMENT_STAFF] = {"department_staff", SCOPE_DEPARTMENT},
    [ROLE_CITIZEN] = {"citizen", SCOPE_ALL},
    [ROLE_AUDITOR] = {"auditor", SCOPE_ALL},
};

static const char *const perm_names[PERM_COUNT] = {
    [PERM_USERS_READ] = "users.read",
    [PERM_USERS_WRITE] = "users.write",
    [PERM_PII_REVEAL] = "pii.reveal",
    [PERM_AUDIT_READ] = "audit.read",
    [PERM_DEPTS_READ] = "departments.read",
    [PERM_DEPTS_WRITE] = "departments.write",
    [PERM_GRIDS_READ] = "grids.read",
    [PERM_GRIDS_WRITE] = "grids.write",
    [PERM_GRIDS_STAFF] = "grids.staff",
    [PERM_LOCATE] = "locate",
    [PERM_CASES_REPORT] = "cases.report",
    [PERM_CASES_READ] = "cases.read",
    [PERM_CASES_DISPATCH] = "cases.dispatch",
    [PERM_CASES_HANDLE] = "cases.handle",
    [PERM_CASES_VERIFY] = "cases.verify",
    [PERM_CASES_WHISTLE] = "cases.whistle",
    [PERM_CATALOGUE_WRITE] = "catalogue.write",
    [PERM_STATS_READ] = "stats.read",
    [PERM_LEDGERS_READ] = "ledgers.read",
    [PERM_LEDGERS_WRITE] = "ledgers.write",
    [PERM_INDICATORS_WRITE] = "indicators.write",
};

const char *perm_name(perm_id p)
{
    return (unsigned)p < PERM_COUNT ? perm_names[p] : NULL;
}

/* Which roles hold each permission. A permission missing here is held by
 * nobody (default deny). */
static const unsigned perm_roles[PERM_COUNT] = {
    [PERM_PUBLIC] = ALL_ROLES,
    [PERM_SELF] = ALL_ROLES,
    [PERM_USERS_READ] = R(ROLE_ADMIN),
    [PERM_USERS_WRITE] = R(ROLE_ADMIN),
    [PERM_PII_REVEAL] = R(ROLE_ADMIN),
    [PERM_AUDIT_READ] = R(ROLE_AUDITOR),
    [PERM_DEPTS_READ] = R(ROLE_ADMIN) | R(ROLE_LEADER) | R(ROLE_COMMUNITY_STAFF) |
                        R(ROLE_GRID_CHIEF) | R(ROLE_GRID_MEMBER) | R(ROLE_DEPARTMENT_STAFF) |
                        R(ROLE_AUDITOR),
    [PERM_DEPTS_WRITE] = R(ROLE_ADMIN),
    [PERM_GRIDS_READ] = R(ROLE_ADMIN) | R(ROLE_LEADER) | R(ROLE_COMMUNITY_STAFF) |
                        R(ROLE_GRID_CHIEF) | R(ROLE_GRID_MEMBER) | R(ROLE_DEPARTMENT_STAFF) |
                        R(ROLE_AUDITOR),
    [PERM_GRIDS_WRITE] = R(ROLE_ADMIN) | R(ROLE_LEADER),
    [PERM_GRIDS_STAFF] = R(ROLE_ADMIN) | R(ROLE_LEADER) | R(ROLE_COMMUNITY_STAFF),
    [PERM_LOCATE] = ALL_ROLES,
    [PERM_CASES_REPORT] = R(ROLE_ADMIN) | R(ROLE_LEADER) | R(ROLE_COMMUNITY_STAFF) |
                          R(ROLE_GRID_CHIEF) | R(ROLE_GRID_MEMBER) | R(ROLE_CITIZEN),
    [PERM_CASES_READ] = ALL_ROLES,
    [PERM_CASES_DISPATCH] = R(ROLE_ADMIN) | R(ROLE_LEADER) | R(ROLE_COMMUNITY_STAFF),
    [PERM_CASES_HANDLE] = R(ROLE_DEPARTMENT_STAFF),
    [PERM_CASES_VERIFY] = R(ROLE_COMMUNITY_STAFF) | R(ROLE_GRID_CHIEF) | R(ROLE_GRID_MEMBER),
    [PERM_CASES_WHISTLE] =
        R(ROLE_ADMIN) | R(ROLE_LEADER) | R(ROLE_COMMUNITY_STAFF) | R(ROLE_GRID_CHIEF),
    [PERM_CATALOGUE_WRITE] = R(ROLE_ADMIN),
    [PERM_STATS_READ] = R(ROLE_ADMIN) | R(ROLE_LEADER) | R(ROLE_COMMUNITY_STAFF) |
                        R(ROLE_GRID_CHIEF) | R(ROLE_AUDITOR),
    [PERM_LEDGERS_READ] = R(ROLE_ADMIN) | R(ROLE_LEADER) | R(ROLE_COMMUNITY_STAFF) |
                          R(ROLE_GRID_CHIEF) | R(ROLE_GRID_MEMBER) | R(ROLE_AUDITOR),
    [PERM_LEDGERS_WRITE] = R(ROLE_ADMIN) | R(ROLE_LEADER) | R(ROLE_COMMUNITY_STAFF) |
                           R(ROLE_GRID_CHIEF) | R(ROLE_GRID_MEMBER),
    [PERM_INDICATORS_WRITE] = R(ROLE_ADMIN) | R(ROLE_LEADER),
};

const char *actor_role_name(role_id r)
{
    return (unsigned)r < ROLE_COUNT ? roles[r].name : NULL;
}

bool actor_role_parse(const char *name, role_id *out)
{
    if (!name)
        return false; /* e.g. a JSON value that is not a string */
    for (int i = 0; i < ROLE_COUNT; i++) {
        if (strcmp(roles[i].name, name) == 0) {
            *out = (role_id)i;
            return true;
        }
    }
    return false;
}

scope_kind actor_role_scope_kind(role_id r)
{
    return (unsigned)r < ROLE_COUNT ? roles[r].scope : SCOPE_ALL;
}

const char *actor_scope_kind_name(scope_kind k)
{
    switch (k) {
    case SCOPE_ALL:
        return "all";
    case SCOPE_GRID:
        return "grid";
    case SCOPE_DEPARTMENT:
        return "department";
    }
    return "all";
}

static bool grant_holds(const role_grant *g, perm_id p)
{
    return (unsigned)p < PERM_COUNT && (unsigned)g->role < ROLE_COUNT &&
           (perm_roles[p] & R(g->role));
}

const char *actor_grid_scope(const actor *a, perm_id p)
{
    for (int i = 0; i < a->ngrants; i++)
        if (a->grants[i].kind == SCOPE_ALL && grant_holds(&a->grants[i], p))
            return "";
    for (int i = 0; i < a->ngrants; i++)
        if (a->grants[i].kind == SCOPE_GRID && grant_holds(&a->grants[i], p))
            return a->grants[i].scope;
    return "\x7f"; /* matches no grid code */
}

bool actor_can(const actor *a, perm_id p)
{
    if (p == PERM_PUBLIC)
        return true;
    if (!a)
        return false;
    if (p == PERM_SELF)
        return a->user_id > 0;
    for (int i = 0; i < a->ngrants; i++)
        if (grant_holds(&a->grants[i], p))
            return true;
    return false;
}

bool actor_grid_contains(const char *scope, const char *code)
{
    size_t n = strlen(scope);
    return n > 0 && strncmp(scope, code, n) == 0;
}

bool actor_can_in_grid(const actor *a, perm_id p, const char *code)
{
    if (!a || !code)
        return false;
    for (int i = 0; i < a->ngrants; i++) {
        const role_grant *g = &a->grants[i];
        if (!grant_holds(g, p))
            continue;
        if (g->kind == SCOPE_ALL || (g->kind == SCOPE_GRID && actor_grid_contains(g->scope, code)))
            return true;
    }
    return false;
}

bool actor_can_in_department(const actor *a, perm_id p, const char *code)
{
    if (!a || !code)
        return false;
    for (int i = 0; i < a->ngrants; i++) {
        const role_grant *g = &a->grants[i];
        if (!grant_holds(g, p))
            continue;
        if (g->kind == SCOPE_ALL || (g->kind == SCOPE_DEPARTMENT && strcmp(g->scope, code) == 0))
            return true;
    }
    return false;
}
