/*
 * cmd_serve.c - `wangge serve`: run the HTTP server until SIGINT/SIGTERM.
 */
#include "cli/cli.h"
#include "core/auth.h"
#include "core/vault.h"
#include "http/server.h"
#include "store/store.h"
#include "util/log.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

int cmd_serve(int argc, char **argv)
{
    wg_config cfg;
    int first;
    int rc = cli_config(argc, argv, "wangge serve --db PATH --listen HOST:PORT [options]",
                        "Serve the API and the console over HTTP. The database is created and "
                        "migrated if needed.\nThe first line on stdout is the address bound, "
                        "e.g. http://127.0.0.1:8080 (useful with port 0).\nSIGINT or SIGTERM "
                        "let in-flight requests finish, then close the database.",
                        NULL, &cfg, &first);
    if (rc >= 0)
        return rc;
    if (first < argc) {
        cli_error("serve", "unexpected argument '%s' (see 'wangge serve --help')", argv[first]);
        return EXIT_USAGE;
    }

    /* Block the signals before any thread starts, so that every thread
     * inherits the mask and only sigwait below receives them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    char err[1024];
    store_pool *pool = NULL;
    store_opts o = {.busy_timeout_ms = (int)cfg.busy_timeout_ms, .create = true};
    if (store_pool_new(cfg.db, &o, &pool, err, sizeof(err))) {
        cli_error("serve", "%s", err);
        return EXIT_FAIL;
    }
    vault *v = NULL;
    store *main_db = store_pool_get(pool);
    if (auth_init() || !main_db || cli_check_key("serve", &cfg, main_db, &v)) {
        store_pool_free(pool);
        return EXIT_FAIL;
    }
    http_server *srv = NULL;
    if (server_start(&cfg, pool, v, &srv, err, sizeof(err))) {
        cli_error("serve", "%s", err);
        vault_free(v);
        store_pool_free(pool);
        return EXIT_FAIL;
    }
    char host[256];
    const char *colon = strrchr(cfg.listen, ':');
    snprintf(host, sizeof(host), "%.*s", (int)(colon - cfg.listen), cfg.listen);
    printf("http://%s:%u\n", host, (unsigned)server_port(srv));
    fflush(stdout);
    log_info("serving %s on http://%s:%u (%s)", cfg.db, host, (unsigned)server_port(srv),
             WG_VERSION);

    sigdelset(&set, SIGPIPE);
    int sig = 0;
    sigwait(&set, &sig);
    log_info("received %s: finishing in-flight requests (up to %lld s)",
             sig == SIGINT ? "SIGINT" : "SIGTERM", (long long)cfg.shutdown_grace);
    server_stop(srv, (int)cfg.shutdown_grace);
    store_pool_free(pool);
    vault_free(v);
    log_info("stopped cleanly");
    return EXIT_OK;
}
