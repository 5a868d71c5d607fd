/*
 * Auto compaction (delta.autoOptimize.autoCompact): the public
 * delta_table_write and delta_table_write_file are the table layer's
 * writes (table/write.h: dtab_table_write, dtab_table_write_file)
 * followed, when the table asks for it, by a bin-packing OPTIMIZE of the
 * partitions the write added files to (ops/optimize.h:
 * dops_optimize_partitions). They live here because the table layer does
 * not call the ops layer.
 *
 * Invariants: the write's commit is never undone or reported as failed
 * because of the compaction; the compaction is its own commit after the
 * write's (as Delta's auto compaction is), read from the latest snapshot,
 * and only partitions the write touched and holding at least the
 * threshold of small files are rewritten, so a write into a compact
 * partition costs one snapshot read and nothing more.
 */
#include <delta/optimize.h>
#include <delta/table.h>

#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "log/snapshot.h"
#include "ops/optimize.h"
#include "table/write.h"

/* Delta's spark.databricks.delta.autoCompact.minNumFiles default. */
#define AUTO_COMPACT_MIN_FILES 50

static bool auto_compact_on(const dlog_snapshot *s)
{
    const char *v = dlog_snapshot_property(s, "delta.autoOptimize.autoCompact");
    return v && (!strcasecmp(v, "true") || !strcasecmp(v, "auto") || !strcasecmp(v, "legacy"));
}

static void auto_compact(delta_table *t, const delta_write_options *o, delta_write_result *r,
                         const dtab_touched *touched)
{
    if (!touched->count)
        return;
    delta_store *st = NULL;
    dlog_snapshot *snap = NULL;
    int rc = delta_store_open(&st, delta_table_uri(t));
    if (!rc)
        rc = dlog_snapshot_open(&snap, st, NULL);
    if (!rc && auto_compact_on(snap)) {
        size_t min = AUTO_COMPACT_MIN_FILES;
        if (o && o->version >= 2 && o->auto_compact_min_files > 0)
            min = (size_t)o->auto_compact_min_files;
        delta_optimize_result res;
        rc = dops_optimize_partitions(st, snap, (const char *const *)touched->keys, touched->count,
                                      min, NULL, &res);
        if (!rc && res.version >= 0) {
            r->auto_compact_version = res.version;
            r->auto_compact_files_removed = res.num_files_removed;
            r->auto_compact_files_added = res.num_files_added;
        }
    }
    if (rc) {
        rc = delta_error_prefix(
            rc, "auto compaction of %s (the write is committed): ", delta_table_uri(t));
        r->auto_compact_error = rc;
    }
    dlog_snapshot_free(snap);
    delta_store_free(st);
}

static bool committed(const delta_write_result *r)
{
    return r->num_files > 0;
}

DELTA_EXTERN int delta_table_write(delta_table *t, struct ArrowArrayStream *input,
                                   const delta_write_options *opts, delta_write_result *result)
{
    delta_write_result local;
    delta_write_result *r = result ? result : &local;
    dtab_touched touched = {NULL, 0};
    int rc = dtab_table_write(t, input, opts, r, &touched);
    r->auto_compact_version = -1;
    if (!rc && committed(r))
        auto_compact(t, opts, r, &touched);
    dtab_touched_free(&touched);
    return rc;
}

DELTA_EXTERN int delta_table_write_file(delta_table *t, const char *path, const char *format,
                                        const delta_write_options *opts, delta_write_result *result)
{
    delta_write_result local;
    delta_write_result *r = result ? result : &local;
    dtab_touched touched = {NULL, 0};
    int rc = dtab_table_write_file(t, path, format, opts, r, &touched);
    r->auto_compact_version = -1;
    if (!rc && committed(r))
        auto_compact(t, opts, r, &touched);
    dtab_touched_free(&touched);
    return rc;
}
