#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/vault.h"

static char dir[64];

/* Path of `name` inside the test directory, in a static buffer per slot. */
static const char *tmp_path(int slot, const char *name)
{
    static char paths[4][512];
    snprintf(paths[slot], sizeof(paths[slot]), "%s/%s", dir, name);
    return paths[slot];
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/wg_test_vault_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        unlink(tmp_path(3, e->d_name));
    }
    closedir(d);
    return rmdir(dir);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, cap - 1);
    assert_true(n >= 0);
    buf[n] = '\0';
    close(fd);
}

/* A fresh key file and vault under `name`. */
static vault *new_vault(const char *name)
{
    char err[512] = "";
    vault *v = NULL;
    const char *p = tmp_path(0, name);
    if (vault_create_key(p, err, sizeof(err)) != WG_OK)
        fail_msg("create %s: %s", p, err);
    if (vault_open(p, &v, err, sizeof(err)) != WG_OK)
        fail_msg("open %s: %s", p, err);
    assert_non_null(v);
    return v;
}

static void test_create_key(void **state)
{
    (void)state;
    char err[512] = "";
    const char *p = tmp_path(0, "create.key");
    mode_t old = umask(022);
    assert_int_equal(vault_create_key(p, err, sizeof(err)), WG_OK);
    umask(old);

    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    char text[256];
    read_file(p, text, sizeof(text));
    assert_int_equal(strlen(text), 14 + 64 + 1);
    assert_memory_equal(text, "wangge-key-v1 ", 14);
    assert_int_equal(text[78], '\n');
    for (int i = 14; i < 78; i++)
        assert_non_null(strchr("0123456789abcdef", text[i]));

    /* Existing valid key: accepted and left as it was. */
    assert_int_equal(vault_create_key(p, err, sizeof(err)), WG_OK);
    char again[256];
    read_file(p, again, sizeof(again));
    assert_string_equal(text, again);

    /* Two keys differ. */
    const char *q = tmp_path(1, "create2.key");
    assert_int_equal(vault_create_key(q, err, sizeof(err)), WG_OK);
    read_file(q, again, sizeof(again));
    assert_string_not_equal(text, again);
}

static void test_create_refuses_garbage(void **state)
{
    (void)state;
    char err[512] = "";
    const char *p = tmp_path(0, "garbage.key");
    write_file(p, "not a key\n", 0600);
    assert_int_not_equal(vault_create_key(p, err, sizeof(err)), WG_OK);
    assert_non_null(strstr(err, p));
    char text[64];
    read_file(p, text, sizeof(text));
    assert_string_equal(text, "not a key\n");

    /* A valid key with loose permissions is not silently accepted either. */
    const char *q = tmp_path(1, "loose.key");
    write_file(q,
               "wangge-key-v1 "
               "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
               0644);
    assert_int_equal(vault_create_key(q, err, sizeof(err)), WG_ERR_CONFIG);
    assert_non_null(strstr(err, "chmod 600"));
}

static void test_open_errors(void **state)
{
    (void)state;
    char err[512] = "";
    vault *v = (vault *)(uintptr_t)1; /* must stay untouched */

    const char *missing = tmp_path(0, "missing.key");
    assert_int_equal(vault_open(missing, &v, err, sizeof(err)), WG_ERR_CONFIG);
    assert_non_null(strstr(err, missing));
    assert_non_null(strstr(err, "does not exist"));

    const char *p = tmp_path(1, "open.key");
    assert_int_equal(vault_create_key(p, err, sizeof(err)), WG_OK);
    assert_int_equal(chmod(p, 0644), 0);
    err[0] = '\0';
    assert_int_equal(vault_open(p, &v, err, sizeof(err)), WG_ERR_CONFIG);
    assert_non_null(strstr(err, p));
    assert_non_null(strstr(err, "chmod 600"));
    assert_int_equal(chmod(p, 0640), 0);
    assert_int_equal(vault_open(p, &v, err, sizeof(err)), WG_ERR_CONFIG);
    assert_int_equal(chmod(p, 0400), 0); /* stricter is fine */
    vault *ok = NULL;
    assert_int_equal(vault_open(p, &ok, err, sizeof(err)), WG_OK);
    vault_free(ok);

    static const char *bad[] = {
        "",
        "wangge-key-v1 00\n",
        "wangge-key-v2 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
        "wangge-key-v1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g\n",
        "wangge-key-v1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n\n",
        "wangge-key-v1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f0\n",
        "wangge-key-v1  000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
    };
    const char *q = tmp_path(2, "bad.key");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_file(q, bad[i], 0600);
        err[0] = '\0';
        if (vault_open(q, &v, err, sizeof(err)) != WG_ERR_CONFIG)
            fail_msg("accepted bad key file #%zu", i);
        assert_non_null(strstr(err, q));
        assert_non_null(strstr(err, "malformed"));
    }
    /* Without the final newline, and in upper case, it is still a key. */
    write_file(q, "wangge-key-v1 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
               0600);
    assert_int_equal(vault_open(q, &ok, err, sizeof(err)), WG_OK);
    vault_free(ok);

    assert_int_equal(vault_open(dir, &v, err, sizeof(err)), WG_ERR_CONFIG); /* a directory */
    assert_true(v == (vault *)(uintptr_t)1);
    vault_free(NULL);
}

static void test_round_trip(void **state)
{
    (void)state;
    vault *v = new_vault("rt.key");
    const char *msg = "13812345678";
    size_t n = strlen(msg);
    unsigned char sealed[128], sealed2[128];
    size_t slen = 0, slen2 = 0;
    assert_int_equal(vault_sealed_size(n), n + VAULT_OVERHEAD);
    assert_int_equal(vault_encrypt(v, msg, n, "users.phone", sealed, sizeof(sealed), &slen), WG_OK);
    assert_int_equal(slen, n + VAULT_OVERHEAD);
    assert_int_equal(vault_encrypt(v, msg, n, "users.phone", sealed2, sizeof(sealed2), &slen2),
                     WG_OK);
    assert_memory_not_equal(sealed, sealed2, slen); /* fresh nonce each time */
    assert_null(memmem(sealed, slen, msg, n));

    char out[64];
    size_t olen = 0;
    assert_int_equal(vault_decrypt(v, sealed, slen, "users.phone", out, sizeof(out), &olen), WG_OK);
    assert_int_equal(olen, n);
    assert_string_equal(out, msg);

    /* Exact fit: no room for the NUL, bytes still right. */
    char exact[11];
    assert_int_equal(vault_decrypt(v, sealed, slen, "users.phone", exact, sizeof(exact), &olen),
                     WG_OK);
    assert_memory_equal(exact, msg, n);
    /* Too small. */
    char small[8];
    assert_int_equal(vault_decrypt(v, sealed, slen, "users.phone", small, sizeof(small), &olen),
                     WG_ERR_TOO_LARGE);
    assert_int_equal(small[0], '\0');

    /* Encrypt output too small reports the size needed. */
    unsigned char tiny[10];
    assert_int_equal(vault_encrypt(v, msg, n, NULL, tiny, sizeof(tiny), &slen), WG_ERR_TOO_LARGE);
    assert_int_equal(slen, n + VAULT_OVERHEAD);

    /* Empty plaintext and NULL ad (same as ""). */
    assert_int_equal(vault_encrypt(v, NULL, 0, NULL, sealed, sizeof(sealed), &slen), WG_OK);
    assert_int_equal(slen, VAULT_OVERHEAD);
    assert_int_equal(vault_decrypt(v, sealed, slen, "", out, sizeof(out), &olen), WG_OK);
    assert_int_equal(olen, 0);
    assert_string_equal(out, "");

    /* Binary data with NUL bytes. */
    const unsigned char bin[5] = {0, 1, 0, 255, 7};
    assert_int_equal(vault_encrypt(v, bin, sizeof(bin), "x", sealed, sizeof(sealed), &slen), WG_OK);
    assert_int_equal(vault_decrypt(v, sealed, slen, "x", out, sizeof(out), &olen), WG_OK);
    assert_int_equal(olen, sizeof(bin));
    assert_memory_equal(out, bin, sizeof(bin));
    vault_free(v);
}

static void test_tamper(void **state)
{
    (void)state;
    vault *v = new_vault("tamper.key");
    const char *msg = "11010519491231002X";
    unsigned char sealed[128];
    size_t slen = 0, olen = 0;
    char out[64];
    assert_int_equal(vault_encrypt(v, msg, strlen(msg), "users.id", sealed, sizeof(sealed), &slen),
                     WG_OK);

    /* Flip one bit anywhere: nonce, ciphertext, tag. */
    size_t spots[] = {0, 23, 24, 30, slen - 1};
    for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
        sealed[spots[i]] ^= 0x01;
        memset(out, 'Z', sizeof(out));
        assert_int_equal(vault_decrypt(v, sealed, slen, "users.id", out, sizeof(out), &olen),
                         WG_ERR_INVALID);
        assert_int_equal(out[0], '\0');
        assert_null(memmem(out, sizeof(out), "1949", 4));
        sealed[spots[i]] ^= 0x01;
    }
    /* Truncated. */
    assert_int_equal(vault_decrypt(v, sealed, slen - 1, "users.id", out, sizeof(out), &olen),
                     WG_ERR_INVALID);
    assert_int_equal(
        vault_decrypt(v, sealed, VAULT_OVERHEAD - 1, "users.id", out, sizeof(out), &olen),
        WG_ERR_INVALID);
    assert_int_equal(vault_decrypt(v, sealed, 0, "users.id", out, sizeof(out), &olen),
                     WG_ERR_INVALID);

    /* Wrong ad. */
    assert_int_equal(vault_decrypt(v, sealed, slen, "users.phone", out, sizeof(out), &olen),
                     WG_ERR_INVALID);
    assert_int_equal(vault_decrypt(v, sealed, slen, NULL, out, sizeof(out), &olen), WG_ERR_INVALID);

    /* Untouched, it still decrypts. */
    assert_int_equal(vault_decrypt(v, sealed, slen, "users.id", out, sizeof(out), &olen), WG_OK);
    assert_string_equal(out, msg);
    vault_free(v);
}

static void test_wrong_key(void **state)
{
    (void)state;
    vault *a = new_vault("a.key");
    vault *b = new_vault("b.key");
    const char *msg = "secret";
    unsigned char sealed[64];
    size_t slen = 0, olen = 0;
    char out[64];
    assert_int_equal(vault_encrypt(a, msg, strlen(msg), "t", sealed, sizeof(sealed), &slen), WG_OK);
    assert_int_equal(vault_decrypt(b, sealed, slen, "t", out, sizeof(out), &olen), WG_ERR_INVALID);
    assert_int_equal(vault_decrypt(a, sealed, slen, "t", out, sizeof(out), &olen), WG_OK);

    /* The same key file opened twice works together. */
    char err[256];
    vault *a2 = NULL;
    assert_int_equal(vault_open(tmp_path(0, "a.key"), &a2, err, sizeof(err)), WG_OK);
    assert_int_equal(vault_decrypt(a2, sealed, slen, "t", out, sizeof(out), &olen), WG_OK);
    assert_string_equal(out, msg);
    vault_free(a2);
    vault_free(a);
    vault_free(b);
}

static bool is_lower_hex64(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (size_t i = 0; i < 64; i++)
        if (!strchr("0123456789abcdef", s[i]))
            return false;
    return true;
}

static void test_blind_index(void **state)
{
    (void)state;
    vault *a = new_vault("bi_a.key");
    vault *b = new_vault("bi_b.key");
    char h1[65], h2[65], h3[65], h4[65], h5[65], h6[65];

    vault_blind_index(a, "users.phone", "13812345678", h1);
    vault_blind_index(a, "users.phone", "13812345678", h2);
    assert_true(is_lower_hex64(h1));
    assert_string_equal(h1, h2); /* deterministic */

    vault_blind_index(a, "users.id", "13812345678", h3);
    assert_string_not_equal(h1, h3); /* domain-separated */

    vault_blind_index(b, "users.phone", "13812345678", h4);
    assert_string_not_equal(h1, h4); /* key-dependent */

    vault_blind_index(a, "users.phone", "13812345679", h5);
    assert_string_not_equal(h1, h5);

    /* The separator keeps the domain/value boundary. */
    vault_blind_index(a, "ab", "c", h5);
    vault_blind_index(a, "a", "bc", h6);
    assert_string_not_equal(h5, h6);

    /* Same key file, reopened: same index. */
    char err[256];
    vault *a2 = NULL;
    assert_int_equal(vault_open(tmp_path(0, "bi_a.key"), &a2, err, sizeof(err)), WG_OK);
    vault_blind_index(a2, "users.phone", "13812345678", h6);
    assert_string_equal(h1, h6);

    vault_free(a2);
    vault_free(a);
    vault_free(b);
}

static void test_key_check(void **state)
{
    (void)state;
    vault *a = new_vault("kc_a.key");
    vault *b = new_vault("kc_b.key");
    char ka[65], ka2[65], kb[65], bi[65];
    vault_key_check(a, ka);
    vault_key_check(a, ka2);
    vault_key_check(b, kb);
    assert_true(is_lower_hex64(ka));
    assert_string_equal(ka, ka2);
    assert_string_not_equal(ka, kb);

    /* It does not reveal the key: not the hex of the key file. */
    char text[256];
    read_file(tmp_path(0, "kc_a.key"), text, sizeof(text));
    assert_null(strstr(text, ka));
    vault_blind_index(a, "", "", bi);
    assert_string_not_equal(ka, bi);
    vault_free(a);
    vault_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_key),  cmocka_unit_test(test_create_refuses_garbage),
        cmocka_unit_test(test_open_errors), cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_tamper),      cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_blind_index), cmocka_unit_test(test_key_check),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
