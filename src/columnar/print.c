/*
 * Public printing of Arrow streams (delta/columnar.h): imports the stream
 * zero-copy and drives a dprinter (format.h) over its batches.
 */
#include "delta/columnar.h"

#include "columnar/arrow.h"
#include "columnar/format.h"
#include "core/error.h"
#include "core/str.h"

DELTA_EXTERN int delta_format_parse(const char *name, int *out)
{
    static const struct {
        const char *name;
        int format;
    } names[] = {
        {"table", DELTA_FORMAT_TABLE},     {"csv", DELTA_FORMAT_CSV},
        {"ndjson", DELTA_FORMAT_NDJSON},   {"json", DELTA_FORMAT_JSON},
        {"parquet", DELTA_FORMAT_PARQUET},
    };
    if (!name || !out)
        return delta_error_set(DELTA_EINVAL, "delta_format_parse: missing argument");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (dstr_ieq(name, names[i].name)) {
            *out = names[i].format;
            return 0;
        }
    }
    return delta_error_set(DELTA_EINVAL,
                           "unknown format '%s' (expected table, csv, ndjson, json "
                           "or parquet)",
                           name);
}

DELTA_EXTERN int64_t delta_print_stream(FILE *fp, struct ArrowArrayStream *stream,
                                        const delta_print_options *opts)
{
    delta_print_options def = DELTA_PRINT_OPTIONS_INIT;
    if (!opts)
        opts = &def;
    if (!stream || !stream->release)
        return delta_error_set(DELTA_EINVAL, "delta_print_stream: no stream");
    int kind;
    switch (opts->format) {
    case DELTA_FORMAT_TABLE: kind = DPRINT_TABLE; break;
    case DELTA_FORMAT_CSV: kind = DPRINT_CSV; break;
    case DELTA_FORMAT_NDJSON: kind = DPRINT_NDJSON; break;
    case DELTA_FORMAT_JSON: kind = DPRINT_JSON; break;
    default:
        stream->release(stream);
        return delta_error_set(opts->format == DELTA_FORMAT_PARQUET ? DELTA_EUNSUPPORTED
                                                                    : DELTA_EINVAL,
                               "delta_print_stream: format %d cannot be printed", opts->format);
    }
    if (!fp || opts->version < 1) {
        stream->release(stream);
        return delta_error_set(DELTA_EINVAL, "delta_print_stream: %s",
                               fp ? "options version must be 1" : "no output file");
    }
    dstream *s = NULL;
    dprinter *p = NULL;
    int rc = dstream_import(stream, &s);
    if (rc)
        return rc;
    if ((rc = dprinter_new(&p, (dprint_kind)kind, s->schema, fp)))
        goto done;
    int64_t printed = 0;
    while (opts->limit < 0 || printed < opts->limit) {
        dvec *b = NULL;
        if ((rc = s->next(s, &b)))
            goto done;
        if (!b)
            break;
        int64_t n = b->length;
        if (opts->limit >= 0 && n > opts->limit - printed)
            n = opts->limit - printed;
        rc = dprinter_write_range(p, b, 0, n);
        dvec_unref(b);
        if (rc)
            goto done;
        printed += n;
    }
    rc = dprinter_finish(p);
    p = NULL;
    s->free(s);
    return rc ? rc : printed;
done:
    dprinter_free(p);
    s->free(s);
    return rc;
}
