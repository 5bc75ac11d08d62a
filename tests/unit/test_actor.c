#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/actor.h"

static const char *const names[ROLE_COUNT] = {
    [ROLE_ADMIN] = "admin",
    [ROLE_LEADER] = "leader",
    [ROLE_COMMUNITY_STAFF] = "community_staff",
    [ROLE_GRID_CHIEF] = "grid_chief",
    [ROLE_GRID_MEMBER] = "grid_member",
    [ROLE_DEPARTMENT_STAFF] = "department_staff",
    [ROLE_CITIZEN] = "citizen",
    [ROLE_AUDITOR] = "auditor",
};

/* The policy, written out independently of actor.c. PERM_SELF is true for
 * every role here because the test actors have a user id. */
#define BASE [PERM_PUBLIC] = true, [PERM_SELF] = true, [PERM_LOCATE] = true, [PERM_CASES_READ] = true
#define STAFF BASE, [PERM_DEPTS_READ] = true, [PERM_GRIDS_READ] = true
#define REPORT [PERM_CASES_REPORT] = true
#define DISPATCH [PERM_CASES_DISPATCH] = true
#define VERIFY [PERM_CASES_VERIFY] = true
#define WHISTLE [PERM_CASES_WHISTLE] = true
#define LEDGERS [PERM_LEDGERS_READ] = true, [PERM_LEDGERS_WRITE] = true
static const bool expect[ROLE_COUNT][PERM_COUNT] = {
    [ROLE_ADMIN] = {STAFF,
                    [PERM_USERS_READ] = true,
                    [PERM_USERS_WRITE] = true,
                    [PERM_PII_REVEAL] = true,
                    [PERM_AUDIT_READ] = false,
                    [PERM_DEPTS_WRITE] = true,
                    [PERM_GRIDS_WRITE] = true,
                    [PERM_GRIDS_STAFF] = true,
                    REPORT, DISPATCH, WHISTLE,
                    [PERM_CATALOGUE_WRITE] = true, [PERM_STATS_READ] = true, LEDGERS,
                    [PERM_INDICATORS_WRITE] = true},
    [ROLE_LEADER] = {STAFF, [PERM_GRIDS_WRITE] = true, [PERM_GRIDS_STAFF] = true, REPORT, DISPATCH,
                     WHISTLE, [PERM_STATS_READ] = true, LEDGERS, [PERM_INDICATORS_WRITE] = true},
    [ROLE_COMMUNITY_STAFF] = {STAFF, [PERM_GRIDS_STAFF] = true, REPORT, DISPATCH, VERIFY, WHISTLE,
                              [PERM_STATS_READ] = true, LEDGERS},
    [ROLE_GRID_CHIEF] = {STAFF, REPORT, VERIFY, WHISTLE, [PERM_STATS_READ] = true, LEDGERS},
    [ROLE_GRID_MEMBER] = {STAFF, REPORT, VERIFY, LEDGERS},
    [ROLE_DEPARTMENT_STAFF] = {STAFF, [PERM_CASES_HANDLE] = true},
    [ROLE_CITIZEN] = {BASE, REPORT},
    [ROLE_AUDITOR] = {BASE, [PERM_AUDIT_READ] = true, [PERM_GRIDS_READ] = true,
                      [PERM_DEPTS_READ] = true,
                      [PERM_STATS_READ] = true, [PERM_LEDGERS_READ] = true},
};
#undef LEDGERS
#undef STAFF
#undef BASE
#undef REPORT
#undef DISPATCH
#undef VERIFY
#undef WHISTLE

static const char *const perm_names[PERM_COUNT] = {
    [PERM_PUBLIC] = "public",         [PERM_SELF] = "self",
    [PERM_USERS_READ] = "users_read", [PERM_USERS_WRITE] = "users_write",
    [PERM_PII_REVEAL] = "pii_reveal", [PERM_AUDIT_READ] = "audit_read",
    [PERM_DEPTS_READ] = "depts_read", [PERM_DEPTS_WRITE] = "depts_write",
    [PERM_GRIDS_READ] = "grids_read", [PERM_GRIDS_WRITE] = "grids_write",
    [PERM_GRIDS_STAFF] = "grids_staff", [PERM_LOCATE] = "locate",
    [PERM_CASES_REPORT] = "cases_report", [PERM_CASES_READ] = "cases_read",
    [PERM_CASES_DISPATCH] = "cases_dispatch", [PERM_CASES_HANDLE] = "cases_handle",
    [PERM_CASES_VERIFY] = "cases_verify", [PERM_CASES_WHISTLE] = "cases_whistle",
    [PERM_CATALOGUE_WRITE] = "catalogue_write", [PERM_STATS_READ] = "stats_read",
    [PERM_LEDGERS_READ] = "ledgers_read", [PERM_LEDGERS_WRITE] = "ledgers_write",
    [PERM_INDICATORS_WRITE] = "indicators_write",
};

/* An actor with one grant. */
static actor one(int64_t user_id, role_id r, scope_kind k, const char *scope)
{
    actor a;
    memset(&a, 0, sizeof(a));
    a.user_id = user_id;
    snprintf(a.login, sizeof(a.login), "u%lld", (long long)user_id);
    a.ngrants = 1;
    a.grants[0].role = r;
    a.grants[0].kind = k;
    snprintf(a.grants[0].scope, sizeof(a.grants[0].scope), "%s", scope);
    return a;
}

static void add_grant(actor *a, role_id r, scope_kind k, const char *scope)
{
    assert_true(a->ngrants < ACTOR_MAX_GRANTS);
    role_grant *g = &a->grants[a->ngrants++];
    g->role = r;
    g->kind = k;
    snprintf(g->scope, sizeof(g->scope), "%s", scope);
}

static void test_role_names(void **state)
{
    (void)state;
    for (int i = 0; i < ROLE_COUNT; i++) {
        const char *n = actor_role_name((role_id)i);
        assert_non_null(n);
        assert_string_equal(n, names[i]);
        role_id r = ROLE_COUNT;
        assert_true(actor_role_parse(names[i], &r));
        assert_int_equal(r, i);
    }
    assert_null(actor_role_name(ROLE_COUNT));
    assert_null(actor_role_name((role_id)-1));
    assert_null(actor_role_name((role_id)1000));

    static const char *const unknown[] = {
        "",     "Admin",       "ADMIN",      "admin ",   " admin", "adm",       "administrator",
        "grid", "grid-member", "department", "citizens", "root",   "superuser", "auditor\n",
    };
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        role_id r = ROLE_AUDITOR;
        if (actor_role_parse(unknown[i], &r))
            fail_msg("accepted role name '%s'", unknown[i]);
        assert_int_equal(r, ROLE_AUDITOR); /* left untouched */
    }
    role_id r = ROLE_AUDITOR;
    assert_false(actor_role_parse(NULL, &r)); /* a JSON role that is not a string */
    assert_int_equal(r, ROLE_AUDITOR);
}

static void test_scope_kinds(void **state)
{
    (void)state;
    static const scope_kind want[ROLE_COUNT] = {
        [ROLE_ADMIN] = SCOPE_ALL,
        [ROLE_LEADER] = SCOPE_GRID,
        [ROLE_COMMUNITY_STAFF] = SCOPE_GRID,
        [ROLE_GRID_CHIEF] = SCOPE_GRID,
        [ROLE_GRID_MEMBER] = SCOPE_GRID,
        [ROLE_DEPARTMENT_STAFF] = SCOPE_DEPARTMENT,
        [ROLE_CITIZEN] = SCOPE_ALL,
        [ROLE_AUDITOR] = SCOPE_ALL,
    };
    for (int i = 0; i < ROLE_COUNT; i++)
        if (actor_role_scope_kind((role_id)i) != want[i])
            fail_msg("role %s: scope kind %d, want %d", names[i],
                     (int)actor_role_scope_kind((role_id)i), (int)want[i]);
    assert_int_equal(actor_role_scope_kind(ROLE_COUNT), SCOPE_ALL);
    assert_int_equal(actor_role_scope_kind((role_id)-1), SCOPE_ALL);

    assert_string_equal(actor_scope_kind_name(SCOPE_ALL), "all");
    assert_string_equal(actor_scope_kind_name(SCOPE_GRID), "grid");
    assert_string_equal(actor_scope_kind_name(SCOPE_DEPARTMENT), "department");
    assert_string_equal(actor_scope_kind_name((scope_kind)99), "all");
}

static void test_can_table(void **state)
{
    (void)state;
    for (int r = 0; r < ROLE_COUNT; r++) {
        scope_kind k = actor_role_scope_kind((role_id)r);
        const char *scope = k == SCOPE_GRID ? "410102" : k == SCOPE_DEPARTMENT ? "police" : "";
        actor a = one(7, (role_id)r, k, scope);
        for (int p = 0; p < PERM_COUNT; p++) {
            bool got = actor_can(&a, (perm_id)p);
            if (got != expect[r][p])
                fail_msg("role %s, perm %s: got %d, want %d", names[r], perm_names[p], got,
                         expect[r][p]);
        }
        /* Out-of-range permissions are denied. */
        assert_false(actor_can(&a, PERM_COUNT));
        assert_false(actor_can(&a, (perm_id)-1));
    }
}

static void test_can_public_self(void **state)
{
    (void)state;
    /* NULL actor: only public. */
    assert_true(actor_can(NULL, PERM_PUBLIC));
    for (int p = PERM_SELF; p < PERM_COUNT; p++)
        if (actor_can(NULL, (perm_id)p))
            fail_msg("NULL actor holds %s", perm_names[p]);

    /* No grants at all: public and self only. */
    actor a;
    memset(&a, 0, sizeof(a));
    a.user_id = 3;
    assert_true(actor_can(&a, PERM_PUBLIC));
    assert_true(actor_can(&a, PERM_SELF));
    for (int p = PERM_USERS_READ; p < PERM_COUNT; p++)
        if (actor_can(&a, (perm_id)p))
            fail_msg("grantless actor holds %s", perm_names[p]);

    /* PERM_SELF needs a user id > 0, even for an admin. */
    actor adm = one(0, ROLE_ADMIN, SCOPE_ALL, "");
    assert_false(actor_can(&adm, PERM_SELF));
    assert_true(actor_can(&adm, PERM_PUBLIC));
    assert_true(actor_can(&adm, PERM_USERS_WRITE));
    adm.user_id = -5;
    assert_false(actor_can(&adm, PERM_SELF));
    adm.user_id = 1;
    assert_true(actor_can(&adm, PERM_SELF));

    /* Several grants: the union. */
    actor c = one(9, ROLE_CITIZEN, SCOPE_ALL, "");
    assert_false(actor_can(&c, PERM_AUDIT_READ));
    add_grant(&c, ROLE_AUDITOR, SCOPE_ALL, "");
    assert_true(actor_can(&c, PERM_AUDIT_READ));
    assert_false(actor_can(&c, PERM_USERS_READ));
    add_grant(&c, ROLE_GRID_MEMBER, SCOPE_GRID, "410102");
    assert_true(actor_can(&c, PERM_DEPTS_READ));
    assert_false(actor_can(&c, PERM_DEPTS_WRITE));

    /* A grant with a role id out of range holds nothing. */
    actor bad = one(4, ROLE_COUNT, SCOPE_ALL, "");
    for (int p = PERM_USERS_READ; p < PERM_COUNT; p++)
        assert_false(actor_can(&bad, (perm_id)p));
    assert_false(actor_can_in_grid(&bad, PERM_DEPTS_READ, "410102"));
    assert_false(actor_can_in_department(&bad, PERM_DEPTS_READ, "police"));
}

static void test_grid_contains(void **state)
{
    (void)state;
    assert_true(actor_grid_contains("410102", "410102"));
    assert_true(actor_grid_contains("410102", "410102001"));
    assert_true(actor_grid_contains("410102", "410102001002"));
    assert_true(actor_grid_contains("4", "410102"));
    assert_false(actor_grid_contains("410102", "410103"));
    assert_false(actor_grid_contains("410102", "410103001"));
    assert_false(actor_grid_contains("410102001", "410102")); /* parent is outside */
    assert_false(actor_grid_contains("410102", "41010"));
    assert_false(actor_grid_contains("410102", ""));
    /* The empty scope contains nothing. */
    assert_false(actor_grid_contains("", "410102"));
    assert_false(actor_grid_contains("", ""));
}

static void test_can_in_grid(void **state)
{
    (void)state;
    /* Scope 'all'. */
    actor adm = one(1, ROLE_ADMIN, SCOPE_ALL, "");
    assert_true(actor_can_in_grid(&adm, PERM_DEPTS_READ, "410102"));
    assert_true(actor_can_in_grid(&adm, PERM_USERS_WRITE, "999999001"));
    assert_false(actor_can_in_grid(&adm, PERM_AUDIT_READ, "410102")); /* not held */
    assert_false(actor_can_in_grid(&adm, PERM_DEPTS_READ, NULL));

    /* Auditor: scope 'all', reads departments, writes nothing. */
    actor aud = one(2, ROLE_AUDITOR, SCOPE_ALL, "");
    assert_true(actor_can_in_grid(&aud, PERM_AUDIT_READ, "410102"));
    assert_true(actor_can_in_grid(&aud, PERM_DEPTS_READ, "410102"));
    assert_false(actor_can_in_grid(&aud, PERM_DEPTS_WRITE, "410102"));

    /* Grid scope: the subtree only. */
    actor gm = one(3, ROLE_GRID_MEMBER, SCOPE_GRID, "410102001");
    assert_true(actor_can_in_grid(&gm, PERM_DEPTS_READ, "410102001"));
    assert_true(actor_can_in_grid(&gm, PERM_DEPTS_READ, "410102001005"));
    assert_false(actor_can_in_grid(&gm, PERM_DEPTS_READ, "410102002"));
    assert_false(actor_can_in_grid(&gm, PERM_DEPTS_READ, "410102")); /* the parent */
    assert_false(actor_can_in_grid(&gm, PERM_DEPTS_READ, ""));
    assert_false(actor_can_in_grid(&gm, PERM_USERS_READ, "410102001")); /* not held */

    /* A second grid grant widens it. */
    add_grant(&gm, ROLE_GRID_CHIEF, SCOPE_GRID, "410103");
    assert_true(actor_can_in_grid(&gm, PERM_DEPTS_READ, "410103007"));
    assert_false(actor_can_in_grid(&gm, PERM_DEPTS_READ, "410104"));

    /* A grid grant with an empty scope grants nothing. */
    actor empty = one(4, ROLE_LEADER, SCOPE_GRID, "");
    assert_false(actor_can_in_grid(&empty, PERM_DEPTS_READ, "410102"));
    assert_true(actor_can(&empty, PERM_DEPTS_READ)); /* ignoring scope, it is held */

    /* A department grant is no grid scope, even when its code looks like one. */
    actor ds = one(5, ROLE_DEPARTMENT_STAFF, SCOPE_DEPARTMENT, "410102");
    assert_false(actor_can_in_grid(&ds, PERM_DEPTS_READ, "410102"));

    /* No actor. */
    assert_false(actor_can_in_grid(NULL, PERM_DEPTS_READ, "410102"));
    assert_false(actor_can_in_grid(NULL, PERM_PUBLIC, "410102"));
}

static void test_can_in_department(void **state)
{
    (void)state;
    actor ds = one(5, ROLE_DEPARTMENT_STAFF, SCOPE_DEPARTMENT, "police");
    assert_true(actor_can_in_department(&ds, PERM_DEPTS_READ, "police"));
    assert_false(actor_can_in_department(&ds, PERM_DEPTS_READ, "fire"));
    assert_false(actor_can_in_department(&ds, PERM_DEPTS_READ, "polic")); /* exact, no prefix */
    assert_false(actor_can_in_department(&ds, PERM_DEPTS_READ, "police2"));
    assert_false(actor_can_in_department(&ds, PERM_DEPTS_READ, ""));
    assert_false(actor_can_in_department(&ds, PERM_DEPTS_READ, NULL));
    assert_false(actor_can_in_department(&ds, PERM_DEPTS_WRITE, "police")); /* not held */

    actor adm = one(1, ROLE_ADMIN, SCOPE_ALL, "");
    assert_true(actor_can_in_department(&adm, PERM_DEPTS_WRITE, "police"));
    assert_true(actor_can_in_department(&adm, PERM_DEPTS_READ, "fire"));
    assert_false(actor_can_in_department(&adm, PERM_AUDIT_READ, "fire"));

    /* A grid grant does not reach departments, whatever its scope text. */
    actor gm = one(3, ROLE_GRID_MEMBER, SCOPE_GRID, "police");
    assert_false(actor_can_in_department(&gm, PERM_DEPTS_READ, "police"));

    /* Citizen: scope 'all' but holds nothing there. */
    actor cit = one(6, ROLE_CITIZEN, SCOPE_ALL, "");
    assert_false(actor_can_in_department(&cit, PERM_DEPTS_READ, "police"));

    assert_false(actor_can_in_department(NULL, PERM_DEPTS_READ, "police"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_role_names),        cmocka_unit_test(test_scope_kinds),
        cmocka_unit_test(test_can_table),         cmocka_unit_test(test_can_public_self),
        cmocka_unit_test(test_grid_contains),     cmocka_unit_test(test_can_in_grid),
        cmocka_unit_test(test_can_in_department),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
