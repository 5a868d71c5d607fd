/*
 * Parquet page compression codecs (the CompressionCodec enum of
 * parquet.thrift) over the system libraries: snappy, zlib (GZIP), zstd,
 * lz4 (LZ4 and LZ4_RAW) and brotli. LZO is recognised but unsupported.
 *
 * Decompression always targets a buffer of exactly the size the page
 * header announces: producing fewer or more bytes is DELTA_ECORRUPT, and
 * no decompressor is ever allowed to write past dst_len (the guard against
 * decompression bombs). Compression appends to a dbuf.
 */
#ifndef DELTA_PARQUET_CODEC_H
#define DELTA_PARQUET_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Values are parquet.thrift's CompressionCodec numbers. */
typedef enum pq_codec {
    PQ_CODEC_UNCOMPRESSED = 0,
    PQ_CODEC_SNAPPY = 1,
    PQ_CODEC_GZIP = 2,
    PQ_CODEC_LZO = 3,
    PQ_CODEC_BROTLI = 4,
    PQ_CODEC_LZ4 = 5, /* Hadoop-framed LZ4 blocks (deprecated by Parquet) */
    PQ_CODEC_ZSTD = 6,
    PQ_CODEC_LZ4_RAW = 7
} pq_codec;

/* Upper-case name as in parquet.thrift ("SNAPPY"); "UNKNOWN" for numbers
 * outside the enum. */
const char *pq_codec_name(int codec);

/* Parses a codec name, case-insensitively: none, uncompressed, snappy,
 * gzip, lzo, brotli, lz4, zstd, lz4_raw. Unknown names are DELTA_EINVAL. */
int pq_codec_parse(const char *name, pq_codec *out);

/* True when this build can compress and decompress the codec. */
bool pq_codec_supported(int codec);

/* Decompresses src into exactly dst_len bytes at dst. Corrupt data and any
 * size mismatch are DELTA_ECORRUPT; LZO and unknown codecs are
 * DELTA_EUNSUPPORTED. GZIP accepts gzip or zlib streams. LZ4 accepts the
 * Hadoop framing and, when that does not parse, a raw block or an LZ4
 * frame, as other readers do. */
int pq_decompress(int codec, const uint8_t *src, size_t src_len, uint8_t *dst,
                  size_t dst_len);

/* Compresses src and appends the result to out. level 0 picks the codec's
 * default (GZIP 6, ZSTD 3, BROTLI 8); snappy and the LZ4 codecs ignore it.
 * GZIP writes the gzip format, LZ4 the Hadoop framing. Returns out->err or
 * a codec error. */
int pq_compress(int codec, int level, const uint8_t *src, size_t len, dbuf *out);

#endif
