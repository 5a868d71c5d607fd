#!/bin/bash
# The delta command's skeleton: help, version, every command of the
# contract listed, unknown commands and bad flags refused with one line and
# exit 2, commands not built yet refusing with exit 3.
set -e
. "$(dirname "$0")/lib.sh"

expect 0 "$DELTA_BIN" --version
contains "$OUT" "delta " "--version"

expect 0 "$DELTA_BIN" --help
HELP=$OUT
for c in create write read time-travel merge update delete changes list-tables describe-table \
         history optimize vacuum restore checkpoint constraint generate maintenance streaming \
         sql serve parquet; do
    contains "$HELP" "  $c " "--help lists $c"
    expect 0 "$DELTA_BIN" help "$c"
    contains "$OUT" "usage: delta $c" "help $c"
done

expect 2 "$DELTA_BIN" no-such-command
contains "$ERR" "unknown command 'no-such-command'" "unknown command"
one_line "$ERR" "unknown command"

expect 2 "$DELTA_BIN" --no-such-flag list-tables
contains "$ERR" "unknown option '--no-such-flag'" "bad global flag"
one_line "$ERR" "bad global flag"

expect 2 "$DELTA_BIN" --lake
contains "$ERR" "'--lake' needs a value" "--lake without value"

expect 2 "$DELTA_BIN" help no-such-command
one_line "$ERR" "help of unknown command"

expect 2 "$DELTA_BIN"
contains "$ERR" "usage: delta" "no command"

# Every command without an implementation says so and exits 3, never 0.
"$DELTA_BIN" --help | awk '/\[not built yet\]/ {print $1}' >"$WORK/unbuilt"
while read -r c; do
    expect 3 "$DELTA_BIN" "$c" some-table
    contains "$ERR" "not built yet" "$c refuses"
    one_line "$ERR" "$c refusal"
done <"$WORK/unbuilt"

finish
