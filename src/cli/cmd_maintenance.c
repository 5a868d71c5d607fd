/*
 * delta maintenance optimize --all-tables | vacuum [--retention-hours H] [--dry-run]
 *                   | checkpoint | metrics | schedule ... | run [--once]
 *
 * On the public API (delta/maintenance.h), over the lake (--lake). The job
 * subcommands print one line per table (or, with --format json, one object
 * {"jobs": [...], "jobs_run", "succeeded", "failed", "skipped",
 * "next_due_ms"}) and exit 1 when a job failed; the others go on.
 * `run` without --once keeps running until SIGINT or SIGTERM, sleeping
 * until the next job may be due. `--now TS` (with --once) pretends the
 * clock reads TS, to replay a schedule.
 */
#define _DEFAULT_SOURCE /* timegm */
#include <delta/delta.h>

#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "args.h"
#include "cli_util.h"
#include "commands.h"

static const char *const CMD = "maintenance";

typedef struct printer {
    bool json;
    size_t count;
} printer;

static void fmt_time(char *buf, size_t cap, int64_t ms)
{
    if (ms < 0) {
        snprintf(buf, cap, "-");
        return;
    }
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&s, &tm) || !strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, cap, "%" PRId64, ms);
}

static const char *status_name(delta_maintenance_status s)
{
    return s == DELTA_MAINTENANCE_SUCCEEDED ? "succeeded"
           : s == DELTA_MAINTENANCE_FAILED  ? "failed"
                                            : "skipped";
}

static void print_opt_i64(int64_t v)
{
    if (v >= 0)
        printf("%" PRId64, v);
    else
        fputs("null", stdout);
}

/* One job as JSON: the job log's record fields (without pid and host). */
static void job_json(const delta_maintenance_job *j)
{
    fputs("{\"table\":", stdout);
    cli_json_string(stdout, j->table);
    printf(",\"operation\":\"%s\",\"trigger\":", delta_maintenance_op_name(j->op));
    cli_json_string(stdout, j->trigger);
    printf(",\"status\":\"%s\",\"start_ms\":%" PRId64 ",\"end_ms\":%" PRId64
           ",\"duration_ms\":%" PRId64 ",\"files_added\":%" PRId64 ",\"files_removed\":%" PRId64
           ",\"bytes_added\":%" PRId64 ",\"bytes_removed\":%" PRId64 ",\"version\":",
           status_name(j->status), j->start_ms, j->end_ms, j->duration_ms, j->files_added,
           j->files_removed, j->bytes_added, j->bytes_removed);
    print_opt_i64(j->version);
    fputs(",\"error\":", stdout);
    if (j->error)
        cli_json_string(stdout, j->error);
    else
        fputs("null", stdout);
    fputs("}", stdout);
}

static void job_line(const delta_maintenance_job *j)
{
    char ver[32] = "-";
    if (j->version >= 0)
        snprintf(ver, sizeof ver, "%" PRId64, j->version);
    printf("%-24s %-10s %-9s %7" PRId64 " %7" PRId64 " %14" PRId64 " %14" PRId64 " %8s %8" PRId64
           "%s%s\n",
           j->table, delta_maintenance_op_name(j->op), status_name(j->status), j->files_removed,
           j->files_added, j->bytes_removed, j->bytes_added, ver, j->duration_ms,
           j->error ? "  " : "", j->error ? j->error : "");
}

static const char *JOB_HEADER = "TABLE                    OPERATION  STATUS    -FILES  +FILES"
                                "         -BYTES         +BYTES  VERSION   MS\n";

static int print_job(void *ctx, const delta_maintenance_job *j)
{
    printer *p = ctx;
    if (p->json) {
        fputs(p->count ? ",\n" : "\n", stdout);
        job_json(j);
    } else {
        if (!p->count)
            fputs(JOB_HEADER, stdout);
        job_line(j);
    }
    p->count++;
    fflush(stdout);
    return 0;
}

static void print_summary(const printer *p, const delta_maintenance_summary *s)
{
    if (p->json) {
        printf("%s],\"jobs_run\":%" PRId64 ",\"succeeded\":%" PRId64 ",\"failed\":%" PRId64
               ",\"skipped\":%" PRId64 ",\"next_due_ms\":",
               p->count ? "\n" : "", s->jobs_run, s->succeeded, s->failed, s->skipped);
        print_opt_i64(s->next_due_ms);
        fputs("}\n", stdout);
    } else {
        printf("%s%" PRId64 " jobs run: %" PRId64 " succeeded, %" PRId64 " failed; %" PRId64
               " skipped\n",
               p->count ? "\n" : "", s->jobs_run, s->succeeded, s->failed, s->skipped);
    }
}

/* ---- the clock for --now and the run loop ---------------------------------- */

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int64_t fixed_now(void *ctx)
{
    return *(const int64_t *)ctx;
}

static int sleep_interruptible(void *ctx, int64_t until_ms)
{
    (void)ctx;
    while (!stop_requested) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        int64_t left = until_ms - ((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
        if (left <= 0)
            return 0;
        if (left > 500)
            left = 500;
        struct timespec ts = {0, (long)left * 1000000L};
        nanosleep(&ts, NULL);
    }
    return 1;
}

/* Epoch milliseconds, or YYYY-MM-DDTHH:MM[:SS]Z. */
static int parse_now(const char *text, int64_t *out)
{
    char *end = NULL;
    if (*text >= '0' && *text <= '9') {
        long long v = strtoll(text, &end, 10);
        if (end && !*end) {
            *out = v;
            return 0;
        }
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int n = 0;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &n) == 5) {
        const char *rest = text + n;
        if (rest[0] == ':' && sscanf(rest, ":%2d%n", &tm.tm_sec, &n) == 1)
            rest += n;
        if (strcmp(rest, "Z") == 0 || !*rest) {
            tm.tm_year -= 1900;
            tm.tm_mon -= 1;
            *out = (int64_t)timegm(&tm) * 1000;
            return 0;
        }
    }
    fprintf(stderr, "delta %s: --now: '%s' is not epoch milliseconds or YYYY-MM-DDTHH:MM[:SS]Z\n",
            CMD, text);
    return 1;
}

/* ---- metrics --------------------------------------------------------------- */

static void metrics_json(const char *lake, const delta_maintenance_metrics *mt)
{
    fputs("{\"lake\":", stdout);
    cli_json_string(stdout, lake);
    printf(",\n\"schedule\":{\"enabled\":%s", mt->schedule_enabled ? "true" : "false");
    for (int i = 0; i < DELTA_MAINTENANCE_NUM_OPS; i++) {
        printf(",\"%s\":", delta_maintenance_op_name((delta_maintenance_op)i));
        cli_json_string(stdout, mt->schedule[i]);
    }
    printf("},\n\"jobs\":{\"total\":%" PRId64 ",\"succeeded\":%" PRId64 ",\"failed\":%" PRId64
           ",\"unreadable_records\":%" PRId64 ",\"by_operation\":{",
           mt->jobs, mt->succeeded, mt->failed, mt->unreadable_records);
    for (int i = 0; i < DELTA_MAINTENANCE_NUM_OPS; i++) {
        const delta_maintenance_op_stats *s = &mt->ops[i];
        printf("%s\"%s\":{\"jobs\":%" PRId64 ",\"succeeded\":%" PRId64 ",\"failed\":%" PRId64
               ",\"files_added\":%" PRId64 ",\"files_removed\":%" PRId64 ",\"bytes_added\":%" PRId64
               ",\"bytes_removed\":%" PRId64 ",\"total_duration_ms\":%" PRId64
               ",\"last_start_ms\":",
               i ? "," : "", delta_maintenance_op_name((delta_maintenance_op)i), s->jobs,
               s->succeeded, s->failed, s->files_added, s->files_removed, s->bytes_added,
               s->bytes_removed, s->total_duration_ms);
        print_opt_i64(s->last_start_ms);
        fputs("}", stdout);
    }
    fputs("}},\n\"recent_jobs\":[", stdout);
    for (size_t i = 0; i < mt->num_recent; i++) {
        fputs(i ? ",\n" : "\n", stdout);
        job_json(&mt->recent[i]);
    }
    fputs(mt->num_recent ? "\n],\n\"tables\":[" : "],\n\"tables\":[", stdout);
    for (size_t i = 0; i < mt->num_tables; i++) {
        const delta_maintenance_table_health *h = &mt->tables[i];
        fputs(i ? ",\n{\"name\":" : "\n{\"name\":", stdout);
        cli_json_string(stdout, h->name);
        fputs(",\"version\":", stdout);
        print_opt_i64(h->version);
        fputs(",\"error\":", stdout);
        if (h->error)
            cli_json_string(stdout, h->error);
        else
            fputs("null", stdout);
        /* the health of a table that cannot be read is unknown: null */
        bool known = h->version >= 0 && !h->error;
        const char *const names[] = {"num_files", "total_bytes", "avg_file_bytes",
                                     "small_file_threshold", "small_files"};
        const int64_t values[] = {h->num_files, h->total_bytes, h->avg_file_bytes,
                                  h->small_file_threshold, h->small_files};
        for (size_t k = 0; k < sizeof values / sizeof values[0]; k++) {
            printf(",\"%s\":", names[k]);
            print_opt_i64(known ? values[k] : -1);
        }
        if (known)
            printf(",\"small_file_ratio\":%.4f", h->small_file_ratio);
        else
            fputs(",\"small_file_ratio\":null", stdout);
        fputs(",\"last_checkpoint_version\":", stdout);
        print_opt_i64(known ? h->last_checkpoint_version : -1);
        fputs(",\"versions_since_checkpoint\":", stdout);
        print_opt_i64(known ? h->versions_since_checkpoint : -1);
        fputs(",\"checkpoint_interval\":", stdout);
        print_opt_i64(known ? h->checkpoint_interval : -1);
        fputs(",\"reclaimable_files\":", stdout);
        print_opt_i64(h->reclaimable_files);
        fputs(",\"reclaimable_bytes\":", stdout);
        print_opt_i64(h->reclaimable_bytes);
        fputs(",\"vacuum_retention_hours\":", stdout);
        if (h->retention_hours >= 0)
            printf("%.6g", h->retention_hours);
        else
            fputs("null", stdout);
        for (int op = 0; op < DELTA_MAINTENANCE_NUM_OPS; op++) {
            printf(",\"last_%s_ms\":", delta_maintenance_op_name((delta_maintenance_op)op));
            print_opt_i64(h->last_success_ms[op]);
        }
        fputs("}", stdout);
    }
    fputs(mt->num_tables ? "\n]}\n" : "]}\n", stdout);
}

static void metrics_table(const char *lake, const delta_maintenance_metrics *mt)
{
    printf("lake %s: schedule %s (optimize '%s', vacuum '%s', checkpoint '%s')\n", lake,
           mt->schedule_enabled ? "enabled" : "disabled", mt->schedule[0], mt->schedule[1],
           mt->schedule[2]);
    printf("\n%-24s %7s %7s %14s %12s %7s %6s %6s %8s %14s\n", "TABLE", "VERSION", "FILES", "BYTES",
           "AVG_FILE", "SMALL", "RATIO", "SINCE", "RECLAIM", "RECLAIM_BYTES");
    for (size_t i = 0; i < mt->num_tables; i++) {
        const delta_maintenance_table_health *h = &mt->tables[i];
        if (h->version < 0 || h->error) {
            printf("%-24s %7s  (%s)\n", h->name, "-", h->error ? h->error : "unreadable");
            continue;
        }
        char rf[32] = "-", rb[32] = "-";
        if (h->reclaimable_files >= 0) {
            snprintf(rf, sizeof rf, "%" PRId64, h->reclaimable_files);
            snprintf(rb, sizeof rb, "%" PRId64, h->reclaimable_bytes);
        }
        printf("%-24s %7" PRId64 " %7" PRId64 " %14" PRId64 " %12" PRId64 " %7" PRId64
               " %5.0f%% %6" PRId64 " %8s %14s\n",
               h->name, h->version, h->num_files, h->total_bytes, h->avg_file_bytes, h->small_files,
               h->small_file_ratio * 100.0, h->versions_since_checkpoint, rf, rb);
    }
    printf("\n%-12s %6s %9s %7s %8s %8s %14s %14s %10s  %s\n", "OPERATION", "JOBS", "SUCCEEDED",
           "FAILED", "-FILES", "+FILES", "-BYTES", "+BYTES", "TOTAL_MS", "LAST");
    for (int i = 0; i < DELTA_MAINTENANCE_NUM_OPS; i++) {
        const delta_maintenance_op_stats *s = &mt->ops[i];
        char last[32];
        fmt_time(last, sizeof last, s->last_start_ms);
        printf("%-12s %6" PRId64 " %9" PRId64 " %7" PRId64 " %8" PRId64 " %8" PRId64 " %14" PRId64
               " %14" PRId64 " %10" PRId64 "  %s\n",
               delta_maintenance_op_name((delta_maintenance_op)i), s->jobs, s->succeeded, s->failed,
               s->files_removed, s->files_added, s->bytes_removed, s->bytes_added,
               s->total_duration_ms, last);
    }
    if (mt->unreadable_records)
        printf("(%" PRId64 " job records could not be read)\n", mt->unreadable_records);
    if (mt->num_recent) {
        printf("\nrecent jobs (newest first):\n");
        for (size_t i = 0; i < mt->num_recent; i++) {
            const delta_maintenance_job *j = &mt->recent[i];
            char start[32];
            fmt_time(start, sizeof start, j->start_ms);
            printf("  %s %-24s %-10s %-9s %-8s%s%s\n", start, j->table,
                   delta_maintenance_op_name(j->op), status_name(j->status), j->trigger,
                   j->error ? "  " : "", j->error ? j->error : "");
        }
    }
}

/* ---- subcommands --------------------------------------------------------------- */

static int usage(const char *msg)
{
    fprintf(stderr, "delta %s: %s (see 'delta help maintenance')\n", CMD, msg);
    return EXIT_USAGE;
}

int cmd_maintenance(const cli_global *g, int argc, char **argv)
{
    static const cli_opt opts[] = {{"all-tables", CLI_FLAG},  {"retention-hours", CLI_VALUE},
                                   {"dry-run", CLI_FLAG},     {"format", CLI_VALUE},
                                   {"enable", CLI_FLAG},      {"disable", CLI_FLAG},
                                   {"optimize", CLI_VALUE},   {"vacuum", CLI_VALUE},
                                   {"checkpoint", CLI_VALUE}, {"once", CLI_FLAG},
                                   {"now", CLI_VALUE},        {"recent", CLI_VALUE}};
    cli_args a;
    if (cli_parse(&a, CMD, argc, argv, opts, sizeof opts / sizeof opts[0]))
        return EXIT_USAGE;
    if (a.npositional != 1)
        return usage("expected one of optimize, vacuum, checkpoint, metrics, schedule, run");
    const char *sub = a.positional[0];
    bool json;
    if (cli_parse_table_format(CMD, cli_get(&a, "format"), &json))
        return EXIT_USAGE;

    /* which options each subcommand takes */
    static const struct {
        const char *sub;
        const char *allowed;
    } allow[] = {{"optimize", "all-tables format"},
                 {"vacuum", "retention-hours dry-run format"},
                 {"checkpoint", "format"},
                 {"metrics", "format recent now"},
                 {"schedule", "enable disable optimize vacuum checkpoint now"},
                 {"run", "once now format"}};
    const char *allowed = NULL;
    for (size_t i = 0; i < sizeof allow / sizeof allow[0]; i++)
        if (strcmp(allow[i].sub, sub) == 0)
            allowed = allow[i].allowed;
    if (!allowed) {
        fprintf(stderr, "delta %s: unknown subcommand '%s' (see 'delta help maintenance')\n", CMD,
                sub);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        if (!a.counts[i])
            continue;
        const char *hit = strstr(allowed, opts[i].name);
        size_t n = strlen(opts[i].name);
        if (!hit || (hit[n] != ' ' && hit[n] != '\0')) {
            fprintf(stderr, "delta %s %s: --%s does not apply (see 'delta help maintenance')\n",
                    CMD, sub, opts[i].name);
            return EXIT_USAGE;
        }
    }

    delta_maintenance_options mo = DELTA_MAINTENANCE_OPTIONS_INIT;
    int64_t now = 0;
    const char *now_text = cli_get(&a, "now");
    if (now_text) {
        if (parse_now(now_text, &now))
            return EXIT_USAGE;
        if (strcmp(sub, "run") == 0 && !cli_has(&a, "once"))
            return usage("--now needs --once (a loop cannot wait on a clock that stands still)");
        mo.now_ms = fixed_now;
        mo.clock_ctx = &now;
    }
    delta_maintenance_run_options ro = DELTA_MAINTENANCE_RUN_OPTIONS_INIT;
    const char *hours = cli_get(&a, "retention-hours");
    if (hours) {
        char *end = NULL;
        double h = strtod(hours, &end);
        if (!*hours || *end || !isfinite(h) || h < 0 || h > 1e9) {
            fprintf(stderr, "delta %s: --retention-hours: '%s' is not a number of hours >= 0\n",
                    CMD, hours);
            return EXIT_USAGE;
        }
        ro.retention_hours = h;
    }
    ro.dry_run = cli_has(&a, "dry-run");
    int64_t recent = 10;
    if (cli_get(&a, "recent") && cli_parse_count(CMD, "--recent", cli_get(&a, "recent"), &recent))
        return EXIT_USAGE;
    if (strcmp(sub, "optimize") == 0 && !cli_has(&a, "all-tables"))
        return usage("optimize needs --all-tables (one table: 'delta optimize TABLE')");
    if (cli_has(&a, "enable") && cli_has(&a, "disable"))
        return usage("--enable and --disable together");

    delta_maintenance *m = NULL;
    int rc = delta_maintenance_open(&m, g->lake, &mo);
    if (rc) {
        cli_report(CMD, rc);
        return EXIT_FAILURE_RUNTIME;
    }
    int status = EXIT_OK;
    printer p = {json, 0};
    ro.on_job = print_job;
    ro.ctx = &p;
    delta_maintenance_summary sum;
    if (strcmp(sub, "metrics") == 0) {
        delta_maintenance_metrics *mt = NULL;
        rc = delta_maintenance_metrics_get(m, (size_t)recent, &mt);
        if (!rc) {
            if (json)
                metrics_json(g->lake, mt);
            else
                metrics_table(g->lake, mt);
        }
        delta_maintenance_metrics_free(mt);
    } else if (strcmp(sub, "schedule") == 0) {
        const char *crons[DELTA_MAINTENANCE_NUM_OPS] = {
            cli_get(&a, "optimize"), cli_get(&a, "vacuum"), cli_get(&a, "checkpoint")};
        int enable = cli_has(&a, "enable") ? 1 : cli_has(&a, "disable") ? 0 : -1;
        for (int i = 0; i < DELTA_MAINTENANCE_NUM_OPS; i++) {
            int64_t ignored;
            if (crons[i] && strcasecmp(crons[i], "off") != 0 &&
                delta_maintenance_cron_next(crons[i], 0, &ignored)) {
                fprintf(stderr, "delta %s: --%s: %s\n", CMD,
                        delta_maintenance_op_name((delta_maintenance_op)i), delta_error_last());
                delta_maintenance_free(m);
                return EXIT_USAGE;
            }
        }
        rc = delta_maintenance_schedule(m, enable, crons);
        char *conf = NULL;
        if (!rc)
            rc = delta_maintenance_config_json(m, &conf);
        if (!rc)
            printf("%s\n", conf);
        delta_free(conf);
    } else {
        if (json)
            fputs("{\"jobs\":[", stdout);
        if (strcmp(sub, "run") == 0) {
            if (cli_has(&a, "once")) {
                rc = delta_maintenance_run_due(m, &ro, &sum);
            } else {
                struct sigaction sa;
                memset(&sa, 0, sizeof sa);
                sa.sa_handler = on_signal;
                sigaction(SIGINT, &sa, NULL);
                sigaction(SIGTERM, &sa, NULL);
                if (!json) {
                    printf("running the maintenance schedule of %s until interrupted\n",
                           g->lake);
                    fflush(stdout);
                }
                delta_maintenance_free(m);
                mo.sleep_until = sleep_interruptible;
                rc = delta_maintenance_open(&m, g->lake, &mo);
                if (!rc)
                    rc = delta_maintenance_run_loop(m, &ro, &sum);
            }
        } else {
            delta_maintenance_op op = strcmp(sub, "optimize") == 0 ? DELTA_MAINTENANCE_OPTIMIZE
                                      : strcmp(sub, "vacuum") == 0 ? DELTA_MAINTENANCE_VACUUM
                                                                   : DELTA_MAINTENANCE_CHECKPOINT;
            rc = delta_maintenance_run_op(m, op, &ro, &sum);
        }
        if (!rc) {
            print_summary(&p, &sum);
            if (strcmp(sub, "run") == 0 && !json) {
                char when[32];
                fmt_time(when, sizeof when, sum.next_due_ms);
                if (sum.next_due_ms < 0)
                    printf("no job is scheduled: the schedule is disabled ('delta maintenance "
                           "schedule --enable'), every cron is off, or the lake has no tables\n");
                else
                    printf("next job may be due at %s\n", when);
            }
            if (sum.failed)
                status = EXIT_FAILURE_RUNTIME;
        } else if (json) {
            fputs("]}\n", stdout);
        }
    }
    if (rc) {
        cli_report(CMD, rc);
        status = EXIT_FAILURE_RUNTIME;
    }
    delta_maintenance_free(m);
    return status;
}
