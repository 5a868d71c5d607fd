#!/bin/bash
# bench/parquet: our Parquet reader and writer side by side with DuckDB's,
# single-threaded, on the same seeded 10-million-row e-commerce
# transactions file (transactions.sql), same codec, same machine, same run.
#
#   (a) full decode of every column
#       ours:   bench_parquet_decode FILE   (public reader, batches dropped)
#       DuckDB: min() of every column       (its cheapest query that still
#               decodes every value; a count(*) or IS NULL filter is
#               answered from statistics and decodes nothing)
#   (b) read + re-encode
#       ours:   delta parquet rewrite FILE OUT --compression snappy
#       DuckDB: COPY (SELECT * FROM read_parquet(FILE)) TO OUT
#               (FORMAT parquet, COMPRESSION snappy)
#   peak memory of each process (/usr/bin/time %M). DuckDB runs inside
#   Node.js; the Node baseline (a trivial query) is printed so it can be
#   subtracted.
#
# Usage: bench/parquet/run.sh BUILD_DIR [ROWS]   (make bench runs it)
set -euo pipefail
build=$(cd "${1:-build-bench}" && pwd)
rows=${2:-10000000}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../common/duckdb.sh
. "$here/../common/duckdb.sh"

d=$(duckdb_dir)
data="$build/data"
mkdir -p "$data"
src="$data/tx-$rows-snappy.parquet"
if [ ! -s "$src" ]; then
    echo "generating $src ($rows rows, seed 42)..."
    sql=$(sed -e "s/{ROWS}/$rows/; s/{SEED}/42/g; s|{OUT}|$src|; s/{CODEC}/snappy/" \
        "$here/transactions.sql" | grep -v '^--')
    node "$d/duckdb_run.mjs" --threads 2 "$sql" >/dev/null
fi
echo "input: $src ($(stat -L -c %s "$src") bytes, $rows rows)"

decode_bin="$build/bench/parquet/bench_parquet_decode"
delta_bin="$build/delta"
for b in "$decode_bin" "$delta_bin"; do
    [ -x "$b" ] || { echo "bench/parquet: $b is not built" >&2; exit 1; }
done

cols="transaction_id, customer_id, product_id, category, amount, amount_usd, transaction_ts, status, discount"
mins=$(echo "$cols" | sed -E 's/([a-z_]+)/min(\1)/g')
runs=3

# measure NAME CMD...: best wall time of $runs runs (seconds printed by the
# program itself as seconds=S when it does, else the process time) and the
# peak RSS of the last run.
measure() {
    local name=$1; shift
    local best="" rss="" t out
    for _ in $(seq $runs); do
        out=$( { peak_rss "$@" 3>&2 2>/dev/null >/tmp/bench-parquet.out; } 2>&1 )
        t=$(grep -o 'seconds=[0-9.]*' /tmp/bench-parquet.out | tail -1 | cut -d= -f2 || true)
        [ -n "$t" ] || t=${out% *}
        rss=${out#* }
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    done
    printf '%-34s %8.3f s  %8d KiB peak\n' "$name" "$best" "$rss"
    eval "result_${name//[^a-z0-9]/_}=$best"
}

out_ours="$data/rewrite-ours.parquet"
out_duck="$data/rewrite-duckdb.parquet"

measure "node baseline"       node "$d/duckdb_run.mjs" --threads 1 "SELECT 1"
measure "decode ours"         "$decode_bin" "$src"
measure "decode duckdb"       node "$d/duckdb_run.mjs" --threads 1 \
    "SELECT $mins FROM read_parquet('$src')"
measure "rewrite ours"        "$delta_bin" parquet rewrite "$src" "$out_ours" --compression snappy
measure "rewrite duckdb"      node "$d/duckdb_run.mjs" --threads 1 \
    "COPY (SELECT * FROM read_parquet('$src')) TO '$out_duck' (FORMAT parquet, COMPRESSION snappy)"

awk -v a="$result_decode_ours" -v b="$result_decode_duckdb" \
    'BEGIN{printf "decode:  ours/duckdb time ratio %.2f (below 1 = faster)\n", a/b}'
awk -v a="$result_rewrite_ours" -v b="$result_rewrite_duckdb" \
    'BEGIN{printf "rewrite: ours/duckdb time ratio %.2f (below 1 = faster)\n", a/b}'
echo "output sizes: ours $(stat -L -c %s "$out_ours") bytes, duckdb $(stat -L -c %s "$out_duck") bytes"
node "$d/compare.mjs" "$src" "$out_ours"
