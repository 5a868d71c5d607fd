/*
 * Helpers shared by the transaction tests: stage actions written as JSON
 * text, create a table, append files, open snapshots.
 */
#ifndef DELTA_TEST_TXN_HELPERS_H
#define DELTA_TEST_TXN_HELPERS_H

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "log/actions.h"
#include "log/snapshot.h"
#include "log/txn.h"

#define TH_PROTO "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}"
#define TH_SCHEMA                                                                           \
    "{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":[{\\\"name\\\":\\\"id\\\",\\\"type\\\":"   \
    "\\\"long\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}},{\\\"name\\\":\\\"p\\\","      \
    "\\\"type\\\":\\\"string\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}}]}"
#define TH_META_CONF(id, conf)                                                              \
    "{\"metaData\":{\"id\":\"" id "\",\"format\":{\"provider\":\"parquet\",\"options\":{}}," \
    "\"schemaString\":\"" TH_SCHEMA "\",\"partitionColumns\":[\"p\"],\"configuration\":{"   \
    conf "}}}"
#define TH_META TH_META_CONF("tid", "")

/* Parses one action line and stages it (the test fails on error). */
static inline void th_stage(dlog_tx *tx, const char *json)
{
    dlog_action a;
    int rc = dlog_action_parse(&a, json, strlen(json), "test", 1);
    if (rc)
        fail_msg("parse %s: %s", json, delta_error_last());
    rc = dlog_tx_stage(tx, &a);
    if (rc) {
        dlog_action_clear(&a);
        fail_msg("stage %s: %s", json, delta_error_last());
    }
}

/* Stages an add of `path` in partition p=`part`. */
static inline void th_add(dlog_tx *tx, const char *path, const char *part, bool data_change)
{
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"add\":{\"path\":\"%s\",\"partitionValues\":{\"p\":\"%s\"},\"size\":10,"
             "\"modificationTime\":1,\"dataChange\":%s}}",
             path, part, data_change ? "true" : "false");
    th_stage(tx, buf);
}

static inline dlog_snapshot *th_open(delta_store *s)
{
    dlog_snapshot *snap = NULL;
    int rc = dlog_snapshot_open(&snap, s, NULL);
    if (rc)
        fail_msg("open failed: %s", delta_error_last());
    return snap;
}

static inline dlog_snapshot *th_open_at(delta_store *s, int64_t v)
{
    dlog_snapshot *snap = NULL;
    dlog_snapshot_opts o = DLOG_SNAPSHOT_OPTS_INIT;
    o.at_version = v;
    int rc = dlog_snapshot_open(&snap, s, &o);
    if (rc)
        fail_msg("open at %lld failed: %s", (long long)v, delta_error_last());
    return snap;
}

/* Commits and fails the test on error; returns the version. */
static inline int64_t th_commit(dlog_tx *tx)
{
    dlog_commit_result r;
    int rc = dlog_tx_commit(tx, &r);
    if (rc)
        fail_msg("commit failed: %s", delta_error_last());
    return r.version;
}

/* Creates the table (version 0) with the given metaData line and files
 * "f0".."f<n-1>" in partition p=x. */
static inline void th_create(delta_store *s, const char *meta, int nfiles)
{
    dlog_tx *tx = NULL;
    assert_int_equal(dlog_tx_begin(&tx, s, NULL, NULL), 0);
    th_stage(tx, TH_PROTO);
    th_stage(tx, meta);
    for (int i = 0; i < nfiles; i++) {
        char p[32];
        snprintf(p, sizeof p, "f%d", i);
        th_add(tx, p, "x", true);
    }
    assert_int_equal(th_commit(tx), 0);
    dlog_tx_free(tx);
}

/* Blind-appends one file from the latest snapshot; returns the version. */
static inline int64_t th_append(delta_store *s, const char *path, const char *part)
{
    dlog_snapshot *snap = th_open(s);
    dlog_tx *tx = NULL;
    assert_int_equal(dlog_tx_begin(&tx, s, snap, NULL), 0);
    th_add(tx, path, part, true);
    int64_t v = th_commit(tx);
    dlog_tx_free(tx);
    dlog_snapshot_free(snap);
    return v;
}

#endif
