/*
 * Seeded random predicates over a batch's columns (header-only), for the
 * skipping-safety and DuckDB-oracle property tests. Literals are drawn
 * from the batch's own values (so predicates hit and miss near the data)
 * or from a few edge values, written as SQL literals of the column's
 * type.
 */
#ifndef DELTA_TEST_EXPRGEN_H
#define DELTA_TEST_EXPRGEN_H

#include <math.h>

#include "core/dtime.h"
#include "exprtest.h"
#include "support/dgen.h"

/* Oracle mode: SQL that DuckDB reads the same way (typed CASTs of text
 * for literals, "quoted" columns, LIKE ... ESCAPE '!', IS NOT DISTINCT
 * FROM, no binary columns, no backslashes in string literals). */
static bool eg_oracle;

/* Columns the generators may use: those the evaluator computes on. */
static inline bool eg_usable(const dtype *t)
{
    if (eg_oracle && t->id == DT_BINARY)
        return false;
    return t->id != DT_NULL && expr_type_evaluable(t);
}

static inline const char *eg_sql_type(const dtype *t, char *buf, size_t n)
{
    switch (t->id) {
    case DT_BOOL: return "BOOLEAN";
    case DT_INT8: return "TINYINT";
    case DT_INT16: return "SMALLINT";
    case DT_INT32: return "INTEGER";
    case DT_INT64: return "BIGINT";
    case DT_FLOAT32: return "FLOAT";
    case DT_FLOAT64: return "DOUBLE";
    case DT_DECIMAL: snprintf(buf, n, "DECIMAL(%u,%u)", t->precision, t->scale); return buf;
    case DT_DATE32: return "DATE";
    case DT_TIMESTAMP: return "TIMESTAMP";
    default: return "VARCHAR";
    }
}

/* Oracle-mode literal: CAST('text' AS type), understood alike by both. */
static inline void eg_oracle_literal(const dtype *t, const expr_value *v, dbuf *out)
{
    if (v->is_null) {
        dbuf_puts(out, "NULL");
        return;
    }
    char tb[32];
    switch (t->id) {
    case DT_BOOL: dbuf_puts(out, v->b ? "TRUE" : "FALSE"); return;
    case DT_FLOAT32:
    case DT_FLOAT64:
        if (isnan(v->d))
            dbuf_printf(out, "CAST('NaN' AS %s)", eg_sql_type(t, tb, sizeof tb));
        else if (isinf(v->d))
            dbuf_printf(out, "CAST('%s' AS %s)", v->d > 0 ? "Infinity" : "-Infinity",
                        eg_sql_type(t, tb, sizeof tb));
        else
            dbuf_printf(out, "CAST('%.*g' AS %s)", t->id == DT_FLOAT32 ? 9 : 17, v->d,
                        eg_sql_type(t, tb, sizeof tb));
        return;
    case DT_DECIMAL:
        dbuf_puts(out, "CAST('");
        expr_format_decimal(out, v->dec, t->scale);
        dbuf_printf(out, "' AS %s)", eg_sql_type(t, tb, sizeof tb));
        return;
    case DT_DATE32: {
        int64_t d = v->i < -719162 || v->i > 2932896 ? 10957 : v->i;
        dbuf_puts(out, "CAST('");
        dtime_format_date(out, (int32_t)d);
        dbuf_puts(out, "' AS DATE)");
        return;
    }
    case DT_TIMESTAMP: {
        int64_t us = v->i;
        if (us < INT64_C(-62135596800000000) || us > INT64_C(253402300799999999))
            us = 946684800000000;
        dbuf_puts(out, "CAST('");
        dtime_format_local(out, us);
        dbuf_puts(out, "' AS TIMESTAMP)");
        return;
    }
    case DT_STRING: {
        dbuf_putc(out, '\'');
        for (size_t k = 0; k < v->len; k++) {
            if (v->bytes[k] == '\\')
                continue; /* backslashes mean different things to the two parsers */
            if (v->bytes[k] == '\'')
                dbuf_putc(out, '\'');
            dbuf_putc(out, v->bytes[k]);
        }
        dbuf_putc(out, '\'');
        return;
    }
    default:
        dbuf_printf(out, "CAST('%lld' AS %s)", (long long)v->i, eg_sql_type(t, tb, sizeof tb));
        return;
    }
}

/* A SQL literal of type t for value v. */
static inline void eg_literal(const dtype *t, const expr_value *v, dbuf *out)
{
    if (eg_oracle) {
        eg_oracle_literal(t, v, out);
        return;
    }
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
    dbuf_printf(out, eg_oracle ? "\"%s\"" : "`%s`", schema->fields[c].name);
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
        if (eg_oracle && strcmp(op, "<=>") == 0)
            op = "IS NOT DISTINCT FROM";
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
            else if (ch == '%' || ch == '_' || (eg_oracle && ch == '!')) {
                dbuf_putc(out, eg_oracle ? '!' : '\\');
                dbuf_putc(out, ch);
            } else
                dbuf_putc(out, ch);
        }
        dbuf_puts(out, dgen_pct(g, 80) ? "%'" : "'");
        if (eg_oracle)
            dbuf_puts(out, " ESCAPE '!'");
    } else {
        eg_column(schema, c, out);
        dbuf_puts(out, dgen_pct(g, 50) ? " IS NOT NULL" : " = ");
        if (out->data[out->len - 2] == '=')
            eg_value_literal(g, t, col, out, NULL);
    }
    dbuf_putc(out, ')');
}

#endif
