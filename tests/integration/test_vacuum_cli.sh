#!/bin/bash
# delta vacuum end to end: a hand-written table (log JSON and small files
# with set modification times) where the dry run must list exactly the
# unreferenced old files and the vacuum delete exactly those; --lite; the
# refusal of a short retention and --force-unsafe-retention; the VACUUM
# START/END commits in the history; and a copy of a golden Spark table whose
# latest version reads the same rows after vacuum.
set -e
. "$(dirname "$0")/lib.sh"

now_ms=$(($(date +%s) * 1000))
hour=3600000
T=$WORK/t
mkdir -p "$T/_delta_log"
schema='{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},{\"name\":\"p\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}'
add() { printf '{"add":{"path":"%s","partitionValues":{"p":"%s"},"size":10,"modificationTime":1,"dataChange":true}}\n' "$1" "$2"; }
rm_() { printf '{"remove":{"path":"%s","deletionTimestamp":%s,"dataChange":true}}\n' "$1" "$2"; }
{
    echo '{"commitInfo":{"timestamp":1,"operation":"WRITE"}}'
    echo '{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}'
    printf '{"metaData":{"id":"t1","format":{"provider":"parquet","options":{}},"schemaString":"%s","partitionColumns":["p"],"configuration":{},"createdTime":1}}\n' "$schema"
    add p=a/live.parquet a
    add p=a/old_removed.parquet a
    add p=b/young_removed.parquet b
    add p=c/gone.parquet c
} >"$T/_delta_log/00000000000000000000.json"
{
    echo '{"commitInfo":{"timestamp":2,"operation":"DELETE"}}'
    rm_ p=a/old_removed.parquet $((now_ms - 200 * hour))
    rm_ p=b/young_removed.parquet $((now_ms - 1 * hour))
    rm_ p=c/gone.parquet $((now_ms - 200 * hour))
} >"$T/_delta_log/00000000000000000001.json"
mkfile() { mkdir -p "$(dirname "$T/$1")"; printf '0123456789' >"$T/$1"; touch -d "$2" "$T/$1"; }
for f in p=a/live.parquet p=a/old_removed.parquet p=b/young_removed.parquet p=c/gone.parquet \
         p=a/orphan_old.parquet _change_data/cdc-0.parquet _other/x.parquet .hidden p=a/.x.crc; do
    mkfile "$f" '300 hours ago'
done
mkfile p=a/orphan_young.parquet '1 hour ago'
touch -d '300 hours ago' "$T"/_delta_log/*.json

listed() { printf '%s\n' "$OUT" | awk 'NR > 1 && NF == 4 { print $1 }'; }

# dry run: exactly the unreferenced old files, nothing deleted, nothing logged
expect 0 "$DELTA_BIN" vacuum "$T" --dry-run
want=$(printf '%s\n' _change_data/cdc-0.parquet p=a/old_removed.parquet p=a/orphan_old.parquet p=c/gone.parquet)
[ "$(listed)" = "$want" ] || fail "dry run lists: $(listed)"
contains "$OUT" "4 files (40 bytes) would be deleted" "dry run total"
contains "$OUT" "12d 12h" "dry run age"
[ -f "$T/p=a/old_removed.parquet" ] || fail "dry run deleted a file"
[ ! -e "$T/_delta_log/00000000000000000002.json" ] || fail "dry run committed"

# lite: only files named by expired removes
expect 0 "$DELTA_BIN" vacuum "$T" --dry-run --lite
[ "$(listed)" = "$(printf '%s\n' p=a/old_removed.parquet p=c/gone.parquet)" ] || fail "lite lists: $(listed)"

# a retention below the table's is refused, explaining why
expect 1 "$DELTA_BIN" vacuum "$T" --retention-hours 2
one_line "$ERR" "short retention"
contains "$ERR" "time travel" "short retention"
contains "$ERR" "--force-unsafe-retention" "short retention"
[ -f "$T/p=a/old_removed.parquet" ] || fail "refused vacuum deleted a file"
expect 2 "$DELTA_BIN" vacuum "$T" --retention-hours abc
expect 2 "$DELTA_BIN" vacuum "$T" --retention-hours -1
expect 2 "$DELTA_BIN" vacuum "$T" --bogus
expect 2 "$DELTA_BIN" vacuum
expect 1 "$DELTA_BIN" vacuum "$WORK/nope"
one_line "$ERR" "not a table"

# the vacuum deletes exactly the dry run's files
expect 0 "$DELTA_BIN" vacuum "$T"
contains "$OUT" "deleted 4 files (40 bytes)" "vacuum totals"
contains "$OUT" "versions 2 (VACUUM START) and 3 (VACUUM END)" "vacuum versions"
for f in _change_data/cdc-0.parquet p=a/old_removed.parquet p=a/orphan_old.parquet p=c/gone.parquet; do
    [ ! -e "$T/$f" ] || fail "not deleted: $f"
done
[ ! -e "$T/p=c" ] || fail "empty partition folder kept"
for f in p=a/live.parquet p=b/young_removed.parquet p=a/orphan_young.parquet _other/x.parquet \
         .hidden p=a/.x.crc _delta_log/00000000000000000000.json; do
    [ -e "$T/$f" ] || fail "deleted: $f"
done
expect 0 "$DELTA_BIN" history "$T" --format json
contains "$OUT" "VACUUM START" "history"
contains "$OUT" "VACUUM END" "history"
contains "$OUT" "numDeletedFiles" "history metrics"

# forced short retention: the young tombstone and young orphan go too
expect 0 "$DELTA_BIN" vacuum "$T" --retention-hours 0 --force-unsafe-retention --dry-run
[ "$(listed)" = "$(printf '%s\n' p=a/orphan_young.parquet p=b/young_removed.parquet)" ] ||
    fail "forced lists: $(listed)"

# a Spark-written table: the latest version reads the same after vacuum
shared=${DELTA_SHARED_DIR:-}
G=$shared/golden/basic-with-inserts-deletes-checkpoint/delta
if [ -d "$G" ]; then
    cp -r "$G" "$WORK/g"
    find "$WORK/g" -path '*/_delta_log' -prune -o -type f -exec touch -d '400 hours ago' {} +
    expect 0 "$DELTA_BIN" read "$WORK/g" --format csv
    before=$OUT
    expect 0 "$DELTA_BIN" vacuum "$WORK/g"
    contains "$OUT" "deleted 7 files" "golden vacuum"
    expect 0 "$DELTA_BIN" read "$WORK/g" --format csv
    [ "$OUT" = "$before" ] || fail "golden table reads differently after vacuum"
    # time travel to a version whose files are gone fails naming the vacuum
    expect 1 "$DELTA_BIN" read "$WORK/g" --version 0 --format csv
    one_line "$ERR" "vacuumed version"
    contains "$ERR" "VACUUM at version 14" "vacuumed version"
    [ -z "$OUT" ] || fail "vacuumed version printed rows: $OUT"
else
    echo "note: ../shared absent, golden table part skipped"
fi

finish
