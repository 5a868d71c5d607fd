#!/bin/bash
# bench/merge: the seed's upsert at scale - 1 million changed transactions
# (90% updates of existing transaction_ids, 10% new ones) merged into a
# 10-million-row transactions table, then 1% of the rows deleted by a
# predicate; copy-on-write and deletion-vector tables, side by side with
# DuckDB doing the same upsert and delete over the same Parquet data, in
# the same run, single-threaded.
#
#   target: `delta generate transactions --rows ROWS --seed 42` (the file
#           bench/write makes), loaded into two tables from the
#           transactions template (partitioned by year/month/day), one
#           with delta.enableDeletionVectors=true
#   source: ROWS/10 rows: 90% a random sample of the target's rows with
#           status 'refunded' and updated_at set, 10% new transactions
#           (seed 43), as one Parquet file made by DuckDB (not timed)
#   ours:   delta merge T --source SRC --on "target.transaction_id =
#           source.transaction_id" --when-matched-update "status = ...,
#           updated_at = ..." --when-not-matched-insert-all, then
#           delta delete T --where "transaction_id < 'txn_0290'" (1.0%);
#           whole process, the commit included
#   DuckDB: the same results written as a new Hive-partitioned Parquet
#           table: the target left-joined with the source (updated
#           columns replaced) plus the source rows without a match
#           (anti-join), then the target without the deleted rows;
#           threads=1 (the statement only)
#   peak memory: whole process (/usr/bin/time %M); DuckDB's includes Node.js.
#
# The sample is spread over the whole table, so every data file holds an
# updated row: the worst case for copy-on-write (every file rewritten).
# Usage: bench/merge/run.sh BUILD_DIR [ROWS]   (make bench runs it)
set -euo pipefail
build=$(cd "${1:-build-bench}" && pwd)
rows=${2:-10000000}
changes=$((rows / 10))
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../common/duckdb.sh
. "$here/../common/duckdb.sh"

delta_bin="$build/delta"
[ -x "$delta_bin" ] || { echo "bench/merge: $delta_bin is not built" >&2; exit 1; }
d=$(duckdb_dir)
data="$build/data"
mkdir -p "$data"
# the generator's fingerprint names the cached file, so a change of the
# template or the generator makes a new one
fp=$("$delta_bin" generate transactions --rows 3 --seed 42 | md5sum | cut -c1-8)
tgt="$data/gen-transactions-$rows-$fp.parquet"
if [ ! -s "$tgt" ]; then
    echo "generating $tgt ($rows rows, seed 42)..."
    "$delta_bin" generate transactions --rows "$rows" --seed 42 --output "$tgt" >/dev/null
fi
src="$data/merge-source-$rows.parquet"
if [ ! -s "$src" ]; then
    echo "making the source: $((changes * 9 / 10)) updates, $((changes / 10)) inserts..."
    "$delta_bin" generate transactions --rows $((changes / 10)) --seed 43 \
        --output "$data/merge-new-$rows.parquet" >/dev/null
    node "$d/duckdb_run.mjs" --threads 2 "COPY (
        SELECT * REPLACE ('refunded' AS status,
                          transaction_timestamp + INTERVAL 36 HOUR AS updated_at)
        FROM read_parquet('$tgt') USING SAMPLE $((changes * 9 / 10)) ROWS (reservoir, 7)
        UNION ALL BY NAME SELECT * FROM read_parquet('$data/merge-new-$rows.parquet'))
        TO '$src' (FORMAT parquet)" >/dev/null 2>&1
fi
echo "target: $tgt ($rows rows); source: $src ($changes rows)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min), $(nproc) cores"

lake="$data/merge-lake"
rm -rf "$lake" "$data/merge-duckdb" "$data/delete-duckdb"
"$delta_bin" --lake "$lake" create cow --template transactions >/dev/null
"$delta_bin" --lake "$lake" create dv --template transactions \
    --property delta.enableDeletionVectors=true >/dev/null
"$delta_bin" --lake "$lake" write cow --input "$tgt" >/dev/null
"$delta_bin" --lake "$lake" write dv --input "$tgt" >/dev/null
table_bytes=$(find "$lake/cow" -name '*.parquet' -printf '%s\n' | awk '{s+=$1} END{print s}')
echo "table: $(find "$lake/cow" -name '*.parquet' | wc -l) files, $table_bytes bytes"

on="target.transaction_id = source.transaction_id"
set_cols="status = source.status, updated_at = source.updated_at"
pred="transaction_id < 'txn_0290'"
results=()
# ours NAME TABLE ARGS...: times one delta command
ours() {
    local name=$1; shift
    local out
    out=$( { peak_rss "$delta_bin" --lake "$lake" "$@" 3>&2 2>/dev/null >"$data/ours.out"; } 2>&1 )
    printf '%-14s %8.2f s %9d KiB peak   %s\n' "$name" "${out% *}" "${out#* }" \
        "$(cut -c1-150 "$data/ours.out")"
    results+=("$name ${out% *} ${out#* }")
}
duck() {
    local name=$1 sql=$2 out t
    out=$( { peak_rss node "$d/duckdb_run.mjs" --threads 1 "$sql" 3>&2 2>/dev/null >"$data/duck.out"; } 2>&1 )
    t=$(grep -o 'seconds=[0-9.]*' "$data/duck.out" | cut -d= -f2)
    printf '%-14s %8.2f s %9d KiB peak\n' "$name" "$t" "${out#* }"
    results+=("$name $t ${out#* }")
}

ours merge-cow merge cow --source "$src" --on "$on" --when-matched-update "$set_cols" \
    --when-not-matched-insert-all
ours merge-dv merge dv --source "$src" --on "$on" --when-matched-update "$set_cols" \
    --when-not-matched-insert-all
duck merge-duckdb "COPY (
    SELECT t.* REPLACE (coalesce(s.status, t.status) AS status,
                        CASE WHEN s.transaction_id IS NULL THEN t.updated_at ELSE s.updated_at END AS updated_at)
    FROM read_parquet('$tgt') t LEFT JOIN read_parquet('$src') s ON t.transaction_id = s.transaction_id
    UNION ALL BY NAME
    SELECT s.* FROM read_parquet('$src') s ANTI JOIN read_parquet('$tgt') t ON t.transaction_id = s.transaction_id)
    TO '$data/merge-duckdb' (FORMAT parquet, PARTITION_BY (year, month, day))"
ours delete-cow delete cow --where "$pred"
ours delete-dv delete dv --where "$pred"
duck delete-duckdb "COPY (SELECT * FROM read_parquet('$tgt') WHERE NOT ($pred))
    TO '$data/delete-duckdb' (FORMAT parquet, PARTITION_BY (year, month, day))"

# both tables hold the same rows as DuckDB's result of both steps
want=$(node "$d/duckdb_run.mjs" --threads 2 "SELECT count(*) AS n, count(*) FILTER (WHERE status = 'refunded') AS r
    FROM read_parquet('$data/merge-duckdb/**/*.parquet') WHERE NOT ($pred)" 2>&1 >/dev/null |
    grep -o '"n":[^,]*,"r":[^}]*')
for t in cow dv; do
    n=$("$delta_bin" --lake "$lake" read "$t" --columns status --format csv | tail -n +2 | sort | uniq -c |
        awk '{n += $1} $2 == "refunded" {r = $1} END {printf "\"n\":\"%d\",\"r\":\"%d\"", n, r}')
    [ "$n" = "$(echo "$want" | tr -d ' ')" ] || { echo "bench/merge: $t has $n, DuckDB $want" >&2; exit 1; }
done
echo "rows after both steps (cow, dv and DuckDB agree): $want"

for r in "${results[@]}"; do echo "$r"; done | awk -v bytes="$table_bytes" '
    { t[$1] = $2; m[$1] = $3 }
    END {
        printf "merge:  cow/duckdb %.2f, dv/duckdb %.2f (time ratio, below 1 = faster)\n",
            t["merge-cow"] / t["merge-duckdb"], t["merge-dv"] / t["merge-duckdb"]
        printf "delete: cow/duckdb %.2f, dv/duckdb %.2f\n",
            t["delete-cow"] / t["delete-duckdb"], t["delete-dv"] / t["delete-duckdb"]
        printf "peak memory of the merges: cow %d MiB, dv %d MiB, DuckDB %d MiB; table %d MiB\n",
            m["merge-cow"] / 1024, m["merge-dv"] / 1024, m["merge-duckdb"] / 1024, bytes / 1048576
    }'
