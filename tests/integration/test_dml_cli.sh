#!/bin/bash
# delta delete / update / merge end to end, checked against DuckDB running
# the same SQL (DELETE, UPDATE, MERGE INTO) over the same input data.
#
# For each physical flavour - copy-on-write, deletion vectors, change data
# feed, both - and partitioned or not, one sequence of operations is run
# on a table and, statement by statement, on a DuckDB table loaded from
# the same NDJSON; after each step the rows `delta read` gives must equal
# DuckDB's (multiset, by the oracle's compare.mjs). The sequence covers
# every clause kind, conditions meeting nulls, a predicate on partition
# columns only (whole files removed), moving rows between partitions and
# a second merge. Then: the duplicate-match error changes nothing; bad
# predicates and assignments are one-line errors that change nothing;
# the history shows each operation with its metrics; copy-on-write tables
# are replayed by the oracle's separate Delta reader.
set -e
. "$(dirname "$0")/lib.sh"
L=$WORK/lake
D() { "$DELTA_BIN" --lake "$L" "$@"; }

oracle=
if [ -n "${DELTA_SHARED_DIR:-}" ] && command -v node >/dev/null 2>&1; then
    oracle=$("$DELTA_ORACLE_SETUP" 2>/dev/null) || oracle=
fi
if [ -z "$oracle" ]; then
    echo "SKIP: the DuckDB oracle (../shared/tools/duckdb-oracle and node) is absent"
    exit 77
fi

cat >"$WORK/s.json" <<'J'
{"type":"struct","fields":[{"name":"id","type":"long","nullable":false,"metadata":{}},
{"name":"cat","type":"string","nullable":true,"metadata":{}},
{"name":"amount","type":"double","nullable":true,"metadata":{}},
{"name":"status","type":"string","nullable":true,"metadata":{}},
{"name":"qty","type":"integer","nullable":true,"metadata":{}}]}
J
# target rows in four files' worth; every 17th amount and every 23rd cat null
for part in 0 1 2 3; do
    awk -v p=$part 'BEGIN {
        split("a b c d", cats, " ");
        for (i = p * 500 + 1; i <= (p + 1) * 500; i++) {
            cat = (i % 23 == 0) ? "null" : "\"" cats[i % 4 + 1] "\"";
            amt = (i % 17 == 0) ? "null" : sprintf("%.1f", (i * 37) % 1000 / 10);
            printf "{\"id\":%d,\"cat\":%s,\"amount\":%s,\"status\":\"%s\",\"qty\":%d}\n",
                   i, cat, amt, (i % 5 == 0) ? "paid" : "new", i % 7;
        } }' >"$WORK/t$part.ndjson"
done
cat "$WORK"/t[0-3].ndjson >"$WORK/target.ndjson"
# source: 900 existing ids (some to cancel), 100 new ones
awk 'BEGIN {
    for (i = 1101; i <= 2000; i++)
        printf "{\"id\":%d,\"cat\":\"%s\",\"amount\":%.1f,\"status\":\"%s\",\"qty\":%d}\n",
               i, (i % 2) ? "a" : "c", i / 10, (i % 11 == 0) ? "cancelled" : "shipped", 1;
    for (i = 5001; i <= 5100; i++)
        printf "{\"id\":%d,\"cat\":\"%s\",\"amount\":%.1f,\"status\":\"new\",\"qty\":%d}\n",
               i, (i % 2) ? "b" : "d", i / 100, 2;
}' >"$WORK/source.ndjson"
awk 'BEGIN { for (i = 1; i <= 300; i += 3)
    printf "{\"id\":%d,\"cat\":\"z\",\"amount\":1.0,\"status\":\"again\",\"qty\":3}\n", i }' \
    >"$WORK/source2.ndjson"
printf '{"id":10,"cat":"a","amount":1,"status":"x","qty":1}\n{"id":10,"cat":"a","amount":2,"status":"y","qty":1}\n' \
    >"$WORK/dup.ndjson"

COLS="columns={id:'BIGINT',cat:'VARCHAR',amount:'DOUBLE',status:'VARCHAR',qty:'INTEGER'}"
src() { echo "(SELECT * FROM read_json('$1', $COLS, format='newline_delimited'))"; }

# The operations: each as (delta command args) and the DuckDB statement.
steps=(
    "delete|--where|amount > 90"
    "update|--set|amount = amount * 2, status = 'upd'|--where|cat = 'b' AND id % 3 = 0"
    "merge1"
    "delete|--where|cat = 'd'"
    "update|--set|cat = 'e', qty = qty + 10|--where|id < 100"
    "merge2"
    "update|--set|status = upper(status)|--where|amount IS NULL"
)
sql_of() {
    case "$1" in
    "delete|--where|amount > 90") echo "DELETE FROM t WHERE amount > 90" ;;
    "update|--set|amount = amount * 2, status = 'upd'|--where|cat = 'b' AND id % 3 = 0")
        echo "UPDATE t SET amount = amount * 2, status = 'upd' WHERE cat = 'b' AND id % 3 = 0" ;;
    merge1)
        echo "MERGE INTO t AS target USING $(src "$WORK/source.ndjson") AS source
              ON target.id = source.id
              WHEN MATCHED AND source.status = 'cancelled' THEN DELETE
              WHEN MATCHED THEN UPDATE SET status = source.status, amount = source.amount
              WHEN NOT MATCHED AND source.qty = 2 THEN INSERT *" ;;
    "delete|--where|cat = 'd'") echo "DELETE FROM t WHERE cat = 'd'" ;;
    "update|--set|cat = 'e', qty = qty + 10|--where|id < 100")
        echo "UPDATE t SET cat = 'e', qty = qty + 10 WHERE id < 100" ;;
    merge2)
        echo "MERGE INTO t AS target USING $(src "$WORK/source2.ndjson") AS source
              ON target.id = source.id
              WHEN MATCHED AND target.qty > 12 THEN UPDATE SET qty = source.qty
              WHEN NOT MATCHED THEN INSERT (id, cat, amount, status, qty)
                   VALUES (source.id + 10000, 'n', NULL, source.status, 0)
              WHEN NOT MATCHED BY SOURCE AND target.cat = 'a' AND target.qty = 0 THEN DELETE
              WHEN NOT MATCHED BY SOURCE AND target.status = 'paid' THEN UPDATE SET status = 'old'" ;;
    "update|--set|status = upper(status)|--where|amount IS NULL")
        echo "UPDATE t SET status = upper(status) WHERE amount IS NULL" ;;
    esac
}
run_step() {
    local t=$1 step=$2
    case "$step" in
    merge1)
        expect 0 D merge "$t" --source "$WORK/source.ndjson" --on "target.id = source.id" \
            --when-matched-delete --if "source.status = 'cancelled'" \
            --when-matched-update "status = source.status, amount = source.amount" \
            --when-not-matched-insert-all --if "source.qty = 2" ;;
    merge2)
        expect 0 D merge "$t" --source "$WORK/source2.ndjson" --on "target.id = source.id" \
            --when-matched-update "qty = source.qty" --if "target.qty > 12" \
            --when-not-matched-insert "id = source.id + 10000, cat = 'n', status = source.status, qty = 0" \
            --when-not-matched-by-source-delete --if "target.cat = 'a' AND target.qty = 0" \
            --when-not-matched-by-source-update "status = 'old'" --if "target.status = 'paid'" ;;
    *)
        IFS='|' read -r -a args <<<"$step"
        expect 0 D "${args[0]}" "$t" "${args[@]:1}" ;;
    esac
}

# same_as_duckdb TABLE SQL WHAT: our rows equal DuckDB's after SQL
same_as_duckdb() {
    checks=$((checks + 1))
    rm -f "$WORK/exp.parquet" "$WORK/ours.parquet"
    if ! node "$oracle/sql.mjs" "CREATE TABLE t AS SELECT * FROM $(src "$WORK/target.ndjson"); $2;
            COPY t TO '$WORK/exp.parquet' (FORMAT parquet)" >"$WORK/sql.out" 2>&1; then
        fail "$3: DuckDB: $(cat "$WORK/sql.out")"
        return 0
    fi
    D read "$1" --format parquet --output "$WORK/ours.parquet"
    node "$oracle/compare.mjs" "$WORK/exp.parquet" "$WORK/ours.parquet" >"$WORK/cmp.out" 2>&1 ||
        fail "$3: rows differ from DuckDB's: $(cat "$WORK/cmp.out")"
}

# cdf_exact TABLE VERSION BEFORE AFTER WHAT: the change feed of VERSION
# is exactly the difference of the two states: what left (deletes and
# preimages) less what came (inserts and postimages) equals BEFORE less
# AFTER, and the other way round (an update that changes nothing cancels
# out); as many preimages as postimages.
cdf_exact() {
    checks=$((checks + 1))
    rm -f "$WORK/ch.parquet"
    if ! D changes "$1" --from-version "$2" --to-version "$2" --format parquet \
            --output "$WORK/ch.parquet" 2>"$WORK/ch.err"; then
        fail "$5: delta changes: $(cat "$WORK/ch.err")"
        return 0
    fi
    local c="SELECT id, cat, amount, status, qty FROM '$WORK/ch.parquet'"
    local gone="$c WHERE _change_type IN ('delete', 'update_preimage')"
    local came="$c WHERE _change_type IN ('insert', 'update_postimage')"
    local b="SELECT id, cat, amount, status, qty FROM '$3'" a="SELECT id, cat, amount, status, qty FROM '$4'"
    node "$oracle/sql.mjs" "SELECT
        (SELECT count(*) FROM (($gone EXCEPT ALL $came) EXCEPT ALL ($b EXCEPT ALL $a))) +
        (SELECT count(*) FROM (($b EXCEPT ALL $a) EXCEPT ALL ($gone EXCEPT ALL $came))) +
        (SELECT count(*) FROM (($came EXCEPT ALL $gone) EXCEPT ALL ($a EXCEPT ALL $b))) +
        (SELECT count(*) FROM (($a EXCEPT ALL $b) EXCEPT ALL ($came EXCEPT ALL $gone))) AS wrong,
        (SELECT count(*) FROM '$WORK/ch.parquet' WHERE _change_type = 'update_preimage') -
        (SELECT count(*) FROM '$WORK/ch.parquet' WHERE _change_type = 'update_postimage') AS unpaired,
        (SELECT count(*) FROM '$WORK/ch.parquet' WHERE _commit_version <> $2) AS version" \
        >"$WORK/cdf.out" 2>&1 || { fail "$5: DuckDB: $(cat "$WORK/cdf.out")"; return 0; }
    grep -q '"wrong":"\?0"\?,"unpaired":"\?0"\?,"version":"\?0"\?' "$WORK/cdf.out" ||
        fail "$5: the change feed is not the exact change: $(cat "$WORK/cdf.out")"
}

flavours=("cow|" "dv|--property delta.enableDeletionVectors=true"
    "cdf|--property delta.enableChangeDataFeed=true"
    "dvcdf|--property delta.enableDeletionVectors=true --property delta.enableChangeDataFeed=true")
for fl in "${flavours[@]}"; do
    name=${fl%%|*}
    props=${fl#*|}
    for part in flat part; do
        t=$name-$part
        pb=
        [ $part = part ] && pb="--partition-by cat"
        # shellcheck disable=SC2086
        expect 0 D create "$t" --schema "$WORK/s.json" $pb $props
        for i in 0 1 2 3; do expect 0 D write "$t" --input "$WORK/t$i.ndjson"; done
        sql=
        v=4
        same_as_duckdb "$t" "SELECT 1" "$t as loaded"
        cp "$WORK/exp.parquet" "$WORK/before.parquet"
        for step in "${steps[@]}"; do
            run_step "$t" "$step"
            v=$((v + 1))
            sql="$sql; $(sql_of "$step")"
            same_as_duckdb "$t" "$sql" "$t after '$step'"
            if [ $name = cdf ] || [ $name = dvcdf ]; then
                cdf_exact "$t" $v "$WORK/before.parquet" "$WORK/exp.parquet" "$t '$step'"
            fi
            cp "$WORK/exp.parquet" "$WORK/before.parquet"
        done
        # deletion vectors in the log exactly when the table has them on
        if [ $name = dv ] || [ $name = dvcdf ]; then
            checks=$((checks + 1))
            grep -q '"deletionVector"' "$L/$t"/_delta_log/*.json || fail "$t: no deletion vector"
        else
            checks=$((checks + 1))
            ! grep -q '"deletionVector"' "$L/$t"/_delta_log/*.json || fail "$t: a deletion vector"
        fi
        if [ $name = cdf ] || [ $name = dvcdf ]; then
            checks=$((checks + 1))
            grep -q '"cdc"' "$L/$t"/_delta_log/*.json || fail "$t: no cdc action"
        fi
        # the oracle's own Delta reader (it does not read deletion vectors)
        if [ $name = cow ] || [ $name = cdf ]; then
            checks=$((checks + 1))
            rm -f "$WORK/o.parquet" "$WORK/ours.parquet"
            if node "$oracle/replay.mjs" "$L/$t" "$WORK/o.parquet" >"$WORK/r.out" 2>&1; then
                D read "$t" --format parquet --output "$WORK/ours.parquet"
                node "$oracle/compare.mjs" "$WORK/o.parquet" "$WORK/ours.parquet" \
                    >"$WORK/cmp.out" 2>&1 || fail "$t: replay.mjs differs: $(cat "$WORK/cmp.out")"
            else
                fail "$t: replay.mjs: $(cat "$WORK/r.out")"
            fi
        fi
    done
done

# the seed's form: write --mode merge (update the assignments, insert the rest)
expect 0 D create wm --schema "$WORK/s.json" --partition-by cat
expect 0 D write wm --input "$WORK/target.ndjson"
expect 0 D write wm --input "$WORK/source.ndjson" --mode merge \
    --merge-condition "target.id = source.id" --update "status = source.status"
contains "$OUT" "900 updated, 100 inserted" "write --mode merge"
same_as_duckdb wm "MERGE INTO t AS target USING $(src "$WORK/source.ndjson") AS source
    ON target.id = source.id WHEN MATCHED THEN UPDATE SET status = source.status
    WHEN NOT MATCHED THEN INSERT *" "write --mode merge"
expect 2 D write wm --input "$WORK/source.ndjson" --mode merge
contains "$ERR" "--merge-condition" "mode merge without condition"
# schema evolution in merge: a new column arrives with the source
awk 'BEGIN { for (i = 1990; i <= 2010; i++)
    printf "{\"id\":%d,\"cat\":\"a\",\"amount\":2.5,\"status\":\"gift\",\"qty\":1,\"note\":\"n%d\"}\n", i, i }' \
    >"$WORK/source3.ndjson"
expect 2 D merge wm --source "$WORK/source3.ndjson" --on "target.id = source.id" \
    --when-matched-update "note = source.note"
contains "$ERR" "note" "assignment to a column the table lacks"
expect 0 D merge wm --source "$WORK/source3.ndjson" --on "target.id = source.id" \
    --when-matched-update-all --when-not-matched-insert-all --merge-schema
contains "$OUT" "10 rows inserted, 11 updated" "merge-schema"
expect 0 D describe-table wm
contains "$OUT" "note" "the new column"
same_as_duckdb wm "MERGE INTO t AS target USING $(src "$WORK/source.ndjson") AS source
    ON target.id = source.id WHEN MATCHED THEN UPDATE SET status = source.status
    WHEN NOT MATCHED THEN INSERT *;
    ALTER TABLE t ADD COLUMN note VARCHAR;
    MERGE INTO t AS target USING (SELECT * FROM read_json('$WORK/source3.ndjson',
        columns={id:'BIGINT',cat:'VARCHAR',amount:'DOUBLE',status:'VARCHAR',qty:'INTEGER',note:'VARCHAR'},
        format='newline_delimited')) AS source
    ON target.id = source.id WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *" \
    "merge --merge-schema"

t=cow-part
# history: the operations with Delta's metric names
expect 0 D history "$t" --format json
contains "$OUT" '"operation":"MERGE"' "history"
contains "$OUT" 'numTargetRowsInserted' "merge metrics"
contains "$OUT" '"operation":"DELETE"' "history"
contains "$OUT" 'numDeletedRows' "delete metrics"
contains "$OUT" '"operation":"UPDATE"' "history"

# refusals change nothing and say what was wrong in one line
ls "$L/$t/_delta_log" >"$WORK/log.before"
unchanged() {
    checks=$((checks + 1))
    ls "$L/$t/_delta_log" | cmp -s - "$WORK/log.before" || fail "$1: the log changed"
}
expect 2 D merge "$t" --source "$WORK/dup.ndjson" --on "target.id = source.id" \
    --when-matched-update-all
contains "$ERR" "matched 2 source rows" "duplicate match"
one_line "$ERR" "duplicate match"
unchanged "duplicate match"
expect 0 D merge "$t" --source "$WORK/dup.ndjson" --on "target.id = source.id" \
    --when-not-matched-insert-all
unchanged "insert-only merge of matched rows inserts nothing"
expect 2 D delete "$t" --where "nosuch > 1"
contains "$ERR" "nosuch" "unknown column"
one_line "$ERR" "unknown column"
expect 2 D update "$t" --set "nosuch = 1"
contains "$ERR" "nosuch" "unknown assigned column"
expect 2 D update "$t" --set "qty = 'abc' ||"
one_line "$ERR" "bad expression"
expect 2 D update "$t" --set "qty"
contains "$ERR" "column = expression" "not an assignment"
expect 2 D merge "$t" --source "$WORK/source.ndjson" --on "target.id = source.nosuch" \
    --when-matched-delete
contains "$ERR" "nosuch" "merge unknown source column"
expect 2 D merge "$t" --source "$WORK/source.ndjson" --on "target.id = source.id"
contains "$ERR" "clause" "merge without clause"
expect 2 D merge "$t" --source "$WORK/source.ndjson" --on "target.id = source.id" --if "true"
contains "$ERR" "--if" "--if without clause"
expect 2 D update "$t" --set "id = NULL" --where "id = 1101"
contains "$ERR" "id" "NOT NULL column set to null"
unchanged "refusals"
# a delete that matches nothing commits nothing
expect 0 D delete "$t" --where "id < 0"
contains "$OUT" "changed nothing" "empty delete"
unchanged "empty delete"
# predicates that name no column, or only partition columns, decide each
# whole file exactly (never by "may match")
for p in "1 = 0" "current_date() < DATE '2000-01-01'" "NULL" "cat = 'zz'" "cat IS NULL AND 1 = 2"; do
    expect 0 D delete "$t" --where "$p"
    contains "$OUT" "changed nothing" "delete --where $p"
done
unchanged "deletes matching nothing"

finish
