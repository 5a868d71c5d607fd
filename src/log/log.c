/*
 * Listing `_delta_log/` and choosing log segments (see log.h).
 *
 * The directory is listed once per snapshot load (twice only when a stale
 * _last_checkpoint hint sent the first listing too far ahead). File names
 * are parsed strictly: a name that is almost a log file (wrong padding,
 * part 3 of 2) is ignored rather than guessed at, as the reference
 * implementation does.
 */
#include "log/log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"

/* ---- names ----------------------------------------------------------------- */

static bool digits(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (v > (INT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

dlog_file_kind dlog_classify(const char *name, dlog_file *out)
{
    memset(out, 0, sizeof *out);
    out->version = -1;
    out->end_version = -1;
    out->num_parts = 1;
    if (strcmp(name, "_last_checkpoint") == 0)
        return out->kind = DLOG_FILE_LAST_CHECKPOINT;
    int64_t v;
    if (strlen(name) < 21 || !digits(name, 20, &v) || name[20] != '.')
        return DLOG_FILE_OTHER;
    const char *rest = name + 21;
    out->version = out->end_version = v;
    if (strcmp(rest, "json") == 0)
        return out->kind = DLOG_FILE_COMMIT;
    if (strcmp(rest, "crc") == 0)
        return out->kind = DLOG_FILE_CRC;
    if (strcmp(rest, "checkpoint.parquet") == 0)
        return out->kind = DLOG_FILE_CHECKPOINT;
    int64_t a, b;
    if (strncmp(rest, "checkpoint.", 11) == 0) {
        const char *c = rest + 11;
        size_t n = strlen(c);
        /* PPPPPPPPPP.NNNNNNNNNN.parquet */
        if (n == 10 + 1 + 10 + 8 && digits(c, 10, &a) && c[10] == '.' && digits(c + 11, 10, &b) &&
            strcmp(c + 21, ".parquet") == 0) {
            if (a < 1 || b < 1 || a > b || b > UINT32_MAX)
                return out->kind = DLOG_FILE_OTHER;
            out->part = (uint32_t)a;
            out->num_parts = (uint32_t)b;
            return out->kind = DLOG_FILE_CHECKPOINT_PART;
        }
        /* UUID.json | UUID.parquet */
        const char *dot = strchr(c, '.');
        if (dot && dot > c && (strcmp(dot, ".json") == 0 || strcmp(dot, ".parquet") == 0)) {
            out->is_json = strcmp(dot, ".json") == 0;
            return out->kind = DLOG_FILE_CHECKPOINT_UUID;
        }
        out->version = -1;
        return out->kind = DLOG_FILE_OTHER;
    }
    if (strlen(rest) == 20 + strlen(".compacted.json") && digits(rest, 20, &b) &&
        strcmp(rest + 20, ".compacted.json") == 0 && b > v) {
        out->end_version = b;
        return out->kind = DLOG_FILE_COMPACTED;
    }
    out->version = out->end_version = -1;
    return out->kind = DLOG_FILE_OTHER;
}

void dlog_commit_key(char out[40], int64_t version)
{
    snprintf(out, 40, DLOG_DIR "%020lld.json", (long long)version);
}

/* ---- listing ----------------------------------------------------------------- */

static int file_cmp(const void *pa, const void *pb)
{
    const dlog_file *a = pa, *b = pb;
    if (a->version != b->version)
        return a->version < b->version ? -1 : 1;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    return strcmp(a->key, b->key);
}

void dlog_listing_free(dlog_listing *l)
{
    for (size_t i = 0; i < l->count; i++)
        delta_free(l->files[i].key);
    delta_free(l->files);
    memset(l, 0, sizeof *l);
}

int dlog_list(delta_store *table, int64_t start_version, dlog_listing *out)
{
    memset(out, 0, sizeof *out);
    delta_object_list objs = {0};
    char after[64];
    if (start_version >= 0)
        snprintf(after, sizeof after, DLOG_DIR "%020lld", (long long)start_version);
    int rc = delta_store_list(table, DLOG_DIR, start_version >= 0 ? after : NULL, 0, &objs);
    if (rc) {
        delta_object_list_free(&objs);
        return delta_error_prefix(rc, "listing %s" DLOG_DIR ": ", delta_store_uri(table));
    }
    out->listed_from_start = start_version < 0;
    if (objs.count == 0) {
        delta_object_list_free(&objs);
        if (start_version < 0)
            return delta_error_set(DELTA_ENOTFOUND, "not a Delta table: no _delta_log at %s",
                                   delta_store_uri(table));
        return 0;
    }
    out->files = delta_calloc(objs.count, sizeof *out->files);
    if (!out->files) {
        delta_object_list_free(&objs);
        return DELTA_ENOMEM;
    }
    for (size_t i = 0; i < objs.count; i++) {
        const char *key = objs.items[i].key;
        if (strncmp(key, DLOG_DIR, strlen(DLOG_DIR)) != 0)
            continue;
        dlog_file f;
        if (dlog_classify(key + strlen(DLOG_DIR), &f) == DLOG_FILE_OTHER)
            continue;
        f.key = objs.items[i].key; /* take it */
        objs.items[i].key = NULL;
        f.size = objs.items[i].size;
        f.mtime_ms = objs.items[i].mtime_ms;
        out->files[out->count++] = f;
    }
    delta_object_list_free(&objs);
    qsort(out->files, out->count, sizeof *out->files, file_cmp);
    return 0;
}

/* ---- _last_checkpoint ----------------------------------------------------------- */

int dlog_read_last_checkpoint(delta_store *table, dlog_last_checkpoint *out)
{
    memset(out, 0, sizeof *out);
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = delta_store_get(table, DLOG_DIR "_last_checkpoint", &data, &len);
    if (rc)
        return rc;
    json_error_t jerr;
    json_t *root = json_loadb((const char *)data, len, 0, &jerr);
    delta_free(data);
    json_t *v = root ? json_object_get(root, "version") : NULL;
    json_t *sz = root ? json_object_get(root, "size") : NULL;
    json_t *parts = root ? json_object_get(root, "parts") : NULL;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (sz && !json_is_integer(sz)) ||
        (parts && !json_is_null(parts) &&
         (!json_is_integer(parts) || json_integer_value(parts) < 1))) {
        json_decref(root);
        return delta_error_set(DELTA_ECORRUPT, DLOG_DIR "_last_checkpoint: %s",
                               root ? "not a valid checkpoint pointer" : "invalid JSON");
    }
    out->version = json_integer_value(v);
    out->size = sz ? json_integer_value(sz) : -1;
    out->has_parts = parts && json_is_integer(parts);
    out->parts = out->has_parts ? json_integer_value(parts) : 1;
    json_decref(root);
    return 0;
}

/* ---- segments ------------------------------------------------------------------ */

void dlog_segment_free(dlog_segment *s)
{
    for (size_t i = 0; i < s->num_checkpoint_files; i++)
        delta_free(s->checkpoint[i].key);
    for (size_t i = 0; i < s->num_commits; i++)
        delta_free(s->commits[i].key);
    delta_free(s->checkpoint);
    delta_free(s->commits);
    memset(s, 0, sizeof *s);
}

static int copy_file(dlog_file *dst, const dlog_file *src)
{
    *dst = *src;
    dst->key = delta_strdup(src->key);
    return dst->key ? 0 : DELTA_ENOMEM;
}

/* Files of the complete checkpoint at version v, best kind first: a UUID
 * (v2) checkpoint, then a classic one, then a complete multi-part set.
 * Returns the number of files (0: none complete) and the index of the
 * first in *first (parts are consecutive by key order). */
static size_t checkpoint_at(const dlog_listing *l, size_t lo, size_t hi, size_t *first)
{
    for (size_t i = lo; i < hi; i++) {
        if (l->files[i].kind == DLOG_FILE_CHECKPOINT_UUID) {
            *first = i;
            return 1;
        }
    }
    for (size_t i = lo; i < hi; i++) {
        if (l->files[i].kind == DLOG_FILE_CHECKPOINT) {
            *first = i;
            return 1;
        }
    }
    /* Parts sort by key, i.e. by (part, num_parts) as both are padded:
     * for each part count N, look for parts 1..N among the files. */
    for (size_t i = lo; i < hi; i++) {
        const dlog_file *f = &l->files[i];
        if (f->kind != DLOG_FILE_CHECKPOINT_PART || f->part != 1)
            continue;
        uint32_t n = f->num_parts, found = 0;
        for (size_t j = lo; j < hi; j++) {
            const dlog_file *g = &l->files[j];
            if (g->kind == DLOG_FILE_CHECKPOINT_PART && g->num_parts == n && g->part == found + 1)
                found++;
        }
        if (found == n) {
            *first = i;
            return n;
        }
    }
    return 0;
}

/* Copies the parts of an n-part checkpoint (part order) from [lo, hi). */
static int copy_checkpoint(dlog_segment *s, const dlog_listing *l, size_t lo, size_t hi,
                           size_t first, size_t n)
{
    s->checkpoint = delta_calloc(n, sizeof *s->checkpoint);
    if (!s->checkpoint)
        return DELTA_ENOMEM;
    if (n == 1) {
        s->num_checkpoint_files = 1;
        return copy_file(&s->checkpoint[0], &l->files[first]);
    }
    uint32_t want = l->files[first].num_parts;
    for (uint32_t p = 1; p <= want; p++) {
        for (size_t j = lo; j < hi; j++) {
            const dlog_file *g = &l->files[j];
            if (g->kind == DLOG_FILE_CHECKPOINT_PART && g->num_parts == want && g->part == p) {
                int rc = copy_file(&s->checkpoint[s->num_checkpoint_files], g);
                if (rc)
                    return rc;
                s->num_checkpoint_files++;
                break;
            }
        }
    }
    return 0;
}

int dlog_segment_build(const dlog_listing *l, int64_t version, int64_t max_checkpoint_version,
                       dlog_segment *out)
{
    memset(out, 0, sizeof *out);
    out->checkpoint_version = -1;
    int64_t latest = -1, earliest = -1;
    bool have_zero = false;
    for (size_t i = 0; i < l->count; i++) {
        const dlog_file *f = &l->files[i];
        if (f->kind == DLOG_FILE_COMMIT) {
            if (f->version > latest)
                latest = f->version;
            if (f->version == 0)
                have_zero = true;
        }
    }
    /* The oldest version with a complete checkpoint bounds time travel when
     * version 0 is gone; a checkpoint newer than every commit also counts
     * as a version. */
    for (size_t i = 0; i < l->count;) {
        size_t j = i;
        while (j < l->count && l->files[j].version == l->files[i].version)
            j++;
        size_t first;
        if (l->files[i].version >= 0 && checkpoint_at(l, i, j, &first)) {
            if (earliest < 0)
                earliest = l->files[i].version;
            if (l->files[i].version > latest)
                latest = l->files[i].version;
        }
        i = j;
    }
    if (have_zero && l->listed_from_start)
        earliest = 0;
    if (latest < 0)
        return delta_error_set(DELTA_ENOTFOUND,
                               "not a Delta table: _delta_log has no commit or checkpoint");
    out->latest_version = latest;
    out->earliest_version = earliest;
    int64_t target = version < 0 ? latest : version;
    if (target > latest)
        return delta_error_set(DELTA_ENOTFOUND,
                               "version %lld does not exist: the latest version is %lld",
                               (long long)target, (long long)latest);

    /* Newest complete checkpoint at or below the target (and the limit). */
    int64_t cp_limit = target;
    if (max_checkpoint_version >= 0 && max_checkpoint_version < cp_limit)
        cp_limit = max_checkpoint_version;
    if (max_checkpoint_version < -1)
        cp_limit = -1; /* no checkpoint at all */
    size_t hi = l->count;
    while (hi > 0) {
        size_t lo = hi - 1;
        int64_t v = l->files[lo].version;
        while (lo > 0 && l->files[lo - 1].version == v)
            lo--;
        if (v >= 0 && v <= cp_limit) {
            size_t first, n = checkpoint_at(l, lo, hi, &first);
            if (n) {
                int rc = copy_checkpoint(out, l, lo, hi, first, n);
                if (rc) {
                    dlog_segment_free(out);
                    return rc;
                }
                out->checkpoint_version = v;
                break;
            }
        }
        hi = lo;
    }

    /* Commits after it, contiguous up to the target. */
    int64_t from = out->checkpoint_version + 1;
    size_t n = (size_t)(target - out->checkpoint_version);
    if (n > 0) {
        out->commits = delta_calloc(n, sizeof *out->commits);
        if (!out->commits) {
            dlog_segment_free(out);
            return DELTA_ENOMEM;
        }
    }
    int64_t expect = from;
    for (size_t i = 0; i < l->count && expect <= target; i++) {
        const dlog_file *f = &l->files[i];
        if (f->kind != DLOG_FILE_COMMIT || f->version < expect)
            continue;
        if (f->version > expect)
            break;
        int rc = copy_file(&out->commits[out->num_commits++], f);
        if (rc) {
            out->num_commits--;
            dlog_segment_free(out);
            return rc;
        }
        expect++;
    }
    if (expect <= target) {
        int64_t missing = expect;
        dlog_segment_free(out);
        if (missing == 0 || (earliest >= 0 && target < earliest))
            goto cleaned_up;
        return delta_error_set(DELTA_ECORRUPT,
                               "_delta_log: commit %020lld.json is missing (version %lld is "
                               "needed to reconstruct version %lld)",
                               (long long)missing, (long long)missing, (long long)target);
    }
    out->version = target;
    return 0;

cleaned_up:
    if (earliest >= 0)
        return delta_error_set(DELTA_ENOTFOUND,
                               "version %lld is no longer available: the log was cleaned up; "
                               "the earliest available version is %lld",
                               (long long)target, (long long)earliest);
    return delta_error_set(DELTA_ECORRUPT,
                           "_delta_log: commit %020lld.json is missing and no checkpoint "
                           "covers it",
                           (long long)0);
}
