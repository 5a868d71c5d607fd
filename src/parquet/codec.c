/*
 * Parquet compression codecs over the system libraries.
 *
 * Invariants: every decompressor is given exactly dst_len bytes of output
 * room and nothing more, and success requires it to have produced exactly
 * dst_len bytes from well-formed input. Sizes that do not fit a library's
 * int/uInt arguments are fed in pieces (zlib) or refused (lz4, whose block
 * format cannot express them). Compressors reserve the library's bound in
 * the dbuf and write in place, keeping the dbuf's NUL-terminator
 * invariant.
 */
#include "parquet/codec.h"

#include "core/error.h"
#include "parquet/encoding_impl.h"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <limits.h>
#include <lz4.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

/* Stand-in for NULL buffers of length 0, which some libraries reject. */
static uint8_t zero_room[1];

static const char *const codec_names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                          "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};

const char *pq_codec_name(int codec)
{
    if (codec < 0 || codec > PQ_CODEC_LZ4_RAW)
        return "UNKNOWN";
    return codec_names[codec];
}

int pq_codec_parse(const char *name, pq_codec *out)
{
    static const struct {
        const char *name;
        pq_codec codec;
    } names[] = {
        {"none", PQ_CODEC_UNCOMPRESSED}, {"uncompressed", PQ_CODEC_UNCOMPRESSED},
        {"snappy", PQ_CODEC_SNAPPY},     {"gzip", PQ_CODEC_GZIP},
        {"lzo", PQ_CODEC_LZO},           {"brotli", PQ_CODEC_BROTLI},
        {"lz4", PQ_CODEC_LZ4},           {"zstd", PQ_CODEC_ZSTD},
        {"lz4_raw", PQ_CODEC_LZ4_RAW},
    };
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].codec;
            return 0;
        }
    return delta_error_set(DELTA_EINVAL,
                           "unknown compression codec '%s' (expected none, snappy, gzip, "
                           "zstd, lz4, lz4_raw or brotli)",
                           name ? name : "(null)");
}

bool pq_codec_supported(int codec)
{
    return codec >= PQ_CODEC_UNCOMPRESSED && codec <= PQ_CODEC_LZ4_RAW &&
           codec != PQ_CODEC_LZO;
}

static int unsupported(int codec)
{
    if (codec == PQ_CODEC_LZO)
        return delta_error_set(DELTA_EUNSUPPORTED, "compression codec LZO is not supported");
    return delta_error_set(DELTA_EUNSUPPORTED, "unknown compression codec %d", codec);
}

static int size_mismatch(const char *codec, size_t got, size_t want)
{
    return delta_error_set(DELTA_ECORRUPT,
                           "%s: data decompresses to %zu bytes, the page header says %zu",
                           codec, got, want);
}

static int too_big(const char *codec, size_t want)
{
    return delta_error_set(DELTA_ECORRUPT,
                           "%s: data decompresses to more than the %zu bytes the page "
                           "header says",
                           codec, want);
}

/* ---------------------------------------------------------------- snappy */

/*
 * Snappy decompression is done here rather than by libsnappy: the format
 * (a varint length, then literal and back-reference elements) is small,
 * and libsnappy's decoder, as Debian builds it, spends most of its time in
 * out-of-line memmove calls for elements a few bytes long, which made it
 * the largest cost of reading a snappy Parquet file. This decoder copies
 * short elements with fixed 16-byte moves whenever both buffers have room
 * for the overshoot, and byte by byte otherwise; every length and offset
 * is checked against both buffers before anything is copied.
 * libsnappy still compresses.
 */
static int snappy_corrupt(const uint8_t *src, const uint8_t *ip, const char *what)
{
    return delta_error_set(DELTA_ECORRUPT, "SNAPPY: %s at byte %zu", what, (size_t)(ip - src));
}

static int snappy_dec(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    const uint8_t *ip = src, *ip_end = src + src_len;
    uint64_t ulen = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (ip >= ip_end || shift > 28)
            return delta_error_set(DELTA_ECORRUPT, "SNAPPY: invalid length header");
        uint8_t b = *ip++;
        ulen |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    if (ulen != dst_len)
        return size_mismatch("SNAPPY", (size_t)ulen, dst_len);
    uint8_t *op = dst, *op_end = dst + dst_len;
    while (ip < ip_end) {
        const uint8_t *elem = ip;
        uint8_t tag = *ip++;
        size_t len, off;
        if ((tag & 3) == 0) { /* literal */
            len = (size_t)(tag >> 2) + 1;
            if (len <= 16 && ip_end - ip >= 16 && op_end - op >= 16) {
                memcpy(op, ip, 16);
                op += len;
                ip += len;
                continue;
            }
            if (len > 60) {
                size_t nb = len - 60;
                if ((size_t)(ip_end - ip) < nb)
                    return snappy_corrupt(src, elem, "truncated literal length");
                len = 0;
                for (size_t k = 0; k < nb; k++)
                    len |= (size_t)ip[k] << (8 * k);
                len += 1;
                ip += nb;
            }
            if ((size_t)(ip_end - ip) < len)
                return snappy_corrupt(src, elem, "literal runs past the input");
            if ((size_t)(op_end - op) < len)
                return snappy_corrupt(src, elem, "literal runs past the announced length");
            memcpy(op, ip, len);
            op += len;
            ip += len;
            continue;
        }
        if ((tag & 3) == 1) {
            if (ip >= ip_end)
                return snappy_corrupt(src, elem, "truncated copy");
            len = 4 + ((tag >> 2) & 7);
            off = ((size_t)(tag >> 5) << 8) | *ip++;
        } else if ((tag & 3) == 2) {
            if (ip_end - ip < 2)
                return snappy_corrupt(src, elem, "truncated copy");
            len = (size_t)(tag >> 2) + 1;
            off = (size_t)ip[0] | (size_t)ip[1] << 8;
            ip += 2;
        } else {
            if (ip_end - ip < 4)
                return snappy_corrupt(src, elem, "truncated copy");
            len = (size_t)(tag >> 2) + 1;
            off = pq_ld32(ip);
            ip += 4;
        }
        if (off == 0 || off > (size_t)(op - dst))
            return snappy_corrupt(src, elem, "copy offset outside the output");
        if (len > (size_t)(op_end - op))
            return snappy_corrupt(src, elem, "copy runs past the announced length");
        const uint8_t *from = op - off;
        if (off >= 16 && (size_t)(op_end - op) >= len + 16) {
            /* Each 16-byte source block ends before its destination block. */
            for (size_t k = 0; k < len; k += 16)
                memcpy(op + k, from + k, 16);
        } else if (off >= 8 && (size_t)(op_end - op) >= len + 8) {
            for (size_t k = 0; k < len; k += 8)
                memcpy(op + k, from + k, 8);
        } else {
            for (size_t k = 0; k < len; k++) /* a repeating pattern */
                op[k] = from[k];
        }
        op += len;
    }
    if (op != op_end)
        return size_mismatch("SNAPPY", (size_t)(op - dst), dst_len);
    return 0;
}

/* ------------------------------------------------------------------ gzip */

static int gzip_dec(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 32) != Z_OK) /* gzip or zlib header */
        return delta_error_set(DELTA_ENOMEM, "GZIP: cannot initialise zlib");
    size_t in_left = src_len, out_left = dst_len;
    zs.next_in = (Bytef *)src;
    zs.next_out = dst;
    int rc = 0;
    for (;;) {
        if (zs.avail_in == 0 && in_left) {
            zs.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
            in_left -= zs.avail_in;
        }
        if (zs.avail_out == 0 && out_left) {
            zs.avail_out = out_left > UINT_MAX ? UINT_MAX : (uInt)out_left;
            out_left -= zs.avail_out;
        }
        uInt ai = zs.avail_in, ao = zs.avail_out;
        int ret = inflate(&zs, Z_NO_FLUSH);
        size_t produced = (size_t)(zs.next_out - dst);
        if (ret == Z_STREAM_END) {
            if (produced == dst_len)
                break; /* anything after the stream is ignored */
            if (zs.avail_in == 0 && in_left == 0) {
                rc = size_mismatch("GZIP", produced, dst_len);
                break;
            }
            /* Another gzip member follows. */
            if (inflateReset(&zs) != Z_OK) {
                rc = delta_error_set(DELTA_ECORRUPT, "GZIP: cannot continue after member");
                break;
            }
            continue;
        }
        if (ret == Z_OK && (zs.avail_in != ai || zs.avail_out != ao))
            continue;
        if (ret == Z_OK || ret == Z_BUF_ERROR) {
            if (zs.avail_in == 0 && in_left == 0)
                rc = delta_error_set(DELTA_ECORRUPT,
                                     "GZIP: compressed data truncated after %zu of %zu bytes",
                                     produced, dst_len);
            else
                rc = too_big("GZIP", dst_len);
            break;
        }
        rc = delta_error_set(ret == Z_MEM_ERROR ? DELTA_ENOMEM : DELTA_ECORRUPT,
                             "GZIP: %s after %zu bytes", zs.msg ? zs.msg : "corrupt data",
                             produced);
        break;
    }
    inflateEnd(&zs);
    return rc;
}

static int gzip_enc(int level, const uint8_t *src, size_t len, dbuf *out)
{
    if (level <= 0 || level > 9)
        level = 6;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return out->err = delta_error_set(DELTA_ENOMEM, "GZIP: cannot initialise zlib");
    size_t bound = deflateBound(&zs, (uLong)len);
    if (dbuf_reserve(out, bound)) {
        deflateEnd(&zs);
        return out->err;
    }
    size_t in_left = len, out_left = bound;
    zs.next_in = (Bytef *)src;
    zs.next_out = out->data + out->len;
    int rc = 0;
    for (;;) {
        if (zs.avail_in == 0 && in_left) {
            zs.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
            in_left -= zs.avail_in;
        }
        if (zs.avail_out == 0 && out_left) {
            zs.avail_out = out_left > UINT_MAX ? UINT_MAX : (uInt)out_left;
            out_left -= zs.avail_out;
        }
        int ret = deflate(&zs, in_left ? Z_NO_FLUSH : Z_FINISH);
        if (ret == Z_STREAM_END)
            break;
        if (ret != Z_OK && ret != Z_BUF_ERROR) {
            rc = delta_error_set(DELTA_EIO, "GZIP: compression failed (%d)", ret);
            break;
        }
        if (ret == Z_BUF_ERROR && zs.avail_out == 0 && out_left == 0) {
            rc = delta_error_set(DELTA_EIO, "GZIP: output exceeds zlib's bound");
            break;
        }
    }
    if (rc == 0) {
        out->len = (size_t)(zs.next_out - out->data);
        out->data[out->len] = '\0';
    } else {
        out->err = rc;
    }
    deflateEnd(&zs);
    return rc;
}

/* ------------------------------------------------------------------ zstd */

static int zstd_dec(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    size_t r = ZSTD_decompress(dst, dst_len, src, src_len);
    if (ZSTD_isError(r)) {
        if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
            return too_big("ZSTD", dst_len);
        if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
            return delta_error_set(DELTA_ENOMEM, "ZSTD: %s", ZSTD_getErrorName(r));
        return delta_error_set(DELTA_ECORRUPT, "ZSTD: %s", ZSTD_getErrorName(r));
    }
    if (r != dst_len)
        return size_mismatch("ZSTD", r, dst_len);
    return 0;
}

static int zstd_enc(int level, const uint8_t *src, size_t len, dbuf *out)
{
    if (level <= 0)
        level = ZSTD_CLEVEL_DEFAULT;
    if (level > ZSTD_maxCLevel())
        level = ZSTD_maxCLevel();
    size_t bound = ZSTD_compressBound(len);
    if (ZSTD_isError(bound))
        return out->err = delta_error_set(DELTA_ERANGE, "ZSTD: %zu bytes is too large", len);
    if (dbuf_reserve(out, bound))
        return out->err;
    size_t r = ZSTD_compress(out->data + out->len, bound, src, len, level);
    if (ZSTD_isError(r))
        return out->err = delta_error_set(DELTA_EIO, "ZSTD: %s", ZSTD_getErrorName(r));
    out->len += r;
    out->data[out->len] = '\0';
    return 0;
}

/* ------------------------------------------------------------------- lz4 */

static uint32_t ld_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void st_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One raw block into exactly dst_len bytes; 0 on success, -1 otherwise. */
static int lz4_block(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    if (src_len > INT_MAX || dst_len > INT_MAX)
        return -1;
    int r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)src_len, (int)dst_len);
    return r >= 0 && (size_t)r == dst_len ? 0 : -1;
}

/* Hadoop framing: repeated [BE32 raw size][BE32 compressed size][block]
 * covering the input exactly. 0 on success, -1 when it does not parse. */
static int lz4_hadoop(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    size_t left = src_len, done = 0;
    if (left < 8)
        return -1;
    while (left >= 8) {
        uint32_t ulen = ld_be32(src), clen = ld_be32(src + 4);
        src += 8;
        left -= 8;
        if (clen > left || ulen > dst_len - done)
            return -1;
        if (lz4_block(src, clen, dst + done, ulen))
            return -1;
        src += clen;
        left -= clen;
        done += ulen;
    }
    return left == 0 && done == dst_len ? 0 : -1;
}

/* An LZ4 frame (magic 0x184D2204). 0 on success, -1 otherwise. */
static int lz4_frame(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    LZ4F_dctx *ctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)))
        return -1;
    size_t in_pos = 0, out_pos = 0, hint = 1;
    while (in_pos < src_len) {
        size_t in_sz = src_len - in_pos, out_sz = dst_len - out_pos;
        hint = LZ4F_decompress(ctx, dst + out_pos, &out_sz, src + in_pos, &in_sz, NULL);
        if (LZ4F_isError(hint))
            break;
        in_pos += in_sz;
        out_pos += out_sz;
        if (hint == 0 || (in_sz == 0 && out_sz == 0))
            break;
    }
    LZ4F_freeDecompressionContext(ctx);
    return hint == 0 && out_pos == dst_len ? 0 : -1;
}

static int lz4_dec(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    if (lz4_hadoop(src, src_len, dst, dst_len) == 0 ||
        lz4_block(src, src_len, dst, dst_len) == 0 || lz4_frame(src, src_len, dst, dst_len) == 0)
        return 0;
    return delta_error_set(DELTA_ECORRUPT,
                           "LZ4: data is neither Hadoop-framed LZ4, a raw LZ4 block nor an "
                           "LZ4 frame that decompresses to %zu bytes",
                           dst_len);
}

static int lz4_raw_dec(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    if (src_len > INT_MAX || dst_len > INT_MAX)
        return delta_error_set(DELTA_EUNSUPPORTED, "LZ4_RAW: blocks over %d bytes", INT_MAX);
    int r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)src_len, (int)dst_len);
    if (r < 0)
        return delta_error_set(DELTA_ECORRUPT,
                               "LZ4_RAW: corrupt block or more than the %zu bytes the page "
                               "header says",
                               dst_len);
    if ((size_t)r != dst_len)
        return size_mismatch("LZ4_RAW", (size_t)r, dst_len);
    return 0;
}

/* Appends a raw block, after an 8-byte Hadoop prefix when hadoop is set. */
static int lz4_enc(bool hadoop, const uint8_t *src, size_t len, dbuf *out)
{
    const char *name = hadoop ? "LZ4" : "LZ4_RAW";
    if (len > LZ4_MAX_INPUT_SIZE)
        return out->err = delta_error_set(DELTA_ERANGE, "%s: %zu bytes is too large for one "
                                          "block", name, len);
    int bound = LZ4_compressBound((int)len);
    size_t pre = hadoop ? 8 : 0;
    if (dbuf_reserve(out, pre + (size_t)bound))
        return out->err;
    uint8_t *dst = out->data + out->len;
    int c = LZ4_compress_default((const char *)src, (char *)dst + pre, (int)len, bound);
    if (c <= 0)
        return out->err = delta_error_set(DELTA_EIO, "%s: compression failed", name);
    if (hadoop) {
        st_be32(dst, (uint32_t)len);
        st_be32(dst + 4, (uint32_t)c);
    }
    out->len += pre + (size_t)c;
    out->data[out->len] = '\0';
    return 0;
}

/* ---------------------------------------------------------------- brotli */

static int brotli_dec(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    size_t olen = dst_len;
    BrotliDecoderResult r = BrotliDecoderDecompress(src_len, src, &olen, dst);
    if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT)
        return too_big("BROTLI", dst_len);
    if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
        return delta_error_set(DELTA_ECORRUPT, "BROTLI: compressed data truncated");
    if (r != BROTLI_DECODER_RESULT_SUCCESS)
        return delta_error_set(DELTA_ECORRUPT, "BROTLI: corrupt compressed data");
    if (olen != dst_len)
        return size_mismatch("BROTLI", olen, dst_len);
    return 0;
}

static int brotli_enc(int level, const uint8_t *src, size_t len, dbuf *out)
{
    int quality = level <= 0 ? 8 : level > BROTLI_MAX_QUALITY ? BROTLI_MAX_QUALITY : level;
    size_t bound = BrotliEncoderMaxCompressedSize(len);
    if (bound == 0)
        return out->err = delta_error_set(DELTA_ERANGE, "BROTLI: %zu bytes is too large", len);
    if (dbuf_reserve(out, bound))
        return out->err;
    size_t olen = bound;
    if (!BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, len, src,
                               &olen, out->data + out->len))
        return out->err = delta_error_set(DELTA_EIO, "BROTLI: compression failed");
    out->len += olen;
    out->data[out->len] = '\0';
    return 0;
}

/* ------------------------------------------------------------ dispatch */

int pq_decompress(int codec, const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len)
{
    if (!src)
        src = zero_room, src_len = 0;
    if (!dst) {
        if (dst_len)
            return delta_error_set(DELTA_EINVAL, "decompress: no output buffer");
        dst = zero_room;
    }
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
        if (src_len != dst_len)
            return size_mismatch("UNCOMPRESSED", src_len, dst_len);
        if (dst_len)
            memcpy(dst, src, dst_len);
        return 0;
    case PQ_CODEC_SNAPPY:
        return snappy_dec(src, src_len, dst, dst_len);
    case PQ_CODEC_GZIP:
        return gzip_dec(src, src_len, dst, dst_len);
    case PQ_CODEC_BROTLI:
        return brotli_dec(src, src_len, dst, dst_len);
    case PQ_CODEC_LZ4:
        return lz4_dec(src, src_len, dst, dst_len);
    case PQ_CODEC_ZSTD:
        return zstd_dec(src, src_len, dst, dst_len);
    case PQ_CODEC_LZ4_RAW:
        return lz4_raw_dec(src, src_len, dst, dst_len);
    default:
        return unsupported(codec);
    }
}

int pq_compress(int codec, int level, const uint8_t *src, size_t len, dbuf *out)
{
    if (out->err)
        return out->err;
    if (!src)
        src = zero_room, len = 0;
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
        return dbuf_append(out, src, len);
    case PQ_CODEC_SNAPPY: {
        size_t bound = snappy_max_compressed_length(len);
        if (dbuf_reserve(out, bound))
            return out->err;
        size_t olen = bound;
        if (snappy_compress((const char *)src, len, (char *)out->data + out->len, &olen) !=
            SNAPPY_OK)
            return out->err = delta_error_set(DELTA_EIO, "SNAPPY: compression failed");
        out->len += olen;
        out->data[out->len] = '\0';
        return 0;
    }
    case PQ_CODEC_GZIP:
        return gzip_enc(level, src, len, out);
    case PQ_CODEC_BROTLI:
        return brotli_enc(level, src, len, out);
    case PQ_CODEC_LZ4:
        return lz4_enc(true, src, len, out);
    case PQ_CODEC_ZSTD:
        return zstd_enc(level, src, len, out);
    case PQ_CODEC_LZ4_RAW:
        return lz4_enc(false, src, len, out);
    default:
        return unsupported(codec);
    }
}
