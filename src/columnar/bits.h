/*
 * Bitmap helpers for validity and BOOL buffers (LSB first, as Arrow):
 * copying runs of bits between arbitrary bit offsets, filling runs and
 * counting set bits, a byte or a 64-bit word at a time where possible.
 * Shared by the vector builder, the Arrow import and the Parquet reader.
 */
#ifndef DELTA_COLUMNAR_BITS_H
#define DELTA_COLUMNAR_BITS_H

#include <stdbool.h>
#include <stdint.h>

/* Copies n bits from src starting at bit soff to dst starting at bit doff.
 * Bits of dst outside [doff, doff+n) are kept. */
void dbits_copy(uint8_t *dst, int64_t doff, const uint8_t *src, int64_t soff, int64_t n);
/* Sets (value true) or clears bits [off, off+n). */
void dbits_fill(uint8_t *dst, int64_t off, int64_t n, bool value);
/* Number of set bits in [off, off+n). */
int64_t dbits_count(const uint8_t *bits, int64_t off, int64_t n);

#endif
