/*
 * Unit tests for core/error.c: the thread-local error slot, prefixing,
 * truncation of long messages, code names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"

static void test_set_returns_code_and_message(void **state)
{
    (void)state;
    delta_error_clear();
    assert_int_equal(delta_error_last_code(), 0);
    assert_string_equal(delta_error_last(), "");

    int rc = delta_error_set(DELTA_ECORRUPT, "%s: page length %u exceeds %u", "part-0.parquet", 70u, 64u);
    assert_int_equal(rc, DELTA_ECORRUPT);
    assert_int_equal(delta_error_last_code(), DELTA_ECORRUPT);
    assert_string_equal(delta_error_last(), "part-0.parquet: page length 70 exceeds 64");

    /* A later error replaces the earlier one. */
    delta_error_set(DELTA_EIO, "second");
    assert_int_equal(delta_error_last_code(), DELTA_EIO);
    assert_string_equal(delta_error_last(), "second");

    delta_error_clear();
    assert_int_equal(delta_error_last_code(), 0);
    assert_string_equal(delta_error_last(), "");
}

static void test_prefix(void **state)
{
    (void)state;
    delta_error_set(DELTA_ENOTFOUND, "column 'x' not found");
    int rc = delta_error_prefix(DELTA_EINVAL, "reading %s: ", "t1");
    /* The recorded code wins over the one passed in. */
    assert_int_equal(rc, DELTA_ENOTFOUND);
    assert_int_equal(delta_error_last_code(), DELTA_ENOTFOUND);
    assert_string_equal(delta_error_last(), "reading t1: column 'x' not found");

    delta_error_prefix(DELTA_EINVAL, "table %d: ", 7);
    assert_string_equal(delta_error_last(), "table 7: reading t1: column 'x' not found");

    /* With no error recorded, the code passed in is taken. */
    delta_error_clear();
    rc = delta_error_prefix(DELTA_EIO, "ctx: ");
    assert_int_equal(rc, DELTA_EIO);
    assert_int_equal(delta_error_last_code(), DELTA_EIO);
    assert_string_equal(delta_error_last(), "ctx: ");
}

static void test_long_messages_truncated(void **state)
{
    (void)state;
    char big[4000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';

    delta_error_set(DELTA_EINVAL, "%s", big);
    size_t n = strlen(delta_error_last());
    assert_true(n > 500);
    assert_true(n < sizeof big - 1);
    assert_int_equal(delta_error_last()[0], 'a');

    /* Prefixing a full message keeps the prefix and stays terminated. */
    delta_error_prefix(DELTA_EINVAL, "ctx: ");
    assert_int_equal(strncmp(delta_error_last(), "ctx: aaa", 8), 0);
    assert_int_equal(strlen(delta_error_last()), n);

    /* A prefix longer than the slot is cut, never overflows. */
    memset(big, 'b', sizeof big - 1);
    delta_error_set(DELTA_EIO, "tail");
    delta_error_prefix(DELTA_EIO, "%s", big);
    assert_int_equal(strlen(delta_error_last()), n);
    assert_int_equal(delta_error_last()[0], 'b');
}

static void test_oom(void **state)
{
    (void)state;
    delta_error_clear();
    assert_int_equal(delta_error_oom(), DELTA_ENOMEM);
    assert_int_equal(delta_error_last_code(), DELTA_ENOMEM);
    assert_string_equal(delta_error_last(), "out of memory");
}

static void test_names(void **state)
{
    (void)state;
    static const struct {
        int code;
        const char *name;
    } names[] = {
        {DELTA_OK, "OK"},
        {DELTA_EINVAL, "EINVAL"},
        {DELTA_ENOMEM, "ENOMEM"},
        {DELTA_ENOTFOUND, "ENOTFOUND"},
        {DELTA_EEXIST, "EEXIST"},
        {DELTA_EIO, "EIO"},
        {DELTA_ECORRUPT, "ECORRUPT"},
        {DELTA_EUNSUPPORTED, "EUNSUPPORTED"},
        {DELTA_ECONFLICT, "ECONFLICT"},
        {DELTA_ERANGE, "ERANGE"},
        {DELTA_ETYPE, "ETYPE"},
        {DELTA_ECANCELED, "ECANCELED"},
        {DELTA_EPERM, "EPERM"},
        {DELTA_ENOTIMPL, "ENOTIMPL"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_string_equal(delta_error_name(names[i].code), names[i].name);
    assert_string_equal(delta_error_name(-1000), "EUNKNOWN");
    assert_string_equal(delta_error_name(5), "EUNKNOWN");
}

static void test_version(void **state)
{
    (void)state;
    int a = -1, b = -1, c = -1;
    char extra = 0;
    assert_int_equal(sscanf(delta_version(), "%d.%d.%d%c", &a, &b, &c, &extra), 3);
    assert_true(a >= 0 && b >= 0 && c >= 0);
}

static void *other_thread(void *arg)
{
    (void)arg;
    /* A fresh thread starts with no error, whatever the main thread has. */
    int clean = delta_error_last_code() == 0 && delta_error_last()[0] == '\0';
    delta_error_set(DELTA_ECONFLICT, "from the other thread");
    return clean ? (void *)1 : NULL;
}

static void test_thread_local(void **state)
{
    (void)state;
    delta_error_set(DELTA_EPERM, "main thread");
    pthread_t t;
    void *res = NULL;
    assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
    assert_int_equal(pthread_join(t, &res), 0);
    assert_non_null(res);
    assert_int_equal(delta_error_last_code(), DELTA_EPERM);
    assert_string_equal(delta_error_last(), "main thread");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_returns_code_and_message),
        cmocka_unit_test(test_prefix),
        cmocka_unit_test(test_long_messages_truncated),
        cmocka_unit_test(test_oom),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_thread_local),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
