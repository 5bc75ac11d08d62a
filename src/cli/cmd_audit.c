/*
 * cmd_audit.c - `wangge audit verify`.
 */
#include "cli/cli.h"
#include "core/audit.h"
#include "core/vault.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

int cmd_audit(int argc, char **argv)
{
    static const char *const keys[] = {"db", "key_file", "busy_timeout_ms", "log_level", NULL};
    if (argc < 2 || strcmp(argv[1], "verify") != 0) {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            printf("usage: wangge audit verify --db PATH\n\nRecompute the audit log's hash "
                   "chain and report the first broken link.\n");
            return EXIT_OK;
        }
        cli_error("audit", "expected 'verify' (see 'wangge audit --help')");
        return EXIT_USAGE;
    }
    argv[1] = "audit verify";
    wg_config cfg;
    int first;
    int rc = cli_config(argc - 1, argv + 1, "wangge audit verify --db PATH",
                        "Recompute the audit log's hash chain from the first row. Exit 0 and the "
                        "head hash when\nevery row links to the one before and matches its hash; "
                        "exit 1 naming the first row\nthat was changed, deleted or inserted.",
                        keys, &cfg, &first);
    if (rc >= 0)
        return rc;
    if (first < argc - 1) {
        cli_error("audit", "unexpected argument '%s'", argv[first + 1]);
        return EXIT_USAGE;
    }
    store *s;
    vault *v;
    if ((rc = cli_open("audit", &cfg, false, &s, &v)))
        return rc;
    audit_report rep;
    wg_err e = audit_verify(s, &rep);
    if (e) {
        cli_error("audit", "cannot read the audit log: %s", wg_strerror(e));
        rc = EXIT_FAIL;
    } else if (rep.first_bad_id) {
        printf("audit log BROKEN at row %lld: %s\n", (long long)rep.first_bad_id, rep.why);
        rc = EXIT_FAIL;
    } else {
        printf("audit log intact: %lld rows, head %s\n", (long long)rep.rows, rep.head);
    }
    vault_free(v);
    store_close(s);
    return rc;
}
