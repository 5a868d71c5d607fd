/*
 * The Arrow C Data Interface and C Stream Interface: the ABI through which
 * libdelta hands out and accepts columnar data. pyarrow, polars, DuckDB,
 * DataFusion and nanoarrow consume these structs directly.
 *
 * The definitions are the ones fixed by the Arrow specification ("The
 * Arrow C data interface", "The Arrow C stream interface"); the guards let
 * this header coexist with any other copy of them.
 *
 * Ownership: a struct whose `release` is not NULL owns its data; the
 * consumer calls release() exactly once when done (after which release is
 * NULL). Moving a struct = copying it bitwise and setting the source's
 * release to NULL.
 */
#ifndef DELTA_ARROW_H
#define DELTA_ARROW_H

#include <stdint.h>

#include "delta/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};

struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
    int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
    int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
    const char *(*get_last_error)(struct ArrowArrayStream *);
    void (*release)(struct ArrowArrayStream *);
    void *private_data;
};

#endif /* ARROW_C_STREAM_INTERFACE */

#ifdef __cplusplus
}
#endif

#endif /* DELTA_ARROW_H */
