/*
 * Snapshot replay over hand-built logs in memory (and on disk where file
 * modification times matter): live files and tombstones, canonical path
 * spellings, deletion-vector keys, txn and domain metadata reconciliation,
 * missing protocol/metadata, gaps, protocol and feature checks, time
 * travel by version and by timestamp (in-commit and file times), JSON v2
 * checkpoints, and the fallback below a checkpoint that cannot be read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "log/path.h"
#include "log/snapshot.h"
#include "storage/tmpdir.h"

#define PROTO "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}"
#define SCHEMA                                                                              \
    "{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":[{\\\"name\\\":\\\"id\\\",\\\"type\\\":"   \
    "\\\"long\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}},{\\\"name\\\":\\\"p\\\","      \
    "\\\"type\\\":\\\"string\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}}]}"
#define META_CONF(conf)                                                                     \
    "{\"metaData\":{\"id\":\"tid\",\"format\":{\"provider\":\"parquet\",\"options\":{}},"   \
    "\"schemaString\":\"" SCHEMA "\",\"partitionColumns\":[\"p\"],\"configuration\":{" conf \
    "}}}"
#define META META_CONF("")
#define ADD(path) \
    "{\"add\":{\"path\":\"" path "\",\"partitionValues\":{\"p\":\"x\"},\"size\":1,"  \
    "\"modificationTime\":1,\"dataChange\":true}}"
#define ADD_T(path, mt) \
    "{\"add\":{\"path\":\"" path "\",\"partitionValues\":{\"p\":\"x\"},\"size\":1,"  \
    "\"modificationTime\":" #mt ",\"dataChange\":true}}"
#define REMOVE(path) "{\"remove\":{\"path\":\"" path "\",\"deletionTimestamp\":2,\"dataChange\":true}}"
#define DV(id) \
    "\"deletionVector\":{\"storageType\":\"u\",\"pathOrInlineDv\":\"" id "\",\"offset\":1," \
    "\"sizeInBytes\":10,\"cardinality\":2}"

static int next_space;

static delta_store *mem_store(void)
{
    char uri[64];
    snprintf(uri, sizeof uri, "memory://snap-test-%d", next_space++);
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, uri), 0);
    return s;
}

/* Writes commit v from NULL-terminated lines. */
static void commit(delta_store *s, int v, ...)
{
    dbuf b = DBUF_INIT;
    va_list ap;
    va_start(ap, v);
    const char *line;
    while ((line = va_arg(ap, const char *)) != NULL) {
        dbuf_puts(&b, line);
        dbuf_putc(&b, '\n');
    }
    va_end(ap);
    char key[64];
    snprintf(key, sizeof key, "_delta_log/%020d.json", v);
    assert_int_equal(delta_store_put(s, key, b.data, b.len), 0);
    dbuf_free(&b);
}

static void put_text(delta_store *s, const char *key, const char *text)
{
    assert_int_equal(delta_store_put(s, key, text, strlen(text)), 0);
}

static dlog_snapshot *open_ok(delta_store *s, const dlog_snapshot_opts *o)
{
    dlog_snapshot *snap = NULL;
    int rc = dlog_snapshot_open(&snap, s, o);
    if (rc)
        fail_msg("open failed: %s", delta_error_last());
    return snap;
}

static void expect_open_error(delta_store *s, const dlog_snapshot_opts *o, int code,
                              const char *msg)
{
    dlog_snapshot *snap = NULL;
    int rc = dlog_snapshot_open(&snap, s, o);
    assert_null(snap);
    if (rc != code || !strstr(delta_error_last(), msg))
        fail_msg("expected %s '%s', got %s '%s'", delta_error_name(code), msg,
                 delta_error_name(rc), delta_error_last());
}

static void test_basic(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    commit(s, 0, "{\"commitInfo\":{\"operation\":\"CREATE\"}}", PROTO, META, ADD("p=x/a.parquet"),
           ADD("p=x/b.parquet"), NULL);
    commit(s, 1, "{\"commitInfo\":{\"operation\":\"WRITE\",\"timestamp\":5}}", ADD("p=x/c.parquet"),
           NULL);
    dlog_snapshot *snap = open_ok(s, NULL);
    assert_int_equal(snap->version, 1);
    assert_int_equal(dlog_snapshot_num_files(snap), 3);
    assert_int_equal(snap->schema->num_fields, 2);
    assert_int_equal(snap->metadata.num_partition_columns, 1);
    assert_string_equal(snap->metadata.partition_columns[0], "p");
    assert_true(snap->has_commit_info);
    assert_string_equal(snap->commit_info.operation, "WRITE");
    assert_int_equal(snap->checkpoint_version, -1);
    assert_false(snap->timestamp_is_ict);
    assert_true(snap->timestamp_ms > 0); /* the memory store's put time */
    const dlog_live_file *f = dlog_snapshot_find_file(snap, "p=x/c.parquet", NULL);
    assert_non_null(f);
    assert_int_equal(f->version, 1);
    assert_string_equal(f->add.path, "p=x/c.parquet");
    size_t it = 0, n = 0;
    while (dlog_snapshot_next_file(snap, &it, &f))
        n++;
    assert_int_equal(n, 3);
    dlog_snapshot_free(snap);

    dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
    o.at_version = 0;
    snap = open_ok(s, &o);
    assert_int_equal(snap->version, 0);
    assert_int_equal(dlog_snapshot_num_files(snap), 2);
    assert_string_equal(snap->commit_info.operation, "CREATE");
    dlog_snapshot_free(snap);

    o.at_version = 2;
    expect_open_error(s, &o, DELTA_ENOTFOUND, "version 2 does not exist: the latest version is 1");
    delta_store_free(s);
}

static void test_remove_then_add(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    commit(s, 0, PROTO, META, ADD_T("foo", 100), ADD("gone"), NULL);
    commit(s, 1, REMOVE("foo"), REMOVE("gone"), NULL);
    commit(s, 2, ADD_T("foo", 200), NULL);
    dlog_snapshot *snap = open_ok(s, NULL);
    assert_int_equal(dlog_snapshot_num_files(snap), 1);
    const dlog_live_file *f = dlog_snapshot_find_file(snap, "foo", NULL);
    assert_non_null(f);
    assert_int_equal(f->add.modification_time, 200);
    assert_null(dlog_snapshot_find_file(snap, "gone", NULL));
    /* foo's tombstone was cancelled by the re-add; gone's remains. */
    assert_int_equal(dmap_count(snap->tombstones), 1);
    size_t it = 0;
    void *v;
    assert_true(dmap_next(snap->tombstones, &it, NULL, NULL, &v));
    assert_string_equal(((dlog_tombstone *)v)->canonical, "gone");
    assert_int_equal(((dlog_tombstone *)v)->version, 1);
    dlog_snapshot_free(snap);

    /* Re-adding the same key replaces the entry (latest add wins). */
    commit(s, 3, ADD_T("foo", 300), NULL);
    snap = open_ok(s, NULL);
    assert_int_equal(dlog_snapshot_num_files(snap), 1);
    assert_int_equal(dlog_snapshot_find_file(snap, "foo", NULL)->add.modification_time, 300);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static void test_canonical_paths(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    commit(s, 0, PROTO, META, ADD("/some/abs/path"), ADD("/some/with%20space/p@%23h"),
           ADD("a%20b.parquet"), ADD("x/./y//z.parquet"), ADD("keep.parquet"), NULL);
    commit(s, 1, REMOVE("file:/some/abs/path"), REMOVE("file:///some/with%20space/p@%23h"),
           REMOVE("a b.parquet"), REMOVE("x/y/z.parquet"), NULL);
    dlog_snapshot *snap = open_ok(s, NULL);
    assert_int_equal(dlog_snapshot_num_files(snap), 1);
    assert_non_null(dlog_snapshot_find_file(snap, "keep.parquet", NULL));
    assert_non_null(dlog_snapshot_find_file(snap, "./keep%2Eparquet", NULL));
    dlog_snapshot_free(snap);
    delta_store_free(s);

    /* The pure function, with a local root. */
    struct {
        const char *raw, *want;
    } cases[] = {
        {"a%20b/c.parquet", "a b/c.parquet"},
        {"file:/t/root/x.parquet", "x.parquet"},
        {"file:///t/root/d/x.parquet", "d/x.parquet"},
        {"file://localhost/t/root/x.parquet", "x.parquet"},
        {"/t/root/x.parquet", "x.parquet"},
        {"/t/rootx/y.parquet", "/t/rootx/y.parquet"},
        {"/elsewhere/y.parquet", "/elsewhere/y.parquet"},
        {"../other/y.parquet", "/t/other/y.parquet"},
        {"..//Users/u/foo.snappy.parquet", "/t/Users/u/foo.snappy.parquet"},
        {"bar%2Dbar.snappy.parquet", "bar-bar.snappy.parquet"},
        {"s3://bucket/t/a%20b.parquet", "s3://bucket/t/a b.parquet"},
        {"a+b.parquet", "a+b.parquet"},
        {"special%20p@%23h", "special p@#h"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dbuf out = DBUF_INIT;
        assert_int_equal(dlog_canonical_path("/t/root", cases[i].raw, &out), 0);
        if (strcmp(dbuf_cstr(&out), cases[i].want) != 0)
            fail_msg("'%s' -> '%s', want '%s'", cases[i].raw, dbuf_cstr(&out), cases[i].want);
        dbuf_free(&out);
    }
    dbuf out = DBUF_INIT;
    assert_int_equal(dlog_canonical_path(NULL, "bad%zzescape", &out), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "bad%zzescape"));
    assert_int_equal(dlog_canonical_path(NULL, "", &out), DELTA_ECORRUPT);
    dbuf_free(&out);

    char *root = NULL;
    assert_int_equal(dlog_root_local_path("file:///t/a%20b/", &root), 0);
    assert_string_equal(root, "/t/a b");
    delta_free(root);
    assert_int_equal(dlog_root_local_path("memory://x", &root), 0);
    assert_null(root);
}

static void test_deletion_vector_keys(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    commit(s, 0, PROTO, META, ADD("f.parquet"), NULL);
    /* A DELETE attaches a DV: remove (f, none), add (f, dv1). */
    commit(s, 1,
           "{\"remove\":{\"path\":\"f.parquet\",\"dataChange\":true}}",
           "{\"add\":{\"path\":\"f.parquet\",\"partitionValues\":{\"p\":\"x\"},\"size\":1,"
           "\"modificationTime\":1,\"dataChange\":true," DV("dv1") "}}",
           NULL);
    /* Another DELETE replaces the DV. */
    commit(s, 2,
           "{\"remove\":{\"path\":\"f.parquet\",\"dataChange\":true," DV("dv1") "}}",
           "{\"add\":{\"path\":\"f.parquet\",\"partitionValues\":{\"p\":\"x\"},\"size\":1,"
           "\"modificationTime\":1,\"dataChange\":true," DV("dv2") "}}",
           NULL);
    dlog_snapshot *snap = open_ok(s, NULL);
    assert_int_equal(dlog_snapshot_num_files(snap), 1);
    const dlog_live_file *f = dlog_snapshot_find_file(snap, "f.parquet", "udv2@1");
    assert_non_null(f);
    assert_string_equal(f->dv_id, "udv2@1");
    assert_null(dlog_snapshot_find_file(snap, "f.parquet", NULL));
    assert_null(dlog_snapshot_find_file(snap, "f.parquet", "udv1@1"));
    /* Tombstones for (f, none) and (f, dv1): same file, different DVs. */
    assert_int_equal(dmap_count(snap->tombstones), 2);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static void test_txn_and_domains(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    commit(s, 0, PROTO, META, "{\"txn\":{\"appId\":\"a\",\"version\":1}}",
           "{\"txn\":{\"appId\":\"b\",\"version\":7}}",
           "{\"domainMetadata\":{\"domain\":\"d1\",\"configuration\":\"c1\",\"removed\":false}}",
           "{\"domainMetadata\":{\"domain\":\"d2\",\"configuration\":\"c2\",\"removed\":false}}",
           NULL);
    commit(s, 1, "{\"txn\":{\"appId\":\"a\",\"version\":5}}",
           "{\"domainMetadata\":{\"domain\":\"d1\",\"configuration\":\"c1b\",\"removed\":false}}",
           "{\"domainMetadata\":{\"domain\":\"d2\",\"configuration\":\"c2\",\"removed\":true}}",
           NULL);
    /* The protocol lets an application's version go down. */
    commit(s, 2, "{\"txn\":{\"appId\":\"b\",\"version\":3}}", NULL);
    dlog_snapshot *snap = open_ok(s, NULL);
    assert_int_equal(dlog_snapshot_txn_version(snap, "a"), 5);
    assert_int_equal(dlog_snapshot_txn_version(snap, "b"), 3);
    assert_int_equal(dlog_snapshot_txn_version(snap, "c"), -1);
    assert_string_equal(dlog_snapshot_domain(snap, "d1"), "c1b");
    assert_null(dlog_snapshot_domain(snap, "d2"));
    dlog_snapshot_free(snap);
    dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
    o.at_version = 0;
    snap = open_ok(s, &o);
    assert_int_equal(dlog_snapshot_txn_version(snap, "a"), 1);
    assert_string_equal(dlog_snapshot_domain(snap, "d2"), "c2");
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static void test_missing_protocol_metadata_gap(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    commit(s, 0, META, ADD("a"), NULL);
    expect_open_error(s, NULL, DELTA_ECORRUPT, "version 0: the log has no protocol action");
    delta_store_free(s);

    s = mem_store();
    commit(s, 0, PROTO, ADD("a"), NULL);
    expect_open_error(s, NULL, DELTA_ECORRUPT, "version 0: the log has no metaData action");
    delta_store_free(s);

    s = mem_store();
    commit(s, 0, PROTO, META, NULL);
    commit(s, 2, ADD("a"), NULL);
    expect_open_error(s, NULL, DELTA_ECORRUPT, "00000000000000000001.json is missing");
    delta_store_free(s);

    s = mem_store();
    expect_open_error(s, NULL, DELTA_ENOTFOUND, "not a Delta table: no _delta_log at memory://");
    delta_store_free(s);

    /* A malformed action names file, line and field. */
    s = mem_store();
    commit(s, 0, PROTO, META, "{\"add\":{\"path\":\"a\",\"partitionValues\":{},\"size\":1,"
                              "\"dataChange\":true}}", NULL);
    expect_open_error(s, NULL, DELTA_ECORRUPT,
                      "_delta_log/00000000000000000000.json:3: add.modificationTime: required "
                      "field missing");
    delta_store_free(s);

    /* A partition column the schema lacks. */
    s = mem_store();
    commit(s, 0, PROTO,
           "{\"metaData\":{\"id\":\"t\",\"format\":{\"provider\":\"parquet\"},\"schemaString\":"
           "\"" SCHEMA "\",\"partitionColumns\":[\"q\"],\"configuration\":{}}}",
           NULL);
    expect_open_error(s, NULL, DELTA_ECORRUPT, "partition column 'q' is not in the schema");
    delta_store_free(s);
}

static void test_features(void **state)
{
    (void)state;
    struct {
        const char *protocol;
        int rc;
        const char *msg;
    } cases[] = {
        {"{\"protocol\":{\"minReaderVersion\":4,\"minWriterVersion\":7}}", DELTA_EUNSUPPORTED,
         "reader version 4"},
        {"{\"protocol\":{\"minReaderVersion\":99,\"minWriterVersion\":7,\"readerFeatures\":[],"
         "\"writerFeatures\":[]}}",
         DELTA_EUNSUPPORTED, "reader version 99"},
        {"{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":"
         "[\"deletionVectors\",\"catalogManaged\"],\"writerFeatures\":[\"deletionVectors\","
         "\"catalogManaged\"]}}",
         DELTA_EUNSUPPORTED, "reader feature 'catalogManaged'"},
        {"{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7}}", DELTA_ECORRUPT,
         "without readerFeatures"},
        {"{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":"
         "[\"deletionVectors\",\"columnMapping\",\"timestampNtz\",\"v2Checkpoint\","
         "\"typeWidening\",\"typeWidening-preview\",\"vacuumProtocolCheck\"],\"writerFeatures\":"
         "[\"deletionVectors\",\"columnMapping\",\"timestampNtz\",\"v2Checkpoint\","
         "\"typeWidening\",\"typeWidening-preview\",\"vacuumProtocolCheck\",\"domainMetadata\","
         "\"inCommitTimestamp\",\"appendOnly\",\"invariants\",\"checkConstraints\","
         "\"changeDataFeed\",\"generatedColumns\",\"identityColumns\",\"rowTracking\","
         "\"allowColumnDefaults\",\"icebergCompatV1\",\"icebergCompatV2\"]}}",
         0, NULL},
        /* Writer-only features this engine lacks do not stop readers. */
        {"{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":7,\"writerFeatures\":"
         "[\"clustering\"]}}",
         0, NULL},
        {"{\"protocol\":{\"minReaderVersion\":2,\"minWriterVersion\":5}}", 0, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        delta_store *s = mem_store();
        commit(s, 0, cases[i].protocol, META, NULL);
        if (cases[i].rc) {
            expect_open_error(s, NULL, cases[i].rc, cases[i].msg);
        } else {
            dlog_snapshot *snap = open_ok(s, NULL);
            dlog_snapshot_free(snap);
        }
        delta_store_free(s);
    }

    /* The write check also covers writer features and versions. */
    char *clustering[] = {"clustering"};
    dlog_protocol p = {.min_reader_version = 1, .min_writer_version = 7,
                       .has_writer_features = true, .writer_features = clustering,
                       .num_writer_features = 1};
    assert_int_equal(dlog_protocol_check_read(&p), 0);
    assert_int_equal(dlog_protocol_check_write(&p), DELTA_EUNSUPPORTED);
    assert_non_null(strstr(delta_error_last(), "writer feature 'clustering'"));
    dlog_protocol p8 = {.min_reader_version = 1, .min_writer_version = 8};
    assert_int_equal(dlog_protocol_check_write(&p8), DELTA_EUNSUPPORTED);
    assert_true(dlog_feature_supported("rowTracking"));
    assert_false(dlog_feature_supported("variantType"));

    /* Column mapping: honoured only when the protocol supports it. */
    delta_store *s = mem_store();
    commit(s, 0, "{\"protocol\":{\"minReaderVersion\":2,\"minWriterVersion\":5}}",
           META_CONF("\"delta.columnMapping.mode\":\"name\""), NULL);
    dlog_snapshot *snap = open_ok(s, NULL);
    assert_int_equal(snap->column_mapping, DLOG_CM_NAME);
    dlog_snapshot_free(snap);
    delta_store_free(s);
    s = mem_store();
    commit(s, 0, PROTO, META_CONF("\"delta.columnMapping.mode\":\"name\""), NULL);
    snap = open_ok(s, NULL);
    assert_int_equal(snap->column_mapping, DLOG_CM_NONE);
    assert_string_equal(dlog_snapshot_property(snap, "delta.columnMapping.mode"), "name");
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

#define ICT_CONF "\"delta.enableInCommitTimestamps\":\"true\""
#define CI(ts) "{\"commitInfo\":{\"inCommitTimestamp\":" #ts ",\"operation\":\"WRITE\"}}"

static void test_time_travel_ict(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    commit(s, 0, CI(1000), PROTO, META_CONF(ICT_CONF), ADD("a"), NULL);
    commit(s, 1, CI(2000), ADD("b"), NULL);
    commit(s, 2, CI(3000), ADD("c"), NULL);
    commit(s, 3, CI(4000), ADD("d"), NULL);
    dlog_snapshot *snap = open_ok(s, NULL);
    assert_true(snap->timestamp_is_ict);
    assert_int_equal(snap->timestamp_ms, 4000);
    dlog_snapshot_free(snap);

    struct {
        int64_t ts, version;
    } cases[] = {{1000, 0}, {1999, 0}, {2000, 1}, {2500, 1}, {3999, 2}, {4000, 3}, {99999, 3}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
        o.has_timestamp = true;
        o.at_timestamp_ms = cases[i].ts;
        snap = open_ok(s, &o);
        if (snap->version != cases[i].version)
            fail_msg("ts %lld: version %lld, want %lld", (long long)cases[i].ts,
                     (long long)snap->version, (long long)cases[i].version);
        assert_int_equal(dlog_snapshot_num_files(snap), cases[i].version + 1);
        dlog_snapshot_free(snap);
    }
    dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
    o.has_timestamp = true;
    o.at_timestamp_ms = 999;
    expect_open_error(s, &o, DELTA_ENOTFOUND,
                      "no version at timestamp 1970-01-01T00:00:00.999Z: the earliest available "
                      "version 0 was committed at 1970-01-01T00:00:01Z");
    delta_store_free(s);

    /* Enabled at version 2: earlier versions use file times. */
    s = mem_store();
    commit(s, 0, PROTO, META, ADD("a"), NULL);
    commit(s, 1, ADD("b"), NULL);
    commit(s, 2, CI(9000000000000),
           META_CONF(ICT_CONF ",\"delta.inCommitTimestampEnablementVersion\":\"2\","
                              "\"delta.inCommitTimestampEnablementTimestamp\":\"9000000000000\""),
           NULL);
    commit(s, 3, CI(9000000001000), ADD("c"), NULL);
    o.at_timestamp_ms = 9000000000500;
    snap = open_ok(s, &o);
    assert_int_equal(snap->version, 2);
    dlog_snapshot_free(snap);
    /* Before the enablement: the file times of versions 0 and 1 (now). */
    o.at_timestamp_ms = 8999999999999;
    snap = open_ok(s, &o);
    assert_int_equal(snap->version, 1);
    assert_false(snap->timestamp_is_ict);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static void set_mtime(const char *dir, int v, int64_t ms)
{
    char path[512];
    snprintf(path, sizeof path, "%s/_delta_log/%020d.json", dir, v);
    struct timeval tv[2];
    tv[0].tv_sec = tv[1].tv_sec = ms / 1000;
    tv[0].tv_usec = tv[1].tv_usec = (ms % 1000) * 1000;
    assert_int_equal(utimes(path, tv), 0);
}

static void test_time_travel_mtime(void **state)
{
    (void)state;
    char *dir = tmpdir_make("log-tt");
    assert_non_null(dir);
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, dir), 0);
    commit(s, 0, PROTO, META, ADD("a"), NULL);
    commit(s, 1, ADD("b"), NULL);
    commit(s, 2, ADD("c"), NULL);
    set_mtime(dir, 0, 1600000000000);
    set_mtime(dir, 1, 1600000010000);
    /* Out of order on disk: adjusted to 1600000010001. */
    set_mtime(dir, 2, 1600000005000);
    struct {
        int64_t ts, version;
    } cases[] = {{1600000000000, 0}, {1600000009999, 0}, {1600000010000, 1},
                 {1600000010001, 2}, {1700000000000, 2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
        o.has_timestamp = true;
        o.at_timestamp_ms = cases[i].ts;
        dlog_snapshot *snap = open_ok(s, &o);
        if (snap->version != cases[i].version)
            fail_msg("ts %lld: version %lld, want %lld", (long long)cases[i].ts,
                     (long long)snap->version, (long long)cases[i].version);
        dlog_snapshot_free(snap);
    }
    dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
    o.has_timestamp = true;
    o.at_timestamp_ms = 1500000000000;
    expect_open_error(s, &o, DELTA_ENOTFOUND, "earliest available version 0 was committed at "
                                              "2020-09-13T12:26:40Z");
    o.has_timestamp = false;
    o.at_version = 1;
    dlog_snapshot *snap = open_ok(s, &o);
    assert_int_equal(snap->timestamp_ms, 1600000010000);
    dlog_snapshot_free(snap);

    /* Absolute paths inside the table root reconcile with relative ones. */
    dbuf abs = DBUF_INIT;
    dbuf_printf(&abs, "{\"remove\":{\"path\":\"file://%s/a\",\"dataChange\":true}}", dir);
    commit(s, 3, dbuf_cstr(&abs), NULL);
    dbuf_free(&abs);
    o.at_version = -1;
    snap = open_ok(s, &o);
    assert_int_equal(dlog_snapshot_num_files(snap), 2);
    assert_null(dlog_snapshot_find_file(snap, "a", NULL));
    dlog_snapshot_free(snap);

    delta_store_free(s);
    tmpdir_remove(dir);
}

static void test_cleaned_up_and_checkpoints(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    for (int v = 0; v <= 4; v++) {
        char path[32];
        snprintf(path, sizeof path, "f%d", v);
        char line[256];
        snprintf(line, sizeof line,
                 "{\"add\":{\"path\":\"%s\",\"partitionValues\":{\"p\":\"x\"},\"size\":1,"
                 "\"modificationTime\":1,\"dataChange\":true}}",
                 path);
        if (v == 0)
            commit(s, v, PROTO, META, line, NULL);
        else
            commit(s, v, line, NULL);
    }
    /* A damaged Parquet checkpoint at 3 with a _last_checkpoint pointing at
     * it: replay falls back to the JSON commits and says so. */
    put_text(s, "_delta_log/00000000000000000003.checkpoint.parquet", "PAR1");
    put_text(s, "_delta_log/_last_checkpoint", "{\"version\":3,\"size\":5}");
    dlog_snapshot *snap = open_ok(s, NULL);
    assert_int_equal(snap->version, 4);
    assert_int_equal(dlog_snapshot_num_files(snap), 5);
    assert_int_equal(snap->checkpoint_version, -1);
    assert_int_equal(snap->skipped_checkpoint, 3);
    assert_non_null(strstr(snap->skipped_reason, "00000000000000000003.checkpoint.parquet"));
    dlog_snapshot_free(snap);

    /* A corrupt or stale _last_checkpoint is only a hint. */
    put_text(s, "_delta_log/_last_checkpoint", "{\"vers");
    snap = open_ok(s, NULL);
    assert_int_equal(snap->version, 4);
    dlog_snapshot_free(snap);
    put_text(s, "_delta_log/_last_checkpoint", "{\"version\":9}");
    snap = open_ok(s, NULL);
    assert_int_equal(snap->version, 4);
    dlog_snapshot_free(snap);

    /* A JSON v2 checkpoint at 2 is read; with commits 0..2 cleaned up it
     * is the only way to the state. */
    put_text(s, "_delta_log/00000000000000000002.checkpoint.3a0d65cd-4056-49b8-937b-95f9e3ee90e5.json",
             "{\"checkpointMetadata\":{\"version\":2}}\n" PROTO "\n" META "\n"
             "{\"txn\":{\"appId\":\"app\",\"version\":9}}\n"
             "{\"add\":{\"path\":\"f0\",\"partitionValues\":{\"p\":\"x\"},\"size\":1,"
             "\"modificationTime\":1,\"dataChange\":false}}\n"
             "{\"add\":{\"path\":\"f1\",\"partitionValues\":{\"p\":\"x\"},\"size\":1,"
             "\"modificationTime\":1,\"dataChange\":false}}\n"
             "{\"add\":{\"path\":\"f2\",\"partitionValues\":{\"p\":\"x\"},\"size\":1,"
             "\"modificationTime\":1,\"dataChange\":false}}\n");
    for (int v = 0; v <= 2; v++) {
        char key[64];
        snprintf(key, sizeof key, "_delta_log/%020d.json", v);
        assert_int_equal(delta_store_delete(s, key), 0);
    }
    assert_int_equal(delta_store_delete(s, "_delta_log/00000000000000000003.checkpoint.parquet"),
                     0);
    snap = open_ok(s, NULL);
    assert_int_equal(snap->checkpoint_version, 2);
    assert_int_equal(snap->version, 4);
    assert_int_equal(dlog_snapshot_num_files(snap), 5);
    assert_int_equal(dlog_snapshot_txn_version(snap, "app"), 9);
    assert_int_equal(dlog_snapshot_find_file(snap, "f0", NULL)->version, 2);
    dlog_snapshot_free(snap);

    dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
    o.at_version = 1;
    expect_open_error(s, &o, DELTA_ENOTFOUND,
                      "version 1 is no longer available: the log was cleaned up; the earliest "
                      "available version is 2");

    /* Only a damaged Parquet checkpoint covers the start: its error stands. */
    assert_int_equal(
        delta_store_delete(
            s, "_delta_log/00000000000000000002.checkpoint.3a0d65cd-4056-49b8-937b-95f9e3ee90e5.json"),
        0);
    put_text(s, "_delta_log/00000000000000000002.checkpoint.parquet", "PAR1");
    expect_open_error(s, NULL, DELTA_ECORRUPT,
                      "00000000000000000002.checkpoint.parquet: 4 bytes is too small for a "
                      "Parquet file");
    delta_store_free(s);
}

/* Every allocation of a snapshot load can fail cleanly. */
static void test_out_of_memory(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    commit(s, 0, CI(1000), PROTO, META_CONF(ICT_CONF), ADD("a"), ADD("b%20c"),
           "{\"txn\":{\"appId\":\"a\",\"version\":1}}",
           "{\"domainMetadata\":{\"domain\":\"d\",\"configuration\":\"c\",\"removed\":false}}",
           NULL);
    commit(s, 1, CI(2000), REMOVE("a"),
           "{\"add\":{\"path\":\"x\",\"partitionValues\":{\"p\":\"x\"},\"size\":1,"
           "\"modificationTime\":1,\"dataChange\":true," DV("dv") "}}",
           NULL);
    for (long n = 1;; n++) {
        dlog_snapshot *snap = NULL;
        dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
        o.has_timestamp = true;
        o.at_timestamp_ms = 5000;
        delta_alloc_fail_after(n);
        int rc = dlog_snapshot_open(&snap, s, &o);
        delta_alloc_fail_after(0);
        if (rc == 0) {
            assert_int_equal(dlog_snapshot_num_files(snap), 2);
            dlog_snapshot_free(snap);
            break;
        }
        assert_null(snap);
        assert_int_equal(rc, DELTA_ENOMEM);
        assert_true(n < 100000);
    }
    delta_store_free(s);
}

/* A storage failure at any operation is reported (EIO), never a wrong
 * snapshot; failures on the _last_checkpoint hint path fall back. */
static void test_io_faults(void **state)
{
    (void)state;
    delta_store *inner = mem_store();
    commit(inner, 0, PROTO, META, ADD("a"), ADD("b"), NULL);
    commit(inner, 1, REMOVE("a"), ADD("c"), NULL);
    put_text(inner, "_delta_log/00000000000000000001.checkpoint.parquet", "PAR1");
    put_text(inner, "_delta_log/_last_checkpoint", "{\"version\":1}");
    for (uint64_t n = 1;; n++) {
        delta_store *f = NULL;
        assert_int_equal(delta_store_fault_wrap(&f, inner, DELTA_FAULT_FAIL_ONCE, n), 0);
        dlog_snapshot *snap = NULL;
        int rc = dlog_snapshot_open(&snap, f, NULL);
        delta_fault_stats st;
        delta_store_fault_stats(f, &st);
        if (rc == 0) {
            assert_int_equal(snap->version, 1);
            assert_int_equal(dlog_snapshot_num_files(snap), 2);
            assert_non_null(dlog_snapshot_find_file(snap, "c", NULL));
            dlog_snapshot_free(snap);
        } else {
            assert_int_equal(rc, DELTA_EIO);
            assert_null(snap);
        }
        delta_store_free(f);
        if (st.failed == 0)
            break; /* the trigger was past the last operation */
        assert_true(n < 100);
    }
    delta_store_free(inner);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_remove_then_add),
        cmocka_unit_test(test_canonical_paths),
        cmocka_unit_test(test_deletion_vector_keys),
        cmocka_unit_test(test_txn_and_domains),
        cmocka_unit_test(test_missing_protocol_metadata_gap),
        cmocka_unit_test(test_features),
        cmocka_unit_test(test_time_travel_ict),
        cmocka_unit_test(test_time_travel_mtime),
        cmocka_unit_test(test_cleaned_up_and_checkpoints),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_io_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
