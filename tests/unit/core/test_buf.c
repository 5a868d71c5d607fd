/*
 * Unit tests for core/buf.c: growth, printf, the sticky error under
 * injected allocation failures, detach and reset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"

static int reset_injection(void **state)
{
    (void)state;
    delta_alloc_fail_after(0);
    return 0;
}

static void assert_invariants(const dbuf *b)
{
    if (b->data) {
        assert_true(b->len < b->cap);
        assert_int_equal(b->data[b->len], 0);
    } else {
        assert_int_equal(b->len, 0);
    }
}

static void test_empty(void **state)
{
    (void)state;
    dbuf b = DBUF_INIT;
    assert_string_equal(dbuf_cstr(&b), "");
    assert_int_equal(b.len, 0);
    dbuf_free(&b);
    dbuf_free(&b); /* freeing twice is harmless */
}

static void test_growth(void **state)
{
    (void)state;
    dbuf b = DBUF_INIT;
    /* Append byte by byte and in runs across many reallocations. */
    for (int i = 0; i < 100000; i++) {
        assert_int_equal(dbuf_putc(&b, (uint8_t)('a' + i % 26)), 0);
        if (i % 9973 == 0)
            assert_invariants(&b);
    }
    assert_int_equal(b.len, 100000);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(b.data[i], 'a' + i % 26);
    assert_invariants(&b);

    char chunk[777];
    memset(chunk, 'z', sizeof chunk);
    for (int i = 0; i < 100; i++)
        assert_int_equal(dbuf_append(&b, chunk, sizeof chunk), 0);
    assert_int_equal(b.len, 100000 + 100 * sizeof chunk);
    assert_int_equal(b.data[b.len - 1], 'z');
    assert_invariants(&b);

    /* Appending nothing changes nothing. */
    size_t len = b.len;
    assert_int_equal(dbuf_append(&b, NULL, 0), 0);
    assert_int_equal(b.len, len);
    dbuf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.cap, 0);
}

static void test_puts_printf(void **state)
{
    (void)state;
    dbuf b = DBUF_INIT;
    dbuf_puts(&b, "{\"a\":");
    dbuf_printf(&b, "%d}", 42);
    assert_int_equal(b.err, 0);
    assert_string_equal(dbuf_cstr(&b), "{\"a\":42}");

    /* A formatted piece much longer than the current capacity. */
    char big[5000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(dbuf_printf(&b, "[%s|%05d]", big, 7), 0);
    assert_int_equal(b.len, 8 + 1 + 4999 + 7);
    assert_memory_equal(b.data + b.len - 7, "|00007]", 7);
    assert_invariants(&b);

    dbuf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(dbuf_cstr(&b), "");
    dbuf_printf(&b, "%s-%u", "x", 5u);
    assert_string_equal(dbuf_cstr(&b), "x-5");
    dbuf_free(&b);
}

static void test_grow_zeroes(void **state)
{
    (void)state;
    dbuf b = DBUF_INIT;
    dbuf_puts(&b, "ab");
    uint8_t *p = dbuf_grow(&b, 300);
    assert_non_null(p);
    assert_ptr_equal(p, b.data + 2);
    for (int i = 0; i < 300; i++)
        assert_int_equal(p[i], 0);
    assert_int_equal(b.len, 302);
    p[0] = 'c';
    assert_memory_equal(b.data, "abc", 3);
    assert_invariants(&b);
    dbuf_free(&b);
}

static void test_detach(void **state)
{
    (void)state;
    dbuf b = DBUF_INIT;
    dbuf_puts(&b, "hello");
    size_t len = 0;
    char *s = dbuf_detach(&b, &len);
    assert_non_null(s);
    assert_int_equal(len, 5);
    assert_string_equal(s, "hello");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    delta_free(s);

    /* An empty buffer detaches as an allocated "". */
    dbuf e = DBUF_INIT;
    len = 99;
    s = dbuf_detach(&e, &len);
    assert_non_null(s);
    assert_int_equal(len, 0);
    assert_string_equal(s, "");
    delta_free(s);

    /* The buffer is reusable after detach. */
    dbuf_puts(&b, "again");
    assert_string_equal(dbuf_cstr(&b), "again");
    s = dbuf_detach(&b, NULL);
    assert_string_equal(s, "again");
    delta_free(s);
}

static void test_sticky_error(void **state)
{
    (void)state;
    dbuf b = DBUF_INIT;
    dbuf_puts(&b, "keep");
    char big[1000];
    memset(big, 'x', sizeof big);

    delta_alloc_fail_after(1);
    assert_int_equal(dbuf_append(&b, big, sizeof big), DELTA_ENOMEM);
    assert_int_equal(b.err, DELTA_ENOMEM);
    delta_alloc_fail_after(0);

    /* Once set, every write is a no-op returning the error, even when
     * memory would be available again. */
    assert_int_equal(dbuf_puts(&b, "y"), DELTA_ENOMEM);
    assert_int_equal(dbuf_printf(&b, "%d", 5), DELTA_ENOMEM);
    assert_int_equal(dbuf_putc(&b, 'z'), DELTA_ENOMEM);
    assert_null(dbuf_grow(&b, 1));
    assert_int_equal(b.len, 4);
    assert_string_equal(dbuf_cstr(&b), "keep"); /* earlier data intact */
    assert_null(dbuf_detach(&b, NULL));

    /* reset clears the error and keeps the memory. */
    dbuf_reset(&b);
    assert_int_equal(b.err, 0);
    assert_int_equal(dbuf_puts(&b, "ok"), 0);
    assert_string_equal(dbuf_cstr(&b), "ok");
    dbuf_free(&b);
}

static void test_reserve_overflow(void **state)
{
    (void)state;
    dbuf b = DBUF_INIT;
    dbuf_puts(&b, "abc");
    assert_int_equal(dbuf_reserve(&b, SIZE_MAX), DELTA_ENOMEM);
    assert_int_equal(b.err, DELTA_ENOMEM);
    assert_null(dbuf_grow(&b, SIZE_MAX - 1));
    dbuf_free(&b);
}

/* Fails allocation n for every n until a build completes: each run must
 * end with either the exact expected text or the sticky ENOMEM, never a
 * partial success, and frees cleanly (leak checking catches the rest). */
static void test_oom_sweep(void **state)
{
    (void)state;
    dbuf want = DBUF_INIT;
    for (int i = 0; i < 300; i++)
        dbuf_printf(&want, "item %d;", i);
    assert_int_equal(want.err, 0);

    int completed = 0;
    for (long n = 1; n < 100 && !completed; n++) {
        dbuf b = DBUF_INIT;
        delta_alloc_fail_after(n);
        for (int i = 0; i < 300; i++)
            dbuf_printf(&b, "item %d;", i);
        delta_alloc_fail_after(0);
        if (b.err) {
            assert_int_equal(b.err, DELTA_ENOMEM);
        } else {
            assert_int_equal(b.len, want.len);
            assert_memory_equal(b.data, want.data, want.len);
            completed = 1;
        }
        dbuf_free(&b);
    }
    assert_true(completed);
    dbuf_free(&want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_empty, reset_injection),
        cmocka_unit_test_teardown(test_growth, reset_injection),
        cmocka_unit_test_teardown(test_puts_printf, reset_injection),
        cmocka_unit_test_teardown(test_grow_zeroes, reset_injection),
        cmocka_unit_test_teardown(test_detach, reset_injection),
        cmocka_unit_test_teardown(test_sticky_error, reset_injection),
        cmocka_unit_test_teardown(test_reserve_overflow, reset_injection),
        cmocka_unit_test_teardown(test_oom_sweep, reset_injection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
