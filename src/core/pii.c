/*
 * pii.c - see pii.h.
 */
#include "core/pii.h"

#include <string.h>
#include <time.h>

#define ID_LEN 18
#define ID_MIN_YEAR 1800
#define MOBILE_LEN 11

static bool fail(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return false;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_digit(s[i]))
            return false;
    return true;
}

/* The value of `len` digits at s; the caller has checked they are digits
 * and that len is small enough not to overflow. */
static int digits_value(const char *s, size_t len)
{
    int v = 0;
    for (size_t i = 0; i < len; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* True when y-m-d names a day of the Gregorian calendar. */
static bool date_exists(int y, int m, int d)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1)
        return false;
    int max = days[m - 1] + (m == 2 && is_leap(y) ? 1 : 0);
    return d <= max;
}

/*
 * Today's date in UTC as YYYYMMDD. Falls back to 99991231 (accept any past
 * date) only if the clock cannot be read, which does not happen on Linux.
 */
static int today_utc(void)
{
    time_t now = time(NULL);
    struct tm tm;
    if (now == (time_t)-1 || !gmtime_r(&now, &tm))
        return 99991231;
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* The GB 11643 check character for the first 17 digits of s. */
static char id_check_char(const char *s)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char map[] = "10X98765432";
    int sum = 0;
    for (size_t i = 0; i < 17; i++)
        sum += (s[i] - '0') * w[i];
    return map[sum % 11];
}

bool pii_id_number_valid(const char *s, char out[19], const char **why)
{
    return pii_id_number_valid_at(s, today_utc(), out, why);
}

/*
 * Checks in order: length, characters, birth date (range, calendar, not in
 * the future), check character, so the reason names the first problem a
 * person would notice. See pii.h for parameters and results.
 */
bool pii_id_number_valid_at(const char *s, int today_yyyymmdd, char out[19], const char **why)
{
    if (!s)
        return fail(why, "is missing");
    size_t len = strnlen(s, ID_LEN + 1);
    if (len != ID_LEN)
        return fail(why, "must be 18 characters");
    if (!all_digits(s, 17))
        return fail(why, "the first 17 characters must be digits");
    char last = s[17];
    if (last == 'x')
        last = 'X';
    if (!is_digit(last) && last != 'X')
        return fail(why, "the last character must be a digit or X");

    int y = digits_value(s + 6, 4);
    int m = digits_value(s + 10, 2);
    int d = digits_value(s + 12, 2);
    if (y < ID_MIN_YEAR)
        return fail(why, "birth year is before 1800");
    if (!date_exists(y, m, d))
        return fail(why, "birth date is not a real date");
    if (y * 10000 + m * 100 + d > today_yyyymmdd)
        return fail(why, "birth date is in the future");

    if (id_check_char(s) != last)
        return fail(why, "bad check digit");

    if (out) {
        memcpy(out, s, 17);
        out[17] = last;
        out[18] = '\0';
    }
    return true;
}

/* Copy `len` bytes of s, skipping at most one dash at index `dash` (or none
 * when dash == len), into out with a NUL; false if it does not fit. */
static bool emit(const char *s, size_t len, size_t dash, char *out, size_t cap)
{
    size_t n = dash < len ? len - 1 : len;
    if (!out || cap <= n)
        return false;
    size_t j = 0;
    for (size_t i = 0; i < len; i++)
        if (i != dash)
            out[j++] = s[i];
    out[j] = '\0';
    return true;
}

/* Mobile number check on exactly `len` bytes at s. */
static bool mobile_ok(const char *s, size_t len, const char **why)
{
    if (len != MOBILE_LEN || !all_digits(s, len))
        return fail(why, "mobile number must have 11 digits");
    if (s[0] != '1' || s[1] < '3' || s[1] > '9')
        return fail(why, "mobile number must start with 13 to 19");
    return true;
}

/*
 * Landline check on `len` bytes at s (which starts with '0'). Writes the
 * index of the dash after the area code into *dash, or len if there is none.
 */
static bool landline_ok(const char *s, size_t len, size_t *dash, const char **why)
{
    const char *p = memchr(s, '-', len);
    if (p) {
        size_t area = (size_t)(p - s);
        size_t local = len - area - 1;
        if (area < 3 || area > 4 || !all_digits(s, area))
            return fail(why, "area code must be 0 followed by 2 or 3 digits");
        if (local < 7 || local > 8 || !all_digits(p + 1, local))
            return fail(why, "local number must have 7 or 8 digits");
        *dash = area;
        return true;
    }
    /* Without a dash the split is ambiguous, but every split of 10 to 12
     * digits into (3 or 4) + (7 or 8) is equally acceptable. */
    if (!all_digits(s, len) || len < 10 || len > 12)
        return fail(why, "landline must be a 3 or 4 digit area code and 7 or 8 digits");
    *dash = len;
    return true;
}

/*
 * See pii.h. The prefix is recognised only in front of something that
 * could be a mobile number, so "86..." is never confused with a landline
 * (those start with 0) or with a bare mobile number (those start with 1).
 */
bool pii_phone_valid(const char *s, char *out, size_t cap, const char **why)
{
    if (!s || !*s)
        return fail(why, "is missing");
    size_t len = strnlen(s, 64);
    if (len >= 64)
        return fail(why, "is too long");
    /* People write 138-1234-5678, 138 1234 5678, +86 138...: spaces are
     * separators everywhere, dashes too in a mobile number; a landline
     * keeps its one dash, which says where the area code ends. */
    char t[64];
    size_t k = 0;
    size_t first = strspn(s, " ");
    bool landline = s[first] == '0';
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && (landline || s[i] != '-'))
            t[k++] = s[i];
    t[k] = '\0';
    if (!k)
        return fail(why, "is missing");
    s = t;
    len = k;

    const char *p = s;
    bool prefixed = false;
    if (p[0] == '+') {
        if (p[1] != '8' || p[2] != '6')
            return fail(why, "only the +86 country prefix is accepted");
        p += 3;
        prefixed = true;
    } else if (p[0] == '8' && p[1] == '6') {
        p += 2;
        prefixed = true;
    }
    if (prefixed && (*p == ' ' || *p == '-'))
        p++;
    size_t n = len - (size_t)(p - s);

    if (prefixed || p[0] == '1') {
        if (!mobile_ok(p, n, why))
            return false;
        if (!emit(p, n, n, out, cap))
            return fail(why, "output buffer is too small");
        return true;
    }
    if (p[0] == '0') {
        size_t dash;
        if (!landline_ok(p, n, &dash, why))
            return false;
        if (!emit(p, n, dash, out, cap))
            return fail(why, "output buffer is too small");
        return true;
    }
    return fail(why, "must be a mobile number (1...) or a landline with area code (0...)");
}

void pii_mask_id_number(const char *id18, char out[19])
{
    bool ok = id18 && strnlen(id18, ID_LEN + 1) == ID_LEN;
    for (size_t i = 0; i < ID_LEN; i++)
        out[i] = ok && (i < 4 || i >= ID_LEN - 4) ? id18[i] : '*';
    if (out[ID_LEN - 1] == 'x')
        out[ID_LEN - 1] = 'X';
    out[ID_LEN] = '\0';
}

/*
 * See pii.h for the rules. Works position by position so no unmasked copy
 * of the number is ever built, and truncation to cap only drops the tail.
 */
void pii_mask_phone(const char *phone, char *out, size_t cap)
{
    if (!out || cap == 0)
        return;
    size_t len = phone ? strlen(phone) : 0;
    size_t head = 0, tail = 0;
    if (len == MOBILE_LEN && phone[0] == '1') {
        head = 3;
        tail = 4;
    } else if (len >= 7) {
        head = 4;
        tail = 2;
    }
    size_t n = len < cap - 1 ? len : cap - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = i < head || i >= len - tail ? phone[i] : '*';
    out[n] = '\0';
}
