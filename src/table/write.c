/*
 * Writing rows to a table (delta_table_write, delta_table_write_file).
 *
 * One write is one commit. The steps, each finished before the next
 * starts, so a refusal leaves the log as it was:
 *
 *  1. The latest snapshot is loaded and the protocol checked for writing;
 *     tables using a feature this writer cannot honour (column mapping,
 *     row tracking, identity columns, invariants) are refused.
 *  2. The target schema is computed from the table's and the input's
 *     (align_types): columns matched by name, exact else case-insensitive;
 *     casts only where safe; new columns (merge_schema) or the input's
 *     schema (overwrite_schema).
 *  3. Rows stream through: each batch is conformed to the target schema
 *     (table/conform.h), generated columns are computed or checked
 *     (delta.generationExpression, evaluated by the expression layer),
 *     NOT NULL fields and CHECK constraints (delta.constraints.*) are
 *     enforced, and with replace_where every row must satisfy it. Rows are
 *     then split by partition values and appended to that partition's open
 *     data file; statistics are folded in as they are written.
 *  4. Files are rolled at the target size (or max_rows_per_file); at most
 *     max_open_files are open at once (least recently used closed first),
 *     and the row groups they hold in memory are bounded together
 *     (OPEN_FILES_MEMORY_BUDGET: the largest is written out early), so
 *     memory does not follow the input.
 *  5. The commit: metaData when the schema changed, removes (overwrite:
 *     every live file, or those whose partition values satisfy
 *     replace_where), the adds, commitInfo WRITE with Spark's parameters
 *     and metrics; conflicts are checked by the log transaction.
 *
 * When anything fails after data files were written they are deleted
 * (best effort; unreferenced files are also what VACUUM removes).
 *
 * The public delta_table_write / delta_table_write_file are defined in
 * ops/autocompact.c on dtab_table_write / dtab_table_write_file here, so
 * auto compaction (an ops-layer OPTIMIZE) can follow the commit.
 *
 * Partition folders: "col=value/" per partition column in order, the
 * column name and the value escaped as Hive/Spark do (%XX for control
 * characters, DEL and each of  " # % ' * / : = ? \ { [ ] ^), a null (or an empty string) as
 * __HIVE_DEFAULT_PARTITION__. The add path is that key percent-encoded
 * as a URI path (so an escaped '%' appears as %25). Partition values in
 * the log follow PROTOCOL.md: timestamps "2024-01-31 10:20:30.123456"
 * (UTC), dates "2024-01-31", numbers and booleans as text.
 */
#include <delta/table.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "columnar/arrow.h"
#include "columnar/format.h"
#include "core/alloc.h"
#include "core/dtime.h"
#include "core/error.h"
#include "core/hashmap.h"
#include "core/str.h"
#include "expr/expr.h"
#include "log/schema.h"
#include "log/snapshot.h"
#include "log/txn.h"
#include "parquet/record_reader.h"
#include "parquet/record_writer.h"
#include "storage/scratch.h"
#include "table/conform.h"
#include "table/partition.h"
#include "table/props.h"
#include "table/write.h"

#define DEFAULT_TARGET_SIZE ((int64_t)128 << 20)
#define DEFAULT_MAX_OPEN 32
#define ROW_GROUP_BYTES_CAP ((uint64_t)32 << 20)
/* Encoded bytes all open files may hold in unfinished row groups together;
 * above it the largest is written out as a (smaller) row group. */
#define OPEN_FILES_MEMORY_BUDGET ((uint64_t)128 << 20)
/* Optimized writes: rows held in memory before a run is spilled. */
#define DEFAULT_SHUFFLE_MEMORY ((int64_t)128 << 20)

char *dtab_generation_expression(const dfield *f)
{
    if (!f->metadata || !strstr(f->metadata, "delta.generationExpression"))
        return NULL;
    json_t *m = json_loads(f->metadata, 0, NULL);
    json_t *g = m ? json_object_get(m, "delta.generationExpression") : NULL;
    char *r = json_is_string(g) ? delta_strdup(json_string_value(g)) : NULL;
    json_decref(m);
    return r;
}

/* ---- schema alignment ------------------------------------------------------ */

enum { ALIGN_ADD = 1, ALIGN_WIDEN = 2 };

static int int_digits(dtype_id id)
{
    switch (id) {
    case DT_INT8:
    case DT_UINT8: return 3;
    case DT_INT16:
    case DT_UINT16: return 5;
    case DT_INT32:
    case DT_UINT32: return 10;
    default: return 19;
    }
}

static bool is_int(dtype_id id)
{
    return (id >= DT_INT8 && id <= DT_INT64) || (id >= DT_UINT8 && id <= DT_UINT32);
}

/* Whether values of `from` convert to `to` without loss (integers are
 * range-checked value by value). */
static bool castable(const dtype *from, const dtype *to)
{
    dtype_id f = from->id, t = to->id;
    if (f == DT_NULL)
        return true;
    if (is_int(f))
        return (t >= DT_INT8 && t <= DT_INT64) || t == DT_FLOAT64 ||
               (t == DT_FLOAT32 && int_digits(f) <= 5) ||
               (t == DT_DECIMAL && to->precision - to->scale >= int_digits(f));
    if (f == DT_FLOAT32)
        return t == DT_FLOAT32 || t == DT_FLOAT64;
    if (f == DT_FLOAT64)
        return t == DT_FLOAT64;
    if (f == DT_DECIMAL)
        return t == DT_DECIMAL && to->scale >= from->scale &&
               to->precision - to->scale >= from->precision - from->scale;
    if (f == DT_DATE32)
        return t == DT_DATE32 || t == DT_TIMESTAMP;
    if (f == DT_TIMESTAMP)
        return t == DT_TIMESTAMP && to->utc == from->utc;
    if (f == DT_STRING)
        return t == DT_STRING || t == DT_BINARY;
    if (f == DT_BINARY || f == DT_FIXED_BINARY)
        return t == DT_BINARY;
    if (f == DT_BOOL)
        return t == DT_BOOL;
    return false;
}

static int type_error(const char *path, const dtype *table, const dtype *input)
{
    dbuf a = DBUF_INIT, b = DBUF_INIT;
    dtype_format(table, &a);
    dtype_format(input, &b);
    int rc = delta_error_set(DELTA_ETYPE, "column '%s': the table has type %s, the input has %s",
                             path, a.err ? "?" : dbuf_cstr(&a), b.err ? "?" : dbuf_cstr(&b));
    dbuf_free(&a);
    dbuf_free(&b);
    return rc;
}

static int copy_field(dfield *dst, const dfield *src, dtype *type)
{
    int rc = dfield_init(dst, src->name, type, src->nullable);
    if (rc)
        return rc;
    dst->id = src->id;
    if (src->metadata && !(dst->metadata = delta_strdup(src->metadata)))
        return DELTA_ENOMEM;
    return 0;
}

static int align_types(const dtype *table, const dtype *input, unsigned flags, dbuf *path, bool top,
                       dtype **out);

static int align_struct(const dtype *table, const dtype *input, unsigned flags, dbuf *path,
                        bool top, dtype **out)
{
    uint32_t n = table->num_fields + input->num_fields, k = 0;
    dfield *f = delta_calloc(n ? n : 1, sizeof *f);
    if (!f)
        return DELTA_ENOMEM;
    int rc = 0;
    size_t mark = path->len;
    for (uint32_t i = 0; i < table->num_fields && !rc; i++) {
        const dfield *tf = &table->fields[i];
        int ii = dtype_field_index(input, tf->name, false);
        if (ii < 0)
            ii = dtype_field_index(input, tf->name, true);
        if (mark)
            dbuf_putc(path, '.');
        dbuf_puts(path, tf->name);
        dtype *t = NULL;
        if (ii == -2) {
            rc = delta_error_set(DELTA_EINVAL, "column '%s' matches several input columns",
                                 dbuf_cstr(path));
        } else if (ii < 0) {
            char *ge = top ? dtab_generation_expression(tf) : NULL;
            if (!tf->nullable && !ge)
                rc = delta_error_set(DELTA_EINVAL,
                                     "column '%s' is NOT NULL but the input has no such column",
                                     dbuf_cstr(path));
            delta_free(ge);
            t = dtype_ref(tf->type);
        } else {
            rc = align_types(tf->type, input->fields[ii].type, flags, path, false, &t);
        }
        path->len = mark;
        if (path->data)
            path->data[mark] = 0;
        if (!rc && !(rc = copy_field(&f[k], tf, t)))
            k++;
    }
    for (uint32_t i = 0; i < input->num_fields && !rc; i++) {
        const dfield *in = &input->fields[i];
        if (dtype_field_index(table, in->name, true) != -1)
            continue;
        if (!(flags & ALIGN_ADD)) {
            rc = delta_error_set(DELTA_EINVAL,
                                 "unknown column '%s%s%s': the table has no such column "
                                 "(--merge-schema adds it)",
                                 dbuf_cstr(path), mark ? "." : "", in->name);
            break;
        }
        if (!(rc = dfield_init(&f[k], in->name, dtype_ref(in->type), true)))
            k++;
    }
    if (!rc) {
        *out = dtype_new_struct(f, k);
        if (!*out)
            rc = delta_error_last_code();
    } else {
        for (uint32_t i = 0; i < k; i++)
            dfield_clear(&f[i]);
    }
    delta_free(f);
    return rc;
}

static int align_types(const dtype *table, const dtype *input, unsigned flags, dbuf *path, bool top,
                       dtype **out)
{
    *out = NULL;
    if (dtype_equal(table, input)) {
        *out = dtype_ref(table);
        return 0;
    }
    if (table->id == DT_STRUCT && input->id == DT_STRUCT)
        return align_struct(table, input, flags, path, top, out);
    if (table->id == DT_LIST && input->id == DT_LIST) {
        dtype *el;
        int rc = align_types(table->fields[0].type, input->fields[0].type, flags, path, false, &el);
        dfield f;
        if (!rc)
            rc = copy_field(&f, &table->fields[0], el);
        if (rc)
            return rc;
        *out = dtype_new_list(f);
        return *out ? 0 : delta_error_last_code();
    }
    if (table->id == DT_MAP && input->id == DT_MAP) {
        const dtype *te = table->fields[0].type, *ie = input->fields[0].type;
        dtype *k = NULL, *v = NULL;
        int rc = align_types(te->fields[0].type, ie->fields[0].type, flags & ~ALIGN_ADD, path,
                             false, &k);
        if (!rc)
            rc = align_types(te->fields[1].type, ie->fields[1].type, flags, path, false, &v);
        if (rc) {
            dtype_unref(k);
            dtype_unref(v);
            return rc;
        }
        *out = dtype_new_map(k, v, te->fields[1].nullable);
        return *out ? 0 : delta_error_last_code();
    }
    if (input->id == DT_NULL || castable(input, table)) {
        *out = dtype_ref(table);
        return 0;
    }
    /* Delta's implicit widening: byte -> short -> int (the same Parquet
     * physical type, so old files still read). */
    if ((flags & ALIGN_WIDEN) && (table->id == DT_INT8 || table->id == DT_INT16) &&
        (input->id == DT_INT16 || input->id == DT_INT32) && input->id > table->id) {
        *out = dtype_ref(input);
        return 0;
    }
    return type_error(dbuf_cstr(path), table, input);
}

/* ---- partition values ------------------------------------------------------ */

static bool hive_escape_char(unsigned char c)
{
    return c < 0x20 || c == 0x7f || strchr("\"#%'*/:=?\\{[]^", c) != NULL;
}

static void hive_escape(dbuf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (hive_escape_char(c))
            dbuf_printf(out, "%%%02X", c);
        else
            dbuf_putc(out, c);
    }
}

/* The partition value text of row i (PROTOCOL.md), or false for null. */
static bool partition_text(const dvec *v, int64_t i, dbuf *out)
{
    dbuf_reset(out);
    if (!dvec_is_valid(v, i))
        return false;
    const dtype *t = v->type;
    if (t->id == DT_TIMESTAMP) {
        int64_t us = dvec_i64(v)[i];
        dtime_format_local(out, us);
    } else if (t->id == DT_STRING || t->id == DT_BINARY) {
        size_t n;
        const uint8_t *p = dvec_bytes(v, i, &n);
        if (!n)
            return false; /* Spark writes an empty string partition as null */
        dbuf_append(out, p, n);
    } else {
        dvec_format_value(v, i, DFMT_TEXT, out);
    }
    return true;
}

/* ---- the writer ------------------------------------------------------------ */

typedef struct pfile {
    char *dir;     /* "a=1/b=x/" or "" */
    char **values; /* partition values (NULL = null), one per partition column */
    pq_writer *w;
    char *key;
    int64_t rows;
    uint64_t last_use;
} pfile;

typedef struct writer {
    delta_store *store;
    const dlog_snapshot *snap;
    dtype *schema;      /* target */
    dtype *data_schema; /* without the partition columns */
    uint32_t *data_idx;
    uint32_t ndata;
    uint32_t *part_idx;
    uint32_t npart;
    char **part_names;
    dtab_cmap cmap;
    bool cmap_built;
    /* generated columns and constraints */
    expr **gen; /* per top-level column, or NULL */
    expr **checks;
    char **check_names;
    size_t nchecks;
    expr *replace_where; /* bound to the partition columns */
    dtype *part_schema;
    /* files */
    dmap *open;
    size_t nopen;
    int max_open;
    int64_t target_size, max_rows;
    int64_t num_indexed;
    dtab_stats **stats_pool; /* one per open file, reused */
    int counter;
    uint64_t clock;
    pq_writer_options pqo;
    dlog_action *adds;
    size_t nadds, cap;
    char **done_keys; /* keys of closed files (for cleanup) */
    int64_t rows_total, bytes_total, row_base;
    dbuf tmp;
    /* a change data writer: files under _change_data/, one more column */
    bool cdc;
    const char *change_type; /* of the batch being written */
    /* optimized writes (delta.autoOptimize.optimizeWrite): rows are held
     * per partition and spilled in runs, then written partition by
     * partition at the end */
    bool shuffle, draining;
    /* optimized writes: the partition that received rows last, and whether
     * the input has come back to a partition after leaving it */
    struct pentry *last_held;
    bool interleaved;
    int64_t shuffle_budget, held_bytes;
    dscratch spill;
    size_t nruns;
} writer;

static void pfile_free(pfile *p, size_t npart)
{
    if (!p)
        return;
    pq_writer_free(p->w);
    delta_free(p->dir);
    delta_free(p->key);
    for (size_t i = 0; p->values && i < npart; i++)
        delta_free(p->values[i]);
    delta_free(p->values);
    delta_free(p);
}

/* Optimized writes: a partition's rows in a spill run (row group `rg`
 * of run file `run`). */
typedef struct segment {
    size_t run;
    uint32_t rg;
} segment;

/* Stats objects are kept per open file in a side map keyed like `open`. */
typedef struct pentry {
    pfile *file;
    dtab_stats *stats;
    /* optimized writes: batches held, then the spilled segments before them */
    dvec **held;
    size_t nheld, cap_held;
    segment *segs;
    size_t nsegs;
    bool seen; /* has received rows (optimized writes) */
} pentry;

static int add_done_key(writer *w, const char *key)
{
    char **k = delta_realloc(w->done_keys, (w->nadds + 1) * sizeof *k);
    if (!k)
        return DELTA_ENOMEM;
    w->done_keys = k;
    return (k[w->nadds] = delta_strdup(key)) ? 0 : DELTA_ENOMEM;
}

/* The partitionValues of an open file (p->values by partition column). */
static int file_partition_values(const writer *w, const pfile *p, dlog_map *out)
{
    if (!w->npart)
        return 0;
    out->items = delta_calloc(w->npart, sizeof(dlog_kv));
    if (!out->items)
        return DELTA_ENOMEM;
    for (uint32_t i = 0; i < w->npart; i++) {
        dlog_kv *kv = &out->items[i];
        kv->key = delta_strdup(w->part_names[i]);
        kv->value = p->values[i] ? delta_strdup(p->values[i]) : NULL;
        out->count = i + 1;
        if (!kv->key || (p->values[i] && !kv->value))
            return DELTA_ENOMEM;
    }
    return 0;
}

/* Finishes an open file: close, statistics, add (or cdc) action. */
static int finish_file(writer *w, pentry *e)
{
    pfile *p = e->file;
    int rc = pq_writer_close(p->w);
    if (rc)
        return delta_error_prefix(rc, "writing %s: ", p->key);
    /* from here the file exists: any failure deletes it again */
    bool keyed = false;
    dlog_action *a = NULL;
    dbuf path = DBUF_INIT, stats = DBUF_INIT;
    if (w->nadds == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        dlog_action *na = delta_realloc(w->adds, cap * sizeof *na);
        if (!na) {
            rc = DELTA_ENOMEM;
            goto done;
        }
        w->adds = na;
        w->cap = cap;
    }
    if ((rc = add_done_key(w, p->key)))
        goto done;
    keyed = true;
    a = &w->adds[w->nadds];
    memset(a, 0, sizeof *a);
    dstr_percent_encode(&path, p->key, "/=");
    rc = dtab_stats_json(e->stats, &stats); /* also starts over for the next file */
    if (!rc && path.err)
        rc = path.err;
    if (rc)
        goto done;
    int64_t size = (int64_t)pq_writer_bytes_written(p->w);
    if (w->cdc) {
        dlog_cdc *c = &a->u.cdc;
        a->type = DLOG_ACT_CDC;
        c->path = dbuf_detach(&path, NULL);
        c->size = size;
        c->data_change = false;
        rc = file_partition_values(w, p, &c->partition_values);
    } else {
        dlog_add *ad = &a->u.add;
        a->type = DLOG_ACT_ADD;
        ad->path = dbuf_detach(&path, NULL);
        ad->stats = dbuf_detach(&stats, NULL);
        ad->size = size;
        ad->modification_time = dtime_now_ms();
        ad->data_change = true;
        rc = file_partition_values(w, p, &ad->partition_values);
    }
    if (!rc) {
        w->bytes_total += size;
        w->nadds++;
    }
done:
    if (rc) {
        if (a)
            dlog_action_clear(a);
        if (keyed) {
            delta_free(w->done_keys[w->nadds]);
            w->done_keys[w->nadds] = NULL;
        }
        delta_store_delete(w->store, p->key);
    }
    dbuf_free(&path);
    dbuf_free(&stats);
    return rc;
}

static int open_file(writer *w, pentry *e)
{
    pfile *p = e->file;
    uuid_t u;
    char id[37];
    uuid_generate_random(u);
    uuid_unparse_lower(u, id);
    delta_free(p->key);
    pq_writer_free(p->w);
    p->w = NULL;
    dbuf k = DBUF_INIT;
    if (w->cdc)
        dbuf_printf(&k, "_change_data/%scdc-%05d-%s.c000.snappy.parquet", p->dir, w->counter++, id);
    else
        dbuf_printf(&k, "%spart-%05d-%s.c000.snappy.parquet", p->dir, w->counter++, id);
    if (k.err)
        return k.err;
    p->key = dbuf_detach(&k, NULL);
    p->rows = 0;
    return pq_writer_open(&p->w, w->store, p->key, 0, w->data_schema, &w->pqo);
}

static int close_lru(writer *w)
{
    size_t it = 0;
    const void *key;
    size_t klen;
    void *val;
    pentry *lru = NULL;
    while (dmap_next(w->open, &it, &key, &klen, &val)) {
        pentry *e = val;
        if (e->file->w && (!lru || e->file->last_use < lru->file->last_use))
            lru = e;
    }
    if (!lru)
        return 0;
    int rc = finish_file(w, lru);
    pq_writer_free(lru->file->w);
    lru->file->w = NULL;
    w->nopen--;
    return rc;
}

/* Keeps the row groups buffered by all open files within
 * OPEN_FILES_MEMORY_BUDGET, flushing the largest first. */
static int enforce_memory_budget(writer *w)
{
    for (;;) {
        uint64_t total = 0, most = 0;
        pentry *largest = NULL;
        size_t it = 0;
        const void *key;
        size_t klen;
        void *val;
        while (dmap_next(w->open, &it, &key, &klen, &val)) {
            pentry *e = val;
            if (!e->file->w)
                continue;
            uint64_t b = pq_writer_buffered_bytes(e->file->w);
            total += b;
            if (b > most) {
                most = b;
                largest = e;
            }
        }
        if (total <= OPEN_FILES_MEMORY_BUDGET || !largest)
            return 0;
        int rc = pq_writer_flush(largest->file->w);
        if (rc)
            return rc;
        if (pq_writer_buffered_bytes(largest->file->w) >= most)
            return 0; /* nothing left to write out */
    }
}

static int hold_rows(writer *w, pentry *e, const dvec *batch);

/* Writes rows of a data batch (already only the rows of this partition). */
static int write_rows(writer *w, pentry *e, const dvec *batch)
{
    if (w->shuffle && !w->draining)
        return hold_rows(w, e, batch);
    pfile *p = e->file;
    int64_t off = 0, n = batch->length;
    int rc = 0;
    while (off < n && !rc) {
        if (!p->w) {
            if ((size_t)w->max_open <= w->nopen && (rc = close_lru(w)))
                return rc;
            if ((rc = open_file(w, e)))
                return rc;
            w->nopen++;
        }
        p->last_use = ++w->clock;
        int64_t k = n - off;
        if (w->max_rows > 0 && k > w->max_rows - p->rows)
            k = w->max_rows - p->rows;
        if (off == 0 && k == n) {
            rc = pq_writer_write(p->w, batch);
            if (!rc)
                rc = dtab_stats_update(e->stats, batch);
        } else {
            dvec *part;
            rc = dbatch_new(&part, w->data_schema);
            if (!rc)
                rc = dvec_append_range(part, batch, off, k);
            if (!rc)
                rc = pq_writer_write(p->w, part);
            if (!rc)
                rc = dtab_stats_update(e->stats, part);
            dvec_unref(part);
        }
        if (rc)
            return rc;
        p->rows += k;
        off += k;
        if ((w->max_rows > 0 && p->rows >= w->max_rows) ||
            (int64_t)pq_writer_bytes_written(p->w) >= w->target_size) {
            rc = finish_file(w, e);
            pq_writer_free(p->w);
            p->w = NULL;
            w->nopen--;
        }
    }
    return rc ? rc : enforce_memory_budget(w);
}

static int get_entry(writer *w, const char *dir, char **values, pentry **out)
{
    void *v;
    if (dmap_sget(w->open, dir, &v)) {
        *out = v;
        for (uint32_t i = 0; values && i < w->npart; i++)
            delta_free(values[i]);
        delta_free(values);
        return 0;
    }
    pentry *e = delta_calloc(1, sizeof *e);
    pfile *p = delta_calloc(1, sizeof *p);
    int rc = e && p ? 0 : DELTA_ENOMEM;
    if (!rc)
        p->dir = delta_strdup(dir);
    if (!rc && !p->dir)
        rc = DELTA_ENOMEM;
    if (!rc) {
        p->values = values;
        values = NULL;
        e->file = p;
        rc = dtab_stats_new(&e->stats, w->data_schema, w->num_indexed);
    }
    if (!rc)
        rc = dmap_sput(w->open, p->dir, e, NULL);
    if (rc) {
        for (uint32_t i = 0; values && i < w->npart; i++)
            delta_free(values[i]);
        delta_free(values);
        if (e)
            dtab_stats_free(e->stats);
        pfile_free(p, w->npart);
        delta_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

/* A batch of `schema` whose columns are `cols` (new references). */
static int batch_of(const dtype *schema, dvec *const *cols, int64_t rows, dvec **out)
{
    dvec *b;
    int rc = dbatch_new(&b, schema);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < schema->num_fields; i++) {
        dvec_unref(b->children[i]);
        b->children[i] = dvec_ref(cols[i]);
    }
    (void)rows;
    if ((rc = dbatch_seal(b))) {
        dvec_unref(b);
        return rc;
    }
    *out = b;
    return 0;
}

/* ---- per-batch checks ------------------------------------------------------ */

static int check_not_null(const dvec *v, const dtype *t, const uint8_t *parent, int64_t len,
                          dbuf *path, int64_t row_base)
{
    if (t->id != DT_STRUCT)
        return 0;
    for (uint32_t c = 0; c < t->num_fields; c++) {
        const dfield *f = &t->fields[c];
        const dvec *cv = v->children[c];
        size_t mark = path->len;
        if (mark)
            dbuf_putc(path, '.');
        dbuf_puts(path, f->name);
        int rc = 0;
        if (!f->nullable && cv->null_count > 0) {
            for (int64_t i = 0; i < len; i++) {
                if ((!parent || parent[i]) && !dvec_is_valid(cv, i)) {
                    rc = delta_error_set(DELTA_EINVAL,
                                         "column '%s' is NOT NULL but row %lld of the input has "
                                         "no value for it",
                                         dbuf_cstr(path), (long long)(row_base + i + 1));
                    break;
                }
            }
        }
        if (!rc && f->type->id == DT_STRUCT) {
            uint8_t *mine = delta_malloc((size_t)(len ? len : 1));
            if (!mine)
                return DELTA_ENOMEM;
            for (int64_t i = 0; i < len; i++)
                mine[i] = (uint8_t)((!parent || parent[i]) && dvec_is_valid(cv, i));
            rc = check_not_null(cv, f->type, mine, len, path, row_base);
            delta_free(mine);
        }
        path->len = mark;
        if (path->data)
            path->data[mark] = 0;
        if (rc)
            return rc;
    }
    return 0;
}

/* The first row of [0, n) not in the sorted selection sel[0..ns). */
static int64_t first_missing(const uint32_t *sel, int64_t ns, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (i >= ns || sel[i] != (uint32_t)i)
            return i;
    return -1;
}

static int apply_generated(writer *w, dvec **cols, int64_t n)
{
    for (uint32_t i = 0; i < w->schema->num_fields; i++) {
        if (!w->gen[i])
            continue;
        dvec *b;
        int rc = batch_of(w->schema, cols, n, &b);
        if (rc)
            return rc;
        const dvec *bs[1] = {b};
        expr_input in = {bs, 1, n};
        dvec *g = NULL;
        rc = expr_eval(w->gen[i]->root, &in, NULL, 0, &g);
        dvec_unref(b);
        if (rc)
            return delta_error_prefix(rc, "generated column '%s': ", w->schema->fields[i].name);
        const dtype *ct = w->schema->fields[i].type;
        if (!dtype_equal(g->type, ct)) {
            dtab_cmap m;
            dvec *c = NULL;
            rc = dtab_cmap_build(&m, ct, NULL, DLOG_CM_NONE);
            if (!rc) {
                rc = dtab_conform(g, &m, DLOG_CM_NONE, w->schema->fields[i].name, &c);
                dtab_cmap_free(&m);
            }
            dvec_unref(g);
            if (rc)
                return rc;
            g = c;
        }
        /* rows that gave a value must agree with the expression */
        const dvec *given = cols[i];
        if (given->null_count < given->length) {
            size_t width = dtype_byte_width(ct);
            for (int64_t r = 0; r < n; r++) {
                if (!dvec_is_valid(given, r))
                    continue;
                bool same = dvec_is_valid(g, r) && width &&
                            memcmp((const uint8_t *)given->values + width * r,
                                   (const uint8_t *)g->values + width * r, width) == 0;
                if (!same && !width) {
                    size_t a, bl;
                    const uint8_t *pa = dvec_bytes(given, r, &a);
                    const uint8_t *pb = dvec_is_valid(g, r) ? dvec_bytes(g, r, &bl) : NULL;
                    same = pb && a == bl && memcmp(pa, pb, a) == 0;
                }
                if (!same) {
                    dbuf_reset(&w->tmp);
                    dvec_format_value(given, r, DFMT_TEXT, &w->tmp);
                    rc =
                        delta_error_set(DELTA_EINVAL,
                                        "row %lld: column '%s' is generated as %s but the input "
                                        "gives %s, which differs",
                                        (long long)(w->row_base + r + 1), w->schema->fields[i].name,
                                        w->gen[i]->text, dbuf_cstr(&w->tmp));
                    dvec_unref(g);
                    return rc;
                }
            }
        }
        dvec_unref(cols[i]);
        cols[i] = g;
    }
    return 0;
}

static int check_predicates(writer *w, const dvec *b)
{
    int64_t n = b->length;
    if (!n || (!w->nchecks && !w->replace_where))
        return 0;
    uint32_t *sel = delta_malloc((size_t)n * sizeof *sel);
    if (!sel)
        return DELTA_ENOMEM;
    int rc = 0;
    const dvec *bs[1] = {b};
    expr_input in = {bs, 1, n};
    for (size_t c = 0; c < w->nchecks && !rc; c++) {
        int64_t ns = 0;
        rc = expr_select(w->checks[c]->root, &in, NULL, 0, sel, &ns);
        if (!rc && ns < n) {
            int64_t r = first_missing(sel, ns, n);
            rc = delta_error_set(
                DELTA_EINVAL, "CHECK constraint %s (%s) violated by row %lld of the input",
                w->check_names[c], w->checks[c]->text, (long long)(w->row_base + r + 1));
        }
    }
    if (!rc && w->replace_where) {
        dvec **pc = delta_calloc(w->npart ? w->npart : 1, sizeof *pc);
        dvec *pb = NULL;
        if (!pc)
            rc = DELTA_ENOMEM;
        for (uint32_t i = 0; !rc && i < w->npart; i++)
            pc[i] = b->children[w->part_idx[i]];
        if (!rc)
            rc = batch_of(w->part_schema, pc, n, &pb);
        delta_free(pc);
        if (!rc) {
            const dvec *ps[1] = {pb};
            expr_input pin = {ps, 1, n};
            int64_t ns = 0;
            rc = expr_select(w->replace_where->root, &pin, NULL, 0, sel, &ns);
            if (!rc && ns < n) {
                int64_t r = first_missing(sel, ns, n);
                rc = delta_error_set(DELTA_EINVAL,
                                     "row %lld of the input does not match --replace-where "
                                     "'%s': every row written must",
                                     (long long)(w->row_base + r + 1), w->replace_where->text);
            }
        }
        dvec_unref(pb);
    }
    delta_free(sel);
    return rc;
}

/* n copies of text as a STRING vector. */
static int constant_strings(const char *text, int64_t n, dvec **out)
{
    dtype *t = dtype_new(DT_STRING);
    dvec *v = NULL;
    int rc = t ? dvec_new(&v, t) : DELTA_ENOMEM;
    dtype_unref(t);
    size_t len = strlen(text);
    if (!rc)
        rc = dvec_reserve(v, n);
    if (!rc)
        rc = dvec_reserve_data(v, (int64_t)len * n);
    for (int64_t i = 0; !rc && i < n; i++)
        rc = dvec_append_bytes(v, text, len);
    if (rc) {
        dvec_unref(v);
        return rc;
    }
    *out = v;
    return 0;
}

/* One input batch through conform, generated columns, checks, partitions
 * (a change data writer: conform and partitions only). */
static int write_batch(writer *w, const dvec *in)
{
    int64_t n = in->length;
    if (!n)
        return 0;
    const dtype *st = w->schema;
    dvec **cols = delta_calloc(st->num_fields, sizeof *cols);
    if (!cols)
        return DELTA_ENOMEM;
    int rc = 0;
    for (uint32_t i = 0; i < st->num_fields && !rc; i++) {
        int k = dtype_field_index(in->type, st->fields[i].name, false);
        if (k < 0)
            k = dtype_field_index(in->type, st->fields[i].name, true);
        if (k < 0)
            rc = dtab_nulls(st->fields[i].type, n, &cols[i]);
        else
            rc = dtab_conform(in->children[k], &w->cmap.children[i], DLOG_CM_NONE,
                              st->fields[i].name, &cols[i]);
    }
    if (!rc && !w->cdc)
        rc = apply_generated(w, cols, n);
    dvec *b = NULL;
    if (!rc)
        rc = batch_of(st, cols, n, &b);
    for (uint32_t i = 0; i < st->num_fields; i++)
        dvec_unref(cols[i]);
    delta_free(cols);
    if (!rc && !w->cdc) {
        dbuf path = DBUF_INIT;
        rc = check_not_null(b, st, NULL, n, &path, w->row_base);
        dbuf_free(&path);
    }
    if (!rc && !w->cdc)
        rc = check_predicates(w, b);
    /* the data columns (and, for change data, _change_type) */
    dvec *data = NULL, *ct = NULL;
    if (!rc && w->cdc)
        rc = constant_strings(w->change_type, n, &ct);
    if (!rc) {
        dvec **dc = delta_calloc(w->ndata + 1, sizeof *dc);
        if (!dc)
            rc = DELTA_ENOMEM;
        for (uint32_t i = 0; !rc && i < w->ndata; i++)
            dc[i] = b->children[w->data_idx[i]];
        if (!rc && ct)
            dc[w->ndata] = ct;
        if (!rc)
            rc = batch_of(w->data_schema, dc, n, &data);
        delta_free(dc);
    }
    dvec_unref(ct);
    if (!rc && !w->npart) {
        pentry *e;
        rc = get_entry(w, "", NULL, &e);
        if (!rc)
            rc = write_rows(w, e, data);
    } else if (!rc) {
        /* group rows by partition folder */
        dmap *groups = NULL;
        uint32_t *rows = delta_malloc((size_t)n * sizeof *rows);
        int64_t *gid = delta_malloc((size_t)n * sizeof *gid);
        char **gdirs = NULL;
        char ***gvals = NULL;
        int64_t ng = 0;
        dbuf dir = DBUF_INIT, val = DBUF_INIT;
        rc = rows && gid ? dmap_new(&groups, 16) : DELTA_ENOMEM;
        for (int64_t r = 0; !rc && r < n; r++) {
            dbuf_reset(&dir);
            for (uint32_t p = 0; p < w->npart; p++) {
                const dvec *pv = b->children[w->part_idx[p]];
                hive_escape(&dir, w->part_names[p], strlen(w->part_names[p]));
                dbuf_putc(&dir, '=');
                if (partition_text(pv, r, &val))
                    hive_escape(&dir, (const char *)val.data, val.len);
                else
                    dbuf_puts(&dir, DTAB_HIVE_NULL);
                dbuf_putc(&dir, '/');
            }
            if ((rc = dir.err))
                break;
            void *g;
            if (dmap_sget(groups, dbuf_cstr(&dir), &g)) {
                gid[r] = (int64_t)(intptr_t)g - 1;
                continue;
            }
            char **nd = delta_realloc(gdirs, (size_t)(ng + 1) * sizeof *nd);
            char ***nv = nd ? delta_realloc(gvals, (size_t)(ng + 1) * sizeof *nv) : NULL;
            if (nd)
                gdirs = nd;
            if (nv)
                gvals = nv;
            if (!nd || !nv) {
                rc = DELTA_ENOMEM;
                break;
            }
            gdirs[ng] = delta_strdup(dbuf_cstr(&dir));
            gvals[ng] = delta_calloc(w->npart, sizeof(char *));
            ng++;
            if (!gdirs[ng - 1] || !gvals[ng - 1]) {
                rc = DELTA_ENOMEM;
                break;
            }
            for (uint32_t p = 0; !rc && p < w->npart; p++) {
                const dvec *pv = b->children[w->part_idx[p]];
                if (partition_text(pv, r, &val) &&
                    !(gvals[ng - 1][p] = delta_strndup((const char *)val.data, val.len)))
                    rc = DELTA_ENOMEM;
            }
            if (!rc)
                rc = dmap_sput(groups, gdirs[ng - 1], (void *)(intptr_t)ng, NULL);
            gid[r] = ng - 1;
        }
        /* optimized writes: a batch whose partitions' rows are not each in
         * one run makes the input interleaved */
        if (!rc && w->shuffle && !w->interleaved) {
            int64_t runs = n ? 1 : 0;
            for (int64_t r = 1; r < n; r++)
                runs += gid[r] != gid[r - 1];
            w->interleaved = runs > ng;
        }
        for (int64_t g = 0; !rc && g < ng; g++) {
            int64_t cnt = 0;
            for (int64_t r = 0; r < n; r++)
                if (gid[r] == g)
                    rows[cnt++] = (uint32_t)r;
            pentry *e;
            rc = get_entry(w, gdirs[g], gvals[g], &e);
            gvals[g] = NULL;
            if (rc)
                break;
            if (ng == 1) {
                rc = write_rows(w, e, data);
            } else {
                dvec *part;
                rc = dbatch_new(&part, w->data_schema);
                if (!rc)
                    rc = dvec_append_take(part, data, rows, cnt);
                if (!rc)
                    rc = write_rows(w, e, part);
                dvec_unref(part);
            }
        }
        for (int64_t g = 0; g < ng; g++) {
            delta_free(gdirs[g]);
            for (uint32_t p = 0; gvals && gvals[g] && p < w->npart; p++)
                delta_free(gvals[g][p]);
            if (gvals)
                delta_free(gvals[g]);
        }
        delta_free(gdirs);
        delta_free(gvals);
        delta_free(rows);
        delta_free(gid);
        dmap_free(groups);
        dbuf_free(&dir);
        dbuf_free(&val);
    }
    dvec_unref(data);
    dvec_unref(b);
    if (!rc) {
        w->rows_total += n;
        w->row_base += n;
    }
    return rc;
}

/* ---- optimized writes --------------------------------------------------------
 *
 * With delta.autoOptimize.optimizeWrite (partitioned tables), write_rows
 * does not write: each partition's batches are held (referenced) in its
 * entry. When the held rows reach shuffle_budget bytes, they are spilled
 * as one run: a Parquet file in a temporary folder (under $TMPDIR, else
 * /tmp) holding every partition's rows as one row group each, partition
 * after partition. While the input is ordered by partition (no partition
 * has received rows again after another one started - time-partitioned
 * data usually arrives so), the partitions other than the current one are
 * instead written to their files at that point, and only the current one
 * is spilled; a partition that then receives rows again gets another file,
 * and from then on the input counts as interleaved. At the end (drain_shuffle) partitions are
 * written one at a time, in folder order: each partition's row groups of every run in run order,
 * then its held rows, through the ordinary write path, and its file is closed before the next
 * partition starts. So the rows of a partition keep their input order, one data file is open at a
 * time (max_open_files never closes a file early) and a partition of S bytes ends in ceil(S /
 * target) files, however the input interleaves partitions. Memory: the budget plus one open file.
 */

static void run_key(size_t run, char *out, size_t cap)
{
    snprintf(out, cap, "run-%06zu.parquet", run);
}

static int spill_open(writer *w)
{
    return dscratch_open(&w->spill, NULL, "delta-optimize-write", "optimized write");
}

static void spill_free(writer *w)
{
    dscratch_close(&w->spill);
}

static void drop_held(pentry *e)
{
    for (size_t i = 0; i < e->nheld; i++)
        dvec_unref(e->held[i]);
    e->nheld = 0;
}

/* Writes every held batch to the next run file, one row group a
 * partition, and forgets them. */
/* Writes a partition's held rows to its file and closes it (with
 * w->draining set, so write_rows writes). */
static int write_held(writer *w, pentry *e)
{
    int rc = 0;
    for (size_t h = 0; !rc && h < e->nheld; h++)
        rc = write_rows(w, e, e->held[h]);
    drop_held(e);
    if (!rc && e->file->w) {
        rc = finish_file(w, e);
        pq_writer_free(e->file->w);
        e->file->w = NULL;
        w->nopen--;
    }
    return rc;
}

static int spill_run(writer *w)
{
    /* Input ordered by partition (no partition has received rows again
     * after another one started, as time-ordered data arrives): every
     * partition but the current one is complete so far and is written to
     * its files now rather than spilled and read back. */
    int rc = 0;
    bool left = false;
    size_t it0 = 0;
    const void *k0;
    size_t kl0;
    void *v0;
    w->draining = true;
    while (!rc && dmap_next(w->open, &it0, &k0, &kl0, &v0)) {
        pentry *e = v0;
        if (!w->interleaved && e != w->last_held && e->nheld)
            rc = write_held(w, e);
        else
            left = left || e->nheld;
    }
    w->draining = false;
    if (rc || !left) {
        if (!rc)
            w->held_bytes = 0;
        return rc;
    }
    rc = spill_open(w);
    if (rc)
        return rc;
    char key[64];
    run_key(w->nruns, key, sizeof key);
    pq_writer_options po = PQ_WRITER_OPTIONS_INIT;
    po.codec = PQ_CODEC_SNAPPY;
    po.write_page_index = false;
    /* row groups end only at partition boundaries (pq_writer_flush) */
    po.row_group_size_rows = UINT64_MAX / 2;
    po.row_group_size_bytes = UINT64_MAX / 2;
    pq_writer *pw = NULL;
    rc = pq_writer_open(&pw, w->spill.store, key, 0, w->data_schema, &po);
    uint32_t rg = 0;
    size_t it = 0;
    const void *k;
    size_t kl;
    void *v;
    while (!rc && dmap_next(w->open, &it, &k, &kl, &v)) {
        pentry *e = v;
        if (!e->nheld)
            continue;
        for (size_t i = 0; !rc && i < e->nheld; i++)
            rc = pq_writer_write(pw, e->held[i]);
        if (!rc)
            rc = pq_writer_flush(pw);
        if (rc)
            break;
        segment *n = delta_realloc(e->segs, (e->nsegs + 1) * sizeof *n);
        if (!n) {
            rc = DELTA_ENOMEM;
            break;
        }
        e->segs = n;
        e->segs[e->nsegs++] = (segment){w->nruns, rg++};
        drop_held(e);
    }
    if (!rc)
        rc = pq_writer_close(pw);
    pq_writer_free(pw);
    w->nruns++; /* also a failed one: its file is deleted at the end */
    if (rc)
        return delta_error_prefix(rc, "optimized write: spill file %s/%s: ", w->spill.dir, key);
    w->held_bytes = 0;
    return 0;
}

static int hold_rows(writer *w, pentry *e, const dvec *batch)
{
    if (!batch->length)
        return 0;
    if (e->nheld == e->cap_held) {
        size_t cap = e->cap_held ? e->cap_held * 2 : 8;
        dvec **n = delta_realloc(e->held, cap * sizeof *n);
        if (!n)
            return DELTA_ENOMEM;
        e->held = n;
        e->cap_held = cap;
    }
    e->held[e->nheld++] = dvec_ref((dvec *)batch);
    w->held_bytes += dvec_payload_bytes(batch);
    if (e != w->last_held && e->seen)
        w->interleaved = true;
    e->seen = true;
    w->last_held = e;
    return w->held_bytes >= w->shuffle_budget ? spill_run(w) : 0;
}

static int cmp_entries(const void *a, const void *b)
{
    const pentry *x = *(const pentry *const *)a;
    const pentry *y = *(const pentry *const *)b;
    return strcmp(x->file->dir, y->file->dir);
}

/* Writes the partitions one after the other (see above). */
static int drain_shuffle(writer *w)
{
    size_t n = 0, it = 0;
    const void *k;
    size_t kl;
    void *v;
    pentry **all = delta_calloc(dmap_count(w->open) + 1, sizeof *all);
    if (!all)
        return DELTA_ENOMEM;
    while (dmap_next(w->open, &it, &k, &kl, &v))
        all[n++] = v;
    qsort(all, n, sizeof *all, cmp_entries);
    w->draining = true;
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        pentry *e = all[i];
        for (size_t sgi = 0; !rc && sgi < e->nsegs; sgi++) {
            char key[64];
            run_key(e->segs[sgi].run, key, sizeof key);
            pq_reader *r = NULL;
            dstream *s = NULL;
            rc = pq_reader_open(&r, w->spill.store, key, NULL);
            if (!rc)
                rc = pq_reader_stream_row_groups(r, e->segs[sgi].rg, 1, &s);
            while (!rc) {
                dvec *b = NULL;
                rc = s->next(s, &b);
                if (rc || !b)
                    break;
                rc = write_rows(w, e, b);
                dvec_unref(b);
            }
            if (s)
                s->free(s);
            pq_reader_free(r);
            if (rc)
                rc = delta_error_prefix(rc, "optimized write: spill file %s/%s: ", w->spill.dir,
                                        key);
        }
        if (!rc)
            rc = write_held(w, e);
    }
    w->draining = false;
    w->held_bytes = 0;
    delta_free(all);
    spill_free(w);
    return rc;
}

static void writer_free(writer *w, bool delete_files)
{
    if (w->open) {
        size_t it = 0;
        const void *k;
        size_t kl;
        void *v;
        while (dmap_next(w->open, &it, &k, &kl, &v)) {
            pentry *e = v;
            dtab_stats_free(e->stats);
            pfile_free(e->file, w->npart);
            drop_held(e);
            delta_free(e->held);
            delta_free(e->segs);
            delta_free(e);
        }
        dmap_free(w->open);
    }
    for (size_t i = 0; i < w->nadds; i++) {
        if (delete_files && w->done_keys && w->done_keys[i])
            delta_store_delete(w->store, w->done_keys[i]);
        if (w->done_keys)
            delta_free(w->done_keys[i]);
        dlog_action_clear(&w->adds[i]);
    }
    delta_free(w->done_keys);
    delta_free(w->adds);
    for (uint32_t i = 0; w->gen && i < w->schema->num_fields; i++)
        expr_free(w->gen[i]);
    delta_free(w->gen);
    for (size_t i = 0; i < w->nchecks; i++) {
        expr_free(w->checks[i]);
        delta_free(w->check_names[i]);
    }
    delta_free(w->checks);
    delta_free(w->check_names);
    expr_free(w->replace_where);
    dtype_unref(w->part_schema);
    if (w->cmap_built)
        dtab_cmap_free(&w->cmap);
    delta_free(w->data_idx);
    delta_free(w->part_idx);
    delta_free(w->part_names);
    dtype_unref(w->data_schema);
    dtype_unref(w->schema);
    dbuf_free(&w->tmp);
    spill_free(w);
}

static int finish_all(writer *w)
{
    size_t it = 0;
    const void *k;
    size_t kl;
    void *v;
    int rc = w->shuffle ? drain_shuffle(w) : 0;
    while (!rc && dmap_next(w->open, &it, &k, &kl, &v)) {
        pentry *e = v;
        if (e->file->w) {
            rc = finish_file(w, e);
            pq_writer_free(e->file->w);
            e->file->w = NULL;
            w->nopen--;
        }
    }
    return rc;
}

/* ---- setup ----------------------------------------------------------------- */

static int sub_schema(const dtype *st, const uint32_t *idx, uint32_t n, dtype **out)
{
    dfield *f = delta_calloc(n ? n : 1, sizeof *f);
    if (!f)
        return DELTA_ENOMEM;
    int rc = 0;
    for (uint32_t i = 0; i < n && !rc; i++)
        rc = copy_field(&f[i], &st->fields[idx[i]], dtype_ref(st->fields[idx[i]].type));
    if (!rc) {
        *out = dtype_new_struct(f, n);
        rc = *out ? 0 : delta_error_last_code();
    } else {
        for (uint32_t i = 0; i < n; i++)
            dfield_clear(&f[i]);
    }
    delta_free(f);
    return rc;
}

/* Appends the change data column to a data schema: `_change_type`,
 * STRING, nullable as Spark declares it in its files (every row has a
 * value). */
static int add_change_type(dtype **schema)
{
    const dtype *st = *schema;
    dfield *f = delta_calloc(st->num_fields + 1, sizeof *f);
    if (!f)
        return DELTA_ENOMEM;
    int rc = 0;
    uint32_t k = 0;
    for (; k < st->num_fields && !rc; k++)
        rc = copy_field(&f[k], &st->fields[k], dtype_ref(st->fields[k].type));
    if (!rc) {
        dtype *t = dtype_new(DT_STRING);
        rc = t ? dfield_init(&f[k++], DTAB_CHANGE_TYPE_COLUMN, t, true) : DELTA_ENOMEM;
    }
    dtype *out = NULL;
    if (!rc) {
        out = dtype_new_struct(f, k);
        rc = out ? 0 : delta_error_last_code();
    } else {
        for (uint32_t i = 0; i < k; i++)
            dfield_clear(&f[i]);
    }
    delta_free(f);
    if (rc)
        return rc;
    dtype_unref(*schema);
    *schema = out;
    return 0;
}

static int bind_to(expr **out, const char *text, const dtype *schema, const char *what)
{
    int rc = expr_parse(out, text);
    expr_scope sc = {NULL, schema};
    if (!rc)
        rc = expr_bind(*out, &sc, 1);
    if (rc)
        rc = delta_error_prefix(rc, "%s '%s': ", what, text);
    return rc;
}

static int writer_setup(writer *w, const delta_write_options *o, const dlog_metadata *m)
{
    const dtype *st = w->schema;
    w->npart = (uint32_t)m->num_partition_columns;
    w->part_idx = delta_calloc(w->npart ? w->npart : 1, sizeof *w->part_idx);
    w->part_names = delta_calloc(w->npart ? w->npart : 1, sizeof *w->part_names);
    w->data_idx = delta_calloc(st->num_fields ? st->num_fields : 1, sizeof *w->data_idx);
    w->gen = delta_calloc(st->num_fields ? st->num_fields : 1, sizeof *w->gen);
    if (!w->part_idx || !w->part_names || !w->data_idx || !w->gen)
        return DELTA_ENOMEM;
    for (uint32_t p = 0; p < w->npart; p++) {
        int k = dtype_field_index(st, m->partition_columns[p], false);
        if (k < 0)
            k = dtype_field_index(st, m->partition_columns[p], true);
        if (k < 0)
            return delta_error_set(DELTA_EINVAL, "partition column '%s' is not in the schema",
                                   m->partition_columns[p]);
        w->part_idx[p] = (uint32_t)k;
        w->part_names[p] = m->partition_columns[p];
    }
    for (uint32_t i = 0; i < st->num_fields; i++) {
        bool is_part = false;
        for (uint32_t p = 0; p < w->npart; p++)
            is_part = is_part || w->part_idx[p] == i;
        if (!is_part)
            w->data_idx[w->ndata++] = i;
    }
    int rc = sub_schema(st, w->data_idx, w->ndata, &w->data_schema);
    if (!rc && w->cdc)
        rc = add_change_type(&w->data_schema);
    if (!rc)
        rc = sub_schema(st, w->part_idx, w->npart, &w->part_schema);
    if (!rc && !(rc = dtab_cmap_build(&w->cmap, st, NULL, DLOG_CM_NONE)))
        w->cmap_built = true;
    for (uint32_t i = 0; !rc && !w->cdc && i < st->num_fields; i++) {
        char *ge = dtab_generation_expression(&st->fields[i]);
        if (ge) {
            char what[300];
            snprintf(what, sizeof what, "generated column '%s'", st->fields[i].name);
            rc = bind_to(&w->gen[i], ge, st, what);
            delta_free(ge);
        }
    }
    for (size_t i = 0; !rc && !w->cdc && i < m->configuration.count; i++) {
        const dlog_kv *kv = &m->configuration.items[i];
        if (strncmp(kv->key, "delta.constraints.", 18) != 0 || !kv->value)
            continue;
        expr **c = delta_realloc(w->checks, (w->nchecks + 1) * sizeof *c);
        char **nm = c ? delta_realloc(w->check_names, (w->nchecks + 1) * sizeof *nm) : NULL;
        if (c)
            w->checks = c;
        if (nm)
            w->check_names = nm;
        if (!c || !nm)
            return DELTA_ENOMEM;
        w->checks[w->nchecks] = NULL;
        w->check_names[w->nchecks] = delta_strdup(kv->key + 18);
        w->nchecks++;
        rc = bind_to(&w->checks[w->nchecks - 1], kv->value, st, "CHECK constraint");
    }
    if (!rc && o->replace_where) {
        rc = bind_to(&w->replace_where, o->replace_where, w->part_schema, "--replace-where");
        if (rc == DELTA_ENOTFOUND || (rc && w->npart == 0))
            rc = delta_error_set(DELTA_EUNSUPPORTED,
                                 "--replace-where '%s': only predicates over the partition "
                                 "columns are supported (%s)",
                                 o->replace_where, delta_error_last());
        else if (!rc && w->replace_where->root->type->id != DT_BOOL)
            rc = delta_error_set(DELTA_ETYPE, "--replace-where '%s' is not a boolean expression",
                                 o->replace_where);
    }
    if (rc)
        return rc;
    w->num_indexed = 32;
    const char *ni = dlog_map_get(&m->configuration, "delta.dataSkippingNumIndexedCols", NULL);
    if (ni)
        dstr_parse_i64(ni, &w->num_indexed);
    w->target_size = o->target_file_size;
    const char *ts = dlog_map_get(&m->configuration, "delta.targetFileSize", NULL);
    if (w->target_size <= 0 && ts)
        dtab_parse_bytes(ts, &w->target_size);
    if (w->target_size <= 0)
        w->target_size = DEFAULT_TARGET_SIZE;
    w->max_rows = o->max_rows_per_file;
    w->max_open = o->max_open_files > 0 ? o->max_open_files : DEFAULT_MAX_OPEN;
    pq_writer_options po = PQ_WRITER_OPTIONS_INIT;
    w->pqo = po;
    uint64_t rg = (uint64_t)w->target_size;
    w->pqo.row_group_size_bytes = rg < ROW_GROUP_BYTES_CAP ? rg : ROW_GROUP_BYTES_CAP;
    return dmap_new(&w->open, 64);
}

int dtab_check_schema_protocol(const dlog_snapshot *snap, const dtype *schema)
{
    dlog_protocol need;
    int rc = dtab_protocol_for(schema, &snap->metadata.configuration, &need);
    if (rc)
        return rc;
    bool ok = need.min_writer_version <= snap->protocol.min_writer_version ||
              snap->protocol.min_writer_version == 7;
    for (size_t i = 0; ok && i < need.num_writer_features; i++) {
        bool has = snap->protocol.min_writer_version < 7;
        for (size_t k = 0; k < snap->protocol.num_writer_features; k++)
            has = has || !strcmp(snap->protocol.writer_features[k], need.writer_features[i]);
        if (!has && snap->protocol.min_writer_version == 7)
            ok = false;
    }
    if (!ok || need.min_reader_version > snap->protocol.min_reader_version)
        rc = delta_error_set(DELTA_EUNSUPPORTED,
                             "the new schema needs a newer table protocol (reader %d, writer "
                             "%d), which writes do not upgrade",
                             need.min_reader_version, need.min_writer_version);
    dtab_protocol_clear(&need);
    return rc;
}

/* Refuses tables whose writer features this writer does not honour. */
static int check_writable(const dlog_snapshot *s)
{
    int rc = dlog_protocol_check_write(&s->protocol);
    if (rc)
        return rc;
    if (s->column_mapping != DLOG_CM_NONE)
        return delta_error_set(DELTA_EUNSUPPORTED,
                               "writing tables with column mapping is not supported yet");
    for (size_t i = 0; i < s->protocol.num_writer_features; i++) {
        const char *f = s->protocol.writer_features[i];
        if (!strcmp(f, "rowTracking") || !strcmp(f, "identityColumns") ||
            !strcmp(f, "icebergCompatV1") || !strcmp(f, "icebergCompatV2"))
            return delta_error_set(DELTA_EUNSUPPORTED,
                                   "the table uses writer feature '%s', which this writer does "
                                   "not support yet",
                                   f);
    }
    if (s->metadata.schema_string && strstr(s->metadata.schema_string, "delta.invariants"))
        return delta_error_set(DELTA_EUNSUPPORTED,
                               "the table has column invariants (delta.invariants), which this "
                               "writer does not enforce yet");
    return 0;
}

/* For replace_where conflict checks: whether a concurrently added file
 * is in a partition the predicate selects. */
typedef struct rw_ctx {
    writer *w;
} rw_ctx;

static bool file_matches(writer *w, const dlog_map *pv, bool *err)
{
    const char **vals = delta_calloc(w->npart ? w->npart : 1, sizeof *vals);
    bool *known = delta_calloc(w->npart ? w->npart : 1, sizeof *known);
    bool hit = false;
    dvec *row = NULL;
    *err = false;
    if (!vals || !known) {
        *err = true;
        goto done;
    }
    for (uint32_t p = 0; p < w->npart; p++) {
        vals[p] = dlog_map_get(pv, w->part_names[p], NULL);
        known[p] = true;
    }
    if (expr_partition_row(w->part_schema, vals, known, &row)) {
        *err = true;
        goto done;
    }
    const dvec *bs[1] = {row};
    expr_input in = {bs, 1, 1};
    uint32_t sel[1];
    int64_t ns = 0;
    if (expr_select(w->replace_where->root, &in, NULL, 0, sel, &ns))
        *err = true;
    hit = ns == 1;
done:
    dvec_unref(row);
    delta_free(vals);
    delta_free(known);
    return hit;
}

static bool rw_match(void *ctx, const dlog_add *add)
{
    bool err;
    bool hit = file_matches(((rw_ctx *)ctx)->w, &add->partition_values, &err);
    return hit || err; /* when in doubt, a conflict */
}

/* Records the distinct partition keys (dtab_partition_key) of the adds. */
static int note_touched(const writer *w, const dlog_metadata *m, dtab_touched *out)
{
    dbuf key = DBUF_INIT;
    dmap *seen = NULL;
    int rc = dmap_new(&seen, 16);
    for (size_t i = 0; !rc && i < w->nadds; i++) {
        if ((rc = dtab_partition_key(m, &w->adds[i].u.add.partition_values, &key)))
            break;
        if (dmap_sget(seen, dbuf_cstr(&key), NULL))
            continue;
        char **n = delta_realloc(out->keys, (out->count + 1) * sizeof *n);
        if (!n) {
            rc = DELTA_ENOMEM;
            break;
        }
        out->keys = n;
        if (!(out->keys[out->count] = delta_strdup(dbuf_cstr(&key)))) {
            rc = DELTA_ENOMEM;
            break;
        }
        out->count++;
        rc = dmap_sput(seen, out->keys[out->count - 1], (void *)1, NULL);
    }
    dmap_free(seen);
    dbuf_free(&key);
    return rc;
}

void dtab_touched_free(dtab_touched *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->count; i++)
        delta_free(t->keys[i]);
    delta_free(t->keys);
    t->keys = NULL;
    t->count = 0;
}

static int do_write(delta_table *t, dstream *in, const delta_write_options *o,
                    delta_write_result *res, bool reader_typed, dtab_touched *touched)
{
    (void)reader_typed;
    writer w;
    memset(&w, 0, sizeof w);
    delta_store *store = NULL;
    dlog_snapshot *snap = NULL;
    dlog_tx *tx = NULL;
    dtype *target = NULL;
    dlog_metadata nm = {0};
    char *params = NULL, *metrics = NULL;
    dbuf sj = DBUF_INIT;
    bool committed = false;
    rw_ctx rwc = {&w};
    int rc = delta_store_open(&store, delta_table_uri(t));
    if (!rc)
        rc = dlog_snapshot_open(&snap, store, NULL);
    if (!rc)
        rc = check_writable(snap);
    if (rc)
        goto done;
    if (o->mode != DELTA_WRITE_APPEND && o->mode != DELTA_WRITE_OVERWRITE) {
        rc = delta_error_set(DELTA_EINVAL, "unknown write mode %d", (int)o->mode);
        goto done;
    }
    if (o->mode == DELTA_WRITE_APPEND && (o->replace_where || o->overwrite_schema)) {
        rc = delta_error_set(DELTA_EINVAL, "%s needs overwrite mode",
                             o->replace_where ? "--replace-where" : "--overwrite-schema");
        goto done;
    }
    if (o->overwrite_schema && o->replace_where) {
        rc =
            delta_error_set(DELTA_EINVAL, "--overwrite-schema cannot be used with --replace-where");
        goto done;
    }
    /* 2. the target schema */
    if (o->overwrite_schema) {
        target = dtype_ref(in->schema);
    } else {
        dbuf path = DBUF_INIT;
        unsigned flags = o->merge_schema ? (ALIGN_ADD | ALIGN_WIDEN) : 0;
        rc = align_types(snap->schema, in->schema, flags, &path, true, &target);
        dbuf_free(&path);
        if (rc)
            goto done;
    }
    bool schema_changed = !dtype_equal(target, snap->schema);
    if (schema_changed) {
        if ((rc = dlog_schema_serialize(target, &sj)) || (rc = sj.err))
            goto done;
        rc = dtab_check_schema_protocol(snap, target);
        if (rc)
            goto done;
    }
    w.store = store;
    w.snap = snap;
    w.schema = target;
    target = NULL;
    if ((rc = writer_setup(&w, o, &snap->metadata)))
        goto done;
    /* optimized writes: delta_table_write only (not OPTIMIZE's or DML's rewrites) */
    w.shuffle = w.npart > 0 &&
                dlog_map_true(&snap->metadata.configuration, "delta.autoOptimize.optimizeWrite");
    w.shuffle_budget = o->version >= 2 && o->optimize_write_memory > 0 ? o->optimize_write_memory
                                                                       : DEFAULT_SHUFFLE_MEMORY;

    /* 3-4. stream the rows */
    for (;;) {
        dvec *b = NULL;
        rc = in->next(in, &b);
        if (rc || !b)
            break;
        rc = write_batch(&w, b);
        dvec_unref(b);
        if (rc)
            break;
    }
    if (!rc)
        rc = finish_all(&w);
    if (rc)
        goto done;

    /* 5. the commit */
    if ((rc = dlog_tx_begin(&tx, store, snap, NULL)))
        goto done;
    if (schema_changed) {
        nm = snap->metadata;
        nm.schema_string = (char *)dbuf_cstr(&sj);
        if ((rc = dtab_stage_metadata(tx, &nm)))
            goto done;
    }
    int64_t removed = 0, removed_bytes = 0;
    if (o->mode == DELTA_WRITE_OVERWRITE) {
        if (w.replace_where) {
            if ((rc = dlog_tx_read_predicate(tx, rw_match, &rwc, o->replace_where)))
                goto done;
        } else {
            dlog_tx_read_whole_table(tx);
        }
        size_t it = 0;
        const dlog_live_file *lf;
        while (dlog_snapshot_next_file(snap, &it, &lf)) {
            if (w.replace_where) {
                bool err;
                bool hit = file_matches(&w, &lf->add.partition_values, &err);
                if (err) {
                    rc = delta_error_prefix(delta_error_last_code() ? delta_error_last_code()
                                                                    : DELTA_ECORRUPT,
                                            "%s: ", lf->add.path);
                    goto done;
                }
                if (!hit)
                    continue;
            }
            if ((rc = dlog_tx_remove_file(tx, lf, true)))
                goto done;
            removed++;
            removed_bytes += lf->add.size;
        }
    }
    /* before staging takes the adds' payloads */
    if (touched && (rc = note_touched(&w, &snap->metadata, touched)))
        goto done;
    for (size_t i = 0; i < w.nadds; i++)
        if ((rc = dlog_tx_stage(tx, &w.adds[i])))
            goto done;
    json_t *pj = json_object();
    json_object_set_new(pj, "mode",
                        json_string(o->mode == DELTA_WRITE_APPEND ? "Append" : "Overwrite"));
    json_t *pa = json_array();
    for (uint32_t p = 0; p < w.npart; p++)
        json_array_append_new(pa, json_string(w.part_names[p]));
    char *pa_text = dlog_json_text(pa);
    json_decref(pa);
    json_object_set_new(pj, "partitionBy", json_string(pa_text ? pa_text : "[]"));
    delta_free(pa_text);
    if (o->replace_where) {
        json_t *pr = json_array();
        json_array_append_new(pr, json_string(o->replace_where));
        char *pr_text = dlog_json_text(pr);
        json_decref(pr);
        json_object_set_new(pj, "predicate", json_string(pr_text ? pr_text : "[]"));
        delta_free(pr_text);
    }
    params = dlog_json_text(pj);
    json_decref(pj);
    json_t *mj = json_object();
    char num[32];
    snprintf(num, sizeof num, "%zu", w.nadds);
    json_object_set_new(mj, "numFiles", json_string(num));
    snprintf(num, sizeof num, "%lld", (long long)w.rows_total);
    json_object_set_new(mj, "numOutputRows", json_string(num));
    snprintf(num, sizeof num, "%lld", (long long)w.bytes_total);
    json_object_set_new(mj, "numOutputBytes", json_string(num));
    if (o->mode == DELTA_WRITE_OVERWRITE) {
        snprintf(num, sizeof num, "%lld", (long long)removed);
        json_object_set_new(mj, "numRemovedFiles", json_string(num));
        snprintf(num, sizeof num, "%lld", (long long)removed_bytes);
        json_object_set_new(mj, "numRemovedBytes", json_string(num));
    }
    metrics = dlog_json_text(mj);
    json_decref(mj);
    if (!params || !metrics) {
        rc = DELTA_ENOMEM;
        goto done;
    }
    if ((rc = dlog_tx_set_operation(tx, "WRITE", params, metrics)))
        goto done;
    int64_t version = snap->version;
    if (w.nadds == 0 && removed == 0 && !schema_changed) {
        /* nothing to commit (an empty append) */
    } else {
        dlog_commit_result cr;
        if ((rc = dlog_tx_commit(tx, &cr)))
            goto done;
        committed = true;
        version = cr.version;
    }
    if (res) {
        res->version = version;
        res->num_files = (int64_t)w.nadds;
        res->num_rows = w.rows_total;
        res->num_bytes = w.bytes_total;
        res->num_removed_files = removed;
        res->schema_changed = schema_changed;
    }
done : {
    /* keep the error message across cleanup */
    int code = rc;
    char msg[1024] = "";
    if (rc)
        snprintf(msg, sizeof msg, "%s", delta_error_last());
    dlog_tx_free(tx);
    writer_free(&w, !committed);
    if (code)
        delta_error_set(code, "%s", msg);
}
    dtype_unref(target);
    delta_free(params);
    delta_free(metrics);
    dbuf_free(&sj);
    dlog_snapshot_free(snap);
    delta_store_free(store);
    in->free(in);
    return rc;
}

/* ---- rewriting (dtab_writer, write.h) -------------------------------------- */

struct dtab_writer {
    writer w;
};

int dtab_writer_new(dtab_writer **out, delta_store *store, const dlog_snapshot *snap,
                    int64_t target_size)
{
    *out = NULL;
    int rc = check_writable(snap);
    if (rc)
        return rc;
    dtab_writer *d = delta_calloc(1, sizeof *d);
    if (!d)
        return DELTA_ENOMEM;
    d->w.store = store;
    d->w.snap = snap;
    d->w.schema = dtype_ref(snap->schema);
    delta_write_options o = DELTA_WRITE_OPTIONS_INIT;
    o.target_file_size = target_size;
    if ((rc = writer_setup(&d->w, &o, &snap->metadata))) {
        dtab_writer_free(d, true);
        return rc;
    }
    *out = d;
    return 0;
}

int dtab_writer_write(dtab_writer *d, const dlog_map *pv, const dvec *batch)
{
    writer *w = &d->w;
    if (w->cdc)
        return delta_error_set(DELTA_EINVAL, "rows given to a change data writer without "
                                             "their change type");
    int64_t n = batch->length;
    if (!n)
        return 0;
    if (batch->type->num_fields != w->schema->num_fields)
        return delta_error_set(DELTA_EINVAL,
                               "rewriting rows: a batch of %u columns, the table "
                               "has %u",
                               batch->type->num_fields, w->schema->num_fields);
    dbuf dir = DBUF_INIT;
    char **values = delta_calloc(w->npart ? w->npart : 1, sizeof *values);
    int rc = values ? 0 : DELTA_ENOMEM;
    for (uint32_t p = 0; !rc && p < w->npart; p++) {
        const char *v = dlog_map_get(pv, w->part_names[p], NULL);
        hive_escape(&dir, w->part_names[p], strlen(w->part_names[p]));
        dbuf_putc(&dir, '=');
        if (v && *v) {
            hive_escape(&dir, v, strlen(v));
            if (!(values[p] = delta_strdup(v)))
                rc = DELTA_ENOMEM;
        } else {
            dbuf_puts(&dir, DTAB_HIVE_NULL);
        }
        dbuf_putc(&dir, '/');
    }
    if (!rc && dir.err)
        rc = dir.err;
    dvec *data = NULL;
    if (!rc) {
        dvec **dc = delta_calloc(w->ndata ? w->ndata : 1, sizeof *dc);
        if (!dc)
            rc = DELTA_ENOMEM;
        for (uint32_t i = 0; !rc && i < w->ndata; i++)
            dc[i] = batch->children[w->data_idx[i]];
        if (!rc)
            rc = batch_of(w->data_schema, dc, n, &data);
        delta_free(dc);
    }
    pentry *e = NULL;
    if (!rc) {
        rc = get_entry(w, dir.len ? dbuf_cstr(&dir) : "", values, &e);
        values = NULL; /* taken (or freed) by get_entry */
    }
    if (!rc)
        rc = write_rows(w, e, data);
    if (!rc)
        w->rows_total += n;
    for (uint32_t p = 0; values && p < w->npart; p++)
        delta_free(values[p]);
    delta_free(values);
    dvec_unref(data);
    dbuf_free(&dir);
    return rc;
}

int dtab_writer_new_cdc(dtab_writer **out, delta_store *store, const dlog_snapshot *snap)
{
    *out = NULL;
    int rc = check_writable(snap);
    if (rc)
        return rc;
    if (dtype_field_index(snap->schema, DTAB_CHANGE_TYPE_COLUMN, true) != -1)
        return delta_error_set(DELTA_EINVAL,
                               "the table has a column named %s: change data cannot be written",
                               DTAB_CHANGE_TYPE_COLUMN);
    dtab_writer *d = delta_calloc(1, sizeof *d);
    if (!d)
        return DELTA_ENOMEM;
    d->w.store = store;
    d->w.snap = snap;
    d->w.schema = dtype_ref(snap->schema);
    d->w.cdc = true;
    delta_write_options o = DELTA_WRITE_OPTIONS_INIT;
    if ((rc = writer_setup(&d->w, &o, &snap->metadata))) {
        dtab_writer_free(d, true);
        return rc;
    }
    *out = d;
    return 0;
}

int dtab_writer_write_cdc(dtab_writer *d, const dvec *batch, const char *change_type)
{
    writer *w = &d->w;
    if (!w->cdc)
        return delta_error_set(DELTA_EINVAL, "change data rows given to a data file writer");
    static const char *const kinds[] = {"insert", "delete", "update_preimage", "update_postimage"};
    bool known = false;
    for (size_t i = 0; i < 4 && change_type; i++)
        known = known || !strcmp(change_type, kinds[i]);
    if (!known)
        return delta_error_set(DELTA_EINVAL,
                               "change type '%s' is not insert, delete, update_preimage or "
                               "update_postimage",
                               change_type ? change_type : "(null)");
    if (batch->type->id != DT_STRUCT || batch->type->num_fields != w->schema->num_fields)
        return delta_error_set(DELTA_EINVAL, "change data: a batch of %u columns, the table has %u",
                               batch->type->num_fields, w->schema->num_fields);
    w->change_type = change_type;
    int rc = write_batch(w, batch);
    w->change_type = NULL;
    return rc;
}

int dtab_writer_write_rows(dtab_writer *d, const dvec *batch)
{
    writer *w = &d->w;
    if (w->cdc)
        return delta_error_set(DELTA_EINVAL, "new rows given to a change data writer");
    if (batch->type->id != DT_STRUCT || batch->type->num_fields != w->schema->num_fields)
        return delta_error_set(DELTA_EINVAL, "new rows: a batch of %u columns, the table has %u",
                               batch->type->num_fields, w->schema->num_fields);
    /* the rows' own partition values route them; the folder names are
     * those dtab_writer_write builds from partitionValues, so both land
     * in the same open file of a partition */
    return write_batch(w, batch);
}

int dtab_writer_finish(dtab_writer *d)
{
    return finish_all(&d->w);
}

dlog_action *dtab_writer_adds(dtab_writer *d, size_t *count)
{
    *count = d->w.nadds;
    return d->w.adds;
}

void dtab_writer_free(dtab_writer *d, bool delete_files)
{
    if (!d)
        return;
    writer_free(&d->w, delete_files);
    delta_free(d);
}

static int check_opts(const delta_write_options *o)
{
    if (o && (o->version < 1 || o->version > DELTA_WRITE_OPTIONS_VERSION))
        return delta_error_set(DELTA_EINVAL, "delta_write_options: unknown version %u", o->version);
    return 0;
}

int dtab_table_write(delta_table *t, struct ArrowArrayStream *input,
                     const delta_write_options *opts, delta_write_result *result,
                     dtab_touched *touched)
{
    delta_write_options def = DELTA_WRITE_OPTIONS_INIT;
    if (result)
        memset(result, 0, sizeof *result);
    int rc = check_opts(opts);
    if (rc) {
        if (input && input->release)
            input->release(input);
        return rc;
    }
    dstream *in;
    if ((rc = dstream_import(input, &in)))
        return rc;
    return do_write(t, in, opts ? opts : &def, result, false, touched);
}

int dtab_table_write_file(delta_table *t, const char *path, const char *format,
                          const delta_write_options *opts, delta_write_result *result,
                          dtab_touched *touched)
{
    delta_write_options def = DELTA_WRITE_OPTIONS_INIT;
    if (result)
        memset(result, 0, sizeof *result);
    int rc = check_opts(opts);
    if (rc)
        return rc;
    if (!opts)
        opts = &def;
    dtab_input_format fmt;
    if ((rc = dtab_input_format_of(format, path, &fmt)))
        return rc;
    /* the folder opens a store, the name is the key */
    const char *slash = strrchr(path, '/');
    char *dir = slash ? delta_strndup(path, (size_t)(slash - path + 1)) : delta_strdup(".");
    const char *key = slash ? slash + 1 : path;
    delta_store *fs = NULL;
    dlog_snapshot *snap = NULL;
    delta_store *ts = NULL;
    dstream *in = NULL;
    dtype *empty = NULL;
    if (!dir)
        return DELTA_ENOMEM;
    rc = delta_store_open(&fs, dir);
    delta_free(dir);
    /* text formats are read as the table's types */
    if (!rc && fmt != DTAB_INPUT_PARQUET) {
        rc = delta_store_open(&ts, delta_table_uri(t));
        if (!rc)
            rc = dlog_snapshot_open(&snap, ts, NULL);
    }
    if (!rc) {
        const dtype *schema = snap ? snap->schema : NULL;
        if (opts->overwrite_schema && fmt != DTAB_INPUT_PARQUET) {
            empty = dtype_new_struct(NULL, 0);
            schema = empty;
            if (!empty)
                rc = delta_error_last_code();
        }
        if (!rc)
            rc = dtab_input_open(&in, fs, key, path, fmt, schema,
                                 opts->merge_schema || opts->overwrite_schema, 8192);
    }
    dtype_unref(empty);
    dlog_snapshot_free(snap);
    delta_store_free(ts);
    if (!rc)
        rc = do_write(t, in, opts, result, fmt != DTAB_INPUT_PARQUET, touched);
    delta_store_free(fs);
    return rc;
}
