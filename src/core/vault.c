/*
 * vault.c - see vault.h.
 */
#include "core/vault.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define KEY_BYTES 32
#define HASH_BYTES 32
#define KEY_MAGIC "wangge-key-v1 "
#define KEY_MAGIC_LEN (sizeof(KEY_MAGIC) - 1)
#define KEY_HEX_LEN (2 * KEY_BYTES)
#define KEY_LINE_LEN (KEY_MAGIC_LEN + KEY_HEX_LEN + 1) /* with the '\n' */
#define KDF_CONTEXT "wgvault_"
#define KDF_ID_ENCRYPT 1
#define KDF_ID_INDEX 2
#define KEY_CHECK_TEXT "wangge vault key check v1"

#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES

_Static_assert(VAULT_OVERHEAD == NONCE_BYTES + TAG_BYTES, "VAULT_OVERHEAD is nonce + tag");
_Static_assert(VAULT_HEX_LEN == 2 * HASH_BYTES, "hex digest length");
_Static_assert(crypto_kdf_KEYBYTES == KEY_BYTES, "master key size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == KEY_BYTES, "AEAD key size");
_Static_assert(sizeof(KDF_CONTEXT) - 1 == crypto_kdf_CONTEXTBYTES, "KDF context size");
_Static_assert(KEY_BYTES >= crypto_generichash_KEYBYTES_MIN &&
                   KEY_BYTES <= crypto_generichash_KEYBYTES_MAX,
               "blind-index key size");

/* Lives in sodium_malloc() memory, read-only once vault_open() returns. */
struct vault {
    unsigned char master[KEY_BYTES];
    unsigned char enc[KEY_BYTES]; /* subkey 1: AEAD */
    unsigned char idx[KEY_BYTES]; /* subkey 2: blind index */
};

static wg_err set_err(char *err, size_t errcap, wg_err rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Write a formatted message into err (if any) and return rc. */
static wg_err set_err(char *err, size_t errcap, wg_err rc, const char *fmt, ...)
{
    if (err && errcap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errcap, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * Parse the `len` bytes of a key file into key. Accepts exactly
 * KEY_MAGIC, 64 hex digits (either case) and an optional final '\n'.
 */
static bool parse_key_line(const char *buf, size_t len, unsigned char key[KEY_BYTES])
{
    if (len != KEY_LINE_LEN && len != KEY_LINE_LEN - 1)
        return false;
    if (memcmp(buf, KEY_MAGIC, KEY_MAGIC_LEN) != 0)
        return false;
    const char *hex = buf + KEY_MAGIC_LEN;
    for (size_t i = 0; i < KEY_HEX_LEN; i++)
        if (!is_hex(hex[i]))
            return false;
    if (len == KEY_LINE_LEN && buf[len - 1] != '\n')
        return false;
    size_t got = 0;
    if (sodium_hex2bin(key, KEY_BYTES, hex, KEY_HEX_LEN, NULL, &got, NULL) != 0 || got != KEY_BYTES)
        return false;
    return true;
}

/*
 * Read and check the key file at path into key (KEY_BYTES). Opens first and
 * checks the open descriptor, so the file checked is the file read.
 * Returns WG_OK, or WG_ERR_CONFIG / WG_ERR_IO with a message naming path.
 * All copies of the key but `key` itself are wiped.
 */
static wg_err load_key(const char *path, unsigned char key[KEY_BYTES], char *err, size_t errcap)
{
    char buf[KEY_LINE_LEN + 2]; /* one more than any valid file */
    size_t len = 0;
    wg_err rc = WG_OK;

    /* O_NONBLOCK so a FIFO does not hang us; fstat() then rejects it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return set_err(err, errcap, WG_ERR_CONFIG, "key file %s does not exist", path);
        if (errno == EACCES || errno == ENOTDIR)
            return set_err(err, errcap, WG_ERR_CONFIG, "cannot open key file %s: %s", path,
                           strerror(errno));
        return set_err(err, errcap, WG_ERR_IO, "cannot open key file %s: %s", path,
                       strerror(errno));
    }

    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = set_err(err, errcap, WG_ERR_IO, "cannot stat key file %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = set_err(err, errcap, WG_ERR_CONFIG, "key file %s is not a regular file", path);
        goto out;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        rc = set_err(err, errcap, WG_ERR_CONFIG,
                     "key file %s is accessible by group or others (mode %03o); "
                     "run: chmod 600 %s",
                     path, (unsigned)(st.st_mode & 0777), path);
        goto out;
    }

    while (len < sizeof(buf)) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = set_err(err, errcap, WG_ERR_IO, "cannot read key file %s: %s", path,
                         strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (!parse_key_line(buf, len, key))
        rc = set_err(err, errcap, WG_ERR_CONFIG,
                     "key file %s is malformed: expected one line "
                     "'wangge-key-v1 <64 hex digits>'",
                     path);

out:
    sodium_memzero(buf, sizeof(buf));
    close(fd);
    return rc;
}

/* write() all of buf, retrying on EINTR and short writes. */
static bool write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            errno = EIO; /* so the caller's strerror() says something true */
        if (n <= 0)
            return false;
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

/*
 * See vault.h. The file is created with O_EXCL, so an existing file (or a
 * symlink planted at path) is never followed or replaced; a partly written
 * new file is removed.
 */
wg_err vault_create_key(const char *path, char *err, size_t errcap)
{
    unsigned char key[KEY_BYTES];
    char line[KEY_LINE_LEN + 1];
    wg_err rc = WG_OK;

    if (sodium_init() < 0)
        return set_err(err, errcap, WG_ERR_INTERNAL, "libsodium failed to initialise");

    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0 && errno == EEXIST) {
        char why[512];
        rc = load_key(path, key, why, sizeof(why));
        sodium_memzero(key, sizeof(key));
        if (rc)
            set_err(err, errcap, rc, "%s (not overwriting it)", why);
        return rc;
    }
    if (fd < 0)
        return set_err(err, errcap, WG_ERR_IO, "cannot create key file %s: %s", path,
                       strerror(errno));

    randombytes_buf(key, sizeof(key));
    memcpy(line, KEY_MAGIC, KEY_MAGIC_LEN);
    sodium_bin2hex(line + KEY_MAGIC_LEN, KEY_HEX_LEN + 1, key, sizeof(key));
    line[KEY_LINE_LEN - 1] = '\n';
    line[KEY_LINE_LEN] = '\0';

    /* The umask may have taken bits away from 0600; put them back so that
     * vault_open() can read the file and nobody else can. */
    if (fchmod(fd, 0600) != 0 || !write_all(fd, line, KEY_LINE_LEN) || fsync(fd) != 0) {
        rc = set_err(err, errcap, WG_ERR_IO, "cannot write key file %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        goto out;
    }
    if (close(fd) != 0) {
        rc = set_err(err, errcap, WG_ERR_IO, "cannot write key file %s: %s", path, strerror(errno));
        unlink(path);
    }

out:
    sodium_memzero(key, sizeof(key));
    sodium_memzero(line, sizeof(line));
    return rc;
}

/*
 * See vault.h. The vault is allocated with sodium_malloc() (guard pages,
 * locked when the system allows) and made read-only once filled.
 */
wg_err vault_open(const char *path, vault **out, char *err, size_t errcap)
{
    unsigned char key[KEY_BYTES];
    vault *v = NULL;
    wg_err rc;

    if (sodium_init() < 0)
        return set_err(err, errcap, WG_ERR_INTERNAL, "libsodium failed to initialise");

    rc = load_key(path, key, err, errcap);
    if (rc)
        goto out;

    v = sodium_malloc(sizeof(*v));
    if (!v) {
        rc = set_err(err, errcap, WG_ERR_NOMEM, "out of memory reading key file %s", path);
        goto out;
    }
    memcpy(v->master, key, sizeof(v->master));
    if (crypto_kdf_derive_from_key(v->enc, sizeof(v->enc), KDF_ID_ENCRYPT, KDF_CONTEXT,
                                   v->master) != 0 ||
        crypto_kdf_derive_from_key(v->idx, sizeof(v->idx), KDF_ID_INDEX, KDF_CONTEXT, v->master) !=
            0) {
        rc = set_err(err, errcap, WG_ERR_INTERNAL, "cannot derive subkeys from key file %s", path);
        sodium_free(v);
        v = NULL;
        goto out;
    }
    (void)sodium_mprotect_readonly(v);
    *out = v;

out:
    sodium_memzero(key, sizeof(key));
    return rc;
}

void vault_free(vault *v)
{
    if (v)
        sodium_free(v); /* makes it writable, wipes, unmaps */
}

size_t vault_sealed_size(size_t plain_len)
{
    if (plain_len > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX ||
        plain_len > SIZE_MAX - VAULT_OVERHEAD)
        return 0;
    return plain_len + VAULT_OVERHEAD;
}

static size_t ad_len(const char *ad)
{
    return ad ? strlen(ad) : 0;
}

/*
 * See vault.h. `out` must not overlap `plain`. The nonce is random
 * (192 bits), so no counter has to be kept across restarts.
 */
wg_err vault_encrypt(const vault *v, const void *plain, size_t len, const char *ad,
                     unsigned char *out, size_t cap, size_t *outlen)
{
    static const unsigned char empty[1];
    size_t need = vault_sealed_size(len);
    if (need == 0)
        return WG_ERR_TOO_LARGE;
    if (!out || cap < need) {
        if (outlen)
            *outlen = need;
        return WG_ERR_TOO_LARGE;
    }
    randombytes_buf(out, NONCE_BYTES);
    unsigned long long clen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + NONCE_BYTES, &clen, plain ? plain : empty,
                                                   len, (const unsigned char *)ad, ad_len(ad), NULL,
                                                   out, v->enc) != 0)
        return WG_ERR_INTERNAL;
    if (outlen)
        *outlen = NONCE_BYTES + (size_t)clen;
    return WG_OK;
}

/*
 * See vault.h. libsodium checks the tag before it writes any plaintext and
 * clears the output on failure, so no unauthenticated bytes reach `out`.
 */
wg_err vault_decrypt(const vault *v, const unsigned char *sealed, size_t len, const char *ad,
                     char *out, size_t cap, size_t *outlen)
{
    static unsigned char none[1];
    if (out && cap > 0)
        out[0] = '\0';
    if (!sealed || len < VAULT_OVERHEAD)
        return WG_ERR_INVALID;
    size_t plen = len - VAULT_OVERHEAD;
    if (cap < plen || (!out && plen > 0))
        return WG_ERR_TOO_LARGE;
    unsigned char *m = out ? (unsigned char *)out : none;
    unsigned long long mlen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(m, &mlen, NULL, sealed + NONCE_BYTES,
                                                   len - NONCE_BYTES, (const unsigned char *)ad,
                                                   ad_len(ad), sealed, v->enc) != 0) {
        if (out && cap > 0)
            out[0] = '\0';
        return WG_ERR_INVALID;
    }
    if (out && cap > (size_t)mlen)
        out[mlen] = '\0';
    if (outlen)
        *outlen = (size_t)mlen;
    return WG_OK;
}

/*
 * See vault.h. The NUL between domain and value keeps ("ab", "c") and
 * ("a", "bc") apart; domains are fixed names without NUL bytes.
 */
void vault_blind_index(const vault *v, const char *domain, const char *value, char out[65])
{
    static const unsigned char sep[1] = {0};
    unsigned char h[HASH_BYTES];
    crypto_generichash_state st;
    if (!domain)
        domain = "";
    if (!value)
        value = "";
    crypto_generichash_init(&st, v->idx, sizeof(v->idx), sizeof(h));
    crypto_generichash_update(&st, (const unsigned char *)domain, strlen(domain));
    crypto_generichash_update(&st, sep, sizeof(sep));
    crypto_generichash_update(&st, (const unsigned char *)value, strlen(value));
    crypto_generichash_final(&st, h, sizeof(h));
    sodium_memzero(&st, sizeof(st));
    sodium_bin2hex(out, VAULT_HEX_LEN + 1, h, sizeof(h));
}

/* See vault.h: a MAC of a fixed text under the master key. */
void vault_key_check(const vault *v, char out[65])
{
    static const char text[] = KEY_CHECK_TEXT;
    unsigned char h[HASH_BYTES];
    crypto_generichash(h, sizeof(h), (const unsigned char *)text, sizeof(text) - 1, v->master,
                       sizeof(v->master));
    sodium_bin2hex(out, VAULT_HEX_LEN + 1, h, sizeof(h));
}
