/*
 * delta optimize TABLE [--where PARTITION_PREDICATE] [--z-order COL,COL...]
 *                [--target-size BYTES] [--sort-memory BYTES] [--max-concurrent-tasks N]
 *                [--format table|json]
 *
 * On the public API (delta/optimize.h): bin-packing of each partition's
 * small files into files near the target size, or with --z-order a
 * rewrite of every file of each partition with its rows in Z-order over
 * the columns, as one OPTIMIZE commit. --max-concurrent-tasks N rewrites
 * up to N partitions at once on worker threads (same commit as serial). Prints what was rewritten (files
 * and bytes removed and added, the partitions, the version), or that
 * nothing needed it; --format json prints the same figures as one JSON
 * object. A --where naming a column that is not a partition column, or a
 * --z-order column the library refuses, exits 2 with the library's
 * message.
 */
#include <delta/delta.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli_util.h"
#include "commands.h"

int cmd_optimize(const cli_global *g, int argc, char **argv)
{
    static const cli_opt opts[] = {{"where", CLI_VALUE},
                                   {"target-size", CLI_VALUE},
                                   {"z-order", CLI_VALUE},
                                   {"sort-memory", CLI_VALUE},
                                   {"max-concurrent-tasks", CLI_VALUE},
                                   {"format", CLI_VALUE}};
    const char *cmd = "optimize";
    cli_args a;
    if (cli_parse(&a, cmd, argc, argv, opts, sizeof opts / sizeof opts[0]))
        return EXIT_USAGE;
    if (a.npositional != 1) {
        fprintf(stderr, "delta %s: expected one TABLE (see 'delta help optimize')\n", cmd);
        return EXIT_USAGE;
    }
    bool json;
    if (cli_parse_table_format(cmd, cli_get(&a, "format"), &json))
        return EXIT_USAGE;
    delta_optimize_options oo = DELTA_OPTIMIZE_OPTIONS_INIT;
    oo.where = cli_get(&a, "where");
    static const char *const sizes[] = {"target-size", "sort-memory"};
    int64_t *size_dst[] = {&oo.target_size, &oo.zorder_memory};
    for (size_t i = 0; i < 2; i++) {
        const char *ts = cli_get(&a, sizes[i]);
        if (!ts)
            continue;
        char *end = NULL;
        errno = 0;
        long long v = strtoll(ts, &end, 10);
        if (!*ts || *end || errno || v <= 0) {
            fprintf(stderr, "delta %s: --%s: '%s' is not a number of bytes > 0\n", cmd,
                    sizes[i], ts);
            return EXIT_USAGE;
        }
        *size_dst[i] = v;
    }
    const char *mct = cli_get(&a, "max-concurrent-tasks");
    if (mct) {
        int64_t n;
        if (cli_parse_positive(cmd, "--max-concurrent-tasks", mct, &n))
            return EXIT_USAGE;
        if (n > 256) {
            fprintf(stderr, "delta %s: --max-concurrent-tasks: at most 256, got %s\n", cmd, mct);
            return EXIT_USAGE;
        }
        oo.max_concurrent_tasks = (int)n;
    }
    /* --z-order a,b,c: names split at commas, blanks around them dropped */
    const char *zo = cli_get(&a, "z-order");
    char *zbuf = NULL;
    const char *zcols[64];
    size_t nz = 0;
    if (zo) {
        zbuf = strdup(zo);
        if (!zbuf) {
            fprintf(stderr, "delta %s: out of memory\n", cmd);
            return EXIT_FAILURE_RUNTIME;
        }
        for (char *p = zbuf, *tok; (tok = strsep(&p, ","));) {
            while (*tok == ' ')
                tok++;
            size_t len = strlen(tok);
            while (len && tok[len - 1] == ' ')
                tok[--len] = 0;
            if (!*tok || nz == sizeof zcols / sizeof zcols[0]) {
                fprintf(stderr, "delta %s: --z-order '%s': %s\n", cmd, zo,
                        *tok ? "too many columns" : "an empty column name");
                free(zbuf);
                return EXIT_USAGE;
            }
            zcols[nz++] = tok;
        }
        oo.zorder_by = zcols;
        oo.num_zorder_by = nz;
    }

    char *loc = cli_table_location(g, cmd, a.positional[0]);
    if (!loc) {
        free(zbuf);
        return EXIT_FAILURE_RUNTIME;
    }
    delta_table *t = NULL;
    delta_optimize_result r;
    int rc = delta_table_open(&t, loc);
    if (!rc)
        rc = delta_table_optimize(t, &oo, &r);
    int status = EXIT_OK;
    if (rc) {
        cli_report(cmd, rc);
        /* a predicate or option the library refuses is a usage error */
        status = rc == DELTA_EINVAL ? EXIT_USAGE : EXIT_FAILURE_RUNTIME;
    } else if (json) {
        printf("{\"version\":%" PRId64 ",\"read_version\":%" PRId64 ",\"committed\":%s"
               ",\"target_size\":%" PRId64 ",\"num_files_removed\":%" PRId64
               ",\"num_files_added\":%" PRId64 ",\"num_removed_bytes\":%" PRId64
               ",\"num_added_bytes\":%" PRId64 ",\"min_file_size\":%" PRId64
               ",\"max_file_size\":%" PRId64 ",\"num_rows\":%" PRId64
               ",\"num_deletion_vectors_removed\":%" PRId64 ",\"partitions_optimized\":%" PRId64
               ",\"total_considered_files\":%" PRId64 ",\"total_files_skipped\":%" PRId64
               ",\"total_files\":%" PRId64 ",\"zorder_by\":[",
               r.version, r.read_version, r.version >= 0 ? "true" : "false", r.target_size,
               r.num_files_removed, r.num_files_added, r.num_removed_bytes, r.num_added_bytes,
               r.min_file_size, r.max_file_size, r.num_rows, r.num_dvs_removed,
               r.partitions_optimized, r.total_considered_files, r.total_files_skipped,
               r.total_files);
        for (size_t i = 0; i < nz; i++) {
            if (i)
                putchar(',');
            cli_json_string(stdout, zcols[i]);
        }
        printf("],\"zorder_runs_spilled\":%" PRId64 "}\n", r.zorder_runs_spilled);
    } else if (r.version < 0) {
        printf("nothing to optimize in %s (version %" PRId64 ", %" PRId64
               " files, target %" PRId64 " bytes)\n",
               loc, r.read_version, r.total_files, r.target_size);
    } else {
        printf("optimized %s as version %" PRId64 ": %" PRId64 " files (%" PRId64
               " bytes) rewritten into %" PRId64 " files (%" PRId64 " bytes) in %" PRId64
               " partitions; %" PRId64 " rows; target %" PRId64 " bytes\n",
               loc, r.version, r.num_files_removed, r.num_removed_bytes, r.num_files_added,
               r.num_added_bytes, r.partitions_optimized, r.num_rows, r.target_size);
        if (nz) {
            printf("z-ordered by %s", zo);
            if (r.zorder_runs_spilled)
                printf(" (%" PRId64 " sorted runs spilled to disk)", r.zorder_runs_spilled);
            printf("\n");
        }
    }
    delta_table_free(t);
    free(loc);
    free(zbuf);
    return status;
}
