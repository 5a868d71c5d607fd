/*
 * Record shredding (see shred.h). Nested columns are walked row by row,
 * recursively along the plan, appending level entries and values to the
 * leaves' buffers; every buffer is a dbuf with a sticky error, checked once
 * per leaf at the end. Top-level primitive columns are done column-wise.
 */
#include "parquet/shred.h"

#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "parquet/encoding.h"

typedef struct sctx {
    const pq_plan *plan;
    pq_shred_leaf *leaves;
    const char *column; /* top-level column name, for messages */
} sctx;

static void emit_levels(sctx *c, const pq_node *n, int16_t def, int16_t rep)
{
    for (uint32_t i = n->first_leaf; i < n->first_leaf + n->num_leaves; i++) {
        pq_shred_leaf *l = &c->leaves[i];
        const pq_node *leaf = c->plan->leaves[i];
        if (leaf->max_def > 0)
            dbuf_append(&l->def, &def, sizeof(def));
        if (leaf->max_rep > 0)
            dbuf_append(&l->rep, &rep, sizeof(rep));
        l->data.num_levels++;
    }
}

static int range_err(sctx *c, const char *what)
{
    return delta_error_set(DELTA_ERANGE, "column '%s': %s", c->column, what);
}

static int scale_nanos(int64_t x, dtime_unit u, int64_t *out)
{
    int64_t m = u == DT_UNIT_SECOND ? 1000000000 : u == DT_UNIT_MILLI ? 1000000
                : u == DT_UNIT_MICRO ? 1000 : 1;
    return __builtin_mul_overflow(x, m, out) ? -1 : 0;
}

/* Appends the physical form of value i of the leaf vector v. */
static int put_value(sctx *c, const pq_node *n, pq_shred_leaf *l, const dvec *v, int64_t i)
{
    dbuf *b = &l->val;
    const uint8_t *vals = v->values;
    switch (n->conv) {
    case PQ_CONV_BOOL:
        dbuf_putc(b, dbit_get(vals, i) ? 1 : 0);
        break;
    case PQ_CONV_COPY: {
        size_t w = dtype_byte_width(v->type);
        dbuf_append(b, vals + (size_t)i * w, w);
        break;
    }
    case PQ_CONV_I32_TO_8: {
        int32_t x = v->type->id == DT_INT8 ? (int32_t)((const int8_t *)vals)[i]
                                           : (int32_t)vals[i];
        dbuf_append(b, &x, 4);
        break;
    }
    case PQ_CONV_I32_TO_16: {
        int32_t x;
        if (v->type->id == DT_INT16) {
            int16_t s;
            memcpy(&s, vals + 2 * i, 2);
            x = s;
        } else {
            uint16_t u;
            memcpy(&u, vals + 2 * i, 2);
            x = u;
        }
        dbuf_append(b, &x, 4);
        break;
    }
    case PQ_CONV_I32_DEC: {
        int64_t lo;
        memcpy(&lo, vals + 16 * i, 8);
        int32_t x = (int32_t)lo;
        dbuf_append(b, &x, 4);
        break;
    }
    case PQ_CONV_I64_DEC:
        dbuf_append(b, vals + 16 * i, 8);
        break;
    case PQ_CONV_BE_DEC: {
        const uint8_t *p = vals + 16 * i;
        uint8_t *dst = dbuf_grow(b, (size_t)n->type_length);
        if (!dst)
            return b->err;
        for (int32_t k = 0; k < n->type_length; k++)
            dst[k] = p[n->type_length - 1 - k];
        break;
    }
    case PQ_CONV_INT96: {
        int64_t x, ns;
        memcpy(&x, vals + 8 * i, 8);
        if (scale_nanos(x, v->type->unit, &ns))
            return range_err(c, "timestamp out of the INT96 nanosecond range");
        uint8_t *dst = dbuf_grow(b, 12);
        if (!dst)
            return b->err;
        pq_nanos_to_int96(ns, dst);
        break;
    }
    case PQ_CONV_X1000:
        if (n->physical == PQ_TYPE_INT32) {
            int32_t x, y;
            memcpy(&x, vals + 4 * i, 4);
            if (__builtin_mul_overflow(x, 1000, &y))
                return range_err(c, "seconds overflow as milliseconds");
            dbuf_append(b, &y, 4);
        } else {
            int64_t x, y;
            memcpy(&x, vals + 8 * i, 8);
            if (__builtin_mul_overflow(x, (int64_t)1000, &y))
                return range_err(c, "seconds overflow as milliseconds");
            dbuf_append(b, &y, 8);
        }
        break;
    case PQ_CONV_BYTES: {
        size_t len;
        const uint8_t *p = dvec_bytes(v, i, &len);
        dbuf_append(b, p, len);
        int32_t end = (int32_t)b->len;
        if (b->len > INT32_MAX)
            return range_err(c, "more than 2 GiB of byte array values in one batch");
        dbuf_append(&l->off, &end, 4);
        break;
    }
    default:
        break;
    }
    l->data.num_values++;
    return 0;
}

static int null_err(sctx *c, int64_t row)
{
    return delta_error_set(DELTA_EINVAL, "column '%s': null in a non-nullable field (row %lld)",
                           c->column, (long long)row);
}

static int shred_value(sctx *c, const pq_node *n, const dvec *v, int64_t i, int16_t rep,
                       int64_t row)
{
    if (!dvec_is_valid(v, i)) {
        if (!n->nullable)
            return null_err(c, row);
        emit_levels(c, n, (int16_t)(n->def - 1), rep);
        return 0;
    }
    switch (n->kind) {
    case PQ_NODE_LEAF:
        emit_levels(c, n, n->def, rep);
        return put_value(c, n, &c->leaves[n->first_leaf], v, i);
    case PQ_NODE_STRUCT:
        for (uint32_t k = 0; k < n->num_children; k++) {
            int rc = shred_value(c, &n->children[k], v->children[k], i, rep, row);
            if (rc)
                return rc;
        }
        return 0;
    default: {
        int32_t a = v->offsets[i], b = v->offsets[i + 1];
        if (a == b) {
            emit_levels(c, n, (int16_t)(n->elem_def - 1), rep);
            return 0;
        }
        for (int32_t j = a; j < b; j++) {
            int rc = shred_value(c, &n->children[0], v->children[0], j,
                                 j == a ? rep : n->elem_rep, row);
            if (rc)
                return rc;
        }
        return 0;
    }
    }
}

/* A top-level primitive column, column-wise. */
static int shred_flat(sctx *c, const pq_node *n, const dvec *v, int64_t from, int64_t cnt,
                      pq_shred_leaf *l)
{
    bool has_nulls = v->type->id == DT_NULL || (v->validity && v->null_count > 0);
    if (has_nulls && !n->nullable) {
        for (int64_t i = from; i < from + cnt; i++)
            if (!dvec_is_valid(v, i))
                return null_err(c, i);
    }
    if (n->max_def > 0) {
        int16_t *d = (int16_t *)dbuf_grow(&l->def, (size_t)cnt * 2);
        if (!d && cnt)
            return l->def.err;
        for (int64_t i = 0; i < cnt; i++)
            d[i] = has_nulls ? (int16_t)dvec_is_valid(v, from + i) : 1;
    }
    l->data.num_levels = cnt;
    if (n->conv == PQ_CONV_NULL)
        return 0;
    size_t w = dtype_byte_width(v->type);
    if (!has_nulls && n->conv == PQ_CONV_COPY) {
        l->data.values = (const uint8_t *)v->values + (size_t)from * w;
        l->data.num_values = cnt;
        return 1; /* borrowed */
    }
    if (!has_nulls && n->conv == PQ_CONV_BYTES && v->offsets[from] == 0) {
        l->data.values = v->data;
        l->data.offsets = v->offsets + from;
        l->data.num_values = cnt;
        return 1;
    }
    for (int64_t i = from; i < from + cnt; i++) {
        if (has_nulls && !dvec_is_valid(v, i))
            continue;
        int rc = put_value(c, n, l, v, i);
        if (rc)
            return rc;
    }
    return 0;
}

static void leaf_reset(pq_shred_leaf *l)
{
    dbuf_reset(&l->def);
    dbuf_reset(&l->rep);
    dbuf_reset(&l->val);
    dbuf_reset(&l->off);
    memset(&l->data, 0, sizeof(l->data));
}

/* Non-NULL pointers for empty arrays, for writers that check them: a
 * BYTE_ARRAY leaf whose values are all empty holds no bytes, and a vector
 * of only empty strings has no data buffer. */
static const uint8_t no_values[1];

static int leaf_finish(const pq_node *leaf, pq_shred_leaf *l)
{
    int rc = l->def.err ? l->def.err : l->rep.err ? l->rep.err : l->val.err ? l->val.err
                                                                             : l->off.err;
    if (rc)
        return rc;
    l->data.def = leaf->max_def > 0 ? (const int16_t *)l->def.data : NULL;
    l->data.rep = leaf->max_rep > 0 ? (const int16_t *)l->rep.data : NULL;
    l->data.values = l->val.data;
    if (leaf->conv == PQ_CONV_BYTES)
        l->data.offsets = (const int32_t *)l->off.data;
    static const int16_t no_levels[1] = {0};
    static const int32_t no_offsets[1] = {0};
    if (leaf->max_def > 0 && !l->data.def)
        l->data.def = no_levels;
    if (leaf->max_rep > 0 && !l->data.rep)
        l->data.rep = no_levels;
    if (leaf->conv == PQ_CONV_BYTES && !l->data.offsets)
        l->data.offsets = no_offsets;
    if (!l->data.values)
        l->data.values = no_values;
    return 0;
}

int pq_shred(const pq_plan *plan, const dvec *batch, int64_t from, int64_t n,
             pq_shred_leaf *leaves)
{
    sctx c = {plan, leaves, ""};
    for (uint32_t i = 0; i < plan->num_leaves; i++) {
        leaf_reset(&leaves[i]);
        if (plan->leaves[i]->conv == PQ_CONV_BYTES)
            dbuf_append(&leaves[i].off, &(int32_t){0}, 4);
    }
    if (from < 0 || n < 0 || from + n > batch->length)
        return delta_error_set(DELTA_EINVAL, "shred range [%lld, %lld) outside a batch of %lld "
                               "rows", (long long)from, (long long)(from + n),
                               (long long)batch->length);
    for (uint32_t k = 0; k < plan->root.num_children; k++) {
        const pq_node *node = &plan->root.children[k];
        const dvec *v = batch->children[k];
        c.column = plan->schema->fields[k].name;
        if (node->kind == PQ_NODE_LEAF) {
            pq_shred_leaf *l = &leaves[node->first_leaf];
            int rc = shred_flat(&c, node, v, from, n, l);
            if (rc < 0)
                return rc;
            if (rc == 1) { /* values borrowed from the vector */
                const void *vals = l->data.values;
                const int32_t *offs = l->data.offsets;
                int64_t nv = l->data.num_values;
                if ((rc = leaf_finish(node, l)))
                    return rc;
                l->data.values = vals ? vals : no_values;
                l->data.offsets = offs;
                l->data.num_values = nv;
                continue;
            }
            if ((rc = leaf_finish(node, l)))
                return rc;
            continue;
        }
        for (int64_t i = from; i < from + n; i++) {
            int rc = shred_value(&c, node, v, i, 0, i);
            if (rc)
                return rc;
        }
        for (uint32_t j = node->first_leaf; j < node->first_leaf + node->num_leaves; j++) {
            int rc = leaf_finish(plan->leaves[j], &leaves[j]);
            if (rc)
                return rc;
        }
    }
    return 0;
}

void pq_shred_leaves_free(pq_shred_leaf *leaves, uint32_t n)
{
    for (uint32_t i = 0; i < n && leaves; i++) {
        dbuf_free(&leaves[i].def);
        dbuf_free(&leaves[i].rep);
        dbuf_free(&leaves[i].val);
        dbuf_free(&leaves[i].off);
    }
}
