/*
 * The log directory: file name classification, listing (missing table,
 * listing from a version), _last_checkpoint, and segment selection
 * (newest complete checkpoint at or below the target, incomplete
 * multi-part checkpoints ignored, gaps, cleaned-up versions, versions
 * after the latest).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "log/log.h"

static void test_classify(void **state)
{
    (void)state;
    dlog_file f;
    assert_int_equal(dlog_classify("00000000000000000003.json", &f), DLOG_FILE_COMMIT);
    assert_int_equal(f.version, 3);
    assert_int_equal(dlog_classify("00000000000000000010.checkpoint.parquet", &f),
                     DLOG_FILE_CHECKPOINT);
    assert_int_equal(f.version, 10);
    assert_int_equal(
        dlog_classify("00000000000000000010.checkpoint.0000000002.0000000003.parquet", &f),
        DLOG_FILE_CHECKPOINT_PART);
    assert_int_equal(f.part, 2);
    assert_int_equal(f.num_parts, 3);
    assert_int_equal(dlog_classify("00000000000000000002.checkpoint."
                                   "6374b053-df23-479b-b2cf-c9c550132b49.json",
                                   &f),
                     DLOG_FILE_CHECKPOINT_UUID);
    assert_true(f.is_json);
    assert_int_equal(dlog_classify("00000000000000000002.checkpoint."
                                   "6374b053-df23-479b-b2cf-c9c550132b49.parquet",
                                   &f),
                     DLOG_FILE_CHECKPOINT_UUID);
    assert_false(f.is_json);
    assert_int_equal(dlog_classify("00000000000000000004.00000000000000000006.compacted.json", &f),
                     DLOG_FILE_COMPACTED);
    assert_int_equal(f.version, 4);
    assert_int_equal(f.end_version, 6);
    assert_int_equal(dlog_classify("00000000000000000001.crc", &f), DLOG_FILE_CRC);
    assert_int_equal(dlog_classify("_last_checkpoint", &f), DLOG_FILE_LAST_CHECKPOINT);

    const char *others[] = {
        ".00000000000000000000.json.crc",
        "0000000000000000001.json",  /* 19 digits */
        "00000000000000000001.json.tmp",
        "00000000000000000001.checkpoint.0000000003.0000000002.parquet", /* part > parts */
        "00000000000000000006.00000000000000000004.compacted.json",      /* end < start */
        "00000000000000000001.checkpoint.json",
        "_sidecars",
        "foo.json",
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (dlog_classify(others[i], &f) != DLOG_FILE_OTHER)
            fail_msg("'%s' should not be a log file", others[i]);

    char key[40];
    dlog_commit_key(key, 42);
    assert_string_equal(key, "_delta_log/00000000000000000042.json");
}

static int next_space;

static delta_store *mem_store(void)
{
    char uri[64];
    snprintf(uri, sizeof uri, "memory://log-test-%d", next_space++);
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, uri), 0);
    return s;
}

static void put(delta_store *s, const char *name)
{
    char key[200];
    snprintf(key, sizeof key, "_delta_log/%s", name);
    assert_int_equal(delta_store_put(s, key, "{}", 2), 0);
}

static void put_commit(delta_store *s, int v)
{
    char name[64];
    snprintf(name, sizeof name, "%020d.json", v);
    put(s, name);
}

static void put_checkpoint(delta_store *s, int v)
{
    char name[64];
    snprintf(name, sizeof name, "%020d.checkpoint.parquet", v);
    put(s, name);
}

static int build(delta_store *s, int64_t version, dlog_segment *seg)
{
    dlog_listing l;
    int rc = dlog_list(s, -1, &l);
    if (rc)
        return rc;
    rc = dlog_segment_build(&l, version, -1, seg);
    dlog_listing_free(&l);
    return rc;
}

static void test_not_a_table(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    dlog_listing l;
    assert_int_equal(dlog_list(s, -1, &l), DELTA_ENOTFOUND);
    assert_non_null(strstr(delta_error_last(), "not a Delta table: no _delta_log at memory://"));
    /* Files outside the log do not make a table. */
    assert_int_equal(delta_store_put(s, "part-0.parquet", "x", 1), 0);
    assert_int_equal(dlog_list(s, -1, &l), DELTA_ENOTFOUND);
    /* A log with only unrelated files has no version. */
    put(s, "README");
    assert_int_equal(dlog_list(s, -1, &l), 0);
    dlog_segment seg;
    assert_int_equal(dlog_segment_build(&l, -1, -1, &seg), DELTA_ENOTFOUND);
    assert_non_null(strstr(delta_error_last(), "not a Delta table"));
    dlog_listing_free(&l);
    delta_store_free(s);
}

static void test_commits_only(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    for (int v = 0; v <= 3; v++)
        put_commit(s, v);
    put(s, ".00000000000000000000.json.crc");
    put(s, "00000000000000000003.crc");
    dlog_segment seg;
    assert_int_equal(build(s, -1, &seg), 0);
    assert_int_equal(seg.version, 3);
    assert_int_equal(seg.checkpoint_version, -1);
    assert_int_equal(seg.num_commits, 4);
    for (int v = 0; v <= 3; v++)
        assert_int_equal(seg.commits[v].version, v);
    assert_string_equal(seg.commits[3].key, "_delta_log/00000000000000000003.json");
    assert_int_equal(seg.latest_version, 3);
    assert_int_equal(seg.earliest_version, 0);
    dlog_segment_free(&seg);

    assert_int_equal(build(s, 1, &seg), 0);
    assert_int_equal(seg.version, 1);
    assert_int_equal(seg.num_commits, 2);
    dlog_segment_free(&seg);

    assert_int_equal(build(s, 4, &seg), DELTA_ENOTFOUND);
    assert_non_null(strstr(delta_error_last(),
                           "version 4 does not exist: the latest version is 3"));
    delta_store_free(s);
}

static void test_gap(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    put_commit(s, 0);
    put_commit(s, 2);
    dlog_segment seg;
    assert_int_equal(build(s, -1, &seg), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "00000000000000000001.json is missing"));
    /* Version 0 alone is still readable. */
    assert_int_equal(build(s, 0, &seg), 0);
    dlog_segment_free(&seg);
    delta_store_free(s);

    /* No version 0 and no checkpoint. */
    s = mem_store();
    put_commit(s, 1);
    put_commit(s, 2);
    assert_int_equal(build(s, -1, &seg), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "00000000000000000000.json is missing"));
    delta_store_free(s);
}

static void test_checkpoint_choice(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    for (int v = 0; v <= 12; v++)
        put_commit(s, v);
    put_checkpoint(s, 5);
    /* An incomplete multi-part checkpoint at 10 (part 2 of 2 missing). */
    put(s, "00000000000000000010.checkpoint.0000000001.0000000002.parquet");
    /* A complete one at 8. */
    put(s, "00000000000000000008.checkpoint.0000000002.0000000002.parquet");
    put(s, "00000000000000000008.checkpoint.0000000001.0000000002.parquet");
    dlog_segment seg;
    assert_int_equal(build(s, -1, &seg), 0);
    assert_int_equal(seg.version, 12);
    assert_int_equal(seg.checkpoint_version, 8);
    assert_int_equal(seg.num_checkpoint_files, 2);
    assert_int_equal(seg.checkpoint[0].part, 1);
    assert_int_equal(seg.checkpoint[1].part, 2);
    assert_int_equal(seg.num_commits, 4);
    assert_int_equal(seg.commits[0].version, 9);
    dlog_segment_free(&seg);

    /* Time travel below a checkpoint uses an older one. */
    assert_int_equal(build(s, 7, &seg), 0);
    assert_int_equal(seg.checkpoint_version, 5);
    assert_int_equal(seg.num_commits, 2);
    dlog_segment_free(&seg);
    assert_int_equal(build(s, 5, &seg), 0);
    assert_int_equal(seg.checkpoint_version, 5);
    assert_int_equal(seg.num_commits, 0);
    dlog_segment_free(&seg);
    assert_int_equal(build(s, 4, &seg), 0);
    assert_int_equal(seg.checkpoint_version, -1);
    assert_int_equal(seg.num_commits, 5);
    dlog_segment_free(&seg);

    /* A checkpoint limit (an unreadable checkpoint) moves below it. */
    dlog_listing l;
    assert_int_equal(dlog_list(s, -1, &l), 0);
    assert_int_equal(dlog_segment_build(&l, -1, 7, &seg), 0);
    assert_int_equal(seg.checkpoint_version, 5);
    assert_int_equal(seg.num_commits, 7);
    dlog_segment_free(&seg);
    assert_int_equal(dlog_segment_build(&l, -1, -2, &seg), 0);
    assert_int_equal(seg.checkpoint_version, -1);
    assert_int_equal(seg.num_commits, 13);
    dlog_segment_free(&seg);
    dlog_listing_free(&l);

    /* A v2 UUID checkpoint is preferred at the same version. */
    put(s, "00000000000000000012.checkpoint.parquet");
    put(s, "00000000000000000012.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json");
    assert_int_equal(build(s, -1, &seg), 0);
    assert_int_equal(seg.checkpoint_version, 12);
    assert_int_equal(seg.checkpoint[0].kind, DLOG_FILE_CHECKPOINT_UUID);
    assert_int_equal(seg.num_commits, 0);
    dlog_segment_free(&seg);
    delta_store_free(s);
}

static void test_cleaned_up(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    for (int v = 5; v <= 8; v++)
        put_commit(s, v);
    put_checkpoint(s, 5);
    dlog_segment seg;
    assert_int_equal(build(s, -1, &seg), 0);
    assert_int_equal(seg.checkpoint_version, 5);
    assert_int_equal(seg.earliest_version, 5);
    dlog_segment_free(&seg);
    assert_int_equal(build(s, 3, &seg), DELTA_ENOTFOUND);
    assert_non_null(strstr(delta_error_last(),
                           "version 3 is no longer available: the log was cleaned up; the "
                           "earliest available version is 5"));
    /* A gap after the checkpoint is corruption, not cleanup. */
    char key[64];
    snprintf(key, sizeof key, "_delta_log/%020d.json", 7);
    assert_int_equal(delta_store_delete(s, key), 0);
    assert_int_equal(build(s, -1, &seg), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "00000000000000000007.json is missing"));
    delta_store_free(s);
}

static void test_list_from_version(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    for (int v = 0; v <= 12; v++)
        put_commit(s, v);
    put_checkpoint(s, 10);
    put(s, "_last_checkpoint");
    dlog_listing l;
    assert_int_equal(dlog_list(s, 10, &l), 0);
    assert_false(l.listed_from_start);
    for (size_t i = 0; i < l.count; i++)
        if (l.files[i].kind != DLOG_FILE_LAST_CHECKPOINT)
            assert_true(l.files[i].version >= 10);
    dlog_segment seg;
    assert_int_equal(dlog_segment_build(&l, -1, -1, &seg), 0);
    assert_int_equal(seg.checkpoint_version, 10);
    assert_int_equal(seg.num_commits, 2);
    dlog_segment_free(&seg);
    dlog_listing_free(&l);
    /* From beyond the end: no version, not an error (_last_checkpoint
     * sorts after every version). */
    assert_int_equal(dlog_list(s, 40, &l), 0);
    assert_int_equal(l.count, 1);
    assert_int_equal(l.files[0].kind, DLOG_FILE_LAST_CHECKPOINT);
    dlog_listing_free(&l);
    delta_store_free(s);
}

static void test_last_checkpoint(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    dlog_last_checkpoint lc;
    assert_int_equal(dlog_read_last_checkpoint(s, &lc), DELTA_ENOTFOUND);
    const char *good = "{\"version\":10,\"size\":13,\"parts\":2,\"sizeInBytes\":1,"
                       "\"numOfAddFiles\":3,\"checkpointSchema\":{\"type\":\"struct\"}}";
    assert_int_equal(delta_store_put(s, "_delta_log/_last_checkpoint", good, strlen(good)), 0);
    assert_int_equal(dlog_read_last_checkpoint(s, &lc), 0);
    assert_int_equal(lc.version, 10);
    assert_int_equal(lc.size, 13);
    assert_true(lc.has_parts);
    assert_int_equal(lc.parts, 2);
    const char *bad[] = {"{\"version\":", "{\"size\":1}", "{\"version\":\"10\"}",
                         "{\"version\":-1}", "[]", "{\"version\":1,\"parts\":0}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(delta_store_put(s, "_delta_log/_last_checkpoint", bad[i], strlen(bad[i])),
                         0);
        assert_int_equal(dlog_read_last_checkpoint(s, &lc), DELTA_ECORRUPT);
        assert_non_null(strstr(delta_error_last(), "_last_checkpoint"));
    }
    delta_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_not_a_table),
        cmocka_unit_test(test_commits_only),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_checkpoint_choice),
        cmocka_unit_test(test_cleaned_up),
        cmocka_unit_test(test_list_from_version),
        cmocka_unit_test(test_last_checkpoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
