/*
 * attach.h - attachments (photos, documents) of cases and ledger entries: content-addressed
 * files under a directory, recorded in the store.
 *
 * A file is kept once per content, at DIR/ab/abcdef... (its SHA-256), and
 * its type comes from its first bytes, never from what the client claims:
 * JPEG, PNG, WebP and PDF only.
 */
#ifndef WG_ATTACH_H
#define WG_ATTACH_H

#include <jansson.h>

#include "store/store.h"

/* The media type of these bytes, or NULL when not an accepted type. */
const char *attach_sniff(const void *data, size_t len);

/* Store bytes (in the caller's transaction for the row; the file is written
 * first, atomically, and may stay behind if the transaction rolls back:
 * content addressing makes that harmless). sha gets the hex SHA-256.
 * WG_ERR_MEDIA_TYPE for a type not accepted. */
wg_err attach_store(store *s, const char *dir, const void *data, size_t len, int64_t now,
                    char sha[65], const char **media_type, wg_why *why);

/* The file of an attachment: DIR/ab/<sha>. */
void attach_path(const char *dir, const char *sha, char *out, size_t cap);

/* Is sha 64 lowercase hex digits? */
bool attach_sha_ok(const char *sha);

/* Is att a list of at most 20 SHA-256s of stored attachments (what an
 * action or an entry may carry)? WG_ERR_INVALID / WG_ERR_BAD_REQUEST with
 * why naming "attachments" when not. */
wg_err attach_check_list(store *s, const json_t *att, wg_why *why);

#endif
