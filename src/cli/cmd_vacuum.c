/*
 * delta vacuum TABLE [--retention-hours H] [--dry-run] [--lite] [--force-unsafe-retention]
 *
 * On the public API (delta/vacuum.h). A dry run prints one line per file
 * that would be deleted (path, size in bytes, age) and the total; a real
 * run prints the totals and the VACUUM START / END versions it logged.
 * A retention below the table's setting without --force-unsafe-retention
 * exits 1 with the library's explanation of the risk; bad options exit 2.
 */
#include <delta/delta.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli_util.h"
#include "commands.h"

static void format_age(char *buf, size_t cap, int64_t ms)
{
    int64_t hours = ms / 3600000;
    if (hours >= 24)
        snprintf(buf, cap, "%" PRId64 "d %" PRId64 "h", hours / 24, hours % 24);
    else if (hours >= 1)
        snprintf(buf, cap, "%" PRId64 "h %" PRId64 "m", hours, (ms / 60000) % 60);
    else
        snprintf(buf, cap, "%" PRId64 "m", ms / 60000);
}

static int print_file(void *ctx, const delta_vacuum_file *f)
{
    bool *header = ctx;
    if (!*header) {
        printf("%-60s %14s %10s\n", "path", "size", "age");
        *header = true;
    }
    char age[32];
    format_age(age, sizeof age, f->age_ms);
    printf("%-60s %14" PRId64 " %10s\n", f->path, f->size, age);
    return 0;
}

int cmd_vacuum(const cli_global *g, int argc, char **argv)
{
    static const cli_opt opts[] = {{"retention-hours", CLI_VALUE},
                                   {"dry-run", CLI_FLAG},
                                   {"lite", CLI_FLAG},
                                   {"force-unsafe-retention", CLI_FLAG}};
    const char *cmd = "vacuum";
    cli_args a;
    if (cli_parse(&a, cmd, argc, argv, opts, sizeof opts / sizeof opts[0]))
        return EXIT_USAGE;
    if (a.npositional != 1) {
        fprintf(stderr, "delta %s: expected one TABLE (see 'delta help vacuum')\n", cmd);
        return EXIT_USAGE;
    }
    delta_vacuum_options vo = DELTA_VACUUM_OPTIONS_INIT;
    const char *hours = cli_get(&a, "retention-hours");
    if (hours) {
        char *end = NULL;
        double h = strtod(hours, &end);
        if (!*hours || *end || !isfinite(h) || h < 0 || h > 1e9) {
            fprintf(stderr,
                    "delta %s: --retention-hours: '%s' is not a number of hours >= 0\n", cmd,
                    hours);
            return EXIT_USAGE;
        }
        vo.retention_hours = h;
    }
    vo.dry_run = cli_has(&a, "dry-run");
    vo.lite = cli_has(&a, "lite");
    vo.force_unsafe_retention = cli_has(&a, "force-unsafe-retention");
    bool header = false;
    if (vo.dry_run) {
        vo.on_file = print_file;
        vo.ctx = &header;
    }

    char *loc = cli_table_location(g, cmd, a.positional[0]);
    if (!loc)
        return EXIT_FAILURE_RUNTIME;
    delta_table *t = NULL;
    delta_vacuum_result r;
    int rc = delta_table_open(&t, loc);
    if (!rc)
        rc = delta_table_vacuum(t, &vo, &r);
    int status = EXIT_OK;
    if (rc) {
        cli_report(cmd, rc);
        status = EXIT_FAILURE_RUNTIME;
    } else if (vo.dry_run) {
        printf("%s%" PRId64 " files (%" PRId64 " bytes) would be deleted from %s (version %" PRId64
               ", retention %.6g h); dry run, nothing deleted\n",
               header ? "\n" : "", r.num_files, r.num_bytes, loc, r.table_version,
               (double)r.retention_ms / 3600000.0);
    } else {
        printf("deleted %" PRId64 " files (%" PRId64 " bytes) and %" PRId64
               " empty folders from %s (retention %.6g h); logged as versions %" PRId64
               " (VACUUM START) and %" PRId64 " (VACUUM END)\n",
               r.files_deleted, r.bytes_deleted, r.dirs_deleted, loc,
               (double)r.retention_ms / 3600000.0, r.start_version, r.end_version);
    }
    delta_table_free(t);
    free(loc);
    return status;
}
