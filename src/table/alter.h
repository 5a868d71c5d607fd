/*
 * Changing a table without writing data (internal): RESTORE and CHECK
 * constraint commits share these helpers.
 *
 * Protocol upgrades never downgrade: dtab_protocol_merge() takes the
 * larger reader and writer versions, and when the result uses table
 * features (writer 7 / reader 3) it lists every feature of both inputs,
 * a legacy protocol contributing the features its version implies
 * (writer 2: appendOnly, invariants; 3: + checkConstraints; 4: +
 * changeDataFeed, generatedColumns; 5: + columnMapping; 6: +
 * identityColumns; reader 2: columnMapping), as PROTOCOL.md defines them.
 */
#ifndef DELTA_TABLE_ALTER_H
#define DELTA_TABLE_ALTER_H

#include <stdbool.h>

#include "columnar/types.h"
#include "log/actions.h"

/* The union of two protocols (a new protocol; free with
 * dtab_protocol_clear). */
int dtab_protocol_merge(const dlog_protocol *a, const dlog_protocol *b, dlog_protocol *out);

/* Whether two protocols have the same versions and feature sets. */
bool dtab_protocol_same(const dlog_protocol *a, const dlog_protocol *b);

/* The protocol a table with protocol `cur` needs for `schema` and
 * `config`: cur merged with the minimum protocol of the settings (computed
 * with table features when cur uses them, so only the features in use are
 * added). A new protocol; free with dtab_protocol_clear. */
int dtab_protocol_upgrade(const dlog_protocol *cur, const dtype *schema, const dlog_map *config,
                          dlog_protocol *out);

#endif
