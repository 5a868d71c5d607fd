/*
 * delta generate TEMPLATE --rows N [--seed S] [--output FILE] [--format ndjson|csv|parquet]
 *
 * Writes realistic e-commerce rows for one of the table templates
 * (delta_generate_stream): NDJSON to stdout by default, or CSV, or a
 * Parquet file (which needs --output). Without --format, an --output name
 * ending in .csv or .parquet picks that format. The same seed gives the
 * same bytes. Rows stream through one batch at a time, so any row count
 * fits in memory.
 */
#include <delta/delta.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli_util.h"
#include "commands.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int write_parquet_file(const char *cmd, const char *path, struct ArrowArrayStream *s)
{
    cli_file_ref out;
    int status = cli_open_file_ref(cmd, &out, path);
    if (status) {
        s->release(s);
        return status;
    }
    struct ArrowSchema schema = {0};
    delta_parquet_writer *w = NULL;
    int rc = s->get_schema(s, &schema);
    if (rc) {
        s->release(s);
        cli_close_file_ref(&out);
        fprintf(stderr, "delta %s: cannot read the schema\n", cmd);
        return EXIT_FAILURE_RUNTIME;
    }
    rc = delta_parquet_writer_open(&w, out.store, out.key, &schema, NULL);
    if (!rc)
        rc = delta_parquet_writer_write_stream(w, s); /* consumes s */
    else
        s->release(s);
    if (!rc)
        rc = delta_parquet_writer_close(w);
    if (rc) {
        cli_report(cmd, rc);
        status = EXIT_FAILURE_RUNTIME;
    }
    delta_parquet_writer_free(w);
    if (schema.release)
        schema.release(&schema);
    cli_close_file_ref(&out);
    return status;
}

int cmd_generate(const cli_global *g, int argc, char **argv)
{
    (void)g;
    static const cli_opt opts[] = {{"rows", CLI_VALUE},
                                   {"seed", CLI_VALUE},
                                   {"output", CLI_VALUE},
                                   {"format", CLI_VALUE}};
    const char *cmd = "generate";
    cli_args a;
    if (cli_parse(&a, cmd, argc, argv, opts, sizeof opts / sizeof opts[0]))
        return EXIT_USAGE;
    if (a.npositional != 1) {
        fprintf(stderr, "delta %s: expected one TEMPLATE (see 'delta help generate')\n", cmd);
        return EXIT_USAGE;
    }
    const char *tpl = a.positional[0];
    if (!delta_template_find(tpl)) {
        fprintf(stderr, "delta %s: unknown template '%s' (", cmd, tpl);
        for (size_t i = 0; i < delta_template_count(); i++)
            fprintf(stderr, "%s%s", i ? ", " : "", delta_template_at(i)->name);
        fprintf(stderr, ")\n");
        return EXIT_USAGE;
    }
    const char *rows_text = cli_get(&a, "rows");
    if (!rows_text) {
        fprintf(stderr, "delta %s: --rows N is required\n", cmd);
        return EXIT_USAGE;
    }
    int64_t rows, seed = 42;
    if (cli_parse_count(cmd, "--rows", rows_text, &rows))
        return EXIT_USAGE;
    const char *seed_text = cli_get(&a, "seed");
    if (seed_text && cli_parse_count(cmd, "--seed", seed_text, &seed))
        return EXIT_USAGE;
    const char *output = cli_get(&a, "output");
    const char *fmt = cli_get(&a, "format");
    int format = DELTA_FORMAT_NDJSON;
    if (fmt) {
        if (delta_format_parse(fmt, &format) ||
            (format != DELTA_FORMAT_NDJSON && format != DELTA_FORMAT_CSV &&
             format != DELTA_FORMAT_PARQUET)) {
            fprintf(stderr, "delta %s: unknown format '%s' (ndjson, csv or parquet)\n", cmd,
                    fmt);
            return EXIT_USAGE;
        }
    } else if (output && ends_with(output, ".csv")) {
        format = DELTA_FORMAT_CSV;
    } else if (output && ends_with(output, ".parquet")) {
        format = DELTA_FORMAT_PARQUET;
    }
    if (format == DELTA_FORMAT_PARQUET && !output) {
        fprintf(stderr, "delta %s: --format parquet needs --output FILE\n", cmd);
        return EXIT_USAGE;
    }

    struct ArrowArrayStream s;
    int rc = delta_generate_stream(tpl, rows, (uint64_t)seed, &s);
    if (rc) {
        cli_report(cmd, rc);
        return EXIT_FAILURE_RUNTIME;
    }
    if (format == DELTA_FORMAT_PARQUET)
        return write_parquet_file(cmd, output, &s);

    int status = EXIT_OK;
    FILE *fp = stdout;
    if (output && !(fp = fopen(output, "w"))) {
        fprintf(stderr, "delta %s: cannot write '%s'\n", cmd, output);
        s.release(&s);
        return EXIT_FAILURE_RUNTIME;
    }
    delta_print_options po = DELTA_PRINT_OPTIONS_INIT;
    po.format = format;
    int64_t n = delta_print_stream(fp, &s, &po);
    if (n < 0) {
        cli_report(cmd, (int)n);
        status = EXIT_FAILURE_RUNTIME;
    }
    if (fp != stdout && fclose(fp) != 0 && !status) {
        fprintf(stderr, "delta %s: error writing '%s'\n", cmd, output);
        status = EXIT_FAILURE_RUNTIME;
    }
    return status;
}
