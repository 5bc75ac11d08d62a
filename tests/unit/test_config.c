#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

static char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/wg-test-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* Every default in the table is itself a valid value. */
static void test_defaults(void **state)
{
    (void)state;
    wg_config c;
    config_defaults(&c);
    assert_string_equal(c.listen, "127.0.0.1:8080");
    assert_int_equal(c.max_body, 1024 * 1024);
    assert_true(c.access_log);
    assert_int_equal(c.threads, 0);
}

static void test_find_by_key_or_flag(void **state)
{
    (void)state;
    assert_non_null(config_find("max_body"));
    assert_ptr_equal(config_find("max-body"), config_find("max_body"));
    assert_null(config_find("max"));
    assert_null(config_find("nope"));
}

static void test_set_rejects_with_key_name(void **state)
{
    (void)state;
    wg_config c;
    char err[256];
    config_defaults(&c);
    assert_int_equal(config_set(&c, config_find("threads"), "many", "test", err, sizeof(err)),
                     WG_ERR_CONFIG);
    assert_non_null(strstr(err, "'threads'"));
    assert_int_equal(config_set(&c, config_find("threads"), "999", "test", err, sizeof(err)),
                     WG_ERR_CONFIG);
    assert_int_equal(config_set(&c, config_find("listen"), "nowhere", "t", err, sizeof(err)),
                     WG_ERR_CONFIG);
    assert_non_null(strstr(err, "'listen'"));
    assert_int_equal(config_set(&c, config_find("log_level"), "loud", "t", err, sizeof(err)),
                     WG_ERR_CONFIG);
    assert_int_equal(config_set(&c, config_find("max_body"), "2M", "t", err, sizeof(err)), WG_OK);
    assert_int_equal(c.max_body, 2 * 1024 * 1024);
}

static void test_file(void **state)
{
    (void)state;
    wg_config c;
    char err[512];
    config_defaults(&c);
    char *p = write_tmp("# comment\n\n  threads = 3 \nlisten = \"[::1]:9000\"\naccess_log=off\n");
    assert_int_equal(config_load_file(&c, p, err, sizeof(err)), WG_OK);
    assert_int_equal(c.threads, 3);
    assert_string_equal(c.listen, "[::1]:9000");
    assert_false(c.access_log);
    unlink(p);

    p = write_tmp("threads = 2\nthraeds = 4\n");
    assert_int_equal(config_load_file(&c, p, err, sizeof(err)), WG_ERR_CONFIG);
    assert_non_null(strstr(err, ":2"));
    assert_non_null(strstr(err, "thraeds"));
    unlink(p);

    p = write_tmp("max_body = lots\n");
    assert_int_equal(config_load_file(&c, p, err, sizeof(err)), WG_ERR_CONFIG);
    assert_non_null(strstr(err, "'max_body'"));
    unlink(p);

    p = write_tmp("just words\n");
    assert_int_equal(config_load_file(&c, p, err, sizeof(err)), WG_ERR_CONFIG);
    unlink(p);

    assert_int_equal(config_load_file(&c, "/nonexistent/wangge.conf", err, sizeof(err)),
                     WG_ERR_CONFIG);
    assert_non_null(strstr(err, "/nonexistent/wangge.conf"));
}

static void test_env(void **state)
{
    (void)state;
    wg_config c;
    char err[512];
    config_defaults(&c);
    setenv("WANGGE_THREADS", "5", 1);
    assert_int_equal(config_load_env(&c, err, sizeof(err)), WG_OK);
    assert_int_equal(c.threads, 5);
    setenv("WANGGE_MAX_URI", "1", 1);
    assert_int_equal(config_load_env(&c, err, sizeof(err)), WG_ERR_CONFIG);
    assert_non_null(strstr(err, "WANGGE_MAX_URI"));
    unsetenv("WANGGE_THREADS");
    unsetenv("WANGGE_MAX_URI");
}

/* The example file parses back to the defaults. */
static void test_example_round_trip(void **state)
{
    (void)state;
    char path[] = "/tmp/wg-test-example-XXXXXX";
    int fd = mkstemp(path);
    config_write_example(fd);
    close(fd);
    /* Uncomment the "# key = value" lines. */
    FILE *f = fopen(path, "r");
    char line[512], all[16384] = "";
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "# ", 2) == 0 && strchr(line, '=') && !strchr(line, '.'))
            strncat(all, line + 2, sizeof(all) - strlen(all) - 1);
    fclose(f);
    unlink(path);
    char *p = write_tmp(all);
    wg_config a, b;
    char err[512];
    config_defaults(&a);
    config_defaults(&b);
    assert_int_equal(config_load_file(&a, p, err, sizeof(err)), WG_OK);
    assert_memory_equal(&a, &b, sizeof(a));
    unlink(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_find_by_key_or_flag),
        cmocka_unit_test(test_set_rejects_with_key_name),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_example_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
