/*
 * Deletion vectors: the sets of row positions of a data file that are
 * deleted, read as PROTOCOL.md's "Deletion Vectors" and "Deletion Vector
 * Format" sections define them.
 *
 * A descriptor (dlog_dv) stores the vector
 *   'i'  inline: pathOrInlineDv is the Z85 text of the serialized bitmap;
 *   'u'  in a file relative to the table root: pathOrInlineDv is an
 *        optional random prefix followed by the 20-character Z85 form of a
 *        UUID, and the file is PREFIX/deletion_vector_UUID.bin;
 *   'p'  in a file named by an absolute path or URI.
 * A file holds a version byte (1), then per vector: dataSize (4 bytes big
 * endian), dataSize bytes of bitmap, and the CRC-32 of the bitmap (4 bytes
 * big endian). The descriptor's offset points at dataSize (1 when absent)
 * and its sizeInBytes must equal dataSize.
 *
 * The bitmap is a RoaringBitmapArray: magic 1681511377 (little endian),
 * then the 64-bit "portable" Roaring format: the number of buckets (8 bytes
 * LE), and per bucket in ascending key order its key (the high 32 bits,
 * 4 bytes LE) and a portable 32-bit Roaring bitmap of the low 32 bits.
 *
 * Delta's older "native" serialization is read too: magic 1681511376,
 * the number of bitmaps and, per bitmap i (high bits i), its size and a
 * portable 32-bit Roaring bitmap, all counts big endian.
 *
 * Every size, offset, key order, checksum and the cardinality are checked;
 * a mismatch is DELTA_ECORRUPT naming the vector's file and what was wrong.
 */
#ifndef DELTA_TABLE_DV_H
#define DELTA_TABLE_DV_H

#include <stddef.h>
#include <stdint.h>

#include <delta/storage.h>

#include "core/buf.h"
#include "log/actions.h"

/* The deleted row positions of one file, ascending and distinct. */
typedef struct dtab_dv {
    uint64_t *rows;
    size_t count;
} dtab_dv;

void dtab_dv_clear(dtab_dv *d);

/* Decodes Z85 text (length a multiple of 5) into len/5*4 bytes appended
 * to out. DELTA_EINVAL naming the first bad character or the length. */
int dtab_z85_decode(const char *text, size_t len, dbuf *out);
/* Encodes len bytes (a multiple of 4) as len/4*5 Z85 characters appended
 * to out (no NUL counted). DELTA_EINVAL for another length. */
int dtab_z85_encode(const uint8_t *data, size_t len, dbuf *out);

/* The file of a 'u' or 'p' descriptor: for 'u' the key relative to the
 * table root ("ab/deletion_vector_<uuid>.bin"), for 'p' the path as
 * written. DELTA_EINVAL for 'i' or a malformed 'u' value. */
int dtab_dv_file(const dlog_dv *dv, dbuf *out);

/* Parses a serialized RoaringBitmapArray (magic included). `what` names
 * the vector in messages. */
int dtab_dv_parse(const uint8_t *data, size_t len, const char *what, dtab_dv *out);

/* Loads the vector of a descriptor: inline, or read from the table store
 * ('u') or from the store of its absolute path ('p'; local paths and
 * file: URIs, or any URI delta_store_open accepts). Checks cardinality. */
int dtab_dv_load(delta_store *table, const dlog_dv *dv, dtab_dv *out);

/* Opens the store of the folder of an absolute path or URI and returns
 * the last segment as the key (delta_free it). */
int dtab_open_absolute(const char *path, delta_store **store, char **key);

/* ---- writing ------------------------------------------------------------ */

/* Appends the RoaringBitmapArray (portable format, magic included) of the
 * row positions rows[0..count) (ascending and distinct, at most Delta's
 * largest position (2^31-2) << 32 | 0xffffffff, else DELTA_EINVAL) to
 * out. An empty set is valid (zero buckets). Written as Delta writes it,
 * so the bytes equal Spark's for the same set: one bucket per key from 0
 * to the highest (empty ones included), and containers chosen as Java's
 * RoaringBitmap does after runOptimize (runs only where strictly
 * smaller). */
int dtab_dv_serialize(const uint64_t *rows, size_t count, dbuf *out);

/* Stores the deletion vector of rows[0..count) (ascending, distinct,
 * count >= 1) for a file of `table` and fills *out (its path_or_inline
 * is a new string; free with dtab_dv_desc_clear, or hand it to an add
 * action whose clear frees it):
 * a new file deletion_vector_<uuid>.bin at the table root holding the
 * version byte and one vector (dataSize, bitmap, CRC-32), written with
 * put_if_absent, described as storage type 'u' with offset 1, sizeInBytes
 * and cardinality. The file is new and nothing references it until a
 * commit does: a writer deletes it when its commit fails, and a crash
 * leaves an orphan VACUUM removes. */
int dtab_dv_write(delta_store *table, const uint64_t *rows, size_t count, dlog_dv *out);

/* Frees the strings of a descriptor filled by dtab_dv_write. */
void dtab_dv_desc_clear(dlog_dv *dv);

#endif
