/*
 * calendar.c - see calendar.h.
 *
 * Arithmetic happens on local days and seconds-of-day: local = t + offset,
 * day = floor(local / 86400), x = local - day * 86400. Within a day only
 * wb(x), the working seconds a working day has before clock time x,
 * matters; across days only how many working days lie in a range, which
 * count_workdays() gets from whole weeks plus the overrides in the range.
 */
#include "core/calendar.h"

#include <stdlib.h>
#include <string.h>

#define DAY_SECONDS 86400

/* Local days of 0001-01-01 and 9999-12-31: the range every instant, day
 * override and result must stay in. */
#define MIN_DAY (-719162)
#define MAX_DAY 2932896

/* A quick bound that keeps t + offset from overflowing before the exact
 * day check. */
#define T_BOUND ((int64_t)400000000000)

typedef struct {
    int32_t start; /* seconds of the day, 0..86400 */
    int32_t end;
} cal_period;

typedef struct {
    int32_t day;  /* local day number */
    int32_t kind; /* CAL_HOLIDAY or CAL_WORKDAY */
} cal_override;

struct calendar {
    int offset_min;
    int64_t offset_s;
    unsigned weekdays;
    int nworkdays_week; /* bits set in weekdays */
    int nperiods;
    cal_period periods[CAL_MAX_PERIODS];
    int64_t day_work;   /* W */
    cal_override *days; /* sorted by day, unique */
    size_t ndays;
    size_t capdays;
};

/* ---- date helpers ---------------------------------------------------- */

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool calendar_date_valid(int y, int m, int d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1)
        return false;
    return d <= mdays[m - 1] + (m == 2 && is_leap(y) ? 1 : 0);
}

/*
 * Howard Hinnant's days_from_civil: the year is shifted to start in March
 * so the leap day is the last of its year; eras are 400-year cycles of
 * 146097 days. 719468 is the day number of 1970-01-01 counted from
 * 0000-03-01.
 */
int64_t calendar_days_from_civil(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;                                  /* [0, 399] */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

/* Howard Hinnant's civil_from_days, the inverse of the above. */
void calendar_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

/* Hinnant's weekday_from_days: 1970-01-01 was a Thursday (4). */
int calendar_weekday(int64_t z)
{
    return (int)(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Read exactly n digits at s[*pos] into *v and advance; false otherwise. */
static bool take_digits(const char *s, size_t len, size_t *pos, int n, int *v)
{
    int r = 0;
    if (len - *pos < (size_t)n)
        return false;
    for (int i = 0; i < n; i++) {
        char c = s[*pos + (size_t)i];
        if (c < '0' || c > '9')
            return false;
        r = r * 10 + (c - '0');
    }
    *pos += (size_t)n;
    *v = r;
    return true;
}

/* Consume byte c at s[*pos]; false if it is not there. */
static bool take_char(const char *s, size_t len, size_t *pos, char c)
{
    if (*pos >= len || s[*pos] != c)
        return false;
    (*pos)++;
    return true;
}

/*
 * Parse "YYYY-MM-DD" at s[*pos], advancing *pos; the date must exist and
 * the year be 0001..9999. Stores the day number.
 */
static bool take_date(const char *s, size_t len, size_t *pos, int64_t *day)
{
    int y, m, d;
    size_t p = *pos;
    if (!take_digits(s, len, &p, 4, &y) || !take_char(s, len, &p, '-') ||
        !take_digits(s, len, &p, 2, &m) || !take_char(s, len, &p, '-') ||
        !take_digits(s, len, &p, 2, &d))
        return false;
    if (y < 1 || !calendar_date_valid(y, m, d))
        return false;
    *pos = p;
    *day = calendar_days_from_civil(y, m, d);
    return true;
}

bool calendar_parse_date(const char *s, size_t len, int64_t *day)
{
    size_t pos = 0;
    int64_t z;
    if (!s || !take_date(s, len, &pos, &z) || pos != len)
        return false;
    *day = z;
    return true;
}

/* Write v as n zero-padded digits at p. */
static void put_digits(char *p, int64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

/*
 * Format t at offset_min as "YYYY-MM-DDTHH:MM:SS+HH:MM" (25 chars + NUL).
 * Digits are placed by hand: fixed width, nothing to overflow.
 */
bool calendar_format_iso(int64_t t, int offset_min, char *buf, size_t cap)
{
    if (cap > 0)
        buf[0] = '\0';
    if (cap < CAL_ISO_CAP || offset_min < -1439 || offset_min > 1439 || t < -T_BOUND || t > T_BOUND)
        return false;
    int64_t local = t + (int64_t)offset_min * 60;
    int64_t day = floor_div(local, DAY_SECONDS);
    int64_t x = local - day * DAY_SECONDS;
    if (day < MIN_DAY || day > MAX_DAY)
        return false;
    int y, m, d;
    calendar_civil_from_days(day, &y, &m, &d);
    int off = offset_min < 0 ? -offset_min : offset_min;
    memcpy(buf, "0000-00-00T00:00:00+00:00", CAL_ISO_CAP);
    put_digits(buf, y, 4);
    put_digits(buf + 5, m, 2);
    put_digits(buf + 8, d, 2);
    put_digits(buf + 11, x / 3600, 2);
    put_digits(buf + 14, x / 60 % 60, 2);
    put_digits(buf + 17, x % 60, 2);
    buf[19] = offset_min < 0 ? '-' : '+';
    put_digits(buf + 20, off / 60, 2);
    put_digits(buf + 23, off % 60, 2);
    return true;
}

/* Fill why (if any) and return false: the failure path of the parser. */
static bool iso_fail(wg_why *why, const char *msg)
{
    wg_fail(why, WG_ERR_INVALID, NULL, "%s", msg);
    return false;
}

/*
 * Parse an ISO 8601 / RFC 3339 instant or a bare local date; see
 * calendar.h for the accepted forms. The cursor walks the fixed shape and
 * every field is range-checked before anything is combined.
 */
bool calendar_parse_iso(const char *s, size_t len, int offset_min, int64_t *out, wg_why *why)
{
    size_t pos = 0;
    int64_t day;
    int hh, mi, ss;
    if (!s)
        return iso_fail(why, "a date or time is required");
    if (!take_date(s, len, &pos, &day))
        return iso_fail(why, "expected a real date YYYY-MM-DD (year 0001-9999)");
    if (pos == len) {
        if (offset_min < -1439 || offset_min > 1439)
            return iso_fail(why, "bad local offset");
        *out = day * DAY_SECONDS - (int64_t)offset_min * 60;
        return true;
    }
    if (s[pos] != 'T' && s[pos] != 't')
        return iso_fail(why, "expected 'T' between date and time");
    pos++;
    if (!take_digits(s, len, &pos, 2, &hh) || !take_char(s, len, &pos, ':') ||
        !take_digits(s, len, &pos, 2, &mi) || !take_char(s, len, &pos, ':') ||
        !take_digits(s, len, &pos, 2, &ss))
        return iso_fail(why, "expected the time as HH:MM:SS");
    if (hh > 23 || mi > 59 || ss > 59)
        return iso_fail(why, "time out of range (00:00:00-23:59:59)");
    if (pos < len && s[pos] == '.') {
        size_t start = ++pos;
        while (pos < len && s[pos] >= '0' && s[pos] <= '9')
            pos++;
        if (pos == start || pos - start > 9)
            return iso_fail(why, "expected 1 to 9 digits after the decimal point");
    }
    if (pos == len)
        return iso_fail(why, "a time needs an offset: Z or +HH:MM");
    int64_t off = 0;
    if (s[pos] == 'Z' || s[pos] == 'z') {
        pos++;
    } else if (s[pos] == '+' || s[pos] == '-') {
        int sign = s[pos] == '-' ? -1 : 1, oh, om;
        pos++;
        if (!take_digits(s, len, &pos, 2, &oh) || !take_char(s, len, &pos, ':') ||
            !take_digits(s, len, &pos, 2, &om))
            return iso_fail(why, "expected the offset as +HH:MM or -HH:MM");
        if (oh > 23 || om > 59)
            return iso_fail(why, "offset out of range");
        off = sign * ((int64_t)oh * 60 + om);
    } else {
        return iso_fail(why, "a time needs an offset: Z or +HH:MM");
    }
    if (pos != len)
        return iso_fail(why, "unexpected characters after the offset");
    *out = day * DAY_SECONDS + hh * 3600 + mi * 60 + ss - off * 60;
    return true;
}

/* ---- the calendar ---------------------------------------------------- */

wg_err calendar_new(int utc_offset_min, calendar **out, wg_why *why)
{
    if (utc_offset_min < -CAL_OFFSET_MAX || utc_offset_min > CAL_OFFSET_MAX)
        return wg_fail(why, WG_ERR_INVALID, "utc_offset",
                       "the UTC offset must be within -14:00..+14:00 (minutes %d..%d)",
                       -CAL_OFFSET_MAX, CAL_OFFSET_MAX);
    calendar *cal = calloc(1, sizeof(*cal));
    if (!cal)
        return wg_fail(why, WG_ERR_NOMEM, NULL, "out of memory");
    cal->offset_min = utc_offset_min;
    cal->offset_s = (int64_t)utc_offset_min * 60;
    cal->weekdays = CAL_MON_FRI;
    cal->nworkdays_week = 5;
    *out = cal;
    return WG_OK;
}

void calendar_free(calendar *cal)
{
    if (!cal)
        return;
    free(cal->days);
    free(cal);
}

int calendar_utc_offset(const calendar *cal)
{
    return cal->offset_min;
}

int64_t calendar_day_seconds(const calendar *cal)
{
    return cal->day_work;
}

/* Parse "HH:MM" (00:00..24:00) at spec[*pos] into seconds of the day. */
static bool take_clock(const char *s, size_t len, size_t *pos, int32_t *secs)
{
    int h, m;
    size_t p = *pos;
    if (!take_digits(s, len, &p, 2, &h) || !take_char(s, len, &p, ':') ||
        !take_digits(s, len, &p, 2, &m))
        return false;
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return false;
    *pos = p;
    *secs = (int32_t)(h * 3600 + m * 60);
    return true;
}

/*
 * Parse the period list (grammar in calendar.h) into a scratch array and
 * install it only when the whole list is valid.
 */
wg_err calendar_set_periods(calendar *cal, const char *spec, wg_why *why)
{
    cal_period p[CAL_MAX_PERIODS];
    int n = 0;
    size_t pos = 0, len = spec ? strlen(spec) : 0;
    if (len == 0)
        return wg_fail(why, WG_ERR_INVALID, "periods",
                       "no working periods: expected e.g. 08:30-12:00,13:30-18:00");
    for (;;) {
        if (n == CAL_MAX_PERIODS)
            return wg_fail(why, WG_ERR_INVALID, "periods", "more than %d working periods",
                           CAL_MAX_PERIODS);
        cal_period q;
        if (!take_clock(spec, len, &pos, &q.start) || !take_char(spec, len, &pos, '-') ||
            !take_clock(spec, len, &pos, &q.end))
            return wg_fail(why, WG_ERR_INVALID, "periods",
                           "period %d: expected HH:MM-HH:MM with times from 00:00 to 24:00", n + 1);
        if (q.start >= q.end)
            return wg_fail(why, WG_ERR_INVALID, "periods",
                           "period %d: the end must come after the start", n + 1);
        if (n > 0 && q.start < p[n - 1].end)
            return wg_fail(why, WG_ERR_INVALID, "periods",
                           "period %d: periods must be in time order and must not overlap", n + 1);
        p[n++] = q;
        if (pos == len)
            break;
        if (!take_char(spec, len, &pos, ','))
            return wg_fail(why, WG_ERR_INVALID, "periods",
                           "period %d: expected ',' or the end after it", n);
        while (pos < len && spec[pos] == ' ')
            pos++;
    }
    int64_t w = 0;
    for (int i = 0; i < n; i++)
        w += p[i].end - p[i].start;
    memcpy(cal->periods, p, (size_t)n * sizeof(*p));
    cal->nperiods = n;
    cal->day_work = w;
    return WG_OK;
}

wg_err calendar_set_weekdays(calendar *cal, unsigned mask, wg_why *why)
{
    if (mask & ~CAL_ALL_DAYS)
        return wg_fail(why, WG_ERR_INVALID, "weekdays",
                       "weekday mask 0x%x has bits beyond Saturday", mask);
    int n = 0;
    for (unsigned m = mask; m; m &= m - 1)
        n++;
    cal->weekdays = mask;
    cal->nworkdays_week = n;
    return WG_OK;
}

/* Index of the first override with day >= z (ndays when none). */
static size_t lower_bound(const calendar *cal, int64_t z)
{
    size_t lo = 0, hi = cal->ndays;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cal->days[mid].day < z)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/*
 * Insert, replace or (CAL_DEFAULT) remove the override of one date, keeping
 * the array sorted. Grows the array by doubling, up to CAL_MAX_DAYS.
 */
wg_err calendar_set_day(calendar *cal, const char *date, cal_day kind, wg_why *why)
{
    int64_t z;
    if (!calendar_parse_date(date, date ? strlen(date) : 0, &z))
        return wg_fail(why, WG_ERR_INVALID, "date",
                       "expected a real date YYYY-MM-DD (year 0001-9999)");
    switch (kind) {
    case CAL_DEFAULT:
    case CAL_HOLIDAY:
    case CAL_WORKDAY:
        break;
    default:
        return wg_fail(why, WG_ERR_INVALID, "date", "unknown day kind %d", (int)kind);
    }
    size_t i = lower_bound(cal, z);
    bool found = i < cal->ndays && cal->days[i].day == z;
    if (kind == CAL_DEFAULT) {
        if (found) {
            memmove(&cal->days[i], &cal->days[i + 1], (cal->ndays - i - 1) * sizeof(*cal->days));
            cal->ndays--;
        }
        return WG_OK;
    }
    if (found) {
        cal->days[i].kind = (int32_t)kind;
        return WG_OK;
    }
    if (cal->ndays == CAL_MAX_DAYS)
        return wg_fail(why, WG_ERR_INVALID, "date", "more than %d day overrides", CAL_MAX_DAYS);
    if (cal->ndays == cal->capdays) {
        size_t ncap = cal->capdays ? cal->capdays * 2 : 64;
        if (ncap > CAL_MAX_DAYS)
            ncap = CAL_MAX_DAYS;
        cal_override *nd = realloc(cal->days, ncap * sizeof(*nd));
        if (!nd)
            return wg_fail(why, WG_ERR_NOMEM, NULL, "out of memory");
        cal->days = nd;
        cal->capdays = ncap;
    }
    memmove(&cal->days[i + 1], &cal->days[i], (cal->ndays - i) * sizeof(*cal->days));
    cal->days[i].day = (int32_t)z;
    cal->days[i].kind = (int32_t)kind;
    cal->ndays++;
    return WG_OK;
}

wg_err calendar_clear_day(calendar *cal, const char *date, wg_why *why)
{
    return calendar_set_day(cal, date, CAL_DEFAULT, why);
}

void calendar_clear_days(calendar *cal)
{
    cal->ndays = 0;
}

size_t calendar_day_count(const calendar *cal)
{
    return cal->ndays;
}

/* Whether weekday rule alone makes day z a working day. */
static bool weekday_works(const calendar *cal, int64_t z)
{
    return (cal->weekdays >> calendar_weekday(z)) & 1u;
}

/* Whether local day z is a working day (override first, then weekday). */
static bool workday(const calendar *cal, int64_t z)
{
    size_t i = lower_bound(cal, z);
    if (i < cal->ndays && cal->days[i].day == z)
        return cal->days[i].kind == CAL_WORKDAY;
    return weekday_works(cal, z);
}

cal_day calendar_get_day(const calendar *cal, int y, int m, int d)
{
    if (!calendar_date_valid(y, m, d))
        return CAL_DEFAULT;
    int64_t z = calendar_days_from_civil(y, m, d);
    size_t i = lower_bound(cal, z);
    if (i < cal->ndays && cal->days[i].day == z)
        return (cal_day)cal->days[i].kind;
    return CAL_DEFAULT;
}

bool calendar_is_workday(const calendar *cal, int y, int m, int d)
{
    return calendar_date_valid(y, m, d) && workday(cal, calendar_days_from_civil(y, m, d));
}

/* ---- working-time arithmetic ----------------------------------------- */

/* Split instant t into local day and seconds of the day; false when t is
 * outside local years 0001..9999. */
static bool split(const calendar *cal, int64_t t, int64_t *day, int64_t *x)
{
    if (t < -T_BOUND || t > T_BOUND)
        return false;
    int64_t local = t + cal->offset_s;
    int64_t z = floor_div(local, DAY_SECONDS);
    if (z < MIN_DAY || z > MAX_DAY)
        return false;
    *day = z;
    *x = local - z * DAY_SECONDS;
    return true;
}

/* The instant of clock time x (0..86400) on local day z, or CAL_ERROR when
 * that is past the end of 9999-12-31. */
static int64_t join(const calendar *cal, int64_t z, int64_t x)
{
    int64_t local = z * DAY_SECONDS + x;
    if (local >= ((int64_t)MAX_DAY + 1) * DAY_SECONDS)
        return CAL_ERROR;
    return local - cal->offset_s;
}

/* wb(x): working seconds of a working day before clock time x. */
static int64_t worked_before(const calendar *cal, int64_t x)
{
    int64_t w = 0;
    for (int i = 0; i < cal->nperiods; i++) {
        const cal_period *p = &cal->periods[i];
        if (x <= p->start)
            break;
        w += (x < p->end ? x : p->end) - p->start;
    }
    return w;
}

/* The smallest clock time x with wb(x) == target, 0 < target <= W: it
 * lies inside a period or at a period's end, never at the next start. */
static int64_t time_at_work(const calendar *cal, int64_t target)
{
    int64_t cum = 0;
    for (int i = 0; i < cal->nperiods; i++) {
        const cal_period *p = &cal->periods[i];
        int64_t len = p->end - p->start;
        if (target <= cum + len)
            return p->start + (target - cum);
        cum += len;
    }
    return cal->periods[cal->nperiods - 1].end; /* target == W, unreachable */
}

/*
 * Working days in [d0, d1), d0 <= d1: whole weeks give nworkdays_week
 * each, the leftover days are checked one by one, then each override in
 * the range corrects the count where it disagrees with its weekday.
 */
static int64_t count_workdays(const calendar *cal, int64_t d0, int64_t d1)
{
    int64_t n = d1 - d0;
    int64_t cnt = n / 7 * cal->nworkdays_week;
    for (int64_t z = d0 + n / 7 * 7; z < d1; z++)
        cnt += weekday_works(cal, z);
    for (size_t i = lower_bound(cal, d0); i < cal->ndays && cal->days[i].day < d1; i++) {
        bool base = weekday_works(cal, cal->days[i].day);
        if (cal->days[i].kind == CAL_HOLIDAY && base)
            cnt--;
        else if (cal->days[i].kind == CAL_WORKDAY && !base)
            cnt++;
    }
    return cnt;
}

/*
 * The k-th working day (k >= 1) on or after day d, or false when it would
 * lie after 9999-12-31. Between overrides the weekday rule alone applies,
 * so whole weeks are skipped in one step (each holds nworkdays_week working
 * days), stopping short enough that the k-th day itself is found by
 * stepping; an override day is judged by its kind. Loops: one per override
 * met plus at most a few weeks of single steps.
 */
static bool nth_workday(const calendar *cal, int64_t d, int64_t k, int64_t *out)
{
    while (d <= MAX_DAY) {
        size_t i = lower_bound(cal, d);
        int64_t next = i < cal->ndays ? cal->days[i].day : (int64_t)MAX_DAY + 1;
        if (d == next) {
            if (cal->days[i].kind == CAL_WORKDAY && --k == 0) {
                *out = d;
                return true;
            }
            d++;
            continue;
        }
        int per = cal->nworkdays_week;
        if (per == 0) {
            d = next; /* nothing works until the next override */
            continue;
        }
        int64_t weeks = (next - d) / 7;
        if (weeks > (k - 1) / per)
            weeks = (k - 1) / per;
        d += weeks * 7;
        k -= weeks * per;
        for (; d < next; d++) {
            if (weekday_works(cal, d) && --k == 0) {
                *out = d;
                return true;
            }
        }
    }
    return false;
}

int64_t calendar_next_working(const calendar *cal, int64_t t)
{
    int64_t z, x;
    if (cal->day_work == 0 || !split(cal, t, &z, &x))
        return CAL_ERROR;
    if (workday(cal, z)) {
        for (int i = 0; i < cal->nperiods; i++) {
            const cal_period *p = &cal->periods[i];
            if (x < p->end)
                return x >= p->start ? t : join(cal, z, p->start);
        }
    }
    int64_t next;
    if (!nth_workday(cal, z + 1, 1, &next))
        return CAL_ERROR;
    return join(cal, next, cal->periods[0].start);
}

/*
 * Earliest-instant addition (calendar.h): use what is left of start's day,
 * then whole working days, then the remainder on the last day, placed by
 * time_at_work() so a remainder that fills a period ends at its end.
 */
int64_t calendar_add_working(const calendar *cal, int64_t start, int64_t seconds)
{
    int64_t z, x;
    const int64_t w = cal->day_work;
    if (seconds < 0 || w == 0 || !split(cal, start, &z, &x))
        return CAL_ERROR;
    if (seconds == 0)
        return start;
    if (workday(cal, z)) {
        int64_t before = worked_before(cal, x);
        if (seconds <= w - before)
            return join(cal, z, time_at_work(cal, before + seconds));
        seconds -= w - before;
    }
    int64_t k = (seconds - 1) / w + 1;    /* the day the deadline falls on */
    int64_t rest = seconds - (k - 1) * w; /* in (0, W] */
    int64_t t;
    if (!nth_workday(cal, z + 1, k, &t))
        return CAL_ERROR;
    return join(cal, t, time_at_work(cal, rest));
}

/* Clamp clock time x into the working periods by the rule in calendar.h. */
static int64_t clamp_time(const calendar *cal, int64_t x)
{
    for (int i = 0; i < cal->nperiods; i++) {
        const cal_period *p = &cal->periods[i];
        if (x <= p->start)
            return i == 0 ? p->start : cal->periods[i - 1].end;
        if (x <= p->end)
            return x;
    }
    return cal->periods[cal->nperiods - 1].end;
}

int64_t calendar_add_working_days(const calendar *cal, int64_t start, int n)
{
    int64_t z, x, t;
    if (n < 0 || cal->day_work == 0 || !split(cal, start, &z, &x))
        return CAL_ERROR;
    if (n == 0)
        return start;
    if (!workday(cal, z))
        x = cal->periods[cal->nperiods - 1].end;
    if (!nth_workday(cal, z + 1, n, &t))
        return CAL_ERROR;
    return join(cal, t, clamp_time(cal, x));
}

/*
 * Working seconds in [a, b): the rest of a's day, the whole working days
 * strictly between, and the part of b's day before b.
 */
int64_t calendar_working_between(const calendar *cal, int64_t a, int64_t b)
{
    int64_t za, xa, zb, xb;
    if (!split(cal, a, &za, &xa) || !split(cal, b, &zb, &xb))
        return CAL_ERROR;
    if (b < a)
        return -calendar_working_between(cal, b, a);
    const int64_t w = cal->day_work;
    if (w == 0)
        return 0;
    if (za == zb)
        return workday(cal, za) ? worked_before(cal, xb) - worked_before(cal, xa) : 0;
    int64_t sum = count_workdays(cal, za + 1, zb) * w;
    if (workday(cal, za))
        sum += w - worked_before(cal, xa);
    if (workday(cal, zb))
        sum += worked_before(cal, xb);
    return sum;
}
