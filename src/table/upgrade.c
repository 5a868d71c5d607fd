/*
 * Protocol merging and upgrades for commits that change a table's
 * metadata without writing data (see alter.h). A protocol produced here
 * is never lower than the one a table has: versions only go up and
 * feature lists only grow.
 */
#include "table/alter.h"

#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "table/props.h"

/* Features a legacy writer version implies (PROTOCOL.md, "Table Features"). */
static const struct {
    const char *name;
    int writer;
} legacy_writer[] = {
    {"appendOnly", 2},     {"invariants", 2},       {"checkConstraints", 3},
    {"changeDataFeed", 4}, {"generatedColumns", 4}, {"columnMapping", 5},
    {"identityColumns", 6},
};

static bool has_name(char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

static int add_name(char ***list, size_t *n, const char *name)
{
    if (has_name(*list, *n, name))
        return 0;
    char **grown = delta_realloc(*list, (*n + 1) * sizeof **list);
    if (!grown)
        return DELTA_ENOMEM;
    *list = grown;
    if (!(grown[*n] = delta_strdup(name)))
        return DELTA_ENOMEM;
    (*n)++;
    return 0;
}

/* Adds the writer features of p (listed, or implied by a legacy version). */
static int add_writer_features(dlog_protocol *out, const dlog_protocol *p)
{
    int rc = 0;
    if (p->min_writer_version >= 7) {
        for (size_t i = 0; i < p->num_writer_features && !rc; i++)
            rc = add_name(&out->writer_features, &out->num_writer_features,
                          p->writer_features[i]);
        return rc;
    }
    for (size_t i = 0; i < sizeof legacy_writer / sizeof legacy_writer[0] && !rc; i++)
        if (p->min_writer_version >= legacy_writer[i].writer)
            rc = add_name(&out->writer_features, &out->num_writer_features,
                          legacy_writer[i].name);
    return rc;
}

static int add_reader_features(dlog_protocol *out, const dlog_protocol *p)
{
    int rc = 0;
    if (p->min_reader_version >= 3) {
        for (size_t i = 0; i < p->num_reader_features && !rc; i++)
            rc = add_name(&out->reader_features, &out->num_reader_features,
                          p->reader_features[i]);
    } else if (p->min_reader_version == 2) {
        rc = add_name(&out->reader_features, &out->num_reader_features, "columnMapping");
    }
    return rc;
}

int dtab_protocol_merge(const dlog_protocol *a, const dlog_protocol *b, dlog_protocol *out)
{
    memset(out, 0, sizeof *out);
    out->min_reader_version =
        a->min_reader_version > b->min_reader_version ? a->min_reader_version
                                                      : b->min_reader_version;
    out->min_writer_version =
        a->min_writer_version > b->min_writer_version ? a->min_writer_version
                                                      : b->min_writer_version;
    int rc = 0;
    if (out->min_writer_version >= 7) {
        out->has_writer_features = true;
        if (!(rc = add_writer_features(out, a)))
            rc = add_writer_features(out, b);
    }
    if (!rc && out->min_reader_version >= 3) {
        out->has_reader_features = true;
        if (!(rc = add_reader_features(out, a)))
            rc = add_reader_features(out, b);
        /* every reader feature is listed among the writer features too */
        for (size_t i = 0; !rc && i < out->num_reader_features; i++)
            rc = add_name(&out->writer_features, &out->num_writer_features,
                          out->reader_features[i]);
    }
    if (rc)
        dtab_protocol_clear(out);
    return rc;
}

static bool same_set(char *const *x, size_t nx, char *const *y, size_t ny)
{
    if (nx != ny)
        return false;
    for (size_t i = 0; i < nx; i++)
        if (!has_name(y, ny, x[i]))
            return false;
    return true;
}

bool dtab_protocol_same(const dlog_protocol *a, const dlog_protocol *b)
{
    return a->min_reader_version == b->min_reader_version &&
           a->min_writer_version == b->min_writer_version &&
           same_set(a->reader_features, a->num_reader_features, b->reader_features,
                    b->num_reader_features) &&
           same_set(a->writer_features, a->num_writer_features, b->writer_features,
                    b->num_writer_features);
}

int dtab_protocol_upgrade(const dlog_protocol *cur, const dtype *schema, const dlog_map *config,
                          dlog_protocol *out)
{
    memset(out, 0, sizeof *out);
    dlog_map conf = {0};
    dlog_protocol need = {0};
    int rc = dtab_map_copy(&conf, config);
    /* compute in the table's style: feature lists when it has them */
    if (!rc && cur->min_writer_version >= 7)
        rc = dtab_map_put(&conf, "delta.minWriterVersion", "7");
    if (!rc && cur->min_reader_version >= 3)
        rc = dtab_map_put(&conf, "delta.minReaderVersion", "3");
    if (!rc)
        rc = dtab_protocol_for(schema, &conf, &need);
    if (!rc)
        rc = dtab_protocol_merge(cur, &need, out);
    dtab_protocol_clear(&need);
    dlog_map_clear(&conf);
    return rc;
}
