/*
 * Partition values: the strings of an add action's partitionValues map,
 * parsed into typed column values as PROTOCOL.md's "Partition Value
 * Serialization" defines them.
 *
 *   string          the text itself
 *   byte..long      decimal digits, optional sign
 *   float, double   decimal or exponent notation, NaN, Infinity
 *   decimal(p,s)    "-12.345" style digits, rescaled to s (more fraction
 *                   digits than s, or more than p digits, is an error)
 *   boolean         "true" / "false" (any case)
 *   date            YYYY-MM-DD
 *   timestamp       "YYYY-MM-DD HH:MM:SS[.ffffff]" read as UTC, or ISO-8601
 *                   with a zone ("1970-01-01T00:00:00.123456Z", "+02:00")
 *   timestamp_ntz   "YYYY-MM-DD HH:MM:SS[.ffffff]" (a zone is refused)
 *   binary          the text's bytes (JSON escapes are already decoded)
 *
 * A null partition value is a missing key, a JSON null, an empty string
 * (for every type, as the protocol says) or Hive's
 * "__HIVE_DEFAULT_PARTITION__" marker.
 *
 * A timestamp without zone is taken as UTC. The protocol also allows
 * reading it in the writer's time zone, which the log does not record, so
 * UTC is the only reading that gives the same answer everywhere (it is
 * what Spark writes when its session zone is UTC, and what the other
 * native readers do).
 */
#ifndef DELTA_TABLE_PARTITION_H
#define DELTA_TABLE_PARTITION_H

#include <stdbool.h>

#include "columnar/vector.h"
#include "core/buf.h"
#include "log/actions.h"

#define DTAB_HIVE_NULL "__HIVE_DEFAULT_PARTITION__"

/* Appends the value of `text` (NULL = null) to v (of a primitive type).
 * Errors: DELTA_EINVAL / DELTA_ERANGE naming `column` and the text,
 * DELTA_EUNSUPPORTED for a type partition values cannot have. */
int dtab_partition_append(dvec *v, const char *column, const char *text);

/* The key of a partition: out is reset to one "V<len>:<text>" (or "N"
 * for a missing, null or empty value) per partition column of `m`, in
 * order, so files of the same partition have the same key. Used to group
 * files by partition (OPTIMIZE) and to name the partitions a write
 * touched (auto compaction). Returns out's sticky error. */
int dtab_partition_key(const dlog_metadata *m, const dlog_map *pv, dbuf *out);

/* Whether a partition value string means null. */
bool dtab_partition_is_null(const char *text);

#endif
