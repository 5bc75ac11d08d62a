/*
 * pii.h - rules for personal data: citizen ID numbers and phone numbers.
 *
 * Validation (with normalisation) and masking for display. No crypto here:
 * encryption at rest and blind indexes live in core/vault.h. The module owns
 * no memory: every result is written into a buffer the caller provides, and
 * every reason string (`*why`) is static English text the caller must not
 * free.
 *
 * Citizen ID (GB 11643): 18 characters = address code (6 digits), birth date
 * YYYYMMDD (8), sequence (3), check character (digit or X). The check is
 * S = sum(d_i * w_i) over the first 17 digits with
 * w = 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 and check = "10X98765432"[S % 11].
 * The birth date must exist in the calendar, have a year >= 1800 and not lie
 * after today's UTC date. The address code is only checked to be digits:
 * whether it names a real county is a question for the loaded GB/T 2260
 * table, not for this module.
 *
 * Phone numbers, normalised to bare digits:
 *   mobile    11 digits, "1" then 3-9, e.g. 13812345678; a leading "+86" or
 *             "86", optionally followed by one space or dash, is stripped
 *             ("+86 138 1234 5678" with inner spaces is rejected);
 *   landline  area code "0" + 2 or 3 digits, an optional dash, then a 7 or 8
 *             digit local number, e.g. 0371-67181234 -> 037167181234.
 *             The country prefix is not accepted on landlines.
 * Surrounding whitespace is not trimmed; callers trim form input first.
 */
#ifndef WG_PII_H
#define WG_PII_H

#include "util/common.h"

/* Buffer size that always holds a normalised phone number and its NUL. */
#define PII_PHONE_CAP 16

/* Validate citizen ID `s` against today's UTC date; see
 * pii_id_number_valid_at(). */
bool pii_id_number_valid(const char *s, char out[19], const char **why);

/*
 * Validate citizen ID `s` as if today were `today_yyyymmdd` (e.g. 20240515).
 * A birth date equal to today is accepted.
 *
 * On success writes the normalised ID (lowercase 'x' becomes 'X') with a NUL
 * into `out` (may be NULL) and returns true. On failure returns false, leaves
 * `out` untouched and, if `why` is not NULL, points *why at a short static
 * reason such as "must be 18 characters" or "bad check digit".
 */
bool pii_id_number_valid_at(const char *s, int today_yyyymmdd, char out[19], const char **why);

/*
 * Validate and normalise phone number `s` (rules above).
 *
 * On success writes the bare digits with a NUL into `out` (cap bytes; 16,
 * PII_PHONE_CAP, is always enough) and returns true. On failure, including
 * a `cap` too small for the result, returns false, leaves `out` untouched
 * and, if `why` is not NULL, points *why at a short static reason.
 */
bool pii_phone_valid(const char *s, char *out, size_t cap, const char **why);

/*
 * Mask an 18-character ID for display: the first 4 and last 4 characters
 * stay, the 10 between become '*': "4101**********123X". A trailing 'x' is
 * shown as 'X'. Input that is NULL or not 18 characters long gives 18 stars,
 * so a malformed value never leaks. `out` always receives 18 chars and a NUL.
 */
void pii_mask_id_number(const char *id18, char out[19]);

/*
 * Mask a normalised phone number (as written by pii_phone_valid) for
 * display, keeping its length:
 *   11 characters starting with '1' (mobile): first 3, "****", last 4:
 *       13812345678 -> "138****5678";
 *   7 characters or more (landline, anything else): first 4, stars, last 2:
 *       037167181234 -> "0371******34";
 *   shorter than 7 characters or NULL: all stars (NULL gives "").
 * At most cap - 1 characters are written, always followed by a NUL when
 * cap > 0; a truncated result only ever loses its tail.
 */
void pii_mask_phone(const char *phone, char *out, size_t cap);

#endif
