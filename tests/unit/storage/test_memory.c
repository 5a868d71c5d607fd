/*
 * The memory:// backend: the shared checks, plus what is special to it
 * (process-wide named spaces, URI sub-paths, no durability, thread races).
 */
#include "storage/store_checks.h"

#include <pthread.h>

static int next_space;

static int setup(void **state)
{
    char uri[64];
    snprintf(uri, sizeof uri, "memory://checks-%d", next_space++);
    delta_store *s = NULL;
    if (delta_store_open(&s, uri) != 0)
        return -1;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    delta_store_free(*state);
    return 0;
}

static void test_shared_by_name(void **state)
{
    (void)state;
    delta_store *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(delta_store_open(&a, "memory://shared"), 0);
    assert_int_equal(delta_store_open(&b, "memory://shared/"), 0);
    assert_int_equal(delta_store_open(&c, "memory://other"), 0);
    assert_string_equal(delta_store_uri(a), "memory://shared");
    assert_string_equal(delta_store_uri(b), "memory://shared");

    assert_int_equal(delta_store_put(a, "k", "v", 1), 0);
    expect_object(b, "k", "v", 1);
    expect_missing(c, "k");
    assert_int_equal(delta_store_put_if_absent(b, "k", "w", 1), DELTA_EEXIST);

    /* the space outlives the stores opened on it */
    delta_store_free(a);
    delta_store_free(b);
    assert_int_equal(delta_store_open(&a, "memory://shared"), 0);
    expect_object(a, "k", "v", 1);
    delta_store_free(a);
    delta_store_free(c);
}

static void test_uri_sub_path(void **state)
{
    (void)state;
    delta_store *lake = NULL, *table = NULL;
    assert_int_equal(delta_store_open(&lake, "memory://lake"), 0);
    assert_int_equal(delta_store_open(&table, "memory://lake/sales/orders/"), 0);
    assert_string_equal(delta_store_uri(table), "memory://lake/sales/orders");
    assert_int_equal(delta_store_put(table, "_delta_log/0.json", "{}", 2), 0);
    expect_object(lake, "sales/orders/_delta_log/0.json", "{}", 2);
    static const char *const want[] = {"_delta_log/0.json", NULL};
    expect_list(table, "", NULL, DELTA_LIST_RECURSIVE, want);
    delta_store_free(table);
    delta_store_free(lake);

    /* the sub-path obeys key rules */
    delta_store *bad = NULL;
    assert_int_equal(delta_store_open(&bad, "memory://lake/../x"), DELTA_EPERM);
    assert_null(bad);
    assert_int_equal(delta_store_open(&bad, "memory://lake//x"), DELTA_EPERM);
    assert_int_equal(delta_store_open(&bad, "memory://"), DELTA_EINVAL);
    assert_int_equal(delta_store_open(&bad, "memory:lake"), DELTA_EINVAL);
    assert_int_equal(delta_store_open(&bad, "memory:///x"), DELTA_EINVAL);
}

static void test_caps(void **state)
{
    delta_store *s = *state;
    unsigned caps = delta_store_caps(s);
    assert_int_equal(caps, DELTA_STORE_CAP_ATOMIC_PUT_IF_ABSENT | DELTA_STORE_CAP_SORTED_LIST |
                               DELTA_STORE_CAP_RANGED_GET);
}

static void test_file_and_dir_keys(void **state)
{
    /* no directories here: "a" and "a/b" are independent objects */
    delta_store *s = *state;
    assert_int_equal(delta_store_put(s, "a", "1", 1), 0);
    assert_int_equal(delta_store_put(s, "a/b", "2", 1), 0);
    expect_object(s, "a", "1", 1);
    expect_object(s, "a/b", "2", 1);
    static const char *const flat[] = {"a", NULL};
    expect_list(s, "", NULL, 0, flat);
    static const char *const all[] = {"a", "a/b", NULL};
    expect_list(s, "a", NULL, DELTA_LIST_RECURSIVE, all);
}

#define RACE_THREADS 4
#define RACE_ROUNDS 200

typedef struct race_arg {
    delta_store *s;
    int id;
    int wins;
    int losses;
    int errors;
    pthread_barrier_t *barrier;
} race_arg;

static void *race_thread(void *p)
{
    race_arg *a = p;
    char key[32], val[32];
    for (int r = 0; r < RACE_ROUNDS; r++) {
        pthread_barrier_wait(a->barrier);
        snprintf(key, sizeof key, "race/%04d", r);
        snprintf(val, sizeof val, "writer-%d", a->id);
        int rc;
        if (r % 2) {
            rc = delta_store_put_if_absent(a->s, key, val, strlen(val));
        } else {
            delta_store_writer *w = NULL;
            rc = delta_store_writer_open(a->s, key, DELTA_PUT_IF_ABSENT, &w);
            if (rc == 0)
                rc = delta_store_writer_write(a->s, w, val, strlen(val));
            if (rc == 0)
                rc = delta_store_writer_commit(a->s, w);
        }
        if (rc == 0)
            a->wins++;
        else if (rc == DELTA_EEXIST)
            a->losses++;
        else
            a->errors++;
    }
    return NULL;
}

static void test_thread_race(void **state)
{
    delta_store *s = *state;
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, RACE_THREADS);
    pthread_t th[RACE_THREADS];
    race_arg args[RACE_THREADS];
    for (int i = 0; i < RACE_THREADS; i++) {
        args[i] = (race_arg){s, i, 0, 0, 0, &barrier};
        assert_int_equal(pthread_create(&th[i], NULL, race_thread, &args[i]), 0);
    }
    int wins = 0, losses = 0;
    for (int i = 0; i < RACE_THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].errors, 0);
        wins += args[i].wins;
        losses += args[i].losses;
    }
    pthread_barrier_destroy(&barrier);
    assert_int_equal(wins, RACE_ROUNDS);
    assert_int_equal(losses, RACE_ROUNDS * (RACE_THREADS - 1));
    delta_object_list l = {0};
    assert_int_equal(delta_store_list(s, "race/", NULL, 0, &l), 0);
    assert_int_equal(l.count, RACE_ROUNDS);
    for (size_t i = 0; i < l.count; i++)
        assert_int_equal(l.items[i].size, 8);
    delta_object_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        STORE_CHECKS(setup, teardown),
        cmocka_unit_test(test_shared_by_name),
        cmocka_unit_test(test_uri_sub_path),
        cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_and_dir_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thread_race, setup, teardown),
    };
    return cmocka_run_group_tests_name("storage/memory", tests, NULL, NULL);
}
