/*
 * Creating a table (delta_table_create): version 0 with the minimum
 * protocol, the metaData (schema, partition columns, validated properties)
 * and a commitInfo "CREATE TABLE", committed through a log transaction.
 *
 * Everything is checked before anything is written: the schema JSON (by
 * the log's schema parser), partition columns (top-level, primitive, not
 * every column), generation expressions and CHECK constraints (parsed and
 * bound against the schema by the expression layer), properties
 * (props.c). A table made from a template records the template's name in
 * the property libdelta.template. An existing log (any commit file) is DELTA_EEXIST unless
 * if_not_exists; two creators racing for version 0 leave exactly one
 * table (the commit is a put_if_absent).
 */
#include <delta/table.h>

#include <jansson.h>
#include <string.h>
#include <uuid/uuid.h>

#include "core/alloc.h"
#include "core/dtime.h"
#include "core/error.h"
#include "core/str.h"
#include "expr/expr.h"
#include "log/actions.h"
#include "log/log.h"
#include "log/schema.h"
#include "log/txn.h"
#include "table/props.h"
#include "table/write.h"

static int check_partition_columns(const dtype *schema, const char *const *cols, size_t n,
                                   char ***out)
{
    *out = delta_calloc(n + 1, sizeof **out);
    if (!*out)
        return DELTA_ENOMEM;
    if (n >= schema->num_fields)
        return delta_error_set(DELTA_EINVAL,
                               "every column is a partition column: a table needs at least one "
                               "data column");
    for (size_t i = 0; i < n; i++) {
        int idx = dtype_field_index(schema, cols[i], false);
        if (idx < 0)
            idx = dtype_field_index(schema, cols[i], true);
        if (idx < 0)
            return delta_error_set(DELTA_EINVAL, "partition column '%s' is not a column of the "
                                                 "schema",
                                   cols[i]);
        const dfield *f = &schema->fields[idx];
        if (dtype_is_nested(f->type) || f->type->id == DT_NULL)
            return delta_error_set(DELTA_EINVAL,
                                   "partition column '%s' has a nested type; partition columns "
                                   "must be of a primitive type",
                                   f->name);
        for (size_t j = 0; j < i; j++)
            if (strcmp((*out)[j], f->name) == 0)
                return delta_error_set(DELTA_EINVAL, "partition column '%s' is listed twice",
                                       f->name);
        if (!((*out)[i] = delta_strdup(f->name)))
            return DELTA_ENOMEM;
    }
    return 0;
}

/* Checks that expression text binds against the schema (a boolean when
 * `boolean`). `what` names it in messages. */
static int check_expression(const dtype *schema, const char *text, bool boolean,
                            const char *what)
{
    expr *e = NULL;
    int rc = expr_parse(&e, text);
    expr_scope sc = {NULL, schema};
    if (!rc)
        rc = expr_bind(e, &sc, 1);
    if (!rc && boolean && e->root->type->id != DT_BOOL)
        rc = delta_error_set(DELTA_ETYPE, "is not a boolean expression");
    if (rc)
        rc = delta_error_prefix(rc, "%s '%s': ", what, text);
    expr_free(e);
    return rc;
}

static int check_generated(const dtype *schema)
{
    for (uint32_t i = 0; i < schema->num_fields; i++) {
        const dfield *f = &schema->fields[i];
        char *ge = dtab_generation_expression(f);
        if (!ge)
            continue;
        char what[300];
        snprintf(what, sizeof what, "generated column '%s'", f->name);
        int rc = check_expression(schema, ge, false, what);
        delta_free(ge);
        if (rc)
            return rc;
    }
    return 0;
}

/* Appends a JSON string array of names as text ("[\"a\",\"b\"]"). */
static json_t *name_array(char *const *names, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(names[i]));
    return a;
}

static char *dump(json_t *v)
{
    dbuf b = DBUF_INIT;
    if (dlog_json_dump(v, &b)) {
        dbuf_free(&b);
        return NULL;
    }
    return dbuf_detach(&b, NULL);
}

/* Stages an action given as JSON. */
static int stage_json(dlog_tx *tx, json_t *line)
{
    char *text = dump(line);
    if (!text)
        return DELTA_ENOMEM;
    dlog_action a;
    int rc = dlog_action_parse(&a, text, strlen(text), "(new commit)", 1);
    delta_free(text);
    if (!rc)
        rc = dlog_tx_stage(tx, &a);
    dlog_action_clear(&a);
    return rc;
}

static json_t *protocol_json(const dlog_protocol *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "minReaderVersion", json_integer(p->min_reader_version));
    json_object_set_new(o, "minWriterVersion", json_integer(p->min_writer_version));
    if (p->has_reader_features)
        json_object_set_new(o, "readerFeatures",
                            name_array(p->reader_features, p->num_reader_features));
    if (p->has_writer_features)
        json_object_set_new(o, "writerFeatures",
                            name_array(p->writer_features, p->num_writer_features));
    json_t *line = json_object();
    json_object_set_new(line, "protocol", o);
    return line;
}

json_t *dtab_metadata_json(const dlog_metadata *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(m->id));
    if (m->name)
        json_object_set_new(o, "name", json_string(m->name));
    if (m->description)
        json_object_set_new(o, "description", json_string(m->description));
    json_t *fmt = json_object();
    json_object_set_new(fmt, "provider", json_string(m->format_provider ? m->format_provider
                                                                        : "parquet"));
    json_t *fo = json_object();
    for (size_t i = 0; i < m->format_options.count; i++)
        json_object_set_new(fo, m->format_options.items[i].key,
                            m->format_options.items[i].value
                                ? json_string(m->format_options.items[i].value)
                                : json_null());
    json_object_set_new(fmt, "options", fo);
    json_object_set_new(o, "format", fmt);
    json_object_set_new(o, "schemaString", json_string(m->schema_string));
    json_object_set_new(o, "partitionColumns",
                        name_array(m->partition_columns, m->num_partition_columns));
    json_t *conf = json_object();
    for (size_t i = 0; i < m->configuration.count; i++)
        json_object_set_new(conf, m->configuration.items[i].key,
                            m->configuration.items[i].value
                                ? json_string(m->configuration.items[i].value)
                                : json_null());
    json_object_set_new(o, "configuration", conf);
    if (m->has_created_time)
        json_object_set_new(o, "createdTime", json_integer(m->created_time));
    json_t *line = json_object();
    json_object_set_new(line, "metaData", o);
    return line;
}

int dtab_stage_metadata(dlog_tx *tx, const dlog_metadata *m)
{
    json_t *line = dtab_metadata_json(m);
    int rc = stage_json(tx, line);
    json_decref(line);
    return rc;
}

int dtab_stage_protocol(dlog_tx *tx, const dlog_protocol *p)
{
    json_t *line = protocol_json(p);
    int rc = stage_json(tx, line);
    json_decref(line);
    return rc;
}

/* Whether the table's log has any commit or checkpoint. */
static int log_exists(delta_store *store, bool *exists)
{
    delta_object_list l = {0};
    int rc = delta_store_list(store, "_delta_log/", NULL, 0, &l);
    *exists = false;
    if (rc == DELTA_ENOTFOUND)
        return 0;
    for (size_t i = 0; !rc && i < l.count; i++) {
        const char *k = l.items[i].key + strlen("_delta_log/");
        if (strchr(k, '/'))
            continue;
        if (dstr_ends_with(k, ".json") || strstr(k, ".checkpoint"))
            *exists = true;
    }
    delta_object_list_free(&l);
    return rc;
}

DELTA_EXTERN int delta_table_create(const char *uri, const delta_create_options *opts,
                                    bool *created)
{
    if (created)
        *created = false;
    if (!uri || !*uri)
        return delta_error_set(DELTA_EINVAL, "empty table location");
    if (!opts || opts->version != DELTA_CREATE_OPTIONS_VERSION)
        return delta_error_set(DELTA_EINVAL, "delta_create_options: missing or unknown version");
    const delta_template *tpl = NULL;
    if (opts->template_name) {
        tpl = delta_template_find(opts->template_name);
        if (!tpl) {
            dbuf names = DBUF_INIT;
            for (size_t i = 0; i < delta_template_count(); i++)
                dbuf_printf(&names, "%s%s", i ? ", " : "", delta_template_at(i)->name);
            int rc = delta_error_set(DELTA_EINVAL, "unknown template '%s' (templates: %s)",
                                     opts->template_name, dbuf_cstr(&names));
            dbuf_free(&names);
            return rc;
        }
    }
    const char *schema_json = opts->schema_json ? opts->schema_json
                              : tpl             ? tpl->schema_json
                                                : NULL;
    if (!schema_json)
        return delta_error_set(DELTA_EINVAL, "no schema: give a template or a schema JSON");

    dtype *schema = NULL;
    char **pcols = NULL;
    size_t npcols = 0;
    dlog_map conf = {0};
    dlog_protocol proto = {0};
    dlog_metadata meta = {0};
    delta_store *store = NULL;
    dlog_tx *tx = NULL;
    dbuf sj = DBUF_INIT;
    json_t *params = NULL;
    char *params_text = NULL;
    int rc = dlog_schema_parse(&schema, schema_json, strlen(schema_json));
    if (rc) {
        rc = delta_error_prefix(rc, "schema: ");
        goto done;
    }
    if (!schema->num_fields) {
        rc = delta_error_set(DELTA_EINVAL, "schema: no columns");
        goto done;
    }
    const char *const *pc = opts->partition_columns;
    npcols = opts->num_partition_columns;
    if (!pc && tpl && !opts->schema_json) {
        pc = tpl->partition_columns;
        npcols = tpl->num_partition_columns;
    }
    if ((rc = check_partition_columns(schema, pc, npcols, &pcols)))
        goto done;
    if ((rc = check_generated(schema)))
        goto done;
    for (size_t i = 0; tpl && i < tpl->num_properties && !rc; i++)
        rc = dtab_props_set(&conf, tpl->property_keys[i], tpl->property_values[i]);
    for (size_t i = 0; i < opts->num_properties && !rc; i++)
        rc = dtab_props_set(&conf, opts->property_keys[i], opts->property_values[i]);
    for (size_t i = 0; i < conf.count && !rc; i++) {
        if (strncmp(conf.items[i].key, "delta.constraints.", 18) == 0) {
            char what[300];
            snprintf(what, sizeof what, "constraint %s", conf.items[i].key + 18);
            rc = check_expression(schema, conf.items[i].value, true, what);
        }
    }
    if (rc)
        goto done;
    if ((rc = dtab_protocol_for(schema, &conf, &proto)))
        goto done;
    /* Protocol requests are not properties (Spark drops them too). */
    for (size_t i = 0; i < conf.count;) {
        const char *k = conf.items[i].key;
        if (strncmp(k, "delta.feature.", 14) == 0 || strcmp(k, "delta.minReaderVersion") == 0 ||
            strcmp(k, "delta.minWriterVersion") == 0) {
            delta_free(conf.items[i].key);
            delta_free(conf.items[i].value);
            memmove(&conf.items[i], &conf.items[i + 1], (conf.count - i - 1) * sizeof *conf.items);
            conf.count--;
        } else {
            i++;
        }
    }

    /* The template the table came from, so describe can show its
     * recommendations later (a property outside the delta. namespace). */
    if (tpl && (rc = dtab_map_put(&conf, "libdelta.template", tpl->name)))
        goto done;

    if ((rc = delta_store_open(&store, uri)))
        goto done;
    bool exists;
    if ((rc = log_exists(store, &exists)))
        goto done;
    if (exists) {
        rc = opts->if_not_exists ? 0
                                 : delta_error_set(DELTA_EEXIST, "a table already exists at %s",
                                                   uri);
        goto done;
    }

    uuid_t u;
    char id[37];
    uuid_generate_random(u);
    uuid_unparse_lower(u, id);
    if ((rc = dlog_schema_serialize(schema, &sj)) || (rc = sj.err))
        goto done;
    meta.id = id;
    meta.name = (char *)opts->name;
    meta.description = (char *)opts->comment;
    meta.format_provider = (char *)"parquet";
    meta.schema_string = (char *)dbuf_cstr(&sj);
    meta.partition_columns = pcols;
    meta.num_partition_columns = npcols;
    meta.configuration = conf;
    meta.has_created_time = true;
    meta.created_time = dtime_now_ms();

    if ((rc = dlog_tx_begin(&tx, store, NULL, NULL)))
        goto done;
    if ((rc = dtab_stage_protocol(tx, &proto)) || (rc = dtab_stage_metadata(tx, &meta)))
        goto done;
    params = json_object();
    json_object_set_new(params, "isManaged", json_string("false"));
    json_object_set_new(params, "description",
                        opts->comment ? json_string(opts->comment) : json_null());
    json_t *pa = name_array(pcols, npcols);
    char *pa_text = dump(pa);
    json_decref(pa);
    json_object_set_new(params, "partitionBy", json_string(pa_text ? pa_text : "[]"));
    delta_free(pa_text);
    json_t *props = json_object();
    for (size_t i = 0; i < conf.count; i++)
        json_object_set_new(props, conf.items[i].key, json_string(conf.items[i].value));
    char *props_text = dump(props);
    json_decref(props);
    json_object_set_new(params, "properties", json_string(props_text ? props_text : "{}"));
    delta_free(props_text);
    if (!(params_text = dump(params))) {
        rc = DELTA_ENOMEM;
        goto done;
    }
    if ((rc = dlog_tx_set_operation(tx, "CREATE TABLE", params_text, NULL)))
        goto done;
    rc = dlog_tx_commit(tx, NULL);
    if (rc == DELTA_ECONFLICT || rc == DELTA_EEXIST) {
        /* Another creator won version 0. */
        rc = opts->if_not_exists ? 0
                                 : delta_error_set(DELTA_EEXIST, "a table already exists at %s",
                                                   uri);
        goto done;
    }
    if (!rc && created)
        *created = true;
done:
    json_decref(params);
    delta_free(params_text);
    dlog_tx_free(tx);
    delta_store_free(store);
    dbuf_free(&sj);
    dlog_map_clear(&conf);
    dtab_protocol_clear(&proto);
    if (pcols)
        for (size_t i = 0; i < npcols; i++)
            delta_free(pcols[i]);
    delta_free(pcols);
    dtype_unref(schema);
    return rc;
}
