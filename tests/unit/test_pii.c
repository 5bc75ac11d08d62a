#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/pii.h"

#define TODAY 20240515

/* Build an ID from its first 17 digits, computing the check character
 * independently of the module under test. */
static void make_id(const char *first17, char out[19])
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (first17[i] - '0') * w[i];
    memcpy(out, first17, 17);
    out[17] = "10X98765432"[sum % 11];
    out[18] = '\0';
}

static void test_id_valid_examples(void **state)
{
    (void)state;
    char out[19];
    const char *why = NULL;
    assert_true(pii_id_number_valid("11010519491231002X", out, &why));
    assert_string_equal(out, "11010519491231002X");
    assert_true(pii_id_number_valid("440524188001010014", out, &why));
    assert_string_equal(out, "440524188001010014");
    assert_true(pii_id_number_valid_at("440524188001010014", TODAY, NULL, NULL));
}

static void test_id_lowercase_x(void **state)
{
    (void)state;
    char out[19];
    assert_true(pii_id_number_valid_at("11010519491231002x", TODAY, out, NULL));
    assert_string_equal(out, "11010519491231002X");
}

static void test_id_bad_check_digit(void **state)
{
    (void)state;
    char out[19] = "untouched";
    const char *why = NULL;
    assert_false(pii_id_number_valid_at("110105194912310021", TODAY, out, &why));
    assert_string_equal(why, "bad check digit");
    assert_string_equal(out, "untouched");
    assert_false(pii_id_number_valid_at("440524188001010015", TODAY, out, &why));
    assert_string_equal(why, "bad check digit");
}

static void test_id_wrong_length(void **state)
{
    (void)state;
    const char *why = NULL;
    assert_false(pii_id_number_valid_at("11010519491231002", TODAY, NULL, &why));
    assert_string_equal(why, "must be 18 characters");
    assert_false(pii_id_number_valid_at("11010519491231002X1", TODAY, NULL, &why));
    assert_string_equal(why, "must be 18 characters");
    assert_false(pii_id_number_valid_at("", TODAY, NULL, &why));
    assert_string_equal(why, "must be 18 characters");
    assert_false(pii_id_number_valid_at(NULL, TODAY, NULL, &why));
    assert_non_null(why);
}

static void test_id_non_digits(void **state)
{
    (void)state;
    const char *why = NULL;
    assert_false(pii_id_number_valid_at("1101051949123100XX", TODAY, NULL, &why));
    assert_string_equal(why, "the first 17 characters must be digits");
    assert_false(pii_id_number_valid_at("11010519491231002Y", TODAY, NULL, &why));
    assert_string_equal(why, "the last character must be a digit or X");
    assert_false(pii_id_number_valid_at("1101051949 231002X", TODAY, NULL, &why));
    assert_false(pii_id_number_valid_at("-11010519491231002", TODAY, NULL, &why));
}

static void test_id_dates(void **state)
{
    (void)state;
    char id[19];
    const char *why = NULL;

    make_id("11010520000229123", id); /* 2000: divisible by 400, leap */
    assert_true(pii_id_number_valid_at(id, TODAY, NULL, &why));
    make_id("11010520040229123", id);
    assert_true(pii_id_number_valid_at(id, TODAY, NULL, &why));
    make_id("11010520230229123", id);
    assert_false(pii_id_number_valid_at(id, TODAY, NULL, &why));
    assert_string_equal(why, "birth date is not a real date");
    make_id("11010519000229123", id); /* 1900: divisible by 100, not leap */
    assert_false(pii_id_number_valid_at(id, TODAY, NULL, &why));
    assert_string_equal(why, "birth date is not a real date");
    make_id("11010519900431123", id);
    assert_false(pii_id_number_valid_at(id, TODAY, NULL, &why));
    make_id("11010519901301123", id);
    assert_false(pii_id_number_valid_at(id, TODAY, NULL, &why));
    make_id("11010519900100123", id);
    assert_false(pii_id_number_valid_at(id, TODAY, NULL, &why));
    make_id("11010517991231123", id);
    assert_false(pii_id_number_valid_at(id, TODAY, NULL, &why));
    assert_string_equal(why, "birth year is before 1800");
}

static void test_id_future(void **state)
{
    (void)state;
    char id[19];
    const char *why = NULL;
    make_id("41010220240515123", id);
    assert_true(pii_id_number_valid_at(id, 20240515, NULL, &why)); /* born today */
    assert_false(pii_id_number_valid_at(id, 20240514, NULL, &why));
    assert_string_equal(why, "birth date is in the future");
    make_id("41010299991231123", id);
    assert_false(pii_id_number_valid(id, NULL, &why));
    assert_string_equal(why, "birth date is in the future");
}

static void test_mask_id(void **state)
{
    (void)state;
    char id[19], out[19];
    /* 410106 happens to give check character X for this date and sequence. */
    make_id("41010619900101123", id);
    assert_string_equal(id, "41010619900101123X");
    assert_true(pii_id_number_valid_at(id, TODAY, NULL, NULL));
    pii_mask_id_number(id, out);
    assert_string_equal(out, "4101**********123X");
    pii_mask_id_number("41010619900101123x", out);
    assert_string_equal(out, "4101**********123X");
    pii_mask_id_number("short", out);
    assert_string_equal(out, "******************");
    pii_mask_id_number(NULL, out);
    assert_string_equal(out, "******************");
}

static void phone_ok(const char *in, const char *want)
{
    char out[PII_PHONE_CAP];
    const char *why = NULL;
    bool ok = pii_phone_valid(in, out, sizeof(out), &why);
    if (!ok)
        fail_msg("'%s' rejected: %s", in, why);
    assert_string_equal(out, want);
}

static void phone_bad(const char *in)
{
    char out[PII_PHONE_CAP] = "untouched";
    const char *why = NULL;
    if (pii_phone_valid(in, out, sizeof(out), &why))
        fail_msg("'%s' accepted as '%s'", in ? in : "(null)", out);
    assert_non_null(why);
    assert_string_equal(out, "untouched");
}

static void test_phone_valid(void **state)
{
    (void)state;
    phone_ok("13812345678", "13812345678");
    phone_ok("19912345678", "19912345678");
    phone_ok("+8613812345678", "13812345678");
    phone_ok("+86 13812345678", "13812345678");
    phone_ok("+86-13812345678", "13812345678");
    phone_ok("8613812345678", "13812345678");
    phone_ok("86 13812345678", "13812345678");
    phone_ok("0371-67181234", "037167181234");
    phone_ok("037167181234", "037167181234");
    phone_ok("010-12345678", "01012345678");
    phone_ok("0371-6718123", "03716718123");
    phone_ok("0101234567", "0101234567");
    /* Spaces and dashes are separators people type; they are dropped. */
    phone_ok("138-1234-5678", "13812345678");
    phone_ok("138 1234 5678", "13812345678");
    phone_ok(" 13812345678 ", "13812345678");
    phone_ok("+86  138-1234-5678", "13812345678");
    phone_ok("0371 6718 1234", "037167181234");
}

static void test_phone_invalid(void **state)
{
    (void)state;
    phone_bad(NULL);
    phone_bad("");
    phone_bad("12812345678");  /* second digit 2 */
    phone_bad("1381234567");   /* 10 digits */
    phone_bad("138123456789"); /* 12 digits */
    phone_bad("1381234567a");
    phone_bad("+1 2025550123");
    phone_bad("+86");
    phone_bad("+86 0371-67181234");
    phone_bad("0371--67181234");
    phone_bad("0371-671812");    /* 6-digit local number */
    phone_bad("0371-671812345"); /* 9-digit local number */
    phone_bad("03712-67181234"); /* area code too long */
    phone_bad("037167181");      /* 9 digits */
    phone_bad("0371671812345");  /* 13 digits */
    phone_bad("67181234");       /* no area code */
    phone_bad("hello");

    char small[11];
    const char *why = NULL;
    assert_false(pii_phone_valid("13812345678", small, sizeof(small), &why));
    assert_non_null(why);
    char exact[12];
    assert_true(pii_phone_valid("+86 13812345678", exact, sizeof(exact), &why));
    assert_string_equal(exact, "13812345678");
}

static void test_mask_phone(void **state)
{
    (void)state;
    char out[PII_PHONE_CAP];
    pii_mask_phone("13812345678", out, sizeof(out));
    assert_string_equal(out, "138****5678");
    pii_mask_phone("037167181234", out, sizeof(out));
    assert_string_equal(out, "0371******34");
    pii_mask_phone("01012345678", out, sizeof(out)); /* 11 digits, not mobile */
    assert_string_equal(out, "0101*****78");
    pii_mask_phone("1234567", out, sizeof(out));
    assert_string_equal(out, "1234*67");
    pii_mask_phone("123456", out, sizeof(out));
    assert_string_equal(out, "******");
    pii_mask_phone("", out, sizeof(out));
    assert_string_equal(out, "");
    pii_mask_phone(NULL, out, sizeof(out));
    assert_string_equal(out, "");

    char tiny[5];
    pii_mask_phone("13812345678", tiny, sizeof(tiny));
    assert_string_equal(tiny, "138*");
    pii_mask_phone("13812345678", tiny, 0); /* must not write */
    assert_string_equal(tiny, "138*");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_valid_examples),  cmocka_unit_test(test_id_lowercase_x),
        cmocka_unit_test(test_id_bad_check_digit), cmocka_unit_test(test_id_wrong_length),
        cmocka_unit_test(test_id_non_digits),      cmocka_unit_test(test_id_dates),
        cmocka_unit_test(test_id_future),          cmocka_unit_test(test_mask_id),
        cmocka_unit_test(test_phone_valid),        cmocka_unit_test(test_phone_invalid),
        cmocka_unit_test(test_mask_phone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
