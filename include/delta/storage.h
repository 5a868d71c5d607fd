/*
 * libdelta object storage: one interface over every place a table can live.
 *
 * A store is opened on a root URI (a plain path, file://, memory://NAME);
 * every key is a '/'-separated path relative to that root. Keys can never
 * escape the root: empty keys, absolute keys, "." or ".." segments, empty
 * segments ("a//b"), backslashes and control characters are refused with
 * DELTA_EPERM before any backend sees them.
 *
 * Backends are structs of function pointers with a version field (as
 * libgit2's ODB backends and SQLite's VFS are) and declare capability bits;
 * the commit path asks for DELTA_STORE_CAP_ATOMIC_PUT_IF_ABSENT instead of
 * guessing from the scheme.
 */
#ifndef DELTA_STORAGE_H
#define DELTA_STORAGE_H

#include <stdint.h>

#include <delta/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Capability bits a backend declares. */
enum delta_store_caps {
    /** put_if_absent is atomic: of racing writers exactly one wins. */
    DELTA_STORE_CAP_ATOMIC_PUT_IF_ABSENT = 1u << 0,
    /** list returns keys in byte-wise sorted order. */
    DELTA_STORE_CAP_SORTED_LIST = 1u << 1,
    /** put/put_if_absent are durable once they return (fsync'd). */
    DELTA_STORE_CAP_DURABLE = 1u << 2,
    /** ranged reads are cheap (no whole-object read). */
    DELTA_STORE_CAP_RANGED_GET = 1u << 3
};

/** Size and modification time of one object. */
typedef struct delta_object_info {
    char *key;          /**< key relative to the store root (owned by the list) */
    int64_t size;       /**< bytes */
    int64_t mtime_ms;   /**< last modification, epoch milliseconds */
} delta_object_info;

/** A listing result: entries sorted by key. Free with delta_object_list_free. */
typedef struct delta_object_list {
    delta_object_info *items;
    size_t count;
    size_t cap;
} delta_object_list;

/** list() flags. */
enum delta_list_flags {
    /** Descend into "sub-directories" (every key with the prefix). Without
     *  it only keys with no '/' after the prefix's last '/' are listed. */
    DELTA_LIST_RECURSIVE = 1u << 0
};

/** A streaming writer for large objects (data files). */
typedef struct delta_store_writer delta_store_writer;

/** writer_open() flags. */
enum delta_put_flags {
    /** Fail the final commit with DELTA_EEXIST when the key exists. */
    DELTA_PUT_IF_ABSENT = 1u << 0
};

#define DELTA_STORE_BACKEND_VERSION 1

/**
 * A storage backend. Keys passed to it have been validated. Every function
 * returns 0 or a negative DELTA_E* code with the message set; a missing key
 * is DELTA_ENOTFOUND.
 */
typedef struct delta_store_backend {
    unsigned version;  /**< DELTA_STORE_BACKEND_VERSION */
    unsigned caps;     /**< delta_store_caps bits */

    /** Reads a whole object into a new buffer (free with delta_free). */
    int (*get)(struct delta_store_backend *b, const char *key, uint8_t **out, size_t *out_len);
    /** Reads up to len bytes at offset into dst; *out_read gets the count
     *  (short only at the end of the object). */
    int (*get_range)(struct delta_store_backend *b, const char *key, uint64_t offset,
                     size_t len, uint8_t *dst, size_t *out_read);
    /** Size and mtime of one object (out->key is left NULL). */
    int (*head)(struct delta_store_backend *b, const char *key, delta_object_info *out);
    /** Creates or replaces an object atomically (readers see old or new). */
    int (*put)(struct delta_store_backend *b, const char *key, const void *data, size_t len);
    /** Creates an object only if the key does not exist: DELTA_EEXIST
     *  otherwise. Never visible partially. */
    int (*put_if_absent)(struct delta_store_backend *b, const char *key, const void *data,
                         size_t len);
    /** Lists keys starting with prefix, sorted, strictly after start_after
     *  when it is non-NULL. Appends to out. */
    int (*list)(struct delta_store_backend *b, const char *prefix, const char *start_after,
                unsigned flags, delta_object_list *out);
    /** Deletes an object; DELTA_ENOTFOUND when it does not exist. */
    int (*del)(struct delta_store_backend *b, const char *key);

    /** Opens a streaming writer; nothing is visible until commit. */
    int (*writer_open)(struct delta_store_backend *b, const char *key, unsigned flags,
                       delta_store_writer **out);
    /** Appends data. After a failure w stays valid (abort it; a commit
     *  fails rather than publish a partial object). */
    int (*writer_write)(delta_store_writer *w, const void *data, size_t len);
    /** Publishes the object (durably when the backend is DURABLE) and frees
     *  w, also when it fails (then nothing is published). */
    int (*writer_commit)(delta_store_writer *w);
    /** Discards everything written and frees w. */
    void (*writer_abort)(delta_store_writer *w);

    /** Frees the backend. */
    void (*free)(struct delta_store_backend *b);
} delta_store_backend;

/** A store: a backend bound to a root URI. */
typedef struct delta_store delta_store;

/**
 * Opens a store on a root URI: "file:///abs/path" (also "file:/abs/path"
 * and "file://localhost/abs/path"; percent escapes are decoded), a plain
 * path (relative or absolute, taken literally), or "memory://NAME"
 * (process-wide, shared by every store opened on the same NAME and kept
 * until the process exits, for tests; "memory://NAME/a/b" is the sub-store
 * "a/b" of it). A file root need not exist yet; it is created by the first
 * write.
 * Returns 0, DELTA_EINVAL (malformed URI) or DELTA_EUNSUPPORTED (scheme).
 */
DELTA_EXTERN int delta_store_open(delta_store **out, const char *uri);

/**
 * Wraps a caller-made backend (takes ownership of it, also on failure).
 * uri is only used in messages.
 */
DELTA_EXTERN int delta_store_from_backend(delta_store **out, delta_store_backend *backend,
                                          const char *uri);

/** Opens a store on a sub-folder of another store (shares the backend,
 *  which stays alive until the last store on it is freed). prefix is
 *  checked like a key; trailing slashes are ignored. */
DELTA_EXTERN int delta_store_open_sub(delta_store **out, delta_store *parent, const char *prefix);

DELTA_EXTERN void delta_store_free(delta_store *s);

/** The root URI the store was opened on (borrowed, valid until free). */
DELTA_EXTERN const char *delta_store_uri(const delta_store *s);
/** delta_store_caps bits of the backend. */
DELTA_EXTERN unsigned delta_store_caps(const delta_store *s);

/** Checks a key: 0, or DELTA_EPERM with a message naming the key. */
DELTA_EXTERN int delta_store_check_key(const char *key);

/** Reads a whole object into *out (free with delta_free); DELTA_ENOTFOUND
 *  when missing. */
DELTA_EXTERN int delta_store_get(delta_store *s, const char *key, uint8_t **out, size_t *out_len);
/** Reads up to len bytes at offset into dst; *out_read is short only at the
 *  end of the object (0 at or beyond it). */
DELTA_EXTERN int delta_store_get_range(delta_store *s, const char *key, uint64_t offset,
                                       size_t len, uint8_t *dst, size_t *out_read);
/** Size and mtime of one object (out->key is set to NULL). */
DELTA_EXTERN int delta_store_head(delta_store *s, const char *key, delta_object_info *out);
/** Creates or replaces an object atomically. */
DELTA_EXTERN int delta_store_put(delta_store *s, const char *key, const void *data, size_t len);
/** Creates an object unless the key exists (DELTA_EEXIST); atomic when the
 *  store has DELTA_STORE_CAP_ATOMIC_PUT_IF_ABSENT. */
DELTA_EXTERN int delta_store_put_if_absent(delta_store *s, const char *key, const void *data,
                                           size_t len);
/** Lists into *out (initialise it to zeros first; free with
 *  delta_object_list_free): keys starting with prefix (a string prefix,
 *  "" for the whole store; checked like a key, a trailing '/' allowed),
 *  strictly after start_after when non-NULL, appended in byte-wise order.
 *  A missing "directory" lists nothing. On failure nothing is appended. */
DELTA_EXTERN int delta_store_list(delta_store *s, const char *prefix, const char *start_after,
                                  unsigned flags, delta_object_list *out);
/** Deletes an object; DELTA_ENOTFOUND when it does not exist. */
DELTA_EXTERN int delta_store_delete(delta_store *s, const char *key);

/** Opens a streaming writer (flags: delta_put_flags); nothing is visible
 *  until delta_store_writer_commit. Every writer call takes the store that
 *  opened the writer (or one sharing its backend: a sub-store of it). */
DELTA_EXTERN int delta_store_writer_open(delta_store *s, const char *key, unsigned flags,
                                         delta_store_writer **out);
/** Appends data. After a failure w stays valid and must still be aborted
 *  (or committed, which then fails). */
DELTA_EXTERN int delta_store_writer_write(delta_store *s, delta_store_writer *w,
                                          const void *data, size_t len);
/** Publishes the object and frees w, also on failure (nothing published);
 *  DELTA_EEXIST when opened with DELTA_PUT_IF_ABSENT and the key exists. */
DELTA_EXTERN int delta_store_writer_commit(delta_store *s, delta_store_writer *w);
/** Discards everything written and frees w (NULL is ignored). */
DELTA_EXTERN void delta_store_writer_abort(delta_store *s, delta_store_writer *w);

/** Frees the entries and the array of a listing and zeroes it. */
DELTA_EXTERN void delta_object_list_free(delta_object_list *list);

/* ---- fault injection (tests) ---------------------------------------- */

/** What the fault-injecting store does at its trigger operation. */
typedef enum delta_fault_mode {
    DELTA_FAULT_NONE = 0,
    /** The Nth operation fails with DELTA_EIO; later ones proceed. */
    DELTA_FAULT_FAIL_ONCE,
    /** The Nth operation and every later one fail with DELTA_EIO. */
    DELTA_FAULT_FAIL_FROM,
    /** Simulated crash at the Nth operation: it and everything after fail
     *  with DELTA_EIO, and nothing not yet durable survives: open writers
     *  are abandoned (their data never becomes visible). */
    DELTA_FAULT_CRASH
} delta_fault_mode;

/** Counts the operations of a fault store (get, get_range, head, put,
 *  put_if_absent, list, delete, writer_open, writer_write, writer_commit
 *  each count one; writer_abort, zero-length writes and calls refused by
 *  key validation are not counted). An operation failed by injection does
 *  not happen. */
typedef struct delta_fault_stats {
    uint64_t ops;       /**< operations attempted */
    uint64_t failed;    /**< operations failed by injection */
    int crashed;        /**< 1 after a simulated crash */
} delta_fault_stats;

/**
 * Wraps `inner` in a store that injects a fault at operation number
 * `trigger_op` (1-based; 0 = never, just count). `inner` stays owned by the
 * caller and must outlive the wrapper.
 */
DELTA_EXTERN int delta_store_fault_wrap(delta_store **out, delta_store *inner,
                                        delta_fault_mode mode, uint64_t trigger_op);
/** Operation counts of a fault store (zeros for other stores). */
DELTA_EXTERN void delta_store_fault_stats(const delta_store *s, delta_fault_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* DELTA_STORAGE_H */
