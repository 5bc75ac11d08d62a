#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"

void fx_tmpdir(char *dir, size_t size, const char *name)
{
    snprintf(dir, size, "/tmp/wg-test-%s-XXXXXX", name);
    assert_non_null(mkdtemp(dir));
}

store *fx_store(const char *dir, const char *file)
{
    char path[256], err[512] = "";
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    store_opts o = {.busy_timeout_ms = 1000, .create = true};
    store *s = NULL;
    if (store_open(path, &o, &s, err, sizeof(err)) != WG_OK ||
        store_migrate(s, NULL, NULL, err, sizeof(err)) != WG_OK)
        fail_msg("store: %s", err);
    return s;
}

vault *fx_vault(const char *dir)
{
    char path[256], err[512] = "";
    snprintf(path, sizeof(path), "%s/vault.key", dir);
    vault *v = NULL;
    if (vault_create_key(path, err, sizeof(err)) != WG_OK ||
        vault_open(path, &v, err, sizeof(err)) != WG_OK)
        fail_msg("vault: %s", err);
    return v;
}

int fx_rmdir(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}
