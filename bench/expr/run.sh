#!/bin/bash
# bench/expr: the expression evaluator's filter (a 3-term predicate over
# 10 million rows held in memory) side by side with DuckDB's, both
# single-threaded, on the same rows (the integer formulas of
# bench_expr.c, rebuilt in DuckDB as a table), same machine, same run.
# Both print the matching count, which must agree. Times exclude data
# generation and, for DuckDB, Node and DuckDB start-up (duckdb_run.mjs
# times the last statement only).
#
# Usage: bench/expr/run.sh BUILD_DIR [ROWS]   (make bench runs it)
set -euo pipefail
build=$(cd "${1:-build-bench}" && pwd)
rows=${2:-10000000}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../common/duckdb.sh
. "$here/../common/duckdb.sh"

bin="$build/bench/expr/bench_expr"
[ -x "$bin" ] || { echo "bench/expr: $bin is not built" >&2; exit 1; }
pred="price > 500 AND qty >= 3 AND country = 'DE'"

ours=$("$bin" "$rows" "$pred")
ours_s=$(echo "$ours" | grep -o 'seconds=[0-9.]*' | cut -d= -f2)
ours_n=$(echo "$ours" | grep -o 'count=[0-9]*' | cut -d= -f2)

d=$(duckdb_dir)
create="CREATE TABLE t AS SELECT i AS id, CAST((i * 7919) % 100003 AS DOUBLE) / 100 AS price,
        CAST((i * 13) % 10 AS INTEGER) AS qty,
        (['DE','FR','US','GB','NL','IT','ES'])[((i * 31) % 7) + 1] AS country
        FROM range($rows) r(i)"
best=""
duck_n=""
for _ in 1 2 3; do
    out=$(node "$d/duckdb_run.mjs" --threads 1 "$create" \
        "SELECT count(*) AS n FROM t WHERE $pred" 2>&1)
    t=$(echo "$out" | grep -o 'seconds=[0-9.]*' | cut -d= -f2)
    duck_n=$(echo "$out" | grep -o '"n":"\?[0-9]*' | grep -o '[0-9]*$' || true)
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
done

printf '%-28s %10s %14s %10s\n' "engine" "seconds" "rows/s" "matches"
printf '%-28s %10.3f %14.0f %10s\n' "ours (expr_select)" "$ours_s" \
    "$(awk -v r="$rows" -v t="$ours_s" 'BEGIN{print r/t}')" "$ours_n"
printf '%-28s %10.3f %14.0f %10s\n' "duckdb threads=1" "$best" \
    "$(awk -v r="$rows" -v t="$best" 'BEGIN{print r/t}')" "${duck_n:-?}"
if [ -n "$duck_n" ] && [ "$duck_n" != "$ours_n" ]; then
    echo "bench/expr: match counts differ (ours $ours_n, duckdb $duck_n)" >&2
    exit 1
fi
awk -v a="$ours_s" -v b="$best" \
    'BEGIN{printf "filter: ours/duckdb time ratio %.2f (below 1 = faster)\n", a/b}'
