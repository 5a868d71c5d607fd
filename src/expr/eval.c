/*
 * Vectorized evaluation of bound expressions over batches.
 *
 * Two entry points share the tree walk, which happens once per batch,
 * never per row:
 *
 *   expr_eval()    computes a node's values for the rows of a selection
 *                  into a positional vector (the batch's length; rows
 *                  outside the selection are null);
 *   expr_select()  finds the rows of a selection where a boolean node is
 *                  TRUE. Internally every predicate can also find the rows
 *                  where it is FALSE (esel with want = false), which makes
 *                  NOT free and keeps three-valued logic exact: a row where
 *                  the predicate is NULL is in neither set.
 *
 * AND evaluates its right side only on the rows its left side selected;
 * OR only on the rows its left side did not. CASE, IF and COALESCE
 * evaluate each branch only on the rows that reach it, so a branch's
 * error (an overflow, say) is raised only if a row takes that branch.
 *
 * Hot paths (comparisons of int32/int64/double/decimal/string columns
 * with a literal or another column, arithmetic on them) are typed loops
 * over the selection; the rest goes through expr_vec_get/expr_vec_put one
 * value at a time, still without walking the tree per row.
 *
 * Semantics: integer and decimal overflow are DELTA_ERANGE errors naming
 * the expression and its position (Spark's ANSI mode); division and
 * modulo by zero give NULL (Spark's default).
 */
#include "expr/expr_internal.h"

#include "core/alloc.h"
#include "core/dtime.h"
#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ev {
    const expr_input *in;
    dbuf scratch;
} ev;

static int eval_node(ev *e, const expr_node *n, const uint32_t *sel, int64_t nsel, dvec **out);
static int esel(ev *e, const expr_node *n, const uint32_t *sel, int64_t nsel, bool want,
                uint32_t *out, int64_t *nout);

#define ROW(k) (sel ? sel[k] : (uint32_t)(k))

/* ---- errors ---------------------------------------------------------------- */

static int node_error(const expr_node *n, int code, const char *what)
{
    dbuf s = DBUF_INIT;
    expr_node_format(n, &s);
    int rc = delta_error_set(code, "%s in %s at position %u", what, dbuf_cstr(&s), n->pos);
    dbuf_free(&s);
    return rc;
}

/* ---- vectors ---------------------------------------------------------------- */

/* A new vector of nrows rows, all null, values zeroed (fixed-width types);
 * variable-width types are built with a writer instead. */
static int vec_fixed(const dtype *t, int64_t nrows, dvec **out)
{
    dvec *v;
    int rc = dvec_new(&v, t);
    if (rc)
        return rc;
    if (t->id == DT_NULL) {
        dvec_set_length(v, nrows);
        *out = v;
        return 0;
    }
    if ((rc = dvec_reserve(v, nrows)) || (rc = dvec_ensure_validity(v))) {
        dvec_unref(v);
        return rc;
    }
    size_t w = dtype_byte_width(t);
    if (t->id == DT_BOOL)
        memset(v->values, 0, (size_t)(nrows + 7) / 8);
    else if (nrows)
        memset(v->values, 0, (size_t)nrows * w);
    memset(v->validity, 0, (size_t)(nrows + 7) / 8);
    *out = v;
    return 0;
}

static inline void set_valid(dvec *v, int64_t i)
{
    dbit_set(v->validity, i);
}

/* Sequential writer: rows must be put in increasing order; gaps are nulls. */
typedef struct vwriter {
    dvec *v;
    int64_t next;
    int rc;
} vwriter;

static int vw_open(vwriter *w, const dtype *t, int64_t nrows)
{
    w->next = 0;
    w->rc = 0;
    int rc = dvec_new(&w->v, t);
    if (rc)
        return rc;
    if (t->id != DT_NULL && (rc = dvec_reserve(w->v, nrows))) {
        dvec_unref(w->v);
        return rc;
    }
    return 0;
}

static void vw_pad(vwriter *w, int64_t row)
{
    if (!w->rc && row > w->next)
        w->rc = dvec_append_nulls(w->v, row - w->next);
    w->next = row;
}

static void vw_put(vwriter *w, int64_t row, const expr_value *x)
{
    vw_pad(w, row);
    if (!w->rc)
        w->rc = expr_vec_put(w->v, x);
    w->next = row + 1;
}

static void vw_put_bytes(vwriter *w, int64_t row, const void *p, size_t n)
{
    vw_pad(w, row);
    if (!w->rc)
        w->rc = dvec_append_bytes(w->v, p, n);
    w->next = row + 1;
}

static int vw_close(vwriter *w, int64_t nrows, dvec **out)
{
    vw_pad(w, nrows);
    if (w->rc) {
        dvec_unref(w->v);
        return w->rc;
    }
    *out = w->v;
    return 0;
}

/* ---- selections ------------------------------------------------------------- */

static uint32_t *sel_alloc(int64_t n)
{
    return delta_malloc(sizeof(uint32_t) * (size_t)(n > 0 ? n : 1));
}

/* rows of sel (NULL = 0..nsel) not in sub (a sorted subset) */
static int64_t sel_minus(const uint32_t *sel, int64_t nsel, const uint32_t *sub, int64_t nsub,
                         uint32_t *out)
{
    int64_t m = 0, j = 0;
    for (int64_t k = 0; k < nsel; k++) {
        uint32_t i = ROW(k);
        if (j < nsub && sub[j] == i) {
            j++;
            continue;
        }
        out[m++] = i;
    }
    return m;
}

static int64_t sel_union(const uint32_t *a, int64_t na, const uint32_t *b, int64_t nb,
                         uint32_t *out)
{
    int64_t i = 0, j = 0, m = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j])
            out[m++] = a[i++];
        else if (b[j] < a[i])
            out[m++] = b[j++];
        else {
            out[m++] = a[i++];
            j++;
        }
    }
    while (i < na)
        out[m++] = a[i++];
    while (j < nb)
        out[m++] = b[j++];
    return m;
}

/* ---- operands: a vector, or a literal kept as one value ---------------------- */

typedef struct opnd {
    dvec *v;
    expr_value c;
} opnd;

static int get_opnd(ev *e, const expr_node *n, const uint32_t *sel, int64_t nsel, opnd *o)
{
    memset(o, 0, sizeof *o);
    if (n->kind == EX_LIT) {
        o->c = n->val;
        if (n->type->id == DT_NULL)
            o->c.is_null = true;
        return 0;
    }
    return eval_node(e, n, sel, nsel, &o->v);
}

static void opnd_free(opnd *o)
{
    if (o->v)
        dvec_unref(o->v);
    o->v = NULL;
}

static inline bool opnd_get(const opnd *o, int64_t i, expr_value *x)
{
    if (!o->v) {
        *x = o->c;
        return !o->c.is_null;
    }
    return expr_vec_get(o->v, i, x);
}

/* ---- columns and literals ----------------------------------------------------- */

static int eval_column(ev *e, const expr_node *n, dvec **out)
{
    if (n->scope < 0 || (uint32_t)n->scope >= e->in->nbatches)
        return delta_error_set(DELTA_EINVAL, "column at position %u: no batch for its scope",
                               n->pos);
    const dvec *v = e->in->batches[n->scope];
    const dvec *parents[64];
    uint32_t np = 0;
    for (uint32_t d = 0; d < n->depth; d++) {
        if (v->type->id != DT_STRUCT || (uint32_t)n->path[d] >= v->num_children)
            return delta_error_set(DELTA_EINVAL,
                                   "column at position %u: the batch does not match the bound schema",
                                   n->pos);
        if (d > 0 && v->null_count > 0 && np < 64)
            parents[np++] = v;
        v = v->children[n->path[d]];
    }
    if (v->length != e->in->nrows)
        return delta_error_set(DELTA_EINVAL, "column at position %u: %lld rows, expected %lld",
                               n->pos, (long long)v->length, (long long)e->in->nrows);
    if (np == 0) {
        *out = dvec_ref((dvec *)v);
        return 0;
    }
    /* a null struct makes its fields null */
    dvec *c;
    int rc = dvec_new(&c, v->type);
    if (rc)
        return rc;
    if ((rc = dvec_append_range(c, v, 0, v->length)) || (rc = dvec_ensure_validity(c))) {
        dvec_unref(c);
        return rc;
    }
    if (c->type->id == DT_NULL) {
        *out = c;
        return 0;
    }
    for (uint32_t k = 0; k < np; k++)
        for (int64_t i = 0; i < c->length; i++)
            if (!dvec_is_valid(parents[k], i))
                dbit_clear(c->validity, i);
    dvec_set_length(c, c->length);
    *out = c;
    return 0;
}

static int eval_literal(ev *e, const expr_node *n, const uint32_t *sel, int64_t nsel, dvec **out)
{
    int64_t nrows = e->in->nrows;
    const dtype *t = n->type;
    if (t->id == DT_STRING || t->id == DT_BINARY) {
        vwriter w;
        int rc = vw_open(&w, t, nrows);
        if (rc)
            return rc;
        if (!n->val.is_null)
            for (int64_t k = 0; k < nsel; k++)
                vw_put(&w, ROW(k), &n->val);
        return vw_close(&w, nrows, out);
    }
    dvec *v;
    int rc = vec_fixed(t, nrows, &v);
    if (rc)
        return rc;
    if (!n->val.is_null && t->id != DT_NULL) {
        size_t w = dtype_byte_width(t);
        for (int64_t k = 0; k < nsel; k++) {
            uint32_t i = ROW(k);
            set_valid(v, i);
            switch (t->id) {
            case DT_BOOL:
                if (n->val.b)
                    dbit_set(v->values, i);
                break;
            case DT_FLOAT32: ((float *)v->values)[i] = (float)n->val.d; break;
            case DT_FLOAT64: ((double *)v->values)[i] = n->val.d; break;
            case DT_DECIMAL: memcpy((uint8_t *)v->values + 16 * (size_t)i, &n->val.dec, 16); break;
            default: {
                int64_t x = n->val.i;
                memcpy((uint8_t *)v->values + w * i, &x, w); /* little-endian */
                break;
            }
            }
        }
    }
    dvec_set_length(v, nrows);
    *out = v;
    return 0;
}

/* ---- comparisons ------------------------------------------------------------------ */

enum { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE };

static int cmp_code(expr_kind k)
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

static int cmp_negate(int op)
{
    static const int neg[] = {C_NE, C_EQ, C_GE, C_GT, C_LE, C_LT};
    return neg[op];
}

static int cmp_swap(int op)
{
    static const int sw[] = {C_EQ, C_NE, C_GT, C_GE, C_LT, C_LE};
    return sw[op];
}

static inline bool cmp_test(int op, int c)
{
    switch (op) {
    case C_EQ: return c == 0;
    case C_NE: return c != 0;
    case C_LT: return c < 0;
    case C_LE: return c <= 0;
    case C_GT: return c > 0;
    default: return c >= 0;
    }
}

/* Selection loops: COND may use i; valid checks come from the bitmaps. */
#define SEL_LOOP(COND)                                                                   \
    do {                                                                                 \
        if (sel) {                                                                       \
            for (int64_t k = 0; k < nsel; k++) {                                         \
                uint32_t i = sel[k];                                                     \
                out[m] = i;                                                              \
                m += (COND) ? 1 : 0;                                                     \
            }                                                                            \
        } else {                                                                         \
            for (int64_t k = 0; k < nsel; k++) {                                         \
                uint32_t i = (uint32_t)k;                                                \
                out[m] = i;                                                              \
                m += (COND) ? 1 : 0;                                                     \
            }                                                                            \
        }                                                                                \
    } while (0)

#define VALID2(i) ((!vx || dbit_get(vx, i)) && (!vy || dbit_get(vy, i)))

#define OPS_LOOP(A, B, EQX, LTX, LEX)                                                    \
    do {                                                                                 \
        if (vx || vy) {                                                                  \
            switch (op) {                                                                \
            case C_EQ: SEL_LOOP(VALID2(i) && EQX(A, B)); break;                          \
            case C_NE: SEL_LOOP(VALID2(i) && !EQX(A, B)); break;                         \
            case C_LT: SEL_LOOP(VALID2(i) && LTX(A, B)); break;                          \
            case C_LE: SEL_LOOP(VALID2(i) && LEX(A, B)); break;                          \
            case C_GT: SEL_LOOP(VALID2(i) && LTX(B, A)); break;                          \
            default: SEL_LOOP(VALID2(i) && LEX(B, A)); break;                            \
            }                                                                            \
        } else {                                                                         \
            switch (op) {                                                                \
            case C_EQ: SEL_LOOP(EQX(A, B)); break;                                       \
            case C_NE: SEL_LOOP(!EQX(A, B)); break;                                      \
            case C_LT: SEL_LOOP(LTX(A, B)); break;                                       \
            case C_LE: SEL_LOOP(LEX(A, B)); break;                                       \
            case C_GT: SEL_LOOP(LTX(B, A)); break;                                       \
            default: SEL_LOOP(LEX(B, A)); break;                                         \
            }                                                                            \
        }                                                                                \
    } while (0)

#define P_EQ(a, b) ((a) == (b))
#define P_LT(a, b) ((a) < (b))
#define P_LE(a, b) ((a) <= (b))
/* doubles: NaN equals NaN and is above everything (Spark) */
#define F_EQ(a, b) ((a) == (b) || ((a) != (a) && (b) != (b)))
#define F_LT(a, b) ((a) < (b) || ((b) != (b) && (a) == (a)))
#define F_LE(a, b) ((a) <= (b) || (b) != (b))

/* LD reads element i: a plain load, or memcpy for 16-byte decimals (an
 * imported Arrow buffer is only guaranteed 8-byte alignment). */
#define LD_PLAIN(p, i) ((p)[i])
#define LD_I128(p, i) ld_i128((p) + (i))

static inline expr_i128 ld_i128(const expr_i128 *p)
{
    expr_i128 v;
    memcpy(&v, p, sizeof v);
    return v;
}

#define CMP_KERNEL(NAME, T, LD, EQX, LTX, LEX)                                           \
    static int64_t NAME(const T *x, const T *y, T c, const uint8_t *vx, const uint8_t *vy,   \
                        int op, const uint32_t *sel, int64_t nsel, uint32_t *out)        \
    {                                                                                    \
        int64_t m = 0;                                                                   \
        if (y)                                                                           \
            OPS_LOOP(LD(x, i), LD(y, i), EQX, LTX, LEX);                                 \
        else                                                                             \
            OPS_LOOP(LD(x, i), c, EQX, LTX, LEX);                                        \
        return m;                                                                        \
    }

CMP_KERNEL(cmp_i32, int32_t, LD_PLAIN, P_EQ, P_LT, P_LE)
CMP_KERNEL(cmp_i64, int64_t, LD_PLAIN, P_EQ, P_LT, P_LE)
CMP_KERNEL(cmp_f64, double, LD_PLAIN, F_EQ, F_LT, F_LE)
CMP_KERNEL(cmp_i128, expr_i128, LD_I128, P_EQ, P_LT, P_LE)

static inline int bytes_cmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    size_t n = na < nb ? na : nb;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return na < nb ? -1 : na > nb ? 1 : 0;
}

static int64_t cmp_bytes(const dvec *x, const dvec *y, const expr_value *c, int op,
                         const uint32_t *sel, int64_t nsel, uint32_t *out)
{
    const uint8_t *vx = x->validity, *vy = y ? y->validity : NULL;
    const int32_t *ox = x->offsets;
    int64_t m = 0;
    if (!y && (op == C_EQ || op == C_NE)) {
        int32_t cl = (int32_t)c->len;
        bool eq = op == C_EQ;
        SEL_LOOP((!vx || dbit_get(vx, i)) &&
                 ((ox[i + 1] - ox[i] == cl &&
                   (cl == 0 || memcmp(x->data + ox[i], c->bytes, (size_t)cl) == 0)) == eq));
        return m;
    }
    if (!y) {
        SEL_LOOP((!vx || dbit_get(vx, i)) &&
                 cmp_test(op, bytes_cmp(x->data + ox[i], (size_t)(ox[i + 1] - ox[i]), c->bytes,
                                        c->len)));
        return m;
    }
    const int32_t *oy = y->offsets;
    SEL_LOOP(VALID2(i) && cmp_test(op, bytes_cmp(x->data + ox[i], (size_t)(ox[i + 1] - ox[i]),
                                                 y->data + oy[i], (size_t)(oy[i + 1] - oy[i]))));
    return m;
}

/* Rows where (l op r) holds, both sides non-null. */
static int compare_select(ev *e, const expr_node *ln, const expr_node *rn, int op,
                          const uint32_t *sel, int64_t nsel, uint32_t *out, int64_t *nout)
{
    /* keep the literal on the right */
    if (ln->kind == EX_LIT && rn->kind != EX_LIT) {
        const expr_node *t = ln;
        ln = rn;
        rn = t;
        op = cmp_swap(op);
    }
    opnd l, r;
    int rc = get_opnd(e, ln, sel, nsel, &l);
    if (rc)
        return rc;
    if ((rc = get_opnd(e, rn, sel, nsel, &r))) {
        opnd_free(&l);
        return rc;
    }
    int64_t m = 0;
    const dtype *t = ln->type;
    if ((!l.v && l.c.is_null) || (!r.v && r.c.is_null) || t->id == DT_NULL) {
        m = 0;
    } else if (l.v) {
        const uint8_t *vx = l.v->validity, *vy = r.v ? r.v->validity : NULL;
        switch (t->id) {
        case DT_INT32:
        case DT_DATE32:
            m = cmp_i32(l.v->values, r.v ? r.v->values : NULL, (int32_t)r.c.i, vx, vy, op, sel,
                        nsel, out);
            break;
        case DT_INT64:
        case DT_TIMESTAMP:
            m = cmp_i64(l.v->values, r.v ? r.v->values : NULL, r.c.i, vx, vy, op, sel, nsel, out);
            break;
        case DT_FLOAT64:
            m = cmp_f64(l.v->values, r.v ? r.v->values : NULL, r.c.d, vx, vy, op, sel, nsel, out);
            break;
        case DT_DECIMAL:
            m = cmp_i128(l.v->values, r.v ? r.v->values : NULL, r.c.dec, vx, vy, op, sel, nsel,
                         out);
            break;
        case DT_STRING:
        case DT_BINARY: m = cmp_bytes(l.v, r.v, &r.c, op, sel, nsel, out); break;
        default: {
            expr_value a, b;
            for (int64_t k = 0; k < nsel; k++) {
                uint32_t i = ROW(k);
                if (opnd_get(&l, i, &a) && opnd_get(&r, i, &b) &&
                    cmp_test(op, expr_value_cmp(t, &a, &b)))
                    out[m++] = i;
            }
            break;
        }
        }
    } else {
        /* two literals */
        if (cmp_test(op, expr_value_cmp(t, &l.c, &r.c)))
            for (int64_t k = 0; k < nsel; k++)
                out[m++] = ROW(k);
    }
    opnd_free(&l);
    opnd_free(&r);
    *nout = m;
    return 0;
}

/* <=> : never NULL */
static int eqns_select(ev *e, const expr_node *n, const uint32_t *sel, int64_t nsel, bool want,
                       uint32_t *out, int64_t *nout)
{
    opnd l, r;
    int rc = get_opnd(e, n->args[0], sel, nsel, &l);
    if (rc)
        return rc;
    if ((rc = get_opnd(e, n->args[1], sel, nsel, &r))) {
        opnd_free(&l);
        return rc;
    }
    const dtype *t = n->args[0]->type;
    int64_t m = 0;
    expr_value a, b;
    for (int64_t k = 0; k < nsel; k++) {
        uint32_t i = ROW(k);
        bool va = opnd_get(&l, i, &a), vb = opnd_get(&r, i, &b);
        bool eq = (!va && !vb) || (va && vb && expr_value_cmp(t, &a, &b) == 0);
        if (eq == want)
            out[m++] = i;
    }
    opnd_free(&l);
    opnd_free(&r);
    *nout = m;
    return 0;
}

/* ---- IN ------------------------------------------------------------------------------- */

static int in_select(ev *e, const expr_node *n, const uint32_t *sel, int64_t nsel, bool want,
                     uint32_t *out, int64_t *nout)
{
    /* x IN (...) is TRUE on a match, NULL when no match but x or an item
     * is NULL, FALSE otherwise; NOT IN swaps TRUE and FALSE */
    bool find_match = want != n->negated;
    uint32_t nitems = n->nargs - 1;
    opnd *items = delta_calloc(nitems + 1, sizeof(opnd));
    if (!items)
        return DELTA_ENOMEM;
    int rc = get_opnd(e, n->args[0], sel, nsel, &items[0]);
    for (uint32_t k = 1; !rc && k <= nitems; k++)
        rc = get_opnd(e, n->args[k], sel, nsel, &items[k]);
    const dtype *t = n->args[0]->type;
    int64_t m = 0;
    /* a list of literals: sorted once, then a binary search per row */
    bool all_lit = nitems > 8;
    for (uint32_t j = 1; j <= nitems && all_lit; j++)
        all_lit = items[j].v == NULL;
    if (!rc && all_lit) {
        expr_value *lits = delta_malloc(sizeof(expr_value) * nitems);
        if (!lits) {
            rc = DELTA_ENOMEM;
            goto done;
        }
        uint32_t nl = 0;
        bool list_null = false;
        for (uint32_t j = 1; j <= nitems; j++) {
            if (items[j].c.is_null) {
                list_null = true;
                continue;
            }
            /* insertion sort: lists are short enough */
            uint32_t pos = nl;
            while (pos > 0 && expr_value_cmp(t, &lits[pos - 1], &items[j].c) > 0) {
                lits[pos] = lits[pos - 1];
                pos--;
            }
            lits[pos] = items[j].c;
            nl++;
        }
        expr_value x;
        for (int64_t k = 0; k < nsel; k++) {
            uint32_t i = ROW(k);
            if (!opnd_get(&items[0], i, &x))
                continue;
            uint32_t lo = 0, hi = nl;
            bool match = false;
            while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                int c = expr_value_cmp(t, &lits[mid], &x);
                if (c == 0) {
                    match = true;
                    break;
                }
                if (c < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (find_match ? match : (!match && !list_null))
                out[m++] = i;
        }
        delta_free(lits);
    } else if (!rc) {
        expr_value x, y;
        for (int64_t k = 0; k < nsel; k++) {
            uint32_t i = ROW(k);
            if (!opnd_get(&items[0], i, &x))
                continue;
            bool match = false, saw_null = false;
            for (uint32_t j = 1; j <= nitems && !match; j++) {
                if (!opnd_get(&items[j], i, &y))
                    saw_null = true;
                else if (expr_value_cmp(t, &x, &y) == 0)
                    match = true;
            }
            if (find_match ? match : (!match && !saw_null))
                out[m++] = i;
        }
    }
done:
    for (uint32_t k = 0; k <= nitems; k++)
        opnd_free(&items[k]);
    delta_free(items);
    *nout = m;
    return rc;
}

/* ---- LIKE -------------------------------------------------------------------------------- */

static size_t utf8_len(uint8_t c)
{
    return c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
}

/* SQL LIKE: % any sequence, _ one character, esc makes the next pattern
 * character literal. Backtracks only to the last %, so it is linear in
 * practice. */
static bool like_match(const uint8_t *s, size_t ns, const uint8_t *p, size_t np, uint8_t esc)
{
    size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;
    while (si < ns) {
        if (pi < np) {
            uint8_t c = p[pi];
            if (c == '%') {
                star_p = ++pi;
                star_s = si;
                continue;
            }
            if (c == '_') {
                si += utf8_len(s[si]);
                pi++;
                continue;
            }
            if (c == esc && pi + 1 < np) {
                pi++;
                c = p[pi];
            }
            if (s[si] == c) {
                si++;
                pi++;
                continue;
            }
        }
        if (star_p != (size_t)-1) {
            star_s += utf8_len(s[star_s]);
            si = star_s;
            pi = star_p;
            continue;
        }
        return false;
    }
    if (si > ns)
        return false;
    while (pi < np && p[pi] == '%')
        pi++;
    return pi == np;
}

static int like_select(ev *e, const expr_node *n, const uint32_t *sel, int64_t nsel, bool want,
                       uint32_t *out, int64_t *nout)
{
    opnd s, p;
    int rc = get_opnd(e, n->args[0], sel, nsel, &s);
    if (rc)
        return rc;
    if ((rc = get_opnd(e, n->args[1], sel, nsel, &p))) {
        opnd_free(&s);
        return rc;
    }
    bool target = want != n->negated;
    int64_t m = 0;
    uint8_t esc = n->escape;
    /* a literal pattern of the form 'prefix%' with no other wildcard */
    bool prefix = false;
    size_t plen = 0;
    if (!p.v && !p.c.is_null && p.c.len > 0 && p.c.bytes[p.c.len - 1] == '%') {
        prefix = true;
        for (size_t k = 0; k + 1 < p.c.len; k++)
            if (p.c.bytes[k] == '%' || p.c.bytes[k] == '_' || p.c.bytes[k] == esc)
                prefix = false;
        plen = p.c.len - 1;
    }
    if (s.v && prefix) {
        const dvec *x = s.v;
        const uint8_t *vx = x->validity;
        const int32_t *ox = x->offsets;
        const uint8_t *pb = p.c.bytes;
        SEL_LOOP((!vx || dbit_get(vx, i)) &&
                 (((size_t)(ox[i + 1] - ox[i]) >= plen &&
                   (plen == 0 || memcmp(x->data + ox[i], pb, plen) == 0)) == target));
    } else {
        expr_value a, b;
        for (int64_t k = 0; k < nsel; k++) {
            uint32_t i = ROW(k);
            if (opnd_get(&s, i, &a) && opnd_get(&p, i, &b) &&
                like_match(a.bytes, a.len, b.bytes, b.len, esc) == target)
                out[m++] = i;
        }
    }
    opnd_free(&s);
    opnd_free(&p);
    *nout = m;
    return 0;
}

/* ---- select: the rows where a boolean node is `want` ------------------------------------- */

static int value_select(ev *e, const expr_node *n, const uint32_t *sel, int64_t nsel, bool want,
                        uint32_t *out, int64_t *nout)
{
    dvec *v;
    int rc = eval_node(e, n, sel, nsel, &v);
    if (rc)
        return rc;
    int64_t m = 0;
    if (v->type->id == DT_BOOL) {
        const uint8_t *vx = v->validity, *b = v->values;
        SEL_LOOP((!vx || dbit_get(vx, i)) && dbit_get(b, i) == want);
    }
    dvec_unref(v);
    *nout = m;
    return 0;
}

static int esel(ev *e, const expr_node *n, const uint32_t *sel, int64_t nsel, bool want,
                uint32_t *out, int64_t *nout)
{
    int rc;
    switch (n->kind) {
    case EX_LIT: {
        int64_t m = 0;
        if (!n->val.is_null && n->type->id == DT_BOOL && n->val.b == want)
            for (int64_t k = 0; k < nsel; k++)
                out[m++] = ROW(k);
        *nout = m;
        return 0;
    }
    case EX_NOT: return esel(e, n->args[0], sel, nsel, !want, out, nout);
    case EX_AND:
    case EX_OR: {
        /* AND-true / OR-false: narrow; AND-false / OR-true: union */
        bool narrow = (n->kind == EX_AND) == want;
        if (narrow) {
            int64_t m1;
            if ((rc = esel(e, n->args[0], sel, nsel, want, out, &m1)))
                return rc;
            uint32_t *tmp = sel_alloc(m1);
            if (!tmp)
                return DELTA_ENOMEM;
            memcpy(tmp, out, sizeof(uint32_t) * (size_t)m1);
            rc = esel(e, n->args[1], tmp, m1, want, out, nout);
            delta_free(tmp);
            return rc;
        }
        int64_t m1, nrest, m2;
        uint32_t *a = sel_alloc(nsel), *rest = sel_alloc(nsel), *b = sel_alloc(nsel);
        rc = DELTA_ENOMEM;
        if (a && rest && b && !(rc = esel(e, n->args[0], sel, nsel, want, a, &m1))) {
            nrest = sel_minus(sel, nsel, a, m1, rest);
            if (!(rc = esel(e, n->args[1], rest, nrest, want, b, &m2)))
                *nout = sel_union(a, m1, b, m2, out);
        }
        delta_free(a);
        delta_free(rest);
        delta_free(b);
        return rc;
    }
    case EX_ISNULL: {
        dvec *v;
        if ((rc = eval_node(e, n->args[0], sel, nsel, &v)))
            return rc;
        /* row matches when (is null) == (want != negated) */
        bool want_null = want != n->negated;
        int64_t m = 0;
        const uint8_t *vx = v->validity;
        if (v->type->id == DT_NULL) {
            if (want_null)
                for (int64_t k = 0; k < nsel; k++)
                    out[m++] = ROW(k);
        } else if (!vx) {
            if (!want_null)
                for (int64_t k = 0; k < nsel; k++)
                    out[m++] = ROW(k);
        } else {
            SEL_LOOP(dbit_get(vx, i) != want_null);
        }
        dvec_unref(v);
        *nout = m;
        return 0;
    }
    case EX_EQ:
    case EX_NE:
    case EX_LT:
    case EX_LE:
    case EX_GT:
    case EX_GE: {
        int op = cmp_code(n->kind);
        if (!want)
            op = cmp_negate(op);
        return compare_select(e, n->args[0], n->args[1], op, sel, nsel, out, nout);
    }
    case EX_EQNS: return eqns_select(e, n, sel, nsel, want, out, nout);
    case EX_IN: return in_select(e, n, sel, nsel, want, out, nout);
    case EX_LIKE: return like_select(e, n, sel, nsel, want, out, nout);
    default: return value_select(e, n, sel, nsel, want, out, nout);
    }
}

static bool is_predicate(expr_kind k)
{
    switch (k) {
    case EX_NOT:
    case EX_AND:
    case EX_OR:
    case EX_ISNULL:
    case EX_EQ:
    case EX_NE:
    case EX_LT:
    case EX_LE:
    case EX_GT:
    case EX_GE:
    case EX_EQNS:
    case EX_IN:
    case EX_LIKE: return true;
    default: return false;
    }
}

/* A predicate's value: TRUE rows, FALSE rows, the rest NULL. */
static int eval_predicate(ev *e, const expr_node *n, const uint32_t *sel, int64_t nsel,
                          dvec **out)
{
    uint32_t *t = sel_alloc(nsel), *f = sel_alloc(nsel);
    int64_t nt = 0, nf = 0;
    dvec *v = NULL;
    int rc = DELTA_ENOMEM;
    if (!t || !f)
        goto done;
    if ((rc = esel(e, n, sel, nsel, true, t, &nt)) || (rc = esel(e, n, sel, nsel, false, f, &nf)))
        goto done;
    if ((rc = vec_fixed(n->type, e->in->nrows, &v)))
        goto done;
    for (int64_t k = 0; k < nt; k++) {
        set_valid(v, t[k]);
        dbit_set(v->values, t[k]);
    }
    for (int64_t k = 0; k < nf; k++)
        set_valid(v, f[k]);
    dvec_set_length(v, e->in->nrows);
    *out = v;
done:
    delta_free(t);
    delta_free(f);
    return rc;
}

/* ---- arithmetic ------------------------------------------------------------------------ */

static int int_overflow(const expr_node *n)
{
    dbuf t = DBUF_INIT;
    dtype_format(n->type, &t);
    dbuf msg = DBUF_INIT;
    dbuf_printf(&msg, "integer overflow (result does not fit %s)", dbuf_cstr(&t));
    int rc = node_error(n, DELTA_ERANGE, dbuf_cstr(&msg));
    dbuf_free(&t);
    dbuf_free(&msg);
    return rc;
}

static int dec_overflow(const expr_node *n)
{
    dbuf t = DBUF_INIT;
    dtype_format(n->type, &t);
    dbuf msg = DBUF_INIT;
    dbuf_printf(&msg, "decimal overflow (result does not fit %s)", dbuf_cstr(&t));
    int rc = node_error(n, DELTA_ERANGE, dbuf_cstr(&msg));
    dbuf_free(&t);
    dbuf_free(&msg);
    return rc;
}

static inline int64_t ld_int(const dvec *v, size_t w, int64_t i)
{
    switch (w) {
    case 1: return ((const int8_t *)v->values)[i];
    case 2: return ((const int16_t *)v->values)[i];
    case 4: return ((const int32_t *)v->values)[i];
    default: return ((const int64_t *)v->values)[i];
    }
}

static inline void st_int(dvec *v, size_t w, int64_t i, int64_t x)
{
    switch (w) {
    case 1: ((int8_t *)v->values)[i] = (int8_t)x; break;
    case 2: ((int16_t *)v->values)[i] = (int16_t)x; break;
    case 4: ((int32_t *)v->values)[i] = (int32_t)x; break;
    default: ((int64_t *)v->values)[i] = x; break;
    }
}

static inline bool opnd_valid(const opnd *o, int64_t i)
{
    return o->v ? dvec_is_valid(o->v, i) : !o->c.is_null;
}

/* Splits a decimal of scale s into its value at scale rs (truncated) and
 * the remainder in units of 10^-(rs+k). */
static bool dec_split(expr_i128 x, int s, int rs, int k, expr_i128 *hi, expr_i128 *lo)
{
    if (s <= rs) {
        *lo = 0;
        return expr_dec_rescale(x, s, rs, hi);
    }
    expr_i128 p = expr_pow10((unsigned)(s - rs));
    *hi = x / p;
    *lo = (x % p) * expr_pow10((unsigned)(rs + k - s));
    return true;
}

static int dec_addsub(const expr_node *n, expr_i128 a, int s1, expr_i128 b, int s2, bool sub,
                      int rs, expr_i128 *out)
{
    int ms = s1 > s2 ? s1 : s2;
    if (sub)
        b = -b;
    if (rs >= ms) {
        expr_i128 x, y, r;
        if (!expr_dec_rescale(a, s1, rs, &x) || !expr_dec_rescale(b, s2, rs, &y) ||
            __builtin_add_overflow(x, y, &r))
            return dec_overflow(n);
        *out = r;
        return 0;
    }
    int k = ms - rs;
    expr_i128 ah, al, bh, bl, S, R;
    if (!dec_split(a, s1, rs, k, &ah, &al) || !dec_split(b, s2, rs, k, &bh, &bl) ||
        __builtin_add_overflow(ah, bh, &S))
        return dec_overflow(n);
    R = al + bl;
    expr_i128 pk = expr_pow10((unsigned)k);
    S += R / pk;
    R %= pk;
    if (S > 0 && R < 0) {
        S -= 1;
        R += pk;
    } else if (S < 0 && R > 0) {
        S += 1;
        R -= pk;
    }
    expr_i128 ar = R < 0 ? -R : R;
    if (ar * 2 >= pk)
        S += (S < 0 || (S == 0 && R < 0)) ? -1 : 1;
    *out = S;
    return 0;
}

static int eval_arith(ev *e, const expr_node *n, const uint32_t *sel, int64_t nsel, dvec **out)
{
    opnd l, r;
    int rc = get_opnd(e, n->args[0], sel, nsel, &l);
    if (rc)
        return rc;
    if ((rc = get_opnd(e, n->args[1], sel, nsel, &r))) {
        opnd_free(&l);
        return rc;
    }
    dvec *v = NULL;
    const dtype *t = n->type;
    if ((rc = vec_fixed(t, e->in->nrows, &v)))
        goto done;
    expr_kind op = n->kind;
    if (t->id == DT_DATE32) { /* date +/- days */
        for (int64_t k = 0; k < nsel; k++) {
            uint32_t i = ROW(k);
            expr_value a, b;
            if (!opnd_get(&l, i, &a) || !opnd_get(&r, i, &b))
                continue;
            int64_t d = op == EX_ADD ? a.i + b.i : a.i - b.i;
            if (d < INT32_MIN || d > INT32_MAX) {
                rc = int_overflow(n);
                goto done;
            }
            ((int32_t *)v->values)[i] = (int32_t)d;
            set_valid(v, i);
        }
    } else if (dtype_is_integer(t)) {
        size_t w = dtype_byte_width(t);
        int64_t lo = w == 1 ? INT8_MIN : w == 2 ? INT16_MIN : w == 4 ? INT32_MIN : INT64_MIN;
        int64_t hi = w == 1 ? INT8_MAX : w == 2 ? INT16_MAX : w == 4 ? INT32_MAX : INT64_MAX;
        bool lvalid = !l.v || !l.v->validity, rvalid = !r.v || !r.v->validity;
        int64_t cl = l.c.i, cr = r.c.i;
        for (int64_t k = 0; k < nsel; k++) {
            uint32_t i = ROW(k);
            if (!(lvalid && rvalid) && !(opnd_valid(&l, i) && opnd_valid(&r, i)))
                continue;
            if ((!l.v && l.c.is_null) || (!r.v && r.c.is_null))
                continue;
            int64_t a = l.v ? ld_int(l.v, w, i) : cl;
            int64_t b = r.v ? ld_int(r.v, w, i) : cr;
            int64_t x;
            bool ovf = false;
            switch (op) {
            case EX_ADD: ovf = __builtin_add_overflow(a, b, &x); break;
            case EX_SUB: ovf = __builtin_sub_overflow(a, b, &x); break;
            case EX_MUL: ovf = __builtin_mul_overflow(a, b, &x); break;
            default: /* MOD */
                if (b == 0)
                    continue; /* NULL */
                x = b == -1 ? 0 : a % b;
                break;
            }
            if (ovf || x < lo || x > hi) {
                rc = int_overflow(n);
                goto done;
            }
            st_int(v, w, i, x);
            set_valid(v, i);
        }
    } else if (t->id == DT_FLOAT64 || t->id == DT_FLOAT32) {
        bool f32 = t->id == DT_FLOAT32;
        for (int64_t k = 0; k < nsel; k++) {
            uint32_t i = ROW(k);
            expr_value a, b;
            if (!opnd_get(&l, i, &a) || !opnd_get(&r, i, &b))
                continue;
            double x;
            switch (op) {
            case EX_ADD: x = a.d + b.d; break;
            case EX_SUB: x = a.d - b.d; break;
            case EX_MUL: x = a.d * b.d; break;
            case EX_DIV:
                if (b.d == 0)
                    continue;
                x = a.d / b.d;
                break;
            default:
                if (b.d == 0)
                    continue;
                x = fmod(a.d, b.d);
                break;
            }
            if (f32)
                ((float *)v->values)[i] = (float)x;
            else
                ((double *)v->values)[i] = x;
            set_valid(v, i);
        }
    } else if (t->id == DT_DECIMAL) {
        int s1 = n->args[0]->type->scale, s2 = n->args[1]->type->scale, rs = t->scale;
        for (int64_t k = 0; k < nsel; k++) {
            uint32_t i = ROW(k);
            expr_value a, b;
            if (!opnd_get(&l, i, &a) || !opnd_get(&r, i, &b))
                continue;
            expr_i128 x;
            switch (op) {
            case EX_ADD:
            case EX_SUB:
                if ((rc = dec_addsub(n, a.dec, s1, b.dec, s2, op == EX_SUB, rs, &x)))
                    goto done;
                break;
            case EX_MUL:
                if (!expr_dec_mul(a.dec, b.dec, (unsigned)(s1 + s2 - rs), &x)) {
                    rc = dec_overflow(n);
                    goto done;
                }
                break;
            case EX_DIV:
                if (b.dec == 0)
                    continue;
                if (!expr_dec_div(a.dec, b.dec, (unsigned)(rs + s2 - s1), &x)) {
                    rc = dec_overflow(n);
                    goto done;
                }
                break;
            default: { /* MOD */
                if (b.dec == 0)
                    continue;
                int ms = s1 > s2 ? s1 : s2;
                expr_i128 x1, y1;
                if (!expr_dec_rescale(a.dec, s1, ms, &x1) || !expr_dec_rescale(b.dec, s2, ms, &y1)) {
                    rc = dec_overflow(n);
                    goto done;
                }
                expr_dec_rescale(x1 % y1, ms, rs, &x);
                break;
            }
            }
            if (!expr_dec_fits(x, t->precision)) {
                rc = dec_overflow(n);
                goto done;
            }
            memcpy((uint8_t *)v->values + 16 * (size_t)i, &x, 16);
            set_valid(v, i);
        }
    } else {
        rc = delta_error_set(DELTA_ETYPE, "arithmetic on this type at position %u", n->pos);
        goto done;
    }
    dvec_set_length(v, e->in->nrows);
    *out = v;
    v = NULL;
done:
    if (v)
        dvec_unref(v);
    opnd_free(&l);
    opnd_free(&r);
    return rc;
}

static int eval_neg(ev *e, const expr_node *n, const uint32_t *sel, int64_t nsel, dvec **out)
{
    opnd a;
    int rc = get_opnd(e, n->args[0], sel, nsel, &a);
    if (rc)
        return rc;
    vwriter w;
    if ((rc = vw_open(&w, n->type, e->in->nrows))) {
        opnd_free(&a);
        return rc;
    }
    const dtype *t = n->type;
    for (int64_t k = 0; k < nsel && !w.rc; k++) {
        uint32_t i = ROW(k);
        expr_value x;
        if (!opnd_get(&a, i, &x))
            continue;
        switch (t->id) {
        case DT_FLOAT32:
        case DT_FLOAT64: x.d = -x.d; break;
        case DT_DECIMAL: x.dec = -x.dec; break;
        default: {
            int64_t lo = t->id == DT_INT8 ? INT8_MIN : t->id == DT_INT16 ? INT16_MIN
                                                   : t->id == DT_INT32 ? INT32_MIN : INT64_MIN;
            if (x.i == lo) {
                rc = int_overflow(n);
                goto fail;
            }
            x.i = -x.i;
            break;
        }
        }
        vw_put(&w, i, &x);
    }
    opnd_free(&a);
    return vw_close(&w, e->in->nrows, out);
fail:
    opnd_free(&a);
    dvec_unref(w.v);
    return rc;
}

/* ---- casts --------------------------------------------------------------------------- */

static int eval_cast(ev *e, const expr_node *n, const uint32_t *sel, int64_t nsel, dvec **out)
{
    opnd a;
    int rc = get_opnd(e, n->args[0], sel, nsel, &a);
    if (rc)
        return rc;
    const dtype *from = n->args[0]->type, *to = n->type;
    vwriter w;
    if ((rc = vw_open(&w, to, e->in->nrows))) {
        opnd_free(&a);
        return rc;
    }
    for (int64_t k = 0; k < nsel && !w.rc; k++) {
        uint32_t i = ROW(k);
        expr_value x, y;
        if (!opnd_get(&a, i, &x))
            continue;
        if ((rc = expr_cast_value(from, &x, to, &y, &e->scratch))) {
            dbuf s = DBUF_INIT;
            expr_node_format(n, &s);
            rc = delta_error_prefix(rc, "in %s at position %u: ", dbuf_cstr(&s), n->pos);
            dbuf_free(&s);
            dvec_unref(w.v);
            opnd_free(&a);
            return rc;
        }
        vw_put(&w, i, &y);
    }
    opnd_free(&a);
    return vw_close(&w, e->in->nrows, out);
}

/* ---- CASE, IF, COALESCE --------------------------------------------------------------- */

/* Evaluates `nb` branches each on its own rows and merges them by row. */
typedef struct branch {
    uint32_t *rows;
    int64_t n;
    dvec *v;
} branch;

static int merge_branches(ev *e, const dtype *t, branch *b, uint32_t nb, dvec **out)
{
    vwriter w;
    int rc = vw_open(&w, t, e->in->nrows);
    if (rc)
        return rc;
    int64_t *pos = delta_calloc(nb ? nb : 1, sizeof(int64_t));
    if (!pos) {
        dvec_unref(w.v);
        return DELTA_ENOMEM;
    }
    /* k-way merge of sorted row lists */
    for (;;) {
        uint32_t best = UINT32_MAX, bi = 0;
        for (uint32_t j = 0; j < nb; j++)
            if (pos[j] < b[j].n && b[j].rows[pos[j]] < best) {
                best = b[j].rows[pos[j]];
                bi = j;
            }
        if (best == UINT32_MAX)
            break;
        expr_value x;
        if (b[bi].v && expr_vec_get(b[bi].v, best, &x))
            vw_put(&w, best, &x);
        pos[bi]++;
    }
    delta_free(pos);
    return vw_close(&w, e->in->nrows, out);
}

static void branches_free(branch *b, uint32_t nb)
{
    for (uint32_t j = 0; j < nb; j++) {
        delta_free(b[j].rows);
        if (b[j].v)
            dvec_unref(b[j].v);
    }
    delta_free(b);
}

/* conds[j] (NULL = always) guards vals[j]; a row takes the first branch
 * whose condition is TRUE. */
static int eval_guarded(ev *e, const dtype *t, const expr_node *const *conds,
                        const expr_node *const *vals, uint32_t nb, const uint32_t *sel,
                        int64_t nsel, dvec **out)
{
    branch *b = delta_calloc(nb ? nb : 1, sizeof(branch));
    uint32_t *rest = sel_alloc(nsel), *tmp = sel_alloc(nsel);
    int rc = DELTA_ENOMEM;
    if (!b || !rest || !tmp)
        goto done;
    int64_t nrest = nsel;
    for (int64_t k = 0; k < nsel; k++)
        rest[k] = ROW(k);
    for (uint32_t j = 0; j < nb && nrest > 0; j++) {
        int64_t m;
        if (!(b[j].rows = sel_alloc(nrest))) {
            rc = DELTA_ENOMEM;
            goto done;
        }
        if (conds[j]) {
            if ((rc = esel(e, conds[j], rest, nrest, true, b[j].rows, &m)))
                goto done;
        } else {
            memcpy(b[j].rows, rest, sizeof(uint32_t) * (size_t)nrest);
            m = nrest;
        }
        b[j].n = m;
        if (m > 0 && (rc = eval_node(e, vals[j], b[j].rows, m, &b[j].v)))
            goto done;
        int64_t nr = sel_minus(rest, nrest, b[j].rows, m, tmp);
        memcpy(rest, tmp, sizeof(uint32_t) * (size_t)nr);
        nrest = nr;
    }
    rc = merge_branches(e, t, b, nb, out);
done:
    if (b)
        branches_free(b, nb);
    delta_free(rest);
    delta_free(tmp);
    return rc;
}

static int eval_case(ev *e, const expr_node *n, const uint32_t *sel, int64_t nsel, dvec **out)
{
    uint32_t nthen = n->nargs / 2, nb = nthen + n->nargs % 2;
    const expr_node **conds = delta_calloc(nb, sizeof(expr_node *));
    const expr_node **vals = delta_calloc(nb, sizeof(expr_node *));
    int rc = DELTA_ENOMEM;
    if (conds && vals) {
        for (uint32_t j = 0; j < nthen; j++) {
            conds[j] = n->args[2 * j];
            vals[j] = n->args[2 * j + 1];
        }
        if (nb > nthen)
            vals[nthen] = n->args[n->nargs - 1];
        rc = eval_guarded(e, n->type, conds, vals, nb, sel, nsel, out);
    }
    delta_free(conds);
    delta_free(vals);
    return rc;
}

static int eval_coalesce(ev *e, const expr_node *n, const uint32_t *sel, int64_t nsel,
                         dvec **out)
{
    uint32_t nb = n->nargs;
    branch *b = delta_calloc(nb, sizeof(branch));
    uint32_t *rest = sel_alloc(nsel), *tmp = sel_alloc(nsel);
    int rc = DELTA_ENOMEM;
    if (!b || !rest || !tmp)
        goto done;
    int64_t nrest = nsel;
    for (int64_t k = 0; k < nsel; k++)
        rest[k] = ROW(k);
    for (uint32_t j = 0; j < nb && nrest > 0; j++) {
        if ((rc = eval_node(e, n->args[j], rest, nrest, &b[j].v)))
            goto done;
        if (!(b[j].rows = sel_alloc(nrest))) {
            rc = DELTA_ENOMEM;
            goto done;
        }
        int64_t m = 0, nr = 0;
        for (int64_t k = 0; k < nrest; k++) {
            if (dvec_is_valid(b[j].v, rest[k]))
                b[j].rows[m++] = rest[k];
            else
                tmp[nr++] = rest[k];
        }
        b[j].n = m;
        memcpy(rest, tmp, sizeof(uint32_t) * (size_t)nr);
        nrest = nr;
    }
    rc = merge_branches(e, n->type, b, nb, out);
done:
    if (b)
        branches_free(b, nb);
    delta_free(rest);
    delta_free(tmp);
    return rc;
}

/* ---- functions ------------------------------------------------------------------------ */

static uint32_t utf8_next(const uint8_t *s, size_t n, size_t *i)
{
    uint8_t c = s[*i];
    size_t l = utf8_len(c);
    if (*i + l > n)
        l = 1;
    uint32_t cp = c;
    if (l == 2)
        cp = ((uint32_t)(c & 0x1f) << 6) | (s[*i + 1] & 0x3f);
    else if (l == 3)
        cp = ((uint32_t)(c & 0x0f) << 12) | ((uint32_t)(s[*i + 1] & 0x3f) << 6) | (s[*i + 2] & 0x3f);
    else if (l == 4)
        cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[*i + 1] & 0x3f) << 12) |
             ((uint32_t)(s[*i + 2] & 0x3f) << 6) | (s[*i + 3] & 0x3f);
    *i += l;
    return cp;
}

static void utf8_put(dbuf *b, uint32_t cp)
{
    if (cp < 0x80) {
        dbuf_putc(b, (uint8_t)cp);
    } else if (cp < 0x800) {
        dbuf_putc(b, (uint8_t)(0xc0 | (cp >> 6)));
        dbuf_putc(b, (uint8_t)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        dbuf_putc(b, (uint8_t)(0xe0 | (cp >> 12)));
        dbuf_putc(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
        dbuf_putc(b, (uint8_t)(0x80 | (cp & 0x3f)));
    } else {
        dbuf_putc(b, (uint8_t)(0xf0 | (cp >> 18)));
        dbuf_putc(b, (uint8_t)(0x80 | ((cp >> 12) & 0x3f)));
        dbuf_putc(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
        dbuf_putc(b, (uint8_t)(0x80 | (cp & 0x3f)));
    }
}

/* Case mapping of ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic. */
static uint32_t case_map(uint32_t c, bool upper)
{
    if (upper) {
        if ((c >= 'a' && c <= 'z') || (c >= 0xe0 && c <= 0xfe && c != 0xf7) ||
            (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2) || (c >= 0x430 && c <= 0x44f))
            return c - (c >= 0x430 ? 32 : c >= 0x3b1 ? 32 : 32);
        if (c >= 0x450 && c <= 0x45f)
            return c - 80;
        if (c >= 0x100 && c <= 0x17f && c != 0x131 && c != 0x138 && c != 0x149 &&
            ((c < 0x139 || c > 0x148) ? (c & 1) : !(c & 1)) && c != 0x17f)
            return c - 1;
        if (c == 0xff)
            return 0x178;
        return c;
    }
    if ((c >= 'A' && c <= 'Z') || (c >= 0xc0 && c <= 0xde && c != 0xd7) ||
        (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) || (c >= 0x410 && c <= 0x42f))
        return c + 32;
    if (c >= 0x400 && c <= 0x40f)
        return c + 80;
    if (c >= 0x100 && c <= 0x17f && c != 0x130 && c != 0x138 && c != 0x149 &&
        ((c < 0x139 || c > 0x148) ? !(c & 1) : (c & 1)) && c != 0x17f)
        return c + 1;
    if (c == 0x178)
        return 0xff;
    return c;
}

static void round_double_text(double d, int scale, double *out)
{
    if (!isfinite(d)) {
        *out = d;
        return;
    }
    char buf[64];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    /* digits and exponent of the shortest form */
    char dig[40];
    int nd = 0;
    const char *c = buf;
    bool neg = *c == '-';
    if (neg)
        c++;
    for (; *c && *c != 'e'; c++)
        if (*c >= '0' && *c <= '9')
            dig[nd++] = *c;
    int ex = atoi(c + 1);
    /* value = 0.dig * 10^(ex+1); keep digits up to position ex+1+scale */
    int keep = ex + 1 + scale;
    if (keep >= nd) {
        *out = d;
        return;
    }
    if (keep < 0) {
        *out = neg ? -0.0 : 0.0;
        return;
    }
    bool up = dig[keep] >= '5';
    char num[80];
    int p = 0;
    num[p++] = '0'; /* room for a carry */
    for (int k = 0; k < keep; k++)
        num[p++] = dig[k];
    if (up) {
        int k = p - 1;
        while (k >= 0 && num[k] == '9') {
            num[k] = '0';
            k--;
        }
        if (k >= 0)
            num[k]++;
    }
    num[p] = '\0';
    char text[128];
    snprintf(text, sizeof text, "%s%se%d", neg ? "-" : "", num, ex + 1 - keep);
    *out = strtod(text, NULL);
}

static int fn_error(const expr_node *n, const char *what)
{
    return node_error(n, DELTA_ERANGE, what);
}

/* One row of a scalar function; args are the argument values (all non-null
 * unless the function handles nulls itself). Returns 0 with *res set (its
 * is_null may be true). String results go to e->scratch. */
static int fn_row(ev *e, const expr_node *n, expr_value *a, expr_value *res)
{
    memset(res, 0, sizeof *res);
    dbuf *sb = &e->scratch;
    switch (n->fn) {
    case EF_LOWER:
    case EF_UPPER: {
        dbuf_reset(sb);
        size_t i = 0;
        while (i < a[0].len) {
            uint32_t cp = utf8_next(a[0].bytes, a[0].len, &i);
            utf8_put(sb, case_map(cp, n->fn == EF_UPPER));
        }
        if (sb->err)
            return sb->err;
        res->bytes = sb->data ? sb->data : (const uint8_t *)"";
        res->len = sb->len;
        return 0;
    }
    case EF_TRIM:
    case EF_LTRIM:
    case EF_RTRIM: {
        const uint8_t *p = a[0].bytes;
        size_t len = a[0].len;
        if (n->fn != EF_RTRIM)
            while (len && *p == ' ') {
                p++;
                len--;
            }
        if (n->fn != EF_LTRIM)
            while (len && p[len - 1] == ' ')
                len--;
        res->bytes = p;
        res->len = len;
        return 0;
    }
    case EF_SUBSTRING: {
        bool bin = n->type->id == DT_BINARY;
        int64_t pos = a[1].i, length = n->nargs > 2 ? a[2].i : INT32_MAX;
        /* count characters */
        int64_t nchars = 0;
        if (bin) {
            nchars = (int64_t)a[0].len;
        } else {
            for (size_t i = 0; i < a[0].len;) {
                utf8_next(a[0].bytes, a[0].len, &i);
                nchars++;
            }
        }
        int64_t start = pos > 0 ? pos - 1 : pos < 0 ? nchars + pos : 0;
        int64_t end = start + length;
        if (start < 0)
            start = 0;
        if (end > nchars)
            end = nchars;
        res->bytes = a[0].bytes;
        res->len = 0;
        if (start >= end)
            return 0;
        if (bin) {
            res->bytes = a[0].bytes + start;
            res->len = (size_t)(end - start);
            return 0;
        }
        size_t i = 0, bs = 0;
        int64_t ci = 0;
        while (i < a[0].len && ci < start) {
            utf8_next(a[0].bytes, a[0].len, &i);
            ci++;
        }
        bs = i;
        while (i < a[0].len && ci < end) {
            utf8_next(a[0].bytes, a[0].len, &i);
            ci++;
        }
        res->bytes = a[0].bytes + bs;
        res->len = i - bs;
        return 0;
    }
    case EF_CONCAT: {
        dbuf_reset(sb);
        for (uint32_t k = 0; k < n->nargs; k++)
            dbuf_append(sb, a[k].bytes, a[k].len);
        if (sb->err)
            return sb->err;
        res->bytes = sb->data ? sb->data : (const uint8_t *)"";
        res->len = sb->len;
        return 0;
    }
    case EF_LENGTH: {
        if (n->args[0]->type->id == DT_BINARY) {
            res->i = (int64_t)a[0].len;
            return 0;
        }
        int64_t c = 0;
        for (size_t i = 0; i < a[0].len; i += utf8_len(a[0].bytes[i]))
            c++;
        res->i = c;
        return 0;
    }
    case EF_ABS:
        switch (n->type->id) {
        case DT_FLOAT32:
        case DT_FLOAT64: res->d = fabs(a[0].d); return 0;
        case DT_DECIMAL: res->dec = a[0].dec < 0 ? -a[0].dec : a[0].dec; return 0;
        default: {
            int64_t lo = n->type->id == DT_INT8 ? INT8_MIN : n->type->id == DT_INT16 ? INT16_MIN
                                                : n->type->id == DT_INT32 ? INT32_MIN : INT64_MIN;
            if (a[0].i == lo)
                return int_overflow(n);
            res->i = a[0].i < 0 ? -a[0].i : a[0].i;
            return 0;
        }
        }
    case EF_ROUND:
    case EF_FLOOR:
    case EF_CEIL: {
        const dtype *at = n->args[0]->type;
        int scale = n->fn == EF_ROUND && n->nargs > 1 ? (int)n->args[1]->val.i : 0;
        if (at->id == DT_DECIMAL) {
            int s = at->scale, rs = n->type->scale;
            expr_i128 v = a[0].dec, q;
            if (n->fn == EF_ROUND) {
                int target = scale < rs ? scale : rs;
                if (target < 0) {
                    /* round to tens, hundreds, ...; the result keeps scale 0 */
                    expr_dec_rescale(v, s, target, &q);
                    if (!expr_dec_rescale(q, target, rs, &q))
                        return dec_overflow(n);
                } else {
                    expr_dec_rescale(v, s, rs, &q);
                }
            } else {
                expr_i128 p = expr_pow10((unsigned)s);
                q = v / p;
                expr_i128 r = v % p;
                if (n->fn == EF_FLOOR && r < 0)
                    q--;
                if (n->fn == EF_CEIL && r > 0)
                    q++;
            }
            if (!expr_dec_fits(q, n->type->precision))
                return dec_overflow(n);
            res->dec = q;
            return 0;
        }
        if (at->id == DT_FLOAT64 || at->id == DT_FLOAT32) {
            if (n->fn == EF_ROUND) {
                round_double_text(a[0].d, scale, &res->d);
                if (at->id == DT_FLOAT32)
                    res->d = (double)(float)res->d;
                return 0;
            }
            double d = n->fn == EF_FLOOR ? floor(a[0].d) : ceil(a[0].d);
            if (isnan(d) || d >= 9223372036854775808.0 || d < -9223372036854775808.0)
                return int_overflow(n);
            res->i = (int64_t)d;
            return 0;
        }
        /* integers */
        if (n->fn != EF_ROUND || scale >= 0) {
            res->i = a[0].i;
            return 0;
        }
        {
            if (scale < -18) {
                res->i = 0;
                return 0;
            }
            int64_t p = 1;
            for (int k = 0; k < -scale; k++)
                p *= 10;
            int64_t x = a[0].i, q = x / p, r = x % p;
            if (r >= (p + 1) / 2 && r * 2 >= p)
                q++;
            else if (r < 0 && -r * 2 >= p)
                q--;
            int64_t y;
            if (__builtin_mul_overflow(q, p, &y))
                return int_overflow(n);
            int64_t lo = n->type->id == DT_INT8 ? INT8_MIN : n->type->id == DT_INT16 ? INT16_MIN
                                                : n->type->id == DT_INT32 ? INT32_MIN : INT64_MIN;
            int64_t hi = -(lo + 1);
            if (y < lo || y > hi)
                return int_overflow(n);
            res->i = y;
            return 0;
        }
    }
    case EF_YEAR:
    case EF_MONTH:
    case EF_DAY: {
        int64_t y;
        unsigned m, d;
        dtime_civil_from_days(a[0].i, &y, &m, &d);
        res->i = n->fn == EF_YEAR ? y : n->fn == EF_MONTH ? (int64_t)m : (int64_t)d;
        return 0;
    }
    case EF_HOUR: {
        int64_t us = a[0].i - expr_floordiv(a[0].i, 86400000000LL) * 86400000000LL;
        res->i = us / 3600000000LL;
        return 0;
    }
    case EF_DATE_TRUNC: {
        const expr_node *u = n->args[0];
        int unit = expr_trunc_unit((const char *)u->val.bytes, u->val.len);
        res->i = expr_trunc_micros(unit, a[1].i);
        return 0;
    }
    case EF_DATE_ADD: {
        int64_t d = a[0].i + a[1].i;
        if (d < INT32_MIN || d > INT32_MAX)
            return fn_error(n, "date out of range");
        res->i = d;
        return 0;
    }
    case EF_DATEDIFF: res->i = a[0].i - a[1].i; return 0;
    case EF_TO_DATE:
    case EF_TO_TIMESTAMP:
        if (n->nargs == 2) {
            int64_t us;
            if (!expr_parse_datetime(a[0].bytes, a[0].len, a[1].bytes, a[1].len, &us)) {
                res->is_null = true;
                return 0;
            }
            res->i = n->fn == EF_TO_DATE ? expr_floordiv(us, 86400000000LL) : us;
            return 0;
        }
        *res = a[0];
        return 0;
    default: break;
    }
    return delta_error_set(DELTA_EINVAL, "function %s at position %u cannot be evaluated", n->name,
                           n->pos);
}

static int eval_function(ev *e, const expr_node *n, const uint32_t *sel, int64_t nsel, dvec **out)
{
    switch (n->fn) {
    case EF_COALESCE: return eval_coalesce(e, n, sel, nsel, out);
    case EF_IF: {
        const expr_node *conds[2] = {n->args[0], NULL};
        const expr_node *vals[2] = {n->args[1], n->args[2]};
        return eval_guarded(e, n->type, conds, vals, 2, sel, nsel, out);
    }
    default: break;
    }
    uint32_t na = n->nargs;
    opnd *args = delta_calloc(na ? na : 1, sizeof(opnd));
    expr_value *vals = delta_calloc(na ? na : 1, sizeof(expr_value));
    int rc = DELTA_ENOMEM;
    vwriter w = {0};
    if (!args || !vals)
        goto done;
    rc = 0;
    for (uint32_t k = 0; k < na && !rc; k++) {
        if (n->fn == EF_DATE_TRUNC && k == 0)
            continue; /* the unit literal */
        rc = get_opnd(e, n->args[k], sel, nsel, &args[k]);
    }
    if (rc || (rc = vw_open(&w, n->type, e->in->nrows)))
        goto done;
    if (n->fn == EF_NULLIF) {
        const dtype *t = n->args[0]->type;
        for (int64_t k = 0; k < nsel; k++) {
            uint32_t i = ROW(k);
            if (!opnd_get(&args[0], i, &vals[0]))
                continue;
            if (opnd_get(&args[1], i, &vals[1]) && expr_value_cmp(t, &vals[0], &vals[1]) == 0)
                continue;
            vw_put(&w, i, &vals[0]);
        }
    } else {
        for (int64_t k = 0; k < nsel && !w.rc; k++) {
            uint32_t i = ROW(k);
            bool isnull = false;
            for (uint32_t j = 0; j < na; j++) {
                if (n->fn == EF_DATE_TRUNC && j == 0)
                    continue;
                if (!opnd_get(&args[j], i, &vals[j]))
                    isnull = true;
            }
            if (isnull)
                continue;
            expr_value r;
            if ((rc = fn_row(e, n, vals, &r))) {
                dvec_unref(w.v);
                w.v = NULL;
                goto done;
            }
            if (!r.is_null)
                vw_put(&w, i, &r);
        }
    }
    rc = vw_close(&w, e->in->nrows, out);
    w.v = NULL;
done:
    for (uint32_t k = 0; args && k < na; k++)
        opnd_free(&args[k]);
    delta_free(args);
    delta_free(vals);
    return rc;
}

static int eval_concat_op(ev *e, const expr_node *n, const uint32_t *sel, int64_t nsel,
                          dvec **out)
{
    opnd a, b;
    int rc = get_opnd(e, n->args[0], sel, nsel, &a);
    if (rc)
        return rc;
    if ((rc = get_opnd(e, n->args[1], sel, nsel, &b))) {
        opnd_free(&a);
        return rc;
    }
    vwriter w;
    if ((rc = vw_open(&w, n->type, e->in->nrows)) == 0) {
        for (int64_t k = 0; k < nsel && !w.rc; k++) {
            uint32_t i = ROW(k);
            expr_value x, y;
            if (!opnd_get(&a, i, &x) || !opnd_get(&b, i, &y))
                continue;
            dbuf_reset(&e->scratch);
            dbuf_append(&e->scratch, x.bytes, x.len);
            dbuf_append(&e->scratch, y.bytes, y.len);
            if (e->scratch.err) {
                w.rc = e->scratch.err;
                break;
            }
            vw_put_bytes(&w, i, e->scratch.data, e->scratch.len);
        }
        rc = vw_close(&w, e->in->nrows, out);
    }
    opnd_free(&a);
    opnd_free(&b);
    return rc;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static int eval_node(ev *e, const expr_node *n, const uint32_t *sel, int64_t nsel, dvec **out)
{
    if (is_predicate(n->kind))
        return eval_predicate(e, n, sel, nsel, out);
    switch (n->kind) {
    case EX_LIT: return eval_literal(e, n, sel, nsel, out);
    case EX_COL: return eval_column(e, n, out);
    case EX_NEG: return eval_neg(e, n, sel, nsel, out);
    case EX_ADD:
    case EX_SUB:
    case EX_MUL:
    case EX_DIV:
    case EX_MOD: return eval_arith(e, n, sel, nsel, out);
    case EX_CONCAT: return eval_concat_op(e, n, sel, nsel, out);
    case EX_CASE: return eval_case(e, n, sel, nsel, out);
    case EX_CAST: return eval_cast(e, n, sel, nsel, out);
    case EX_FUNC: return eval_function(e, n, sel, nsel, out);
    default: break;
    }
    return delta_error_set(DELTA_EINVAL, "expression at position %u cannot be evaluated", n->pos);
}

static int check_input(const expr_input *in)
{
    if (in->nrows < 0 || in->nrows > UINT32_MAX)
        return delta_error_set(DELTA_EINVAL, "batch of %lld rows: expected 0 to %u rows",
                               (long long)in->nrows, UINT32_MAX);
    return 0;
}

int expr_eval(const expr_node *n, const expr_input *in, const uint32_t *sel, int64_t nsel,
              dvec **out)
{
    *out = NULL;
    int rc = check_input(in);
    if (rc)
        return rc;
    if (!n->type)
        return delta_error_set(DELTA_EINVAL, "expression is not bound");
    ev e = {in, DBUF_INIT};
    if (!sel)
        nsel = in->nrows;
    rc = eval_node(&e, n, sel, nsel, out);
    dbuf_free(&e.scratch);
    return rc;
}

int expr_select(const expr_node *n, const expr_input *in, const uint32_t *sel, int64_t nsel,
                uint32_t *out, int64_t *nout)
{
    *nout = 0;
    int rc = check_input(in);
    if (rc)
        return rc;
    if (!n->type)
        return delta_error_set(DELTA_EINVAL, "expression is not bound");
    if (n->type->id != DT_BOOL && n->type->id != DT_NULL) {
        dbuf t = DBUF_INIT;
        dtype_format(n->type, &t);
        rc = delta_error_set(DELTA_ETYPE, "a filter must be a boolean expression, found %s",
                             dbuf_cstr(&t));
        dbuf_free(&t);
        return rc;
    }
    ev e = {in, DBUF_INIT};
    if (!sel)
        nsel = in->nrows;
    rc = esel(&e, n, sel, nsel, true, out, nout);
    dbuf_free(&e.scratch);
    return rc;
}
