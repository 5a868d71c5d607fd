/*
 * The add/remove fast path (scan.c) against the general parser: on every
 * line of every log file of the golden and extra tables, on hand-written
 * edge cases (escapes, UTF-8, numbers, nulls, repeated and unknown fields,
 * deletion vectors, whitespace, trailing text), on every prefix of valid
 * lines and on seeded random mutations of them, dlog_action_parse (fast
 * path first) and dlog_action_parse_general (jansson only) must give the
 * same result code, the same error message and the same action; with an
 * intern pool the actions are the same too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "log/actions.h"

typedef struct tally {
    long lines, fast, files;
} tally;

/* Serialized form of a parse result: "rc message" or the action's JSON. */
static void outcome(dbuf *out, int rc, dlog_action *a)
{
    dbuf_reset(out);
    if (rc) {
        dbuf_printf(out, "error %d: %s", rc, delta_error_last());
        return;
    }
    if (a->type == DLOG_ACT_NONE) {
        dbuf_puts(out, "none");
        return;
    }
    assert_int_equal(dlog_action_serialize(a, out), 0);
    /* fields the JSON form cannot show */
    if (a->type == DLOG_ACT_REMOVE)
        dbuf_printf(out, " pv=%d", a->u.remove.has_partition_values);
}

/* Checks one line; returns whether the fast path took it. */
static bool check_line(const char *text, size_t len, dlog_intern *pool)
{
    dbuf g = DBUF_INIT, f = DBUF_INIT, p = DBUF_INIT;
    dlog_action a;
    delta_error_clear();
    int rc = dlog_action_parse_general(&a, text, len, "t.json", 3);
    outcome(&g, rc, &a);
    dlog_action_clear(&a);

    delta_error_clear();
    rc = dlog_action_parse(&a, text, len, "t.json", 3);
    outcome(&f, rc, &a);
    dlog_action_clear(&a);

    int took = dlog_scan_file_action(&a, text, len, pool);
    assert_true(took == 0 || took == 1);
    if (took) {
        outcome(&p, 0, &a);
        if (strcmp(dbuf_cstr(&p), dbuf_cstr(&g)) != 0)
            fail_msg("pooled scan differs on %.*s:\n  general: %s\n  pooled:  %s", (int)len,
                     text, dbuf_cstr(&g), dbuf_cstr(&p));
        dlog_action_clear(&a);
    }
    if (strcmp(dbuf_cstr(&f), dbuf_cstr(&g)) != 0)
        fail_msg("fast path differs on %.*s:\n  general: %s\n  fast:    %s", (int)len, text,
                 dbuf_cstr(&g), dbuf_cstr(&f));
    dbuf_free(&g);
    dbuf_free(&f);
    dbuf_free(&p);
    return took == 1;
}

static void check_text(const char *text, dlog_intern *pool)
{
    check_line(text, strlen(text), pool);
}

static void check_file(const char *path, tally *t, dlog_intern *pool)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, fp)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (n == 0)
            continue;
        t->lines++;
        if (check_line(line, (size_t)n, pool))
            t->fast++;
    }
    free(line);
    fclose(fp);
    t->files++;
}

/* Every .json file under a _delta_log folder below dir. */
static void walk(const char *dir, bool in_log, tally *t, dlog_intern *pool)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk(path, in_log || strcmp(e->d_name, "_delta_log") == 0, t, pool);
        } else if (in_log) {
            size_t l = strlen(e->d_name);
            if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0)
                check_file(path, t, pool);
        }
    }
    closedir(d);
}

static void test_golden_logs(void **state)
{
    (void)state;
    struct stat st;
    if (stat(DELTA_SHARED_DIR "/golden", &st) != 0) {
        print_message("shared data absent (%s): golden logs not checked\n", DELTA_SHARED_DIR);
        skip();
    }
    dlog_intern *pool = NULL;
    assert_int_equal(dlog_intern_new(&pool), 0);
    tally t = {0};
    walk(DELTA_SHARED_DIR "/golden", false, &t, pool);
    walk(DELTA_SHARED_DIR "/extra", false, &t, pool);
    print_message("%ld log files, %ld lines, %ld through the fast path\n", t.files, t.lines,
                  t.fast);
    assert_true(t.files > 100);
    assert_true(t.fast > 100);
    dlog_intern_free(pool);
}

#define ADD_HEAD "{\"add\":{\"path\":\"p=1/a.parquet\",\"partitionValues\":{\"p\":\"1\"},"
#define ADD_TAIL "\"size\":10,\"modificationTime\":5,\"dataChange\":true}}"

static const char *const cases[] = {
    /* plain */
    ADD_HEAD ADD_TAIL,
    "{\"remove\":{\"path\":\"a\",\"dataChange\":true}}",
    "{\"remove\":{\"path\":\"a\",\"deletionTimestamp\":9,\"dataChange\":false,"
    "\"extendedFileMetadata\":true,\"partitionValues\":{\"p\":null},\"size\":3,"
    "\"stats\":\"{\\\"numRecords\\\":1}\",\"tags\":{\"k\":\"v\"},\"baseRowId\":4,"
    "\"defaultRowCommitVersion\":2}}",
    /* whitespace everywhere */
    " { \"add\" : { \"path\" : \"x\" , \"partitionValues\" : { } , \"size\" : 0 ,"
    " \"modificationTime\" : -5 , \"dataChange\" : false } } ",
    /* strings */
    "{\"add\":{\"path\":\"a\\u00e9b\\\"c\\\\d\\/e\\n\\t\\b\\f\\r\",\"partitionValues\":{},"
    "\"size\":1,\"modificationTime\":1,\"dataChange\":true}}",
    "{\"add\":{\"path\":\"\\ud83d\\ude00\",\"partitionValues\":{},\"size\":1,"
    "\"modificationTime\":1,\"dataChange\":true}}",
    "{\"add\":{\"path\":\"\\ud83d\",\"partitionValues\":{},\"size\":1,"
    "\"modificationTime\":1,\"dataChange\":true}}",
    "{\"add\":{\"path\":\"\\ude00x\",\"partitionValues\":{},\"size\":1,"
    "\"modificationTime\":1,\"dataChange\":true}}",
    "{\"add\":{\"path\":\"a\\u0000b\",\"partitionValues\":{},\"size\":1,"
    "\"modificationTime\":1,\"dataChange\":true}}",
    "{\"add\":{\"path\":\"a\\xb\",\"partitionValues\":{},\"size\":1,"
    "\"modificationTime\":1,\"dataChange\":true}}",
    "{\"add\":{\"path\":\"a\\u12\",\"partitionValues\":{},\"size\":1,"
    "\"modificationTime\":1,\"dataChange\":true}}",
    "{\"add\":{\"path\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\",\"partitionValues\":"
    "{\"p\":\"\xc3\xa9\"},\"size\":1,\"modificationTime\":1,\"dataChange\":true}}",
    "{\"add\":{\"path\":\"bad\xff\",\"partitionValues\":{},\"size\":1,"
    "\"modificationTime\":1,\"dataChange\":true}}",
    "{\"add\":{\"path\":\"overlong\xc0\xaf\",\"partitionValues\":{},\"size\":1,"
    "\"modificationTime\":1,\"dataChange\":true}}",
    "{\"add\":{\"path\":\"surrogate\xed\xa0\x80\",\"partitionValues\":{},\"size\":1,"
    "\"modificationTime\":1,\"dataChange\":true}}",
    "{\"add\":{\"path\":\"tab\there\",\"partitionValues\":{},\"size\":1,"
    "\"modificationTime\":1,\"dataChange\":true}}",
    /* numbers */
    ADD_HEAD "\"size\":\"10\",\"modificationTime\":5,\"dataChange\":true}}",
    ADD_HEAD "\"size\":1.0,\"modificationTime\":5,\"dataChange\":true}}",
    ADD_HEAD "\"size\":1e3,\"modificationTime\":5,\"dataChange\":true}}",
    ADD_HEAD "\"size\":-1,\"modificationTime\":5,\"dataChange\":true}}",
    ADD_HEAD "\"size\":-0,\"modificationTime\":5,\"dataChange\":true}}",
    ADD_HEAD "\"size\":01,\"modificationTime\":5,\"dataChange\":true}}",
    ADD_HEAD "\"size\":99999999999999999999,\"modificationTime\":5,\"dataChange\":true}}",
    ADD_HEAD "\"size\":9223372036854775807,\"modificationTime\":5,\"dataChange\":true}}",
    ADD_HEAD "\"size\":123456789012345678,\"modificationTime\":-123456789012345678,"
             "\"dataChange\":true}}",
    ADD_HEAD "\"size\":+1,\"modificationTime\":5,\"dataChange\":true}}",
    ADD_HEAD "\"size\":10,\"modificationTime\":5,\"dataChange\":1}}",
    ADD_HEAD "\"size\":10,\"modificationTime\":5,\"dataChange\":tru}}",
    /* nulls, missing, repeated, unknown */
    ADD_HEAD "\"size\":10,\"modificationTime\":5,\"dataChange\":true,\"stats\":null}}",
    ADD_HEAD "\"size\":null,\"modificationTime\":5,\"dataChange\":true}}",
    ADD_HEAD "\"modificationTime\":5,\"dataChange\":true}}",
    "{\"add\":{\"partitionValues\":{},\"size\":1,\"modificationTime\":1,\"dataChange\":true}}",
    ADD_HEAD "\"size\":10,\"size\":11,\"modificationTime\":5,\"dataChange\":true}}",
    "{\"add\":{\"path\":\"a\",\"partitionValues\":{\"p\":\"1\",\"p\":\"2\"},\"size\":1,"
    "\"modificationTime\":1,\"dataChange\":true}}",
    "{\"add\":{\"path\":\"a\",\"partitionValues\":{\"p\":1},\"size\":1,"
    "\"modificationTime\":1,\"dataChange\":true}}",
    "{\"add\":{\"path\":\"a\",\"partitionValues\":{\"p\":{}},\"size\":1,"
    "\"modificationTime\":1,\"dataChange\":true}}",
    "{\"add\":{\"path\":\"a\",\"partitionValues\":[],\"size\":1,"
    "\"modificationTime\":1,\"dataChange\":true}}",
    ADD_HEAD ADD_TAIL "x",
    ADD_HEAD ADD_TAIL "}",
    ADD_HEAD "\"size\":10,\"modificationTime\":5,\"dataChange\":true,}}",
    ADD_HEAD "\"size\":10,\"modificationTime\":5,\"dataChange\":true,\"future\":1}}",
    ADD_HEAD "\"size\":10,\"modificationTime\":5,\"dataChange\":true},\"remove\":null}",
    ADD_HEAD "\"size\":10,\"modificationTime\":5,\"dataChange\":true},\"add\":{}}",
    "{\"future\":{},\"add\":{\"path\":\"a\",\"partitionValues\":{},\"size\":1,"
    "\"modificationTime\":1,\"dataChange\":true}}",
    "{\"add\":null}",
    "{\"add\":[]}",
    "{\"add\":{}}",
    "{\"remove\":{\"path\":\"a\",\"dataChange\":true,\"partitionValues\":null}}",
    "[]",
    "{}",
    "",
    /* deletion vectors */
    ADD_HEAD "\"size\":10,\"modificationTime\":5,\"dataChange\":true,\"deletionVector\":"
             "{\"storageType\":\"u\",\"pathOrInlineDv\":\"ab^-aqEH.-t@S}K{vb[*k^\","
             "\"offset\":4,\"sizeInBytes\":40,\"cardinality\":6}}}",
    ADD_HEAD "\"size\":10,\"modificationTime\":5,\"dataChange\":true,\"deletionVector\":"
             "{\"storageType\":\"i\",\"pathOrInlineDv\":\"wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L\","
             "\"sizeInBytes\":40,\"cardinality\":6}}}",
    ADD_HEAD "\"size\":10,\"modificationTime\":5,\"dataChange\":true,\"deletionVector\":"
             "{\"storageType\":\"x\",\"pathOrInlineDv\":\"a\",\"sizeInBytes\":1,\"cardinality\":1}}}",
    ADD_HEAD "\"size\":10,\"modificationTime\":5,\"dataChange\":true,\"deletionVector\":"
             "{\"storageType\":\"u\",\"pathOrInlineDv\":\"a\",\"offset\":4294967296,"
             "\"sizeInBytes\":1,\"cardinality\":1}}}",
    ADD_HEAD "\"size\":10,\"modificationTime\":5,\"dataChange\":true,\"deletionVector\":"
             "{\"storageType\":\"u\",\"pathOrInlineDv\":\"a\",\"sizeInBytes\":1}}}",
    ADD_HEAD "\"size\":10,\"modificationTime\":5,\"dataChange\":true,\"deletionVector\":null}}",
    ADD_HEAD "\"size\":10,\"modificationTime\":5,\"dataChange\":true,\"tags\":{\"a\":\"b\","
             "\"c\":null},\"baseRowId\":1,\"defaultRowCommitVersion\":2,"
             "\"clusteringProvider\":\"liquid\"}}",
    /* other actions go to the general parser */
    "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}",
    "{\"commitInfo\":{\"timestamp\":1}}",
    "{\"txn\":{\"appId\":\"a\",\"version\":1}}",
};

static void test_edge_cases(void **state)
{
    (void)state;
    dlog_intern *pool = NULL;
    assert_int_equal(dlog_intern_new(&pool), 0);
    for (int round = 0; round < 2; round++) /* second round: pooled maps are hits */
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            check_text(cases[i], pool);
    /* the plain lines really take the fast path */
    assert_true(check_line(cases[0], strlen(cases[0]), pool));
    assert_true(check_line(cases[2], strlen(cases[2]), pool));
    assert_true(check_line(cases[4], strlen(cases[4]), pool));
    assert_true(check_line(cases[11], strlen(cases[11]), pool));
    dlog_intern_free(pool);
}

/* Every prefix of valid lines, and seeded random mutations of them. */
static void test_prefixes_and_mutations(void **state)
{
    (void)state;
    static const size_t valid[] = {0, 1, 2, 3, 4, 5, 11, 51, 52, 57};
    dlog_intern *pool = NULL;
    assert_int_equal(dlog_intern_new(&pool), 0);
    for (size_t v = 0; v < sizeof valid / sizeof valid[0]; v++) {
        const char *c = cases[valid[v]];
        if (!check_line(c, strlen(c), pool))
            fail_msg("case %zu does not take the fast path: %s", valid[v], c);
        for (size_t n = 0; n <= strlen(c); n++)
            check_line(c, n, pool);
    }
    uint64_t x = 0x2545F4914F6CDD1Dull;
    static const char alphabet[] = "{}[]\":,\\ -0123456789eE.tfnul\x80\xc3\xa9\xff\x01";
    char buf[1024];
    for (int iter = 0; iter < 4000; iter++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const char *c = cases[valid[x % (sizeof valid / sizeof valid[0])]];
        size_t len = strlen(c);
        memcpy(buf, c, len);
        int edits = 1 + (int)((x >> 8) % 3);
        for (int e = 0; e < edits; e++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            size_t pos = (size_t)(x % len);
            char ch = alphabet[(x >> 20) % (sizeof alphabet - 1)];
            switch ((x >> 40) % 3) {
            case 0: buf[pos] = ch; break; /* replace */
            case 1:                       /* delete */
                memmove(buf + pos, buf + pos + 1, len - pos - 1);
                len--;
                break;
            default: /* insert */
                if (len + 1 < sizeof buf) {
                    memmove(buf + pos + 1, buf + pos, len - pos);
                    buf[pos] = ch;
                    len++;
                }
            }
        }
        check_line(buf, len, pool);
    }
    dlog_intern_free(pool);
}

/* A file parsed whole (fast path, pooled, in two pieces) gives the actions
 * the general parser gives line by line, with the same line numbers. */
typedef struct collected {
    dbuf text;
} collected;

static int collect(void *ctx, dlog_action *a, size_t line)
{
    collected *c = ctx;
    dbuf_printf(&c->text, "%zu:", line);
    int rc = dlog_action_serialize(a, &c->text);
    dbuf_putc(&c->text, '\n');
    return rc;
}

static void test_pieces(void **state)
{
    (void)state;
    const char *text = ADD_HEAD ADD_TAIL "\n\n"
                       "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n"
                       "{\"remove\":{\"path\":\"a\",\"dataChange\":true}}\n" ADD_HEAD ADD_TAIL;
    size_t len = strlen(text);
    collected whole = {DBUF_INIT}, pieces = {DBUF_INIT};
    assert_int_equal(dlog_parse_ndjson("t", (const uint8_t *)text, len, collect, &whole), 0);
    dlog_intern *pool = NULL;
    assert_int_equal(dlog_intern_new(&pool), 0);
    const char *cut = strstr(text, "{\"remove\"");
    size_t first = (size_t)(cut - text), line = 0;
    assert_int_equal(dlog_parse_ndjson_pooled("t", (const uint8_t *)text, first, &line, pool,
                                              collect, &pieces),
                     0);
    assert_int_equal(line, 3);
    assert_int_equal(dlog_parse_ndjson_pooled("t", (const uint8_t *)cut, len - first, &line,
                                              pool, collect, &pieces),
                     0);
    assert_int_equal(line, 5);
    assert_string_equal(dbuf_cstr(&whole.text), dbuf_cstr(&pieces.text));
    assert_non_null(strstr(dbuf_cstr(&whole.text), "5:{\"add\""));
    /* an error names the line counted across pieces */
    const char *bad = "{\"add\":{\"path\":1}}\n";
    line = 7;
    assert_int_equal(dlog_parse_ndjson_pooled("t", (const uint8_t *)bad, strlen(bad), &line,
                                              pool, collect, &pieces),
                     DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "t:8: add.path"));
    dlog_intern_free(pool);
    dbuf_free(&whole.text);
    dbuf_free(&pieces.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_prefixes_and_mutations),
        cmocka_unit_test(test_pieces),
        cmocka_unit_test(test_golden_logs),
    };
    return cmocka_run_group_tests_name("log/scan", tests, NULL, NULL);
}
