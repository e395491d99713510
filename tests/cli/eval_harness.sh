#!/usr/bin/env bash
# eval_harness.sh — the relevance harness end to end on a small judged
# collection (adi: 82 documents, 35 queries): bench/relevance indexes it with
# lede-index, runs the reduced queries through lede-query --batch --format
# trec, evaluates with lede-eval, and computes the FTS5 baseline.  Then
# lede-eval's error handling on malformed input.
set -u
BIN=${LEDE_BIN_DIR:?}
SRC=${LEDE_SOURCE_DIR:?}
SHARED=${LEDE_SHARED_DIR:-}
if [ ! -x "$BIN/lede-eval" ] || [ ! -x "$BIN/lede-bench" ]; then
    echo "skipped: lede-eval and lede-bench are built only with LEDE_BENCH=ON"
    exit 0
fi
T=$(mktemp -d /tmp/lede-eval-harness.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# lede-eval on a tiny hand-made run: exact figures, exit codes, errors.
printf '1 0 a 1\n1 0 b 1\n2 0 c 1\n' > "$T/qrels"
printf '1 Q0 a 1 2.0 x\n1 Q0 z 2 1.5 x\n1 Q0 b 3 1.0 x\n2 Q0 y 1 1.0 x\n' > "$T/run"
out=$("$BIN/lede-eval" --name tiny "$T/qrels" "$T/run"); rc=$?
# q1: AP = (1/1 + 2/3)/2 = .8333; q2: 0 → MAP .4167
if [ $rc -eq 0 ] && grep -q '^tiny  *MAP 0.4167 ' <<<"$out"; then ok "lede-eval MAP"; else fail "lede-eval: rc $rc, $out"; fi
out=$("$BIN/lede-eval" --per-query "$T/qrels" "$T/run" | grep -c '^[12] ')
[ "$out" = 2 ] && ok "per-query lines" || fail "per-query lines: $out"
printf '1 Q0 a 1 2.0 x\n1 Q0 b one x\n' > "$T/bad"
err=$("$BIN/lede-eval" "$T/qrels" "$T/bad" 2>&1 >/dev/null); rc=$?
if [ $rc -eq 2 ] && grep -q 'run line 2' <<<"$err"; then ok "malformed run: exit 2, line named"; else fail "malformed run: rc $rc, $err"; fi
"$BIN/lede-eval" "$T/qrels" "$T/missing" 2>/dev/null; rc=$?
[ $rc -eq 2 ] && ok "missing file: exit 2" || fail "missing file: rc $rc"

# The harness on adi.
if [ -z "$SHARED" ] || [ ! -f "$SHARED/corpora/adi/qrels.txt" ]; then
    echo "skipped: no judged collection in LEDE_SHARED_DIR"
else
    table=$(BENCH_DIR="$T/bench" LEDE_BIN_DIR="$BIN" LEDE_SHARED_DIR="$SHARED" \
        bash "$SRC/bench/relevance" adi 2>"$T/err"); rc=$?
    echo "$table"
    row=$(grep '^adi ' <<<"$table")
    lede_map=$(awk -F'|' '{ split($2, f, " "); print f[1] }' <<<"$row")
    fts5_map=$(awk -F'|' '{ split($3, f, " "); print f[1] }' <<<"$row")
    [ $rc -eq 0 ] && ok "bench/relevance exit 0" || fail "bench/relevance exit $rc: $(cat "$T/err")"
    # Plain BM25 on adi reaches about .40 (FTS5 .407); a broken pipeline
    # (no hits, wrong ids, wrong order) falls far below .25.
    if awk -v m="$lede_map" 'BEGIN { exit !(m + 0 > 0.25) }'; then ok "lede MAP on adi $lede_map"; else fail "lede MAP on adi '$lede_map'"; fi
    if awk -v m="$fts5_map" 'BEGIN { exit !(m + 0 > 0.39 && m + 0 < 0.42) }'; then ok "FTS5 MAP on adi $fts5_map"; else fail "FTS5 MAP on adi '$fts5_map'"; fi
    n=$(wc -l < "$T/bench/adi.lede.run")
    [ "$n" -gt 100 ] && ok "lede run has $n lines" || fail "lede run has $n lines"
fi

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all passed"
