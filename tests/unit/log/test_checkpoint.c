/*
 * Checkpoint writing, reading back, automatic checkpoints and log cleanup:
 *
 *   - round trip: a table built with transactions (files in partitions,
 *     stats, tags, deletion vectors, row ids, removes, txns, domains,
 *     protocol features) is checkpointed, its JSON commits deleted, and the
 *     snapshot loaded from the checkpoint alone equals the JSON replay;
 *   - every shared (golden/extra) table that opens is checkpointed with
 *     parsed stats and partition values, and the checkpoint alone gives
 *     the same snapshot;
 *   - tombstones expire by delta.deletedFileRetentionDuration;
 *   - DuckDB reads our checkpoint file, and the oracle's small Delta
 *     reader (replay.mjs) replays a table of ours whose log starts at a
 *     checkpoint and sees the right rows (skipped without node/DuckDB);
 *   - a crash at every storage operation of a checkpoint write leaves a
 *     readable table with the same state;
 *   - automatic checkpoints every delta.checkpointInterval commits, and a
 *     failed one does not fail its commit;
 *   - log cleanup keeps exactly what delta.logRetentionDuration requires
 *     (commit times set by hand, fake clock).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/dtime.h"
#include "core/error.h"
#include "core/hashmap.h"
#include "log/checkpoint.h"
#include "log/cleanup.h"
#include "log/path.h"
#include "log/snapshot.h"
#include "log/txn.h"
#include "parquet/record_writer.h"
#include "storage/tmpdir.h"

#include "log/txn_helpers.h"

#define DAY 86400000LL

static delta_store *mem_store(void)
{
    static int next = 0;
    char uri[64];
    snprintf(uri, sizeof uri, "memory://ckpt-test-%d", next++);
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, uri), 0);
    return s;
}

static dlog_snapshot *open_opts(delta_store *s, int64_t version, bool unchecked)
{
    dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
    o.at_version = version;
    o.unchecked = unchecked;
    dlog_snapshot *snap = NULL;
    int rc = dlog_snapshot_open(&snap, s, &o);
    if (rc)
        fail_msg("open: %s", delta_error_last());
    return snap;
}

/* ---- comparing snapshots ------------------------------------------------- */

static bool streq_null(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool maps_equal(const dlog_map *a, const dlog_map *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++) {
        bool found = false;
        const char *v = dlog_map_get(b, a->items[i].key, &found);
        if (!found || !streq_null(v, a->items[i].value))
            return false;
    }
    return true;
}

static bool lists_equal(char **a, size_t na, char **b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

static bool dv_equal(bool ha, const dlog_dv *a, bool hb, const dlog_dv *b)
{
    if (ha != hb)
        return false;
    return !ha || (a->storage_type == b->storage_type &&
                   strcmp(a->path_or_inline, b->path_or_inline) == 0 &&
                   a->has_offset == b->has_offset && (!a->has_offset || a->offset == b->offset) &&
                   a->size_in_bytes == b->size_in_bytes && a->cardinality == b->cardinality);
}

/* Everything a checkpoint must carry: a (JSON replay) vs b (checkpoint). */
static void expect_same_state(const char *what, const dlog_snapshot *a, const dlog_snapshot *b,
                              bool tombstones)
{
    assert_int_equal(a->version, b->version);
    if (dlog_snapshot_num_files(a) != dlog_snapshot_num_files(b))
        fail_msg("%s: %zu files vs %zu from the checkpoint", what, dlog_snapshot_num_files(a),
                 dlog_snapshot_num_files(b));
    size_t it = 0;
    const dlog_live_file *f;
    while (dlog_snapshot_next_file(a, &it, &f)) {
        const dlog_live_file *g = NULL;
        size_t jt = 0;
        const dlog_live_file *c;
        while (!g && dlog_snapshot_next_file(b, &jt, &c))
            if (strcmp(c->canonical, f->canonical) == 0 && streq_null(c->dv_id, f->dv_id))
                g = c;
        if (!g)
            fail_msg("%s: %s missing from the checkpoint", what, f->canonical);
        const dlog_add *x = &f->add, *y = &g->add;
        if (strcmp(x->path, y->path) != 0 || x->size != y->size ||
            x->modification_time != y->modification_time ||
            !maps_equal(&x->partition_values, &y->partition_values) ||
            !streq_null(x->stats, y->stats) || !maps_equal(&x->tags, &y->tags) ||
            !dv_equal(x->has_dv, &x->dv, y->has_dv, &y->dv) ||
            x->has_base_row_id != y->has_base_row_id ||
            (x->has_base_row_id && x->base_row_id != y->base_row_id) ||
            x->has_default_row_commit_version != y->has_default_row_commit_version ||
            (x->has_default_row_commit_version &&
             x->default_row_commit_version != y->default_row_commit_version) ||
            !streq_null(x->clustering_provider, y->clustering_provider))
            fail_msg("%s: add %s differs after the checkpoint", what, f->canonical);
        if (g->version == b->checkpoint_version)
            assert_false(y->data_change); /* checkpoints carry dataChange false */
    }
    if (tombstones) {
        assert_int_equal(dmap_count(a->tombstones), dmap_count(b->tombstones));
        it = 0;
        void *v;
        while (dmap_next(a->tombstones, &it, NULL, NULL, &v)) {
            const dlog_tombstone *t = v, *u = NULL;
            size_t jt = 0;
            void *w;
            while (!u && dmap_next(b->tombstones, &jt, NULL, NULL, &w))
                if (strcmp(((dlog_tombstone *)w)->canonical, t->canonical) == 0 &&
                    streq_null(((dlog_tombstone *)w)->dv_id, t->dv_id))
                    u = w;
            if (!u)
                fail_msg("%s: tombstone %s missing", what, t->canonical);
            assert_int_equal(t->remove.deletion_timestamp, u->remove.deletion_timestamp);
            assert_int_equal(t->remove.has_size, u->remove.has_size);
            assert_int_equal(t->remove.size, u->remove.size);
            assert_true(maps_equal(&t->remove.partition_values, &u->remove.partition_values));
            assert_true(dv_equal(t->remove.has_dv, &t->remove.dv, u->remove.has_dv, &u->remove.dv));
        }
    }
    assert_int_equal(dmap_count(a->txns), dmap_count(b->txns));
    it = 0;
    void *v;
    while (dmap_next(a->txns, &it, NULL, NULL, &v)) {
        const dlog_txn *t = v;
        assert_int_equal(dlog_snapshot_txn_version(b, t->app_id), t->version);
    }
    assert_int_equal(dmap_count(a->domains), dmap_count(b->domains));
    it = 0;
    while (dmap_next(a->domains, &it, NULL, NULL, &v)) {
        const dlog_domain_metadata *d = v;
        assert_true(streq_null(dlog_snapshot_domain(b, d->domain), d->configuration));
    }
    const dlog_protocol *p = &a->protocol, *q = &b->protocol;
    assert_int_equal(p->min_reader_version, q->min_reader_version);
    assert_int_equal(p->min_writer_version, q->min_writer_version);
    assert_int_equal(p->has_reader_features, q->has_reader_features);
    assert_int_equal(p->has_writer_features, q->has_writer_features);
    assert_true(lists_equal(p->reader_features, p->num_reader_features, q->reader_features,
                            q->num_reader_features));
    assert_true(lists_equal(p->writer_features, p->num_writer_features, q->writer_features,
                            q->num_writer_features));
    const dlog_metadata *m = &a->metadata, *n = &b->metadata;
    assert_string_equal(m->id, n->id);
    assert_true(streq_null(m->name, n->name));
    assert_true(streq_null(m->description, n->description));
    assert_string_equal(m->format_provider, n->format_provider);
    assert_true(maps_equal(&m->format_options, &n->format_options));
    assert_string_equal(m->schema_string, n->schema_string);
    assert_true(lists_equal(m->partition_columns, m->num_partition_columns,
                            n->partition_columns, n->num_partition_columns));
    assert_true(maps_equal(&m->configuration, &n->configuration));
    assert_int_equal(m->has_created_time, n->has_created_time);
    assert_int_equal(m->created_time, n->created_time);
}

/* ---- a table with a bit of everything ----------------------------------------- */

#define RT_PROTO                                                                            \
    "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":"       \
    "[\"deletionVectors\"],\"writerFeatures\":[\"deletionVectors\",\"domainMetadata\","     \
    "\"rowTracking\"]}}"
#define RT_META                                                                             \
    "{\"metaData\":{\"id\":\"rt-1\",\"name\":\"rt\",\"description\":\"round trip\","        \
    "\"format\":{\"provider\":\"parquet\",\"options\":{\"o\":\"1\"}},\"schemaString\":\""   \
    TH_SCHEMA "\",\"partitionColumns\":[\"p\"],\"configuration\":{"                         \
    "\"delta.checkpointInterval\":\"1000\",\"x\":null},\"createdTime\":1700000000000}}"

static void build_table(delta_store *s)
{
    dlog_tx *tx = NULL;
    assert_int_equal(dlog_tx_begin(&tx, s, NULL, NULL), 0);
    th_stage(tx, RT_PROTO);
    th_stage(tx, RT_META);
    th_stage(tx, "{\"add\":{\"path\":\"p=a/f%20one.parquet\",\"partitionValues\":{\"p\":\"a\"},"
                 "\"size\":100,\"modificationTime\":1700000000001,\"dataChange\":true,"
                 "\"stats\":\"{\\\"numRecords\\\":3,\\\"minValues\\\":{\\\"id\\\":1},"
                 "\\\"maxValues\\\":{\\\"id\\\":3},\\\"nullCount\\\":{\\\"id\\\":0}}\","
                 "\"tags\":{\"INSERTION_TIME\":\"1\",\"t\":null},\"baseRowId\":0,"
                 "\"defaultRowCommitVersion\":0}}");
    th_stage(tx, "{\"add\":{\"path\":\"p=b/two.parquet\",\"partitionValues\":{\"p\":\"b\"},"
                 "\"size\":200,\"modificationTime\":1700000000002,\"dataChange\":true,"
                 "\"deletionVector\":{\"storageType\":\"u\",\"pathOrInlineDv\":"
                 "\"ab^-aqEH.-t@S}K{vb[*k^\",\"offset\":4,\"sizeInBytes\":40,\"cardinality\":6},"
                 "\"clusteringProvider\":\"liquid\"}}");
    th_stage(tx, "{\"add\":{\"path\":\"null/three.parquet\",\"partitionValues\":{\"p\":null},"
                 "\"size\":300,\"modificationTime\":1700000000003,\"dataChange\":true}}");
    th_stage(tx, "{\"add\":{\"path\":\"p=a/gone.parquet\",\"partitionValues\":{\"p\":\"a\"},"
                 "\"size\":400,\"modificationTime\":1700000000004,\"dataChange\":true}}");
    th_stage(tx, "{\"txn\":{\"appId\":\"stream-1\",\"version\":41,\"lastUpdated\":1}}");
    th_stage(tx, "{\"domainMetadata\":{\"domain\":\"delta.rowTracking\",\"configuration\":"
                 "\"{\\\"rowIdHighWaterMark\\\":9}\",\"removed\":false}}");
    th_stage(tx, "{\"domainMetadata\":{\"domain\":\"app.gone\",\"configuration\":\"{}\","
                 "\"removed\":false}}");
    assert_int_equal(th_commit(tx), 0);
    dlog_tx_free(tx);

    dlog_snapshot *snap = th_open(s);
    assert_int_equal(dlog_tx_begin(&tx, s, snap, NULL), 0);
    assert_int_equal(dlog_tx_remove_file(tx, dlog_snapshot_find_file(snap, "p=a/gone.parquet",
                                                                      NULL),
                                         true),
                     0);
    th_stage(tx, "{\"txn\":{\"appId\":\"stream-1\",\"version\":42}}");
    th_stage(tx, "{\"txn\":{\"appId\":\"stream-2\",\"version\":7}}");
    th_stage(tx, "{\"domainMetadata\":{\"domain\":\"app.gone\",\"configuration\":\"{}\","
                 "\"removed\":true}}");
    assert_int_equal(th_commit(tx), 1);
    dlog_tx_free(tx);
    dlog_snapshot_free(snap);
    assert_int_equal(th_append(s, "p=c/four.parquet", "c"), 2);
}

static void delete_commits(delta_store *s, int64_t upto)
{
    for (int64_t v = 0; v <= upto; v++) {
        char key[40];
        dlog_commit_key(key, v);
        assert_int_equal(delta_store_delete(s, key), 0);
    }
}

static int check_order(void *ctx, dlog_action *a, size_t line)
{
    (void)line;
    char *last = ctx;
    if (a->type != DLOG_ACT_ADD)
        return 0;
    if (strcmp(last, a->u.add.path) >= 0)
        fail_msg("add %s after %s", a->u.add.path, last);
    snprintf(last, 256, "%s", a->u.add.path);
    return 0;
}

static void test_round_trip(void **state)
{
    (void)state;
    char *dir = tmpdir_make("ckpt-rt");
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, dir), 0);
    build_table(s);
    dlog_snapshot *json = th_open(s);
    assert_int_equal(json->version, 2);
    assert_int_equal(dlog_snapshot_num_files(json), 4);
    assert_int_equal(dmap_count(json->tombstones), 1);

    dlog_ckpt_info info;
    assert_int_equal(dlog_checkpoint_write(s, json, NULL, &info), 0);
    assert_int_equal(info.version, 2);
    assert_int_equal(info.num_add_files, 4);
    assert_int_equal(info.num_tombstones, 1);
    /* protocol, metaData, 2 txns, 1 domain, 4 adds, 1 remove */
    assert_int_equal(info.size, 10);
    assert_false(info.v2);
    dlog_last_checkpoint lc;
    assert_int_equal(dlog_read_last_checkpoint(s, &lc), 0);
    assert_int_equal(lc.version, 2);
    assert_int_equal(lc.size, 10);
    assert_false(lc.has_parts);
    delta_object_info oi;
    assert_int_equal(delta_store_head(s, "_delta_log/00000000000000000002.checkpoint.parquet", &oi),
                     0);
    assert_int_equal(oi.size, info.size_in_bytes);

    /* Files are written in path order (deterministic output). */
    char last[256] = "";
    assert_int_equal(dlog_checkpoint_read_parquet(s, "_delta_log/00000000000000000002.checkpoint.parquet",
                                                  check_order, last),
                     0);
    assert_string_equal(last, "p=c/four.parquet");

    /* The checkpoint alone: no commit to fall back on. */
    delete_commits(s, 2);
    dlog_snapshot *ck = th_open(s);
    assert_int_equal(ck->checkpoint_version, 2);
    assert_int_equal(ck->skipped_checkpoint, -1);
    expect_same_state("round trip", json, ck, true);
    dlog_snapshot_free(ck);

    /* Commits after the checkpoint replay on top of it. */
    dlog_snapshot *again = th_open(s);
    assert_int_equal(th_append(s, "p=d/five.parquet", "d"), 3);
    dlog_snapshot_free(again);
    dlog_snapshot *latest = th_open(s);
    assert_int_equal(latest->version, 3);
    assert_int_equal(latest->checkpoint_version, 2);
    assert_int_equal(dlog_snapshot_num_files(latest), 5);
    dlog_snapshot_free(latest);
    dlog_snapshot_free(json);
    delta_store_free(s);
    tmpdir_remove(dir);
}

/* Reads only some actions of a checkpoint. */
typedef struct counter {
    int n[16];
} counter;

static int count_action(void *ctx, dlog_action *a, size_t line)
{
    (void)line;
    ((counter *)ctx)->n[a->type]++;
    return 0;
}

static void test_projection_and_stats_struct(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    build_table(s);
    dlog_snapshot *json = th_open(s);
    dlog_ckpt_write_opts o = DLOG_CKPT_WRITE_OPTS_INIT;
    o.stats_struct = DLOG_CKPT_ON;
    o.stats_json = DLOG_CKPT_OFF;
    assert_int_equal(dlog_checkpoint_write(s, json, &o, NULL), 0);
    const char *key = "_delta_log/00000000000000000002.checkpoint.parquet";
    counter c = {{0}};
    dlog_ckpt_read_opts ro = {DLOG_ACT_BIT(DLOG_ACT_PROTOCOL) | DLOG_ACT_BIT(DLOG_ACT_METADATA),
                              1};
    assert_int_equal(dlog_checkpoint_read_parquet_ex(s, key, &ro, count_action, &c), 0);
    assert_int_equal(c.n[DLOG_ACT_PROTOCOL], 1);
    assert_int_equal(c.n[DLOG_ACT_METADATA], 1);
    assert_int_equal(c.n[DLOG_ACT_ADD], 0);
    memset(&c, 0, sizeof c);
    assert_int_equal(dlog_checkpoint_read_parquet(s, key, count_action, &c), 0);
    assert_int_equal(c.n[DLOG_ACT_ADD], 4);
    assert_int_equal(c.n[DLOG_ACT_REMOVE], 1);
    assert_int_equal(c.n[DLOG_ACT_TXN], 2);
    assert_int_equal(c.n[DLOG_ACT_DOMAIN_METADATA], 1);

    /* Without the stats string, stats come back from stats_parsed. */
    delete_commits(s, 2);
    dlog_snapshot *ck = th_open(s);
    const dlog_live_file *f = dlog_snapshot_find_file(ck, "p=a/f%20one.parquet", NULL);
    assert_non_null(f);
    assert_non_null(f->add.stats);
    assert_non_null(strstr(f->add.stats, "\"numRecords\":3"));
    assert_non_null(strstr(f->add.stats, "\"minValues\":{\"id\":1}"));
    assert_non_null(strstr(f->add.stats, "\"maxValues\":{\"id\":3}"));
    dlog_snapshot_free(ck);
    dlog_snapshot_free(json);
    delta_store_free(s);
}

static void test_tombstone_expiry(void **state)
{
    (void)state;
    delta_store *s = mem_store();
    build_table(s);
    dlog_snapshot *json = th_open(s);
    dlog_ckpt_write_opts o = DLOG_CKPT_WRITE_OPTS_INIT;
    /* The remove was stamped now: 8 days on, the default week is over. */
    o.now_ms = dtime_now_ms() + 8 * DAY;
    dlog_ckpt_info info;
    assert_int_equal(dlog_checkpoint_write(s, json, &o, &info), 0);
    assert_int_equal(info.num_tombstones, 0);
    o.now_ms = dtime_now_ms() + 6 * DAY;
    assert_int_equal(dlog_checkpoint_write(s, json, &o, &info), 0);
    assert_int_equal(info.num_tombstones, 1);
    dlog_snapshot_free(json);
    delta_store_free(s);

    int64_t ms;
    assert_int_equal(dlog_parse_interval_ms("interval 1 week", &ms), 0);
    assert_int_equal(ms, 7 * DAY);
    assert_int_equal(dlog_parse_interval_ms("30 days", &ms), 0);
    assert_int_equal(ms, 30 * DAY);
    assert_int_equal(dlog_parse_interval_ms("interval 2 hours 30 minutes", &ms), 0);
    assert_int_equal(ms, 9000000);
    assert_int_equal(dlog_parse_interval_ms("INTERVAL 1 DAY", &ms), 0);
    assert_int_equal(ms, DAY);
    assert_int_equal(dlog_parse_interval_ms("interval 1 month", &ms), DELTA_EINVAL);
    assert_int_equal(dlog_parse_interval_ms("interval", &ms), DELTA_EINVAL);
    assert_int_equal(dlog_parse_interval_ms("7", &ms), DELTA_EINVAL);
}

/* ---- the shared tables --------------------------------------------------------- */

static int shared_one(const char *root, const char *name)
{
    delta_store *s = NULL;
    if (delta_store_open(&s, root))
        return 0;
    dlog_snapshot *snap = NULL;
    if (dlog_snapshot_open(&snap, s, NULL) != 0) {
        delta_error_clear();
        delta_store_free(s); /* negative and log-only cases */
        return 0;
    }
    delta_store *m = mem_store();
    dlog_ckpt_write_opts o = DLOG_CKPT_WRITE_OPTS_INIT;
    o.stats_struct = DLOG_CKPT_ON;
    o.now_ms = 1; /* every tombstone is kept */
    int rc = dlog_checkpoint_write(m, snap, &o, NULL);
    if (rc == DELTA_EUNSUPPORTED) {
        /* A writer feature this engine does not implement: refused. */
        assert_non_null(strstr(delta_error_last(), "writer feature"));
        delta_error_clear();
        dlog_snapshot_free(snap);
        delta_store_free(m);
        delta_store_free(s);
        return 0;
    }
    if (rc)
        fail_msg("%s: checkpoint: %s", name, delta_error_last());
    dlog_snapshot *back = NULL;
    if ((rc = dlog_snapshot_open(&back, m, NULL)))
        fail_msg("%s: reading our checkpoint: %s", name, delta_error_last());
    assert_int_equal(back->checkpoint_version, snap->version);
    expect_same_state(name, snap, back, true);
    dlog_snapshot_free(back);
    dlog_snapshot_free(snap);
    delta_store_free(m);
    delta_store_free(s);
    return 1;
}

static void test_shared_tables(void **state)
{
    (void)state;
    const char *bases[] = {DELTA_SHARED_DIR "/golden", DELTA_SHARED_DIR "/extra"};
    DIR *probe = opendir(bases[0]);
    if (!probe) {
        print_message("shared tables not found at %s: skipped\n", bases[0]);
        skip();
    }
    closedir(probe);
    int done = 0;
    for (int b = 0; b < 2; b++) {
        DIR *d = opendir(bases[b]);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char root[1024];
            snprintf(root, sizeof root, "%s/%s%s", bases[b], e->d_name, b == 0 ? "/delta" : "");
            char log[1100];
            snprintf(log, sizeof log, "%s/_delta_log", root);
            struct stat st;
            if (stat(log, &st) != 0)
                continue;
            done += shared_one(root, e->d_name);
        }
        if (d)
            closedir(d);
    }
    print_message("checkpointed and read back %d shared tables\n", done);
    assert_true(done > 20);

    /* A v2Checkpoint table gets a classic-named checkpoint of the v2 spec:
     * one checkpointMetadata row naming its version. */
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, DELTA_SHARED_DIR "/extra/v2-checkpoints-parquet-with-sidecars"),
                     0);
    dlog_snapshot *snap = th_open(s);
    delta_store *m = mem_store();
    dlog_ckpt_info info;
    assert_int_equal(dlog_checkpoint_write(m, snap, NULL, &info), 0);
    assert_true(info.v2);
    char key[64];
    snprintf(key, sizeof key, "_delta_log/%020lld.checkpoint.parquet", (long long)snap->version);
    counter c = {{0}};
    dlog_ckpt_read_opts ro = {DLOG_ACT_BIT(DLOG_ACT_CHECKPOINT_METADATA), 0};
    assert_int_equal(dlog_checkpoint_read_parquet_ex(m, key, &ro, count_action, &c), 0);
    assert_int_equal(c.n[DLOG_ACT_CHECKPOINT_METADATA], 1);
    dlog_snapshot_free(snap);
    delta_store_free(m);
    delta_store_free(s);
}

/* ---- DuckDB -------------------------------------------------------------------- */

/* The oracle folder, or NULL (then the test skips). */
static const char *oracle(void)
{
    static char dir[1024];
    static int state = 0;
    if (state)
        return state > 0 ? dir : NULL;
    state = -1;
    if (system("command -v node >/dev/null 2>&1") != 0)
        return NULL;
    FILE *p = popen("'" DELTA_ORACLE_SETUP "' 2>/dev/null", "r");
    if (!p)
        return NULL;
    if (fgets(dir, sizeof dir, p))
        dir[strcspn(dir, "\n")] = 0;
    else
        dir[0] = 0;
    if (pclose(p) != 0 || !dir[0])
        return NULL;
    state = 1;
    return dir;
}

/* Runs a command and returns its whole output (static buffer). */
static const char *run(const char *cmd)
{
    static char out[8192];
    out[0] = 0;
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    int st = pclose(p);
    if (st != 0)
        fail_msg("%s failed (%d): %s", cmd, st, out);
    return out;
}

/* Writes a data file `key` with column id = first..first+n-1. */
static void write_data_file(delta_store *s, const char *key, int64_t first, int n)
{
    dfield f;
    assert_int_equal(dfield_init(&f, "id", dtype_new(DT_INT64), true), 0);
    dtype *schema = dtype_new_struct(&f, 1);
    assert_non_null(schema);
    dvec *b = NULL;
    assert_int_equal(dbatch_new(&b, schema), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(dvec_append_int(b->children[0], first + i), 0);
    assert_int_equal(dbatch_seal(b), 0);
    pq_writer *w = NULL;
    assert_int_equal(pq_writer_open(&w, s, key, 0, schema, NULL), 0);
    assert_int_equal(pq_writer_write(w, b), 0);
    assert_int_equal(pq_writer_close(w), 0);
    pq_writer_free(w);
    dvec_unref(b);
    dtype_unref(schema);
}

static void add_data(delta_store *s, dlog_snapshot *snap, const char *path, const char *part,
                     int64_t first, int n, const char *remove_path)
{
    char key[128];
    snprintf(key, sizeof key, "%s", path);
    write_data_file(s, key, first, n);
    delta_object_info oi;
    assert_int_equal(delta_store_head(s, key, &oi), 0);
    dlog_tx *tx = NULL;
    assert_int_equal(dlog_tx_begin(&tx, s, snap, NULL), 0);
    if (!snap) {
        th_stage(tx, TH_PROTO);
        th_stage(tx, TH_META);
    }
    char line[512];
    snprintf(line, sizeof line,
             "{\"add\":{\"path\":\"%s\",\"partitionValues\":{\"p\":\"%s\"},\"size\":%lld,"
             "\"modificationTime\":%lld,\"dataChange\":true,\"stats\":\"{\\\"numRecords\\\":%d}\"}}",
             path, part, (long long)oi.size, (long long)oi.mtime_ms, n);
    th_stage(tx, line);
    if (remove_path)
        assert_int_equal(
            dlog_tx_remove_file(tx, dlog_snapshot_find_file(snap, remove_path, NULL), true), 0);
    th_commit(tx);
    dlog_tx_free(tx);
}

static void test_duckdb(void **state)
{
    (void)state;
    const char *d = oracle();
    if (!d) {
        print_message("node or the DuckDB oracle is not available: skipped\n");
        skip();
    }
    char *dir = tmpdir_make("ckpt-duck");
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, dir), 0);
    /* v0: a (ids 0..9); v1: b (10..14); v2: c (100..102), removes a; then a
     * checkpoint at 2 and v3: d (1000..1001). */
    add_data(s, NULL, "p=x/a.parquet", "x", 0, 10, NULL);
    for (int v = 1; v <= 3; v++) {
        dlog_snapshot *snap = th_open(s);
        if (v == 1)
            add_data(s, snap, "p=y/b.parquet", "y", 10, 5, NULL);
        else if (v == 2)
            add_data(s, snap, "p=x/c.parquet", "x", 100, 3, "p=x/a.parquet");
        else
            add_data(s, snap, "p=z/d.parquet", "z", 1000, 2, NULL);
        dlog_snapshot_free(snap);
        if (v == 2) {
            dlog_snapshot *at2 = th_open(s);
            dlog_ckpt_write_opts o = DLOG_CKPT_WRITE_OPTS_INIT;
            o.stats_struct = DLOG_CKPT_ON;
            assert_int_equal(dlog_checkpoint_write(s, at2, &o, NULL), 0);
            dlog_snapshot_free(at2);
        }
    }
    delete_commits(s, 2);

    /* DuckDB reads the checkpoint itself. */
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "node %s/sql.mjs \"SELECT count(add) AS adds, count(remove) AS removes, "
             "count(metaData) AS metas, count(protocol) AS protos, "
             "sum(add.size) > 0 AS sized, "
             "string_agg(add.partitionValues_parsed.p, ',' ORDER BY add.path) AS parts, "
             "sum(add.stats_parsed.numRecords) AS records, "
             "max(metaData.id) AS id, max(protocol.minWriterVersion) AS w, "
             "count(*) FILTER (WHERE add.dataChange) AS changing "
             "FROM read_parquet('%s/_delta_log/00000000000000000002.checkpoint.parquet')\"",
             d, dir);
    const char *out = run(cmd);
    if (!strstr(out, "\"adds\":\"2\"") || !strstr(out, "\"removes\":\"1\"") || !strstr(out, "\"metas\":\"1\"") ||
        !strstr(out, "\"protos\":\"1\"") || !strstr(out, "\"sized\":true") ||
        !strstr(out, "\"parts\":\"x,y\"") || !strstr(out, "\"records\":\"8\"") ||
        !strstr(out, "\"id\":\"tid\"") || !strstr(out, "\"w\":2") ||
        !strstr(out, "\"changing\":\"0\""))
        fail_msg("DuckDB read of the checkpoint: %s", out);

    /* The oracle's own Delta reader replays from our checkpoint. */
    char result[1200];
    snprintf(result, sizeof result, "%s/replay.parquet", dir);
    snprintf(cmd, sizeof cmd, "node %s/replay.mjs %s %s", d, dir, result);
    out = run(cmd);
    if (!strstr(out, "OK version 3 files 3 rows 10"))
        fail_msg("replay.mjs: %s", out);
    snprintf(cmd, sizeof cmd,
             "node %s/sql.mjs \"SELECT sum(id) AS s, string_agg(DISTINCT p, ',' ORDER BY p) AS ps "
             "FROM read_parquet('%s')\"",
             d, result);
    out = run(cmd);
    /* 10..14 + 100..102 + 1000..1001 */
    if (!strstr(out, "\"s\":\"2364\"") || !strstr(out, "\"ps\":\"x,y,z\""))
        fail_msg("rows replayed from our checkpoint: %s", out);
    delta_store_free(s);
    tmpdir_remove(dir);
}

/* ---- crashes ----------------------------------------------------------------- */

static void crash_loop(delta_store *inner)
{
    dlog_snapshot *json = th_open(inner);
    uint64_t n;
    for (n = 1;; n++) {
        delta_store *f = NULL;
        assert_int_equal(delta_store_fault_wrap(&f, inner, DELTA_FAULT_CRASH, n), 0);
        int rc = dlog_checkpoint_write(f, json, NULL, NULL);
        delta_fault_stats st;
        delta_store_fault_stats(f, &st);
        delta_store_free(f);
        /* Whatever was left behind, the table reads the same. */
        dlog_snapshot *after = th_open(inner);
        expect_same_state("after a crash", json, after, true);
        dlog_snapshot_free(after);
        if (!st.crashed) {
            assert_int_equal(rc, 0);
            break;
        }
        assert_int_not_equal(rc, 0);
    }
    assert_true(n > 2);
    /* The finished checkpoint is the one read now. */
    dlog_snapshot *after = th_open(inner);
    assert_int_equal(after->checkpoint_version, json->version);
    dlog_snapshot_free(after);
    dlog_snapshot_free(json);
}

static void test_crash_at_every_operation(void **state)
{
    (void)state;
    delta_store *m = mem_store();
    build_table(m);
    crash_loop(m);
    delta_store_free(m);

    char *dir = tmpdir_make("ckpt-crash");
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, dir), 0);
    build_table(s);
    crash_loop(s);
    /* A damaged checkpoint (torn by something other than us) is bypassed
     * while the commits are there. */
    assert_int_equal(delta_store_put(s, "_delta_log/00000000000000000002.checkpoint.parquet",
                                     "PAR1xxxxPAR1", 12),
                     0);
    dlog_snapshot *snap = th_open(s);
    assert_int_equal(snap->skipped_checkpoint, 2);
    assert_int_equal(dlog_snapshot_num_files(snap), 4);
    dlog_snapshot_free(snap);
    delta_store_free(s);
    tmpdir_remove(dir);
}

static bool exists(delta_store *s, const char *key)
{
    delta_object_info oi;
    int rc = delta_store_head(s, key, &oi);
    delta_error_clear();
    return rc == 0;
}

/* ---- automatic checkpoints ------------------------------------------------------ */

static int64_t fake_now;
static int64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_now;
}

static void test_auto_checkpoint(void **state)
{
    (void)state;
    char *dir = tmpdir_make("ckpt-auto");
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, dir), 0);
    th_create(s, TH_META_CONF("auto", "\"delta.checkpointInterval\":\"3\""), 1);
    fake_now = dtime_now_ms();
    dlog_tx_opts o = DLOG_TX_OPTS_INIT;
    o.clock_ms = fake_clock;
    for (int v = 1; v <= 7; v++) {
        dlog_snapshot *snap = th_open(s);
        dlog_tx *tx = NULL;
        assert_int_equal(dlog_tx_begin(&tx, s, snap, &o), 0);
        char p[16];
        snprintf(p, sizeof p, "a%d", v);
        th_add(tx, p, "x", true);
        dlog_commit_result r;
        assert_int_equal(dlog_tx_commit(tx, &r), 0);
        assert_int_equal(r.version, v);
        assert_int_equal(r.checkpointed, v % 3 == 0);
        assert_int_equal(r.checkpoint_rc, 0);
        dlog_tx_free(tx);
        dlog_snapshot_free(snap);
    }
    dlog_last_checkpoint lc;
    assert_int_equal(dlog_read_last_checkpoint(s, &lc), 0);
    assert_int_equal(lc.version, 6);
    dlog_snapshot *snap = th_open(s);
    assert_int_equal(snap->checkpoint_version, 6);
    assert_int_equal(dlog_snapshot_num_files(snap), 8);

    /* A checkpoint that fails (here _last_checkpoint cannot be replaced)
     * does not fail its commit, and the table stays readable. */
    char p[1200];
    snprintf(p, sizeof p, "%s/_delta_log/_last_checkpoint", dir);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(mkdir(p, 0700), 0);
    dlog_tx *tx = NULL;
    for (int v = 8; v <= 9; v++) {
        assert_int_equal(dlog_tx_begin(&tx, s, snap, &o), 0);
        char f[16];
        snprintf(f, sizeof f, "b%d", v);
        th_add(tx, f, "x", true);
        dlog_commit_result r;
        assert_int_equal(dlog_tx_commit(tx, &r), 0);
        assert_int_equal(r.version, v);
        if (v == 9) {
            assert_false(r.checkpointed);
            assert_int_not_equal(r.checkpoint_rc, 0);
        }
        dlog_tx_free(tx);
    }
    dlog_snapshot_free(snap);
    snap = th_open(s);
    assert_int_equal(snap->version, 9);
    assert_int_equal(dlog_snapshot_num_files(snap), 10);
    dlog_snapshot_free(snap);
    assert_int_equal(rmdir(p), 0);

    /* Opting out. */
    snap = th_open(s);
    o.no_checkpoint = true;
    for (int v = 10; v <= 12; v++) {
        assert_int_equal(dlog_tx_begin(&tx, s, snap, &o), 0);
        char f[16];
        snprintf(f, sizeof f, "c%d", v);
        th_add(tx, f, "x", true);
        dlog_commit_result r;
        assert_int_equal(dlog_tx_commit(tx, &r), 0);
        assert_false(r.checkpointed);
        dlog_tx_free(tx);
    }
    dlog_snapshot_free(snap);
    assert_false(exists(s, "_delta_log/00000000000000000012.checkpoint.parquet"));
    delta_store_free(s);
    tmpdir_remove(dir);
}

/* ---- cleanup ------------------------------------------------------------------------ */

/* 2024-01-01T00:00:00Z */
#define BASE 1704067200000LL

static void set_mtime(const char *dir, const char *key, int64_t ms)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, key);
    struct timespec ts[2];
    ts[0].tv_sec = ts[1].tv_sec = ms / 1000;
    ts[0].tv_nsec = ts[1].tv_nsec = (ms % 1000) * 1000000;
    assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
}

static bool commit_exists(delta_store *s, int64_t v)
{
    char key[40];
    dlog_commit_key(key, v);
    return exists(s, key);
}

static void test_cleanup(void **state)
{
    (void)state;
    char *dir = tmpdir_make("ckpt-clean");
    delta_store *s = NULL;
    assert_int_equal(delta_store_open(&s, dir), 0);
    /* Commits 0..25, one a day from BASE; automatic checkpoints at 10 and
     * 20 (their cleanup, at the real time, deletes nothing yet). */
    th_create(s, TH_META, 1);
    for (int v = 1; v <= 25; v++) {
        char p[16];
        snprintf(p, sizeof p, "f%d", v);
        assert_int_equal(th_append(s, p, "x"), v);
    }
    for (int v = 0; v <= 25; v++) {
        char key[40];
        dlog_commit_key(key, v);
        assert_true(exists(s, key));
        set_mtime(dir, key, BASE + v * DAY + 3600000);
    }
    assert_true(exists(s, "_delta_log/00000000000000000010.checkpoint.parquet"));
    assert_true(exists(s, "_delta_log/00000000000000000020.checkpoint.parquet"));
    assert_int_equal(delta_store_put(s, "_delta_log/_sidecars/orphan.parquet", "x", 1), 0);
    set_mtime(dir, "_delta_log/_sidecars/orphan.parquet", BASE);
    assert_int_equal(delta_store_put(s, "_delta_log/_sidecars/young.parquet", "x", 1), 0);
    set_mtime(dir, "_delta_log/_sidecars/young.parquet", BASE + 40 * DAY);
    dlog_snapshot *snap = th_open(s);

    /* 30 days of retention ending on day 5: commit 5 is the cutoff, no
     * checkpoint at or below it, nothing goes. */
    dlog_cleanup_result r;
    assert_int_equal(dlog_cleanup(s, snap, BASE + 35 * DAY + 43200000, &r), 0);
    assert_int_equal(r.cutoff_checkpoint, -1);
    assert_int_equal(r.deleted_files, 0);
    assert_true(commit_exists(s, 0));

    /* Ending on day 15: checkpoint 10 is the newest at or below commit
     * 15; commits 0..9 go, 10 and everything after stay. */
    assert_int_equal(dlog_cleanup(s, snap, BASE + 45 * DAY + 43200000, &r), 0);
    assert_int_equal(r.cutoff_checkpoint, 10);
    assert_int_equal(r.deleted_files, 10);
    for (int v = 0; v <= 25; v++)
        assert_int_equal(commit_exists(s, v), v >= 10);
    assert_true(exists(s, "_delta_log/00000000000000000010.checkpoint.parquet"));
    /* Unreferenced sidecars older than a day before the cutoff go; a
     * younger one may belong to a checkpoint being written. */
    assert_int_equal(r.deleted_sidecars, 1);
    assert_false(exists(s, "_delta_log/_sidecars/orphan.parquet"));
    assert_true(exists(s, "_delta_log/_sidecars/young.parquet"));
    dlog_snapshot *t = open_opts(s, 10, false);
    assert_int_equal(t->checkpoint_version, 10);
    assert_int_equal(dlog_snapshot_num_files(t), 11);
    dlog_snapshot_free(t);
    dlog_snapshot *bad = NULL;
    dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
    o.at_version = 9;
    assert_int_equal(dlog_snapshot_open(&bad, s, &o), DELTA_ENOTFOUND);
    /* The cutoff is truncated to midnight UTC: now - 30 days = day 19
     * 23:59:59 gives day 19 00:00, so commit 18 (day 18 01:00) is the
     * cutoff commit and checkpoint 10 still the one kept: nothing more. */
    assert_int_equal(dlog_cleanup(s, snap, BASE + 49 * DAY + 86399000, &r), 0);
    assert_int_equal(r.cutoff_checkpoint, 10);
    assert_int_equal(r.deleted_files, 0);

    /* Ending after the last commit: checkpoint 20 is kept with its commit
     * and 21..25; commits 10..19 and checkpoint 10 go, and the sidecar
     * that has now aged. */
    assert_int_equal(dlog_cleanup(s, snap, BASE + 90 * DAY, &r), 0);
    assert_int_equal(r.cutoff_checkpoint, 20);
    assert_int_equal(r.deleted_files, 11);
    assert_int_equal(r.deleted_sidecars, 1);
    for (int v = 0; v <= 25; v++)
        assert_int_equal(commit_exists(s, v), v >= 20);
    assert_false(exists(s, "_delta_log/00000000000000000010.checkpoint.parquet"));
    assert_true(exists(s, "_delta_log/00000000000000000020.checkpoint.parquet"));
    assert_false(exists(s, "_delta_log/_sidecars/young.parquet"));
    dlog_snapshot_free(snap);
    snap = th_open(s);
    assert_int_equal(snap->version, 25);
    assert_int_equal(dlog_snapshot_num_files(snap), 26);
    t = open_opts(s, 20, false);
    assert_int_equal(dlog_snapshot_num_files(t), 21);
    dlog_snapshot_free(t);
    dlog_snapshot_free(snap);
    delta_store_free(s);
    tmpdir_remove(dir);
}

/* A crash at every storage operation of a cleanup leaves a table whose
 * latest version reads the same. */
static void test_cleanup_crash(void **state)
{
    (void)state;
    for (uint64_t n = 1;; n++) {
        delta_store *m = mem_store();
        th_create(m, TH_META, 1);
        for (int v = 1; v <= 12; v++) {
            char p[16];
            snprintf(p, sizeof p, "f%d", v);
            th_append(m, p, "x");
        }
        dlog_snapshot *before = th_open(m);
        delta_store *f = NULL;
        assert_int_equal(delta_store_fault_wrap(&f, m, DELTA_FAULT_CRASH, n), 0);
        dlog_cleanup_result r;
        int rc = dlog_cleanup(f, before, dtime_now_ms() + 90 * DAY, &r);
        delta_fault_stats st;
        delta_store_fault_stats(f, &st);
        delta_store_free(f);
        dlog_snapshot *after = th_open(m);
        expect_same_state("after a cleanup crash", before, after, true);
        dlog_snapshot_free(after);
        dlog_snapshot_free(before);
        bool crashed = st.crashed;
        if (!crashed) {
            assert_int_equal(rc, 0);
            assert_int_equal(r.cutoff_checkpoint, 10);
            assert_int_equal(r.deleted_files, 10);
            assert_false(commit_exists(m, 9));
            assert_true(commit_exists(m, 10));
        }
        delta_store_free(m);
        if (!crashed)
            break;
        assert_int_not_equal(rc, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_projection_and_stats_struct),
        cmocka_unit_test(test_tombstone_expiry),
        cmocka_unit_test(test_shared_tables),
        cmocka_unit_test(test_duckdb),
        cmocka_unit_test(test_crash_at_every_operation),
        cmocka_unit_test(test_auto_checkpoint),
        cmocka_unit_test(test_cleanup),
        cmocka_unit_test(test_cleanup_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
