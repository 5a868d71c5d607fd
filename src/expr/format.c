/*
 * SQL rendering of expression trees, for error messages ("overflow in
 * (a + b)") and tests. Binary operators are fully parenthesised so the
 * rendering parses back to the same tree; casts inserted by the binder are
 * not shown (messages speak of what the user wrote).
 */
#include "expr/expr.h"

#include "core/dtime.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *op_text(expr_kind k)
{
    switch (k) {
    case EX_EQ: return "=";
    case EX_NE: return "<>";
    case EX_LT: return "<";
    case EX_LE: return "<=";
    case EX_GT: return ">";
    case EX_GE: return ">=";
    case EX_EQNS: return "<=>";
    case EX_AND: return "AND";
    case EX_OR: return "OR";
    case EX_ADD: return "+";
    case EX_SUB: return "-";
    case EX_MUL: return "*";
    case EX_DIV: return "/";
    case EX_MOD: return "%";
    case EX_CONCAT: return "||";
    default: return "?";
    }
}

/* Writes a decimal (unscaled v, scale) in plain notation. */
void expr_format_decimal(dbuf *out, expr_i128 v, unsigned scale)
{
    /* digits of |v|, then insert the point */
    char buf[64];
    int i = (int)sizeof buf - 1;
    buf[i] = '\0';
    bool neg = v < 0;
    __extension__ unsigned __int128 u = neg ? -(unsigned __int128)v : (unsigned __int128)v;
    unsigned digits = 0;
    while (u != 0 || digits <= scale) {
        if (scale && digits == scale)
            buf[--i] = '.';
        buf[--i] = (char)('0' + (int)(u % 10));
        u /= 10;
        digits++;
        if (u == 0 && digits > scale)
            break;
    }
    if (neg)
        buf[--i] = '-';
    dbuf_puts(out, buf + i);
}

static void format_string(dbuf *out, const uint8_t *p, size_t n)
{
    dbuf_putc(out, '\'');
    for (size_t k = 0; k < n; k++) {
        if (p[k] == '\'')
            dbuf_puts(out, "''");
        else if (p[k] == '\\')
            dbuf_puts(out, "\\\\");
        else if (p[k] == '\n')
            dbuf_puts(out, "\\n");
        else if (p[k] == 0)
            dbuf_puts(out, "\\0");
        else
            dbuf_putc(out, p[k]);
    }
    dbuf_putc(out, '\'');
}

static bool plain_name(const char *s)
{
    if (!(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (const char *c = s; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '_'))
            return false;
    return !expr_is_keyword(s, strlen(s));
}

static void format_typespec(dbuf *out, const expr_typespec *ts)
{
    switch (ts->id) {
    case DT_BOOL: dbuf_puts(out, "boolean"); break;
    case DT_INT8: dbuf_puts(out, "tinyint"); break;
    case DT_INT16: dbuf_puts(out, "smallint"); break;
    case DT_INT32: dbuf_puts(out, "int"); break;
    case DT_INT64: dbuf_puts(out, "bigint"); break;
    case DT_FLOAT32: dbuf_puts(out, "float"); break;
    case DT_FLOAT64: dbuf_puts(out, "double"); break;
    case DT_DECIMAL: dbuf_printf(out, "decimal(%u,%u)", ts->precision, ts->scale); break;
    case DT_STRING: dbuf_puts(out, "string"); break;
    case DT_BINARY: dbuf_puts(out, "binary"); break;
    case DT_DATE32: dbuf_puts(out, "date"); break;
    case DT_TIMESTAMP: dbuf_puts(out, ts->utc ? "timestamp" : "timestamp_ntz"); break;
    default: dbuf_puts(out, "void"); break;
    }
}

void expr_format_value(dbuf *out, const expr_typespec *ts, const expr_value *v)
{
    if (v->is_null || ts->id == DT_NULL) {
        dbuf_puts(out, "NULL");
        return;
    }
    switch (ts->id) {
    case DT_BOOL: dbuf_puts(out, v->b ? "TRUE" : "FALSE"); break;
    case DT_INT8: dbuf_printf(out, "%" PRId64 "Y", v->i); break;
    case DT_INT16: dbuf_printf(out, "%" PRId64 "S", v->i); break;
    case DT_INT32: dbuf_printf(out, "%" PRId64, v->i); break;
    case DT_INT64:
        dbuf_printf(out, "%" PRId64, v->i);
        if (v->i >= INT32_MIN && v->i <= INT32_MAX)
            dbuf_putc(out, 'L');
        break;
    case DT_FLOAT32: dbuf_printf(out, "%.9gF", v->d); break;
    case DT_FLOAT64: {
        char buf[40];
        snprintf(buf, sizeof buf, "%.17g", v->d);
        dbuf_puts(out, buf);
        if (!strpbrk(buf, "eEn"))
            dbuf_puts(out, "D");
        break;
    }
    case DT_DECIMAL:
        expr_format_decimal(out, v->dec, ts->scale);
        if (ts->scale == 0)
            dbuf_puts(out, "BD");
        break;
    case DT_STRING: format_string(out, v->bytes, v->len); break;
    case DT_BINARY:
        dbuf_puts(out, "X'");
        for (size_t k = 0; k < v->len; k++)
            dbuf_printf(out, "%02X", v->bytes[k]);
        dbuf_putc(out, '\'');
        break;
    case DT_DATE32:
        dbuf_puts(out, "DATE '");
        dtime_format_date(out, (int32_t)v->i);
        dbuf_putc(out, '\'');
        break;
    case DT_TIMESTAMP:
        if (ts->utc) {
            dbuf_puts(out, "TIMESTAMP '");
            dtime_format_instant(out, v->i);
        } else {
            dbuf_puts(out, "TIMESTAMP_NTZ '");
            dtime_format_local(out, v->i);
        }
        dbuf_putc(out, '\'');
        break;
    default: dbuf_puts(out, "?"); break;
    }
}

void expr_node_format(const expr_node *n, dbuf *out)
{
    switch (n->kind) {
    case EX_LIT: expr_format_value(out, &n->ts, &n->val); return;
    case EX_COL:
        for (uint32_t k = 0; k < n->nnames; k++) {
            if (k)
                dbuf_putc(out, '.');
            if (plain_name(n->names[k])) {
                dbuf_puts(out, n->names[k]);
            } else {
                dbuf_putc(out, '`');
                for (const char *c = n->names[k]; *c; c++) {
                    if (*c == '`')
                        dbuf_putc(out, '`');
                    dbuf_putc(out, (uint8_t)*c);
                }
                dbuf_putc(out, '`');
            }
        }
        return;
    case EX_NEG:
        dbuf_puts(out, "(- ");
        expr_node_format(n->args[0], out);
        dbuf_putc(out, ')');
        return;
    case EX_NOT:
        dbuf_puts(out, "(NOT ");
        expr_node_format(n->args[0], out);
        dbuf_putc(out, ')');
        return;
    case EX_ISNULL:
        dbuf_putc(out, '(');
        expr_node_format(n->args[0], out);
        dbuf_puts(out, n->negated ? " IS NOT NULL)" : " IS NULL)");
        return;
    case EX_IN:
        dbuf_putc(out, '(');
        expr_node_format(n->args[0], out);
        dbuf_puts(out, n->negated ? " NOT IN (" : " IN (");
        for (uint32_t k = 1; k < n->nargs; k++) {
            if (k > 1)
                dbuf_puts(out, ", ");
            expr_node_format(n->args[k], out);
        }
        dbuf_puts(out, "))");
        return;
    case EX_BETWEEN:
        dbuf_putc(out, '(');
        expr_node_format(n->args[0], out);
        dbuf_puts(out, n->negated ? " NOT BETWEEN " : " BETWEEN ");
        expr_node_format(n->args[1], out);
        dbuf_puts(out, " AND ");
        expr_node_format(n->args[2], out);
        dbuf_putc(out, ')');
        return;
    case EX_LIKE:
        dbuf_putc(out, '(');
        expr_node_format(n->args[0], out);
        dbuf_puts(out, n->negated ? " NOT LIKE " : " LIKE ");
        expr_node_format(n->args[1], out);
        if (n->escape != '\\') {
            dbuf_puts(out, " ESCAPE ");
            format_string(out, &n->escape, 1);
        }
        dbuf_putc(out, ')');
        return;
    case EX_CASE: {
        dbuf_puts(out, "CASE");
        uint32_t k = 0;
        for (; k + 1 < n->nargs; k += 2) {
            dbuf_puts(out, " WHEN ");
            expr_node_format(n->args[k], out);
            dbuf_puts(out, " THEN ");
            expr_node_format(n->args[k + 1], out);
        }
        if (k < n->nargs) {
            dbuf_puts(out, " ELSE ");
            expr_node_format(n->args[k], out);
        }
        dbuf_puts(out, " END");
        return;
    }
    case EX_CAST:
        if (n->implicit) {
            expr_node_format(n->args[0], out);
            return;
        }
        dbuf_puts(out, "CAST(");
        expr_node_format(n->args[0], out);
        dbuf_puts(out, " AS ");
        format_typespec(out, &n->ts);
        dbuf_putc(out, ')');
        return;
    case EX_FUNC:
        dbuf_puts(out, n->name);
        dbuf_putc(out, '(');
        for (uint32_t k = 0; k < n->nargs; k++) {
            if (k)
                dbuf_puts(out, ", ");
            expr_node_format(n->args[k], out);
        }
        dbuf_putc(out, ')');
        return;
    default:
        dbuf_putc(out, '(');
        expr_node_format(n->args[0], out);
        dbuf_printf(out, " %s ", op_text(n->kind));
        expr_node_format(n->args[1], out);
        dbuf_putc(out, ')');
        return;
    }
}
