#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/calendar.h"

#define S(x) x, strlen(x)

#define H 3600
#define M 60
/* W for "08:30-12:00,13:30-18:00": 3.5 h + 4.5 h = 8 h. */
#define W (8 * H)
#define OFF_CN 480

static const char *const PERIODS = "08:30-12:00,13:30-18:00";

/* ---- test helpers, independent of the module under test -------------- */

static int month_days(int y, int m)
{
    static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return md[m - 1] + (m == 2 && leap);
}

/* Days from 1970-01-01 by plain counting (y >= 1970). */
static int64_t naive_days(int y, int m, int d)
{
    int64_t n = 0;
    for (int yy = 1970; yy < y; yy++)
        n += 365 + (month_days(yy, 2) == 29);
    for (int mm = 1; mm < m; mm++)
        n += month_days(y, mm);
    return n + d - 1;
}

/* The instant of local time y-m-d h:mi at UTC+8. */
static int64_t lt(int y, int m, int d, int h, int mi)
{
    return naive_days(y, m, d) * 86400 + h * H + mi * M - 8 * H;
}

static calendar *make_cal(const char *periods)
{
    calendar *cal = NULL;
    wg_why why = {0};
    assert_int_equal(calendar_new(OFF_CN, &cal, &why), WG_OK);
    if (periods)
        assert_int_equal(calendar_set_periods(cal, periods, &why), WG_OK);
    return cal;
}

/* National Day 2024: 10-01..10-07 off (10-05/06 are a weekend anyway),
 * make-up working days Sunday 09-29 and Saturday 10-12. */
static const char *const ND_HOLIDAYS[] = {"2024-10-01", "2024-10-02", "2024-10-03", "2024-10-04",
                                          "2024-10-05", "2024-10-06", "2024-10-07"};
static const char *const ND_WORKDAYS[] = {"2024-09-29", "2024-10-12"};

static calendar *make_nd_cal(void)
{
    calendar *cal = make_cal(PERIODS);
    for (size_t i = 0; i < sizeof(ND_HOLIDAYS) / sizeof(ND_HOLIDAYS[0]); i++)
        assert_int_equal(calendar_set_day(cal, ND_HOLIDAYS[i], CAL_HOLIDAY, NULL), WG_OK);
    for (size_t i = 0; i < sizeof(ND_WORKDAYS) / sizeof(ND_WORKDAYS[0]); i++)
        assert_int_equal(calendar_set_day(cal, ND_WORKDAYS[i], CAL_WORKDAY, NULL), WG_OK);
    return cal;
}

/* Reference working day for the National Day calendar: Monday..Friday by
 * (day + 4) % 7 (1970-01-01 was a Thursday), corrected by the lists above. */
static bool ref_workday(int64_t day)
{
    if (day == naive_days(2024, 9, 29) || day == naive_days(2024, 10, 12))
        return true;
    if (day >= naive_days(2024, 10, 1) && day <= naive_days(2024, 10, 7))
        return false;
    int wd = (int)((day + 4) % 7);
    return wd >= 1 && wd <= 5;
}

/* Reference working seconds in [a, b) (signed), by intersecting [a, b)
 * with each period of each day; a, b after 1970. */
static int64_t ref_between(int64_t a, int64_t b)
{
    static const int64_t per[2][2] = {{8 * H + 30 * M, 12 * H}, {13 * H + 30 * M, 18 * H}};
    if (b < a)
        return -ref_between(b, a);
    int64_t sum = 0;
    for (int64_t day = (a + 8 * H) / 86400; day <= (b + 8 * H) / 86400; day++) {
        if (!ref_workday(day))
            continue;
        for (int i = 0; i < 2; i++) {
            int64_t s = day * 86400 + per[i][0] - 8 * H, e = day * 86400 + per[i][1] - 8 * H;
            int64_t lo = s > a ? s : a, hi = e < b ? e : b;
            if (hi > lo)
                sum += hi - lo;
        }
    }
    return sum;
}

/* splitmix64: a deterministic PRNG so failures reproduce. */
static uint64_t rng_state = 0x5eed;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int64_t rnd_range(int64_t lo, int64_t hi) /* [lo, hi] */
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* A random instant in [lo, hi]; one time in two it is put on a period
 * boundary (or one second either side) to exercise the edges. */
static int64_t rnd_instant(int64_t lo, int64_t hi)
{
    static const int edges[] = {0, 8 * H + 30 * M, 12 * H, 13 * H + 30 * M, 18 * H};
    int64_t t = rnd_range(lo, hi);
    if (rnd() % 2) {
        int64_t day = (t + 8 * H) / 86400;
        t = day * 86400 - 8 * H + edges[rnd() % 5] + (int64_t)(rnd() % 3) - 1;
    }
    return t;
}

/* ---- tests ------------------------------------------------------------ */

static void test_helpers_agree(void **state)
{
    (void)state;
    /* Values from `TZ=Asia/Shanghai date -d ... +%s`. */
    assert_true(lt(2024, 3, 15, 17, 30) == 1710495000);
    assert_true(lt(2024, 3, 18, 12, 0) == 1710734400);
    assert_true(lt(2024, 9, 30, 17, 0) == 1727686800);
    assert_true(lt(2024, 10, 8, 17, 0) == 1728378000);
    assert_true(lt(2024, 10, 12, 0, 0) == 1728662400);
}

static void test_friday_to_monday(void **state)
{
    (void)state;
    calendar *cal = make_cal(PERIODS);
    assert_true(calendar_day_seconds(cal) == W);
    /* Filed Friday 2024-03-15 17:30, limit 4 working hours:
     * Friday 17:30-18:00 = 0.5 h, 3.5 h left; Sat/Sun off; Monday
     * 08:30 + 3.5 h = 12:00, the end of the morning period: 12:00, not
     * 13:30 (the period-end rule). */
    int64_t filed = lt(2024, 3, 15, 17, 30);
    assert_true(calendar_add_working(cal, filed, 4 * H) == lt(2024, 3, 18, 12, 0));
    assert_true(calendar_add_working(cal, filed, 4 * H) == 1710734400);
    /* One second more spills into the afternoon: 13:30:01. */
    assert_true(calendar_add_working(cal, filed, 4 * H + 1) == lt(2024, 3, 18, 13, 30) + 1);
    /* 30 min exactly: Friday 18:00, not Monday 08:30. */
    assert_true(calendar_add_working(cal, filed, 30 * M) == lt(2024, 3, 15, 18, 0));
    assert_true(calendar_working_between(cal, filed, lt(2024, 3, 18, 12, 0)) == 4 * H);
    assert_true(calendar_working_between(cal, lt(2024, 3, 18, 12, 0), filed) == -4 * H);
    calendar_free(cal);
}

static void test_national_day(void **state)
{
    (void)state;
    calendar *cal = make_nd_cal();
    assert_true(calendar_is_workday(cal, 2024, 9, 27));  /* Friday */
    assert_false(calendar_is_workday(cal, 2024, 9, 28)); /* Saturday */
    assert_true(calendar_is_workday(cal, 2024, 9, 29));  /* make-up Sunday */
    assert_true(calendar_is_workday(cal, 2024, 9, 30));
    for (int d = 1; d <= 7; d++)
        assert_false(calendar_is_workday(cal, 2024, 10, d));
    assert_true(calendar_is_workday(cal, 2024, 10, 8));
    assert_true(calendar_is_workday(cal, 2024, 10, 12));  /* make-up Saturday */
    assert_false(calendar_is_workday(cal, 2024, 10, 13)); /* Sunday */
    assert_false(calendar_is_workday(cal, 2024, 2, 30));  /* no such date */
    assert_int_equal(calendar_get_day(cal, 2024, 10, 1), CAL_HOLIDAY);
    assert_int_equal(calendar_get_day(cal, 2024, 9, 29), CAL_WORKDAY);
    assert_int_equal(calendar_get_day(cal, 2024, 10, 8), CAL_DEFAULT);

    /* Monday 2024-09-30 17:00 + 8 working hours:
     *   09-30 17:00-18:00          1.0 h   (7.0 h left)
     *   10-01 .. 10-07             holidays, 0 h
     *   10-08 08:30-12:00          3.5 h   (3.5 h left)
     *   10-08 13:30 + 3.5 h      = 17:00.
     * Due Tuesday 2024-10-08 17:00. (15:30 would be 1 + 3.5 + 2 = 6.5 h,
     * checked next.) */
    int64_t start = lt(2024, 9, 30, 17, 0);
    assert_true(calendar_add_working(cal, start, 8 * H) == lt(2024, 10, 8, 17, 0));
    assert_true(calendar_add_working(cal, start, 8 * H) == 1728378000);
    assert_true(calendar_add_working(cal, start, 6 * H + 30 * M) == lt(2024, 10, 8, 15, 30));
    assert_true(calendar_working_between(cal, start, lt(2024, 10, 8, 17, 0)) == 8 * H);
    /* The whole holiday week counts nothing. */
    assert_true(calendar_working_between(cal, lt(2024, 10, 1, 0, 0), lt(2024, 10, 8, 8, 30)) == 0);
    calendar_free(cal);
}

static void test_makeup_days(void **state)
{
    (void)state;
    calendar *cal = make_nd_cal();
    /* Friday 2024-10-11 17:00 + 2 h: 1 h Friday, then make-up Saturday
     * 10-12 08:30 + 1 h = 09:30. */
    int64_t fri = lt(2024, 10, 11, 17, 0);
    assert_true(calendar_add_working(cal, fri, 2 * H) == lt(2024, 10, 12, 9, 30));
    /* Friday 09-27 17:00 + 2 h: make-up Sunday 09-29 09:30. */
    assert_true(calendar_add_working(cal, lt(2024, 9, 27, 17, 0), 2 * H) == lt(2024, 9, 29, 9, 30));
    assert_true(calendar_next_working(cal, lt(2024, 10, 12, 7, 0)) == lt(2024, 10, 12, 8, 30));
    /* Without the override the Saturday is off: Monday 10-14 09:30. */
    assert_int_equal(calendar_clear_day(cal, "2024-10-12", NULL), WG_OK);
    assert_false(calendar_is_workday(cal, 2024, 10, 12));
    assert_true(calendar_add_working(cal, fri, 2 * H) == lt(2024, 10, 14, 9, 30));
    calendar_free(cal);
}

static void test_lunch_and_outside(void **state)
{
    (void)state;
    calendar *cal = make_cal(PERIODS);
    /* Tuesday 2024-03-19. In the lunch break counting starts at 13:30:
     * 12:30 + 1 h = 14:30; 12:00 itself is outside [08:30, 12:00). */
    assert_true(calendar_add_working(cal, lt(2024, 3, 19, 12, 30), H) == lt(2024, 3, 19, 14, 30));
    assert_true(calendar_add_working(cal, lt(2024, 3, 19, 12, 0), H) == lt(2024, 3, 19, 14, 30));
    /* 11:30 + 1 h: 30 min before lunch, 30 min after: 14:00. */
    assert_true(calendar_add_working(cal, lt(2024, 3, 19, 11, 30), H) == lt(2024, 3, 19, 14, 0));
    /* Before work 07:00 + 1 h = 09:30; after work 19:00 + 1 h = Wed 09:30. */
    assert_true(calendar_add_working(cal, lt(2024, 3, 19, 7, 0), H) == lt(2024, 3, 19, 9, 30));
    assert_true(calendar_add_working(cal, lt(2024, 3, 19, 19, 0), H) == lt(2024, 3, 20, 9, 30));
    /* Saturday 2024-03-16 10:00 + 1 h = Monday 09:30. */
    assert_true(calendar_add_working(cal, lt(2024, 3, 16, 10, 0), H) == lt(2024, 3, 18, 9, 30));

    assert_true(calendar_next_working(cal, lt(2024, 3, 19, 12, 30)) == lt(2024, 3, 19, 13, 30));
    assert_true(calendar_next_working(cal, lt(2024, 3, 19, 10, 0)) == lt(2024, 3, 19, 10, 0));
    assert_true(calendar_next_working(cal, lt(2024, 3, 19, 18, 0)) == lt(2024, 3, 20, 8, 30));
    assert_true(calendar_next_working(cal, lt(2024, 3, 15, 18, 0)) == lt(2024, 3, 18, 8, 30));
    assert_true(calendar_working_between(cal, lt(2024, 3, 19, 12, 0), lt(2024, 3, 19, 13, 30)) ==
                0);
    /* A whole working day is W; a whole week 5 W. */
    assert_true(calendar_working_between(cal, lt(2024, 3, 19, 0, 0), lt(2024, 3, 20, 0, 0)) == W);
    assert_true(calendar_working_between(cal, lt(2024, 3, 18, 0, 0), lt(2024, 3, 25, 0, 0)) ==
                5 * W);
    calendar_free(cal);
}

static void test_add_zero(void **state)
{
    (void)state;
    calendar *cal = make_cal(PERIODS);
    int64_t inside = lt(2024, 3, 19, 10, 0), lunch = lt(2024, 3, 19, 12, 30);
    int64_t sat = lt(2024, 3, 16, 10, 0);
    /* Zero working seconds have passed at start itself: start unchanged. */
    assert_true(calendar_add_working(cal, inside, 0) == inside);
    assert_true(calendar_add_working(cal, lunch, 0) == lunch);
    assert_true(calendar_add_working(cal, sat, 0) == sat);
    assert_true(calendar_add_working_days(cal, sat, 0) == sat);
    assert_true(calendar_working_between(cal, inside, inside) == 0);
    assert_true(calendar_add_working(cal, inside, -1) == CAL_ERROR);
    assert_true(calendar_add_working_days(cal, inside, -1) == CAL_ERROR);
    calendar_free(cal);
}

static void test_add_working_days(void **state)
{
    (void)state;
    calendar *cal = make_cal(PERIODS);
    /* Same clock time on the n-th working day after start's day. */
    assert_true(calendar_add_working_days(cal, lt(2024, 3, 19, 10, 0), 1) ==
                lt(2024, 3, 20, 10, 0));
    assert_true(calendar_add_working_days(cal, lt(2024, 3, 15, 10, 0), 1) ==
                lt(2024, 3, 18, 10, 0));
    assert_true(calendar_add_working_days(cal, lt(2024, 3, 15, 10, 0), 5) ==
                lt(2024, 3, 22, 10, 0));
    /* Clamping (Tuesday 03-19 + 1 -> Wednesday 03-20):
     * 07:00 before the first start -> 08:30; 12:00 is a period end -> 12:00;
     * 12:30 in the gap -> 12:00; 13:30 a period start -> 12:00 (no working
     * time between); 18:00 -> 18:00; 19:00 after the last end -> 18:00. */
    assert_true(calendar_add_working_days(cal, lt(2024, 3, 19, 7, 0), 1) == lt(2024, 3, 20, 8, 30));
    assert_true(calendar_add_working_days(cal, lt(2024, 3, 19, 12, 0), 1) ==
                lt(2024, 3, 20, 12, 0));
    assert_true(calendar_add_working_days(cal, lt(2024, 3, 19, 12, 30), 1) ==
                lt(2024, 3, 20, 12, 0));
    assert_true(calendar_add_working_days(cal, lt(2024, 3, 19, 13, 30), 1) ==
                lt(2024, 3, 20, 12, 0));
    assert_true(calendar_add_working_days(cal, lt(2024, 3, 19, 13, 31), 1) ==
                lt(2024, 3, 20, 13, 31));
    assert_true(calendar_add_working_days(cal, lt(2024, 3, 19, 18, 0), 1) ==
                lt(2024, 3, 20, 18, 0));
    assert_true(calendar_add_working_days(cal, lt(2024, 3, 19, 19, 0), 1) ==
                lt(2024, 3, 20, 18, 0));
    /* A start on a day off acts like after hours on the working day before:
     * Saturday 03-16 10:00 + 1 -> Monday 18:00; Sunday + 2 -> Tuesday 18:00. */
    assert_true(calendar_add_working_days(cal, lt(2024, 3, 16, 10, 0), 1) ==
                lt(2024, 3, 18, 18, 0));
    assert_true(calendar_add_working_days(cal, lt(2024, 3, 17, 23, 59), 2) ==
                lt(2024, 3, 19, 18, 0));
    /* 30 working days from Monday 2024-03-04 10:00: Mar 5-8 are #1-4,
     * Mar 11-15 #5-9, 18-22 #10-14, 25-29 #15-19, Apr 1-5 #20-24,
     * Apr 8-12 #25-29, Monday Apr 15 is #30 -> 2024-04-15 10:00. The start
     * is inside working time, so this equals add_working(start, 30 W). */
    int64_t s = lt(2024, 3, 4, 10, 0);
    assert_true(calendar_add_working_days(cal, s, 30) == lt(2024, 4, 15, 10, 0));
    assert_true(calendar_add_working(cal, s, 30 * (int64_t)W) == lt(2024, 4, 15, 10, 0));
    calendar_free(cal);

    cal = make_nd_cal();
    /* Monday 09-30 10:00 + 1: holidays skipped -> Tuesday 10-08 10:00.
     * + 5: 10-08 #1, 10-09 #2, 10-10 #3, 10-11 #4, make-up Sat 10-12 #5. */
    assert_true(calendar_add_working_days(cal, lt(2024, 9, 30, 10, 0), 1) ==
                lt(2024, 10, 8, 10, 0));
    assert_true(calendar_add_working_days(cal, lt(2024, 9, 30, 10, 0), 5) ==
                lt(2024, 10, 12, 10, 0));
    /* Friday 09-27 15:00 + 1 -> make-up Sunday 09-29 15:00; Saturday 09-28
     * (off) + 1 -> Sunday 09-29 18:00. */
    assert_true(calendar_add_working_days(cal, lt(2024, 9, 27, 15, 0), 1) ==
                lt(2024, 9, 29, 15, 0));
    assert_true(calendar_add_working_days(cal, lt(2024, 9, 28, 10, 0), 1) ==
                lt(2024, 9, 29, 18, 0));
    /* A start inside the holidays (10-03 10:00) + 1 -> 10-08 18:00. */
    assert_true(calendar_add_working_days(cal, lt(2024, 10, 3, 10, 0), 1) ==
                lt(2024, 10, 8, 18, 0));
    calendar_free(cal);
}

static void test_periods_parse(void **state)
{
    (void)state;
    calendar *cal = make_cal(NULL);
    wg_why why = {0};
    assert_true(calendar_day_seconds(cal) == 0);
    assert_int_equal(calendar_set_periods(cal, "00:00-24:00", &why), WG_OK);
    assert_true(calendar_day_seconds(cal) == 86400);
    assert_int_equal(calendar_set_periods(cal, "09:00-12:00, 12:00-17:00", &why), WG_OK);
    assert_true(calendar_day_seconds(cal) == 8 * H);
    assert_int_equal(calendar_set_periods(cal, PERIODS, &why), WG_OK);
    assert_true(calendar_day_seconds(cal) == W);

    static const struct {
        const char *spec;
        const char *msg_part;
    } bad[] = {
        {"", "no working periods"},
        {"08:30-12:00,11:00-13:00", "overlap"},
        {"13:30-18:00,08:30-12:00", "order"},
        {"08:30-08:30", "after the start"},
        {"18:00-08:30", "after the start"},
        {"25:00-26:00", "HH:MM-HH:MM"},
        {"08:60-09:00", "HH:MM-HH:MM"},
        {"24:00-24:00", "after the start"},
        {"08:30-24:01", "HH:MM-HH:MM"},
        {"8:30-12:00", "HH:MM-HH:MM"},
        {"08:30-12:00,", "period 2"},
        {"08:30-12:00;13:30-18:00", "expected ','"},
        {"08:30-12:00 ", "expected ','"},
        {" 08:30-12:00", "period 1"},
        {"08:30 - 12:00", "period 1"},
        {"garbage", "period 1"},
        {"00:01-00:02,00:03-00:04,00:05-00:06,00:07-00:08,00:09-00:10,00:11-00:12,"
         "00:13-00:14,00:15-00:16,00:17-00:18,00:19-00:20,00:21-00:22,00:23-00:24,"
         "00:25-00:26,00:27-00:28,00:29-00:30,00:31-00:32,00:33-00:34",
         "more than 16"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&why, 0, sizeof(why));
        assert_int_equal(calendar_set_periods(cal, bad[i].spec, &why), WG_ERR_INVALID);
        assert_string_equal(why.field, "periods");
        if (!strstr(why.msg, bad[i].msg_part))
            fail_msg("spec \"%s\": message \"%s\" lacks \"%s\"", bad[i].spec, why.msg,
                     bad[i].msg_part);
        /* The calendar keeps its previous periods. */
        assert_true(calendar_day_seconds(cal) == W);
    }
    assert_int_equal(calendar_set_periods(cal, NULL, NULL), WG_ERR_INVALID);
    calendar_free(cal);
}

static void test_new_and_weekdays(void **state)
{
    (void)state;
    calendar *cal = NULL;
    wg_why why = {0};
    assert_int_equal(calendar_new(CAL_OFFSET_MAX + 1, &cal, &why), WG_ERR_INVALID);
    assert_null(cal);
    assert_string_equal(why.field, "utc_offset");
    assert_int_equal(calendar_new(-300, &cal, &why), WG_OK);
    assert_int_equal(calendar_utc_offset(cal), -300);
    assert_int_equal(calendar_set_periods(cal, PERIODS, &why), WG_OK);
    /* The Friday case again at UTC-5: the arithmetic is in local time. */
    int64_t filed, due;
    assert_true(calendar_parse_iso(S("2024-03-15T17:30:00-05:00"), -300, &filed, NULL));
    assert_true(calendar_parse_iso(S("2024-03-18T12:00:00-05:00"), -300, &due, NULL));
    assert_true(calendar_add_working(cal, filed, 4 * H) == due);

    /* A six-day week: Saturday worked, Sunday not. */
    assert_int_equal(calendar_set_weekdays(cal, CAL_MON_FRI | CAL_SAT, &why), WG_OK);
    assert_true(calendar_is_workday(cal, 2024, 3, 16));
    assert_false(calendar_is_workday(cal, 2024, 3, 17));
    assert_true(calendar_parse_iso(S("2024-03-16T09:00:00-05:00"), -300, &due, NULL));
    assert_true(calendar_add_working(cal, filed, 1 * H) == due);
    assert_int_equal(calendar_set_weekdays(cal, 0x80, &why), WG_ERR_INVALID);
    assert_string_equal(why.field, "weekdays");
    assert_true(calendar_is_workday(cal, 2024, 3, 16)); /* unchanged */
    calendar_free(cal);
    calendar_free(NULL);
}

static void test_no_working_time(void **state)
{
    (void)state;
    int64_t t = lt(2024, 10, 1, 10, 0);
    /* No periods set. */
    calendar *cal = make_cal(NULL);
    assert_true(calendar_add_working(cal, t, H) == CAL_ERROR);
    assert_true(calendar_add_working(cal, t, 0) == CAL_ERROR);
    assert_true(calendar_add_working_days(cal, t, 1) == CAL_ERROR);
    assert_true(calendar_next_working(cal, t) == CAL_ERROR);
    assert_true(calendar_working_between(cal, t, t + 86400) == 0);
    calendar_free(cal);

    /* Periods but no working weekday: the search must end, with an error. */
    cal = make_cal(PERIODS);
    assert_int_equal(calendar_set_weekdays(cal, 0, NULL), WG_OK);
    assert_false(calendar_is_workday(cal, 2024, 10, 8));
    assert_true(calendar_add_working(cal, t, H) == CAL_ERROR);
    assert_true(calendar_add_working(cal, t, 100000 * (int64_t)W) == CAL_ERROR);
    assert_true(calendar_add_working_days(cal, t, 1) == CAL_ERROR);
    assert_true(calendar_next_working(cal, t) == CAL_ERROR);
    assert_true(calendar_working_between(cal, t, t + 30 * 86400) == 0);
    /* One make-up day: 1 h fits on it (Saturday 10-12 09:30), 9 h do not.
     * In days: 10-01 is off, so the start acts as after hours -> 18:00 on
     * the one working day; there is no second one. */
    assert_int_equal(calendar_set_day(cal, "2024-10-12", CAL_WORKDAY, NULL), WG_OK);
    assert_true(calendar_add_working(cal, t, H) == lt(2024, 10, 12, 9, 30));
    assert_true(calendar_add_working(cal, t, 9 * H) == CAL_ERROR);
    assert_true(calendar_add_working_days(cal, t, 1) == lt(2024, 10, 12, 18, 0));
    assert_true(calendar_add_working_days(cal, t, 2) == CAL_ERROR);
    calendar_free(cal);

    /* Beyond year 9999 there is no answer either. */
    cal = make_cal(PERIODS);
    assert_true(calendar_add_working(cal, t, INT64_MAX) == CAL_ERROR);
    assert_true(calendar_add_working_days(cal, t, 2000000000) == CAL_ERROR);
    assert_true(calendar_add_working(cal, INT64_MAX, H) == CAL_ERROR);
    assert_true(calendar_working_between(cal, INT64_MIN, t) == CAL_ERROR);
    calendar_free(cal);

    /* Round the clock: the last instant is 9999-12-31T23:59:59 local; a
     * deadline at 24:00 of that day (10000-01-01) has no answer. */
    cal = make_cal("00:00-24:00");
    assert_int_equal(calendar_set_weekdays(cal, CAL_ALL_DAYS, NULL), WG_OK);
    int64_t late = 0;
    assert_true(calendar_parse_iso(S("9999-12-31T12:00:00+08:00"), OFF_CN, &late, NULL));
    assert_true(calendar_add_working(cal, late, 12 * H - 1) == late + 12 * H - 1);
    assert_true(calendar_add_working(cal, late, 12 * H) == CAL_ERROR);
    assert_true(calendar_add_working_days(cal, late, 1) == CAL_ERROR);
    calendar_free(cal);
}

static void test_large_spans(void **state)
{
    (void)state;
    calendar *cal = make_cal(PERIODS);
    /* From Monday 2024-03-04 08:30, 26000 working days = 5200 weeks of five:
     * the 26000th day is the Friday of the 5200th week, day 5199 * 7 + 4
     * after the start, and the whole of it is used: due at 18:00. */
    int64_t s = lt(2024, 3, 4, 8, 30);
    int64_t day0 = naive_days(2024, 3, 4);
    int64_t want = (day0 + 5199 * 7 + 4) * 86400 + 18 * H - 8 * H;
    assert_true(calendar_add_working(cal, s, 26000 * (int64_t)W) == want);
    assert_true(calendar_working_between(cal, s, want) == 26000 * (int64_t)W);
    /* The same through working days: the 26000th working day after Monday
     * is a Monday (5200 weeks later), 08:30 stays 08:30. */
    assert_true(calendar_add_working_days(cal, s, 26000) == s + (int64_t)5200 * 7 * 86400);

    /* With a few thousand holidays: every weekday of 2030..2039 off, so
     * 1 h from 2029-12-31 18:00 (Monday) lands on 2040-01-02 09:30. */
    char date[16];
    int64_t from = calendar_days_from_civil(2030, 1, 1), to = calendar_days_from_civil(2040, 1, 1);
    for (int64_t z = from; z < to; z++) {
        int y, m, d;
        calendar_civil_from_days(z, &y, &m, &d);
        if (calendar_weekday(z) == 0 || calendar_weekday(z) == 6)
            continue;
        snprintf(date, sizeof(date), "%04d-%02d-%02d", y, m, d);
        assert_int_equal(calendar_set_day(cal, date, CAL_HOLIDAY, NULL), WG_OK);
    }
    assert_true(calendar_day_count(cal) > 2500);
    /* 2040-01-01 is a Sunday; Monday 01-02 is the first working day. */
    assert_true(calendar_add_working(cal, lt(2029, 12, 31, 18, 0), H) == lt(2040, 1, 2, 9, 30));
    assert_true(calendar_working_between(cal, lt(2029, 12, 31, 18, 0), lt(2040, 1, 2, 9, 30)) == H);
    calendar_free(cal);
}

static void test_overrides(void **state)
{
    (void)state;
    calendar *cal = make_cal(PERIODS);
    wg_why why = {0};
    assert_int_equal(calendar_set_day(cal, "2023-02-29", CAL_HOLIDAY, &why), WG_ERR_INVALID);
    assert_string_equal(why.field, "date");
    assert_int_equal(calendar_set_day(cal, "2024-10-1", CAL_HOLIDAY, &why), WG_ERR_INVALID);
    assert_int_equal(calendar_set_day(cal, "2024-10-01 ", CAL_HOLIDAY, &why), WG_ERR_INVALID);
    assert_int_equal(calendar_set_day(cal, "0000-10-01", CAL_HOLIDAY, &why), WG_ERR_INVALID);
    assert_int_equal(calendar_set_day(cal, NULL, CAL_HOLIDAY, &why), WG_ERR_INVALID);
    assert_int_equal(calendar_set_day(cal, "2024-10-01", (cal_day)7, &why), WG_ERR_INVALID);
    assert_int_equal(calendar_day_count(cal), 0);
    /* Set, replace, clear; clearing an absent date is fine. */
    assert_int_equal(calendar_set_day(cal, "2024-10-01", CAL_HOLIDAY, &why), WG_OK);
    assert_int_equal(calendar_set_day(cal, "2024-10-01", CAL_WORKDAY, &why), WG_OK);
    assert_int_equal(calendar_day_count(cal), 1);
    assert_int_equal(calendar_get_day(cal, 2024, 10, 1), CAL_WORKDAY);
    assert_int_equal(calendar_clear_day(cal, "2024-10-01", &why), WG_OK);
    assert_int_equal(calendar_clear_day(cal, "2024-10-01", &why), WG_OK);
    assert_int_equal(calendar_day_count(cal), 0);
    assert_true(calendar_is_workday(cal, 2024, 10, 1));

    /* Random sets and clears in any order against a reference table. */
    enum { SPAN = 4000 };
    static cal_day ref[SPAN];
    memset(ref, 0, sizeof(ref));
    int64_t base = calendar_days_from_civil(2025, 1, 1);
    char date[16];
    rng_state = 42;
    for (int i = 0; i < 6000; i++) {
        int64_t off = rnd_range(0, SPAN - 1);
        cal_day k = (cal_day)(rnd() % 3);
        int y, m, d;
        calendar_civil_from_days(base + off, &y, &m, &d);
        snprintf(date, sizeof(date), "%04d-%02d-%02d", y, m, d);
        assert_int_equal(calendar_set_day(cal, date, k, NULL), WG_OK);
        ref[off] = k;
    }
    size_t want = 0;
    for (int64_t off = 0; off < SPAN; off++) {
        int y, m, d;
        calendar_civil_from_days(base + off, &y, &m, &d);
        int wd = calendar_weekday(base + off);
        bool work = ref[off] == CAL_WORKDAY || (ref[off] == CAL_DEFAULT && wd >= 1 && wd <= 5);
        assert_int_equal(calendar_get_day(cal, y, m, d), ref[off]);
        assert_int_equal(calendar_is_workday(cal, y, m, d), work);
        want += ref[off] != CAL_DEFAULT;
    }
    assert_int_equal(calendar_day_count(cal), want);

    /* The cap: CAL_MAX_DAYS distinct dates fit, one more does not, but
     * replacing an existing one still works. */
    calendar_clear_days(cal);
    assert_int_equal(calendar_day_count(cal), 0);
    for (int64_t i = 0; i < CAL_MAX_DAYS; i++) {
        int y, m, d;
        calendar_civil_from_days(i, &y, &m, &d);
        snprintf(date, sizeof(date), "%04d-%02d-%02d", y, m, d);
        assert_int_equal(calendar_set_day(cal, date, CAL_HOLIDAY, NULL), WG_OK);
    }
    assert_int_equal(calendar_day_count(cal), CAL_MAX_DAYS);
    assert_int_equal(calendar_set_day(cal, "2099-01-01", CAL_HOLIDAY, &why), WG_ERR_INVALID);
    assert_non_null(strstr(why.msg, "10000"));
    assert_int_equal(calendar_set_day(cal, "1970-01-01", CAL_WORKDAY, &why), WG_OK);
    assert_int_equal(calendar_get_day(cal, 1970, 1, 1), CAL_WORKDAY);
    calendar_free(cal);
}

static void test_days_roundtrip(void **state)
{
    (void)state;
    /* Walk every day from 1970-01-01 to 2100-12-31 with a plain counter
     * and compare both directions and the weekday (Thursday = 4 first). */
    int y = 1970, m = 1, d = 1, wd = 4;
    int64_t z = 0;
    for (;;) {
        int cy, cm, cd;
        assert_true(calendar_date_valid(y, m, d));
        assert_true(calendar_days_from_civil(y, m, d) == z);
        calendar_civil_from_days(z, &cy, &cm, &cd);
        assert_int_equal(cy, y);
        assert_int_equal(cm, m);
        assert_int_equal(cd, d);
        assert_int_equal(calendar_weekday(z), wd);
        if (y == 2100 && m == 12 && d == 31)
            break;
        z++;
        wd = (wd + 1) % 7;
        if (++d > month_days(y, m)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    assert_true(z == 47846); /* python: (date(2100,12,31) - date(1970,1,1)).days */
    /* Fixed points outside the walk (python's datetime). */
    assert_true(calendar_days_from_civil(1969, 12, 31) == -1);
    assert_int_equal(calendar_weekday(-1), 3);
    assert_true(calendar_days_from_civil(1, 1, 1) == -719162);
    assert_int_equal(calendar_weekday(-719162), 1);
    assert_true(calendar_days_from_civil(9999, 12, 31) == 2932896);
    assert_true(calendar_days_from_civil(1600, 2, 29) == -135081);
    assert_true(calendar_days_from_civil(2000, 3, 1) == 11017);
    calendar_civil_from_days(-135081, &y, &m, &d);
    assert_true(y == 1600 && m == 2 && d == 29);
    assert_false(calendar_date_valid(1900, 2, 29));
    assert_true(calendar_date_valid(2000, 2, 29));
    assert_false(calendar_date_valid(2024, 4, 31));
    assert_false(calendar_date_valid(2024, 0, 1));
    assert_false(calendar_date_valid(2024, 13, 1));
    assert_false(calendar_date_valid(2024, 1, 0));

    int64_t day = 5;
    assert_true(calendar_parse_date(S("2024-10-08"), &day));
    assert_true(day == naive_days(2024, 10, 8));
    day = 5;
    assert_false(calendar_parse_date(S("2024-10-08T"), &day));
    assert_false(calendar_parse_date(S("2024-02-30"), &day));
    assert_false(calendar_parse_date(S("20241008"), &day));
    assert_true(day == 5);
}

static void test_iso_format(void **state)
{
    (void)state;
    char buf[CAL_ISO_CAP];
    int64_t t = lt(2024, 10, 8, 12, 0); /* 1728360000 */
    assert_true(calendar_format_iso(t, OFF_CN, buf, sizeof(buf)));
    assert_string_equal(buf, "2024-10-08T12:00:00+08:00");
    assert_true(calendar_format_iso(t, 0, buf, sizeof(buf)));
    assert_string_equal(buf, "2024-10-08T04:00:00+00:00");
    assert_true(calendar_format_iso(t, -300, buf, sizeof(buf)));
    assert_string_equal(buf, "2024-10-07T23:00:00-05:00");
    assert_true(calendar_format_iso(t + 59 * 60 + 59, 330, buf, sizeof(buf)));
    assert_string_equal(buf, "2024-10-08T10:29:59+05:30");
    assert_true(calendar_format_iso(-1, 0, buf, sizeof(buf)));
    assert_string_equal(buf, "1969-12-31T23:59:59+00:00");
    assert_false(calendar_format_iso(t, OFF_CN, buf, CAL_ISO_CAP - 1));
    assert_string_equal(buf, "");
    assert_false(calendar_format_iso(t, 1440, buf, sizeof(buf)));
    assert_false(calendar_format_iso(INT64_MAX, 0, buf, sizeof(buf)));
    assert_false(calendar_format_iso(253402300800, 0, buf, sizeof(buf))); /* 10000-01-01Z */
    assert_true(calendar_format_iso(253402300799, 0, buf, sizeof(buf)));
    assert_string_equal(buf, "9999-12-31T23:59:59+00:00");
}

static void test_iso_parse(void **state)
{
    (void)state;
    int64_t t = 0;
    const int64_t noon = 1728360000; /* 2024-10-08T12:00:00+08:00 */
    assert_true(calendar_parse_iso(S("2024-10-08T12:00:00+08:00"), 0, &t, NULL));
    assert_true(t == noon);
    assert_true(calendar_parse_iso(S("2024-10-08T04:00:00Z"), OFF_CN, &t, NULL));
    assert_true(t == noon);
    assert_true(calendar_parse_iso(S("2024-10-08t04:00:00z"), OFF_CN, &t, NULL));
    assert_true(t == noon);
    assert_true(calendar_parse_iso(S("2024-10-07T23:00:00-05:00"), OFF_CN, &t, NULL));
    assert_true(t == noon);
    assert_true(calendar_parse_iso(S("2024-10-08T04:00:00.999Z"), OFF_CN, &t, NULL));
    assert_true(t == noon); /* fraction dropped */
    assert_true(calendar_parse_iso(S("2024-10-08T12:00:00-00:00"), 0, &t, NULL));
    assert_true(t == noon + 8 * H);
    /* A date alone is local midnight: 2024-10-08T00:00+08:00. */
    assert_true(calendar_parse_iso(S("2024-10-08"), OFF_CN, &t, NULL));
    assert_true(t == lt(2024, 10, 8, 0, 0));
    assert_true(calendar_parse_iso(S("2024-02-29"), OFF_CN, &t, NULL));
    assert_true(t == lt(2024, 2, 29, 0, 0));

    static const char *const bad[] = {
        "2023-02-29", /* not a leap year */
        "2023-02-29T10:00:00+08:00",
        "2024-10-08T25:00:00+08:00", /* hour */
        "2024-10-08T24:00:00+08:00",
        "2024-10-08T12:60:00+08:00",
        "2024-10-08T12:00:60+08:00",
        "2024-10-08T12:00:00", /* no offset on a time */
        "2024-10-08T12:00",
        "2024-10-08T12:00:00+8:00",
        "2024-10-08T12:00:00+0800",
        "2024-10-08T12:00:00+24:00",
        "2024-10-08T12:00:00+08:60",
        "2024-10-08T12:00:00.Z",
        "2024-10-08T12:00:00.1234567890Z",
        "2024-10-08T12:00:00Z ",
        "2024-10-08 12:00:00+08:00",
        " 2024-10-08",
        "2024-10-8",
        "2024-13-01",
        "2024-00-10",
        "0000-01-01",
        "24-10-08",
        "garbage",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wg_why why = {0};
        t = 77;
        if (calendar_parse_iso(S(bad[i]), OFF_CN, &t, &why))
            fail_msg("accepted \"%s\"", bad[i]);
        assert_true(t == 77);
        assert_true(why.msg[0] != '\0');
    }
    wg_why why = {0};
    assert_false(calendar_parse_iso(S("2024-10-08T12:00:00"), OFF_CN, &t, &why));
    assert_non_null(strstr(why.msg, "offset"));
    assert_false(calendar_parse_iso(NULL, 0, OFF_CN, &t, NULL));
    /* len is honoured: a valid prefix of a longer buffer. */
    assert_true(calendar_parse_iso("2024-10-08XYZ", 10, OFF_CN, &t, NULL));
    assert_true(t == lt(2024, 10, 8, 0, 0));
}

static void test_iso_roundtrip(void **state)
{
    (void)state;
    static const int offs[] = {480, 0, -300, 330, 840, -720};
    char buf[CAL_ISO_CAP];
    rng_state = 7;
    for (int i = 0; i < 10000; i++) {
        int64_t t = rnd_range(-62135596800 + 86400, 253402300799 - 86400);
        int off = offs[i % 6];
        int64_t back = 0;
        assert_true(calendar_format_iso(t, off, buf, sizeof(buf)));
        assert_int_equal(strlen(buf), 25);
        if (!calendar_parse_iso(buf, strlen(buf), 0, &back, NULL) || back != t)
            fail_msg("%s does not parse back to %lld", buf, (long long)t);
    }
}

/* add_working and working_between are inverses, add_working gives the
 * earliest such instant, and both agree with the reference. */
static void test_property_inverse(void **state)
{
    (void)state;
    calendar *cal = make_nd_cal();
    int64_t lo = lt(2024, 9, 15, 0, 0), hi = lt(2024, 10, 25, 0, 0);
    rng_state = 12345;
    for (int i = 0; i < 10000; i++) {
        int64_t start = rnd_instant(lo, hi);
        int64_t secs = (rnd() % 4) ? rnd_range(0, 12 * (int64_t)W)
                                   : rnd_range(0, 24) * 30 * M; /* on half hours */
        int64_t r = calendar_add_working(cal, start, secs);
        assert_true(r != CAL_ERROR);
        assert_true(r >= start);
        if (calendar_working_between(cal, start, r) != secs || ref_between(start, r) != secs)
            fail_msg("start %lld secs %lld -> %lld: between %lld ref %lld", (long long)start,
                     (long long)secs, (long long)r,
                     (long long)calendar_working_between(cal, start, r),
                     (long long)ref_between(start, r));
        if (secs > 0 && ref_between(start, r - 1) != secs - 1)
            fail_msg("start %lld secs %lld -> %lld is not the earliest", (long long)start,
                     (long long)secs, (long long)r);
    }
    calendar_free(cal);
}

/* working_between against the brute-force reference, both signs. */
static void test_property_between(void **state)
{
    (void)state;
    calendar *cal = make_nd_cal();
    int64_t lo = lt(2024, 9, 20, 0, 0), hi = lt(2024, 10, 20, 0, 0);
    rng_state = 999;
    for (int i = 0; i < 10000; i++) {
        int64_t a = rnd_instant(lo, hi), b = rnd_instant(lo, hi);
        int64_t got = calendar_working_between(cal, a, b), want = ref_between(a, b);
        if (got != want)
            fail_msg("between(%lld, %lld) = %lld, want %lld", (long long)a, (long long)b,
                     (long long)got, (long long)want);
    }
    calendar_free(cal);
}

/* add_working_days: n * W working seconds from start, on the n-th working
 * day after start's day, at a clock time inside the working periods. */
static void test_property_days(void **state)
{
    (void)state;
    calendar *cal = make_nd_cal();
    int64_t lo = lt(2024, 9, 15, 0, 0), hi = lt(2024, 10, 15, 0, 0);
    rng_state = 2024;
    for (int i = 0; i < 10000; i++) {
        int64_t start = rnd_instant(lo, hi);
        int n = (int)rnd_range(1, 15);
        int64_t r = calendar_add_working_days(cal, start, n);
        assert_true(r != CAL_ERROR);
        assert_true(ref_between(start, r) == (int64_t)n * W);
        int64_t day = (start + 8 * H) / 86400;
        for (int k = 0; k < n;)
            k += ref_workday(++day);
        int64_t rday = (r + 8 * H) / 86400, clock = (r + 8 * H) % 86400;
        assert_true(rday == day);
        assert_true((clock >= 8 * H + 30 * M && clock <= 12 * H) ||
                    (clock > 13 * H + 30 * M && clock <= 18 * H));
    }
    calendar_free(cal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_helpers_agree),     cmocka_unit_test(test_friday_to_monday),
        cmocka_unit_test(test_national_day),      cmocka_unit_test(test_makeup_days),
        cmocka_unit_test(test_lunch_and_outside), cmocka_unit_test(test_add_zero),
        cmocka_unit_test(test_add_working_days),  cmocka_unit_test(test_periods_parse),
        cmocka_unit_test(test_new_and_weekdays),  cmocka_unit_test(test_no_working_time),
        cmocka_unit_test(test_large_spans),       cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_days_roundtrip),    cmocka_unit_test(test_iso_format),
        cmocka_unit_test(test_iso_parse),         cmocka_unit_test(test_iso_roundtrip),
        cmocka_unit_test(test_property_inverse),  cmocka_unit_test(test_property_between),
        cmocka_unit_test(test_property_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
