#!/bin/bash
# delta maintenance end to end on a small lake: two tables of small files
# and one whose log is corrupt. optimize --all-tables compacts the good
# tables (file counts drop, rows stay), fails the corrupt one's job without
# stopping the others (exit 1) and records every job; metrics --format json
# has the documented keys and the right numbers; checkpoint and vacuum
# --dry-run across the lake; schedule --enable and run --once with a
# pretended clock run exactly the due jobs; bad cron and bad options are
# usage errors.
set -e
. "$(dirname "$0")/lib.sh"

L=$WORK/lake
D() { "$DELTA_BIN" --lake "$L" "$@"; }
printf '{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}},{"name":"name","type":"string","nullable":true,"metadata":{}}]}' >"$WORK/schema.json"
expect 0 D create orders --schema "$WORK/schema.json"
expect 0 D create users --schema "$WORK/schema.json" --property maintenance.optimize.minSmallFiles=2
for i in 1 2 3 4 5; do
    printf '{"id":%d,"name":"n%d"}\n{"id":%d,"name":"m%d"}\n' $i $i $((i + 100)) $i >"$WORK/in.ndjson"
    expect 0 D write orders --input "$WORK/in.ndjson"
    [ "$i" -le 3 ] && expect 0 D write users --input "$WORK/in.ndjson"
done
mkdir -p "$L/broken/_delta_log"
echo 'not json' >"$L/broken/_delta_log/00000000000000000000.json"

# health before: every file is small
expect 0 D maintenance metrics --format json
echo "$OUT" >"$WORK/m0.json"
for k in lake schedule jobs recent_jobs tables; do
    [ "$(jq "has(\"$k\")" "$WORK/m0.json")" = true ] || fail "metrics: no key $k"
done
for k in name version error num_files total_bytes avg_file_bytes small_file_threshold small_files \
         small_file_ratio last_checkpoint_version versions_since_checkpoint checkpoint_interval \
         reclaimable_files reclaimable_bytes vacuum_retention_hours last_optimize_ms \
         last_vacuum_ms last_checkpoint_ms; do
    [ "$(jq ".tables[0] | has(\"$k\")" "$WORK/m0.json")" = true ] || fail "metrics table: no key $k"
done
checks=$((checks + 1))
[ "$(jq -c '[.tables[] | {name, num_files, small_files, small_file_ratio, versions_since_checkpoint}]' "$WORK/m0.json")" = \
  '[{"name":"broken","num_files":null,"small_files":null,"small_file_ratio":null,"versions_since_checkpoint":null},{"name":"orders","num_files":5,"small_files":5,"small_file_ratio":1,"versions_since_checkpoint":6},{"name":"users","num_files":3,"small_files":3,"small_file_ratio":1,"versions_since_checkpoint":4}]' ] ||
    fail "metrics before: $(jq -c '.tables' "$WORK/m0.json")"
checks=$((checks + 1))
[ "$(jq '.tables[] | select(.name == "orders") | .avg_file_bytes == (.total_bytes / 5 | floor)' "$WORK/m0.json")" = true ] ||
    fail "avg_file_bytes"
contains "$(jq -r '.tables[0].error' "$WORK/m0.json")" "00000000000000000000.json" "broken table error"
checks=$((checks + 1))
[ "$(jq '.jobs.total' "$WORK/m0.json")" = 0 ] || fail "no jobs yet"

# optimize every table: the broken one fails, the others are compacted
expect 1 D maintenance optimize --all-tables
contains "$OUT" "2 succeeded, 1 failed" "optimize summary"
contains "$OUT" "broken" "optimize lists the failed table"
expect 0 D list-tables --format json
checks=$((checks + 1))
[ "$(echo "$OUT" | jq -c '[.[] | select(.version >= 0) | {name, files, records}]')" = \
  '[{"name":"orders","files":1,"records":10},{"name":"users","files":1,"records":6}]' ] ||
    fail "after optimize: $OUT"
ls "$L/_maintenance/jobs/" | grep -c '\.json$' >"$WORK/n"
checks=$((checks + 1))
[ "$(cat "$WORK/n")" = 3 ] || fail "3 job records, got $(cat "$WORK/n")"

expect 0 D maintenance metrics --format json
echo "$OUT" >"$WORK/m1.json"
checks=$((checks + 1))
[ "$(jq -c '.jobs | {total, succeeded, failed}' "$WORK/m1.json")" = '{"total":3,"succeeded":2,"failed":1}' ] ||
    fail "job totals: $(jq -c .jobs "$WORK/m1.json")"
checks=$((checks + 1))
[ "$(jq -c '.jobs.by_operation.optimize | {jobs, files_removed, files_added}' "$WORK/m1.json")" = \
  '{"jobs":3,"files_removed":8,"files_added":2}' ] || fail "optimize stats: $(jq -c .jobs.by_operation.optimize "$WORK/m1.json")"
checks=$((checks + 1))
[ "$(jq -c '[.tables[] | select(.error == null) | {name, num_files, last_optimize: (.last_optimize_ms != null)}]' "$WORK/m1.json")" = \
  '[{"name":"orders","num_files":1,"last_optimize":true},{"name":"users","num_files":1,"last_optimize":true}]' ] ||
    fail "metrics after: $(jq -c .tables "$WORK/m1.json")"
checks=$((checks + 1))
[ "$(jq -r '.recent_jobs[] | select(.table == "broken") | .status' "$WORK/m1.json")" = failed ] ||
    fail "broken job record"
# bytes a vacuum would reclaim match its dry run (nothing is old enough yet)
checks=$((checks + 1))
[ "$(jq '[.tables[] | select(.error == null) | .reclaimable_files] | add' "$WORK/m1.json")" = 0 ] ||
    fail "reclaimable"
expect 0 D maintenance metrics
contains "$OUT" "OPERATION" "metrics table form"
contains "$OUT" "orders" "metrics table form lists tables"

# vacuum dry run in a week and a half: reports the rewritten files, deletes nothing
expect 1 D maintenance vacuum --dry-run --format json
checks=$((checks + 1))
[ "$(echo "$OUT" | jq -c '[.jobs[] | {table, status}]')" = \
  '[{"table":"broken","status":"failed"},{"table":"orders","status":"skipped"},{"table":"users","status":"skipped"}]' ] ||
    fail "vacuum dry run: $OUT"
expect 0 D maintenance metrics --now 2099-01-01T00:00:00Z --format json
checks=$((checks + 1))
[ "$(echo "$OUT" | jq -c '[.tables[] | select(.error == null) | .reclaimable_files]')" = '[5,3]' ] ||
    fail "reclaimable in the future: $(echo "$OUT" | jq -c .tables)"

# checkpoint across the lake, then again (nothing to do)
expect 1 D maintenance checkpoint
contains "$OUT" "2 succeeded, 1 failed" "checkpoint"
[ -f "$L/orders/_delta_log/00000000000000000006.checkpoint.parquet" ] || fail "orders checkpoint file"
expect 1 D maintenance checkpoint
contains "$OUT" "already checkpointed" "second checkpoint skips"

# the schedule: enable with a pretended clock, then run once at due times
rm -rf "$L/broken"
expect 2 D maintenance schedule --enable --optimize '61 * * * *'
contains "$ERR" "minute" "bad cron names the field"
one_line "$ERR" "bad cron error"
expect 0 D maintenance schedule --enable --now 2030-01-01T00:00:00Z --vacuum off
contains "$OUT" '"enabled":true' "schedule enabled"
contains "$OUT" '"vacuum":{"schedule":"off"' "vacuum off"
[ "$(jq -r .enabled "$L/_maintenance/config.json")" = true ] || fail "config.json"
for i in 1 2; do expect 0 D write users --input "$WORK/in.ndjson"; done
expect 0 D maintenance run --once --now 2030-01-01T00:30:00Z
contains "$OUT" "0 jobs run" "nothing due at 00:30"
contains "$OUT" "next job may be due at 2030-01-01T01:00:00Z" "next due"
expect 0 D maintenance run --once --now 2030-01-01T02:01:00Z --format json
echo "$OUT" >"$WORK/run.json"
checks=$((checks + 1))
[ "$(jq -c '[.jobs[] | {table, operation, status}] | map(select(.status != "skipped"))' "$WORK/run.json")" = \
  '[{"table":"users","operation":"optimize","status":"succeeded"}]' ] || fail "due jobs: $OUT"
checks=$((checks + 1))
[ "$(jq -c '{jobs_run, succeeded, failed}' "$WORK/run.json")" = '{"jobs_run":1,"succeeded":1,"failed":0}' ] ||
    fail "run summary: $OUT"
expect 0 D maintenance metrics --format json
checks=$((checks + 1))
[ "$(echo "$OUT" | jq -r '.recent_jobs[0] | "\(.table) \(.operation) \(.trigger) \(.status) \(.files_removed) \(.start_ms)"')" = \
  "users optimize schedule succeeded 3 1893463260000" ] || fail "scheduled record: $(echo "$OUT" | jq -c '.recent_jobs[0]')"
# the continuous runner stops cleanly on SIGTERM
"$DELTA_BIN" --lake "$L" maintenance run >"$WORK/loop.out" 2>&1 &
loop=$!
for _ in $(seq 100); do grep -q "until interrupted" "$WORK/loop.out" && break; sleep 0.1; done
kill -TERM "$loop"
checks=$((checks + 1))
wait "$loop" || fail "run loop exited $? on SIGTERM: $(cat "$WORK/loop.out")"
contains "$(cat "$WORK/loop.out")" "jobs run" "run loop summary"
expect 0 D maintenance schedule --disable
contains "$OUT" '"enabled":false' "disabled"
expect 0 D maintenance run --once
contains "$OUT" "no job is scheduled" "run when disabled"

# usage errors
expect 2 D maintenance
expect 2 D maintenance optimize
contains "$ERR" "--all-tables" "optimize needs --all-tables"
expect 2 D maintenance frobnicate
expect 2 D maintenance metrics --dry-run
contains "$ERR" "does not apply" "option of another subcommand"
expect 2 D maintenance run --now 2030-01-01T00:00:00Z
expect 0 "$DELTA_BIN" help maintenance
contains "$OUT" "delta maintenance run" "help"

finish
