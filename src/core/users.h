/*
 * users.h - accounts: the rules for creating and changing them, and
 * loading the actor a login or token stands for.
 *
 * Every function validates its input and reports a refusal through wg_why
 * (field and message). Writes run in the caller's transaction. Phones are
 * sealed with the vault, indexed by a blind index and kept masked for
 * display; nothing here returns a clear phone except users_reveal_phone.
 */
#ifndef WG_USERS_H
#define WG_USERS_H

#include "core/actor.h"
#include "core/vault.h"
#include "store/store.h"

typedef struct {
    const char *login;
    const char *display_name;
    const char *password;
    const char *phone;    /* NULL: none */
    const char *id_number; /* citizen ID (GB 11643); NULL: none */
    const store_grant *grants;
    int ngrants;
} user_new;

/* Is login acceptable: 2-32 of [a-z0-9._-], starting with a letter or a
 * digit? */
bool users_login_ok(const char *login, wg_why *why);

/* Check a role and scope and turn them into a grant. scope is a grid code
 * for grid roles, an existing department's code for department roles, and
 * must be empty or NULL for the others. */
wg_err users_parse_grant(store *s, const char *role, const char *scope, store_grant *out,
                         wg_why *why);

/* Create an account; *id receives its id. WG_ERR_CONFLICT when the login
 * is taken. */
wg_err users_create(store *s, const vault *v, const user_new *in, uint64_t memlimit, int64_t *id,
                    wg_why *why);

/* Change display name, phone and/or citizen ID number (NULL: unchanged;
 * "" phone or ID number: remove). */
wg_err users_update(store *s, const vault *v, const char *login, const char *display_name,
                    const char *phone, const char *id_number, wg_why *why);

wg_err users_set_password(store *s, const char *login, const char *password, uint64_t memlimit,
                          wg_why *why);
/* The same with a hash made beforehand (outside the write transaction). */
wg_err users_set_password_hash(store *s, const char *login, const char *hash, wg_why *why);

/* Disable (and revoke every session) or enable an account. */
wg_err users_set_disabled(store *s, const char *login, bool disabled, wg_why *why);

/* Replace the account's grants. */
wg_err users_set_grants(store *s, const char *login, const store_grant *g, int n, wg_why *why);

/* Fill an actor from an account and its grants. */
wg_err users_load_actor(store *s, int64_t user_id, actor *out);

/* Decrypt the account's phone into out (cap bytes). WG_ERR_NOT_FOUND when
 * it has none. */
wg_err users_reveal_phone(const vault *v, const store_user *u, char *out, size_t cap);
/* The same for the citizen ID number. */
wg_err users_reveal_id(const vault *v, const store_user *u, char *out, size_t cap);

/* Find the account with this phone or citizen ID number (what = "phone"
 * or "id"), by blind index: the value is validated and normalised first
 * (WG_ERR_INVALID naming the field), nothing is decrypted. */
wg_err users_find(store *s, const vault *v, const char *what, const char *value, store_user *out,
                  wg_why *why);

#endif
