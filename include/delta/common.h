/*
 * libdelta common definitions: export macro, error codes, the thread-local
 * error message, library version, and freeing memory the library returns.
 *
 * Every fallible libdelta function returns an int: 0 on success or one of
 * the negative DELTA_E* codes below. On failure a human-readable message
 * naming the object involved (path, column, version, position) is stored
 * per thread and read back with delta_error_last().
 */
#ifndef DELTA_COMMON_H
#define DELTA_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DELTA_BUILDING) && defined(__GNUC__)
#define DELTA_EXTERN __attribute__((visibility("default")))
#else
#define DELTA_EXTERN
#endif

/** Error codes: every failing libdelta call returns one of these. */
enum delta_error_code {
    DELTA_OK = 0,
    DELTA_EINVAL = -1,      /**< invalid argument or input */
    DELTA_ENOMEM = -2,      /**< out of memory */
    DELTA_ENOTFOUND = -3,   /**< object, table, version or column not found */
    DELTA_EEXIST = -4,      /**< object already exists (e.g. put_if_absent lost) */
    DELTA_EIO = -5,         /**< I/O error from the storage backend */
    DELTA_ECORRUPT = -6,    /**< malformed or corrupt data (file, log, page) */
    DELTA_EUNSUPPORTED = -7,/**< valid but unsupported (feature, type, codec) */
    DELTA_ECONFLICT = -8,   /**< a concurrent commit conflicts with this one */
    DELTA_ERANGE = -9,      /**< value out of range, overflow */
    DELTA_ETYPE = -10,      /**< type mismatch */
    DELTA_ECANCELED = -11,  /**< operation canceled */
    DELTA_EPERM = -12,      /**< operation not permitted (e.g. key escapes root) */
    DELTA_ENOTIMPL = -13    /**< command or function not built yet */
};

/**
 * The message of the last error raised on this thread, or "" when none.
 * The string stays valid until the next libdelta call on this thread.
 */
DELTA_EXTERN const char *delta_error_last(void);

/** The code of the last error raised on this thread, or 0 when none. */
DELTA_EXTERN int delta_error_last_code(void);

/** Forgets the last error on this thread. */
DELTA_EXTERN void delta_error_clear(void);

/** A short static name for an error code ("EINVAL", ...). */
DELTA_EXTERN const char *delta_error_name(int code);

/** The library version, "MAJOR.MINOR.PATCH". */
DELTA_EXTERN const char *delta_version(void);

/** Frees memory that a libdelta function handed to the caller. */
DELTA_EXTERN void delta_free(void *ptr);

#ifdef __cplusplus
}
#endif

#endif /* DELTA_COMMON_H */
