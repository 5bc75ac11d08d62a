/*
 * calendar.h - working time: deadlines in working hours and working days,
 * and the date helpers they need (civil dates, weekdays, ISO 8601).
 *
 * Time model. Every instant is int64 Unix seconds (UTC). The deployment's
 * local time is UTC plus a fixed offset in minutes (China: +480; no DST).
 * A local day is numbered like Unix days: day 0 is 1970-01-01 local.
 *
 * A calendar holds
 *   - the working periods of a working day, e.g. "08:30-12:00,13:30-18:00";
 *     every working day has the same periods, so W, the working seconds of
 *     one day, is a constant;
 *   - the working weekdays, a bit mask (default Monday to Friday);
 *   - day overrides: CAL_HOLIDAY (a day off whatever its weekday) and
 *     CAL_WORKDAY (a worked day whatever its weekday: make-up days, 调休),
 *     kept sorted by date, at most CAL_MAX_DAYS of them.
 * A working day is an override CAL_WORKDAY, or a day without override whose
 * weekday is in the mask. Working time is the union of the periods of all
 * working days; a period [s, e) covers s up to, not including, e.
 *
 * Rules of the arithmetic (the "earliest instant" rule):
 *   - calendar_add_working(start, n) returns the EARLIEST instant r >= start
 *     with n working seconds in [start, r). So counting starts at the next
 *     period start when start lies outside working time, a deadline that
 *     uses up a period exactly is that period's END (Friday 17:30 + 4 h with
 *     the periods above is Monday 12:00, never Monday 13:30), and n = 0
 *     returns start itself.
 *   - calendar_working_between(a, b) counts working seconds in [a, b); so
 *     working_between(s, add_working(s, n)) == n for every s and n >= 0.
 *   - calendar_add_working_days: see its comment; the result always lies on
 *     the n-th working day after start's local day, and exactly n * W
 *     working seconds separate it from start.
 *
 * Errors. Functions returning an instant return CAL_ERROR (INT64_MIN) when
 * the calendar has no working time to offer (no periods set; no working
 * weekday and no make-up day ahead; every day up to the end of year 9999
 * off), when an argument is negative where it must not be, or when an
 * instant (argument or result) lies outside local years 0001..9999.
 *
 * Ownership and threads. calendar_new() allocates; calendar_free() releases.
 * Setters change the calendar and must not run concurrently with anything
 * else on it; once configured, a calendar may be read by any number of
 * threads at once (every query takes a const calendar *). To reload, build a
 * new calendar and swap pointers. Every string result goes into a caller
 * buffer; wg_why messages are copied into the caller's struct.
 */
#ifndef WG_CALENDAR_H
#define WG_CALENDAR_H

#include "util/common.h"
#include "util/err.h"

typedef struct calendar calendar;

/* Returned by every instant-valued function when there is no answer. */
#define CAL_ERROR INT64_MIN

/* At most this many working periods per day. */
#define CAL_MAX_PERIODS 16

/* At most this many day overrides per calendar. */
#define CAL_MAX_DAYS 10000

/* Accepted deployment offsets: UTC-14:00 .. UTC+14:00, in minutes. */
#define CAL_OFFSET_MAX (14 * 60)

/* Bytes that always hold calendar_format_iso()'s result with its NUL:
 * "2024-10-08T12:00:00+08:00" is 25 characters. */
#define CAL_ISO_CAP 26

/* Weekday bits; bit w stands for weekday w as calendar_weekday() counts
 * (0 = Sunday .. 6 = Saturday). */
#define CAL_SUN (1u << 0)
#define CAL_MON (1u << 1)
#define CAL_TUE (1u << 2)
#define CAL_WED (1u << 3)
#define CAL_THU (1u << 4)
#define CAL_FRI (1u << 5)
#define CAL_SAT (1u << 6)
#define CAL_MON_FRI (CAL_MON | CAL_TUE | CAL_WED | CAL_THU | CAL_FRI)
#define CAL_ALL_DAYS (CAL_MON_FRI | CAL_SAT | CAL_SUN)

/* What an override makes of a day. */
typedef enum {
    CAL_DEFAULT = 0, /* no override: the weekday mask decides */
    CAL_HOLIDAY,     /* a day off, whatever its weekday */
    CAL_WORKDAY,     /* a working day, whatever its weekday (调休) */
} cal_day;

/* ---- the calendar ---------------------------------------------------- */

/*
 * A new calendar for local time UTC + utc_offset_min minutes, with working
 * weekdays Monday to Friday, no overrides and NO working periods: call
 * calendar_set_periods() before any deadline arithmetic (until then those
 * functions return CAL_ERROR).
 *
 * Returns WG_OK and *out (free with calendar_free()); WG_ERR_INVALID when
 * |utc_offset_min| > CAL_OFFSET_MAX; WG_ERR_NOMEM when memory runs out.
 */
wg_err calendar_new(int utc_offset_min, calendar **out, wg_why *why);

/* Release cal and everything it holds; NULL is fine. */
void calendar_free(calendar *cal);

/* The offset given to calendar_new(), in minutes east of UTC. */
int calendar_utc_offset(const calendar *cal);

/*
 * Replace the working periods with those in spec: "HH:MM-HH:MM" items
 * separated by commas (spaces allowed after a comma), each time exactly two
 * digits, colon, two digits, from 00:00 to 24:00 (24:00 only as an end).
 * Periods must be non-empty, in order and must not overlap; one may end
 * where the next starts. At most CAL_MAX_PERIODS.
 *
 * Returns WG_OK, or WG_ERR_INVALID with why->field "periods" and a sentence
 * naming the item at fault; on failure the calendar is unchanged.
 */
wg_err calendar_set_periods(calendar *cal, const char *spec, wg_why *why);

/* W: the working seconds of one working day (0 before set_periods). */
int64_t calendar_day_seconds(const calendar *cal);

/*
 * Set the working weekdays: a mask of CAL_SUN..CAL_SAT. 0 is allowed (only
 * CAL_WORKDAY overrides are then worked). WG_ERR_INVALID, calendar
 * unchanged, if a bit above CAL_SAT is set.
 */
wg_err calendar_set_weekdays(calendar *cal, unsigned mask, wg_why *why);

/*
 * Override the day `date` ("YYYY-MM-DD", a real date, year 0001..9999):
 * CAL_HOLIDAY or CAL_WORKDAY set or replace its override, CAL_DEFAULT
 * removes it (removing a date without override is fine). An override that
 * agrees with the weekday rule (a holiday on a Sunday) is stored as given.
 *
 * Returns WG_OK; WG_ERR_INVALID (why->field "date") for a bad date, an
 * unknown kind or when a new date would exceed CAL_MAX_DAYS overrides;
 * WG_ERR_NOMEM. On failure the calendar is unchanged.
 */
wg_err calendar_set_day(calendar *cal, const char *date, cal_day kind, wg_why *why);

/* calendar_set_day(cal, date, CAL_DEFAULT, why). */
wg_err calendar_clear_day(calendar *cal, const char *date, wg_why *why);

/* Remove every override (before loading a fresh list). */
void calendar_clear_days(calendar *cal);

/* How many overrides the calendar holds. */
size_t calendar_day_count(const calendar *cal);

/* The override of y-m-d, CAL_DEFAULT when it has none or is no date. */
cal_day calendar_get_day(const calendar *cal, int y, int m, int d);

/* Whether local date y-m-d is a working day; false for a non-date. */
bool calendar_is_workday(const calendar *cal, int y, int m, int d);

/* ---- working-time arithmetic (see the rules atop this file) ---------- */

/*
 * The instant at which counting starts from t: t itself when t lies inside
 * a working period of a working day, else the start of the next period.
 * CAL_ERROR when there is none (see Errors above).
 */
int64_t calendar_next_working(const calendar *cal, int64_t t);

/*
 * The earliest instant by which `seconds` of working time have passed
 * after start. seconds == 0 gives start (on a calendar that has periods).
 * CAL_ERROR for seconds < 0 or as under Errors. Cost: O(log D) for each
 * override crossed and each day stepped near one (D = number of
 * overrides); stretches without overrides are crossed in one step.
 */
int64_t calendar_add_working(const calendar *cal, int64_t start, int64_t seconds);

/*
 * The deadline of n working days after start (n >= 1; n == 0 gives start;
 * n < 0 gives CAL_ERROR). Rule:
 *   1. T is the n-th working day after start's local day D (D itself never
 *      counts: filed Monday, 1 day -> Tuesday; filed Friday or Saturday ->
 *      Monday).
 *   2. The due time of day is start's local time x, clamped into T's
 *      working periods by the earliest-instant rule:
 *        x inside a period (s < x <= e)      -> x;
 *        x in a gap, e_i <= x <= s_(i+1)     -> e_i  (12:30 -> 12:00 and
 *                                               13:30 -> 12:00: no working
 *                                               time lies in between);
 *        x after the last period end         -> the last end (19:00 -> 18:00);
 *        x at or before the first start      -> the first start (07:00 ->
 *                                               08:30; the result stays on T).
 *   3. If D is not a working day, x is taken as the end of the last period:
 *      a start on a day off behaves like a start after hours on the working
 *      day before (Saturday 10:00 + 1 -> Monday 18:00, not Monday 10:00).
 * Consequence: working_between(start, result) == n * W for every start.
 * The result equals add_working(start, n * W) except when x clamps to the
 * first period start (add_working gives the previous working day's end, the
 * same deadline stated earlier).
 */
int64_t calendar_add_working_days(const calendar *cal, int64_t start, int n);

/*
 * Working seconds in [a, b); negative (-(working seconds in [b, a))) when
 * b < a, so working_between(due, now) > 0 reads "overdue by". 0 when the
 * calendar has no periods. CAL_ERROR only for an instant out of range.
 */
int64_t calendar_working_between(const calendar *cal, int64_t a, int64_t b);

/* ---- date helpers (no calendar needed) ------------------------------- */

/* Whether y-m-d is a date of the proleptic Gregorian calendar. */
bool calendar_date_valid(int y, int m, int d);

/* Days from 1970-01-01 to y-m-d (negative before); y-m-d must be valid. */
int64_t calendar_days_from_civil(int y, int m, int d);

/* The date of day z (days from 1970-01-01). */
void calendar_civil_from_days(int64_t z, int *y, int *m, int *d);

/* The weekday of day z: 0 = Sunday .. 6 = Saturday. */
int calendar_weekday(int64_t z);

/*
 * Parse "YYYY-MM-DD" (exactly that, len bytes, year 0001..9999, a real
 * date) into a day number. False, *day untouched, otherwise.
 */
bool calendar_parse_date(const char *s, size_t len, int64_t *day);

/*
 * Write instant t as local ISO 8601 / RFC 3339 for a UTC offset of
 * offset_min minutes: "2024-10-08T12:00:00+08:00" (an offset of 0 prints
 * "+00:00"). cap must be at least CAL_ISO_CAP. Returns false, writing only
 * "" when cap > 0, if cap is too small, |offset_min| > 23:59 or the local
 * year is outside 0001..9999.
 */
bool calendar_format_iso(int64_t t, int offset_min, char *buf, size_t cap);

/*
 * Parse len bytes of s as an instant. Accepted forms:
 *   YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)   (RFC 3339; 'T' and
 *       'Z' in either case; 1-9 fraction digits are dropped, not rounded);
 *   YYYY-MM-DD    local midnight at offset_min (the deployment's offset).
 * Validated: year 0001..9999, the date exists, hour 00-23, minute 00-59,
 * second 00-59 (no leap second, no 24:00), offset hour 00-23, offset minute
 * 00-59; a time without an offset, any other shape or trailing byte is
 * refused. Returns true and *out, or false (*out untouched) with why->msg
 * (field NULL; the caller knows the field name) when why is not NULL.
 */
bool calendar_parse_iso(const char *s, size_t len, int offset_min, int64_t *out, wg_why *why);

#endif
