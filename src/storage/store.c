/*
 * The delta_store wrapper: the one entry point every layer above uses to
 * reach object storage.
 *
 * It parses the root URI and picks a backend (file.c for plain paths and
 * file://, memory.c for memory://NAME), validates every key before any
 * backend sees it, and maps keys of sub-stores onto the shared backend by
 * prefixing them.
 *
 * Invariants:
 * - No backend function is ever called with a key that fails
 *   delta_store_check_key(); a key can never escape the store's root.
 * - A store's prefix is "" (the backend root) or a valid key without a
 *   trailing slash; the backend key of user key K is K or "PREFIX/K".
 * - Listings of a sub-store hold keys relative to the sub-store: the
 *   prefix is stripped from every entry the backend appended, and on
 *   failure nothing stays appended.
 * - The backend is shared by a store and its sub-stores through a
 *   reference count and freed with the last of them.
 * - This file never looks inside a delta_store_writer: writers may come
 *   from caller-made backends with their own layout.
 */
#include "storage/store_internal.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct store_shared {
    delta_store_backend *backend;
    atomic_uint refs;
} store_shared;

struct delta_store {
    store_shared *sh;
    char *uri;         /* root URI, no trailing slash (except a bare "/") */
    char *prefix;      /* "" or a valid key: where this store sits in the backend */
    size_t prefix_len;
};

int64_t store_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- key validation ----------------------------------------------------- */

/* Writes key into dst as a quoted, printable string (control bytes and
 * backslashes escaped, long keys cut with "..."), for error messages. */
static const char *quote_key(char *dst, size_t cap, const char *key)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    dst[o++] = '\'';
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        if (o + 8 >= cap) {
            memcpy(dst + o, "...", 3);
            o += 3;
            break;
        }
        if (*p < 0x20 || *p == 0x7f || *p == '\\') {
            dst[o++] = '\\';
            if (*p == '\\') {
                dst[o++] = '\\';
            } else {
                dst[o++] = 'x';
                dst[o++] = hex[*p >> 4];
                dst[o++] = hex[*p & 15];
            }
        } else {
            dst[o++] = (char)*p;
        }
    }
    dst[o++] = '\'';
    dst[o] = '\0';
    return dst;
}

/* Checks `key` (what = "key", "prefix", ...) and returns 0 or DELTA_EPERM. */
static int check_path(const char *key, size_t len, const char *what, const char *shown)
{
    char q[300];

    if (len == 0)
        return delta_error_set(DELTA_EPERM, "storage %s %s refused: empty", what,
                               quote_key(q, sizeof q, shown));
    if (key[0] == '/')
        return delta_error_set(DELTA_EPERM, "storage %s %s refused: absolute path", what,
                               quote_key(q, sizeof q, shown));
    size_t seg = 0;
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = i < len ? (unsigned char)key[i] : '/';
        if (c == '/') {
            size_t n = i - seg;
            if (n == 0)
                return delta_error_set(DELTA_EPERM,
                                       "storage %s %s refused: empty segment at byte %zu",
                                       what, quote_key(q, sizeof q, shown), i);
            if ((n == 1 && key[seg] == '.') || (n == 2 && key[seg] == '.' && key[seg + 1] == '.'))
                return delta_error_set(DELTA_EPERM,
                                       "storage %s %s refused: '%.*s' segment at byte %zu",
                                       what, quote_key(q, sizeof q, shown), (int)n, key + seg,
                                       seg);
            seg = i + 1;
        } else if (c == '\\') {
            return delta_error_set(DELTA_EPERM, "storage %s %s refused: backslash at byte %zu",
                                   what, quote_key(q, sizeof q, shown), i);
        } else if (c < 0x20 || c == 0x7f) {
            return delta_error_set(DELTA_EPERM,
                                   "storage %s %s refused: control character 0x%02x at byte %zu",
                                   what, quote_key(q, sizeof q, shown), c, i);
        }
    }
    return 0;
}

int delta_store_check_key(const char *key)
{
    if (!key)
        return delta_error_set(DELTA_EPERM, "storage key refused: NULL");
    return check_path(key, strlen(key), "key", key);
}

/* A list prefix is "" or a key, optionally followed by one '/'. */
static int check_prefix(const char *prefix)
{
    if (!prefix)
        return delta_error_set(DELTA_EPERM, "storage list prefix refused: NULL");
    size_t len = strlen(prefix);
    if (len == 0)
        return 0;
    if (prefix[len - 1] == '/')
        len--;
    return check_path(prefix, len, "list prefix", prefix);
}

/* ---- URI parsing -------------------------------------------------------- */

/* Length of the URI scheme ("file" in "file:..."), or 0 when uri does not
 * start with scheme ':' (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )). */
static size_t scheme_len(const char *uri)
{
    size_t i = 0;
    if (!((uri[0] >= 'a' && uri[0] <= 'z') || (uri[0] >= 'A' && uri[0] <= 'Z')))
        return 0;
    for (i = 1; uri[i]; i++) {
        char c = uri[i];
        if (c == ':')
            return i;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '-' || c == '.'))
            return 0;
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes the path of a file URI into a new string. */
static int percent_decode(const char *uri, const char *s, char **out)
{
    size_t n = strlen(s);
    char *d = delta_malloc(n + 1);
    if (!d)
        return DELTA_ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            d[o++] = s[i];
            continue;
        }
        int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
        int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            delta_free(d);
            return delta_error_set(DELTA_EINVAL, "store URI '%s': bad percent escape at byte %zu",
                                   uri, (size_t)(s - uri) + i);
        }
        d[o++] = (char)(hi * 16 + lo);
        i += 2;
    }
    d[o] = '\0';
    *out = d;
    return 0;
}

/* Removes trailing slashes, keeping a lone "/". */
static void strip_slashes(char *p)
{
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
}

static int store_new(delta_store **out, delta_store_backend *backend, const char *uri,
                     const char *prefix)
{
    delta_store *s = delta_calloc(1, sizeof *s);
    store_shared *sh = delta_calloc(1, sizeof *sh);
    if (s)
        s->uri = delta_strdup(uri);
    if (s)
        s->prefix = delta_strdup(prefix);
    if (!s || !sh || !s->uri || !s->prefix) {
        if (s) {
            delta_free(s->uri);
            delta_free(s->prefix);
        }
        delta_free(s);
        delta_free(sh);
        backend->free(backend);
        return DELTA_ENOMEM;
    }
    strip_slashes(s->uri);
    s->prefix_len = strlen(prefix);
    sh->backend = backend;
    atomic_init(&sh->refs, 1);
    s->sh = sh;
    *out = s;
    return 0;
}

static int open_file_uri(delta_store **out, const char *uri, const char *rest)
{
    /* rest follows "file:": "//[localhost]/abs/path" or "/abs/path". */
    const char *path = rest;
    if (rest[0] == '/' && rest[1] == '/') {
        const char *auth = rest + 2;
        const char *slash = strchr(auth, '/');
        size_t alen = slash ? (size_t)(slash - auth) : strlen(auth);
        if (alen != 0 && !(alen == 9 && strncmp(auth, "localhost", 9) == 0))
            return delta_error_set(DELTA_EUNSUPPORTED,
                                   "store URI '%s': file URIs on host '%.*s' are not supported",
                                   uri, (int)alen, auth);
        if (!slash)
            return delta_error_set(DELTA_EINVAL, "store URI '%s': missing path", uri);
        path = slash;
    }
    if (path[0] != '/')
        return delta_error_set(DELTA_EINVAL, "store URI '%s': file URI path must be absolute",
                               uri);
    char *decoded = NULL;
    int rc = percent_decode(uri, path, &decoded);
    if (rc)
        return rc;
    strip_slashes(decoded);
    delta_store_backend *b = NULL;
    rc = store_file_open(&b, decoded);
    delta_free(decoded);
    if (rc)
        return rc;
    return store_new(out, b, uri, "");
}

static int open_memory_uri(delta_store **out, const char *uri, const char *rest)
{
    /* rest follows "memory:": "//NAME" or "//NAME/sub/prefix". */
    if (rest[0] != '/' || rest[1] != '/')
        return delta_error_set(DELTA_EINVAL, "store URI '%s': expected memory://NAME", uri);
    const char *name = rest + 2;
    const char *slash = strchr(name, '/');
    size_t nlen = slash ? (size_t)(slash - name) : strlen(name);
    if (nlen == 0)
        return delta_error_set(DELTA_EINVAL, "store URI '%s': empty memory store name", uri);
    for (size_t i = 0; i < nlen; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f || c == '\\')
            return delta_error_set(DELTA_EINVAL,
                                   "store URI '%s': bad byte 0x%02x in memory store name", uri,
                                   c);
    }
    char *sub = delta_strdup(slash ? slash + 1 : "");
    char *nm = delta_strndup(name, nlen);
    if (!sub || !nm) {
        delta_free(sub);
        delta_free(nm);
        return DELTA_ENOMEM;
    }
    size_t sl = strlen(sub);
    while (sl > 0 && sub[sl - 1] == '/')
        sub[--sl] = '\0';
    int rc = 0;
    if (sl > 0 && (rc = check_path(sub, sl, "path in store URI", uri)) != 0) {
        delta_free(sub);
        delta_free(nm);
        return rc;
    }
    delta_store_backend *b = NULL;
    rc = store_memory_open(&b, nm);
    if (rc == 0)
        rc = store_new(out, b, uri, sub);
    delta_free(sub);
    delta_free(nm);
    return rc;
}

int delta_store_open(delta_store **out, const char *uri)
{
    if (!out)
        return delta_error_set(DELTA_EINVAL, "delta_store_open: out is NULL");
    *out = NULL;
    if (!uri || !*uri)
        return delta_error_set(DELTA_EINVAL, "store URI is empty");

    size_t sl = scheme_len(uri);
    if (sl == 4 && strncasecmp(uri, "file", 4) == 0)
        return open_file_uri(out, uri, uri + 5);
    if (sl == 6 && strncasecmp(uri, "memory", 6) == 0)
        return open_memory_uri(out, uri, uri + 7);
    if (sl > 0 && uri[sl + 1] == '/' && uri[sl + 2] == '/')
        return delta_error_set(DELTA_EUNSUPPORTED,
                               "store URI '%s': storage scheme '%.*s' is not supported", uri,
                               (int)sl, uri);

    /* A plain path, relative or absolute. */
    char *path = delta_strdup(uri);
    if (!path)
        return DELTA_ENOMEM;
    strip_slashes(path);
    delta_store_backend *b = NULL;
    int rc = store_file_open(&b, path);
    delta_free(path);
    if (rc)
        return rc;
    return store_new(out, b, uri, "");
}

int delta_store_from_backend(delta_store **out, delta_store_backend *backend, const char *uri)
{
    if (out)
        *out = NULL;
    if (!backend)
        return delta_error_set(DELTA_EINVAL, "delta_store_from_backend: backend is NULL");
    if (!backend->free)
        return delta_error_set(DELTA_EINVAL,
                               "delta_store_from_backend: backend of '%s' has no free function",
                               uri ? uri : "");
    int rc = 0;
    if (!out)
        rc = delta_error_set(DELTA_EINVAL, "delta_store_from_backend: out is NULL");
    else if (backend->version != DELTA_STORE_BACKEND_VERSION)
        rc = delta_error_set(DELTA_EUNSUPPORTED,
                             "storage backend of '%s' has version %u, expected %u",
                             uri ? uri : "", backend->version, DELTA_STORE_BACKEND_VERSION);
    else if (!backend->get || !backend->get_range || !backend->head || !backend->put ||
             !backend->put_if_absent || !backend->list || !backend->del ||
             !backend->writer_open || !backend->writer_write || !backend->writer_commit ||
             !backend->writer_abort)
        rc = delta_error_set(DELTA_EINVAL, "storage backend of '%s' lacks a required function",
                             uri ? uri : "");
    if (rc) {
        backend->free(backend);
        return rc;
    }
    return store_new(out, backend, uri ? uri : "", "");
}

int delta_store_open_sub(delta_store **out, delta_store *parent, const char *prefix)
{
    if (!out)
        return delta_error_set(DELTA_EINVAL, "delta_store_open_sub: out is NULL");
    *out = NULL;
    if (!parent)
        return delta_error_set(DELTA_EINVAL, "delta_store_open_sub: parent is NULL");
    if (!prefix)
        return delta_error_set(DELTA_EPERM, "sub-store prefix refused: NULL");
    size_t len = strlen(prefix);
    while (len > 0 && prefix[len - 1] == '/')
        len--;
    int rc = check_path(prefix, len, "sub-store prefix", prefix);
    if (rc)
        return rc;

    dbuf p = DBUF_INIT, u = DBUF_INIT;
    if (parent->prefix_len) {
        dbuf_append(&p, parent->prefix, parent->prefix_len);
        dbuf_putc(&p, '/');
    }
    dbuf_append(&p, prefix, len);
    dbuf_puts(&u, parent->uri);
    if (u.len == 0 || u.data[u.len - 1] != '/')
        dbuf_putc(&u, '/');
    dbuf_append(&u, prefix, len);
    delta_store *s = delta_calloc(1, sizeof *s);
    if (p.err || u.err || !s) {
        dbuf_free(&p);
        dbuf_free(&u);
        delta_free(s);
        return DELTA_ENOMEM;
    }
    s->prefix_len = p.len;
    s->prefix = dbuf_detach(&p, NULL);
    s->uri = dbuf_detach(&u, NULL);
    s->sh = parent->sh;
    atomic_fetch_add(&s->sh->refs, 1);
    *out = s;
    return 0;
}

void delta_store_free(delta_store *s)
{
    if (!s)
        return;
    if (atomic_fetch_sub(&s->sh->refs, 1) == 1) {
        s->sh->backend->free(s->sh->backend);
        delta_free(s->sh);
    }
    delta_free(s->uri);
    delta_free(s->prefix);
    delta_free(s);
}

const char *delta_store_uri(const delta_store *s)
{
    return s ? s->uri : "";
}

unsigned delta_store_caps(const delta_store *s)
{
    return s ? s->sh->backend->caps : 0;
}

/* ---- dispatch ----------------------------------------------------------- */

/* Validates `key` and points *mapped at the backend key; *owned is set when
 * it had to be allocated (free it with delta_free). */
static int map_key(const delta_store *s, const char *key, const char **mapped, char **owned)
{
    *owned = NULL;
    *mapped = NULL;
    int rc = delta_store_check_key(key);
    if (rc)
        return rc;
    if (s->prefix_len == 0) {
        *mapped = key;
        return 0;
    }
    size_t kl = strlen(key);
    char *k = delta_malloc(s->prefix_len + 1 + kl + 1);
    if (!k)
        return DELTA_ENOMEM;
    memcpy(k, s->prefix, s->prefix_len);
    k[s->prefix_len] = '/';
    memcpy(k + s->prefix_len + 1, key, kl + 1);
    *mapped = *owned = k;
    return 0;
}

#define STORE_CHECK(s)                                                                 \
    do {                                                                               \
        if (!(s))                                                                      \
            return delta_error_set(DELTA_EINVAL, "%s: store is NULL", __func__);       \
    } while (0)

int delta_store_get(delta_store *s, const char *key, uint8_t **out, size_t *out_len)
{
    STORE_CHECK(s);
    if (!out || !out_len)
        return delta_error_set(DELTA_EINVAL, "delta_store_get: output is NULL");
    *out = NULL;
    *out_len = 0;
    const char *k;
    char *owned;
    int rc = map_key(s, key, &k, &owned);
    if (rc == 0)
        rc = s->sh->backend->get(s->sh->backend, k, out, out_len);
    delta_free(owned);
    return rc;
}

int delta_store_get_range(delta_store *s, const char *key, uint64_t offset, size_t len,
                          uint8_t *dst, size_t *out_read)
{
    STORE_CHECK(s);
    if (!out_read || (!dst && len > 0))
        return delta_error_set(DELTA_EINVAL, "delta_store_get_range: output is NULL");
    *out_read = 0;
    const char *k;
    char *owned;
    int rc = map_key(s, key, &k, &owned);
    if (rc == 0)
        rc = s->sh->backend->get_range(s->sh->backend, k, offset, len, dst, out_read);
    delta_free(owned);
    return rc;
}

int delta_store_head(delta_store *s, const char *key, delta_object_info *out)
{
    STORE_CHECK(s);
    if (!out)
        return delta_error_set(DELTA_EINVAL, "delta_store_head: output is NULL");
    memset(out, 0, sizeof *out);
    const char *k;
    char *owned;
    int rc = map_key(s, key, &k, &owned);
    if (rc == 0)
        rc = s->sh->backend->head(s->sh->backend, k, out);
    out->key = NULL;
    delta_free(owned);
    return rc;
}

int delta_store_put(delta_store *s, const char *key, const void *data, size_t len)
{
    STORE_CHECK(s);
    if (!data && len > 0)
        return delta_error_set(DELTA_EINVAL, "delta_store_put: data is NULL");
    const char *k;
    char *owned;
    int rc = map_key(s, key, &k, &owned);
    if (rc == 0)
        rc = s->sh->backend->put(s->sh->backend, k, data ? data : "", len);
    delta_free(owned);
    return rc;
}

int delta_store_put_if_absent(delta_store *s, const char *key, const void *data, size_t len)
{
    STORE_CHECK(s);
    if (!data && len > 0)
        return delta_error_set(DELTA_EINVAL, "delta_store_put_if_absent: data is NULL");
    const char *k;
    char *owned;
    int rc = map_key(s, key, &k, &owned);
    if (rc == 0)
        rc = s->sh->backend->put_if_absent(s->sh->backend, k, data ? data : "", len);
    delta_free(owned);
    return rc;
}

/* Drops entries [from, count) of a listing. */
static void list_truncate(delta_object_list *l, size_t from)
{
    for (size_t i = from; i < l->count; i++)
        delta_free(l->items[i].key);
    if (l->count > from)
        l->count = from;
}

int delta_store_list(delta_store *s, const char *prefix, const char *start_after,
                     unsigned flags, delta_object_list *out)
{
    STORE_CHECK(s);
    if (!out)
        return delta_error_set(DELTA_EINVAL, "delta_store_list: output is NULL");
    if (flags & ~(unsigned)DELTA_LIST_RECURSIVE)
        return delta_error_set(DELTA_EINVAL, "delta_store_list: unknown flags 0x%x", flags);
    int rc = check_prefix(prefix);
    if (rc)
        return rc;

    size_t first = out->count;
    if (s->prefix_len == 0) {
        rc = s->sh->backend->list(s->sh->backend, prefix, start_after, flags, out);
        if (rc)
            list_truncate(out, first);
        return rc;
    }

    dbuf p = DBUF_INIT, a = DBUF_INIT;
    dbuf_append(&p, s->prefix, s->prefix_len);
    dbuf_putc(&p, '/');
    dbuf_puts(&p, prefix);
    if (start_after) {
        dbuf_append(&a, s->prefix, s->prefix_len);
        dbuf_putc(&a, '/');
        dbuf_puts(&a, start_after);
    }
    if (p.err || a.err) {
        rc = DELTA_ENOMEM;
        goto done;
    }
    rc = s->sh->backend->list(s->sh->backend, dbuf_cstr(&p), start_after ? dbuf_cstr(&a) : NULL,
                              flags, out);
    if (rc)
        goto done;
    size_t skip = s->prefix_len + 1;
    for (size_t i = first; i < out->count; i++) {
        char *k = out->items[i].key;
        if (!k || strncmp(k, s->prefix, s->prefix_len) != 0 || k[s->prefix_len] != '/') {
            rc = delta_error_set(DELTA_EIO, "%s: backend listed key '%s' outside prefix '%s/'",
                                 s->uri, k ? k : "(null)", s->prefix);
            goto done;
        }
        memmove(k, k + skip, strlen(k + skip) + 1);
    }
done:
    if (rc)
        list_truncate(out, first);
    dbuf_free(&p);
    dbuf_free(&a);
    return rc;
}

int delta_store_delete(delta_store *s, const char *key)
{
    STORE_CHECK(s);
    const char *k;
    char *owned;
    int rc = map_key(s, key, &k, &owned);
    if (rc == 0)
        rc = s->sh->backend->del(s->sh->backend, k);
    delta_free(owned);
    return rc;
}

int delta_store_writer_open(delta_store *s, const char *key, unsigned flags,
                            delta_store_writer **out)
{
    STORE_CHECK(s);
    if (!out)
        return delta_error_set(DELTA_EINVAL, "delta_store_writer_open: out is NULL");
    *out = NULL;
    if (flags & ~(unsigned)DELTA_PUT_IF_ABSENT)
        return delta_error_set(DELTA_EINVAL, "delta_store_writer_open: unknown flags 0x%x",
                               flags);
    const char *k;
    char *owned;
    int rc = map_key(s, key, &k, &owned);
    if (rc == 0)
        rc = s->sh->backend->writer_open(s->sh->backend, k, flags, out);
    delta_free(owned);
    return rc;
}

int delta_store_writer_write(delta_store *s, delta_store_writer *w, const void *data,
                             size_t len)
{
    STORE_CHECK(s);
    if (!w)
        return delta_error_set(DELTA_EINVAL, "delta_store_writer_write: writer is NULL");
    if (!data && len > 0)
        return delta_error_set(DELTA_EINVAL, "delta_store_writer_write: data is NULL");
    if (len == 0)
        return 0;
    return s->sh->backend->writer_write(w, data, len);
}

int delta_store_writer_commit(delta_store *s, delta_store_writer *w)
{
    STORE_CHECK(s);
    if (!w)
        return delta_error_set(DELTA_EINVAL, "delta_store_writer_commit: writer is NULL");
    return s->sh->backend->writer_commit(w);
}

void delta_store_writer_abort(delta_store *s, delta_store_writer *w)
{
    if (s && w)
        s->sh->backend->writer_abort(w);
}

int store_list_push(delta_object_list *l, char *key, int64_t size, int64_t mtime_ms)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        delta_object_info *items = delta_reallocarray(l->items, cap, sizeof *items);
        if (!items) {
            delta_free(key);
            return DELTA_ENOMEM;
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->count].key = key;
    l->items[l->count].size = size;
    l->items[l->count].mtime_ms = mtime_ms;
    l->count++;
    return 0;
}

static int info_cmp(const void *a, const void *b)
{
    return strcmp(((const delta_object_info *)a)->key, ((const delta_object_info *)b)->key);
}

void store_list_sort(delta_object_list *l, size_t from)
{
    if (l->count > from + 1)
        qsort(l->items + from, l->count - from, sizeof *l->items, info_cmp);
}

void store_list_truncate(delta_object_list *l, size_t from)
{
    list_truncate(l, from);
}

void delta_object_list_free(delta_object_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        delta_free(list->items[i].key);
    delta_free(list->items);
    list->items = NULL;
    list->count = 0;
    list->cap = 0;
}

void delta_store_fault_stats(const delta_store *s, delta_fault_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (s)
        store_fault_stats(s->sh->backend, out);
}
