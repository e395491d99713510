#!/usr/bin/env bash
# index_threads.sh — the index does not depend on the number of analysis
# threads: -j 1 and -j 4 give the same statistics, term and posting counts,
# and the same size for every part of the index.
set -u
BIN=${LEDE_BIN_DIR:?}
SRC=${LEDE_SOURCE_DIR:?}
T=$(mktemp -d /tmp/lede-index-threads.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# --stats --json without the parts that name the folder or depend on LMDB's
# page allocation.
stats() {
    "$BIN/lede-index" -i "$1" --stats --json |
        sed -e 's/"index":"[^"]*",//' -e 's/,"disk_bytes":[0-9.e+]*//'
}

cp -r "$SRC/corpus" "$T/corpus"
inputs=("$T/corpus")
# Add a larger collection when the shared data is there (a slice under the
# sanitizers).
W="${LEDE_SHARED_DIR:-/nonexistent}/corpora/wikinews/docs.jsonl"
if [ -r "$W" ]; then
    head -n "$([ "${LEDE_SANITIZE:-0}" = 1 ] && echo 300 || echo 1000)" "$W" >"$T/wikinews.jsonl"
    inputs+=("$T/wikinews.jsonl")
fi

for j in 1 4; do
    "$BIN/lede-index" -i "$T/ix$j" -q -j "$j" --memory 8M "${inputs[@]}" || fail "-j $j exit $?"
done
a=$(stats "$T/ix1")
b=$(stats "$T/ix4")
echo "-j 1: $a"
echo "-j 4: $b"
[ -n "$a" ] || fail "no stats"
[ "$a" = "$b" ] || fail "-j 1 and -j 4 differ"
# Same batches in the same order: the data files are byte for byte the same
# today.  LMDB does not promise that, so a difference is only reported.
if cmp -s "$T/ix1/data.mdb" "$T/ix4/data.mdb"; then
    echo "ok: data.mdb identical for -j 1 and -j 4"
else
    echo "note: data.mdb differs between -j 1 and -j 4 (statistics and sizes agree)"
fi
for j in 1 4; do
    msg=$("$BIN/lede-index" -i "$T/ix$j" --check 2>&1) ||
        grep -q "not available" <<<"$msg" || fail "--check -j $j: $msg"
done

echo "index_threads: $fails failure(s)"
[ "$fails" -eq 0 ]
