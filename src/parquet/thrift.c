/*
 * Thrift compact protocol reader and writer (see thrift.h for the model).
 *
 * Reader invariants: start <= pos <= end at all times; a read that would
 * pass `end` fails before touching memory; depth never exceeds
 * PQ_THRIFT_MAX_DEPTH; bool_pending is -1 except between a bool field
 * header and the pq_tr_bool()/pq_tr_skip() that consumes it.
 *
 * Writer invariants: last[depth] is the id of the last field written in the
 * innermost open struct (0 at its start), so short-form deltas are exact.
 */
#include "parquet/thrift.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *pq_ttype_name(unsigned type)
{
    switch (type) {
    case PQ_T_STOP: return "stop";
    case PQ_T_BOOL: return "bool";
    case PQ_T_BOOL_FALSE: return "bool";
    case PQ_T_I8: return "i8";
    case PQ_T_I16: return "i16";
    case PQ_T_I32: return "i32";
    case PQ_T_I64: return "i64";
    case PQ_T_DOUBLE: return "double";
    case PQ_T_BINARY: return "binary";
    case PQ_T_LIST: return "list";
    case PQ_T_SET: return "set";
    case PQ_T_MAP: return "map";
    case PQ_T_STRUCT: return "struct";
    default: return "invalid";
    }
}

/* ------------------------------------------------------------------ */
/* Reader                                                              */
/* ------------------------------------------------------------------ */

void pq_tr_init(pq_treader *r, const uint8_t *buf, size_t len)
{
    r->start = buf;
    r->pos = buf;
    r->end = buf ? buf + len : buf;
    r->depth = 0;
    r->bool_pending = -1;
}

size_t pq_tr_offset(const pq_treader *r)
{
    return (size_t)(r->pos - r->start);
}

size_t pq_tr_remaining(const pq_treader *r)
{
    return (size_t)(r->end - r->pos);
}

int pq_tr_error(const pq_treader *r, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return delta_error_set(DELTA_ECORRUPT, "thrift at byte %zu: %s", pq_tr_offset(r), msg);
}

static int need(pq_treader *r, size_t n, const char *what)
{
    if (pq_tr_remaining(r) < n)
        return pq_tr_error(r, "truncated %s: need %zu bytes, %zu left", what, n,
                           pq_tr_remaining(r));
    return 0;
}

/* Reads a varint of at most max_bytes carrying at most `bits` bits. */
static int varint(pq_treader *r, unsigned bits, uint64_t *out, const char *what)
{
    unsigned max_bytes = (bits + 6) / 7;
    uint64_t v = 0;
    size_t at = pq_tr_offset(r);
    for (unsigned i = 0;; i++) {
        if (i == max_bytes)
            return delta_error_set(DELTA_ECORRUPT,
                                   "thrift at byte %zu: %s varint longer than %u bytes", at, what,
                                   max_bytes);
        if (r->pos >= r->end)
            return delta_error_set(DELTA_ECORRUPT,
                                   "thrift at byte %zu: truncated %s varint (%u bytes read)", at,
                                   what, i);
        uint8_t b = *r->pos++;
        unsigned shift = 7 * i;
        uint64_t chunk = b & 0x7f;
        if (shift + 7 > bits && (chunk >> (bits - shift)) != 0)
            return delta_error_set(
                DELTA_ECORRUPT, "thrift at byte %zu: %s varint overflows %u bits", at, what, bits);
        v |= chunk << shift;
        if (!(b & 0x80))
            break;
    }
    *out = v;
    return 0;
}

int pq_tr_varint_u32(pq_treader *r, uint32_t *out)
{
    uint64_t v;
    int rc = varint(r, 32, &v, "u32");
    if (rc)
        return rc;
    *out = (uint32_t)v;
    return 0;
}

int pq_tr_varint_u64(pq_treader *r, uint64_t *out)
{
    return varint(r, 64, out, "u64");
}

static int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

int pq_tr_bool(pq_treader *r, bool *out)
{
    if (r->bool_pending >= 0) {
        *out = r->bool_pending != 0;
        r->bool_pending = -1;
        return 0;
    }
    int rc = need(r, 1, "bool");
    if (rc)
        return rc;
    uint8_t b = *r->pos;
    if (b > 2)
        return pq_tr_error(r, "invalid bool byte 0x%02x", b);
    r->pos++;
    *out = b == 1;
    return 0;
}

int pq_tr_i8(pq_treader *r, int8_t *out)
{
    int rc = need(r, 1, "i8");
    if (rc)
        return rc;
    *out = (int8_t)*r->pos++;
    return 0;
}

int pq_tr_i16(pq_treader *r, int16_t *out)
{
    size_t at = pq_tr_offset(r);
    uint64_t v;
    int rc = varint(r, 32, &v, "i16");
    if (rc)
        return rc;
    int64_t s = unzigzag(v);
    if (s < INT16_MIN || s > INT16_MAX)
        return delta_error_set(DELTA_ECORRUPT, "thrift at byte %zu: i16 value %lld out of range",
                               at, (long long)s);
    *out = (int16_t)s;
    return 0;
}

int pq_tr_i32(pq_treader *r, int32_t *out)
{
    uint64_t v;
    int rc = varint(r, 32, &v, "i32");
    if (rc)
        return rc;
    *out = (int32_t)unzigzag(v);
    return 0;
}

int pq_tr_i64(pq_treader *r, int64_t *out)
{
    uint64_t v;
    int rc = varint(r, 64, &v, "i64");
    if (rc)
        return rc;
    *out = unzigzag(v);
    return 0;
}

int pq_tr_double(pq_treader *r, double *out)
{
    int rc = need(r, 8, "double");
    if (rc)
        return rc;
    uint64_t bits = 0;
    for (int i = 7; i >= 0; i--)
        bits = (bits << 8) | r->pos[i];
    r->pos += 8;
    memcpy(out, &bits, sizeof *out);
    return 0;
}

int pq_tr_binary(pq_treader *r, const uint8_t **out, uint32_t *len)
{
    size_t at = pq_tr_offset(r);
    uint32_t n;
    int rc = pq_tr_varint_u32(r, &n);
    if (rc)
        return rc;
    if (n > pq_tr_remaining(r))
        return delta_error_set(DELTA_ECORRUPT,
                               "thrift at byte %zu: binary length %u exceeds the %zu bytes left",
                               at, n, pq_tr_remaining(r));
    *out = r->pos;
    *len = n;
    r->pos += n;
    return 0;
}

static int enter(pq_treader *r)
{
    if (r->depth >= PQ_THRIFT_MAX_DEPTH)
        return pq_tr_error(r, "nesting deeper than %d levels", PQ_THRIFT_MAX_DEPTH);
    r->depth++;
    return 0;
}

int pq_tr_struct_begin(pq_treader *r)
{
    return enter(r);
}

void pq_tr_struct_end(pq_treader *r)
{
    if (r->depth)
        r->depth--;
}

void pq_tr_container_end(pq_treader *r)
{
    if (r->depth)
        r->depth--;
}

int pq_tr_field(pq_treader *r, int16_t *last_id, pq_tfield *f)
{
    r->bool_pending = -1;
    int rc = need(r, 1, "field header (struct not terminated)");
    if (rc)
        return rc;
    size_t at = pq_tr_offset(r);
    uint8_t b = *r->pos++;
    if (b == 0) {
        f->id = 0;
        f->type = PQ_T_STOP;
        return 0;
    }
    unsigned type = b & 0x0f;
    unsigned delta = b >> 4;
    if (type == PQ_T_STOP || type > PQ_T_STRUCT)
        return delta_error_set(DELTA_ECORRUPT,
                               "thrift at byte %zu: invalid field type %u in header 0x%02x", at,
                               type, b);
    int32_t id;
    if (delta) {
        id = (int32_t)*last_id + (int32_t)delta;
        if (id > INT16_MAX)
            return delta_error_set(DELTA_ECORRUPT, "thrift at byte %zu: field id %d out of range",
                                   at, (int)id);
    } else {
        int16_t v = 0;
        if ((rc = pq_tr_i16(r, &v)))
            return rc;
        id = v;
    }
    f->id = (int16_t)id;
    *last_id = (int16_t)id;
    if (type == PQ_T_BOOL || type == PQ_T_BOOL_FALSE) {
        r->bool_pending = type == PQ_T_BOOL;
        f->type = PQ_T_BOOL;
    } else {
        f->type = (uint8_t)type;
    }
    return 0;
}

/* Smallest encoding of one container element of this type. */
static size_t min_elem_size(unsigned type)
{
    return type == PQ_T_DOUBLE ? 8 : 1;
}

static int check_elem_type(pq_treader *r, size_t at, unsigned type, const char *what)
{
    if (type == PQ_T_STOP || type > PQ_T_STRUCT)
        return delta_error_set(DELTA_ECORRUPT, "thrift at byte %zu: invalid %s type %u", at, what,
                               type);
    return 0;
}

int pq_tr_list_begin(pq_treader *r, uint8_t *elem_type, uint32_t *count)
{
    size_t at = pq_tr_offset(r);
    int rc = need(r, 1, "list header");
    if (rc)
        return rc;
    uint8_t b = *r->pos++;
    unsigned type = b & 0x0f;
    uint32_t n = b >> 4;
    if (n == 15) {
        if ((rc = pq_tr_varint_u32(r, &n)))
            return rc;
        if (n > INT32_MAX)
            return delta_error_set(DELTA_ECORRUPT, "thrift at byte %zu: list size %u out of range",
                                   at, n);
    }
    if (n == 0 && type == PQ_T_STOP) {
        /* Some writers emit 0x00 for an empty list. */
    } else if ((rc = check_elem_type(r, at, type, "list element"))) {
        return rc;
    }
    if (type == PQ_T_BOOL_FALSE)
        type = PQ_T_BOOL;
    size_t min = min_elem_size(type);
    if (n > pq_tr_remaining(r) / min)
        return delta_error_set(DELTA_ECORRUPT,
                               "thrift at byte %zu: list of %u %s elements cannot fit in the "
                               "%zu bytes left",
                               at, n, pq_ttype_name(type), pq_tr_remaining(r));
    if ((rc = enter(r)))
        return rc;
    *elem_type = (uint8_t)type;
    *count = n;
    return 0;
}

int pq_tr_map_begin(pq_treader *r, uint8_t *key_type, uint8_t *val_type, uint32_t *count)
{
    size_t at = pq_tr_offset(r);
    uint32_t n;
    int rc = pq_tr_varint_u32(r, &n);
    if (rc)
        return rc;
    if (n > INT32_MAX)
        return delta_error_set(DELTA_ECORRUPT, "thrift at byte %zu: map size %u out of range", at,
                               n);
    unsigned kt = PQ_T_STOP, vt = PQ_T_STOP;
    if (n) {
        if ((rc = need(r, 1, "map types")))
            return rc;
        uint8_t b = *r->pos++;
        kt = b >> 4;
        vt = b & 0x0f;
        if ((rc = check_elem_type(r, at, kt, "map key")) ||
            (rc = check_elem_type(r, at, vt, "map value")))
            return rc;
        if (kt == PQ_T_BOOL_FALSE)
            kt = PQ_T_BOOL;
        if (vt == PQ_T_BOOL_FALSE)
            vt = PQ_T_BOOL;
        size_t min = min_elem_size(kt) + min_elem_size(vt);
        if (n > pq_tr_remaining(r) / min)
            return delta_error_set(DELTA_ECORRUPT,
                                   "thrift at byte %zu: map of %u entries cannot fit in the %zu "
                                   "bytes left",
                                   at, n, pq_tr_remaining(r));
    }
    if ((rc = enter(r)))
        return rc;
    *key_type = (uint8_t)kt;
    *val_type = (uint8_t)vt;
    *count = n;
    return 0;
}

int pq_tr_skip(pq_treader *r, uint8_t type)
{
    int rc;
    switch (type) {
    case PQ_T_BOOL:
    case PQ_T_BOOL_FALSE: {
        bool b;
        return pq_tr_bool(r, &b);
    }
    case PQ_T_I8: {
        int8_t v;
        return pq_tr_i8(r, &v);
    }
    case PQ_T_I16:
    case PQ_T_I32: {
        uint32_t v;
        return pq_tr_varint_u32(r, &v);
    }
    case PQ_T_I64: {
        uint64_t v;
        return pq_tr_varint_u64(r, &v);
    }
    case PQ_T_DOUBLE:
        if ((rc = need(r, 8, "double")))
            return rc;
        r->pos += 8;
        return 0;
    case PQ_T_BINARY: {
        const uint8_t *p;
        uint32_t n;
        return pq_tr_binary(r, &p, &n);
    }
    case PQ_T_LIST:
    case PQ_T_SET: {
        uint8_t et;
        uint32_t n;
        if ((rc = pq_tr_list_begin(r, &et, &n)))
            return rc;
        for (uint32_t i = 0; i < n; i++)
            if ((rc = pq_tr_skip(r, et)))
                return rc;
        pq_tr_container_end(r);
        return 0;
    }
    case PQ_T_MAP: {
        uint8_t kt, vt;
        uint32_t n;
        if ((rc = pq_tr_map_begin(r, &kt, &vt, &n)))
            return rc;
        for (uint32_t i = 0; i < n; i++)
            if ((rc = pq_tr_skip(r, kt)) || (rc = pq_tr_skip(r, vt)))
                return rc;
        pq_tr_container_end(r);
        return 0;
    }
    case PQ_T_STRUCT: {
        if ((rc = pq_tr_struct_begin(r)))
            return rc;
        int16_t last = 0;
        for (;;) {
            pq_tfield f;
            if ((rc = pq_tr_field(r, &last, &f)))
                return rc;
            if (f.type == PQ_T_STOP)
                break;
            if ((rc = pq_tr_skip(r, f.type)))
                return rc;
        }
        pq_tr_struct_end(r);
        return 0;
    }
    default: return pq_tr_error(r, "cannot skip value of invalid type %u", type);
    }
}

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

void pq_tw_init(pq_twriter *w, dbuf *out)
{
    w->out = out;
    w->depth = 0;
    w->last[0] = 0;
    w->err = 0;
}

int pq_tw_finish(const pq_twriter *w)
{
    if (w->err)
        return w->err;
    if (w->out->err)
        return w->out->err;
    if (w->depth)
        return delta_error_set(DELTA_EINVAL, "thrift writer: %u struct(s) left open", w->depth);
    return 0;
}

static void fail(pq_twriter *w, int code, const char *msg)
{
    if (!w->err)
        w->err = delta_error_set(code, "thrift writer: %s", msg);
}

void pq_tw_varint_u64(pq_twriter *w, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    dbuf_append(w->out, tmp, n);
}

void pq_tw_varint_u32(pq_twriter *w, uint32_t v)
{
    pq_tw_varint_u64(w, v);
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

void pq_tw_struct_begin(pq_twriter *w)
{
    if (w->depth >= PQ_THRIFT_MAX_DEPTH) {
        fail(w, DELTA_EINVAL, "structs nested too deep");
        return;
    }
    w->last[++w->depth] = 0;
}

void pq_tw_struct_end(pq_twriter *w)
{
    if (w->depth == 0) {
        fail(w, DELTA_EINVAL, "struct end without begin");
        return;
    }
    dbuf_putc(w->out, PQ_T_STOP);
    w->depth--;
}

static void field_header(pq_twriter *w, int16_t id, unsigned type)
{
    if (w->depth == 0) {
        fail(w, DELTA_EINVAL, "field outside a struct");
        return;
    }
    int16_t last = w->last[w->depth];
    if (id > last && id - last <= 15) {
        dbuf_putc(w->out, (uint8_t)(((unsigned)(id - last) << 4) | type));
    } else {
        dbuf_putc(w->out, (uint8_t)type);
        pq_tw_varint_u64(w, zigzag(id));
    }
    w->last[w->depth] = id;
}

void pq_tw_field(pq_twriter *w, int16_t id, uint8_t type)
{
    if (type == PQ_T_STOP || type == PQ_T_BOOL || type == PQ_T_BOOL_FALSE || type > PQ_T_STRUCT) {
        fail(w, DELTA_EINVAL, "invalid field type");
        return;
    }
    field_header(w, id, type);
}

void pq_tw_field_bool(pq_twriter *w, int16_t id, bool v)
{
    field_header(w, id, v ? PQ_T_BOOL : PQ_T_BOOL_FALSE);
}

void pq_tw_bool(pq_twriter *w, bool v)
{
    dbuf_putc(w->out, v ? 1 : 2);
}

void pq_tw_i8(pq_twriter *w, int8_t v)
{
    dbuf_putc(w->out, (uint8_t)v);
}

void pq_tw_i16(pq_twriter *w, int16_t v)
{
    pq_tw_varint_u64(w, zigzag(v));
}

void pq_tw_i32(pq_twriter *w, int32_t v)
{
    pq_tw_varint_u64(w, zigzag(v));
}

void pq_tw_i64(pq_twriter *w, int64_t v)
{
    pq_tw_varint_u64(w, zigzag(v));
}

void pq_tw_double(pq_twriter *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint8_t tmp[8];
    for (int i = 0; i < 8; i++)
        tmp[i] = (uint8_t)(bits >> (8 * i));
    dbuf_append(w->out, tmp, 8);
}

void pq_tw_binary(pq_twriter *w, const void *p, size_t len)
{
    if (len > INT32_MAX) {
        fail(w, DELTA_ERANGE, "binary value longer than 2^31-1 bytes");
        return;
    }
    pq_tw_varint_u32(w, (uint32_t)len);
    if (len)
        dbuf_append(w->out, p, len);
}

static int valid_elem(unsigned type)
{
    return type != PQ_T_STOP && type <= PQ_T_STRUCT;
}

void pq_tw_list_begin(pq_twriter *w, uint8_t elem_type, uint32_t count)
{
    if (!valid_elem(elem_type)) {
        fail(w, DELTA_EINVAL, "invalid list element type");
        return;
    }
    if (count > INT32_MAX) {
        fail(w, DELTA_ERANGE, "list longer than 2^31-1 elements");
        return;
    }
    if (elem_type == PQ_T_BOOL_FALSE)
        elem_type = PQ_T_BOOL;
    if (count < 15) {
        dbuf_putc(w->out, (uint8_t)((count << 4) | elem_type));
    } else {
        dbuf_putc(w->out, (uint8_t)(0xf0 | elem_type));
        pq_tw_varint_u32(w, count);
    }
}

void pq_tw_map_begin(pq_twriter *w, uint8_t key_type, uint8_t val_type, uint32_t count)
{
    if (count > INT32_MAX) {
        fail(w, DELTA_ERANGE, "map larger than 2^31-1 entries");
        return;
    }
    pq_tw_varint_u32(w, count);
    if (count == 0)
        return;
    if (!valid_elem(key_type) || !valid_elem(val_type)) {
        fail(w, DELTA_EINVAL, "invalid map key or value type");
        return;
    }
    dbuf_putc(w->out, (uint8_t)((key_type << 4) | val_type));
}

void pq_tw_field_i8(pq_twriter *w, int16_t id, int8_t v)
{
    field_header(w, id, PQ_T_I8);
    pq_tw_i8(w, v);
}

void pq_tw_field_i16(pq_twriter *w, int16_t id, int16_t v)
{
    field_header(w, id, PQ_T_I16);
    pq_tw_i16(w, v);
}

void pq_tw_field_i32(pq_twriter *w, int16_t id, int32_t v)
{
    field_header(w, id, PQ_T_I32);
    pq_tw_i32(w, v);
}

void pq_tw_field_i64(pq_twriter *w, int16_t id, int64_t v)
{
    field_header(w, id, PQ_T_I64);
    pq_tw_i64(w, v);
}

void pq_tw_field_double(pq_twriter *w, int16_t id, double v)
{
    field_header(w, id, PQ_T_DOUBLE);
    pq_tw_double(w, v);
}

void pq_tw_field_binary(pq_twriter *w, int16_t id, const void *p, size_t len)
{
    field_header(w, id, PQ_T_BINARY);
    pq_tw_binary(w, p, len);
}
