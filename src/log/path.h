/*
 * Canonical file paths for log replay.
 *
 * The log names a data file by a URI-encoded path that writers spell in
 * several ways: relative to the table root ("a%20b/part-0.parquet"),
 * absolute ("/data/t/a b/part-0.parquet"), or with a scheme
 * ("file:/data/t/...", "file:///data/t/...", "s3://bucket/t/..."). Two
 * spellings of one file must reconcile, so replay keys files by a
 * canonical form:
 *
 *   1. percent-escapes are decoded ('+' stays literal);
 *   2. "file:" URIs with an empty or "localhost" authority become plain
 *      absolute paths;
 *   3. paths are normalised lexically: repeated '/' collapse, "." segments
 *      go, ".." removes the previous segment;
 *   4. an absolute path inside the table root becomes relative to it, and
 *      a relative path climbing above the root ("../x") becomes absolute
 *      when the root is a local path.
 *
 * So the canonical form is either relative to the root ("a b/part-0.parquet")
 * or absolute ("/elsewhere/f.parquet", "s3://bucket/f.parquet").
 */
#ifndef DELTA_LOG_PATH_H
#define DELTA_LOG_PATH_H

#include <stdbool.h>

#include "core/buf.h"

/* The local absolute path of a table root URI (plain path or file: URI,
 * made absolute against the working directory and normalised), or NULL in
 * *out for other schemes. Free *out with delta_free. */
int dlog_root_local_path(const char *uri, char **out);

/* Appends the canonical form of a log path. root_local may be NULL (the
 * table is not on a local file system). DELTA_ECORRUPT for a malformed
 * percent-escape or an empty path. */
int dlog_canonical_path(const char *root_local, const char *raw, dbuf *out);

/* True when raw is its own canonical form: a relative path with no
 * percent-escape, scheme, empty, "." or ".." segment and no trailing '/'
 * (the common case, checked without allocating). */
bool dlog_path_is_plain(const char *raw);

/* True when a canonical path is absolute (starts with '/' or has a scheme). */
bool dlog_path_is_absolute(const char *canonical);

#endif
