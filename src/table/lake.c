/*
 * The lake: a base URI holding one table per folder (the seed's
 * DeltaLakeManager base path). Listing finds every direct sub-folder with
 * a `_delta_log/` and summarises its latest snapshot; names are checked
 * so that a table name can never reach outside the lake.
 */
#include <delta/table.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "log/snapshot.h"

DELTA_EXTERN int delta_lake_check_name(const char *name)
{
    if (!name || !*name)
        return delta_error_set(DELTA_EINVAL, "empty table name");
    size_t n = strlen(name);
    if (n > 255)
        return delta_error_set(DELTA_EINVAL, "table name '%.40s...' is longer than 255 characters",
                               name);
    if (name[0] == '-')
        return delta_error_set(DELTA_EINVAL, "table name '%s' starts with '-'", name);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok)
            return delta_error_set(DELTA_EINVAL,
                                   "table name '%s': character '%c' is not allowed (letters, "
                                   "digits, '_' and '-')",
                                   name, c >= 32 && c < 127 ? c : '?');
    }
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const delta_lake_entry *)a)->name, ((const delta_lake_entry *)b)->name);
}

static void summarise(delta_store *lake, delta_lake_entry *e)
{
    delta_store *ts = NULL;
    dlog_snapshot *s = NULL;
    e->version = -1;
    e->num_records = -1;
    int rc = delta_store_open_sub(&ts, lake, e->name);
    if (!rc)
        rc = dlog_snapshot_open(&s, ts, NULL);
    if (rc) {
        e->error = delta_strdup(delta_error_last());
    } else {
        e->version = s->version;
        int64_t records = 0;
        bool known = true;
        size_t it = 0;
        const dlog_live_file *lf;
        while (dlog_snapshot_next_file(s, &it, &lf)) {
            e->num_files++;
            e->size_bytes += lf->add.size;
            json_t *j = lf->add.stats ? json_loads(lf->add.stats, 0, NULL) : NULL;
            json_t *nr = j ? json_object_get(j, "numRecords") : NULL;
            if (json_is_integer(nr))
                records += json_integer_value(nr) - (lf->add.has_dv ? lf->add.dv.cardinality : 0);
            else
                known = false;
            json_decref(j);
        }
        e->num_records = known ? records : -1;
    }
    dlog_snapshot_free(s);
    delta_store_free(ts);
}

DELTA_EXTERN int delta_lake_list_tables(const char *lake_uri, delta_lake_list *out)
{
    memset(out, 0, sizeof *out);
    delta_store *lake = NULL;
    delta_object_list l = {0};
    int rc = delta_store_open(&lake, lake_uri);
    if (rc)
        return rc;
    rc = delta_store_list(lake, "", NULL, DELTA_LIST_RECURSIVE, &l);
    if (rc == DELTA_ENOTFOUND) {
        delta_store_free(lake);
        return 0;
    }
    /* names of folders with a _delta_log/ entry */
    for (size_t i = 0; !rc && i < l.count; i++) {
        const char *k = l.items[i].key;
        const char *marker = strstr(k, "/_delta_log/");
        if (!marker || memchr(k, '/', (size_t)(marker - k)))
            continue;
        size_t n = (size_t)(marker - k);
        if (out->count && strlen(out->items[out->count - 1].name) == n &&
            strncmp(out->items[out->count - 1].name, k, n) == 0)
            continue;
        bool seen = false;
        for (size_t x = 0; x < out->count && !seen; x++)
            seen = strlen(out->items[x].name) == n && strncmp(out->items[x].name, k, n) == 0;
        if (seen)
            continue;
        delta_lake_entry *items = delta_realloc(out->items, (out->count + 1) * sizeof *items);
        if (!items) {
            rc = DELTA_ENOMEM;
            break;
        }
        out->items = items;
        memset(&items[out->count], 0, sizeof *items);
        if (!(items[out->count].name = delta_strndup(k, n))) {
            rc = DELTA_ENOMEM;
            break;
        }
        out->count++;
    }
    delta_object_list_free(&l);
    if (!rc) {
        if (out->count)
            qsort(out->items, out->count, sizeof *out->items, cmp_entry);
        for (size_t i = 0; i < out->count; i++)
            summarise(lake, &out->items[i]);
    }
    delta_store_free(lake);
    if (rc)
        delta_lake_list_free(out);
    return rc;
}

DELTA_EXTERN void delta_lake_list_free(delta_lake_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++) {
        delta_free((char *)l->items[i].name);
        delta_free((char *)l->items[i].error);
    }
    delta_free(l->items);
    memset(l, 0, sizeof *l);
}
