# Shared helpers for integration tests (sourced, not run).
# DELTA_BIN: the delta executable; DELTA_SHARED_DIR: ../shared.
set -u
: "${DELTA_BIN:?DELTA_BIN must point at the delta executable}"
failures=0
checks=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/delta-it.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect STATUS CMD... : runs CMD, captures stdout/stderr in $OUT/$ERR, checks status.
expect() {
    local want=$1; shift
    checks=$((checks + 1))
    set +e
    "$@" >"$WORK/out" 2>"$WORK/err"
    local got=$?
    set -e
    OUT=$(cat "$WORK/out"); ERR=$(cat "$WORK/err")
    if [ "$got" -ne "$want" ]; then
        fail "'$*' exited $got, want $want; stderr: $ERR"
    fi
}

# contains HAYSTACK NEEDLE WHAT
contains() {
    checks=$((checks + 1))
    case "$1" in *"$2"*) ;; *) fail "$3: missing '$2' in: $1" ;; esac
}

# one_line TEXT WHAT: an error message is exactly one line.
one_line() {
    checks=$((checks + 1))
    [ "$(printf '%s\n' "$1" | wc -l)" -eq 1 ] || fail "$2: expected one line, got: $1"
}

finish() {
    echo "$((checks - failures)) passed, $failures failed"
    [ "$failures" -eq 0 ]
}
