/*
 * The public expression API (include/delta/expr.h): an opaque handle over
 * the internal expr, bound against one Arrow schema; batches cross as
 * Arrow arrays, imported without copying and borrowed for the call.
 */
#include "delta/expr.h"

#include "columnar/arrow.h"
#include "core/alloc.h"
#include "core/error.h"
#include "expr/expr.h"

#include <string.h>

struct delta_expr {
    expr *e;
    dtype *schema; /* once bound */
};

int delta_expr_parse(delta_expr **out, const char *text)
{
    if (!out)
        return delta_error_set(DELTA_EINVAL, "delta_expr_parse: out is NULL");
    *out = NULL;
    delta_expr *d = delta_calloc(1, sizeof *d);
    if (!d)
        return DELTA_ENOMEM;
    int rc = expr_parse(&d->e, text);
    if (rc) {
        delta_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

int delta_expr_bind(delta_expr *d, const struct ArrowSchema *schema)
{
    if (!d || !schema)
        return delta_error_set(DELTA_EINVAL, "delta_expr_bind: expression or schema is NULL");
    if (d->schema)
        return delta_error_set(DELTA_EINVAL, "expression '%s' is already bound", d->e->text);
    dfield f;
    int rc = dtype_import(schema, &f);
    if (rc)
        return rc;
    if (f.type->id != DT_STRUCT) {
        dfield_clear(&f);
        return delta_error_set(DELTA_EINVAL,
                               "binding '%s': expected a struct schema (format \"+s\"), found format \"%s\"",
                               d->e->text, schema->format ? schema->format : "(null)");
    }
    expr_scope sc = {NULL, f.type};
    rc = expr_bind(d->e, &sc, 1);
    if (rc == 0)
        d->schema = dtype_ref(f.type);
    dfield_clear(&f);
    return rc;
}

static int require_bound(const delta_expr *d, const char *what)
{
    if (!d)
        return delta_error_set(DELTA_EINVAL, "%s: expression is NULL", what);
    if (!d->schema)
        return delta_error_set(DELTA_EINVAL, "%s: expression '%s' is not bound", what, d->e->text);
    return 0;
}

int delta_expr_result_schema(const delta_expr *d, struct ArrowSchema *out)
{
    int rc = require_bound(d, "delta_expr_result_schema");
    if (rc)
        return rc;
    return dtype_export(d->e->root->type, "result", true, out);
}

static void no_release(struct ArrowArray *a)
{
    a->release = NULL;
}

/* Imports a borrowed batch: the copy's release does nothing. */
static int import_batch(const delta_expr *d, const struct ArrowArray *batch, dvec **out)
{
    if (!batch || !batch->release)
        return delta_error_set(DELTA_EINVAL, "expression '%s': the batch is NULL or released",
                               d->e->text);
    struct ArrowArray copy = *batch;
    copy.release = no_release;
    return dvec_import(&copy, d->schema, out);
}

int delta_expr_eval(const delta_expr *d, const struct ArrowArray *batch, struct ArrowArray *out)
{
    int rc = require_bound(d, "delta_expr_eval");
    if (rc)
        return rc;
    if (!out)
        return delta_error_set(DELTA_EINVAL, "delta_expr_eval: out is NULL");
    memset(out, 0, sizeof *out);
    dvec *b;
    if ((rc = import_batch(d, batch, &b)))
        return rc;
    const dvec *bs[1] = {b};
    expr_input in = {bs, 1, b->length};
    dvec *v;
    rc = expr_eval(d->e->root, &in, NULL, 0, &v);
    dvec_unref(b);
    if (rc)
        return rc;
    rc = dvec_export(v, out);
    dvec_unref(v);
    return rc;
}

int delta_expr_select(const delta_expr *d, const struct ArrowArray *batch, uint32_t **rows,
                      int64_t *count)
{
    int rc = require_bound(d, "delta_expr_select");
    if (rc)
        return rc;
    if (!rows || !count)
        return delta_error_set(DELTA_EINVAL, "delta_expr_select: rows or count is NULL");
    *rows = NULL;
    *count = 0;
    dvec *b;
    if ((rc = import_batch(d, batch, &b)))
        return rc;
    uint32_t *sel = delta_malloc(sizeof(uint32_t) * (size_t)(b->length > 0 ? b->length : 1));
    if (!sel) {
        dvec_unref(b);
        return DELTA_ENOMEM;
    }
    const dvec *bs[1] = {b};
    expr_input in = {bs, 1, b->length};
    rc = expr_select(d->e->root, &in, NULL, 0, sel, count);
    dvec_unref(b);
    if (rc) {
        delta_free(sel);
        *count = 0;
        return rc;
    }
    *rows = sel;
    return 0;
}

const char *delta_expr_text(const delta_expr *d)
{
    return d ? d->e->text : "";
}

void delta_expr_free(delta_expr *d)
{
    if (!d)
        return;
    expr_free(d->e);
    if (d->schema)
        dtype_unref(d->schema);
    delta_free(d);
}
