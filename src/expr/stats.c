/*
 * Data skipping and partition pruning: deciding from a file's statistics
 * or partition values whether any of its rows can satisfy a predicate.
 *
 * Both answers are conservative by construction: "may match" unless the
 * statistics prove that no row is TRUE. may(n, want) asks whether some row
 * can make n evaluate to `want` (TRUE or FALSE; never NULL), so NOT is
 * pushed down by flipping `want`:
 *
 *   AND   T: may(l,T) && may(r,T)     F: may(l,F) || may(r,F)
 *   OR    T: may(l,T) || may(r,T)     F: may(l,F) && may(r,F)
 *   NOT   may(x, !want)
 *   col op literal (either side; BETWEEN arrives as two comparisons):
 *         only non-null rows are TRUE or FALSE, so a column whose values
 *         are all null never matches; otherwise min/max decide, with the
 *         operator negated for want = FALSE
 *   IS [NOT] NULL   null_count against num_records
 *   IN (literals)   some literal within [min, max]
 *   LIKE 'prefix%'  the prefix range meets [min, max]
 *   anything else   may match
 *
 * A column wrapped in an implicit widening cast (int to bigint, int or
 * decimal to a wider decimal, to double, date to timestamp) is handled by
 * casting its min and max, which those casts preserve the order of.
 *
 * Strings: Spark/Delta truncate string statistics to a 32-character
 * prefix. A min that is a prefix is still a lower bound; a max of 32 or
 * more characters is treated as possibly truncated, i.e. as the upper
 * bound "max followed by anything". Doubles: a NaN min, max or literal
 * proves nothing (Spark orders NaN above every number and counts it in
 * max, so a file holding NaN has max NaN and is never skipped on it).
 */
#include "expr/expr_internal.h"

#include "core/alloc.h"
#include "core/error.h"

#include <math.h>
#include <string.h>

#define STRING_PREFIX_CHARS 32

typedef struct col_bounds {
    bool has_min, has_max;
    expr_value min, max;
    bool max_truncated;
    bool all_null;     /* proven: every value is null */
    bool has_nulls;    /* possibly some null */
    bool no_nulls;     /* proven: no null */
    const dtype *type; /* of min/max after casts */
} col_bounds;

static size_t utf8_chars(const uint8_t *p, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            c++;
    return c;
}

static bool starts_with(const expr_value *s, const expr_value *prefix)
{
    return s->len >= prefix->len && (prefix->len == 0 || memcmp(s->bytes, prefix->bytes, prefix->len) == 0);
}

/* Whether a cast keeps the order of values (so min/max map to min/max). */
static bool monotone_cast(const dtype *from, const dtype *to)
{
    dtype_id f = from->id, t = to->id;
    bool fint = dtype_is_integer(from) && f <= DT_INT64;
    if (fint && (dtype_is_integer(to) || t == DT_DECIMAL || t == DT_FLOAT64 || t == DT_FLOAT32))
        return true;
    if (f == DT_DECIMAL && (t == DT_DECIMAL || t == DT_FLOAT64))
        return true;
    if (f == DT_FLOAT32 && t == DT_FLOAT64)
        return true;
    if (f == DT_DATE32 && t == DT_TIMESTAMP)
        return true;
    return false;
}

/* Column side of a comparison: a scope-0 column, maybe under implicit
 * monotone casts. Fills the bounds in the compared type; false when
 * unknown. */
static bool column_bounds(const expr_node *n, const expr_file_stats *fs, col_bounds *b,
                          dbuf *scratch_min, dbuf *scratch_max)
{
    const expr_node *casts[8];
    int nc = 0;
    while (n->kind == EX_CAST && n->implicit && nc < 8) {
        if (!monotone_cast(n->args[0]->type, n->type))
            return false;
        casts[nc++] = n;
        n = n->args[0];
    }
    if (n->kind != EX_COL || n->scope != 0 || !fs->column)
        return false;
    const expr_col_stats *st = fs->column(fs->ctx, n->path, n->depth);
    if (!st)
        return false;
    memset(b, 0, sizeof *b);
    b->type = n->type;
    b->has_min = st->has_min && !st->min.is_null;
    b->has_max = st->has_max && !st->max.is_null;
    b->min = st->min;
    b->max = st->max;
    if (st->has_null_count) {
        b->has_nulls = st->null_count > 0;
        b->no_nulls = st->null_count == 0;
        b->all_null = fs->num_records >= 0 && st->null_count >= fs->num_records;
    } else {
        b->has_nulls = true;
    }
    const dtype *t = n->type;
    if ((t->id == DT_FLOAT32 || t->id == DT_FLOAT64)) {
        if (b->has_min && isnan(b->min.d))
            b->has_min = false;
        if (b->has_max && isnan(b->max.d))
            b->has_max = false;
    }
    if (t->id == DT_STRING && b->has_max &&
        utf8_chars(b->max.bytes, b->max.len) >= STRING_PREFIX_CHARS)
        b->max_truncated = true;
    if (t->id == DT_BINARY && b->has_max && b->max.len >= STRING_PREFIX_CHARS)
        b->max_truncated = true;
    /* apply the casts, innermost first */
    for (int k = nc - 1; k >= 0; k--) {
        const dtype *to = casts[k]->type;
        expr_value out;
        if (b->has_min) {
            if (expr_cast_value(b->type, &b->min, to, &out, scratch_min) || out.is_null)
                b->has_min = false;
            else
                b->min = out;
        }
        if (b->has_max) {
            if (expr_cast_value(b->type, &b->max, to, &out, scratch_max) || out.is_null)
                b->has_max = false;
            else
                b->max = out;
        }
        b->type = to;
    }
    delta_error_clear();
    return true;
}

enum { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE };

/* Some non-null value v in the column's range with (v op c)? */
static bool range_may(const col_bounds *b, int op, const expr_value *c)
{
    const dtype *t = b->type;
    if ((t->id == DT_FLOAT32 || t->id == DT_FLOAT64) && isnan(c->d))
        return true;
    int cmin = b->has_min ? expr_value_cmp(t, &b->min, c) : -2;  /* min vs c */
    int cmax = b->has_max ? expr_value_cmp(t, &b->max, c) : 2;   /* max vs c */
    /* with a truncated max, values up to "max + anything" may exist: the
     * bound is above c whenever c extends max */
    bool above_max_bound = b->has_max && cmax < 0 &&
                           !(b->max_truncated && starts_with(c, &b->max)); /* c > every value */
    switch (op) {
    case C_EQ:
        if (b->has_min && cmin > 0)
            return false;
        return !above_max_bound;
    case C_NE:
        /* false only when every value equals c */
        if (b->has_min && b->has_max && cmin == 0 && cmax == 0 && !b->max_truncated)
            return false;
        return true;
    case C_LT: return !(b->has_min && cmin >= 0);
    case C_LE: return !(b->has_min && cmin > 0);
    case C_GT:
        if (!b->has_max)
            return true;
        return cmax > 0 || (b->max_truncated && starts_with(c, &b->max) && c->len >= b->max.len);
    default: /* GE */
        if (!b->has_max)
            return true;
        return cmax >= 0 || (b->max_truncated && starts_with(c, &b->max));
    }
}

static int cmp_op(expr_kind k)
{
    switch (k) {
    case EX_EQ: return C_EQ;
    case EX_NE: return C_NE;
    case EX_LT: return C_LT;
    case EX_LE: return C_LE;
    case EX_GT: return C_GT;
    default: return C_GE;
    }
}

static bool may(const expr_node *n, const expr_file_stats *fs, bool want);

static bool compare_may(const expr_node *n, const expr_file_stats *fs, bool want)
{
    static const int neg[] = {C_NE, C_EQ, C_GE, C_GT, C_LE, C_LT};
    static const int swp[] = {C_EQ, C_NE, C_GT, C_GE, C_LT, C_LE};
    const expr_node *col = n->args[0], *lit = n->args[1];
    int op = cmp_op(n->kind);
    if (col->kind == EX_LIT && lit->kind != EX_LIT) {
        const expr_node *t = col;
        col = lit;
        lit = t;
        op = swp[op];
    }
    if (lit->kind != EX_LIT)
        return true;
    if (lit->val.is_null || lit->type->id == DT_NULL)
        return false; /* comparison with NULL is never TRUE or FALSE */
    dbuf s1 = DBUF_INIT, s2 = DBUF_INIT;
    col_bounds b;
    bool r = true;
    if (column_bounds(col, fs, &b, &s1, &s2)) {
        if (b.all_null)
            r = false;
        else
            r = range_may(&b, want ? op : neg[op], &lit->val);
    }
    dbuf_free(&s1);
    dbuf_free(&s2);
    return r;
}

static bool isnull_may(const expr_node *n, const expr_file_stats *fs, bool want)
{
    bool want_null = want != n->negated;
    dbuf s1 = DBUF_INIT, s2 = DBUF_INIT;
    col_bounds b;
    bool r = true;
    if (column_bounds(n->args[0], fs, &b, &s1, &s2)) {
        if (want_null)
            r = !b.no_nulls;
        else
            r = !b.all_null;
    }
    dbuf_free(&s1);
    dbuf_free(&s2);
    return r;
}

static bool in_may(const expr_node *n, const expr_file_stats *fs, bool want)
{
    dbuf s1 = DBUF_INIT, s2 = DBUF_INIT;
    col_bounds b;
    bool r = true;
    if (!column_bounds(n->args[0], fs, &b, &s1, &s2))
        goto done;
    if (b.all_null) {
        r = false;
        goto done;
    }
    bool find_match = want != n->negated;
    if (!find_match)
        goto done; /* NOT IN / IN-false: conservatively possible */
    r = false;
    for (uint32_t k = 1; k < n->nargs; k++) {
        const expr_node *x = n->args[k];
        if (x->kind != EX_LIT) {
            r = true;
            break;
        }
        if (x->val.is_null || x->type->id == DT_NULL)
            continue;
        if (range_may(&b, C_EQ, &x->val)) {
            r = true;
            break;
        }
    }
done:
    dbuf_free(&s1);
    dbuf_free(&s2);
    return r;
}

static bool like_may(const expr_node *n, const expr_file_stats *fs, bool want)
{
    if (want == n->negated)
        return true; /* rows NOT matching a pattern: no bound */
    const expr_node *p = n->args[1];
    if (p->kind != EX_LIT)
        return true;
    if (p->val.is_null)
        return false;
    /* 'prefix%' with no other wildcard or escape */
    const uint8_t *pb = p->val.bytes;
    size_t pl = p->val.len;
    if (pl == 0 || pb[pl - 1] != '%')
        return true;
    for (size_t k = 0; k + 1 < pl; k++)
        if (pb[k] == '%' || pb[k] == '_' || pb[k] == n->escape)
            return true;
    expr_value prefix = {0};
    prefix.bytes = pb;
    prefix.len = pl - 1;
    dbuf s1 = DBUF_INIT, s2 = DBUF_INIT;
    col_bounds b;
    bool r = true;
    if (column_bounds(n->args[0], fs, &b, &s1, &s2) && b.type->id == DT_STRING) {
        if (b.all_null) {
            r = false;
        } else {
            /* some v in [min, maxbound] starting with prefix:
             * prefix <= maxbound and min <= prefix + anything */
            bool le_max = range_may(&b, C_GE, &prefix) || !b.has_max;
            bool min_ok = !b.has_min || expr_value_cmp(b.type, &b.min, &prefix) <= 0 ||
                          starts_with(&b.min, &prefix);
            r = le_max && min_ok;
        }
    }
    dbuf_free(&s1);
    dbuf_free(&s2);
    return r;
}

static bool may(const expr_node *n, const expr_file_stats *fs, bool want)
{
    switch (n->kind) {
    case EX_LIT:
        if (n->val.is_null || n->type->id != DT_BOOL)
            return false;
        return n->val.b == want;
    case EX_NOT: return may(n->args[0], fs, !want);
    case EX_AND:
        return want ? may(n->args[0], fs, true) && may(n->args[1], fs, true)
                    : may(n->args[0], fs, false) || may(n->args[1], fs, false);
    case EX_OR:
        return want ? may(n->args[0], fs, true) || may(n->args[1], fs, true)
                    : may(n->args[0], fs, false) && may(n->args[1], fs, false);
    case EX_EQ:
    case EX_NE:
    case EX_LT:
    case EX_LE:
    case EX_GT:
    case EX_GE: return compare_may(n, fs, want);
    case EX_EQNS: {
        /* col <=> NULL is IS NULL; col <=> literal is = for TRUE */
        const expr_node *a = n->args[0], *c = n->args[1];
        if (a->kind == EX_LIT) {
            const expr_node *t = a;
            a = c;
            c = t;
        }
        if (c->kind != EX_LIT || !want)
            return true;
        if (c->val.is_null || c->type->id == DT_NULL) {
            expr_node isn = *n;
            isn.kind = EX_ISNULL;
            isn.negated = false;
            isn.nargs = 1;
            const expr_node *args[1] = {a};
            isn.args = (expr_node **)args;
            return isnull_may(&isn, fs, true);
        }
        expr_node eq = *n;
        eq.kind = EX_EQ;
        return compare_may(&eq, fs, true);
    }
    case EX_COL:
    case EX_CAST:
        /* a boolean column used as a predicate: col = want */
        if (n->type->id == DT_BOOL) {
            dbuf s1 = DBUF_INIT, s2 = DBUF_INIT;
            col_bounds b;
            bool r = true;
            if (column_bounds(n, fs, &b, &s1, &s2)) {
                expr_value c = {0};
                c.b = want;
                r = !b.all_null && range_may(&b, C_EQ, &c);
            }
            dbuf_free(&s1);
            dbuf_free(&s2);
            return r;
        }
        return true;
    case EX_ISNULL: return isnull_may(n, fs, want);
    case EX_IN: return in_may(n, fs, want);
    case EX_LIKE: return like_may(n, fs, want);
    default: return true;
    }
}

bool expr_may_match(const expr_node *n, const expr_file_stats *fs)
{
    if (!n || !n->type)
        return true;
    return may(n, fs, true);
}

/* ---- partition pruning ---------------------------------------------------------------- */

static bool only_known(const expr_node *n, const bool *known, uint32_t nknown)
{
    if (n->kind == EX_COL)
        return n->scope == 0 && n->depth >= 1 && (uint32_t)n->path[0] < nknown &&
               known[n->path[0]];
    for (uint32_t k = 0; k < n->nargs; k++)
        if (!only_known(n->args[k], known, nknown))
            return false;
    return true;
}

static int prune(const expr_node *n, const dvec *row, const bool *known, bool *keep)
{
    if (n->kind == EX_AND) {
        int rc = prune(n->args[0], row, known, keep);
        if (rc || !*keep)
            return rc;
        return prune(n->args[1], row, known, keep);
    }
    *keep = true;
    if (!only_known(n, known, row->type->num_fields))
        return 0;
    const dvec *bs[1] = {row};
    expr_input in = {bs, 1, 1};
    uint32_t sel[1];
    int64_t m;
    int rc = expr_select(n, &in, NULL, 0, sel, &m);
    if (rc)
        return rc;
    *keep = m > 0;
    return 0;
}

int expr_partition_may_match(const expr_node *n, const dvec *row, const bool *known, bool *keep)
{
    *keep = true;
    if (!n || !n->type)
        return 0;
    if (row->length != 1)
        return delta_error_set(DELTA_EINVAL, "partition values: expected a 1-row batch, found %lld rows",
                               (long long)row->length);
    return prune(n, row, known, keep);
}

int expr_partition_row(const dtype *schema, const char *const *values, const bool *known,
                       dvec **out)
{
    *out = NULL;
    dvec *b;
    int rc = dbatch_new(&b, schema);
    if (rc)
        return rc;
    dtype *str = dtype_new(DT_STRING);
    dbuf scratch = DBUF_INIT;
    if (!str) {
        rc = DELTA_ENOMEM;
        goto done;
    }
    for (uint32_t c = 0; c < schema->num_fields; c++) {
        const dtype *t = schema->fields[c].type;
        expr_value in = {0}, v = {0};
        v.is_null = true;
        if (known[c] && values[c] && expr_type_evaluable(t)) {
            in.bytes = (const uint8_t *)values[c];
            in.len = strlen(values[c]);
            if ((rc = expr_cast_value(str, &in, t, &v, &scratch)))
                goto done;
            if (v.is_null) {
                dbuf tn = DBUF_INIT;
                dtype_format(t, &tn);
                rc = delta_error_set(DELTA_ECORRUPT,
                                     "partition column '%s': value '%s' is not a valid %s",
                                     schema->fields[c].name, values[c], dbuf_cstr(&tn));
                dbuf_free(&tn);
                goto done;
            }
        }
        if ((rc = expr_vec_put(b->children[c], &v)))
            goto done;
    }
    rc = dbatch_seal(b);
done:
    dbuf_free(&scratch);
    if (str)
        dtype_unref(str);
    if (rc) {
        dvec_unref(b);
        return rc;
    }
    *out = b;
    return 0;
}
