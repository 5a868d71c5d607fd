/*
 * Helpers for the expression tests (header-only): schemas written as
 * "a int, b string, c decimal(10,2)", batches from rows of text values
 * (NULL pointer = SQL NULL) cast to the column types, and evaluation of an
 * expression rendered as "v1|v2|NULL|..." (Spark's text forms).
 */
#ifndef DELTA_TEST_EXPRTEST_H
#define DELTA_TEST_EXPRTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columnar/vector.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "expr/expr.h"
#include "expr/expr_internal.h"

/* "a int, b string" -> STRUCT; NULL on a malformed spec */
static inline dtype *et_schema(const char *spec)
{
    dfield fields[64];
    uint32_t n = 0;
    char *copy = strdup(spec);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        char *sp = strchr(tok, ' ');
        if (!sp)
            break;
        *sp = '\0';
        char *tname = sp + 1;
        /* decimal(p,s) was split at the comma: glue it back */
        char buf[64];
        snprintf(buf, sizeof buf, "%s", tname);
        if (strchr(buf, '(') && !strchr(buf, ')')) {
            char *rest = strtok_r(NULL, ",", &save);
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ",%s", rest ? rest : "");
        }
        char text[128];
        snprintf(text, sizeof text, "CAST(NULL AS %s)", buf);
        expr *e;
        if (expr_parse(&e, text)) {
            free(copy);
            return NULL;
        }
        dtype *t = expr_typespec_dtype(&e->root->ts);
        expr_free(e);
        dfield_init(&fields[n++], tok, t, true);
    }
    free(copy);
    return dtype_new_struct(fields, n);
}

/* rows[r * ncols + c] text values */
static inline dvec *et_batch(const dtype *schema, const char *const *cells, int64_t nrows)
{
    dvec *b;
    if (dbatch_new(&b, schema))
        return NULL;
    dtype *str = dtype_new(DT_STRING);
    dbuf scratch = DBUF_INIT;
    for (int64_t r = 0; r < nrows; r++) {
        for (uint32_t c = 0; c < schema->num_fields; c++) {
            const char *s = cells[r * schema->num_fields + c];
            expr_value in = {0}, out;
            if (!s) {
                in.is_null = true;
            } else {
                in.bytes = (const uint8_t *)s;
                in.len = strlen(s);
            }
            if (expr_cast_value(str, &in, schema->fields[c].type, &out, &scratch))
                return NULL;
            if (s && out.is_null) {
                fprintf(stderr, "et_batch: '%s' is not a valid %u\n", s, schema->fields[c].type->id);
                abort();
            }
            if (expr_vec_put(b->children[c], &out))
                return NULL;
        }
    }
    dbuf_free(&scratch);
    dtype_unref(str);
    if (dbatch_seal(b))
        return NULL;
    return b;
}

/* Appends the text of row i of v ("NULL" for null). */
static inline void et_format_row(const dvec *v, int64_t i, dbuf *out)
{
    expr_value x, y;
    if (!expr_vec_get(v, i, &x)) {
        dbuf_puts(out, "NULL");
        return;
    }
    dtype *str = dtype_new(DT_STRING);
    dbuf scratch = DBUF_INIT;
    if (v->type->id == DT_BINARY) {
        for (size_t k = 0; k < x.len; k++)
            dbuf_printf(out, "%02x", x.bytes[k]);
    } else if (expr_cast_value(v->type, &x, str, &y, &scratch) == 0) {
        dbuf_append(out, y.bytes, y.len);
    } else {
        dbuf_puts(out, "?");
    }
    dbuf_free(&scratch);
    dtype_unref(str);
}

/* Parses, binds against the batch's schema and evaluates every row;
 * returns 0 and the rows joined with '|' in out, or the error code. */
static inline int et_eval(const dvec *batch, const char *text, dbuf *out)
{
    expr *e;
    int rc = expr_parse(&e, text);
    if (rc)
        return rc;
    expr_scope sc = {NULL, batch->type};
    if ((rc = expr_bind(e, &sc, 1))) {
        expr_free(e);
        return rc;
    }
    const dvec *bs[1] = {batch};
    expr_input in = {bs, 1, batch->length};
    dvec *v;
    if ((rc = expr_eval(e->root, &in, NULL, 0, &v))) {
        expr_free(e);
        return rc;
    }
    for (int64_t i = 0; i < v->length; i++) {
        if (i)
            dbuf_putc(out, '|');
        et_format_row(v, i, out);
    }
    if (dvec_validate(v, true)) {
        dbuf_puts(out, " [invalid vector: ");
        dbuf_puts(out, delta_error_last());
        dbuf_puts(out, "]");
    }
    dvec_unref(v);
    expr_free(e);
    return 0;
}

/* Rows selected by a predicate as "0,2,5". */
static inline int et_select(const dvec *batch, const char *text, dbuf *out)
{
    expr *e;
    int rc = expr_parse(&e, text);
    if (rc)
        return rc;
    expr_scope sc = {NULL, batch->type};
    if ((rc = expr_bind(e, &sc, 1))) {
        expr_free(e);
        return rc;
    }
    const dvec *bs[1] = {batch};
    expr_input in = {bs, 1, batch->length};
    uint32_t *sel = malloc(sizeof(uint32_t) * (size_t)(batch->length + 1));
    int64_t n;
    if ((rc = expr_select(e->root, &in, NULL, 0, sel, &n))) {
        free(sel);
        expr_free(e);
        return rc;
    }
    for (int64_t k = 0; k < n; k++)
        dbuf_printf(out, k ? ",%u" : "%u", sel[k]);
    free(sel);
    expr_free(e);
    return 0;
}

#endif
