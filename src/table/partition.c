/*
 * Partition value parsing (see partition.h).
 */
#include "table/partition.h"

#include <string.h>

#include "core/dtime.h"
#include "core/error.h"
#include "core/str.h"

bool dtab_partition_is_null(const char *text)
{
    return text == NULL || text[0] == '\0' || strcmp(text, DTAB_HIVE_NULL) == 0;
}

/* Parses "[-+]digits[.digits]" into an unscaled integer at `scale` with at
 * most `precision` digits; fraction digits beyond the scale must be zeros. */
static int parse_decimal(const char *s, unsigned precision, unsigned scale, __int128 *out)
{
    __int128 limit = 1; /* 10^precision */
    for (unsigned i = 0; i < precision; i++)
        limit *= 10;
    const char *p = s;
    bool neg = false;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    __int128 v = 0;
    unsigned frac = 0;
    bool seen_digit = false, in_frac = false;
    for (; *p; p++) {
        if (*p == '.' && !in_frac) {
            in_frac = true;
            continue;
        }
        if (*p < '0' || *p > '9')
            return DELTA_EINVAL;
        seen_digit = true;
        int d = *p - '0';
        if (in_frac && ++frac > scale) {
            if (d != 0)
                return DELTA_ERANGE;
            continue;
        }
        if (v > (limit - 1 - d) / 10)
            return DELTA_ERANGE;
        v = v * 10 + d;
    }
    if (!seen_digit)
        return DELTA_EINVAL;
    for (; frac < scale; frac++) {
        if (v > (limit - 1) / 10)
            return DELTA_ERANGE;
        v *= 10;
    }
    *out = neg ? -v : v;
    return 0;
}

int dtab_partition_append(dvec *v, const char *column, const char *text)
{
    if (dtab_partition_is_null(text))
        return dvec_append_null(v);
    const dtype *t = v->type;
    int rc = 0;
    switch (t->id) {
    case DT_STRING:
    case DT_BINARY:
        return dvec_append_bytes(v, text, strlen(text));
    case DT_INT8:
    case DT_INT16:
    case DT_INT32:
    case DT_INT64: {
        int64_t x;
        if ((rc = dstr_parse_i64(text, &x)))
            break;
        rc = dvec_append_int(v, x);
        break;
    }
    case DT_FLOAT32:
    case DT_FLOAT64: {
        double x;
        if ((rc = dstr_parse_double(text, &x)))
            break;
        return dvec_append_double(v, x);
    }
    case DT_BOOL: {
        bool x;
        if ((rc = dstr_parse_bool(text, &x)))
            break;
        return dvec_append_bool(v, x);
    }
    case DT_DATE32: {
        int32_t days;
        if ((rc = dtime_parse_date(text, &days)))
            break;
        return dvec_append_int(v, days);
    }
    case DT_TIMESTAMP: {
        int64_t us;
        rc = t->utc ? dtime_parse_instant(text, &us) : dtime_parse_local(text, &us);
        if (rc)
            break;
        switch (t->unit) {
        case DT_UNIT_SECOND: us /= 1000000; break;
        case DT_UNIT_MILLI: us /= 1000; break;
        case DT_UNIT_MICRO: break;
        case DT_UNIT_NANO: us *= 1000; break;
        }
        return dvec_append_int(v, us);
    }
    case DT_DECIMAL: {
        __int128 x;
        if ((rc = parse_decimal(text, t->precision, t->scale, &x))) {
            return delta_error_set(rc, "partition column '%s': '%s' is not a decimal(%u,%u)",
                                   column, text, t->precision, t->scale);
        }
        uint8_t le[16];
        unsigned __int128 u = (unsigned __int128)x;
        for (int i = 0; i < 16; i++) {
            le[i] = (uint8_t)u;
            u >>= 8;
        }
        return dvec_append_fixed(v, le);
    }
    default: {
        dbuf name = DBUF_INIT;
        dtype_format(t, &name);
        rc = delta_error_set(DELTA_EUNSUPPORTED,
                             "partition column '%s': type %s cannot be a partition column",
                             column, name.err ? "?" : dbuf_cstr(&name));
        dbuf_free(&name);
        return rc;
    }
    }
    if (rc == DELTA_EINVAL || rc == DELTA_ERANGE) {
        dbuf name = DBUF_INIT;
        dtype_format(t, &name);
        rc = delta_error_set(rc, "partition column '%s': '%s' is not a valid %s value", column,
                             text, name.err ? "?" : dbuf_cstr(&name));
        dbuf_free(&name);
    }
    return rc;
}

int dtab_partition_key(const dlog_metadata *m, const dlog_map *pv, dbuf *out)
{
    dbuf_reset(out);
    for (size_t p = 0; p < m->num_partition_columns; p++) {
        const char *v = dlog_map_get(pv, m->partition_columns[p], NULL);
        if (v && *v)
            dbuf_printf(out, "V%zu:%s", strlen(v), v);
        else
            dbuf_puts(out, "N");
    }
    return out->err;
}
