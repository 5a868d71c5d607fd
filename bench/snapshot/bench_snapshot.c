/*
 * Snapshot load benchmark: opens the latest snapshot of a table (listing,
 * reading and parsing every commit, reconciling live files) `reps` times
 * and prints the fastest load, the live file count and the process's peak
 * resident memory.
 *
 *   bench_snapshot TABLE_DIR [reps]
 *
 * Output: "seconds=S files=N version=V peak_rss_kb=K" (one line, for
 * run.sh to read).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include <delta/storage.h>

#include "core/error.h"
#include "log/snapshot.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_snapshot TABLE_DIR [reps]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 1;
    if (reps < 1)
        reps = 1;
    delta_store *s = NULL;
    if (delta_store_open(&s, argv[1])) {
        fprintf(stderr, "bench_snapshot: %s\n", delta_error_last());
        return 1;
    }
    double best = 1e30;
    size_t files = 0;
    long long version = -1;
    for (int r = 0; r < reps; r++) {
        dlog_snapshot *snap = NULL;
        double t = now();
        if (dlog_snapshot_open(&snap, s, NULL)) {
            fprintf(stderr, "bench_snapshot: %s\n", delta_error_last());
            delta_store_free(s);
            return 1;
        }
        t = now() - t;
        if (t < best)
            best = t;
        files = dlog_snapshot_num_files(snap);
        version = (long long)snap->version;
        dlog_snapshot_free(snap);
    }
    delta_store_free(s);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("seconds=%.3f files=%zu version=%lld peak_rss_kb=%ld\n", best, files, version,
           ru.ru_maxrss);
    return 0;
}
