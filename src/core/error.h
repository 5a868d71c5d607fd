/*
 * Internal side of the error model (include/delta/common.h is the public
 * side). A failing function records a message with delta_error_set() and
 * returns the code it got back, so error paths read:
 *
 *     if (len > cap)
 *         return delta_error_set(DELTA_ECORRUPT, "%s: page length %u exceeds %u",
 *                                path, len, cap);
 *
 * The message is per thread and replaced by each delta_error_set().
 * delta_error_prefix() prepends context ("reading part-0.parquet: ") to the
 * current message while an error travels up the stack.
 */
#ifndef DELTA_CORE_ERROR_H
#define DELTA_CORE_ERROR_H

#include <delta/common.h>

#if defined(__GNUC__)
#define DELTA_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DELTA_PRINTF(a, b)
#endif

/* Records code and a printf-style message for this thread; returns code. */
int delta_error_set(int code, const char *fmt, ...) DELTA_PRINTF(2, 3);

/* Prepends printf-style context to this thread's message; returns the
 * current code (or `code` if no error is recorded). */
int delta_error_prefix(int code, const char *fmt, ...) DELTA_PRINTF(2, 3);

/* Records DELTA_ENOMEM with a message; returns DELTA_ENOMEM. */
int delta_error_oom(void);

#endif
