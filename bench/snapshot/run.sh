#!/bin/bash
# Snapshot load: libdelta (bench_snapshot) vs DuckDB reading the same
# commit files with read_ndjson (threads=1), side by side in one run.
#   bench/snapshot/run.sh BUILD_DIR [RUNS]
# The 300k-add log of ../shared/bench-data is extracted into
# BUILD_DIR/bench/snapshot/data (never into ../shared). Each side runs RUNS
# times (default 3) in a fresh process; the best time and the peak
# resident memory of that process are reported. Times cover the load or
# the query only (DuckDB: the statement, not Node or DuckDB start-up);
# peak memory is the whole process (DuckDB's includes Node).
set -euo pipefail
build=${1:-build-bench}
runs=${2:-3}
source "$(cd "$(dirname "$0")/.." && pwd)/common/duckdb.sh"

tarball="$project_root/../shared/bench-data/300k-add-files-100-col-partitioned.tar.zst"
bin="$build/bench/snapshot/bench_snapshot"
data="$build/bench/snapshot/data"
if [ ! -x "$bin" ]; then
    echo "bench/snapshot: $bin is not built" >&2
    exit 1
fi
if [ ! -f "$tarball" ]; then
    echo "bench/snapshot: $tarball is absent: skipping" >&2
    exit 0
fi
table="$data/300k-add-files-100-col-partitioned"
if [ ! -d "$table/_delta_log" ]; then
    mkdir -p "$data"
    tar --zstd -xf "$tarball" -C "$data"
fi
log="$(cd "$table/_delta_log" && pwd)"
commits=$(ls "$log"/*.json | wc -l)
bytes=$(cat "$log"/*.json | wc -c)

# best "seconds=" of $runs runs of a command, and the peak RSS of that run
best_of() {
    local best="" best_kb="" out secs kb
    for _ in $(seq "$runs"); do
        out=$( { peak_rss "$@" 3>&1 1>&4 2>/dev/null; } 4>&1 )
        secs=$(echo "$out" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' | head -1)
        kb=$(echo "$out" | tail -1 | awk '{print $2}')
        if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then
            best=$secs
            best_kb=$kb
        fi
    done
    echo "$best $best_kb"
}

ours=$(best_of "$bin" "$table")
d=$(duckdb_dir)
sql="SELECT count(DISTINCT add.path) AS files, sum(add.size) AS bytes FROM read_ndjson('$log/*.json')"
theirs=$(best_of node "$d/duckdb_run.mjs" --threads 1 "$sql")

read -r our_s our_kb <<<"$ours"
read -r duck_s duck_kb <<<"$theirs"
ratio=$(awk "BEGIN{printf \"%.2f\", $our_s / $duck_s}")
printf 'snapshot load, %s commits, %s bytes, 300000 live files (best of %s)\n' "$commits" "$bytes" "$runs"
printf '  %-34s %8s s  %8s MB peak\n' "libdelta dlog_snapshot_open" "$our_s" "$((our_kb / 1024))"
printf '  %-34s %8s s  %8s MB peak\n' "DuckDB read_ndjson (threads=1)" "$duck_s" "$((duck_kb / 1024))"
printf '  time ratio libdelta/DuckDB: %s\n' "$ratio"
