/*
 * dbuf: a growable byte buffer, the one buffer type used everywhere
 * (Redis's sds role). Appends never fail loudly: the first allocation
 * failure is kept as a sticky error in `err`, later appends become no-ops,
 * and the writer checks once at the end (libgit2 filebuf style):
 *
 *     dbuf b = DBUF_INIT;
 *     dbuf_puts(&b, "{\"a\":");
 *     dbuf_printf(&b, "%d}", n);
 *     if (b.err) { dbuf_free(&b); return b.err; }
 *
 * The data is always followed by a NUL byte not counted in len (when
 * anything was allocated), so text buffers are C strings.
 */
#ifndef DELTA_CORE_BUF_H
#define DELTA_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct dbuf {
    uint8_t *data;
    size_t len;
    size_t cap;
    int err; /* sticky: 0 or the first error (DELTA_ENOMEM) */
} dbuf;

#define DBUF_INIT {NULL, 0, 0, 0}

/* Ensures room for `extra` more bytes (plus the NUL); 0 or err. */
int dbuf_reserve(dbuf *b, size_t extra);
int dbuf_append(dbuf *b, const void *p, size_t n);
int dbuf_putc(dbuf *b, uint8_t c);
int dbuf_puts(dbuf *b, const char *s);
int dbuf_printf(dbuf *b, const char *fmt, ...) DELTA_PRINTF(2, 3);
int dbuf_vprintf(dbuf *b, const char *fmt, va_list ap) DELTA_PRINTF(2, 0);
/* Appends n zero bytes and returns a pointer to them, or NULL. */
uint8_t *dbuf_grow(dbuf *b, size_t n);
/* The contents as a C string ("" when empty); valid until the next change. */
const char *dbuf_cstr(const dbuf *b);
/* Hands the data to the caller (free with delta_free) and resets b.
 * Returns NULL if the sticky error is set; never NULL otherwise. */
void *dbuf_detach(dbuf *b, size_t *len);
/* Empties the buffer, keeping its memory and clearing the sticky error. */
void dbuf_reset(dbuf *b);
void dbuf_free(dbuf *b);

#endif
