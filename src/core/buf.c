/*
 * Growable buffer with a sticky error. Invariant: when data != NULL,
 * data[len] == '\0' and len < cap.
 */
#include "core/buf.h"

#include "core/alloc.h"

#include <stdio.h>
#include <string.h>

int dbuf_reserve(dbuf *b, size_t extra)
{
    if (b->err)
        return b->err;
    if (extra > SIZE_MAX - b->len - 1)
        return b->err = delta_error_oom();
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = delta_realloc(b->data, cap);
    if (!p)
        return b->err = DELTA_ENOMEM;
    b->data = p;
    b->cap = cap;
    b->data[b->len] = '\0';
    return 0;
}

int dbuf_append(dbuf *b, const void *p, size_t n)
{
    if (dbuf_reserve(b, n))
        return b->err;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int dbuf_putc(dbuf *b, uint8_t c)
{
    return dbuf_append(b, &c, 1);
}

int dbuf_puts(dbuf *b, const char *s)
{
    return dbuf_append(b, s, strlen(s));
}

int dbuf_vprintf(dbuf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return b->err ? b->err : (b->err = delta_error_set(DELTA_EINVAL, "bad format string"));
    if (dbuf_reserve(b, (size_t)n))
        return b->err;
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int dbuf_printf(dbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = dbuf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

uint8_t *dbuf_grow(dbuf *b, size_t n)
{
    if (dbuf_reserve(b, n))
        return NULL;
    uint8_t *p = b->data + b->len;
    memset(p, 0, n);
    b->len += n;
    b->data[b->len] = '\0';
    return p;
}

const char *dbuf_cstr(const dbuf *b)
{
    return b->data ? (const char *)b->data : "";
}

void *dbuf_detach(dbuf *b, size_t *len)
{
    if (b->err)
        return NULL;
    if (!b->data && dbuf_reserve(b, 0))
        return NULL;
    void *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void dbuf_reset(dbuf *b)
{
    b->len = 0;
    b->err = 0;
    if (b->data)
        b->data[0] = '\0';
}

void dbuf_free(dbuf *b)
{
    delta_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->err = 0;
}
