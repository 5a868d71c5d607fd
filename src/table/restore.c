/*
 * RESTORE (delta_table_restore): rolls a table back to an earlier version
 * as a new commit, the way Delta's RESTORE TABLE does.
 *
 * Live files are compared by their reconciliation key (canonical path and
 * deletion vector id): a file live now but not at the target is removed
 * (dataChange true), a file live at the target but not now is added back
 * with the target's add action (statistics, partition values, deletion
 * vector, tags kept; dataChange true). Files live in both are left alone,
 * so a file whose deletion vector changed since the target is removed
 * under its new id and added back under the old one.
 *
 * Invariants:
 *   - nothing is written before every data file to be added back has been
 *     found in the store (head); a missing one (VACUUM deleted it) refuses
 *     the restore naming it, so a restore never commits dangling adds;
 *   - the target's metaData is staged only when it differs from the
 *     current one (in-commit timestamp settings keep their current values,
 *     so commit times stay monotonic); the protocol is the union of the current one and what
 *     the restored metadata needs, never lower than the current one;
 *   - the transaction reads the whole table, so any concurrent change to
 *     the files or the metadata is a conflict.
 */
#include <delta/table.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/dtime.h"
#include "core/error.h"
#include "log/actions.h"
#include "log/path.h"
#include "log/snapshot.h"
#include "log/txn.h"
#include "table/alter.h"
#include "table/dv.h"
#include "table/props.h"
#include "table/write.h"

/* Whether the data file of a live file exists in the store. */
static int file_exists(delta_store *store, const dlog_live_file *lf, bool *exists)
{
    delta_object_info info;
    int rc;
    *exists = false;
    if (dlog_path_is_absolute(lf->canonical)) {
        delta_store *abs = NULL;
        char *key = NULL;
        rc = dtab_open_absolute(lf->canonical, &abs, &key);
        if (!rc)
            rc = delta_store_head(abs, key, &info);
        delta_free(key);
        delta_store_free(abs);
    } else {
        rc = delta_store_head(store, lf->canonical, &info);
    }
    if (rc == DELTA_ENOTFOUND) {
        delta_error_clear();
        return 0;
    }
    if (!rc)
        *exists = true;
    return rc;
}

/* Stages a copy of a target's add action with dataChange true. */
static int stage_readd(dlog_tx *tx, const dlog_live_file *lf)
{
    dlog_action a;
    memset(&a, 0, sizeof a);
    a.type = DLOG_ACT_ADD;
    a.u.add = lf->add; /* shallow: only serialized */
    a.u.add.data_change = true;
    dbuf line = DBUF_INIT;
    int rc = dlog_action_serialize(&a, &line);
    if (!rc)
        rc = line.err;
    dlog_action copy;
    memset(&copy, 0, sizeof copy);
    if (!rc)
        rc = dlog_action_parse(&copy, dbuf_cstr(&line), line.len, "(restore)", 1);
    if (!rc)
        rc = dlog_tx_stage(tx, &copy);
    dlog_action_clear(&copy);
    dbuf_free(&line);
    return rc;
}

/* In-commit timestamp settings are not rolled back: commit timestamps must
 * stay monotonic across the restore, so the current values are kept. */
static const char *const kept_properties[] = {
    "delta.enableInCommitTimestamps",
    "delta.inCommitTimestampEnablementVersion",
    "delta.inCommitTimestampEnablementTimestamp",
};

/* The target's configuration with the kept properties as they are now. */
static int restored_configuration(const dlog_snapshot *cur, const dlog_snapshot *target,
                                  dlog_map *out)
{
    const dlog_map *tc = &target->metadata.configuration;
    int rc = 0;
    for (size_t i = 0; i < tc->count && !rc; i++) {
        bool kept = false;
        for (size_t k = 0; k < sizeof kept_properties / sizeof kept_properties[0]; k++)
            kept = kept || strcmp(tc->items[i].key, kept_properties[k]) == 0;
        if (!kept)
            rc = dtab_map_put(out, tc->items[i].key, tc->items[i].value);
    }
    for (size_t k = 0; k < sizeof kept_properties / sizeof kept_properties[0] && !rc; k++) {
        const char *v = dlog_snapshot_property(cur, kept_properties[k]);
        if (v)
            rc = dtab_map_put(out, kept_properties[k], v);
    }
    return rc;
}

static bool metadata_differs(const dlog_metadata *a, const dlog_metadata *b)
{
    json_t *x = dtab_metadata_json(a), *y = dtab_metadata_json(b);
    bool differs = !json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return differs;
}

static void put_metric(json_t *o, const char *key, int64_t v)
{
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)v);
    json_object_set_new(o, key, json_string(num));
}

DELTA_EXTERN int delta_table_restore(delta_table *t, int64_t version, const char *timestamp,
                                     delta_restore_result *out)
{
    delta_restore_result res;
    memset(&res, 0, sizeof res);
    if (out)
        *out = res;
    if ((version < 0) == (timestamp == NULL))
        return delta_error_set(DELTA_EINVAL, "restore: give a version or a timestamp (one of "
                                             "them)");
    dlog_snapshot_opts so = DLOG_SNAPSHOT_OPTS_INIT;
    if (timestamp) {
        int64_t us;
        int rc = dtime_parse_instant(timestamp, &us);
        if (rc)
            return rc;
        so.has_timestamp = true;
        so.at_timestamp_ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000);
    } else {
        so.at_version = version;
    }

    delta_store *store = NULL;
    dlog_snapshot *cur = NULL, *target = NULL;
    dlog_tx *tx = NULL;
    dlog_protocol proto = {0};
    dlog_map conf = {0};
    char *params = NULL, *metrics = NULL;
    int rc = delta_store_open(&store, delta_table_uri(t));
    if (!rc)
        rc = dlog_snapshot_open(&cur, store, NULL);
    if (rc)
        goto done;
    if ((rc = dlog_snapshot_open(&target, store, &so)))
        goto done;
    if (target->version > cur->version) {
        /* a commit landed between the two loads: restore against it */
        rc = delta_error_set(DELTA_ECONFLICT,
                             "restore: version %lld was committed while restoring; try again",
                             (long long)target->version);
        goto done;
    }
    res.restored_version = target->version;

    /* 1. what changes, and whether every file to add back still exists */
    size_t it = 0, missing = 0;
    const dlog_live_file *lf, *first_missing = NULL;
    while (dlog_snapshot_next_file(target, &it, &lf)) {
        res.num_files_after++;
        res.table_size_after += lf->add.size;
        if (dlog_snapshot_find_file(cur, lf->canonical, lf->dv_id))
            continue;
        bool exists;
        if ((rc = file_exists(store, lf, &exists)))
            goto done;
        if (!exists) {
            if (!first_missing)
                first_missing = lf;
            missing++;
        }
        res.num_restored_files++;
        res.restored_files_size += lf->add.size;
    }
    if (missing) {
        rc = delta_error_set(DELTA_ENOTFOUND,
                             "cannot restore version %lld: data file %s no longer exists (%zu of "
                             "its files are missing; deleted by VACUUM?)",
                             (long long)target->version, first_missing->add.path, missing);
        goto done;
    }
    it = 0;
    while (dlog_snapshot_next_file(cur, &it, &lf)) {
        if (dlog_snapshot_find_file(target, lf->canonical, lf->dv_id))
            continue;
        res.num_removed_files++;
        res.removed_files_size += lf->add.size;
    }
    if ((rc = restored_configuration(cur, target, &conf)))
        goto done;
    dlog_metadata meta = target->metadata;
    meta.configuration = conf;
    bool meta_changed = metadata_differs(&cur->metadata, &meta);
    if ((rc = dtab_protocol_upgrade(&cur->protocol, target->schema, &conf, &proto)))
        goto done;
    bool proto_changed = !dtab_protocol_same(&proto, &cur->protocol);
    res.version = cur->version;
    if (!meta_changed && !proto_changed && !res.num_removed_files && !res.num_restored_files)
        goto done; /* the table already has the target's state */

    /* 2. the commit */
    if ((rc = dlog_tx_begin(&tx, store, cur, NULL)))
        goto done;
    dlog_tx_read_whole_table(tx);
    if (proto_changed && (rc = dtab_stage_protocol(tx, &proto)))
        goto done;
    if (meta_changed && (rc = dtab_stage_metadata(tx, &meta)))
        goto done;
    it = 0;
    while (dlog_snapshot_next_file(cur, &it, &lf))
        if (!dlog_snapshot_find_file(target, lf->canonical, lf->dv_id) &&
            (rc = dlog_tx_remove_file(tx, lf, true)))
            goto done;
    it = 0;
    while (dlog_snapshot_next_file(target, &it, &lf))
        if (!dlog_snapshot_find_file(cur, lf->canonical, lf->dv_id) &&
            (rc = stage_readd(tx, lf)))
            goto done;

    json_t *pj = json_object();
    if (timestamp) {
        json_object_set_new(pj, "version", json_null());
        json_object_set_new(pj, "timestamp", json_string(timestamp));
    } else {
        json_object_set_new(pj, "version", json_integer(version)); /* a number, as Spark */
        json_object_set_new(pj, "timestamp", json_null());
    }
    params = dlog_json_text(pj);
    json_decref(pj);
    json_t *mj = json_object();
    put_metric(mj, "tableSizeAfterRestore", res.table_size_after);
    put_metric(mj, "numOfFilesAfterRestore", res.num_files_after);
    put_metric(mj, "numRemovedFiles", res.num_removed_files);
    put_metric(mj, "numRestoredFiles", res.num_restored_files);
    put_metric(mj, "removedFilesSize", res.removed_files_size);
    put_metric(mj, "restoredFilesSize", res.restored_files_size);
    metrics = dlog_json_text(mj);
    json_decref(mj);
    if (!params || !metrics) {
        rc = DELTA_ENOMEM;
        goto done;
    }
    if ((rc = dlog_tx_set_operation(tx, "RESTORE", params, metrics)))
        goto done;
    dlog_commit_result cr;
    if ((rc = dlog_tx_commit(tx, &cr)))
        goto done;
    res.version = cr.version;
    res.committed = true;
done:
    if (!rc && out)
        *out = res;
    dlog_tx_free(tx);
    dtab_protocol_clear(&proto);
    dlog_map_clear(&conf);
    delta_free(params);
    delta_free(metrics);
    dlog_snapshot_free(target);
    dlog_snapshot_free(cur);
    delta_store_free(store);
    return rc;
}
