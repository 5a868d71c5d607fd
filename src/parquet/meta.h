/*
 * Parquet metadata structures (parquet.thrift of the Apache Parquet format
 * specification) as C structs, with their compact-protocol decoders and
 * encoders: FileMetaData (the footer), PageHeader, ColumnIndex, OffsetIndex,
 * and the footer trailer ("PAR1" magic and metadata length).
 *
 * Conventions:
 *  - Enumerated fields are stored as int32_t holding the specification's
 *    numeric value, because a file may carry values this code does not know
 *    (a newer encoding, say); the pq_* enums below name the known values.
 *  - Every optional field has a `has_<name>` flag. Optional lists have one
 *    too, so an empty list and an absent list stay distinct.
 *  - Unknown fields are skipped on decode and therefore not re-encoded.
 *    Encoding writes fields in id order, so encode(decode(x)) is stable.
 *  - Decoded FileMetaData, ColumnIndex and OffsetIndex own all their memory
 *    (one internal allocator per object, freed by the matching _free);
 *    decoded strings are copied and NUL-terminated.
 *  - A decoded PageHeader owns nothing: its statistics' binary values point
 *    into the decoded buffer and stay valid as long as that buffer.
 *  - Structs built by hand for encoding may point anywhere; the encoders
 *    only read them.
 *  - Files using Parquet modular encryption are refused with
 *    DELTA_EUNSUPPORTED.
 */
#ifndef DELTA_PARQUET_META_H
#define DELTA_PARQUET_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "parquet/codec.h" /* enum pq_codec, pq_codec_name */

/* ------------------------------------------------------------------ */
/* Enumerations (numeric values from the specification)                */
/* ------------------------------------------------------------------ */

enum pq_type {
    PQ_TYPE_BOOLEAN = 0,
    PQ_TYPE_INT32 = 1,
    PQ_TYPE_INT64 = 2,
    PQ_TYPE_INT96 = 3,
    PQ_TYPE_FLOAT = 4,
    PQ_TYPE_DOUBLE = 5,
    PQ_TYPE_BYTE_ARRAY = 6,
    PQ_TYPE_FIXED_LEN_BYTE_ARRAY = 7
};

enum pq_converted_type {
    PQ_CT_UTF8 = 0,
    PQ_CT_MAP = 1,
    PQ_CT_MAP_KEY_VALUE = 2,
    PQ_CT_LIST = 3,
    PQ_CT_ENUM = 4,
    PQ_CT_DECIMAL = 5,
    PQ_CT_DATE = 6,
    PQ_CT_TIME_MILLIS = 7,
    PQ_CT_TIME_MICROS = 8,
    PQ_CT_TIMESTAMP_MILLIS = 9,
    PQ_CT_TIMESTAMP_MICROS = 10,
    PQ_CT_UINT_8 = 11,
    PQ_CT_UINT_16 = 12,
    PQ_CT_UINT_32 = 13,
    PQ_CT_UINT_64 = 14,
    PQ_CT_INT_8 = 15,
    PQ_CT_INT_16 = 16,
    PQ_CT_INT_32 = 17,
    PQ_CT_INT_64 = 18,
    PQ_CT_JSON = 19,
    PQ_CT_BSON = 20,
    PQ_CT_INTERVAL = 21
};

enum pq_repetition {
    PQ_REP_REQUIRED = 0,
    PQ_REP_OPTIONAL = 1,
    PQ_REP_REPEATED = 2,
    PQ_REP_VECTOR = 3
};

enum pq_encoding {
    PQ_ENC_PLAIN = 0,
    PQ_ENC_PLAIN_DICTIONARY = 2,
    PQ_ENC_RLE = 3,
    PQ_ENC_BIT_PACKED = 4,
    PQ_ENC_DELTA_BINARY_PACKED = 5,
    PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
    PQ_ENC_DELTA_BYTE_ARRAY = 7,
    PQ_ENC_RLE_DICTIONARY = 8,
    PQ_ENC_BYTE_STREAM_SPLIT = 9
};

enum pq_page_type {
    PQ_PAGE_DATA = 0,
    PQ_PAGE_INDEX = 1,
    PQ_PAGE_DICTIONARY = 2,
    PQ_PAGE_DATA_V2 = 3
};

enum pq_boundary_order {
    PQ_BOUNDARY_UNORDERED = 0,
    PQ_BOUNDARY_ASCENDING = 1,
    PQ_BOUNDARY_DESCENDING = 2
};

/* LogicalType union members: the value is the member's field id. */
enum pq_logical_kind {
    PQ_LT_NONE = 0, /* no logicalType */
    PQ_LT_STRING = 1,
    PQ_LT_MAP = 2,
    PQ_LT_LIST = 3,
    PQ_LT_ENUM = 4,
    PQ_LT_DECIMAL = 5,
    PQ_LT_DATE = 6,
    PQ_LT_TIME = 7,
    PQ_LT_TIMESTAMP = 8,
    PQ_LT_INTEGER = 10,
    PQ_LT_UNKNOWN = 11, /* NullType: the column only holds nulls */
    PQ_LT_JSON = 12,
    PQ_LT_BSON = 13,
    PQ_LT_UUID = 14,
    PQ_LT_FLOAT16 = 15,
    PQ_LT_VARIANT = 16,
    PQ_LT_GEOMETRY = 17,
    PQ_LT_GEOGRAPHY = 18,
    PQ_LT_VECTOR = 19
};

/* TimeUnit union members. */
enum pq_time_unit { PQ_UNIT_MILLIS = 1, PQ_UNIT_MICROS = 2, PQ_UNIT_NANOS = 3 };

/* ColumnOrder union members. */
enum pq_column_order {
    PQ_ORDER_TYPE_DEFINED = 1,
    PQ_ORDER_IEEE_754_TOTAL = 2,
    PQ_ORDER_INT96_TIMESTAMP = 3
};

/* Names for messages ("INT32", "SNAPPY", ...); values outside the known
 * range give "?". */
const char *pq_type_name(int32_t type);
const char *pq_encoding_name(int32_t encoding);
const char *pq_page_type_name(int32_t page_type);

/* ------------------------------------------------------------------ */
/* Structures                                                          */
/* ------------------------------------------------------------------ */

/* A thrift string: decoded ones are NUL-terminated copies. */
typedef struct pq_str {
    const char *ptr;
    size_t len;
} pq_str;

/* A thrift binary. */
typedef struct pq_bin {
    const uint8_t *ptr;
    size_t len;
} pq_bin;

typedef struct pq_statistics {
    pq_bin max, min; /* deprecated signed-order bounds */
    int64_t null_count;
    int64_t distinct_count;
    pq_bin max_value, min_value;
    bool is_max_value_exact, is_min_value_exact;
    int64_t nan_count;
    bool has_max, has_min, has_null_count, has_distinct_count;
    bool has_max_value, has_min_value, has_is_max_value_exact, has_is_min_value_exact;
    bool has_nan_count;
} pq_statistics;

typedef struct pq_logical_type {
    /* enum pq_logical_kind; an unrecognised member keeps its field id here
     * (and re-encodes as an empty struct under that id). */
    int32_t kind;
    int32_t scale, precision; /* DECIMAL */
    bool is_adjusted_to_utc;  /* TIME, TIMESTAMP */
    int32_t unit;             /* TIME, TIMESTAMP: enum pq_time_unit */
    int8_t bit_width;         /* INTEGER: 8, 16, 32 or 64 */
    bool is_signed;           /* INTEGER */
    bool has_specification_version;
    int8_t specification_version; /* VARIANT */
    bool has_crs;
    pq_str crs; /* GEOMETRY, GEOGRAPHY */
    bool has_algorithm;
    int32_t algorithm; /* GEOGRAPHY edge interpolation */
} pq_logical_type;

typedef struct pq_schema_element {
    pq_str name;
    int32_t type; /* enum pq_type */
    int32_t type_length;
    int32_t repetition_type; /* enum pq_repetition */
    int32_t num_children;
    int32_t converted_type; /* enum pq_converted_type */
    int32_t scale, precision;
    int32_t field_id;
    pq_logical_type logical_type;
    int32_t vector_length;
    bool has_type, has_type_length, has_repetition_type, has_num_children;
    bool has_converted_type, has_scale, has_precision, has_field_id;
    bool has_logical_type, has_vector_length;
} pq_schema_element;

typedef struct pq_key_value {
    pq_str key;
    pq_str value;
    bool has_value;
} pq_key_value;

typedef struct pq_sorting_column {
    int32_t column_idx;
    bool descending;
    bool nulls_first;
} pq_sorting_column;

typedef struct pq_page_encoding_stats {
    int32_t page_type; /* enum pq_page_type */
    int32_t encoding;  /* enum pq_encoding */
    int32_t count;
} pq_page_encoding_stats;

typedef struct pq_size_statistics {
    int64_t unencoded_byte_array_data_bytes;
    int64_t *repetition_level_histogram;
    uint32_t num_repetition_level_histogram;
    int64_t *definition_level_histogram;
    uint32_t num_definition_level_histogram;
    bool has_unencoded_byte_array_data_bytes;
    bool has_repetition_level_histogram, has_definition_level_histogram;
} pq_size_statistics;

typedef struct pq_column_meta {
    int32_t type; /* enum pq_type */
    int32_t *encodings;
    uint32_t num_encodings;
    pq_str *path_in_schema;
    uint32_t num_path_in_schema;
    int32_t codec; /* enum pq_codec */
    int64_t num_values;
    int64_t total_uncompressed_size;
    int64_t total_compressed_size;
    pq_key_value *key_value_metadata;
    uint32_t num_key_value_metadata;
    int64_t data_page_offset;
    int64_t index_page_offset;
    int64_t dictionary_page_offset;
    pq_statistics statistics;
    pq_page_encoding_stats *encoding_stats;
    uint32_t num_encoding_stats;
    int64_t bloom_filter_offset;
    int32_t bloom_filter_length;
    pq_size_statistics size_statistics;
    bool has_key_value_metadata, has_index_page_offset, has_dictionary_page_offset;
    bool has_statistics, has_encoding_stats, has_bloom_filter_offset;
    bool has_bloom_filter_length, has_size_statistics;
} pq_column_meta;

typedef struct pq_column_chunk {
    pq_str file_path;
    int64_t file_offset;
    pq_column_meta meta_data;
    int64_t offset_index_offset;
    int32_t offset_index_length;
    int64_t column_index_offset;
    int32_t column_index_length;
    bool has_file_path, has_meta_data;
    bool has_offset_index_offset, has_offset_index_length;
    bool has_column_index_offset, has_column_index_length;
} pq_column_chunk;

typedef struct pq_row_group {
    pq_column_chunk *columns;
    uint32_t num_columns;
    int64_t total_byte_size;
    int64_t num_rows;
    pq_sorting_column *sorting_columns;
    uint32_t num_sorting_columns;
    int64_t file_offset;
    int64_t total_compressed_size;
    int16_t ordinal;
    bool has_sorting_columns, has_file_offset, has_total_compressed_size, has_ordinal;
} pq_row_group;

struct pq_mem; /* internal allocator owning a decoded object's memory */

typedef struct pq_file_meta {
    int32_t version;
    pq_schema_element *schema; /* depth-first, schema[0] is the root */
    uint32_t num_schema;
    int64_t num_rows;
    pq_row_group *row_groups;
    uint32_t num_row_groups;
    pq_key_value *key_value_metadata;
    uint32_t num_key_value_metadata;
    pq_str created_by;
    int32_t *column_orders; /* enum pq_column_order, one per leaf */
    uint32_t num_column_orders;
    bool has_key_value_metadata, has_created_by, has_column_orders;
    struct pq_mem *mem; /* owner when decoded; NULL for hand-built */
} pq_file_meta;

typedef struct pq_data_page_header {
    int32_t num_values;
    int32_t encoding;
    int32_t definition_level_encoding;
    int32_t repetition_level_encoding;
    pq_statistics statistics;
    bool has_statistics;
} pq_data_page_header;

typedef struct pq_dictionary_page_header {
    int32_t num_values;
    int32_t encoding;
    bool is_sorted;
    bool has_is_sorted;
} pq_dictionary_page_header;

typedef struct pq_data_page_header_v2 {
    int32_t num_values;
    int32_t num_nulls;
    int32_t num_rows;
    int32_t encoding;
    int32_t definition_levels_byte_length;
    int32_t repetition_levels_byte_length;
    bool is_compressed; /* true when absent, as the specification says */
    pq_statistics statistics;
    bool has_is_compressed, has_statistics;
} pq_data_page_header_v2;

typedef struct pq_page_header {
    int32_t type; /* enum pq_page_type */
    int32_t uncompressed_page_size;
    int32_t compressed_page_size;
    int32_t crc;
    pq_data_page_header data_page_header;
    pq_dictionary_page_header dictionary_page_header;
    pq_data_page_header_v2 data_page_header_v2;
    bool has_crc, has_data_page_header, has_index_page_header;
    bool has_dictionary_page_header, has_data_page_header_v2;
} pq_page_header;

typedef struct pq_column_index {
    uint32_t num_pages; /* length of null_pages, min_values, max_values */
    bool *null_pages;
    pq_bin *min_values;
    pq_bin *max_values;
    int32_t boundary_order; /* enum pq_boundary_order */
    int64_t *null_counts;   /* num_pages entries when present */
    int64_t *repetition_level_histograms;
    uint32_t num_repetition_level_histograms;
    int64_t *definition_level_histograms;
    uint32_t num_definition_level_histograms;
    int64_t *nan_counts; /* num_pages entries when present */
    bool has_null_counts, has_repetition_level_histograms;
    bool has_definition_level_histograms, has_nan_counts;
    struct pq_mem *mem;
} pq_column_index;

typedef struct pq_page_location {
    int64_t offset;
    int32_t compressed_page_size;
    int64_t first_row_index;
} pq_page_location;

typedef struct pq_offset_index {
    pq_page_location *page_locations;
    uint32_t num_pages;
    int64_t *unencoded_byte_array_data_bytes;
    uint32_t num_unencoded_byte_array_data_bytes;
    bool has_unencoded_byte_array_data_bytes;
    struct pq_mem *mem;
} pq_offset_index;

/* ------------------------------------------------------------------ */
/* Functions                                                           */
/* ------------------------------------------------------------------ */

/*
 * The footer trailer. `tail` holds the last `tail_len` (>= 8) bytes of a
 * file of `file_size` bytes. Checks the trailing "PAR1" magic and that the
 * 4-byte little-endian metadata length fits in the file after the leading
 * magic; sets *meta_len. The metadata then occupies the bytes
 * [file_size - 8 - *meta_len, file_size - 8).
 * Errors: DELTA_ECORRUPT (not Parquet, bad length), DELTA_EUNSUPPORTED
 * (encrypted footer, magic "PARE").
 */
int pq_footer_parse(const uint8_t *tail, size_t tail_len, uint64_t file_size, uint32_t *meta_len);

/* Decodes a FileMetaData occupying exactly buf[0..len). On success *out is
 * a new object to release with pq_file_meta_free. */
int pq_file_meta_decode(pq_file_meta **out, const uint8_t *buf, size_t len);
/* Appends the compact encoding of m to out. */
int pq_file_meta_encode(dbuf *out, const pq_file_meta *m);
/* Frees a decoded FileMetaData (NULL is fine). */
void pq_file_meta_free(pq_file_meta *m);

/* Decodes the PageHeader at the start of buf[0..len); *consumed gets its
 * encoded size (the page data follows). Borrows from buf (see above). */
int pq_page_header_decode(pq_page_header *out, const uint8_t *buf, size_t len, size_t *consumed);
int pq_page_header_encode(dbuf *out, const pq_page_header *h);

/* Page index structures; each occupies exactly buf[0..len). */
int pq_column_index_decode(pq_column_index **out, const uint8_t *buf, size_t len);
int pq_column_index_encode(dbuf *out, const pq_column_index *ci);
void pq_column_index_free(pq_column_index *ci);

int pq_offset_index_decode(pq_offset_index **out, const uint8_t *buf, size_t len);
int pq_offset_index_encode(dbuf *out, const pq_offset_index *oi);
void pq_offset_index_free(pq_offset_index *oi);

#endif
