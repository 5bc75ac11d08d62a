/*
 * cmd_init.c - `wangge init`: create or migrate a database, its key file
 * and the first admin account.
 */
#include "cli/cli.h"
#include "core/audit.h"
#include "core/users.h"
#include "core/vault.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Create login "admin" when the database has no account at all. */
static int first_admin(const wg_config *cfg, store *s, const vault *v)
{
    int64_t n = 0;
    if (store_user_count(s, &n) || n > 0)
        return 0;
    char pw[1100];
    bool generated = false;
    const char *env = getenv("WANGGE_ADMIN_PASSWORD");
    if (env && *env)
        snprintf(pw, sizeof(pw), "%s", env);
    else if (cli_password("init", false, pw, sizeof(pw), &generated))
        return EXIT_FAIL;
    store_grant g = {.role = "admin", .scope_kind = "all", .scope = ""};
    user_new in = {.login = "admin", .display_name = "管理员", .password = pw, .grants = &g,
                   .ngrants = 1};
    wg_why why = {0};
    int64_t id;
    audit_event ev = {.actor = cli_actor(), .action = "user.create", .resource = "/api/users/admin",
                      .detail = "first admin, by init"};
    wg_err e = store_begin(s);
    if (!e && !(e = users_create(s, v, &in, cfg->password_memlimit, &id, &why)) &&
        !(e = audit_append(s, &ev)))
        e = store_commit(s);
    if (e) {
        store_rollback(s);
        cli_error("init", "cannot create the admin account: %s",
                  why.msg[0] ? why.msg : wg_strerror(e));
        return EXIT_FAIL;
    }
    if (generated)
        printf("created the first account: login admin, password %s (shown once; change it "
               "with `wangge user passwd admin`)\n",
               pw);
    else
        printf("created the first account: login admin, password from WANGGE_ADMIN_PASSWORD\n");
    return 0;
}

int cmd_init(int argc, char **argv)
{
    static const char *const keys[] = {"db", "key_file", "busy_timeout_ms", "password_memlimit",
                                       "log_level", NULL};
    wg_config cfg;
    int first;
    int rc = cli_config(argc, argv, "wangge init --db PATH [options]",
                        "Create the database at PATH if absent and apply every schema migration "
                        "it lacks;\ncreate its key file (PATH.key, mode 0600) for personal data; "
                        "and, when it has no\naccount yet, the admin account (password from "
                        "WANGGE_ADMIN_PASSWORD, else random\nand printed once). Running it again "
                        "changes nothing.",
                        keys, &cfg, &first);
    if (rc >= 0)
        return rc;
    if (first < argc) {
        cli_error("init", "unexpected argument '%s' (see 'wangge init --help')", argv[first]);
        return EXIT_USAGE;
    }
    char err[1024];
    store *s = NULL;
    store_opts o = {.busy_timeout_ms = (int)cfg.busy_timeout_ms, .create = true};
    int from = 0, to = 0;
    if (store_open(cfg.db, &o, &s, err, sizeof(err)) ||
        store_migrate(s, &from, &to, err, sizeof(err))) {
        cli_error("init", "%s", err);
        store_close(s);
        return EXIT_FAIL;
    }
    vault *v = NULL;
    if ((rc = cli_check_key("init", &cfg, s, &v)) == 0) {
        if (from == to)
            printf("database %s is up to date (schema %d)\n", cfg.db, to);
        else
            printf("database %s migrated from schema %d to %d\n", cfg.db, from, to);
        rc = first_admin(&cfg, s, v);
    }
    vault_free(v);
    store_close(s);
    return rc;
}
