/*
 * The fault-injecting store (SQLite's test VFS idea): a backend that
 * forwards every operation to an inner store, counts them, and makes the
 * Nth one fail (FAIL_ONCE), the Nth and all later ones fail (FAIL_FROM), or
 * simulates a crash there (CRASH).
 *
 * Invariants:
 * - Counted operations: get, get_range, head, put, put_if_absent, list,
 *   delete, writer_open, writer_write, writer_commit; writer_abort is not
 *   counted and never fails. Operations refused by key validation, and
 *   zero-length writes, never reach the backend and are not counted.
 * - An operation failed by injection does not happen: a failed put stores
 *   nothing, a failed writer_commit publishes nothing (the inner writer is
 *   aborted), a failed writer_write poisons its writer so that a later
 *   commit fails instead of publishing a partial object.
 * - CRASH: the trigger operation and every later one fail with DELTA_EIO
 *   ("simulated crash at operation N"); at the trigger every writer still
 *   open is aborted in the inner store, so its data never becomes visible.
 *   What the inner store already holds is what "survived".
 * - The counter, the open-writer list and the crash state are guarded by
 *   one mutex. Writer operations hold it while they call the inner store,
 *   so a crash can never abort an inner writer another thread is using.
 */
#include "storage/store_internal.h"

#include "core/alloc.h"
#include "core/error.h"

#include <pthread.h>
#include <string.h>

typedef struct fault_writer fault_writer;

typedef struct fault_backend {
    delta_store_backend base;
    delta_store *inner; /* not owned */
    delta_fault_mode mode;
    uint64_t trigger;
    pthread_mutex_t mu;
    delta_fault_stats stats;
    fault_writer *open; /* writers not yet committed or aborted */
} fault_backend;

struct fault_writer {
    struct delta_store_writer base;
    fault_backend *fb;
    delta_store_writer *inner; /* NULL once abandoned by a crash */
    char *key;
    int poisoned; /* an injected write failure happened */
    fault_writer *prev, *next;
};

static void unlink_writer(fault_backend *fb, fault_writer *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else if (fb->open == w)
        fb->open = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
}

/* Counts one operation (caller holds fb->mu) and decides its fate: 0 to
 * proceed, or DELTA_EIO with the message set. */
static int tick_locked(fault_backend *fb, const char *op, const char *key)
{
    uint64_t n = ++fb->stats.ops;
    int fail = 0;
    if (fb->stats.crashed) {
        fail = 1;
    } else if (fb->trigger != 0) {
        switch (fb->mode) {
        case DELTA_FAULT_FAIL_ONCE:
            fail = n == fb->trigger;
            break;
        case DELTA_FAULT_FAIL_FROM:
            fail = n >= fb->trigger;
            break;
        case DELTA_FAULT_CRASH:
            if (n == fb->trigger) {
                fb->stats.crashed = 1;
                /* Nothing not yet durable survives: abandon open writers. */
                for (fault_writer *w = fb->open; w; w = w->next) {
                    if (w->inner) {
                        delta_store_writer_abort(fb->inner, w->inner);
                        w->inner = NULL;
                    }
                }
                fail = 1;
            }
            break;
        case DELTA_FAULT_NONE:
            break;
        }
    }
    if (!fail)
        return 0;
    fb->stats.failed++;
    if (fb->stats.crashed)
        return delta_error_set(DELTA_EIO, "%s %s: simulated crash at operation %llu", op,
                               key ? key : "", (unsigned long long)fb->trigger);
    return delta_error_set(DELTA_EIO, "%s %s: injected I/O error at operation %llu", op,
                           key ? key : "", (unsigned long long)n);
}

static int tick(fault_backend *fb, const char *op, const char *key)
{
    pthread_mutex_lock(&fb->mu);
    int rc = tick_locked(fb, op, key);
    pthread_mutex_unlock(&fb->mu);
    return rc;
}

/* ---- operations --------------------------------------------------------- */

static int fault_get(delta_store_backend *b, const char *key, uint8_t **out, size_t *out_len)
{
    fault_backend *fb = (fault_backend *)b;
    int rc = tick(fb, "get", key);
    return rc ? rc : delta_store_get(fb->inner, key, out, out_len);
}

static int fault_get_range(delta_store_backend *b, const char *key, uint64_t offset,
                           size_t len, uint8_t *dst, size_t *out_read)
{
    fault_backend *fb = (fault_backend *)b;
    int rc = tick(fb, "get_range", key);
    return rc ? rc : delta_store_get_range(fb->inner, key, offset, len, dst, out_read);
}

static int fault_head(delta_store_backend *b, const char *key, delta_object_info *out)
{
    fault_backend *fb = (fault_backend *)b;
    int rc = tick(fb, "head", key);
    return rc ? rc : delta_store_head(fb->inner, key, out);
}

static int fault_put(delta_store_backend *b, const char *key, const void *data, size_t len)
{
    fault_backend *fb = (fault_backend *)b;
    int rc = tick(fb, "put", key);
    return rc ? rc : delta_store_put(fb->inner, key, data, len);
}

static int fault_put_if_absent(delta_store_backend *b, const char *key, const void *data,
                               size_t len)
{
    fault_backend *fb = (fault_backend *)b;
    int rc = tick(fb, "put_if_absent", key);
    return rc ? rc : delta_store_put_if_absent(fb->inner, key, data, len);
}

static int fault_list(delta_store_backend *b, const char *prefix, const char *start_after,
                      unsigned flags, delta_object_list *out)
{
    fault_backend *fb = (fault_backend *)b;
    int rc = tick(fb, "list", prefix);
    return rc ? rc : delta_store_list(fb->inner, prefix, start_after, flags, out);
}

static int fault_del(delta_store_backend *b, const char *key)
{
    fault_backend *fb = (fault_backend *)b;
    int rc = tick(fb, "delete", key);
    return rc ? rc : delta_store_delete(fb->inner, key);
}

/* ---- streaming writer --------------------------------------------------- */

static void writer_free(fault_writer *w)
{
    delta_free(w->key);
    delta_free(w);
}

static int fault_writer_open(delta_store_backend *b, const char *key, unsigned flags,
                             delta_store_writer **out)
{
    fault_backend *fb = (fault_backend *)b;
    fault_writer *w = delta_calloc(1, sizeof *w);
    char *k = w ? delta_strdup(key) : NULL;
    if (!k) {
        delta_free(w);
        return DELTA_ENOMEM;
    }
    w->base.backend = b;
    w->fb = fb;
    w->key = k;
    pthread_mutex_lock(&fb->mu);
    int rc = tick_locked(fb, "writer_open", key);
    if (rc == 0)
        rc = delta_store_writer_open(fb->inner, key, flags, &w->inner);
    if (rc == 0) {
        w->next = fb->open;
        if (fb->open)
            fb->open->prev = w;
        fb->open = w;
    }
    pthread_mutex_unlock(&fb->mu);
    if (rc) {
        writer_free(w);
        return rc;
    }
    *out = &w->base;
    return 0;
}

static int fault_writer_write(delta_store_writer *base, const void *data, size_t len)
{
    fault_writer *w = (fault_writer *)base;
    fault_backend *fb = w->fb;
    pthread_mutex_lock(&fb->mu);
    int rc = tick_locked(fb, "writer_write", w->key);
    if (rc) {
        w->poisoned = 1;
    } else if (!w->inner || w->poisoned) {
        rc = delta_error_set(DELTA_EIO, "writer_write %s: writer lost by an earlier failure",
                             w->key);
    } else {
        rc = delta_store_writer_write(fb->inner, w->inner, data, len);
    }
    pthread_mutex_unlock(&fb->mu);
    return rc;
}

static int fault_writer_commit(delta_store_writer *base)
{
    fault_writer *w = (fault_writer *)base;
    fault_backend *fb = w->fb;
    pthread_mutex_lock(&fb->mu);
    int rc = tick_locked(fb, "writer_commit", w->key);
    unlink_writer(fb, w);
    if (rc == 0 && (!w->inner || w->poisoned))
        rc = delta_error_set(DELTA_EIO, "writer_commit %s: writer lost by an earlier failure",
                             w->key);
    if (w->inner) {
        if (rc == 0)
            rc = delta_store_writer_commit(fb->inner, w->inner);
        else
            delta_store_writer_abort(fb->inner, w->inner);
        w->inner = NULL;
    }
    pthread_mutex_unlock(&fb->mu);
    writer_free(w);
    return rc;
}

static void fault_writer_abort(delta_store_writer *base)
{
    fault_writer *w = (fault_writer *)base;
    fault_backend *fb = w->fb;
    pthread_mutex_lock(&fb->mu);
    unlink_writer(fb, w);
    if (w->inner)
        delta_store_writer_abort(fb->inner, w->inner);
    w->inner = NULL;
    pthread_mutex_unlock(&fb->mu);
    writer_free(w);
}

/* ---- backend ------------------------------------------------------------ */

static void fault_free(delta_store_backend *b)
{
    fault_backend *fb = (fault_backend *)b;
    /* Writers left open are the caller's leak to fix; their inner writers
     * are aborted here so the inner store holds no debris. */
    for (fault_writer *w = fb->open; w; w = w->next) {
        if (w->inner)
            delta_store_writer_abort(fb->inner, w->inner);
        w->inner = NULL;
    }
    pthread_mutex_destroy(&fb->mu);
    delta_free(fb);
}

int store_fault_stats(const delta_store_backend *b, delta_fault_stats *out)
{
    if (!b || b->free != fault_free)
        return 0;
    fault_backend *fb = (fault_backend *)(uintptr_t)b;
    pthread_mutex_lock(&fb->mu);
    *out = fb->stats;
    pthread_mutex_unlock(&fb->mu);
    return 1;
}

int delta_store_fault_wrap(delta_store **out, delta_store *inner, delta_fault_mode mode,
                           uint64_t trigger_op)
{
    if (!out)
        return delta_error_set(DELTA_EINVAL, "delta_store_fault_wrap: out is NULL");
    *out = NULL;
    if (!inner)
        return delta_error_set(DELTA_EINVAL, "delta_store_fault_wrap: inner store is NULL");
    if ((int)mode < (int)DELTA_FAULT_NONE || (int)mode > (int)DELTA_FAULT_CRASH)
        return delta_error_set(DELTA_EINVAL, "delta_store_fault_wrap: unknown mode %d",
                               (int)mode);
    fault_backend *fb = delta_calloc(1, sizeof *fb);
    if (!fb)
        return DELTA_ENOMEM;
    if (pthread_mutex_init(&fb->mu, NULL) != 0) {
        delta_free(fb);
        return delta_error_set(DELTA_EIO, "fault store: cannot create a mutex");
    }
    fb->inner = inner;
    fb->mode = mode;
    fb->trigger = mode == DELTA_FAULT_NONE ? 0 : trigger_op;
    fb->base.version = DELTA_STORE_BACKEND_VERSION;
    fb->base.caps = delta_store_caps(inner);
    fb->base.get = fault_get;
    fb->base.get_range = fault_get_range;
    fb->base.head = fault_head;
    fb->base.put = fault_put;
    fb->base.put_if_absent = fault_put_if_absent;
    fb->base.list = fault_list;
    fb->base.del = fault_del;
    fb->base.writer_open = fault_writer_open;
    fb->base.writer_write = fault_writer_write;
    fb->base.writer_commit = fault_writer_commit;
    fb->base.writer_abort = fault_writer_abort;
    fb->base.free = fault_free;
    return delta_store_from_backend(out, &fb->base, delta_store_uri(inner));
}
