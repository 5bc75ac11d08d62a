#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/record.h"

/* A small workflow: draft -> submitted -> approved | draft (sent back);
 * "comment" leaves the state alone. Groups: 1 = clerk, 2 = boss. */
enum { DRAFT, SUBMITTED, APPROVED };
enum { SUBMIT, APPROVE, SEND_BACK, COMMENT };
static const char *const states[] = {"draft", "submitted", "approved"};
static const char *const actions[] = {"submit", "approve", "send_back", "comment"};
static const record_step steps[] = {
    {1u << DRAFT, SUBMIT, SUBMITTED, 1},
    {1u << SUBMITTED, APPROVE, APPROVED, 2},
    {1u << SUBMITTED, SEND_BACK, DRAFT, 2},
    {(1u << DRAFT) | (1u << SUBMITTED), COMMENT, RECORD_SAME, 1 | 2},
};

static record_flow flow(bool forbid)
{
    return (record_flow){.noun = "memo",
                         .states = states,
                         .nstates = 3,
                         .actions = actions,
                         .nactions = 4,
                         .steps = steps,
                         .nsteps = 4,
                         .forbid_by_groups = forbid};
}

static bool no_comments(void *ctx, int action, uint32_t groups)
{
    (void)groups;
    return !(*(bool *)ctx && action == COMMENT);
}

static void test_find_and_allowed(void **state)
{
    (void)state;
    record_flow f = flow(false);
    record_asker clerk = {.groups = 1}, boss = {.groups = 2};
    assert_int_equal(record_state_index(&f, "submitted"), SUBMITTED);
    assert_int_equal(record_state_index(&f, "nope"), -1);
    assert_int_equal(record_action_index(&f, "send_back"), SEND_BACK);
    assert_int_equal(record_step_find(&f, DRAFT, SUBMIT, &clerk), 0);
    assert_int_equal(record_step_find(&f, DRAFT, SUBMIT, &boss), -1);
    assert_int_equal(record_step_find(&f, SUBMITTED, APPROVE, &boss), 1);
    assert_int_equal(record_step_find(&f, -1, APPROVE, &boss), -1);
    assert_int_equal(record_allowed(&f, SUBMITTED, &boss),
                     (1u << APPROVE) | (1u << SEND_BACK) | (1u << COMMENT));
    assert_int_equal(record_allowed(&f, APPROVED, &boss), 0);
    json_t *j = record_allowed_json(&f, record_allowed(&f, DRAFT, &clerk));
    assert_int_equal(json_array_size(j), 2);
    assert_string_equal(json_string_value(json_array_get(j, 0)), "submit");
    assert_string_equal(json_string_value(json_array_get(j, 1)), "comment");
    json_decref(j);
    /* a veto beyond the table */
    bool veto = true;
    record_asker quiet = {.groups = 1, .cond = no_comments, .ctx = &veto};
    assert_int_equal(record_allowed(&f, DRAFT, &quiet), 1u << SUBMIT);
    veto = false;
    assert_int_equal(record_allowed(&f, DRAFT, &quiet), (1u << SUBMIT) | (1u << COMMENT));
}

static void test_refuse(void **state)
{
    (void)state;
    record_asker clerk = {.groups = 1};
    wg_why why = {0};
    /* no step approves a draft: conflict, whatever the flow says of groups */
    record_flow f = flow(true);
    assert_int_equal(record_refuse(&f, DRAFT, APPROVE, &clerk, "草稿", &why), WG_ERR_CONFLICT);
    assert_string_equal(why.field, "action");
    assert_non_null(strstr(why.msg, "'approve' is not allowed on a 草稿 memo for you"));
    assert_non_null(strstr(why.msg, "allowed: submit, comment"));
    /* a step approves a submitted memo, but not for a clerk: forbidden... */
    assert_int_equal(record_refuse(&f, SUBMITTED, APPROVE, &clerk, NULL, &why), WG_ERR_FORBIDDEN);
    assert_non_null(strstr(why.msg, "on a submitted memo"));
    assert_non_null(strstr(why.msg, "allowed: comment"));
    /* ...or a conflict like any other, when the flow says so */
    f = flow(false);
    assert_int_equal(record_refuse(&f, SUBMITTED, APPROVE, &clerk, NULL, &why), WG_ERR_CONFLICT);
    assert_int_equal(record_refuse(&f, APPROVED, COMMENT, &clerk, NULL, &why), WG_ERR_CONFLICT);
    assert_non_null(strstr(why.msg, "allowed: none"));
}

/* 2024-03-01 is a Friday; UTC+8. */
static int64_t local(int d, int h, int mi)
{
    /* days from 1970-01-01 to 2024-03-01: 19783 */
    return (int64_t)(19783 + d - 1) * 86400 + h * 3600 + mi * 60 - 8 * 3600;
}

static void test_due(void **state)
{
    (void)state;
    calendar *cal = NULL;
    wg_why why = {0};
    assert_int_equal(calendar_new(480, &cal, &why), WG_OK);
    assert_int_equal(calendar_set_periods(cal, "08:30-12:00,13:30-18:00", &why), WG_OK);
    /* Friday 17:30 + 4 working hours: 30 min Friday, 3.5 h Monday morning */
    assert_int_equal(record_due(cal, local(1, 17, 30), "4h", 100), local(4, 12, 0));
    /* 30 working minutes from Friday 17:50: Monday 08:50 */
    assert_int_equal(record_due(cal, local(1, 17, 50), "30m", 100), local(4, 8, 50));
    /* 1 working day from Friday 10:00: Monday 10:00 */
    assert_int_equal(record_due(cal, local(1, 10, 0), "1d", 100), local(4, 10, 0));
    /* urgent: a quarter of 4 h is 1 h */
    assert_int_equal(record_due(cal, local(1, 9, 0), "4h", 25), local(1, 10, 0));
    /* malformed limits and no calendar: no deadline */
    assert_int_equal(record_due(cal, local(1, 9, 0), "4x", 100), 0);
    assert_int_equal(record_due(cal, local(1, 9, 0), NULL, 100), 0);
    assert_int_equal(record_due(NULL, local(1, 9, 0), "4h", 100), 0);
    calendar_free(cal);
}

static void test_event_make(void **state)
{
    (void)state;
    store_event ev;
    json_t *data = json_pack("{s:s}", "department", "chengguan");
    char note[1500];
    memset(note, 0, sizeof(note));
    for (size_t i = 0; i + 3 < sizeof(note) - 1; i += 3)
        memcpy(note + i, "纠", 3); /* 1,497 bytes of three-byte characters */
    record_event_make(&ev, 9, 100, "staff", "dispatch", "filed", "dispatched", note, data);
    assert_int_equal(ev.record_id, 9);
    assert_string_equal(ev.actor, "staff");
    assert_string_equal(ev.to_status, "dispatched");
    assert_string_equal(ev.data, "{\"department\":\"chengguan\"}");
    assert_true(strlen(ev.note) < sizeof(ev.note) &&
                strlen(ev.note) % 3 == 0); /* whole characters */
    json_decref(data);
    /* data too large for the row: left out */
    json_t *big = json_object();
    json_object_set_new(big, "x", json_string(note));
    json_object_set_new(big, "y", json_string(note));
    json_object_set_new(big, "z", json_string(note));
    record_event_make(&ev, 9, 100, NULL, "edit", NULL, "x", NULL, big);
    assert_string_equal(ev.data, "");
    assert_string_equal(ev.actor, "-");
    assert_string_equal(ev.note, "");
    json_decref(big);
}

static void test_event_json(void **state)
{
    (void)state;
    store_event ev = {.id = 7, .record_id = 3, .at = local(1, 9, 5)};
    strcpy(ev.actor, "member");
    strcpy(ev.action, "report");
    strcpy(ev.to_status, "reported");
    strcpy(ev.note, "井盖破损");
    strcpy(ev.data, "{\"attachments\":[\"ab\"]}");
    json_t *j = record_event_json(&ev, 480);
    assert_int_equal(json_integer_value(json_object_get(j, "id")), 7);
    assert_string_equal(json_string_value(json_object_get(j, "at")), "2024-03-01T09:05:00+08:00");
    assert_string_equal(json_string_value(json_object_get(j, "from")), "");
    assert_string_equal(json_string_value(json_object_get(j, "note")), "井盖破损");
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(json_object_get(j, "data"), "attachments"), 0)),
                        "ab");
    json_decref(j);
    strcpy(ev.data, "not json");
    j = record_event_json(&ev, 480);
    assert_true(json_is_object(json_object_get(j, "data")));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_and_allowed),
        cmocka_unit_test(test_refuse),
        cmocka_unit_test(test_due),
        cmocka_unit_test(test_event_make),
        cmocka_unit_test(test_event_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
