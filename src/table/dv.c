/*
 * Deletion vectors (see dv.h): loading them from a descriptor, and
 * writing new ones (the portable RoaringBitmapArray, framed in a
 * deletion_vector_<uuid>.bin file as Delta writes it).
 */
#include "table/dv.h"

#include <string.h>
#include <zlib.h>

#include <roaring/roaring.h>
#include <uuid/uuid.h>

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

int dtab_z85_encode(const uint8_t *data, size_t len, dbuf *out)
{
    if (len % 4)
        return delta_error_set(DELTA_EINVAL, "Z85: %zu bytes is not a multiple of 4", len);
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = (uint32_t)data[i] << 24 | (uint32_t)data[i + 1] << 16 |
                     (uint32_t)data[i + 2] << 8 | data[i + 3];
        char c[5];
        for (int j = 4; j >= 0; j--) {
            c[j] = z85_chars[v % 85];
            v /= 85;
        }
        dbuf_append(out, c, 5);
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

/* ---- writing ------------------------------------------------------------ */

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One 16-bit container of a 32-bit Roaring bitmap: rows [first, first+card)
 * of the bucket share the high 16 bits `key`. */
typedef struct rcont {
    uint16_t key;
    uint8_t kind; /* RC_ARRAY, RC_BITSET or RC_RUN */
    size_t first;
    uint32_t card;
    uint32_t runs;
} rcont;

enum { RC_ARRAY, RC_BITSET, RC_RUN };

static void put_le16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* Appends the portable serialization of the 32-bit Roaring bitmap holding
 * the low 32 bits of rows[0..n) (ascending, one high key). Containers are
 * chosen as Java's RoaringBitmap does after runOptimize: arrays up to 4096
 * values, else bitsets, and runs where strictly smaller than either
 * (CRoaring counts sizes differently and would pick runs where Delta does
 * not, so the bytes are written here). */
static int serialize_bitmap32(const uint64_t *rows, size_t n, dbuf *out)
{
    size_t ncont = 0;
    for (size_t i = 0; i < n; i++)
        if (!i || (uint32_t)rows[i] >> 16 != (uint32_t)rows[i - 1] >> 16)
            ncont++;
    rcont *c = delta_calloc(ncont ? ncont : 1, sizeof *c);
    if (!c)
        return DELTA_ENOMEM;
    size_t k = 0;
    bool any_run = false;
    for (size_t i = 0; i < n;) {
        rcont *r = &c[k++];
        r->key = (uint16_t)((uint32_t)rows[i] >> 16);
        r->first = i;
        for (; i < n && (uint16_t)((uint32_t)rows[i] >> 16) == r->key; i++) {
            r->card++;
            if (i == r->first || (uint32_t)rows[i] != (uint32_t)rows[i - 1] + 1)
                r->runs++;
        }
        uint64_t plain = r->card <= 4096 ? 2ull * r->card : 8192;
        r->kind = 2ull + 4ull * r->runs < plain ? RC_RUN : r->card <= 4096 ? RC_ARRAY : RC_BITSET;
        any_run = any_run || r->kind == RC_RUN;
    }
    /* header: cookie (and count), run flags, keys and cardinalities, offsets */
    size_t flags = any_run ? (ncont + 7) / 8 : 0;
    bool offsets = !any_run || ncont >= 4;
    size_t head = (any_run ? 4 : 8) + flags + 4 * ncont + (offsets ? 4 * ncont : 0);
    size_t body = 0;
    for (size_t j = 0; j < ncont; j++)
        body += c[j].kind == RC_RUN ? 2 + 4 * (size_t)c[j].runs
                : c[j].kind == RC_ARRAY ? 2 * (size_t)c[j].card : 8192;
    uint8_t *p = dbuf_grow(out, head + body);
    if (!p) {
        delta_free(c);
        return out->err ? out->err : DELTA_ENOMEM;
    }
    uint8_t *h = p;
    if (any_run) {
        put_le32(h, 12347u | (uint32_t)(ncont - 1) << 16);
        h += 4;
        for (size_t j = 0; j < ncont; j++)
            if (c[j].kind == RC_RUN)
                h[j / 8] |= (uint8_t)(1u << (j % 8));
        h += flags;
    } else {
        put_le32(h, 12346u);
        put_le32(h + 4, (uint32_t)ncont);
        h += 8;
    }
    for (size_t j = 0; j < ncont; j++, h += 4) {
        put_le16(h, c[j].key);
        put_le16(h + 2, c[j].card - 1);
    }
    uint8_t *d = p + head;
    for (size_t j = 0; j < ncont; j++) {
        if (offsets)
            put_le32(h + 4 * j, (uint32_t)(d - p));
        const uint64_t *v = rows + c[j].first;
        if (c[j].kind == RC_ARRAY) {
            for (uint32_t x = 0; x < c[j].card; x++, d += 2)
                put_le16(d, (uint16_t)v[x]);
        } else if (c[j].kind == RC_BITSET) {
            for (uint32_t x = 0; x < c[j].card; x++) {
                uint16_t low = (uint16_t)v[x];
                d[low / 8] |= (uint8_t)(1u << (low % 8)); /* 64-bit words LE = bytes in order */
            }
            d += 8192;
        } else {
            put_le16(d, c[j].runs);
            d += 2;
            for (uint32_t x = 0; x < c[j].card;) {
                uint32_t y = x;
                while (y + 1 < c[j].card && (uint32_t)v[y + 1] == (uint32_t)v[y] + 1)
                    y++;
                put_le16(d, (uint16_t)v[x]);
                put_le16(d + 2, y - x);
                d += 4;
                x = y + 1;
            }
        }
    }
    delta_free(c);
    return 0;
}

/* Delta's largest position: high 32 bits at most INT32_MAX - 1. */
#define DV_MAX_ROW ((((uint64_t)INT32_MAX - 1) << 32) | 0xffffffffu)

int dtab_dv_serialize(const uint64_t *rows, size_t count, dbuf *out)
{
    for (size_t i = 0; i < count; i++) {
        if (rows[i] > DV_MAX_ROW)
            return delta_error_set(DELTA_EINVAL,
                                   "deletion vector: row position %llu is out of range",
                                   (unsigned long long)rows[i]);
        if (i && rows[i] <= rows[i - 1])
            return delta_error_set(DELTA_EINVAL,
                                   "deletion vector: row positions not ascending and distinct "
                                   "(%llu after %llu, index %zu)",
                                   (unsigned long long)rows[i], (unsigned long long)rows[i - 1],
                                   i);
    }
    /* As Delta writes it: one bucket per key from 0 to the highest,
     * empty ones included (the format allows gaps; Delta's array has
     * none). */
    uint64_t buckets = count ? (rows[count - 1] >> 32) + 1 : 0;
    uint8_t head[12];
    put_le32(head, DV_MAGIC);
    put_le32(head + 4, (uint32_t)buckets);
    put_le32(head + 8, (uint32_t)(buckets >> 32));
    dbuf_append(out, head, sizeof head);
    int rc = out->err;
    size_t i = 0;
    for (uint64_t key = 0; !rc && key < buckets; key++) {
        size_t end = i;
        while (end < count && rows[end] >> 32 == key)
            end++;
        uint8_t kb[4];
        put_le32(kb, (uint32_t)key);
        if (!(rc = dbuf_append(out, kb, 4)))
            rc = serialize_bitmap32(rows + i, end - i, out);
        i = end;
    }
    return rc;
}

int dtab_dv_write(delta_store *table, const uint64_t *rows, size_t count, dlog_dv *out)
{
    memset(out, 0, sizeof *out);
    if (count == 0)
        return delta_error_set(DELTA_EINVAL, "deletion vector: no rows to delete");
    dbuf file = DBUF_INIT, name = DBUF_INIT, z85 = DBUF_INIT;
    uint8_t frame[4] = {0};
    /* version byte, then dataSize (patched below), bitmap, CRC-32 */
    dbuf_putc(&file, 1);
    dbuf_append(&file, frame, 4);
    int rc = file.err ? file.err : dtab_dv_serialize(rows, count, &file);
    if (rc)
        goto done;
    size_t size = file.len - 5;
    if (size > INT32_MAX) {
        rc = delta_error_set(DELTA_EINVAL, "deletion vector of %zu bytes is too large", size);
        goto done;
    }
    put_be32(file.data + 1, (uint32_t)size);
    put_be32(frame, (uint32_t)crc32(0L, file.data + 5, (uInt)size));
    dbuf_append(&file, frame, 4);
    uuid_t u;
    uuid_generate_random(u);
    char id[37];
    uuid_unparse_lower(u, id);
    dbuf_printf(&name, "deletion_vector_%s.bin", id);
    if ((rc = file.err) || (rc = name.err) || (rc = dtab_z85_encode(u, 16, &z85)))
        goto done;
    if ((rc = delta_store_put_if_absent(table, dbuf_cstr(&name), file.data, file.len))) {
        rc = delta_error_prefix(rc, "writing deletion vector %s: ", dbuf_cstr(&name));
        goto done;
    }
    out->storage_type = 'u';
    out->path_or_inline = dbuf_detach(&z85, NULL);
    out->has_offset = true;
    out->offset = 1;
    out->size_in_bytes = (int32_t)size;
    out->cardinality = (int64_t)count;
done:
    dbuf_free(&file);
    dbuf_free(&name);
    dbuf_free(&z85);
    return rc;
}

void dtab_dv_desc_clear(dlog_dv *dv)
{
    delta_free(dv->path_or_inline);
    memset(dv, 0, sizeof *dv);
}
