/*
 * Log actions: parsing of every action type, required-field and type
 * errors naming file, line and field, unknown fields and actions ignored,
 * NDJSON line handling, serialization round trips, and out-of-memory at
 * every allocation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "log/actions.h"

#define F "_delta_log/00000000000000000003.json"

static int parse(dlog_action *a, const char *line)
{
    return dlog_action_parse(a, line, strlen(line), F, 7);
}

static void test_protocol(void **state)
{
    (void)state;
    dlog_action a;
    assert_int_equal(parse(&a, "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,"
                               "\"readerFeatures\":[\"deletionVectors\"],"
                               "\"writerFeatures\":[\"deletionVectors\",\"appendOnly\"]}}"),
                     0);
    assert_int_equal(a.type, DLOG_ACT_PROTOCOL);
    assert_int_equal(a.u.protocol.min_reader_version, 3);
    assert_int_equal(a.u.protocol.min_writer_version, 7);
    assert_true(a.u.protocol.has_reader_features);
    assert_int_equal(a.u.protocol.num_reader_features, 1);
    assert_string_equal(a.u.protocol.reader_features[0], "deletionVectors");
    assert_int_equal(a.u.protocol.num_writer_features, 2);
    assert_string_equal(a.u.protocol.writer_features[1], "appendOnly");
    dlog_action_clear(&a);

    assert_int_equal(parse(&a, "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}"),
                     0);
    assert_false(a.u.protocol.has_reader_features);
    assert_false(a.u.protocol.has_writer_features);
    dlog_action_clear(&a);
}

static void test_metadata(void **state)
{
    (void)state;
    dlog_action a;
    assert_int_equal(
        parse(&a, "{\"metaData\":{\"id\":\"abc\",\"name\":\"t\",\"format\":{\"provider\":\"parquet\","
                  "\"options\":{\"k\":\"v\"}},\"schemaString\":\"{}\",\"partitionColumns\":[\"p\"],"
                  "\"configuration\":{\"delta.appendOnly\":\"true\",\"n\":null},"
                  "\"createdTime\":1603723990637,\"future\":[1,2]}}"),
        0);
    assert_int_equal(a.type, DLOG_ACT_METADATA);
    dlog_metadata *m = &a.u.metadata;
    assert_string_equal(m->id, "abc");
    assert_string_equal(m->name, "t");
    assert_null(m->description);
    assert_string_equal(m->format_provider, "parquet");
    assert_string_equal(dlog_map_get(&m->format_options, "k", NULL), "v");
    assert_string_equal(m->schema_string, "{}");
    assert_int_equal(m->num_partition_columns, 1);
    assert_string_equal(m->partition_columns[0], "p");
    assert_string_equal(dlog_map_get(&m->configuration, "delta.appendOnly", NULL), "true");
    bool found = false;
    assert_null(dlog_map_get(&m->configuration, "n", &found));
    assert_true(found);
    assert_null(dlog_map_get(&m->configuration, "zz", &found));
    assert_false(found);
    assert_true(m->has_created_time);
    assert_int_equal(m->created_time, 1603723990637LL);
    dlog_action_clear(&a);
    /* Old writers left schemaString out: the action parses (log
     * inspection works) and snapshots refuse it (test_snapshot). */
    assert_int_equal(parse(&a, "{\"metaData\":{\"id\":\"x\",\"format\":{\"provider\":"
                               "\"parquet\"},\"partitionColumns\":[],\"configuration\":{}}}"),
                     0);
    assert_null(a.u.metadata.schema_string);
    dlog_action_clear(&a);
}

static void test_add_remove(void **state)
{
    (void)state;
    dlog_action a;
    assert_int_equal(
        parse(&a, "{\"add\":{\"path\":\"p%20x/f.parquet\",\"partitionValues\":{\"p\":\"x\",\"q\":null},"
                  "\"size\":841454,\"modificationTime\":1512909768000,\"dataChange\":true,"
                  "\"stats\":\"{\\\"numRecords\\\":1}\",\"tags\":{\"t\":\"1\"},"
                  "\"deletionVector\":{\"storageType\":\"u\",\"pathOrInlineDv\":\"ab^-aqEH.-t@S}K{vb[*k^\","
                  "\"offset\":4,\"sizeInBytes\":40,\"cardinality\":6},\"baseRowId\":4071,"
                  "\"defaultRowCommitVersion\":41,\"clusteringProvider\":\"liquid\"}}"),
        0);
    assert_int_equal(a.type, DLOG_ACT_ADD);
    dlog_add *f = &a.u.add;
    assert_string_equal(f->path, "p%20x/f.parquet");
    assert_int_equal(f->partition_values.count, 2);
    assert_null(dlog_map_get(&f->partition_values, "q", NULL));
    assert_int_equal(f->size, 841454);
    assert_int_equal(f->modification_time, 1512909768000LL);
    assert_true(f->data_change);
    assert_string_equal(f->stats, "{\"numRecords\":1}");
    assert_string_equal(dlog_map_get(&f->tags, "t", NULL), "1");
    assert_true(f->has_dv);
    assert_int_equal(f->dv.storage_type, 'u');
    assert_true(f->dv.has_offset);
    assert_int_equal(f->dv.offset, 4);
    assert_int_equal(f->dv.size_in_bytes, 40);
    assert_int_equal(f->dv.cardinality, 6);
    dbuf id = DBUF_INIT;
    assert_int_equal(dlog_dv_unique_id(&f->dv, &id), 0);
    assert_string_equal(dbuf_cstr(&id), "uab^-aqEH.-t@S}K{vb[*k^@4");
    dbuf_free(&id);
    assert_true(f->has_base_row_id);
    assert_int_equal(f->base_row_id, 4071);
    assert_int_equal(f->default_row_commit_version, 41);
    assert_string_equal(f->clustering_provider, "liquid");
    dlog_action_clear(&a);

    assert_int_equal(parse(&a, "{\"remove\":{\"path\":\"f\",\"deletionTimestamp\":1515488792485,"
                               "\"dataChange\":true,\"extendedFileMetadata\":true,"
                               "\"partitionValues\":{},\"size\":1,"
                               "\"deletionVector\":{\"storageType\":\"i\",\"pathOrInlineDv\":"
                               "\"wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L\","
                               "\"sizeInBytes\":40,\"cardinality\":6}}}"),
                     0);
    assert_int_equal(a.type, DLOG_ACT_REMOVE);
    assert_true(a.u.remove.has_deletion_timestamp);
    assert_int_equal(a.u.remove.deletion_timestamp, 1515488792485LL);
    assert_true(a.u.remove.extended_file_metadata);
    assert_true(a.u.remove.has_size);
    assert_false(a.u.remove.dv.has_offset);
    id = (dbuf)DBUF_INIT;
    assert_int_equal(dlog_dv_unique_id(&a.u.remove.dv, &id), 0);
    assert_string_equal(dbuf_cstr(&id), "iwi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L");
    dbuf_free(&id);
    dlog_action_clear(&a);
}

static void test_other_actions(void **state)
{
    (void)state;
    dlog_action a;
    assert_int_equal(parse(&a, "{\"txn\":{\"appId\":\"app\",\"version\":364475,\"lastUpdated\":5}}"),
                     0);
    assert_int_equal(a.type, DLOG_ACT_TXN);
    assert_string_equal(a.u.txn.app_id, "app");
    assert_int_equal(a.u.txn.version, 364475);
    assert_true(a.u.txn.has_last_updated);
    dlog_action_clear(&a);

    assert_int_equal(parse(&a, "{\"domainMetadata\":{\"domain\":\"delta.rowTracking\","
                               "\"configuration\":\"{\\\"rowIdHighWaterMark\\\":4}\","
                               "\"removed\":false}}"),
                     0);
    assert_int_equal(a.type, DLOG_ACT_DOMAIN_METADATA);
    assert_string_equal(a.u.domain_metadata.configuration, "{\"rowIdHighWaterMark\":4}");
    assert_false(a.u.domain_metadata.removed);
    dlog_action_clear(&a);

    assert_int_equal(parse(&a, "{\"cdc\":{\"path\":\"_change_data/c.parquet\",\"partitionValues\":{},"
                               "\"size\":1213,\"dataChange\":false}}"),
                     0);
    assert_int_equal(a.type, DLOG_ACT_CDC);
    assert_int_equal(a.u.cdc.size, 1213);
    dlog_action_clear(&a);

    assert_int_equal(parse(&a, "{\"checkpointMetadata\":{\"version\":1,\"tags\":{}}}"), 0);
    assert_int_equal(a.type, DLOG_ACT_CHECKPOINT_METADATA);
    assert_int_equal(a.u.checkpoint_metadata.version, 1);
    dlog_action_clear(&a);

    assert_int_equal(parse(&a, "{\"sidecar\":{\"path\":\"s.parquet\",\"sizeInBytes\":2304522,"
                               "\"modificationTime\":1512909768000,\"tags\":{}}}"),
                     0);
    assert_int_equal(a.type, DLOG_ACT_SIDECAR);
    assert_int_equal(a.u.sidecar.size_in_bytes, 2304522);
    dlog_action_clear(&a);
}

/* The commitInfo of the golden deltalog-commit-info table, whole. */
static const char *commit_info_line =
    "{\"commitInfo\":{\"timestamp\":1540415658000,\"userId\":\"user_0\",\"userName\":"
    "\"username_0\",\"operation\":\"WRITE\",\"operationParameters\":{\"test\":\"test\"},"
    "\"job\":{\"jobId\":\"job_id_0\",\"jobName\":\"job_name_0\",\"runId\":\"run_id_0\","
    "\"jobOwnerId\":\"job_owner_0\",\"triggerType\":\"trigger_type_0\"},\"notebook\":"
    "{\"notebookId\":\"notebook_id_0\"},\"clusterId\":\"cluster_id_0\",\"readVersion\":-1,"
    "\"isolationLevel\":\"default\",\"isBlindAppend\":true,\"operationMetrics\":{\"test\":"
    "\"test\"},\"userMetadata\":\"foo\"}}";

static void test_commit_info(void **state)
{
    (void)state;
    dlog_action a;
    assert_int_equal(parse(&a, commit_info_line), 0);
    assert_int_equal(a.type, DLOG_ACT_COMMIT_INFO);
    assert_true(a.u.commit_info.has_timestamp);
    assert_int_equal(a.u.commit_info.timestamp, 1540415658000LL);
    assert_false(a.u.commit_info.has_in_commit_timestamp);
    assert_string_equal(a.u.commit_info.operation, "WRITE");
    /* Every field is kept, in order. */
    const char *inner = strchr(commit_info_line, ':') + 1;
    size_t n = strlen(inner) - 1;
    assert_int_equal(strlen(a.u.commit_info.json), n);
    assert_memory_equal(a.u.commit_info.json, inner, n);
    dbuf out = DBUF_INIT;
    assert_int_equal(dlog_action_serialize(&a, &out), 0);
    assert_string_equal(dbuf_cstr(&out), commit_info_line);
    dbuf_free(&out);
    dlog_action_clear(&a);

    assert_int_equal(parse(&a, "{\"commitInfo\":{\"inCommitTimestamp\":1700000000123}}"), 0);
    assert_true(a.u.commit_info.has_in_commit_timestamp);
    assert_int_equal(a.u.commit_info.in_commit_timestamp, 1700000000123LL);
    dlog_action_clear(&a);
}

static void expect_error(const char *line, int code, const char *msg)
{
    dlog_action a;
    assert_int_equal(parse(&a, line), code);
    assert_int_equal(a.type, DLOG_ACT_NONE);
    if (!strstr(delta_error_last(), msg))
        fail_msg("message '%s' lacks '%s'", delta_error_last(), msg);
}

static void test_errors_name_file_line_field(void **state)
{
    (void)state;
    expect_error("{\"add\":{\"path\":\"f\",\"partitionValues\":{},\"modificationTime\":1,"
                 "\"dataChange\":true}}",
                 DELTA_ECORRUPT, F ":7: add.size: required field missing");
    expect_error("{\"add\":{\"path\":\"f\",\"partitionValues\":{},\"size\":\"12\","
                 "\"modificationTime\":1,\"dataChange\":true}}",
                 DELTA_ECORRUPT, F ":7: add.size: expected an integer");
    expect_error("{\"add\":{\"path\":\"f\",\"partitionValues\":{\"p\":1},\"size\":1,"
                 "\"modificationTime\":1,\"dataChange\":true}}",
                 DELTA_ECORRUPT, "add.partitionValues: value of 'p' is not a string");
    expect_error("{\"metaData\":{\"id\":\"x\",\"format\":{},\"schemaString\":\"{}\","
                 "\"partitionColumns\":[],\"configuration\":{}}}",
                 DELTA_ECORRUPT, "metaData.format.provider: required field missing");
    expect_error("{\"protocol\":{\"minReaderVersion\":1}}", DELTA_ECORRUPT,
                 "protocol.minWriterVersion: required field missing");
    expect_error("{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2,"
                 "\"readerFeatures\":[1]}}",
                 DELTA_ECORRUPT, "protocol.readerFeatures: expected an array of strings");
    expect_error("{\"remove\":{\"path\":\"f\"}}", DELTA_ECORRUPT,
                 "remove.dataChange: required field missing");
    expect_error("{\"txn\":{\"version\":1}}", DELTA_ECORRUPT, "txn.appId: required field missing");
    expect_error("{\"add\":{\"path\":\"f\",\"partitionValues\":{},\"size\":1,\"modificationTime\":1,"
                 "\"dataChange\":true,\"deletionVector\":{\"storageType\":\"x\","
                 "\"pathOrInlineDv\":\"a\",\"sizeInBytes\":1,\"cardinality\":1}}}",
                 DELTA_ECORRUPT, "add.deletionVector.storageType");
    expect_error("{\"add\":", DELTA_ECORRUPT, F ":7: invalid JSON");
    expect_error("[1]", DELTA_ECORRUPT, "must be a JSON object");
    expect_error("{\"add\":[]}", DELTA_ECORRUPT, "add: expected an object");
}

static void test_unknown_ignored(void **state)
{
    (void)state;
    dlog_action a;
    assert_int_equal(parse(&a, "{\"futureAction\":{\"x\":1}}"), 0);
    assert_int_equal(a.type, DLOG_ACT_NONE);
    assert_int_equal(parse(&a, "{\"txn\":{\"appId\":\"a\",\"version\":2,\"newField\":{\"deep\":[]}}}"),
                     0);
    assert_int_equal(a.type, DLOG_ACT_TXN);
    dlog_action_clear(&a);
    /* A checkpoint-style row with null columns for the other actions. */
    assert_int_equal(parse(&a, "{\"add\":null,\"txn\":{\"appId\":\"a\",\"version\":2}}"), 0);
    assert_int_equal(a.type, DLOG_ACT_TXN);
    dlog_action_clear(&a);
}

typedef struct collected {
    int n;
    dlog_action_type types[8];
    size_t lines[8];
} collected;

static int collect(void *ctx, dlog_action *a, size_t line)
{
    collected *c = ctx;
    c->types[c->n] = a->type;
    c->lines[c->n] = line;
    c->n++;
    return 0;
}

static void test_ndjson(void **state)
{
    (void)state;
    const char *text = "{\"commitInfo\":{}}\r\n"
                       "\n"
                       "   \n"
                       "{\"unknown\":{}}\n"
                       "{\"txn\":{\"appId\":\"a\",\"version\":1}}\n"
                       "{\"remove\":{\"path\":\"f\",\"dataChange\":true}}";
    collected c = {0};
    assert_int_equal(dlog_parse_ndjson(F, (const uint8_t *)text, strlen(text), collect, &c), 0);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.types[0], DLOG_ACT_COMMIT_INFO);
    assert_int_equal(c.types[1], DLOG_ACT_TXN);
    assert_int_equal(c.lines[1], 5);
    assert_int_equal(c.types[2], DLOG_ACT_REMOVE);
    assert_int_equal(c.lines[2], 6);

    const char *bad = "{\"txn\":{\"appId\":\"a\",\"version\":1}}\n{\"txn\":{\"appId\":\"a\"}}\n";
    c.n = 0;
    assert_int_equal(dlog_parse_ndjson(F, (const uint8_t *)bad, strlen(bad), collect, &c),
                     DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), F ":2: txn.version: required field missing"));
    assert_int_equal(c.n, 1);

    c.n = 0;
    assert_int_equal(dlog_parse_ndjson(F, (const uint8_t *)"", 0, collect, &c), 0);
    assert_int_equal(c.n, 0);
}

static const char *round_trip_lines[] = {
    "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":"
    "[\"deletionVectors\"],\"writerFeatures\":[\"deletionVectors\"]}}",
    "{\"metaData\":{\"id\":\"id\",\"name\":\"n\",\"description\":\"d\",\"format\":{\"provider\":"
    "\"parquet\",\"options\":{}},\"schemaString\":\"{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":[]}\","
    "\"partitionColumns\":[\"a\"],\"configuration\":{\"k\":\"v\"},\"createdTime\":5}}",
    "{\"add\":{\"path\":\"a=1/f%20g.parquet\",\"partitionValues\":{\"a\":\"1\",\"b\":null},"
    "\"size\":10,\"modificationTime\":20,\"dataChange\":false,\"stats\":\"{}\",\"tags\":"
    "{\"x\":\"y\"},\"deletionVector\":{\"storageType\":\"u\",\"pathOrInlineDv\":\"abc\","
    "\"offset\":1,\"sizeInBytes\":2,\"cardinality\":3},\"baseRowId\":7,"
    "\"defaultRowCommitVersion\":8,\"clusteringProvider\":\"liquid\"}}",
    "{\"remove\":{\"path\":\"f\",\"deletionTimestamp\":5,\"dataChange\":true,"
    "\"extendedFileMetadata\":true,\"partitionValues\":{},\"size\":1}}",
    "{\"txn\":{\"appId\":\"a\",\"version\":3,\"lastUpdated\":4}}",
    "{\"domainMetadata\":{\"domain\":\"d\",\"configuration\":\"{}\",\"removed\":true}}",
    "{\"cdc\":{\"path\":\"c\",\"partitionValues\":{},\"size\":1,\"dataChange\":false}}",
    "{\"checkpointMetadata\":{\"version\":2,\"tags\":{}}}",
    "{\"sidecar\":{\"path\":\"s\",\"sizeInBytes\":1,\"modificationTime\":2,\"tags\":{}}}",
    "{\"commitInfo\":{\"inCommitTimestamp\":12,\"timestamp\":11,\"operation\":\"WRITE\"}}",
};

static void test_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof round_trip_lines / sizeof round_trip_lines[0]; i++) {
        dlog_action a;
        assert_int_equal(parse(&a, round_trip_lines[i]), 0);
        dbuf out = DBUF_INIT;
        assert_int_equal(dlog_action_serialize(&a, &out), 0);
        if (strcmp(dbuf_cstr(&out), round_trip_lines[i]) != 0)
            fail_msg("round trip\n  in:  %s\n  out: %s", round_trip_lines[i], dbuf_cstr(&out));
        dbuf_free(&out);
        dlog_action_clear(&a);
    }
    dlog_action none = {0};
    dbuf out = DBUF_INIT;
    assert_int_equal(dlog_action_serialize(&none, &out), DELTA_EINVAL);
    dbuf_free(&out);
}

/* Every allocation of a parse and a serialization can fail cleanly. */
static void test_out_of_memory(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof round_trip_lines / sizeof round_trip_lines[0]; i++) {
        for (long n = 1;; n++) {
            dlog_action a;
            dbuf out = DBUF_INIT;
            delta_alloc_fail_after(n);
            int rc = parse(&a, round_trip_lines[i]);
            if (rc == 0)
                rc = dlog_action_serialize(&a, &out);
            delta_alloc_fail_after(0);
            dbuf_free(&out);
            dlog_action_clear(&a);
            if (rc == 0)
                break;
            assert_int_equal(rc, DELTA_ENOMEM);
            assert_true(n < 1000);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_protocol),
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_add_remove),
        cmocka_unit_test(test_other_actions),
        cmocka_unit_test(test_commit_info),
        cmocka_unit_test(test_errors_name_file_line_field),
        cmocka_unit_test(test_unknown_ignored),
        cmocka_unit_test(test_ndjson),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
