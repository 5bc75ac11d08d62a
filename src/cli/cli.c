/*
 * cli.c - option and configuration handling shared by the subcommands.
 */
#include "cli/cli.h"
#include "util/log.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "wangge %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void flag_name(const char *key, char *out, size_t cap)
{
    size_t i = 0;
    for (; key[i] && i + 1 < cap; i++)
        out[i] = key[i] == '_' ? '-' : key[i];
    out[i] = '\0';
}

static void print_help(const char *synopsis, const char *summary, const char *const *keys,
                       const char *extra_help)
{
    printf("usage: %s\n\n%s\n\noptions:\n", synopsis, summary);
    if (extra_help)
        fputs(extra_help, stdout);
    for (size_t i = 0; keys[i]; i++) {
        const config_key *k = config_find(keys[i]);
        char flag[64];
        flag_name(k->name, flag, sizeof(flag));
        char env[64] = "WANGGE_";
        size_t n = strlen(env);
        for (const char *p = k->name; *p && n + 1 < sizeof(env); p++)
            env[n++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        env[n] = '\0';
        printf("  --%s VALUE\n      %s\n      (config key %s, environment %s; default %s)\n", flag,
               k->help, k->name, env, k->def);
    }
    printf("  --config FILE\n      Read settings from FILE (key = value lines) before the "
           "environment and flags.\n");
    printf("  --help\n      Show this help.\n");
}

int cli_config(int argc, char **argv, const char *synopsis, const char *summary,
               const char *const *keys, wg_config *cfg, int *first_arg)
{
    return cli_config_ex(argc, argv, synopsis, summary, keys, NULL, NULL, NULL, NULL, cfg,
                         first_arg);
}

int cli_config_ex(int argc, char **argv, const char *synopsis, const char *summary,
                  const char *const *keys, const struct option *extra, const char *extra_help,
                  int (*on_extra)(int val, const char *arg, void *ctx), void *ctx, wg_config *cfg,
                  int *first_arg)
{
    const char *cmd = argv[0];
    static const char *all[64];
    if (!keys) {
        size_t n;
        const config_key *table = config_keys(&n);
        for (size_t i = 0; i < n && i + 1 < WG_ARRAY_LEN(all); i++)
            all[i] = table[i].name;
        keys = all;
    }
    size_t nkeys = 0, nextra = 0;
    while (keys[nkeys])
        nkeys++;
    while (extra && extra[nextra].name)
        nextra++;
    struct option *opts = calloc(nkeys + nextra + 3, sizeof(*opts));
    char(*names)[64] = calloc(nkeys, sizeof(*names));
    int rc = -1;
    if (!opts || !names) {
        cli_error(cmd, "out of memory");
        rc = EXIT_FAIL;
        goto out;
    }
    for (size_t i = 0; i < nkeys; i++) {
        flag_name(keys[i], names[i], sizeof(names[i]));
        opts[i] = (struct option){names[i], required_argument, NULL, 1000 + (int)i};
    }
    for (size_t i = 0; i < nextra; i++)
        opts[nkeys + i] = extra[i];
    opts[nkeys + nextra] = (struct option){"config", required_argument, NULL, 'c'};
    opts[nkeys + nextra + 1] = (struct option){"help", no_argument, NULL, 'h'};

    /* Pass 1: syntax, --help and --config. Flags are applied in pass 2,
     * after the file and the environment, so that they win. */
    const char *config_file = NULL;
    optind = 0;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 'h') {
            print_help(synopsis, summary, keys, extra_help);
            rc = EXIT_OK;
            goto out;
        }
        if (ch == 'c')
            config_file = optarg;
        else if (ch > 0 && ch < 256 && ch != 'h' && ch != '?' && ch != ':' && on_extra) {
            int x = on_extra(ch, optarg, ctx);
            if (x) {
                rc = x;
                goto out;
            }
        }
        if (ch == '?' || ch == ':') {
            cli_error(cmd, "%s '%s' (see 'wangge %s --help')",
                      ch == ':' ? "missing value for" : "unknown option",
                      argv[optind - 1], cmd);
            rc = EXIT_USAGE;
            goto out;
        }
    }
    *first_arg = optind;

    char err[1024];
    config_defaults(cfg);
    if ((config_file && config_load_file(cfg, config_file, err, sizeof(err))) ||
        config_load_env(cfg, err, sizeof(err))) {
        cli_error(cmd, "%s", err);
        rc = EXIT_FAIL;
        goto out;
    }
    optind = 0;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch < 1000)
            continue;
        const config_key *k = config_find(keys[ch - 1000]);
        char origin[96];
        snprintf(origin, sizeof(origin), "flag --%s", names[ch - 1000]);
        if (config_set(cfg, k, optarg, origin, err, sizeof(err))) {
            cli_error(cmd, "%s", err);
            rc = EXIT_FAIL;
            goto out;
        }
    }
    log_level lv;
    if (log_parse_level(cfg->log_level, &lv))
        log_set_level(lv);
out:
    free(opts);
    free(names);
    return rc;
}
