/*
 * CHECK constraints (delta_table_add_constraint, delta_table_drop_constraint):
 * ALTER TABLE ADD / DROP CONSTRAINT as metaData commits.
 *
 * A constraint is the table property `delta.constraints.NAME` (NAME lower-
 * cased, as Delta stores it) holding the SQL expression as given; the
 * writer (write.c) enforces every such property on every row written, a
 * FALSE or NULL result refusing the write.
 *
 * Adding one, in order, with nothing written before the commit:
 *   1. the name is checked and must not be taken;
 *   2. the expression is parsed and bound against the table's logical
 *      schema and must be boolean;
 *   3. every existing row is checked: a scan with the predicate
 *      `NOT (EXPR) OR (EXPR) IS NULL` (files whose statistics prove no row
 *      violates it are skipped) counts the violating rows; any refuses;
 *   4. the commit stages the protocol when it must grow (legacy writer 3,
 *      or the checkConstraints feature on a table-features protocol) and
 *      the metaData with the property, operation ADD CONSTRAINT. The
 *      transaction reads the whole table under Serializable isolation, so
 *      a concurrent append (blind or not) since the check is a conflict.
 * Dropping removes the property (operation DROP CONSTRAINT); the protocol
 * stays as it is.
 */
#include <delta/table.h>

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "expr/expr.h"
#include "log/actions.h"
#include "log/snapshot.h"
#include "log/txn.h"
#include "table/alter.h"
#include "table/props.h"
#include "table/scan.h"
#include "table/write.h"

#define PREFIX "delta.constraints."
#define PREFIX_LEN 18

/* "delta.constraints.<lower-cased name>" into key, after checking name. */
static int constraint_key(const char *name, char *key, size_t size)
{
    size_t n = name ? strlen(name) : 0;
    if (!n || n + PREFIX_LEN + 1 > size)
        return delta_error_set(DELTA_EINVAL, "constraint name '%s': 1 to %zu characters",
                               name ? name : "", size - PREFIX_LEN - 1);
    memcpy(key, PREFIX, PREFIX_LEN);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!isalnum(c) && c != '_')
            return delta_error_set(DELTA_EINVAL,
                                   "constraint name '%s': only letters, digits and '_' are "
                                   "allowed",
                                   name);
        key[PREFIX_LEN + i] = (char)tolower(c);
    }
    key[PREFIX_LEN + n] = '\0';
    return 0;
}

/* Parses and binds the expression against the schema; must be boolean. */
static int check_expression(const dtype *schema, const char *text)
{
    expr *e = NULL;
    expr_scope sc = {NULL, schema};
    int rc = expr_parse(&e, text);
    if (!rc)
        rc = expr_bind(e, &sc, 1);
    if (!rc && e->root->type->id != DT_BOOL)
        rc = delta_error_set(DELTA_ETYPE, "is not a boolean expression");
    expr_free(e);
    return rc;
}

/* Counts the rows of the snapshot where the expression is FALSE or NULL. */
static int count_violations(const dlog_snapshot *snap, const char *text, int64_t *count)
{
    *count = 0;
    size_t n = strlen(text);
    size_t size = 2 * n + 32;
    char *where = delta_malloc(size);
    if (!where)
        return DELTA_ENOMEM;
    snprintf(where, size, "NOT (%s) OR (%s) IS NULL", text, text);
    /* read one column only: the predicate's columns are read anyway */
    const char *col = snap->schema->fields[0].name;
    dtab_scan_opts so = DTAB_SCAN_OPTS_INIT;
    so.columns = &col;
    so.num_columns = 1;
    so.where = where;
    dstream *s = NULL;
    int rc = dtab_scan_open(&s, snap, &so);
    while (!rc) {
        dvec *b = NULL;
        rc = s->next(s, &b);
        if (rc || !b)
            break;
        *count += b->length;
        dvec_unref(b);
    }
    if (s)
        s->free(s);
    delta_free(where);
    return rc;
}

/* Commits the metadata `m` (and the protocol when `proto` differs from the
 * snapshot's) as operation `op` with parameters name and expr. */
static int commit_metadata(delta_store *store, const dlog_snapshot *snap, const dlog_metadata *m,
                           const dlog_protocol *proto, bool serializable, const char *op,
                           const char *name, const char *expression, int64_t *version)
{
    dlog_tx_opts o = DLOG_TX_OPTS_INIT;
    if (serializable)
        o.isolation = DLOG_SERIALIZABLE;
    dlog_tx *tx = NULL;
    char *params = NULL;
    int rc = dlog_tx_begin(&tx, store, snap, &o);
    if (rc)
        goto done;
    dlog_tx_read_whole_table(tx);
    if (proto && !dtab_protocol_same(proto, &snap->protocol) &&
        (rc = dtab_stage_protocol(tx, proto)))
        goto done;
    if ((rc = dtab_stage_metadata(tx, m)))
        goto done;
    json_t *pj = json_object();
    json_object_set_new(pj, "name", json_string(name));
    json_object_set_new(pj, "expr", json_string(expression));
    params = dlog_json_text(pj);
    json_decref(pj);
    if (!params) {
        rc = DELTA_ENOMEM;
        goto done;
    }
    if ((rc = dlog_tx_set_operation(tx, op, params, NULL)))
        goto done;
    dlog_commit_result cr;
    if ((rc = dlog_tx_commit(tx, &cr)))
        goto done;
    if (version)
        *version = cr.version;
done:
    delta_free(params);
    dlog_tx_free(tx);
    return rc;
}

DELTA_EXTERN int delta_table_add_constraint(delta_table *t, const char *name,
                                            const char *expression, int64_t *version)
{
    if (version)
        *version = -1;
    char key[256];
    int rc = constraint_key(name, key, sizeof key);
    if (rc)
        return rc;
    if (!expression || !*expression)
        return delta_error_set(DELTA_EINVAL, "constraint %s: empty expression", name);
    const char *lname = key + PREFIX_LEN;
    delta_store *store = NULL;
    dlog_snapshot *snap = NULL;
    dlog_map conf = {0};
    dlog_protocol proto = {0};
    rc = delta_store_open(&store, delta_table_uri(t));
    if (!rc)
        rc = dlog_snapshot_open(&snap, store, NULL);
    if (!rc)
        rc = dlog_protocol_check_write(&snap->protocol);
    if (rc)
        goto done;
    const char *old = dlog_snapshot_property(snap, key);
    if (old) {
        rc = delta_error_set(DELTA_EEXIST,
                             "constraint '%s' already exists (%s); drop it first", lname, old);
        goto done;
    }
    if ((rc = check_expression(snap->schema, expression))) {
        rc = delta_error_prefix(rc, "constraint %s '%s': ", lname, expression);
        goto done;
    }
    int64_t bad = 0;
    if ((rc = count_violations(snap, expression, &bad))) {
        rc = delta_error_prefix(rc, "constraint %s: checking existing rows: ", lname);
        goto done;
    }
    if (bad) {
        rc = delta_error_set(DELTA_EINVAL,
                             "constraint %s (%s) is violated by %lld existing row%s of version "
                             "%lld; nothing committed",
                             lname, expression, (long long)bad, bad == 1 ? "" : "s",
                             (long long)snap->version);
        goto done;
    }
    if ((rc = dtab_map_copy(&conf, &snap->metadata.configuration)) ||
        (rc = dtab_map_put(&conf, key, expression)))
        goto done;
    if ((rc = dtab_protocol_upgrade(&snap->protocol, snap->schema, &conf, &proto)))
        goto done;
    dlog_metadata m = snap->metadata;
    m.configuration = conf;
    rc = commit_metadata(store, snap, &m, &proto, true, "ADD CONSTRAINT", lname, expression,
                         version);
done:
    dtab_protocol_clear(&proto);
    dlog_map_clear(&conf);
    dlog_snapshot_free(snap);
    delta_store_free(store);
    return rc;
}

DELTA_EXTERN int delta_table_drop_constraint(delta_table *t, const char *name, bool if_exists,
                                             int64_t *version)
{
    if (version)
        *version = -1;
    char key[256];
    int rc = constraint_key(name, key, sizeof key);
    if (rc)
        return rc;
    const char *lname = key + PREFIX_LEN;
    delta_store *store = NULL;
    dlog_snapshot *snap = NULL;
    dlog_map conf = {0};
    char *old = NULL;
    rc = delta_store_open(&store, delta_table_uri(t));
    if (!rc)
        rc = dlog_snapshot_open(&snap, store, NULL);
    if (!rc)
        rc = dlog_protocol_check_write(&snap->protocol);
    if (rc)
        goto done;
    const dlog_map *cur = &snap->metadata.configuration;
    for (size_t i = 0; i < cur->count && !rc; i++) {
        if (strcmp(cur->items[i].key, key) == 0) {
            if (!(old = delta_strdup(cur->items[i].value ? cur->items[i].value : "")))
                rc = DELTA_ENOMEM;
            continue;
        }
        rc = dtab_map_put(&conf, cur->items[i].key, cur->items[i].value);
    }
    if (rc)
        goto done;
    if (!old) {
        if (if_exists)
            goto done;
        dbuf names = DBUF_INIT;
        for (size_t i = 0; i < cur->count; i++)
            if (strncmp(cur->items[i].key, PREFIX, PREFIX_LEN) == 0)
                dbuf_printf(&names, "%s%s", names.len ? ", " : "",
                            cur->items[i].key + PREFIX_LEN);
        rc = delta_error_set(DELTA_ENOTFOUND, "the table has no constraint '%s' (constraints: %s)",
                             lname, names.len ? dbuf_cstr(&names) : "none");
        dbuf_free(&names);
        goto done;
    }
    dlog_metadata m = snap->metadata;
    m.configuration = conf;
    rc = commit_metadata(store, snap, &m, NULL, false, "DROP CONSTRAINT", lname, old, version);
done:
    delta_free(old);
    dlog_map_clear(&conf);
    dlog_snapshot_free(snap);
    delta_store_free(store);
    return rc;
}
