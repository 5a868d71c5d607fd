/*
 * Delta log actions: the typed form of every line of a commit file (and of
 * every row of a checkpoint), with parsing from JSON and serialization back
 * to one JSON line.
 *
 * Parsing follows the protocol's compatibility rule: unknown fields and
 * unknown action names are ignored, while a required field that is missing
 * or has the wrong JSON type is DELTA_ECORRUPT with a message naming the
 * file, the line and the field, e.g.
 *
 *   _delta_log/00000000000000000003.json:2: add.size: required field missing
 *
 * Every string an action holds is owned by it (delta_malloc'd) and freed by
 * dlog_action_clear(). A consumer may take a field by copying the pointer
 * and setting the field to NULL, or take the whole payload and set the
 * action's type to DLOG_ACT_NONE, so nothing is copied twice on the replay
 * path.
 */
#ifndef DELTA_LOG_ACTIONS_H
#define DELTA_LOG_ACTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* A string-to-string map as the log stores them (partitionValues, tags,
 * configuration, format options). Order is the file's order; a value is
 * NULL when the JSON value was null. */
typedef struct dlog_kv {
    char *key;
    char *value;
} dlog_kv;

typedef struct dlog_map {
    dlog_kv *items;
    size_t count;
    bool borrowed; /* items, keys and values belong to an intern pool (not
                    * freed with the map; the pool must outlive it) */
} dlog_map;

/* Value for key (exact match), or NULL (also when the value is null);
 * *found (optional) says whether the key exists. */
const char *dlog_map_get(const dlog_map *m, const char *key, bool *found);
/* Whether key's value is "true" (ASCII case-insensitive), as Delta reads
 * boolean table properties. */
bool dlog_map_true(const dlog_map *m, const char *key);
void dlog_map_clear(dlog_map *m);

typedef struct dlog_protocol {
    int32_t min_reader_version;
    int32_t min_writer_version;
    bool has_reader_features; /* the list was present (reader version 3) */
    bool has_writer_features; /* the list was present (writer version 7) */
    char **reader_features;
    size_t num_reader_features;
    char **writer_features;
    size_t num_writer_features;
} dlog_protocol;

typedef struct dlog_metadata {
    char *id;                 /* required */
    char *name;               /* optional, NULL */
    char *description;        /* optional, NULL */
    char *format_provider;    /* required (format.provider) */
    dlog_map format_options;
    char *schema_string;      /* required for a snapshot (checked there); NULL
                               * when absent: old writers left it out */
    char **partition_columns; /* required (may be empty) */
    size_t num_partition_columns;
    dlog_map configuration;   /* required (may be empty) */
    bool has_created_time;
    int64_t created_time;
} dlog_metadata;

/* Deletion vector descriptor. */
typedef struct dlog_dv {
    char storage_type;    /* 'u', 'i' or 'p' */
    char *path_or_inline; /* required */
    bool has_offset;
    int32_t offset;
    int32_t size_in_bytes;
    int64_t cardinality;
} dlog_dv;

typedef struct dlog_add {
    char *path;                /* as written in the log (URI-encoded) */
    char *stats;               /* JSON text, or NULL */
    char *clustering_provider; /* or NULL */
    dlog_map partition_values; /* required */
    dlog_map tags;
    int64_t size;
    int64_t modification_time;
    int64_t base_row_id;
    int64_t default_row_commit_version;
    dlog_dv dv;
    bool data_change;
    bool has_dv;
    bool has_base_row_id;
    bool has_default_row_commit_version;
} dlog_add;

typedef struct dlog_remove {
    char *path;
    bool has_deletion_timestamp;
    int64_t deletion_timestamp;
    bool data_change;
    bool has_extended_file_metadata;
    bool extended_file_metadata;
    bool has_partition_values;
    dlog_map partition_values;
    bool has_size;
    int64_t size;
    char *stats;
    dlog_map tags;
    bool has_dv;
    dlog_dv dv;
    bool has_base_row_id;
    int64_t base_row_id;
    bool has_default_row_commit_version;
    int64_t default_row_commit_version;
} dlog_remove;

typedef struct dlog_txn {
    char *app_id;
    int64_t version;
    bool has_last_updated;
    int64_t last_updated;
} dlog_txn;

/* commitInfo is free-form: the whole object is kept as JSON text, and the
 * fields the engine uses are extracted. */
typedef struct dlog_commit_info {
    char *json; /* the commitInfo object, compact JSON */
    bool has_in_commit_timestamp;
    int64_t in_commit_timestamp;
    bool has_timestamp;
    int64_t timestamp;
    char *operation; /* or NULL */
} dlog_commit_info;

typedef struct dlog_domain_metadata {
    char *domain;
    char *configuration;
    bool removed;
} dlog_domain_metadata;

typedef struct dlog_cdc {
    char *path;
    dlog_map partition_values;
    int64_t size;
    bool data_change;
    dlog_map tags;
} dlog_cdc;

typedef struct dlog_checkpoint_metadata {
    int64_t version;
    dlog_map tags;
} dlog_checkpoint_metadata;

typedef struct dlog_sidecar {
    char *path;
    int64_t size_in_bytes;
    int64_t modification_time;
    dlog_map tags;
} dlog_sidecar;

typedef enum dlog_action_type {
    DLOG_ACT_NONE = 0, /* unknown action (ignored) or payload taken */
    DLOG_ACT_PROTOCOL,
    DLOG_ACT_METADATA,
    DLOG_ACT_ADD,
    DLOG_ACT_REMOVE,
    DLOG_ACT_TXN,
    DLOG_ACT_COMMIT_INFO,
    DLOG_ACT_DOMAIN_METADATA,
    DLOG_ACT_CDC,
    DLOG_ACT_CHECKPOINT_METADATA,
    DLOG_ACT_SIDECAR
} dlog_action_type;

typedef struct dlog_action {
    dlog_action_type type;
    union {
        dlog_protocol protocol;
        dlog_metadata metadata;
        dlog_add add;
        dlog_remove remove;
        dlog_txn txn;
        dlog_commit_info commit_info;
        dlog_domain_metadata domain_metadata;
        dlog_cdc cdc;
        dlog_checkpoint_metadata checkpoint_metadata;
        dlog_sidecar sidecar;
    } u;
} dlog_action;

/* The JSON name of an action type ("add", "metaData", ...); "" for NONE. */
const char *dlog_action_name(dlog_action_type t);

/* Parses one line (one JSON object holding one action). `file` and `line`
 * only name the place in messages. An object whose action name is unknown
 * gives DLOG_ACT_NONE and 0. On failure *out is DLOG_ACT_NONE. */
int dlog_action_parse(dlog_action *out, const char *text, size_t len, const char *file,
                      size_t line);

/* The same with the general parser only (jansson tree; no fast path). The
 * fast path and this give identical actions and identical errors. */
int dlog_action_parse_general(dlog_action *out, const char *text, size_t len, const char *file,
                              size_t line);

/* A pool of shared strings (partition value keys and values repeat on
 * every add of a partition). */
typedef struct dlog_intern dlog_intern;
int dlog_intern_new(dlog_intern **out);
void dlog_intern_free(dlog_intern *p);
/* The pooled copy of s[0..len) (NUL-terminated), or NULL (DELTA_ENOMEM). */
char *dlog_intern_get(dlog_intern *p, const char *s, size_t len);

/* The fast path of dlog_action_parse (scan.c): reads add and remove lines
 * without a JSON tree. Returns 1 with *out filled, 0 when the line needs
 * the general parser (anything unusual, every error), or DELTA_ENOMEM.
 * With a pool, partitionValues are interned (map.borrowed). */
int dlog_scan_file_action(dlog_action *out, const char *text, size_t len, dlog_intern *pool);

/* Frees the payload and sets the type to DLOG_ACT_NONE. */
void dlog_action_clear(dlog_action *a);

/* Appends the action as one compact JSON line (no newline). Optional
 * fields that are absent are omitted. Returns 0 or the error. */
int dlog_action_serialize(const dlog_action *a, dbuf *out);

/* Called for each action of a file in order. The callback may take the
 * payload (see the top of this file); what it leaves is freed after it
 * returns. A non-zero return stops the parse and is returned. */
typedef int (*dlog_action_fn)(void *ctx, dlog_action *a, size_t line);

/* Parses newline-delimited JSON (a commit file, a compacted file or a JSON
 * checkpoint): one action per non-blank line; a final line without '\n'
 * counts. `file` names the file in messages. */
int dlog_parse_ndjson(const char *file, const uint8_t *data, size_t len, dlog_action_fn fn,
                      void *ctx);
/* The same for a file read in pieces, interning partition values of add
 * and remove actions in `pool` (may be NULL): data holds whole lines (the
 * last piece may end without '\n'); *line counts the lines before it on
 * entry and up to its end on return. */
int dlog_parse_ndjson_pooled(const char *file, const uint8_t *data, size_t len, size_t *line,
                             dlog_intern *pool, dlog_action_fn fn, void *ctx);

/* The deletion vector's unique id (storage type, path or inline data, and
 * "@offset" when an offset is present), appended to out. */
int dlog_dv_unique_id(const dlog_dv *dv, dbuf *out);

/* Appends v as compact JSON (jansson tree; the text stays in our
 * allocator). Shared by the log and schema code. */
struct json_t;
int dlog_json_dump(const struct json_t *v, dbuf *out);
/* v as compact JSON text in a new string (free with delta_free), or NULL
 * (v NULL, or out of memory). */
char *dlog_json_text(const struct json_t *v);

#endif
