#!/bin/bash
# Every Parquet file under ../shared/golden and ../shared/extra (data files,
# checkpoints, expected results: written by Spark, parquet-mr, Arrow and
# others) is read and rewritten with `delta parquet rewrite`, and DuckDB -
# an independent reader - must see exactly the same rows in the rewrite as
# in the original (the duckdb-oracle compare.mjs check, compare_many.mjs).
set -e
. "$(dirname "$0")/lib.sh"

shared=${DELTA_SHARED_DIR:-}
if [ ! -d "$shared/golden" ] || [ ! -x "$shared/tools/duckdb-oracle/setup" ]; then
    echo "skipped: ../shared (golden files and the DuckDB oracle) is absent"
    exit 77
fi
if ! command -v node >/dev/null || ! oracle=$("$DELTA_ORACLE_SETUP"); then
    echo "skipped: the DuckDB oracle could not be set up (node/npm missing?)"
    exit 77
fi

pairs="$WORK/pairs.tsv"
: > "$pairs"
n=0
while IFS= read -r -d '' f; do
    n=$((n + 1))
    out="$WORK/rewrite-$n.parquet"
    checks=$((checks + 1))
    if ! err=$("$DELTA_BIN" parquet rewrite "$f" "$out" 2>&1 >/dev/null); then
        fail "rewrite of $f: $err"
        continue
    fi
    printf '%s\t%s\n' "$f" "$out" >> "$pairs"
done < <(find "$shared/golden" "$shared/extra" -name '*.parquet' -print0 | sort -z)
echo "rewrote $n files"

checks=$((checks + 1))
if ! node "$oracle/compare_many.mjs" < "$pairs" > "$WORK/compare.log"; then
    fail "DuckDB sees different rows: $(grep FAIL "$WORK/compare.log" | head -20)"
fi
tail -1 "$WORK/compare.log"
finish
