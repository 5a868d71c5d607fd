/*
 * Internals shared by the storage layer's files: the constructors of the
 * built-in backends (file.c, memory.c), the fault wrapper's statistics hook
 * (fault.c), and the common head of every built-in writer.
 *
 * The public header leaves `struct delta_store_writer` incomplete so that a
 * caller-made backend can define its own writer. The built-in backends all
 * share the one definition below and embed it as the first member of their
 * private writer struct, casting back and forth (libgit2's git_odb_stream
 * pattern). store.c never looks inside a writer: it only passes it on to the
 * backend that made it.
 */
#ifndef DELTA_STORAGE_STORE_INTERNAL_H
#define DELTA_STORAGE_STORE_INTERNAL_H

#include <delta/storage.h>

#include <stdint.h>

struct delta_store_writer {
    delta_store_backend *backend; /* the backend whose writer_open made it */
};

/* Backend over a local directory. root is a path (not a URI), relative or
 * absolute, without trailing slashes except for "/" itself; it need not
 * exist. */
int store_file_open(delta_store_backend **out, const char *root);

/* 1 when `name` (a directory entry name) is one of the file backend's
 * temporary files (".NAME.tmp.PID.HEX16"), which listings never show. */
int store_file_is_temp_name(const char *name);

/* Backend over the process-wide in-memory space called `name` (non-empty),
 * created on first use and kept for the life of the process. */
int store_memory_open(delta_store_backend **out, const char *name);

/* When b is a fault-injecting backend, fills *out and returns 1; else 0. */
int store_fault_stats(const delta_store_backend *b, delta_fault_stats *out);

/* Appends an entry to a listing, taking ownership of key (freed on
 * failure); 0 or DELTA_ENOMEM. */
int store_list_push(delta_object_list *l, char *key, int64_t size, int64_t mtime_ms);
/* Sorts entries [from, count) byte-wise by key. */
void store_list_sort(delta_object_list *l, size_t from);
/* Frees and drops entries [from, count). */
void store_list_truncate(delta_object_list *l, size_t from);

/* Wall-clock time in epoch milliseconds. */
int64_t store_now_ms(void);

#endif
