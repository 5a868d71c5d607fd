/*
 * Scan predicates (src/table/predicate.c, scan.c): partition pruning and
 * data skipping decisions on hand-made add actions (stats JSON as writers
 * produce it: physical names, nested objects, truncated strings,
 * millisecond timestamps, floats, decimals, NaN), and a seeded property
 * test over random small tables written with the Parquet writer: a scan
 * with a random predicate returns exactly the rows of a full scan
 * filtered afterwards, so no file holding a matching row is ever pruned
 * or skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <delta/table.h>

#include "columnar/arrow.h"
#include "columnar/format.h"
#include "core/alloc.h"
#include "core/error.h"
#include "core/str.h"
#include "expr/exprgen.h"
#include "log/actions.h"
#include "log/schema.h"
#include "parquet/record_writer.h"
#include "log/snapshot.h"
#include "table/predicate.h"
#include "table/scan.h"

/* ---- hand-made decisions ------------------------------------------------------- */

typedef struct hand {
    dtype *schema;
    dtab_pred pred;
} hand;

/* A predicate bound to a schema given as Delta schema JSON; `parts` lists
 * partition column names separated by commas. */
static void hand_init(hand *h, const char *schema_json, const char *parts, dlog_cm_mode cm,
                      const char *where)
{
    assert_int_equal(dlog_schema_parse(&h->schema, schema_json, strlen(schema_json)), 0);
    bool part[16] = {0};
    for (uint32_t i = 0; i < h->schema->num_fields; i++) {
        const char *n = h->schema->fields[i].name;
        const char *p = strstr(parts, n);
        size_t l = strlen(n);
        part[i] = p && (p == parts || p[-1] == ',') && (p[l] == '\0' || p[l] == ',');
    }
    int rc = dtab_pred_init(&h->pred, where, h->schema, part, cm);
    if (rc)
        fail_msg("'%s': %s", where, delta_error_last());
}

static void hand_clear(hand *h)
{
    dtab_pred_clear(&h->pred);
    dtype_unref(h->schema);
}

/* The verdict for an add action given as JSON. */
static int verdict(hand *h, const char *add_json, dtab_verdict *v)
{
    dlog_action a;
    int rc = dlog_action_parse(&a, add_json, strlen(add_json), "test", 1);
    if (rc)
        fail_msg("parse %s: %s", add_json, delta_error_last());
    dlog_live_file lf;
    memset(&lf, 0, sizeof lf);
    lf.canonical = a.u.add.path;
    lf.add = a.u.add;
    rc = dtab_pred_file(&h->pred, &lf, v);
    dlog_action_clear(&a);
    return rc;
}

#define SCHEMA1                                                                               \
    "{\"type\":\"struct\",\"fields\":["                                                     \
    "{\"name\":\"x\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},"                 \
    "{\"name\":\"s\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"               \
    "{\"name\":\"t\",\"type\":\"timestamp\",\"nullable\":true,\"metadata\":{}},"            \
    "{\"name\":\"f\",\"type\":\"float\",\"nullable\":true,\"metadata\":{}},"                \
    "{\"name\":\"d\",\"type\":\"double\",\"nullable\":true,\"metadata\":{}},"               \
    "{\"name\":\"m\",\"type\":\"decimal(5,2)\",\"nullable\":true,\"metadata\":{}},"         \
    "{\"name\":\"big\",\"type\":\"decimal(30,2)\",\"nullable\":true,\"metadata\":{}},"      \
    "{\"name\":\"dt\",\"type\":\"date\",\"nullable\":true,\"metadata\":{}},"                \
    "{\"name\":\"n\",\"type\":{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":"   \
    "\"integer\",\"nullable\":true,\"metadata\":{}}]},\"nullable\":true,\"metadata\":{}},"  \
    "{\"name\":\"p\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}}]}"

/* An add action in partition p=`p` (NULL: null) with stats JSON text
 * (already escaped for embedding; NULL: none). */
static char *add_line(const char *p, const char *stats)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             "{\"add\":{\"path\":\"f.parquet\",\"partitionValues\":{\"p\":%s%s%s},\"size\":1,"
             "\"modificationTime\":1,\"dataChange\":true%s%s%s}}",
             p ? "\"" : "", p ? p : "null", p ? "\"" : "", stats ? ",\"stats\":\"" : "",
             stats ? stats : "", stats ? "\"" : "");
    return buf;
}

/* Checks the verdict of `where` for a file. */
static void check(const char *where, const char *p, const char *stats, dtab_verdict want, int line)
{
    hand h;
    hand_init(&h, SCHEMA1, "p", DLOG_CM_NONE, where);
    dtab_verdict v;
    if (verdict(&h, add_line(p, stats), &v))
        fail_msg("line %d: '%s': %s", line, where, delta_error_last());
    static const char *const names[] = {"read", "pruned", "skipped"};
    if (v != want)
        fail_msg("line %d: '%s' with p=%s stats %s: %s, want %s", line, where, p ? p : "null",
                 stats ? stats : "(none)", names[v], names[want]);
    hand_clear(&h);
}
#define CHECK(w, p, st, want) check(w, p, st, want, __LINE__)
#define READ DTAB_FILE_READ
#define PRUNED DTAB_FILE_PRUNED
#define SKIPPED DTAB_FILE_SKIPPED

#define ST(body) "{\\\"numRecords\\\":10," body "}"
#define Q "\\\""

static void test_integers_and_nulls(void **state)
{
    (void)state;
    const char *st = ST(Q "minValues" Q ":{" Q "x" Q ":0}," Q "maxValues" Q ":{" Q "x" Q
                        ":10}," Q "nullCount" Q ":{" Q "x" Q ":0}");
    CHECK("x > 10", "1", st, SKIPPED);
    CHECK("x >= 10", "1", st, READ);
    CHECK("x < 0", "1", st, SKIPPED);
    CHECK("x = 5", "1", st, READ);
    CHECK("x = 11 OR x = -1", "1", st, SKIPPED);
    CHECK("X IN (20, 30)", "1", st, SKIPPED); /* case-insensitive column */
    CHECK("x IN (20, 3)", "1", st, READ);
    CHECK("NOT (x <= 10)", "1", st, SKIPPED);
    CHECK("x IS NULL", "1", st, SKIPPED);
    CHECK("x IS NOT NULL", "1", st, READ);
    CHECK("x + 1 > 100", "1", st, READ); /* not a column-literal comparison */
    /* missing pieces prove nothing */
    CHECK("x > 10", "1", NULL, READ);
    CHECK("x > 10", "1", ST(Q "minValues" Q ":{" Q "x" Q ":0}"), READ);
    CHECK("x IS NULL", "1", ST(Q "minValues" Q ":{" Q "x" Q ":0}"), READ);
    CHECK("x > 10", "1", "not json", READ);
    CHECK("x > 10", "1", ST(Q "maxValues" Q ":{" Q "x" Q ":" Q "ten" Q "}"), READ);
    /* all null: nullCount = numRecords */
    const char *nulls = ST(Q "nullCount" Q ":{" Q "x" Q ":10}");
    CHECK("x = 1", "1", nulls, SKIPPED);
    CHECK("x IS NOT NULL", "1", nulls, SKIPPED);
    CHECK("x IS NULL", "1", nulls, READ);
}

static void test_strings_truncated(void **state)
{
    (void)state;
    const char *a32 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"; /* 32 */
    char st[512], w[256];
    snprintf(st, sizeof st,
             ST(Q "minValues" Q ":{" Q "s" Q ":" Q "a" Q "}," Q "maxValues" Q ":{" Q "s" Q
                ":" Q "%s" Q "}"),
             a32);
    /* a max of 32 characters may have been cut: longer values may exist */
    snprintf(w, sizeof w, "s = '%sz'", a32);
    CHECK(w, "1", st, READ);
    snprintf(w, sizeof w, "s > '%s'", a32);
    CHECK(w, "1", st, READ);
    CHECK("s > 'b'", "1", st, SKIPPED);
    CHECK("s LIKE 'b%'", "1", st, SKIPPED);
    CHECK("s LIKE 'aa%'", "1", st, READ);
    /* a short max is exact */
    const char *shrt = ST(Q "minValues" Q ":{" Q "s" Q ":" Q "abc" Q "}," Q "maxValues" Q
                          ":{" Q "s" Q ":" Q "abd" Q "}");
    CHECK("s > 'abd'", "1", shrt, SKIPPED);
    CHECK("s = 'abcz'", "1", shrt, READ);
    CHECK("s = 'abdz'", "1", shrt, SKIPPED);
    CHECK("s < 'abc'", "1", shrt, SKIPPED);
}

static void test_timestamps_floats_decimals(void **state)
{
    (void)state;
    /* timestamp statistics are milliseconds: the true max may be up to
     * 999 microseconds later */
    const char *ts = ST(Q "minValues" Q ":{" Q "t" Q ":" Q "2024-01-01T00:00:00.000Z" Q "},"
                        Q "maxValues" Q ":{" Q "t" Q ":" Q "2024-01-01T00:00:00.000Z" Q "}");
    CHECK("t > TIMESTAMP '2024-01-01 00:00:00.000500'", "1", ts, READ);
    CHECK("t > TIMESTAMP '2024-01-01 00:00:00.002'", "1", ts, SKIPPED);
    CHECK("t < TIMESTAMP '2023-12-31 23:59:59.998'", "1", ts, SKIPPED);
    const char *tz = ST(Q "maxValues" Q ":{" Q "t" Q ":" Q "2000-01-01T00:00:00.000-08:00" Q "}");
    CHECK("t > TIMESTAMP '2000-01-01 08:00:00.002'", "1", tz, SKIPPED);
    CHECK("t >= TIMESTAMP '2000-01-01 08:00:00'", "1", tz, READ);
    /* float statistics are the shortest text of a float: 0.1 is 0.1f */
    const char *fl = ST(Q "minValues" Q ":{" Q "f" Q ":0.1}," Q "maxValues" Q ":{" Q "f" Q
                        ":0.1}");
    CHECK("f > 0.1", "1", fl, READ);
    CHECK("f > 0.2", "1", fl, SKIPPED);
    /* NaN proves nothing */
    const char *nan = ST(Q "minValues" Q ":{" Q "d" Q ":1.0}," Q "maxValues" Q ":{" Q "d" Q
                         ":" Q "NaN" Q "}");
    CHECK("d > 5", "1", nan, READ);
    /* a double column widened from float: 0.1 may stand for 0.1f */
    const char *widened = ST(Q "minValues" Q ":{" Q "d" Q ":0.7}," Q "maxValues" Q ":{" Q "d"
                             Q ":0.1}");
    CHECK("d > 0.1", "1", widened, READ);
    CHECK("d < 0.7", "1", widened, READ); /* 0.7f < 0.7 */
    CHECK("d > 0.2", "1", widened, SKIPPED);
    CHECK("d < 0.69", "1", widened, SKIPPED);
    CHECK("d < 0", "1", nan, SKIPPED);
    /* decimals: exact up to 15 digits */
    const char *dec = ST(Q "minValues" Q ":{" Q "m" Q ":1.05," Q "big" Q ":1.05}," Q
                         "maxValues" Q ":{" Q "m" Q ":123.45," Q "big" Q ":123.45}");
    CHECK("m > 123.45", "1", dec, SKIPPED);
    CHECK("m >= 123.45", "1", dec, READ);
    CHECK("m < 1.05", "1", dec, SKIPPED);
    CHECK("m = 1.05", "1", dec, READ);
    CHECK("big > 123.45", "1", dec, READ); /* too wide for a double: unknown */
    const char *dt = ST(Q "minValues" Q ":{" Q "dt" Q ":" Q "2024-02-01" Q "}," Q "maxValues"
                        Q ":{" Q "dt" Q ":" Q "2024-02-29" Q "}");
    CHECK("dt > DATE '2024-02-29'", "1", dt, SKIPPED);
    CHECK("dt BETWEEN DATE '2024-01-01' AND DATE '2024-02-01'", "1", dt, READ);
    CHECK("dt < '2024-02-01'", "1", dt, SKIPPED);
}

static void test_nested_and_partitions(void **state)
{
    (void)state;
    const char *nested = ST(Q "minValues" Q ":{" Q "n" Q ":{" Q "a" Q ":1}}," Q "maxValues" Q
                            ":{" Q "n" Q ":{" Q "a" Q ":3}}," Q "nullCount" Q ":{" Q "n" Q
                            ":{" Q "a" Q ":0}}");
    CHECK("n.a > 5", "1", nested, SKIPPED);
    CHECK("N.A = 2", "1", nested, READ);
    CHECK("n.a IS NULL", "1", nested, SKIPPED);
    /* partition pruning */
    CHECK("p = 4", "3", NULL, PRUNED);
    CHECK("p = 3", "3", NULL, READ);
    CHECK("p IS NULL", NULL, NULL, READ);
    CHECK("p IS NULL", "__HIVE_DEFAULT_PARTITION__", NULL, READ);
    CHECK("p IS NULL", "3", NULL, PRUNED);
    CHECK("p = 3", NULL, NULL, PRUNED);
    CHECK("p + 1 = 4 AND x > 0", "3", NULL, READ);
    CHECK("p * 2 = 4 AND x > 0", "3", NULL, PRUNED);
    /* a partition column in an OR with a data column: skipped by stats */
    const char *st = ST(Q "minValues" Q ":{" Q "x" Q ":0}," Q "maxValues" Q ":{" Q "x" Q ":10}");
    CHECK("p = 4 OR x > 100", "3", st, SKIPPED);
    CHECK("p = 3 OR x > 100", "3", st, READ);
    CHECK("p = 4 OR x > 5", "3", st, READ);
    /* a partition value that is not of the column's type */
    hand h;
    hand_init(&h, SCHEMA1, "p", DLOG_CM_NONE, "p = 1");
    dtab_verdict v;
    assert_int_not_equal(verdict(&h, add_line("abc", NULL), &v), 0);
    assert_non_null(strstr(delta_error_last(), "'p'"));
    hand_clear(&h);
    /* an overflow on partition values decides nothing */
    CHECK("p * 2147483647 * 4 > 0", "3", NULL, READ);
}

static void test_column_mapping(void **state)
{
    (void)state;
    const char *schema =
        "{\"type\":\"struct\",\"fields\":[{\"name\":\"Price\",\"type\":\"long\",\"nullable\":true,"
        "\"metadata\":{\"delta.columnMapping.id\":1,\"delta.columnMapping.physicalName\":"
        "\"col-1\"}},{\"name\":\"part\",\"type\":\"string\",\"nullable\":true,\"metadata\":{"
        "\"delta.columnMapping.id\":2,\"delta.columnMapping.physicalName\":\"col-2\"}}]}";
    hand h;
    hand_init(&h, schema, "part", DLOG_CM_NAME, "price > 10 AND part = 'a'");
    dtab_verdict v;
    /* stats under the physical name */
    const char *by_phys =
        "{\"add\":{\"path\":\"f\",\"partitionValues\":{\"col-2\":\"a\"},\"size\":1,"
        "\"modificationTime\":1,\"dataChange\":true,\"stats\":\"{\\\"numRecords\\\":1,"
        "\\\"maxValues\\\":{\\\"col-1\\\":5}}\"}}";
    assert_int_equal(verdict(&h, by_phys, &v), 0);
    assert_int_equal(v, SKIPPED);
    /* stats under the logical name are not this column's */
    const char *by_logical =
        "{\"add\":{\"path\":\"f\",\"partitionValues\":{\"col-2\":\"a\"},\"size\":1,"
        "\"modificationTime\":1,\"dataChange\":true,\"stats\":\"{\\\"numRecords\\\":1,"
        "\\\"maxValues\\\":{\\\"Price\\\":5}}\"}}";
    assert_int_equal(verdict(&h, by_logical, &v), 0);
    assert_int_equal(v, READ);
    /* partition values under the physical name */
    const char *other =
        "{\"add\":{\"path\":\"f\",\"partitionValues\":{\"col-2\":\"b\"},\"size\":1,"
        "\"modificationTime\":1,\"dataChange\":true}}";
    assert_int_equal(verdict(&h, other, &v), 0);
    assert_int_equal(v, PRUNED);
    hand_clear(&h);
}

static void test_bind_errors(void **state)
{
    (void)state;
    dtype *schema;
    assert_int_equal(dlog_schema_parse(&schema, SCHEMA1, strlen(SCHEMA1)), 0);
    bool part[16] = {0};
    dtab_pred p;
    assert_int_equal(dtab_pred_init(&p, "pirce > 1", schema, part, DLOG_CM_NONE),
                     DELTA_ENOTFOUND);
    assert_non_null(strstr(delta_error_last(), "where: at position 1: column 'pirce'"));
    assert_int_equal(dtab_pred_init(&p, "x > ", schema, part, DLOG_CM_NONE), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "position"));
    assert_int_equal(dtab_pred_init(&p, "x + 1", schema, part, DLOG_CM_NONE), DELTA_ETYPE);
    assert_non_null(strstr(delta_error_last(), "expected boolean"));
    assert_int_equal(dtab_pred_init(&p, "s > DATE 'x'", schema, part, DLOG_CM_NONE) < 0, 1);
    dtype_unref(schema);
}

/* ---- property: a skipping scan equals a full scan filtered afterwards --------------- */

typedef struct rtable {
    char uri[64];
    dtype *data;   /* data columns, logical names */
    dtype *schema; /* data columns + partition column p (last) */
    bool cm;       /* column mapping (name mode): physical names col-<i> */
    int nfiles;
} rtable;

/* A statistic as JSON text, the way Spark/Delta write it: numbers, dates
 * and millisecond timestamps (truncated toward the past) as text, strings
 * cut to 32 characters, NaN and infinities as strings. */
static void stat_text(const dtype *t, const expr_value *v, dbuf *out)
{
    switch (t->id) {
    case DT_BOOL: dbuf_puts(out, v->b ? "true" : "false"); return;
    case DT_INT8:
    case DT_INT16:
    case DT_INT32:
    case DT_INT64: dbuf_printf(out, "%" PRId64, v->i); return;
    case DT_FLOAT32:
    case DT_FLOAT64:
        if (isnan(v->d))
            dbuf_puts(out, "\"NaN\"");
        else if (isinf(v->d))
            dbuf_puts(out, v->d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        else
            dbuf_printf(out, "%.*g", t->id == DT_FLOAT32 ? 9 : 17, v->d);
        return;
    case DT_DECIMAL: expr_format_decimal(out, v->dec, t->scale); return;
    case DT_DATE32:
        dbuf_putc(out, '"');
        dtime_format_date(out, (int32_t)v->i);
        dbuf_putc(out, '"');
        return;
    case DT_TIMESTAMP: {
        int64_t ms = v->i < INT64_MIN + 1000 ? v->i : expr_floordiv(v->i, 1000) * 1000;
        dbuf_putc(out, '"');
        if (t->utc)
            dtime_format_instant(out, ms);
        else
            dtime_format_local(out, ms);
        dbuf_putc(out, '"');
        return;
    }
    default: {
        size_t i = 0, chars = 0;
        while (i < v->len && chars < 32) {
            i++;
            while (i < v->len && (v->bytes[i] & 0xc0) == 0x80)
                i++;
            chars++;
        }
        dstr_json_quote(out, (const char *)v->bytes, i);
        return;
    }
    }
}

/* Stats JSON of one file's data batch, as a writer computes them; pieces
 * randomly left out. */
static void file_stats(dgen *g, const rtable *rt, const dvec *batch, dbuf *out)
{
    const char *sections[] = {"minValues", "maxValues", "nullCount"};
    dbuf_printf(out, "{\"numRecords\":%lld", (long long)batch->length);
    for (int s = 0; s < 3; s++) {
        if (dgen_pct(g, 10))
            continue;
        dbuf_printf(out, ",\"%s\":{", sections[s]);
        bool first = true;
        for (uint32_t c = 0; c < batch->num_children; c++) {
            const dvec *col = batch->children[c];
            const dtype *t = col->type;
            if (!eg_usable(t) || t->id == DT_BINARY || dgen_pct(g, 10))
                continue;
            expr_value mn = {0}, mx = {0};
            int64_t nulls = 0;
            bool any = false;
            for (int64_t i = 0; i < col->length; i++) {
                expr_value v;
                if (!expr_vec_get(col, i, &v)) {
                    nulls++;
                    continue;
                }
                if (!any || expr_value_cmp(t, &v, &mn) < 0)
                    mn = v;
                if (!any || expr_value_cmp(t, &v, &mx) > 0)
                    mx = v;
                any = true;
            }
            if (s < 2 && !any)
                continue;
            dbuf_printf(out, "%s\"%s%u\":", first ? "" : ",", rt->cm ? "col-" : "c", c);
            first = false;
            if (s == 2)
                dbuf_printf(out, "%lld", (long long)nulls);
            else
                stat_text(t, s == 0 ? &mn : &mx, out);
        }
        dbuf_putc(out, '}');
    }
    dbuf_putc(out, '}');
}

/* A struct type of `src`'s fields under new names (prefix + index) and,
 * when `meta`, column mapping metadata (ids from 1). */
static dtype *renamed(const dtype *src, const char *prefix, bool keep_names, bool meta,
                      const dtype *extra)
{
    uint32_t n = src->num_fields + (extra ? 1 : 0);
    dfield fields[16];
    assert_true(n <= 16);
    for (uint32_t i = 0; i < n; i++) {
        const dfield *f = i < src->num_fields ? &src->fields[i] : NULL;
        char name[32];
        if (!f)
            snprintf(name, sizeof name, "p");
        else if (keep_names)
            snprintf(name, sizeof name, "%s", f->name);
        else
            snprintf(name, sizeof name, "%s%u", prefix, i);
        const dtype *t = f ? f->type : extra;
        assert_int_equal(dfield_init(&fields[i], name, dtype_ref(t), f ? f->nullable : true), 0);
        if (meta) {
            char m[128];
            if (f)
                snprintf(m, sizeof m,
                         "{\"delta.columnMapping.id\":%u,"
                         "\"delta.columnMapping.physicalName\":\"col-%u\"}",
                         i + 1, i);
            else
                snprintf(m, sizeof m,
                         "{\"delta.columnMapping.id\":%u,"
                         "\"delta.columnMapping.physicalName\":\"col-p\"}",
                         i + 1);
            fields[i].metadata = delta_strdup(m);
            fields[i].id = (int32_t)i + 1;
        }
    }
    dtype *t = dtype_new_struct(fields, n);
    assert_non_null(t);
    return t;
}

static const char *part_value(dgen *g, dtype_id pt)
{
    static const char *const ints[] = {"1", "2", "3", "-7"};
    static const char *const strs[] = {"a", "b", "b c", "\xc3\xa9t\xc3\xa9"};
    static const char *const dates[] = {"2024-01-01", "2024-01-02", "1999-12-31", "2024-02-29"};
    if (dgen_pct(g, 15))
        return NULL;
    unsigned k = (unsigned)dgen_below(g, 4);
    return pt == DT_INT32 ? ints[k] : pt == DT_STRING ? strs[k] : dates[k];
}

/* Writes a random table: 1..5 files of 0..8 rows, one partition column. */
static void rtable_make(dgen *g, int k, rtable *rt)
{
    memset(rt, 0, sizeof *rt);
    snprintf(rt->uri, sizeof rt->uri, "memory://where-prop-%d", k);
    rt->cm = dgen_pct(g, 40);
    dtype *gen = dgen_schema(g, (uint32_t)dgen_range(g, 1, 4));
    assert_non_null(gen);
    static const dtype_id ptypes[] = {DT_INT32, DT_STRING, DT_DATE32};
    dtype *pt = dtype_new(ptypes[dgen_below(g, 3)]);
    rt->data = renamed(gen, "c", true, rt->cm, NULL);
    rt->schema = renamed(gen, "c", true, rt->cm, pt);
    dtype *ftype = renamed(gen, rt->cm ? "col-" : "c", false, false, NULL);
    delta_store *st;
    assert_int_equal(delta_store_open(&st, rt->uri), 0);
    dbuf log = DBUF_INIT, schema_json = DBUF_INIT;
    assert_int_equal(dlog_schema_serialize(rt->schema, &schema_json), 0);
    dbuf_puts(&log, "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,"
                    "\"readerFeatures\":[\"columnMapping\",\"timestampNtz\"],"
                    "\"writerFeatures\":[\"columnMapping\",\"timestampNtz\"]}}\n");
    dbuf_puts(&log, "{\"metaData\":{\"id\":\"t\",\"format\":{\"provider\":\"parquet\","
                    "\"options\":{}},\"schemaString\":");
    dstr_json_quote(&log, dbuf_cstr(&schema_json), schema_json.len);
    dbuf_printf(&log, ",\"partitionColumns\":[\"p\"],\"configuration\":{%s}}}\n",
                rt->cm ? "\"delta.columnMapping.mode\":\"name\","
                         "\"delta.columnMapping.maxColumnId\":\"16\""
                       : "");
    rt->nfiles = (int)dgen_range(g, 1, 5);
    for (int f = 0; f < rt->nfiles; f++) {
        dvec *batch;
        assert_int_equal(dgen_batch(g, rt->data, dgen_range(g, 0, 8), &batch), 0);
        dvec *fb;
        assert_int_equal(dvec_new(&fb, ftype), 0);
        for (uint32_t c = 0; c < ftype->num_fields; c++) {
            dvec_unref(fb->children[c]);
            fb->children[c] = dvec_ref(batch->children[c]);
        }
        fb->length = batch->length;
        char key[32];
        snprintf(key, sizeof key, "part-%03d.parquet", f);
        pq_writer *w;
        pq_writer_options wo = PQ_WRITER_OPTIONS_INIT;
        wo.row_group_size_rows = (uint64_t)dgen_range(g, 1, 4); /* row-group skipping too */
        if (pq_writer_open(&w, st, key, 0, ftype, &wo) ||
            (fb->length > 0 && pq_writer_write(w, fb)))
            fail_msg("write %s: %s", key, delta_error_last());
        if (pq_writer_close(w))
            fail_msg("write %s: %s", key, delta_error_last());
        uint64_t size = pq_writer_bytes_written(w);
        pq_writer_free(w);
        const char *pv = part_value(g, pt->id);
        dbuf_printf(&log, "{\"add\":{\"path\":\"%s\",\"partitionValues\":{\"%s\":", key,
                    rt->cm ? "col-p" : "p");
        if (pv)
            dstr_json_quote(&log, pv, strlen(pv));
        else
            dbuf_puts(&log, "null");
        dbuf_printf(&log, "},\"size\":%" PRIu64 ",\"modificationTime\":1,\"dataChange\":true",
                    size);
        if (!dgen_pct(g, 10)) {
            dbuf stats = DBUF_INIT;
            file_stats(g, rt, batch, &stats);
            dbuf_puts(&log, ",\"stats\":");
            dstr_json_quote(&log, dbuf_cstr(&stats), stats.len);
            dbuf_free(&stats);
        }
        dbuf_puts(&log, "}}\n");
        dvec_unref(fb);
        dvec_unref(batch);
    }
    assert_int_equal(log.err, 0);
    assert_int_equal(
        delta_store_put(st, "_delta_log/00000000000000000000.json", log.data, log.len), 0);
    dbuf_free(&log);
    dbuf_free(&schema_json);
    delta_store_free(st);
    dtype_unref(ftype);
    dtype_unref(pt);
    dtype_unref(gen);
}

static void rtable_clear(rtable *rt)
{
    dtype_unref(rt->data);
    dtype_unref(rt->schema);
}

/* Scans snap with options; every batch appended to *merged (when given)
 * and every row formatted (JSON values separated by '|') into out. */
static int scan_rows(delta_snapshot *snap, const delta_scan_options *so, dvec **merged, dbuf *out)
{
    struct ArrowArrayStream st;
    int rc = delta_snapshot_scan(snap, so, &st);
    if (rc)
        return rc;
    dstream *ds;
    assert_int_equal(dstream_import(&st, &ds), 0);
    if (merged)
        assert_int_equal(dbatch_new(merged, ds->schema), 0);
    dvec *b;
    while ((rc = ds->next(ds, &b)) == 0 && b) {
        for (int64_t i = 0; i < b->length; i++) {
            for (uint32_t c = 0; c < b->num_children; c++) {
                dvec_format_value(b->children[c], i, DFMT_JSON, out);
                dbuf_putc(out, '|');
            }
            dbuf_putc(out, '\n');
        }
        if (merged)
            assert_int_equal(dvec_append_range(*merged, b, 0, b->length), 0);
        dvec_unref(b);
    }
    ds->free(ds);
    return rc;
}

static void test_skipping_scan_equals_filtered_scan(void **state)
{
    (void)state;
    uint64_t seed = 0x3e1ec7;
    if (getenv("WHERE_SEED")) /* explore other seeds: WHERE_SEED=n */
        seed = strtoull(getenv("WHERE_SEED"), NULL, 0);
    print_message("seed 0x%" PRIx64 "\n", seed);
    dgen g;
    dgen_init(&g, seed, DGEN_DELTA_TYPES | DGEN_NO_NESTED);
    g.max_string = 40;
    size_t files = 0, pruned = 0, skipped = 0;
    int predicates = 0;
    for (int k = 0; k < 60; k++) {
        rtable rt;
        rtable_make(&g, k, &rt);
        delta_table *t;
        delta_snapshot *snap;
        assert_int_equal(delta_table_open(&t, rt.uri), 0);
        if (delta_table_snapshot(&snap, t, -1, NULL))
            fail_msg("table %d: %s", k, delta_error_last());
        dvec *full = NULL;
        dbuf all = DBUF_INIT;
        if (scan_rows(snap, NULL, &full, &all))
            fail_msg("table %d: full scan: %s", k, delta_error_last());
        const dtype *schema = full->type;
        for (int p = 0; p < 30; p++) {
            dbuf text = DBUF_INIT, want = DBUF_INIT, got = DBUF_INIT;
            eg_predicate(&g, full, 3, true, &text);
            delta_scan_options so = DELTA_SCAN_OPTIONS_INIT;
            so.where = dbuf_cstr(&text);
            /* a projection (maybe leaving out the predicate's columns) */
            const char *cols[16];
            uint32_t idx[16];
            uint32_t ncols = schema->num_fields;
            for (uint32_t c = 0; c < ncols; c++)
                idx[c] = c;
            if (dgen_pct(&g, 50)) {
                for (uint32_t c = ncols - 1; c > 0; c--) {
                    uint32_t j = (uint32_t)dgen_below(&g, c + 1), x = idx[c];
                    idx[c] = idx[j];
                    idx[j] = x;
                }
                ncols = (uint32_t)dgen_range(&g, 1, ncols);
                for (uint32_t c = 0; c < ncols; c++)
                    cols[c] = schema->fields[idx[c]].name;
                so.columns = cols;
                so.num_columns = ncols;
            }
            if (dgen_pct(&g, 20))
                so.limit = dgen_range(&g, 0, 5);
            /* expected: the full scan's rows where the predicate is TRUE */
            expr *e;
            assert_int_equal(expr_parse(&e, so.where), 0);
            expr_scope sc = {NULL, schema};
            if (expr_bind(e, &sc, 1))
                fail_msg("bind '%s': %s", so.where, delta_error_last());
            const dvec *bs[1] = {full};
            expr_input in = {bs, 1, full->length};
            uint32_t *sel = calloc((size_t)full->length + 1, sizeof *sel);
            int64_t m;
            if (expr_select(e->root, &in, NULL, 0, sel, &m))
                fail_msg("select '%s': %s", so.where, delta_error_last());
            if (so.limit >= 0 && m > so.limit)
                m = so.limit;
            for (int64_t i = 0; i < m; i++) {
                for (uint32_t c = 0; c < ncols; c++) {
                    dvec_format_value(full->children[idx[c]], sel[i], DFMT_JSON, &want);
                    dbuf_putc(&want, '|');
                }
                dbuf_putc(&want, '\n');
            }
            free(sel);
            expr_free(e);
            if (scan_rows(snap, &so, NULL, &got))
                fail_msg("table %d: '%s': %s", k, so.where, delta_error_last());
            if (strcmp(dbuf_cstr(&want), dbuf_cstr(&got)) != 0)
                fail_msg("table %d (%s, column mapping %d): '%s'\nwant:\n%sgot:\n%s\nall rows:\n%s",
                         k, rt.uri, rt.cm, so.where, dbuf_cstr(&want), dbuf_cstr(&got),
                         dbuf_cstr(&all));
            delta_scan_plan plan;
            assert_int_equal(delta_snapshot_scan_plan(snap, &so, &plan), 0);
            assert_int_equal(plan.files_total, (size_t)rt.nfiles);
            assert_int_equal(plan.files_pruned + plan.files_skipped + plan.files_selected,
                             plan.files_total);
            files += plan.files_total;
            pruned += plan.files_pruned;
            skipped += plan.files_skipped;
            predicates++;
            dbuf_free(&text);
            dbuf_free(&want);
            dbuf_free(&got);
        }
        dbuf_free(&all);
        dvec_unref(full);
        delta_snapshot_free(snap);
        delta_table_free(t);
        rtable_clear(&rt);
    }
    print_message("%d predicates over %zu files: %zu pruned, %zu skipped\n", predicates, files,
                  pruned, skipped);
    /* the property must not hold vacuously */
    assert_true(pruned > files / 50);
    assert_true(skipped > files / 20);
}

/* Row groups inside a file are skipped by their Parquet statistics when
 * the file itself cannot be (no stats in the log): ids 0..29 in row groups
 * of 10, a partition column, and predicates over both. */
static void test_row_group_skipping(void **state)
{
    (void)state;
    delta_store *st;
    assert_int_equal(delta_store_open(&st, "memory://where-row-groups"), 0);
    dfield f[2];
    assert_int_equal(dfield_init(&f[0], "id", dtype_new(DT_INT64), true), 0);
    assert_int_equal(dfield_init(&f[1], "name", dtype_new(DT_STRING), true), 0);
    dtype *ftype = dtype_new_struct(f, 2);
    dvec *b;
    assert_int_equal(dbatch_new(&b, ftype), 0);
    for (int i = 0; i < 30; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%02d", i);
        assert_int_equal(dvec_append_int(dbatch_column(b, 0), i), 0);
        assert_int_equal(dvec_append_bytes(dbatch_column(b, 1), name, strlen(name)), 0);
    }
    assert_int_equal(dbatch_seal(b), 0);
    pq_writer_options wo = PQ_WRITER_OPTIONS_INIT;
    wo.row_group_size_rows = 10;
    pq_writer *w;
    assert_int_equal(pq_writer_open(&w, st, "p=1/f.parquet", 0, ftype, &wo), 0);
    assert_int_equal(pq_writer_write(w, b), 0);
    assert_int_equal(pq_writer_close(w), 0);
    uint64_t size = pq_writer_bytes_written(w);
    pq_writer_free(w);
    char log[1024];
    snprintf(log, sizeof log,
             "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n"
             "{\"metaData\":{\"id\":\"t\",\"format\":{\"provider\":\"parquet\",\"options\":{}},"
             "\"schemaString\":\"{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":["
             "{\\\"name\\\":\\\"id\\\",\\\"type\\\":\\\"long\\\",\\\"nullable\\\":true,"
             "\\\"metadata\\\":{}},{\\\"name\\\":\\\"name\\\",\\\"type\\\":\\\"string\\\","
             "\\\"nullable\\\":true,\\\"metadata\\\":{}},{\\\"name\\\":\\\"p\\\",\\\"type\\\":"
             "\\\"integer\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}}]}\","
             "\"partitionColumns\":[\"p\"],\"configuration\":{}}}\n"
             "{\"add\":{\"path\":\"p=1/f.parquet\",\"partitionValues\":{\"p\":\"1\"},"
             "\"size\":%llu,\"modificationTime\":1,\"dataChange\":true}}\n",
             (unsigned long long)size);
    assert_int_equal(delta_store_put(st, "_delta_log/00000000000000000000.json", log,
                                     strlen(log)), 0);
    dlog_snapshot *snap;
    assert_int_equal(dlog_snapshot_open(&snap, st, NULL), 0);
    static const struct {
        const char *where;
        int64_t rows;
        size_t skipped;
    } cases[] = {
        {"id >= 25", 5, 2},          {"id < 3 OR id = 17", 4, 1},
        {"name = 'n12'", 1, 2},      {"id > 100", 0, 3},
        {"p = 1 AND id BETWEEN 10 AND 19", 10, 2},
        {"p = 2 OR id = 5", 1, 2},   {"id IS NULL", 0, 3},
        {"abs(id) = 5", 1, 0}, /* functions of columns are not compared with bounds */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        dtab_scan_opts o = DTAB_SCAN_OPTS_INIT;
        o.where = cases[c].where;
        dstream *ds;
        if (dtab_scan_open(&ds, snap, &o))
            fail_msg("%s: %s", cases[c].where, delta_error_last());
        int64_t rows = 0;
        dvec *out;
        while (ds->next(ds, &out) == 0 && out) {
            for (int64_t r = 0; r < out->length; r++) {
                int64_t id = dvec_i64(out->children[0])[r];
                assert_true(id >= 0 && id < 30);
            }
            rows += out->length;
            dvec_unref(out);
        }
        dtab_scan_counts counts;
        dtab_scan_counts_of(ds, &counts);
        ds->free(ds);
        if (rows != cases[c].rows || counts.row_groups_skipped != cases[c].skipped)
            fail_msg("'%s': %lld rows, %zu row groups skipped; want %lld and %zu", cases[c].where,
                     (long long)rows, counts.row_groups_skipped, (long long)cases[c].rows,
                     cases[c].skipped);
    }
    dlog_snapshot_free(snap);
    dvec_unref(b);
    dtype_unref(ftype);
    delta_store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers_and_nulls),
        cmocka_unit_test(test_strings_truncated),
        cmocka_unit_test(test_timestamps_floats_decimals),
        cmocka_unit_test(test_nested_and_partitions),
        cmocka_unit_test(test_column_mapping),
        cmocka_unit_test(test_bind_errors),
        cmocka_unit_test(test_skipping_scan_equals_filtered_scan),
        cmocka_unit_test(test_row_group_skipping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
