/*
 * Lake maintenance: the lake's config, per-table policies, the job log,
 * table locks, the due-job pass and the health metrics (rules in
 * delta/maintenance.h, invariants in maintenance.h).
 *
 * Everything goes through the lake's store (a sub-store per table), so a
 * lake on any backend works; time comes only from the handle's clock so
 * tests can drive the schedule.
 */
#include "ops/maintenance.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <delta/optimize.h>
#include <delta/storage.h>
#include <delta/table.h>
#include <delta/vacuum.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/dtime.h"
#include "core/error.h"
#include "core/str.h"
#include "log/checkpoint.h"
#include "log/snapshot.h"
#include "ops/cron.h"
#include "ops/optimize.h"
#include "ops/vacuum.h"
#include "table/props.h"

#define MINUTE_MS INT64_C(60000)
#define HOUR_MS INT64_C(3600000)
#define DEFAULT_TARGET (INT64_C(128) * 1024 * 1024)
#define CRON_CAP 128

static const char *const op_names[DELTA_MAINTENANCE_NUM_OPS] = {"optimize", "vacuum", "checkpoint"};
static const char *const op_props[DELTA_MAINTENANCE_NUM_OPS] = {"maintenance.optimize.schedule",
                                                                "maintenance.vacuum.schedule",
                                                                "maintenance.checkpoint.schedule"};
static const char *const default_crons[DELTA_MAINTENANCE_NUM_OPS] = {
    DOPS_MAINT_OPTIMIZE_CRON, DOPS_MAINT_VACUUM_CRON, DOPS_MAINT_CHECKPOINT_CRON};

/* When a due job's condition did not hold (this process only): the job
 * is not evaluated again before its cron fires after `at`. */
typedef struct mark {
    char *key; /* "TABLE\nOP" */
    int64_t at;
} mark;

struct delta_maintenance {
    char *uri;
    delta_store *lake;
    int64_t (*now_ms)(void *);
    int (*sleep_until)(void *, int64_t);
    void *clock_ctx;
    char host[256];
    unsigned seq; /* job record names */
    mark *marks;
    size_t num_marks;
};

/* The lake's config.json. */
typedef struct mconf {
    bool enabled;
    int64_t enabled_at_ms; /* -1: never */
    char cron[DELTA_MAINTENANCE_NUM_OPS][CRON_CAP];
    int64_t min_small_files;
    int64_t small_file_bytes; /* 0: a quarter of the target */
    double retention_hours;   /* < 0: the table's own */
    int64_t lock_stale_ms;
} mconf;

/* One table's effective policy. */
typedef struct policy {
    bool enabled;
    char cron[DELTA_MAINTENANCE_NUM_OPS][CRON_CAP];
    int64_t min_small_files;
    int64_t small_threshold;
    double retention_hours;
    int64_t checkpoint_interval;
} policy;

/* A table of the lake, loaded. */
typedef struct tbl {
    const char *name;
    delta_store *store;
    dlog_snapshot *snap; /* NULL when unreadable */
    char *error;         /* snapshot or policy error, or NULL */
    policy pol;          /* valid when !error */
} tbl;

/* Job log records, loaded. */
typedef struct jlog {
    delta_maintenance_job *items;
    size_t count;
    int64_t unreadable;
} jlog;

/* ---- small helpers --------------------------------------------------------- */

static int64_t now_of(const delta_maintenance *m)
{
    return m->now_ms ? m->now_ms(m->clock_ctx) : dtime_now_ms();
}

static bool is_off(const char *cron)
{
    return strcasecmp(cron, "off") == 0;
}

static int check_cron(const char *what, const char *cron)
{
    if (is_off(cron))
        return 0;
    if (strlen(cron) >= CRON_CAP)
        return delta_error_set(DELTA_EINVAL, "%s: cron expression is longer than %d characters",
                               what, CRON_CAP - 1);
    dops_cron c;
    int rc = dops_cron_parse(&c, cron);
    return rc ? delta_error_prefix(rc, "%s: ", what) : 0;
}

static void iso_of(char *buf, size_t cap, int64_t ms)
{
    dbuf b = DBUF_INIT;
    if (dtime_format_instant(&b, ms * 1000) == 0)
        snprintf(buf, cap, "%s", dbuf_cstr(&b));
    else
        snprintf(buf, cap, "%" PRId64, ms);
    dbuf_free(&b);
}

static void job_clear(delta_maintenance_job *j)
{
    delta_free((char *)j->id);
    delta_free((char *)j->table);
    delta_free((char *)j->trigger);
    delta_free((char *)j->error);
    memset(j, 0, sizeof *j);
}

static void jlog_free(jlog *l)
{
    for (size_t i = 0; i < l->count; i++)
        job_clear(&l->items[i]);
    delta_free(l->items);
    memset(l, 0, sizeof *l);
}

/* ---- config.json ------------------------------------------------------------ */

static void conf_defaults(mconf *c)
{
    memset(c, 0, sizeof *c);
    c->enabled_at_ms = -1;
    for (int i = 0; i < DELTA_MAINTENANCE_NUM_OPS; i++)
        snprintf(c->cron[i], CRON_CAP, "%s", default_crons[i]);
    c->min_small_files = DOPS_MAINT_MIN_SMALL_FILES;
    c->retention_hours = -1.0;
    c->lock_stale_ms = DOPS_MAINT_LOCK_STALE_MINUTES * MINUTE_MS;
}

/* Reads config.json as a JSON object (a new empty one when missing). */
static int conf_load_json(delta_maintenance *m, json_t **out)
{
    *out = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = delta_store_get(m->lake, DOPS_MAINT_CONFIG, &data, &len);
    if (rc == DELTA_ENOTFOUND) {
        *out = json_object();
        return *out ? 0 : delta_error_oom();
    }
    if (rc)
        return rc;
    json_error_t jerr;
    json_t *j = json_loadb((const char *)data, len, 0, &jerr);
    delta_free(data);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return delta_error_set(DELTA_EINVAL, "%s/%s: not a JSON object (%s)", m->uri,
                               DOPS_MAINT_CONFIG, j ? "another JSON value" : jerr.text);
    }
    *out = j;
    return 0;
}

static int conf_int(delta_maintenance *m, json_t *obj, const char *key, int64_t min, int64_t *out)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min)
        return delta_error_set(DELTA_EINVAL, "%s/%s: %s must be an integer >= %" PRId64, m->uri,
                               DOPS_MAINT_CONFIG, key, min);
    *out = json_integer_value(v);
    return 0;
}

static int conf_parse(delta_maintenance *m, json_t *j, mconf *c)
{
    conf_defaults(c);
    json_t *v = json_object_get(j, "enabled");
    if (v && !json_is_boolean(v))
        return delta_error_set(DELTA_EINVAL, "%s/%s: enabled must be true or false", m->uri,
                               DOPS_MAINT_CONFIG);
    c->enabled = v && json_is_true(v);
    int rc = conf_int(m, j, "enabled_at_ms", 0, &c->enabled_at_ms);
    for (int i = 0; !rc && i < DELTA_MAINTENANCE_NUM_OPS; i++) {
        json_t *o = json_object_get(j, op_names[i]);
        if (o && !json_is_object(o))
            return delta_error_set(DELTA_EINVAL, "%s/%s: %s must be an object", m->uri,
                                   DOPS_MAINT_CONFIG, op_names[i]);
        json_t *s = o ? json_object_get(o, "schedule") : NULL;
        if (s && !json_is_null(s)) {
            char what[512];
            snprintf(what, sizeof what, "%s/%s: %s.schedule", m->uri, DOPS_MAINT_CONFIG,
                     op_names[i]);
            if (!json_is_string(s))
                return delta_error_set(DELTA_EINVAL, "%s must be a string", what);
            if ((rc = check_cron(what, json_string_value(s))))
                return rc;
            snprintf(c->cron[i], CRON_CAP, "%s", json_string_value(s));
        }
    }
    json_t *opt = json_object_get(j, "optimize");
    if (!rc)
        rc = conf_int(m, opt, "min_small_files", 1, &c->min_small_files);
    if (!rc)
        rc = conf_int(m, opt, "small_file_bytes", 1, &c->small_file_bytes);
    json_t *vac = json_object_get(j, "vacuum");
    json_t *rh = vac ? json_object_get(vac, "retention_hours") : NULL;
    if (!rc && rh && !json_is_null(rh)) {
        if (!json_is_number(rh) || json_number_value(rh) < 0)
            return delta_error_set(DELTA_EINVAL,
                                   "%s/%s: vacuum.retention_hours must be a number >= 0", m->uri,
                                   DOPS_MAINT_CONFIG);
        c->retention_hours = json_number_value(rh);
    }
    int64_t stale = DOPS_MAINT_LOCK_STALE_MINUTES;
    if (!rc)
        rc = conf_int(m, j, "lock_stale_after_minutes", 1, &stale);
    c->lock_stale_ms = stale * MINUTE_MS;
    return rc;
}

static int conf_load(delta_maintenance *m, mconf *c)
{
    json_t *j = NULL;
    int rc = conf_load_json(m, &j);
    if (!rc)
        rc = conf_parse(m, j, c);
    json_decref(j);
    return rc;
}

static int conf_to_json(const mconf *c, dbuf *b)
{
    dbuf_printf(b, "{\"enabled\":%s,\"enabled_at_ms\":", c->enabled ? "true" : "false");
    if (c->enabled_at_ms >= 0)
        dbuf_printf(b, "%" PRId64, c->enabled_at_ms);
    else
        dbuf_puts(b, "null");
    dbuf_puts(b, ",\"optimize\":{\"schedule\":");
    dstr_json_quote(b, c->cron[0], strlen(c->cron[0]));
    dbuf_printf(b, ",\"min_small_files\":%" PRId64 ",\"small_file_bytes\":", c->min_small_files);
    if (c->small_file_bytes > 0)
        dbuf_printf(b, "%" PRId64, c->small_file_bytes);
    else
        dbuf_puts(b, "null");
    dbuf_puts(b, "},\"vacuum\":{\"schedule\":");
    dstr_json_quote(b, c->cron[1], strlen(c->cron[1]));
    dbuf_puts(b, ",\"retention_hours\":");
    if (c->retention_hours >= 0)
        dbuf_printf(b, "%.17g", c->retention_hours);
    else
        dbuf_puts(b, "null");
    dbuf_puts(b, "},\"checkpoint\":{\"schedule\":");
    dstr_json_quote(b, c->cron[2], strlen(c->cron[2]));
    return dbuf_printf(b, "},\"lock_stale_after_minutes\":%" PRId64 "}",
                       c->lock_stale_ms / MINUTE_MS);
}

/* ---- per-table policy --------------------------------------------------------- */

static int policy_of(const mconf *c, const dlog_snapshot *s, const char *table, policy *p)
{
    memset(p, 0, sizeof *p);
    p->enabled = true;
    for (int i = 0; i < DELTA_MAINTENANCE_NUM_OPS; i++)
        memcpy(p->cron[i], c->cron[i], CRON_CAP);
    p->min_small_files = c->min_small_files;
    p->retention_hours = c->retention_hours;
    p->checkpoint_interval = dlog_checkpoint_interval(&s->metadata);
    const char *v;
    if ((v = dlog_snapshot_property(s, "maintenance.enabled")) && dstr_parse_bool(v, &p->enabled))
        return delta_error_set(DELTA_EINVAL,
                               "table %s: maintenance.enabled '%s' is not true or false", table, v);
    for (int i = 0; i < DELTA_MAINTENANCE_NUM_OPS; i++) {
        if (!(v = dlog_snapshot_property(s, op_props[i])))
            continue;
        char what[512];
        snprintf(what, sizeof what, "table %s: %s", table, op_props[i]);
        int rc = check_cron(what, v);
        if (rc)
            return rc;
        snprintf(p->cron[i], CRON_CAP, "%s", v);
    }
    if ((v = dlog_snapshot_property(s, "maintenance.optimize.minSmallFiles")) &&
        (dstr_parse_i64(v, &p->min_small_files) || p->min_small_files < 1))
        return delta_error_set(DELTA_EINVAL,
                               "table %s: maintenance.optimize.minSmallFiles '%s' is not an "
                               "integer >= 1",
                               table, v);
    int64_t target = DEFAULT_TARGET, small = c->small_file_bytes;
    if ((v = dlog_snapshot_property(s, "delta.targetFileSize")) &&
        (dtab_parse_bytes(v, &target) || target <= 0))
        return delta_error_set(DELTA_EINVAL, "table %s: delta.targetFileSize '%s' is not a size",
                               table, v);
    if ((v = dlog_snapshot_property(s, "maintenance.optimize.smallFileBytes")) &&
        (dtab_parse_bytes(v, &small) || small <= 0))
        return delta_error_set(DELTA_EINVAL,
                               "table %s: maintenance.optimize.smallFileBytes '%s' is not a size "
                               "(e.g. 8mb)",
                               table, v);
    p->small_threshold = small > 0 ? small : target / 4;
    if ((v = dlog_snapshot_property(s, "maintenance.vacuum.retentionHours")) &&
        (dstr_parse_double(v, &p->retention_hours) || !isfinite(p->retention_hours) ||
         p->retention_hours < 0))
        return delta_error_set(DELTA_EINVAL,
                               "table %s: maintenance.vacuum.retentionHours '%s' is not a number "
                               "of hours >= 0",
                               table, v);
    return 0;
}

static void tbl_free(tbl *t)
{
    dlog_snapshot_free(t->snap);
    delta_store_free(t->store);
    delta_free(t->error);
    memset(t, 0, sizeof *t);
}

/* Loads a table: store, snapshot, policy. Errors of the table land in
 * t->error (0 is returned); only running out of memory fails. */
static int tbl_load(delta_maintenance *m, const mconf *c, const char *name, tbl *t)
{
    memset(t, 0, sizeof *t);
    t->name = name;
    int rc = delta_store_open_sub(&t->store, m->lake, name);
    if (!rc)
        rc = dlog_snapshot_open(&t->snap, t->store, NULL);
    if (!rc)
        rc = policy_of(c, t->snap, name, &t->pol);
    if (rc == DELTA_ENOMEM)
        return rc;
    if (rc) {
        const char *msg = delta_error_last();
        t->error = delta_strdup(msg && *msg ? msg : "table could not be read");
        if (!t->error)
            return delta_error_oom();
    }
    return 0;
}

static int tbl_reload(tbl *t, const mconf *c)
{
    dlog_snapshot_free(t->snap);
    t->snap = NULL;
    int rc = dlog_snapshot_open(&t->snap, t->store, NULL);
    if (!rc)
        rc = policy_of(c, t->snap, t->name, &t->pol);
    if (rc && rc != DELTA_ENOMEM) {
        delta_free(t->error);
        t->error = delta_strdup(delta_error_last());
        return t->error ? 0 : delta_error_oom();
    }
    return rc;
}

static int64_t versions_since_checkpoint(const dlog_snapshot *s)
{
    return s->version - s->checkpoint_version; /* checkpoint -1: version + 1 */
}

static void count_small(const tbl *t, int64_t *files, int64_t *bytes, int64_t *small)
{
    *files = *bytes = *small = 0;
    size_t it = 0;
    const dlog_live_file *lf;
    while (dlog_snapshot_next_file(t->snap, &it, &lf)) {
        (*files)++;
        *bytes += lf->add.size;
        if (lf->add.size < t->pol.small_threshold)
            (*small)++;
    }
}

/* ---- the job log ----------------------------------------------------------------- */

static int job_record_json(const delta_maintenance *m, const delta_maintenance_job *j, dbuf *b)
{
    char start[48], end[48];
    iso_of(start, sizeof start, j->start_ms);
    iso_of(end, sizeof end, j->end_ms);
    dbuf_puts(b, "{\"table\":");
    dstr_json_quote(b, j->table, strlen(j->table));
    dbuf_printf(b, ",\"operation\":\"%s\",\"trigger\":", op_names[j->op]);
    dstr_json_quote(b, j->trigger, strlen(j->trigger));
    dbuf_printf(b,
                ",\"status\":\"%s\",\"start_ms\":%" PRId64 ",\"end_ms\":%" PRId64
                ",\"duration_ms\":%" PRId64 ",\"start\":\"%s\",\"end\":\"%s\""
                ",\"files_added\":%" PRId64 ",\"files_removed\":%" PRId64
                ",\"bytes_added\":%" PRId64 ",\"bytes_removed\":%" PRId64 ",\"version\":",
                j->status == DELTA_MAINTENANCE_SUCCEEDED ? "succeeded" : "failed", j->start_ms,
                j->end_ms, j->duration_ms, start, end, j->files_added, j->files_removed,
                j->bytes_added, j->bytes_removed);
    if (j->version >= 0)
        dbuf_printf(b, "%" PRId64, j->version);
    else
        dbuf_puts(b, "null");
    dbuf_puts(b, ",\"error\":");
    if (j->error)
        dstr_json_quote(b, j->error, strlen(j->error));
    else
        dbuf_puts(b, "null");
    dbuf_printf(b, ",\"pid\":%ld,\"host\":", (long)getpid());
    dstr_json_quote(b, m->host, strlen(m->host));
    return dbuf_puts(b, "}\n");
}

/* Appends the job to the log: a new object, never replacing one. Sets
 * j->id to its key. */
static int job_record(delta_maintenance *m, delta_maintenance_job *j, char *id, size_t idcap)
{
    dbuf b = DBUF_INIT;
    int rc = job_record_json(m, j, &b);
    for (int attempt = 0; !rc && attempt < 1000; attempt++) {
        snprintf(id, idcap, "%s%015" PRId64 "-%ld-%06u.json", DOPS_MAINT_JOBS,
                 j->start_ms < 0 ? 0 : j->start_ms, (long)getpid(), m->seq++);
        rc = delta_store_put_if_absent(m->lake, id, b.data, b.len);
        if (rc == DELTA_EEXIST) {
            rc = 0;
            continue;
        }
        if (!rc)
            j->id = id;
        break;
    }
    dbuf_free(&b);
    return rc ? delta_error_prefix(rc, "recording the %s job of table %s in %s: ", op_names[j->op],
                                   j->table, m->uri)
              : 0;
}

static int64_t json_i64(json_t *o, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static int op_from_name(const char *s)
{
    for (int i = 0; s && i < DELTA_MAINTENANCE_NUM_OPS; i++)
        if (strcmp(s, op_names[i]) == 0)
            return i;
    return -1;
}

/* Parses one record; 1 when it does not look like a job record. */
static int job_parse(const char *key, const uint8_t *data, size_t len, delta_maintenance_job *j)
{
    memset(j, 0, sizeof *j);
    json_t *o = json_loadb((const char *)data, len, 0, NULL);
    json_t *table = o ? json_object_get(o, "table") : NULL;
    json_t *status = o ? json_object_get(o, "status") : NULL;
    json_t *trigger = o ? json_object_get(o, "trigger") : NULL;
    json_t *error = o ? json_object_get(o, "error") : NULL;
    int op = op_from_name(o ? json_string_value(json_object_get(o, "operation")) : NULL);
    if (!json_is_string(table) || !json_is_string(status) || op < 0) {
        json_decref(o);
        return 1;
    }
    j->op = (delta_maintenance_op)op;
    j->status = strcmp(json_string_value(status), "succeeded") == 0 ? DELTA_MAINTENANCE_SUCCEEDED
                                                                    : DELTA_MAINTENANCE_FAILED;
    j->start_ms = json_i64(o, "start_ms", 0);
    j->end_ms = json_i64(o, "end_ms", j->start_ms);
    j->duration_ms = json_i64(o, "duration_ms", j->end_ms - j->start_ms);
    j->files_added = json_i64(o, "files_added", 0);
    j->files_removed = json_i64(o, "files_removed", 0);
    j->bytes_added = json_i64(o, "bytes_added", 0);
    j->bytes_removed = json_i64(o, "bytes_removed", 0);
    j->version = json_i64(o, "version", -1);
    j->id = delta_strdup(key);
    j->table = delta_strdup(json_string_value(table));
    j->trigger = delta_strdup(json_is_string(trigger) ? json_string_value(trigger) : "manual");
    bool has_error = json_is_string(error);
    j->error = has_error ? delta_strdup(json_string_value(error)) : NULL;
    json_decref(o);
    if (!j->id || !j->table || !j->trigger || (has_error && !j->error)) {
        job_clear(j);
        return delta_error_oom();
    }
    return 0;
}

/* Loads every record, in key (start) order. */
static int jlog_load(delta_maintenance *m, jlog *out)
{
    memset(out, 0, sizeof *out);
    delta_object_list l = {0};
    int rc = delta_store_list(m->lake, DOPS_MAINT_JOBS, NULL, 0, &l);
    if (rc == DELTA_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (l.count && !(out->items = delta_calloc(l.count, sizeof *out->items)))
        rc = delta_error_oom();
    for (size_t i = 0; !rc && i < l.count; i++) {
        const char *key = l.items[i].key;
        if (!dstr_ends_with(key, ".json"))
            continue;
        uint8_t *data = NULL;
        size_t len = 0;
        int grc = delta_store_get(m->lake, key, &data, &len);
        if (grc == DELTA_ENOTFOUND)
            continue;
        if (grc) {
            rc = grc;
            break;
        }
        int prc = job_parse(key, data, len, &out->items[out->count]);
        delta_free(data);
        if (prc < 0)
            rc = prc;
        else if (prc > 0)
            out->unreadable++;
        else
            out->count++;
    }
    delta_object_list_free(&l);
    if (rc)
        jlog_free(out);
    return rc;
}

/* Start of the newest recorded job of (table, op), or -1; with
 * only_success, of the newest that succeeded. */
static int64_t jlog_last(const jlog *l, const char *table, int op, bool only_success)
{
    int64_t last = -1;
    for (size_t i = 0; i < l->count; i++) {
        const delta_maintenance_job *j = &l->items[i];
        if ((int)j->op == op && strcmp(j->table, table) == 0 &&
            (!only_success || j->status == DELTA_MAINTENANCE_SUCCEEDED) && j->start_ms > last)
            last = j->start_ms;
    }
    return last;
}

/* ---- table locks ------------------------------------------------------------------ */

static void lock_key(char *buf, size_t cap, const char *table)
{
    snprintf(buf, cap, "%s%s.lock", DOPS_MAINT_LOCKS, table);
}

static bool pid_alive(long pid)
{
    if (pid <= 0)
        return false;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* Takes the table's lock. DELTA_EEXIST (message naming the holder) when
 * a live job holds it. A stale lock is replaced, after recording the job
 * it guarded as abandoned. */
static int lock_acquire(delta_maintenance *m, const mconf *c, const char *table,
                        delta_maintenance_op op, int64_t now, dbuf *mine)
{
    char key[512];
    lock_key(key, sizeof key, table);
    bool acquired = false;
    dbuf_printf(mine, "{\"pid\":%ld,\"host\":", (long)getpid());
    dstr_json_quote(mine, m->host, strlen(m->host));
    dbuf_puts(mine, ",\"table\":");
    dstr_json_quote(mine, table, strlen(table));
    int rc =
        dbuf_printf(mine, ",\"operation\":\"%s\",\"start_ms\":%" PRId64 "}\n", op_names[op], now);
    for (int attempt = 0; !rc && attempt < 3; attempt++) {
        rc = delta_store_put_if_absent(m->lake, key, mine->data, mine->len);
        acquired = rc == 0;
        if (rc != DELTA_EEXIST)
            break;
        uint8_t *held = NULL;
        size_t held_len = 0;
        rc = delta_store_get(m->lake, key, &held, &held_len);
        if (rc == DELTA_ENOTFOUND) {
            rc = 0; /* released meanwhile */
            continue;
        }
        if (rc)
            break;
        json_t *o = json_loadb((const char *)held, held_len, 0, NULL);
        long pid = (long)json_i64(o, "pid", 0);
        int64_t since = json_i64(o, "start_ms", -1);
        const char *host = json_string_value(json_object_get(o, "host"));
        int held_op = op_from_name(json_string_value(json_object_get(o, "operation")));
        if (since < 0) {
            /* not ours to read: go by the object's age */
            delta_object_info info = {0};
            if (delta_store_head(m->lake, key, &info) == 0)
                since = info.mtime_ms;
        }
        bool same_host = host && strcmp(host, m->host) == 0;
        bool gone = same_host && !pid_alive(pid);
        bool old = since >= 0 && now - since > c->lock_stale_ms;
        char since_iso[48];
        iso_of(since_iso, sizeof since_iso, since);
        if (!gone && !old) {
            rc = delta_error_set(DELTA_EEXIST,
                                 "table %s is locked by pid %ld on %s (%s since %s): another "
                                 "maintenance job is running on it",
                                 table, pid, host ? host : "?",
                                 held_op >= 0 ? op_names[held_op] : "a job", since_iso);
            json_decref(o);
            delta_free(held);
            break;
        }
        /* stale: take it over if it is still the same lock */
        uint8_t *again = NULL;
        size_t again_len = 0;
        bool same = delta_store_get(m->lake, key, &again, &again_len) == 0 &&
                    again_len == held_len && memcmp(again, held, held_len) == 0;
        delta_free(again);
        rc = same ? delta_store_delete(m->lake, key) : 0;
        if (same && rc == 0 && held_op >= 0) {
            char err[512];
            snprintf(err, sizeof err,
                     "abandoned: the job started at %s by pid %ld on %s did not finish (%s)",
                     since_iso, pid, host ? host : "?",
                     gone ? "its process is gone" : "its lock is older than the stale limit");
            delta_maintenance_job j = {0};
            j.table = table;
            j.op = (delta_maintenance_op)held_op;
            j.status = DELTA_MAINTENANCE_FAILED;
            j.trigger = "recovery";
            j.start_ms = since;
            j.end_ms = now;
            j.duration_ms = now - since;
            j.version = -1;
            j.error = err;
            char id[256];
            (void)job_record(m, &j, id, sizeof id);
        }
        if (rc == DELTA_ENOTFOUND)
            rc = 0;
        json_decref(o);
        delta_free(held);
    }
    if (!rc && !acquired)
        rc = delta_error_set(DELTA_EEXIST, "table %s: its maintenance lock changed hands while "
                                           "being taken; another job is starting on it",
                             table);
    return rc;
}

/* Releases the table's lock when it is still the one this job took (a
 * job that outlived the stale limit may have lost it to another). */
static void lock_release(delta_maintenance *m, const char *table, const dbuf *mine)
{
    char key[512];
    lock_key(key, sizeof key, table);
    uint8_t *held = NULL;
    size_t len = 0;
    if (delta_store_get(m->lake, key, &held, &len) == 0 && len == mine->len &&
        memcmp(held, mine->data, len) == 0)
        (void)delta_store_delete(m->lake, key);
    delta_free(held);
}

/* ---- running jobs ----------------------------------------------------------------- */

typedef struct runner {
    delta_maintenance *m;
    const mconf *conf;
    const delta_maintenance_run_options *ro;
    delta_maintenance_summary *sum;
    bool canceled;
} runner;

static int report(runner *r, const delta_maintenance_job *j)
{
    if (j->status == DELTA_MAINTENANCE_SKIPPED)
        r->sum->skipped++;
    else {
        r->sum->jobs_run++;
        if (j->status == DELTA_MAINTENANCE_SUCCEEDED)
            r->sum->succeeded++;
        else
            r->sum->failed++;
    }
    if (r->ro->on_job && r->ro->on_job(r->ro->ctx, j)) {
        r->canceled = true;
        return delta_error_set(DELTA_ECANCELED, "maintenance of %s: stopped by the caller",
                               r->m->uri);
    }
    return 0;
}

static int report_skip(runner *r, const tbl *t, delta_maintenance_op op, const char *trigger,
                       const char *why)
{
    delta_maintenance_job j = {0};
    j.table = t->name;
    j.op = op;
    j.status = DELTA_MAINTENANCE_SKIPPED;
    j.trigger = trigger;
    j.start_ms = j.end_ms = now_of(r->m);
    j.version = -1;
    j.error = why;
    return report(r, &j);
}

/* The operation itself, on a table whose lock is held. */
static int do_op(runner *r, tbl *t, delta_maintenance_op op, int64_t now, bool manual,
                 delta_maintenance_job *j, bool *skipped)
{
    *skipped = false;
    if (t->error)
        return delta_error_set(DELTA_EINVAL, "%s", t->error);
    int rc = 0;
    if (op == DELTA_MAINTENANCE_OPTIMIZE) {
        delta_optimize_options oo = DELTA_OPTIMIZE_OPTIONS_INIT;
        delta_optimize_result res;
        memset(&res, 0, sizeof res);
        rc = dops_optimize(t->store, &oo, NULL, &res);
        j->files_added = res.num_files_added;
        j->files_removed = res.num_files_removed;
        j->bytes_added = res.num_added_bytes;
        j->bytes_removed = res.num_removed_bytes;
        j->version = res.version;
    } else if (op == DELTA_MAINTENANCE_VACUUM) {
        delta_vacuum_options vo = DELTA_VACUUM_OPTIONS_INIT;
        delta_vacuum_result res;
        memset(&res, 0, sizeof res);
        vo.retention_hours =
            r->ro->retention_hours >= 0 ? r->ro->retention_hours : t->pol.retention_hours;
        vo.dry_run = r->ro->dry_run;
        vo.now_ms = now;
        rc = dops_vacuum(t->store, &vo, &res);
        j->files_removed = vo.dry_run ? res.num_files : res.files_deleted;
        j->bytes_removed = vo.dry_run ? res.num_bytes : res.bytes_deleted;
        j->version = vo.dry_run ? -1 : res.end_version;
    } else {
        /* the latest version, read under the lock */
        if ((rc = tbl_reload(t, r->conf)))
            return rc;
        if (t->error)
            return delta_error_set(DELTA_EINVAL, "%s", t->error);
        if (manual && t->snap->checkpoint_version == t->snap->version) {
            *skipped = true;
            return 0;
        }
        dlog_ckpt_write_opts co = DLOG_CKPT_WRITE_OPTS_INIT;
        co.now_ms = now;
        dlog_ckpt_info info;
        memset(&info, 0, sizeof info);
        rc = dlog_checkpoint_write(t->store, t->snap, &co, &info);
        if (!rc) {
            j->files_added = 1;
            j->bytes_added = info.size_in_bytes;
            j->version = info.version;
        }
    }
    return rc;
}

/* Runs one job: lock, operation, record, unlock, report. Returns only
 * DELTA_ENOMEM or DELTA_ECANCELED; the job's own errors are its outcome. */
static int run_job(runner *r, tbl *t, delta_maintenance_op op, const char *trigger)
{
    delta_maintenance *m = r->m;
    bool manual = strcmp(trigger, "manual") == 0;
    bool dry = op == DELTA_MAINTENANCE_VACUUM && r->ro->dry_run;
    delta_maintenance_job j = {0};
    j.table = t->name;
    j.op = op;
    j.trigger = trigger;
    j.version = -1;
    j.start_ms = now_of(m);
    dbuf mine = DBUF_INIT;
    int rc = lock_acquire(m, r->conf, t->name, op, j.start_ms, &mine);
    if (rc == DELTA_EEXIST) {
        char why[1024];
        snprintf(why, sizeof why, "%s", delta_error_last());
        dbuf_free(&mine);
        return report_skip(r, t, op, trigger, why);
    }
    bool locked = rc == 0;
    bool skipped = false;
    if (locked)
        rc = do_op(r, t, op, j.start_ms, manual, &j, &skipped);
    j.end_ms = now_of(m);
    j.duration_ms = j.end_ms - j.start_ms;
    char err[2048] = "";
    if (rc == DELTA_ENOMEM) {
        if (locked)
            lock_release(m, t->name, &mine);
        dbuf_free(&mine);
        return rc;
    }
    if (rc) {
        snprintf(err, sizeof err, "%s", delta_error_last());
        j.error = err;
    }
    j.status = rc               ? DELTA_MAINTENANCE_FAILED
               : skipped || dry ? DELTA_MAINTENANCE_SKIPPED
                                : DELTA_MAINTENANCE_SUCCEEDED;
    if (skipped)
        j.error = "already checkpointed at its latest version";
    else if (dry && !rc)
        j.error = "dry run: nothing deleted";
    char id[256];
    if (j.status != DELTA_MAINTENANCE_SKIPPED && locked && !dry) {
        int wrc = job_record(m, &j, id, sizeof id);
        if (wrc) {
            /* the job happened but is not in the log: report it as failed */
            snprintf(err + strlen(err), sizeof err - strlen(err), "%s%s", rc ? "; " : "",
                     delta_error_last());
            j.error = err;
            j.status = DELTA_MAINTENANCE_FAILED;
        }
    }
    if (locked)
        lock_release(m, t->name, &mine);
    dbuf_free(&mine);
    return report(r, &j);
}

/* ---- the public API ----------------------------------------------------------------- */

DELTA_EXTERN const char *delta_maintenance_op_name(delta_maintenance_op op)
{
    return (unsigned)op < DELTA_MAINTENANCE_NUM_OPS ? op_names[op] : "?";
}

DELTA_EXTERN int delta_maintenance_open(delta_maintenance **out, const char *lake_uri,
                                        const delta_maintenance_options *opts)
{
    *out = NULL;
    if (!lake_uri || !*lake_uri)
        return delta_error_set(DELTA_EINVAL, "maintenance: no lake");
    if (opts && opts->version != DELTA_MAINTENANCE_OPTIONS_VERSION)
        return delta_error_set(DELTA_EINVAL, "maintenance: options version %u is not %u",
                               opts->version, DELTA_MAINTENANCE_OPTIONS_VERSION);
    delta_maintenance *m = delta_calloc(1, sizeof *m);
    if (!m)
        return delta_error_oom();
    int rc = 0;
    if (!(m->uri = delta_strdup(lake_uri)))
        rc = delta_error_oom();
    if (!rc)
        rc = delta_store_open(&m->lake, lake_uri);
    if (rc) {
        delta_maintenance_free(m);
        return rc;
    }
    if (opts) {
        m->now_ms = opts->now_ms;
        m->sleep_until = opts->sleep_until;
        m->clock_ctx = opts->clock_ctx;
    }
    if (gethostname(m->host, sizeof m->host - 1) != 0 || !m->host[0])
        snprintf(m->host, sizeof m->host, "localhost");
    *out = m;
    return 0;
}

DELTA_EXTERN void delta_maintenance_free(delta_maintenance *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->num_marks; i++)
        delta_free(m->marks[i].key);
    delta_free(m->marks);
    delta_store_free(m->lake);
    delta_free(m->uri);
    delta_free(m);
}

DELTA_EXTERN int delta_maintenance_schedule(delta_maintenance *m, int enable,
                                            const char *const *crons)
{
    json_t *j = NULL;
    mconf c;
    int rc = conf_load_json(m, &j);
    if (!rc)
        rc = conf_parse(m, j, &c);
    for (int i = 0; !rc && crons && i < DELTA_MAINTENANCE_NUM_OPS; i++) {
        if (!crons[i])
            continue;
        char what[64];
        snprintf(what, sizeof what, "--%s", op_names[i]);
        if ((rc = check_cron(what, crons[i])))
            break;
        json_t *o = json_object_get(j, op_names[i]);
        if (!o) {
            o = json_object();
            if (!o || json_object_set_new(j, op_names[i], o)) {
                rc = delta_error_oom();
                break;
            }
        }
        if (json_object_set_new(o, "schedule", json_string(crons[i])))
            rc = delta_error_oom();
    }
    if (!rc && enable >= 0) {
        if (enable && !c.enabled &&
            json_object_set_new(j, "enabled_at_ms", json_integer(now_of(m))))
            rc = delta_error_oom();
        if (!rc && json_object_set_new(j, "enabled", json_boolean(enable)))
            rc = delta_error_oom();
    }
    if (!rc) {
        size_t n = json_dumpb(j, NULL, 0, JSON_INDENT(2) | JSON_SORT_KEYS);
        dbuf b = DBUF_INIT;
        uint8_t *p = n ? dbuf_grow(&b, n + 1) : NULL;
        if (!p || json_dumpb(j, (char *)p, n, JSON_INDENT(2) | JSON_SORT_KEYS) != n)
            rc = n ? delta_error_oom() : delta_error_set(DELTA_EINVAL, "config: not encodable");
        if (!rc) {
            p[n] = '\n';
            rc = delta_store_put(m->lake, DOPS_MAINT_CONFIG, p, n + 1);
        }
        dbuf_free(&b);
    }
    json_decref(j);
    return rc;
}

DELTA_EXTERN int delta_maintenance_config_json(delta_maintenance *m, char **out)
{
    *out = NULL;
    mconf c;
    int rc = conf_load(m, &c);
    if (rc)
        return rc;
    dbuf b = DBUF_INIT;
    if ((rc = conf_to_json(&c, &b))) {
        dbuf_free(&b);
        return rc;
    }
    *out = dbuf_detach(&b, NULL);
    return 0;
}

DELTA_EXTERN int delta_maintenance_cron_next(const char *expr, int64_t after_ms, int64_t *out)
{
    dops_cron c;
    int rc = dops_cron_parse(&c, expr);
    if (rc)
        return rc;
    *out = dops_cron_next(&c, after_ms);
    return 0;
}

static const delta_maintenance_run_options default_run = DELTA_MAINTENANCE_RUN_OPTIONS_INIT;

DELTA_EXTERN int delta_maintenance_run_op(delta_maintenance *m, delta_maintenance_op op,
                                          const delta_maintenance_run_options *opts,
                                          delta_maintenance_summary *out)
{
    delta_maintenance_summary sum = {0, 0, 0, 0, -1};
    if ((unsigned)op >= DELTA_MAINTENANCE_NUM_OPS)
        return delta_error_set(DELTA_EINVAL, "maintenance: unknown operation %d", (int)op);
    mconf c;
    delta_lake_list tables = {0};
    int rc = conf_load(m, &c);
    if (!rc)
        rc = delta_lake_list_tables(m->uri, &tables);
    runner r = {m, &c, opts ? opts : &default_run, &sum, false};
    for (size_t i = 0; !rc && i < tables.count; i++) {
        tbl t;
        if ((rc = tbl_load(m, &c, tables.items[i].name, &t)))
            break;
        rc = run_job(&r, &t, op, "manual");
        tbl_free(&t);
    }
    delta_lake_list_free(&tables);
    if (out)
        *out = sum;
    return rc;
}

static int64_t *mark_find(delta_maintenance *m, const char *table, int op, bool create)
{
    char key[512];
    snprintf(key, sizeof key, "%s\n%d", table, op);
    for (size_t i = 0; i < m->num_marks; i++)
        if (strcmp(m->marks[i].key, key) == 0)
            return &m->marks[i].at;
    if (!create)
        return NULL;
    mark *mk = delta_realloc(m->marks, (m->num_marks + 1) * sizeof *mk);
    if (!mk)
        return NULL;
    m->marks = mk;
    if (!(mk[m->num_marks].key = delta_strdup(key)))
        return NULL;
    mk[m->num_marks].at = -1;
    return &mk[m->num_marks++].at;
}

/* Whether the condition of a due job holds; *why says why not. */
static bool condition_holds(const tbl *t, delta_maintenance_op op, char *why, size_t cap)
{
    if (op == DELTA_MAINTENANCE_OPTIMIZE) {
        int64_t files, bytes, small;
        count_small(t, &files, &bytes, &small);
        if (small >= t->pol.min_small_files)
            return true;
        snprintf(why, cap, "%" PRId64 " small files (below %" PRId64 " bytes), fewer than %" PRId64,
                 small, t->pol.small_threshold, t->pol.min_small_files);
        return false;
    }
    if (op == DELTA_MAINTENANCE_CHECKPOINT) {
        int64_t since = versions_since_checkpoint(t->snap);
        if (since >= t->pol.checkpoint_interval)
            return true;
        snprintf(why, cap, "%" PRId64 " versions since the last checkpoint, fewer than %" PRId64,
                 since, t->pol.checkpoint_interval);
        return false;
    }
    return true;
}

DELTA_EXTERN int delta_maintenance_run_due(delta_maintenance *m,
                                           const delta_maintenance_run_options *opts,
                                           delta_maintenance_summary *out)
{
    delta_maintenance_summary sum = {0, 0, 0, 0, -1};
    mconf c;
    jlog log = {0};
    delta_lake_list tables = {0};
    int rc = conf_load(m, &c);
    if (rc || !c.enabled)
        goto done;
    int64_t now = now_of(m);
    if ((rc = jlog_load(m, &log)) || (rc = delta_lake_list_tables(m->uri, &tables)))
        goto done;
    runner r = {m, &c, opts ? opts : &default_run, &sum, false};
    for (size_t i = 0; !rc && i < tables.count; i++) {
        tbl t;
        if ((rc = tbl_load(m, &c, tables.items[i].name, &t)))
            break;
        if (!t.error && !t.pol.enabled) {
            tbl_free(&t);
            continue;
        }
        bool changed = false;
        for (int op = 0; !rc && op < DELTA_MAINTENANCE_NUM_OPS; op++) {
            const char *cron = t.error ? c.cron[op] : t.pol.cron[op];
            if (is_off(cron))
                continue;
            dops_cron cr;
            if (dops_cron_parse(&cr, cron))
                continue; /* checked when loaded */
            int64_t lower = jlog_last(&log, t.name, op, false);
            if (c.enabled_at_ms > lower)
                lower = c.enabled_at_ms;
            int64_t *mk = mark_find(m, t.name, op, false);
            if (mk && *mk > lower)
                lower = *mk;
            int64_t next = dops_cron_next(&cr, lower);
            if (next >= 0 && (sum.next_due_ms < 0 || dops_cron_next(&cr, now) < sum.next_due_ms))
                sum.next_due_ms = dops_cron_next(&cr, now);
            if (next < 0 || next > now)
                continue;
            if (changed && (rc = tbl_reload(&t, &c)))
                break;
            char why[256];
            if (!t.error && !condition_holds(&t, (delta_maintenance_op)op, why, sizeof why)) {
                if (!(mk = mark_find(m, t.name, op, true))) {
                    rc = delta_error_oom();
                    break;
                }
                *mk = now;
                rc = report_skip(&r, &t, (delta_maintenance_op)op, "schedule", why);
                continue;
            }
            int64_t before = sum.succeeded;
            rc = run_job(&r, &t, (delta_maintenance_op)op, "schedule");
            changed = changed || sum.succeeded > before;
        }
        tbl_free(&t);
    }
done:
    jlog_free(&log);
    delta_lake_list_free(&tables);
    if (out)
        *out = sum;
    return rc;
}

static int sleep_wall(void *ctx, int64_t until_ms)
{
    (void)ctx;
    for (;;) {
        int64_t left = until_ms - dtime_now_ms();
        if (left <= 0)
            return 0;
        struct timespec ts = {(time_t)(left / 1000), (long)(left % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

DELTA_EXTERN int delta_maintenance_run_loop(delta_maintenance *m,
                                            const delta_maintenance_run_options *opts,
                                            delta_maintenance_summary *out)
{
    delta_maintenance_summary total = {0, 0, 0, 0, -1};
    int rc = 0;
    for (;;) {
        delta_maintenance_summary s;
        if ((rc = delta_maintenance_run_due(m, opts, &s)))
            break;
        total.jobs_run += s.jobs_run;
        total.succeeded += s.succeeded;
        total.failed += s.failed;
        total.skipped += s.skipped;
        total.next_due_ms = s.next_due_ms;
        int64_t now = now_of(m);
        int64_t until = s.next_due_ms;
        if (until < 0)
            until = now + MINUTE_MS; /* disabled: look again in a minute */
        else if (until > now + HOUR_MS)
            until = now + HOUR_MS; /* pick up config changes */
        int stop = m->sleep_until ? m->sleep_until(m->clock_ctx, until) : sleep_wall(NULL, until);
        if (stop)
            break;
    }
    if (out)
        *out = total;
    return rc;
}

/* ---- metrics ---------------------------------------------------------------------- */

DELTA_EXTERN void delta_maintenance_metrics_free(delta_maintenance_metrics *mt)
{
    if (!mt)
        return;
    for (int i = 0; i < DELTA_MAINTENANCE_NUM_OPS; i++)
        delta_free((char *)mt->schedule[i]);
    for (size_t i = 0; i < mt->num_recent; i++)
        job_clear(&mt->recent[i]);
    delta_free(mt->recent);
    for (size_t i = 0; i < mt->num_tables; i++) {
        delta_free((char *)mt->tables[i].name);
        delta_free((char *)mt->tables[i].error);
    }
    delta_free(mt->tables);
    delta_free(mt);
}

static int table_health(delta_maintenance *m, const mconf *c, const jlog *log, const char *name,
                        int64_t now, delta_maintenance_table_health *h)
{
    memset(h, 0, sizeof *h);
    h->version = -1;
    h->last_checkpoint_version = -1;
    h->reclaimable_files = h->reclaimable_bytes = -1;
    h->retention_hours = -1;
    for (int op = 0; op < DELTA_MAINTENANCE_NUM_OPS; op++)
        h->last_success_ms[op] = jlog_last(log, name, op, true);
    if (!(h->name = delta_strdup(name)))
        return delta_error_oom();
    tbl t;
    int rc = tbl_load(m, c, name, &t);
    if (rc)
        return rc;
    if (t.snap) {
        h->version = t.snap->version;
        h->last_checkpoint_version = t.snap->checkpoint_version;
        h->versions_since_checkpoint = versions_since_checkpoint(t.snap);
        h->checkpoint_interval = dlog_checkpoint_interval(&t.snap->metadata);
    }
    if (t.error) {
        if (!(h->error = delta_strdup(t.error)))
            rc = delta_error_oom();
        tbl_free(&t);
        return rc;
    }
    count_small(&t, &h->num_files, &h->total_bytes, &h->small_files);
    h->small_file_threshold = t.pol.small_threshold;
    if (h->num_files) {
        h->avg_file_bytes = h->total_bytes / h->num_files;
        h->small_file_ratio = (double)h->small_files / (double)h->num_files;
    }
    /* what a vacuum would delete now: its own dry run */
    delta_vacuum_options vo = DELTA_VACUUM_OPTIONS_INIT;
    delta_vacuum_result vr;
    vo.dry_run = true;
    vo.now_ms = now;
    vo.retention_hours = t.pol.retention_hours;
    if (dops_vacuum(t.store, &vo, &vr) == 0) {
        h->reclaimable_files = vr.num_files;
        h->reclaimable_bytes = vr.num_bytes;
        h->retention_hours = (double)vr.retention_ms / (double)HOUR_MS;
    }
    tbl_free(&t);
    return 0;
}

DELTA_EXTERN int delta_maintenance_metrics_get(delta_maintenance *m, size_t max_recent,
                                               delta_maintenance_metrics **out)
{
    *out = NULL;
    mconf c;
    jlog log = {0};
    delta_lake_list tables = {0};
    delta_maintenance_metrics *mt = delta_calloc(1, sizeof *mt);
    if (!mt)
        return delta_error_oom();
    int rc = conf_load(m, &c);
    if (!rc)
        rc = jlog_load(m, &log);
    if (!rc)
        rc = delta_lake_list_tables(m->uri, &tables);
    if (rc)
        goto done;
    int64_t now = now_of(m);
    mt->schedule_enabled = c.enabled;
    for (int i = 0; i < DELTA_MAINTENANCE_NUM_OPS; i++)
        if (!(mt->schedule[i] = delta_strdup(c.cron[i])))
            rc = delta_error_oom();
    for (int i = 0; i < DELTA_MAINTENANCE_NUM_OPS; i++)
        mt->ops[i].last_start_ms = -1;
    mt->jobs = (int64_t)log.count;
    mt->unreadable_records = log.unreadable;
    for (size_t i = 0; i < log.count; i++) {
        const delta_maintenance_job *j = &log.items[i];
        delta_maintenance_op_stats *s = &mt->ops[j->op];
        s->jobs++;
        if (j->status == DELTA_MAINTENANCE_SUCCEEDED) {
            s->succeeded++;
            mt->succeeded++;
        } else {
            s->failed++;
            mt->failed++;
        }
        s->files_added += j->files_added;
        s->files_removed += j->files_removed;
        s->bytes_added += j->bytes_added;
        s->bytes_removed += j->bytes_removed;
        s->total_duration_ms += j->duration_ms;
        if (j->start_ms > s->last_start_ms)
            s->last_start_ms = j->start_ms;
    }
    if (!rc && tables.count && !(mt->tables = delta_calloc(tables.count, sizeof *mt->tables)))
        rc = delta_error_oom();
    for (size_t i = 0; !rc && i < tables.count; i++) {
        rc = table_health(m, &c, &log, tables.items[i].name, now, &mt->tables[i]);
        mt->num_tables++;
    }
    /* the newest records (after the health, which reads the log): the log is in start order, so
     * take its tail */
    size_t n = log.count < max_recent ? log.count : max_recent;
    if (!rc && n && !(mt->recent = delta_calloc(n, sizeof *mt->recent)))
        rc = delta_error_oom();
    for (size_t i = 0; !rc && i < n; i++) {
        /* move the record out of the log, newest first */
        mt->recent[i] = log.items[log.count - 1 - i];
        memset(&log.items[log.count - 1 - i], 0, sizeof log.items[0]);
        mt->num_recent++;
    }
done:
    jlog_free(&log);
    delta_lake_list_free(&tables);
    if (rc) {
        delta_maintenance_metrics_free(mt);
        return rc;
    }
    *out = mt;
    return 0;
}
