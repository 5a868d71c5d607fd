/*
 * Parquet value and level encodings (Apache Parquet Encodings.md): bit
 * packing, the RLE/bit-packed hybrid, legacy BIT_PACKED, PLAIN,
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY,
 * BYTE_STREAM_SPLIT and dictionary gathers.
 *
 * Conventions shared by every function here:
 *  - Decoders read a bounded byte range [src, src+len) and never read
 *    outside it. Malformed input returns DELTA_ECORRUPT with a message that
 *    names the encoding, what was wrong and the byte offset in the range.
 *  - Decoders are "whole page": they decode exactly n values (the caller
 *    knows n from the page header and the definition levels) and fail if
 *    the data holds fewer. Where the caller needs to know where the encoded
 *    values end, a `consumed` out-parameter (may be NULL) receives it.
 *    The RLE and DELTA_BINARY_PACKED decoders are also offered as streaming
 *    state machines for callers that decode in batches.
 *  - Multi-byte numbers come out in host order. FIXED_LEN_BYTE_ARRAY and
 *    INT96 values are raw bytes.
 *  - Encoders append to a dbuf. They keep its sticky error: each returns
 *    out->err (0 or the first failure), so a writer may also check once at
 *    the end.
 *  - Variable-length values (BYTE_ARRAY) are decoded by APPENDING to a
 *    pq_bytes_out: Arrow-style int32 offsets (count+1 entries, offsets[0] is
 *    0) and one contiguous data buffer. A decoder that fails leaves the
 *    pq_bytes_out as it was before the call. Totals beyond INT32_MAX bytes
 *    are refused with DELTA_ERANGE. Encoders take the same shape as input:
 *    value i is data[offsets[i] .. offsets[i+1]).
 */
#ifndef DELTA_PARQUET_ENCODING_H
#define DELTA_PARQUET_ENCODING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* ------------------------------------------------------------------------
 * Bit packing (LSB-first, the order of the RLE/bit-packed hybrid)
 * ---------------------------------------------------------------------- */

/* Number of bits needed to represent max_value (0 for 0). */
unsigned pq_bit_width32(uint32_t max_value);
unsigned pq_bit_width64(uint64_t max_value);

/* Bytes occupied by n values packed at `width` bits: ceil(n*width/8). */
static inline size_t pq_packed_bytes(size_t n, unsigned width)
{
    return (n / 8) * width + ((n % 8) * width + 7) / 8;
}

/* Unpacks n values of `width` bits (0..32, resp. 0..64) from src, which
 * must hold pq_packed_bytes(n, width) bytes; reads nothing beyond them. */
void pq_unpack32(const uint8_t *src, size_t n, unsigned width, uint32_t *out);
void pq_unpack64(const uint8_t *src, size_t n, unsigned width, uint64_t *out);

/* Packs n values (bits above `width` are ignored) into exactly
 * pq_packed_bytes(n, width) bytes at dst; unused high bits of the last byte
 * are zero. */
void pq_pack32(const uint32_t *in, size_t n, unsigned width, uint8_t *dst);
void pq_pack64(const uint64_t *in, size_t n, unsigned width, uint8_t *dst);

/* ------------------------------------------------------------------------
 * RLE / bit-packed hybrid (RLE = 3): levels, dictionary indices, booleans
 * ---------------------------------------------------------------------- */

/* Streaming decoder over one encoded range (without its length prefix).
 * Fields are private. */
typedef struct pq_rle_dec {
    const uint8_t *base; /* start of the range, for error offsets */
    const uint8_t *p;    /* next run header */
    const uint8_t *end;
    const uint8_t *bp;   /* next unread byte of the current bit-packed run */
    const uint8_t *bp_end;
    uint64_t bp_left;    /* values left in the current bit-packed run */
    uint64_t nread;      /* values handed out so far */
    uint32_t rle_left;   /* values left in the current RLE run */
    uint32_t rle_value;
    unsigned width;
    unsigned grp_pos, grp_n; /* buffered values of a split group */
    uint32_t grp[8];
} pq_rle_dec;

/* Starts decoding [src, src+len) at `width` bits (0..32; larger is
 * DELTA_ECORRUPT). */
int pq_rle_init(pq_rle_dec *d, const uint8_t *src, size_t len, unsigned width);

/* Dictionary-index data: one byte of bit width (<= 32) then the runs. */
int pq_rle_init_dict(pq_rle_dec *d, const uint8_t *src, size_t len);

/* Data that starts with a 4-byte little-endian length (v1 page levels,
 * RLE booleans). *consumed receives 4 + that length: where the next
 * section of the page starts. */
int pq_rle_init_prefixed(pq_rle_dec *d, const uint8_t *src, size_t len, unsigned width,
                         size_t *consumed);

/* Decodes up to n values. *got < n means the data ended (not an error by
 * itself: the caller decides whether it needed more). A malformed run is
 * DELTA_ECORRUPT. */
int pq_rle_read(pq_rle_dec *d, uint32_t *out, size_t n, size_t *got);

/* Decodes exactly n values; running out of data is DELTA_ECORRUPT. */
int pq_rle_read_exact(pq_rle_dec *d, uint32_t *out, size_t n);

/* Streaming encoder. Fields are private. */
#define PQ_RLE_MAX_LITERAL 504 /* 63 groups: the run header fits one byte */
typedef struct pq_rle_enc {
    dbuf *out;
    unsigned width;
    uint32_t cur; /* value of the current repeat */
    uint32_t rep; /* repeats of cur since the last group boundary */
    unsigned nbuf;
    unsigned nlit;
    uint32_t buf[8];
    uint32_t lit[PQ_RLE_MAX_LITERAL];
} pq_rle_enc;

/* Starts encoding at `width` bits (0..32; larger is treated as 32) onto
 * out. Runs of 8 or more equal values become RLE runs, everything else
 * bit-packed groups of 8 (the last one zero-padded). Value bits above
 * `width` are ignored. */
void pq_rle_enc_init(pq_rle_enc *e, dbuf *out, unsigned width);
void pq_rle_enc_put(pq_rle_enc *e, uint32_t value);
void pq_rle_enc_put_batch(pq_rle_enc *e, const uint32_t *values, size_t n);
/* n copies of one value (levels of a span without nulls); constant time
 * once inside a run. */
void pq_rle_enc_put_repeat(pq_rle_enc *e, uint32_t value, size_t n);
/* Writes what is pending; the encoder may be reused afterwards. Returns
 * out->err. */
int pq_rle_enc_finish(pq_rle_enc *e);

/* One-shot forms. _prefixed writes the 4-byte length first; _dict writes
 * the one-byte bit width first. */
int pq_rle_encode(dbuf *out, const uint32_t *values, size_t n, unsigned width);
int pq_rle_encode_prefixed(dbuf *out, const uint32_t *values, size_t n, unsigned width);
int pq_rle_encode_dict(dbuf *out, const uint32_t *indices, size_t n, unsigned width);

/* BOOLEAN with RLE encoding (length-prefixed, width 1). Values are bytes
 * 0/1 (encoders treat nonzero as 1). */
int pq_rle_decode_bool(const uint8_t *src, size_t len, size_t n, uint8_t *out,
                       size_t *consumed);
int pq_rle_encode_bool(dbuf *out, const uint8_t *values, size_t n);

/* Legacy BIT_PACKED (= 4, deprecated; levels only): n values of `width`
 * bits packed MSB-first, ceil(n*width/8) bytes, no header. */
int pq_bitpacked_legacy_decode(const uint8_t *src, size_t len, unsigned width, size_t n,
                               uint32_t *out, size_t *consumed);
int pq_bitpacked_legacy_encode(dbuf *out, const uint32_t *values, size_t n, unsigned width);

/* ------------------------------------------------------------------------
 * Variable-length output
 * ---------------------------------------------------------------------- */

typedef struct pq_bytes_out {
    int32_t *offsets; /* count+1 entries once anything is reserved */
    size_t count;     /* values held */
    size_t cap;       /* entries allocated in offsets */
    dbuf data;        /* the bytes of every value, back to back */
} pq_bytes_out;

#define PQ_BYTES_OUT_INIT {NULL, 0, 0, DBUF_INIT}

/* Makes room for `values` more values and `bytes` more data bytes. */
int pq_bytes_reserve(pq_bytes_out *b, size_t values, size_t bytes);
/* Appends one value. */
int pq_bytes_append(pq_bytes_out *b, const void *p, size_t len);
/* Forgets the values, keeping the memory. */
void pq_bytes_reset(pq_bytes_out *b);
void pq_bytes_free(pq_bytes_out *b);

/* A value borrowed from a buffer the caller keeps alive. */
typedef struct pq_bytes_view {
    const uint8_t *ptr;
    uint32_t len;
} pq_bytes_view;

/* ------------------------------------------------------------------------
 * PLAIN (= 0)
 * ---------------------------------------------------------------------- */

/* BOOLEAN: n bits LSB-first, ceil(n/8) bytes; out gets one byte 0/1 per
 * value. */
int pq_plain_decode_bool(const uint8_t *src, size_t len, size_t n, uint8_t *out,
                         size_t *consumed);
int pq_plain_encode_bool(dbuf *out, const uint8_t *values, size_t n);

/* Fixed-width numbers (INT32, INT64, FLOAT, DOUBLE), n*4 or n*8 bytes. */
int pq_plain_decode_int32(const uint8_t *src, size_t len, size_t n, int32_t *out);
int pq_plain_decode_int64(const uint8_t *src, size_t len, size_t n, int64_t *out);
int pq_plain_decode_float(const uint8_t *src, size_t len, size_t n, float *out);
int pq_plain_decode_double(const uint8_t *src, size_t len, size_t n, double *out);
int pq_plain_encode_int32(dbuf *out, const int32_t *values, size_t n);
int pq_plain_encode_int64(dbuf *out, const int64_t *values, size_t n);
int pq_plain_encode_float(dbuf *out, const float *values, size_t n);
int pq_plain_encode_double(dbuf *out, const double *values, size_t n);

/* Raw fixed-size values copied byte for byte: INT96 (width 12) and
 * FIXED_LEN_BYTE_ARRAY (width = type_length >= 1). */
int pq_plain_decode_fixed(const uint8_t *src, size_t len, size_t n, size_t width, void *out);
int pq_plain_encode_fixed(dbuf *out, const void *values, size_t n, size_t width);

/* BYTE_ARRAY: each value a 4-byte little-endian length and its bytes. */
int pq_plain_decode_byte_array(const uint8_t *src, size_t len, size_t n, pq_bytes_out *out,
                               size_t *consumed);
/* Zero-copy form: out[i] points into src (for dictionary pages). */
int pq_plain_scan_byte_array(const uint8_t *src, size_t len, size_t n, pq_bytes_view *out,
                             size_t *consumed);
int pq_plain_encode_byte_array(dbuf *out, const int32_t *offsets, const uint8_t *data,
                               size_t n);

/* INT96 timestamps (nanoseconds of day, then Julian day, little-endian)
 * to and from nanoseconds since the Unix epoch; out of int64 range is
 * DELTA_ERANGE. */
int pq_int96_to_nanos(const uint8_t v[12], int64_t *out);
void pq_nanos_to_int96(int64_t nanos, uint8_t v[12]);

/* ------------------------------------------------------------------------
 * Dictionary gathers (RLE_DICTIONARY / PLAIN_DICTIONARY data pages)
 * ---------------------------------------------------------------------- */

/* out[i] = dict[idx[i]] for fixed-size entries of `width` bytes. Every index
 * is checked against dict_count; the first bad one is named in the
 * DELTA_ECORRUPT message and out is then unspecified. */
int pq_dict_gather(const void *dict, size_t dict_count, size_t width, const uint32_t *idx,
                   size_t n, void *out);
/* Appends dict[idx[i]] for byte-array dictionaries. */
int pq_dict_gather_bytes(const pq_bytes_view *dict, size_t dict_count, const uint32_t *idx,
                         size_t n, pq_bytes_out *out);
/* The same for dictionaries whose every value is followed by at least
 * PQ_DICT_PAD readable bytes (the caller keeps the dictionary bytes in a
 * padded buffer): short values are then copied in one fixed-size move. */
#define PQ_DICT_PAD 16
int pq_dict_gather_bytes_padded(const pq_bytes_view *dict, size_t dict_count,
                                const uint32_t *idx, size_t n, pq_bytes_out *out);

/* ------------------------------------------------------------------------
 * DELTA_BINARY_PACKED (= 5) for INT32 and INT64
 * ---------------------------------------------------------------------- */

/* Streaming decoder. Fields are private. */
typedef struct pq_delta_dec {
    const uint8_t *base;
    const uint8_t *p;      /* stream position after the current miniblock */
    const uint8_t *end;
    const uint8_t *widths; /* bit widths of the current block's miniblocks */
    const uint8_t *mp;     /* read position inside the current miniblock */
    uint64_t total;        /* values announced by the header */
    uint64_t left;         /* values not yet handed out */
    uint64_t last;         /* last value produced (wrapping arithmetic) */
    uint64_t min_delta;
    uint64_t mini_left;    /* values left in the current miniblock */
    uint32_t per_mini;     /* values per miniblock (multiple of 32) */
    uint32_t minis;        /* miniblocks per block */
    uint32_t mini_idx;     /* next miniblock of the current block */
    unsigned bits;         /* 32 or 64 */
    unsigned width;        /* bit width of the current miniblock */
    bool first_done;
    unsigned grp_pos, grp_n;
    uint64_t grp[8];
} pq_delta_dec;

/* Reads and validates the header; value_bits is 32 (INT32) or 64 (INT64). */
int pq_delta_init(pq_delta_dec *d, const uint8_t *src, size_t len, unsigned value_bits);
/* The value count announced by the header. */
static inline uint64_t pq_delta_count(const pq_delta_dec *d)
{
    return d->total;
}
/* Decodes the next n values (32-bit decoders only for read32, 64-bit for
 * read64); asking for more than remain is DELTA_ECORRUPT. */
int pq_delta_read32(pq_delta_dec *d, int32_t *out, size_t n);
int pq_delta_read64(pq_delta_dec *d, int64_t *out, size_t n);
/* Walks over the values not yet read (checking their structure) and
 * returns the length of the whole encoded stream in *consumed. */
int pq_delta_end(pq_delta_dec *d, size_t *consumed);

/* Whole-page forms: the header must announce at least n values. */
int pq_delta_decode_int32(const uint8_t *src, size_t len, size_t n, int32_t *out,
                          size_t *consumed);
int pq_delta_decode_int64(const uint8_t *src, size_t len, size_t n, int64_t *out,
                          size_t *consumed);
/* Block size 128, 4 miniblocks of 32 values. */
int pq_delta_encode_int32(dbuf *out, const int32_t *values, size_t n);
int pq_delta_encode_int64(dbuf *out, const int64_t *values, size_t n);

/* ------------------------------------------------------------------------
 * DELTA_LENGTH_BYTE_ARRAY (= 6) and DELTA_BYTE_ARRAY (= 7)
 * ---------------------------------------------------------------------- */

/* The length streams must announce exactly n values. */
int pq_dlba_decode(const uint8_t *src, size_t len, size_t n, pq_bytes_out *out,
                   size_t *consumed);
int pq_dlba_encode(dbuf *out, const int32_t *offsets, const uint8_t *data, size_t n);

/* Each prefix length must not exceed the previous value's length (the
 * first value of a page has none). */
int pq_dba_decode(const uint8_t *src, size_t len, size_t n, pq_bytes_out *out,
                  size_t *consumed);
/* FIXED_LEN_BYTE_ARRAY form: every value must be type_length bytes; out
 * receives n*type_length bytes. */
int pq_dba_decode_fixed(const uint8_t *src, size_t len, size_t n, size_t type_length,
                        uint8_t *out, size_t *consumed);
int pq_dba_encode(dbuf *out, const int32_t *offsets, const uint8_t *data, size_t n);

/* ------------------------------------------------------------------------
 * BYTE_STREAM_SPLIT (= 9): FLOAT, DOUBLE, INT32, INT64 (width 4/8),
 * FIXED_LEN_BYTE_ARRAY (width type_length)
 * ---------------------------------------------------------------------- */

/* The page's values section is `width` streams of len/width bytes each;
 * len must be a multiple of width and hold at least n values. out receives
 * n values of `width` bytes in little-endian (file) byte order; on a
 * big-endian host numeric types need pq_le_to_host afterwards. */
int pq_bss_decode(const uint8_t *src, size_t len, size_t n, size_t width, void *out);
/* Scatters n values of `width` bytes into the streams. Like the decoder it
 * works on raw bytes: numbers must be in little-endian order (host order on
 * little-endian hosts). */
int pq_bss_encode(dbuf *out, const void *values, size_t n, size_t width);

/* Converts n little-endian values of width 4 or 8 to host order in place
 * (a no-op on little-endian hosts). */
void pq_le_to_host(void *values, size_t n, size_t width);

#endif
