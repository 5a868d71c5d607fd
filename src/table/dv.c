/*
 * Deletion vector loading (see dv.h).
 */
#include "table/dv.h"

#include <string.h>
#include <zlib.h>

#include <roaring/roaring.h>

#include "core/alloc.h"
#include "core/error.h"
#include "log/path.h"

#define DV_MAGIC 1681511377u        /* portable format, little endian */
#define DV_MAGIC_NATIVE 1681511376u /* Delta's older native format, big endian */

void dtab_dv_clear(dtab_dv *d)
{
    delta_free(d->rows);
    d->rows = NULL;
    d->count = 0;
}

static const char z85_chars[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

int dtab_z85_decode(const char *text, size_t len, dbuf *out)
{
    static int8_t rev[256];
    static bool ready;
    if (!ready) { /* idempotent: racing threads write the same table */
        memset(rev, -1, sizeof rev);
        for (int i = 0; i < 85; i++)
            rev[(uint8_t)z85_chars[i]] = (int8_t)i;
        ready = true;
    }
    if (len % 5)
        return delta_error_set(DELTA_EINVAL, "Z85 text of length %zu is not a multiple of 5",
                               len);
    for (size_t i = 0; i < len; i += 5) {
        uint64_t v = 0;
        for (size_t j = 0; j < 5; j++) {
            int d = rev[(uint8_t)text[i + j]];
            if (d < 0)
                return delta_error_set(DELTA_EINVAL, "invalid Z85 character '%c' at position %zu",
                                       text[i + j], i + j);
            v = v * 85 + (uint64_t)d;
        }
        if (v > 0xffffffffu)
            return delta_error_set(DELTA_EINVAL, "Z85 group at position %zu overflows", i);
        uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
        dbuf_append(out, b, 4);
    }
    return out->err;
}

int dtab_dv_file(const dlog_dv *dv, dbuf *out)
{
    const char *s = dv->path_or_inline;
    if (dv->storage_type == 'p')
        return dbuf_puts(out, s);
    if (dv->storage_type != 'u')
        return delta_error_set(DELTA_EINVAL, "deletion vector of storage type '%c' has no file",
                               dv->storage_type);
    size_t n = strlen(s);
    if (n < 20)
        return delta_error_set(DELTA_ECORRUPT,
                               "deletion vector path '%s': shorter than a Z85 UUID (20 chars)", s);
    dbuf raw = DBUF_INIT;
    int rc = dtab_z85_decode(s + n - 20, 20, &raw);
    if (rc) {
        dbuf_free(&raw);
        return delta_error_prefix(DELTA_ECORRUPT, "deletion vector path '%s': ", s);
    }
    const uint8_t *u = raw.data;
    if (n > 20) {
        dbuf_append(out, s, n - 20);
        dbuf_putc(out, '/');
    }
    dbuf_printf(out,
                "deletion_vector_%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                "%02x%02x%02x%02x%02x%02x.bin",
                u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
                u[13], u[14], u[15]);
    dbuf_free(&raw);
    return out->err;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}


/* Appends the rows of one 32-bit portable Roaring bitmap at data[*pos..len)
 * with high bits `key`. */
static int add_bucket(const uint8_t *data, size_t len, size_t *pos, uint32_t key, const char *what,
                      dtab_dv *out, size_t *cap)
{
    roaring_bitmap_t *r =
        roaring_bitmap_portable_deserialize_safe((const char *)data + *pos, len - *pos);
    if (!r)
        return delta_error_set(DELTA_ECORRUPT,
                               "deletion vector %s: malformed Roaring bitmap at byte %zu", what,
                               *pos);
    *pos += roaring_bitmap_portable_size_in_bytes(r);
    uint64_t card = roaring_bitmap_get_cardinality(r);
    if (card > SIZE_MAX / 8 - out->count) {
        roaring_bitmap_free(r);
        return delta_error_set(DELTA_ECORRUPT, "deletion vector %s: too many rows", what);
    }
    if (out->count + card > *cap) {
        size_t ncap = *cap * 2 > out->count + card ? *cap * 2 : out->count + (size_t)card;
        uint64_t *p = delta_reallocarray(out->rows, ncap ? ncap : 1, sizeof *p);
        if (!p) {
            roaring_bitmap_free(r);
            return DELTA_ENOMEM;
        }
        out->rows = p;
        *cap = ncap;
    }
    uint32_t *low = delta_malloc(card ? card * sizeof(uint32_t) : 1);
    if (!low) {
        roaring_bitmap_free(r);
        return DELTA_ENOMEM;
    }
    roaring_bitmap_to_uint32_array(r, low);
    roaring_bitmap_free(r);
    for (uint64_t i = 0; i < card; i++)
        out->rows[out->count++] = (uint64_t)key << 32 | low[i];
    delta_free(low);
    return 0;
}

int dtab_dv_parse(const uint8_t *data, size_t len, const char *what, dtab_dv *out)
{
    memset(out, 0, sizeof *out);
    if (len < 12)
        return delta_error_set(DELTA_ECORRUPT, "deletion vector %s: %zu bytes, too short", what,
                               len);
    size_t cap = 0, pos;
    int rc = 0;
    if (be32(data) == DV_MAGIC_NATIVE) {
        /* native: count (4 bytes BE), then per bitmap i (high bits i) its
         * size (4 bytes BE) and a portable 32-bit Roaring bitmap */
        uint32_t n = be32(data + 4);
        pos = 8;
        for (uint32_t i = 0; i < n && !rc; i++) {
            if (len - pos < 4) {
                rc = delta_error_set(DELTA_ECORRUPT, "deletion vector %s: truncated at bitmap %u",
                                     what, i);
                break;
            }
            size_t size = be32(data + pos), start = (pos += 4);
            if (size > len - pos) {
                rc = delta_error_set(DELTA_ECORRUPT,
                                     "deletion vector %s: bitmap %u of %zu bytes runs past the end",
                                     what, i, size);
                break;
            }
            if (!(rc = add_bucket(data, start + size, &pos, i, what, out, &cap)) &&
                pos != start + size)
                rc = delta_error_set(DELTA_ECORRUPT,
                                     "deletion vector %s: bitmap %u is not %zu bytes long", what,
                                     i, size);
        }
        if (rc)
            goto fail;
    } else {
        if (le32(data) != DV_MAGIC) {
            rc = delta_error_set(DELTA_ECORRUPT,
                                 "deletion vector %s: bad magic number %u (expected %u)", what,
                                 le32(data), DV_MAGIC);
            goto fail;
        }
        uint64_t buckets = (uint64_t)le32(data + 4) | (uint64_t)le32(data + 8) << 32;
        pos = 12;
        if (buckets > (len - pos) / 4) {
            rc = delta_error_set(DELTA_ECORRUPT,
                                 "deletion vector %s: %llu buckets do not fit in %zu bytes", what,
                                 (unsigned long long)buckets, len);
            goto fail;
        }
        int64_t prev_key = -1;
        for (uint64_t b = 0; b < buckets; b++) {
            if (len - pos < 4) {
                rc = delta_error_set(DELTA_ECORRUPT,
                                     "deletion vector %s: truncated at bucket %llu", what,
                                     (unsigned long long)b);
                goto fail;
            }
            uint32_t key = le32(data + pos);
            pos += 4;
            if ((int64_t)key <= prev_key || (key & 0x80000000u)) {
                rc = delta_error_set(DELTA_ECORRUPT,
                                     "deletion vector %s: bucket key %u out of order or negative",
                                     what, key);
                goto fail;
            }
            prev_key = key;
            if ((rc = add_bucket(data, len, &pos, key, what, out, &cap)))
                goto fail;
        }
    }
    if (pos != len) {
        rc = delta_error_set(DELTA_ECORRUPT,
                             "deletion vector %s: %zu bytes left after the last bucket", what,
                             len - pos);
        goto fail;
    }
    return 0;
fail:
    dtab_dv_clear(out);
    return rc;
}

int dtab_open_absolute(const char *path, delta_store **store, char **key)
{
    *store = NULL;
    *key = NULL;
    dbuf canon = DBUF_INIT;
    int rc = dlog_canonical_path(NULL, path, &canon);
    if (rc) {
        dbuf_free(&canon);
        return rc;
    }
    char *s = (char *)canon.data;
    char *slash = strrchr(s, '/');
    if (!slash || !slash[1]) {
        rc = delta_error_set(DELTA_EINVAL, "'%s' does not name a file", path);
        goto done;
    }
    size_t klen = strlen(slash + 1);
    *key = delta_malloc(klen + 1);
    if (!*key) {
        rc = DELTA_ENOMEM;
        goto done;
    }
    memcpy(*key, slash + 1, klen + 1);
    if (slash == s)
        slash[1] = '\0'; /* the root folder */
    else if (slash > s && slash[-1] == '/')
        slash[1] = '\0'; /* keep "scheme://" */
    else
        *slash = '\0';
    rc = delta_store_open(store, s);
    if (rc) {
        delta_free(*key);
        *key = NULL;
    }
done:
    dbuf_free(&canon);
    return rc;
}

/* Reads size+4+size+4 framed bytes at offset of key in store and checks them. */
static int read_framed(delta_store *store, const char *key, const dlog_dv *dv, dbuf *bitmap)
{
    int64_t offset = dv->has_offset ? dv->offset : 1;
    if (offset < 0 || dv->size_in_bytes < 0)
        return delta_error_set(DELTA_ECORRUPT, "deletion vector %s: negative offset or size",
                               key);
    size_t size = (size_t)dv->size_in_bytes;
    size_t want = size + 8;
    uint8_t *buf = dbuf_grow(bitmap, want);
    if (!buf)
        return DELTA_ENOMEM;
    size_t got = 0;
    int rc = delta_store_get_range(store, key, (uint64_t)offset, want, buf, &got);
    if (rc)
        return delta_error_prefix(rc, "deletion vector file: ");
    if (got < want)
        return delta_error_set(DELTA_ECORRUPT,
                               "deletion vector %s: file ends before offset %lld + %zu bytes", key,
                               (long long)offset, want);
    uint32_t data_size = be32(buf);
    if (data_size != size)
        return delta_error_set(DELTA_ECORRUPT,
                               "deletion vector %s at offset %lld: stored size %u, descriptor "
                               "says %zu",
                               key, (long long)offset, data_size, size);
    uint32_t want_crc = be32(buf + 4 + size);
    uint32_t crc = (uint32_t)crc32(0L, buf + 4, (uInt)size);
    if (crc != want_crc)
        return delta_error_set(DELTA_ECORRUPT,
                               "deletion vector %s at offset %lld: checksum mismatch (stored "
                               "%08x, computed %08x)",
                               key, (long long)offset, want_crc, crc);
    memmove(buf, buf + 4, size);
    bitmap->len = size;
    return 0;
}

int dtab_dv_load(delta_store *table, const dlog_dv *dv, dtab_dv *out)
{
    memset(out, 0, sizeof *out);
    dbuf bytes = DBUF_INIT, file = DBUF_INIT;
    delta_store *abs = NULL;
    char *abs_key = NULL;
    int rc;
    const char *what = dv->path_or_inline;
    if (dv->storage_type == 'i') {
        size_t n = strlen(dv->path_or_inline);
        if ((rc = dtab_z85_decode(dv->path_or_inline, n, &bytes))) {
            rc = delta_error_prefix(DELTA_ECORRUPT, "inline deletion vector: ");
            goto done;
        }
        if (dv->size_in_bytes < 0 || (size_t)dv->size_in_bytes > bytes.len) {
            rc = delta_error_set(DELTA_ECORRUPT,
                                 "inline deletion vector: sizeInBytes %d exceeds its %zu bytes",
                                 dv->size_in_bytes, bytes.len);
            goto done;
        }
        bytes.len = (size_t)dv->size_in_bytes;
        what = "(inline)";
    } else if (dv->storage_type == 'u' || dv->storage_type == 'p') {
        if ((rc = dtab_dv_file(dv, &file)))
            goto done;
        what = dbuf_cstr(&file);
        if (dv->storage_type == 'u') {
            rc = read_framed(table, what, dv, &bytes);
        } else {
            if (!(rc = dtab_open_absolute(what, &abs, &abs_key)))
                rc = read_framed(abs, abs_key, dv, &bytes);
        }
        if (rc)
            goto done;
    } else {
        rc = delta_error_set(DELTA_EUNSUPPORTED, "deletion vector storage type '%c' is unknown",
                             dv->storage_type);
        goto done;
    }
    if ((rc = dtab_dv_parse(bytes.data, bytes.len, what, out)))
        goto done;
    if ((int64_t)out->count != dv->cardinality) {
        rc = delta_error_set(DELTA_ECORRUPT,
                             "deletion vector %s: holds %zu rows, descriptor says %lld", what,
                             out->count, (long long)dv->cardinality);
        dtab_dv_clear(out);
    }
done:
    dbuf_free(&bytes);
    dbuf_free(&file);
    delta_free(abs_key);
    delta_store_free(abs);
    return rc;
}
