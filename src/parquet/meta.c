/*
 * Parquet metadata: decoding and encoding of the parquet.thrift structures
 * (see meta.h for the C side and its conventions).
 *
 * Decoding is table-driven at the struct level: each thrift struct has a
 * descriptor (field names by id, a bitmask of required ids, a function that
 * decodes one field). dec_struct() walks the fields, skips unknown ones,
 * and checks required fields at the end. Lists of any element kind go
 * through get_list(), which grows its array as elements actually decode
 * (never trusting the announced count for more than the thrift reader's
 * bytes-left bound), so hostile counts cannot force large allocations.
 *
 * Memory: everything a decoded FileMetaData, ColumnIndex or OffsetIndex
 * points to lives in one pq_mem, a bump allocator of zeroed chunks, freed
 * in one call; on a decode error the whole pq_mem is dropped, so no error
 * path has anything else to release. A PageHeader is decoded without a
 * pq_mem: its binaries borrow from the input buffer.
 *
 * Errors: the decoder keeps the path of fields and list indexes it is in
 * ("FileMetaData.row_groups[0].columns[2].meta_data"); the innermost
 * failure prefixes that path to the message exactly once.
 */
#include "parquet/meta.h"

#include "core/alloc.h"
#include "core/error.h"
#include "parquet/thrift.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

const char *pq_type_name(int32_t type)
{
    static const char *const names[] = {"BOOLEAN", "INT32",  "INT64",      "INT96",
                                        "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
    return type >= 0 && type < 8 ? names[type] : "?";
}

const char *pq_encoding_name(int32_t encoding)
{
    switch (encoding) {
    case PQ_ENC_PLAIN: return "PLAIN";
    case PQ_ENC_PLAIN_DICTIONARY: return "PLAIN_DICTIONARY";
    case PQ_ENC_RLE: return "RLE";
    case PQ_ENC_BIT_PACKED: return "BIT_PACKED";
    case PQ_ENC_DELTA_BINARY_PACKED: return "DELTA_BINARY_PACKED";
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY: return "DELTA_LENGTH_BYTE_ARRAY";
    case PQ_ENC_DELTA_BYTE_ARRAY: return "DELTA_BYTE_ARRAY";
    case PQ_ENC_RLE_DICTIONARY: return "RLE_DICTIONARY";
    case PQ_ENC_BYTE_STREAM_SPLIT: return "BYTE_STREAM_SPLIT";
    default: return "?";
    }
}

const char *pq_page_type_name(int32_t page_type)
{
    static const char *const names[] = {"DATA_PAGE", "INDEX_PAGE", "DICTIONARY_PAGE",
                                        "DATA_PAGE_V2"};
    return page_type >= 0 && page_type < 4 ? names[page_type] : "?";
}

/* ------------------------------------------------------------------ */
/* Bump allocator                                                      */
/* ------------------------------------------------------------------ */

struct pq_mem_chunk {
    struct pq_mem_chunk *next;
    size_t cap;
    size_t used;
    max_align_t data[];
};

struct pq_mem {
    struct pq_mem_chunk *head;
    size_t next_cap;
};

#define MEM_ALIGN (_Alignof(max_align_t))
#define MEM_FIRST_CHUNK 4096
#define MEM_MAX_CHUNK (1u << 20)

static struct pq_mem *mem_new(void)
{
    struct pq_mem *m = delta_calloc(1, sizeof *m);
    if (m)
        m->next_cap = MEM_FIRST_CHUNK;
    return m;
}

static void mem_free(struct pq_mem *m)
{
    if (!m)
        return;
    struct pq_mem_chunk *c = m->head;
    while (c) {
        struct pq_mem_chunk *next = c->next;
        delta_free(c);
        c = next;
    }
    delta_free(m);
}

/* Zeroed, aligned memory owned by m; NULL (DELTA_ENOMEM recorded) on
 * failure. */
static void *mem_alloc(struct pq_mem *m, size_t n)
{
    if (n > SIZE_MAX / 4) {
        delta_error_oom();
        return NULL;
    }
    n = (n + MEM_ALIGN - 1) & ~(MEM_ALIGN - 1);
    if (n == 0)
        n = MEM_ALIGN;
    struct pq_mem_chunk *c = m->head;
    if (!c || c->cap - c->used < n) {
        bool big = n > m->next_cap / 2;
        size_t cap = big ? n : m->next_cap;
        c = delta_calloc(1, sizeof *c + cap);
        if (!c)
            return NULL;
        c->cap = cap;
        if (big && m->head) {
            /* A dedicated chunk; keep the current one for small requests. */
            c->next = m->head->next;
            m->head->next = c;
        } else {
            c->next = m->head;
            m->head = c;
            if (!big && m->next_cap < MEM_MAX_CHUNK)
                m->next_cap *= 2;
        }
    }
    void *p = (unsigned char *)c->data + c->used;
    c->used += n;
    return p;
}

static void *mem_array(struct pq_mem *m, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / 4 / size) {
        delta_error_oom();
        return NULL;
    }
    return mem_alloc(m, count * size);
}

/* ------------------------------------------------------------------ */
/* Decoder context and error paths                                     */
/* ------------------------------------------------------------------ */

#define MAX_FRAMES 32

typedef struct frame {
    const char *name; /* NULL for a list index frame */
    uint32_t index;
} frame;

typedef struct dec {
    pq_treader r;
    struct pq_mem *mem; /* NULL: binaries borrow from the input */
    frame path[MAX_FRAMES];
    unsigned npath; /* frames in use (may exceed MAX_FRAMES: not stored) */
    bool located;   /* the path was already added to the error message */
} dec;

static void dec_init(dec *d, const uint8_t *buf, size_t len, struct pq_mem *mem, const char *top)
{
    pq_tr_init(&d->r, buf, len);
    d->mem = mem;
    d->npath = 0;
    d->located = false;
    d->path[d->npath++] = (frame){top, 0};
}

static void push_name(dec *d, const char *name)
{
    if (d->npath < MAX_FRAMES)
        d->path[d->npath] = (frame){name, 0};
    d->npath++;
}

static void push_index(dec *d, uint32_t index)
{
    if (d->npath < MAX_FRAMES)
        d->path[d->npath] = (frame){NULL, index};
    d->npath++;
}

static void pop(dec *d)
{
    d->npath--;
}

/* Prefixes the current path to the error message, once. Returns rc. */
static int locate(dec *d, int rc)
{
    if (d->located)
        return rc;
    d->located = true;
    char path[400];
    size_t n = 0;
    unsigned frames = d->npath < MAX_FRAMES ? d->npath : MAX_FRAMES;
    for (unsigned i = 0; i < frames && n < sizeof path; i++) {
        const frame *f = &d->path[i];
        int k;
        if (f->name)
            k = snprintf(path + n, sizeof path - n, "%s%s", i ? "." : "", f->name);
        else
            k = snprintf(path + n, sizeof path - n, "[%u]", f->index);
        if (k < 0)
            break;
        n += (size_t)k;
    }
    return delta_error_prefix(rc, "%s: ", path);
}

/* ------------------------------------------------------------------ */
/* Struct walking                                                      */
/* ------------------------------------------------------------------ */

typedef struct sdesc {
    const char *name;          /* thrift struct name, for messages */
    const char *const *fields; /* field names indexed by id (NULL: unknown) */
    unsigned nfields;
    uint32_t required; /* bit i set: field id i is required */
    bool all_fields;   /* unions: hand unknown ids to field() too */
    int (*field)(dec *d, void *obj, const pq_tfield *f);
} sdesc;

#define NFIELDS(names) ((unsigned)(sizeof(names) / sizeof((names)[0])))
#define BIT(id) (1u << (id))

static int dec_struct(dec *d, const sdesc *sd, void *obj)
{
    int rc = pq_tr_struct_begin(&d->r);
    if (rc)
        return locate(d, rc);
    int16_t last = 0;
    uint32_t seen = 0;
    for (;;) {
        pq_tfield f;
        if ((rc = pq_tr_field(&d->r, &last, &f)))
            return locate(d, rc);
        if (f.type == PQ_T_STOP)
            break;
        const char *fname = f.id > 0 && (unsigned)f.id < sd->nfields ? sd->fields[f.id] : NULL;
        if (!fname && !sd->all_fields) {
            if ((rc = pq_tr_skip(&d->r, f.type))) {
                push_name(d, "(unknown field)");
                locate(d, rc);
                pop(d);
                return rc;
            }
            continue;
        }
        push_name(d, fname ? fname : "(unknown member)");
        rc = sd->field(d, obj, &f);
        if (rc) {
            locate(d, rc);
            pop(d);
            return rc;
        }
        pop(d);
        if (f.id > 0 && f.id < 32)
            seen |= BIT(f.id);
    }
    pq_tr_struct_end(&d->r);
    uint32_t missing = sd->required & ~seen;
    if (missing) {
        unsigned id = 0;
        while (!(missing & BIT(id)))
            id++;
        return locate(d, pq_tr_error(&d->r, "%s: required field '%s' (id %u) missing", sd->name,
                                     sd->fields[id], id));
    }
    return 0;
}

static int want(dec *d, const pq_tfield *f, uint8_t type)
{
    if (f->type == type)
        return 0;
    return pq_tr_error(&d->r, "field id %d has type %s, expected %s", f->id, pq_ttype_name(f->type),
                       pq_ttype_name(type));
}

static void set(bool *has)
{
    if (has)
        *has = true;
}

static int get_bool(dec *d, const pq_tfield *f, bool *v, bool *has)
{
    int rc = want(d, f, PQ_T_BOOL);
    if (!rc && !(rc = pq_tr_bool(&d->r, v)))
        set(has);
    return rc;
}

static int get_i8(dec *d, const pq_tfield *f, int8_t *v, bool *has)
{
    int rc = want(d, f, PQ_T_I8);
    if (!rc && !(rc = pq_tr_i8(&d->r, v)))
        set(has);
    return rc;
}

static int get_i16(dec *d, const pq_tfield *f, int16_t *v, bool *has)
{
    int rc = want(d, f, PQ_T_I16);
    if (!rc && !(rc = pq_tr_i16(&d->r, v)))
        set(has);
    return rc;
}

static int get_i32(dec *d, const pq_tfield *f, int32_t *v, bool *has)
{
    int rc = want(d, f, PQ_T_I32);
    if (!rc && !(rc = pq_tr_i32(&d->r, v)))
        set(has);
    return rc;
}

static int get_i64(dec *d, const pq_tfield *f, int64_t *v, bool *has)
{
    int rc = want(d, f, PQ_T_I64);
    if (!rc && !(rc = pq_tr_i64(&d->r, v)))
        set(has);
    return rc;
}

/* Reads a binary value: copied (and NUL-terminated) into d->mem, or
 * borrowed from the input when d->mem is NULL. */
static int read_bytes(dec *d, const uint8_t **out, size_t *len)
{
    const uint8_t *p;
    uint32_t n;
    int rc = pq_tr_binary(&d->r, &p, &n);
    if (rc)
        return rc;
    if (d->mem) {
        uint8_t *copy = mem_alloc(d->mem, (size_t)n + 1);
        if (!copy)
            return DELTA_ENOMEM;
        if (n)
            memcpy(copy, p, n);
        copy[n] = '\0';
        p = copy;
    }
    *out = p;
    *len = n;
    return 0;
}

static int read_str(dec *d, pq_str *s)
{
    const uint8_t *p;
    int rc = read_bytes(d, &p, &s->len);
    if (!rc)
        s->ptr = (const char *)p;
    return rc;
}

static int read_bin(dec *d, pq_bin *b)
{
    return read_bytes(d, &b->ptr, &b->len);
}

static int get_str(dec *d, const pq_tfield *f, pq_str *s, bool *has)
{
    int rc = want(d, f, PQ_T_BINARY);
    if (!rc && !(rc = read_str(d, s)))
        set(has);
    return rc;
}

static int get_bin(dec *d, const pq_tfield *f, pq_bin *b, bool *has)
{
    int rc = want(d, f, PQ_T_BINARY);
    if (!rc && !(rc = read_bin(d, b)))
        set(has);
    return rc;
}

static int get_struct(dec *d, const pq_tfield *f, const sdesc *sd, void *obj, bool *has)
{
    int rc = want(d, f, PQ_T_STRUCT);
    if (!rc && !(rc = dec_struct(d, sd, obj)))
        set(has);
    return rc;
}

enum list_kind { L_BOOL, L_I32, L_I64, L_STR, L_BIN, L_STRUCT };

static const uint8_t list_ttype[] = {
    [L_BOOL] = PQ_T_BOOL,  [L_I32] = PQ_T_I32,    [L_I64] = PQ_T_I64,
    [L_STR] = PQ_T_BINARY, [L_BIN] = PQ_T_BINARY, [L_STRUCT] = PQ_T_STRUCT,
};

static int read_elem(dec *d, enum list_kind kind, const sdesc *sd, void *slot)
{
    switch (kind) {
    case L_BOOL: return pq_tr_bool(&d->r, slot);
    case L_I32: return pq_tr_i32(&d->r, slot);
    case L_I64: return pq_tr_i64(&d->r, slot);
    case L_STR: return read_str(d, slot);
    case L_BIN: return read_bin(d, slot);
    case L_STRUCT: return dec_struct(d, sd, slot);
    }
    return DELTA_EINVAL;
}

/*
 * Decodes a list field into a new array of `esz`-byte elements in d->mem.
 * The array grows (doubling, in d->mem) as elements decode, so the memory
 * used is proportional to the elements actually present, whatever count
 * the header announced.
 */
static int get_list(dec *d, const pq_tfield *f, enum list_kind kind, const sdesc *sd, size_t esz,
                    void **out, uint32_t *count, bool *has)
{
    int rc = want(d, f, PQ_T_LIST);
    if (rc)
        return rc;
    uint8_t et;
    uint32_t n;
    if ((rc = pq_tr_list_begin(&d->r, &et, &n)))
        return rc;
    if (n && et != list_ttype[kind])
        return pq_tr_error(&d->r, "list elements have type %s, expected %s", pq_ttype_name(et),
                           pq_ttype_name(list_ttype[kind]));
    unsigned char *arr = NULL;
    uint32_t cap = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i == cap) {
            uint32_t ncap = cap ? (cap > n / 2 ? n : cap * 2) : (n < 16 ? n : 16);
            unsigned char *na = mem_array(d->mem, ncap, esz);
            if (!na)
                return DELTA_ENOMEM;
            if (cap)
                memcpy(na, arr, (size_t)cap * esz);
            arr = na;
            cap = ncap;
        }
        push_index(d, i);
        rc = read_elem(d, kind, sd, arr + (size_t)i * esz);
        if (rc) {
            locate(d, rc);
            pop(d);
            return rc;
        }
        pop(d);
    }
    pq_tr_container_end(&d->r);
    *out = arr;
    *count = n;
    set(has);
    return 0;
}

/* Decodes a list field into `arr`/`cnt` (of the enclosing field function's
 * object) and returns from that function. */
#define RETURN_LIST(kind, sd, arr, cnt, has)                                                       \
    do {                                                                                           \
        void *tmp_ = NULL;                                                                         \
        int rc_ = get_list(d, f, (kind), (sd), sizeof *(arr), &tmp_, &(cnt), (has));               \
        (arr) = tmp_;                                                                              \
        return rc_;                                                                                \
    } while (0)

static int encrypted(dec *d, const char *what)
{
    return delta_error_set(DELTA_EUNSUPPORTED,
                           "%s present at byte %zu: Parquet modular encryption is not supported",
                           what, pq_tr_offset(&d->r));
}

/* ------------------------------------------------------------------ */
/* Struct descriptors                                                  */
/* ------------------------------------------------------------------ */

/* Statistics */
static const char *const statistics_fields[] = {NULL,
                                                "max",
                                                "min",
                                                "null_count",
                                                "distinct_count",
                                                "max_value",
                                                "min_value",
                                                "is_max_value_exact",
                                                "is_min_value_exact",
                                                "nan_count"};

static int statistics_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_statistics *s = obj;
    switch (f->id) {
    case 1: return get_bin(d, f, &s->max, &s->has_max);
    case 2: return get_bin(d, f, &s->min, &s->has_min);
    case 3: return get_i64(d, f, &s->null_count, &s->has_null_count);
    case 4: return get_i64(d, f, &s->distinct_count, &s->has_distinct_count);
    case 5: return get_bin(d, f, &s->max_value, &s->has_max_value);
    case 6: return get_bin(d, f, &s->min_value, &s->has_min_value);
    case 7: return get_bool(d, f, &s->is_max_value_exact, &s->has_is_max_value_exact);
    case 8: return get_bool(d, f, &s->is_min_value_exact, &s->has_is_min_value_exact);
    case 9: return get_i64(d, f, &s->nan_count, &s->has_nan_count);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc statistics_desc = {
    "Statistics", statistics_fields, NFIELDS(statistics_fields), 0, false, statistics_field};

/* Empty structs (and structs whose content we do not keep). */
static int skip_field(dec *d, void *obj, const pq_tfield *f)
{
    (void)obj;
    return pq_tr_skip(&d->r, f->type);
}

static const char *const no_fields[] = {NULL};
static const sdesc empty_desc = {"(empty struct)", no_fields, 1, 0, false, skip_field};

/* TimeUnit union: obj is the int32_t unit. */
static const char *const time_unit_fields[] = {NULL, "MILLIS", "MICROS", "NANOS"};

static int time_unit_field(dec *d, void *obj, const pq_tfield *f)
{
    int32_t *unit = obj;
    if (*unit)
        return pq_tr_error(&d->r, "TimeUnit union has more than one member");
    int rc = get_struct(d, f, &empty_desc, NULL, NULL);
    if (!rc)
        *unit = f->id;
    return rc;
}

static const sdesc time_unit_desc = {"TimeUnit", time_unit_fields, NFIELDS(time_unit_fields), 0,
                                     true,       time_unit_field};

/* DecimalType, TimeType/TimestampType, IntType, VariantType, Geometry,
 * Geography: all decode into the pq_logical_type. */
static const char *const decimal_fields[] = {NULL, "scale", "precision"};

static int decimal_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_logical_type *lt = obj;
    switch (f->id) {
    case 1: return get_i32(d, f, &lt->scale, NULL);
    case 2: return get_i32(d, f, &lt->precision, NULL);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc decimal_desc = {"DecimalType",   decimal_fields, NFIELDS(decimal_fields),
                                   BIT(1) | BIT(2), false,          decimal_field};

static const char *const time_fields[] = {NULL, "isAdjustedToUTC", "unit"};

static int time_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_logical_type *lt = obj;
    switch (f->id) {
    case 1: return get_bool(d, f, &lt->is_adjusted_to_utc, NULL);
    case 2: {
        lt->unit = 0;
        int rc = get_struct(d, f, &time_unit_desc, &lt->unit, NULL);
        if (!rc && lt->unit == 0)
            rc = pq_tr_error(&d->r, "TimeUnit union has no member");
        return rc;
    }
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc time_desc = {"TimeType",      time_fields, NFIELDS(time_fields),
                                BIT(1) | BIT(2), false,       time_field};
static const sdesc timestamp_desc = {"TimestampType", time_fields, NFIELDS(time_fields),
                                     BIT(1) | BIT(2), false,       time_field};

static const char *const int_fields[] = {NULL, "bitWidth", "isSigned"};

static int int_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_logical_type *lt = obj;
    switch (f->id) {
    case 1: return get_i8(d, f, &lt->bit_width, NULL);
    case 2: return get_bool(d, f, &lt->is_signed, NULL);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc int_desc = {"IntType",       int_fields, NFIELDS(int_fields),
                               BIT(1) | BIT(2), false,      int_field};

static const char *const variant_fields[] = {NULL, "specification_version"};

static int variant_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_logical_type *lt = obj;
    if (f->id == 1)
        return get_i8(d, f, &lt->specification_version, &lt->has_specification_version);
    return pq_tr_skip(&d->r, f->type);
}

static const sdesc variant_desc = {"VariantType", variant_fields, NFIELDS(variant_fields), 0,
                                   false,         variant_field};

static const char *const geo_fields[] = {NULL, "crs", "algorithm"};

static int geo_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_logical_type *lt = obj;
    switch (f->id) {
    case 1: return get_str(d, f, &lt->crs, &lt->has_crs);
    case 2:
        if (lt->kind == PQ_LT_GEOGRAPHY)
            return get_i32(d, f, &lt->algorithm, &lt->has_algorithm);
        return pq_tr_skip(&d->r, f->type);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc geometry_desc = {"GeometryType", geo_fields, 2, 0, false, geo_field};
static const sdesc geography_desc = {"GeographyType", geo_fields, NFIELDS(geo_fields), 0,
                                     false,           geo_field};

/* LogicalType union */
static const char *const logical_fields[] = {
    NULL,   "STRING",    "MAP",     "LIST",     "ENUM",      "DECIMAL", "DATE",
    "TIME", "TIMESTAMP", NULL,      "INTEGER",  "UNKNOWN",   "JSON",    "BSON",
    "UUID", "FLOAT16",   "VARIANT", "GEOMETRY", "GEOGRAPHY", "VECTOR"};

static int logical_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_logical_type *lt = obj;
    if (lt->kind != PQ_LT_NONE)
        return pq_tr_error(&d->r, "LogicalType union has more than one member");
    if (f->id <= 0)
        return pq_tr_error(&d->r, "invalid LogicalType member id %d", f->id);
    lt->kind = f->id;
    const sdesc *sd;
    switch (f->id) {
    case PQ_LT_DECIMAL: sd = &decimal_desc; break;
    case PQ_LT_TIME: sd = &time_desc; break;
    case PQ_LT_TIMESTAMP: sd = &timestamp_desc; break;
    case PQ_LT_INTEGER: sd = &int_desc; break;
    case PQ_LT_VARIANT: sd = &variant_desc; break;
    case PQ_LT_GEOMETRY: sd = &geometry_desc; break;
    case PQ_LT_GEOGRAPHY: sd = &geography_desc; break;
    default: sd = &empty_desc; break;
    }
    return get_struct(d, f, sd, lt, NULL);
}

static const sdesc logical_desc = {"LogicalType", logical_fields, NFIELDS(logical_fields), 0,
                                   true,          logical_field};

/* SchemaElement */
static const char *const schema_fields[] = {
    NULL,        "type",         "type_length",    "repetition_type",
    "name",      "num_children", "converted_type", "scale",
    "precision", "field_id",     "logicalType",    "vector_length"};

static int schema_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_schema_element *e = obj;
    switch (f->id) {
    case 1: return get_i32(d, f, &e->type, &e->has_type);
    case 2: return get_i32(d, f, &e->type_length, &e->has_type_length);
    case 3: return get_i32(d, f, &e->repetition_type, &e->has_repetition_type);
    case 4: return get_str(d, f, &e->name, NULL);
    case 5: return get_i32(d, f, &e->num_children, &e->has_num_children);
    case 6: return get_i32(d, f, &e->converted_type, &e->has_converted_type);
    case 7: return get_i32(d, f, &e->scale, &e->has_scale);
    case 8: return get_i32(d, f, &e->precision, &e->has_precision);
    case 9: return get_i32(d, f, &e->field_id, &e->has_field_id);
    case 10: {
        memset(&e->logical_type, 0, sizeof e->logical_type);
        int rc = get_struct(d, f, &logical_desc, &e->logical_type, NULL);
        /* An empty union says nothing: treat it as absent. */
        e->has_logical_type = !rc && e->logical_type.kind != PQ_LT_NONE;
        return rc;
    }
    case 11: return get_i32(d, f, &e->vector_length, &e->has_vector_length);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc schema_desc = {"SchemaElement", schema_fields, NFIELDS(schema_fields),
                                  BIT(4),          false,         schema_field};

/* KeyValue */
static const char *const kv_fields[] = {NULL, "key", "value"};

static int kv_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_key_value *kv = obj;
    switch (f->id) {
    case 1: return get_str(d, f, &kv->key, NULL);
    case 2: return get_str(d, f, &kv->value, &kv->has_value);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc kv_desc = {"KeyValue", kv_fields, NFIELDS(kv_fields), BIT(1), false, kv_field};

/* SortingColumn */
static const char *const sorting_fields[] = {NULL, "column_idx", "descending", "nulls_first"};

static int sorting_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_sorting_column *s = obj;
    switch (f->id) {
    case 1: return get_i32(d, f, &s->column_idx, NULL);
    case 2: return get_bool(d, f, &s->descending, NULL);
    case 3: return get_bool(d, f, &s->nulls_first, NULL);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc sorting_desc = {
    "SortingColumn",          sorting_fields, NFIELDS(sorting_fields),
    BIT(1) | BIT(2) | BIT(3), false,          sorting_field};

/* PageEncodingStats */
static const char *const pes_fields[] = {NULL, "page_type", "encoding", "count"};

static int pes_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_page_encoding_stats *s = obj;
    switch (f->id) {
    case 1: return get_i32(d, f, &s->page_type, NULL);
    case 2: return get_i32(d, f, &s->encoding, NULL);
    case 3: return get_i32(d, f, &s->count, NULL);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc pes_desc = {"PageEncodingStats",      pes_fields, NFIELDS(pes_fields),
                               BIT(1) | BIT(2) | BIT(3), false,      pes_field};

/* SizeStatistics */
static const char *const size_stats_fields[] = {NULL, "unencoded_byte_array_data_bytes",
                                                "repetition_level_histogram",
                                                "definition_level_histogram"};

static int size_stats_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_size_statistics *s = obj;
    switch (f->id) {
    case 1:
        return get_i64(d, f, &s->unencoded_byte_array_data_bytes,
                       &s->has_unencoded_byte_array_data_bytes);
    case 2:
        RETURN_LIST(L_I64, NULL, s->repetition_level_histogram, s->num_repetition_level_histogram,
                    &s->has_repetition_level_histogram);
    case 3:
        RETURN_LIST(L_I64, NULL, s->definition_level_histogram, s->num_definition_level_histogram,
                    &s->has_definition_level_histogram);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc size_stats_desc = {
    "SizeStatistics", size_stats_fields, NFIELDS(size_stats_fields), 0, false, size_stats_field};

/* ColumnMetaData */
static const char *const column_meta_fields[] = {NULL,
                                                 "type",
                                                 "encodings",
                                                 "path_in_schema",
                                                 "codec",
                                                 "num_values",
                                                 "total_uncompressed_size",
                                                 "total_compressed_size",
                                                 "key_value_metadata",
                                                 "data_page_offset",
                                                 "index_page_offset",
                                                 "dictionary_page_offset",
                                                 "statistics",
                                                 "encoding_stats",
                                                 "bloom_filter_offset",
                                                 "bloom_filter_length",
                                                 "size_statistics",
                                                 "geospatial_statistics"};

static int column_meta_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_column_meta *c = obj;
    switch (f->id) {
    case 1: return get_i32(d, f, &c->type, NULL);
    case 2: RETURN_LIST(L_I32, NULL, c->encodings, c->num_encodings, NULL);
    case 3: RETURN_LIST(L_STR, NULL, c->path_in_schema, c->num_path_in_schema, NULL);
    case 4: return get_i32(d, f, &c->codec, NULL);
    case 5: return get_i64(d, f, &c->num_values, NULL);
    case 6: return get_i64(d, f, &c->total_uncompressed_size, NULL);
    case 7: return get_i64(d, f, &c->total_compressed_size, NULL);
    case 8:
        RETURN_LIST(L_STRUCT, &kv_desc, c->key_value_metadata, c->num_key_value_metadata,
                    &c->has_key_value_metadata);
    case 9: return get_i64(d, f, &c->data_page_offset, NULL);
    case 10: return get_i64(d, f, &c->index_page_offset, &c->has_index_page_offset);
    case 11: return get_i64(d, f, &c->dictionary_page_offset, &c->has_dictionary_page_offset);
    case 12:
        memset(&c->statistics, 0, sizeof c->statistics);
        return get_struct(d, f, &statistics_desc, &c->statistics, &c->has_statistics);
    case 13:
        RETURN_LIST(L_STRUCT, &pes_desc, c->encoding_stats, c->num_encoding_stats,
                    &c->has_encoding_stats);
    case 14: return get_i64(d, f, &c->bloom_filter_offset, &c->has_bloom_filter_offset);
    case 15: return get_i32(d, f, &c->bloom_filter_length, &c->has_bloom_filter_length);
    case 16:
        memset(&c->size_statistics, 0, sizeof c->size_statistics);
        return get_struct(d, f, &size_stats_desc, &c->size_statistics, &c->has_size_statistics);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc column_meta_desc = {"ColumnMetaData",
                                       column_meta_fields,
                                       NFIELDS(column_meta_fields),
                                       BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) |
                                           BIT(7) | BIT(9),
                                       false,
                                       column_meta_field};

/* ColumnChunk */
static const char *const column_chunk_fields[] = {NULL,
                                                  "file_path",
                                                  "file_offset",
                                                  "meta_data",
                                                  "offset_index_offset",
                                                  "offset_index_length",
                                                  "column_index_offset",
                                                  "column_index_length",
                                                  "crypto_metadata",
                                                  "encrypted_column_metadata"};

static int column_chunk_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_column_chunk *c = obj;
    switch (f->id) {
    case 1: return get_str(d, f, &c->file_path, &c->has_file_path);
    case 2: return get_i64(d, f, &c->file_offset, NULL);
    case 3:
        memset(&c->meta_data, 0, sizeof c->meta_data);
        return get_struct(d, f, &column_meta_desc, &c->meta_data, &c->has_meta_data);
    case 4: return get_i64(d, f, &c->offset_index_offset, &c->has_offset_index_offset);
    case 5: return get_i32(d, f, &c->offset_index_length, &c->has_offset_index_length);
    case 6: return get_i64(d, f, &c->column_index_offset, &c->has_column_index_offset);
    case 7: return get_i32(d, f, &c->column_index_length, &c->has_column_index_length);
    case 8:
    case 9: return encrypted(d, column_chunk_fields[f->id]);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

/* file_offset is required by the specification but some writers leave it
 * out (it is deprecated and means nothing); a missing one reads as 0. */
static const sdesc column_chunk_desc = {
    "ColumnChunk", column_chunk_fields, NFIELDS(column_chunk_fields), 0, false, column_chunk_field};

/* RowGroup */
static const char *const row_group_fields[] = {NULL,
                                               "columns",
                                               "total_byte_size",
                                               "num_rows",
                                               "sorting_columns",
                                               "file_offset",
                                               "total_compressed_size",
                                               "ordinal"};

static int row_group_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_row_group *g = obj;
    switch (f->id) {
    case 1: RETURN_LIST(L_STRUCT, &column_chunk_desc, g->columns, g->num_columns, NULL);
    case 2: return get_i64(d, f, &g->total_byte_size, NULL);
    case 3: return get_i64(d, f, &g->num_rows, NULL);
    case 4:
        RETURN_LIST(L_STRUCT, &sorting_desc, g->sorting_columns, g->num_sorting_columns,
                    &g->has_sorting_columns);
    case 5: return get_i64(d, f, &g->file_offset, &g->has_file_offset);
    case 6: return get_i64(d, f, &g->total_compressed_size, &g->has_total_compressed_size);
    case 7: return get_i16(d, f, &g->ordinal, &g->has_ordinal);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc row_group_desc = {
    "RowGroup", row_group_fields, NFIELDS(row_group_fields), BIT(1) | BIT(2) | BIT(3),
    false,      row_group_field};

/* ColumnOrder union: obj is an int32_t. */
static const char *const column_order_fields[] = {NULL, "TYPE_ORDER", "IEEE_754_TOTAL_ORDER",
                                                  "INT96_TIMESTAMP_ORDER"};

static int column_order_field(dec *d, void *obj, const pq_tfield *f)
{
    int32_t *order = obj;
    if (*order)
        return pq_tr_error(&d->r, "ColumnOrder union has more than one member");
    if (f->id <= 0)
        return pq_tr_error(&d->r, "invalid ColumnOrder member id %d", f->id);
    int rc = get_struct(d, f, &empty_desc, NULL, NULL);
    if (!rc)
        *order = f->id;
    return rc;
}

static const sdesc column_order_desc = {
    "ColumnOrder", column_order_fields, NFIELDS(column_order_fields), 0, true, column_order_field};

/* FileMetaData */
static const char *const file_meta_fields[] = {NULL,
                                               "version",
                                               "schema",
                                               "num_rows",
                                               "row_groups",
                                               "key_value_metadata",
                                               "created_by",
                                               "column_orders",
                                               "encryption_algorithm",
                                               "footer_signing_key_metadata"};

static int file_meta_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_file_meta *m = obj;
    switch (f->id) {
    case 1: return get_i32(d, f, &m->version, NULL);
    case 2: RETURN_LIST(L_STRUCT, &schema_desc, m->schema, m->num_schema, NULL);
    case 3: return get_i64(d, f, &m->num_rows, NULL);
    case 4: RETURN_LIST(L_STRUCT, &row_group_desc, m->row_groups, m->num_row_groups, NULL);
    case 5:
        RETURN_LIST(L_STRUCT, &kv_desc, m->key_value_metadata, m->num_key_value_metadata,
                    &m->has_key_value_metadata);
    case 6: return get_str(d, f, &m->created_by, &m->has_created_by);
    case 7:
        RETURN_LIST(L_STRUCT, &column_order_desc, m->column_orders, m->num_column_orders,
                    &m->has_column_orders);
    case 8:
    case 9: return encrypted(d, file_meta_fields[f->id]);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc file_meta_desc = {
    "FileMetaData", file_meta_fields, NFIELDS(file_meta_fields), BIT(1) | BIT(2) | BIT(3) | BIT(4),
    false,          file_meta_field};

/* DataPageHeader */
static const char *const dph_fields[] = {
    NULL,        "num_values", "encoding", "definition_level_encoding", "repetition_level_encoding",
    "statistics"};

static int dph_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_data_page_header *h = obj;
    switch (f->id) {
    case 1: return get_i32(d, f, &h->num_values, NULL);
    case 2: return get_i32(d, f, &h->encoding, NULL);
    case 3: return get_i32(d, f, &h->definition_level_encoding, NULL);
    case 4: return get_i32(d, f, &h->repetition_level_encoding, NULL);
    case 5:
        memset(&h->statistics, 0, sizeof h->statistics);
        return get_struct(d, f, &statistics_desc, &h->statistics, &h->has_statistics);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc dph_desc = {
    "DataPageHeader", dph_fields, NFIELDS(dph_fields), BIT(1) | BIT(2) | BIT(3) | BIT(4), false,
    dph_field};

/* DictionaryPageHeader */
static const char *const dict_fields[] = {NULL, "num_values", "encoding", "is_sorted"};

static int dict_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_dictionary_page_header *h = obj;
    switch (f->id) {
    case 1: return get_i32(d, f, &h->num_values, NULL);
    case 2: return get_i32(d, f, &h->encoding, NULL);
    case 3: return get_bool(d, f, &h->is_sorted, &h->has_is_sorted);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc dict_desc = {"DictionaryPageHeader", dict_fields, NFIELDS(dict_fields),
                                BIT(1) | BIT(2),        false,       dict_field};

/* DataPageHeaderV2 */
static const char *const dph2_fields[] = {NULL,
                                          "num_values",
                                          "num_nulls",
                                          "num_rows",
                                          "encoding",
                                          "definition_levels_byte_length",
                                          "repetition_levels_byte_length",
                                          "is_compressed",
                                          "statistics"};

static int dph2_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_data_page_header_v2 *h = obj;
    switch (f->id) {
    case 1: return get_i32(d, f, &h->num_values, NULL);
    case 2: return get_i32(d, f, &h->num_nulls, NULL);
    case 3: return get_i32(d, f, &h->num_rows, NULL);
    case 4: return get_i32(d, f, &h->encoding, NULL);
    case 5: return get_i32(d, f, &h->definition_levels_byte_length, NULL);
    case 6: return get_i32(d, f, &h->repetition_levels_byte_length, NULL);
    case 7: return get_bool(d, f, &h->is_compressed, &h->has_is_compressed);
    case 8:
        memset(&h->statistics, 0, sizeof h->statistics);
        return get_struct(d, f, &statistics_desc, &h->statistics, &h->has_statistics);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc dph2_desc = {"DataPageHeaderV2",
                                dph2_fields,
                                NFIELDS(dph2_fields),
                                BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6),
                                false,
                                dph2_field};

/* PageHeader */
static const char *const page_header_fields[] = {NULL,
                                                 "type",
                                                 "uncompressed_page_size",
                                                 "compressed_page_size",
                                                 "crc",
                                                 "data_page_header",
                                                 "index_page_header",
                                                 "dictionary_page_header",
                                                 "data_page_header_v2"};

static int page_header_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_page_header *h = obj;
    switch (f->id) {
    case 1: return get_i32(d, f, &h->type, NULL);
    case 2: return get_i32(d, f, &h->uncompressed_page_size, NULL);
    case 3: return get_i32(d, f, &h->compressed_page_size, NULL);
    case 4: return get_i32(d, f, &h->crc, &h->has_crc);
    case 5:
        memset(&h->data_page_header, 0, sizeof h->data_page_header);
        return get_struct(d, f, &dph_desc, &h->data_page_header, &h->has_data_page_header);
    case 6: return get_struct(d, f, &empty_desc, NULL, &h->has_index_page_header);
    case 7:
        memset(&h->dictionary_page_header, 0, sizeof h->dictionary_page_header);
        return get_struct(d, f, &dict_desc, &h->dictionary_page_header,
                          &h->has_dictionary_page_header);
    case 8:
        memset(&h->data_page_header_v2, 0, sizeof h->data_page_header_v2);
        h->data_page_header_v2.is_compressed = true;
        return get_struct(d, f, &dph2_desc, &h->data_page_header_v2, &h->has_data_page_header_v2);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc page_header_desc = {
    "PageHeader", page_header_fields, NFIELDS(page_header_fields), BIT(1) | BIT(2) | BIT(3),
    false,        page_header_field};

/* ColumnIndex: decoded through a wrapper that keeps every list's length,
 * checked for agreement afterwards. */
typedef struct ci_dec {
    pq_column_index *ci;
    uint32_t n_null_pages, n_min, n_max, n_null_counts, n_nan_counts;
} ci_dec;

static const char *const ci_fields[] = {NULL,
                                        "null_pages",
                                        "min_values",
                                        "max_values",
                                        "boundary_order",
                                        "null_counts",
                                        "repetition_level_histograms",
                                        "definition_level_histograms",
                                        "nan_counts"};

static int ci_field(dec *d, void *obj, const pq_tfield *f)
{
    ci_dec *w = obj;
    pq_column_index *ci = w->ci;
    switch (f->id) {
    case 1: RETURN_LIST(L_BOOL, NULL, ci->null_pages, w->n_null_pages, NULL);
    case 2: RETURN_LIST(L_BIN, NULL, ci->min_values, w->n_min, NULL);
    case 3: RETURN_LIST(L_BIN, NULL, ci->max_values, w->n_max, NULL);
    case 4: return get_i32(d, f, &ci->boundary_order, NULL);
    case 5: RETURN_LIST(L_I64, NULL, ci->null_counts, w->n_null_counts, &ci->has_null_counts);
    case 6:
        RETURN_LIST(L_I64, NULL, ci->repetition_level_histograms,
                    ci->num_repetition_level_histograms, &ci->has_repetition_level_histograms);
    case 7:
        RETURN_LIST(L_I64, NULL, ci->definition_level_histograms,
                    ci->num_definition_level_histograms, &ci->has_definition_level_histograms);
    case 8: RETURN_LIST(L_I64, NULL, ci->nan_counts, w->n_nan_counts, &ci->has_nan_counts);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc ci_desc = {
    "ColumnIndex", ci_fields, NFIELDS(ci_fields), BIT(1) | BIT(2) | BIT(3) | BIT(4),
    false,         ci_field};

/* PageLocation, OffsetIndex */
static const char *const page_location_fields[] = {NULL, "offset", "compressed_page_size",
                                                   "first_row_index"};

static int page_location_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_page_location *p = obj;
    switch (f->id) {
    case 1: return get_i64(d, f, &p->offset, NULL);
    case 2: return get_i32(d, f, &p->compressed_page_size, NULL);
    case 3: return get_i64(d, f, &p->first_row_index, NULL);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc page_location_desc = {
    "PageLocation", page_location_fields, NFIELDS(page_location_fields), BIT(1) | BIT(2) | BIT(3),
    false,          page_location_field};

static const char *const oi_fields[] = {NULL, "page_locations", "unencoded_byte_array_data_bytes"};

static int oi_field(dec *d, void *obj, const pq_tfield *f)
{
    pq_offset_index *oi = obj;
    switch (f->id) {
    case 1: RETURN_LIST(L_STRUCT, &page_location_desc, oi->page_locations, oi->num_pages, NULL);
    case 2:
        RETURN_LIST(L_I64, NULL, oi->unencoded_byte_array_data_bytes,
                    oi->num_unencoded_byte_array_data_bytes,
                    &oi->has_unencoded_byte_array_data_bytes);
    default: return pq_tr_skip(&d->r, f->type);
    }
}

static const sdesc oi_desc = {"OffsetIndex", oi_fields, NFIELDS(oi_fields),
                              BIT(1),        false,     oi_field};

/* ------------------------------------------------------------------ */
/* Top-level decoders                                                  */
/* ------------------------------------------------------------------ */

/* Decodes one struct that must fill buf[0..len) exactly. */
static int decode_whole(dec *d, const sdesc *sd, void *obj)
{
    int rc = dec_struct(d, sd, obj);
    if (!rc && pq_tr_remaining(&d->r))
        rc = locate(d, pq_tr_error(&d->r, "%zu unexpected bytes after the %s struct",
                                   pq_tr_remaining(&d->r), sd->name));
    return rc;
}

int pq_file_meta_decode(pq_file_meta **out, const uint8_t *buf, size_t len)
{
    *out = NULL;
    struct pq_mem *mem = mem_new();
    if (!mem)
        return DELTA_ENOMEM;
    pq_file_meta *m = mem_alloc(mem, sizeof *m);
    if (!m) {
        mem_free(mem);
        return DELTA_ENOMEM;
    }
    dec d;
    dec_init(&d, buf, len, mem, "FileMetaData");
    int rc = decode_whole(&d, &file_meta_desc, m);
    if (rc) {
        mem_free(mem);
        return rc;
    }
    m->mem = mem;
    *out = m;
    return 0;
}

void pq_file_meta_free(pq_file_meta *m)
{
    if (m)
        mem_free(m->mem); /* m itself lives in m->mem */
}

int pq_page_header_decode(pq_page_header *out, const uint8_t *buf, size_t len, size_t *consumed)
{
    memset(out, 0, sizeof *out);
    dec d;
    dec_init(&d, buf, len, NULL, "PageHeader");
    int rc = dec_struct(&d, &page_header_desc, out);
    if (rc) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    if (consumed)
        *consumed = pq_tr_offset(&d.r);
    return 0;
}

int pq_column_index_decode(pq_column_index **out, const uint8_t *buf, size_t len)
{
    *out = NULL;
    struct pq_mem *mem = mem_new();
    if (!mem)
        return DELTA_ENOMEM;
    pq_column_index *ci = mem_alloc(mem, sizeof *ci);
    if (!ci) {
        mem_free(mem);
        return DELTA_ENOMEM;
    }
    ci_dec w = {ci, 0, 0, 0, 0, 0};
    dec d;
    dec_init(&d, buf, len, mem, "ColumnIndex");
    int rc = decode_whole(&d, &ci_desc, &w);
    if (!rc && (w.n_min != w.n_null_pages || w.n_max != w.n_null_pages))
        rc = delta_error_set(DELTA_ECORRUPT,
                             "ColumnIndex: null_pages has %u entries but min_values %u and "
                             "max_values %u",
                             w.n_null_pages, w.n_min, w.n_max);
    if (!rc && ci->has_null_counts && w.n_null_counts != w.n_null_pages)
        rc = delta_error_set(DELTA_ECORRUPT, "ColumnIndex: %u null_counts for %u pages",
                             w.n_null_counts, w.n_null_pages);
    if (!rc && ci->has_nan_counts && w.n_nan_counts != w.n_null_pages)
        rc = delta_error_set(DELTA_ECORRUPT, "ColumnIndex: %u nan_counts for %u pages",
                             w.n_nan_counts, w.n_null_pages);
    if (rc) {
        mem_free(mem);
        return rc;
    }
    ci->num_pages = w.n_null_pages;
    ci->mem = mem;
    *out = ci;
    return 0;
}

void pq_column_index_free(pq_column_index *ci)
{
    if (ci)
        mem_free(ci->mem);
}

int pq_offset_index_decode(pq_offset_index **out, const uint8_t *buf, size_t len)
{
    *out = NULL;
    struct pq_mem *mem = mem_new();
    if (!mem)
        return DELTA_ENOMEM;
    pq_offset_index *oi = mem_alloc(mem, sizeof *oi);
    if (!oi) {
        mem_free(mem);
        return DELTA_ENOMEM;
    }
    dec d;
    dec_init(&d, buf, len, mem, "OffsetIndex");
    int rc = decode_whole(&d, &oi_desc, oi);
    if (rc) {
        mem_free(mem);
        return rc;
    }
    oi->mem = mem;
    *out = oi;
    return 0;
}

void pq_offset_index_free(pq_offset_index *oi)
{
    if (oi)
        mem_free(oi->mem);
}

/* ------------------------------------------------------------------ */
/* Footer                                                              */
/* ------------------------------------------------------------------ */

int pq_footer_parse(const uint8_t *tail, size_t tail_len, uint64_t file_size, uint32_t *meta_len)
{
    if (tail_len < 8)
        return delta_error_set(DELTA_EINVAL, "Parquet footer: need the last 8 bytes, got %zu",
                               tail_len);
    if (file_size < 12)
        return delta_error_set(DELTA_ECORRUPT,
                               "not a Parquet file: %llu bytes is too small for the magic "
                               "numbers and footer",
                               (unsigned long long)file_size);
    if (tail_len > file_size)
        return delta_error_set(DELTA_EINVAL, "footer: %zu tail bytes for a %llu-byte file",
                               tail_len, (unsigned long long)file_size);
    const uint8_t *magic = tail + tail_len - 4;
    if (memcmp(magic, "PARE", 4) == 0)
        return delta_error_set(DELTA_EUNSUPPORTED,
                               "Parquet file with encrypted footer (magic PARE): Parquet "
                               "modular encryption is not supported");
    if (memcmp(magic, "PAR1", 4) != 0)
        return delta_error_set(DELTA_ECORRUPT,
                               "not a Parquet file: trailing magic is %02x %02x %02x %02x, "
                               "expected \"PAR1\"",
                               magic[0], magic[1], magic[2], magic[3]);
    const uint8_t *l = tail + tail_len - 8;
    uint32_t n = (uint32_t)l[0] | (uint32_t)l[1] << 8 | (uint32_t)l[2] << 16 | (uint32_t)l[3] << 24;
    if (n == 0)
        return delta_error_set(DELTA_ECORRUPT, "Parquet footer: metadata length is 0");
    if ((uint64_t)n > file_size - 12)
        return delta_error_set(DELTA_ECORRUPT,
                               "Parquet footer: metadata length %u does not fit in a %llu-byte "
                               "file",
                               n, (unsigned long long)file_size);
    *meta_len = n;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Encoders                                                            */
/* ------------------------------------------------------------------ */

static void misuse(pq_twriter *w, const char *what)
{
    if (!w->err)
        w->err = delta_error_set(DELTA_EINVAL, "encoding Parquet metadata: %s", what);
}

static bool check_array(pq_twriter *w, const void *arr, uint32_t n, const char *what)
{
    if (n && !arr) {
        misuse(w, what);
        return false;
    }
    return true;
}

static void enc_str(pq_twriter *w, int16_t id, pq_str s)
{
    pq_tw_field_binary(w, id, s.ptr, s.len);
}

static void enc_bin(pq_twriter *w, int16_t id, pq_bin b)
{
    pq_tw_field_binary(w, id, b.ptr, b.len);
}

static void enc_list_i32(pq_twriter *w, int16_t id, const int32_t *a, uint32_t n, const char *what)
{
    if (!check_array(w, a, n, what))
        return;
    pq_tw_field(w, id, PQ_T_LIST);
    pq_tw_list_begin(w, PQ_T_I32, n);
    for (uint32_t i = 0; i < n; i++)
        pq_tw_i32(w, a[i]);
}

static void enc_list_i64(pq_twriter *w, int16_t id, const int64_t *a, uint32_t n, const char *what)
{
    if (!check_array(w, a, n, what))
        return;
    pq_tw_field(w, id, PQ_T_LIST);
    pq_tw_list_begin(w, PQ_T_I64, n);
    for (uint32_t i = 0; i < n; i++)
        pq_tw_i64(w, a[i]);
}

static void enc_list_begin(pq_twriter *w, int16_t id, uint8_t et, uint32_t n)
{
    pq_tw_field(w, id, PQ_T_LIST);
    pq_tw_list_begin(w, et, n);
}

static void enc_empty_member(pq_twriter *w, int16_t id)
{
    pq_tw_field(w, id, PQ_T_STRUCT);
    pq_tw_struct_begin(w);
    pq_tw_struct_end(w);
}

static void enc_statistics(pq_twriter *w, const pq_statistics *s)
{
    pq_tw_struct_begin(w);
    if (s->has_max)
        enc_bin(w, 1, s->max);
    if (s->has_min)
        enc_bin(w, 2, s->min);
    if (s->has_null_count)
        pq_tw_field_i64(w, 3, s->null_count);
    if (s->has_distinct_count)
        pq_tw_field_i64(w, 4, s->distinct_count);
    if (s->has_max_value)
        enc_bin(w, 5, s->max_value);
    if (s->has_min_value)
        enc_bin(w, 6, s->min_value);
    if (s->has_is_max_value_exact)
        pq_tw_field_bool(w, 7, s->is_max_value_exact);
    if (s->has_is_min_value_exact)
        pq_tw_field_bool(w, 8, s->is_min_value_exact);
    if (s->has_nan_count)
        pq_tw_field_i64(w, 9, s->nan_count);
    pq_tw_struct_end(w);
}

static void enc_time_unit(pq_twriter *w, int32_t unit)
{
    pq_tw_struct_begin(w);
    if (unit > 0 && unit <= INT16_MAX)
        enc_empty_member(w, (int16_t)unit);
    else
        misuse(w, "TimeUnit has no member");
    pq_tw_struct_end(w);
}

static void enc_logical_type(pq_twriter *w, const pq_logical_type *lt)
{
    if (lt->kind <= 0 || lt->kind > INT16_MAX) {
        misuse(w, "logicalType has no kind");
        return;
    }
    pq_tw_struct_begin(w);
    pq_tw_field(w, (int16_t)lt->kind, PQ_T_STRUCT);
    pq_tw_struct_begin(w);
    switch (lt->kind) {
    case PQ_LT_DECIMAL:
        pq_tw_field_i32(w, 1, lt->scale);
        pq_tw_field_i32(w, 2, lt->precision);
        break;
    case PQ_LT_TIME:
    case PQ_LT_TIMESTAMP:
        pq_tw_field_bool(w, 1, lt->is_adjusted_to_utc);
        pq_tw_field(w, 2, PQ_T_STRUCT);
        enc_time_unit(w, lt->unit);
        break;
    case PQ_LT_INTEGER:
        pq_tw_field_i8(w, 1, lt->bit_width);
        pq_tw_field_bool(w, 2, lt->is_signed);
        break;
    case PQ_LT_VARIANT:
        if (lt->has_specification_version)
            pq_tw_field_i8(w, 1, lt->specification_version);
        break;
    case PQ_LT_GEOMETRY:
    case PQ_LT_GEOGRAPHY:
        if (lt->has_crs)
            enc_str(w, 1, lt->crs);
        if (lt->kind == PQ_LT_GEOGRAPHY && lt->has_algorithm)
            pq_tw_field_i32(w, 2, lt->algorithm);
        break;
    default: break;
    }
    pq_tw_struct_end(w);
    pq_tw_struct_end(w);
}

static void enc_schema_element(pq_twriter *w, const pq_schema_element *e)
{
    pq_tw_struct_begin(w);
    if (e->has_type)
        pq_tw_field_i32(w, 1, e->type);
    if (e->has_type_length)
        pq_tw_field_i32(w, 2, e->type_length);
    if (e->has_repetition_type)
        pq_tw_field_i32(w, 3, e->repetition_type);
    enc_str(w, 4, e->name);
    if (e->has_num_children)
        pq_tw_field_i32(w, 5, e->num_children);
    if (e->has_converted_type)
        pq_tw_field_i32(w, 6, e->converted_type);
    if (e->has_scale)
        pq_tw_field_i32(w, 7, e->scale);
    if (e->has_precision)
        pq_tw_field_i32(w, 8, e->precision);
    if (e->has_field_id)
        pq_tw_field_i32(w, 9, e->field_id);
    if (e->has_logical_type) {
        pq_tw_field(w, 10, PQ_T_STRUCT);
        enc_logical_type(w, &e->logical_type);
    }
    if (e->has_vector_length)
        pq_tw_field_i32(w, 11, e->vector_length);
    pq_tw_struct_end(w);
}

static void enc_kv_list(pq_twriter *w, int16_t id, const pq_key_value *kv, uint32_t n)
{
    if (!check_array(w, kv, n, "key_value_metadata is NULL"))
        return;
    enc_list_begin(w, id, PQ_T_STRUCT, n);
    for (uint32_t i = 0; i < n; i++) {
        pq_tw_struct_begin(w);
        enc_str(w, 1, kv[i].key);
        if (kv[i].has_value)
            enc_str(w, 2, kv[i].value);
        pq_tw_struct_end(w);
    }
}

static void enc_size_statistics(pq_twriter *w, const pq_size_statistics *s)
{
    pq_tw_struct_begin(w);
    if (s->has_unencoded_byte_array_data_bytes)
        pq_tw_field_i64(w, 1, s->unencoded_byte_array_data_bytes);
    if (s->has_repetition_level_histogram)
        enc_list_i64(w, 2, s->repetition_level_histogram, s->num_repetition_level_histogram,
                     "repetition_level_histogram is NULL");
    if (s->has_definition_level_histogram)
        enc_list_i64(w, 3, s->definition_level_histogram, s->num_definition_level_histogram,
                     "definition_level_histogram is NULL");
    pq_tw_struct_end(w);
}

static void enc_column_meta(pq_twriter *w, const pq_column_meta *c)
{
    pq_tw_struct_begin(w);
    pq_tw_field_i32(w, 1, c->type);
    enc_list_i32(w, 2, c->encodings, c->num_encodings, "encodings is NULL");
    if (check_array(w, c->path_in_schema, c->num_path_in_schema, "path_in_schema is NULL")) {
        enc_list_begin(w, 3, PQ_T_BINARY, c->num_path_in_schema);
        for (uint32_t i = 0; i < c->num_path_in_schema; i++)
            pq_tw_binary(w, c->path_in_schema[i].ptr, c->path_in_schema[i].len);
    }
    pq_tw_field_i32(w, 4, c->codec);
    pq_tw_field_i64(w, 5, c->num_values);
    pq_tw_field_i64(w, 6, c->total_uncompressed_size);
    pq_tw_field_i64(w, 7, c->total_compressed_size);
    if (c->has_key_value_metadata)
        enc_kv_list(w, 8, c->key_value_metadata, c->num_key_value_metadata);
    pq_tw_field_i64(w, 9, c->data_page_offset);
    if (c->has_index_page_offset)
        pq_tw_field_i64(w, 10, c->index_page_offset);
    if (c->has_dictionary_page_offset)
        pq_tw_field_i64(w, 11, c->dictionary_page_offset);
    if (c->has_statistics) {
        pq_tw_field(w, 12, PQ_T_STRUCT);
        enc_statistics(w, &c->statistics);
    }
    if (c->has_encoding_stats &&
        check_array(w, c->encoding_stats, c->num_encoding_stats, "encoding_stats is NULL")) {
        enc_list_begin(w, 13, PQ_T_STRUCT, c->num_encoding_stats);
        for (uint32_t i = 0; i < c->num_encoding_stats; i++) {
            const pq_page_encoding_stats *s = &c->encoding_stats[i];
            pq_tw_struct_begin(w);
            pq_tw_field_i32(w, 1, s->page_type);
            pq_tw_field_i32(w, 2, s->encoding);
            pq_tw_field_i32(w, 3, s->count);
            pq_tw_struct_end(w);
        }
    }
    if (c->has_bloom_filter_offset)
        pq_tw_field_i64(w, 14, c->bloom_filter_offset);
    if (c->has_bloom_filter_length)
        pq_tw_field_i32(w, 15, c->bloom_filter_length);
    if (c->has_size_statistics) {
        pq_tw_field(w, 16, PQ_T_STRUCT);
        enc_size_statistics(w, &c->size_statistics);
    }
    pq_tw_struct_end(w);
}

static void enc_column_chunk(pq_twriter *w, const pq_column_chunk *c)
{
    pq_tw_struct_begin(w);
    if (c->has_file_path)
        enc_str(w, 1, c->file_path);
    pq_tw_field_i64(w, 2, c->file_offset);
    if (c->has_meta_data) {
        pq_tw_field(w, 3, PQ_T_STRUCT);
        enc_column_meta(w, &c->meta_data);
    }
    if (c->has_offset_index_offset)
        pq_tw_field_i64(w, 4, c->offset_index_offset);
    if (c->has_offset_index_length)
        pq_tw_field_i32(w, 5, c->offset_index_length);
    if (c->has_column_index_offset)
        pq_tw_field_i64(w, 6, c->column_index_offset);
    if (c->has_column_index_length)
        pq_tw_field_i32(w, 7, c->column_index_length);
    pq_tw_struct_end(w);
}

static void enc_row_group(pq_twriter *w, const pq_row_group *g)
{
    pq_tw_struct_begin(w);
    if (check_array(w, g->columns, g->num_columns, "row group columns is NULL")) {
        enc_list_begin(w, 1, PQ_T_STRUCT, g->num_columns);
        for (uint32_t i = 0; i < g->num_columns; i++)
            enc_column_chunk(w, &g->columns[i]);
    }
    pq_tw_field_i64(w, 2, g->total_byte_size);
    pq_tw_field_i64(w, 3, g->num_rows);
    if (g->has_sorting_columns &&
        check_array(w, g->sorting_columns, g->num_sorting_columns, "sorting_columns is NULL")) {
        enc_list_begin(w, 4, PQ_T_STRUCT, g->num_sorting_columns);
        for (uint32_t i = 0; i < g->num_sorting_columns; i++) {
            const pq_sorting_column *s = &g->sorting_columns[i];
            pq_tw_struct_begin(w);
            pq_tw_field_i32(w, 1, s->column_idx);
            pq_tw_field_bool(w, 2, s->descending);
            pq_tw_field_bool(w, 3, s->nulls_first);
            pq_tw_struct_end(w);
        }
    }
    if (g->has_file_offset)
        pq_tw_field_i64(w, 5, g->file_offset);
    if (g->has_total_compressed_size)
        pq_tw_field_i64(w, 6, g->total_compressed_size);
    if (g->has_ordinal)
        pq_tw_field_i16(w, 7, g->ordinal);
    pq_tw_struct_end(w);
}

/* Runs the writer over out; on failure out is restored to its old length. */
static int finish(pq_twriter *w, dbuf *out, size_t start, const char *what)
{
    int rc = pq_tw_finish(w);
    if (rc) {
        if (!out->err && out->data) {
            out->len = start;
            out->data[start] = '\0';
        }
        return delta_error_prefix(rc, "encoding %s: ", what);
    }
    return 0;
}

int pq_file_meta_encode(dbuf *out, const pq_file_meta *m)
{
    size_t start = out->len;
    pq_twriter tw, *w = &tw;
    pq_tw_init(w, out);
    pq_tw_struct_begin(w);
    pq_tw_field_i32(w, 1, m->version);
    if (check_array(w, m->schema, m->num_schema, "schema is NULL")) {
        enc_list_begin(w, 2, PQ_T_STRUCT, m->num_schema);
        for (uint32_t i = 0; i < m->num_schema; i++)
            enc_schema_element(w, &m->schema[i]);
    }
    pq_tw_field_i64(w, 3, m->num_rows);
    if (check_array(w, m->row_groups, m->num_row_groups, "row_groups is NULL")) {
        enc_list_begin(w, 4, PQ_T_STRUCT, m->num_row_groups);
        for (uint32_t i = 0; i < m->num_row_groups; i++)
            enc_row_group(w, &m->row_groups[i]);
    }
    if (m->has_key_value_metadata)
        enc_kv_list(w, 5, m->key_value_metadata, m->num_key_value_metadata);
    if (m->has_created_by)
        enc_str(w, 6, m->created_by);
    if (m->has_column_orders &&
        check_array(w, m->column_orders, m->num_column_orders, "column_orders is NULL")) {
        enc_list_begin(w, 7, PQ_T_STRUCT, m->num_column_orders);
        for (uint32_t i = 0; i < m->num_column_orders; i++) {
            int32_t o = m->column_orders[i];
            pq_tw_struct_begin(w);
            if (o > 0 && o <= INT16_MAX)
                enc_empty_member(w, (int16_t)o);
            else
                misuse(w, "column order has no member");
            pq_tw_struct_end(w);
        }
    }
    pq_tw_struct_end(w);
    return finish(w, out, start, "FileMetaData");
}

static void enc_dph(pq_twriter *w, const pq_data_page_header *h)
{
    pq_tw_struct_begin(w);
    pq_tw_field_i32(w, 1, h->num_values);
    pq_tw_field_i32(w, 2, h->encoding);
    pq_tw_field_i32(w, 3, h->definition_level_encoding);
    pq_tw_field_i32(w, 4, h->repetition_level_encoding);
    if (h->has_statistics) {
        pq_tw_field(w, 5, PQ_T_STRUCT);
        enc_statistics(w, &h->statistics);
    }
    pq_tw_struct_end(w);
}

static void enc_dict(pq_twriter *w, const pq_dictionary_page_header *h)
{
    pq_tw_struct_begin(w);
    pq_tw_field_i32(w, 1, h->num_values);
    pq_tw_field_i32(w, 2, h->encoding);
    if (h->has_is_sorted)
        pq_tw_field_bool(w, 3, h->is_sorted);
    pq_tw_struct_end(w);
}

static void enc_dph2(pq_twriter *w, const pq_data_page_header_v2 *h)
{
    pq_tw_struct_begin(w);
    pq_tw_field_i32(w, 1, h->num_values);
    pq_tw_field_i32(w, 2, h->num_nulls);
    pq_tw_field_i32(w, 3, h->num_rows);
    pq_tw_field_i32(w, 4, h->encoding);
    pq_tw_field_i32(w, 5, h->definition_levels_byte_length);
    pq_tw_field_i32(w, 6, h->repetition_levels_byte_length);
    if (h->has_is_compressed)
        pq_tw_field_bool(w, 7, h->is_compressed);
    if (h->has_statistics) {
        pq_tw_field(w, 8, PQ_T_STRUCT);
        enc_statistics(w, &h->statistics);
    }
    pq_tw_struct_end(w);
}

int pq_page_header_encode(dbuf *out, const pq_page_header *h)
{
    size_t start = out->len;
    pq_twriter tw, *w = &tw;
    pq_tw_init(w, out);
    pq_tw_struct_begin(w);
    pq_tw_field_i32(w, 1, h->type);
    pq_tw_field_i32(w, 2, h->uncompressed_page_size);
    pq_tw_field_i32(w, 3, h->compressed_page_size);
    if (h->has_crc)
        pq_tw_field_i32(w, 4, h->crc);
    if (h->has_data_page_header) {
        pq_tw_field(w, 5, PQ_T_STRUCT);
        enc_dph(w, &h->data_page_header);
    }
    if (h->has_index_page_header)
        enc_empty_member(w, 6);
    if (h->has_dictionary_page_header) {
        pq_tw_field(w, 7, PQ_T_STRUCT);
        enc_dict(w, &h->dictionary_page_header);
    }
    if (h->has_data_page_header_v2) {
        pq_tw_field(w, 8, PQ_T_STRUCT);
        enc_dph2(w, &h->data_page_header_v2);
    }
    pq_tw_struct_end(w);
    return finish(w, out, start, "PageHeader");
}

int pq_column_index_encode(dbuf *out, const pq_column_index *ci)
{
    size_t start = out->len;
    pq_twriter tw, *w = &tw;
    pq_tw_init(w, out);
    uint32_t n = ci->num_pages;
    pq_tw_struct_begin(w);
    if (check_array(w, ci->null_pages, n, "null_pages is NULL")) {
        enc_list_begin(w, 1, PQ_T_BOOL, n);
        for (uint32_t i = 0; i < n; i++)
            pq_tw_bool(w, ci->null_pages[i]);
    }
    if (check_array(w, ci->min_values, n, "min_values is NULL")) {
        enc_list_begin(w, 2, PQ_T_BINARY, n);
        for (uint32_t i = 0; i < n; i++)
            pq_tw_binary(w, ci->min_values[i].ptr, ci->min_values[i].len);
    }
    if (check_array(w, ci->max_values, n, "max_values is NULL")) {
        enc_list_begin(w, 3, PQ_T_BINARY, n);
        for (uint32_t i = 0; i < n; i++)
            pq_tw_binary(w, ci->max_values[i].ptr, ci->max_values[i].len);
    }
    pq_tw_field_i32(w, 4, ci->boundary_order);
    if (ci->has_null_counts)
        enc_list_i64(w, 5, ci->null_counts, n, "null_counts is NULL");
    if (ci->has_repetition_level_histograms)
        enc_list_i64(w, 6, ci->repetition_level_histograms, ci->num_repetition_level_histograms,
                     "repetition_level_histograms is NULL");
    if (ci->has_definition_level_histograms)
        enc_list_i64(w, 7, ci->definition_level_histograms, ci->num_definition_level_histograms,
                     "definition_level_histograms is NULL");
    if (ci->has_nan_counts)
        enc_list_i64(w, 8, ci->nan_counts, n, "nan_counts is NULL");
    pq_tw_struct_end(w);
    return finish(w, out, start, "ColumnIndex");
}

int pq_offset_index_encode(dbuf *out, const pq_offset_index *oi)
{
    size_t start = out->len;
    pq_twriter tw, *w = &tw;
    pq_tw_init(w, out);
    pq_tw_struct_begin(w);
    if (check_array(w, oi->page_locations, oi->num_pages, "page_locations is NULL")) {
        enc_list_begin(w, 1, PQ_T_STRUCT, oi->num_pages);
        for (uint32_t i = 0; i < oi->num_pages; i++) {
            const pq_page_location *p = &oi->page_locations[i];
            pq_tw_struct_begin(w);
            pq_tw_field_i64(w, 1, p->offset);
            pq_tw_field_i32(w, 2, p->compressed_page_size);
            pq_tw_field_i64(w, 3, p->first_row_index);
            pq_tw_struct_end(w);
        }
    }
    if (oi->has_unencoded_byte_array_data_bytes)
        enc_list_i64(w, 2, oi->unencoded_byte_array_data_bytes,
                     oi->num_unencoded_byte_array_data_bytes,
                     "unencoded_byte_array_data_bytes is NULL");
    pq_tw_struct_end(w);
    return finish(w, out, start, "OffsetIndex");
}
