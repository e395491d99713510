#!/usr/bin/env bash
# A lede-index killed while LMDB wrote the meta pages of a new index leaves a
# data file shorter than two pages.  Nothing was committed to it, so readers
# must see "no index" (exit 2 with a message, not a crash) and the next
# lede-index must start the index again and finish it.
set -u
IDX=$LEDE_BIN_DIR/lede-index
Q=$LEDE_BIN_DIR/lede-query
T=$(mktemp -d /tmp/lede-interrupted.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
check() { if [ "$2" = "$3" ]; then echo "ok: $1"; else echo "FAIL: $1: got $2, want $3"; fails=$((fails + 1)); fi; }

for size in 0 100 4096 8000; do
    rm -rf "$T/ix" && mkdir "$T/ix"
    head -c "$size" /dev/urandom >"$T/ix/data.mdb"
    "$Q" -i "$T/ix" -c china >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$size" -gt 0 ]; then
        check "$size-byte file: lede-query exits 2" "$rc" 2
        grep -q "no index in $T/ix" "$T/err"
        check "$size-byte file: message says there is no index" $? 0
    fi
    "$IDX" -i "$T/ix" -q "$LEDE_SOURCE_DIR/corpus/wikinews.jsonl" 2>"$T/err"
    check "$size-byte file: lede-index starts again and finishes" $? 0
    "$IDX" -i "$T/ix" --check >/dev/null 2>&1
    check "$size-byte file: --check passes" $? 0
    n=$("$IDX" -i "$T/ix" --stats --json | sed -n 's/.*"documents":\([0-9]*\).*/\1/p')
    check "$size-byte file: every document indexed" "$n" 120
done
echo "index_interrupted_create: $fails failed"
[ "$fails" = 0 ]
