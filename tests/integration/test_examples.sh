#!/bin/bash
# The programs in examples/ build and do what their comments say.
set -e
. "$(dirname "$0")/lib.sh"
: "${DELTA_EXAMPLES_DIR:?DELTA_EXAMPLES_DIR must point at the built examples}"

expect 0 "$DELTA_EXAMPLES_DIR/storage_basics" "$WORK/table"
contains "$OUT" "published _delta_log/00000000000000000000.json" "first publish"
contains "$OUT" "second writer of the same version: EEXIST" "second publish loses"
contains "$OUT" "_delta_log/00000000000000000000.json  44 bytes" "listing"
checks=$((checks + 1))
grep -q "CREATE TABLE" "$WORK/table/_delta_log/00000000000000000000.json" ||
    fail "the first writer's content must be the one stored"

finish
