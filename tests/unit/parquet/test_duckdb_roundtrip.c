/*
 * Parquet files checked by an independent implementation: DuckDB.
 *
 * For each of NUM_SEEDS seeds a random schema (nested structs, lists and
 * maps, every type below, nulls everywhere they are allowed;
 * support/dgen.h) and rows are written by our record writer to file A in a
 * temporary folder, with the codec, data page version, dictionary, page
 * size, page row limit and row group size varying with the seed. DuckDB
 * (shared/tools/duckdb-oracle, through node) reads A and writes its own
 * copy B (its codec, format version (v2: DELTA_* encodings) and row group
 * size also vary); our record reader reads B back and the rows must equal
 * the ones written, value by value (dvec_equal). A mistake on either side -
 * our writer producing something DuckDB reads differently, or our reader
 * misreading DuckDB's encodings - fails naming the seed, the row, the
 * column path and both values. DuckDB's row count of every A must equal
 * our footer's. All seeds go through one DuckDB process; when it fails,
 * the seeds are retried one by one to name the file DuckDB refuses.
 *
 * DuckDB's type system is not ours, so some columns come back in another
 * type. B's values are converted back to the written type along these
 * mappings only, each exact (a value that does not convert exactly is a
 * failure naming it), and any other type DuckDB hands back fails the test:
 *   - every field comes back nullable (DuckDB writes OPTIONAL fields except
 *     map keys): the written nullability is restored; a null where a value
 *     was written still differs;
 *   - FLOAT16 comes back as FLOAT32 (DuckDB has no half type; every half is
 *     a float, and the float must be exactly a half);
 *   - TIME in seconds or milliseconds comes back in microseconds (DuckDB's
 *     TIME unit; ours are written as TIME(MILLIS)), divided back exactly;
 *   - TIMESTAMP in seconds or milliseconds comes back in microseconds
 *     (DuckDB reads TIMESTAMP(MILLIS) into its microsecond TIMESTAMP),
 *     divided back exactly; UTC-adjusted or not is kept;
 *   - FIXED_BINARY(n) comes back as BINARY (DuckDB's BLOB has no width);
 *     each value must have n bytes;
 *   - the ENUM annotation is dropped (DuckDB reads a Parquet ENUM as
 *     VARCHAR); JSON and UUID annotations must be kept;
 *   - a NULL-typed column comes back as an all-null INTEGER column.
 * Unsigned integers, decimals of every precision (INT32, INT64 and
 * FIXED_LEN_BYTE_ARRAY), dates, TIME in microseconds, timestamps in
 * microseconds and wall-clock nanoseconds, strings, binary, UUID and JSON
 * come back as they were written.
 *
 * Excluded from the generated data (dgen flags in DUCKDB_FLAGS), because
 * DuckDB cannot hold it:
 *   - DGEN_NO_TIME_NANO: TIME in nanoseconds. Our writer marks TIME columns
 *     isAdjustedToUTC=true (as Arrow's writer does, the form the legacy
 *     TIME_MILLIS/TIME_MICROS converted types stand for); DuckDB reads such
 *     columns as TIME WITH TIME ZONE, which holds microseconds, and cuts
 *     the nanoseconds.
 *   - DGEN_NO_UTC_NANO: UTC-adjusted timestamps in nanoseconds, and so the
 *     INT96 ones (always UTC nanoseconds). DuckDB reads both into its
 *     TIMESTAMP WITH TIME ZONE, which holds microseconds, and cuts the
 *     nanoseconds (wall-clock nanoseconds have TIMESTAMP_NS and stay).
 *   - DGEN_NO_BSON: the BSON annotation; DuckDB refuses the whole file
 *     ("Unsupported converted type (20)").
 *   - DGEN_TS_FIT_MICROS: timestamps in seconds or milliseconds beyond what
 *     int64 microseconds hold (about +-292,000 years); DuckDB converts them
 *     to microseconds and refuses the file ("Could not convert
 *     Timestamp(MS) to Timestamp(US)").
 *   - DGEN_JSON_TEXT: strings annotated JSON hold JSON texts (a JSON string
 *     literal of the usual random text, quotes, backslashes and control
 *     characters escaped); DuckDB validates JSON columns and refuses the
 *     file otherwise. Any text is still written under the plain STRING
 *     type.
 *
 * The test skips, saying why, when the shared tools folder, node or the
 * oracle's installation (npm) is missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <delta/storage.h>

#include "columnar/format.h"
#include "columnar/vector.h"
#include "core/buf.h"
#include "core/error.h"
#include "parquet/codec.h"
#include "parquet/record_reader.h"
#include "parquet/record_writer.h"
#include "storage/tmpdir.h"
#include "support/dgen.h"

#define NUM_SEEDS 100
#define SEEDS_PER_RUN 50
#define SEED_STRIDE UINT64_C(1000003)
#define ORACLE_SETUP DELTA_SHARED_DIR "/tools/duckdb-oracle/setup"

/* What DuckDB cannot hold (see the top). */
#define DUCKDB_FLAGS \
    (DGEN_NO_TIME_NANO | DGEN_NO_UTC_NANO | DGEN_NO_BSON | DGEN_TS_FIT_MICROS | DGEN_JSON_TEXT)

/* ---- running the oracle ------------------------------------------------ */

/* Runs a shell command, appending its stdout and stderr to out. Returns
 * its exit status, or -1 when it could not be run. */
static int run_capture(const char *cmd, dbuf *out)
{
    dbuf full = DBUF_INIT;
    dbuf_printf(&full, "%s 2>&1", cmd);
    FILE *p = popen(dbuf_cstr(&full), "r");
    dbuf_free(&full);
    if (!p)
        return -1;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        dbuf_append(out, buf, n);
    int st = pclose(p);
    while (out->len && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '\r'))
        out->data[--out->len] = '\0';
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

/* The oracle's install folder (malloc'd), or NULL with the reason in why. */
static char *oracle_dir(dbuf *why)
{
    struct stat st;
    if (stat(ORACLE_SETUP, &st) != 0) {
        dbuf_printf(why, "%s not found", ORACLE_SETUP);
        return NULL;
    }
    dbuf out = DBUF_INIT;
    if (run_capture("node --version", &out) != 0) {
        dbuf_printf(why, "node is not installed (%s)", dbuf_cstr(&out));
        dbuf_free(&out);
        return NULL;
    }
    dbuf_reset(&out);
    if (run_capture("'" DELTA_ORACLE_SETUP "'", &out) != 0 || out.len == 0) {
        dbuf_printf(why, "%s failed: %s", ORACLE_SETUP, dbuf_cstr(&out));
        dbuf_free(&out);
        return NULL;
    }
    /* the folder is the last line printed */
    char *text = (char *)dbuf_cstr(&out);
    char *last = strrchr(text, '\n');
    char *dir = strdup(last ? last + 1 : text);
    dbuf_free(&out);
    return dir;
}

/* Runs DuckDB statements (separated by ';') with sql.mjs; rows of the last
 * one are JSON lines in out. The SQL must not contain characters special
 * inside double quotes of the shell. */
static int run_sql(const char *dir, const char *sql, dbuf *out)
{
    for (const char *p = sql; *p; p++)
        assert_true(*p != '"' && *p != '$' && *p != '`' && *p != '\\');
    dbuf cmd = DBUF_INIT;
    dbuf_printf(&cmd, "node '%s/sql.mjs' \"%s\"", dir, sql);
    int rc = run_capture(dbuf_cstr(&cmd), out);
    dbuf_free(&cmd);
    return rc;
}

/* ---- converting DuckDB's values back to the written type ---------------- */

static int64_t get_int(const dvec *v, int64_t i)
{
    switch (dtype_byte_width(v->type)) {
    case 1: return ((const int8_t *)v->values)[i];
    case 2: return ((const int16_t *)v->values)[i];
    case 4: return ((const int32_t *)v->values)[i];
    default: return ((const int64_t *)v->values)[i];
    }
}

static uint64_t get_uint(const dvec *v, int64_t i)
{
    switch (dtype_byte_width(v->type)) {
    case 1: return ((const uint8_t *)v->values)[i];
    case 2: return ((const uint16_t *)v->values)[i];
    case 4: return ((const uint32_t *)v->values)[i];
    default: return ((const uint64_t *)v->values)[i];
    }
}

static double get_float(const dvec *v, int64_t i)
{
    if (v->type->id == DT_FLOAT32)
        return ((const float *)v->values)[i];
    return dvec_f64(v)[i];
}

/* The IEEE half of x when x is one exactly (NaNs map to the quiet NaN). */
static bool half_from_double(double x, uint16_t *out)
{
    uint16_t sign = signbit(x) ? 0x8000 : 0;
    double a = fabs(x);
    if (isnan(x)) {
        *out = sign | 0x7e00;
        return true;
    }
    if (isinf(x) || a == 0) {
        *out = sign | (isinf(x) ? 0x7c00 : 0);
        return true;
    }
    int e;
    double m = frexp(a, &e); /* a = m * 2^e, m in [0.5, 1) */
    int biased = e + 14;     /* a = (1 + f/1024) * 2^(biased-15) */
    double f = biased >= 1 ? (m * 2 - 1) * 1024 : ldexp(a, 24);
    if (biased > 30 || f != floor(f) || f >= 1024)
        return false;
    *out = (uint16_t)(sign | (biased >= 1 ? biased << 10 : 0) | (uint16_t)f);
    return true;
}

static int64_t unit_per_second(dtime_unit u)
{
    static const int64_t k[] = {1, 1000, 1000000, 1000000000};
    return k[u];
}

/* x in unit `from` as unit `to`, when exact and in range. */
static bool rescale(int64_t x, dtime_unit from, dtime_unit to, int64_t *out)
{
    int64_t a = unit_per_second(from), b = unit_per_second(to);
    if (a == b) {
        *out = x;
        return true;
    }
    if (a > b) {
        int64_t k = a / b;
        if (x % k != 0)
            return false;
        *out = x / k;
        return true;
    }
    int64_t k = b / a;
    if (x > INT64_MAX / k || x < INT64_MIN / k)
        return false;
    *out = x * k;
    return true;
}

/* Reports that row i of src cannot become a value of dst's type. */
static int conv_fail(dvec *dst, const dvec *src, int64_t i, const dbuf *path, const char *what,
                     dbuf *why)
{
    dbuf_printf(why, "%s: DuckDB's ", path->len ? dbuf_cstr(path) : "(value)");
    dtype_format(src->type, why);
    dbuf_puts(why, " ");
    if (i >= 0)
        dvec_format_value(src, i, DFMT_JSON, why);
    dbuf_puts(why, " does not map back to ");
    dtype_format(dst->type, why);
    dbuf_printf(why, ": %s", what);
    return -1;
}

static int conv_value(dvec *dst, const dvec *src, int64_t i, dbuf *path, dbuf *why);

static int conv_child(dvec *dst, const dvec *src, int64_t i, const char *name, int64_t index,
                      dbuf *path, dbuf *why)
{
    size_t mark = path->len;
    if (name)
        dbuf_printf(path, "%s%s", mark ? "." : "", name);
    else
        dbuf_printf(path, "[%lld]", (long long)index);
    int rc = conv_value(dst, src, i, path, why);
    path->len = mark;
    if (path->data)
        path->data[mark] = '\0';
    return rc;
}

/* Appends row i of src (read from DuckDB's file) to dst (of the written
 * type), along the exact mappings listed at the top of this file. */
static int conv_value(dvec *dst, const dvec *src, int64_t i, dbuf *path, dbuf *why)
{
    const dtype *t = dst->type, *s = src->type;
    int rc = 0;
    if (t->id == DT_NULL) {
        if (dvec_is_valid(src, i))
            return conv_fail(dst, src, i, path, "a value where only nulls were written", why);
        return dvec_append_null(dst);
    }
    if (!dtype_is_nested(t) && s->annot != t->annot &&
        !(t->annot == DT_ANNOT_ENUM && s->annot == DT_ANNOT_NONE))
        return conv_fail(dst, src, -1, path, "the annotation differs", why);
    if (!dvec_is_valid(src, i))
        return dvec_append_null(dst) ? -1 : 0;
    switch (t->id) {
    case DT_BOOL:
        if (s->id != DT_BOOL)
            break;
        rc = dvec_append_bool(dst, dbit_get(src->values, i));
        goto done;
    case DT_INT8:
    case DT_INT16:
    case DT_INT32:
    case DT_INT64:
        if (s->id != t->id)
            break;
        rc = dvec_append_int(dst, get_int(src, i));
        goto done;
    case DT_UINT8:
    case DT_UINT16:
    case DT_UINT32:
    case DT_UINT64:
        if (s->id != t->id)
            break;
        rc = dvec_append_uint(dst, get_uint(src, i));
        goto done;
    case DT_FLOAT16: {
        uint16_t h;
        if (s->id == DT_FLOAT16) {
            h = ((const uint16_t *)src->values)[i];
        } else if (s->id == DT_FLOAT32) {
            if (!half_from_double(get_float(src, i), &h))
                return conv_fail(dst, src, i, path, "not a half-precision value", why);
        } else {
            break;
        }
        rc = dvec_append_fixed(dst, &h);
        goto done;
    }
    case DT_FLOAT32:
    case DT_FLOAT64:
        if (s->id != t->id)
            break;
        rc = dvec_append_double(dst, get_float(src, i));
        goto done;
    case DT_DECIMAL:
        if (s->id != DT_DECIMAL || s->precision != t->precision || s->scale != t->scale)
            break;
        rc = dvec_append_fixed(dst, (const uint8_t *)src->values + 16 * i);
        goto done;
    case DT_DATE32:
        if (s->id != DT_DATE32)
            break;
        rc = dvec_append_int(dst, get_int(src, i));
        goto done;
    case DT_TIME32:
    case DT_TIME64:
    case DT_TIMESTAMP: {
        bool time = t->id != DT_TIMESTAMP;
        if (time ? s->id != DT_TIME32 && s->id != DT_TIME64
                 : s->id != DT_TIMESTAMP || s->utc != t->utc)
            break;
        int64_t x;
        if (!rescale(get_int(src, i), s->unit, t->unit, &x))
            return conv_fail(dst, src, i, path, "not exact in the written unit", why);
        rc = dvec_append_int(dst, x);
        goto done;
    }
    case DT_STRING:
    case DT_BINARY:
    case DT_FIXED_BINARY: {
        size_t len;
        const uint8_t *p;
        if (s->id == DT_FIXED_BINARY) {
            len = (size_t)s->width;
            p = (const uint8_t *)src->values + (size_t)i * len;
        } else {
            p = dvec_bytes(src, i, &len);
        }
        if (s->id != t->id && !(t->id == DT_FIXED_BINARY && s->id == DT_BINARY))
            break;
        if (t->id == DT_FIXED_BINARY && len != (size_t)t->width)
            return conv_fail(dst, src, i, path, "not of the fixed width", why);
        rc = dvec_append_bytes(dst, p, len);
        goto done;
    }
    case DT_STRUCT:
        if (s->id != DT_STRUCT || s->num_fields != t->num_fields)
            break;
        for (uint32_t k = 0; k < t->num_fields; k++)
            if (strcmp(s->fields[k].name, t->fields[k].name) != 0)
                return conv_fail(dst, src, -1, path, "field names differ", why);
        for (uint32_t k = 0; k < t->num_fields; k++)
            if (conv_child(dst->children[k], src->children[k], i, t->fields[k].name, 0, path,
                           why))
                return -1;
        rc = dvec_end_struct(dst);
        goto done;
    case DT_LIST:
    case DT_MAP:
        if (s->id != t->id)
            break;
        for (int32_t k = src->offsets[i]; k < src->offsets[i + 1]; k++)
            if (conv_child(dst->children[0], src->children[0], k, NULL, k - src->offsets[i],
                           path, why))
                return -1;
        rc = dvec_end_list(dst);
        goto done;
    default: break;
    }
    return conv_fail(dst, src, i, path, "not one of the expected mappings", why);
done:
    if (rc)
        return conv_fail(dst, src, i, path, delta_error_last(), why);
    return 0;
}

/* B's rows as a batch of the written schema. */
static int conv_batch(const dtype *schema, const dvec *b, dvec **out, dbuf *why)
{
    const dtype *s = b->type;
    if (s->num_fields != schema->num_fields) {
        dbuf_printf(why, "DuckDB's file has %u columns, %u were written", s->num_fields,
                    schema->num_fields);
        return -1;
    }
    assert_int_equal(dbatch_new(out, schema), 0);
    dbuf path = DBUF_INIT;
    int rc = 0;
    for (int64_t r = 0; r < b->length && rc == 0; r++)
        for (uint32_t c = 0; c < schema->num_fields && rc == 0; c++) {
            dbuf_reset(&path);
            dbuf_puts(&path, schema->fields[c].name);
            if (strcmp(s->fields[c].name, schema->fields[c].name) != 0) {
                dbuf_printf(why, "column %u is '%s' in DuckDB's file", c, s->fields[c].name);
                rc = -1;
            } else if (conv_value((*out)->children[c], b->children[c], r, &path, why)) {
                dbuf_printf(why, " (row %lld)", (long long)r);
                rc = -1;
            }
        }
    dbuf_free(&path);
    if (rc == 0 && dbatch_seal(*out))
        rc = -1;
    if (rc) {
        dvec_unref(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- our side ------------------------------------------------------------ */

/* Reads every row of key into one batch (checked with dvec_validate). */
static int read_all(delta_store *s, const char *key, dvec **out)
{
    pq_reader *r = NULL;
    dstream *ds = NULL;
    dvec *all = NULL;
    int rc = pq_reader_open(&r, s, key, NULL);
    if (rc == 0)
        rc = pq_reader_stream(r, &ds);
    if (rc == 0)
        rc = dbatch_new(&all, pq_reader_schema(r));
    while (rc == 0) {
        dvec *b = NULL;
        rc = ds->next(ds, &b);
        if (rc || !b)
            break;
        rc = dvec_validate(b, true);
        if (rc == 0)
            rc = dvec_append_range(all, b, 0, b->length);
        dvec_unref(b);
    }
    if (rc == 0 && all->length != pq_reader_num_rows(r))
        rc = delta_error_set(DELTA_ECORRUPT, "%s: read %lld rows, footer says %lld", key,
                             (long long)all->length, (long long)pq_reader_num_rows(r));
    if (ds)
        ds->free(ds);
    pq_reader_free(r);
    if (rc) {
        dvec_unref(all);
        all = NULL;
    }
    *out = all;
    return rc;
}

typedef struct seed_case {
    uint64_t seed;
    dtype *schema;
    dvec *rows;          /* everything written, one batch */
    int64_t footer_rows; /* our footer's row count */
    char desc[200];      /* both writers' options, for messages */
    char copy_opts[96];  /* DuckDB's COPY options */
} seed_case;

/* Generates and writes file A of one seed and picks DuckDB's options. */
static void write_case(delta_store *s, seed_case *c)
{
    static const int codecs[] = {PQ_CODEC_SNAPPY, PQ_CODEC_UNCOMPRESSED, PQ_CODEC_ZSTD,
                                 PQ_CODEC_GZIP, PQ_CODEC_LZ4_RAW};
    static const char *const duck_codecs[] = {"snappy", "zstd", "gzip", "lz4", "uncompressed"};
    dgen g;
    dgen_init(&g, c->seed, DUCKDB_FLAGS);
    c->schema = dgen_schema(&g, (uint32_t)dgen_range(&g, 1, 6));
    assert_non_null(c->schema);
    int64_t rows = dgen_range(&g, 0, 300);
    size_t nparts = (size_t)dgen_range(&g, 1, 3);
    pq_writer_options o = PQ_WRITER_OPTIONS_INIT;
    o.codec = codecs[dgen_below(&g, 5)];
    if (dgen_pct(&g, 50))
        o.row_group_size_rows = (uint64_t)dgen_range(&g, 1, 120);
    if (dgen_pct(&g, 50))
        o.page_size_bytes = (size_t)dgen_range(&g, 64, 4096);
    if (dgen_pct(&g, 30))
        o.page_max_rows = (size_t)dgen_range(&g, 1, 50);
    o.no_dictionary = dgen_pct(&g, 30);
    o.data_page_v2 = dgen_pct(&g, 30);
    bool duck_v2 = dgen_pct(&g, 50);
    const char *duck_codec = duck_codecs[dgen_below(&g, 5)];
    snprintf(c->copy_opts, sizeof c->copy_opts,
             "FORMAT parquet, COMPRESSION %s, PARQUET_VERSION %s%s", duck_codec,
             duck_v2 ? "v2" : "v1", dgen_pct(&g, 30) ? ", ROW_GROUP_SIZE 100" : "");
    snprintf(c->desc, sizeof c->desc,
             "ours: %s, %s pages, dictionary %s, row groups of %llu rows; DuckDB's: %s",
             pq_codec_name(o.codec), o.data_page_v2 ? "v2" : "v1", o.no_dictionary ? "off" : "on",
             (unsigned long long)o.row_group_size_rows, c->copy_opts);

    assert_int_equal(dbatch_new(&c->rows, c->schema), 0);
    char key[64];
    snprintf(key, sizeof key, "a%llu.parquet", (unsigned long long)c->seed);
    pq_writer *w = NULL;
    int rc = pq_writer_open(&w, s, key, 0, c->schema, &o);
    for (size_t i = 0; i < nparts && rc == 0; i++) {
        dvec *part;
        assert_int_equal(dgen_batch(&g, c->schema, rows / (int64_t)nparts, &part), 0);
        assert_int_equal(dvec_append_range(c->rows, part, 0, part->length), 0);
        rc = pq_writer_write(w, part);
        dvec_unref(part);
    }
    if (rc == 0)
        rc = pq_writer_close(w);
    if (rc == 0)
        c->footer_rows = pq_writer_metadata(w)->num_rows;
    pq_writer_free(w);
    if (rc) {
        dbuf d = DBUF_INIT;
        dtype_format(c->schema, &d);
        fail_msg("seed %llu: writing %s (%s): %s", (unsigned long long)c->seed, dbuf_cstr(&d),
                 c->desc, delta_error_last());
    }
}

static void free_case(seed_case *c)
{
    dvec_unref(c->rows);
    dtype_unref(c->schema);
    memset(c, 0, sizeof *c);
}

/* Appends the statement making DuckDB's copy B of a seed's A. */
static void copy_sql(dbuf *sql, const char *dir, const seed_case *c)
{
    unsigned long long seed = (unsigned long long)c->seed;
    dbuf_printf(sql, "COPY (SELECT * FROM read_parquet('%s/a%llu.parquet')) TO '%s/b%llu.parquet' (%s);",
                dir, seed, dir, seed, c->copy_opts);
}

/* DuckDB's row count of a seed's A, from the JSON lines of the count
 * query; -1 when missing. */
static int64_t duckdb_count(const char *lines, uint64_t seed)
{
    char tag[64];
    snprintf(tag, sizeof tag, "{\"k\":\"a%llu\",\"n\":", (unsigned long long)seed);
    const char *p = strstr(lines, tag);
    if (!p)
        return -1;
    p += strlen(tag);
    if (*p == '"')
        p++;
    return strtoll(p, NULL, 10);
}

/* The line of node's output that holds DuckDB's error (all if none). */
static const char *error_line(dbuf *out)
{
    char *text = (char *)dbuf_cstr(out), *hit = strstr(text, "Error:");
    if (!hit)
        return text;
    while (hit > text && hit[-1] != '\n')
        hit--;
    char *end = strchr(hit, '\n');
    if (end)
        *end = '\0';
    return hit;
}

/* Types, annotations and shapes the seeds covered, as bits. */
static void cover(const dtype *t, uint64_t *ids, unsigned *annots)
{
    *ids |= UINT64_C(1) << t->id;
    *annots |= 1u << t->annot;
    for (uint32_t k = 0; k < t->num_fields; k++)
        cover(t->fields[k].type, ids, annots);
}

static void test_duckdb_reads_and_writes_back(void **state)
{
    (void)state;
    dbuf why = DBUF_INIT;
    char *odir = oracle_dir(&why);
    if (!odir) {
        print_message("skipping: DuckDB oracle unavailable: %s\n", dbuf_cstr(&why));
        dbuf_free(&why);
        skip();
    }
    char *dir = tmpdir_make("pqduck");
    assert_non_null(dir);
    delta_store *s = NULL;
    if (delta_store_open(&s, dir))
        fail_msg("%s", delta_error_last());

    static seed_case cases[NUM_SEEDS];
    memset(cases, 0, sizeof cases);
    uint64_t ids = 0;
    unsigned annots = 0;
    int64_t total_rows = 0;
    for (int i = 0; i < NUM_SEEDS; i++) {
        /* dgen's streams of nearby seeds overlap: take them far apart */
        cases[i].seed = (uint64_t)(i + 1) * SEED_STRIDE;
        write_case(s, &cases[i]);
        cover(cases[i].schema, &ids, &annots);
        total_rows += cases[i].rows->length;
    }
    /* the seeds cover every type but those excluded */
    for (int id = DT_NULL; id <= DT_MAP; id++)
        if (!(ids & (UINT64_C(1) << id)))
            fail_msg("no seed generated type id %d", id);
    const unsigned want_annots = 1u << DT_ANNOT_JSON | 1u << DT_ANNOT_ENUM | 1u << DT_ANNOT_UUID;
    assert_int_equal(annots & want_annots, want_annots);

    /* DuckDB runs of SEEDS_PER_RUN seeds (one command line stays far below
     * the kernel's 128 KiB limit for one argument): the copies, then the row
     * counts of every A */
    dbuf sql = DBUF_INIT, out = DBUF_INIT;
    for (int first = 0; first < NUM_SEEDS; first += SEEDS_PER_RUN) {
        int last = first + SEEDS_PER_RUN < NUM_SEEDS ? first + SEEDS_PER_RUN : NUM_SEEDS;
        dbuf_reset(&sql);
        for (int i = first; i < last; i++)
            copy_sql(&sql, dir, &cases[i]);
        for (int i = first; i < last; i++)
            dbuf_printf(&sql,
                        "%sSELECT 'a%llu' AS k, count(*) AS n FROM read_parquet('%s/a%llu.parquet')",
                        i > first ? " UNION ALL " : "", (unsigned long long)cases[i].seed, dir,
                        (unsigned long long)cases[i].seed);
        size_t mark = out.len;
        if (run_sql(odir, dbuf_cstr(&sql), &out) == 0) {
            dbuf_putc(&out, '\n');
            continue;
        }
        /* name the first file DuckDB refuses */
        for (int i = first; i < last; i++) {
            dbuf one = DBUF_INIT, o1 = DBUF_INIT;
            copy_sql(&one, dir, &cases[i]);
            if (run_sql(odir, dbuf_cstr(&one), &o1) != 0) {
                dbuf d = DBUF_INIT;
                dtype_format(cases[i].schema, &d);
                fail_msg("seed %llu (%s; %s): DuckDB refuses our file: %s",
                         (unsigned long long)cases[i].seed, dbuf_cstr(&d), cases[i].desc,
                         error_line(&o1));
            }
            dbuf_free(&one);
            dbuf_free(&o1);
        }
        fail_msg("DuckDB failed: %s", out.len > mark ? dbuf_cstr(&out) + mark : "(no output)");
    }

    int failures = 0;
    for (int i = 0; i < NUM_SEEDS; i++) {
        seed_case *c = &cases[i];
        unsigned long long seed = (unsigned long long)c->seed;
        dbuf d = DBUF_INIT;
        dtype_format(c->schema, &d);
        int64_t dn = duckdb_count(dbuf_cstr(&out), c->seed);
        if (dn != c->footer_rows) {
            print_error("seed %llu: DuckDB counts %lld rows, our footer %lld\n", seed,
                        (long long)dn, (long long)c->footer_rows);
            failures++;
        }
        char key[64];
        snprintf(key, sizeof key, "b%llu.parquet", seed);
        dvec *b = NULL, *back = NULL;
        dbuf_reset(&why);
        if (read_all(s, key, &b)) {
            print_error("seed %llu (%s; %s): reading DuckDB's copy: %s\n", seed, dbuf_cstr(&d),
                        c->desc, delta_error_last());
            failures++;
        } else if (conv_batch(c->schema, b, &back, &why)) {
            dbuf bt = DBUF_INIT;
            dtype_format(b->type, &bt);
            print_error("seed %llu (%s; %s): DuckDB's copy: %s\n  DuckDB's schema: %s\n", seed,
                        dbuf_cstr(&d), c->desc, dbuf_cstr(&why), dbuf_cstr(&bt));
            dbuf_free(&bt);
            failures++;
        } else if (!dvec_equal(c->rows, back, &why)) {
            print_error("seed %llu (%s; %s): written vs DuckDB's copy: %s\n", seed,
                        dbuf_cstr(&d), c->desc, dbuf_cstr(&why));
            failures++;
        }
        dvec_unref(b);
        dvec_unref(back);
        dbuf_free(&d);
    }
    print_message("%d seeds, %lld rows through DuckDB and back\n", NUM_SEEDS,
                  (long long)total_rows);
    for (int i = 0; i < NUM_SEEDS; i++)
        free_case(&cases[i]);
    dbuf_free(&sql);
    dbuf_free(&out);
    dbuf_free(&why);
    delta_store_free(s);
    tmpdir_remove(dir);
    free(odir);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duckdb_reads_and_writes_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
