#!/bin/bash
# Compiles every public header on its own, as pedantic C11 and as C++, so
# each one includes what it needs and stays usable from C++ bindings.
# Usage: headertest.sh INCLUDE_DIR C_COMPILER
set -eu
inc=$1
cc=$2
cxx=$(command -v c++ || command -v g++ || true)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for h in "$inc"/delta/*.h; do
    name=$(basename "$h")
    printf '#include <delta/%s>\n#include <delta/%s>\nint delta_headertest_%s;\n' \
        "$name" "$name" "${name%.h}" >"$tmp/t.c"
    if ! "$cc" -std=c11 -pedantic -Wall -Wextra -Werror -I"$inc" -c "$tmp/t.c" -o "$tmp/t.o"; then
        echo "FAIL (C11): $name"; status=1
    fi
    if [ -n "$cxx" ]; then
        cp "$tmp/t.c" "$tmp/t.cpp"
        if ! "$cxx" -std=c++11 -pedantic -Wall -Wextra -Werror -I"$inc" -c "$tmp/t.cpp" -o "$tmp/t.o"; then
            echo "FAIL (C++): $name"; status=1
        fi
    fi
done
[ $status -eq 0 ] && echo "all public headers compile alone (C11 and C++)"
exit $status
