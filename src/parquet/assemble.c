/*
 * Record assembly (see assemble.h): one pass over the levels of each
 * node's first leaf, writing the node's validity (and offsets for lists)
 * straight into the vector's buffers, then recursion into the children.
 * Leaves convert their dense values in place at the end of the vector and,
 * when there are nulls, spread them backwards to their slots (a value never
 * moves left, so no temporary copy is needed).
 *
 * Vectors are filled through their buffers (dvec_reserve, then values,
 * validity, offsets and data written directly, then dvec_set_length), as
 * vector.h allows producers to do. Little-endian hosts are assumed, as
 * everywhere in the columnar layer.
 */
#include "parquet/assemble.h"

#include <string.h>

#include "columnar/bits.h"
#include "columnar/format.h"
#include "core/alloc.h"
#include "core/error.h"
#include "parquet/encoding.h"

typedef struct actx {
    const pq_leaf_data *leaves;
    dbuf scratch; /* present flags of the node being assembled */
    dbuf path;    /* dotted path of the node, for messages */
} actx;

static int corrupt(actx *c, const char *what)
{
    return delta_error_set(DELTA_ECORRUPT, "Parquet column '%s': %s", dbuf_cstr(&c->path), what);
}

static size_t physical_width(const pq_node *n)
{
    switch (n->physical) {
    case PQ_TYPE_BOOLEAN: return 1;
    case PQ_TYPE_INT32: case PQ_TYPE_FLOAT: return 4;
    case PQ_TYPE_INT64: case PQ_TYPE_DOUBLE: return 8;
    case PQ_TYPE_INT96: return 12;
    case PQ_TYPE_FIXED_LEN_BYTE_ARRAY: return (size_t)n->type_length;
    default: return 0;
    }
}

/*
 * Slots of node n in leaf data L: fills c->scratch with one byte per slot
 * (1 = the value is present) and sets *count and *valid. With no levels to
 * look at (a required flat column) every level is a present slot and the
 * scratch stays empty (*flags NULL).
 */
static int scan_slots(actx *c, const pq_node *n, const pq_leaf_data *L, const uint8_t **flags,
                      int64_t *count, int64_t *valid)
{
    dbuf_reset(&c->scratch);
    *flags = NULL;
    /* Flat data where every level carries a value (no nulls anywhere in
     * the batch, the common case): every level is a present slot. */
    if (!L->rep && (!L->def || L->num_values == L->num_levels)) {
        *count = *valid = L->num_levels;
        return 0;
    }
    uint8_t *f = dbuf_grow(&c->scratch, (size_t)L->num_levels + 1);
    if (!f)
        return c->scratch.err;
    int64_t k = 0, nv = 0;
    const int16_t *def = L->def, *rep = L->rep;
    if (!rep) {
        for (int64_t i = 0; i < L->num_levels; i++) {
            uint8_t p = def[i] >= n->def;
            f[i] = p;
            nv += p;
        }
        k = L->num_levels;
    } else {
        for (int64_t i = 0; i < L->num_levels; i++) {
            int16_t d = def ? def[i] : 0;
            if (rep[i] > n->rep || d < n->slot_def)
                continue;
            uint8_t p = d >= n->def;
            f[k++] = p;
            nv += p;
        }
    }
    *flags = f;
    *count = k;
    *valid = nv;
    return 0;
}

/* Writes validity for rows [base, base+count) of v from flags. */
static int put_validity(dvec *v, int64_t base, const uint8_t *flags, int64_t count, int64_t valid)
{
    if (valid < count && !v->validity) {
        int rc = dvec_ensure_validity(v);
        if (rc)
            return rc;
    }
    if (!v->validity)
        return 0;
    if (!flags || valid == count) {
        dbits_fill(v->validity, base, count, true);
        return 0;
    }
    int64_t k = 0;
    for (; k < count && ((base + k) & 7); k++) {
        if (flags[k])
            dbit_set(v->validity, base + k);
        else
            dbit_clear(v->validity, base + k);
    }
    /* Whole bytes: eight 0/1 flag bytes pack into one validity byte with a
     * multiply (flag i lands on bit i). */
    uint8_t *out = v->validity + ((base + k) >> 3);
    for (; k + 8 <= count; k += 8) {
        uint64_t x;
        memcpy(&x, flags + k, 8);
        *out++ = (uint8_t)((x * 0x0102040810204080ull) >> 56);
    }
    for (; k < count; k++) {
        if (flags[k])
            dbit_set(v->validity, base + k);
        else
            dbit_clear(v->validity, base + k);
    }
    return 0;
}

static void store_i128(uint8_t *dst, int64_t x)
{
    uint64_t lo = (uint64_t)x, hi = x < 0 ? UINT64_MAX : 0;
    memcpy(dst, &lo, 8);
    memcpy(dst + 8, &hi, 8);
}

/* Big-endian two's complement of len bytes -> 16-byte little-endian. */
static int be_to_dec(actx *c, const uint8_t *p, size_t len, uint8_t *out)
{
    if (len == 0) {
        memset(out, 0, 16);
        return 0;
    }
    uint8_t sign = (p[0] & 0x80) ? 0xFF : 0x00;
    if (len > 16) {
        for (size_t k = 0; k < len - 16; k++)
            if (p[k] != sign)
                return delta_error_set(DELTA_ERANGE,
                                       "Parquet column '%s': decimal of %zu bytes exceeds 128 bits",
                                       dbuf_cstr(&c->path), len);
        p += len - 16;
        len = 16;
        if (((p[0] & 0x80) ? 0xFF : 0x00) != sign)
            return delta_error_set(DELTA_ERANGE,
                                   "Parquet column '%s': decimal exceeds 128 bits",
                                   dbuf_cstr(&c->path));
    }
    for (size_t k = 0; k < 16; k++)
        out[k] = k < len ? p[len - 1 - k] : sign;
    return 0;
}

/* Converts the nv dense values of L into dst (the dtype's layout, w bytes
 * each). */
static int convert_dense(actx *c, const pq_node *n, const pq_leaf_data *L, uint8_t *dst,
                         int64_t nv, size_t w)
{
    switch (n->conv) {
    case PQ_CONV_COPY:
        if (physical_width(n) != w)
            return corrupt(c, "physical width does not match the column type");
        if (nv)
            memcpy(dst, L->values, (size_t)nv * w);
        return 0;
    case PQ_CONV_I32_TO_8: {
        const int32_t *s = L->values;
        for (int64_t i = 0; i < nv; i++)
            dst[i] = (uint8_t)s[i];
        return 0;
    }
    case PQ_CONV_I32_TO_16: {
        const int32_t *s = L->values;
        for (int64_t i = 0; i < nv; i++) {
            uint16_t x = (uint16_t)s[i];
            memcpy(dst + 2 * i, &x, 2);
        }
        return 0;
    }
    case PQ_CONV_I32_DEC: {
        const int32_t *s = L->values;
        for (int64_t i = 0; i < nv; i++)
            store_i128(dst + 16 * i, s[i]);
        return 0;
    }
    case PQ_CONV_I64_DEC: {
        const int64_t *s = L->values;
        for (int64_t i = 0; i < nv; i++)
            store_i128(dst + 16 * i, s[i]);
        return 0;
    }
    case PQ_CONV_BE_DEC: {
        const uint8_t *s = L->values;
        for (int64_t i = 0; i < nv; i++) {
            int rc;
            if (n->physical == PQ_TYPE_BYTE_ARRAY)
                rc = be_to_dec(c, s + L->offsets[i], (size_t)(L->offsets[i + 1] - L->offsets[i]),
                               dst + 16 * i);
            else
                rc = be_to_dec(c, s + (size_t)i * (size_t)n->type_length,
                               (size_t)n->type_length, dst + 16 * i);
            if (rc)
                return rc;
        }
        return 0;
    }
    case PQ_CONV_INT96: {
        const uint8_t *s = L->values;
        for (int64_t i = 0; i < nv; i++) {
            int64_t ns;
            int rc = pq_int96_to_nanos(s + 12 * i, &ns);
            if (rc)
                return delta_error_prefix(rc, "Parquet column '%s': ", dbuf_cstr(&c->path));
            memcpy(dst + 8 * i, &ns, 8);
        }
        return 0;
    }
    default:
        return corrupt(c, "unexpected value conversion");
    }
}

/* Spreads the `valid` dense values at the start of dst to their slots,
 * backwards (value vi goes to slot k >= vi), zeroing null slots. Inlined
 * with a constant width for the common sizes, so each move is one
 * instruction rather than a call. */
static inline void spread(uint8_t *dst, const uint8_t *flags, int64_t count, int64_t valid,
                          size_t w)
{
    int64_t vi = valid;
    for (int64_t k = count - 1; k >= 0; k--) {
        if (flags[k]) {
            vi--;
            if (vi != k)
                memcpy(dst + (size_t)k * w, dst + (size_t)vi * w, w);
        } else {
            memset(dst + (size_t)k * w, 0, w);
        }
    }
}

static int asm_leaf(actx *c, const pq_node *n, dvec *v)
{
    const pq_leaf_data *L = &c->leaves[n->first_leaf];
    const uint8_t *flags;
    int64_t count = 0, valid = 0, base = v->length;
    int rc = scan_slots(c, n, L, &flags, &count, &valid);
    if (rc)
        return rc;
    if (n->conv == PQ_CONV_NULL)
        return dvec_append_nulls(v, count);
    if (valid != L->num_values)
        return corrupt(c, "definition levels and value count disagree");
    if (count == 0) /* e.g. the elements of empty lists: nothing to write */
        return 0;
    if ((rc = dvec_reserve(v, count)) || (rc = put_validity(v, base, flags, count, valid)))
        return rc;

    if (n->conv == PQ_CONV_BOOL) {
        const uint8_t *s = L->values;
        int64_t vi = 0;
        for (int64_t k = 0; k < count; k++) {
            if ((!flags || flags[k]) && s[vi++])
                dbit_set(v->values, base + k);
            else
                dbit_clear(v->values, base + k);
        }
    } else if (n->conv == PQ_CONV_BYTES) {
        int64_t bytes = valid ? (int64_t)L->offsets[valid] - L->offsets[0] : 0;
        if (bytes < 0)
            return corrupt(c, "decreasing byte array offsets");
        if ((rc = dvec_reserve_data(v, bytes)))
            return rc;
        if (bytes)
            memcpy(v->data + v->data_len, (const uint8_t *)L->values + L->offsets[0],
                   (size_t)bytes);
        int32_t *off = v->offsets;
        int64_t cur = off[base];
        if (!flags) {
            int32_t shift = (int32_t)(cur - L->offsets[0]);
            for (int64_t k = 0; k < count; k++)
                off[base + k + 1] = L->offsets[k + 1] + shift;
        } else {
            int64_t vi = 0;
            for (int64_t k = 0; k < count; k++) {
                if (flags[k]) {
                    cur += L->offsets[vi + 1] - L->offsets[vi];
                    vi++;
                }
                off[base + k + 1] = (int32_t)cur;
            }
        }
        if (v->type->id == DT_STRING && bytes) {
            /* Arrow strings are UTF-8; a file that breaks that is refused
             * rather than handed on to consumers that rely on it. */
            int64_t at = dutf8_invalid_at(v->data + v->data_len, (size_t)bytes);
            if (at >= 0) {
                int64_t row = base;
                while (row < base + count && off[row + 1] - off[base] <= at)
                    row++;
                return delta_error_set(DELTA_ECORRUPT,
                                       "Parquet column '%s': invalid UTF-8 in the string value "
                                       "of row %lld of the batch",
                                       dbuf_cstr(&c->path), (long long)(row - base));
            }
        }
        v->data_len += bytes;
    } else {
        size_t w = dtype_byte_width(v->type);
        uint8_t *dst = (uint8_t *)v->values + (size_t)base * w;
        if ((rc = convert_dense(c, n, L, dst, valid, w)))
            return rc;
        if (valid < count) {
            switch (w) {
            case 4: spread(dst, flags, count, valid, 4); break;
            case 8: spread(dst, flags, count, valid, 8); break;
            case 16: spread(dst, flags, count, valid, 16); break;
            default: spread(dst, flags, count, valid, w); break;
            }
        }
    }
    dvec_set_length(v, base + count);
    return 0;
}

static int asm_node(actx *c, const pq_node *n, dvec *v);

static int asm_children(actx *c, const pq_node *n, dvec *v, int64_t expect)
{
    size_t mark = c->path.len;
    for (uint32_t i = 0; i < n->num_children; i++) {
        const char *name = n->type->fields[i].name;
        if (mark)
            dbuf_putc(&c->path, '.');
        dbuf_puts(&c->path, name);
        int rc = asm_node(c, &n->children[i], v->children[i]);
        if (rc == 0 && v->children[i]->length != expect)
            rc = corrupt(c, "record count differs from the other columns");
        c->path.len = mark;
        if (rc)
            return rc;
    }
    return 0;
}

static int asm_struct(actx *c, const pq_node *n, dvec *v)
{
    const pq_leaf_data *L = &c->leaves[n->first_leaf];
    const uint8_t *flags;
    int64_t count = 0, valid = 0, base = v->length;
    int rc = scan_slots(c, n, L, &flags, &count, &valid);
    if (rc || (rc = dvec_reserve(v, count)) || (rc = put_validity(v, base, flags, count, valid)))
        return rc;
    if ((rc = asm_children(c, n, v, base + count)))
        return rc;
    dvec_set_length(v, base + count);
    return 0;
}

static int asm_list(actx *c, const pq_node *n, dvec *v)
{
    const pq_leaf_data *L = &c->leaves[n->first_leaf];
    const int16_t *def = L->def, *rep = L->rep;
    int64_t base = v->length, count = 0;
    if (!rep)
        return corrupt(c, "list column without repetition levels");
    for (int64_t i = 0; i < L->num_levels; i++)
        if (rep[i] <= n->rep && (def ? def[i] : 0) >= n->slot_def)
            count++;
    int rc = dvec_reserve(v, count);
    if (rc)
        return rc;
    bool any_null = false;
    for (int64_t i = 0; i < L->num_levels && !any_null; i++)
        if (rep[i] <= n->rep && (def ? def[i] : 0) >= n->slot_def && (def ? def[i] : 0) < n->def)
            any_null = true;
    if (any_null && !v->validity && (rc = dvec_ensure_validity(v)))
        return rc;

    dvec *child = v->children[0];
    int32_t *off = v->offsets;
    int64_t start = off[base], cur = start, k = -1;
    if (start != child->length)
        return corrupt(c, "list offsets out of step with the elements");
    for (int64_t i = 0; i < L->num_levels; i++) {
        int16_t r = rep[i], d = def ? def[i] : 0;
        if (r <= n->rep) {
            if (d < n->slot_def)
                continue;
            if (k >= 0)
                off[base + k + 1] = (int32_t)cur;
            k++;
            if (v->validity) {
                if (d >= n->def)
                    dbit_set(v->validity, base + k);
                else
                    dbit_clear(v->validity, base + k);
            }
            if (d >= n->elem_def)
                cur++;
        } else if (r == n->elem_rep) {
            if (k < 0 || d < n->elem_def)
                return corrupt(c, "repetition level continues a list that has no element");
            cur++;
        }
        if (cur > INT32_MAX)
            return delta_error_set(DELTA_ERANGE, "Parquet column '%s': more than 2^31 list "
                                   "elements in one batch", dbuf_cstr(&c->path));
    }
    if (k >= 0)
        off[base + k + 1] = (int32_t)cur;
    size_t mark = c->path.len;
    dbuf_puts(&c->path, v->type->id == DT_MAP ? ".entries" : ".element");
    rc = asm_node(c, &n->children[0], child);
    if (rc == 0 && child->length != cur)
        rc = corrupt(c, "element count differs from the list lengths");
    c->path.len = mark;
    if (rc)
        return rc;
    dvec_set_length(v, base + count);
    return 0;
}

static int asm_node(actx *c, const pq_node *n, dvec *v)
{
    switch (n->kind) {
    case PQ_NODE_LEAF:
        return asm_leaf(c, n, v);
    case PQ_NODE_STRUCT:
        return asm_struct(c, n, v);
    default:
        return asm_list(c, n, v);
    }
}

int pq_assemble(const pq_plan *plan, const pq_leaf_data *leaves, int64_t num_records,
                dvec *batch)
{
    actx c = {leaves, DBUF_INIT, DBUF_INIT};
    int64_t expect = batch->length + num_records;
    int rc = 0;
    for (uint32_t i = 0; i < plan->root.num_children && rc == 0; i++) {
        dbuf_reset(&c.path);
        dbuf_puts(&c.path, plan->schema->fields[i].name);
        rc = asm_node(&c, &plan->root.children[i], batch->children[i]);
        if (rc == 0 && batch->children[i]->length != expect)
            rc = corrupt(&c, "record count differs from the other columns");
    }
    if (rc == 0 && c.path.err)
        rc = c.path.err;
    dbuf_free(&c.scratch);
    dbuf_free(&c.path);
    if (rc)
        return rc;
    return dbatch_seal(batch);
}

int pq_assemble_value(const pq_node *leaf, const void *value, size_t len, dvec *out)
{
    if (leaf->kind != PQ_NODE_LEAF || leaf->max_rep || leaf->conv == PQ_CONV_NULL)
        return delta_error_set(DELTA_EINVAL, "Parquet column '%s': not a flat leaf",
                               leaf->name ? leaf->name : "");
    size_t w = physical_width(leaf);
    if (leaf->physical != PQ_TYPE_BYTE_ARRAY && len != w)
        return delta_error_set(DELTA_ECORRUPT,
                               "Parquet column '%s': a %zu-byte value where %zu were expected",
                               leaf->name ? leaf->name : "", len, w);
    if (len > INT32_MAX)
        return delta_error_set(DELTA_ERANGE, "Parquet column '%s': value too long",
                               leaf->name ? leaf->name : "");
    pq_node n = *leaf;
    n.first_leaf = 0;
    int16_t def = leaf->max_def;
    int32_t offsets[2] = {0, (int32_t)len};
    pq_leaf_data L = {1, 1, leaf->max_def ? &def : NULL, NULL, value,
                      leaf->physical == PQ_TYPE_BYTE_ARRAY ? offsets : NULL};
    actx c = {&L, DBUF_INIT, DBUF_INIT};
    dbuf_puts(&c.path, leaf->name ? leaf->name : "");
    int rc = asm_leaf(&c, &n, out);
    dbuf_free(&c.scratch);
    dbuf_free(&c.path);
    return rc;
}
