/*
 * Thrift compact protocol: the encoding of every Parquet metadata structure
 * (file footer, page headers, page indexes). Our own implementation of the
 * wire format, no generated code.
 *
 * Reader (pq_treader): walks a bounded byte range [buf, buf+len) and never
 * reads outside it. It is driven by hand-written decoders:
 *
 *     int16_t last = 0;
 *     pq_tfield f;
 *     if ((rc = pq_tr_struct_begin(r))) return rc;
 *     for (;;) {
 *         if ((rc = pq_tr_field(r, &last, &f))) return rc;
 *         if (f.type == PQ_T_STOP) break;
 *         switch (f.id) { case 1: ... default: rc = pq_tr_skip(r, f.type); }
 *     }
 *     pq_tr_struct_end(r);
 *
 * Invariants the reader keeps against hostile input:
 *  - every read checks the bytes remaining first;
 *  - varints longer than 5 (u32) or 10 (u64) bytes, or with bits beyond the
 *    type's width, are refused; non-minimal encodings within that length are
 *    accepted as the reference implementations do;
 *  - struct/list/map nesting is limited to PQ_THRIFT_MAX_DEPTH;
 *  - a list, set or map of N elements is refused unless N times the smallest
 *    possible encoding of one element fits in the bytes left, so a decoder
 *    may size an array from N without letting input ask for more memory than
 *    a small multiple of its own length.
 * Every failure returns DELTA_ECORRUPT with a message naming the byte offset
 * (from the start of the range) and what was wrong.
 *
 * Writer (pq_twriter): appends to a dbuf. Errors are sticky (the dbuf's own
 * allocation error, or misuse such as nesting too deep) and reported once by
 * pq_tw_finish().
 */
#ifndef DELTA_PARQUET_THRIFT_H
#define DELTA_PARQUET_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Deepest nesting of structs, lists, sets and maps accepted or written. */
#define PQ_THRIFT_MAX_DEPTH 64

/* Compact protocol type codes. In field headers a bool is written as type 1
 * (true) or 2 (false); the reader reports both as PQ_T_BOOL and keeps the
 * value for pq_tr_bool(). In list/set/map headers both codes mean bool. */
enum pq_ttype {
    PQ_T_STOP = 0,
    PQ_T_BOOL = 1, /* also BOOLEAN_TRUE in field headers */
    PQ_T_BOOL_FALSE = 2,
    PQ_T_I8 = 3,
    PQ_T_I16 = 4,
    PQ_T_I32 = 5,
    PQ_T_I64 = 6,
    PQ_T_DOUBLE = 7,
    PQ_T_BINARY = 8,
    PQ_T_LIST = 9,
    PQ_T_SET = 10,
    PQ_T_MAP = 11,
    PQ_T_STRUCT = 12
};

/* A short name for a type code ("i32", "struct", ...), for messages. */
const char *pq_ttype_name(unsigned type);

/* ------------------------------------------------------------------ */
/* Reader                                                              */
/* ------------------------------------------------------------------ */

typedef struct pq_treader {
    const uint8_t *start; /* beginning of the range: offsets count from here */
    const uint8_t *pos;
    const uint8_t *end;
    uint32_t depth;   /* current nesting of structs/containers */
    int bool_pending; /* -1, or the value of the bool field just announced */
} pq_treader;

typedef struct pq_tfield {
    int16_t id;
    uint8_t type; /* enum pq_ttype; PQ_T_STOP ends the struct */
} pq_tfield;

void pq_tr_init(pq_treader *r, const uint8_t *buf, size_t len);
/* Bytes consumed so far / bytes left. */
size_t pq_tr_offset(const pq_treader *r);
size_t pq_tr_remaining(const pq_treader *r);

/* Raw unsigned varints (LEB128). */
int pq_tr_varint_u32(pq_treader *r, uint32_t *out);
int pq_tr_varint_u64(pq_treader *r, uint64_t *out);

/* Values. i16/i32/i64 are zigzag varints, i8 one byte, double 8 bytes
 * little-endian. pq_tr_bool reads the value announced by a bool field
 * header, or one byte (1 = true, 0 or 2 = false) inside a container. */
int pq_tr_bool(pq_treader *r, bool *out);
int pq_tr_i8(pq_treader *r, int8_t *out);
int pq_tr_i16(pq_treader *r, int16_t *out);
int pq_tr_i32(pq_treader *r, int32_t *out);
int pq_tr_i64(pq_treader *r, int64_t *out);
int pq_tr_double(pq_treader *r, double *out);
/* A length-prefixed binary/string; *out points into the input range. */
int pq_tr_binary(pq_treader *r, const uint8_t **out, uint32_t *len);

/* Structs: begin/end count nesting depth; pq_tr_field reads the next field
 * header, using and updating *last_id (start each struct with 0). At the
 * end of the struct f->type is PQ_T_STOP. */
int pq_tr_struct_begin(pq_treader *r);
void pq_tr_struct_end(pq_treader *r);
int pq_tr_field(pq_treader *r, int16_t *last_id, pq_tfield *f);

/* Containers: the element type (bool normalised to PQ_T_BOOL) and count,
 * already checked against the bytes remaining. Each begin must be matched
 * by pq_tr_container_end once the elements are read. A map of size 0 has
 * key and value type PQ_T_STOP. */
int pq_tr_list_begin(pq_treader *r, uint8_t *elem_type, uint32_t *count);
int pq_tr_map_begin(pq_treader *r, uint8_t *key_type, uint8_t *val_type, uint32_t *count);
void pq_tr_container_end(pq_treader *r);

/* Skips one value of the given type (a whole struct, list, ... included). */
int pq_tr_skip(pq_treader *r, uint8_t type);

/* Records DELTA_ECORRUPT with "at byte N: <message>" for the reader's
 * current offset; returns DELTA_ECORRUPT. */
int pq_tr_error(const pq_treader *r, const char *fmt, ...) DELTA_PRINTF(2, 3);

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

typedef struct pq_twriter {
    dbuf *out;
    uint32_t depth;                        /* open structs */
    int16_t last[PQ_THRIFT_MAX_DEPTH + 1]; /* last field id per open struct */
    int err;                               /* sticky misuse error */
} pq_twriter;

void pq_tw_init(pq_twriter *w, dbuf *out);
/* 0, or the first error met (misuse or out of memory). */
int pq_tw_finish(const pq_twriter *w);

void pq_tw_varint_u32(pq_twriter *w, uint32_t v);
void pq_tw_varint_u64(pq_twriter *w, uint64_t v);

void pq_tw_struct_begin(pq_twriter *w);
/* Writes the STOP byte and closes the struct. */
void pq_tw_struct_end(pq_twriter *w);
/* Field header for a non-bool field; bools use pq_tw_field_bool. */
void pq_tw_field(pq_twriter *w, int16_t id, uint8_t type);
void pq_tw_field_bool(pq_twriter *w, int16_t id, bool v);

/* Bare values (inside containers, or after pq_tw_field). */
void pq_tw_bool(pq_twriter *w, bool v);
void pq_tw_i8(pq_twriter *w, int8_t v);
void pq_tw_i16(pq_twriter *w, int16_t v);
void pq_tw_i32(pq_twriter *w, int32_t v);
void pq_tw_i64(pq_twriter *w, int64_t v);
void pq_tw_double(pq_twriter *w, double v);
void pq_tw_binary(pq_twriter *w, const void *p, size_t len);
void pq_tw_list_begin(pq_twriter *w, uint8_t elem_type, uint32_t count);
void pq_tw_map_begin(pq_twriter *w, uint8_t key_type, uint8_t val_type, uint32_t count);

/* Field header plus value, the common case. */
void pq_tw_field_i8(pq_twriter *w, int16_t id, int8_t v);
void pq_tw_field_i16(pq_twriter *w, int16_t id, int16_t v);
void pq_tw_field_i32(pq_twriter *w, int16_t id, int32_t v);
void pq_tw_field_i64(pq_twriter *w, int16_t id, int64_t v);
void pq_tw_field_double(pq_twriter *w, int16_t id, double v);
void pq_tw_field_binary(pq_twriter *w, int16_t id, const void *p, size_t len);

#endif
