/*
 * Binder: resolves column references against the scopes' schemas, checks
 * types, inserts implicit casts and resolves functions, following Spark
 * SQL's type coercion:
 *
 *   - integers widen (tinyint < smallint < int < bigint); an integer meets
 *     a decimal as decimal(3|5|10|20, 0) (an integer literal as the
 *     smallest decimal holding it); decimal meets float/double as double;
 *     bigint meets float as float;
 *   - + - * / % on decimals give Spark's result precision and scale
 *     (DecimalPrecision, with precision loss allowed: results beyond 38
 *     digits keep at least 6 fraction digits);
 *   - `/` on integers and floats is a double division;
 *   - comparisons: string against a number takes the number's type
 *     (double against a decimal), against a date or timestamp the date or
 *     timestamp; date against timestamp compares as timestamp;
 *   - CASE, COALESCE, IF, IN take the widest type of their branches, where
 *     a string with anything but a boolean or binary makes a string.
 *
 * A comparison between an integer or decimal column and a literal that
 * fits the column's type exactly is made in the column's type (the
 * literal is converted at bind time), so no per-row cast is needed and
 * data skipping can compare the literal with the column's statistics.
 * BETWEEN is rewritten into two comparisons joined by AND; casts of
 * literals are folded into literals.
 *
 * Errors name the position, the column or function, and what was
 * expected: DELTA_ENOTFOUND for unknown columns or functions,
 * DELTA_ETYPE for type mismatches, DELTA_EINVAL for the rest.
 */
#include "expr/expr.h"
#include "expr/expr_internal.h"

#include "core/alloc.h"
#include "core/dtime.h"
#include "core/error.h"
#include "core/str.h"

#include <string.h>
#include <strings.h>

typedef struct binder {
    expr *e;
    const expr_scope *scopes;
    uint32_t nscopes;
    int64_t now_us;
} binder;

/* ---- type helpers ------------------------------------------------------ */

static dtype *mk(dtype_id id)
{
    return dtype_new(id);
}

dtype *expr_typespec_dtype(const expr_typespec *ts)
{
    switch (ts->id) {
    case DT_DECIMAL: return dtype_new_decimal(ts->precision, ts->scale);
    case DT_TIMESTAMP: return dtype_new_timestamp(DT_UNIT_MICRO, ts->utc);
    default: return dtype_new(ts->id);
    }
}

static expr_typespec spec_of(const dtype *t)
{
    expr_typespec ts = {0};
    ts.id = t->id;
    ts.precision = t->precision;
    ts.scale = t->scale;
    ts.utc = t->utc;
    return ts;
}

bool expr_decimal_of_int(dtype_id id, uint8_t *precision)
{
    switch (id) {
    case DT_INT8: *precision = 3; return true;
    case DT_INT16: *precision = 5; return true;
    case DT_INT32: *precision = 10; return true;
    case DT_INT64: *precision = 20; return true;
    default: return false;
    }
}

static bool is_int(dtype_id id)
{
    return id == DT_INT8 || id == DT_INT16 || id == DT_INT32 || id == DT_INT64;
}

static bool is_float(dtype_id id)
{
    return id == DT_FLOAT32 || id == DT_FLOAT64;
}

static bool is_numeric(dtype_id id)
{
    return is_int(id) || is_float(id) || id == DT_DECIMAL;
}

static bool is_datetime(dtype_id id)
{
    return id == DT_DATE32 || id == DT_TIMESTAMP;
}

static int int_rank(dtype_id id)
{
    switch (id) {
    case DT_INT8: return 1;
    case DT_INT16: return 2;
    case DT_INT32: return 3;
    case DT_INT64: return 4;
    default: return 0;
    }
}

#define evaluable expr_type_evaluable

static const char *tname(const dtype *t, dbuf *b)
{
    dbuf_reset(b);
    dtype_format(t, b);
    return dbuf_cstr(b);
}

/* Wider of two decimals (Spark widerDecimalType, bounded to 38). */
static void wider_decimal(unsigned p1, unsigned s1, unsigned p2, unsigned s2, unsigned *p,
                          unsigned *s)
{
    unsigned sc = s1 > s2 ? s1 : s2;
    unsigned i1 = p1 - s1, i2 = p2 - s2;
    unsigned in = i1 > i2 ? i1 : i2;
    if (in + sc > 38) {
        /* keep the integral digits, lose scale */
        sc = in >= 38 ? 0 : 38 - in;
        in = 38 - sc;
    }
    *p = in + sc;
    *s = sc;
}

/* Spark's adjustPrecisionScale (precision loss allowed). */
static void adjust_decimal(int p, int s, unsigned *rp, unsigned *rs)
{
    if (p <= 38) {
        *rp = (unsigned)p;
        *rs = (unsigned)s;
        return;
    }
    int intdigits = p - s;
    int minscale = s < 6 ? s : 6;
    int adj = 38 - intdigits;
    if (adj < minscale)
        adj = minscale;
    *rp = 38;
    *rs = (unsigned)adj;
}

/* Decimal view of a numeric operand: decimals as they are, integers as
 * decimal(3|5|10|20,0), integer literals with just their digits. */
static bool decimal_view(const expr_node *n, unsigned *p, unsigned *s)
{
    if (n->type->id == DT_DECIMAL) {
        *p = n->type->precision;
        *s = n->type->scale;
        return true;
    }
    if (n->kind == EX_LIT && is_int(n->type->id) && !n->val.is_null) {
        int64_t v = n->val.i;
        unsigned d = 1;
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        while (u >= 10) {
            u /= 10;
            d++;
        }
        *p = d;
        *s = 0;
        return true;
    }
    uint8_t ip;
    if (expr_decimal_of_int(n->type->id, &ip)) {
        *p = ip;
        *s = 0;
        return true;
    }
    return false;
}

/* Wider numeric type of two numeric types (NULL on failure = OOM). */
static dtype *numeric_wider(const expr_node *a, const expr_node *b)
{
    dtype_id x = a->type->id, y = b->type->id;
    if (x == DT_FLOAT64 || y == DT_FLOAT64)
        return mk(DT_FLOAT64);
    if (x == DT_FLOAT32 || y == DT_FLOAT32) {
        if (x == DT_DECIMAL || y == DT_DECIMAL)
            return mk(DT_FLOAT64);
        return mk(DT_FLOAT32);
    }
    if (x == DT_DECIMAL || y == DT_DECIMAL) {
        unsigned p1 = 0, s1 = 0, p2 = 0, s2 = 0, p, s;
        decimal_view(a, &p1, &s1);
        decimal_view(b, &p2, &s2);
        wider_decimal(p1, s1, p2, s2, &p, &s);
        return dtype_new_decimal(p, s);
    }
    return mk(int_rank(x) >= int_rank(y) ? x : y);
}

/* ---- node construction --------------------------------------------------- */

static expr_node *node_new(binder *b, expr_kind kind, uint32_t pos, uint32_t nargs)
{
    expr_node *n = darena_calloc(&b->e->arena, 1, sizeof *n);
    if (!n)
        return NULL;
    n->kind = kind;
    n->pos = pos;
    n->scope = -1;
    n->escape = '\\';
    n->nargs = nargs;
    if (nargs && !(n->args = darena_calloc(&b->e->arena, nargs, sizeof(expr_node *))))
        return NULL;
    return n;
}

/* Deep copy of a bound subtree (types referenced again). */
static expr_node *copy_tree(binder *b, const expr_node *n)
{
    expr_node *c = darena_alloc(&b->e->arena, sizeof *c);
    if (!c)
        return NULL;
    *c = *n;
    c->type = NULL;
    if (n->nargs) {
        c->args = darena_calloc(&b->e->arena, n->nargs, sizeof(expr_node *));
        if (!c->args)
            return NULL;
        for (uint32_t k = 0; k < n->nargs; k++)
            if (!(c->args[k] = copy_tree(b, n->args[k])))
                return NULL;
    }
    if (n->type)
        c->type = dtype_ref(n->type);
    return c;
}

/* Casts a literal's value at bind time; strings are copied into the arena. */
static int fold_cast(binder *b, const dtype *from, const expr_value *in, const dtype *to,
                     expr_value *out)
{
    dbuf scratch = DBUF_INIT;
    int rc = expr_cast_value(from, in, to, out, &scratch);
    if (rc == 0 && !out->is_null && (to->id == DT_STRING || to->id == DT_BINARY)) {
        uint8_t *p = darena_alloc(&b->e->arena, out->len + 1);
        if (!p) {
            rc = DELTA_ENOMEM;
        } else {
            if (out->len)
                memcpy(p, out->bytes, out->len);
            out->bytes = p;
        }
    }
    dbuf_free(&scratch);
    return rc;
}

/* Wraps *slot in an implicit cast to `to` unless it already has that
 * type; a cast of a literal is folded into a literal. */
static int coerce(binder *b, expr_node **slot, const dtype *to)
{
    expr_node *n = *slot;
    if (dtype_equal(n->type, to))
        return 0;
    if (n->kind == EX_LIT) {
        expr_value out;
        int rc = fold_cast(b, n->type, &n->val, to, &out);
        if (rc)
            return delta_error_prefix(rc, "at position %u: ", n->pos);
        dtype_unref(n->type);
        n->type = dtype_ref(to);
        n->ts = spec_of(to);
        n->val = out;
        return 0;
    }
    expr_node *c = node_new(b, EX_CAST, n->pos, 1);
    if (!c)
        return DELTA_ENOMEM;
    c->implicit = true;
    c->args[0] = n;
    c->ts = spec_of(to);
    c->type = dtype_ref(to);
    *slot = c;
    return 0;
}

static int set_type(expr_node *n, dtype *t)
{
    if (!t)
        return DELTA_ENOMEM;
    if (n->type)
        dtype_unref(n->type);
    n->type = t;
    return 0;
}

static int type_error(binder *b, const expr_node *n, const char *fmt, ...) DELTA_PRINTF(3, 4);
static int type_error(binder *b, const expr_node *n, const char *fmt, ...)
{
    dbuf m = DBUF_INIT, s = DBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    dbuf_vprintf(&m, fmt, ap);
    va_end(ap);
    expr_node_format(n, &s);
    int rc = delta_error_set(DELTA_ETYPE, "at position %u: %s in %s", n->pos, dbuf_cstr(&m),
                             dbuf_cstr(&s));
    dbuf_free(&m);
    dbuf_free(&s);
    (void)b;
    return rc;
}

/* ---- common types -------------------------------------------------------- */

/* Common type for comparing a and b (Spark findCommonTypeForBinaryComparison).
 * Returns a new reference or NULL with *why set when there is none. */
static dtype *compare_type(const expr_node *a, const expr_node *b, bool *mismatch)
{
    const dtype *x = a->type, *y = b->type;
    *mismatch = false;
    if (x->id == DT_NULL && y->id == DT_NULL)
        return mk(DT_BOOL);
    if (x->id == DT_NULL)
        return dtype_ref(y);
    if (y->id == DT_NULL)
        return dtype_ref(x);
    if (is_numeric(x->id) && is_numeric(y->id)) {
        /* column vs literal that fits the column's type exactly */
        if (b->kind == EX_LIT && is_int(y->id) && is_int(x->id) &&
            int_rank(x->id) < int_rank(y->id)) {
            int64_t lo = x->id == DT_INT8 ? INT8_MIN : x->id == DT_INT16 ? INT16_MIN : INT32_MIN;
            int64_t hi = x->id == DT_INT8 ? INT8_MAX : x->id == DT_INT16 ? INT16_MAX : INT32_MAX;
            if (b->val.i >= lo && b->val.i <= hi)
                return dtype_ref(x);
        }
        if (a->kind == EX_LIT && is_int(x->id) && is_int(y->id) &&
            int_rank(y->id) < int_rank(x->id))
            return compare_type(b, a, mismatch);
        if (b->kind == EX_LIT && x->id == DT_DECIMAL && (is_int(y->id) || y->id == DT_DECIMAL)) {
            unsigned p = 0, s = 0;
            decimal_view(b, &p, &s);
            if (s <= x->scale && p - s <= (unsigned)(x->precision - x->scale))
                return dtype_ref(x);
        }
        if (a->kind == EX_LIT && y->id == DT_DECIMAL && (is_int(x->id) || x->id == DT_DECIMAL)) {
            unsigned p = 0, s = 0;
            decimal_view(a, &p, &s);
            if (s <= y->scale && p - s <= (unsigned)(y->precision - y->scale))
                return dtype_ref(y);
        }
        return numeric_wider(a, b);
    }
    if (x->id == y->id) {
        if (x->id == DT_TIMESTAMP)
            return dtype_new_timestamp(DT_UNIT_MICRO, x->utc || y->utc);
        if (x->id == DT_STRUCT || x->id == DT_LIST || x->id == DT_MAP) {
            *mismatch = true;
            return NULL;
        }
        return dtype_ref(x);
    }
    if (is_datetime(x->id) && is_datetime(y->id))
        return dtype_new_timestamp(DT_UNIT_MICRO, x->id == DT_TIMESTAMP ? x->utc : y->utc);
    if (x->id == DT_STRING || y->id == DT_STRING) {
        const dtype *o = x->id == DT_STRING ? y : x;
        if (o->id == DT_DECIMAL)
            return mk(DT_FLOAT64);
        if (is_numeric(o->id) || is_datetime(o->id) || o->id == DT_BOOL || o->id == DT_BINARY)
            return dtype_ref(o);
    }
    *mismatch = true;
    return NULL;
}

/* Common type of branches (CASE, COALESCE, IF, IN lists). */
static dtype *wider_type(const expr_node *a, const expr_node *b, bool *mismatch)
{
    const dtype *x = a->type, *y = b->type;
    *mismatch = false;
    if (x->id == DT_NULL)
        return dtype_ref(y);
    if (y->id == DT_NULL)
        return dtype_ref(x);
    if (is_numeric(x->id) && is_numeric(y->id))
        return numeric_wider(a, b);
    if (x->id == y->id) {
        if (x->id == DT_TIMESTAMP)
            return dtype_new_timestamp(DT_UNIT_MICRO, x->utc || y->utc);
        if (dtype_is_nested(x) && !dtype_equal(x, y)) {
            *mismatch = true;
            return NULL;
        }
        return dtype_ref(x);
    }
    if (is_datetime(x->id) && is_datetime(y->id))
        return dtype_new_timestamp(DT_UNIT_MICRO, x->id == DT_TIMESTAMP ? x->utc : y->utc);
    if ((x->id == DT_STRING && (is_numeric(y->id) || is_datetime(y->id))) ||
        (y->id == DT_STRING && (is_numeric(x->id) || is_datetime(x->id))))
        return mk(DT_STRING);
    *mismatch = true;
    return NULL;
}

/* ---- columns ------------------------------------------------------------- */

static int list_columns(const dtype *st, dbuf *out)
{
    for (uint32_t k = 0; k < st->num_fields && k < 20; k++) {
        if (k)
            dbuf_puts(out, ", ");
        dbuf_puts(out, st->fields[k].name);
    }
    if (st->num_fields > 20)
        dbuf_puts(out, ", ...");
    if (st->num_fields == 0)
        dbuf_puts(out, "(none)");
    return out->err;
}

/* Resolves names[from..] inside struct st starting at path[depth]. */
static int resolve_fields(binder *b, expr_node *n, const dtype *st, uint32_t from,
                          int32_t *path, uint32_t depth, const dtype **leaf)
{
    const dtype *t = st;
    for (uint32_t k = from; k < n->nnames; k++) {
        if (t->id != DT_STRUCT) {
            dbuf tb = DBUF_INIT;
            int rc = delta_error_set(DELTA_ETYPE,
                                     "at position %u: cannot take field '%s' of column '%s' of type %s: expected a struct",
                                     n->pos, n->names[k], n->names[k - 1], tname(t, &tb));
            dbuf_free(&tb);
            return rc;
        }
        int idx = dtype_field_index(t, n->names[k], true);
        if (idx == -2) {
            return delta_error_set(DELTA_EINVAL,
                                   "at position %u: column reference '%s' is ambiguous: several fields match it case-insensitively",
                                   n->pos, n->names[k]);
        }
        if (idx < 0) {
            dbuf l = DBUF_INIT;
            list_columns(t, &l);
            int rc = delta_error_set(DELTA_ENOTFOUND,
                                     "at position %u: %s '%s' not found; expected one of: %s", n->pos,
                                     k == 0 ? "column" : "field", n->names[k], dbuf_cstr(&l));
            dbuf_free(&l);
            return rc;
        }
        path[depth++] = idx;
        t = t->fields[idx].type;
    }
    *leaf = t;
    (void)b;
    return 0;
}

static int bind_column(binder *b, expr_node *n)
{
    int32_t *path = darena_calloc(&b->e->arena, n->nnames, sizeof(int32_t));
    if (!path)
        return DELTA_ENOMEM;
    const dtype *leaf = NULL;
    int scope = -1;
    uint32_t from = 0;
    /* qualifier.column */
    if (n->nnames >= 2) {
        for (uint32_t s = 0; s < b->nscopes; s++) {
            if (b->scopes[s].qualifier && dstr_ieq(b->scopes[s].qualifier, n->names[0]) &&
                dtype_field_index(b->scopes[s].schema, n->names[1], true) != -1) {
                scope = (int)s;
                from = 1;
                break;
            }
        }
    }
    if (scope < 0) {
        int found = 0;
        for (uint32_t s = 0; s < b->nscopes; s++) {
            int idx = dtype_field_index(b->scopes[s].schema, n->names[0], true);
            if (idx == -2)
                return delta_error_set(DELTA_EINVAL,
                                       "at position %u: column reference '%s' is ambiguous: several columns match it case-insensitively",
                                       n->pos, n->names[0]);
            if (idx >= 0) {
                if (found)
                    return delta_error_set(DELTA_EINVAL,
                                           "at position %u: column reference '%s' is ambiguous: it is in both %s and %s; qualify it",
                                           n->pos, n->names[0],
                                           b->scopes[scope].qualifier ? b->scopes[scope].qualifier : "(unnamed)",
                                           b->scopes[s].qualifier ? b->scopes[s].qualifier : "(unnamed)");
                found = 1;
                scope = (int)s;
            }
        }
        if (scope < 0) {
            /* a qualifier naming a scope whose column is missing */
            for (uint32_t s = 0; s < b->nscopes && n->nnames >= 2; s++) {
                if (b->scopes[s].qualifier && dstr_ieq(b->scopes[s].qualifier, n->names[0])) {
                    dbuf l = DBUF_INIT;
                    list_columns(b->scopes[s].schema, &l);
                    int rc = delta_error_set(DELTA_ENOTFOUND,
                                             "at position %u: column '%s' not found in %s; expected one of: %s",
                                             n->pos, n->names[1], b->scopes[s].qualifier,
                                             dbuf_cstr(&l));
                    dbuf_free(&l);
                    return rc;
                }
            }
            dbuf l = DBUF_INIT;
            for (uint32_t s = 0; s < b->nscopes; s++) {
                if (s)
                    dbuf_puts(&l, "; ");
                if (b->scopes[s].qualifier)
                    dbuf_printf(&l, "%s: ", b->scopes[s].qualifier);
                list_columns(b->scopes[s].schema, &l);
            }
            int rc = delta_error_set(DELTA_ENOTFOUND,
                                     "at position %u: column '%s' not found; expected one of: %s",
                                     n->pos, n->names[0], b->nscopes ? dbuf_cstr(&l) : "(no columns)");
            dbuf_free(&l);
            return rc;
        }
    }
    int rc = resolve_fields(b, n, b->scopes[scope].schema, from, path, 0, &leaf);
    if (rc)
        return rc;
    n->scope = scope;
    n->path = path;
    n->depth = n->nnames - from;
    return set_type(n, dtype_ref(leaf));
}

/* ---- functions ----------------------------------------------------------- */

static const struct fninfo {
    const char *name;
    expr_fn fn;
    uint32_t min, max;
} functions[] = {
    {"lower", EF_LOWER, 1, 1},         {"lcase", EF_LOWER, 1, 1},
    {"upper", EF_UPPER, 1, 1},         {"ucase", EF_UPPER, 1, 1},
    {"trim", EF_TRIM, 1, 1},           {"ltrim", EF_LTRIM, 1, 1},
    {"rtrim", EF_RTRIM, 1, 1},         {"substring", EF_SUBSTRING, 2, 3},
    {"substr", EF_SUBSTRING, 2, 3},    {"concat", EF_CONCAT, 1, 1000},
    {"length", EF_LENGTH, 1, 1},       {"char_length", EF_LENGTH, 1, 1},
    {"abs", EF_ABS, 1, 1},             {"round", EF_ROUND, 1, 2},
    {"floor", EF_FLOOR, 1, 1},         {"ceil", EF_CEIL, 1, 1},
    {"ceiling", EF_CEIL, 1, 1},        {"year", EF_YEAR, 1, 1},
    {"month", EF_MONTH, 1, 1},         {"day", EF_DAY, 1, 1},
    {"dayofmonth", EF_DAY, 1, 1},      {"hour", EF_HOUR, 1, 1},
    {"date_trunc", EF_DATE_TRUNC, 2, 2}, {"date_add", EF_DATE_ADD, 2, 2},
    {"datediff", EF_DATEDIFF, 2, 2},   {"current_date", EF_CURRENT_DATE, 0, 0},
    {"current_timestamp", EF_CURRENT_TIMESTAMP, 0, 0}, {"now", EF_CURRENT_TIMESTAMP, 0, 0},
    {"to_date", EF_TO_DATE, 1, 2},     {"to_timestamp", EF_TO_TIMESTAMP, 1, 2},
    {"coalesce", EF_COALESCE, 1, 1000}, {"nullif", EF_NULLIF, 2, 2},
    {"if", EF_IF, 3, 3},               {"iff", EF_IF, 3, 3},
    {NULL, EF_NONE, 0, 0}};

static int bind_node(binder *b, expr_node **slot);

static int expect_arg(binder *b, expr_node *f, uint32_t k, const char *what, bool ok)
{
    if (ok)
        return 0;
    dbuf tb = DBUF_INIT;
    int rc = type_error(b, f, "function %s expects %s as argument %u, found %s", f->name, what,
                        k + 1, tname(f->args[k]->type, &tb));
    dbuf_free(&tb);
    return rc;
}

/* Casts argument k to `to` when it is a string, a NULL or (for
 * numbers) a narrower type the function accepts. */
static int arg_to(binder *b, expr_node *f, uint32_t k, dtype_id id)
{
    dtype *t = id == DT_TIMESTAMP ? dtype_new_timestamp(DT_UNIT_MICRO, true) : mk(id);
    if (!t)
        return DELTA_ENOMEM;
    int rc = coerce(b, &f->args[k], t);
    dtype_unref(t);
    return rc;
}

static int fold_common(binder *b, expr_node *f, uint32_t first, uint32_t step, dtype **out)
{
    dtype *common = NULL;
    const expr_node *cur = NULL;
    for (uint32_t k = first; k < f->nargs; k += step) {
        expr_node *a = f->args[k];
        if (!cur) {
            cur = a;
            common = dtype_ref(a->type);
            continue;
        }
        bool mismatch;
        /* compare the running common type with a: a fake node carries it */
        expr_node tmp = *cur;
        tmp.type = common;
        tmp.kind = EX_COL; /* a typed value, not a literal of that type */
        dtype *w = wider_type(&tmp, a, &mismatch);
        if (!w) {
            dbuf t1 = DBUF_INIT, t2 = DBUF_INIT;
            int rc = mismatch ? type_error(b, f, "expected arguments of one type, found %s and %s",
                                           tname(common, &t1), tname(a->type, &t2))
                              : DELTA_ENOMEM;
            dbuf_free(&t1);
            dbuf_free(&t2);
            dtype_unref(common);
            return rc;
        }
        dtype_unref(common);
        common = w;
        cur = a;
    }
    *out = common;
    return 0;
}

static int coerce_all(binder *b, expr_node *f, uint32_t first, uint32_t step, const dtype *t)
{
    for (uint32_t k = first; k < f->nargs; k += step) {
        int rc = coerce(b, &f->args[k], t);
        if (rc)
            return rc;
    }
    return 0;
}

static int bind_function(binder *b, expr_node *f)
{
    int k;
    for (k = 0; functions[k].name; k++)
        if (strcasecmp(functions[k].name, f->name) == 0)
            break;
    if (!functions[k].name)
        return delta_error_set(DELTA_ENOTFOUND,
                               "at position %u: unknown function '%s'; expected one of lower, upper, trim, ltrim, rtrim, substring, concat, length, abs, round, floor, ceil, year, month, day, hour, date_trunc, date_add, datediff, current_date, current_timestamp, to_date, to_timestamp, coalesce, nullif, if",
                               f->pos, f->name);
    const struct fninfo *fi = &functions[k];
    if (f->nargs < fi->min || f->nargs > fi->max) {
        if (fi->min == fi->max)
            return delta_error_set(DELTA_EINVAL,
                                   "at position %u: function %s expects %u argument%s, found %u",
                                   f->pos, f->name, fi->min, fi->min == 1 ? "" : "s", f->nargs);
        return delta_error_set(DELTA_EINVAL,
                               "at position %u: function %s expects %u to %u arguments, found %u",
                               f->pos, f->name, fi->min, fi->max, f->nargs);
    }
    f->fn = fi->fn;
    int rc;
    for (uint32_t a = 0; a < f->nargs; a++)
        if ((rc = bind_node(b, &f->args[a])))
            return rc;
    dtype_id a0 = f->nargs ? f->args[0]->type->id : DT_NULL;
    switch (f->fn) {
    case EF_LOWER:
    case EF_UPPER:
    case EF_TRIM:
    case EF_LTRIM:
    case EF_RTRIM:
        if ((rc = expect_arg(b, f, 0, "a string",
                             a0 == DT_STRING || a0 == DT_NULL || is_numeric(a0) || is_datetime(a0))) ||
            (rc = arg_to(b, f, 0, DT_STRING)))
            return rc;
        return set_type(f, mk(DT_STRING));
    case EF_SUBSTRING:
        if ((rc = expect_arg(b, f, 0, "a string or binary",
                             a0 == DT_STRING || a0 == DT_BINARY || a0 == DT_NULL || is_numeric(a0) ||
                                 is_datetime(a0))))
            return rc;
        if (a0 != DT_BINARY && (rc = arg_to(b, f, 0, DT_STRING)))
            return rc;
        for (uint32_t a = 1; a < f->nargs; a++) {
            dtype_id id = f->args[a]->type->id;
            if ((rc = expect_arg(b, f, a, "an integer", is_int(id) || id == DT_NULL || id == DT_STRING)) ||
                (rc = arg_to(b, f, a, DT_INT32)))
                return rc;
        }
        return set_type(f, mk(a0 == DT_BINARY ? DT_BINARY : DT_STRING));
    case EF_CONCAT: {
        bool all_binary = true;
        for (uint32_t a = 0; a < f->nargs; a++) {
            dtype_id id = f->args[a]->type->id;
            if (id != DT_BINARY)
                all_binary = false;
            if ((rc = expect_arg(b, f, a, "a string",
                                 id == DT_STRING || id == DT_BINARY || id == DT_NULL ||
                                     is_numeric(id) || is_datetime(id) || id == DT_BOOL)))
                return rc;
        }
        for (uint32_t a = 0; a < f->nargs && !all_binary; a++)
            if ((rc = arg_to(b, f, a, DT_STRING)))
                return rc;
        return set_type(f, mk(all_binary ? DT_BINARY : DT_STRING));
    }
    case EF_LENGTH:
        if ((rc = expect_arg(b, f, 0, "a string or binary",
                             a0 == DT_STRING || a0 == DT_BINARY || a0 == DT_NULL || is_numeric(a0) ||
                                 is_datetime(a0))))
            return rc;
        if (a0 != DT_BINARY && (rc = arg_to(b, f, 0, DT_STRING)))
            return rc;
        return set_type(f, mk(DT_INT32));
    case EF_ABS:
        if ((rc = expect_arg(b, f, 0, "a number", is_numeric(a0) || a0 == DT_NULL || a0 == DT_STRING)))
            return rc;
        if ((a0 == DT_NULL || a0 == DT_STRING) && (rc = arg_to(b, f, 0, DT_FLOAT64)))
            return rc;
        return set_type(f, dtype_ref(f->args[0]->type));
    case EF_ROUND:
    case EF_FLOOR:
    case EF_CEIL: {
        if ((rc = expect_arg(b, f, 0, "a number", is_numeric(a0) || a0 == DT_NULL || a0 == DT_STRING)))
            return rc;
        if ((a0 == DT_NULL || a0 == DT_STRING) && (rc = arg_to(b, f, 0, DT_FLOAT64)))
            return rc;
        int32_t d = 0;
        if (f->nargs == 2) {
            expr_node *s = f->args[1];
            if (s->kind != EX_LIT || !is_int(s->type->id) || s->val.is_null)
                return type_error(b, f, "function round expects an integer literal as argument 2");
            if (s->val.i < -38 || s->val.i > 38)
                return type_error(b, f, "function round expects a scale in -38..38, found %lld",
                                  (long long)s->val.i);
            d = (int32_t)s->val.i;
        }
        const dtype *t = f->args[0]->type;
        if (t->id == DT_DECIMAL) {
            int p = t->precision, s = t->scale;
            int ns;
            if (f->fn != EF_ROUND)
                ns = 0;
            else
                ns = d < s ? d : s;
            if (ns < 0)
                ns = 0;
            int np = p - s + 1 + ns;
            if (np > 38)
                np = 38;
            if (np < 1)
                np = 1;
            return set_type(f, dtype_new_decimal((unsigned)np, (unsigned)ns));
        }
        if (f->fn == EF_ROUND)
            return set_type(f, dtype_ref(t));
        /* floor/ceil of double and integers: bigint (t may be released by
         * the coercion when the argument is a literal) */
        dtype_id tid = t->id;
        if (is_int(tid) && (rc = arg_to(b, f, 0, DT_INT64)))
            return rc;
        if (tid == DT_FLOAT32 && (rc = arg_to(b, f, 0, DT_FLOAT64)))
            return rc;
        return set_type(f, mk(DT_INT64));
    }
    case EF_YEAR:
    case EF_MONTH:
    case EF_DAY:
        if ((rc = expect_arg(b, f, 0, "a date", is_datetime(a0) || a0 == DT_STRING || a0 == DT_NULL)))
            return rc;
        if (a0 != DT_DATE32 && (rc = arg_to(b, f, 0, DT_DATE32)))
            return rc;
        return set_type(f, mk(DT_INT32));
    case EF_HOUR:
        if ((rc = expect_arg(b, f, 0, "a timestamp", is_datetime(a0) || a0 == DT_STRING || a0 == DT_NULL)))
            return rc;
        if (a0 != DT_TIMESTAMP && (rc = arg_to(b, f, 0, DT_TIMESTAMP)))
            return rc;
        return set_type(f, mk(DT_INT32));
    case EF_DATE_TRUNC: {
        expr_node *u = f->args[0];
        if (u->kind != EX_LIT || u->type->id != DT_STRING)
            return type_error(b, f, "function date_trunc expects a unit string literal as argument 1");
        if (expr_trunc_unit((const char *)u->val.bytes, u->val.len) < 0)
            return type_error(b, f, "function date_trunc expects a unit YEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE, SECOND, MILLISECOND or MICROSECOND, found '%.*s'",
                              (int)u->val.len, (const char *)u->val.bytes);
        dtype_id a1 = f->args[1]->type->id;
        if ((rc = expect_arg(b, f, 1, "a timestamp", is_datetime(a1) || a1 == DT_STRING || a1 == DT_NULL)))
            return rc;
        if (a1 != DT_TIMESTAMP && (rc = arg_to(b, f, 1, DT_TIMESTAMP)))
            return rc;
        return set_type(f, dtype_ref(f->args[1]->type));
    }
    case EF_DATE_ADD: {
        dtype_id a1 = f->args[1]->type->id;
        if ((rc = expect_arg(b, f, 0, "a date", is_datetime(a0) || a0 == DT_STRING || a0 == DT_NULL)) ||
            (rc = expect_arg(b, f, 1, "an integer", is_int(a1) || a1 == DT_NULL)) ||
            (rc = arg_to(b, f, 0, DT_DATE32)) || (rc = arg_to(b, f, 1, DT_INT32)))
            return rc;
        return set_type(f, mk(DT_DATE32));
    }
    case EF_DATEDIFF: {
        dtype_id a1 = f->args[1]->type->id;
        if ((rc = expect_arg(b, f, 0, "a date", is_datetime(a0) || a0 == DT_STRING || a0 == DT_NULL)) ||
            (rc = expect_arg(b, f, 1, "a date", is_datetime(a1) || a1 == DT_STRING || a1 == DT_NULL)) ||
            (rc = arg_to(b, f, 0, DT_DATE32)) || (rc = arg_to(b, f, 1, DT_DATE32)))
            return rc;
        return set_type(f, mk(DT_INT32));
    }
    case EF_CURRENT_DATE:
    case EF_CURRENT_TIMESTAMP: {
        /* folded to a literal: one value for the whole statement */
        f->kind = EX_LIT;
        memset(&f->val, 0, sizeof f->val);
        if (f->fn == EF_CURRENT_DATE) {
            int64_t us = b->now_us;
            int64_t days = us >= 0 ? us / 86400000000LL : -((-us + 86400000000LL - 1) / 86400000000LL);
            f->val.i = days;
            f->ts.id = DT_DATE32;
        } else {
            f->val.i = b->now_us;
            f->ts.id = DT_TIMESTAMP;
            f->ts.utc = true;
        }
        return set_type(f, expr_typespec_dtype(&f->ts));
    }
    case EF_TO_DATE:
    case EF_TO_TIMESTAMP:
        if (f->nargs == 2) {
            /* to_date(text, 'yyyy-MM-dd'): parsed with a Spark datetime pattern */
            expr_node *fmt = f->args[1];
            if (fmt->kind != EX_LIT || fmt->type->id != DT_STRING || fmt->val.is_null)
                return type_error(b, f, "function %s expects a pattern string literal as argument 2",
                                  f->name);
            if (!expr_datetime_pattern_ok((const char *)fmt->val.bytes, fmt->val.len))
                return type_error(b, f, "function %s expects a datetime pattern of y M d H m s S and quoted text, found '%.*s'",
                                  f->name, (int)fmt->val.len, (const char *)fmt->val.bytes);
            if ((rc = expect_arg(b, f, 0, "a string", a0 == DT_STRING || a0 == DT_NULL)) ||
                (rc = arg_to(b, f, 0, DT_STRING)))
                return rc;
            if (f->fn == EF_TO_DATE)
                return set_type(f, mk(DT_DATE32));
            return set_type(f, dtype_new_timestamp(DT_UNIT_MICRO, true));
        }
        if (f->fn == EF_TO_TIMESTAMP) {
            if ((rc = expect_arg(b, f, 0, "a string or date",
                                 a0 == DT_STRING || is_datetime(a0) || a0 == DT_NULL)) ||
                (rc = arg_to(b, f, 0, DT_TIMESTAMP)))
                return rc;
            return set_type(f, dtype_ref(f->args[0]->type));
        }
        if ((rc = expect_arg(b, f, 0, "a string or timestamp",
                             a0 == DT_STRING || is_datetime(a0) || a0 == DT_NULL)) ||
            (rc = arg_to(b, f, 0, DT_DATE32)))
            return rc;
        /* the result is the (implicit) cast itself */
        return set_type(f, mk(DT_DATE32));
    case EF_COALESCE: {
        dtype *t;
        if ((rc = fold_common(b, f, 0, 1, &t)))
            return rc;
        rc = coerce_all(b, f, 0, 1, t);
        if (rc) {
            dtype_unref(t);
            return rc;
        }
        return set_type(f, t);
    }
    case EF_NULLIF: {
        bool mismatch;
        dtype *t = compare_type(f->args[0], f->args[1], &mismatch);
        if (!t) {
            dbuf t1 = DBUF_INIT, t2 = DBUF_INIT;
            rc = mismatch ? type_error(b, f, "function nullif expects comparable arguments, found %s and %s",
                                       tname(f->args[0]->type, &t1), tname(f->args[1]->type, &t2))
                          : DELTA_ENOMEM;
            dbuf_free(&t1);
            dbuf_free(&t2);
            return rc;
        }
        dtype *res = dtype_ref(f->args[0]->type);
        rc = coerce(b, &f->args[0], t);
        if (!rc)
            rc = coerce(b, &f->args[1], t);
        dtype_unref(t);
        if (rc) {
            dtype_unref(res);
            return rc;
        }
        /* the result keeps the first argument's value: evaluate the
         * comparison in the common type, return args[0] (possibly cast) */
        dtype_unref(res);
        return set_type(f, dtype_ref(f->args[0]->type));
    }
    case EF_IF: {
        dtype_id c = f->args[0]->type->id;
        if ((rc = expect_arg(b, f, 0, "a boolean", c == DT_BOOL || c == DT_NULL)) ||
            (c == DT_NULL && (rc = arg_to(b, f, 0, DT_BOOL))))
            return rc;
        dtype *t;
        if ((rc = fold_common(b, f, 1, 1, &t)))
            return rc;
        rc = coerce_all(b, f, 1, 1, t);
        if (rc) {
            dtype_unref(t);
            return rc;
        }
        return set_type(f, t);
    }
    default: break;
    }
    return delta_error_set(DELTA_EINVAL, "at position %u: function %s is not supported", f->pos,
                           f->name);
}

/* ---- operators ----------------------------------------------------------- */

static int require_bool(binder *b, expr_node *op, uint32_t k, const char *opname)
{
    expr_node *a = op->args[k];
    if (a->type->id == DT_BOOL)
        return 0;
    if (a->type->id == DT_NULL) {
        dtype *t = mk(DT_BOOL);
        if (!t)
            return DELTA_ENOMEM;
        int rc = coerce(b, &op->args[k], t);
        dtype_unref(t);
        return rc;
    }
    dbuf tb = DBUF_INIT;
    dbuf sb = DBUF_INIT;
    expr_node_format(a, &sb);
    int rc = type_error(b, op, "%s expects a boolean operand, found %s of type %s", opname,
                        dbuf_cstr(&sb), tname(a->type, &tb));
    dbuf_free(&tb);
    dbuf_free(&sb);
    return rc;
}

static const char *opname(expr_kind k)
{
    switch (k) {
    case EX_ADD: return "+";
    case EX_SUB: return "-";
    case EX_MUL: return "*";
    case EX_DIV: return "/";
    case EX_MOD: return "%";
    case EX_EQ: return "=";
    case EX_NE: return "<>";
    case EX_LT: return "<";
    case EX_LE: return "<=";
    case EX_GT: return ">";
    case EX_GE: return ">=";
    case EX_EQNS: return "<=>";
    default: return "?";
    }
}

static int bind_compare(binder *b, expr_node *n)
{
    bool mismatch;
    dtype *t = compare_type(n->args[0], n->args[1], &mismatch);
    if (!t) {
        if (!mismatch)
            return DELTA_ENOMEM;
        dbuf t1 = DBUF_INIT, t2 = DBUF_INIT;
        int rc = type_error(b, n, "operator %s cannot compare %s with %s", opname(n->kind),
                            tname(n->args[0]->type, &t1), tname(n->args[1]->type, &t2));
        dbuf_free(&t1);
        dbuf_free(&t2);
        return rc;
    }
    if (!evaluable(t) && t->id != DT_NULL) {
        dbuf t1 = DBUF_INIT;
        int rc = type_error(b, n, "operator %s cannot compare values of type %s", opname(n->kind),
                            tname(t, &t1));
        dbuf_free(&t1);
        dtype_unref(t);
        return rc;
    }
    int rc = coerce(b, &n->args[0], t);
    if (!rc)
        rc = coerce(b, &n->args[1], t);
    dtype_unref(t);
    if (rc)
        return rc;
    return set_type(n, mk(DT_BOOL));
}

static int bind_arith(binder *b, expr_node *n)
{
    expr_node *l = n->args[0], *r = n->args[1];
    dtype_id x = l->type->id, y = r->type->id;
    int rc;
    /* date +/- integer days */
    if ((n->kind == EX_ADD || n->kind == EX_SUB) && x == DT_DATE32 && (is_int(y) || y == DT_NULL)) {
        dtype *i = mk(DT_INT32);
        if (!i)
            return DELTA_ENOMEM;
        rc = coerce(b, &n->args[1], i);
        dtype_unref(i);
        if (rc)
            return rc;
        return set_type(n, mk(DT_DATE32));
    }
    if (n->kind == EX_ADD && y == DT_DATE32 && is_int(x)) {
        n->args[0] = r;
        n->args[1] = l;
        return bind_arith(b, n);
    }
    /* strings and NULLs in arithmetic become doubles (Spark) */
    for (int k = 0; k < 2; k++) {
        expr_node *a = n->args[k];
        if (a->type->id == DT_STRING || a->type->id == DT_NULL) {
            const expr_node *o = n->args[1 - k];
            dtype *t = (a->type->id == DT_NULL && is_numeric(o->type->id)) ? dtype_ref(o->type)
                                                                           : mk(DT_FLOAT64);
            if (!t)
                return DELTA_ENOMEM;
            rc = coerce(b, &n->args[k], t);
            dtype_unref(t);
            if (rc)
                return rc;
        }
    }
    l = n->args[0];
    r = n->args[1];
    x = l->type->id;
    y = r->type->id;
    if (!is_numeric(x) || !is_numeric(y)) {
        dbuf t1 = DBUF_INIT, t2 = DBUF_INIT;
        rc = type_error(b, n, "operator %s expects numeric operands, found %s and %s",
                        opname(n->kind), tname(l->type, &t1), tname(r->type, &t2));
        dbuf_free(&t1);
        dbuf_free(&t2);
        return rc;
    }
    if (x == DT_DECIMAL || y == DT_DECIMAL) {
        if (is_float(x) || is_float(y)) {
            dtype *d = mk(DT_FLOAT64);
            if (!d)
                return DELTA_ENOMEM;
            rc = coerce(b, &n->args[0], d);
            if (!rc)
                rc = coerce(b, &n->args[1], d);
            if (rc) {
                dtype_unref(d);
                return rc;
            }
            return set_type(n, d);
        }
        unsigned p1 = 0, s1 = 0, p2 = 0, s2 = 0;
        decimal_view(l, &p1, &s1);
        decimal_view(r, &p2, &s2);
        int p, s;
        switch (n->kind) {
        case EX_ADD:
        case EX_SUB: {
            s = (int)(s1 > s2 ? s1 : s2);
            int i1 = (int)(p1 - s1), i2 = (int)(p2 - s2);
            p = (i1 > i2 ? i1 : i2) + s + 1;
            break;
        }
        case EX_MUL:
            p = (int)(p1 + p2 + 1);
            s = (int)(s1 + s2);
            break;
        case EX_DIV: {
            int sc = (int)(s1 + p2 + 1);
            s = sc > 6 ? sc : 6;
            p = (int)(p1 - s1 + s2) + s;
            break;
        }
        default: { /* MOD */
            int i1 = (int)(p1 - s1), i2 = (int)(p2 - s2);
            s = (int)(s1 > s2 ? s1 : s2);
            p = (i1 < i2 ? i1 : i2) + s;
            break;
        }
        }
        unsigned rp, rs;
        adjust_decimal(p, s, &rp, &rs);
        for (int k = 0; k < 2; k++) {
            unsigned pk = k ? p2 : p1, sk = k ? s2 : s1;
            dtype *d = dtype_new_decimal(pk, sk);
            if (!d)
                return DELTA_ENOMEM;
            rc = coerce(b, &n->args[k], d);
            dtype_unref(d);
            if (rc)
                return rc;
        }
        return set_type(n, dtype_new_decimal(rp, rs));
    }
    dtype *t;
    if (n->kind == EX_DIV) {
        t = mk(DT_FLOAT64);
    } else {
        t = numeric_wider(l, r);
    }
    if (!t)
        return DELTA_ENOMEM;
    rc = coerce(b, &n->args[0], t);
    if (!rc)
        rc = coerce(b, &n->args[1], t);
    if (rc) {
        dtype_unref(t);
        return rc;
    }
    return set_type(n, t);
}

static int bind_node(binder *b, expr_node **slot)
{
    expr_node *n = *slot;
    int rc;
    if (n->kind == EX_FUNC)
        return bind_function(b, n);
    if (n->kind == EX_COL)
        return bind_column(b, n);
    if (n->kind == EX_LIT)
        return set_type(n, expr_typespec_dtype(&n->ts));
    for (uint32_t k = 0; k < n->nargs; k++)
        if ((rc = bind_node(b, &n->args[k])))
            return rc;
    switch (n->kind) {
    case EX_NEG: {
        dtype_id x = n->args[0]->type->id;
        if (x == DT_STRING || x == DT_NULL) {
            if ((rc = arg_to(b, n, 0, DT_FLOAT64)))
                return rc;
            x = DT_FLOAT64;
        }
        if (!is_numeric(x)) {
            dbuf t1 = DBUF_INIT;
            rc = type_error(b, n, "unary - expects a numeric operand, found %s",
                            tname(n->args[0]->type, &t1));
            dbuf_free(&t1);
            return rc;
        }
        return set_type(n, dtype_ref(n->args[0]->type));
    }
    case EX_NOT:
        if ((rc = require_bool(b, n, 0, "NOT")))
            return rc;
        return set_type(n, mk(DT_BOOL));
    case EX_AND:
    case EX_OR:
        if ((rc = require_bool(b, n, 0, n->kind == EX_AND ? "AND" : "OR")) ||
            (rc = require_bool(b, n, 1, n->kind == EX_AND ? "AND" : "OR")))
            return rc;
        return set_type(n, mk(DT_BOOL));
    case EX_ISNULL: return set_type(n, mk(DT_BOOL));
    case EX_EQ:
    case EX_NE:
    case EX_LT:
    case EX_LE:
    case EX_GT:
    case EX_GE:
    case EX_EQNS: return bind_compare(b, n);
    case EX_ADD:
    case EX_SUB:
    case EX_MUL:
    case EX_DIV:
    case EX_MOD: return bind_arith(b, n);
    case EX_CONCAT: {
        bool bin = n->args[0]->type->id == DT_BINARY && n->args[1]->type->id == DT_BINARY;
        for (uint32_t k = 0; k < 2; k++) {
            dtype_id id = n->args[k]->type->id;
            if (!(id == DT_STRING || id == DT_BINARY || id == DT_NULL || is_numeric(id) ||
                  is_datetime(id) || id == DT_BOOL)) {
                dbuf t1 = DBUF_INIT;
                rc = type_error(b, n, "operator || expects strings, found %s",
                                tname(n->args[k]->type, &t1));
                dbuf_free(&t1);
                return rc;
            }
            if (!bin && (rc = arg_to(b, n, k, DT_STRING)))
                return rc;
        }
        return set_type(n, mk(bin ? DT_BINARY : DT_STRING));
    }
    case EX_IN: {
        /* common type of the value and every list element */
        dtype *common = dtype_ref(n->args[0]->type);
        for (uint32_t k = 1; k < n->nargs; k++) {
            bool mismatch;
            expr_node tmp = *n->args[0];
            tmp.type = common;
            tmp.kind = EX_COL; /* a typed value, not a literal of that type */
            dtype *w = compare_type(&tmp, n->args[k], &mismatch);
            if (!w) {
                dbuf t1 = DBUF_INIT, t2 = DBUF_INIT;
                rc = mismatch ? type_error(b, n, "IN expects list values comparable with %s, found %s",
                                           tname(common, &t1), tname(n->args[k]->type, &t2))
                              : DELTA_ENOMEM;
                dbuf_free(&t1);
                dbuf_free(&t2);
                dtype_unref(common);
                return rc;
            }
            dtype_unref(common);
            common = w;
        }
        if (!evaluable(common)) {
            dbuf t1 = DBUF_INIT;
            rc = type_error(b, n, "IN cannot compare values of type %s", tname(common, &t1));
            dbuf_free(&t1);
            dtype_unref(common);
            return rc;
        }
        rc = coerce_all(b, n, 0, 1, common);
        dtype_unref(common);
        if (rc)
            return rc;
        return set_type(n, mk(DT_BOOL));
    }
    case EX_BETWEEN: {
        /* x BETWEEN lo AND hi  ->  x >= lo AND x <= hi (NOT (...) if
         * negated); x is copied so the tree stays a tree */
        expr_node *ge = node_new(b, EX_GE, n->pos, 2);
        expr_node *le = node_new(b, EX_LE, n->pos, 2);
        expr_node *and = node_new(b, EX_AND, n->pos, 2);
        expr_node *xcopy = copy_tree(b, n->args[0]);
        if (!ge || !le || !and || !xcopy)
            return DELTA_ENOMEM;
        ge->args[0] = n->args[0];
        ge->args[1] = n->args[1];
        le->args[0] = xcopy;
        le->args[1] = n->args[2];
        and->args[0] = ge;
        and->args[1] = le;
        if (n->negated) {
            n->kind = EX_NOT;
            n->negated = false;
            n->nargs = 1;
            n->args[0] = and;
        } else {
            *slot = and;
            n = and;
        }
        if ((rc = bind_compare(b, ge)) || (rc = bind_compare(b, le)) ||
            (rc = set_type(and, mk(DT_BOOL))))
            return rc;
        return n == and ? 0 : set_type(n, mk(DT_BOOL));
    }
    case EX_LIKE:
        for (uint32_t k = 0; k < 2; k++) {
            dtype_id id = n->args[k]->type->id;
            if (id != DT_STRING && id != DT_NULL) {
                dbuf t1 = DBUF_INIT;
                rc = type_error(b, n, "LIKE expects string operands, found %s",
                                tname(n->args[k]->type, &t1));
                dbuf_free(&t1);
                return rc;
            }
            if ((rc = arg_to(b, n, k, DT_STRING)))
                return rc;
        }
        return set_type(n, mk(DT_BOOL));
    case EX_CASE: {
        uint32_t k, nthen = n->nargs / 2, nval = nthen + n->nargs % 2;
        for (k = 0; k < nthen; k++)
            if ((rc = require_bool(b, n, 2 * k, "CASE WHEN")))
                return rc;
        /* value slots: 1, 3, 5, ... and the ELSE (last, when nargs is odd) */
        dtype *common = NULL;
        const expr_node *cur = NULL;
        for (k = 0; k < nval; k++) {
            expr_node *a = n->args[k < nthen ? 2 * k + 1 : n->nargs - 1];
            if (!cur) {
                cur = a;
                common = dtype_ref(a->type);
                continue;
            }
            bool mismatch;
            expr_node tmp = *cur;
            tmp.type = common;
            tmp.kind = EX_COL; /* a typed value, not a literal of that type */
            dtype *w = wider_type(&tmp, a, &mismatch);
            if (!w) {
                dbuf t1 = DBUF_INIT, t2 = DBUF_INIT;
                rc = mismatch ? type_error(b, n, "CASE expects branches of one type, found %s and %s",
                                           tname(common, &t1), tname(a->type, &t2))
                              : DELTA_ENOMEM;
                dbuf_free(&t1);
                dbuf_free(&t2);
                dtype_unref(common);
                return rc;
            }
            dtype_unref(common);
            common = w;
            cur = a;
        }
        for (k = 0; k < nval; k++)
            if ((rc = coerce(b, &n->args[k < nthen ? 2 * k + 1 : n->nargs - 1], common))) {
                dtype_unref(common);
                return rc;
            }
        return set_type(n, common);
    }
    case EX_CAST: {
        dtype *to = expr_typespec_dtype(&n->ts);
        if (!to)
            return DELTA_ENOMEM;
        if (!expr_can_cast(n->args[0]->type, to)) {
            dbuf t1 = DBUF_INIT, t2 = DBUF_INIT;
            rc = type_error(b, n, "cannot cast %s to %s", tname(n->args[0]->type, &t1),
                            tname(to, &t2));
            dbuf_free(&t1);
            dbuf_free(&t2);
            dtype_unref(to);
            return rc;
        }
        if (n->args[0]->kind == EX_LIT) {
            /* fold: the node becomes the literal */
            expr_node *l = n->args[0];
            expr_value out;
            rc = fold_cast(b, l->type, &l->val, to, &out);
            if (rc) {
                dtype_unref(to);
                return delta_error_prefix(rc, "at position %u: ", n->pos);
            }
            expr_node_release(l);
            n->kind = EX_LIT;
            n->nargs = 0;
            n->val = out;
            n->ts = spec_of(to);
        }
        return set_type(n, to);
    }
    default: break;
    }
    return delta_error_set(DELTA_EINVAL, "at position %u: unexpected node", n->pos);
}

int expr_bind(expr *e, const expr_scope *scopes, uint32_t nscopes)
{
    if (e->bound)
        return delta_error_set(DELTA_EINVAL, "expression '%s' is already bound", e->text);
    for (uint32_t s = 0; s < nscopes; s++)
        if (!scopes[s].schema || scopes[s].schema->id != DT_STRUCT)
            return delta_error_set(DELTA_EINVAL, "binding '%s': scope %u is not a struct schema",
                                   e->text, s);
    binder b = {e, scopes, nscopes, dtime_now_us()};
    e->bound = true; /* from here on, types are released by expr_free */
    int rc = bind_node(&b, &e->root);
    if (rc)
        return rc;
    if (!evaluable(e->root->type) && e->root->type->id != DT_NULL && e->root->kind != EX_COL) {
        dbuf t1 = DBUF_INIT;
        rc = delta_error_set(DELTA_ETYPE, "at position %u: expressions of type %s are not supported",
                             e->root->pos, tname(e->root->type, &t1));
        dbuf_free(&t1);
        return rc;
    }
    /* columns of types the evaluator does not compute on may only be
     * tested for NULL or returned as they are */
    return expr_check_evaluable(e->root, true);
}

int expr_bind_coerce(expr *e, const dtype *to, const char *what)
{
    if (!e->bound)
        return delta_error_set(DELTA_EINVAL, "expression '%s' is not bound", e->text);
    const dtype *from = e->root->type;
    if (dtype_equal(from, to))
        return 0;
    if (from->id != DT_NULL && !(expr_type_evaluable(to) && expr_can_cast(from, to))) {
        dbuf a = DBUF_INIT, t = DBUF_INIT;
        dtype_format(from, &a);
        dtype_format(to, &t);
        int rc = delta_error_set(DELTA_ETYPE, "%s: a value of type %s cannot be stored in type %s "
                                              "('%s')",
                                 what, dbuf_cstr(&a), dbuf_cstr(&t), e->text);
        dbuf_free(&a);
        dbuf_free(&t);
        return rc;
    }
    binder b = {e, NULL, 0, dtime_now_us()};
    return coerce(&b, &e->root, to);
}
