/*
 * The column chunk reader (see column_reader.h): pages in, levels and
 * densely packed values out, whole records per call.
 *
 * Decoding is page at a time. When a data page loads, its levels are
 * decoded in full into page-sized int16 arrays (checked against their
 * maximum, counting the entries that carry a value), and the value decoder
 * is positioned at the page's values. A read then takes a run of entries
 * from the current page, cut where the record limit falls (before an entry
 * with rep == 0), copies the levels into the batch and decodes exactly the
 * number of values those entries carry, straight into the batch for the
 * streamable encodings (PLAIN, dictionary indices, RLE booleans,
 * DELTA_BINARY_PACKED). DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
 * BYTE_STREAM_SPLIT are decoded for the whole page into a scratch buffer
 * when it loads and copied out from there.
 *
 * Invariants: page_i <= page_n and page_vi <= page_nvals; the values the
 * levels of [page_i, page_n) carry are exactly page_nvals - page_vi (the
 * decoders fail if the data holds fewer). levels_total is the sum of the
 * num_values of the data pages loaded so far and never exceeds the chunk's
 * num_values. Once err is set the reader returns it forever.
 */
#include "parquet/column_reader.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "parquet/codec.h"

/* Values decoded per step of the chunked loops (levels, indices). */
#define STEP 1024
/* A batch stops early, at a record boundary, past this many value bytes. */
#define BATCH_BYTES_SOFT_LIMIT ((size_t)1 << 30)

enum vmode {
    VM_NONE = 0,
    VM_PLAIN_FIXED,
    VM_PLAIN_BOOL,
    VM_PLAIN_BYTES,
    VM_DICT,
    VM_RLE_BOOL,
    VM_DELTA,
    VM_SCRATCH_FIXED,
    VM_SCRATCH_BYTES
};

struct pq_column_reader {
    pq_file *file;
    uint32_t rg, leaf;
    const pq_schema_node *node;
    const pq_column_meta *cm;
    int32_t type;
    size_t width; /* bytes per value; 0 for BYTE_ARRAY */
    int16_t max_def, max_rep;
    unsigned def_bits, rep_bits;
    int codec;
    int err;

    /* the chunk */
    const uint8_t *chunk;
    uint8_t *chunk_buf;   /* the chunk's bytes when read from a store, kept across chunks */
    size_t chunk_cap;
    uint64_t chunk_start;
    size_t chunk_len;
    size_t pos;            /* next page header */
    uint64_t levels_total; /* num_values of the data pages loaded */
    uint64_t levels_out;   /* level entries handed out */
    uint64_t records_out;  /* records handed out */
    uint64_t page_off;     /* file offset of the current page's header */
    bool seen_data_page;
    bool finished;

    /* the dictionary */
    bool has_dict;
    uint8_t *dict_buf; /* decompressed dictionary page, when compressed */
    size_t dict_buf_cap;
    void *dict_vals; /* fixed-width entries */
    pq_bytes_view *dict_views;
    size_t dict_count;

    /* the current data page */
    uint8_t *page_buf; /* decompression target */
    size_t page_buf_cap;
    int16_t *page_def, *page_rep;
    size_t page_def_cap, page_rep_cap;
    size_t page_n, page_i;      /* level entries, consumed */
    size_t page_nvals, page_vi; /* values, consumed */
    bool page_all_defined;      /* every entry carries a value */
    int encoding;
    enum vmode vmode;
    const uint8_t *vp, *vend; /* values section (PLAIN modes advance vp) */
    uint64_t bitpos;          /* PLAIN BOOLEAN */
    pq_rle_dec rle;
    pq_delta_dec delta;
    uint8_t *scratch;
    size_t scratch_cap;
    pq_bytes_out scratch_bytes;

    uint32_t tmp[STEP];
};

/* ------------------------------------------------------------- errors */

static void describe(const pq_column_reader *r, dbuf *d)
{
    pq_file_describe_chunk(r->file, r->rg, r->leaf, d);
    if (r->seen_data_page || r->has_dict || r->page_off)
        dbuf_printf(d, ", page at offset %" PRIu64, r->page_off);
}

/* Adds the reader's context to the current message; makes the error
 * sticky. */
static int fail(pq_column_reader *r, int rc)
{
    dbuf d = DBUF_INIT;
    describe(r, &d);
    rc = delta_error_prefix(rc, "%s: ", dbuf_cstr(&d));
    dbuf_free(&d);
    r->err = rc;
    return rc;
}

static int corrupt(pq_column_reader *r, const char *fmt, ...) DELTA_PRINTF(2, 3);
static int corrupt(pq_column_reader *r, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dbuf d = DBUF_INIT;
    describe(r, &d);
    int rc = delta_error_set(DELTA_ECORRUPT, "%s: %s", dbuf_cstr(&d), msg);
    dbuf_free(&d);
    r->err = rc;
    return rc;
}

static int unsupported(pq_column_reader *r, const char *what, int32_t value)
{
    dbuf d = DBUF_INIT;
    describe(r, &d);
    int rc =
        delta_error_set(DELTA_EUNSUPPORTED, "%s: %s %s (%" PRId32 ") is not supported for %s",
                        dbuf_cstr(&d), what, pq_encoding_name(value), value, pq_type_name(r->type));
    dbuf_free(&d);
    r->err = rc;
    return rc;
}

/* ---------------------------------------------------------- buffers */

/* Grows the array whose pointer is at pp (any object pointer type) to at
 * least need elements of elem bytes. */
static int grow(void *pp, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c = c > SIZE_MAX / 4 ? need : c * 2;
    void *old;
    memcpy(&old, pp, sizeof old);
    void *n = delta_reallocarray(old, c, elem);
    if (!n)
        return DELTA_ENOMEM;
    memcpy(pp, &n, sizeof n);
    *cap = c;
    return 0;
}

/* Appends values [first, first+n) of src to out. */
static int bytes_append_range(pq_bytes_out *out, const pq_bytes_out *src, size_t first, size_t n)
{
    if (n == 0)
        return pq_bytes_reserve(out, 0, 0);
    size_t s = (size_t)src->offsets[first], e = (size_t)src->offsets[first + n];
    size_t len = e - s;
    if (len > (size_t)INT32_MAX - out->data.len)
        return delta_error_set(DELTA_ERANGE,
                               "byte array values exceed %d bytes in one column batch", INT32_MAX);
    int rc = pq_bytes_reserve(out, n, len);
    if (rc)
        return rc;
    size_t base = out->data.len;
    if (len)
        memcpy(out->data.data + base, src->data.data + s, len);
    int32_t *o = out->offsets + out->count + 1;
    const int32_t *so = src->offsets + first + 1;
    int32_t shift = (int32_t)((int64_t)base - (int64_t)s);
    for (size_t i = 0; i < n; i++)
        o[i] = so[i] + shift;
    out->count += n;
    out->data.len = base + len;
    out->data.data[out->data.len] = '\0';
    return 0;
}

/* ------------------------------------------------------------ levels */

/* Narrows n decoded levels into out, checking them against max; adds the
 * entries equal to max to *nmax. Returns 0 or 1 when a level is above max. */
static int narrow_levels(const uint32_t *in, size_t n, int16_t *out, uint32_t max, size_t *nmax)
{
    uint32_t over = 0;
    size_t cnt = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = in[i];
        over |= v > max;
        cnt += v == max;
        out[i] = (int16_t)v;
    }
    *nmax += cnt;
    return over != 0;
}

/* Decodes n levels from an RLE/bit-packed stream already initialised. */
static int levels_rle(pq_column_reader *r, pq_rle_dec *d, size_t n, int16_t *out, int16_t max,
                      const char *which, size_t *nmax)
{
    for (size_t done = 0; done < n;) {
        size_t k = n - done < STEP ? n - done : STEP;
        int rc = pq_rle_read_exact(d, r->tmp, k);
        if (rc)
            return fail(r, delta_error_prefix(rc, "%s levels: ", which));
        if (narrow_levels(r->tmp, k, out + done, (uint32_t)max, nmax))
            return corrupt(r, "%s level above the maximum %d near entry %zu", which, max, done);
        done += k;
    }
    return 0;
}

/* v1 levels at p (RLE with length prefix, or legacy BIT_PACKED); sets
 * *used to the bytes they occupy. */
static int levels_v1(pq_column_reader *r, int32_t encoding, const uint8_t *p, size_t len, size_t n,
                     int16_t *out, int16_t max, unsigned bits, const char *which, size_t *nmax,
                     size_t *used)
{
    if (encoding == PQ_ENC_RLE) {
        pq_rle_dec d;
        int rc = pq_rle_init_prefixed(&d, p, len, bits, used);
        if (rc)
            return fail(r, delta_error_prefix(rc, "%s levels: ", which));
        return levels_rle(r, &d, n, out, max, which, nmax);
    }
    if (encoding == PQ_ENC_BIT_PACKED) {
        size_t need = pq_packed_bytes(n, bits);
        if (need > len)
            return corrupt(r, "%s levels: BIT_PACKED needs %zu bytes, %zu present", which, need,
                           len);
        /* STEP is a multiple of 8, so every step starts on a byte. */
        for (size_t done = 0; done < n;) {
            size_t k = n - done < STEP ? n - done : STEP;
            const uint8_t *src = p + (done / 8) * bits;
            int rc =
                pq_bitpacked_legacy_decode(src, (size_t)(p + len - src), bits, k, r->tmp, NULL);
            if (rc)
                return fail(r, delta_error_prefix(rc, "%s levels: ", which));
            if (narrow_levels(r->tmp, k, out + done, (uint32_t)max, nmax))
                return corrupt(r, "%s level above the maximum %d near entry %zu", which, max, done);
            done += k;
        }
        *used = need;
        return 0;
    }
    dbuf d = DBUF_INIT;
    describe(r, &d);
    int rc = delta_error_set(DELTA_EUNSUPPORTED, "%s: %s level encoding %s (%" PRId32 ")",
                             dbuf_cstr(&d), which, pq_encoding_name(encoding), encoding);
    dbuf_free(&d);
    r->err = rc;
    return rc;
}

/* ------------------------------------------------------- decompression */

/* Largest expansion each codec's format allows (with some slack); 0 means
 * no useful bound. */
static uint64_t codec_max_ratio(int codec)
{
    switch (codec) {
    case PQ_CODEC_SNAPPY: return 32;
    case PQ_CODEC_LZ4:
    case PQ_CODEC_LZ4_RAW: return 300;
    case PQ_CODEC_GZIP: return 1100;
    case PQ_CODEC_ZSTD:
    case PQ_CODEC_BROTLI: return 1u << 16;
    default: return 0;
    }
}

/* Produces the uncompressed bytes of a compressed section: *out points into
 * the chunk when nothing is compressed, else into *buf (grown as needed). */
static int decompress(pq_column_reader *r, bool compressed, const uint8_t *src, size_t clen,
                      size_t ulen, uint8_t **buf, size_t *cap, const uint8_t **out)
{
    if (!compressed || r->codec == PQ_CODEC_UNCOMPRESSED) {
        if (clen != ulen)
            return corrupt(r, "uncompressed page data has %zu bytes but the header announces %zu",
                           clen, ulen);
        *out = src;
        return 0;
    }
    if (ulen > PQ_MAX_PAGE_SIZE)
        return corrupt(r, "uncompressed page size %zu exceeds the %u-byte limit", ulen,
                       PQ_MAX_PAGE_SIZE);
    uint64_t ratio = codec_max_ratio(r->codec);
    if (ulen > PQ_PAGE_RATIO_FREE && ratio && (uint64_t)ulen / ratio > clen)
        return corrupt(r, "uncompressed page size %zu is more than %s can expand %zu bytes to",
                       ulen, pq_codec_name(r->codec), clen);
    if (grow(buf, cap, ulen ? ulen : 1, 1))
        return fail(r, DELTA_ENOMEM);
    int rc = pq_decompress(r->codec, src, clen, *buf, ulen);
    if (rc)
        return fail(r, rc);
    *out = *buf;
    return 0;
}

/* -------------------------------------------------------- dictionary */

static bool numeric_le(int32_t type)
{
    return type == PQ_TYPE_INT32 || type == PQ_TYPE_INT64 || type == PQ_TYPE_FLOAT ||
           type == PQ_TYPE_DOUBLE;
}

static int load_dictionary(pq_column_reader *r, const pq_page_header *h, const uint8_t *body)
{
    if (r->seen_data_page)
        return corrupt(r, "dictionary page after a data page");
    if (r->has_dict)
        return corrupt(r, "second dictionary page");
    if (!h->has_dictionary_page_header)
        return corrupt(r, "dictionary page without a dictionary page header");
    const pq_dictionary_page_header *dh = &h->dictionary_page_header;
    if (dh->encoding != PQ_ENC_PLAIN && dh->encoding != PQ_ENC_PLAIN_DICTIONARY)
        return unsupported(r, "dictionary page encoding", dh->encoding);
    if (dh->num_values < 0)
        return corrupt(r, "dictionary page with %" PRId32 " values", dh->num_values);
    size_t ulen = (size_t)h->uncompressed_page_size, clen = (size_t)h->compressed_page_size;
    const uint8_t *data;
    int rc = decompress(r, true, body, clen, ulen, &r->dict_buf, &r->dict_buf_cap, &data);
    if (rc)
        return rc;
    size_t n = (size_t)dh->num_values;
    if (r->type == PQ_TYPE_BYTE_ARRAY) {
        if (n > ulen / 4)
            return corrupt(r, "dictionary of %zu byte arrays cannot fit %zu bytes", n, ulen);
        /* Keep the dictionary bytes in our buffer with PQ_DICT_PAD bytes to
         * spare, so gathers copy short strings in one move. */
        if (data != r->dict_buf) {
            if (grow(&r->dict_buf, &r->dict_buf_cap, ulen + PQ_DICT_PAD, 1))
                return fail(r, DELTA_ENOMEM);
            memcpy(r->dict_buf, data, ulen);
            data = r->dict_buf;
        } else if (grow(&r->dict_buf, &r->dict_buf_cap, ulen + PQ_DICT_PAD, 1)) {
            return fail(r, DELTA_ENOMEM);
        }
        data = r->dict_buf;
        r->dict_views = delta_malloc((n ? n : 1) * sizeof *r->dict_views);
        if (!r->dict_views)
            return fail(r, DELTA_ENOMEM);
        rc = pq_plain_scan_byte_array(data, ulen, n, r->dict_views, NULL);
    } else {
        bool is_bool = r->type == PQ_TYPE_BOOLEAN;
        if (is_bool ? n / 8 > ulen : n > ulen / r->width)
            return corrupt(r, "dictionary of %zu values cannot fit %zu bytes", n, ulen);
        r->dict_vals = delta_malloc(n ? n * r->width : 1);
        if (!r->dict_vals)
            return fail(r, DELTA_ENOMEM);
        if (is_bool) {
            rc = pq_plain_decode_bool(data, ulen, n, r->dict_vals, NULL);
        } else {
            rc = pq_plain_decode_fixed(data, ulen, n, r->width, r->dict_vals);
            if (rc == 0 && numeric_le(r->type))
                pq_le_to_host(r->dict_vals, n, r->width);
        }
    }
    if (rc)
        return fail(r, delta_error_prefix(rc, "dictionary page: "));
    r->dict_count = n;
    r->has_dict = true;
    return 0;
}

/* ------------------------------------------------------- data pages */

static int ensure_page_levels(pq_column_reader *r, size_t n)
{
    if (r->max_def && grow(&r->page_def, &r->page_def_cap, n, sizeof(int16_t)))
        return fail(r, DELTA_ENOMEM);
    if (r->max_rep && grow(&r->page_rep, &r->page_rep_cap, n, sizeof(int16_t)))
        return fail(r, DELTA_ENOMEM);
    return 0;
}

/* Positions the value decoder on [p, p+len) holding r->page_nvals
 * values in `encoding`. */
static int setup_values(pq_column_reader *r, int32_t encoding, const uint8_t *p, size_t len)
{
    size_t nv = r->page_nvals;
    int rc = 0;
    r->encoding = encoding;
    r->vp = p;
    r->vend = p + len;
    r->bitpos = 0;
    r->vmode = VM_NONE;
    switch (encoding) {
    case PQ_ENC_PLAIN:
        r->vmode = r->type == PQ_TYPE_BOOLEAN      ? VM_PLAIN_BOOL
                   : r->type == PQ_TYPE_BYTE_ARRAY ? VM_PLAIN_BYTES
                                                   : VM_PLAIN_FIXED;
        return 0;
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY:
        if (!r->has_dict)
            return corrupt(r, "dictionary-encoded page but the chunk has no dictionary page");
        r->vmode = VM_DICT;
        if (nv == 0)
            return 0;
        rc = pq_rle_init_dict(&r->rle, p, len);
        break;
    case PQ_ENC_RLE:
        if (r->type != PQ_TYPE_BOOLEAN)
            return unsupported(r, "value encoding", encoding);
        r->vmode = VM_RLE_BOOL;
        if (nv == 0)
            return 0;
        rc = pq_rle_init_prefixed(&r->rle, p, len, 1, NULL);
        break;
    case PQ_ENC_DELTA_BINARY_PACKED:
        if (r->type != PQ_TYPE_INT32 && r->type != PQ_TYPE_INT64)
            return unsupported(r, "value encoding", encoding);
        r->vmode = VM_DELTA;
        if (nv == 0)
            return 0;
        rc = pq_delta_init(&r->delta, p, len, r->type == PQ_TYPE_INT32 ? 32 : 64);
        if (rc == 0 && pq_delta_count(&r->delta) < nv)
            return corrupt(
                r, "DELTA_BINARY_PACKED header announces %" PRIu64 " values, the levels need %zu",
                pq_delta_count(&r->delta), nv);
        break;
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
        if (r->type != PQ_TYPE_BYTE_ARRAY)
            return unsupported(r, "value encoding", encoding);
        r->vmode = VM_SCRATCH_BYTES;
        pq_bytes_reset(&r->scratch_bytes);
        if (nv == 0)
            return 0;
        rc = pq_dlba_decode(p, len, nv, &r->scratch_bytes, NULL);
        break;
    case PQ_ENC_DELTA_BYTE_ARRAY:
        if (r->type == PQ_TYPE_BYTE_ARRAY) {
            r->vmode = VM_SCRATCH_BYTES;
            pq_bytes_reset(&r->scratch_bytes);
            if (nv == 0)
                return 0;
            rc = pq_dba_decode(p, len, nv, &r->scratch_bytes, NULL);
        } else if (r->type == PQ_TYPE_FIXED_LEN_BYTE_ARRAY) {
            r->vmode = VM_SCRATCH_FIXED;
            if (nv == 0)
                return 0;
            if (nv > len) /* every value costs at least one byte of lengths */
                return corrupt(r, "DELTA_BYTE_ARRAY: %zu values cannot fit %zu bytes", nv, len);
            if (grow(&r->scratch, &r->scratch_cap, nv * r->width, 1))
                return fail(r, DELTA_ENOMEM);
            rc = pq_dba_decode_fixed(p, len, nv, r->width, r->scratch, NULL);
        } else {
            return unsupported(r, "value encoding", encoding);
        }
        break;
    case PQ_ENC_BYTE_STREAM_SPLIT:
        if (r->type == PQ_TYPE_BOOLEAN || r->type == PQ_TYPE_BYTE_ARRAY || r->type == PQ_TYPE_INT96)
            return unsupported(r, "value encoding", encoding);
        r->vmode = VM_SCRATCH_FIXED;
        if (nv == 0)
            return 0;
        if (nv > len / r->width)
            return corrupt(r, "BYTE_STREAM_SPLIT: %zu values of %zu bytes need more than %zu", nv,
                           r->width, len);
        if (grow(&r->scratch, &r->scratch_cap, nv * r->width, 1))
            return fail(r, DELTA_ENOMEM);
        rc = pq_bss_decode(p, len, nv, r->width, r->scratch);
        if (rc == 0 && numeric_le(r->type))
            pq_le_to_host(r->scratch, nv, r->width);
        break;
    default: return unsupported(r, "value encoding", encoding);
    }
    if (rc)
        return fail(r, rc);
    return 0;
}

/* Common checks before a data page's levels: the count fits the chunk. */
static int start_data_page(pq_column_reader *r, int32_t num_values)
{
    if (num_values < 0)
        return corrupt(r, "data page with %" PRId32 " values", num_values);
    if ((uint64_t)num_values > PQ_MAX_PAGE_VALUES)
        return corrupt(r, "data page with %" PRId32 " values exceeds the limit of %u", num_values,
                       PQ_MAX_PAGE_VALUES);
    if ((uint64_t)num_values > (uint64_t)r->cm->num_values - r->levels_total)
        return corrupt(
            r, "data pages hold more than the %" PRId64 " values the chunk metadata announces",
            r->cm->num_values);
    r->seen_data_page = true;
    r->levels_total += (uint64_t)num_values;
    r->page_n = (size_t)num_values;
    r->page_i = 0;
    r->page_vi = 0;
    return ensure_page_levels(r, r->page_n);
}

/* After the levels: value count, record-start check. */
static int finish_levels(pq_column_reader *r, size_t nmax)
{
    r->page_nvals = r->max_def ? nmax : r->page_n;
    r->page_all_defined = r->page_nvals == r->page_n;
    if (r->width && (uint64_t)r->page_nvals * r->width > PQ_MAX_PAGE_SIZE)
        return corrupt(r, "%zu values of %zu bytes exceed the %u-byte page limit", r->page_nvals,
                       r->width, PQ_MAX_PAGE_SIZE);
    if (r->max_rep && r->page_n && r->levels_total == r->page_n && r->page_rep[0] != 0)
        return corrupt(r, "the chunk starts with repetition level %d instead of 0", r->page_rep[0]);
    return 0;
}

static int load_v1(pq_column_reader *r, const pq_page_header *h, const uint8_t *body)
{
    if (!h->has_data_page_header)
        return corrupt(r, "data page without a data page header");
    const pq_data_page_header *dh = &h->data_page_header;
    int rc = start_data_page(r, dh->num_values);
    if (rc)
        return rc;
    const uint8_t *data;
    size_t ulen = (size_t)h->uncompressed_page_size;
    rc = decompress(r, true, body, (size_t)h->compressed_page_size, ulen, &r->page_buf,
                    &r->page_buf_cap, &data);
    if (rc)
        return rc;
    const uint8_t *p = data, *end = data + ulen;
    size_t n = r->page_n, nmax = 0, rmax = 0, used = 0;
    if (r->max_rep) {
        rc = levels_v1(r, dh->repetition_level_encoding, p, (size_t)(end - p), n, r->page_rep,
                       r->max_rep, r->rep_bits, "repetition", &rmax, &used);
        if (rc)
            return rc;
        p += used;
    }
    if (r->max_def) {
        rc = levels_v1(r, dh->definition_level_encoding, p, (size_t)(end - p), n, r->page_def,
                       r->max_def, r->def_bits, "definition", &nmax, &used);
        if (rc)
            return rc;
        p += used;
    }
    rc = finish_levels(r, nmax);
    if (rc)
        return rc;
    return setup_values(r, dh->encoding, p, (size_t)(end - p));
}

static int load_v2(pq_column_reader *r, const pq_page_header *h, const uint8_t *body)
{
    if (!h->has_data_page_header_v2)
        return corrupt(r, "data page v2 without a data page header v2");
    const pq_data_page_header_v2 *dh = &h->data_page_header_v2;
    int rc = start_data_page(r, dh->num_values);
    if (rc)
        return rc;
    size_t clen = (size_t)h->compressed_page_size, ulen = (size_t)h->uncompressed_page_size;
    if (dh->num_nulls < 0 || dh->num_nulls > dh->num_values || dh->num_rows < 0 ||
        dh->definition_levels_byte_length < 0 || dh->repetition_levels_byte_length < 0)
        return corrupt(r,
                       "data page v2 header: %" PRId32 " values, %" PRId32 " nulls, %" PRId32
                       " rows, level lengths %" PRId32 " and %" PRId32,
                       dh->num_values, dh->num_nulls, dh->num_rows,
                       dh->repetition_levels_byte_length, dh->definition_levels_byte_length);
    size_t rl = (size_t)dh->repetition_levels_byte_length;
    size_t dl = (size_t)dh->definition_levels_byte_length;
    if (rl + dl > clen || rl + dl > ulen)
        return corrupt(r, "data page v2: level lengths %zu + %zu exceed the page (%zu bytes)", rl,
                       dl, clen < ulen ? clen : ulen);
    size_t n = r->page_n, nmax = 0, rmax = 0;
    if (r->max_rep) {
        pq_rle_dec d;
        rc = pq_rle_init(&d, body, rl, r->rep_bits);
        if (rc)
            return fail(r, rc);
        rc = levels_rle(r, &d, n, r->page_rep, r->max_rep, "repetition", &rmax);
        if (rc)
            return rc;
    }
    if (r->max_def) {
        pq_rle_dec d;
        rc = pq_rle_init(&d, body + rl, dl, r->def_bits);
        if (rc)
            return fail(r, rc);
        rc = levels_rle(r, &d, n, r->page_def, r->max_def, "definition", &nmax);
        if (rc)
            return rc;
    }
    rc = finish_levels(r, nmax);
    if (rc)
        return rc;
    if (r->page_nvals != (size_t)(dh->num_values - dh->num_nulls))
        return corrupt(r, "data page v2 announces %" PRId32 " nulls but its levels hold %zu",
                       dh->num_nulls, n - r->page_nvals);
    size_t rows = n;
    if (r->max_rep) {
        rows = 0;
        for (size_t i = 0; i < n; i++)
            rows += r->page_rep[i] == 0;
    }
    if (rows != (size_t)dh->num_rows)
        return corrupt(r, "data page v2 announces %" PRId32 " rows but its levels hold %zu",
                       dh->num_rows, rows);
    const uint8_t *data;
    rc = decompress(r, dh->is_compressed, body + rl + dl, clen - rl - dl, ulen - rl - dl,
                    &r->page_buf, &r->page_buf_cap, &data);
    if (rc)
        return rc;
    return setup_values(r, dh->encoding, data, ulen - rl - dl);
}

/* Loads the next data page. Returns 1 when one is loaded, 0 at the end of
 * the chunk, or a negative error. */
static int next_page(pq_column_reader *r)
{
    while (r->pos < r->chunk_len) {
        const uint8_t *at = r->chunk + r->pos;
        size_t left = r->chunk_len - r->pos, hlen = 0;
        r->page_off = r->chunk_start + r->pos;
        pq_page_header h;
        int rc = pq_page_header_decode(&h, at, left, &hlen);
        if (rc)
            return fail(r, delta_error_prefix(rc, "page header: "));
        if (h.compressed_page_size < 0 || h.uncompressed_page_size < 0)
            return corrupt(r,
                           "negative page size (%" PRId32 " compressed, %" PRId32 " uncompressed)",
                           h.compressed_page_size, h.uncompressed_page_size);
        if ((size_t)h.compressed_page_size > left - hlen)
            return corrupt(r,
                           "%s page of %" PRId32 " bytes runs past the end of the chunk "
                           "(%zu bytes left)",
                           pq_page_type_name(h.type), h.compressed_page_size, left - hlen);
        const uint8_t *body = at + hlen;
        r->pos += hlen + (size_t)h.compressed_page_size;
        switch (h.type) {
        case PQ_PAGE_DICTIONARY:
            rc = load_dictionary(r, &h, body);
            if (rc)
                return rc;
            continue;
        case PQ_PAGE_DATA: rc = load_v1(r, &h, body); break;
        case PQ_PAGE_DATA_V2: rc = load_v2(r, &h, body); break;
        default: continue; /* index pages and unknown types carry no data */
        }
        return rc ? rc : 1;
    }
    if (!r->finished) {
        r->finished = true;
        if (r->levels_total != (uint64_t)r->cm->num_values)
            return corrupt(
                r, "the chunk metadata announces %" PRId64 " values but its pages hold %" PRIu64,
                r->cm->num_values, r->levels_total);
        /* Every level has been handed out, so every record counted. */
        int64_t rows = pq_file_metadata(r->file)->row_groups[r->rg].num_rows;
        if (r->records_out != (uint64_t)rows)
            return corrupt(
                r, "the row group has %" PRId64 " rows but the chunk holds %" PRIu64 " records",
                rows, r->records_out);
    }
    return 0;
}

/* ------------------------------------------------------------ values */

/* Decodes the next n values of the page into the batch. */
static int decode_values(pq_column_reader *r, size_t n, pq_column_batch *b)
{
    if (n == 0)
        return 0;
    int rc = 0;
    uint8_t *out = NULL;
    if (r->type != PQ_TYPE_BYTE_ARRAY) {
        size_t need = (b->num_values + n) * r->width;
        if (grow(&b->values, &b->values_cap, need, 1))
            return fail(r, DELTA_ENOMEM);
        out = (uint8_t *)b->values + b->num_values * r->width;
    }
    switch (r->vmode) {
    case VM_PLAIN_FIXED: {
        size_t bytes = n * r->width, left = (size_t)(r->vend - r->vp);
        if (bytes / r->width != n || bytes > left)
            return corrupt(r, "PLAIN %s: %zu values need %zu bytes, %zu left",
                           pq_type_name(r->type), n, n * r->width, left);
        memcpy(out, r->vp, bytes);
        if (numeric_le(r->type))
            pq_le_to_host(out, n, r->width);
        r->vp += bytes;
        break;
    }
    case VM_PLAIN_BOOL: {
        uint64_t bits = (uint64_t)(r->vend - r->vp) * 8;
        if (n > bits - r->bitpos)
            return corrupt(r, "PLAIN BOOLEAN: %zu values need more than the %" PRIu64 " bits left",
                           n, bits - r->bitpos);
        const uint8_t *src = r->vp;
        uint64_t bp = r->bitpos;
        for (size_t i = 0; i < n; i++, bp++)
            out[i] = (uint8_t)((src[bp >> 3] >> (bp & 7)) & 1);
        r->bitpos = bp;
        break;
    }
    case VM_PLAIN_BYTES: {
        size_t used = 0;
        rc = pq_plain_decode_byte_array(r->vp, (size_t)(r->vend - r->vp), n, &b->bytes, &used);
        if (rc)
            return fail(r, rc);
        r->vp += used;
        break;
    }
    case VM_DICT:
        for (size_t done = 0; done < n;) {
            size_t k = n - done < STEP ? n - done : STEP;
            rc = pq_rle_read_exact(&r->rle, r->tmp, k);
            if (rc)
                return fail(r, delta_error_prefix(rc, "dictionary indices: "));
            if (r->type == PQ_TYPE_BYTE_ARRAY)
                rc = pq_dict_gather_bytes_padded(r->dict_views, r->dict_count, r->tmp, k,
                                                 &b->bytes);
            else
                rc = pq_dict_gather(r->dict_vals, r->dict_count, r->width, r->tmp, k,
                                    out + done * r->width);
            if (rc)
                return fail(r, rc);
            done += k;
        }
        break;
    case VM_RLE_BOOL:
        for (size_t done = 0; done < n;) {
            size_t k = n - done < STEP ? n - done : STEP;
            rc = pq_rle_read_exact(&r->rle, r->tmp, k);
            if (rc)
                return fail(r, delta_error_prefix(rc, "RLE BOOLEAN: "));
            for (size_t i = 0; i < k; i++)
                out[done + i] = (uint8_t)r->tmp[i];
            done += k;
        }
        break;
    case VM_DELTA:
        if (r->type == PQ_TYPE_INT32)
            rc = pq_delta_read32(&r->delta, (int32_t *)(void *)out, n);
        else
            rc = pq_delta_read64(&r->delta, (int64_t *)(void *)out, n);
        if (rc)
            return fail(r, rc);
        break;
    case VM_SCRATCH_FIXED: memcpy(out, r->scratch + r->page_vi * r->width, n * r->width); break;
    case VM_SCRATCH_BYTES:
        rc = bytes_append_range(&b->bytes, &r->scratch_bytes, r->page_vi, n);
        if (rc)
            return fail(r, rc);
        break;
    default: return corrupt(r, "values without a value decoder");
    }
    r->page_vi += n;
    b->num_values += n;
    return 0;
}

/* ------------------------------------------------------------- reads */

static int batch_levels_room(pq_column_reader *r, pq_column_batch *b, size_t need)
{
    if (r->max_def && grow(&b->def_buf, &b->def_cap, need, sizeof(int16_t)))
        return fail(r, DELTA_ENOMEM);
    if (r->max_rep && grow(&b->rep_buf, &b->rep_cap, need, sizeof(int16_t)))
        return fail(r, DELTA_ENOMEM);
    return 0;
}

int pq_column_reader_read(pq_column_reader *r, size_t max_records, pq_column_batch *b)
{
    b->num_levels = b->num_values = b->num_records = 0;
    pq_bytes_reset(&b->bytes);
    b->def = NULL;
    b->rep = NULL;
    if (r->err)
        return r->err;
    int rc = 0;
    while (max_records > 0) {
        if (!r->max_rep && b->num_records == max_records)
            break;
        if (r->page_i == r->page_n) {
            /* A record may continue on the next page: load it even when
             * the batch has its records, to take the continuation. */
            rc = next_page(r);
            if (rc < 0)
                return rc;
            if (rc == 0)
                break;
            continue;
        }
        bool boundary = !r->max_rep || r->page_rep[r->page_i] == 0;
        if (boundary && b->num_records == max_records)
            break;
        /* At a record boundary: stop early when byte-array data is large. */
        if (boundary && b->bytes.data.len >= BATCH_BYTES_SOFT_LIMIT && b->num_records > 0)
            break;
        size_t start = r->page_i, end = start, recs = 0;
        size_t want = max_records - b->num_records;
        if (r->max_rep) {
            const int16_t *rep = r->page_rep;
            size_t n = r->page_n;
            for (; end < n; end++) {
                if (rep[end] == 0) {
                    if (recs == want)
                        break;
                    recs++;
                }
            }
        } else {
            size_t avail = r->page_n - start;
            end = start + (avail < want ? avail : want);
            recs = end - start;
        }
        b->num_records += recs;
        size_t seg = end - start; /* > 0: page_i < page_n and not stopped */
        rc = batch_levels_room(r, b, b->num_levels + seg);
        if (rc)
            return rc;
        size_t nvals = seg;
        if (r->max_def) {
            const int16_t *d = r->page_def + start;
            memcpy(b->def_buf + b->num_levels, d, seg * sizeof *d);
            if (!r->page_all_defined) {
                size_t c = 0;
                int16_t m = r->max_def;
                for (size_t i = 0; i < seg; i++)
                    c += d[i] == m;
                nvals = c;
            }
        }
        if (r->max_rep)
            memcpy(b->rep_buf + b->num_levels, r->page_rep + start, seg * sizeof(int16_t));
        rc = decode_values(r, nvals, b);
        if (rc)
            return rc;
        b->num_levels += seg;
        r->page_i = end;
        r->levels_out += seg;
        r->records_out += recs;
    }
    if (r->max_def)
        b->def = b->def_buf;
    if (r->max_rep)
        b->rep = b->rep_buf;
    return 0;
}

/* ------------------------------------------------------------- setup */

/* Forgets the current chunk (bytes, dictionary, page and decoder state),
 * keeping the buffers that can serve the next one. */
static void drop_chunk(pq_column_reader *r)
{
    delta_free(r->dict_vals);
    delta_free(r->dict_views);
    r->chunk = NULL;
    r->chunk_len = r->pos = 0;
    r->dict_vals = NULL;
    r->dict_views = NULL;
    r->dict_count = 0;
    r->has_dict = false;
    r->levels_total = r->levels_out = r->records_out = r->page_off = 0;
    r->seen_data_page = r->finished = false;
    r->page_n = r->page_i = r->page_nvals = r->page_vi = 0;
    r->vmode = VM_NONE;
    r->err = 0;
}

/* Points the reader at one chunk and fetches its bytes. */
static int target(pq_column_reader *r, uint32_t row_group, uint32_t leaf)
{
    drop_chunk(r);
    r->rg = row_group;
    r->leaf = leaf;
    int rc = pq_file_read_chunk(r->file, row_group, leaf, &r->chunk, &r->chunk_buf,
                                &r->chunk_cap, &r->chunk_start, &r->chunk_len);
    if (rc)
        return r->err = rc;
    pq_file *f = r->file;
    r->node = pq_file_schema(f)->leaves[leaf];
    r->cm = &pq_file_metadata(f)->row_groups[row_group].columns[leaf].meta_data;
    r->type = r->node->elem->type;
    r->max_def = r->node->max_def;
    r->max_rep = r->node->max_rep;
    r->def_bits = pq_bit_width32((uint32_t)r->max_def);
    r->rep_bits = pq_bit_width32((uint32_t)r->max_rep);
    r->codec = r->cm->codec;
    switch (r->type) {
    case PQ_TYPE_BOOLEAN: r->width = 1; break;
    case PQ_TYPE_INT32:
    case PQ_TYPE_FLOAT: r->width = 4; break;
    case PQ_TYPE_INT64:
    case PQ_TYPE_DOUBLE: r->width = 8; break;
    case PQ_TYPE_INT96: r->width = 12; break;
    case PQ_TYPE_FIXED_LEN_BYTE_ARRAY:
        if (r->node->elem->type_length <= 0 || r->node->elem->type_length > (1 << 24))
            return corrupt(r, "FIXED_LEN_BYTE_ARRAY length %" PRId32 " out of range",
                           r->node->elem->type_length);
        r->width = (size_t)r->node->elem->type_length;
        break;
    default: r->width = 0;
    }
    if (!pq_codec_supported(r->codec)) {
        dbuf d = DBUF_INIT;
        describe(r, &d);
        rc = delta_error_set(DELTA_EUNSUPPORTED, "%s: compression codec %s (%d) is not supported",
                             dbuf_cstr(&d), pq_codec_name(r->codec), r->codec);
        dbuf_free(&d);
        return r->err = rc;
    }
    return 0;
}

int pq_column_reader_open(pq_column_reader **out, pq_file *f, uint32_t row_group, uint32_t leaf)
{
    *out = NULL;
    pq_column_reader *r = delta_calloc(1, sizeof *r);
    if (!r)
        return DELTA_ENOMEM;
    r->file = f;
    pq_bytes_out init = PQ_BYTES_OUT_INIT;
    r->scratch_bytes = init;
    int rc = target(r, row_group, leaf);
    if (rc) {
        pq_column_reader_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int pq_column_reader_reopen(pq_column_reader *r, uint32_t row_group, uint32_t leaf)
{
    return target(r, row_group, leaf);
}

const pq_schema_node *pq_column_reader_leaf(const pq_column_reader *r)
{
    return r->node;
}

uint64_t pq_column_reader_levels_read(const pq_column_reader *r)
{
    return r->levels_out;
}

void pq_column_reader_free(pq_column_reader *r)
{
    if (!r)
        return;
    drop_chunk(r);
    delta_free(r->chunk_buf);
    delta_free(r->dict_buf);
    delta_free(r->page_buf);
    delta_free(r->page_def);
    delta_free(r->page_rep);
    delta_free(r->scratch);
    pq_bytes_free(&r->scratch_bytes);
    delta_free(r);
}

void pq_column_batch_free(pq_column_batch *b)
{
    if (!b)
        return;
    delta_free(b->values);
    delta_free(b->def_buf);
    delta_free(b->rep_buf);
    pq_bytes_free(&b->bytes);
    memset(b, 0, sizeof *b);
}
