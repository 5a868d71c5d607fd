#!/bin/bash
# bench/optimize: compacting 10,000 small files (10 million generated
# transactions) into files near the target size, side by side with DuckDB
# rewriting the same files, single-threaded, same machine, same run.
#
#   input:  `delta generate transactions --rows ROWS --seed 42` (the file
#           bench/write makes, BUILD_DIR/data, reused), written by
#           bench_optimize_prepare into an unpartitioned table with the
#           transactions schema as FILES files of ROWS/FILES rows each, one
#           commit (made once, kept under BUILD_DIR/data, copied for each
#           run so every run starts from the same small files)
#   ours:   `delta optimize T` (whole process: snapshot of FILES adds, read
#           every file, encode snappy Parquet with statistics into files of
#           the default 128 MiB target, one OPTIMIZE commit)
#   DuckDB: COPY (SELECT * FROM read_parquet('T/*.parquet')) TO DIR
#           (FORMAT parquet, FILE_SIZE_BYTES '128MiB'), threads=1, the
#           statement only (the glob is exactly the table's FILES files)
#   peak memory: whole process (/usr/bin/time %M); DuckDB's includes Node.js.
#
# Runs each side once (the machine is shared; run it again to check noise).
# Usage: bench/optimize/run.sh BUILD_DIR [FILES [ROWS]]   (make bench runs it
# with the defaults, 10000 files of 10000000 rows)
set -euo pipefail
build=$(cd "${1:-build-bench}" && pwd)
files=${2:-10000}
rows=${3:-10000000}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../common/duckdb.sh
. "$here/../common/duckdb.sh"

delta_bin="$build/delta"
prep="$build/bench/optimize/bench_optimize_prepare"
for b in "$delta_bin" "$prep"; do
    [ -x "$b" ] || { echo "bench/optimize: $b is not built" >&2; exit 1; }
done
per_file=$(( (rows + files - 1) / files ))
d=$(duckdb_dir)
data="$build/data"
mkdir -p "$data"
# the generator's fingerprint names the cached files (as bench/write does)
fp=$("$delta_bin" generate transactions --rows 3 --seed 42 | md5sum | cut -c1-8)
src="$data/gen-transactions-$rows-$fp.parquet"
if [ ! -s "$src" ]; then
    echo "generating $src ($rows rows, seed 42)..."
    "$delta_bin" generate transactions --rows "$rows" --seed 42 --output "$src" >/dev/null
fi
small="$data/optimize-small-$files-$rows-$fp"
if [ ! -e "$small/.complete" ]; then
    rm -rf "$small"
    echo "writing $rows rows as $files files of $per_file rows into $small..."
    start=$(date +%s.%N)
    "$prep" "$small" "$src" "$per_file"
    awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "prepared in %.1f s\n", b-a}'
    touch "$small/.complete"
fi
n_small=$(find "$small" -maxdepth 1 -name '*.parquet' | wc -l)
small_bytes=$(find "$small" -maxdepth 1 -name '*.parquet' -printf '%s\n' | awk '{s+=$1} END{print s}')
echo "input: $small ($n_small files, $small_bytes bytes, $rows rows)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min), $(nproc) cores"

lake="$data/optimize-lake"
duck_out="$data/optimize-duckdb"
rm -rf "$lake" "$duck_out"
mkdir -p "$lake"
cp -r "$small" "$lake/tx"
sync

out=$( { peak_rss "$delta_bin" --lake "$lake" optimize tx --format json 3>&2 2>/dev/null >"$data/optimize-ours.out"; } 2>&1 )
ours_t=${out% *}; ours_rss=${out#* }
grep -q '"committed":true' "$data/optimize-ours.out" ||
    { echo "bench/optimize: optimize committed nothing: $(cat "$data/optimize-ours.out")" >&2; exit 1; }
ours_files=$(sed -n 's/.*"num_files_added":\([0-9]*\).*/\1/p' "$data/optimize-ours.out")
ours_bytes=$(sed -n 's/.*"num_added_bytes":\([0-9]*\).*/\1/p' "$data/optimize-ours.out")

node_base=$( { peak_rss node "$d/duckdb_run.mjs" --threads 1 "SELECT 1" 3>&2 2>/dev/null >/dev/null; } 2>&1 )
out=$( { peak_rss node "$d/duckdb_run.mjs" --threads 1 \
    "COPY (SELECT * FROM read_parquet('$small/*.parquet')) TO '$duck_out' (FORMAT parquet, FILE_SIZE_BYTES '128MiB')" \
    3>&2 2>/dev/null >"$data/optimize-duck.out"; } 2>&1 )
duck_t=$(grep -o 'seconds=[0-9.]*' "$data/optimize-duck.out" | cut -d= -f2)
duck_rss=${out#* }
duck_files=$(find "$duck_out" -name '*.parquet' | wc -l)
duck_bytes=$(find "$duck_out" -name '*.parquet' -printf '%s\n' | awk '{s+=$1} END{print s}')

printf '%-8s %8.2f s %12.0f rows/s %9d KiB peak %5d files %12d bytes\n' \
    ours "$ours_t" "$(awk -v n="$rows" -v t="$ours_t" 'BEGIN{print n/t}')" "$ours_rss" "$ours_files" "$ours_bytes"
printf '%-8s %8.2f s %12.0f rows/s %9d KiB peak %5d files %12d bytes  (node alone: %s KiB)\n' \
    duckdb "$duck_t" "$(awk -v n="$rows" -v t="$duck_t" 'BEGIN{print n/t}')" "$duck_rss" "$duck_files" "$duck_bytes" "${node_base#* }"
awk -v a="$ours_t" -v b="$duck_t" \
    'BEGIN{printf "optimize: ours/duckdb time ratio %.2f (below 1 = faster)\n", a/b}'
# every row is still there, in the files the optimize wrote
n=$("$delta_bin" --lake "$lake" list-tables --format json | grep -o '"records":[0-9]*' | head -1 | cut -d: -f2)
echo "records in the table (statistics): $n"
[ "$n" = "$rows" ] || { echo "bench/optimize: expected $rows records" >&2; exit 1; }
