/*
 * The in-memory backend (memory://NAME), for tests and demos.
 *
 * Every store opened on the same NAME in one process shares one "space":
 * a sorted array of objects (key, bytes, mtime) searched by binary search.
 * Spaces are created on first use and live until the process exits, so a
 * table written through one store is read back through another.
 *
 * Invariants:
 * - space->objs is sorted byte-wise (strcmp) by key with no duplicates.
 * - Every operation on a space holds its mutex for its whole duration, so
 *   each put, put_if_absent, delete and writer commit is atomic: of racing
 *   put_if_absent calls exactly one wins, and readers see whole objects.
 * - Memory is allocated outside the lock where it is easy to (copies of
 *   the data being stored), so the lock is held briefly.
 * - Unlike the file backend, "a" and "a/b" can both be objects: there are
 *   no directories.
 */
#include "storage/store_internal.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"

#include <pthread.h>
#include <string.h>

typedef struct mem_obj {
    char *key;
    uint8_t *data; /* len bytes, then a NUL (never NULL) */
    size_t len;
    int64_t mtime_ms;
} mem_obj;

typedef struct mem_space {
    struct mem_space *next;
    char *name;
    pthread_mutex_t mu;
    mem_obj *objs;
    size_t n, cap;
} mem_space;

typedef struct mem_backend {
    delta_store_backend base;
    mem_space *sp;
} mem_backend;

typedef struct mem_writer {
    struct delta_store_writer base;
    mem_space *sp;
    char *key;
    unsigned flags;
    dbuf buf;
} mem_writer;

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static mem_space *registry;

/* ---- the sorted array (caller holds sp->mu) ----------------------------- */

/* Index of the first object whose key is >= key. */
static size_t lower_bound(const mem_space *sp, const char *key)
{
    size_t lo = 0, hi = sp->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(sp->objs[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static mem_obj *find(mem_space *sp, const char *key)
{
    size_t i = lower_bound(sp, key);
    return i < sp->n && strcmp(sp->objs[i].key, key) == 0 ? &sp->objs[i] : NULL;
}

static int not_found(const mem_space *sp, const char *key)
{
    return delta_error_set(DELTA_ENOTFOUND, "memory://%s/%s: no such object", sp->name, key);
}

/* Stores (key, data) taking ownership of both (freed on failure). When
 * if_absent and key exists, fails with DELTA_EEXIST. */
static int store_obj(mem_space *sp, char *key, uint8_t *data, size_t len, int if_absent)
{
    int rc = 0;
    uint8_t *old = NULL;
    int64_t now = store_now_ms();
    pthread_mutex_lock(&sp->mu);
    size_t i = lower_bound(sp, key);
    if (i < sp->n && strcmp(sp->objs[i].key, key) == 0) {
        if (if_absent) {
            rc = delta_error_set(DELTA_EEXIST, "memory://%s/%s already exists", sp->name, key);
        } else {
            old = sp->objs[i].data;
            sp->objs[i].data = data;
            sp->objs[i].len = len;
            sp->objs[i].mtime_ms = now;
            data = NULL;
        }
        goto unlock;
    }
    if (sp->n == sp->cap) {
        size_t cap = sp->cap ? sp->cap * 2 : 16;
        mem_obj *objs = delta_reallocarray(sp->objs, cap, sizeof *objs);
        if (!objs) {
            rc = DELTA_ENOMEM;
            goto unlock;
        }
        sp->objs = objs;
        sp->cap = cap;
    }
    memmove(sp->objs + i + 1, sp->objs + i, (sp->n - i) * sizeof *sp->objs);
    sp->objs[i] = (mem_obj){key, data, len, now};
    sp->n++;
    key = NULL;
    data = NULL;
unlock:
    pthread_mutex_unlock(&sp->mu);
    delta_free(old);
    delta_free(data);
    delta_free(key);
    return rc;
}

/* A copy of len bytes followed by a NUL. */
static uint8_t *copy_bytes(const void *data, size_t len)
{
    if (len == SIZE_MAX) {
        delta_error_oom();
        return NULL;
    }
    uint8_t *p = delta_malloc(len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, data, len);
    p[len] = '\0';
    return p;
}

/* ---- operations --------------------------------------------------------- */

static int mem_get(delta_store_backend *b, const char *key, uint8_t **out, size_t *out_len)
{
    mem_space *sp = ((mem_backend *)b)->sp;
    int rc = 0;
    pthread_mutex_lock(&sp->mu);
    mem_obj *o = find(sp, key);
    if (!o) {
        rc = not_found(sp, key);
    } else {
        uint8_t *p = copy_bytes(o->data, o->len);
        if (!p) {
            rc = DELTA_ENOMEM;
        } else {
            *out = p;
            *out_len = o->len;
        }
    }
    pthread_mutex_unlock(&sp->mu);
    return rc;
}

static int mem_get_range(delta_store_backend *b, const char *key, uint64_t offset, size_t len,
                         uint8_t *dst, size_t *out_read)
{
    mem_space *sp = ((mem_backend *)b)->sp;
    int rc = 0;
    pthread_mutex_lock(&sp->mu);
    mem_obj *o = find(sp, key);
    if (!o) {
        rc = not_found(sp, key);
    } else if (offset < o->len && len > 0) {
        size_t avail = o->len - (size_t)offset;
        size_t n = avail < len ? avail : len;
        memcpy(dst, o->data + offset, n);
        *out_read = n;
    }
    pthread_mutex_unlock(&sp->mu);
    return rc;
}

static int mem_head(delta_store_backend *b, const char *key, delta_object_info *out)
{
    mem_space *sp = ((mem_backend *)b)->sp;
    int rc = 0;
    pthread_mutex_lock(&sp->mu);
    mem_obj *o = find(sp, key);
    if (!o) {
        rc = not_found(sp, key);
    } else {
        out->size = (int64_t)o->len;
        out->mtime_ms = o->mtime_ms;
    }
    pthread_mutex_unlock(&sp->mu);
    return rc;
}

static int put_common(delta_store_backend *b, const char *key, const void *data, size_t len,
                      int if_absent)
{
    mem_space *sp = ((mem_backend *)b)->sp;
    char *k = delta_strdup(key);
    uint8_t *d = k ? copy_bytes(data, len) : NULL;
    if (!d) {
        delta_free(k);
        return DELTA_ENOMEM;
    }
    return store_obj(sp, k, d, len, if_absent);
}

static int mem_put(delta_store_backend *b, const char *key, const void *data, size_t len)
{
    return put_common(b, key, data, len, 0);
}

static int mem_put_if_absent(delta_store_backend *b, const char *key, const void *data,
                             size_t len)
{
    return put_common(b, key, data, len, 1);
}

static int mem_list(delta_store_backend *b, const char *prefix, const char *start_after,
                    unsigned flags, delta_object_list *out)
{
    mem_space *sp = ((mem_backend *)b)->sp;
    size_t plen = strlen(prefix);
    size_t first = out->count;
    int recursive = (flags & DELTA_LIST_RECURSIVE) != 0;
    int rc = 0;

    pthread_mutex_lock(&sp->mu);
    size_t i = lower_bound(sp, prefix);
    if (start_after && strcmp(start_after, prefix) >= 0) {
        size_t j = lower_bound(sp, start_after);
        if (j < sp->n && strcmp(sp->objs[j].key, start_after) == 0)
            j++;
        if (j > i)
            i = j;
    }
    for (; i < sp->n; i++) {
        const mem_obj *o = &sp->objs[i];
        if (strncmp(o->key, prefix, plen) != 0)
            break;
        if (!recursive && strchr(o->key + plen, '/'))
            continue;
        char *k = delta_strdup(o->key);
        if (!k) {
            rc = DELTA_ENOMEM;
            break;
        }
        rc = store_list_push(out, k, (int64_t)o->len, o->mtime_ms);
        if (rc)
            break;
    }
    pthread_mutex_unlock(&sp->mu);
    if (rc)
        store_list_truncate(out, first);
    return rc;
}

static int mem_del(delta_store_backend *b, const char *key)
{
    mem_space *sp = ((mem_backend *)b)->sp;
    mem_obj gone = {0};
    int rc = 0;
    pthread_mutex_lock(&sp->mu);
    size_t i = lower_bound(sp, key);
    if (i < sp->n && strcmp(sp->objs[i].key, key) == 0) {
        gone = sp->objs[i];
        memmove(sp->objs + i, sp->objs + i + 1, (sp->n - i - 1) * sizeof *sp->objs);
        sp->n--;
    } else {
        rc = not_found(sp, key);
    }
    pthread_mutex_unlock(&sp->mu);
    delta_free(gone.key);
    delta_free(gone.data);
    return rc;
}

/* ---- streaming writer --------------------------------------------------- */

static int mem_writer_open(delta_store_backend *b, const char *key, unsigned flags,
                           delta_store_writer **out)
{
    mem_writer *w = delta_calloc(1, sizeof *w);
    if (!w)
        return DELTA_ENOMEM;
    w->key = delta_strdup(key);
    if (!w->key) {
        delta_free(w);
        return DELTA_ENOMEM;
    }
    w->base.backend = b;
    w->sp = ((mem_backend *)b)->sp;
    w->flags = flags;
    *out = &w->base;
    return 0;
}

static int mem_writer_write(delta_store_writer *base, const void *data, size_t len)
{
    mem_writer *w = (mem_writer *)base;
    if (w->buf.err)
        return delta_error_set(w->buf.err, "memory://%s/%s: an earlier write failed",
                               w->sp->name, w->key);
    return dbuf_append(&w->buf, data, len);
}

static void mem_writer_abort(delta_store_writer *base)
{
    mem_writer *w = (mem_writer *)base;
    dbuf_free(&w->buf);
    delta_free(w->key);
    delta_free(w);
}

static int mem_writer_commit(delta_store_writer *base)
{
    mem_writer *w = (mem_writer *)base;
    if (w->buf.err) {
        int rc = delta_error_set(w->buf.err, "committing memory://%s/%s: an earlier write failed",
                                 w->sp->name, w->key);
        mem_writer_abort(base);
        return rc;
    }
    size_t len = 0;
    uint8_t *data = w->buf.data ? dbuf_detach(&w->buf, &len) : copy_bytes("", 0);
    if (!data) {
        mem_writer_abort(base);
        return DELTA_ENOMEM;
    }
    int rc = store_obj(w->sp, w->key, data, len, (w->flags & DELTA_PUT_IF_ABSENT) != 0);
    delta_free(w);
    return rc;
}

/* ---- backend ------------------------------------------------------------ */

static void mem_free(delta_store_backend *b)
{
    delta_free(b); /* the space outlives every store on it */
}

/* Finds or creates the space called name. */
static int space_get(const char *name, mem_space **out)
{
    int rc = 0;
    pthread_mutex_lock(&registry_mu);
    mem_space *sp = registry;
    while (sp && strcmp(sp->name, name) != 0)
        sp = sp->next;
    if (!sp) {
        sp = delta_calloc(1, sizeof *sp);
        char *nm = sp ? delta_strdup(name) : NULL;
        if (!nm || pthread_mutex_init(&sp->mu, NULL) != 0) {
            if (nm)
                rc = delta_error_set(DELTA_EIO, "memory://%s: cannot create a mutex", name);
            else
                rc = DELTA_ENOMEM;
            delta_free(nm);
            delta_free(sp);
            sp = NULL;
        } else {
            sp->name = nm;
            sp->next = registry;
            registry = sp;
        }
    }
    pthread_mutex_unlock(&registry_mu);
    *out = sp;
    return rc;
}

int store_memory_open(delta_store_backend **out, const char *name)
{
    *out = NULL;
    if (!name || !*name)
        return delta_error_set(DELTA_EINVAL, "memory store: empty name");
    mem_backend *mb = delta_calloc(1, sizeof *mb);
    if (!mb)
        return DELTA_ENOMEM;
    int rc = space_get(name, &mb->sp);
    if (rc) {
        delta_free(mb);
        return rc;
    }
    mb->base.version = DELTA_STORE_BACKEND_VERSION;
    mb->base.caps = DELTA_STORE_CAP_ATOMIC_PUT_IF_ABSENT | DELTA_STORE_CAP_SORTED_LIST |
                    DELTA_STORE_CAP_RANGED_GET;
    mb->base.get = mem_get;
    mb->base.get_range = mem_get_range;
    mb->base.head = mem_head;
    mb->base.put = mem_put;
    mb->base.put_if_absent = mem_put_if_absent;
    mb->base.list = mem_list;
    mb->base.del = mem_del;
    mb->base.writer_open = mem_writer_open;
    mb->base.writer_write = mem_writer_write;
    mb->base.writer_commit = mem_writer_commit;
    mb->base.writer_abort = mem_writer_abort;
    mb->base.free = mem_free;
    *out = &mb->base;
    return 0;
}
