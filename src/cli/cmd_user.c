/*
 * cmd_user.c - `wangge user add|passwd|role|disable|enable|list`.
 *
 * Every change runs in one transaction with its audit row, attributed to
 * "cli:<unix user>".
 */
#include "cli/cli.h"
#include "core/audit.h"
#include "core/users.h"
#include "core/vault.h"
#include "store/store.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char *const keys[] = {"db", "key_file", "busy_timeout_ms", "password_memlimit",
                                   "log_level", NULL};

typedef struct {
    const char *name;
    const char *phone;
    const char *roles[ACTOR_MAX_GRANTS];
    int nroles;
    bool password_stdin;
} user_opts;

static int on_opt(int val, const char *arg, void *ctx)
{
    user_opts *o = ctx;
    switch (val) {
    case 'n': o->name = arg; return 0;
    case 'p': o->phone = arg; return 0;
    case 's': o->password_stdin = true; return 0;
    case 'r':
        if (o->nroles == ACTOR_MAX_GRANTS) {
            cli_error("user", "at most %d roles", ACTOR_MAX_GRANTS);
            return EXIT_USAGE;
        }
        o->roles[o->nroles++] = arg;
        return 0;
    default: return EXIT_USAGE;
    }
}

static const struct option extra[] = {
    {"name", required_argument, NULL, 'n'},
    {"phone", required_argument, NULL, 'p'},
    {"role", required_argument, NULL, 'r'},
    {"password-stdin", no_argument, NULL, 's'},
    {NULL, 0, NULL, 0},
};

static const char extra_help[] =
    "  --name NAME          display name (add)\n"
    "  --phone PHONE        phone number, stored encrypted (add)\n"
    "  --role ROLE[:SCOPE]  a role, repeatable (add); scope is a grid code for grid roles,\n"
    "                       a department code for department_staff\n"
    "  --password-stdin     read the password from the first line of standard input;\n"
    "                       else $WANGGE_PASSWORD; else a random one is printed\n";

/* "role:scope" -> grant. */
static int parse_grant(store *s, const char *text, store_grant *g)
{
    char role[32];
    const char *colon = strchr(text, ':');
    size_t n = colon ? (size_t)(colon - text) : strlen(text);
    snprintf(role, sizeof(role), "%.*s", (int)(n < sizeof(role) ? n : sizeof(role) - 1), text);
    wg_why why = {0};
    if (users_parse_grant(s, role, colon ? colon + 1 : NULL, g, &why)) {
        cli_error("user", "role '%s': %s", text, why.msg);
        return EXIT_FAIL;
    }
    return 0;
}

typedef struct {
    const char *what;
    int n;
} list_ctx;

static wg_err print_user(void *ctx, const store_user *u)
{
    (void)ctx;
    printf("%-20s %-20s %-12s %s\n", u->login, u->display_name,
           u->phone_masked[0] ? u->phone_masked : "-", u->disabled ? "disabled" : "active");
    return WG_OK;
}

static int finish(store *s, wg_err e, const wg_why *why, const char *action, const char *login)
{
    char resource[128];
    snprintf(resource, sizeof(resource), "/api/users/%s", login);
    audit_event ev = {.actor = cli_actor(), .action = action, .resource = resource};
    if (!e)
        e = audit_append(s, &ev);
    if (!e)
        e = store_commit(s);
    if (e) {
        store_rollback(s);
        cli_error("user", "%s", why->msg[0] ? why->msg : wg_strerror(e));
        return EXIT_FAIL;
    }
    return 0;
}

int cmd_user(int argc, char **argv)
{
    static const char usage[] =
        "usage: wangge user add LOGIN --name NAME [--role ROLE[:SCOPE]]... [--phone P] [options]\n"
        "       wangge user passwd LOGIN [--password-stdin] [options]\n"
        "       wangge user role LOGIN [ROLE[:SCOPE] ...]   (replaces every role)\n"
        "       wangge user disable|enable LOGIN [options]\n"
        "       wangge user list [options]\n";
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        if (argc >= 2)
            fputs("\nRun 'wangge user SUBCOMMAND --help' for options.\n", stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    const char *sub = argv[1];
    static const char *const subs[] = {"add", "passwd", "role", "disable", "enable", "list"};
    bool known = false;
    for (size_t i = 0; i < WG_ARRAY_LEN(subs); i++)
        known |= strcmp(sub, subs[i]) == 0;
    if (!known) {
        cli_error("user", "unknown subcommand '%s' (see 'wangge user --help')", sub);
        return EXIT_USAGE;
    }
    char cmdname[32];
    snprintf(cmdname, sizeof(cmdname), "user %s", sub);
    argv[1] = cmdname;
    user_opts o = {0};
    wg_config cfg;
    int first;
    int rc = cli_config_ex(argc - 1, argv + 1, usage, "Manage accounts.", keys, extra, extra_help,
                           on_opt, &o, &cfg, &first);
    if (rc >= 0)
        return rc;
    char **args = argv + 1 + first;
    int nargs = argc - 1 - first;
    bool is_list = strcmp(sub, "list") == 0, is_role = strcmp(sub, "role") == 0;
    if ((is_list && nargs != 0) || (!is_list && !is_role && nargs != 1) || (is_role && nargs < 1)) {
        cli_error("user", "wrong number of arguments (see 'wangge user --help')");
        return EXIT_USAGE;
    }
    if (strcmp(sub, "add") == 0 && !o.name) {
        cli_error("user", "add needs --name");
        return EXIT_USAGE;
    }
    store *s;
    vault *v;
    if ((rc = cli_open("user", &cfg, false, &s, &v)))
        return rc;
    wg_why why = {0};
    wg_err e = WG_OK;
    if (is_list) {
        e = store_user_list(s, "", 1000000, print_user, NULL);
        if (e) {
            cli_error("user", "%s", wg_strerror(e));
            rc = EXIT_FAIL;
        }
        goto out;
    }
    const char *login = args[0];
    char pw[1100];
    bool generated = false;
    if ((strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0) &&
        (rc = cli_password("user", o.password_stdin, pw, sizeof(pw), &generated)))
        goto out;
    if ((e = store_begin(s))) {
        cli_error("user", "%s", wg_strerror(e));
        rc = EXIT_FAIL;
        goto out;
    }
    if (strcmp(sub, "add") == 0) {
        store_grant g[ACTOR_MAX_GRANTS];
        for (int i = 0; i < o.nroles; i++)
            if ((rc = parse_grant(s, o.roles[i], &g[i]))) {
                store_rollback(s);
                goto out;
            }
        user_new in = {.login = login, .display_name = o.name, .password = pw, .phone = o.phone,
                       .grants = g, .ngrants = o.nroles};
        int64_t id;
        e = users_create(s, v, &in, cfg.password_memlimit, &id, &why);
        if (!(rc = finish(s, e, &why, "user.create", login)))
            printf(generated ? "created %s, password %s (shown once)\n" : "created %s\n", login, pw);
    } else if (strcmp(sub, "passwd") == 0) {
        e = users_set_password(s, login, pw, cfg.password_memlimit, &why);
        if (!(rc = finish(s, e, &why, "user.password", login)))
            printf(generated ? "new password for %s: %s (shown once)\n" : "password of %s changed\n",
                   login, pw);
    } else if (is_role) {
        store_grant g[ACTOR_MAX_GRANTS];
        int n = nargs - 1;
        if (n > ACTOR_MAX_GRANTS) {
            store_rollback(s);
            cli_error("user", "at most %d roles", ACTOR_MAX_GRANTS);
            rc = EXIT_USAGE;
            goto out;
        }
        for (int i = 0; i < n; i++)
            if ((rc = parse_grant(s, args[1 + i], &g[i]))) {
                store_rollback(s);
                goto out;
            }
        e = users_set_grants(s, login, g, n, &why);
        if (!(rc = finish(s, e, &why, "user.roles", login)))
            printf("%s now has %d role(s)\n", login, n);
    } else {
        bool disable = strcmp(sub, "disable") == 0;
        e = users_set_disabled(s, login, disable, &why);
        if (!(rc = finish(s, e, &why, disable ? "user.disable" : "user.enable", login)))
            printf("%s %s\n", login, disable ? "disabled (sessions ended)" : "enabled");
    }
out:
    vault_free(v);
    store_close(s);
    return rc;
}
