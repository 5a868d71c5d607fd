/*
 * Seeded random predicates over a batch's columns (header-only), for the
 * skipping-safety and DuckDB-oracle property tests. Literals are drawn
 * from the batch's own values (so predicates hit and miss near the data)
 * or from a few edge values, written as SQL literals of the column's
 * type.
 */
#ifndef DELTA_TEST_EXPRGEN_H
#define DELTA_TEST_EXPRGEN_H

#include "exprtest.h"
#include "support/dgen.h"

/* Columns the generators may use: those the evaluator computes on. */
static inline bool eg_usable(const dtype *t)
{
    return t->id != DT_NULL && expr_type_evaluable(t);
}

/* A SQL literal of type t for value v. */
static inline void eg_literal(const dtype *t, const expr_value *v, dbuf *out)
{
    if (v->is_null) {
        dbuf_puts(out, "NULL");
        return;
    }
    if ((t->id == DT_FLOAT64 || t->id == DT_FLOAT32) && !isfinite(v->d)) {
        dbuf_printf(out, "CAST('%s' AS %s)", isnan(v->d) ? "NaN" : v->d > 0 ? "Infinity" : "-Infinity",
                    t->id == DT_FLOAT32 ? "float" : "double");
        return;
    }
    if (t->id == DT_FLOAT32) {
        dbuf_printf(out, "CAST(%.9g AS float)", v->d);
        return;
    }
    if (t->id == DT_FLOAT64) {
        dbuf_printf(out, "CAST('%.17g' AS double)", v->d);
        return;
    }
    if (t->id == DT_DECIMAL) {
        dbuf_puts(out, "CAST('");
        expr_format_decimal(out, v->dec, t->scale);
        dbuf_printf(out, "' AS decimal(%u,%u))", t->precision, t->scale);
        return;
    }
    if (t->id == DT_INT64) {
        /* INT64_MIN has no literal form without a cast */
        dbuf_printf(out, "CAST('%lld' AS bigint)", (long long)v->i);
        return;
    }
    expr_typespec ts = {t->id, t->precision, t->scale, t->utc};
    expr_format_value(out, &ts, v);
}

/* A literal for column c: usually one of its values, sometimes an edge. */
static inline void eg_value_literal(dgen *g, const dtype *t, const dvec *col, dbuf *out,
                                    expr_value *picked)
{
    expr_value v = {0};
    v.is_null = true;
    for (int tries = 0; tries < 4 && v.is_null; tries++) {
        if (col->length == 0)
            break;
        expr_vec_get(col, (int64_t)dgen_below(g, (uint64_t)col->length), &v);
    }
    if (dgen_pct(g, 15)) {
        /* nudge numbers, shorten strings */
        switch (t->id) {
        case DT_INT8:
        case DT_INT16:
        case DT_INT32:
            if (!v.is_null)
                v.i += dgen_below(g, 2) ? 1 : -1;
            if (t->id == DT_INT8 && (v.i > 127 || v.i < -128))
                v.i = 0;
            if (t->id == DT_INT16 && (v.i > 32767 || v.i < -32768))
                v.i = 0;
            if (t->id == DT_INT32 && (v.i > INT32_MAX || v.i < INT32_MIN))
                v.i = 0;
            break;
        case DT_STRING:
            if (!v.is_null && v.len > 0)
                v.len = (size_t)dgen_below(g, v.len);
            /* keep it valid UTF-8: drop a cut multi-byte sequence */
            while (v.len > 0 && (v.bytes[v.len] & 0xc0) == 0x80)
                v.len--;
            break;
        default: break;
        }
    }
    if (dgen_pct(g, 5))
        v.is_null = true;
    if (picked)
        *picked = v;
    eg_literal(t, &v, out);
}

static inline void eg_column(const dtype *schema, uint32_t c, dbuf *out)
{
    dbuf_printf(out, "`%s`", schema->fields[c].name);
}

/* A random predicate of at most `depth` levels over batch's usable
 * columns. `like` enables LIKE; `eqns` enables <=>. */
static inline void eg_predicate(dgen *g, const dvec *batch, int depth, bool extras, dbuf *out)
{
    const dtype *schema = batch->type;
    if (depth > 0 && dgen_pct(g, 45)) {
        switch (dgen_below(g, 3)) {
        case 0:
            dbuf_puts(out, "(NOT ");
            eg_predicate(g, batch, depth - 1, extras, out);
            dbuf_putc(out, ')');
            return;
        default:
            dbuf_putc(out, '(');
            eg_predicate(g, batch, depth - 1, extras, out);
            dbuf_puts(out, dgen_below(g, 2) ? " AND " : " OR ");
            eg_predicate(g, batch, depth - 1, extras, out);
            dbuf_putc(out, ')');
            return;
        }
    }
    uint32_t cands[64], nc = 0;
    for (uint32_t k = 0; k < schema->num_fields && nc < 64; k++)
        if (eg_usable(schema->fields[k].type))
            cands[nc++] = k;
    if (nc == 0) {
        dbuf_puts(out, "TRUE");
        return;
    }
    uint32_t c = cands[dgen_below(g, nc)];
    const dtype *t = schema->fields[c].type;
    const dvec *col = batch->children[c];
    static const char *const ops[] = {"=", "<>", "<", "<=", ">", ">=", "<=>"};
    unsigned kind = (unsigned)dgen_below(g, 10);
    dbuf_putc(out, '(');
    if (kind <= 4) {
        const char *op = ops[dgen_below(g, extras ? 7 : 6)];
        if (dgen_pct(g, 20)) {
            eg_value_literal(g, t, col, out, NULL);
            dbuf_printf(out, " %s ", op);
            eg_column(schema, c, out);
        } else {
            eg_column(schema, c, out);
            dbuf_printf(out, " %s ", op);
            eg_value_literal(g, t, col, out, NULL);
        }
    } else if (kind == 5) {
        eg_column(schema, c, out);
        dbuf_puts(out, dgen_below(g, 2) ? " IS NULL" : " IS NOT NULL");
    } else if (kind == 6) {
        eg_column(schema, c, out);
        dbuf_puts(out, dgen_pct(g, 30) ? " NOT IN (" : " IN (");
        unsigned n = (unsigned)dgen_range(g, 1, 4);
        for (unsigned k = 0; k < n; k++) {
            if (k)
                dbuf_puts(out, ", ");
            eg_value_literal(g, t, col, out, NULL);
        }
        dbuf_putc(out, ')');
    } else if (kind == 7) {
        eg_column(schema, c, out);
        dbuf_puts(out, dgen_pct(g, 30) ? " NOT BETWEEN " : " BETWEEN ");
        eg_value_literal(g, t, col, out, NULL);
        dbuf_puts(out, " AND ");
        eg_value_literal(g, t, col, out, NULL);
    } else if (kind == 8 && t->id == DT_STRING) {
        expr_value v;
        dbuf lit = DBUF_INIT;
        eg_value_literal(g, t, col, &lit, &v);
        dbuf_free(&lit);
        eg_column(schema, c, out);
        dbuf_puts(out, dgen_pct(g, 25) ? " NOT LIKE '" : " LIKE '");
        size_t n = v.is_null ? 0 : (size_t)dgen_below(g, v.len + 1);
        while (n > 0 && n < v.len && (v.bytes[n] & 0xc0) == 0x80)
            n--;
        for (size_t k = 0; k < n; k++) {
            uint8_t ch = v.bytes[k];
            if (ch == '\'')
                dbuf_puts(out, "''");
            else if (ch == '\\')
                break; /* keep patterns free of backslash escapes */
            else if (ch == '%' || ch == '_') {
                dbuf_putc(out, '\\');
                dbuf_putc(out, ch);
            } else
                dbuf_putc(out, ch);
        }
        dbuf_puts(out, dgen_pct(g, 80) ? "%'" : "'");
    } else {
        eg_column(schema, c, out);
        dbuf_puts(out, dgen_pct(g, 50) ? " IS NOT NULL" : " = ");
        if (out->data[out->len - 2] == '=')
            eg_value_literal(g, t, col, out, NULL);
    }
    dbuf_putc(out, ')');
}

#endif
