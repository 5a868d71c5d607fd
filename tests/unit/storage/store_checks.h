/*
 * The behaviour every storage backend must show, as one set of cmocka
 * tests run against each backend (test_file.c, test_memory.c) and through
 * the wrappers (sub-stores and the fault store in test_store.c).
 *
 * A test file defines a setup that puts a fresh, empty delta_store in
 * *state and a teardown that frees it, then lists STORE_CHECKS(setup,
 * teardown) in its cmocka test array. Keys used here never make one key a
 * "directory" of another, so that the file backend can hold them all.
 */
#ifndef DELTA_TEST_STORE_CHECKS_H
#define DELTA_TEST_STORE_CHECKS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <delta/storage.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t checks_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Asserts that key holds exactly (data, len). */
static void expect_object(delta_store *s, const char *key, const void *data, size_t len)
{
    uint8_t *got = NULL;
    size_t got_len = 99;
    int rc = delta_store_get(s, key, &got, &got_len);
    if (rc)
        fprintf(stderr, "get %s: %s\n", key, delta_error_last());
    assert_int_equal(rc, 0);
    assert_non_null(got);
    assert_int_equal(got_len, len);
    if (len)
        assert_memory_equal(got, data, len);
    delta_free(got);
}

static void expect_missing(delta_store *s, const char *key)
{
    uint8_t *got = (uint8_t *)"x";
    size_t got_len = 7;
    assert_int_equal(delta_store_get(s, key, &got, &got_len), DELTA_ENOTFOUND);
    assert_null(got);
    assert_int_equal(got_len, 0);
    assert_non_null(strstr(delta_error_last(), key));
}

/* Lists and compares with the NULL-terminated expected keys, in order. */
static void expect_list(delta_store *s, const char *prefix, const char *start_after,
                        unsigned flags, const char *const *want)
{
    delta_object_list l = {0};
    int rc = delta_store_list(s, prefix, start_after, flags, &l);
    if (rc)
        fprintf(stderr, "list '%s': %s\n", prefix, delta_error_last());
    assert_int_equal(rc, 0);
    size_t n = 0;
    while (want[n])
        n++;
    if (l.count != n) {
        fprintf(stderr, "list '%s' after '%s' flags %u: got %zu keys:\n", prefix,
                start_after ? start_after : "(null)", flags, l.count);
        for (size_t i = 0; i < l.count; i++)
            fprintf(stderr, "  %s\n", l.items[i].key);
    }
    assert_int_equal(l.count, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(l.items[i].key, want[i]);
    delta_object_list_free(&l);
    assert_null(l.items);
    assert_int_equal(l.count, 0);
}

static void check_put_get(void **state)
{
    delta_store *s = *state;
    const char bin[] = {'a', 0, 'b', (char)0xff, 0, 'c'};

    expect_missing(s, "x/y.json");
    assert_int_equal(delta_store_put(s, "x/y.json", "hello", 5), 0);
    expect_object(s, "x/y.json", "hello", 5);
    /* put replaces */
    assert_int_equal(delta_store_put(s, "x/y.json", "bye", 3), 0);
    expect_object(s, "x/y.json", "bye", 3);
    /* binary content, NUL bytes */
    assert_int_equal(delta_store_put(s, "bin", bin, sizeof bin), 0);
    expect_object(s, "bin", bin, sizeof bin);
    /* empty objects exist and read back as a non-NULL empty buffer */
    assert_int_equal(delta_store_put(s, "deep/er/empty", NULL, 0), 0);
    expect_object(s, "deep/er/empty", "", 0);
    delta_object_info info = {(char *)"junk", -1, -1};
    assert_int_equal(delta_store_head(s, "deep/er/empty", &info), 0);
    assert_int_equal(info.size, 0);
    assert_null(info.key);
    /* a missing object under an existing "directory" */
    expect_missing(s, "x/z.json");
    expect_missing(s, "x");
}

static void check_large(void **state)
{
    delta_store *s = *state;
    size_t n = (1u << 20) + 3;
    uint8_t *big = malloc(n);
    assert_non_null(big);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        big[i] = (uint8_t)(x >> 24);
    }
    assert_int_equal(delta_store_put(s, "big.bin", big, n), 0);
    expect_object(s, "big.bin", big, n);
    uint8_t tail[16];
    size_t got = 0;
    assert_int_equal(delta_store_get_range(s, "big.bin", n - 5, sizeof tail, tail, &got), 0);
    assert_int_equal(got, 5);
    assert_memory_equal(tail, big + n - 5, 5);
    free(big);
}

static void check_get_range(void **state)
{
    delta_store *s = *state;
    const char *data = "0123456789";
    uint8_t buf[32];
    size_t got = 99;

    assert_int_equal(delta_store_put(s, "r", data, 10), 0);
    assert_int_equal(delta_store_get_range(s, "r", 0, 4, buf, &got), 0);
    assert_int_equal(got, 4);
    assert_memory_equal(buf, "0123", 4);
    assert_int_equal(delta_store_get_range(s, "r", 3, 5, buf, &got), 0);
    assert_int_equal(got, 5);
    assert_memory_equal(buf, "34567", 5);
    /* crossing the end: short read */
    assert_int_equal(delta_store_get_range(s, "r", 7, 10, buf, &got), 0);
    assert_int_equal(got, 3);
    assert_memory_equal(buf, "789", 3);
    /* the last byte exactly */
    assert_int_equal(delta_store_get_range(s, "r", 9, 1, buf, &got), 0);
    assert_int_equal(got, 1);
    assert_int_equal(buf[0], '9');
    /* at and beyond the end: nothing */
    got = 99;
    assert_int_equal(delta_store_get_range(s, "r", 10, 4, buf, &got), 0);
    assert_int_equal(got, 0);
    got = 99;
    assert_int_equal(delta_store_get_range(s, "r", UINT64_MAX - 1, 4, buf, &got), 0);
    assert_int_equal(got, 0);
    /* zero length, NULL destination */
    got = 99;
    assert_int_equal(delta_store_get_range(s, "r", 2, 0, NULL, &got), 0);
    assert_int_equal(got, 0);
    /* whole object */
    assert_int_equal(delta_store_get_range(s, "r", 0, sizeof buf, buf, &got), 0);
    assert_int_equal(got, 10);
    assert_memory_equal(buf, data, 10);
    /* missing */
    got = 99;
    assert_int_equal(delta_store_get_range(s, "nope", 0, 4, buf, &got), DELTA_ENOTFOUND);
    assert_int_equal(got, 0);
    assert_int_equal(delta_store_get_range(s, "nope", 0, 0, NULL, &got), DELTA_ENOTFOUND);
}

static void check_head(void **state)
{
    delta_store *s = *state;
    int64_t before = checks_now_ms();
    assert_int_equal(delta_store_put(s, "h/obj", "abcdef", 6), 0);
    int64_t after = checks_now_ms();
    delta_object_info info = {0};
    assert_int_equal(delta_store_head(s, "h/obj", &info), 0);
    assert_int_equal(info.size, 6);
    assert_null(info.key);
    /* file systems may round mtime down to their granularity */
    assert_true(info.mtime_ms >= before - 2000);
    assert_true(info.mtime_ms <= after + 2000);
    assert_int_equal(delta_store_head(s, "h/none", &info), DELTA_ENOTFOUND);
    assert_non_null(strstr(delta_error_last(), "h/none"));
    assert_int_equal(delta_store_head(s, "h", &info), DELTA_ENOTFOUND);
}

static void check_put_if_absent(void **state)
{
    delta_store *s = *state;
    assert_int_equal(delta_store_put_if_absent(s, "_log/00.json", "first", 5), 0);
    expect_object(s, "_log/00.json", "first", 5);
    assert_int_equal(delta_store_put_if_absent(s, "_log/00.json", "second", 6), DELTA_EEXIST);
    assert_non_null(strstr(delta_error_last(), "_log/00.json"));
    expect_object(s, "_log/00.json", "first", 5);
    /* a new key in a new directory */
    assert_int_equal(delta_store_put_if_absent(s, "a/b/c/01.json", "x", 1), 0);
    expect_object(s, "a/b/c/01.json", "x", 1);
    /* after delete, the key can be created again */
    assert_int_equal(delta_store_delete(s, "_log/00.json"), 0);
    assert_int_equal(delta_store_put_if_absent(s, "_log/00.json", "third", 5), 0);
    expect_object(s, "_log/00.json", "third", 5);
    /* empty objects too */
    assert_int_equal(delta_store_put_if_absent(s, "_log/02.json", NULL, 0), 0);
    assert_int_equal(delta_store_put_if_absent(s, "_log/02.json", NULL, 0), DELTA_EEXIST);
    expect_object(s, "_log/02.json", "", 0);
}

static void check_delete(void **state)
{
    delta_store *s = *state;
    assert_int_equal(delta_store_delete(s, "d/none"), DELTA_ENOTFOUND);
    assert_non_null(strstr(delta_error_last(), "d/none"));
    assert_int_equal(delta_store_put(s, "d/one", "1", 1), 0);
    assert_int_equal(delta_store_put(s, "d/two", "2", 1), 0);
    assert_int_equal(delta_store_delete(s, "d/one"), 0);
    expect_missing(s, "d/one");
    expect_object(s, "d/two", "2", 1);
    assert_int_equal(delta_store_delete(s, "d/one"), DELTA_ENOTFOUND);
    /* "d" is not an object */
    assert_int_equal(delta_store_delete(s, "d"), DELTA_ENOTFOUND);
    static const char *const want[] = {"d/two", NULL};
    expect_list(s, "", NULL, DELTA_LIST_RECURSIVE, want);
}

static void put_all(delta_store *s, const char *const *keys)
{
    for (size_t i = 0; keys[i]; i++) {
        size_t len = strlen(keys[i]);
        assert_int_equal(delta_store_put(s, keys[i], keys[i], len), 0);
    }
}

static void check_list(void **state)
{
    delta_store *s = *state;
    static const char *const keys[] = {"c",   "b/2", "a.txt", "b/c/3", "b2",
                                       "b/1", "ba/x", NULL};
    put_all(s, keys);

    static const char *const top[] = {"a.txt", "b2", "c", NULL};
    expect_list(s, "", NULL, 0, top);
    static const char *const all[] = {"a.txt", "b/1", "b/2", "b/c/3", "b2", "ba/x", "c", NULL};
    expect_list(s, "", NULL, DELTA_LIST_RECURSIVE, all);
    /* a string prefix, not a directory */
    static const char *const b_flat[] = {"b2", NULL};
    expect_list(s, "b", NULL, 0, b_flat);
    static const char *const b_rec[] = {"b/1", "b/2", "b/c/3", "b2", "ba/x", NULL};
    expect_list(s, "b", NULL, DELTA_LIST_RECURSIVE, b_rec);
    /* a directory prefix */
    static const char *const bdir[] = {"b/1", "b/2", NULL};
    expect_list(s, "b/", NULL, 0, bdir);
    static const char *const bdir_rec[] = {"b/1", "b/2", "b/c/3", NULL};
    expect_list(s, "b/", NULL, DELTA_LIST_RECURSIVE, bdir_rec);
    /* a prefix inside a directory */
    static const char *const b_c[] = {"b/c/3", NULL};
    expect_list(s, "b/c", NULL, DELTA_LIST_RECURSIVE, b_c);
    static const char *const none[] = {NULL};
    expect_list(s, "b/c", NULL, 0, none);
    /* start_after: strictly after, present or not */
    static const char *const after1[] = {"b/2", NULL};
    expect_list(s, "b/", "b/1", 0, after1);
    expect_list(s, "b/", "b/10", 0, after1);
    static const char *const after_c[] = {"b2", "ba/x", "c", NULL};
    expect_list(s, "", "b/c/3", DELTA_LIST_RECURSIVE, after_c);
    expect_list(s, "", "c", DELTA_LIST_RECURSIVE, none);
    expect_list(s, "", "", DELTA_LIST_RECURSIVE, all);
    expect_list(s, "b/", "a", 0, bdir);
    expect_list(s, "b/", "z", 0, none);
    /* missing prefixes list nothing */
    expect_list(s, "zz/", NULL, 0, none);
    expect_list(s, "zz/top/", NULL, DELTA_LIST_RECURSIVE, none);
    expect_list(s, "a.txt/", NULL, DELTA_LIST_RECURSIVE, none);
    expect_list(s, "q", NULL, DELTA_LIST_RECURSIVE, none);

    /* sizes come with the keys */
    delta_object_list l = {0};
    assert_int_equal(delta_store_list(s, "b/", NULL, 0, &l), 0);
    assert_int_equal(l.count, 2);
    assert_int_equal(l.items[0].size, 3);
    assert_true(l.items[0].mtime_ms > 0);
    /* list appends to what is there */
    assert_int_equal(delta_store_list(s, "", NULL, 0, &l), 0);
    assert_int_equal(l.count, 5);
    assert_string_equal(l.items[1].key, "b/2");
    assert_string_equal(l.items[2].key, "a.txt");
    delta_object_list_free(&l);
}

static void check_list_order(void **state)
{
    delta_store *s = *state;
    /* byte-wise: '-' < '/' < '0' < 'Z' < 'a' < 0xc3 */
    static const char *const keys[] = {"k/a0",     "k/a/b",  "k/Z",       "k/a-b",
                                       "k/\xc3\xa9", "k/a",    "k/00000000000000000010.json",
                                       "k/00000000000000000009.json", NULL};
    static const char *const want[] = {"k/00000000000000000009.json",
                                       "k/00000000000000000010.json",
                                       "k/Z",
                                       "k/a-b",
                                       "k/a/b",
                                       "k/a0",
                                       "k/\xc3\xa9",
                                       NULL};
    /* "k/a" and "k/a/b" cannot both exist on a file system: skip "k/a" */
    for (size_t i = 0; keys[i]; i++)
        if (strcmp(keys[i], "k/a") != 0)
            assert_int_equal(delta_store_put(s, keys[i], "v", 1), 0);
    expect_list(s, "k/", NULL, DELTA_LIST_RECURSIVE, want);
    static const char *const flat[] = {"k/00000000000000000009.json",
                                       "k/00000000000000000010.json",
                                       "k/Z",
                                       "k/a-b",
                                       "k/a0",
                                       "k/\xc3\xa9",
                                       NULL};
    expect_list(s, "k/", NULL, 0, flat);
    static const char *const after9[] = {"k/00000000000000000010.json", NULL};
    expect_list(s, "k/0", "k/00000000000000000009.json", 0, after9);
}

static void check_bad_keys(void **state)
{
    delta_store *s = *state;
    static const char *const bad[] = {"",     "/abs",  "..",    "../x",  "a/../../x",
                                      "a/./b", ".",     "a//b",  "a/",    "a\\b",
                                      "..\\x", "a\nb",  "a\tb",  "a\x7f", "a/..",
                                      "./a",   "//",    "/",     NULL};
    uint8_t *data = NULL;
    size_t len = 0;
    uint8_t buf[4];
    delta_object_info info;
    delta_store_writer *w = NULL;

    for (size_t i = 0; bad[i]; i++) {
        const char *k = bad[i];
        assert_int_equal(delta_store_put(s, k, "x", 1), DELTA_EPERM);
        assert_int_equal(delta_store_put_if_absent(s, k, "x", 1), DELTA_EPERM);
        assert_int_equal(delta_store_get(s, k, &data, &len), DELTA_EPERM);
        assert_null(data);
        assert_int_equal(delta_store_get_range(s, k, 0, 4, buf, &len), DELTA_EPERM);
        assert_int_equal(delta_store_head(s, k, &info), DELTA_EPERM);
        assert_int_equal(delta_store_delete(s, k), DELTA_EPERM);
        assert_int_equal(delta_store_writer_open(s, k, 0, &w), DELTA_EPERM);
        assert_null(w);
        assert_int_equal(delta_error_last_code(), DELTA_EPERM);
    }
    assert_int_equal(delta_store_put(s, NULL, "x", 1), DELTA_EPERM);
    /* the message names the key */
    assert_int_equal(delta_store_put(s, "a/../../etc/passwd", "x", 1), DELTA_EPERM);
    assert_non_null(strstr(delta_error_last(), "a/../../etc/passwd"));

    /* list prefixes: "" or a key with an optional trailing '/' */
    static const char *const bad_prefix[] = {"/", "/a", "../", "a//", "a/../", "a\\", "..",
                                             "a/./", NULL};
    delta_object_list l = {0};
    for (size_t i = 0; bad_prefix[i]; i++)
        assert_int_equal(delta_store_list(s, bad_prefix[i], NULL, 0, &l), DELTA_EPERM);
    assert_int_equal(delta_store_list(s, NULL, NULL, 0, &l), DELTA_EPERM);
    assert_int_equal(l.count, 0);

    /* nothing was created anywhere */
    static const char *const none[] = {NULL};
    expect_list(s, "", NULL, DELTA_LIST_RECURSIVE, none);

    /* odd but valid names are fine */
    static const char *const good[] = {"...", ".hidden", "a..b", "sp ace", "x=1/y=%20",
                                       "\xc3\xa9t\xc3\xa9", "-", NULL};
    put_all(s, good);
    for (size_t i = 0; good[i]; i++)
        expect_object(s, good[i], good[i], strlen(good[i]));
}

static void check_writer(void **state)
{
    delta_store *s = *state;
    delta_store_writer *w = NULL;

    /* commit publishes everything written */
    assert_int_equal(delta_store_writer_open(s, "w/data.parquet", 0, &w), 0);
    assert_non_null(w);
    assert_int_equal(delta_store_writer_write(s, w, "PAR1", 4), 0);
    assert_int_equal(delta_store_writer_write(s, w, NULL, 0), 0);
    assert_int_equal(delta_store_writer_write(s, w, "body", 4), 0);
    /* nothing visible before commit */
    expect_missing(s, "w/data.parquet");
    static const char *const none[] = {NULL};
    expect_list(s, "", NULL, DELTA_LIST_RECURSIVE, none);
    assert_int_equal(delta_store_writer_commit(s, w), 0);
    expect_object(s, "w/data.parquet", "PAR1body", 8);

    /* abort discards */
    assert_int_equal(delta_store_writer_open(s, "w/gone", 0, &w), 0);
    assert_int_equal(delta_store_writer_write(s, w, "zzz", 3), 0);
    delta_store_writer_abort(s, w);
    expect_missing(s, "w/gone");
    static const char *const one[] = {"w/data.parquet", NULL};
    expect_list(s, "", NULL, DELTA_LIST_RECURSIVE, one);
    delta_store_writer_abort(s, NULL);

    /* a plain writer replaces */
    assert_int_equal(delta_store_writer_open(s, "w/data.parquet", 0, &w), 0);
    assert_int_equal(delta_store_writer_write(s, w, "new", 3), 0);
    assert_int_equal(delta_store_writer_commit(s, w), 0);
    expect_object(s, "w/data.parquet", "new", 3);

    /* an if-absent writer loses against an existing key at commit */
    assert_int_equal(delta_store_writer_open(s, "w/data.parquet", DELTA_PUT_IF_ABSENT, &w), 0);
    assert_int_equal(delta_store_writer_write(s, w, "other", 5), 0);
    assert_int_equal(delta_store_writer_commit(s, w), DELTA_EEXIST);
    expect_object(s, "w/data.parquet", "new", 3);

    /* ... and wins on a new key, even when the key appeared after open */
    assert_int_equal(delta_store_writer_open(s, "w/late", DELTA_PUT_IF_ABSENT, &w), 0);
    assert_int_equal(delta_store_writer_write(s, w, "mine", 4), 0);
    assert_int_equal(delta_store_put(s, "w/late", "theirs", 6), 0);
    assert_int_equal(delta_store_writer_commit(s, w), DELTA_EEXIST);
    expect_object(s, "w/late", "theirs", 6);
    assert_int_equal(delta_store_writer_open(s, "w/new/x", DELTA_PUT_IF_ABSENT, &w), 0);
    assert_int_equal(delta_store_writer_write(s, w, "mine", 4), 0);
    assert_int_equal(delta_store_writer_commit(s, w), 0);
    expect_object(s, "w/new/x", "mine", 4);

    /* an empty writer makes an empty object */
    assert_int_equal(delta_store_writer_open(s, "w/empty", 0, &w), 0);
    assert_int_equal(delta_store_writer_commit(s, w), 0);
    expect_object(s, "w/empty", "", 0);

    /* many chunks */
    assert_int_equal(delta_store_writer_open(s, "w/chunks", 0, &w), 0);
    char chunk[100];
    for (int i = 0; i < 500; i++) {
        memset(chunk, 'a' + i % 26, sizeof chunk);
        assert_int_equal(delta_store_writer_write(s, w, chunk, (size_t)(i % 100) + 1), 0);
    }
    assert_int_equal(delta_store_writer_commit(s, w), 0);
    delta_object_info info;
    assert_int_equal(delta_store_head(s, "w/chunks", &info), 0);
    size_t total = 0;
    for (int i = 0; i < 500; i++)
        total += (size_t)(i % 100) + 1;
    assert_int_equal(info.size, (int64_t)total);

    /* bad arguments */
    assert_int_equal(delta_store_writer_open(s, "w/x", 0x80, &w), DELTA_EINVAL);
    assert_int_equal(delta_store_writer_commit(s, NULL), DELTA_EINVAL);
    assert_int_equal(delta_store_writer_write(s, NULL, "x", 1), DELTA_EINVAL);
}

static void check_sub_store(void **state)
{
    delta_store *s = *state;
    delta_store *sub = NULL, *subsub = NULL;
    assert_int_equal(delta_store_open_sub(&sub, s, "tables/t1/"), 0);
    assert_int_equal(delta_store_caps(sub), delta_store_caps(s));
    const char *u = delta_store_uri(sub);
    size_t ul = strlen(u);
    assert_true(ul > 10);
    assert_string_equal(u + ul - 10, "/tables/t1");

    assert_int_equal(delta_store_put(sub, "_delta_log/0.json", "{}", 2), 0);
    assert_int_equal(delta_store_put(sub, "part-0.parquet", "P", 1), 0);
    expect_object(s, "tables/t1/_delta_log/0.json", "{}", 2);
    expect_object(sub, "part-0.parquet", "P", 1);
    assert_int_equal(delta_store_put(s, "tables/t10", "not in sub", 10), 0);
    assert_int_equal(delta_store_put(s, "tables/t1x/y", "not in sub", 10), 0);

    static const char *const all[] = {"_delta_log/0.json", "part-0.parquet", NULL};
    expect_list(sub, "", NULL, DELTA_LIST_RECURSIVE, all);
    static const char *const flat[] = {"part-0.parquet", NULL};
    expect_list(sub, "", NULL, 0, flat);
    static const char *const log[] = {"_delta_log/0.json", NULL};
    expect_list(sub, "_delta_log/", NULL, 0, log);
    expect_list(sub, "", "_delta_log/0.json", DELTA_LIST_RECURSIVE, flat);

    /* keys cannot climb out of a sub-store */
    assert_int_equal(delta_store_get(sub, "../t10", &(uint8_t *){NULL}, &(size_t){0}),
                     DELTA_EPERM);
    assert_int_equal(delta_store_open_sub(&subsub, s, "../x"), DELTA_EPERM);
    assert_null(subsub);
    assert_int_equal(delta_store_open_sub(&subsub, s, ""), DELTA_EPERM);
    assert_int_equal(delta_store_open_sub(&subsub, s, "/abs"), DELTA_EPERM);

    /* a sub-store of a sub-store, outliving its parents */
    assert_int_equal(delta_store_open_sub(&subsub, sub, "_delta_log"), 0);
    delta_store_free(sub);
    expect_object(subsub, "0.json", "{}", 2);
    assert_int_equal(delta_store_put_if_absent(subsub, "1.json", "[]", 2), 0);
    assert_int_equal(delta_store_put_if_absent(subsub, "1.json", "[]", 2), DELTA_EEXIST);
    delta_store_writer *w = NULL;
    assert_int_equal(delta_store_writer_open(subsub, "2.json", DELTA_PUT_IF_ABSENT, &w), 0);
    assert_int_equal(delta_store_writer_write(subsub, w, "{2}", 3), 0);
    assert_int_equal(delta_store_writer_commit(subsub, w), 0);
    expect_object(s, "tables/t1/_delta_log/2.json", "{2}", 3);
    assert_int_equal(delta_store_delete(subsub, "0.json"), 0);
    expect_missing(s, "tables/t1/_delta_log/0.json");
    static const char *const logs[] = {"1.json", "2.json", NULL};
    expect_list(subsub, "", NULL, 0, logs);
    delta_object_info info;
    assert_int_equal(delta_store_head(subsub, "2.json", &info), 0);
    assert_int_equal(info.size, 3);
    uint8_t b[2];
    size_t got = 0;
    assert_int_equal(delta_store_get_range(subsub, "2.json", 1, 2, b, &got), 0);
    assert_int_equal(got, 2);
    assert_memory_equal(b, "2}", 2);
    delta_store_free(subsub);
}

/* A seeded random sequence of operations checked against a simple model. */
#define MODEL_KEYS 16
static void check_random_model(void **state)
{
    delta_store *s = *state;
    static const char *const keys[MODEL_KEYS] = {
        "d0/f0", "d0/f1", "d0/f2", "d1/f0", "d1/f1", "d1/e/f0", "d1/e/f1", "d2/x",
        "g0",    "g1",    "g2",    "h/0",   "h/1",   "h/10",    "h/2",     "i.json"};
    char *model[MODEL_KEYS] = {0};
    unsigned seed = 20240611u;
    printf("check_random_model: seed %u\n", seed);
    srand(seed);
    char val[64];
    for (int step = 0; step < 400; step++) {
        int k = rand() % MODEL_KEYS;
        int op = rand() % 6;
        snprintf(val, sizeof val, "v%d-%d", step, rand() % 1000);
        switch (op) {
        case 0: /* put */
            assert_int_equal(delta_store_put(s, keys[k], val, strlen(val)), 0);
            free(model[k]);
            model[k] = strdup(val);
            break;
        case 1: { /* put_if_absent */
            int rc = delta_store_put_if_absent(s, keys[k], val, strlen(val));
            assert_int_equal(rc, model[k] ? DELTA_EEXIST : 0);
            if (!model[k])
                model[k] = strdup(val);
            break;
        }
        case 2: { /* delete */
            int rc = delta_store_delete(s, keys[k]);
            assert_int_equal(rc, model[k] ? 0 : DELTA_ENOTFOUND);
            free(model[k]);
            model[k] = NULL;
            break;
        }
        case 3: /* get */
            if (model[k])
                expect_object(s, keys[k], model[k], strlen(model[k]));
            else
                expect_missing(s, keys[k]);
            break;
        default: { /* list with a random prefix and start_after */
            static const char *const prefixes[] = {"", "d", "d1/", "d1/e/", "g", "h/", "h/1",
                                                   "zz"};
            const char *p = prefixes[rand() % 8];
            const char *after = rand() % 2 ? keys[rand() % MODEL_KEYS] : NULL;
            unsigned flags = rand() % 2 ? DELTA_LIST_RECURSIVE : 0;
            const char *want[MODEL_KEYS + 1];
            size_t n = 0;
            size_t plen = strlen(p);
            for (int i = 0; i < MODEL_KEYS; i++) {
                if (!model[i] || strncmp(keys[i], p, plen) != 0)
                    continue;
                if (after && strcmp(keys[i], after) <= 0)
                    continue;
                if (!flags && strchr(keys[i] + plen, '/'))
                    continue;
                want[n++] = keys[i];
            }
            /* sort the expectation byte-wise */
            for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && strcmp(want[j - 1], want[j]) > 0; j--) {
                    const char *t = want[j];
                    want[j] = want[j - 1];
                    want[j - 1] = t;
                }
            want[n] = NULL;
            expect_list(s, p, after, flags, want);
            break;
        }
        }
    }
    for (int i = 0; i < MODEL_KEYS; i++)
        free(model[i]);
}

static void check_caps(void **state)
{
    delta_store *s = *state;
    unsigned caps = delta_store_caps(s);
    assert_true(caps & DELTA_STORE_CAP_ATOMIC_PUT_IF_ABSENT);
    assert_true(caps & DELTA_STORE_CAP_SORTED_LIST);
    assert_true(caps & DELTA_STORE_CAP_RANGED_GET);
    assert_non_null(delta_store_uri(s));
    /* argument checks */
    assert_int_equal(delta_store_get(s, "k", NULL, NULL), DELTA_EINVAL);
    assert_int_equal(delta_store_put(s, "k", NULL, 3), DELTA_EINVAL);
    assert_int_equal(delta_store_list(s, "", NULL, 0x10, &(delta_object_list){0}),
                     DELTA_EINVAL);
    assert_int_equal(delta_store_list(s, "", NULL, 0, NULL), DELTA_EINVAL);
}

#define STORE_CHECKS(setup, teardown)                                           \
    cmocka_unit_test_setup_teardown(check_put_get, setup, teardown),            \
        cmocka_unit_test_setup_teardown(check_large, setup, teardown),          \
        cmocka_unit_test_setup_teardown(check_get_range, setup, teardown),      \
        cmocka_unit_test_setup_teardown(check_head, setup, teardown),           \
        cmocka_unit_test_setup_teardown(check_put_if_absent, setup, teardown),  \
        cmocka_unit_test_setup_teardown(check_delete, setup, teardown),         \
        cmocka_unit_test_setup_teardown(check_list, setup, teardown),           \
        cmocka_unit_test_setup_teardown(check_list_order, setup, teardown),     \
        cmocka_unit_test_setup_teardown(check_bad_keys, setup, teardown),       \
        cmocka_unit_test_setup_teardown(check_writer, setup, teardown),         \
        cmocka_unit_test_setup_teardown(check_sub_store, setup, teardown),      \
        cmocka_unit_test_setup_teardown(check_random_model, setup, teardown),   \
        cmocka_unit_test_setup_teardown(check_caps, setup, teardown)

#endif
