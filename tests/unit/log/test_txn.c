/*
 * Transactions: the commit file (commitInfo first with its fields, staged
 * actions after), creating and appending, optimistic retries, each kind of
 * logical conflict and the isolation levels, in-commit timestamps, staging
 * and protocol checks, then crash safety (a simulated crash at every
 * storage operation of a racing commit leaves exactly the committed
 * versions) and allocation failure at every allocation of a commit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "log/log.h"
#include "storage/tmpdir.h"
#include "log/txn_helpers.h"

static int next_space;

static delta_store *mem_store(void)
{
    char uri[64];
    snprintf(uri, sizeof uri, "memory://txn-test-%d", next_space++);
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, uri), 0);
    return s;
}

/* Line `n` (1-based) of commit `v` as a JSON tree. */
static json_t *commit_line(delta_store *s, int64_t v, int n)
{
    char key[40];
    dlog_commit_key(key, v);
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal(delta_store_get(s, key, &data, &len), 0);
    const char *p = (const char *)data, *end = p + len;
    for (int i = 1; i < n && p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    json_error_t jerr;
    json_t *j = json_loadb(p, nl ? (size_t)(nl - p) : (size_t)(end - p), 0, &jerr);
    delta_free(data);
    if (!j)
        fail_msg("commit %lld line %d: %s", (long long)v, n, jerr.text);
    return j;
}

static void expect_conflict(dlog_tx *tx, const char *msg1, const char *msg2)
{
    int rc = dlog_tx_commit(tx, NULL);
    if (rc != DELTA_ECONFLICT || !strstr(delta_error_last(), msg1) ||
        (msg2 && !strstr(delta_error_last(), msg2)))
        fail_msg("expected ECONFLICT '%s' '%s', got %s '%s'", msg1, msg2 ? msg2 : "",
                 delta_error_name(rc), delta_error_last());
}

static void test_create_and_commit_info(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    dlog_tx *tx = NULL;
    assert_int_equal(dlog_tx_begin(&tx, s, NULL, NULL), 0);
    assert_int_equal(dlog_tx_read_version(tx), -1);
    assert_int_equal(dlog_tx_set_operation(tx, "CREATE TABLE", "{\"mode\":\"ErrorIfExists\"}",
                                           "{\"numFiles\":\"1\"}"),
                     0);
    th_stage(tx, TH_PROTO);
    th_stage(tx, TH_META);
    th_add(tx, "p=x/a.parquet", "x", true);
    dlog_commit_result r;
    assert_int_equal(dlog_tx_commit(tx, &r), 0);
    assert_int_equal(r.version, 0);
    assert_int_equal(r.attempts, 1);
    dlog_tx_free(tx);

    json_t *l1 = commit_line(s, 0, 1);
    json_t *ci = json_object_get(l1, "commitInfo");
    assert_non_null(ci);
    assert_string_equal(json_string_value(json_object_get(ci, "operation")), "CREATE TABLE");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(ci, "operationParameters"), "mode")),
                        "ErrorIfExists");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(ci, "operationMetrics"), "numFiles")),
                        "1");
    assert_string_equal(json_string_value(json_object_get(ci, "isolationLevel")),
                        "WriteSerializable");
    assert_true(json_is_false(json_object_get(ci, "isBlindAppend"))); /* metadata change */
    assert_null(json_object_get(ci, "readVersion"));
    assert_null(json_object_get(ci, "inCommitTimestamp"));
    assert_int_equal(json_integer_value(json_object_get(ci, "timestamp")), r.timestamp_ms);
    char engine[64];
    snprintf(engine, sizeof engine, "libdelta/%s", delta_version());
    assert_string_equal(json_string_value(json_object_get(ci, "engineInfo")), engine);
    assert_int_equal(strlen(json_string_value(json_object_get(ci, "txnId"))), 36);
    json_decref(l1);
    /* the staged actions follow in order */
    json_t *l2 = commit_line(s, 0, 2), *l3 = commit_line(s, 0, 3), *l4 = commit_line(s, 0, 4);
    assert_non_null(json_object_get(l2, "protocol"));
    assert_non_null(json_object_get(l3, "metaData"));
    assert_non_null(json_object_get(l4, "add"));
    json_decref(l2);
    json_decref(l3);
    json_decref(l4);

    /* a blind append reads version 0 and says so */
    assert_int_equal(th_append(s, "p=y/b.parquet", "y"), 1);
    json_t *l = commit_line(s, 1, 1);
    ci = json_object_get(l, "commitInfo");
    assert_int_equal(json_integer_value(json_object_get(ci, "readVersion")), 0);
    assert_true(json_is_true(json_object_get(ci, "isBlindAppend")));
    assert_string_equal(json_string_value(json_object_get(ci, "operation")), "WRITE");
    char *params = json_dumps(json_object_get(ci, "operationParameters"), JSON_COMPACT);
    assert_string_equal(params, "{}");
    free(params);
    json_decref(l);

    dlog_snapshot *snap = th_open(s);
    assert_int_equal(snap->version, 1);
    assert_int_equal(dlog_snapshot_num_files(snap), 2);
    assert_non_null(dlog_snapshot_find_file(snap, "p=y/b.parquet", NULL));
    assert_string_equal(snap->commit_info.operation, "WRITE");
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static void test_blind_appends_retry(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    th_create(s, TH_META, 1);
    dlog_snapshot *snap = th_open(s);
    dlog_tx *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(dlog_tx_begin(&a, s, snap, NULL), 0);
    assert_int_equal(dlog_tx_begin(&b, s, snap, NULL), 0);
    assert_int_equal(dlog_tx_begin(&c, s, snap, NULL), 0);
    th_add(a, "a", "x", true);
    th_add(b, "b", "x", true);
    th_add(c, "c", "y", true);
    assert_true(dlog_tx_is_blind_append(a));
    dlog_commit_result r;
    assert_int_equal(dlog_tx_commit(a, &r), 0);
    assert_int_equal(r.version, 1);
    assert_int_equal(dlog_tx_commit(b, &r), 0);
    assert_int_equal(r.version, 2);
    assert_int_equal(r.attempts, 2);
    assert_int_equal(dlog_tx_commit(c, &r), 0);
    assert_int_equal(r.version, 3);
    assert_int_equal(r.attempts, 2); /* both winners checked after one miss */
    /* a transaction is used once */
    assert_int_equal(dlog_tx_commit(c, &r), DELTA_EINVAL);
    dlog_tx_free(a);
    dlog_tx_free(b);
    dlog_tx_free(c);
    dlog_snapshot_free(snap);
    /* readVersion stays the version read */
    json_t *l = commit_line(s, 3, 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(l, "commitInfo"),
                                                        "readVersion")),
                     0);
    json_decref(l);
    snap = th_open(s);
    assert_int_equal(dlog_snapshot_num_files(snap), 4);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static void test_delete_delete_conflict(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    th_create(s, TH_META, 3);
    dlog_snapshot *snap = th_open(s);
    const dlog_live_file *f1 = dlog_snapshot_find_file(snap, "f1", NULL);
    assert_non_null(f1);
    dlog_tx *a = NULL, *b = NULL;
    assert_int_equal(dlog_tx_begin(&a, s, snap, NULL), 0);
    assert_int_equal(dlog_tx_begin(&b, s, snap, NULL), 0);
    assert_int_equal(dlog_tx_set_operation(a, "DELETE", NULL, NULL), 0);
    assert_int_equal(dlog_tx_remove_file(a, f1, true), 0);
    assert_int_equal(dlog_tx_remove_file(b, f1, true), 0);
    th_add(b, "g", "x", true);
    assert_false(dlog_tx_is_blind_append(b));
    assert_int_equal(th_commit(a), 1);
    expect_conflict(b, "concurrent commit at version 1 (DELETE)",
                    "removed file 'f1' which this transaction read");
    dlog_tx_free(a);
    dlog_tx_free(b);
    dlog_snapshot_free(snap);
    /* the loser published nothing */
    snap = th_open(s);
    assert_int_equal(snap->version, 1);
    assert_int_equal(dlog_snapshot_num_files(snap), 2);
    assert_null(dlog_snapshot_find_file(snap, "g", NULL));
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static void test_delete_read_conflict(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    th_create(s, TH_META, 3);
    dlog_snapshot *snap = th_open(s);
    dlog_tx *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(dlog_tx_begin(&a, s, snap, NULL), 0);
    assert_int_equal(dlog_tx_begin(&b, s, snap, NULL), 0);
    assert_int_equal(dlog_tx_begin(&c, s, snap, NULL), 0);
    assert_int_equal(dlog_tx_remove_file(a, dlog_snapshot_find_file(snap, "f2", NULL), true),
                     0);
    /* b read f2 under another spelling, c read f0 only */
    assert_int_equal(dlog_tx_read_file(b, "./f2"), 0);
    th_add(b, "b-out", "x", true);
    assert_int_equal(dlog_tx_read_file(c, "f0"), 0);
    th_add(c, "c-out", "x", true);
    assert_int_equal(th_commit(a), 1);
    expect_conflict(b, "version 1", "removed file 'f2' which this transaction read");
    assert_int_equal(th_commit(c), 2);
    dlog_tx_free(a);
    dlog_tx_free(b);
    dlog_tx_free(c);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static bool part_is(void *ctx, const dlog_add *add)
{
    const char *v = dlog_map_get(&add->partition_values, "p", NULL);
    return v && strcmp(v, ctx) == 0;
}

/* A non-blind winner (it read f0 and rewrote it) adds a file in p=x. */
static void commit_rewrite(delta_store *s, dlog_snapshot *snap, const char *part)
{
    dlog_tx *w = NULL;
    assert_int_equal(dlog_tx_begin(&w, s, snap, NULL), 0);
    assert_int_equal(dlog_tx_set_operation(w, "UPDATE", NULL, NULL), 0);
    assert_int_equal(dlog_tx_remove_file(w, dlog_snapshot_find_file(snap, "f0", NULL), true), 0);
    th_add(w, "rewritten", part, true);
    th_commit(w);
    dlog_tx_free(w);
}

static void test_concurrent_append_predicates(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    th_create(s, TH_META, 2);
    dlog_snapshot *snap = th_open(s);
    dlog_tx *hit = NULL, *miss = NULL;
    assert_int_equal(dlog_tx_begin(&hit, s, snap, NULL), 0);
    assert_int_equal(dlog_tx_begin(&miss, s, snap, NULL), 0);
    assert_int_equal(dlog_tx_read_predicate(hit, part_is, "x", "p = 'x'"), 0);
    th_add(hit, "h", "x", true);
    assert_int_equal(dlog_tx_read_predicate(miss, part_is, "y", "p = 'y'"), 0);
    th_add(miss, "m", "y", true);
    commit_rewrite(s, snap, "x");
    expect_conflict(hit, "version 1 (UPDATE) added file 'rewritten' matching p = 'x'", NULL);
    assert_int_equal(th_commit(miss), 2);
    dlog_tx_free(hit);
    dlog_tx_free(miss);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

/* A blind-append winner: under WriteSerializable its adds do not conflict
 * with a reader of the same partition or of the whole table; under
 * Serializable they do. Adds without dataChange never do. */
static void test_isolation_levels(void **state)
{
    (void)state;
    for (int iso = 0; iso < 2; iso++) {
        for (int whole = 0; whole < 2; whole++) {
            delta_store *s = mem_store();
            th_create(s, TH_META, 1);
            dlog_snapshot *snap = th_open(s);
            dlog_tx_opts o = DLOG_TX_OPTS_INIT;
            o.isolation = iso ? DLOG_SERIALIZABLE : DLOG_WRITE_SERIALIZABLE;
            dlog_tx *t = NULL;
            assert_int_equal(dlog_tx_begin(&t, s, snap, &o), 0);
            if (whole)
                dlog_tx_read_whole_table(t);
            else
                assert_int_equal(dlog_tx_read_predicate(t, part_is, "x", "p = 'x'"), 0);
            th_add(t, "mine", "x", true);
            assert_int_equal(th_append(s, "blind", "x"), 1);
            if (iso) {
                expect_conflict(t, "version 1 (WRITE) added file 'blind'", NULL);
                json_t *l = commit_line(s, 1, 1);
                json_decref(l);
            } else {
                assert_int_equal(th_commit(t), 2);
                json_t *l = commit_line(s, 2, 1);
                assert_string_equal(json_string_value(json_object_get(
                                        json_object_get(l, "commitInfo"), "isolationLevel")),
                                    "WriteSerializable");
                json_decref(l);
            }
            dlog_tx_free(t);
            dlog_snapshot_free(snap);
            delta_store_free(s);
        }
    }
    /* dataChange=false adds (compaction output) never conflict with reads */
    delta_store *s = mem_store();
    th_create(s, TH_META, 1);
    dlog_snapshot *snap = th_open(s);
    dlog_tx_opts o = DLOG_TX_OPTS_INIT;
    o.isolation = DLOG_SERIALIZABLE;
    dlog_tx *t = NULL, *w = NULL;
    assert_int_equal(dlog_tx_begin(&t, s, snap, &o), 0);
    assert_int_equal(dlog_tx_read_predicate(t, part_is, "x", "p = 'x'"), 0);
    th_add(t, "mine", "x", true);
    assert_int_equal(dlog_tx_begin(&w, s, snap, NULL), 0);
    th_add(w, "compacted", "x", false);
    assert_false(dlog_tx_is_blind_append(w));
    assert_int_equal(th_commit(w), 1);
    assert_int_equal(th_commit(t), 2);
    dlog_tx_free(t);
    dlog_tx_free(w);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static void test_whole_table_read_vs_remove(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    th_create(s, TH_META, 2);
    dlog_snapshot *snap = th_open(s);
    dlog_tx *t = NULL, *w = NULL;
    assert_int_equal(dlog_tx_begin(&t, s, snap, NULL), 0);
    dlog_tx_read_whole_table(t);
    th_add(t, "mine", "x", true);
    assert_int_equal(dlog_tx_begin(&w, s, snap, NULL), 0);
    assert_int_equal(dlog_tx_remove_file(w, dlog_snapshot_find_file(snap, "f1", NULL), false),
                     0);
    th_add(w, "f1-compacted", "x", false);
    assert_int_equal(th_commit(w), 1);
    expect_conflict(t, "version 1", "removed files while this transaction read the whole table");
    dlog_tx_free(t);
    dlog_tx_free(w);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static void test_metadata_protocol_conflicts(void **state)
{
    (void)state;
    static const char *const changes[] = {
        TH_META_CONF("tid", "\"delta.appendOnly\":\"false\""),
        "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":3}}",
    };
    static const char *const why[] = {"changed the table metadata", "changed the protocol"};
    for (int i = 0; i < 2; i++) {
        delta_store *s = mem_store();
        th_create(s, TH_META, 1);
        dlog_snapshot *snap = th_open(s);
        dlog_tx *t = NULL, *w = NULL;
        assert_int_equal(dlog_tx_begin(&t, s, snap, NULL), 0);
        th_add(t, "blind", "x", true); /* even a blind append */
        assert_int_equal(dlog_tx_begin(&w, s, snap, NULL), 0);
        th_stage(w, changes[i]);
        assert_int_equal(th_commit(w), 1);
        expect_conflict(t, "version 1", why[i]);
        dlog_tx_free(t);
        dlog_tx_free(w);
        dlog_snapshot_free(snap);
        delta_store_free(s);
    }
    /* a metadata change counts as reading the whole table: a concurrent
     * non-blind append conflicts with it */
    delta_store *s = mem_store();
    th_create(s, TH_META, 1);
    dlog_snapshot *snap = th_open(s);
    dlog_tx *t = NULL;
    assert_int_equal(dlog_tx_begin(&t, s, snap, NULL), 0);
    th_stage(t, TH_META_CONF("tid", "\"k\":\"v\""));
    commit_rewrite(s, snap, "z");
    expect_conflict(t, "version 1 (UPDATE) added file 'rewritten' while this transaction read "
                       "the whole table",
                    NULL);
    dlog_tx_free(t);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static void test_txn_and_domain_conflicts(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    th_create(s, TH_META, 1);
    dlog_snapshot *snap = th_open(s);
    dlog_tx *w = NULL, *same = NULL, *other = NULL;
    assert_int_equal(dlog_tx_begin(&w, s, snap, NULL), 0);
    assert_int_equal(dlog_tx_begin(&same, s, snap, NULL), 0);
    assert_int_equal(dlog_tx_begin(&other, s, snap, NULL), 0);
    th_stage(w, "{\"txn\":{\"appId\":\"stream-1\",\"version\":7}}");
    th_add(w, "w", "x", true);
    assert_int_equal(dlog_tx_txn_version(same, "stream-1"), -1);
    th_stage(same, "{\"txn\":{\"appId\":\"stream-1\",\"version\":7}}");
    th_add(same, "s", "x", true);
    assert_int_equal(dlog_tx_txn_version(other, "stream-2"), -1);
    th_stage(other, "{\"txn\":{\"appId\":\"stream-2\",\"version\":1}}");
    th_add(other, "o", "x", true);
    assert_int_equal(th_commit(w), 1);
    expect_conflict(same, "version 1", "txn action for application 'stream-1'");
    assert_int_equal(th_commit(other), 2);
    dlog_tx_free(w);
    dlog_tx_free(same);
    dlog_tx_free(other);
    dlog_snapshot_free(snap);
    snap = th_open(s);
    assert_int_equal(dlog_snapshot_txn_version(snap, "stream-1"), 7);
    assert_int_equal(dlog_snapshot_txn_version(snap, "stream-2"), 1);

    /* domains */
    assert_int_equal(dlog_tx_begin(&w, s, snap, NULL), 0);
    assert_int_equal(dlog_tx_begin(&same, s, snap, NULL), 0);
    assert_int_equal(dlog_tx_begin(&other, s, snap, NULL), 0);
    th_stage(w, "{\"domainMetadata\":{\"domain\":\"app.a\",\"configuration\":\"{}\","
                "\"removed\":false}}");
    th_stage(same, "{\"domainMetadata\":{\"domain\":\"app.a\",\"configuration\":\"{\\\"x\\\":1}\","
                   "\"removed\":false}}");
    th_stage(other, "{\"domainMetadata\":{\"domain\":\"app.b\",\"configuration\":\"{}\","
                    "\"removed\":false}}");
    assert_int_equal(th_commit(w), 3);
    expect_conflict(same, "version 3", "domain metadata for domain 'app.a'");
    assert_int_equal(th_commit(other), 4);
    dlog_tx_free(w);
    dlog_tx_free(same);
    dlog_tx_free(other);
    dlog_snapshot_free(snap);
    snap = th_open(s);
    assert_string_equal(dlog_snapshot_domain(snap, "app.a"), "{}");
    assert_string_equal(dlog_snapshot_domain(snap, "app.b"), "{}");
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static int64_t fixed_clock(void *ctx)
{
    return *(int64_t *)ctx;
}

static void test_in_commit_timestamps(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    int64_t clock = 1000;
    dlog_tx_opts o = DLOG_TX_OPTS_INIT;
    o.clock_ms = fixed_clock;
    o.clock_ctx = &clock;
    dlog_tx *tx = NULL;
    assert_int_equal(dlog_tx_begin(&tx, s, NULL, &o), 0);
    th_stage(tx, "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":7,"
                 "\"writerFeatures\":[\"inCommitTimestamp\"]}}");
    th_stage(tx, TH_META_CONF("tid", "\"delta.enableInCommitTimestamps\":\"true\""));
    dlog_commit_result r;
    assert_int_equal(dlog_tx_commit(tx, &r), 0);
    assert_int_equal(r.timestamp_ms, 1000);
    dlog_tx_free(tx);
    json_t *l = commit_line(s, 0, 1);
    json_t *ci = json_object_get(l, "commitInfo");
    assert_int_equal(json_integer_value(json_object_get(ci, "inCommitTimestamp")), 1000);
    /* inCommitTimestamp is the first field of the first action */
    char *text = json_dumps(l, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_true(strncmp(text, "{\"commitInfo\":{\"inCommitTimestamp\":1000,", 40) == 0);
    free(text);
    json_decref(l);

    /* the clock stands still (or goes back): timestamps still increase */
    dlog_snapshot *snap = th_open(s);
    assert_true(snap->timestamp_is_ict);
    assert_int_equal(snap->timestamp_ms, 1000);
    clock = 900;
    dlog_tx *a = NULL, *b = NULL;
    assert_int_equal(dlog_tx_begin(&a, s, snap, &o), 0);
    assert_int_equal(dlog_tx_begin(&b, s, snap, &o), 0);
    th_add(a, "a", "x", true);
    th_add(b, "b", "x", true);
    assert_int_equal(dlog_tx_commit(a, &r), 0);
    assert_int_equal(r.timestamp_ms, 1001);
    assert_int_equal(dlog_tx_commit(b, &r), 0); /* retried after a's 1001 */
    assert_int_equal(r.version, 2);
    assert_int_equal(r.timestamp_ms, 1002);
    dlog_tx_free(a);
    dlog_tx_free(b);
    dlog_snapshot_free(snap);
    snap = th_open(s);
    assert_int_equal(snap->timestamp_ms, 1002);
    dlog_snapshot_free(snap);
    /* time travel by those timestamps */
    dlog_snapshot_opts so = DLOG_SNAPSHOT_OPTS_INIT;
    so.has_timestamp = true;
    so.at_timestamp_ms = 1001;
    assert_int_equal(dlog_snapshot_open(&snap, s, &so), 0);
    assert_int_equal(snap->version, 1);
    dlog_snapshot_free(snap);
    /* a later clock wins over prev + 1 */
    clock = 5000;
    snap = th_open(s);
    assert_int_equal(dlog_tx_begin(&a, s, snap, &o), 0);
    th_add(a, "c", "x", true);
    assert_int_equal(dlog_tx_commit(a, &r), 0);
    assert_int_equal(r.timestamp_ms, 5000);
    dlog_tx_free(a);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

/* Enabling in-commit timestamps on a table with history records the
 * version and timestamp they start at - those of the attempt that lands. */
static void test_ict_enablement(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    th_create(s, TH_META, 1);
    assert_int_equal(th_append(s, "a", "x"), 1);
    dlog_snapshot *snap = th_open(s);
    int64_t clock = 4102444800000; /* later than the memory store's put times */
    dlog_tx_opts o = DLOG_TX_OPTS_INIT;
    o.clock_ms = fixed_clock;
    o.clock_ctx = &clock;
    dlog_tx *tx = NULL;
    assert_int_equal(dlog_tx_begin(&tx, s, snap, &o), 0);
    th_stage(tx, "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":7,"
                 "\"writerFeatures\":[\"inCommitTimestamp\"]}}");
    th_stage(tx, TH_META_CONF("tid", "\"delta.enableInCommitTimestamps\":\"true\""));
    assert_int_equal(th_append(s, "b", "x"), 2); /* a blind append wins version 2 */
    dlog_commit_result r;
    assert_int_equal(dlog_tx_commit(tx, &r), 0);
    assert_int_equal(r.version, 3);
    assert_int_equal(r.attempts, 2);
    dlog_tx_free(tx);
    dlog_snapshot_free(snap);
    snap = th_open(s);
    assert_string_equal(dlog_snapshot_property(snap, "delta.inCommitTimestampEnablementVersion"),
                        "3");
    assert_string_equal(dlog_snapshot_property(snap, "delta.inCommitTimestampEnablementTimestamp"),
                        "4102444800000");
    assert_true(snap->timestamp_is_ict);
    assert_int_equal(snap->timestamp_ms, clock);
    dlog_snapshot_free(snap);
    /* time travel: before the enablement by file times, after by ICT */
    dlog_snapshot_opts so = DLOG_SNAPSHOT_OPTS_INIT;
    so.has_timestamp = true;
    so.at_timestamp_ms = clock;
    assert_int_equal(dlog_snapshot_open(&snap, s, &so), 0);
    assert_int_equal(snap->version, 3);
    dlog_snapshot_free(snap);
    so.at_timestamp_ms = clock - 1;
    assert_int_equal(dlog_snapshot_open(&snap, s, &so), 0);
    assert_int_equal(snap->version, 2);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static void test_staging_and_validation(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    dlog_tx *tx = NULL;
    /* version 0 needs protocol and metaData */
    assert_int_equal(dlog_tx_begin(&tx, s, NULL, NULL), 0);
    th_add(tx, "a", "x", true);
    assert_int_equal(dlog_tx_commit(tx, NULL), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "needs a protocol and a metaData"));
    dlog_tx_free(tx);
    /* nothing staged */
    assert_int_equal(dlog_tx_begin(&tx, s, NULL, NULL), 0);
    assert_int_equal(dlog_tx_commit(tx, NULL), DELTA_EINVAL);
    dlog_tx_free(tx);
    /* refused stagings leave the action with the caller */
    assert_int_equal(dlog_tx_begin(&tx, s, NULL, NULL), 0);
    static const char *const refused[] = {
        "{\"commitInfo\":{\"operation\":\"X\"}}",
        "{\"checkpointMetadata\":{\"version\":1}}",
        "{\"sidecar\":{\"path\":\"a\",\"sizeInBytes\":1,\"modificationTime\":1}}",
    };
    for (size_t i = 0; i < 3; i++) {
        dlog_action a;
        assert_int_equal(dlog_action_parse(&a, refused[i], strlen(refused[i]), "t", 1), 0);
        assert_int_equal(dlog_tx_stage(tx, &a), DELTA_EINVAL);
        dlog_action_clear(&a);
    }
    th_stage(tx, TH_META);
    dlog_action a;
    assert_int_equal(dlog_action_parse(&a, TH_META, strlen(TH_META), "t", 1), 0);
    assert_int_equal(dlog_tx_stage(tx, &a), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "a second metaData"));
    dlog_action_clear(&a);
    assert_int_equal(dlog_tx_set_operation(tx, "X", "[1]", NULL), DELTA_EINVAL);
    assert_int_equal(dlog_tx_set_operation(tx, "X", "{", NULL), DELTA_EINVAL);
    /* a protocol this writer does not support */
    th_stage(tx, "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":7,"
                 "\"writerFeatures\":[\"someFutureFeature\"]}}");
    assert_int_equal(dlog_tx_commit(tx, NULL), DELTA_EUNSUPPORTED);
    assert_non_null(strstr(delta_error_last(), "someFutureFeature"));
    dlog_tx_free(tx);
    /* partition column not in the schema */
    assert_int_equal(dlog_tx_begin(&tx, s, NULL, NULL), 0);
    th_stage(tx, TH_PROTO);
    th_stage(tx, "{\"metaData\":{\"id\":\"t\",\"format\":{\"provider\":\"parquet\"},"
                 "\"schemaString\":\"" TH_SCHEMA "\",\"partitionColumns\":[\"q\"],"
                 "\"configuration\":{}}}");
    assert_int_equal(dlog_tx_commit(tx, NULL), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "partition column 'q'"));
    dlog_tx_free(tx);
    /* nothing was published by any of these */
    delta_object_list l = {0};
    assert_int_equal(delta_store_list(s, "", NULL, DELTA_LIST_RECURSIVE, &l), 0);
    assert_int_equal(l.count, 0);
    delta_object_list_free(&l);

    /* append-only tables refuse data-changing removes */
    th_create(s, TH_META_CONF("tid", "\"delta.appendOnly\":\"true\""), 1);
    dlog_snapshot *snap = th_open(s);
    assert_int_equal(dlog_tx_begin(&tx, s, snap, NULL), 0);
    assert_int_equal(dlog_tx_remove_file(tx, dlog_snapshot_find_file(snap, "f0", NULL), true), 0);
    assert_int_equal(dlog_tx_commit(tx, NULL), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "append-only"));
    dlog_tx_free(tx);
    /* a concurrent create loses with a conflict */
    assert_int_equal(dlog_tx_begin(&tx, s, NULL, NULL), 0);
    th_stage(tx, TH_PROTO);
    th_stage(tx, TH_META);
    expect_conflict(tx, "version 0", "created concurrently");
    dlog_tx_free(tx);
    /* a snapshot of another store */
    delta_store *other = mem_store();
    assert_int_equal(dlog_tx_begin(&tx, other, snap, NULL), DELTA_EINVAL);
    assert_null(tx);
    delta_store_free(other);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

static void test_attempts_bounded(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    th_create(s, TH_META, 1);
    dlog_snapshot *snap = th_open(s);
    th_append(s, "w1", "x");
    th_append(s, "w2", "x");
    dlog_tx_opts o = DLOG_TX_OPTS_INIT;
    o.max_attempts = 1;
    dlog_tx *tx = NULL;
    assert_int_equal(dlog_tx_begin(&tx, s, snap, &o), 0);
    th_add(tx, "mine", "x", true);
    expect_conflict(tx, "gave up after 1 commit attempts", "version 3 is the next free one");
    dlog_tx_free(tx);
    o.max_attempts = 2;
    assert_int_equal(dlog_tx_begin(&tx, s, snap, &o), 0);
    th_add(tx, "mine", "x", true);
    assert_int_equal(th_commit(tx), 3);
    dlog_tx_free(tx);
    dlog_snapshot_free(snap);
    delta_store_free(s);
}

/* ---- crash safety ---------------------------------------------------------------- */

/* Sorted list of the live paths of the latest snapshot, joined by ','. */
static void live_paths(delta_store *s, dbuf *out, int64_t *version)
{
    dlog_snapshot *snap = th_open(s);
    *version = snap->version;
    const char *names[64];
    size_t n = 0, it = 0;
    const dlog_live_file *f;
    while (dlog_snapshot_next_file(snap, &it, &f) && n < 64)
        names[n++] = f->canonical;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    dbuf_reset(out);
    for (size_t i = 0; i < n; i++) {
        dbuf_puts(out, names[i]);
        dbuf_putc(out, ',');
    }
    dlog_snapshot_free(snap);
}

/* The table's log holds commits 0..v and nothing else. */
static void expect_log_exactly(delta_store *s, int64_t v)
{
    delta_object_list l = {0};
    assert_int_equal(delta_store_list(s, "", NULL, DELTA_LIST_RECURSIVE, &l), 0);
    assert_int_equal(l.count, (size_t)(v + 1));
    for (size_t i = 0; i < l.count; i++) {
        char key[40];
        dlog_commit_key(key, (int64_t)i);
        assert_string_equal(l.items[i].key, key);
    }
    delta_object_list_free(&l);
}

/* Builds versions 0..2; a transaction that read version 1 removes f0 and
 * adds "new", racing with version 2 (a blind append), so its commit does
 * a failed put, reads the winner, and retries. A crash at every storage
 * operation of that (snapshot load included) leaves version 2 or 3, each
 * exactly as committed. */
static void crash_loop(const char *root_prefix)
{
    int crashes = 0;
    for (uint64_t n = 1;; n++) {
        char uri[512];
        snprintf(uri, sizeof uri, "%s%d", root_prefix, (int)n);
        delta_store *inner = NULL;
        assert_int_equal(delta_store_open(&inner, uri), 0);
        th_create(inner, TH_META, 2);
        assert_int_equal(th_append(inner, "f2", "x"), 1);
        dbuf before = DBUF_INIT, after = DBUF_INIT;
        int64_t v;
        live_paths(inner, &before, &v);
        assert_int_equal(v, 1);
        dlog_snapshot *old = th_open_at(inner, 1);
        assert_int_equal(th_append(inner, "f3", "y"), 2);
        live_paths(inner, &before, &v);
        dlog_snapshot_free(old);

        delta_store *fs = NULL;
        assert_int_equal(delta_store_fault_wrap(&fs, inner, DELTA_FAULT_CRASH, n), 0);
        dlog_snapshot *snap = NULL;
        dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
        o.at_version = 1;
        int rc = dlog_snapshot_open(&snap, fs, &o);
        if (rc == 0) {
            dlog_tx *tx = NULL;
            assert_int_equal(dlog_tx_begin(&tx, fs, snap, NULL), 0);
            assert_int_equal(
                dlog_tx_remove_file(tx, dlog_snapshot_find_file(snap, "f0", NULL), true), 0);
            th_add(tx, "new", "x", true);
            dlog_commit_result r = {0};
            rc = dlog_tx_commit(tx, &r);
            if (rc == 0)
                assert_int_equal(r.version, 3);
            dlog_tx_free(tx);
            dlog_snapshot_free(snap);
        }
        delta_fault_stats st;
        delta_store_fault_stats(fs, &st);
        delta_store_free(fs);
        if (rc)
            assert_int_equal(rc, DELTA_EIO);
        assert_true(rc == 0 || st.crashed);

        /* "restart": the table opens and holds exactly what was committed */
        live_paths(inner, &after, &v);
        if (v == 2) {
            assert_int_not_equal(rc, 0);
            assert_string_equal(dbuf_cstr(&after), dbuf_cstr(&before));
        } else {
            assert_int_equal(v, 3);
            assert_string_equal(dbuf_cstr(&after), "f1,f2,f3,new,");
        }
        expect_log_exactly(inner, v);
        dbuf_free(&before);
        dbuf_free(&after);
        delta_store_free(inner);
        if (!st.crashed)
            break;
        crashes++;
    }
    printf("crash loop %s: %d simulated crashes\n", root_prefix, crashes);
    assert_true(crashes >= 5);
}

static void test_crash_at_every_operation(void **state)
{
    (void)state;
    crash_loop("memory://txn-crash-");
    char *dir = tmpdir_make("txn-crash");
    assert_non_null(dir);
    char prefix[400];
    snprintf(prefix, sizeof prefix, "%s/t", dir ? dir : "");
    crash_loop(prefix);
    tmpdir_remove(dir);
}

/* Allocation failure at every allocation of a commit that retries: the
 * error is reported, nothing leaks (ASan), and a commit that failed
 * published nothing. */
static void test_commit_out_of_memory(void **state)
{
    (void)state;
    for (long n = 1;; n++) {
        delta_store *s = mem_store();
        th_create(s, TH_META, 2);
        dlog_snapshot *snap = th_open(s);
        assert_int_equal(th_append(s, "w", "x"), 1);
        const dlog_live_file *f1 = dlog_snapshot_find_file(snap, "f1", NULL);
        dlog_tx *tx = NULL;
        int rc = 0;
        delta_alloc_fail_after(n);
        rc = dlog_tx_begin(&tx, s, snap, NULL);
        if (!rc)
            rc = dlog_tx_read_file(tx, "f0");
        if (!rc)
            rc = dlog_tx_remove_file(tx, f1, true);
        dlog_commit_result r = {0};
        if (!rc)
            rc = dlog_tx_commit(tx, &r);
        long injected = delta_alloc_injected_failures();
        delta_alloc_fail_after(0);
        dlog_tx_free(tx);
        dlog_snapshot_free(snap);
        snap = th_open(s);
        if (rc) {
            assert_int_equal(rc, DELTA_ENOMEM);
            assert_int_equal(snap->version, 1);
        } else {
            assert_int_equal(snap->version, 2);
            assert_int_equal(r.version, 2);
        }
        dlog_snapshot_free(snap);
        delta_store_free(s);
        if (!injected)
            break;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_commit_info),
        cmocka_unit_test(test_blind_appends_retry),
        cmocka_unit_test(test_delete_delete_conflict),
        cmocka_unit_test(test_delete_read_conflict),
        cmocka_unit_test(test_concurrent_append_predicates),
        cmocka_unit_test(test_isolation_levels),
        cmocka_unit_test(test_whole_table_read_vs_remove),
        cmocka_unit_test(test_metadata_protocol_conflicts),
        cmocka_unit_test(test_txn_and_domain_conflicts),
        cmocka_unit_test(test_in_commit_timestamps),
        cmocka_unit_test(test_ict_enablement),
        cmocka_unit_test(test_staging_and_validation),
        cmocka_unit_test(test_attempts_bounded),
        cmocka_unit_test(test_crash_at_every_operation),
        cmocka_unit_test(test_commit_out_of_memory),
    };
    return cmocka_run_group_tests_name("log/txn", tests, NULL, NULL);
}
