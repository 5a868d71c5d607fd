/*
 * The fault-injecting store: operation counting, FAIL_ONCE, FAIL_FROM and
 * CRASH, and a crash loop (SQLite style) that crashes a small workload at
 * every operation in turn and checks that exactly what succeeded survived,
 * on the memory and the file backend.
 */
#include "storage/store_checks.h"
#include "storage/store_internal.h"
#include "storage/tmpdir.h"

static int next_space;

static delta_store *memory_store(void)
{
    char uri[64];
    snprintf(uri, sizeof uri, "memory://fault-%d", next_space++);
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, uri), 0);
    return s;
}

static delta_fault_stats stats_of(const delta_store *s)
{
    delta_fault_stats st;
    delta_store_fault_stats(s, &st);
    return st;
}

/* ---- the shared checks through a counting fault store ------------------- */

static delta_store *pair_inner; /* the store under the one the checks use */

static int setup_pair(void **state)
{
    char uri[64];
    snprintf(uri, sizeof uri, "memory://fault-checks-%d", next_space++);
    delta_store *f = NULL;
    if (delta_store_open(&pair_inner, uri) ||
        delta_store_fault_wrap(&f, pair_inner, DELTA_FAULT_NONE, 0))
        return -1;
    *state = f;
    return 0;
}

static int teardown_pair(void **state)
{
    delta_store_free(*state);
    delta_store_free(pair_inner);
    pair_inner = NULL;
    return 0;
}

static void test_counts_every_op(void **state)
{
    (void)state;
    delta_store *inner = memory_store();
    delta_store *f = NULL;
    assert_int_equal(delta_store_fault_wrap(&f, inner, DELTA_FAULT_NONE, 0), 0);
    assert_int_equal(delta_store_caps(f), delta_store_caps(inner));
    assert_string_equal(delta_store_uri(f), delta_store_uri(inner));

    uint8_t *data = NULL;
    size_t len = 0;
    uint8_t buf[4];
    delta_object_info info;
    delta_object_list l = {0};
    delta_store_writer *w = NULL;
    assert_int_equal(delta_store_put(f, "a", "1", 1), 0);
    assert_int_equal(delta_store_put_if_absent(f, "b", "2", 1), 0);
    assert_int_equal(delta_store_get(f, "a", &data, &len), 0);
    delta_free(data);
    assert_int_equal(delta_store_get_range(f, "a", 0, 1, buf, &len), 0);
    assert_int_equal(delta_store_head(f, "a", &info), 0);
    assert_int_equal(delta_store_list(f, "", NULL, 0, &l), 0);
    delta_object_list_free(&l);
    assert_int_equal(delta_store_delete(f, "b"), 0);
    assert_int_equal(delta_store_writer_open(f, "c", 0, &w), 0);
    assert_int_equal(delta_store_writer_write(f, w, "3", 1), 0);
    assert_int_equal(delta_store_writer_commit(f, w), 0);
    assert_int_equal(delta_store_writer_open(f, "d", 0, &w), 0);
    delta_store_writer_abort(f, w); /* not counted */
    /* refused keys never reach the backend: not counted */
    assert_int_equal(delta_store_put(f, "../x", "1", 1), DELTA_EPERM);

    delta_fault_stats st = stats_of(f);
    assert_int_equal(st.ops, 11);
    assert_int_equal(st.failed, 0);
    assert_int_equal(st.crashed, 0);
    expect_object(inner, "c", "3", 1);
    expect_missing(inner, "d");

    /* other stores report zeros */
    st = stats_of(inner);
    assert_int_equal(st.ops, 0);
    st = stats_of(NULL);
    assert_int_equal(st.ops, 0);

    /* sub-stores of a fault store share its counter */
    delta_store *sub = NULL;
    assert_int_equal(delta_store_open_sub(&sub, f, "dir"), 0);
    assert_int_equal(delta_store_put(sub, "x", "y", 1), 0);
    assert_int_equal(stats_of(sub).ops, 12);
    assert_int_equal(stats_of(f).ops, 12);
    expect_object(inner, "dir/x", "y", 1);
    delta_store_free(sub);

    delta_store_free(f);
    delta_store_free(inner);
}

static void test_fail_once(void **state)
{
    (void)state;
    delta_store *inner = memory_store();
    delta_store *f = NULL;
    assert_int_equal(delta_store_fault_wrap(&f, inner, DELTA_FAULT_FAIL_ONCE, 3), 0);
    assert_int_equal(delta_store_put(f, "a", "1", 1), 0);
    assert_int_equal(delta_store_put(f, "b", "2", 1), 0);
    assert_int_equal(delta_store_put_if_absent(f, "c", "3", 1), DELTA_EIO);
    assert_non_null(strstr(delta_error_last(), "operation 3"));
    assert_non_null(strstr(delta_error_last(), "c"));
    /* the failed operation did not happen */
    expect_missing(inner, "c");
    /* later operations proceed */
    assert_int_equal(delta_store_put_if_absent(f, "c", "3", 1), 0);
    expect_object(f, "c", "3", 1);
    delta_fault_stats st = stats_of(f);
    assert_int_equal(st.ops, 5);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.crashed, 0);
    delta_store_free(f);
    delta_store_free(inner);
}

static void test_fail_from(void **state)
{
    (void)state;
    delta_store *inner = memory_store();
    delta_store *f = NULL;
    assert_int_equal(delta_store_fault_wrap(&f, inner, DELTA_FAULT_FAIL_FROM, 2), 0);
    assert_int_equal(delta_store_put(f, "a", "1", 1), 0);
    uint8_t *data = NULL;
    size_t len = 0;
    delta_object_list l = {0};
    delta_object_info info;
    assert_int_equal(delta_store_get(f, "a", &data, &len), DELTA_EIO);
    assert_null(data);
    assert_int_equal(delta_store_list(f, "", NULL, 0, &l), DELTA_EIO);
    assert_int_equal(l.count, 0);
    assert_int_equal(delta_store_head(f, "a", &info), DELTA_EIO);
    assert_int_equal(delta_store_delete(f, "a"), DELTA_EIO);
    assert_int_equal(delta_store_put(f, "b", "2", 1), DELTA_EIO);
    delta_store_writer *w = NULL;
    assert_int_equal(delta_store_writer_open(f, "w", 0, &w), DELTA_EIO);
    assert_null(w);
    delta_fault_stats st = stats_of(f);
    assert_int_equal(st.ops, 7);
    assert_int_equal(st.failed, 6);
    assert_int_equal(st.crashed, 0);
    /* the inner store is as operation 1 left it */
    expect_object(inner, "a", "1", 1);
    expect_missing(inner, "b");
    delta_store_free(f);
    delta_store_free(inner);
}

static void test_write_failure_poisons_writer(void **state)
{
    (void)state;
    delta_store *inner = memory_store();
    delta_store *f = NULL;
    delta_store_writer *w = NULL;
    assert_int_equal(delta_store_fault_wrap(&f, inner, DELTA_FAULT_FAIL_ONCE, 3), 0);
    assert_int_equal(delta_store_writer_open(f, "obj", 0, &w), 0);    /* 1 */
    assert_int_equal(delta_store_writer_write(f, w, "aaa", 3), 0);    /* 2 */
    assert_int_equal(delta_store_writer_write(f, w, "bbb", 3), DELTA_EIO); /* 3 */
    assert_int_equal(delta_store_writer_write(f, w, "ccc", 3), DELTA_EIO); /* 4 */
    /* committing would publish "aaaccc": refused */
    assert_int_equal(delta_store_writer_commit(f, w), DELTA_EIO); /* 5 */
    expect_missing(inner, "obj");
    assert_int_equal(stats_of(f).failed, 1);

    /* a failed commit publishes nothing */
    delta_store_free(f);
    assert_int_equal(delta_store_fault_wrap(&f, inner, DELTA_FAULT_FAIL_ONCE, 3), 0);
    assert_int_equal(delta_store_writer_open(f, "obj", DELTA_PUT_IF_ABSENT, &w), 0);
    assert_int_equal(delta_store_writer_write(f, w, "aaa", 3), 0);
    assert_int_equal(delta_store_writer_commit(f, w), DELTA_EIO);
    expect_missing(inner, "obj");
    delta_store_free(f);
    delta_store_free(inner);
}

static void test_crash_abandons_writers(void **state)
{
    (void)state;
    delta_store *inner = memory_store();
    delta_store *f = NULL;
    delta_store_writer *w1 = NULL, *w2 = NULL;
    assert_int_equal(delta_store_fault_wrap(&f, inner, DELTA_FAULT_CRASH, 5), 0);
    assert_int_equal(delta_store_writer_open(f, "w1", 0, &w1), 0);           /* 1 */
    assert_int_equal(delta_store_writer_write(f, w1, "data", 4), 0);         /* 2 */
    assert_int_equal(delta_store_writer_open(f, "w2", 0, &w2), 0);           /* 3 */
    assert_int_equal(delta_store_put(f, "before", "b", 1), 0);               /* 4 */
    assert_int_equal(delta_store_put(f, "at", "x", 1), DELTA_EIO);           /* 5: crash */
    assert_non_null(strstr(delta_error_last(), "simulated crash at operation 5"));
    assert_int_equal(delta_store_writer_commit(f, w1), DELTA_EIO);           /* 6 */
    assert_non_null(strstr(delta_error_last(), "simulated crash at operation 5"));
    delta_store_writer_abort(f, w2);
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal(delta_store_get(f, "before", &data, &len), DELTA_EIO);  /* 7 */
    assert_int_equal(delta_store_put(f, "after", "a", 1), DELTA_EIO);        /* 8 */
    delta_fault_stats st = stats_of(f);
    assert_int_equal(st.ops, 8);
    assert_int_equal(st.failed, 4);
    assert_int_equal(st.crashed, 1);

    /* what survived: only what completed before the crash */
    static const char *const want[] = {"before", NULL};
    expect_list(inner, "", NULL, DELTA_LIST_RECURSIVE, want);
    delta_store_free(f);
    delta_store_free(inner);
}

static void test_crash_at_commit(void **state)
{
    (void)state;
    delta_store *inner = memory_store();
    delta_store *f = NULL;
    delta_store_writer *w = NULL;
    assert_int_equal(delta_store_fault_wrap(&f, inner, DELTA_FAULT_CRASH, 3), 0);
    assert_int_equal(delta_store_writer_open(f, "obj", DELTA_PUT_IF_ABSENT, &w), 0);
    assert_int_equal(delta_store_writer_write(f, w, "data", 4), 0);
    assert_int_equal(delta_store_writer_commit(f, w), DELTA_EIO);
    expect_missing(inner, "obj");
    assert_int_equal(stats_of(f).crashed, 1);
    delta_store_free(f);
    delta_store_free(inner);
}

static void test_bad_args(void **state)
{
    (void)state;
    delta_store *inner = memory_store();
    delta_store *f = (delta_store *)1;
    assert_int_equal(delta_store_fault_wrap(&f, NULL, DELTA_FAULT_CRASH, 1), DELTA_EINVAL);
    assert_null(f);
    assert_int_equal(delta_store_fault_wrap(&f, inner, (delta_fault_mode)42, 1), DELTA_EINVAL);
    assert_int_equal(delta_store_fault_wrap(NULL, inner, DELTA_FAULT_CRASH, 1), DELTA_EINVAL);
    delta_store_free(inner);
}

/* ---- crash loop --------------------------------------------------------- */

#define MODEL_MAX 8
typedef struct model {
    const char *key[MODEL_MAX];
    const char *val[MODEL_MAX];
    int n;
} model;

static void model_set(model *m, const char *key, const char *val)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->key[i], key) == 0) {
            m->val[i] = val;
            return;
        }
    m->key[m->n] = key;
    m->val[m->n++] = val;
}

static void model_del(model *m, const char *key)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->key[i], key) == 0) {
            m->key[i] = m->key[m->n - 1];
            m->val[i] = m->val[m->n - 1];
            m->n--;
            return;
        }
}

static int write_with(delta_store *s, const char *key, unsigned flags, const char *a,
                      const char *b)
{
    delta_store_writer *w = NULL;
    int rc = delta_store_writer_open(s, key, flags, &w);
    if (rc)
        return rc;
    if ((rc = delta_store_writer_write(s, w, a, strlen(a))) != 0 ||
        (rc = delta_store_writer_write(s, w, b, strlen(b))) != 0) {
        delta_store_writer_abort(s, w);
        return rc;
    }
    return delta_store_writer_commit(s, w);
}

#define WORKLOAD_OPS 16

/* A small commit-like workload; stops at the first failure, as a process
 * would after a crash. Applies to m what succeeded. Returns the number of
 * steps that succeeded. */
static int workload(delta_store *s, model *m)
{
    int step = 0;
    uint8_t *data = NULL;
    size_t len = 0;
    delta_object_list l = {0};

#define STEP(call, expect, effect)                                                     \
    do {                                                                               \
        int rc_ = (call);                                                              \
        if (rc_ != (expect)) {                                                         \
            assert_int_equal(rc_, DELTA_EIO);                                          \
            return step;                                                               \
        }                                                                              \
        effect;                                                                        \
        step++;                                                                        \
    } while (0)

    STEP(delta_store_put(s, "_log/0.json", "zero", 4), 0, model_set(m, "_log/0.json", "zero"));
    STEP(delta_store_put_if_absent(s, "_log/1.json", "one", 3), 0,
         model_set(m, "_log/1.json", "one"));
    STEP(write_with(s, "data/a.parquet", 0, "AAAA", "BBBB"), 0,
         model_set(m, "data/a.parquet", "AAAABBBB"));
    STEP(delta_store_put_if_absent(s, "_log/1.json", "dup", 3), DELTA_EEXIST, (void)0);
    STEP(delta_store_put(s, "data/b", "b1", 2), 0, model_set(m, "data/b", "b1"));
    STEP(delta_store_put(s, "data/b", "b2", 2), 0, model_set(m, "data/b", "b2"));
    STEP(write_with(s, "_log/2.json", DELTA_PUT_IF_ABSENT, "tw", "o"), 0,
         model_set(m, "_log/2.json", "two"));
    STEP(delta_store_delete(s, "data/b"), 0, model_del(m, "data/b"));
    STEP(delta_store_get(s, "_log/0.json", &data, &len), 0, delta_free(data));
    STEP(delta_store_list(s, "_log/", NULL, 0, &l), 0, delta_object_list_free(&l));
#undef STEP
    return step;
}

/* The inner store holds exactly the model. */
static void expect_model(delta_store *s, const model *m)
{
    delta_object_list l = {0};
    assert_int_equal(delta_store_list(s, "", NULL, DELTA_LIST_RECURSIVE, &l), 0);
    assert_int_equal(l.count, (size_t)m->n);
    delta_object_list_free(&l);
    for (int i = 0; i < m->n; i++)
        expect_object(s, m->key[i], m->val[i], strlen(m->val[i]));
}

static int temp_files;
static int count_temp(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    if (store_file_is_temp_name(path + ftw->base))
        temp_files++;
    return 0;
}

static void crash_loop(int use_files)
{
    char *dir = use_files ? tmpdir_make("crash") : NULL;
    if (use_files)
        assert_non_null(dir);
    for (uint64_t n = 1; n <= WORKLOAD_OPS + 1; n++) {
        delta_store *inner = NULL, *f = NULL;
        char root[512];
        if (use_files) {
            snprintf(root, sizeof root, "%s/run-%llu", dir, (unsigned long long)n);
            assert_int_equal(delta_store_open(&inner, root), 0);
        } else {
            inner = memory_store();
        }
        assert_int_equal(delta_store_fault_wrap(&f, inner, DELTA_FAULT_CRASH, n), 0);
        model m = {{0}, {0}, 0};
        int steps = workload(f, &m);
        delta_fault_stats st = stats_of(f);
        if (n <= WORKLOAD_OPS) {
            assert_int_equal(st.crashed, 1);
            assert_true(steps < 10);
        } else {
            assert_int_equal(st.crashed, 0);
            assert_int_equal(steps, 10);
            assert_int_equal(st.ops, WORKLOAD_OPS);
        }
        delta_store_free(f);
        /* "reopen" after the crash and check what survived */
        expect_model(inner, &m);
        if (use_files) {
            temp_files = 0;
            nftw(root, count_temp, 16, FTW_PHYS);
            assert_int_equal(temp_files, 0);
        }
        delta_store_free(inner);
    }
    tmpdir_remove(dir);
}

static void test_crash_loop_memory(void **state)
{
    (void)state;
    crash_loop(0);
}

static void test_crash_loop_file(void **state)
{
    (void)state;
    crash_loop(1);
}

static void test_caps_over_file(void **state)
{
    (void)state;
    char *dir = tmpdir_make("fcaps");
    assert_non_null(dir);
    delta_store *inner = NULL, *f = NULL;
    assert_int_equal(delta_store_open(&inner, dir), 0);
    assert_int_equal(delta_store_fault_wrap(&f, inner, DELTA_FAULT_NONE, 0), 0);
    assert_true(delta_store_caps(f) & DELTA_STORE_CAP_DURABLE);
    assert_int_equal(delta_store_caps(f), delta_store_caps(inner));
    delta_store_free(f);
    delta_store_free(inner);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        STORE_CHECKS(setup_pair, teardown_pair),
        cmocka_unit_test(test_counts_every_op),
        cmocka_unit_test(test_fail_once),
        cmocka_unit_test(test_fail_from),
        cmocka_unit_test(test_write_failure_poisons_writer),
        cmocka_unit_test(test_crash_abandons_writers),
        cmocka_unit_test(test_crash_at_commit),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_crash_loop_memory),
        cmocka_unit_test(test_crash_loop_file),
        cmocka_unit_test(test_caps_over_file),
    };
    return cmocka_run_group_tests_name("storage/fault", tests, NULL, NULL);
}
