/*
 * Thrift compact protocol: round trips of every primitive with seeded
 * random values, the wire forms the specification fixes (field header
 * short/long form, bools in headers, list/map headers), and hostile input:
 * overlong and overflowing varints, lengths and counts beyond the bytes
 * left, deep nesting, invalid type codes, every truncation of a valid
 * message, and random garbage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "parquet/thrift.h"

#define SEED 0x5eed7471f7ULL

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Random value with a random number of significant bits, so every varint
 * length gets exercised. */
static uint64_t rnd_bits(void)
{
    unsigned bits = (unsigned)(rnd() % 65);
    uint64_t v = rnd();
    return bits == 64 ? v : v & ((1ULL << bits) - 1);
}

static int setup(void **state)
{
    (void)state;
    rng_state = SEED;
    return 0;
}

static void expect_corrupt(int rc)
{
    assert_int_equal(rc, DELTA_ECORRUPT);
    assert_int_equal(delta_error_last_code(), DELTA_ECORRUPT);
    assert_non_null(strstr(delta_error_last(), "at byte"));
}

static void test_varint_roundtrip(void **state)
{
    (void)state;
    printf("seed 0x%llx\n", (unsigned long long)SEED);
    static const uint64_t edges[] = {0,
                                     1,
                                     127,
                                     128,
                                     16383,
                                     16384,
                                     UINT32_MAX - 1,
                                     UINT32_MAX,
                                     (uint64_t)UINT32_MAX + 1,
                                     INT64_MAX,
                                     UINT64_MAX};
    for (int i = 0; i < 20000; i++) {
        uint64_t v = i < (int)(sizeof edges / sizeof edges[0]) ? edges[i] : rnd_bits();
        dbuf b = DBUF_INIT;
        pq_twriter w;
        pq_tw_init(&w, &b);
        pq_tw_varint_u64(&w, v);
        pq_tw_varint_u32(&w, (uint32_t)v);
        assert_int_equal(pq_tw_finish(&w), 0);

        pq_treader r;
        pq_tr_init(&r, b.data, b.len);
        uint64_t got64;
        uint32_t got32;
        assert_int_equal(pq_tr_varint_u64(&r, &got64), 0);
        assert_true(got64 == v);
        assert_int_equal(pq_tr_varint_u32(&r, &got32), 0);
        assert_true(got32 == (uint32_t)v);
        assert_int_equal(pq_tr_remaining(&r), 0);
        dbuf_free(&b);
    }
}

static void test_zigzag_roundtrip(void **state)
{
    (void)state;
    static const int64_t edges[] = {0,         -1,        1,         -64,       64,       INT16_MIN,
                                    INT16_MAX, INT32_MIN, INT32_MAX, INT64_MIN, INT64_MAX};
    for (int i = 0; i < 20000; i++) {
        int64_t v = i < (int)(sizeof edges / sizeof edges[0]) ? edges[i] : (int64_t)rnd_bits();
        if (i >= (int)(sizeof edges / sizeof edges[0]) && (rnd() & 1))
            v = -v - 1;
        dbuf b = DBUF_INIT;
        pq_twriter w;
        pq_tw_init(&w, &b);
        pq_tw_i64(&w, v);
        pq_tw_i32(&w, (int32_t)v);
        pq_tw_i16(&w, (int16_t)v);
        pq_tw_i8(&w, (int8_t)v);
        assert_int_equal(pq_tw_finish(&w), 0);

        pq_treader r;
        pq_tr_init(&r, b.data, b.len);
        int64_t g64;
        int32_t g32;
        int16_t g16;
        int8_t g8;
        assert_int_equal(pq_tr_i64(&r, &g64), 0);
        assert_true(g64 == v);
        assert_int_equal(pq_tr_i32(&r, &g32), 0);
        assert_int_equal(g32, (int32_t)v);
        assert_int_equal(pq_tr_i16(&r, &g16), 0);
        assert_int_equal(g16, (int16_t)v);
        assert_int_equal(pq_tr_i8(&r, &g8), 0);
        assert_int_equal(g8, (int8_t)v);
        assert_int_equal(pq_tr_remaining(&r), 0);
        dbuf_free(&b);
    }
}

static void test_zigzag_wire_form(void **state)
{
    (void)state;
    /* The specification's examples: 0->0, -1->1, 1->2, -2->3, 2147483647->
     * 4294967294, -2147483648->4294967295. */
    static const struct {
        int32_t v;
        uint8_t bytes[5];
        size_t n;
    } cases[] = {
        {0, {0x00}, 1},
        {-1, {0x01}, 1},
        {1, {0x02}, 1},
        {-2, {0x03}, 1},
        {-64, {0x7f}, 1},
        {64, {0x80, 0x01}, 2},
        {INT32_MAX, {0xfe, 0xff, 0xff, 0xff, 0x0f}, 5},
        {INT32_MIN, {0xff, 0xff, 0xff, 0xff, 0x0f}, 5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dbuf b = DBUF_INIT;
        pq_twriter w;
        pq_tw_init(&w, &b);
        pq_tw_i32(&w, cases[i].v);
        assert_int_equal(b.len, cases[i].n);
        assert_memory_equal(b.data, cases[i].bytes, cases[i].n);
        dbuf_free(&b);
    }
}

static void test_double_and_binary_roundtrip(void **state)
{
    (void)state;
    for (int i = 0; i < 2000; i++) {
        uint64_t bits = rnd();
        double v;
        memcpy(&v, &bits, sizeof v);
        size_t len = (size_t)(rnd() % 300);
        uint8_t data[300];
        for (size_t k = 0; k < len; k++)
            data[k] = (uint8_t)rnd();

        dbuf b = DBUF_INIT;
        pq_twriter w;
        pq_tw_init(&w, &b);
        pq_tw_double(&w, v);
        pq_tw_binary(&w, data, len);
        pq_tw_bool(&w, (bits & 1) != 0);
        assert_int_equal(pq_tw_finish(&w), 0);

        pq_treader r;
        pq_tr_init(&r, b.data, b.len);
        double got;
        assert_int_equal(pq_tr_double(&r, &got), 0);
        assert_memory_equal(&got, &v, sizeof v); /* bit-exact, NaNs included */
        const uint8_t *p;
        uint32_t n;
        assert_int_equal(pq_tr_binary(&r, &p, &n), 0);
        assert_int_equal(n, len);
        if (len)
            assert_memory_equal(p, data, len);
        bool bv;
        assert_int_equal(pq_tr_bool(&r, &bv), 0);
        assert_int_equal(bv, (bits & 1) != 0);
        assert_int_equal(pq_tr_remaining(&r), 0);
        dbuf_free(&b);
    }
    /* Little-endian IEEE 754: 1.0 is 00 00 00 00 00 00 f0 3f. */
    dbuf b = DBUF_INIT;
    pq_twriter w;
    pq_tw_init(&w, &b);
    pq_tw_double(&w, 1.0);
    static const uint8_t one[8] = {0, 0, 0, 0, 0, 0, 0xf0, 0x3f};
    assert_memory_equal(b.data, one, 8);
    dbuf_free(&b);
}

static void test_field_headers(void **state)
{
    (void)state;
    dbuf b = DBUF_INIT;
    pq_twriter w;
    pq_tw_init(&w, &b);
    pq_tw_struct_begin(&w);
    pq_tw_field_i32(&w, 1, 7);       /* short form, delta 1 */
    pq_tw_field_bool(&w, 2, true);   /* bool in header: type 1 */
    pq_tw_field_bool(&w, 3, false);  /* type 2 */
    pq_tw_field_i64(&w, 18, -5);     /* delta 15: still short */
    pq_tw_field_i16(&w, 100, 300);   /* delta 82: long form */
    pq_tw_field_i8(&w, 4, -3);       /* backwards: long form */
    pq_tw_field(&w, 5, PQ_T_STRUCT); /* nested struct restarts ids */
    pq_tw_struct_begin(&w);
    pq_tw_field_binary(&w, 1, "abc", 3);
    pq_tw_struct_end(&w);
    pq_tw_field_double(&w, 6, 2.5); /* delta from 5, not from the inner 1 */
    pq_tw_field_i32(&w, -7, 1);     /* negative ids: long form */
    pq_tw_struct_end(&w);
    assert_int_equal(pq_tw_finish(&w), 0);

    /* Check the exact bytes of the header forms. */
    /* clang-format off */
    static const uint8_t expect_prefix[] = {
        0x15, 0x0e,                   /* id 1 i32 7 */
        0x11,                         /* id 2 bool true */
        0x12,                         /* id 3 bool false */
        0xf6, 0x09,                   /* id 18 i64 -5 */
        0x04, 0xc8, 0x01, 0xd8, 0x04, /* id 100 (zigzag 200) i16 300 (zigzag 600) */
        0x03, 0x08, 0xfd,             /* id 4 (zigzag 8) i8 -3 */
        0x1c,                         /* id 5 struct */
        0x18, 0x03, 'a', 'b', 'c',    /* inner id 1 binary "abc" */
        0x00,                         /* inner stop */
        0x17,                         /* id 6 double (delta 1 from 5) */
    };
    /* clang-format on */
    assert_true(b.len > sizeof expect_prefix);
    assert_memory_equal(b.data, expect_prefix, sizeof expect_prefix);

    pq_treader r;
    pq_tr_init(&r, b.data, b.len);
    int16_t last = 0;
    pq_tfield f;
    assert_int_equal(pq_tr_struct_begin(&r), 0);
    int32_t i32;
    int64_t i64;
    int16_t i16;
    int8_t i8;
    bool bv;
    double dv;
    assert_int_equal(pq_tr_field(&r, &last, &f), 0);
    assert_int_equal(f.id, 1);
    assert_int_equal(f.type, PQ_T_I32);
    assert_int_equal(pq_tr_i32(&r, &i32), 0);
    assert_int_equal(i32, 7);
    assert_int_equal(pq_tr_field(&r, &last, &f), 0);
    assert_int_equal(f.id, 2);
    assert_int_equal(f.type, PQ_T_BOOL);
    assert_int_equal(pq_tr_bool(&r, &bv), 0);
    assert_true(bv);
    assert_int_equal(pq_tr_field(&r, &last, &f), 0);
    assert_int_equal(f.id, 3);
    assert_int_equal(f.type, PQ_T_BOOL);
    assert_int_equal(pq_tr_bool(&r, &bv), 0);
    assert_false(bv);
    assert_int_equal(pq_tr_field(&r, &last, &f), 0);
    assert_int_equal(f.id, 18);
    assert_int_equal(pq_tr_i64(&r, &i64), 0);
    assert_int_equal(i64, -5);
    assert_int_equal(pq_tr_field(&r, &last, &f), 0);
    assert_int_equal(f.id, 100);
    assert_int_equal(f.type, PQ_T_I16);
    assert_int_equal(pq_tr_i16(&r, &i16), 0);
    assert_int_equal(i16, 300);
    assert_int_equal(pq_tr_field(&r, &last, &f), 0);
    assert_int_equal(f.id, 4);
    assert_int_equal(pq_tr_i8(&r, &i8), 0);
    assert_int_equal(i8, -3);
    assert_int_equal(pq_tr_field(&r, &last, &f), 0);
    assert_int_equal(f.id, 5);
    assert_int_equal(f.type, PQ_T_STRUCT);
    {
        int16_t inner = 0;
        assert_int_equal(pq_tr_struct_begin(&r), 0);
        assert_int_equal(pq_tr_field(&r, &inner, &f), 0);
        assert_int_equal(f.id, 1);
        const uint8_t *p;
        uint32_t n;
        assert_int_equal(pq_tr_binary(&r, &p, &n), 0);
        assert_int_equal(n, 3);
        assert_memory_equal(p, "abc", 3);
        assert_int_equal(pq_tr_field(&r, &inner, &f), 0);
        assert_int_equal(f.type, PQ_T_STOP);
        pq_tr_struct_end(&r);
    }
    assert_int_equal(pq_tr_field(&r, &last, &f), 0);
    assert_int_equal(f.id, 6);
    assert_int_equal(pq_tr_double(&r, &dv), 0);
    assert_true(dv == 2.5);
    assert_int_equal(pq_tr_field(&r, &last, &f), 0);
    assert_int_equal(f.id, -7);
    assert_int_equal(pq_tr_i32(&r, &i32), 0);
    assert_int_equal(pq_tr_field(&r, &last, &f), 0);
    assert_int_equal(f.type, PQ_T_STOP);
    pq_tr_struct_end(&r);
    assert_int_equal(pq_tr_remaining(&r), 0);
    assert_int_equal(r.depth, 0);
    dbuf_free(&b);
}

static void test_containers(void **state)
{
    (void)state;
    for (uint32_t n = 0; n < 40; n++) {
        dbuf b = DBUF_INIT;
        pq_twriter w;
        pq_tw_init(&w, &b);
        pq_tw_list_begin(&w, PQ_T_I32, n);
        for (uint32_t i = 0; i < n; i++)
            pq_tw_i32(&w, (int32_t)(i * 1000 - 7));
        pq_tw_list_begin(&w, PQ_T_BOOL, n);
        for (uint32_t i = 0; i < n; i++)
            pq_tw_bool(&w, i % 3 == 0);
        pq_tw_map_begin(&w, PQ_T_BINARY, PQ_T_I64, n);
        for (uint32_t i = 0; i < n; i++) {
            char key[16];
            int kl = snprintf(key, sizeof key, "k%u", i);
            pq_tw_binary(&w, key, (size_t)kl);
            pq_tw_i64(&w, -(int64_t)i);
        }
        assert_int_equal(pq_tw_finish(&w), 0);
        /* Short form below 15 elements, long form from 15. */
        if (n < 15)
            assert_int_equal(b.data[0], (uint8_t)((n << 4) | PQ_T_I32));
        else
            assert_int_equal(b.data[0], 0xf0 | PQ_T_I32);

        pq_treader r;
        pq_tr_init(&r, b.data, b.len);
        uint8_t et, kt, vt;
        uint32_t cnt;
        assert_int_equal(pq_tr_list_begin(&r, &et, &cnt), 0);
        assert_int_equal(et, PQ_T_I32);
        assert_int_equal(cnt, n);
        for (uint32_t i = 0; i < n; i++) {
            int32_t v;
            assert_int_equal(pq_tr_i32(&r, &v), 0);
            assert_int_equal(v, (int32_t)(i * 1000 - 7));
        }
        pq_tr_container_end(&r);
        assert_int_equal(pq_tr_list_begin(&r, &et, &cnt), 0);
        assert_int_equal(et, PQ_T_BOOL);
        for (uint32_t i = 0; i < n; i++) {
            bool v;
            assert_int_equal(pq_tr_bool(&r, &v), 0);
            assert_int_equal(v, i % 3 == 0);
        }
        pq_tr_container_end(&r);
        assert_int_equal(pq_tr_map_begin(&r, &kt, &vt, &cnt), 0);
        assert_int_equal(cnt, n);
        if (n) {
            assert_int_equal(kt, PQ_T_BINARY);
            assert_int_equal(vt, PQ_T_I64);
        }
        for (uint32_t i = 0; i < n; i++) {
            const uint8_t *p;
            uint32_t len;
            int64_t v;
            assert_int_equal(pq_tr_binary(&r, &p, &len), 0);
            assert_int_equal(pq_tr_i64(&r, &v), 0);
            assert_int_equal(v, -(int64_t)i);
        }
        pq_tr_container_end(&r);
        assert_int_equal(pq_tr_remaining(&r), 0);
        assert_int_equal(r.depth, 0);
        dbuf_free(&b);
    }
    /* A set header reads like a list; 0x00 is accepted as an empty list. */
    static const uint8_t empty[] = {0x00};
    pq_treader r;
    pq_tr_init(&r, empty, 1);
    uint8_t et;
    uint32_t cnt;
    assert_int_equal(pq_tr_list_begin(&r, &et, &cnt), 0);
    assert_int_equal(cnt, 0);
    /* Bool lists may use element type 2 (BOOLEAN_FALSE). */
    static const uint8_t bools[] = {0x22, 0x01, 0x02};
    pq_tr_init(&r, bools, sizeof bools);
    assert_int_equal(pq_tr_list_begin(&r, &et, &cnt), 0);
    assert_int_equal(et, PQ_T_BOOL);
    assert_int_equal(cnt, 2);
}

/* A struct holding one field of every type (and nested containers). */
static void write_everything(dbuf *b)
{
    pq_twriter w;
    pq_tw_init(&w, b);
    pq_tw_struct_begin(&w);
    pq_tw_field_bool(&w, 1, true);
    pq_tw_field_i8(&w, 2, 5);
    pq_tw_field_i16(&w, 3, -300);
    pq_tw_field_i32(&w, 4, 123456);
    pq_tw_field_i64(&w, 5, -1234567890123LL);
    pq_tw_field_double(&w, 6, 3.25);
    pq_tw_field_binary(&w, 7, "hello", 5);
    pq_tw_field(&w, 8, PQ_T_LIST);
    pq_tw_list_begin(&w, PQ_T_LIST, 2);
    pq_tw_list_begin(&w, PQ_T_DOUBLE, 1);
    pq_tw_double(&w, 1.5);
    pq_tw_list_begin(&w, PQ_T_BOOL, 16);
    for (int i = 0; i < 16; i++)
        pq_tw_bool(&w, i & 1);
    pq_tw_field(&w, 9, PQ_T_SET);
    pq_tw_list_begin(&w, PQ_T_STRUCT, 1);
    pq_tw_struct_begin(&w);
    pq_tw_field_bool(&w, 1, false);
    pq_tw_struct_end(&w);
    pq_tw_field(&w, 10, PQ_T_MAP);
    pq_tw_map_begin(&w, PQ_T_I32, PQ_T_STRUCT, 2);
    for (int i = 0; i < 2; i++) {
        pq_tw_i32(&w, i);
        pq_tw_struct_begin(&w);
        pq_tw_field_binary(&w, 300, "x", 1);
        pq_tw_struct_end(&w);
    }
    pq_tw_field(&w, 11, PQ_T_MAP);
    pq_tw_map_begin(&w, PQ_T_I32, PQ_T_I32, 0);
    pq_tw_field_i32(&w, 12, 42); /* the field the test reads after skipping */
    pq_tw_struct_end(&w);
    assert_int_equal(pq_tw_finish(&w), 0);
}

/* Skips every field except id 12 and returns its value. */
static int read_field12(const uint8_t *buf, size_t len, int32_t *v)
{
    pq_treader r;
    pq_tr_init(&r, buf, len);
    int rc = pq_tr_struct_begin(&r);
    if (rc)
        return rc;
    int16_t last = 0;
    for (;;) {
        pq_tfield f;
        if ((rc = pq_tr_field(&r, &last, &f)))
            return rc;
        if (f.type == PQ_T_STOP)
            break;
        if (f.id == 12 && f.type == PQ_T_I32)
            rc = pq_tr_i32(&r, v);
        else
            rc = pq_tr_skip(&r, f.type);
        if (rc)
            return rc;
    }
    pq_tr_struct_end(&r);
    return pq_tr_remaining(&r) ? DELTA_ECORRUPT : 0;
}

static void test_skip_every_type(void **state)
{
    (void)state;
    dbuf b = DBUF_INIT;
    write_everything(&b);
    int32_t v = 0;
    assert_int_equal(read_field12(b.data, b.len, &v), 0);
    assert_int_equal(v, 42);

    /* Skipping the whole struct consumes exactly all of it. */
    pq_treader r;
    pq_tr_init(&r, b.data, b.len);
    assert_int_equal(pq_tr_skip(&r, PQ_T_STRUCT), 0);
    assert_int_equal(pq_tr_remaining(&r), 0);
    assert_int_equal(r.depth, 0);

    /* Every strict prefix fails cleanly with ECORRUPT. */
    for (size_t len = 0; len < b.len; len++) {
        uint8_t *copy = delta_memdup(b.data, len ? len : 1);
        assert_non_null(copy);
        pq_tr_init(&r, copy, len);
        expect_corrupt(pq_tr_skip(&r, PQ_T_STRUCT));
        delta_free(copy);
    }
    dbuf_free(&b);
}

static void test_garbage_never_crashes(void **state)
{
    (void)state;
    dbuf valid = DBUF_INIT;
    write_everything(&valid);
    uint8_t buf[256];
    int ok = 0, failed = 0;
    for (int iter = 0; iter < 30000; iter++) {
        size_t len;
        if (iter & 1) {
            /* Flip a few bytes of a valid message. */
            len = valid.len;
            memcpy(buf, valid.data, len);
            int flips = 1 + (int)(rnd() % 4);
            for (int k = 0; k < flips; k++)
                buf[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
        } else {
            len = (size_t)(rnd() % sizeof buf);
            for (size_t k = 0; k < len; k++)
                buf[k] = (uint8_t)rnd();
        }
        /* Exact-size heap copy so ASan sees any overread. */
        uint8_t *copy = delta_memdup(buf, len ? len : 1);
        assert_non_null(copy);
        pq_treader r;
        pq_tr_init(&r, copy, len);
        int rc = pq_tr_skip(&r, PQ_T_STRUCT);
        if (rc == 0) {
            ok++;
            assert_true(pq_tr_offset(&r) <= len);
        } else {
            failed++;
            assert_int_equal(rc, DELTA_ECORRUPT);
            assert_true(r.depth <= PQ_THRIFT_MAX_DEPTH);
        }
        delta_free(copy);
    }
    printf("garbage: %d parsed, %d refused\n", ok, failed);
    assert_true(failed > 0);
    dbuf_free(&valid);
}

static void test_varint_hostile(void **state)
{
    (void)state;
    pq_treader r;
    uint32_t u32;
    uint64_t u64;
    int16_t i16;

    /* Longest valid forms. */
    static const uint8_t max32[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    pq_tr_init(&r, max32, sizeof max32);
    assert_int_equal(pq_tr_varint_u32(&r, &u32), 0);
    assert_true(u32 == UINT32_MAX);
    static const uint8_t max64[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    pq_tr_init(&r, max64, sizeof max64);
    assert_int_equal(pq_tr_varint_u64(&r, &u64), 0);
    assert_true(u64 == UINT64_MAX);

    /* Bits beyond 32 / 64. */
    static const uint8_t over32[] = {0xff, 0xff, 0xff, 0xff, 0x1f};
    pq_tr_init(&r, over32, sizeof over32);
    expect_corrupt(pq_tr_varint_u32(&r, &u32));
    assert_non_null(strstr(delta_error_last(), "overflows"));
    static const uint8_t over64[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    pq_tr_init(&r, over64, sizeof over64);
    expect_corrupt(pq_tr_varint_u64(&r, &u64));

    /* Too many bytes, even if the value would be small. */
    static const uint8_t long32[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    pq_tr_init(&r, long32, sizeof long32);
    expect_corrupt(pq_tr_varint_u32(&r, &u32));
    static const uint8_t long64[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                     0x80, 0x80, 0x80, 0x80, 0x00};
    pq_tr_init(&r, long64, sizeof long64);
    expect_corrupt(pq_tr_varint_u64(&r, &u64));
    assert_non_null(strstr(delta_error_last(), "longer than"));

    /* Truncated: continuation bit on the last byte. */
    static const uint8_t trunc[] = {0x80, 0x80};
    pq_tr_init(&r, trunc, sizeof trunc);
    expect_corrupt(pq_tr_varint_u64(&r, &u64));
    assert_non_null(strstr(delta_error_last(), "truncated"));

    /* i16 outside its range (zigzag 65536 = 32768). */
    static const uint8_t big16[] = {0x80, 0x80, 0x04};
    pq_tr_init(&r, big16, sizeof big16);
    expect_corrupt(pq_tr_i16(&r, &i16));
}

static void test_lengths_and_counts_hostile(void **state)
{
    (void)state;
    pq_treader r;
    const uint8_t *p;
    uint32_t n;
    uint8_t et, kt, vt;

    /* Binary claiming 10 bytes with 3 left. */
    static const uint8_t bin[] = {0x0a, 'a', 'b', 'c'};
    pq_tr_init(&r, bin, sizeof bin);
    expect_corrupt(pq_tr_binary(&r, &p, &n));
    assert_non_null(strstr(delta_error_last(), "exceeds"));

    /* Binary of 2^32-1 bytes. */
    static const uint8_t huge_bin[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0};
    pq_tr_init(&r, huge_bin, sizeof huge_bin);
    expect_corrupt(pq_tr_binary(&r, &p, &n));

    /* List of 2^31-1 structs: refused from the header alone. */
    static const uint8_t huge_list[] = {0xfc, 0xff, 0xff, 0xff, 0xff, 0x07, 0, 0, 0};
    pq_tr_init(&r, huge_list, sizeof huge_list);
    expect_corrupt(pq_tr_list_begin(&r, &et, &n));
    assert_non_null(strstr(delta_error_last(), "cannot fit"));

    /* List size above INT32_MAX. */
    static const uint8_t neg_list[] = {0xf5, 0xff, 0xff, 0xff, 0xff, 0x0f};
    pq_tr_init(&r, neg_list, sizeof neg_list);
    expect_corrupt(pq_tr_list_begin(&r, &et, &n));

    /* 3 doubles need 24 bytes; 16 are there. */
    uint8_t dbl[17] = {0x37};
    pq_tr_init(&r, dbl, sizeof dbl);
    expect_corrupt(pq_tr_list_begin(&r, &et, &n));
    /* 2 doubles fit. */
    dbl[0] = 0x27;
    pq_tr_init(&r, dbl, sizeof dbl);
    assert_int_equal(pq_tr_list_begin(&r, &et, &n), 0);
    assert_int_equal(n, 2);

    /* Map of 1000 entries in 5 bytes. */
    static const uint8_t huge_map[] = {0xe8, 0x07, 0x55, 0, 0, 0};
    pq_tr_init(&r, huge_map, sizeof huge_map);
    expect_corrupt(pq_tr_map_begin(&r, &kt, &vt, &n));

    /* Invalid element and field types. */
    static const uint8_t bad_elem[] = {0x1d, 0};
    pq_tr_init(&r, bad_elem, sizeof bad_elem);
    expect_corrupt(pq_tr_list_begin(&r, &et, &n));
    static const uint8_t zero_elem[] = {0x10, 0};
    pq_tr_init(&r, zero_elem, sizeof zero_elem);
    expect_corrupt(pq_tr_list_begin(&r, &et, &n));
    static const uint8_t bad_map[] = {0x01, 0xd5, 0, 0};
    pq_tr_init(&r, bad_map, sizeof bad_map);
    expect_corrupt(pq_tr_map_begin(&r, &kt, &vt, &n));
    for (unsigned t = 13; t <= 15; t++) {
        uint8_t hdr[] = {(uint8_t)(0x10 | t), 0, 0};
        pq_tr_init(&r, hdr, sizeof hdr);
        int16_t last = 0;
        pq_tfield f;
        expect_corrupt(pq_tr_field(&r, &last, &f));
    }
    /* A type-0 field with a delta is not STOP. */
    static const uint8_t delta_stop[] = {0x10};
    pq_tr_init(&r, delta_stop, 1);
    int16_t last = 0;
    pq_tfield f;
    expect_corrupt(pq_tr_field(&r, &last, &f));
    /* Field id overflowing int16 through deltas. */
    last = INT16_MAX - 1;
    static const uint8_t id_over[] = {0x55, 0};
    pq_tr_init(&r, id_over, sizeof id_over);
    expect_corrupt(pq_tr_field(&r, &last, &f));
    /* Bool elements must be 0, 1 or 2. */
    static const uint8_t bad_bool[] = {0x03};
    bool bv;
    pq_tr_init(&r, bad_bool, 1);
    expect_corrupt(pq_tr_bool(&r, &bv));
    /* A struct with no STOP. */
    static const uint8_t unterminated[] = {0x15, 0x02};
    pq_tr_init(&r, unterminated, sizeof unterminated);
    expect_corrupt(pq_tr_skip(&r, PQ_T_STRUCT));
}

static void test_deep_nesting_refused(void **state)
{
    (void)state;
    /* Structs: field 1 of type struct, nested 200 deep. */
    uint8_t deep[400];
    for (size_t i = 0; i < 200; i++)
        deep[i] = 0x1c;
    memset(deep + 200, 0, 200);
    pq_treader r;
    pq_tr_init(&r, deep, sizeof deep);
    expect_corrupt(pq_tr_skip(&r, PQ_T_STRUCT));
    assert_non_null(strstr(delta_error_last(), "nesting deeper"));

    /* At the limit it works: 63 nested fields inside the outer struct. */
    uint8_t ok[64 + 64];
    for (size_t i = 0; i < PQ_THRIFT_MAX_DEPTH - 1; i++)
        ok[i] = 0x1c;
    memset(ok + PQ_THRIFT_MAX_DEPTH - 1, 0, PQ_THRIFT_MAX_DEPTH);
    pq_tr_init(&r, ok, 2 * PQ_THRIFT_MAX_DEPTH - 1);
    assert_int_equal(pq_tr_skip(&r, PQ_T_STRUCT), 0);
    assert_int_equal(pq_tr_remaining(&r), 0);

    /* Lists of lists. */
    uint8_t lists[300];
    for (size_t i = 0; i < sizeof lists; i++)
        lists[i] = 0x19; /* one element of type list */
    pq_tr_init(&r, lists, sizeof lists);
    expect_corrupt(pq_tr_skip(&r, PQ_T_LIST));

    /* The writer refuses to nest deeper than it allows the reader. */
    dbuf b = DBUF_INIT;
    pq_twriter w;
    pq_tw_init(&w, &b);
    for (int i = 0; i < PQ_THRIFT_MAX_DEPTH + 1; i++)
        pq_tw_struct_begin(&w);
    assert_int_equal(pq_tw_finish(&w), DELTA_EINVAL);
    dbuf_free(&b);
}

static void test_writer_misuse(void **state)
{
    (void)state;
    dbuf b = DBUF_INIT;
    pq_twriter w;
    pq_tw_init(&w, &b);
    pq_tw_struct_end(&w);
    assert_int_equal(pq_tw_finish(&w), DELTA_EINVAL);

    pq_tw_init(&w, &b);
    pq_tw_field_i32(&w, 1, 1);
    assert_int_equal(pq_tw_finish(&w), DELTA_EINVAL);

    pq_tw_init(&w, &b);
    pq_tw_struct_begin(&w);
    assert_int_equal(pq_tw_finish(&w), DELTA_EINVAL); /* left open */

    pq_tw_init(&w, &b);
    pq_tw_struct_begin(&w);
    pq_tw_field(&w, 1, PQ_T_BOOL); /* bools go through pq_tw_field_bool */
    pq_tw_struct_end(&w);
    assert_int_equal(pq_tw_finish(&w), DELTA_EINVAL);
    dbuf_free(&b);
}

static void test_writer_oom(void **state)
{
    (void)state;
    /* Fail each allocation in turn: the error surfaces once, at finish. */
    for (long k = 1; k < 10; k++) {
        dbuf b = DBUF_INIT;
        delta_alloc_fail_after(k);
        pq_twriter w;
        pq_tw_init(&w, &b);
        pq_tw_struct_begin(&w);
        for (int i = 0; i < 100; i++)
            pq_tw_field_binary(&w, (int16_t)(i + 1), "0123456789abcdef", 16);
        pq_tw_struct_end(&w);
        int rc = pq_tw_finish(&w);
        long injected = delta_alloc_injected_failures();
        delta_alloc_fail_after(0);
        if (injected)
            assert_int_equal(rc, DELTA_ENOMEM);
        else
            assert_int_equal(rc, 0);
        dbuf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_varint_roundtrip, setup),
        cmocka_unit_test_setup(test_zigzag_roundtrip, setup),
        cmocka_unit_test(test_zigzag_wire_form),
        cmocka_unit_test_setup(test_double_and_binary_roundtrip, setup),
        cmocka_unit_test(test_field_headers),
        cmocka_unit_test(test_containers),
        cmocka_unit_test(test_skip_every_type),
        cmocka_unit_test_setup(test_garbage_never_crashes, setup),
        cmocka_unit_test(test_varint_hostile),
        cmocka_unit_test(test_lengths_and_counts_hostile),
        cmocka_unit_test(test_deep_nesting_refused),
        cmocka_unit_test(test_writer_misuse),
        cmocka_unit_test(test_writer_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
