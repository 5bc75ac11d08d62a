/*
 * instance.c - opening a wangge instance from the command line: the
 * database and its key file, checked against each other.
 */
#include "cli/cli.h"
#include "core/auth.h"
#include "core/vault.h"
#include "store/store.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define META_KEY_CHECK "key_check"

int cli_check_key(const char *cmd, const wg_config *cfg, store *s, vault **v)
{
    char path[CONFIG_STR_MAX + 8], err[1024], want[128] = "", have[65];
    config_key_path(cfg, path, sizeof(path));
    wg_err e = store_meta_get(s, META_KEY_CHECK, want, sizeof(want));
    if (e && e != WG_ERR_NOT_FOUND) {
        cli_error(cmd, "database %s: cannot read its key check: %s", cfg->db, wg_strerror(e));
        return EXIT_FAIL;
    }
    struct stat st;
    if (e == WG_ERR_NOT_FOUND && stat(path, &st) != 0) {
        /* A database without a key yet: make one beside it. */
        if (vault_create_key(path, err, sizeof(err))) {
            cli_error(cmd, "%s", err);
            return EXIT_FAIL;
        }
    } else if (e == WG_OK && stat(path, &st) != 0) {
        cli_error(cmd,
                  "key file %s is missing: the personal data in %s cannot be read without the "
                  "key it was written with (set key_file if it lives elsewhere)",
                  path, cfg->db);
        return EXIT_FAIL;
    }
    if (vault_open(path, v, err, sizeof(err))) {
        cli_error(cmd, "%s", err);
        return EXIT_FAIL;
    }
    vault_key_check(*v, have);
    if (!want[0]) {
        if ((e = store_meta_set(s, META_KEY_CHECK, have))) {
            cli_error(cmd, "database %s: cannot record its key check: %s", cfg->db,
                      wg_strerror(e));
            vault_free(*v);
            *v = NULL;
            return EXIT_FAIL;
        }
    } else if (strcmp(want, have) != 0) {
        cli_error(cmd, "key file %s does not belong to database %s (it was written with another key)",
                  path, cfg->db);
        vault_free(*v);
        *v = NULL;
        return EXIT_FAIL;
    }
    return 0;
}

int cli_open(const char *cmd, const wg_config *cfg, bool create, store **s, vault **v)
{
    char err[1024];
    *s = NULL;
    *v = NULL;
    if (auth_init()) {
        cli_error(cmd, "cannot initialise libsodium");
        return EXIT_FAIL;
    }
    store_opts o = {.busy_timeout_ms = (int)cfg->busy_timeout_ms, .create = create};
    if (store_open(cfg->db, &o, s, err, sizeof(err)) ||
        store_migrate(*s, NULL, NULL, err, sizeof(err))) {
        cli_error(cmd, "%s", err);
        store_close(*s);
        *s = NULL;
        return EXIT_FAIL;
    }
    int rc = cli_check_key(cmd, cfg, *s, v);
    if (rc) {
        store_close(*s);
        *s = NULL;
    }
    return rc;
}

int cli_password(const char *cmd, bool from_stdin, char *out, size_t cap, bool *generated)
{
    *generated = false;
    if (from_stdin) {
        if (!fgets(out, (int)cap, stdin)) {
            cli_error(cmd, "no password on standard input");
            return EXIT_FAIL;
        }
        out[strcspn(out, "\r\n")] = '\0';
        return 0;
    }
    const char *env = getenv("WANGGE_PASSWORD");
    if (env && *env) {
        snprintf(out, cap, "%s", env);
        return 0;
    }
    char tok[AUTH_TOKEN_MAX];
    auth_token_new("", tok);
    snprintf(out, cap, "%.20s", tok);
    *generated = true;
    return 0;
}

const char *cli_actor(void)
{
    static char who[96];
    if (!who[0]) {
        struct passwd *pw = getpwuid(getuid());
        snprintf(who, sizeof(who), "cli:%s", pw && pw->pw_name ? pw->pw_name : "?");
    }
    return who;
}
