/*
 * Unit tests for core/threadpool.c: many small tasks, FIFO order on one
 * thread, the first error and its message reaching the waiting thread,
 * reuse after wait, backpressure of the bounded queue, free draining the
 * queue, allocation failures in creation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/threadpool.h"

static int reset_injection(void **state)
{
    (void)state;
    delta_alloc_fail_after(0);
    return 0;
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static atomic_long counter;

static int count_task(void *arg)
{
    (void)arg;
    atomic_fetch_add(&counter, 1);
    return 0;
}

static void test_many_small_tasks(void **state)
{
    (void)state;
    dpool *p = NULL;
    assert_int_equal(dpool_new(&p, 4, 0), 0);
    assert_int_equal(dpool_threads(p), 4);
    atomic_store(&counter, 0);
    for (int i = 0; i < 50000; i++)
        assert_int_equal(dpool_submit(p, count_task, NULL), 0);
    assert_int_equal(dpool_wait(p), 0);
    assert_int_equal(atomic_load(&counter), 50000);
    dpool_free(p);
}

/* Each task writes its slot: with several threads every slot is written
 * exactly once and the results are visible after dpool_wait. */
typedef struct square_job {
    long in, out;
} square_job;

static int square_task(void *arg)
{
    square_job *j = arg;
    j->out = j->in * j->in;
    return 0;
}

static void test_results_visible_after_wait(void **state)
{
    (void)state;
    enum { N = 10000 };
    static square_job jobs[N];
    dpool *p = NULL;
    assert_int_equal(dpool_new(&p, 3, 16), 0);
    for (int round = 0; round < 3; round++) {
        for (long i = 0; i < N; i++) {
            jobs[i].in = i + round;
            jobs[i].out = -1;
            assert_int_equal(dpool_submit(p, square_task, &jobs[i]), 0);
        }
        assert_int_equal(dpool_wait(p), 0);
        for (long i = 0; i < N; i++)
            assert_int_equal(jobs[i].out, (i + round) * (i + round));
    }
    dpool_free(p);
}

static int order[1000];
static int order_len;

static int order_task(void *arg)
{
    order[order_len++] = (int)(intptr_t)arg; /* one thread: no race */
    return 0;
}

static void test_single_thread_fifo(void **state)
{
    (void)state;
    dpool *p = NULL;
    assert_int_equal(dpool_new(&p, 1, 3), 0);
    assert_int_equal(dpool_threads(p), 1);
    order_len = 0;
    for (int i = 0; i < 1000; i++)
        assert_int_equal(dpool_submit(p, order_task, (void *)(intptr_t)i), 0);
    assert_int_equal(dpool_wait(p), 0);
    assert_int_equal(order_len, 1000);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(order[i], i);
    dpool_free(p);
}

/* Task i fails when i % 10 == 7, with a message naming i. */
static int failing_task(void *arg)
{
    int i = (int)(intptr_t)arg;
    atomic_fetch_add(&counter, 1);
    if (i % 10 == 7)
        return delta_error_set(i % 20 == 7 ? DELTA_ECORRUPT : DELTA_EIO, "task %d failed", i);
    /* A successful task may leave an old message behind: it must not leak
     * into the pool's error. */
    delta_error_set(DELTA_EINVAL, "noise from task %d", i);
    return 0;
}

static void test_first_error_single_thread(void **state)
{
    (void)state;
    dpool *p = NULL;
    assert_int_equal(dpool_new(&p, 1, 0), 0);
    atomic_store(&counter, 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(dpool_submit(p, failing_task, (void *)(intptr_t)i), 0);
    delta_error_set(DELTA_EPERM, "stale message of the waiting thread");
    assert_int_equal(dpool_wait(p), DELTA_ECORRUPT);
    assert_string_equal(delta_error_last(), "task 7 failed");
    assert_int_equal(delta_error_last_code(), DELTA_ECORRUPT);
    /* Every task ran despite the failures. */
    assert_int_equal(atomic_load(&counter), 100);

    /* The error is cleared by the wait: the pool is reusable. */
    delta_error_clear();
    for (int i = 0; i < 5; i++)
        assert_int_equal(dpool_submit(p, count_task, NULL), 0);
    assert_int_equal(dpool_wait(p), 0);
    assert_int_equal(dpool_wait(p), 0); /* nothing outstanding */
    dpool_free(p);
}

static void test_first_error_many_threads(void **state)
{
    (void)state;
    dpool *p = NULL;
    assert_int_equal(dpool_new(&p, 4, 8), 0);
    for (int round = 0; round < 20; round++) {
        atomic_store(&counter, 0);
        for (int i = 0; i < 200; i++)
            assert_int_equal(dpool_submit(p, failing_task, (void *)(intptr_t)i), 0);
        int rc = dpool_wait(p);
        assert_true(rc == DELTA_ECORRUPT || rc == DELTA_EIO);
        /* The message belongs to the failure whose code was returned. */
        int i = -1;
        assert_int_equal(sscanf(delta_error_last(), "task %d failed", &i), 1);
        assert_int_equal(i % 10, 7);
        assert_int_equal(rc, i % 20 == 7 ? DELTA_ECORRUPT : DELTA_EIO);
        assert_int_equal(atomic_load(&counter), 200);
        /* Reusable with a clean slate. */
        assert_int_equal(dpool_submit(p, count_task, NULL), 0);
        assert_int_equal(dpool_wait(p), 0);
    }
    dpool_free(p);
}

static int silent_failure(void *arg)
{
    (void)arg;
    return DELTA_ECANCELED; /* no message set */
}

static void test_error_without_message(void **state)
{
    (void)state;
    dpool *p = NULL;
    assert_int_equal(dpool_new(&p, 2, 0), 0);
    assert_int_equal(dpool_submit(p, silent_failure, NULL), 0);
    assert_int_equal(dpool_wait(p), DELTA_ECANCELED);
    assert_string_equal(delta_error_last(), "task failed with ECANCELED");
    dpool_free(p);
}

/* With one thread and room for two queued tasks, at most three tasks are
 * ever outstanding: submit blocks instead of queueing without bound. */
static atomic_long finished;

static int slow_task(void *arg)
{
    (void)arg;
    sleep_us(500);
    atomic_fetch_add(&finished, 1);
    return 0;
}

static void test_backpressure(void **state)
{
    (void)state;
    dpool *p = NULL;
    assert_int_equal(dpool_new(&p, 1, 2), 0);
    atomic_store(&finished, 0);
    long max_outstanding = 0;
    for (long submitted = 1; submitted <= 30; submitted++) {
        assert_int_equal(dpool_submit(p, slow_task, NULL), 0);
        long outstanding = submitted - atomic_load(&finished);
        if (outstanding > max_outstanding)
            max_outstanding = outstanding;
    }
    assert_int_equal(dpool_wait(p), 0);
    assert_int_equal(atomic_load(&finished), 30);
    print_message("max outstanding tasks: %ld (bound 3)\n", max_outstanding);
    assert_true(max_outstanding <= 3);
    assert_true(max_outstanding >= 2); /* the queue did fill up */
    dpool_free(p);
}

/* dpool_free waits for queued and running tasks before stopping. */
static void test_free_drains(void **state)
{
    (void)state;
    dpool *p = NULL;
    assert_int_equal(dpool_new(&p, 2, 4), 0);
    atomic_store(&finished, 0);
    for (int i = 0; i < 20; i++)
        assert_int_equal(dpool_submit(p, slow_task, NULL), 0);
    dpool_free(p);
    assert_int_equal(atomic_load(&finished), 20);
    dpool_free(NULL);
}

static void test_defaults_and_arguments(void **state)
{
    (void)state;
    dpool *p = NULL;
    assert_int_equal(dpool_new(&p, 0, 0), 0); /* one per CPU */
    assert_true(dpool_threads(p) >= 1);
    assert_int_equal(dpool_submit(p, NULL, NULL), DELTA_EINVAL);
    atomic_store(&counter, 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(dpool_submit(p, count_task, NULL), 0);
    assert_int_equal(dpool_wait(p), 0);
    assert_int_equal(atomic_load(&counter), 100);
    dpool_free(p);

    p = (dpool *)(uintptr_t)1;
    assert_int_equal(dpool_new(&p, 100000, 0), DELTA_EINVAL);
    assert_ptr_equal(p, (dpool *)(uintptr_t)1);
}

static void test_new_oom(void **state)
{
    (void)state;
    for (long n = 1; n <= 3; n++) {
        dpool *p = (dpool *)(uintptr_t)1;
        delta_alloc_fail_after(n);
        assert_int_equal(dpool_new(&p, 2, 0), DELTA_ENOMEM);
        delta_alloc_fail_after(0);
        assert_ptr_equal(p, (dpool *)(uintptr_t)1);
    }
    dpool *p = NULL;
    delta_alloc_fail_after(4); /* creation needs three allocations */
    assert_int_equal(dpool_new(&p, 2, 0), 0);
    delta_alloc_fail_after(0);
    dpool_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_small_tasks),
        cmocka_unit_test(test_results_visible_after_wait),
        cmocka_unit_test(test_single_thread_fifo),
        cmocka_unit_test(test_first_error_single_thread),
        cmocka_unit_test(test_first_error_many_threads),
        cmocka_unit_test(test_error_without_message),
        cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_free_drains),
        cmocka_unit_test(test_defaults_and_arguments),
        cmocka_unit_test_teardown(test_new_oom, reset_injection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
