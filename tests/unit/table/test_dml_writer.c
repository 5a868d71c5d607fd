/*
 * The writers DML uses (src/table/write.c): dtab_writer_write_rows (new
 * rows under the table writer's rules: generated columns filled and
 * checked, NOT NULL and CHECK constraints, partitions from the rows'
 * own values, sharing open files with dtab_writer_write), and the change
 * data writer (dtab_writer_new_cdc / dtab_writer_write_cdc: files under
 * _change_data/ with a _change_type column, cdc actions committed and
 * read back). Tables are hand-made logs in memory stores.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "log/snapshot.h"
#include "log/txn.h"
#include "parquet/record_reader.h"
#include "table/scan.h"
#include "table/write.h"

/* id long NOT NULL, amount long, twice long GENERATED (amount * 2),
 * p string (the partition column); CHECK amount > 0. */
static const char LOG0[] =
    "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":4}}\n"
    "{\"metaData\":{\"id\":\"t\",\"format\":{\"provider\":\"parquet\",\"options\":{}},"
    "\"schemaString\":\"{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":["
    "{\\\"name\\\":\\\"id\\\",\\\"type\\\":\\\"long\\\",\\\"nullable\\\":false,\\\"metadata\\\":{}},"
    "{\\\"name\\\":\\\"amount\\\",\\\"type\\\":\\\"long\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}},"
    "{\\\"name\\\":\\\"twice\\\",\\\"type\\\":\\\"long\\\",\\\"nullable\\\":true,\\\"metadata\\\":"
    "{\\\"delta.generationExpression\\\":\\\"amount * 2\\\"}},"
    "{\\\"name\\\":\\\"p\\\",\\\"type\\\":\\\"string\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}}"
    "]}\",\"partitionColumns\":[\"p\"],"
    "\"configuration\":{\"delta.constraints.pos\":\"amount > 0\"}}}\n";

static dlog_snapshot *open_table(const char *uri, delta_store **st)
{
    assert_int_equal(delta_store_open(st, uri), 0);
    assert_int_equal(delta_store_put(*st, "_delta_log/00000000000000000000.json", LOG0,
                                     strlen(LOG0)), 0);
    dlog_snapshot *snap;
    assert_int_equal(dlog_snapshot_open(&snap, *st, NULL), 0);
    return snap;
}

/* Appends a row; twice < 0 means null, p NULL means null. */
static void row(dvec *b, int64_t id, int64_t amount, int64_t twice, const char *p)
{
    assert_int_equal(dvec_append_int(b->children[0], id), 0);
    assert_int_equal(dvec_append_int(b->children[1], amount), 0);
    if (twice < 0)
        assert_int_equal(dvec_append_null(b->children[2]), 0);
    else
        assert_int_equal(dvec_append_int(b->children[2], twice), 0);
    if (p)
        assert_int_equal(dvec_append_bytes(b->children[3], p, strlen(p)), 0);
    else
        assert_int_equal(dvec_append_null(b->children[3]), 0);
}

static const char *pv_of(const dlog_map *m, const char *key)
{
    for (size_t i = 0; i < m->count; i++)
        if (!strcmp(m->items[i].key, key))
            return m->items[i].value;
    return "(absent)";
}

static void test_write_rows(void **state)
{
    (void)state;
    delta_store *st;
    dlog_snapshot *snap = open_table("memory://dml-writer-rows", &st);
    dtab_writer *w;
    assert_int_equal(dtab_writer_new(&w, st, snap, 0), 0);
    dvec *b;
    assert_int_equal(dbatch_new(&b, snap->schema), 0);
    row(b, 1, 10, -1, "a");
    row(b, 2, 20, -1, "b");
    row(b, 3, 30, 60, "a"); /* given and right */
    row(b, 4, 40, -1, NULL);
    assert_int_equal(dbatch_seal(b), 0);
    assert_int_equal(dtab_writer_write_rows(w, b), 0);
    dvec_unref(b);
    /* copied rows of partition a through dtab_writer_write: the same file */
    assert_int_equal(dbatch_new(&b, snap->schema), 0);
    row(b, 5, 50, 100, "ignored");
    assert_int_equal(dbatch_seal(b), 0);
    dlog_kv kv = {"p", "a"};
    dlog_map pv = {&kv, 1, false};
    assert_int_equal(dtab_writer_write(w, &pv, b), 0);
    dvec_unref(b);
    assert_int_equal(dtab_writer_finish(w), 0);
    size_t n;
    dlog_action *adds = dtab_writer_adds(w, &n);
    assert_int_equal(n, 3);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(adds[i].type, DLOG_ACT_ADD);
        const dlog_add *a = &adds[i].u.add;
        const char *p = pv_of(&a->partition_values, "p");
        if (p && !strcmp(p, "a")) {
            assert_non_null(strstr(a->stats, "\"numRecords\":3"));
            assert_int_equal(strncmp(a->path, "p=a/part-", 9), 0);
            seen |= 1;
        } else if (p && !strcmp(p, "b")) {
            assert_non_null(strstr(a->stats, "\"numRecords\":1"));
            seen |= 2;
        } else {
            assert_null(p); /* the null partition */
            assert_int_equal(strncmp(a->path, "p=__HIVE_DEFAULT_PARTITION__/", 29), 0);
            seen |= 4;
        }
    }
    assert_int_equal(seen, 7);
    /* commit and read back: twice filled */
    dlog_tx *tx;
    assert_int_equal(dlog_tx_begin(&tx, st, snap, NULL), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(dlog_tx_stage(tx, &adds[i]), 0);
    assert_int_equal(dlog_tx_set_operation(tx, "WRITE", NULL, NULL), 0);
    dlog_commit_result cr;
    assert_int_equal(dlog_tx_commit(tx, &cr), 0);
    dlog_tx_free(tx);
    dtab_writer_free(w, false);
    dlog_snapshot *s1;
    assert_int_equal(dlog_snapshot_open(&s1, st, NULL), 0);
    dstream *ds;
    dtab_scan_opts o = DTAB_SCAN_OPTS_INIT;
    assert_int_equal(dtab_scan_open(&ds, s1, &o), 0);
    int64_t rows = 0, ids = 0;
    dvec *out;
    while (ds->next(ds, &out) == 0 && out) {
        for (int64_t r = 0; r < out->length; r++) {
            int64_t id = dvec_i64(out->children[0])[r];
            assert_int_equal(dvec_i64(out->children[2])[r], 2 * dvec_i64(out->children[1])[r]);
            assert_int_equal(dvec_i64(out->children[1])[r], 10 * id);
            ids += id;
            rows++;
        }
        dvec_unref(out);
    }
    ds->free(ds);
    assert_int_equal(rows, 5);
    assert_int_equal(ids, 15);
    dlog_snapshot_free(s1);

    /* the rules: each error names the rule and the row, counted across calls */
    static const struct {
        int64_t id, amount, twice;
        bool null_id;
        const char *want;
    } bad[] = {
        {7, 5, -1, true, "column 'id' is NOT NULL but row 3"},
        {7, -5, -1, false, "CHECK constraint pos (amount > 0) violated by row 3"},
        {7, 5, 11, false, "row 3: column 'twice' is generated as amount * 2"},
    };
    for (size_t c = 0; c < sizeof bad / sizeof bad[0]; c++) {
        assert_int_equal(dtab_writer_new(&w, st, snap, 0), 0);
        assert_int_equal(dbatch_new(&b, snap->schema), 0);
        row(b, 1, 1, -1, "x");
        row(b, 2, 2, -1, "y");
        assert_int_equal(dbatch_seal(b), 0);
        assert_int_equal(dtab_writer_write_rows(w, b), 0);
        dvec_unref(b);
        assert_int_equal(dbatch_new(&b, snap->schema), 0);
        row(b, bad[c].id, bad[c].amount, bad[c].twice, "x");
        if (bad[c].null_id) { /* replace id by a null */
            dvec_unref(b->children[0]);
            assert_int_equal(dvec_new(&b->children[0], snap->schema->fields[0].type), 0);
            assert_int_equal(dvec_append_null(b->children[0]), 0);
        }
        assert_int_equal(dbatch_seal(b), 0);
        int rc = dtab_writer_write_rows(w, b);
        dvec_unref(b);
        assert_int_equal(rc, DELTA_EINVAL);
        if (!strstr(delta_error_last(), bad[c].want))
            fail_msg("case %zu: '%s' lacks '%s'", c, delta_error_last(), bad[c].want);
        dtab_writer_free(w, true);
    }
    /* a batch of the wrong shape */
    assert_int_equal(dtab_writer_new(&w, st, snap, 0), 0);
    dvec *one;
    dtype *t = dtype_new_struct(NULL, 0);
    assert_int_equal(dbatch_new(&one, t), 0);
    assert_int_equal(dtab_writer_write_rows(w, one), DELTA_EINVAL);
    assert_int_equal(dtab_writer_write_cdc(w, one, "insert"), DELTA_EINVAL);
    dvec_unref(one);
    dtype_unref(t);
    dtab_writer_free(w, true);
    dlog_snapshot_free(snap);
    delta_store_free(st);
}

/* Reads a change data file: rows as "id:change_type" joined by spaces. */
static void read_cdc(delta_store *st, const char *key, dbuf *out)
{
    pq_reader *r;
    assert_int_equal(pq_reader_open(&r, st, key, NULL), 0);
    const dtype *s = pq_reader_schema(r);
    assert_int_equal(s->num_fields, 4); /* id, amount, twice, _change_type: no p */
    assert_string_equal(s->fields[0].name, "id");
    assert_string_equal(s->fields[2].name, "twice");
    assert_string_equal(s->fields[3].name, "_change_type");
    assert_int_equal(s->fields[3].type->id, DT_STRING);
    dstream *ds;
    assert_int_equal(pq_reader_stream(r, &ds), 0);
    dvec *b;
    while (ds->next(ds, &b) == 0 && b) {
        for (int64_t i = 0; i < b->length; i++) {
            size_t n;
            const uint8_t *p = dvec_bytes(b->children[3], i, &n);
            dbuf_printf(out, "%s%lld:%.*s", out->len ? " " : "",
                        (long long)dvec_i64(b->children[0])[i], (int)n, (const char *)p);
        }
        dvec_unref(b);
    }
    ds->free(ds);
    pq_reader_free(r);
}

static void test_cdc(void **state)
{
    (void)state;
    delta_store *st;
    dlog_snapshot *snap = open_table("memory://dml-writer-cdc", &st);
    dtab_writer *w;
    assert_int_equal(dtab_writer_new_cdc(&w, st, snap), 0);
    dvec *b;
    assert_int_equal(dbatch_new(&b, snap->schema), 0);
    row(b, 1, 10, 20, "a");
    row(b, 2, -3, -1, "b"); /* no checks on change data */
    assert_int_equal(dbatch_seal(b), 0);
    assert_int_equal(dtab_writer_write_cdc(w, b, "update_preimage"), 0);
    dvec_unref(b);
    assert_int_equal(dbatch_new(&b, snap->schema), 0);
    row(b, 1, 11, 22, "a");
    row(b, 3, 30, 60, "a b"); /* escaped folder */
    assert_int_equal(dbatch_seal(b), 0);
    assert_int_equal(dtab_writer_write_cdc(w, b, "update_postimage"), 0);
    assert_int_equal(dtab_writer_write_cdc(w, b, "upsert"), DELTA_EINVAL);
    assert_int_equal(dtab_writer_write_rows(w, b), DELTA_EINVAL);
    dvec_unref(b);
    assert_int_equal(dtab_writer_finish(w), 0);
    size_t n;
    dlog_action *acts = dtab_writer_adds(w, &n);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(acts[i].type, DLOG_ACT_CDC);
        const dlog_cdc *c = &acts[i].u.cdc;
        assert_false(c->data_change);
        assert_true(c->size > 0);
        const char *p = pv_of(&c->partition_values, "p");
        char prefix[64];
        snprintf(prefix, sizeof prefix, "_change_data/p=%s/cdc-", !strcmp(p, "a b") ? "a%20b" : p);
        if (strncmp(c->path, prefix, strlen(prefix)) != 0)
            fail_msg("path %s, want %s...", c->path, prefix);
        assert_non_null(strstr(c->path, ".c000.snappy.parquet"));
        dbuf key = DBUF_INIT, got = DBUF_INIT;
        dbuf_printf(&key, "%.*s", (int)(strlen(c->path)), c->path);
        if (!strcmp(p, "a b")) { /* the key is the unescaped URI path */
            dbuf_reset(&key);
            dbuf_printf(&key, "_change_data/p=a b/%s", strrchr(c->path, '/') + 1);
        }
        read_cdc(st, dbuf_cstr(&key), &got);
        const char *want = !strcmp(p, "a") ? "1:update_preimage 1:update_postimage"
                           : !strcmp(p, "b") ? "2:update_preimage"
                                             : "3:update_postimage";
        assert_string_equal(dbuf_cstr(&got), want);
        dbuf_free(&key);
        dbuf_free(&got);
    }
    /* committed with dlog_tx: cdc lines in the log, the table reads the same */
    dlog_tx *tx;
    assert_int_equal(dlog_tx_begin(&tx, st, snap, NULL), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(dlog_tx_stage(tx, &acts[i]), 0);
    assert_int_equal(dlog_tx_set_operation(tx, "UPDATE", NULL, NULL), 0);
    dlog_commit_result cr;
    assert_int_equal(dlog_tx_commit(tx, &cr), 0);
    assert_int_equal(cr.version, 1);
    dlog_tx_free(tx);
    dtab_writer_free(w, false);
    uint8_t *log;
    size_t len;
    assert_int_equal(delta_store_get(st, "_delta_log/00000000000000000001.json", &log, &len), 0);
    char *text = delta_strndup((const char *)log, len);
    int cdc_lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "{\"cdc\":", 7) != 0)
            continue;
        cdc_lines++;
        assert_non_null(strstr(line, "\"dataChange\":false"));
        assert_non_null(strstr(line, "\"partitionValues\":{\"p\":"));
        assert_non_null(strstr(line, "\"path\":\"_change_data/p="));
    }
    assert_int_equal(cdc_lines, 3);
    delta_free(text);
    delta_free(log);
    dlog_snapshot *s1;
    assert_int_equal(dlog_snapshot_open(&s1, st, NULL), 0);
    assert_int_equal(dlog_snapshot_num_files(s1), 0); /* change data is not table data */
    dlog_snapshot_free(s1);
    dlog_snapshot_free(snap);
    delta_store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_rows),
        cmocka_unit_test(test_cdc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
