/*
 * vault.h - encryption at rest for personal data (libsodium).
 *
 * One master key lives in a key file, a single text line
 *     wangge-key-v1 <64 hex digits>\n
 * with mode 0600. vault_open() reads it into a `vault`, which owns the key
 * material in guarded sodium_malloc() memory (read-only after opening) and
 * derives two subkeys with crypto_kdf (context "wgvault_"): id 1 encrypts,
 * id 2 computes blind indexes. The caller owns the vault and releases it
 * with vault_free(); every other result goes into caller-provided buffers.
 * After vault_open() the vault is never written, so one vault may be used
 * from many threads at once.
 *
 * Sealed values are  nonce (24 bytes) || ciphertext || tag (16 bytes),
 * XChaCha20-Poly1305 (IETF) with a random nonce per call. The optional
 * additional data `ad` (e.g. "users.phone") is authenticated but not
 * stored: decrypting with a different ad fails, so a value copied into
 * another column does not decrypt there. ad NULL and ad "" are the same.
 *
 * Blind indexes are keyed BLAKE2b hashes for equality lookups without
 * decrypting; they are exact-match, so normalise values first (e.g. with
 * pii_phone_valid()). Keep the key file out of the database and its backups:
 * with the key, a blind index of a phone number can be brute-forced.
 *
 * Errors: a missing, unreadable-by-policy or malformed key file is
 * WG_ERR_CONFIG (the operator must fix the setup), a failing read or write
 * is WG_ERR_IO, a buffer too small is WG_ERR_TOO_LARGE, a value that does
 * not authenticate is WG_ERR_INVALID. Functions taking err/errcap write an
 * English message naming the path there on failure (err may be NULL).
 */
#ifndef WG_VAULT_H
#define WG_VAULT_H

#include "util/common.h"
#include "util/err.h"

typedef struct vault vault;

/* Bytes a sealed value adds to its plaintext (nonce + tag). */
#define VAULT_OVERHEAD 40

/* Length of a hex digest written by vault_blind_index()/vault_key_check(),
 * without the NUL. */
#define VAULT_HEX_LEN 64

/*
 * Create a new random master key file at `path` with mode 0600. Never
 * overwrites: if `path` already exists, returns WG_OK only when it is a key
 * file vault_open() would accept (well-formed, mode 0600 or stricter), and
 * an error otherwise, leaving the file alone.
 */
wg_err vault_create_key(const char *path, char *err, size_t errcap);

/*
 * Read the key file at `path` and set *out to a new vault (untouched on
 * failure). Refuses a file that group or others may read or write ("chmod
 * 600"), one that is not a regular file, and one not in the format above.
 * The caller frees the vault with vault_free().
 */
wg_err vault_open(const char *path, vault **out, char *err, size_t errcap);

/* Wipe and release a vault; NULL is a no-op. */
void vault_free(vault *v);

/* Size of the sealed form of `plain_len` bytes: plain_len + VAULT_OVERHEAD,
 * or 0 if that would be larger than libsodium accepts. */
size_t vault_sealed_size(size_t plain_len);

/*
 * Encrypt `len` bytes at `plain` (may be NULL when len is 0), binding `ad`
 * (may be NULL), into `out` of `cap` bytes. On success *outlen is
 * vault_sealed_size(len). If cap is too small returns WG_ERR_TOO_LARGE and
 * sets *outlen to the size needed. Same plaintext twice gives different
 * output (random nonce).
 */
wg_err vault_encrypt(const vault *v, const void *plain, size_t len, const char *ad,
                     unsigned char *out, size_t cap, size_t *outlen);

/*
 * Decrypt `len` sealed bytes with the same `ad` used to encrypt. On success
 * writes len - VAULT_OVERHEAD bytes to `out`, sets *outlen to that count and,
 * when cap is at least one byte larger, adds a NUL after them so text comes
 * back as a C string (pass cap >= len - VAULT_OVERHEAD + 1 for that).
 * Returns WG_ERR_INVALID if the input is too short or does not authenticate
 * (wrong key, wrong ad, tampered), WG_ERR_TOO_LARGE if the plaintext does not
 * fit in cap; on any failure no plaintext is left in `out` (out[0] is NUL
 * when cap > 0).
 */
wg_err vault_decrypt(const vault *v, const unsigned char *sealed, size_t len, const char *ad,
                     char *out, size_t cap, size_t *outlen);

/*
 * Blind index of `value` within `domain` (e.g. "users.phone"): a 32-byte
 * hash keyed with the blind-index subkey over domain, a NUL byte, value,
 * written as 64 lowercase hex digits and a NUL. Equal inputs under the same
 * key give equal output; another domain or key gives unrelated output.
 * NULL domain or value count as "".
 */
void vault_blind_index(const vault *v, const char *domain, const char *value, char out[65]);

/*
 * Key fingerprint: a 32-byte hash of a fixed string keyed with the master
 * key, as 64 lowercase hex digits and a NUL. Safe to store next to the data
 * (it reveals nothing about the key) so that a wrong key file is detected at
 * startup instead of as failed decryptions later.
 */
void vault_key_check(const vault *v, char out[65]);

#endif
