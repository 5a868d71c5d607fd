#!/bin/bash
# bench/write: loading generated e-commerce transactions into a table
# partitioned by year/month/day, side by side with DuckDB writing the same
# rows to Hive-partitioned Parquet, single-threaded, same machine, same run.
#
#   input:  `delta generate transactions --rows ROWS --seed 42` as one
#           Parquet file in BUILD_DIR/data (made once, reused); 90 days of
#           time-ordered rows, 18 columns incl. a nested address struct and
#           decimals
#   ours:   delta create T --template transactions (generated columns,
#           statistics, delta.autoOptimize.optimizeWrite), then `delta write
#           T --input FILE` (whole process: read, checks, partitioning,
#           Parquet encode + snappy, stats, the commit); then the same into
#           a table with optimizeWrite off ("plain")
#   DuckDB: COPY (SELECT * FROM read_parquet(FILE)) TO DIR (FORMAT parquet,
#           PARTITION_BY (year, month, day)), threads=1 (the statement only)
#   peak memory: whole process (/usr/bin/time %M); DuckDB's includes Node.js.
#
# Runs each side once (the machine is shared; run it again to check noise).
# Usage: bench/write/run.sh BUILD_DIR [ROWS]   (make bench runs it)
set -euo pipefail
build=$(cd "${1:-build-bench}" && pwd)
rows=${2:-10000000}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../common/duckdb.sh
. "$here/../common/duckdb.sh"

delta_bin="$build/delta"
[ -x "$delta_bin" ] || { echo "bench/write: $delta_bin is not built" >&2; exit 1; }
d=$(duckdb_dir)
data="$build/data"
mkdir -p "$data"
# the generator's fingerprint names the cached file, so a change of the
# template or the generator makes a new one
fp=$("$delta_bin" generate transactions --rows 3 --seed 42 | md5sum | cut -c1-8)
src="$data/gen-transactions-$rows-$fp.parquet"
if [ ! -s "$src" ]; then
    echo "generating $src ($rows rows, seed 42)..."
    { peak_rss "$delta_bin" generate transactions --rows "$rows" --seed 42 --output "$src" 3>&2 2>/dev/null; } 2>"$data/gen.time"
    read -r gt grss <"$data/gen.time"
    awk -v t="$gt" -v n="$rows" -v m="$grss" \
        'BEGIN{printf "generated in %.2f s (%.0f rows/s), %d KiB peak\n", t, n/t, m}'
fi
echo "input: $src ($(stat -L -c %s "$src") bytes, $rows rows)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min), $(nproc) cores"

lake="$data/write-lake"
duck_out="$data/write-duckdb"
rm -rf "$lake" "$duck_out"
"$delta_bin" --lake "$lake" create tx --template transactions >/dev/null

# ours: process wall time (the template sets delta.autoOptimize.optimizeWrite:
# rows are grouped by partition before writing, spilling past 128 MiB)
out=$( { peak_rss "$delta_bin" --lake "$lake" write tx --input "$src" 3>&2 2>/dev/null >"$data/ours.out"; } 2>&1 )
ours_t=${out% *}; ours_rss=${out#* }
echo "ours:   $(cat "$data/ours.out")"
# the same write without optimized writes (one open file per partition)
"$delta_bin" --lake "$lake" create plain --template transactions \
    --property delta.autoOptimize.optimizeWrite=false >/dev/null
out=$( { peak_rss "$delta_bin" --lake "$lake" write plain --input "$src" 3>&2 2>/dev/null >"$data/plain.out"; } 2>&1 )
plain_t=${out% *}; plain_rss=${out#* }
echo "plain:  $(cat "$data/plain.out")"

node_base=$( { peak_rss node "$d/duckdb_run.mjs" --threads 1 "SELECT 1" 3>&2 2>/dev/null >/dev/null; } 2>&1 )
out=$( { peak_rss node "$d/duckdb_run.mjs" --threads 1 \
    "COPY (SELECT * FROM read_parquet('$src')) TO '$duck_out' (FORMAT parquet, PARTITION_BY (year, month, day))" \
    3>&2 2>/dev/null >"$data/duck.out"; } 2>&1 )
duck_t=$(grep -o 'seconds=[0-9.]*' "$data/duck.out" | cut -d= -f2)
duck_rss=${out#* }
duck_files=$(find "$duck_out" -name '*.parquet' | wc -l)
duck_bytes=$(find "$duck_out" -name '*.parquet' -printf '%s\n' | awk '{s+=$1} END{print s}')
ours_files=$(find "$lake/tx" -name '*.parquet' | wc -l)
ours_bytes=$(find "$lake/tx" -name '*.parquet' -printf '%s\n' | awk '{s+=$1} END{print s}')

printf '%-8s %8.2f s %12.0f rows/s %9d KiB peak %5d files %12d bytes\n' \
    ours "$ours_t" "$(awk -v n="$rows" -v t="$ours_t" 'BEGIN{print n/t}')" "$ours_rss" "$ours_files" "$ours_bytes"
printf '%-8s %8.2f s %12.0f rows/s %9d KiB peak %5d files %12d bytes  (node alone: %s KiB)\n' \
    duckdb "$duck_t" "$(awk -v n="$rows" -v t="$duck_t" 'BEGIN{print n/t}')" "$duck_rss" "$duck_files" "$duck_bytes" "${node_base#* }"
printf '%-8s %8.2f s %12.0f rows/s %9d KiB peak  (optimizeWrite off)\n' \
    plain "$plain_t" "$(awk -v n="$rows" -v t="$plain_t" 'BEGIN{print n/t}')" "$plain_rss"
awk -v a="$ours_t" -v p="$plain_t" -v b="$duck_t" \
    'BEGIN{printf "write: ours/duckdb time ratio %.2f, without optimizeWrite %.2f (below 1 = faster)\n", a/b, p/b}'
# the table reads back with every row
n=$("$delta_bin" --lake "$lake" list-tables --format json | grep -o '"records":[0-9]*' | head -1 | cut -d: -f2)
echo "records in the table (statistics): $n"
[ "$n" = "$rows" ] || { echo "bench/write: expected $rows records" >&2; exit 1; }
