/* fixture.h: what the unit tests share to set up and tear down. Owns the
 * scratch directory under /tmp, a migrated store in it and a vault key in
 * it; a failure ends the calling test with the reason. */
#ifndef WG_TEST_FIXTURE_H
#define WG_TEST_FIXTURE_H

#include <stddef.h>

#include "core/vault.h"
#include "store/store.h"

/* Creates /tmp/wg-test-NAME-XXXXXX into dir. */
void fx_tmpdir(char *dir, size_t size, const char *name);

/* Opens (creating) DIR/FILE and applies every migration. */
store *fx_store(const char *dir, const char *file);

/* Creates DIR/vault.key and opens it. */
vault *fx_vault(const char *dir);

/* Removes dir and everything in it; 0 on success. */
int fx_rmdir(const char *dir);

#endif
