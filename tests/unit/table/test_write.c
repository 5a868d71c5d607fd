/*
 * The table write path: property validation and the minimum protocol,
 * statistics JSON (nested structs, string truncation, null counts,
 * millisecond timestamps), and create + write + read through the public
 * API with an Arrow stream, including a refused write that leaves the
 * table at its version.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <delta/table.h>

#include "columnar/arrow.h"
#include "core/alloc.h"
#include "core/error.h"
#include "log/schema.h"
#include "table/props.h"
#include "table/write.h"

static void test_properties(void **state)
{
    (void)state;
    dlog_map m = {0};
    assert_int_equal(dtab_props_set(&m, "autoOptimize.optimizeWrite", "TRUE"), 0);
    assert_string_equal(dlog_map_get(&m, "delta.autoOptimize.optimizeWrite", NULL), "true");
    assert_int_equal(dtab_props_set(&m, "checkpointInterval", "20"), 0);
    assert_string_equal(dlog_map_get(&m, "delta.checkpointInterval", NULL), "20");
    assert_int_equal(dtab_props_set(&m, "delta.checkpointInterval", "0"), DELTA_EINVAL);
    assert_int_equal(dtab_props_set(&m, "delta.nonsense", "1"), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "delta.nonsense"));
    assert_int_equal(dtab_props_set(&m, "delta.logRetentionDuration", "30 days"), 0);
    assert_int_equal(dtab_props_set(&m, "delta.logRetentionDuration", "soon"), DELTA_EINVAL);
    assert_int_equal(dtab_props_set(&m, "delta.targetFileSize", "64mb"), 0);
    assert_int_equal(dtab_props_set(&m, "delta.columnMapping.mode", "name"), DELTA_EUNSUPPORTED);
    assert_int_equal(dtab_props_set(&m, "owner", "analytics"), 0);
    assert_string_equal(dlog_map_get(&m, "owner", NULL), "analytics");
    int64_t b;
    assert_int_equal(dtab_parse_bytes("128mb", &b), 0);
    assert_int_equal(b, 128 << 20);
    assert_int_equal(dtab_parse_bytes("12x", &b), DELTA_EINVAL);
    dlog_map_clear(&m);
}

static dtype *schema_of(const char *json)
{
    dtype *t;
    assert_int_equal(dlog_schema_parse(&t, json, strlen(json)), 0);
    return t;
}

static void test_protocol(void **state)
{
    (void)state;
    dtype *plain = schema_of("{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\","
                             "\"nullable\":true,\"metadata\":{}}]}");
    dtype *ntz = schema_of("{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":"
                           "\"timestamp_ntz\",\"nullable\":true,\"metadata\":{}}]}");
    dlog_map m = {0};
    dlog_protocol p;
    assert_int_equal(dtab_protocol_for(plain, &m, &p), 0);
    assert_int_equal(p.min_reader_version, 1);
    assert_int_equal(p.min_writer_version, 2);
    assert_false(p.has_writer_features);
    dtab_protocol_clear(&p);
    assert_int_equal(dtab_props_set(&m, "delta.enableChangeDataFeed", "true"), 0);
    assert_int_equal(dtab_protocol_for(plain, &m, &p), 0);
    assert_int_equal(p.min_writer_version, 4);
    dtab_protocol_clear(&p);
    assert_int_equal(dtab_protocol_for(ntz, &m, &p), 0);
    assert_int_equal(p.min_reader_version, 3);
    assert_int_equal(p.min_writer_version, 7);
    assert_int_equal(p.num_reader_features, 1);
    assert_string_equal(p.reader_features[0], "timestampNtz");
    assert_int_equal(p.num_writer_features, 2); /* changeDataFeed listed explicitly */
    dtab_protocol_clear(&p);
    dlog_map_clear(&m);
    dtype_unref(plain);
    dtype_unref(ntz);
}

static void test_stats(void **state)
{
    (void)state;
    dtype *t = schema_of(
        "{\"type\":\"struct\",\"fields\":["
        "{\"name\":\"s\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"n\",\"type\":{\"type\":\"struct\",\"fields\":[{\"name\":\"x\",\"type\":"
        "\"integer\",\"nullable\":true,\"metadata\":{}}]},\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"ts\",\"type\":\"timestamp\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"b\",\"type\":\"boolean\",\"nullable\":true,\"metadata\":{}}]}");
    dvec *batch;
    assert_int_equal(dbatch_new(&batch, t), 0);
    const char *longs = "abcdefghijklmnopqrstuvwxyz0123456789";
    assert_int_equal(dvec_append_bytes(batch->children[0], longs, strlen(longs)), 0);
    assert_int_equal(dvec_append_bytes(batch->children[0], "b", 1), 0);
    assert_int_equal(dvec_append_null(batch->children[0]), 0);
    /* n: {x:5}, null, {x:null} */
    dvec *n = batch->children[1];
    assert_int_equal(dvec_append_int(n->children[0], 5), 0);
    assert_int_equal(dvec_end_struct(n), 0);
    assert_int_equal(dvec_append_null(n), 0);
    assert_int_equal(dvec_append_null(n->children[0]), 0);
    assert_int_equal(dvec_end_struct(n), 0);
    assert_int_equal(dvec_append_int(batch->children[2], 1500), 0); /* 1.5 ms */
    assert_int_equal(dvec_append_int(batch->children[2], 1000), 0);
    assert_int_equal(dvec_append_null(batch->children[2]), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(dvec_append_bool(batch->children[3], true), 0);
    assert_int_equal(dbatch_seal(batch), 0);

    dtab_stats *s;
    assert_int_equal(dtab_stats_new(&s, t, 32), 0);
    assert_int_equal(dtab_stats_update(s, batch), 0);
    dbuf out = DBUF_INIT;
    assert_int_equal(dtab_stats_json(s, &out), 0);
    const char *want =
        "{\"numRecords\":3,"
        "\"minValues\":{\"s\":\"abcdefghijklmnopqrstuvwxyz012345\",\"n\":{\"x\":5},"
        "\"ts\":\"1970-01-01T00:00:00.001Z\"},"
        "\"maxValues\":{\"s\":\"b\",\"n\":{\"x\":5},\"ts\":\"1970-01-01T00:00:00.002Z\"},"
        "\"nullCount\":{\"s\":1,\"n\":{\"x\":2},\"ts\":1,\"b\":0}}";
    assert_string_equal(dbuf_cstr(&out), want);
    /* only the first 2 leaf columns indexed */
    dtab_stats *s2;
    assert_int_equal(dtab_stats_new(&s2, t, 2), 0);
    assert_int_equal(dtab_stats_update(s2, batch), 0);
    dbuf_reset(&out);
    assert_int_equal(dtab_stats_json(s2, &out), 0);
    assert_null(strstr(dbuf_cstr(&out), "\"ts\""));
    assert_non_null(strstr(dbuf_cstr(&out), "\"nullCount\":{\"s\":1,\"n\":{\"x\":2}}"));
    dbuf_free(&out);
    dtab_stats_free(s);
    dtab_stats_free(s2);
    dvec_unref(batch);
    dtype_unref(t);
}

static void stream_of(const dtype *t, dvec *batch, struct ArrowArrayStream *out)
{
    dstream *ds;
    assert_int_equal(dstream_from_batches(&ds, t, &batch, 1), 0);
    assert_int_equal(dstream_export(ds, out), 0);
}

static void test_create_write_read(void **state)
{
    (void)state;
    char dir[] = "/tmp/delta-write-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char uri[256];
    snprintf(uri, sizeof uri, "%s/t", dir);
    static const char schema[] =
        "{\"type\":\"struct\",\"fields\":["
        "{\"name\":\"id\",\"type\":\"long\",\"nullable\":false,\"metadata\":{}},"
        "{\"name\":\"p\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}";
    const char *parts[] = {"p"};
    delta_create_options co = DELTA_CREATE_OPTIONS_INIT;
    co.schema_json = schema;
    co.partition_columns = parts;
    co.num_partition_columns = 1;
    bool created;
    assert_int_equal(delta_table_create(uri, &co, &created), 0);
    assert_true(created);
    assert_int_equal(delta_table_create(uri, &co, &created), DELTA_EEXIST);
    co.if_not_exists = true;
    assert_int_equal(delta_table_create(uri, &co, &created), 0);
    assert_false(created);

    /* an input of (id int32, p string): ids widen to long */
    dfield f[2];
    assert_int_equal(dfield_init(&f[0], "ID", dtype_new(DT_INT32), true), 0);
    assert_int_equal(dfield_init(&f[1], "p", dtype_new(DT_STRING), true), 0);
    dtype *it = dtype_new_struct(f, 2);
    dvec *b;
    assert_int_equal(dbatch_new(&b, it), 0);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(dvec_append_int(b->children[0], i), 0);
        if (i % 3 == 2)
            assert_int_equal(dvec_append_null(b->children[1]), 0);
        else
            assert_int_equal(dvec_append_bytes(b->children[1], i % 3 ? "a/b" : "x", i % 3 ? 3 : 1),
                             0);
    }
    assert_int_equal(dbatch_seal(b), 0);
    delta_table *t;
    assert_int_equal(delta_table_open(&t, uri), 0);
    struct ArrowArrayStream s;
    stream_of(it, b, &s);
    delta_write_options wo = DELTA_WRITE_OPTIONS_INIT;
    delta_write_result r;
    assert_int_equal(delta_table_write(t, &s, &wo, &r), 0);
    assert_int_equal(r.version, 1);
    assert_int_equal(r.num_rows, 10);
    assert_int_equal(r.num_files, 3);
    char path[512];
    snprintf(path, sizeof path, "%s/p=a%%2Fb", uri);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/p=__HIVE_DEFAULT_PARTITION__", uri);
    assert_int_equal(access(path, F_OK), 0);

    /* a null in the NOT NULL id: refused, version stays 1 */
    dvec *bad;
    assert_int_equal(dbatch_new(&bad, it), 0);
    assert_int_equal(dvec_append_null(bad->children[0]), 0);
    assert_int_equal(dvec_append_bytes(bad->children[1], "x", 1), 0);
    assert_int_equal(dbatch_seal(bad), 0);
    stream_of(it, bad, &s);
    assert_int_equal(delta_table_write(t, &s, &wo, &r), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "'id' is NOT NULL"));

    delta_snapshot *snap;
    assert_int_equal(delta_table_snapshot(&snap, t, -1, NULL), 0);
    assert_int_equal(delta_snapshot_version(snap), 1);
    assert_int_equal(delta_snapshot_num_files(snap), 3);
    struct ArrowArrayStream rows;
    assert_int_equal(delta_snapshot_scan(snap, NULL, &rows), 0);
    int64_t total = 0;
    struct ArrowArray arr;
    while (rows.get_next(&rows, &arr) == 0 && arr.release) {
        total += arr.length;
        arr.release(&arr);
    }
    rows.release(&rows);
    assert_int_equal(total, 10);
    delta_snapshot_free(snap);
    delta_table_free(t);
    dtype_unref(it);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_lake_names(void **state)
{
    (void)state;
    assert_int_equal(delta_lake_check_name("transactions_2024-v2"), 0);
    assert_int_equal(delta_lake_check_name(".."), DELTA_EINVAL);
    assert_int_equal(delta_lake_check_name("a/b"), DELTA_EINVAL);
    assert_int_equal(delta_lake_check_name(""), DELTA_EINVAL);
    assert_int_equal(delta_lake_check_name("-x"), DELTA_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_properties),        cmocka_unit_test(test_protocol),
        cmocka_unit_test(test_stats),             cmocka_unit_test(test_create_write_read),
        cmocka_unit_test(test_lake_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
