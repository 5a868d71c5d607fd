/*
 * Table scans (see scan.h).
 *
 * State machine of the stream: `cur` is the open file (its reader and
 * batch stream, its deletion vector, its partition constants, and the
 * position of the next row within the file); next() pulls a batch from it,
 * shapes it, filters it, and moves to the following file at the end of
 * one. Files with no rows left after their deletion vector still open
 * (their footer is checked) but yield nothing.
 *
 * With row_index, each batch carries a vector of the file positions of
 * its rows (file_row onwards, taken from the reader so row groups skipped
 * by statistics keep the count right); every selection (deletion vector,
 * predicate) is applied to it too, and it becomes the last output column.
 */
#include "table/scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/str.h"
#include "expr/expr_internal.h"
#include "log/log.h"
#include "log/path.h"
#include "parquet/file_reader.h"
#include "parquet/record_reader.h"
#include "table/conform.h"
#include "table/dv.h"
#include "table/partition.h"
#include "table/predicate.h"

typedef struct out_col {
    uint32_t field;     /* index in the table schema */
    bool partition;     /* from partitionValues */
    int file_col;       /* data: index in the current reader's schema, -1 = missing */
    dvec *constant;     /* partition: the current file's value (one row) */
} out_col;

typedef struct scan {
    dstream base;
    const dlog_snapshot *snap;
    dtype *schema;  /* output: the first nout columns of rschema (and the row index) */
    dtype *rschema; /* read: output columns, then predicate-only columns */
    dlog_cm_mode cm;
    uint32_t ncols; /* columns of rschema */
    uint32_t nout;  /* projected columns (of schema, before the row index) */
    bool row_index; /* the output ends with DTAB_ROW_INDEX_COLUMN */
    dtype *i64;
    out_col *cols;
    dtab_cmap *maps; /* per read column */
    bool has_pred;
    dtab_pred pred;  /* bound against rschema */
    dtab_scan_counts counts;
    const dlog_live_file **files;
    size_t nfiles, next_file;
    int64_t remaining; /* -1: no limit */
    int64_t batch_rows;
    uint32_t *zeros; /* selection of row 0, for constants */
    int64_t zeros_len;
    uint32_t *sel;
    int64_t sel_cap;
    /* current file */
    bool open;
    const dlog_live_file *file;
    delta_store *abs_store; /* the folder of an absolute path */
    pq_reader *reader;
    dstream *rows;      /* NULL when no data column is read */
    int64_t const_left; /* rows still to produce without a data stream */
    int64_t file_row;   /* position in the file of the next row */
    dtab_dv dv;
    size_t dv_pos;
    void (*on_free)(void *);
    void *on_free_ctx;
} scan;

int dtab_project_schema(const dtype *schema, const char *const *columns, size_t n, dtype **out,
                        uint32_t **indices)
{
    *out = NULL;
    *indices = NULL;
    size_t count = columns ? n : schema->num_fields;
    uint32_t *idx = delta_calloc(count ? count : 1, sizeof *idx);
    dfield *fields = delta_calloc(count ? count : 1, sizeof *fields);
    int rc = (!idx || !fields) ? DELTA_ENOMEM : 0;
    size_t built = 0;
    for (size_t i = 0; i < count && !rc; i++) {
        int k = (int)i;
        if (columns) {
            k = dtype_field_index(schema, columns[i], false);
            if (k < 0)
                k = dtype_field_index(schema, columns[i], true);
            if (k < 0) {
                dbuf names = DBUF_INIT;
                for (uint32_t j = 0; j < schema->num_fields; j++)
                    dbuf_printf(&names, "%s%s", j ? ", " : "", schema->fields[j].name);
                rc = delta_error_set(DELTA_ENOTFOUND, "unknown column '%s' (columns: %s)",
                                     columns[i], names.err ? "?" : dbuf_cstr(&names));
                dbuf_free(&names);
                break;
            }
            for (size_t j = 0; j < i; j++)
                if (idx[j] == (uint32_t)k) {
                    rc = delta_error_set(DELTA_EINVAL, "column '%s' is listed twice",
                                         schema->fields[k].name);
                    break;
                }
            if (rc)
                break;
        }
        idx[i] = (uint32_t)k;
        const dfield *src = &schema->fields[k];
        if ((rc = dfield_init(&fields[i], src->name, dtype_ref(src->type), src->nullable)))
            break;
        built++;
        fields[i].id = src->id;
        if (src->metadata && !(fields[i].metadata = delta_strdup(src->metadata)))
            rc = DELTA_ENOMEM;
    }
    if (!rc) {
        *out = dtype_new_struct(fields, (uint32_t)count);
        built = 0; /* taken, also on failure */
        if (!*out)
            rc = delta_error_last_code() ? delta_error_last_code() : DELTA_ENOMEM;
    }
    for (size_t i = 0; i < built; i++)
        dfield_clear(&fields[i]);
    delta_free(fields);
    if (rc) {
        delta_free(idx);
        return rc;
    }
    *indices = idx;
    return 0;
}

static void close_file(scan *s)
{
    if (s->rows)
        s->rows->free(s->rows);
    s->rows = NULL;
    pq_reader_free(s->reader);
    s->reader = NULL;
    delta_store_free(s->abs_store);
    s->abs_store = NULL;
    dtab_dv_clear(&s->dv);
    s->dv_pos = 0;
    for (uint32_t i = 0; s->cols && i < s->ncols; i++) {
        dvec_unref(s->cols[i].constant);
        s->cols[i].constant = NULL;
    }
    s->open = false;
}

static int ensure_zeros(scan *s, int64_t n)
{
    if (n <= s->zeros_len)
        return 0;
    uint32_t *z = delta_calloc((size_t)n, sizeof *z);
    if (!z)
        return DELTA_ENOMEM;
    delta_free(s->zeros);
    s->zeros = z;
    s->zeros_len = n;
    return 0;
}

/* Copies a Parquet element name (not NUL-terminated) into a new string. */
static char *elem_name(const pq_schema_element *e)
{
    char *p = delta_malloc(e->name.len + 1);
    if (p) {
        memcpy(p, e->name.ptr, e->name.len);
        p[e->name.len] = '\0';
    }
    return p;
}

/* The top-level file column the output column reads, or NULL. */
static const pq_schema_node *find_top(const scan *s, const dtab_cmap *m, const pq_schema *fs)
{
    const pq_schema_node *root = fs->root;
    if (s->cm == DLOG_CM_ID && m->id >= 0)
        for (uint32_t i = 0; i < root->num_children; i++) {
            const pq_schema_element *e = root->children[i]->elem;
            if (e->has_field_id && e->field_id == m->id)
                return root->children[i];
        }
    size_t n = strlen(m->physical);
    for (uint32_t i = 0; i < root->num_children; i++) {
        const pq_schema_element *e = root->children[i]->elem;
        if (e->name.len == n && memcmp(e->name.ptr, m->physical, n) == 0)
            return root->children[i];
    }
    for (uint32_t i = 0; i < root->num_children; i++) {
        const pq_schema_element *e = root->children[i]->elem;
        if (e->name.len == n && strncasecmp(e->name.ptr, m->physical, n) == 0)
            return root->children[i];
    }
    return NULL;
}

/* ---- row-group skipping ------------------------------------------------ */

/* Statistics of one row group for expr_may_match: top-level columns only,
 * from the Parquet statistics converted to the table's column type. */
typedef struct rg_stats {
    scan *s;
    uint32_t rg;
    int64_t num_rows;
    expr_col_stats slot;
    dvec *held[2]; /* the converted bounds the slot's values point into */
} rg_stats;

static void rg_release(rg_stats *c)
{
    for (int i = 0; i < 2; i++) {
        dvec_unref(c->held[i]);
        c->held[i] = NULL;
    }
}

/* One bound: the file's value conformed to the table type, or false. */
static bool rg_bound(rg_stats *c, uint32_t col, dvec *raw, int slot, expr_value *v)
{
    dvec *conv = NULL;
    if (!raw || dtab_conform(raw, &c->s->maps[col], c->s->cm, c->s->maps[col].name, &conv)) {
        delta_error_clear();
        return false;
    }
    c->held[slot] = conv;
    return expr_vec_get(conv, 0, v);
}

static const expr_col_stats *rg_column(void *ctx, const int32_t *path, uint32_t depth)
{
    rg_stats *c = ctx;
    scan *s = c->s;
    if (depth != 1 || path[0] < 0 || (uint32_t)path[0] >= s->ncols)
        return NULL;
    uint32_t col = (uint32_t)path[0];
    out_col *oc = &s->cols[col];
    expr_col_stats *st = &c->slot;
    memset(st, 0, sizeof *st);
    rg_release(c);
    if (oc->partition) {
        expr_value v;
        st->has_null_count = true;
        if (expr_vec_get(oc->constant, 0, &v)) {
            st->has_min = st->has_max = true;
            st->min = st->max = v;
            st->null_count = 0;
        } else {
            st->null_count = c->num_rows;
        }
        return st;
    }
    if (oc->file_col < 0) { /* not in this file: all null */
        st->has_null_count = true;
        st->null_count = c->num_rows;
        return st;
    }
    pq_column_bounds cb;
    if (pq_reader_column_bounds(s->reader, c->rg, (uint32_t)oc->file_col, &cb)) {
        delta_error_clear();
        return NULL;
    }
    if (cb.null_count >= 0) {
        st->has_null_count = true;
        st->null_count = cb.null_count;
    }
    /* Parquet leaves NaN out of float bounds, yet NaN compares above every
     * number in Spark SQL: float bounds cannot be trusted. */
    dtype_id t = s->maps[col].type->id;
    if (t != DT_FLOAT32 && t != DT_FLOAT64) {
        st->has_min = rg_bound(c, col, cb.min, 0, &st->min);
        st->has_max = rg_bound(c, col, cb.max, 1, &st->max);
    }
    pq_column_bounds_clear(&cb);
    return st->has_min || st->has_max || st->has_null_count ? st : NULL;
}

/* keep[g] for each row group of the open reader: whether the predicate
 * may be TRUE on one of its rows. *any_skipped tells whether any is not. */
static int select_row_groups(scan *s, bool **keep, bool *any_skipped)
{
    const pq_file_meta *m = pq_reader_metadata(s->reader);
    *any_skipped = false;
    *keep = delta_malloc(m->num_row_groups ? m->num_row_groups * sizeof **keep : 1);
    if (!*keep)
        return DELTA_ENOMEM;
    rg_stats c;
    memset(&c, 0, sizeof c);
    c.s = s;
    for (uint32_t g = 0; g < m->num_row_groups; g++) {
        c.rg = g;
        c.num_rows = m->row_groups[g].num_rows;
        expr_file_stats fs = {c.num_rows, rg_column, &c};
        (*keep)[g] = expr_may_match(s->pred.e->root, &fs);
        rg_release(&c);
        if (!(*keep)[g]) {
            *any_skipped = true;
            s->counts.row_groups_skipped++;
        }
    }
    return 0;
}

/* The first commit after `version` that a VACUUM wrote (its commitInfo
 * operation starts with "VACUUM"), or -1. Only used to explain a missing
 * file, so every failure here just means -1. */
static int64_t vacuumed_after(delta_store *table, int64_t version)
{
    dlog_listing l = {0};
    int64_t found = -1;
    if (dlog_list(table, version + 1, &l))
        return -1;
    char head[4096];
    for (size_t i = 0; i < l.count && found < 0; i++) {
        const dlog_file *f = &l.files[i];
        if (f->kind != DLOG_FILE_COMMIT || f->version <= version)
            continue;
        size_t n = 0;
        if (delta_store_get_range(table, f->key, 0, sizeof head - 1, (uint8_t *)head, &n))
            continue;
        head[n] = '\0';
        char *eol = strchr(head, '\n');
        if (eol)
            *eol = '\0';
        if (strstr(head, "\"commitInfo\"") && strstr(head, "\"operation\":\"VACUUM"))
            found = f->version;
    }
    dlog_listing_free(&l);
    return found;
}

/* A file of the snapshot is missing: when a later VACUUM explains it, say
 * so (time travel past the retention window), keeping the message. */
static int explain_missing(const scan *s, int rc)
{
    char saved[768];
    snprintf(saved, sizeof saved, "%s", delta_error_last());
    int64_t v = vacuumed_after(s->snap->store, s->snap->version);
    if (v < 0)
        return delta_error_set(rc, "%s", saved);
    return delta_error_set(rc,
                           "%s (VACUUM at version %lld deleted files of version %lld, which "
                           "is older than the table's retention window; it can no longer "
                           "be read)",
                           saved, (long long)v, (long long)s->snap->version);
}

static int open_file(scan *s, const dlog_live_file *lf)
{
    int rc = 0;
    pq_file *f = NULL;
    char *abs_key = NULL;
    char **names = NULL;
    uint32_t nnames = 0;
    delta_store *store = s->snap->store;
    const char *key = lf->canonical;
    s->file = lf;
    s->file_row = 0;
    s->open = true;
    if (dlog_path_is_absolute(lf->canonical)) {
        if ((rc = dtab_open_absolute(lf->canonical, &s->abs_store, &abs_key)))
            goto done;
        store = s->abs_store;
        key = abs_key;
    }
    /* partition constants */
    for (uint32_t i = 0; i < s->ncols && !rc; i++) {
        out_col *c = &s->cols[i];
        if (!c->partition)
            continue;
        const dtab_cmap *m = &s->maps[i];
        bool found;
        const char *text = dlog_map_get(&lf->add.partition_values, m->physical, &found);
        if (!found && strcmp(m->physical, m->name) != 0)
            text = dlog_map_get(&lf->add.partition_values, m->name, NULL);
        if (!(rc = dvec_new(&c->constant, m->type)))
            rc = dtab_partition_append(c->constant, m->name, text);
    }
    if (rc)
        goto done;
    /* deletion vector */
    if (lf->add.has_dv && (rc = dtab_dv_load(s->snap->store, &lf->add.dv, &s->dv)))
        goto done;
    /* data columns */
    if ((rc = pq_file_open(&f, store, key)))
        goto done;
    const pq_schema *fs = pq_file_schema(f);
    names = delta_calloc(s->ncols ? s->ncols : 1, sizeof *names);
    if (!names) {
        rc = DELTA_ENOMEM;
        goto done;
    }
    for (uint32_t i = 0; i < s->ncols; i++) {
        if (s->cols[i].partition)
            continue;
        const pq_schema_node *top = find_top(s, &s->maps[i], fs);
        if (!top)
            continue;
        char *nm = elem_name(top->elem);
        if (!nm) {
            rc = DELTA_ENOMEM;
            goto done;
        }
        bool dup = false;
        for (uint32_t j = 0; j < nnames && !dup; j++)
            dup = strcmp(names[j], nm) == 0;
        if (dup)
            delta_free(nm);
        else
            names[nnames++] = nm;
    }
    if (nnames == 0) {
        /* nothing stored is read: rows come from the footer's count */
        s->const_left = pq_file_metadata(f)->num_rows;
        pq_file_free(f);
        f = NULL;
        for (uint32_t i = 0; i < s->ncols; i++)
            s->cols[i].file_col = -1;
        goto done;
    }
    pq_reader_options ro = {(const char *const *)names, nnames, s->batch_rows, false};
    rc = pq_reader_open_file(&s->reader, f, &ro);
    f = NULL; /* taken */
    if (rc)
        goto done;
    const dtype *rs = pq_reader_schema(s->reader);
    for (uint32_t i = 0; i < s->ncols; i++)
        if (!s->cols[i].partition)
            s->cols[i].file_col = dtab_cmap_find(&s->maps[i], rs, s->cm);
    bool *keep = NULL, any_skipped = false;
    if (s->has_pred && (rc = select_row_groups(s, &keep, &any_skipped)))
        goto done;
    rc = any_skipped ? pq_reader_stream_select(s->reader, keep, &s->rows)
                     : pq_reader_stream(s->reader, &s->rows);
    delta_free(keep);
done:
    pq_file_free(f);
    for (uint32_t i = 0; i < nnames; i++)
        delta_free(names[i]);
    delta_free(names);
    delta_free(abs_key);
    if (rc) {
        rc = delta_error_prefix(rc, "%s: ", lf->add.path);
        if (rc == DELTA_ENOTFOUND)
            rc = explain_missing(s, rc);
        close_file(s);
    }
    return rc;
}

/* Shapes a file batch (or n constant rows when fb is NULL) into an output batch. */
static int shape(scan *s, const dvec *fb, int64_t n, dvec **out)
{
    dvec *b;
    int rc = dvec_new(&b, s->rschema);
    if (rc)
        return rc;
    if ((rc = ensure_zeros(s, n)))
        goto fail;
    for (uint32_t i = 0; i < s->ncols && !rc; i++) {
        out_col *c = &s->cols[i];
        dvec *col = NULL;
        if (c->partition) {
            if (!(rc = dvec_new(&col, c->constant->type)))
                rc = dvec_append_take(col, c->constant, s->zeros, n);
        } else if (fb && c->file_col >= 0) {
            rc = dtab_conform(fb->children[c->file_col], &s->maps[i], s->cm, s->maps[i].name,
                              &col);
        } else {
            rc = dtab_nulls(s->maps[i].type, n, &col);
        }
        if (rc) {
            dvec_unref(col);
            break;
        }
        dvec_unref(b->children[i]);
        b->children[i] = col;
    }
    if (rc)
        goto fail;
    b->length = n;
    b->null_count = 0;
    *out = b;
    return 0;
fail:
    dvec_unref(b);
    return rc;
}

static int ensure_sel(scan *s, int64_t n)
{
    if (n <= s->sel_cap)
        return 0;
    uint32_t *sel = delta_reallocarray(s->sel, (size_t)n, sizeof *sel);
    if (!sel)
        return DELTA_ENOMEM;
    s->sel = sel;
    s->sel_cap = n;
    return 0;
}

/* Applies the selection s->sel[0..k) to the positions vector. */
static int take_pos(scan *s, dvec **pos, int64_t k)
{
    if (!*pos)
        return 0;
    dvec *np;
    int rc = dvec_new(&np, s->i64);
    if (!rc)
        rc = dvec_append_take(np, *pos, s->sel, k);
    if (rc) {
        dvec_unref(np);
        return rc;
    }
    dvec_unref(*pos);
    *pos = np;
    return 0;
}

/* Keeps the rows of b (and pos) where the predicate is TRUE. */
static int apply_pred(scan *s, dvec **b, dvec **pos)
{
    int64_t len = (*b)->length;
    int rc = ensure_sel(s, len);
    if (rc)
        return rc;
    const dvec *bs[1] = {*b};
    expr_input in = {bs, 1, len};
    int64_t k = 0;
    if ((rc = expr_select(s->pred.e->root, &in, NULL, 0, s->sel, &k)))
        return rc;
    if (k == len)
        return 0;
    if ((rc = take_pos(s, pos, k)))
        return rc;
    dvec *nb;
    rc = dbatch_new(&nb, s->rschema);
    if (!rc)
        rc = dvec_append_take(nb, *b, s->sel, k);
    if (rc) {
        dvec_unref(nb);
        return rc;
    }
    dvec_unref(*b);
    *b = nb;
    return 0;
}

/* Drops the predicate-only columns of a read batch and appends the row
 * positions (pos) when asked for. */
static int project_out(scan *s, dvec **b, dvec *pos)
{
    if (s->nout == s->ncols && !s->row_index)
        return 0;
    dvec *ob;
    int rc = dvec_new(&ob, s->schema);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < s->nout; i++) {
        dvec_unref(ob->children[i]);
        ob->children[i] = dvec_ref((*b)->children[i]);
    }
    if (s->row_index) {
        dvec_unref(ob->children[s->nout]);
        ob->children[s->nout] = dvec_ref(pos);
    }
    ob->length = (*b)->length;
    ob->null_count = 0;
    dvec_unref(*b);
    *b = ob;
    return 0;
}

/* Decides the next file (counting what the predicate rules out). */
static int select_file(scan *s, const dlog_live_file *lf, bool *read)
{
    *read = true;
    s->counts.files_total++;
    s->counts.bytes_total += lf->add.size;
    if (s->has_pred) {
        dtab_verdict v;
        int rc = dtab_pred_file(&s->pred, lf, &v);
        if (rc)
            return rc;
        if (v == DTAB_FILE_PRUNED)
            s->counts.files_pruned++;
        else if (v == DTAB_FILE_SKIPPED)
            s->counts.files_skipped++;
        *read = v == DTAB_FILE_READ;
    }
    if (*read) {
        s->counts.files_selected++;
        s->counts.bytes_selected += lf->add.size;
    }
    return 0;
}

/* Drops rows of b (file rows [s->file_row, +len)) listed in the DV. */
static int apply_dv(scan *s, dvec **b, dvec **pos)
{
    int64_t len = (*b)->length;
    uint64_t lo = (uint64_t)s->file_row, hi = lo + (uint64_t)len;
    size_t p = s->dv_pos;
    while (p < s->dv.count && s->dv.rows[p] < lo)
        p++;
    size_t first = p;
    while (p < s->dv.count && s->dv.rows[p] < hi)
        p++;
    s->dv_pos = p;
    if (p == first)
        return 0;
    int rc = ensure_sel(s, len);
    if (rc)
        return rc;
    int64_t k = 0;
    size_t d = first;
    for (int64_t r = 0; r < len; r++) {
        if (d < p && s->dv.rows[d] == lo + (uint64_t)r) {
            d++;
            continue;
        }
        s->sel[k++] = (uint32_t)r;
    }
    if ((rc = take_pos(s, pos, k)))
        return rc;
    dvec *nb;
    rc = dbatch_new(&nb, s->rschema);
    if (!rc)
        rc = dvec_append_take(nb, *b, s->sel, k);
    if (rc) {
        dvec_unref(nb);
        return rc;
    }
    dvec_unref(*b);
    *b = nb;
    return 0;
}

/* The file positions [s->file_row, +n) as an INT64 vector. */
static int positions(scan *s, int64_t n, dvec **out)
{
    dvec *v;
    int rc = dvec_new(&v, s->i64);
    if (!rc)
        rc = dvec_reserve(v, n);
    if (rc) {
        dvec_unref(v);
        return rc;
    }
    int64_t *p = (int64_t *)v->values;
    for (int64_t i = 0; i < n; i++)
        p[i] = s->file_row + i;
    dvec_set_length(v, n);
    *out = v;
    return 0;
}

static int scan_next(dstream *ds, dvec **out)
{
    scan *s = (scan *)ds;
    *out = NULL;
    for (;;) {
        if (s->remaining == 0)
            return 0;
        if (!s->open) {
            if (s->next_file >= s->nfiles)
                return 0;
            const dlog_live_file *lf = s->files[s->next_file++];
            bool read;
            int rc = select_file(s, lf, &read);
            if (!rc && read)
                rc = open_file(s, lf);
            if (rc)
                return rc;
            if (!read)
                continue;
        }
        dvec *fb = NULL, *b = NULL;
        int64_t n;
        int rc;
        if (s->rows) {
            if ((rc = s->rows->next(s->rows, &fb)))
                return delta_error_prefix(rc, "%s: ", s->file->add.path);
            if (!fb) {
                close_file(s);
                continue;
            }
            n = fb->length;
            s->file_row = pq_reader_stream_row(s->rows); /* row groups may be skipped */
        } else {
            int64_t step = s->batch_rows > 0 ? s->batch_rows : PQ_READER_DEFAULT_BATCH_ROWS;
            n = s->const_left < step ? s->const_left : step;
            if (n == 0) {
                close_file(s);
                continue;
            }
            s->const_left -= n;
        }
        rc = shape(s, fb, n, &b);
        dvec_unref(fb);
        dvec *pos = NULL;
        if (!rc && s->row_index)
            rc = positions(s, n, &pos);
        if (!rc && s->dv.count)
            rc = apply_dv(s, &b, &pos);
        if (!rc && s->has_pred && b->length > 0)
            rc = apply_pred(s, &b, &pos);
        if (!rc)
            rc = project_out(s, &b, pos);
        dvec_unref(pos);
        s->file_row += n;
        if (rc) {
            dvec_unref(b);
            return delta_error_prefix(rc, "%s: ", s->file->add.path);
        }
        if (b->length == 0) {
            dvec_unref(b);
            continue;
        }
        if (s->remaining > 0 && b->length > s->remaining) {
            dvec *nb;
            if ((rc = dbatch_new(&nb, s->schema)) ||
                (rc = dvec_append_range(nb, b, 0, s->remaining))) {
                dvec_unref(nb);
                dvec_unref(b);
                return rc;
            }
            dvec_unref(b);
            b = nb;
        }
        if (s->remaining > 0)
            s->remaining -= b->length;
        *out = b;
        return 0;
    }
}

static void scan_free(dstream *ds)
{
    scan *s = (scan *)ds;
    if (!s)
        return;
    close_file(s);
    for (uint32_t i = 0; s->maps && i < s->ncols; i++)
        dtab_cmap_free(&s->maps[i]);
    delta_free(s->maps);
    delta_free(s->cols);
    delta_free(s->files);
    delta_free(s->zeros);
    delta_free(s->sel);
    if (s->has_pred)
        dtab_pred_clear(&s->pred);
    dtype_unref(s->schema);
    dtype_unref(s->rschema);
    dtype_unref(s->i64);
    void (*on_free)(void *) = s->on_free;
    void *ctx = s->on_free_ctx;
    delta_free(s);
    if (on_free)
        on_free(ctx);
}

/* The read schema of a scan with a predicate: the output columns, then the
 * columns only the predicate names. *idx (table indices of the output
 * columns) is replaced by those of the read columns. */
static int read_columns(scan *s, const dlog_snapshot *snap, const dtype *ts, const char *where,
                        uint32_t **idx)
{
    uint32_t *pcols = NULL, *ridx = NULL;
    size_t npcols = 0;
    const char **names = NULL;
    int rc = dtab_pred_columns(snap, where, &pcols, &npcols);
    if (rc)
        return rc;
    names = delta_calloc(s->nout + npcols + 1, sizeof *names);
    if (!names) {
        rc = DELTA_ENOMEM;
        goto done;
    }
    size_t n = 0;
    for (uint32_t i = 0; i < s->nout; i++)
        names[n++] = ts->fields[(*idx)[i]].name;
    for (size_t k = 0; k < npcols; k++) {
        bool have = false;
        for (uint32_t i = 0; i < s->nout && !have; i++)
            have = (*idx)[i] == pcols[k];
        if (!have)
            names[n++] = snap->schema->fields[pcols[k]].name;
    }
    if (n == s->nout) {
        s->rschema = dtype_ref(s->schema);
        goto done;
    }
    if ((rc = dtab_project_schema(ts, names, n, &s->rschema, &ridx)))
        goto done;
    delta_free(*idx);
    *idx = ridx;
done:
    delta_free(pcols);
    delta_free(names);
    return rc;
}

/* Appends DTAB_ROW_INDEX_COLUMN to the output schema (the read schema
 * keeps the table columns only). */
static int add_row_index(scan *s, const dlog_snapshot *snap)
{
    if (dtype_field_index(snap->schema, DTAB_ROW_INDEX_COLUMN, true) != -1)
        return delta_error_set(DELTA_EINVAL,
                               "the table has a column named %s: the row index cannot be added",
                               DTAB_ROW_INDEX_COLUMN);
    if (!(s->i64 = dtype_new(DT_INT64)))
        return delta_error_last_code() ? delta_error_last_code() : DELTA_ENOMEM;
    uint32_t n = s->nout;
    dfield *f = delta_calloc(n + 1, sizeof *f);
    if (!f)
        return DELTA_ENOMEM;
    int rc = 0;
    uint32_t built = 0;
    for (uint32_t i = 0; i < n && !rc; i++) {
        const dfield *src = &s->schema->fields[i];
        if (!(rc = dfield_init(&f[i], src->name, dtype_ref(src->type), src->nullable))) {
            built++;
            f[i].id = src->id;
            if (src->metadata && !(f[i].metadata = delta_strdup(src->metadata)))
                rc = DELTA_ENOMEM;
        }
    }
    if (!rc && !(rc = dfield_init(&f[n], DTAB_ROW_INDEX_COLUMN, dtype_ref(s->i64), false)))
        built++;
    dtype *out = NULL;
    if (!rc) {
        out = dtype_new_struct(f, n + 1);
        built = 0; /* taken, also on failure */
        if (!out)
            rc = delta_error_last_code() ? delta_error_last_code() : DELTA_ENOMEM;
    }
    for (uint32_t i = 0; i < built; i++)
        dfield_clear(&f[i]);
    delta_free(f);
    if (rc)
        return rc;
    dtype_unref(s->schema); /* the read schema keeps its own reference */
    s->row_index = true;
    s->schema = out;
    s->base.schema = out;
    return 0;
}

static int cmp_files(const void *a, const void *b)
{
    const dlog_live_file *x = *(const dlog_live_file *const *)a;
    const dlog_live_file *y = *(const dlog_live_file *const *)b;
    return strcmp(x->canonical, y->canonical);
}

int dtab_scan_open(dstream **out, const dlog_snapshot *snap, const dtab_scan_opts *opts)
{
    *out = NULL;
    dtab_scan_opts def = DTAB_SCAN_OPTS_INIT;
    if (!opts)
        opts = &def;
    const dtype *ts = opts->schema ? opts->schema : snap->schema;
    if (!ts)
        return delta_error_set(DELTA_EINVAL, "snapshot has no schema (opened unchecked)");
    scan *s = delta_calloc(1, sizeof *s);
    if (!s)
        return DELTA_ENOMEM;
    s->snap = snap;
    s->cm = snap->column_mapping;
    s->remaining = opts->limit < 0 ? -1 : opts->limit;
    s->batch_rows = opts->batch_rows;
    s->base.next = scan_next;
    s->base.free = scan_free;
    uint32_t *idx = NULL;
    bool *part = NULL;
    int rc = dtab_project_schema(ts, opts->columns, opts->num_columns, &s->schema, &idx);
    if (rc)
        goto fail;
    s->base.schema = s->schema;
    s->nout = s->schema->num_fields;
    if (opts->where) {
        if ((rc = read_columns(s, snap, ts, opts->where, &idx)))
            goto fail;
    } else {
        s->rschema = dtype_ref(s->schema);
    }
    if (opts->row_index && (rc = add_row_index(s, snap)))
        goto fail;
    s->ncols = s->rschema->num_fields;
    s->cols = delta_calloc(s->ncols ? s->ncols : 1, sizeof *s->cols);
    s->maps = delta_calloc(s->ncols ? s->ncols : 1, sizeof *s->maps);
    if (!s->cols || !s->maps) {
        rc = DELTA_ENOMEM;
        goto fail;
    }
    for (uint32_t i = 0; i < s->ncols; i++) {
        const dfield *f = &ts->fields[idx[i]];
        s->cols[i].field = idx[i];
        s->cols[i].file_col = -1;
        for (size_t p = 0; p < snap->metadata.num_partition_columns; p++)
            if (dstr_ieq(snap->metadata.partition_columns[p], f->name))
                s->cols[i].partition = true;
        if ((rc = dtab_cmap_build(&s->maps[i], f->type, f, s->cm)))
            goto fail;
        if (s->cols[i].partition && dtype_is_nested(f->type)) {
            rc = delta_error_set(DELTA_EUNSUPPORTED, "partition column '%s' has a nested type",
                                 f->name);
            goto fail;
        }
    }
    if (opts->where) {
        part = delta_calloc(s->ncols ? s->ncols : 1, sizeof *part);
        if (!part) {
            rc = DELTA_ENOMEM;
            goto fail;
        }
        for (uint32_t i = 0; i < s->ncols; i++)
            part[i] = s->cols[i].partition;
        if ((rc = dtab_pred_init(&s->pred, opts->where, s->rschema, part, s->cm)))
            goto fail;
        s->has_pred = true;
        delta_free(part);
        part = NULL;
    }
    s->nfiles = opts->files ? opts->num_files : dlog_snapshot_num_files(snap);
    s->files = delta_calloc(s->nfiles ? s->nfiles : 1, sizeof *s->files);
    if (!s->files) {
        rc = DELTA_ENOMEM;
        goto fail;
    }
    if (opts->files) {
        memcpy(s->files, opts->files, s->nfiles * sizeof *s->files);
    } else {
        size_t it = 0, k = 0;
        const dlog_live_file *lf;
        while (k < s->nfiles && dlog_snapshot_next_file(snap, &it, &lf))
            s->files[k++] = lf;
        s->nfiles = k;
        qsort(s->files, s->nfiles, sizeof *s->files, cmp_files);
    }
    delta_free(idx);
    s->on_free = opts->on_free;
    s->on_free_ctx = opts->on_free_ctx;
    *out = &s->base;
    return 0;
fail:
    delta_free(idx);
    delta_free(part);
    scan_free(&s->base);
    return rc;
}

void dtab_scan_counts_of(const dstream *s, dtab_scan_counts *out)
{
    *out = ((const scan *)s)->counts;
}

int dtab_scan_plan(const dlog_snapshot *snap, const dtab_scan_opts *opts, dtab_scan_counts *out)
{
    memset(out, 0, sizeof *out);
    dtab_scan_opts o = DTAB_SCAN_OPTS_INIT;
    if (opts) {
        o = *opts;
        o.on_free = NULL;
        o.on_free_ctx = NULL;
    }
    dstream *ds;
    int rc = dtab_scan_open(&ds, snap, &o);
    if (rc)
        return rc;
    scan *s = (scan *)ds;
    while (!rc && s->next_file < s->nfiles) {
        bool read;
        rc = select_file(s, s->files[s->next_file++], &read);
    }
    if (!rc)
        *out = s->counts;
    scan_free(ds);
    return rc;
}
