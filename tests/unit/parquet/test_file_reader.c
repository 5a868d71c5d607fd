/*
 * Opening Parquet files: footers read through ranged gets (the one-read
 * path and the re-read when the metadata is larger than the first guess),
 * buffers, the page index, column chunk fetches, and every way opening can
 * fail: missing object, storage errors at each operation, files too small,
 * bad magic or lengths, chunks in other files, allocation failures. Every
 * golden Parquet file opens through a store and a buffer alike and its
 * page index, where present, decodes and agrees with the metadata.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "parquet/column_reader.h"
#include "parquet/file_reader.h"
#include "parquet/pq_testfile.h"

/* A two-column file (INT64 required, BYTE_ARRAY optional), one row group
 * of 3 rows; `kv_bytes` of key/value metadata make the footer larger. */
static void build_file(tb *t, size_t kv_bytes, char *kv_value)
{
    tb_init(t);
    tb_elem(t, "schema", -1, -1, 0, 2);
    tb_elem(t, "id", PQ_REP_REQUIRED, PQ_TYPE_INT64, 0, 0);
    tb_elem(t, "name", PQ_REP_OPTIONAL, PQ_TYPE_BYTE_ARRAY, 0, 0);
    assert_int_equal(tb_schema_done(t), 0);
    int64_t ids[3] = {1, 2, 3};
    dbuf d = DBUF_INIT;
    pq_plain_encode_int64(&d, ids, 3);
    tb_chunk_begin(t, 0, 0, PQ_CODEC_ZSTD);
    assert_int_equal(tb_v1_page(t, 3, NULL, NULL, PQ_ENC_PLAIN, &d), 0);
    tb_chunk_end(t);
    dbuf_reset(&d);
    int32_t offs[3] = {0, 3, 6};
    pq_plain_encode_byte_array(&d, offs, (const uint8_t *)"foobar", 2);
    uint32_t def[3] = {1, 0, 1};
    tb_chunk_begin(t, 0, 1, PQ_CODEC_SNAPPY);
    assert_int_equal(tb_v2_page(t, 3, def, NULL, PQ_ENC_PLAIN, &d, true), 0);
    tb_chunk_end(t);
    dbuf_free(&d);
    tb_row_group_end(t, 0, 3);
    static pq_key_value kv;
    if (kv_bytes) {
        memset(kv_value, 'x', kv_bytes);
        kv_value[kv_bytes] = '\0';
        kv = (pq_key_value){{"big", 3}, {kv_value, kv_bytes}, true};
        t->meta.key_value_metadata = &kv;
        t->meta.num_key_value_metadata = 1;
        t->meta.has_key_value_metadata = true;
    }
}

static void check_content(pq_file *f)
{
    const pq_file_meta *m = pq_file_metadata(f);
    assert_int_equal(m->num_row_groups, 1);
    assert_int_equal(m->num_rows, 3);
    assert_int_equal(pq_file_schema(f)->num_leaves, 2);
    pq_column_reader *r;
    pq_column_batch b = PQ_COLUMN_BATCH_INIT;
    assert_int_equal(pq_column_reader_open(&r, f, 0, 0), 0);
    assert_int_equal(pq_column_reader_read(r, 10, &b), 0);
    assert_int_equal(b.num_values, 3);
    int64_t got[3];
    memcpy(got, b.values, sizeof got);
    assert_true(got[0] == 1 && got[1] == 2 && got[2] == 3);
    pq_column_reader_free(r);
    assert_int_equal(pq_column_reader_open(&r, f, 0, 1), 0);
    assert_int_equal(pq_column_reader_read(r, 10, &b), 0);
    assert_int_equal(b.num_levels, 3);
    assert_int_equal(b.num_values, 2);
    assert_int_equal(b.bytes.count, 2);
    assert_memory_equal(b.bytes.data.data, "foobar", 6);
    assert_int_equal(b.def[1], 0);
    pq_column_batch_free(&b);
    pq_column_reader_free(r);
}

static void test_open_store_and_buffer(void **state)
{
    (void)state;
    static char big[200 * 1024];
    for (int variant = 0; variant < 2; variant++) {
        tb t;
        /* 200 KiB of metadata: more than the first tail read */
        build_file(&t, variant ? sizeof big - 1 : 0, big);
        assert_int_equal(tb_finish(&t), 0);
        if (variant)
            assert_true(t.file.len > PQ_FOOTER_GUESS);
        delta_store *st;
        assert_int_equal(delta_store_open(&st, "memory://file-reader"), 0);
        assert_int_equal(delta_store_put(st, "dir/a.parquet", t.file.data, t.file.len), 0);
        pq_file *f;
        assert_int_equal(pq_file_open(&f, st, "dir/a.parquet"), 0);
        assert_string_equal(pq_file_name(f), "dir/a.parquet");
        assert_int_equal(pq_file_size(f), t.file.len);
        check_content(f);
        if (variant)
            assert_int_equal(pq_file_metadata(f)->key_value_metadata[0].value.len, sizeof big - 1);
        pq_file_free(f);
        assert_int_equal(pq_file_open_buffer(&f, t.file.data, t.file.len, "buf"), 0);
        assert_string_equal(pq_file_name(f), "buf");
        check_content(f);
        pq_file_free(f);
        delta_store_free(st);
        tb_free(&t);
    }
}

static void expect_open_error(const uint8_t *data, size_t len, int code, const char *needle)
{
    pq_file *f = (pq_file *)(uintptr_t)1;
    int rc = pq_file_open_buffer(&f, data, len, "bad.parquet");
    if (rc != code || !strstr(delta_error_last(), needle))
        fail_msg("expected %s \"%s\", got %s: %s", delta_error_name(code), needle,
                 delta_error_name(rc), delta_error_last());
    assert_null(f);
    assert_non_null(strstr(delta_error_last(), "bad.parquet"));
}

static void test_open_errors(void **state)
{
    (void)state;
    expect_open_error(NULL, 0, DELTA_ECORRUPT, "too small");
    expect_open_error((const uint8_t *)"PAR1PAR1", 8, DELTA_ECORRUPT, "too small");
    tb t;
    build_file(&t, 0, NULL);
    assert_int_equal(tb_finish(&t), 0);
    uint8_t *copy = malloc(t.file.len);
    memcpy(copy, t.file.data, t.file.len);
    copy[t.file.len - 1] = 'X'; /* trailing magic */
    expect_open_error(copy, t.file.len, DELTA_ECORRUPT, "");
    memcpy(copy, t.file.data, t.file.len);
    copy[t.file.len - 5] = 0x7f; /* metadata length beyond the file */
    expect_open_error(copy, t.file.len, DELTA_ECORRUPT, "");
    memcpy(copy, t.file.data, t.file.len);
    memcpy(copy + t.file.len - 4, "PARE", 4);
    expect_open_error(copy, t.file.len, DELTA_EUNSUPPORTED, "");
    free(copy);

    /* missing object */
    delta_store *st;
    assert_int_equal(delta_store_open(&st, "memory://file-reader-err"), 0);
    pq_file *f;
    assert_int_equal(pq_file_open(&f, st, "nope.parquet"), DELTA_ENOTFOUND);
    assert_non_null(strstr(delta_error_last(), "nope.parquet"));
    assert_int_equal(delta_store_put(st, "a.parquet", t.file.data, t.file.len), 0);

    /* storage failing at each operation: head, tail read, chunk read */
    for (uint64_t op = 1; op <= 3; op++) {
        delta_store *fs;
        assert_int_equal(delta_store_fault_wrap(&fs, st, DELTA_FAULT_FAIL_ONCE, op), 0);
        int rc = pq_file_open(&f, fs, "a.parquet");
        if (op <= 2) {
            assert_int_equal(rc, DELTA_EIO);
        } else {
            assert_int_equal(rc, 0);
            pq_column_reader *r;
            assert_int_equal(pq_column_reader_open(&r, f, 0, 1), DELTA_EIO);
            assert_int_equal(pq_column_reader_open(&r, f, 0, 1), 0); /* transient */
            pq_column_reader_free(r);
            pq_file_free(f);
        }
        delta_store_free(fs);
    }
    delta_store_free(st);
    tb_free(&t);

    /* a chunk stored in another file */
    build_file(&t, 0, NULL);
    t.chunks[0][1].has_file_path = true;
    t.chunks[0][1].file_path = (pq_str){"other.parquet", 13};
    assert_int_equal(tb_finish(&t), 0);
    assert_int_equal(pq_file_open_buffer(&f, t.file.data, t.file.len, "fp"), 0);
    pq_column_reader *r;
    assert_int_equal(pq_column_reader_open(&r, f, 0, 1), DELTA_EUNSUPPORTED);
    assert_non_null(strstr(delta_error_last(), "other.parquet"));
    assert_int_equal(pq_column_reader_open(&r, f, 0, 0), 0);
    pq_column_reader_free(r);
    pq_file_free(f);
    tb_free(&t);
}

/* Every allocation of open + read failing in turn: ENOMEM, no leak. */
static void test_out_of_memory(void **state)
{
    (void)state;
    tb t;
    build_file(&t, 0, NULL);
    assert_int_equal(tb_finish(&t), 0);
    delta_store *st;
    assert_int_equal(delta_store_open(&st, "memory://file-reader-oom"), 0);
    assert_int_equal(delta_store_put(st, "a.parquet", t.file.data, t.file.len), 0);
    int ok = 0;
    for (long n = 1; n < 400 && !ok; n++) {
        delta_alloc_fail_after(n);
        pq_file *f = NULL;
        int rc = pq_file_open(&f, st, "a.parquet");
        for (uint32_t c = 0; rc == 0 && c < 2; c++) {
            pq_column_reader *r;
            rc = pq_column_reader_open(&r, f, 0, c);
            if (rc)
                break;
            pq_column_batch b = PQ_COLUMN_BATCH_INIT;
            do
                rc = pq_column_reader_read(r, 2, &b);
            while (rc == 0 && b.num_records);
            pq_column_batch_free(&b);
            pq_column_reader_free(r);
        }
        pq_file_free(f);
        bool injected = delta_alloc_injected_failures() > 0;
        delta_alloc_fail_after(0);
        if (!injected) {
            assert_int_equal(rc, 0);
            ok = 1;
        } else {
            assert_int_equal(rc, DELTA_ENOMEM);
        }
    }
    assert_true(ok);
    delta_store_free(st);
    tb_free(&t);
}

/* A page index written by hand reads back; a bad range is refused. */
static void test_page_index(void **state)
{
    (void)state;
    tb t;
    build_file(&t, 0, NULL);
    /* column index and offset index of column 1, after the column data */
    pq_column_index ci;
    memset(&ci, 0, sizeof ci);
    bool nulls[1] = {false};
    pq_bin mins[1] = {{(const uint8_t *)"bar", 3}}, maxs[1] = {{(const uint8_t *)"foo", 3}};
    int64_t ncount[1] = {1};
    ci.num_pages = 1;
    ci.null_pages = nulls;
    ci.min_values = mins;
    ci.max_values = maxs;
    ci.boundary_order = PQ_BOUNDARY_ASCENDING;
    ci.null_counts = ncount;
    ci.has_null_counts = true;
    size_t at = t.file.len;
    assert_int_equal(pq_column_index_encode(&t.file, &ci), 0);
    pq_column_chunk *cc = &t.chunks[0][1];
    cc->has_column_index_offset = cc->has_column_index_length = true;
    cc->column_index_offset = (int64_t)at;
    cc->column_index_length = (int32_t)(t.file.len - at);
    pq_page_location loc = {cc->meta_data.data_page_offset,
                            (int32_t)cc->meta_data.total_compressed_size, 0};
    pq_offset_index oi;
    memset(&oi, 0, sizeof oi);
    oi.page_locations = &loc;
    oi.num_pages = 1;
    at = t.file.len;
    assert_int_equal(pq_offset_index_encode(&t.file, &oi), 0);
    cc->has_offset_index_offset = cc->has_offset_index_length = true;
    cc->offset_index_offset = (int64_t)at;
    cc->offset_index_length = (int32_t)(t.file.len - at);
    size_t footer_at = t.file.len;
    assert_int_equal(tb_finish(&t), 0);

    delta_store *st;
    assert_int_equal(delta_store_open(&st, "memory://file-reader-pi"), 0);
    assert_int_equal(delta_store_put(st, "a.parquet", t.file.data, t.file.len), 0);
    pq_file *f;
    assert_int_equal(pq_file_open(&f, st, "a.parquet"), 0);
    pq_column_index *rci;
    pq_offset_index *roi;
    assert_int_equal(pq_file_column_index(f, 0, 0, &rci), 0);
    assert_null(rci); /* column 0 has none */
    assert_int_equal(pq_file_offset_index(f, 0, 0, &roi), 0);
    assert_null(roi);
    assert_int_equal(pq_file_column_index(f, 0, 1, &rci), 0);
    assert_non_null(rci);
    assert_int_equal(rci->num_pages, 1);
    assert_memory_equal(rci->min_values[0].ptr, "bar", 3);
    assert_int_equal(rci->null_counts[0], 1);
    pq_column_index_free(rci);
    assert_int_equal(pq_file_offset_index(f, 0, 1, &roi), 0);
    assert_non_null(roi);
    assert_int_equal(roi->num_pages, 1);
    assert_int_equal(roi->page_locations[0].offset, loc.offset);
    pq_offset_index_free(roi);
    assert_int_equal(pq_file_column_index(f, 1, 0, &rci), DELTA_EINVAL);
    pq_file_free(f);
    delta_store_free(st);

    /* an index range reaching into the footer, and undecodable bytes */
    t.file.len = footer_at;
    cc->column_index_length += 100;
    cc->offset_index_offset = 4;
    assert_int_equal(tb_finish(&t), 0);
    assert_int_equal(pq_file_open_buffer(&f, t.file.data, t.file.len, "pi.parquet"), 0);
    assert_int_equal(pq_file_column_index(f, 0, 1, &rci), DELTA_ECORRUPT);
    assert_null(rci);
    assert_non_null(strstr(delta_error_last(), "outside the column data"));
    assert_non_null(strstr(delta_error_last(), "pi.parquet, row group 0, column name"));
    assert_int_equal(pq_file_offset_index(f, 0, 1, &roi), DELTA_ECORRUPT);
    assert_null(roi);
    assert_non_null(strstr(delta_error_last(), "offset index"));
    pq_file_free(f);
    tb_free(&t);
}

/* ------------------------------------------------------------ golden */

static size_t g_files, g_indexes;

static void check_golden(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)len + 1);
    assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);

    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    *slash = '\0';
    delta_store *st;
    assert_int_equal(delta_store_open(&st, dir), 0);
    pq_file *a, *b;
    if (pq_file_open(&a, st, slash + 1))
        fail_msg("%s: %s", path, delta_error_last());
    assert_int_equal(pq_file_open_buffer(&b, buf, (size_t)len, path), 0);
    const pq_file_meta *ma = pq_file_metadata(a), *mb = pq_file_metadata(b);
    assert_int_equal(ma->num_rows, mb->num_rows);
    assert_int_equal(ma->num_row_groups, mb->num_row_groups);
    assert_int_equal(pq_file_schema(a)->num_leaves, pq_file_schema(b)->num_leaves);
    for (uint32_t g = 0; g < ma->num_row_groups; g++) {
        for (uint32_t c = 0; c < pq_file_schema(a)->num_leaves; c++) {
            pq_column_index *ci = NULL;
            pq_offset_index *oi = NULL;
            if (pq_file_column_index(a, g, c, &ci) || pq_file_offset_index(a, g, c, &oi))
                fail_msg("%s: %s", path, delta_error_last());
            if (oi) {
                assert_true(oi->num_pages > 0);
                assert_int_equal(oi->page_locations[0].first_row_index, 0);
                for (uint32_t p = 1; p < oi->num_pages; p++)
                    assert_true(oi->page_locations[p].first_row_index >
                                oi->page_locations[p - 1].first_row_index);
                assert_true(oi->page_locations[oi->num_pages - 1].first_row_index <
                            ma->row_groups[g].num_rows);
                g_indexes++;
            }
            if (ci && oi)
                assert_int_equal(ci->num_pages, oi->num_pages);
            pq_column_index_free(ci);
            pq_offset_index_free(oi);
            uint64_t s1, l1;
            assert_int_equal(pq_file_chunk_range(a, g, c, &s1, &l1), 0);
            assert_true(s1 >= 4 && s1 + l1 <= (uint64_t)len);
        }
    }
    g_files++;
    pq_file_free(a);
    pq_file_free(b);
    delta_store_free(st);
    free(buf);
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    size_t n = strlen(path);
    if (type == FTW_F && n > 8 && strcmp(path + n - 8, ".parquet") == 0)
        check_golden(path);
    return 0;
}

static void test_golden_open(void **state)
{
    (void)state;
    struct stat st;
    if (stat(DELTA_SHARED_DIR "/golden", &st) != 0) {
        skip();
        return;
    }
    assert_int_equal(nftw(DELTA_SHARED_DIR "/golden", visit, 16, FTW_PHYS), 0);
    if (stat(DELTA_SHARED_DIR "/extra", &st) == 0)
        assert_int_equal(nftw(DELTA_SHARED_DIR "/extra", visit, 16, FTW_PHYS), 0);
    print_message("golden: %zu files opened, %zu offset indexes checked\n", g_files, g_indexes);
    assert_true(g_files >= 700);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_store_and_buffer), cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_out_of_memory),         cmocka_unit_test(test_page_index),
        cmocka_unit_test(test_golden_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
