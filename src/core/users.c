/*
 * users.c - see users.h.
 */
#include "core/users.h"
#include "core/auth.h"
#include "core/pii.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

#define PHONE_AD "users.phone"
#define PHONE_DOMAIN "phone"
#define ID_AD "users.id_number"
#define ID_DOMAIN "id_number"

bool users_login_ok(const char *login, wg_why *why)
{
    size_t n = strlen(login);
    if (n < 2 || n > 32) {
        wg_fail(why, WG_ERR_INVALID, "login", "the login must have 2 to 32 characters");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = login[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && !(i > 0 && (c == '.' || c == '_' || c == '-'))) {
            wg_fail(why, WG_ERR_INVALID, "login",
                    "the login may hold only a-z, 0-9 and . _ - (not first)");
            return false;
        }
    }
    return true;
}

static bool display_ok(const char *name, wg_why *why)
{
    size_t n = strlen(name);
    if (n == 0 || n >= STORE_NAME_MAX) {
        wg_fail(why, WG_ERR_INVALID, "display_name", "the display name must have 1 to %d bytes",
                STORE_NAME_MAX - 1);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)name[i] < 0x20) {
            wg_fail(why, WG_ERR_INVALID, "display_name",
                    "the display name must not hold control characters");
            return false;
        }
    }
    return true;
}

/* Grid codes: 6 to 24 digits (a division code, extended per grid level). */
static bool grid_code_ok(const char *code)
{
    size_t n = strlen(code);
    if (n < 6 || n > 24)
        return false;
    for (size_t i = 0; i < n; i++)
        if (code[i] < '0' || code[i] > '9')
            return false;
    return true;
}

wg_err users_parse_grant(store *s, const char *role, const char *scope, store_grant *out,
                         wg_why *why)
{
    role_id r;
    if (!role || !actor_role_parse(role, &r))
        return wg_fail(why, WG_ERR_INVALID, "role",
                       "unknown role '%s' (admin, leader, community_staff, grid_chief, "
                       "grid_member, department_staff, citizen, auditor)",
                       role ? role : "");
    memset(out, 0, sizeof(*out));
    snprintf(out->role, sizeof(out->role), "%s", role);
    scope_kind k = actor_role_scope_kind(r);
    snprintf(out->scope_kind, sizeof(out->scope_kind), "%s", actor_scope_kind_name(k));
    if (!scope)
        scope = "";
    switch (k) {
    case SCOPE_ALL:
        if (*scope)
            return wg_fail(why, WG_ERR_INVALID, "scope", "role %s takes no scope", role);
        return WG_OK;
    case SCOPE_GRID:
        if (!grid_code_ok(scope))
            return wg_fail(why, WG_ERR_INVALID, "scope",
                           "role %s needs a grid code as scope (6 to 24 digits)", role);
        break;
    case SCOPE_DEPARTMENT: {
        store_department d;
        wg_err e = *scope ? store_department_get(s, scope, &d) : WG_ERR_NOT_FOUND;
        if (e == WG_ERR_NOT_FOUND)
            return wg_fail(why, WG_ERR_INVALID, "scope",
                           "role %s needs an existing department code as scope", role);
        if (e)
            return e;
        break;
    }
    }
    snprintf(out->scope, sizeof(out->scope), "%s", scope);
    return WG_OK;
}

/* Seal, index and mask a phone into u; "" or NULL clears it. */
static wg_err set_phone(const vault *v, store_user *u, const char *phone, wg_why *why)
{
    u->phone_sealed_len = 0;
    u->phone_bidx[0] = u->phone_masked[0] = '\0';
    if (!phone || !*phone)
        return WG_OK;
    char norm[32];
    const char *reason = NULL;
    if (!pii_phone_valid(phone, norm, sizeof(norm), &reason))
        return wg_fail(why, WG_ERR_INVALID, "phone", "invalid phone number: %s",
                       reason ? reason : "not a phone number");
    wg_err e = vault_encrypt(v, norm, strlen(norm), PHONE_AD, u->phone_sealed,
                             sizeof(u->phone_sealed), &u->phone_sealed_len);
    if (e)
        return e;
    vault_blind_index(v, PHONE_DOMAIN, norm, u->phone_bidx);
    pii_mask_phone(norm, u->phone_masked, sizeof(u->phone_masked));
    return WG_OK;
}

/* Seal, index and mask a citizen ID number into u; "" or NULL clears it. */
static wg_err set_id(const vault *v, store_user *u, const char *id, wg_why *why)
{
    u->id_sealed_len = 0;
    u->id_bidx[0] = u->id_masked[0] = '\0';
    if (!id || !*id)
        return WG_OK;
    char norm[19];
    const char *reason = NULL;
    if (!pii_id_number_valid(id, norm, &reason))
        return wg_fail(why, WG_ERR_INVALID, "id_number", "invalid citizen ID number: %s",
                       reason ? reason : "not an ID number");
    wg_err e = vault_encrypt(v, norm, strlen(norm), ID_AD, u->id_sealed, sizeof(u->id_sealed),
                             &u->id_sealed_len);
    if (e)
        return e;
    vault_blind_index(v, ID_DOMAIN, norm, u->id_bidx);
    pii_mask_id_number(norm, u->id_masked);
    return WG_OK;
}

static void stamp(char *out, size_t cap)
{
    log_timestamp(out, cap);
}

wg_err users_create(store *s, const vault *v, const user_new *in, uint64_t memlimit, int64_t *id,
                    wg_why *why)
{
    store_user u;
    memset(&u, 0, sizeof(u));
    if (!in->login)
        return wg_fail(why, WG_ERR_INVALID, "login", "'login' is required");
    if (!users_login_ok(in->login, why))
        return WG_ERR_INVALID;
    if (!in->display_name)
        return wg_fail(why, WG_ERR_INVALID, "display_name", "'display_name' is required");
    if (!display_ok(in->display_name, why))
        return WG_ERR_INVALID;
    if (!in->password)
        return wg_fail(why, WG_ERR_INVALID, "password", "'password' is required");
    if (!auth_password_ok(in->password, why))
        return WG_ERR_INVALID;
    if (in->ngrants > ACTOR_MAX_GRANTS)
        return wg_fail(why, WG_ERR_INVALID, "roles", "at most %d roles per account",
                       ACTOR_MAX_GRANTS);
    snprintf(u.login, sizeof(u.login), "%s", in->login);
    snprintf(u.display_name, sizeof(u.display_name), "%s", in->display_name);
    wg_err e = set_phone(v, &u, in->phone, why);
    if (!e)
        e = set_id(v, &u, in->id_number, why);
    if (e)
        return e;
    if ((e = auth_password_hash(in->password, memlimit, u.password_hash)))
        return e;
    stamp(u.created_at, sizeof(u.created_at));
    memcpy(u.updated_at, u.created_at, sizeof(u.updated_at));
    e = store_user_insert(s, &u, id);
    if (e == WG_ERR_CONFLICT)
        return wg_fail(why, e, "login", "the login '%s' is taken", in->login);
    if (!e && in->ngrants)
        e = store_grants_replace(s, *id, in->grants, in->ngrants);
    return e;
}

static wg_err get_user(store *s, const char *login, store_user *u, wg_why *why)
{
    wg_err e = store_user_get(s, login, u);
    if (e == WG_ERR_NOT_FOUND)
        return wg_fail(why, e, NULL, "no account '%s'", login);
    return e;
}

wg_err users_update(store *s, const vault *v, const char *login, const char *display_name,
                    const char *phone, const char *id_number, wg_why *why)
{
    store_user u;
    wg_err e = get_user(s, login, &u, why);
    if (e)
        return e;
    if (display_name) {
        if (!display_ok(display_name, why))
            return WG_ERR_INVALID;
        snprintf(u.display_name, sizeof(u.display_name), "%s", display_name);
    }
    if (phone && (e = set_phone(v, &u, phone, why)))
        return e;
    if (id_number && (e = set_id(v, &u, id_number, why)))
        return e;
    stamp(u.updated_at, sizeof(u.updated_at));
    return store_user_update(s, &u);
}

wg_err users_set_password(store *s, const char *login, const char *password, uint64_t memlimit,
                          wg_why *why)
{
    store_user u;
    wg_err e = get_user(s, login, &u, why);
    if (e)
        return e;
    if (!auth_password_ok(password, why))
        return WG_ERR_INVALID;
    if ((e = auth_password_hash(password, memlimit, u.password_hash)))
        return e;
    stamp(u.updated_at, sizeof(u.updated_at));
    if ((e = store_user_update(s, &u)))
        return e;
    /* A new password ends every old session. */
    return store_sessions_revoke_user(s, u.id, NULL);
}

wg_err users_set_password_hash(store *s, const char *login, const char *hash, wg_why *why)
{
    store_user u;
    wg_err e = get_user(s, login, &u, why);
    if (e)
        return e;
    snprintf(u.password_hash, sizeof(u.password_hash), "%s", hash);
    stamp(u.updated_at, sizeof(u.updated_at));
    if ((e = store_user_update(s, &u)))
        return e;
    return store_sessions_revoke_user(s, u.id, NULL);
}

wg_err users_set_disabled(store *s, const char *login, bool disabled, wg_why *why)
{
    store_user u;
    wg_err e = get_user(s, login, &u, why);
    if (e)
        return e;
    u.disabled = disabled;
    stamp(u.updated_at, sizeof(u.updated_at));
    if ((e = store_user_update(s, &u)))
        return e;
    return disabled ? store_sessions_revoke_user(s, u.id, NULL) : WG_OK;
}

wg_err users_set_grants(store *s, const char *login, const store_grant *g, int n, wg_why *why)
{
    store_user u;
    wg_err e = get_user(s, login, &u, why);
    if (e)
        return e;
    if (n > ACTOR_MAX_GRANTS)
        return wg_fail(why, WG_ERR_INVALID, "roles", "at most %d roles per account",
                       ACTOR_MAX_GRANTS);
    return store_grants_replace(s, u.id, g, n);
}

wg_err users_load_actor(store *s, int64_t user_id, actor *out)
{
    store_user u;
    wg_err e = store_user_get_by_id(s, user_id, &u);
    if (e)
        return e;
    memset(out, 0, sizeof(*out));
    out->user_id = u.id;
    snprintf(out->login, sizeof(out->login), "%s", u.login);
    store_grant g[ACTOR_MAX_GRANTS];
    int n = 0;
    if ((e = store_grants_get(s, user_id, g, ACTOR_MAX_GRANTS, &n)))
        return e;
    for (int i = 0; i < n; i++) {
        role_grant *rg = &out->grants[out->ngrants];
        if (!actor_role_parse(g[i].role, &rg->role))
            continue; /* the schema's CHECK keeps this from happening */
        rg->kind = strcmp(g[i].scope_kind, "grid") == 0         ? SCOPE_GRID
                   : strcmp(g[i].scope_kind, "department") == 0 ? SCOPE_DEPARTMENT
                                                                 : SCOPE_ALL;
        snprintf(rg->scope, sizeof(rg->scope), "%s", g[i].scope);
        out->ngrants++;
    }
    return WG_OK;
}

wg_err users_reveal_phone(const vault *v, const store_user *u, char *out, size_t cap)
{
    if (!u->phone_sealed_len)
        return WG_ERR_NOT_FOUND;
    size_t n = 0;
    return vault_decrypt(v, u->phone_sealed, u->phone_sealed_len, PHONE_AD, out, cap, &n);
}

wg_err users_reveal_id(const vault *v, const store_user *u, char *out, size_t cap)
{
    if (!u->id_sealed_len)
        return WG_ERR_NOT_FOUND;
    size_t n = 0;
    return vault_decrypt(v, u->id_sealed, u->id_sealed_len, ID_AD, out, cap, &n);
}

wg_err users_find(store *s, const vault *v, const char *what, const char *value, store_user *out,
                  wg_why *why)
{
    char norm[32], bidx[65];
    const char *reason = NULL;
    if (strcmp(what, "id") == 0) {
        char id[19];
        if (!pii_id_number_valid(value, id, &reason))
            return wg_fail(why, WG_ERR_INVALID, "id_number", "invalid citizen ID number: %s",
                           reason ? reason : "");
        vault_blind_index(v, ID_DOMAIN, id, bidx);
    } else {
        if (!pii_phone_valid(value, norm, sizeof(norm), &reason))
            return wg_fail(why, WG_ERR_INVALID, "phone", "invalid phone number: %s",
                           reason ? reason : "");
        vault_blind_index(v, PHONE_DOMAIN, norm, bidx);
    }
    return store_user_find_bidx(s, what, bidx, out);
}
