/*
 * Table property validation and the minimum protocol (see props.h).
 */
#include "table/props.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/str.h"
#include "log/checkpoint.h"

typedef enum prop_kind {
    P_BOOL,
    P_POSINT,   /* integer >= 1 */
    P_INT_M1,   /* integer >= -1 */
    P_INTERVAL, /* "interval 7 days" */
    P_BYTES,    /* "134217728", "128mb" */
    P_ENUM,     /* one of `choices` (case-insensitive) */
    P_TEXT,     /* anything */
    P_UNSUPPORTED
} prop_kind;

typedef struct prop_def {
    const char *key;
    prop_kind kind;
    const char *choices; /* P_ENUM: '|'-separated */
} prop_def;

/* The properties Delta defines (delta-io/delta DeltaConfigs and
 * PROTOCOL.md) that a table of this engine may carry. */
static const prop_def props[] = {
    {"delta.appendOnly", P_BOOL, NULL},
    {"delta.autoOptimize.autoCompact", P_ENUM, "true|false|auto|legacy"},
    {"delta.autoOptimize.optimizeWrite", P_BOOL, NULL},
    {"delta.checkpointInterval", P_POSINT, NULL},
    {"delta.checkpoint.writeStatsAsJson", P_BOOL, NULL},
    {"delta.checkpoint.writeStatsAsStruct", P_BOOL, NULL},
    {"delta.checkpointPolicy", P_ENUM, "classic|v2"},
    {"delta.checkpointRetentionDuration", P_INTERVAL, NULL},
    {"delta.enableDeletionVectors", P_BOOL, NULL},
    {"delta.logRetentionDuration", P_INTERVAL, NULL},
    {"delta.deletedFileRetentionDuration", P_INTERVAL, NULL},
    {"delta.setTransactionRetentionDuration", P_INTERVAL, NULL},
    {"delta.enableChangeDataFeed", P_BOOL, NULL},
    {"delta.enableExpiredLogCleanup", P_BOOL, NULL},
    {"delta.dataSkippingNumIndexedCols", P_INT_M1, NULL},
    {"delta.dataSkippingStatsColumns", P_TEXT, NULL},
    {"delta.targetFileSize", P_BYTES, NULL},
    {"delta.tuneFileSizesForRewrites", P_BOOL, NULL},
    {"delta.isolationLevel", P_ENUM, "Serializable|WriteSerializable"},
    {"delta.enableInCommitTimestamps", P_BOOL, NULL},
    {"delta.enableTypeWidening", P_BOOL, NULL},
    {"delta.randomizeFilePrefixes", P_BOOL, NULL},
    {"delta.randomPrefixLength", P_POSINT, NULL},
    {"delta.minReaderVersion", P_POSINT, NULL},
    {"delta.minWriterVersion", P_POSINT, NULL},
    {"delta.columnMapping.mode", P_ENUM, "none|name|id"},
    {"delta.columnMapping.maxColumnId", P_UNSUPPORTED, NULL},
    {"delta.enableRowTracking", P_UNSUPPORTED, NULL},
    {"delta.universalFormat.enabledFormats", P_UNSUPPORTED, NULL},
    {"delta.compatibility.symlinkFormatManifest.enabled", P_UNSUPPORTED, NULL},
    {"delta.enableIcebergCompatV1", P_UNSUPPORTED, NULL},
    {"delta.enableIcebergCompatV2", P_UNSUPPORTED, NULL},
};

#define NPROPS (sizeof props / sizeof props[0])

/* Features that may be asked for with delta.feature.NAME. */
static const char *const known_features[] = {
    "appendOnly",      "invariants",       "checkConstraints", "changeDataFeed",
    "generatedColumns", "timestampNtz",    "deletionVectors",  "inCommitTimestamp",
    "typeWidening",    "v2Checkpoint",     "domainMetadata",   "vacuumProtocolCheck",
    "allowColumnDefaults",
};

static const prop_def *find_prop(const char *key)
{
    for (size_t i = 0; i < NPROPS; i++)
        if (strcasecmp(props[i].key, key) == 0)
            return &props[i];
    return NULL;
}

int dtab_parse_bytes(const char *s, int64_t *out)
{
    const char *p = s;
    while (*p == ' ')
        p++;
    if (!isdigit((unsigned char)*p))
        return DELTA_EINVAL;
    int64_t v = 0;
    while (isdigit((unsigned char)*p)) {
        if (v > (INT64_MAX - 9) / 10)
            return DELTA_ERANGE;
        v = v * 10 + (*p++ - '0');
    }
    while (*p == ' ')
        p++;
    int64_t mul = 1;
    if (*p) {
        char u = (char)tolower((unsigned char)*p);
        mul = u == 'b' ? 1 : u == 'k' ? 1024 : u == 'm' ? 1024 * 1024
            : u == 'g' ? (int64_t)1 << 30 : u == 't' ? (int64_t)1 << 40 : 0;
        if (!mul)
            return DELTA_EINVAL;
        p++;
        if (u != 'b' && (*p == 'b' || *p == 'B'))
            p++;
        if (*p)
            return DELTA_EINVAL;
    }
    if (v > INT64_MAX / mul)
        return DELTA_ERANGE;
    *out = v * mul;
    return 0;
}

static int check_value(const prop_def *d, const char *value)
{
    int64_t n;
    bool b;
    switch (d->kind) {
    case P_BOOL:
        if (dstr_parse_bool(value, &b) == 0 &&
            (strcasecmp(value, "true") == 0 || strcasecmp(value, "false") == 0))
            return 0;
        return delta_error_set(DELTA_EINVAL, "property %s: '%s' is not true or false", d->key,
                               value);
    case P_POSINT:
    case P_INT_M1:
        if (dstr_parse_i64(value, &n) == 0 && n >= (d->kind == P_POSINT ? 1 : -1) &&
            n <= INT32_MAX)
            return 0;
        return delta_error_set(DELTA_EINVAL, "property %s: '%s' is not an integer %s", d->key,
                               value, d->kind == P_POSINT ? "of at least 1" : "of at least -1");
    case P_INTERVAL:
        if (dlog_parse_interval_ms(value, &n) == 0 && n >= 0)
            return 0;
        return delta_error_set(DELTA_EINVAL,
                               "property %s: '%s' is not an interval (e.g. 'interval 7 days')",
                               d->key, value);
    case P_BYTES:
        if (dtab_parse_bytes(value, &n) == 0 && n > 0)
            return 0;
        return delta_error_set(DELTA_EINVAL,
                               "property %s: '%s' is not a size in bytes (e.g. 134217728 or 128mb)",
                               d->key, value);
    case P_ENUM: {
        const char *c = d->choices;
        size_t vl = strlen(value);
        while (*c) {
            const char *bar = strchr(c, '|');
            size_t cl = bar ? (size_t)(bar - c) : strlen(c);
            if (cl == vl && strncasecmp(c, value, cl) == 0)
                return 0;
            c += cl + (bar ? 1 : 0);
        }
        return delta_error_set(DELTA_EINVAL, "property %s: '%s' is not one of %s", d->key, value,
                               d->choices);
    }
    case P_TEXT:
        return 0;
    case P_UNSUPPORTED:
        return delta_error_set(DELTA_EUNSUPPORTED,
                               "property %s is not supported by this writer", d->key);
    }
    return 0;
}

int dtab_map_put(dlog_map *m, const char *key, const char *value)
{
    for (size_t i = 0; i < m->count; i++) {
        if (strcmp(m->items[i].key, key) == 0) {
            char *v = value ? delta_strdup(value) : NULL;
            if (value && !v)
                return DELTA_ENOMEM;
            delta_free(m->items[i].value);
            m->items[i].value = v;
            return 0;
        }
    }
    dlog_kv *items = delta_realloc(m->items, (m->count + 1) * sizeof *items);
    if (!items)
        return DELTA_ENOMEM;
    m->items = items;
    dlog_kv *kv = &items[m->count];
    kv->key = delta_strdup(key);
    kv->value = value ? delta_strdup(value) : NULL;
    if (!kv->key || (value && !kv->value)) {
        delta_free(kv->key);
        delta_free(kv->value);
        return DELTA_ENOMEM;
    }
    m->count++;
    return 0;
}

int dtab_map_copy(dlog_map *out, const dlog_map *m)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < m->count; i++) {
        int rc = dtab_map_put(out, m->items[i].key, m->items[i].value);
        if (rc) {
            dlog_map_clear(out);
            return rc;
        }
    }
    return 0;
}

int dtab_props_set(dlog_map *m, const char *key, const char *value)
{
    if (!key || !*key)
        return delta_error_set(DELTA_EINVAL, "empty property key");
    if (!value)
        return delta_error_set(DELTA_EINVAL, "property %s: no value", key);
    const prop_def *d = NULL;
    char full[256];
    if (strncasecmp(key, "delta.", 6) == 0) {
        if (strncmp(key, "delta.feature.", 14) == 0) {
            const char *name = key + 14;
            bool ok = false;
            for (size_t i = 0; i < sizeof known_features / sizeof known_features[0]; i++)
                ok = ok || strcmp(known_features[i], name) == 0;
            if (!ok)
                return delta_error_set(DELTA_EINVAL, "property %s: unknown table feature '%s'",
                                       key, name);
            if (strcasecmp(value, "supported") != 0 && strcasecmp(value, "enabled") != 0)
                return delta_error_set(DELTA_EINVAL,
                                       "property %s: '%s' is not 'supported' or 'enabled'", key,
                                       value);
            return dtab_map_put(m, key, "supported");
        }
        if (strncmp(key, "delta.constraints.", 18) == 0 && key[18])
            return dtab_map_put(m, key, value);
        d = find_prop(key);
        if (!d)
            return delta_error_set(DELTA_EINVAL,
                                   "unknown table property '%s' (not a Delta property)", key);
    } else if (strlen(key) + 7 <= sizeof full) {
        /* The seed's short forms: "autoOptimize.optimizeWrite". */
        snprintf(full, sizeof full, "delta.%s", key);
        d = find_prop(full);
    }
    if (!d)
        return dtab_map_put(m, key, value);
    int rc = check_value(d, value);
    if (rc)
        return rc;
    if (strcmp(d->key, "delta.columnMapping.mode") == 0 && strcasecmp(value, "none") != 0)
        return delta_error_set(DELTA_EUNSUPPORTED,
                               "property delta.columnMapping.mode=%s: writing tables with column "
                               "mapping is not supported yet",
                               value);
    /* Stored under the real key, booleans lower case as Spark writes them. */
    if (d->kind == P_BOOL) {
        bool b = strcasecmp(value, "true") == 0;
        return dtab_map_put(m, d->key, b ? "true" : "false");
    }
    return dtab_map_put(m, d->key, value);
}

/* ---- protocol -------------------------------------------------------------- */

static bool meta_has(const char *meta, const char *key)
{
    if (!meta)
        return false;
    char q[96];
    snprintf(q, sizeof q, "\"%s\"", key);
    return strstr(meta, q) != NULL;
}

static void scan_schema(const dtype *t, const char *meta, bool *gen, bool *inv, bool *ntz)
{
    if (meta_has(meta, "delta.generationExpression"))
        *gen = true;
    if (meta_has(meta, "delta.invariants"))
        *inv = true;
    if (t->id == DT_TIMESTAMP && !t->utc)
        *ntz = true;
    for (uint32_t i = 0; i < t->num_fields; i++)
        scan_schema(t->fields[i].type, t->fields[i].metadata, gen, inv, ntz);
}

bool dtab_schema_has_generated(const dtype *schema)
{
    bool gen = false, inv = false, ntz = false;
    scan_schema(schema, NULL, &gen, &inv, &ntz);
    return gen;
}


void dtab_protocol_clear(dlog_protocol *p)
{
    for (size_t i = 0; i < p->num_reader_features; i++)
        delta_free(p->reader_features[i]);
    for (size_t i = 0; i < p->num_writer_features; i++)
        delta_free(p->writer_features[i]);
    delta_free(p->reader_features);
    delta_free(p->writer_features);
    memset(p, 0, sizeof *p);
}

typedef struct feat {
    const char *name;
    int legacy_writer; /* the legacy writer version that implies it, or 0 (table feature) */
    bool reader;       /* a reader-writer feature */
} feat;

static const feat feats[] = {
    {"appendOnly", 2, false},       {"invariants", 2, false},
    {"checkConstraints", 3, false}, {"changeDataFeed", 4, false},
    {"generatedColumns", 4, false}, {"timestampNtz", 0, true},
    {"deletionVectors", 0, true},   {"inCommitTimestamp", 0, false},
    {"typeWidening", 0, true},      {"v2Checkpoint", 0, true},
    {"domainMetadata", 0, false},   {"vacuumProtocolCheck", 0, true},
    {"allowColumnDefaults", 0, false},
};
#define NFEATS (sizeof feats / sizeof feats[0])

static int push(char ***list, size_t *n, const char *s)
{
    char **l = delta_realloc(*list, (*n + 1) * sizeof *l);
    if (!l)
        return DELTA_ENOMEM;
    *list = l;
    if (!(l[*n] = delta_strdup(s)))
        return DELTA_ENOMEM;
    (*n)++;
    return 0;
}

int dtab_protocol_for(const dtype *schema, const dlog_map *c, dlog_protocol *out)
{
    memset(out, 0, sizeof *out);
    bool gen = false, inv = false, ntz = false;
    scan_schema(schema, NULL, &gen, &inv, &ntz);
    bool need[NFEATS] = {0};
    for (size_t i = 0; i < NFEATS; i++) {
        const char *n = feats[i].name;
        char key[96];
        snprintf(key, sizeof key, "delta.feature.%s", n);
        if (dlog_map_get(c, key, NULL))
            need[i] = true;
        if (strcmp(n, "appendOnly") == 0)
            need[i] = need[i] || dlog_map_true(c, "delta.appendOnly");
        else if (strcmp(n, "invariants") == 0)
            need[i] = need[i] || inv;
        else if (strcmp(n, "generatedColumns") == 0)
            need[i] = need[i] || gen;
        else if (strcmp(n, "timestampNtz") == 0)
            need[i] = need[i] || ntz;
        else if (strcmp(n, "changeDataFeed") == 0)
            need[i] = need[i] || dlog_map_true(c, "delta.enableChangeDataFeed");
        else if (strcmp(n, "deletionVectors") == 0)
            need[i] = need[i] || dlog_map_true(c, "delta.enableDeletionVectors");
        else if (strcmp(n, "inCommitTimestamp") == 0)
            need[i] = need[i] || dlog_map_true(c, "delta.enableInCommitTimestamps");
        else if (strcmp(n, "typeWidening") == 0)
            need[i] = need[i] || dlog_map_true(c, "delta.enableTypeWidening");
        else if (strcmp(n, "v2Checkpoint") == 0) {
            const char *v = dlog_map_get(c, "delta.checkpointPolicy", NULL);
            need[i] = need[i] || (v && strcasecmp(v, "v2") == 0);
        } else if (strcmp(n, "checkConstraints") == 0) {
            for (size_t k = 0; k < c->count; k++)
                if (strncmp(c->items[k].key, "delta.constraints.", 18) == 0)
                    need[i] = true;
        }
    }
    int writer = 2, reader = 1;
    bool table_features = false;
    for (size_t i = 0; i < NFEATS; i++) {
        if (!need[i])
            continue;
        if (feats[i].legacy_writer) {
            if (feats[i].legacy_writer > writer)
                writer = feats[i].legacy_writer;
        } else {
            table_features = true;
        }
    }
    /* Explicit versions asked for (never below what the features need). */
    int64_t v;
    const char *mr = dlog_map_get(c, "delta.minReaderVersion", NULL);
    const char *mw = dlog_map_get(c, "delta.minWriterVersion", NULL);
    if (mw && dstr_parse_i64(mw, &v) == 0) {
        if (v > 7)
            return delta_error_set(DELTA_EUNSUPPORTED, "delta.minWriterVersion %s: above 7", mw);
        if (v == 7)
            table_features = true;
        else if (v > writer)
            writer = (int)v;
    }
    if (mr && dstr_parse_i64(mr, &v) == 0) {
        if (v > 3)
            return delta_error_set(DELTA_EUNSUPPORTED, "delta.minReaderVersion %s: above 3", mr);
        if (v == 3)
            table_features = true;
        else if (v > reader)
            reader = (int)v;
    }
    int rc = 0;
    if (!table_features) {
        out->min_reader_version = reader;
        out->min_writer_version = writer;
        return 0;
    }
    out->min_writer_version = 7;
    out->has_writer_features = true;
    bool any_reader = mr && strcmp(mr, "3") == 0;
    for (size_t i = 0; i < NFEATS && !rc; i++) {
        if (!need[i])
            continue;
        rc = push(&out->writer_features, &out->num_writer_features, feats[i].name);
        if (feats[i].reader)
            any_reader = true;
    }
    if (!rc && any_reader) {
        out->min_reader_version = 3;
        out->has_reader_features = true;
        for (size_t i = 0; i < NFEATS && !rc; i++)
            if (need[i] && feats[i].reader)
                rc = push(&out->reader_features, &out->num_reader_features, feats[i].name);
    } else {
        out->min_reader_version = reader;
    }
    if (rc)
        dtab_protocol_clear(out);
    return rc;
}
