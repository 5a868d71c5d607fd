/*
 * The delta_store wrapper: key validation, URI parsing and backend choice,
 * caller-made backends (and that no invalid key ever reaches one), key
 * mapping of sub-stores, and the shared checks run through a sub-store
 * whose parent was freed first.
 */
#include "storage/store_checks.h"

#include "core/alloc.h"
#include "storage/tmpdir.h"

/* ---- key validation ------------------------------------------------------ */

static void test_check_key(void **state)
{
    (void)state;
    static const char *const good[] = {"a",        "a/b",      "_delta_log/00000000000000000000.json",
                                       ".a",       "a/.b/c",   "...",
                                       "a..",      "x=1/y=2",  "sp ace/\xe2\x82\xac",
                                       "a:b",      "%2F",      "-", NULL};
    for (size_t i = 0; good[i]; i++) {
        if (delta_store_check_key(good[i]) != 0)
            fprintf(stderr, "refused %s: %s\n", good[i], delta_error_last());
        assert_int_equal(delta_store_check_key(good[i]), 0);
    }
    static const char *const bad[] = {"",     "/",     "/a",   "a/",     "a//b", ".",
                                      "..",   "./a",   "../a", "a/.",    "a/..", "a/./b",
                                      "a/../b", "a\\b", "\\",  "a\x01",  "\x1f", "a\x7f",
                                      "a\nb", "a\rb",  NULL};
    for (size_t i = 0; bad[i]; i++) {
        delta_error_clear();
        assert_int_equal(delta_store_check_key(bad[i]), DELTA_EPERM);
        assert_int_equal(delta_error_last_code(), DELTA_EPERM);
        assert_true(strlen(delta_error_last()) > 0);
    }
    assert_int_equal(delta_store_check_key(NULL), DELTA_EPERM);

    /* messages name the key and the reason; control bytes are escaped */
    delta_store_check_key("tbl/../../secret");
    assert_non_null(strstr(delta_error_last(), "'tbl/../../secret'"));
    assert_non_null(strstr(delta_error_last(), "'..'"));
    delta_store_check_key("a\nb");
    assert_non_null(strstr(delta_error_last(), "'a\\x0ab'"));
    assert_null(strchr(delta_error_last(), '\n'));
    delta_store_check_key("a\\b");
    assert_non_null(strstr(delta_error_last(), "backslash"));
    delta_store_check_key("a//b");
    assert_non_null(strstr(delta_error_last(), "empty segment"));
    delta_store_check_key("/etc/passwd");
    assert_non_null(strstr(delta_error_last(), "absolute"));
    /* very long keys are cut in messages but still checked whole */
    char longkey[2000];
    memset(longkey, 'k', sizeof longkey - 4);
    memcpy(longkey + sizeof longkey - 4, "/..", 4);
    assert_int_equal(delta_store_check_key(longkey), DELTA_EPERM);
    assert_non_null(strstr(delta_error_last(), "..."));
}

/* ---- URIs ------------------------------------------------------------------ */

static void test_open_uris(void **state)
{
    (void)state;
    delta_store *s = (delta_store *)1;
    assert_int_equal(delta_store_open(&s, NULL), DELTA_EINVAL);
    assert_null(s);
    assert_int_equal(delta_store_open(&s, ""), DELTA_EINVAL);
    assert_int_equal(delta_store_open(NULL, "memory://x"), DELTA_EINVAL);
    static const char *const unsupported[] = {"s3://bucket/table", "s3a://b/t", "az://c/t",
                                              "abfss://c@a.dfs.core.windows.net/t",
                                              "gs://b/t", "http://host/t", NULL};
    for (size_t i = 0; unsupported[i]; i++) {
        assert_int_equal(delta_store_open(&s, unsupported[i]), DELTA_EUNSUPPORTED);
        assert_null(s);
        assert_non_null(strstr(delta_error_last(), unsupported[i]));
    }
    assert_int_equal(delta_store_open(&s, "s3://bucket/t"), DELTA_EUNSUPPORTED);
    assert_non_null(strstr(delta_error_last(), "'s3'"));

    assert_int_equal(delta_store_open(&s, "memory://uris"), 0);
    assert_string_equal(delta_store_uri(s), "memory://uris");
    delta_store_free(s);
    assert_int_equal(delta_store_open(&s, "MEMORY://uris//"), 0);
    assert_string_equal(delta_store_uri(s), "MEMORY://uris");
    delta_store_free(s);

    assert_string_equal(delta_store_uri(NULL), "");
    assert_int_equal(delta_store_caps(NULL), 0);
    delta_store_free(NULL);
    delta_object_list empty = {0};
    delta_object_list_free(&empty);
    delta_object_list_free(NULL);
}

/* ---- a caller-made backend ------------------------------------------------- */

/* The writer of this backend: caller-made backends define their own. */
struct delta_store_writer {
    int magic;
    char data[64];
    size_t len;
};

typedef struct rec_backend {
    delta_store_backend base;
    int calls;
    char last_key[256];
    unsigned last_flags;
    int *freed;
    const char *list_keys[4]; /* what list appends */
    int list_rc;              /* what list returns after appending */
    int commits;
} rec_backend;

static void rec(delta_store_backend *b, const char *key)
{
    rec_backend *r = (rec_backend *)b;
    r->calls++;
    snprintf(r->last_key, sizeof r->last_key, "%s", key ? key : "(null)");
}

static int rec_get(delta_store_backend *b, const char *key, uint8_t **out, size_t *out_len)
{
    rec(b, key);
    *out = delta_memdup("got", 4);
    *out_len = 3;
    return 0;
}

static int rec_get_range(delta_store_backend *b, const char *key, uint64_t offset, size_t len,
                         uint8_t *dst, size_t *out_read)
{
    (void)offset;
    (void)len;
    (void)dst;
    (void)out_read;
    rec(b, key);
    return DELTA_ENOTFOUND;
}

static int rec_head(delta_store_backend *b, const char *key, delta_object_info *out)
{
    rec(b, key);
    out->size = 42;
    out->key = (char *)"must be cleared";
    return 0;
}

static int rec_put(delta_store_backend *b, const char *key, const void *data, size_t len)
{
    (void)data;
    (void)len;
    rec(b, key);
    return 0;
}

static int rec_list(delta_store_backend *b, const char *prefix, const char *start_after,
                    unsigned flags, delta_object_list *out)
{
    rec_backend *r = (rec_backend *)b;
    rec(b, prefix);
    (void)start_after;
    r->last_flags = flags;
    for (int i = 0; i < 4 && r->list_keys[i]; i++) {
        if (out->count == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 4;
            out->items = delta_reallocarray(out->items, out->cap, sizeof *out->items);
            assert_non_null(out->items);
        }
        out->items[out->count].key = delta_strdup(r->list_keys[i]);
        out->items[out->count].size = 1;
        out->items[out->count].mtime_ms = 1;
        out->count++;
    }
    return r->list_rc;
}

static int rec_del(delta_store_backend *b, const char *key)
{
    rec(b, key);
    return 0;
}

static int rec_writer_open(delta_store_backend *b, const char *key, unsigned flags,
                           delta_store_writer **out)
{
    rec(b, key);
    ((rec_backend *)b)->last_flags = flags;
    delta_store_writer *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->magic = 0x5eed;
    *out = w;
    return 0;
}

static int rec_writer_write(delta_store_writer *w, const void *data, size_t len)
{
    assert_int_equal(w->magic, 0x5eed);
    assert_true(w->len + len <= sizeof w->data);
    memcpy(w->data + w->len, data, len);
    w->len += len;
    return 0;
}

static rec_backend *committed_by;
static int rec_writer_commit(delta_store_writer *w)
{
    assert_int_equal(w->magic, 0x5eed);
    assert_int_equal(w->len, 5);
    assert_memory_equal(w->data, "hello", 5);
    committed_by->commits++;
    free(w);
    return 0;
}

static void rec_writer_abort(delta_store_writer *w)
{
    assert_int_equal(w->magic, 0x5eed);
    free(w);
}

static void rec_free(delta_store_backend *b)
{
    rec_backend *r = (rec_backend *)b;
    if (r->freed)
        (*r->freed)++;
    free(r);
}

static rec_backend *rec_new(int *freed)
{
    rec_backend *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->base.version = DELTA_STORE_BACKEND_VERSION;
    r->base.caps = DELTA_STORE_CAP_SORTED_LIST;
    r->base.get = rec_get;
    r->base.get_range = rec_get_range;
    r->base.head = rec_head;
    r->base.put = rec_put;
    r->base.put_if_absent = rec_put;
    r->base.list = rec_list;
    r->base.del = rec_del;
    r->base.writer_open = rec_writer_open;
    r->base.writer_write = rec_writer_write;
    r->base.writer_commit = rec_writer_commit;
    r->base.writer_abort = rec_writer_abort;
    r->base.free = rec_free;
    r->freed = freed;
    return r;
}

static void test_from_backend_refusals(void **state)
{
    (void)state;
    int freed = 0;
    delta_store *s = (delta_store *)1;
    rec_backend *r = rec_new(&freed);
    r->base.version = 99;
    assert_int_equal(delta_store_from_backend(&s, &r->base, "rec://x"), DELTA_EUNSUPPORTED);
    assert_null(s);
    assert_non_null(strstr(delta_error_last(), "99"));
    assert_int_equal(freed, 1);

    r = rec_new(&freed);
    r->base.list = NULL;
    assert_int_equal(delta_store_from_backend(&s, &r->base, "rec://x"), DELTA_EINVAL);
    assert_int_equal(freed, 2);

    r = rec_new(&freed);
    assert_int_equal(delta_store_from_backend(NULL, &r->base, "rec://x"), DELTA_EINVAL);
    assert_int_equal(freed, 3);
    assert_int_equal(delta_store_from_backend(&s, NULL, "rec://x"), DELTA_EINVAL);

    /* shared by sub-stores: freed with the last one */
    r = rec_new(&freed);
    assert_int_equal(delta_store_from_backend(&s, &r->base, "rec://root/"), 0);
    assert_string_equal(delta_store_uri(s), "rec://root");
    assert_int_equal(delta_store_caps(s), DELTA_STORE_CAP_SORTED_LIST);
    delta_store *sub = NULL;
    assert_int_equal(delta_store_open_sub(&sub, s, "t"), 0);
    assert_string_equal(delta_store_uri(sub), "rec://root/t");
    delta_store_free(s);
    assert_int_equal(freed, 3);
    delta_store_free(sub);
    assert_int_equal(freed, 4);
    assert_int_equal(delta_store_open_sub(&sub, NULL, "t"), DELTA_EINVAL);
}

static void test_bad_keys_never_reach_backend(void **state)
{
    (void)state;
    rec_backend *r = rec_new(NULL);
    delta_store *s = NULL;
    assert_int_equal(delta_store_from_backend(&s, &r->base, "rec://"), 0);
    static const char *const bad[] = {"", "/x", "..", "a/../b", "a//b", "a\\b", "a\tb", NULL};
    uint8_t *data = NULL;
    size_t len = 0;
    uint8_t buf[2];
    delta_object_info info;
    delta_object_list l = {0};
    delta_store_writer *w = NULL;
    for (size_t i = 0; bad[i]; i++) {
        assert_int_equal(delta_store_get(s, bad[i], &data, &len), DELTA_EPERM);
        assert_int_equal(delta_store_get_range(s, bad[i], 0, 2, buf, &len), DELTA_EPERM);
        assert_int_equal(delta_store_head(s, bad[i], &info), DELTA_EPERM);
        assert_int_equal(delta_store_put(s, bad[i], "x", 1), DELTA_EPERM);
        assert_int_equal(delta_store_put_if_absent(s, bad[i], "x", 1), DELTA_EPERM);
        assert_int_equal(delta_store_delete(s, bad[i]), DELTA_EPERM);
        assert_int_equal(delta_store_writer_open(s, bad[i], 0, &w), DELTA_EPERM);
        if (bad[i][0])
            assert_int_equal(delta_store_list(s, bad[i], NULL, 0, &l), DELTA_EPERM);
    }
    assert_int_equal(r->calls, 0);

    /* valid keys reach it unchanged */
    assert_int_equal(delta_store_put(s, "_delta_log/0.json", "x", 1), 0);
    assert_string_equal(r->last_key, "_delta_log/0.json");
    assert_int_equal(delta_store_get(s, "k", &data, &len), 0);
    assert_int_equal(len, 3);
    delta_free(data);
    assert_int_equal(delta_store_head(s, "k", &info), 0);
    assert_int_equal(info.size, 42);
    assert_null(info.key);
    assert_int_equal(delta_store_list(s, "", NULL, DELTA_LIST_RECURSIVE, &l), 0);
    assert_string_equal(r->last_key, "");
    assert_int_equal(r->last_flags, DELTA_LIST_RECURSIVE);
    assert_int_equal(delta_store_list(s, "dir/", NULL, 0, &l), 0);
    assert_string_equal(r->last_key, "dir/");
    delta_object_list_free(&l);
    delta_store_free(s);
}

static void test_sub_store_mapping(void **state)
{
    (void)state;
    rec_backend *r = rec_new(NULL);
    delta_store *root = NULL, *sub = NULL;
    assert_int_equal(delta_store_from_backend(&root, &r->base, "rec://r"), 0);
    assert_int_equal(delta_store_open_sub(&sub, root, "lake//t1/"), DELTA_EPERM);
    assert_null(sub);
    assert_int_equal(delta_store_open_sub(&sub, root, "lake/t1/"), 0);

    assert_int_equal(delta_store_put(sub, "_delta_log/0.json", "x", 1), 0);
    assert_string_equal(r->last_key, "lake/t1/_delta_log/0.json");
    assert_int_equal(delta_store_delete(sub, "p"), 0);
    assert_string_equal(r->last_key, "lake/t1/p");

    /* listed keys come back relative to the sub-store */
    delta_object_list l = {0};
    r->list_keys[0] = "lake/t1/a";
    r->list_keys[1] = "lake/t1/b/c";
    assert_int_equal(delta_store_list(sub, "", NULL, 0, &l), 0);
    assert_string_equal(r->last_key, "lake/t1/");
    assert_int_equal(l.count, 2);
    assert_string_equal(l.items[0].key, "a");
    assert_string_equal(l.items[1].key, "b/c");
    /* a backend key outside the prefix is an error and nothing is appended */
    r->list_keys[2] = "lake/t10/x";
    assert_int_equal(delta_store_list(sub, "", NULL, 0, &l), DELTA_EIO);
    assert_non_null(strstr(delta_error_last(), "lake/t10/x"));
    assert_int_equal(l.count, 2);
    /* a failing backend leaves nothing appended */
    r->list_keys[2] = NULL;
    r->list_rc = DELTA_EIO;
    assert_int_equal(delta_store_list(sub, "", NULL, 0, &l), DELTA_EIO);
    assert_int_equal(l.count, 2);
    assert_int_equal(delta_store_list(root, "", NULL, 0, &l), DELTA_EIO);
    assert_int_equal(l.count, 2);
    delta_object_list_free(&l);

    /* writers pass through to the backend that made them */
    delta_store_writer *w = NULL;
    committed_by = r;
    assert_int_equal(delta_store_writer_open(sub, "w", DELTA_PUT_IF_ABSENT, &w), 0);
    assert_string_equal(r->last_key, "lake/t1/w");
    assert_int_equal(r->last_flags, DELTA_PUT_IF_ABSENT);
    assert_int_equal(delta_store_writer_write(sub, w, "hel", 3), 0);
    assert_int_equal(delta_store_writer_write(sub, w, "lo", 2), 0);
    assert_int_equal(delta_store_writer_commit(sub, w), 0);
    assert_int_equal(r->commits, 1);
    assert_int_equal(delta_store_writer_open(sub, "w", 0, &w), 0);
    delta_store_writer_abort(sub, w);
    assert_int_equal(r->commits, 1);

    delta_store_free(sub);
    delta_store_free(root);
}

/* ---- out of memory at every allocation ---------------------------------------- */

static void ok_or(int rc, int other)
{
    if (rc != 0 && rc != DELTA_ENOMEM && rc != other)
        fprintf(stderr, "unexpected %s: %s\n", delta_error_name(rc), delta_error_last());
    assert_true(rc == 0 || rc == DELTA_ENOMEM || rc == other);
}
#define OK_OR(rc, other) ok_or((rc), (other))

/* Every operation on both backends, tolerating DELTA_ENOMEM at any point;
 * returns how many allocations failed by injection. */
static long oom_workload(const char *dir, int iter)
{
    char uri[600];
    delta_store *m = NULL, *f = NULL, *sub = NULL;
    delta_object_list l = {0};
    uint8_t *data = NULL;
    size_t len = 0;
    uint8_t buf[4];
    delta_object_info info;
    delta_store_writer *w = NULL;
    int rc;

    snprintf(uri, sizeof uri, "memory://oom-%d/t", iter);
    rc = delta_store_open(&m, uri);
    OK_OR(rc, 0);
    snprintf(uri, sizeof uri, "file://%s/oom-%d", dir, iter);
    rc = delta_store_open(&f, uri);
    OK_OR(rc, 0);
    delta_store *stores[2] = {m, f};
    for (int i = 0; i < 2; i++) {
        delta_store *s = stores[i];
        if (!s)
            continue;
        OK_OR(delta_store_put(s, "a/b", "x", 1), 0);
        OK_OR(delta_store_put_if_absent(s, "a/c", "y", 1), DELTA_EEXIST);
        OK_OR(delta_store_get(s, "a/b", &data, &len), DELTA_ENOTFOUND);
        delta_free(data);
        data = NULL;
        OK_OR(delta_store_get_range(s, "a/b", 0, 1, buf, &len), DELTA_ENOTFOUND);
        OK_OR(delta_store_head(s, "a/b", &info), DELTA_ENOTFOUND);
        OK_OR(delta_store_list(s, "", NULL, DELTA_LIST_RECURSIVE, &l), 0);
        OK_OR(delta_store_list(s, "a/", "a/a", 0, &l), 0);
        delta_object_list_free(&l);
        rc = delta_store_writer_open(s, "w/x", DELTA_PUT_IF_ABSENT, &w);
        OK_OR(rc, 0);
        if (rc == 0) {
            OK_OR(delta_store_writer_write(s, w, "abc", 3), 0);
            OK_OR(delta_store_writer_commit(s, w), DELTA_EEXIST);
        }
        rc = delta_store_writer_open(s, "w/y", 0, &w);
        if (rc == 0) {
            OK_OR(delta_store_writer_write(s, w, "abc", 3), 0);
            delta_store_writer_abort(s, w);
        }
        rc = delta_store_open_sub(&sub, s, "a");
        OK_OR(rc, 0);
        if (rc == 0) {
            OK_OR(delta_store_list(sub, "", NULL, 0, &l), 0);
            delta_object_list_free(&l);
            OK_OR(delta_store_delete(sub, "b"), DELTA_ENOTFOUND);
            delta_store_free(sub);
            sub = NULL;
        }
        delta_store *fs = NULL;
        rc = delta_store_fault_wrap(&fs, s, DELTA_FAULT_CRASH, 2);
        OK_OR(rc, 0);
        if (rc == 0) {
            OK_OR(delta_store_writer_open(fs, "z", 0, &w), 0);
            OK_OR(delta_store_put(fs, "q", "1", 1), DELTA_EIO);
            if (w)
                delta_store_writer_abort(fs, w);
            w = NULL;
            delta_store_free(fs);
        }
    }
    delta_store_free(m);
    delta_store_free(f);
    return delta_alloc_injected_failures();
}

static void test_out_of_memory(void **state)
{
    (void)state;
    char *dir = tmpdir_make("oom");
    assert_non_null(dir);
    /* Two root lengths, so buffers grow at different points. */
    static const char *const subdirs[] = {"s", "a-much-longer-directory-name-that-moves-where-"
                                               "path-buffers-have-to-grow-0123456789"};
    int iter = 1;
    for (int k = 0; k < 2; k++) {
        char *root = tmpdir_join(dir, subdirs[k]);
        assert_non_null(root);
        int first = iter;
        for (;; iter++) {
            delta_alloc_fail_after(iter - first + 1);
            long injected = oom_workload(root, iter);
            delta_alloc_fail_after(0);
            if (injected == 0)
                break;
            assert_true(iter - first < 10000);
        }
        printf("test_out_of_memory: root %d: workload done after failing each of %d "
               "allocations\n",
               k, iter - first);
        assert_true(iter - first > 20);
        iter++;
        free(root);
    }
    tmpdir_remove(dir);
}

/* ---- the shared checks through a sub-store ---------------------------------- */

static int next_space;
static char sub_parent_uri[64];

static int setup_sub(void **state)
{
    snprintf(sub_parent_uri, sizeof sub_parent_uri, "memory://store-sub-%d", next_space++);
    delta_store *parent = NULL, *sub = NULL;
    if (delta_store_open(&parent, sub_parent_uri) != 0)
        return -1;
    /* a neighbour that must never show up */
    if (delta_store_put(parent, "p/q0", "n", 1) != 0)
        return -1;
    int rc = delta_store_open_sub(&sub, parent, "p/q");
    delta_store_free(parent); /* the sub-store keeps the backend */
    if (rc)
        return -1;
    *state = sub;
    return 0;
}

static int teardown_sub(void **state)
{
    delta_store_free(*state);
    /* everything the checks wrote stayed under p/q/ */
    delta_store *parent = NULL;
    delta_object_list l = {0};
    assert_int_equal(delta_store_open(&parent, sub_parent_uri), 0);
    assert_int_equal(delta_store_list(parent, "", NULL, DELTA_LIST_RECURSIVE, &l), 0);
    for (size_t i = 0; i < l.count; i++)
        if (strcmp(l.items[i].key, "p/q0") != 0)
            assert_true(strncmp(l.items[i].key, "p/q/", 4) == 0);
    expect_object(parent, "p/q0", "n", 1);
    delta_object_list_free(&l);
    delta_store_free(parent);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_key),
        cmocka_unit_test(test_open_uris),
        cmocka_unit_test(test_from_backend_refusals),
        cmocka_unit_test(test_bad_keys_never_reach_backend),
        cmocka_unit_test(test_sub_store_mapping),
        cmocka_unit_test(test_out_of_memory),
        STORE_CHECKS(setup_sub, teardown_sub),
    };
    return cmocka_run_group_tests_name("storage/store", tests, NULL, NULL);
}
