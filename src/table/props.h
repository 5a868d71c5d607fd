/*
 * Table properties and the protocol they need.
 *
 * dtab_props_set() validates one property the way Delta does: a key in
 * the delta. namespace must be one Delta defines (the seed's short forms,
 * "autoOptimize.optimizeWrite", "checkpointInterval", are stored under
 * their real "delta." key), its value must parse as that property's type
 * (boolean, positive integer, "interval N unit", byte size, enum), and
 * keys this engine cannot honour when writing (column mapping, row
 * tracking, UniForm, symlink manifests) are DELTA_EUNSUPPORTED. Keys
 * outside the namespace are kept as given. "delta.feature.NAME" =
 * "supported"/"enabled" asks for a table feature by name.
 *
 * dtab_protocol_for() computes the minimum protocol for a schema and a
 * configuration, following PROTOCOL.md: legacy versions while every
 * feature in use has one (appendOnly/invariants 2, checkConstraints 3,
 * changeDataFeed/generatedColumns 4), else reader 3 (when a reader
 * feature is needed, listing them) and writer 7 listing every feature.
 */
#ifndef DELTA_TABLE_PROPS_H
#define DELTA_TABLE_PROPS_H

#include "columnar/types.h"
#include "log/actions.h"

/* Sets key=value in m (replacing an earlier value of the same key), after
 * validation and key normalisation. */
int dtab_props_set(dlog_map *m, const char *key, const char *value);

/* The minimum protocol for the schema and configuration (a new protocol;
 * free with dlog_action_clear on an action holding it, or
 * dtab_protocol_clear). */
int dtab_protocol_for(const dtype *schema, const dlog_map *config, dlog_protocol *out);
void dtab_protocol_clear(dlog_protocol *p);

/* Whether a field (at any level) has a generation expression, an
 * invariant, or a timestamp_ntz type. */
bool dtab_schema_has_generated(const dtype *schema);

/* Byte sizes as Delta properties take them: "134217728", "128mb", "1g". */
int dtab_parse_bytes(const char *s, int64_t *out);

/* A copy of m (values may be NULL). */
int dtab_map_copy(dlog_map *out, const dlog_map *m);
/* Sets key=value in m without validation (copies both). */
int dtab_map_put(dlog_map *m, const char *key, const char *value);

#endif
